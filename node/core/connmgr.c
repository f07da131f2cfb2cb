/* connmgr: the node's connection limits. See connmgr.h. */
#include "connmgr.h"

#include <assert.h>

void connmgr_limits_default(conn_limits *l) {
    *l = (conn_limits){.enabled = true,
                       .connections_max = CONNMGR_CONNECTIONS_MAX,
                       .handshakes_max = CONNMGR_HANDSHAKES_MAX,
                       .per_ip4_max = CONNMGR_PER_IP4_MAX,
                       .outbound_reserve = CONNMGR_OUTBOUND_RESERVE,
                       .inbound_reserve = CONNMGR_INBOUND_RESERVE,
                       .high_water = CONNMGR_HIGH_WATER,
                       .low_water = CONNMGR_LOW_WATER,
                       .grace_ns = CONNMGR_GRACE_NS,
                       .handshake_timeout_ns = CONNMGR_HANDSHAKE_TIMEOUT_NS};
}

const char *connmgr_limits_check(const conn_limits *l) {
    if (l->connections_max < 1 || l->connections_max > CONNMGR_CONNECTIONS_MAX)
        return "connections_max: between 1 and 512";
    if (l->handshake_timeout_ns == 0) return "handshake_timeout: must be above 0";
    if (!l->enabled) return NULL; /* the others are not used */
    if (l->handshakes_max < 1) return "handshakes_max: at least 1";
    if (l->per_ip4_max < 1) return "per_ip4_max: at least 1";
    if ((uint64_t)l->outbound_reserve + l->inbound_reserve >= l->connections_max)
        return "outbound_reserve + inbound_reserve: must leave slots below connections_max";
    if (l->high_water < 1 || l->high_water > l->connections_max)
        return "high_water: between 1 and connections_max";
    if (l->low_water < 1 || l->low_water > l->high_water) return "low_water: between 1 and high_water";
    return NULL;
}

const char *connmgr_admit(const conn_limits *l, const conn_census *census, bool outbound, bool ip4_known) {
    assert(census->inbound + census->outbound == census->total);
    if (census->total >= l->connections_max) return "connection limit: connections_max";
    if (!l->enabled) return NULL;
    if (outbound) {
        /* Our own dials leave inbound_reserve slots to the peers that dial us. */
        return census->outbound + l->inbound_reserve >= l->connections_max ? "connection limit: inbound_reserve"
                                                                           : NULL;
    }
    if (census->inbound + l->outbound_reserve >= l->connections_max) return "connection limit: outbound_reserve";
    if (census->inbound_handshakes >= l->handshakes_max) return "connection limit: handshakes_max";
    if (ip4_known && census->same_ip4 >= l->per_ip4_max) return "connection limit: per_ip4_max";
    return NULL;
}

/* Trimmable peers first; among them the lowest score, then the longest
 * idle, then the oldest handle. Spared peers sort last. */
static int trim_order(const conn_candidate *a, const conn_candidate *b) {
    if (a->spared != b->spared) return a->spared ? 1 : -1;
    if (a->score != b->score) return a->score < b->score ? -1 : 1;
    if (a->last_recv_ns != b->last_recv_ns) return a->last_recv_ns < b->last_recv_ns ? -1 : 1;
    return a->handle < b->handle ? -1 : a->handle > b->handle;
}

size_t connmgr_trim(const conn_limits *l, conn_candidate *peers, size_t count, uint64_t now_ns) {
    if (!l->enabled || count <= l->high_water) return 0;
    for (size_t i = 0; i < count; i++) {
        assert(peers[i].ready_ns <= now_ns);
        peers[i].spared = peers[i].protected_peer || now_ns - peers[i].ready_ns < l->grace_ns;
    }
    /* Insertion sort: at most CONNMGR_CONNECTIONS_MAX peers, only when a
     * trim is due, and nothing below the seam may call the C library's qsort. */
    for (size_t i = 1; i < count; i++) {
        conn_candidate next = peers[i];
        size_t j = i;
        for (; j > 0 && trim_order(&next, &peers[j - 1]) < 0; j--) peers[j] = peers[j - 1];
        peers[j] = next;
    }
    size_t want = count - l->low_water, chosen = 0;
    while (chosen < want && !peers[chosen].spared) chosen++;
    return chosen;
}
