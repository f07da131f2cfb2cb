/*
 * test_sealed: encrypted topics on real sockets (docs/data.md "The swarm's
 * data: encrypted topics"). Three swarmlab-node daemons on loopback in a
 * line, member A - relay B - member C, all subscribed to one topic, A and
 * C with `sub TOPIC --key FILE`: what A publishes, C prints as plaintext,
 * while B, the only path between them, prints the envelope and never the
 * text. A key file others may read is refused as the identity's is. After
 * A adds key 2, C (key 1 only) drops A's messages and says why, until it
 * is handed key 2 too.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#define TOPIC "club"
#define CANARY "the canary sings at noon"

typedef struct sealed_fixture {
    harness_daemon member_a, relay, member_c;
    char key1[HARNESS_TEXT_MAX], key2[HARNESS_TEXT_MAX], loose[HARNESS_TEXT_MAX];
} sealed_fixture;

/* A topic key file: "ID HEX" with every key byte fill, at mode. */
static void write_key(const char *path, unsigned id, unsigned fill, mode_t mode) {
    char text[96];
    int n = snprintf(text, sizeof text, "%u ", id);
    for (int i = 0; i < 32; i++) n += snprintf(text + n, sizeof text - (size_t)n, "%02x", fill);
    n += snprintf(text + n, sizeof text - (size_t)n, "\n");
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, (size_t)n), n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static int sealed_teardown(void **state) {
    sealed_fixture *f = *state;
    int a = harness_stop(&f->member_a), b = harness_stop(&f->relay), c = harness_stop(&f->member_c);
    unlink(f->key1);
    unlink(f->key2);
    unlink(f->loose);
    free(f);
    return a == 0 && b == 0 && c == 0 ? 0 : -1;
}

static int sealed_setup(void **state) {
    sealed_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    harness_init(&f->member_a);
    harness_init(&f->relay);
    harness_init(&f->member_c);
    harness_path(f->key1, sizeof f->key1, "club-key-1", ".key");
    harness_path(f->key2, sizeof f->key2, "club-key-2", ".key");
    harness_path(f->loose, sizeof f->loose, "club-key-loose", ".key");
    write_key(f->key1, 1, 0x11, 0600);
    write_key(f->key2, 2, 0x22, 0600);
    write_key(f->loose, 1, 0x11, 0644);
    bool up = harness_start(&f->member_a, "sealed-a", NULL) == 0 && harness_start(&f->relay, "sealed-b", NULL) == 0 &&
              harness_start(&f->member_c, "sealed-c", NULL) == 0 && harness_connect(&f->relay, &f->member_a) == 0 &&
              harness_connect(&f->member_c, &f->relay) == 0;
    return up ? 0 : -1;
}

/* The reply of command at d, which must say ok (or, with !ok, not). */
static void expect_reply(harness_daemon *d, const char *command, bool ok, char *reply, size_t cap) {
    assert_int_equal(harness_command(d, command, reply, cap), 0);
    bool said_ok = strstr(reply, "\"ok\":true") != NULL;
    if (said_ok != ok) fail_msg("%s: %s", command, reply);
}

static void sub_with_key(harness_daemon *d, const char *key) {
    char command[HARNESS_LINE_MAX], reply[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "sub " TOPIC " --key %s", key);
    expect_reply(d, command, true, reply, sizeof reply);
}

static void the_relay_passes_ciphertext_and_the_far_member_prints_the_plaintext(void **state) {
    sealed_fixture *f = *state;
    char reply[HARNESS_LINE_MAX], line[HARNESS_LINE_MAX];
    /* A key file group or others may read is refused, with the fix. */
    char command[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "sub " TOPIC " --key %s", f->loose);
    expect_reply(&f->member_a, command, false, reply, sizeof reply);
    assert_non_null(strstr(reply, "chmod 600"));
    expect_reply(&f->member_a, "sub " TOPIC " --key", false, reply, sizeof reply);
    assert_non_null(strstr(reply, "usage: sub TOPIC [--key FILE]"));

    sub_with_key(&f->member_a, f->key1);
    expect_reply(&f->relay, "sub " TOPIC, true, reply, sizeof reply);
    sub_with_key(&f->member_c, f->key1);
    /* Sealed probes, unsealed at C ("probe-N" is what C prints). */
    assert_int_equal(harness_wait_route(&f->member_a, &f->member_c, TOPIC), 0);

    expect_reply(&f->member_a, "pub " TOPIC " " CANARY, true, reply, sizeof reply);
    assert_int_equal(harness_next_event(&f->member_c, CANARY, "\"event\":\"message\"", line, sizeof line,
                                        harness_now_ms() + HARNESS_DEADLINE_MS), 0);
    /* B relayed it: C's only path to A is B. B printed the envelope of
     * each probe and of the canary, and not one line of plaintext. */
    assert_int_equal(harness_next_event(&f->relay, "\"event\":\"message\"", TOPIC, line, sizeof line,
                                        harness_now_ms() + HARNESS_DEADLINE_MS), 0);
    assert_null(strstr(line, "probe-"));
    assert_true(harness_file_lines_with(f->relay.log, "message " TOPIC) >= 2);
    assert_int_equal(harness_file_lines_with(f->relay.log, "canary"), 0);
    assert_int_equal(harness_file_lines_with(f->relay.log, "probe-"), 0);
    assert_int_equal(harness_file_lines_with(f->member_c.log, CANARY), 1);

    /* Rotation: A adds key 2 and seals with it; C, with key 1 only,
     * drops the message and says why, and prints no message for it. */
    sub_with_key(&f->member_a, f->key2);
    expect_reply(&f->member_a, "pub " TOPIC " after the rotation", true, reply, sizeof reply);
    assert_int_equal(harness_next_event(&f->member_c, "sealed-drop", "unknown_key (1 dropped)", line, sizeof line,
                                        harness_now_ms() + HARNESS_DEADLINE_MS), 0);
    assert_int_equal(harness_file_lines_with(f->member_c.log, "after the rotation"), 0);
    /* Handed key 2, C reads the next one. */
    sub_with_key(&f->member_c, f->key2);
    expect_reply(&f->member_a, "pub " TOPIC " with both keys", true, reply, sizeof reply);
    assert_int_equal(harness_next_event(&f->member_c, "with both keys", "\"event\":\"message\"", line, sizeof line,
                                        harness_now_ms() + HARNESS_DEADLINE_MS), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_relay_passes_ciphertext_and_the_far_member_prints_the_plaintext,
                                        sealed_setup, sealed_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
