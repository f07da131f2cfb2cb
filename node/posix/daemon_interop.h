/*
 * daemon_interop: swarmlab-node --params params.json, libp2p test-plans'
 * gossipsub-interop implementation spec (test-specs/implementation.md;
 * docs/gossipsub-interop.md). It reads the script (interop_params.h),
 * takes the node id from --node-id or the hostname nodeN, derives the
 * Ed25519 key from it (the id little-endian in the seed's first 8 bytes,
 * the rest 0), configures gossipsub from the node's initGossipSub (onto
 * go-libp2p-pubsub's defaults), StrictNoSign, the first-8-bytes message id
 * and the topics' validation delays, then runs the instructions in order on
 * the daemon's loop: a waitUntil arms a timer and the loop serves the
 * network meanwhile. Standard output carries only the spec's JSON lines:
 * "PeerID" at start and "Received Message" for every message of every RPC
 * a peer sends, duplicates included. The daemon stops when the script ends.
 */
#ifndef SWARMLAB_DAEMON_INTEROP_H
#define SWARMLAB_DAEMON_INTEROP_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

#define DAEMON_INTEROP_PORT_DEFAULT 9000

/* Before the node exists: reads and checks the params file and the node
 * id; fills seed with the node's key seed, *gossip with its gossipsub
 * parameters, and the daemon's pubsub options and listen address. 0, or
 * the exit code with err filled (1: a bad or unreadable file, or no node
 * id). */
int daemon_interop_prepare(daemon_state *d, uint8_t seed[32], gossipsub_config *gossip, char *err, size_t cap);
/* Once the node listens: prints PeerID, watches received RPCs, and runs the
 * script up to its first wait. 0, or the exit code with err filled. */
int daemon_interop_start(daemon_state *d, char *err, size_t cap);
void daemon_interop_stop(daemon_state *d);

#endif
