/* world: virtual hosts, links and the world's seam. See world.h. */
#include "world.h"
#include "base/time_units.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/multiaddr.h"
#include "ns3/ns3_net.h"
#include "downlink.h"
#include "segvec.h"
#include "tcp.h"
#include "crypto/ed25519_verify.h"

#define WORLD_PORT 4001
/* Each sending host's loss and jitter streams. */
#define WORLD_STREAM_LOSS(host) (((uint64_t)RNG_STREAM_LOSS << 32) | (uint64_t)(host))
#define WORLD_STREAM_JITTER(host) (((uint64_t)RNG_STREAM_JITTER << 32) | (uint64_t)(host))
#define WORLD_TIMERS_PER_HOST_MAX 4096

/* TCP's timers, with Linux's values. A segment that gets no answer is sent
 * again after the retransmission timeout (RTO), which doubles each time up
 * to a cap; after so many retries TCP gives up. The world uses them where
 * a partition cuts a path (world.h). New data sent once the path works
 * again brings duplicate ACKs back within a round trip, and TCP then
 * retransmits at once (fast retransmit). */
#define WORLD_RTO_MIN_NS (200 * NS_PER_MS) /* TCP_RTO_MIN: the RTO is about RTT + 200 ms */
#define WORLD_RTO_MAX_NS (120 * NS_PER_S)  /* TCP_RTO_MAX */
#define WORLD_DATA_RETRIES 15                /* net.ipv4.tcp_retries2: about 15 minutes */
#define WORLD_SYN_RTO_NS (1 * NS_PER_S)    /* RFC 6298's initial RTO, for a SYN */
#define WORLD_SYN_RETRIES 6                  /* net.ipv4.tcp_syn_retries: gives up after 127 s */

/* EV_SYN: a dial's SYN reaches the listener's host, which answers it
 * (EV_CONNECTED on both ends) or, when no process listens, resets it.
 * EV_RETRANSMIT: a retransmission of the segments a partition holds back. */
/* EV_ACCEPT (backend ns3): ns-3's listener accepted the connection of end. */
enum world_event_kind { EV_CONNECTED = 1, EV_DATA, EV_CLOSED, EV_TIMER, EV_CALL, EV_SYN, EV_RETRANSMIT, EV_ACCEPT,
                        EV_TCP_BASE };
enum world_held_close { HELD_OPEN = 0, HELD_FIN, HELD_RST };

typedef struct world_timer {
    uint64_t timer_id;
    uint32_t generation; /* 0: free slot */
} world_timer;

typedef struct world_host {
    /* Its blocks (env store_*), first: blockstore_env_ops finds them at
     * the env's ctx. The world keeps them beside the node: they outlive
     * the process as a disk does, but for what was not synced. */
    blockstore store;
    world *w;
    uint32_t index;
    node *node; /* NULL while down */
    uint32_t incarnation;
    env env;
    uint8_t identity_seed[IDENTITY_SEED_BYTES];
    uint8_t random_key[crypto_stream_chacha20_KEYBYTES];
    uint64_t random_nonce;
    world_timer *timers;
    size_t timer_count, timer_cap;
    uint32_t timer_generation; /* the last timer generation handed out */
    uint64_t up_free_ns; /* when the uplink is next idle */
    downlink down;        /* when the downlink is booked */
    uint64_t up_bps, down_bps;         /* 0: unlimited */
    peer_id id;
    uint32_t ip4;  /* host order */
    uint16_t port;
    char address[MULTIADDR_TEXT_MAX];
    /* This host's ends that are not closed (connections, handshakes and
     * dials in flight), oldest first; empty while the host is down. */
    uint32_t *open_ends;
    size_t open_count, open_cap;
    /* The disk's list of peers: hosts it has been connected to, most
     * recent first; it survives the process. */
    uint32_t remembered[WORLD_REMEMBERED_PEERS_MAX];
    uint32_t remembered_count;
} world_host;
static_assert(offsetof(world_host, store) == 0, "blockstore_env_ops reads the store at ctx");

/* What one end sent while a partition cut the path: unacknowledged, it
 * waits for a retransmission to get through. */
typedef struct world_held {
    uint8_t *bytes;
    size_t len, cap;
    enum world_held_close close; /* the end closed behind these bytes */
    unsigned retries;
    uint64_t rto_ns;
    uint64_t timer_ns; /* the retransmission due; EV_RETRANSMIT events for other times are stale */
} world_held;

/* A connection: end 2k is the dialer's, end 2k+1 the listener's. */
typedef struct world_conn {
    uint32_t host[2];
    bool closed[2];
    uint64_t latency_ns;       /* half the round trip */
    uint64_t oneway_ns[2];     /* per sending end: the latency its bytes take */
    uint64_t established_ns;   /* when the dialer's bytes may leave */
    uint64_t last_arrival_ns[2]; /* per receiving end: keeps the stream ordered */
    world_held *held[2];       /* per sending end, while a partition holds its bytes */
    bool timed_out[2];         /* TCP gave up on this end's bytes: later ones vanish */
    bool tcp;                  /* opened in the TCP model (transport: tcp, the SYN went out) */
} world_conn;

/* A partition: while at_ns <= t < until_ns, hosts of different groups
 * cannot reach each other. */
typedef struct world_partition {
    uint64_t at_ns, until_ns;
    uint8_t *group; /* per host */
} world_partition;

/* Bytes in flight: an EV_DATA event's b points at one (malloc'd, freed
 * by the receiver), so that threads need no shared store. */
typedef struct world_packet {
    size_t len;
    uint8_t bytes[];
} world_packet;

struct world {
    world_config config;
    kernel kernel;
    world_host *hosts;
    segvec conns;       /* world_conn, by connection id (segvec.h: threads may append) */
    size_t conn_count;  /* ids handed out (atomically) */
    struct { world_call_fn fn; void *user; } calls[WORLD_CALLS_MAX];
    uint32_t call_count;
    /* Per sending host: which segments are lost, and their jitter (a
     * stream each, so that one host's draws do not depend on others'). */
    rng *loss_rngs, *jitter_rngs;
    world_stats stats;
    world_partition partitions[WORLD_PARTITIONS_MAX]; /* in time order, not overlapping */
    size_t partition_count;
    tcp_net *tcp; /* transport: tcp; NULL for ideal */
    /* backend: ns3 (NULL for builtin). ns-3 drives the clock: the kernel's
     * events run from one ns-3 timer (the pump) set at the kernel's
     * earliest event; see world_ns3_sync. */
    ns3_net *ns3;
    uint32_t ns3_conn_max;
    uint64_t pump_ns;    /* when the pump is due; UINT64_MAX: none */
    uint64_t pump_timer; /* its ns-3 timer id */
    /* Parallel (world_config.threads > 1): the threads used, why not more,
     * and per part the trace events of the window, merged at its end. */
    uint32_t threads;
    const char *threads_why;
    struct world_trace_buffer *trace_parts;
};

/* ---- the trace of a parallel world -------------------------------------- */

/* A trace event held until its window ends: the event (its pointers as
 * offsets into the buffer's bytes), and the (time, owner) it was emitted at. */
typedef struct world_trace_held {
    trace_event event;
    uint64_t owner;
    size_t msg_id, topic, peer, reason, protocol; /* offsets; SIZE_MAX: NULL */
} world_trace_held;

typedef struct world_trace_buffer {
    world_trace_held *events;
    size_t len, cap, next;
    uint8_t *bytes;
    size_t bytes_len, bytes_cap;
} world_trace_buffer;

static size_t trace_keep(world_trace_buffer *b, const void *data, size_t len) {
    if (data == NULL) return SIZE_MAX;
    if (b->bytes_len + len > b->bytes_cap) {
        size_t cap = b->bytes_cap ? 2 * b->bytes_cap : 4096;
        while (cap < b->bytes_len + len) cap *= 2;
        b->bytes = realloc(b->bytes, cap);
        if (b->bytes == NULL) abort();
        b->bytes_cap = cap;
    }
    size_t at = b->bytes_len;
    memcpy(b->bytes + at, data, len);
    b->bytes_len += len;
    return at;
}

static void trace_hold(world_trace_buffer *b, uint32_t owner, const trace_event *event) {
    if (b->len == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->events = realloc(b->events, b->cap * sizeof *b->events);
        if (b->events == NULL) abort();
    }
    world_trace_held *h = &b->events[b->len++];
    h->event = *event;
    h->owner = owner;
    h->msg_id = trace_keep(b, event->msg_id, event->msg_id_len);
    h->peer = trace_keep(b, event->peer, event->peer_len);
    h->topic = event->topic ? trace_keep(b, event->topic, strlen(event->topic) + 1) : SIZE_MAX;
    h->reason = event->reason ? trace_keep(b, event->reason, strlen(event->reason) + 1) : SIZE_MAX;
    h->protocol = event->protocol ? trace_keep(b, event->protocol, strlen(event->protocol) + 1) : SIZE_MAX;
}

static const void *trace_at(const world_trace_buffer *b, size_t off) { return off == SIZE_MAX ? NULL : b->bytes + off; }

/* At a window's end: every part's events to the trace callback, merged by
 * (time, owner); each part's are in that order already, and an owner's
 * are all in one part, so this is the serial order. */
static void world_flush_traces(void *ctx) {
    world *w = ctx;
    for (;;) {
        world_trace_buffer *best = NULL;
        for (uint32_t p = 0; p < w->threads; p++) {
            world_trace_buffer *b = &w->trace_parts[p];
            if (b->next == b->len) continue;
            const world_trace_held *h = &b->events[b->next];
            if (best == NULL) {
                best = b;
                continue;
            }
            const world_trace_held *o = &best->events[best->next];
            if (h->event.time_ns < o->event.time_ns || (h->event.time_ns == o->event.time_ns && h->owner < o->owner))
                best = b;
        }
        if (best == NULL) break;
        world_trace_held *h = &best->events[best->next++];
        trace_event e = h->event;
        e.msg_id = trace_at(best, h->msg_id);
        e.peer = trace_at(best, h->peer);
        e.topic = trace_at(best, h->topic);
        e.reason = trace_at(best, h->reason);
        e.protocol = trace_at(best, h->protocol);
        w->config.trace(w->config.trace_user, &e);
    }
    for (uint32_t p = 0; p < w->threads; p++) w->trace_parts[p].len = w->trace_parts[p].next = w->trace_parts[p].bytes_len = 0;
}

/* ---- forbidden global randomness -------------------------------------- */

static const char *forbidden_name(void) { return "swarmlab-world-forbidden"; }
static uint32_t forbidden_random(void) {
    fprintf(stderr, "swarmlab: libsodium's global randombytes was reached inside the world; "
                    "every random choice must come from the seed\n");
    abort();
}
static void forbidden_buf(void *const buf, const size_t size) {
    (void)buf;
    (void)size;
    forbidden_random();
}

void world_forbid_global_randomness(void) {
    static randombytes_implementation forbidden = {
        .implementation_name = forbidden_name, .random = forbidden_random, .buf = forbidden_buf};
    if (sodium_init() < 0) abort(); /* sodium_init draws its canary first */
    randombytes_set_implementation(&forbidden);
}

/* ---- small helpers ---------------------------------------------------- */

static void derive(uint8_t *out, size_t out_len, const char *label, uint64_t seed, uint64_t a, uint64_t b) {
    uint8_t material[32] = {0};
    size_t label_len = strlen(label);
    assert(label_len <= 8);
    memcpy(material, label, label_len);
    memcpy(material + 8, &seed, 8);
    memcpy(material + 16, &a, 8);
    memcpy(material + 24, &b, 8);
    crypto_generichash(out, out_len, material, sizeof material, NULL, 0);
}

static uint64_t serialization_ns(size_t len, uint64_t bps) {
    if (bps == 0) return 0;
    return (uint64_t)((double)len * 8.0 * NS_PER_S_DOUBLE / (double)bps + 0.5);
}

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static world_conn *conn_at(const world *w, uint64_t k) { return segvec_at(&w->conns, k); }

static world_host *host_of_end(world *w, uint64_t end, world_conn **conn) {
    *conn = conn_at(w, end / 2);
    return &w->hosts[(*conn)->host[end % 2]];
}

/* ---- open ends, remembered peers ------------------------------------- */

static void end_open(world *w, uint32_t end) {
    world_host *h = &w->hosts[conn_at(w, end / 2)->host[end % 2]];
    assert(h->node != NULL);
    if (h->open_count == h->open_cap) {
        h->open_cap = h->open_cap ? h->open_cap * 2 : 16;
        h->open_ends = realloc(h->open_ends, h->open_cap * sizeof *h->open_ends);
        if (h->open_ends == NULL) abort();
    }
    h->open_ends[h->open_count++] = end;
}

/* Marks an end closed and takes it off its host's list, which stays in
 * opening order (world_host_down resets in that order). An end that never
 * opened (a listener's, before its SYN) is simply marked. */
static void end_close_mark(world *w, uint64_t end) {
    world_conn *c = conn_at(w, end / 2);
    int side = (int)(end % 2);
    c->closed[side] = true;
    world_host *h = &w->hosts[c->host[side]];
    for (size_t i = 0; i < h->open_count; i++) {
        if (h->open_ends[i] != end) continue;
        memmove(&h->open_ends[i], &h->open_ends[i + 1], (h->open_count - i - 1) * sizeof *h->open_ends);
        h->open_count--;
        return;
    }
}

/* The host puts peer at the front of its list; the oldest falls off. */
static void host_remember(world_host *h, uint32_t peer) {
    assert(peer != h->index);
    uint32_t i = 0;
    while (i < h->remembered_count && h->remembered[i] != peer) i++;
    if (i == h->remembered_count && i < WORLD_REMEMBERED_PEERS_MAX) h->remembered_count++;
    if (i == WORLD_REMEMBERED_PEERS_MAX) i--; /* full: the oldest goes */
    memmove(&h->remembered[1], &h->remembered[0], i * sizeof h->remembered[0]);
    h->remembered[0] = peer;
}

/* ---- partitions ------------------------------------------------------- */

/* Whether a partition separates a and b at time t. */
static bool world_cut(const world *w, uint32_t a, uint32_t b, uint64_t t) {
    for (size_t i = 0; i < w->partition_count; i++) {
        const world_partition *p = &w->partitions[i];
        if (t < p->at_ns) return false; /* the rest start later still */
        if (t < p->until_ns) return p->group[a] != p->group[b];
    }
    return false;
}

/* TCP's attempts from *t on: it sends at *t, then again after rto, 2 rto,
 * 4 rto... (capped at WORLD_RTO_MAX_NS), `retries` times. true with *t the
 * first attempt no partition stops; false with *t the time TCP gives up
 * (one more timeout after the last retry). */
static bool world_through(const world *w, uint32_t a, uint32_t b, uint64_t *t, uint64_t rto, unsigned retries) {
    assert(rto > 0);
    for (unsigned i = 0;; i++) {
        if (!world_cut(w, a, b, *t)) return true;
        *t += rto;
        if (i == retries) return false;
        rto = 2 * rto < WORLD_RTO_MAX_NS ? 2 * rto : WORLD_RTO_MAX_NS;
    }
}

/* Whether what end `side` of c sends now meets a partition. The dialer's
 * bytes leave when the SYN-ACK is back (a working path), not before. */
static bool conn_cut(const world *w, const world_conn *c, int side) {
    uint64_t leave = kernel_now(&w->kernel);
    if (side == 0 && c->established_ns > leave) leave = c->established_ns;
    return world_cut(w, c->host[side], c->host[1 - side], leave);
}

/* The retransmission timeout of an established connection: RTT plus
 * Linux's floor, since a steady path has a small RTT variance. */
static uint64_t conn_rto_ns(const world_conn *c) { return 2 * c->latency_ns + WORLD_RTO_MIN_NS; }

/* Under ns3 a partition drops what crosses it (ns3_net_set_cut). */
static bool world_ns3_cut(void *user, uint32_t from, uint32_t to, uint64_t at_ns) {
    return world_cut(user, from, to, at_ns);
}

int world_add_partition(world *w, uint64_t at_ns, uint64_t until_ns, const uint8_t *group) {
    assert(at_ns < until_ns);
    assert(w->partition_count < WORLD_PARTITIONS_MAX);
    assert(w->partition_count == 0 || w->partitions[w->partition_count - 1].until_ns <= at_ns);
    uint8_t *copy = malloc(w->config.host_count);
    if (copy == NULL) return -1;
    memcpy(copy, group, w->config.host_count);
    w->partitions[w->partition_count++] = (world_partition){.at_ns = at_ns, .until_ns = until_ns, .group = copy};
    if (w->ns3 != NULL && !ns3_net_set_cut(w->ns3, world_ns3_cut, w)) return -1;
    return 0;
}

bool world_reachable(const world *w, uint32_t a, uint32_t b) {
    assert(a < w->config.host_count && b < w->config.host_count);
    return !world_cut(w, a, b, kernel_now(&w->kernel));
}

/* ---- packets ---------------------------------------------------------- */

static uint64_t packet_store(world *w, const uint8_t *bytes, size_t len) {
    (void)w;
    world_packet *p = malloc(sizeof *p + len);
    if (p == NULL) abort();
    p->len = len;
    memcpy(p->bytes, bytes, len);
    return (uint64_t)(uintptr_t)p;
}

static world_packet *packet_of(uint64_t b) { return (world_packet *)(uintptr_t)b; }
static void packet_release(uint64_t b) { free(packet_of(b)); }

/* ---- links ------------------------------------------------------------ */

uint64_t world_pair_latency(const dist *latency, uint64_t seed, uint32_t a, uint32_t b) {
    uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
    if (latency->kind == DIST_CONSTANT) return (uint64_t)latency->a;
    /* A stream per pair: the same pair always gets the same latency. */
    rng pair;
    rng_seed(&pair, seed ^ 0x6c6174656e6379ull, ((uint64_t)lo << 32) | hi);
    return (uint64_t)dist_sample(latency, &pair);
}

uint64_t world_latency(world *w, uint32_t a, uint32_t b) {
    if (netmodel_has_regions(w->config.net)) return netmodel_latency_ns(w->config.net, a, b);
    return world_pair_latency(&w->config.latency, w->config.seed, a, b);
}

/* The chance a segment from end `side` is lost: network.loss, and with a
 * network.graph the path's loss too (both must pass: 1 - (1-a)(1-b)). */
static double loss_rate(const world *w, const world_conn *c, int side) {
    double path = netmodel_loss(w->config.net, c->host[side], c->host[1 - side]);
    if (path <= 0) return w->config.loss; /* exactly as without a graph */
    return 1 - (1 - w->config.loss) * (1 - path);
}

/* Extra delay from lost segments: each loss costs a round trip. */
static uint64_t loss_delay_ns(world *w, uint32_t from, size_t len, uint64_t latency_ns, double loss) {
    if (loss <= 0) return 0;
    uint64_t delay = 0;
    size_t segments = (len + WORLD_SEGMENT_BYTES - 1) / WORLD_SEGMENT_BYTES;
    for (size_t i = 0; i < segments; i++) {
        /* A segment can be lost again on retransmission; bounded by the loss < 1 check. */
        for (int tries = 0; tries < 64 && rng_uniform(&w->loss_rngs[from]) < loss; tries++) {
            delay += 2 * latency_ns;
            __atomic_fetch_add(&w->stats.segments_lost, 1, __ATOMIC_RELAXED);
        }
    }
    return delay;
}

/* The most jitter of the path from end `side`: the regions' (or graph's), else none. */
static uint64_t path_jitter_ns(const world *w, const world_conn *c, int side) {
    if (!netmodel_has_regions(w->config.net)) return 0;
    return netmodel_jitter_ns(w->config.net, c->host[side], c->host[1 - side]);
}

/* The jitter of one write from end `side`: uniform up to the path's (the
 * stream stays in order). */
static uint64_t jitter_ns(world *w, const world_conn *c, int side) {
    uint64_t most = path_jitter_ns(w, c, side);
    return most == 0 ? 0 : rng_below(&w->jitter_rngs[c->host[side]], most + 1);
}

/* When bytes written now on end `end` reach the other end. They take the
 * sender's uplink now; the dialer's first bytes then wait in its socket
 * for the SYN-ACK, and such deferred bytes (and a held backlog, sent when
 * a partition heals) cost latency plus the slower serialization, booking
 * no downlink ahead of time, which would hold up what others send the
 * receiver meanwhile. */
static uint64_t link_arrival(world *w, world_conn *c, int side, size_t len) {
    world_host *from = &w->hosts[c->host[side]];
    world_host *to = &w->hosts[c->host[1 - side]];
    uint64_t up_ns = serialization_ns(len, from->up_bps), down_ns = serialization_ns(len, to->down_bps);
    uint64_t up_start = max_u64(kernel_now(&w->kernel), from->up_free_ns);
    from->up_free_ns = up_start + up_ns;
    uint64_t sent = max_u64(up_start, side == 0 ? c->established_ns : 0);
    uint64_t arrival;
    uint64_t latency = c->oneway_ns[side];
    if (sent == up_start) {
        uint64_t down_start = downlink_book(&to->down, kernel_now(&w->kernel), up_start + latency, down_ns);
        arrival = max_u64(up_start + up_ns + latency, down_start + down_ns);
    } else {
        arrival = sent + latency + max_u64(up_ns, down_ns);
    }
    arrival += loss_delay_ns(w, c->host[side], len, c->latency_ns, loss_rate(w, c, side)) + jitter_ns(w, c, side);
    int receiver = 1 - side;
    arrival = max_u64(arrival, c->last_arrival_ns[receiver]); /* a stream stays in order */
    c->last_arrival_ns[receiver] = arrival;
    return arrival;
}

/* ---- segments a partition holds back ---------------------------------- */

static void held_schedule(world *w, uint64_t end, uint64_t at_ns) {
    world_held *h = conn_at(w, end / 2)->held[end % 2];
    h->timer_ns = at_ns;
    kernel_schedule(&w->kernel, at_ns, EV_RETRANSMIT, (uint32_t)end, at_ns);
}

/* The bytes (len may be 0) join what end holds back; the first of them
 * starts the retransmission timer. */
static void held_add(world *w, uint64_t end, const uint8_t *bytes, size_t len) {
    world_conn *c = conn_at(w, end / 2);
    world_held **slot = &c->held[end % 2];
    if (*slot == NULL) {
        *slot = calloc(1, sizeof **slot);
        if (*slot == NULL) abort();
        (*slot)->rto_ns = conn_rto_ns(c);
        held_schedule(w, end, kernel_now(&w->kernel) + (*slot)->rto_ns);
    }
    world_held *h = *slot;
    if (h->len + len > h->cap) {
        h->cap = h->len + len > 2 * h->cap ? h->len + len : 2 * h->cap;
        h->bytes = realloc(h->bytes, h->cap);
        if (h->bytes == NULL) abort();
    }
    if (len > 0) memcpy(h->bytes + h->len, bytes, len);
    h->len += len;
}

static void held_free(world_conn *c, int side) {
    if (c->held[side] == NULL) return;
    free(c->held[side]->bytes);
    free(c->held[side]);
    c->held[side] = NULL;
}

/* New data on a path that works again: duplicate ACKs come back within a
 * round trip and TCP retransmits the backlog then, not at its RTO. */
static void held_fast_retransmit(world *w, uint64_t end) {
    world_conn *c = conn_at(w, end / 2);
    uint64_t at = kernel_now(&w->kernel) + 2 * c->latency_ns;
    if (at < c->held[end % 2]->timer_ns) held_schedule(w, end, at);
}

/* TCP gives up: this end hears of it now, the other one way later (no
 * host acts on another's state at the same instant: the parallel world's
 * lookahead, docs/performance.md). */
static void held_time_out(world *w, uint64_t end) {
    world_conn *c = conn_at(w, end / 2);
    held_free(c, (int)(end % 2));
    c->timed_out[end % 2] = true;
    kernel_schedule(&w->kernel, kernel_now(&w->kernel), EV_CLOSED, (uint32_t)end, 0);
    kernel_schedule(&w->kernel, kernel_now(&w->kernel) + c->oneway_ns[end % 2], EV_CLOSED, (uint32_t)(end ^ 1), 0);
}

/* The backlog gets through: its bytes, then its FIN or RST. */
static void held_deliver(world *w, uint64_t end) {
    world_conn *c = conn_at(w, end / 2);
    int side = (int)(end % 2);
    world_held *h = c->held[side];
    if (h->len > 0 && c->tcp) {
        tcp_write(w->tcp, (uint32_t)end, h->bytes, h->len);
    } else if (h->len > 0) {
        uint64_t arrival = link_arrival(w, c, side, h->len);
        kernel_schedule(&w->kernel, arrival, EV_DATA, (uint32_t)(end ^ 1), packet_store(w, h->bytes, h->len));
    }
    if (h->close == HELD_FIN && c->tcp) {
        tcp_fin(w->tcp, (uint32_t)end);
    } else if (h->close != HELD_OPEN) {
        uint64_t when = kernel_now(&w->kernel) + c->latency_ns;
        if (h->close == HELD_FIN) when = max_u64(when, c->last_arrival_ns[1 - side]);
        kernel_schedule(&w->kernel, when, EV_CLOSED, (uint32_t)(end ^ 1), 0);
    }
    held_free(c, side);
}

static void world_on_retransmit(world *w, const kernel_event *ev) {
    world_conn *c = conn_at(w, ev->a / 2);
    int side = (int)(ev->a % 2);
    world_held *h = c->held[side];
    if (h == NULL || h->timer_ns != ev->b) return; /* delivered already, or rescheduled */
    if (!world_cut(w, c->host[side], c->host[1 - side], kernel_now(&w->kernel))) return held_deliver(w, ev->a);
    if (h->retries == WORLD_DATA_RETRIES) return held_time_out(w, ev->a);
    h->retries++;
    h->rto_ns = 2 * h->rto_ns < WORLD_RTO_MAX_NS ? 2 * h->rto_ns : WORLD_RTO_MAX_NS;
    held_schedule(w, ev->a, kernel_now(&w->kernel) + h->rto_ns);
}

/* ---- backend ns3 ------------------------------------------------------ */

/* Under ns3 the world's kernel keeps every event it has under builtin
 * (timers, calls, the bytes and connection changes that reach a node), and
 * ns-3 owns the clock: world_run runs ns-3, and one ns-3 timer, the pump,
 * stands at the kernel's earliest event; when it fires, the kernel runs
 * the events due at that instant, so node code always runs with the
 * kernel's now equal to ns-3's. ns-3's callbacks (bytes, established,
 * closed) schedule kernel events at ns-3's now and move the pump earlier
 * when they must. Both sides order by (time, insertion), so a run is the
 * same every time (docs/fidelity.md "The ns3 backend"). */

static void world_dispatch(void *ctx, const kernel_event *ev);
static void world_ns3_sync(world *w);

static void world_ns3_pump(void *arg) {
    world *w = arg;
    w->pump_ns = UINT64_MAX;
    w->pump_timer = 0;
    kernel_run(&w->kernel, ns3_net_now_ns(w->ns3), world_dispatch, w);
    world_ns3_sync(w);
}

/* Puts the pump at the kernel's earliest event, if it is not there already. */
static void world_ns3_sync(world *w) {
    if (w->kernel.len == 0) return;
    uint64_t next = w->kernel.heap[0].time_ns;
    if (next >= w->pump_ns) return;
    if (w->pump_timer != 0) ns3_net_cancel(w->ns3, w->pump_timer);
    uint64_t now = ns3_net_now_ns(w->ns3);
    w->pump_ns = next > now ? next : now;
    w->pump_timer = ns3_net_schedule(w->ns3, w->pump_ns, world_ns3_pump, w);
}

static void world_ns3_deliver(void *user, uint32_t to_end, uint64_t at_ns, const uint8_t *bytes, size_t len) {
    world *w = user;
    kernel_schedule(&w->kernel, at_ns, EV_DATA, to_end, packet_store(w, bytes, len));
    world_ns3_sync(w);
}

static void world_ns3_established(void *user, uint32_t end, uint64_t at_ns) {
    world *w = user;
    if (end % 2 == 0)
        kernel_schedule(&w->kernel, at_ns, EV_CONNECTED, end, 1);
    else
        kernel_schedule(&w->kernel, at_ns, EV_ACCEPT, end, 0);
    world_ns3_sync(w);
}

static void world_ns3_closed(void *user, uint32_t end, uint64_t at_ns, bool error) {
    world *w = user;
    (void)error; /* a FIN or a failure: the node hears the same (env.h's on_closed) */
    kernel_schedule(&w->kernel, at_ns, EV_CLOSED, end, 0);
    world_ns3_sync(w);
}

/* ns-3's listener took the connection (end is the listener's): the node
 * hears of it now, as on a SYN under builtin. */
static void world_on_accept(world *w, uint32_t end) {
    world_conn *c = conn_at(w, end / 2);
    world_host *listener = &w->hosts[c->host[1]];
    if (c->closed[0] || c->closed[1] || listener->node == NULL) { /* gone, or its process died since the SYN */
        c->closed[1] = true;
        ns3_net_reset(w->ns3, end);
        return;
    }
    end_open(w, end);
    host_remember(listener, c->host[0]);
    node_on_connection(listener->node, end, false);
}

/* ns-3's network for the world's hosts: their bandwidths, and latencies
 * from the regions (a router per region that has hosts; a network.graph's
 * nodes are regions too, with a loss per path) or, without regions, from
 * network.latency's constant (one region: each access link half of it).
 * NULL with the reason on stderr. */
static ns3_net *world_ns3_create(world *w) {
    const world_config *config = &w->config;
    uint32_t n = config->host_count;
    uint64_t *up = calloc(n, sizeof *up), *down = calloc(n, sizeof *down);
    uint32_t *region = calloc(n, sizeof *region);
    uint32_t rep[NS3_NET_REGIONS_MAX]; /* a host of each compact region */
    uint64_t latency[NS3_NET_REGIONS_MAX * NS3_NET_REGIONS_MAX];
    double path_loss[NS3_NET_REGIONS_MAX * NS3_NET_REGIONS_MAX] = {0};
    uint64_t jitter[NS3_NET_REGIONS_MAX * NS3_NET_REGIONS_MAX] = {0};
    uint32_t region_count = 0;
    ns3_net *net = NULL;
    if (up == NULL || down == NULL || region == NULL) goto out;
    for (uint32_t i = 0; i < n; i++) {
        up[i] = w->hosts[i].up_bps;
        down[i] = w->hosts[i].down_bps;
    }
    if (netmodel_has_regions(config->net)) {
        uint32_t compact[256];
        memset(compact, 0xff, sizeof compact);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = netmodel_region(config->net, i);
            assert(r < 256);
            if (compact[r] == UINT32_MAX) {
                if (region_count == NS3_NET_REGIONS_MAX) {
                    fprintf(stderr, "world: more than %d regions for ns-3\n", NS3_NET_REGIONS_MAX);
                    goto out;
                }
                rep[region_count] = i;
                compact[r] = region_count++;
            }
            region[i] = compact[r];
        }
        for (uint32_t a = 0; a < region_count; a++)
            for (uint32_t b = 0; b < region_count; b++) { /* the paths: latency, jitter, a graph's loss */
                latency[a * region_count + b] = netmodel_latency_ns(config->net, rep[a], rep[b]);
                jitter[a * region_count + b] = netmodel_jitter_ns(config->net, rep[a], rep[b]);
                path_loss[a * region_count + b] = netmodel_loss(config->net, rep[a], rep[b]);
            }
    } else {
        if (config->latency.kind != DIST_CONSTANT) {
            fprintf(stderr, "world: under ns3 the latency must be a constant or come from regions\n");
            goto out;
        }
        region_count = 1;
        latency[0] = (uint64_t)config->latency.a;
    }
    uint64_t conn_max = (uint64_t)n * 64 < 4096 ? 4096 : (uint64_t)n * 64;
    if (conn_max > NS3_NET_CONNS_MAX) conn_max = NS3_NET_CONNS_MAX;
    w->ns3_conn_max = (uint32_t)conn_max;
    ns3_net_config nc = {.host_count = n, .host_up_bps = up, .host_down_bps = down, .region_count = region_count,
                         .latency_ns = latency, .host_region = region, .loss = config->loss,
                         .path_loss = path_loss, .jitter_ns = jitter, .seed = config->seed,
                         .congestion = NS3_NET_LINUX_RENO, .ack_every = 1, .conn_max = w->ns3_conn_max,
                         .idle_restart = !config->tcp_no_idle_restart, .host_fair_queue = true,
                         .deliver = world_ns3_deliver, .established = world_ns3_established,
                         .closed = world_ns3_closed, .user = w};
    net = ns3_net_create(&nc);
    /* A host listens while its process runs (world_host_up): a SYN to one
     * that does not gets an RST from ns-3's TCP, as under builtin. */
    for (uint32_t i = 0; net != NULL && i < n; i++) (void)ns3_net_listen(net, i, false);
out:
    free(up);
    free(down);
    free(region);
    return net;
}

/* ---- the seam --------------------------------------------------------- */

static uint64_t env_now(void *ctx) { return kernel_now(&((world_host *)ctx)->w->kernel); }

static void env_random(void *ctx, uint8_t *out, size_t len) {
    world_host *h = ctx;
    uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
    memcpy(nonce, &h->random_nonce, sizeof nonce);
    crypto_stream_chacha20(out, len, nonce, h->random_key);
    h->random_nonce++; /* every draw takes a fresh block stream */
}

static world_timer *host_timer(world_host *h, uint64_t timer_id) {
    for (size_t i = 0; i < h->timer_count; i++)
        if (h->timers[i].generation != 0 && h->timers[i].timer_id == timer_id) return &h->timers[i];
    return NULL;
}

static void env_timer_set(void *ctx, uint64_t timer_id, uint64_t deadline_ns) {
    world_host *h = ctx;
    world *w = h->w;
    world_timer *t = host_timer(h, timer_id);
    if (t == NULL) {
        for (size_t i = 0; i < h->timer_count && t == NULL; i++)
            if (h->timers[i].generation == 0) t = &h->timers[i];
    }
    if (t == NULL) {
        if (h->timer_count == WORLD_TIMERS_PER_HOST_MAX) abort(); /* a node's timers are bounded */
        if (h->timer_count == h->timer_cap) {
            h->timer_cap = h->timer_cap ? h->timer_cap * 2 : 8;
            h->timers = realloc(h->timers, h->timer_cap * sizeof *h->timers);
            if (h->timers == NULL) abort();
        }
        t = &h->timers[h->timer_count++];
    }
    t->timer_id = timer_id;
    t->generation = ++h->timer_generation ? h->timer_generation : ++h->timer_generation;
    uint64_t slot = (uint64_t)(t - h->timers);
    uint64_t when = max_u64(deadline_ns, kernel_now(&w->kernel));
    kernel_schedule(&w->kernel, when, EV_TIMER, h->index, (slot << 32) | t->generation);
}

static void env_timer_cancel(void *ctx, uint64_t timer_id) {
    world_timer *t = host_timer(ctx, timer_id);
    if (t != NULL) t->generation = 0;
}

static int env_listen(void *ctx, const char *text) {
    world_host *h = ctx;
    return strncmp(text, h->address, strlen(h->address)) == 0 ? 0 : -1;
}

static uint32_t world_open_conn(world *w, uint32_t dialer, uint32_t listener) {
    /* Ids are handed out in any order across threads: nothing depends on
     * their values (nodes only compare them). */
    size_t k = __atomic_fetch_add(&w->conn_count, 1, __ATOMIC_RELAXED);
    assert(2 * k + 1 <= UINT32_MAX);
    world_conn *c = segvec_make(&w->conns, k);
    c->host[0] = dialer;
    c->host[1] = listener;
    c->oneway_ns[0] = world_latency(w, dialer, listener);
    c->oneway_ns[1] = world_latency(w, listener, dialer);
    c->latency_ns = (c->oneway_ns[0] + c->oneway_ns[1]) / 2;
    c->established_ns = kernel_now(&w->kernel) + 2 * c->latency_ns; /* SYN, SYN-ACK */
    __atomic_fetch_add(&w->stats.connections_opened, 1, __ATOMIC_RELAXED);
    return (uint32_t)k;
}

/* The host listening at text: the address names its owner, the port its
 * rank among the hosts sharing it. */
static int host_of_address(world *w, const char *text, uint32_t *host) {
    multiaddr ma;
    if (multiaddr_parse(text, &ma) != 0 || ma.ip4[0] != 10 || ma.port < WORLD_PORT) return -1;
    uint32_t owner = ((uint32_t)ma.ip4[1] << 16 | (uint32_t)ma.ip4[2] << 8 | ma.ip4[3]) - 1;
    uint64_t index = (uint64_t)owner + (ma.port - WORLD_PORT);
    if (index >= w->config.host_count) return -1;
    const world_host *h = &w->hosts[index];
    if (h->port != ma.port || h->ip4 != w->hosts[owner].ip4) return -1;
    *host = (uint32_t)index;
    return 0;
}

static uint32_t env_remote_ip4(void *ctx, uint64_t end) {
    world_host *h = ctx;
    world_conn *c;
    host_of_end(h->w, end, &c);
    return h->w->hosts[c->host[1 - end % 2]].ip4;
}

/* The verification memo answers every node's signature checks (world_config.verify_memo). */
static int env_verify_ed25519(void *ctx, const uint8_t public_key[32], const uint8_t *msg, size_t len,
                              const uint8_t sig[64]) {
    world_host *h = ctx;
    return verify_memo_check(h->w->config.verify_memo, public_key, msg, len, sig);
}

static int env_dial(void *ctx, const char *text, uint64_t *conn_id) {
    world_host *h = ctx;
    world *w = h->w;
    uint32_t target;
    if (host_of_address(w, text, &target) != 0) return -1;
    uint32_t k = world_open_conn(w, h->index, target);
    world_conn *c = conn_at(w, k);
    *conn_id = 2 * (uint64_t)k;
    end_open(w, 2 * k);
    if (w->ns3 != NULL) {
        if (k >= w->ns3_conn_max || !ns3_net_open(w->ns3, k, h->index, target)) {
            if (k == w->ns3_conn_max) fprintf(stderr, "world: more than %u connections under ns3\n", w->ns3_conn_max);
            c->closed[1] = true;
            kernel_schedule(&w->kernel, kernel_now(&w->kernel), EV_CLOSED, 2 * k, 0);
        }
        return 0;
    }
    /* Whether anyone listens is decided when the SYN arrives (EV_SYN). A
     * partition holds the SYN until a retry gets through after it heals;
     * if none does, connect() times out. */
    uint64_t syn = kernel_now(&w->kernel);
    if (!world_through(w, h->index, target, &syn, WORLD_SYN_RTO_NS, WORLD_SYN_RETRIES)) {
        c->closed[1] = true;
        c->established_ns = syn;
        kernel_schedule(&w->kernel, syn, EV_CLOSED, 2 * k, 0);
        return 0;
    }
    c->established_ns = syn + 2 * c->latency_ns;
    if (w->tcp != NULL) {
        tcp_open(w->tcp, k, h->index, target, c->oneway_ns[0], c->established_ns);
        for (int side = 0; side < 2; side++)
            tcp_set_path(w->tcp, 2 * k + (uint32_t)side, c->oneway_ns[side], path_jitter_ns(w, c, side),
                         loss_rate(w, c, side));
        c->tcp = true;
    }
    kernel_schedule(&w->kernel, syn + c->oneway_ns[0], EV_SYN, 2 * k + 1, 0);
    return 0;
}

/* A dial's SYN reaches the listener's host (end is the listener's): the
 * host answers with a SYN-ACK, or with an RST when no process listens. */
static void world_on_syn(world *w, uint32_t end) {
    world_conn *c = conn_at(w, end / 2);
    assert(end % 2 == 1);
    uint64_t now = kernel_now(&w->kernel);
    /* A dialer that gave up before its SYN arrived is not known here: its
     * FIN or RST follows the SYN (no host reads another's state), unless
     * it came first (a SYN held by a partition): then the listener's end
     * is closed already and the SYN finds nothing. */
    if (c->closed[1]) return;
    if (w->hosts[c->host[1]].node == NULL) { /* nobody listens: the SYN gets an RST */
        c->closed[1] = true;
        kernel_schedule(&w->kernel, now + c->oneway_ns[1], EV_CLOSED, end ^ 1, 0);
        return;
    }
    /* The listener takes the connection now, before any byte can arrive
     * (the dialer's first bytes come with its ACK, a round trip later). */
    kernel_schedule(&w->kernel, now + c->oneway_ns[1], EV_CONNECTED, end ^ 1, 1);
    end_open(w, end);
    world_host *listener = &w->hosts[c->host[1]];
    host_remember(listener, c->host[0]);
    node_on_connection(listener->node, end, false);
}


static int env_write(void *ctx, uint64_t end, const uint8_t *bytes, size_t len) {
    world_host *h = ctx;
    world *w = h->w;
    world_conn *c;
    host_of_end(w, end, &c);
    int side = (int)(end % 2);
    assert(c->host[side] == h->index);
    if (c->closed[side]) return -1;
    /* Bytes to a peer that has closed go out until its FIN or RST arrives
     * (no host reads another's state), and vanish there. */
    if (c->timed_out[side] || len == 0) return 0;
    __atomic_fetch_add(&w->stats.bytes_written, len, __ATOMIC_RELAXED);
    if (w->ns3 != NULL) {
        ns3_net_write(w->ns3, (uint32_t)end, bytes, len);
        return 0;
    }
    bool cut = conn_cut(w, c, side);
    if (c->held[side] != NULL || cut) { /* behind a backlog, or into a partition */
        held_add(w, end, bytes, len);
        if (!cut) held_fast_retransmit(w, end);
        return 0;
    }
    if (c->tcp) {
        tcp_write(w->tcp, (uint32_t)end, bytes, len);
        return 0;
    }
    uint64_t arrival = link_arrival(w, c, side, len);
    kernel_schedule(&w->kernel, arrival, EV_DATA, (uint32_t)(end ^ 1), packet_store(w, bytes, len));
    return 0;
}

/* The TCP model's bytes and FINs reach an end. */
static void world_tcp_deliver(void *user, uint32_t to_end, uint64_t at_ns, const uint8_t *bytes, size_t len) {
    world *w = user;
    world_conn *c = conn_at(w, to_end / 2);
    c->last_arrival_ns[to_end % 2] = max_u64(c->last_arrival_ns[to_end % 2], at_ns);
    kernel_schedule(&w->kernel, at_ns, EV_DATA, to_end, packet_store(w, bytes, len));
}

static void world_tcp_fin(void *user, uint32_t to_end, uint64_t at_ns) {
    world *w = user;
    world_conn *c = conn_at(w, to_end / 2);
    kernel_schedule(&w->kernel, max_u64(at_ns, c->last_arrival_ns[to_end % 2]), EV_CLOSED, to_end, 0);
}

/* Closes one end; the other hears of it after the bytes already in flight
 * (a FIN), or one way later (an RST, which discards what is held back).
 * Across a partition the FIN or RST waits with the held bytes, and goes
 * when they do: the peer learns of the close at the heal, as it would
 * from its next exchange. */
static void world_close_end(world *w, uint64_t end, bool reset) {
    world_conn *c = conn_at(w, end / 2);
    int side = (int)(end % 2);
    if (c->closed[side]) return;
    end_close_mark(w, end);
    if (w->ns3 != NULL) { /* a FIN after its bytes, or an RST now (docs/fidelity.md) */
        if (reset)
            ns3_net_reset(w->ns3, (uint32_t)end);
        else
            ns3_net_close(w->ns3, (uint32_t)end);
        return;
    }
    if (c->held[side] != NULL || conn_cut(w, c, side)) {
        held_add(w, end, NULL, 0);
        if (reset) c->held[side]->len = 0;
        c->held[side]->close = reset ? HELD_RST : HELD_FIN;
        return;
    }
    if (c->tcp && !reset) return tcp_fin(w->tcp, (uint32_t)end); /* after its queued bytes */
    if (c->tcp) tcp_reset(w->tcp, (uint32_t)end);
    uint64_t when = kernel_now(&w->kernel) + c->oneway_ns[side];
    if (!reset) when = max_u64(when, c->last_arrival_ns[1 - side]);
    kernel_schedule(&w->kernel, when, EV_CLOSED, (uint32_t)(end ^ 1), 0);
}

static void env_close(void *ctx, uint64_t end) {
    world_host *h = ctx;
    world_close_end(h->w, end, false);
}

static void env_trace(void *ctx, const trace_event *event) {
    world_host *h = ctx;
    if (h->w->config.trace == NULL) return;
    trace_event stamped = *event;
    stamped.node_index = h->index;
    int part = h->w->trace_parts != NULL ? kernel_current_part(&h->w->kernel) : -1;
    if (part >= 0) return trace_hold(&h->w->trace_parts[part], h->index + 1, &stamped);
    h->w->config.trace(h->w->config.trace_user, &stamped);
}

static void world_trace_node_event(world *w, world_host *h, trace_kind kind) {
    if (w->config.trace == NULL) return;
    trace_event event = {.kind = kind, .time_ns = kernel_now(&w->kernel), .node_index = h->index,
                         .peer = h->id.bytes, .peer_len = h->id.len};
    w->config.trace(w->config.trace_user, &event);
}

/* ---- hosts ------------------------------------------------------------ */

static void world_cut_into_parts(world *w);

/* Whose state an event touches (kernel.h): 0 for the world's calls, else
 * 1 + the host: a timer's, an end's (bytes, connection changes, the SYN
 * at the listener), the sending end's (its retransmissions), the TCP
 * model's sender. */
static uint32_t world_event_owner(void *ctx, uint32_t kind, uint32_t a) {
    world *w = ctx;
    switch (kind) {
    case EV_CALL:
        return 0;
    case EV_TIMER:
        return a + 1;
    case EV_CONNECTED:
    case EV_DATA:
    case EV_CLOSED:
    case EV_SYN:
    case EV_ACCEPT:
    case EV_RETRANSMIT:
        return conn_at(w, a / 2)->host[a % 2] + 1;
    default:
        return tcp_event_host(w->tcp, kind, a) + 1;
    }
}

world *world_create(const world_config *config) {
    assert(config->host_count > 0 && config->host_count <= WORLD_HOSTS_MAX);
    assert(config->loss >= 0 && config->loss < 1);
    world *w = calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->config = *config;
    w->config.ip_owner = NULL; /* read here only: the hosts keep their address */
    kernel_init(&w->kernel);
    segvec_init(&w->conns, sizeof(world_conn));
    kernel_set_owners(&w->kernel, config->host_count + 1, world_event_owner, w);
    w->hosts = calloc(config->host_count, sizeof *w->hosts);
    w->loss_rngs = calloc(config->host_count, sizeof *w->loss_rngs);
    w->jitter_rngs = calloc(config->host_count, sizeof *w->jitter_rngs);
    if (w->hosts == NULL || w->loss_rngs == NULL || w->jitter_rngs == NULL) {
        kernel_free(&w->kernel);
        free(w->hosts);
        free(w->loss_rngs);
        free(w->jitter_rngs);
        free(w);
        return NULL;
    }
    for (uint32_t i = 0; i < config->host_count; i++) { /* a stream per sending host */
        rng_seed(&w->loss_rngs[i], config->seed, WORLD_STREAM_LOSS(i));
        rng_seed(&w->jitter_rngs[i], config->seed, WORLD_STREAM_JITTER(i));
    }
    w->pump_ns = UINT64_MAX;
    if (config->transport == TRANSPORT_TCP && config->backend == BACKEND_BUILTIN) {
        tcp_config tcp = {.host_count = config->host_count, .up_bps = config->up_bps, .down_bps = config->down_bps,
                          .loss = config->loss, .event_base = EV_TCP_BASE, .loss_rng = w->loss_rngs,
                          .jitter_rng = w->jitter_rngs, .rng_per_host = true, .no_idle_restart = config->tcp_no_idle_restart,
                          .deliver = world_tcp_deliver, .fin = world_tcp_fin, .user = w};
        w->tcp = tcp_create(&w->kernel, &tcp);
        if (w->tcp == NULL) abort();
    }
    for (uint32_t i = 0; i < config->host_count; i++) {
        world_host *h = &w->hosts[i];
        h->w = w;
        h->index = i;
        bool classes = netmodel_has_bandwidths(config->net);
        h->up_bps = classes ? netmodel_up_bps(config->net, i) : config->up_bps;
        h->down_bps = classes ? netmodel_down_bps(config->net, i) : config->down_bps;
        if (w->tcp != NULL) tcp_set_bandwidth(w->tcp, i, h->up_bps, h->down_bps);
        if (config->identity_seed != NULL)
            config->identity_seed(config->identity_seed_user, i, h->identity_seed);
        else
            derive(h->identity_seed, sizeof h->identity_seed, "identity", config->seed, i, 0);
        identity id;
        identity_from_seed(&id, h->identity_seed);
        peer_id_from_public_key(id.public_key, &h->id);
        identity_wipe(&id);
        uint32_t owner = config->ip_owner != NULL ? config->ip_owner[i] : i;
        assert(owner <= i && (config->ip_owner == NULL || config->ip_owner[owner] == owner));
        assert(i - owner <= 65535 - WORLD_PORT);
        uint32_t ip = owner + 1;
        h->ip4 = 0x0a000000u | ip;
        h->port = (uint16_t)(WORLD_PORT + (i - owner));
        snprintf(h->address, sizeof h->address, "/ip4/10.%u.%u.%u/tcp/%u", (ip >> 16) & 255,
                 (ip >> 8) & 255, ip & 255, (unsigned)h->port);
        h->env = (env){.ctx = h, .now_ns = env_now, .timer_set = env_timer_set,
                       .timer_cancel = env_timer_cancel, .listen = env_listen, .dial = env_dial,
                       .write = env_write, .close = env_close, .random = env_random, .trace = env_trace,
                       .remote_ip4 = env_remote_ip4,
                       .verify_ed25519 = config->verify_memo != NULL ? env_verify_ed25519 : NULL};
        blockstore_env_ops(&h->env);
        blockstore_init(&h->store, config->store_bytes_max ? config->store_bytes_max : WORLD_STORE_BYTES_DEFAULT);
    }
    world_cut_into_parts(w);
    if (config->backend == BACKEND_NS3) {
        w->ns3 = world_ns3_create(w);
        if (w->ns3 == NULL) {
            world_destroy(w);
            return NULL;
        }
    }
    return w;
}

static void release_pending(void *ctx, const kernel_event *ev) {
    world *w = ctx;
    if (ev->kind == EV_DATA) packet_release(ev->b);
    if (w->tcp != NULL && tcp_owns_event(w->tcp, ev->kind)) tcp_release_event(w->tcp, ev);
}

void world_destroy(world *w) {
    if (w == NULL) return;
    for (uint32_t i = 0; i < w->config.host_count; i++) {
        node_destroy(w->hosts[i].node);
        free(w->hosts[i].timers);
        free(w->hosts[i].open_ends);
        downlink_free(&w->hosts[i].down);
        blockstore_free(&w->hosts[i].store);
        sodium_memzero(w->hosts[i].identity_seed, sizeof w->hosts[i].identity_seed);
        sodium_memzero(w->hosts[i].random_key, sizeof w->hosts[i].random_key);
    }
    kernel_each_pending(&w->kernel, release_pending, w);
    kernel_free(&w->kernel);
    if (w->trace_parts != NULL) {
        for (uint32_t p = 0; p < w->threads; p++) {
            free(w->trace_parts[p].events);
            free(w->trace_parts[p].bytes);
        }
        free(w->trace_parts);
    }
    for (size_t k = 0; k < w->conn_count; k++)
        for (int side = 0; side < 2; side++) held_free(conn_at(w, k), side);
    segvec_free(&w->conns);
    for (size_t i = 0; i < w->partition_count; i++) free(w->partitions[i].group);
    tcp_destroy(w->tcp);
    ns3_net_destroy(w->ns3);
    free(w->hosts);
    free(w->loss_rngs);
    free(w->jitter_rngs);
    free(w);
}

/* node_callbacks' on_message, handed to world_config's with the host. */
static void world_host_message(void *user, const char *topic, const peer_id *from, const uint8_t *data, size_t len) {
    (void)from;
    world_host *h = user;
    h->w->config.on_message(h->w->config.on_message_user, h->index, topic, data, len);
}

int world_host_up(world *w, uint32_t index) {
    assert(index < w->config.host_count);
    world_host *h = &w->hosts[index];
    if (h->node != NULL) return -1;
    assert(h->open_count == 0); /* going down closed every end */
    h->incarnation++;
    /* A fresh process: new randomness, the same identity from disk. */
    derive(h->random_key, sizeof h->random_key, "random", w->config.seed, index, h->incarnation);
    h->random_nonce = 0;
    h->timer_count = 0;
    node_config config = {.env = &h->env, .identity_seed = h->identity_seed, .router = w->config.router,
                          .gossipsub = w->config.gossipsub, .pubsub = w->config.pubsub, .limits = w->config.limits,
                          .bitswap_no_penalties = w->config.bitswap_no_penalties};
    if (w->config.on_message != NULL) config.callbacks = (node_callbacks){.user = h, .on_message = world_host_message};
    h->node = node_create(&config);
    if (h->node == NULL) abort();
    if (node_listen(h->node, h->address) != 0) abort();
    if (w->ns3 != NULL && !ns3_net_listen(w->ns3, index, true)) abort();
    world_trace_node_event(w, h, TRACE_NODE_UP);
    return 0;
}

void world_host_down(world *w, uint32_t index) {
    assert(index < w->config.host_count);
    world_host *h = &w->hosts[index];
    if (h->node == NULL) return;
    if (w->ns3 != NULL) (void)ns3_net_listen(w->ns3, index, false);
    while (h->open_count > 0) world_close_end(w, h->open_ends[0], true); /* takes it off the list */
    /* The process dies: its own close calls must not reach the network. */
    node *dead = h->node;
    h->node = NULL;
    node_destroy(dead);
    blockstore_crash(&h->store); /* no clean shutdown: unsynced blocks are lost */
    h->timer_count = 0;
    world_trace_node_event(w, h, TRACE_NODE_DOWN);
}

uint32_t world_host_count(const world *w) { return w->config.host_count; }
bool world_host_online(const world *w, uint32_t host) { return w->hosts[host].node != NULL; }

size_t world_host_connections(const world *w, uint32_t host) {
    assert(host < w->config.host_count);
    return w->hosts[host].open_count;
}

bool world_hosts_connected(const world *w, uint32_t a, uint32_t b) {
    assert(a < w->config.host_count && b < w->config.host_count);
    const world_host *h = &w->hosts[a];
    for (size_t i = 0; i < h->open_count; i++) {
        uint32_t end = h->open_ends[i];
        if (conn_at(w, end / 2)->host[1 - end % 2] == b) return true;
    }
    return false;
}

size_t world_remembered_peers(const world *w, uint32_t host, uint32_t *out, size_t cap) {
    assert(host < w->config.host_count);
    const world_host *h = &w->hosts[host];
    size_t n = h->remembered_count < cap ? h->remembered_count : cap;
    memcpy(out, h->remembered, n * sizeof *out);
    return n;
}
node *world_node(world *w, uint32_t host) { return w->hosts[host].node; }
const peer_id *world_peer_id(const world *w, uint32_t host) { return &w->hosts[host].id; }

const char *world_address(world *w, uint32_t host, bool with_peer) {
    static char text[MULTIADDR_TEXT_MAX + PEER_ID_TEXT_MAX + 8];
    world_host *h = &w->hosts[host];
    if (!with_peer) return h->address;
    char id[PEER_ID_TEXT_MAX];
    peer_id_to_text(&h->id, id, sizeof id);
    snprintf(text, sizeof text, "%s/p2p/%s", h->address, id);
    return text;
}

int world_dial(world *w, uint32_t from, uint32_t to) {
    node *n = world_node(w, from);
    if (n == NULL) return -1;
    return node_dial(n, world_address(w, to, true));
}

/* ---- running ---------------------------------------------------------- */

uint32_t world_register_call(world *w, world_call_fn fn, void *user) {
    assert(w->call_count < WORLD_CALLS_MAX);
    w->calls[w->call_count].fn = fn;
    w->calls[w->call_count].user = user;
    return w->call_count++;
}

void world_at(world *w, uint64_t time_ns, uint32_t slot, uint64_t arg) {
    assert(slot < w->call_count);
    kernel_schedule(&w->kernel, time_ns, EV_CALL, slot, arg);
}

static void world_on_timer(world *w, const kernel_event *ev) {
    world_host *h = &w->hosts[ev->a];
    size_t slot = (size_t)(ev->b >> 32);
    uint32_t generation = (uint32_t)ev->b;
    if (h->node == NULL || slot >= h->timer_count || h->timers[slot].generation != generation) return;
    h->timers[slot].generation = 0; /* one shot */
    node_on_timer(h->node, h->timers[slot].timer_id);
}

static void world_dispatch(void *ctx, const kernel_event *ev) {
    world *w = ctx;
    if (ev->kind == EV_TIMER) return world_on_timer(w, ev);
    if (ev->kind == EV_CALL) return w->calls[ev->a].fn(w->calls[ev->a].user, ev->b);
    if (ev->kind == EV_SYN) return world_on_syn(w, ev->a);
    if (ev->kind == EV_ACCEPT) return world_on_accept(w, ev->a);
    if (ev->kind == EV_RETRANSMIT) return world_on_retransmit(w, ev);
    if (w->tcp != NULL && tcp_owns_event(w->tcp, ev->kind)) return tcp_on_event(w->tcp, ev);
    world_conn *c;
    world_host *h = host_of_end(w, ev->a, &c);
    int side = (int)(ev->a % 2);
    bool alive = !c->closed[side] && h->node != NULL;
    switch (ev->kind) {
    case EV_CONNECTED:
        if (!alive) break;
        host_remember(h, c->host[1 - side]);
        node_on_connection(h->node, ev->a, ev->b != 0);
        break;
    case EV_DATA:
        if (alive) node_on_bytes(h->node, ev->a, packet_of(ev->b)->bytes, packet_of(ev->b)->len);
        packet_release(ev->b);
        break;
    case EV_CLOSED:
        if (!alive) break;
        end_close_mark(w, ev->a);
        node_on_closed(h->node, ev->a);
        break;
    default:
        assert(0 && "unknown world event");
    }
}

uint64_t world_run(world *w, uint64_t until_ns) {
    if (w->ns3 == NULL) return kernel_run(&w->kernel, until_ns, world_dispatch, w);
    uint64_t before = w->kernel.processed;
    if (until_ns < kernel_now(&w->kernel)) return 0;
    world_ns3_sync(w);
    ns3_net_run(w->ns3, until_ns);
    /* What is due at until_ns itself and ns-3 left for after its stop. */
    kernel_run(&w->kernel, until_ns, world_dispatch, w);
    world_ns3_sync(w);
    return w->kernel.processed - before;
}
uint64_t world_now(const world *w) { return kernel_now(&w->kernel); }
uint64_t world_events_processed(const world *w) { return w->kernel.processed; }

uint32_t world_threads(const world *w, const char **why) {
    if (why != NULL) *why = w->threads_why;
    return w->threads;
}

uint64_t world_min_latency(world *w) {
    if (netmodel_has_regions(w->config.net)) {
        uint64_t least = UINT64_MAX;
        for (uint32_t a = 0; a < w->config.host_count; a++)
            for (uint32_t b = 0; b < w->config.host_count; b++)
                if (a != b && netmodel_latency_ns(w->config.net, a, b) < least)
                    least = netmodel_latency_ns(w->config.net, a, b);
        return least == UINT64_MAX ? 0 : least;
    }
    const dist *d = &w->config.latency;
    double least = d->kind == DIST_CONSTANT || d->kind == DIST_UNIFORM ? d->a : d->kind == DIST_PARETO ? d->b : 0;
    return least > 0 ? (uint64_t)least : 0;
}

static void world_forget_thread_caches(void) { ed25519_verify_forget(); }

/* Cuts the hosts into contiguous blocks, one per thread, when the world
 * allows: builtin backend, a lookahead, and no limited downlink on ideal
 * links, whose senders still book the receiver's downlink (the TCP model's
 * receivers book their own). */
static void world_cut_into_parts(world *w) {
    uint32_t want = w->config.threads, hosts = w->config.host_count;
    w->threads = 1;
    w->threads_why = "";
    if (want <= 1) return;
    uint64_t lookahead = world_min_latency(w);
    bool limited = false;
    for (uint32_t i = 0; i < hosts && !limited; i++) limited = w->hosts[i].down_bps != 0;
    if (w->config.backend != BACKEND_BUILTIN) {
        w->threads_why = "the ns3 backend runs on one thread";
    } else if (lookahead == 0) {
        w->threads_why = "no lookahead: the latency can be zero";
    } else if (limited && w->tcp == NULL) {
        w->threads_why = "limited downlinks on ideal links are booked by their senders (docs/performance.md)";
    } else if (hosts < 2) {
        w->threads_why = "one host";
    }
    if (*w->threads_why != '\0') return;
    uint32_t parts = want < hosts ? want : hosts;
    uint32_t *part_of = calloc(hosts + 1, sizeof *part_of);
    w->trace_parts = calloc(parts, sizeof *w->trace_parts);
    if (part_of == NULL || w->trace_parts == NULL) abort();
    for (uint32_t i = 0; i < hosts; i++) part_of[i + 1] = (uint32_t)((uint64_t)i * parts / hosts);
    /* The Ed25519 verifier's key cache is per thread; its curve constants
     * are set up once, here, before any thread runs. */
    uint8_t zero[64] = {0};
    (void)ed25519_verify(zero, NULL, 0, zero);
    kernel_worker_exit = world_forget_thread_caches;
    kernel_partition(&w->kernel, parts, part_of, lookahead, world_flush_traces, w);
    free(part_of);
    w->threads = parts;
}
void world_get_stats(const world *w, world_stats *out) {
    *out = w->stats;
    out->events_pending_peak = kernel_pending_peak(&w->kernel);
    out->cross_host_min_ns = kernel_cross_min(&w->kernel);
    out->windows = w->kernel.windows;
    out->busy_ns = w->kernel.busy_ns;
    out->critical_ns = w->kernel.critical_ns;
    if (w->tcp != NULL) {
        tcp_stats tcp;
        tcp_get_stats(w->tcp, &tcp);
        out->segments_lost += tcp.segments_lost;
    }
    if (w->ns3 != NULL) {
        ns3_net_stats ns3;
        ns3_net_get_stats(w->ns3, &ns3);
        out->segments_lost += ns3.packets_dropped_loss + ns3.packets_dropped_queue;
    }
}
