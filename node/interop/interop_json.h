/*
 * interop_json: a small, bounded JSON reader for the one JSON file the
 * daemon reads, test-plans' params.json (interop_params.h). It builds a
 * tree of values from bytes in memory and calls nothing but libc; every
 * limit below is checked, and a refusal says what is wrong and at which
 * line, never crashes. (analysis/json_read is the laboratory's reader;
 * the daemon may not link analysis/, tests/check-layers.sh.)
 *
 * RFC 8259 with these limits and choices:
 *   - nesting at most JSON_READ_DEPTH_MAX arrays and objects deep;
 *   - a string at most JSON_READ_STRING_MAX bytes once unescaped; \u escapes
 *     become UTF-8 (a lone surrogate is refused), raw control characters
 *     are refused, as the RFC says;
 *   - at most JSON_READ_VALUES_MAX values in all;
 *   - a number without fraction or exponent is kept exactly as an integer
 *     when it fits in 64 bits (signed or unsigned), and as a double always;
 *   - an object with the same key twice is refused;
 *   - nothing but white space may follow the value.
 */
#ifndef SWARMLAB_INTEROP_JSON_H
#define SWARMLAB_INTEROP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_READ_DEPTH_MAX 64
#define JSON_READ_STRING_MAX 4096
#define JSON_READ_VALUES_MAX 4000000
#define JSON_READ_ERROR_MAX 256

typedef enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    uint32_t line; /* where the value starts, from 1 */
    bool boolean;
    double number;
    bool is_integer;   /* a number written without fraction or exponent that fits */
    bool negative;     /* is_integer: the integer is below zero (then in integer, as two's complement) */
    uint64_t integer;  /* is_integer: its value (cast to int64_t when negative) */
    char *string;      /* JSON_STRING: NUL-terminated (a \u0000 inside is kept; len counts it) */
    size_t len;        /* JSON_STRING: bytes; arrays and objects: members */
    json_value *items; /* arrays and objects: the members' values */
    char **keys;       /* objects: the members' keys, NUL-terminated */
    size_t *key_lens;
};

/* Reads text[0..len) into a tree (*out, freed with json_read_free).
 * 0, or -1 with err holding one line: "line N: what is wrong". */
int json_read(const char *text, size_t len, json_value **out, char *err, size_t cap);
void json_read_free(json_value *value);

/* The member of object named key, or NULL (also when value is no object). */
const json_value *json_member(const json_value *object, const char *key);
const char *json_type_name(json_type type);
/* The first 64 bytes of s (len bytes), for a message: control characters
 * and DEL become '?', so that a message stays one line. */
#define JSON_QUOTE_MAX 65
void json_quote_text(const char *s, size_t len, char out[JSON_QUOTE_MAX]);

#endif
