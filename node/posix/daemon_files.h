/*
 * daemon_files: how swarmlab-node opens the files its options name, the
 * identity (--key, daemon_key.c) and the trace (--trace, main.c), in one
 * way. A path is a user's word, and the directory it is in may not be the
 * user's alone (/tmp), so the file must be a regular file reached without
 * following a symbolic link, and nothing is done to it before that is
 * checked:
 *
 *   - open() with O_NOFOLLOW: a symbolic link at the path is refused, so a
 *     link planted where the trace goes cannot make the daemon truncate the
 *     file it points to;
 *   - and O_NONBLOCK: opening a FIFO (or a device) never waits for the
 *     other end, so a FIFO at the path is refused at once instead of
 *     hanging startup;
 *   - then fstat() on the open descriptor (no window between checking and
 *     using) refuses anything but a regular file;
 *   - a file opened for writing is emptied (ftruncate) only after those
 *     checks: never O_TRUNC.
 *
 * docs/node.md lists the files the daemon opens and what it refuses.
 */
#ifndef SWARMLAB_DAEMON_FILES_H
#define SWARMLAB_DAEMON_FILES_H

#include <stddef.h>
#include <sys/stat.h>

typedef enum daemon_file_access {
    DAEMON_FILE_READ,  /* an existing file, read from its start */
    DAEMON_FILE_WRITE, /* created (0666 less the umask, as fopen) or emptied, written from its start */
} daemon_file_access;

typedef enum daemon_file_status {
    DAEMON_FILE_OPEN,    /* *fd is open (the caller closes it), *st describes it */
    DAEMON_FILE_MISSING, /* DAEMON_FILE_READ only: nothing at the path */
    DAEMON_FILE_REFUSED, /* a symbolic link or not a regular file: bad input */
    DAEMON_FILE_FAILED,  /* the system refused: permissions, I/O */
} daemon_file_status;

/* Opens path, which the messages call what ("key file", "trace file").
 * Anything but DAEMON_FILE_OPEN leaves *fd at -1 and err holding one line
 * that names the file. */
daemon_file_status daemon_file_open(const char *path, const char *what, daemon_file_access access, int *fd,
                                    struct stat *st, char *err, size_t cap);

/* A secret file (a key, a passphrase), open and regular, must be ours and
 * closed to group and others, as ssh wants of its keys: 0, or -1 with err
 * naming the file and saying `chmod 600`. */
int daemon_file_check_private(const struct stat *st, const char *path, const char *what, char *err, size_t cap);

#endif
