/*
 * gossipsub_scoring: the router's glue to score.c (gossipsub-v1.1.md "Peer
 * Scoring"): a peer's score and the thresholds, P7 penalties, decay, and
 * the peer_score snapshots. Without config.scoring every score is 0 and
 * nothing is kept. Uses gossipsub_state.h only.
 */
#ifndef SWARMLAB_GOSSIPSUB_SCORING_H
#define SWARMLAB_GOSSIPSUB_SCORING_H

#include "gossipsub_state.h"

double gossipsub_score_of(const gossipsub *gs, const gossipsub_peer *peer, uint64_t now_ns);
bool gossipsub_score_below(const gossipsub *gs, const gossipsub_peer *peer, double threshold, uint64_t now_ns);
void gossipsub_penalize(gossipsub *gs, const gossipsub_peer *peer, double count);
int gossipsub_scoring_init(gossipsub *gs, uint64_t now_ns);
void gossipsub_scoring_free(gossipsub *gs);
/* At a heartbeat: decay, before anything reads scores. */
void gossipsub_scoring_decay(gossipsub *gs, uint64_t now_ns);
/* At a heartbeat: a peer_score event per peer when a snapshot is due. */
void gossipsub_scoring_sample(gossipsub *gs, uint64_t now_ns);

#endif
