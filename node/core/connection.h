/*
 * connection: the upgrade of one connection, the lowest layer of the core
 * (see node_internal.h for the three layers).
 *
 *   multistream-select /noise  ->  Noise XX  ->  multistream-select
 *   /yamux/1.0.0 (encrypted)  ->  yamux, whose streams the layer above serves.
 *
 * A connection calls up only through conn_upper: it knows when it is ready
 * and when it goes, not what runs on its streams. stream.c and node.c call
 * the functions below.
 */
#ifndef SWARMLAB_CONNECTION_H
#define SWARMLAB_CONNECTION_H

#include "node_internal.h"

/* The layer above a connection (stream.c's stream_layer, which node.c
 * installs in node->upper). */
typedef struct conn_upper {
    /* yamux's handler for the connection's stream events; user is the conn. */
    yamux_event_fn on_yamux_event;
    /* The connection just became READY (and is not closing). */
    void (*on_ready)(node *n, conn *c);
    /* A READY connection is being torn down: its streams go, and the
     * application hears of each. */
    void (*on_teardown)(node *n, conn *c);
} conn_upper;

/* Whether a new connection may have a slot under the node's limits
 * (connmgr_admit): NULL, or the refusal's reason, which is traced (a
 * remove_peer without a peer). conn_id: the runtime's id of an inbound
 * connection (for its address); ignored for our own dials. */
const char *conn_admit(node *n, bool outbound, uint64_t conn_id);
/* A new connection, in the node's table, negotiating security; NULL when
 * the table is full or memory runs out. The caller asked conn_admit first. */
conn *conn_create(node *n, uint64_t conn_id, bool outbound);
/* Bytes from the runtime, through whichever phases they reach. */
void conn_receive(node *n, conn *c, const uint8_t *bytes, size_t len);
/* Flushes yamux output through Noise to the runtime. */
void conn_flush(node *n, conn *c);
/* The remote end's IPv4 address as the runtime reports it, 0 if unknown. */
uint32_t conn_remote_ip4(node *n, conn *c);
/* Marks c for teardown at the end of the current entry point. */
void conn_close(node *n, conn *c, const char *reason);
/* Tears down c, which node_reap took out of the table, and frees it. */
void conn_destroy(node *n, conn *c);

#endif
