/*
 * cid: content identifiers as IPFS writes them (multiformats/cid).
 *
 * A CID names a block by the hash of its bytes. swarmlab makes CIDv1 with a
 * sha2-256 multihash and reads CIDv1 and CIDv0 (the bare base58 "Qm..."
 * multihash, which implies dag-pb). Binary form, v1:
 *
 *     varint(1) varint(codec) varint(0x12 sha2-256) varint(32) digest[32]
 *
 * and text form, v1: multibase base32 lower case without padding, "b..."
 * (what Helia and kubo print). Only sha2-256 multihashes are accepted: a
 * CID whose hash the node cannot check would let a peer hand it any bytes.
 */
#ifndef SWARMLAB_CID_H
#define SWARMLAB_CID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CID_CODEC_RAW 0x55    /* the bytes themselves */
#define CID_CODEC_DAG_PB 0x70 /* a UnixFS/dag-pb node */
#define CID_MH_SHA2_256 0x12
#define CID_DIGEST_BYTES 32
/* Codecs are refused from 2^21 on, so a codec's varint takes at most 3
 * bytes and a CID fits CID_BYTES_MAX; every codec IPFS blocks carry is far
 * below (dag-pb 0x70, raw 0x55, dag-cbor 0x71, dag-json 0x0129). */
#define CID_CODEC_LIMIT (1u << 21)

/* Longest binary CID: 1 + 1 + 2 (codec varint) + 1 + 1 + 32. Version 0
 * is 34 bytes. */
#define CID_BYTES_MAX 40
/* Longest text: 'b' and base32 of CID_BYTES_MAX bytes (8 per 5), and NUL. */
#define CID_TEXT_MAX 72

typedef struct cid {
    uint8_t version; /* 0 or 1 */
    uint64_t codec;  /* CID_CODEC_RAW, CID_CODEC_DAG_PB or another */
    uint8_t digest[CID_DIGEST_BYTES];
} cid;

/* The CIDv1 of data under codec: its sha2-256 digest. */
void cid_of(cid *out, uint64_t codec, const uint8_t *data, size_t len);
/* Whether data hashes to c's digest: what every block that comes in must
 * pass before it is kept. */
bool cid_matches(const cid *c, const uint8_t *data, size_t len);
bool cid_equal(const cid *a, const cid *b);

/* Binary form. cid_encode writes at most CID_BYTES_MAX bytes and returns
 * their count. cid_decode reads a whole CID from in[0..len) and returns
 * the bytes it used (> 0), or -1 when they are not a CID this node can
 * check (a version other than 0 or 1, a hash other than sha2-256, a
 * malformed varint, a short digest). */
size_t cid_encode(const cid *c, uint8_t out[CID_BYTES_MAX]);
int cid_decode(const uint8_t *in, size_t len, cid *out);

/* Text form: v1 as base32 "b...", v0 as base58 "Qm...". cid_format
 * returns the length written (without its NUL) or -1 if cap is too small;
 * cid_parse returns 0, or -1 for anything but one whole CID. */
int cid_format(const cid *c, char *out, size_t cap);
int cid_parse(const char *text, size_t len, cid *out);

#endif
