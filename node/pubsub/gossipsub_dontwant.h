/*
 * gossipsub_dontwant: the ids each peer told us (IDONTWANT, gossipsub-v1.2.md)
 * not to send it, for GOSSIPSUB_DONTWANT_TTL_HEARTBEATS heartbeats. Uses
 * gossipsub_state.h only.
 */
#ifndef SWARMLAB_GOSSIPSUB_DONTWANT_H
#define SWARMLAB_GOSSIPSUB_DONTWANT_H

#include "gossipsub_state.h"

/* Records an id for peer (within max_idontwant_messages a heartbeat). */
void gossipsub_dontwant_add(gossipsub *gs, gossipsub_peer *peer, uint64_t fingerprint);
/* Whether peer does not want the message. */
bool gossipsub_dontwant_has(const gossipsub_peer *peer, uint64_t fingerprint);
/* At a heartbeat: forgets ids past their time. */
void gossipsub_dontwant_expire(gossipsub *gs, gossipsub_peer *peer);

#endif
