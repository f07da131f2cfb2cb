/*
 * store_db: the encrypted block store on SQLite. See store_db.h and
 * docs/data.md.
 *
 * Why these pragmas:
 *   journal_mode=WAL   a put appends to the log and never rewrites the
 *                      database in place; readers never block the writer.
 *   synchronous=FULL   the log is fsync'ed at every commit, so a put that
 *                      returned 0 (and was acknowledged to the user)
 *                      survives SIGKILL and power loss. NORMAL would keep
 *                      the database consistent but could lose the last
 *                      commits on power loss: an acknowledged block gone.
 *   temp_store=MEMORY  no temporary files beside the database.
 */
#define _GNU_SOURCE
#include "store_db.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_KDF_CONTEXT "swlstore" /* crypto_kdf_CONTEXTBYTES = 8 */
#define STORE_KDF_INDEX 1u
#define STORE_KDF_SEAL 2u
#define STORE_DB_BUSY_MS 2000 /* another process holding the lock, briefly */
#define STORE_DB_PATH_MAX 4096
#define STORE_DB_ERROR_MAX 256

/* The subkeys, in sodium_malloc'ed memory: locked (never swapped out),
 * behind guard pages, wiped when freed. */
typedef struct store_subkeys {
    uint8_t index[STORE_KEY_BYTES]; /* row ids */
    uint8_t seal[STORE_KEY_BYTES];  /* records */
} store_subkeys;

enum { STMT_PUT, STMT_GET, STMT_HAS, STMT_DEL, STMT_LIST, STMT_COUNT };

static const char *const statements[STMT_COUNT] = {
    [STMT_PUT] = "INSERT INTO blocks (id, rec) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
    [STMT_GET] = "SELECT rec FROM blocks WHERE id = ?1",
    [STMT_HAS] = "SELECT 1 FROM blocks WHERE id = ?1",
    [STMT_DEL] = "DELETE FROM blocks WHERE id = ?1",
    [STMT_LIST] = "SELECT id, rec FROM blocks ORDER BY id",
};

struct store_db {
    sqlite3 *sql;
    sqlite3_stmt *stmt[STMT_COUNT];
    store_subkeys *keys;
    uint8_t *record; /* STORE_RECORD_MAX: one sealed record being built */
    uint8_t *plain;  /* STORE_PLAIN_MAX: one record's plaintext, wiped after use */
    char error[STORE_DB_ERROR_MAX];
};

static_assert(sizeof STORE_KDF_CONTEXT - 1 == crypto_kdf_CONTEXTBYTES, "the kdf context is 8 bytes");
static_assert(STORE_KEY_BYTES == crypto_kdf_KEYBYTES, "the store key is a kdf master key");
static_assert(STORE_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "the seal key is an AEAD key");

static int db_fail(store_db *db, const char *what) {
    snprintf(db->error, sizeof db->error, "%s: %s", what, db->sql != NULL ? sqlite3_errmsg(db->sql) : "no memory");
    return -1;
}

static void row_id(const store_db *db, const uint8_t *key, size_t key_len, uint8_t id[STORE_ROW_ID_BYTES]) {
    crypto_generichash(id, STORE_ROW_ID_BYTES, key, key_len, db->keys->index, sizeof db->keys->index);
}

static bool key_valid(const uint8_t *key, size_t key_len) {
    return key != NULL && key_len >= 1 && key_len <= STORE_KEY_MAX;
}

/* ---- opening ---------------------------------------------------------- */

static int exec(store_db *db, const char *sql) {
    char *message = NULL;
    if (sqlite3_exec(db->sql, sql, NULL, NULL, &message) == SQLITE_OK) return 0;
    snprintf(db->error, sizeof db->error, "%s: %s", sql, message != NULL ? message : "failed");
    sqlite3_free(message);
    return -1;
}

/* A pragma that answers one text value, which must be want. */
static int pragma_expect(store_db *db, const char *sql, const char *want) {
    sqlite3_stmt *s = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL) != SQLITE_OK) return db_fail(db, sql);
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *got = (const char *)sqlite3_column_text(s, 0);
        if (got != NULL && strcmp(got, want) == 0) rc = 0;
        else snprintf(db->error, sizeof db->error, "%s answered %s, not %s", sql, got ? got : "nothing", want);
    } else {
        db_fail(db, sql);
    }
    sqlite3_finalize(s);
    return rc;
}

static int user_version(store_db *db) {
    sqlite3_stmt *s = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return version;
}

/* The pragmas (see the top of this file), the table, the schema version. */
static int db_configure(store_db *db) {
    if (sqlite3_busy_timeout(db->sql, STORE_DB_BUSY_MS) != SQLITE_OK) return db_fail(db, "busy timeout");
    if (pragma_expect(db, "PRAGMA journal_mode=WAL", "wal") != 0) return -1;
    if (exec(db, "PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; PRAGMA trusted_schema=OFF") != 0) return -1;
    int version = user_version(db);
    if (version != 0 && version != STORE_DB_SCHEMA_VERSION) {
        snprintf(db->error, sizeof db->error, "schema version %d, this swarmlab-node reads %d", version,
                 STORE_DB_SCHEMA_VERSION);
        return -1;
    }
    if (version == 0 && exec(db, "BEGIN; CREATE TABLE IF NOT EXISTS blocks (id BLOB PRIMARY KEY NOT NULL, "
                                 "rec BLOB NOT NULL) WITHOUT ROWID; PRAGMA user_version=1; COMMIT") != 0)
        return -1;
    for (size_t i = 0; i < STMT_COUNT; i++)
        if (sqlite3_prepare_v3(db->sql, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &db->stmt[i], NULL) != SQLITE_OK)
            return db_fail(db, "prepare");
    return 0;
}

static int db_derive_keys(store_db *db, const uint8_t store_key[STORE_KEY_BYTES]) {
    db->keys = sodium_malloc(sizeof *db->keys);
    db->record = malloc(STORE_RECORD_MAX);
    db->plain = malloc(STORE_PLAIN_MAX);
    if (db->keys == NULL || db->record == NULL || db->plain == NULL) {
        snprintf(db->error, sizeof db->error, "out of memory");
        return -1;
    }
    crypto_kdf_derive_from_key(db->keys->index, sizeof db->keys->index, STORE_KDF_INDEX, STORE_KDF_CONTEXT, store_key);
    crypto_kdf_derive_from_key(db->keys->seal, sizeof db->keys->seal, STORE_KDF_SEAL, STORE_KDF_CONTEXT, store_key);
    return 0;
}

/* The database file made mode 0600 before SQLite opens it: SQLite gives
 * its -wal and -shm files the database's mode. Only ciphertext is in them,
 * but nobody else needs to see even how much. */
static int db_create_private(const char *path) {
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

store_db *store_db_open(const char *dir, const uint8_t store_key[STORE_KEY_BYTES], char *err, size_t cap) {
    assert(dir != NULL && store_key != NULL);
    if (sodium_init() < 0) {
        snprintf(err, cap, "libsodium cannot start");
        return NULL;
    }
    store_db *db = calloc(1, sizeof *db);
    if (db == NULL) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    char path[STORE_DB_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, STORE_DB_FILE);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(db->error, sizeof db->error, "path too long");
    } else if (db_create_private(path) != 0) {
        snprintf(db->error, sizeof db->error, "cannot create: %s", strerror(errno));
    } else if (sqlite3_open_v2(path, &db->sql, flags, NULL) != SQLITE_OK) {
        db_fail(db, "open");
    } else if (db_derive_keys(db, store_key) == 0 && db_configure(db) == 0) {
        return db;
    }
    snprintf(err, cap, "store %s: %s", path, db->error);
    store_db_close(db);
    return NULL;
}

void store_db_close(store_db *db) {
    if (db == NULL) return;
    for (size_t i = 0; i < STMT_COUNT; i++) sqlite3_finalize(db->stmt[i]);
    if (db->sql != NULL) sqlite3_close(db->sql); /* the last connection checkpoints and removes the WAL */
    if (db->keys != NULL) sodium_free(db->keys); /* wipes them */
    if (db->plain != NULL) sodium_memzero(db->plain, STORE_PLAIN_MAX);
    free(db->plain);
    free(db->record);
    free(db);
}

const char *store_db_error(const store_db *db) { return db->error; }

/* ---- records ---------------------------------------------------------- */

/* Seals key || val under the row id into db->record; its length, or 0. */
static size_t record_seal(store_db *db, const uint8_t id[STORE_ROW_ID_BYTES], const uint8_t *key, size_t key_len,
                          const uint8_t *val, size_t len) {
    size_t plain_len = store_plain_encode(key, key_len, val, len, db->plain, STORE_PLAIN_MAX);
    if (plain_len == 0) return 0;
    uint8_t ad[STORE_ROW_ID_BYTES + 1];
    store_record_ad(id, ad);
    db->record[0] = STORE_RECORD_VERSION;
    uint8_t *nonce = db->record + 1;
    randombytes_buf(nonce, STORE_NONCE_BYTES); /* random 192-bit nonces never repeat in practice */
    unsigned long long sealed_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + STORE_NONCE_BYTES, &sealed_len, db->plain, plain_len, ad,
                                               sizeof ad, NULL, nonce, db->keys->seal);
    sodium_memzero(db->plain, plain_len);
    assert(sealed_len == plain_len + STORE_TAG_BYTES);
    return 1 + STORE_NONCE_BYTES + (size_t)sealed_len;
}

/* Opens rec (the row id's) into db->plain and checks that it holds key
 * (NULL: any); the block's view, and 0, or -1. */
static int record_open(store_db *db, const uint8_t id[STORE_ROW_ID_BYTES], const uint8_t *rec, size_t rec_len,
                       const uint8_t *key, size_t key_len, const uint8_t **stored_key, size_t *stored_key_len,
                       const uint8_t **block, size_t *block_len) {
    store_record_view view;
    uint8_t ad[STORE_ROW_ID_BYTES + 1];
    unsigned long long plain_len = 0;
    store_record_ad(id, ad);
    if (store_record_parse(rec, rec_len, &view) != 0 ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(db->plain, &plain_len, NULL, view.ciphertext, view.ciphertext_len,
                                                   ad, sizeof ad, view.nonce, db->keys->seal) != 0 ||
        store_plain_parse(db->plain, (size_t)plain_len, stored_key, stored_key_len, block, block_len) != 0 ||
        (key != NULL && (*stored_key_len != key_len || memcmp(*stored_key, key, key_len) != 0))) {
        snprintf(db->error, sizeof db->error, "a record does not open: damaged, or sealed under another store key");
        return -1;
    }
    return 0;
}

/* ---- operations ------------------------------------------------------- */

/* Binds the row id of key to statement i, reset. */
static sqlite3_stmt *bind_id(store_db *db, int i, const uint8_t id[STORE_ROW_ID_BYTES]) {
    sqlite3_stmt *s = db->stmt[i];
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (sqlite3_bind_blob(s, 1, id, STORE_ROW_ID_BYTES, SQLITE_TRANSIENT) != SQLITE_OK) return NULL;
    return s;
}

int store_db_put(store_db *db, const uint8_t *key, size_t key_len, const uint8_t *val, size_t len) {
    if (!key_valid(key, key_len) || len > STORE_BLOCK_MAX || (val == NULL && len > 0)) {
        snprintf(db->error, sizeof db->error, "a key of 1 to %u bytes and a block of at most %u bytes",
                 STORE_KEY_MAX, STORE_BLOCK_MAX);
        return -1;
    }
    uint8_t id[STORE_ROW_ID_BYTES];
    row_id(db, key, key_len, id);
    size_t rec_len = record_seal(db, id, key, key_len, val, len);
    assert(rec_len > 0); /* the bounds were checked above */
    sqlite3_stmt *s = bind_id(db, STMT_PUT, id);
    int rc = s != NULL && sqlite3_bind_blob(s, 2, db->record, (int)rec_len, SQLITE_STATIC) == SQLITE_OK &&
                     sqlite3_step(s) == SQLITE_DONE
                 ? 0
                 : db_fail(db, "put");
    if (s != NULL) sqlite3_reset(s); /* autocommit: the step committed, and the WAL was synced */
    return rc;
}

int store_db_get(store_db *db, const uint8_t *key, size_t key_len, buf *out) {
    if (!key_valid(key, key_len)) return 0;
    uint8_t id[STORE_ROW_ID_BYTES];
    row_id(db, key, key_len, id);
    sqlite3_stmt *s = bind_id(db, STMT_GET, id);
    if (s == NULL) return db_fail(db, "get");
    int step = sqlite3_step(s);
    int rc = step == SQLITE_DONE ? 0 : -1;
    if (step == SQLITE_ROW) {
        const uint8_t *stored_key, *block;
        size_t stored_key_len, block_len;
        const uint8_t *rec = sqlite3_column_blob(s, 0);
        size_t rec_len = (size_t)sqlite3_column_bytes(s, 0);
        if (record_open(db, id, rec, rec_len, key, key_len, &stored_key, &stored_key_len, &block, &block_len) == 0)
            rc = buf_append(out, block, block_len) == 0 ? 1 : -1;
        sodium_memzero(db->plain, STORE_PLAIN_MAX < rec_len ? STORE_PLAIN_MAX : rec_len);
    } else if (step != SQLITE_DONE) {
        db_fail(db, "get");
    }
    sqlite3_reset(s);
    return rc;
}

/* has and del: one statement on the row id; has counts rows, del changes. */
static int by_id(store_db *db, int i, const uint8_t *key, size_t key_len) {
    if (!key_valid(key, key_len)) return 0;
    uint8_t id[STORE_ROW_ID_BYTES];
    row_id(db, key, key_len, id);
    sqlite3_stmt *s = bind_id(db, i, id);
    int step = s != NULL ? sqlite3_step(s) : SQLITE_ERROR;
    int rc = -1;
    if (step == SQLITE_ROW) rc = 1;
    else if (step == SQLITE_DONE) rc = i == STMT_DEL ? sqlite3_changes(db->sql) > 0 : 0;
    else db_fail(db, i == STMT_DEL ? "delete" : "has");
    if (s != NULL) sqlite3_reset(s);
    return rc;
}

int store_db_has(store_db *db, const uint8_t *key, size_t key_len) { return by_id(db, STMT_HAS, key, key_len); }
int store_db_del(store_db *db, const uint8_t *key, size_t key_len) { return by_id(db, STMT_DEL, key, key_len); }

int store_db_sync(store_db *db) {
    int rc = sqlite3_wal_checkpoint_v2(db->sql, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(db, "checkpoint");
}

long store_db_list(store_db *db, store_db_key_fn fn, void *user) {
    sqlite3_stmt *s = db->stmt[STMT_LIST];
    sqlite3_reset(s);
    long count = 0;
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const uint8_t *id = sqlite3_column_blob(s, 0), *rec = sqlite3_column_blob(s, 1);
        const uint8_t *key, *block;
        size_t key_len, block_len, rec_len = (size_t)sqlite3_column_bytes(s, 1);
        if (id == NULL || sqlite3_column_bytes(s, 0) != STORE_ROW_ID_BYTES ||
            record_open(db, id, rec, rec_len, NULL, 0, &key, &key_len, &block, &block_len) != 0) {
            snprintf(db->error, sizeof db->error, "a record does not open: damaged, or sealed under another store key");
            count = -1;
            break;
        }
        count++;
        int stop = fn != NULL ? fn(user, key, key_len) : 0;
        sodium_memzero(db->plain, key_len + block_len + 1);
        if (stop != 0) break;
    }
    if (count >= 0 && step != SQLITE_ROW && step != SQLITE_DONE) count = db_fail(db, "list");
    sqlite3_reset(s);
    return count;
}
