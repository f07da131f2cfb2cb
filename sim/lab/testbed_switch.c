/* testbed_switch: a user-space switch with per-pair delays. See testbed_switch.h. */
#define _GNU_SOURCE
#include "testbed_switch.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "random/rng.h"

#define SWITCH_READS_PER_TURN 64 /* per host, so one busy host cannot starve the rest */
#define SWITCH_IDLE_NS 100000000ull

typedef struct packet {
    uint64_t due_ns, order;
    uint32_t to;
    uint16_t len;
    bool downlink; /* arrived: now waiting for the receiver's downlink */
    uint8_t *data;
} packet;

typedef struct heap {
    packet *items;
    size_t count, cap;
    uint64_t bytes;
} heap;

static bool before(const packet *a, const packet *b) {
    return a->due_ns != b->due_ns ? a->due_ns < b->due_ns : a->order < b->order;
}

static void heap_push(heap *h, packet p) {
    size_t i = h->count++;
    h->items[i] = p;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&h->items[i], &h->items[parent])) break;
        packet t = h->items[i];
        h->items[i] = h->items[parent];
        h->items[parent] = t;
        i = parent;
    }
}

static packet heap_pop(heap *h) {
    packet top = h->items[0];
    h->items[0] = h->items[--h->count];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->count && before(&h->items[l], &h->items[m])) m = l;
        if (r < h->count && before(&h->items[r], &h->items[m])) m = r;
        if (m == i) break;
        packet t = h->items[i];
        h->items[i] = h->items[m];
        h->items[m] = t;
        i = m;
    }
    return top;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t serialise_ns(size_t len, uint64_t bps) {
    return bps == 0 ? 0 : (uint64_t)((double)len * 8.0 * 1e9 / (double)bps + 0.5);
}

/* The host an IPv4 destination names; UINT32_MAX when none. */
static uint32_t host_of(const uint8_t *ip, uint32_t count) {
    if (ip[0] != 10 || ip[1] != 77) return UINT32_MAX;
    uint32_t n = ((uint32_t)ip[2] << 8) | ip[3];
    return n >= 1 && n <= count ? n - 1 : UINT32_MAX;
}

/* A partition in force at time t (ns since t0) separates from and to. */
static bool cut(const testbed_switch_config *c, uint64_t t, uint32_t from, uint32_t to) {
    size_t n = c->host_count;
    for (size_t p = 0; p < c->partition_count; p++)
        if (t >= c->partition_at_ns[p] && t < c->partition_until_ns[p] &&
            c->partition_group[p * n + from] != c->partition_group[p * n + to])
            return true;
    return false;
}

int testbed_switch_run(const testbed_switch_config *c) {
    uint32_t n = c->host_count;
    struct pollfd *fds = calloc(n, sizeof *fds);
    uint64_t *up_free = calloc(n, sizeof *up_free), *down_free = calloc(n, sizeof *down_free);
    heap h = {.items = malloc(TESTBED_SWITCH_QUEUE_MAX * sizeof(packet)), .cap = TESTBED_SWITCH_QUEUE_MAX};
    if (fds == NULL || up_free == NULL || down_free == NULL || h.items == NULL) return -1;
    for (uint32_t i = 0; i < n; i++) fds[i] = (struct pollfd){.fd = c->tun_fds[i], .events = POLLIN};
    rng losses;
    rng_seed(&losses, c->seed, RNG_STREAM_LOSS);
    uint64_t order = 0, t0 = 0;
    bool have_t0 = c->t0_fd < 0;
    uint8_t buffer[65536];
    for (;;) {
        if (!have_t0 && read(c->t0_fd, &t0, sizeof t0) == (ssize_t)sizeof t0) have_t0 = true;
        uint64_t now = now_ns();
        while (h.count > 0 && h.items[0].due_ns <= now) {
            packet p = heap_pop(&h);
            if (!p.downlink && c->down_bps[p.to] > 0) {
                /* Arrived at the receiver's downlink: it serialises in arrival order. */
                uint64_t start = down_free[p.to] > p.due_ns ? down_free[p.to] : p.due_ns;
                p.due_ns = start + serialise_ns(p.len, c->down_bps[p.to]);
                down_free[p.to] = p.due_ns;
                p.downlink = true;
                heap_push(&h, p);
                continue;
            }
            h.bytes -= p.len;
            /* A full TUN queue drops the packet, as a full link would. */
            if (write(c->tun_fds[p.to], p.data, p.len) < 0 && errno != EAGAIN && errno != EIO) {
                /* the receiver's device is gone: nothing to do but drop */
            }
            free(p.data);
        }
        uint64_t wait = h.count > 0 ? h.items[0].due_ns - now : SWITCH_IDLE_NS;
        if (wait > SWITCH_IDLE_NS) wait = SWITCH_IDLE_NS;
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000ull), .tv_nsec = (long)(wait % 1000000000ull)};
        int ready = ppoll(fds, n, &ts, NULL);
        if (ready < 0 && errno != EINTR) return -1;
        if (ready <= 0) continue;
        now = now_ns();
        for (uint32_t from = 0; from < n; from++) {
            if ((fds[from].revents & POLLIN) == 0) continue;
            for (int k = 0; k < SWITCH_READS_PER_TURN; k++) {
                ssize_t len = read(fds[from].fd, buffer, sizeof buffer);
                if (len <= 0) break;
                if (len < 20 || (buffer[0] >> 4) != 4) continue; /* IPv4 only */
                uint32_t to = host_of(buffer + 16, n);
                if (to == UINT32_MAX || to == from) continue;
                if (have_t0 && cut(c, now - t0, from, to)) continue;
                double loss = c->loss[(size_t)from * n + to];
                if (loss > 0 && rng_uniform(&losses) < loss) continue;
                if (h.count == h.cap || h.bytes + (uint64_t)len > TESTBED_SWITCH_BYTES_MAX) continue;
                uint64_t up_start = up_free[from] > now ? up_free[from] : now;
                if (up_start - now > TESTBED_SWITCH_BACKLOG_NS) continue;
                uint64_t departed = up_start + serialise_ns((size_t)len, c->up_bps[from]);
                up_free[from] = departed;
                uint64_t due = departed + c->delay_ns[(size_t)from * n + to]; /* at the downlink */
                uint8_t *copy = malloc((size_t)len);
                if (copy == NULL) continue;
                memcpy(copy, buffer, (size_t)len);
                heap_push(&h, (packet){.due_ns = due, .order = order++, .to = to, .len = (uint16_t)len, .data = copy});
                h.bytes += (uint64_t)len;
            }
        }
    }
}

pid_t testbed_switch_start(const testbed_switch_config *config, char *err, size_t err_cap) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_cap, "testbed: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(126);
        signal(SIGINT, SIG_IGN); /* the testbed stops us with SIGTERM after the daemons */
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        _exit(testbed_switch_run(config) == 0 ? 0 : 1);
    }
    return pid;
}
