/*
 * sealed_topic: the envelope of an encrypted topic (issue 18 item 5;
 * docs/data.md "The swarm's data: encrypted topics").
 *
 * A topic's members share a small set of symmetric keys, each named by a
 * 32-bit key id, handed to them out of band. A member seals a payload with
 * its newest key (the highest id) before it publishes it, and unseals a
 * message with whichever key the message names. Everyone else on the topic
 * relays the envelope as any pubsub message and reads nothing of it.
 *
 * The envelope, SEALED_OVERHEAD bytes more than the plaintext:
 *
 *   version (1 byte, SEALED_VERSION) | key id (4, big-endian) |
 *   nonce (24) | ciphertext and Poly1305 tag (plaintext + 16)
 *
 * sealed with XChaCha20-Poly1305 (libsodium's _ietf construction) under
 * additional data that binds the label "swarmlab/sealed-topic", the
 * version, the key id and the topic's name: an envelope moved to another
 * topic, or relabelled with another key id, does not unseal.
 *
 * Pure: no randomness of its own (the caller draws the nonce: the daemon
 * from the OS, the world from its seed), no allocation; every input byte
 * may be hostile.
 */
#ifndef SWARMLAB_SEALED_TOPIC_H
#define SWARMLAB_SEALED_TOPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEALED_VERSION 1
#define SEALED_KEY_BYTES 32
#define SEALED_NONCE_BYTES 24
#define SEALED_TAG_BYTES 16
#define SEALED_HEADER_BYTES (1 + 4 + SEALED_NONCE_BYTES)
#define SEALED_OVERHEAD (SEALED_HEADER_BYTES + SEALED_TAG_BYTES) /* 45 */
#define SEALED_KEYS_MAX 4                  /* keys a member holds at once: rotation keeps a few */
#define SEALED_TOPIC_MAX 256               /* longest topic name bound into the envelope */
#define SEALED_PLAINTEXT_MAX (1u << 20)    /* largest payload, as a stream message */
#define SEALED_KEY_TEXT_MAX 80             /* a key file's text: "4294967295 " + 64 hex digits + newline, with room */

/* What unsealing an envelope found. */
typedef enum sealed_status {
    SEALED_OK,          /* unsealed: the plaintext is the member's */
    SEALED_MALFORMED,   /* too short, too long, or a version we do not know */
    SEALED_UNKNOWN_KEY, /* names a key id this member does not hold */
    SEALED_FORGED,      /* the tag does not verify: tampered, another topic, a wrong key */
    SEALED_STATUS_COUNT
} sealed_status;

/* The bounded set of keys a member holds, by id. */
typedef struct sealed_keyring {
    struct {
        uint32_t id;
        bool used;
        uint8_t key[SEALED_KEY_BYTES];
    } keys[SEALED_KEYS_MAX];
} sealed_keyring;

/* The parts of an envelope, views into its bytes. */
typedef struct sealed_view {
    uint8_t version;
    uint32_t key_id;
    const uint8_t *nonce;      /* SEALED_NONCE_BYTES */
    const uint8_t *ciphertext; /* ciphertext_len bytes, the tag last */
    size_t ciphertext_len;
} sealed_view;

/* An empty keyring. */
void sealed_keyring_init(sealed_keyring *ring);
/* Adds key under id (copied; the caller wipes its own copy). A key already
 * held under id is replaced. A full ring forgets its oldest key (the lowest
 * id) to make room, unless id is older than all of them: then the ring is
 * unchanged and the call returns -1. 0 on success. */
int sealed_keyring_add(sealed_keyring *ring, uint32_t id, const uint8_t key[SEALED_KEY_BYTES]);
/* The key held under id, or NULL. */
const uint8_t *sealed_keyring_find(const sealed_keyring *ring, uint32_t id);
/* Whether the ring holds a key; *id is then its newest (the highest id). */
bool sealed_keyring_newest(const sealed_keyring *ring, uint32_t *id);
/* Wipes every key (sodium_memzero) and empties the ring. */
void sealed_keyring_wipe(sealed_keyring *ring);

/* Seals plain under ring's newest key for topic, with nonce (which must
 * never repeat under one key), into out: returns the envelope's length,
 * plain_len + SEALED_OVERHEAD, or 0 when the ring is empty, the topic or
 * the plaintext is too long, or out_cap is too small. */
size_t sealed_seal(const sealed_keyring *ring, const char *topic, const uint8_t nonce[SEALED_NONCE_BYTES],
                   const uint8_t *plain, size_t plain_len, uint8_t *out, size_t out_cap);

/* Splits an envelope into its parts without unsealing it: SEALED_OK or
 * SEALED_MALFORMED. What a non-member can learn is in *view: the key id
 * and the length. */
sealed_status sealed_parse(const uint8_t *env, size_t len, sealed_view *view);

/* Unseals env, sealed for topic, with the key it names: SEALED_OK with the
 * plaintext in out (*plain_len bytes; out_cap must hold len -
 * SEALED_OVERHEAD), or why not, out then holding nothing readable. */
sealed_status sealed_unseal(const sealed_keyring *ring, const char *topic, const uint8_t *env, size_t len,
                          uint8_t *out, size_t out_cap, size_t *plain_len);

/* A status's name for traces and messages ("ok", "unknown_key" ...). */
const char *sealed_status_name(sealed_status status);

/* Parses a key file's text: "KEY_ID HEX64\n" (the key id in decimal, the
 * key as 64 hex digits, a final newline optional). 0 with *id and key, or
 * -1. key is wiped on failure. */
int sealed_key_text_parse(const char *text, size_t len, uint32_t *id, uint8_t key[SEALED_KEY_BYTES]);

#endif
