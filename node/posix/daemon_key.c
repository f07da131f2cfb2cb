/*
 * daemon_key: the identity file of swarmlab-node (--key FILE).
 *
 * The file holds the libp2p PrivateKey protobuf of an Ed25519 key (68
 * bytes, the form go and js libp2p write), a bare 32-byte seed, or that
 * protobuf sealed under a passphrase (store_format.h's sealed file, magic
 * SWLIDKEY: Argon2id and XChaCha20-Poly1305; the same bytes as a key
 * export). Its first eight bytes tell the forms apart: a protobuf starts
 * 0x08 0x01, never with "SWLIDKEY".
 *
 * When it is missing it is created with mode 0600 from fresh OS randomness,
 * sealed when a passphrase is given. As ssh does with its keys, a file that
 * group or others may read or write, or that belongs to another user, is
 * refused: a key others can read is not a secret any more. A symbolic link,
 * a FIFO or anything but a regular file is refused too, before a byte is
 * read (daemon_files.h). The key is never printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "daemon.h"
#include "daemon_files.h"
#include "store_keys.h"

#define DAEMON_KEY_FILE_MAX STORE_SEALED_FILE_MAX /* the largest form we accept */

static int key_decode(const uint8_t *bytes, size_t len, uint8_t seed[IDENTITY_SEED_BYTES]) {
    if (len == IDENTITY_SEED_BYTES) {
        memcpy(seed, bytes, IDENTITY_SEED_BYTES);
        return 0;
    }
    identity id;
    if (identity_private_proto_decode(bytes, len, &id) != 0) return -1;
    memcpy(seed, id.secret_key, IDENTITY_SEED_BYTES); /* libsodium's secret key is seed || public */
    identity_wipe(&id);
    return 0;
}

size_t daemon_key_encode(const uint8_t seed[IDENTITY_SEED_BYTES], const store_passphrase *pass,
                         uint8_t out[DAEMON_KEY_ENCODED_MAX]) {
    identity id;
    identity_from_seed(&id, seed);
    uint8_t proto[IDENTITY_PRIVATE_PROTO_BYTES];
    identity_private_proto_encode(&id, proto);
    identity_wipe(&id);
    size_t len = sizeof proto;
    if (pass != NULL && pass->len > 0) len = store_seal_passphrase(STORE_MAGIC_IDENTITY, pass, proto, sizeof proto, out);
    else memcpy(out, proto, sizeof proto);
    sodium_memzero(proto, sizeof proto);
    return len;
}

int daemon_key_decode(const uint8_t *bytes, size_t len, const store_passphrase *pass, const char *what,
                      uint8_t seed[IDENTITY_SEED_BYTES], bool *sealed, char *err, size_t cap) {
    *sealed = store_sealed_is(bytes, len, STORE_MAGIC_IDENTITY);
    if (!*sealed) {
        if (key_decode(bytes, len, seed) == 0) return 0;
        snprintf(err, cap, "%s holds neither a libp2p Ed25519 PrivateKey protobuf, a 32-byte seed nor a sealed key",
                 what);
        return DAEMON_EXIT_USAGE;
    }
    uint8_t proto[STORE_SEALED_PAYLOAD_MAX];
    size_t proto_len = 0;
    int rc = 0;
    if (store_unseal_passphrase(bytes, len, STORE_MAGIC_IDENTITY, pass, proto, sizeof proto, &proto_len, what, err,
                                cap) != STORE_KEYS_OK) {
        rc = DAEMON_EXIT_FAILURE;
    } else if (proto_len != IDENTITY_PRIVATE_PROTO_BYTES || key_decode(proto, proto_len, seed) != 0) {
        snprintf(err, cap, "%s is damaged (its sealed key is not an Ed25519 PrivateKey)", what);
        rc = DAEMON_EXIT_FAILURE;
    }
    sodium_memzero(proto, sizeof proto);
    return rc;
}

int daemon_key_read(const char *path, const store_passphrase *pass, uint8_t seed[IDENTITY_SEED_BYTES], bool *sealed,
                    char *err, size_t cap) {
    uint8_t bytes[DAEMON_KEY_FILE_MAX];
    size_t len = 0;
    store_keys_status st = store_file_read_private(path, "key file", bytes, sizeof bytes, &len, err, cap);
    int rc = st == STORE_KEYS_OK ? 0 : st == STORE_KEYS_REFUSED ? DAEMON_EXIT_USAGE : DAEMON_EXIT_FAILURE;
    if (rc == 0) {
        char what[DAEMON_KEY_WHAT_MAX];
        snprintf(what, sizeof what, "key file %s", path);
        rc = daemon_key_decode(bytes, len, pass, what, seed, sealed, err, cap);
    }
    sodium_memzero(bytes, sizeof bytes);
    return rc;
}

int daemon_key_write(const char *path, const uint8_t seed[IDENTITY_SEED_BYTES], const store_passphrase *pass,
                     bool force, char *err, size_t cap) {
    uint8_t bytes[DAEMON_KEY_ENCODED_MAX];
    size_t len = daemon_key_encode(seed, pass, bytes);
    int rc = DAEMON_EXIT_FAILURE;
    if (len == 0) snprintf(err, cap, "cannot seal the key (Argon2id: out of memory?)");
    else if (store_file_write_private(path, bytes, len, force, err, cap) == STORE_KEYS_OK) rc = 0;
    sodium_memzero(bytes, sizeof bytes);
    return rc;
}

int daemon_key_load(const char *path, const store_passphrase *pass, uint8_t seed[IDENTITY_SEED_BYTES], char *err,
                    size_t cap) {
    struct stat st;
    if (lstat(path, &st) == 0 || errno != ENOENT) { /* there (or unreadable): read, with every check */
        bool sealed;
        return daemon_key_read(path, pass, seed, &sealed, err, cap);
    }
    if (getrandom(seed, IDENTITY_SEED_BYTES, 0) != IDENTITY_SEED_BYTES) {
        snprintf(err, cap, "cannot draw randomness for a new key: %s", strerror(errno));
        return DAEMON_EXIT_FAILURE;
    }
    return daemon_key_write(path, seed, pass, false, err, cap);
}
