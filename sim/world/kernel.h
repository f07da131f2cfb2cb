/*
 * kernel: the world's discrete-event kernel.
 *
 * Events are ordered by (time, owner, source sequence), which is what makes
 * a run reproducible bit for bit. The owner is whose state the event
 * touches (a host, or 0 for the world itself: kernel_set_owners' function
 * names it from the kind and the first argument); the source sequence is
 * (source << KERNEL_SOURCE_SHIFT) | n, where the source is the owner of the
 * event that was running when this one was scheduled (0 outside kernel_run)
 * and n counts that source's schedulings. So the order of one owner's
 * events depends only on what its sources did, not on how the events of
 * other owners interleave: a world cut into partitions that run in
 * parallel (docs/performance.md, "The parallel world") reproduces it. With
 * no owners set every event is the world's and ties keep the order of
 * scheduling, as before. One thread, no wall clock. An event is a small
 * fixed record (a kind and two arguments) rather than a closure, so the
 * heap is a flat array of 32-byte entries and scheduling allocates only
 * when the heap grows.
 */
#ifndef SWARMLAB_KERNEL_H
#define SWARMLAB_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KERNEL_EVENTS_MAX (1u << 28) /* pending events; beyond it scheduling aborts */

#define KERNEL_SOURCE_SHIFT 40 /* a source schedules at most 2^40 events; 2^24 owners */

#define KERNEL_KINDS 256 /* kinds 0 .. 255 */

typedef struct kernel_event { /* 32 bytes */
    uint64_t time_ns;
    uint64_t seq; /* (source << KERNEL_SOURCE_SHIFT) | the source's count */
    uint32_t kind : 8;
    uint32_t owner : 24;
    uint32_t a;
    uint64_t b;
} kernel_event;

typedef void (*kernel_handler)(void *ctx, const kernel_event *event);
/* The owner of an event of this kind with this first argument: 0 .. owners - 1. */
typedef uint32_t (*kernel_owner_fn)(void *ctx, uint32_t kind, uint32_t a);

typedef struct kernel kernel;
typedef struct kernel_threads kernel_threads;

struct kernel {
    kernel_event *heap;
    size_t len, cap;
    uint64_t now_ns;
    uint64_t next_seq;    /* owner 0's count when no owners are set */
    uint64_t *counts;     /* per source: events scheduled */
    uint32_t owners;      /* 0: none set */
    uint32_t source;      /* the owner of the running event; 0 outside kernel_run */
    kernel_owner_fn owner_of;
    void *owner_ctx;
    uint64_t processed;
    /* The smallest delay (time - now) with which the event of one owner
     * scheduled an event of another, world calls excepted (they run at
     * barriers in a parallel world): the lookahead the run needed;
     * UINT64_MAX when none did. Only with owners set. */
    uint64_t cross_min_ns;
    size_t pending_peak; /* the most events ever pending at once */
    bool stop_requested;
    /* Partitioned (kernel_partition): the world's calls (owner 0) stay in
     * this heap, every other owner's events in its part's; a part's events
     * for another part wait in its outbox until the window ends. */
    kernel *parts;
    uint32_t part_count;
    uint32_t *part_of;      /* per owner */
    kernel *parent;         /* a part's */
    kernel_event *outbox;
    size_t out_len, out_cap;
    uint64_t lookahead_ns;
    uint64_t window_end;    /* events of other parts may not fall before it */
    uint64_t windows;       /* windows run */
    /* Thread CPU time the parts spent in windows: in all, and along the
     * critical path (each window's slowest part): their ratio is the
     * speedup the cut allows on free cores, whatever the machine's load. */
    uint64_t busy_ns, critical_ns;
    uint64_t window_busy_ns; /* a part's, in the current window */
    kernel_threads *threads;
    void (*window_done)(void *ctx); /* after each window, on the calling thread */
    void *window_ctx;
};

void kernel_init(kernel *k);
void kernel_free(kernel *k);
/* Events get owners 0 .. owners - 1 from fn (before anything is scheduled). */
void kernel_set_owners(kernel *k, uint32_t owners, kernel_owner_fn fn, void *ctx);
/* Schedules an event at time_ns (>= now). */
void kernel_schedule(kernel *k, uint64_t time_ns, uint32_t kind, uint32_t a, uint64_t b);
/* Runs events in order until none is left at or before until_ns, or
 * kernel_stop() is called; time then stands at until_ns (or at the last
 * event when stopped). Returns the number of events run. */
uint64_t kernel_run(kernel *k, uint64_t until_ns, kernel_handler handler, void *ctx);
void kernel_stop(kernel *k);
/* The running event's now: the part's on a part's thread, else k's. */
uint64_t kernel_now(const kernel *k);
/* Cuts the owners 1 .. owners - 1 into parts (part_of[owner] < parts,
 * copied) run by parts threads through windows of lookahead_ns (> 0):
 * each part runs its events below the window's end, then the parts
 * exchange what they scheduled for each other and window_done runs; the
 * world's calls (owner 0) run alone between windows. The order is the
 * serial one (kernel.h above) as long as no owner schedules another's
 * event less than lookahead_ns ahead, which aborts when it crosses parts.
 * After kernel_set_owners, before anything is scheduled. */
void kernel_partition(kernel *k, uint32_t parts, const uint32_t *part_of, uint64_t lookahead_ns,
                      void (*window_done)(void *ctx), void *window_ctx);
/* The part the calling thread runs (0 ..), or -1 (between windows, unpartitioned). */
int kernel_current_part(const kernel *k);
/* Every pending event, parts' included. */
void kernel_each_pending(const kernel *k, void (*fn)(void *ctx, const kernel_event *ev), void *ctx);
/* Totals over the parts: events run (k->processed holds them too), the
 * largest pending, the smallest cross-owner delay. */
size_t kernel_pending_peak(const kernel *k);
uint64_t kernel_cross_min(const kernel *k);
/* Called on each worker thread as it ends (thread-local caches). */
extern void (*kernel_worker_exit)(void);
size_t kernel_pending(const kernel *k);

#endif
