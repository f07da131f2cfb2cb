/*
 * node: lifecycle, the runtime entry points and the public API of a peer,
 * the top layer of the core (see node_internal.h). The upgrade of each
 * connection lives in connection.c, the protocols on its streams in
 * stream.c; node.c calls down into both and joins them (node->upper).
 * See node.h.
 */
#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wire/multiaddr.h"
#include "blocks.h"
#include "stream.h"
#include "base/varint.h"

/* ---- the connection table -------------------------------------------- */

static conn *node_find_conn_by_handle(node *n, uint32_t handle) {
    for (size_t i = 0; i < n->conn_count; i++)
        if (n->conn_handles[i] == handle && !n->conns[i]->closing) return n->conns[i];
    return NULL;
}

static conn *node_find_conn_by_peer(node *n, const peer_id *peer) {
    for (size_t i = 0; i < n->conn_count; i++) {
        conn *c = n->conns[i];
        if (!c->closing && c->phase == CONN_READY && peer_id_equal(&c->noise.remote, peer)) return c;
    }
    return NULL;
}

static conn *node_find_conn_by_id(node *n, uint64_t conn_id) {
    for (size_t i = 0; i < n->conn_count; i++)
        if (n->conn_ids[i] == conn_id && !n->conns[i]->closing) return n->conns[i];
    return NULL;
}

/* The protocols the stream responder accepts: the built-in ones first. */
static void node_rebuild_supported(node *n) {
    size_t count = 0;
    n->supported[count++] = PING_PROTOCOL;
    n->supported[count++] = IDENTIFY_PROTOCOL;
    const char *pubsub[ROUTER_PROTOCOLS_MAX];
    size_t pubsub_count = pubsub_protocols(n->router.core, pubsub);
    for (size_t i = 0; i < pubsub_count; i++) n->supported[count++] = pubsub[i];
    n->supported[count++] = BITSWAP_PROTOCOL;
    for (size_t i = 0; i < n->protocol_count; i++) n->supported[count++] = n->protocols[i].name;
    assert(count <= sizeof n->supported / sizeof n->supported[0]);
    n->supported_count = count;
}

/* Tears down the connections marked closing. Runs at the end of every entry
 * point, so that no handler ever frees a connection its caller still uses. */
static void node_reap(node *n) {
    if (n->depth > 0 || n->closing_count == 0) return; /* later, or nothing to do */
    n->depth++;
    /* Callbacks run by conn_destroy may mark more connections: rescan. */
    for (size_t i = 0; i < n->conn_count;) {
        conn *c = n->conns[i];
        if (!c->closing) {
            i++;
            continue;
        }
        n->conn_count--;
        n->conns[i] = n->conns[n->conn_count];
        n->conn_ids[i] = n->conn_ids[n->conn_count];
        n->conn_handles[i] = n->conn_handles[n->conn_count];
        assert(n->closing_count > 0);
        n->closing_count--;
        conn_destroy(n, c);
        i = 0;
    }
    n->depth--;
}

/* Above high_water established peers, closes the least useful down to
 * low_water (connmgr_trim). Runs when a connection became ready (force:
 * at every heartbeat too, as grace periods run out). */
static void node_trim(node *n, bool force) {
    if (!n->trim_due && !force) return;
    n->trim_due = false;
    if (node_peer_count(n) <= n->limits.high_water) return;
    conn_candidate *peers = malloc(n->conn_count * sizeof *peers);
    if (peers == NULL) return; /* the next connection or heartbeat tries again */
    size_t count = 0;
    for (size_t i = 0; i < n->conn_count; i++) {
        const conn *c = n->conns[i];
        if (c->closing || c->phase != CONN_READY) continue;
        peers[count++] = (conn_candidate){.handle = c->handle, .protected_peer = pubsub_peer_protected(n->router.core, c->handle),
                                          .score = pubsub_peer_score(n->router.core, c->handle), .ready_ns = c->ready_ns,
                                          .last_recv_ns = c->last_recv_ns};
    }
    size_t chosen = connmgr_trim(&n->limits, peers, count, node_now(n));
    for (size_t i = 0; i < chosen; i++) {
        conn *c = node_find_conn_by_handle(n, peers[i].handle);
        assert(c != NULL);
        c->limit_closed = true;
        conn_close(n, c, CONNMGR_TRIM_REASON);
    }
    free(peers);
}

/* ---- pubsub host ------------------------------------------------------ */

static uint64_t host_now(void *user) { return node_now(user); }

/* An RPC on c's pubsub stream, through the policy's rewrite. */
static int node_send_rpc(node *n, conn *c, const uint8_t *rpc, size_t len) {
    if (c == NULL || !c->has_pubsub_out) return -1;
    node_stream *s = stream_find(c, c->pubsub_out);
    if (s == NULL) return -1;
    return stream_send_rewritten(n, c, s, rpc, len, n->policy != NULL ? n->policy->rewrite_rpc : NULL);
}

static int host_send(void *user, uint32_t peer, const uint8_t *rpc, size_t len) {
    node *n = user;
    return node_send_rpc(n, node_find_conn_by_handle(n, peer), rpc, len);
}

/* The signed record a connected peer gave us in identify, for PX. */
static size_t host_peer_record(void *user, uint32_t peer, const uint8_t **record) {
    conn *c = node_find_conn_by_handle(user, peer);
    if (c == NULL || c->info.record == NULL) return 0;
    *record = c->info.record;
    return c->info.record_len;
}

/* node_dial, with the new connection in *out. */
static int node_dial_conn(node *n, const char *text, conn **out) {
    multiaddr ma;
    if (multiaddr_parse(text, &ma) != 0) return -1;
    if (ma.has_peer && (peer_id_equal(&ma.peer, &n->self) || node_is_connected(n, &ma.peer))) return -1;
    if (conn_admit(n, true, 0) != NULL) return -1;
    uint64_t conn_id;
    if (n->env.dial == NULL || n->env.dial(n->env.ctx, text, &conn_id) != 0) return -1;
    conn *c = conn_create(n, conn_id, true);
    if (c == NULL) {
        n->env.close(n->env.ctx, conn_id);
        return -1;
    }
    c->expect_peer = ma.has_peer;
    if (ma.has_peer) c->expected = ma.peer;
    *out = c;
    return 0;
}

/* Whether a connection to id exists or is being dialled. */
static bool node_knows_peer(node *n, const peer_id *id) {
    for (size_t i = 0; i < n->conn_count; i++) {
        const conn *c = n->conns[i];
        if (c->closing) continue;
        if (c->phase == CONN_READY && peer_id_equal(&c->noise.remote, id)) return true;
        if (c->phase != CONN_READY && c->expect_peer && peer_id_equal(&c->expected, id)) return true;
    }
    return false;
}

/* PX dials still upgrading (not yet ready, not closing). */
static size_t node_px_dials_in_flight(const node *n) {
    size_t count = 0;
    for (size_t i = 0; i < n->conn_count; i++) {
        const conn *c = n->conns[i];
        count += c->px_dial && !c->closing && c->phase != CONN_READY;
    }
    return count;
}

/* Whether we listen at ma's address and port: a record may name them to
 * make us dial ourselves. */
static bool node_listens_at(const node *n, const multiaddr *ma) {
    for (size_t i = 0; i < n->listen_count; i++) {
        multiaddr own;
        if (multiaddr_parse(n->listen_addrs[i], &own) == 0 && own.port == ma->port &&
            memcmp(own.ip4, ma->ip4, sizeof own.ip4) == 0)
            return true;
    }
    return false;
}

/* Peer exchange: dial a peer a PRUNE suggested, at the first address of
 * its signed record that we can dial and is not our own (the router only
 * passes records it got with the id; this checks the signature and that
 * the record is the id's). At most px_dials_max such dials upgrade at once, as go-libp2p's
 * connectors do: false refuses the rest, so that a flood of suggestions
 * cannot fill the connection table with our own dials. */
static bool host_connect(void *user, const peer_id *id, const uint8_t *record, size_t len) {
    node *n = user;
    peer_record rec;
    if (peer_id_equal(id, &n->self) || node_knows_peer(n, id)) return true;
    if (node_px_dials_in_flight(n) >= (size_t)n->px_dials_max) return false;
    if (peer_record_open(record, len, &rec, NULL) != 0 || !peer_id_equal(&rec.id, id)) return true;
    for (size_t i = 0; i < rec.addr_count; i++) {
        multiaddr ma;
        char text[MULTIADDR_TEXT_MAX + PEER_ID_TEXT_MAX + 8];
        conn *c;
        if (multiaddr_decode(rec.addrs[i], rec.addr_lens[i], &ma) != 0 || node_listens_at(n, &ma)) continue;
        ma.has_peer = true;
        ma.peer = *id;
        if (multiaddr_format(&ma, text, sizeof text) == 0 && node_dial_conn(n, text, &c) == 0) {
            c->px_dial = true;
            return true;
        }
    }
    return true;
}

static bool host_relay(void *user) {
    const node *n = user;
    return n->policy == NULL || n->policy->relay == NULL || n->policy->relay(n->policy->user);
}

/* One delivery to the callbacks, then to each listener. */
static void node_deliver_to(const node_callbacks *cb, const char *topic, const peer_id *from,
                            const pubsub_message *msg) {
    if (cb->on_message != NULL) cb->on_message(cb->user, topic, from, msg->data.data, msg->data.len);
}

static void host_deliver(void *user, const pubsub_message *msg) {
    node *n = user;
    if (n->callbacks.on_message == NULL && n->listener_count == 0) return;
    char topic[PUBSUB_TOPIC_MAX + 1];
    assert(msg->topic.len <= PUBSUB_TOPIC_MAX);
    memcpy(topic, msg->topic.data, msg->topic.len);
    topic[msg->topic.len] = '\0';
    peer_id from;
    const peer_id *author = NULL; /* StrictNoSign: no author */
    if (msg->has_from) {
        if (peer_id_from_bytes(msg->from.data, msg->from.len, &from) != 0) return;
        author = &from;
    }
    node_deliver_to(&n->callbacks, topic, author, msg);
    for (size_t i = 0; i < n->listener_count; i++) node_deliver_to(n->listeners[i], topic, author, msg);
}

static void host_trace(void *user, trace_event *event) { node_trace(user, event); }

/* ---- lifecycle -------------------------------------------------------- */

static void host_random(void *user, uint8_t *out, size_t len) {
    node *n = user;
    n->env.random(n->env.ctx, out, len);
}

/* The pubsub core's one timer (its validation delays). */
static void host_timer_set(void *user, uint64_t deadline_ns) {
    node *n = user;
    if (n->env.timer_set != NULL) n->env.timer_set(n->env.ctx, NODE_TIMER_ID(NODE_TIMER_VALIDATION, 0, 0), deadline_ns);
}

static void node_arm_heartbeat(node *n) {
    if (n->router.heartbeat_ns == 0 || n->env.timer_set == NULL) return;
    n->env.timer_set(n->env.ctx, NODE_TIMER_ID(NODE_TIMER_HEARTBEAT, 0, 0), node_now(n) + n->router.heartbeat_ns);
}

/* The runtime's check of a message signature (env.verify_ed25519). */
static int host_verify(void *user, const uint8_t public_key[32], const uint8_t *msg, size_t len,
                       const uint8_t sig[64]) {
    node *n = user;
    return n->env.verify_ed25519(n->env.ctx, public_key, msg, len, sig) == 0 ? 0 : -1;
}

static int node_init_pubsub(node *n, const node_config *config) {
    uint8_t seqno_bytes[8], seen_key[SEEN_CACHE_KEY_BYTES], mcache_key[SEEN_CACHE_KEY_BYTES];
    n->env.random(n->env.ctx, seqno_bytes, sizeof seqno_bytes);
    n->env.random(n->env.ctx, seen_key, sizeof seen_key);
    uint64_t seqno = 0;
    for (size_t i = 0; i < sizeof seqno_bytes; i++) seqno = (seqno << 8) | seqno_bytes[i];
    /* With a calendar, count up from now as go-libp2p does, so that a
     * restarted peer's sequence numbers keep growing; else start at random. */
    if (n->env.unix_time_ns != NULL) seqno = n->env.unix_time_ns(n->env.ctx);
    pubsub_host host = {.user = n, .now_ns = host_now, .send = host_send,
                        .deliver = host_deliver, .trace = host_trace, .relay = host_relay,
                        .peer_record = host_peer_record, .connect = host_connect, .timer_set = host_timer_set,
                        .verify = n->env.verify_ed25519 != NULL ? host_verify : NULL};
    gossipsub_config gossip; /* floodsub takes its message id from it */
    if (config->gossipsub != NULL)
        gossip = *config->gossipsub;
    else
        gossipsub_config_default(&gossip);
    if (config->router == ROUTER_CHOICE_GOSSIPSUB) {
        n->env.random(n->env.ctx, mcache_key, sizeof mcache_key); /* floodsub runs draw nothing more */
        gossip.random = host_random;
        n->px_dials_max = gossip.px_dials_in_flight;
    }
    if (router_init(&n->router, config->router, &host, &n->id, seqno, seen_key, mcache_key, &gossip,
                    config->pubsub) != 0)
        return -1;
    node_arm_heartbeat(n);
    return 0;
}

node *node_create(const node_config *config) {
    assert(config != NULL && config->env != NULL);
    assert(config->env->now_ns != NULL && config->env->random != NULL);
    assert(config->env->write != NULL && config->env->close != NULL);
    conn_limits limits;
    if (config->limits != NULL)
        limits = *config->limits;
    else
        connmgr_limits_default(&limits);
    if (connmgr_limits_check(&limits) != NULL) return NULL;
    node *n = calloc(1, sizeof *n);
    if (n == NULL) return NULL;
    n->env = *config->env;
    n->limits = limits;
    n->callbacks = config->callbacks;
    uint8_t seed[IDENTITY_SEED_BYTES];
    if (config->identity_seed != NULL)
        memcpy(seed, config->identity_seed, sizeof seed);
    else
        n->env.random(n->env.ctx, seed, sizeof seed);
    identity_from_seed(&n->id, seed);
    sodium_memzero(seed, sizeof seed);
    peer_id_from_public_key(n->id.public_key, &n->self);
    n->env.random(n->env.ctx, n->noise_static, sizeof n->noise_static);
    n->next_handle = 1;
    n->upper = &stream_layer;
    buf_init(&n->wire, NODE_PEER_BUFFER_MAX);
    buf_init(&n->plain, NODE_PEER_BUFFER_MAX);
    buf_init(&n->message, BITSWAP_MESSAGE_MAX_BYTES + VARINT_MAX_BYTES); /* the largest message of any stream */
    if (node_init_pubsub(n, config) != 0 || (n->exchange = node_blocks_create(n, config->bitswap_no_penalties)) == NULL) {
        node_destroy(n);
        return NULL;
    }
    node_rebuild_supported(n); /* after the router: its protocols are listed */
    return n;
}

void node_destroy(node *n) {
    if (n == NULL) return;
    n->listener_count = 0; /* the modules hear nothing of the shutdown */
    for (size_t i = 0; i < n->conn_count; i++) conn_close(n, n->conns[i], "node shutting down");
    node_reap(n);
    router_free(&n->router);
    bitswap_destroy(n->exchange);
    for (size_t i = 0; i < n->protocol_count; i++) free(n->protocols[i].name);
    for (size_t i = 0; i < n->listen_count; i++) free(n->listen_addrs[i]);
    free(n->conns);
    free(n->conn_ids);
    free(n->conn_handles);
    buf_free(&n->wire);
    buf_wipe_free(&n->plain);
    buf_free(&n->message);
    identity_wipe(&n->id);
    sodium_memzero(n->noise_static, sizeof n->noise_static);
    free(n);
}

const peer_id *node_id(const node *n) { return &n->self; }

void node_set_policy(node *n, const node_policy *policy) { n->policy = policy; }

int node_listen(node *n, const char *text) {
    multiaddr ma;
    if (multiaddr_parse(text, &ma) != 0 || n->listen_count == NODE_LISTEN_ADDRS_MAX) return -1;
    if (n->env.listen == NULL || n->env.listen(n->env.ctx, text) != 0) return -1;
    n->listen_addrs[n->listen_count] = strdup(text);
    if (n->listen_addrs[n->listen_count] == NULL) return -1;
    n->listen_count++;
    n->record_stale = true;
    return 0;
}

int node_dial(node *n, const char *text) {
    conn *c;
    return node_dial_conn(n, text, &c);
}

void node_disconnect(node *n, const peer_id *peer) {
    conn *c = node_find_conn_by_peer(n, peer);
    if (c != NULL) conn_close(n, c, "disconnect requested");
    node_reap(n);
}

size_t node_peers(const node *n, peer_id *out, size_t cap) {
    size_t count = 0;
    for (size_t i = 0; i < n->conn_count && count < cap; i++)
        if (!n->conns[i]->closing && n->conns[i]->phase == CONN_READY) out[count++] = n->conns[i]->noise.remote;
    return count;
}

/* A raw RPC is traced as the router's are, so that an attacker's bytes and
 * messages count (its control is not broken down). */
static void node_trace_raw(node *n, const peer_id *peer, const uint8_t *rpc, size_t len, int rc) {
    trace_event event = {.kind = rc == 0 ? TRACE_SEND_RPC : TRACE_DROP_RPC, .size_bytes = len,
                         .peer = peer->bytes, .peer_len = peer->len, .reason = rc == 0 ? NULL : "no pubsub stream"};
    pubsub_rpc *decoded = malloc(sizeof *decoded);
    if (decoded != NULL && pubsub_rpc_decode(rpc, len, decoded) == 0) {
        event.message_count = (uint32_t)decoded->message_count;
        for (size_t i = 0; i < decoded->message_count; i++) event.payload_bytes += decoded->messages[i].data.len;
    }
    free(decoded);
    node_trace(n, &event);
}

int node_pubsub_send_raw(node *n, const peer_id *peer, const uint8_t *rpc, size_t len) {
    assert(rpc != NULL && len > 0);
    n->depth++;
    int rc = node_send_rpc(n, node_find_conn_by_peer(n, peer), rpc, len);
    node_trace_raw(n, peer, rpc, len, rc);
    n->depth--;
    node_reap(n);
    return rc;
}

size_t node_peer_count(const node *n) {
    size_t count = 0;
    for (size_t i = 0; i < n->conn_count; i++)
        if (!n->conns[i]->closing && n->conns[i]->phase == CONN_READY) count++;
    return count;
}

bool node_is_connected(const node *n, const peer_id *peer) {
    return node_find_conn_by_peer((node *)n, peer) != NULL;
}

/* ---- runtime entry points --------------------------------------------- */

void node_on_connection(node *n, uint64_t conn_id, bool outbound) {
    conn *c = node_find_conn_by_id(n, conn_id);
    if (c == NULL) {
        /* An inbound connection; a dial we made already has its conn. */
        if (outbound || conn_admit(n, false, conn_id) != NULL || conn_create(n, conn_id, false) == NULL)
            n->env.close(n->env.ctx, conn_id);
        return;
    }
    assert(c->outbound == outbound);
}

void node_on_bytes(node *n, uint64_t conn_id, const uint8_t *bytes, size_t len) {
    conn *c = node_find_conn_by_id(n, conn_id);
    n->depth++;
    if (c != NULL) conn_receive(n, c, bytes, len);
    node_trim(n, false);
    n->depth--;
    node_reap(n);
}

void node_on_closed(node *n, uint64_t conn_id) {
    conn *c = node_find_conn_by_id(n, conn_id);
    if (c == NULL) return;
    c->closed_by_peer = true;
    n->depth++;
    conn_close(n, c, "connection closed by peer");
    n->depth--;
    node_reap(n);
}

/* A module's timer fired: its slot is free again before fn runs, so that
 * fn may set the next one. */
static void node_app_timer_due(node *n, uint32_t slot) {
    if (slot >= NODE_APP_TIMERS_MAX || n->app_timers[slot].fn == NULL) return;
    struct node_app_timer t = n->app_timers[slot];
    n->app_timers[slot].fn = NULL;
    n->depth++;
    t.fn(t.user, n);
    n->depth--;
    node_reap(n);
}

size_t node_peer_record(node *n, const uint8_t **record) { return stream_own_record(n, record); }

int node_add_listener(node *n, const node_callbacks *listener) {
    assert(listener != NULL);
    if (n->listener_count == NODE_LISTENERS_MAX) return -1;
    n->listeners[n->listener_count++] = listener;
    return 0;
}

int node_timer_set(node *n, uint64_t at_ns, node_timer_fn fn, void *user) {
    assert(fn != NULL);
    if (n->env.timer_set == NULL) return -1;
    for (int slot = 0; slot < NODE_APP_TIMERS_MAX; slot++) {
        if (n->app_timers[slot].fn != NULL) continue;
        n->app_timers[slot] = (struct node_app_timer){.fn = fn, .user = user};
        n->env.timer_set(n->env.ctx, NODE_TIMER_ID(NODE_TIMER_APP, 0, (uint32_t)slot), at_ns);
        return slot;
    }
    return -1;
}

void node_timer_cancel(node *n, int slot) {
    if (slot < 0 || slot >= NODE_APP_TIMERS_MAX || n->app_timers[slot].fn == NULL) return;
    n->app_timers[slot].fn = NULL;
    if (n->env.timer_cancel != NULL) n->env.timer_cancel(n->env.ctx, NODE_TIMER_ID(NODE_TIMER_APP, 0, (uint32_t)slot));
}

uint64_t node_time_ns(const node *n) { return node_now(n); }

void node_on_timer(node *n, uint64_t timer_id) {
    uint32_t kind = (uint32_t)(timer_id >> 56);
    uint32_t handle = (uint32_t)(timer_id >> 32) & 0xffffffu;
    if (kind == NODE_TIMER_HEARTBEAT) {
        n->depth++;
        pubsub_heartbeat(n->router.core, node_now(n));
        node_trim(n, true);
        node_arm_heartbeat(n);
        n->depth--;
        node_reap(n);
        return;
    }
    if (kind == NODE_TIMER_BITSWAP) {
        n->depth++;
        bitswap_on_timer(n->exchange);
        n->depth--;
        node_reap(n);
        return;
    }
    if (kind == NODE_TIMER_APP) {
        node_app_timer_due(n, (uint32_t)timer_id);
        return;
    }
    if (kind == NODE_TIMER_VALIDATION) {
        n->depth++;
        pubsub_validation_due(n->router.core, node_now(n));
        n->depth--;
        node_reap(n);
        return;
    }
    conn *c = node_find_conn_by_handle(n, handle);
    if (c == NULL) return;
    n->depth++;
    if (kind == NODE_TIMER_HANDSHAKE && c->phase != CONN_READY) conn_close(n, c, "handshake timeout");
    if (kind == NODE_TIMER_PING) stream_ping_timeout(n, c, (uint32_t)timer_id);
    n->depth--;
    node_reap(n);
}

/* ---- pubsub ----------------------------------------------------------- */

int node_subscribe(node *n, const char *topic) {
    int rc = pubsub_subscribe(n->router.core, topic);
    node_reap(n);
    return rc;
}

int node_unsubscribe(node *n, const char *topic) {
    int rc = pubsub_unsubscribe(n->router.core, topic);
    node_reap(n);
    return rc;
}

int node_publish(node *n, const char *topic, const uint8_t *data, size_t len) {
    int rc = pubsub_publish(n->router.core, topic, data, len);
    node_reap(n);
    return rc;
}

/* ---- ping and identify ------------------------------------------------ */

int node_ping(node *n, const peer_id *peer) {
    conn *c = node_find_conn_by_peer(n, peer);
    if (c == NULL) return -1;
    node_stream *s = stream_open(n, c, PING_PROTOCOL, STREAM_PING, -1);
    if (s == NULL) return -1;
    n->env.random(n->env.ctx, s->ping_payload, sizeof s->ping_payload);
    s->ping_waiting = true;
    s->ping_sent_ns = node_now(n);
    int rc = stream_send_raw(n, c, s, s->ping_payload, sizeof s->ping_payload);
    if (rc == 0 && n->env.timer_set != NULL) {
        n->env.timer_set(n->env.ctx, NODE_TIMER_ID(NODE_TIMER_PING, c->handle, s->id),
                         s->ping_sent_ns + NODE_PING_TIMEOUT_NS);
    }
    node_reap(n);
    return rc;
}

bool node_peer_supports(const node *n, const peer_id *peer, const char *protocol) {
    const conn *c = node_find_conn_by_peer((node *)n, peer);
    if (c == NULL || !c->info.identified) return false;
    for (size_t i = 0; i < c->info.protocol_count; i++)
        if (strcmp(c->info.protocols[i], protocol) == 0) return true;
    return false;
}

const char *node_peer_agent(const node *n, const peer_id *peer) {
    const conn *c = node_find_conn_by_peer((node *)n, peer);
    return c != NULL && c->info.identified ? c->info.agent : NULL;
}

/* ---- custom protocols ------------------------------------------------- */

int node_register_protocol(node *n, const char *name, const node_protocol_ops *ops, void *user) {
    size_t len = strlen(name);
    if (len == 0 || len > MSS_PROTOCOL_NAME_MAX || name[0] != '/') return -1;
    if (n->protocol_count == NODE_PROTOCOLS_MAX) return -1;
    for (size_t i = 0; i < n->supported_count; i++)
        if (strcmp(n->supported[i], name) == 0) return -1;
    node_protocol *p = &n->protocols[n->protocol_count];
    p->name = strdup(name);
    if (p->name == NULL) return -1;
    p->ops = *ops;
    p->user = user;
    n->protocol_count++;
    node_rebuild_supported(n);
    return 0;
}

static node_stream_handle stream_handle(const conn *c, const node_stream *s) {
    return ((uint64_t)c->handle << 32) | s->id;
}

static node_stream *node_find_custom_stream(node *n, node_stream_handle handle, conn **out) {
    conn *c = node_find_conn_by_handle(n, (uint32_t)(handle >> 32));
    if (c == NULL) return NULL;
    node_stream *s = stream_find(c, (uint32_t)handle);
    if (s == NULL || (s->kind != STREAM_CUSTOM && s->custom_index < 0)) return NULL;
    *out = c;
    return s;
}

int node_open_stream(node *n, const peer_id *peer, const char *protocol, node_stream_handle *stream) {
    conn *c = node_find_conn_by_peer(n, peer);
    if (c == NULL) return -1;
    for (size_t i = 0; i < n->protocol_count; i++) {
        if (strcmp(n->protocols[i].name, protocol) != 0) continue;
        node_stream *s = stream_open(n, c, protocol, STREAM_CUSTOM, (int)i);
        if (s == NULL) break;
        *stream = stream_handle(c, s);
        node_reap(n);
        return 0;
    }
    node_reap(n);
    return -1;
}

int node_stream_send(node *n, node_stream_handle handle, const uint8_t *data, size_t len) {
    conn *c = NULL;
    node_stream *s = node_find_custom_stream(n, handle, &c);
    int rc = s != NULL ? stream_send_message(n, c, s, data, len) : -1;
    node_reap(n);
    return rc;
}

int node_stream_close(node *n, node_stream_handle handle) {
    conn *c = NULL;
    node_stream *s = node_find_custom_stream(n, handle, &c);
    if (s == NULL) return -1;
    int rc = yamux_close(&c->mux, s->id);
    conn_flush(n, c);
    node_reap(n);
    return rc;
}
