/*
 * gossipsub_mesh: choosing peers and changing a mesh: random candidates
 * for a mesh, fanout or gossip, and joining or leaving a mesh with its
 * trace and score. Uses gossipsub_state.h and gossipsub_scoring.h.
 */
#ifndef SWARMLAB_GOSSIPSUB_MESH_H
#define SWARMLAB_GOSSIPSUB_MESH_H

#include "gossipsub_state.h"

/* Fisher-Yates with config.random. */
void gossipsub_shuffle(gossipsub *gs, uint32_t *handles, size_t count);
/* Candidates: peers subscribed to t, not members, not explicit, not backed
 * off (when exclude_backoff), with a score of at least min_score (any score
 * without scoring), shuffled; written to gs->scratch_handles. */
size_t gossipsub_candidates(gossipsub *gs, const gossipsub_topic *t, uint64_t now_ns, bool exclude_backoff,
                            double min_score);

void gossipsub_trace_mesh(gossipsub *gs, trace_kind kind, const char *topic, const gossipsub_peer *peer);
/* The mesh of a subscribed topic: membership with its trace and score. */
bool gossipsub_mesh_join(gossipsub *gs, gossipsub_topic *t, const gossipsub_peer *peer, uint64_t now_ns);
bool gossipsub_mesh_leave(gossipsub *gs, gossipsub_topic *t, const gossipsub_peer *peer, uint64_t now_ns);

#endif
