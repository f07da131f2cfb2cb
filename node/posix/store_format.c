/*
 * store_format: the byte layouts of the encrypted store's rows and sealed
 * files. See store_format.h; nothing here touches the OS.
 */
#include "store_format.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

static_assert(STORE_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "the nonce of XChaCha20");
static_assert(STORE_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "the tag of Poly1305");
static_assert(STORE_SEALED_SALT_BYTES == crypto_pwhash_SALTBYTES, "Argon2id's salt");
static_assert(STORE_KEY_MAX < 256u, "a CID's length fits the one-byte cid_len");

/* ---- block records ---------------------------------------------------- */

int store_record_parse(const uint8_t *rec, size_t len, store_record_view *out) {
    /* The smallest plaintext is a one-byte CID and an empty block. */
    if (rec == NULL || len < STORE_RECORD_OVERHEAD + 2u || len > STORE_RECORD_MAX) return -1;
    if (rec[0] != STORE_RECORD_VERSION) return -1;
    out->nonce = rec + 1;
    out->ciphertext = rec + 1 + STORE_NONCE_BYTES;
    out->ciphertext_len = len - 1 - STORE_NONCE_BYTES;
    assert(out->ciphertext_len >= STORE_TAG_BYTES + 2u);
    return 0;
}

void store_record_ad(const uint8_t row_id[STORE_ROW_ID_BYTES], uint8_t ad[STORE_ROW_ID_BYTES + 1]) {
    memcpy(ad, row_id, STORE_ROW_ID_BYTES);
    ad[STORE_ROW_ID_BYTES] = STORE_RECORD_VERSION;
}

size_t store_plain_encode(const uint8_t *key, size_t key_len, const uint8_t *block, size_t len, uint8_t *out,
                          size_t cap) {
    if (key_len == 0 || key_len > STORE_KEY_MAX || len > STORE_BLOCK_MAX || cap < 1u + key_len + len) return 0;
    out[0] = (uint8_t)key_len;
    memcpy(out + 1, key, key_len);
    if (len > 0) memcpy(out + 1 + key_len, block, len);
    return 1u + key_len + len;
}

int store_plain_parse(const uint8_t *plain, size_t len, const uint8_t **key, size_t *key_len,
                      const uint8_t **block, size_t *block_len) {
    if (len < 1u) return -1;
    size_t k = plain[0];
    if (k == 0 || k > STORE_KEY_MAX || len < 1u + k || len - 1u - k > STORE_BLOCK_MAX) return -1;
    *key = plain + 1;
    *key_len = k;
    *block = plain + 1 + k;
    *block_len = len - 1u - k;
    return 0;
}

/* ---- sealed files ----------------------------------------------------- */

static void put_le64(uint8_t *p, uint64_t v) {
    for (size_t i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void store_sealed_header_encode(const store_sealed_header *h, uint8_t out[STORE_SEALED_HEADER_BYTES]) {
    uint8_t *p = out;
    memcpy(p, h->magic, STORE_SEALED_MAGIC_BYTES);
    p += STORE_SEALED_MAGIC_BYTES;
    *p++ = h->version;
    *p++ = h->wrap;
    put_le64(p, h->opslimit);
    put_le64(p + 8, h->memlimit);
    p += 16;
    memcpy(p, h->salt, STORE_SEALED_SALT_BYTES);
    p += STORE_SEALED_SALT_BYTES;
    memcpy(p, h->nonce, STORE_NONCE_BYTES);
    assert((size_t)(p + STORE_NONCE_BYTES - out) == STORE_SEALED_HEADER_BYTES);
}

/* Passphrase limits within libsodium's INTERACTIVE..SENSITIVE; a key file's
 * all zero. */
static bool sealed_limits_valid(const store_sealed_header *h) {
    static const uint8_t zero_salt[STORE_SEALED_SALT_BYTES];
    if (h->wrap == STORE_WRAP_KEYFILE)
        return h->opslimit == 0 && h->memlimit == 0 && memcmp(h->salt, zero_salt, sizeof zero_salt) == 0;
    if (h->wrap != STORE_WRAP_PASSPHRASE) return false;
    return h->opslimit >= crypto_pwhash_OPSLIMIT_INTERACTIVE && h->opslimit <= crypto_pwhash_OPSLIMIT_SENSITIVE &&
           h->memlimit >= crypto_pwhash_MEMLIMIT_INTERACTIVE && h->memlimit <= crypto_pwhash_MEMLIMIT_SENSITIVE;
}

int store_sealed_parse(const uint8_t *file, size_t len, store_sealed_header *h, const uint8_t **sealed,
                       size_t *sealed_len) {
    if (file == NULL || len < STORE_SEALED_HEADER_BYTES + STORE_TAG_BYTES + 1u || len > STORE_SEALED_FILE_MAX)
        return -1;
    const uint8_t *p = file;
    memcpy(h->magic, p, STORE_SEALED_MAGIC_BYTES);
    p += STORE_SEALED_MAGIC_BYTES;
    h->version = *p++;
    h->wrap = *p++;
    h->opslimit = get_le64(p);
    h->memlimit = get_le64(p + 8);
    p += 16;
    memcpy(h->salt, p, STORE_SEALED_SALT_BYTES);
    p += STORE_SEALED_SALT_BYTES;
    memcpy(h->nonce, p, STORE_NONCE_BYTES);
    if (h->version != STORE_SEALED_VERSION || !sealed_limits_valid(h)) return -1;
    *sealed = file + STORE_SEALED_HEADER_BYTES;
    *sealed_len = len - STORE_SEALED_HEADER_BYTES;
    return 0;
}
