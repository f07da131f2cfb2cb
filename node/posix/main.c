/*
 * swarmlab-node: one libp2p peer on real sockets (docs/node.md).
 *
 * This file starts it (options, identity, trace file, runtime, node,
 * listeners, control socket, signals, standard input), routes the node's
 * callbacks to output, and shuts it down cleanly on quit, SIGINT, SIGTERM
 * or SIGHUP: the node closes its connections, the trace is flushed and the
 * control socket removed. The commands live in daemon_commands.c, the
 * output in daemon_output.c; this file hands them the lines of standard
 * input and of the control clients (daemon.h shows the order of the
 * daemon's files). docs/node.md is the user's guide.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon_commands.h"
#include "daemon_control.h"
#include "daemon_data.h"
#include "daemon_interop.h"
#include "daemon_keycmd.h"
#include "daemon_files.h"
#include "daemon_output.h"
#include "trace/trace_json.h"
#include "daemon.h"
#include "base/time_units.h"
#include "wire/multiaddr.h"

#define MAIN_ERROR_MAX 512
#define MAIN_STDIN_READ_MAX 4096
#define MAIN_TRACE_BUFFER_BYTES (1u << 20) /* the trace is written in large blocks */

/* ---- node callbacks --------------------------------------------------- */

static void on_trace(void *user, const trace_event *event) {
    daemon_state *d = user;
    if (d->trace == NULL) return;
    buf_clear(&d->trace_line);
    if (trace_json_format(&d->trace_line, event) == 0) (void)fwrite(d->trace_line.data, 1, d->trace_line.len, d->trace);
}

static void on_message(void *user, const char *topic, const peer_id *from, const uint8_t *data, size_t len) {
    daemon_state *d = user;
    if (d->interop != NULL) return; /* --params: "Received Message" lines come from daemon_interop.c */
    const uint8_t *plain;
    size_t plain_len;
    sealed_status status = daemon_sealed_receive(&d->sealed, topic, data, len, &plain, &plain_len);
    if (status == SEALED_OK) {
        daemon_event(user, "message", topic, from, plain, plain_len);
        return;
    }
    /* Dropped, never delivered: the event says why, and how many so far. */
    char why[64];
    int n = snprintf(why, sizeof why, "%s (%llu dropped)", sealed_status_name(status),
                     (unsigned long long)daemon_sealed_dropped(&d->sealed, topic));
    daemon_event(user, "sealed-drop", topic, from, (const uint8_t *)why, (size_t)n);
}

static daemon_peer *find_peer(daemon_state *d, const peer_id *peer) {
    for (size_t i = 0; i < d->peer_count; i++)
        if (peer_id_equal(&d->peers[i].id, peer)) return &d->peers[i];
    return NULL;
}

/* Counted per connection: of two overlapping connections to one peer (a
 * simultaneous dial) the node closes one, and the peer stays. */
static void on_peer_connected(void *user, const peer_id *peer) {
    daemon_state *d = user;
    daemon_peer *p = find_peer(d, peer);
    if (p != NULL) {
        p->connections++;
        return;
    }
    if (d->peer_count == NODE_CONNECTIONS_MAX) return; /* the node holds no more */
    d->peers[d->peer_count++] = (daemon_peer){.id = *peer, .connections = 1};
    daemon_event(d, "connected", NULL, peer, NULL, 0);
}

static void on_peer_disconnected(void *user, const peer_id *peer) {
    daemon_state *d = user;
    daemon_peer *p = find_peer(d, peer);
    if (p == NULL || --p->connections > 0) return;
    *p = d->peers[--d->peer_count];
    daemon_event(d, "disconnected", NULL, peer, NULL, 0);
}

static void on_ping(void *user, const peer_id *peer, bool ok, uint64_t rtt_ns) {
    daemon_on_ping(user, peer, ok, rtt_ns);
}

/* ---- descriptors of the loop ------------------------------------------ */

static void stdin_closed(daemon_state *d) {
    if (d->stdin_watched) runtime_unwatch_fd(d->rt, STDIN_FILENO);
    d->stdin_watched = false;
    /* A daemon in the background (</dev/null) keeps serving its socket. */
    if (d->control_fd < 0) runtime_stop(d->rt);
}

static void on_stdin(void *user, int fd, uint32_t events) {
    daemon_state *d = user;
    (void)events;
    char bytes[MAIN_STDIN_READ_MAX];
    ssize_t n = read(fd, bytes, sizeof bytes); /* readable: one read never blocks */
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        stdin_closed(d);
        return;
    }
    daemon_requester to = {.channel = DAEMON_TO_STDOUT};
    daemon_lines_feed(d, &d->stdin_lines, to, bytes, (size_t)n);
}

/* epoll refuses regular files and /dev/null: their lines are all there
 * already, so they run now, and then standard input is at its end. */
static void start_stdin(daemon_state *d) {
    if (runtime_watch_fd(d->rt, STDIN_FILENO, on_stdin, d) == 0) {
        d->stdin_watched = true;
        return;
    }
    char bytes[MAIN_STDIN_READ_MAX];
    daemon_requester to = {.channel = DAEMON_TO_STDOUT};
    ssize_t n;
    while ((n = read(STDIN_FILENO, bytes, sizeof bytes)) > 0) daemon_lines_feed(d, &d->stdin_lines, to, bytes, (size_t)n);
    stdin_closed(d);
}

static void on_signal(void *user, int fd, uint32_t events) {
    daemon_state *d = user;
    (void)events;
    struct signalfd_siginfo info;
    if (read(fd, &info, sizeof info) == (ssize_t)sizeof info) runtime_stop(d->rt);
}

static void on_tick(void *user, int fd, uint32_t events) {
    (void)events;
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) == (ssize_t)sizeof expirations) daemon_tick(user);
}

/* SIGINT, SIGTERM and SIGHUP arrive through the loop, never in the middle
 * of a handler; a peer that hangs up never raises SIGPIPE. */
static int start_signals(daemon_state *d) {
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    d->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    d->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (d->signal_fd < 0 || d->tick_fd < 0) return -1;
    struct itimerspec every = {.it_interval = {.tv_sec = (time_t)(DAEMON_TICK_NS / NS_PER_S)}};
    every.it_value = every.it_interval;
    if (timerfd_settime(d->tick_fd, 0, &every, NULL) != 0) return -1;
    if (runtime_watch_fd(d->rt, d->signal_fd, on_signal, d) != 0) return -1;
    return runtime_watch_fd(d->rt, d->tick_fd, on_tick, d);
}

/* ---- startup and shutdown --------------------------------------------- */

static void trace_lifecycle(daemon_state *d, trace_kind kind) {
    const env *e = runtime_env(d->rt);
    const peer_id *self = node_id(d->node);
    trace_event event = {.kind = kind, .time_ns = e->now_ns(e->ctx), .peer = self->bytes, .peer_len = self->len};
    e->trace(e->ctx, &event);
}

/* --attack drop: the node's policy hook (node_policy, node.h) that the
 * world's drop attackers use: the router never relays others' messages. */
static bool never_relay(void *user) {
    (void)user;
    return false;
}

static const node_policy drop_policy = {.relay = never_relay};

/* --store: DIR (made 0700), its store key (made when DIR is new, else
 * unwrapped: a wrong passphrase is exit 1, never a new empty store), the
 * database. 0, or the exit code with err filled. */
static int start_store(daemon_state *d, const store_passphrase *pass, char *err, size_t cap) {
    uint8_t key[STORE_KEY_BYTES];
    store_keys_status st = store_dir_prepare(d->options.store_path, true, err, cap);
    if (st == STORE_KEYS_OK) st = store_key_open(d->options.store_path, pass, key, err, cap);
    if (st != STORE_KEYS_OK) return st == STORE_KEYS_REFUSED ? DAEMON_EXIT_USAGE : DAEMON_EXIT_FAILURE;
    d->store = store_db_open(d->options.store_path, key, err, cap);
    sodium_memzero(key, sizeof key);
    return d->store != NULL ? 0 : DAEMON_EXIT_FAILURE;
}

/* The identity (--key) and the store (--store), with the passphrase of
 * --passphrase-file or SWARMLAB_PASSPHRASE, wiped after. */
static int start_keys(daemon_state *d, uint8_t seed[IDENTITY_SEED_BYTES], char *err, size_t cap) {
    if (d->options.key_path == NULL && d->options.store_path == NULL) return 0;
    store_passphrase pass;
    store_keys_status st = store_passphrase_load(d->options.passphrase_path, STORE_PASSPHRASE_ENV, &pass, err, cap);
    int rc = st == STORE_KEYS_OK ? 0 : st == STORE_KEYS_REFUSED ? DAEMON_EXIT_USAGE : DAEMON_EXIT_FAILURE;
    if (rc == 0 && d->options.key_path != NULL) rc = daemon_key_load(d->options.key_path, &pass, seed, err, cap);
    if (rc == 0 && d->options.store_path != NULL) rc = start_store(d, &pass, err, cap);
    sodium_memzero(&pass, sizeof pass);
    return rc;
}

/* The runtime, then the node with the key file's identity (or a fresh one). */
static int start_node(daemon_state *d, char *err, size_t cap) {
    uint8_t seed[IDENTITY_SEED_BYTES];
    gossipsub_config gossip_cfg;
    gossipsub_config_default(&gossip_cfg); /* the node supplies the randomness */
    int keys = start_keys(d, seed, err, cap);
    if (keys != 0) return keys;
    if (d->options.params_path != NULL) {
        int rc = daemon_interop_prepare(d, seed, &gossip_cfg, err, cap);
        if (rc != 0) return rc;
    }
    runtime_config config = {.trace = on_trace, .trace_user = d};
    d->rt = runtime_create(&config);
    if (d->rt != NULL) runtime_set_store(d->rt, d->store); /* the node's blocks; none without --store */
    node_callbacks callbacks = {.user = d, .on_message = on_message, .on_peer_connected = on_peer_connected,
                                .on_peer_disconnected = on_peer_disconnected, .on_ping = on_ping};
    bool gossip = strncmp(d->options.router, "gossipsub", strlen("gossipsub")) == 0;
    gossip_cfg.idontwant = strcmp(d->options.router, "gossipsub-v1.1") != 0;
    gossip_cfg.scoring = d->options.scoring;
    if (d->options.prune_peers >= 0) gossip_cfg.prune_peers = d->options.prune_peers;
    if (d->options.px_dials_in_flight >= 0) gossip_cfg.px_dials_in_flight = d->options.px_dials_in_flight;
    gossip_cfg.accept_px_inbound = d->options.accept_px_inbound;
    gossip_cfg.message_id = d->options.message_id_kind; /* floodsub's too */
    node_config node_cfg = {.env = d->rt != NULL ? runtime_env(d->rt) : NULL, .callbacks = callbacks,
                            .identity_seed = d->options.key_path != NULL || d->interop != NULL ? seed : NULL,
                            .router = gossip ? ROUTER_CHOICE_GOSSIPSUB : ROUTER_CHOICE_FLOODSUB,
                            .gossipsub = &gossip_cfg, .pubsub = &d->options.pubsub, .limits = &d->options.limits};
    if (d->rt != NULL) d->node = node_create(&node_cfg);
    sodium_memzero(seed, sizeof seed);
    if (d->node == NULL || daemon_chat_register(d) != 0) {
        snprintf(err, cap, "cannot start the node (out of memory or epoll)");
        return DAEMON_EXIT_FAILURE;
    }
    if (d->options.attack != NULL) node_set_policy(d->node, &drop_policy); /* only "drop" passes the options */
    runtime_attach_node(d->rt, d->node);
    runtime_set_turn_end(d->rt, daemon_turn_end, d);
    return 0;
}

/* Binds each --listen, then tells the node the address actually bound (the
 * port 0 resolved), which it announces in identify. */
static int start_listening(daemon_state *d, char *err, size_t cap) {
    for (size_t i = 0; i < d->options.listen_count; i++) {
        char actual[MULTIADDR_TEXT_MAX];
        if (runtime_listen(d->rt, d->options.listen[i], actual, sizeof actual) != 0 ||
            node_listen(d->node, actual) != 0) {
            snprintf(err, cap, "cannot listen on %s: %s", d->options.listen[i], strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* On standard output, or standard error under --params (whose standard
 * output carries the spec's JSON lines alone). */
static void print_identity(daemon_state *d) {
    char id[PEER_ID_TEXT_MAX];
    daemon_peer_text(node_id(d->node), id);
    FILE *out = d->interop != NULL ? stderr : stdout;
    fprintf(out, "peer %s\n", id);
    for (size_t i = 0; i < runtime_listen_count(d->rt); i++)
        fprintf(out, "listen %s/p2p/%s\n", runtime_listen_address(d->rt, i), id);
    fflush(out);
}

/* The trace file, opened as the key file is (daemon_files.h): a symbolic
 * link or anything but a regular file is refused as bad input, and the file
 * is emptied only once it passed. 0, or the exit code with err filled. */
static int start_trace(daemon_state *d, char *err, size_t cap) {
    int fd;
    struct stat st;
    daemon_file_status status = daemon_file_open(d->options.trace_path, "trace file", DAEMON_FILE_WRITE, &fd, &st,
                                                 err, cap);
    if (status == DAEMON_FILE_REFUSED) return DAEMON_EXIT_USAGE;
    if (status != DAEMON_FILE_OPEN) return DAEMON_EXIT_FAILURE;
    d->trace = fdopen(fd, "w");
    if (d->trace == NULL) {
        snprintf(err, cap, "cannot open trace file %s: %s", d->options.trace_path, strerror(errno));
        close(fd);
        return DAEMON_EXIT_FAILURE;
    }
    setvbuf(d->trace, NULL, _IOFBF, MAIN_TRACE_BUFFER_BYTES);
    return 0;
}

/* 0, or the exit code with err filled. */
static int start(daemon_state *d, char *err, size_t cap) {
    int rc = d->options.trace_path != NULL ? start_trace(d, err, cap) : 0;
    if (rc != 0) return rc;
    rc = start_node(d, err, cap);
    if (rc != 0) return rc;
    if (start_listening(d, err, cap) != 0) return DAEMON_EXIT_FAILURE;
    if (d->options.control_path != NULL &&
        daemon_control_open(d, d->options.control_path, daemon_lines_feed, err, cap) != 0)
        return DAEMON_EXIT_FAILURE;
    if (start_signals(d) != 0) {
        /* Under --params the script's end stops the daemon, so a simulator
         * that lacks signalfd or timerfd (Shadow may) costs only SIGTERM's
         * clean exit and the keepalive pings. */
        if (d->interop == NULL) {
            snprintf(err, cap, "cannot set up signals: %s", strerror(errno));
            return DAEMON_EXIT_FAILURE;
        }
        fprintf(stderr, "swarmlab-node: no signalfd or timerfd (%s): running the script without them\n",
                strerror(errno));
    }
    trace_lifecycle(d, TRACE_NODE_UP);
    print_identity(d);
    for (size_t i = 0; i < d->options.peer_count; i++)
        if (node_dial(d->node, d->options.peers[i]) != 0)
            fprintf(stderr, "swarmlab-node: cannot dial %s\n", d->options.peers[i]);
    if (d->interop != NULL) return daemon_interop_start(d, err, cap); /* the script, not standard input */
    start_stdin(d);
    return 0;
}

static void stop(daemon_state *d) {
    if (d->node != NULL) {
        trace_lifecycle(d, TRACE_NODE_DOWN);
        node_destroy(d->node); /* closes every connection */
        daemon_data_free(d);   /* after the node it was built on */
    }
    daemon_interop_stop(d);
    daemon_control_close(d); /* removes the socket */
    int fds[] = {d->signal_fd, d->tick_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (fds[i] < 0) continue;
        if (d->rt != NULL) runtime_unwatch_fd(d->rt, fds[i]);
        close(fds[i]);
    }
    runtime_destroy(d->rt);
    for (size_t i = 0; i < DAEMON_PENDING_MAX; i++) free(d->pending[i].path); /* gets still waiting */
    store_db_close(d->store);
    buf_wipe_free(&d->block);
    daemon_sealed_free(&d->sealed); /* wipes the topics' keys */
    if (d->trace != NULL && fclose(d->trace) != 0) perror("swarmlab-node: trace");
    buf_free(&d->out);
    buf_free(&d->trace_line);
}

int main(int argc, char **argv) {
    char err[MAIN_ERROR_MAX] = "";
    if (sodium_init() < 0) return DAEMON_EXIT_FAILURE; /* the keys, before the runtime would */
    if (argc >= 2 && strcmp(argv[1], "key") == 0) return daemon_keycmd_main(argc - 1, argv + 1);
    daemon_state *d = calloc(1, sizeof *d);
    if (d == NULL) return DAEMON_EXIT_FAILURE;
    d->control_fd = d->signal_fd = d->tick_fd = -1;
    for (size_t i = 0; i < DAEMON_CONTROL_CLIENTS_MAX; i++) d->clients[i].fd = -1;
    buf_init(&d->out, DAEMON_OUTPUT_MAX);
    buf_init(&d->trace_line, TRACE_JSON_LINE_MAX);
    buf_init(&d->block, STORE_BLOCK_MAX);
    if (daemon_options_parse(argc, argv, &d->options, err, sizeof err) != 0) {
        fprintf(stderr, "swarmlab-node: %s\n", err);
        daemon_usage(stderr);
        free(d);
        return DAEMON_EXIT_USAGE;
    }
    if (d->options.help) {
        daemon_usage(stdout);
        free(d);
        return 0;
    }
    /* After the options: a usage error or --help leaves nothing allocated. */
    if (daemon_sealed_init(&d->sealed) != 0) {
        free(d);
        return DAEMON_EXIT_FAILURE;
    }
    int rc = start(d, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "swarmlab-node: %s\n", err);
    } else if (runtime_run(d->rt) != 0) {
        perror("swarmlab-node: epoll");
        rc = DAEMON_EXIT_FAILURE;
    }
    stop(d);
    free(d);
    return rc;
}
