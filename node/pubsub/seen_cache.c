/* seen_cache: bounded, expiring set of message ids. See seen_cache.h. */
#include "seen_cache.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seen_fingerprint(const seen_cache *c, const uint8_t *id, size_t len) {
    uint8_t hash[crypto_shorthash_BYTES];
    crypto_shorthash(hash, id, len, c->key);
    uint64_t fp;
    memcpy(&fp, hash, sizeof fp);
    return fp == 0 ? 1 : fp; /* 0 marks empty slots */
}

/* Allocates a ring of ring_size ids and a table at most half full. */
static int seen_alloc(seen_cache *c, size_t ring_size) {
    size_t table_size = 1;
    while (table_size < ring_size * 2) table_size *= 2;
    c->table = calloc(table_size, sizeof *c->table);
    c->ring_id = calloc(ring_size, sizeof *c->ring_id);
    c->ring_expiry = calloc(ring_size, sizeof *c->ring_expiry);
    if (c->table == NULL || c->ring_id == NULL || c->ring_expiry == NULL) {
        free(c->table);
        free(c->ring_id);
        free(c->ring_expiry);
        return -1;
    }
    c->table_mask = table_size - 1;
    c->ring_size = ring_size;
    c->ring_head = 0;
    c->ring_len = 0;
    return 0;
}

int seen_cache_init(seen_cache *c, size_t capacity, uint64_t ttl_ns,
                    const uint8_t key[SEEN_CACHE_KEY_BYTES]) {
    assert(capacity > 0);
    assert(capacity <= SEEN_CACHE_CAPACITY_MAX);
    memset(c, 0, sizeof *c);
    if (seen_alloc(c, capacity < SEEN_CACHE_INITIAL ? capacity : SEEN_CACHE_INITIAL) != 0) return -1;
    c->capacity = capacity;
    c->ttl_ns = ttl_ns;
    memcpy(c->key, key, SEEN_CACHE_KEY_BYTES);
    return 0;
}

void seen_cache_free(seen_cache *c) {
    free(c->table);
    free(c->ring_id);
    free(c->ring_expiry);
    memset(c, 0, sizeof *c);
}

static size_t seen_find_slot(const seen_cache *c, uint64_t fp) {
    size_t i = (size_t)fp & c->table_mask;
    while (c->table[i] != 0 && c->table[i] != fp) i = (i + 1) & c->table_mask;
    return i;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void seen_table_remove(seen_cache *c, uint64_t fp) {
    size_t hole = seen_find_slot(c, fp);
    assert(c->table[hole] == fp);
    size_t i = hole;
    for (;;) {
        i = (i + 1) & c->table_mask;
        uint64_t moved = c->table[i];
        if (moved == 0) break;
        size_t home = (size_t)moved & c->table_mask;
        /* moved may fill the hole if its home is not in (hole, i]. */
        bool home_between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!home_between) {
            c->table[hole] = moved;
            hole = i;
        }
    }
    c->table[hole] = 0;
}

static void seen_drop_oldest(seen_cache *c) {
    assert(c->ring_len > 0);
    seen_table_remove(c, c->ring_id[c->ring_head]);
    c->ring_head = (c->ring_head + 1) % c->ring_size;
    c->ring_len--;
}

static void seen_insert(seen_cache *c, uint64_t fp, uint64_t expiry) {
    c->table[seen_find_slot(c, fp)] = fp;
    size_t tail = (c->ring_head + c->ring_len) % c->ring_size;
    c->ring_id[tail] = fp;
    c->ring_expiry[tail] = expiry;
    c->ring_len++;
}

/* Doubles the ring and rebuilds the table; on failure the cache stays as it was. */
static int seen_grow(seen_cache *c) {
    seen_cache old = *c;
    size_t size = old.ring_size * 2 < old.capacity ? old.ring_size * 2 : old.capacity;
    if (seen_alloc(c, size) != 0) {
        *c = old;
        return -1;
    }
    for (size_t i = 0; i < old.ring_len; i++) {
        size_t at = (old.ring_head + i) % old.ring_size;
        seen_insert(c, old.ring_id[at], old.ring_expiry[at]);
    }
    free(old.table);
    free(old.ring_id);
    free(old.ring_expiry);
    return 0;
}

void seen_cache_expire(seen_cache *c, uint64_t now_ns) {
    while (c->ring_len > 0 && c->ring_expiry[c->ring_head] <= now_ns) seen_drop_oldest(c);
}

bool seen_cache_contains(seen_cache *c, const uint8_t *id, size_t len, uint64_t now_ns) {
    seen_cache_expire(c, now_ns);
    uint64_t fp = seen_fingerprint(c, id, len);
    return c->table[seen_find_slot(c, fp)] == fp;
}

void seen_cache_add(seen_cache *c, const uint8_t *id, size_t len, uint64_t now_ns) {
    seen_cache_expire(c, now_ns);
    uint64_t fp = seen_fingerprint(c, id, len);
    if (c->table[seen_find_slot(c, fp)] == fp) return;
    if (c->ring_len == c->ring_size && (c->ring_size == c->capacity || seen_grow(c) != 0))
        seen_drop_oldest(c); /* full: the oldest id goes first */
    seen_insert(c, fp, now_ns + c->ttl_ns);
    assert(c->ring_len <= c->ring_size);
    assert(c->ring_size <= c->capacity);
}

size_t seen_cache_size(const seen_cache *c) { return c->ring_len; }
