/*
 * ed25519_verify: Ed25519 signature verification (RFC 8032) that accepts
 * exactly what libsodium's crypto_sign_verify_detached accepts, faster for
 * keys that sign many messages.
 *
 * libsodium checks a signature with one double-scalar multiplication,
 * about 256 point doublings after decompressing the key. Here the key is
 * decompressed once and expanded into a comb table of its multiples (32
 * KiB, kept in a small cache of keys seen more than once), so a check
 * costs 10 doublings and at most 102 table additions (radix-32 digits),
 * with the base point's table built once. Each check still hashes
 * R || A || M and computes [s]B - [h]A from this signature's own bytes:
 * nothing about a signature's outcome is remembered.
 *
 * The rules, as libsodium 1.0.18 (not ED25519_COMPAT) applies them:
 * s must be below the group order L; R and A must not be of small order
 * (their y, taken mod p, is none of 0, 1, -1 and the two y of order 8);
 * A must be canonical (y < p) and on the curve; then the encoding of
 * [s]B - [h]A, h = SHA-512(R || A || M) mod L, must equal R's 32 bytes
 * (the cofactorless equation).
 *
 * Variable time throughout, which is safe because every input is public.
 * Not thread-safe: the key cache and the base table are process state,
 * and every runtime here (the world, the daemon) runs its nodes on one
 * thread. Memory is bounded: at most ED25519_CACHE_KEYS tables.
 */
#ifndef SWARMLAB_ED25519_VERIFY_H
#define SWARMLAB_ED25519_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#define ED25519_CACHE_SETS 128
#define ED25519_CACHE_WAYS 4
#define ED25519_CACHE_KEYS (ED25519_CACHE_SETS * ED25519_CACHE_WAYS) /* 512 tables, 16 MiB at most */

/* 0 when sig is a valid signature of msg by public_key, else -1. A key
 * gets its table the second time it is seen (while it is remembered as a
 * candidate), so a stream of one-off keys never evicts busy ones; until
 * then the check is libsodium's own. */
int ed25519_verify(const uint8_t public_key[32], const uint8_t *msg, size_t len, const uint8_t sig[64]);

/* The same check, always through a freshly expanded table of the key
 * (no cache): what the tests compare with libsodium. */
int ed25519_verify_uncached(const uint8_t public_key[32], const uint8_t *msg, size_t len, const uint8_t sig[64]);

/* Frees every cached table (they come back on demand). */
void ed25519_verify_forget(void);

typedef struct ed25519_verify_stats {
    uint64_t checks, table_hits, tables_built, evictions;
} ed25519_verify_stats;
void ed25519_verify_get_stats(ed25519_verify_stats *out);

#endif
