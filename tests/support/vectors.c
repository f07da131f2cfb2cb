/* vectors: JSON reader, hex decoding and vector files. See vectors.h. */
#include "vectors.h"

#include "crypto/identity.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VECTORS_NUMBER_TEXT_MAX = 64, VECTORS_ITEMS_INITIAL = 4 };

typedef struct vectors_parser {
    const char *text;
    size_t len;
    size_t pos;
    unsigned depth;
} vectors_parser;

static int vectors_parse_value(vectors_parser *p, vectors_json *out);

static void vectors_json_clear(vectors_json *v) {
    for (size_t i = 0; i < v->count; i++) {
        vectors_json_clear(&v->items[i]);
        if (v->keys != NULL) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    memset(v, 0, sizeof *v);
}

void vectors_json_free(vectors_json *value) {
    if (value == NULL) return;
    vectors_json_clear(value);
    free(value);
}

static void vectors_skip_space(vectors_parser *p) {
    while (p->pos < p->len && strchr(" \t\r\n", p->text[p->pos]) != NULL && p->text[p->pos] != '\0')
        p->pos++;
}

static bool vectors_take(vectors_parser *p, char c) {
    vectors_skip_space(p);
    if (p->pos >= p->len || p->text[p->pos] != c) return false;
    p->pos++;
    return true;
}

static int vectors_hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Appends the UTF-8 form of a \uXXXX escape (BMP only; NUL refused). */
static int vectors_parse_unicode(vectors_parser *p, char *out, size_t *n) {
    if (p->len - p->pos < 4) return -1;
    unsigned code = 0;
    for (unsigned i = 0; i < 4; i++) {
        int d = vectors_hex_digit(p->text[p->pos++]);
        if (d < 0) return -1;
        code = code << 4 | (unsigned)d;
    }
    if (code == 0) return -1;
    if (code < 0x80) {
        out[(*n)++] = (char)code;
    } else if (code < 0x800) {
        out[(*n)++] = (char)(0xc0 | code >> 6);
        out[(*n)++] = (char)(0x80 | (code & 0x3f));
    } else {
        out[(*n)++] = (char)(0xe0 | code >> 12);
        out[(*n)++] = (char)(0x80 | ((code >> 6) & 0x3f));
        out[(*n)++] = (char)(0x80 | (code & 0x3f));
    }
    return 0;
}

static int vectors_parse_escape(vectors_parser *p, char *out, size_t *n) {
    if (p->pos >= p->len) return -1;
    char c = p->text[p->pos++];
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = c != '\0' ? strchr(from, c) : NULL;
    if (hit != NULL) {
        out[(*n)++] = to[hit - from];
        return 0;
    }
    return c == 'u' ? vectors_parse_unicode(p, out, n) : -1;
}

/* An escape never grows the text (\uXXXX is 6 bytes, at most 3 in UTF-8),
 * so the output needs no more room than the rest of the input. */
static int vectors_parse_string(vectors_parser *p, char **out, size_t *out_len) {
    if (!vectors_take(p, '"')) return -1;
    char *s = malloc(p->len - p->pos + 1);
    if (s == NULL) return -1;
    size_t n = 0;
    while (p->pos < p->len && p->text[p->pos] != '"') {
        char c = p->text[p->pos++];
        int rc = 0;
        if (c == '\\')
            rc = vectors_parse_escape(p, s, &n);
        else if ((unsigned char)c < 0x20)
            rc = -1;
        else
            s[n++] = c;
        if (rc != 0) {
            free(s);
            return -1;
        }
    }
    if (p->pos >= p->len) {
        free(s);
        return -1;
    }
    p->pos++;
    s[n] = '\0';
    *out = s;
    *out_len = n;
    return 0;
}

static int vectors_parse_number(vectors_parser *p, vectors_json *out) {
    size_t start = p->pos;
    while (p->pos < p->len && strchr("+-.0123456789eE", p->text[p->pos]) != NULL &&
           p->text[p->pos] != '\0')
        p->pos++;
    size_t n = p->pos - start;
    if (n == 0 || n >= VECTORS_NUMBER_TEXT_MAX) return -1;
    char tmp[VECTORS_NUMBER_TEXT_MAX];
    memcpy(tmp, p->text + start, n);
    tmp[n] = '\0';
    char *end = NULL;
    out->number = strtod(tmp, &end);
    if (end != tmp + n) return -1;
    out->kind = VECTORS_JSON_NUMBER;
    return 0;
}

static int vectors_parse_word(vectors_parser *p, vectors_json *out) {
    static const struct {
        const char *word;
        vectors_json_kind kind;
        bool value;
    } words[] = {
        {"true", VECTORS_JSON_BOOL, true},
        {"false", VECTORS_JSON_BOOL, false},
        {"null", VECTORS_JSON_NULL, false},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].word);
        if (p->len - p->pos >= n && memcmp(p->text + p->pos, words[i].word, n) == 0) {
            p->pos += n;
            out->kind = words[i].kind;
            out->boolean = words[i].value;
            return 0;
        }
    }
    return vectors_parse_number(p, out);
}

/* Grows the item (and key) arrays of a container by one slot. */
static vectors_json *vectors_push(vectors_json *c, size_t *cap) {
    if (c->count == *cap) {
        size_t new_cap = *cap ? *cap * 2 : VECTORS_ITEMS_INITIAL;
        vectors_json *items = realloc(c->items, new_cap * sizeof *items);
        if (items == NULL) return NULL;
        c->items = items;
        if (c->kind == VECTORS_JSON_OBJECT) {
            char **keys = realloc(c->keys, new_cap * sizeof *keys);
            if (keys == NULL) return NULL;
            c->keys = keys;
        }
        *cap = new_cap;
    }
    vectors_json *slot = &c->items[c->count];
    memset(slot, 0, sizeof *slot);
    if (c->kind == VECTORS_JSON_OBJECT) c->keys[c->count] = NULL;
    c->count++;
    return slot;
}

static int vectors_parse_member(vectors_parser *p, vectors_json *c, size_t *cap) {
    vectors_json *slot = vectors_push(c, cap);
    if (slot == NULL) return -1;
    if (c->kind == VECTORS_JSON_OBJECT) {
        size_t key_len;
        if (vectors_parse_string(p, &c->keys[c->count - 1], &key_len) != 0) return -1;
        if (!vectors_take(p, ':')) return -1;
    }
    return vectors_parse_value(p, slot);
}

static int vectors_parse_container(vectors_parser *p, vectors_json *out, char close) {
    out->kind = close == '}' ? VECTORS_JSON_OBJECT : VECTORS_JSON_ARRAY;
    if (++p->depth > VECTORS_JSON_DEPTH_MAX) return -1;
    size_t cap = 0;
    if (!vectors_take(p, close)) {
        do {
            if (vectors_parse_member(p, out, &cap) != 0) return -1;
        } while (vectors_take(p, ','));
        if (!vectors_take(p, close)) return -1;
    }
    p->depth--;
    return 0;
}

static int vectors_parse_value(vectors_parser *p, vectors_json *out) {
    vectors_skip_space(p);
    if (p->pos >= p->len) return -1;
    char c = p->text[p->pos];
    if (c == '{' || c == '[') {
        p->pos++;
        return vectors_parse_container(p, out, c == '{' ? '}' : ']');
    }
    if (c == '"') {
        out->kind = VECTORS_JSON_STRING;
        return vectors_parse_string(p, &out->string, &out->string_len);
    }
    return vectors_parse_word(p, out);
}

vectors_json *vectors_json_parse(const char *text, size_t len) {
    assert(text != NULL || len == 0);
    vectors_parser p = {.text = text, .len = len, .pos = 0, .depth = 0};
    vectors_json *root = calloc(1, sizeof *root);
    if (root == NULL) return NULL;
    int rc = vectors_parse_value(&p, root);
    vectors_skip_space(&p);
    if (rc != 0 || p.pos != p.len) {
        vectors_json_free(root);
        return NULL;
    }
    return root;
}

const vectors_json *vectors_json_get(const vectors_json *object, const char *key) {
    assert(key != NULL);
    if (object == NULL || object->kind != VECTORS_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < object->count; i++) {
        if (strcmp(object->keys[i], key) == 0) return &object->items[i];
    }
    return NULL;
}

const char *vectors_json_get_string(const vectors_json *object, const char *key) {
    const vectors_json *v = vectors_json_get(object, key);
    return v != NULL && v->kind == VECTORS_JSON_STRING ? v->string : NULL;
}

const vectors_json *vectors_json_at(const vectors_json *array, size_t i) {
    if (array == NULL || array->kind != VECTORS_JSON_ARRAY || i >= array->count) return NULL;
    return &array->items[i];
}

int vectors_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len) {
    assert(hex != NULL && out_len != NULL);
    size_t len = strlen(hex);
    if (len % 2 != 0 || len / 2 > cap) return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = vectors_hex_digit(hex[2 * i]), lo = vectors_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = len / 2;
    return 0;
}

size_t vectors_hex(const char *hex, uint8_t *out, size_t cap) {
    size_t len = 0;
    if (vectors_hex_decode(hex, out, cap, &len) != 0) {
        fprintf(stderr, "vectors: not hex of at most %zu bytes: %.80s\n", cap, hex);
        abort();
    }
    return len;
}

void vectors_spec_identity(identity *id) {
    uint8_t proto[IDENTITY_PRIVATE_PROTO_BYTES];
    size_t len = vectors_hex(VECTORS_SPEC_ED25519_PRIVATE_HEX, proto, sizeof proto);
    if (identity_private_proto_decode(proto, len, id) != 0) abort();
}

static char *vectors_read_whole(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    char *data = malloc(VECTORS_FILE_BYTES_MAX + 1);
    size_t n = data != NULL ? fread(data, 1, VECTORS_FILE_BYTES_MAX + 1, f) : 0;
    bool ok = data != NULL && !ferror(f) && n <= VECTORS_FILE_BYTES_MAX;
    fclose(f);
    if (!ok) {
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return data;
}

char *vectors_load_file(const char *name, size_t *len) {
    assert(name != NULL && len != NULL);
    char path[VECTORS_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", VECTORS_DIR, name);
    if (n < 0 || (size_t)n >= sizeof path) return NULL;
    return vectors_read_whole(path, len);
}
