/*
 * bench_store: the daemon store's figures for `make bench` (issue 17):
 * puts and gets per second of 1 KiB and 256 KiB blocks on the encrypted
 * SQLite store (node/posix/store_db.h), with the store key wrapped by a key
 * file and by a passphrase (Argon2id at the default, moderate limits). The
 * wrapping costs once, when the store opens (the unwrap is timed); each put
 * is sealed under the same kind of key either way, and is fsync'ed
 * (synchronous=FULL), which is what bounds its rate.
 *
 *   swarmlab-bench-store [DIR]   (default: a fresh folder under /tmp)
 */
#define _GNU_SOURCE
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/cid.h"
#include "posix/store_db.h"
#include "posix/store_keys.h"

#define BENCH_ERROR_MAX 512
#define BENCH_SMALL_PUTS 400
#define BENCH_LARGE_PUTS 100

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void remove_store(const char *dir) {
    const char *files[] = {STORE_DB_FILE, "blocks.db-wal", "blocks.db-shm", STORE_KEY_FILE, STORE_KEYFILE_FILE};
    char path[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* Puts count blocks of size bytes, then gets each back; prints the rates. */
static int bench_blocks(store_db *db, const char *label, size_t size, int count) {
    enum { KEY_BYTES = 36 }; /* a CIDv1 raw sha2-256 */
    uint8_t *block = malloc(size), (*cids)[KEY_BYTES] = calloc((size_t)count, KEY_BYTES);
    buf out;
    buf_init(&out, STORE_BLOCK_MAX);
    if (block == NULL || cids == NULL) return -1;
    randombytes_buf(block, size);
    double t0 = now_s();
    for (int i = 0; i < count; i++) {
        memcpy(block, &i, sizeof i); /* a different block each time */
        cid c;
        cid_of(&c, CID_CODEC_RAW, block, size);
        if (cid_encode(&c, cids[i]) != KEY_BYTES || store_db_put(db, cids[i], KEY_BYTES, block, size) != 0) return -1;
    }
    double t1 = now_s();
    for (int i = 0; i < count; i++) {
        buf_clear(&out);
        if (store_db_get(db, cids[i], KEY_BYTES, &out) != 1 || out.len != size) return -1;
    }
    double t2 = now_s();
    double puts = count / (t1 - t0), gets = count / (t2 - t1);
    printf("store     %-10s %4zu KiB blocks  put %7.0f /s (%6.1f MiB/s)   get %7.0f /s (%7.1f MiB/s)\n", label,
           size >> 10, puts, puts * (double)size / 1048576.0, gets, gets * (double)size / 1048576.0);
    free(block);
    free(cids);
    buf_free(&out);
    return 0;
}

/* A new store in dir, wrapped by pass (NULL: a key file); reopened so that
 * the unwrap is what is timed. */
static int bench_store(const char *dir, const store_passphrase *pass, const char *label) {
    char err[BENCH_ERROR_MAX];
    uint8_t key[STORE_KEY_BYTES];
    remove_store(dir);
    if (store_dir_prepare(dir, true, err, sizeof err) != STORE_KEYS_OK ||
        store_key_open(dir, pass, key, err, sizeof err) != STORE_KEYS_OK) {
        fprintf(stderr, "bench_store: %s\n", err);
        return -1;
    }
    double t0 = now_s();
    store_keys_status st = store_key_open(dir, pass, key, err, sizeof err);
    double unwrap = now_s() - t0;
    store_db *db = st == STORE_KEYS_OK ? store_db_open(dir, key, err, sizeof err) : NULL;
    sodium_memzero(key, sizeof key);
    if (db == NULL) {
        fprintf(stderr, "bench_store: %s\n", err);
        return -1;
    }
    printf("store     %-10s unwrapping the store key at open: %.2f ms\n", label, unwrap * 1000.0);
    int rc = bench_blocks(db, label, 1024, BENCH_SMALL_PUTS);
    if (rc == 0) rc = bench_blocks(db, label, 256u << 10, BENCH_LARGE_PUTS);
    if (rc != 0) fprintf(stderr, "bench_store: %s\n", store_db_error(db));
    store_db_close(db);
    remove_store(dir);
    return rc;
}

int main(int argc, char **argv) {
    if (sodium_init() < 0) return 1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : "");
    if (dir[0] == '\0') snprintf(dir, sizeof dir, "/tmp/swarmlab-bench-store-%d", (int)getpid());
    unsetenv(STORE_PWHASH_LIMITS_ENV); /* the default, moderate limits */
    static const char phrase[] = "bench passphrase, moderate limits";
    store_passphrase pass = {.len = sizeof phrase - 1};
    memcpy(pass.text, phrase, pass.len);
    int rc = bench_store(dir, NULL, "key file") == 0 && bench_store(dir, &pass, "passphrase") == 0 ? 0 : 1;
    sodium_memzero(&pass, sizeof pass);
    return rc;
}
