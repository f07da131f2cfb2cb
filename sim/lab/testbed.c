/* testbed: a scenario on real daemons in network namespaces. See testbed.h. */
#define _GNU_SOURCE
#include "testbed.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/time_units.h"
#include "digest.h"
#include "metrics.h"
#include "plot.h"
#include "run.h"
#include "shadow.h"
#include "testbed_net.h"
#include "testbed_switch.h"
#include "trace_json_read.h"
#include "world/attack.h"
#include "world/faults.h"
#include "world/netmodel.h"
#include "world/topology.h"
#include "world/world.h"
#include "wire/pubsub_pb.h"

#define EXIT_BAD_INPUT 2
#define EXIT_INTERRUPTED 130
#define TB_OVERRIDES_MAX 64
#define TB_PORT 4001
#define TB_READY_MS 15000     /* all daemons answer on their control sockets */
#define TB_REPLY_MS 5000      /* one command's reply */
#define TB_STOP_MS 5000       /* SIGTERM, then SIGKILL */
#define TB_TICK_NS 20000000ull /* the longest sleep between looks at the stop flag */
#define TB_LINE_MAX 4096      /* the daemon's command line */
#define TB_PAYLOAD_MAX 3800   /* a pub command's text must fit a line */
#define TB_PATH_MAX 1024
#define TB_ARGS_MAX 40

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

typedef struct tb_host {
    pid_t pid;   /* 0: not running */
    int control; /* the control connection; -1 when none */
    uint32_t lives; /* processes started so far: churn restarts the daemon */
    bool online;    /* joined, and not down: what the world's host_online says */
    char dir[TB_PATH_MAX];
    char socket_path[108];
    char trace_path[TB_PATH_MAX + 32]; /* the running life's */
    char rbuf[TB_LINE_MAX];
    size_t rlen;
} tb_host;

typedef struct testbed {
    const scenario *s;
    const char *out_dir, *node_path;
    const char *params_path; /* --shadow: every daemon runs this params.json; NULL otherwise */
    bool plots;
    pid_t owner;
    uint32_t n;     /* honest hosts: nodes.count */
    uint32_t total; /* daemons: the honest hosts, then the attackers (drop only) */
    attack_arrival *arrivals; /* the attackers, in the order they come up */
    tb_host *hosts;
    bool net_made;
    bool netem;     /* --links netem: veth, a bridge and tc netem; else TUN devices and the switch */
    int *tun_fds;   /* per host, -1 when none */
    uint64_t *delay_ns, *up_bps, *down_bps; /* the switch's configuration */
    double *loss;
    uint64_t partition_at[SCENARIO_PARTITIONS_MAX], partition_until[SCENARIO_PARTITIONS_MAX];
    uint8_t *partition_group;
    int t0_pipe[2]; /* the switch learns time 0 here; -1 when closed */
    netmodel *net; /* regions and classes per host; NULL when the scenario has neither */
    uint32_t *region_of, *class_of;
    const char *region_names[SCENARIO_REGIONS_MAX], *class_names[SCENARIO_CLASSES_MAX];
    pid_t switch_pid;
    char socket_dir[64];
    topology topo;
    bool topo_built;
    bool *subscriber, *publisher;
    uint32_t *publishers, publisher_count;
    uint64_t t0; /* CLOCK_MONOTONIC of the testbed's time 0 */
    uint64_t *join_at; /* per host, ns after t0 */
    faults *plan;      /* the world's churn and offline schedule (faults_plan) */
    const faults_change *changes;
    size_t change_count;
    struct tb_down { uint64_t t; uint32_t host, life; } *downs; /* the crashes, for node_down lines */
    size_t down_count;
    uint64_t published, command_errors, dial_errors;
    bool quiet;         /* no summary on standard output */
    run_result *result; /* the summary for the caller; NULL when none */
} testbed;

/* ---- the scenario: what the testbed runs, and what it refuses -------- */

static int refuse(const scenario *s, const char *what, char *err, size_t cap) {
    snprintf(err, cap, "%s: %s: not supported by the testbed yet (docs/testbed.md)", s->path, what);
    return -1;
}

/* Attackers run as daemons with --attack drop, the one policy the daemon
 * takes; the switch and the groups are per honest host. */
static int check_attackers(const scenario *s, char *err, size_t cap) {
    for (size_t g = 0; g < s->attacker_count; g++) {
        const attacker *a = &s->attackers[g];
        if (strcmp(a->kind, "drop") != 0) return refuse(s, "attackers other than drop", err, cap);
        if (a->same_ip) return refuse(s, "attackers with same_ip", err, cap);
    }
    bool placed = s->network.regions.count > 0 || s->network.graph_path[0] != '\0' || s->nodes.class_count > 0;
    if (s->attacker_count > 0 && (placed || s->network.partition_count > 0))
        return refuse(s, "attackers with regions, a graph, classes or partitions", err, cap);
    return 0;
}

static int check_supported(const scenario *s, bool netem, char *err, size_t cap) {
    if (check_attackers(s, err, cap) != 0) return -1;
    if (netem && s->network.partition_count > 0) return refuse(s, "network.partitions with --links netem", err, cap);
    bool shaped = s->network.regions.count > 0 || s->network.graph_path[0] != '\0' || s->nodes.class_count > 0 ||
                  s->network.latency.kind != DIST_CONSTANT;
    if (netem && shaped)
        return refuse(s, "--links netem with regions, a graph, classes or a latency distribution (use --links tun)",
                      err, cap);
    if (s->nodes.count == 0 || s->nodes.count + attack_host_count(s) > TESTBED_HOSTS_MAX) {
        snprintf(err, cap, "%s: nodes.count: the testbed runs 1 to %d hosts", s->path, TESTBED_HOSTS_MAX);
        return -1;
    }
    if (s->workload.size_bytes > TB_PAYLOAD_MAX) return refuse(s, "workload.size above 3800 bytes", err, cap);
    if (s->protocol.pubsub.topic_delay_count > 0) return refuse(s, "protocol.validation_delays", err, cap);
    if (s->protocol.router == ROUTER_GOSSIPSUB) {
        gossipsub_config d, g = s->protocol.gossipsub;
        gossipsub_config_default(&d);
        bool same = g.D == d.D && g.D_lo == d.D_lo && g.D_hi == d.D_hi && g.D_lazy == d.D_lazy &&
                    g.D_score == d.D_score && g.D_out == d.D_out && g.heartbeat_ns == d.heartbeat_ns &&
                    g.fanout_ttl_ns == d.fanout_ttl_ns && g.seen_ttl_ns == d.seen_ttl_ns &&
                    g.prune_backoff_ns == d.prune_backoff_ns && g.mcache_len == d.mcache_len &&
                    g.mcache_gossip == d.mcache_gossip && g.gossip_factor == d.gossip_factor &&
                    g.flood_publish == d.flood_publish && g.idontwant == d.idontwant;
        if (!same)
            return refuse(s, "protocol.gossipsub parameters other than the defaults (the daemon has no flags for them)",
                          err, cap);
    }
    return 0;
}

/* ---- the daemons ------------------------------------------------------ */

/* The daemon's command line for host i, from the scenario's protocol. */
static void daemon_argv(const testbed *tb, uint32_t i, char *argv[], char text[][96]) {
    const scenario *s = tb->s;
    tb_host *h = &tb->hosts[i];
    size_t n = 0, t = 0;
    char address[32];
    testbed_net_address(i, address, sizeof address);
    argv[n++] = (char *)tb->node_path;
    if (tb->params_path != NULL) {
        /* test-plans' way: the script, the node id from the hostname nodeI
         * (the UTS namespace's), node j at host j's address, port 9000. */
        argv[n++] = "--params";
        argv[n++] = (char *)tb->params_path;
        argv[n++] = "--interop-addr-base";
        testbed_net_address(0, text[t], 96);
        argv[n++] = text[t++];
        argv[n++] = "--control";
        argv[n++] = h->socket_path;
        argv[n++] = "--trace";
        argv[n++] = h->trace_path;
        argv[n] = NULL;
        return;
    }
    argv[n++] = "--listen";
    snprintf(text[t], 96, "/ip4/%s/tcp/%d", address, TB_PORT);
    argv[n++] = text[t++];
    argv[n++] = "--key";
    snprintf(text[t], 96, "%s/n%u.key", tb->socket_dir, i);
    argv[n++] = text[t++];
    argv[n++] = "--control";
    argv[n++] = h->socket_path;
    argv[n++] = "--trace";
    argv[n++] = h->trace_path;
    if (s->protocol.router == ROUTER_GOSSIPSUB) {
        const gossipsub_config *g = &s->protocol.gossipsub;
        argv[n++] = "--router";
        argv[n++] = "gossipsub";
        if (g->scoring) argv[n++] = "--scoring";
        argv[n++] = "--prune-peers";
        snprintf(text[t], 96, "%d", g->prune_peers);
        argv[n++] = text[t++];
        argv[n++] = "--px-dials-in-flight";
        snprintf(text[t], 96, "%d", g->px_dials_in_flight);
        argv[n++] = text[t++];
        if (g->accept_px_inbound && !g->scoring) argv[n++] = "--accept-px-inbound";
    }
    if (s->protocol.gossipsub.message_id != PUBSUB_MESSAGE_ID_FROM_SEQNO) {
        argv[n++] = "--message-id";
        argv[n++] = (char *)pubsub_message_id_name(s->protocol.gossipsub.message_id);
    }
    const pubsub_options *o = &s->protocol.pubsub;
    if (o->signature_policy != PUBSUB_STRICT_SIGN) {
        argv[n++] = "--signature-policy";
        argv[n++] = (char *)pubsub_signature_policy_name(o->signature_policy);
    }
    if (o->validation_delay_ns > 0) {
        argv[n++] = "--validation-delay-ms";
        snprintf(text[t], 96, "%llu", (unsigned long long)(o->validation_delay_ns / 1000000));
        argv[n++] = text[t++];
    }
    if (o->seqno_validator) argv[n++] = "--seqno-validator";
    if (i >= tb->n) { /* an attacker: the world's drop policy */
        argv[n++] = "--attack";
        argv[n++] = "drop";
    }
    if (o->seen_max_bytes > 0) {
        argv[n++] = "--seen-max-bytes";
        snprintf(text[t], 96, "%llu", (unsigned long long)o->seen_max_bytes);
        argv[n++] = text[t++];
    }
    argv[n] = NULL;
}

static int control_connect(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends one command line to host i and waits for its one-line reply.
 * 0 when the reply says ok; -1 otherwise (err filled). */
static int command(testbed *tb, uint32_t i, const char *line, char *err, size_t cap) {
    tb_host *h = &tb->hosts[i];
    size_t len = strlen(line), sent = 0;
    uint64_t deadline = mono_ns() + (uint64_t)TB_REPLY_MS * 1000000;
    while (sent < len) {
        ssize_t w = send(h->control, line + sent, len - sent, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, cap, "node%u: control socket: %s", i, strerror(errno));
            return -1;
        }
        sent += (size_t)w;
    }
    for (;;) {
        char *nl = memchr(h->rbuf, '\n', h->rlen);
        if (nl != NULL) {
            *nl = '\0';
            bool ok = strncmp(h->rbuf, "{\"ok\":true", 10) == 0;
            if (!ok) snprintf(err, cap, "node%u: %.*s: %.300s", i, (int)strcspn(line, "\n") % 200, line, h->rbuf);
            size_t used = (size_t)(nl - h->rbuf) + 1;
            memmove(h->rbuf, nl + 1, h->rlen - used);
            h->rlen -= used;
            return ok ? 0 : -1;
        }
        uint64_t now = mono_ns();
        if (now >= deadline || h->rlen == sizeof h->rbuf) {
            snprintf(err, cap, "node%u: no reply to %.*s", i, (int)strcspn(line, "\n"), line);
            return -1;
        }
        struct pollfd p = {.fd = h->control, .events = POLLIN};
        int ready = poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
        if (ready <= 0) continue;
        ssize_t got = read(h->control, h->rbuf + h->rlen, sizeof h->rbuf - h->rlen);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            snprintf(err, cap, "node%u: the daemon closed its control socket", i);
            return -1;
        }
        h->rlen += (size_t)got;
    }
}

/* The files of a host's life-th process. The first keeps the names
 * test-plans' analyzer reads; a restarted daemon gets new ones, since it
 * empties its trace file and the testbed empties its standard output. */
static void life_path(const tb_host *h, uint32_t life, const char *stem, char *out, size_t cap) {
    if (life == 0)
        snprintf(out, cap, "%s/%s", h->dir, stem);
    else
        snprintf(out, cap, "%s/%.*s.%u%s", h->dir, (int)strcspn(stem, "."), stem, life, stem + strcspn(stem, "."));
}

/* Starts host i's next process: the same key file, address and control
 * socket as every earlier one, so the same peer at the same place. */
static int spawn_host(testbed *tb, uint32_t i, char *err, size_t cap) {
    tb_host *h = &tb->hosts[i];
    char *argv[TB_ARGS_MAX];
    char text[8][96];
    char out[TB_PATH_MAX + 32], errpath[TB_PATH_MAX + 32];
    life_path(h, h->lives, "trace.jsonl", h->trace_path, sizeof h->trace_path);
    life_path(h, h->lives, "swarmlab-node.stdout", out, sizeof out);
    life_path(h, h->lives, "swarmlab-node.stderr", errpath, sizeof errpath);
    daemon_argv(tb, i, argv, text);
    h->pid = testbed_net_spawn(tb->owner, i, argv, out, errpath, err, cap);
    if (h->pid < 0) {
        h->pid = 0;
        return -1;
    }
    h->lives++;
    return 0;
}

/* Connects to host i's control socket, trying until deadline (bounded). */
static int wait_control(testbed *tb, uint32_t i, uint64_t deadline, char *err, size_t cap) {
    tb_host *h = &tb->hosts[i];
    h->rlen = 0;
    while (h->control < 0) {
        h->control = control_connect(h->socket_path);
        if (h->control >= 0) break;
        int status;
        if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
            h->pid = 0;
            snprintf(err, cap, "node%u: swarmlab-node exited at start (see %s)", i, h->dir);
            return -1;
        }
        if (mono_ns() >= deadline || stop_signal) {
            snprintf(err, cap, "node%u: no control socket after %d ms", i, TB_READY_MS);
            return -1;
        }
        usleep(20000);
    }
    return 0;
}

/* Whether host i comes up at its join: then its daemon starts with the
 * others, before time 0; a host churn or a window holds down then starts
 * when it first comes up. --shadow starts every daemon. */
static bool starts_first(const testbed *tb, uint32_t i) {
    if (tb->params_path != NULL || i >= tb->n) return true; /* attackers never churn */
    for (size_t k = 0; k < tb->change_count; k++)
        if (tb->changes[k].host == i) return tb->changes[k].kind == FAULTS_CHANGE_JOIN;
    return false;
}

static int start_daemons(testbed *tb, char *err, size_t cap) {
    for (uint32_t i = 0; i < tb->total && !stop_signal; i++)
        if (starts_first(tb, i) && spawn_host(tb, i, err, cap) != 0) return -1;
    /* Bounded: every daemon answers within TB_READY_MS, or the run fails. */
    uint64_t deadline = mono_ns() + (uint64_t)TB_READY_MS * 1000000;
    for (uint32_t i = 0; i < tb->total && !stop_signal; i++)
        if (tb->hosts[i].pid > 0 && wait_control(tb, i, deadline, err, cap) != 0) return -1;
    return stop_signal ? -1 : 0;
}

/* SIGTERM to every daemon, then a bounded wait, then SIGKILL. */
static void stop_daemons(testbed *tb) {
    for (uint32_t i = 0; i < tb->total; i++) {
        if (tb->hosts[i].control >= 0) close(tb->hosts[i].control);
        tb->hosts[i].control = -1;
        if (tb->hosts[i].pid > 0) kill(tb->hosts[i].pid, SIGTERM);
    }
    uint64_t deadline = mono_ns() + (uint64_t)TB_STOP_MS * 1000000;
    for (uint32_t i = 0; i < tb->total; i++) {
        tb_host *h = &tb->hosts[i];
        while (h->pid > 0) {
            pid_t r = waitpid(h->pid, NULL, WNOHANG);
            if (r == h->pid || (r < 0 && errno == ECHILD)) {
                h->pid = 0;
                break;
            }
            if (mono_ns() >= deadline) {
                kill(h->pid, SIGKILL);
                while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR) {
                }
                h->pid = 0;
                break;
            }
            usleep(10000);
        }
    }
}

/* ---- the run: joins, dials, publications in real time ----------------- */

/* Sleeps until the testbed's time t (ns after t0), waking to look at the stop flag. */
static void sleep_until(const testbed *tb, uint64_t t) {
    for (int guard = 0; guard < 1000000 && !stop_signal; guard++) {
        uint64_t now = mono_ns() - tb->t0;
        if (now >= t) return;
        uint64_t step = t - now < TB_TICK_NS ? t - now : TB_TICK_NS;
        struct timespec ts = {.tv_sec = (time_t)(step / NS_PER_S), .tv_nsec = (long)(step % NS_PER_S)};
        nanosleep(&ts, NULL);
    }
}

/* When host i joins, from time 0: over/count x i, as in the world. */
static uint64_t join_ns(const testbed *tb, uint32_t i) {
    return tb->n > 1 ? tb->s->nodes.join_over_ns / tb->n * i : 0;
}

/* Host from dials host to. A host that is not up (not joined yet, or
 * down) has no process in the world, and the world's dial to it is
 * refused; the testbed's daemons run from before time 0, so the testbed
 * refuses it itself. Refused and failed dials are counted, not fatal. */
static void dial(testbed *tb, uint32_t from, uint32_t to) {
    char line[TB_LINE_MAX], address[32], why[256];
    if (!tb->hosts[to].online) {
        tb->dial_errors++;
        return;
    }
    testbed_net_address(to, address, sizeof address);
    snprintf(line, sizeof line, "connect /ip4/%s/tcp/%d\n", address, TB_PORT);
    if (command(tb, from, line, why, sizeof why) != 0) tb->dial_errors++;
}

/* Host i comes up: it subscribes, and dials. At its first join it dials
 * the lower-numbered neighbours, as the world's later host of an edge
 * does; coming back (rejoin) it dials every neighbour, up or not, as the
 * world's faults_rejoin does. */
static int join_host(testbed *tb, uint32_t i, bool rejoin, char *err, size_t cap) {
    char line[TB_LINE_MAX];
    if (tb->subscriber[i])
        for (size_t t = 0; t < tb->s->workload.topic_count; t++) {
            snprintf(line, sizeof line, "sub %s\n", tb->s->workload.topics[t]);
            if (command(tb, i, line, err, cap) != 0) return -1;
        }
    for (uint32_t k = tb->topo.offset[i]; k < tb->topo.offset[i + 1]; k++)
        if (tb->topo.adjacency[k] < i || rejoin) dial(tb, i, tb->topo.adjacency[k]);
    tb->hosts[i].online = true;
    return 0;
}

/* Waits, bounded, for a daemon sent SIGKILL. 0, or -1 when it outlives
 * TB_STOP_MS (its pid stays for the cleanup). */
static int reap(tb_host *h) {
    uint64_t deadline = mono_ns() + (uint64_t)TB_STOP_MS * 1000000;
    while (h->pid > 0) {
        pid_t r = waitpid(h->pid, NULL, WNOHANG);
        if (r == h->pid || (r < 0 && errno == ECHILD)) h->pid = 0;
        else if (mono_ns() >= deadline) return -1;
        else usleep(2000);
    }
    return 0;
}

/* Host i crashes, as the world's world_host_down: the process dies at
 * once (SIGKILL) and the kernel closes its connections. The daemon syncs
 * its trace first so that what it traced stays; the node_down a killed
 * daemon cannot write, the testbed adds to the merged trace (downs). */
static int crash_host(testbed *tb, uint32_t i, char *err, size_t cap) {
    tb_host *h = &tb->hosts[i];
    char why[256];
    if (h->control >= 0 && command(tb, i, "sync\n", why, sizeof why) != 0)
        fprintf(stderr, "swarmlab testbed: %s (its last trace lines may be lost)\n", why);
    struct tb_down *grown = realloc(tb->downs, (tb->down_count + 1) * sizeof *tb->downs);
    if (grown == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    tb->downs = grown;
    tb->downs[tb->down_count++] = (struct tb_down){.t = mono_ns(), .host = i, .life = h->lives - 1};
    if (h->pid > 0) kill(h->pid, SIGKILL);
    if (h->control >= 0) close(h->control);
    h->control = -1;
    h->online = false;
    if (reap(h) != 0) {
        snprintf(err, cap, "node%u: still running %d ms after SIGKILL", i, TB_STOP_MS);
        return -1;
    }
    return 0;
}

/* Host i comes back (or comes up late): a fresh daemon, same key and
 * address, subscribed, dialing every neighbour. */
static int restart_host(testbed *tb, uint32_t i, char *err, size_t cap) {
    if (spawn_host(tb, i, err, cap) != 0) return -1;
    if (wait_control(tb, i, mono_ns() + (uint64_t)TB_READY_MS * 1000000, err, cap) != 0) return -1;
    return join_host(tb, i, true, err, cap);
}

/* An attacker comes up, as the world's attack_up: it subscribes to every
 * topic of the workload and dials the honest hosts the world drew. A host
 * drawn again is skipped: the world's address names the peer, so its
 * node refuses a second dial to it; two dials to a bare address race, and
 * the daemons on both ends may each close the other's connection. */
static int attacker_up(testbed *tb, const attack_arrival *a, char *err, size_t cap) {
    char line[TB_LINE_MAX];
    for (size_t t = 0; t < tb->s->workload.topic_count; t++) {
        snprintf(line, sizeof line, "sub %s\n", tb->s->workload.topics[t]);
        if (command(tb, a->host, line, err, cap) != 0) return -1;
    }
    for (uint32_t d = 0; d < a->dial_count; d++) {
        bool again = false;
        for (uint32_t e = 0; e < d; e++) again |= a->dials[e] == a->dials[d];
        if (again)
            tb->dial_errors++;
        else
            dial(tb, a->host, a->dials[d]);
    }
    tb->hosts[a->host].online = true;
    return 0;
}

static int apply_change(testbed *tb, const faults_change *c, char *err, size_t cap) {
    switch (c->kind) {
    case FAULTS_CHANGE_JOIN: return join_host(tb, c->host, false, err, cap);
    case FAULTS_CHANGE_DOWN: return crash_host(tb, c->host, err, cap);
    case FAULTS_CHANGE_REJOIN: return restart_host(tb, c->host, err, cap);
    }
    return -1;
}

/* --shadow: the daemons run their scripts; the testbed waits for the
 * stop time, or until every daemon has ended its script and exited. */
static int drive_scripts(testbed *tb) {
    uint32_t running = tb->n;
    while (!stop_signal && running > 0 && mono_ns() - tb->t0 < tb->s->duration_ns) {
        sleep_until(tb, mono_ns() - tb->t0 + TB_TICK_NS);
        running = 0;
        for (uint32_t i = 0; i < tb->n; i++) {
            tb_host *h = &tb->hosts[i];
            if (h->pid > 0 && waitpid(h->pid, NULL, WNOHANG) == h->pid) h->pid = 0;
            running += h->pid > 0;
        }
    }
    return stop_signal ? -1 : 0;
}

/* Message number sequence from host who: "m<sequence>." padded with x to
 * workload.size, on the world's topic for it. */
static void publish(testbed *tb, uint32_t who, uint64_t sequence) {
    const scenario *s = tb->s;
    static char payload[TB_PAYLOAD_MAX + 1];
    const char *topic = s->workload.topics[sequence % s->workload.topic_count];
    size_t size = (size_t)s->workload.size_bytes;
    int head = snprintf(payload, sizeof payload, "m%llu.", (unsigned long long)sequence);
    for (size_t b = (size_t)head; b < size; b++) payload[b] = 'x';
    payload[size > (size_t)head ? size : (size_t)head] = '\0';
    char line[TB_LINE_MAX];
    snprintf(line, sizeof line, "pub %s %s\n", topic, payload);
    char why[256];
    if (command(tb, who, line, why, sizeof why) == 0)
        tb->published++;
    else if (tb->command_errors++ == 0)
        fprintf(stderr, "swarmlab testbed: %s\n", why);
}

static int drive(testbed *tb, char *err, size_t cap) {
    const scenario *s = tb->s;
    rng workload;
    rng_seed(&workload, s->seed, RNG_STREAM_WORKLOAD);
    uint32_t next_publisher = 0, next_arrival = 0;
    size_t next_change = 0;
    bool publishing = tb->publisher_count > 0 && s->workload.topic_count > 0 && s->workload.rate_per_s > 0 &&
                      s->workload.start_ns < s->workload.stop_ns;
    uint64_t next_publish = s->workload.start_ns, sequence = 0;
    tb->t0 = mono_ns();
    if (tb->t0_pipe[1] >= 0) {
        if (write(tb->t0_pipe[1], &tb->t0, sizeof tb->t0) != (ssize_t)sizeof tb->t0) {
            snprintf(err, cap, "testbed: cannot tell the switch the time: %s", strerror(errno));
            return -1;
        }
    }
    if (tb->params_path != NULL) return drive_scripts(tb);
    /* Bounded by the scenario's duration: every step moves time forward. */
    while (!stop_signal) {
        /* Joins, crashes and restarts, in the plan's order (faults_plan). */
        uint64_t next_change_at = next_change < tb->change_count ? tb->changes[next_change].at_ns : UINT64_MAX;
        uint64_t next_arrival_at = next_arrival < tb->total - tb->n ? tb->arrivals[next_arrival].at_ns : UINT64_MAX;
        uint64_t next = next_change_at < next_arrival_at ? next_change_at : next_arrival_at;
        if (publishing && next_publish < s->workload.stop_ns && next_publish < next) next = next_publish;
        if (next >= s->duration_ns) break;
        sleep_until(tb, next);
        if (stop_signal) break;
        if (next == next_change_at) { /* before attackers at the same time, as the world schedules them */
            if (apply_change(tb, &tb->changes[next_change++], err, cap) != 0) return -1;
            continue;
        }
        if (next == next_arrival_at) {
            if (attacker_up(tb, &tb->arrivals[next_arrival++], err, cap) != 0) return -1;
            continue;
        }
        uint32_t who = run_workload_publisher(s, &workload, tb->publishers, tb->publisher_count, &next_publisher);
        if (tb->hosts[who].online) publish(tb, who, sequence); /* as the world's: a host that is down publishes nothing */
        next_publish += run_workload_interval_ns(s, &workload);
        sequence++;
    }
    sleep_until(tb, s->duration_ns);
    return stop_signal ? -1 : 0;
}

/* ---- the traces, merged, through analysis/ ---------------------------- */

typedef struct tb_line {
    uint64_t t;
    uint32_t node;
    uint32_t order; /* in its file */
    char *text;
} tb_line;

typedef struct tb_lines {
    tb_line *items;
    size_t count, cap;
} tb_lines;

static int line_cmp(const void *a, const void *b) {
    const tb_line *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->node != y->node) return x->node < y->node ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Takes text (a copy) as host's line at time t. -1 when memory runs out. */
static int add_line(tb_lines *all, uint64_t t, uint32_t host, uint32_t order, const char *text) {
    if (all->count == all->cap) {
        size_t grow = all->cap ? all->cap * 2 : 4096;
        tb_line *items = realloc(all->items, grow * sizeof *items);
        if (items == NULL) return -1;
        all->items = items;
        all->cap = grow;
    }
    char *copy = strdup(text);
    if (copy == NULL) return -1;
    all->items[all->count++] = (tb_line){.t = t, .node = host, .order = order, .text = copy};
    return 0;
}

/* One life's trace file of host i, then the node_down of its crash, if
 * the testbed killed it (a killed daemon writes none). */
static int read_life(testbed *tb, uint32_t i, uint32_t life, uint32_t *order, tb_lines *all, char *err, size_t cap) {
    char path[TB_PATH_MAX + 32];
    life_path(&tb->hosts[i], life, "trace.jsonl", path, sizeof path);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t line_cap = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &line_cap, f) > 0) {
        unsigned long long t;
        if (sscanf(line, "{\"t\":%llu", &t) != 1) continue;
        /* The first daemons all start before time 0; a host is up, as in
         * the world, from its join time (its node-seconds online count
         * from there, which the bandwidth per node divides by). */
        uint64_t joined = tb->t0 + tb->join_at[i];
        if (t < joined && strstr(line, "\"event\":\"node_up\"") != NULL) t = joined;
        rc = add_line(all, t, i, (*order)++, line);
    }
    free(line);
    fclose(f);
    for (size_t k = 0; rc == 0 && k < tb->down_count; k++) {
        if (tb->downs[k].host != i || tb->downs[k].life != life) continue;
        char down[96];
        snprintf(down, sizeof down, "{\"t\":%llu,\"node\":0,\"event\":\"node_down\"}",
                 (unsigned long long)tb->downs[k].t);
        rc = add_line(all, tb->downs[k].t, i, (*order)++, down);
    }
    if (rc != 0) snprintf(err, cap, "out of memory");
    return rc;
}

static int read_traces(testbed *tb, tb_lines *all, char *err, size_t cap) {
    for (uint32_t i = 0; i < tb->total; i++) {
        uint32_t order = 0;
        for (uint32_t life = 0; life < tb->hosts[i].lives; life++)
            if (read_life(tb, i, life, &order, all, err, cap) != 0) return -1;
    }
    qsort(all->items, all->count, sizeof *all->items, line_cmp);
    return 0;
}

static int analyse(testbed *tb, double wall, char *err, size_t cap) {
    const scenario *s = tb->s;
    metrics_config mc = {.node_count = tb->total, .honest_count = tb->n, .attack = s->attacker_count > 0,
                         .attack_start_ns = attack_start_ns(s), .deadline_ns = s->metrics.deadline_ns,
                         .sample_ns = s->metrics.sample_ns, .duration_ns = s->duration_ns};
    if (tb->net != NULL) {
        mc.regions = (struct metrics_groups){.count = (uint32_t)s->network.regions.count, .names = tb->region_names,
                                             .of = tb->region_of};
        mc.classes = (struct metrics_groups){.count = (uint32_t)s->nodes.class_count, .names = tb->class_names,
                                             .of = tb->class_of};
    }
    metrics *m = metrics_create(&mc);
    if (m == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    tb_lines all = {0};
    int rc = read_traces(tb, &all, err, cap);
    trace_digest digest;
    trace_digest_init(&digest);
    static trace_json_storage storage;
    size_t bad = 0;
    for (size_t k = 0; rc == 0 && k < all.count; k++) {
        trace_event e;
        const char *why;
        char *nl = strchr(all.items[k].text, '\n');
        if (nl != NULL) *nl = '\0';
        if (trace_json_read(all.items[k].text, &e, &storage, &why) != 0) {
            if (bad++ == 0) fprintf(stderr, "swarmlab testbed: node%u: a trace line: %s\n", all.items[k].node, why);
            continue;
        }
        e.node_index = all.items[k].node;
        e.time_ns = all.items[k].t > tb->t0 ? all.items[k].t - tb->t0 : 0;
        trace_digest_update(&digest, &e);
        metrics_on_event(m, &e);
    }
    for (size_t k = 0; k < all.count; k++) free(all.items[k].text);
    free(all.items);
    if (rc != 0) {
        metrics_destroy(m);
        return -1;
    }
    metrics_finish(m, s->duration_ns);
    metrics_summary sum;
    metrics_get_summary(m, &sum);
    char hex[DIGEST_HEX_BYTES];
    trace_digest_final(&digest, hex);
    run_info info = {.scenario_name = s->name, .seed = s->seed, .digest_hex = hex, .wall_seconds = wall,
                     .events_processed = sum.events,
                     .router = s->protocol.router == ROUTER_FLOODSUB ? "floodsub" : "gossipsub"};
    static const char *const names[] = {"metrics.json", "messages.csv", "timeseries.csv", "latencies.txt"};
    char path[TB_PATH_MAX + 64];
    for (size_t i = 0; i < 4 && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%s", tb->out_dir, names[i]);
        int w = i == 0 ? metrics_write_json(m, &info, path)
              : i == 1 ? metrics_write_messages_csv(m, path)
              : i == 2 ? metrics_write_timeseries_csv(m, path)
                       : metrics_write_latencies(m, path);
        if (w != 0) {
            snprintf(err, cap, "%s: %s", path, strerror(errno));
            rc = -1;
        }
    }
    snprintf(path, sizeof path, "%s/%s", tb->out_dir, METRICS_REGIONS_CSV);
    if (rc == 0 && s->network.regions.count > 0 && metrics_write_regions_csv(m, path) != 0) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    plot_window windows[PLOT_WINDOWS_MAX]; /* offline windows and partitions, labelled as the world labels them */
    size_t window_count = faults_windows(tb->plan, windows, PLOT_WINDOWS_MAX);
    window_count += attack_windows(s, windows + window_count, PLOT_WINDOWS_MAX - window_count);
    if (rc == 0 && plot_windows_write(tb->out_dir, windows, window_count) != 0) {
        snprintf(err, cap, "%s/%s: %s", tb->out_dir, PLOT_WINDOWS_FILE, strerror(errno));
        rc = -1;
    }
    int plots = 0;
    char plot_error[256] = "";
    if (rc == 0 && tb->plots) {
        char title[160];
        snprintf(title, sizeof title, "%s, testbed, seed %llu", s->name, (unsigned long long)s->seed);
        plots = plot_run(tb->out_dir, title, plot_error, sizeof plot_error);
    }
    metrics_destroy(m);
    if (rc != 0) return -1;
    if (tb->result != NULL) {
        run_result *r = tb->result;
        memset(r, 0, sizeof *r);
        r->summary = sum;
        snprintf(r->digest, sizeof r->digest, "%s", hex);
        r->wall_seconds = wall;
        r->events_processed = sum.events;
        r->trace_events = sum.events;
        r->messages_published = sum.messages_published;
        r->plots_drawn = plots;
        snprintf(r->plot_error, sizeof r->plot_error, "%s", plot_error);
    }
    if (tb->quiet) return 0;
    printf("swarmlab testbed %s (seed %llu): %u daemons, %s, %.0f s in %.1f s wall\n", s->name,
           (unsigned long long)s->seed, tb->total, info.router, s->duration_ns / NS_PER_S_DOUBLE, wall);
    printf("  messages     %llu published; delivery ratio %.4f (%llu of %llu eligible pairs)\n",
           (unsigned long long)sum.messages_published, sum.delivery_ratio,
           (unsigned long long)sum.delivered_pairs, (unsigned long long)sum.eligible_pairs);
    printf("  latency      p50 %.1f ms   p90 %.1f ms   p99 %.1f ms   max %.1f ms\n", sum.latency_ms_p50,
           sum.latency_ms_p90, sum.latency_ms_p99, sum.latency_ms_max);
    printf("  duplicates   %.2f per delivery      hops mean %.2f, max %u\n", sum.duplicates_per_delivery,
           sum.hops_mean, sum.hops_max);
    printf("  bandwidth    %.0f B/s per node   amplification %.2fx   control overhead %.3f\n",
           sum.bandwidth_bytes_per_node_per_s, sum.amplification, sum.control_overhead);
    printf("  events       %llu traced%s\n", (unsigned long long)sum.events,
           bad ? " (some trace lines unreadable, see above)" : "");
    printf("  output       %s/ (metrics.json, messages.csv, timeseries.csv, hosts/nodeN/)\n", tb->out_dir);
    if (plots < 0) printf("  plots        not drawn: %s\n", plot_error);
    return 0;
}

/* ---- setup and cleanup ------------------------------------------------- */

static int choose(testbed *tb, char *err, size_t cap) {
    const scenario *s = tb->s;
    rng selectors;
    rng_seed(&selectors, s->seed, RNG_STREAM_SELECTORS);
    tb->subscriber = calloc(tb->n, sizeof *tb->subscriber);
    tb->publisher = calloc(tb->n, sizeof *tb->publisher);
    tb->publishers = calloc(tb->n, sizeof *tb->publishers);
    if (tb->subscriber == NULL || tb->publisher == NULL || tb->publishers == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    if (selector_resolve(&s->workload.subscribers, tb->n, &selectors, tb->subscriber) < 0 ||
        selector_resolve(&s->workload.publishers, tb->n, &selectors, tb->publisher) < 0) {
        snprintf(err, cap, "%s: a workload selector names a node beyond nodes.count", s->path);
        return -1;
    }
    for (uint32_t i = 0; i < tb->n; i++)
        if (tb->publisher[i]) tb->publishers[tb->publisher_count++] = i;
    if (s->network.regions.count > 0 || s->nodes.class_count > 0) {
        tb->net = netmodel_create(s, tb->n);
        tb->region_of = malloc(tb->n * sizeof *tb->region_of);
        tb->class_of = malloc(tb->n * sizeof *tb->class_of);
        if (tb->net == NULL || tb->region_of == NULL || tb->class_of == NULL) {
            snprintf(err, cap, "out of memory");
            return -1;
        }
        for (uint32_t i = 0; i < tb->n; i++) {
            tb->region_of[i] = netmodel_region(tb->net, i);
            tb->class_of[i] = netmodel_class(tb->net, i);
        }
        for (size_t i = 0; i < s->network.regions.count; i++) tb->region_names[i] = s->network.regions.list[i].name;
        for (size_t k = 0; k < s->nodes.class_count; k++) tb->class_names[k] = s->nodes.classes[k].name;
    }
    /* The world's churn and offline schedule, from the same join times. */
    tb->join_at = malloc(tb->total * sizeof *tb->join_at);
    tb->arrivals = attack_drop_arrivals(s, tb->n);
    if (tb->join_at == NULL || tb->arrivals == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < tb->n; i++) tb->join_at[i] = join_ns(tb, i);
    for (uint32_t k = 0; k < tb->total - tb->n; k++) tb->join_at[tb->arrivals[k].host] = tb->arrivals[k].at_ns;
    if ((tb->plan = faults_plan(s, tb->join_at)) == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    tb->changes = faults_plan_changes(tb->plan, &tb->change_count);
    rng topo_rng;
    rng_seed(&topo_rng, s->seed, RNG_STREAM_TOPOLOGY);
    if (topology_build(&tb->topo, s->network.topology, tb->n, s->network.degree, s->network.bootstrap_count,
                       &topo_rng, err, cap) != 0)
        return -1;
    tb->topo_built = true;
    return 0;
}

/* The partitions' groups, as the world's faults make them: each selector's
 * hosts a group, the hosts in none one more. */
static int make_partitions(testbed *tb, char *err, size_t cap) {
    const scenario *s = tb->s;
    size_t count = s->network.partition_count;
    if (count == 0) return 0;
    tb->partition_group = malloc(count * tb->n);
    bool *chosen = malloc(tb->n * sizeof *chosen);
    if (tb->partition_group == NULL || chosen == NULL || pipe2(tb->t0_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        free(chosen);
        snprintf(err, cap, "out of memory or descriptors");
        return -1;
    }
    for (size_t p = 0; p < count; p++) {
        const partition *part = &s->network.partitions[p];
        uint8_t *group = tb->partition_group + p * tb->n;
        memset(group, (int)part->group_count, tb->n);
        size_t grouped = 0;
        for (size_t g = 0; g < part->group_count; g++) {
            long k = selector_resolve(&part->groups[g], tb->n, NULL, chosen);
            if (k < 0) {
                free(chosen);
                snprintf(err, cap, "%s: network.partitions: a group names a node beyond nodes.count", s->path);
                return -1;
            }
            grouped += (size_t)k;
            for (uint32_t i = 0; i < tb->n; i++)
                if (chosen[i]) group[i] = (uint8_t)g;
        }
        tb->partition_at[p] = part->at_ns;
        tb->partition_until[p] = part->until_ns;
    }
    free(chosen);
    return 0;
}

static int make_network(testbed *tb, char *err, size_t cap) {
    const scenario *s = tb->s;
    tb->net_made = true;
    if (tb->netem) {
        testbed_shaping shaping = {.delay_ns = (uint64_t)s->network.latency.a, .loss = s->network.loss,
                                   .up_bps = s->network.up_bps, .down_bps = s->network.down_bps};
        if (testbed_net_create_core(tb->owner, err, cap) != 0) return -1;
        for (uint32_t i = 0; i < tb->total && !stop_signal; i++)
            if (testbed_net_create_host(tb->owner, i, &shaping, err, cap) != 0) return -1;
        return 0;
    }
    size_t n = tb->total;
    tb->tun_fds = malloc(n * sizeof *tb->tun_fds);
    tb->delay_ns = malloc(n * n * sizeof *tb->delay_ns);
    tb->up_bps = malloc(n * sizeof *tb->up_bps);
    tb->down_bps = malloc(n * sizeof *tb->down_bps);
    if (tb->tun_fds == NULL || tb->delay_ns == NULL || tb->up_bps == NULL || tb->down_bps == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    tb->loss = malloc(n * n * sizeof *tb->loss);
    if (tb->loss == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    /* What the world's links do, pair by pair (world_latency, netmodel). */
    bool regions = netmodel_has_regions(tb->net), classes = netmodel_has_bandwidths(tb->net);
    for (uint32_t i = 0; i < n; i++) {
        tb->tun_fds[i] = -1;
        tb->up_bps[i] = classes ? netmodel_up_bps(tb->net, i) : s->network.up_bps;
        tb->down_bps[i] = classes ? netmodel_down_bps(tb->net, i) : s->network.down_bps;
        for (uint32_t j = 0; j < n; j++) {
            size_t k = (size_t)i * n + j;
            tb->delay_ns[k] = regions ? netmodel_latency_ns(tb->net, i, j)
                                      : world_pair_latency(&s->network.latency, s->seed, i, j);
            double path = tb->net != NULL ? netmodel_loss(tb->net, i, j) : 0;
            tb->loss[k] = 1 - (1 - s->network.loss) * (1 - path);
        }
    }
    for (uint32_t i = 0; i < tb->total && !stop_signal; i++)
        if (testbed_net_create_host_tun(tb->owner, i, &tb->tun_fds[i], err, cap) != 0) return -1;
    if (stop_signal) return -1;
    if (make_partitions(tb, err, cap) != 0) return -1;
    testbed_switch_config sc = {.host_count = tb->total, .tun_fds = tb->tun_fds, .delay_ns = tb->delay_ns,
                                .up_bps = tb->up_bps, .down_bps = tb->down_bps, .loss = tb->loss,
                                .seed = s->seed, .partition_count = s->network.partition_count,
                                .partition_at_ns = tb->partition_at, .partition_until_ns = tb->partition_until,
                                .partition_group = tb->partition_group, .t0_fd = tb->t0_pipe[0]};
    tb->switch_pid = testbed_switch_start(&sc, err, cap);
    if (tb->t0_pipe[0] >= 0) {
        close(tb->t0_pipe[0]); /* the switch has its copy */
        tb->t0_pipe[0] = -1;
    }
    if (tb->switch_pid < 0) {
        tb->switch_pid = 0;
        return -1;
    }
    /* The daemons need not hold the TUN devices' other ends. */
    return 0;
}

static int make_dirs(testbed *tb, char *err, size_t cap) {
    snprintf(tb->socket_dir, sizeof tb->socket_dir, "/tmp/%s%d", TESTBED_PREFIX, (int)tb->owner);
    if (mkdir(tb->socket_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, cap, "%s: %s", tb->socket_dir, strerror(errno));
        return -1;
    }
    for (uint32_t i = 0; i < tb->total; i++) {
        tb_host *h = &tb->hosts[i];
        h->control = -1;
        int len = snprintf(h->dir, sizeof h->dir, "%s/hosts/node%u", tb->out_dir, i);
        if (len < 0 || (size_t)len >= sizeof h->dir - 64 || run_make_dir(h->dir) != 0) {
            snprintf(err, cap, "%s: cannot create the folder: %s", h->dir, strerror(errno));
            return -1;
        }
        snprintf(h->socket_path, sizeof h->socket_path, "%s/n%u.sock", tb->socket_dir, i);
        snprintf(h->trace_path, sizeof h->trace_path, "%s/trace.jsonl", h->dir);
    }
    return 0;
}

static void remove_socket_dir(testbed *tb) {
    if (tb->socket_dir[0] == '\0') return;
    for (uint32_t i = 0; i < tb->total; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/n%u.key", tb->socket_dir, i);
        unlink(path);
        unlink(tb->hosts[i].socket_path);
    }
    rmdir(tb->socket_dir);
}

static void stop_switch(testbed *tb) {
    if (tb->switch_pid > 0) {
        kill(tb->switch_pid, SIGTERM);
        uint64_t deadline = mono_ns() + (uint64_t)TB_STOP_MS * 1000000;
        while (waitpid(tb->switch_pid, NULL, WNOHANG) == 0) {
            if (mono_ns() >= deadline) {
                kill(tb->switch_pid, SIGKILL);
                waitpid(tb->switch_pid, NULL, 0);
                break;
            }
            usleep(5000);
        }
        tb->switch_pid = 0;
    }
    if (tb->tun_fds != NULL)
        for (uint32_t i = 0; i < tb->total; i++)
            if (tb->tun_fds[i] >= 0) close(tb->tun_fds[i]);
    free(tb->tun_fds);
    free(tb->delay_ns);
    free(tb->up_bps);
    free(tb->down_bps);
    free(tb->loss);
    tb->loss = NULL;
    free(tb->partition_group);
    tb->partition_group = NULL;
    for (int k = 0; k < 2; k++)
        if (tb->t0_pipe[k] >= 0) close(tb->t0_pipe[k]);
    tb->t0_pipe[0] = tb->t0_pipe[1] = -1;
    tb->tun_fds = NULL;
    tb->delay_ns = tb->up_bps = tb->down_bps = NULL;
}

static void cleanup(testbed *tb) {
    if (tb->hosts != NULL) stop_daemons(tb);
    stop_switch(tb);
    if (tb->net_made) testbed_net_destroy(tb->owner, tb->total);
    tb->net_made = false;
    if (tb->hosts != NULL) remove_socket_dir(tb);
}

static int run_testbed(testbed *tb, char *err, size_t cap) {
    char why[512];
    if (testbed_net_available(why, sizeof why) != 0) {
        snprintf(err, cap, "%s", why);
        return -1;
    }
    int swept = testbed_net_sweep();
    if (swept > 0) fprintf(stderr, "swarmlab testbed: removed %d leftovers of earlier testbeds\n", swept);
    tb->hosts = calloc(tb->total, sizeof *tb->hosts);
    if (tb->hosts == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < tb->total; i++) tb->hosts[i].control = -1;
    uint64_t started = mono_ns();
    int rc = make_dirs(tb, err, cap);
    if (rc == 0) rc = choose(tb, err, cap);
    if (rc == 0) rc = make_network(tb, err, cap);
    if (rc == 0) rc = start_daemons(tb, err, cap);
    if (rc == 0) rc = drive(tb, err, cap);
    cleanup(tb);
    if (stop_signal) {
        snprintf(err, cap, "interrupted by signal %d; daemons stopped, namespaces removed", (int)stop_signal);
        return -1;
    }
    if (rc == 0) {
        if (tb->command_errors > 0)
            fprintf(stderr, "swarmlab testbed: %llu publications failed\n", (unsigned long long)tb->command_errors);
        if (tb->dial_errors > 0) /* rejoins dial neighbours that are down, attackers may draw a host twice */
            fprintf(stderr, "swarmlab testbed: %llu rejoin or attacker dials refused\n",
                    (unsigned long long)tb->dial_errors);
        rc = analyse(tb, (double)(mono_ns() - started) / NS_PER_S_DOUBLE, err, cap);
    }
    return rc;
}

/* ---- the command ------------------------------------------------------- */

static int usage_error(const char *why) {
    fprintf(stderr, "swarmlab testbed: %s\n", why);
    fprintf(stderr, "usage: swarmlab testbed SCENARIO [--out DIR] [--seed N] [--set KEY=VALUE]... [--node PATH] "
                    "[--links tun|netem] [--no-plots]\n"
                    "       swarmlab testbed --shadow SHADOW.yaml [--out DIR] [--node PATH] [--no-plots]\n");
    return EXIT_BAD_INPUT;
}

/* The daemon next to this program: DIR/swarmlab-node for /proc/self/exe in DIR. */
static void default_node_path(char *out, size_t cap) {
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        snprintf(out, cap, "swarmlab-node");
        return;
    }
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL) *slash = '\0';
    snprintf(out, cap, "%.*s/swarmlab-node", (int)(cap > 32 ? cap - 32 : 0), self);
}

int testbed_available(char *why, size_t cap) { return testbed_net_available(why, cap); }

int testbed_check_scenario(const scenario *s, bool netem, char *err, size_t cap) {
    return check_supported(s, netem, err, cap);
}

int testbed_run(const testbed_options *o, run_result *result, char *err, size_t cap) {
    const scenario *s = o->scenario;
    if (o->params_path == NULL && check_supported(s, o->netem, err, cap) != 0) return EXIT_BAD_INPUT;
    char default_node[PATH_MAX];
    const char *node_path = o->node_path;
    if (node_path == NULL) {
        default_node_path(default_node, sizeof default_node);
        node_path = default_node;
    }
    if (access(node_path, X_OK) != 0) {
        snprintf(err, cap, "%s: %s (build it with make, or give --node PATH)", node_path, strerror(errno));
        return 1;
    }
    char default_out[SCENARIO_PATH_MAX + 64];
    const char *out_dir = o->out_dir;
    if (out_dir == NULL) {
        snprintf(default_out, sizeof default_out, "results/testbed/%s-%llu", s->name, (unsigned long long)s->seed);
        out_dir = default_out;
    }
    struct sigaction sa = {.sa_handler = on_signal}, old[3]; /* no SA_RESTART: a signal cuts a wait short */
    sigemptyset(&sa.sa_mask);
    static const int signals[3] = {SIGINT, SIGTERM, SIGHUP};
    for (int k = 0; k < 3; k++) sigaction(signals[k], &sa, &old[k]);
    stop_signal = 0;
    testbed tb = {.s = s, .out_dir = out_dir, .node_path = node_path, .plots = o->plots,
                  .params_path = o->params_path, .netem = o->netem, .owner = getpid(), .t0_pipe = {-1, -1},
                  .n = s->nodes.count, .total = s->nodes.count + attack_host_count(s), .quiet = o->quiet, .result = result};
    int rc = run_testbed(&tb, err, cap);
    if (tb.topo_built) topology_free(&tb.topo);
    free(tb.subscriber);
    free(tb.publisher);
    free(tb.publishers);
    free(tb.hosts);
    faults_destroy(tb.plan);
    free(tb.join_at);
    attack_arrivals_free(tb.arrivals, tb.total - tb.n);
    free(tb.downs);
    netmodel_destroy(tb.net);
    free(tb.region_of);
    free(tb.class_of);
    int interrupted = stop_signal;
    for (int k = 0; k < 3; k++) sigaction(signals[k], &old[k], NULL);
    if (rc != 0) return interrupted ? EXIT_INTERRUPTED : 1;
    return 0;
}

int testbed_command(int argc, char **argv) {
    const char *scenario_path = NULL, *out_dir = NULL, *node_path = NULL, *shadow_path = NULL;
    const char *overrides[TB_OVERRIDES_MAX + 1];
    size_t override_count = 0;
    char seed_override[48] = "";
    bool plots = true, netem = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--out") == 0 && has_value) {
            out_dir = argv[++i];
        } else if (strcmp(arg, "--shadow") == 0 && has_value) {
            if (shadow_path != NULL) return usage_error("testbed takes one --shadow file");
            shadow_path = argv[++i];
        } else if (strcmp(arg, "--node") == 0 && has_value) {
            node_path = argv[++i];
        } else if (strcmp(arg, "--set") == 0 && has_value) {
            if (override_count == TB_OVERRIDES_MAX) return usage_error("too many --set options");
            if (strchr(argv[i + 1], '=') == NULL) return usage_error("--set takes KEY=VALUE");
            overrides[override_count++] = argv[++i];
        } else if (strcmp(arg, "--seed") == 0 && has_value) {
            char *end;
            const char *text = argv[++i];
            unsigned long long seed = strtoull(text, &end, 10);
            if (*text == '\0' || *text == '-' || *end != '\0') return usage_error("--seed takes a non-negative integer");
            snprintf(seed_override, sizeof seed_override, "seed=%llu", seed);
        } else if (strcmp(arg, "--no-plots") == 0) {
            plots = false;
        } else if (strcmp(arg, "--links") == 0 && has_value) {
            const char *links = argv[++i];
            if (strcmp(links, "netem") == 0)
                netem = true;
            else if (strcmp(links, "tun") != 0)
                return usage_error("--links takes tun or netem");
        } else if (arg[0] == '-') {
            char why[160];
            snprintf(why, sizeof why, "unknown option or missing value: %s", arg);
            return usage_error(why);
        } else if (scenario_path == NULL) {
            scenario_path = arg;
        } else {
            return usage_error("testbed takes one scenario");
        }
    }
    static scenario s;
    char err[2048];
    char default_out[SCENARIO_PATH_MAX + 64];
    shadow_experiment *shadow = NULL;
    if (shadow_path != NULL) {
        if (scenario_path != NULL) return usage_error("testbed takes a scenario or --shadow, not both");
        if (override_count > 0 || seed_override[0] != '\0' || netem)
            return usage_error("--shadow runs the experiment unchanged: no --set, --seed or --links netem");
        if ((shadow = shadow_load(shadow_path, err, sizeof err)) == NULL) {
            fprintf(stderr, "swarmlab testbed: %s\n", err);
            return 1;
        }
        if (out_dir == NULL) {
            snprintf(default_out, sizeof default_out, "results/testbed/shadow-%llu",
                     (unsigned long long)shadow_config_of(shadow)->seed);
            out_dir = default_out;
        }
        int loaded = shadow_scenario(shadow, out_dir, &s, err, sizeof err);
        if (loaded == 0 && s.nodes.count > TESTBED_HOSTS_MAX) {
            snprintf(err, sizeof err, "%s: the testbed runs 1 to %d hosts", shadow_path, TESTBED_HOSTS_MAX);
            loaded = -1;
        }
        if (loaded != 0) {
            fprintf(stderr, "swarmlab testbed: %s\n", err);
            shadow_free(shadow);
            return 1;
        }
    } else {
        if (scenario_path == NULL) return usage_error("testbed needs a scenario file");
        if (seed_override[0] != '\0') overrides[override_count++] = seed_override;
        if (scenario_load(scenario_path, overrides, override_count, &s, err, sizeof err) != 0) {
            fprintf(stderr, "swarmlab testbed: %s\n", err);
            return EXIT_BAD_INPUT;
        }
    }
    testbed_options o = {.scenario = &s, .out_dir = out_dir, .node_path = node_path, .plots = plots, .netem = netem};
    static char params_path[PATH_MAX];
    if (shadow != NULL) {
        /* The daemons run in other folders: give them an absolute path. */
        const char *p = shadow_config_of(shadow)->params_path;
        if (realpath(p, params_path) == NULL) snprintf(params_path, sizeof params_path, "%s", p);
        shadow_free(shadow);
        o.params_path = params_path;
    }
    int rc = testbed_run(&o, NULL, err, sizeof err);
    if (rc != 0) fprintf(stderr, "swarmlab testbed: %s\n", err);
    return rc;
}
