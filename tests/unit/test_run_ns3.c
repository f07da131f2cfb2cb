/*
 * test_run_ns3: whole scenario runs with network.backend: ns3 (issue 14,
 * docs/fidelity.md "The ns3 backend"): 20 floodsub peers, a constant 20 ms
 * latency and no bandwidth limit deliver every message, with latencies
 * within 1% of the built-in backend's (ns-3 adds the serialization at
 * 100 Gbit/s and headers, microseconds per hop), and the same seed twice
 * gives the same digest. The scenario keys ns3 does not run yet are refused
 * at load, naming file, line and key. Churn, partitions, a Shadow graph,
 * regions with jitter and attackers (forgers; Sybils behind one address)
 * run beside builtin with the same outcome.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/time_units.h"
#include "lab/run.h"

#define NODES 20
#define TOLERANCE 0.01 /* relative, on latency p50, p90, p99 and max */

static void make_scenario(scenario *s, uint64_t seed, network_backend backend) {
    scenario_defaults(s);
    snprintf(s->name, sizeof s->name, "test-run-ns3");
    s->seed = seed;
    s->duration_ns = 20 * NS_PER_S;
    s->nodes.count = NODES;
    s->network.latency = (dist){DIST_CONSTANT, 20.0 * NS_PER_MS, 0};
    s->network.topology = TOPOLOGY_RANDOM_REGULAR;
    s->network.degree = 4;
    s->network.backend = backend;
    s->workload.topic_count = 1;
    snprintf(s->workload.topics[0], SCENARIO_TOPIC_MAX, "blocks");
    s->workload.subscribers = (selector){.kind = SELECT_ALL};
    s->workload.publishers = (selector){.kind = SELECT_COUNT, .count = 5};
    s->workload.rate_per_s = 2;
    s->workload.arrival = ARRIVAL_PERIODIC;
    s->workload.size_bytes = 1024;
    s->workload.start_ns = 5 * NS_PER_S;
    s->workload.stop_ns = 15 * NS_PER_S;
}

static void run(const scenario *s, run_result *result) {
    run_options options = {.scenario = s};
    char err[256] = "";
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
}

static void assert_close(double builtin, double ns3, const char *what) {
    double rel = fabs(ns3 - builtin) / builtin;
    print_message("  %-12s builtin %8.3f ms   ns3 %8.3f ms   %+.3f%%\n", what, builtin, ns3,
                  100 * (ns3 - builtin) / builtin);
    if (!(rel <= TOLERANCE)) fail_msg("%s: builtin %.3f ms, ns3 %.3f ms", what, builtin, ns3);
}

static void ns3_delivers_everything_like_builtin_and_repeats_its_digest(void **state) {
    (void)state;
    static scenario s;
    static run_result builtin, a, b, other;
    make_scenario(&s, 3, BACKEND_BUILTIN);
    run(&s, &builtin);
    make_scenario(&s, 3, BACKEND_NS3);
    run(&s, &a);
    run(&s, &b);
    make_scenario(&s, 4, BACKEND_NS3);
    run(&s, &other);

    assert_true(a.messages_published >= 15);
    assert_int_equal(a.messages_published, builtin.messages_published);
    assert_true(a.summary.delivery_ratio == 1.0);
    assert_true(builtin.summary.delivery_ratio == 1.0);
    assert_close(builtin.summary.latency_ms_p50, a.summary.latency_ms_p50, "latency p50");
    assert_close(builtin.summary.latency_ms_p90, a.summary.latency_ms_p90, "latency p90");
    assert_close(builtin.summary.latency_ms_p99, a.summary.latency_ms_p99, "latency p99");
    assert_close(builtin.summary.latency_ms_max, a.summary.latency_ms_max, "latency max");

    assert_string_equal(a.digest, b.digest);
    assert_int_equal(a.trace_events, b.trace_events);
    assert_int_equal(a.events_processed, b.events_processed);
    assert_string_not_equal(a.digest, other.digest);
    assert_true(other.summary.delivery_ratio == 1.0);
}

/* Loads text from a temporary file into s; returns scenario_load's
 * result, the error in err with the file's name replaced by "F". */
static int load_into(const char *text, scenario *s, char *err, size_t err_cap) {
    char name[] = "/tmp/swarmlab-test-ns3-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0) fail_msg("cannot create %s", name);
    FILE *f = fdopen(fd, "w");
    if (f == NULL) fail_msg("cannot open %s", name);
    fputs(text, f);
    fclose(f);
    char raw[512] = "";
    int rc = scenario_load(name, NULL, 0, s, raw, sizeof raw);
    unlink(name);
    const char *rest = strncmp(raw, name, strlen(name)) == 0 ? raw + strlen(name) : raw;
    snprintf(err, err_cap, "F%s", rest);
    return rc;
}

static int load_text(const char *text, char *err, size_t err_cap) {
    static scenario s;
    return load_into(text, &s, err, err_cap);
}

#define BASE "name: x\nduration: 10s\nnodes:\n  count: 4\nnetwork:\n  latency: 10ms\n"

static void the_backend_key_is_checked_and_what_ns3_lacks_is_refused(void **state) {
    (void)state;
    char err[512];
    assert_int_equal(load_text(BASE "  backend: ns3\n", err, sizeof err), 0);
    assert_int_equal(load_text(BASE "  backend: builtin\n", err, sizeof err), 0);
    assert_int_equal(load_text(BASE "  backend: ns-3\n", err, sizeof err), -1);
    assert_string_equal(err, "F:7: network.backend: unknown backend \"ns-3\" (expected one of: builtin, ns3)");
    assert_int_equal(load_text("name: x\nduration: 10s\nnodes:\n  count: 4\nnetwork:\n  latency: {dist: uniform, "
                               "min: 10ms, max: 20ms}\n  backend: ns3\n",
                               err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "F:6: network.latency: under network.backend: ns3 must be a constant"));
    /* Churn, offline windows and partitions run under ns3 (hosts stop listening, connections reset). */
    assert_int_equal(load_text(BASE "  backend: ns3\nchurn:\n  nodes: 50%\n  session: 10s\n  downtime: 5s\n", err, sizeof err), 0);
    assert_int_equal(
        load_text(BASE "  backend: ns3\n  partitions:\n    - {at: 1s, until: 2s, groups: [\"0-1\", \"2-3\"]}\n", err,
                  sizeof err),
        0);
    assert_int_equal(load_text(BASE "  backend: ns3\noffline:\n  - {nodes: \"0-1\", at: 2s, for: 3s}\n", err, sizeof err), 0);
    /* Attackers run under ns3 (each its own ns-3 node; same_ip is the world's address). */
    assert_int_equal(load_text(BASE "  backend: ns3\nprotocol:\n  router: gossipsub\nattackers:\n  - {kind: cold-boot, count: 1, connections: 2}\n", err, sizeof err), 0);
}


/* Churn, an offline window and a partition under ns3 (docs/fidelity.md
 * "(d) Churn"): 30 gossipsub peers at a constant 40 ms, half of them
 * churning (sessions of 20 s, downtimes of 10 s on average), nodes 0-3
 * offline from 30 to 45 s. The same seed twice gives the same digest;
 * delivery is within 1% of builtin's. (Partitions run too, but deliver
 * later than builtin after the heal: docs/fidelity.md.) */
static const char churn_yaml[] =
    "name: churn-ns3\nseed: 1\nduration: 90s\n"
    "network:\n  latency: 40ms\n  bandwidth: {up: 20Mbps, down: 100Mbps}\n"
    "  topology: {kind: random-regular, degree: 6}\n"
    "nodes:\n  count: 30\n  join: {over: 5s}\nprotocol:\n  router: gossipsub\n"
    "workload:\n  topics: [blocks]\n  publishers: 5\n  rate: 2/s\n  size: 1KiB\n  start: 10s\n  stop: 80s\n"
    "churn:\n  nodes: 50%\n  session: {dist: exponential, mean: 20s}\n  downtime: {dist: exponential, mean: 10s}\n"
    "offline:\n  - {nodes: \"0-3\", at: 30s, for: 15s}\n"
    "metrics:\n  deadline: 10s\n";

static void load_scenario(const char *text, scenario *s) {
    char err[512];
    if (load_into(text, s, err, sizeof err) != 0) fail_msg("%s", err);
}

static void churn_runs_under_ns3_repeats_its_digest_and_delivers_like_builtin(void **state) {
    (void)state;
    static scenario s;
    static run_result builtin, a, b;
    load_scenario(churn_yaml, &s);
    run(&s, &builtin);
    s.network.backend = BACKEND_NS3;
    run(&s, &a);
    run(&s, &b);
    print_message("  delivery     builtin %.4f   ns3 %.4f\n", builtin.summary.delivery_ratio, a.summary.delivery_ratio);
    assert_true(a.messages_published > 100);
    assert_string_equal(a.digest, b.digest);
    assert_int_equal(a.events_processed, b.events_processed);
    assert_true(fabs(a.summary.delivery_ratio - builtin.summary.delivery_ratio) <= 0.01);
    assert_close(builtin.summary.latency_ms_p50, a.summary.latency_ms_p50, "latency p50");
}

/* A partition under ns3: 30 peers cut in two halves from 30 to 45 s. The
 * cut costs deliveries (messages published during it reach the other half
 * late or not in time) and the same seed gives the same digest. */
static void a_partition_runs_under_ns3_and_repeats_its_digest(void **state) {
    (void)state;
    static scenario s;
    static run_result a, b;
    static const char yaml[] =
        "name: partition-ns3\nseed: 2\nduration: 60s\n"
        "network:\n  latency: 40ms\n  topology: {kind: random-regular, degree: 6}\n  backend: ns3\n"
        "  partitions:\n    - {at: 30s, until: 45s, groups: [\"0-14\"]}\n"
        "nodes:\n  count: 30\nprotocol:\n  router: gossipsub\n"
        "workload:\n  topics: [blocks]\n  publishers: 5\n  rate: 2/s\n  size: 1KiB\n  start: 10s\n  stop: 55s\n"
        "metrics:\n  deadline: 10s\n";
    load_scenario(yaml, &s);
    run(&s, &a);
    run(&s, &b);
    print_message("  partition    ns3 delivery %.4f\n", a.summary.delivery_ratio);
    assert_string_equal(a.digest, b.digest);
    assert_true(a.summary.delivery_ratio > 0.6 && a.summary.delivery_ratio < 0.95);
}

/* ---- a Shadow graph and jitter under ns3 ---- */

/* Builtin's run of file beside two under ns3: the same digest twice,
 * delivery 1.0 on both backends, latency p50 and p99 within 10% (what
 * `swarmlab validate` allows by default). */
static void runs_under_ns3_like_builtin(const char *file, const char *what) {
    static const char *const ns3[] = {"network.backend=ns3"};
    static scenario s;
    static run_result builtin, a, b;
    char err[512] = "";
    if (scenario_load(file, NULL, 0, &s, err, sizeof err) != 0) fail_msg("%s", err);
    run(&s, &builtin);
    if (scenario_load(file, ns3, 1, &s, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(s.network.backend, BACKEND_NS3);
    run(&s, &a);
    run(&s, &b);
    print_message("  %-12s delivery builtin %.4f   ns3 %.4f; latency p50 %.3f and %.3f ms, p99 %.3f and %.3f ms\n", what,
                  builtin.summary.delivery_ratio, a.summary.delivery_ratio, builtin.summary.latency_ms_p50,
                  a.summary.latency_ms_p50, builtin.summary.latency_ms_p99, a.summary.latency_ms_p99);
    assert_true(a.messages_published >= 15);
    assert_string_equal(a.digest, b.digest);
    assert_true(a.summary.delivery_ratio == 1.0 && builtin.summary.delivery_ratio == 1.0);
    assert_true(fabs(a.summary.latency_ms_p50 - builtin.summary.latency_ms_p50) <= 0.1 * builtin.summary.latency_ms_p50);
    assert_true(fabs(a.summary.latency_ms_p99 - builtin.summary.latency_ms_p99) <= 0.1 * builtin.summary.latency_ms_p99);
}

/* tests/scenarios/graph-ns3.yaml: 20 gossipsub hosts on the three nodes of
 * tests/shadow/graph.gml. Under ns3 each node with hosts is a router, its
 * self-loop's latency split over its hosts' access links, the paths
 * between nodes on core links, the nodes' bandwidths on the access links. */
static void a_shadow_graph_runs_under_ns3_like_builtin(void **state) {
    (void)state;
    runs_under_ns3_like_builtin("tests/scenarios/graph-ns3.yaml", "graph");
}

/* tests/scenarios/regions-jitter.yaml: two regions, jitter up to 5 ms
 * inside each and 20 ms between (docs/fidelity.md "Jitter under ns3"). */
static void regions_with_jitter_run_under_ns3_like_builtin(void **state) {
    (void)state;
    runs_under_ns3_like_builtin("tests/scenarios/regions-jitter.yaml", "jitter");
}

/* ---- attackers under ns3 ---- */

#define ATTACK_NODES_MAX 96 /* the honest nodes and attackers of the runs below */
#define HONEST 20

/* What the trace showed of an attack (as tests/unit/test_attack.c sees it). */
typedef struct attack_seen {
    uint8_t id[ATTACK_NODES_MAX][64];
    size_t id_len[ATTACK_NODES_MAX];
    uint64_t rejections_at_honest;     /* reject_message at honest nodes */
    double lowest_attacker_score;      /* peer_score of an attacker at an honest node */
    uint32_t attackers_added_at_target; /* add_peer at node 0 naming an attacker */
    uint64_t refused_per_ip4_at_target; /* remove_peer at node 0: connection limit: per_ip4_max */
} attack_seen;

static bool is_attacker(const attack_seen *seen, const trace_event *e) {
    for (size_t i = HONEST; i < ATTACK_NODES_MAX; i++)
        if (seen->id_len[i] == e->peer_len && e->peer_len > 0 && memcmp(seen->id[i], e->peer, e->peer_len) == 0)
            return true;
    return false;
}

static void observe_attack(void *user, const trace_event *e) {
    attack_seen *seen = user;
    bool honest = e->node_index < HONEST;
    if (e->kind == TRACE_NODE_UP && e->node_index < ATTACK_NODES_MAX && e->peer_len <= 64) {
        memcpy(seen->id[e->node_index], e->peer, e->peer_len);
        seen->id_len[e->node_index] = e->peer_len;
    }
    if (e->kind == TRACE_REJECT_MESSAGE && honest) seen->rejections_at_honest++;
    if (e->kind == TRACE_PEER_SCORE && honest && is_attacker(seen, e) && e->score < seen->lowest_attacker_score)
        seen->lowest_attacker_score = e->score;
    if (e->kind == TRACE_ADD_PEER && e->node_index == 0 && is_attacker(seen, e)) seen->attackers_added_at_target++;
    if (e->kind == TRACE_REMOVE_PEER && e->node_index == 0 && e->reason != NULL &&
        strcmp(e->reason, "connection limit: per_ip4_max") == 0)
        seen->refused_per_ip4_at_target++;
}

static void run_attack(const scenario *s, run_result *result, attack_seen *seen) {
    memset(seen, 0, sizeof *seen);
    run_options options = {.scenario = s, .observe = observe_attack, .observe_user = seen};
    char err[256] = "";
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
}

/* A scenario of scenarios/attacks/, scaled down by overrides, on backend. */
static void load_attack(const char *file, const char *const *overrides, size_t count, network_backend backend,
                        scenario *s) {
    char err[512] = "";
    if (scenario_load(file, overrides, count, s, err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(s->nodes.count == HONEST && s->nodes.count + s->attackers[0].count <= ATTACK_NODES_MAX);
    s->network.backend = backend;
}

/* scenarios/attacks/forge.yaml at 20 honest peers, a constant 20 ms (ns3
 * draws no latency per pair) and 2 forgers at 5/s from 15 s: under ns3,
 * as under builtin (test_attack's forge test), the honest nodes reject the
 * forgeries, score the forgers below 0 and graylist both, and still
 * deliver every honest message; the time to graylist agrees within 10%;
 * the same seed gives the same digest. */
static void forgers_are_graylisted_under_ns3_as_under_builtin(void **state) {
    (void)state;
    static const char *const overrides[] = {"nodes.count=20",       "duration=30s",          "network.latency=20ms",
                                            "workload.publishers=5", "attackers.0.count=2",   "attackers.0.rate=5/s",
                                            "attackers.0.start=15s", "attackers.0.connections=6"};
    static scenario s;
    static run_result builtin, a, b;
    static attack_seen seen_builtin, seen_a, seen_b;
    load_attack("scenarios/attacks/forge.yaml", overrides, 8, BACKEND_BUILTIN, &s);
    run_attack(&s, &builtin, &seen_builtin);
    s.network.backend = BACKEND_NS3;
    run_attack(&s, &a, &seen_a);
    run_attack(&s, &b, &seen_b);
    const metrics_summary *m = &a.summary, *mb = &builtin.summary;
    print_message("  forge        graylisted %u/%u and %u/%u, in %.4f s and %.4f s; rejections %llu and %llu; "
                  "delivery during %.4f and %.4f (builtin and ns3)\n",
                  mb->attack_attackers_graylisted, mb->attack_attackers, m->attack_attackers_graylisted,
                  m->attack_attackers, mb->attack_time_to_graylist_s_median, m->attack_time_to_graylist_s_median,
                  (unsigned long long)seen_builtin.rejections_at_honest, (unsigned long long)seen_a.rejections_at_honest,
                  mb->attack_delivery_ratio_during, m->attack_delivery_ratio_during);
    assert_string_equal(a.digest, b.digest);
    assert_int_equal(a.trace_events, b.trace_events);
    assert_true(m->attack_messages_before > 0 && m->attack_messages_during > 0);
    assert_true(m->attack_delivery_ratio_before == 1.0 && m->attack_delivery_ratio_during == 1.0);
    assert_int_equal(m->attack_attackers, 2);
    assert_int_equal(m->attack_attackers_graylisted, 2);
    assert_int_equal(mb->attack_attackers_graylisted, 2);
    assert_true(seen_a.rejections_at_honest > 0);
    assert_true(seen_a.lowest_attacker_score < 0);
    assert_true(fabs(m->attack_time_to_graylist_s_median - mb->attack_time_to_graylist_s_median) <=
                0.1 * mb->attack_time_to_graylist_s_median);
}

/* scenarios/attacks/slot-exhaust.yaml at 20 honest peers and 60 Sybils
 * behind one address (same_ip: each is its own ns-3 node, and the world
 * tells node 0 their one address, env.remote_ip4): node 0 admits at most
 * per_ip4_max (8) of them and refuses the others each second they dial
 * again, as under builtin; the honest peers deliver everything. */
static void sybils_behind_one_address_are_limited_under_ns3_as_under_builtin(void **state) {
    (void)state;
    static const char *const overrides[] = {"nodes.count=20", "attackers.0.count=60", "duration=40s",
                                            "network.latency=50ms", "workload.start=20s"};
    static scenario s;
    static run_result builtin, a, b;
    static attack_seen seen_builtin, seen_a, seen_b;
    load_attack("scenarios/attacks/slot-exhaust.yaml", overrides, 5, BACKEND_BUILTIN, &s);
    assert_true(s.attackers[0].same_ip);
    run_attack(&s, &builtin, &seen_builtin);
    s.network.backend = BACKEND_NS3;
    run_attack(&s, &a, &seen_a);
    run_attack(&s, &b, &seen_b);
    print_message("  slot-exhaust Sybils admitted at node 0 %u and %u, refused per_ip4_max %llu and %llu; "
                  "delivery %.4f and %.4f (builtin and ns3)\n",
                  seen_builtin.attackers_added_at_target, seen_a.attackers_added_at_target,
                  (unsigned long long)seen_builtin.refused_per_ip4_at_target,
                  (unsigned long long)seen_a.refused_per_ip4_at_target, builtin.summary.delivery_ratio,
                  a.summary.delivery_ratio);
    assert_string_equal(a.digest, b.digest);
    assert_true(a.messages_published > 20);
    assert_true(a.summary.delivery_ratio == 1.0);
    assert_true(seen_a.attackers_added_at_target > 0 && seen_a.attackers_added_at_target <= 8);
    assert_int_equal(seen_a.attackers_added_at_target, seen_builtin.attackers_added_at_target);
    assert_true(seen_a.refused_per_ip4_at_target > 0);
    double ratio = (double)seen_a.refused_per_ip4_at_target / (double)seen_builtin.refused_per_ip4_at_target;
    assert_true(ratio > 0.9 && ratio < 1.1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ns3_delivers_everything_like_builtin_and_repeats_its_digest),
        cmocka_unit_test(the_backend_key_is_checked_and_what_ns3_lacks_is_refused),
        cmocka_unit_test(churn_runs_under_ns3_repeats_its_digest_and_delivers_like_builtin),
        cmocka_unit_test(a_partition_runs_under_ns3_and_repeats_its_digest),
        cmocka_unit_test(a_shadow_graph_runs_under_ns3_like_builtin),
        cmocka_unit_test(regions_with_jitter_run_under_ns3_like_builtin),
        cmocka_unit_test(forgers_are_graylisted_under_ns3_as_under_builtin),
        cmocka_unit_test(sybils_behind_one_address_are_limited_under_ns3_as_under_builtin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
