/* gossipsub: the GossipSub router's peers, RPCs, messages and local API.
 * See gossipsub.h; the heartbeat is in gossipsub_heartbeat.c. */
#include "gossipsub_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>


#define GOSSIPSUB_ENTRY_OVERHEAD 16 /* tags and lengths of one subscription */

/* ---- topics and peers ------------------------------------------------- */

bool gossipsub_topic_name_equals(const char *name, pubsub_bytes view) { return pubsub_text_equals(name, view); }

pubsub_bytes gossipsub_topic_view(const char *topic) { return pubsub_text(topic); }

gossipsub_topic *gossipsub_topic_find(const gossipsub *gs, pubsub_bytes name) {
    for (size_t i = 0; i < gs->topic_count; i++)
        if (gossipsub_topic_name_equals(gs->topics[i]->name, name)) return gs->topics[i];
    return NULL;
}

gossipsub_topic *gossipsub_topic_get(gossipsub *gs, pubsub_bytes name) {
    gossipsub_topic *t = gossipsub_topic_find(gs, name);
    if (t != NULL || gs->topic_count == GOSSIPSUB_TOPICS_MAX) return t;
    assert(name.len > 0 && name.len <= PUBSUB_TOPIC_MAX);
    t = calloc(1, sizeof *t);
    if (t == NULL) return NULL;
    t->name = pubsub_text_copy(name);
    if (t->name == NULL) {
        free(t);
        return NULL;
    }
    gs->topics[gs->topic_count++] = t;
    return t;
}

gossipsub_peer *gossipsub_peer_find(const gossipsub *gs, uint32_t handle) {
    for (size_t i = 0; i < gs->peer_count; i++)
        if (gs->peers[i].handle == handle) return &gs->peers[i];
    return NULL;
}

bool gossipsub_peer_subscribed(const gossipsub_peer *peer, pubsub_bytes topic) {
    return pubsub_text_find(peer->topics, peer->topic_count, topic) >= 0;
}

/* ---- traces ----------------------------------------------------------- */

void gossipsub_trace(gossipsub *gs, trace_event *event) {
    if (gs->host.trace != NULL) gs->host.trace(gs->host.user, event);
}

/* The message's topic as a C string (the score module and traces name
 * topics so); a topic longer than PUBSUB_TOPIC_MAX, which the decoder
 * refuses, would be cut. */
static void topic_text(const pubsub_message *msg, char out[PUBSUB_TOPIC_MAX + 1]) {
    size_t len = msg->topic.len < PUBSUB_TOPIC_MAX ? msg->topic.len : PUBSUB_TOPIC_MAX;
    if (len > 0) memcpy(out, msg->topic.data, len);
    out[len] = '\0';
}

static void gossipsub_trace_message(gossipsub *gs, trace_kind kind, const pubsub_message *msg,
                                    const gossipsub_peer *from, const char *reason) {
    uint8_t id[GOSSIPSUB_MSG_ID_MAX];
    char topic[PUBSUB_TOPIC_MAX + 1];
    topic_text(msg, topic);
    trace_event event = {.kind = kind, .topic = topic, .size_bytes = msg->data.len, .reason = reason};
    event.msg_id = id;
    event.msg_id_len = pubsub_message_id_of(msg, gs->config.message_id, id, sizeof id);
    if (from != NULL) {
        event.peer = from->id.bytes;
        event.peer_len = from->id.len;
    }
    gossipsub_trace(gs, &event);
}

void gossipsub_trace_mesh(gossipsub *gs, trace_kind kind, const char *topic, const gossipsub_peer *peer) {
    assert(kind == TRACE_GRAFT || kind == TRACE_PRUNE);
    assert(peer != NULL);
    trace_event event = {.kind = kind, .topic = topic, .peer = peer->id.bytes, .peer_len = peer->id.len};
    gossipsub_trace(gs, &event);
}

/* ---- sending ---------------------------------------------------------- */

static void gossipsub_send_subscriptions(gossipsub *gs, const gossipsub_peer *peer,
                                         const pubsub_subopts *subs, size_t count) {
    if (count == 0) return;
    size_t cap = count * (PUBSUB_TOPIC_MAX + GOSSIPSUB_ENTRY_OVERHEAD);
    uint8_t *rpc = malloc(cap);
    if (rpc == NULL) return;
    size_t len = pubsub_rpc_encode(subs, count, NULL, 0, rpc, cap);
    assert(len > 0);
    gossipsub_send_rpc(gs, peer, rpc, (gossipsub_rpc_shape){.len = len});
    free(rpc);
}

/* ---- lifecycle -------------------------------------------------------- */

void gossipsub_config_default(gossipsub_config *c) {
    assert(c != NULL);
    *c = (gossipsub_config){
        .D = 6, .D_lo = 4, .D_hi = 12, .D_lazy = 6, .D_score = 4, .D_out = 2,
        .heartbeat_ns = NS_PER_S, .fanout_ttl_ns = 60 * NS_PER_S, .seen_ttl_ns = 120 * NS_PER_S,
        .prune_backoff_ns = 60 * NS_PER_S, .unsubscribe_backoff_ns = 10 * NS_PER_S,
        .mcache_len = MCACHE_LEN_DEFAULT, .mcache_gossip = MCACHE_GOSSIP_DEFAULT,
        .gossip_factor = 0.25, .prune_peers = GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX,
        .flood_publish = true, .idontwant = true, .idontwant_min_bytes = 1024,
        .max_ihave_length = GOSSIPSUB_IHAVE_IDS_MAX, .max_ihave_messages = 10,
        .opportunistic_graft_peers = 2,
        .opportunistic_graft_ticks = 60,
        .iwant_followup_ns = 3 * NS_PER_S,          /* go-libp2p GossipSubIWantFollowupTime */
        .graft_flood_threshold_ns = 10 * NS_PER_S,  /* go-libp2p GossipSubGraftFloodThreshold */
        .max_idontwant_messages = 1000,             /* go-libp2p GossipSubMaxIDontWantMessages */
    };
    score_params_default(&c->score);
    score_topic_params_default(&c->topic_score);
    score_thresholds_default(&c->thresholds);
}

int gossipsub_config_check(const gossipsub_config *c) {
    if (c->D_lo < 1 || c->D < c->D_lo || c->D_hi < c->D || c->D_hi >= GOSSIPSUB_MESH_PEERS_MAX) return -1;
    if (c->D_lazy < 0 || c->prune_peers < 0 || c->gossip_factor < 0 || c->gossip_factor > 1) return -1;
    if (c->mcache_gossip < 1 || c->mcache_len < c->mcache_gossip || c->mcache_len > MCACHE_WINDOWS_MAX)
        return -1;
    if (c->max_ihave_length > GOSSIPSUB_IHAVE_IDS_MAX) return -1;
    if (c->heartbeat_ns == 0 || c->random == NULL) return -1;
    if (c->message_id != PUBSUB_MESSAGE_ID_FROM_SEQNO && c->message_id != PUBSUB_MESSAGE_ID_KEY_SEQNO) return -1;
    if (c->scoring && (score_params_validate(&c->score) != 0 || score_topic_params_validate(&c->topic_score) != 0 ||
                       score_thresholds_validate(&c->thresholds) != 0))
        return -1;
    if (c->D_score > c->D || c->D_out < 0 || (c->D_out > 0 && c->D_out >= c->D_lo)) return -1;
    return 0;
}

static int gossipsub_caches_init(gossipsub *gs, const uint8_t seen_key[SEEN_CACHE_KEY_BYTES],
                                 const uint8_t mcache_key[MCACHE_KEY_BYTES]) {
    mcache_config mc;
    mcache_config_default(&mc);
    mc.history_length = (uint32_t)gs->config.mcache_len;
    mc.gossip_length = (uint32_t)gs->config.mcache_gossip;
    if (mcache_init(&gs->cache, &mc, mcache_key) != 0) return -1;
    if (seen_cache_init(&gs->seen, GOSSIPSUB_SEEN_CAPACITY, gs->config.seen_ttl_ns, seen_key) != 0) {
        mcache_free(&gs->cache);
        return -1;
    }
    return 0;
}

gossipsub *gossipsub_create(const pubsub_host *host, const gossipsub_config *config,
                            const identity *id, uint64_t seqno_start,
                            const uint8_t seen_key[SEEN_CACHE_KEY_BYTES],
                            const uint8_t mcache_key[MCACHE_KEY_BYTES]) {
    assert(host != NULL && host->send != NULL && host->now_ns != NULL);
    assert(id != NULL && config != NULL);
    if (gossipsub_config_check(config) != 0) return NULL;
    gossipsub *gs = calloc(1, sizeof *gs);
    if (gs == NULL) return NULL;
    gs->host = *host;
    gs->config = *config;
    gs->rpc = malloc(sizeof *gs->rpc);
    gs->ctl_in = malloc(sizeof *gs->ctl_in);
    gs->ctl_out = malloc(sizeof *gs->ctl_out);
    gs->scratch_handles = malloc(GOSSIPSUB_SCRATCH_HANDLES * sizeof *gs->scratch_handles);
    if (gs->rpc == NULL || gs->ctl_in == NULL || gs->ctl_out == NULL || gs->scratch_handles == NULL ||
        gossipsub_caches_init(gs, seen_key, mcache_key) != 0) {
        free(gs->rpc);
        free(gs->ctl_in);
        free(gs->ctl_out);
        free(gs->scratch_handles);
        free(gs);
        return NULL;
    }
    gs->id = id;
    gs->seqno = seqno_start;
    peer_id_from_public_key(id->public_key, &gs->self);
    memcpy(gs->fingerprint_key, mcache_key, MCACHE_KEY_BYTES);
    if (gossipsub_scoring_init(gs, host->now_ns(host->user)) != 0) {
        gossipsub_destroy(gs);
        return NULL;
    }
    return gs;
}

static void gossipsub_peer_free(gossipsub_peer *peer) {
    for (size_t i = 0; i < peer->topic_count; i++) free(peer->topics[i]);
    peer->topic_count = 0;
    free(peer->dontwant);
    peer->dontwant = NULL;
    peer->dontwant_count = peer->dontwant_cap = 0;
}

void gossipsub_destroy(gossipsub *gs) {
    if (gs == NULL) return;
    for (size_t i = 0; i < gs->peer_count; i++) gossipsub_peer_free(&gs->peers[i]);
    for (size_t i = 0; i < gs->topic_count; i++) {
        free(gs->topics[i]->name);
        free(gs->topics[i]);
    }
    free(gs->peers);
    free(gs->rpc);
    free(gs->ctl_in);
    free(gs->ctl_out);
    free(gs->scratch_handles);
    gossipsub_scoring_free(gs);
    seen_cache_free(&gs->seen);
    mcache_free(&gs->cache);
    free(gs);
}

/* ---- peers ------------------------------------------------------------ */

static size_t gossipsub_our_subscriptions(const gossipsub *gs, pubsub_subopts *subs) {
    size_t count = 0;
    for (size_t i = 0; i < gs->topic_count; i++)
        if (gs->topics[i]->subscribed)
            subs[count++] = (pubsub_subopts){.subscribe = true, .topic = gossipsub_topic_view(gs->topics[i]->name)};
    return count;
}

static bool gossipsub_is_explicit(const gossipsub *gs, const peer_id *id) {
    for (size_t i = 0; i < gs->explicit_count; i++)
        if (peer_id_equal(&gs->explicit_ids[i], id)) return true;
    return false;
}

int gossipsub_add_peer(gossipsub *gs, uint32_t handle, const peer_id *id, const char *protocol, bool outbound,
                       uint32_t ip4) {
    assert(gossipsub_peer_find(gs, handle) == NULL);
    assert(id != NULL && protocol != NULL);
    if (gs->peer_count == GOSSIPSUB_PEERS_MAX) return -1;
    uint64_t now = gs->host.now_ns(gs->host.user);
    if (gs->score != NULL && score_add_peer(gs->score, handle, id, ip4, now) != 0) return -1;
    if (gs->peer_count == gs->peer_cap) {
        size_t cap = gs->peer_cap ? gs->peer_cap * 2 : 8;
        gossipsub_peer *peers = realloc(gs->peers, cap * sizeof *peers);
        if (peers == NULL) {
            if (gs->score != NULL) score_remove_peer(gs->score, handle, now);
            return -1;
        }
        gs->peers = peers;
        gs->peer_cap = cap;
    }
    gossipsub_peer *peer = &gs->peers[gs->peer_count++];
    memset(peer, 0, sizeof *peer);
    peer->handle = handle;
    peer->id = *id;
    peer->v11 = strcmp(protocol, GOSSIPSUB_PROTOCOL_V10) != 0;
    peer->supports_idontwant = strcmp(protocol, GOSSIPSUB_PROTOCOL_V12) == 0;
    peer->outbound = outbound;
    peer->explicit_peer = gossipsub_is_explicit(gs, id);
    trace_event event = {.kind = TRACE_ADD_PEER, .peer = id->bytes, .peer_len = id->len, .protocol = protocol};
    gossipsub_trace(gs, &event);
    pubsub_subopts subs[GOSSIPSUB_TOPICS_MAX];
    gossipsub_send_subscriptions(gs, peer, subs, gossipsub_our_subscriptions(gs, subs));
    return 0;
}

void gossipsub_remove_peer(gossipsub *gs, uint32_t handle) {
    gossipsub_peer *peer = gossipsub_peer_find(gs, handle);
    if (peer == NULL) return;
    for (size_t i = 0; i < gs->topic_count; i++) {
        gossipsub_topic *t = gs->topics[i];
        if (gossipsub_member_remove(t, handle) && t->subscribed)
            gossipsub_trace_mesh(gs, TRACE_PRUNE, t->name, peer);
    }
    /* The score leaves every mesh itself (P3b as at a prune) and is kept
     * for retain_score, so that reconnecting does not wash it. */
    if (gs->score != NULL) score_remove_peer(gs->score, handle, gs->host.now_ns(gs->host.user));
    trace_event event = {.kind = TRACE_REMOVE_PEER, .peer = peer->id.bytes, .peer_len = peer->id.len};
    gossipsub_trace(gs, &event);
    gossipsub_peer_free(peer);
    *peer = gs->peers[--gs->peer_count]; /* order of peers carries no meaning */
}

/* A peer's SUBSCRIBE or UNSUBSCRIBE; one that leaves a topic leaves our
 * mesh and fanout for it too. */
static void gossipsub_peer_subscription(gossipsub *gs, gossipsub_peer *peer, const pubsub_subopts *sub) {
    int index = pubsub_text_find(peer->topics, peer->topic_count, sub->topic);
    if (sub->subscribe && index < 0 && peer->topic_count < GOSSIPSUB_PEER_TOPICS_MAX) {
        char *topic = pubsub_text_copy(sub->topic);
        if (topic != NULL) peer->topics[peer->topic_count++] = topic;
    } else if (!sub->subscribe && index >= 0) {
        free(peer->topics[index]);
        peer->topics[index] = peer->topics[--peer->topic_count];
        gossipsub_topic *t = gossipsub_topic_find(gs, sub->topic);
        if (t != NULL && t->subscribed)
            (void)gossipsub_mesh_leave(gs, t, peer, gs->host.now_ns(gs->host.user));
        else if (t != NULL)
            (void)gossipsub_member_remove(t, peer->handle); /* the fanout */
    }
}

/* ---- messages --------------------------------------------------------- */

static bool peer_is_origin(const gossipsub_peer *peer, const pubsub_message *msg) {
    return msg->from.len == peer->id.len && memcmp(msg->from.data, peer->id.bytes, peer->id.len) == 0;
}

/* The peers a message goes to: with flood (our own, flood_publish) every
 * peer subscribed to the topic whose score reaches the publish threshold,
 * else the mesh or the fanout; and explicit peers subscribed to it. */
static size_t forward_targets(gossipsub *gs, const gossipsub_topic *t, pubsub_bytes topic, bool flood,
                              uint64_t now) {
    size_t count = 0;
    if (!flood && t != NULL && (t->subscribed || t->fanout)) {
        memcpy(gs->scratch_handles, t->members, t->member_count * sizeof t->members[0]);
        count = t->member_count;
    }
    for (size_t i = 0; i < gs->peer_count; i++) {
        const gossipsub_peer *peer = &gs->peers[i];
        bool wanted = flood ? !gossipsub_score_below(gs, peer, gs->config.thresholds.publish, now)
                            : peer->explicit_peer;
        if (wanted && gossipsub_peer_subscribed(peer, topic)) gs->scratch_handles[count++] = peer->handle;
    }
    assert(count <= GOSSIPSUB_SCRATCH_HANDLES);
    return count;
}

/* Caches msg (encoded) and sends it to its targets but the sender, the
 * origin, and peers that said IDONTWANT. */
static void gossipsub_forward(gossipsub *gs, const pubsub_message *msg, const uint8_t *id, size_t id_len,
                              const gossipsub_peer *sender, bool flood, uint64_t now) {
    size_t cap = msg->data.len + msg->topic.len + GOSSIPSUB_RPC_OVERHEAD;
    uint8_t *encoded = malloc(cap);
    if (encoded == NULL) return;
    size_t len = pubsub_message_encode(msg, encoded, cap);
    assert(len > 0);
    if (mcache_put(&gs->cache, id, id_len, msg->topic.data, msg->topic.len, encoded, len) == MCACHE_PUT_ADDED)
        (void)mcache_set_received(&gs->cache, id, id_len, now);
    if (sender != NULL && gs->host.relay != NULL && !gs->host.relay(gs->host.user)) { /* cached, not relayed */
        free(encoded);
        return;
    }
    const gossipsub_topic *t = gossipsub_topic_find(gs, msg->topic);
    size_t count = forward_targets(gs, t, msg->topic, flood, now);
    uint64_t fingerprint = 0; /* hashed only if some target said IDONTWANT */
    for (size_t i = 0; i < count; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, gs->scratch_handles[i]);
        if (peer == NULL || peer == sender || peer_is_origin(peer, msg)) continue;
        if (peer->dontwant_count > 0 && fingerprint == 0) fingerprint = gossipsub_fingerprint(gs, id, id_len);
        if (peer->dontwant_count > 0 && gossipsub_dontwant_has(peer, fingerprint)) continue;
        gossipsub_send_encoded(gs, peer, encoded, len, msg->data.len);
    }
    free(encoded);
}

static void gossipsub_deliver(gossipsub *gs, const pubsub_message *msg, const gossipsub_peer *from) {
    const gossipsub_topic *t = gossipsub_topic_find(gs, msg->topic);
    if (t == NULL || !t->subscribed) return;
    gossipsub_trace_message(gs, TRACE_DELIVER_MESSAGE, msg, from, NULL);
    if (gs->host.deliver != NULL) gs->host.deliver(gs->host.user, msg);
}

/* A copy of a message we have seen: P3 counts it for a mesh member when it
 * comes within the topic's window after our first receipt. */
static void gossipsub_duplicate(gossipsub *gs, const gossipsub_peer *from, const pubsub_message *msg,
                                const uint8_t *id, size_t id_len, uint64_t now) {
    gossipsub_trace_message(gs, TRACE_DUPLICATE_MESSAGE, msg, from, NULL);
    mcache_message cached;
    if (gs->score == NULL || !mcache_get(&gs->cache, id, id_len, &cached)) return;
    char topic[PUBSUB_TOPIC_MAX + 1];
    topic_text(msg, topic);
    score_deliver_message(gs->score, from->handle, topic, SCORE_DELIVERY_DUPLICATE, cached.received_ns, now);
}

/* A message that failed: P4 for REJECT (a bad signature, or the
 * validator's verdict), nothing for IGNORE. */
static void gossipsub_refuse(gossipsub *gs, const gossipsub_peer *from, const pubsub_message *msg,
                             score_rejection why, const char *reason) {
    gossipsub_trace_message(gs, TRACE_REJECT_MESSAGE, msg, from, reason);
    if (gs->score == NULL || !msg->has_topic || msg->topic.len == 0) return;
    char topic[PUBSUB_TOPIC_MAX + 1];
    topic_text(msg, topic);
    score_reject_message(gs->score, from->handle, topic, why);
}

/* The first valid copy: scored, promises kept, IDONTWANT to the mesh for a
 * large one (v1.2), delivered and forwarded. */
static void gossipsub_accept(gossipsub *gs, const gossipsub_peer *from, const pubsub_message *msg,
                             const uint8_t *id, size_t id_len, uint64_t now) {
    if (gs->score != NULL) {
        char topic[PUBSUB_TOPIC_MAX + 1];
        topic_text(msg, topic);
        score_deliver_message(gs->score, from->handle, topic, SCORE_DELIVERY_FIRST, now, now);
        if (gs->promise_count > 0) gossipsub_promise_kept(gs, gossipsub_fingerprint(gs, id, id_len));
    }
    const gossipsub_topic *t = gossipsub_topic_find(gs, msg->topic);
    if (gs->config.idontwant && t != NULL && t->subscribed && msg->data.len >= gs->config.idontwant_min_bytes)
        gossipsub_send_idontwant(gs, t, id, id_len, from, msg->from);
    gossipsub_deliver(gs, msg, from);
    gossipsub_forward(gs, msg, id, id_len, from, false, now);
}

static void gossipsub_receive_message(gossipsub *gs, const gossipsub_peer *from, const pubsub_message *msg) {
    uint8_t id[GOSSIPSUB_MSG_ID_MAX];
    size_t id_len = pubsub_message_id_of(msg, gs->config.message_id, id, sizeof id);
    uint64_t now = gs->host.now_ns(gs->host.user);
    const char *reason = NULL;
    if (id_len == 0 || !msg->has_topic || msg->topic.len == 0) {
        if (pubsub_message_verify(msg, &reason) == 0) reason = "malformed message id or topic";
        gossipsub_refuse(gs, from, msg, SCORE_REJECTION_INVALID, reason);
        return;
    }
    if (seen_cache_contains(&gs->seen, id, id_len, now)) {
        gossipsub_duplicate(gs, from, msg, id, id_len, now);
        return;
    }
    /* Only validly signed messages enter the seen cache, so that a forged
     * copy cannot censor the genuine message with the same id. */
    if (pubsub_message_verify(msg, &reason) != 0) {
        gossipsub_refuse(gs, from, msg, SCORE_REJECTION_INVALID, reason);
        return;
    }
    seen_cache_add(&gs->seen, id, id_len, now);
    pubsub_validation verdict = gs->host.validate != NULL ? gs->host.validate(gs->host.user, msg) : PUBSUB_ACCEPT;
    if (verdict == PUBSUB_REJECT)
        gossipsub_refuse(gs, from, msg, SCORE_REJECTION_INVALID, "rejected by the validator");
    else if (verdict == PUBSUB_IGNORE)
        gossipsub_refuse(gs, from, msg, SCORE_REJECTION_IGNORED, "ignored by the validator");
    else
        gossipsub_accept(gs, from, msg, id, id_len, now);
}

/* The shape of a received RPC, for its recv_rpc trace. */
static gossipsub_rpc_shape received_shape(const gossipsub *gs, size_t len) {
    gossipsub_rpc_shape shape = {.len = len, .message_count = (uint32_t)gs->rpc->message_count};
    for (size_t i = 0; i < gs->rpc->message_count; i++) shape.payload_bytes += gs->rpc->messages[i].data.len;
    if (gs->rpc->has_control) {
        shape.ctl = gs->ctl_in;
        shape.control_bytes = gs->rpc->control.len;
    }
    return shape;
}

int gossipsub_handle_rpc(gossipsub *gs, uint32_t handle, const uint8_t *bytes, size_t len) {
    gossipsub_peer *peer = gossipsub_peer_find(gs, handle);
    assert(peer != NULL);
    uint64_t now = gs->host.now_ns(gs->host.user);
    const char *malformed = NULL;
    if (pubsub_rpc_decode(bytes, len, gs->rpc) != 0)
        malformed = "malformed rpc";
    else if (gs->rpc->has_control && gossipsub_control_decode(gs->rpc->control.data, gs->rpc->control.len,
                                                              gs->ctl_in) != 0)
        malformed = "malformed control";
    if (malformed != NULL) {
        gossipsub_trace_rpc(gs, TRACE_DROP_RPC, peer, (gossipsub_rpc_shape){.len = len}, malformed);
        return -1;
    }
    /* v1.1 graylisting: below the threshold a peer's RPCs are not read. */
    if (gossipsub_score_below(gs, peer, gs->config.thresholds.graylist, now)) {
        gossipsub_trace_rpc(gs, TRACE_DROP_RPC, peer, received_shape(gs, len), "graylisted");
        return 0;
    }
    gossipsub_trace_rpc(gs, TRACE_RECV_RPC, peer, received_shape(gs, len), NULL);
    for (size_t i = 0; i < gs->rpc->sub_count; i++) gossipsub_peer_subscription(gs, peer, &gs->rpc->subs[i]);
    /* host.send must not re-enter the router: the tables stay put while
     * these loops run. */
    for (size_t i = 0; i < gs->rpc->message_count; i++) gossipsub_receive_message(gs, peer, &gs->rpc->messages[i]);
    if (gs->rpc->has_control) gossipsub_handle_control(gs, peer, now);
    return 0;
}

/* ---- local API -------------------------------------------------------- */

static void gossipsub_announce(gossipsub *gs, const char *topic, bool subscribe) {
    pubsub_subopts sub = {.subscribe = subscribe, .topic = gossipsub_topic_view(topic)};
    for (size_t i = 0; i < gs->peer_count; i++) gossipsub_send_subscriptions(gs, &gs->peers[i], &sub, 1);
    trace_event event = {.kind = subscribe ? TRACE_JOIN : TRACE_LEAVE, .topic = topic};
    gossipsub_trace(gs, &event);
}

bool gossipsub_is_subscribed(const gossipsub *gs, const char *topic) {
    const gossipsub_topic *t = gossipsub_topic_find(gs, gossipsub_topic_view(topic));
    return t != NULL && t->subscribed;
}

/* JOIN: the fanout peers (if any, and out of backoff, with a score that
 * is not negative) become the mesh, topped up to D with random subscribed
 * peers; each is sent a GRAFT. The topic gets the score's topic_score. */
int gossipsub_subscribe(gossipsub *gs, const char *topic) {
    size_t len = strlen(topic);
    if (len == 0 || len > PUBSUB_TOPIC_MAX) return -1;
    gossipsub_topic *t = gossipsub_topic_get(gs, gossipsub_topic_view(topic));
    if (t == NULL) return -1;
    if (t->subscribed) return 0;
    uint64_t now = gs->host.now_ns(gs->host.user);
    /* Past SCORE_TOPICS_MAX topics a topic goes unscored, as the spec
     * treats a topic without parameters. */
    if (gs->score != NULL) (void)score_set_topic(gs->score, t->name, &gs->config.topic_score);
    uint32_t fanout[GOSSIPSUB_MESH_PEERS_MAX];
    size_t fanout_count = t->fanout ? t->member_count : 0;
    memcpy(fanout, t->members, fanout_count * sizeof fanout[0]);
    t->member_count = 0;
    t->fanout = false;
    t->subscribed = true;
    gossipsub_announce(gs, t->name, true);
    for (size_t i = 0; i < fanout_count && t->member_count < (size_t)gs->config.D; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, fanout[i]);
        if (peer == NULL || gossipsub_backoff_active(t, peer->handle, now) ||
            gossipsub_score_below(gs, peer, 0.0, now))
            continue;
        gossipsub_mesh_join(gs, t, peer, now);
        gossipsub_send_graft(gs, peer, t->name);
    }
    size_t count = gossipsub_candidates(gs, t, now, true, 0.0);
    for (size_t i = 0; i < count && t->member_count < (size_t)gs->config.D; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, gs->scratch_handles[i]);
        assert(peer != NULL);
        gossipsub_mesh_join(gs, t, peer, now);
        gossipsub_send_graft(gs, peer, t->name);
    }
    return 0;
}

/* LEAVE: PRUNE every mesh peer with the unsubscribe backoff, which we keep
 * too, so that a quick rejoin does not graft them again at once. */
int gossipsub_unsubscribe(gossipsub *gs, const char *topic) {
    gossipsub_topic *t = gossipsub_topic_find(gs, gossipsub_topic_view(topic));
    if (t == NULL || !t->subscribed) return -1;
    uint64_t now = gs->host.now_ns(gs->host.user);
    gossipsub_announce(gs, t->name, false);
    while (t->member_count > 0) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, t->members[t->member_count - 1]);
        assert(peer != NULL);
        gossipsub_mesh_leave(gs, t, peer, now);
        gossipsub_send_prune(gs, peer, t, gs->config.unsubscribe_backoff_ns, false);
        gossipsub_backoff_set(t, peer->handle, now + gs->config.unsubscribe_backoff_ns);
    }
    t->subscribed = false;
    return 0;
}

/* Without flood publishing, a topic we do not subscribe to is published
 * to its fanout: D random subscribed peers whose score reaches the publish
 * threshold, kept for fanout_ttl. */
static void gossipsub_fanout_touch(gossipsub *gs, pubsub_bytes topic, uint64_t now) {
    gossipsub_topic *t = gossipsub_topic_get(gs, topic);
    if (t == NULL || t->subscribed) return;
    if (!t->fanout) {
        t->fanout = true;
        t->member_count = 0;
        size_t count = gossipsub_candidates(gs, t, now, false, gs->config.thresholds.publish);
        for (size_t i = 0; i < count && t->member_count < (size_t)gs->config.D; i++)
            gossipsub_member_add(t, gs->scratch_handles[i]);
    }
    t->last_publish_ns = now;
}

int gossipsub_publish(gossipsub *gs, const char *topic, const uint8_t *data, size_t len) {
    size_t topic_len = strlen(topic);
    if (topic_len == 0 || topic_len > PUBSUB_TOPIC_MAX) return -1;
    if (len > PUBSUB_RPC_MAX_BYTES - topic_len - GOSSIPSUB_RPC_OVERHEAD) return -1;
    pubsub_outgoing out;
    if (pubsub_message_make(&out, gs->id, &gs->self, gs->seqno++, topic, data, len) != 0) return -1;
    const pubsub_message *msg = &out.msg;
    uint8_t id[GOSSIPSUB_MSG_ID_MAX];
    size_t id_len = pubsub_message_id_of(msg, gs->config.message_id, id, sizeof id);
    uint64_t now = gs->host.now_ns(gs->host.user);
    seen_cache_add(&gs->seen, id, id_len, now);
    gossipsub_trace_message(gs, TRACE_PUBLISH_MESSAGE, msg, NULL, NULL);
    gossipsub_deliver(gs, msg, NULL);
    if (!gs->config.flood_publish) gossipsub_fanout_touch(gs, msg->topic, now);
    gossipsub_forward(gs, msg, id, id_len, NULL, gs->config.flood_publish, now);
    return 0;
}

/* ---- inspection ------------------------------------------------------- */

size_t gossipsub_mesh_count(const gossipsub *gs, const char *topic) {
    const gossipsub_topic *t = gossipsub_topic_find(gs, gossipsub_topic_view(topic));
    return t != NULL && t->subscribed ? t->member_count : 0;
}

bool gossipsub_in_mesh(const gossipsub *gs, const char *topic, uint32_t peer) {
    const gossipsub_topic *t = gossipsub_topic_find(gs, gossipsub_topic_view(topic));
    return t != NULL && t->subscribed && gossipsub_member_has(t, peer);
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
    return p != NULL ? gossipsub_score_of(gs, p, gs->host.now_ns(gs->host.user)) : 0.0;
}

int gossipsub_add_explicit_peer(gossipsub *gs, const peer_id *id) {
    assert(id != NULL);
    if (gossipsub_is_explicit(gs, id)) return 0;
    if (gs->explicit_count == GOSSIPSUB_EXPLICIT_PEERS_MAX) return -1;
    gs->explicit_ids[gs->explicit_count++] = *id;
    for (size_t i = 0; i < gs->peer_count; i++) {
        gossipsub_peer *peer = &gs->peers[i];
        if (!peer_id_equal(&peer->id, id)) continue;
        peer->explicit_peer = true;
        for (size_t j = 0; j < gs->topic_count; j++) { /* never in a mesh */
            gossipsub_topic *t = gs->topics[j];
            if (t->subscribed) (void)gossipsub_mesh_leave(gs, t, peer, gs->host.now_ns(gs->host.user));
            else (void)gossipsub_member_remove(t, peer->handle);
        }
    }
    return 0;
}
