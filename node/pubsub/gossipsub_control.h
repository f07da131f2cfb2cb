/*
 * gossipsub_control: what the router does with the control part of an RPC
 * (GRAFT, PRUNE, IHAVE, IWANT, IDONTWANT). Uses the state, scoring,
 * promises, IDONTWANT, mesh and send files; none of them uses it.
 */
#ifndef SWARMLAB_GOSSIPSUB_CONTROL_H
#define SWARMLAB_GOSSIPSUB_CONTROL_H

#include "gossipsub_state.h"

/* The decoded control of an RPC from peer, in gs->ctl_in. */
void gossipsub_handle_control(gossipsub *gs, gossipsub_peer *peer, uint64_t now_ns);

#endif
