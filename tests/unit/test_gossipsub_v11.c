/*
 * test_gossipsub_v11: the router follows gossipsub-v1.1.md (peer scoring
 * and its thresholds, GRAFT and PRUNE rules with backoff penalties, the
 * outbound quota, opportunistic grafting, promise tracking, explicit peers,
 * extended validation) and gossipsub-v1.2.md (IDONTWANT), on the harness of
 * tests/support/gossipsub_net.h.
 *
 * Scored tests use simple parameters so that each expected score can be
 * written out: topic weight 1, P1 off, P2 weight 1, P4 weight -6 (one
 * invalid message: -6, two: -24, three: -54, four: -96), P7 weight -10
 * (one penalty: -10, two: -40, three: -90), thresholds gossip -10, publish
 * -50, graylist -80. Scores decay only at heartbeats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/time_units.h"
#include "pubsub/gossipsub.h"
#include "gossipsub_net.h"
#include "wire/gossipsub_pb.h"

#define MS NS_PER_MS

static void scoring_config(gossipsub_config *c) {
    gnet_default_config(c);
    c->scoring = true;
    c->score_sample_ns = 0;
    score_topic_params *t = &c->topic_score;
    memset(t, 0, sizeof *t);
    t->topic_weight = 1.0;
    t->time_in_mesh_quantum_ns = SEC; /* P1 is off: its weight is 0 */
    t->first_message_deliveries_weight = 1.0;
    t->first_message_deliveries_decay = 0.5;
    t->first_message_deliveries_cap = 100.0;
    t->invalid_message_deliveries_weight = -6.0;
    t->invalid_message_deliveries_decay = 0.5;
    c->thresholds = (score_thresholds){.gossip = -10.0, .publish = -50.0, .graylist = -80.0, .accept_px = 10.0,
                                       .opportunistic_graft = 5.0};
    assert_int_equal(score_topic_params_validate(t), 0);
}

static gnet *scored_star(size_t raws) {
    gossipsub_config config;
    scoring_config(&config);
    return gnet_star(raws, &config);
}

static double score_of(const gnet *w, uint32_t peer) { return gossipsub_peer_score(w->nodes[0].gs, peer); }

/* Raws 1..last subscribe, then node 0 joins (grafting them). */
static void join_with(gnet *w, uint32_t last) {
    for (uint32_t i = 1; i <= last; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
}

/* The message of raw origin with seqno, sent by raw sender to node 0. */
static void relay_message(gnet *w, uint32_t origin, uint32_t sender, uint64_t seqno, const char *text) {
    pubsub_outgoing out;
    const gnet_node *n = &w->nodes[origin];
    assert_int_equal(pubsub_message_make(&out, &n->id, &n->pid, seqno, TOPIC, (const uint8_t *)text, strlen(text)),
                     0);
    gnet_raw_send(w, sender, 0, NULL, 0, &out.msg, 1, NULL);
}

/* The id of raw's message with seqno: from || seqno. */
static pubsub_bytes raw_message_id(const gnet *w, uint32_t raw, uint64_t seqno, uint8_t *out) {
    size_t len = gnet_published_id(w, raw, seqno - GNET_SEQNO_START, out);
    return (pubsub_bytes){out, len};
}

/* ---- thresholds ------------------------------------------------------------ */

static void test_a_member_whose_score_turns_negative_is_pruned_without_px(void **state) {
    (void)state;
    gnet *w = scored_star(2);
    join_with(w, 2);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 2);
    gnet_raw_publish(w, 1, 0, 500, "forged", true);
    assert_true(score_of(w, 1) == -6.0);
    gnet_log_clear(w);
    w->now = SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 2));
    gnet_received r = gnet_scan(w, 1);
    assert_int_equal(r.prunes, 1);
    assert_int_equal(r.prune_px, 0); /* v1.1: no peer exchange for a negative score */
    assert_true(gossipsub_in_backoff(w->nodes[0].gs, TOPIC, 1, w->now));
    gnet_free(w);
}

static void test_the_rpcs_of_a_graylisted_peer_are_ignored(void **state) {
    (void)state;
    gnet *w = scored_star(1);
    join_with(w, 1);
    for (uint64_t seqno = 501; seqno <= 504; seqno++) gnet_raw_publish(w, 1, 0, seqno, "forged", true);
    assert_true(score_of(w, 1) == -96.0);
    gnet_raw_publish(w, 1, 0, 505, "genuine", false);
    assert_int_equal(w->nodes[0].delivered, 0);
    assert_int_equal(w->nodes[0].drops_graylisted, 1);
    gnet_free(w);
}

static void test_below_the_gossip_threshold_a_peer_neither_gets_nor_gives_gossip(void **state) {
    (void)state;
    gnet *w = scored_star(3);
    join_with(w, 3);
    for (uint32_t i = 1; i <= 3; i++) gnet_raw_prune(w, i, 0, TOPIC, 60); /* out of the mesh, not of gossip */
    for (uint64_t seqno = 501; seqno <= 503; seqno++) gnet_raw_publish(w, 2, 0, seqno, "forged", true);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"news", 4), 0);
    gnet_log_clear(w);
    w->now = SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_true(score_of(w, 2) == -13.5); /* P4 counter 3, decayed once by 0.5: -6 * 1.5^2 */
    assert_int_equal(gnet_scan(w, 1).ihaves, 1);
    assert_int_equal(gnet_scan(w, 2).ihaves, 0);
    assert_int_equal(gnet_scan(w, 3).ihaves, 1);
    gnet_log_clear(w);
    uint8_t id1[128], id2[128];
    gnet_raw_ihave(w, 1, 0, TOPIC, raw_message_id(w, 1, 600, id1));
    gnet_raw_ihave(w, 2, 0, TOPIC, raw_message_id(w, 2, 600, id2));
    assert_int_equal(gnet_scan(w, 1).iwant_ids, 1);
    assert_int_equal(gnet_scan(w, 2).iwant_ids, 0);
    gnet_free(w);
}

static void test_flood_publish_skips_peers_below_the_publish_threshold(void **state) {
    (void)state;
    gnet *w = scored_star(2);
    join_with(w, 2);
    for (uint64_t seqno = 501; seqno <= 503; seqno++) gnet_raw_publish(w, 2, 0, seqno, "forged", true);
    assert_true(score_of(w, 2) == -54.0); /* below publish, above graylist */
    gnet_log_clear(w);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"news", 4), 0);
    assert_int_equal(gnet_scan(w, 1).messages, 1);
    assert_int_equal(gnet_scan(w, 2).messages, 0);
    gnet_free(w);
}

/* ---- GRAFT and PRUNE --------------------------------------------------------- */

static void test_a_graft_during_backoff_is_refused_and_costs_p7_twice_within_the_flood_threshold(void **state) {
    (void)state;
    gnet *w = scored_star(1);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_raw_subscribe(w, 1, 0, TOPIC);
    gnet_raw_prune(w, 1, 0, TOPIC, 60); /* a backoff until 60 s */
    gnet_log_clear(w);
    w->now = 1 * SEC; /* within graft_flood_threshold (10 s) of the PRUNE */
    gnet_raw_graft(w, 1, 0, TOPIC);
    assert_int_equal(gnet_scan(w, 1).prunes, 1);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_true(score_of(w, 1) == -40.0); /* P7 counter 2: -10 * 2^2 */
    w->now = 20 * SEC; /* still backed off, past the flood threshold */
    gnet_raw_graft(w, 1, 0, TOPIC);
    assert_true(score_of(w, 1) == -90.0); /* counter 3 */
    gnet_free(w);
}

static void test_an_inbound_graft_to_a_full_mesh_is_refused_with_px(void **state) {
    (void)state;
    gossipsub_config config;
    gnet_default_config(&config);
    gnet *w = gnet_new(14, 1, &config);
    for (uint32_t i = 1; i <= 13; i++) gnet_connect(w, i, 0); /* each raw dialled node 0: inbound */
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 13; i++) {
        gnet_raw_subscribe(w, i, 0, TOPIC);
        gnet_raw_graft(w, i, 0, TOPIC);
    }
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 12); /* D_hi */
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 13));
    gnet_received r = gnet_scan(w, 13);
    assert_int_equal(r.prunes, 1);
    assert_int_equal(r.prune_px, 12);
    assert_int_equal(r.prune_px_records, 12); /* each with the record it gave us */
    gnet_free(w);
}

static void test_trimming_keeps_the_D_score_best_members(void **state) {
    (void)state;
    gnet *w = scored_star(14); /* node 0 dialled every raw: outbound, so all 14 GRAFTs are taken */
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 14; i++) {
        gnet_raw_subscribe(w, i, 0, TOPIC);
        gnet_raw_graft(w, i, 0, TOPIC);
    }
    for (uint32_t i = 1; i <= 4; i++) gnet_raw_publish(w, i, 0, 500 + i, "first", false); /* P2 = 1 */
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 14);
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 6);
    for (uint32_t i = 1; i <= 4; i++) assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i));
    gnet_free(w);
}

static void test_trimming_keeps_D_out_outbound_members(void **state) {
    (void)state;
    gossipsub_config config;
    gnet_default_config(&config);
    gnet *w = gnet_new(15, 1, &config);
    for (uint32_t i = 1; i <= 12; i++) gnet_connect(w, i, 0); /* inbound */
    for (uint32_t i = 13; i <= 14; i++) gnet_connect(w, 0, i); /* outbound */
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 14; i++) {
        gnet_raw_subscribe(w, i, 0, TOPIC);
        gnet_raw_graft(w, i, 0, TOPIC);
    }
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 14); /* outbound GRAFTs pass D_hi */
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 6);
    assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 13));
    assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 14));
    gnet_free(w);
}

static void test_the_heartbeat_grafts_outbound_peers_up_to_D_out(void **state) {
    (void)state;
    gossipsub_config config;
    gnet_default_config(&config);
    gnet *w = gnet_new(8, 1, &config);
    for (uint32_t i = 1; i <= 5; i++) gnet_connect(w, i, 0); /* inbound */
    for (uint32_t i = 6; i <= 7; i++) gnet_connect(w, 0, i); /* outbound */
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 5; i++) {
        gnet_raw_subscribe(w, i, 0, TOPIC);
        gnet_raw_graft(w, i, 0, TOPIC);
    }
    for (uint32_t i = 6; i <= 7; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    gnet_log_clear(w);
    gossipsub_heartbeat(w->nodes[0].gs, w->now); /* 5 members: within [D_lo, D_hi], none outbound */
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 7);
    assert_int_equal(gnet_scan(w, 6).grafts, 1);
    assert_int_equal(gnet_scan(w, 7).grafts, 1);
    gnet_free(w);
}

static void test_opportunistic_grafting_adds_peers_that_score_above_a_low_median(void **state) {
    (void)state;
    gossipsub_config config;
    scoring_config(&config);
    config.opportunistic_graft_ticks = 1;
    gnet *w = gnet_star(8, &config);
    join_with(w, 6);
    for (uint32_t i = 7; i <= 8; i++) {
        gnet_raw_subscribe(w, i, 0, TOPIC);
        for (uint64_t seqno = 501; seqno <= 503; seqno++) gnet_raw_publish(w, i, 0, seqno, "first", false);
        assert_true(score_of(w, i) == 3.0); /* P2 */
    }
    gnet_log_clear(w);
    gossipsub_heartbeat(w->nodes[0].gs, w->now); /* median of the mesh: 0, below 5 */
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 8);
    assert_int_equal(gnet_scan(w, 7).grafts, 1);
    assert_int_equal(gnet_scan(w, 8).grafts, 1);
    gnet_free(w);
}

/* ---- promises and P3 ---------------------------------------------------------- */

static void test_a_broken_iwant_promise_costs_p7_after_the_followup_time(void **state) {
    (void)state;
    gnet *w = scored_star(2);
    join_with(w, 2);
    uint8_t id1[128], id2[128];
    gnet_raw_ihave(w, 1, 0, TOPIC, raw_message_id(w, 1, 700, id1)); /* never delivered */
    gnet_raw_ihave(w, 2, 0, TOPIC, raw_message_id(w, 2, 700, id2));
    gnet_raw_publish(w, 2, 0, 700, "kept", false); /* the promise is kept */
    w->now = 1 * SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_true(score_of(w, 1) == 0.0);
    w->now = 3 * SEC; /* iwant_followup */
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_true(score_of(w, 1) == -10.0);
    assert_true(score_of(w, 2) > 0.0); /* P2, decayed, and no penalty */
    gnet_free(w);
}

static void test_near_first_duplicates_from_mesh_members_count_for_p3(void **state) {
    (void)state;
    gossipsub_config config;
    scoring_config(&config);
    score_topic_params *t = &config.topic_score;
    t->first_message_deliveries_weight = 0.0;
    t->mesh_message_deliveries_weight = -1.0;
    t->mesh_message_deliveries_decay = 0.5;
    t->mesh_message_deliveries_threshold = 1.0;
    t->mesh_message_deliveries_cap = 10.0;
    t->mesh_message_deliveries_window_ns = 10 * MS;
    t->mesh_message_deliveries_activation_ns = 1 * SEC;
    gnet *w = gnet_star(3, &config);
    join_with(w, 3);
    relay_message(w, 1, 1, 800, "block"); /* first, from its origin */
    w->now = 5 * MS;
    relay_message(w, 1, 2, 800, "block"); /* within the window */
    w->now = 50 * MS;
    relay_message(w, 1, 3, 800, "block"); /* too late */
    w->now = SEC / 2;
    assert_true(score_of(w, 3) == 0.0); /* P3 is not active yet */
    w->now = 3 * SEC / 2;
    assert_true(score_of(w, 1) == 0.0);
    assert_true(score_of(w, 2) == 0.0);
    assert_true(score_of(w, 3) == -1.0); /* deficit 1, squared, weight -1 */
    gnet_free(w);
}

/* ---- explicit peers, validation, snapshots ----------------------------------------- */

static void test_an_explicit_peer_is_never_meshed_and_always_sent_messages(void **state) {
    (void)state;
    gossipsub_config config;
    gnet_default_config(&config);
    config.flood_publish = false;
    gnet *w = gnet_star(2, &config);
    assert_int_equal(gossipsub_add_explicit_peer(w->nodes[0].gs, &w->nodes[1].pid), 0);
    join_with(w, 2);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 2));
    gnet_log_clear(w);
    gnet_raw_graft(w, 1, 0, TOPIC);
    assert_int_equal(gnet_scan(w, 1).prunes, 1);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    gnet_log_clear(w);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"news", 4), 0);
    assert_int_equal(gnet_scan(w, 1).messages, 1);
    assert_int_equal(gnet_scan(w, 2).messages, 1);
    gnet_free(w);
}

static void test_a_message_the_validator_rejects_is_dropped_and_costs_p4(void **state) {
    (void)state;
    gnet *w = scored_star(2);
    join_with(w, 2);
    w->nodes[0].verdict = PUBSUB_REJECT;
    gnet_log_clear(w);
    gnet_raw_publish(w, 1, 0, 900, "spam", false);
    assert_int_equal(w->nodes[0].delivered, 0);
    assert_int_equal(gnet_scan(w, 2).messages, 0);
    assert_true(score_of(w, 1) == -6.0);
    gnet_free(w);
}

static void test_a_message_the_validator_ignores_is_dropped_without_penalty(void **state) {
    (void)state;
    gnet *w = scored_star(2);
    join_with(w, 2);
    w->nodes[0].verdict = PUBSUB_IGNORE;
    gnet_log_clear(w);
    gnet_raw_publish(w, 1, 0, 900, "stale", false);
    assert_int_equal(w->nodes[0].delivered, 0);
    assert_int_equal(gnet_scan(w, 2).messages, 0);
    assert_true(score_of(w, 1) == 0.0);
    gnet_free(w);
}

static void test_score_snapshots_trace_every_peer_each_sample_interval(void **state) {
    (void)state;
    gossipsub_config config;
    scoring_config(&config);
    config.score_sample_ns = 2 * SEC;
    gnet *w = gnet_star(3, &config);
    for (uint64_t s = 1; s <= 4; s++) {
        w->now = s * SEC;
        gossipsub_heartbeat(w->nodes[0].gs, w->now);
    }
    assert_int_equal(w->nodes[0].traces[TRACE_PEER_SCORE], 2 * 3); /* at 2 s and 4 s, three peers */
    gnet_free(w);
}

/* ---- P6: IP colocation ------------------------------------------------------ */

/* Three raws on one address, one on another, threshold 1, weight -5: each
 * of the three has 2 peers too many on its address, P6 = 2^2 = 4, score
 * -20; the lone peer and an unknown address (0) are untouched. When one of
 * the three leaves, the other two drop to -5 (surplus 1). */
static void test_p6_charges_the_square_of_the_peers_beyond_the_threshold_on_one_address(void **state) {
    (void)state;
    gossipsub_config config;
    scoring_config(&config);
    config.score.ip_colocation_factor_weight = -5.0;
    config.score.ip_colocation_factor_threshold = 1.0;
    gnet *w = gnet_new(6, 1, &config);
    const uint32_t shared = 0x0a000007u;
    w->nodes[1].ip4 = w->nodes[2].ip4 = w->nodes[3].ip4 = shared;
    w->nodes[4].ip4 = 0x0a000008u;
    w->nodes[5].ip4 = 0; /* unknown: exempt */
    for (uint32_t i = 1; i <= 5; i++) gnet_connect(w, 0, i);
    for (uint32_t i = 1; i <= 3; i++) assert_true(score_of(w, i) == -20.0);
    assert_true(score_of(w, 4) == 0.0);
    assert_true(score_of(w, 5) == 0.0);
    gossipsub_remove_peer(w->nodes[0].gs, 3);
    assert_true(score_of(w, 1) == -5.0);
    assert_true(score_of(w, 2) == -5.0);
    gnet_free(w);
}

/* ---- peer exchange ------------------------------------------------------------ */

/* Node 0 knows raws 1-3. Raw 1 prunes it suggesting 2 (known already), 4
 * and 5 with their signed records, and 6 without one: the router asks its
 * host to connect to 4 and 5 only, handing over each record. */
static void test_a_prunes_peer_exchange_connects_to_new_peers_that_come_with_a_record(void **state) {
    (void)state;
    gossipsub_config config;
    gnet_default_config(&config);
    gnet *w = gnet_new(7, 1, &config);
    for (uint32_t i = 1; i <= 3; i++) gnet_connect(w, 0, i);
    join_with(w, 3);
    const uint32_t px[] = {2, 4, 5};
    gnet_raw_prune_px(w, 1, 0, TOPIC, px, 3, true);
    assert_int_equal(w->nodes[0].px_connects, 2);
    assert_true(peer_id_equal(&w->nodes[0].px_last, &w->nodes[5].pid));
    const uint32_t bare[] = {6};
    gnet_raw_prune_px(w, 2, 0, TOPIC, bare, 1, false);
    assert_int_equal(w->nodes[0].px_connects, 2); /* no record, no address: skipped */
    gnet_free(w);
}

/* prune_peers bounds how many suggestions one PRUNE makes us follow. */
static void test_peer_exchange_follows_at_most_prune_peers_suggestions(void **state) {
    (void)state;
    gossipsub_config config;
    gnet_default_config(&config);
    config.prune_peers = 1;
    gnet *w = gnet_new(6, 1, &config);
    gnet_connect(w, 0, 1);
    join_with(w, 1);
    const uint32_t px[] = {3, 4, 5};
    gnet_raw_prune_px(w, 1, 0, TOPIC, px, 3, true);
    assert_int_equal(w->nodes[0].px_connects, 1);
    assert_true(peer_id_equal(&w->nodes[0].px_last, &w->nodes[3].pid));
    gnet_free(w);
}

/* With scoring, PX from a peer scoring below accept_px (10 here) is
 * ignored; once it has earned 10 first deliveries (P2 = 10) it is taken. */
static void test_peer_exchange_is_taken_only_from_peers_at_or_above_accept_px(void **state) {
    (void)state;
    gossipsub_config config;
    scoring_config(&config);
    gnet *w = gnet_new(5, 1, &config);
    gnet_connect(w, 0, 1);
    join_with(w, 1);
    const uint32_t px[] = {3};
    gnet_raw_prune_px(w, 1, 0, TOPIC, px, 1, true);
    assert_int_equal(w->nodes[0].px_connects, 0);
    for (uint64_t seqno = 1; seqno <= 10; seqno++) gnet_raw_publish(w, 1, 0, seqno, "first", false);
    assert_true(score_of(w, 1) == 10.0);
    gnet_raw_prune_px(w, 1, 0, TOPIC, px, 1, true);
    assert_int_equal(w->nodes[0].px_connects, 1);
    gnet_free(w);
}

/* Issue 19's flood: RPCs of 8 PRUNEs, each suggesting the same 16 peers
 * (nodes 4..19) with signed records. Node 0 dialled raws 1 and 2 (so it
 * trusts their PX without scoring); raw 3 dialled node 0. */
#define FLOOD_PRUNES 8
#define FLOOD_RECORDS 16

static gnet *flood_net_with(const gossipsub_config *config) {
    gnet *w = gnet_new(4 + FLOOD_RECORDS, 1, config);
    gnet_connect(w, 0, 1);
    gnet_connect(w, 0, 2);
    gnet_connect(w, 3, 0);
    join_with(w, 3);
    return w;
}

static gnet *flood_net(void) {
    gossipsub_config config;
    gnet_default_config(&config);
    return flood_net_with(&config);
}

static void flood(gnet *w, uint32_t raw, int rpcs) {
    uint32_t px[FLOOD_RECORDS];
    for (uint32_t i = 0; i < FLOOD_RECORDS; i++) px[i] = 4 + i;
    for (int k = 0; k < rpcs; k++) gnet_raw_prune_flood(w, raw, 0, TOPIC, px, FLOOD_RECORDS, FLOOD_PRUNES);
}

/* Five flooding RPCs (640 suggestions) within a heartbeat make node 0 dial
 * prune_peers (16) peers: the first PRUNE's. Every heartbeat opens a new
 * budget of 16, never more. */
static void test_a_prune_flood_makes_at_most_prune_peers_dials_per_heartbeat(void **state) {
    (void)state;
    gnet *w = flood_net();
    flood(w, 1, 5);
    assert_int_equal(w->nodes[0].px_connects, 16);
    assert_int_equal(w->nodes[0].drops_px, 5 * FLOOD_PRUNES - 1); /* every other PRUNE's PX is refused, traced */
    w->now += SEC;
    gnet_heartbeat_all(w);
    flood(w, 1, 5);
    assert_int_equal(w->nodes[0].px_connects, 32);
    gnet_free(w);
}

/* The budget is the node's, not each peer's: two trusted peers flooding in
 * one heartbeat get 16 dials between them. */
static void test_the_px_dial_budget_of_a_heartbeat_is_shared_by_all_peers(void **state) {
    (void)state;
    gnet *w = flood_net();
    flood(w, 1, 1);
    flood(w, 2, 1);
    assert_int_equal(w->nodes[0].px_connects, 16);
    gnet_free(w);
}

/* Only one PRUNE per peer and heartbeat has its PX followed, even when the
 * budget has room: with prune_peers 16 and PRUNEs of 4 suggestions, the
 * second PRUNE of raw 1 is refused, raw 2's is followed. */
static void test_only_one_prune_per_peer_and_heartbeat_has_its_px_followed(void **state) {
    (void)state;
    gnet *w = flood_net();
    const uint32_t first[] = {4, 5, 6, 7}, second[] = {8, 9, 10, 11};
    gnet_raw_prune_px(w, 1, 0, TOPIC, first, 4, true);
    gnet_raw_prune_px(w, 1, 0, TOPIC, second, 4, true);
    assert_int_equal(w->nodes[0].px_connects, 4);
    assert_int_equal(w->nodes[0].drops_px, 1);
    gnet_raw_prune_px(w, 2, 0, TOPIC, second, 4, true);
    assert_int_equal(w->nodes[0].px_connects, 8);
    w->now += SEC;
    gnet_heartbeat_all(w);
    gnet_raw_prune_px(w, 1, 0, TOPIC, first, 4, true);
    assert_int_equal(w->nodes[0].px_connects, 12);
    gnet_free(w);
}

/* Without scoring, PX is trusted only from peers we dialled (and explicit
 * peers): a peer that dialled us could be anyone. Raw 3's flood makes no
 * dial, and its refusal is traced once per PRUNE. accept_px_inbound
 * restores go-libp2p's behaviour (PX from every peer), within the budget. */
static void test_without_scoring_px_from_a_peer_that_dialled_us_is_refused(void **state) {
    (void)state;
    gnet *w = flood_net();
    flood(w, 3, 5);
    assert_int_equal(w->nodes[0].px_connects, 0);
    assert_int_equal(w->nodes[0].drops_px, 5 * FLOOD_PRUNES);
    gnet_free(w);

    gossipsub_config config;
    gnet_default_config(&config);
    config.accept_px_inbound = true;
    w = flood_net_with(&config);
    flood(w, 3, 5);
    assert_int_equal(w->nodes[0].px_connects, 16);
    gnet_free(w);
}

/* ---- message ids ------------------------------------------------------------- */

/* Node 0 gets raw 1's message, then raw 2 announces it in an IHAVE under
 * js-libp2p's id (key || seqno). With message_id key-seqno node 0 knows it
 * and asks nothing; with go's from || seqno (the default) it does not
 * recognise the id and asks for a message it already has. */
static int iwants_for_a_js_ihave_of_a_seen_message(pubsub_message_id_kind kind) {
    gossipsub_config config;
    gnet_default_config(&config);
    config.message_id = kind;
    gnet *w = gnet_star(2, &config);
    join_with(w, 2);
    pubsub_outgoing out;
    const gnet_node *author = &w->nodes[1];
    assert_int_equal(pubsub_message_make(&out, &author->id, &author->pid, 77, TOPIC, (const uint8_t *)"m", 1), 0);
    gnet_raw_send(w, 1, 0, NULL, 0, &out.msg, 1, NULL);
    assert_int_equal(w->nodes[0].delivered, 1);
    uint8_t id[PEER_ID_MAX_BYTES + PUBSUB_SEQNO_BYTES];
    size_t len = pubsub_message_id_of(&out.msg, PUBSUB_MESSAGE_ID_KEY_SEQNO, id, sizeof id);
    assert_true(len > 0);
    gnet_log_clear(w);
    gnet_raw_ihave(w, 2, 0, TOPIC, (pubsub_bytes){id, len});
    int asked = gnet_scan(w, 2).iwant_ids;
    gnet_free(w);
    return asked;
}

static void a_mesh_that_agrees_on_key_seqno_ids_does_not_ask_for_what_it_has(void **state) {
    (void)state;
    assert_int_equal(iwants_for_a_js_ihave_of_a_seen_message(PUBSUB_MESSAGE_ID_KEY_SEQNO), 0);
    assert_int_equal(iwants_for_a_js_ihave_of_a_seen_message(PUBSUB_MESSAGE_ID_FROM_SEQNO), 1);
}

/* ---- IDONTWANT (v1.2) --------------------------------------------------------------- */

/* Node 0 with raws 1 and 2 on /meshsub/1.2.0 and raw 3 on 1.1.0, all in its
 * mesh; IDONTWANT from 16 bytes. */
static gnet *idontwant_net(bool idontwant) {
    gossipsub_config config;
    gnet_default_config(&config);
    config.idontwant = idontwant;
    config.idontwant_min_bytes = 16;
    gnet *w = gnet_new(4, 1, &config);
    gnet_connect_as(w, 0, 1, GOSSIPSUB_PROTOCOL_V12);
    gnet_connect_as(w, 0, 2, GOSSIPSUB_PROTOCOL_V12);
    gnet_connect_as(w, 0, 3, GOSSIPSUB_PROTOCOL_V11);
    join_with(w, 3);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 3);
    gnet_log_clear(w);
    return w;
}

static void test_a_large_message_sends_idontwant_to_the_v12_mesh_but_its_sender(void **state) {
    (void)state;
    gnet *w = idontwant_net(true);
    gnet_raw_publish(w, 1, 0, 1000, "twenty bytes long...", false);
    assert_int_equal(gnet_scan(w, 1).idontwant_ids, 0); /* the sender */
    assert_int_equal(gnet_scan(w, 2).idontwant_ids, 1);
    assert_int_equal(gnet_scan(w, 3).idontwant_ids, 0); /* speaks 1.1 */
    assert_int_equal(gnet_scan(w, 2).messages, 1);
    assert_int_equal(gnet_scan(w, 3).messages, 1);
    gnet_free(w);
}

static void test_a_small_message_or_idontwant_off_sends_no_idontwant(void **state) {
    (void)state;
    gnet *w = idontwant_net(true);
    gnet_raw_publish(w, 1, 0, 1000, "tiny", false);
    assert_int_equal(gnet_scan(w, 2).idontwant_ids, 0);
    gnet_free(w);
    w = idontwant_net(false);
    gnet_raw_publish(w, 1, 0, 1000, "twenty bytes long...", false);
    assert_int_equal(gnet_scan(w, 2).idontwant_ids, 0);
    gnet_free(w);
}

static void test_a_peer_that_said_idontwant_is_not_forwarded_the_message(void **state) {
    (void)state;
    gnet *w = idontwant_net(true);
    uint8_t id[128];
    gnet_raw_idontwant(w, 2, 0, raw_message_id(w, 1, 1000, id));
    gnet_raw_publish(w, 1, 0, 1000, "twenty bytes long...", false);
    assert_int_equal(gnet_scan(w, 2).messages, 0);
    assert_int_equal(gnet_scan(w, 3).messages, 1);
    gnet_free(w);
}

static void test_iwant_is_not_served_after_idontwant(void **state) {
    (void)state;
    gnet *w = idontwant_net(true);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"news", 4), 0);
    uint8_t id[128];
    size_t id_len = gnet_published_id(w, 0, 0, id);
    pubsub_bytes view = {id, id_len};
    gnet_log_clear(w);
    gnet_raw_idontwant(w, 2, 0, view);
    gnet_raw_iwant(w, 2, 0, view);
    gnet_raw_iwant(w, 3, 0, view);
    assert_int_equal(gnet_scan(w, 2).messages, 0);
    assert_int_equal(gnet_scan(w, 3).messages, 1);
    gnet_free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_member_whose_score_turns_negative_is_pruned_without_px),
        cmocka_unit_test(test_the_rpcs_of_a_graylisted_peer_are_ignored),
        cmocka_unit_test(test_below_the_gossip_threshold_a_peer_neither_gets_nor_gives_gossip),
        cmocka_unit_test(test_flood_publish_skips_peers_below_the_publish_threshold),
        cmocka_unit_test(test_a_graft_during_backoff_is_refused_and_costs_p7_twice_within_the_flood_threshold),
        cmocka_unit_test(test_an_inbound_graft_to_a_full_mesh_is_refused_with_px),
        cmocka_unit_test(test_trimming_keeps_the_D_score_best_members),
        cmocka_unit_test(test_trimming_keeps_D_out_outbound_members),
        cmocka_unit_test(test_the_heartbeat_grafts_outbound_peers_up_to_D_out),
        cmocka_unit_test(test_opportunistic_grafting_adds_peers_that_score_above_a_low_median),
        cmocka_unit_test(test_a_broken_iwant_promise_costs_p7_after_the_followup_time),
        cmocka_unit_test(test_near_first_duplicates_from_mesh_members_count_for_p3),
        cmocka_unit_test(test_an_explicit_peer_is_never_meshed_and_always_sent_messages),
        cmocka_unit_test(test_a_message_the_validator_rejects_is_dropped_and_costs_p4),
        cmocka_unit_test(test_a_message_the_validator_ignores_is_dropped_without_penalty),
        cmocka_unit_test(test_score_snapshots_trace_every_peer_each_sample_interval),
        cmocka_unit_test(test_p6_charges_the_square_of_the_peers_beyond_the_threshold_on_one_address),
        cmocka_unit_test(test_a_prunes_peer_exchange_connects_to_new_peers_that_come_with_a_record),
        cmocka_unit_test(test_peer_exchange_follows_at_most_prune_peers_suggestions),
        cmocka_unit_test(test_peer_exchange_is_taken_only_from_peers_at_or_above_accept_px),
        cmocka_unit_test(test_a_prune_flood_makes_at_most_prune_peers_dials_per_heartbeat),
        cmocka_unit_test(test_the_px_dial_budget_of_a_heartbeat_is_shared_by_all_peers),
        cmocka_unit_test(test_only_one_prune_per_peer_and_heartbeat_has_its_px_followed),
        cmocka_unit_test(test_without_scoring_px_from_a_peer_that_dialled_us_is_refused),
        cmocka_unit_test(a_mesh_that_agrees_on_key_seqno_ids_does_not_ask_for_what_it_has),
        cmocka_unit_test(test_a_large_message_sends_idontwant_to_the_v12_mesh_but_its_sender),
        cmocka_unit_test(test_a_small_message_or_idontwant_off_sends_no_idontwant),
        cmocka_unit_test(test_a_peer_that_said_idontwant_is_not_forwarded_the_message),
        cmocka_unit_test(test_iwant_is_not_served_after_idontwant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
