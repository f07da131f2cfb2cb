/*
 * daemon_keycmd: the key subcommands of swarmlab-node. See daemon_keycmd.h
 * and docs/data.md. Every failure is one line on standard error; nothing is
 * overwritten without --force, and an existing store's key is never
 * replaced (its blocks would be lost).
 */
#include "daemon_keycmd.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "daemon_files.h"
#include "store_keys.h"

#define KEYCMD_ERROR_MAX 4608
#define KEYCMD_PATH_MAX 4096

typedef struct keycmd_args {
    const char *sub;        /* new, show, export, import, passwd */
    const char *file;       /* export OUT, import IN */
    const char *key_path;   /* --key FILE */
    const char *store_path; /* --store DIR */
    const char *pass_path, *new_pass_path;
    bool force;
} keycmd_args;

typedef struct keycmd {
    keycmd_args a;
    store_passphrase pass, new_pass; /* wiped at the end */
    char err[KEYCMD_ERROR_MAX];
} keycmd;

static void keycmd_usage(FILE *out) {
    fputs("usage: swarmlab-node key new --key FILE [--store DIR] [--force]\n"
          "       swarmlab-node key show --key FILE [--store DIR]\n"
          "       swarmlab-node key export OUT --key FILE [--new-passphrase-file F] [--force]\n"
          "       swarmlab-node key import IN --key FILE [--new-passphrase-file F] [--force]\n"
          "       swarmlab-node key passwd [--key FILE] [--store DIR] --new-passphrase-file F\n"
          "  each with [--passphrase-file F] (or " STORE_PASSPHRASE_ENV "): the passphrase that\n"
          "  unlocks (and for new seals) the key and the store; --new-passphrase-file (or\n"
          "  " STORE_NEW_PASSPHRASE_ENV ") the one passwd, export and import seal with.\n"
          "  new: a fresh identity (sealed with a passphrase, else the 68-byte protobuf)\n"
          "       and, with --store, a new store in an empty DIR\n"
          "  show: the peer ID, and how the key and the store are sealed\n"
          "  export: the identity into OUT, sealed with a passphrase (Argon2id)\n"
          "  import: checks IN (an export) and installs it as the identity\n"
          "  passwd: re-wraps the store key and seals the identity under the new\n"
          "       passphrase; no block is re-encrypted\n"
          "See docs/data.md.\n",
          out);
}

/* The value after argv[*i]; NULL at the end. */
static const char *keycmd_value(int argc, char **argv, int *i) { return *i + 1 < argc ? argv[++*i] : NULL; }

static int keycmd_parse(int argc, char **argv, keycmd_args *a) {
    memset(a, 0, sizeof *a);
    if (argc < 2) return -1;
    a->sub = argv[1];
    bool needs_file = strcmp(a->sub, "export") == 0 || strcmp(a->sub, "import") == 0;
    bool known = needs_file || strcmp(a->sub, "new") == 0 || strcmp(a->sub, "show") == 0 ||
                 strcmp(a->sub, "passwd") == 0;
    if (!known) return -1;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = strcmp(arg, "--key") == 0                   ? &a->key_path
                            : strcmp(arg, "--store") == 0               ? &a->store_path
                            : strcmp(arg, "--passphrase-file") == 0     ? &a->pass_path
                            : strcmp(arg, "--new-passphrase-file") == 0 ? &a->new_pass_path
                                                                        : NULL;
        if (strcmp(arg, "--force") == 0) a->force = true;
        else if (slot != NULL && (*slot = keycmd_value(argc, argv, &i)) == NULL) return -1;
        else if (slot == NULL && needs_file && a->file == NULL && arg[0] != '-') a->file = arg;
        else if (slot == NULL) return -1;
    }
    if (needs_file && a->file == NULL) return -1;
    if (strcmp(a->sub, "passwd") == 0) return a->key_path != NULL || a->store_path != NULL ? 0 : -1;
    return a->key_path != NULL ? 0 : -1;
}

/* A store_keys_status as an exit code. */
static int exit_code(store_keys_status st) {
    return st == STORE_KEYS_OK ? 0 : st == STORE_KEYS_REFUSED ? DAEMON_EXIT_USAGE : DAEMON_EXIT_FAILURE;
}

static void print_peer(const uint8_t seed[IDENTITY_SEED_BYTES]) {
    identity id;
    identity_from_seed(&id, seed);
    peer_id pid;
    peer_id_from_public_key(id.public_key, &pid);
    identity_wipe(&id);
    char text[PEER_ID_TEXT_MAX];
    if (peer_id_to_text(&pid, text, sizeof text) == 0) printf("peer %s\n", text);
}

/* ---- the subcommands -------------------------------------------------- */

static bool path_exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

static int cmd_new(keycmd *k) {
    char store_key[KEYCMD_PATH_MAX];
    if (k->a.store_path != NULL) {
        snprintf(store_key, sizeof store_key, "%s/%s", k->a.store_path, STORE_KEY_FILE);
        if (path_exists(store_key)) { /* even with --force: its blocks would be lost */
            snprintf(k->err, sizeof k->err, "store %s exists: its key is never replaced (passwd changes the passphrase)",
                     k->a.store_path);
            return DAEMON_EXIT_FAILURE;
        }
    }
    uint8_t seed[IDENTITY_SEED_BYTES];
    randombytes_buf(seed, sizeof seed);
    int rc = daemon_key_write(k->a.key_path, seed, &k->pass, k->a.force, k->err, sizeof k->err);
    if (rc == 0) print_peer(seed);
    sodium_memzero(seed, sizeof seed);
    if (rc != 0 || k->a.store_path == NULL) return rc;
    uint8_t key[STORE_KEY_BYTES];
    store_keys_status st = store_dir_prepare(k->a.store_path, true, k->err, sizeof k->err);
    if (st == STORE_KEYS_OK) st = store_key_open(k->a.store_path, &k->pass, key, k->err, sizeof k->err);
    sodium_memzero(key, sizeof key);
    if (st == STORE_KEYS_OK) printf("store %s sealed by %s\n", k->a.store_path, k->pass.len > 0 ? "passphrase" : "key file");
    return exit_code(st);
}

static int cmd_show(keycmd *k) {
    uint8_t seed[IDENTITY_SEED_BYTES];
    bool sealed = false;
    int rc = daemon_key_read(k->a.key_path, &k->pass, seed, &sealed, k->err, sizeof k->err);
    if (rc != 0) return rc;
    print_peer(seed);
    sodium_memzero(seed, sizeof seed);
    printf("key %s %s\n", k->a.key_path, sealed ? "sealed by passphrase" : "not sealed");
    if (k->a.store_path == NULL) return 0;
    int by_pass = store_key_wrapped_by_passphrase(k->a.store_path);
    if (by_pass < 0) {
        snprintf(k->err, sizeof k->err, "store %s: no readable %s", k->a.store_path, STORE_KEY_FILE);
        return DAEMON_EXIT_FAILURE;
    }
    printf("store %s sealed by %s\n", k->a.store_path, by_pass ? "passphrase" : "key file");
    return 0;
}

/* The passphrase that export and import seal with: the new one, else the
 * one given. */
static const store_passphrase *sealing_passphrase(const keycmd *k) {
    return k->new_pass.len > 0 ? &k->new_pass : &k->pass;
}

static int cmd_export(keycmd *k) {
    if (sealing_passphrase(k)->len == 0) {
        snprintf(k->err, sizeof k->err, "export needs a passphrase: --new-passphrase-file F or --passphrase-file F");
        return DAEMON_EXIT_USAGE;
    }
    uint8_t seed[IDENTITY_SEED_BYTES];
    bool sealed;
    int rc = daemon_key_read(k->a.key_path, &k->pass, seed, &sealed, k->err, sizeof k->err);
    if (rc == 0) rc = daemon_key_write(k->a.file, seed, sealing_passphrase(k), k->a.force, k->err, sizeof k->err);
    if (rc == 0) print_peer(seed);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

/* An export file is sealed already, so it may have travelled with any
 * mode: opened safely (no link, regular), read, and checked by opening it. */
static int cmd_import(keycmd *k) {
    int fd;
    struct stat st;
    daemon_file_status status = daemon_file_open(k->a.file, "export file", DAEMON_FILE_READ, &fd, &st, k->err,
                                                 sizeof k->err);
    if (status != DAEMON_FILE_OPEN) return status == DAEMON_FILE_REFUSED ? DAEMON_EXIT_USAGE : DAEMON_EXIT_FAILURE;
    uint8_t bytes[STORE_SEALED_FILE_MAX + 1];
    ssize_t n = read(fd, bytes, sizeof bytes);
    close(fd);
    uint8_t seed[IDENTITY_SEED_BYTES];
    bool sealed = false;
    char what[KEYCMD_PATH_MAX + 16];
    snprintf(what, sizeof what, "export file %s", k->a.file);
    int rc = n > 0 ? daemon_key_decode(bytes, (size_t)n, &k->pass, what, seed, &sealed, k->err, sizeof k->err) : -1;
    if (rc == 0 && !sealed) {
        snprintf(k->err, sizeof k->err, "%s is not sealed: an export is (swarmlab-node key export)", what);
        rc = DAEMON_EXIT_FAILURE;
    } else if (rc < 0) {
        snprintf(k->err, sizeof k->err, "%s is empty or unreadable", what);
        rc = DAEMON_EXIT_FAILURE;
    }
    if (rc == 0) rc = daemon_key_write(k->a.key_path, seed, sealing_passphrase(k), k->a.force, k->err, sizeof k->err);
    if (rc == 0) print_peer(seed);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(bytes, sizeof bytes);
    return rc;
}

/* Both are opened with the old passphrase before either is written, so a
 * wrong one changes nothing. */
static int cmd_passwd(keycmd *k) {
    if (k->new_pass.len == 0) {
        snprintf(k->err, sizeof k->err, "passwd needs the new passphrase: --new-passphrase-file F or %s",
                 STORE_NEW_PASSPHRASE_ENV);
        return DAEMON_EXIT_USAGE;
    }
    uint8_t seed[IDENTITY_SEED_BYTES];
    bool sealed;
    int rc = k->a.key_path != NULL ? daemon_key_read(k->a.key_path, &k->pass, seed, &sealed, k->err, sizeof k->err) : 0;
    if (rc == 0 && k->a.store_path != NULL) {
        store_keys_status st = store_dir_prepare(k->a.store_path, false, k->err, sizeof k->err);
        if (st == STORE_KEYS_OK) st = store_key_rewrap(k->a.store_path, &k->pass, &k->new_pass, k->err, sizeof k->err);
        rc = exit_code(st);
        if (rc == 0) printf("store %s sealed by the new passphrase\n", k->a.store_path);
    }
    if (rc == 0 && k->a.key_path != NULL) {
        rc = daemon_key_write(k->a.key_path, seed, &k->new_pass, true, k->err, sizeof k->err);
        if (rc == 0) printf("key %s sealed by the new passphrase\n", k->a.key_path);
    }
    sodium_memzero(seed, sizeof seed);
    return rc;
}

int daemon_keycmd_main(int argc, char **argv) {
    keycmd *k = sodium_malloc(sizeof *k); /* passphrases in locked memory, wiped when freed */
    if (k == NULL) return DAEMON_EXIT_FAILURE;
    memset(k, 0, sizeof *k);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        keycmd_usage(stdout);
        sodium_free(k);
        return 0;
    }
    if (keycmd_parse(argc, argv, &k->a) != 0) {
        fprintf(stderr, "swarmlab-node: bad arguments for key\n");
        keycmd_usage(stderr);
        sodium_free(k);
        return DAEMON_EXIT_USAGE;
    }
    store_keys_status st = store_passphrase_load(k->a.pass_path, STORE_PASSPHRASE_ENV, &k->pass, k->err, sizeof k->err);
    if (st == STORE_KEYS_OK)
        st = store_passphrase_load(k->a.new_pass_path, STORE_NEW_PASSPHRASE_ENV, &k->new_pass, k->err, sizeof k->err);
    int rc = exit_code(st);
    if (rc == 0) {
        const char *sub = k->a.sub;
        rc = strcmp(sub, "new") == 0      ? cmd_new(k)
             : strcmp(sub, "show") == 0   ? cmd_show(k)
             : strcmp(sub, "export") == 0 ? cmd_export(k)
             : strcmp(sub, "import") == 0 ? cmd_import(k)
                                          : cmd_passwd(k);
    }
    if (rc != 0) fprintf(stderr, "swarmlab-node: %s\n", k->err);
    fflush(stdout);
    sodium_free(k);
    return rc;
}
