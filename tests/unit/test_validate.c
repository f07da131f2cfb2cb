/*
 * test_validate: `swarmlab validate` runs a scenario on both backends with
 * the same seed: 16 gossipsub peers at a constant 20 ms without bandwidth
 * limits agree within 10% (exit 0) and leave validate.csv and validate.md;
 * a tolerance of 0 forces a disagreement (ns-3's store-and-forward adds
 * microseconds to latency max: exit 1); bad arguments exit 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/validate.h"
#include "scratch.h"

#define SCENARIO_TEXT                                                                                       \
    "duration: 12s\nnetwork:\n  latency: 20ms\n  topology: {kind: random-regular, degree: 4}\n"            \
    "nodes:\n  count: 16\nprotocol:\n  router: gossipsub\nworkload:\n  topics: [t]\n  rate: 4/s\n  start: 2s\n"

SCRATCH_GROUP("validate", SCENARIO_TEXT)
#define dir tmp.dir
#define scenario_path tmp.scenario_path

static int validate(int argc, const char **argv) { return validate_command(argc, (char **)argv); }

static void read_text(const char *name, char *text, size_t cap) {
    assert_int_equal(scratch_read(&tmp, name, text, cap), 0);
}

static void test_small_messages_agree_within_ten_percent(void **state) {
    (void)state;
    const char *argv[] = {"validate", scenario_path, "--tolerance", "10%", "--seed", "3", "--out", dir, NULL};
    assert_int_equal(validate(8, argv), 0);
    char text[4096];
    read_text("validate.csv", text, sizeof text);
    assert_non_null(strstr(text, "metric,builtin,ns3,ratio,differs\n"));
    assert_non_null(strstr(text, "\ndelivery_ratio,1,1,1,0\n"));
    assert_non_null(strstr(text, "\nlatency_ms.p99,"));
    assert_non_null(strstr(text, "\nbytes_per_node_per_s,"));
    read_text("validate.md", text, sizeof text);
    assert_non_null(strstr(text, "| metric | builtin | ns3 | ns3 / builtin | within 10% |"));
    assert_null(strstr(text, "DIFFERS"));
    read_text("ns3/metrics.json", text, sizeof text); /* each backend's run is kept */
    read_text("builtin/metrics.json", text, sizeof text);
}

static void test_a_zero_tolerance_finds_the_difference(void **state) {
    (void)state;
    const char *argv[] = {"validate", scenario_path, "--tolerance", "0", "--backends", "ns3,builtin",
                          "--seed", "3", "--out", dir, NULL};
    assert_int_equal(validate(10, argv), 1);
    char text[4096];
    read_text("validate.csv", text, sizeof text);
    assert_non_null(strstr(text, "metric,ns3,builtin,ratio,differs\n"));
    assert_non_null(strstr(text, ",1\n")); /* some metric differs */
}

static void test_bad_arguments_exit_2(void **state) {
    (void)state;
    const char *no_scenario[] = {"validate", "--tolerance", "10%", NULL};
    assert_int_equal(validate(3, no_scenario), 2);
    const char *bad_backend[] = {"validate", scenario_path, "--backends", "builtin,shadow", NULL};
    assert_int_equal(validate(4, bad_backend), 2);
    const char *one_backend[] = {"validate", scenario_path, "--backends", "ns3", NULL};
    assert_int_equal(validate(4, one_backend), 2);
    const char *bad_tolerance[] = {"validate", scenario_path, "--tolerance", "ten", NULL};
    assert_int_equal(validate(4, bad_tolerance), 2);
    const char *bad_set[] = {"validate", scenario_path, "--set", "nodes.count", NULL};
    assert_int_equal(validate(4, bad_set), 2);
    const char *bad_value[] = {"validate", scenario_path, "--set", "nodes.count=0", "--out", dir, NULL};
    assert_int_equal(validate(6, bad_value), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_messages_agree_within_ten_percent),
        cmocka_unit_test(test_a_zero_tolerance_finds_the_difference),
        cmocka_unit_test(test_bad_arguments_exit_2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
