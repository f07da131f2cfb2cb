/*
 * store_keys: the store key wrapped in DIR/store.key, passphrases, and
 * sealed files. See store_keys.h and docs/data.md.
 */
#define _GNU_SOURCE
#include "store_keys.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_files.h"
#include "store_db.h"

#define STORE_PATH_MAX 4096
#define STORE_DIR_MODE 0700
#define STORE_FILE_MODE 0600

/* ---- passphrases ------------------------------------------------------ */

/* A file's passphrase without its one trailing newline (\n or \r\n). */
static size_t passphrase_trim(const uint8_t *bytes, size_t len) {
    if (len > 0 && bytes[len - 1] == '\n') len--;
    if (len > 0 && bytes[len - 1] == '\r') len--;
    return len;
}

store_keys_status store_passphrase_load(const char *path, const char *env_name, store_passphrase *out, char *err,
                                        size_t cap) {
    memset(out, 0, sizeof *out);
    if (path == NULL) {
        const char *text = env_name != NULL ? getenv(env_name) : NULL;
        if (text == NULL) return STORE_KEYS_OK;
        out->len = strlen(text);
        if (out->len == 0 || out->len > STORE_PASSPHRASE_MAX) {
            snprintf(err, cap, "%s: a passphrase of 1 to %u bytes", env_name, STORE_PASSPHRASE_MAX);
            out->len = 0;
            return STORE_KEYS_REFUSED;
        }
        memcpy(out->text, text, out->len);
        /* Read once: wiped where it was (which /proc/PID/environ shows to
         * the user's other processes) and gone from the environment. */
        sodium_memzero((char *)text, out->len);
        unsetenv(env_name);
        return STORE_KEYS_OK;
    }
    size_t len = 0;
    store_keys_status st = store_file_read_private(path, "passphrase file", (uint8_t *)out->text,
                                                   sizeof out->text, &len, err, cap);
    if (st != STORE_KEYS_OK) return st == STORE_KEYS_MISSING ? STORE_KEYS_FAILED : st;
    len = passphrase_trim((const uint8_t *)out->text, len);
    if (len == 0 || len > STORE_PASSPHRASE_MAX) {
        snprintf(err, cap, "passphrase file %s: a passphrase of 1 to %u bytes", path, STORE_PASSPHRASE_MAX);
        sodium_memzero(out, sizeof *out);
        return STORE_KEYS_REFUSED;
    }
    out->len = len;
    out->text[len] = '\0';
    return STORE_KEYS_OK;
}

/* ---- files ------------------------------------------------------------ */

store_keys_status store_file_read_private(const char *path, const char *what, uint8_t *out, size_t cap,
                                          size_t *len, char *err, size_t cap_err) {
    int fd;
    struct stat st;
    daemon_file_status status = daemon_file_open(path, what, DAEMON_FILE_READ, &fd, &st, err, cap_err);
    if (status == DAEMON_FILE_REFUSED) return STORE_KEYS_REFUSED;
    if (status == DAEMON_FILE_MISSING) return STORE_KEYS_MISSING;
    if (status != DAEMON_FILE_OPEN) return STORE_KEYS_FAILED;
    store_keys_status rc = STORE_KEYS_OK;
    if (daemon_file_check_private(&st, path, what, err, cap_err) != 0) {
        rc = STORE_KEYS_REFUSED;
    } else {
        ssize_t n = read(fd, out, cap);
        uint8_t extra;
        if (n < 0 || ((size_t)n == cap && read(fd, &extra, 1) != 0)) {
            snprintf(err, cap_err, "%s %s: %s", what, path, n < 0 ? strerror(errno) : "too long: damaged");
            rc = STORE_KEYS_FAILED;
        } else {
            *len = (size_t)n;
        }
    }
    close(fd);
    return rc;
}

/* fsync of the directory holding path: a rename is durable only then. */
static int sync_parent(const char *path) {
    char copy[STORE_PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

store_keys_status store_file_write_private(const char *path, const uint8_t *bytes, size_t len, bool force,
                                           char *err, size_t cap) {
    struct stat st;
    if (!force && lstat(path, &st) == 0) {
        snprintf(err, cap, "%s exists: not overwritten (give --force to replace it)", path);
        return STORE_KEYS_FAILED;
    }
    char tmp[STORE_PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, cap, "path too long: %s", path);
        return STORE_KEYS_FAILED;
    }
    (void)unlink(tmp); /* a temporary file a crash left behind */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, STORE_FILE_MODE);
    bool ok = fd >= 0 && fchmod(fd, STORE_FILE_MODE) == 0 && write(fd, bytes, len) == (ssize_t)len && fsync(fd) == 0;
    int error = errno;
    if (fd >= 0) close(fd);
    if (ok && rename(tmp, path) == 0 && sync_parent(path) == 0) return STORE_KEYS_OK;
    error = ok ? errno : error;
    snprintf(err, cap, "cannot write %s: %s", path, strerror(error));
    if (fd >= 0) unlink(tmp);
    return STORE_KEYS_FAILED;
}

store_keys_status store_dir_prepare(const char *dir, bool create, char *err, size_t cap) {
    struct stat st;
    int found = lstat(dir, &st);
    if (found != 0 && errno == ENOENT && create) {
        /* chmod too: mkdir's mode is cut by the umask, and 0700 is what must hold. */
        if (mkdir(dir, STORE_DIR_MODE) != 0 || chmod(dir, STORE_DIR_MODE) != 0) {
            snprintf(err, cap, "cannot create store %s: %s", dir, strerror(errno));
            return STORE_KEYS_FAILED;
        }
        found = lstat(dir, &st);
    }
    if (found != 0) {
        snprintf(err, cap, "store %s: %s", dir, strerror(errno));
        return STORE_KEYS_FAILED;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, cap, "store %s is not a directory (nor a link to be followed): refused", dir);
        return STORE_KEYS_REFUSED;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, cap, "store %s belongs to another user: refused", dir);
        return STORE_KEYS_REFUSED;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(err, cap, "permissions %04o for store %s are too open: run: chmod 700 %s",
                 (unsigned)(st.st_mode & 07777), dir, dir);
        return STORE_KEYS_REFUSED;
    }
    return STORE_KEYS_OK;
}

static int dir_path(char *out, size_t cap, const char *dir, const char *name) {
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* ---- sealing ---------------------------------------------------------- */

bool store_sealed_is(const uint8_t *bytes, size_t len, const char *magic) {
    return len >= STORE_SEALED_MAGIC_BYTES && memcmp(bytes, magic, STORE_SEALED_MAGIC_BYTES) == 0;
}

/* The Argon2id cost for new files: STORE_PWHASH_LIMITS_ENV, or moderate. */
static void pwhash_limits(uint64_t *ops, uint64_t *mem) {
    const char *level = getenv(STORE_PWHASH_LIMITS_ENV);
    *ops = crypto_pwhash_OPSLIMIT_MODERATE;
    *mem = crypto_pwhash_MEMLIMIT_MODERATE;
    if (level != NULL && strcmp(level, "interactive") == 0) {
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    } else if (level != NULL && strcmp(level, "sensitive") == 0) {
        *ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
        *mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
    }
}

/* The wrapping key of a header: Argon2id of pass, or the key file's bytes. */
static int wrapping_key(const store_sealed_header *h, const store_passphrase *pass, const uint8_t *keyfile,
                        uint8_t key[STORE_KEY_BYTES]) {
    if (h->wrap == STORE_WRAP_KEYFILE) {
        assert(keyfile != NULL);
        memcpy(key, keyfile, STORE_KEY_BYTES);
        return 0;
    }
    assert(pass != NULL && pass->len > 0);
    return crypto_pwhash(key, STORE_KEY_BYTES, pass->text, pass->len, h->salt, h->opslimit, (size_t)h->memlimit,
                         crypto_pwhash_ALG_ARGON2ID13);
}

/* Seals payload with header h (its nonce drawn here) into out. */
static size_t seal(store_sealed_header *h, const store_passphrase *pass, const uint8_t *keyfile,
                   const uint8_t *payload, size_t len, uint8_t *out) {
    if (len > STORE_SEALED_PAYLOAD_MAX) return 0;
    h->version = STORE_SEALED_VERSION;
    randombytes_buf(h->nonce, sizeof h->nonce);
    uint8_t key[STORE_KEY_BYTES];
    if (wrapping_key(h, pass, keyfile, key) != 0) return 0;
    store_sealed_header_encode(h, out);
    unsigned long long sealed_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + STORE_SEALED_HEADER_BYTES, &sealed_len, payload, len, out,
                                               STORE_SEALED_AD_BYTES, NULL, h->nonce, key);
    sodium_memzero(key, sizeof key);
    return STORE_SEALED_HEADER_BYTES + (size_t)sealed_len;
}

size_t store_seal_passphrase(const char magic[STORE_SEALED_MAGIC_BYTES], const store_passphrase *pass,
                             const uint8_t *payload, size_t len, uint8_t *out) {
    store_sealed_header h = {.wrap = STORE_WRAP_PASSPHRASE};
    memcpy(h.magic, magic, STORE_SEALED_MAGIC_BYTES);
    pwhash_limits(&h.opslimit, &h.memlimit);
    randombytes_buf(h.salt, sizeof h.salt);
    return seal(&h, pass, NULL, payload, len, out);
}

/* Opens file (of magic) with pass or keyfile, whichever its header names. */
static store_keys_status unseal(const uint8_t *file, size_t file_len, const char *magic,
                                const store_passphrase *pass, const uint8_t *keyfile, uint8_t *payload, size_t cap,
                                size_t *len, const char *what, char *err, size_t cap_err) {
    store_sealed_header h;
    const uint8_t *sealed;
    size_t sealed_len;
    if (store_sealed_parse(file, file_len, &h, &sealed, &sealed_len) != 0 ||
        memcmp(h.magic, magic, STORE_SEALED_MAGIC_BYTES) != 0 || sealed_len - STORE_TAG_BYTES > cap) {
        snprintf(err, cap_err, "%s is damaged (not a sealed %s file of version %u)", what, magic, STORE_SEALED_VERSION);
        return STORE_KEYS_FAILED;
    }
    if (h.wrap == STORE_WRAP_PASSPHRASE && (pass == NULL || pass->len == 0)) {
        snprintf(err, cap_err, "%s is sealed with a passphrase: give --passphrase-file FILE or %s", what,
                 STORE_PASSPHRASE_ENV);
        return STORE_KEYS_FAILED;
    }
    if (h.wrap == STORE_WRAP_KEYFILE && keyfile == NULL) {
        snprintf(err, cap_err, "%s is sealed by a key file, not a passphrase", what);
        return STORE_KEYS_FAILED;
    }
    uint8_t key[STORE_KEY_BYTES];
    unsigned long long plain_len = 0;
    int rc = wrapping_key(&h, pass, keyfile, key);
    if (rc == 0)
        rc = crypto_aead_xchacha20poly1305_ietf_decrypt(payload, &plain_len, NULL, sealed, sealed_len, file,
                                                        STORE_SEALED_AD_BYTES, h.nonce, key);
    sodium_memzero(key, sizeof key);
    if (rc != 0) {
        snprintf(err, cap_err, "%s does not open: %s", what,
                 h.wrap == STORE_WRAP_PASSPHRASE ? "wrong passphrase (or the file is damaged)"
                                                 : "the key file does not match (or a file is damaged)");
        return STORE_KEYS_FAILED;
    }
    *len = (size_t)plain_len;
    return STORE_KEYS_OK;
}

store_keys_status store_unseal_passphrase(const uint8_t *file, size_t file_len, const char *magic,
                                          const store_passphrase *pass, uint8_t *payload, size_t cap, size_t *len,
                                          const char *what, char *err, size_t cap_err) {
    return unseal(file, file_len, magic, pass, NULL, payload, cap, len, what, err, cap_err);
}

/* ---- the store key ---------------------------------------------------- */

/* A new store key for DIR, wrapped by pass or by a new store.keyfile. */
static store_keys_status key_create(const char *dir, const store_passphrase *pass, uint8_t key[STORE_KEY_BYTES],
                                    char *err, size_t cap) {
    char key_path[STORE_PATH_MAX], keyfile_path[STORE_PATH_MAX];
    if (dir_path(key_path, sizeof key_path, dir, STORE_KEY_FILE) != 0 ||
        dir_path(keyfile_path, sizeof keyfile_path, dir, STORE_KEYFILE_FILE) != 0) {
        snprintf(err, cap, "store path too long: %s", dir);
        return STORE_KEYS_FAILED;
    }
    randombytes_buf(key, STORE_KEY_BYTES);
    uint8_t file[STORE_SEALED_FILE_MAX];
    size_t len = 0;
    store_keys_status rc = STORE_KEYS_OK;
    if (pass != NULL && pass->len > 0) {
        len = store_seal_passphrase(STORE_MAGIC_STORE_KEY, pass, key, STORE_KEY_BYTES, file);
    } else {
        uint8_t wrapping[STORE_KEY_BYTES];
        randombytes_buf(wrapping, sizeof wrapping);
        store_sealed_header h = {.wrap = STORE_WRAP_KEYFILE};
        memcpy(h.magic, STORE_MAGIC_STORE_KEY, STORE_SEALED_MAGIC_BYTES);
        len = seal(&h, NULL, wrapping, key, STORE_KEY_BYTES, file);
        /* force: with no store.key and no blocks, an old key file wraps nothing. */
        rc = store_file_write_private(keyfile_path, wrapping, sizeof wrapping, true, err, cap);
        sodium_memzero(wrapping, sizeof wrapping);
    }
    if (rc == STORE_KEYS_OK && len == 0) {
        snprintf(err, cap, "cannot seal the store key (Argon2id: out of memory?)");
        rc = STORE_KEYS_FAILED;
    }
    if (rc == STORE_KEYS_OK) rc = store_file_write_private(key_path, file, len, false, err, cap);
    if (rc != STORE_KEYS_OK) sodium_memzero(key, STORE_KEY_BYTES);
    return rc;
}

/* Reads store.key into file, and store.keyfile into keyfile when it is
 * wrapped by one. *has_keyfile says which. */
static store_keys_status key_read(const char *dir, uint8_t file[STORE_SEALED_FILE_MAX], size_t *len,
                                  uint8_t keyfile[STORE_KEY_BYTES], bool *has_keyfile, char *err, size_t cap) {
    char path[STORE_PATH_MAX];
    *has_keyfile = false;
    if (dir_path(path, sizeof path, dir, STORE_KEY_FILE) != 0) return STORE_KEYS_FAILED;
    store_keys_status rc = store_file_read_private(path, "store key file", file, STORE_SEALED_FILE_MAX, len, err, cap);
    if (rc == STORE_KEYS_MISSING) rc = STORE_KEYS_FAILED;
    if (rc != STORE_KEYS_OK || *len < STORE_SEALED_AD_BYTES || file[STORE_SEALED_MAGIC_BYTES + 1] != STORE_WRAP_KEYFILE)
        return rc;
    size_t keyfile_len = 0;
    if (dir_path(path, sizeof path, dir, STORE_KEYFILE_FILE) != 0) return STORE_KEYS_FAILED;
    rc = store_file_read_private(path, "store key file", keyfile, STORE_KEY_BYTES, &keyfile_len, err, cap);
    if (rc == STORE_KEYS_MISSING) rc = STORE_KEYS_FAILED;
    if (rc == STORE_KEYS_OK && keyfile_len != STORE_KEY_BYTES) {
        snprintf(err, cap, "%s is damaged (not %u bytes)", path, STORE_KEY_BYTES);
        rc = STORE_KEYS_FAILED;
    }
    *has_keyfile = rc == STORE_KEYS_OK;
    return rc;
}

/* Whether DIR holds a database: then its key must be there too. */
static bool dir_has_database(const char *dir) {
    char path[STORE_PATH_MAX];
    struct stat st;
    return dir_path(path, sizeof path, dir, STORE_DB_FILE) == 0 && lstat(path, &st) == 0;
}

static store_keys_status key_open(const char *dir, const store_passphrase *pass, uint8_t key[STORE_KEY_BYTES],
                                  bool *had_keyfile, char *err, size_t cap) {
    uint8_t file[STORE_SEALED_FILE_MAX], keyfile[STORE_KEY_BYTES];
    size_t len = 0, key_len = 0;
    store_keys_status rc = key_read(dir, file, &len, keyfile, had_keyfile, err, cap);
    if (rc != STORE_KEYS_OK) return rc;
    char what[STORE_PATH_MAX + 32];
    snprintf(what, sizeof what, "store key %s/%s", dir, STORE_KEY_FILE);
    rc = unseal(file, len, STORE_MAGIC_STORE_KEY, pass, *had_keyfile ? keyfile : NULL, key, STORE_KEY_BYTES,
                &key_len, what, err, cap);
    sodium_memzero(keyfile, sizeof keyfile);
    if (rc == STORE_KEYS_OK && key_len != STORE_KEY_BYTES) {
        snprintf(err, cap, "%s is damaged (a key of %zu bytes)", what, key_len);
        rc = STORE_KEYS_FAILED;
    }
    if (rc != STORE_KEYS_OK) sodium_memzero(key, STORE_KEY_BYTES);
    return rc;
}

store_keys_status store_key_open(const char *dir, const store_passphrase *pass, uint8_t key[STORE_KEY_BYTES],
                                 char *err, size_t cap) {
    char path[STORE_PATH_MAX];
    struct stat st;
    if (dir_path(path, sizeof path, dir, STORE_KEY_FILE) != 0) {
        snprintf(err, cap, "store path too long: %s", dir);
        return STORE_KEYS_FAILED;
    }
    if (lstat(path, &st) != 0 && errno == ENOENT) {
        if (dir_has_database(dir)) { /* never a new key for old blocks: they would be lost for good */
            snprintf(err, cap, "store %s has blocks but no %s: without its key they cannot be read", dir,
                     STORE_KEY_FILE);
            return STORE_KEYS_FAILED;
        }
        return key_create(dir, pass, key, err, cap);
    }
    bool had_keyfile;
    return key_open(dir, pass, key, &had_keyfile, err, cap);
}

int store_key_wrapped_by_passphrase(const char *dir) {
    char path[STORE_PATH_MAX], err[STORE_PATH_MAX];
    uint8_t file[STORE_SEALED_FILE_MAX];
    size_t len = 0;
    store_sealed_header h;
    const uint8_t *sealed;
    size_t sealed_len;
    if (dir_path(path, sizeof path, dir, STORE_KEY_FILE) != 0 ||
        store_file_read_private(path, "store key file", file, sizeof file, &len, err, sizeof err) != STORE_KEYS_OK ||
        store_sealed_parse(file, len, &h, &sealed, &sealed_len) != 0)
        return -1;
    return h.wrap == STORE_WRAP_PASSPHRASE;
}

store_keys_status store_key_rewrap(const char *dir, const store_passphrase *old, const store_passphrase *new_pass,
                                   char *err, size_t cap) {
    assert(new_pass != NULL && new_pass->len > 0);
    uint8_t key[STORE_KEY_BYTES], file[STORE_SEALED_FILE_MAX];
    char path[STORE_PATH_MAX];
    bool had_keyfile = false;
    store_keys_status rc = key_open(dir, old, key, &had_keyfile, err, cap);
    if (rc != STORE_KEYS_OK) return rc;
    size_t len = store_seal_passphrase(STORE_MAGIC_STORE_KEY, new_pass, key, STORE_KEY_BYTES, file);
    sodium_memzero(key, sizeof key);
    if (len == 0 || dir_path(path, sizeof path, dir, STORE_KEY_FILE) != 0) {
        snprintf(err, cap, "cannot seal the store key (Argon2id: out of memory?)");
        return STORE_KEYS_FAILED;
    }
    rc = store_file_write_private(path, file, len, true, err, cap);
    /* Only once the new store.key is in place: the key file is useless now. */
    if (rc == STORE_KEYS_OK && had_keyfile && dir_path(path, sizeof path, dir, STORE_KEYFILE_FILE) == 0) {
        (void)unlink(path);
        (void)sync_parent(path);
    }
    return rc;
}
