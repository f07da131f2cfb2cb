/*
 * store_db: the daemon's block store on disk, encrypted at rest
 * (docs/data.md). One SQLite database, DIR/blocks.db, in WAL mode with
 * synchronous=FULL, one table:
 *
 *   blocks (id BLOB PRIMARY KEY, rec BLOB) WITHOUT ROWID
 *
 * id is BLAKE2b-256 of the key (a binary CID) keyed by the index key, rec
 * the sealed record of store_format.h. Both subkeys come from the 32-byte
 * store key (crypto_kdf, context "swlstore": 1 index, 2 seal); nothing
 * readable reaches the disk, neither the blocks nor their CIDs.
 *
 * Keys are opaque bytes here (1 to STORE_KEY_MAX); whether a block matches
 * its CID is the caller's check. The API is the shape of the seam's storage
 * operations (put, get, has, delete, sync) plus listing.
 */
#ifndef SWARMLAB_STORE_DB_H
#define SWARMLAB_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "store_format.h"

#define STORE_DB_FILE "blocks.db"
#define STORE_DB_SCHEMA_VERSION 1 /* PRAGMA user_version */

typedef struct store_db store_db;

/* Opens (creating when missing) DIR/blocks.db under store_key, which the
 * caller may wipe on return (the subkeys are kept, in locked memory). NULL
 * with err filled on failure. dir must exist (store_keys.h makes it). */
store_db *store_db_open(const char *dir, const uint8_t store_key[STORE_KEY_BYTES], char *err, size_t cap);

/* Stores val under key, durably when it returns 0 (the commit reached the
 * disk: an acknowledged put survives SIGKILL and power loss). A key already
 * present is left as it is: a CID names one content. -1 on failure. */
int store_db_put(store_db *db, const uint8_t *key, size_t key_len, const uint8_t *val, size_t len);

/* Appends the value of key to out, as the env's store_get does (out is
 * left as it was unless 1 is returned): 1 found, 0 absent, -1 error (I/O,
 * or a record that does not open: tampered with, or another store key). */
int store_db_get(store_db *db, const uint8_t *key, size_t key_len, buf *out);

/* 1 present, 0 absent, -1 error. */
int store_db_has(store_db *db, const uint8_t *key, size_t key_len);

/* 1 deleted, 0 absent, -1 error. */
int store_db_del(store_db *db, const uint8_t *key, size_t key_len);

/* Every put is durable when acknowledged; sync also folds the WAL into the
 * database (a checkpoint) so that it does not grow. 0 or -1. */
int store_db_sync(store_db *db);

/* Calls fn with every key, in row id order (not insertion order); fn
 * returns 0 to go on. The count of keys seen, or -1 on error (a row that
 * does not open is an error, not skipped). */
typedef int (*store_db_key_fn)(void *user, const uint8_t *key, size_t key_len);
long store_db_list(store_db *db, store_db_key_fn fn, void *user);

/* The last failure's text, for one-line errors. */
const char *store_db_error(const store_db *db);

void store_db_close(store_db *db);

#endif
