/*
 * verify_memo: see verify_memo.h. A ring of entries in insertion order and
 * a chained hash index over it (bucket heads, next links), both indices
 * into the ring.
 */
#include "verify_memo.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/ed25519_verify.h"

#define MEMO_NONE UINT32_MAX

typedef struct memo_entry {
    uint8_t digest[VERIFY_MEMO_DIGEST_BYTES];
    uint32_t next; /* the next entry of its bucket, or MEMO_NONE */
    int8_t verdict; /* 0 valid, -1 not */
} memo_entry;

struct verify_memo {
    memo_entry *ring;   /* capacity entries; [0, count) used */
    uint32_t *buckets;  /* bucket_mask + 1 heads */
    uint32_t capacity, count, oldest; /* oldest: the next to go once full */
    uint32_t bucket_mask;
    uint64_t hits, misses;
    pthread_mutex_t lock; /* the parallel world's threads share the memo */
};

verify_memo *verify_memo_create(size_t capacity) {
    if (capacity == 0) capacity = VERIFY_MEMO_ENTRIES;
    if (capacity >= MEMO_NONE / 2) return NULL;
    verify_memo *m = calloc(1, sizeof *m);
    if (m == NULL) return NULL;
    pthread_mutex_init(&m->lock, NULL);
    size_t buckets = 1;
    while (buckets < 2 * capacity) buckets *= 2; /* load at most 1/2 */
    m->ring = malloc(capacity * sizeof *m->ring);
    m->buckets = malloc(buckets * sizeof *m->buckets);
    if (m->ring == NULL || m->buckets == NULL) {
        verify_memo_destroy(m);
        return NULL;
    }
    for (size_t i = 0; i < buckets; i++) m->buckets[i] = MEMO_NONE;
    m->capacity = (uint32_t)capacity;
    m->bucket_mask = (uint32_t)(buckets - 1);
    return m;
}

void verify_memo_destroy(verify_memo *m) {
    if (m == NULL) return;
    free(m->ring);
    free(m->buckets);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* BLAKE2b-256 of public key || signature || message. */
static void memo_digest(const uint8_t public_key[32], const uint8_t *msg, size_t len, const uint8_t sig[64],
                        uint8_t out[VERIFY_MEMO_DIGEST_BYTES]) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, VERIFY_MEMO_DIGEST_BYTES);
    crypto_generichash_update(&st, public_key, 32);
    crypto_generichash_update(&st, sig, 64);
    if (len > 0) crypto_generichash_update(&st, msg, len);
    crypto_generichash_final(&st, out, VERIFY_MEMO_DIGEST_BYTES);
}

static uint32_t memo_bucket(const verify_memo *m, const uint8_t digest[VERIFY_MEMO_DIGEST_BYTES]) {
    uint32_t h;
    memcpy(&h, digest, sizeof h); /* a uniform hash already */
    return h & m->bucket_mask;
}

/* The entry holding digest, or MEMO_NONE. */
static uint32_t memo_find(const verify_memo *m, const uint8_t digest[VERIFY_MEMO_DIGEST_BYTES]) {
    for (uint32_t i = m->buckets[memo_bucket(m, digest)]; i != MEMO_NONE; i = m->ring[i].next)
        if (memcmp(m->ring[i].digest, digest, VERIFY_MEMO_DIGEST_BYTES) == 0) return i;
    return MEMO_NONE;
}

/* Takes entry i out of its bucket's chain. */
static void memo_unlink(verify_memo *m, uint32_t i) {
    uint32_t *link = &m->buckets[memo_bucket(m, m->ring[i].digest)];
    while (*link != i) {
        assert(*link != MEMO_NONE);
        link = &m->ring[*link].next;
    }
    *link = m->ring[i].next;
}

/* Remembers a verdict; once full, in the slot of the oldest. */
static void memo_insert(verify_memo *m, const uint8_t digest[VERIFY_MEMO_DIGEST_BYTES], int verdict) {
    uint32_t i;
    if (m->count < m->capacity) {
        i = m->count++;
    } else {
        i = m->oldest;
        m->oldest = (m->oldest + 1) % m->capacity;
        memo_unlink(m, i);
    }
    memo_entry *e = &m->ring[i];
    memcpy(e->digest, digest, VERIFY_MEMO_DIGEST_BYTES);
    e->verdict = (int8_t)verdict;
    uint32_t *head = &m->buckets[memo_bucket(m, digest)];
    e->next = *head;
    *head = i;
}

int verify_memo_check(verify_memo *m, const uint8_t public_key[32], const uint8_t *msg, size_t len,
                      const uint8_t sig[64]) {
    assert(m != NULL && public_key != NULL && sig != NULL && (msg != NULL || len == 0));
    uint8_t digest[VERIFY_MEMO_DIGEST_BYTES];
    memo_digest(public_key, msg, len, sig, digest);
    pthread_mutex_lock(&m->lock); /* the lookup */
    uint32_t i = memo_find(m, digest);
    if (i != MEMO_NONE) {
        m->hits++;
        int known = m->ring[i].verdict;
        pthread_mutex_unlock(&m->lock);
        return known;
    }
    m->misses++;
    pthread_mutex_unlock(&m->lock);
    int verdict = ed25519_verify(public_key, msg, len, sig) == 0 ? 0 : -1;
    pthread_mutex_lock(&m->lock); /* the insertion (another thread may have inserted it meanwhile) */
    if (memo_find(m, digest) == MEMO_NONE) memo_insert(m, digest, verdict);
    pthread_mutex_unlock(&m->lock);
    return verdict;
}

void verify_memo_get_stats(const verify_memo *m, verify_memo_stats *out) {
    assert(m != NULL && out != NULL);
    *out = (verify_memo_stats){.hits = m->hits, .misses = m->misses, .entries = m->count, .capacity = m->capacity};
}
