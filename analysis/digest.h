/*
 * digest: the trace digest, a BLAKE2b-256 hash over a canonical encoding of
 * every event in order. Equal digests mean identical behaviour.
 *
 * The encoding of one event, all integers little-endian:
 *   kind (u8), time_ns (u64), node_index (u32), size_bytes (u64),
 *   payload_bytes (u64), message_count (u32), ihave_ids (u32),
 *   iwant_ids (u32), idontwant_ids (u32), grafts (u32), prunes (u32),
 *   control_bytes (u64), score (u64: its IEEE-754 binary64 bits), then
 *   msg_id, topic, peer, reason and protocol, each as a u32 length and its
 *   bytes (0 for absent). Every event carries every fixed field, 0 where
 *   its kind has none, so that the encoding needs no per-kind rules.
 */
#ifndef SWARMLAB_DIGEST_H
#define SWARMLAB_DIGEST_H

#include <sodium.h>

#include "trace/trace.h"

#define DIGEST_BYTES 32
#define DIGEST_HEX_BYTES (2 * DIGEST_BYTES + 1)

typedef struct trace_digest {
    crypto_generichash_state state;
} trace_digest;

void trace_digest_init(trace_digest *d);
void trace_digest_update(trace_digest *d, const trace_event *event);
/* Writes the lowercase hex digest, NUL-terminated. */
void trace_digest_final(trace_digest *d, char hex[DIGEST_HEX_BYTES]);

#endif
