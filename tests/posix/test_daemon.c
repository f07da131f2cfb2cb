/*
 * test_daemon: swarmlab-node on real sockets. Three daemons on 127.0.0.1
 * (ports chosen by the kernel) in a line A - B - C carry a signed pubsub
 * message end to end exactly once, ping, and the chat protocol; and the
 * daemon's own contract: clean shutdown on SIGTERM, the key file rules,
 * usage errors, standard input.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#define TOPIC "swarm"
#define QUIET_MS 500 /* how long a duplicate is given to show up */

typedef struct line_fixture {
    harness_daemon a, b, c;
} line_fixture;

/* Fails unless every daemon exits 0 on SIGTERM: a daemon built with the
 * sanitizers exits otherwise when it found an error or a leak. */
static int line_teardown(void **state) {
    line_fixture *f = *state;
    int a = harness_stop(&f->a), b = harness_stop(&f->b), c = harness_stop(&f->c);
    free(f);
    *state = NULL;
    return a == 0 && b == 0 && c == 0 ? 0 : -1;
}

/* A, B and C, connected A - B - C. cmocka skips the teardown of a failed
 * setup, so a failure here stops the daemons itself. */
/* Three daemons not started yet, in *state. */
static line_fixture *fixture_new(void **state) {
    line_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    harness_init(&f->a);
    harness_init(&f->b);
    harness_init(&f->c);
    return f;
}

/* The line, B started with b_extra (NULL: none). */
static int line_start(void **state, const char *const *b_extra) {
    line_fixture *f = fixture_new(state);
    bool started = harness_start(&f->a, "a", NULL) == 0 && harness_start(&f->b, "b", b_extra) == 0 &&
                   harness_start(&f->c, "c", NULL) == 0;
    if (started && harness_connect(&f->a, &f->b) == 0 && harness_connect(&f->b, &f->c) == 0) return 0;
    harness_print_log(&f->a);
    harness_print_log(&f->b);
    harness_print_log(&f->c);
    (void)line_teardown(state);
    return -1;
}

static int line_setup(void **state) { return line_start(state, NULL); }

static void expect_ok(harness_daemon *d, const char *command) {
    char reply[HARNESS_LINE_MAX];
    assert_int_equal(harness_command(d, command, reply, sizeof reply), 0);
    if (strstr(reply, "\"ok\":true") == NULL) fail_msg("%s: %s", command, reply);
}

/* Counts the events of d that carry needle until the deadline. */
static int count_events(harness_daemon *d, const char *needle, long deadline_ms, char *last, size_t cap) {
    int count = 0;
    while (harness_next_event(d, needle, NULL, last, cap, deadline_ms) == 0) count++;
    return count;
}

static void a_message_published_at_one_end_of_a_line_arrives_once_at_the_other(void **state) {
    line_fixture *f = *state;
    expect_ok(&f->a, "sub " TOPIC);
    expect_ok(&f->b, "sub " TOPIC);
    expect_ok(&f->c, "sub " TOPIC);
    assert_int_equal(harness_wait_route(&f->a, &f->c, TOPIC), 0);

    expect_ok(&f->a, "pub " TOPIC " hello from the far end");
    char line[HARNESS_LINE_MAX];
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    assert_int_equal(harness_next_event(&f->c, "\"data\":\"hello from the far end\"", NULL, line, sizeof line, deadline), 0);
    /* Delivered means the node checked the StrictSign signature against
     * the sender's key: the sender it names is A, two hops away. */
    char from[HARNESS_TEXT_MAX], topic[HARNESS_TEXT_MAX];
    assert_int_equal(harness_json_string(line, "from", from, sizeof from), 0);
    assert_string_equal(from, f->a.id);
    assert_int_equal(harness_json_string(line, "topic", topic, sizeof topic), 0);
    assert_string_equal(topic, TOPIC);
    int again = count_events(&f->c, "hello from the far end", harness_now_ms() + QUIET_MS, line, sizeof line);
    assert_int_equal(again, 0);
}

/* The event's JSON escapes what JSON must (quote, backslash, control
 * characters as \u00XX), keeps valid UTF-8 as it is and replaces an
 * invalid byte with U+FFFD: the exact data field of a published message. */
static void a_delivered_message_is_escaped_as_json_in_the_event(void **state) {
    line_fixture *f = *state;
    expect_ok(&f->a, "sub " TOPIC);
    expect_ok(&f->b, "sub " TOPIC);
    assert_int_equal(harness_wait_route(&f->a, &f->b, TOPIC), 0);
    expect_ok(&f->a, "pub " TOPIC " q\"b\\s\tt\x7f \xc3\xa9 \xff end");
    char line[HARNESS_LINE_MAX];
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    assert_int_equal(harness_next_event(&f->b, "end\"", NULL, line, sizeof line, deadline), 0);
    assert_non_null(strstr(line, "\"data\":\"q\\\"b\\\\s\\u0009t\\u007f \xc3\xa9 \\ufffd end\""));
}

/* --attack drop, the world's censor: B, in the middle of A - B - C,
 * receives A's message and never passes it on, while its own messages
 * still reach C (it publishes; it does not relay). */
static int drop_line_setup(void **state) {
    static const char *const drop[] = {"--attack", "drop", NULL};
    return line_start(state, drop);
}

static void a_dropping_node_in_the_middle_receives_but_never_relays(void **state) {
    line_fixture *f = *state;
    expect_ok(&f->a, "sub " TOPIC);
    expect_ok(&f->b, "sub " TOPIC);
    expect_ok(&f->c, "sub " TOPIC);
    assert_int_equal(harness_wait_route(&f->a, &f->b, TOPIC), 0);
    assert_int_equal(harness_wait_route(&f->b, &f->c, TOPIC), 0); /* B's own messages reach C */
    expect_ok(&f->a, "pub " TOPIC " censored");
    char line[HARNESS_LINE_MAX];
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    assert_int_equal(harness_next_event(&f->b, "\"data\":\"censored\"", NULL, line, sizeof line, deadline), 0);
    assert_int_equal(count_events(&f->c, "censored", harness_now_ms() + QUIET_MS, line, sizeof line), 0);
}

static void ping_over_real_sockets_reports_a_round_trip_time(void **state) {
    line_fixture *f = *state;
    char command[HARNESS_LINE_MAX], reply[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "ping %s", f->b.id);
    assert_int_equal(harness_command(&f->a, command, reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "\"ok\":true"));
    char peer[HARNESS_TEXT_MAX];
    assert_int_equal(harness_json_string(reply, "ping", peer, sizeof peer), 0);
    assert_string_equal(peer, f->b.id);
    const char *rtt = strstr(reply, "\"rtt_ms\":");
    assert_non_null(rtt);
    double rtt_ms = atof(rtt + strlen("\"rtt_ms\":"));
    assert_true(rtt_ms > 0.0);
    assert_true(rtt_ms < HARNESS_DEADLINE_MS);
}

static void ping_to_a_peer_not_connected_fails_at_once(void **state) {
    line_fixture *f = *state;
    char command[HARNESS_LINE_MAX], reply[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "ping %s", f->c.id); /* A and C are not neighbours */
    assert_int_equal(harness_command(&f->a, command, reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "\"ok\":false"));
}

static void a_chat_message_and_its_reply_cross_between_two_daemons(void **state) {
    line_fixture *f = *state;
    char command[HARNESS_LINE_MAX], reply[HARNESS_LINE_MAX], line[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "msg %s hello B, this is A", f->b.id);
    assert_int_equal(harness_command(&f->a, command, reply, sizeof reply), 0);
    if (strstr(reply, "\"ok\":true") == NULL) fail_msg("msg: %s", reply);
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    assert_int_equal(harness_next_event(&f->b, "\"event\":\"chat\"", "hello B, this is A", line, sizeof line, deadline), 0);
    char from[HARNESS_TEXT_MAX];
    assert_int_equal(harness_json_string(line, "from", from, sizeof from), 0);
    assert_string_equal(from, f->a.id);

    snprintf(command, sizeof command, "msg %s hello back from B", f->a.id);
    assert_int_equal(harness_command(&f->b, command, reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "\"ok\":true"));
    deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    assert_int_equal(harness_next_event(&f->a, "\"event\":\"chat\"", "hello back from B", line, sizeof line, deadline), 0);
    assert_int_equal(harness_json_string(line, "from", from, sizeof from), 0);
    assert_string_equal(from, f->b.id);
}

/* ---- one daemon at a time --------------------------------------------- */

static int single_teardown(void **state) {
    harness_daemon *d = *state;
    if (d != NULL) harness_stop(d);
    free(d);
    return 0;
}

static int single_setup(void **state) {
    harness_daemon *d = calloc(1, sizeof *d);
    assert_non_null(d);
    harness_init(d);
    *state = d;
    return 0;
}

static int file_lines_with(const char *path, const char *needle) { return harness_file_lines_with(path, needle); }

static bool file_contains(const char *path, const char *needle) { return file_lines_with(path, needle) > 0; }

static void sigterm_exits_0_removes_the_socket_and_flushes_the_trace(void **state) {
    harness_daemon *d = *state;
    assert_int_equal(harness_start(d, "term", NULL), 0);
    struct stat st;
    assert_int_equal(stat(d->control, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    expect_ok(d, "sub " TOPIC);
    kill(d->pid, SIGTERM);
    int status = harness_wait_exit(d->pid, HARNESS_STOP_MS);
    d->pid = 0;
    assert_int_equal(status, 0);
    assert_int_not_equal(stat(d->control, &st), 0);
    assert_true(file_contains(d->trace, "\"event\":\"node_up\""));
    assert_true(file_contains(d->trace, "\"event\":\"join\",\"topic\":\"" TOPIC "\""));
    assert_true(file_contains(d->trace, "\"event\":\"node_down\""));
}

/* A crash loses what the trace buffer holds: after sync it is in the file
 * even when SIGKILL follows (as the testbed's churn does). */
static void sync_puts_the_trace_in_the_file_before_a_sigkill(void **state) {
    harness_daemon *d = *state;
    assert_int_equal(harness_start(d, "sync", NULL), 0);
    expect_ok(d, "sub " TOPIC);
    assert_false(file_contains(d->trace, "\"event\":\"join\"")); /* still in the buffer */
    expect_ok(d, "sync");
    kill(d->pid, SIGKILL);
    harness_wait_exit(d->pid, HARNESS_STOP_MS);
    d->pid = 0;
    assert_true(file_contains(d->trace, "\"event\":\"node_up\""));
    assert_true(file_contains(d->trace, "\"event\":\"join\",\"topic\":\"" TOPIC "\""));
    assert_false(file_contains(d->trace, "\"event\":\"node_down\"")); /* a crash writes none */
}

static void a_missing_key_file_is_created_private_and_keeps_the_identity(void **state) {
    harness_daemon *d = *state;
    char key[HARNESS_TEXT_MAX], first_id[HARNESS_TEXT_MAX];
    harness_path(key, sizeof key, "key", ".key");
    unlink(key);
    const char *extra[] = {"--key", key, NULL};
    assert_int_equal(harness_start(d, "key1", extra), 0);
    snprintf(first_id, sizeof first_id, "%s", d->id);
    harness_stop(d);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 68); /* the libp2p PrivateKey protobuf */
    assert_int_equal(harness_start(d, "key2", extra), 0);
    assert_string_equal(d->id, first_id);
    unlink(key);
}

/* A's socket was removed by hand and B bound the same path: A's exit
 * must not remove B's socket. */
static void at_exit_a_daemon_leaves_another_daemons_socket_at_its_path(void **state) {
    line_fixture *f = *state;
    assert_int_equal(harness_start(&f->a, "shared", NULL), 0);
    assert_int_equal(unlink(f->a.control), 0);
    assert_int_equal(harness_start(&f->b, "shared", NULL), 0); /* the same path */
    kill(f->a.pid, SIGTERM);
    assert_int_equal(harness_wait_exit(f->a.pid, HARNESS_STOP_MS), 0);
    f->a.pid = 0;
    int fd = harness_unix_connect(f->b.control);
    assert_true(fd >= 0); /* B's socket is still there */
    close(fd);
}

static int pair_setup(void **state) {
    (void)fixture_new(state);
    return 0;
}

static int pair_teardown(void **state) {
    line_fixture *f = *state;
    harness_stop(&f->a); /* may have stopped: -1 then */
    int b = harness_stop(&f->b);
    free(f);
    return b == 0 ? 0 : -1;
}

/* Runs the daemon with args; its exit status. Its output stays in log. */
static int run_daemon(const char *const *args, const char *log, int stdin_fd) {
    int status = harness_run(args, log, stdin_fd);
    assert_true(status >= 0);
    return status;
}

static void a_key_file_others_can_read_is_refused(void **state) {
    (void)state;
    char key[HARNESS_TEXT_MAX], log[HARNESS_TEXT_MAX];
    harness_path(key, sizeof key, "open", ".key");
    harness_path(log, sizeof log, "open", ".log");
    int fd = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef", 32), 32);
    close(fd);
    assert_int_equal(chmod(key, 0644), 0);
    const char *args[] = {"--key", key, NULL};
    assert_int_equal(run_daemon(args, log, -1), 2);
    assert_true(file_contains(log, "too open"));
    assert_false(file_contains(log, "0123456789abcdef")); /* never print the key */
    unlink(key);
    unlink(log);
}

#define REFUSED_WITHIN_MS (HARNESS_DEADLINE_MS / 2) /* a refusal is immediate; a hang is not */

/* The daemon run with args refuses path: exit 2 well before run_daemon
 * gives up, and one line on standard error that names path and says why. */
static void expect_refused(const char *const *args, const char *path, const char *why) {
    char log[HARNESS_TEXT_MAX];
    harness_path(log, sizeof log, "refused", ".log");
    long started = harness_now_ms();
    assert_int_equal(run_daemon(args, log, -1), 2);
    assert_true(harness_now_ms() - started < REFUSED_WITHIN_MS);
    assert_int_equal(file_lines_with(log, ""), 1);
    assert_int_equal(file_lines_with(log, why), 1);
    assert_int_equal(file_lines_with(log, path), 1);
    unlink(log);
}

/* A FIFO would block open() until a writer came: it is refused at once. */
static void a_fifo_as_the_key_file_is_refused_at_once_with_one_line(void **state) {
    (void)state;
    char key[HARNESS_TEXT_MAX];
    harness_path(key, sizeof key, "fifo", ".key");
    unlink(key);
    assert_int_equal(mkfifo(key, 0600), 0);
    assert_int_equal(chmod(key, 0600), 0);
    const char *args[] = {"--key", key, NULL};
    expect_refused(args, key, "is not a regular file");
    unlink(key);
}

static void a_symlinked_trace_path_is_refused_and_its_target_untouched(void **state) {
    (void)state;
    char victim[HARNESS_TEXT_MAX], trace[HARNESS_TEXT_MAX];
    harness_path(victim, sizeof victim, "victim", ".txt");
    harness_path(trace, sizeof trace, "link", ".trace");
    static const char precious[] = "precious contents\n";
    FILE *f = fopen(victim, "w");
    assert_non_null(f);
    fputs(precious, f);
    fclose(f);
    unlink(trace);
    assert_int_equal(symlink(victim, trace), 0);
    const char *args[] = {"--listen", "/ip4/127.0.0.1/tcp/0", "--trace", trace, NULL};
    expect_refused(args, trace, "is a symbolic link");
    struct stat st;
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_size, (off_t)(sizeof precious - 1)); /* not truncated */
    assert_true(file_contains(victim, "precious contents"));
    unlink(trace);
    unlink(victim);
}

static void a_fifo_as_the_trace_file_is_refused_at_once_with_one_line(void **state) {
    (void)state;
    char trace[HARNESS_TEXT_MAX];
    harness_path(trace, sizeof trace, "fifo", ".trace");
    unlink(trace);
    assert_int_equal(mkfifo(trace, 0600), 0);
    const char *args[] = {"--listen", "/ip4/127.0.0.1/tcp/0", "--trace", trace, NULL};
    expect_refused(args, trace, "is not a regular file");
    unlink(trace);
}

static void bad_arguments_print_usage_and_exit_2(void **state) {
    (void)state;
    char log[HARNESS_TEXT_MAX];
    harness_path(log, sizeof log, "usage", ".log");
    const char *unknown[] = {"--frobnicate", NULL};
    assert_int_equal(run_daemon(unknown, log, -1), 2);
    assert_true(file_contains(log, "usage: swarmlab-node"));
    const char *bad_address[] = {"--listen", "/ip6/::1/tcp/0", NULL};
    assert_int_equal(run_daemon(bad_address, log, -1), 2);
    const char *bad_router[] = {"--router", "gossipsub-9000", NULL};
    assert_int_equal(run_daemon(bad_router, log, -1), 2);
    const char *scoring_floodsub[] = {"--scoring", NULL}; /* the default router is floodsub */
    assert_int_equal(run_daemon(scoring_floodsub, log, -1), 2);
    assert_true(file_contains(log, "--scoring: needs --router gossipsub"));
    const char *bad_message_id[] = {"--router", "gossipsub", "--message-id", "sha-256", NULL};
    assert_int_equal(run_daemon(bad_message_id, log, -1), 2);
    assert_true(file_contains(log, "--message-id: unknown kind sha-256 (from-seqno, key-seqno, sha256 or first-8-bytes)"));
    const char *bad_policy[] = {"--signature-policy", "strict-nosign", NULL};
    assert_int_equal(run_daemon(bad_policy, log, -1), 2);
    assert_true(file_contains(log, "--signature-policy: unknown policy strict-nosign (strict-sign or strict-no-sign)"));
    const char *no_sign_seqno_id[] = {"--signature-policy", "strict-no-sign", NULL}; /* from-seqno by default */
    assert_int_equal(run_daemon(no_sign_seqno_id, log, -1), 2);
    assert_true(file_contains(log, "message_id from-seqno needs from and seqno, which strict-no-sign messages do not "
                                   "carry (use sha256 or first-8-bytes)"));
    const char *no_sign_seqno_validator[] = {"--signature-policy", "strict-no-sign", "--message-id", "sha256",
                                             "--seqno-validator", NULL};
    assert_int_equal(run_daemon(no_sign_seqno_validator, log, -1), 2);
    assert_true(file_contains(log, "seqno_validator: needs seqnos, which strict-no-sign messages do not carry"));
    const char *long_delay[] = {"--validation-delay-ms", "60001", NULL};
    assert_int_equal(run_daemon(long_delay, log, -1), 2);
    assert_true(file_contains(log, "--validation-delay-ms: needs a whole number from 0 to 60000, got 60001"));
    const char *small_seen_cache[] = {"--seen-max-bytes", "1000", NULL};
    assert_int_equal(run_daemon(small_seen_cache, log, -1), 2);
    assert_true(file_contains(log, "--seen-max-bytes: needs a whole number from 10240 to 671088640, got 1000"));
    const char *bad_origins[] = {"--seqno-validator", "--seqno-origins-max", "-5", NULL};
    assert_int_equal(run_daemon(bad_origins, log, -1), 2);
    assert_true(file_contains(log, "--seqno-origins-max: needs a whole number from 1 to 1000000, got -5"));
    const char *bad_prune_peers[] = {"--router", "gossipsub", "--prune-peers", "513", NULL};
    assert_int_equal(run_daemon(bad_prune_peers, log, -1), 2);
    assert_true(file_contains(log, "--prune-peers: needs a whole number from 0 to 512, got 513"));
    const char *bad_px_dials[] = {"--router", "gossipsub", "--px-dials-in-flight", "-1", NULL};
    assert_int_equal(run_daemon(bad_px_dials, log, -1), 2);
    assert_true(file_contains(log, "--px-dials-in-flight: needs a whole number from 0 to 512, got -1"));
    const char *px_floodsub[] = {"--accept-px-inbound", NULL};
    assert_int_equal(run_daemon(px_floodsub, log, -1), 2);
    assert_true(file_contains(log, "peer exchange options need --router gossipsub"));
    const char *bad_attack[] = {"--attack", "spam", NULL};
    assert_int_equal(run_daemon(bad_attack, log, -1), 2);
    assert_true(file_contains(log, "--attack: unknown kind spam (the daemon takes drop only)"));
    const char *missing_value[] = {"--peer", NULL};
    assert_int_equal(run_daemon(missing_value, log, -1), 2);
    unlink(log);
}

static void commands_on_a_pipe_answer_in_text_and_end_of_input_quits(void **state) {
    (void)state;
    char log[HARNESS_TEXT_MAX];
    harness_path(log, sizeof log, "pipe", ".log");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    const char input[] = "sub " TOPIC "\nfrobnicate\nid\n";
    assert_int_equal(write(fds[1], input, sizeof input - 1), (ssize_t)(sizeof input - 1));
    close(fds[1]); /* end of input: without --control the daemon quits */
    const char *args[] = {"--listen", "/ip4/127.0.0.1/tcp/0", NULL};
    assert_int_equal(run_daemon(args, log, fds[0]), 0);
    close(fds[0]);
    assert_true(file_contains(log, "peer 12D3KooW"));
    assert_true(file_contains(log, "listen /ip4/127.0.0.1/tcp/"));
    assert_true(file_contains(log, "ok"));
    assert_true(file_contains(log, "error unknown command"));
    assert_true(file_contains(log, "id 12D3KooW"));
    unlink(log);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_message_published_at_one_end_of_a_line_arrives_once_at_the_other,
                                        line_setup, line_teardown),
        cmocka_unit_test_setup_teardown(a_delivered_message_is_escaped_as_json_in_the_event, line_setup, line_teardown),
        cmocka_unit_test_setup_teardown(ping_over_real_sockets_reports_a_round_trip_time, line_setup, line_teardown),
        cmocka_unit_test_setup_teardown(a_dropping_node_in_the_middle_receives_but_never_relays, drop_line_setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(ping_to_a_peer_not_connected_fails_at_once, line_setup, line_teardown),
        cmocka_unit_test_setup_teardown(a_chat_message_and_its_reply_cross_between_two_daemons, line_setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(sigterm_exits_0_removes_the_socket_and_flushes_the_trace, single_setup,
                                        single_teardown),
        cmocka_unit_test_setup_teardown(sync_puts_the_trace_in_the_file_before_a_sigkill, single_setup,
                                        single_teardown),
        cmocka_unit_test_setup_teardown(a_missing_key_file_is_created_private_and_keeps_the_identity, single_setup,
                                        single_teardown),
        cmocka_unit_test_setup_teardown(at_exit_a_daemon_leaves_another_daemons_socket_at_its_path, pair_setup,
                                        pair_teardown),
        cmocka_unit_test(a_key_file_others_can_read_is_refused),
        cmocka_unit_test(a_fifo_as_the_key_file_is_refused_at_once_with_one_line),
        cmocka_unit_test(a_symlinked_trace_path_is_refused_and_its_target_untouched),
        cmocka_unit_test(a_fifo_as_the_trace_file_is_refused_at_once_with_one_line),
        cmocka_unit_test(bad_arguments_print_usage_and_exit_2),
        cmocka_unit_test(commands_on_a_pipe_answer_in_text_and_end_of_input_quits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
