/*
 * test_gossipsub: the GossipSub router follows gossipsub-v1.0.md (mesh,
 * fanout, heartbeat, GRAFT/PRUNE, IHAVE/IWANT gossip, message cache) and
 * the v1.1 PRUNE backoff, on the harness of tests/support/gossipsub_net.h.
 * The v1.1 scoring rules and v1.2 IDONTWANT are in test_gossipsub_v11.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pubsub/gossipsub.h"
#include "gossipsub_net.h"
#include "wire/gossipsub_pb.h"

/* ---- configuration ------------------------------------------------------ */

static void test_config_default_has_the_spec_values(void **state) {
    (void)state;
    gossipsub_config c;
    gossipsub_config_default(&c);
    assert_int_equal(c.D, 6);
    assert_int_equal(c.D_lo, 4);
    assert_int_equal(c.D_hi, 12);
    assert_int_equal(c.D_lazy, 6);
    assert_int_equal(c.heartbeat_ns, 1 * SEC);
    assert_int_equal(c.fanout_ttl_ns, 60 * SEC);
    assert_int_equal(c.mcache_len, 5);
    assert_int_equal(c.mcache_gossip, 3);
    assert_int_equal(gossipsub_config_check(&c), -1); /* no randomness yet */
    c.random = gnet_host_random;
    assert_int_equal(gossipsub_config_check(&c), 0);
    c.D_lo = 7; /* D_lo > D */
    assert_int_equal(gossipsub_config_check(&c), -1);
}

/* ---- join and leave ----------------------------------------------------- */

static void test_join_grafts_D_subscribed_peers(void **state) {
    (void)state;
    gossipsub_config config;
    gnet_default_config(&config);
    gnet *w = gnet_new(10, 10, &config);
    for (uint32_t a = 0; a < 10; a++)
        for (uint32_t b = a + 1; b < 10; b++) gnet_connect(w, a, b);
    for (uint32_t i = 1; i < 10; i++) {
        assert_int_equal(gossipsub_subscribe(w->nodes[i].gs, TOPIC), 0);
        gnet_drain(w);
    }
    int grafts_before = w->nodes[0].traces[TRACE_GRAFT];
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_drain(w);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 6);
    assert_int_equal(w->nodes[0].traces[TRACE_GRAFT] - grafts_before, 6);
    /* Every grafted peer subscribes, so each accepted: the mesh is symmetric. */
    int accepted = 0;
    for (uint32_t i = 1; i < 10; i++) {
        bool ours = gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i);
        assert_int_equal(ours, gossipsub_in_mesh(w->nodes[i].gs, TOPIC, 0));
        accepted += ours;
    }
    assert_int_equal(accepted, 6);
    gnet_free(w);
}

static void test_join_grafts_all_when_fewer_than_D_peers_subscribe(void **state) {
    (void)state;
    gnet *w = gnet_star_default(5, true);
    gnet_raw_subscribe(w, 1, 0, TOPIC);
    gnet_raw_subscribe(w, 2, 0, TOPIC);
    gnet_raw_subscribe(w, 3, 0, "other");
    gnet_log_clear(w);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 2);
    assert_int_equal(gnet_scan(w, 1).grafts, 1);
    assert_int_equal(gnet_scan(w, 2).grafts, 1);
    assert_int_equal(gnet_scan(w, 3).grafts, 0); /* not subscribed to the topic */
    assert_int_equal(gnet_scan(w, 4).grafts, 0);
    assert_int_equal(gnet_scan(w, 4).rpcs, 1); /* but told of our subscription */
    gnet_free(w);
}

static void test_leave_prunes_the_mesh_with_the_unsubscribe_backoff(void **state) {
    (void)state;
    gnet *w = gnet_star_default(3, true);
    for (uint32_t i = 1; i <= 3; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_log_clear(w);
    assert_int_equal(gossipsub_unsubscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 3; i++) {
        gnet_received r = gnet_scan(w, i);
        assert_int_equal(r.prunes, 1);
        assert_true(r.prune_has_backoff);
        assert_int_equal(r.prune_backoff_s, 10);
    }
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 0);
    assert_false(gossipsub_is_subscribed(w->nodes[0].gs, TOPIC));
    /* Rejoining within the backoff grafts none of them. */
    gnet_log_clear(w);
    w->now += 5 * SEC;
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gnet_scan(w, 1).grafts + gnet_scan(w, 2).grafts + gnet_scan(w, 3).grafts, 0);
    gnet_free(w);
}

/* ---- message propagation ---------------------------------------------- */

static void test_message_reaches_every_subscriber_once_through_the_mesh(void **state) {
    (void)state;
    gossipsub_config config;
    gnet_default_config(&config);
    config.flood_publish = false;
    gnet *w = gnet_new(20, 20, &config);
    for (uint32_t i = 0; i < 20; i++) /* a ring with chords: degree 6, diameter 4 */
        for (uint32_t k = 1; k <= 3; k++) gnet_connect(w, i, (i + k) % 20);
    for (uint32_t i = 0; i < 20; i++) gossipsub_subscribe(w->nodes[i].gs, TOPIC);
    gnet_drain(w);
    for (int beat = 0; beat < 3; beat++) {
        w->now += SEC;
        gnet_heartbeat_all(w);
    }
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"hello", 5), 0);
    gnet_drain(w);
    int duplicates = 0;
    for (uint32_t i = 0; i < 20; i++) {
        assert_int_equal(w->nodes[i].delivered, 1);
        assert_memory_equal(w->nodes[i].last_data, "hello", 5);
        duplicates += w->nodes[i].traces[TRACE_DUPLICATE_MESSAGE];
        size_t mesh = gossipsub_mesh_count(w->nodes[i].gs, TOPIC);
        assert_true(mesh >= 4 && mesh <= 6); /* each node has only 6 peers */
    }
    assert_true(duplicates > 0); /* the mesh has cycles; the seen cache absorbs them */
    gnet_free(w);
}

static void test_own_message_is_flood_published_to_all_topic_peers(void **state) {
    (void)state;
    gnet *w = gnet_star_default(10, true);
    for (uint32_t i = 1; i <= 8; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_log_clear(w);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"x", 1), 0);
    for (uint32_t i = 1; i <= 8; i++) assert_int_equal(gnet_scan(w, i).messages, 1); /* mesh is only 6 */
    assert_int_equal(gnet_scan(w, 9).messages, 0);
    assert_int_equal(gnet_scan(w, 10).messages, 0);
    assert_int_equal(w->nodes[0].delivered, 1);
    gnet_free(w);
}

static void test_message_with_a_bad_signature_is_rejected(void **state) {
    (void)state;
    gnet *w = gnet_star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_node *raw = &w->nodes[1];
    uint8_t seqno[PUBSUB_SEQNO_BYTES] = {0, 0, 0, 0, 0, 0, 0, 1};
    pubsub_message msg = {.from = {raw->pid.bytes, raw->pid.len}, .has_from = true,
                          .data = gnet_bytes("genuine"), .has_data = true,
                          .seqno = {seqno, sizeof seqno}, .has_seqno = true,
                          .topic = gnet_bytes(TOPIC), .has_topic = true};
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    assert_int_equal(pubsub_message_sign(&raw->id, &msg, sig), 0);
    msg.signature = (pubsub_bytes){sig, sizeof sig};
    msg.has_signature = true;
    pubsub_message forged = msg;
    forged.data = gnet_bytes("forged!");
    gnet_raw_send(w, 1, 0, NULL, 0, &forged, 1, NULL);
    assert_int_equal(w->nodes[0].traces[TRACE_REJECT_MESSAGE], 1);
    assert_int_equal(w->nodes[0].delivered, 0);
    /* The forgery did not enter the seen cache: the genuine one still arrives. */
    gnet_raw_send(w, 1, 0, NULL, 0, &msg, 1, NULL);
    assert_int_equal(w->nodes[0].delivered, 1);
    gnet_raw_send(w, 1, 0, NULL, 0, &msg, 1, NULL);
    assert_int_equal(w->nodes[0].delivered, 1);
    assert_int_equal(w->nodes[0].traces[TRACE_DUPLICATE_MESSAGE], 1);
    gnet_free(w);
}

static void test_message_is_forwarded_to_the_mesh_but_not_to_its_sender_or_origin(void **state) {
    (void)state;
    gnet *w = gnet_star_default(4, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 3; i++) {
        gnet_raw_subscribe(w, i, 0, TOPIC);
        gnet_raw_graft(w, i, 0, TOPIC);
    }
    gnet_raw_subscribe(w, 4, 0, TOPIC); /* subscribed, but not in the mesh */
    gnet_log_clear(w);
    gnet_node *origin = &w->nodes[3];
    uint8_t seqno[PUBSUB_SEQNO_BYTES] = {0, 0, 0, 0, 0, 0, 0, 7};
    pubsub_message msg = {.from = {origin->pid.bytes, origin->pid.len}, .has_from = true,
                          .data = gnet_bytes("relayed"), .has_data = true,
                          .seqno = {seqno, sizeof seqno}, .has_seqno = true,
                          .topic = gnet_bytes(TOPIC), .has_topic = true};
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    assert_int_equal(pubsub_message_sign(&origin->id, &msg, sig), 0);
    msg.signature = (pubsub_bytes){sig, sizeof sig};
    msg.has_signature = true;
    gnet_raw_send(w, 1, 0, NULL, 0, &msg, 1, NULL); /* peer 1 relays what 3 published */
    assert_int_equal(w->nodes[0].delivered, 1);
    assert_int_equal(gnet_scan(w, 1).messages, 0); /* the sender */
    assert_int_equal(gnet_scan(w, 2).messages, 1); /* the mesh */
    assert_int_equal(gnet_scan(w, 3).messages, 0); /* the origin */
    assert_int_equal(gnet_scan(w, 4).messages, 0); /* not in the mesh: gossip only */
    gnet_free(w);
}

/* ---- fanout ------------------------------------------------------------- */

static void test_fanout_sends_to_D_peers_and_expires_after_fanout_ttl(void **state) {
    (void)state;
    gnet *w = gnet_star_default(10, false);
    for (uint32_t i = 1; i <= 10; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    gnet_log_clear(w);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"f", 1), 0);
    int sent = 0;
    for (uint32_t i = 1; i <= 10; i++) sent += gnet_scan(w, i).messages;
    assert_int_equal(sent, 6);
    assert_int_equal(gossipsub_fanout_count(w->nodes[0].gs, TOPIC), 6);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(w->nodes[0].delivered, 0); /* we do not subscribe */
    w->now = 59 * SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gossipsub_fanout_count(w->nodes[0].gs, TOPIC), 6);
    w->now = 60 * SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gossipsub_fanout_count(w->nodes[0].gs, TOPIC), 0);
    gnet_free(w);
}

static void test_join_turns_the_fanout_into_the_mesh(void **state) {
    (void)state;
    gnet *w = gnet_star_default(10, false);
    for (uint32_t i = 1; i <= 10; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"f", 1), 0);
    bool fanout[11] = {false};
    for (uint32_t i = 1; i <= 10; i++) fanout[i] = gnet_scan(w, i).messages == 1;
    gnet_log_clear(w);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 10; i++) {
        assert_int_equal(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i), fanout[i]);
        assert_int_equal(gnet_scan(w, i).grafts, fanout[i] ? 1 : 0);
    }
    assert_int_equal(gossipsub_fanout_count(w->nodes[0].gs, TOPIC), 0);
    gnet_free(w);
}

static void test_join_does_not_graft_a_fanout_peer_in_backoff(void **state) {
    (void)state;
    gnet *w = gnet_star_default(10, false);
    for (uint32_t i = 1; i <= 10; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"f", 1), 0);
    uint32_t backed_off = 0;
    for (uint32_t i = 1; i <= 10 && backed_off == 0; i++)
        if (gnet_scan(w, i).messages == 1) backed_off = i; /* a fanout peer */
    assert_true(backed_off > 0);
    gnet_raw_prune(w, backed_off, 0, TOPIC, 30);
    gnet_log_clear(w);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, backed_off));
    assert_int_equal(gnet_scan(w, backed_off).grafts, 0);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 6); /* topped up from the rest */
    gnet_free(w);
}

/* ---- heartbeat: mesh maintenance -------------------------------------- */

static void test_heartbeat_grafts_up_to_D_when_below_D_lo(void **state) {
    (void)state;
    gnet *w = gnet_star_default(10, true);
    gnet_raw_subscribe(w, 1, 0, TOPIC);
    gnet_raw_subscribe(w, 2, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 2);
    for (uint32_t i = 3; i <= 10; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    gnet_log_clear(w);
    w->now = SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 6);
    int grafts = 0;
    for (uint32_t i = 1; i <= 10; i++) {
        gnet_received r = gnet_scan(w, i);
        grafts += r.grafts;
        assert_int_equal(r.grafts, gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i) && i > 2 ? 1 : 0);
    }
    assert_int_equal(grafts, 4);
    gnet_free(w);
}

static void test_heartbeat_leaves_a_mesh_within_D_lo_and_D_hi_alone(void **state) {
    (void)state;
    gnet *w = gnet_star_default(10, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 10; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    for (uint32_t i = 1; i <= 4; i++) gnet_raw_graft(w, i, 0, TOPIC); /* exactly D_lo */
    gnet_log_clear(w);
    gossipsub_heartbeat(w->nodes[0].gs, SEC);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 4);
    for (uint32_t i = 1; i <= 10; i++) assert_int_equal(gnet_scan(w, i).grafts + gnet_scan(w, i).prunes, 0);
    gnet_free(w);
}

static void test_heartbeat_prunes_down_to_D_when_above_D_hi(void **state) {
    (void)state;
    gnet *w = gnet_star_default(14, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 14; i++) {
        gnet_raw_subscribe(w, i, 0, TOPIC);
        gnet_raw_graft(w, i, 0, TOPIC);
    }
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 14); /* GRAFTs are accepted */
    gnet_log_clear(w);
    w->now = SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 6);
    int prunes = 0;
    for (uint32_t i = 1; i <= 14; i++) {
        gnet_received r = gnet_scan(w, i);
        bool kept = gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i);
        assert_int_equal(r.prunes, kept ? 0 : 1);
        if (kept) continue;
        prunes++;
        assert_true(r.prune_has_backoff);
        assert_int_equal(r.prune_backoff_s, 60);
        assert_int_equal(r.prune_px, 6); /* the kept members, for peer exchange */
        assert_true(gossipsub_in_backoff(w->nodes[0].gs, TOPIC, i, w->now));
    }
    assert_int_equal(prunes, 8);
    gnet_free(w);
}

/* ---- GRAFT and PRUNE ---------------------------------------------------- */

static void test_graft_for_an_unsubscribed_topic_is_answered_with_prune(void **state) {
    (void)state;
    gnet *w = gnet_star_default(1, true);
    gnet_raw_graft(w, 1, 0, "other");
    gnet_received r = gnet_scan(w, 1);
    assert_int_equal(r.prunes, 1);
    assert_true(r.prune_has_backoff);
    assert_int_equal(r.prune_backoff_s, 60);
    assert_int_equal(r.prune_px, 0);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, "other"), 0);
    assert_int_equal(w->nodes[0].traces[TRACE_GRAFT], 0);
    gnet_free(w);
}

static void test_prune_to_a_v10_peer_carries_no_backoff(void **state) {
    (void)state;
    gossipsub_config config;
    gnet_default_config(&config);
    gnet *w = gnet_new(2, 1, &config);
    gnet_connect_as(w, 0, 1, GOSSIPSUB_PROTOCOL_V10);
    gnet_raw_graft(w, 1, 0, "other");
    gnet_received r = gnet_scan(w, 1);
    assert_int_equal(r.prunes, 1);
    assert_false(r.prune_has_backoff);
    gnet_free(w);
}

static void test_graft_for_a_subscribed_topic_joins_the_mesh(void **state) {
    (void)state;
    gnet *w = gnet_star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_raw_graft(w, 1, 0, TOPIC);
    assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_int_equal(gnet_scan(w, 1).prunes, 0);
    assert_int_equal(w->nodes[0].traces[TRACE_GRAFT], 1);
    gnet_free(w);
}

static void test_pruned_peer_is_not_regrafted_before_the_backoff_expires(void **state) {
    (void)state;
    gnet *w = gnet_star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_raw_subscribe(w, 1, 0, TOPIC);
    gnet_raw_graft(w, 1, 0, TOPIC);
    gnet_raw_prune(w, 1, 0, TOPIC, 10);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_int_equal(w->nodes[0].traces[TRACE_PRUNE], 1);
    gnet_log_clear(w);
    for (uint64_t s = 1; s <= 9; s++) { /* mesh below D_lo, peer 1 the only candidate */
        w->now = s * SEC;
        gossipsub_heartbeat(w->nodes[0].gs, w->now);
    }
    assert_int_equal(gnet_scan(w, 1).grafts, 0);
    /* A GRAFT of its own within the backoff is refused. */
    gnet_raw_graft(w, 1, 0, TOPIC);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_int_equal(gnet_scan(w, 1).prunes, 1);
    w->now = 10 * SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gnet_scan(w, 1).grafts, 1);
    assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    gnet_free(w);
}

static void test_unsubscribe_of_a_peer_removes_it_from_the_mesh(void **state) {
    (void)state;
    gnet *w = gnet_star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_raw_subscribe(w, 1, 0, TOPIC);
    gnet_raw_graft(w, 1, 0, TOPIC);
    pubsub_subopts sub = {.subscribe = false, .topic = gnet_bytes(TOPIC)};
    gnet_raw_send(w, 1, 0, &sub, 1, NULL, 0, NULL);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    gossipsub_remove_peer(w->nodes[0].gs, 1);
    assert_int_equal(w->nodes[0].traces[TRACE_REMOVE_PEER], 1);
    gnet_free(w);
}

/* ---- IHAVE and IWANT ---------------------------------------------------- */

static void test_ihave_of_an_unseen_id_yields_iwant(void **state) {
    (void)state;
    gnet *w = gnet_star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_log_clear(w);
    uint8_t id[12] = "unseen-id-01";
    gnet_raw_ihave(w, 1, 0, TOPIC, (pubsub_bytes){id, sizeof id});
    gnet_received r = gnet_scan(w, 1);
    assert_int_equal(r.iwant_ids, 1);
    assert_int_equal(r.last_iwant_len, sizeof id);
    assert_memory_equal(r.last_iwant, id, sizeof id);
    gnet_free(w);
}

static void test_ihave_of_a_seen_id_or_other_topic_yields_nothing(void **state) {
    (void)state;
    gnet *w = gnet_star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"m", 1), 0);
    gnet_log_clear(w);
    uint8_t id[GOSSIPSUB_MESSAGE_ID_MAX_BYTES];
    size_t len = gnet_published_id(w, 0, 0, id);
    gnet_raw_ihave(w, 1, 0, TOPIC, (pubsub_bytes){id, len});
    gnet_raw_ihave(w, 1, 0, "other", gnet_bytes("unseen-id-02"));
    assert_int_equal(gnet_scan(w, 1).rpcs, 0);
    gnet_free(w);
}

static void test_ihaves_past_max_ihave_messages_are_ignored_until_the_heartbeat(void **state) {
    (void)state;
    gnet *w = gnet_star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_log_clear(w);
    char id[16];
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "id-%02d", i);
        gnet_raw_ihave(w, 1, 0, TOPIC, gnet_bytes(id));
    }
    assert_int_equal(gnet_scan(w, 1).iwant_ids, 10); /* max_ihave_messages */
    gossipsub_heartbeat(w->nodes[0].gs, SEC);
    gnet_raw_ihave(w, 1, 0, TOPIC, gnet_bytes("id-99"));
    assert_int_equal(gnet_scan(w, 1).iwant_ids, 11);
    gnet_free(w);
}

static void test_iwant_is_served_from_the_cache_within_the_retransmission_limit(void **state) {
    (void)state;
    gnet *w = gnet_star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"cached", 6), 0);
    assert_int_equal(gnet_scan(w, 1).messages, 0); /* peer 1 does not subscribe */
    uint8_t id[GOSSIPSUB_MESSAGE_ID_MAX_BYTES];
    size_t len = gnet_published_id(w, 0, 0, id);
    gnet_raw_iwant(w, 1, 0, (pubsub_bytes){id, len});
    gnet_received r = gnet_scan(w, 1);
    assert_int_equal(r.messages, 1);
    assert_int_equal(r.last_data_len, 6);
    assert_memory_equal(r.last_data, "cached", 6);
    for (int i = 0; i < 3; i++) gnet_raw_iwant(w, 1, 0, (pubsub_bytes){id, len});
    assert_int_equal(gnet_scan(w, 1).messages, 3); /* MCACHE_RETRANSMISSION_DEFAULT */
    gnet_raw_iwant(w, 1, 0, gnet_bytes("not-cached"));
    assert_int_equal(gnet_scan(w, 1).messages, 3);
    gnet_free(w);
}

static void test_message_leaves_the_cache_after_mcache_len_heartbeats(void **state) {
    (void)state;
    gnet *w = gnet_star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"old", 3), 0);
    for (uint64_t s = 1; s <= 5; s++) gossipsub_heartbeat(w->nodes[0].gs, s * SEC);
    gnet_log_clear(w);
    uint8_t id[GOSSIPSUB_MESSAGE_ID_MAX_BYTES];
    size_t len = gnet_published_id(w, 0, 0, id);
    gnet_raw_iwant(w, 1, 0, (pubsub_bytes){id, len});
    assert_int_equal(gnet_scan(w, 1).messages, 0);
    gnet_free(w);
}

/* ---- heartbeat: gossip -------------------------------------------------- */

static void test_gossip_goes_only_to_non_mesh_peers(void **state) {
    (void)state;
    gnet *w = gnet_star_default(10, false);
    for (uint32_t i = 1; i <= 10; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    gnet_log_clear(w);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"g", 1), 0);
    for (uint32_t i = 1; i <= 10; i++)
        assert_int_equal(gnet_scan(w, i).messages, gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i) ? 1 : 0);
    gnet_log_clear(w);
    gossipsub_heartbeat(w->nodes[0].gs, SEC);
    /* 4 peers outside the mesh: max(D_lazy, 0.25 * 4) capped at 4. */
    int gossiped = 0;
    for (uint32_t i = 1; i <= 10; i++) {
        gnet_received r = gnet_scan(w, i);
        bool mesh = gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i);
        assert_int_equal(r.ihaves, mesh ? 0 : 1);
        assert_int_equal(r.ihave_ids, mesh ? 0 : 1);
        gossiped += r.ihaves;
    }
    assert_int_equal(gossiped, 4);
    gnet_free(w);
}

static void test_gossip_reaches_at_most_D_lazy_of_many_non_mesh_peers(void **state) {
    (void)state;
    gnet *w = gnet_star_default(20, false);
    for (uint32_t i = 1; i <= 20; i++) gnet_raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"g", 1), 0);
    gnet_log_clear(w);
    gossipsub_heartbeat(w->nodes[0].gs, SEC);
    int gossiped = 0;
    for (uint32_t i = 1; i <= 20; i++) gossiped += gnet_scan(w, i).ihaves;
    assert_int_equal(gossiped, 6); /* 14 candidates: max(6, 0.25 * 14 = 3) */
    /* After mcache_gossip heartbeats the id is no longer advertised. */
    gossipsub_heartbeat(w->nodes[0].gs, 2 * SEC);
    gossipsub_heartbeat(w->nodes[0].gs, 3 * SEC);
    gnet_log_clear(w);
    gossipsub_heartbeat(w->nodes[0].gs, 4 * SEC);
    gossiped = 0;
    for (uint32_t i = 1; i <= 20; i++) gossiped += gnet_scan(w, i).ihaves;
    assert_int_equal(gossiped, 0);
    gnet_free(w);
}

static void test_gossip_repairs_a_message_the_mesh_missed(void **state) {
    (void)state;
    /* Two subscribed routers kept out of each other's mesh by the backoff of
     * a LEAVE: the message reaches node 1 only through IHAVE -> IWANT. */
    gossipsub_config config;
    gnet_default_config(&config);
    config.flood_publish = false;
    gnet *w = gnet_new(2, 2, &config);
    gnet_connect(w, 0, 1);
    gossipsub_subscribe(w->nodes[0].gs, TOPIC);
    gnet_drain(w);
    gossipsub_subscribe(w->nodes[1].gs, TOPIC);
    gnet_drain(w);
    assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    gossipsub_unsubscribe(w->nodes[1].gs, TOPIC);
    gnet_drain(w);
    gossipsub_subscribe(w->nodes[1].gs, TOPIC);
    gnet_drain(w);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_false(gossipsub_in_mesh(w->nodes[1].gs, TOPIC, 0));
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"repair", 6), 0);
    gnet_drain(w);
    assert_int_equal(w->nodes[1].delivered, 0);
    w->now = SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now); /* 1 is backed off: gossip, no graft */
    gnet_drain(w);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_int_equal(w->nodes[1].delivered, 1);
    assert_memory_equal(w->nodes[1].last_data, "repair", 6);
    gnet_free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_default_has_the_spec_values),
        cmocka_unit_test(test_join_grafts_D_subscribed_peers),
        cmocka_unit_test(test_join_grafts_all_when_fewer_than_D_peers_subscribe),
        cmocka_unit_test(test_leave_prunes_the_mesh_with_the_unsubscribe_backoff),
        cmocka_unit_test(test_message_reaches_every_subscriber_once_through_the_mesh),
        cmocka_unit_test(test_own_message_is_flood_published_to_all_topic_peers),
        cmocka_unit_test(test_message_with_a_bad_signature_is_rejected),
        cmocka_unit_test(test_message_is_forwarded_to_the_mesh_but_not_to_its_sender_or_origin),
        cmocka_unit_test(test_fanout_sends_to_D_peers_and_expires_after_fanout_ttl),
        cmocka_unit_test(test_join_turns_the_fanout_into_the_mesh),
        cmocka_unit_test(test_join_does_not_graft_a_fanout_peer_in_backoff),
        cmocka_unit_test(test_heartbeat_grafts_up_to_D_when_below_D_lo),
        cmocka_unit_test(test_heartbeat_leaves_a_mesh_within_D_lo_and_D_hi_alone),
        cmocka_unit_test(test_heartbeat_prunes_down_to_D_when_above_D_hi),
        cmocka_unit_test(test_graft_for_an_unsubscribed_topic_is_answered_with_prune),
        cmocka_unit_test(test_prune_to_a_v10_peer_carries_no_backoff),
        cmocka_unit_test(test_graft_for_a_subscribed_topic_joins_the_mesh),
        cmocka_unit_test(test_pruned_peer_is_not_regrafted_before_the_backoff_expires),
        cmocka_unit_test(test_unsubscribe_of_a_peer_removes_it_from_the_mesh),
        cmocka_unit_test(test_ihave_of_an_unseen_id_yields_iwant),
        cmocka_unit_test(test_ihave_of_a_seen_id_or_other_topic_yields_nothing),
        cmocka_unit_test(test_ihaves_past_max_ihave_messages_are_ignored_until_the_heartbeat),
        cmocka_unit_test(test_iwant_is_served_from_the_cache_within_the_retransmission_limit),
        cmocka_unit_test(test_message_leaves_the_cache_after_mcache_len_heartbeats),
        cmocka_unit_test(test_gossip_goes_only_to_non_mesh_peers),
        cmocka_unit_test(test_gossip_reaches_at_most_D_lazy_of_many_non_mesh_peers),
        cmocka_unit_test(test_gossip_repairs_a_message_the_mesh_missed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
