/* kernel: discrete-event kernel, a binary min-heap on (time, seq). See kernel.h. */
#include "kernel.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kernel_init(kernel *k) {
    memset(k, 0, sizeof *k);
}

void kernel_free(kernel *k) {
    free(k->heap);
    memset(k, 0, sizeof *k);
}

static inline bool event_before(const kernel_event *x, const kernel_event *y) {
    return x->time_ns != y->time_ns ? x->time_ns < y->time_ns : x->seq < y->seq;
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

void kernel_schedule(kernel *k, uint64_t time_ns, uint32_t kind, uint32_t a, uint64_t b) {
    assert(time_ns >= k->now_ns);
    if (k->len == k->cap) kernel_grow(k);
    kernel_event ev = {.time_ns = time_ns, .seq = k->next_seq++, .kind = kind, .a = a, .b = b};
    size_t i = k->len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!event_before(&ev, &k->heap[parent])) break;
        k->heap[i] = k->heap[parent];
        i = parent;
    }
    k->heap[i] = ev;
}

static kernel_event kernel_pop(kernel *k) {
    assert(k->len > 0);
    kernel_event top = k->heap[0];
    kernel_event last = k->heap[--k->len];
    size_t i = 0, n = k->len;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && event_before(&k->heap[child + 1], &k->heap[child])) child++;
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
        handler(ctx, &ev);
        ran++;
    }
    if (!k->stop_requested && until_ns > k->now_ns) k->now_ns = until_ns;
    k->processed += ran;
    return ran;
}

void kernel_stop(kernel *k) { k->stop_requested = true; }

size_t kernel_pending(const kernel *k) { return k->len; }
