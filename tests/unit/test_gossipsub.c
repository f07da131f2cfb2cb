/*
 * test_gossipsub: the GossipSub router follows gossipsub-v1.0.md (mesh,
 * fanout, heartbeat, GRAFT/PRUNE, IHAVE/IWANT gossip, message cache) and
 * the v1.1 PRUNE backoff. Routers are wired together through a pubsub_host
 * whose send() queues the RPC for the other router (drained in a loop, so
 * no router is re-entered). "Raw" peers have no router: what is sent to them
 * is logged and decoded, and they speak through hand-built RPCs, so that
 * each test can state the exact control messages the spec requires.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossipsub.h"
#include "gossipsub_pb.h"

#define NODES_MAX 24
#define QUEUE_MAX 65536
#define LOG_MAX 4096
#define SEC 1000000000ull
#define SEQNO_START 100
#define TOPIC "blocks"

typedef struct rpc_copy {
    uint32_t from, to;
    uint8_t *bytes;
    size_t len;
} rpc_copy;

struct net;

typedef struct node {
    struct net *net;
    uint32_t index;
    gossipsub *gs; /* NULL for a raw peer */
    identity id;
    peer_id pid;
    uint64_t rng;
    int delivered;
    uint8_t last_data[64];
    size_t last_len;
    int traces[TRACE_KIND_COUNT];
} node;

typedef struct net {
    uint64_t now;
    size_t count;
    node nodes[NODES_MAX];
    rpc_copy queue[QUEUE_MAX];
    size_t head, tail;
    rpc_copy log[LOG_MAX]; /* RPCs sent to raw peers */
    size_t log_count;
} net;

/* ---- the host --------------------------------------------------------- */

static uint64_t host_now(void *user) { return ((node *)user)->net->now; }

static int host_send(void *user, uint32_t peer, const uint8_t *rpc, size_t len) {
    node *n = user;
    net *w = n->net;
    rpc_copy copy = {.from = n->index, .to = peer, .bytes = malloc(len), .len = len};
    assert_non_null(copy.bytes);
    memcpy(copy.bytes, rpc, len);
    if (w->nodes[peer].gs == NULL) {
        assert_true(w->log_count < LOG_MAX);
        w->log[w->log_count++] = copy;
    } else {
        assert_true(w->tail < QUEUE_MAX);
        w->queue[w->tail++] = copy;
    }
    return 0;
}

static void host_deliver(void *user, const pubsub_message *msg) {
    node *n = user;
    n->delivered++;
    n->last_len = msg->data.len < sizeof n->last_data ? msg->data.len : sizeof n->last_data;
    memcpy(n->last_data, msg->data.data, n->last_len);
}

static void host_trace(void *user, trace_event *event) { ((node *)user)->traces[event->kind]++; }

static void host_random(void *user, uint8_t *buf, size_t len) {
    node *n = user;
    for (size_t i = 0; i < len; i++) { /* xorshift64: deterministic per node */
        n->rng ^= n->rng << 13;
        n->rng ^= n->rng >> 7;
        n->rng ^= n->rng << 17;
        buf[i] = (uint8_t)n->rng;
    }
}

/* ---- the network ------------------------------------------------------ */

static void drain(net *w) {
    while (w->head < w->tail) {
        rpc_copy c = w->queue[w->head++];
        assert_int_equal(gossipsub_handle_rpc(w->nodes[c.to].gs, c.from, c.bytes, c.len), 0);
        free(c.bytes);
    }
    w->head = w->tail = 0;
}

static void log_clear(net *w) {
    for (size_t i = 0; i < w->log_count; i++) free(w->log[i].bytes);
    w->log_count = 0;
}

/* count nodes; those below routers have a router, the rest are raw. */
static net *net_new(size_t count, size_t routers, const gossipsub_config *config) {
    net *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->count = count;
    for (size_t i = 0; i < count; i++) {
        node *n = &w->nodes[i];
        uint8_t seed[IDENTITY_SEED_BYTES];
        memset(seed, (int)i + 1, sizeof seed);
        identity_from_seed(&n->id, seed);
        peer_id_from_public_key(n->id.public_key, &n->pid);
        *n = (node){.net = w, .index = (uint32_t)i, .id = n->id, .pid = n->pid, .rng = i + 1};
        if (i >= routers) continue;
        pubsub_host host = {.user = n, .now_ns = host_now, .send = host_send, .deliver = host_deliver,
                            .trace = host_trace};
        uint8_t seen_key[SEEN_CACHE_KEY_BYTES] = {(uint8_t)i}, mcache_key[MCACHE_KEY_BYTES] = {(uint8_t)i};
        n->gs = gossipsub_create(&host, config, &n->id, SEQNO_START, seen_key, mcache_key);
        assert_non_null(n->gs);
    }
    return w;
}

static void net_free(net *w) {
    drain(w);
    log_clear(w);
    for (size_t i = 0; i < w->count; i++) gossipsub_destroy(w->nodes[i].gs);
    free(w);
}

static void default_config(gossipsub_config *config) {
    gossipsub_config_default(config);
    config->random = host_random;
}

static void connect_as(net *w, uint32_t a, uint32_t b, const char *protocol) {
    if (w->nodes[a].gs) assert_int_equal(gossipsub_add_peer(w->nodes[a].gs, b, &w->nodes[b].pid, protocol), 0);
    if (w->nodes[b].gs) assert_int_equal(gossipsub_add_peer(w->nodes[b].gs, a, &w->nodes[a].pid, protocol), 0);
    drain(w);
}

static void connect(net *w, uint32_t a, uint32_t b) { connect_as(w, a, b, GOSSIPSUB_PROTOCOL_V11); }

static void heartbeat_all(net *w) {
    for (size_t i = 0; i < w->count; i++)
        if (w->nodes[i].gs) gossipsub_heartbeat(w->nodes[i].gs, w->now);
    drain(w);
}

/* ---- raw peers speak ---------------------------------------------------- */

static void raw_send(net *w, uint32_t raw, uint32_t to, const pubsub_subopts *subs, size_t sub_count,
                     const pubsub_message *msgs, size_t msg_count, const gossipsub_control *ctl) {
    static uint8_t rpc[1 << 16];
    size_t len = gossipsub_rpc_encode(subs, sub_count, msgs, msg_count, ctl, rpc, sizeof rpc);
    assert_true(len > 0);
    assert_int_equal(gossipsub_handle_rpc(w->nodes[to].gs, raw, rpc, len), 0);
    drain(w);
}

static pubsub_bytes bytes_of(const char *text) { return (pubsub_bytes){(const uint8_t *)text, strlen(text)}; }

static void raw_subscribe(net *w, uint32_t raw, uint32_t to, const char *topic) {
    pubsub_subopts sub = {.subscribe = true, .topic = bytes_of(topic)};
    raw_send(w, raw, to, &sub, 1, NULL, 0, NULL);
}

static gossipsub_control ctl; /* too large for the stack */

static void raw_graft(net *w, uint32_t raw, uint32_t to, const char *topic) {
    gossipsub_control_init(&ctl);
    assert_int_equal(gossipsub_control_add_graft(&ctl, bytes_of(topic)), 0);
    raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}

static void raw_prune(net *w, uint32_t raw, uint32_t to, const char *topic, uint64_t backoff_s) {
    gossipsub_control_init(&ctl);
    assert_int_equal(gossipsub_control_add_prune(&ctl, bytes_of(topic), NULL, 0, true, backoff_s), 0);
    raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}

static void raw_ihave(net *w, uint32_t raw, uint32_t to, const char *topic, pubsub_bytes id) {
    gossipsub_control_init(&ctl);
    assert_int_equal(gossipsub_control_add_ihave(&ctl, bytes_of(topic), &id, 1), 0);
    raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}

static void raw_iwant(net *w, uint32_t raw, uint32_t to, pubsub_bytes id) {
    gossipsub_control_init(&ctl);
    assert_int_equal(gossipsub_control_add_iwant(&ctl, &id, 1), 0);
    raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}

/* The id router publishes with its n-th message: from || seqno. */
static size_t published_id(const net *w, uint32_t router, uint64_t n, uint8_t *out) {
    const peer_id *pid = &w->nodes[router].pid;
    memcpy(out, pid->bytes, pid->len);
    uint64_t seqno = SEQNO_START + n;
    for (int i = PUBSUB_SEQNO_BYTES - 1; i >= 0; i--, seqno >>= 8) out[pid->len + (size_t)i] = (uint8_t)seqno;
    return pid->len + PUBSUB_SEQNO_BYTES;
}

/* ---- what raw peers received ------------------------------------------ */

typedef struct received {
    int rpcs, messages, grafts, prunes, ihaves, ihave_ids, iwant_ids;
    bool prune_has_backoff;
    uint64_t prune_backoff_s;
    size_t prune_px;
    uint8_t last_iwant[128];
    size_t last_iwant_len;
    uint8_t last_data[64];
    size_t last_data_len;
} received;

static pubsub_rpc rpc_scratch;
static gossipsub_control ctl_scratch;

static void scan_control(received *r, const pubsub_rpc *rpc) {
    assert_int_equal(gossipsub_control_decode(rpc->control.data, rpc->control.len, &ctl_scratch), 0);
    const gossipsub_control *c = &ctl_scratch;
    r->grafts += (int)c->graft_count;
    r->prunes += (int)c->prune_count;
    r->ihaves += (int)c->ihave_count;
    r->ihave_ids += (int)c->ihave_id_count;
    r->iwant_ids += (int)c->iwant_id_count;
    if (c->prune_count > 0) {
        r->prune_has_backoff = c->prunes[0].has_backoff;
        r->prune_backoff_s = c->prunes[0].backoff_s;
        r->prune_px = c->prunes[0].px_count;
    }
    if (c->iwant_id_count > 0) {
        r->last_iwant_len = c->iwant_ids[0].len;
        memcpy(r->last_iwant, c->iwant_ids[0].data, c->iwant_ids[0].len);
    }
}

/* What the logged RPCs to raw peer `to` held. */
static received scan(const net *w, uint32_t to) {
    received r = {0};
    for (size_t i = 0; i < w->log_count; i++) {
        if (w->log[i].to != to) continue;
        assert_int_equal(pubsub_rpc_decode(w->log[i].bytes, w->log[i].len, &rpc_scratch), 0);
        r.rpcs++;
        r.messages += (int)rpc_scratch.message_count;
        if (rpc_scratch.message_count > 0) {
            const pubsub_message *m = &rpc_scratch.messages[0];
            r.last_data_len = m->data.len < sizeof r.last_data ? m->data.len : sizeof r.last_data;
            memcpy(r.last_data, m->data.data, r.last_data_len);
        }
        if (rpc_scratch.has_control) scan_control(&r, &rpc_scratch);
    }
    return r;
}

/* One router (node 0) and raw peers 1..raws, all connected to it. */
static net *star(size_t raws, const gossipsub_config *config) {
    net *w = net_new(raws + 1, 1, config);
    for (uint32_t i = 1; i <= raws; i++) connect(w, 0, i);
    return w;
}

static net *star_default(size_t raws, bool flood_publish) {
    gossipsub_config config;
    default_config(&config);
    config.flood_publish = flood_publish;
    return star(raws, &config);
}

/* ---- configuration ------------------------------------------------------ */

static void test_config_default_has_the_spec_values(void **state) {
    (void)state;
    gossipsub_config c;
    gossipsub_config_default(&c);
    assert_int_equal(c.D, 6);
    assert_int_equal(c.D_lo, 4);
    assert_int_equal(c.D_hi, 12);
    assert_int_equal(c.D_lazy, 6);
    assert_int_equal(c.heartbeat_ns, 1 * SEC);
    assert_int_equal(c.fanout_ttl_ns, 60 * SEC);
    assert_int_equal(c.mcache_len, 5);
    assert_int_equal(c.mcache_gossip, 3);
    assert_int_equal(gossipsub_config_check(&c), -1); /* no randomness yet */
    c.random = host_random;
    assert_int_equal(gossipsub_config_check(&c), 0);
    c.D_lo = 7; /* D_lo > D */
    assert_int_equal(gossipsub_config_check(&c), -1);
}

/* ---- join and leave ----------------------------------------------------- */

static void test_join_grafts_D_subscribed_peers(void **state) {
    (void)state;
    gossipsub_config config;
    default_config(&config);
    net *w = net_new(10, 10, &config);
    for (uint32_t a = 0; a < 10; a++)
        for (uint32_t b = a + 1; b < 10; b++) connect(w, a, b);
    for (uint32_t i = 1; i < 10; i++) {
        assert_int_equal(gossipsub_subscribe(w->nodes[i].gs, TOPIC), 0);
        drain(w);
    }
    int grafts_before = w->nodes[0].traces[TRACE_GRAFT];
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    drain(w);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 6);
    assert_int_equal(w->nodes[0].traces[TRACE_GRAFT] - grafts_before, 6);
    /* Every grafted peer subscribes, so each accepted: the mesh is symmetric. */
    int accepted = 0;
    for (uint32_t i = 1; i < 10; i++) {
        bool ours = gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i);
        assert_int_equal(ours, gossipsub_in_mesh(w->nodes[i].gs, TOPIC, 0));
        accepted += ours;
    }
    assert_int_equal(accepted, 6);
    net_free(w);
}

static void test_join_grafts_all_when_fewer_than_D_peers_subscribe(void **state) {
    (void)state;
    net *w = star_default(5, true);
    raw_subscribe(w, 1, 0, TOPIC);
    raw_subscribe(w, 2, 0, TOPIC);
    raw_subscribe(w, 3, 0, "other");
    log_clear(w);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 2);
    assert_int_equal(scan(w, 1).grafts, 1);
    assert_int_equal(scan(w, 2).grafts, 1);
    assert_int_equal(scan(w, 3).grafts, 0); /* not subscribed to the topic */
    assert_int_equal(scan(w, 4).grafts, 0);
    assert_int_equal(scan(w, 4).rpcs, 1); /* but told of our subscription */
    net_free(w);
}

static void test_leave_prunes_the_mesh_with_the_unsubscribe_backoff(void **state) {
    (void)state;
    net *w = star_default(3, true);
    for (uint32_t i = 1; i <= 3; i++) raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    log_clear(w);
    assert_int_equal(gossipsub_unsubscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 3; i++) {
        received r = scan(w, i);
        assert_int_equal(r.prunes, 1);
        assert_true(r.prune_has_backoff);
        assert_int_equal(r.prune_backoff_s, 10);
    }
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 0);
    assert_false(gossipsub_is_subscribed(w->nodes[0].gs, TOPIC));
    /* Rejoining within the backoff grafts none of them. */
    log_clear(w);
    w->now += 5 * SEC;
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(scan(w, 1).grafts + scan(w, 2).grafts + scan(w, 3).grafts, 0);
    net_free(w);
}

/* ---- message propagation ---------------------------------------------- */

static void test_message_reaches_every_subscriber_once_through_the_mesh(void **state) {
    (void)state;
    gossipsub_config config;
    default_config(&config);
    config.flood_publish = false;
    net *w = net_new(20, 20, &config);
    for (uint32_t i = 0; i < 20; i++) /* a ring with chords: degree 6, diameter 4 */
        for (uint32_t k = 1; k <= 3; k++) connect(w, i, (i + k) % 20);
    for (uint32_t i = 0; i < 20; i++) gossipsub_subscribe(w->nodes[i].gs, TOPIC);
    drain(w);
    for (int beat = 0; beat < 3; beat++) {
        w->now += SEC;
        heartbeat_all(w);
    }
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"hello", 5), 0);
    drain(w);
    int duplicates = 0;
    for (uint32_t i = 0; i < 20; i++) {
        assert_int_equal(w->nodes[i].delivered, 1);
        assert_memory_equal(w->nodes[i].last_data, "hello", 5);
        duplicates += w->nodes[i].traces[TRACE_DUPLICATE_MESSAGE];
        size_t mesh = gossipsub_mesh_count(w->nodes[i].gs, TOPIC);
        assert_true(mesh >= 4 && mesh <= 6); /* each node has only 6 peers */
    }
    assert_true(duplicates > 0); /* the mesh has cycles; the seen cache absorbs them */
    net_free(w);
}

static void test_own_message_is_flood_published_to_all_topic_peers(void **state) {
    (void)state;
    net *w = star_default(10, true);
    for (uint32_t i = 1; i <= 8; i++) raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    log_clear(w);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"x", 1), 0);
    for (uint32_t i = 1; i <= 8; i++) assert_int_equal(scan(w, i).messages, 1); /* mesh is only 6 */
    assert_int_equal(scan(w, 9).messages, 0);
    assert_int_equal(scan(w, 10).messages, 0);
    assert_int_equal(w->nodes[0].delivered, 1);
    net_free(w);
}

static void test_message_with_a_bad_signature_is_rejected(void **state) {
    (void)state;
    net *w = star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    node *raw = &w->nodes[1];
    uint8_t seqno[PUBSUB_SEQNO_BYTES] = {0, 0, 0, 0, 0, 0, 0, 1};
    pubsub_message msg = {.from = {raw->pid.bytes, raw->pid.len}, .has_from = true,
                          .data = bytes_of("genuine"), .has_data = true,
                          .seqno = {seqno, sizeof seqno}, .has_seqno = true,
                          .topic = bytes_of(TOPIC), .has_topic = true};
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    assert_int_equal(pubsub_message_sign(&raw->id, &msg, sig), 0);
    msg.signature = (pubsub_bytes){sig, sizeof sig};
    msg.has_signature = true;
    pubsub_message forged = msg;
    forged.data = bytes_of("forged!");
    raw_send(w, 1, 0, NULL, 0, &forged, 1, NULL);
    assert_int_equal(w->nodes[0].traces[TRACE_REJECT_MESSAGE], 1);
    assert_int_equal(w->nodes[0].delivered, 0);
    /* The forgery did not enter the seen cache: the genuine one still arrives. */
    raw_send(w, 1, 0, NULL, 0, &msg, 1, NULL);
    assert_int_equal(w->nodes[0].delivered, 1);
    raw_send(w, 1, 0, NULL, 0, &msg, 1, NULL);
    assert_int_equal(w->nodes[0].delivered, 1);
    assert_int_equal(w->nodes[0].traces[TRACE_DUPLICATE_MESSAGE], 1);
    net_free(w);
}

static void test_message_is_forwarded_to_the_mesh_but_not_to_its_sender_or_origin(void **state) {
    (void)state;
    net *w = star_default(4, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 3; i++) {
        raw_subscribe(w, i, 0, TOPIC);
        raw_graft(w, i, 0, TOPIC);
    }
    raw_subscribe(w, 4, 0, TOPIC); /* subscribed, but not in the mesh */
    log_clear(w);
    node *origin = &w->nodes[3];
    uint8_t seqno[PUBSUB_SEQNO_BYTES] = {0, 0, 0, 0, 0, 0, 0, 7};
    pubsub_message msg = {.from = {origin->pid.bytes, origin->pid.len}, .has_from = true,
                          .data = bytes_of("relayed"), .has_data = true,
                          .seqno = {seqno, sizeof seqno}, .has_seqno = true,
                          .topic = bytes_of(TOPIC), .has_topic = true};
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    assert_int_equal(pubsub_message_sign(&origin->id, &msg, sig), 0);
    msg.signature = (pubsub_bytes){sig, sizeof sig};
    msg.has_signature = true;
    raw_send(w, 1, 0, NULL, 0, &msg, 1, NULL); /* peer 1 relays what 3 published */
    assert_int_equal(w->nodes[0].delivered, 1);
    assert_int_equal(scan(w, 1).messages, 0); /* the sender */
    assert_int_equal(scan(w, 2).messages, 1); /* the mesh */
    assert_int_equal(scan(w, 3).messages, 0); /* the origin */
    assert_int_equal(scan(w, 4).messages, 0); /* not in the mesh: gossip only */
    net_free(w);
}

/* ---- fanout ------------------------------------------------------------- */

static void test_fanout_sends_to_D_peers_and_expires_after_fanout_ttl(void **state) {
    (void)state;
    net *w = star_default(10, false);
    for (uint32_t i = 1; i <= 10; i++) raw_subscribe(w, i, 0, TOPIC);
    log_clear(w);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"f", 1), 0);
    int sent = 0;
    for (uint32_t i = 1; i <= 10; i++) sent += scan(w, i).messages;
    assert_int_equal(sent, 6);
    assert_int_equal(gossipsub_fanout_count(w->nodes[0].gs, TOPIC), 6);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(w->nodes[0].delivered, 0); /* we do not subscribe */
    w->now = 59 * SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gossipsub_fanout_count(w->nodes[0].gs, TOPIC), 6);
    w->now = 60 * SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gossipsub_fanout_count(w->nodes[0].gs, TOPIC), 0);
    net_free(w);
}

static void test_join_turns_the_fanout_into_the_mesh(void **state) {
    (void)state;
    net *w = star_default(10, false);
    for (uint32_t i = 1; i <= 10; i++) raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"f", 1), 0);
    bool fanout[11] = {false};
    for (uint32_t i = 1; i <= 10; i++) fanout[i] = scan(w, i).messages == 1;
    log_clear(w);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 10; i++) {
        assert_int_equal(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i), fanout[i]);
        assert_int_equal(scan(w, i).grafts, fanout[i] ? 1 : 0);
    }
    assert_int_equal(gossipsub_fanout_count(w->nodes[0].gs, TOPIC), 0);
    net_free(w);
}

static void test_join_does_not_graft_a_fanout_peer_in_backoff(void **state) {
    (void)state;
    net *w = star_default(10, false);
    for (uint32_t i = 1; i <= 10; i++) raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"f", 1), 0);
    uint32_t backed_off = 0;
    for (uint32_t i = 1; i <= 10 && backed_off == 0; i++)
        if (scan(w, i).messages == 1) backed_off = i; /* a fanout peer */
    assert_true(backed_off > 0);
    raw_prune(w, backed_off, 0, TOPIC, 30);
    log_clear(w);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, backed_off));
    assert_int_equal(scan(w, backed_off).grafts, 0);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 6); /* topped up from the rest */
    net_free(w);
}

/* ---- heartbeat: mesh maintenance -------------------------------------- */

static void test_heartbeat_grafts_up_to_D_when_below_D_lo(void **state) {
    (void)state;
    net *w = star_default(10, true);
    raw_subscribe(w, 1, 0, TOPIC);
    raw_subscribe(w, 2, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 2);
    for (uint32_t i = 3; i <= 10; i++) raw_subscribe(w, i, 0, TOPIC);
    log_clear(w);
    w->now = SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 6);
    int grafts = 0;
    for (uint32_t i = 1; i <= 10; i++) {
        received r = scan(w, i);
        grafts += r.grafts;
        assert_int_equal(r.grafts, gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i) && i > 2 ? 1 : 0);
    }
    assert_int_equal(grafts, 4);
    net_free(w);
}

static void test_heartbeat_leaves_a_mesh_within_D_lo_and_D_hi_alone(void **state) {
    (void)state;
    net *w = star_default(10, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 10; i++) raw_subscribe(w, i, 0, TOPIC);
    for (uint32_t i = 1; i <= 4; i++) raw_graft(w, i, 0, TOPIC); /* exactly D_lo */
    log_clear(w);
    gossipsub_heartbeat(w->nodes[0].gs, SEC);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 4);
    for (uint32_t i = 1; i <= 10; i++) assert_int_equal(scan(w, i).grafts + scan(w, i).prunes, 0);
    net_free(w);
}

static void test_heartbeat_prunes_down_to_D_when_above_D_hi(void **state) {
    (void)state;
    net *w = star_default(14, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    for (uint32_t i = 1; i <= 14; i++) {
        raw_subscribe(w, i, 0, TOPIC);
        raw_graft(w, i, 0, TOPIC);
    }
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 14); /* GRAFTs are accepted */
    log_clear(w);
    w->now = SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, TOPIC), 6);
    int prunes = 0;
    for (uint32_t i = 1; i <= 14; i++) {
        received r = scan(w, i);
        bool kept = gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i);
        assert_int_equal(r.prunes, kept ? 0 : 1);
        if (kept) continue;
        prunes++;
        assert_true(r.prune_has_backoff);
        assert_int_equal(r.prune_backoff_s, 60);
        assert_int_equal(r.prune_px, 6); /* the kept members, for peer exchange */
        assert_true(gossipsub_in_backoff(w->nodes[0].gs, TOPIC, i, w->now));
    }
    assert_int_equal(prunes, 8);
    net_free(w);
}

/* ---- GRAFT and PRUNE ---------------------------------------------------- */

static void test_graft_for_an_unsubscribed_topic_is_answered_with_prune(void **state) {
    (void)state;
    net *w = star_default(1, true);
    raw_graft(w, 1, 0, "other");
    received r = scan(w, 1);
    assert_int_equal(r.prunes, 1);
    assert_true(r.prune_has_backoff);
    assert_int_equal(r.prune_backoff_s, 60);
    assert_int_equal(r.prune_px, 0);
    assert_int_equal(gossipsub_mesh_count(w->nodes[0].gs, "other"), 0);
    assert_int_equal(w->nodes[0].traces[TRACE_GRAFT], 0);
    net_free(w);
}

static void test_prune_to_a_v10_peer_carries_no_backoff(void **state) {
    (void)state;
    gossipsub_config config;
    default_config(&config);
    net *w = net_new(2, 1, &config);
    connect_as(w, 0, 1, GOSSIPSUB_PROTOCOL_V10);
    raw_graft(w, 1, 0, "other");
    received r = scan(w, 1);
    assert_int_equal(r.prunes, 1);
    assert_false(r.prune_has_backoff);
    net_free(w);
}

static void test_graft_for_a_subscribed_topic_joins_the_mesh(void **state) {
    (void)state;
    net *w = star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    raw_graft(w, 1, 0, TOPIC);
    assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_int_equal(scan(w, 1).prunes, 0);
    assert_int_equal(w->nodes[0].traces[TRACE_GRAFT], 1);
    net_free(w);
}

static void test_pruned_peer_is_not_regrafted_before_the_backoff_expires(void **state) {
    (void)state;
    net *w = star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    raw_subscribe(w, 1, 0, TOPIC);
    raw_graft(w, 1, 0, TOPIC);
    raw_prune(w, 1, 0, TOPIC, 10);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_int_equal(w->nodes[0].traces[TRACE_PRUNE], 1);
    log_clear(w);
    for (uint64_t s = 1; s <= 9; s++) { /* mesh below D_lo, peer 1 the only candidate */
        w->now = s * SEC;
        gossipsub_heartbeat(w->nodes[0].gs, w->now);
    }
    assert_int_equal(scan(w, 1).grafts, 0);
    /* A GRAFT of its own within the backoff is refused. */
    raw_graft(w, 1, 0, TOPIC);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_int_equal(scan(w, 1).prunes, 1);
    w->now = 10 * SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now);
    assert_int_equal(scan(w, 1).grafts, 1);
    assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    net_free(w);
}

static void test_unsubscribe_of_a_peer_removes_it_from_the_mesh(void **state) {
    (void)state;
    net *w = star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    raw_subscribe(w, 1, 0, TOPIC);
    raw_graft(w, 1, 0, TOPIC);
    pubsub_subopts sub = {.subscribe = false, .topic = bytes_of(TOPIC)};
    raw_send(w, 1, 0, &sub, 1, NULL, 0, NULL);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    gossipsub_remove_peer(w->nodes[0].gs, 1);
    assert_int_equal(w->nodes[0].traces[TRACE_REMOVE_PEER], 1);
    net_free(w);
}

/* ---- IHAVE and IWANT ---------------------------------------------------- */

static void test_ihave_of_an_unseen_id_yields_iwant(void **state) {
    (void)state;
    net *w = star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    log_clear(w);
    uint8_t id[12] = "unseen-id-01";
    raw_ihave(w, 1, 0, TOPIC, (pubsub_bytes){id, sizeof id});
    received r = scan(w, 1);
    assert_int_equal(r.iwant_ids, 1);
    assert_int_equal(r.last_iwant_len, sizeof id);
    assert_memory_equal(r.last_iwant, id, sizeof id);
    net_free(w);
}

static void test_ihave_of_a_seen_id_or_other_topic_yields_nothing(void **state) {
    (void)state;
    net *w = star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"m", 1), 0);
    log_clear(w);
    uint8_t id[GOSSIPSUB_MESSAGE_ID_MAX_BYTES];
    size_t len = published_id(w, 0, 0, id);
    raw_ihave(w, 1, 0, TOPIC, (pubsub_bytes){id, len});
    raw_ihave(w, 1, 0, "other", bytes_of("unseen-id-02"));
    assert_int_equal(scan(w, 1).rpcs, 0);
    net_free(w);
}

static void test_ihaves_past_max_ihave_messages_are_ignored_until_the_heartbeat(void **state) {
    (void)state;
    net *w = star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    log_clear(w);
    char id[16];
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "id-%02d", i);
        raw_ihave(w, 1, 0, TOPIC, bytes_of(id));
    }
    assert_int_equal(scan(w, 1).iwant_ids, 10); /* max_ihave_messages */
    gossipsub_heartbeat(w->nodes[0].gs, SEC);
    raw_ihave(w, 1, 0, TOPIC, bytes_of("id-99"));
    assert_int_equal(scan(w, 1).iwant_ids, 11);
    net_free(w);
}

static void test_iwant_is_served_from_the_cache_within_the_retransmission_limit(void **state) {
    (void)state;
    net *w = star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"cached", 6), 0);
    assert_int_equal(scan(w, 1).messages, 0); /* peer 1 does not subscribe */
    uint8_t id[GOSSIPSUB_MESSAGE_ID_MAX_BYTES];
    size_t len = published_id(w, 0, 0, id);
    raw_iwant(w, 1, 0, (pubsub_bytes){id, len});
    received r = scan(w, 1);
    assert_int_equal(r.messages, 1);
    assert_int_equal(r.last_data_len, 6);
    assert_memory_equal(r.last_data, "cached", 6);
    for (int i = 0; i < 3; i++) raw_iwant(w, 1, 0, (pubsub_bytes){id, len});
    assert_int_equal(scan(w, 1).messages, 3); /* MCACHE_RETRANSMISSION_DEFAULT */
    raw_iwant(w, 1, 0, bytes_of("not-cached"));
    assert_int_equal(scan(w, 1).messages, 3);
    net_free(w);
}

static void test_message_leaves_the_cache_after_mcache_len_heartbeats(void **state) {
    (void)state;
    net *w = star_default(1, true);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"old", 3), 0);
    for (uint64_t s = 1; s <= 5; s++) gossipsub_heartbeat(w->nodes[0].gs, s * SEC);
    log_clear(w);
    uint8_t id[GOSSIPSUB_MESSAGE_ID_MAX_BYTES];
    size_t len = published_id(w, 0, 0, id);
    raw_iwant(w, 1, 0, (pubsub_bytes){id, len});
    assert_int_equal(scan(w, 1).messages, 0);
    net_free(w);
}

/* ---- heartbeat: gossip -------------------------------------------------- */

static void test_gossip_goes_only_to_non_mesh_peers(void **state) {
    (void)state;
    net *w = star_default(10, false);
    for (uint32_t i = 1; i <= 10; i++) raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    log_clear(w);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"g", 1), 0);
    for (uint32_t i = 1; i <= 10; i++)
        assert_int_equal(scan(w, i).messages, gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i) ? 1 : 0);
    log_clear(w);
    gossipsub_heartbeat(w->nodes[0].gs, SEC);
    /* 4 peers outside the mesh: max(D_lazy, 0.25 * 4) capped at 4. */
    int gossiped = 0;
    for (uint32_t i = 1; i <= 10; i++) {
        received r = scan(w, i);
        bool mesh = gossipsub_in_mesh(w->nodes[0].gs, TOPIC, i);
        assert_int_equal(r.ihaves, mesh ? 0 : 1);
        assert_int_equal(r.ihave_ids, mesh ? 0 : 1);
        gossiped += r.ihaves;
    }
    assert_int_equal(gossiped, 4);
    net_free(w);
}

static void test_gossip_reaches_at_most_D_lazy_of_many_non_mesh_peers(void **state) {
    (void)state;
    net *w = star_default(20, false);
    for (uint32_t i = 1; i <= 20; i++) raw_subscribe(w, i, 0, TOPIC);
    assert_int_equal(gossipsub_subscribe(w->nodes[0].gs, TOPIC), 0);
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"g", 1), 0);
    log_clear(w);
    gossipsub_heartbeat(w->nodes[0].gs, SEC);
    int gossiped = 0;
    for (uint32_t i = 1; i <= 20; i++) gossiped += scan(w, i).ihaves;
    assert_int_equal(gossiped, 6); /* 14 candidates: max(6, 0.25 * 14 = 3) */
    /* After mcache_gossip heartbeats the id is no longer advertised. */
    gossipsub_heartbeat(w->nodes[0].gs, 2 * SEC);
    gossipsub_heartbeat(w->nodes[0].gs, 3 * SEC);
    log_clear(w);
    gossipsub_heartbeat(w->nodes[0].gs, 4 * SEC);
    gossiped = 0;
    for (uint32_t i = 1; i <= 20; i++) gossiped += scan(w, i).ihaves;
    assert_int_equal(gossiped, 0);
    net_free(w);
}

static void test_gossip_repairs_a_message_the_mesh_missed(void **state) {
    (void)state;
    /* Two subscribed routers kept out of each other's mesh by the backoff of
     * a LEAVE: the message reaches node 1 only through IHAVE -> IWANT. */
    gossipsub_config config;
    default_config(&config);
    config.flood_publish = false;
    net *w = net_new(2, 2, &config);
    connect(w, 0, 1);
    gossipsub_subscribe(w->nodes[0].gs, TOPIC);
    drain(w);
    gossipsub_subscribe(w->nodes[1].gs, TOPIC);
    drain(w);
    assert_true(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    gossipsub_unsubscribe(w->nodes[1].gs, TOPIC);
    drain(w);
    gossipsub_subscribe(w->nodes[1].gs, TOPIC);
    drain(w);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_false(gossipsub_in_mesh(w->nodes[1].gs, TOPIC, 0));
    assert_int_equal(gossipsub_publish(w->nodes[0].gs, TOPIC, (const uint8_t *)"repair", 6), 0);
    drain(w);
    assert_int_equal(w->nodes[1].delivered, 0);
    w->now = SEC;
    gossipsub_heartbeat(w->nodes[0].gs, w->now); /* 1 is backed off: gossip, no graft */
    drain(w);
    assert_false(gossipsub_in_mesh(w->nodes[0].gs, TOPIC, 1));
    assert_int_equal(w->nodes[1].delivered, 1);
    assert_memory_equal(w->nodes[1].last_data, "repair", 6);
    net_free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_default_has_the_spec_values),
        cmocka_unit_test(test_join_grafts_D_subscribed_peers),
        cmocka_unit_test(test_join_grafts_all_when_fewer_than_D_peers_subscribe),
        cmocka_unit_test(test_leave_prunes_the_mesh_with_the_unsubscribe_backoff),
        cmocka_unit_test(test_message_reaches_every_subscriber_once_through_the_mesh),
        cmocka_unit_test(test_own_message_is_flood_published_to_all_topic_peers),
        cmocka_unit_test(test_message_with_a_bad_signature_is_rejected),
        cmocka_unit_test(test_message_is_forwarded_to_the_mesh_but_not_to_its_sender_or_origin),
        cmocka_unit_test(test_fanout_sends_to_D_peers_and_expires_after_fanout_ttl),
        cmocka_unit_test(test_join_turns_the_fanout_into_the_mesh),
        cmocka_unit_test(test_join_does_not_graft_a_fanout_peer_in_backoff),
        cmocka_unit_test(test_heartbeat_grafts_up_to_D_when_below_D_lo),
        cmocka_unit_test(test_heartbeat_leaves_a_mesh_within_D_lo_and_D_hi_alone),
        cmocka_unit_test(test_heartbeat_prunes_down_to_D_when_above_D_hi),
        cmocka_unit_test(test_graft_for_an_unsubscribed_topic_is_answered_with_prune),
        cmocka_unit_test(test_prune_to_a_v10_peer_carries_no_backoff),
        cmocka_unit_test(test_graft_for_a_subscribed_topic_joins_the_mesh),
        cmocka_unit_test(test_pruned_peer_is_not_regrafted_before_the_backoff_expires),
        cmocka_unit_test(test_unsubscribe_of_a_peer_removes_it_from_the_mesh),
        cmocka_unit_test(test_ihave_of_an_unseen_id_yields_iwant),
        cmocka_unit_test(test_ihave_of_a_seen_id_or_other_topic_yields_nothing),
        cmocka_unit_test(test_ihaves_past_max_ihave_messages_are_ignored_until_the_heartbeat),
        cmocka_unit_test(test_iwant_is_served_from_the_cache_within_the_retransmission_limit),
        cmocka_unit_test(test_message_leaves_the_cache_after_mcache_len_heartbeats),
        cmocka_unit_test(test_gossip_goes_only_to_non_mesh_peers),
        cmocka_unit_test(test_gossip_reaches_at_most_D_lazy_of_many_non_mesh_peers),
        cmocka_unit_test(test_gossip_repairs_a_message_the_mesh_missed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
