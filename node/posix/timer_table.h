/*
 * timer_table: the node's armed timers, for the posix runtime.
 *
 * A timer is named by the node (a 64-bit id) and re-armed by setting it
 * again. The table is an unsorted array with a fixed bound: the node keeps
 * only a handful armed (one per connection in its handshake, one per ping
 * in flight), so a scan costs less than a heap's bookkeeping for cancel
 * and re-arm, and memory stays fixed.
 */
#ifndef SWARMLAB_TIMER_TABLE_H
#define SWARMLAB_TIMER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMER_TABLE_MAX 4096 /* armed timers */

typedef struct timer_entry {
    uint64_t id, deadline_ns;
} timer_entry;

typedef struct timer_table {
    timer_entry entries[TIMER_TABLE_MAX];
    size_t count;
    uint64_t dropped; /* sets refused because the table was full */
} timer_table;

/* Arms id at deadline_ns, or moves it there if armed. A full table drops
 * the new timer and counts it. */
void timer_table_set(timer_table *t, uint64_t id, uint64_t deadline_ns);
void timer_table_cancel(timer_table *t, uint64_t id);
/* The earliest deadline; false when nothing is armed. */
bool timer_table_next(const timer_table *t, uint64_t *deadline_ns);
/* Takes out the earliest timer due at now; false when none is due. */
bool timer_table_pop_due(timer_table *t, uint64_t now_ns, uint64_t *id);

#endif
