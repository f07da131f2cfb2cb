/*
 * libp2p test-plans' gossipsub-interop experiment, unchanged, in the world
 * (swarmlab run --shadow) and on daemons (swarmlab testbed --shadow):
 * tests/shadow/ holds a 10-node experiment as test-plans' generator writes
 * it (shadow.yaml, graph.gml on three graph nodes, params.json with
 * initGossipSub, setTopicValidationDelay, connect, subscribeToTopic,
 * waitUntil and four publishes from nodes 0, 3, 7 and 9). Every node must
 * print PeerID with the peer id of its node id's key, and every node but
 * the publisher "Received Message" for every message, in
 * OUT/hosts/nodeN/swarmlab-node.stdout, JSON lines only. The world's lines
 * are timed from 2000-01-01T00:00:00Z, as Shadow's. Then the errors: a bad
 * shadow.yaml names file, line and key (exit 1), bad arguments exit 2.
 *
 * The testbed part skips, saying why, when not root, without ip, without
 * /dev/net/tun or when a network namespace cannot be made.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "harness_lab.h"
#include "interop/interop_params.h"

#define SHADOW "tests/shadow/shadow.yaml"
#define NODES 10
#define RUN_MS 90000
#define OUT_MAX 65536

static const struct {
    uint32_t publisher;
    const char *id;
} messages[] = {{0, "1000"}, {3, "1001"}, {7, "1002"}, {9, "1003"}};

/* Checks OUT/hosts/nodeN/swarmlab-node.stdout of every node. */
static void check_hosts(const char *out_dir, bool shadow_clock) {
    for (uint32_t n = 0; n < NODES; n++) {
        char path[HARNESS_TEXT_MAX + 64], line[4096], want[128], peer[PEER_ID_TEXT_MAX];
        snprintf(path, sizeof path, "%s/hosts/node%u/swarmlab-node.stdout", out_dir, n);
        FILE *f = fopen(path, "r");
        if (f == NULL) fail_msg("%s: %s", path, strerror(errno));
        interop_node_peer_text(n, peer);
        bool got_peer = false, got[sizeof messages / sizeof messages[0]] = {false};
        while (fgets(line, sizeof line, f) != NULL) {
            if (line[0] != '{') fail_msg("%s: not a JSON line: %s", path, line);
            if (shadow_clock && strncmp(line, "{\"time\":\"2000-01-01T00:00:", 26) != 0)
                fail_msg("%s: not on Shadow's clock: %s", path, line);
            if (strstr(line, "\"msg\":\"PeerID\"") != NULL) {
                snprintf(want, sizeof want, "\"id\":\"%s\",\"node_id\":%u}", peer, n);
                if (strstr(line, want) == NULL) fail_msg("%s: PeerID line without %s: %s", path, want, line);
                got_peer = true;
            }
            for (size_t m = 0; m < sizeof messages / sizeof messages[0]; m++) {
                snprintf(want, sizeof want, "\"topic\":\"foobar\",\"id\":\"%s\"}", messages[m].id);
                if (strstr(line, "\"msg\":\"Received Message\"") != NULL && strstr(line, want) != NULL) got[m] = true;
            }
        }
        fclose(f);
        if (!got_peer) fail_msg("%s: no PeerID line", path);
        for (size_t m = 0; m < sizeof messages / sizeof messages[0]; m++)
            if (!got[m] && messages[m].publisher != n) fail_msg("node%u never received message %s", n, messages[m].id);
    }
}

static void the_experiment_runs_in_the_world(void **state) {
    (void)state;
    char dir[HARNESS_TEXT_MAX], out[OUT_MAX];
    harness_path(dir, sizeof dir, "shadow-world", "");
    char *run[] = {(char *)swarmlab_binary(), "run", "--shadow", SHADOW, "--out", dir, "--no-plots", "--quiet", NULL};
    int rc = run_capture(run, out, sizeof out, RUN_MS);
    if (rc != 0) fail_msg("swarmlab run --shadow: exit %d\n%s", rc, out);
    check_hosts(dir, true);
    char metrics[HARNESS_TEXT_MAX + 32];
    snprintf(metrics, sizeof metrics, "%s/metrics.json", dir);
    assert_int_equal(access(metrics, R_OK), 0);
    char *rm[] = {"rm", "-rf", dir, NULL};
    run_capture(rm, out, sizeof out, 10000);
}

/* A shadow.yaml whose line 3 is given. */
static void write_shadow(const char *path, const char *general) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "general:\n  model_unblocked_syscall_latency: true\n%s\n", general);
    fprintf(f, "hosts:\n  node0:\n    network_node_id: 0\n    processes:\n    - args: --params %s/tests/shadow/params.json\n"
               "      path: swarmlab-node\nnetwork:\n  graph:\n    file:\n      path: %s/tests/shadow/graph.gml\n"
               "    type: gml\n",
            getcwd((char[1024]){0}, 1024), getcwd((char[1024]){0}, 1024));
    fclose(f);
}

static void bad_files_and_arguments_are_refused(void **state) {
    (void)state;
    char path[HARNESS_TEXT_MAX], dir[HARNESS_TEXT_MAX], out[OUT_MAX], want[HARNESS_TEXT_MAX + 64];
    harness_path(path, sizeof path, "shadow-bad", ".yaml");
    harness_path(dir, sizeof dir, "shadow-bad", "");
    char *run[] = {(char *)swarmlab_binary(), "run", "--shadow", path, "--out", dir, "--no-plots", "--quiet", NULL};
    write_shadow(path, "  stop_time: ten minutes");
    assert_int_equal(run_capture(run, out, sizeof out, RUN_MS), 1);
    snprintf(want, sizeof want, "%s:3: general.stop_time:", path);
    if (strstr(out, want) == NULL) fail_msg("no \"%s\" in: %s", want, out);
    write_shadow(path, "  stop_time: 10 s\n  ptp: 1");
    assert_int_equal(run_capture(run, out, sizeof out, RUN_MS), 1);
    snprintf(want, sizeof want, "%s:4: general.ptp:", path);
    if (strstr(out, want) == NULL) fail_msg("no \"%s\" in: %s", want, out);
    write_shadow(path, "  stop_time: 10 s");
    assert_int_equal(run_capture(run, out, sizeof out, RUN_MS), 0); /* the same file, fixed, runs */
    char *missing[] = {(char *)swarmlab_binary(), "run", "--shadow", NULL};
    assert_int_equal(run_capture(missing, out, sizeof out, RUN_MS), 2);
    assert_non_null(strstr(out, "usage:"));
    char *both[] = {(char *)swarmlab_binary(), "run", "x.yaml", "--shadow", path, NULL};
    assert_int_equal(run_capture(both, out, sizeof out, RUN_MS), 2);
    char *bed[] = {(char *)swarmlab_binary(), "testbed", "--shadow", path, "--seed", "3", NULL};
    assert_int_equal(run_capture(bed, out, sizeof out, RUN_MS), 2);
    unlink(path);
    char *rm[] = {"rm", "-rf", dir, NULL};
    run_capture(rm, out, sizeof out, 10000);
}

static void the_experiment_runs_on_the_testbed(void **state) {
    (void)state;
    const char *why = cannot_run();
    if (why != NULL) {
        print_message("[ SKIPPED  ] testbed: %s\n", why);
        skip();
    }
    char dir[HARNESS_TEXT_MAX], out[OUT_MAX];
    harness_path(dir, sizeof dir, "shadow-testbed", "");
    char *bed[] = {(char *)swarmlab_binary(), "testbed", "--shadow", SHADOW, "--out", dir, "--no-plots", NULL};
    int rc = run_capture(bed, out, sizeof out, RUN_MS);
    if (rc != 0) fail_msg("swarmlab testbed --shadow: exit %d\n%s", rc, out);
    check_hosts(dir, false);
    char *rm[] = {"rm", "-rf", dir, NULL};
    run_capture(rm, out, sizeof out, 10000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_experiment_runs_in_the_world),
        cmocka_unit_test(bad_files_and_arguments_are_refused),
        cmocka_unit_test(the_experiment_runs_on_the_testbed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
