/*
 * store_keys: the keys of the encrypted store and of a sealed identity, as
 * files a person can manage (docs/data.md).
 *
 *   DIR/              mode 0700, ours; a DIR group or others may use is refused
 *   DIR/store.key     the 32-byte store key, sealed (store_format.h, magic
 *                     SWLSTKEY) by Argon2id of a passphrase, or by
 *   DIR/store.keyfile 32 random bytes, mode 0600, when there is no passphrase
 *
 * The store key is made once, when DIR holds neither store.key nor a
 * database; it never changes, so a new passphrase re-wraps it and no block
 * is re-encrypted. A store.key that does not open (a wrong passphrase, a
 * damaged file) is an error, never a reason to start a new, empty store.
 *
 * Passphrases come from a file (--passphrase-file, opened as the key file
 * is, and closed to group and others) or an environment variable. Files
 * are replaced atomically: a temporary file beside, fsync, rename, fsync of
 * the directory.
 */
#ifndef SWARMLAB_STORE_KEYS_H
#define SWARMLAB_STORE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_format.h"

#define STORE_KEY_FILE "store.key"
#define STORE_KEYFILE_FILE "store.keyfile"
#define STORE_PASSPHRASE_MAX 1024u
#define STORE_PASSPHRASE_ENV "SWARMLAB_PASSPHRASE"
#define STORE_NEW_PASSPHRASE_ENV "SWARMLAB_NEW_PASSPHRASE"
/* Argon2id's cost for files written from now on: interactive, moderate
 * (the default) or sensitive. A file records its own, which its reader uses. */
#define STORE_PWHASH_LIMITS_ENV "SWARMLAB_PWHASH_LIMITS"

/* What went wrong, as the daemon's exit codes want it. */
typedef enum store_keys_status {
    STORE_KEYS_OK = 0,
    STORE_KEYS_FAILED = 1,  /* a wrong passphrase, a damaged or missing key file, the system: exit 1 */
    STORE_KEYS_REFUSED = 2, /* a file or DIR others may use, a link, not a regular file: exit 2 */
    STORE_KEYS_MISSING = 3, /* store_file_read_private: nothing at the path (exit 1 where it must be) */
} store_keys_status;

typedef struct store_passphrase {
    char text[STORE_PASSPHRASE_MAX + 1];
    size_t len; /* 0: none given */
} store_passphrase;

/* The passphrase from path (when not NULL) or else the environment variable
 * env_name; a file's one trailing newline is not part of it. *out->len is 0
 * when neither is given. A passphrase from the environment is wiped there
 * and the variable unset once read. The caller wipes *out (sodium_memzero). */
store_keys_status store_passphrase_load(const char *path, const char *env_name, store_passphrase *out, char *err,
                                        size_t cap);

/* DIR: created with mode 0700 when missing and create is true; refused when
 * a link, not a directory, another user's, or open to group or others. */
store_keys_status store_dir_prepare(const char *dir, bool create, char *err, size_t cap);

/* The store key of DIR (prepared), made when DIR is new: wrapped with pass
 * when it has a length, else with a new store.keyfile. */
store_keys_status store_key_open(const char *dir, const store_passphrase *pass, uint8_t key[STORE_KEY_BYTES],
                                 char *err, size_t cap);

/* Whether DIR's store key is wrapped by a passphrase (1), a key file (0),
 * or cannot be told (-1: no or damaged store.key). */
int store_key_wrapped_by_passphrase(const char *dir);

/* Re-wraps DIR's store key, opened with old, under new_pass (which has a
 * length); a store.keyfile it made useless is removed. The blocks are not
 * touched. */
store_keys_status store_key_rewrap(const char *dir, const store_passphrase *old, const store_passphrase *new_pass,
                                   char *err, size_t cap);

/* ---- sealed files, generic: a payload under a passphrase -------------- */

/* Seals payload under pass with magic into out (STORE_SEALED_FILE_MAX);
 * its length, or 0 when the payload is too long or Argon2id fails (out of
 * memory). */
size_t store_seal_passphrase(const char magic[STORE_SEALED_MAGIC_BYTES], const store_passphrase *pass,
                             const uint8_t *payload, size_t len, uint8_t *out);

/* Opens a sealed file's bytes of magic with pass into payload (cap bytes);
 * STORE_KEYS_OK with *len set, or STORE_KEYS_FAILED with err saying
 * whether the file is damaged or the passphrase wrong. what names it. */
store_keys_status store_unseal_passphrase(const uint8_t *file, size_t file_len, const char *magic,
                                          const store_passphrase *pass, uint8_t *payload, size_t cap, size_t *len,
                                          const char *what, char *err, size_t cap_err);

/* Whether bytes begin with magic. */
bool store_sealed_is(const uint8_t *bytes, size_t len, const char *magic);

/* A private file's bytes (opened as the key file: regular, no link, ours,
 * mode 0600 or tighter) into out; what names it in err. */
store_keys_status store_file_read_private(const char *path, const char *what, uint8_t *out, size_t cap,
                                          size_t *len, char *err, size_t cap_err);

/* Writes bytes to path, mode 0600, atomically (temporary file, fsync,
 * rename, fsync of the directory). An existing path is refused unless
 * force. */
store_keys_status store_file_write_private(const char *path, const uint8_t *bytes, size_t len, bool force,
                                           char *err, size_t cap);

#endif
