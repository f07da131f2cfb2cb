/*
 * blocks: put, get, has, delete, sync and fetch of node.h, and the host of
 * the node's Bitswap engine (blocks.h).
 *
 * Every path into the store goes through a check: a put names the block by
 * its own hash, a read hands out only bytes that still match their CID (a
 * damaged disk is an error, not data), and a fetched block was hashed by
 * the engine before it gets here.
 */
#include "blocks.h"

#include <assert.h>
#include <string.h>

#include "connection.h"
#include "stream.h"

/* ---- the store, through the seam -------------------------------------- */

static bool node_has_store(const node *n) {
    const env *e = &n->env;
    return e->store_put != NULL && e->store_get != NULL && e->store_has != NULL && e->store_delete != NULL &&
           e->store_sync != NULL;
}

static int node_store_put(node *n, const cid *c, const uint8_t *data, size_t len) {
    uint8_t key[CID_BYTES_MAX];
    size_t key_len = cid_encode(c, key);
    return n->env.store_put(n->env.ctx, key, key_len, data, len) == 0 ? 0 : -1;
}

int node_block_put(node *n, uint64_t codec, const uint8_t *data, size_t len, cid *out) {
    if (!node_has_store(n) || len > STORE_BLOCK_MAX) return -1;
    if (codec != CID_CODEC_RAW && codec != CID_CODEC_DAG_PB) return -1;
    cid c;
    cid_of(&c, codec, data, len);
    if (node_store_put(n, &c, data, len) != 0) return -1;
    if (out != NULL) *out = c;
    bitswap_block_added(n->exchange, &c); /* peers waiting for it get it */
    return 0;
}

int node_block_get(node *n, const cid *c, buf *out) {
    if (!node_has_store(n)) return -1;
    uint8_t key[CID_BYTES_MAX];
    size_t key_len = cid_encode(c, key), at = out->len;
    int rc = n->env.store_get(n->env.ctx, key, key_len, out);
    if (rc != 1) return rc == 0 ? 0 : -1;
    if (out->len - at <= STORE_BLOCK_MAX && cid_matches(c, out->data + at, out->len - at)) return 1;
    buf_truncate(out, at);
    return -1;
}

int node_block_has(node *n, const cid *c) {
    if (!node_has_store(n)) return -1;
    uint8_t key[CID_BYTES_MAX];
    int rc = n->env.store_has(n->env.ctx, key, cid_encode(c, key));
    return rc == 1 || rc == 0 ? rc : -1;
}

int node_block_delete(node *n, const cid *c) {
    if (!node_has_store(n)) return -1;
    uint8_t key[CID_BYTES_MAX];
    return n->env.store_delete(n->env.ctx, key, cid_encode(c, key)) == 0 ? 0 : -1;
}

int node_block_sync(node *n) {
    if (!node_has_store(n)) return -1;
    return n->env.store_sync(n->env.ctx) == 0 ? 0 : -1;
}

int node_block_fetch(node *n, const cid *c, block_fetch_fn done, void *user) {
    if (!node_has_store(n) || done == NULL) return -1;
    return bitswap_fetch(n->exchange, c, done, user);
}

/* ---- the engine's host ------------------------------------------------ */

static uint64_t host_now(void *user) { return node_now(user); }

static conn *node_ready_conn(node *n, uint32_t handle) {
    for (size_t i = 0; i < n->conn_count; i++) {
        conn *c = n->conns[i];
        if (c->handle == handle) return c->closing || c->phase != CONN_READY ? NULL : c;
    }
    return NULL;
}

static int host_send(void *user, uint32_t peer, const uint8_t *msg, size_t len) {
    node *n = user;
    conn *c = node_ready_conn(n, peer);
    node_stream *s = c != NULL ? stream_bitswap_out(n, c) : NULL;
    if (s == NULL) return -1;
    /* A mute policy swallows the message: the engine believes it went. */
    if (n->policy != NULL && n->policy->drop_bitswap != NULL && n->policy->drop_bitswap(n->policy->user, msg, len))
        return 0;
    return stream_send_rewritten(n, c, s, msg, len, n->policy != NULL ? n->policy->rewrite_bitswap : NULL);
}

static void host_timer_set(void *user, uint64_t deadline_ns) {
    node *n = user;
    if (n->env.timer_set != NULL) n->env.timer_set(n->env.ctx, NODE_TIMER_ID(NODE_TIMER_BITSWAP, 0, 0), deadline_ns);
}

static int host_get(void *user, const cid *c, buf *out) { return node_block_get(user, c, out); }
static int host_has(void *user, const cid *c) { return node_block_has(user, c); }
static int host_put(void *user, const cid *c, const uint8_t *data, size_t len) {
    return node_has_store(user) ? node_store_put(user, c, data, len) : -1;
}

/* Traced as reject_block; at BITSWAP_BAD_BLOCKS_MAX the peer goes. */
static void host_bad_block(void *user, uint32_t peer, uint32_t count, size_t len, bool disconnect) {
    node *n = user;
    conn *c = node_ready_conn(n, peer);
    (void)count;
    if (c == NULL) return;
    const char *reason = disconnect ? "block does not match a CID we asked for: disconnected"
                                    : "block does not match a CID we asked for";
    trace_event e = {.kind = TRACE_REJECT_BLOCK, .peer = c->noise.remote.bytes, .peer_len = c->noise.remote.len,
                     .size_bytes = len, .reason = reason};
    node_trace(n, &e);
    if (disconnect) conn_close(n, c, "bitswap: blocks that do not match their CID");
}

/* Traced as reject_block (of no bytes); at BITSWAP_WITHHELD_MAX the peer goes. */
static void host_withheld(void *user, uint32_t peer, uint32_t count, bool disconnect) {
    node *n = user;
    conn *c = node_ready_conn(n, peer);
    (void)count;
    if (c == NULL) return;
    const char *reason = disconnect ? "said HAVE and sent no block: disconnected" : "said HAVE and sent no block";
    trace_event e = {.kind = TRACE_REJECT_BLOCK, .peer = c->noise.remote.bytes, .peer_len = c->noise.remote.len,
                     .reason = reason};
    node_trace(n, &e);
    if (disconnect) conn_close(n, c, "bitswap: blocks promised and withheld");
}

bitswap *node_blocks_create(node *n, bool no_penalties) {
    bitswap_host host = {.user = n, .now_ns = host_now, .send = host_send, .timer_set = host_timer_set,
                         .get = host_get, .has = host_has, .put = host_put, .bad_block = host_bad_block,
                         .withheld = host_withheld, .no_penalties = no_penalties};
    return bitswap_create(&host);
}
