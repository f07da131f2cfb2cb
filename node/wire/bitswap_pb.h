/*
 * bitswap_pb: the message of Bitswap 1.2.0 (ipfs/specs bitswap-protocol.md),
 * /ipfs/bitswap/1.2.0:
 *
 *   message Message {
 *     message Wantlist {
 *       enum WantType { Block = 0; Have = 1; }
 *       message Entry { bytes block = 1; int32 priority = 2; bool cancel = 3;
 *                       WantType wantType = 4; bool sendDontHave = 5; }
 *       repeated Entry entries = 1; bool full = 2;
 *     }
 *     message Block { bytes prefix = 1; bytes data = 2; }
 *     enum BlockPresenceType { Have = 0; DontHave = 1; }
 *     message BlockPresence { bytes cid = 1; BlockPresenceType type = 2; }
 *     Wantlist wantlist = 1; repeated bytes blocks = 2;   (1.0.0's, skipped)
 *     repeated Block payload = 3; repeated BlockPresence blockPresences = 4;
 *     int32 pendingBytes = 5;
 *   }
 *
 * Decoding yields views into the input (no allocation) and treats it as
 * hostile: it returns -1 for malformed protobuf, a known field of the wrong
 * wire type, a second wantlist, counts over the limits below, a CID field
 * empty or over BITSWAP_CID_BYTES_MAX, a prefix over BITSWAP_PREFIX_BYTES_MAX,
 * a block over BITSWAP_BLOCK_BYTES_MAX, an enum value the spec does not
 * name, an int32 that is not one (past 32 bits, not sign-extended), or a message over BITSWAP_MESSAGE_MAX_BYTES. CIDs and prefixes stay
 * bytes here: the exchange decodes them (node/store). Unknown fields are
 * skipped. Encoding writes fields in field-number order and leaves out
 * proto3 defaults, and refuses (returns 0) what the decoder would refuse.
 */
#ifndef SWARMLAB_BITSWAP_PB_H
#define SWARMLAB_BITSWAP_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BITSWAP_PROTOCOL "/ipfs/bitswap/1.2.0"

/* One message on the stream: a 1 MiB block and room for the rest. */
#define BITSWAP_MESSAGE_MAX_BYTES (2u << 20)
#define BITSWAP_ENTRIES_MAX 1024   /* wantlist entries in one message */
#define BITSWAP_BLOCKS_MAX 256     /* payload blocks in one message */
#define BITSWAP_PRESENCES_MAX 1024 /* block presences in one message */
#define BITSWAP_CID_BYTES_MAX 64   /* a binary CID (ours are at most 40) */
#define BITSWAP_PREFIX_BYTES_MAX 32
/* A block's bytes; the same number as node/store's STORE_BLOCK_MAX, which
 * this layer may not see (the exchange asserts they agree). */
#define BITSWAP_BLOCK_BYTES_MAX (1u << 20)

enum bitswap_want_type { BITSWAP_WANT_BLOCK = 0, BITSWAP_WANT_HAVE = 1 };
enum bitswap_presence_type { BITSWAP_HAVE = 0, BITSWAP_DONT_HAVE = 1 };

typedef struct bitswap_bytes {
    const uint8_t *data;
    size_t len;
} bitswap_bytes;

typedef struct bitswap_entry {
    bitswap_bytes cid;
    int32_t priority;
    bool cancel;
    uint8_t want_type; /* enum bitswap_want_type */
    bool send_dont_have;
} bitswap_entry;

typedef struct bitswap_block {
    bitswap_bytes prefix; /* cid version, codec, multihash code and length */
    bitswap_bytes data;
} bitswap_block;

typedef struct bitswap_presence {
    bitswap_bytes cid;
    uint8_t type; /* enum bitswap_presence_type */
} bitswap_presence;

/* About 70 KiB: callers keep one, not on the stack. */
typedef struct bitswap_message {
    bool has_wantlist;
    bool full;
    int32_t pending_bytes;
    size_t entry_count, block_count, presence_count;
    bitswap_entry entries[BITSWAP_ENTRIES_MAX];
    bitswap_block blocks[BITSWAP_BLOCKS_MAX];
    bitswap_presence presences[BITSWAP_PRESENCES_MAX];
} bitswap_message;

/* Empties msg (the counts and flags; the arrays are left as they are). */
void bitswap_message_clear(bitswap_message *msg);
/* 0, or -1 (see above) with msg cleared. */
int bitswap_decode(const uint8_t *data, size_t len, bitswap_message *msg);
/* The bytes bitswap_encode writes for msg. */
size_t bitswap_encoded_size(const bitswap_message *msg);
/* What one more block, presence or entry adds to a message that already
 * has a wantlist (an entry) or any content: for filling a message up to
 * BITSWAP_MESSAGE_MAX_BYTES. */
size_t bitswap_block_size(const bitswap_block *block);
size_t bitswap_presence_size(const bitswap_presence *presence);
size_t bitswap_entry_size(const bitswap_entry *entry);
/* Writes msg into out[0..cap); returns the length, or 0 when msg breaks a
 * limit or cap is too small. */
size_t bitswap_encode(const bitswap_message *msg, uint8_t *out, size_t cap);

#endif
