/*
 * daemon_key: the identity file of swarmlab-node (--key FILE).
 *
 * The file holds the libp2p PrivateKey protobuf of an Ed25519 key (68
 * bytes, the form go and js libp2p write) or a bare 32-byte seed. When it
 * is missing it is created with mode 0600 from fresh OS randomness. As ssh
 * does with its keys, a file that group or others may read or write, or
 * that belongs to another user, is refused: a key others can read is not a
 * secret any more. A symbolic link, a FIFO or anything but a regular file
 * is refused too, before a byte is read (daemon_files.h). The key is never
 * printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "daemon_files.h"

#define DAEMON_KEY_FILE_MAX 128 /* larger than any form we accept */
#define DAEMON_KEY_MODE 0600

static int key_create(const char *path, uint8_t seed[IDENTITY_SEED_BYTES], char *err, size_t cap) {
    if (getrandom(seed, IDENTITY_SEED_BYTES, 0) != IDENTITY_SEED_BYTES) {
        snprintf(err, cap, "cannot draw randomness for a new key: %s", strerror(errno));
        return -1;
    }
    identity id;
    identity_from_seed(&id, seed);
    uint8_t proto[IDENTITY_PRIVATE_PROTO_BYTES];
    identity_private_proto_encode(&id, proto);
    identity_wipe(&id);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, DAEMON_KEY_MODE);
    int rc = -1;
    if (fd < 0) {
        snprintf(err, cap, "cannot create key file %s: %s", path, strerror(errno));
    } else if (fchmod(fd, DAEMON_KEY_MODE) != 0 || write(fd, proto, sizeof proto) != (ssize_t)sizeof proto ||
               fsync(fd) != 0) {
        snprintf(err, cap, "cannot write key file %s: %s", path, strerror(errno));
        unlink(path); /* never leave half a key behind */
    } else {
        rc = 0;
    }
    if (fd >= 0) close(fd);
    sodium_memzero(proto, sizeof proto);
    return rc;
}

/* The file (regular: daemon_file_open checked) must be ours and closed to
 * group and others. */
static int key_check_owner(const struct stat *st, const char *path, char *err, size_t cap) {
    if (st->st_uid != geteuid()) {
        snprintf(err, cap, "key file %s belongs to another user: refused", path);
        return -1;
    }
    if ((st->st_mode & 077) != 0) {
        snprintf(err, cap,
                 "permissions %04o for key file %s are too open: it must not be accessible by "
                 "group or others; run: chmod 600 %s",
                 (unsigned)(st->st_mode & 07777), path, path);
        return -1;
    }
    return 0;
}

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

int daemon_key_load(const char *path, uint8_t seed[IDENTITY_SEED_BYTES], char *err, size_t cap) {
    int fd;
    struct stat st;
    daemon_file_status status = daemon_file_open(path, "key file", DAEMON_FILE_READ, &fd, &st, err, cap);
    if (status == DAEMON_FILE_MISSING) return key_create(path, seed, err, cap);
    if (status != DAEMON_FILE_OPEN) return -1;
    uint8_t bytes[DAEMON_KEY_FILE_MAX];
    ssize_t len = -1;
    int rc = key_check_owner(&st, path, err, cap);
    if (rc == 0) {
        len = read(fd, bytes, sizeof bytes);
        if (len < 0 || key_decode(bytes, (size_t)len, seed) != 0) {
            snprintf(err, cap,
                     "key file %s holds neither a libp2p Ed25519 PrivateKey protobuf nor a 32-byte seed",
                     path);
            rc = -1;
        }
    }
    close(fd);
    sodium_memzero(bytes, sizeof bytes);
    return rc;
}
