/*
 * memnet: an in-memory implementation of the environment seam for tests.
 *
 * Nodes live at /ip4/10.0.0.(i+1)/tcp/4001. Every byte written reaches the
 * other end after a constant one-way latency, in order; a dial costs one
 * round trip. Time is virtual and advances only from event to event, and
 * every node's randomness is a ChaCha20 stream keyed by the seed and the
 * node's index, so a test run is the same every time. libsodium's global
 * randombytes is replaced by one that aborts: the node must never reach it.
 * Each node keeps its blocks in the world's in-memory blockstore.
 */
#ifndef SWARMLAB_MEMNET_H
#define SWARMLAB_MEMNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/node.h"

#define MEMNET_NODES_MAX 64
#define MEMNET_STORE_BYTES (16u << 20) /* each node's block store (the world's blockstore, in memory) */
#define MEMNET_IP4(index) (0x0a000000u | ((uint32_t)(index) + 1)) /* a node's address, host order */

typedef struct memnet memnet;

/* One recorded trace event, with its fields copied. */
typedef struct memnet_trace {
    trace_kind kind;
    uint64_t time_ns;
    uint32_t node_index;
    uint8_t msg_id[96];
    size_t msg_id_len;
    char topic[64];
    peer_id peer;
    uint64_t size_bytes;
    char reason[96];
} memnet_trace;

/* Initialises libsodium, then installs the aborting randombytes. */
void memnet_forbid_global_randomness(void);
memnet *memnet_create(uint64_t seed, uint64_t latency_ns);
void memnet_destroy(memnet *net);
/* Nodes added from now on run this pubsub router (floodsub by default). */
void memnet_set_router(memnet *net, router_choice choice);
/* Nodes added from now on run with these connection limits (copied;
 * NULL: the node's defaults). */
void memnet_set_limits(memnet *net, const conn_limits *limits);
/* Adds a node that listens at its address; returns its index. */
size_t memnet_add_node(memnet *net, const node_callbacks *callbacks);
node *memnet_node(memnet *net, size_t index);
/* The address of a node, with /p2p/ID when with_peer. */
const char *memnet_address(memnet *net, size_t index, bool with_peer);
/* Node a dials node b. 0 or -1. */
int memnet_dial(memnet *net, size_t a, size_t b);
/* Runs events until none is left before until_ns or max_events ran;
 * returns the number of events processed. */
size_t memnet_run(memnet *net, uint64_t until_ns, size_t max_events);
uint64_t memnet_now(const memnet *net);
/* A raw connection into node target from outside any node, for hostile
 * input: returns a handle for memnet_raw_write, or -1. */
int memnet_raw_open(memnet *net, size_t target);
/* As memnet_raw_open, from IPv4 address ip4 (host order; 0: unknown). */
int memnet_raw_open_from(memnet *net, size_t target, uint32_t ip4);
int memnet_raw_write(memnet *net, int raw, const uint8_t *bytes, size_t len);
/* Whether the node closed the raw connection. */
bool memnet_raw_closed(const memnet *net, int raw);
const memnet_trace *memnet_traces(const memnet *net, size_t *count);
size_t memnet_count_traces(const memnet *net, trace_kind kind, int node_index);
/* How many connections node index has dialled so far. */
size_t memnet_dials(const memnet *net, size_t index);
/* How many bytes of randomness all nodes drew through the seam. */
uint64_t memnet_random_bytes_drawn(const memnet *net);

#endif
