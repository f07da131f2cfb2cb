/*
 * test_pubsub_router: the router interface (pubsub.h) is enough for a new
 * router. A test-only router, "relay-one", is written here on the interface
 * alone, without floodsub's or gossipsub's code: it forwards each valid new
 * message to the first peer subscribed to its topic that is neither the
 * sender nor the origin. Three cores in a line run it; the core signs,
 * checks, deduplicates, delivers and traces, and the router only routes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "pubsub/pubsub.h"

#define NODES 3
#define QUEUE_MAX 64
#define TOPIC "news"
#define RELAY_ONE_PROTOCOL "/relay-one/0.1.0"

/* ---- the router: all of it -------------------------------------------- */

typedef struct relay_one {
    pubsub_core *ps;
    int forwards, heartbeats; /* how often the core called it */
} relay_one;

static size_t relay_one_protocols(const void *router, const char *out[PUBSUB_ROUTER_PROTOCOLS_MAX]) {
    (void)router;
    out[0] = RELAY_ONE_PROTOCOL;
    return 1;
}

static void relay_one_forward(void *router, const pubsub_peer *from, const pubsub_message *msg, const uint8_t *id,
                              size_t id_len, uint64_t now_ns) {
    (void)id, (void)id_len, (void)now_ns;
    relay_one *r = router;
    r->forwards++;
    for (size_t i = 0; i < pubsub_peer_count(r->ps); i++) {
        const pubsub_peer *peer = pubsub_peer_at(r->ps, i);
        if (peer == from || pubsub_peer_is_origin(peer, msg) || !pubsub_peer_subscribed(peer, msg->topic)) continue;
        uint8_t rpc[1024];
        size_t len = pubsub_rpc_encode(NULL, 0, msg, 1, rpc, sizeof rpc);
        assert_true(len > 0);
        pubsub_send(r->ps, peer, rpc, (pubsub_rpc_shape){.len = len, .message_count = 1});
        return;
    }
}

static void relay_one_heartbeat(void *router, uint64_t now_ns) {
    (void)now_ns;
    ((relay_one *)router)->heartbeats++;
}

static const pubsub_router_ops relay_one_router = {
    .name = "relay-one",
    .peer_size = sizeof(pubsub_peer),
    .topic_size = sizeof(pubsub_topic),
    .protocols = relay_one_protocols,
    .forward = relay_one_forward,
    .heartbeat = relay_one_heartbeat,
};

/* ---- a line of three cores ---------------------------------------------- */

typedef struct rpc_copy {
    uint32_t from, to;
    uint8_t bytes[1024];
    size_t len;
} rpc_copy;

typedef struct node {
    struct line *line;
    uint32_t index;
    identity id;
    peer_id pid;
    relay_one router;
    int delivered;
    int traces[TRACE_KIND_COUNT];
} node;

typedef struct line {
    node nodes[NODES];
    rpc_copy queue[QUEUE_MAX];
    size_t head, tail;
} line;

static uint64_t host_now(void *user) {
    (void)user;
    return 1000;
}

/* Queued, not handled at once: a core must not be re-entered. */
static int host_send(void *user, uint32_t peer, const uint8_t *rpc, size_t len) {
    node *n = user;
    line *l = n->line;
    assert_true(l->tail < QUEUE_MAX && len <= sizeof l->queue[0].bytes);
    rpc_copy *c = &l->queue[l->tail++];
    *c = (rpc_copy){.from = n->index, .to = peer, .len = len};
    memcpy(c->bytes, rpc, len);
    return 0;
}

static void host_deliver(void *user, const pubsub_message *msg) {
    (void)msg;
    ((node *)user)->delivered++;
}

static void host_trace(void *user, trace_event *event) { ((node *)user)->traces[event->kind]++; }

static void drain(line *l) {
    while (l->head < l->tail) {
        rpc_copy *c = &l->queue[l->head++];
        assert_int_equal(pubsub_handle_rpc(l->nodes[c->to].router.ps, c->from, c->bytes, c->len), 0);
    }
    l->head = l->tail = 0;
}

static void connect_nodes(line *l, uint32_t a, uint32_t b) {
    node *na = &l->nodes[a], *nb = &l->nodes[b];
    assert_int_equal(pubsub_add_peer(na->router.ps, b, &nb->pid, RELAY_ONE_PROTOCOL, true, 0), 0);
    assert_int_equal(pubsub_add_peer(nb->router.ps, a, &na->pid, RELAY_ONE_PROTOCOL, false, 0), 0);
    drain(l);
}

/* 0 - 1 - 2, every node subscribed to TOPIC. */
static line *line_new(void) {
    line *l = calloc(1, sizeof *l);
    assert_non_null(l);
    for (uint32_t i = 0; i < NODES; i++) {
        node *n = &l->nodes[i];
        n->line = l;
        n->index = i;
        uint8_t seed[IDENTITY_SEED_BYTES];
        memset(seed, (int)i + 1, sizeof seed);
        identity_from_seed(&n->id, seed);
        peer_id_from_public_key(n->id.public_key, &n->pid);
        pubsub_host host = {.user = n, .now_ns = host_now, .send = host_send, .deliver = host_deliver,
                            .trace = host_trace};
        pubsub_config config = {.seen_ttl_ns = SEEN_CACHE_TTL_NS, .topics_max = 8, .heartbeat_ns = 1000};
        uint8_t seen_key[SEEN_CACHE_KEY_BYTES] = {(uint8_t)i};
        n->router.ps = pubsub_create(&host, &relay_one_router, &n->router, &config, &n->id, 1, seen_key);
        assert_non_null(n->router.ps);
    }
    connect_nodes(l, 0, 1);
    connect_nodes(l, 1, 2);
    for (uint32_t i = 0; i < NODES; i++) assert_int_equal(pubsub_subscribe(l->nodes[i].router.ps, TOPIC), 0);
    drain(l);
    return l;
}

static void line_free(line *l) {
    for (uint32_t i = 0; i < NODES; i++) pubsub_destroy(l->nodes[i].router.ps);
    free(l);
}

/* ---- specifications ----------------------------------------------------- */

static void a_new_router_says_its_protocols_and_gets_its_heartbeat(void **state) {
    (void)state;
    line *l = line_new();
    pubsub_core *ps = l->nodes[0].router.ps;
    const char *protocols[PUBSUB_ROUTER_PROTOCOLS_MAX];
    assert_int_equal(pubsub_protocols(ps, protocols), 1);
    assert_string_equal(protocols[0], RELAY_ONE_PROTOCOL);
    assert_false(pubsub_adds_peers_on_negotiation(ps));
    assert_int_equal(pubsub_heartbeat_ns(ps), 1000);
    pubsub_heartbeat(ps, 2000);
    assert_int_equal(l->nodes[0].router.heartbeats, 1);
    line_free(l);
}

/* The core tells every peer our subscriptions, and keeps theirs. */
static void the_core_keeps_subscriptions_for_the_router(void **state) {
    (void)state;
    line *l = line_new();
    pubsub_core *middle = l->nodes[1].router.ps;
    assert_int_equal(pubsub_peer_count(middle), 2);
    for (size_t i = 0; i < 2; i++) assert_true(pubsub_peer_subscribed(pubsub_peer_at(middle, i), pubsub_text(TOPIC)));
    assert_true(pubsub_is_subscribed(middle, TOPIC));
    assert_int_equal(l->nodes[1].traces[TRACE_JOIN], 1);
    assert_int_equal(l->nodes[1].traces[TRACE_ADD_PEER], 2);
    line_free(l);
}

/* Node 0 publishes; the core delivers it at every hop and the router's one
 * forward per node carries it down the line, exactly once each. */
static void messages_routed_by_a_new_router_are_delivered_and_traced(void **state) {
    (void)state;
    line *l = line_new();
    assert_int_equal(pubsub_publish(l->nodes[0].router.ps, TOPIC, (const uint8_t *)"hi", 2), 0);
    drain(l);
    for (uint32_t i = 0; i < NODES; i++) {
        assert_int_equal(l->nodes[i].delivered, 1);
        assert_int_equal(l->nodes[i].traces[TRACE_DELIVER_MESSAGE], 1);
        assert_int_equal(l->nodes[i].router.forwards, 1);
    }
    assert_int_equal(l->nodes[0].traces[TRACE_PUBLISH_MESSAGE], 1);
    assert_true(l->nodes[1].traces[TRACE_RECV_RPC] > 0);
    assert_int_equal(l->nodes[2].traces[TRACE_DUPLICATE_MESSAGE], 0);
    line_free(l);
}

/* The seen cache is the core's: a copy sent again is a duplicate, traced,
 * and not routed again. */
static void the_core_drops_duplicates_before_the_router(void **state) {
    (void)state;
    line *l = line_new();
    assert_int_equal(pubsub_publish(l->nodes[0].router.ps, TOPIC, (const uint8_t *)"hi", 2), 0);
    rpc_copy first = l->queue[0]; /* 0 -> 1 */
    drain(l);
    assert_int_equal(pubsub_handle_rpc(l->nodes[1].router.ps, first.from, first.bytes, first.len), 0);
    drain(l);
    assert_int_equal(l->nodes[1].traces[TRACE_DUPLICATE_MESSAGE], 1);
    assert_int_equal(l->nodes[1].router.forwards, 1);
    assert_int_equal(l->nodes[1].delivered, 1);
    line_free(l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_router_says_its_protocols_and_gets_its_heartbeat),
        cmocka_unit_test(the_core_keeps_subscriptions_for_the_router),
        cmocka_unit_test(messages_routed_by_a_new_router_are_delivered_and_traced),
        cmocka_unit_test(the_core_drops_duplicates_before_the_router),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
