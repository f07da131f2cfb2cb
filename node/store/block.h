/*
 * block: the rules a block obeys in this node (issue 17).
 *
 * A block is at most STORE_BLOCK_MAX bytes, the size IPFS implementations
 * agree to exchange (kubo and Helia refuse larger blocks on Bitswap), and
 * it is named by a CID (cid.h). Bitswap sends a block as its CID prefix
 * (version, codec, multihash code and length: every part of the CID but
 * the digest) beside its bytes; the receiver hashes the bytes to rebuild
 * the CID, so a block always carries the proof of its name.
 */
#ifndef SWARMLAB_BLOCK_H
#define SWARMLAB_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "cid.h"

#define STORE_BLOCK_MAX (1u << 20) /* bytes of one block, at most */
#define BLOCK_PREFIX_MAX 16        /* bytes of a CID prefix: four varints, the codec's up to 3 */

/* How a fetch ended (node_block_fetch): the block came and is kept; it
 * came, hash checked, but the store refused it (full, failing); or no
 * connected peer gave it in time. */
typedef enum block_fetch_status {
    BLOCK_FETCH_STORED = 0,
    BLOCK_FETCH_NOT_STORED = 1,
    BLOCK_FETCH_TIMEOUT = 2,
} block_fetch_status;

/* A fetch's end: data (valid during the call) holds the block, whose hash
 * was checked against c, unless the status is BLOCK_FETCH_TIMEOUT. */
typedef void (*block_fetch_fn)(void *user, const cid *c, block_fetch_status status, const uint8_t *data,
                               size_t len);

/* c's prefix: varint version, codec, 0x12 (sha2-256), 32. Returns its length. */
size_t block_prefix_encode(const cid *c, uint8_t out[BLOCK_PREFIX_MAX]);
/* The CID prefix[0..len) gives data: its version and codec, and the
 * sha2-256 of data. 0, or -1 when the prefix is not one this node can
 * check (a version other than 0 or 1, v0 with a codec other than dag-pb,
 * a hash other than sha2-256 of 32 bytes, trailing bytes). */
int block_prefix_cid(const uint8_t *prefix, size_t len, const uint8_t *data, size_t data_len, cid *out);

#endif
