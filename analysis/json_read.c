/*
 * json_read: a bounded, tree-less walk over a JSON document (json_read.h).
 *
 * A recursive descent parser over RFC 8259's grammar. The recursion is
 * bounded by JSON_READ_DEPTH_MAX, and every read checks the position
 * against the length first, so neither deep nesting nor a truncated file
 * can take the reader out of its buffers.
 */
#include "json_read.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest number token accepted: far more digits than a double holds,
 * and still a small buffer. */
#define JSON_READ_NUMBER_MAX 64
#define JSON_READ_INDEX_MAX 20 /* decimal digits of a size_t */
#define JSON_READ_END (-1)

typedef struct json_walker {
    const char *text;
    size_t len, pos;
    int line;
    size_t depth;
    char keys[JSON_READ_DEPTH_MAX][JSON_READ_KEY_MAX + 1];
    const char *key_ptrs[JSON_READ_DEPTH_MAX];
    char string[JSON_READ_STRING_MAX + 1];
    size_t string_len;
    json_read_leaf_fn fn;
    void *user;
    char *err;
    size_t err_cap;
    int stopped; /* the callback's nonzero return */
} json_walker;

static int json_walker_fail(json_walker *w, const char *format, ...) {
    char what[160];
    va_list args;
    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    if (w->err_cap > 0) snprintf(w->err, w->err_cap, "line %d: %s", w->line, what);
    return -1;
}

static int json_peek(const json_walker *w) {
    return w->pos < w->len ? (unsigned char)w->text[w->pos] : JSON_READ_END;
}

static void json_skip_space(json_walker *w) {
    for (;;) {
        int c = json_peek(w);
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return;
        if (c == '\n') w->line++;
        w->pos++;
    }
}

static int json_unexpected(json_walker *w, const char *expected) {
    int c = json_peek(w);
    if (c == JSON_READ_END) return json_walker_fail(w, "expected %s, got the end of the file", expected);
    if (c >= 0x20 && c < 0x7f) return json_walker_fail(w, "expected %s, got '%c'", expected, c);
    return json_walker_fail(w, "expected %s, got byte 0x%02x", expected, c);
}

static int json_expect(json_walker *w, char c, const char *expected) {
    if (json_peek(w) != (unsigned char)c) return json_unexpected(w, expected);
    w->pos++;
    return 0;
}

/* ---- strings ------------------------------------------------------------ */

static int json_hex4(json_walker *w, uint32_t *out) {
    *out = 0;
    for (int i = 0; i < 4; i++) {
        int c = json_peek(w);
        int digit = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0) return json_unexpected(w, "four hex digits after \\u");
        *out = *out * 16 + (uint32_t)digit;
        w->pos++;
    }
    return 0;
}

/* A \uXXXX escape (and its low surrogate, when it is a high one) as a code
 * point; an unpaired surrogate is an error, as it has no UTF-8 form. */
static int json_code_point(json_walker *w, uint32_t *cp) {
    if (json_hex4(w, cp) != 0) return -1;
    if (*cp >= 0xdc00 && *cp <= 0xdfff) return json_walker_fail(w, "unpaired low surrogate in \\u escape");
    if (*cp < 0xd800 || *cp > 0xdbff) return 0;
    uint32_t low;
    if (json_expect(w, '\\', "a low surrogate after a high one") != 0) return -1;
    if (json_expect(w, 'u', "a low surrogate after a high one") != 0) return -1;
    if (json_hex4(w, &low) != 0) return -1;
    if (low < 0xdc00 || low > 0xdfff) return json_walker_fail(w, "unpaired high surrogate in \\u escape");
    *cp = 0x10000 + ((*cp - 0xd800) << 10) + (low - 0xdc00);
    return 0;
}

static int json_put(json_walker *w, char *out, size_t cap, size_t *len, uint32_t byte) {
    if (*len == cap) return json_walker_fail(w, "string longer than %zu bytes", cap);
    out[(*len)++] = (char)byte;
    return 0;
}

static int json_put_utf8(json_walker *w, char *out, size_t cap, size_t *len, uint32_t cp) {
    assert(cp <= 0x10ffff);
    int rc = 0;
    if (cp < 0x80) return json_put(w, out, cap, len, cp);
    if (cp < 0x800) {
        rc |= json_put(w, out, cap, len, 0xc0 | (cp >> 6));
    } else if (cp < 0x10000) {
        rc |= json_put(w, out, cap, len, 0xe0 | (cp >> 12));
        rc |= json_put(w, out, cap, len, 0x80 | ((cp >> 6) & 0x3f));
    } else {
        rc |= json_put(w, out, cap, len, 0xf0 | (cp >> 18));
        rc |= json_put(w, out, cap, len, 0x80 | ((cp >> 12) & 0x3f));
        rc |= json_put(w, out, cap, len, 0x80 | ((cp >> 6) & 0x3f));
    }
    return rc != 0 ? -1 : json_put(w, out, cap, len, 0x80 | (cp & 0x3f));
}

static int json_escape(json_walker *w, char *out, size_t cap, size_t *len) {
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    int c = json_peek(w);
    const char *hit = c > 0 ? strchr(from, c) : NULL;
    w->pos++;
    if (hit != NULL) return json_put(w, out, cap, len, (unsigned char)to[hit - from]);
    if (c != 'u') {
        w->pos--;
        return json_unexpected(w, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
    }
    uint32_t cp;
    if (json_code_point(w, &cp) != 0) return -1;
    return json_put_utf8(w, out, cap, len, cp);
}

/* Reads a string into out (cap bytes, plus a NUL). */
static int json_string(json_walker *w, char *out, size_t cap, size_t *len) {
    *len = 0;
    if (json_expect(w, '"', "a string") != 0) return -1;
    for (;;) {
        int c = json_peek(w);
        if (c == JSON_READ_END) return json_walker_fail(w, "unterminated string");
        if (c < 0x20) return json_walker_fail(w, "control byte 0x%02x in a string", c);
        w->pos++;
        if (c == '"') break;
        int rc = c == '\\' ? json_escape(w, out, cap, len) : json_put(w, out, cap, len, (uint32_t)c);
        if (rc != 0) return -1;
    }
    out[*len] = '\0';
    return 0;
}

/* ---- scalars ------------------------------------------------------------ */

static int json_emit(json_walker *w, json_read_leaf *leaf) {
    leaf->keys = w->key_ptrs;
    leaf->depth = w->depth;
    leaf->line = w->line;
    int rc = w->fn(w->user, leaf);
    if (rc != 0) w->stopped = rc;
    return rc;
}

static size_t json_digits(json_walker *w) {
    size_t start = w->pos;
    while (json_peek(w) >= '0' && json_peek(w) <= '9') w->pos++;
    return w->pos - start;
}

/* Checks the token against JSON's number grammar before strtod sees it,
 * since strtod also takes "0x10", "inf", "nan" and leading "+". */
static int json_number_token(json_walker *w) {
    if (json_peek(w) == '-') w->pos++;
    if (json_peek(w) == '0') w->pos++;
    else if (json_digits(w) == 0) return json_unexpected(w, "a digit");
    if (json_peek(w) == '.') {
        w->pos++;
        if (json_digits(w) == 0) return json_unexpected(w, "a digit after '.'");
    }
    if (json_peek(w) == 'e' || json_peek(w) == 'E') {
        w->pos++;
        if (json_peek(w) == '+' || json_peek(w) == '-') w->pos++;
        if (json_digits(w) == 0) return json_unexpected(w, "a digit in the exponent");
    }
    return 0;
}

static int json_number(json_walker *w) {
    size_t start = w->pos;
    if (json_number_token(w) != 0) return -1;
    size_t n = w->pos - start;
    if (n > JSON_READ_NUMBER_MAX) return json_walker_fail(w, "number longer than %d characters", JSON_READ_NUMBER_MAX);
    char token[JSON_READ_NUMBER_MAX + 1];
    memcpy(token, w->text + start, n);
    token[n] = '\0';
    double value = strtod(token, NULL);
    if (!isfinite(value)) return json_walker_fail(w, "number %s is out of range", token);
    json_read_leaf leaf = {.kind = JSON_READ_NUMBER, .number = value, .text = token, .text_len = n};
    return json_emit(w, &leaf);
}

static int json_literal(json_walker *w) {
    static const struct {
        const char *word;
        json_read_kind kind;
        bool boolean;
    } literals[] = {{"true", JSON_READ_BOOL, true}, {"false", JSON_READ_BOOL, false}, {"null", JSON_READ_NULL, false}};
    for (size_t i = 0; i < sizeof literals / sizeof literals[0]; i++) {
        size_t n = strlen(literals[i].word);
        if (w->len - w->pos >= n && memcmp(w->text + w->pos, literals[i].word, n) == 0) {
            w->pos += n;
            json_read_leaf leaf = {.kind = literals[i].kind, .boolean = literals[i].boolean,
                                   .text = literals[i].word, .text_len = n};
            return json_emit(w, &leaf);
        }
    }
    return json_unexpected(w, "a value");
}

static int json_string_leaf(json_walker *w) {
    if (json_string(w, w->string, JSON_READ_STRING_MAX, &w->string_len) != 0) return -1;
    json_read_leaf leaf = {.kind = JSON_READ_STRING, .text = w->string, .text_len = w->string_len};
    return json_emit(w, &leaf);
}

/* ---- containers --------------------------------------------------------- */

static int json_value(json_walker *w);

static int json_enter(json_walker *w) {
    if (w->depth == JSON_READ_DEPTH_MAX) return json_walker_fail(w, "nested deeper than %d levels", JSON_READ_DEPTH_MAX);
    w->key_ptrs[w->depth] = w->keys[w->depth];
    return 0;
}

static int json_member(json_walker *w) {
    size_t key_len;
    char *key = w->keys[w->depth];
    if (json_string(w, key, JSON_READ_KEY_MAX, &key_len) != 0) return -1;
    if (strlen(key) != key_len) return json_walker_fail(w, "a key holds a NUL character");
    json_skip_space(w);
    if (json_expect(w, ':', "':' after a key") != 0) return -1;
    w->depth++;
    int rc = json_value(w);
    w->depth--;
    return rc;
}

static int json_object(json_walker *w) {
    if (json_enter(w) != 0) return -1;
    w->pos++; /* '{' */
    json_skip_space(w);
    if (json_peek(w) == '}') {
        w->pos++;
        return 0;
    }
    for (;;) {
        json_skip_space(w);
        int rc = json_member(w);
        if (rc != 0) return rc;
        json_skip_space(w);
        if (json_peek(w) == '}') break;
        if (json_expect(w, ',', "',' or '}' in an object") != 0) return -1;
    }
    w->pos++;
    return 0;
}

static int json_array(json_walker *w) {
    if (json_enter(w) != 0) return -1;
    w->pos++; /* '[' */
    json_skip_space(w);
    if (json_peek(w) == ']') {
        w->pos++;
        return 0;
    }
    for (size_t index = 0;; index++) {
        snprintf(w->keys[w->depth], JSON_READ_INDEX_MAX + 1, "%zu", index);
        w->depth++;
        int rc = json_value(w);
        w->depth--;
        if (rc != 0) return rc;
        json_skip_space(w);
        if (json_peek(w) == ']') break;
        if (json_expect(w, ',', "',' or ']' in an array") != 0) return -1;
    }
    w->pos++;
    return 0;
}

static int json_value(json_walker *w) {
    json_skip_space(w);
    int c = json_peek(w);
    if (c == '{') return json_object(w);
    if (c == '[') return json_array(w);
    if (c == '"') return json_string_leaf(w);
    if (c == '-' || (c >= '0' && c <= '9')) return json_number(w);
    return json_literal(w);
}

int json_read_walk(const char *text, size_t len, json_read_leaf_fn fn, void *user, char *err,
                   size_t err_cap) {
    assert(text != NULL || len == 0);
    assert(fn != NULL);
    json_walker *w = calloc(1, sizeof *w);
    if (w == NULL) {
        if (err_cap > 0) snprintf(err, err_cap, "out of memory");
        return -1;
    }
    *w = (json_walker){.text = text, .len = len, .line = 1, .fn = fn, .user = user, .err = err, .err_cap = err_cap};
    int rc = json_value(w);
    if (rc == 0) {
        json_skip_space(w);
        if (w->pos != w->len) rc = json_unexpected(w, "the end of the file after the value");
    }
    if (w->stopped != 0) rc = w->stopped;
    assert(w->depth == 0 || rc != 0);
    free(w);
    return rc;
}

bool json_read_path_is(const json_read_leaf *leaf, const char *dotted) {
    assert(leaf != NULL);
    assert(dotted != NULL);
    const char *segment = dotted;
    for (size_t i = 0; i < leaf->depth; i++) {
        const char *dot = strchr(segment, '.');
        size_t n = dot != NULL ? (size_t)(dot - segment) : strlen(segment);
        if (strlen(leaf->keys[i]) != n || memcmp(leaf->keys[i], segment, n) != 0) return false;
        if (dot == NULL) return i + 1 == leaf->depth;
        segment = dot + 1;
    }
    return false;
}

int json_read_file(const char *path, size_t cap, char **text, size_t *len, char *err, size_t err_cap) {
    assert(path != NULL);
    *text = NULL;
    *len = 0;
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        snprintf(err, err_cap, "%s", strerror(errno));
        return -1;
    }
    char *buffer = malloc(cap + 1);
    size_t n = buffer != NULL ? fread(buffer, 1, cap + 1, in) : 0;
    int failed = buffer == NULL || ferror(in);
    int saved = errno;
    fclose(in);
    if (failed || n > cap) {
        if (buffer == NULL) snprintf(err, err_cap, "out of memory");
        else if (n > cap) snprintf(err, err_cap, "larger than %zu bytes", cap);
        else snprintf(err, err_cap, "cannot read: %s", strerror(saved));
        free(buffer);
        return -1;
    }
    buffer[n] = '\0';
    *text = buffer;
    *len = n;
    return 0;
}
