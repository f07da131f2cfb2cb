/*
 * gossipsub_send: the RPCs the router sends besides subscriptions: control
 * messages (GRAFT, PRUNE with its peer exchange, IHAVE, IWANT, IDONTWANT)
 * and cached messages. Uses gossipsub_state.h and gossipsub_scoring.h.
 */
#ifndef SWARMLAB_GOSSIPSUB_SEND_H
#define SWARMLAB_GOSSIPSUB_SEND_H

#include "gossipsub_state.h"

/* Puts the counts of a control part of control_bytes into a trace's shape. */
void gossipsub_shape_control(pubsub_rpc_shape *shape, const gossipsub_control *ctl, uint64_t control_bytes);
/* An RPC of control ctl (and nothing else) to a peer; nothing when empty. */
void gossipsub_send_control(gossipsub *gs, const gossipsub_peer *peer, const gossipsub_control *ctl);
void gossipsub_send_graft(gossipsub *gs, const gossipsub_peer *peer, const char *topic);
/* Appends a PRUNE for topic (state t, or NULL) to ctl: with a backoff for
 * v1.1 peers and, when px, other members' ids and records. */
void gossipsub_prune_add(gossipsub *gs, gossipsub_control *ctl, const gossipsub_peer *peer, pubsub_bytes topic,
                         const gossipsub_topic *t, uint64_t backoff_ns, bool px);
void gossipsub_send_prune(gossipsub *gs, const gossipsub_peer *peer, const gossipsub_topic *t,
                          uint64_t backoff_ns, bool px);
/* Sends one cached (encoded) Message as an RPC of its own. */
void gossipsub_send_encoded(gossipsub *gs, const gossipsub_peer *peer, const uint8_t *encoded, size_t len,
                            uint64_t payload_bytes);
/* IDONTWANT id to the v1.2 members of t but skip (the sender) and origin. */
void gossipsub_send_idontwant(gossipsub *gs, const gossipsub_topic *t, const uint8_t *id, size_t id_len,
                              const gossipsub_peer *skip, pubsub_bytes origin);

#endif
