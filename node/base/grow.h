/*
 * grow: room for one more item in a growable array, the one doubling rule
 * the tables of the exchange and the world's block stores share.
 */
#ifndef SWARMLAB_GROW_H
#define SWARMLAB_GROW_H

#include <stddef.h>

/* items (*cap items of item_size bytes, count used) with room for at
 * least count + 1, doubling from first_cap: the array, moved or not, with
 * *cap updated; NULL when memory runs out (items and *cap unchanged). The
 * caller stores the result, so no pointer is written through a void **. */
void *grow_for_one(void *items, size_t *cap, size_t count, size_t item_size, size_t first_cap);

#endif
