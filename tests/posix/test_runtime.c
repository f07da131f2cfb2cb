/*
 * test_runtime: the epoll runtime's side of the seam, with a recorder in
 * place of the node. What node.h asks of a runtime: dial, write and close
 * never call back synchronously; a dial is reported from the loop, as a
 * connection or as a close; bytes written before the connect completes
 * arrive, in order. And what the runtime promises itself: timers in
 * deadline order, cancel, port 0, back-pressure with a bounded write queue,
 * the idle timeout, the connection limit, application descriptors.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/resource.h>

#include "wire/multiaddr.h"
#include "posix/runtime.h"

#define RECORD_EVENTS_MAX 2048
#define RECORD_BYTES_MAX 4096
#define POLL_MS 10

typedef enum { REC_CONNECTION, REC_BYTES, REC_CLOSED, REC_TIMER } rec_kind;

typedef struct rec_event {
    rec_kind kind;
    uint64_t id; /* connection or timer */
    bool outbound;
} rec_event;

typedef struct recorder {
    runtime *rt;
    const env *env;
    rec_event events[RECORD_EVENTS_MAX];
    size_t count;
    uint8_t bytes[RECORD_BYTES_MAX]; /* everything received, on any connection */
    size_t bytes_len;
    char address[MULTIADDR_TEXT_MAX];
} recorder;

static void record(recorder *r, rec_kind kind, uint64_t id, bool outbound) {
    assert_true(r->count < RECORD_EVENTS_MAX);
    r->events[r->count++] = (rec_event){.kind = kind, .id = id, .outbound = outbound};
}

static void rec_connection(void *user, uint64_t id, bool outbound) { record(user, REC_CONNECTION, id, outbound); }
static void rec_closed(void *user, uint64_t id) { record(user, REC_CLOSED, id, false); }
static void rec_timer(void *user, uint64_t id) { record(user, REC_TIMER, id, false); }
static void rec_bytes(void *user, uint64_t id, const uint8_t *bytes, size_t len) {
    recorder *r = user;
    record(r, REC_BYTES, id, false);
    size_t room = sizeof r->bytes - r->bytes_len;
    size_t n = len < room ? len : room;
    memcpy(r->bytes + r->bytes_len, bytes, n);
    r->bytes_len += n;
}

static const rec_event *find_event(const recorder *r, rec_kind kind, bool match_id, uint64_t id) {
    for (size_t i = 0; i < r->count; i++)
        if (r->events[i].kind == kind && (!match_id || r->events[i].id == id)) return &r->events[i];
    return NULL;
}

/* Turns the loop until an event of kind (and id) was recorded; 0 or -1. */
static int poll_until(recorder *r, rec_kind kind, bool match_id, uint64_t id) {
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (find_event(r, kind, match_id, id) == NULL) {
        if (harness_now_ms() > deadline) return -1;
        assert_int_equal(runtime_poll(r->rt, POLL_MS), 0);
    }
    return 0;
}

static int recorder_open(void **state, const runtime_config *config) {
    recorder *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->rt = runtime_create(config);
    assert_non_null(r->rt);
    r->env = runtime_env(r->rt);
    runtime_handler handler = {.user = r, .on_connection = rec_connection, .on_bytes = rec_bytes,
                               .on_closed = rec_closed, .on_timer = rec_timer};
    runtime_set_handler(r->rt, &handler);
    assert_int_equal(runtime_listen(r->rt, "/ip4/127.0.0.1/tcp/0", r->address, sizeof r->address), 0);
    *state = r;
    return 0;
}

static int setup(void **state) { return recorder_open(state, NULL); }

static int teardown(void **state) {
    recorder *r = *state;
    runtime_destroy(r->rt);
    free(r);
    return 0;
}

static int listen_port(const recorder *r) {
    const char *tcp = strstr(r->address, "/tcp/");
    return tcp != NULL ? atoi(tcp + strlen("/tcp/")) : 0;
}

/* A plain blocking TCP client of the runtime's listener. */
static int client_connect(int port) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
    if (fd >= 0) close(fd);
    return -1;
}

/* The id of the first accepted (inbound) connection, after turning the
 * loop until there is one; 0 at the deadline. */
static uint64_t wait_accepted(recorder *r) {
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (harness_now_ms() < deadline) {
        for (size_t i = 0; i < r->count; i++)
            if (r->events[i].kind == REC_CONNECTION && !r->events[i].outbound) return r->events[i].id;
        assert_int_equal(runtime_poll(r->rt, POLL_MS), 0);
    }
    return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void listening_on_port_0_reports_the_port_the_kernel_chose(void **state) {
    recorder *r = *state;
    assert_int_equal(runtime_listen_count(r->rt), 1);
    assert_string_equal(runtime_listen_address(r->rt, 0), r->address);
    assert_true(listen_port(r) > 0);
    assert_null(strstr(r->address, "/tcp/0"));
    /* The node's own listen of the bound address is accepted as it is. */
    assert_int_equal(r->env->listen(r->env->ctx, r->address), 0);
    assert_int_equal(runtime_listen_count(r->rt), 1);
}

static void a_dial_is_reported_from_the_loop_never_inside_dial(void **state) {
    recorder *r = *state;
    uint64_t id;
    assert_int_equal(r->env->dial(r->env->ctx, r->address, &id), 0);
    assert_int_equal(r->count, 0);
    assert_int_equal(poll_until(r, REC_CONNECTION, true, id), 0);
    assert_true(find_event(r, REC_CONNECTION, true, id)->outbound);
    assert_int_not_equal(wait_accepted(r), 0); /* the other end */
}

static void bytes_written_before_the_connect_completes_arrive_in_order(void **state) {
    recorder *r = *state;
    uint64_t id;
    assert_int_equal(r->env->dial(r->env->ctx, r->address, &id), 0);
    assert_int_equal(r->env->write(r->env->ctx, id, (const uint8_t *)"early ", 6), 0);
    assert_int_equal(r->env->write(r->env->ctx, id, (const uint8_t *)"bytes", 5), 0);
    assert_int_equal(r->count, 0);
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (r->bytes_len < 11 && harness_now_ms() < deadline) assert_int_equal(runtime_poll(r->rt, POLL_MS), 0);
    assert_int_equal(r->bytes_len, 11);
    assert_memory_equal(r->bytes, "early bytes", 11);
}

static void a_dial_to_a_closed_port_is_reported_closed_from_the_loop(void **state) {
    recorder *r = *state;
    int probe = socket(AF_INET, SOCK_STREAM, 0); /* a port that was free a moment ago */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(probe, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(probe, (struct sockaddr *)&sa, &len), 0);
    close(probe);
    char address[MULTIADDR_TEXT_MAX];
    snprintf(address, sizeof address, "/ip4/127.0.0.1/tcp/%d", ntohs(sa.sin_port));
    uint64_t id;
    if (r->env->dial(r->env->ctx, address, &id) != 0) return; /* refused at once: also allowed */
    assert_int_equal(r->count, 0);
    assert_int_equal(poll_until(r, REC_CLOSED, true, id), 0);
    assert_null(find_event(r, REC_CONNECTION, true, id));
    assert_int_equal(r->env->write(r->env->ctx, id, (const uint8_t *)"x", 1), -1);
}

static void a_close_by_the_node_reaches_the_peer_and_is_not_reported_back(void **state) {
    recorder *r = *state;
    uint64_t id;
    assert_int_equal(r->env->dial(r->env->ctx, r->address, &id), 0);
    assert_int_equal(poll_until(r, REC_CONNECTION, true, id), 0);
    uint64_t inbound = wait_accepted(r);
    assert_int_not_equal(inbound, 0);
    r->env->close(r->env->ctx, id);
    assert_int_equal(runtime_connection_count(r->rt), 1);
    assert_int_equal(poll_until(r, REC_CLOSED, true, inbound), 0);
    assert_null(find_event(r, REC_CLOSED, true, id));
    assert_int_equal(runtime_connection_count(r->rt), 0);
}

static void timers_fire_in_deadline_order_and_a_cancelled_one_never(void **state) {
    recorder *r = *state;
    uint64_t now = r->env->now_ns(r->env->ctx);
    const uint64_t ms = 1000000;
    r->env->timer_set(r->env->ctx, 1, now + 30 * ms);
    r->env->timer_set(r->env->ctx, 2, now + 10 * ms);
    r->env->timer_set(r->env->ctx, 3, now + 20 * ms);
    r->env->timer_set(r->env->ctx, 4, now + 5 * ms);
    r->env->timer_set(r->env->ctx, 4, now + 40 * ms); /* re-armed later */
    r->env->timer_cancel(r->env->ctx, 3);
    assert_int_equal(poll_until(r, REC_TIMER, true, 4), 0);
    assert_true(r->env->now_ns(r->env->ctx) >= now + 40 * ms);
    assert_int_equal(r->count, 3);
    assert_int_equal(r->events[0].id, 2);
    assert_int_equal(r->events[1].id, 1);
    assert_int_equal(r->events[2].id, 4);
}

static void a_peer_that_does_not_read_is_cut_off_at_the_queue_limit(void **state) {
    recorder *r = *state;
    int client = client_connect(listen_port(r)); /* it never reads */
    assert_true(client >= 0);
    uint64_t id = wait_accepted(r);
    assert_int_not_equal(id, 0);
    static uint8_t chunk[64 * 1024];
    int rc = 0;
    /* The kernel's buffers fill first, then the queue, to its bound. */
    size_t written = 0;
    while (rc == 0 && written < 4 * RUNTIME_WRITE_QUEUE_MAX + (64u << 20)) {
        rc = r->env->write(r->env->ctx, id, chunk, sizeof chunk);
        written += sizeof chunk;
        assert_int_equal(runtime_poll(r->rt, 0), 0);
    }
    assert_int_equal(rc, -1);
    assert_int_equal(r->env->write(r->env->ctx, id, chunk, 1), -1); /* and it stays failed */
    r->env->close(r->env->ctx, id);
    close(client);
}

static void a_connection_that_sends_nothing_is_dropped_after_the_idle_timeout(void **state) {
    runtime_config config = {.idle_timeout_ns = 100 * 1000000ull};
    recorder_open(state, &config);
    recorder *r = *state;
    int client = client_connect(listen_port(r));
    assert_true(client >= 0);
    uint64_t id = wait_accepted(r);
    assert_int_not_equal(id, 0);
    assert_int_equal(poll_until(r, REC_CLOSED, true, id), 0);
    char byte;
    assert_int_equal(recv(client, &byte, 1, 0), 0); /* the peer sees the close */
    close(client);
}

static void a_connection_beyond_the_limit_is_closed_at_once(void **state) {
    recorder *r = *state;
    static int clients[RUNTIME_CONNECTIONS_MAX];
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < 3 * RUNTIME_CONNECTIONS_MAX) skip(); /* both ends live in this process */
    size_t accepted = 0;
    for (size_t i = 0; i < RUNTIME_CONNECTIONS_MAX; i++) {
        clients[i] = client_connect(listen_port(r));
        assert_true(clients[i] >= 0);
        assert_int_equal(runtime_poll(r->rt, 0), 0);
    }
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (runtime_connection_count(r->rt) < RUNTIME_CONNECTIONS_MAX && harness_now_ms() < deadline)
        assert_int_equal(runtime_poll(r->rt, POLL_MS), 0);
    for (size_t i = 0; i < r->count; i++) accepted += r->events[i].kind == REC_CONNECTION;
    assert_int_equal(accepted, RUNTIME_CONNECTIONS_MAX);
    int extra = client_connect(listen_port(r));
    assert_true(extra >= 0);
    char byte;
    struct pollfd p = {.fd = extra, .events = POLLIN};
    while (poll(&p, 1, 0) == 0 && harness_now_ms() < deadline) assert_int_equal(runtime_poll(r->rt, POLL_MS), 0);
    assert_true(recv(extra, &byte, 1, 0) <= 0); /* closed, never served */
    assert_int_equal(runtime_connection_count(r->rt), RUNTIME_CONNECTIONS_MAX);
    close(extra);
    for (size_t i = 0; i < RUNTIME_CONNECTIONS_MAX; i++) close(clients[i]);
}

static int pipe_calls;
static void on_pipe(void *user, int fd, uint32_t events) {
    (void)user;
    char byte;
    assert_true(events & RUNTIME_FD_READABLE);
    assert_int_equal(read(fd, &byte, 1), 1);
    pipe_calls++;
}

static void a_watched_descriptor_is_called_back_when_readable(void **state) {
    recorder *r = *state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pipe_calls = 0;
    assert_int_equal(runtime_watch_fd(r->rt, fds[0], on_pipe, NULL), 0);
    assert_int_equal(runtime_poll(r->rt, 0), 0);
    assert_int_equal(pipe_calls, 0);
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(runtime_poll(r->rt, HARNESS_DEADLINE_MS), 0);
    assert_int_equal(pipe_calls, 1);
    runtime_unwatch_fd(r->rt, fds[0]);
    assert_int_equal(write(fds[1], "y", 1), 1);
    assert_int_equal(runtime_poll(r->rt, 0), 0);
    assert_int_equal(pipe_calls, 1);
    close(fds[0]);
    close(fds[1]);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(listening_on_port_0_reports_the_port_the_kernel_chose, setup, teardown),
        cmocka_unit_test_setup_teardown(a_dial_is_reported_from_the_loop_never_inside_dial, setup, teardown),
        cmocka_unit_test_setup_teardown(bytes_written_before_the_connect_completes_arrive_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(a_dial_to_a_closed_port_is_reported_closed_from_the_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(a_close_by_the_node_reaches_the_peer_and_is_not_reported_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(timers_fire_in_deadline_order_and_a_cancelled_one_never, setup, teardown),
        cmocka_unit_test_setup_teardown(a_peer_that_does_not_read_is_cut_off_at_the_queue_limit, setup, teardown),
        cmocka_unit_test_teardown(a_connection_that_sends_nothing_is_dropped_after_the_idle_timeout, teardown),
        cmocka_unit_test_setup_teardown(a_connection_beyond_the_limit_is_closed_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(a_watched_descriptor_is_called_back_when_readable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
