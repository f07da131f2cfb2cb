/*
 * The testbed (swarmlab testbed, docs/testbed.md): ten real daemons in
 * network namespaces, 30 ms one way, on scenarios/testbed/floodsub-10.yaml.
 * Delivery must be 1.0 and the latency p50 within 20% of the built-in
 * world's on the same scenario; afterwards no namespace, link, process or
 * socket folder of that testbed may remain. Then the same cleanup after a
 * SIGTERM in mid-run, and the sweep of leftovers: a namespace of a testbed
 * that is gone is removed, those of a live owner and names without the
 * prefix are not. And churn (scenarios/testbed/churn-10.yaml): each host
 * runs as many processes as the world brings it up, a daemon killed by an
 * offline window comes back with the same peer id, delivery to online
 * nodes stays near the world's, and nothing is left. And drop attackers
 * (scenarios/testbed/drop-10.yaml): daemons with --attack drop receive the
 * messages and no honest node receives one from them.
 *
 * Skipped, with the reason, when not root, without ip, without /dev/net/tun
 * or when a network namespace cannot be made (no CAP_NET_ADMIN).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <sched.h>
#include <sys/stat.h>

#include "harness.h"
#include "harness_lab.h"

#define SCENARIO "scenarios/testbed/floodsub-10.yaml"
#define CHURN_SCENARIO "scenarios/testbed/churn-10.yaml"
#define CHURN_OFFLINE_HOST 3 /* the scenario's offline window: 8 s to 12 s */
#define DELIVERY_SLACK 0.03  /* testbed delivery at most this far below the world's */
#define DROP_SCENARIO "scenarios/testbed/drop-10.yaml"
#define DROP_HONEST 10
#define DROP_ATTACKERS 3
#define RUN_MS 90000
#define OUT_MAX 65536

#define SKIP_UNLESS_ABLE() LAB_SKIP_UNLESS_ABLE("testbed")

static char *read_file(const char *path) {
    static char text[OUT_MAX];
    FILE *f = fopen(path, "r");
    if (f == NULL) return NULL;
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* A number after "key": in metrics.json (the first occurrence); NAN if absent. */
static double json_number(const char *text, const char *key) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\":", key);
    const char *at = text != NULL ? strstr(text, quoted) : NULL;
    return at != NULL ? strtod(at + strlen(quoted), NULL) : -1.0;
}

/* Nothing of the testbed run by owner is left: namespaces, links, processes, sockets. */
static void assert_nothing_left(pid_t owner) {
    char prefix[32], ns_prefix[40], link_prefix[40], out[OUT_MAX];
    snprintf(prefix, sizeof prefix, "swl%d", (int)owner);
    snprintf(ns_prefix, sizeof ns_prefix, "%s-", prefix);
    snprintf(link_prefix, sizeof link_prefix, "%sh", prefix);
    char *ns[] = {(char *)ip_path(), "netns", "list", NULL};
    assert_int_equal(run_capture(ns, out, sizeof out, 10000), 0);
    if (strstr(out, ns_prefix) != NULL) fail_msg("namespaces of the testbed are left:\n%s", out);
    char *links[] = {(char *)ip_path(), "-o", "link", "show", NULL};
    assert_int_equal(run_capture(links, out, sizeof out, 10000), 0);
    if (strstr(out, link_prefix) != NULL) fail_msg("links of the testbed are left:\n%s", out);
    char folder[64];
    snprintf(folder, sizeof folder, "/tmp/%s", prefix);
    struct stat st;
    if (stat(folder, &st) == 0) fail_msg("%s is left", folder);
    /* Processes: the daemons name /tmp/swl<pid>/ on their command lines. */
    DIR *proc = opendir("/proc");
    assert_non_null(proc);
    struct dirent *e;
    while ((e = readdir(proc)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300], cmd[4096];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL) continue;
        size_t n = fread(cmd, 1, sizeof cmd - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (cmd[i] == '\0') cmd[i] = ' ';
        cmd[n] = '\0';
        if (strstr(cmd, folder) != NULL) fail_msg("a process of the testbed is left: %s %s", e->d_name, cmd);
    }
    closedir(proc);
}

/* Runs swarmlab testbed ARGS..., bounded; fails the test unless it exits 0. */
static void run_testbed_ok(char *const args[], const char *log) {
    pid_t pid = harness_spawn(args, log, -1);
    assert_true(pid > 0);
    int rc = harness_wait_exit(pid, RUN_MS);
    if (rc < 0) {
        kill(pid, SIGTERM);
        harness_wait_exit(pid, 10000);
    }
    char *text = read_file(log);
    if (rc != 0) fail_msg("swarmlab testbed: exit %d\n%s", rc, text != NULL ? text : "");
    print_message("%s", text != NULL ? text : "");
    assert_nothing_left(pid);
}

static void testbed_matches_the_world_and_leaves_nothing(void **state) {
    (void)state;
    SKIP_UNLESS_ABLE();
    long started = harness_now_ms();
    char world_dir[HARNESS_TEXT_MAX], bed_dir[HARNESS_TEXT_MAX], out[OUT_MAX];
    harness_path(world_dir, sizeof world_dir, "world", "");
    harness_path(bed_dir, sizeof bed_dir, "testbed", "");
    char *world[] = {(char *)swarmlab_binary(), "run", SCENARIO, "--out", world_dir, "--no-plots", "--quiet", NULL};
    int rc = run_capture(world, out, sizeof out, RUN_MS);
    if (rc != 0) fail_msg("swarmlab run: exit %d\n%s", rc, out);
    char path[HARNESS_TEXT_MAX + 64];
    snprintf(path, sizeof path, "%s/metrics.json", world_dir);
    double world_p50 = json_number(read_file(path), "p50");

    char log[HARNESS_TEXT_MAX];
    harness_path(log, sizeof log, "testbed", ".log");
    char *bed[] = {(char *)swarmlab_binary(), "testbed", SCENARIO, "--out", bed_dir, "--no-plots", NULL};
    run_testbed_ok(bed, log);
    snprintf(path, sizeof path, "%s/metrics.json", bed_dir);
    char *metrics = read_file(path);
    assert_non_null(metrics);
    double delivery = json_number(metrics, "delivery_ratio"), bed_p50 = json_number(metrics, "p50");
    print_message("testbed: delivery %.4f, p50 %.2f ms; world p50 %.2f ms; %.1f s\n", delivery, bed_p50, world_p50,
                  (harness_now_ms() - started) / 1000.0);
    assert_true(delivery == 1.0);
    assert_true(world_p50 > 0);
    if (bed_p50 < world_p50 * 0.8 || bed_p50 > world_p50 * 1.2)
        fail_msg("latency p50: testbed %.2f ms, world %.2f ms: more than 20%% apart", bed_p50, world_p50);
    snprintf(path, sizeof path, "%s/hosts/node9/swarmlab-node.stdout", bed_dir);
    char *stdout_text = read_file(path);
    assert_non_null(stdout_text);
    assert_non_null(strstr(stdout_text, "listen /ip4/10.77.0.10/tcp/4001/p2p/"));
    unlink(log);
    char *rm[] = {"/bin/rm", "-rf", world_dir, bed_dir, NULL};
    run_capture(rm, out, sizeof out, 10000);
}

/* How many times the world brought node up: its node_up lines in trace. */
static int world_ups(const char *trace, uint32_t node) {
    FILE *f = fopen(trace, "r");
    assert_non_null(f);
    char needle[64], line[512];
    snprintf(needle, sizeof needle, "\"node\":%u,\"event\":\"node_up\"", node);
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* The peer id a life of host printed ("peer ID" on its standard output); "" if none. */
static void life_peer(const char *bed_dir, uint32_t host, uint32_t life, char *id, size_t cap) {
    char path[HARNESS_TEXT_MAX + 96];
    if (life == 0)
        snprintf(path, sizeof path, "%s/hosts/node%u/swarmlab-node.stdout", bed_dir, host);
    else
        snprintf(path, sizeof path, "%s/hosts/node%u/swarmlab-node.%u.stdout", bed_dir, host, life);
    char *text = read_file(path);
    id[0] = '\0';
    if (text != NULL && strncmp(text, "peer ", 5) == 0) snprintf(id, cap, "%.*s", (int)strcspn(text + 5, "\n"), text + 5);
}

/* One scenario in the world (with its trace at world_trace) and on the
 * testbed, in folders named after tag; their metrics.json's delivery ratio
 * and eligible pairs ([0] the world's, [1] the testbed's). Fails the test
 * on a failed run or a testbed that leaves anything; delivery more than
 * DELIVERY_SLACK below the world's fails too. */
typedef struct paired_runs {
    char world_dir[HARNESS_TEXT_MAX], bed_dir[HARNESS_TEXT_MAX], world_trace[HARNESS_TEXT_MAX];
    double delivery[2], eligible[2];
} paired_runs;

static void run_paired(const char *scenario, const char *tag, paired_runs *r) {
    char out[OUT_MAX], name[64], log[HARNESS_TEXT_MAX], path[HARNESS_TEXT_MAX + 64];
    snprintf(name, sizeof name, "%s-world", tag);
    harness_path(r->world_dir, sizeof r->world_dir, name, "");
    harness_path(r->world_trace, sizeof r->world_trace, name, ".jsonl");
    snprintf(name, sizeof name, "%s-testbed", tag);
    harness_path(r->bed_dir, sizeof r->bed_dir, name, "");
    harness_path(log, sizeof log, name, ".log");
    char *world[] = {(char *)swarmlab_binary(), "run", (char *)scenario, "--out", r->world_dir, "--trace",
                     r->world_trace, "--no-plots", "--quiet", NULL};
    int rc = run_capture(world, out, sizeof out, RUN_MS);
    if (rc != 0) fail_msg("swarmlab run: exit %d\n%s", rc, out);
    char *bed[] = {(char *)swarmlab_binary(), "testbed", (char *)scenario, "--out", r->bed_dir, "--no-plots", NULL};
    run_testbed_ok(bed, log);
    unlink(log);
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/metrics.json", k == 0 ? r->world_dir : r->bed_dir);
        const char *metrics = read_file(path);
        if (metrics == NULL) fail_msg("%s: cannot read", path);
        r->delivery[k] = json_number(metrics, "delivery_ratio");
        const char *counts = strstr(metrics, "\"counts\""); /* not the attack section's "before" */
        r->eligible[k] = json_number(counts != NULL ? counts : metrics, "eligible_pairs");
    }
    print_message("%s: testbed delivery %.4f of %.0f eligible pairs, world %.4f of %.0f\n", tag, r->delivery[1],
                  r->eligible[1], r->delivery[0], r->eligible[0]);
    if (r->delivery[1] < r->delivery[0] - DELIVERY_SLACK)
        fail_msg("delivery %.4f, world %.4f: more than %.2f below", r->delivery[1], r->delivery[0], DELIVERY_SLACK);
}

static void remove_paired(const paired_runs *r) {
    char out[1024];
    unlink(r->world_trace);
    char *rm[] = {"/bin/rm", "-rf", (char *)r->world_dir, (char *)r->bed_dir, NULL};
    run_capture(rm, out, sizeof out, 10000);
}

static void churn_restarts_daemons_with_their_keys_as_the_world_does(void **state) {
    (void)state;
    SKIP_UNLESS_ABLE();
    static paired_runs r;
    run_paired(CHURN_SCENARIO, "churn", &r);
    const char *bed_dir = r.bed_dir, *trace = r.world_trace;
    /* Every host runs one process per time the world brings it up. */
    int restarts = 0;
    for (uint32_t host = 0; host < 10; host++) {
        int ups = world_ups(trace, host);
        char first[128], id[128];
        life_peer(bed_dir, host, 0, first, sizeof first);
        for (int life = 1; life < ups; life++, restarts++) {
            life_peer(bed_dir, host, (uint32_t)life, id, sizeof id);
            if (strcmp(id, first) != 0 || id[0] == '\0')
                fail_msg("node%u life %d: peer \"%s\", first life \"%s\"", host, life, id, first);
        }
        life_peer(bed_dir, host, (uint32_t)ups, id, sizeof id);
        if (id[0] != '\0') fail_msg("node%u ran more than the world's %d processes", host, ups);
    }
    assert_int_equal(world_ups(trace, CHURN_OFFLINE_HOST), 2); /* the window took it down once */
    assert_true(restarts >= 3); /* the window's, and the churning nodes' */
    /* Only online nodes count: a killed daemon's missing node_down would make it eligible. */
    assert_true(fabs(r.eligible[1] - r.eligible[0]) <= 0.05 * r.eligible[0]);
    assert_true(r.delivery[0] > 0.9);
    remove_paired(&r);
}

/* Lines of the file at path that hold both a and b (traces outgrow read_file). */
static int lines_with(const char *path, const char *a, const char *b) {
    FILE *f = fopen(path, "r");
    if (f == NULL) fail_msg("%s: cannot read", path);
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    while (getline(&line, &cap, f) > 0) n += strstr(line, a) != NULL && strstr(line, b) != NULL;
    free(line);
    fclose(f);
    return n;
}

static void drop_attackers_receive_and_relay_nothing(void **state) {
    (void)state;
    SKIP_UNLESS_ABLE();
    static paired_runs r;
    run_paired(DROP_SCENARIO, "drop", &r);
    char path[HARNESS_TEXT_MAX + 64];
    for (uint32_t a = DROP_HONEST; a < DROP_HONEST + DROP_ATTACKERS; a++) {
        char id[128], needle[192];
        life_peer(r.bed_dir, a, 0, id, sizeof id);
        assert_true(strncmp(id, "12D3KooW", 8) == 0);
        snprintf(path, sizeof path, "%s/hosts/node%u/trace.jsonl", r.bed_dir, a);
        assert_true(lines_with(path, "\"event\":\"deliver_message\"", "") > 0); /* in the mesh, it hears */
        snprintf(needle, sizeof needle, "\"peer\":\"%s\"", id);
        int peered = 0;
        for (uint32_t h = 0; h < DROP_HONEST; h++) { /* a message from the attacker: none may be */
            snprintf(path, sizeof path, "%s/hosts/node%u/trace.jsonl", r.bed_dir, h);
            int got = lines_with(path, needle, "_message\"");
            if (got > 0) fail_msg("node%u has %d message events from attacker node%u", h, got, a);
            peered += lines_with(path, needle, "\"event\":\"add_peer\"");
        }
        assert_true(peered > 0); /* the needle names a peer the honest nodes did see */
    }
    remove_paired(&r);
}

static void a_signal_mid_run_cleans_up(void **state) {
    (void)state;
    SKIP_UNLESS_ABLE();
    char bed_dir[HARNESS_TEXT_MAX], log[HARNESS_TEXT_MAX], out[OUT_MAX];
    harness_path(bed_dir, sizeof bed_dir, "testbed-sig", "");
    harness_path(log, sizeof log, "testbed-sig", ".log");
    char *bed[] = {(char *)swarmlab_binary(), "testbed", SCENARIO, "--out", bed_dir, "--no-plots", NULL};
    pid_t pid = harness_spawn(bed, log, -1);
    assert_true(pid > 0);
    /* Until the daemons run: their stdout files have their listen lines. */
    char path[HARNESS_TEXT_MAX + 64];
    snprintf(path, sizeof path, "%s/hosts/node9/swarmlab-node.stdout", bed_dir);
    long deadline = harness_now_ms() + 20000;
    for (;;) {
        char *text = read_file(path);
        if (text != NULL && strstr(text, "listen ") != NULL) break;
        if (harness_now_ms() > deadline) fail_msg("the daemons did not start");
        harness_sleep_ms(50);
    }
    harness_sleep_ms(1000);
    kill(pid, SIGTERM);
    int rc = harness_wait_exit(pid, 20000);
    char *text = read_file(log);
    if (rc != 130) fail_msg("swarmlab testbed after SIGTERM: exit %d (expected 130)\n%s", rc, text ? text : "");
    assert_nothing_left(pid);
    unlink(log);
    char *rm[] = {"/bin/rm", "-rf", bed_dir, NULL};
    run_capture(rm, out, sizeof out, 10000);
}

static bool namespace_exists(const char *name) {
    char path[128];
    snprintf(path, sizeof path, "/run/netns/%s", name);
    struct stat st;
    return stat(path, &st) == 0;
}

static void a_rerun_removes_leftovers_of_dead_testbeds_only(void **state) {
    (void)state;
    SKIP_UNLESS_ABLE();
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0); /* its pid names no process now (reuse within the test is unlikely) */
    char leftover[64], live[64], other[64], out[OUT_MAX];
    snprintf(leftover, sizeof leftover, "swl%d-n0", (int)dead);
    snprintf(live, sizeof live, "swl%d-n0", (int)getpid());
    snprintf(other, sizeof other, "swlx-%d-keep", (int)getpid());
    const char *names[] = {leftover, live, other};
    for (size_t i = 0; i < 3; i++) {
        char *add[] = {(char *)ip_path(), "netns", "add", (char *)names[i], NULL};
        assert_int_equal(run_capture(add, out, sizeof out, 10000), 0);
    }
    char bed_dir[HARNESS_TEXT_MAX];
    harness_path(bed_dir, sizeof bed_dir, "testbed-sweep", "");
    /* Two hosts for two seconds: the sweep runs before any testbed. */
    char *bed[] = {(char *)swarmlab_binary(), "testbed", SCENARIO, "--out", bed_dir, "--no-plots",
                   "--set", "nodes.count=2", "--set", "nodes.join.over=0s", "--set", "network.topology.degree=1", "--set", "workload.publishers=1", "--set", "duration=2s", "--set", "workload.start=1s",
                   "--set", "workload.stop=2s", "--set", "metrics.deadline=1s", NULL};
    int rc = run_capture(bed, out, sizeof out, RUN_MS);
    bool leftover_gone = !namespace_exists(leftover), live_kept = namespace_exists(live),
         other_kept = namespace_exists(other);
    for (size_t i = 0; i < 3; i++) {
        char *del[] = {(char *)ip_path(), "netns", "del", (char *)names[i], NULL};
        char ignored[1024];
        run_capture(del, ignored, sizeof ignored, 10000);
    }
    if (rc != 0) fail_msg("swarmlab testbed: exit %d\n%s", rc, out);
    assert_non_null(strstr(out, "removed 1 leftovers"));
    assert_true(leftover_gone);
    assert_true(live_kept);
    assert_true(other_kept);
    char *rm[] = {"/bin/rm", "-rf", bed_dir, NULL};
    run_capture(rm, out, sizeof out, 10000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testbed_matches_the_world_and_leaves_nothing),
        cmocka_unit_test(churn_restarts_daemons_with_their_keys_as_the_world_does),
        cmocka_unit_test(drop_attackers_receive_and_relay_nothing),
        cmocka_unit_test(a_signal_mid_run_cleans_up),
        cmocka_unit_test(a_rerun_removes_leftovers_of_dead_testbeds_only),
    };
    return cmocka_run_group_tests(tests, lab_setup, NULL);
}
