/*
 * seen_cache: the message ids a pubsub router has seen recently.
 *
 * A set with a time to live, bounded in memory: every id stays for its
 * whole time to live. Forgetting an id early would let a copy of its
 * message, replayed inside the window, be delivered a second time (issue
 * 19); so a full cache forgets nothing and refuses the new id instead, and
 * the core ignores that message (pubsub.c, "seen cache full"). Ids live in
 * an fp_table (keyed fingerprints, insertion order); as time only grows,
 * the oldest id is always the next to expire.
 */
#ifndef SWARMLAB_SEEN_CACHE_H
#define SWARMLAB_SEEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time_units.h"
#include "fp_table.h"

#define SEEN_CACHE_KEY_BYTES FP_TABLE_KEY_BYTES
#define SEEN_CACHE_TTL_NS (120 * NS_PER_S) /* go-libp2p's TimeCacheDuration */
#define SEEN_CACHE_INITIAL FP_TABLE_INITIAL /* ids, before the first doubling */

typedef struct seen_cache {
    fp_table ids; /* each id's fingerprint and its expiry time */
    uint64_t ttl_ns;
} seen_cache;

/* 0, or -1 when memory runs out. 0 < capacity <= FP_TABLE_CAPACITY_MAX:
 * at most capacity * FP_TABLE_BYTES_PER_ENTRY bytes for a power of two. */
int seen_cache_init(seen_cache *c, size_t capacity, uint64_t ttl_ns,
                    const uint8_t key[SEEN_CACHE_KEY_BYTES]);
void seen_cache_free(seen_cache *c);
/* Forgets ids whose time to live ran out by now_ns. */
void seen_cache_expire(seen_cache *c, uint64_t now_ns);
bool seen_cache_contains(seen_cache *c, const uint8_t *id, size_t len, uint64_t now_ns);
/* Adds id (no effect if present): 0, or -1 when the cache holds capacity
 * ids that have not expired (or cannot grow) and id is not remembered. */
int seen_cache_add(seen_cache *c, const uint8_t *id, size_t len, uint64_t now_ns);
size_t seen_cache_size(const seen_cache *c);

#endif
