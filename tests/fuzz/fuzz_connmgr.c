/*
 * fuzz_connmgr: the connection limits driven alone, with limits, a table's
 * census and a set of established peers that the input chooses. Beyond "no
 * crash", it checks what connmgr.h promises:
 *  - admission: a newcomer is admitted only below connections_max and,
 *    with the limits on, within its side's reserve, the handshake budget
 *    and the per-address limit; a refusal names its limit; and admission is
 *    monotonic: a table holding less never refuses what a fuller one took;
 *  - trimming: nothing below high_water; otherwise the peers to close come
 *    first, as many as bring the count to low_water or as many as are not
 *    spared, none of them protected or within grace, each no more useful
 *    (score, then idle time, then handle) than any trimmable peer kept; and
 *    the peers are only reordered, never lost or duplicated.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/connmgr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks that stay on in every build: a failed one is a finding. */
#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) abort(); \
    } while (0)

enum { FUZZ_PEERS_MAX = CONNMGR_CONNECTIONS_MAX };

/* The input, read a little at a time; zeros once it runs out. */
typedef struct fuzz_input {
    const uint8_t *data;
    size_t size, at;
} fuzz_input;

static uint32_t fuzz_u16(fuzz_input *in) {
    uint32_t v = 0;
    for (int i = 0; i < 2; i++) v = v << 8 | (in->at < in->size ? in->data[in->at++] : 0);
    return v;
}

static uint32_t fuzz_below(fuzz_input *in, uint32_t bound) { return bound == 0 ? 0 : fuzz_u16(in) % bound; }

static void fuzz_limits(fuzz_input *in, conn_limits *l) {
    connmgr_limits_default(l);
    l->enabled = fuzz_below(in, 8) != 0;
    l->connections_max = 1 + fuzz_below(in, CONNMGR_CONNECTIONS_MAX);
    l->handshakes_max = 1 + fuzz_below(in, 80);
    l->per_ip4_max = 1 + fuzz_below(in, 16);
    l->outbound_reserve = fuzz_below(in, l->connections_max);
    l->inbound_reserve = fuzz_below(in, l->connections_max);
    l->high_water = 1 + fuzz_below(in, l->connections_max);
    l->low_water = 1 + fuzz_below(in, l->high_water);
    l->grace_ns = (uint64_t)fuzz_below(in, 120) * NS_PER_S;
}

static conn_census fuzz_census(fuzz_input *in, const conn_limits *l) {
    conn_census c = {.inbound = fuzz_below(in, l->connections_max + 8)};
    c.outbound = fuzz_below(in, l->connections_max + 8);
    c.total = c.inbound + c.outbound;
    c.inbound_handshakes = fuzz_below(in, c.inbound + 1);
    c.same_ip4 = fuzz_below(in, c.inbound + 1);
    return c;
}

static void fuzz_admission(const conn_limits *l, const conn_census *c, bool outbound, bool ip4_known) {
    const char *why = connmgr_admit(l, c, outbound, ip4_known);
    if (why != NULL) {
        FUZZ_CHECK(strncmp(why, "connection limit: ", 18) == 0);
        return;
    }
    FUZZ_CHECK(c->total < l->connections_max);
    if (!l->enabled) return;
    if (outbound) {
        FUZZ_CHECK(c->outbound + l->inbound_reserve < l->connections_max);
        return;
    }
    FUZZ_CHECK(c->inbound + l->outbound_reserve < l->connections_max);
    FUZZ_CHECK(c->inbound_handshakes < l->handshakes_max);
    FUZZ_CHECK(!ip4_known || c->same_ip4 < l->per_ip4_max);
    /* A table that holds one fewer of anything admits it too. */
    conn_census less = *c;
    if (less.same_ip4 > 0) less.same_ip4--;
    if (less.inbound_handshakes > 0) less.inbound_handshakes--;
    if (less.inbound > less.inbound_handshakes && less.inbound > less.same_ip4) less.inbound--, less.total--;
    FUZZ_CHECK(connmgr_admit(l, &less, outbound, ip4_known) == NULL);
}

/* The usefulness order of connmgr.h, among peers a trim may close. */
static bool fuzz_no_more_useful(const conn_candidate *a, const conn_candidate *b) {
    if (a->score != b->score) return a->score < b->score;
    if (a->last_recv_ns != b->last_recv_ns) return a->last_recv_ns < b->last_recv_ns;
    return a->handle <= b->handle;
}

static void fuzz_trim(fuzz_input *in, const conn_limits *l) {
    static conn_candidate peers[FUZZ_PEERS_MAX], before[FUZZ_PEERS_MAX];
    /* Mostly small tables (the trim is quadratic, and small tables with a
     * low high_water reach the same branches), up to the largest. */
    size_t count = fuzz_below(in, 1 + fuzz_below(in, FUZZ_PEERS_MAX + 1));
    uint64_t now = 200 * NS_PER_S;
    for (size_t i = 0; i < count; i++) {
        uint32_t bits = fuzz_u16(in);
        peers[i] = (conn_candidate){.handle = (uint32_t)i * 7919u % 65521u, .protected_peer = (bits & 7) == 0,
                                    .score = (double)(int8_t)(bits >> 8) / 4.0,
                                    .ready_ns = now - (uint64_t)fuzz_below(in, 200) * NS_PER_S,
                                    .last_recv_ns = now - (uint64_t)(bits >> 3 & 31) * NS_PER_S};
    }
    memcpy(before, peers, count * sizeof peers[0]);
    size_t k = connmgr_trim(l, peers, count, now);
    FUZZ_CHECK(k <= count);
    if (!l->enabled || count <= l->high_water) {
        FUZZ_CHECK(k == 0);
        return;
    }
    size_t trimmable = 0;
    for (size_t i = 0; i < count; i++)
        trimmable += !before[i].protected_peer && now - before[i].ready_ns >= l->grace_ns;
    size_t want = count - l->low_water;
    FUZZ_CHECK(k == (trimmable < want ? trimmable : want));
    /* Handles are distinct: each must be there exactly once after. */
    static uint8_t seen[65521];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < count; i++) seen[before[i].handle] = 1;
    for (size_t i = 0; i < count; i++) FUZZ_CHECK(seen[peers[i].handle]++ == 1);
    /* The order is total: the most useful peer closed must be no more
     * useful than the least useful trimmable peer kept. */
    const conn_candidate *closed_best = NULL, *kept_worst = NULL;
    for (size_t i = 0; i < k; i++) {
        FUZZ_CHECK(!peers[i].protected_peer && now - peers[i].ready_ns >= l->grace_ns);
        if (closed_best == NULL || fuzz_no_more_useful(closed_best, &peers[i])) closed_best = &peers[i];
    }
    for (size_t j = k; j < count; j++)
        if (!peers[j].spared && (kept_worst == NULL || fuzz_no_more_useful(&peers[j], kept_worst)))
            kept_worst = &peers[j];
    if (closed_best != NULL && kept_worst != NULL) FUZZ_CHECK(fuzz_no_more_useful(closed_best, kept_worst));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in = {data, size, 0};
    conn_limits l;
    fuzz_limits(&in, &l);
    if (connmgr_limits_check(&l) != NULL) return 0;
    conn_census c = fuzz_census(&in, &l);
    for (int outbound = 0; outbound < 2; outbound++)
        for (int known = 0; known < 2; known++) fuzz_admission(&l, &c, outbound, known);
    fuzz_trim(&in, &l);
    return 0;
}
