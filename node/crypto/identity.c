/*
 * identity: Ed25519 key pairs, their libp2p protobuf encodings and peer IDs
 * (libp2p/specs peer-ids/peer-ids.md). See identity.h.
 *
 * The key decoders take bytes from the network (the Noise handshake payload,
 * identify, signed pubsub messages) and from key files, so they check every
 * field and write their outputs only once the whole input is known good.
 */
#include "identity.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

#include "base/base32.h"
#include "base/base58.h"
#include "base/pb.h"
#include "base/varint.h"

/* Protobuf field numbers of PublicKey and PrivateKey. */
enum { KEY_FIELD_TYPE = 1, KEY_FIELD_DATA = 2 };

/* Multihash function codes and limits (multiformats/multihash). */
enum {
    MULTIHASH_IDENTITY = 0x00,
    MULTIHASH_SHA2_256 = 0x12,
    MULTIHASH_SHA2_256_BYTES = 32,
    /* peer-ids.md: keys whose PublicKey protobuf is at most 42 bytes are
     * inlined; longer ones are hashed, so a longer inline digest is invalid. */
    PEER_ID_INLINE_KEY_MAX = 42,
};

/* CIDv1 text form of a peer ID (peer-ids.md, "String representation"). */
enum { CID_VERSION_1 = 0x01, CID_CODEC_LIBP2P_KEY = 0x72 };
#define MULTIBASE_BASE32_PREFIX 'b'
#define MULTIBASE_BASE58BTC_PREFIX 'z'

/* The legacy PrivateKey Data of old go-libp2p: seed || public || public. */
#define IDENTITY_LEGACY_PRIVATE_DATA_BYTES (IDENTITY_SECRET_KEY_BYTES + IDENTITY_PUBLIC_KEY_BYTES)

_Static_assert(IDENTITY_SECRET_KEY_BYTES == crypto_sign_SECRETKEYBYTES, "libsodium secret key");
_Static_assert(IDENTITY_PUBLIC_KEY_BYTES == crypto_sign_PUBLICKEYBYTES, "libsodium public key");
_Static_assert(IDENTITY_SEED_BYTES == crypto_sign_SEEDBYTES, "libsodium seed");
_Static_assert(IDENTITY_SIGNATURE_BYTES == crypto_sign_BYTES, "libsodium signature");
_Static_assert(IDENTITY_PUBLIC_PROTO_BYTES + 2 <= PEER_ID_MAX_BYTES, "inline peer id fits");
_Static_assert(IDENTITY_PUBLIC_PROTO_BYTES <= PEER_ID_INLINE_KEY_MAX, "Ed25519 ids are inline");

void identity_from_seed(identity *id, const uint8_t seed[IDENTITY_SEED_BYTES]) {
    assert(id != NULL);
    assert(seed != NULL);
    int rc = crypto_sign_seed_keypair(id->public_key, id->secret_key, seed);
    assert(rc == 0);
    (void)rc;
}

void identity_wipe(identity *id) {
    assert(id != NULL);
    sodium_memzero(id->secret_key, sizeof id->secret_key);
}

void identity_sign(const identity *id, const uint8_t *msg, size_t len,
                   uint8_t sig[IDENTITY_SIGNATURE_BYTES]) {
    assert(id != NULL);
    assert(msg != NULL || len == 0);
    assert(sig != NULL);
    int rc = crypto_sign_detached(sig, NULL, msg, len, id->secret_key);
    assert(rc == 0);
    (void)rc;
}

int identity_verify(const uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES], const uint8_t *msg,
                    size_t len, const uint8_t sig[IDENTITY_SIGNATURE_BYTES]) {
    assert(public_key != NULL);
    assert(sig != NULL);
    assert(msg != NULL || len == 0);
    return crypto_sign_verify_detached(sig, msg, len, public_key) == 0 ? 0 : -1;
}

/* Writes {1: Ed25519, 2: data} in field order, as the spec asks for the
 * deterministic encoding that peer IDs are derived from. */
static size_t key_proto_encode(const uint8_t *data, size_t len, uint8_t *out, size_t cap) {
    pb_writer w;
    pb_writer_init(&w, out, cap);
    pb_write_varint_field(&w, KEY_FIELD_TYPE, KEY_TYPE_ED25519);
    pb_write_bytes_field(&w, KEY_FIELD_DATA, data, len);
    assert(pb_writer_ok(&w));
    assert(w.len == cap);
    return w.len;
}

/* Reads a PublicKey or PrivateKey message: exactly one Type (varint) and one
 * Data (bytes), in either order, and nothing else, because the spec forbids
 * extending these messages. Returns 0 with *type and the Data view, or -1. */
static int key_proto_decode(const uint8_t *in, size_t len, uint64_t *type, const uint8_t **data,
                            size_t *data_len) {
    assert(type != NULL);
    assert(data != NULL && data_len != NULL);
    if (in == NULL && len > 0) return -1;
    pb_reader r;
    pb_reader_init(&r, in, len);
    bool have_type = false;
    bool have_data = false;
    pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f)) == PB_FIELD) {
        if (f.number == KEY_FIELD_TYPE && f.wire_type == PB_WIRE_VARINT && !have_type) {
            *type = f.varint;
            have_type = true;
        } else if (f.number == KEY_FIELD_DATA && f.wire_type == PB_WIRE_BYTES && !have_data) {
            *data = f.bytes;
            *data_len = f.len;
            have_data = true;
        } else {
            return -1; /* duplicate, unknown field or wrong wire type */
        }
    }
    if (rc != PB_END || !have_type || !have_data) return -1;
    return 0;
}

void identity_public_proto_encode(const uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES],
                                  uint8_t out[IDENTITY_PUBLIC_PROTO_BYTES]) {
    assert(public_key != NULL);
    assert(out != NULL);
    key_proto_encode(public_key, IDENTITY_PUBLIC_KEY_BYTES, out, IDENTITY_PUBLIC_PROTO_BYTES);
}

int identity_public_proto_decode(const uint8_t *in, size_t len,
                                 uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES]) {
    assert(public_key != NULL);
    uint64_t type = 0;
    const uint8_t *data = NULL;
    size_t data_len = 0;
    if (key_proto_decode(in, len, &type, &data, &data_len) != 0) return -1;
    if (type != KEY_TYPE_ED25519) return -1; /* RSA, secp256k1, ECDSA: unsupported */
    if (data_len != IDENTITY_PUBLIC_KEY_BYTES) return -1;
    memcpy(public_key, data, IDENTITY_PUBLIC_KEY_BYTES);
    return 0;
}

void identity_private_proto_encode(const identity *id, uint8_t out[IDENTITY_PRIVATE_PROTO_BYTES]) {
    assert(id != NULL);
    assert(out != NULL);
    /* libsodium's secret key is already the spec's seed || public layout. */
    key_proto_encode(id->secret_key, IDENTITY_SECRET_KEY_BYTES, out, IDENTITY_PRIVATE_PROTO_BYTES);
}

/* Rebuilds the pair from the seed in data and checks that the public key
 * stored beside it (once, or twice in the legacy layout) is the seed's own:
 * a mismatched pair would sign with one key and claim another. */
static int identity_from_private_data(const uint8_t *data, size_t len, identity *id) {
    assert(data != NULL);
    assert(id != NULL);
    if (len != IDENTITY_SECRET_KEY_BYTES && len != IDENTITY_LEGACY_PRIVATE_DATA_BYTES) return -1;
    const uint8_t *stored_public = data + IDENTITY_SEED_BYTES;
    if (len == IDENTITY_LEGACY_PRIVATE_DATA_BYTES &&
        sodium_memcmp(stored_public, stored_public + IDENTITY_PUBLIC_KEY_BYTES,
                      IDENTITY_PUBLIC_KEY_BYTES) != 0) {
        return -1;
    }
    identity candidate;
    identity_from_seed(&candidate, data);
    int rc = sodium_memcmp(candidate.public_key, stored_public, IDENTITY_PUBLIC_KEY_BYTES);
    if (rc == 0) *id = candidate;
    identity_wipe(&candidate);
    return rc == 0 ? 0 : -1;
}

int identity_private_proto_decode(const uint8_t *in, size_t len, identity *id) {
    assert(id != NULL);
    uint64_t type = 0;
    const uint8_t *data = NULL;
    size_t data_len = 0;
    if (key_proto_decode(in, len, &type, &data, &data_len) != 0) return -1;
    if (type != KEY_TYPE_ED25519) return -1;
    return identity_from_private_data(data, data_len, id);
}

void peer_id_from_public_key(const uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES], peer_id *out) {
    assert(public_key != NULL);
    assert(out != NULL);
    memset(out, 0, sizeof *out);
    out->bytes[0] = MULTIHASH_IDENTITY;
    out->bytes[1] = IDENTITY_PUBLIC_PROTO_BYTES; /* one-byte varint: 36 < 128 */
    identity_public_proto_encode(public_key, out->bytes + 2);
    out->len = 2 + IDENTITY_PUBLIC_PROTO_BYTES;
}

int peer_id_public_key(const peer_id *id, uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES]) {
    assert(id != NULL);
    assert(public_key != NULL);
    assert(id->len <= PEER_ID_MAX_BYTES);
    if (id->len < 2 || id->bytes[0] != MULTIHASH_IDENTITY) return -1;
    if ((size_t)id->bytes[1] != id->len - 2) return -1;
    return identity_public_proto_decode(id->bytes + 2, id->len - 2, public_key);
}

/* Checks the multihash structure: a known code, a minimal varint length that
 * equals the bytes that follow, and the length the code allows. */
static int peer_id_multihash_check(const uint8_t *bytes, size_t len) {
    assert(bytes != NULL || len == 0);
    uint64_t code;
    uint64_t digest_len;
    int n = varint_decode(bytes, len, &code);
    if (n <= 0) return -1;
    size_t pos = (size_t)n;
    n = varint_decode(bytes + pos, len - pos, &digest_len);
    if (n <= 0) return -1;
    pos += (size_t)n;
    assert(pos <= len);
    if (digest_len != len - pos) return -1;
    if (code == MULTIHASH_IDENTITY) {
        return digest_len >= 1 && digest_len <= PEER_ID_INLINE_KEY_MAX ? 0 : -1;
    }
    if (code == MULTIHASH_SHA2_256) return digest_len == MULTIHASH_SHA2_256_BYTES ? 0 : -1;
    return -1;
}

int peer_id_from_bytes(const uint8_t *bytes, size_t len, peer_id *out) {
    assert(out != NULL);
    if (bytes == NULL || len > PEER_ID_MAX_BYTES) return -1;
    if (peer_id_multihash_check(bytes, len) != 0) return -1;
    memset(out, 0, sizeof *out);
    memcpy(out->bytes, bytes, len);
    out->len = len;
    return 0;
}

bool peer_id_equal(const peer_id *a, const peer_id *b) {
    assert(a != NULL && b != NULL);
    assert(a->len <= PEER_ID_MAX_BYTES && b->len <= PEER_ID_MAX_BYTES);
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

int peer_id_to_text(const peer_id *id, char *out, size_t cap) {
    assert(id != NULL);
    assert(id->len <= PEER_ID_MAX_BYTES);
    return base58_encode(id->bytes, id->len, out, cap) < 0 ? -1 : 0;
}

/* A CIDv1 whose codec is libp2p-key: version, codec, then the multihash. */
static int peer_id_from_cid(const uint8_t *cid, size_t len, peer_id *out) {
    uint64_t version;
    uint64_t codec;
    int n = varint_decode(cid, len, &version);
    if (n <= 0 || version != CID_VERSION_1) return -1;
    size_t pos = (size_t)n;
    n = varint_decode(cid + pos, len - pos, &codec);
    if (n <= 0 || codec != CID_CODEC_LIBP2P_KEY) return -1;
    pos += (size_t)n;
    return peer_id_from_bytes(cid + pos, len - pos, out);
}

int peer_id_from_text(const char *text, peer_id *out) {
    assert(text != NULL);
    assert(out != NULL);
    size_t len = strnlen(text, PEER_ID_TEXT_MAX);
    if (len == 0 || len >= PEER_ID_TEXT_MAX) return -1;
    /* Legacy text is a bare multihash, so it starts with '1' (identity) or
     * "Qm" (sha2-256); 'b' and 'z' can only be multibase prefixes of a CID. */
    uint8_t bytes[PEER_ID_MAX_BYTES + 4];
    int n;
    if (text[0] == MULTIBASE_BASE32_PREFIX || text[0] == MULTIBASE_BASE58BTC_PREFIX) {
        n = text[0] == MULTIBASE_BASE32_PREFIX
                ? base32_decode(text + 1, len - 1, bytes, sizeof bytes)
                : base58_decode(text + 1, len - 1, bytes, sizeof bytes);
        return n < 0 ? -1 : peer_id_from_cid(bytes, (size_t)n, out);
    }
    n = base58_decode(text, len, bytes, PEER_ID_MAX_BYTES);
    return n < 0 ? -1 : peer_id_from_bytes(bytes, (size_t)n, out);
}
