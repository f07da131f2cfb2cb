/* fp_table: a bounded, insertion-ordered fingerprint map. See fp_table.h. */
#include "fp_table.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(FP_TABLE_KEY_BYTES == crypto_shorthash_KEYBYTES, "SipHash takes a 16-byte key");

size_t fp_table_capacity_for(uint64_t max_bytes) {
    size_t capacity = 0;
    for (size_t c = 1; c <= FP_TABLE_CAPACITY_MAX && (uint64_t)c * FP_TABLE_BYTES_PER_ENTRY <= max_bytes; c *= 2)
        capacity = c;
    return capacity;
}

uint64_t fp_table_fingerprint(const fp_table *t, const uint8_t *bytes, size_t len) {
    uint8_t hash[crypto_shorthash_BYTES];
    crypto_shorthash(hash, bytes, len, t->key);
    uint64_t fp;
    memcpy(&fp, hash, sizeof fp);
    return fp == 0 ? 1 : fp; /* 0 marks empty slots */
}

/* Allocates a ring of ring_size entries and slots at most half full. */
static int fp_alloc(fp_table *t, size_t ring_size) {
    size_t slots = 1;
    while (slots < ring_size * 2) slots *= 2;
    t->slot_fp = calloc(slots, sizeof *t->slot_fp);
    t->slot_value = calloc(slots, sizeof *t->slot_value);
    t->ring = calloc(ring_size, sizeof *t->ring);
    if (t->slot_fp == NULL || t->slot_value == NULL || t->ring == NULL) {
        free(t->slot_fp);
        free(t->slot_value);
        free(t->ring);
        return -1;
    }
    t->slot_mask = slots - 1;
    t->ring_size = ring_size;
    t->ring_head = 0;
    t->ring_len = 0;
    return 0;
}

int fp_table_init(fp_table *t, size_t capacity, const uint8_t key[FP_TABLE_KEY_BYTES]) {
    assert(capacity > 0 && capacity <= FP_TABLE_CAPACITY_MAX);
    memset(t, 0, sizeof *t);
    if (fp_alloc(t, capacity < FP_TABLE_INITIAL ? capacity : FP_TABLE_INITIAL) != 0) return -1;
    t->capacity = capacity;
    memcpy(t->key, key, FP_TABLE_KEY_BYTES);
    return 0;
}

void fp_table_free(fp_table *t) {
    free(t->slot_fp);
    free(t->slot_value);
    free(t->ring);
    memset(t, 0, sizeof *t);
}

static size_t fp_find_slot(const fp_table *t, uint64_t fp) {
    size_t i = (size_t)fp & t->slot_mask;
    while (t->slot_fp[i] != 0 && t->slot_fp[i] != fp) i = (i + 1) & t->slot_mask;
    return i;
}

uint64_t *fp_table_find(const fp_table *t, uint64_t fp) {
    size_t i = fp_find_slot(t, fp);
    return t->slot_fp[i] == fp ? &t->slot_value[i] : NULL;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void fp_slot_remove(fp_table *t, uint64_t fp) {
    size_t hole = fp_find_slot(t, fp);
    assert(t->slot_fp[hole] == fp);
    size_t i = hole;
    for (;;) {
        i = (i + 1) & t->slot_mask;
        uint64_t moved = t->slot_fp[i];
        if (moved == 0) break;
        size_t home = (size_t)moved & t->slot_mask;
        /* moved may fill the hole if its home is not in (hole, i]. */
        bool home_between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!home_between) {
            t->slot_fp[hole] = moved;
            t->slot_value[hole] = t->slot_value[i];
            hole = i;
        }
    }
    t->slot_fp[hole] = 0;
}

static void fp_insert(fp_table *t, uint64_t fp, uint64_t value) {
    size_t slot = fp_find_slot(t, fp);
    t->slot_fp[slot] = fp;
    t->slot_value[slot] = value;
    t->ring[(t->ring_head + t->ring_len) % t->ring_size] = fp;
    t->ring_len++;
}

/* Doubles the ring and rebuilds the slots; on failure the table stays as it was. */
static int fp_grow(fp_table *t) {
    fp_table old = *t;
    size_t size = old.ring_size * 2 < old.capacity ? old.ring_size * 2 : old.capacity;
    if (fp_alloc(t, size) != 0) {
        *t = old;
        return -1;
    }
    for (size_t i = 0; i < old.ring_len; i++) {
        uint64_t fp = old.ring[(old.ring_head + i) % old.ring_size];
        fp_insert(t, fp, *fp_table_find(&old, fp));
    }
    free(old.slot_fp);
    free(old.slot_value);
    free(old.ring);
    return 0;
}

int fp_table_add(fp_table *t, uint64_t fp, uint64_t value) {
    assert(fp != 0 && fp_table_find(t, fp) == NULL);
    if (t->ring_len == t->ring_size && (t->ring_size == t->capacity || fp_grow(t) != 0)) return -1;
    fp_insert(t, fp, value);
    assert(t->ring_len <= t->ring_size && t->ring_size <= t->capacity);
    return 0;
}

uint64_t fp_table_oldest_value(const fp_table *t) {
    assert(t->ring_len > 0);
    return *fp_table_find(t, t->ring[t->ring_head]);
}

void fp_table_drop_oldest(fp_table *t) {
    assert(t->ring_len > 0);
    fp_slot_remove(t, t->ring[t->ring_head]);
    t->ring_head = (t->ring_head + 1) % t->ring_size;
    t->ring_len--;
}

size_t fp_table_size(const fp_table *t) { return t->ring_len; }

bool fp_table_full(const fp_table *t) { return t->ring_len == t->capacity; }
