/*
 * blockstore: blocks in memory with a disk's crash semantics (blockstore.h).
 */
#include "blockstore.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/grow.h"

void blockstore_init(blockstore *s, size_t bytes_max) {
    memset(s, 0, sizeof *s);
    s->bytes_max = bytes_max;
}

void blockstore_free(blockstore *s) {
    for (size_t i = 0; i < s->count; i++) free(s->entries[i].val);
    free(s->entries);
    memset(s, 0, sizeof *s);
}

/* Shorter keys first, then bytewise: any fixed total order will do. */
static int key_compare(const blockstore_entry *e, const uint8_t *key, size_t key_len) {
    if (e->key_len != key_len) return e->key_len < key_len ? -1 : 1;
    return memcmp(e->key, key, key_len);
}

/* The index of key, or where it would go; *found says which. */
static size_t blockstore_find(const blockstore *s, const uint8_t *key, size_t key_len, bool *found) {
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_compare(&s->entries[mid], key, key_len);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    *found = false;
    return lo;
}

static const blockstore_entry *blockstore_live(const blockstore *s, const uint8_t *key, size_t key_len) {
    bool found;
    size_t i = blockstore_find(s, key, key_len, &found);
    return found && s->entries[i].live ? &s->entries[i] : NULL;
}

static void blockstore_remove_at(blockstore *s, size_t i) {
    s->bytes -= s->entries[i].key_len + s->entries[i].len;
    free(s->entries[i].val);
    memmove(&s->entries[i], &s->entries[i + 1], (s->count - i - 1) * sizeof s->entries[0]);
    s->count--;
}

static int blockstore_insert(blockstore *s, size_t at, const uint8_t *key, size_t key_len, const uint8_t *val,
                             size_t len) {
    blockstore_entry *entries = grow_for_one(s->entries, &s->cap, s->count, sizeof *entries, 16);
    if (entries == NULL) return -1;
    s->entries = entries;
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL) return -1;
    if (len > 0) memcpy(copy, val, len);
    memmove(&s->entries[at + 1], &s->entries[at], (s->count - at) * sizeof s->entries[0]);
    blockstore_entry *e = &s->entries[at];
    *e = (blockstore_entry){.key_len = key_len, .val = copy, .len = len, .live = true};
    memcpy(e->key, key, key_len);
    s->count++;
    s->bytes += key_len + len;
    return 0;
}

int blockstore_put(blockstore *s, const uint8_t *key, size_t key_len, const uint8_t *val, size_t len) {
    if (key_len == 0 || key_len > BLOCKSTORE_KEY_MAX) return -1;
    bool found;
    size_t i = blockstore_find(s, key, key_len, &found);
    if (found) { /* the same key is the same block (the node checked its hash) */
        s->entries[i].live = true;
        return 0;
    }
    if (key_len + len > s->bytes_max - s->bytes) return -1; /* full */
    return blockstore_insert(s, i, key, key_len, val, len);
}

int blockstore_get(const blockstore *s, const uint8_t *key, size_t key_len, buf *out) {
    const blockstore_entry *e = blockstore_live(s, key, key_len);
    if (e == NULL) return 0;
    return buf_append(out, e->val, e->len) == 0 ? 1 : -1;
}

int blockstore_has(const blockstore *s, const uint8_t *key, size_t key_len) {
    return blockstore_live(s, key, key_len) != NULL;
}

int blockstore_delete(blockstore *s, const uint8_t *key, size_t key_len) {
    bool found;
    size_t i = blockstore_find(s, key, key_len, &found);
    if (!found) return 0;
    if (s->entries[i].durable) /* on disk until the next sync */
        s->entries[i].live = false;
    else
        blockstore_remove_at(s, i);
    return 0;
}

int blockstore_sync(blockstore *s) {
    for (size_t i = s->count; i-- > 0;) {
        if (!s->entries[i].live) blockstore_remove_at(s, i);
        else s->entries[i].durable = true;
    }
    s->syncs++;
    return 0;
}

void blockstore_crash(blockstore *s) {
    for (size_t i = s->count; i-- > 0;) {
        if (!s->entries[i].durable) blockstore_remove_at(s, i);
        else s->entries[i].live = true; /* a delete never synced is undone */
    }
}

size_t blockstore_count(const blockstore *s) {
    size_t live = 0;
    for (size_t i = 0; i < s->count; i++) live += s->entries[i].live;
    return live;
}

/* ---- the seam's store ops: ctx begins with the blockstore -------------- */

static int env_put(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *val, size_t len) {
    return blockstore_put(ctx, key, key_len, val, len);
}
static int env_get(void *ctx, const uint8_t *key, size_t key_len, buf *out) { return blockstore_get(ctx, key, key_len, out); }
static int env_has(void *ctx, const uint8_t *key, size_t key_len) { return blockstore_has(ctx, key, key_len); }
static int env_delete(void *ctx, const uint8_t *key, size_t key_len) { return blockstore_delete(ctx, key, key_len); }
static int env_sync(void *ctx) { return blockstore_sync(ctx); }

void blockstore_env_ops(env *e) {
    e->store_put = env_put;
    e->store_get = env_get;
    e->store_has = env_has;
    e->store_delete = env_delete;
    e->store_sync = env_sync;
}
