/*
 * verify_memo: the world's memo of Ed25519 verdicts (issue 16,
 * `world.verify_memo`, on by default; docs/performance.md).
 *
 * Ed25519 verification is a pure function of (public key, message,
 * signature), and in a world of a thousand nodes all of them check the
 * same triple of every message. The memo answers the node's seam call
 * (env.verify_ed25519): it remembers the verdict of a triple it has
 * checked and gives it to every node that asks the same. Every node still
 * asks, for every message it verifies, and acts on the answer; the answer
 * is the one ed25519_verify would give, so no virtual-time behaviour
 * changes (the digests are the same with the memo on and off).
 *
 * The key is BLAKE2b-256 (libsodium's crypto_generichash, already linked)
 * of public key (32 bytes) || signature (64) || message: fixed-length
 * fields first, so the encoding is unambiguous. A digest, not the inputs:
 * messages run to 128 KiB and more (blobs), and storing them to compare on
 * a hit would cost a copy of every message; a 256-bit collision-resistant
 * hash makes a hit on different inputs as unlikely as a BLAKE2b collision
 * (2^-128 work for an attacker who chooses both), so a forged message can
 * never borrow a genuine one's verdict. Hashing costs about 1.5 us per KiB
 * against about 20 us for a check. Hits compare all 32 digest bytes.
 *
 * Memory is bounded: at most VERIFY_MEMO_ENTRIES verdicts (40 bytes each,
 * with the bucket heads about 3 MiB). When it is full the oldest verdict
 * is forgotten (insertion order, a ring), so what it holds is a function of
 * the sequence of checks alone: deterministic in the serial world.
 *
 * Threads: not built yet. The parallel world will share one memo between
 * its threads. check() is written for that: the hash and the verification
 * itself run outside the two short sections marked "critical" (a bucket
 * walk with 32-byte compares; an insertion), which will take one mutex (or
 * one per stripe, striping by the digest's first byte); a verdict found
 * inserted by another thread meanwhile is not inserted twice. Which checks
 * hit then depends on the threads' interleaving, which moves the hit and
 * miss counts but never a verdict, so digests stay identical for any
 * thread count. ed25519_verify's own key cache is process state too and
 * will need the same care.
 */
#ifndef SWARMLAB_VERIFY_MEMO_H
#define SWARMLAB_VERIFY_MEMO_H

#include <stddef.h>
#include <stdint.h>

#define VERIFY_MEMO_ENTRIES (1u << 16) /* 65,536 verdicts: a 1,000-peer run holds about 1 s of messages */
#define VERIFY_MEMO_DIGEST_BYTES 32    /* BLAKE2b-256 */

typedef struct verify_memo verify_memo;

typedef struct verify_memo_stats {
    uint64_t hits, misses; /* checks answered from the memo; checks computed */
    uint64_t entries;      /* verdicts held now */
    uint64_t capacity;     /* VERIFY_MEMO_ENTRIES, or what create was given */
} verify_memo_stats;

/* A memo of at most capacity verdicts (0: VERIFY_MEMO_ENTRIES); NULL when
 * memory runs out. */
verify_memo *verify_memo_create(size_t capacity);
void verify_memo_destroy(verify_memo *m);

/* ed25519_verify's answer for (public_key, msg, sig): 0 valid, -1 not;
 * from the memo when it holds this triple's verdict, else computed and
 * remembered. */
int verify_memo_check(verify_memo *m, const uint8_t public_key[32], const uint8_t *msg, size_t len,
                      const uint8_t sig[64]);

void verify_memo_get_stats(const verify_memo *m, verify_memo_stats *out);

#endif
