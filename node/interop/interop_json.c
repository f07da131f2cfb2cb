/*
 * interop_json: the bounded JSON reader (interop_json.h).
 * Recursive descent; the recursion is as deep as the nesting, which is
 * bounded by JSON_READ_DEPTH_MAX before any frame is added.
 */
#include "interop_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const char *p, *end;
    uint32_t line;
    size_t values;
    char *err;
    size_t cap;
    bool failed;
} reader;

static int fail(reader *r, const char *fmt, ...) {
    if (r->failed) return -1;
    r->failed = true;
    int n = snprintf(r->err, r->cap, "line %u: ", r->line);
    if (n < 0 || (size_t)n >= r->cap) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->cap - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_space(reader *r) {
    while (r->p < r->end) {
        char c = *r->p;
        if (c == '\n') r->line++;
        else if (c != ' ' && c != '\t' && c != '\r') return;
        r->p++;
    }
}

static bool literal(reader *r, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return false;
    r->p += n;
    return true;
}

static int hex4(reader *r, unsigned *out) {
    if (r->end - r->p < 4) return fail(r, "a \\u escape needs four hex digits");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->p[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return fail(r, "a \\u escape needs four hex digits");
        v = v * 16 + d;
    }
    r->p += 4;
    *out = v;
    return 0;
}

static size_t utf8_put(unsigned cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string at r->p (the opening quote): into a malloc'd buffer. */
static int read_string(reader *r, char **out, size_t *out_len) {
    r->p++; /* the quote */
    char buf[JSON_READ_STRING_MAX + 4];
    size_t len = 0;
    for (;;) {
        if (r->p >= r->end) return fail(r, "a string is not closed");
        unsigned char c = (unsigned char)*r->p;
        if (c == '"') {
            r->p++;
            break;
        }
        if (c < 0x20) return fail(r, "a control character inside a string (escape it)");
        char piece[4];
        size_t n = 1;
        piece[0] = (char)c;
        r->p++;
        if (c == '\\') {
            if (r->p >= r->end) return fail(r, "a string is not closed");
            char e = *r->p++;
            switch (e) {
            case '"': piece[0] = '"'; break;
            case '\\': piece[0] = '\\'; break;
            case '/': piece[0] = '/'; break;
            case 'b': piece[0] = '\b'; break;
            case 'f': piece[0] = '\f'; break;
            case 'n': piece[0] = '\n'; break;
            case 'r': piece[0] = '\r'; break;
            case 't': piece[0] = '\t'; break;
            case 'u': {
                unsigned cp;
                if (hex4(r, &cp) != 0) return -1;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(r, "a lone low surrogate in a \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned low;
                    if (!literal(r, "\\u") || hex4(r, &low) != 0 || low < 0xDC00 || low > 0xDFFF)
                        return fail(r, "a high surrogate without its low surrogate in a \\u escape");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                n = utf8_put(cp, piece);
                break;
            }
            default: return fail(r, "an unknown escape \\%c in a string", e >= 0x20 && e < 0x7f ? e : '?');
            }
        }
        if (len + n > JSON_READ_STRING_MAX) return fail(r, "a string longer than %d bytes", JSON_READ_STRING_MAX);
        memcpy(buf + len, piece, n);
        len += n;
    }
    char *s = malloc(len + 1);
    if (s == NULL) return fail(r, "out of memory");
    memcpy(s, buf, len);
    s[len] = '\0';
    *out = s;
    *out_len = len;
    return 0;
}

static int read_number(reader *r, json_value *v) {
    const char *start = r->p;
    bool neg = false, integral = true;
    if (r->p < r->end && *r->p == '-') {
        neg = true;
        r->p++;
    }
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') return fail(r, "a number needs a digit");
    if (*r->p == '0' && r->p + 1 < r->end && r->p[1] >= '0' && r->p[1] <= '9')
        return fail(r, "a number with a leading zero");
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
    if (r->p < r->end && *r->p == '.') {
        integral = false;
        r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9') return fail(r, "a number needs digits after its point");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        integral = false;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9') return fail(r, "a number needs digits in its exponent");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
    }
    size_t n = (size_t)(r->p - start);
    char text[400];
    if (n >= sizeof text) return fail(r, "a number longer than %zu characters", sizeof text - 1);
    memcpy(text, start, n);
    text[n] = '\0';
    v->type = JSON_NUMBER;
    v->number = strtod(text, NULL);
    if (!isfinite(v->number)) return fail(r, "a number too large: %s", text);
    if (integral) {
        uint64_t u = 0;
        bool fits = true;
        for (const char *c = text + (neg ? 1 : 0); *c != '\0'; c++) {
            unsigned d = (unsigned)(*c - '0');
            if (u > (UINT64_MAX - d) / 10) {
                fits = false;
                break;
            }
            u = u * 10 + d;
        }
        if (neg && u > (uint64_t)INT64_MAX + 1) fits = false;
        if (fits) {
            v->is_integer = true;
            v->negative = neg && u != 0;
            v->integer = neg ? (uint64_t)0 - u : u;
        }
    }
    return 0;
}

static int read_value(reader *r, json_value *v, int depth);

static int grow(reader *r, json_value *v, size_t *cap, bool object) {
    if (v->len < *cap) return 0;
    size_t next = *cap == 0 ? 4 : *cap * 2;
    json_value *items = realloc(v->items, next * sizeof *items);
    if (items == NULL) return fail(r, "out of memory");
    v->items = items;
    if (object) {
        char **keys = realloc(v->keys, next * sizeof *keys);
        if (keys == NULL) return fail(r, "out of memory");
        v->keys = keys;
        size_t *lens = realloc(v->key_lens, next * sizeof *lens);
        if (lens == NULL) return fail(r, "out of memory");
        v->key_lens = lens;
    }
    *cap = next;
    return 0;
}

static int read_container(reader *r, json_value *v, int depth, bool object) {
    if (depth >= JSON_READ_DEPTH_MAX) return fail(r, "nested deeper than %d arrays and objects", JSON_READ_DEPTH_MAX);
    v->type = object ? JSON_OBJECT : JSON_ARRAY;
    char close = object ? '}' : ']';
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 0;
    }
    size_t cap = 0;
    for (;;) {
        skip_space(r);
        if (grow(r, v, &cap, object) != 0) return -1;
        if (object) {
            if (r->p >= r->end || *r->p != '"') return fail(r, "an object member needs a quoted key");
            char *key;
            size_t key_len;
            if (read_string(r, &key, &key_len) != 0) return -1;
            for (size_t i = 0; i < v->len; i++)
                if (v->key_lens[i] == key_len && memcmp(v->keys[i], key, key_len) == 0) {
                    char quoted[JSON_QUOTE_MAX];
                    json_quote_text(key, key_len, quoted);
                    fail(r, "the key \"%s\" appears twice in one object", quoted);
                    free(key);
                    return -1;
                }
            v->keys[v->len] = key;
            v->key_lens[v->len] = key_len;
            skip_space(r);
            if (r->p >= r->end || *r->p != ':') {
                memset(&v->items[v->len], 0, sizeof v->items[0]);
                v->len++; /* so that the key is freed */
                char quoted[JSON_QUOTE_MAX];
                json_quote_text(key, key_len, quoted);
                return fail(r, "a ':' must follow the key \"%s\"", quoted);
            }
            r->p++;
            skip_space(r);
        }
        json_value *item = &v->items[v->len];
        memset(item, 0, sizeof *item);
        v->len++;
        if (read_value(r, item, depth + 1) != 0) return -1;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return 0;
        }
        return fail(r, object ? "a ',' or '}' must follow an object member" : "a ',' or ']' must follow an array item");
    }
}

static int read_value(reader *r, json_value *v, int depth) {
    skip_space(r);
    v->line = r->line;
    if (++r->values > JSON_READ_VALUES_MAX) return fail(r, "more than %d values", JSON_READ_VALUES_MAX);
    if (r->p >= r->end) return fail(r, "a value is missing (the text ends)");
    char c = *r->p;
    if (c == '{') return read_container(r, v, depth, true);
    if (c == '[') return read_container(r, v, depth, false);
    if (c == '"') {
        v->type = JSON_STRING;
        return read_string(r, &v->string, &v->len);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return read_number(r, v);
    if (literal(r, "true")) {
        v->type = JSON_BOOL;
        v->boolean = true;
        return 0;
    }
    if (literal(r, "false")) {
        v->type = JSON_BOOL;
        return 0;
    }
    if (literal(r, "null")) {
        v->type = JSON_NULL;
        return 0;
    }
    return fail(r, "not a JSON value (at '%c')", c >= 0x20 && c < 0x7f ? c : '?');
}

static void free_members(json_value *v) {
    if (v->type == JSON_STRING) free(v->string);
    if (v->type == JSON_ARRAY || v->type == JSON_OBJECT) {
        for (size_t i = 0; i < v->len; i++) {
            free_members(&v->items[i]);
            if (v->type == JSON_OBJECT) free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
        free(v->key_lens);
    }
}

void json_read_free(json_value *value) {
    if (value == NULL) return;
    free_members(value);
    free(value);
}

int json_read(const char *text, size_t len, json_value **out, char *err, size_t cap) {
    *out = NULL;
    reader r = {.p = text, .end = text + len, .line = 1, .err = err, .cap = cap};
    json_value *root = calloc(1, sizeof *root);
    if (root == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    if (read_value(&r, root, 0) == 0) {
        skip_space(&r);
        if (r.p != r.end) fail(&r, "text after the JSON value");
    }
    if (r.failed) {
        json_read_free(root);
        return -1;
    }
    *out = root;
    return 0;
}

const json_value *json_member(const json_value *object, const char *key) {
    if (object == NULL || object->type != JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < object->len; i++)
        if (object->key_lens[i] == n && memcmp(object->keys[i], key, n) == 0) return &object->items[i];
    return NULL;
}

const char *json_type_name(json_type type) {
    static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
    return names[type];
}

void json_quote_text(const char *s, size_t len, char out[JSON_QUOTE_MAX]) {
    size_t n = len < JSON_QUOTE_MAX - 1 ? len : JSON_QUOTE_MAX - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    out[n] = '\0';
}
