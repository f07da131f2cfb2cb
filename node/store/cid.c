/*
 * cid: CIDv1/v0 with sha2-256 multihashes, binary and text (cid.h).
 */
#include "cid.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

#include "base/base32.h"
#include "base/base58.h"
#include "base/varint.h"

#define CID_V0_BYTES 34 /* 0x12 0x20 digest */

void cid_of(cid *out, uint64_t codec, const uint8_t *data, size_t len) {
    assert(codec < CID_CODEC_LIMIT);
    out->version = 1;
    out->codec = codec;
    crypto_hash_sha256(out->digest, data, len);
}

bool cid_matches(const cid *c, const uint8_t *data, size_t len) {
    uint8_t digest[CID_DIGEST_BYTES];
    crypto_hash_sha256(digest, data, len);
    return sodium_memcmp(digest, c->digest, CID_DIGEST_BYTES) == 0;
}

bool cid_equal(const cid *a, const cid *b) {
    return a->version == b->version && a->codec == b->codec &&
           memcmp(a->digest, b->digest, CID_DIGEST_BYTES) == 0;
}

size_t cid_encode(const cid *c, uint8_t out[CID_BYTES_MAX]) {
    assert(c->version <= 1);
    size_t at = 0;
    if (c->version == 1) {
        at += varint_encode(1, out + at);
        at += varint_encode(c->codec, out + at);
    }
    out[at++] = CID_MH_SHA2_256;
    out[at++] = CID_DIGEST_BYTES;
    memcpy(out + at, c->digest, CID_DIGEST_BYTES);
    at += CID_DIGEST_BYTES;
    assert(at <= CID_BYTES_MAX);
    return at;
}

/* One varint at in[*at], below limit; false when malformed or too large. */
static bool read_varint(const uint8_t *in, size_t len, size_t *at, uint64_t limit, uint64_t *value) {
    int used = varint_decode(in + *at, len - *at, value);
    if (used <= 0 || *value >= limit) return false;
    *at += (size_t)used;
    return true;
}

/* The sha2-256 multihash at in[*at]: code, length 32, digest. */
static bool read_multihash(const uint8_t *in, size_t len, size_t *at, uint8_t digest[CID_DIGEST_BYTES]) {
    uint64_t code, size;
    if (!read_varint(in, len, at, UINT64_MAX, &code) || code != CID_MH_SHA2_256) return false;
    if (!read_varint(in, len, at, UINT64_MAX, &size) || size != CID_DIGEST_BYTES) return false;
    if (len - *at < CID_DIGEST_BYTES) return false;
    memcpy(digest, in + *at, CID_DIGEST_BYTES);
    *at += CID_DIGEST_BYTES;
    return true;
}

int cid_decode(const uint8_t *in, size_t len, cid *out) {
    size_t at = 0;
    if (len >= 2 && in[0] == CID_MH_SHA2_256 && in[1] == CID_DIGEST_BYTES) {
        /* v0: a bare multihash; its first byte can never be version 1 */
        if (!read_multihash(in, len, &at, out->digest)) return -1;
        out->version = 0;
        out->codec = CID_CODEC_DAG_PB;
        return (int)at;
    }
    uint64_t version, codec;
    if (!read_varint(in, len, &at, UINT64_MAX, &version) || version != 1) return -1;
    if (!read_varint(in, len, &at, CID_CODEC_LIMIT, &codec)) return -1;
    if (!read_multihash(in, len, &at, out->digest)) return -1;
    out->version = 1;
    out->codec = codec;
    return (int)at;
}

int cid_format(const cid *c, char *out, size_t cap) {
    uint8_t bytes[CID_BYTES_MAX];
    size_t len = cid_encode(c, bytes);
    if (c->version == 0) return base58_encode(bytes, len, out, cap);
    size_t need = 1 + BASE32_TEXT_LEN(len) + 1;
    if (cap < need) return -1;
    out[0] = 'b';
    size_t text = 1 + base32_encode(bytes, len, out + 1);
    out[text] = '\0';
    return (int)text;
}

int cid_parse(const char *text, size_t len, cid *out) {
    uint8_t bytes[CID_BYTES_MAX];
    int n;
    if (len == 46 && text[0] == 'Q' && text[1] == 'm')
        n = base58_decode(text, len, bytes, sizeof bytes);
    else if (len > 1 && text[0] == 'b')
        n = base32_decode(text + 1, len - 1, bytes, sizeof bytes);
    else
        return -1;
    if (n <= 0) return -1;
    cid parsed;
    if (cid_decode(bytes, (size_t)n, &parsed) != n) return -1;
    if ((parsed.version == 0) != (text[0] == 'Q')) return -1; /* a v0 multihash is only written in base58 */
    *out = parsed;
    return 0;
}
