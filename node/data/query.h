/*
 * query: ask the swarm a question, collect the answers until a deadline
 * (issue 18; docs/data.md "The swarm's data: announce and query").
 *
 * The asker publishes a query on the query topic; every node that can
 * answer replies, and the asker keeps the answers that come before its
 * deadline, one per answerer. A reply goes on the result topic
 * (QUERY_REPLY_TOPIC), or straight to the asker (QUERY_REPLY_DIRECT) on
 * a stream of QUERY_PROTOCOL when a connection to it is open, and on the
 * result topic when none is (docs/data.md says why DIRECT is the default
 * and what each costs).
 *
 * Questions: QUERY_HAS_CID (key: a binary CID; a node answers when
 * node_block_has says yes, with an empty value) and QUERY_KEY (key: any
 * bytes; answered by the application's respond function, with up to
 * QUERY_VALUE_MAX bytes).
 *
 * Wire (both fixed layouts, big-endian, no varints):
 *   query   'Q' | kind (1) | id (8) | key_len (1) | key
 *   answer  'R' | kind (1) | id (8) | asker_len (1) | asker peer id | value_len (2) | value
 * The asker of a query is the pubsub message's author (signed); the
 * answerer of an answer is its author, or the stream's peer (Noise). An
 * answer to someone else, to an id we did not ask or after the deadline
 * is dropped; a malformed message is counted and dropped, and a stream that
 * sends one is closed.
 *
 * Lifetime: as announce.h: create after the node, destroy after it.
 */
#ifndef SWARMLAB_QUERY_H
#define SWARMLAB_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/node.h"

#define QUERY_PROTOCOL "/swarmlab/query-result/1.0.0"
#define QUERY_TOPIC_MAX 64
#define QUERY_KEY_MAX 64
#define QUERY_VALUE_MAX 512
#define QUERY_PENDING_MAX 8   /* our queries collecting answers at once */
#define QUERY_ANSWERS_MAX 64 /* answerers per query; more are dropped */
#define QUERY_MESSAGE_MAX (1 + 1 + 8 + 1 + 64 + 2 + QUERY_VALUE_MAX) /* the larger: an answer */

typedef enum query_kind { QUERY_HAS_CID = 1, QUERY_KEY = 2 } query_kind;
typedef enum query_reply { QUERY_REPLY_DIRECT = 0, QUERY_REPLY_TOPIC = 1 } query_reply;

typedef struct query query;

/* An answer to our query id, from answerer, before the deadline. */
typedef void (*query_answer_fn)(void *user, uint64_t id, const peer_id *answerer, const uint8_t *value,
                                size_t len);
/* The deadline of query id passed, with answers from that many peers. */
typedef void (*query_done_fn)(void *user, uint64_t id, uint32_t answers);
/* A QUERY_KEY question: true to answer, with *value_len bytes (at most
 * QUERY_VALUE_MAX) written to value. */
typedef bool (*query_respond_fn)(void *user, const uint8_t *key, size_t key_len, uint8_t *value, size_t *value_len);

typedef struct query_config {
    const char *topic, *result_topic; /* 1 to QUERY_TOPIC_MAX bytes each; copied */
    query_reply reply;
    query_respond_fn respond; /* NULL: QUERY_KEY is never answered */
    void *respond_user;
} query_config;

typedef struct query_stats {
    uint64_t asked;            /* our queries */
    uint64_t answered;         /* answers we sent */
    uint64_t answered_direct;  /* of them, on a stream */
    uint64_t answers;          /* answers to our queries, kept */
    uint64_t dropped;          /* answers late, duplicate, to others, or to ids we did not ask */
    uint64_t invalid;          /* malformed queries and answers */
    uint64_t bytes_sent;       /* of our queries and answers, payload only */
} query_stats;

/* Subscribes the node to both topics, registers QUERY_PROTOCOL and listens
 * (node_add_listener). NULL when the config is out of range, memory runs
 * out or the node refuses a part. */
query *query_create(node *n, const query_config *config);
void query_destroy(query *q);
/* Publishes a question; answers come through on_answer until deadline_ns
 * (the node's clock), then on_done once. 0 with *id, or -1 (key too long,
 * QUERY_PENDING_MAX pending, the publish failed). */
int query_ask(query *q, query_kind kind, const uint8_t *key, size_t key_len, uint64_t deadline_ns,
              query_answer_fn on_answer, query_done_fn on_done, void *user, uint64_t *id);
void query_get_stats(const query *q, query_stats *out);

#endif
