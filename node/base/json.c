/*
 * json: JSON text written into a buf (see json.h).
 */
#include "json.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_HEX_DIGITS "0123456789abcdef"
#define JSON_REAL_DIGITS_MIN 15 /* every double reads back from 17 */
#define JSON_REAL_DIGITS_MAX 17
#define JSON_REPLACEMENT "\\ufffd"
#define UTF8_REPLACEMENT_LEN 3 /* U+FFFD in UTF-8 */

size_t utf8_sequence_len(const uint8_t *s, size_t len) {
    assert(len > 0);
    uint8_t c = s[0];
    size_t n;
    uint32_t min;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0) n = 2, min = 0x80;
    else if ((c & 0xf0) == 0xe0) n = 3, min = 0x800;
    else if ((c & 0xf8) == 0xf0) n = 4, min = 0x10000;
    else return 0;
    if (n > len) return 0;
    uint32_t code = c & (0x7fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        code = (code << 6) | (s[i] & 0x3fu);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
    return n;
}

static bool json_plain_ascii(uint8_t c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

/* Runs of characters that need no escape go out in one append each. */
int json_put_string(buf *b, const uint8_t *s, size_t len) {
    int rc = buf_append_byte(b, '"');
    size_t run = 0; /* the plain characters not yet appended start here */
    for (size_t i = 0; i < len;) {
        if (json_plain_ascii(s[i])) { /* the common case */
            i++;
            continue;
        }
        size_t n = utf8_sequence_len(s + i, len - i);
        if (n > 1) { /* a valid multi-byte character */
            i += n;
            continue;
        }
        rc |= buf_append(b, s + run, i - run);
        if (n == 0) {
            rc |= buf_append(b, JSON_REPLACEMENT, strlen(JSON_REPLACEMENT));
        } else if (s[i] == '"' || s[i] == '\\') {
            char escaped[2] = {'\\', (char)s[i]};
            rc |= buf_append(b, escaped, sizeof escaped);
        } else { /* C0 or DEL */
            char escaped[6] = {'\\', 'u', '0', '0', JSON_HEX_DIGITS[s[i] >> 4], JSON_HEX_DIGITS[s[i] & 0xf]};
            rc |= buf_append(b, escaped, sizeof escaped);
        }
        i++;
        run = i;
    }
    rc |= buf_append(b, s + run, len - run);
    rc |= buf_append_byte(b, '"');
    return rc != 0 ? -1 : 0;
}

int json_put_text(buf *b, const char *text) { return json_put_string(b, (const uint8_t *)text, strlen(text)); }

int json_put_u64(buf *b, uint64_t value) {
    char text[24];
    int len = snprintf(text, sizeof text, "%" PRIu64, value);
    assert(len > 0 && (size_t)len < sizeof text);
    return buf_append(b, text, (size_t)len);
}

size_t json_real_text(double value, char out[JSON_REAL_TEXT_MAX]) {
    if (!isfinite(value)) {
        memcpy(out, "null", 5);
        return 4;
    }
    for (int digits = JSON_REAL_DIGITS_MIN; digits <= JSON_REAL_DIGITS_MAX; digits++) {
        snprintf(out, JSON_REAL_TEXT_MAX, "%.*g", digits, value);
        if (strtod(out, NULL) == value) break;
    }
    return strlen(out);
}

int json_put_real(buf *b, double value) {
    char text[JSON_REAL_TEXT_MAX];
    size_t len = json_real_text(value, text);
    return buf_append(b, text, len);
}

size_t json_string_read_back_len(const uint8_t *s, size_t len) {
    size_t total = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence_len(s + i, len - i);
        total += n > 0 ? n : UTF8_REPLACEMENT_LEN;
        i += n > 0 ? n : 1;
    }
    return total;
}
