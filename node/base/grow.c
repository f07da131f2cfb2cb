/* grow: see grow.h. */
#include "grow.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>

void *grow_for_one(void *items, size_t *cap, size_t count, size_t item_size, size_t first_cap) {
    assert(count <= *cap && first_cap > 0 && item_size > 0);
    if (count < *cap) return items;
    size_t new_cap = *cap ? 2 * *cap : first_cap;
    if (new_cap > SIZE_MAX / item_size) return NULL;
    void *grown = realloc(items, new_cap * item_size);
    if (grown != NULL) *cap = new_cap;
    return grown;
}
