/*
 * base32: RFC 4648, lower case, unpadded (base32.h).
 */
#include "base32.h"

#include <assert.h>
#include <string.h>

static const char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

size_t base32_encode(const uint8_t *in, size_t len, char *out) {
    size_t at = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = ((acc << 8) | in[i]) & 0xfffu; /* at most 12 bits are ever pending */
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[at++] = base32_alphabet[(acc >> bits) & 31];
        }
    }
    if (bits > 0) out[at++] = base32_alphabet[(acc << (5 - bits)) & 31];
    assert(at == BASE32_TEXT_LEN(len));
    return at;
}

int base32_decode(const char *text, size_t len, uint8_t *out, size_t cap) {
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        const char *hit = text[i] == '\0' ? NULL : strchr(base32_alphabet, text[i]);
        if (hit == NULL) return -1;
        acc = ((acc << 5) | (uint32_t)(hit - base32_alphabet)) & 0xfffu;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap) return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) return -1;
    assert(n <= cap);
    return (int)n;
}
