/*
 * replicate: r copies of each block, placed by rendezvous hashing and
 * repaired when a holder is gone longer than a grace time (issue 18;
 * docs/data.md "The swarm's data: replication and availability").
 *
 * No I/O and no clock of its own: it works through the node's API
 * (node.h: blocks, Bitswap fetches, custom protocol streams, dials), and
 * the embedder passes the time in and calls replicate_tick by the deadline
 * it returns (the lab from its event queue, a daemon from its loop).
 *
 * Who holds a block. The embedder gives the peers this node knows (a
 * directory: peer id and dialable address). Every peer is ranked for a CID
 * by its rendezvous weight, the first 8 bytes (big-endian) of
 * BLAKE2b-256(binary CID || peer id bytes): highest random weight first.
 * A put keeps the block locally and places it on the first r peers of the
 * ranking, itself left out. Every node ranks the same peers the same way,
 * so a getter finds the holders without asking anyone, and two holders
 * repairing the same loss choose the same new holder.
 *
 * Placing: a stream of /swarmlab/replicate/1.0.0 to the chosen peer
 * carrying one message (below); the peer then fetches the block with
 * Bitswap from whoever has it (the placer is connected to it, so at least
 * the placer). A pull rather than a push: Bitswap already bounds and
 * hash-checks what comes in, and a peer that has the block fetches
 * nothing. The message, uvarint-length-prefixed on the stream:
 *
 *     kind (1: place, 2: repair) || cid_len (1) || binary CID
 *       || count (1, at most REPLICATE_HOLDERS_MAX)
 *       || count x (id_len (1) || peer id bytes)     every holder, the sender too
 *
 * Anything else (a bad kind, CID, count or length, trailing bytes) closes
 * that stream and changes nothing.
 *
 * Repair: every holder that was told the holder list (the placer, the
 * placed) checks the others at each tick: a holder connected now is seen
 * now; one not connected is dialed (at most once per REPLICATE_REDIAL_NS);
 * one not seen for longer than the grace time is gone, and is replaced by
 * the next peer of the ranking that is not a holder, which is sent a
 * repair message. A holder this node has never seen connected is given up
 * the same way after REPLICATE_PLACE_TIMEOUT_NS (or the grace, if shorter):
 * a peer offline when it is chosen is skipped in seconds, not kept as a
 * copy nobody has for a whole grace.
 *
 * A get: the local store; else a Bitswap fetch (node_block_fetch asks
 * every connected peer, and those that connect while it runs) and dials to
 * the first r + REPLICATE_GET_EXTRA peers of the ranking. The block a get
 * brought is deleted again unless this node holds it: a get is a read, not
 * another copy.
 *
 * Records of what this node holds live in memory: a node that restarts
 * keeps its synced blocks (the store) and serves them, but repairs nothing
 * until it is placed again.
 */
#ifndef SWARMLAB_REPLICATE_H
#define SWARMLAB_REPLICATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time_units.h"
#include "core/node.h"
#include "crypto/identity.h"
#include "store/cid.h"

#define REPLICATE_PROTOCOL "/swarmlab/replicate/1.0.0"
#define REPLICATE_R_MAX 8                           /* copies besides the putter's */
#define REPLICATE_HOLDERS_MAX (REPLICATE_R_MAX + 1) /* in a record, the putter too */
#define REPLICATE_RECORDS_MAX 1024                  /* blocks one node keeps records of */
#define REPLICATE_PEERS_MAX 4096                    /* the directory */
#define REPLICATE_ADDR_MAX 128                      /* a directory entry's multiaddr */
#define REPLICATE_GETS_MAX 256                      /* gets in flight */
#define REPLICATE_SENDS_MAX 64                      /* messages waiting for their stream to open */
#define REPLICATE_GET_EXTRA 2                       /* ranked peers a get dials beyond r */
#define REPLICATE_DIALS_PER_TICK 16                 /* dials one tick starts */
#define REPLICATE_RANK_MAX 32                       /* peers one ranking returns */
#define REPLICATE_TICK_NS (1 * NS_PER_S)
#define REPLICATE_REDIAL_NS (2 * NS_PER_S)          /* between two dials of one holder */
#define REPLICATE_PLACE_TIMEOUT_NS (5 * NS_PER_S)   /* a holder never reached is replaced after this */
/* kind, cid_len, CID, count, and each holder's length and bytes */
#define REPLICATE_MESSAGE_MAX (3 + CID_BYTES_MAX + REPLICATE_HOLDERS_MAX * (1 + PEER_ID_MAX_BYTES))

enum { REPLICATE_PLACE = 1, REPLICATE_REPAIR = 2 };

/* A peer this node knows. */
typedef struct replicate_peer {
    peer_id id;
    char addr[REPLICATE_ADDR_MAX]; /* /ip4/.../tcp/.../p2p/ID, what node_dial takes */
} replicate_peer;

typedef struct replicate_config {
    node *node;                  /* borrowed; registers REPLICATE_PROTOCOL on it */
    const replicate_peer *peers; /* borrowed: the directory, this node may be in it */
    size_t peer_count;           /* at most REPLICATE_PEERS_MAX */
    uint32_t replication;        /* r, 1..REPLICATE_R_MAX */
    uint64_t grace_ns;           /* a holder unseen this long is replaced; > 0 */
} replicate_config;

/* What this node did; bytes are block bytes plus message bytes. */
typedef struct replicate_stats {
    uint64_t places_sent, repairs_sent;   /* messages we sent */
    uint64_t placed, repaired;            /* blocks we fetched because we were told to */
    uint64_t place_bytes, repair_bytes;   /* their bytes, and those of the messages we sent */
    uint64_t holders_gone;                /* holders we declared gone */
    uint64_t bad_messages;                /* streams closed for a malformed message */
} replicate_stats;

typedef struct replicate replicate;

/* Called once: whether the block arrived (its hash checked). */
typedef void (*replicate_get_fn)(void *user, const cid *c, bool ok);

/* NULL when memory runs out, the config is unusable or the protocol
 * cannot be registered. */
replicate *replicate_create(const replicate_config *config);
/* Touches no node: may come after node_destroy. Gets still running on a
 * live node must be let finish first (their callbacks point here). */
void replicate_destroy(replicate *r);

/* Keeps data as a raw block (node_block_put, then a sync), and places it on
 * the first r peers of its ranking. 0 with *out, or -1 (store refused it,
 * too many records). */
int replicate_put(replicate *r, uint64_t now_ns, const uint8_t *data, size_t len, cid *out);
/* The block c: done is called once, before this returns when the block is
 * here. 0, or -1 (too many gets, no store). */
int replicate_get(replicate *r, const cid *c, replicate_get_fn done, void *user);
/* Checks holders, repairs, sends what waits. Returns when to call next. */
uint64_t replicate_tick(replicate *r, uint64_t now_ns);

/* The holders this node's record of c names (itself not among them): how
 * many were written to out, 0 without a record. */
size_t replicate_holders(const replicate *r, const cid *c, peer_id *out, size_t cap);
void replicate_get_stats(const replicate *r, replicate_stats *out);

/* The rendezvous ranking: the indices of the k peers of highest weight for
 * c, highest first, skipping skip (NULL: none). Returns how many (at most
 * k, at most count). */
size_t replicate_rank(const cid *c, const replicate_peer *peers, size_t count, const peer_id *skip, size_t k,
                      uint32_t *out);
/* The weight itself. */
uint64_t replicate_weight(const cid *c, const peer_id *peer);

#endif
