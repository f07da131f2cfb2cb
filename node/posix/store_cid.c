/*
 * store_cid: CIDv1 raw sha2-256 and base32 text. See store_cid.h.
 * TODO(issue 17): replace with node/store/cid.h.
 */
#include "store_cid.h"

#include <assert.h>
#include <stdbool.h>
#include <sodium.h>
#include <string.h>

static const char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567"; /* RFC 4648, lowercase */

void store_cid_of_block(const uint8_t *block, size_t len, uint8_t cid[STORE_CID_BYTES]) {
    cid[0] = 0x01; /* CIDv1; each varint below is one byte */
    cid[1] = STORE_CID_RAW_CODEC;
    cid[2] = STORE_CID_SHA2_256;
    cid[3] = STORE_CID_DIGEST_BYTES;
    crypto_hash_sha256(cid + 4, block, len);
}

int store_cid_to_text(const uint8_t *cid, size_t len, char *text, size_t cap) {
    size_t digits = (len * 8 + 4) / 5;
    if (cap < digits + 2) return -1;
    size_t o = 0;
    text[o++] = 'b';
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | cid[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            text[o++] = base32_alphabet[(acc >> bits) & 31u];
        }
    }
    if (bits > 0) text[o++] = base32_alphabet[(acc << (5 - bits)) & 31u];
    text[o] = '\0';
    assert(o == digits + 1);
    return 0;
}

static int base32_value(char c) {
    const char *p = c != '\0' ? strchr(base32_alphabet, c) : NULL;
    return p != NULL ? (int)(p - base32_alphabet) : -1;
}

int store_cid_from_text(const char *text, uint8_t cid[STORE_CID_BYTES]) {
    size_t len = strlen(text);
    if (len != 1 + (STORE_CID_BYTES * 8 + 4) / 5 || text[0] != 'b') return -1;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 1; i < len; i++) {
        int v = base32_value(text[i]);
        if (v < 0) return -1;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            cid[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (o != STORE_CID_BYTES || (acc & ((1u << bits) - 1u)) != 0) return -1; /* leftover bits must be zero */
    bool codec = cid[1] == STORE_CID_RAW_CODEC || cid[1] == STORE_CID_DAG_PB_CODEC;
    return cid[0] == 0x01 && codec && cid[2] == STORE_CID_SHA2_256 && cid[3] == STORE_CID_DIGEST_BYTES ? 0 : -1;
}

int store_cid_matches(const uint8_t cid[STORE_CID_BYTES], const uint8_t *block, size_t len) {
    uint8_t digest[STORE_CID_DIGEST_BYTES];
    crypto_hash_sha256(digest, block, len);
    return sodium_memcmp(digest, cid + 4, sizeof digest) == 0;
}
