/*
 * announce: how a newcomer finds the swarm without a server (issue 18;
 * docs/data.md "The swarm's data: announce and query").
 *
 * A node that comes online publishes its signed peer record (the envelope
 * of crypto/peer_record.h, the one identify sends) on the announce topic,
 * once it has a first peer to publish through and again every
 * ANNOUNCE_REPEAT_NS while it has fewer than target connections. A node
 * that receives a record checks it (signature, and that the record's peer
 * is the message's author), keeps it, and dials its first address while
 * its connections and dials in flight number fewer than target. When a
 * connection goes and leaves it below target, it dials a kept record.
 *
 * The message is the bare envelope: the record is self-certified, so any
 * libp2p peer can read it, and a forged or unsigned one is dropped.
 * Bounded: at most ANNOUNCE_RECORDS_MAX records (the oldest goes), one
 * record per signer per ANNOUNCE_PEER_INTERVAL_NS (more are counted and
 * dropped), at most ANNOUNCE_REPEATS_MAX announcements of our own.
 *
 * Lifetime: create after the node, destroy after node_destroy (the module
 * never touches its node after that; node.h).
 */
#ifndef SWARMLAB_ANNOUNCE_H
#define SWARMLAB_ANNOUNCE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/time_units.h"
#include "core/node.h"

#define ANNOUNCE_RECORDS_MAX 64                  /* records kept, the oldest replaced */
#define ANNOUNCE_PEER_INTERVAL_NS (2 * NS_PER_S) /* one record per signer per this, at most */
#define ANNOUNCE_FIRST_DELAY_NS (NS_PER_S / 2)   /* after our first peer: its subscriptions have come */
#define ANNOUNCE_REPEAT_NS (5 * NS_PER_S)        /* again while below target */
#define ANNOUNCE_REPEATS_MAX 12                  /* our own announcements, at most */
#define ANNOUNCE_DIAL_PENDING_NS (10 * NS_PER_S) /* a dial counts as in flight this long (the handshake timeout) */
#define ANNOUNCE_TARGET_MAX 256
#define ANNOUNCE_TOPIC_MAX 64 /* bytes of the topic name */

typedef struct announce announce;

typedef struct announce_config {
    const char *topic; /* 1 to ANNOUNCE_TOPIC_MAX bytes; copied */
    uint32_t target;   /* connections wanted, 1 to ANNOUNCE_TARGET_MAX */
} announce_config;

typedef struct announce_stats {
    uint64_t published;    /* our own announcements */
    uint64_t received;     /* messages on the topic */
    uint64_t accepted;     /* records checked and kept */
    uint64_t invalid;      /* unsigned, forged, or not the author's own */
    uint64_t rate_limited; /* from a signer within ANNOUNCE_PEER_INTERVAL_NS */
    uint64_t dials;        /* dials of announced peers */
    /* When the node first had target connections, on the node's clock;
     * 0: not yet. */
    uint64_t reached_ns;
} announce_stats;

/* Subscribes the node to the topic and listens to it (node_add_listener).
 * NULL when the config is out of range, memory runs out or the node has no
 * room for another listener. */
announce *announce_create(node *n, const announce_config *config);
void announce_destroy(announce *a);
void announce_get_stats(const announce *a, announce_stats *out);
/* Publishes our record now (the daemon's `announce` command). 0, or -1
 * without a record (no listen address) or topic peers. */
int announce_publish(announce *a);

#endif
