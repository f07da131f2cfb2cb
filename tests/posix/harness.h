/*
 * harness: swarmlab-node daemons as child processes, for the tests of the
 * daemon on real sockets (test_daemon.c, test_hostile.c).
 *
 * A daemon runs "$BUILD/swarmlab-node" listening on 127.0.0.1 port 0, with
 * a control socket at a path unique to this test process; its standard
 * output and error go to a log file that a failing test prints. The harness
 * talks to it over two control connections: one for commands and replies,
 * one that `watch`es events. Every wait has a deadline, and every child is
 * killed by harness_stop (the tests call it from their teardown); children
 * also die with the test process (PR_SET_PDEATHSIG), should it crash.
 *
 * Header-only (static functions) because each tests/posix/test_*.c builds
 * into its own binary.
 */
#ifndef SWARMLAB_TEST_HARNESS_H
#define SWARMLAB_TEST_HARNESS_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HARNESS_DEADLINE_MS 10000 /* any single wait */
#define HARNESS_STOP_MS 5000      /* SIGTERM, then SIGKILL */
#define HARNESS_LINE_MAX 8192
#define HARNESS_ARGS_MAX 24
#define HARNESS_TEXT_MAX 256

typedef struct harness_client {
    int fd;
    char buffer[HARNESS_LINE_MAX];
    size_t len;
} harness_client;

typedef struct harness_daemon {
    pid_t pid; /* 0: not running */
    char control[108];
    char log[HARNESS_TEXT_MAX];
    char trace[HARNESS_TEXT_MAX];
    char id[HARNESS_TEXT_MAX];   /* peer id */
    char addr[HARNESS_TEXT_MAX]; /* listen address with /p2p/ID */
    int port;
    harness_client cmd, events;
} harness_daemon;

static inline long harness_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void harness_sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static inline const char *harness_binary(void) {
    static char path[HARNESS_TEXT_MAX];
    const char *build = getenv("BUILD");
    snprintf(path, sizeof path, "%s/swarmlab-node", build != NULL ? build : "build/release");
    return path;
}

/* A path unique to this process and tag, under /tmp. */
static inline void harness_path(char *out, size_t cap, const char *tag, const char *suffix) {
    snprintf(out, cap, "/tmp/swarmlab-test-%d-%s%s", (int)getpid(), tag, suffix);
}

/* Forks and execs argv with stdin from /dev/null (or stdin_fd if >= 0) and
 * stdout, stderr into log. Returns the pid, or -1. */
static inline pid_t harness_spawn(char *const argv[], const char *log, int stdin_fd) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed test */
    if (getppid() != parent) _exit(127);
    int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
    int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0) _exit(127);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
}

/* Waits for pid to exit within ms; its exit status (or 128 + signal), or -1. */
static inline int harness_wait_exit(pid_t pid, long ms) {
    long deadline = harness_now_ms() + ms;
    while (harness_now_ms() < deadline) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0) return -1;
        harness_sleep_ms(10);
    }
    return -1;
}

static inline int harness_unix_connect(const char *path) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
    close(fd);
    return -1;
}

/* The next line from c (without '\n') into out; 0, or -1 at the deadline
 * or when the daemon closed the socket. */
static inline int harness_read_line(harness_client *c, char *out, size_t cap, long deadline_ms) {
    for (;;) {
        char *nl = memchr(c->buffer, '\n', c->len);
        if (nl != NULL) {
            size_t n = (size_t)(nl - c->buffer);
            snprintf(out, cap, "%.*s", (int)n, c->buffer);
            memmove(c->buffer, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return 0;
        }
        long left = deadline_ms - harness_now_ms();
        if (left <= 0 || c->len == sizeof c->buffer) return -1;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0) continue;
        ssize_t n = recv(c->fd, c->buffer + c->len, sizeof c->buffer - c->len, 0);
        if (n <= 0) return -1;
        c->len += (size_t)n;
    }
}

static inline int harness_send_line(harness_client *c, const char *line) {
    char text[HARNESS_LINE_MAX];
    int len = snprintf(text, sizeof text, "%s\n", line);
    return send(c->fd, text, (size_t)len, MSG_NOSIGNAL) == len ? 0 : -1;
}

/* Sends a command and reads its reply; 0 or -1. */
static inline int harness_command(harness_daemon *d, const char *command, char *reply, size_t cap) {
    if (harness_send_line(&d->cmd, command) != 0) return -1;
    return harness_read_line(&d->cmd, reply, cap, harness_now_ms() + HARNESS_DEADLINE_MS);
}

/* The string value of "key" in a flat JSON line (no escapes in the value);
 * 0 or -1. */
static inline int harness_json_string(const char *line, const char *key, char *out, size_t cap) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *start = strstr(line, pattern);
    if (start == NULL) return -1;
    start += strlen(pattern);
    const char *end = strchr(start, '"');
    if (end == NULL) return -1;
    snprintf(out, cap, "%.*s", (int)(end - start), start);
    return 0;
}

static inline void harness_print_log(const harness_daemon *d) {
    FILE *f = fopen(d->log, "r");
    if (f == NULL) return;
    char line[HARNESS_LINE_MAX];
    fprintf(stderr, "---- %s ----\n", d->log);
    for (int i = 0; i < 200 && fgets(line, sizeof line, f) != NULL; i++) fputs(line, stderr);
    fclose(f);
}

/* Learns the daemon's id, address and port with the id command. */
static inline int harness_learn_identity(harness_daemon *d) {
    char reply[HARNESS_LINE_MAX];
    if (harness_command(d, "id", reply, sizeof reply) != 0) return -1;
    const char *addrs = strstr(reply, "\"addrs\":[\"");
    if (harness_json_string(reply, "id", d->id, sizeof d->id) != 0 || addrs == NULL) return -1;
    snprintf(d->addr, sizeof d->addr, "%s", addrs + strlen("\"addrs\":[\""));
    char *quote = strchr(d->addr, '"');
    if (quote != NULL) *quote = '\0';
    const char *tcp = strstr(d->addr, "/tcp/");
    d->port = tcp != NULL ? atoi(tcp + strlen("/tcp/")) : 0;
    return d->port > 0 ? 0 : -1;
}

/* Connects the command and event clients once the socket is there. */
static inline int harness_attach(harness_daemon *d) {
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    d->cmd.fd = d->events.fd = -1;
    while (d->cmd.fd < 0 && harness_now_ms() < deadline) {
        d->cmd.fd = harness_unix_connect(d->control);
        if (d->cmd.fd < 0) harness_sleep_ms(10);
    }
    d->events.fd = harness_unix_connect(d->control);
    char reply[HARNESS_LINE_MAX];
    if (d->cmd.fd < 0 || d->events.fd < 0 || harness_send_line(&d->events, "watch") != 0 ||
        harness_read_line(&d->events, reply, sizeof reply, deadline) != 0)
        return -1;
    return harness_learn_identity(d);
}

/* A daemon not started yet, safe to harness_stop. */
static inline void harness_init(harness_daemon *d) {
    memset(d, 0, sizeof *d);
    d->cmd.fd = d->events.fd = -1;
}

/* Starts a daemon named tag with extra arguments (NULL-terminated list);
 * 0, or -1 after printing its log. */
static inline int harness_start(harness_daemon *d, const char *tag, const char *const *extra) {
    harness_init(d);
    harness_path(d->control, sizeof d->control, tag, ".sock");
    harness_path(d->log, sizeof d->log, tag, ".log");
    harness_path(d->trace, sizeof d->trace, tag, ".trace");
    const char *argv[HARNESS_ARGS_MAX] = {harness_binary(), "--listen", "/ip4/127.0.0.1/tcp/0",
                                          "--control", d->control, "--trace", d->trace};
    size_t argc = 7;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && argc + 1 < HARNESS_ARGS_MAX; i++) argv[argc++] = extra[i];
    argv[argc] = NULL;
    unlink(d->control);
    d->pid = harness_spawn((char *const *)argv, d->log, -1);
    if (d->pid > 0 && harness_attach(d) == 0) return 0;
    harness_print_log(d);
    return -1;
}

/* Starts a program named tag that takes the daemon's --listen and --control
 * options and speaks its control protocol (tests/interop/peer.mjs, for the
 * js-libp2p figures of bench_loopback): prefix is its command line before
 * those options, NULL-terminated, prefix[0] a path for execv. No --trace.
 * 0, or -1 after printing its log. */
static inline int harness_start_program(harness_daemon *d, const char *tag, const char *const *prefix) {
    harness_init(d);
    harness_path(d->control, sizeof d->control, tag, ".sock");
    harness_path(d->log, sizeof d->log, tag, ".log");
    harness_path(d->trace, sizeof d->trace, tag, ".trace"); /* unused: harness_stop's unlink finds nothing */
    const char *argv[HARNESS_ARGS_MAX];
    size_t argc = 0;
    for (; prefix[argc] != NULL && argc + 5 < HARNESS_ARGS_MAX; argc++) argv[argc] = prefix[argc];
    argv[argc++] = "--listen";
    argv[argc++] = "/ip4/127.0.0.1/tcp/0";
    argv[argc++] = "--control";
    argv[argc++] = d->control;
    argv[argc] = NULL;
    unlink(d->control);
    d->pid = harness_spawn((char *const *)argv, d->log, -1);
    if (d->pid > 0 && harness_attach(d) == 0) return 0;
    harness_print_log(d);
    return -1;
}

/* SIGTERM, a wait, then SIGKILL; closes the clients, removes the files.
 * Returns the exit status of a clean exit, or -1. */
static inline int harness_stop(harness_daemon *d) {
    int status = -1;
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        status = harness_wait_exit(d->pid, HARNESS_STOP_MS);
        if (status < 0) {
            kill(d->pid, SIGKILL);
            (void)harness_wait_exit(d->pid, HARNESS_STOP_MS);
        }
        d->pid = 0;
        if (status != 0) harness_print_log(d); /* a sanitizer's report, say */
    }
    if (d->cmd.fd >= 0) close(d->cmd.fd);
    if (d->events.fd >= 0) close(d->events.fd);
    d->cmd.fd = d->events.fd = -1;
    unlink(d->control);
    unlink(d->log);
    unlink(d->trace);
    return status;
}

/* Waits until the peers reply of d names peer_id; 0 or -1. */
static inline int harness_wait_peer(harness_daemon *d, const char *peer_id) {
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    char reply[HARNESS_LINE_MAX];
    while (harness_now_ms() < deadline) {
        if (harness_command(d, "peers", reply, sizeof reply) == 0 && strstr(reply, peer_id) != NULL) return 0;
        harness_sleep_ms(20);
    }
    return -1;
}

/* from dials to and both see each other; 0 or -1. */
static inline int harness_connect(harness_daemon *from, harness_daemon *to) {
    char command[HARNESS_LINE_MAX], reply[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "connect %s", to->addr);
    if (harness_command(from, command, reply, sizeof reply) != 0 || strstr(reply, "\"ok\":true") == NULL) return -1;
    return harness_wait_peer(from, to->id) == 0 && harness_wait_peer(to, from->id) == 0 ? 0 : -1;
}

/* The next event of d whose line contains every one of the (up to two)
 * needles, before deadline_ms; 0 with the line in out, or -1. */
static inline int harness_next_event(harness_daemon *d, const char *needle, const char *needle2, char *out,
                                     size_t cap, long deadline_ms) {
    while (harness_read_line(&d->events, out, cap, deadline_ms) == 0)
        if (strstr(out, needle) != NULL && (needle2 == NULL || strstr(out, needle2) != NULL)) return 0;
    return -1;
}

/* Publishes numbered probes at from until to delivers one, so that the
 * subscriptions are known along the way; 0 or -1. */
static inline int harness_wait_route(harness_daemon *from, harness_daemon *to, const char *topic) {
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    char command[HARNESS_LINE_MAX], reply[HARNESS_LINE_MAX], line[HARNESS_LINE_MAX];
    for (int probe = 0; harness_now_ms() < deadline; probe++) {
        snprintf(command, sizeof command, "pub %s probe-%d", topic, probe);
        if (harness_command(from, command, reply, sizeof reply) != 0) return -1;
        if (harness_next_event(to, "\"data\":\"probe-", NULL, line, sizeof line, harness_now_ms() + 100) == 0)
            return 0;
    }
    return -1;
}

/* Runs the daemon with args (after the binary; NULL-terminated) and stdin
 * from stdin_fd (-1: /dev/null), output into log; its exit status, or -1
 * when it had to be killed at the deadline. */
static inline int harness_run(const char *const *args, const char *log, int stdin_fd) {
    const char *argv[HARNESS_ARGS_MAX] = {harness_binary()};
    size_t argc = 1;
    for (size_t i = 0; args[i] != NULL && argc + 1 < HARNESS_ARGS_MAX; i++) argv[argc++] = args[i];
    argv[argc] = NULL;
    pid_t pid = harness_spawn((char *const *)argv, log, stdin_fd);
    if (pid <= 0) return -1;
    int status = harness_wait_exit(pid, HARNESS_DEADLINE_MS);
    if (status < 0) {
        kill(pid, SIGKILL);
        (void)harness_wait_exit(pid, HARNESS_STOP_MS);
    }
    return status;
}

/* The lines of path that contain needle ("": every line); -1 without the file. */
static inline int harness_file_lines_with(const char *path, const char *needle) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    char line[HARNESS_LINE_MAX];
    int count = 0;
    while (fgets(line, sizeof line, f) != NULL) count += strstr(line, needle) != NULL;
    fclose(f);
    return count;
}

#endif
