/*
 * test_attack: each attacker kind does what sim/world/attack.h says, in small
 * worlds of 20 honest gossipsub nodes, and the honest routers answer as
 * GossipSub v1.1 says (rejections, P7, graylisting). Every fact comes from
 * the trace, seen through the runner's observe hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/time_units.h"
#include "crypto/identity.h"
#include "lab/run.h"

#define S_NS NS_PER_S
#define HONEST 20
#define ATTACKERS_MAX 8
#define NODES_MAX (HONEST + ATTACKERS_MAX)
#define TOPIC "blocks"

/* What the trace showed. */
typedef struct observed {
    uint64_t up_at[NODES_MAX];
    bool up[NODES_MAX];
    uint64_t messages_sent_by_attackers_before, messages_sent_by_attackers_after;
    uint64_t messages_received_by_attackers;
    uint64_t rejections_at_honest;
    uint64_t graylisted_drops;
    uint64_t px_refused_score, px_refused_inbound, px_refused_limits; /* at honest nodes, by reason */
    uint64_t iwants_to_attackers;
    uint32_t add_peers_at_target;
    uint64_t deliveries[HONEST];
    double lowest_attacker_score;
    peer_id ids[NODES_MAX];
} observed;

static observed seen;
static uint64_t turn_ns;  /* splits attackers' messages into before and after */
static uint64_t quiet_ns; /* attackers' messages before it are not counted */

static int node_of(const uint8_t *bytes, size_t len) {
    for (int i = 0; i < NODES_MAX; i++)
        if (seen.up[i] && seen.ids[i].len == len && memcmp(seen.ids[i].bytes, bytes, len) == 0) return i;
    return -1;
}

static bool from_attacker(const trace_event *e) { return node_of(e->peer, e->peer_len) >= HONEST; }

static void observe_rpc(const trace_event *e) {
    bool by_attacker = e->node_index >= HONEST;
    if (e->kind == TRACE_SEND_RPC && by_attacker && e->time_ns >= quiet_ns) {
        if (e->time_ns < turn_ns) seen.messages_sent_by_attackers_before += e->message_count;
        else seen.messages_sent_by_attackers_after += e->message_count;
    }
    if (e->kind == TRACE_RECV_RPC && by_attacker) seen.messages_received_by_attackers += e->message_count;
    if (e->kind == TRACE_SEND_RPC && !by_attacker && from_attacker(e)) seen.iwants_to_attackers += e->iwant_ids;
    if (e->kind == TRACE_DROP_RPC && !by_attacker && e->reason != NULL && strcmp(e->reason, "graylisted") == 0)
        seen.graylisted_drops++;
    if (e->kind == TRACE_DROP_RPC && !by_attacker && e->reason != NULL && strncmp(e->reason, "px ", 3) == 0) {
        if (strcmp(e->reason, "px score below accept_px") == 0) seen.px_refused_score++;
        else if (strcmp(e->reason, "px from an inbound peer without scoring") == 0) seen.px_refused_inbound++;
        else seen.px_refused_limits++;
    }
}

static void observe(void *user, const trace_event *e) {
    (void)user;
    switch (e->kind) {
    case TRACE_NODE_UP:
        seen.up[e->node_index] = true;
        seen.up_at[e->node_index] = e->time_ns;
        peer_id_from_bytes(e->peer, e->peer_len, &seen.ids[e->node_index]);
        break;
    case TRACE_REJECT_MESSAGE:
        if (e->node_index < HONEST) seen.rejections_at_honest++;
        break;
    case TRACE_DELIVER_MESSAGE:
        if (e->node_index < HONEST) seen.deliveries[e->node_index]++;
        break;
    case TRACE_ADD_PEER:
        if (e->node_index == 0 && from_attacker(e)) seen.add_peers_at_target++;
        break;
    case TRACE_PEER_SCORE:
        if (e->node_index < HONEST && from_attacker(e) && e->score < seen.lowest_attacker_score)
            seen.lowest_attacker_score = e->score;
        break;
    default:
        observe_rpc(e);
    }
}

/* 20 honest gossipsub nodes on a random 6-regular graph, one publisher at
 * 2/s from 5 s, scoring on with simple topic parameters (P1 at most 3, P2
 * weight 1, P3 off, P4 -100 per invalid message squared), and one group of
 * attackers from 10 s. */
static void small_world(scenario *s, const char *kind, uint32_t count) {
    scenario_defaults(s);
    strcpy(s->path, "test_attack");
    strcpy(s->name, "test-attack");
    s->duration_ns = 40 * S_NS;
    s->nodes.count = HONEST;
    s->network.topology = TOPOLOGY_RANDOM_REGULAR;
    s->network.degree = 6;
    s->protocol.router = ROUTER_GOSSIPSUB;
    s->protocol.gossipsub.scoring = true;
    s->protocol.gossipsub.score_sample_ns = 1 * S_NS;
    score_topic_params *t = &s->protocol.gossipsub.topic_score;
    memset(t, 0, sizeof *t);
    *t = (score_topic_params){.topic_weight = 1, .time_in_mesh_weight = 0.01, .time_in_mesh_quantum_ns = S_NS,
                              .time_in_mesh_cap = 300, .first_message_deliveries_weight = 1,
                              .first_message_deliveries_decay = 0.9, .first_message_deliveries_cap = 50,
                              .invalid_message_deliveries_weight = -100, .invalid_message_deliveries_decay = 0.5};
    turn_ns = UINT64_MAX;
    quiet_ns = 0;
    strcpy(s->workload.topics[0], TOPIC);
    s->workload.topic_count = 1;
    s->workload.rate_per_s = 2;
    s->workload.start_ns = 5 * S_NS;
    s->workload.stop_ns = s->duration_ns;
    attacker *a = &s->attackers[0];
    memset(a, 0, sizeof *a);
    strcpy(a->kind, kind);
    a->count = count;
    a->start_ns = 10 * S_NS;
    a->target = -1;
    a->connections = 6;
    s->attacker_count = 1;
    s->attackers_line = 1;
}

static void run(const scenario *s) {
    memset(&seen, 0, sizeof seen);
    seen.lowest_attacker_score = 0.0;
    run_options options = {.scenario = s, .observe = observe};
    run_result result;
    char err[256];
    if (run_scenario(&options, &result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
}

static void run_threads(const scenario *s, uint32_t threads, run_result *result) {
    memset(&seen, 0, sizeof seen);
    seen.lowest_attacker_score = 0.0;
    run_options options = {.scenario = s, .observe = observe, .threads = threads};
    char err[256];
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
}

/* The parallel world (docs/performance.md): forgers and liars, whose acts
 * run between windows, give the same run on 1, 2, 3 and 4 threads (more
 * threads than this machine's 2 cores: the cut, not the cores, decides). */
static void test_attacks_give_the_same_digest_on_any_thread_count(void **state) {
    (void)state;
    static const char *const kinds[] = {"forge", "lie"};
    for (size_t k = 0; k < 2; k++) {
        static scenario s;
        static run_result r[4];
        small_world(&s, kinds[k], 2);
        s.network.latency = (dist){DIST_UNIFORM, 5e6, 50e6};
        for (uint32_t t = 1; t <= 4; t++) {
            run_threads(&s, t, &r[t - 1]);
            assert_int_equal(r[t - 1].threads, t);
            assert_string_equal(r[t - 1].digest, r[0].digest);
            assert_int_equal(r[t - 1].trace_events, r[0].trace_events);
        }
    }
}

static void test_a_dropping_attacker_receives_messages_and_relays_none(void **state) {
    (void)state;
    scenario s;
    small_world(&s, "drop", 4);
    run(&s);
    assert_true(seen.messages_received_by_attackers > 0);
    assert_int_equal(seen.messages_sent_by_attackers_before, 0);
    for (int i = 0; i < HONEST; i++) assert_true(seen.deliveries[i] > 0); /* the honest graph carries on */
}

static void test_a_covert_flash_attacker_relays_until_its_turn(void **state) {
    (void)state;
    scenario s;
    small_world(&s, "covert-flash", 4);
    s.attackers[0].turn_at_ns = 25 * S_NS;
    turn_ns = 25 * S_NS + 1; /* what its router sent in the instant it turned */
    run(&s);
    assert_true(seen.messages_sent_by_attackers_before > 0);
    assert_int_equal(seen.messages_sent_by_attackers_after, 0);
}

static void test_forged_messages_are_rejected_and_graylist_the_forger(void **state) {
    (void)state;
    scenario s;
    small_world(&s, "forge", 1);
    s.attackers[0].rate_per_s = 5;
    run(&s);
    assert_true(seen.rejections_at_honest > 0);
    assert_true(seen.graylisted_drops > 0); /* P4: one invalid message is -100 x 1^2 */
    assert_true(seen.lowest_attacker_score < 0);
}

static void test_invalid_spam_is_rejected(void **state) {
    (void)state;
    scenario s;
    small_world(&s, "spam", 1);
    s.attackers[0].rate_per_s = 5;
    s.attackers[0].invalid = true;
    run(&s);
    assert_true(seen.rejections_at_honest > 0);
    assert_true(seen.lowest_attacker_score < 0);
}

static void test_graft_spam_costs_p7_until_the_spammer_is_graylisted(void **state) {
    (void)state;
    scenario s;
    small_world(&s, "graft-spam", 1);
    s.attackers[0].rate_per_s = 4;
    run(&s);
    assert_true(seen.lowest_attacker_score < 0); /* sampled after the heartbeat's decay */
    assert_true(seen.graylisted_drops > 0);
}

static void test_a_liar_is_asked_for_what_it_advertised_and_penalized(void **state) {
    (void)state;
    scenario s;
    small_world(&s, "lie", 2);
    run(&s);
    assert_true(seen.iwants_to_attackers > 0);
    assert_true(seen.lowest_attacker_score < 0); /* broken promises: P7 */
}

static void test_eclipse_sybils_all_connect_to_the_target(void **state) {
    (void)state;
    scenario s;
    small_world(&s, "eclipse", 6);
    s.attackers[0].target = 0;
    s.attackers[0].connections = 2;
    run(&s);
    assert_int_equal(seen.add_peers_at_target, 6);
}

static void test_cold_boot_attackers_are_up_before_every_honest_node(void **state) {
    (void)state;
    scenario s;
    small_world(&s, "cold-boot", 3);
    s.nodes.join_over_ns = 2 * S_NS;
    run(&s);
    for (int i = HONEST; i < HONEST + 3; i++) {
        assert_true(seen.up[i]);
        assert_int_equal(seen.up_at[i], 0);
    }
    assert_true(seen.messages_received_by_attackers > 0); /* honest nodes dialled them */
    assert_int_equal(seen.messages_sent_by_attackers_before, 0);
}

/* A px-flooder dials honest nodes and floods them with PRUNEs of made-up
 * peers. With scoring its score (0) is below accept_px; without, it dialled
 * them: either way no PX is followed, and every refusal is traced. Honest
 * nodes that trust inbound PX (accept_px_inbound) follow one PRUNE per
 * flooder and heartbeat, within their budgets, and refuse the rest. The
 * honest graph delivers throughout. */
static void test_a_px_flood_is_refused_by_trust_and_bounded_without_it(void **state) {
    (void)state;
    scenario s;
    small_world(&s, "px-flood", 2);
    s.attackers[0].rate_per_s = 5;
    run(&s);
    assert_true(seen.px_refused_score > 0);
    assert_int_equal(seen.px_refused_inbound + seen.px_refused_limits, 0);
    for (int i = 0; i < HONEST; i++) assert_true(seen.deliveries[i] > 0);

    s.protocol.gossipsub.scoring = false;
    run(&s);
    assert_true(seen.px_refused_inbound > 0);
    assert_int_equal(seen.px_refused_score + seen.px_refused_limits, 0);

    s.protocol.gossipsub.accept_px_inbound = true;
    run(&s);
    assert_int_equal(seen.px_refused_score + seen.px_refused_inbound, 0);
    assert_true(seen.px_refused_limits > 0); /* 8 PRUNEs an RPC: 7 of them at least */
    for (int i = 0; i < HONEST; i++) assert_true(seen.deliveries[i] > 0);
}

static void test_a_replayer_sends_old_messages_again(void **state) {
    (void)state;
    scenario s;
    small_world(&s, "replay", 1);
    s.duration_ns = 150 * S_NS;
    s.workload.stop_ns = 15 * S_NS; /* a few messages, then quiet: what is sent later is a replay */
    s.attackers[0].start_ns = 0;
    s.attackers[0].rate_per_s = 2;
    quiet_ns = 30 * S_NS;  /* it relayed the live messages before */
    turn_ns = 125 * S_NS; /* ATTACK_REPLAY_AGE_NS after the first messages */
    run(&s);
    assert_int_equal(seen.messages_sent_by_attackers_before, 0);
    assert_true(seen.messages_sent_by_attackers_after > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_dropping_attacker_receives_messages_and_relays_none),
        cmocka_unit_test(test_attacks_give_the_same_digest_on_any_thread_count),
        cmocka_unit_test(test_a_covert_flash_attacker_relays_until_its_turn),
        cmocka_unit_test(test_forged_messages_are_rejected_and_graylist_the_forger),
        cmocka_unit_test(test_invalid_spam_is_rejected),
        cmocka_unit_test(test_graft_spam_costs_p7_until_the_spammer_is_graylisted),
        cmocka_unit_test(test_a_liar_is_asked_for_what_it_advertised_and_penalized),
        cmocka_unit_test(test_eclipse_sybils_all_connect_to_the_target),
        cmocka_unit_test(test_cold_boot_attackers_are_up_before_every_honest_node),
        cmocka_unit_test(test_a_replayer_sends_old_messages_again),
        cmocka_unit_test(test_a_px_flood_is_refused_by_trust_and_bounded_without_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
