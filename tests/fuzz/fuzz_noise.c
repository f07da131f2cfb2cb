/*
 * fuzz_noise: the libp2p Noise channel fed hostile bytes.
 *
 * The first input byte picks a split point; the rest is the byte stream.
 * A responder gets it in two chunks (split there), as if from an
 * initiator; an initiator that has sent message 1 gets it whole, as if
 * message 2 and what follows. Keys are fixed, so a seed holding real
 * frames from peers with these keys drives both channels past the
 * handshake into transport frames.
 */
#include <assert.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>

#include "transport/noise.h"

enum { FUZZ_WIRE_LIMIT = 1 << 18, FUZZ_PLAIN_LIMIT = 1 << 18 };

static const uint8_t fuzz_initiator_seed[IDENTITY_SEED_BYTES] = {0x49, 0x6e, 0x69, 0x74};
static const uint8_t fuzz_responder_seed[IDENTITY_SEED_BYTES] = {0x52, 0x65, 0x73, 0x70};
static const uint8_t fuzz_initiator_static[NOISE_KEY_BYTES] = {1, 1, 1, 1};
static const uint8_t fuzz_initiator_ephemeral[NOISE_KEY_BYTES] = {2, 2, 2, 2};
static const uint8_t fuzz_responder_static[NOISE_KEY_BYTES] = {3, 3, 3, 3};
static const uint8_t fuzz_responder_ephemeral[NOISE_KEY_BYTES] = {4, 4, 4, 4};

static identity fuzz_initiator_identity, fuzz_responder_identity;

static void fuzz_setup(void) {
    static int ready = 0;
    if (ready) return;
    if (sodium_init() < 0) abort();
    identity_from_seed(&fuzz_initiator_identity, fuzz_initiator_seed);
    identity_from_seed(&fuzz_responder_identity, fuzz_responder_seed);
    ready = 1;
}

/* What must hold after any feed, whatever the bytes were. */
static void fuzz_check(noise_channel *ch, int rc, buf *wire) {
    assert(rc == 0 || ch->state == NOISE_CHANNEL_FAILED);
    assert(ch->state != NOISE_CHANNEL_FAILED || ch->error != NULL);
    assert(ch->inbound.len <= NOISE_FRAME_HEADER_BYTES + NOISE_MESSAGE_MAX);
    assert(ch->state != NOISE_CHANNEL_OPEN || ch->remote_known);
    if (ch->state == NOISE_CHANNEL_OPEN) {
        int sent = noise_channel_send(ch, (const uint8_t *)"reply", 5, wire);
        assert(sent == 0);
        (void)sent;
    }
}

static void fuzz_responder(const uint8_t *data, size_t size, size_t split) {
    noise_channel ch;
    buf wire, plain;
    noise_channel_init(&ch, false, &fuzz_responder_identity, fuzz_responder_static,
                       fuzz_responder_ephemeral);
    buf_init(&wire, FUZZ_WIRE_LIMIT);
    buf_init(&plain, FUZZ_PLAIN_LIMIT);
    int rc = noise_channel_feed(&ch, data, split, &wire, &plain);
    int rc_rest = noise_channel_feed(&ch, data + split, size - split, &wire, &plain);
    assert(rc == 0 || rc_rest == -1);
    fuzz_check(&ch, rc_rest, &wire);
    noise_channel_free(&ch);
    buf_free(&wire);
    buf_free(&plain);
}

static void fuzz_initiator(const uint8_t *data, size_t size) {
    noise_channel ch;
    buf wire, plain;
    noise_channel_init(&ch, true, &fuzz_initiator_identity, fuzz_initiator_static,
                       fuzz_initiator_ephemeral);
    buf_init(&wire, FUZZ_WIRE_LIMIT);
    buf_init(&plain, FUZZ_PLAIN_LIMIT);
    int started = noise_channel_start(&ch, &wire);
    assert(started == 0);
    (void)started;
    buf_clear(&wire);
    int rc = noise_channel_feed(&ch, data, size, &wire, &plain);
    fuzz_check(&ch, rc, &wire);
    noise_channel_free(&ch);
    buf_free(&wire);
    buf_free(&plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_setup();
    if (size == 0) return 0;
    size_t split = data[0] < size - 1 ? data[0] : size - 1;
    fuzz_responder(data + 1, size - 1, split);
    fuzz_initiator(data + 1, size - 1);
    return 0;
}
