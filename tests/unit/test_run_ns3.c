/*
 * test_run_ns3: whole scenario runs with network.backend: ns3 (issue 14,
 * docs/fidelity.md "The ns3 backend"): 20 floodsub peers, a constant 20 ms
 * latency and no bandwidth limit deliver every message, with latencies
 * within 1% of the built-in backend's (ns-3 adds the serialization at
 * 100 Gbit/s and headers, microseconds per hop), and the same seed twice
 * gives the same digest. The scenario keys ns3 does not run yet are refused
 * at load, naming file, line and key.
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
    assert_int_equal(load_text(BASE "  backend: ns3\nprotocol:\n  router: gossipsub\nattackers:\n  - {kind: cold-boot, count: 1, connections: 2}\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "attackers: is not supported yet under network.backend: ns3"));
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ns3_delivers_everything_like_builtin_and_repeats_its_digest),
        cmocka_unit_test(the_backend_key_is_checked_and_what_ns3_lacks_is_refused),
        cmocka_unit_test(churn_runs_under_ns3_repeats_its_digest_and_delivers_like_builtin),
        cmocka_unit_test(a_partition_runs_under_ns3_and_repeats_its_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
