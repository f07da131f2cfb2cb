/*
 * interop_run: what every runtime needs to run a test-plans gossipsub-interop
 * script (interop_params.h) on one node, shared by the daemon
 * (node/posix/daemon_interop.c, real clock and sockets) and the world
 * (sim/lab/shadow.c, virtual clock): the node's configuration from the
 * script, the order in which its instructions run, the bytes a publish
 * sends, and the spec's JSON lines ("PeerID", "Received Message").
 * Pure: no clock, no I/O; times come in as nanoseconds since 1970, lines go
 * out through a callback.
 */
#ifndef SWARMLAB_INTEROP_RUN_H
#define SWARMLAB_INTEROP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "crypto/identity.h"
#include "interop_params.h"
#include "pubsub/gossipsub.h"
#include "pubsub/pubsub.h"
#include "wire/pubsub_pb.h"

/* One JSON line, the topic escaped (6 bytes a byte at worst). */
#define INTEROP_LINE_MAX (PUBSUB_TOPIC_MAX * 6 + 1024)
/* 2000-01-01T00:00:00Z in ns since 1970: where Shadow's clock starts. */
#define INTEROP_SHADOW_EPOCH_NS 946684800000000000ull

/* The configuration of node_id under script (read from path, for the
 * messages): go's defaults (interop_gossipsub_default) with the first
 * initGossipSub that runs on that node (*init, NULL without one), the
 * first-8-bytes message id, StrictNoSign, and the validation delay of every
 * setTopicValidationDelay that runs there (the last one for a topic wins)
 * into *pubsub. 0, or -1 with err filled ("PATH: line N: ...", or
 * "PATH: what is wrong"). */
int interop_node_config(const interop_script *script, uint32_t node_id, const char *path, gossipsub_config *gossip,
                        pubsub_options *pubsub, const interop_instruction **init, char *err, size_t cap);

/* The next instruction node_id runs, elapsed_ns after its start, from the
 * top-level instruction *next on (advanced past it): NULL when a waitUntil
 * is not due yet (*due_ns: its elapsed time; *next stays on it) or at the
 * end (*due_ns UINT64_MAX). Never a waitUntil or an ifNodeIDEquals. */
const interop_instruction *interop_next(const interop_script *script, size_t *next, uint32_t node_id,
                                        uint64_t elapsed_ns, uint64_t *due_ns);

/* A publish's data: message_bytes bytes, message_id big-endian in the
 * first 8, zeros after. Freed with free; NULL when memory runs out. */
uint8_t *interop_message_data(const interop_instruction *publish);

/* Receives one JSON line, its newline included. */
typedef void (*interop_line_fn)(void *user, const uint8_t *line, size_t len);

/* The "PeerID" line of the node (line: a scratch buffer). */
void interop_line_peer_id(buf *line, uint64_t unix_ns, const peer_id *id, uint32_t node_id, interop_line_fn emit,
                          void *user);
/* A "Received Message" line for every message of the pubsub RPC
 * rpc[0..len) from peer that has an id (8 bytes of data at least),
 * duplicates included; scratch holds the decoded RPC. Returns the lines, or
 * -1 when the RPC does not decode. */
int interop_lines_received(buf *line, pubsub_rpc *scratch, uint64_t unix_ns, const peer_id *from, const uint8_t *rpc,
                           size_t len, interop_line_fn emit, void *user);

#endif
