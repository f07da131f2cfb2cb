/*
 * `swarmlab validate --backends builtin,testbed` (docs/fidelity.md, "The
 * testbed beside the world"): scenarios/testbed/validate-8.yaml, 8 gossipsub
 * daemons at 50 ms one way for 12 s, must agree with the built-in world
 * within 20% on every metric (exit 0) and write validate.csv with both
 * columns; afterwards no namespace of that run may remain. Without root
 * (the same command as user nobody) validate must say the testbed cannot
 * run here and exit 1, before running anything.
 *
 * Skipped, with the reason, when not root, without ip, without /dev/net/tun
 * or when a network namespace cannot be made (no CAP_NET_ADMIN).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "harness_lab.h"

#define SCENARIO "scenarios/testbed/validate-8.yaml"
#define RUN_MS 60000
#define OUT_MAX 65536

#define SKIP_UNLESS_ABLE() LAB_SKIP_UNLESS_ABLE("validate --backends builtin,testbed")

static void builtin_and_testbed_agree_within_20_percent(void **state) {
    (void)state;
    SKIP_UNLESS_ABLE();
    long started = harness_now_ms();
    char dir[HARNESS_TEXT_MAX], before[OUT_MAX], out[OUT_MAX];
    harness_path(dir, sizeof dir, "validate-testbed", "");
    char *ns[] = {(char *)ip_path(), "netns", "list", NULL};
    assert_int_equal(run_capture(ns, before, sizeof before, 10000), 0);
    char *argv[] = {(char *)swarmlab_binary(), "validate", SCENARIO, "--backends", "builtin,testbed",
                    "--tolerance", "20%", "--out", dir, NULL};
    int rc = run_capture(argv, out, sizeof out, RUN_MS);
    print_message("%s(%.1f s)\n", out, (harness_now_ms() - started) / 1000.0);
    if (rc != 0) fail_msg("swarmlab validate --backends builtin,testbed: exit %d", rc);
    assert_non_null(strstr(out, "agree: every metric within 20%"));
    char path[HARNESS_TEXT_MAX + 64], csv[4096];
    snprintf(path, sizeof path, "%s/validate.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(csv, 1, sizeof csv - 1, f);
    csv[n] = '\0';
    fclose(f);
    assert_non_null(strstr(csv, "metric,builtin,testbed,ratio,differs\n"));
    assert_non_null(strstr(csv, "\ndelivery_ratio,1,1,1,0\n"));
    snprintf(path, sizeof path, "%s/testbed/hosts/node7/swarmlab-node.stdout", dir);
    assert_int_equal(access(path, R_OK), 0);
    /* Nothing of that testbed is left: no new namespace swl<pid>- of a
     * process that is gone (other testbeds may run beside this one). */
    assert_int_equal(run_capture(ns, out, sizeof out, 10000), 0);
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *end;
        long owner = strncmp(line, "swl", 3) == 0 ? strtol(line + 3, &end, 10) : 0;
        if (owner <= 0 || *end != '-' || strstr(before, line) != NULL) continue;
        if (kill((pid_t)owner, 0) != 0 && errno == ESRCH) fail_msg("a namespace of the testbed is left: %s", line);
    }
    char *rm[] = {"/bin/rm", "-rf", dir, NULL};
    run_capture(rm, out, sizeof out, 10000);
}

static void without_root_validate_says_so_and_exits_1(void **state) {
    (void)state;
    SKIP_UNLESS_ABLE();
    char log[HARNESS_TEXT_MAX], dir[HARNESS_TEXT_MAX], out[OUT_MAX];
    harness_path(log, sizeof log, "validate-nobody", ".log");
    harness_path(dir, sizeof dir, "validate-nobody", "");
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    assert_true(fd >= 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
        execl(swarmlab_binary(), "swarmlab", "validate", SCENARIO, "--backends", "builtin,testbed", "--out", dir,
              (char *)NULL);
        _exit(98);
    }
    close(fd);
    int rc = harness_wait_exit(pid, 20000);
    FILE *f = fopen(log, "r");
    size_t n = f != NULL ? fread(out, 1, sizeof out - 1, f) : 0;
    out[n] = '\0';
    if (f != NULL) fclose(f);
    if (rc == 98) skip(); /* user nobody cannot reach the binary from here */
    if (rc != 1) fail_msg("validate as nobody: exit %d (expected 1)\n%s", rc, out);
    assert_non_null(strstr(out, "testbed cannot run here: the testbed needs root"));
    assert_null(strstr(out, "swarmlab validate: builtin ...")); /* said before any run */
    unlink(log);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_and_testbed_agree_within_20_percent),
        cmocka_unit_test(without_root_validate_says_so_and_exits_1),
    };
    return cmocka_run_group_tests(tests, lab_setup, NULL);
}
