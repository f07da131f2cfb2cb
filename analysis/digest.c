/*
 * digest: the trace digest, BLAKE2b-256 over the canonical encoding of every
 * event in order (digest.h has the encoding). Events are packed into a small
 * local buffer so that one event costs one or two hash updates, not eleven:
 * the digest runs on every event of every run.
 */
#include "digest.h"

#include <assert.h>
#include <string.h>

/* kind u8, time u64, node u32, size u64, payload u64, message_count u32,
 * five control counts u32, control_bytes u64, score u64. */
#define DIGEST_FIXED_BYTES (1 + 8 + 4 + 8 + 8 + 4 + 5 * 4 + 8 + 8)
#define DIGEST_LENGTH_BYTES 4
/* Room for the fixed part and the usual fields; longer ones are hashed in
 * place, which gives the same digest because BLAKE2b is a stream. */
#define DIGEST_BUFFER_BYTES 512

typedef struct digest_buffer {
    uint8_t bytes[DIGEST_BUFFER_BYTES];
    size_t len;
} digest_buffer;

static void digest_flush(trace_digest *d, digest_buffer *b) {
    if (b->len == 0) return;
    crypto_generichash_update(&d->state, b->bytes, b->len);
    b->len = 0;
}

static void digest_put_le(digest_buffer *b, uint64_t value, size_t width) {
    assert(width <= 8);
    assert(b->len + width <= DIGEST_BUFFER_BYTES);
    for (size_t i = 0; i < width; i++) b->bytes[b->len++] = (uint8_t)(value >> (8 * i));
}

/* A u32 length and the bytes; absent fields have length 0. */
static void digest_put_field(trace_digest *d, digest_buffer *b, const void *data, size_t len) {
    assert(data != NULL || len == 0);
    assert(len <= UINT32_MAX);
    if (b->len + DIGEST_LENGTH_BYTES > DIGEST_BUFFER_BYTES) digest_flush(d, b);
    digest_put_le(b, len, DIGEST_LENGTH_BYTES);
    if (len == 0) return;
    if (b->len + len <= DIGEST_BUFFER_BYTES) {
        memcpy(b->bytes + b->len, data, len);
        b->len += len;
        return;
    }
    digest_flush(d, b);
    crypto_generichash_update(&d->state, data, len);
}

/* The IEEE-754 bits of a double, so that the digest sees exactly the value
 * (and tells -0 from 0) on every host whose doubles are binary64. */
static uint64_t digest_double_bits(double value) {
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

_Static_assert(sizeof(double) == sizeof(uint64_t), "doubles are IEEE-754 binary64");

void trace_digest_init(trace_digest *d) {
    assert(d != NULL);
    int rc = crypto_generichash_init(&d->state, NULL, 0, DIGEST_BYTES);
    assert(rc == 0);
    (void)rc;
}

void trace_digest_update(trace_digest *d, const trace_event *event) {
    assert(d != NULL);
    assert(event != NULL);
    assert(event->kind < TRACE_KIND_COUNT);
    digest_buffer b = {.len = 0};
    digest_put_le(&b, (uint64_t)event->kind, 1);
    digest_put_le(&b, event->time_ns, 8);
    digest_put_le(&b, event->node_index, 4);
    digest_put_le(&b, event->size_bytes, 8);
    digest_put_le(&b, event->payload_bytes, 8);
    digest_put_le(&b, event->message_count, 4);
    digest_put_le(&b, event->ihave_ids, 4);
    digest_put_le(&b, event->iwant_ids, 4);
    digest_put_le(&b, event->idontwant_ids, 4);
    digest_put_le(&b, event->grafts, 4);
    digest_put_le(&b, event->prunes, 4);
    digest_put_le(&b, event->control_bytes, 8);
    digest_put_le(&b, digest_double_bits(event->score), 8);
    assert(b.len == DIGEST_FIXED_BYTES);
    digest_put_field(d, &b, event->msg_id, event->msg_id == NULL ? 0 : event->msg_id_len);
    digest_put_field(d, &b, event->topic, event->topic == NULL ? 0 : strlen(event->topic));
    digest_put_field(d, &b, event->peer, event->peer == NULL ? 0 : event->peer_len);
    digest_put_field(d, &b, event->reason, event->reason == NULL ? 0 : strlen(event->reason));
    digest_put_field(d, &b, event->protocol, event->protocol == NULL ? 0 : strlen(event->protocol));
    digest_flush(d, &b);
}

void trace_digest_final(trace_digest *d, char hex[DIGEST_HEX_BYTES]) {
    assert(d != NULL);
    assert(hex != NULL);
    uint8_t hash[DIGEST_BYTES];
    int rc = crypto_generichash_final(&d->state, hash, sizeof hash);
    assert(rc == 0);
    (void)rc;
    sodium_bin2hex(hex, DIGEST_HEX_BYTES, hash, sizeof hash);
}
