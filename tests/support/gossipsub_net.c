/* gossipsub_net: the GossipSub test harness. See gossipsub_net.h. */
#include "gossipsub_net.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

/* ---- the host --------------------------------------------------------- */

static uint64_t gnet_host_now(void *user) { return ((gnet_node *)user)->net->now; }

static int gnet_host_send(void *user, uint32_t peer, const uint8_t *rpc, size_t len) {
    gnet_node *n = user;
    gnet *w = n->net;
    gnet_rpc copy = {.from = n->index, .to = peer, .bytes = malloc(len), .len = len};
    assert_non_null(copy.bytes);
    memcpy(copy.bytes, rpc, len);
    if (w->nodes[peer].gs == NULL) {
        assert_true(w->log_count < GNET_LOG_MAX);
        w->log[w->log_count++] = copy;
    } else {
        assert_true(w->tail < GNET_QUEUE_MAX);
        w->queue[w->tail++] = copy;
    }
    return 0;
}

static void gnet_host_deliver(void *user, const pubsub_message *msg) {
    gnet_node *n = user;
    n->delivered++;
    n->last_len = msg->data.len < sizeof n->last_data ? msg->data.len : sizeof n->last_data;
    memcpy(n->last_data, msg->data.data, n->last_len);
}

static void gnet_host_trace(void *user, trace_event *event) {
    gnet_node *n = user;
    n->traces[event->kind]++;
    if (event->kind == TRACE_DROP_RPC && event->reason != NULL && strcmp(event->reason, "graylisted") == 0)
        n->drops_graylisted++;
    if (event->kind == TRACE_DROP_RPC && event->reason != NULL && strncmp(event->reason, "px ", 3) == 0)
        n->drops_px++;
}

/* In the harness, a router's peer handle is the peer's node index. */
static size_t gnet_host_peer_record(void *user, uint32_t peer, const uint8_t **record) {
    const gnet_node *n = user;
    assert_true(peer < n->net->count);
    *record = n->net->nodes[peer].record;
    return n->net->nodes[peer].record_len;
}

static bool gnet_host_connect(void *user, const peer_id *id, const uint8_t *record, size_t len) {
    gnet_node *n = user;
    peer_record rec;
    assert_int_equal(peer_record_open(record, len, &rec, NULL), 0); /* the router passes records through */
    assert_true(peer_id_equal(&rec.id, id));
    n->px_connects++;
    n->px_last = *id;
    return true;
}

static pubsub_validation gnet_host_validate(void *user, const pubsub_message *msg) {
    (void)msg;
    return ((gnet_node *)user)->verdict;
}

void gnet_host_random(void *user, uint8_t *buf, size_t len) {
    gnet_node *n = user;
    for (size_t i = 0; i < len; i++) { /* xorshift64: deterministic per node */
        n->rng ^= n->rng << 13;
        n->rng ^= n->rng >> 7;
        n->rng ^= n->rng << 17;
        buf[i] = (uint8_t)n->rng;
    }
}

/* ---- the network ------------------------------------------------------ */

void gnet_drain(gnet *w) {
    while (w->head < w->tail) {
        gnet_rpc c = w->queue[w->head++];
        assert_int_equal(gossipsub_handle_rpc(w->nodes[c.to].gs, c.from, c.bytes, c.len), 0);
        free(c.bytes);
    }
    w->head = w->tail = 0;
}

void gnet_log_clear(gnet *w) {
    for (size_t i = 0; i < w->log_count; i++) free(w->log[i].bytes);
    w->log_count = 0;
}

gnet *gnet_new(size_t count, size_t routers, const gossipsub_config *config) {
    return gnet_new_with(count, routers, config, NULL);
}

/* count nodes; those below routers have a router, the rest are raw. */
gnet *gnet_new_with(size_t count, size_t routers, const gossipsub_config *config, const pubsub_options *options) {
    gnet *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->count = count;
    for (size_t i = 0; i < count; i++) {
        gnet_node *n = &w->nodes[i];
        uint8_t seed[IDENTITY_SEED_BYTES];
        memset(seed, (int)i + 1, sizeof seed);
        identity_from_seed(&n->id, seed);
        peer_id_from_public_key(n->id.public_key, &n->pid);
        *n = (gnet_node){.net = w, .index = (uint32_t)i, .id = n->id, .pid = n->pid, .rng = i + 1};
        peer_record rec = {.id = n->pid, .seq = 1, .addr_count = 1, .addr_lens = {8}};
        const uint8_t addr[8] = {0x04, 10, 0, 0, (uint8_t)(i + 1), 0x06, 0x0f, 0xa1};
        memcpy(rec.addrs[0], addr, sizeof addr);
        n->record_len = peer_record_seal(&n->id, &rec, n->record, sizeof n->record);
        assert_true(n->record_len > 0);
        if (i >= routers) continue;
        pubsub_host host = {.user = n, .now_ns = gnet_host_now, .send = gnet_host_send, .deliver = gnet_host_deliver,
                            .trace = gnet_host_trace, .validate = gnet_host_validate,
                            .peer_record = gnet_host_peer_record, .connect = gnet_host_connect};
        uint8_t seen_key[SEEN_CACHE_KEY_BYTES] = {(uint8_t)i}, mcache_key[MCACHE_KEY_BYTES] = {(uint8_t)i};
        n->gs = gossipsub_create(&host, config, options, &n->id, GNET_SEQNO_START, seen_key, mcache_key);
        assert_non_null(n->gs);
    }
    return w;
}

void gnet_free(gnet *w) {
    gnet_drain(w);
    gnet_log_clear(w);
    for (size_t i = 0; i < w->count; i++) gossipsub_destroy(w->nodes[i].gs);
    free(w);
}

void gnet_default_config(gossipsub_config *config) {
    gossipsub_config_default(config);
    config->random = gnet_host_random;
}

void gnet_connect_as(gnet *w, uint32_t a, uint32_t b, const char *protocol) {
    gnet_node *na = &w->nodes[a], *nb = &w->nodes[b];
    if (na->gs) assert_int_equal(gossipsub_add_peer(na->gs, b, &nb->pid, protocol, true, nb->ip4), 0);
    if (nb->gs) assert_int_equal(gossipsub_add_peer(nb->gs, a, &na->pid, protocol, false, na->ip4), 0);
    gnet_drain(w);
}

void gnet_connect(gnet *w, uint32_t a, uint32_t b) { gnet_connect_as(w, a, b, GOSSIPSUB_PROTOCOL_V11); }

void gnet_heartbeat_all(gnet *w) {
    for (size_t i = 0; i < w->count; i++)
        if (w->nodes[i].gs) gossipsub_heartbeat(w->nodes[i].gs, w->now);
    gnet_drain(w);
}

/* ---- raw peers speak ---------------------------------------------------- */

void gnet_raw_send(gnet *w, uint32_t raw, uint32_t to, const pubsub_subopts *subs, size_t sub_count,
                     const pubsub_message *msgs, size_t msg_count, const gossipsub_control *ctl) {
    static uint8_t rpc[1 << 16];
    size_t len = gossipsub_rpc_encode(subs, sub_count, msgs, msg_count, ctl, rpc, sizeof rpc);
    assert_true(len > 0);
    assert_int_equal(gossipsub_handle_rpc(w->nodes[to].gs, raw, rpc, len), 0);
    gnet_drain(w);
}

pubsub_bytes gnet_bytes(const char *text) { return (pubsub_bytes){(const uint8_t *)text, strlen(text)}; }

void gnet_raw_subscribe(gnet *w, uint32_t raw, uint32_t to, const char *topic) {
    pubsub_subopts sub = {.subscribe = true, .topic = gnet_bytes(topic)};
    gnet_raw_send(w, raw, to, &sub, 1, NULL, 0, NULL);
}

static gossipsub_control ctl; /* too large for the stack */

void gnet_raw_graft(gnet *w, uint32_t raw, uint32_t to, const char *topic) {
    gossipsub_control_init(&ctl);
    assert_int_equal(gossipsub_control_add_graft(&ctl, gnet_bytes(topic)), 0);
    gnet_raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}

void gnet_raw_prune(gnet *w, uint32_t raw, uint32_t to, const char *topic, uint64_t backoff_s) {
    gossipsub_control_init(&ctl);
    assert_int_equal(gossipsub_control_add_prune(&ctl, gnet_bytes(topic), NULL, 0, true, backoff_s), 0);
    gnet_raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}

/* Adds to ctl prunes PRUNEs for topic, each listing px[0..n-1]. */
static void gnet_add_prunes(gnet *w, const char *topic, const uint32_t *px, size_t n, bool with_records,
                            size_t prunes) {
    gossipsub_peer_info infos[GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX];
    assert_true(n <= GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX);
    for (size_t i = 0; i < n; i++) {
        const gnet_node *p = &w->nodes[px[i]];
        infos[i] = (gossipsub_peer_info){.peer_id = {p->pid.bytes, p->pid.len}, .has_peer_id = true};
        if (with_records) {
            infos[i].signed_peer_record = (pubsub_bytes){p->record, p->record_len};
            infos[i].has_signed_peer_record = true;
        }
    }
    for (size_t k = 0; k < prunes; k++)
        assert_int_equal(gossipsub_control_add_prune(&ctl, gnet_bytes(topic), infos, n, true, 60), 0);
}

void gnet_raw_prune_px(gnet *w, uint32_t raw, uint32_t to, const char *topic, const uint32_t *px, size_t n,
                       bool with_records) {
    gossipsub_control_init(&ctl);
    gnet_add_prunes(w, topic, px, n, with_records, 1);
    gnet_raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}

void gnet_raw_prune_flood(gnet *w, uint32_t raw, uint32_t to, const char *topic, const uint32_t *px, size_t n,
                          size_t prunes) {
    gossipsub_control_init(&ctl);
    gnet_add_prunes(w, topic, px, n, true, prunes);
    gnet_raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}

void gnet_raw_ihave(gnet *w, uint32_t raw, uint32_t to, const char *topic, pubsub_bytes id) {
    gossipsub_control_init(&ctl);
    assert_int_equal(gossipsub_control_add_ihave(&ctl, gnet_bytes(topic), &id, 1), 0);
    gnet_raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}

void gnet_raw_iwant(gnet *w, uint32_t raw, uint32_t to, pubsub_bytes id) {
    gossipsub_control_init(&ctl);
    assert_int_equal(gossipsub_control_add_iwant(&ctl, &id, 1), 0);
    gnet_raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}

/* The id router publishes with its n-th message: from || seqno. */
size_t gnet_published_id(const gnet *w, uint32_t router, uint64_t n, uint8_t *out) {
    const peer_id *pid = &w->nodes[router].pid;
    memcpy(out, pid->bytes, pid->len);
    uint64_t seqno = GNET_SEQNO_START + n;
    for (int i = PUBSUB_SEQNO_BYTES - 1; i >= 0; i--, seqno >>= 8) out[pid->len + (size_t)i] = (uint8_t)seqno;
    return pid->len + PUBSUB_SEQNO_BYTES;
}

/* ---- what raw peers gnet_received ------------------------------------------ */


static pubsub_rpc gnet_rpc_scratch;
static gossipsub_control gnet_ctl_scratch;

static void gnet_scan_control(gnet_received *r, const pubsub_rpc *rpc) {
    assert_int_equal(gossipsub_control_decode(rpc->control.data, rpc->control.len, &gnet_ctl_scratch), 0);
    const gossipsub_control *c = &gnet_ctl_scratch;
    r->grafts += (int)c->graft_count;
    r->prunes += (int)c->prune_count;
    r->ihaves += (int)c->ihave_count;
    r->ihave_ids += (int)c->ihave_id_count;
    r->iwant_ids += (int)c->iwant_id_count;
    r->idontwant_ids += (int)c->idontwant_id_count;
    if (c->prune_count > 0) {
        r->prune_has_backoff = c->prunes[0].has_backoff;
        r->prune_backoff_s = c->prunes[0].backoff_s;
        r->prune_px = c->prunes[0].px_count;
        for (size_t i = 0; i < c->prunes[0].px_count; i++)
            r->prune_px_records += c->px_peers[c->prunes[0].px_first + i].has_signed_peer_record;
    }
    if (c->iwant_id_count > 0) {
        r->last_iwant_len = c->iwant_ids[0].len;
        memcpy(r->last_iwant, c->iwant_ids[0].data, c->iwant_ids[0].len);
    }
}

/* What the logged RPCs to raw peer `to` held. */
gnet_received gnet_scan(const gnet *w, uint32_t to) {
    gnet_received r = {0};
    for (size_t i = 0; i < w->log_count; i++) {
        if (w->log[i].to != to) continue;
        assert_int_equal(pubsub_rpc_decode(w->log[i].bytes, w->log[i].len, &gnet_rpc_scratch), 0);
        r.rpcs++;
        r.messages += (int)gnet_rpc_scratch.message_count;
        if (gnet_rpc_scratch.message_count > 0) {
            const pubsub_message *m = &gnet_rpc_scratch.messages[0];
            r.last_data_len = m->data.len < sizeof r.last_data ? m->data.len : sizeof r.last_data;
            memcpy(r.last_data, m->data.data, r.last_data_len);
        }
        if (gnet_rpc_scratch.has_control) gnet_scan_control(&r, &gnet_rpc_scratch);
    }
    return r;
}

/* One router (node 0) and raw peers 1..raws, all connected to it. */
gnet *gnet_star(size_t raws, const gossipsub_config *config) {
    gnet *w = gnet_new(raws + 1, 1, config);
    for (uint32_t i = 1; i <= raws; i++) gnet_connect(w, 0, i);
    return w;
}

gnet *gnet_star_default(size_t raws, bool flood_publish) {
    gossipsub_config config;
    gnet_default_config(&config);
    config.flood_publish = flood_publish;
    return gnet_star(raws, &config);
}


void gnet_raw_publish(gnet *w, uint32_t raw, uint32_t to, uint64_t seqno, const char *text, bool corrupt) {
    gnet_node *n = &w->nodes[raw];
    pubsub_outgoing out;
    assert_int_equal(pubsub_message_make(&out, &n->id, &n->pid, seqno, TOPIC, (const uint8_t *)text, strlen(text)),
                     0);
    if (corrupt) out.signature[0] ^= 1; /* the signature no longer matches */
    gnet_raw_send(w, raw, to, NULL, 0, &out.msg, 1, NULL);
}

void gnet_raw_idontwant(gnet *w, uint32_t raw, uint32_t to, pubsub_bytes id) {
    gossipsub_control_init(&ctl);
    assert_int_equal(gossipsub_control_add_idontwant(&ctl, &id, 1), 0);
    gnet_raw_send(w, raw, to, NULL, 0, NULL, 0, &ctl);
}
