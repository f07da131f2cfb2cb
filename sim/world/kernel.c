/*
 * kernel: discrete-event kernel, a 4-ary min-heap on (time, owner, seq). See kernel.h.
 *
 * Why 4-ary: a pop walks log4(n) levels instead of log2(n), and the four
 * children of a node sit in two adjacent cache lines, so a large heap (a
 * big world keeps hundreds of thousands of events pending) costs about half
 * the cache misses of a binary heap. Sift-down moves the hole, not the element.
 */
#include "kernel.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void kernel_init(kernel *k) {
    memset(k, 0, sizeof *k);
    k->cross_min_ns = UINT64_MAX;
}

static _Thread_local kernel *kernel_here_part; /* the part this thread runs now */
void (*kernel_worker_exit)(void);

struct kernel_threads {
    pthread_t *ids;
    uint32_t count; /* workers: parts 1 .. count */
    pthread_barrier_t start, done;
    bool quit;
    kernel_handler handler;
    void *ctx;
};

static void kernel_stop_threads(kernel *k);

void kernel_free(kernel *k) {
    kernel_stop_threads(k);
    for (uint32_t p = 0; p < k->part_count; p++) {
        free(k->parts[p].heap);
        free(k->parts[p].outbox);
    }
    free(k->parts);
    free(k->part_of);
    free(k->heap);
    free(k->counts);
    memset(k, 0, sizeof *k);
}

void kernel_set_owners(kernel *k, uint32_t owners, kernel_owner_fn fn, void *ctx) {
    assert(k->len == 0 && owners > 0 && owners <= (1u << (64 - KERNEL_SOURCE_SHIFT)));
    free(k->counts);
    k->counts = calloc(owners, sizeof *k->counts);
    if (k->counts == NULL) {
        fprintf(stderr, "kernel: out of memory for %u owners\n", owners);
        abort();
    }
    k->owners = owners;
    k->owner_of = fn;
    k->owner_ctx = ctx;
    k->source = 0;
}

static inline bool event_before(const kernel_event *x, const kernel_event *y) {
    if (x->time_ns != y->time_ns) return x->time_ns < y->time_ns;
    if (x->owner != y->owner) return x->owner < y->owner;
    return x->seq < y->seq;
}

/* The kernel whose clock and source apply to the caller: its part's on a part's thread. */
static inline kernel *kernel_here(const kernel *k) {
    if (k->part_count == 0) return (kernel *)k;
    kernel *p = kernel_here_part;
    return p != NULL && p->parent == k ? p : (kernel *)k;
}

uint64_t kernel_now(const kernel *k) { return kernel_here(k)->now_ns; }

int kernel_current_part(const kernel *k) {
    kernel *p = kernel_here_part;
    return p != NULL && p->parent == k ? (int)(p - k->parts) : -1;
}

static void kernel_grow(kernel *k) {
    size_t cap = k->cap ? k->cap * 2 : 1024;
    if (cap > KERNEL_EVENTS_MAX) {
        fprintf(stderr, "kernel: more than %u pending events\n", KERNEL_EVENTS_MAX);
        abort();
    }
    kernel_event *heap = realloc(k->heap, cap * sizeof *heap);
    if (heap == NULL) {
        fprintf(stderr, "kernel: out of memory for %zu events\n", cap);
        abort();
    }
    k->heap = heap;
    k->cap = cap;
}

#define KERNEL_ARITY 4

static void kernel_push(kernel *k, kernel_event ev);

void kernel_schedule(kernel *k, uint64_t time_ns, uint32_t kind, uint32_t a, uint64_t b) {
    kernel *h = kernel_here(k);
    assert(time_ns >= h->now_ns && kind < KERNEL_KINDS);
    kernel_event ev = {.time_ns = time_ns, .kind = kind, .a = a, .b = b};
    if (k->owners == 0) {
        ev.seq = k->next_seq++;
        return kernel_push(k, ev);
    }
    ev.owner = k->owner_of(k->owner_ctx, kind, a);
    assert(ev.owner < k->owners);
    if (h->source != 0 && ev.owner != h->source && time_ns - h->now_ns < h->cross_min_ns)
        h->cross_min_ns = time_ns - h->now_ns;
    ev.seq = ((uint64_t)h->source << KERNEL_SOURCE_SHIFT) | k->counts[h->source]++;
    if (k->part_count == 0) return kernel_push(k, ev);
    kernel *dest = ev.owner == 0 ? k : &k->parts[k->part_of[ev.owner]];
    if (h == k || dest == h) return kernel_push(dest, ev);
    if (time_ns < k->window_end) {
        fprintf(stderr, "kernel: owner %u scheduled owner %u's event %llu ns ahead, inside the lookahead (%llu ns)\n",
                h->source, ev.owner, (unsigned long long)(time_ns - h->now_ns), (unsigned long long)k->lookahead_ns);
        abort();
    }
    if (h->out_len == h->out_cap) {
        h->out_cap = h->out_cap ? 2 * h->out_cap : 1024;
        h->outbox = realloc(h->outbox, h->out_cap * sizeof *h->outbox);
        if (h->outbox == NULL) abort();
    }
    h->outbox[h->out_len++] = ev;
}

static void kernel_push(kernel *k, kernel_event ev) {
    if (k->len == k->cap) kernel_grow(k);
    size_t i = k->len++;
    if (k->len > k->pending_peak) k->pending_peak = k->len;
    while (i > 0) {
        size_t parent = (i - 1) / KERNEL_ARITY;
        if (!event_before(&ev, &k->heap[parent])) break;
        k->heap[i] = k->heap[parent];
        i = parent;
    }
    k->heap[i] = ev;
}

/* The smallest of the up to four children that start at first (< n). */
static inline size_t kernel_min_child(const kernel_event *heap, size_t first, size_t n) {
    size_t best = first;
    size_t end = first + KERNEL_ARITY < n ? first + KERNEL_ARITY : n;
    for (size_t c = first + 1; c < end; c++)
        if (event_before(&heap[c], &heap[best])) best = c;
    return best;
}

static kernel_event kernel_pop(kernel *k) {
    assert(k->len > 0);
    kernel_event top = k->heap[0];
    kernel_event last = k->heap[--k->len];
    size_t i = 0, n = k->len;
    for (;;) {
        size_t first = KERNEL_ARITY * i + 1;
        if (first >= n) break;
        size_t child = kernel_min_child(k->heap, first, n);
        if (!event_before(&k->heap[child], &last)) break;
        k->heap[i] = k->heap[child];
        i = child;
    }
    if (n > 0) k->heap[i] = last;
    return top;
}

static uint64_t kernel_run_parts(kernel *k, uint64_t until_ns, kernel_handler handler, void *ctx);

uint64_t kernel_run(kernel *k, uint64_t until_ns, kernel_handler handler, void *ctx) {
    if (k->part_count > 0) return kernel_run_parts(k, until_ns, handler, ctx);
    uint64_t ran = 0;
    k->stop_requested = false;
    while (k->len > 0 && k->heap[0].time_ns <= until_ns && !k->stop_requested) {
        kernel_event ev = kernel_pop(k);
        assert(ev.time_ns >= k->now_ns); /* time never runs backwards */
        k->now_ns = ev.time_ns;
        k->source = ev.owner;
        handler(ctx, &ev);
        ran++;
    }
    k->source = 0;
    if (!k->stop_requested && until_ns > k->now_ns) k->now_ns = until_ns;
    k->processed += ran;
    return ran;
}

void kernel_stop(kernel *k) { k->stop_requested = true; }

size_t kernel_pending(const kernel *k) {
    size_t n = k->len;
    for (uint32_t p = 0; p < k->part_count; p++) n += k->parts[p].len;
    return n;
}

/* ---- partitions --------------------------------------------------------- */

static uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A part runs its events below the window's end. */
static uint64_t part_run(kernel *p, uint64_t end_ns, kernel_handler handler, void *ctx) {
    uint64_t ran = 0, started = thread_cpu_ns();
    kernel_here_part = p;
    while (p->len > 0 && p->heap[0].time_ns < end_ns) {
        kernel_event ev = kernel_pop(p);
        assert(ev.time_ns >= p->now_ns);
        p->now_ns = ev.time_ns;
        p->source = ev.owner;
        handler(ctx, &ev);
        ran++;
    }
    p->source = 0;
    p->processed += ran;
    kernel_here_part = NULL;
    p->window_busy_ns = thread_cpu_ns() - started;
    return ran;
}

typedef struct worker_arg {
    kernel *k;
    uint32_t part;
} worker_arg;

static void *kernel_worker(void *arg) {
    worker_arg a = *(worker_arg *)arg;
    free(arg);
    kernel_threads *t = a.k->threads;
    for (;;) {
        pthread_barrier_wait(&t->start);
        if (t->quit) break;
        part_run(&a.k->parts[a.part], a.k->window_end, t->handler, t->ctx);
        pthread_barrier_wait(&t->done);
    }
    if (kernel_worker_exit != NULL) kernel_worker_exit();
    return NULL;
}

void kernel_partition(kernel *k, uint32_t parts, const uint32_t *part_of, uint64_t lookahead_ns,
                      void (*window_done)(void *ctx), void *window_ctx) {
    assert(k->owners > 0 && k->len == 0 && k->part_count == 0 && parts >= 1 && lookahead_ns > 0);
    k->parts = calloc(parts, sizeof *k->parts);
    k->part_of = malloc(k->owners * sizeof *k->part_of);
    if (k->parts == NULL || k->part_of == NULL) abort();
    memcpy(k->part_of, part_of, k->owners * sizeof *k->part_of);
    for (uint32_t p = 0; p < parts; p++) {
        kernel_init(&k->parts[p]);
        k->parts[p].parent = k;
        k->parts[p].now_ns = k->now_ns;
    }
    k->part_count = parts;
    k->lookahead_ns = lookahead_ns;
    k->window_done = window_done;
    k->window_ctx = window_ctx;
    if (parts == 1) return;
    kernel_threads *t = calloc(1, sizeof *t);
    if (t == NULL) abort();
    t->count = parts - 1;
    t->ids = calloc(t->count, sizeof *t->ids);
    if (t->ids == NULL) abort();
    pthread_barrier_init(&t->start, NULL, parts);
    pthread_barrier_init(&t->done, NULL, parts);
    k->threads = t;
    for (uint32_t i = 0; i < t->count; i++) {
        worker_arg *a = malloc(sizeof *a);
        if (a == NULL) abort();
        *a = (worker_arg){.k = k, .part = i + 1};
        if (pthread_create(&t->ids[i], NULL, kernel_worker, a) != 0) {
            fprintf(stderr, "kernel: cannot start a thread\n");
            abort();
        }
    }
}

static void kernel_stop_threads(kernel *k) {
    kernel_threads *t = k->threads;
    if (t == NULL) return;
    t->quit = true;
    pthread_barrier_wait(&t->start);
    for (uint32_t i = 0; i < t->count; i++) pthread_join(t->ids[i], NULL);
    pthread_barrier_destroy(&t->start);
    pthread_barrier_destroy(&t->done);
    free(t->ids);
    free(t);
    k->threads = NULL;
}

static void kernel_set_now(kernel *k, uint64_t now_ns) {
    k->now_ns = now_ns;
    for (uint32_t p = 0; p < k->part_count; p++) k->parts[p].now_ns = now_ns;
}

static uint64_t kernel_run_parts(kernel *k, uint64_t until_ns, kernel_handler handler, void *ctx) {
    uint64_t ran = 0;
    k->stop_requested = false;
    for (;;) {
        uint64_t t0 = k->len > 0 ? k->heap[0].time_ns : UINT64_MAX;
        for (uint32_t p = 0; p < k->part_count; p++)
            if (k->parts[p].len > 0 && k->parts[p].heap[0].time_ns < t0) t0 = k->parts[p].heap[0].time_ns;
        if (t0 == UINT64_MAX || t0 > until_ns) break;
        if (k->len > 0 && k->heap[0].time_ns == t0) { /* the world's calls, alone, before any host at t0 */
            kernel_set_now(k, t0);
            while (k->len > 0 && k->heap[0].time_ns == t0) {
                kernel_event ev = kernel_pop(k);
                k->source = ev.owner;
                handler(ctx, &ev);
                k->source = 0;
                ran++;
                k->processed++;
            }
            continue;
        }
        uint64_t end = t0 + k->lookahead_ns < t0 ? UINT64_MAX : t0 + k->lookahead_ns;
        if (k->len > 0 && k->heap[0].time_ns < end) end = k->heap[0].time_ns;
        if (until_ns < UINT64_MAX && until_ns + 1 < end) end = until_ns + 1;
        k->window_end = end;
        uint64_t before = 0;
        for (uint32_t p = 0; p < k->part_count; p++) before += k->parts[p].processed;
        if (k->threads != NULL) {
            k->threads->handler = handler;
            k->threads->ctx = ctx;
            pthread_barrier_wait(&k->threads->start);
        }
        part_run(&k->parts[0], end, handler, ctx);
        if (k->threads != NULL) pthread_barrier_wait(&k->threads->done);
        k->window_end = 0;
        k->windows++;
        uint64_t slowest = 0;
        for (uint32_t p = 0; p < k->part_count; p++) {
            k->busy_ns += k->parts[p].window_busy_ns;
            if (k->parts[p].window_busy_ns > slowest) slowest = k->parts[p].window_busy_ns;
        }
        k->critical_ns += slowest;
        uint64_t after = 0;
        for (uint32_t p = 0; p < k->part_count; p++) after += k->parts[p].processed;
        ran += after - before;
        k->processed += after - before;
        /* What the parts scheduled for each other; the keys fix the order. */
        for (uint32_t p = 0; p < k->part_count; p++) {
            kernel *src = &k->parts[p];
            for (size_t i = 0; i < src->out_len; i++) {
                kernel_event ev = src->outbox[i];
                kernel_push(ev.owner == 0 ? k : &k->parts[k->part_of[ev.owner]], ev);
            }
            src->out_len = 0;
        }
        kernel_set_now(k, end - 1 > k->now_ns ? end - 1 : k->now_ns);
        if (k->window_done != NULL) k->window_done(k->window_ctx);
    }
    if (until_ns > k->now_ns) kernel_set_now(k, until_ns);
    return ran;
}

void kernel_each_pending(const kernel *k, void (*fn)(void *ctx, const kernel_event *ev), void *ctx) {
    for (size_t i = 0; i < k->len; i++) fn(ctx, &k->heap[i]);
    for (uint32_t p = 0; p < k->part_count; p++) {
        for (size_t i = 0; i < k->parts[p].len; i++) fn(ctx, &k->parts[p].heap[i]);
        for (size_t i = 0; i < k->parts[p].out_len; i++) fn(ctx, &k->parts[p].outbox[i]);
    }
}

size_t kernel_pending_peak(const kernel *k) {
    size_t peak = k->pending_peak;
    for (uint32_t p = 0; p < k->part_count; p++) peak += k->parts[p].pending_peak;
    return peak;
}

uint64_t kernel_cross_min(const kernel *k) {
    uint64_t m = k->cross_min_ns;
    for (uint32_t p = 0; p < k->part_count; p++)
        if (k->parts[p].cross_min_ns < m) m = k->parts[p].cross_min_ns;
    return m;
}
