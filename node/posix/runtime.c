/*
 * runtime: the epoll event loop that gives one node real sockets, the
 * monotonic clock and the OS's entropy. See runtime.h.
 *
 * Every descriptor in the epoll set carries a tag in its event data: a
 * connection's id, a listener's index, or an application watch with its
 * generation. Connection ids carry a generation too, so that an event
 * fetched for a socket that was closed (and whose slot was reused) in the
 * same turn finds nothing instead of the wrong connection.
 *
 * Writes are batched: env->write appends to the connection's queue and
 * marks it dirty, and the loop sends every dirty queue once per turn, after
 * dispatching, so a node that emits many small frames in one handler costs
 * one send() per peer.
 */
#define _GNU_SOURCE
#include "runtime.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/time_units.h"
#include "wire/multiaddr.h"
#include "timer_table.h"

#define RT_SLOT_BITS 16 /* connection ids: generation << 16 | slot */
#define RT_SLOT_MASK ((1ull << RT_SLOT_BITS) - 1)
#define RT_TAG_SHIFT 62 /* epoll data: tag << 62 | value */
#define RT_VALUE_MASK ((1ull << RT_TAG_SHIFT) - 1)
#define RT_EVENTS_MAX 256       /* epoll events taken per turn */
#define RT_ACCEPTS_PER_TURN 64  /* then other descriptors get their turn */
#define RT_READS_PER_EVENT 4    /* the same fairness for one busy peer */
#define RT_TIMERS_PER_TURN 1024 /* timers fired per turn; the rest next turn */
#define RT_IDLE_CHECK_NS NS_PER_S
#define RT_QUEUE_KEEP_BYTES (64u * 1024u) /* a drained queue larger than this is freed */
#define RT_WATCH_SLOT_MASK 0xffffu /* watch tags: generation << 16 | slot */

enum { RT_TAG_CONN = 0, RT_TAG_LISTENER = 1, RT_TAG_WATCH = 2 };

_Static_assert(RUNTIME_CONNECTIONS_MAX <= RT_SLOT_MASK, "slots must fit the id's slot bits");

typedef struct rt_conn {
    int fd; /* -1: the slot is free */
    uint64_t id;
    bool connecting; /* a dial whose connect() has not completed */
    bool failed;     /* a write passed the queue's limit: every later write fails */
    bool dirty;      /* on the flush stack */
    uint32_t events; /* what epoll watches for now */
    uint8_t *queue;  /* bytes to send: [queue_start, queue_start + queue_len) */
    size_t queue_start, queue_len, queue_cap;
    uint64_t last_read_ns;
} rt_conn;

typedef struct rt_watch {
    int fd; /* -1: free */
    uint32_t generation;
    runtime_fd_fn fn;
    void *user;
    bool writable; /* RUNTIME_FD_WRITABLE asked for */
    bool paused;   /* a listening socket out of descriptors: see rt_pause */
} rt_watch;

typedef struct rt_listener {
    int fd;
    char address[MULTIADDR_TEXT_MAX];
    bool paused; /* out of descriptors: see rt_pause */
} rt_listener;

struct runtime {
    env env;
    store_db *store; /* runtime_set_store: the env's block storage; NULL: none */
    runtime_config config;
    runtime_handler handler;
    int epoll_fd;
    bool stopped;
    void (*turn_end)(void *user);
    void *turn_end_user;
    rt_conn conns[RUNTIME_CONNECTIONS_MAX];
    size_t conn_count;
    uint64_t generation;
    uint64_t dirty[RUNTIME_CONNECTIONS_MAX]; /* ids of connections with bytes to send */
    size_t dirty_count;
    size_t queued_total;
    timer_table timers;
    rt_listener listeners[RUNTIME_LISTENERS_MAX];
    size_t listener_count;
    rt_watch watches[RUNTIME_WATCHES_MAX];
    uint32_t watch_generation;
    uint64_t next_idle_check_ns;
    uint64_t resume_ns;   /* when paused listeners are watched again; 0: none is paused */
    bool descriptor_freed; /* since the pause: they are watched again at the end of the turn */
    uint8_t read_buf[RUNTIME_READ_CHUNK];
};

/* ---- time and randomness --------------------------------------------- */

static uint64_t rt_now(void) {
    struct timespec ts;
    int rc = clock_gettime(CLOCK_MONOTONIC, &ts);
    assert(rc == 0);
    (void)rc;
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t rt_env_now(void *ctx) {
    (void)ctx;
    return rt_now();
}

static uint64_t rt_env_unix_time(void *ctx) {
    (void)ctx;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void rt_env_random(void *ctx, uint8_t *out, size_t len) {
    (void)ctx;
    size_t done = 0;
    while (done < len) { /* getrandom returns at most 32 MiB per call */
        ssize_t n = getrandom(out + done, len - done, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            /* Keys without entropy would be guessable: never go on. */
            perror("swarmlab: getrandom");
            abort();
        }
        done += (size_t)n;
    }
}

static void rt_env_trace(void *ctx, const trace_event *event) {
    runtime *rt = ctx;
    if (rt->config.trace == NULL) return;
    trace_event stamped = *event;
    stamped.node_index = rt->config.node_index;
    rt->config.trace(rt->config.trace_user, &stamped);
}

/* ---- connections ------------------------------------------------------ */

static rt_conn *rt_find(runtime *rt, uint64_t id) {
    rt_conn *c = &rt->conns[id & RT_SLOT_MASK];
    if ((id & RT_SLOT_MASK) >= RUNTIME_CONNECTIONS_MAX || c->fd < 0 || c->id != id) return NULL;
    return c;
}

static void rt_set_nodelay(int fd) {
    int one = 1; /* libp2p frames are small and latency-bound: no Nagle */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Takes a free slot for fd; NULL when the table is full. */
static rt_conn *rt_conn_open(runtime *rt, int fd, bool connecting) {
    if (rt->conn_count == RUNTIME_CONNECTIONS_MAX) return NULL;
    rt_conn *c = NULL;
    for (size_t i = 0; i < RUNTIME_CONNECTIONS_MAX && c == NULL; i++)
        if (rt->conns[i].fd < 0) c = &rt->conns[i];
    assert(c != NULL);
    uint64_t slot = (uint64_t)(c - rt->conns);
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->id = (++rt->generation << RT_SLOT_BITS) | slot;
    c->connecting = connecting;
    c->events = connecting ? EPOLLOUT : EPOLLIN;
    c->last_read_ns = rt_now();
    struct epoll_event ev = {.events = c->events, .data.u64 = c->id};
    if (epoll_ctl(rt->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        c->fd = -1;
        return NULL;
    }
    rt_set_nodelay(fd);
    rt->conn_count++;
    return c;
}

static void rt_conn_release(runtime *rt, rt_conn *c) {
    assert(c->fd >= 0);
    if (c->dirty) {
        for (size_t i = 0; i < rt->dirty_count; i++) {
            if (rt->dirty[i] != c->id) continue;
            rt->dirty[i] = rt->dirty[--rt->dirty_count];
            break;
        }
    }
    close(c->fd); /* also takes it out of the epoll set */
    rt->descriptor_freed = true;
    assert(rt->queued_total >= c->queue_len);
    rt->queued_total -= c->queue_len;
    free(c->queue);
    memset(c, 0, sizeof *c);
    c->fd = -1;
    assert(rt->conn_count > 0);
    rt->conn_count--;
}

/* The peer closed, reset or failed: the node hears of it (from the loop). */
static void rt_conn_lost(runtime *rt, rt_conn *c) {
    uint64_t id = c->id;
    rt_conn_release(rt, c);
    rt->handler.on_closed(rt->handler.user, id);
}

static void rt_conn_update_events(runtime *rt, rt_conn *c) {
    uint32_t want = EPOLLOUT;
    if (!c->connecting) {
        want = c->queue_len < RUNTIME_WRITE_QUEUE_PAUSE ? EPOLLIN : 0;
        if (c->queue_len > 0) want |= EPOLLOUT;
    }
    if (want == c->events) return;
    struct epoll_event ev = {.events = want, .data.u64 = c->id};
    if (epoll_ctl(rt->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0) c->events = want;
}

/* Sends what the queue holds until the socket is full. */
static void rt_conn_flush(runtime *rt, rt_conn *c) {
    assert(!c->connecting);
    while (c->queue_len > 0) {
        ssize_t n = send(c->fd, c->queue + c->queue_start, c->queue_len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            rt_conn_lost(rt, c);
            return;
        }
        c->queue_start += (size_t)n;
        c->queue_len -= (size_t)n;
        rt->queued_total -= (size_t)n;
    }
    if (c->queue_len == 0) {
        c->queue_start = 0;
        if (c->queue_cap > RT_QUEUE_KEEP_BYTES) { /* a burst's memory goes back */
            free(c->queue);
            c->queue = NULL;
            c->queue_cap = 0;
        }
    }
    rt_conn_update_events(rt, c);
}

/* Sends every dirty queue. Flushing may lose a connection, whose close may
 * make the node write to others: the stack takes them, each at most once. */
static void rt_flush_dirty(runtime *rt) {
    while (rt->dirty_count > 0) {
        rt_conn *c = rt_find(rt, rt->dirty[--rt->dirty_count]);
        if (c == NULL) continue;
        c->dirty = false;
        if (!c->connecting) rt_conn_flush(rt, c);
    }
}

/* Room for len more bytes at the end of the queue; 0 or -1. */
static int rt_queue_reserve(rt_conn *c, size_t len) {
    if (c->queue_start + c->queue_len + len <= c->queue_cap) return 0;
    if (c->queue_start > 0) {
        memmove(c->queue, c->queue + c->queue_start, c->queue_len);
        c->queue_start = 0;
    }
    if (c->queue_len + len <= c->queue_cap) return 0;
    size_t cap = c->queue_cap > 0 ? c->queue_cap : 4096;
    while (cap < c->queue_len + len) cap *= 2;
    uint8_t *queue = realloc(c->queue, cap);
    if (queue == NULL) return -1;
    c->queue = queue;
    c->queue_cap = cap;
    return 0;
}

static int rt_env_write(void *ctx, uint64_t conn_id, const uint8_t *bytes, size_t len) {
    runtime *rt = ctx;
    rt_conn *c = rt_find(rt, conn_id);
    if (c == NULL || c->failed) return -1;
    size_t limit = rt->config.write_queue_max;
    /* A peer that does not read what we owe it is stalled or flooding us:
     * failing the write makes the node close it, and memory stays bounded. */
    if (len > limit - c->queue_len || len > RUNTIME_WRITE_QUEUE_TOTAL_MAX - rt->queued_total ||
        rt_queue_reserve(c, len) != 0) {
        c->failed = true;
        return -1;
    }
    memcpy(c->queue + c->queue_start + c->queue_len, bytes, len);
    c->queue_len += len;
    rt->queued_total += len;
    if (!c->dirty) {
        assert(rt->dirty_count < RUNTIME_CONNECTIONS_MAX);
        rt->dirty[rt->dirty_count++] = c->id;
        c->dirty = true;
    }
    return 0;
}

static void rt_env_close(void *ctx, uint64_t conn_id) {
    runtime *rt = ctx;
    rt_conn *c = rt_find(rt, conn_id);
    if (c == NULL) return;
    /* One try at the last words (a Go Away, a refusal), never a wait. */
    if (!c->connecting && c->queue_len > 0)
        (void)send(c->fd, c->queue + c->queue_start, c->queue_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    rt_conn_release(rt, c);
}

/* The peer's IPv4 address as the socket has it; 0 for anything else. */
static uint32_t rt_env_remote_ip4(void *ctx, uint64_t conn_id) {
    rt_conn *c = rt_find(ctx, conn_id);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (c == NULL || getpeername(c->fd, (struct sockaddr *)&sa, &len) != 0 || sa.sin_family != AF_INET) return 0;
    return ntohl(sa.sin_addr.s_addr);
}

static void rt_sockaddr(const multiaddr *ma, struct sockaddr_in *sa) {
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(ma->port);
    memcpy(&sa->sin_addr.s_addr, ma->ip4, sizeof ma->ip4);
}

static int rt_env_dial(void *ctx, const char *text, uint64_t *conn_id) {
    runtime *rt = ctx;
    multiaddr ma;
    if (multiaddr_parse(text, &ma) != 0 || rt->conn_count == RUNTIME_CONNECTIONS_MAX) return -1;
    struct sockaddr_in sa;
    rt_sockaddr(&ma, &sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    /* Even a connect that succeeds at once is reported from the loop: the
     * socket waits for EPOLLOUT like any other. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    rt_conn *c = rt_conn_open(rt, fd, true);
    if (c == NULL) {
        close(fd);
        return -1;
    }
    *conn_id = c->id;
    return 0;
}

/* ---- loop events for connections ------------------------------------- */

static void rt_conn_connected(runtime *rt, rt_conn *c) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
        rt_conn_lost(rt, c);
        return;
    }
    uint64_t id = c->id;
    c->connecting = false;
    c->last_read_ns = rt_now();
    rt->handler.on_connection(rt->handler.user, id, true);
    c = rt_find(rt, id);
    if (c != NULL) rt_conn_flush(rt, c); /* what the node wrote while we connected */
}

static void rt_conn_readable(runtime *rt, rt_conn *c) {
    uint64_t id = c->id;
    for (int i = 0; i < RT_READS_PER_EVENT; i++) {
        ssize_t n = recv(c->fd, rt->read_buf, sizeof rt->read_buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) { /* 0: the peer closed; < 0: reset or error */
            rt_conn_lost(rt, c);
            return;
        }
        c->last_read_ns = rt_now();
        rt->handler.on_bytes(rt->handler.user, id, rt->read_buf, (size_t)n);
        c = rt_find(rt, id);
        if (c == NULL || (size_t)n < sizeof rt->read_buf) return; /* gone, or drained */
    }
}

static void rt_conn_event(runtime *rt, uint64_t id, uint32_t events) {
    rt_conn *c = rt_find(rt, id);
    if (c == NULL) return; /* closed earlier in this turn */
    if (c->connecting) {
        rt_conn_connected(rt, c);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) rt_conn_readable(rt, c);
    c = rt_find(rt, id);
    if (c != NULL && (events & EPOLLOUT)) rt_conn_flush(rt, c);
}

/* ---- accepting, and pausing at the descriptor limit ------------------ */

/* Out of descriptors, accept() fails with EMFILE and leaves the connection
 * queued: the listening socket stays readable, and a level-triggered loop
 * would wake for it at once, every turn, and burn a core until a descriptor
 * frees up (issue 19). So a listening socket that meets the limit is taken
 * out of the loop (its epoll events cleared) and watched again once a
 * connection closes or after RUNTIME_ACCEPT_PAUSE_NS, whichever comes
 * first; meanwhile new connections wait in the kernel's backlog. nginx
 * does the same (it disables accept events for a while on EMFILE). */
static void rt_pause(runtime *rt, int fd, uint64_t tag, bool *paused) {
    struct epoll_event ev = {.events = 0, .data.u64 = tag};
    if (epoll_ctl(rt->epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0) return; /* then the next turn tries again */
    *paused = true;
    if (rt->resume_ns == 0) rt->resume_ns = rt_now() + RUNTIME_ACCEPT_PAUSE_NS;
    rt->descriptor_freed = false;
}

static uint64_t rt_listener_tag(const runtime *rt, const rt_listener *l) {
    return ((uint64_t)RT_TAG_LISTENER << RT_TAG_SHIFT) | (uint64_t)(l - rt->listeners);
}

static uint64_t rt_watch_tag(const runtime *rt, const rt_watch *w) {
    uint64_t slot = (uint64_t)(w - rt->watches);
    return ((uint64_t)RT_TAG_WATCH << RT_TAG_SHIFT) | ((uint64_t)w->generation << 16) | slot;
}

/* Watches fd again; false when epoll refused (it stays paused). */
static bool rt_resume(runtime *rt, int fd, uint32_t events, uint64_t tag, bool *paused) {
    struct epoll_event ev = {.events = events, .data.u64 = tag};
    if (epoll_ctl(rt->epoll_fd, EPOLL_CTL_MOD, fd, &ev) == 0) *paused = false;
    return !*paused;
}

/* At the end of a turn: the paused sockets are watched again once their
 * pause is over or a descriptor was freed. One that still finds none is
 * paused again by its next accept. */
static void rt_resume_due(runtime *rt, uint64_t now) {
    if (rt->resume_ns == 0 || (now < rt->resume_ns && !rt->descriptor_freed)) return;
    bool all = true;
    for (size_t i = 0; i < rt->listener_count; i++) {
        rt_listener *l = &rt->listeners[i];
        if (l->paused) all &= rt_resume(rt, l->fd, EPOLLIN, rt_listener_tag(rt, l), &l->paused);
    }
    for (size_t i = 0; i < RUNTIME_WATCHES_MAX; i++) {
        rt_watch *w = &rt->watches[i];
        uint32_t events = EPOLLIN | (w->writable ? EPOLLOUT : 0u);
        if (w->fd >= 0 && w->paused) all &= rt_resume(rt, w->fd, events, rt_watch_tag(rt, w), &w->paused);
    }
    rt->resume_ns = all ? 0 : now + RUNTIME_ACCEPT_PAUSE_NS; /* epoll refused: try again later */
}

typedef enum { RT_ACCEPT_OK, RT_ACCEPT_EMPTY, RT_ACCEPT_RETRY, RT_ACCEPT_EXHAUSTED } rt_accept_result;

/* One accept4 on a listening socket. Linux passes a queued connection's
 * network error up through accept (accept(2)): that one is lost, the next
 * may be fine (RT_ACCEPT_RETRY). Out of descriptors or kernel memory, the
 * connection stays queued (RT_ACCEPT_EXHAUSTED): the caller pauses. */
static rt_accept_result rt_accept_one(int listen_fd, int *fd) {
    *fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (*fd >= 0) return RT_ACCEPT_OK;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return RT_ACCEPT_EMPTY;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) return RT_ACCEPT_EXHAUSTED;
    return RT_ACCEPT_RETRY;
}

int runtime_accept(runtime *rt, int listen_fd) {
    rt_watch *w = NULL;
    for (size_t i = 0; i < RUNTIME_WATCHES_MAX && w == NULL; i++)
        if (rt->watches[i].fd == listen_fd) w = &rt->watches[i];
    assert(w != NULL);
    for (int i = 0; i < RT_ACCEPTS_PER_TURN && !w->paused; i++) {
        int fd;
        rt_accept_result result = rt_accept_one(listen_fd, &fd);
        if (result == RT_ACCEPT_OK) return fd;
        if (result == RT_ACCEPT_EMPTY) return -1;
        if (result == RT_ACCEPT_EXHAUSTED) rt_pause(rt, w->fd, rt_watch_tag(rt, w), &w->paused);
    }
    return -1;
}

static void rt_accept(runtime *rt, rt_listener *l) {
    for (int i = 0; i < RT_ACCEPTS_PER_TURN && !l->paused; i++) {
        int fd;
        rt_accept_result result = rt_accept_one(l->fd, &fd);
        if (result == RT_ACCEPT_EMPTY) return;
        if (result == RT_ACCEPT_EXHAUSTED) rt_pause(rt, l->fd, rt_listener_tag(rt, l), &l->paused);
        if (result != RT_ACCEPT_OK) continue;
        rt_conn *c = rt_conn_open(rt, fd, false);
        if (c == NULL) { /* beyond the connection limit */
            close(fd);
            continue;
        }
        rt->handler.on_connection(rt->handler.user, c->id, false);
    }
}

/* Connections that sent nothing for the idle timeout are dropped, so that
 * silent peers cannot hold the connection slots forever. */
static void rt_check_idle(runtime *rt, uint64_t now) {
    if (now < rt->next_idle_check_ns) return;
    rt->next_idle_check_ns = now + RT_IDLE_CHECK_NS;
    for (size_t i = 0; i < RUNTIME_CONNECTIONS_MAX; i++) {
        rt_conn *c = &rt->conns[i];
        if (c->fd < 0 || c->connecting || c->last_read_ns > now) continue; /* opened after now */
        if (now - c->last_read_ns >= rt->config.idle_timeout_ns) rt_conn_lost(rt, c);
    }
}

/* ---- timers ----------------------------------------------------------- */

static void rt_env_timer_set(void *ctx, uint64_t timer_id, uint64_t deadline_ns) {
    timer_table_set(&((runtime *)ctx)->timers, timer_id, deadline_ns);
}

static void rt_env_timer_cancel(void *ctx, uint64_t timer_id) {
    timer_table_cancel(&((runtime *)ctx)->timers, timer_id);
}

/* Fires the due timers in deadline order; a handler may arm or cancel
 * others, so each round looks again. */
static void rt_fire_timers(runtime *rt, uint64_t now) {
    uint64_t id;
    for (int fired = 0; fired < RT_TIMERS_PER_TURN && timer_table_pop_due(&rt->timers, now, &id); fired++)
        rt->handler.on_timer(rt->handler.user, id);
}

/* epoll_wait's timeout: the caller's bound, the next timer, the idle
 * check, the end of an accept pause. */
static int rt_wait_ms(const runtime *rt, int timeout_ms, uint64_t now) {
    uint64_t deadline = rt->next_idle_check_ns, timer_deadline;
    if (timer_table_next(&rt->timers, &timer_deadline) && timer_deadline < deadline) deadline = timer_deadline;
    if (rt->resume_ns != 0 && rt->resume_ns < deadline) deadline = rt->resume_ns;
    uint64_t wait_ns = deadline > now ? deadline - now : 0;
    uint64_t wait_ms = (wait_ns + NS_PER_MS - 1) / NS_PER_MS; /* never wake early */
    if (timeout_ms >= 0 && (uint64_t)timeout_ms < wait_ms) wait_ms = (uint64_t)timeout_ms;
    return (int)wait_ms; /* at most RT_IDLE_CHECK_NS away */
}

/* ---- listeners and watches -------------------------------------------- */

int runtime_listen(runtime *rt, const char *text, char *actual, size_t cap) {
    multiaddr ma;
    if (multiaddr_parse(text, &ma) != 0 || rt->listener_count == RUNTIME_LISTENERS_MAX) return -1;
    struct sockaddr_in sa;
    rt_sockaddr(&ma, &sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    socklen_t len = sizeof sa;
    rt_listener *l = &rt->listeners[rt->listener_count];
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = rt_listener_tag(rt, l)};
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, RUNTIME_LISTEN_BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0 ||
        epoll_ctl(rt->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        return -1;
    }
    ma.port = ntohs(sa.sin_port); /* the port the kernel chose for port 0 */
    ma.has_peer = false;
    if (multiaddr_format(&ma, l->address, sizeof l->address) != 0) {
        close(fd);
        return -1;
    }
    l->fd = fd;
    rt->listener_count++;
    if (actual != NULL) snprintf(actual, cap, "%s", l->address);
    return 0;
}

/* The node's listen: an address already bound (runtime_listen then
 * node_listen with the actual address) is accepted as it is. */
static int rt_env_listen(void *ctx, const char *text) {
    runtime *rt = ctx;
    for (size_t i = 0; i < rt->listener_count; i++)
        if (strcmp(rt->listeners[i].address, text) == 0) return 0;
    return runtime_listen(rt, text, NULL, 0);
}

size_t runtime_listen_count(const runtime *rt) { return rt->listener_count; }

const char *runtime_listen_address(const runtime *rt, size_t i) {
    assert(i < rt->listener_count);
    return rt->listeners[i].address;
}

int runtime_watch_fd(runtime *rt, int fd, runtime_fd_fn fn, void *user) {
    assert(fd >= 0);
    assert(fn != NULL);
    for (size_t i = 0; i < RUNTIME_WATCHES_MAX; i++) {
        rt_watch *w = &rt->watches[i];
        if (w->fd >= 0) continue;
        *w = (rt_watch){.fd = fd, .generation = ++rt->watch_generation, .fn = fn, .user = user};
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = rt_watch_tag(rt, w)};
        if (epoll_ctl(rt->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0) return 0;
        w->fd = -1;
        return -1;
    }
    return -1;
}

int runtime_watch_writable(runtime *rt, int fd, bool on) {
    for (size_t i = 0; i < RUNTIME_WATCHES_MAX; i++) {
        rt_watch *w = &rt->watches[i];
        if (w->fd != fd) continue;
        w->writable = on;
        uint32_t events = (w->paused ? 0u : EPOLLIN) | (on ? EPOLLOUT : 0u);
        struct epoll_event ev = {.events = events, .data.u64 = rt_watch_tag(rt, w)};
        return epoll_ctl(rt->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
    }
    return -1;
}

void runtime_unwatch_fd(runtime *rt, int fd) {
    for (size_t i = 0; i < RUNTIME_WATCHES_MAX; i++) {
        if (rt->watches[i].fd != fd) continue;
        (void)epoll_ctl(rt->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        rt->watches[i].fd = -1;
        rt->descriptor_freed = true; /* the application closes it next */
        return;
    }
}

static void rt_watch_event(runtime *rt, uint64_t value, uint32_t events) {
    rt_watch *w = &rt->watches[value & RT_WATCH_SLOT_MASK];
    if (w->fd < 0 || w->generation != (uint32_t)(value >> 16)) return; /* unwatched this turn */
    if (w->paused) return; /* an error or hang-up epoll reports even so */
    uint32_t ready = (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ? RUNTIME_FD_READABLE : 0u;
    if (events & EPOLLOUT) ready |= RUNTIME_FD_WRITABLE;
    w->fn(w->user, w->fd, ready);
}

/* ---- the loop --------------------------------------------------------- */

int runtime_poll(runtime *rt, int timeout_ms) {
    assert(rt->handler.on_bytes != NULL);
    rt_flush_dirty(rt); /* what the application wrote between turns */
    struct epoll_event events[RT_EVENTS_MAX];
    int n = epoll_wait(rt->epoll_fd, events, RT_EVENTS_MAX, rt_wait_ms(rt, timeout_ms, rt_now()));
    if (n < 0 && errno != EINTR) return -1;
    for (int i = 0; i < n; i++) {
        uint64_t tag = events[i].data.u64 >> RT_TAG_SHIFT;
        uint64_t value = events[i].data.u64 & RT_VALUE_MASK;
        if (tag == RT_TAG_CONN) rt_conn_event(rt, value, events[i].events);
        if (tag == RT_TAG_LISTENER) rt_accept(rt, &rt->listeners[value]);
        if (tag == RT_TAG_WATCH) rt_watch_event(rt, value, events[i].events);
    }
    uint64_t now = rt_now();
    rt_fire_timers(rt, now);
    rt_check_idle(rt, now);
    rt_resume_due(rt, now);
    if (rt->turn_end != NULL) rt->turn_end(rt->turn_end_user);
    rt_flush_dirty(rt);
    return 0;
}

void runtime_set_turn_end(runtime *rt, void (*fn)(void *user), void *user) {
    rt->turn_end = fn;
    rt->turn_end_user = user;
}

int runtime_run(runtime *rt) {
    while (!rt->stopped)
        if (runtime_poll(rt, -1) != 0) return -1;
    return 0;
}

void runtime_stop(runtime *rt) { rt->stopped = true; }

size_t runtime_connection_count(const runtime *rt) { return rt->conn_count; }

/* ---- lifecycle -------------------------------------------------------- */

static void rt_node_connection(void *user, uint64_t id, bool outbound) { node_on_connection(user, id, outbound); }
static void rt_node_bytes(void *user, uint64_t id, const uint8_t *b, size_t len) { node_on_bytes(user, id, b, len); }
static void rt_node_closed(void *user, uint64_t id) { node_on_closed(user, id); }
static void rt_node_timer(void *user, uint64_t id) { node_on_timer(user, id); }

void runtime_attach_node(runtime *rt, node *n) {
    runtime_handler handler = {.user = n, .on_connection = rt_node_connection, .on_bytes = rt_node_bytes,
                               .on_closed = rt_node_closed, .on_timer = rt_node_timer};
    runtime_set_handler(rt, &handler);
}

void runtime_set_handler(runtime *rt, const runtime_handler *handler) {
    assert(handler->on_connection != NULL && handler->on_bytes != NULL);
    assert(handler->on_closed != NULL && handler->on_timer != NULL);
    rt->handler = *handler;
}

const env *runtime_env(runtime *rt) { return &rt->env; }

/* ---- block storage: the env's store_* ops on store_db ------------------ */

static int rt_env_store_put(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *val, size_t len) {
    runtime *rt = ctx;
    return store_db_put(rt->store, key, key_len, val, len);
}

static int rt_env_store_get(void *ctx, const uint8_t *key, size_t key_len, buf *out) {
    runtime *rt = ctx;
    return store_db_get(rt->store, key, key_len, out);
}

static int rt_env_store_has(void *ctx, const uint8_t *key, size_t key_len) {
    runtime *rt = ctx;
    return store_db_has(rt->store, key, key_len);
}

static int rt_env_store_delete(void *ctx, const uint8_t *key, size_t key_len) {
    runtime *rt = ctx;
    return store_db_del(rt->store, key, key_len) < 0 ? -1 : 0;
}

/* store_db_put returns once its commit is on disk, so every put the node
 * made is durable already: nothing is left for sync to do (the WAL is
 * folded back by SQLite's own checkpoints and at close). */
static int rt_env_store_sync(void *ctx) {
    (void)ctx;
    return 0;
}

void runtime_set_store(runtime *rt, store_db *db) {
    rt->store = db;
    bool on = db != NULL;
    rt->env.store_put = on ? rt_env_store_put : NULL;
    rt->env.store_get = on ? rt_env_store_get : NULL;
    rt->env.store_has = on ? rt_env_store_has : NULL;
    rt->env.store_delete = on ? rt_env_store_delete : NULL;
    rt->env.store_sync = on ? rt_env_store_sync : NULL;
}

runtime *runtime_create(const runtime_config *config) {
    if (sodium_init() < 0) return NULL; /* the node's crypto needs it */
    runtime *rt = calloc(1, sizeof *rt);
    if (rt == NULL) return NULL;
    if (config != NULL) rt->config = *config;
    if (rt->config.idle_timeout_ns == 0) rt->config.idle_timeout_ns = RUNTIME_IDLE_TIMEOUT_NS;
    if (rt->config.write_queue_max == 0) rt->config.write_queue_max = RUNTIME_WRITE_QUEUE_MAX;
    rt->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (rt->epoll_fd < 0) {
        free(rt);
        return NULL;
    }
    for (size_t i = 0; i < RUNTIME_CONNECTIONS_MAX; i++) rt->conns[i].fd = -1;
    for (size_t i = 0; i < RUNTIME_WATCHES_MAX; i++) rt->watches[i].fd = -1;
    rt->next_idle_check_ns = rt_now() + RT_IDLE_CHECK_NS;
    rt->env = (env){.ctx = rt, .now_ns = rt_env_now, .unix_time_ns = rt_env_unix_time, .timer_set = rt_env_timer_set,
                    .timer_cancel = rt_env_timer_cancel, .listen = rt_env_listen, .dial = rt_env_dial,
                    .write = rt_env_write, .close = rt_env_close, .random = rt_env_random,
                    .remote_ip4 = rt_env_remote_ip4,
                    .trace = rt_env_trace};
    return rt;
}

void runtime_destroy(runtime *rt) {
    if (rt == NULL) return;
    for (size_t i = 0; i < RUNTIME_CONNECTIONS_MAX; i++)
        if (rt->conns[i].fd >= 0) rt_conn_release(rt, &rt->conns[i]);
    for (size_t i = 0; i < rt->listener_count; i++) close(rt->listeners[i].fd);
    close(rt->epoll_fd);
    free(rt);
}
