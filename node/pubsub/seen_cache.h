/*
 * seen_cache: the message ids a pubsub router has seen recently.
 *
 * A bounded set with a time to live. Ids are reduced to 64-bit SipHash
 * fingerprints under a key drawn from the environment, so a remote peer
 * cannot craft collisions; a ring keeps insertion order for expiry, and when
 * the ring is full the oldest id is forgotten first. The cache starts small
 * and doubles up to its capacity, so that a thousand quiet nodes in the
 * world do not each hold megabytes of empty table.
 */
#ifndef SWARMLAB_SEEN_CACHE_H
#define SWARMLAB_SEEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time_units.h"

#define SEEN_CACHE_KEY_BYTES 16
#define SEEN_CACHE_TTL_NS (120 * NS_PER_S) /* go-libp2p's TimeCacheDuration */
#define SEEN_CACHE_CAPACITY_MAX (1u << 22)
#define SEEN_CACHE_INITIAL 256 /* ids, before the first doubling */

typedef struct seen_cache {
    uint64_t *table;       /* open addressing; 0 marks an empty slot */
    size_t table_mask;     /* table size - 1, a power of two */
    uint64_t *ring_id;     /* fingerprints in insertion order */
    uint64_t *ring_expiry; /* expiry time of each */
    size_t ring_head, ring_len;
    size_t ring_size; /* allocated ids, doubling up to capacity */
    size_t capacity;  /* the most ids remembered */
    uint64_t ttl_ns;
    uint8_t key[SEEN_CACHE_KEY_BYTES];
} seen_cache;

/* 0, or -1 when memory runs out. capacity <= SEEN_CACHE_CAPACITY_MAX. */
int seen_cache_init(seen_cache *c, size_t capacity, uint64_t ttl_ns,
                    const uint8_t key[SEEN_CACHE_KEY_BYTES]);
void seen_cache_free(seen_cache *c);
/* Forgets ids whose time to live ran out by now_ns. */
void seen_cache_expire(seen_cache *c, uint64_t now_ns);
bool seen_cache_contains(seen_cache *c, const uint8_t *id, size_t len, uint64_t now_ns);
/* Adds id (no effect if present). */
void seen_cache_add(seen_cache *c, const uint8_t *id, size_t len, uint64_t now_ns);
size_t seen_cache_size(const seen_cache *c);

#endif
