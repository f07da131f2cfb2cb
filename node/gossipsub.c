/* gossipsub: the GossipSub router's peers, RPCs, messages and local API.
 * See gossipsub.h; the heartbeat is in gossipsub_heartbeat.c. */
#include "gossipsub_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "varint.h"

#define GOSSIPSUB_BACKOFF_MAX_S (24u * 3600u) /* longest PRUNE backoff honoured: a day */
#define GOSSIPSUB_CONTROL_SLACK 64           /* RPC and ControlMessage framing */
#define GOSSIPSUB_ENTRY_OVERHEAD 16          /* tags and lengths of one entry or id */
#define GOSSIPSUB_PUBLISH_TAG 0x12           /* RPC field 2 (publish), length-delimited */

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

static void gossipsub_trace(gossipsub *gs, trace_event *event) {
    if (gs->host.trace != NULL) gs->host.trace(gs->host.user, event);
}

typedef struct rpc_shape {
    size_t len;
    uint64_t payload_bytes;
    uint32_t message_count;
} rpc_shape;

static void gossipsub_trace_rpc(gossipsub *gs, trace_kind kind, const gossipsub_peer *peer,
                                rpc_shape shape, const char *reason) {
    assert(peer != NULL);
    trace_event event = {.kind = kind, .size_bytes = shape.len, .payload_bytes = shape.payload_bytes,
                         .message_count = shape.message_count, .reason = reason,
                         .peer = peer->id.bytes, .peer_len = peer->id.len};
    gossipsub_trace(gs, &event);
}

static void gossipsub_trace_message(gossipsub *gs, trace_kind kind, const pubsub_message *msg,
                                    const gossipsub_peer *from, const char *reason) {
    uint8_t id[GOSSIPSUB_MSG_ID_MAX];
    char topic[PUBSUB_TOPIC_MAX + 1];
    size_t topic_len = msg->topic.len < PUBSUB_TOPIC_MAX ? msg->topic.len : PUBSUB_TOPIC_MAX;
    if (topic_len > 0) memcpy(topic, msg->topic.data, topic_len);
    topic[topic_len] = '\0';
    trace_event event = {.kind = kind, .topic = topic, .size_bytes = msg->data.len, .reason = reason};
    event.msg_id = id;
    event.msg_id_len = pubsub_message_id(msg, id, sizeof id);
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

static void gossipsub_send(gossipsub *gs, const gossipsub_peer *peer, const uint8_t *rpc, rpc_shape shape) {
    assert(shape.len > 0);
    if (gs->host.send(gs->host.user, peer->handle, rpc, shape.len) == 0)
        gossipsub_trace_rpc(gs, TRACE_SEND_RPC, peer, shape, NULL);
    else
        gossipsub_trace_rpc(gs, TRACE_DROP_RPC, peer, shape, "send queue full");
}

/* An upper bound on the encoding of ctl, so that a buffer can be sized. */
static size_t control_size_bound(const gossipsub_control *ctl) {
    size_t size = GOSSIPSUB_CONTROL_SLACK;
    size_t entries = ctl->ihave_count + ctl->iwant_count + ctl->graft_count + ctl->prune_count;
    size += entries * (PUBSUB_TOPIC_MAX + GOSSIPSUB_ENTRY_OVERHEAD);
    for (size_t i = 0; i < ctl->ihave_id_count; i++) size += ctl->ihave_ids[i].len + GOSSIPSUB_ENTRY_OVERHEAD;
    for (size_t i = 0; i < ctl->iwant_id_count; i++) size += ctl->iwant_ids[i].len + GOSSIPSUB_ENTRY_OVERHEAD;
    for (size_t i = 0; i < ctl->px_peer_count; i++)
        size += ctl->px_peers[i].peer_id.len + ctl->px_peers[i].signed_peer_record.len +
                2 * GOSSIPSUB_ENTRY_OVERHEAD;
    return size;
}

void gossipsub_send_control(gossipsub *gs, const gossipsub_peer *peer, const gossipsub_control *ctl) {
    if (gossipsub_control_is_empty(ctl)) return;
    size_t cap = control_size_bound(ctl);
    uint8_t *rpc = malloc(cap);
    if (rpc == NULL) return;
    size_t len = gossipsub_rpc_encode(NULL, 0, NULL, 0, ctl, rpc, cap);
    assert(len > 0); /* we build only what the decoder accepts, within cap */
    if (len > 0) gossipsub_send(gs, peer, rpc, (rpc_shape){.len = len});
    free(rpc);
}

void gossipsub_send_graft(gossipsub *gs, const gossipsub_peer *peer, const char *topic) {
    gossipsub_control *ctl = gs->ctl_out;
    gossipsub_control_init(ctl);
    int rc = gossipsub_control_add_graft(ctl, gossipsub_topic_view(topic));
    assert(rc == 0);
    (void)rc;
    gossipsub_send_control(gs, peer, ctl);
}

/* Appends a PRUNE for topic to ctl: with a backoff for v1.1 peers and, when
 * px, the ids of up to prune_peers members of t other than the peer. */
static void prune_entry_add(gossipsub *gs, gossipsub_control *ctl, const gossipsub_peer *peer,
                            pubsub_bytes topic, const gossipsub_topic *t, uint64_t backoff_ns, bool px) {
    gossipsub_peer_info infos[GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX];
    size_t info_count = 0;
    size_t info_max = (size_t)gs->config.prune_peers;
    if (info_max > GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX) info_max = GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX;
    for (size_t i = 0; px && peer->v11 && t != NULL && i < t->member_count && info_count < info_max; i++) {
        const gossipsub_peer *other = gossipsub_peer_find(gs, t->members[i]);
        if (other == NULL || other == peer) continue;
        infos[info_count++] = (gossipsub_peer_info){
            .peer_id = {other->id.bytes, other->id.len}, .has_peer_id = true};
    }
    uint64_t backoff_s = (backoff_ns + GOSSIPSUB_NS_PER_S - 1) / GOSSIPSUB_NS_PER_S;
    (void)gossipsub_control_add_prune(ctl, topic, infos, info_count, peer->v11, backoff_s);
}

void gossipsub_send_prune(gossipsub *gs, const gossipsub_peer *peer, const gossipsub_topic *t,
                          uint64_t backoff_ns, bool px) {
    gossipsub_control *ctl = gs->ctl_out;
    gossipsub_control_init(ctl);
    prune_entry_add(gs, ctl, peer, gossipsub_topic_view(t->name), t, backoff_ns, px);
    gossipsub_send_control(gs, peer, ctl);
}

/* Sends one cached (encoded) Message as an RPC of its own. */
static void gossipsub_send_encoded(gossipsub *gs, const gossipsub_peer *peer, const uint8_t *encoded,
                                   size_t len, uint64_t payload_bytes) {
    uint8_t header[1 + VARINT_MAX_BYTES];
    header[0] = GOSSIPSUB_PUBLISH_TAG;
    size_t header_len = 1 + varint_encode(len, header + 1);
    uint8_t *rpc = malloc(header_len + len);
    if (rpc == NULL) return;
    memcpy(rpc, header, header_len);
    memcpy(rpc + header_len, encoded, len);
    gossipsub_send(gs, peer, rpc, (rpc_shape){.len = header_len + len, .payload_bytes = payload_bytes,
                                              .message_count = 1});
    free(rpc);
}

static void gossipsub_send_subscriptions(gossipsub *gs, const gossipsub_peer *peer,
                                         const pubsub_subopts *subs, size_t count) {
    if (count == 0) return;
    size_t cap = count * (PUBSUB_TOPIC_MAX + GOSSIPSUB_ENTRY_OVERHEAD);
    uint8_t *rpc = malloc(cap);
    if (rpc == NULL) return;
    size_t len = pubsub_rpc_encode(subs, count, NULL, 0, rpc, cap);
    assert(len > 0);
    gossipsub_send(gs, peer, rpc, (rpc_shape){.len = len});
    free(rpc);
}

/* ---- lifecycle -------------------------------------------------------- */

void gossipsub_config_default(gossipsub_config *c) {
    assert(c != NULL);
    *c = (gossipsub_config){
        .D = 6, .D_lo = 4, .D_hi = 12, .D_lazy = 6, .D_score = 4, .D_out = 2,
        .heartbeat_ns = 1000000000ull, .fanout_ttl_ns = 60000000000ull, .seen_ttl_ns = 120000000000ull,
        .prune_backoff_ns = 60000000000ull, .unsubscribe_backoff_ns = 10000000000ull,
        .mcache_len = MCACHE_LEN_DEFAULT, .mcache_gossip = MCACHE_GOSSIP_DEFAULT,
        .gossip_factor = 0.25, .prune_peers = GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX,
        .flood_publish = true, .idontwant = true, .idontwant_min_bytes = 1024,
        .max_ihave_length = GOSSIPSUB_IHAVE_IDS_MAX, .max_ihave_messages = 10,
        .opportunistic_graft_peers = 2,
        .opportunistic_graft_ticks = 60,
        .iwant_followup_ns = 3000000000ull,         /* go-libp2p GossipSubIWantFollowupTime */
        .graft_flood_threshold_ns = 10000000000ull, /* go-libp2p GossipSubGraftFloodThreshold */
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
    gs->scratch_handles = malloc(GOSSIPSUB_PEERS_MAX * sizeof *gs->scratch_handles);
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
    return gs;
}

static void gossipsub_peer_free(gossipsub_peer *peer) {
    for (size_t i = 0; i < peer->topic_count; i++) free(peer->topics[i]);
    peer->topic_count = 0;
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

int gossipsub_add_peer(gossipsub *gs, uint32_t handle, const peer_id *id, const char *protocol) {
    assert(gossipsub_peer_find(gs, handle) == NULL);
    assert(id != NULL && protocol != NULL);
    if (gs->peer_count == GOSSIPSUB_PEERS_MAX) return -1;
    if (gs->peer_count == gs->peer_cap) {
        size_t cap = gs->peer_cap ? gs->peer_cap * 2 : 8;
        gossipsub_peer *peers = realloc(gs->peers, cap * sizeof *peers);
        if (peers == NULL) return -1;
        gs->peers = peers;
        gs->peer_cap = cap;
    }
    gossipsub_peer *peer = &gs->peers[gs->peer_count++];
    memset(peer, 0, sizeof *peer);
    peer->handle = handle;
    peer->id = *id;
    peer->v11 = strcmp(protocol, GOSSIPSUB_PROTOCOL_V10) != 0;
    peer->supports_idontwant = strcmp(protocol, GOSSIPSUB_PROTOCOL_V12) == 0;
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
        if (t != NULL && gossipsub_member_remove(t, peer->handle) && t->subscribed)
            gossipsub_trace_mesh(gs, TRACE_PRUNE, t->name, peer);
    }
}

/* ---- control ---------------------------------------------------------- */

/* GRAFT: join the peer to our mesh, or answer PRUNE when we do not
 * subscribe, a backoff runs, or the mesh has no room. */
static void handle_graft(gossipsub *gs, gossipsub_peer *peer, pubsub_bytes topic, uint64_t now) {
    gossipsub_topic *t = gossipsub_topic_find(gs, topic);
    if (t != NULL && t->subscribed && gossipsub_member_has(t, peer->handle)) return;
    bool accept = t != NULL && t->subscribed && !gossipsub_backoff_active(t, peer->handle, now) &&
                  t->member_count < GOSSIPSUB_MESH_PEERS_MAX;
    if (accept) {
        bool added = gossipsub_member_add(t, peer->handle);
        assert(added);
        (void)added;
        gossipsub_trace_mesh(gs, TRACE_GRAFT, t->name, peer);
        return;
    }
    if (t != NULL && t->subscribed && !gossipsub_backoff_active(t, peer->handle, now))
        gossipsub_backoff_set(t, peer->handle, now + gs->config.prune_backoff_ns);
    prune_entry_add(gs, gs->ctl_out, peer, topic, NULL, gs->config.prune_backoff_ns, false);
}

/* PRUNE: leave the mesh and back off for the PRUNE's time (v1.1) or ours. */
static void handle_prune(gossipsub *gs, gossipsub_peer *peer, const gossipsub_prune *prune, uint64_t now) {
    gossipsub_topic *t = gossipsub_topic_find(gs, prune->topic);
    if (t == NULL) return;
    if (t->subscribed && gossipsub_member_remove(t, peer->handle))
        gossipsub_trace_mesh(gs, TRACE_PRUNE, t->name, peer);
    uint64_t backoff_ns = gs->config.prune_backoff_ns;
    if (prune->has_backoff) {
        uint64_t seconds = prune->backoff_s < GOSSIPSUB_BACKOFF_MAX_S ? prune->backoff_s : GOSSIPSUB_BACKOFF_MAX_S;
        backoff_ns = seconds * GOSSIPSUB_NS_PER_S;
    }
    gossipsub_backoff_set(t, peer->handle, now + backoff_ns);
}

/* IHAVE: ask (IWANT) for the ids we have not seen, within the per-peer
 * heartbeat budgets. The wanted ids are compacted in place in ctl_in. */
static void handle_ihave(gossipsub *gs, gossipsub_peer *peer, const gossipsub_ihave *ihave, uint64_t now) {
    if (peer->ihaves_this_heartbeat >= gs->config.max_ihave_messages) return;
    peer->ihaves_this_heartbeat++;
    const gossipsub_topic *t = gossipsub_topic_find(gs, ihave->topic);
    if (t == NULL || !t->subscribed) return;
    pubsub_bytes *ids = &gs->ctl_in->ihave_ids[ihave->id_first];
    size_t wanted = 0;
    for (size_t i = 0; i < ihave->id_count; i++) {
        if (peer->asked_this_heartbeat >= gs->config.max_ihave_length) break;
        if (ids[i].len == 0 || seen_cache_contains(&gs->seen, ids[i].data, ids[i].len, now)) continue;
        ids[wanted++] = ids[i];
        peer->asked_this_heartbeat++;
    }
    if (wanted > 0) (void)gossipsub_control_add_iwant(gs->ctl_out, ids, wanted);
}

/* IWANT: serve each id from the message cache, within its retransmission
 * limit per peer; each message goes as an RPC of its own. */
static void handle_iwant(gossipsub *gs, gossipsub_peer *peer, const gossipsub_id_list *iwant) {
    const pubsub_bytes *ids = &gs->ctl_in->iwant_ids[iwant->id_first];
    for (size_t i = 0; i < iwant->id_count; i++) {
        mcache_message m;
        if (mcache_get_for_peer(&gs->cache, ids[i].data, ids[i].len, peer->handle, &m) != MCACHE_IWANT_SERVE)
            continue;
        gossipsub_send_encoded(gs, peer, m.encoded, m.encoded_len, 0);
    }
}

static int handle_control(gossipsub *gs, gossipsub_peer *peer, pubsub_bytes raw) {
    gossipsub_control *in = gs->ctl_in;
    if (gossipsub_control_decode(raw.data, raw.len, in) != 0) return -1;
    uint64_t now = gs->host.now_ns(gs->host.user);
    gossipsub_control_init(gs->ctl_out);
    for (size_t i = 0; i < in->graft_count; i++) handle_graft(gs, peer, in->grafts[i], now);
    for (size_t i = 0; i < in->prune_count; i++) handle_prune(gs, peer, &in->prunes[i], now);
    for (size_t i = 0; i < in->ihave_count; i++) handle_ihave(gs, peer, &in->ihaves[i], now);
    gossipsub_send_control(gs, peer, gs->ctl_out);
    for (size_t i = 0; i < in->iwant_count; i++) handle_iwant(gs, peer, &in->iwants[i]);
    return 0;
}

/* ---- messages --------------------------------------------------------- */

static bool peer_is_origin(const gossipsub_peer *peer, const pubsub_message *msg) {
    return msg->from.len == peer->id.len && memcmp(msg->from.data, peer->id.bytes, peer->id.len) == 0;
}

/* The peers a message goes to: with flood (our own, flood_publish) every
 * peer subscribed to the topic, else the mesh or the fanout. */
static size_t forward_targets(gossipsub *gs, const gossipsub_topic *t, pubsub_bytes topic, bool flood) {
    size_t count = 0;
    if (flood) {
        for (size_t i = 0; i < gs->peer_count; i++)
            if (gossipsub_peer_subscribed(&gs->peers[i], topic)) gs->scratch_handles[count++] = gs->peers[i].handle;
    } else if (t != NULL && (t->subscribed || t->fanout)) {
        memcpy(gs->scratch_handles, t->members, t->member_count * sizeof t->members[0]);
        count = t->member_count;
    }
    assert(count <= GOSSIPSUB_PEERS_MAX);
    return count;
}

/* Caches msg (encoded) and sends it to its targets but sender and origin. */
static void gossipsub_forward(gossipsub *gs, const pubsub_message *msg, const uint8_t *id, size_t id_len,
                              const gossipsub_peer *sender, bool flood) {
    size_t cap = msg->data.len + msg->topic.len + GOSSIPSUB_RPC_OVERHEAD;
    uint8_t *encoded = malloc(cap);
    if (encoded == NULL) return;
    size_t len = pubsub_message_encode(msg, encoded, cap);
    assert(len > 0);
    (void)mcache_put(&gs->cache, id, id_len, msg->topic.data, msg->topic.len, encoded, len);
    const gossipsub_topic *t = gossipsub_topic_find(gs, msg->topic);
    size_t count = forward_targets(gs, t, msg->topic, flood);
    for (size_t i = 0; i < count; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, gs->scratch_handles[i]);
        if (peer == NULL || peer == sender || peer_is_origin(peer, msg)) continue;
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

static void gossipsub_receive_message(gossipsub *gs, const gossipsub_peer *from, const pubsub_message *msg) {
    uint8_t id[GOSSIPSUB_MSG_ID_MAX];
    size_t id_len = pubsub_message_id(msg, id, sizeof id);
    uint64_t now = gs->host.now_ns(gs->host.user);
    const char *reason = NULL;
    if (id_len == 0 || !msg->has_topic || msg->topic.len == 0) {
        if (pubsub_message_verify(msg, &reason) == 0) reason = "malformed message id or topic";
        gossipsub_trace_message(gs, TRACE_REJECT_MESSAGE, msg, from, reason);
        return;
    }
    if (seen_cache_contains(&gs->seen, id, id_len, now)) {
        gossipsub_trace_message(gs, TRACE_DUPLICATE_MESSAGE, msg, from, NULL);
        return;
    }
    /* Only valid messages enter the seen cache, so that a forged copy
     * cannot censor the genuine message with the same id. */
    if (pubsub_message_verify(msg, &reason) != 0) {
        gossipsub_trace_message(gs, TRACE_REJECT_MESSAGE, msg, from, reason);
        return;
    }
    seen_cache_add(&gs->seen, id, id_len, now);
    gossipsub_deliver(gs, msg, from);
    gossipsub_forward(gs, msg, id, id_len, from, false);
}

int gossipsub_handle_rpc(gossipsub *gs, uint32_t handle, const uint8_t *bytes, size_t len) {
    gossipsub_peer *peer = gossipsub_peer_find(gs, handle);
    assert(peer != NULL);
    if (pubsub_rpc_decode(bytes, len, gs->rpc) != 0) {
        gossipsub_trace_rpc(gs, TRACE_DROP_RPC, peer, (rpc_shape){.len = len}, "malformed rpc");
        return -1;
    }
    rpc_shape shape = {.len = len, .message_count = (uint32_t)gs->rpc->message_count};
    for (size_t i = 0; i < gs->rpc->message_count; i++) shape.payload_bytes += gs->rpc->messages[i].data.len;
    gossipsub_trace_rpc(gs, TRACE_RECV_RPC, peer, shape, NULL);
    for (size_t i = 0; i < gs->rpc->sub_count; i++) gossipsub_peer_subscription(gs, peer, &gs->rpc->subs[i]);
    /* host.send must not re-enter the router: the tables stay put while
     * these loops run. */
    for (size_t i = 0; i < gs->rpc->message_count; i++) gossipsub_receive_message(gs, peer, &gs->rpc->messages[i]);
    if (gs->rpc->has_control && handle_control(gs, peer, gs->rpc->control) != 0) {
        gossipsub_trace_rpc(gs, TRACE_DROP_RPC, peer, (rpc_shape){.len = len}, "malformed control");
        return -1;
    }
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

/* JOIN: the fanout peers (if any) become the mesh, topped up to D with
 * random subscribed peers out of backoff; each is sent a GRAFT. */
int gossipsub_subscribe(gossipsub *gs, const char *topic) {
    size_t len = strlen(topic);
    if (len == 0 || len > PUBSUB_TOPIC_MAX) return -1;
    gossipsub_topic *t = gossipsub_topic_get(gs, gossipsub_topic_view(topic));
    if (t == NULL) return -1;
    if (t->subscribed) return 0;
    uint64_t now = gs->host.now_ns(gs->host.user);
    if (!t->fanout) t->member_count = 0;
    for (size_t i = 0; i < t->member_count;) { /* a fanout peer may be backed off */
        if (gossipsub_backoff_active(t, t->members[i], now))
            t->members[i] = t->members[--t->member_count];
        else
            i++;
    }
    t->fanout = false;
    t->subscribed = true;
    gossipsub_announce(gs, t->name, true);
    size_t count = gossipsub_candidates(gs, t, now, true);
    for (size_t i = 0; i < count && t->member_count < (size_t)gs->config.D; i++)
        gossipsub_member_add(t, gs->scratch_handles[i]);
    for (size_t i = 0; i < t->member_count; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, t->members[i]);
        assert(peer != NULL);
        gossipsub_trace_mesh(gs, TRACE_GRAFT, t->name, peer);
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
    for (size_t i = 0; i < t->member_count; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, t->members[i]);
        assert(peer != NULL);
        gossipsub_trace_mesh(gs, TRACE_PRUNE, t->name, peer);
        gossipsub_send_prune(gs, peer, t, gs->config.unsubscribe_backoff_ns, false);
        gossipsub_backoff_set(t, peer->handle, now + gs->config.unsubscribe_backoff_ns);
    }
    t->member_count = 0;
    t->subscribed = false;
    return 0;
}

/* Without flood publishing, a topic we do not subscribe to is published
 * to its fanout: D random subscribed peers, kept for fanout_ttl. */
static void gossipsub_fanout_touch(gossipsub *gs, pubsub_bytes topic, uint64_t now) {
    gossipsub_topic *t = gossipsub_topic_get(gs, topic);
    if (t == NULL || t->subscribed) return;
    if (!t->fanout) {
        t->fanout = true;
        t->member_count = 0;
        size_t count = gossipsub_candidates(gs, t, now, false);
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
    size_t id_len = pubsub_message_id(msg, id, sizeof id);
    uint64_t now = gs->host.now_ns(gs->host.user);
    seen_cache_add(&gs->seen, id, id_len, now);
    gossipsub_trace_message(gs, TRACE_PUBLISH_MESSAGE, msg, NULL, NULL);
    gossipsub_deliver(gs, msg, NULL);
    if (!gs->config.flood_publish) gossipsub_fanout_touch(gs, msg->topic, now);
    gossipsub_forward(gs, msg, id, id_len, NULL, gs->config.flood_publish);
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
