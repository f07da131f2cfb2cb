/*
 * fuzz_sealed_topic: hostile bytes through an encrypted topic's envelope
 * (node/data/sealed_topic.h), as a member receives them. Whatever parses
 * must hold together (views inside the input); nothing a fuzzer writes
 * unseals under the member's keys unless a member sealed it; a payload
 * sealed from the input unseals to itself, and to nothing once any byte
 * after the version is flipped. The key file's parser sees the input too.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/sealed_topic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) abort(); \
    } while (0)

#define FUZZ_PLAIN_MAX 4096 /* inputs past it are cut: the envelope's cost grows only linearly */

static const char fuzz_topic[] = "fuzz";

static void fuzz_ring(sealed_keyring *ring) {
    sealed_keyring_init(ring);
    uint8_t key[SEALED_KEY_BYTES];
    memset(key, 0x11, sizeof key);
    FUZZ_CHECK(sealed_keyring_add(ring, 1, key) == 0);
    memset(key, 0x22, sizeof key);
    FUZZ_CHECK(sealed_keyring_add(ring, 2, key) == 0);
}

/* The input as a received envelope. */
static void fuzz_received(const sealed_keyring *ring, const uint8_t *data, size_t size) {
    sealed_view view;
    if (sealed_parse(data, size, &view) == SEALED_OK) {
        FUZZ_CHECK(view.version == SEALED_VERSION && view.nonce == data + 5);
        FUZZ_CHECK(view.ciphertext + view.ciphertext_len == data + size);
        FUZZ_CHECK(view.ciphertext_len >= SEALED_TAG_BYTES);
    }
    static uint8_t out[FUZZ_PLAIN_MAX + SEALED_OVERHEAD];
    size_t out_len = 1;
    sealed_status status = sealed_unseal(ring, fuzz_topic, data, size, out, sizeof out, &out_len);
    /* Forging a Poly1305 tag is not a fuzzer's business: nothing unseals. */
    FUZZ_CHECK(status != SEALED_OK && out_len == 0);
    FUZZ_CHECK(sealed_status_name(status)[0] != '?');
}

/* The input as a member's payload, sealed and unsealed. */
static void fuzz_round_trip(const sealed_keyring *ring, const uint8_t *data, size_t size) {
    if (size > FUZZ_PLAIN_MAX) size = FUZZ_PLAIN_MAX;
    static uint8_t env[FUZZ_PLAIN_MAX + SEALED_OVERHEAD], out[FUZZ_PLAIN_MAX];
    uint8_t nonce[SEALED_NONCE_BYTES] = {0};
    memcpy(nonce, data, size < sizeof nonce ? size : sizeof nonce);
    size_t len = sealed_seal(ring, fuzz_topic, nonce, data, size, env, sizeof env), out_len = 0;
    FUZZ_CHECK(len == size + SEALED_OVERHEAD && env[4] == 2); /* the newest key */
    FUZZ_CHECK(sealed_unseal(ring, fuzz_topic, env, len, out, sizeof out, &out_len) == SEALED_OK);
    FUZZ_CHECK(out_len == size && (size == 0 || memcmp(out, data, size) == 0));
    size_t flip = 1 + (size > 0 ? data[0] : 0) % (len - 1);
    env[flip] ^= 0x01;
    sealed_status status = sealed_unseal(ring, fuzz_topic, env, len, out, sizeof out, &out_len);
    /* A flip in the key id (bytes 1-4) names no key held (not 1: the
     * flipped bit is the lowest of a byte); any other breaks the tag. */
    FUZZ_CHECK(status == (flip <= 4 ? SEALED_UNKNOWN_KEY : SEALED_FORGED) && out_len == 0);
}

static void fuzz_key_text(const uint8_t *data, size_t size) {
    uint32_t id = 0;
    uint8_t key[SEALED_KEY_BYTES];
    if (sealed_key_text_parse((const char *)data, size, &id, key) != 0) return;
    FUZZ_CHECK(size >= 2 + 2 * SEALED_KEY_BYTES && size <= SEALED_KEY_TEXT_MAX);
    sodium_memzero(key, sizeof key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (sodium_init() < 0) abort();
    sealed_keyring ring;
    fuzz_ring(&ring);
    fuzz_received(&ring, data, size);
    fuzz_round_trip(&ring, data, size);
    fuzz_key_text(data, size);
    sealed_keyring_wipe(&ring);
    return 0;
}
