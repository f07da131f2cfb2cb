/* sealed_topic: the envelope of an encrypted topic. See sealed_topic.h. */
#include "sealed_topic.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

#define SEALED_LABEL "swarmlab/sealed-topic"
#define SEALED_AD_MAX (sizeof SEALED_LABEL + 1 + 4 + SEALED_TOPIC_MAX)

void sealed_keyring_init(sealed_keyring *ring) { memset(ring, 0, sizeof *ring); }

/* The slot holding id, or the ring's size when none does. */
static size_t keyring_slot(const sealed_keyring *ring, uint32_t id) {
    for (size_t i = 0; i < SEALED_KEYS_MAX; i++)
        if (ring->keys[i].used && ring->keys[i].id == id) return i;
    return SEALED_KEYS_MAX;
}

/* Where a new key goes: a free slot, else the oldest key's, when the new
 * one is newer than it (a stale key must not push out a current one). */
static size_t keyring_free_slot(const sealed_keyring *ring, uint32_t id) {
    size_t oldest = SEALED_KEYS_MAX;
    for (size_t i = 0; i < SEALED_KEYS_MAX; i++) {
        if (!ring->keys[i].used) return i;
        if (oldest == SEALED_KEYS_MAX || ring->keys[i].id < ring->keys[oldest].id) oldest = i;
    }
    return ring->keys[oldest].id < id ? oldest : SEALED_KEYS_MAX;
}

int sealed_keyring_add(sealed_keyring *ring, uint32_t id, const uint8_t key[SEALED_KEY_BYTES]) {
    size_t slot = keyring_slot(ring, id);
    if (slot == SEALED_KEYS_MAX) slot = keyring_free_slot(ring, id);
    if (slot == SEALED_KEYS_MAX) return -1;
    sodium_memzero(ring->keys[slot].key, SEALED_KEY_BYTES); /* the key it replaces */
    memcpy(ring->keys[slot].key, key, SEALED_KEY_BYTES);
    ring->keys[slot].id = id;
    ring->keys[slot].used = true;
    return 0;
}

const uint8_t *sealed_keyring_find(const sealed_keyring *ring, uint32_t id) {
    size_t slot = keyring_slot(ring, id);
    return slot == SEALED_KEYS_MAX ? NULL : ring->keys[slot].key;
}

bool sealed_keyring_newest(const sealed_keyring *ring, uint32_t *id) {
    bool any = false;
    for (size_t i = 0; i < SEALED_KEYS_MAX; i++) {
        if (!ring->keys[i].used || (any && ring->keys[i].id <= *id)) continue;
        *id = ring->keys[i].id;
        any = true;
    }
    return any;
}

void sealed_keyring_wipe(sealed_keyring *ring) { sodium_memzero(ring, sizeof *ring); }

static void put_u32(uint8_t *out, uint32_t v) {
    for (int i = 0; i < 4; i++) out[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint32_t get_u32(const uint8_t *in) {
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

/* The additional data: label, NUL, version, key id, topic. The topic is
 * last, so its length needs no prefix to be unambiguous. 0 when the topic
 * is too long. */
static size_t sealed_ad(uint8_t version, uint32_t key_id, const char *topic, uint8_t out[SEALED_AD_MAX]) {
    size_t topic_len = strnlen(topic, SEALED_TOPIC_MAX + 1);
    if (topic_len > SEALED_TOPIC_MAX) return 0;
    size_t at = sizeof SEALED_LABEL; /* with its NUL */
    memcpy(out, SEALED_LABEL, at);
    out[at++] = version;
    put_u32(out + at, key_id);
    at += 4;
    memcpy(out + at, topic, topic_len);
    return at + topic_len;
}

size_t sealed_seal(const sealed_keyring *ring, const char *topic, const uint8_t nonce[SEALED_NONCE_BYTES],
                   const uint8_t *plain, size_t plain_len, uint8_t *out, size_t out_cap) {
    uint32_t id = 0;
    if (!sealed_keyring_newest(ring, &id) || plain_len > SEALED_PLAINTEXT_MAX ||
        out_cap < plain_len + SEALED_OVERHEAD)
        return 0;
    uint8_t ad[SEALED_AD_MAX];
    size_t ad_len = sealed_ad(SEALED_VERSION, id, topic, ad);
    if (ad_len == 0) return 0;
    out[0] = SEALED_VERSION;
    put_u32(out + 1, id);
    memcpy(out + 5, nonce, SEALED_NONCE_BYTES);
    unsigned long long sealed_len = 0;
    int rc = crypto_aead_xchacha20poly1305_ietf_encrypt(out + SEALED_HEADER_BYTES, &sealed_len, plain, plain_len,
                                                        ad, ad_len, NULL, nonce, sealed_keyring_find(ring, id));
    assert(rc == 0 && sealed_len == plain_len + SEALED_TAG_BYTES);
    (void)rc;
    return SEALED_HEADER_BYTES + (size_t)sealed_len;
}

sealed_status sealed_parse(const uint8_t *env, size_t len, sealed_view *view) {
    if (len < SEALED_OVERHEAD || len > SEALED_PLAINTEXT_MAX + SEALED_OVERHEAD || env[0] != SEALED_VERSION)
        return SEALED_MALFORMED;
    view->version = env[0];
    view->key_id = get_u32(env + 1);
    view->nonce = env + 5;
    view->ciphertext = env + SEALED_HEADER_BYTES;
    view->ciphertext_len = len - SEALED_HEADER_BYTES;
    return SEALED_OK;
}

sealed_status sealed_unseal(const sealed_keyring *ring, const char *topic, const uint8_t *env, size_t len,
                          uint8_t *out, size_t out_cap, size_t *plain_len) {
    *plain_len = 0;
    sealed_view view;
    if (sealed_parse(env, len, &view) != SEALED_OK || out_cap < view.ciphertext_len - SEALED_TAG_BYTES)
        return SEALED_MALFORMED;
    const uint8_t *key = sealed_keyring_find(ring, view.key_id);
    if (key == NULL) return SEALED_UNKNOWN_KEY;
    uint8_t ad[SEALED_AD_MAX];
    size_t ad_len = sealed_ad(view.version, view.key_id, topic, ad);
    if (ad_len == 0) return SEALED_FORGED; /* no member seals for such a topic */
    unsigned long long unsealed = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &unsealed, NULL, view.ciphertext, view.ciphertext_len, ad,
                                                   ad_len, view.nonce, key) != 0)
        return SEALED_FORGED; /* libsodium leaves nothing of it in out */
    *plain_len = (size_t)unsealed;
    return SEALED_OK;
}

const char *sealed_status_name(sealed_status status) {
    static const char *const names[SEALED_STATUS_COUNT] = {"ok", "malformed", "unknown_key", "forged"};
    return status < SEALED_STATUS_COUNT ? names[status] : "?";
}

/* One hex digit's value, or -1. */
static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Exactly 2 * SEALED_KEY_BYTES hex digits into key. 0 or -1. */
static int key_hex_decode(const char *hex, size_t len, uint8_t key[SEALED_KEY_BYTES]) {
    if (len != 2 * SEALED_KEY_BYTES) return -1;
    for (size_t i = 0; i < SEALED_KEY_BYTES; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int sealed_key_text_parse(const char *text, size_t len, uint32_t *id, uint8_t key[SEALED_KEY_BYTES]) {
    if (len > SEALED_KEY_TEXT_MAX) return -1;
    if (len > 0 && text[len - 1] == '\n') len--;
    size_t at = 0;
    uint64_t value = 0;
    for (; at < len && at < 10 && text[at] >= '0' && text[at] <= '9'; at++) value = value * 10 + (uint64_t)(text[at] - '0');
    if (at == 0 || value > UINT32_MAX || at >= len || text[at] != ' ') return -1;
    if (key_hex_decode(text + at + 1, len - at - 1, key) != 0) {
        sodium_memzero(key, SEALED_KEY_BYTES);
        return -1;
    }
    *id = (uint32_t)value;
    return 0;
}
