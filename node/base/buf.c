/* buf: growable byte buffer with a hard limit. See buf.h. */
#include "buf.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum { BUF_CAPACITY_MIN = 64 };

void buf_init(buf *b, size_t limit) {
    assert(b != NULL);
    assert(limit > 0);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

static int buf_reserve(buf *b, size_t needed) {
    if (needed <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : BUF_CAPACITY_MIN;
    while (cap < needed) {
        if (cap > SIZE_MAX / 2) return -1;
        cap *= 2;
    }
    if (cap > b->limit) cap = b->limit;
    uint8_t *data = realloc(b->data, cap);
    if (data == NULL) return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

int buf_append(buf *b, const void *bytes, size_t len) {
    assert(b != NULL);
    assert(b->len <= b->limit);
    if (len == 0) return 0;
    if (len > b->limit - b->len) return -1;
    if (buf_reserve(b, b->len + len) != 0) return -1;
    memcpy(b->data + b->len, bytes, len);
    b->len += len;
    return 0;
}

int buf_append_byte(buf *b, uint8_t byte) { return buf_append(b, &byte, 1); }

uint8_t *buf_extend(buf *b, size_t len) {
    assert(b != NULL);
    assert(b->len <= b->limit);
    if (len > b->limit - b->len) return NULL;
    if (buf_reserve(b, b->len + len) != 0) return NULL;
    uint8_t *start = b->data + b->len;
    b->len += len;
    return start;
}

void buf_consume(buf *b, size_t n) {
    assert(b != NULL);
    assert(n <= b->len);
    if (n == 0) return;
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void buf_truncate(buf *b, size_t len) {
    assert(b != NULL);
    assert(len <= b->len);
    b->len = len;
}

void buf_clear(buf *b) {
    assert(b != NULL);
    b->len = 0;
}

void buf_shrink_if_empty(buf *b, size_t keep) {
    assert(b != NULL);
    if (b->len != 0 || b->cap <= keep) return;
    size_t limit = b->limit;
    buf_wipe_free(b); /* it may have held plaintext */
    buf_init(b, limit);
}

void buf_free(buf *b) {
    assert(b != NULL);
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_wipe_free(buf *b) {
    assert(b != NULL);
    if (b->data != NULL) sodium_memzero(b->data, b->cap);
    buf_free(b);
}
