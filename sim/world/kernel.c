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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kernel_init(kernel *k) {
    memset(k, 0, sizeof *k);
    k->cross_min_ns = UINT64_MAX;
}

void kernel_free(kernel *k) {
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

void kernel_schedule(kernel *k, uint64_t time_ns, uint32_t kind, uint32_t a, uint64_t b) {
    assert(time_ns >= k->now_ns);
    if (k->len == k->cap) kernel_grow(k);
    kernel_event ev = {.time_ns = time_ns, .kind = kind, .a = a, .b = b};
    if (k->owners == 0) {
        ev.seq = k->next_seq++;
    } else {
        ev.owner = k->owner_of(k->owner_ctx, kind, a);
        assert(ev.owner < k->owners);
        if (k->source != 0 && ev.owner != k->source && time_ns - k->now_ns < k->cross_min_ns)
            k->cross_min_ns = time_ns - k->now_ns;
        ev.seq = ((uint64_t)k->source << KERNEL_SOURCE_SHIFT) | k->counts[k->source]++;
    }
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

uint64_t kernel_run(kernel *k, uint64_t until_ns, kernel_handler handler, void *ctx) {
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

size_t kernel_pending(const kernel *k) { return k->len; }
