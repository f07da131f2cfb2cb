/* memnet: an in-memory runtime for tests. See memnet.h. */
#include "memnet.h"

#include <assert.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/multiaddr.h"
#include "world/blockstore.h"

#define MEMNET_CONNS_MAX 4096
#define MEMNET_TIMERS_MAX 4096
#define MEMNET_RAW_NODE UINT32_MAX

typedef enum { EV_CONNECTED, EV_BYTES, EV_CLOSED, EV_TIMER } ev_kind;

typedef struct mem_event {
    uint64_t time_ns, seq;
    ev_kind kind;
    uint32_t node_index;
    uint64_t conn_id; /* the receiving end's id */
    bool outbound;
    uint64_t timer_id, generation;
    uint8_t *bytes;
    size_t len;
} mem_event;

/* A connection has two ends: id 2k belongs to the dialer, 2k+1 to the listener. */
typedef struct mem_conn {
    uint32_t node[2];
    bool closed[2];
    uint32_t raw_ip4; /* a raw dialer's address, host order */
} mem_conn;

typedef struct mem_timer {
    uint32_t node_index;
    uint64_t timer_id, generation;
    bool armed;
} mem_timer;

typedef struct mem_host {
    blockstore store; /* first: blockstore_env_ops finds it at the env's ctx */
    memnet *net;
    uint32_t index;
    node *node;
    env env;
    uint8_t random_key[crypto_stream_chacha20_KEYBYTES];
    uint64_t random_block;
    char address[MULTIADDR_TEXT_MAX];
    char address_with_peer[MULTIADDR_TEXT_MAX + PEER_ID_TEXT_MAX];
} mem_host;
static_assert(offsetof(mem_host, store) == 0, "blockstore_env_ops reads the store at ctx");

struct memnet {
    uint64_t now_ns, seq, latency_ns, seed;
    mem_event *heap;
    size_t heap_len, heap_cap;
    mem_host hosts[MEMNET_NODES_MAX];
    size_t host_count;
    mem_conn conns[MEMNET_CONNS_MAX];
    size_t conn_count;
    mem_timer timers[MEMNET_TIMERS_MAX];
    size_t timer_count;
    uint64_t timer_generation;
    memnet_trace *traces;
    size_t trace_count, trace_cap;
    uint64_t random_bytes;
    router_choice router;
    conn_limits limits;
    bool has_limits;
};

/* ---- the forbidden global randomness ---------------------------------- */

static const char *forbidden_name(void) { return "swarmlab-forbidden"; }
static uint32_t forbidden_random(void) {
    fprintf(stderr, "FATAL: libsodium's global randombytes was reached: the node must take randomness from the environment\n");
    abort();
}
static void forbidden_buf(void *const buf, const size_t size) {
    (void)buf;
    (void)size;
    forbidden_random();
}

void memnet_forbid_global_randomness(void) {
    static randombytes_implementation forbidden = {
        .implementation_name = forbidden_name, .random = forbidden_random, .buf = forbidden_buf};
    /* sodium_init draws its own canary from the OS; after it, nothing may. */
    if (sodium_init() < 0) abort();
    randombytes_set_implementation(&forbidden);
}

/* ---- the event heap, ordered by (time, insertion sequence) ------------ */

static bool ev_before(const mem_event *a, const mem_event *b) {
    return a->time_ns != b->time_ns ? a->time_ns < b->time_ns : a->seq < b->seq;
}

static void heap_push(memnet *net, mem_event ev) {
    if (net->heap_len == net->heap_cap) {
        net->heap_cap = net->heap_cap ? net->heap_cap * 2 : 256;
        net->heap = realloc(net->heap, net->heap_cap * sizeof *net->heap);
        assert(net->heap != NULL);
    }
    ev.seq = net->seq++;
    size_t i = net->heap_len++;
    while (i > 0 && ev_before(&ev, &net->heap[(i - 1) / 2])) {
        net->heap[i] = net->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    net->heap[i] = ev;
}

static mem_event heap_pop(memnet *net) {
    assert(net->heap_len > 0);
    mem_event top = net->heap[0];
    mem_event last = net->heap[--net->heap_len];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= net->heap_len) break;
        if (child + 1 < net->heap_len && ev_before(&net->heap[child + 1], &net->heap[child])) child++;
        if (!ev_before(&net->heap[child], &last)) break;
        net->heap[i] = net->heap[child];
        i = child;
    }
    if (net->heap_len > 0) net->heap[i] = last;
    return top;
}

/* ---- the seam --------------------------------------------------------- */

static uint64_t mem_now(void *ctx) { return ((mem_host *)ctx)->net->now_ns; }

static void mem_random(void *ctx, uint8_t *out, size_t len) {
    mem_host *h = ctx;
    /* Each draw takes fresh 64-byte blocks of the node's own stream. */
    uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {0};
    memcpy(nonce, &h->random_block, sizeof h->random_block);
    crypto_stream_chacha20(out, len, nonce, h->random_key);
    h->random_block++;
    h->net->random_bytes += len;
}

static mem_timer *mem_find_timer(memnet *net, uint32_t index, uint64_t timer_id) {
    for (size_t i = 0; i < net->timer_count; i++)
        if (net->timers[i].node_index == index && net->timers[i].timer_id == timer_id) return &net->timers[i];
    return NULL;
}

static void mem_timer_set(void *ctx, uint64_t timer_id, uint64_t deadline_ns) {
    mem_host *h = ctx;
    memnet *net = h->net;
    mem_timer *t = mem_find_timer(net, h->index, timer_id);
    if (t == NULL) {
        assert(net->timer_count < MEMNET_TIMERS_MAX);
        t = &net->timers[net->timer_count++];
        t->node_index = h->index;
        t->timer_id = timer_id;
    }
    t->armed = true;
    t->generation = ++net->timer_generation;
    heap_push(net, (mem_event){.time_ns = deadline_ns, .kind = EV_TIMER, .node_index = h->index,
                               .timer_id = timer_id, .generation = t->generation});
}

static void mem_timer_cancel(void *ctx, uint64_t timer_id) {
    mem_host *h = ctx;
    mem_timer *t = mem_find_timer(h->net, h->index, timer_id);
    if (t != NULL) t->armed = false;
}

static int mem_listen(void *ctx, const char *text) {
    mem_host *h = ctx;
    return strncmp(text, h->address, strlen(h->address)) == 0 ? 0 : -1;
}

static size_t mem_open_conn(memnet *net, uint32_t dialer, uint32_t listener) {
    assert(net->conn_count < MEMNET_CONNS_MAX);
    size_t k = net->conn_count++;
    net->conns[k] = (mem_conn){.node = {dialer, listener}};
    /* The listener hears of it after one way, the dialer after a round trip. */
    heap_push(net, (mem_event){.time_ns = net->now_ns + net->latency_ns, .kind = EV_CONNECTED,
                               .node_index = listener, .conn_id = 2 * k + 1, .outbound = false});
    if (dialer != MEMNET_RAW_NODE)
        heap_push(net, (mem_event){.time_ns = net->now_ns + 2 * net->latency_ns, .kind = EV_CONNECTED,
                                   .node_index = dialer, .conn_id = 2 * k, .outbound = true});
    return k;
}

static int mem_dial(void *ctx, const char *text, uint64_t *conn_id) {
    mem_host *h = ctx;
    multiaddr ma;
    if (multiaddr_parse(text, &ma) != 0 || ma.ip4[0] != 10 || ma.port != 4001) return -1;
    size_t target = (size_t)ma.ip4[3] - 1;
    if (target >= h->net->host_count) return -1;
    *conn_id = 2 * mem_open_conn(h->net, h->index, (uint32_t)target);
    return 0;
}

static int mem_send(memnet *net, uint64_t conn_id, const uint8_t *bytes, size_t len) {
    mem_conn *c = &net->conns[conn_id / 2];
    int side = (int)(conn_id % 2);
    if (c->closed[side]) return -1;
    uint8_t *copy = malloc(len);
    assert(copy != NULL);
    memcpy(copy, bytes, len);
    heap_push(net, (mem_event){.time_ns = net->now_ns + net->latency_ns, .kind = EV_BYTES,
                               .node_index = c->node[1 - side], .conn_id = conn_id ^ 1,
                               .bytes = copy, .len = len});
    return 0;
}

static int mem_write(void *ctx, uint64_t conn_id, const uint8_t *bytes, size_t len) {
    mem_host *h = ctx;
    assert(h->net->conns[conn_id / 2].node[conn_id % 2] == h->index);
    return mem_send(h->net, conn_id, bytes, len);
}

static void mem_close_end(memnet *net, uint64_t conn_id) {
    mem_conn *c = &net->conns[conn_id / 2];
    int side = (int)(conn_id % 2);
    if (c->closed[side]) return;
    c->closed[side] = true;
    heap_push(net, (mem_event){.time_ns = net->now_ns + net->latency_ns, .kind = EV_CLOSED,
                               .node_index = c->node[1 - side], .conn_id = conn_id ^ 1});
}

static void mem_close(void *ctx, uint64_t conn_id) { mem_close_end(((mem_host *)ctx)->net, conn_id); }

/* Node i is 10.0.0.(i+1); a raw end has the address it was opened from. */
static uint32_t mem_remote_ip4(void *ctx, uint64_t conn_id) {
    const mem_conn *c = &((mem_host *)ctx)->net->conns[conn_id / 2];
    uint32_t other = c->node[1 - conn_id % 2];
    return other == MEMNET_RAW_NODE ? c->raw_ip4 : MEMNET_IP4(other);
}

static void copy_text(char *dst, size_t cap, const char *src) {
    if (src == NULL) src = "";
    snprintf(dst, cap, "%s", src);
}

static void mem_trace(void *ctx, const trace_event *event) {
    mem_host *h = ctx;
    memnet *net = h->net;
    if (net->trace_count == net->trace_cap) {
        net->trace_cap = net->trace_cap ? net->trace_cap * 2 : 256;
        net->traces = realloc(net->traces, net->trace_cap * sizeof *net->traces);
        assert(net->traces != NULL);
    }
    memnet_trace *t = &net->traces[net->trace_count++];
    memset(t, 0, sizeof *t);
    t->kind = event->kind;
    t->time_ns = event->time_ns;
    t->node_index = h->index;
    t->size_bytes = event->size_bytes;
    t->msg_id_len = event->msg_id_len < sizeof t->msg_id ? event->msg_id_len : sizeof t->msg_id;
    if (t->msg_id_len > 0) memcpy(t->msg_id, event->msg_id, t->msg_id_len);
    copy_text(t->topic, sizeof t->topic, event->topic);
    copy_text(t->reason, sizeof t->reason, event->reason);
    if (event->peer_len > 0) peer_id_from_bytes(event->peer, event->peer_len, &t->peer);
}

/* ---- the world -------------------------------------------------------- */

memnet *memnet_create(uint64_t seed, uint64_t latency_ns) {
    memnet_forbid_global_randomness();
    memnet *net = calloc(1, sizeof *net);
    assert(net != NULL);
    net->seed = seed;
    net->latency_ns = latency_ns;
    return net;
}

void memnet_destroy(memnet *net) {
    for (size_t i = 0; i < net->host_count; i++) {
        node_destroy(net->hosts[i].node);
        blockstore_free(&net->hosts[i].store);
    }
    for (size_t i = 0; i < net->heap_len; i++) free(net->heap[i].bytes);
    free(net->heap);
    free(net->traces);
    free(net);
}

size_t memnet_add_node(memnet *net, const node_callbacks *callbacks) {
    assert(net->host_count < MEMNET_NODES_MAX);
    size_t index = net->host_count++;
    mem_host *h = &net->hosts[index];
    h->net = net;
    h->index = (uint32_t)index;
    uint8_t material[16];
    memcpy(material, &net->seed, 8);
    uint64_t index64 = index;
    memcpy(material + 8, &index64, 8);
    crypto_generichash(h->random_key, sizeof h->random_key, material, sizeof material, NULL, 0);
    h->env = (env){.ctx = h, .now_ns = mem_now, .timer_set = mem_timer_set,
                   .timer_cancel = mem_timer_cancel, .listen = mem_listen, .dial = mem_dial,
                   .write = mem_write, .close = mem_close, .random = mem_random, .trace = mem_trace,
                   .remote_ip4 = mem_remote_ip4};
    blockstore_init(&h->store, MEMNET_STORE_BYTES);
    blockstore_env_ops(&h->env);
    snprintf(h->address, sizeof h->address, "/ip4/10.0.0.%zu/tcp/4001", index + 1);
    node_config config = {.env = &h->env, .router = net->router, .limits = net->has_limits ? &net->limits : NULL};
    if (callbacks != NULL) config.callbacks = *callbacks;
    h->node = node_create(&config);
    assert(h->node != NULL);
    char id_text[PEER_ID_TEXT_MAX];
    peer_id_to_text(node_id(h->node), id_text, sizeof id_text);
    char with_peer[sizeof h->address_with_peer];
    snprintf(with_peer, sizeof with_peer, "%s/p2p/%s", h->address, id_text);
    memcpy(h->address_with_peer, with_peer, sizeof with_peer);
    int rc = node_listen(h->node, h->address);
    assert(rc == 0);
    (void)rc;
    return index;
}

void memnet_set_router(memnet *net, router_choice choice) { net->router = choice; }

void memnet_set_limits(memnet *net, const conn_limits *limits) {
    net->has_limits = limits != NULL;
    if (limits != NULL) net->limits = *limits;
}

size_t memnet_dials(const memnet *net, size_t index) {
    size_t dials = 0;
    for (size_t k = 0; k < net->conn_count; k++) dials += net->conns[k].node[0] == index;
    return dials;
}

node *memnet_node(memnet *net, size_t index) {
    assert(index < net->host_count);
    return net->hosts[index].node;
}

const char *memnet_address(memnet *net, size_t index, bool with_peer) {
    assert(index < net->host_count);
    return with_peer ? net->hosts[index].address_with_peer : net->hosts[index].address;
}

int memnet_dial(memnet *net, size_t a, size_t b) {
    return node_dial(memnet_node(net, a), memnet_address(net, b, true));
}

static void memnet_dispatch(memnet *net, mem_event *ev) {
    if (ev->node_index == MEMNET_RAW_NODE) return; /* raw endpoints only send */
    mem_host *h = &net->hosts[ev->node_index];
    mem_conn *c = ev->kind != EV_TIMER ? &net->conns[ev->conn_id / 2] : NULL;
    if (c != NULL && c->closed[ev->conn_id % 2]) return; /* that end is gone */
    switch (ev->kind) {
    case EV_CONNECTED:
        node_on_connection(h->node, ev->conn_id, ev->outbound);
        break;
    case EV_BYTES:
        node_on_bytes(h->node, ev->conn_id, ev->bytes, ev->len);
        break;
    case EV_CLOSED:
        c->closed[ev->conn_id % 2] = true;
        node_on_closed(h->node, ev->conn_id);
        break;
    case EV_TIMER: {
        mem_timer *t = mem_find_timer(net, ev->node_index, ev->timer_id);
        if (t == NULL || !t->armed || t->generation != ev->generation) break;
        t->armed = false;
        node_on_timer(h->node, ev->timer_id);
        break;
    }
    }
}

size_t memnet_run(memnet *net, uint64_t until_ns, size_t max_events) {
    size_t processed = 0;
    while (net->heap_len > 0 && processed < max_events && net->heap[0].time_ns <= until_ns) {
        mem_event ev = heap_pop(net);
        assert(ev.time_ns >= net->now_ns);
        net->now_ns = ev.time_ns;
        memnet_dispatch(net, &ev);
        free(ev.bytes);
        processed++;
    }
    if (net->heap_len == 0 || net->heap[0].time_ns > until_ns) net->now_ns = until_ns;
    return processed;
}

uint64_t memnet_now(const memnet *net) { return net->now_ns; }

int memnet_raw_open(memnet *net, size_t target) { return memnet_raw_open_from(net, target, 0); }

int memnet_raw_open_from(memnet *net, size_t target, uint32_t ip4) {
    if (target >= net->host_count) return -1;
    size_t k = mem_open_conn(net, MEMNET_RAW_NODE, (uint32_t)target);
    net->conns[k].raw_ip4 = ip4;
    return (int)k;
}

int memnet_raw_write(memnet *net, int raw, const uint8_t *bytes, size_t len) {
    return mem_send(net, 2 * (uint64_t)raw, bytes, len);
}

bool memnet_raw_closed(const memnet *net, int raw) { return net->conns[raw].closed[1]; }

const memnet_trace *memnet_traces(const memnet *net, size_t *count) {
    *count = net->trace_count;
    return net->traces;
}

size_t memnet_count_traces(const memnet *net, trace_kind kind, int node_index) {
    size_t count = 0;
    for (size_t i = 0; i < net->trace_count; i++)
        if (net->traces[i].kind == kind && (node_index < 0 || net->traces[i].node_index == (uint32_t)node_index))
            count++;
    return count;
}

uint64_t memnet_random_bytes_drawn(const memnet *net) { return net->random_bytes; }
