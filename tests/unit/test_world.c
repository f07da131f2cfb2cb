/*
 * test_world: the physics of the virtual network, checked against the
 * numbers they must produce: what a dial costs, how long bytes take at a
 * given bandwidth, what loss does, what a host failure resets, what a
 * partition holds back and when it lets it through (TCP's timers, as
 * world.h gives them), and what a host's disk remembers: its peers, and
 * the blocks it synced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/buf.h"
#include "base/time_units.h"
#include "world/world.h"

#define MS NS_PER_MS
#define S NS_PER_S
#define L (10 * MS)
#define RTO_MIN (200 * MS)    /* Linux's floor: a connection's RTO is RTT + 200 ms */
#define HANDSHAKE_TIMEOUT (10 * S) /* the node's, NODE_HANDSHAKE_TIMEOUT_NS */

typedef struct seen {
    trace_kind kind;
    uint64_t time_ns;
    uint32_t node;
    peer_id peer;
} seen;

static seen events[100000];
static size_t event_count;

static void collect(void *user, const trace_event *event) {
    (void)user;
    if (event_count == sizeof events / sizeof events[0]) return;
    seen *s = &events[event_count++];
    s->kind = event->kind;
    s->time_ns = event->time_ns;
    s->node = event->node_index;
    memset(&s->peer, 0, sizeof s->peer);
    if (event->peer_len > 0) peer_id_from_bytes(event->peer, event->peer_len, &s->peer);
}

static const seen *find(trace_kind kind, uint32_t host, size_t nth) {
    for (size_t i = 0; i < event_count; i++)
        if (events[i].kind == kind && events[i].node == host && nth-- == 0) return &events[i];
    return NULL;
}

static size_t count(trace_kind kind, int host) {
    size_t n = 0;
    for (size_t i = 0; i < event_count; i++)
        if (events[i].kind == kind && (host < 0 || events[i].node == (uint32_t)host)) n++;
    return n;
}

static world *make_world(uint32_t hosts, uint64_t up_bps, uint64_t down_bps, double loss, uint64_t seed) {
    world_forbid_global_randomness();
    event_count = 0;
    world_config config = {.host_count = hosts, .seed = seed, .latency = {DIST_CONSTANT, (double)L, 0},
                           .up_bps = up_bps, .down_bps = down_bps, .loss = loss, .trace = collect};
    world *w = world_create(&config);
    assert_non_null(w);
    for (uint32_t i = 0; i < hosts; i++) assert_int_equal(world_host_up(w, i), 0);
    return w;
}

static void the_upgrade_costs_eight_one_way_latencies_at_the_dialer(void **state) {
    (void)state;
    world *w = make_world(2, 0, 0, 0, 1);
    assert_int_equal(world_dial(w, 0, 1), 0);
    world_run(w, 1000 * MS);
    /* TCP's handshake (2), multistream /noise (2), Noise XX (3, the third
     * message carrying the /yamux proposal), the /yamux echo (1). */
    const seen *listener = find(TRACE_ADD_PEER, 1, 0), *dialer = find(TRACE_ADD_PEER, 0, 0);
    assert_non_null(listener);
    assert_non_null(dialer);
    assert_int_equal(listener->time_ns, 7 * L);
    assert_int_equal(dialer->time_ns, 8 * L);
    assert_true(peer_id_equal(&dialer->peer, world_peer_id(w, 1)));
    world_destroy(w);
}

static void one_hop_takes_latency_plus_serialization_of_the_framed_bytes(void **state) {
    (void)state;
    const uint64_t bandwidth = 8000000; /* 8 Mbps: one byte per microsecond */
    world *w = make_world(2, bandwidth, bandwidth, 0, 2);
    assert_int_equal(world_dial(w, 1, 0), 0);
    for (uint32_t i = 0; i < 2; i++) assert_int_equal(node_subscribe(world_node(w, i), "t"), 0);
    world_run(w, 2000 * MS);
    world_stats before, after;
    world_get_stats(w, &before);
    static uint8_t data[4096];
    uint64_t t0 = world_now(w);
    assert_int_equal(node_publish(world_node(w, 0), "t", data, sizeof data), 0);
    world_get_stats(w, &after);
    uint64_t framed = after.bytes_written - before.bytes_written;
    assert_true(framed > sizeof data); /* signature, protobuf, yamux and Noise framing */
    assert_true(framed < sizeof data + 300);
    world_run(w, t0 + 2000 * MS);
    const seen *delivered = find(TRACE_DELIVER_MESSAGE, 1, 0);
    assert_non_null(delivered);
    assert_int_equal(delivered->time_ns - t0, L + framed * 1000); /* 1 us per byte */
    world_destroy(w);
}

static void the_slower_link_sets_the_pace(void **state) {
    (void)state;
    world *w = make_world(2, 8000000, 800000, 0, 3); /* download ten times slower */
    assert_int_equal(world_dial(w, 1, 0), 0);
    for (uint32_t i = 0; i < 2; i++) assert_int_equal(node_subscribe(world_node(w, i), "t"), 0);
    world_run(w, 4000 * MS);
    world_stats before, after;
    world_get_stats(w, &before);
    static uint8_t data[2000];
    uint64_t t0 = world_now(w);
    assert_int_equal(node_publish(world_node(w, 0), "t", data, sizeof data), 0);
    world_get_stats(w, &after);
    uint64_t framed = after.bytes_written - before.bytes_written;
    world_run(w, t0 + 4000 * MS);
    const seen *delivered = find(TRACE_DELIVER_MESSAGE, 1, 0);
    assert_non_null(delivered);
    assert_int_equal(delivered->time_ns - t0, L + framed * 10000); /* 10 us per byte */
    world_destroy(w);
}

static void loss_delays_bytes_by_round_trips_and_keeps_order(void **state) {
    (void)state;
    world *w = make_world(2, 0, 0, 0.3, 4);
    assert_int_equal(world_dial(w, 1, 0), 0);
    for (uint32_t i = 0; i < 2; i++) assert_int_equal(node_subscribe(world_node(w, i), "t"), 0);
    world_run(w, 5000 * MS);
    uint64_t t0 = world_now(w);
    static uint8_t data[1000];
    for (int m = 0; m < 20; m++) assert_int_equal(node_publish(world_node(w, 0), "t", data, sizeof data), 0);
    world_run(w, t0 + 10000 * MS);
    world_stats stats;
    world_get_stats(w, &stats);
    assert_true(stats.segments_lost > 0);
    assert_int_equal(count(TRACE_DELIVER_MESSAGE, 1), 20); /* reliable: everything arrives */
    for (size_t k = 0; k < 20; k++) {
        const seen *d = find(TRACE_DELIVER_MESSAGE, 1, k);
        uint64_t extra = d->time_ns - t0 - L;
        assert_int_equal(extra % (2 * L), 0); /* whole round trips of delay */
        if (k > 0) assert_true(d->time_ns >= find(TRACE_DELIVER_MESSAGE, 1, k - 1)->time_ns);
    }
    world_destroy(w);
}

static void a_failed_host_resets_its_connections_and_keeps_its_identity(void **state) {
    (void)state;
    world *w = make_world(3, 0, 0, 0, 5);
    assert_int_equal(world_dial(w, 1, 0), 0);
    assert_int_equal(world_dial(w, 2, 1), 0);
    world_run(w, 1000 * MS);
    assert_int_equal(node_peer_count(world_node(w, 1)), 2);
    peer_id before = *node_id(world_node(w, 1));
    uint64_t t_down = world_now(w);
    world_host_down(w, 1);
    assert_false(world_host_online(w, 1));
    assert_null(world_node(w, 1));
    world_run(w, t_down + 1000 * MS);
    assert_int_equal(node_peer_count(world_node(w, 0)), 0);
    assert_int_equal(node_peer_count(world_node(w, 2)), 0);
    const seen *reset = find(TRACE_REMOVE_PEER, 0, 0);
    assert_non_null(reset);
    assert_int_equal(reset->time_ns, t_down + L); /* the RST takes one way */
    assert_int_equal(count(TRACE_NODE_DOWN, 1), 1);
    assert_int_equal(world_host_up(w, 1), 0);
    assert_true(peer_id_equal(node_id(world_node(w, 1)), &before)); /* its disk survived */
    assert_int_equal(world_dial(w, 1, 0), 0);
    world_run(w, world_now(w) + 1000 * MS);
    assert_int_equal(node_peer_count(world_node(w, 0)), 1);
    world_destroy(w);
}

static void a_dial_to_a_host_that_is_down_fails_after_a_round_trip(void **state) {
    (void)state;
    world *w = make_world(2, 0, 0, 0, 6);
    world_host_down(w, 1);
    assert_int_equal(world_dial(w, 0, 1), 0);
    world_run(w, 1000 * MS);
    assert_int_equal(node_peer_count(world_node(w, 0)), 0);
    assert_int_equal(count(TRACE_ADD_PEER, -1), 0);
    world_destroy(w);
}

static void a_refused_dial_ends_one_round_trip_after_it_began(void **state) {
    (void)state;
    world *w = make_world(2, 0, 0, 0, 6);
    world_host_down(w, 1);
    assert_int_equal(world_dial(w, 0, 1), 0);
    assert_int_equal(world_host_connections(w, 0), 1); /* in flight */
    assert_true(world_hosts_connected(w, 0, 1));
    world_run(w, 2 * L - 1);
    assert_int_equal(world_host_connections(w, 0), 1);
    world_run(w, 2 * L); /* the SYN went, the RST came back */
    assert_int_equal(world_host_connections(w, 0), 0);
    assert_false(world_hosts_connected(w, 0, 1));
    world_destroy(w);
}

static void connections_count_both_ends_and_go_with_the_host(void **state) {
    (void)state;
    world *w = make_world(3, 0, 0, 0, 7);
    assert_int_equal(world_dial(w, 0, 1), 0);
    assert_int_equal(world_dial(w, 2, 1), 0);
    assert_int_equal(world_host_connections(w, 1), 0); /* no SYN has arrived yet */
    world_run(w, 1000 * MS);
    assert_int_equal(world_host_connections(w, 0), 1);
    assert_int_equal(world_host_connections(w, 1), 2);
    assert_true(world_hosts_connected(w, 1, 2));
    assert_false(world_hosts_connected(w, 0, 2));
    uint64_t t_down = world_now(w);
    world_host_down(w, 1);
    assert_int_equal(world_host_connections(w, 1), 0);
    assert_int_equal(world_host_connections(w, 0), 1); /* until the RST arrives */
    world_run(w, t_down + L);
    assert_int_equal(world_host_connections(w, 0), 0);
    assert_int_equal(world_host_connections(w, 2), 0);
    world_destroy(w);
}

static void a_host_remembers_its_peers_most_recent_first_across_restarts(void **state) {
    (void)state;
    world *w = make_world(4, 0, 0, 0, 8);
    for (uint32_t peer = 1; peer <= 3; peer++) {
        assert_int_equal(world_dial(w, 0, peer), 0);
        world_run(w, world_now(w) + 1000 * MS);
    }
    uint32_t out[WORLD_REMEMBERED_PEERS_MAX];
    assert_int_equal(world_remembered_peers(w, 0, out, WORLD_REMEMBERED_PEERS_MAX), 3);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[1], 2);
    assert_int_equal(out[2], 1);
    assert_int_equal(world_remembered_peers(w, 2, out, WORLD_REMEMBERED_PEERS_MAX), 1);
    assert_int_equal(out[0], 0); /* the listener remembers the dialer */
    world_host_down(w, 0);
    assert_int_equal(world_host_up(w, 0), 0);
    assert_int_equal(world_remembered_peers(w, 0, out, 2), 2); /* the disk survived; cap honoured */
    assert_int_equal(out[0], 3);
    assert_int_equal(out[1], 2);
    world_destroy(w);
}

/* Whether host keeps the block c, read back byte for byte as text. */
static bool host_keeps(world *w, uint32_t host, const cid *c, const char *text) {
    buf out;
    buf_init(&out, STORE_BLOCK_MAX);
    int rc = node_block_get(world_node(w, host), c, &out);
    bool same = rc == 1 && out.len == strlen(text) && memcmp(out.data, text, out.len) == 0;
    buf_free(&out);
    assert_int_equal(node_block_has(world_node(w, host), c), rc == 1);
    return same;
}

static void a_synced_block_survives_a_crash_and_an_unsynced_one_does_not(void **state) {
    (void)state;
    world *w = make_world(1, 0, 0, 0, 12);
    node *n = world_node(w, 0);
    cid synced, unsynced;
    assert_int_equal(node_block_put(n, CID_CODEC_RAW, (const uint8_t *)"kept", 4, &synced), 0);
    assert_int_equal(node_block_sync(n), 0);
    assert_int_equal(node_block_put(n, CID_CODEC_RAW, (const uint8_t *)"lost", 4, &unsynced), 0);
    assert_true(host_keeps(w, 0, &unsynced, "lost")); /* readable until the crash */
    world_host_down(w, 0);
    assert_int_equal(world_host_up(w, 0), 0);
    assert_true(host_keeps(w, 0, &synced, "kept"));
    assert_false(host_keeps(w, 0, &unsynced, "lost"));
    world_destroy(w);
}

static void an_unsynced_delete_is_undone_by_a_crash(void **state) {
    (void)state;
    world *w = make_world(1, 0, 0, 0, 13);
    cid c;
    assert_int_equal(node_block_put(world_node(w, 0), CID_CODEC_DAG_PB, (const uint8_t *)"node", 4, &c), 0);
    assert_int_equal(node_block_sync(world_node(w, 0)), 0);
    assert_int_equal(node_block_delete(world_node(w, 0), &c), 0);
    assert_false(host_keeps(w, 0, &c, "node"));
    world_host_down(w, 0);
    assert_int_equal(world_host_up(w, 0), 0);
    assert_true(host_keeps(w, 0, &c, "node")); /* the delete never reached the disk */
    assert_int_equal(node_block_delete(world_node(w, 0), &c), 0);
    assert_int_equal(node_block_sync(world_node(w, 0)), 0);
    world_host_down(w, 0);
    assert_int_equal(world_host_up(w, 0), 0);
    assert_false(host_keeps(w, 0, &c, "node"));
    world_destroy(w);
}

static void a_full_store_refuses_a_put(void **state) {
    (void)state;
    world_forbid_global_randomness();
    event_count = 0;
    /* Room for one 1000-byte block and its 36-byte key, not for two. */
    world_config config = {.host_count = 1, .seed = 14, .latency = {DIST_CONSTANT, (double)L, 0}, .trace = collect,
                           .store_bytes_max = 1500};
    world *w = world_create(&config);
    assert_non_null(w);
    assert_int_equal(world_host_up(w, 0), 0);
    uint8_t block[1000];
    memset(block, 'a', sizeof block);
    cid first, second;
    assert_int_equal(node_block_put(world_node(w, 0), CID_CODEC_RAW, block, sizeof block, &first), 0);
    block[0] = 'b';
    cid_of(&second, CID_CODEC_RAW, block, sizeof block);
    assert_int_equal(node_block_put(world_node(w, 0), CID_CODEC_RAW, block, sizeof block, NULL), -1);
    assert_int_equal(node_block_has(world_node(w, 0), &second), 0);
    assert_int_equal(node_block_put(world_node(w, 0), CID_CODEC_RAW, block, 400, &second), 0); /* a smaller one fits */
    world_destroy(w);
}

static void a_host_forgets_the_oldest_peer_beyond_its_bound(void **state) {
    (void)state;
    const uint32_t hosts = WORLD_REMEMBERED_PEERS_MAX + 3;
    world *w = make_world(hosts, 0, 0, 0, 9);
    for (uint32_t peer = 1; peer < hosts; peer++) assert_int_equal(world_dial(w, 0, peer), 0);
    world_run(w, 1000 * MS);
    assert_int_equal(node_peer_count(world_node(w, 0)), hosts - 1);
    uint32_t out[WORLD_REMEMBERED_PEERS_MAX + 4];
    assert_int_equal(world_remembered_peers(w, 0, out, WORLD_REMEMBERED_PEERS_MAX + 4), WORLD_REMEMBERED_PEERS_MAX);
    bool kept[WORLD_REMEMBERED_PEERS_MAX + 3] = {false};
    for (size_t i = 0; i < WORLD_REMEMBERED_PEERS_MAX; i++) kept[out[i]] = true;
    /* Equal latencies: the SYN-ACKs come back in dial order, so 1 and 2 are the oldest. */
    assert_false(kept[1]);
    assert_false(kept[2]);
    assert_true(kept[3]);
    assert_true(kept[hosts - 1]);
    assert_int_equal(out[0], hosts - 1);
    world_destroy(w);
}

/* Two connected hosts and a partition between them from cut_at to heal_at. */
static world *make_cut_pair(uint64_t seed, uint64_t cut_at, uint64_t heal_at) {
    world *w = make_world(2, 0, 0, 0, seed);
    const uint8_t groups[2] = {0, 1};
    assert_int_equal(world_add_partition(w, cut_at, heal_at, groups), 0);
    assert_int_equal(world_dial(w, 1, 0), 0);
    for (uint32_t i = 0; i < 2; i++) assert_int_equal(node_subscribe(world_node(w, i), "t"), 0);
    return w;
}

static void bytes_sent_into_a_partition_arrive_at_the_first_retransmission_after_the_heal(void **state) {
    (void)state;
    const uint64_t cut_at = 2 * S, heal_at = 5 * S;
    world *w = make_cut_pair(10, cut_at, heal_at);
    world_run(w, cut_at + 500 * MS);
    assert_false(world_reachable(w, 0, 1));
    static uint8_t data[100];
    uint64_t sent = world_now(w);
    assert_int_equal(node_publish(world_node(w, 0), "t", data, sizeof data), 0);
    world_run(w, 20 * S);
    assert_true(world_reachable(w, 0, 1));
    /* TCP retries at RTO, 2 RTO, 4 RTO... after the send; the first retry
     * at or after the heal carries the bytes, one way later. */
    uint64_t attempt = sent, rto = 2 * L + RTO_MIN;
    while (attempt < heal_at) {
        attempt += rto;
        rto *= 2;
    }
    const seen *delivered = find(TRACE_DELIVER_MESSAGE, 1, 0);
    assert_non_null(delivered);
    assert_true(delivered->time_ns >= heal_at);
    assert_int_equal(delivered->time_ns, attempt + L);
    assert_int_equal(node_peer_count(world_node(w, 1)), 1); /* the connection survived */
    world_destroy(w);
}

static void new_data_after_the_heal_brings_the_backlog_within_a_round_trip(void **state) {
    (void)state;
    const uint64_t cut_at = 2 * S, heal_at = 5 * S;
    world *w = make_cut_pair(11, cut_at, heal_at);
    world_run(w, cut_at + 100 * MS);
    static uint8_t data[100];
    assert_int_equal(node_publish(world_node(w, 0), "t", data, sizeof data), 0); /* retries: 2.32, 2.76, 3.64, 5.40 s */
    world_run(w, heal_at + 300 * MS);
    uint64_t resent = world_now(w);
    assert_int_equal(node_publish(world_node(w, 0), "t", data, sizeof data), 0);
    world_run(w, 20 * S);
    /* Duplicate ACKs come back a round trip after the new data left; the
     * backlog and the new data then arrive one way later, in order. */
    for (size_t k = 0; k < 2; k++) {
        const seen *delivered = find(TRACE_DELIVER_MESSAGE, 1, k);
        assert_non_null(delivered);
        assert_int_equal(delivered->time_ns, resent + 3 * L);
    }
    world_destroy(w);
}

static void hosts_on_the_same_side_of_a_partition_still_reach_each_other(void **state) {
    (void)state;
    world *w = make_world(3, 0, 0, 0, 12);
    const uint8_t groups[3] = {0, 0, 1};
    assert_int_equal(world_add_partition(w, 0, 10 * S, groups), 0);
    assert_true(world_reachable(w, 0, 1));
    assert_false(world_reachable(w, 1, 2));
    assert_int_equal(world_dial(w, 1, 0), 0);
    world_run(w, 1000 * MS);
    const seen *added = find(TRACE_ADD_PEER, 1, 0);
    assert_non_null(added);
    assert_int_equal(added->time_ns, 8 * L); /* as without any partition */
    world_destroy(w);
}

static void a_dial_across_a_partition_connects_at_the_first_syn_retry_after_the_heal(void **state) {
    (void)state;
    world *w = make_world(2, 0, 0, 0, 13);
    const uint8_t groups[2] = {0, 1};
    assert_int_equal(world_add_partition(w, 0, 2500 * MS, groups), 0);
    assert_int_equal(world_dial(w, 0, 1), 0);
    world_run(w, 5 * S);
    /* SYNs at 0, 1 and 3 s (RTO 1 s, doubling): the third gets through. */
    const seen *dialer = find(TRACE_ADD_PEER, 0, 0);
    assert_non_null(dialer);
    assert_int_equal(dialer->time_ns, 3 * S + 8 * L);
    world_destroy(w);
}

static void a_dial_no_syn_retry_gets_through_ends_with_the_handshake_timeout(void **state) {
    (void)state;
    world *w = make_world(2, 0, 0, 0, 14);
    const uint8_t groups[2] = {0, 1};
    assert_int_equal(world_add_partition(w, 0, 60 * S, groups), 0);
    assert_int_equal(world_dial(w, 0, 1), 0);
    world_run(w, HANDSHAKE_TIMEOUT - 1);
    assert_int_equal(world_host_connections(w, 0), 1); /* SYNs still being retried */
    world_run(w, HANDSHAKE_TIMEOUT);
    assert_int_equal(world_host_connections(w, 0), 0); /* the node gave up */
    world_run(w, 130 * S);
    assert_int_equal(count(TRACE_ADD_PEER, -1), 0);
    assert_int_equal(world_host_connections(w, 1), 0); /* the SYN of 15 s found the dial closed */
    world_destroy(w);
}

static void per_pair_latency_is_stable_and_symmetric(void **state) {
    (void)state;
    world_forbid_global_randomness();
    world_config config = {.host_count = 50, .seed = 9, .latency = {DIST_UNIFORM, 10.0 * MS, 90.0 * MS}};
    world *w = world_create(&config);
    uint64_t distinct = 0, first = world_latency(w, 3, 7);
    for (uint32_t a = 0; a < 50; a++)
        for (uint32_t b = a + 1; b < 50; b++) {
            uint64_t lat = world_latency(w, a, b);
            assert_int_equal(lat, world_latency(w, b, a));
            assert_true(lat >= 10 * MS && lat <= 90 * MS);
            distinct += lat != first;
        }
    assert_int_equal(world_latency(w, 3, 7), first);
    assert_true(distinct > 1000); /* drawn per pair, not once */
    world_destroy(w);
}

/* Hosts 1 to 3 share host 1's address (Sybils behind one machine): they
 * listen on ports 4001 to 4003 of 10.0.0.2, and each is reachable there. */
static void hosts_sharing_an_address_listen_on_consecutive_ports(void **state) {
    (void)state;
    world_forbid_global_randomness();
    const uint32_t owner[4] = {0, 1, 1, 1};
    world_config config = {.host_count = 4, .seed = 7, .latency = {DIST_CONSTANT, (double)L, 0}, .trace = collect,
                           .ip_owner = owner};
    world *w = world_create(&config);
    assert_non_null(w);
    assert_string_equal(world_address(w, 0, false), "/ip4/10.0.0.1/tcp/4001");
    assert_string_equal(world_address(w, 1, false), "/ip4/10.0.0.2/tcp/4001");
    assert_string_equal(world_address(w, 2, false), "/ip4/10.0.0.2/tcp/4002");
    assert_string_equal(world_address(w, 3, false), "/ip4/10.0.0.2/tcp/4003");
    for (uint32_t i = 0; i < 4; i++) assert_int_equal(world_host_up(w, i), 0);
    for (uint32_t i = 1; i < 4; i++) assert_int_equal(world_dial(w, 0, i), 0);
    assert_int_equal(node_dial(world_node(w, 0), "/ip4/10.0.0.2/tcp/4004"), -1); /* nobody has that port */
    world_run(w, 20 * L);
    for (uint32_t i = 1; i < 4; i++) assert_true(world_hosts_connected(w, 0, i));
    assert_int_equal(node_peer_count(world_node(w, 0)), 3);
    world_destroy(w);
}

/* Peer exchange end to end: hosts 1 and 2 each know only host 0, whose
 * mesh holds one peer (D = D_lo = D_hi = 1). The second GRAFT is refused
 * with PX carrying the first peer's signed record (from identify), and the
 * refused peer dials it. With prune_peers = 0 nobody is suggested. */
static bool px_connects(int prune_peers) {
    world_forbid_global_randomness();
    gossipsub_config gossip;
    gossipsub_config_default(&gossip);
    gossip.D = gossip.D_lo = gossip.D_hi = 1;
    gossip.D_score = 1;
    gossip.D_out = 0;
    gossip.prune_peers = prune_peers;
    world_config config = {.host_count = 3, .seed = 8, .latency = {DIST_CONSTANT, (double)L, 0}, .trace = collect,
                           .router = ROUTER_CHOICE_GOSSIPSUB, .gossipsub = &gossip};
    world *w = world_create(&config);
    assert_non_null(w);
    for (uint32_t i = 0; i < 3; i++) assert_int_equal(world_host_up(w, i), 0);
    assert_int_equal(world_dial(w, 1, 0), 0);
    assert_int_equal(world_dial(w, 2, 0), 0);
    for (uint32_t i = 0; i < 3; i++) assert_int_equal(node_subscribe(world_node(w, i), "t"), 0);
    world_run(w, 10 * S);
    bool connected = world_hosts_connected(w, 1, 2);
    world_destroy(w);
    return connected;
}

static void a_graft_refused_with_px_makes_the_peer_dial_the_suggested_one(void **state) {
    (void)state;
    assert_true(px_connects(16));
    assert_false(px_connects(0));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_upgrade_costs_eight_one_way_latencies_at_the_dialer),
        cmocka_unit_test(one_hop_takes_latency_plus_serialization_of_the_framed_bytes),
        cmocka_unit_test(the_slower_link_sets_the_pace),
        cmocka_unit_test(loss_delays_bytes_by_round_trips_and_keeps_order),
        cmocka_unit_test(a_failed_host_resets_its_connections_and_keeps_its_identity),
        cmocka_unit_test(a_dial_to_a_host_that_is_down_fails_after_a_round_trip),
        cmocka_unit_test(per_pair_latency_is_stable_and_symmetric),
        cmocka_unit_test(a_refused_dial_ends_one_round_trip_after_it_began),
        cmocka_unit_test(connections_count_both_ends_and_go_with_the_host),
        cmocka_unit_test(a_host_remembers_its_peers_most_recent_first_across_restarts),
        cmocka_unit_test(a_host_forgets_the_oldest_peer_beyond_its_bound),
        cmocka_unit_test(bytes_sent_into_a_partition_arrive_at_the_first_retransmission_after_the_heal),
        cmocka_unit_test(new_data_after_the_heal_brings_the_backlog_within_a_round_trip),
        cmocka_unit_test(hosts_on_the_same_side_of_a_partition_still_reach_each_other),
        cmocka_unit_test(a_dial_across_a_partition_connects_at_the_first_syn_retry_after_the_heal),
        cmocka_unit_test(a_dial_no_syn_retry_gets_through_ends_with_the_handshake_timeout),
        cmocka_unit_test(hosts_sharing_an_address_listen_on_consecutive_ports),
        cmocka_unit_test(a_graft_refused_with_px_makes_the_peer_dial_the_suggested_one),
        cmocka_unit_test(a_synced_block_survives_a_crash_and_an_unsynced_one_does_not),
        cmocka_unit_test(an_unsynced_delete_is_undone_by_a_crash),
        cmocka_unit_test(a_full_store_refuses_a_put),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
