/*
 * test_scenarios_load: every scenario shipped in scenarios/ (and one folder
 * below it) loads without an error, so a change to the format cannot
 * silently break a file that users run. Whether the world can run each one
 * yet is the runner's business (scenario_check_supported), not this test's.
 *
 * Runs from the repository root, as make test runs it. An empty scenarios/
 * folder passes, but the folder must be there: the test proves it looked.
 */
#include <dirent.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scenario/scenario.h"

#define SCENARIOS_DIR "scenarios"

/* Loads every file that pattern matches; returns how many there were. */
static size_t load_all(const char *pattern) {
    glob_t found;
    memset(&found, 0, sizeof found);
    int rc = glob(pattern, 0, NULL, &found);
    if (rc != 0 && rc != GLOB_NOMATCH) fail_msg("glob %s failed (%d)", pattern, rc);
    for (size_t i = 0; i < found.gl_pathc; i++) {
        scenario s;
        char err[SCENARIO_ERROR_MAX] = "";
        if (scenario_load(found.gl_pathv[i], NULL, 0, &s, err, sizeof err) != 0) {
            globfree(&found);
            fail_msg("%s", err);
        }
        assert_string_equal(s.path, found.gl_pathv[i]);
        assert_true(s.name[0] != '\0');
    }
    size_t count = found.gl_pathc;
    globfree(&found);
    return count;
}

static void test_every_shipped_scenario_loads(void **state) {
    (void)state;
    DIR *dir = opendir(SCENARIOS_DIR);
    if (dir == NULL) fail_msg("no %s/ folder here: run the tests from the repository root", SCENARIOS_DIR);
    closedir(dir);
    size_t count = load_all(SCENARIOS_DIR "/*.yaml") + load_all(SCENARIOS_DIR "/*/*.yaml");
    print_message("loaded %zu scenario file(s) from %s/\n", count, SCENARIOS_DIR);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_scenario_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
