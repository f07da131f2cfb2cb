/*
 * varint: unsigned LEB128 integers as the libp2p unsigned-varint spec
 * restricts them (multiformats/unsigned-varint): at most 9 bytes (63 bits)
 * and minimally encoded. Used for every length prefix on the wire and inside
 * protobufs.
 */
#ifndef SWARMLAB_VARINT_H
#define SWARMLAB_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define VARINT_MAX_BYTES 10 /* room for any uint64_t when encoding */
#define VARINT_SPEC_MAX_BYTES 9 /* the spec's limit when decoding */

/* Writes v, returns the number of bytes written (1..10). */
size_t varint_encode(uint64_t v, uint8_t out[VARINT_MAX_BYTES]);
size_t varint_size(uint64_t v);

enum {
    VARINT_NEED_MORE = 0,  /* input ends inside the varint */
    VARINT_MALFORMED = -1, /* over 9 bytes, or not minimal */
};
/* Returns the bytes consumed (> 0), VARINT_NEED_MORE or VARINT_MALFORMED. */
int varint_decode(const uint8_t *in, size_t len, uint64_t *value);

#endif
