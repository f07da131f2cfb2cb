/*
 * base32: RFC 4648 base32 in lower case without padding, the multibase 'b'
 * form that CIDs and CID-form peer IDs are written in
 * (multiformats/multibase).
 */
#ifndef SWARMLAB_BASE32_H
#define SWARMLAB_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Characters base32_encode writes for len bytes (no NUL). */
#define BASE32_TEXT_LEN(len) (((len) * 8 + 4) / 5)

/* Writes the text of in[0..len) into out, which holds at least
 * BASE32_TEXT_LEN(len) characters; no NUL. Returns the characters written. */
size_t base32_encode(const uint8_t *in, size_t len, char *out);

/* Reads text[0..len) into out. Returns the bytes written, or -1 on a
 * character outside the alphabet, leftover bits that are not zero (so each
 * byte string has one text), or a result longer than cap. */
int base32_decode(const char *text, size_t len, uint8_t *out, size_t cap);

#endif
