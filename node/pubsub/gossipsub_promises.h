/*
 * gossipsub_promises: IWANT promises (gossipsub-v1.1.md "Spam Protection
 * Measures"): a peer that advertised an id in IHAVE and was asked for it
 * should deliver it within iwant_followup, else it pays P7. Kept only with
 * scoring. Uses gossipsub_state.h and gossipsub_scoring.h.
 */
#ifndef SWARMLAB_GOSSIPSUB_PROMISES_H
#define SWARMLAB_GOSSIPSUB_PROMISES_H

#include "gossipsub_state.h"

int gossipsub_promises_init(gossipsub *gs);
void gossipsub_promises_free(gossipsub *gs);
/* One of the ids asked of peer; a message that arrived; the heartbeat's
 * check of deadlines. */
void gossipsub_promise_add(gossipsub *gs, const gossipsub_peer *peer, const pubsub_bytes *ids, size_t count,
                           uint64_t now_ns);
void gossipsub_promise_kept(gossipsub *gs, uint64_t fingerprint);
void gossipsub_promises_expire(gossipsub *gs, uint64_t now_ns);

#endif
