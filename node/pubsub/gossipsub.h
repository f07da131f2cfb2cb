/*
 * gossipsub: the GossipSub v1.0/v1.1 router core (libp2p/specs pubsub/
 * gossipsub/gossipsub-v1.0.md, and the backoff and PRUNE rules of -v1.1.md).
 *
 It is a router on the pubsub core (pubsub.h), as floodsub is: the core
 * keeps the peers (uint32 handles the node gives it), the subscriptions,
 * the seen cache and the message path, and talks to the host; gossipsub
 * plugs into it through pubsub_router_ops. It is sans-I/O: time comes from
 * host->now_ns and the heartbeat from the caller (gossipsub_heartbeat,
 * every config.heartbeat_ns); random peer selection draws from
 * config.random, never from the OS.
 *
 * Its files, each using only those above it: gossipsub_state (the state,
 * members, backoffs, fingerprints); gossipsub_scoring (the glue to
 * score.c); gossipsub_promises (IWANT promises), gossipsub_dontwant
 * (IDONTWANT sets), gossipsub_mesh (candidates, mesh membership),
 * gossipsub_send (control and cached messages out); gossipsub_control
 * (control messages in) and gossipsub_heartbeat; gossipsub.c (the hooks
 * and this API).
 *
 * What it does: a mesh per subscribed topic and a fanout per topic we only
 * publish to (expiring after fanout_ttl); JOIN grafts up to D peers (fanout
 * peers first), LEAVE prunes the mesh; the heartbeat keeps each mesh within
 * [D_lo, D_hi] (back to D), expires fanout, sends IHAVE gossip to
 * max(D_lazy, gossip_factor * candidates) non-mesh peers and shifts the
 * message cache. GRAFT is accepted when we subscribe and no backoff runs,
 * else answered by PRUNE; PRUNE removes the peer from the mesh and starts a
 * backoff (the PRUNE's own, or prune_backoff); IHAVE of unseen ids is
 * answered by IWANT (at most max_ihave_messages IHAVEs and max_ihave_length
 * asked ids per peer per heartbeat); IWANT is served from the message cache
 * within its retransmission limit. Messages are StrictSign-verified, kept
 * once in a seen cache, delivered, cached and forwarded to the mesh (our own
 * ones, with flood_publish, to every peer subscribed to the topic).
 *
 * v1.1 (config.scoring): peer scores (score.h) from mesh time, first and
 * mesh deliveries, invalid messages and P7 penalties (broken IWANT promises,
 * GRAFTs during a backoff); the thresholds (no gossip to or from a peer
 * below gossip, no flood publish below publish, its RPCs ignored below
 * graylist); mesh upkeep that drops negative scores, keeps the D_score
 * best when trimming and at least D_out outbound peers, and grafts
 * opportunistically when the mesh's median score is low; explicit peers,
 * never meshed and always sent to; and the extended validation verdicts
 * of pubsub_host.validate. v1.2: IDONTWANT sent for messages of at least
 * idontwant_min_bytes and honoured when forwarding and serving IWANT.
 *
 * Peer exchange is followed only for peers that come with a signed peer
 * record (host->connect); the node keeps no address book. It is bounded
 * (issue 19): PX is trusted with scoring from peers at or above
 * accept_px, without scoring from peers we dialled (unless
 * accept_px_inbound), and from explicit peers always; one PRUNE per peer
 * and heartbeat has its PX followed; prune_peers suggestions in all are
 * handed to the host per heartbeat, and the host runs at most
 * px_dials_in_flight PX dials at once. Each refusal is traced as drop_rpc
 * with a reason that starts "px " (docs/gossipsub.md "Peer exchange").
 * Backoffs are
 * kept per handle, not per peer id: the node never reuses a handle, so a
 * peer that reconnects starts without one (its score is retained by id).
 */
#ifndef SWARMLAB_GOSSIPSUB_H
#define SWARMLAB_GOSSIPSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"
#include "mcache.h"
#include "pubsub.h"
#include "wire/pubsub_pb.h"
#include "score.h"
#include "seen_cache.h"

#define GOSSIPSUB_PROTOCOL_V10 "/meshsub/1.0.0"
#define GOSSIPSUB_PROTOCOL_V11 "/meshsub/1.1.0"
#define GOSSIPSUB_PROTOCOL_V12 "/meshsub/1.2.0"
#define GOSSIPSUB_TOPICS_MAX PUBSUB_TOPICS_MAX /* topic states: subscribed, fanout or backoff only */
#define GOSSIPSUB_MESH_PEERS_MAX 128     /* mesh or fanout members per topic */
#define GOSSIPSUB_BACKOFFS_PER_TOPIC_MAX 256

/* The parameters, each described in gossipsub_params.h (name, default,
 * bounds; a scenario's keys and metrics.json come from there), plus the
 * randomness seam. */
typedef struct gossipsub_config {
    int D, D_lo, D_hi, D_lazy, D_score, D_out;
    uint64_t heartbeat_ns, fanout_ttl_ns, seen_ttl_ns, prune_backoff_ns, unsubscribe_backoff_ns;
    int mcache_len, mcache_gossip;
    double gossip_factor;
    int prune_peers;          /* PX: peers a PRUNE offers, and PX dials per heartbeat */
    int px_dials_in_flight;   /* PX dials the host runs at once (it enforces it) */
    bool accept_px_inbound;   /* without scoring, follow PX from peers that dialled us too */
    bool flood_publish, scoring, idontwant;
    pubsub_message_id_kind message_id; /* how ids are made (pubsub_pb.h); from || seqno by default */
    uint32_t idontwant_min_bytes;
    uint32_t max_ihave_length, max_ihave_messages;
    int opportunistic_graft_peers;
    uint64_t opportunistic_graft_ticks;
    /* v1.1 scoring, used when scoring is set. topic_score applies to every
     * topic the node joins (a scenario's topics are alike). */
    score_params score;
    score_topic_params topic_score;
    score_thresholds thresholds;
    uint64_t score_sample_ns;          /* peer_score trace events this often; 0: none */
    uint64_t iwant_followup_ns;        /* an IWANT promise is broken after this */
    uint64_t graft_flood_threshold_ns; /* a GRAFT this soon after our PRUNE costs P7 twice */
    uint32_t max_idontwant_messages;   /* IDONTWANT ids taken per peer per heartbeat */
    /* Fills buf with random bytes; called with host->user. Required. */
    void (*random)(void *user, uint8_t *buf, size_t len);
} gossipsub_config;

typedef struct gossipsub gossipsub;

/* The defaults of gossipsub_params.h and score_params.h; random is left NULL. */
void gossipsub_config_default(gossipsub_config *config);
/* 0 when the parameters are usable: 1 <= D_lo <= D <= D_hi <
 * GOSSIPSUB_MESH_PEERS_MAX, D_lazy >= 0, 1 <= mcache_gossip <= mcache_len,
 * D_score <= D, D_out < D_lo (or 0), heartbeat_ns > 0, random set, and with
 * scoring the score parameters valid (score.h); else -1. */
int gossipsub_config_check(const gossipsub_config *config);

/* As floodsub_create, with the config (copied) and a key for the message
 * cache. NULL when the config is invalid or memory runs out. */
gossipsub *gossipsub_create(const pubsub_host *host, const gossipsub_config *config,
                            const pubsub_options *options, const identity *id, uint64_t seqno_start,
                            const uint8_t seen_key[SEEN_CACHE_KEY_BYTES],
                            const uint8_t mcache_key[MCACHE_KEY_BYTES]);
void gossipsub_destroy(gossipsub *gs);
/* The core the router runs on (router.c drives the node's through it). */
pubsub_core *gossipsub_pubsub(gossipsub *gs);

/* A peer that negotiated protocol (one of the GOSSIPSUB_PROTOCOL_*) on a
 * connection we dialled (outbound) or accepted, from IPv4 address ip4 (host
 * order; 0 when unknown, which exempts it from P6): we send it our
 * subscriptions. 0 or -1. */
int gossipsub_add_peer(gossipsub *gs, uint32_t peer, const peer_id *id, const char *protocol, bool outbound,
                       uint32_t ip4);
/* An explicit (direct) peer: never in a mesh, sent every message of its
 * topics, and exempt from scoring. 0, or -1 past GOSSIPSUB_EXPLICIT_PEERS_MAX
 * (64). It applies to connected and future peers with that id. */
int gossipsub_add_explicit_peer(gossipsub *gs, const peer_id *id);
void gossipsub_remove_peer(gossipsub *gs, uint32_t peer);
/* One RPC from peer: 0, or -1 when it (or its control) is malformed. */
int gossipsub_handle_rpc(gossipsub *gs, uint32_t peer, const uint8_t *rpc, size_t len);

/* JOIN(topic) and LEAVE(topic). 0 or -1. */
int gossipsub_subscribe(gossipsub *gs, const char *topic);
int gossipsub_unsubscribe(gossipsub *gs, const char *topic);
bool gossipsub_is_subscribed(const gossipsub *gs, const char *topic);
/* Signs data and sends it to the topic's peers (see above); delivers it
 * locally when we subscribe. 0 or -1. */
int gossipsub_publish(gossipsub *gs, const char *topic, const uint8_t *data, size_t len);

/* One heartbeat at now_ns (the caller runs it every config.heartbeat_ns). */
void gossipsub_heartbeat(gossipsub *gs, uint64_t now_ns);

/* Inspection, for tests and metrics. */
size_t gossipsub_mesh_count(const gossipsub *gs, const char *topic);
bool gossipsub_in_mesh(const gossipsub *gs, const char *topic, uint32_t peer);
size_t gossipsub_fanout_count(const gossipsub *gs, const char *topic);
bool gossipsub_in_backoff(const gossipsub *gs, const char *topic, uint32_t peer, uint64_t now_ns);
bool gossipsub_peer_supports_idontwant(const gossipsub *gs, uint32_t peer);
/* The peer's score now; 0 without scoring or for an unknown peer. */
double gossipsub_peer_score(const gossipsub *gs, uint32_t peer);

#endif
