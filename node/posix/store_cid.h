/*
 * store_cid: CIDv1 of a raw block with a sha2-256 multihash, and its
 * multibase base32 text ('b', lowercase, unpadded), as IPFS writes them.
 *
 * TODO(issue 17): replace with node/store/cid.h (the CID module of the
 * node, built in parallel) once it is merged; this is the daemon's private
 * minimum until then.
 */
#ifndef SWARMLAB_STORE_CID_H
#define SWARMLAB_STORE_CID_H

#include <stddef.h>
#include <stdint.h>

#define STORE_CID_RAW_CODEC 0x55u
#define STORE_CID_DAG_PB_CODEC 0x70u
#define STORE_CID_SHA2_256 0x12u
#define STORE_CID_DIGEST_BYTES 32u
#define STORE_CID_BYTES (4u + STORE_CID_DIGEST_BYTES) /* version, codec, hash code, length, digest */
#define STORE_CID_TEXT_MAX 112u /* the text of any key up to STORE_KEY_MAX bytes, with its NUL */

/* The binary CIDv1 (raw, sha2-256) of block. */
void store_cid_of_block(const uint8_t *block, size_t len, uint8_t cid[STORE_CID_BYTES]);

/* The 'b' base32 text of a binary CID; 0, or -1 when text is too small. */
int store_cid_to_text(const uint8_t *cid, size_t len, char *text, size_t cap);

/* A CIDv1 text (raw or dag-pb codec, sha2-256) into its binary form; 0, or
 * -1 when it is not one. */
int store_cid_from_text(const char *text, uint8_t cid[STORE_CID_BYTES]);

/* 1 when block hashes to the digest of cid, else 0. */
int store_cid_matches(const uint8_t cid[STORE_CID_BYTES], const uint8_t *block, size_t len);

#endif
