/*
 * node_internal: the node's private structures, shared by node.c (lifecycle
 * and public API), connection.c (the upgrade of a connection: multistream,
 * Noise, multistream, yamux) and stream.c (the protocols on yamux streams).
 * Nothing outside those three includes this, and make install never ships
 * it: node.h is the node's interface.
 */
#ifndef SWARMLAB_NODE_INTERNAL_H
#define SWARMLAB_NODE_INTERNAL_H

#include "base/buf.h"
#include "pubsub/floodsub.h"
#include "wire/identify_pb.h"
#include "transport/mss.h"
#include "node.h"
#include "transport/noise.h"
#include "crypto/peer_record.h"
#include "transport/yamux.h"

#define PING_PROTOCOL "/ipfs/ping/1.0.0"
#define PING_PAYLOAD_BYTES 32
#define YAMUX_PROTOCOL "/yamux/1.0.0"
#define NODE_LISTEN_ADDRS_MAX 8
#define NODE_STREAMS_PER_CONN_MAX YAMUX_STREAMS_MAX
#define NODE_PEER_PROTOCOLS_MAX 64 /* protocols remembered from a peer's identify */

/* Timer ids carry their kind in the top byte, the connection's handle
 * below it, and for pings the stream id in the low 32 bits. */
enum node_timer_kind { NODE_TIMER_HANDSHAKE = 1, NODE_TIMER_PING = 2, NODE_TIMER_HEARTBEAT = 3 };
#define NODE_TIMER_ID(kind, handle, low) (((uint64_t)(kind) << 56) | ((uint64_t)(handle) << 32) | (uint64_t)(low))

typedef enum conn_phase {
    CONN_SECURITY_NEGOTIATION, /* multistream-select for /noise */
    CONN_HANDSHAKE,            /* Noise XX */
    CONN_MUXER_NEGOTIATION,    /* multistream-select for /yamux/1.0.0, encrypted */
    CONN_READY,                /* yamux streams flow */
} conn_phase;

typedef enum stream_kind {
    STREAM_NEGOTIATING,
    STREAM_PING,
    STREAM_IDENTIFY,
    STREAM_PUBSUB,
    STREAM_CUSTOM,
} stream_kind;

typedef struct node_stream {
    uint32_t id; /* the yamux stream id */
    bool outbound;
    stream_kind kind;
    int custom_index; /* STREAM_CUSTOM: index into node->protocols */
    mss *negotiation; /* while STREAM_NEGOTIATING */
    buf inbound;      /* a partial length-prefixed message */
    buf pending;      /* outbound bytes written before negotiation finished */
    bool ping_waiting;
    uint64_t ping_sent_ns;
    uint8_t ping_payload[PING_PAYLOAD_BYTES];
} node_stream;

typedef struct peer_info {
    bool identified;
    uint8_t *record; /* its signed peer record (an envelope) as it came, unchecked; NULL if none */
    size_t record_len;
    char *agent;
    char *protocols[NODE_PEER_PROTOCOLS_MAX];
    size_t protocol_count;
} peer_info;

typedef struct conn {
    node *owner;
    uint64_t conn_id; /* the runtime's id */
    uint32_t handle;  /* ours: unique in the node's life, never reused */
    bool outbound;
    bool closing;        /* torn down at the end of the current entry point */
    bool closed_by_peer; /* the runtime reported the close: do not call env->close */
    const char *close_reason;
    conn_phase phase;
    mss *negotiation; /* CONN_SECURITY_NEGOTIATION and CONN_MUXER_NEGOTIATION */
    noise_channel noise;
    yamux_session mux;
    bool expect_peer;
    peer_id expected;
    node_stream **streams;
    uint32_t *stream_ids; /* streams[i]->id, side by side: lookups read one small array */
    size_t stream_count, stream_cap;
    bool pubsub_added; /* the router knows this peer */
    uint32_t pubsub_out; /* our stream for pubsub RPCs */
    bool has_pubsub_out;
    peer_info info;
} conn;

typedef struct node_protocol {
    char *name;
    node_protocol_ops ops;
    void *user;
} node_protocol;

struct node {
    env env;
    node_callbacks callbacks;
    const node_policy *policy;
    identity id;
    peer_id self;
    uint8_t noise_static[NOISE_KEY_BYTES];
    conn **conns;
    /* The runtime's id and our handle of conns[i], side by side, so that the
     * lookup on every arriving segment reads one small array instead of
     * chasing a pointer per connection. */
    uint64_t *conn_ids;
    uint32_t *conn_handles;
    size_t conn_count, conn_cap;
    uint32_t next_handle;
    int depth; /* nesting of entry points: connections are reaped at depth 0 */
    size_t closing_count; /* connections marked closing: reaping has work only when > 0 */
    /* Scratch shared by all connections, so that it stays in cache: wire
     * holds ciphertext only until it is handed to env->write (right after
     * each append), plain holds the decrypted bytes of one arrival. */
    buf wire;
    buf plain;
    buf message; /* scratch: one length-prefixed message being sent */
    pubsub_router router;
    node_protocol protocols[NODE_PROTOCOLS_MAX];
    size_t protocol_count;
    const char *supported[NODE_PROTOCOLS_MAX + 2 + ROUTER_PROTOCOLS_MAX]; /* for the stream responder */
    size_t supported_count;
    char *listen_addrs[NODE_LISTEN_ADDRS_MAX];
    size_t listen_count;
    /* Our signed peer record (identify, PX), sealed again when the listen
     * addresses change. */
    uint8_t record[PEER_RECORD_ENVELOPE_MAX];
    size_t record_len;
    bool record_stale;
};

/* node.c */
void node_trace(node *n, trace_event *event);
uint64_t node_now(const node *n);
conn *node_find_conn_by_handle(node *n, uint32_t handle);
/* Doubles the connection table; 0 or -1. */
int node_grow_conns(node *n);
conn *node_find_conn_by_peer(node *n, const peer_id *peer);
void node_rebuild_supported(node *n);
/* Our signed peer record (sealed now if the addresses changed); its length,
 * 0 when there is none (no listen address). */
size_t node_own_record(node *n, const uint8_t **record);

/* connection.c */
conn *conn_create(node *n, uint64_t conn_id, bool outbound);
void conn_receive(node *n, conn *c, const uint8_t *bytes, size_t len);
/* Flushes yamux output through Noise to the runtime. */
void conn_flush(node *n, conn *c);
/* The remote end's IPv4 address as the runtime reports it, 0 if unknown. */
uint32_t conn_remote_ip4(node *n, conn *c);
/* Marks c for teardown at the end of the current entry point. */
void conn_close(node *n, conn *c, const char *reason);
void conn_destroy(node *n, conn *c);

/* stream.c */
void stream_on_yamux_event(void *user, const yamux_event *event);
/* Called once the connection is READY: opens identify and pubsub streams. */
void stream_on_conn_ready(node *n, conn *c);
/* Opens an outbound stream negotiating protocol; NULL on failure. */
node_stream *stream_open(node *n, conn *c, const char *protocol, stream_kind kind, int custom_index);
node_stream *stream_find(conn *c, uint32_t id);
/* Sends one length-prefixed message (queued until negotiation is done). */
int stream_send_message(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len);
int stream_send_raw(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len);
void stream_release_all(node *n, conn *c);
void stream_ping_timeout(node *n, conn *c, uint32_t stream_id);
void peer_info_free(peer_info *info);

#endif
