/*
 * peer_record: sealing and opening signed peer records (libp2p/specs
 * RFC/0002-signed-envelopes.md, RFC/0003-routing-records.md). See
 * peer_record.h for the messages and where the wire format departs from
 * the RFC text.
 *
 * Opening follows RFC 0003's order: the envelope is parsed and its
 * signature verified before the payload is decoded as a PeerRecord, and
 * the record's peer_id is checked against the envelope's key last.
 */
#include "peer_record.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "base/pb.h"
#include "base/varint.h"

enum {
    ENVELOPE_FIELD_PUBLIC_KEY = 1,
    ENVELOPE_FIELD_PAYLOAD_TYPE = 2,
    ENVELOPE_FIELD_PAYLOAD = 3,
    ENVELOPE_FIELD_SIGNATURE = 5, /* go/js wire format; RFC 0002 shows 4 */
};
enum { RECORD_FIELD_PEER_ID = 1, RECORD_FIELD_SEQ = 2, RECORD_FIELD_ADDRESSES = 3 };
enum { ADDRESS_INFO_FIELD_MULTIADDR = 1 };
enum { PUBLIC_KEY_FIELD_TYPE = 1 }; /* peer-ids.md PublicKey.Type */

/* multicodec libp2p-peer-record (0x0301), as go-libp2p and js-libp2p write it. */
static const uint8_t peer_record_payload_type[PEER_RECORD_PAYLOAD_TYPE_BYTES] = {0x03, 0x01};

#define PEER_RECORD_DOMAIN_LEN (sizeof PEER_RECORD_DOMAIN - 1)
/* The bytes a signature covers: three length prefixes, the domain, and a
 * payload type and payload that came out of one envelope. */
#define PEER_RECORD_SIGNED_MAX \
    (3 * VARINT_MAX_BYTES + PEER_RECORD_DOMAIN_LEN + PEER_RECORD_ENVELOPE_MAX)

/* The largest sealable record: an Ed25519 peer ID, a 10-byte seq and
 * PEER_RECORD_ADDRS_MAX longest addresses (tag, AddressInfo length, inner
 * tag, multiaddr length: one byte each), and its envelope (two-byte
 * payload length). */
#define PEER_RECORD_ED25519_ID_BYTES (2 + IDENTITY_PUBLIC_PROTO_BYTES)
#define PEER_RECORD_PAYLOAD_WORST                                                   \
    (2 + PEER_RECORD_ED25519_ID_BYTES + 1 + VARINT_MAX_BYTES +                      \
     PEER_RECORD_ADDRS_MAX * (4 + PEER_RECORD_ADDR_BYTES_MAX))
#define PEER_RECORD_ENVELOPE_WORST                                                  \
    (2 + IDENTITY_PUBLIC_PROTO_BYTES + 2 + PEER_RECORD_PAYLOAD_TYPE_BYTES + 3 +     \
     PEER_RECORD_PAYLOAD_WORST + 2 + IDENTITY_SIGNATURE_BYTES)

_Static_assert(PEER_RECORD_ADDR_BYTES_MAX + 3 < 128, "AddressInfo lengths are one-byte varints");
_Static_assert(PEER_RECORD_PAYLOAD_WORST < 16384, "payload length is a two-byte varint");
_Static_assert(PEER_RECORD_ENVELOPE_WORST <= PEER_RECORD_ENVELOPE_MAX,
               "every sealable record fits in an envelope");
_Static_assert(sizeof PEER_RECORD_DOMAIN - 1 < 128, "domain length is a one-byte varint");

/* A length-delimited field seen while decoding. */
typedef struct peer_record_view {
    const uint8_t *data;
    size_t len;
    bool present;
} peer_record_view;

typedef struct peer_record_envelope {
    peer_record_view public_key, payload_type, payload, signature;
} peer_record_envelope;

/* A singular length-delimited field: refused with another wire type or when
 * given twice, so that no two readers can disagree about its value. */
static int peer_record_take(const pb_field *field, peer_record_view *slot) {
    assert(field != NULL && slot != NULL);
    if (field->wire_type != PB_WIRE_BYTES || slot->present) return -1;
    slot->data = field->bytes;
    slot->len = field->len;
    slot->present = true;
    return 0;
}

/* Writes the buffer the signature covers (RFC 0002, "Signature Production /
 * Verification") to out and returns its length. */
static size_t peer_record_signed_bytes(const uint8_t *payload_type, size_t payload_type_len,
                                       const uint8_t *payload, size_t payload_len,
                                       uint8_t out[PEER_RECORD_SIGNED_MAX]) {
    assert(payload_type_len + payload_len <= PEER_RECORD_ENVELOPE_MAX);
    pb_writer w;
    pb_writer_init(&w, out, PEER_RECORD_SIGNED_MAX);
    pb_write_varint(&w, PEER_RECORD_DOMAIN_LEN);
    pb_write_raw(&w, (const uint8_t *)PEER_RECORD_DOMAIN, PEER_RECORD_DOMAIN_LEN);
    pb_write_varint(&w, payload_type_len);
    pb_write_raw(&w, payload_type, payload_type_len);
    pb_write_varint(&w, payload_len);
    pb_write_raw(&w, payload, payload_len);
    assert(pb_writer_ok(&w));
    return w.len;
}

/* ---- sealing ---- */

static bool peer_record_sealable(const identity *id, const peer_record *rec) {
    assert(id != NULL && rec != NULL);
    peer_id signer;
    peer_id_from_public_key(id->public_key, &signer);
    if (rec->id.len > PEER_ID_MAX_BYTES || !peer_id_equal(&rec->id, &signer)) return false;
    if (rec->addr_count > PEER_RECORD_ADDRS_MAX) return false;
    for (size_t i = 0; i < rec->addr_count; i++) {
        if (rec->addr_lens[i] == 0 || rec->addr_lens[i] > PEER_RECORD_ADDR_BYTES_MAX) return false;
    }
    return true;
}

/* The PeerRecord protobuf, fields in number order; returns its length. */
static size_t peer_record_encode(const peer_record *rec, uint8_t *out, size_t cap) {
    assert(rec != NULL && rec->addr_count <= PEER_RECORD_ADDRS_MAX);
    pb_writer w;
    pb_writer_init(&w, out, cap);
    pb_write_bytes_field(&w, RECORD_FIELD_PEER_ID, rec->id.bytes, rec->id.len);
    if (rec->seq != 0) pb_write_varint_field(&w, RECORD_FIELD_SEQ, rec->seq); /* proto3 default */
    for (size_t i = 0; i < rec->addr_count; i++) {
        size_t len = rec->addr_lens[i];
        uint64_t info_tag = ((uint64_t)ADDRESS_INFO_FIELD_MULTIADDR << 3) | PB_WIRE_BYTES;
        size_t info_len = varint_size(info_tag) + varint_size(len) + len;
        pb_write_varint(&w, ((uint64_t)RECORD_FIELD_ADDRESSES << 3) | PB_WIRE_BYTES);
        pb_write_varint(&w, info_len);
        pb_write_bytes_field(&w, ADDRESS_INFO_FIELD_MULTIADDR, rec->addrs[i], len);
    }
    assert(pb_writer_ok(&w));
    return w.len;
}

size_t peer_record_seal(const identity *id, const peer_record *rec, uint8_t *out, size_t cap) {
    assert(id != NULL && rec != NULL);
    assert(out != NULL || cap == 0);
    if (!peer_record_sealable(id, rec)) return 0;

    uint8_t payload[PEER_RECORD_PAYLOAD_WORST];
    size_t payload_len = peer_record_encode(rec, payload, sizeof payload);

    uint8_t signed_bytes[PEER_RECORD_SIGNED_MAX];
    size_t signed_len = peer_record_signed_bytes(peer_record_payload_type,
                                                 sizeof peer_record_payload_type, payload,
                                                 payload_len, signed_bytes);
    uint8_t signature[IDENTITY_SIGNATURE_BYTES];
    identity_sign(id, signed_bytes, signed_len, signature);

    uint8_t public_key[IDENTITY_PUBLIC_PROTO_BYTES];
    identity_public_proto_encode(id->public_key, public_key);
    uint8_t envelope[PEER_RECORD_ENVELOPE_WORST];
    pb_writer w;
    pb_writer_init(&w, envelope, sizeof envelope);
    pb_write_bytes_field(&w, ENVELOPE_FIELD_PUBLIC_KEY, public_key, sizeof public_key);
    pb_write_bytes_field(&w, ENVELOPE_FIELD_PAYLOAD_TYPE, peer_record_payload_type,
                         sizeof peer_record_payload_type);
    pb_write_bytes_field(&w, ENVELOPE_FIELD_PAYLOAD, payload, payload_len);
    pb_write_bytes_field(&w, ENVELOPE_FIELD_SIGNATURE, signature, sizeof signature);
    assert(pb_writer_ok(&w));
    assert(w.len <= PEER_RECORD_ENVELOPE_MAX);
    if (w.len > cap) return 0;
    memcpy(out, envelope, w.len);
    return w.len;
}

/* ---- opening ---- */

/* Reads the Envelope's fields; NULL, or why it is malformed. */
static const char *peer_record_envelope_parse(const uint8_t *in, size_t len,
                                              peer_record_envelope *env) {
    assert(env != NULL);
    memset(env, 0, sizeof *env);
    pb_reader r;
    pb_reader_init(&r, in, len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        peer_record_view *slot;
        switch (field.number) {
        case ENVELOPE_FIELD_PUBLIC_KEY: slot = &env->public_key; break;
        case ENVELOPE_FIELD_PAYLOAD_TYPE: slot = &env->payload_type; break;
        case ENVELOPE_FIELD_PAYLOAD: slot = &env->payload; break;
        case ENVELOPE_FIELD_SIGNATURE: slot = &env->signature; break;
        default: continue; /* unknown field: skipped */
        }
        if (peer_record_take(&field, slot) != 0) return "malformed envelope";
    }
    if (rc != PB_END) return "malformed envelope";
    if (!env->public_key.present) return "envelope has no public key";
    return NULL;
}

/* The Ed25519 key of the envelope's PublicKey; NULL, or why not. */
static const char *peer_record_envelope_key(const peer_record_view *key,
                                            uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES]) {
    assert(key != NULL && key->present);
    if (identity_public_proto_decode(key->data, key->len, public_key) == 0) return NULL;
    /* Tell a well-formed key of another type from a broken key. */
    pb_reader r;
    pb_reader_init(&r, key->data, key->len);
    pb_field field;
    while (pb_next(&r, &field) == PB_FIELD) {
        if (field.number == PUBLIC_KEY_FIELD_TYPE && field.wire_type == PB_WIRE_VARINT &&
            field.varint != KEY_TYPE_ED25519) {
            return "unsupported key type";
        }
    }
    return "malformed public key";
}

/* Reads one AddressInfo: its multiaddr (absent reads as empty); 0 or -1. */
static int peer_record_address_parse(const uint8_t *in, size_t len, peer_record_view *multiaddr) {
    assert(multiaddr != NULL);
    memset(multiaddr, 0, sizeof *multiaddr);
    pb_reader r;
    pb_reader_init(&r, in, len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        if (field.number != ADDRESS_INFO_FIELD_MULTIADDR) continue;
        if (peer_record_take(&field, multiaddr) != 0) return -1;
    }
    return rc == PB_END ? 0 : -1;
}

/* Keeps an address if there is room and it is neither empty nor too long. */
static void peer_record_keep_address(peer_record *rec, const peer_record_view *multiaddr) {
    assert(rec->addr_count <= PEER_RECORD_ADDRS_MAX);
    if (rec->addr_count == PEER_RECORD_ADDRS_MAX) return;
    if (multiaddr->len == 0 || multiaddr->len > PEER_RECORD_ADDR_BYTES_MAX) return;
    memcpy(rec->addrs[rec->addr_count], multiaddr->data, multiaddr->len);
    rec->addr_lens[rec->addr_count] = multiaddr->len;
    rec->addr_count++;
}

/* Decodes a PeerRecord into rec (zeroed by the caller); NULL, or why not. */
static const char *peer_record_decode(const uint8_t *in, size_t len, peer_record *rec) {
    assert(rec != NULL);
    bool has_id = false;
    bool has_seq = false;
    pb_reader r;
    pb_reader_init(&r, in, len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        if (field.number == RECORD_FIELD_PEER_ID) {
            if (field.wire_type != PB_WIRE_BYTES || has_id) return "malformed record";
            if (peer_id_from_bytes(field.bytes, field.len, &rec->id) != 0) {
                return "record peer id is not a peer id";
            }
            has_id = true;
        } else if (field.number == RECORD_FIELD_SEQ) {
            if (field.wire_type != PB_WIRE_VARINT || has_seq) return "malformed record";
            rec->seq = field.varint;
            has_seq = true;
        } else if (field.number == RECORD_FIELD_ADDRESSES) {
            peer_record_view multiaddr;
            if (field.wire_type != PB_WIRE_BYTES ||
                peer_record_address_parse(field.bytes, field.len, &multiaddr) != 0) {
                return "malformed record";
            }
            peer_record_keep_address(rec, &multiaddr);
        } /* else an unknown field: skipped */
    }
    if (rc != PB_END) return "malformed record";
    if (!has_id) return "record has no peer id";
    return NULL;
}

/* Everything peer_record_open checks, in order; NULL when rec is good. */
static const char *peer_record_open_checked(const uint8_t *in, size_t len, peer_record *rec) {
    if (len > PEER_RECORD_ENVELOPE_MAX) return "envelope too large";
    if (in == NULL && len > 0) return "malformed envelope";
    peer_record_envelope env;
    const char *why = peer_record_envelope_parse(in, len, &env);
    if (why != NULL) return why;

    if (env.payload_type.len != sizeof peer_record_payload_type ||
        memcmp(env.payload_type.data, peer_record_payload_type,
               sizeof peer_record_payload_type) != 0) {
        return "wrong payload type";
    }
    uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES];
    why = peer_record_envelope_key(&env.public_key, public_key);
    if (why != NULL) return why;
    if (env.signature.len != IDENTITY_SIGNATURE_BYTES) return "missing or malformed signature";

    uint8_t signed_bytes[PEER_RECORD_SIGNED_MAX];
    size_t signed_len = peer_record_signed_bytes(env.payload_type.data, env.payload_type.len,
                                                 env.payload.data, env.payload.len, signed_bytes);
    if (identity_verify(public_key, signed_bytes, signed_len, env.signature.data) != 0) {
        return "bad signature";
    }

    why = peer_record_decode(env.payload.data, env.payload.len, rec);
    if (why != NULL) return why;
    peer_id signer;
    peer_id_from_public_key(public_key, &signer);
    if (!peer_id_equal(&rec->id, &signer)) return "record peer id is not the signer's";
    return NULL;
}

int peer_record_open(const uint8_t *env, size_t len, peer_record *rec, const char **reason) {
    assert(rec != NULL);
    memset(rec, 0, sizeof *rec);
    const char *why = peer_record_open_checked(env, len, rec);
    if (why == NULL) {
        assert(rec->addr_count <= PEER_RECORD_ADDRS_MAX);
        return 0;
    }
    memset(rec, 0, sizeof *rec); /* no partial record */
    if (reason != NULL) *reason = why;
    return -1;
}
