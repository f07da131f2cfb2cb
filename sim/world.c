/* world: virtual hosts, links and the world's seam. See world.h. */
#include "world.h"

#include <assert.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multiaddr.h"

#define WORLD_PORT 4001
#define WORLD_TIMERS_PER_HOST_MAX 4096

enum world_event_kind { EV_CONNECTED = 1, EV_DATA, EV_CLOSED, EV_TIMER, EV_CALL };

typedef struct world_timer {
    uint64_t timer_id;
    uint32_t generation; /* 0: free slot */
} world_timer;

typedef struct world_host {
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
    uint64_t up_free_ns, down_free_ns; /* when each link is next idle */
    peer_id id;
    char address[MULTIADDR_TEXT_MAX];
} world_host;

/* A connection: end 2k is the dialer's, end 2k+1 the listener's. */
typedef struct world_conn {
    uint32_t host[2];
    bool closed[2];
    uint64_t latency_ns;
    uint64_t established_ns;   /* when the dialer's bytes may leave */
    uint64_t last_arrival_ns[2]; /* per receiving end: keeps the stream ordered */
} world_conn;

typedef struct world_packet {
    uint8_t *bytes;
    size_t len;
} world_packet;

struct world {
    world_config config;
    kernel kernel;
    world_host *hosts;
    world_conn *conns;
    size_t conn_count, conn_cap;
    world_packet *packets;
    uint32_t *packet_free;
    size_t packet_cap, packet_free_count;
    struct { world_call_fn fn; void *user; } calls[WORLD_CALLS_MAX];
    uint32_t call_count;
    uint32_t timer_generation;
    rng loss_rng;
    world_stats stats;
};

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
    return (uint64_t)((double)len * 8.0 * 1e9 / (double)bps + 0.5);
}

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static world_host *host_of_end(world *w, uint64_t end, world_conn **conn) {
    assert(end / 2 < w->conn_count);
    *conn = &w->conns[end / 2];
    return &w->hosts[(*conn)->host[end % 2]];
}

/* ---- packets ---------------------------------------------------------- */

static uint32_t packet_store(world *w, const uint8_t *bytes, size_t len) {
    if (w->packet_free_count == 0) {
        size_t cap = w->packet_cap ? w->packet_cap * 2 : 1024;
        w->packets = realloc(w->packets, cap * sizeof *w->packets);
        w->packet_free = realloc(w->packet_free, cap * sizeof *w->packet_free);
        if (w->packets == NULL || w->packet_free == NULL) abort();
        for (size_t i = w->packet_cap; i < cap; i++) w->packet_free[w->packet_free_count++] = (uint32_t)(cap - 1 - (i - w->packet_cap));
        w->packet_cap = cap;
    }
    uint32_t slot = w->packet_free[--w->packet_free_count];
    w->packets[slot].bytes = malloc(len);
    if (w->packets[slot].bytes == NULL) abort();
    memcpy(w->packets[slot].bytes, bytes, len);
    w->packets[slot].len = len;
    return slot;
}

static void packet_release(world *w, uint32_t slot) {
    free(w->packets[slot].bytes);
    w->packets[slot].bytes = NULL;
    w->packet_free[w->packet_free_count++] = slot;
}

/* ---- links ------------------------------------------------------------ */

uint64_t world_latency(world *w, uint32_t a, uint32_t b) {
    uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
    if (w->config.latency.kind == DIST_CONSTANT) return (uint64_t)w->config.latency.a;
    /* A stream per pair: the same pair always gets the same latency. */
    rng pair;
    rng_seed(&pair, w->config.seed ^ 0x6c6174656e6379ull, ((uint64_t)lo << 32) | hi);
    return (uint64_t)dist_sample(&w->config.latency, &pair);
}

/* Extra delay from lost segments: each loss costs a round trip. */
static uint64_t loss_delay_ns(world *w, size_t len, uint64_t latency_ns) {
    if (w->config.loss <= 0) return 0;
    uint64_t delay = 0;
    size_t segments = (len + WORLD_SEGMENT_BYTES - 1) / WORLD_SEGMENT_BYTES;
    for (size_t i = 0; i < segments; i++) {
        /* A segment can be lost again on retransmission; bounded by the loss < 1 check. */
        for (int tries = 0; tries < 64 && rng_uniform(&w->loss_rng) < w->config.loss; tries++) {
            delay += 2 * latency_ns;
            w->stats.segments_lost++;
        }
    }
    return delay;
}

/* When bytes written now on end `end` reach the other end. */
static uint64_t link_arrival(world *w, world_conn *c, int side, size_t len) {
    world_host *from = &w->hosts[c->host[side]];
    world_host *to = &w->hosts[c->host[1 - side]];
    uint64_t now = w->kernel.now_ns;
    uint64_t depart = max_u64(now, side == 0 ? c->established_ns : now);
    uint64_t up_start = max_u64(depart, from->up_free_ns);
    uint64_t up_done = up_start + serialization_ns(len, w->config.up_bps);
    from->up_free_ns = up_done;
    uint64_t down_start = max_u64(up_start + c->latency_ns, to->down_free_ns);
    uint64_t down_done = down_start + serialization_ns(len, w->config.down_bps);
    to->down_free_ns = down_done;
    uint64_t arrival = max_u64(up_done + c->latency_ns, down_done);
    arrival += loss_delay_ns(w, len, c->latency_ns);
    int receiver = 1 - side;
    arrival = max_u64(arrival, c->last_arrival_ns[receiver]); /* a stream stays in order */
    c->last_arrival_ns[receiver] = arrival;
    return arrival;
}

/* ---- the seam --------------------------------------------------------- */

static uint64_t env_now(void *ctx) { return ((world_host *)ctx)->w->kernel.now_ns; }

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
    t->generation = ++w->timer_generation ? w->timer_generation : ++w->timer_generation;
    uint64_t slot = (uint64_t)(t - h->timers);
    uint64_t when = max_u64(deadline_ns, w->kernel.now_ns);
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
    if (w->conn_count == w->conn_cap) {
        w->conn_cap = w->conn_cap ? w->conn_cap * 2 : 1024;
        w->conns = realloc(w->conns, w->conn_cap * sizeof *w->conns);
        if (w->conns == NULL) abort();
    }
    size_t k = w->conn_count++;
    assert(2 * k + 1 <= UINT32_MAX);
    world_conn *c = &w->conns[k];
    memset(c, 0, sizeof *c);
    c->host[0] = dialer;
    c->host[1] = listener;
    c->latency_ns = world_latency(w, dialer, listener);
    uint64_t now = w->kernel.now_ns;
    c->established_ns = now + 2 * c->latency_ns; /* SYN, SYN-ACK */
    w->stats.connections_opened++;
    return (uint32_t)k;
}

static int host_of_address(world *w, const char *text, uint32_t *host) {
    multiaddr ma;
    if (multiaddr_parse(text, &ma) != 0 || ma.ip4[0] != 10 || ma.port != WORLD_PORT) return -1;
    uint32_t index = ((uint32_t)ma.ip4[1] << 16 | (uint32_t)ma.ip4[2] << 8 | ma.ip4[3]) - 1;
    if (index >= w->config.host_count) return -1;
    *host = index;
    return 0;
}

static int env_dial(void *ctx, const char *text, uint64_t *conn_id) {
    world_host *h = ctx;
    world *w = h->w;
    uint32_t target;
    if (host_of_address(w, text, &target) != 0) return -1;
    uint32_t k = world_open_conn(w, h->index, target);
    world_conn *c = &w->conns[k];
    *conn_id = 2 * (uint64_t)k;
    if (w->hosts[target].node == NULL) { /* nobody listens: the SYN gets an RST */
        c->closed[1] = true;
        kernel_schedule(&w->kernel, c->established_ns, EV_CLOSED, 2 * k, 0);
        return 0;
    }
    kernel_schedule(&w->kernel, c->established_ns, EV_CONNECTED, 2 * k, 1);
    kernel_schedule(&w->kernel, c->established_ns + c->latency_ns, EV_CONNECTED, 2 * k + 1, 0);
    return 0;
}

static int env_write(void *ctx, uint64_t end, const uint8_t *bytes, size_t len) {
    world_host *h = ctx;
    world *w = h->w;
    world_conn *c;
    host_of_end(w, end, &c);
    int side = (int)(end % 2);
    assert(c->host[side] == h->index);
    if (c->closed[side]) return -1;
    if (c->closed[1 - side] || len == 0) return 0; /* the peer is gone: bytes vanish */
    uint64_t arrival = link_arrival(w, c, side, len);
    w->stats.bytes_written += len;
    kernel_schedule(&w->kernel, arrival, EV_DATA, (uint32_t)(end ^ 1), packet_store(w, bytes, len));
    return 0;
}

/* Closes one end; the other hears of it after the bytes already in flight. */
static void world_close_end(world *w, uint64_t end, bool reset) {
    world_conn *c = &w->conns[end / 2];
    int side = (int)(end % 2);
    if (c->closed[side]) return;
    c->closed[side] = true;
    if (c->closed[1 - side]) return;
    uint64_t when = w->kernel.now_ns + c->latency_ns;
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
    h->w->config.trace(h->w->config.trace_user, &stamped);
}

static void world_trace_node_event(world *w, world_host *h, trace_kind kind) {
    if (w->config.trace == NULL) return;
    trace_event event = {.kind = kind, .time_ns = w->kernel.now_ns, .node_index = h->index,
                         .peer = h->id.bytes, .peer_len = h->id.len};
    w->config.trace(w->config.trace_user, &event);
}

/* ---- hosts ------------------------------------------------------------ */

world *world_create(const world_config *config) {
    assert(config->host_count > 0 && config->host_count <= WORLD_HOSTS_MAX);
    assert(config->loss >= 0 && config->loss < 1);
    world *w = calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->config = *config;
    kernel_init(&w->kernel);
    rng_seed(&w->loss_rng, config->seed, RNG_STREAM_LOSS);
    w->hosts = calloc(config->host_count, sizeof *w->hosts);
    if (w->hosts == NULL) {
        free(w);
        return NULL;
    }
    for (uint32_t i = 0; i < config->host_count; i++) {
        world_host *h = &w->hosts[i];
        h->w = w;
        h->index = i;
        derive(h->identity_seed, sizeof h->identity_seed, "identity", config->seed, i, 0);
        identity id;
        identity_from_seed(&id, h->identity_seed);
        peer_id_from_public_key(id.public_key, &h->id);
        identity_wipe(&id);
        uint32_t ip = i + 1;
        snprintf(h->address, sizeof h->address, "/ip4/10.%u.%u.%u/tcp/%d", (ip >> 16) & 255,
                 (ip >> 8) & 255, ip & 255, WORLD_PORT);
        h->env = (env){.ctx = h, .now_ns = env_now, .timer_set = env_timer_set,
                       .timer_cancel = env_timer_cancel, .listen = env_listen, .dial = env_dial,
                       .write = env_write, .close = env_close, .random = env_random, .trace = env_trace};
    }
    return w;
}

void world_destroy(world *w) {
    if (w == NULL) return;
    for (uint32_t i = 0; i < w->config.host_count; i++) {
        node_destroy(w->hosts[i].node);
        free(w->hosts[i].timers);
        sodium_memzero(w->hosts[i].identity_seed, sizeof w->hosts[i].identity_seed);
        sodium_memzero(w->hosts[i].random_key, sizeof w->hosts[i].random_key);
    }
    for (size_t i = 0; i < w->kernel.len; i++)
        if (w->kernel.heap[i].kind == EV_DATA) packet_release(w, (uint32_t)w->kernel.heap[i].b);
    kernel_free(&w->kernel);
    free(w->hosts);
    free(w->conns);
    free(w->packets);
    free(w->packet_free);
    free(w);
}

int world_host_up(world *w, uint32_t index) {
    assert(index < w->config.host_count);
    world_host *h = &w->hosts[index];
    if (h->node != NULL) return -1;
    h->incarnation++;
    /* A fresh process: new randomness, the same identity from disk. */
    derive(h->random_key, sizeof h->random_key, "random", w->config.seed, index, h->incarnation);
    h->random_nonce = 0;
    h->timer_count = 0;
    node_config config = {.env = &h->env, .identity_seed = h->identity_seed, .router = w->config.router,
                          .gossipsub = w->config.gossipsub};
    h->node = node_create(&config);
    if (h->node == NULL) abort();
    if (node_listen(h->node, h->address) != 0) abort();
    world_trace_node_event(w, h, TRACE_NODE_UP);
    return 0;
}

void world_host_down(world *w, uint32_t index) {
    assert(index < w->config.host_count);
    world_host *h = &w->hosts[index];
    if (h->node == NULL) return;
    for (size_t k = 0; k < w->conn_count; k++) {
        world_conn *c = &w->conns[k];
        for (int side = 0; side < 2; side++)
            if (c->host[side] == index && !c->closed[side]) world_close_end(w, 2 * k + side, true);
    }
    /* The process dies: its own close calls must not reach the network. */
    node *dead = h->node;
    h->node = NULL;
    node_destroy(dead);
    h->timer_count = 0;
    world_trace_node_event(w, h, TRACE_NODE_DOWN);
}

bool world_host_online(const world *w, uint32_t host) { return w->hosts[host].node != NULL; }
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
    world_conn *c;
    world_host *h = host_of_end(w, ev->a, &c);
    int side = (int)(ev->a % 2);
    bool alive = !c->closed[side] && h->node != NULL;
    switch (ev->kind) {
    case EV_CONNECTED:
        if (alive) node_on_connection(h->node, ev->a, ev->b != 0);
        break;
    case EV_DATA:
        if (alive) node_on_bytes(h->node, ev->a, w->packets[ev->b].bytes, w->packets[ev->b].len);
        packet_release(w, (uint32_t)ev->b);
        break;
    case EV_CLOSED:
        if (!alive) break;
        c->closed[side] = true;
        node_on_closed(h->node, ev->a);
        break;
    default:
        assert(0 && "unknown world event");
    }
}

uint64_t world_run(world *w, uint64_t until_ns) { return kernel_run(&w->kernel, until_ns, world_dispatch, w); }
uint64_t world_now(const world *w) { return w->kernel.now_ns; }
uint64_t world_events_processed(const world *w) { return w->kernel.processed; }
void world_get_stats(const world *w, world_stats *out) {
    *out = w->stats;
    out->events_pending_peak = w->kernel.pending_peak;
}
