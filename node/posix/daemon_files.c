/*
 * daemon_files: the one way swarmlab-node opens the files its options name.
 * See daemon_files.h.
 */
#define _GNU_SOURCE
#include "daemon_files.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DAEMON_FILE_CREATE_MODE 0666 /* less the umask, as fopen(path, "w") */

/* Why open() failed, as the caller hears it. With O_NOFOLLOW a symbolic
 * link at the path fails with ELOOP; with O_NONBLOCK a FIFO nobody reads
 * (opened for writing) or a socket fails with ENXIO. */
static daemon_file_status open_failed(const char *path, const char *what, int error, char *err, size_t cap) {
    if (error == ELOOP) {
        snprintf(err, cap, "%s %s is a symbolic link: refused (name the file itself)", what, path);
        return DAEMON_FILE_REFUSED;
    }
    if (error == ENXIO) {
        snprintf(err, cap, "%s %s is not a regular file: refused", what, path);
        return DAEMON_FILE_REFUSED;
    }
    snprintf(err, cap, "cannot open %s %s: %s", what, path, strerror(error));
    return error == ENOENT ? DAEMON_FILE_MISSING : DAEMON_FILE_FAILED;
}

daemon_file_status daemon_file_open(const char *path, const char *what, daemon_file_access access, int *fd,
                                    struct stat *st, char *err, size_t cap) {
    assert(path != NULL && what != NULL && fd != NULL && st != NULL);
    int flags = O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC; /* never O_TRUNC: see daemon_files.h */
    flags |= access == DAEMON_FILE_WRITE ? O_WRONLY | O_CREAT : O_RDONLY;
    *fd = open(path, flags, DAEMON_FILE_CREATE_MODE);
    if (*fd < 0) return open_failed(path, what, errno, err, cap);
    daemon_file_status status = DAEMON_FILE_OPEN;
    if (fstat(*fd, st) != 0) {
        snprintf(err, cap, "cannot stat %s %s: %s", what, path, strerror(errno));
        status = DAEMON_FILE_FAILED;
    } else if (!S_ISREG(st->st_mode)) {
        snprintf(err, cap, "%s %s is not a regular file: refused", what, path);
        status = DAEMON_FILE_REFUSED;
    } else if (access == DAEMON_FILE_WRITE && ftruncate(*fd, 0) != 0) {
        snprintf(err, cap, "cannot empty %s %s: %s", what, path, strerror(errno));
        status = DAEMON_FILE_FAILED;
    }
    /* O_NONBLOCK stays: a regular file ignores it (reads and writes of
     * regular files never return EAGAIN). */
    if (status != DAEMON_FILE_OPEN) {
        close(*fd);
        *fd = -1;
    }
    return status;
}

int daemon_file_check_private(const struct stat *st, const char *path, const char *what, char *err, size_t cap) {
    if (st->st_uid != geteuid()) {
        snprintf(err, cap, "%s %s belongs to another user: refused", what, path);
        return -1;
    }
    if ((st->st_mode & 077) != 0) {
        snprintf(err, cap,
                 "permissions %04o for %s %s are too open: it must not be accessible by "
                 "group or others; run: chmod 600 %s",
                 (unsigned)(st->st_mode & 07777), what, path, path);
        return -1;
    }
    return 0;
}
