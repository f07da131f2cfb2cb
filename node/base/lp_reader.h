/*
 * lp_reader: splits a byte stream into varint-length-prefixed messages, the
 * framing of every libp2p protocol that runs on a stream (pubsub RPCs,
 * identify, custom protocols).
 *
 * Bytes come in chunks that fall wherever the sender's multiplexer and
 * encryption cut them. Whole messages are handed over where they lie in the
 * chunk; only a message that a chunk leaves unfinished is copied, and only
 * as many bytes as it still needs, so the buffer never holds more than one
 * message (its prefix and at most message_max bytes) however the chunks fall.
 */
#ifndef SWARMLAB_LP_READER_H
#define SWARMLAB_LP_READER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct lp_reader {
    buf partial;        /* the unfinished message at the front: prefix and body so far */
    size_t message_max; /* the largest body accepted */
} lp_reader;

/* Called for each whole message, in order; msg is valid during the call
 * only. A nonzero return stops the reader (lp_reader_feed returns -1). */
typedef int (*lp_message_fn)(void *user, const uint8_t *msg, size_t len);

void lp_reader_init(lp_reader *r, size_t message_max);
void lp_reader_free(lp_reader *r);

/* Feeds one chunk. Returns 0, or -1 when a length prefix is malformed or
 * announces more than message_max, or when fn refused a message: the stream
 * is then unusable, and the reader must not be fed again. */
int lp_reader_feed(lp_reader *r, const uint8_t *data, size_t len, lp_message_fn fn, void *user);

/* Bytes held for an unfinished message. */
size_t lp_reader_pending(const lp_reader *r);

#endif
