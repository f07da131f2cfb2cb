/*
 * pubsub: the pubsub core that every router shares (libp2p/specs
 * pubsub/README.md), and the interface a router implements.
 *
 * The core knows peers only by a handle the node gives it and talks back
 * through a pubsub_host: send an encoded RPC to a peer, deliver a message to
 * the application, emit a trace event. It keeps the peers and the topics
 * they subscribe to, our own subscriptions (announced to every peer), the
 * seen cache, and the message path: an RPC is decoded and traced, its
 * messages are checked against the signature policy (StrictSign: signed;
 * StrictNoSign: no from, seqno, signature or key), deduplicated, validated
 * (pubsub_host.validate, after the topic's validation delay), delivered
 * when we subscribe, and handed to the router to forward; publish signs a
 * message (or not, under StrictNoSign), delivers it locally and hands it
 * to the router as well.
 *
 * What a router decides is who gets a message, and whatever it adds of its
 * own (gossipsub: meshes, control messages, scores, a heartbeat). It says
 * so through pubsub_router_ops, a struct of function pointers (the shape of
 * node/core/env.h), and reads and writes the core through the functions
 * under "For routers" below. floodsub.c is the smallest router; gossipsub.c
 * the largest; docs/architecture.md "The router interface" tells how to add
 * one.
 */
#ifndef SWARMLAB_PUBSUB_H
#define SWARMLAB_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"
#include "seen_cache.h"
#include "seqno_table.h"
#include "trace/trace.h"
#include "wire/pubsub_pb.h"

#define PUBSUB_PEERS_MAX 4096       /* pubsub peers per node, a bound above the node's connections */
#define PUBSUB_PEER_TOPICS_MAX 64   /* topics we remember per peer */
#define PUBSUB_TOPICS_MAX 128       /* entries in our topic table */
/* The seen cache's memory: 1,048,576 ids of 40 bytes, each kept for its
 * whole seen_ttl; at 120 s that is 8,738 new messages a second, sustained.
 * Past it new messages are ignored, never old ids forgotten (seen_cache.h). */
#define PUBSUB_SEEN_MAX_BYTES (40u << 20)
#define PUBSUB_SEEN_MAX_BYTES_MIN (FP_TABLE_INITIAL * FP_TABLE_BYTES_PER_ENTRY) /* 256 ids */
#define PUBSUB_SEEN_MAX_BYTES_MAX ((uint64_t)FP_TABLE_CAPACITY_MAX * FP_TABLE_BYTES_PER_ENTRY)
/* Origins the seqno validator remembers (2.5 MiB at 40 bytes each); when
 * full the oldest is forgotten (seqno_table.h). */
#define PUBSUB_SEQNO_ORIGINS_MAX 65536
#define PUBSUB_SEQNO_ORIGINS_MAX_MAX 1000000 /* the most it may be set to (40 MB) */
#define PUBSUB_RPC_OVERHEAD 512     /* framing of one message beyond its data and topic */
#define PUBSUB_MSG_ID_MAX (PEER_ID_MAX_BYTES + PUBSUB_SEQNO_BYTES)
#define PUBSUB_ROUTER_PROTOCOLS_MAX 3
/* Messages in validation at once (those waiting out a validation delay):
 * go-libp2p-pubsub's global validation throttle (validation.go,
 * defaultValidateThrottle = 8192). Past it a message is ignored (reason
 * "validation queue full", as go's RejectValidationThrottled). */
#define PUBSUB_VALIDATING_MAX 8192
/* The longest validation delay (a minute: far beyond any validator). */
#define PUBSUB_VALIDATION_DELAY_MAX_NS (60ull * 1000000000ull)
/* Topics with a validation delay of their own. */
#define PUBSUB_TOPIC_DELAYS_MAX 8

/* Extended validation (gossipsub-v1.1.md "Extended Validators"): the
 * application's verdict on a message whose signature checked. ACCEPT
 * delivers and forwards it; REJECT drops it and counts against the sender
 * (gossipsub's score P4); IGNORE drops it without penalty. */
typedef enum pubsub_validation {
    PUBSUB_ACCEPT,
    PUBSUB_REJECT,
    PUBSUB_IGNORE,
} pubsub_validation;

typedef struct pubsub_host {
    void *user;
    uint64_t (*now_ns)(void *user);
    /* Sends one RPC (not yet length-prefixed) to peer; 0 or -1 (dropped). */
    int (*send)(void *user, uint32_t peer, const uint8_t *rpc, size_t len);
    /* A valid message for a topic we subscribe to, first time seen. */
    void (*deliver)(void *user, const pubsub_message *msg);
    /* The host stamps the time and node index. */
    void (*trace)(void *user, trace_event *event);
    /* Extended validation; NULL accepts every message. */
    pubsub_validation (*validate)(void *user, const pubsub_message *msg);
    /* Whether the node relays other peers' messages now (forwarding them,
     * or serving them to IWANT); NULL: always. The node's policy answers:
     * a censoring attacker says no. Our own messages always go out. */
    bool (*relay)(void *user);
    /* Peer exchange (gossipsub): the signed peer record a peer gave us,
     * its length or 0 (*record borrowed until the next call); and a peer a
     * PRUNE suggested, with its record, to connect to: false when the host
     * refused for its budget of PX dials in flight (gossipsub's
     * px_dials_in_flight), true otherwise (dialled, known already, or a
     * record it could not use). Either may be NULL. */
    size_t (*peer_record)(void *user, uint32_t peer, const uint8_t **record);
    bool (*connect)(void *user, const peer_id *id, const uint8_t *record, size_t len);
    /* Arms (or re-arms) the core's one timer to fire at deadline_ns; the
     * host then calls pubsub_validation_due. Only needed with a validation
     * delay (pubsub_options); NULL otherwise. */
    void (*timer_set)(void *user, uint64_t deadline_ns);
    /* The Ed25519 check of a message's signature (pubsub_message_verify_with);
     * NULL: the core checks it with ed25519_verify. */
    pubsub_verify_fn verify;
} pubsub_host;

/* A peer as the core keeps it. A router that keeps more per peer declares
 * peer_size and a struct that begins with a pubsub_peer. */
typedef struct pubsub_peer {
    uint32_t handle;
    peer_id id;
    char *topics[PUBSUB_PEER_TOPICS_MAX]; /* the topics it subscribes to */
    size_t topic_count;
} pubsub_peer;

/* An entry of our topic table: one we subscribe to, or (for a router with
 * topic state, such as gossipsub's fanout) one the router keeps. A router
 * that keeps more per topic declares topic_size and a struct that begins
 * with a pubsub_topic. */
typedef struct pubsub_topic {
    char *name;
    bool subscribed;
} pubsub_topic;

/* What a trace says about an RPC: its size, its messages and their data
 * bytes, and the router's control part (zero when it has none). */
typedef struct pubsub_rpc_shape {
    size_t len;
    uint64_t payload_bytes;
    uint32_t message_count;
    uint64_t control_bytes;
    uint32_t ihave_ids, iwant_ids, idontwant_ids, grafts, prunes;
} pubsub_rpc_shape;

/* A router. Every function gets the router's own state (the pointer given
 * to pubsub_create). Those marked optional may be NULL. */
typedef struct pubsub_router_ops {
    const char *name;
    size_t peer_size;  /* sizeof the router's peer struct; sizeof(pubsub_peer) if none */
    size_t topic_size; /* sizeof the router's topic struct; sizeof(pubsub_topic) if none */
    /* Whether a peer joins when the connection is ready (false) or when a
     * pubsub stream has negotiated its protocol (true: the version matters). */
    bool adds_peers_on_negotiation;

    /* The stream protocols it speaks, most preferred first; how many. */
    size_t (*protocols)(const void *router, const char *out[PUBSUB_ROUTER_PROTOCOLS_MAX]);
    /* Frees the router's state (the core frees its own after). Optional. */
    void (*destroy)(void *router);

    /* Peers. add_peer fills the router's part of a new peer (zeroed, with
     * handle and id set) before the core announces our subscriptions to it;
     * -1 refuses the peer. remove_peer runs before the core forgets it.
     * peer_left_topic: the peer unsubscribed from topic. All optional. */
    int (*add_peer)(void *router, pubsub_peer *peer, const char *protocol, bool outbound, uint32_t ip4);
    void (*remove_peer)(void *router, pubsub_peer *peer);
    void (*peer_left_topic)(void *router, pubsub_peer *peer, pubsub_bytes topic);

    /* RPCs. read_control decodes the control part of an RPC that has one
     * and adds it to the shape (-1: malformed); accept_from says why an
     * RPC from peer is not read (NULL: it is); handle_control acts on that
     * control part after the RPC's messages. All optional. */
    int (*read_control)(void *router, const pubsub_rpc *rpc, pubsub_rpc_shape *shape);
    const char *(*accept_from)(void *router, const pubsub_peer *peer, uint64_t now_ns);
    void (*handle_control)(void *router, pubsub_peer *peer, uint64_t now_ns);

    /* Messages from a peer, after the core traced them: a copy of one seen
     * before; one refused (verdict REJECT: invalid, IGNORE: ignored); a
     * valid new one, before the core delivers it. All optional. */
    void (*duplicate)(void *router, const pubsub_peer *from, const pubsub_message *msg, const uint8_t *id,
                      size_t id_len, uint64_t now_ns);
    void (*refused)(void *router, const pubsub_peer *from, const pubsub_message *msg, pubsub_validation verdict);
    void (*accepted)(void *router, const pubsub_peer *from, const pubsub_message *msg, const uint8_t *id,
                     size_t id_len, uint64_t now_ns);
    /* Sends a valid new message on, after its delivery: one from a peer
     * (from set), or our own (from NULL). Required: this is the routing. */
    void (*forward)(void *router, const pubsub_peer *from, const pubsub_message *msg, const uint8_t *id,
                    size_t id_len, uint64_t now_ns);

    /* Our subscriptions: join after the core announced a JOIN (the topic
     * is subscribed); leave after it announced a LEAVE, while the topic is
     * still marked subscribed. Optional. */
    void (*join)(void *router, pubsub_topic *topic, uint64_t now_ns);
    void (*leave)(void *router, pubsub_topic *topic, uint64_t now_ns);
    /* Whether the router still needs a topic we do not subscribe to. With
     * it set, the router frees idle topics (pubsub_topics_release) when it
     * likes; without it, the core frees a topic when we leave it. Optional. */
    bool (*topic_busy)(const void *router, const pubsub_topic *topic);

    /* Runs every pubsub_config.heartbeat_ns. Optional. */
    void (*heartbeat)(void *router, uint64_t now_ns);

    /* For the node's connection manager (node/core/connmgr.h): whether
     * the peer must keep its connection (a mesh member, an explicit peer),
     * and its score (0 without scoring). Optional: no peer is protected,
     * every score is 0. */
    bool (*peer_protected)(const void *router, const pubsub_peer *peer);
    double (*peer_score)(const void *router, const pubsub_peer *peer);
} pubsub_router_ops;

/* A topic with a validation delay of its own. */
typedef struct pubsub_topic_delay {
    char topic[PUBSUB_TOPIC_MAX + 1];
    uint64_t delay_ns;
} pubsub_topic_delay;

/* What the core does for every router, beyond the spec's defaults. Zero
 * is the default of each: PUBSUB_SEEN_MAX_BYTES, validator off,
 * PUBSUB_SEQNO_ORIGINS_MAX. */
typedef struct pubsub_options {
    uint64_t seen_max_bytes; /* the seen cache's memory budget; 0: PUBSUB_SEEN_MAX_BYTES */
    /* The seqno validator, as go-libp2p-pubsub's BasicSeqnoValidator:
     * ignore a message whose seqno is at or below the highest accepted from
     * its origin, a replay from beyond the seen window. Off by default: a
     * message overtaken by a later one of its origin is ignored too, which
     * only suits origins that publish in order. */
    bool seqno_validator;
    uint32_t seqno_origins_max; /* origins it remembers; 0: PUBSUB_SEQNO_ORIGINS_MAX */
    /* StrictSign (the default) or StrictNoSign (pubsub_pb.h). */
    pubsub_signature_policy signature_policy;
    /* The time a node spends validating a message from a peer before it
     * delivers and forwards it (0: none, the default), and topics with a
     * delay of their own. The seen cache takes the id when validation
     * starts: copies arriving meanwhile are duplicates. */
    uint64_t validation_delay_ns;
    pubsub_topic_delay topic_delays[PUBSUB_TOPIC_DELAYS_MAX];
    size_t topic_delay_count;
} pubsub_options;

/* NULL when o is usable (seen_max_bytes 0 or within PUBSUB_SEEN_MAX_BYTES_MIN
 * and _MAX, seqno_origins_max at most PUBSUB_SEQNO_ORIGINS_MAX_MAX, delays at
 * most PUBSUB_VALIDATION_DELAY_MAX_NS, no seqno validator under StrictNoSign),
 * else what is wrong, naming the option. */
const char *pubsub_options_check(const pubsub_options *o);
/* NULL when messages of the policy can be named by kind; else why not
 * (from-seqno and key-seqno need a seqno, which StrictNoSign lacks). */
const char *pubsub_message_id_check(pubsub_message_id_kind kind, pubsub_signature_policy policy);
/* The validation delay of topic under o (its own, or the default). */
uint64_t pubsub_options_validation_delay(const pubsub_options *o, pubsub_bytes topic);

typedef struct pubsub_config {
    pubsub_message_id_kind message_id; /* how ids are made; from || seqno by default */
    uint64_t seen_ttl_ns;              /* how long an id is remembered */
    pubsub_options options;
    size_t topics_max;                 /* topic table entries, at most PUBSUB_TOPICS_MAX */
    uint64_t heartbeat_ns;             /* the heartbeat period; 0: none */
} pubsub_config;

typedef struct pubsub_core pubsub_core;

/* A core routed by ops, whose state is router (passed to every op).
 * seqno_start seeds the 64-bit sequence number (drawn from the
 * environment); seen_key keys the seen cache. NULL when memory runs out. */
pubsub_core *pubsub_create(const pubsub_host *host, const pubsub_router_ops *ops, void *router,
                      const pubsub_config *config, const identity *id, uint64_t seqno_start,
                      const uint8_t seen_key[SEEN_CACHE_KEY_BYTES]);
/* ops->destroy, then the core. NULL is allowed. */
void pubsub_destroy(pubsub_core *ps);

size_t pubsub_protocols(const pubsub_core *ps, const char *out[PUBSUB_ROUTER_PROTOCOLS_MAX]);
bool pubsub_adds_peers_on_negotiation(const pubsub_core *ps);
uint64_t pubsub_heartbeat_ns(const pubsub_core *ps);

/* A peer that speaks protocol, on a connection we dialled (outbound) or
 * accepted, from IPv4 address ip4 (host order, 0 when unknown): we send it
 * our subscriptions. 0 or -1. */
int pubsub_add_peer(pubsub_core *ps, uint32_t peer, const peer_id *id, const char *protocol, bool outbound,
                    uint32_t ip4);
/* Sends a known peer our subscriptions, as add_peer does: the first RPC
 * of a new pubsub stream to it. */
void pubsub_greet(pubsub_core *ps, uint32_t handle);
void pubsub_remove_peer(pubsub_core *ps, uint32_t peer);
/* As pubsub_remove_peer, with the reason its remove_peer event carries
 * (NULL: none, as pubsub_remove_peer). */
void pubsub_remove_peer_because(pubsub_core *ps, uint32_t peer, const char *reason);
/* The router's peer_protected and peer_score for a known peer (false and
 * 0 for an unknown one or a router without them). */
bool pubsub_peer_protected(const pubsub_core *ps, uint32_t peer);
double pubsub_peer_score(const pubsub_core *ps, uint32_t peer);
/* One RPC from peer. Returns 0, or -1 when it is malformed (the node then
 * closes that peer's stream); invalid messages inside a well-formed RPC are
 * refused and traced, and do not fail the RPC. */
int pubsub_handle_rpc(pubsub_core *ps, uint32_t peer, const uint8_t *rpc, size_t len);

int pubsub_subscribe(pubsub_core *ps, const char *topic);
int pubsub_unsubscribe(pubsub_core *ps, const char *topic);
bool pubsub_is_subscribed(const pubsub_core *ps, const char *topic);
/* Signs data, delivers it locally when we subscribe to topic, and hands it
 * to the router. 0 or -1. */
int pubsub_publish(pubsub_core *ps, const char *topic, const uint8_t *data, size_t len);
void pubsub_heartbeat(pubsub_core *ps, uint64_t now_ns);
/* The core's timer fired (pubsub_host.timer_set): messages whose
 * validation delay has run out by now are validated, delivered and
 * forwarded, earliest first (arrival order among equal deadlines). */
void pubsub_validation_due(pubsub_core *ps, uint64_t now_ns);
/* Messages waiting out their validation delay. */
size_t pubsub_validating_count(const pubsub_core *ps);

/* ---- For routers ---------------------------------------------------- */

uint64_t pubsub_now(const pubsub_core *ps);
/* Whether the host relays other peers' messages now (pubsub_host.relay). */
bool pubsub_relaying(const pubsub_core *ps);

/* Peers, in an order that only adding and removing changes. */
size_t pubsub_peer_count(const pubsub_core *ps);
pubsub_peer *pubsub_peer_at(const pubsub_core *ps, size_t index);
pubsub_peer *pubsub_peer_find(const pubsub_core *ps, uint32_t handle);
bool pubsub_peer_subscribed(const pubsub_peer *peer, pubsub_bytes topic);
/* Whether peer signed msg (is its from). */
bool pubsub_peer_is_origin(const pubsub_peer *peer, const pubsub_message *msg);

/* The topic table, in an order that only adding and releasing changes. */
size_t pubsub_topic_count(const pubsub_core *ps);
pubsub_topic *pubsub_topic_at(const pubsub_core *ps, size_t index);
pubsub_topic *pubsub_topic_find(const pubsub_core *ps, pubsub_bytes name);
/* Finds or adds (unsubscribed); NULL when the table is full. */
pubsub_topic *pubsub_topic_get(pubsub_core *ps, pubsub_bytes name);
/* Frees the topics we do not subscribe to that ops->topic_busy says the
 * router no longer needs. */
void pubsub_topics_release(pubsub_core *ps);

bool pubsub_seen_contains(pubsub_core *ps, const uint8_t *id, size_t len, uint64_t now_ns);
void pubsub_seen_expire(pubsub_core *ps, uint64_t now_ns);

void pubsub_trace(pubsub_core *ps, trace_event *event);
void pubsub_trace_rpc(pubsub_core *ps, trace_kind kind, const pubsub_peer *peer, pubsub_rpc_shape shape,
                      const char *reason);
/* Hands an encoded RPC to the host, tracing send_rpc or drop_rpc. */
void pubsub_send(pubsub_core *ps, const pubsub_peer *peer, const uint8_t *rpc, pubsub_rpc_shape shape);

#endif
