/*
 * test_ab: the A/B report runs one scenario under two settings and leaves
 * both runs, the side-by-side table and the comparison plots; bad
 * arguments exit 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/ab.h"
#include "scratch.h"

#define SCENARIO_TEXT                                                                                       \
    "duration: 12s\nnetwork:\n  latency: 20ms\n  topology: {kind: random-regular, degree: 4}\n"            \
    "nodes:\n  count: 16\nprotocol:\n  router: gossipsub\nworkload:\n  topics: [t]\n  rate: 4/s\n  start: 2s\n"

SCRATCH_GROUP("ab", SCENARIO_TEXT)
#define dir tmp.dir
#define scenario_path tmp.scenario_path

static bool exists(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, R_OK) == 0;
}

static int ab(int argc, const char **argv) { return ab_command(argc, (char **)argv); }

static void test_ab_runs_both_sides_and_draws_them_together(void **state) {
    (void)state;
    const char *argv[] = {"ab", scenario_path, "--a", "protocol.gossipsub.D=4", "--a", "protocol.gossipsub.D_lo=3",
                          "--b", "protocol.router=floodsub", "--out", dir, NULL};
    assert_int_equal(ab(10, argv), 0);
    assert_true(exists("a/metrics.json"));
    assert_true(exists("b/metrics.json"));
    assert_true(exists("ab-latency-cdf.png"));
    assert_true(exists("ab-latency.svg"));
    assert_true(exists("ab-delivery.png"));
    char path[256], text[4096] = "";
    snprintf(path, sizeof path, "%s/ab.txt", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, "A: protocol.gossipsub.D=4 protocol.gossipsub.D_lo=3"));
    assert_non_null(strstr(text, "B: protocol.router=floodsub"));
    assert_non_null(strstr(text, "duplicates_per_delivery"));
}

static void test_ab_without_a_second_side_is_bad_input(void **state) {
    (void)state;
    const char *argv[] = {"ab", scenario_path, "--a", "protocol.gossipsub.D=4", NULL};
    assert_int_equal(ab(4, argv), 2);
}

static void test_ab_with_a_bad_override_is_bad_input(void **state) {
    (void)state;
    const char *argv[] = {"ab", scenario_path, "--a", "protocol.gossipsub.D=4", "--b", "no-equals-sign", NULL};
    assert_int_equal(ab(6, argv), 2);
    const char *argv2[] = {"ab", scenario_path, "--a", "nodes.count=0", "--b", "nodes.count=5", "--out", dir, NULL};
    assert_int_equal(ab(8, argv2), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ab_runs_both_sides_and_draws_them_together),
        cmocka_unit_test(test_ab_without_a_second_side_is_bad_input),
        cmocka_unit_test(test_ab_with_a_bad_override_is_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
