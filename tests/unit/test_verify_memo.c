/*
 * test_verify_memo: the world's verification memo (sim/world/verify_memo.h).
 * Its verdicts are ed25519_verify's; a changed byte of key, message or
 * signature (or a changed length) never hits the verdict of the original;
 * a full memo forgets in insertion order; and whole runs (gossipsub, and
 * floodsub with a forging attacker, so invalid verdicts are remembered too)
 * give the same digest with the memo on and off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/time_units.h"
#include "crypto/ed25519_verify.h"
#include "lab/run.h"
#include "world/verify_memo.h"

#define MSG_BYTES 100

typedef struct signed_msg {
    uint8_t pk[32], sk[64], sig[64], msg[MSG_BYTES + 1];
} signed_msg;

static void make_signed(signed_msg *s, uint8_t tag) {
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    crypto_sign_seed_keypair(s->pk, s->sk, seed);
    for (size_t i = 0; i < sizeof s->msg; i++) s->msg[i] = (uint8_t)(i * 7 + tag);
    crypto_sign_detached(s->sig, NULL, s->msg, MSG_BYTES, s->sk);
}

static verify_memo_stats stats_of(const verify_memo *m) {
    verify_memo_stats st;
    verify_memo_get_stats(m, &st);
    return st;
}

/* Checks (pk, msg, len, sig), expecting a miss and ed25519_verify's verdict. */
static void expect_miss(verify_memo *m, const uint8_t *pk, const uint8_t *msg, size_t len, const uint8_t *sig) {
    verify_memo_stats before = stats_of(m);
    int verdict = verify_memo_check(m, pk, msg, len, sig);
    verify_memo_stats after = stats_of(m);
    assert_int_equal(after.hits, before.hits);
    assert_int_equal(after.misses, before.misses + 1);
    assert_int_equal(verdict, ed25519_verify(pk, msg, len, sig) == 0 ? 0 : -1);
}

static void expect_hit(verify_memo *m, const uint8_t *pk, const uint8_t *msg, size_t len, const uint8_t *sig,
                       int verdict) {
    verify_memo_stats before = stats_of(m);
    assert_int_equal(verify_memo_check(m, pk, msg, len, sig), verdict);
    assert_int_equal(stats_of(m).hits, before.hits + 1);
}

static void a_repeated_check_hits_with_the_same_verdict(void **state) {
    (void)state;
    verify_memo *m = verify_memo_create(0);
    assert_non_null(m);
    signed_msg s;
    make_signed(&s, 1);
    expect_miss(m, s.pk, s.msg, MSG_BYTES, s.sig);
    expect_hit(m, s.pk, s.msg, MSG_BYTES, s.sig, 0);
    expect_hit(m, s.pk, s.msg, MSG_BYTES, s.sig, 0);
    s.sig[0] ^= 1; /* an invalid signature's verdict is remembered too */
    expect_miss(m, s.pk, s.msg, MSG_BYTES, s.sig);
    expect_hit(m, s.pk, s.msg, MSG_BYTES, s.sig, -1);
    verify_memo_stats st = stats_of(m);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.capacity, VERIFY_MEMO_ENTRIES);
    verify_memo_destroy(m);
}

/* Every single-bit change of every byte of the key, the signature and the
 * message, and the message one byte shorter or longer: each is a miss
 * (never the original's verdict from the memo) with ed25519_verify's
 * answer, and the original still hits afterwards. */
static void a_changed_byte_never_hits(void **state) {
    (void)state;
    verify_memo *m = verify_memo_create(0);
    assert_non_null(m);
    signed_msg s;
    make_signed(&s, 2);
    expect_miss(m, s.pk, s.msg, MSG_BYTES, s.sig);
    for (int bit = 0; bit < 8; bit += 7) {
        for (size_t i = 0; i < sizeof s.pk; i++) {
            s.pk[i] ^= (uint8_t)(1u << bit);
            expect_miss(m, s.pk, s.msg, MSG_BYTES, s.sig);
            s.pk[i] ^= (uint8_t)(1u << bit);
        }
        for (size_t i = 0; i < sizeof s.sig; i++) {
            s.sig[i] ^= (uint8_t)(1u << bit);
            expect_miss(m, s.pk, s.msg, MSG_BYTES, s.sig);
            s.sig[i] ^= (uint8_t)(1u << bit);
        }
        for (size_t i = 0; i < MSG_BYTES; i++) {
            s.msg[i] ^= (uint8_t)(1u << bit);
            expect_miss(m, s.pk, s.msg, MSG_BYTES, s.sig);
            s.msg[i] ^= (uint8_t)(1u << bit);
        }
    }
    expect_miss(m, s.pk, s.msg, MSG_BYTES - 1, s.sig);
    expect_miss(m, s.pk, s.msg, MSG_BYTES + 1, s.sig);
    expect_hit(m, s.pk, s.msg, MSG_BYTES, s.sig, 0);
    verify_memo_destroy(m);
}

static void a_full_memo_forgets_the_oldest_first(void **state) {
    (void)state;
    verify_memo *m = verify_memo_create(3);
    assert_non_null(m);
    static signed_msg s[4];
    for (uint8_t i = 0; i < 4; i++) make_signed(&s[i], (uint8_t)(10 + i));
    for (int i = 0; i < 3; i++) expect_miss(m, s[i].pk, s[i].msg, MSG_BYTES, s[i].sig);
    expect_hit(m, s[0].pk, s[0].msg, MSG_BYTES, s[0].sig, 0); /* a hit does not refresh it */
    expect_miss(m, s[3].pk, s[3].msg, MSG_BYTES, s[3].sig);   /* evicts s[0] */
    assert_int_equal(stats_of(m).entries, 3);
    expect_hit(m, s[1].pk, s[1].msg, MSG_BYTES, s[1].sig, 0);
    expect_hit(m, s[2].pk, s[2].msg, MSG_BYTES, s[2].sig, 0);
    expect_hit(m, s[3].pk, s[3].msg, MSG_BYTES, s[3].sig, 0);
    expect_miss(m, s[0].pk, s[0].msg, MSG_BYTES, s[0].sig); /* evicts s[1] */
    expect_miss(m, s[1].pk, s[1].msg, MSG_BYTES, s[1].sig); /* evicts s[2] */
    expect_hit(m, s[3].pk, s[3].msg, MSG_BYTES, s[3].sig, 0);
    expect_hit(m, s[0].pk, s[0].msg, MSG_BYTES, s[0].sig, 0);
    verify_memo_destroy(m);
}

/* ---- whole runs ------------------------------------------------------- */

static void make_scenario(scenario *s, router_kind router) {
    scenario_defaults(s);
    snprintf(s->name, sizeof s->name, "test-verify-memo");
    s->seed = 5;
    s->duration_ns = 20 * NS_PER_S;
    s->nodes.count = 40;
    s->network.latency = (dist){DIST_UNIFORM, 10.0 * NS_PER_MS, 40.0 * NS_PER_MS};
    s->network.topology = TOPOLOGY_RANDOM_REGULAR;
    s->network.degree = 8;
    s->protocol.router = router;
    s->workload.topic_count = 1;
    snprintf(s->workload.topics[0], SCENARIO_TOPIC_MAX, "t");
    s->workload.subscribers = (selector){.kind = SELECT_ALL};
    s->workload.publishers = (selector){.kind = SELECT_COUNT, .count = 5};
    s->workload.rate_per_s = 4;
    s->workload.size_bytes = 512;
    s->workload.start_ns = 3 * NS_PER_S;
    s->workload.stop_ns = 15 * NS_PER_S;
}

static void run_with_memo(scenario *s, bool memo, run_result *result) {
    s->world.verify_memo = memo;
    run_options options = {.scenario = s};
    char err[256] = "";
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
    assert_int_equal(result->verify_memo, memo);
}

static void same_digest_on_and_off(scenario *s) {
    static run_result on, off;
    run_with_memo(s, true, &on);
    run_with_memo(s, false, &off);
    assert_string_equal(on.digest, off.digest);
    assert_int_equal(on.trace_events, off.trace_events);
    assert_true(on.messages_published > 0);
    /* One miss per distinct (key, message, signature); each node after the first hits. */
    assert_true(on.verify_memo_counts.misses >= on.messages_published);
    assert_true(on.verify_memo_counts.hits > on.verify_memo_counts.misses);
    assert_int_equal(off.verify_memo_counts.hits + off.verify_memo_counts.misses, 0);
}

static void gossipsub_digest_is_the_same_with_the_memo_on_and_off(void **state) {
    (void)state;
    static scenario s;
    make_scenario(&s, ROUTER_GOSSIPSUB);
    same_digest_on_and_off(&s);
}

static void forged_messages_digest_is_the_same_with_the_memo_on_and_off(void **state) {
    (void)state;
    static scenario s;
    make_scenario(&s, ROUTER_FLOODSUB);
    s.attacker_count = 1;
    s.attackers[0] = (attacker){.kind = "forge", .count = 2, .rate_per_s = 3, .target = -1, .class_index = -1};
    same_digest_on_and_off(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_repeated_check_hits_with_the_same_verdict),
        cmocka_unit_test(a_changed_byte_never_hits),
        cmocka_unit_test(a_full_memo_forgets_the_oldest_first),
        cmocka_unit_test(gossipsub_digest_is_the_same_with_the_memo_on_and_off),
        cmocka_unit_test(forged_messages_digest_is_the_same_with_the_memo_on_and_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
