/*
 * harness_lab: what the tests of swarmlab's commands on real daemons share
 * (test_testbed.c, test_shadow.c): the swarmlab binary, ip, running a
 * command to its end with its output, and why the testbed cannot run here.
 */
#ifndef SWARMLAB_TEST_HARNESS_LAB_H
#define SWARMLAB_TEST_HARNESS_LAB_H

#include <sched.h>

#include "harness.h"

static inline const char *swarmlab_binary(void) {
    static char path[HARNESS_TEXT_MAX];
    const char *build = getenv("BUILD");
    snprintf(path, sizeof path, "%s/swarmlab", build != NULL ? build : "build/release");
    return path;
}

static inline const char *ip_path(void) {
    static const char *const paths[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"};
    for (size_t i = 0; i < 4; i++)
        if (access(paths[i], X_OK) == 0) return paths[i];
    return NULL;
}

/* Runs argv to the end (at most ms); its output in out, its exit status. */
static inline int run_capture(char *const argv[], char *out, size_t cap, long ms) {
    char log[HARNESS_TEXT_MAX];
    harness_path(log, sizeof log, "capture", ".log");
    pid_t pid = harness_spawn(argv, log, -1);
    if (pid < 0) return -1;
    int rc = harness_wait_exit(pid, ms);
    if (rc < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    out[0] = '\0';
    FILE *f = fopen(log, "r");
    if (f != NULL) {
        size_t n = fread(out, 1, cap - 1, f);
        out[n] = '\0';
        fclose(f);
    }
    unlink(log);
    return rc;
}

/* Why the testbed cannot run here, or NULL. */
static inline const char *cannot_run(void) {
    if (geteuid() != 0) return "not root: the testbed needs network namespaces";
    if (ip_path() == NULL) return "no ip (iproute2)";
    if (access("/dev/net/tun", R_OK | W_OK) != 0) return "no /dev/net/tun";
    pid_t pid = fork();
    if (pid == 0) _exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "cannot make a network namespace (no CAP_NET_ADMIN)";
    return NULL;
}

/* Why the testbed's tests skip here, or "" (set by lab_setup). */
static inline char *lab_skip_reason(void) {
    static char reason[256];
    return reason;
}

/* A cmocka group setup: learns once whether the testbed can run here. */
static inline int lab_setup(void **state) {
    (void)state;
    const char *why = cannot_run();
    if (why != NULL) snprintf(lab_skip_reason(), 256, "%s", why);
    return 0;
}

/* Skips the test, saying why, when the testbed cannot run here. */
#define LAB_SKIP_UNLESS_ABLE(what)                                              \
    do {                                                                        \
        if (lab_skip_reason()[0] != '\0') {                                     \
            print_message("[ SKIPPED  ] %s: %s\n", (what), lab_skip_reason()); \
            skip();                                                             \
        }                                                                       \
    } while (0)

#endif
