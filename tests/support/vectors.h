/*
 * vectors: loading published test vectors for the unit tests.
 *
 * A minimal JSON reader (objects, arrays, strings, numbers, true, false,
 * null) into a tree, hex decoding, and the reading of a vector file from
 * tests/vectors/ (tests/vectors/README.md names where each one comes from).
 * The vector files are other people's data, so the reader is bounds-checked
 * and limits nesting like any decoder.
 */
#ifndef SWARMLAB_TESTS_VECTORS_H
#define SWARMLAB_TESTS_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VECTORS_JSON_DEPTH_MAX 64
#define VECTORS_FILE_BYTES_MAX (16u << 20)
#define VECTORS_DIR "tests/vectors" /* from the repository root, where make test runs */
#define VECTORS_PATH_MAX 4096

typedef enum vectors_json_kind {
    VECTORS_JSON_NULL,
    VECTORS_JSON_BOOL,
    VECTORS_JSON_NUMBER,
    VECTORS_JSON_STRING,
    VECTORS_JSON_ARRAY,
    VECTORS_JSON_OBJECT,
} vectors_json_kind;

typedef struct vectors_json vectors_json;
struct vectors_json {
    vectors_json_kind kind;
    bool boolean;
    double number;
    char *string; /* STRING: NUL-terminated (no NULs inside) */
    size_t string_len;
    vectors_json *items; /* ARRAY and OBJECT: the values */
    char **keys;         /* OBJECT: the key of each item */
    size_t count;
};

/* Parses a whole JSON document; NULL on any syntax error, trailing garbage,
 * nesting deeper than VECTORS_JSON_DEPTH_MAX or memory exhaustion. */
vectors_json *vectors_json_parse(const char *text, size_t len);
void vectors_json_free(vectors_json *value);

/* The value under key in an object (the first one), or NULL. */
const vectors_json *vectors_json_get(const vectors_json *object, const char *key);
/* The string under key in an object, or NULL if absent or not a string. */
const char *vectors_json_get_string(const vectors_json *object, const char *key);
/* Item i of an array, or NULL. */
const vectors_json *vectors_json_at(const vectors_json *array, size_t i);

/* Decodes hex text (even length, either case) into out; 0 or -1. */
int vectors_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len);
/* The same for a test's own constant: returns the length, and aborts,
 * naming the text, when it is malformed or longer than cap (the test is
 * wrong, not the code under test). */
size_t vectors_hex(const char *hex, uint8_t *out, size_t cap);

/* libp2p/specs peer-ids.md "Test vectors": the Ed25519 key pair, as its
 * PrivateKey protobuf in hex. */
#define VECTORS_SPEC_ED25519_PRIVATE_HEX                                          \
    "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d" \
    "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
/* Decodes it into id (aborts if it does not decode). */
struct identity;
void vectors_spec_identity(struct identity *id);

/* Reads VECTORS_DIR/name whole (NUL-terminated, to be freed by the caller);
 * NULL when it cannot be read. */
char *vectors_load_file(const char *name, size_t *len);

#endif
