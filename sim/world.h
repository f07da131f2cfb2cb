/*
 * world: the virtual network, and the world's implementation of the seam.
 *
 * Hosts have IPv4 addresses (host i is 10.x.y.z with x.y.z = i + 1) and
 * run one real node each. Connections between hosts are reliable, ordered
 * byte streams with:
 *  - a one-way latency per host pair, drawn once per pair from the
 *    scenario's distribution (a stream seeded by the pair, so it does not
 *    depend on the order of dials);
 *  - per-host upload and download bandwidth: bytes queue on the sender's
 *    uplink, take len/up to leave, and len/down to arrive through the
 *    receiver's downlink (cut-through: an idle path costs latency plus the
 *    serialization at the slower of the two);
 *  - loss, as retransmission delay: each 1460-byte segment is lost with
 *    the loss probability and then arrives one round trip later, holding
 *    back the bytes behind it, as TCP does;
 *  - a dial that costs one round trip before the first byte flows.
 * A host that goes down resets all its connections; it comes back as a
 * fresh process with the same identity (its disk survives).
 *
 * Every host's randomness is a ChaCha20 stream keyed by the seed, the host
 * index and the incarnation; libsodium's global randombytes is replaced by
 * one that aborts (world_forbid_global_randomness).
 */
#ifndef SWARMLAB_WORLD_H
#define SWARMLAB_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"
#include "node.h"
#include "scenario.h"

#define WORLD_HOSTS_MAX SCENARIO_NODES_MAX
#define WORLD_SEGMENT_BYTES 1460
#define WORLD_CALLS_MAX 16

typedef struct world world;

/* Receives every trace event, time and node index stamped. */
typedef void (*world_trace_fn)(void *user, const trace_event *event);
/* A callback the runner schedules on the world's clock. */
typedef void (*world_call_fn)(void *user, uint64_t arg);

typedef struct world_config {
    uint32_t host_count;
    uint64_t seed;
    dist latency;
    uint64_t up_bps, down_bps; /* 0: unlimited */
    double loss;
    router_choice router;               /* every node's pubsub router */
    const gossipsub_config *gossipsub;  /* its parameters (borrowed), for gossipsub */
    world_trace_fn trace;
    void *trace_user;
} world_config;

typedef struct world_stats {
    uint64_t bytes_written;   /* by every host, framing included */
    uint64_t connections_opened;
    uint64_t segments_lost;
    uint64_t events_pending_peak; /* the kernel's largest heap */
} world_stats;

/* Initialises libsodium, then makes its global randombytes abort. */
void world_forbid_global_randomness(void);

world *world_create(const world_config *config);
void world_destroy(world *w);

/* Starts host's node (a fresh process; same identity every time); emits
 * node_up. 0, or -1 if it is already up. */
int world_host_up(world *w, uint32_t host);
/* Fails host: resets its connections and ends its process; emits node_down. */
void world_host_down(world *w, uint32_t host);
bool world_host_online(const world *w, uint32_t host);
/* The node of an online host, else NULL. */
node *world_node(world *w, uint32_t host);
const peer_id *world_peer_id(const world *w, uint32_t host);
/* "/ip4/10.x.y.z/tcp/4001", with "/p2p/ID" when with_peer. */
const char *world_address(world *w, uint32_t host, bool with_peer);
/* The one-way latency between two hosts, in ns. */
uint64_t world_latency(world *w, uint32_t a, uint32_t b);
/* Host from dials to. 0 or -1 (host from offline). */
int world_dial(world *w, uint32_t from, uint32_t to);

/* Registers fn for world_at; returns its slot. */
uint32_t world_register_call(world *w, world_call_fn fn, void *user);
void world_at(world *w, uint64_t time_ns, uint32_t slot, uint64_t arg);

/* Runs the world until until_ns; returns the events processed. */
uint64_t world_run(world *w, uint64_t until_ns);
uint64_t world_now(const world *w);
uint64_t world_events_processed(const world *w);
void world_get_stats(const world *w, world_stats *out);

#endif
