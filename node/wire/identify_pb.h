/*
 * identify_pb: the Identify message of /ipfs/id/1.0.0 and /ipfs/id/push/1.0.0
 * (libp2p/specs identify/README.md):
 *
 *   message Identify {
 *     optional string protocolVersion = 5;   optional string agentVersion = 6;
 *     optional bytes publicKey = 1;           repeated bytes listenAddrs = 2;
 *     optional bytes observedAddr = 4;        repeated string protocols = 3;
 *     optional bytes signedPeerRecord = 8;
 *   }
 *
 * Decoding yields views into the input buffer (no allocation) and treats the
 * input as hostile. It returns -1, with the message left empty, for
 * malformed protobuf, a known field with the wrong wire type, a singular
 * field given twice, more than IDENTIFY_PROTOCOLS_MAX protocols or
 * IDENTIFY_ADDRS_MAX listen addresses, a protocol name that is empty or over
 * IDENTIFY_PROTOCOL_NAME_MAX bytes, a version text over IDENTIFY_TEXT_MAX,
 * an address over IDENTIFY_ADDR_BYTES_MAX, or a message over
 * IDENTIFY_MESSAGE_MAX_BYTES. Unknown fields are skipped. Addresses and the
 * public key stay raw (binary multiaddrs, a PublicKey protobuf): callers
 * decode what they understand and ignore the rest, as the spec lets peers
 * send partial updates.
 *
 * Encoding writes fields in field-number order (1, 2, 3, 4, 5, 6, 8), so the
 * same message always gives the same bytes (the order go-libp2p and
 * rust-libp2p write), and refuses (returns 0) anything the decoder would
 * reject.
 */
#ifndef SWARMLAB_IDENTIFY_PB_H
#define SWARMLAB_IDENTIFY_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDENTIFY_PROTOCOL "/ipfs/id/1.0.0"
#define IDENTIFY_PUSH_PROTOCOL "/ipfs/id/push/1.0.0"

/* Largest Identify accepted: go-libp2p caps a signed identify at 8 KiB. */
#define IDENTIFY_MESSAGE_MAX_BYTES 8192
#define IDENTIFY_PROTOCOLS_MAX 64
/* Room for dual-stack hosts that listen on several transports. */
#define IDENTIFY_ADDRS_MAX 32
#define IDENTIFY_PROTOCOL_NAME_MAX 128  /* bytes of one protocol id */
#define IDENTIFY_TEXT_MAX 256           /* bytes of protocolVersion, agentVersion */
#define IDENTIFY_ADDR_BYTES_MAX 256     /* bytes of one binary multiaddr */

typedef struct identify_bytes {
    const uint8_t *data;
    size_t len;
} identify_bytes;

typedef struct identify_message {
    identify_bytes protocol_version;
    identify_bytes agent_version;
    identify_bytes public_key;        /* PublicKey protobuf (peer-ids.md) */
    identify_bytes observed_addr;     /* binary multiaddr */
    identify_bytes signed_peer_record; /* SignedEnvelope, kept raw */
    bool has_protocol_version, has_agent_version, has_public_key, has_observed_addr,
        has_signed_peer_record;
    identify_bytes listen_addrs[IDENTIFY_ADDRS_MAX]; /* binary multiaddrs */
    size_t listen_addr_count;
    identify_bytes protocols[IDENTIFY_PROTOCOLS_MAX];
    size_t protocol_count;
} identify_message;

/* A view of a NUL-terminated string (without the NUL), for filling a
 * message to encode. */
identify_bytes identify_text(const char *text);

/* 0, or -1 (see above); on -1 *msg is left empty. */
int identify_decode(const uint8_t *in, size_t len, identify_message *msg);
/* The bytes written, or 0 if cap is too small, msg breaks a limit, or msg
 * has no field at all. */
size_t identify_encode(const identify_message *msg, uint8_t *out, size_t cap);

#endif
