/*
 * test_compare: `swarmlab compare BASE NEW` on small metrics.json files
 * written to /tmp, and on two real tiny runs; plus the bounds of the JSON
 * reader it stands on (json_read.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/compare.h"
#include "json_read.h"
#include "lab/run.h"

#define TEST_DIR_TEMPLATE "/tmp/swarmlab-test-compare-XXXXXX"
#define TEST_PATH_MAX 256
#define TEST_ARGS_MAX 16
#define DIGEST_A "eb7b2c1c30509ef19787823e0dd51607caf46d291c97d9b0314b65149912d8ac"
#define DIGEST_B "8ea03f740c8f2ccb8399b9eacd18b9c76f59ebda68a870b9f23a5da596bcdf29"

/* The metrics a test sets; the rest of the file is as a real run writes it. */
typedef struct metrics_file {
    const char *scenario;
    unsigned seed;
    const char *digest;
    double delivery_ratio, p50, p90, p99, max;
    double duplicates, hops, bandwidth, amplification, control_overhead, redeliveries;
    const char *attack; /* NULL, or the text of an "attack" object */
} metrics_file;

/* The numbers of scenarios/quickstart.yaml, seed 1. */
static const metrics_file quickstart = {
    .scenario = "quickstart", .seed = 1, .digest = DIGEST_A, .delivery_ratio = 1,
    .p50 = 129.515, .p90 = 179.529, .p99 = 227.366, .max = 309.80262, .duplicates = 4.029772518506511,
    .hops = 3.600637596585076, .bandwidth = 9340.199434905455, .amplification = 5.669077705395256,
    .control_overhead = 0.12710419497829964,
};

typedef struct compare_output {
    int exit_code;
    char *out, *err;
} compare_output;

static compare_output output;

/* A folder of this process's own, so that two test runs at once (make
 * test and make test SAN=1) do not write each other's files. */
static char test_dir[sizeof TEST_DIR_TEMPLATE] = TEST_DIR_TEMPLATE;
static char BASE[TEST_PATH_MAX], NEW[TEST_PATH_MAX], TOLERANCES[TEST_PATH_MAX];

/* TEST_DIR/name, in one of a few rotating buffers. */
static const char *in_test_dir(const char *name) {
    static char paths[4][TEST_PATH_MAX];
    static size_t next;
    char *path = paths[next++ % 4];
    snprintf(path, TEST_PATH_MAX, "%s/%s", test_dir, name);
    return path;
}

static int setup(void **state) {
    (void)state;
    memset(&output, 0, sizeof output);
    return 0;
}

/* Fails the test unless text holds the expected text made by format. */
static void assert_contains(const char *text, const char *format, ...) {
    char expected[512];
    va_list args;
    va_start(args, format);
    vsnprintf(expected, sizeof expected, format, args);
    va_end(args);
    if (strstr(text, expected) == NULL) fail_msg("expected \"%s\" in:\n%s", expected, text);
}

static int teardown(void **state) {
    (void)state;
    free(output.out);
    free(output.err);
    memset(&output, 0, sizeof output);
    return 0;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void write_metrics(const char *path, const metrics_file *m) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\n  \"scenario\": \"%s\",\n  \"seed\": %u,\n  \"digest\": \"%s\",\n  \"router\": \"floodsub\",\n"
            "  \"parameters\": {\"score.decay_interval_s\": 1},\n  \"delivery_ratio\": %.17g,\n"
            "  \"latency_ms\": {\"p50\": %.17g, \"p90\": %.17g, \"p99\": %.17g, \"max\": %.17g},\n"
            "  \"duplicates_per_delivery\": %.17g,\n  \"hops\": {\"mean\": %.17g, \"max\": 7},\n"
            "  \"bandwidth\": {\"bytes_per_node_per_s\": %.17g, \"amplification\": %.17g},\n"
            "  \"control_overhead\": %.17g,\n",
            m->scenario, m->seed, m->digest, m->delivery_ratio, m->p50, m->p90, m->p99, m->max, m->duplicates,
            m->hops, m->bandwidth, m->amplification, m->control_overhead);
    if (m->attack != NULL) fprintf(f, "  \"attack\": %s,\n", m->attack);
    fprintf(f, "  \"counts\": {\"messages_published\": 93, \"redeliveries\": %.17g},\n  \"wall_seconds\": 2.6\n}\n",
            m->redeliveries);
    assert_int_equal(fclose(f), 0);
}

/* Runs the command with NULL-terminated arguments after "compare". */
static void run_compare(const char *first, ...) {
    char *argv[TEST_ARGS_MAX + 1] = {"compare"};
    int argc = 1;
    va_list args;
    va_start(args, first);
    for (const char *arg = first; arg != NULL; arg = va_arg(args, const char *)) {
        assert_true(argc < TEST_ARGS_MAX);
        argv[argc++] = (char *)arg;
    }
    va_end(args);
    size_t out_len, err_len;
    FILE *out = open_memstream(&output.out, &out_len);
    FILE *err = open_memstream(&output.err, &err_len);
    assert_non_null(out);
    assert_non_null(err);
    output.exit_code = compare_main(argc, argv, out, err);
    fclose(out);
    fclose(err);
}

/* The last non-empty line of what the command printed. */
static const char *last_line(void) {
    static char line[1024];
    const char *text = output.out;
    size_t end = strlen(text);
    while (end > 0 && text[end - 1] == '\n') end--;
    size_t start = end;
    while (start > 0 && text[start - 1] != '\n') start--;
    assert_true(end - start < sizeof line);
    memcpy(line, text + start, end - start);
    line[end - start] = '\0';
    return line;
}

/* The row of one metric in the table, e.g. "latency_ms.p99  227.366 ...". */
static const char *table_row(const char *metric) {
    static char row[512];
    char key[128];
    snprintf(key, sizeof key, "\n%s ", metric);
    const char *at = strstr(output.out, key);
    assert_non_null(at);
    const char *end = strchr(at + 1, '\n');
    assert_non_null(end);
    size_t n = (size_t)(end - at - 1);
    assert_true(n < sizeof row);
    memcpy(row, at + 1, n);
    row[n] = '\0';
    return row;
}

static void write_tolerances(const char *path) {
    write_text(path, "# the same numbers as results/baselines/tolerances.yaml, so the tests do not follow its edits\n"
                     "delivery_ratio: {relative: 0, absolute: 0.01}\n"
                     "latency_ms.p50: {relative: 0.15, absolute: 5}\n"
                     "latency_ms.p99: {relative: 0.15, absolute: 10}\n"
                     "control_overhead: {relative: 0.05, absolute: 0.005}\n"
                     "attack.mesh_occupied_share_max: {relative: 0.25, absolute: 0.01}\n");
}


/* ---- the verdicts ------------------------------------------------------- */

static void a_run_compared_with_itself_passes_and_says_identical(void **state) {
    (void)state;
    write_metrics(BASE, &quickstart);
    write_tolerances(TOLERANCES);
    run_compare(BASE, BASE, "--tolerances", TOLERANCES, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_OK);
    assert_string_equal(last_line(), "identical behaviour (same trace digest)");
    assert_contains(output.out, "base  quickstart, seed 1: %s", BASE);
    assert_non_null(strstr(table_row("latency_ms.p99"), " ok"));
    assert_null(strstr(output.out, "REGRESSION"));
    assert_string_equal(output.err, "");
}

static void a_deliberate_regression_exits_1_and_names_the_metrics(void **state) {
    (void)state;
    metrics_file worse = quickstart;
    worse.digest = DIGEST_B;
    worse.delivery_ratio = 0.9;
    worse.p99 = 2 * quickstart.p99;
    write_metrics(BASE, &quickstart);
    write_metrics(NEW, &worse);
    write_tolerances(TOLERANCES);
    run_compare(BASE, NEW, "--tolerances", TOLERANCES, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_REGRESSION);
    assert_string_equal(last_line(), "regressions: delivery_ratio, latency_ms.p99");
    assert_non_null(strstr(table_row("delivery_ratio"), "-0.1"));
    assert_non_null(strstr(table_row("delivery_ratio"), "-10.0%"));
    assert_non_null(strstr(table_row("latency_ms.p99"), "+100.0%"));
    assert_non_null(strstr(table_row("latency_ms.p99"), "REGRESSION"));
    assert_non_null(strstr(table_row("latency_ms.p50"), " ok"));
}

static void a_change_within_tolerance_with_another_digest_passes_and_says_so(void **state) {
    (void)state;
    metrics_file other_seed = quickstart;
    other_seed.seed = 2;
    other_seed.digest = DIGEST_B;
    other_seed.p50 = quickstart.p50 * 1.07; /* the largest seed noise measured: 7.4% */
    other_seed.p99 = quickstart.p99 + 30;   /* 13%, within 15% */
    other_seed.delivery_ratio = 0.995;      /* within the absolute 0.01 */
    write_metrics(BASE, &quickstart);
    write_metrics(NEW, &other_seed);
    write_tolerances(TOLERANCES);
    run_compare(BASE, NEW, "--tolerances", TOLERANCES, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_OK);
    assert_string_equal(last_line(), "behaviour differs (digests differ) but no metric moved beyond its tolerance");
    assert_contains(output.out, "new   quickstart, seed 2: %s", NEW);
}

static void an_improvement_is_not_a_regression(void **state) {
    (void)state;
    metrics_file better = quickstart;
    better.digest = DIGEST_B;
    better.p50 = quickstart.p50 / 2;
    better.duplicates = quickstart.duplicates / 4;
    write_metrics(BASE, &quickstart);
    write_metrics(NEW, &better);
    run_compare(BASE, NEW, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_OK);
    assert_string_equal(last_line(), "improved: latency_ms.p50, duplicates_per_delivery");
    assert_non_null(strstr(table_row("latency_ms.p50"), "improved"));
    assert_null(strstr(output.out, "regressions"));
}

static void a_drop_in_a_higher_is_better_metric_is_a_regression_and_a_rise_is_not(void **state) {
    (void)state;
    metrics_file lower = quickstart;
    lower.delivery_ratio = 0.95;
    lower.digest = DIGEST_B;
    write_metrics(BASE, &lower);
    write_metrics(NEW, &quickstart);
    run_compare(BASE, NEW, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_OK);
    assert_string_equal(last_line(), "improved: delivery_ratio");
    teardown(state);
    run_compare(NEW, BASE, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_REGRESSION);
    assert_string_equal(last_line(), "regressions: delivery_ratio");
}

/* |new - old| <= max(absolute, relative * |old|): at old = 0 only the
 * absolute part allows anything. */
static void the_absolute_tolerance_is_the_floor_when_the_old_value_is_zero(void **state) {
    (void)state;
    metrics_file zero = quickstart, small = quickstart;
    zero.control_overhead = 0;
    small.control_overhead = 0.004; /* absolute 0.005 */
    small.digest = DIGEST_B;
    write_metrics(BASE, &zero);
    write_metrics(NEW, &small);
    write_tolerances(TOLERANCES);
    run_compare(BASE, NEW, "--tolerances", TOLERANCES, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_OK);
    teardown(state);
    small.control_overhead = 0.006;
    write_metrics(NEW, &small);
    run_compare(BASE, NEW, "--tolerances", TOLERANCES, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_REGRESSION);
    assert_string_equal(last_line(), "regressions: control_overhead");
}

/* ---- options and inputs ------------------------------------------------- */

static void the_tolerance_option_overrides_one_metrics_relative_tolerance(void **state) {
    (void)state;
    metrics_file slower = quickstart;
    slower.digest = DIGEST_B;
    slower.p99 = 2 * quickstart.p99;
    write_metrics(BASE, &quickstart);
    write_metrics(NEW, &slower);
    write_tolerances(TOLERANCES);
    run_compare(BASE, NEW, "--tolerances", TOLERANCES, "--tolerance", "latency_ms.p99=1.5", NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_OK);
    assert_non_null(strstr(output.out, "--tolerance latency_ms.p99=1.5"));
    assert_non_null(strstr(table_row("latency_ms.p99"), " ok"));
    teardown(state);
    run_compare(BASE, NEW, "--tolerances", TOLERANCES, "--tolerance", "latency_ms.p99=0.99", NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_REGRESSION);
}

static void an_unknown_metric_in_the_tolerance_option_exits_2(void **state) {
    (void)state;
    write_metrics(BASE, &quickstart);
    run_compare(BASE, BASE, "--tolerance", "latency_ms.p42=0.5", NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_BAD_INPUT);
    assert_non_null(strstr(output.err, "unknown metric in latency_ms.p42=0.5"));
}

static void a_run_folder_is_read_as_its_metrics_json(void **state) {
    (void)state;
    char folder[TEST_PATH_MAX], file[TEST_PATH_MAX];
    snprintf(folder, sizeof folder, "%s", in_test_dir("run"));
    snprintf(file, sizeof file, "%s", in_test_dir("run/metrics.json"));
    mkdir(folder, 0755);
    write_metrics(file, &quickstart);
    run_compare(folder, file, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_OK);
    assert_contains(output.out, "base  quickstart, seed 1: %s\nnew   quickstart, seed 1: %s\n", file, file);
}

static void different_scenario_names_are_warned_about(void **state) {
    (void)state;
    metrics_file other = quickstart;
    other.scenario = "churn";
    write_metrics(BASE, &quickstart);
    write_metrics(NEW, &other);
    run_compare(BASE, NEW, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_OK);
    assert_non_null(strstr(output.out, "warning: the scenario names differ (\"quickstart\" and \"churn\")"));
}

static void attack_metrics_are_compared_when_both_runs_have_them(void **state) {
    (void)state;
    metrics_file before = quickstart, after = quickstart;
    before.attack = "{\"during\": {\"delivery_ratio\": 1, \"latency_ms\": {\"p50\": 150, \"p99\": 240}},"
                    " \"mesh_occupied_share_max\": 0}";
    after.attack = "{\"during\": {\"delivery_ratio\": 0.8, \"latency_ms\": {\"p50\": 151, \"p99\": 241}},"
                   " \"mesh_occupied_share_max\": 0.2}";
    after.digest = DIGEST_B;
    write_metrics(BASE, &before);
    write_metrics(NEW, &after);
    run_compare(BASE, NEW, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_REGRESSION);
    assert_string_equal(last_line(), "regressions: attack.during.delivery_ratio, attack.mesh_occupied_share_max");
    assert_non_null(strstr(table_row("attack.during.latency_ms.p99"), " ok"));
}

static void attack_metrics_in_one_run_only_are_not_compared(void **state) {
    (void)state;
    metrics_file attacked = quickstart;
    attacked.attack = "{\"during\": {\"delivery_ratio\": 0.5}}";
    write_metrics(BASE, &quickstart);
    write_metrics(NEW, &attacked);
    run_compare(BASE, NEW, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_OK);
    assert_non_null(strstr(table_row("attack.during.delivery_ratio"), "n/a"));
    assert_null(strstr(output.out, "attack.mesh_occupied_share_max"));
}

/* ---- bad input ---------------------------------------------------------- */

static void a_malformed_metrics_json_exits_2_naming_the_file(void **state) {
    (void)state;
    write_metrics(BASE, &quickstart);
    write_text(NEW, "{\n  \"scenario\": \"quickstart\",\n  \"seed\": 1,\n  \"delivery_ratio\": 1.0.0\n}\n");
    run_compare(BASE, NEW, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_BAD_INPUT);
    assert_contains(output.err, "%s: line 4: ", NEW);
    assert_string_equal(output.out, "");
}

static void a_metrics_json_without_a_metric_exits_2_naming_it(void **state) {
    (void)state;
    write_metrics(BASE, &quickstart);
    write_text(NEW, "{\"scenario\": \"x\", \"seed\": 1, \"digest\": \"" DIGEST_A "\"}");
    run_compare(BASE, NEW, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_BAD_INPUT);
    assert_contains(output.err, "%s: no \"delivery_ratio\" in it", NEW);
}

static void a_metric_of_the_wrong_type_exits_2(void **state) {
    (void)state;
    write_metrics(BASE, &quickstart);
    write_text(NEW, "{\"scenario\": \"x\", \"seed\": 1, \"digest\": \"d\",\n \"delivery_ratio\": \"1\"}");
    run_compare(BASE, NEW, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_BAD_INPUT);
    assert_contains(output.err, "%s: line 2: \"delivery_ratio\" must be a number or null", NEW);
}

static void a_missing_file_exits_2_naming_it(void **state) {
    (void)state;
    write_metrics(BASE, &quickstart);
    const char *absent = in_test_dir("absent.json");
    run_compare(BASE, absent, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_BAD_INPUT);
    assert_contains(output.err, "%s: No such file or directory", absent);
}

static void a_malformed_tolerances_file_exits_2_naming_the_file_and_line(void **state) {
    (void)state;
    write_metrics(BASE, &quickstart);
    write_text(TOLERANCES, "latency_ms.p50: {relative: 0.1, absolute: 5}\nlatency_ms.p99: {relative: ten}\n");
    run_compare(BASE, BASE, "--tolerances", TOLERANCES, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_BAD_INPUT);
    assert_contains(output.err, "%s:2: latency_ms.p99: expected a non-negative number", TOLERANCES);
}

static void broken_yaml_in_the_tolerances_file_exits_2_naming_the_file_and_line(void **state) {
    (void)state;
    write_metrics(BASE, &quickstart);
    write_text(TOLERANCES, "# tolerances\nlatency_ms.p50: {relative: 0.1\n");
    run_compare(BASE, BASE, "--tolerances", TOLERANCES, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_BAD_INPUT);
    assert_contains(output.err, "%s:3: ", TOLERANCES);
}

static void an_unknown_metric_in_the_tolerances_file_exits_2(void **state) {
    (void)state;
    write_metrics(BASE, &quickstart);
    write_text(TOLERANCES, "delivery_ratio: {absolute: 0.01}\nlatency_p99: {relative: 0.1}\n");
    run_compare(BASE, BASE, "--tolerances", TOLERANCES, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_BAD_INPUT);
    assert_contains(output.err, "%s:2: unknown metric \"latency_p99\"", TOLERANCES);
}

static void wrong_usage_exits_2(void **state) {
    (void)state;
    run_compare(BASE, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_BAD_INPUT);
    assert_non_null(strstr(output.err, "usage: swarmlab compare BASE NEW"));
    teardown(state);
    run_compare(BASE, BASE, "--fast", NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_BAD_INPUT);
    assert_non_null(strstr(output.err, "unknown option or missing value: --fast"));
}

/* The table's part of the output (after the header's blank line). */
static char *table_of(const char *out) {
    const char *table = strstr(out, "\n\nmetric ");
    assert_non_null(table);
    char *copy = strdup(table);
    assert_non_null(copy);
    return copy;
}

/* The tolerance column shows max(absolute, relative * |old|): with every
 * old value 0 it shows the absolute parts, with every old value 1e6 the
 * relative ones. */
static void the_built_in_defaults_equal_the_committed_tolerances_file(void **state) {
    char cwd[TEST_PATH_MAX], committed[TEST_PATH_MAX + 64];
    if (getcwd(cwd, sizeof cwd) == NULL) fail_msg("getcwd");
    snprintf(committed, sizeof committed, "%s/%s", cwd, COMPARE_TOLERANCES_DEFAULT);
    if (access(committed, R_OK) != 0) skip(); /* not run from the repository's root */
    static const double olds[] = {0, 1e6};
    for (size_t i = 0; i < sizeof olds / sizeof olds[0]; i++) {
        double v = olds[i];
        char attack[256];
        snprintf(attack, sizeof attack,
                 "{\"during\": {\"delivery_ratio\": %g, \"latency_ms\": {\"p50\": %g, \"p99\": %g}},"
                 " \"mesh_occupied_share_max\": %g}", v, v, v, v);
        metrics_file m = {.scenario = "x", .digest = DIGEST_A, .attack = attack, .delivery_ratio = v, .p50 = v,
                          .p90 = v, .p99 = v, .max = v, .duplicates = v, .hops = v, .bandwidth = v,
                          .amplification = v, .control_overhead = v, .redeliveries = v};
        write_metrics(BASE, &m);
        run_compare(BASE, BASE, "--tolerances", committed, NULL);
        char *from_file = table_of(output.out);
        teardown(state);
        assert_int_equal(chdir(test_dir), 0); /* where no tolerances file is */
        run_compare(BASE, BASE, NULL);
        assert_int_equal(chdir(cwd), 0);
        assert_contains(output.out, "built-in defaults (%s not found)", COMPARE_TOLERANCES_DEFAULT);
        char *built_in = table_of(output.out);
        assert_string_equal(built_in, from_file);
        free(from_file);
        free(built_in);
        teardown(state);
    }
}

/* ---- the JSON reader ---------------------------------------------------- */

static int count_leaf(void *user, const json_read_leaf *leaf) {
    (void)leaf;
    (*(int *)user)++;
    return 0;
}

static void the_json_reader_refuses_nesting_deeper_than_its_bound(void **state) {
    (void)state;
    char text[2 * (JSON_READ_DEPTH_MAX + 1) + 1];
    for (int i = 0; i <= JSON_READ_DEPTH_MAX; i++) text[i] = '[';
    for (int i = 0; i <= JSON_READ_DEPTH_MAX; i++) text[JSON_READ_DEPTH_MAX + 1 + i] = ']';
    text[sizeof text - 1] = '\0';
    char err[128] = "";
    int leaves = 0;
    assert_int_equal(json_read_walk(text, strlen(text), count_leaf, &leaves, err, sizeof err), -1);
    assert_string_equal(err, "line 1: nested deeper than 32 levels");
    assert_int_equal(json_read_walk(text + 1, strlen(text) - 2, count_leaf, &leaves, err, sizeof err), 0);
}

static int find_p99(void *user, const json_read_leaf *leaf) {
    if (json_read_path_is(leaf, "latency_ms.p99")) *(double *)user = leaf->number;
    return 0;
}

static void a_key_holding_a_dot_is_not_a_nested_path(void **state) {
    (void)state;
    const char *text = "{\"latency_ms.p99\": 1, \"latency_ms\": {\"p99\": 2}, \"x\": [true, null, \"\\u00e9\"]}";
    double p99 = 0;
    char err[128] = "";
    assert_int_equal(json_read_walk(text, strlen(text), find_p99, &p99, err, sizeof err), 0);
    assert_true(p99 == 2);
}

static void the_json_reader_refuses_what_strtod_would_take(void **state) {
    (void)state;
    static const char *const bad[] = {"0x10", "+1", "1.", ".5", "01", "nan", "1e999", "[1,]", "{\"a\" 1}", "\"\\q\"", "1 2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128] = "";
        int leaves = 0;
        assert_int_equal(json_read_walk(bad[i], strlen(bad[i]), count_leaf, &leaves, err, sizeof err), -1);
        assert_true(strncmp(err, "line 1: ", 8) == 0);
    }
}

/* ---- end to end --------------------------------------------------------- */

static const char tiny_scenario[] =
    "name: compare-tiny\nseed: 1\nduration: 30s\n"
    "network:\n  latency: {dist: uniform, min: 10ms, max: 50ms}\n  topology: {kind: random-regular, degree: 4}\n"
    "nodes:\n  count: 30\nprotocol:\n  router: floodsub\n"
    "workload:\n  topics: [blocks]\n  subscribers: all\n  publishers: 5\n  rate: 1/s\n  arrival: periodic\n"
    "  size: 512B\n  start: 5s\n";

/* Runs tiny.yaml with overrides (at most 8) into out_dir. */
static void run_tiny_with(const char *const *overrides, size_t count, const char *out_dir) {
    scenario *s = calloc(1, sizeof *s);
    run_result *result = calloc(1, sizeof *result);
    assert_non_null(s);
    assert_non_null(result);
    char err[512] = "";
    if (scenario_load(in_test_dir("tiny.yaml"), overrides, count, s, err, sizeof err) != 0) fail_msg("load: %s", err);
    run_options options = {.scenario = s, .out_dir = out_dir};
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
    free(result);
    free(s);
}

static void run_tiny(const char *seed_override, const char *out_dir) {
    const char *overrides[] = {seed_override};
    run_tiny_with(overrides, 1, out_dir);
}

/* The example: gossipsub with D=2 against the D=6 baseline. */
static void gossipsub_with_D_2_against_D_6_is_flagged_and_the_metrics_named(void **state) {
    (void)state;
    char base[TEST_PATH_MAX], fresh[TEST_PATH_MAX];
    snprintf(base, sizeof base, "%s", in_test_dir("d6"));
    snprintf(fresh, sizeof fresh, "%s", in_test_dir("d2"));
    write_text(in_test_dir("tiny.yaml"), tiny_scenario);
    const char *d6[] = {"protocol.router=gossipsub", "nodes.count=60", "network.topology.degree=8"};
    const char *d2[] = {"protocol.router=gossipsub", "nodes.count=60", "network.topology.degree=8",
                        "protocol.gossipsub.D=2", "protocol.gossipsub.D_lo=1", "protocol.gossipsub.D_hi=3",
                        "protocol.gossipsub.D_out=0", "protocol.gossipsub.D_score=1"};
    run_tiny_with(d6, 3, base);
    run_tiny_with(d2, 8, fresh);
    run_compare(base, fresh, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_REGRESSION);
    assert_non_null(strstr(last_line(), "regressions: "));
    assert_non_null(strstr(last_line(), "latency_ms.p99"));
    assert_non_null(strstr(last_line(), "hops.mean"));
}

static void two_seeds_of_a_tiny_run_do_not_flag_a_regression_with_the_default_tolerances(void **state) {
    (void)state;
    char run_1[TEST_PATH_MAX], run_2[TEST_PATH_MAX];
    snprintf(run_1, sizeof run_1, "%s", in_test_dir("tiny-1"));
    snprintf(run_2, sizeof run_2, "%s", in_test_dir("tiny-2"));
    write_text(in_test_dir("tiny.yaml"), tiny_scenario);
    run_tiny("seed=1", run_1);
    run_tiny("seed=2", run_2);
    run_compare(run_1, run_2, NULL);
    assert_int_equal(output.exit_code, COMPARE_EXIT_OK);
    assert_string_equal(last_line(), "behaviour differs (digests differ) but no metric moved beyond its tolerance");
    assert_non_null(strstr(output.out, "base  compare-tiny, seed 1: "));
}

/* The folder holds only what these tests wrote (mkdtemp made it). */
static void remove_test_dir(void) {
    char command[TEST_PATH_MAX + 16];
    snprintf(command, sizeof command, "rm -rf '%s'", test_dir);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", test_dir);
}

int main(void) {
    if (mkdtemp(test_dir) == NULL) {
        perror(TEST_DIR_TEMPLATE);
        return 1;
    }
    snprintf(BASE, sizeof BASE, "%s", in_test_dir("base.json"));
    snprintf(NEW, sizeof NEW, "%s", in_test_dir("new.json"));
    snprintf(TOLERANCES, sizeof TOLERANCES, "%s", in_test_dir("tolerances.yaml"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_run_compared_with_itself_passes_and_says_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(a_deliberate_regression_exits_1_and_names_the_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(gossipsub_with_D_2_against_D_6_is_flagged_and_the_metrics_named, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_change_within_tolerance_with_another_digest_passes_and_says_so, setup, teardown),
        cmocka_unit_test_setup_teardown(an_improvement_is_not_a_regression, setup, teardown),
        cmocka_unit_test_setup_teardown(a_drop_in_a_higher_is_better_metric_is_a_regression_and_a_rise_is_not, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_absolute_tolerance_is_the_floor_when_the_old_value_is_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(the_tolerance_option_overrides_one_metrics_relative_tolerance, setup, teardown),
        cmocka_unit_test_setup_teardown(an_unknown_metric_in_the_tolerance_option_exits_2, setup, teardown),
        cmocka_unit_test_setup_teardown(a_run_folder_is_read_as_its_metrics_json, setup, teardown),
        cmocka_unit_test_setup_teardown(different_scenario_names_are_warned_about, setup, teardown),
        cmocka_unit_test_setup_teardown(attack_metrics_are_compared_when_both_runs_have_them, setup, teardown),
        cmocka_unit_test_setup_teardown(attack_metrics_in_one_run_only_are_not_compared, setup, teardown),
        cmocka_unit_test_setup_teardown(a_malformed_metrics_json_exits_2_naming_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(a_metrics_json_without_a_metric_exits_2_naming_it, setup, teardown),
        cmocka_unit_test_setup_teardown(a_metric_of_the_wrong_type_exits_2, setup, teardown),
        cmocka_unit_test_setup_teardown(a_missing_file_exits_2_naming_it, setup, teardown),
        cmocka_unit_test_setup_teardown(a_malformed_tolerances_file_exits_2_naming_the_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(broken_yaml_in_the_tolerances_file_exits_2_naming_the_file_and_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_unknown_metric_in_the_tolerances_file_exits_2, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_usage_exits_2, setup, teardown),
        cmocka_unit_test_setup_teardown(the_built_in_defaults_equal_the_committed_tolerances_file, setup, teardown),
        cmocka_unit_test(the_json_reader_refuses_nesting_deeper_than_its_bound),
        cmocka_unit_test(a_key_holding_a_dot_is_not_a_nested_path),
        cmocka_unit_test(the_json_reader_refuses_what_strtod_would_take),
        cmocka_unit_test_setup_teardown(two_seeds_of_a_tiny_run_do_not_flag_a_regression_with_the_default_tolerances,
                                        setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    remove_test_dir();
    return failed;
}
