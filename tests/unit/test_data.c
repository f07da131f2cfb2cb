/*
 * test_data: the swarm's data, announce and query (node/data; docs/data.md
 * "The swarm's data: announce and query"), on the real node in the world:
 * a swarm whose peers each know one other fills in to its target through
 * announcements; a query is answered by exactly the peers that hold the
 * block, on a stream by the one connected to the asker and on the result
 * topic by the others; a forged, an unsigned or a borrowed record is
 * dropped while the genuine one is dialed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/time_units.h"
#include "data/announce.h"
#include "crypto/peer_record.h"
#include "data/query.h"
#include "lab/run.h"
#include "store/cid.h"
#include "world/world.h"

#define MS NS_PER_MS
#define S NS_PER_S
#define L (10 * MS)

static world *make_world(uint32_t hosts) {
    world_forbid_global_randomness();
    world_config config = {.host_count = hosts, .seed = 7, .latency = {DIST_CONSTANT, (double)L, 0}};
    world *w = world_create(&config);
    assert_non_null(w);
    for (uint32_t i = 0; i < hosts; i++) assert_int_equal(world_host_up(w, i), 0);
    return w;
}

/* ---- announce: the swarm fills in ---------------------------------------- */

static void a_swarm_whose_peers_know_one_other_fills_in_to_its_target(void **state) {
    (void)state;
    scenario s;
    scenario_defaults(&s);
    snprintf(s.name, sizeof s.name, "test-announce");
    s.duration_ns = 30 * S;
    s.nodes.count = 40;
    s.nodes.join_over_ns = 10 * S;
    s.network.latency = (dist){DIST_CONSTANT, (double)(20 * MS), 0};
    s.network.topology = TOPOLOGY_BOOTSTRAP;
    s.network.bootstrap_count = 1; /* a tree: each peer dials one that joined before it */
    s.protocol.announce = (scenario_announce){.enabled = true, .topic = "swarm/announce", .target = 5};
    s.workload.topic_count = 1;
    snprintf(s.workload.topics[0], SCENARIO_TOPIC_MAX, "blocks");
    s.workload.start_ns = 25 * S; /* the publications are not what this test is about */
    run_options options = {.scenario = &s};
    run_result result;
    char err[256] = "";
    if (run_scenario(&options, &result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
    const run_announce_summary *a = &result.data.announce;
    assert_true(a->enabled);
    assert_int_equal(a->nodes, 40);
    assert_int_equal(a->reached, 40); /* every peer, from one connection to five */
    assert_true(a->share_reached == 1.0);
    assert_int_equal(a->invalid, 0);
    assert_true(a->dials >= 40 * 3 / 2); /* the tree gave 39 edges; 5 each needs about 100 */
    /* The first announcement leaves half a second after the first peer
     * (ANNOUNCE_FIRST_DELAY_NS); it takes a few round trips of 40 ms to
     * dial; no peer needs more than a second or two. */
    assert_true(a->to_target_s_p50 >= 0.5 && a->to_target_s_p50 < 2.0);
    assert_true(a->to_target_s_max < 5.0);
    /* Without announcements the tree stays a tree: no peer past its target. */
    s.protocol.announce.enabled = false;
    if (run_scenario(&options, &result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
    assert_false(result.data.announce.enabled);
}

/* ---- query: answered by the holders ------------------------------------- */

typedef struct answers {
    peer_id from[16];
    size_t count;
    uint64_t first_ns;
    bool done;
    uint32_t done_count;
    world *w;
} answers;

static void got_answer(void *user, uint64_t id, const peer_id *answerer, const uint8_t *value, size_t len) {
    (void)id, (void)value;
    answers *a = user;
    assert_int_equal(len, 0); /* "has CID" answers carry nothing */
    assert_true(a->count < 16);
    if (a->count == 0) a->first_ns = world_now(a->w);
    a->from[a->count++] = *answerer;
}

static void got_done(void *user, uint64_t id, uint32_t count) {
    (void)id;
    answers *a = user;
    a->done = true;
    a->done_count = count;
}

static bool answered_by(const answers *a, const peer_id *id) {
    for (size_t i = 0; i < a->count; i++)
        if (peer_id_equal(&a->from[i], id)) return true;
    return false;
}

static void a_query_is_answered_by_exactly_the_peers_that_hold_the_block(void **state) {
    (void)state;
    enum { HOSTS = 12 };
    world *w = make_world(HOSTS);
    for (uint32_t i = 0; i < HOSTS; i++) world_dial(w, i, (i + 1) % HOSTS); /* a ring */
    world_dial(w, 0, 7);                                                   /* the asker knows one holder */
    query *q[HOSTS];
    query_config qc = {.topic = "q", .result_topic = "r", .reply = QUERY_REPLY_DIRECT};
    for (uint32_t i = 0; i < HOSTS; i++) assert_non_null(q[i] = query_create(world_node(w, i), &qc));
    static const uint8_t block[] = "a block three peers hold";
    const uint32_t holders[] = {3, 7, 10};
    cid c;
    for (size_t h = 0; h < 3; h++)
        assert_int_equal(node_block_put(world_node(w, holders[h]), CID_CODEC_RAW, block, sizeof block, &c), 0);
    world_run(w, 2 * S); /* connected, subscribed */
    uint8_t key[CID_BYTES_MAX];
    size_t key_len = cid_encode(&c, key);
    answers got = {.w = w};
    uint64_t id, asked = world_now(w);
    assert_int_equal(query_ask(q[0], QUERY_HAS_CID, key, key_len, asked + S, got_answer, got_done, &got, &id), 0);
    world_run(w, asked + S / 2);
    assert_false(got.done); /* collecting until the deadline */
    world_run(w, asked + 2 * S);
    assert_true(got.done);
    assert_int_equal(got.done_count, 3);
    assert_int_equal(got.count, 3);
    for (size_t h = 0; h < 3; h++) assert_true(answered_by(&got, world_peer_id(w, holders[h])));
    /* The connected holder answered on a stream: one hop, three one-way
     * latencies with the protocol's negotiation; the others on the topic. */
    query_stats st;
    query_get_stats(q[7], &st);
    assert_int_equal(st.answered, 1);
    assert_int_equal(st.answered_direct, 1);
    query_get_stats(q[3], &st);
    assert_int_equal(st.answered_direct, 0);
    assert_int_equal(st.answered, 1);
    query_get_stats(q[5], &st);
    assert_int_equal(st.answered, 0); /* not a holder: silent */
    query_get_stats(q[0], &st);
    assert_int_equal(st.answers, 3);
    assert_int_equal(st.dropped, 0);
    assert_true(got.first_ns - asked >= 3 * L);
    world_destroy(w);
    for (uint32_t i = 0; i < HOSTS; i++) query_destroy(q[i]);
}

/* ---- announce: hostile records -------------------------------------------- */

static void a_forged_an_unsigned_or_a_borrowed_record_is_ignored_and_a_genuine_one_dialed(void **state) {
    (void)state;
    world *w = make_world(3);
    world_dial(w, 1, 0); /* 0 - 1 - 2: host 0 does not know host 2 */
    world_dial(w, 2, 1);
    announce_config ac = {.topic = "announce", .target = 4};
    announce *a0 = announce_create(world_node(w, 0), &ac);
    assert_non_null(a0);
    node *liar = world_node(w, 1), *honest = world_node(w, 2);
    assert_int_equal(node_subscribe(liar, "announce"), 0);
    assert_int_equal(node_subscribe(honest, "announce"), 0);
    world_run(w, 2 * S);
    announce_stats st;
    announce_get_stats(a0, &st);
    uint64_t invalid_before = st.invalid;

    const uint8_t *record;
    size_t len = node_peer_record(honest, &record);
    assert_true(len > 64);
    uint8_t forged[PEER_RECORD_ENVELOPE_MAX];
    memcpy(forged, record, len);
    forged[len - 1] ^= 1; /* the last byte of the signature */
    static const uint8_t unsigned_bytes[] = "/ip4/10.0.0.3/tcp/4001 trust me";
    assert_int_equal(node_publish(liar, "announce", forged, len), 0);
    assert_int_equal(node_publish(liar, "announce", unsigned_bytes, sizeof unsigned_bytes), 0);
    assert_int_equal(node_publish(liar, "announce", record, len), 0); /* genuine, but not the liar's own */
    world_run(w, 4 * S);
    announce_get_stats(a0, &st);
    assert_int_equal(st.invalid - invalid_before, 3);
    assert_int_equal(st.dials, 0);
    assert_false(world_hosts_connected(w, 0, 2));
    assert_non_null(world_node(w, 1)); /* only messages were dropped: the liar stays connected */
    assert_true(world_hosts_connected(w, 0, 1));

    assert_int_equal(node_publish(honest, "announce", record, len), 0); /* its own: dialed */
    world_run(w, 6 * S);
    announce_get_stats(a0, &st);
    assert_int_equal(st.dials, 1);
    assert_true(world_hosts_connected(w, 0, 2));
    world_destroy(w);
    announce_destroy(a0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_swarm_whose_peers_know_one_other_fills_in_to_its_target),
        cmocka_unit_test(a_query_is_answered_by_exactly_the_peers_that_hold_the_block),
        cmocka_unit_test(a_forged_an_unsigned_or_a_borrowed_record_is_ignored_and_a_genuine_one_dialed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
