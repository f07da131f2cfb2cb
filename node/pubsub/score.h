/*
 * score: GossipSub v1.1 peer scoring (libp2p/specs pubsub/gossipsub/
 * gossipsub-v1.1.md, "Peer Scoring").
 *
 * The router tells this module what it observes (a peer connected from an
 * IP, was grafted or pruned in a topic, delivered a message first or near
 * first, sent an invalid one, misbehaved) and asks for a peer's score:
 *
 *   Score(p) = TopicCap(sum over topics t of weight(t) * (w1 P1 + w2 P2 +
 *              w3 P3 + w3b P3b + w4 P4)) + w5 P5 + w6 P6 + w7 P7
 *
 * Only configured topics (score_set_topic) count; a topic without
 * parameters contributes nothing, as the spec says. Counters decay by a
 * factor per decay interval and snap to zero below decay_to_zero. A peer
 * that disconnects keeps its counters for retain_score, so that it cannot
 * wash a negative score off by reconnecting; the counters are found again
 * by peer id when it comes back. We retain every score, as the spec
 * says; go-libp2p-pubsub retains only non-positive ones.
 *
 * Sans-I/O: every time is a now_ns argument from the caller; there is no
 * clock here. Peers are known by the router's uint32 handle while they are
 * connected. Tables are bounded: SCORE_TOPICS_MAX configured topics and the
 * peers_max given at creation (connected and retained peers together).
 */
#ifndef SWARMLAB_SCORE_H
#define SWARMLAB_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"

#define SCORE_TOPICS_MAX 16        /* configured topics with parameters */
#define SCORE_TOPIC_NAME_MAX 256   /* bytes of a topic name, without NUL */
#define SCORE_PEERS_MAX 65536      /* the largest peers_max accepted */
#define SCORE_PEERS_INITIAL 16     /* peer slots before the first doubling */
#define SCORE_DECAY_STEPS_MAX 4096 /* decay steps one score_refresh catches up */

/* What the router does with a peer's score (spec, "Score Thresholds"). */
typedef struct score_thresholds {
    double gossip;              /* below: no gossip to or from the peer; < 0 */
    double publish;             /* below: no flood publish to it; <= gossip */
    double graylist;            /* below: its RPCs are ignored; <= publish */
    double accept_px;           /* above: PX from its PRUNE is followed; >= 0 */
    double opportunistic_graft; /* median mesh score below: graft better peers; >= 0 */
} score_thresholds;

/* Parameters of one topic (spec, "Overview of New Parameters"). */
typedef struct score_topic_params {
    double topic_weight;
    /* P1: time in mesh, in quanta, capped. */
    double time_in_mesh_weight;
    uint64_t time_in_mesh_quantum_ns;
    double time_in_mesh_cap;
    /* P2: first message deliveries, capped at increment. */
    double first_message_deliveries_weight;
    double first_message_deliveries_decay;
    double first_message_deliveries_cap;
    /* P3: mesh message delivery deficit, squared, after activation. */
    double mesh_message_deliveries_weight;
    double mesh_message_deliveries_decay;
    double mesh_message_deliveries_cap;
    double mesh_message_deliveries_threshold;
    uint64_t mesh_message_deliveries_window_ns;
    uint64_t mesh_message_deliveries_activation_ns;
    /* P3b: sticky penalty added at prune with an active deficit. */
    double mesh_failure_penalty_weight;
    double mesh_failure_penalty_decay;
    /* P4: invalid messages, squared. */
    double invalid_message_deliveries_weight;
    double invalid_message_deliveries_decay;
} score_topic_params;

/* Parameters over all topics. */
typedef struct score_params {
    double topic_score_cap; /* cap on the topic sum; 0 means no cap */
    double app_specific_weight;            /* w5 */
    double ip_colocation_factor_weight;    /* w6, <= 0 */
    double ip_colocation_factor_threshold; /* peers on one IP before P6 applies, >= 1 */
    double behaviour_penalty_weight;       /* w7, <= 0 */
    double behaviour_penalty_threshold;    /* P7 counts the counter above this */
    double behaviour_penalty_decay;
    uint64_t decay_interval_ns;
    double decay_to_zero;
    uint64_t retain_score_ns;
} score_params;

/* How a message from a peer relates to our first receipt of it. */
typedef enum score_delivery {
    SCORE_DELIVERY_FIRST,     /* this peer delivered it first */
    SCORE_DELIVERY_DUPLICATE, /* someone else did; near-first if within the window */
} score_delivery;

/* Why a message from a peer was not accepted (extended validation). */
typedef enum score_rejection {
    SCORE_REJECTION_INVALID, /* failed validation: P4 */
    SCORE_REJECTION_IGNORED, /* neither delivered nor penalized */
} score_rejection;

/* Defaults, sources and constraints: the lists of score_params.h. */
void score_params_default(score_params *p);
void score_topic_params_default(score_topic_params *p);
void score_thresholds_default(score_thresholds *t);
/* 0 when the constraints of the spec hold, -1 otherwise. */
int score_params_validate(const score_params *p);
int score_topic_params_validate(const score_topic_params *p);
int score_thresholds_validate(const score_thresholds *t);
/* The factor that brings 1.0 down to decay_to_zero after decay_ns, with one
 * step per interval_ns (go-libp2p's ScoreParameterDecayWithBase). The
 * arguments must satisfy interval_ns <= decay_ns and 0 < decay_to_zero < 1. */
double score_decay_factor(uint64_t decay_ns, uint64_t interval_ns, double decay_to_zero);

typedef struct score score;

/* NULL when params are invalid, peers_max is 0 or above SCORE_PEERS_MAX,
 * or memory runs out. The first decay is due at now_ns + decay_interval. */
score *score_create(const score_params *params, size_t peers_max, uint64_t now_ns);
void score_destroy(score *s);
/* Sets (or replaces) the parameters of topic. 0, or -1 when the params are
 * invalid, the name too long, or SCORE_TOPICS_MAX topics are configured. */
int score_set_topic(score *s, const char *topic, const score_topic_params *params);

/* A peer connected with handle from ip (IPv4, host order; 0 when unknown,
 * which exempts it from P6). Its retained counters, if any, come back.
 * 0, or -1 when the handle is already in use or the table is full of
 * connected peers (a retained peer is forgotten to make room first). */
int score_add_peer(score *s, uint32_t peer, const peer_id *id, uint32_t ip, uint64_t now_ns);
/* The peer disconnected: it leaves every mesh (with P3b as at a prune) and
 * its counters are retained until now_ns + retain_score. */
void score_remove_peer(score *s, uint32_t peer, uint64_t now_ns);
void score_graft(score *s, uint32_t peer, const char *topic, uint64_t now_ns);
/* Leaves the mesh; an active P3 deficit is added, squared, to P3b. */
void score_prune(score *s, uint32_t peer, const char *topic, uint64_t now_ns);
/* A valid message in topic from peer. first_seen_ns is when we first
 * received (and validated) it; a duplicate counts for P3 when the peer is
 * in our mesh and now_ns - first_seen_ns <= the topic's window. */
void score_deliver_message(score *s, uint32_t peer, const char *topic, score_delivery kind,
                           uint64_t first_seen_ns, uint64_t now_ns);
void score_reject_message(score *s, uint32_t peer, const char *topic, score_rejection why);
/* P7: adds count to the peer's behaviour penalty counter. */
void score_add_penalty(score *s, uint32_t peer, double count);
/* P5: the application's score for the peer (any real value). */
void score_set_app_score(score *s, uint32_t peer, double value);

/* One decay step of every counter, and forgets retained peers whose
 * retention ended by now_ns. A caller uses either this, once per decay
 * interval, or score_refresh, never both. */
void score_decay(score *s, uint64_t now_ns);
/* Applies one decay step for each decay interval that ended by now_ns
 * (at most SCORE_DECAY_STEPS_MAX; older steps are skipped). The router
 * calls this from its heartbeat. Returns the steps applied. */
unsigned score_refresh(score *s, uint64_t now_ns);
uint64_t score_next_decay_ns(const score *s);

/* The score of a connected peer; 0 for an unknown handle. */
double score_value(const score *s, uint32_t peer, uint64_t now_ns);
/* Connected plus retained peers in the table. */
size_t score_peer_count(const score *s);

#endif
