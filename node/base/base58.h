/*
 * base58: the base58btc codec (Bitcoin's alphabet) that peer IDs are written
 * in (libp2p/specs peer-ids/peer-ids.md, multiformats/multibase).
 *
 * Each leading zero byte is written as a leading '1', and each leading '1' is
 * read back as a zero byte. The conversion is quadratic in the length, so
 * both directions refuse inputs over a fixed bound: a hostile string can
 * cost at most BASE58_TEXT_MAX * BASE58_BYTES_MAX small steps, and the codec
 * needs no allocation.
 */
#ifndef SWARMLAB_BASE58_H
#define SWARMLAB_BASE58_H

#include <stddef.h>
#include <stdint.h>

/* Longest byte string the codec converts: well above any multihash or key. */
#define BASE58_BYTES_MAX 256
/* Longest text: ceil(256 * log(256) / log(58)) = 350 characters. */
#define BASE58_TEXT_MAX 350

/* Writes the text of in[0..len) and a terminating NUL into out. Returns the
 * text length (without the NUL), or -1 if len > BASE58_BYTES_MAX or the text
 * and its NUL do not fit in cap (out is then an empty string if cap > 0). */
int base58_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Reads text[0..text_len) (no NUL needed) into out. Returns the number of
 * bytes written, or -1 on a character outside the alphabet, text longer than
 * BASE58_TEXT_MAX, or a result longer than cap or BASE58_BYTES_MAX. On -1
 * nothing was written to out. The empty text decodes to zero bytes. */
int base58_decode(const char *text, size_t text_len, uint8_t *out, size_t cap);

#endif
