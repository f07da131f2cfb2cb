/* floodsub: the /floodsub/1.0.0 router. See floodsub.h. */
#include "floodsub.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define FLOODSUB_PEERS_MAX 4096 /* pubsub peers per node, a bound above the node's connections */
#define FLOODSUB_RPC_OVERHEAD 512 /* framing of one message beyond its data and topic */
#define FLOODSUB_MSG_ID_MAX (PEER_ID_MAX_BYTES + PUBSUB_SEQNO_BYTES)

typedef struct floodsub_peer {
    uint32_t handle;
    peer_id id;
    char *topics[FLOODSUB_PEER_TOPICS_MAX];
    size_t topic_count;
} floodsub_peer;

struct floodsub {
    pubsub_host host;
    const identity *id;
    peer_id self;
    uint64_t seqno;
    seen_cache seen;
    floodsub_peer *peers;
    size_t peer_count, peer_cap;
    char *topics[FLOODSUB_TOPICS_MAX];
    size_t topic_count;
    pubsub_rpc *rpc; /* scratch for decoding: too large for the stack */
};

/* ---- helpers ---------------------------------------------------------- */

static floodsub_peer *floodsub_find_peer(floodsub *fs, uint32_t handle) {
    for (size_t i = 0; i < fs->peer_count; i++)
        if (fs->peers[i].handle == handle) return &fs->peers[i];
    return NULL;
}

static void floodsub_trace(floodsub *fs, trace_event *event) {
    if (fs->host.trace != NULL) fs->host.trace(fs->host.user, event);
}

/* An RPC event: its size, and the messages and their data bytes inside. */
typedef struct rpc_shape {
    size_t len;
    uint64_t payload_bytes;
    uint32_t message_count;
} rpc_shape;

static void floodsub_trace_rpc(floodsub *fs, trace_kind kind, const floodsub_peer *peer,
                               rpc_shape shape, const char *reason) {
    trace_event event = {.kind = kind, .size_bytes = shape.len, .payload_bytes = shape.payload_bytes,
                         .message_count = shape.message_count, .reason = reason};
    if (peer != NULL) {
        event.peer = peer->id.bytes;
        event.peer_len = peer->id.len;
    }
    floodsub_trace(fs, &event);
}

static void floodsub_trace_message(floodsub *fs, trace_kind kind, const pubsub_message *msg,
                                   const floodsub_peer *from, const char *reason) {
    uint8_t id[FLOODSUB_MSG_ID_MAX];
    char topic[PUBSUB_TOPIC_MAX + 1];
    size_t topic_len = msg->topic.len < PUBSUB_TOPIC_MAX ? msg->topic.len : PUBSUB_TOPIC_MAX;
    memcpy(topic, msg->topic.data, topic_len);
    topic[topic_len] = '\0';
    trace_event event = {.kind = kind, .topic = topic, .size_bytes = msg->data.len, .reason = reason};
    event.msg_id = id;
    event.msg_id_len = pubsub_message_id(msg, id, sizeof id);
    if (from != NULL) {
        event.peer = from->id.bytes;
        event.peer_len = from->id.len;
    }
    floodsub_trace(fs, &event);
}

/* Sends an encoded RPC to one peer, tracing the outcome. */
static void floodsub_send(floodsub *fs, const floodsub_peer *peer, const uint8_t *rpc, rpc_shape shape) {
    if (fs->host.send(fs->host.user, peer->handle, rpc, shape.len) == 0)
        floodsub_trace_rpc(fs, TRACE_SEND_RPC, peer, shape, NULL);
    else
        floodsub_trace_rpc(fs, TRACE_DROP_RPC, peer, shape, "send queue full");
}

static void floodsub_send_subscriptions(floodsub *fs, const floodsub_peer *peer,
                                        const pubsub_subopts *subs, size_t count) {
    if (count == 0) return;
    uint8_t rpc[FLOODSUB_TOPICS_MAX * (PUBSUB_TOPIC_MAX + 8)];
    size_t len = pubsub_rpc_encode(subs, count, NULL, 0, rpc, sizeof rpc);
    assert(len > 0);
    floodsub_send(fs, peer, rpc, (rpc_shape){.len = len});
}

/* ---- lifecycle -------------------------------------------------------- */

floodsub *floodsub_create(const pubsub_host *host, const identity *id, uint64_t seqno_start,
                          const uint8_t seen_key[SEEN_CACHE_KEY_BYTES]) {
    assert(host != NULL && host->send != NULL && host->now_ns != NULL);
    assert(id != NULL);
    floodsub *fs = calloc(1, sizeof *fs);
    if (fs == NULL) return NULL;
    fs->rpc = malloc(sizeof *fs->rpc);
    if (fs->rpc == NULL || seen_cache_init(&fs->seen, FLOODSUB_SEEN_CAPACITY, SEEN_CACHE_TTL_NS,
                                           seen_key) != 0) {
        free(fs->rpc);
        free(fs);
        return NULL;
    }
    fs->host = *host;
    fs->id = id;
    fs->seqno = seqno_start;
    peer_id_from_public_key(id->public_key, &fs->self);
    return fs;
}

static void floodsub_peer_free(floodsub_peer *peer) {
    for (size_t i = 0; i < peer->topic_count; i++) free(peer->topics[i]);
    peer->topic_count = 0;
}

void floodsub_destroy(floodsub *fs) {
    if (fs == NULL) return;
    for (size_t i = 0; i < fs->peer_count; i++) floodsub_peer_free(&fs->peers[i]);
    for (size_t i = 0; i < fs->topic_count; i++) free(fs->topics[i]);
    free(fs->peers);
    free(fs->rpc);
    seen_cache_free(&fs->seen);
    free(fs);
}

/* ---- peers ------------------------------------------------------------ */

int floodsub_add_peer(floodsub *fs, uint32_t handle, const peer_id *id) {
    assert(floodsub_find_peer(fs, handle) == NULL);
    if (fs->peer_count == FLOODSUB_PEERS_MAX) return -1;
    if (fs->peer_count == fs->peer_cap) {
        size_t cap = fs->peer_cap ? fs->peer_cap * 2 : 8;
        floodsub_peer *peers = realloc(fs->peers, cap * sizeof *peers);
        if (peers == NULL) return -1;
        fs->peers = peers;
        fs->peer_cap = cap;
    }
    floodsub_peer *peer = &fs->peers[fs->peer_count++];
    memset(peer, 0, sizeof *peer);
    peer->handle = handle;
    peer->id = *id;
    trace_event event = {.kind = TRACE_ADD_PEER, .peer = id->bytes, .peer_len = id->len,
                         .protocol = FLOODSUB_PROTOCOL};
    floodsub_trace(fs, &event);
    pubsub_subopts subs[FLOODSUB_TOPICS_MAX];
    for (size_t i = 0; i < fs->topic_count; i++)
        subs[i] = (pubsub_subopts){.subscribe = true, .topic = pubsub_text(fs->topics[i])};
    floodsub_send_subscriptions(fs, peer, subs, fs->topic_count);
    return 0;
}

void floodsub_remove_peer(floodsub *fs, uint32_t handle) {
    floodsub_peer *peer = floodsub_find_peer(fs, handle);
    if (peer == NULL) return;
    trace_event event = {.kind = TRACE_REMOVE_PEER, .peer = peer->id.bytes, .peer_len = peer->id.len};
    floodsub_trace(fs, &event);
    floodsub_peer_free(peer);
    *peer = fs->peers[--fs->peer_count]; /* order of peers carries no meaning */
}

static void floodsub_peer_subscription(floodsub_peer *peer, const pubsub_subopts *sub) {
    int index = pubsub_text_find(peer->topics, peer->topic_count, sub->topic);
    if (sub->subscribe && index < 0 && peer->topic_count < FLOODSUB_PEER_TOPICS_MAX) {
        char *topic = pubsub_text_copy(sub->topic);
        if (topic != NULL) peer->topics[peer->topic_count++] = topic;
    } else if (!sub->subscribe && index >= 0) {
        free(peer->topics[index]);
        peer->topics[index] = peer->topics[--peer->topic_count];
    }
}

/* ---- messages --------------------------------------------------------- */

/* Sends msg to every peer subscribed to its topic but the sender and origin. */
static void floodsub_forward(floodsub *fs, const pubsub_message *msg, uint32_t sender, bool has_sender) {
    if (has_sender && fs->host.relay != NULL && !fs->host.relay(fs->host.user)) return;
    size_t cap = msg->data.len + msg->topic.len + FLOODSUB_RPC_OVERHEAD;
    uint8_t *rpc = NULL;
    rpc_shape shape = {.payload_bytes = msg->data.len, .message_count = 1};
    for (size_t i = 0; i < fs->peer_count; i++) {
        const floodsub_peer *peer = &fs->peers[i];
        if (has_sender && peer->handle == sender) continue;
        if (msg->from.len == peer->id.len && memcmp(msg->from.data, peer->id.bytes, peer->id.len) == 0)
            continue;
        if (pubsub_text_find(peer->topics, peer->topic_count, msg->topic) < 0) continue;
        if (rpc == NULL) { /* encode once, lazily: most messages reach few peers */
            rpc = malloc(cap);
            if (rpc == NULL) return;
            shape.len = pubsub_rpc_encode(NULL, 0, msg, 1, rpc, cap);
            assert(shape.len > 0);
        }
        floodsub_send(fs, peer, rpc, shape);
    }
    free(rpc);
}

static void floodsub_deliver(floodsub *fs, const pubsub_message *msg, const floodsub_peer *from) {
    if (pubsub_text_find(fs->topics, fs->topic_count, msg->topic) < 0) return;
    floodsub_trace_message(fs, TRACE_DELIVER_MESSAGE, msg, from, NULL);
    if (fs->host.deliver != NULL) fs->host.deliver(fs->host.user, msg);
}

static void floodsub_receive_message(floodsub *fs, const floodsub_peer *from, const pubsub_message *msg) {
    uint8_t id[FLOODSUB_MSG_ID_MAX];
    size_t id_len = pubsub_message_id(msg, id, sizeof id);
    uint64_t now = fs->host.now_ns(fs->host.user);
    const char *reason = NULL;
    if (id_len == 0 || !msg->has_topic) {
        /* No from or seqno: an unsigned message, which StrictSign refuses. */
        if (pubsub_message_verify(msg, &reason) == 0) reason = "malformed message id or topic";
        floodsub_trace_message(fs, TRACE_REJECT_MESSAGE, msg, from, reason);
        return;
    }
    if (seen_cache_contains(&fs->seen, id, id_len, now)) {
        floodsub_trace_message(fs, TRACE_DUPLICATE_MESSAGE, msg, from, NULL);
        return;
    }
    /* Only valid messages enter the seen cache, so a forged copy cannot
     * censor the genuine message that carries the same id. */
    if (pubsub_message_verify(msg, &reason) != 0) {
        floodsub_trace_message(fs, TRACE_REJECT_MESSAGE, msg, from, reason);
        return;
    }
    seen_cache_add(&fs->seen, id, id_len, now);
    floodsub_deliver(fs, msg, from);
    floodsub_forward(fs, msg, from->handle, true);
}

int floodsub_handle_rpc(floodsub *fs, uint32_t handle, const uint8_t *bytes, size_t len) {
    floodsub_peer *peer = floodsub_find_peer(fs, handle);
    assert(peer != NULL);
    if (pubsub_rpc_decode(bytes, len, fs->rpc) != 0) {
        floodsub_trace_rpc(fs, TRACE_DROP_RPC, peer, (rpc_shape){.len = len}, "malformed rpc");
        return -1;
    }
    rpc_shape shape = {.len = len, .message_count = (uint32_t)fs->rpc->message_count};
    for (size_t i = 0; i < fs->rpc->message_count; i++) shape.payload_bytes += fs->rpc->messages[i].data.len;
    floodsub_trace_rpc(fs, TRACE_RECV_RPC, peer, shape, NULL);
    for (size_t i = 0; i < fs->rpc->sub_count; i++) floodsub_peer_subscription(peer, &fs->rpc->subs[i]);
    /* Forwarding may call host.send, which must not re-enter the router;
     * the peer table is stable while this loop runs. */
    for (size_t i = 0; i < fs->rpc->message_count; i++)
        floodsub_receive_message(fs, peer, &fs->rpc->messages[i]);
    return 0;
}

/* ---- local API -------------------------------------------------------- */

static void floodsub_announce(floodsub *fs, const char *topic, bool subscribe) {
    pubsub_subopts sub = {.subscribe = subscribe, .topic = pubsub_text(topic)};
    for (size_t i = 0; i < fs->peer_count; i++) floodsub_send_subscriptions(fs, &fs->peers[i], &sub, 1);
    trace_event event = {.kind = subscribe ? TRACE_JOIN : TRACE_LEAVE, .topic = topic};
    floodsub_trace(fs, &event);
}

bool floodsub_is_subscribed(const floodsub *fs, const char *topic) {
    return pubsub_text_find(fs->topics, fs->topic_count, pubsub_text(topic)) >= 0;
}

int floodsub_subscribe(floodsub *fs, const char *topic) {
    size_t len = strlen(topic);
    if (len == 0 || len > PUBSUB_TOPIC_MAX) return -1;
    if (floodsub_is_subscribed(fs, topic)) return 0;
    if (fs->topic_count == FLOODSUB_TOPICS_MAX) return -1;
    char *copy = pubsub_text_copy(pubsub_text(topic));
    if (copy == NULL) return -1;
    fs->topics[fs->topic_count++] = copy;
    floodsub_announce(fs, copy, true);
    return 0;
}

int floodsub_unsubscribe(floodsub *fs, const char *topic) {
    int index = pubsub_text_find(fs->topics, fs->topic_count, pubsub_text(topic));
    if (index < 0) return -1;
    floodsub_announce(fs, topic, false);
    free(fs->topics[index]);
    fs->topics[index] = fs->topics[--fs->topic_count];
    return 0;
}

int floodsub_publish(floodsub *fs, const char *topic, const uint8_t *data, size_t len) {
    size_t topic_len = strlen(topic);
    if (topic_len == 0 || topic_len > PUBSUB_TOPIC_MAX) return -1;
    if (len > PUBSUB_RPC_MAX_BYTES - topic_len - FLOODSUB_RPC_OVERHEAD) return -1;
    pubsub_outgoing out;
    if (pubsub_message_make(&out, fs->id, &fs->self, fs->seqno++, topic, data, len) != 0) return -1;
    const pubsub_message *msg = &out.msg;
    uint8_t id[FLOODSUB_MSG_ID_MAX];
    size_t id_len = pubsub_message_id(msg, id, sizeof id);
    seen_cache_add(&fs->seen, id, id_len, fs->host.now_ns(fs->host.user));
    floodsub_trace_message(fs, TRACE_PUBLISH_MESSAGE, msg, NULL, NULL);
    floodsub_deliver(fs, msg, NULL);
    floodsub_forward(fs, msg, 0, false);
    return 0;
}
