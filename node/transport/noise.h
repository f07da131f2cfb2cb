/*
 * noise: Noise_XX_25519_ChaChaPoly_SHA256 (noiseprotocol.org rev 34) and the
 * libp2p secure channel built on it (libp2p/specs noise/README.md).
 *
 * Two layers:
 *  - noise_xx_*: the bare handshake pattern with caller-supplied static and
 *    ephemeral keys and prologue, checked against the cacophony vectors.
 *  - noise_channel_*: libp2p's use of it: empty prologue, every handshake
 *    and transport message framed by a 2-byte big-endian length, handshake
 *    payloads that carry the identity key and its signature over
 *    "noise-libp2p-static-key:" || the Noise static key, and a fed-with-bytes
 *    state machine. The initiator learns and checks the responder's identity
 *    from message 2, the responder the initiator's from message 3.
 *
 * Nothing here draws randomness: keys are given by the caller, which takes
 * them from the environment. Every secret is wiped when no longer needed.
 */
#ifndef SWARMLAB_NOISE_H
#define SWARMLAB_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "crypto/identity.h"

#define NOISE_KEY_BYTES 32
#define NOISE_HASH_BYTES 32
#define NOISE_TAG_BYTES 16
#define NOISE_MESSAGE_MAX 65535                               /* the spec's limit */
#define NOISE_PLAINTEXT_MAX (NOISE_MESSAGE_MAX - NOISE_TAG_BYTES) /* per transport frame */
#define NOISE_FRAME_HEADER_BYTES 2
#define NOISE_PAYLOAD_PROTOCOL "/noise"
#define NOISE_SIGNATURE_PREFIX "noise-libp2p-static-key:"

typedef struct noise_cipher {
    uint8_t key[NOISE_KEY_BYTES];
    uint64_t nonce;
    bool has_key;
} noise_cipher;

typedef struct noise_xx {
    bool initiator;
    int step; /* messages processed so far, 0..3 */
    uint8_t h[NOISE_HASH_BYTES];
    uint8_t ck[NOISE_HASH_BYTES];
    noise_cipher cipher;
    uint8_t s_secret[NOISE_KEY_BYTES], s_public[NOISE_KEY_BYTES];
    uint8_t e_secret[NOISE_KEY_BYTES], e_public[NOISE_KEY_BYTES];
    uint8_t rs[NOISE_KEY_BYTES], re[NOISE_KEY_BYTES];
} noise_xx;

/* Starts a handshake. The ephemeral key is the caller's too (vectors fix it,
 * the node draws it from the environment). */
void noise_xx_init(noise_xx *hs, bool initiator, const uint8_t *prologue, size_t prologue_len,
                   const uint8_t s_secret[NOISE_KEY_BYTES], const uint8_t e_secret[NOISE_KEY_BYTES]);
/* Writes the next handshake message (without the libp2p length frame)
 * carrying payload; 0 or -1 (wrong turn, out too small). */
int noise_xx_write(noise_xx *hs, const uint8_t *payload, size_t payload_len, uint8_t *out,
                   size_t cap, size_t *out_len);
/* Reads the next handshake message; the decrypted payload goes to
 * payload_out. 0 or -1 (wrong turn, truncated, authentication failed). */
int noise_xx_read(noise_xx *hs, const uint8_t *msg, size_t len, uint8_t *payload_out, size_t cap,
                  size_t *payload_len);
bool noise_xx_complete(const noise_xx *hs);
/* After the third message: the two transport ciphers (send, receive), and
 * the handshake state is wiped (the handshake hash is kept in hs->h). */
void noise_xx_split(noise_xx *hs, noise_cipher *send, noise_cipher *recv);
void noise_xx_wipe(noise_xx *hs);

/* Transport encryption with empty associated data: out gets len + 16
 * bytes. decrypt returns 0 or -1 (forgery, nonce exhausted). */
int noise_cipher_encrypt(noise_cipher *c, const uint8_t *plain, size_t len, uint8_t *out);
int noise_cipher_decrypt(noise_cipher *c, const uint8_t *cipher, size_t len, uint8_t *out);

typedef enum noise_channel_state {
    NOISE_CHANNEL_HANDSHAKE = 0,
    NOISE_CHANNEL_OPEN = 1,
    NOISE_CHANNEL_FAILED = -1,
} noise_channel_state;

typedef struct noise_channel {
    noise_channel_state state;
    noise_xx hs;
    noise_cipher send, recv;
    const identity *local; /* borrowed; outlives the channel */
    peer_id remote;        /* valid once the remote's payload was verified */
    uint8_t remote_public_key[IDENTITY_PUBLIC_KEY_BYTES];
    bool remote_known;
    const char *error; /* why it failed, for traces */
    buf inbound;       /* private: a partial frame */
} noise_channel;

/* Starts the libp2p channel. static_secret and ephemeral_secret are taken
 * from the environment's randomness by the caller. */
void noise_channel_init(noise_channel *ch, bool initiator, const identity *local,
                        const uint8_t static_secret[NOISE_KEY_BYTES],
                        const uint8_t ephemeral_secret[NOISE_KEY_BYTES]);
/* Appends the initiator's first message to wire (nothing for a responder);
 * 0 or -1. */
int noise_channel_start(noise_channel *ch, buf *wire);
/* Feeds bytes from the wire. Handshake replies go to wire, decrypted
 * application bytes to plain. Returns 0, or -1 after which the channel is
 * NOISE_CHANNEL_FAILED and ch->error says why. Transitions to
 * NOISE_CHANNEL_OPEN happen inside; callers check ch->state after each feed. */
int noise_channel_feed(noise_channel *ch, const uint8_t *in, size_t len, buf *wire, buf *plain);
/* Encrypts application bytes (any length; split into frames) onto wire. */
int noise_channel_send(noise_channel *ch, const uint8_t *plain, size_t len, buf *wire);
/* Wipes every key and frees buffers. */
void noise_channel_free(noise_channel *ch);

#endif
