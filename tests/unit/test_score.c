/*
 * test_score: GossipSub v1.1 peer scoring (gossipsub-v1.1.md, "Peer
 * Scoring"). Each test switches on only the score component it specifies,
 * so that the expected score can be worked out by hand in its comment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/time_units.h"
#include "pubsub/score.h"

#define S NS_PER_S
#define MS NS_PER_MS
#define EPSILON 1e-9
#define TOPIC "blocks"
#define IP_A 0x0a000001u /* 10.0.0.1 */
#define IP_B 0x0a000002u /* 10.0.0.2 */

static void assert_close(double actual, double expected) {
    double diff = actual > expected ? actual - expected : expected - actual;
    if (diff > EPSILON) fail_msg("score %.12f, expected %.12f", actual, expected);
}

static peer_id peer_named(uint8_t n) {
    peer_id id;
    memset(&id, 0, sizeof id);
    id.bytes[0] = n;
    id.len = 1;
    return id;
}

/* Global parameters with every weight off: decay every 1 s, zero below 0.1. */
static score_params params_quiet(void) {
    score_params p;
    memset(&p, 0, sizeof p);
    p.decay_interval_ns = 1 * S;
    p.decay_to_zero = 0.1;
    p.retain_score_ns = 10 * S;
    p.ip_colocation_factor_threshold = 1.0;
    return p;
}

/* Topic parameters with topic weight 1 and every component weight off. */
static score_topic_params topic_quiet(void) {
    score_topic_params t;
    memset(&t, 0, sizeof t);
    t.topic_weight = 1.0;
    t.time_in_mesh_quantum_ns = 1 * S;
    t.mesh_message_deliveries_window_ns = 10 * MS;
    return t;
}

/* A table with TOPIC configured and peer handle 1 connected from IP_A at 0. */
static score *score_with(const score_params *p, const score_topic_params *t) {
    score *s = score_create(p, 64, 0);
    assert_non_null(s);
    assert_int_equal(score_set_topic(s, TOPIC, t), 0);
    peer_id id = peer_named(1);
    assert_int_equal(score_add_peer(s, 1, &id, IP_A, 0), 0);
    return s;
}

static void defaults_are_valid_and_come_from_rust_and_go_libp2p(void **state) {
    (void)state;
    score_params p;
    score_topic_params t;
    score_thresholds th;
    score_params_default(&p);
    score_topic_params_default(&t);
    score_thresholds_default(&th);
    assert_int_equal(score_params_validate(&p), 0);
    assert_int_equal(score_topic_params_validate(&t), 0);
    assert_int_equal(score_thresholds_validate(&th), 0);
    assert_close(p.topic_score_cap, 3600.0);
    assert_true(p.decay_interval_ns == 1 * S);
    assert_close(p.decay_to_zero, 0.01);
    assert_true(p.retain_score_ns == 3600 * S);
    assert_close(t.mesh_message_deliveries_threshold, 20.0);
    assert_true(t.mesh_message_deliveries_activation_ns == 5 * S);
    assert_close(th.gossip, -10.0);
    assert_close(th.publish, -50.0);
    assert_close(th.graylist, -80.0);
    assert_close(th.accept_px, 10.0);
    assert_close(th.opportunistic_graft, 20.0);
}

/* gossip <= 0, publish <= gossip, graylist <= publish, accept_px >= 0,
 * opportunistic_graft >= 0; each broken in turn is refused. */
static void thresholds_out_of_order_are_refused(void **state) {
    (void)state;
    score_thresholds ok, bad;
    score_thresholds_default(&ok);
    bad = ok;
    bad.gossip = 1.0;
    assert_int_equal(score_thresholds_validate(&bad), -1);
    bad = ok;
    bad.publish = ok.gossip + 1.0;
    assert_int_equal(score_thresholds_validate(&bad), -1);
    bad = ok;
    bad.graylist = ok.publish + 1.0;
    assert_int_equal(score_thresholds_validate(&bad), -1);
    bad = ok;
    bad.accept_px = -1.0;
    assert_int_equal(score_thresholds_validate(&bad), -1);
    bad = ok;
    bad.opportunistic_graft = -1.0;
    assert_int_equal(score_thresholds_validate(&bad), -1);
}

static void invalid_parameters_are_refused(void **state) {
    (void)state;
    score_params p = params_quiet();
    p.ip_colocation_factor_weight = 1.0; /* must be <= 0 */
    assert_null(score_create(&p, 8, 0));
    p = params_quiet();
    p.decay_to_zero = 1.0; /* must be in (0, 1) */
    assert_int_equal(score_params_validate(&p), -1);
    p = params_quiet();
    assert_null(score_create(&p, 0, 0));
    assert_null(score_create(&p, SCORE_PEERS_MAX + 1, 0));

    score_topic_params t = topic_quiet();
    t.mesh_message_deliveries_weight = -1.0;
    t.mesh_message_deliveries_decay = 0.5;
    t.mesh_message_deliveries_threshold = 10.0;
    t.mesh_message_deliveries_cap = 5.0; /* cap must be >= threshold */
    assert_int_equal(score_topic_params_validate(&t), -1);
    t = topic_quiet();
    t.time_in_mesh_quantum_ns = 0;
    assert_int_equal(score_topic_params_validate(&t), -1);
}

/* w1 = 0.5, quantum 1 s, cap 10. Grafted at 0: at 3.5 s P1 = 3 whole
 * quanta, score 0.5 * 3 = 1.5; at 100 s P1 is capped at 10, score 5.
 * After a prune P1 is 0. */
static void time_in_mesh_counts_whole_quanta_up_to_the_cap(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.time_in_mesh_weight = 0.5;
    t.time_in_mesh_cap = 10.0;
    score *s = score_with(&p, &t);
    assert_close(score_value(s, 1, 3500 * MS), 0.0); /* not grafted yet */
    score_graft(s, 1, TOPIC, 0);
    assert_close(score_value(s, 1, 3500 * MS), 1.5);
    assert_close(score_value(s, 1, 100 * S), 5.0);
    score_prune(s, 1, TOPIC, 100 * S);
    assert_close(score_value(s, 1, 100 * S), 0.0);
    score_destroy(s);
}

/* w2 = 1, cap 3, decay 0.5, zero below 0.1. Four first deliveries give
 * 3 (capped at increment). Decays: 1.5, 0.75, 0.375, 0.1875, then
 * 0.09375 < 0.1 snaps to 0. Duplicates do not count for P2. */
static void first_deliveries_count_up_to_the_cap_and_decay(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.first_message_deliveries_weight = 1.0;
    t.first_message_deliveries_cap = 3.0;
    t.first_message_deliveries_decay = 0.5;
    score *s = score_with(&p, &t);
    for (int i = 0; i < 4; i++) score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_FIRST, 0, 0);
    score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_DUPLICATE, 0, 0);
    assert_close(score_value(s, 1, 0), 3.0);
    const double expected[] = {1.5, 0.75, 0.375, 0.1875, 0.0};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        score_decay(s, (i + 1) * S);
        assert_close(score_value(s, 1, 0), expected[i]);
    }
    score_destroy(s);
}

/* Topic weight 2, w3 = -1, threshold 4, cap 10, activation 5 s. Grafted at
 * 0 with one first delivery. Up to 5 s (not past activation) P3 = 0; just
 * after, deficit 4 - 1 = 3, P3 = 9, score 2 * -1 * 9 = -18. */
static void mesh_delivery_deficit_counts_squared_after_activation(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.topic_weight = 2.0;
    t.mesh_message_deliveries_weight = -1.0;
    t.mesh_message_deliveries_decay = 0.5;
    t.mesh_message_deliveries_threshold = 4.0;
    t.mesh_message_deliveries_cap = 10.0;
    t.mesh_message_deliveries_activation_ns = 5 * S;
    score *s = score_with(&p, &t);
    score_graft(s, 1, TOPIC, 0);
    score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_FIRST, 1 * S, 1 * S);
    assert_close(score_value(s, 1, 5 * S), 0.0);
    assert_close(score_value(s, 1, 5 * S + 1), -18.0);
    /* Three more deliveries reach the threshold: no deficit. */
    for (int i = 0; i < 3; i++) score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_FIRST, 6 * S, 6 * S);
    assert_close(score_value(s, 1, 6 * S), 0.0);
    score_destroy(s);
}

/* Threshold 4, activation 0, window 10 ms. Two duplicates 10 ms after the
 * first receipt count (window inclusive); one 11 ms after does not. Deficit
 * 4 - 2 = 2, score -4. Outside the mesh a near-first duplicate earns
 * nothing: deficit stays 2. */
static void near_first_duplicates_count_within_the_window(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.mesh_message_deliveries_weight = -1.0;
    t.mesh_message_deliveries_decay = 0.5;
    t.mesh_message_deliveries_threshold = 4.0;
    t.mesh_message_deliveries_cap = 4.0;
    score *s = score_with(&p, &t);
    score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_DUPLICATE, 0, 1 * MS); /* not in mesh yet */
    score_graft(s, 1, TOPIC, 0);
    score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_DUPLICATE, 100 * MS, 110 * MS);
    score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_DUPLICATE, 200 * MS, 210 * MS);
    score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_DUPLICATE, 300 * MS, 311 * MS);
    assert_close(score_value(s, 1, 1 * S), -4.0);
    score_destroy(s);
}

/* w3b = -2, decay 0.5, threshold 4, activation 1 s, one delivery. A prune
 * at 2 s has an active deficit of 3: P3b = 9, score -18. One decay: 4.5,
 * score -9. A regraft and prune before activation adds nothing. */
static void prune_with_an_active_deficit_leaves_a_sticky_penalty(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.mesh_message_deliveries_decay = 0.5;
    t.mesh_message_deliveries_threshold = 4.0;
    t.mesh_message_deliveries_cap = 4.0;
    t.mesh_message_deliveries_activation_ns = 1 * S;
    t.mesh_failure_penalty_weight = -2.0;
    t.mesh_failure_penalty_decay = 0.5;
    score *s = score_with(&p, &t);
    score_graft(s, 1, TOPIC, 0);
    score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_FIRST, 0, 0);
    score_prune(s, 1, TOPIC, 2 * S);
    assert_close(score_value(s, 1, 2 * S), -18.0);
    score_decay(s, 3 * S);
    assert_close(score_value(s, 1, 3 * S), -9.0);
    score_graft(s, 1, TOPIC, 3 * S);
    score_prune(s, 1, TOPIC, 4 * S); /* exactly 1 s: not past activation */
    assert_close(score_value(s, 1, 4 * S), -9.0);
    score_destroy(s);
}

/* w4 = -1, decay 0.5. Three invalid messages: P4 = 3^2 = 9, score -9; an
 * ignored one changes nothing. One decay: 1.5^2 = 2.25, score -2.25. */
static void invalid_messages_count_squared_and_ignored_ones_not_at_all(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.invalid_message_deliveries_weight = -1.0;
    t.invalid_message_deliveries_decay = 0.5;
    score *s = score_with(&p, &t);
    for (int i = 0; i < 3; i++) score_reject_message(s, 1, TOPIC, SCORE_REJECTION_INVALID);
    score_reject_message(s, 1, TOPIC, SCORE_REJECTION_IGNORED);
    assert_close(score_value(s, 1, 0), -9.0);
    score_decay(s, 1 * S);
    assert_close(score_value(s, 1, 1 * S), -2.25);
    score_destroy(s);
}

/* A topic without parameters contributes nothing, whatever happens in it. */
static void unconfigured_topics_do_not_count(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.invalid_message_deliveries_weight = -1.0;
    t.invalid_message_deliveries_decay = 0.5;
    score *s = score_with(&p, &t);
    score_reject_message(s, 1, "other", SCORE_REJECTION_INVALID);
    score_graft(s, 1, "other", 0);
    assert_close(score_value(s, 1, 10 * S), 0.0);
    score_destroy(s);
}

/* Topic cap 10, w2 = 1 with 30 first deliveries (cap 100): topic sum 30,
 * capped to 10. P5 = 2 with w5 = 1.5 adds 3: score 13. The cap bounds only
 * the positive side: with 5 invalid messages at w4 = -1 the topic sum is
 * 30 - 25 = 5, under the cap, and the score 5 + 3 = 8. */
static void topic_cap_bounds_the_positive_topic_sum(void **state) {
    (void)state;
    score_params p = params_quiet();
    p.topic_score_cap = 10.0;
    p.app_specific_weight = 1.5;
    score_topic_params t = topic_quiet();
    t.first_message_deliveries_weight = 1.0;
    t.first_message_deliveries_decay = 0.5;
    t.first_message_deliveries_cap = 100.0;
    t.invalid_message_deliveries_weight = -1.0;
    t.invalid_message_deliveries_decay = 0.5;
    score *s = score_with(&p, &t);
    for (int i = 0; i < 30; i++) score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_FIRST, 0, 0);
    score_set_app_score(s, 1, 2.0);
    assert_close(score_value(s, 1, 0), 13.0);
    for (int i = 0; i < 5; i++) score_reject_message(s, 1, TOPIC, SCORE_REJECTION_INVALID);
    assert_close(score_value(s, 1, 0), 8.0);
    score_destroy(s);
}

/* Threshold 2, w6 = -3. Five peers on IP_A: surplus 5 - 2 = 3, P6 = 9,
 * score -27 each; the peer on IP_B scores 0, and so do peers of unknown
 * IP (0). Two leave IP_A: surplus 1, score -3. */
static void ip_colocation_penalizes_the_surplus_squared(void **state) {
    (void)state;
    score_params p = params_quiet();
    p.ip_colocation_factor_weight = -3.0;
    p.ip_colocation_factor_threshold = 2.0;
    score_topic_params t = topic_quiet();
    score *s = score_with(&p, &t); /* handle 1 on IP_A */
    for (uint8_t n = 2; n <= 5; n++) {
        peer_id id = peer_named(n);
        assert_int_equal(score_add_peer(s, n, &id, IP_A, 0), 0);
    }
    peer_id b = peer_named(6), u1 = peer_named(7), u2 = peer_named(8), u3 = peer_named(9);
    assert_int_equal(score_add_peer(s, 6, &b, IP_B, 0), 0);
    assert_int_equal(score_add_peer(s, 7, &u1, 0, 0), 0);
    assert_int_equal(score_add_peer(s, 8, &u2, 0, 0), 0);
    assert_int_equal(score_add_peer(s, 9, &u3, 0, 0), 0);
    for (uint32_t h = 1; h <= 5; h++) assert_close(score_value(s, h, 0), -27.0);
    assert_close(score_value(s, 6, 0), 0.0);
    assert_close(score_value(s, 7, 0), 0.0);
    score_remove_peer(s, 4, 0);
    score_remove_peer(s, 5, 0);
    assert_close(score_value(s, 1, 0), -3.0);
    score_destroy(s);
}

/* Threshold 2, w7 = -1, decay 0.5. A penalty of 5: excess 3, score -9.
 * Decay to 2.5: excess 0.5, score -0.25. Decay to 1.25: below the
 * threshold, score 0. */
static void behaviour_penalty_counts_squared_above_its_threshold(void **state) {
    (void)state;
    score_params p = params_quiet();
    p.behaviour_penalty_weight = -1.0;
    p.behaviour_penalty_threshold = 2.0;
    p.behaviour_penalty_decay = 0.5;
    score_topic_params t = topic_quiet();
    score *s = score_with(&p, &t);
    score_add_penalty(s, 1, 4.0);
    score_add_penalty(s, 1, 1.0);
    assert_close(score_value(s, 1, 0), -9.0);
    score_decay(s, 1 * S);
    assert_close(score_value(s, 1, 1 * S), -0.25);
    score_decay(s, 2 * S);
    assert_close(score_value(s, 1, 2 * S), 0.0);
    score_destroy(s);
}

/* decay_to_zero 0.5, P2 decay 0.9 from 1: 0.9, 0.81, 0.729, 0.6561,
 * 0.59049, 0.531441 stay; the seventh step gives 0.4782969 < 0.5, which
 * snaps to 0. */
static void counters_below_decay_to_zero_snap_to_zero(void **state) {
    (void)state;
    score_params p = params_quiet();
    p.decay_to_zero = 0.5;
    score_topic_params t = topic_quiet();
    t.first_message_deliveries_weight = 1.0;
    t.first_message_deliveries_decay = 0.9;
    t.first_message_deliveries_cap = 10.0;
    score *s = score_with(&p, &t);
    score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_FIRST, 0, 0);
    for (int i = 1; i <= 6; i++) score_decay(s, (uint64_t)i * S);
    assert_close(score_value(s, 1, 6 * S), 0.531441);
    score_decay(s, 7 * S);
    assert_close(score_value(s, 1, 7 * S), 0.0);
    score_destroy(s);
}

/* Created at 0 with a 1 s interval: refresh at 0.5 s decays nothing; at
 * 3 s it applies the steps due at 1, 2 and 3 s, and the next is due at 4 s.
 * P2 8 with decay 0.5: 8 -> 1 after three steps. */
static void refresh_applies_one_decay_per_elapsed_interval(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.first_message_deliveries_weight = 1.0;
    t.first_message_deliveries_decay = 0.5;
    t.first_message_deliveries_cap = 10.0;
    score *s = score_with(&p, &t);
    for (int i = 0; i < 8; i++) score_deliver_message(s, 1, TOPIC, SCORE_DELIVERY_FIRST, 0, 0);
    assert_true(score_next_decay_ns(s) == 1 * S);
    assert_int_equal(score_refresh(s, 500 * MS), 0);
    assert_int_equal(score_refresh(s, 3 * S), 3);
    assert_true(score_next_decay_ns(s) == 4 * S);
    assert_close(score_value(s, 1, 3 * S), 1.0);
    score_destroy(s);
}

/* retain_score 10 s, w4 = -1, P4 decay 0.5. Two invalid messages: -4.
 * Removed at 0 and back at 5 s under a new handle, without decay in
 * between, the peer scores -4 again. Removed again at 5 s, it is forgotten
 * by the decay at 15 s, and comes back at 0. */
static void a_disconnected_peer_keeps_its_score_until_retention_ends(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.invalid_message_deliveries_weight = -1.0;
    t.invalid_message_deliveries_decay = 0.5;
    score *s = score_with(&p, &t);
    peer_id id = peer_named(1);
    score_reject_message(s, 1, TOPIC, SCORE_REJECTION_INVALID);
    score_reject_message(s, 1, TOPIC, SCORE_REJECTION_INVALID);
    score_remove_peer(s, 1, 0);
    assert_close(score_value(s, 1, 0), 0.0); /* the handle is gone */
    assert_int_equal(score_peer_count(s), 1);
    assert_int_equal(score_add_peer(s, 7, &id, IP_A, 5 * S), 0);
    assert_close(score_value(s, 7, 5 * S), -4.0);
    score_remove_peer(s, 7, 5 * S);
    score_decay(s, 15 * S - 1);
    assert_int_equal(score_peer_count(s), 1);
    score_decay(s, 15 * S);
    assert_int_equal(score_peer_count(s), 0);
    assert_int_equal(score_add_peer(s, 8, &id, IP_A, 16 * S), 0);
    assert_close(score_value(s, 8, 16 * S), 0.0);
    score_destroy(s);
}

/* Disconnecting leaves the mesh like a prune: threshold 4, activation 1 s,
 * no deliveries, removal at 2 s: P3b = 16 with w3b = -1. */
static void disconnecting_from_the_mesh_counts_as_a_prune(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.mesh_message_deliveries_decay = 0.5;
    t.mesh_message_deliveries_threshold = 4.0;
    t.mesh_message_deliveries_cap = 4.0;
    t.mesh_message_deliveries_activation_ns = 1 * S;
    t.mesh_failure_penalty_weight = -1.0;
    t.mesh_failure_penalty_decay = 0.5;
    score *s = score_with(&p, &t);
    peer_id id = peer_named(1);
    score_graft(s, 1, TOPIC, 0);
    score_remove_peer(s, 1, 2 * S);
    assert_int_equal(score_add_peer(s, 2, &id, IP_A, 2 * S), 0);
    assert_close(score_value(s, 2, 10 * S), -16.0); /* no longer in mesh: no P3 */
    score_destroy(s);
}

/* peers_max 2: with A retained and B connected, C takes A's place; with B
 * and C connected, D is refused. A handle already connected is refused. */
static void a_full_table_forgets_retained_peers_first(void **state) {
    (void)state;
    score_params p = params_quiet();
    score *s = score_create(&p, 2, 0);
    assert_non_null(s);
    peer_id a = peer_named(1), b = peer_named(2), c = peer_named(3), d = peer_named(4);
    assert_int_equal(score_add_peer(s, 1, &a, IP_A, 0), 0);
    assert_int_equal(score_add_peer(s, 1, &b, IP_B, 0), -1);
    assert_int_equal(score_add_peer(s, 2, &b, IP_B, 0), 0);
    score_remove_peer(s, 1, 0);
    assert_int_equal(score_add_peer(s, 3, &c, IP_A, 0), 0);
    assert_int_equal(score_peer_count(s), 2);
    assert_int_equal(score_add_peer(s, 4, &d, IP_A, 0), -1);
    score_destroy(s);
}

/* The table grows past its first allocation (SCORE_PEERS_INITIAL) and
 * keeps every peer's counters. */
static void many_peers_keep_their_own_counters(void **state) {
    (void)state;
    enum { PEERS = 200 };
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    t.first_message_deliveries_weight = 1.0;
    t.first_message_deliveries_decay = 0.5;
    t.first_message_deliveries_cap = 1000.0;
    score *s = score_create(&p, PEERS, 0);
    assert_non_null(s);
    assert_int_equal(score_set_topic(s, TOPIC, &t), 0);
    for (uint32_t h = 0; h < PEERS; h++) {
        peer_id id;
        memset(&id, 0, sizeof id);
        memcpy(id.bytes, &h, sizeof h);
        id.len = sizeof h;
        assert_int_equal(score_add_peer(s, h + 100, &id, 0, 0), 0);
        for (uint32_t i = 0; i < h % 7; i++) score_deliver_message(s, h + 100, TOPIC, SCORE_DELIVERY_FIRST, 0, 0);
    }
    for (uint32_t h = 0; h < PEERS; h++) assert_close(score_value(s, h + 100, 0), (double)(h % 7));
    score_destroy(s);
}

static void topic_table_is_bounded(void **state) {
    (void)state;
    score_params p = params_quiet();
    score_topic_params t = topic_quiet();
    score *s = score_create(&p, 4, 0);
    assert_non_null(s);
    char name[16];
    for (int i = 0; i < SCORE_TOPICS_MAX; i++) {
        name[0] = (char)('a' + i);
        name[1] = '\0';
        assert_int_equal(score_set_topic(s, name, &t), 0);
    }
    assert_int_equal(score_set_topic(s, "one-too-many", &t), -1);
    assert_int_equal(score_set_topic(s, "a", &t), 0); /* replacing is fine */
    char long_name[SCORE_TOPIC_NAME_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    score_destroy(s);
    s = score_create(&p, 4, 0);
    assert_int_equal(score_set_topic(s, long_name, &t), -1);
    score_destroy(s);
}

/* 0.01^(1/10) = 0.630957344480193..., which brought to the 10th power is
 * 0.01; a decay time of one interval gives decay_to_zero itself. */
static void decay_factor_reaches_decay_to_zero_after_the_decay_time(void **state) {
    (void)state;
    double f = score_decay_factor(10 * S, 1 * S, 0.01);
    assert_close(f, 0.630957344480193);
    double power = 1.0;
    for (int i = 0; i < 10; i++) power *= f;
    assert_close(power, 0.01);
    assert_close(score_decay_factor(1 * S, 1 * S, 0.01), 0.01);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_valid_and_come_from_rust_and_go_libp2p),
        cmocka_unit_test(thresholds_out_of_order_are_refused),
        cmocka_unit_test(invalid_parameters_are_refused),
        cmocka_unit_test(time_in_mesh_counts_whole_quanta_up_to_the_cap),
        cmocka_unit_test(first_deliveries_count_up_to_the_cap_and_decay),
        cmocka_unit_test(mesh_delivery_deficit_counts_squared_after_activation),
        cmocka_unit_test(near_first_duplicates_count_within_the_window),
        cmocka_unit_test(prune_with_an_active_deficit_leaves_a_sticky_penalty),
        cmocka_unit_test(invalid_messages_count_squared_and_ignored_ones_not_at_all),
        cmocka_unit_test(unconfigured_topics_do_not_count),
        cmocka_unit_test(topic_cap_bounds_the_positive_topic_sum),
        cmocka_unit_test(ip_colocation_penalizes_the_surplus_squared),
        cmocka_unit_test(behaviour_penalty_counts_squared_above_its_threshold),
        cmocka_unit_test(counters_below_decay_to_zero_snap_to_zero),
        cmocka_unit_test(refresh_applies_one_decay_per_elapsed_interval),
        cmocka_unit_test(a_disconnected_peer_keeps_its_score_until_retention_ends),
        cmocka_unit_test(disconnecting_from_the_mesh_counts_as_a_prune),
        cmocka_unit_test(a_full_table_forgets_retained_peers_first),
        cmocka_unit_test(many_peers_keep_their_own_counters),
        cmocka_unit_test(topic_table_is_bounded),
        cmocka_unit_test(decay_factor_reaches_decay_to_zero_after_the_decay_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
