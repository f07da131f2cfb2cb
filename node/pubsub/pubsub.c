/* pubsub: the core every router shares. See pubsub.h. */
#include "pubsub.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define PUBSUB_ENTRY_OVERHEAD 16 /* tags and lengths of one subscription */
#define PUBSUB_VALIDATING_INITIAL 16 /* the validation queue's first allocation, doubled as needed */

/* A message waiting out its topic's validation delay: a copy (msg's views
 * point into bytes), its id, and who sent it (a handle: the peer may leave
 * meanwhile). */
typedef struct pending_message {
    uint64_t deadline_ns;
    uint64_t order; /* arrival, which breaks ties between equal deadlines */
    uint32_t from;
    pubsub_message msg;
    uint8_t *bytes;
    uint8_t id[PUBSUB_MSG_ID_MAX];
    size_t id_len;
} pending_message;

struct pubsub_core {
    pubsub_host host;
    const pubsub_router_ops *ops;
    void *router;
    pubsub_config config;
    const identity *id;
    peer_id self;
    uint64_t seqno;
    seen_cache seen;
    seqno_table *seqnos; /* the seqno validator's; NULL when it is off */
    unsigned char *peers; /* peer_count entries of ops->peer_size bytes */
    size_t peer_count, peer_cap;
    pubsub_topic *topics[PUBSUB_TOPICS_MAX];
    size_t topic_count;
    pubsub_rpc *rpc; /* scratch for decoding: too large for the stack */
    pending_message *pending; /* messages in validation, at most PUBSUB_VALIDATING_MAX */
    size_t pending_count, pending_cap;
    uint64_t pending_order; /* arrivals so far */
    uint64_t timer_ns;      /* the deadline the host's timer is armed for; 0: none */
};

/* ---- lifecycle -------------------------------------------------------- */

_Static_assert(PUBSUB_SEEN_MAX_BYTES_MIN == 10240, "pubsub_options_check's message names the bound");
_Static_assert(PUBSUB_SEQNO_ORIGINS_MAX_MAX == 1000000 && PUBSUB_SEQNO_ORIGINS_MAX_MAX <= FP_TABLE_CAPACITY_MAX,
               "pubsub_options_check's message names the bound, which a table can hold");

const char *pubsub_options_check(const pubsub_options *o) {
    assert(o != NULL);
    if (o->seen_max_bytes != 0 &&
        (o->seen_max_bytes < PUBSUB_SEEN_MAX_BYTES_MIN || o->seen_max_bytes > PUBSUB_SEEN_MAX_BYTES_MAX))
        return "seen_max_bytes: needs 10240 bytes (256 ids) to 640 MiB";
    if (o->seqno_origins_max > PUBSUB_SEQNO_ORIGINS_MAX_MAX) return "seqno_origins_max: needs at most 1000000";
    if ((unsigned)o->signature_policy >= PUBSUB_SIGNATURE_POLICY_COUNT) return "signature_policy: unknown policy";
    if (o->seqno_validator && o->signature_policy == PUBSUB_STRICT_NO_SIGN)
        return "seqno_validator: needs seqnos, which strict-no-sign messages do not carry";
    if (o->validation_delay_ns > PUBSUB_VALIDATION_DELAY_MAX_NS) return "validation_delay: needs at most 60s";
    if (o->topic_delay_count > PUBSUB_TOPIC_DELAYS_MAX) return "validation_delays: at most 8 topics";
    for (size_t i = 0; i < o->topic_delay_count; i++)
        if (o->topic_delays[i].delay_ns > PUBSUB_VALIDATION_DELAY_MAX_NS) return "validation_delays: needs at most 60s";
    return NULL;
}
_Static_assert(PUBSUB_VALIDATION_DELAY_MAX_NS == 60000000000ull && PUBSUB_TOPIC_DELAYS_MAX == 8,
               "pubsub_options_check's messages name the bounds");

const char *pubsub_message_id_check(pubsub_message_id_kind kind, pubsub_signature_policy policy) {
    if ((unsigned)kind >= PUBSUB_MESSAGE_ID_KIND_COUNT) return "message_id: unknown kind";
    if (policy == PUBSUB_STRICT_NO_SIGN && pubsub_message_id_needs_author(kind))
        return kind == PUBSUB_MESSAGE_ID_FROM_SEQNO
                   ? "message_id from-seqno needs from and seqno, which strict-no-sign messages do not carry "
                     "(use sha256 or first-8-bytes)"
                   : "message_id key-seqno needs a key and seqno, which strict-no-sign messages do not carry "
                     "(use sha256 or first-8-bytes)";
    return NULL;
}

uint64_t pubsub_options_validation_delay(const pubsub_options *o, pubsub_bytes topic) {
    for (size_t i = 0; i < o->topic_delay_count; i++)
        if (pubsub_text_equals(o->topic_delays[i].topic, topic)) return o->topic_delays[i].delay_ns;
    return o->validation_delay_ns;
}

/* The seen cache and, when asked for, the seqno validator's table; both
 * keyed by seen_key (their fingerprints never meet). 0 or -1. */
static int core_tables_init(pubsub_core *ps, const pubsub_options *o, const uint8_t seen_key[SEEN_CACHE_KEY_BYTES]) {
    size_t seen_ids = fp_table_capacity_for(o->seen_max_bytes != 0 ? o->seen_max_bytes : PUBSUB_SEEN_MAX_BYTES);
    assert(seen_ids >= FP_TABLE_INITIAL);
    if (seen_cache_init(&ps->seen, seen_ids, ps->config.seen_ttl_ns, seen_key) != 0) return -1;
    if (!o->seqno_validator) return 0;
    ps->seqnos = malloc(sizeof *ps->seqnos);
    size_t origins = o->seqno_origins_max != 0 ? o->seqno_origins_max : PUBSUB_SEQNO_ORIGINS_MAX;
    if (ps->seqnos != NULL && seqno_table_init(ps->seqnos, origins, seen_key) == 0) return 0;
    free(ps->seqnos);
    ps->seqnos = NULL;
    seen_cache_free(&ps->seen);
    return -1;
}

pubsub_core *pubsub_create(const pubsub_host *host, const pubsub_router_ops *ops, void *router,
                      const pubsub_config *config, const identity *id, uint64_t seqno_start,
                      const uint8_t seen_key[SEEN_CACHE_KEY_BYTES]) {
    assert(host != NULL && host->send != NULL && host->now_ns != NULL);
    assert(ops != NULL && ops->protocols != NULL && ops->forward != NULL);
    assert(ops->peer_size >= sizeof(pubsub_peer) && ops->peer_size % _Alignof(pubsub_peer) == 0);
    assert(ops->topic_size >= sizeof(pubsub_topic));
    assert(config != NULL && config->topics_max <= PUBSUB_TOPICS_MAX && id != NULL);
    assert(pubsub_options_check(&config->options) == NULL);
    assert(pubsub_message_id_check(config->message_id, config->options.signature_policy) == NULL);
    pubsub_core *ps = calloc(1, sizeof *ps);
    if (ps == NULL) return NULL;
    ps->config = *config;
    ps->rpc = malloc(sizeof *ps->rpc);
    if (ps->rpc == NULL || core_tables_init(ps, &config->options, seen_key) != 0) {
        free(ps->rpc);
        free(ps);
        return NULL;
    }
    ps->host = *host;
    ps->ops = ops;
    ps->router = router;
    ps->id = id;
    ps->seqno = seqno_start;
    peer_id_from_public_key(id->public_key, &ps->self);
    return ps;
}

static void peer_topics_free(pubsub_peer *peer) {
    for (size_t i = 0; i < peer->topic_count; i++) free(peer->topics[i]);
    peer->topic_count = 0;
}

static void topic_free(pubsub_topic *t) {
    free(t->name);
    free(t);
}

void pubsub_destroy(pubsub_core *ps) {
    if (ps == NULL) return;
    if (ps->ops->destroy != NULL) ps->ops->destroy(ps->router);
    for (size_t i = 0; i < ps->peer_count; i++) peer_topics_free(pubsub_peer_at(ps, i));
    for (size_t i = 0; i < ps->topic_count; i++) topic_free(ps->topics[i]);
    free(ps->peers);
    free(ps->rpc);
    for (size_t i = 0; i < ps->pending_count; i++) free(ps->pending[i].bytes);
    free(ps->pending);
    seen_cache_free(&ps->seen);
    if (ps->seqnos != NULL) seqno_table_free(ps->seqnos);
    free(ps->seqnos);
    free(ps);
}

size_t pubsub_protocols(const pubsub_core *ps, const char *out[PUBSUB_ROUTER_PROTOCOLS_MAX]) {
    size_t count = ps->ops->protocols(ps->router, out);
    assert(count >= 1 && count <= PUBSUB_ROUTER_PROTOCOLS_MAX);
    return count;
}

bool pubsub_adds_peers_on_negotiation(const pubsub_core *ps) { return ps->ops->adds_peers_on_negotiation; }

uint64_t pubsub_heartbeat_ns(const pubsub_core *ps) { return ps->config.heartbeat_ns; }

void pubsub_heartbeat(pubsub_core *ps, uint64_t now_ns) {
    if (ps->ops->heartbeat != NULL) ps->ops->heartbeat(ps->router, now_ns);
}

/* ---- for routers ------------------------------------------------------ */

uint64_t pubsub_now(const pubsub_core *ps) { return ps->host.now_ns(ps->host.user); }

bool pubsub_relaying(const pubsub_core *ps) { return ps->host.relay == NULL || ps->host.relay(ps->host.user); }

size_t pubsub_peer_count(const pubsub_core *ps) { return ps->peer_count; }

pubsub_peer *pubsub_peer_at(const pubsub_core *ps, size_t index) {
    assert(index < ps->peer_count || (index == ps->peer_count && index < ps->peer_cap));
    return (pubsub_peer *)(void *)(ps->peers + index * ps->ops->peer_size);
}

pubsub_peer *pubsub_peer_find(const pubsub_core *ps, uint32_t handle) {
    for (size_t i = 0; i < ps->peer_count; i++) {
        pubsub_peer *peer = pubsub_peer_at(ps, i);
        if (peer->handle == handle) return peer;
    }
    return NULL;
}

bool pubsub_peer_subscribed(const pubsub_peer *peer, pubsub_bytes topic) {
    return pubsub_text_find(peer->topics, peer->topic_count, topic) >= 0;
}

bool pubsub_peer_is_origin(const pubsub_peer *peer, const pubsub_message *msg) {
    return msg->from.len == peer->id.len && memcmp(msg->from.data, peer->id.bytes, peer->id.len) == 0;
}

size_t pubsub_topic_count(const pubsub_core *ps) { return ps->topic_count; }

pubsub_topic *pubsub_topic_at(const pubsub_core *ps, size_t index) {
    assert(index < ps->topic_count);
    return ps->topics[index];
}

pubsub_topic *pubsub_topic_find(const pubsub_core *ps, pubsub_bytes name) {
    for (size_t i = 0; i < ps->topic_count; i++)
        if (pubsub_text_equals(ps->topics[i]->name, name)) return ps->topics[i];
    return NULL;
}

pubsub_topic *pubsub_topic_get(pubsub_core *ps, pubsub_bytes name) {
    pubsub_topic *t = pubsub_topic_find(ps, name);
    if (t != NULL || ps->topic_count == ps->config.topics_max) return t;
    assert(name.len > 0 && name.len <= PUBSUB_TOPIC_MAX);
    t = calloc(1, ps->ops->topic_size);
    if (t == NULL) return NULL;
    t->name = pubsub_text_copy(name);
    if (t->name == NULL) {
        free(t);
        return NULL;
    }
    ps->topics[ps->topic_count++] = t;
    return t;
}

static void topic_release_at(pubsub_core *ps, size_t index) {
    topic_free(ps->topics[index]);
    ps->topics[index] = ps->topics[--ps->topic_count]; /* order of topics carries no meaning */
}

void pubsub_topics_release(pubsub_core *ps) {
    assert(ps->ops->topic_busy != NULL);
    for (size_t i = 0; i < ps->topic_count;) {
        if (ps->topics[i]->subscribed || ps->ops->topic_busy(ps->router, ps->topics[i]))
            i++;
        else
            topic_release_at(ps, i);
    }
}

bool pubsub_seen_contains(pubsub_core *ps, const uint8_t *id, size_t len, uint64_t now_ns) {
    return seen_cache_contains(&ps->seen, id, len, now_ns);
}

void pubsub_seen_expire(pubsub_core *ps, uint64_t now_ns) { seen_cache_expire(&ps->seen, now_ns); }

/* ---- traces and sending ----------------------------------------------- */

void pubsub_trace(pubsub_core *ps, trace_event *event) {
    if (ps->host.trace != NULL) ps->host.trace(ps->host.user, event);
}

void pubsub_trace_rpc(pubsub_core *ps, trace_kind kind, const pubsub_peer *peer, pubsub_rpc_shape shape,
                      const char *reason) {
    assert(peer != NULL);
    trace_event event = {.kind = kind, .size_bytes = shape.len, .payload_bytes = shape.payload_bytes,
                         .message_count = shape.message_count, .reason = reason,
                         .peer = peer->id.bytes, .peer_len = peer->id.len, .control_bytes = shape.control_bytes,
                         .ihave_ids = shape.ihave_ids, .iwant_ids = shape.iwant_ids,
                         .idontwant_ids = shape.idontwant_ids, .grafts = shape.grafts, .prunes = shape.prunes};
    pubsub_trace(ps, &event);
}

void pubsub_send(pubsub_core *ps, const pubsub_peer *peer, const uint8_t *rpc, pubsub_rpc_shape shape) {
    assert(shape.len > 0);
    if (ps->host.send(ps->host.user, peer->handle, rpc, shape.len) == 0)
        pubsub_trace_rpc(ps, TRACE_SEND_RPC, peer, shape, NULL);
    else
        pubsub_trace_rpc(ps, TRACE_DROP_RPC, peer, shape, "send queue full");
}

/* The message's topic as a C string, as traces name topics; a topic
 * longer than PUBSUB_TOPIC_MAX, which the decoder refuses, would be cut. */
static void topic_text(const pubsub_message *msg, char out[PUBSUB_TOPIC_MAX + 1]) {
    size_t len = msg->topic.len < PUBSUB_TOPIC_MAX ? msg->topic.len : PUBSUB_TOPIC_MAX;
    if (len > 0) memcpy(out, msg->topic.data, len);
    out[len] = '\0';
}

static void trace_message(pubsub_core *ps, trace_kind kind, const pubsub_message *msg, const pubsub_peer *from,
                          const char *reason) {
    uint8_t id[PUBSUB_MSG_ID_MAX];
    char topic[PUBSUB_TOPIC_MAX + 1];
    topic_text(msg, topic);
    trace_event event = {.kind = kind, .topic = topic, .size_bytes = msg->data.len, .reason = reason};
    event.msg_id = id;
    event.msg_id_len = pubsub_message_id_of(msg, ps->config.message_id, id, sizeof id);
    if (from != NULL) {
        event.peer = from->id.bytes;
        event.peer_len = from->id.len;
    }
    pubsub_trace(ps, &event);
}

static void send_subscriptions(pubsub_core *ps, const pubsub_peer *peer, const pubsub_subopts *subs, size_t count) {
    if (count == 0) return;
    size_t cap = count * (PUBSUB_TOPIC_MAX + PUBSUB_ENTRY_OVERHEAD);
    uint8_t *rpc = malloc(cap);
    if (rpc == NULL) return;
    size_t len = pubsub_rpc_encode(subs, count, NULL, 0, rpc, cap);
    assert(len > 0);
    pubsub_send(ps, peer, rpc, (pubsub_rpc_shape){.len = len});
    free(rpc);
}

/* ---- peers ------------------------------------------------------------ */

static int peers_reserve(pubsub_core *ps) {
    if (ps->peer_count < ps->peer_cap) return 0;
    size_t cap = ps->peer_cap ? ps->peer_cap * 2 : 8;
    unsigned char *peers = realloc(ps->peers, cap * ps->ops->peer_size);
    if (peers == NULL) return -1;
    ps->peers = peers;
    ps->peer_cap = cap;
    return 0;
}

int pubsub_add_peer(pubsub_core *ps, uint32_t handle, const peer_id *id, const char *protocol, bool outbound,
                    uint32_t ip4) {
    assert(pubsub_peer_find(ps, handle) == NULL);
    assert(id != NULL && protocol != NULL);
    if (ps->peer_count == PUBSUB_PEERS_MAX || peers_reserve(ps) != 0) return -1;
    pubsub_peer *peer = pubsub_peer_at(ps, ps->peer_count);
    memset(peer, 0, ps->ops->peer_size);
    peer->handle = handle;
    peer->id = *id;
    if (ps->ops->add_peer != NULL && ps->ops->add_peer(ps->router, peer, protocol, outbound, ip4) != 0) return -1;
    ps->peer_count++;
    trace_event event = {.kind = TRACE_ADD_PEER, .peer = id->bytes, .peer_len = id->len, .protocol = protocol};
    pubsub_trace(ps, &event);
    pubsub_greet(ps, handle);
    return 0;
}

void pubsub_greet(pubsub_core *ps, uint32_t handle) {
    const pubsub_peer *peer = pubsub_peer_find(ps, handle);
    assert(peer != NULL && "only a peer the router knows is greeted");
    pubsub_subopts subs[PUBSUB_TOPICS_MAX];
    size_t count = 0;
    for (size_t i = 0; i < ps->topic_count; i++)
        if (ps->topics[i]->subscribed)
            subs[count++] = (pubsub_subopts){.subscribe = true, .topic = pubsub_text(ps->topics[i]->name)};
    send_subscriptions(ps, peer, subs, count);
}

void pubsub_remove_peer(pubsub_core *ps, uint32_t handle) { pubsub_remove_peer_because(ps, handle, NULL); }

void pubsub_remove_peer_because(pubsub_core *ps, uint32_t handle, const char *reason) {
    pubsub_peer *peer = pubsub_peer_find(ps, handle);
    if (peer == NULL) return;
    if (ps->ops->remove_peer != NULL) ps->ops->remove_peer(ps->router, peer);
    trace_event event = {.kind = TRACE_REMOVE_PEER, .peer = peer->id.bytes, .peer_len = peer->id.len,
                         .reason = reason};
    pubsub_trace(ps, &event);
    peer_topics_free(peer);
    pubsub_peer *last = pubsub_peer_at(ps, --ps->peer_count);
    if (last != peer) memcpy(peer, last, ps->ops->peer_size); /* order of peers carries no meaning */
}

bool pubsub_peer_protected(const pubsub_core *ps, uint32_t handle) {
    const pubsub_peer *peer = pubsub_peer_find(ps, handle);
    return peer != NULL && ps->ops->peer_protected != NULL && ps->ops->peer_protected(ps->router, peer);
}

double pubsub_peer_score(const pubsub_core *ps, uint32_t handle) {
    const pubsub_peer *peer = pubsub_peer_find(ps, handle);
    return peer != NULL && ps->ops->peer_score != NULL ? ps->ops->peer_score(ps->router, peer) : 0.0;
}

/* A peer's SUBSCRIBE or UNSUBSCRIBE. */
static void peer_subscription(pubsub_core *ps, pubsub_peer *peer, const pubsub_subopts *sub) {
    int index = pubsub_text_find(peer->topics, peer->topic_count, sub->topic);
    if (sub->subscribe && index < 0 && peer->topic_count < PUBSUB_PEER_TOPICS_MAX) {
        char *topic = pubsub_text_copy(sub->topic);
        if (topic != NULL) peer->topics[peer->topic_count++] = topic;
    } else if (!sub->subscribe && index >= 0) {
        free(peer->topics[index]);
        peer->topics[index] = peer->topics[--peer->topic_count];
        if (ps->ops->peer_left_topic != NULL) ps->ops->peer_left_topic(ps->router, peer, sub->topic);
    }
}

/* ---- messages --------------------------------------------------------- */

static void deliver(pubsub_core *ps, const pubsub_message *msg, const pubsub_peer *from) {
    const pubsub_topic *t = pubsub_topic_find(ps, msg->topic);
    if (t == NULL || !t->subscribed) return;
    trace_message(ps, TRACE_DELIVER_MESSAGE, msg, from, NULL);
    if (ps->host.deliver != NULL) ps->host.deliver(ps->host.user, msg);
}

static void refuse(pubsub_core *ps, const pubsub_peer *from, const pubsub_message *msg, pubsub_validation verdict,
                   const char *reason) {
    trace_message(ps, TRACE_REJECT_MESSAGE, msg, from, reason);
    if (from != NULL && ps->ops->refused != NULL) ps->ops->refused(ps->router, from, msg, verdict);
}

/* The 64-bit seqno of a message StrictSign verified (8 bytes, big-endian). */
static uint64_t message_seqno(const pubsub_message *msg) {
    assert(msg->has_seqno && msg->seqno.len == PUBSUB_SEQNO_BYTES);
    uint64_t seqno = 0;
    for (size_t i = 0; i < PUBSUB_SEQNO_BYTES; i++) seqno = (seqno << 8) | msg->seqno.data[i];
    return seqno;
}

/* The seqno validator's verdict, before the host's: a message at or below
 * the highest seqno accepted from its origin is a replay (or was overtaken
 * by a later one), ignored without penalty as BasicSeqnoValidator does. */
static bool seqno_replayed(const pubsub_core *ps, const pubsub_message *msg) {
    return ps->seqnos != NULL && !seqno_table_is_new(ps->seqnos, msg->from.data, msg->from.len, message_seqno(msg));
}

/* An accepted message raises its origin's highest seqno. Out of memory,
 * the origin goes unrecorded: the seen cache still guards its window. */
static void seqno_record(pubsub_core *ps, const pubsub_message *msg) {
    if (ps->seqnos != NULL) (void)seqno_table_accept(ps->seqnos, msg->from.data, msg->from.len, message_seqno(msg));
}

/* Whether msg keeps the signature policy: StrictSign verifies it (costly:
 * after the seen cache, as go-libp2p-pubsub does); StrictNoSign only looks
 * for the fields it forbids. 0, or -1 with *reason. */
static int policy_verify(const pubsub_core *ps, const pubsub_message *msg, const char **reason) {
    if (ps->config.options.signature_policy == PUBSUB_STRICT_NO_SIGN) return pubsub_message_verify_unsigned(msg, reason);
    return pubsub_message_verify_with(msg, reason, ps->host.verify, ps->host.user);
}

/* The end of validation: the seqno validator, the host's verdict, then
 * delivery and the router. A sender that left during a validation delay
 * (from NULL) still gets its message delivered, but the router is not
 * told: it knows no such peer any more. */
static void validate_and_route(pubsub_core *ps, const pubsub_peer *from, const pubsub_message *msg, const uint8_t *id,
                               size_t id_len, uint64_t now) {
    if (seqno_replayed(ps, msg)) {
        refuse(ps, from, msg, PUBSUB_IGNORE, "seqno not above the origin's last");
        return;
    }
    pubsub_validation verdict = ps->host.validate != NULL ? ps->host.validate(ps->host.user, msg) : PUBSUB_ACCEPT;
    if (verdict == PUBSUB_REJECT) {
        refuse(ps, from, msg, PUBSUB_REJECT, "rejected by the validator");
    } else if (verdict == PUBSUB_IGNORE) {
        refuse(ps, from, msg, PUBSUB_IGNORE, "ignored by the validator");
    } else {
        seqno_record(ps, msg);
        if (from != NULL && ps->ops->accepted != NULL) ps->ops->accepted(ps->router, from, msg, id, id_len, now);
        deliver(ps, msg, from);
        if (from != NULL) ps->ops->forward(ps->router, from, msg, id, id_len, now);
    }
}

/* A heap copy of msg's fields, with msg's views pointed into it; NULL when
 * memory runs out. */
static uint8_t *message_clone(const pubsub_message *msg, pubsub_message *copy) {
    pubsub_bytes *fields[] = {&copy->from, &copy->data, &copy->seqno, &copy->topic, &copy->signature, &copy->key};
    *copy = *msg;
    size_t total = 1; /* never malloc(0) */
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) total += fields[i]->len;
    uint8_t *bytes = malloc(total), *at = bytes;
    if (bytes == NULL) return NULL;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i]->len > 0) memcpy(at, fields[i]->data, fields[i]->len);
        fields[i]->data = at;
        at += fields[i]->len;
    }
    return bytes;
}

/* Arms the host's timer for deadline unless it fires sooner already. */
static void timer_arm(pubsub_core *ps, uint64_t deadline_ns) {
    if (ps->timer_ns != 0 && ps->timer_ns <= deadline_ns) return;
    assert(ps->host.timer_set != NULL && "a validation delay needs the host's timer");
    ps->timer_ns = deadline_ns;
    ps->host.timer_set(ps->host.user, deadline_ns);
}

/* Puts msg into validation until now + delay. 0, or -1 when the queue is
 * full or memory runs out. */
static int validation_start(pubsub_core *ps, const pubsub_peer *from, const pubsub_message *msg, const uint8_t *id,
                            size_t id_len, uint64_t now, uint64_t delay_ns) {
    if (ps->pending_count == PUBSUB_VALIDATING_MAX) return -1;
    if (ps->pending_count == ps->pending_cap) {
        size_t cap = ps->pending_cap != 0 ? ps->pending_cap * 2 : PUBSUB_VALIDATING_INITIAL;
        if (cap > PUBSUB_VALIDATING_MAX) cap = PUBSUB_VALIDATING_MAX;
        pending_message *grown = realloc(ps->pending, cap * sizeof *grown);
        if (grown == NULL) return -1;
        ps->pending = grown;
        ps->pending_cap = cap;
    }
    pending_message *p = &ps->pending[ps->pending_count];
    p->bytes = message_clone(msg, &p->msg);
    if (p->bytes == NULL) return -1;
    assert(id_len <= sizeof p->id);
    memcpy(p->id, id, id_len);
    p->id_len = id_len;
    p->deadline_ns = now + delay_ns;
    p->order = ps->pending_order++;
    p->from = from->handle;
    ps->pending_count++;
    timer_arm(ps, p->deadline_ns);
    return 0;
}

/* The index of the pending message due first (deadline, then arrival). */
static size_t pending_first(const pubsub_core *ps) {
    assert(ps->pending_count > 0);
    size_t first = 0;
    for (size_t i = 1; i < ps->pending_count; i++) {
        const pending_message *a = &ps->pending[i], *b = &ps->pending[first];
        if (a->deadline_ns < b->deadline_ns || (a->deadline_ns == b->deadline_ns && a->order < b->order)) first = i;
    }
    return first;
}

void pubsub_validation_due(pubsub_core *ps, uint64_t now_ns) {
    ps->timer_ns = 0;
    while (ps->pending_count > 0) {
        size_t i = pending_first(ps);
        if (ps->pending[i].deadline_ns > now_ns) {
            timer_arm(ps, ps->pending[i].deadline_ns);
            return;
        }
        pending_message due = ps->pending[i];
        ps->pending[i] = ps->pending[--ps->pending_count]; /* order in the array carries no meaning */
        const pubsub_peer *from = pubsub_peer_find(ps, due.from);
        validate_and_route(ps, from, &due.msg, due.id, due.id_len, now_ns);
        free(due.bytes);
    }
}

size_t pubsub_validating_count(const pubsub_core *ps) { return ps->pending_count; }

static void receive_message(pubsub_core *ps, const pubsub_peer *from, const pubsub_message *msg) {
    uint8_t id[PUBSUB_MSG_ID_MAX];
    size_t id_len = pubsub_message_id_of(msg, ps->config.message_id, id, sizeof id);
    uint64_t now = pubsub_now(ps);
    const char *reason = NULL;
    bool no_sign = ps->config.options.signature_policy == PUBSUB_STRICT_NO_SIGN;
    /* StrictNoSign's check is cheap and comes first, as go-libp2p-pubsub's
     * checkSigningPolicy: a message with a signature is refused, never a
     * duplicate. */
    if (no_sign && pubsub_message_verify_unsigned(msg, &reason) != 0) {
        refuse(ps, from, msg, PUBSUB_REJECT, reason);
        return;
    }
    if (id_len == 0 || !msg->has_topic || msg->topic.len == 0) {
        /* No from or seqno: an unsigned message, which StrictSign refuses. */
        if (policy_verify(ps, msg, &reason) == 0) reason = "malformed message id or topic";
        refuse(ps, from, msg, PUBSUB_REJECT, reason);
        return;
    }
    if (seen_cache_contains(&ps->seen, id, id_len, now)) {
        trace_message(ps, TRACE_DUPLICATE_MESSAGE, msg, from, NULL);
        if (ps->ops->duplicate != NULL) ps->ops->duplicate(ps->router, from, msg, id, id_len, now);
        return;
    }
    /* Only validly signed messages enter the seen cache, so that a forged
     * copy cannot censor the genuine message with the same id. */
    if (!no_sign && pubsub_message_verify_with(msg, &reason, ps->host.verify, ps->host.user) != 0) {
        refuse(ps, from, msg, PUBSUB_REJECT, reason);
        return;
    }
    /* A message whose id cannot be kept for its whole seen_ttl could come
     * back and be delivered twice: it is ignored rather than an older id
     * forgotten. The id is taken as validation starts, so copies that
     * arrive during a validation delay are duplicates. */
    if (seen_cache_add(&ps->seen, id, id_len, now) != 0) {
        refuse(ps, from, msg, PUBSUB_IGNORE, "seen cache full");
        return;
    }
    uint64_t delay = pubsub_options_validation_delay(&ps->config.options, msg->topic);
    if (delay == 0) {
        validate_and_route(ps, from, msg, id, id_len, now);
    } else if (validation_start(ps, from, msg, id, id_len, now, delay) != 0) {
        refuse(ps, from, msg, PUBSUB_IGNORE, "validation queue full");
    }
}

/* The shape of a received RPC, for its recv_rpc trace. */
static pubsub_rpc_shape received_shape(const pubsub_rpc *rpc, size_t len) {
    pubsub_rpc_shape shape = {.len = len, .message_count = (uint32_t)rpc->message_count};
    for (size_t i = 0; i < rpc->message_count; i++) shape.payload_bytes += rpc->messages[i].data.len;
    return shape;
}

int pubsub_handle_rpc(pubsub_core *ps, uint32_t handle, const uint8_t *bytes, size_t len) {
    pubsub_peer *peer = pubsub_peer_find(ps, handle);
    assert(peer != NULL);
    uint64_t now = pubsub_now(ps);
    pubsub_rpc *rpc = ps->rpc;
    const char *malformed = NULL;
    pubsub_rpc_shape shape = {.len = len};
    if (pubsub_rpc_decode(bytes, len, rpc) != 0) {
        malformed = "malformed rpc";
    } else {
        shape = received_shape(rpc, len);
        if (rpc->has_control && ps->ops->read_control != NULL && ps->ops->read_control(ps->router, rpc, &shape) != 0)
            malformed = "malformed control";
    }
    if (malformed != NULL) {
        pubsub_trace_rpc(ps, TRACE_DROP_RPC, peer, (pubsub_rpc_shape){.len = len}, malformed);
        return -1;
    }
    const char *refusal = ps->ops->accept_from != NULL ? ps->ops->accept_from(ps->router, peer, now) : NULL;
    if (refusal != NULL) {
        pubsub_trace_rpc(ps, TRACE_DROP_RPC, peer, shape, refusal);
        return 0;
    }
    pubsub_trace_rpc(ps, TRACE_RECV_RPC, peer, shape, NULL);
    for (size_t i = 0; i < rpc->sub_count; i++) peer_subscription(ps, peer, &rpc->subs[i]);
    /* host.send must not re-enter the router: the tables stay put while
     * these loops run. */
    for (size_t i = 0; i < rpc->message_count; i++) receive_message(ps, peer, &rpc->messages[i]);
    if (rpc->has_control && ps->ops->handle_control != NULL) ps->ops->handle_control(ps->router, peer, now);
    return 0;
}

/* ---- local API -------------------------------------------------------- */

static void announce(pubsub_core *ps, const char *topic, bool subscribe) {
    pubsub_subopts sub = {.subscribe = subscribe, .topic = pubsub_text(topic)};
    for (size_t i = 0; i < ps->peer_count; i++) send_subscriptions(ps, pubsub_peer_at(ps, i), &sub, 1);
    trace_event event = {.kind = subscribe ? TRACE_JOIN : TRACE_LEAVE, .topic = topic};
    pubsub_trace(ps, &event);
}

bool pubsub_is_subscribed(const pubsub_core *ps, const char *topic) {
    const pubsub_topic *t = pubsub_topic_find(ps, pubsub_text(topic));
    return t != NULL && t->subscribed;
}

int pubsub_subscribe(pubsub_core *ps, const char *topic) {
    size_t len = strlen(topic);
    if (len == 0 || len > PUBSUB_TOPIC_MAX) return -1;
    pubsub_topic *t = pubsub_topic_get(ps, pubsub_text(topic));
    if (t == NULL) return -1;
    if (t->subscribed) return 0;
    t->subscribed = true;
    announce(ps, t->name, true);
    if (ps->ops->join != NULL) ps->ops->join(ps->router, t, pubsub_now(ps));
    return 0;
}

int pubsub_unsubscribe(pubsub_core *ps, const char *topic) {
    pubsub_topic *t = pubsub_topic_find(ps, pubsub_text(topic));
    if (t == NULL || !t->subscribed) return -1;
    announce(ps, t->name, false);
    if (ps->ops->leave != NULL) ps->ops->leave(ps->router, t, pubsub_now(ps));
    t->subscribed = false;
    if (ps->ops->topic_busy != NULL) return 0; /* the router releases it */
    for (size_t i = 0; i < ps->topic_count; i++)
        if (ps->topics[i] == t) topic_release_at(ps, i);
    return 0;
}

int pubsub_publish(pubsub_core *ps, const char *topic, const uint8_t *data, size_t len) {
    size_t topic_len = strlen(topic);
    if (topic_len == 0 || topic_len > PUBSUB_TOPIC_MAX) return -1;
    if (len > PUBSUB_RPC_MAX_BYTES - topic_len - PUBSUB_RPC_OVERHEAD) return -1;
    pubsub_outgoing out;
    if (ps->config.options.signature_policy == PUBSUB_STRICT_NO_SIGN)
        pubsub_message_make_unsigned(&out, topic, data, len);
    else if (pubsub_message_make(&out, ps->id, &ps->self, ps->seqno++, topic, data, len) != 0)
        return -1;
    const pubsub_message *msg = &out.msg;
    uint8_t id[PUBSUB_MSG_ID_MAX];
    size_t id_len = pubsub_message_id_of(msg, ps->config.message_id, id, sizeof id);
    if (id_len == 0) return -1; /* first-8-bytes of shorter data: nothing names it */
    uint64_t now = pubsub_now(ps);
    if (seen_cache_add(&ps->seen, id, id_len, now) != 0) return -1; /* full: its copies could not be told apart */
    seqno_record(ps, msg); /* so that replays of our own messages are ignored too */
    trace_message(ps, TRACE_PUBLISH_MESSAGE, msg, NULL, NULL);
    deliver(ps, msg, NULL);
    ps->ops->forward(ps->router, NULL, msg, id, id_len, now);
    return 0;
}
