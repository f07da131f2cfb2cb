/* downlink: a host's downlink booked by gaps. See downlink.h. */
#include "downlink.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void downlink_free(downlink *d) {
    free(d->busy);
    memset(d, 0, sizeof *d);
}

/* Drops the intervals that ended by now: nothing can be booked before now. */
static void forget_past(downlink *d, uint64_t now_ns) {
    size_t past = 0;
    while (past < d->count && d->busy[past].end_ns <= now_ns) past++;
    if (past == 0) return;
    memmove(d->busy, d->busy + past, (d->count - past) * sizeof *d->busy);
    d->count -= past;
}

/* Puts [start, end) at index i, merging with the neighbours it touches. */
static void insert_at(downlink *d, size_t i, uint64_t start, uint64_t end) {
    bool joins_left = i > 0 && d->busy[i - 1].end_ns == start;
    bool joins_right = i < d->count && d->busy[i].start_ns == end;
    if (joins_left && joins_right) {
        d->busy[i - 1].end_ns = d->busy[i].end_ns;
        memmove(d->busy + i, d->busy + i + 1, (d->count - i - 1) * sizeof *d->busy);
        d->count--;
        return;
    }
    if (joins_left) {
        d->busy[i - 1].end_ns = end;
        return;
    }
    if (joins_right) {
        d->busy[i].start_ns = start;
        return;
    }
    if (d->count == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 8;
        d->busy = realloc(d->busy, d->cap * sizeof *d->busy);
        if (d->busy == NULL) abort();
    }
    memmove(d->busy + i + 1, d->busy + i, (d->count - i) * sizeof *d->busy);
    d->busy[i] = (downlink_busy){start, end};
    d->count++;
}

uint64_t downlink_book(downlink *d, uint64_t now_ns, uint64_t ready_ns, uint64_t duration_ns) {
    assert(now_ns <= ready_ns);
    if (duration_ns == 0) return ready_ns; /* an unlimited link */
    forget_past(d, now_ns);
    uint64_t start = ready_ns;
    size_t i = 0;
    for (; i < d->count; i++) {
        if (d->busy[i].end_ns <= start) continue;           /* over before the packet arrives */
        if (d->busy[i].start_ns >= start + duration_ns) break; /* the gap before it fits */
        start = d->busy[i].end_ns;
    }
    insert_at(d, i, start, start + duration_ns);
    return start;
}
