/*
 * test_world: the physics of the virtual network, checked against the
 * numbers they must produce: what a dial costs, how long bytes take at a
 * given bandwidth, what loss does, and what a host failure resets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "world.h"

#define MS 1000000ull
#define L (10 * MS)

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_upgrade_costs_eight_one_way_latencies_at_the_dialer),
        cmocka_unit_test(one_hop_takes_latency_plus_serialization_of_the_framed_bytes),
        cmocka_unit_test(the_slower_link_sets_the_pace),
        cmocka_unit_test(loss_delays_bytes_by_round_trips_and_keeps_order),
        cmocka_unit_test(a_failed_host_resets_its_connections_and_keeps_its_identity),
        cmocka_unit_test(a_dial_to_a_host_that_is_down_fails_after_a_round_trip),
        cmocka_unit_test(per_pair_latency_is_stable_and_symmetric),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
