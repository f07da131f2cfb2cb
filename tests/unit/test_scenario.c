/*
 * test_scenario: the scenario loader (sim/scenario/scenario.h) against
 * docs/scenarios.md: units, distributions and their samples, node selectors,
 * the full example, the defaults, --set overrides, the peer-scoring
 * maps, what the world supports, and a corpus of malformed files.
 *
 * The tests run from the repository root (as make test runs them) and pass
 * paths like tests/scenarios/bad/NAME.yaml. Each malformed file says on its
 * first line "# expect: NAME.yaml:LINE: KEY: what is wrong"; the loader's
 * error must contain that text, which starts at the file's base name so the
 * folder it is loaded from does not matter.
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/time_units.h"
#include "random/rng.h"
#include "scenario/scenario.h"

#define SCENARIOS_DIR "tests/scenarios"
#define BAD_DIR SCENARIOS_DIR "/bad"
#define FULL SCENARIOS_DIR "/full.yaml"
#define MINIMAL SCENARIOS_DIR "/minimal.yaml"
#define BAD_CASES_MIN 15
#define SAMPLES 100000
#define MS NS_PER_MS
#define SEC NS_PER_S

static scenario loaded;
static char err[SCENARIO_ERROR_MAX];

/* Loads path with the given overrides into `loaded`; returns the result. */
static int load(const char *path, size_t count, ...) {
    const char *overrides[16];
    va_list ap;
    va_start(ap, count);
    for (size_t i = 0; i < count && i < 16; i++) overrides[i] = va_arg(ap, const char *);
    va_end(ap);
    err[0] = '\0';
    return scenario_load(path, overrides, count, &loaded, err, sizeof err);
}

static void assert_loads(const char *path, size_t count, const char *override) {
    int rc = count == 0 ? load(path, 0) : load(path, 1, override);
    if (rc != 0) fail_msg("%s did not load: %s", path, err);
}

static void assert_error(const char *expected) {
    if (strstr(err, expected) == NULL) fail_msg("error \"%s\" does not contain \"%s\"", err, expected);
}

/* ---- units -------------------------------------------------------------- */

static void test_durations_take_every_unit(void **state) {
    (void)state;
    static const struct {
        const char *text;
        uint64_t ns;
    } cases[] = {{"40ns", 40}, {"40us", 40000}, {"40ms", 40 * MS}, {"300s", 300 * SEC}, {"2min", 120 * SEC},
                 {"1h", 3600 * SEC}, {"1.5s", 1500 * MS}, {"0.1s", 100 * MS}, {"0s", 0}, {"20 ms", 20 * MS}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t ns = 7;
        assert_int_equal(scenario_parse_duration(cases[i].text, &ns), 0);
        assert_int_equal(ns, cases[i].ns);
    }
}

static void test_durations_without_a_known_unit_are_refused(void **state) {
    (void)state;
    const char *bad[] = {"40", "40sec", "40 S", "abc", "", "-5s", "1e3s", ".5s", "5.s", "0x10s", "inf s", "ms"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ns = 7;
        if (scenario_parse_duration(bad[i], &ns) != -1) fail_msg("\"%s\" was accepted", bad[i]);
        assert_int_equal(ns, 7);
    }
}

static void test_durations_that_overflow_are_refused(void **state) {
    (void)state;
    uint64_t ns = 0;
    assert_int_equal(scenario_parse_duration("99999999999999h", &ns), -1);
    assert_int_equal(scenario_parse_duration("18446744073709551616ns", &ns), -1);
    assert_int_equal(scenario_parse_duration("100000h", &ns), 0); /* about 11 years still fits */
    assert_int_equal(ns, 100000ull * 3600 * SEC);
}

static void test_sizes_take_binary_units(void **state) {
    (void)state;
    uint64_t bytes = 0;
    assert_int_equal(scenario_parse_size("10B", &bytes), 0);
    assert_int_equal(bytes, 10);
    assert_int_equal(scenario_parse_size("1KiB", &bytes), 0);
    assert_int_equal(bytes, 1024);
    assert_int_equal(scenario_parse_size("1.5KiB", &bytes), 0);
    assert_int_equal(bytes, 1536);
    assert_int_equal(scenario_parse_size("2MiB", &bytes), 0);
    assert_int_equal(bytes, 2 * 1048576);
    assert_int_equal(scenario_parse_size("1GiB", &bytes), 0);
    assert_int_equal(bytes, 1073741824ull);
    assert_int_equal(scenario_parse_size("1KB", &bytes), -1);
    assert_int_equal(scenario_parse_size("1.3B", &bytes), -1); /* not a whole byte */
    assert_int_equal(scenario_parse_size("1024", &bytes), -1);
    assert_int_equal(scenario_parse_size("-1KiB", &bytes), -1);
}

static void test_bandwidths_take_bit_rates(void **state) {
    (void)state;
    uint64_t bps = 7;
    assert_int_equal(scenario_parse_bandwidth("20Mbps", &bps), 0);
    assert_int_equal(bps, 20000000);
    assert_int_equal(scenario_parse_bandwidth("100Kbps", &bps), 0);
    assert_int_equal(bps, 100000);
    assert_int_equal(scenario_parse_bandwidth("1.5Gbps", &bps), 0);
    assert_int_equal(bps, 1500000000);
    assert_int_equal(scenario_parse_bandwidth("512bps", &bps), 0);
    assert_int_equal(bps, 512);
    assert_int_equal(scenario_parse_bandwidth("unlimited", &bps), 0);
    assert_int_equal(bps, 0);
    assert_int_equal(scenario_parse_bandwidth("20MB/s", &bps), -1);
    assert_int_equal(scenario_parse_bandwidth("20", &bps), -1);
}

static void test_rates_are_events_per_time_unit(void **state) {
    (void)state;
    double per_s = 0;
    assert_int_equal(scenario_parse_rate("2/s", &per_s), 0);
    assert_true(per_s == 2.0);
    assert_int_equal(scenario_parse_rate("30/min", &per_s), 0);
    assert_true(fabs(per_s - 0.5) < 1e-12);
    assert_int_equal(scenario_parse_rate("7200/h", &per_s), 0);
    assert_true(fabs(per_s - 2.0) < 1e-12);
    assert_int_equal(scenario_parse_rate("2", &per_s), -1);
    assert_int_equal(scenario_parse_rate("2/sec", &per_s), -1);
    assert_int_equal(scenario_parse_rate("-1/s", &per_s), -1);
}

/* ---- distributions ------------------------------------------------------ */

static void test_each_distribution_parses_with_its_parameters(void **state) {
    (void)state;
    static const struct {
        const char *override;
        dist_kind kind;
        double a, b;
    } cases[] = {
        {"network.latency=40ms", DIST_CONSTANT, 40e6, 0},
        {"network.latency={dist: constant, value: 40ms}", DIST_CONSTANT, 40e6, 0},
        {"network.latency={dist: uniform, min: 10ms, max: 50ms}", DIST_UNIFORM, 10e6, 50e6},
        {"network.latency={dist: normal, mean: 40ms, sd: 5ms}", DIST_NORMAL, 40e6, 5e6},
        {"network.latency={dist: exponential, mean: 2min}", DIST_EXPONENTIAL, 120e9, 0},
        {"network.latency={dist: lognormal, median: 40ms, sigma: 0.5}", DIST_LOGNORMAL, 40e6, 0.5},
        {"network.latency={dist: weibull, shape: 0.5, scale: 10min}", DIST_WEIBULL, 0.5, 600e9},
        {"network.latency={dist: pareto, shape: 1.5, scale: 30s}", DIST_PARETO, 1.5, 30e9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_loads(MINIMAL, 1, cases[i].override);
        assert_int_equal(loaded.network.latency.kind, cases[i].kind);
        assert_true(loaded.network.latency.a == cases[i].a);
        assert_true(loaded.network.latency.b == cases[i].b);
    }
}

static double sample_mean(const dist *d, uint64_t seed, double *min_seen) {
    rng r;
    rng_seed(&r, seed, RNG_STREAM_LATENCY);
    double sum = 0, min = INFINITY;
    for (int i = 0; i < SAMPLES; i++) {
        double x = dist_sample(d, &r);
        sum += x;
        if (x < min) min = x;
    }
    if (min_seen != NULL) *min_seen = min;
    return sum / SAMPLES;
}

static void assert_within(double value, double expected, double fraction) {
    if (!(fabs(value - expected) <= fraction * fabs(expected))) fail_msg("%g is not within %g%% of %g", value, fraction * 100, expected);
}

static void test_exponential_samples_average_to_the_mean(void **state) {
    (void)state;
    dist d = {DIST_EXPONENTIAL, 120e9, 0};
    assert_within(sample_mean(&d, 1, NULL), 120e9, 0.02);
    assert_true(dist_mean(&d) == 120e9);
}

static void test_lognormal_samples_have_the_median(void **state) {
    (void)state;
    dist d = {DIST_LOGNORMAL, 40e6, 0.5};
    rng r;
    rng_seed(&r, 2, RNG_STREAM_LATENCY);
    int below = 0;
    for (int i = 0; i < SAMPLES; i++) below += dist_sample(&d, &r) < 40e6;
    assert_within((double)below / SAMPLES, 0.5, 0.02);
    assert_within(sample_mean(&d, 3, NULL), 40e6 * exp(0.125), 0.02);
    assert_within(dist_mean(&d), 40e6 * exp(0.125), 1e-12);
}

static void test_weibull_samples_average_to_scale_times_gamma(void **state) {
    (void)state;
    const double shapes[] = {0.5, 1.5, 3.0};
    for (size_t i = 0; i < 3; i++) {
        dist d = {DIST_WEIBULL, shapes[i], 600e9};
        double expected = 600e9 * tgamma(1.0 + 1.0 / shapes[i]);
        assert_within(dist_mean(&d), expected, 1e-12);
        assert_within(sample_mean(&d, 4 + i, NULL), expected, 0.02);
    }
}

static void test_pareto_never_goes_below_its_scale(void **state) {
    (void)state;
    dist d = {DIST_PARETO, 3.0, 30e9};
    double min;
    double mean = sample_mean(&d, 5, &min);
    assert_true(min >= 30e9);
    assert_within(min, 30e9, 0.001);
    assert_within(mean, 45e9, 0.02); /* shape * scale / (shape - 1) */
    assert_true(dist_mean(&d) == 45e9);
    dist heavy = {DIST_PARETO, 1.0, 30e9};
    assert_true(isinf(dist_mean(&heavy)));
}

static void test_heavy_tails_are_capped_so_samples_fit_in_uint64(void **state) {
    (void)state;
    dist d = {DIST_PARETO, 0.01, 1e9};
    rng r;
    rng_seed(&r, 6, RNG_STREAM_CHURN);
    for (int i = 0; i < 1000; i++) {
        double x = dist_sample(&d, &r);
        assert_true(isfinite(x));
        assert_true(x < 18446744073709551615.0);
    }
}

static void test_normal_is_never_negative_and_averages_to_its_truncated_mean(void **state) {
    (void)state;
    dist d = {DIST_NORMAL, 1e6, 5e6}; /* most of the mass would be below zero */
    double min;
    double mean = sample_mean(&d, 7, &min);
    assert_true(min >= 0);
    assert_true(dist_mean(&d) > 1e6);
    assert_within(mean, dist_mean(&d), 0.02);
    dist narrow = {DIST_NORMAL, 40e6, 1e6};
    assert_within(dist_mean(&narrow), 40e6, 1e-9);
}

static void test_uniform_stays_within_its_bounds(void **state) {
    (void)state;
    dist d = {DIST_UNIFORM, 10e6, 50e6};
    rng r;
    rng_seed(&r, 8, RNG_STREAM_LATENCY);
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < SAMPLES; i++) {
        double x = dist_sample(&d, &r);
        lo = fmin(lo, x);
        hi = fmax(hi, x);
    }
    assert_true(lo >= 10e6 && lo < 10.1e6);
    assert_true(hi < 50e6 && hi > 49.9e6);
    assert_within(sample_mean(&d, 9, NULL), 30e6, 0.01);
}

static void test_constant_always_gives_its_value(void **state) {
    (void)state;
    dist d = {DIST_CONSTANT, 40e6, 0};
    rng r;
    rng_seed(&r, 10, RNG_STREAM_LATENCY);
    for (int i = 0; i < 100; i++) assert_true(dist_sample(&d, &r) == 40e6);
    assert_true(dist_mean(&d) == 40e6);
}

static void test_sampling_is_deterministic_for_a_seed(void **state) {
    (void)state;
    const dist all[] = {{DIST_UNIFORM, 1, 2},     {DIST_NORMAL, 5, 2},  {DIST_EXPONENTIAL, 3, 0},
                        {DIST_LOGNORMAL, 4, 0.5}, {DIST_WEIBULL, 0.5, 3}, {DIST_PARETO, 2, 1}};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        rng a, b, other;
        rng_seed(&a, 42, RNG_STREAM_LATENCY);
        rng_seed(&b, 42, RNG_STREAM_LATENCY);
        rng_seed(&other, 43, RNG_STREAM_LATENCY);
        int differs = 0;
        for (int i = 0; i < 1000; i++) {
            double x = dist_sample(&all[k], &a);
            assert_true(x == dist_sample(&all[k], &b));
            differs += x != dist_sample(&all[k], &other);
        }
        assert_true(differs > 900);
    }
}

/* ---- selectors ---------------------------------------------------------- */

static long resolve(const char *text, uint32_t total, uint64_t seed, bool *chosen) {
    selector s;
    rng r;
    if (scenario_parse_selector(text, &s) != 0) fail_msg("selector \"%s\" did not parse", text);
    rng_seed(&r, seed, RNG_STREAM_SELECTORS);
    return selector_resolve(&s, total, &r, chosen);
}

static void test_selector_all_chooses_every_node(void **state) {
    (void)state;
    bool chosen[50];
    assert_int_equal(resolve("all", 50, 1, chosen), 50);
    for (int i = 0; i < 50; i++) assert_true(chosen[i]);
}

static void test_selector_count_chooses_that_many_with_the_seed(void **state) {
    (void)state;
    bool a[100], b[100], c[100];
    assert_int_equal(resolve("30", 100, 1, a), 30);
    assert_int_equal(resolve("30", 100, 1, b), 30);
    assert_int_equal(resolve("30", 100, 2, c), 30);
    int marked = 0;
    for (int i = 0; i < 100; i++) marked += a[i];
    assert_int_equal(marked, 30);
    assert_memory_equal(a, b, sizeof a);
    assert_true(memcmp(a, c, sizeof a) != 0);
}

static void test_selector_count_picks_every_node_equally_often(void **state) {
    (void)state;
    selector s;
    rng r;
    int hits[10] = {0};
    bool chosen[10];
    assert_int_equal(scenario_parse_selector("3", &s), 0);
    rng_seed(&r, 11, RNG_STREAM_SELECTORS);
    for (int i = 0; i < 30000; i++) {
        assert_int_equal(selector_resolve(&s, 10, &r, chosen), 3);
        for (int n = 0; n < 10; n++) hits[n] += chosen[n];
    }
    for (int n = 0; n < 10; n++) assert_within(hits[n], 9000, 0.05);
}

static void test_selector_percent_rounds_to_whole_nodes(void **state) {
    (void)state;
    bool chosen[200];
    assert_int_equal(resolve("30%", 100, 1, chosen), 30);
    assert_int_equal(resolve("1%", 10, 1, chosen), 1);   /* at least one */
    assert_int_equal(resolve("50%", 3, 1, chosen), 2);   /* 1.5 rounds up */
    assert_int_equal(resolve("100%", 200, 1, chosen), 200);
    assert_int_equal(resolve("12.5%", 200, 1, chosen), 25);
}

static void test_selector_ranges_choose_those_indices(void **state) {
    (void)state;
    bool chosen[20];
    assert_int_equal(resolve("0-4,8", 20, 1, chosen), 6);
    for (int i = 0; i < 20; i++) assert_int_equal(chosen[i], i <= 4 || i == 8);
    assert_int_equal(resolve("0-5, 3-7", 20, 1, chosen), 8); /* overlaps count once */
    assert_int_equal(resolve("19-19", 20, 1, chosen), 1);
    assert_true(chosen[19]);
}

static void test_selector_beyond_the_total_is_refused(void **state) {
    (void)state;
    bool chosen[10];
    assert_int_equal(resolve("0-10", 10, 1, chosen), -1);
    assert_int_equal(resolve("11", 10, 1, chosen), -1);
    assert_int_equal(resolve("10", 10, 1, chosen), 10);
}

static void test_selector_text_that_means_nothing_is_refused(void **state) {
    (void)state;
    const char *bad[] = {"", "some", "0", "0%", "101%", "-3", "5-2", "1,,2", "1-2-3", "60,", "1-x", "100001",
                         "0-100000", "ALL", "3 nodes", "%"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        selector s;
        if (scenario_parse_selector(bad[i], &s) != -1) fail_msg("selector \"%s\" was accepted", bad[i]);
    }
}

/* ---- whole scenarios --------------------------------------------------- */

static void assert_gossipsub_spec_defaults(const gossipsub_params *g, bool scoring) {
    assert_int_equal(g->D, 6);
    assert_int_equal(g->D_lo, 4);
    assert_int_equal(g->D_hi, 12);
    assert_int_equal(g->D_lazy, 6);
    assert_int_equal(g->D_score, 4);
    assert_int_equal(g->D_out, 2);
    assert_int_equal(g->heartbeat_ns, 1 * SEC);
    assert_int_equal(g->fanout_ttl_ns, 60 * SEC);
    assert_int_equal(g->seen_ttl_ns, 120 * SEC);
    assert_int_equal(g->prune_backoff_ns, 60 * SEC);
    assert_int_equal(g->unsubscribe_backoff_ns, 10 * SEC);
    assert_int_equal(g->mcache_len, 5);
    assert_int_equal(g->mcache_gossip, 3);
    assert_true(g->gossip_factor == 0.25);
    assert_int_equal(g->prune_peers, 16);
    assert_true(g->flood_publish);
    assert_int_equal(g->scoring, scoring);
    assert_true(g->idontwant);
    assert_int_equal(g->idontwant_min_bytes, 1024);
    assert_int_equal(g->max_ihave_length, 5000);
    assert_int_equal(g->max_ihave_messages, 10);
    assert_int_equal(g->opportunistic_graft_peers, 2);
    assert_int_equal(g->opportunistic_graft_ticks, 60);
}

static void test_the_design_example_loads_with_every_value(void **state) {
    (void)state;
    assert_loads(FULL, 0, NULL);
    const scenario *s = &loaded;
    assert_string_equal(s->path, FULL);
    assert_string_equal(s->name, "churn-small");
    assert_string_equal(s->description, "100 peers, a third of them churning");
    assert_int_equal(s->seed, 1);
    assert_int_equal(s->duration_ns, 300 * SEC);
    assert_int_equal(s->network.latency.kind, DIST_LOGNORMAL);
    assert_true(s->network.latency.a == 40e6 && s->network.latency.b == 0.5);
    assert_int_equal(s->network.up_bps, 20000000);
    assert_int_equal(s->network.down_bps, 100000000);
    assert_true(s->network.loss == 0.001);
    assert_int_equal(s->network.topology, TOPOLOGY_RANDOM_REGULAR);
    assert_int_equal(s->network.degree, 8);
    assert_int_equal(s->network.partition_count, 1);
    assert_int_equal(s->network.partitions_line, 12);
    const partition *p = &s->network.partitions[0];
    assert_int_equal(p->at_ns, 100 * SEC);
    assert_int_equal(p->until_ns, 130 * SEC);
    assert_int_equal(p->group_count, 2);
    assert_int_equal(p->groups[0].kind, SELECT_RANGES);
    assert_int_equal(p->groups[0].range_lo[0], 0);
    assert_int_equal(p->groups[0].range_hi[0], 49);
    assert_int_equal(p->groups[1].range_lo[0], 50);
    assert_int_equal(p->groups[1].range_hi[0], 99);
    assert_int_equal(s->nodes.count, 100);
    assert_int_equal(s->nodes.join_over_ns, 5 * SEC);
    assert_int_equal(s->protocol.router, ROUTER_GOSSIPSUB);
    assert_int_equal(s->protocol.router_line, 18);
    assert_gossipsub_spec_defaults(&s->protocol.gossipsub, true);
}

static void test_the_design_example_workload_and_faults(void **state) {
    (void)state;
    assert_loads(FULL, 0, NULL);
    const scenario *s = &loaded;
    assert_int_equal(s->workload.topic_count, 1);
    assert_string_equal(s->workload.topics[0], "blocks");
    assert_int_equal(s->workload.subscribers.kind, SELECT_ALL);
    assert_int_equal(s->workload.publishers.kind, SELECT_COUNT);
    assert_int_equal(s->workload.publishers.count, 10);
    assert_true(s->workload.rate_per_s == 2.0);
    assert_int_equal(s->workload.size_bytes, 1024);
    assert_int_equal(s->workload.start_ns, 20 * SEC);
    assert_int_equal(s->workload.stop_ns, 300 * SEC);
    assert_true(s->churn.present);
    assert_int_equal(s->churn.line, 27);
    assert_int_equal(s->churn.nodes.kind, SELECT_PERCENT);
    assert_true(s->churn.nodes.percent == 30.0);
    assert_int_equal(s->churn.session.kind, DIST_WEIBULL);
    assert_true(s->churn.session.a == 0.5 && s->churn.session.b == 600e9);
    assert_int_equal(s->churn.downtime.kind, DIST_EXPONENTIAL);
    assert_true(s->churn.downtime.a == 120e9);
    assert_int_equal(s->offline_count, 1);
    assert_int_equal(s->offline_line, 31);
    assert_int_equal(s->offline[0].nodes.range_lo[0], 10);
    assert_int_equal(s->offline[0].nodes.range_hi[0], 19);
    assert_int_equal(s->offline[0].at_ns, 50 * SEC);
    assert_int_equal(s->offline[0].for_ns, 30 * SEC);
    assert_int_equal(s->attacker_count, 2);
    assert_int_equal(s->attackers_line, 33);
    assert_string_equal(s->attackers[0].kind, "spam");
    assert_int_equal(s->attackers[0].count, 5);
    assert_true(s->attackers[0].rate_per_s == 50.0);
    assert_int_equal(s->attackers[0].start_ns, 60 * SEC);
    assert_int_equal(s->attackers[0].target, -1);
    assert_string_equal(s->attackers[1].kind, "drop");
    assert_int_equal(s->attackers[1].count, 10);
    assert_int_equal(s->metrics.sample_ns, 1 * SEC);
    assert_int_equal(s->metrics.deadline_ns, 10 * SEC);
}

static void test_absent_keys_take_their_defaults(void **state) {
    (void)state;
    assert_loads(MINIMAL, 0, NULL);
    const scenario *s = &loaded;
    assert_string_equal(s->name, "minimal"); /* the file's base name */
    assert_string_equal(s->description, "");
    assert_int_equal(s->seed, 1);
    assert_int_equal(s->network.latency.kind, DIST_CONSTANT);
    assert_true(s->network.latency.a == 50e6);
    assert_int_equal(s->network.up_bps, 0);
    assert_int_equal(s->network.down_bps, 0);
    assert_true(s->network.loss == 0.0);
    assert_int_equal(s->network.topology, TOPOLOGY_BOOTSTRAP);
    assert_int_equal(s->network.bootstrap_count, 3);
    assert_int_equal(s->network.partition_count, 0);
    assert_int_equal(s->nodes.join_over_ns, 0);
    assert_int_equal(s->protocol.router, ROUTER_FLOODSUB);
    assert_gossipsub_spec_defaults(&s->protocol.gossipsub, false);
    assert_int_equal(s->workload.topic_count, 0);
    assert_int_equal(s->workload.subscribers.kind, SELECT_ALL);
    assert_int_equal(s->workload.publishers.kind, SELECT_COUNT);
    assert_int_equal(s->workload.publishers.count, 1);
    assert_true(s->workload.rate_per_s == 1.0);
    assert_int_equal(s->workload.arrival, ARRIVAL_POISSON);
    assert_int_equal(s->workload.size_bytes, 1024);
    assert_int_equal(s->workload.start_ns, 0);
    assert_int_equal(s->workload.stop_ns, 60 * SEC); /* the duration */
    assert_false(s->churn.present);
    assert_int_equal(s->offline_count, 0);
    assert_int_equal(s->attacker_count, 0);
    assert_int_equal(s->metrics.sample_ns, 1 * SEC);
    assert_int_equal(s->metrics.deadline_ns, 10 * SEC);
}

static void test_scenario_defaults_fills_what_the_loader_starts_from(void **state) {
    (void)state;
    scenario s;
    memset(&s, 0xa5, sizeof s);
    scenario_defaults(&s);
    assert_int_equal(s.seed, 1);
    assert_int_equal(s.nodes.count, 0); /* required: no default */
    assert_int_equal(s.duration_ns, 0);
    assert_int_equal(s.workload.stop_ns, 0); /* filled from the duration on load */
    assert_int_equal(s.churn.nodes.kind, SELECT_ALL);
    assert_gossipsub_spec_defaults(&s.protocol.gossipsub, false);
    assert_int_equal(s.protocol.pubsub.seen_max_bytes, 40u << 20);
    assert_false(s.protocol.pubsub.seqno_validator);
    assert_int_equal(s.protocol.pubsub.seqno_origins_max, 65536);
}

/* The pubsub core's keys sit under protocol, for either router. */
static void test_the_pubsub_core_keys_are_read_and_bounded(void **state) {
    (void)state;
    assert_int_equal(load(FULL, 3, "protocol.seqno_validator=true", "protocol.seen_max_bytes=1MiB",
                          "protocol.seqno_origins_max=1000"), 0);
    assert_true(loaded.protocol.pubsub.seqno_validator);
    assert_int_equal(loaded.protocol.pubsub.seen_max_bytes, 1u << 20);
    assert_int_equal(loaded.protocol.pubsub.seqno_origins_max, 1000);
    assert_int_equal(load(FULL, 1, "protocol.seen_max_bytes=1KiB"), -1);
    assert_error("--set protocol.seen_max_bytes=1KiB: must be between 10240 B and 671088640 B");
    assert_int_equal(load(FULL, 1, "protocol.seqno_origins_max=0"), -1);
    assert_error("--set protocol.seqno_origins_max=0: must be at least 1 and at most 1e+06");
    assert_int_equal(load("scenarios/attacks/replay.yaml", 0), 0);
    assert_true(loaded.protocol.pubsub.seqno_validator); /* the replay scenario runs the defence */
}

static void test_variants_of_the_format_parse(void **state) {
    (void)state;
    assert_loads(MINIMAL, 1, "network.bandwidth=10Mbps");
    assert_int_equal(loaded.network.up_bps, 10000000);
    assert_int_equal(loaded.network.down_bps, 10000000);
    assert_loads(MINIMAL, 1, "network.topology=ring");
    assert_int_equal(loaded.network.topology, TOPOLOGY_RING);
    assert_loads(MINIMAL, 1, "network.topology={kind: bootstrap, count: 5}");
    assert_int_equal(loaded.network.bootstrap_count, 5);
    assert_loads(MINIMAL, 1, "workload={topics: solo, arrival: periodic, stop: 30s}");
    assert_string_equal(loaded.workload.topics[0], "solo");
    assert_int_equal(loaded.workload.arrival, ARRIVAL_PERIODIC);
    assert_int_equal(loaded.workload.stop_ns, 30 * SEC);
    assert_loads(MINIMAL, 1, "protocol.gossipsub={D_low: 3, D_high: 9, heartbeat_interval: 700ms}");
    assert_int_equal(loaded.protocol.gossipsub.D_lo, 3);
    assert_int_equal(loaded.protocol.gossipsub.D_hi, 9);
    assert_int_equal(loaded.protocol.gossipsub.heartbeat_ns, 700 * MS);
    assert_loads(MINIMAL, 1, "attackers=[{kind: eclipse, count: 4, target: 3, connections: 8}]");
    assert_int_equal(loaded.attackers[0].target, 3);
    assert_int_equal(loaded.attackers[0].connections, 8);
    assert_loads(MINIMAL, 1, "attackers=[{kind: covert-flash, count: 2, at: 30s}]");
    assert_int_equal(loaded.attackers[0].turn_at_ns, 30 * SEC);
    assert_false(loaded.attackers[0].same_ip);
    assert_loads(MINIMAL, 1, "attackers=[{kind: spam, count: 20, same_ip: true}]");
    assert_true(loaded.attackers[0].same_ip);
}

/* protocol.limits: the connection limits, on by default, checked together. */
static void test_connection_limits_default_on_and_bad_ones_are_named(void **state) {
    (void)state;
    assert_loads(MINIMAL, 0, NULL);
    assert_true(loaded.protocol.limits.enabled);
    assert_int_equal(loaded.protocol.limits.per_ip4_max, 8);
    assert_loads(MINIMAL, 1, "protocol.limits={enabled: false, grace: 5s}");
    assert_false(loaded.protocol.limits.enabled);
    assert_int_equal(loaded.protocol.limits.grace_ns, 5 * NS_PER_S);
    assert_int_equal(load(MINIMAL, 1, "protocol.limits.low_water=400"), -1);
    assert_error("protocol.limits");
    assert_error("low_water: between 1 and high_water");
    assert_int_equal(load(MINIMAL, 1, "protocol.limits.connections_max=600"), -1);
    assert_error("protocol.limits.connections_max");
    assert_int_equal(load(MINIMAL, 1, "protocol.limits.handshake_timeout=0s"), -1);
    assert_error("handshake_timeout: must be above 0");
}

/* Hosts on one address take ports 4001 to 65535: a larger group is refused. */
static void test_a_group_on_one_address_is_bounded_by_its_ports(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 1, "attackers=[{kind: drop, count: 61535, same_ip: true}]"), -1);
    assert_error("attackers[0].same_ip");
    assert_error("at most 61534 attackers on one address");
    assert_int_equal(load(MINIMAL, 1, "attackers=[{kind: drop, count: 3, same_ip: 2}]"), -1);
    assert_error("attackers[0].same_ip");
}

/* ---- overrides ------------------------------------------------------------ */

static void test_an_override_replaces_a_scalar(void **state) {
    (void)state;
    assert_int_equal(load(FULL, 2, "seed=42", "protocol.gossipsub.D=8"), 0);
    assert_int_equal(loaded.seed, 42);
    assert_int_equal(loaded.protocol.gossipsub.D, 8);
    assert_int_equal(loaded.protocol.gossipsub.D_lo, 4); /* its neighbours stay */
}

static void test_an_override_creates_missing_keys(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 2, "protocol.gossipsub.D_lazy=9", "workload.topics=[a, b]"), 0);
    assert_int_equal(loaded.protocol.gossipsub.D_lazy, 9);
    assert_int_equal(loaded.workload.topic_count, 2);
    assert_string_equal(loaded.workload.topics[1], "b");
}

static void test_an_override_takes_a_flow_map(void **state) {
    (void)state;
    assert_loads(FULL, 1, "network.latency={dist: uniform, min: 10ms, max: 50ms}");
    assert_int_equal(loaded.network.latency.kind, DIST_UNIFORM);
    assert_true(loaded.network.latency.a == 10e6 && loaded.network.latency.b == 50e6);
}

static void test_an_override_reaches_into_lists_and_later_ones_win(void **state) {
    (void)state;
    assert_int_equal(load(FULL, 3, "attackers.1.count=7", "seed=2", "seed=3"), 0);
    assert_int_equal(loaded.attackers[1].count, 7);
    assert_int_equal(loaded.seed, 3);
    assert_int_equal(load(FULL, 1, "attackers.2.count=7"), -1);
    assert_error("--set attackers.2.count=7: attackers is a list of 2 entries");
}

static void test_a_bad_override_value_names_the_override(void **state) {
    (void)state;
    assert_int_equal(load(FULL, 1, "protocol.gossipsub.D=x"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.D=x: expected a whole number, got \"x\"");
    assert_int_equal(load(FULL, 1, "network.latency={dist: uniform, min: 10ms, max: 5}"), -1);
    assert_string_equal(err, "--set network.latency={dist: uniform, min: 10ms, max: 5}: network.latency.max: "
                             "expected a duration with a unit (ns, us, ms, s, min, h), got \"5\"");
    assert_int_equal(load(FULL, 1, "name={a"), -1);
    assert_error("--set name={a: invalid YAML");
}

static void test_an_override_of_an_unknown_key_is_an_error(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.Dee=3"), -1);
    assert_error("--set protocol.gossipsub.Dee=3: unknown key (expected one of: D, D_lo, D_hi,");
    assert_int_equal(load(MINIMAL, 1, "colour.red=1"), -1);
    assert_error("--set colour.red=1: colour: unknown key (expected one of: name,");
    assert_int_equal(load(FULL, 1, "name.first=x"), -1);
    assert_error("--set name.first=x: name is a single value, not a map");
    assert_int_equal(load(MINIMAL, 1, "name.first=x"), -1); /* no name in the file: the override made a map */
    assert_string_equal(err, "--set name.first=x: name: expected a string, got a map");
}

static void test_an_override_needs_a_key_and_an_equals_sign(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 1, "seed"), -1);
    assert_string_equal(err, "--set seed: expected KEY=VALUE, like protocol.gossipsub.D=8");
    assert_int_equal(load(MINIMAL, 1, "=3"), -1);
    assert_int_equal(load(MINIMAL, 1, "nodes..count=3"), -1);
    assert_error("empty part");
}

static void test_overrides_are_checked_with_the_whole_scenario(void **state) {
    (void)state;
    /* The file's partition names nodes up to 99; fewer nodes break it. */
    assert_int_equal(load(FULL, 1, "nodes.count=50"), -1);
    assert_error("full.yaml:13: network.partitions[0].groups[1]: names node 99, but nodes are numbered 0 to 49");
    assert_int_equal(load(FULL, 1, "protocol.gossipsub.D=3"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.D=3: needs D_lo <= D <= D_hi, got D_lo 4, D 3, D_hi 12");
}

static void test_deep_nesting_is_refused(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 1, "description=[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]"), -1);
    assert_error("nested too deeply");
}

/* ---- supported: since issue 6 the world runs every key --------------------- */

static void test_a_floodsub_scenario_is_supported(void **state) {
    (void)state;
    assert_loads(MINIMAL, 0, NULL);
    assert_int_equal(scenario_check_supported(&loaded, err, sizeof err), 0);
}

static void test_the_full_example_with_churn_offline_and_partitions_is_supported(void **state) {
    (void)state;
    assert_loads(FULL, 0, NULL);
    assert_true(loaded.churn.present);
    assert_int_equal(loaded.offline_count, 1);
    assert_int_equal(loaded.network.partition_count, 1);
    assert_int_equal(scenario_check_supported(&loaded, err, sizeof err), 0);
}

static void test_churn_offline_and_partitions_from_overrides_are_supported(void **state) {
    (void)state;
    if (load(MINIMAL, 4, "churn.session=10min", "churn.downtime=1min", "offline=[{nodes: \"0-0\", at: 1s, for: 1s}]",
             "network.partitions=[{at: 1s, until: 2s, groups: [\"0-1\"]}]") != 0)
        fail_msg("%s did not load: %s", MINIMAL, err);
    assert_true(loaded.churn.present);
    assert_int_equal(loaded.churn.line, 0); /* from --set */
    assert_int_equal(loaded.offline_count, 1);
    assert_int_equal(loaded.network.partition_count, 1);
    assert_int_equal(scenario_check_supported(&loaded, err, sizeof err), 0);
}

/* ---- peer scoring (protocol.gossipsub.score, topic_score, thresholds) ------- */

#define SCORING_FILE_TEMPLATE "/tmp/swarmlab-test-scoring-XXXXXX"

/* Writes text to a fresh temporary file, loads it, removes it; the
 * result of load. path receives the file's name, for messages. */
static int load_text(const char *text, char *path, size_t path_cap) {
    char name[] = SCORING_FILE_TEMPLATE;
    int fd = mkstemp(name);
    if (fd < 0) fail_msg("cannot create %s", name);
    FILE *f = fdopen(fd, "w");
    if (f == NULL) fail_msg("cannot open %s", name);
    fputs(text, f);
    fclose(f);
    snprintf(path, path_cap, "%s", name);
    int rc = load(name, 0);
    unlink(name);
    return rc;
}

/* tcp is the default transport (issue 13) and restarts slow start after
 * idle, as Linux does, unless network.tcp.slow_start_after_idle is false;
 * a value that is not a boolean names its key. */
static void test_tcp_is_the_default_and_its_idle_restart_a_switch(void **state) {
    (void)state;
    assert_loads(MINIMAL, 0, NULL);
    assert_int_equal(loaded.network.transport, TRANSPORT_TCP);
    assert_false(loaded.network.tcp_no_idle_restart);
    assert_loads(MINIMAL, 1, "network.tcp.slow_start_after_idle=false");
    assert_true(loaded.network.tcp_no_idle_restart);
    assert_int_equal(load(MINIMAL, 1, "network.tcp.slow_start_after_idle=maybe"), -1);
    assert_error("network.tcp.slow_start_after_idle");
}

static void test_scoring_defaults_are_the_score_modules_own(void **state) {
    (void)state;
    assert_loads(MINIMAL, 0, NULL);
    const gossipsub_params *g = &loaded.protocol.gossipsub;
    score_params sp;
    score_topic_params tp;
    score_thresholds th;
    score_params_default(&sp);
    score_topic_params_default(&tp);
    score_thresholds_default(&th);
    assert_memory_equal(&g->score, &sp, sizeof sp);
    assert_memory_equal(&g->topic_score, &tp, sizeof tp);
    assert_memory_equal(&g->thresholds, &th, sizeof th);
    assert_true(g->thresholds.opportunistic_graft == 20.0); /* rust-libp2p's, not 1.0 */
    assert_int_equal(g->score.decay_interval_ns, 1 * SEC);
    assert_int_equal(g->score_sample_ns, 5 * SEC);
    assert_int_equal(g->iwant_followup_ns, 3 * SEC);
    assert_int_equal(g->graft_flood_threshold_ns, 10 * SEC);
    assert_int_equal(g->max_idontwant_messages, 1000);
}

static void test_scoring_keys_are_read_from_nested_maps(void **state) {
    (void)state;
    char path[64];
    const char *text = "duration: 60s\n"
                       "nodes: {count: 10}\n"
                       "protocol:\n"
                       "  router: gossipsub\n"
                       "  gossipsub:\n"
                       "    score: {decay_interval: 2s, retain_score: 10min, behaviour_penalty_weight: -3}\n"
                       "    topic_score:\n"
                       "      topic_weight: 2\n"
                       "      time_in_mesh_quantum: 500ms\n"
                       "      mesh_message_deliveries_window: 3ms\n"
                       "    thresholds: {gossip: -4, publish: -8, graylist: -16}\n"
                       "    score_sample: 2s\n"
                       "    iwant_followup: 1500ms\n"
                       "    graft_flood_threshold: 7s\n"
                       "    max_idontwant_messages: 64\n";
    if (load_text(text, path, sizeof path) != 0) fail_msg("%s did not load: %s", path, err);
    const gossipsub_params *g = &loaded.protocol.gossipsub;
    assert_int_equal(g->score.decay_interval_ns, 2 * SEC);
    assert_int_equal(g->score.retain_score_ns, 600 * SEC);
    assert_true(g->score.behaviour_penalty_weight == -3.0);
    assert_true(g->topic_score.topic_weight == 2.0);
    assert_int_equal(g->topic_score.time_in_mesh_quantum_ns, 500 * MS);
    assert_int_equal(g->topic_score.mesh_message_deliveries_window_ns, 3 * MS);
    assert_true(g->thresholds.gossip == -4.0);
    assert_true(g->thresholds.publish == -8.0);
    assert_true(g->thresholds.graylist == -16.0);
    assert_true(g->thresholds.accept_px == 10.0); /* keys left out keep their defaults */
    assert_int_equal(g->score_sample_ns, 2 * SEC);
    assert_int_equal(g->iwant_followup_ns, 1500 * MS);
    assert_int_equal(g->graft_flood_threshold_ns, 7 * SEC);
    assert_int_equal(g->max_idontwant_messages, 64);
}

static void test_a_nested_scoring_key_can_be_set_from_the_command_line(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 3, "protocol.gossipsub.thresholds.graylist=-100",
                          "protocol.gossipsub.topic_score.topic_weight=2", "protocol.gossipsub.score.decay_interval=250ms"),
                     0);
    const gossipsub_params *g = &loaded.protocol.gossipsub;
    assert_true(g->thresholds.graylist == -100.0);
    assert_true(g->thresholds.publish == -50.0); /* its neighbours stay */
    assert_true(g->topic_score.topic_weight == 2.0);
    assert_int_equal(g->score.decay_interval_ns, 250 * MS);
}

typedef enum scoring_value { VALUE_NUMBER, VALUE_NS, VALUE_U32 } scoring_value;

/* Whether a and b hold the same scoring parameters. The three structs are
 * all 8-byte members, without padding, so their bytes compare. */
static bool same_scoring(const gossipsub_params *a, const gossipsub_params *b) {
    return memcmp(&a->score, &b->score, sizeof a->score) == 0 &&
           memcmp(&a->topic_score, &b->topic_score, sizeof a->topic_score) == 0 &&
           memcmp(&a->thresholds, &b->thresholds, sizeof a->thresholds) == 0 &&
           a->score_sample_ns == b->score_sample_ns && a->iwant_followup_ns == b->iwant_followup_ns &&
           a->graft_flood_threshold_ns == b->graft_flood_threshold_ns &&
           a->max_idontwant_messages == b->max_idontwant_messages;
}

/* Every scoring key reaches its own field: each override changes exactly
 * the value named, to one that differs from the default. */
static void test_every_scoring_key_sets_its_own_parameter(void **state) {
    (void)state;
#define P(member) offsetof(gossipsub_params, member)
    static const struct {
        const char *set;
        size_t offset;
        scoring_value type;
        double expected;
    } cases[] = {
        {"score.topic_score_cap=7", P(score.topic_score_cap), VALUE_NUMBER, 7},
        {"score.app_specific_weight=2", P(score.app_specific_weight), VALUE_NUMBER, 2},
        {"score.ip_colocation_factor_weight=-3", P(score.ip_colocation_factor_weight), VALUE_NUMBER, -3},
        {"score.ip_colocation_factor_threshold=4", P(score.ip_colocation_factor_threshold), VALUE_NUMBER, 4},
        {"score.behaviour_penalty_weight=-2", P(score.behaviour_penalty_weight), VALUE_NUMBER, -2},
        {"score.behaviour_penalty_threshold=1.5", P(score.behaviour_penalty_threshold), VALUE_NUMBER, 1.5},
        {"score.behaviour_penalty_decay=0.9", P(score.behaviour_penalty_decay), VALUE_NUMBER, 0.9},
        {"score.decay_interval=2s", P(score.decay_interval_ns), VALUE_NS, 2e9},
        {"score.decay_to_zero=0.05", P(score.decay_to_zero), VALUE_NUMBER, 0.05},
        {"score.retain_score=10min", P(score.retain_score_ns), VALUE_NS, 600e9},
        {"topic_score.topic_weight=2", P(topic_score.topic_weight), VALUE_NUMBER, 2},
        {"topic_score.time_in_mesh_weight=0.1", P(topic_score.time_in_mesh_weight), VALUE_NUMBER, 0.1},
        {"topic_score.time_in_mesh_quantum=1s", P(topic_score.time_in_mesh_quantum_ns), VALUE_NS, 1e9},
        {"topic_score.time_in_mesh_cap=300", P(topic_score.time_in_mesh_cap), VALUE_NUMBER, 300},
        {"topic_score.first_message_deliveries_weight=3", P(topic_score.first_message_deliveries_weight), VALUE_NUMBER, 3},
        {"topic_score.first_message_deliveries_decay=0.9", P(topic_score.first_message_deliveries_decay), VALUE_NUMBER, 0.9},
        {"topic_score.first_message_deliveries_cap=50", P(topic_score.first_message_deliveries_cap), VALUE_NUMBER, 50},
        {"topic_score.mesh_message_deliveries_weight=-2", P(topic_score.mesh_message_deliveries_weight), VALUE_NUMBER, -2},
        {"topic_score.mesh_message_deliveries_decay=0.8", P(topic_score.mesh_message_deliveries_decay), VALUE_NUMBER, 0.8},
        {"topic_score.mesh_message_deliveries_cap=30", P(topic_score.mesh_message_deliveries_cap), VALUE_NUMBER, 30},
        {"topic_score.mesh_message_deliveries_threshold=10", P(topic_score.mesh_message_deliveries_threshold), VALUE_NUMBER, 10},
        {"topic_score.mesh_message_deliveries_window=5ms", P(topic_score.mesh_message_deliveries_window_ns), VALUE_NS, 5e6},
        {"topic_score.mesh_message_deliveries_activation=30s", P(topic_score.mesh_message_deliveries_activation_ns), VALUE_NS, 30e9},
        {"topic_score.mesh_failure_penalty_weight=-4", P(topic_score.mesh_failure_penalty_weight), VALUE_NUMBER, -4},
        {"topic_score.mesh_failure_penalty_decay=0.7", P(topic_score.mesh_failure_penalty_decay), VALUE_NUMBER, 0.7},
        {"topic_score.invalid_message_deliveries_weight=-50", P(topic_score.invalid_message_deliveries_weight), VALUE_NUMBER, -50},
        {"topic_score.invalid_message_deliveries_decay=0.6", P(topic_score.invalid_message_deliveries_decay), VALUE_NUMBER, 0.6},
        {"thresholds.gossip=-5", P(thresholds.gossip), VALUE_NUMBER, -5},
        {"thresholds.publish=-20", P(thresholds.publish), VALUE_NUMBER, -20},
        {"thresholds.graylist=-100", P(thresholds.graylist), VALUE_NUMBER, -100},
        {"thresholds.accept_px=5", P(thresholds.accept_px), VALUE_NUMBER, 5},
        {"thresholds.opportunistic_graft=3", P(thresholds.opportunistic_graft), VALUE_NUMBER, 3},
        {"score_sample=1s", P(score_sample_ns), VALUE_NS, 1e9},
        {"iwant_followup=2s", P(iwant_followup_ns), VALUE_NS, 2e9},
        {"graft_flood_threshold=5s", P(graft_flood_threshold_ns), VALUE_NS, 5e9},
        {"max_idontwant_messages=50", P(max_idontwant_messages), VALUE_U32, 50},
    };
#undef P
    scenario defaults;
    scenario_defaults(&defaults);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char set[128];
        snprintf(set, sizeof set, "protocol.gossipsub.%s", cases[i].set);
        if (load(MINIMAL, 1, set) != 0) fail_msg("--set %s did not load: %s", set, err);
        gossipsub_params changed = defaults.protocol.gossipsub;
        const char *at = (const char *)&loaded.protocol.gossipsub + cases[i].offset;
        char *want = (char *)&changed + cases[i].offset;
        double got = cases[i].type == VALUE_NUMBER ? *(const double *)at
                   : cases[i].type == VALUE_NS     ? (double)*(const uint64_t *)at
                                                   : (double)*(const uint32_t *)at;
        if (got != cases[i].expected) fail_msg("--set %s gave %g", set, got);
        if (cases[i].type == VALUE_NUMBER) *(double *)want = cases[i].expected;
        else if (cases[i].type == VALUE_NS) *(uint64_t *)want = (uint64_t)cases[i].expected;
        else *(uint32_t *)want = (uint32_t)cases[i].expected;
        if (!same_scoring(&changed, &loaded.protocol.gossipsub))
            fail_msg("--set %s changed more than its own parameter, or its default was the same", set);
    }
}

static void test_a_score_sample_of_zero_is_allowed_and_means_no_snapshots(void **state) {
    (void)state;
    assert_loads(MINIMAL, 1, "protocol.gossipsub.score_sample=0s");
    assert_int_equal(loaded.protocol.gossipsub.score_sample_ns, 0);
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.iwant_followup=0s"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.iwant_followup=0s: must be longer than 0, got \"0s\"");
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.score.decay_interval=0s"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.score.decay_interval=0s: must be longer than 0, got \"0s\"");
}

static void test_thresholds_out_of_order_name_the_key_that_broke_the_order(void **state) {
    (void)state;
    char path[64], expected[SCENARIO_ERROR_MAX];
    const char *text = "duration: 60s\n"
                       "nodes: {count: 10}\n"
                       "protocol:\n"
                       "  gossipsub:\n"
                       "    thresholds:\n"
                       "      gossip: -10\n"
                       "      graylist: -20\n";
    assert_int_equal(load_text(text, path, sizeof path), -1);
    snprintf(expected, sizeof expected, "%s:7: protocol.gossipsub.thresholds.graylist: needs graylist <= publish <= "
             "gossip <= 0, got graylist -20, publish -50", path);
    assert_string_equal(err, expected);
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.thresholds.publish=5"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.thresholds.publish=5: needs graylist <= publish <= gossip <= 0, "
                             "got publish 5, gossip -10");
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.thresholds.gossip=1"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.thresholds.gossip=1: needs graylist <= publish <= gossip <= 0, "
                             "got 1");
}

static void test_a_decay_outside_zero_and_one_names_its_key(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.topic_score={first_message_deliveries_decay: 1}"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.topic_score={first_message_deliveries_decay: 1}: "
                             "protocol.gossipsub.topic_score.first_message_deliveries_decay: needs 0 < decay < 1 while "
                             "first_message_deliveries_weight is not 0, got 1");
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.score.decay_to_zero=0"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.score.decay_to_zero=0: needs 0 < decay_to_zero < 1, got 0");
}

static void test_a_decay_is_free_while_its_weight_is_zero(void **state) {
    (void)state;
    assert_loads(MINIMAL, 1, "protocol.gossipsub.topic_score={invalid_message_deliveries_weight: 0, "
                             "invalid_message_deliveries_decay: 1}");
    assert_true(loaded.protocol.gossipsub.topic_score.invalid_message_deliveries_decay == 1.0);
    assert_int_equal(score_topic_params_validate(&loaded.protocol.gossipsub.topic_score), 0);
}

static void test_a_weight_of_the_wrong_sign_names_its_key(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.score.behaviour_penalty_weight=1"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.score.behaviour_penalty_weight=1: needs "
                             "behaviour_penalty_weight <= 0, got 1");
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.topic_score.topic_weight=-1"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.topic_score.topic_weight=-1: needs topic_weight >= 0, got -1");
}

static void test_a_delivery_cap_below_its_threshold_blames_the_key_that_was_set(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.topic_score.mesh_message_deliveries_threshold=200"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.topic_score.mesh_message_deliveries_threshold=200: needs "
                             "mesh_message_deliveries_cap >= mesh_message_deliveries_threshold, got "
                             "mesh_message_deliveries_cap 100, mesh_message_deliveries_threshold 200");
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.topic_score={mesh_message_deliveries_cap: 10}"), -1);
    assert_error(": protocol.gossipsub.topic_score.mesh_message_deliveries_cap: needs mesh_message_deliveries_cap >= ");
}

/* The cap is checked against the threshold only while the weight is not 0,
 * as the score module checks it: a zero weight does not make it the key
 * to blame for another key's error. */
static void test_a_delivery_cap_below_its_threshold_is_off_with_its_weight(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 2, "protocol.gossipsub.topic_score.mesh_message_deliveries_weight=0",
                          "protocol.gossipsub.topic_score.mesh_message_deliveries_cap=1"),
                     0);
    assert_int_equal(load(MINIMAL, 3, "protocol.gossipsub.topic_score.mesh_message_deliveries_weight=0",
                          "protocol.gossipsub.topic_score.mesh_message_deliveries_cap=1",
                          "protocol.gossipsub.topic_score.invalid_message_deliveries_decay=1"),
                     -1);
    assert_error("--set protocol.gossipsub.topic_score.invalid_message_deliveries_decay=1: needs 0 < decay < 1");
}

static void test_an_unknown_nested_scoring_key_is_an_error(void **state) {
    (void)state;
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.topic_score.time_in_mesh_wieght=1"), -1);
    assert_error("--set protocol.gossipsub.topic_score.time_in_mesh_wieght=1: unknown key (expected one of: "
                 "topic_weight, time_in_mesh_weight, time_in_mesh_quantum,");
    /* Seventeen long names do not fit one line: the list ends at a whole
     * key, and the key one typo away is named. */
    assert_error(", ...); did you mean time_in_mesh_weight?");
    assert_int_equal(load(MINIMAL, 1, "protocol.gossipsub.score={decay: 0.5}"), -1);
    assert_error("protocol.gossipsub.score.decay: unknown key (expected one of: topic_score_cap,");
}

static void test_both_names_of_the_opportunistic_graft_threshold_are_an_error(void **state) {
    (void)state;
    assert_loads(MINIMAL, 1, "protocol.gossipsub.opportunistic_graft_threshold=3");
    assert_true(loaded.protocol.gossipsub.thresholds.opportunistic_graft == 3.0);
    assert_int_equal(load(MINIMAL, 2, "protocol.gossipsub.opportunistic_graft_threshold=3",
                          "protocol.gossipsub.thresholds.opportunistic_graft=4"), -1);
    assert_string_equal(err, "--set protocol.gossipsub.opportunistic_graft_threshold=3: sets the same thing as "
                             "thresholds.opportunistic_graft");
}

/* ---- malformed files ------------------------------------------------------ */

/* The text after "# expect: " on the file's first line. */
static void expected_error(const char *path, char *out, size_t cap) {
    FILE *f = fopen(path, "r");
    if (f == NULL) fail_msg("cannot open %s", path);
    char line[SCENARIO_ERROR_MAX];
    const char *prefix = "# expect: ";
    bool ok = fgets(line, sizeof line, f) != NULL && strncmp(line, prefix, strlen(prefix)) == 0;
    fclose(f);
    if (!ok) fail_msg("%s does not start with \"%s\"", path, prefix);
    line[strcspn(line, "\n")] = '\0';
    snprintf(out, cap, "%s", line + strlen(prefix));
}

static void test_every_malformed_scenario_fails_with_its_expected_error(void **state) {
    (void)state;
    DIR *dir = opendir(BAD_DIR);
    if (dir == NULL) fail_msg("cannot open %s: run the tests from the repository root", BAD_DIR);
    int cases = 0;
    for (struct dirent *e = readdir(dir); e != NULL; e = readdir(dir)) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".yaml") != 0) continue;
        char path[512], expected[SCENARIO_ERROR_MAX];
        snprintf(path, sizeof path, "%s/%s", BAD_DIR, e->d_name);
        expected_error(path, expected, sizeof expected);
        if (load(path, 0) != -1) fail_msg("%s loaded without an error", path);
        if (strstr(err, expected) == NULL) fail_msg("%s:\n  expected: %s\n  got:      %s", path, expected, err);
        cases++;
    }
    closedir(dir);
    assert_true(cases >= BAD_CASES_MIN);
}

static void test_a_missing_file_is_named(void **state) {
    (void)state;
    assert_int_equal(load(SCENARIOS_DIR "/no-such-file.yaml", 0), -1);
    assert_string_equal(err, SCENARIOS_DIR "/no-such-file.yaml: cannot open: No such file or directory");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations_take_every_unit),
        cmocka_unit_test(test_durations_without_a_known_unit_are_refused),
        cmocka_unit_test(test_durations_that_overflow_are_refused),
        cmocka_unit_test(test_sizes_take_binary_units),
        cmocka_unit_test(test_bandwidths_take_bit_rates),
        cmocka_unit_test(test_rates_are_events_per_time_unit),
        cmocka_unit_test(test_each_distribution_parses_with_its_parameters),
        cmocka_unit_test(test_exponential_samples_average_to_the_mean),
        cmocka_unit_test(test_lognormal_samples_have_the_median),
        cmocka_unit_test(test_weibull_samples_average_to_scale_times_gamma),
        cmocka_unit_test(test_pareto_never_goes_below_its_scale),
        cmocka_unit_test(test_heavy_tails_are_capped_so_samples_fit_in_uint64),
        cmocka_unit_test(test_normal_is_never_negative_and_averages_to_its_truncated_mean),
        cmocka_unit_test(test_uniform_stays_within_its_bounds),
        cmocka_unit_test(test_constant_always_gives_its_value),
        cmocka_unit_test(test_sampling_is_deterministic_for_a_seed),
        cmocka_unit_test(test_selector_all_chooses_every_node),
        cmocka_unit_test(test_selector_count_chooses_that_many_with_the_seed),
        cmocka_unit_test(test_selector_count_picks_every_node_equally_often),
        cmocka_unit_test(test_selector_percent_rounds_to_whole_nodes),
        cmocka_unit_test(test_selector_ranges_choose_those_indices),
        cmocka_unit_test(test_selector_beyond_the_total_is_refused),
        cmocka_unit_test(test_selector_text_that_means_nothing_is_refused),
        cmocka_unit_test(test_the_design_example_loads_with_every_value),
        cmocka_unit_test(test_the_design_example_workload_and_faults),
        cmocka_unit_test(test_absent_keys_take_their_defaults),
        cmocka_unit_test(test_scenario_defaults_fills_what_the_loader_starts_from),
        cmocka_unit_test(test_the_pubsub_core_keys_are_read_and_bounded),
        cmocka_unit_test(test_variants_of_the_format_parse),
        cmocka_unit_test(test_a_group_on_one_address_is_bounded_by_its_ports),
        cmocka_unit_test(test_connection_limits_default_on_and_bad_ones_are_named),
        cmocka_unit_test(test_an_override_replaces_a_scalar),
        cmocka_unit_test(test_an_override_creates_missing_keys),
        cmocka_unit_test(test_an_override_takes_a_flow_map),
        cmocka_unit_test(test_an_override_reaches_into_lists_and_later_ones_win),
        cmocka_unit_test(test_a_bad_override_value_names_the_override),
        cmocka_unit_test(test_an_override_of_an_unknown_key_is_an_error),
        cmocka_unit_test(test_an_override_needs_a_key_and_an_equals_sign),
        cmocka_unit_test(test_overrides_are_checked_with_the_whole_scenario),
        cmocka_unit_test(test_deep_nesting_is_refused),
        cmocka_unit_test(test_a_floodsub_scenario_is_supported),
        cmocka_unit_test(test_the_full_example_with_churn_offline_and_partitions_is_supported),
        cmocka_unit_test(test_churn_offline_and_partitions_from_overrides_are_supported),
        cmocka_unit_test(test_tcp_is_the_default_and_its_idle_restart_a_switch),
        cmocka_unit_test(test_scoring_defaults_are_the_score_modules_own),
        cmocka_unit_test(test_scoring_keys_are_read_from_nested_maps),
        cmocka_unit_test(test_a_nested_scoring_key_can_be_set_from_the_command_line),
        cmocka_unit_test(test_every_scoring_key_sets_its_own_parameter),
        cmocka_unit_test(test_a_score_sample_of_zero_is_allowed_and_means_no_snapshots),
        cmocka_unit_test(test_thresholds_out_of_order_name_the_key_that_broke_the_order),
        cmocka_unit_test(test_a_decay_outside_zero_and_one_names_its_key),
        cmocka_unit_test(test_a_decay_is_free_while_its_weight_is_zero),
        cmocka_unit_test(test_a_weight_of_the_wrong_sign_names_its_key),
        cmocka_unit_test(test_a_delivery_cap_below_its_threshold_blames_the_key_that_was_set),
        cmocka_unit_test(test_a_delivery_cap_below_its_threshold_is_off_with_its_weight),
        cmocka_unit_test(test_an_unknown_nested_scoring_key_is_an_error),
        cmocka_unit_test(test_both_names_of_the_opportunistic_graft_threshold_are_an_error),
        cmocka_unit_test(test_every_malformed_scenario_fails_with_its_expected_error),
        cmocka_unit_test(test_a_missing_file_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
