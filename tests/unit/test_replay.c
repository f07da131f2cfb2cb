/*
 * test_replay: a message is delivered once, however it comes back. The
 * seen cache keeps every id for its whole time to live, so that a replay
 * inside the seen window is a duplicate even after more ids than the old
 * 65,536-id cache held (issue 19, defect 4); a full cache ignores new
 * messages rather than forget. Beyond the window, the seqno validator
 * (pubsub_options.seqno_validator, off by default) ignores a message at or
 * below the highest seqno accepted from its origin, remembering a bounded
 * number of origins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "gossipsub_net.h"
#include "pubsub/floodsub.h"

#define FILLERS 70000 /* more ids than the cache of 65,536 that forgot the oldest */

/* Router 0 and raw peer 1, which publishes its own messages to it. */
static gnet *pair_with(const pubsub_options *options) {
    gossipsub_config config;
    gnet_default_config(&config);
    gnet *w = gnet_new_with(2, 1, &config, options);
    gnet_connect(w, 0, 1);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_drain(w);
    return w;
}

static gnet *pair(void) { return pair_with(NULL); }

static void a_replay_after_70000_fillers_is_not_delivered_again(void **state) {
    (void)state;
    gnet *w = pair();
    w->now = 1 * SEC;
    gnet_raw_publish(w, 1, 0, 1, "first", false);
    assert_int_equal(w->nodes[0].delivered, 1);
    for (uint64_t seqno = 2; seqno < 2 + FILLERS; seqno++) gnet_raw_publish(w, 1, 0, seqno, "filler", false);
    assert_int_equal(w->nodes[0].delivered, 1 + FILLERS);
    w->now = 60 * SEC; /* well inside the first message's 120 s */
    int duplicates = w->nodes[0].traces[TRACE_DUPLICATE_MESSAGE];
    gnet_raw_publish(w, 1, 0, 1, "first", false);
    assert_int_equal(w->nodes[0].delivered, 1 + FILLERS);
    assert_int_equal(w->nodes[0].traces[TRACE_DUPLICATE_MESSAGE], duplicates + 1);
    gnet_free(w);
}

/* A cache of 256 ids (its smallest budget) full of live ids ignores the
 * 257th message, traced, and takes it once the first ids expired. */
static void a_full_seen_cache_ignores_new_messages(void **state) {
    (void)state;
    pubsub_options options = {.seen_max_bytes = PUBSUB_SEEN_MAX_BYTES_MIN};
    gnet *w = pair_with(&options);
    w->now = 1 * SEC;
    for (uint64_t seqno = 1; seqno <= 256; seqno++) gnet_raw_publish(w, 1, 0, seqno, "filler", false);
    assert_int_equal(w->nodes[0].delivered, 256);
    gnet_raw_publish(w, 1, 0, 257, "one too many", false);
    assert_int_equal(w->nodes[0].delivered, 256);
    assert_int_equal(w->nodes[0].traces[TRACE_REJECT_MESSAGE], 1);
    w->now = 1 * SEC + SEEN_CACHE_TTL_NS;
    gnet_raw_publish(w, 1, 0, 258, "room again", false);
    assert_int_equal(w->nodes[0].delivered, 257);
    assert_int_equal(w->nodes[0].traces[TRACE_REJECT_MESSAGE], 1);
    gnet_free(w);
}

/* Replay after the window: seqnos 5 and 6 at 1 s, and 5 again at 200 s,
 * long after the seen cache forgot it. */
static int replayed_after_the_window(gnet *w) {
    w->now = 1 * SEC;
    gnet_raw_publish(w, 1, 0, 5, "five", false);
    gnet_raw_publish(w, 1, 0, 6, "six", false);
    assert_int_equal(w->nodes[0].delivered, 2);
    w->now = 200 * SEC;
    gnet_raw_publish(w, 1, 0, 5, "five", false);
    return w->nodes[0].delivered - 2;
}

static void without_the_validator_a_replay_after_the_window_is_delivered(void **state) {
    (void)state;
    gnet *w = pair();
    assert_int_equal(replayed_after_the_window(w), 1);
    gnet_free(w);
}

static void the_seqno_validator_ignores_an_old_seqno_and_takes_higher_ones(void **state) {
    (void)state;
    pubsub_options options = {.seqno_validator = true};
    gnet *w = pair_with(&options);
    assert_int_equal(replayed_after_the_window(w), 0);
    assert_int_equal(w->nodes[0].traces[TRACE_REJECT_MESSAGE], 1); /* ignored, traced */
    gnet_raw_publish(w, 1, 0, 6, "six", false); /* at the highest: a replay too */
    assert_int_equal(w->nodes[0].delivered, 2);
    assert_int_equal(w->nodes[0].traces[TRACE_REJECT_MESSAGE], 2);
    gnet_raw_publish(w, 1, 0, 7, "seven", false);
    gnet_raw_publish(w, 1, 0, 9, "nine", false); /* gaps are fine */
    assert_int_equal(w->nodes[0].delivered, 4);
    assert_true(gossipsub_peer_score(w->nodes[0].gs, 1) >= 0.0); /* IGNORE costs no score */
    gnet_free(w);
}

/* A message the application ignores does not raise its origin's seqno. */
static void only_accepted_messages_raise_the_origin_seqno(void **state) {
    (void)state;
    pubsub_options options = {.seqno_validator = true};
    gnet *w = pair_with(&options);
    w->now = 1 * SEC;
    w->nodes[0].verdict = PUBSUB_IGNORE;
    gnet_raw_publish(w, 1, 0, 10, "ten", false);
    w->nodes[0].verdict = PUBSUB_ACCEPT;
    gnet_raw_publish(w, 1, 0, 3, "three", false);
    assert_int_equal(w->nodes[0].delivered, 1);
    gnet_free(w);
}

/* ---- floodsub: the same core, the same validator ---------------------- */

static int flood_delivered;
static uint64_t flood_now;

static uint64_t flood_host_now(void *user) {
    (void)user;
    return flood_now;
}

static int flood_host_send(void *user, uint32_t peer, const uint8_t *rpc, size_t len) {
    (void)user, (void)peer, (void)rpc, (void)len;
    return 0;
}

static void flood_host_deliver(void *user, const pubsub_message *msg) {
    (void)user, (void)msg;
    flood_delivered++;
}

/* origin's signed message (seqno) reaches the floodsub core from peer 1. */
static void flood_receive(pubsub_core *ps, const identity *origin, const peer_id *pid, uint64_t seqno) {
    pubsub_outgoing out;
    assert_int_equal(pubsub_message_make(&out, origin, pid, seqno, TOPIC, (const uint8_t *)"x", 1), 0);
    uint8_t rpc[512];
    size_t len = pubsub_rpc_encode(NULL, 0, &out.msg, 1, rpc, sizeof rpc);
    assert_true(len > 0);
    assert_int_equal(pubsub_handle_rpc(ps, 1, rpc, len), 0);
}

static void floodsub_runs_the_seqno_validator_too(void **state) {
    (void)state;
    identity self, origin;
    uint8_t seed[IDENTITY_SEED_BYTES] = {1};
    identity_from_seed(&self, seed);
    seed[0] = 2;
    identity_from_seed(&origin, seed);
    peer_id pid;
    peer_id_from_public_key(origin.public_key, &pid);
    pubsub_host host = {.now_ns = flood_host_now, .send = flood_host_send, .deliver = flood_host_deliver};
    pubsub_options options = {.seqno_validator = true};
    uint8_t seen_key[SEEN_CACHE_KEY_BYTES] = {3};
    pubsub_core *ps = floodsub_create(&host, &options, PUBSUB_MESSAGE_ID_FROM_SEQNO, &self, 1, seen_key);
    assert_non_null(ps);
    assert_int_equal(pubsub_add_peer(ps, 1, &pid, FLOODSUB_PROTOCOL, false, 0), 0);
    assert_int_equal(pubsub_subscribe(ps, TOPIC), 0);
    flood_delivered = 0;
    flood_now = 1 * SEC;
    flood_receive(ps, &origin, &pid, 5);
    flood_now = 200 * SEC; /* past the seen window */
    flood_receive(ps, &origin, &pid, 5);
    assert_int_equal(flood_delivered, 1);
    flood_receive(ps, &origin, &pid, 6);
    assert_int_equal(flood_delivered, 2);
    pubsub_destroy(ps);
}

static void id_of(uint32_t n, uint8_t id[4]) {
    for (int i = 0; i < 4; i++) id[i] = (uint8_t)(n >> (8 * i));
}

/* The table of origins holds origins_max; one more forgets the origin
 * added first, whose old seqnos pass again, and no other's. */
static void the_origin_table_is_bounded_and_forgets_the_oldest_origin(void **state) {
    (void)state;
    static const uint8_t key[FP_TABLE_KEY_BYTES] = {7};
    enum { ORIGINS = 64 };
    seqno_table t;
    assert_int_equal(seqno_table_init(&t, ORIGINS, key), 0);
    uint8_t origin[4];
    for (uint32_t n = 0; n <= ORIGINS; n++) {
        id_of(n, origin);
        assert_int_equal(seqno_table_accept(&t, origin, 4, 100), 0);
    }
    assert_int_equal(seqno_table_size(&t), ORIGINS);
    assert_int_equal(t.forgotten, 1);
    id_of(0, origin);
    assert_true(seqno_table_is_new(&t, origin, 4, 50)); /* forgotten */
    for (uint32_t n = 1; n <= ORIGINS; n++) {
        id_of(n, origin);
        assert_false(seqno_table_is_new(&t, origin, 4, 100));
        assert_true(seqno_table_is_new(&t, origin, 4, 101));
    }
    id_of(1, origin);
    assert_int_equal(seqno_table_accept(&t, origin, 4, 99), 0); /* lower: kept at 100 */
    assert_false(seqno_table_is_new(&t, origin, 4, 100));
    seqno_table_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_replay_after_70000_fillers_is_not_delivered_again),
        cmocka_unit_test(a_full_seen_cache_ignores_new_messages),
        cmocka_unit_test(without_the_validator_a_replay_after_the_window_is_delivered),
        cmocka_unit_test(the_seqno_validator_ignores_an_old_seqno_and_takes_higher_ones),
        cmocka_unit_test(only_accepted_messages_raise_the_origin_seqno),
        cmocka_unit_test(floodsub_runs_the_seqno_validator_too),
        cmocka_unit_test(the_origin_table_is_bounded_and_forgets_the_oldest_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
