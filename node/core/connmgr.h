/*
 * connmgr: the node's connection limits, what go-libp2p splits into a
 * resource manager (limits per scope: the whole node, connections still
 * upgrading, one remote address) and a connection manager (BasicConnMgr:
 * low and high water marks, a grace period for new connections, protected
 * peers, trimming the least valuable first). docs/node.md "Limits" has the
 * table of every limit, its default and its flag.
 *
 * It decides and does nothing else: the node counts what its table holds
 * (connmgr_census) and asks whether a new connection may have a slot
 * (connmgr_admit), and, when it holds too many established peers, which of
 * them to close (connmgr_trim). Pure functions, no time or I/O of their
 * own, so that the daemon and the world run the same rules and a fuzzer
 * can drive them alone.
 *
 * The slots (connections_max) are shared three ways:
 *  - inbound connections still upgrading (multistream, Noise, yamux) have a
 *    small budget of their own (handshakes_max; js-libp2p's
 *    maxIncomingPendingConnections), so that silent sockets cannot hold the
 *    slots that upgraded peers need; the handshake deadline ends them;
 *  - inbound connections from one IPv4 address are at most per_ip4_max, in
 *    any phase (go-libp2p's resource manager allows 8 per IPv4 /32);
 *  - the last outbound_reserve slots are never given to inbound
 *    connections, and the last inbound_reserve never to our own dials
 *    (peer exchange included), so that neither side starves the other.
 * A peer id holds one connection: the duplicate rule (connection.c) closes
 * the second as soon as Noise names the peer; that limit is not settable.
 *
 * Above high_water established peers, the node closes peers down to
 * low_water. Never closed: protected peers (mesh members, explicit peers)
 * and peers within grace_ns of their upgrade (as BasicConnMgr's grace
 * period). The rest go least useful first: the lowest gossipsub score
 * (all 0 without scoring), then the one idle longest (its last bytes
 * received the oldest: a silent connection before a busy one, an old
 * quiet one before a young one that just spoke), then the oldest handle
 * (a deterministic order). Idle rather than youngest: a young peer is
 * what a node that tries to recover from an attack needs, and silence is
 * what an attacker that only holds slots costs least to keep up.
 */
#ifndef SWARMLAB_CONNMGR_H
#define SWARMLAB_CONNMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time_units.h"

#define CONNMGR_CONNECTIONS_MAX 512          /* slots: connections in every phase, both ways; also the most
                                              * a node may be given (the runtimes' tables) */
#define CONNMGR_HANDSHAKES_MAX 64            /* inbound connections still upgrading */
#define CONNMGR_PER_IP4_MAX 8                /* inbound connections from one IPv4 address */
#define CONNMGR_OUTBOUND_RESERVE 32          /* slots inbound connections never take */
#define CONNMGR_INBOUND_RESERVE 32           /* slots our own dials never take */
#define CONNMGR_HIGH_WATER 384               /* established peers that start a trim */
#define CONNMGR_LOW_WATER 320                /* established peers a trim leaves */
#define CONNMGR_GRACE_NS (60 * NS_PER_S)     /* a new peer is not trimmed before this (go-libp2p: 1 min) */
#define CONNMGR_HANDSHAKE_TIMEOUT_NS (10 * NS_PER_S) /* an upgrade must finish within this */

typedef struct conn_limits {
    /* false: none of the limits below but connections_max and the
     * handshake deadline (the node before issue 19), for comparisons. */
    bool enabled;
    uint32_t connections_max;
    uint32_t handshakes_max;
    uint32_t per_ip4_max;
    uint32_t outbound_reserve, inbound_reserve;
    uint32_t high_water, low_water;
    uint64_t grace_ns;
    uint64_t handshake_timeout_ns;
} conn_limits;

/* The defaults above, enabled. */
void connmgr_limits_default(conn_limits *l);
/* NULL when the limits are usable, else what is wrong, naming the limit:
 * 1 <= connections_max <= CONNMGR_CONNECTIONS_MAX, handshakes_max and
 * per_ip4_max >= 1, the two reserves together below connections_max,
 * 1 <= low_water <= high_water <= connections_max, handshake_timeout_ns > 0. */
const char *connmgr_limits_check(const conn_limits *l);

/* What the node's table holds when a new connection asks for a slot (the
 * newcomer not counted). same_ip4: inbound connections from the
 * newcomer's address (0 when the address is unknown). */
typedef struct conn_census {
    uint32_t total, inbound, outbound;
    uint32_t inbound_handshakes;
    uint32_t same_ip4;
} conn_census;

/* Whether a new connection (outbound: our dial) may have a slot: NULL, or
 * the reason it may not, a static string that names the limit, e.g.
 * "connection limit: per_ip4_max". ip4_known: the runtime told the
 * newcomer's address (per_ip4_max applies only then). */
const char *connmgr_admit(const conn_limits *l, const conn_census *census, bool outbound, bool ip4_known);

/* An established peer, as the trim sees it. */
typedef struct conn_candidate {
    uint32_t handle;        /* the node's, unique */
    bool protected_peer;    /* a mesh member or an explicit peer */
    double score;           /* its gossipsub score; 0 without scoring */
    uint64_t ready_ns;      /* when its upgrade finished */
    uint64_t last_recv_ns;  /* when bytes last arrived from it */
    bool spared;            /* set by connmgr_trim: protected, or within grace */
} conn_candidate;

/* With count established peers, all in peers[]: 0 while count <=
 * high_water (or the limits are off); else orders peers[] so that the
 * ones to close come first, and returns how many: enough to come down
 * to low_water, fewer when protected and young peers are all that is
 * left. The reason to give them is CONNMGR_TRIM_REASON. */
size_t connmgr_trim(const conn_limits *l, conn_candidate *peers, size_t count, uint64_t now_ns);

#define CONNMGR_TRIM_REASON "connection limit: trimmed above high_water"

#endif
