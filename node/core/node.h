/*
 * node: a libp2p peer with no I/O of its own.
 *
 * A node is created with an environment (env.h) through which it reads the
 * time, draws randomness, dials, writes and traces. The runtime that owns
 * the environment feeds events back in with the node_on_* functions below.
 *
 * Every connection is upgraded as libp2p does it: multistream-select picks
 * /noise, Noise XX authenticates the peer, multistream-select picks
 * /yamux/1.0.0, and every yamux stream then negotiates its own protocol:
 * /ipfs/ping/1.0.0, /ipfs/id/1.0.0, /floodsub/1.0.0, /ipfs/bitswap/1.2.0,
 * or one the application registered with node_register_protocol().
 *
 * Contract with the runtime: env->write, env->close and env->dial never call
 * back into the node synchronously; the runtime delivers their effects
 * later, through its own event loop.
 */
#ifndef SWARMLAB_NODE_H
#define SWARMLAB_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connmgr.h"
#include "env.h"
#include "base/time_units.h"
#include "crypto/identity.h"
#include "pubsub/router.h"
#include "store/block.h"

#define NODE_CONNECTIONS_MAX CONNMGR_CONNECTIONS_MAX /* open connections per node, at most */
#define NODE_PROTOCOLS_MAX 16             /* custom protocols per node */
#define NODE_TOPICS_MAX 64                /* topics a node subscribes to */
#define NODE_STREAM_MESSAGE_MAX (1u << 20) /* largest length-prefixed message on a stream */
#define NODE_PEER_BUFFER_MAX (4u << 20)   /* bytes buffered per connection, each way */
#define NODE_HANDSHAKE_TIMEOUT_NS CONNMGR_HANDSHAKE_TIMEOUT_NS /* the default */
#define NODE_PING_TIMEOUT_NS (10 * NS_PER_S)
#define NODE_CONN_BUF_KEEP (16u << 10) /* storage a connection's drained buffers keep (buf_shrink_if_empty) */
#define NODE_PUBSUB_REOPENS_MAX 4 /* new pubsub streams a connection gets after ours is lost */
#define NODE_LISTENERS_MAX 4     /* node_add_listener: the modules above the node (node/data) */
#define NODE_APP_TIMERS_MAX 16   /* node_timer_set: their timers, pending at once */
#define NODE_AGENT_VERSION "swarmlab/0.1"
#define NODE_PROTOCOL_VERSION "ipfs/0.1.0"

typedef struct node node;

/* A stream of a custom protocol, as the application sees it. */
typedef uint64_t node_stream_handle;

typedef struct node_protocol_ops {
    /* A stream of this protocol opened, by us (inbound false) or the peer. */
    void (*on_open)(void *user, node *n, node_stream_handle stream, const peer_id *peer,
                    bool inbound);
    /* One whole message arrived (messages are uvarint-length-prefixed). */
    void (*on_message)(void *user, node *n, node_stream_handle stream, const peer_id *peer,
                       const uint8_t *data, size_t len);
    /* The stream is gone (closed by either side, reset, or its connection lost). */
    void (*on_close)(void *user, node *n, node_stream_handle stream);
} node_protocol_ops;

typedef struct node_callbacks {
    void *user;
    /* A pubsub message for a subscribed topic, delivered once. */
    void (*on_message)(void *user, const char *topic, const peer_id *from, const uint8_t *data,
                       size_t len);
    /* A peer finished the upgrade (multistream, Noise, yamux). */
    void (*on_peer_connected)(void *user, const peer_id *peer);
    void (*on_peer_disconnected)(void *user, const peer_id *peer);
    /* Identify from a peer arrived; node_peer_supports() now answers for it. */
    void (*on_peer_identified)(void *user, const peer_id *peer);
    /* A ping finished: rtt_ns, or ok false after a timeout or failure. */
    void (*on_ping)(void *user, const peer_id *peer, bool ok, uint64_t rtt_ns);
} node_callbacks;

/* The narrow hooks through which a policy changes what the real node does:
 * attackers are this node with a malicious policy, never a second
 * implementation of the protocol. */
typedef struct node_policy {
    void *user;
    /* Sees every pubsub RPC before it is sent and may rewrite its bytes in
     * place (a forger flips a byte of a signed message, say). */
    void (*rewrite_rpc)(void *user, uint8_t *rpc, size_t len);
    /* Whether the router relays other peers' messages now (forwards them,
     * serves them to IWANT); NULL: always. A censor answers false. */
    bool (*relay)(void *user);
    /* Sees every pubsub RPC a peer sends, before the router reads it (a
     * replayer keeps messages to send again later). NULL: none. */
    void (*observe_rpc)(void *user, const peer_id *peer, const uint8_t *rpc, size_t len);
    /* Sees every Bitswap message before it is sent and may rewrite its
     * bytes in place (a liar corrupts the blocks it serves). NULL: none. */
    void (*rewrite_bitswap)(void *user, uint8_t *msg, size_t len);
    /* Whether a Bitswap message about to be sent is dropped instead (a
     * mute holder answers nothing). NULL: none is. */
    bool (*drop_bitswap)(void *user, const uint8_t *msg, size_t len);
} node_policy;

typedef struct node_config {
    const env *env;
    /* The identity: from this seed, or drawn from env->random when NULL. */
    const uint8_t *identity_seed;
    node_callbacks callbacks;
    /* The pubsub router: floodsub (the default), or gossipsub with these
     * parameters (NULL: the spec's defaults; the random field is the node's). */
    router_choice router;
    const gossipsub_config *gossipsub;
    /* The pubsub core's options, for either router (NULL: the defaults:
     * the seen cache's memory budget, no seqno validator). */
    const pubsub_options *pubsub;
    /* The connection limits (connmgr.h; copied, checked by node_create);
     * NULL: connmgr_limits_default. */
    const conn_limits *limits;
    /* The lab's control (docs/attacks.md "Attackers on data"): Bitswap
     * neither gives up on a peer that withholds a block it said it had nor
     * disconnects one that sends bad blocks (bitswap.h). Default false. */
    bool bitswap_no_penalties;
} node_config;

/* Returns NULL when memory runs out or the limits are unusable
 * (connmgr_limits_check). */
node *node_create(const node_config *config);
/* Installs a policy (borrowed; NULL removes it). */
void node_set_policy(node *n, const node_policy *policy);
/* Closes every connection (through env->close) and frees the node. */
void node_destroy(node *n);

const peer_id *node_id(const node *n);
int node_listen(node *n, const char *multiaddr);
/* Dials a /ip4/A.B.C.D/tcp/PORT[/p2p/ID] address. When the address names a
 * peer, a different peer answering is disconnected. 0 or -1. */
int node_dial(node *n, const char *multiaddr);
/* Closes the connection to peer, if any. */
void node_disconnect(node *n, const peer_id *peer);
/* The ids of the connected peers (upgrade finished), at most cap of them;
 * returns how many were written. */
size_t node_peers(const node *n, peer_id *out, size_t cap);
/* An attacker's hook, beside node_policy: sends rpc, an encoded pubsub RPC
 * of the attacker's making, on the pubsub stream to a connected peer, as the
 * router's own RPCs go (and through rewrite_rpc), and traces it as send_rpc
 * (size, messages, payload). 0, or -1 when the peer has no pubsub stream.
 * Honest code never calls it. */
int node_pubsub_send_raw(node *n, const peer_id *peer, const uint8_t *rpc, size_t len);
size_t node_peer_count(const node *n);
bool node_is_connected(const node *n, const peer_id *peer);

/* Runtime entry points. */
void node_on_connection(node *n, uint64_t conn_id, bool outbound);
void node_on_bytes(node *n, uint64_t conn_id, const uint8_t *bytes, size_t len);
void node_on_closed(node *n, uint64_t conn_id);
void node_on_timer(node *n, uint64_t timer_id);

/* Pubsub (floodsub). Each returns 0 or -1. */
int node_subscribe(node *n, const char *topic);
int node_unsubscribe(node *n, const char *topic);
int node_publish(node *n, const char *topic, const uint8_t *data, size_t len);

/* Ping: the answer comes through callbacks.on_ping. */
int node_ping(node *n, const peer_id *peer);

/* Identify: whether peer announced protocol in its identify message. */
bool node_peer_supports(const node *n, const peer_id *peer, const char *protocol);
/* The agent version peer announced, or NULL before identify. */
const char *node_peer_agent(const node *n, const peer_id *peer);

/* Blocks (issue 17; docs/data.md "Bitswap"), kept through the env's
 * store_* ops; each returns -1 when the env has none. put names data by
 * its CIDv1 under codec (CID_CODEC_RAW or CID_CODEC_DAG_PB; others -1),
 * refuses more than STORE_BLOCK_MAX bytes, keeps it (durable after the
 * next sync) and serves it to peers that want it: 0 with *out, or -1.
 * get appends the block to out and returns 1, 0 when absent, -1 on error
 * (a block read back that no longer matches its CID is an error). has: 1,
 * 0 or -1. delete: 0 (also when absent) or -1. sync: 0 or -1. */
int node_block_put(node *n, uint64_t codec, const uint8_t *data, size_t len, cid *out);
int node_block_get(node *n, const cid *c, struct buf *out);
int node_block_has(node *n, const cid *c);
int node_block_delete(node *n, const cid *c);
int node_block_sync(node *n);
/* Fetches c from connected peers over Bitswap (node/exchange/bitswap.h),
 * keeps it, and calls done once: with the block, its hash checked, or
 * BLOCK_FETCH_TIMEOUT after BITSWAP_FETCH_TIMEOUT_NS. A block kept already
 * calls done before this returns; a fetch still running when the node is
 * destroyed never calls it. 0, or -1 (no store, too many fetches). */
int node_block_fetch(node *n, const cid *c, block_fetch_fn done, void *user);

/* For the modules built on the node (node/data: announce, query), which
 * live at least as long as their node and never touch it after
 * node_destroy. */

/* Our signed peer record (a sealed envelope, crypto/peer_record.h), the one
 * identify sends: its length, 0 before a listen address; *record stays
 * valid until the next node_listen. */
size_t node_peer_record(node *n, const uint8_t **record);
/* Another observer of messages and peers beside config.callbacks (borrowed;
 * its on_message, on_peer_connected and on_peer_disconnected are called
 * after the node's own, the others are not). Listeners are not told of the
 * disconnections node_destroy makes. 0, or -1 when NODE_LISTENERS_MAX are
 * in place. */
int node_add_listener(node *n, const node_callbacks *listener);
/* A module's timer: fn runs once at at_ns (the env's clock), from
 * node_on_timer. Returns its slot (>= 0), or -1 when NODE_APP_TIMERS_MAX
 * are pending or the env has no timers. cancel: a slot not pending is
 * ignored. */
typedef void (*node_timer_fn)(void *user, node *n);
int node_timer_set(node *n, uint64_t at_ns, node_timer_fn fn, void *user);
void node_timer_cancel(node *n, int slot);
/* The env's clock, in ns. */
uint64_t node_time_ns(const node *n);

/* Custom protocols. register: 0 or -1 (too many, duplicate, bad name). */
int node_register_protocol(node *n, const char *name, const node_protocol_ops *ops, void *user);
/* Opens a stream to a connected peer; on_open follows once the peer
 * accepted the protocol. 0 with *stream, or -1. */
int node_open_stream(node *n, const peer_id *peer, const char *protocol, node_stream_handle *stream);
/* Sends one message (length-prefixed on the wire). 0 or -1. */
int node_stream_send(node *n, node_stream_handle stream, const uint8_t *data, size_t len);
/* Half-closes our side; the peer sees the end of the stream. */
int node_stream_close(node *n, node_stream_handle stream);

#endif
