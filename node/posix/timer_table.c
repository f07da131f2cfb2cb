/* timer_table: the runtime's armed timers. See timer_table.h. */
#include "timer_table.h"

#include <assert.h>

static timer_entry *timer_table_find(timer_table *t, uint64_t id) {
    for (size_t i = 0; i < t->count; i++)
        if (t->entries[i].id == id) return &t->entries[i];
    return NULL;
}

void timer_table_set(timer_table *t, uint64_t id, uint64_t deadline_ns) {
    timer_entry *e = timer_table_find(t, id);
    if (e == NULL) {
        if (t->count == TIMER_TABLE_MAX) {
            t->dropped++;
            return;
        }
        e = &t->entries[t->count++];
        e->id = id;
    }
    e->deadline_ns = deadline_ns;
}

void timer_table_cancel(timer_table *t, uint64_t id) {
    timer_entry *e = timer_table_find(t, id);
    if (e != NULL) *e = t->entries[--t->count];
}

/* The index of the earliest timer; t->count when none is armed. */
static size_t timer_table_earliest(const timer_table *t) {
    size_t best = t->count;
    for (size_t i = 0; i < t->count; i++)
        if (best == t->count || t->entries[i].deadline_ns < t->entries[best].deadline_ns) best = i;
    return best;
}

bool timer_table_next(const timer_table *t, uint64_t *deadline_ns) {
    size_t i = timer_table_earliest(t);
    if (i == t->count) return false;
    *deadline_ns = t->entries[i].deadline_ns;
    return true;
}

bool timer_table_pop_due(timer_table *t, uint64_t now_ns, uint64_t *id) {
    size_t i = timer_table_earliest(t);
    if (i == t->count || t->entries[i].deadline_ns > now_ns) return false;
    assert(t->count > 0);
    *id = t->entries[i].id;
    t->entries[i] = t->entries[--t->count];
    return true;
}
