/*
 * daemon_interop: --params, test-plans' gossipsub-interop script on the
 * daemon (daemon_interop.h, docs/gossipsub-interop.md).
 */
#define _GNU_SOURCE
#include "daemon_interop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon_files.h"
#include "interop/interop_run.h"
#include "wire/multiaddr.h"
#include "wire/pubsub_pb.h"

#define INTEROP_HOSTNAME_MAX 256
/* A connect whose peer is not connected a second later is dialled again,
 * up to this many times: daemons started together may not listen yet. */
#define INTEROP_REDIAL_MAX 10
#define INTEROP_REDIAL_NS NS_PER_S
#define INTEROP_REDIALS_MAX 1024 /* connects awaiting their peer at once */

typedef struct interop_redial {
    uint32_t node;
    peer_id peer;
    char addr[MULTIADDR_TEXT_MAX + PEER_ID_TEXT_MAX];
    uint32_t attempts;
} interop_redial;

struct daemon_interop {
    interop_script script;
    uint32_t node_id;
    uint64_t start_ns; /* CLOCK_MONOTONIC at startup: waitUntil counts from here */
    size_t next;       /* the next top-level instruction */
    int timer_fd;
    uint16_t port;
    bool has_base;
    uint32_t base; /* --interop-addr-base, host order */
    char listen[MULTIADDR_TEXT_MAX];
    node_policy policy;
    pubsub_rpc *rpc; /* scratch: a received RPC, decoded */
    buf line;
    const interop_instruction *init; /* the initGossipSub that configured the router */
    int redial_fd;                   /* every INTEROP_REDIAL_NS while redials wait */
    interop_redial redials[INTEROP_REDIALS_MAX];
    size_t redial_count;
};

static uint64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* ---- the spec's JSON lines (interop_run.h) ------------------------------ */

static uint64_t realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void emit_line(void *user, const uint8_t *line, size_t len) {
    (void)user;
    fwrite(line, 1, len, stdout); /* flushed at the loop's turn end (daemon_turn_end) */
}

static void print_peer_id(daemon_state *d) {
    daemon_interop *x = d->interop;
    interop_line_peer_id(&x->line, realtime_ns(), node_id(d->node), x->node_id, emit_line, NULL);
    fflush(stdout);
}

/* Every message of every RPC a peer sends, before the router reads it, as
 * go's tracer logs RECV_RPC: duplicates and messages it will reject too. */
static void observe_rpc(void *user, const peer_id *peer, const uint8_t *rpc, size_t len) {
    daemon_state *d = user;
    daemon_interop *x = d->interop;
    (void)interop_lines_received(&x->line, x->rpc, realtime_ns(), peer, rpc, len, emit_line, NULL);
}

/* ---- node ids, keys and addresses --------------------------------------- */

/* The node id in a hostname "nodeN" (or "nodeN.domain"); -1 if none. */
static int64_t hostname_node_id(const char *name) {
    if (strncmp(name, "node", 4) != 0) return -1;
    const char *p = name + 4;
    if (*p < '0' || *p > '9') return -1;
    int64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > INTEROP_NODE_ID_MAX) return -1;
    }
    return *p == '\0' || *p == '.' ? v : -1;
}

/* The IPv4 address of node as dotted text: --interop-addr-base plus node,
 * or what the host name nodeN resolves to (Shadow's hosts file, a
 * container network's DNS). 0 or -1 with err filled. */
static int node_address(daemon_interop *x, uint32_t target, char out[INET_ADDRSTRLEN], char *err, size_t cap) {
    if (x->has_base) {
        uint64_t a = (uint64_t)x->base + target;
        if (a > 0xffffffffu) {
            snprintf(err, cap, "node%u: --interop-addr-base plus %u is past 255.255.255.255", target, target);
            return -1;
        }
        struct in_addr in = {.s_addr = htonl((uint32_t)a)};
        inet_ntop(AF_INET, &in, out, INET_ADDRSTRLEN);
        return 0;
    }
    char host[32];
    snprintf(host, sizeof host, "node%u", target);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(err, cap, "cannot resolve %s: %s", host, rc != 0 ? gai_strerror(rc) : "no address");
        return -1;
    }
    inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr, out, INET_ADDRSTRLEN);
    freeaddrinfo(res);
    return 0;
}

/* ---- the script --------------------------------------------------------- */

static void connect_to(daemon_state *d, uint32_t target) {
    daemon_interop *x = d->interop;
    char ip[INET_ADDRSTRLEN], err[256], peer[PEER_ID_TEXT_MAX], addr[MULTIADDR_TEXT_MAX + PEER_ID_TEXT_MAX];
    if (target == x->node_id) {
        fprintf(stderr, "swarmlab-node: connect: node%u is this node, skipped\n", target);
        return;
    }
    if (node_address(x, target, ip, err, sizeof err) != 0) {
        fprintf(stderr, "swarmlab-node: connect: %s\n", err);
        return;
    }
    interop_node_peer_text(target, peer);
    snprintf(addr, sizeof addr, "/ip4/%s/tcp/%u/p2p/%s", ip, (unsigned)x->port, peer);
    if (node_dial(d->node, addr) != 0) {
        fprintf(stderr, "swarmlab-node: connect: cannot dial %s\n", addr);
        return;
    }
    if (x->redial_count == INTEROP_REDIALS_MAX) return;
    interop_redial *r = &x->redials[x->redial_count];
    if (peer_id_from_text(peer, &r->peer) != 0) return;
    r->node = target;
    r->attempts = 0;
    snprintf(r->addr, sizeof r->addr, "%s", addr);
    if (x->redial_count++ == 0) {
        struct itimerspec every = {.it_interval = {.tv_sec = (time_t)(INTEROP_REDIAL_NS / NS_PER_S)}};
        every.it_value = every.it_interval;
        if (timerfd_settime(x->redial_fd, 0, &every, NULL) != 0) perror("swarmlab-node: connect: redial timer");
    }
}

/* Each second: a connect whose peer is still not connected dials again. */
static void on_redial(void *user, int fd, uint32_t events) {
    (void)events;
    daemon_state *d = user;
    daemon_interop *x = d->interop;
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) != (ssize_t)sizeof expirations) return;
    for (size_t i = 0; i < x->redial_count;) {
        interop_redial *r = &x->redials[i];
        bool give_up = r->attempts == INTEROP_REDIAL_MAX;
        if (give_up) fprintf(stderr, "swarmlab-node: connect: node%u not connected after %u dials\n", r->node, r->attempts + 1);
        if (give_up || node_is_connected(d->node, &r->peer)) {
            *r = x->redials[--x->redial_count];
            continue;
        }
        r->attempts++;
        if (node_dial(d->node, r->addr) != 0) fprintf(stderr, "swarmlab-node: connect: cannot dial %s\n", r->addr);
        i++;
    }
    if (x->redial_count == 0) {
        struct itimerspec off = {0};
        (void)timerfd_settime(x->redial_fd, 0, &off, NULL);
    }
}

static void publish(daemon_state *d, const interop_instruction *in) {
    uint8_t *data = interop_message_data(in);
    if (data == NULL) {
        fprintf(stderr, "swarmlab-node: publish %llu: out of memory\n", (unsigned long long)in->message_id);
        return;
    }
    if (node_publish(d->node, in->topic, data, in->message_bytes) != 0)
        fprintf(stderr, "swarmlab-node: publish %llu on %s failed\n", (unsigned long long)in->message_id, in->topic);
    free(data);
}

static void execute(daemon_state *d, const interop_instruction *in) {
    daemon_interop *x = d->interop;
    switch (in->kind) {
    case INTEROP_INIT_GOSSIPSUB:
        if (in != x->init)
            fprintf(stderr, "swarmlab-node: line %u: initGossipSub again: the router keeps the first's parameters\n",
                    in->line);
        break;
    case INTEROP_CONNECT:
        for (size_t i = 0; i < in->connect_count; i++) connect_to(d, in->connect_to[i]);
        break;
    case INTEROP_SUBSCRIBE:
        if (node_subscribe(d->node, in->topic) != 0) fprintf(stderr, "swarmlab-node: subscribe %s failed\n", in->topic);
        break;
    case INTEROP_PUBLISH: publish(d, in); break;
    case INTEROP_SET_VALIDATION_DELAY: break; /* set before the node started (daemon_interop_prepare) */
    case INTEROP_WAIT_UNTIL:
    case INTEROP_IF_NODE_ID_EQUALS: break; /* handled by run() and interop_effective */
    }
}

/* Runs instructions until a waitUntil that is not due yet (a timer then
 * brings the loop back here) or the end (the daemon stops). */
static void run(daemon_state *d) {
    daemon_interop *x = d->interop;
    for (;;) {
        uint64_t now = monotonic_ns(), due;
        const interop_instruction *in = interop_next(&x->script, &x->next, x->node_id, now - x->start_ns, &due);
        if (in != NULL) {
            execute(d, in);
            continue;
        }
        if (due == UINT64_MAX) break;
        due += x->start_ns;
        struct itimerspec at = {.it_value = {.tv_sec = (time_t)(due / NS_PER_S), .tv_nsec = (long)(due % NS_PER_S)}};
        if (timerfd_settime(x->timer_fd, TFD_TIMER_ABSTIME, &at, NULL) == 0) return;
        perror("swarmlab-node: waitUntil timer");
        runtime_stop(d->rt);
        return;
    }
    fprintf(stderr, "swarmlab-node: the script ended\n");
    runtime_stop(d->rt);
}

static void on_timer(void *user, int fd, uint32_t events) {
    (void)events;
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) == (ssize_t)sizeof expirations) run(user);
}

/* ---- startup ------------------------------------------------------------ */

/* The whole params file into memory. 0, or -1 with err filled. */
static int read_params(const char *path, char **text, size_t *len, char *err, size_t cap) {
    int fd;
    struct stat st;
    daemon_file_status status = daemon_file_open(path, "params file", DAEMON_FILE_READ, &fd, &st, err, cap);
    if (status == DAEMON_FILE_MISSING) snprintf(err, cap, "params file %s: no such file", path);
    if (status != DAEMON_FILE_OPEN) return -1;
    if ((uint64_t)st.st_size > INTEROP_PARAMS_FILE_MAX) {
        snprintf(err, cap, "%s: longer than %u bytes", path, INTEROP_PARAMS_FILE_MAX);
        close(fd);
        return -1;
    }
    size_t cap_bytes = (size_t)st.st_size, got = 0;
    char *b = malloc(cap_bytes + 1);
    if (b == NULL) {
        snprintf(err, cap, "%s: out of memory", path);
        close(fd);
        return -1;
    }
    while (got < cap_bytes) {
        ssize_t n = read(fd, b + got, cap_bytes - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(err, cap, "%s: cannot read: %s", path, n < 0 ? strerror(errno) : "shorter than its size");
            free(b);
            close(fd);
            return -1;
        }
        got += (size_t)n;
    }
    close(fd);
    b[got] = '\0';
    *text = b;
    *len = got;
    return 0;
}

static int node_identity(daemon_interop *x, const daemon_options *o, char *err, size_t cap) {
    if (o->node_id_text != NULL) {
        x->node_id = (uint32_t)strtoul(o->node_id_text, NULL, 10); /* checked by daemon_options */
        return 0;
    }
    char name[INTEROP_HOSTNAME_MAX + 1] = "";
    if (gethostname(name, INTEROP_HOSTNAME_MAX) != 0) {
        snprintf(err, cap, "cannot read the hostname: %s (give --node-id N)", strerror(errno));
        return -1;
    }
    int64_t id = hostname_node_id(name);
    if (id < 0) {
        snprintf(err, cap, "the hostname %.64s is not nodeN: give --node-id N", name);
        return -1;
    }
    x->node_id = (uint32_t)id;
    return 0;
}

int daemon_interop_prepare(daemon_state *d, uint8_t seed[32], gossipsub_config *gossip, char *err, size_t cap) {
    const daemon_options *o = &d->options;
    daemon_interop *x = calloc(1, sizeof *x);
    if (x == NULL) {
        snprintf(err, cap, "out of memory");
        return DAEMON_EXIT_FAILURE;
    }
    d->interop = x;
    d->stdout_json_only = true;
    x->start_ns = monotonic_ns();
    x->timer_fd = x->redial_fd = -1;
    buf_init(&x->line, INTEROP_LINE_MAX);
    x->port = o->interop_port_text != NULL ? (uint16_t)strtoul(o->interop_port_text, NULL, 10)
                                           : DAEMON_INTEROP_PORT_DEFAULT;
    if (o->interop_addr_base != NULL) {
        struct in_addr in;
        if (inet_pton(AF_INET, o->interop_addr_base, &in) != 1) {
            snprintf(err, cap, "--interop-addr-base: not an IPv4 address: %s", o->interop_addr_base);
            return DAEMON_EXIT_USAGE;
        }
        x->has_base = true;
        x->base = ntohl(in.s_addr);
    }
    char *text = NULL;
    size_t len = 0;
    if (read_params(o->params_path, &text, &len, err, cap) != 0) return DAEMON_EXIT_FAILURE;
    int rc = interop_script_parse(o->params_path, text, len, &x->script, err, cap);
    free(text);
    if (rc != 0) return DAEMON_EXIT_FAILURE;
    if (node_identity(x, o, err, cap) != 0) return DAEMON_EXIT_FAILURE;
    if (x->has_base && (uint64_t)x->base + x->node_id > 0xffffffffu) {
        snprintf(err, cap, "--interop-addr-base plus node id %u is past 255.255.255.255", x->node_id);
        return DAEMON_EXIT_USAGE;
    }
    interop_node_seed(x->node_id, seed);
    if (interop_node_config(&x->script, x->node_id, o->params_path, gossip, &d->options.pubsub, &x->init, err, cap) !=
        0)
        return DAEMON_EXIT_FAILURE;
    for (size_t i = 0; i < x->script.ignored_count; i++)
        fprintf(stderr, "swarmlab-node: %s: GossipSubParams.%s ignored (docs/gossipsub-interop.md)\n", o->params_path,
                x->script.ignored[i]);
    if (!o->listen_given) {
        char ip[INET_ADDRSTRLEN] = "0.0.0.0";
        if (x->has_base) {
            struct in_addr in = {.s_addr = htonl(x->base + x->node_id)};
            inet_ntop(AF_INET, &in, ip, sizeof ip);
        }
        snprintf(x->listen, sizeof x->listen, "/ip4/%s/tcp/%u", ip, (unsigned)x->port);
        d->options.listen[0] = x->listen;
        d->options.listen_count = 1;
    }
    x->rpc = malloc(sizeof *x->rpc);
    if (x->rpc == NULL) {
        snprintf(err, cap, "out of memory");
        return DAEMON_EXIT_FAILURE;
    }
    return 0;
}

int daemon_interop_start(daemon_state *d, char *err, size_t cap) {
    daemon_interop *x = d->interop;
    print_peer_id(d);
    x->policy = (node_policy){.user = d, .observe_rpc = observe_rpc};
    node_set_policy(d->node, &x->policy);
    x->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    x->redial_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (x->timer_fd < 0 || runtime_watch_fd(d->rt, x->timer_fd, on_timer, d) != 0 || x->redial_fd < 0 ||
        runtime_watch_fd(d->rt, x->redial_fd, on_redial, d) != 0) {
        snprintf(err, cap, "cannot set up the script's timer: %s", strerror(errno));
        return DAEMON_EXIT_FAILURE;
    }
    run(d);
    return 0;
}

void daemon_interop_stop(daemon_state *d) {
    daemon_interop *x = d->interop;
    if (x == NULL) return;
    int fds[] = {x->timer_fd, x->redial_fd};
    for (size_t i = 0; i < 2; i++) {
        if (fds[i] < 0) continue;
        if (d->rt != NULL) runtime_unwatch_fd(d->rt, fds[i]);
        close(fds[i]);
    }
    interop_script_free(&x->script);
    free(x->rpc);
    buf_free(&x->line);
    free(x);
    d->interop = NULL;
}
