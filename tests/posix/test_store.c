/*
 * test_store: the daemon's encrypted block store and its keys
 * (docs/data.md), through the real swarmlab-node: put and get over the
 * control socket, nothing readable in the store's files, a wrong
 * passphrase refused with the store untouched, passwd without
 * re-encryption, export and import of the identity, damaged files refused,
 * and SIGKILL in the middle of a stream of puts, 20 times.
 *
 * New sealed files use Argon2id's interactive limits here
 * (SWARMLAB_PWHASH_LIMITS, set in main), so that the tests stay fast; the
 * limits are in each file's header, which one test reads.
 */
#include "harness.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "store/cid.h"
#include "posix/store_db.h"
#include "posix/store_format.h"

#define HELLO_CID "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e" /* "hello world", raw, as IPFS */
#define FILE_BYTES_MAX (4u << 20)
#define CRASH_ROUNDS 20
#define CRASH_IN_FLIGHT 8 /* puts sent ahead of their acknowledgements */
#define STORE_FILES_MAX 16

typedef struct store_fixture {
    harness_daemon d;
    char dir[HARNESS_TEXT_MAX], pass[HARNESS_TEXT_MAX], other_pass[HARNESS_TEXT_MAX];
    char key[HARNESS_TEXT_MAX], log[HARNESS_TEXT_MAX], scratch[HARNESS_TEXT_MAX];
} store_fixture;

/* ---- files ------------------------------------------------------------ */

static void write_file(const char *path, const void *bytes, size_t len, mode_t mode) {
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* The whole file into a malloc'ed buffer (*len bytes); NULL when missing. */
static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    uint8_t *bytes = malloc(FILE_BYTES_MAX);
    assert_non_null(bytes);
    *len = fread(bytes, 1, FILE_BYTES_MAX, f);
    fclose(f);
    return bytes;
}

/* The names of dir's files, sorted, into names; their count. */
static size_t list_dir(const char *dir, char names[STORE_FILES_MAX][HARNESS_TEXT_MAX]) {
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && n < STORE_FILES_MAX) snprintf(names[n++], HARNESS_TEXT_MAX, "%s", e->d_name);
    if (d != NULL) closedir(d);
    qsort(names, n, HARNESS_TEXT_MAX, (int (*)(const void *, const void *))strcmp);
    return n;
}

static void remove_dir(const char *dir) {
    char names[STORE_FILES_MAX][HARNESS_TEXT_MAX], path[2 * HARNESS_TEXT_MAX];
    size_t n = list_dir(dir, names);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* A digest of every file of dir (names and bytes): equal means untouched. */
static void dir_digest(const char *dir, uint8_t out[32]) {
    char names[STORE_FILES_MAX][HARNESS_TEXT_MAX], path[2 * HARNESS_TEXT_MAX];
    size_t n = list_dir(dir, names), len = 0;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        uint8_t *bytes = read_file(path, &len);
        assert_non_null(bytes);
        crypto_generichash_update(&st, (const uint8_t *)names[i], strlen(names[i]) + 1);
        crypto_generichash_update(&st, bytes, len);
        free(bytes);
    }
    crypto_generichash_final(&st, out, 32);
}

/* How many files of dir hold needle, byte for byte. */
static int files_holding(const char *dir, const void *needle, size_t len, size_t *files_read) {
    char names[STORE_FILES_MAX][HARNESS_TEXT_MAX], path[2 * HARNESS_TEXT_MAX];
    size_t n = list_dir(dir, names), size = 0;
    int hits = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        uint8_t *bytes = read_file(path, &size);
        if (bytes == NULL) continue;
        hits += memmem(bytes, size, needle, len) != NULL;
        free(bytes);
    }
    *files_read = n;
    return hits;
}

/* A statement of sql on the store's database, opened read-write as a
 * process that finds it after a crash would (the WAL is read, nothing
 * repaired); the caller finalizes it and closes *db. */
static sqlite3_stmt *store_query(const char *dir, const char *sql, sqlite3 **db) {
    char path[2 * HARNESS_TEXT_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, "blocks.db");
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(*db, sql, -1, &s, NULL), SQLITE_OK);
    return s;
}

/* The blocks table's rows, id || rec each in id order, digested. */
static void rows_digest(const char *dir, uint8_t out[32], int *rows) {
    sqlite3 *db = NULL;
    sqlite3_stmt *s = store_query(dir, "SELECT id, rec FROM blocks ORDER BY id", &db);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    *rows = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        crypto_generichash_update(&st, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
        crypto_generichash_update(&st, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1));
        (*rows)++;
    }
    crypto_generichash_final(&st, out, 32);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* PRAGMA quick_check's answer on the store's database must be ok. */
static void expect_database_ok(const char *dir) {
    sqlite3 *db = NULL;
    sqlite3_stmt *s = store_query(dir, "PRAGMA quick_check", &db);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* ---- the daemon ------------------------------------------------------- */

static int store_setup(void **state) {
    store_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    harness_init(&f->d);
    harness_path(f->dir, sizeof f->dir, "store", ".d");
    harness_path(f->pass, sizeof f->pass, "pass", ".txt");
    harness_path(f->other_pass, sizeof f->other_pass, "pass2", ".txt");
    harness_path(f->key, sizeof f->key, "id", ".key");
    harness_path(f->log, sizeof f->log, "run", ".log");
    harness_path(f->scratch, sizeof f->scratch, "scratch", ".bin");
    remove_dir(f->dir);
    write_file(f->pass, "correct horse battery staple\n", 29, 0600);
    write_file(f->other_pass, "tr0ub4dor&3", 11, 0600);
    unlink(f->key);
    *state = f;
    return 0;
}

static int store_teardown(void **state) {
    store_fixture *f = *state;
    int status = f->d.pid > 0 ? harness_stop(&f->d) : 0;
    remove_dir(f->dir);
    const char *paths[] = {f->pass, f->other_pass, f->key, f->log, f->scratch};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) unlink(paths[i]);
    free(f);
    return status == 0 ? 0 : -1;
}

/* Starts the daemon on the fixture's store; pass: a passphrase file or NULL. */
static void start_store(store_fixture *f, const char *pass, bool with_key) {
    const char *extra[8] = {"--store", f->dir};
    size_t n = 2;
    if (pass != NULL) {
        extra[n++] = "--passphrase-file";
        extra[n++] = pass;
    }
    if (with_key) {
        extra[n++] = "--key";
        extra[n++] = f->key;
    }
    extra[n] = NULL;
    assert_int_equal(harness_start(&f->d, "storenode", extra), 0);
}

static void stop_store(store_fixture *f) {
    assert_int_equal(harness_stop(&f->d), 0);
}

/* put TEXT; the CID into cid. */
static void put_text(store_fixture *f, const char *text, char cid_text[HARNESS_TEXT_MAX]) {
    char command[HARNESS_LINE_MAX], reply[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "put %s", text);
    assert_int_equal(harness_command(&f->d, command, reply, sizeof reply), 0);
    if (harness_json_string(reply, "cid", cid_text, HARNESS_TEXT_MAX) != 0) fail_msg("put: %s", reply);
}

/* get CID: the reply line. */
static void get_reply(store_fixture *f, const char *cid_text, char *reply, size_t cap) {
    char command[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "get %s", cid_text);
    assert_int_equal(harness_command(&f->d, command, reply, cap), 0);
}

static void expect_block(store_fixture *f, const char *cid_text, const char *text) {
    char reply[HARNESS_LINE_MAX], data[HARNESS_LINE_MAX];
    get_reply(f, cid_text, reply, sizeof reply);
    if (harness_json_string(reply, "data", data, sizeof data) != 0) fail_msg("get %s: %s", cid_text, reply);
    assert_string_equal(data, text);
}

/* The number of CIDs a blocks reply lists. */
static int block_count(store_fixture *f) {
    char reply[HARNESS_LINE_MAX * 4];
    harness_client *c = &f->d.cmd;
    assert_int_equal(harness_send_line(c, "blocks"), 0);
    assert_int_equal(harness_read_line(c, reply, sizeof reply, harness_now_ms() + HARNESS_DEADLINE_MS), 0);
    if (strstr(reply, "\"blocks\":[") == NULL) fail_msg("blocks: %s", reply);
    int count = 0;
    for (const char *p = strstr(reply, "\"bafk"); p != NULL; p = strstr(p + 1, "\"bafk")) count++;
    return count;
}

/* Runs swarmlab-node with args; its exit status, and its output in f->log. */
static int run(store_fixture *f, const char *const *args) {
    int status = harness_run(args, f->log, -1);
    assert_true(status >= 0);
    return status;
}

/* The last run failed with one line that says why. */
static void expect_one_line(store_fixture *f, const char *why) {
    if (harness_file_lines_with(f->log, "") != 1 || harness_file_lines_with(f->log, why) != 1) {
        FILE *l = fopen(f->log, "r");
        char line[HARNESS_LINE_MAX];
        while (l != NULL && fgets(line, sizeof line, l) != NULL) fputs(line, stderr);
        if (l != NULL) fclose(l);
        fail_msg("expected one line saying \"%s\"", why);
    }
}

/* The peer ID a key command printed ("peer ID"). */
static void printed_peer(store_fixture *f, char out[HARNESS_TEXT_MAX]) {
    FILE *l = fopen(f->log, "r");
    assert_non_null(l);
    char line[HARNESS_LINE_MAX];
    out[0] = '\0';
    while (fgets(line, sizeof line, l) != NULL)
        if (sscanf(line, "peer %255s", out) == 1) break;
    fclose(l);
    assert_true(strncmp(out, "12D3KooW", 8) == 0);
}

/* ---- the tests -------------------------------------------------------- */

static int count_keys(void *user, const uint8_t *key, size_t key_len) {
    (void)key;
    *(size_t *)user += key_len;
    return 0;
}

/* store_db's operations themselves, as the seam will call them. */
static void the_store_api_puts_gets_has_deletes_lists_and_syncs(void **state) {
    store_fixture *f = *state;
    assert_int_equal(mkdir(f->dir, 0700), 0);
    uint8_t key[STORE_KEY_BYTES], other[STORE_KEY_BYTES];
    memset(key, 0x11, sizeof key);
    memset(other, 0x22, sizeof other);
    char err[512];
    store_db *db = store_db_open(f->dir, key, err, sizeof err);
    if (db == NULL) fail_msg("%s", err);
    uint8_t k1[STORE_KEY_MAX], k2[3] = {1, 2, 3}, too_long[STORE_KEY_MAX + 1] = {0};
    memset(k1, 0xab, sizeof k1);
    buf out;
    buf_init(&out, STORE_BLOCK_MAX);
    uint8_t *big = calloc(1, STORE_BLOCK_MAX + 1);
    assert_non_null(big);
    assert_int_equal(store_db_put(db, k1, sizeof k1, (const uint8_t *)"one", 3), 0);
    assert_int_equal(store_db_put(db, k2, sizeof k2, NULL, 0), 0); /* an empty block */
    assert_int_equal(store_db_put(db, k2, sizeof k2, big, STORE_BLOCK_MAX), 0); /* already there: kept */
    assert_int_equal(store_db_put(db, too_long, sizeof too_long, big, 1), -1);
    assert_int_equal(store_db_put(db, k1 + 1, 4, big, STORE_BLOCK_MAX + 1), -1);
    assert_int_equal(store_db_put(db, k1 + 1, 4, big, STORE_BLOCK_MAX), 0); /* the largest block */
    assert_int_equal(store_db_get(db, k1, sizeof k1, &out), 1);
    assert_int_equal(out.len, 3);
    assert_memory_equal(out.data, "one", 3);
    buf_clear(&out);
    assert_int_equal(store_db_get(db, k2, sizeof k2, &out), 1);
    assert_int_equal(out.len, 0);
    buf_clear(&out);
    assert_int_equal(store_db_get(db, k1 + 1, 4, &out), 1);
    assert_int_equal(out.len, STORE_BLOCK_MAX);
    assert_int_equal(store_db_has(db, k2, sizeof k2), 1);
    assert_int_equal(store_db_del(db, k2, sizeof k2), 1);
    assert_int_equal(store_db_del(db, k2, sizeof k2), 0);
    assert_int_equal(store_db_has(db, k2, sizeof k2), 0);
    buf_clear(&out);
    assert_int_equal(store_db_get(db, k2, sizeof k2, &out), 0);
    size_t key_bytes = 0;
    assert_int_equal(store_db_list(db, count_keys, &key_bytes), 2);
    assert_int_equal(key_bytes, STORE_KEY_MAX + 4);
    assert_int_equal(store_db_sync(db), 0);
    store_db_close(db);
    /* Under another store key the rows are there but do not open. */
    db = store_db_open(f->dir, other, err, sizeof err);
    assert_non_null(db);
    assert_int_equal(store_db_has(db, k1, sizeof k1), 0); /* another index key: another row id */
    assert_int_equal(store_db_list(db, count_keys, &key_bytes), -1);
    assert_non_null(strstr(store_db_error(db), "does not open"));
    store_db_close(db);
    free(big);
    buf_free(&out);
}

static void put_and_get_round_trip_through_the_daemon(void **state) {
    store_fixture *f = *state;
    start_store(f, NULL, false);
    struct stat st;
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char cid_text[HARNESS_TEXT_MAX], reply[HARNESS_LINE_MAX], command[HARNESS_LINE_MAX];
    put_text(f, "hello world", cid_text);
    assert_string_equal(cid_text, HELLO_CID); /* the CID IPFS gives these bytes */
    expect_block(f, cid_text, "hello world");
    put_text(f, "hello world", cid_text); /* again: the same block, stored once */
    assert_int_equal(block_count(f), 1);

    /* put-file of a 256 KiB file, get into another file: the same bytes. */
    size_t len = 256u << 10, got = 0;
    uint8_t *bytes = malloc(len);
    assert_non_null(bytes);
    for (size_t i = 0; i < len; i++) bytes[i] = (uint8_t)(i * 2654435761u >> 13);
    write_file(f->scratch, bytes, len, 0600);
    snprintf(command, sizeof command, "put-file %s", f->scratch);
    assert_int_equal(harness_command(&f->d, command, reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "\"bytes\":262144"));
    char file_cid[HARNESS_TEXT_MAX], expected[CID_TEXT_MAX];
    assert_int_equal(harness_json_string(reply, "cid", file_cid, sizeof file_cid), 0);
    cid of_file;
    cid_of(&of_file, CID_CODEC_RAW, bytes, len);
    assert_true(cid_format(&of_file, expected, sizeof expected) > 0);
    assert_string_equal(file_cid, expected);
    unlink(f->scratch);
    snprintf(command, sizeof command, "get %s %s", file_cid, f->scratch);
    assert_int_equal(harness_command(&f->d, command, reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "\"ok\":true"));
    uint8_t *back = read_file(f->scratch, &got);
    assert_non_null(back);
    assert_int_equal(got, len);
    assert_memory_equal(back, bytes, len);
    free(back);
    assert_int_equal(block_count(f), 2);

    /* A block too large, a CID not here, a CID that is not one. */
    uint8_t *big = calloc(1, STORE_BLOCK_MAX + 1);
    write_file(f->scratch, big, STORE_BLOCK_MAX + 1, 0600);
    free(big);
    snprintf(command, sizeof command, "put-file %s", f->scratch);
    assert_int_equal(harness_command(&f->d, command, reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "larger than one block"));
    get_reply(f, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", reply, sizeof reply);
    assert_non_null(strstr(reply, "not in the local store, and no peer is connected to ask"));
    get_reply(f, "Qmnotacid", reply, sizeof reply);
    assert_non_null(strstr(reply, "usage: get CID"));
    free(bytes);
}

/* Two daemons with stores of their own, one sealed by a passphrase and
 * one by a key file: a block put on one is fetched by the other over
 * Bitswap, kept there (hash checked) and then served by it in turn. */
static void a_block_put_on_one_daemon_is_fetched_by_another_over_bitswap(void **state) {
    store_fixture *f = *state;
    start_store(f, f->pass, false);
    harness_daemon b;
    harness_init(&b);
    char other_dir[HARNESS_TEXT_MAX], reply[HARNESS_LINE_MAX], data[HARNESS_LINE_MAX];
    harness_path(other_dir, sizeof other_dir, "store-b", ".d");
    remove_dir(other_dir);
    const char *extra[] = {"--store", other_dir, NULL};
    assert_int_equal(harness_start(&b, "storenode-b", extra), 0);
    char cid_text[HARNESS_TEXT_MAX];
    put_text(f, "a block that travels", cid_text);
    assert_int_equal(harness_connect(&b, &f->d), 0);

    char command[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "get %s", cid_text);
    assert_int_equal(harness_command(&b, command, reply, sizeof reply), 0);
    if (harness_json_string(reply, "data", data, sizeof data) != 0) fail_msg("get over bitswap: %s", reply);
    assert_string_equal(data, "a block that travels");
    assert_int_equal(harness_command(&b, "blocks", reply, sizeof reply), 0);
    assert_non_null(strstr(reply, cid_text)); /* kept by the fetcher */

    /* The other way: b's own block, which a does not have. */
    char back[HARNESS_TEXT_MAX];
    char b_put[HARNESS_LINE_MAX] = "put and one that comes back";
    assert_int_equal(harness_command(&b, b_put, reply, sizeof reply), 0);
    assert_int_equal(harness_json_string(reply, "cid", back, sizeof back), 0);
    expect_block(f, back, "and one that comes back");
    assert_int_equal(harness_stop(&b), 0);
    remove_dir(other_dir);
}

static void nothing_readable_is_on_disk(void **state) {
    store_fixture *f = *state;
    start_store(f, f->pass, false);
    static const char canary[] = "the canary sings at midnight: 7f3a9c-swarmlab-plaintext";
    char cid_text[HARNESS_TEXT_MAX];
    for (int i = 0; i < 50; i++) put_text(f, canary, cid_text); /* one block, however often */
    cid of_canary;
    cid_of(&of_canary, CID_CODEC_RAW, (const uint8_t *)canary, strlen(canary));
    uint8_t cid_bytes[CID_BYTES_MAX];
    size_t cid_len = cid_encode(&of_canary, cid_bytes);
    size_t files = 0;
    /* While the daemon runs (the WAL holds the rows) and after it stops. */
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(files_holding(f->dir, canary, strlen(canary), &files), 0);
        assert_int_equal(files_holding(f->dir, "canary", 6, &files), 0);
        assert_int_equal(files_holding(f->dir, cid_bytes, cid_len, &files), 0);
        assert_int_equal(files_holding(f->dir, of_canary.digest, CID_DIGEST_BYTES, &files), 0);
        assert_int_equal(files_holding(f->dir, cid_text, strlen(cid_text), &files), 0);
        assert_true(files >= (pass == 0 ? 3u : 2u)); /* blocks.db, store.key, and the -wal while running */
        if (pass == 0) stop_store(f);
    }
    /* The search was not vacuous: the row is there, sealed. */
    uint8_t digest[32];
    int rows = 0;
    rows_digest(f->dir, digest, &rows);
    assert_int_equal(rows, 1);
    /* store.key records the Argon2id limits it was sealed with. */
    char path[2 * HARNESS_TEXT_MAX];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/store.key", f->dir);
    uint8_t *key = read_file(path, &len);
    assert_non_null(key);
    assert_int_equal(len, STORE_SEALED_HEADER_BYTES + STORE_KEY_BYTES + STORE_TAG_BYTES);
    assert_memory_equal(key, "SWLSTKEY\x01\x01", 10);
    assert_int_equal(key[10], 2);        /* opslimit: interactive */
    assert_int_equal(key[10 + 8 + 3], 4); /* memlimit 64 MiB = 0x04000000, little-endian */
    free(key);
}

static void a_wrong_passphrase_exits_1_and_leaves_the_store_as_it_was(void **state) {
    store_fixture *f = *state;
    start_store(f, f->pass, false);
    char cids[3][HARNESS_TEXT_MAX];
    const char *texts[] = {"first block", "second block", "third block"};
    for (int i = 0; i < 3; i++) put_text(f, texts[i], cids[i]);
    stop_store(f);
    uint8_t before[32], after[32];
    dir_digest(f->dir, before);
    const char *wrong[] = {"--store", f->dir, "--passphrase-file", f->other_pass, NULL};
    assert_int_equal(run(f, wrong), 1);
    expect_one_line(f, "wrong passphrase");
    const char *none[] = {"--store", f->dir, NULL};
    assert_int_equal(run(f, none), 1);
    expect_one_line(f, "sealed with a passphrase");
    setenv("SWARMLAB_PASSPHRASE", "correct horse battery stapler", 1); /* the environment's, one letter more */
    assert_int_equal(run(f, none), 1);
    expect_one_line(f, "wrong passphrase");
    dir_digest(f->dir, after);
    assert_memory_equal(before, after, sizeof before); /* no file made, none changed */
    setenv("SWARMLAB_PASSPHRASE", "correct horse battery staple", 1); /* the file's, less its newline */
    start_store(f, NULL, false);
    unsetenv("SWARMLAB_PASSPHRASE");
    assert_int_equal(block_count(f), 3);
    for (int i = 0; i < 3; i++) expect_block(f, cids[i], texts[i]);
}

static void passwd_rewraps_the_key_and_leaves_every_block_row_as_it_was(void **state) {
    store_fixture *f = *state;
    start_store(f, f->pass, true); /* the identity file is made sealed too */
    char cids[4][HARNESS_TEXT_MAX], peer[HARNESS_TEXT_MAX];
    const char *texts[] = {"alpha", "beta", "gamma", "delta"};
    for (int i = 0; i < 4; i++) put_text(f, texts[i], cids[i]);
    snprintf(peer, sizeof peer, "%s", f->d.id);
    stop_store(f);
    uint8_t rows_before[32], rows_after[32], dir_before[32], dir_after[32];
    int rows = 0;
    rows_digest(f->dir, rows_before, &rows);
    assert_int_equal(rows, 4);

    /* A wrong old passphrase changes nothing. */
    dir_digest(f->dir, dir_before);
    const char *wrong[] = {"key", "passwd", "--key", f->key, "--store", f->dir, "--passphrase-file", f->other_pass,
                           "--new-passphrase-file", f->pass, NULL};
    assert_int_equal(run(f, wrong), 1);
    expect_one_line(f, "wrong passphrase");
    dir_digest(f->dir, dir_after);
    assert_memory_equal(dir_before, dir_after, 32);

    const char *passwd[] = {"key", "passwd", "--key", f->key, "--store", f->dir, "--passphrase-file", f->pass,
                            "--new-passphrase-file", f->other_pass, NULL};
    assert_int_equal(run(f, passwd), 0);
    rows_digest(f->dir, rows_after, &rows);
    assert_int_equal(rows, 4);
    assert_memory_equal(rows_before, rows_after, 32); /* not one block re-encrypted */

    const char *old[] = {"--store", f->dir, "--key", f->key, "--passphrase-file", f->pass, NULL};
    assert_int_equal(run(f, old), 1);
    expect_one_line(f, "wrong passphrase");
    start_store(f, f->other_pass, true);
    assert_string_equal(f->d.id, peer);
    for (int i = 0; i < 4; i++) expect_block(f, cids[i], texts[i]);
}

static void export_then_import_gives_the_same_peer_id(void **state) {
    store_fixture *f = *state;
    char exported[HARNESS_TEXT_MAX], imported[HARNESS_TEXT_MAX], peer[HARNESS_TEXT_MAX], again[HARNESS_TEXT_MAX];
    harness_path(exported, sizeof exported, "export", ".key");
    harness_path(imported, sizeof imported, "imported", ".key");
    unlink(exported);
    unlink(imported);
    const char *new_key[] = {"key", "new", "--key", f->key, NULL};
    assert_int_equal(run(f, new_key), 0);
    printed_peer(f, peer);
    assert_int_equal(run(f, new_key), 1); /* never overwritten without --force */
    expect_one_line(f, "not overwritten");

    const char *export[] = {"key", "export", exported, "--key", f->key, "--new-passphrase-file", f->pass, NULL};
    assert_int_equal(run(f, export), 0);
    assert_int_equal(run(f, export), 1);
    expect_one_line(f, "exists: not overwritten (give --force");
    const char *wrong[] = {"key", "import", exported, "--key", imported, "--passphrase-file", f->other_pass, NULL};
    assert_int_equal(run(f, wrong), 1);
    expect_one_line(f, "wrong passphrase");
    assert_int_equal(access(imported, F_OK), -1); /* nothing installed */
    const char *import[] = {"key", "import", exported, "--key", imported, "--passphrase-file", f->pass, NULL};
    assert_int_equal(run(f, import), 0);
    printed_peer(f, again);
    assert_string_equal(again, peer);
    const char *show[] = {"key", "show", "--key", imported, "--passphrase-file", f->pass, NULL};
    assert_int_equal(run(f, show), 0);
    printed_peer(f, again);
    assert_string_equal(again, peer);
    assert_int_equal(harness_file_lines_with(f->log, "sealed by passphrase"), 1);
    /* The daemon runs with the imported identity. */
    const char *extra[] = {"--key", imported, "--passphrase-file", f->pass, NULL};
    assert_int_equal(harness_start(&f->d, "imported", extra), 0);
    assert_string_equal(f->d.id, peer);
    stop_store(f);
    unlink(exported);
    unlink(imported);
}

/* Flips one byte of path at offset. */
static void flip_byte(const char *path, long offset) {
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, offset), 1);
    b ^= 0x20;
    assert_int_equal(pwrite(fd, &b, 1, offset), 1);
    close(fd);
}

static void damaged_or_open_files_are_refused_with_one_line(void **state) {
    store_fixture *f = *state;
    start_store(f, NULL, false);
    char cid_text[HARNESS_TEXT_MAX], path[2 * HARNESS_TEXT_MAX], reply[HARNESS_LINE_MAX];
    put_text(f, "precious", cid_text);
    stop_store(f);
    const char *args[] = {"--store", f->dir, NULL};

    snprintf(path, sizeof path, "%s/store.keyfile", f->dir);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(run(f, args), 2);
    expect_one_line(f, "too open");
    assert_int_equal(chmod(path, 0600), 0);

    assert_int_equal(chmod(f->dir, 0755), 0);
    assert_int_equal(run(f, args), 2);
    expect_one_line(f, "chmod 700");
    assert_int_equal(chmod(f->dir, 0700), 0);

    snprintf(path, sizeof path, "%s/store.key", f->dir);
    flip_byte(path, STORE_SEALED_HEADER_BYTES + 3); /* in the sealed key */
    assert_int_equal(run(f, args), 1);
    expect_one_line(f, "does not open");
    flip_byte(path, STORE_SEALED_HEADER_BYTES + 3);
    flip_byte(path, 8); /* the version */
    assert_int_equal(run(f, args), 1);
    expect_one_line(f, "is damaged");
    flip_byte(path, 8);

    /* A sealed row changed on disk: get says so, and nothing else breaks. */
    snprintf(path, sizeof path, "%s/blocks.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE blocks SET rec = substr(rec, 1, 30) || x'00' || substr(rec, 32)", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    start_store(f, NULL, false);
    get_reply(f, cid_text, reply, sizeof reply);
    assert_non_null(strstr(reply, "a record does not open"));
    stop_store(f);

    /* Blocks without their key: refused, never a new key. */
    snprintf(path, sizeof path, "%s/store.key", f->dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(run(f, args), 1);
    expect_one_line(f, "has blocks but no store.key");
    assert_int_equal(access(path, F_OK), -1);

    /* A link as DIR is not followed. */
    char link[HARNESS_TEXT_MAX];
    harness_path(link, sizeof link, "storelink", ".d");
    unlink(link);
    assert_int_equal(symlink(f->dir, link), 0);
    const char *linked[] = {"--store", link, NULL};
    assert_int_equal(run(f, linked), 2);
    expect_one_line(f, "is not a directory (nor a link to be followed)");
    unlink(link);

    /* A damaged sealed identity file. */
    const char *new_key[] = {"key", "new", "--key", f->key, "--passphrase-file", f->pass, NULL};
    assert_int_equal(run(f, new_key), 0);
    flip_byte(f->key, STORE_SEALED_HEADER_BYTES + 10);
    const char *with_key[] = {"--key", f->key, "--passphrase-file", f->pass, NULL};
    assert_int_equal(run(f, with_key), 1);
    expect_one_line(f, "does not open");
}

static void bad_key_arguments_print_the_usage_and_exit_2(void **state) {
    store_fixture *f = *state;
    const char *none[] = {"key", NULL};
    assert_int_equal(run(f, none), 2);
    assert_true(harness_file_lines_with(f->log, "usage: swarmlab-node key new") == 1);
    const char *unknown[] = {"key", "frob", "--key", f->key, NULL};
    assert_int_equal(run(f, unknown), 2);
    const char *no_key[] = {"key", "new", NULL};
    assert_int_equal(run(f, no_key), 2);
    const char *no_file[] = {"key", "export", "--key", f->key, NULL};
    assert_int_equal(run(f, no_file), 2);
    const char *no_new[] = {"key", "passwd", "--store", f->dir, NULL};
    assert_int_equal(run(f, no_new), 2);
    expect_one_line(f, "passwd needs the new passphrase");
    const char *lone_pass[] = {"--passphrase-file", f->pass, NULL};
    assert_int_equal(run(f, lone_pass), 2);
    assert_true(harness_file_lines_with(f->log, "--passphrase-file: needs --store or --key") == 1);
}

/* One round of the crash test: puts streamed CRASH_IN_FLIGHT ahead of
 * their acknowledgements, and SIGKILL once acks of them are read, with
 * CRASH_IN_FLIGHT more on their way in. The acknowledged texts and CIDs go
 * to texts and acked; their count. */
static int crash_round(store_fixture *f, int round, int acks, char (*acked)[HARNESS_TEXT_MAX],
                       char (*texts)[HARNESS_TEXT_MAX]) {
    char line[HARNESS_TEXT_MAX], reply[HARNESS_LINE_MAX];
    int sent = 0, got = 0;
    for (; sent < CRASH_IN_FLIGHT; sent++) {
        snprintf(line, sizeof line, "put crash %d.%d", round, sent);
        assert_int_equal(harness_send_line(&f->d.cmd, line), 0);
    }
    for (; got < acks; got++, sent++) {
        assert_int_equal(harness_read_line(&f->d.cmd, reply, sizeof reply, harness_now_ms() + HARNESS_DEADLINE_MS), 0);
        if (harness_json_string(reply, "cid", acked[got], HARNESS_TEXT_MAX) != 0) fail_msg("put: %s", reply);
        snprintf(texts[got], HARNESS_TEXT_MAX, "crash %d.%d", round, got);
        snprintf(line, sizeof line, "put crash %d.%d", round, sent);
        assert_int_equal(harness_send_line(&f->d.cmd, line), 0);
    }
    kill(f->d.pid, SIGKILL);
    assert_int_equal(harness_wait_exit(f->d.pid, HARNESS_STOP_MS), 128 + SIGKILL);
    f->d.pid = 0;
    close(f->d.cmd.fd);
    close(f->d.events.fd);
    f->d.cmd.fd = f->d.events.fd = -1;
    return got;
}

static void every_acknowledged_put_survives_sigkill_20_times(void **state) {
    store_fixture *f = *state;
    enum { ACKED_MAX = CRASH_ROUNDS * 64 };
    char (*acked)[HARNESS_TEXT_MAX] = calloc(ACKED_MAX, HARNESS_TEXT_MAX);
    char (*texts)[HARNESS_TEXT_MAX] = calloc(ACKED_MAX, HARNESS_TEXT_MAX);
    assert_true(acked != NULL && texts != NULL);
    int total = 0, rows = 0;
    uint8_t digest[32];
    for (int round = 0; round < CRASH_ROUNDS; round++) {
        start_store(f, NULL, false);
        /* What every earlier round acknowledged is there, intact. */
        for (int i = 0; i < total; i++) expect_block(f, acked[i], texts[i]);
        total += crash_round(f, round, 1 + (round * 13) % 48, acked + total, texts + total);
        expect_database_ok(f->dir);
        rows_digest(f->dir, digest, &rows);
        assert_true(rows >= total); /* and some that were not acknowledged yet, maybe */
    }
    start_store(f, NULL, false);
    for (int i = 0; i < total; i++) expect_block(f, acked[i], texts[i]);
    free(acked);
    free(texts);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0) return 1;
    setenv("SWARMLAB_PWHASH_LIMITS", "interactive", 1);
    unsetenv("SWARMLAB_PASSPHRASE");
    unsetenv("SWARMLAB_NEW_PASSPHRASE");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_store_api_puts_gets_has_deletes_lists_and_syncs, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(put_and_get_round_trip_through_the_daemon, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(a_block_put_on_one_daemon_is_fetched_by_another_over_bitswap, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(nothing_readable_is_on_disk, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(a_wrong_passphrase_exits_1_and_leaves_the_store_as_it_was, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(passwd_rewraps_the_key_and_leaves_every_block_row_as_it_was, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(export_then_import_gives_the_same_peer_id, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(damaged_or_open_files_are_refused_with_one_line, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(bad_key_arguments_print_the_usage_and_exit_2, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(every_acknowledged_put_survives_sigkill_20_times, store_setup, store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
