/* query: questions on a topic, answers on a topic or a stream. See query.h. */
#include "query.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "store/cid.h"

#define QUERY_TAG 'Q'
#define ANSWER_TAG 'R'

typedef struct pending {
    struct query *q;
    bool used;
    uint64_t id;
    int timer;
    query_answer_fn on_answer;
    query_done_fn on_done;
    void *user;
    uint32_t answers;
    peer_id answerers[QUERY_ANSWERS_MAX];
} pending;

struct query {
    node *n;
    char topic[QUERY_TOPIC_MAX + 1], result_topic[QUERY_TOPIC_MAX + 1];
    query_reply reply;
    query_respond_fn respond;
    void *respond_user;
    node_callbacks listener;
    uint64_t next_id;
    pending pending[QUERY_PENDING_MAX];
    query_stats stats;
};

/* ---- the two messages ---------------------------------------------------- */

typedef struct answer_view {
    uint8_t kind;
    uint64_t id;
    peer_id asker;
    const uint8_t *value;
    size_t value_len;
} answer_view;

static void put_u64(uint8_t *out, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) out[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *in) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | in[i];
    return v;
}

static size_t query_encode(uint8_t out[QUERY_MESSAGE_MAX], uint8_t kind, uint64_t id, const uint8_t *key,
                           size_t key_len) {
    assert(key_len <= QUERY_KEY_MAX);
    out[0] = QUERY_TAG;
    out[1] = kind;
    put_u64(out + 2, id);
    out[10] = (uint8_t)key_len;
    memcpy(out + 11, key, key_len);
    return 11 + key_len;
}

/* 0 with kind, id and the key in place; -1 when malformed. */
static int query_decode(const uint8_t *in, size_t len, uint8_t *kind, uint64_t *id, const uint8_t **key,
                        size_t *key_len) {
    if (len < 11 || in[0] != QUERY_TAG || (in[1] != QUERY_HAS_CID && in[1] != QUERY_KEY)) return -1;
    if (in[10] > QUERY_KEY_MAX || len != 11 + (size_t)in[10]) return -1;
    *kind = in[1];
    *id = get_u64(in + 2);
    *key = in + 11;
    *key_len = in[10];
    return 0;
}

static size_t answer_encode(uint8_t out[QUERY_MESSAGE_MAX], const answer_view *a) {
    assert(a->value_len <= QUERY_VALUE_MAX && a->asker.len <= 64);
    size_t at = 0;
    out[at++] = ANSWER_TAG;
    out[at++] = a->kind;
    put_u64(out + at, a->id);
    at += 8;
    out[at++] = (uint8_t)a->asker.len;
    memcpy(out + at, a->asker.bytes, a->asker.len);
    at += a->asker.len;
    out[at++] = (uint8_t)(a->value_len >> 8);
    out[at++] = (uint8_t)a->value_len;
    memcpy(out + at, a->value, a->value_len);
    return at + a->value_len;
}

static int answer_decode(const uint8_t *in, size_t len, answer_view *a) {
    if (len < 11 || in[0] != ANSWER_TAG) return -1;
    a->kind = in[1];
    a->id = get_u64(in + 2);
    size_t asker_len = in[10];
    if (len < 11 + asker_len + 2 || peer_id_from_bytes(in + 11, asker_len, &a->asker) != 0) return -1;
    size_t at = 11 + asker_len;
    a->value_len = ((size_t)in[at] << 8) | in[at + 1];
    a->value = in + at + 2;
    return a->value_len <= QUERY_VALUE_MAX && len == at + 2 + a->value_len ? 0 : -1;
}

/* ---- the asker ------------------------------------------------------------ */

static void pending_expire(void *user, node *n) {
    (void)n;
    pending *p = user;
    p->used = false;
    p->timer = -1;
    if (p->on_done != NULL) p->on_done(p->user, p->id, p->answers);
}

int query_ask(query *q, query_kind kind, const uint8_t *key, size_t key_len, uint64_t deadline_ns,
              query_answer_fn on_answer, query_done_fn on_done, void *user, uint64_t *id) {
    if (key_len > QUERY_KEY_MAX || (kind != QUERY_HAS_CID && kind != QUERY_KEY)) return -1;
    pending *p = NULL;
    for (size_t i = 0; i < QUERY_PENDING_MAX && p == NULL; i++)
        if (!q->pending[i].used) p = &q->pending[i];
    if (p == NULL) return -1;
    uint8_t msg[QUERY_MESSAGE_MAX];
    uint64_t qid = ++q->next_id;
    size_t len = query_encode(msg, (uint8_t)kind, qid, key, key_len);
    *p = (pending){.q = q, .id = qid, .on_answer = on_answer, .on_done = on_done, .user = user, .used = true};
    p->timer = node_timer_set(q->n, deadline_ns, pending_expire, p);
    if (p->timer < 0 || node_publish(q->n, q->topic, msg, len) != 0) {
        node_timer_cancel(q->n, p->timer);
        p->used = false;
        return -1;
    }
    q->stats.asked++;
    q->stats.bytes_sent += len;
    *id = qid;
    return 0;
}

/* An answer from answerer: kept when it is to a query of ours still
 * collecting, and the first from that peer. */
static void on_answer(query *q, const peer_id *answerer, const answer_view *a) {
    if (!peer_id_equal(&a->asker, node_id(q->n))) return; /* someone else's, on the result topic */
    pending *p = NULL;
    for (size_t i = 0; i < QUERY_PENDING_MAX && p == NULL; i++)
        if (q->pending[i].used && q->pending[i].id == a->id) p = &q->pending[i];
    bool seen = false;
    for (uint32_t i = 0; p != NULL && i < p->answers && !seen; i++) seen = peer_id_equal(&p->answerers[i], answerer);
    if (p == NULL || seen || p->answers == QUERY_ANSWERS_MAX) {
        q->stats.dropped++;
        return;
    }
    p->answerers[p->answers++] = *answerer;
    q->stats.answers++;
    if (p->on_answer != NULL) p->on_answer(p->user, p->id, answerer, a->value, a->value_len);
}

/* ---- the answerer --------------------------------------------------------- */

/* Whether we can answer, and with what. */
static bool can_answer(query *q, uint8_t kind, const uint8_t *key, size_t key_len, uint8_t *value, size_t *value_len) {
    *value_len = 0;
    if (kind == QUERY_KEY) return q->respond != NULL && q->respond(q->respond_user, key, key_len, value, value_len);
    cid c;
    return cid_decode(key, key_len, &c) == (int)key_len && node_block_has(q->n, &c) == 1; /* the whole key */
}

/* Straight to the asker on a stream when we have a connection to it: the
 * answer crosses one link; else on the result topic, which reaches it
 * through the mesh. */
static void send_answer(query *q, const peer_id *asker, const uint8_t *msg, size_t len) {
    node_stream_handle stream;
    if (q->reply == QUERY_REPLY_DIRECT && node_is_connected(q->n, asker) &&
        node_open_stream(q->n, asker, QUERY_PROTOCOL, &stream) == 0 && node_stream_send(q->n, stream, msg, len) == 0) {
        q->stats.answered_direct++; /* closed once the asker accepted the protocol (on_stream_open) */
    } else if (node_publish(q->n, q->result_topic, msg, len) != 0) {
        return;
    }
    q->stats.answered++;
    q->stats.bytes_sent += len;
}

static void on_query(query *q, const peer_id *asker, const uint8_t *data, size_t len) {
    answer_view a;
    const uint8_t *key;
    size_t key_len;
    if (asker == NULL || query_decode(data, len, &a.kind, &a.id, &key, &key_len) != 0) {
        q->stats.invalid++;
        return;
    }
    if (peer_id_equal(asker, node_id(q->n))) return; /* our own */
    uint8_t value[QUERY_VALUE_MAX], msg[QUERY_MESSAGE_MAX];
    if (!can_answer(q, a.kind, key, key_len, value, &a.value_len)) return;
    assert(a.value_len <= QUERY_VALUE_MAX);
    a.asker = *asker;
    a.value = value;
    send_answer(q, asker, msg, answer_encode(msg, &a));
}

static void on_message(void *user, const char *topic, const peer_id *from, const uint8_t *data, size_t len) {
    query *q = user;
    if (strcmp(topic, q->topic) == 0) {
        on_query(q, from, data, len);
    } else if (strcmp(topic, q->result_topic) == 0) {
        answer_view a;
        if (from == NULL || answer_decode(data, len, &a) != 0) {
            q->stats.invalid++;
            return;
        }
        on_answer(q, from, &a);
    }
}

/* ---- the stream protocol -------------------------------------------------- */

static void on_stream_open(void *user, node *n, node_stream_handle stream, const peer_id *peer, bool inbound) {
    (void)user, (void)peer;
    if (!inbound) node_stream_close(n, stream); /* the answer went out with the negotiation */
}

static void on_stream_message(void *user, node *n, node_stream_handle stream, const peer_id *peer,
                              const uint8_t *data, size_t len) {
    query *q = user;
    answer_view a;
    if (answer_decode(data, len, &a) != 0) {
        q->stats.invalid++;
        node_stream_close(n, stream);
        return;
    }
    on_answer(q, peer, &a);
    node_stream_close(n, stream); /* one answer per stream */
}

static const node_protocol_ops stream_ops = {.on_open = on_stream_open, .on_message = on_stream_message};

/* ---- lifecycle ------------------------------------------------------------ */

static int copy_topic(char *out, const char *topic) {
    size_t len = topic != NULL ? strlen(topic) : 0;
    if (len == 0 || len > QUERY_TOPIC_MAX) return -1;
    memcpy(out, topic, len + 1);
    return 0;
}

query *query_create(node *n, const query_config *config) {
    assert(n != NULL && config != NULL);
    query *q = calloc(1, sizeof *q);
    if (q == NULL) return NULL;
    q->n = n;
    q->reply = config->reply;
    q->respond = config->respond;
    q->respond_user = config->respond_user;
    q->listener = (node_callbacks){.user = q, .on_message = on_message};
    if (copy_topic(q->topic, config->topic) != 0 || copy_topic(q->result_topic, config->result_topic) != 0 ||
        strcmp(q->topic, q->result_topic) == 0 || node_register_protocol(n, QUERY_PROTOCOL, &stream_ops, q) != 0 ||
        node_subscribe(n, q->topic) != 0 || node_subscribe(n, q->result_topic) != 0 ||
        node_add_listener(n, &q->listener) != 0) {
        free(q);
        return NULL;
    }
    return q;
}

void query_destroy(query *q) { free(q); }

void query_get_stats(const query *q, query_stats *out) { *out = q->stats; }
