/*
 * gossipsub_params: the parameters of the GossipSub router (the fields of
 * gossipsub_config in gossipsub.h), each described once, as an X-macro
 * list (see params.h). GOSSIPSUB_PARAMS(P, PA, T, S) has four kinds of row:
 *
 *   P(name, field, type, default, lo, hi)      a parameter
 *   PA(name, alias, field, type, default, lo, hi)  one with a second name
 *   T(name, field, type, lo, hi)               a flat name for a field of a
 *                                              nested set (thresholds.*)
 *   S(name, field, set)                        a nested set (score_params.h)
 *
 * name is the spec's (libp2p/specs pubsub/gossipsub v1.0 to v1.2), which is
 * also a scenario's key; alias the other name a spec gives it (v1.0 says
 * D_low where v1.1 says D_lo); type a PARAM_ type (params.h); lo and hi
 * the values a parameter may take (numbers and whole numbers; 0 and 0 for
 * the types without a range). Where a spec names no default, it is the
 * reference implementation's (go-libp2p-pubsub), as each row says.
 *
 * The bounds are what a parameter may be set to; gossipsub_config_check
 * adds what this router can hold (a mesh below GOSSIPSUB_MESH_PEERS_MAX, a
 * message cache within MCACHE_WINDOWS_MAX windows) and the relations
 * between parameters (D_lo <= D <= D_hi ...).
 *
 * The row order is the order of gossipsub_config's fields, of a scenario's
 * keys (and of the keys an error about an unknown one lists) and of
 * metrics.json's "parameters".
 */
#ifndef SWARMLAB_GOSSIPSUB_PARAMS_H
#define SWARMLAB_GOSSIPSUB_PARAMS_H

#include "base/time_units.h"
#include "mcache.h"
#include "params.h"
#include "wire/gossipsub_pb.h"
#include "wire/pubsub_pb.h"

/* A node keeps at most this many connections (NODE_CONNECTIONS_MAX in
 * core/node.h, which sim/scenario checks is the same), so no degree can
 * exceed it. */
#define GOSSIPSUB_DEGREE_MAX 512
/* A message must fit an RPC with room for its envelope (from, seqno,
 * signature, key, topic). */
#define GOSSIPSUB_MESSAGE_SIZE_MAX (PUBSUB_RPC_MAX_BYTES - 4096)
#define GOSSIPSUB_GOSSIP_LIMIT_MAX 1000000 /* ids, messages or heartbeats a limit may count */
#define GOSSIPSUB_MCACHE_PARAM_MAX 1000    /* mcache_len, mcache_gossip */
/* PX dials a node runs at once: go-libp2p's GossipSubConnectors (8
 * goroutines dial what PX suggests, one peer each). */
#define GOSSIPSUB_PX_DIALS_IN_FLIGHT_DEFAULT 8

#define GOSSIPSUB_PARAMS(P, PA, T, S)                                                                      \
    P(D, D, INT, 6, 0, GOSSIPSUB_DEGREE_MAX)                                                                \
    PA(D_lo, D_low, D_lo, INT, 4, 0, GOSSIPSUB_DEGREE_MAX)                                                  \
    PA(D_hi, D_high, D_hi, INT, 12, 0, GOSSIPSUB_DEGREE_MAX)                                                \
    P(D_lazy, D_lazy, INT, 6, 0, GOSSIPSUB_DEGREE_MAX)                                                      \
    P(D_score, D_score, INT, 4, 0, GOSSIPSUB_DEGREE_MAX)                                                    \
    P(D_out, D_out, INT, 2, 0, GOSSIPSUB_DEGREE_MAX)                                                        \
    PA(heartbeat, heartbeat_interval, heartbeat_ns, DURATION_POSITIVE, 1 * NS_PER_S, 0, 0)        \
    P(fanout_ttl, fanout_ttl_ns, DURATION_POSITIVE, 60 * NS_PER_S, 0, 0)                          \
    P(seen_ttl, seen_ttl_ns, DURATION_POSITIVE, 120 * NS_PER_S, 0, 0)                             \
    P(prune_backoff, prune_backoff_ns, DURATION_POSITIVE, 60 * NS_PER_S, 0, 0)                    \
    P(unsubscribe_backoff, unsubscribe_backoff_ns, DURATION_POSITIVE, 10 * NS_PER_S, 0, 0)       \
    P(mcache_len, mcache_len, INT, MCACHE_LEN_DEFAULT, 1, GOSSIPSUB_MCACHE_PARAM_MAX)                       \
    P(mcache_gossip, mcache_gossip, INT, MCACHE_GOSSIP_DEFAULT, 1, GOSSIPSUB_MCACHE_PARAM_MAX)              \
    P(gossip_factor, gossip_factor, NUMBER, 0.25, 0, 1)                                                     \
    P(prune_peers, prune_peers, INT, GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX, 0, GOSSIPSUB_DEGREE_MAX)             \
    /* go-libp2p GossipSubConnectors: PX dials at once; 0: PX never dials */                               \
    P(px_dials_in_flight, px_dials_in_flight, INT, GOSSIPSUB_PX_DIALS_IN_FLIGHT_DEFAULT, 0,                \
      GOSSIPSUB_DEGREE_MAX)                                                                                 \
    /* ours: without scoring, PX from peers that dialled us too (go-libp2p takes it from all) */          \
    P(accept_px_inbound, accept_px_inbound, BOOL, false, 0, 0)                                              \
    P(flood_publish, flood_publish, BOOL, true, 0, 0)                                                       \
    P(scoring, scoring, BOOL, false, 0, 0)                                                                  \
    P(idontwant, idontwant, BOOL, true, 0, 0)                                                               \
    P(message_id, message_id, MESSAGE_ID, PUBSUB_MESSAGE_ID_FROM_SEQNO, 0, 0)                               \
    P(idontwant_min_size, idontwant_min_bytes, SIZE, 1024, 0, GOSSIPSUB_MESSAGE_SIZE_MAX)                   \
    P(max_ihave_length, max_ihave_length, UINT32, GOSSIPSUB_IHAVE_IDS_MAX, 1, GOSSIPSUB_GOSSIP_LIMIT_MAX)   \
    P(max_ihave_messages, max_ihave_messages, UINT32, 10, 1, GOSSIPSUB_GOSSIP_LIMIT_MAX)                    \
    T(opportunistic_graft_threshold, thresholds.opportunistic_graft, NUMBER, 0, 1e9)                        \
    P(opportunistic_graft_peers, opportunistic_graft_peers, INT, 2, 0, GOSSIPSUB_DEGREE_MAX)                \
    P(opportunistic_graft_ticks, opportunistic_graft_ticks, UINT64, 60, 1, GOSSIPSUB_GOSSIP_LIMIT_MAX)      \
    S(score, score, score_params_set)                                                                       \
    S(topic_score, topic_score, score_topic_params_set)                                                     \
    S(thresholds, thresholds, score_thresholds_set)                                                         \
    P(score_sample, score_sample_ns, DURATION, 0, 0, 0) /* 0: no peer_score events */                     \
    /* go-libp2p GossipSubIWantFollowupTime */                                                              \
    P(iwant_followup, iwant_followup_ns, DURATION_POSITIVE, 3 * NS_PER_S, 0, 0)                   \
    /* go-libp2p GossipSubGraftFloodThreshold; 0: no GRAFT counts as a flood */                            \
    P(graft_flood_threshold, graft_flood_threshold_ns, DURATION, 10 * NS_PER_S, 0, 0)             \
    /* go-libp2p GossipSubMaxIDontWantMessages; 0: no IDONTWANT id is taken */                             \
    P(max_idontwant_messages, max_idontwant_messages, UINT32, 1000, 0, GOSSIPSUB_GOSSIP_LIMIT_MAX)

/* The parameters, walkable (params.h), the nested sets included. */
extern const param_set gossipsub_params_set;

#endif
