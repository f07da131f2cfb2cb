/* gossipsub: the GossipSub router on the pubsub core: its hooks
 * (pubsub_router_ops) for peers, RPCs, messages, JOIN and LEAVE, its
 * lifecycle, and the public API of gossipsub.h. The top of the router's
 * files: it uses them all, and none of them uses it. */
#include "gossipsub_state.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "gossipsub_control.h"
#include "gossipsub_dontwant.h"
#include "gossipsub_mesh.h"
#include "gossipsub_promises.h"
#include "gossipsub_scoring.h"
#include "gossipsub_send.h"

/* ---- traces ----------------------------------------------------------- */

/* The message's topic as a C string, as the score module names topics; a
 * topic longer than PUBSUB_TOPIC_MAX, which the decoder refuses, would be
 * cut. */
static void topic_text(const pubsub_message *msg, char out[PUBSUB_TOPIC_MAX + 1]) {
    size_t len = msg->topic.len < PUBSUB_TOPIC_MAX ? msg->topic.len : PUBSUB_TOPIC_MAX;
    if (len > 0) memcpy(out, msg->topic.data, len);
    out[len] = '\0';
}

/* ---- lifecycle -------------------------------------------------------- */

/* (gossipsub_config_default: gossipsub_params.c.) */

int gossipsub_config_check(const gossipsub_config *c) {
    if (c->D_lo < 1 || c->D < c->D_lo || c->D_hi < c->D || c->D_hi >= GOSSIPSUB_MESH_PEERS_MAX) return -1;
    if (c->D_lazy < 0 || c->prune_peers < 0 || c->px_dials_in_flight < 0) return -1;
    if (c->gossip_factor < 0 || c->gossip_factor > 1) return -1;
    if (c->mcache_gossip < 1 || c->mcache_len < c->mcache_gossip || c->mcache_len > MCACHE_WINDOWS_MAX)
        return -1;
    if (c->max_ihave_length > GOSSIPSUB_IHAVE_IDS_MAX) return -1;
    if (c->heartbeat_ns == 0 || c->random == NULL) return -1;
    if ((unsigned)c->message_id >= PUBSUB_MESSAGE_ID_KIND_COUNT) return -1;
    if (c->scoring && (score_params_validate(&c->score) != 0 || score_topic_params_validate(&c->topic_score) != 0 ||
                       score_thresholds_validate(&c->thresholds) != 0))
        return -1;
    if (c->D_score > c->D || c->D_out < 0 || (c->D_out > 0 && c->D_out >= c->D_lo)) return -1;
    return 0;
}

/* Newest first: multistream-select takes the first the remote speaks;
 * without IDONTWANT, from 1.1 down. */
static size_t gossipsub_protocols(const void *router, const char *out[PUBSUB_ROUTER_PROTOCOLS_MAX]) {
    const gossipsub *gs = router;
    size_t count = 0;
    if (gs->config.idontwant) out[count++] = GOSSIPSUB_PROTOCOL_V12;
    out[count++] = GOSSIPSUB_PROTOCOL_V11;
    out[count++] = GOSSIPSUB_PROTOCOL_V10;
    return count;
}

static void gossipsub_free(void *router) {
    gossipsub *gs = router;
    for (size_t i = 0; gs->ps != NULL && i < pubsub_peer_count(gs->ps); i++) free(gossipsub_peer_at(gs, i)->dontwant);
    free(gs->ctl_in);
    free(gs->ctl_out);
    free(gs->scratch_handles);
    gossipsub_promises_free(gs);
    gossipsub_scoring_free(gs);
    mcache_free(&gs->cache);
    free(gs);
}

/* ---- peers ------------------------------------------------------------ */

static bool gossipsub_is_explicit(const gossipsub *gs, const peer_id *id) {
    for (size_t i = 0; i < gs->explicit_count; i++)
        if (peer_id_equal(&gs->explicit_ids[i], id)) return true;
    return false;
}

static int gossipsub_peer_added(void *router, pubsub_peer *base, const char *protocol, bool outbound,
                                uint32_t ip4) {
    gossipsub *gs = router;
    gossipsub_peer *peer = (gossipsub_peer *)base;
    if (gs->score != NULL && score_add_peer(gs->score, base->handle, &base->id, ip4, pubsub_now(gs->ps)) != 0)
        return -1;
    peer->v11 = strcmp(protocol, GOSSIPSUB_PROTOCOL_V10) != 0;
    peer->supports_idontwant = strcmp(protocol, GOSSIPSUB_PROTOCOL_V12) == 0;
    peer->outbound = outbound;
    peer->explicit_peer = gossipsub_is_explicit(gs, &base->id);
    return 0;
}

static void gossipsub_peer_removed(void *router, pubsub_peer *base) {
    gossipsub *gs = router;
    gossipsub_peer *peer = (gossipsub_peer *)base;
    for (size_t i = 0; i < pubsub_topic_count(gs->ps); i++) {
        gossipsub_topic *t = gossipsub_topic_at(gs, i);
        if (gossipsub_member_remove(t, base->handle) && t->base.subscribed)
            gossipsub_trace_mesh(gs, TRACE_PRUNE, t->base.name, peer);
    }
    /* The score leaves every mesh itself (P3b as at a prune) and is kept
     * for retain_score, so that reconnecting does not wash it. */
    if (gs->score != NULL) score_remove_peer(gs->score, base->handle, pubsub_now(gs->ps));
    free(peer->dontwant);
    peer->dontwant = NULL;
    peer->dontwant_count = peer->dontwant_cap = 0;
}

/* A peer that leaves a topic leaves our mesh and fanout for it too. */
static void gossipsub_peer_left_topic(void *router, pubsub_peer *base, pubsub_bytes topic) {
    gossipsub *gs = router;
    gossipsub_topic *t = gossipsub_topic_find(gs, topic);
    if (t != NULL && t->base.subscribed)
        (void)gossipsub_mesh_leave(gs, t, (gossipsub_peer *)base, pubsub_now(gs->ps));
    else if (t != NULL)
        (void)gossipsub_member_remove(t, base->handle); /* the fanout */
}

/* ---- RPCs ------------------------------------------------------------- */

static int gossipsub_read_control(void *router, const pubsub_rpc *rpc, pubsub_rpc_shape *shape) {
    gossipsub *gs = router;
    if (gossipsub_control_decode(rpc->control.data, rpc->control.len, gs->ctl_in) != 0) return -1;
    gossipsub_shape_control(shape, gs->ctl_in, rpc->control.len);
    return 0;
}

/* v1.1 graylisting: below the threshold a peer's RPCs are not read. */
static const char *gossipsub_accept_from(void *router, const pubsub_peer *peer, uint64_t now_ns) {
    const gossipsub *gs = router;
    return gossipsub_score_below(gs, (const gossipsub_peer *)peer, gs->config.thresholds.graylist, now_ns)
               ? "graylisted"
               : NULL;
}

static void gossipsub_control_arrived(void *router, pubsub_peer *peer, uint64_t now_ns) {
    gossipsub_handle_control(router, (gossipsub_peer *)peer, now_ns);
}

/* ---- messages --------------------------------------------------------- */

/* The peers a message goes to: with flood (our own, flood_publish) every
 * peer subscribed to the topic whose score reaches the publish threshold,
 * else the mesh or the fanout; and explicit peers subscribed to it. */
static size_t forward_targets(gossipsub *gs, const gossipsub_topic *t, pubsub_bytes topic, bool flood,
                              uint64_t now) {
    size_t count = 0;
    if (!flood && t != NULL && (t->base.subscribed || t->fanout)) {
        memcpy(gs->scratch_handles, t->members, t->member_count * sizeof t->members[0]);
        count = t->member_count;
    }
    for (size_t i = 0; i < pubsub_peer_count(gs->ps); i++) {
        const gossipsub_peer *peer = gossipsub_peer_at(gs, i);
        bool wanted = flood ? !gossipsub_score_below(gs, peer, gs->config.thresholds.publish, now)
                            : peer->explicit_peer;
        if (wanted && gossipsub_peer_subscribed(peer, topic)) gs->scratch_handles[count++] = peer->base.handle;
    }
    assert(count <= GOSSIPSUB_SCRATCH_HANDLES);
    return count;
}

/* Without flood publishing, a topic we do not subscribe to is published
 * to its fanout: D random subscribed peers whose score reaches the publish
 * threshold, kept for fanout_ttl. */
static void gossipsub_fanout_touch(gossipsub *gs, pubsub_bytes topic, uint64_t now) {
    gossipsub_topic *t = gossipsub_topic_get(gs, topic);
    if (t == NULL || t->base.subscribed) return;
    if (!t->fanout) {
        t->fanout = true;
        t->member_count = 0;
        size_t count = gossipsub_candidates(gs, t, now, false, gs->config.thresholds.publish);
        for (size_t i = 0; i < count && t->member_count < (size_t)gs->config.D; i++)
            gossipsub_member_add(t, gs->scratch_handles[i]);
    }
    t->last_publish_ns = now;
}

/* Caches msg (encoded) and sends it to its targets but the sender, the
 * origin, and peers that said IDONTWANT. Our own message (from NULL) goes
 * to the fanout, or with flood_publish to every subscribed peer. */
static void gossipsub_forward(void *router, const pubsub_peer *from, const pubsub_message *msg, const uint8_t *id,
                              size_t id_len, uint64_t now) {
    gossipsub *gs = router;
    const gossipsub_peer *sender = (const gossipsub_peer *)from;
    bool flood = sender == NULL && gs->config.flood_publish;
    if (sender == NULL && !gs->config.flood_publish) gossipsub_fanout_touch(gs, msg->topic, now);
    size_t cap = msg->data.len + msg->topic.len + PUBSUB_RPC_OVERHEAD;
    uint8_t *encoded = malloc(cap);
    if (encoded == NULL) return;
    size_t len = pubsub_message_encode(msg, encoded, cap);
    assert(len > 0);
    if (mcache_put(&gs->cache, id, id_len, msg->topic.data, msg->topic.len, encoded, len) == MCACHE_PUT_ADDED)
        (void)mcache_set_received(&gs->cache, id, id_len, now);
    if (sender != NULL && !pubsub_relaying(gs->ps)) { /* cached, not relayed */
        free(encoded);
        return;
    }
    const gossipsub_topic *t = gossipsub_topic_find(gs, msg->topic);
    size_t count = forward_targets(gs, t, msg->topic, flood, now);
    uint64_t fingerprint = 0; /* hashed only if some target said IDONTWANT */
    for (size_t i = 0; i < count; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, gs->scratch_handles[i]);
        if (peer == NULL || peer == sender || pubsub_peer_is_origin(&peer->base, msg)) continue;
        if (peer->dontwant_count > 0 && fingerprint == 0) fingerprint = gossipsub_fingerprint(gs, id, id_len);
        if (peer->dontwant_count > 0 && gossipsub_dontwant_has(peer, fingerprint)) continue;
        gossipsub_send_encoded(gs, peer, encoded, len, msg->data.len);
    }
    free(encoded);
}

/* A copy of a message we have seen: P3 counts it for a mesh member when it
 * comes within the topic's window after our first receipt. */
static void gossipsub_duplicate(void *router, const pubsub_peer *from, const pubsub_message *msg, const uint8_t *id,
                                size_t id_len, uint64_t now) {
    gossipsub *gs = router;
    mcache_message cached;
    if (gs->score == NULL || !mcache_get(&gs->cache, id, id_len, &cached)) return;
    char topic[PUBSUB_TOPIC_MAX + 1];
    topic_text(msg, topic);
    score_deliver_message(gs->score, from->handle, topic, SCORE_DELIVERY_DUPLICATE, cached.received_ns, now);
}

/* A message that failed: P4 for REJECT (a bad signature, or the
 * validator's verdict), nothing for IGNORE. */
static void gossipsub_refused(void *router, const pubsub_peer *from, const pubsub_message *msg,
                              pubsub_validation verdict) {
    gossipsub *gs = router;
    if (gs->score == NULL || !msg->has_topic || msg->topic.len == 0) return;
    char topic[PUBSUB_TOPIC_MAX + 1];
    topic_text(msg, topic);
    score_reject_message(gs->score, from->handle, topic,
                         verdict == PUBSUB_IGNORE ? SCORE_REJECTION_IGNORED : SCORE_REJECTION_INVALID);
}

/* The first valid copy, before delivery: scored, promises kept, and
 * IDONTWANT to the mesh for a large one (v1.2). */
static void gossipsub_accepted(void *router, const pubsub_peer *from, const pubsub_message *msg, const uint8_t *id,
                               size_t id_len, uint64_t now) {
    gossipsub *gs = router;
    if (gs->score != NULL) {
        char topic[PUBSUB_TOPIC_MAX + 1];
        topic_text(msg, topic);
        score_deliver_message(gs->score, from->handle, topic, SCORE_DELIVERY_FIRST, now, now);
        if (gs->promise_count > 0) gossipsub_promise_kept(gs, gossipsub_fingerprint(gs, id, id_len));
    }
    const gossipsub_topic *t = gossipsub_topic_find(gs, msg->topic);
    if (gs->config.idontwant && t != NULL && t->base.subscribed && msg->data.len >= gs->config.idontwant_min_bytes)
        gossipsub_send_idontwant(gs, t, id, id_len, (const gossipsub_peer *)from, msg->from);
}

/* ---- JOIN and LEAVE --------------------------------------------------- */

/* JOIN: the fanout peers (if any, and out of backoff, with a score that
 * is not negative) become the mesh, topped up to D with random subscribed
 * peers; each is sent a GRAFT. The topic gets the score's topic_score. */
static void gossipsub_join(void *router, pubsub_topic *topic, uint64_t now) {
    gossipsub *gs = router;
    gossipsub_topic *t = (gossipsub_topic *)topic;
    /* Past SCORE_TOPICS_MAX topics a topic goes unscored, as the spec
     * treats a topic without parameters. */
    if (gs->score != NULL) (void)score_set_topic(gs->score, t->base.name, &gs->config.topic_score);
    uint32_t fanout[GOSSIPSUB_MESH_PEERS_MAX];
    size_t fanout_count = t->fanout ? t->member_count : 0;
    memcpy(fanout, t->members, fanout_count * sizeof fanout[0]);
    t->member_count = 0;
    t->fanout = false;
    for (size_t i = 0; i < fanout_count && t->member_count < (size_t)gs->config.D; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, fanout[i]);
        if (peer == NULL || gossipsub_backoff_active(t, peer->base.handle, now) ||
            gossipsub_score_below(gs, peer, 0.0, now))
            continue;
        gossipsub_mesh_join(gs, t, peer, now);
        gossipsub_send_graft(gs, peer, t->base.name);
    }
    size_t count = gossipsub_candidates(gs, t, now, true, 0.0);
    for (size_t i = 0; i < count && t->member_count < (size_t)gs->config.D; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, gs->scratch_handles[i]);
        assert(peer != NULL);
        gossipsub_mesh_join(gs, t, peer, now);
        gossipsub_send_graft(gs, peer, t->base.name);
    }
}

/* LEAVE: PRUNE every mesh peer with the unsubscribe backoff, which we keep
 * too, so that a quick rejoin does not graft them again at once. */
static void gossipsub_leave(void *router, pubsub_topic *topic, uint64_t now) {
    gossipsub *gs = router;
    gossipsub_topic *t = (gossipsub_topic *)topic;
    while (t->member_count > 0) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, t->members[t->member_count - 1]);
        assert(peer != NULL);
        gossipsub_mesh_leave(gs, t, peer, now);
        gossipsub_send_prune(gs, peer, t, gs->config.unsubscribe_backoff_ns, false);
        gossipsub_backoff_set(t, peer->base.handle, now + gs->config.unsubscribe_backoff_ns);
    }
}

/* Whether a topic we do not subscribe to still holds something: a fanout
 * or a running backoff. The core frees the others (pubsub_topics_release). */
static bool gossipsub_topic_busy(const void *router, const pubsub_topic *topic) {
    (void)router;
    const gossipsub_topic *t = (const gossipsub_topic *)topic;
    return t->fanout || t->backoff_count > 0;
}

static void gossipsub_heartbeat_op(void *router, uint64_t now_ns) { gossipsub_heartbeat(router, now_ns); }

/* The connection manager never closes an explicit peer or a member of one
 * of our meshes (go-libp2p-pubsub protects them the same way). */
static bool gossipsub_peer_protected(const void *router, const pubsub_peer *peer) {
    const gossipsub *gs = router;
    if (((const gossipsub_peer *)peer)->explicit_peer) return true;
    for (size_t j = 0; j < pubsub_topic_count(gs->ps); j++) {
        const gossipsub_topic *t = gossipsub_topic_at(gs, j);
        if (t->base.subscribed && gossipsub_member_has(t, peer->handle)) return true;
    }
    return false;
}

static double gossipsub_peer_score_op(const void *router, const pubsub_peer *peer) {
    const gossipsub *gs = router;
    return gossipsub_score_of(gs, (const gossipsub_peer *)peer, pubsub_now(gs->ps));
}

static const pubsub_router_ops gossipsub_router = {
    .name = "gossipsub",
    .peer_size = sizeof(gossipsub_peer),
    .topic_size = sizeof(gossipsub_topic),
    .adds_peers_on_negotiation = true, /* the version negotiated matters */
    .protocols = gossipsub_protocols,
    .destroy = gossipsub_free,
    .add_peer = gossipsub_peer_added,
    .remove_peer = gossipsub_peer_removed,
    .peer_left_topic = gossipsub_peer_left_topic,
    .read_control = gossipsub_read_control,
    .accept_from = gossipsub_accept_from,
    .handle_control = gossipsub_control_arrived,
    .duplicate = gossipsub_duplicate,
    .refused = gossipsub_refused,
    .accepted = gossipsub_accepted,
    .forward = gossipsub_forward,
    .join = gossipsub_join,
    .leave = gossipsub_leave,
    .topic_busy = gossipsub_topic_busy,
    .heartbeat = gossipsub_heartbeat_op,
    .peer_protected = gossipsub_peer_protected,
    .peer_score = gossipsub_peer_score_op,
};

gossipsub *gossipsub_create(const pubsub_host *host, const gossipsub_config *config,
                            const pubsub_options *options, const identity *id, uint64_t seqno_start,
                            const uint8_t seen_key[SEEN_CACHE_KEY_BYTES],
                            const uint8_t mcache_key[MCACHE_KEY_BYTES]) {
    assert(host != NULL && host->send != NULL && host->now_ns != NULL);
    assert(id != NULL && config != NULL);
    if (gossipsub_config_check(config) != 0) return NULL;
    gossipsub *gs = calloc(1, sizeof *gs);
    if (gs == NULL) return NULL;
    gs->host = *host;
    gs->config = *config;
    gs->ctl_in = malloc(sizeof *gs->ctl_in);
    gs->ctl_out = malloc(sizeof *gs->ctl_out);
    gs->scratch_handles = malloc(GOSSIPSUB_SCRATCH_HANDLES * sizeof *gs->scratch_handles);
    mcache_config mc;
    mcache_config_default(&mc);
    mc.history_length = (uint32_t)config->mcache_len;
    mc.gossip_length = (uint32_t)config->mcache_gossip;
    if (gs->ctl_in == NULL || gs->ctl_out == NULL || gs->scratch_handles == NULL ||
        mcache_init(&gs->cache, &mc, mcache_key) != 0) {
        free(gs->ctl_in);
        free(gs->ctl_out);
        free(gs->scratch_handles);
        free(gs);
        return NULL;
    }
    pubsub_config core = {.message_id = config->message_id, .seen_ttl_ns = config->seen_ttl_ns,
                          .topics_max = GOSSIPSUB_TOPICS_MAX, .heartbeat_ns = config->heartbeat_ns};
    if (options != NULL) core.options = *options;
    gs->ps = pubsub_create(host, &gossipsub_router, gs, &core, id, seqno_start, seen_key);
    if (gs->ps == NULL) {
        gossipsub_free(gs);
        return NULL;
    }
    memcpy(gs->fingerprint_key, mcache_key, MCACHE_KEY_BYTES);
    if (gossipsub_scoring_init(gs, host->now_ns(host->user)) != 0 || gossipsub_promises_init(gs) != 0) {
        gossipsub_destroy(gs);
        return NULL;
    }
    return gs;
}

void gossipsub_destroy(gossipsub *gs) {
    if (gs != NULL) pubsub_destroy(gs->ps);
}

pubsub_core *gossipsub_pubsub(gossipsub *gs) { return gs->ps; }

/* ---- the core's API, for gossipsub's tests ----------------------------- */

int gossipsub_add_peer(gossipsub *gs, uint32_t handle, const peer_id *id, const char *protocol, bool outbound,
                       uint32_t ip4) {
    return pubsub_add_peer(gs->ps, handle, id, protocol, outbound, ip4);
}

void gossipsub_remove_peer(gossipsub *gs, uint32_t handle) { pubsub_remove_peer(gs->ps, handle); }

int gossipsub_handle_rpc(gossipsub *gs, uint32_t handle, const uint8_t *bytes, size_t len) {
    return pubsub_handle_rpc(gs->ps, handle, bytes, len);
}

bool gossipsub_is_subscribed(const gossipsub *gs, const char *topic) { return pubsub_is_subscribed(gs->ps, topic); }

int gossipsub_subscribe(gossipsub *gs, const char *topic) { return pubsub_subscribe(gs->ps, topic); }

int gossipsub_unsubscribe(gossipsub *gs, const char *topic) { return pubsub_unsubscribe(gs->ps, topic); }

int gossipsub_publish(gossipsub *gs, const char *topic, const uint8_t *data, size_t len) {
    return pubsub_publish(gs->ps, topic, data, len);
}

/* ---- inspection ------------------------------------------------------- */

size_t gossipsub_mesh_count(const gossipsub *gs, const char *topic) {
    const gossipsub_topic *t = gossipsub_topic_find(gs, gossipsub_topic_view(topic));
    return t != NULL && t->base.subscribed ? t->member_count : 0;
}

bool gossipsub_in_mesh(const gossipsub *gs, const char *topic, uint32_t peer) {
    const gossipsub_topic *t = gossipsub_topic_find(gs, gossipsub_topic_view(topic));
    return t != NULL && t->base.subscribed && gossipsub_member_has(t, peer);
}

size_t gossipsub_fanout_count(const gossipsub *gs, const char *topic) {
    const gossipsub_topic *t = gossipsub_topic_find(gs, gossipsub_topic_view(topic));
    return t != NULL && t->fanout ? t->member_count : 0;
}

bool gossipsub_in_backoff(const gossipsub *gs, const char *topic, uint32_t peer, uint64_t now_ns) {
    const gossipsub_topic *t = gossipsub_topic_find(gs, gossipsub_topic_view(topic));
    return t != NULL && gossipsub_backoff_active(t, peer, now_ns);
}

bool gossipsub_peer_supports_idontwant(const gossipsub *gs, uint32_t peer) {
    const gossipsub_peer *p = gossipsub_peer_find(gs, peer);
    return p != NULL && p->supports_idontwant;
}

double gossipsub_peer_score(const gossipsub *gs, uint32_t peer) {
    const gossipsub_peer *p = gossipsub_peer_find(gs, peer);
    return p != NULL ? gossipsub_score_of(gs, p, pubsub_now(gs->ps)) : 0.0;
}

int gossipsub_add_explicit_peer(gossipsub *gs, const peer_id *id) {
    assert(id != NULL);
    if (gossipsub_is_explicit(gs, id)) return 0;
    if (gs->explicit_count == GOSSIPSUB_EXPLICIT_PEERS_MAX) return -1;
    gs->explicit_ids[gs->explicit_count++] = *id;
    for (size_t i = 0; i < pubsub_peer_count(gs->ps); i++) {
        gossipsub_peer *peer = gossipsub_peer_at(gs, i);
        if (!peer_id_equal(&peer->base.id, id)) continue;
        peer->explicit_peer = true;
        for (size_t j = 0; j < pubsub_topic_count(gs->ps); j++) { /* never in a mesh */
            gossipsub_topic *t = gossipsub_topic_at(gs, j);
            if (t->base.subscribed) (void)gossipsub_mesh_leave(gs, t, peer, pubsub_now(gs->ps));
            else (void)gossipsub_member_remove(t, peer->base.handle);
        }
    }
    return 0;
}
