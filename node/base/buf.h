/*
 * buf: a growable byte buffer with a hard limit.
 *
 * Every layer of the node hands bytes to the next one through a buf. The
 * limit is what keeps memory bounded: an append that would grow a buf past
 * its limit fails, and the caller treats that as the peer misbehaving (or,
 * for output, as back-pressure it must respect).
 */
#ifndef SWARMLAB_BUF_H
#define SWARMLAB_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t limit; /* len never exceeds limit */
} buf;

void buf_init(buf *b, size_t limit);
/* Returns 0, or -1 when the append would pass the limit or memory ran out
 * (the buf is then unchanged). */
int buf_append(buf *b, const void *bytes, size_t len);
int buf_append_byte(buf *b, uint8_t byte);
/* Grows the buf by len bytes and returns where they start, for the caller
 * to fill in place (no intermediate copy); NULL past the limit. */
uint8_t *buf_extend(buf *b, size_t len);
/* Drops the first n bytes (n <= len). */
void buf_consume(buf *b, size_t n);
/* Drops the bytes past the first len (len <= b->len). */
void buf_truncate(buf *b, size_t len);
void buf_clear(buf *b);
/* When the buf is empty and holds more than keep bytes of storage, gives
 * the storage back: a connection's buffers grow to the largest message it
 * carried and would otherwise keep that much for good (thousands of idle
 * connections times a 1 MiB message). */
void buf_shrink_if_empty(buf *b, size_t keep);
/* Frees the storage; the buf may be reused after buf_init. */
void buf_free(buf *b);
/* Zeroes the storage before freeing it: for buffers that held secrets. */
void buf_wipe_free(buf *b);

#endif
