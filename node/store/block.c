/*
 * block: CID prefixes, as Bitswap carries them beside a block (block.h).
 */
#include "block.h"

#include <assert.h>

#include "base/varint.h"

size_t block_prefix_encode(const cid *c, uint8_t out[BLOCK_PREFIX_MAX]) {
    assert(c->version <= 1);
    size_t at = 0;
    at += varint_encode(c->version, out + at);
    at += varint_encode(c->codec, out + at);
    at += varint_encode(CID_MH_SHA2_256, out + at);
    at += varint_encode(CID_DIGEST_BYTES, out + at);
    assert(at <= BLOCK_PREFIX_MAX);
    return at;
}

/* The four varints of a prefix, in order; false unless exactly four. */
static bool block_prefix_read(const uint8_t *prefix, size_t len, uint64_t fields[4]) {
    size_t at = 0;
    for (int i = 0; i < 4; i++) {
        int used = varint_decode(prefix + at, len - at, &fields[i]);
        if (used <= 0) return false;
        at += (size_t)used;
    }
    return at == len;
}

int block_prefix_cid(const uint8_t *prefix, size_t len, const uint8_t *data, size_t data_len, cid *out) {
    uint64_t f[4]; /* version, codec, multihash code, digest length */
    if (prefix == NULL || !block_prefix_read(prefix, len, f)) return -1;
    if (f[0] > 1 || f[2] != CID_MH_SHA2_256 || f[3] != CID_DIGEST_BYTES) return -1;
    if (f[0] == 0 && f[1] != CID_CODEC_DAG_PB) return -1; /* v0 is dag-pb by definition */
    if (f[1] >= CID_CODEC_LIMIT) return -1; /* a codec cid.h refuses */
    cid_of(out, f[1], data, data_len);
    out->version = (uint8_t)f[0];
    return 0;
}
