/*
 * blockstore: a host's blocks in memory, with the crash semantics of a disk
 * (the world's store_* ops of env.h; memnet's too).
 *
 * A put is held in the host's memory until a sync makes it durable; a crash
 * (blockstore_crash, when the world takes a host down) forgets every put
 * and every delete since the last sync, as a process killed before its
 * fsync loses its page cache. Blocks are kept in key order (binary CIDs),
 * found by binary search, so that a run's behaviour never depends on
 * addresses. A byte budget bounds each store: what it holds (keys and
 * blocks, durable or not) never passes bytes_max, and a put that would is
 * refused, as a full disk refuses a write.
 */
#ifndef SWARMLAB_BLOCKSTORE_H
#define SWARMLAB_BLOCKSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/env.h"

#define BLOCKSTORE_KEY_MAX 64 /* bytes of a key; a binary CID is at most 40 */

typedef struct blockstore_entry {
    uint8_t key[BLOCKSTORE_KEY_MAX];
    size_t key_len;
    uint8_t *val;
    size_t len;
    bool live;    /* present now */
    bool durable; /* present on disk: after a crash, live is this */
} blockstore_entry;

typedef struct blockstore {
    blockstore_entry *entries; /* sorted by key */
    size_t count, cap;
    size_t bytes, bytes_max;    /* held (keys and values), and the budget */
    uint64_t syncs;             /* how many syncs ran, for tests */
} blockstore;

void blockstore_init(blockstore *s, size_t bytes_max);
void blockstore_free(blockstore *s);
/* The store_* ops of env.h, with their return values. */
int blockstore_put(blockstore *s, const uint8_t *key, size_t key_len, const uint8_t *val, size_t len);
int blockstore_get(const blockstore *s, const uint8_t *key, size_t key_len, struct buf *out);
int blockstore_has(const blockstore *s, const uint8_t *key, size_t key_len);
int blockstore_delete(blockstore *s, const uint8_t *key, size_t key_len);
int blockstore_sync(blockstore *s);
/* Sets env's five store_* ops to this store's. The runtime's env ctx must
 * point at a struct whose first member is the blockstore (world_host,
 * memnet's host; each checks it with a static_assert). */
void blockstore_env_ops(env *e);
/* The host failed: what was not synced is gone. */
void blockstore_crash(blockstore *s);
/* Blocks present now. */
size_t blockstore_count(const blockstore *s);

#endif
