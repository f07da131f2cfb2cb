/*
 * test_slots: a running swarmlab-node against slot exhaustion (issue 19,
 * defect 3), on loopback only. 600 TCP connections from one address that
 * never say a word (more than the node's 512 slots) must leave room for a
 * new peer from another address, which connects and exchanges messages.
 *
 * The silent sockets come from 127.0.0.2 (bound before connect) and the
 * well-behaved peer, a second daemon, from 127.0.0.1: a daemon cannot
 * choose its source address, and what matters is that the two differ.
 * The test holds 600 descriptors and raises its own RLIMIT_NOFILE within
 * the hard limit when it must; every socket is closed at the end.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "core/connmgr.h"

#define TOPIC "slots"
#define SILENT 600               /* more than CONNMGR_CONNECTIONS_MAX */
#define SILENT_SOURCE 0x7f000002 /* 127.0.0.2 */
#define FDS_NEEDED (SILENT + 64) /* the silent sockets, the harness, stdio */
#define ACCEPT_MS 3000
#define BATCH 32                 /* connects before a pause, well under the listen backlog of 128 */
#define BATCH_PAUSE_MS 20        /* lets the daemon accept the batch: a full accept queue drops
                                  * handshakes that the kernel retries only seconds later */

typedef struct slots_fixture {
    harness_daemon target, witness;
    int silent[SILENT];
} slots_fixture;

static int raise_fd_limit(void) {
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return -1;
    if (r.rlim_cur >= FDS_NEEDED) return 0;
    if (r.rlim_max < FDS_NEEDED) return -1;
    r.rlim_cur = FDS_NEEDED;
    return setrlimit(RLIMIT_NOFILE, &r);
}

/* A connection to 127.0.0.1:port from SILENT_SOURCE, non-blocking. */
static int open_silent(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(SILENT_SOURCE)};
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&from, sizeof from) == 0 &&
        (connect(fd, (struct sockaddr *)&to, sizeof to) == 0 || errno == EINPROGRESS))
        return fd;
    close(fd);
    return -1;
}

/* Whether the daemon closed fd: reads (and drops) what it sent. */
static bool closed_by_daemon(int fd) {
    char bytes[256];
    for (;;) {
        ssize_t n = recv(fd, bytes, sizeof bytes, MSG_DONTWAIT);
        if (n > 0) continue;
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }
}

static size_t count_open(const slots_fixture *f) {
    size_t open = 0;
    for (size_t i = 0; i < SILENT; i++) open += !closed_by_daemon(f->silent[i]);
    return open;
}

static int slots_teardown(void **state) {
    slots_fixture *f = *state;
    for (size_t i = 0; i < SILENT; i++)
        if (f->silent[i] >= 0) close(f->silent[i]);
    int target = harness_stop(&f->target), witness = harness_stop(&f->witness);
    free(f);
    *state = NULL;
    return target == 0 && witness == 0 ? 0 : -1;
}

static int slots_setup(void **state) {
    slots_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < SILENT; i++) f->silent[i] = -1;
    *state = f;
    harness_init(&f->target);
    harness_init(&f->witness);
    char reply[HARNESS_LINE_MAX];
    if (raise_fd_limit() == 0 && harness_start(&f->target, "target", NULL) == 0 &&
        harness_start(&f->witness, "witness", NULL) == 0 &&
        harness_command(&f->target, "sub " TOPIC, reply, sizeof reply) == 0 &&
        harness_command(&f->witness, "sub " TOPIC, reply, sizeof reply) == 0)
        return 0;
    (void)slots_teardown(state);
    return -1;
}

/* Publishes at from until to delivers text; 0 or -1. */
static int deliver(harness_daemon *from, harness_daemon *to, const char *text) {
    char command[HARNESS_LINE_MAX], reply[HARNESS_LINE_MAX], line[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "pub " TOPIC " %s", text);
    if (harness_command(from, command, reply, sizeof reply) != 0 || strstr(reply, "\"ok\":true") == NULL) return -1;
    return harness_next_event(to, "\"event\":\"message\"", text, line, sizeof line,
                              harness_now_ms() + HARNESS_DEADLINE_MS);
}

static void silent_connections_from_one_address_leave_room_for_a_peer_from_another(void **state) {
    slots_fixture *f = *state;
    for (size_t i = 0; i < SILENT; i++) {
        f->silent[i] = open_silent(f->target.port);
        assert_true(f->silent[i] >= 0);
        if (i % BATCH == BATCH - 1) harness_sleep_ms(BATCH_PAUSE_MS);
    }
    /* Every silent socket is accepted, then kept or closed, well within
     * ACCEPT_MS (and before the handshake deadline closes them all). */
    long deadline = harness_now_ms() + ACCEPT_MS;
    size_t open = SILENT;
    while (harness_now_ms() < deadline && (open = count_open(f)) > CONNMGR_PER_IP4_MAX) harness_sleep_ms(50);
    assert_int_equal(open, CONNMGR_PER_IP4_MAX);
    /* Well before the silent ones' 10 s handshake deadline: the peer from
     * the other address connects, and messages go both ways. */
    assert_int_equal(harness_connect(&f->witness, &f->target), 0);
    assert_int_equal(harness_wait_route(&f->target, &f->witness, TOPIC), 0);
    assert_int_equal(deliver(&f->witness, &f->target, "from the new peer"), 0);
    assert_int_equal(deliver(&f->target, &f->witness, "to the new peer"), 0);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(silent_connections_from_one_address_leave_room_for_a_peer_from_another,
                                        slots_setup, slots_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
