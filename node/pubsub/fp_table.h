/*
 * fp_table: a bounded map from byte strings to 64-bit values, in the
 * order they were added; the store under the seen cache (seen_cache.h) and
 * the seqno validator's table of origins (seqno_table.h).
 *
 * Keys are reduced to 64-bit SipHash fingerprints under a key drawn from
 * the environment, so that a remote peer cannot craft collisions; lookups
 * are O(1) (open addressing, at most half full, backward-shift deletion);
 * a ring keeps the order of insertion, so the oldest entry is found in
 * O(1). The table starts small and doubles up to its capacity, so that a
 * thousand quiet nodes in the world do not each hold megabytes of empty
 * table; at capacity it refuses, and the caller chooses what to drop.
 */
#ifndef SWARMLAB_FP_TABLE_H
#define SWARMLAB_FP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_TABLE_KEY_BYTES 16
#define FP_TABLE_INITIAL 256            /* entries, before the first doubling */
#define FP_TABLE_CAPACITY_MAX (1u << 24) /* the most entries any table may hold (640 MiB) */
/* Memory per entry at a power-of-two capacity: a fingerprint in the ring
 * (8 bytes) and two table slots of fingerprint and value (2 x 16). */
#define FP_TABLE_BYTES_PER_ENTRY 40

typedef struct fp_table {
    uint64_t *slot_fp;    /* open addressing; 0 marks an empty slot */
    uint64_t *slot_value; /* the value of each slot's fingerprint */
    size_t slot_mask;     /* slots - 1, a power of two */
    uint64_t *ring;       /* fingerprints in insertion order */
    size_t ring_head, ring_len;
    size_t ring_size; /* allocated entries, doubling up to capacity */
    size_t capacity;  /* the most entries held */
    uint8_t key[FP_TABLE_KEY_BYTES];
} fp_table;

/* 0, or -1 when memory runs out. 0 < capacity <= FP_TABLE_CAPACITY_MAX. */
int fp_table_init(fp_table *t, size_t capacity, const uint8_t key[FP_TABLE_KEY_BYTES]);
void fp_table_free(fp_table *t);
/* The largest power-of-two capacity whose full table fits in max_bytes
 * (at most FP_TABLE_CAPACITY_MAX); 0 when not even one entry fits. A
 * doubling holds the old arrays too: 1.5 times that for the instant of the
 * last one. */
size_t fp_table_capacity_for(uint64_t max_bytes);

/* The fingerprint of bytes under the table's key; never 0. */
uint64_t fp_table_fingerprint(const fp_table *t, const uint8_t *bytes, size_t len);
/* The value of fp, NULL when absent (valid until the table changes). */
uint64_t *fp_table_find(const fp_table *t, uint64_t fp);
/* Adds fp (absent) with value, as the newest entry: 0, or -1 when the
 * table holds capacity entries (or cannot grow), and nothing changes. */
int fp_table_add(fp_table *t, uint64_t fp, uint64_t value);
/* The oldest entry's value; the table must not be empty. */
uint64_t fp_table_oldest_value(const fp_table *t);
void fp_table_drop_oldest(fp_table *t);
size_t fp_table_size(const fp_table *t);
bool fp_table_full(const fp_table *t);

#endif
