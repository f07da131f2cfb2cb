/*
 * kernel: the world's discrete-event kernel.
 *
 * Events are ordered by (time, insertion sequence): two events at the same
 * virtual time run in the order they were scheduled, which is what makes a
 * run reproducible bit for bit. One thread, no wall clock. An event is a
 * small fixed record (a kind and two arguments) rather than a closure, so
 * the heap is a flat array of 32-byte entries and scheduling allocates only
 * when the heap grows.
 */
#ifndef SWARMLAB_KERNEL_H
#define SWARMLAB_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KERNEL_EVENTS_MAX (1u << 28) /* pending events; beyond it scheduling aborts */

typedef struct kernel_event {
    uint64_t time_ns;
    uint64_t seq;
    uint32_t kind;
    uint32_t a;
    uint64_t b;
} kernel_event;

typedef void (*kernel_handler)(void *ctx, const kernel_event *event);

typedef struct kernel {
    kernel_event *heap;
    size_t len, cap;
    uint64_t now_ns;
    uint64_t next_seq;
    uint64_t processed;
    size_t pending_peak; /* the most events ever pending at once */
    bool stop_requested;
} kernel;

void kernel_init(kernel *k);
void kernel_free(kernel *k);
/* Schedules an event at time_ns (>= now). */
void kernel_schedule(kernel *k, uint64_t time_ns, uint32_t kind, uint32_t a, uint64_t b);
/* Runs events in order until none is left at or before until_ns, or
 * kernel_stop() is called; time then stands at until_ns (or at the last
 * event when stopped). Returns the number of events run. */
uint64_t kernel_run(kernel *k, uint64_t until_ns, kernel_handler handler, void *ctx);
void kernel_stop(kernel *k);
size_t kernel_pending(const kernel *k);

#endif
