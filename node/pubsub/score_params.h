/*
 * score_params: the three parameter sets of GossipSub v1.1 peer scoring
 * (score_params, score_topic_params, score_thresholds in score.h), each
 * described once, as an X-macro list (see params.h).
 *
 * A row of a set is X(name, field, type, default): the spec's name, which
 * is also the scenario key; the field of the struct; its PARAM_ type
 * (NUMBER, DURATION, DURATION_POSITIVE); the default. The defaults are
 * rust-libp2p's (protocols/gossipsub/src/peer_score/params.rs), the only
 * implementation that ships defaults; its authors note that topic
 * parameters are network specific and should be set per deployment. The
 * decay interval and decay_to_zero are go-libp2p-pubsub's
 * DefaultDecayInterval and DefaultDecayToZero (score_params.go).
 *
 * A row of a set's rules is RULE(field, kind, needs), GATED(field, kind,
 * needs, gate), PAIR(field, kind, needs, other) or GATED_PAIR(field, kind,
 * needs, gate, other): the constraint of the spec on the field (a
 * PARAM_RULE_ kind), the sentence a message shows, the weight whose 0 turns
 * the field off (GATED), the field it is compared with (PAIR). A set is
 * valid when every rule holds; the first broken rule, in the order below,
 * is the one an error names.
 *
 * The row order is the order of the structs' fields, of a scenario's keys
 * (and of the keys an error about an unknown one lists) and of
 * metrics.json's "parameters".
 */
#ifndef SWARMLAB_SCORE_PARAMS_H
#define SWARMLAB_SCORE_PARAMS_H

#include "base/time_units.h"
#include "params.h"
#include "score.h"

/* Over all topics (score_params). */
#define SCORE_PARAMS(X)                                                                  \
    X(topic_score_cap, topic_score_cap, NUMBER, 3600.0)                                  \
    X(app_specific_weight, app_specific_weight, NUMBER, 10.0)                            \
    X(ip_colocation_factor_weight, ip_colocation_factor_weight, NUMBER, -5.0)            \
    X(ip_colocation_factor_threshold, ip_colocation_factor_threshold, NUMBER, 10.0)      \
    X(behaviour_penalty_weight, behaviour_penalty_weight, NUMBER, -10.0) /* go users: -10 too */ \
    X(behaviour_penalty_threshold, behaviour_penalty_threshold, NUMBER, 0.0)             \
    X(behaviour_penalty_decay, behaviour_penalty_decay, NUMBER, 0.2)                     \
    X(decay_interval, decay_interval_ns, DURATION_POSITIVE, 1 * NS_PER_S) /* go DefaultDecayInterval */ \
    X(decay_to_zero, decay_to_zero, NUMBER, 0.01) /* go DefaultDecayToZero (rust: 0.1) */ \
    X(retain_score, retain_score_ns, DURATION, 3600 * NS_PER_S) /* rust: 1 hour */

/* Per topic (score_topic_params). */
#define SCORE_TOPIC_PARAMS(X)                                                                    \
    X(topic_weight, topic_weight, NUMBER, 0.5)                                                   \
    X(time_in_mesh_weight, time_in_mesh_weight, NUMBER, 1.0)                                     \
    X(time_in_mesh_quantum, time_in_mesh_quantum_ns, DURATION_POSITIVE, 1 * NS_PER_MS)     \
    X(time_in_mesh_cap, time_in_mesh_cap, NUMBER, 3600.0)                                        \
    X(first_message_deliveries_weight, first_message_deliveries_weight, NUMBER, 1.0)             \
    X(first_message_deliveries_decay, first_message_deliveries_decay, NUMBER, 0.5)               \
    X(first_message_deliveries_cap, first_message_deliveries_cap, NUMBER, 2000.0)                \
    X(mesh_message_deliveries_weight, mesh_message_deliveries_weight, NUMBER, -1.0)              \
    X(mesh_message_deliveries_decay, mesh_message_deliveries_decay, NUMBER, 0.5)                 \
    X(mesh_message_deliveries_cap, mesh_message_deliveries_cap, NUMBER, 100.0)                   \
    X(mesh_message_deliveries_threshold, mesh_message_deliveries_threshold, NUMBER, 20.0)        \
    X(mesh_message_deliveries_window, mesh_message_deliveries_window_ns, DURATION, 10 * NS_PER_MS) \
    X(mesh_message_deliveries_activation, mesh_message_deliveries_activation_ns, DURATION, 5 * NS_PER_S) \
    X(mesh_failure_penalty_weight, mesh_failure_penalty_weight, NUMBER, -1.0)                    \
    X(mesh_failure_penalty_decay, mesh_failure_penalty_decay, NUMBER, 0.5)                       \
    X(invalid_message_deliveries_weight, invalid_message_deliveries_weight, NUMBER, -1.0)        \
    X(invalid_message_deliveries_decay, invalid_message_deliveries_decay, NUMBER, 0.3)

/* What the router does with a score (score_thresholds). */
#define SCORE_THRESHOLDS(X)                          \
    X(gossip, gossip, NUMBER, -10.0)                 \
    X(publish, publish, NUMBER, -50.0)               \
    X(graylist, graylist, NUMBER, -80.0)             \
    X(accept_px, accept_px, NUMBER, 10.0)            \
    X(opportunistic_graft, opportunistic_graft, NUMBER, 20.0)

#define SCORE_PARAMS_RULES(RULE, GATED, PAIR, GATED_PAIR)                                                   \
    RULE(topic_score_cap, AT_LEAST_ZERO, "needs topic_score_cap >= 0 (0: no cap)")                         \
    RULE(app_specific_weight, AT_LEAST_ZERO, "needs app_specific_weight >= 0")                             \
    RULE(ip_colocation_factor_weight, AT_MOST_ZERO, "needs ip_colocation_factor_weight <= 0")              \
    GATED(ip_colocation_factor_threshold, AT_LEAST_ONE, "needs ip_colocation_factor_threshold >= 1",       \
          ip_colocation_factor_weight)                                                                     \
    RULE(behaviour_penalty_weight, AT_MOST_ZERO, "needs behaviour_penalty_weight <= 0")                    \
    GATED(behaviour_penalty_decay, DECAY, "needs 0 < decay < 1", behaviour_penalty_weight)                 \
    RULE(behaviour_penalty_threshold, AT_LEAST_ZERO, "needs behaviour_penalty_threshold >= 0")             \
    RULE(decay_interval_ns, NONZERO_NS, "must be longer than 0")                                           \
    RULE(decay_to_zero, DECAY, "needs 0 < decay_to_zero < 1")

#define SCORE_TOPIC_PARAMS_RULES(RULE, GATED, PAIR, GATED_PAIR)                                              \
    RULE(topic_weight, AT_LEAST_ZERO, "needs topic_weight >= 0")                                            \
    RULE(time_in_mesh_weight, AT_LEAST_ZERO, "needs time_in_mesh_weight >= 0")                              \
    RULE(first_message_deliveries_weight, AT_LEAST_ZERO, "needs first_message_deliveries_weight >= 0")      \
    RULE(mesh_message_deliveries_weight, AT_MOST_ZERO, "needs mesh_message_deliveries_weight <= 0")         \
    RULE(mesh_failure_penalty_weight, AT_MOST_ZERO, "needs mesh_failure_penalty_weight <= 0")               \
    RULE(invalid_message_deliveries_weight, AT_MOST_ZERO, "needs invalid_message_deliveries_weight <= 0")   \
    RULE(time_in_mesh_quantum_ns, NONZERO_NS, "must be longer than 0")                                      \
    GATED(time_in_mesh_cap, ABOVE_ZERO, "needs time_in_mesh_cap > 0", time_in_mesh_weight)                  \
    GATED(first_message_deliveries_decay, DECAY, "needs 0 < decay < 1", first_message_deliveries_weight)    \
    GATED(first_message_deliveries_cap, ABOVE_ZERO, "needs first_message_deliveries_cap > 0",               \
          first_message_deliveries_weight)                                                                  \
    GATED(mesh_message_deliveries_decay, DECAY, "needs 0 < decay < 1", mesh_message_deliveries_weight)      \
    GATED(mesh_message_deliveries_threshold, ABOVE_ZERO, "needs mesh_message_deliveries_threshold > 0",     \
          mesh_message_deliveries_weight)                                                                   \
    GATED_PAIR(mesh_message_deliveries_cap, AT_LEAST_OTHER,                                                 \
               "needs mesh_message_deliveries_cap >= mesh_message_deliveries_threshold",                    \
               mesh_message_deliveries_weight, mesh_message_deliveries_threshold)                           \
    GATED(mesh_failure_penalty_decay, DECAY, "needs 0 < decay < 1", mesh_failure_penalty_weight)            \
    GATED(invalid_message_deliveries_decay, DECAY, "needs 0 < decay < 1", invalid_message_deliveries_weight)

#define SCORE_THRESHOLDS_RULES(RULE, GATED, PAIR, GATED_PAIR)                                  \
    RULE(gossip, AT_MOST_ZERO, "needs graylist <= publish <= gossip <= 0")                    \
    PAIR(publish, AT_MOST_OTHER, "needs graylist <= publish <= gossip <= 0", gossip)          \
    PAIR(graylist, AT_MOST_OTHER, "needs graylist <= publish <= gossip <= 0", publish)        \
    RULE(accept_px, AT_LEAST_ZERO, "needs accept_px >= 0")                                    \
    RULE(opportunistic_graft, AT_LEAST_ZERO, "needs opportunistic_graft >= 0")

/* The sets, walkable (params.h); their names are their keys under
 * gossipsub's parameters. */
extern const param_set score_params_set;       /* "score" */
extern const param_set score_topic_params_set; /* "topic_score" */
extern const param_set score_thresholds_set;   /* "thresholds" */

#endif
