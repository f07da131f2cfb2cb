/*
 * daemon_control: the Unix control socket of swarmlab-node (--control PATH).
 *
 * Scripts and the testbed connect to it, write the same commands as on
 * standard input and read one JSON object per line. The socket is created
 * with mode 0600: whoever can connect drives the node. A stale socket left
 * by a daemon that died is replaced; a live one (another daemon answers) is
 * not; anything but a socket at the path is refused. On exit the socket is
 * removed only if the path still names it (the same inode): a socket
 * another daemon bound there since is left alone. At most
 * DAEMON_CONTROL_CLIENTS_MAX clients; each has a bounded output queue, and
 * a client that lets it fill up is dropped.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_control.h"

#define CONTROL_BACKLOG 16
#define CONTROL_MODE 0600

static void control_drop(daemon_state *d, daemon_client *c) {
    assert(c->fd >= 0);
    runtime_unwatch_fd(d->rt, c->fd);
    close(c->fd);
    buf_free(&c->queue);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Sends what the queue holds; 0, or -1 after dropping the client. */
static int control_flush(daemon_state *d, daemon_client *c) {
    while (c->queue.len > 0) {
        ssize_t n = send(c->fd, c->queue.data, c->queue.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            control_drop(d, c);
            return -1;
        }
        buf_consume(&c->queue, (size_t)n);
    }
    (void)runtime_watch_writable(d->rt, c->fd, c->queue.len > 0);
    return 0;
}

void daemon_control_send(daemon_state *d, size_t client, uint32_t generation, const char *line,
                         size_t len) {
    assert(client < DAEMON_CONTROL_CLIENTS_MAX);
    daemon_client *c = &d->clients[client];
    if (c->fd < 0 || c->generation != generation) return; /* that client left */
    /* Lines wait for the end of the turn (daemon_control_flush_all), so a
     * burst of replies and events leaves in one send; a full queue is
     * flushed at once, and a client that still does not read is dropped. */
    size_t mark = c->queue.len;
    if (buf_append(&c->queue, line, len) == 0 && buf_append(&c->queue, "\n", 1) == 0) return;
    c->queue.len = mark;
    if (control_flush(d, c) != 0) return;
    if (buf_append(&c->queue, line, len) != 0 || buf_append(&c->queue, "\n", 1) != 0) control_drop(d, c);
}

void daemon_control_flush_all(daemon_state *d) {
    for (size_t i = 0; i < DAEMON_CONTROL_CLIENTS_MAX; i++) {
        daemon_client *c = &d->clients[i];
        if (c->fd >= 0 && c->queue.len > 0) (void)control_flush(d, c);
    }
}

void daemon_control_watch(daemon_state *d, size_t client, uint32_t generation) {
    assert(client < DAEMON_CONTROL_CLIENTS_MAX);
    daemon_client *c = &d->clients[client];
    if (c->fd >= 0 && c->generation == generation) c->watching = true;
}

static void control_on_client(void *user, int fd, uint32_t events) {
    daemon_state *d = user;
    size_t i = 0;
    while (i < DAEMON_CONTROL_CLIENTS_MAX && d->clients[i].fd != fd) i++;
    assert(i < DAEMON_CONTROL_CLIENTS_MAX);
    daemon_client *c = &d->clients[i];
    if ((events & RUNTIME_FD_WRITABLE) && control_flush(d, c) != 0) return;
    if (!(events & RUNTIME_FD_READABLE)) return;
    char bytes[DAEMON_CLIENT_READ_MAX];
    ssize_t n = recv(fd, bytes, sizeof bytes, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
        control_drop(d, c);
        return;
    }
    daemon_requester to = {.channel = DAEMON_TO_CONTROL, .client = i, .generation = c->generation};
    d->control_input(d, &c->lines, to, bytes, (size_t)n);
}

static void control_on_accept(void *user, int fd, uint32_t events) {
    daemon_state *d = user;
    (void)events;
    int client_fd = runtime_accept(d->rt, fd); /* out of descriptors, the socket rests */
    if (client_fd < 0) return;
    daemon_client *c = NULL;
    for (size_t i = 0; i < DAEMON_CONTROL_CLIENTS_MAX && c == NULL; i++)
        if (d->clients[i].fd < 0) c = &d->clients[i];
    if (c == NULL || runtime_watch_fd(d->rt, client_fd, control_on_client, d) != 0) {
        static const char full[] = "{\"ok\":false,\"error\":\"too many control clients\"}\n";
        (void)send(client_fd, full, sizeof full - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(client_fd);
        return;
    }
    memset(c, 0, sizeof *c);
    c->fd = client_fd;
    c->generation = ++d->client_generation;
    buf_init(&c->queue, DAEMON_CLIENT_QUEUE_MAX);
}

/* Removes a socket a dead daemon left at path; refuses anything else. */
static int control_clear_path(const char *path, const struct sockaddr_un *sa, char *err, size_t cap) {
    struct stat st;
    if (lstat(path, &st) != 0) return 0; /* nothing there */
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, cap, "--control: %s exists and is not a socket", path);
        return -1;
    }
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof *sa) == 0;
    if (probe >= 0) close(probe);
    if (live) {
        snprintf(err, cap, "--control: another daemon is listening on %s", path);
        return -1;
    }
    unlink(path);
    return 0;
}

int daemon_control_open(daemon_state *d, const char *path, daemon_input_fn on_input, char *err, size_t cap) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert(strlen(path) < sizeof sa.sun_path && on_input != NULL);
    d->control_input = on_input;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (control_clear_path(path, &sa, err, cap) != 0) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, cap, "--control: socket: %s", strerror(errno));
        return -1;
    }
    /* The socket is born 0600: there is no moment when others may connect. */
    mode_t old_mask = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old_mask);
    if (rc != 0 || chmod(path, CONTROL_MODE) != 0 || listen(fd, CONTROL_BACKLOG) != 0 ||
        runtime_watch_fd(d->rt, fd, control_on_accept, d) != 0) {
        snprintf(err, cap, "--control: cannot listen on %s: %s", path, strerror(errno));
        if (rc == 0) unlink(path);
        close(fd);
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) == 0) { /* what daemon_control_close may remove */
        d->control_dev = st.st_dev;
        d->control_ino = st.st_ino;
    }
    d->control_fd = fd;
    return 0;
}

void daemon_control_close(daemon_state *d) {
    for (size_t i = 0; i < DAEMON_CONTROL_CLIENTS_MAX; i++)
        if (d->clients[i].fd >= 0) control_drop(d, &d->clients[i]);
    if (d->control_fd < 0) return;
    runtime_unwatch_fd(d->rt, d->control_fd);
    close(d->control_fd);
    d->control_fd = -1;
    struct stat st;
    const char *path = d->options.control_path;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == d->control_dev && st.st_ino == d->control_ino)
        unlink(path);
}
