/*
 * fuzz_store_record: hostile bytes through the encrypted store's formats
 * (node/posix/store_format.h): a block's row record, its plaintext, and a
 * sealed file's header. Whatever a parser accepts must hold together (views
 * inside the input, lengths within the limits), and a record sealed from
 * the input must open to the same CID and block: the round trip the store
 * makes, with a fixed key so that it is reproducible.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "posix/store_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) abort(); \
    } while (0)

static void fuzz_record(const uint8_t *data, size_t size) {
    store_record_view view;
    if (store_record_parse(data, size, &view) != 0) return;
    FUZZ_CHECK(data[0] == STORE_RECORD_VERSION);
    FUZZ_CHECK(view.nonce == data + 1);
    FUZZ_CHECK(view.ciphertext + view.ciphertext_len == data + size);
    FUZZ_CHECK(view.ciphertext_len >= STORE_TAG_BYTES);
    /* Under a key nobody sealed it with, it must not open. */
    static const uint8_t key[STORE_KEY_BYTES] = {1};
    uint8_t ad[STORE_ROW_ID_BYTES + 1], plain[256];
    uint8_t id[STORE_ROW_ID_BYTES] = {0};
    store_record_ad(id, ad);
    unsigned long long len = 0;
    if (view.ciphertext_len - STORE_TAG_BYTES <= sizeof plain)
        FUZZ_CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &len, NULL, view.ciphertext,
                                                              view.ciphertext_len, ad, sizeof ad, view.nonce,
                                                              key) != 0);
}

static void fuzz_plain(const uint8_t *data, size_t size) {
    const uint8_t *key, *block;
    size_t key_len, block_len;
    if (store_plain_parse(data, size, &key, &key_len, &block, &block_len) != 0) return;
    FUZZ_CHECK(key_len >= 1 && key_len <= STORE_KEY_MAX && block_len <= STORE_BLOCK_MAX);
    FUZZ_CHECK(1 + key_len + block_len == size && key == data + 1 && block == key + key_len);
    /* Encoding the parts gives the input back. */
    uint8_t *again = malloc(size);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(store_plain_encode(key, key_len, block, block_len, again, size) == size);
    FUZZ_CHECK(memcmp(again, data, size) == 0);
    free(again);
}

/* The input split into a CID (its first byte says how long, at most 64)
 * and a block, sealed and opened as store_db does it. */
static void fuzz_round_trip(const uint8_t *data, size_t size) {
    if (size < 2) return;
    size_t key_len = 1 + data[0] % STORE_KEY_MAX;
    if (size < 1 + key_len) return;
    const uint8_t *key = data + 1, *block = data + 1 + key_len;
    size_t block_len = size - 1 - key_len;
    if (block_len > STORE_BLOCK_MAX) return;
    static const uint8_t seal_key[STORE_KEY_BYTES] = {7};
    static const uint8_t nonce[STORE_NONCE_BYTES] = {9};
    size_t plain_cap = 1 + key_len + block_len, rec_cap = plain_cap + STORE_RECORD_OVERHEAD;
    uint8_t *plain = malloc(plain_cap), *rec = malloc(rec_cap), *opened = malloc(plain_cap);
    FUZZ_CHECK(plain != NULL && rec != NULL && opened != NULL);
    size_t plain_len = store_plain_encode(key, key_len, block, block_len, plain, plain_cap);
    FUZZ_CHECK(plain_len == plain_cap);
    uint8_t id[STORE_ROW_ID_BYTES], ad[STORE_ROW_ID_BYTES + 1];
    crypto_generichash(id, sizeof id, key, key_len, seal_key, sizeof seal_key);
    store_record_ad(id, ad);
    rec[0] = STORE_RECORD_VERSION;
    memcpy(rec + 1, nonce, sizeof nonce);
    unsigned long long sealed = 0, opened_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(rec + 1 + sizeof nonce, &sealed, plain, plain_len, ad, sizeof ad,
                                               NULL, nonce, seal_key);
    store_record_view view;
    FUZZ_CHECK(store_record_parse(rec, rec_cap, &view) == 0);
    FUZZ_CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(opened, &opened_len, NULL, view.ciphertext,
                                                          view.ciphertext_len, ad, sizeof ad, view.nonce,
                                                          seal_key) == 0);
    const uint8_t *k2, *b2;
    size_t k2_len, b2_len;
    FUZZ_CHECK(store_plain_parse(opened, (size_t)opened_len, &k2, &k2_len, &b2, &b2_len) == 0);
    FUZZ_CHECK(k2_len == key_len && memcmp(k2, key, key_len) == 0);
    FUZZ_CHECK(b2_len == block_len && (block_len == 0 || memcmp(b2, block, block_len) == 0));
    /* One flipped bit anywhere after the version byte, and it does not open. */
    rec[1 + (data[0] % (rec_cap - 1))] ^= 0x01;
    FUZZ_CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(opened, &opened_len, NULL, view.ciphertext,
                                                          view.ciphertext_len, ad, sizeof ad, view.nonce,
                                                          seal_key) != 0);
    free(plain);
    free(rec);
    free(opened);
}

static void fuzz_sealed(const uint8_t *data, size_t size) {
    store_sealed_header h;
    const uint8_t *sealed;
    size_t sealed_len;
    if (store_sealed_parse(data, size, &h, &sealed, &sealed_len) != 0) return;
    FUZZ_CHECK(h.version == STORE_SEALED_VERSION);
    FUZZ_CHECK(h.wrap == STORE_WRAP_PASSPHRASE || h.wrap == STORE_WRAP_KEYFILE);
    FUZZ_CHECK(sealed == data + STORE_SEALED_HEADER_BYTES && sealed + sealed_len == data + size);
    FUZZ_CHECK(sealed_len > STORE_TAG_BYTES && sealed_len <= STORE_SEALED_PAYLOAD_MAX + STORE_TAG_BYTES);
    FUZZ_CHECK(h.wrap == STORE_WRAP_KEYFILE ? h.opslimit == 0 && h.memlimit == 0
                                            : h.memlimit <= crypto_pwhash_MEMLIMIT_SENSITIVE);
    /* The header re-encodes to the input's bytes. */
    uint8_t header[STORE_SEALED_HEADER_BYTES];
    store_sealed_header_encode(&h, header);
    FUZZ_CHECK(memcmp(header, data, sizeof header) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (sodium_init() < 0) abort();
    fuzz_record(data, size);
    fuzz_plain(data, size);
    fuzz_round_trip(data, size);
    fuzz_sealed(data, size);
    return 0;
}
