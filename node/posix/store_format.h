/*
 * store_format: the byte layouts of the encrypted store's files, pure (no
 * OS, no SQLite), so that a fuzz target covers them (tests/fuzz/
 * fuzz_store_record.c). docs/data.md describes them for a person.
 *
 * A block's row (store_db.c), the value column of table blocks:
 *
 *   version (1, STORE_RECORD_VERSION) || nonce (24) || ciphertext
 *   ciphertext = XChaCha20-Poly1305-IETF(seal key, nonce,
 *                                        AD = row id (32) || version,
 *                                        plain = cid_len (1) || cid || block)
 *
 * The row id, the key column, is BLAKE2b-256 keyed with the index key over
 * the CID: the CIDs (hashes of content someone may know) are not on disk.
 * Binding the row id into the AD means a record moved to another row does
 * not open; the CID inside the plaintext is compared with the one asked for.
 *
 * A sealed file (the wrapped store key DIR/store.key, a passphrase-sealed
 * identity file, a key export), STORE_SEALED_HEADER_BYTES of header, all of
 * it the AD of the seal:
 *
 *   magic (8) || version (1) || wrap (1) || opslimit (8, little-endian)
 *   || memlimit (8, little-endian) || salt (16) || nonce (24)
 *   || XChaCha20-Poly1305-IETF(wrapping key, nonce, AD = the 66 bytes
 *      before, payload)
 *
 * wrap says what the wrapping key is: STORE_WRAP_PASSPHRASE, Argon2id
 * (crypto_pwhash, ALG_ARGON2ID13) of the passphrase with salt, opslimit and
 * memlimit as written; or STORE_WRAP_KEYFILE, the 32 bytes of
 * DIR/store.keyfile (salt and limits zero).
 */
#ifndef SWARMLAB_STORE_FORMAT_H
#define SWARMLAB_STORE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/block.h" /* STORE_BLOCK_MAX: one block, IPFS's limit (1 MiB) */

#define STORE_KEY_MAX 64u        /* one key (a binary CID) */
#define STORE_KEY_BYTES 32u      /* the store key and its subkeys */
#define STORE_ROW_ID_BYTES 32u

#define STORE_RECORD_VERSION 1u
#define STORE_NONCE_BYTES 24u /* crypto_aead_xchacha20poly1305_ietf_NPUBBYTES */
#define STORE_TAG_BYTES 16u   /* crypto_aead_xchacha20poly1305_ietf_ABYTES */
#define STORE_RECORD_OVERHEAD (1u + STORE_NONCE_BYTES + STORE_TAG_BYTES)
#define STORE_PLAIN_MAX (1u + STORE_KEY_MAX + STORE_BLOCK_MAX)
#define STORE_RECORD_MAX (STORE_RECORD_OVERHEAD + STORE_PLAIN_MAX)

#define STORE_SEALED_MAGIC_BYTES 8u
#define STORE_SEALED_VERSION 1u
#define STORE_SEALED_SALT_BYTES 16u /* crypto_pwhash_SALTBYTES */
#define STORE_SEALED_AD_BYTES (STORE_SEALED_MAGIC_BYTES + 1u + 1u + 8u + 8u + STORE_SEALED_SALT_BYTES)
#define STORE_SEALED_HEADER_BYTES (STORE_SEALED_AD_BYTES + STORE_NONCE_BYTES)
#define STORE_SEALED_PAYLOAD_MAX 128u /* a store key (32) or an identity protobuf (68) */
#define STORE_SEALED_FILE_MAX (STORE_SEALED_HEADER_BYTES + STORE_SEALED_PAYLOAD_MAX + STORE_TAG_BYTES)

/* The magics: what a sealed file holds. */
#define STORE_MAGIC_STORE_KEY "SWLSTKEY" /* DIR/store.key: the 32-byte store key */
#define STORE_MAGIC_IDENTITY "SWLIDKEY"  /* an identity file or its export: the 68-byte PrivateKey protobuf */

typedef enum store_wrap { STORE_WRAP_PASSPHRASE = 1, STORE_WRAP_KEYFILE = 2 } store_wrap;

/* ---- block records ---------------------------------------------------- */

/* A record's parts, views into the record. */
typedef struct store_record_view {
    const uint8_t *nonce;      /* STORE_NONCE_BYTES */
    const uint8_t *ciphertext; /* plaintext + STORE_TAG_BYTES */
    size_t ciphertext_len;
} store_record_view;

/* 0 when rec is a well-formed record of this version whose plaintext could
 * hold a CID and a block within the limits; -1 otherwise. */
int store_record_parse(const uint8_t *rec, size_t len, store_record_view *out);

/* The AD of a record: row id || version. */
void store_record_ad(const uint8_t row_id[STORE_ROW_ID_BYTES], uint8_t ad[STORE_ROW_ID_BYTES + 1]);

/* The plaintext cid_len || cid || block into out (cap at least
 * 1 + key_len + len); its length, or 0 when the key or block is out of
 * bounds. */
size_t store_plain_encode(const uint8_t *key, size_t key_len, const uint8_t *block, size_t len, uint8_t *out,
                          size_t cap);

/* Splits a decrypted plaintext into views of its CID and block; 0, or -1
 * when malformed (an empty or oversize CID, an oversize block). */
int store_plain_parse(const uint8_t *plain, size_t len, const uint8_t **key, size_t *key_len,
                      const uint8_t **block, size_t *block_len);

/* ---- sealed files ----------------------------------------------------- */

typedef struct store_sealed_header {
    char magic[STORE_SEALED_MAGIC_BYTES];
    uint8_t version;
    uint8_t wrap; /* store_wrap */
    uint64_t opslimit, memlimit;
    uint8_t salt[STORE_SEALED_SALT_BYTES];
    uint8_t nonce[STORE_NONCE_BYTES];
} store_sealed_header;

/* The header's bytes (STORE_SEALED_HEADER_BYTES) into out. */
void store_sealed_header_encode(const store_sealed_header *h, uint8_t out[STORE_SEALED_HEADER_BYTES]);

/* Parses a sealed file's bytes: 0 with *h filled and the sealed payload's
 * view (ciphertext with its tag) when the header is well formed, of this
 * version, with a known wrap, Argon2id limits from libsodium's INTERACTIVE
 * to its SENSITIVE ones for a passphrase (a crafted file cannot make us
 * spend more than SENSITIVE's 1 GiB, nor was any file written below
 * INTERACTIVE) and zero for a key file, and a payload that fits; -1
 * otherwise. The magic is returned, not checked: the caller knows which
 * one it expects. */
int store_sealed_parse(const uint8_t *file, size_t len, store_sealed_header *h, const uint8_t **sealed,
                       size_t *sealed_len);

#endif
