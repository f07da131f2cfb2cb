/*
 * peer_record: signed peer records, the self-certified address lists that
 * identify (signedPeerRecord), gossipsub peer exchange and the DHT carry
 * (libp2p/specs RFC/0002-signed-envelopes.md, RFC/0003-routing-records.md).
 *
 * A record travels inside a signed envelope:
 *
 *   message Envelope {
 *     PublicKey public_key = 1;  // peer-ids.md PublicKey protobuf
 *     bytes payload_type = 2;    // 0x03 0x01 for a peer record
 *     bytes payload = 3;         // the PeerRecord below
 *     bytes signature = 5;       // Ed25519 over the buffer described below
 *   }
 *   message PeerRecord {
 *     message AddressInfo { bytes multiaddr = 1; }
 *     bytes peer_id = 1;          // binary peer ID of the signer
 *     uint64 seq = 2;             // grows with every new record
 *     repeated AddressInfo addresses = 3;
 *   }
 *
 * The signature covers
 *   uvarint(len(domain)) || domain || uvarint(len(payload_type)) ||
 *   payload_type || uvarint(len(payload)) || payload
 * and nothing of the public key, which is bound instead by the record's
 * peer_id having to be the key's own peer ID.
 *
 * Where the specs and the implementations differ, this module follows what
 * go-libp2p (core/peer/record.go, core/record/envelope.go) and js-libp2p
 * (@libp2p/peer-record) put on the wire, since those are the peers it has
 * to read and be read by:
 *   - the domain is "libp2p-peer-record" (RFC 0003 still says
 *     "libp2p-routing-state", which rust-libp2p used until it switched to
 *     the go/js string; see rust-libp2p issue 6204);
 *   - payload_type is the two bytes 0x03 0x01, the multicodec 0x0301 written
 *     big-endian (not its unsigned-varint form 0x81 0x06);
 *   - the signature is field 5 (RFC 0002 shows 4).
 * A published go-libp2p envelope (in js-libp2p's peer-record tests) opens
 * with these values and fails under the RFC's domain; see
 * tests/unit/test_peer_record.c.
 *
 * Only Ed25519 keys are supported. Opening treats the envelope as hostile:
 * malformed protobuf, a known field with the wrong wire type or given twice,
 * or a missing required field is an error; unknown fields are skipped.
 */
#ifndef SWARMLAB_PEER_RECORD_H
#define SWARMLAB_PEER_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

#define PEER_RECORD_ADDRS_MAX 8       /* addresses kept from a record */
#define PEER_RECORD_ADDR_BYTES_MAX 64 /* one binary multiaddr */
#define PEER_RECORD_ENVELOPE_MAX 1024 /* largest envelope accepted or produced */

/* The signature domain and payload type of peer records (see above). */
#define PEER_RECORD_DOMAIN "libp2p-peer-record"
#define PEER_RECORD_PAYLOAD_TYPE_BYTES 2 /* 0x03 0x01 */

typedef struct peer_record {
    peer_id id;     /* the peer the addresses belong to: the signer */
    uint64_t seq;   /* newer records of one peer have larger values */
    size_t addr_count;
    uint8_t addrs[PEER_RECORD_ADDRS_MAX][PEER_RECORD_ADDR_BYTES_MAX]; /* binary multiaddrs */
    size_t addr_lens[PEER_RECORD_ADDRS_MAX];
} peer_record;

/* Encodes rec as a PeerRecord (fields in number order, seq left out when it
 * is 0, as proto3 encoders do), signs it with id under PEER_RECORD_DOMAIN
 * and writes the Envelope to out. Returns the envelope's length (at most
 * PEER_RECORD_ENVELOPE_MAX), or 0, leaving out untouched, if cap is too
 * small or rec cannot be sealed: rec->id is not id's peer ID, addr_count
 * is over PEER_RECORD_ADDRS_MAX, or an address is empty or over
 * PEER_RECORD_ADDR_BYTES_MAX bytes. */
size_t peer_record_seal(const identity *id, const peer_record *rec, uint8_t *out, size_t cap);

/* Opens a sealed peer record: parses the envelope, checks the payload type,
 * verifies the signature under PEER_RECORD_DOMAIN with the envelope's key,
 * then decodes the record and checks that its peer_id is that key's peer
 * ID. Addresses beyond the first PEER_RECORD_ADDRS_MAX, and empty ones or
 * ones over PEER_RECORD_ADDR_BYTES_MAX bytes, are skipped (not an error); a
 * missing seq reads as 0. Returns 0 with *rec filled, or -1 with *rec
 * zeroed and, when reason is not NULL, *reason set to a static string
 * saying why (non-Ed25519 keys: "unsupported key type"). */
int peer_record_open(const uint8_t *env, size_t len, peer_record *rec, const char **reason);

#endif
