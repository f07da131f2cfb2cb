/*
 * test_sweep: `swarmlab sweep` (sim/lab/sweep.h). The grid's cartesian product
 * and the run folders' names, the Student t confidence interval against
 * values worked out by hand, bad arguments, and one whole sweep of a tiny
 * floodsub scenario through the built binary ($BUILD/swarmlab), whose runs
 * reproduce one by one from the commands runs.csv prints; the same sweep
 * planned (--plan), run by GNU parallel and collected (--collect) gives
 * the same sweep.csv byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/sweep.h"

#define ERR_BYTES 256
#define PATH_BYTES 512
#define LINE_BYTES 4096
#define CSV_ROWS_MAX 16
#define CSV_CELLS_MAX 32
#define DIGEST_HEX 64

static sweep_grid grid;

static void grid_of(const char *const *params, size_t count) {
    char err[ERR_BYTES];
    memset(&grid, 0, sizeof grid);
    for (size_t i = 0; i < count; i++) assert_int_equal(sweep_grid_add(&grid, params[i], err, sizeof err), 0);
}

/* ---- the grid ---------------------------------------------------------- */

static void test_product_has_every_combination_with_the_last_parameter_fastest(void **state) {
    (void)state;
    static const char *const params[] = {"protocol.gossipsub.D=4,6,8", "protocol.router=floodsub,gossipsub"};
    grid_of(params, 2);
    assert_int_equal(sweep_grid_combinations(&grid), 6);
    static const size_t expected[6][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 1}};
    for (size_t c = 0; c < 6; c++) {
        size_t index[SWEEP_PARAMS_MAX];
        sweep_grid_values(&grid, c, index);
        assert_int_equal(index[0], expected[c][0]);
        assert_int_equal(index[1], expected[c][1]);
    }
}

static void test_product_of_three_parameters_multiplies_their_counts(void **state) {
    (void)state;
    static const char *const params[] = {"a=1,2", "b=x,y,z", "c=5,6,7,8"};
    grid_of(params, 3);
    assert_int_equal(sweep_grid_combinations(&grid), 24);
    size_t index[SWEEP_PARAMS_MAX];
    sweep_grid_values(&grid, 23, index);
    assert_int_equal(index[0], 1);
    assert_int_equal(index[1], 2);
    assert_int_equal(index[2], 3);
}

static void test_run_name_joins_the_values_and_the_seed(void **state) {
    (void)state;
    static const char *const params[] = {"protocol.gossipsub.D=4,6,8", "protocol.router=floodsub,gossipsub"};
    grid_of(params, 2);
    char name[SWEEP_RUN_NAME_MAX];
    assert_int_equal(sweep_run_name(&grid, 3, 5, name, sizeof name), 0);
    assert_string_equal(name, "6_gossipsub-seed5");
    assert_int_equal(sweep_run_name(&grid, 0, 12345678901ull, name, sizeof name), 0);
    assert_string_equal(name, "4_floodsub-seed12345678901");
}

static void test_run_name_writes_unsafe_bytes_as_underscores(void **state) {
    (void)state;
    static const char *const params[] = {"network.latency=a/b c,1.5e+3"};
    grid_of(params, 1);
    char name[SWEEP_RUN_NAME_MAX];
    assert_int_equal(sweep_run_name(&grid, 0, 1, name, sizeof name), 0);
    assert_string_equal(name, "a_b_c-seed1");
    assert_int_equal(sweep_run_name(&grid, 1, 2, name, sizeof name), 0);
    assert_string_equal(name, "1.5e+3-seed2");
}

static void test_run_name_that_does_not_fit_fails(void **state) {
    (void)state;
    static const char *const params[] = {"protocol.gossipsub.D=4"};
    grid_of(params, 1);
    char name[8];
    assert_int_equal(sweep_run_name(&grid, 0, 1, name, sizeof name), 0); /* "4-seed1" */
    assert_int_equal(sweep_run_name(&grid, 0, 10, name, sizeof name), -1);
}

static void test_grid_rejects_malformed_params(void **state) {
    (void)state;
    static const char *const bad[] = {"D", "=4,6", "D=", "D=4,,6", "D=4,4", "D=4,"};
    char err[ERR_BYTES];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&grid, 0, sizeof grid);
        assert_int_equal(sweep_grid_add(&grid, bad[i], err, sizeof err), -1);
        assert_non_null(strstr(err, bad[i]));
        assert_int_equal(grid.param_count, 0);
    }
}

static void test_grid_rejects_a_key_twice_and_a_fifth_parameter(void **state) {
    (void)state;
    static const char *const params[] = {"a=1", "b=1", "c=1", "d=1"};
    grid_of(params, 4);
    char err[ERR_BYTES];
    assert_int_equal(sweep_grid_add(&grid, "e=1", err, sizeof err), -1);
    memset(&grid, 0, sizeof grid);
    assert_int_equal(sweep_grid_add(&grid, "a=1,2", err, sizeof err), 0);
    assert_int_equal(sweep_grid_add(&grid, "a=3", err, sizeof err), -1);
    assert_non_null(strstr(err, "twice"));
}

static void test_grid_takes_64_values_and_rejects_65(void **state) {
    (void)state;
    char text[LINE_BYTES] = "D=0";
    for (int v = 1; v < SWEEP_VALUES_MAX; v++) snprintf(text + strlen(text), sizeof text - strlen(text), ",%d", v);
    char err[ERR_BYTES];
    memset(&grid, 0, sizeof grid);
    assert_int_equal(sweep_grid_add(&grid, text, err, sizeof err), 0);
    assert_int_equal(grid.params[0].value_count, 64);
    assert_string_equal(grid.params[0].values[63], "63");
    strncat(text, ",64", sizeof text - strlen(text) - 1);
    memset(&grid, 0, sizeof grid);
    assert_int_equal(sweep_grid_add(&grid, text, err, sizeof err), -1);
}

/* ---- statistics ------------------------------------------------------- */

static void test_interval_of_one_to_five_is_t4_times_sd_over_root_5(void **state) {
    (void)state;
    static const double values[] = {1, 2, 3, 4, 5};
    sweep_estimate e;
    sweep_estimate_of(values, 5, &e);
    assert_int_equal(e.n, 5);
    assert_true(fabs(e.mean - 3.0) < 1e-12);
    /* sd = sqrt(10 / 4) = 1.58114; 2.776 * 1.58114 / 2.23607 = 1.96293 */
    assert_true(fabs(e.half_width_95 - 1.96293) < 1e-5);
}

static void test_interval_of_two_values_uses_t_12_706(void **state) {
    (void)state;
    static const double values[] = {10, 12};
    sweep_estimate e;
    sweep_estimate_of(values, 2, &e);
    /* sd = sqrt(2) = 1.4142; 12.706 * 1.4142 / sqrt(2) = 12.706 */
    assert_true(fabs(e.mean - 11.0) < 1e-12);
    assert_true(fabs(e.half_width_95 - 12.706) < 1e-9);
}

static void test_interval_of_one_value_is_empty(void **state) {
    (void)state;
    static const double values[] = {0.97};
    sweep_estimate e;
    sweep_estimate_of(values, 1, &e);
    assert_int_equal(e.n, 1);
    assert_true(fabs(e.mean - 0.97) < 1e-12);
    assert_true(isnan(e.half_width_95));
}

static void test_estimate_leaves_out_missing_values(void **state) {
    (void)state;
    const double values[] = {1, NAN, 2, 3, INFINITY, 4, 5};
    sweep_estimate e;
    sweep_estimate_of(values, 7, &e);
    assert_int_equal(e.n, 5);
    assert_true(fabs(e.half_width_95 - 1.96293) < 1e-5);
    sweep_estimate_of(values, 0, &e);
    assert_int_equal(e.n, 0);
    assert_true(isnan(e.mean));
}

static void test_t_is_tabled_to_30_samples_then_1_96(void **state) {
    (void)state;
    assert_true(fabs(sweep_t_critical_95(2) - 12.706) < 1e-9);
    assert_true(fabs(sweep_t_critical_95(5) - 2.776) < 1e-9);
    assert_true(fabs(sweep_t_critical_95(11) - 2.228) < 1e-9);
    assert_true(fabs(sweep_t_critical_95(30) - 2.045) < 1e-9);
    assert_true(fabs(sweep_t_critical_95(31) - 1.96) < 1e-9);
    assert_true(fabs(sweep_t_critical_95(1000) - 1.96) < 1e-9);
}

/* ---- the command ------------------------------------------------------ */

static int sweep_with(const char *const *args, size_t count) {
    char *argv[32];
    assert_true(count < 32);
    for (size_t i = 0; i < count; i++) argv[i] = (char *)args[i];
    argv[count] = NULL;
    return sweep_command((int)count, argv);
}

static void test_bad_arguments_exit_2(void **state) {
    (void)state;
    static const char *const no_scenario[] = {"sweep", "--param", "a=1", "--seeds", "2"};
    static const char *const no_param[] = {"sweep", "x.yaml", "--seeds", "2"};
    static const char *const no_seeds[] = {"sweep", "x.yaml", "--param", "a=1"};
    static const char *const zero_seeds[] = {"sweep", "x.yaml", "--param", "a=1", "--seeds", "0"};
    static const char *const unknown[] = {"sweep", "x.yaml", "--param", "a=1", "--seeds", "2", "--fast"};
    static const char *const bad_jobs[] = {"sweep", "x.yaml", "--param", "a=1", "--seeds", "2", "-j", "0"};
    static const char *const missing[] = {"sweep", "x.yaml", "--param", "a=1", "--seeds"};
    static const char *const set_swept[] = {"sweep", "x.yaml", "--param", "a=1,2", "--seeds", "2", "--set", "a=3"};
    static const char *const too_many[] = {"sweep", "x.yaml", "--param", "a=1,2,3,4,5,6,7,8,9,10", "--seeds", "101"};
    assert_int_equal(sweep_with(no_scenario, 5), 2);
    assert_int_equal(sweep_with(no_param, 4), 2);
    assert_int_equal(sweep_with(no_seeds, 4), 2);
    assert_int_equal(sweep_with(zero_seeds, 6), 2);
    assert_int_equal(sweep_with(unknown, 7), 2);
    assert_int_equal(sweep_with(bad_jobs, 8), 2);
    assert_int_equal(sweep_with(missing, 5), 2);
    assert_int_equal(sweep_with(set_swept, 8), 2);
    assert_int_equal(sweep_with(too_many, 6), 2);
}

static void test_unknown_scenario_key_exits_2_before_any_run(void **state) {
    (void)state;
    char dir[] = "/tmp/swarmlab-test-sweep-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[PATH_BYTES];
    snprintf(out, sizeof out, "%s/out", dir);
    static const char *args[] = {"sweep", "scenarios/quickstart.yaml", "--param", "protocol.no_such_key=1,2",
                                 "--seeds", "1", "--out", NULL};
    args[7] = out;
    assert_int_equal(sweep_with(args, 8), 2);
    assert_int_equal(access(out, F_OK), -1); /* nothing was written */
    assert_int_equal(rmdir(dir), 0);
}

/* ---- a whole sweep ---------------------------------------------------- */

typedef struct csv {
    char text[CSV_ROWS_MAX + 1][LINE_BYTES];
    char *cells[CSV_ROWS_MAX + 1][CSV_CELLS_MAX];
    size_t rows; /* after the header */
    size_t columns;
} csv;

static csv table;

/* Reads a CSV without quoted cells (the test's values have no commas). */
static void csv_read(const char *path, csv *t) {
    memset(t, 0, sizeof *t);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    size_t line = 0;
    while (line <= CSV_ROWS_MAX && fgets(t->text[line], LINE_BYTES, in) != NULL) {
        t->text[line][strcspn(t->text[line], "\n")] = '\0';
        size_t n = 0;
        for (char *cell = t->text[line]; cell != NULL && n < CSV_CELLS_MAX; n++) {
            t->cells[line][n] = cell;
            cell = strchr(cell, ',');
            if (cell != NULL) *cell++ = '\0';
        }
        if (line == 0) t->columns = n;
        assert_int_equal(n, t->columns);
        line++;
    }
    assert_int_equal(fclose(in), 0);
    assert_true(line >= 1);
    t->rows = line - 1;
}

static size_t csv_column(const csv *t, const char *name) {
    for (size_t i = 0; i < t->columns; i++)
        if (strcmp(t->cells[0][i], name) == 0) return i;
    fail_msg("no column %s", name);
    return 0;
}

/* Runs a command line of runs.csv and returns the digest it prints. */
static void rerun_digest(const char *command, char digest[DIGEST_HEX + 1]) {
    FILE *out = popen(command, "r");
    assert_non_null(out);
    char line[LINE_BYTES];
    digest[0] = '\0';
    while (fgets(line, sizeof line, out) != NULL)
        if (strncmp(line, "  digest ", 9) == 0) assert_int_equal(sscanf(line, " digest %64s", digest), 1);
    assert_int_equal(pclose(out), 0);
    assert_int_equal(strlen(digest), DIGEST_HEX);
}

static const char tiny_scenario[] =
    "name: sweep-tiny\n"
    "seed: 1\n"
    "duration: 10s\n"
    "network:\n"
    "  latency: {dist: uniform, min: 10ms, max: 50ms}\n"
    "  topology: {kind: random-regular, degree: 4}\n"
    "nodes:\n"
    "  count: 20\n"
    "protocol:\n"
    "  router: floodsub\n"
    "workload:\n"
    "  topics: [t]\n"
    "  subscribers: all\n"
    "  publishers: 4\n"
    "  rate: 2/s\n"
    "  size: 256B\n"
    "  start: 2s\n";

static void write_file(const char *path, const char *text) {
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    assert_int_equal(fputs(text, out) >= 0, 1);
    assert_int_equal(fclose(out), 0);
}

static void check_sweep_csv(const char *dir) {
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/out/sweep.csv", dir);
    csv_read(path, &table);
    assert_int_equal(table.rows, 2);
    size_t degree = csv_column(&table, "network.topology.degree"), runs = csv_column(&table, "runs");
    size_t ratio = csv_column(&table, "delivery_ratio_mean"), p50 = csv_column(&table, "latency_ms_p50_ci95");
    assert_string_equal(table.cells[1][degree], "4");
    assert_string_equal(table.cells[2][degree], "6");
    for (size_t row = 1; row <= 2; row++) {
        assert_string_equal(table.cells[row][runs], "2");
        assert_true(atof(table.cells[row][ratio]) > 0.9);
        assert_true(table.cells[row][p50][0] != '\0'); /* two runs: an interval */
    }
}

static void check_runs_reproduce(const char *dir) {
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/out/runs.csv", dir);
    csv_read(path, &table);
    assert_int_equal(table.rows, 4);
    size_t seed = csv_column(&table, "seed"), status = csv_column(&table, "status");
    size_t digest = csv_column(&table, "digest"), command = csv_column(&table, "command");
    for (size_t row = 1; row <= 4; row++) {
        assert_string_equal(table.cells[row][status], "ok");
        assert_int_equal(atoi(table.cells[row][seed]), (int)(row - 1) % 2 + 1);
        char again[DIGEST_HEX + 1];
        rerun_digest(table.cells[row][command], again);
        assert_string_equal(again, table.cells[row][digest]);
    }
    assert_string_not_equal(table.cells[1][digest], table.cells[2][digest]); /* seeds differ */
}

/* Whether two files hold the same bytes. */
static bool same_bytes(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    assert_non_null(fa);
    assert_non_null(fb);
    bool same = true;
    for (int ca = 0, cb = 0; same && ca != EOF;) {
        ca = fgetc(fa);
        cb = fgetc(fb);
        same = ca == cb;
    }
    fclose(fa);
    fclose(fb);
    return same;
}

/* The same sweep planned, its commands run by GNU parallel, and collected:
 * sweep.csv is the in-process sweep's, byte for byte. */
static void check_plan_through_parallel(const char *dir, const char *scenario) {
    char out[PATH_BYTES], plan[PATH_BYTES], command[3 * PATH_BYTES];
    snprintf(out, sizeof out, "%s/planned", dir);
    snprintf(plan, sizeof plan, "%s/plan.txt", dir);
    const char *args[] = {"sweep", scenario, "--param", "network.topology.degree=4,6", "--seeds", "2",
                          "--out", out, "--plan", plan};
    assert_int_equal(sweep_with(args, 10), 0);
    snprintf(command, sizeof command, "%s/runs/4-seed1/metrics.json", out);
    assert_int_equal(access(command, F_OK), -1); /* planned, not run */
    snprintf(command, sizeof command, "parallel --will-cite -j 2 < '%s'", plan);
    assert_int_equal(system(command), 0);
    const char *collect[] = {"sweep", "--collect", out};
    assert_int_equal(sweep_with(collect, 3), 0);
    char in_process[PATH_BYTES + 16], collected[PATH_BYTES + 32];
    snprintf(in_process, sizeof in_process, "%s/out/sweep.csv", dir);
    snprintf(collected, sizeof collected, "%s/sweep.csv", out);
    assert_true(same_bytes(in_process, collected));
    snprintf(collected, sizeof collected, "%s/latency_ms_p50.png", out);
    assert_int_equal(access(collected, R_OK), 0);
    /* A run gone missing: collect still writes, and exits 1. */
    snprintf(command, sizeof command, "%s/runs/6-seed2/metrics.json", out);
    assert_int_equal(unlink(command), 0);
    assert_int_equal(sweep_with(collect, 3), 1);
}

static void test_plan_and_collect_bad_arguments_exit_2(void **state) {
    (void)state;
    static const char *const collect_nothing[] = {"sweep", "--collect"};
    static const char *const collect_more[] = {"sweep", "--collect", "/tmp", "--seeds", "2"};
    static const char *const collect_late[] = {"sweep", "x.yaml", "--param", "a=1", "--seeds", "2", "--collect", "d"};
    static const char *const collect_no_plan[] = {"sweep", "--collect", "/nonexistent/swarmlab-sweep"};
    static const char *const plan_nothing[] = {"sweep", "x.yaml", "--param", "a=1", "--seeds", "2", "--plan"};
    static const char *const plan_empty[] = {"sweep", "x.yaml", "--param", "a=1", "--seeds", "2", "--plan", ""};
    assert_int_equal(sweep_with(collect_nothing, 2), 2);
    assert_int_equal(sweep_with(collect_more, 5), 2);
    assert_int_equal(sweep_with(collect_late, 8), 2);
    assert_int_equal(sweep_with(collect_no_plan, 3), 2);
    assert_int_equal(sweep_with(plan_nothing, 7), 2);
    assert_int_equal(sweep_with(plan_empty, 8), 2);
}

static void test_sweep_of_two_values_and_two_seeds_writes_reproducible_runs(void **state) {
    (void)state;
    const char *build = getenv("BUILD");
    char bin[PATH_BYTES];
    snprintf(bin, sizeof bin, "%s/swarmlab", build != NULL ? build : "build/release");
    if (access(bin, X_OK) != 0) {
        print_message("skipped: %s is not built (make all builds it; make test sets BUILD)\n", bin);
        skip();
    }
    assert_int_equal(setenv("SWARMLAB_BIN", bin, 1), 0);
    char dir[] = "/tmp/swarmlab-test-sweep-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char scenario[PATH_BYTES], out[PATH_BYTES];
    snprintf(scenario, sizeof scenario, "%s/tiny.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    write_file(scenario, tiny_scenario);
    const char *args[] = {"sweep", scenario, "--param", "network.topology.degree=4,6", "--seeds", "2",
                          "-j", "2", "--out", out};
    assert_int_equal(sweep_with(args, 10), 0);
    check_sweep_csv(dir);
    check_runs_reproduce(dir);
    snprintf(out, sizeof out, "%s/out/runs/6-seed2/metrics.json", dir);
    assert_int_equal(access(out, R_OK), 0);
    bool gnu_parallel = system("parallel --will-cite --version >/dev/null 2>&1") == 0;
    if (gnu_parallel) check_plan_through_parallel(dir, scenario);
    char rm[PATH_BYTES + 16];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir); /* dir is mkdtemp's: no quote in it */
    assert_int_equal(system(rm), 0);
    assert_int_equal(unsetenv("SWARMLAB_BIN"), 0);
    if (!gnu_parallel) {
        print_message("skipped the plan: GNU parallel is not installed (make deps installs it)\n");
        skip();
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_product_has_every_combination_with_the_last_parameter_fastest),
        cmocka_unit_test(test_product_of_three_parameters_multiplies_their_counts),
        cmocka_unit_test(test_run_name_joins_the_values_and_the_seed),
        cmocka_unit_test(test_run_name_writes_unsafe_bytes_as_underscores),
        cmocka_unit_test(test_run_name_that_does_not_fit_fails),
        cmocka_unit_test(test_grid_rejects_malformed_params),
        cmocka_unit_test(test_grid_rejects_a_key_twice_and_a_fifth_parameter),
        cmocka_unit_test(test_grid_takes_64_values_and_rejects_65),
        cmocka_unit_test(test_interval_of_one_to_five_is_t4_times_sd_over_root_5),
        cmocka_unit_test(test_interval_of_two_values_uses_t_12_706),
        cmocka_unit_test(test_interval_of_one_value_is_empty),
        cmocka_unit_test(test_estimate_leaves_out_missing_values),
        cmocka_unit_test(test_t_is_tabled_to_30_samples_then_1_96),
        cmocka_unit_test(test_bad_arguments_exit_2),
        cmocka_unit_test(test_unknown_scenario_key_exits_2_before_any_run),
        cmocka_unit_test(test_plan_and_collect_bad_arguments_exit_2),
        cmocka_unit_test(test_sweep_of_two_values_and_two_seeds_writes_reproducible_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
