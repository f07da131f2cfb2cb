/*
 * world: the virtual network, and the world's implementation of the seam.
 *
 * Hosts have IPv4 addresses (host i is 10.x.y.z with x.y.z = i + 1) and
 * run one real node each, listening on port 4001. Hosts may share an
 * address instead (world_config.ip_owner: Sybils behind one machine or
 * NAT): the hosts sharing host g's address listen on ports 4001, 4002, ...
 * in index order, and their peers see that one address (env remote_ip4,
 * which gossipsub's P6 counts). Connections between hosts are reliable, ordered
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
 *  - a dial that costs one round trip before the first byte flows; whether
 *    a process listens is decided when the SYN arrives: if none does (the
 *    host is down), the SYN gets an RST and the dial fails one round trip
 *    after it began, as connection refused;
 *  - partitions (world_add_partition), modelled as TCP sees a short outage:
 *    bytes, FINs and RSTs that leave while a partition separates the two
 *    hosts are held and retransmitted at RTT + 200 ms, then doubling up to
 *    2 min (Linux's timers); the first retransmission after the heal, or
 *    new data sent after it (fast retransmit, a round trip later), delivers
 *    them, in order; connections survive. A partition that outlasts TCP's
 *    15 retries (about 15 minutes) times the connection out on both ends.
 *    A SYN is retried at 1, 3, 7, 15, 31 and 63 s; a dial with no retry
 *    after the heal times out 127 s after it began (the node's own 10 s
 *    handshake timeout usually ends it first). The dialer's first bytes
 *    wait for the SYN-ACK in its socket: they hold up nothing else it sends.
 * A host that goes down resets all its connections; it comes back as a
 * fresh process with the same identity (its disk survives). Its disk also
 * keeps the last WORLD_REMEMBERED_PEERS_MAX hosts it was connected to
 * (world_remembered_peers), as a node's peer store would, and its blocks
 * (env store_*, blockstore.h): the synced ones survive a crash, those put
 * since the last sync do not.
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

#include "blockstore.h"
#include "kernel.h"
#include "netmodel.h"
#include "verify_memo.h"
#include "core/node.h"
#include "scenario/scenario.h"

#define WORLD_HOSTS_MAX SCENARIO_NODES_MAX
#define WORLD_SEGMENT_BYTES 1460
#define WORLD_CALLS_MAX 16
#define WORLD_REMEMBERED_PEERS_MAX 32 /* peers a host's disk remembers */
#define WORLD_PARTITIONS_MAX SCENARIO_PARTITIONS_MAX
#define WORLD_STORE_BYTES_DEFAULT (64u << 20) /* a host's block store, at most (world_config.store_bytes_max) */

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
    network_transport transport;        /* ideal: the model above; tcp: sim/world/tcp.h */
    bool tcp_no_idle_restart;           /* tcp: no slow start after idle (tcp_config's) */
    /* builtin: the model above; ns3: connections over ns-3's TCP/IP
     * (sim/ns3, docs/fidelity.md "The ns3 backend"): hosts, identities,
     * timers and traces stay the world's, transport is not used, and
     * partitions are not supported. At most one ns3 world at a time. */
    network_backend backend;
    router_choice router;               /* every node's pubsub router */
    const gossipsub_config *gossipsub;  /* its parameters (borrowed), for gossipsub */
    const pubsub_options *pubsub;       /* the core's options (borrowed), for either; NULL: defaults */
    const conn_limits *limits;          /* every node's connection limits (borrowed); NULL: defaults */
    world_trace_fn trace;
    void *trace_user;
    /* Regions and classes (borrowed; NULL: none): when it has regions, the
     * latency from host to host is its one-way matrix (asymmetric pairs
     * allowed) plus, per write, a jitter drawn uniformly up to the pair's;
     * when it has classes, each host's bandwidth is its class's, in place
     * of up_bps and down_bps. */
    const netmodel *net;
    /* Per host, the host whose address it uses: itself, or a lower index
     * whose owner is itself, with every host between them sharing it too.
     * NULL: every host its own. Copied. */
    const uint32_t *ip_owner;
    /* The verification memo (borrowed; verify_memo.h) that answers the
     * nodes' signature checks; NULL: each node checks its own. */
    verify_memo *verify_memo;
    /* Each host's identity seed, when given (test-plans' keys from the node
     * id: sim/lab/shadow.c); NULL: derived from seed and the host index. */
    void (*identity_seed)(void *user, uint32_t host, uint8_t seed[IDENTITY_SEED_BYTES]);
    void *identity_seed_user;
    /* Threads to run the hosts on (0 or 1: one). A world runs on fewer,
     * down to one, when it cannot be cut (world_threads says why):
     * docs/performance.md, "The parallel world". The trace, digest and
     * metrics are the same for every count. */
    uint32_t threads;
    /* Bytes of blocks each host's store holds at most (blockstore.h); 0:
     * WORLD_STORE_BYTES_DEFAULT. A put past it is refused. */
    size_t store_bytes_max;
    /* Each pubsub message a host's node delivers (node_callbacks'
     * on_message), with the host's index; NULL: none. Called on the
     * host's thread: a parallel world calls it for different hosts at
     * once, so it may touch only that host's state. */
    void (*on_message)(void *user, uint32_t host, const char *topic, const uint8_t *data, size_t len);
    void *on_message_user;
    /* Every node's node_config.bitswap_no_penalties: the lab's control for
     * the attackers on data (docs/attacks.md). Default false. */
    bool bitswap_no_penalties;
} world_config;

typedef struct world_stats {
    uint64_t bytes_written;   /* by every host, framing included */
    uint64_t connections_opened;
    uint64_t segments_lost;
    uint64_t events_pending_peak; /* the kernel's largest heap */
    /* The smallest delay from an event of one host to an event it caused
     * at another (kernel.h cross_min_ns): a parallel world's windows may
     * be at most this long. UINT64_MAX when no host reached another. */
    uint64_t cross_host_min_ns;
    /* Parallel: windows run, and the parts' thread CPU time in them, in
     * all and along the critical path (kernel.h busy_ns, critical_ns). */
    uint64_t windows, busy_ns, critical_ns;
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
uint32_t world_host_count(const world *w);
bool world_host_online(const world *w, uint32_t host);
/* The host's connections that are not closed at its end: established,
 * being upgraded, or dials in flight. 0 while it is down. */
size_t world_host_connections(const world *w, uint32_t host);
/* Whether a has such a connection with b (either side dialed). */
bool world_hosts_connected(const world *w, uint32_t a, uint32_t b);
/* The hosts host has been connected to, most recent first, at most cap
 * (and at most WORLD_REMEMBERED_PEERS_MAX); returns how many. */
size_t world_remembered_peers(const world *w, uint32_t host, uint32_t *out, size_t cap);
/* From at_ns to until_ns, hosts with different group[] values cannot reach
 * each other (group is copied, one byte per host). Partitions are added
 * in time order and do not overlap. 0, or -1 when memory runs out. */
int world_add_partition(world *w, uint64_t at_ns, uint64_t until_ns, const uint8_t *group);
/* Whether a and b can reach each other now. */
bool world_reachable(const world *w, uint32_t a, uint32_t b);
/* The node of an online host, else NULL. */
node *world_node(world *w, uint32_t host);
const peer_id *world_peer_id(const world *w, uint32_t host);
/* "/ip4/10.x.y.z/tcp/4001", with "/p2p/ID" when with_peer. */
const char *world_address(world *w, uint32_t host, bool with_peer);
/* The one-way latency from host a to host b, in ns (without jitter). */
uint64_t world_latency(world *w, uint32_t a, uint32_t b);
/* The same without regions, without a world: network.latency drawn once
 * per pair from a stream of its own (the testbed's links use it). */
uint64_t world_pair_latency(const dist *latency, uint64_t seed, uint32_t a, uint32_t b);
/* Host from dials to. 0 or -1 (host from offline, or already connected
 * to to). A dial to a host that is down fails later, as world.h says. */
int world_dial(world *w, uint32_t from, uint32_t to);

/* Registers fn for world_at; returns its slot. */
uint32_t world_register_call(world *w, world_call_fn fn, void *user);
void world_at(world *w, uint64_t time_ns, uint32_t slot, uint64_t arg);

/* Runs the world until until_ns; returns the events processed (the
 * kernel's: under ns3, ns-3's own events are not counted). */
uint64_t world_run(world *w, uint64_t until_ns);
uint64_t world_now(const world *w);
/* The threads the world runs on, and when fewer than asked, why (else ""). */
uint32_t world_threads(const world *w, const char **why);
/* The one-way latency no host pair is below (the parallel world's
 * lookahead); 0 when the latency distribution reaches zero. */
uint64_t world_min_latency(world *w);
uint64_t world_events_processed(const world *w);
void world_get_stats(const world *w, world_stats *out);

#endif
