/*
 * node_internal: the node's private structures, shared by the three files
 * of the core, which call each other in one direction only:
 *
 *   node.c        lifecycle, the runtime entry points, the public API (node.h)
 *     |  calls down into both
 *   stream.c      the protocols on a ready connection's yamux streams (stream.h)
 *     |  calls down
 *   connection.c  the upgrade of one connection: multistream, Noise,
 *                 multistream, yamux (connection.h)
 *
 * connection.c reaches the streams above it only through the small
 * interface conn_upper (connection.h), which node.c installs (stream.c's
 * stream_layer), as env.h is the seam through which the node reaches its
 * runtime.
 * The structures stay together here because each layer reads its owner's
 * fields (a stream its connection's yamux, a connection the node's scratch
 * buffers); what one file may call of another is in that file's header.
 * tests/check-cycles.sh keeps the calls one-way.
 * Nothing outside node/core includes this.
 */
#ifndef SWARMLAB_NODE_INTERNAL_H
#define SWARMLAB_NODE_INTERNAL_H

#include "base/buf.h"
#include "exchange/bitswap.h"
#include "base/lp_reader.h"
#include "pubsub/floodsub.h"
#include "wire/identify_pb.h"
#include "transport/mss.h"
#include "node.h"
#include "transport/noise.h"
#include "crypto/peer_record.h"
#include "transport/yamux.h"

#define PING_PROTOCOL "/ipfs/ping/1.0.0"
#define PING_PAYLOAD_BYTES 32
#define YAMUX_PROTOCOL "/yamux/1.0.0"
#define NODE_LISTEN_ADDRS_MAX 8
#define NODE_STREAMS_PER_CONN_MAX YAMUX_STREAMS_MAX
#define NODE_PEER_PROTOCOLS_MAX 64 /* protocols remembered from a peer's identify */

/* Timer ids carry their kind in the top byte, the connection's handle
 * below it, and for pings the stream id in the low 32 bits. */
enum node_timer_kind { NODE_TIMER_HANDSHAKE = 1, NODE_TIMER_PING = 2, NODE_TIMER_HEARTBEAT = 3, NODE_TIMER_VALIDATION = 4,
                       NODE_TIMER_BITSWAP = 5, NODE_TIMER_APP = 6 };
#define NODE_TIMER_ID(kind, handle, low) (((uint64_t)(kind) << 56) | ((uint64_t)(handle) << 32) | (uint64_t)(low))

typedef enum conn_phase {
    CONN_SECURITY_NEGOTIATION, /* multistream-select for /noise */
    CONN_HANDSHAKE,            /* Noise XX */
    CONN_MUXER_NEGOTIATION,    /* multistream-select for /yamux/1.0.0, encrypted */
    CONN_READY,                /* yamux streams flow */
} conn_phase;

typedef enum stream_kind {
    STREAM_NEGOTIATING,
    STREAM_PING,
    STREAM_IDENTIFY,
    STREAM_PUBSUB,
    STREAM_CUSTOM,
    STREAM_BITSWAP,
} stream_kind;

typedef struct node_stream {
    uint32_t id; /* the yamux stream id */
    bool outbound;
    stream_kind kind;
    int custom_index; /* STREAM_CUSTOM: index into node->protocols */
    mss *negotiation; /* while STREAM_NEGOTIATING */
    lp_reader reader; /* splits the stream's bytes into length-prefixed messages */
    size_t message_max; /* its largest message: NODE_STREAM_MESSAGE_MAX, Bitswap's BITSWAP_MESSAGE_MAX_BYTES */
    buf pending;      /* outbound bytes written before negotiation finished */
    bool ping_waiting;
    uint64_t ping_sent_ns;
    uint8_t ping_payload[PING_PAYLOAD_BYTES];
    uint8_t ping_echo[PING_PAYLOAD_BYTES]; /* the echo so far */
    size_t ping_echo_len;
} node_stream;

typedef struct peer_info {
    bool identified;
    uint8_t *record; /* its signed peer record (an envelope) as it came, unchecked; NULL if none */
    size_t record_len;
    char *agent;
    char *protocols[NODE_PEER_PROTOCOLS_MAX];
    size_t protocol_count;
} peer_info;

typedef struct conn {
    node *owner;
    uint64_t conn_id; /* the runtime's id */
    uint32_t handle;  /* ours: unique in the node's life, never reused */
    bool outbound;
    bool closing;        /* torn down at the end of the current entry point */
    bool closed_by_peer; /* the runtime reported the close: do not call env->close */
    const char *close_reason;
    conn_phase phase;
    mss *negotiation; /* CONN_SECURITY_NEGOTIATION and CONN_MUXER_NEGOTIATION */
    noise_channel noise;
    yamux_session mux;
    bool expect_peer;
    peer_id expected;
    bool px_dial; /* we dialled it because a PRUNE suggested it (peer exchange) */
    node_stream **streams;
    uint32_t *stream_ids; /* streams[i]->id, side by side: lookups read one small array */
    size_t stream_count, stream_cap;
    bool pubsub_added; /* the router knows this peer */
    uint32_t pubsub_out; /* our stream for pubsub RPCs */
    bool has_pubsub_out;
    uint32_t pubsub_reopens; /* new pubsub streams after ours was lost */
    uint32_t bitswap_out; /* our stream for Bitswap messages, opened at the first */
    bool has_bitswap_out;
    bool bitswap_refused; /* the peer refused Bitswap: nothing more is sent it */
    peer_info info;
    /* For the connection limits (connmgr.h): the remote address of an
     * inbound connection (0: unknown, or outbound), when the upgrade
     * finished and when bytes last came; limit_closed: the connection
     * manager closed it, and its remove_peer says why. */
    uint32_t ip4;
    uint64_t ready_ns, last_recv_ns;
    bool limit_closed;
} conn;

typedef struct node_protocol {
    char *name;
    node_protocol_ops ops;
    void *user;
} node_protocol;

struct node {
    env env;
    node_callbacks callbacks;
    const node_callbacks *listeners[NODE_LISTENERS_MAX]; /* node_add_listener */
    size_t listener_count;
    struct node_app_timer {
        node_timer_fn fn; /* NULL: the slot is free */
        void *user;
    } app_timers[NODE_APP_TIMERS_MAX];
    const node_policy *policy;
    identity id;
    peer_id self;
    uint8_t noise_static[NOISE_KEY_BYTES];
    conn **conns;
    /* The runtime's id and our handle of conns[i], side by side, so that the
     * lookup on every arriving segment reads one small array instead of
     * chasing a pointer per connection. */
    uint64_t *conn_ids;
    uint32_t *conn_handles;
    size_t conn_count, conn_cap;
    uint32_t next_handle;
    int depth; /* nesting of entry points: connections are reaped at depth 0 */
    size_t closing_count; /* connections marked closing: reaping has work only when > 0 */
    /* Scratch shared by all connections, so that it stays in cache: wire
     * holds ciphertext only until it is handed to env->write (right after
     * each append), plain holds the decrypted bytes of one arrival. */
    buf wire;
    buf plain;
    buf message; /* scratch: one length-prefixed message being sent */
    pubsub_router router;
    bitswap *exchange; /* blocks: the Bitswap engine (node/exchange), on the env's store */
    const struct conn_upper *upper; /* the stream layer, which connection.c calls up through */
    node_protocol protocols[NODE_PROTOCOLS_MAX];
    size_t protocol_count;
    const char *supported[NODE_PROTOCOLS_MAX + 3 + ROUTER_PROTOCOLS_MAX]; /* for the stream responder */
    size_t supported_count;
    char *listen_addrs[NODE_LISTEN_ADDRS_MAX];
    size_t listen_count;
    /* Our signed peer record (identify, PX), sealed again when the listen
     * addresses change. */
    uint8_t record[PEER_RECORD_ENVELOPE_MAX];
    size_t record_len;
    bool record_stale;
    conn_limits limits;
    bool trim_due; /* a connection became ready since the last look at high_water */
    /* PX dials (conn.px_dial) still upgrading may number at most this:
     * gossipsub's px_dials_in_flight, a budget apart from the connection
     * table's. */
    int px_dials_max;
};

/* Two accessors of the environment that every layer uses. */
static inline uint64_t node_now(const node *n) { return n->env.now_ns(n->env.ctx); }

static inline void node_trace(node *n, trace_event *event) {
    if (n->env.trace == NULL) return;
    event->time_ns = node_now(n);
    n->env.trace(n->env.ctx, event);
}

/* A peer finished its upgrade, or a ready one is gone: the callbacks, then
 * the listeners. */
static inline void node_notify_peer(node *n, const peer_id *peer, bool connected) {
    void (*own)(void *, const peer_id *) = connected ? n->callbacks.on_peer_connected : n->callbacks.on_peer_disconnected;
    if (own != NULL) own(n->callbacks.user, peer);
    for (size_t i = 0; i < n->listener_count; i++) {
        const node_callbacks *l = n->listeners[i];
        void (*fn)(void *, const peer_id *) = connected ? l->on_peer_connected : l->on_peer_disconnected;
        if (fn != NULL) fn(l->user, peer);
    }
}

#endif
