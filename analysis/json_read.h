/*
 * json_read: a small, bounded reader for JSON documents such as
 * metrics.json, for tools that want a few values out of a file they did not
 * necessarily write (compare, and whoever reads results next).
 *
 * It does not build a tree. It walks the document once and hands every
 * scalar leaf (number, string, true, false, null) to a callback together
 * with its path: the keys from the root down, an array element's key being
 * its index in decimal. A caller that wants "latency_ms.p99" matches the
 * path ["latency_ms", "p99"], so a key that itself contains a dot (the
 * "parameters" object has "score.decay_interval_s") can never be mistaken
 * for a nested one.
 *
 * The input is hostile until proven otherwise: nesting, key length and
 * string length are bounded, numbers must follow the JSON grammar and be
 * finite doubles, and any error comes back as "line L: what" without a
 * crash. Memory use is the caller's text plus a fixed-size walker state.
 */
#ifndef SWARMLAB_JSON_READ_H
#define SWARMLAB_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_READ_DEPTH_MAX 32
#define JSON_READ_KEY_MAX 256     /* bytes of one key, after unescaping */
#define JSON_READ_STRING_MAX 4096 /* bytes of one string value, after unescaping */

typedef enum json_read_kind {
    JSON_READ_NULL,
    JSON_READ_BOOL,
    JSON_READ_NUMBER,
    JSON_READ_STRING,
} json_read_kind;

typedef struct json_read_leaf {
    const char *const *keys; /* keys[0] .. keys[depth - 1], NUL-terminated */
    size_t depth;            /* 0 when the whole document is one scalar */
    json_read_kind kind;
    bool boolean;            /* JSON_READ_BOOL */
    double number;           /* JSON_READ_NUMBER */
    /* JSON_READ_STRING: the unescaped text (may hold NUL bytes from \u0000);
     * JSON_READ_NUMBER: the number exactly as written (seeds above 2^53 do
     * not survive a double). Valid only during the callback. */
    const char *text;
    size_t text_len;
    int line; /* 1-based line of the value */
} json_read_leaf;

/* Return 0 to go on; anything else stops the walk, and json_read_walk
 * returns that value (the callback fills its own error text). */
typedef int (*json_read_leaf_fn)(void *user, const json_read_leaf *leaf);

/* Walks the document text[0 .. len - 1]. Returns 0; or -1 with "line L:
 * what" in err when the text is not one well-formed JSON value within the
 * bounds above; or the callback's nonzero value. */
int json_read_walk(const char *text, size_t len, json_read_leaf_fn fn, void *user, char *err,
                   size_t err_cap);

/* True when the leaf's path is exactly the dotted path given, e.g.
 * "attack.during.latency_ms.p50" (no key on that path may hold a dot). */
bool json_read_path_is(const json_read_leaf *leaf, const char *dotted);

/* Reads a whole file of at most cap bytes into a new NUL-terminated buffer
 * (*text, free it). Returns 0, or -1 with err saying why (unreadable, too
 * large). */
int json_read_file(const char *path, size_t cap, char **text, size_t *len, char *err, size_t err_cap);

#endif
