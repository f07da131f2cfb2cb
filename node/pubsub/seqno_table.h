/*
 * seqno_table: the seqno validator's memory, the highest sequence number
 * accepted from each origin (the peer that signed a message), so that a
 * message at or below it, a replay from beyond the seen cache's window,
 * can be ignored. go-libp2p-pubsub's BasicSeqnoValidator keeps the same
 * nonce per origin, in the peerstore; this table is bounded instead.
 *
 * Origins are keyed by fingerprint (fp_table). When the table holds its
 * capacity, the origin added first is forgotten to make room: its next
 * message is accepted and starts a new entry, and until then its old
 * messages are guarded by the seen cache alone (a replay older than
 * seen_ttl would be delivered once more). Ignoring new origins instead
 * would let a crowd of fresh keys silence every new honest publisher.
 */
#ifndef SWARMLAB_SEQNO_TABLE_H
#define SWARMLAB_SEQNO_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_table.h"

typedef struct seqno_table {
    fp_table origins; /* origin fingerprint -> highest seqno accepted */
    uint64_t forgotten; /* origins dropped to make room, for tests and traces */
} seqno_table;

/* 0, or -1 when memory runs out. 0 < origins_max <= FP_TABLE_CAPACITY_MAX. */
int seqno_table_init(seqno_table *t, size_t origins_max, const uint8_t key[FP_TABLE_KEY_BYTES]);
void seqno_table_free(seqno_table *t);
/* Whether seqno is above the highest accepted from origin (any is, from an
 * origin not in the table). */
bool seqno_table_is_new(const seqno_table *t, const uint8_t *origin, size_t origin_len, uint64_t seqno);
/* Records seqno as origin's highest if it is above the one kept; a new
 * origin in a full table first forgets the oldest. 0, or -1 when memory
 * runs out (the origin is not recorded). */
int seqno_table_accept(seqno_table *t, const uint8_t *origin, size_t origin_len, uint64_t seqno);
size_t seqno_table_size(const seqno_table *t);

#endif
