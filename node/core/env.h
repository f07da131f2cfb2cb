/*
 * env: the seam between the node core and the world it runs in.
 *
 * The node never calls the operating system for time, randomness or I/O.
 * Everything it needs from outside goes through this struct of function
 * pointers and its context pointer (the shape of SQLite's VFS). Three
 * runtimes implement it: node/posix/runtime.c (real sockets),
 * sim/world/world.c (the virtual world) and tests/support/memnet.c (in
 * memory, for the unit tests). The runtime calls back into the node through
 * the node_on_* functions of node.h.
 *
 * Connections are identified by ids the runtime chooses; they are reliable,
 * ordered byte streams, like TCP.
 */
#ifndef SWARMLAB_ENV_H
#define SWARMLAB_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

struct buf; /* node/base/buf.h */

typedef struct env {
    void *ctx;

    /* Time: nanoseconds on a monotonic clock. */
    uint64_t (*now_ns)(void *ctx);
    /* Arms (or re-arms) the node's timer timer_id to fire at deadline_ns;
     * the runtime then calls node_on_timer(node, timer_id) once. */
    void (*timer_set)(void *ctx, uint64_t timer_id, uint64_t deadline_ns);
    void (*timer_cancel)(void *ctx, uint64_t timer_id);
    /* Calendar time (Unix epoch, ns), or NULL where there is none (the
     * world). Only seeds the pubsub sequence number, which go and rust
     * libp2p and kubo expect to grow across a peer's restarts. */
    uint64_t (*unix_time_ns)(void *ctx);

    /* Streams. listen and dial return 0 or -1. A dial that succeeds later
     * reports node_on_connection(outbound=1) with *conn_id, or
     * node_on_closed(conn_id) if it fails. */
    int (*listen)(void *ctx, const char *multiaddr);
    int (*dial)(void *ctx, const char *multiaddr, uint64_t *conn_id);
    /* Queues bytes for the peer; 0, or -1 if the connection is gone. */
    int (*write)(void *ctx, uint64_t conn_id, const uint8_t *bytes, size_t len);
    /* Closes the connection; the runtime does not call node_on_closed for a
     * close the node asked for. */
    void (*close)(void *ctx, uint64_t conn_id);

    /* Randomness: fills buf. In the world this is a deterministic stream
     * derived from the scenario seed and the node index. */
    void (*random)(void *ctx, uint8_t *buf, size_t len);

    /* Trace: one structured event (see trace.h). May be NULL. */
    void (*trace)(void *ctx, const trace_event *event);

    /* The IPv4 address (host order) the connection's remote end comes
     * from, 0 when unknown or not IPv4. May be NULL. Scoring's P6 (IP
     * colocation) counts peers per address. */
    uint32_t (*remote_ip4)(void *ctx, uint64_t conn_id);

    /* Checks an Ed25519 signature of a pubsub message: 0 when sig is
     * public_key's valid signature of msg, else -1. May be NULL: the node
     * then checks it itself (node/crypto/ed25519_verify.h), as the daemon
     * does. A runtime that sets it must answer exactly as ed25519_verify
     * would; the world answers from its verification memo, which remembers
     * the verdicts of identical checks (sim/world/verify_memo.h). The node
     * asks for every message it verifies and acts on the answer. */
    int (*verify_ed25519)(void *ctx, const uint8_t public_key[32], const uint8_t *msg, size_t len,
                          const uint8_t sig[64]);

    /* Block storage (issue 17; node/store). All five may be NULL: the
     * node then keeps no blocks. A key is a binary CID (node/store/cid.h),
     * a value one block of at most STORE_BLOCK_MAX bytes whose hash the node
     * has checked. put returns 0, or -1 when the store refuses (full, a
     * failing disk). A put is durable once a later sync has returned 0:
     * the world forgets unsynced puts when a host crashes, and the daemon
     * syncs before it acknowledges a put. get appends the block to out and
     * returns 1, or 0 when absent, -1 on error; has returns 1, 0 or -1;
     * delete returns 0 (also when absent) or -1. */
    int (*store_put)(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *val, size_t len);
    int (*store_get)(void *ctx, const uint8_t *key, size_t key_len, struct buf *out);
    int (*store_has)(void *ctx, const uint8_t *key, size_t key_len);
    int (*store_delete)(void *ctx, const uint8_t *key, size_t key_len);
    int (*store_sync)(void *ctx);
} env;

#endif
