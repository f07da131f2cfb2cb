/*
 * connection: the upgrade of one connection, as libp2p does it.
 *
 *   multistream-select /noise  ->  Noise XX  ->  multistream-select
 *   /yamux/1.0.0 (encrypted)  ->  yamux, whose streams the layer above
 *   (node->upper: stream.c) serves.
 *
 * Bytes from the runtime go in through conn_receive; each phase consumes
 * what is its own and hands the rest to the next phase, because a peer may
 * send the first bytes of the next layer in the same segment.
 */
#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "connection.h"

#define NOISE_PROTOCOL "/noise"

/* Hands the shared wire scratch to c's connection. Every append to it is
 * followed by this call before anything else runs, so the scratch never
 * holds bytes of two connections. */
static void conn_write_wire(node *n, conn *c) {
    if (c->closing) buf_clear(&n->wire);
    if (n->wire.len == 0) return;
    if (n->env.write(n->env.ctx, c->conn_id, n->wire.data, n->wire.len) != 0)
        conn_close(n, c, "write failed");
    buf_clear(&n->wire);
    buf_shrink_if_empty(&n->wire, NODE_CONN_BUF_KEEP);
}

void conn_flush(node *n, conn *c) {
    if (c->closing || c->phase < CONN_MUXER_NEGOTIATION) return;
    if (c->phase == CONN_READY && c->mux.out.len > 0) {
        if (noise_channel_send(&c->noise, c->mux.out.data, c->mux.out.len, &n->wire) != 0) {
            buf_clear(&n->wire);
            conn_close(n, c, "encryption failed");
            return;
        }
        buf_clear(&c->mux.out);
        buf_shrink_if_empty(&c->mux.out, NODE_CONN_BUF_KEEP);
    }
    conn_write_wire(n, c);
}

uint32_t conn_remote_ip4(node *n, conn *c) {
    return n->env.remote_ip4 != NULL ? n->env.remote_ip4(n->env.ctx, c->conn_id) : 0;
}

/* Doubles the node's connection table; 0 or -1. */
static int conn_table_grow(node *n) {
    size_t cap = n->conn_cap ? n->conn_cap * 2 : 8;
    conn **conns = realloc(n->conns, cap * sizeof *conns);
    if (conns != NULL) n->conns = conns;
    uint64_t *ids = realloc(n->conn_ids, cap * sizeof *ids);
    if (ids != NULL) n->conn_ids = ids;
    uint32_t *handles = realloc(n->conn_handles, cap * sizeof *handles);
    if (handles != NULL) n->conn_handles = handles;
    if (conns == NULL || ids == NULL || handles == NULL) return -1;
    n->conn_cap = cap;
    return 0;
}

/* What the table holds, for a newcomer from ip4 (0: unknown). */
static conn_census conn_count_table(const node *n, uint32_t ip4) {
    conn_census census = {0};
    for (size_t i = 0; i < n->conn_count; i++) {
        const conn *c = n->conns[i];
        census.total++;
        if (c->outbound) {
            census.outbound++;
            continue;
        }
        census.inbound++;
        if (c->phase != CONN_READY) census.inbound_handshakes++;
        if (ip4 != 0 && c->ip4 == ip4) census.same_ip4++;
    }
    return census;
}

const char *conn_admit(node *n, bool outbound, uint64_t conn_id) {
    uint32_t ip4 = outbound || n->env.remote_ip4 == NULL ? 0 : n->env.remote_ip4(n->env.ctx, conn_id);
    conn_census census = conn_count_table(n, ip4);
    const char *refused = connmgr_admit(&n->limits, &census, outbound, ip4 != 0);
    if (refused != NULL) {
        trace_event event = {.kind = TRACE_REMOVE_PEER, .reason = refused};
        node_trace(n, &event);
    }
    return refused;
}

conn *conn_create(node *n, uint64_t conn_id, bool outbound) {
    if (n->conn_count >= n->limits.connections_max) return NULL;
    if (n->conn_count == n->conn_cap && conn_table_grow(n) != 0) return NULL;
    conn *c = calloc(1, sizeof *c);
    mss *m = malloc(sizeof *m);
    if (c == NULL || m == NULL) {
        free(c);
        free(m);
        return NULL;
    }
    c->owner = n;
    c->conn_id = conn_id;
    c->handle = n->next_handle++ & 0xffffffu; /* 24 bits: timer ids carry it */
    c->outbound = outbound;
    c->ip4 = outbound || n->env.remote_ip4 == NULL ? 0 : n->env.remote_ip4(n->env.ctx, conn_id);
    c->last_recv_ns = node_now(n);
    c->phase = CONN_SECURITY_NEGOTIATION;
    c->negotiation = m;
    n->conns[n->conn_count] = c;
    n->conn_ids[n->conn_count] = conn_id;
    n->conn_handles[n->conn_count] = c->handle;
    n->conn_count++;
    static const char *const security[] = {NOISE_PROTOCOL};
    if (outbound)
        mss_init_initiator(m, security, 1);
    else
        mss_init_responder(m, security, 1);
    if (mss_start(m, &n->wire) != 0) conn_close(n, c, "negotiation output overflow");
    conn_write_wire(n, c);
    if (n->env.timer_set != NULL)
        n->env.timer_set(n->env.ctx, NODE_TIMER_ID(NODE_TIMER_HANDSHAKE, c->handle, 0),
                         node_now(n) + n->limits.handshake_timeout_ns);
    return c;
}

void conn_close(node *n, conn *c, const char *reason) {
    if (c->closing) return;
    c->closing = true;
    n->closing_count++;
    c->close_reason = reason;
}

/* What identify told us of the peer (stream.c fills it in). */
static void peer_info_free(peer_info *info) {
    free(info->record);
    info->record = NULL;
    free(info->agent);
    for (size_t i = 0; i < info->protocol_count; i++) free(info->protocols[i]);
    memset(info, 0, sizeof *info);
}

void conn_destroy(node *n, conn *c) {
    assert(c->closing);
    bool was_ready = c->phase == CONN_READY;
    if (was_ready) {
        trace_event event = {.kind = TRACE_REMOVE_PEER, .peer = c->noise.remote.bytes,
                             .peer_len = c->noise.remote.len, .reason = c->close_reason};
        if (c->pubsub_added) pubsub_remove_peer_because(n->router.core, c->handle, c->limit_closed ? c->close_reason : NULL);
        else node_trace(n, &event);
        n->upper->on_teardown(n, c);
        yamux_free(&c->mux);
    }
    if (!c->closed_by_peer) n->env.close(n->env.ctx, c->conn_id);
    if (was_ready) node_notify_peer(n, &c->noise.remote, false);
    if (c->phase >= CONN_HANDSHAKE) noise_channel_free(&c->noise);
    peer_info_free(&c->info);
    free(c->negotiation);
    free(c->streams);
    free(c->stream_ids);
    free(c);
}

/* ---- phases ----------------------------------------------------------- */

static void conn_start_handshake(node *n, conn *c) {
    uint8_t ephemeral[NOISE_KEY_BYTES];
    n->env.random(n->env.ctx, ephemeral, sizeof ephemeral);
    noise_channel_init(&c->noise, c->outbound, &n->id, n->noise_static, ephemeral);
    sodium_memzero(ephemeral, sizeof ephemeral);
    c->phase = CONN_HANDSHAKE;
    if (noise_channel_start(&c->noise, &n->wire) != 0) conn_close(n, c, "noise start failed");
}

/* Multistream for /noise, in the clear. Returns the bytes consumed. */
static size_t conn_negotiate_security(node *n, conn *c, const uint8_t *bytes, size_t len) {
    size_t consumed = 0;
    mss_status status = mss_feed(c->negotiation, bytes, len, &consumed, &n->wire);
    if (status == MSS_FAILED) conn_close(n, c, "security negotiation failed");
    if (status == MSS_DONE) conn_start_handshake(n, c);
    conn_write_wire(n, c);
    return consumed;
}

/* Of two connections between the same peers, both sides keep the one
 * dialed by the peer with the smaller id; of two dialed by the same peer,
 * the older. */
static bool conn_is_duplicate(node *n, conn *c) {
    for (size_t i = 0; i < n->conn_count; i++) {
        conn *other = n->conns[i];
        if (other == c || other->closing || other->phase < CONN_MUXER_NEGOTIATION) continue;
        if (!peer_id_equal(&other->noise.remote, &c->noise.remote)) continue;
        if (other->outbound == c->outbound) return true;
        const peer_id *dialer_c = c->outbound ? &n->self : &c->noise.remote;
        const peer_id *dialer_other = other->outbound ? &n->self : &other->noise.remote;
        size_t len = dialer_c->len < dialer_other->len ? dialer_c->len : dialer_other->len;
        int order = memcmp(dialer_c->bytes, dialer_other->bytes, len);
        if (order > 0 || (order == 0 && dialer_c->len > dialer_other->len)) return true;
        conn_close(n, other, "duplicate connection");
        return false;
    }
    return false;
}

static void conn_on_secured(node *n, conn *c) {
    if (c->expect_peer && !peer_id_equal(&c->expected, &c->noise.remote)) {
        conn_close(n, c, "peer id does not match the dialed address");
        return;
    }
    if (peer_id_equal(&c->noise.remote, &n->self)) {
        conn_close(n, c, "connected to self");
        return;
    }
    if (conn_is_duplicate(n, c)) {
        conn_close(n, c, "duplicate connection");
        return;
    }
    static const char *const muxers[] = {YAMUX_PROTOCOL};
    c->phase = CONN_MUXER_NEGOTIATION;
    if (c->outbound)
        mss_init_initiator(c->negotiation, muxers, 1);
    else
        mss_init_responder(c->negotiation, muxers, 1);
    buf start;
    buf_init(&start, MSS_MESSAGE_MAX * 2);
    if (mss_start(c->negotiation, &start) != 0 ||
        noise_channel_send(&c->noise, start.data, start.len, &n->wire) != 0)
        conn_close(n, c, "muxer negotiation failed");
    buf_free(&start);
    conn_write_wire(n, c);
}

static void conn_on_ready(node *n, conn *c) {
    free(c->negotiation);
    c->negotiation = NULL;
    if (yamux_init(&c->mux, c->outbound, n->upper->on_yamux_event, c) != 0) {
        conn_close(n, c, "out of memory");
        return;
    }
    c->mux.user = c;
    c->phase = CONN_READY;
    c->streams = NULL;
    c->ready_ns = node_now(n);
    n->trim_due = true;
    if (n->env.timer_cancel != NULL)
        n->env.timer_cancel(n->env.ctx, NODE_TIMER_ID(NODE_TIMER_HANDSHAKE, c->handle, 0));
    node_notify_peer(n, &c->noise.remote, true);
    if (!c->closing) n->upper->on_ready(n, c);
}

/* Decrypted bytes: the muxer negotiation, then yamux frames. */
static void conn_receive_plain(node *n, conn *c, const uint8_t *bytes, size_t len) {
    if (c->phase == CONN_MUXER_NEGOTIATION) {
        buf reply;
        buf_init(&reply, MSS_MESSAGE_MAX * 2);
        size_t consumed = 0;
        mss_status status = mss_feed(c->negotiation, bytes, len, &consumed, &reply);
        if (reply.len > 0 && noise_channel_send(&c->noise, reply.data, reply.len, &n->wire) != 0)
            status = MSS_FAILED;
        buf_free(&reply);
        conn_write_wire(n, c);
        if (status == MSS_FAILED) {
            conn_close(n, c, "muxer negotiation failed");
            return;
        }
        if (status == MSS_PENDING) return;
        conn_on_ready(n, c);
        bytes += consumed;
        len -= consumed;
    }
    if (len == 0 || c->closing) return;
    assert(c->phase == CONN_READY);
    n->depth++;
    int rc = yamux_feed(&c->mux, bytes, len);
    n->depth--;
    if (rc != 0) {
        conn_flush(n, c); /* the Go Away explains the close to the peer */
        conn_close(n, c, c->mux.error != NULL ? c->mux.error : "yamux protocol error");
    }
}

void conn_receive(node *n, conn *c, const uint8_t *bytes, size_t len) {
    c->last_recv_ns = node_now(n);
    if (c->phase == CONN_SECURITY_NEGOTIATION) {
        size_t consumed = conn_negotiate_security(n, c, bytes, len);
        bytes += consumed;
        len -= consumed;
    }
    if (len == 0 || c->closing) return;
    assert(c->phase >= CONN_HANDSHAKE);
    bool was_handshaking = c->noise.state == NOISE_CHANNEL_HANDSHAKE;
    buf_clear(&n->plain);
    if (noise_channel_feed(&c->noise, bytes, len, &n->wire, &n->plain) != 0) {
        buf_clear(&n->wire);
        conn_close(n, c, c->noise.error != NULL ? c->noise.error : "noise failed");
        return;
    }
    conn_write_wire(n, c);
    if (was_handshaking && c->noise.state == NOISE_CHANNEL_OPEN) conn_on_secured(n, c);
    if (c->closing) return;
    if (n->plain.len > 0) conn_receive_plain(n, c, n->plain.data, n->plain.len);
    buf_clear(&n->plain);
    buf_shrink_if_empty(&n->plain, NODE_CONN_BUF_KEEP);
    conn_flush(n, c);
}
