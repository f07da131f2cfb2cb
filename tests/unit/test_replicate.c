/*
 * test_replicate: the swarm's data (node/data/replicate.h) between real
 * nodes in the world. A put places r copies on the first r peers of the
 * block's rendezvous ranking, and with r = 3 and a holder offline (the
 * putter too) every get still succeeds; a holder gone longer than the
 * grace is replaced by the next peer of the ranking, and not before; a
 * block whose every holder is offline counts as lost, and is back when a
 * holder (its synced copy) is; a malformed message closes its stream and
 * changes nothing; workload.data in a run: the same seed gives the same
 * digest and the same measures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/time_units.h"
#include "data/replicate.h"
#include "metrics_data.h"
#include "lab/run.h"
#include "lab/run_replicate.h"
#include "scenario/scenario.h"
#include "world/world.h"

#define S NS_PER_S
#define MS NS_PER_MS
#define HOSTS 10
#define GRACE (10 * S)
#define BLOCK_BYTES 4096

/* ---- a small swarm: every host knows every other ------------------------ */

typedef struct swarm {
    world *w;
    replicate_peer peers[HOSTS];
    replicate *reps[HOSTS];
    uint32_t r;
} swarm;

static void swarm_start(swarm *sw, uint32_t host) {
    replicate_config config = {.node = world_node(sw->w, host), .peers = sw->peers, .peer_count = HOSTS,
                               .replication = sw->r, .grace_ns = GRACE};
    replicate_destroy(sw->reps[host]);
    sw->reps[host] = replicate_create(&config);
    assert_non_null(sw->reps[host]);
}

/* HOSTS hosts up, in a ring (so that most pairs are not connected at
 * first: placing and getting must dial), each with its replication. */
static void swarm_make(swarm *sw, uint32_t r, uint64_t seed) {
    memset(sw, 0, sizeof *sw);
    world_forbid_global_randomness();
    world_config config = {.host_count = HOSTS, .seed = seed, .latency = {DIST_CONSTANT, (double)(10 * MS), 0}};
    sw->w = world_create(&config);
    assert_non_null(sw->w);
    sw->r = r;
    for (uint32_t i = 0; i < HOSTS; i++) {
        sw->peers[i].id = *world_peer_id(sw->w, i);
        snprintf(sw->peers[i].addr, sizeof sw->peers[i].addr, "%s", world_address(sw->w, i, true));
        assert_int_equal(world_host_up(sw->w, i), 0);
        swarm_start(sw, i);
    }
    for (uint32_t i = 0; i < HOSTS; i++) assert_int_equal(world_dial(sw->w, i, (i + 1) % HOSTS), 0);
    world_run(sw->w, 1 * S);
}

static void swarm_free(swarm *sw) {
    world_destroy(sw->w);
    for (uint32_t i = 0; i < HOSTS; i++) replicate_destroy(sw->reps[i]);
}

/* Runs the world until `until`, ticking every online host's replication
 * each second, as the runner does. */
static void swarm_run(swarm *sw, uint64_t until) {
    while (world_now(sw->w) < until) {
        uint64_t next = world_now(sw->w) + REPLICATE_TICK_NS;
        world_run(sw->w, next < until ? next : until);
        for (uint32_t i = 0; i < HOSTS; i++)
            if (world_host_online(sw->w, i)) replicate_tick(sw->reps[i], world_now(sw->w));
    }
}

static uint32_t host_of(const swarm *sw, const peer_id *id) {
    for (uint32_t i = 0; i < HOSTS; i++)
        if (peer_id_equal(&sw->peers[i].id, id)) return i;
    fail_msg("a holder that is no host");
    return UINT32_MAX;
}

static bool has_block(swarm *sw, uint32_t host, const cid *c) {
    node *n = world_node(sw->w, host);
    return n != NULL && node_block_has(n, c) == 1;
}

static cid put(swarm *sw, uint32_t host, uint8_t seed) {
    uint8_t data[BLOCK_BYTES];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 13 + seed);
    cid c;
    assert_int_equal(replicate_put(sw->reps[host], world_now(sw->w), data, sizeof data, &c), 0);
    return c;
}

/* A swarm in which putter put one block, 5 s ago: time to place it. */
static cid swarm_with_block(swarm *sw, uint32_t r, uint64_t seed, uint32_t putter) {
    swarm_make(sw, r, seed);
    cid c = put(sw, putter, (uint8_t)seed);
    swarm_run(sw, 5 * S);
    return c;
}

/* The first k hosts of c's ranking, the putter left out. */
static void ranked(const swarm *sw, const cid *c, uint32_t putter, size_t k, uint32_t *out) {
    assert_int_equal(replicate_rank(c, sw->peers, HOSTS, &sw->peers[putter].id, k, out), k);
}

/* ---- rendezvous ---------------------------------------------------------- */

static void the_ranking_orders_peers_by_their_weight_for_the_cid(void **state) {
    (void)state;
    swarm sw;
    swarm_make(&sw, 3, 1);
    cid c;
    cid_of(&c, CID_CODEC_RAW, (const uint8_t *)"x", 1);
    uint32_t all[HOSTS];
    assert_int_equal(replicate_rank(&c, sw.peers, HOSTS, NULL, HOSTS, all), HOSTS);
    for (size_t i = 1; i < HOSTS; i++)
        assert_true(replicate_weight(&c, &sw.peers[all[i - 1]].id) > replicate_weight(&c, &sw.peers[all[i]].id));
    /* Leaving a peer out shifts the rest up, in the same order. */
    uint32_t without[HOSTS - 1];
    assert_int_equal(replicate_rank(&c, sw.peers, HOSTS, &sw.peers[all[0]].id, HOSTS, without), HOSTS - 1);
    assert_memory_equal(without, all + 1, sizeof without);
    /* Another CID, another order: the load spreads. */
    cid d;
    cid_of(&d, CID_CODEC_RAW, (const uint8_t *)"y", 1);
    uint32_t other[HOSTS];
    replicate_rank(&d, sw.peers, HOSTS, NULL, HOSTS, other);
    assert_memory_not_equal(other, all, sizeof all);
    swarm_free(&sw);
}

/* ---- placing and getting -------------------------------------------------- */

typedef struct answers {
    data_metrics *m;
    world *w;
    int calls;
} answers;

static void on_get(void *user, const cid *c, bool ok) {
    (void)c;
    answers *a = user;
    data_metrics_got(a->m, (uint64_t)a->calls++, world_now(a->w), ok);
}

static void with_r3_and_a_holder_offline_every_get_succeeds(void **state) {
    (void)state;
    swarm sw;
    const uint32_t putter = 0;
    cid c = swarm_with_block(&sw, 3, 2, putter);
    uint32_t holders[3];
    ranked(&sw, &c, putter, 3, holders);
    /* The copies are on the first three peers of the ranking, and only there. */
    for (uint32_t i = 0; i < HOSTS; i++) {
        bool holder = i == putter || i == holders[0] || i == holders[1] || i == holders[2];
        if (has_block(&sw, i, &c) != holder) fail_msg("host %u: has %d, holder %d", i, has_block(&sw, i, &c), holder);
    }
    peer_id named[REPLICATE_HOLDERS_MAX];
    assert_int_equal(replicate_holders(sw.reps[putter], &c, named, REPLICATE_HOLDERS_MAX), 3);
    for (size_t k = 0; k < 3; k++) assert_int_equal(host_of(&sw, &named[k]), holders[k]);
    replicate_stats stats;
    replicate_get_stats(sw.reps[holders[0]], &stats);
    assert_int_equal(stats.placed, 1);
    assert_int_equal(stats.place_bytes, BLOCK_BYTES); /* the block it fetched; it sent no message */
    /* The first holder goes down, and the putter with it: two copies are left. */
    world_host_down(sw.w, holders[0]);
    world_host_down(sw.w, putter);
    answers a = {.m = data_metrics_create(10 * S, 1 * S, HOSTS), .w = sw.w};
    int asked = 0;
    for (uint32_t i = 0; i < HOSTS; i++) {
        if (!world_host_online(sw.w, i) || has_block(&sw, i, &c)) continue;
        assert_int_equal(data_metrics_get(a.m, world_now(sw.w)), asked++);
        assert_int_equal(replicate_get(sw.reps[i], &c, on_get, &a), 0);
    }
    assert_int_equal(asked, HOSTS - 4);
    swarm_run(&sw, world_now(sw.w) + 5 * S);
    assert_int_equal(a.calls, asked);
    data_metrics_finish(a.m, world_now(sw.w) + 10 * S);
    data_summary s;
    data_metrics_get_summary(a.m, &s);
    assert_int_equal(s.gets, asked);
    assert_true(s.availability == 1.0);
    assert_true(s.latency_p99_ms < 1000); /* a few round trips of 20 ms, dials included */
    /* A get is a read: the getters keep no copy. */
    for (uint32_t i = 0; i < HOSTS; i++)
        if (i != holders[1] && i != holders[2]) assert_false(has_block(&sw, i, &c));
    data_metrics_destroy(a.m);
    swarm_free(&sw);
}

/* ---- repair ---------------------------------------------------------------- */

static void a_holder_gone_past_the_grace_is_replaced_by_the_next_ranked_peer(void **state) {
    (void)state;
    swarm sw;
    const uint32_t putter = 0;
    cid c = swarm_with_block(&sw, 3, 3, putter);
    uint32_t order[4];
    ranked(&sw, &c, putter, 4, order); /* three holders, and the one next in line */
    uint32_t gone = order[1], next = order[3];
    assert_true(has_block(&sw, gone, &c));
    assert_false(has_block(&sw, next, &c));
    uint64_t down_at = world_now(sw.w) + 500 * MS;
    swarm_run(&sw, down_at);
    world_host_down(sw.w, gone);
    /* Within the grace: nobody replaces it. */
    swarm_run(&sw, down_at + GRACE - 2 * S);
    assert_false(has_block(&sw, next, &c));
    peer_id named[REPLICATE_HOLDERS_MAX];
    size_t count = replicate_holders(sw.reps[putter], &c, named, REPLICATE_HOLDERS_MAX);
    bool still_named = false;
    for (size_t k = 0; k < count; k++) still_named = still_named || host_of(&sw, &named[k]) == gone;
    assert_true(still_named);
    /* Past the grace: the next peer of the ranking holds it, and the
     * records name it instead of the gone one. */
    swarm_run(&sw, down_at + GRACE + 3 * S);
    assert_true(has_block(&sw, next, &c));
    count = replicate_holders(sw.reps[putter], &c, named, REPLICATE_HOLDERS_MAX);
    assert_int_equal(count, 3);
    bool names_next = false;
    for (size_t k = 0; k < count; k++) {
        assert_int_not_equal(host_of(&sw, &named[k]), gone);
        names_next = names_next || host_of(&sw, &named[k]) == next;
    }
    assert_true(names_next);
    replicate_stats stats;
    replicate_get_stats(sw.reps[next], &stats);
    assert_int_equal(stats.repaired, 1);
    assert_int_equal(stats.repair_bytes, BLOCK_BYTES);
    /* Every other peer still lacks it: the holders that repaired chose the same one. */
    for (uint32_t i = 0; i < HOSTS; i++) {
        bool holder = i == putter || i == order[0] || i == order[2] || i == next;
        if (i != gone && has_block(&sw, i, &c) != holder) fail_msg("host %u: %d", i, has_block(&sw, i, &c));
    }
    swarm_free(&sw);
}

static void a_holder_offline_when_chosen_is_replaced_in_seconds_not_a_grace(void **state) {
    (void)state;
    swarm sw;
    swarm_make(&sw, 1, 6);
    const uint32_t putter = 2;
    uint8_t data[BLOCK_BYTES] = {42};
    cid c;
    cid_of(&c, CID_CODEC_RAW, data, sizeof data);
    uint32_t order[2];
    ranked(&sw, &c, putter, 2, order);
    world_host_down(sw.w, order[0]); /* the first choice is offline at the put */
    uint64_t put_at = world_now(sw.w);
    assert_int_equal(replicate_put(sw.reps[putter], put_at, data, sizeof data, &c), 0);
    swarm_run(&sw, put_at + REPLICATE_PLACE_TIMEOUT_NS - 1 * S);
    assert_false(has_block(&sw, order[1], &c));
    swarm_run(&sw, put_at + REPLICATE_PLACE_TIMEOUT_NS + 3 * S);
    assert_true(REPLICATE_PLACE_TIMEOUT_NS + 3 * S < GRACE);
    assert_true(has_block(&sw, order[1], &c)); /* the next of the ranking, where getters look */
    swarm_free(&sw);
}

/* ---- lost blocks ------------------------------------------------------------ */

static void a_block_whose_every_holder_is_offline_is_lost(void **state) {
    (void)state;
    swarm sw;
    const uint32_t putter = 5;
    cid c = swarm_with_block(&sw, 1, 4, putter);
    uint32_t holder;
    ranked(&sw, &c, putter, 1, &holder);
    assert_int_equal(run_replicate_blocks_lost(sw.w, HOSTS, &c, 1), 0);
    world_host_down(sw.w, putter);
    assert_int_equal(run_replicate_blocks_lost(sw.w, HOSTS, &c, 1), 0); /* one copy is left */
    world_host_down(sw.w, holder);
    assert_int_equal(run_replicate_blocks_lost(sw.w, HOSTS, &c, 1), 1);
    /* The holder synced its copy: it comes back with it. */
    assert_int_equal(world_host_up(sw.w, holder), 0);
    swarm_start(&sw, holder);
    assert_int_equal(run_replicate_blocks_lost(sw.w, HOSTS, &c, 1), 0);
    swarm_free(&sw);
}

/* ---- hostile input ----------------------------------------------------------- */

static void a_malformed_message_closes_its_stream_and_changes_nothing(void **state) {
    (void)state;
    swarm sw;
    swarm_make(&sw, 2, 5);
    /* Host 1 opens the protocol to host 0 by hand and writes garbage on it
     * (its own replication has no message waiting for that stream). */
    node *sender = world_node(sw.w, 1);
    node_stream_handle stream;
    assert_int_equal(node_open_stream(sender, &sw.peers[0].id, REPLICATE_PROTOCOL, &stream), 0);
    world_run(sw.w, world_now(sw.w) + 1 * S);
    const uint8_t bad[] = {REPLICATE_PLACE, 36, 0x01, 0x55}; /* a CID cut short */
    assert_int_equal(node_stream_send(sender, stream, bad, sizeof bad), 0);
    world_run(sw.w, world_now(sw.w) + 1 * S);
    replicate_stats stats;
    replicate_get_stats(sw.reps[0], &stats);
    assert_int_equal(stats.bad_messages, 1);
    assert_int_equal(stats.placed, 0);
    assert_true(node_is_connected(world_node(sw.w, 0), &sw.peers[1].id)); /* the peer stays */
    swarm_free(&sw);
}

/* ---- in a run ------------------------------------------------------------------ */

static void run_small(run_result *result) {
    static scenario s;
    char err[SCENARIO_ERROR_MAX];
    const char *overrides[] = {"nodes.count=30", "duration=90s", "workload.stop=85s", "workload.data.get_rate=5/s"};
    if (scenario_load("scenarios/data-churn.yaml", overrides, 4, &s, err, sizeof err) != 0) fail_msg("%s", err);
    run_options options = {.scenario = &s};
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("%s", err);
}

static void a_data_run_is_deterministic_and_measures_its_gets(void **state) {
    (void)state;
    static run_result a, b;
    run_small(&a);
    run_small(&b);
    assert_string_equal(a.digest, b.digest);
    assert_true(a.has_replication);
    assert_memory_equal(&a.replication, &b.replication, sizeof a.replication);
    /* put_rate 1/s from 30 s to 85 s, gets at 5/s whose deadline is in the run */
    assert_in_range(a.replication.totals.blocks_put, 40, 75);
    assert_in_range(a.replication.gets, 150, 330);
    assert_true(a.replication.availability > 0.9);
    assert_true(a.replication.totals.replication_bytes >= a.replication.totals.blocks_put * BLOCK_BYTES);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_ranking_orders_peers_by_their_weight_for_the_cid),
        cmocka_unit_test(with_r3_and_a_holder_offline_every_get_succeeds),
        cmocka_unit_test(a_holder_gone_past_the_grace_is_replaced_by_the_next_ranked_peer),
        cmocka_unit_test(a_holder_offline_when_chosen_is_replaced_in_seconds_not_a_grace),
        cmocka_unit_test(a_block_whose_every_holder_is_offline_is_lost),
        cmocka_unit_test(a_malformed_message_closes_its_stream_and_changes_nothing),
        cmocka_unit_test(a_data_run_is_deterministic_and_measures_its_gets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
