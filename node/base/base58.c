/* base58: base58btc encode and decode with fixed bounds. See base58.h. */
#include "base58.h"

#include <assert.h>
#include <string.h>

enum { BASE58_RADIX = 58, BASE58_INVALID = 0xff };

static const char base58_alphabet[BASE58_RADIX + 1] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* The value of an alphabet character, or BASE58_INVALID. A lookup by search
 * keeps the table obviously consistent with the alphabet above. */
static uint8_t base58_digit_value(char c) {
    if (c == '\0') return BASE58_INVALID;
    const char *hit = memchr(base58_alphabet, c, BASE58_RADIX);
    if (hit == NULL) return BASE58_INVALID;
    assert(hit >= base58_alphabet);
    return (uint8_t)(hit - base58_alphabet);
}

int base58_encode(const uint8_t *in, size_t len, char *out, size_t cap) {
    assert(in != NULL || len == 0);
    assert(out != NULL || cap == 0);
    if (cap > 0) out[0] = '\0';
    if (len > BASE58_BYTES_MAX) return -1;
    size_t zeros = 0;
    while (zeros < len && in[zeros] == 0) zeros++;
    /* Base-58 digits of the rest, least significant first. */
    uint8_t digits[BASE58_TEXT_MAX];
    size_t digit_count = 0;
    for (size_t i = zeros; i < len; i++) {
        uint32_t carry = in[i];
        for (size_t j = 0; j < digit_count; j++) {
            carry += (uint32_t)digits[j] << 8;
            digits[j] = (uint8_t)(carry % BASE58_RADIX);
            carry /= BASE58_RADIX;
        }
        while (carry > 0) {
            assert(digit_count < BASE58_TEXT_MAX);
            digits[digit_count++] = (uint8_t)(carry % BASE58_RADIX);
            carry /= BASE58_RADIX;
        }
    }
    size_t text_len = zeros + digit_count;
    assert(text_len <= BASE58_TEXT_MAX);
    if (text_len >= cap) return -1;
    memset(out, base58_alphabet[0], zeros);
    for (size_t j = 0; j < digit_count; j++) {
        out[zeros + j] = base58_alphabet[digits[digit_count - 1 - j]];
    }
    out[text_len] = '\0';
    return (int)text_len;
}

int base58_decode(const char *text, size_t text_len, uint8_t *out, size_t cap) {
    assert(text != NULL || text_len == 0);
    assert(out != NULL || cap == 0);
    if (text_len > BASE58_TEXT_MAX) return -1;
    size_t limit = cap < BASE58_BYTES_MAX ? cap : BASE58_BYTES_MAX;
    size_t ones = 0;
    while (ones < text_len && text[ones] == base58_alphabet[0]) ones++;
    /* Bytes of the value after the leading '1's, least significant first. */
    uint8_t bytes[BASE58_BYTES_MAX];
    size_t byte_count = 0;
    for (size_t i = ones; i < text_len; i++) {
        uint8_t value = base58_digit_value(text[i]);
        if (value == BASE58_INVALID) return -1;
        uint32_t carry = value;
        for (size_t j = 0; j < byte_count; j++) {
            carry += (uint32_t)bytes[j] * BASE58_RADIX;
            bytes[j] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
        while (carry > 0) {
            if (byte_count == BASE58_BYTES_MAX) return -1;
            bytes[byte_count++] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
    }
    if (ones > limit || byte_count > limit - ones) return -1;
    if (ones > 0) memset(out, 0, ones);
    for (size_t j = 0; j < byte_count; j++) out[ones + j] = bytes[byte_count - 1 - j];
    assert(ones + byte_count <= cap);
    return (int)(ones + byte_count);
}
