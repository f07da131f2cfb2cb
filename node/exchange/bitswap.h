/*
 * bitswap: the Bitswap 1.2.0 exchange (ipfs/specs bitswap-protocol.md), the
 * block engine of a node, with no I/O of its own: the node hands it each
 * message a peer sends and gives it a host (below) to send, keep blocks
 * and disconnect through, as the pubsub core gets a pubsub_host.
 *
 * Server: each peer has a wantlist of at most BITSWAP_PEER_WANTS_MAX
 * entries, all peers together BITSWAP_WANTS_TOTAL_MAX (entries past either
 * are dropped unanswered). A want-have is answered HAVE, or DONT_HAVE when
 * the peer set sendDontHave; a want-block with the block (or DONT_HAVE); a
 * cancel removes the entry; a full wantlist replaces the peer's. Entries
 * we cannot answer yet stay, and a block that arrives later is sent to the
 * peers that want it. One answer is one message of at most
 * BITSWAP_MESSAGE_MAX_BYTES; what does not fit goes BITSWAP_RETRY_NS later.
 *
 * Client (bitswap_fetch): a want-have with sendDontHave goes to every
 * connected peer (and to each peer that connects while we wait); a
 * want-block goes to one peer at a time, the first to answer HAVE, then to
 * the next if it answers DONT_HAVE or goes. One block per peer in flight
 * keeps a block from coming n times; the price is a round trip more than
 * sending want-block to all. Every block that comes in is hashed: its
 * bytes and prefix must give the CID of a fetch that asked this peer, or a
 * CID just fetched (a late copy), else it is never stored and counts
 * against its sender, which is disconnected at BITSWAP_BAD_BLOCKS_MAX. A
 * fetch ends at BITSWAP_FETCH_TIMEOUT_NS with BLOCK_FETCH_TIMEOUT.
 *
 * A peer that said HAVE and then does not send the block within
 * BITSWAP_BLOCK_WAIT_NS withheld it: the block is asked of the next peer
 * that has it, and the withholding counts against the peer, which is
 * disconnected at BITSWAP_WITHHELD_MAX. With the host's no_penalties (the
 * lab's control, docs/attacks.md "Attackers on data") neither count ever
 * disconnects and a want-block waits for its answer until the fetch's
 * timeout, as before these penalties.
 */
#ifndef SWARMLAB_BITSWAP_H
#define SWARMLAB_BITSWAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/time_units.h"
#include "store/block.h"
#include "wire/bitswap_pb.h"

#define BITSWAP_PEER_WANTS_MAX 1024     /* entries one peer's wantlist holds */
#define BITSWAP_WANTS_TOTAL_MAX 65536   /* entries all peers' wantlists hold together */
#define BITSWAP_FETCHES_MAX 256         /* CIDs we fetch at once */
#define BITSWAP_FETCH_WAITERS_MAX 8     /* callbacks waiting on one CID */
#define BITSWAP_FETCH_ASKS_MAX 512      /* peers one fetch asks: every connection a node can have (CONNMGR_CONNECTIONS_MAX) */
#define BITSWAP_FETCH_TIMEOUT_NS (30 * NS_PER_S)
#define BITSWAP_RETRY_NS (100 * NS_PER_MS) /* answers that did not fit one message go this much later */
#define BITSWAP_BAD_BLOCKS_MAX 3        /* blocks not matching a CID we asked for; at this count: disconnected */
#define BITSWAP_RECENT_MAX 64           /* CIDs just fetched, whose late copies are no offence */
/* A want-block unanswered this long: the block was withheld. A 1 MiB
 * block must come at 1.7 Mbit/s or more not to count as withheld. */
#define BITSWAP_BLOCK_WAIT_NS (5 * NS_PER_S)
#define BITSWAP_WITHHELD_MAX 3          /* blocks a peer said it had and did not send; at this count: disconnected */

typedef struct bitswap bitswap;

typedef struct bitswap_host {
    void *user;
    uint64_t (*now_ns)(void *user);
    /* Sends one encoded message to peer (the node's connection handle):
     * 0, or -1 when it cannot go (no connection, no stream, back-pressure). */
    int (*send)(void *user, uint32_t peer, const uint8_t *msg, size_t len);
    /* The engine's one timer: bitswap_on_timer is due at deadline_ns. */
    void (*timer_set)(void *user, uint64_t deadline_ns);
    /* The node's store, checked: get appends a block whose hash matches c
     * (1), or 0 absent, -1 error; has 1, 0, -1; put 0 or -1. */
    int (*get)(void *user, const cid *c, buf *out);
    int (*has)(void *user, const cid *c);
    int (*put)(void *user, const cid *c, const uint8_t *data, size_t len);
    /* A peer sent a block that matches no CID we asked it for: its count
     * so far; disconnect says it reached BITSWAP_BAD_BLOCKS_MAX and must go. */
    void (*bad_block)(void *user, uint32_t peer, uint32_t count, size_t len, bool disconnect);
    /* A peer said HAVE and did not send the block in BITSWAP_BLOCK_WAIT_NS:
     * its count so far; disconnect as for bad_block. NULL: not told. */
    void (*withheld)(void *user, uint32_t peer, uint32_t count, bool disconnect);
    /* The lab's control: no want-block times out, no count disconnects. */
    bool no_penalties;
} bitswap_host;

/* NULL when memory runs out. The host is copied. */
bitswap *bitswap_create(const bitswap_host *host);
void bitswap_destroy(bitswap *b);

/* A connection is ready (peer is its handle): it gets our wants. 0 or -1. */
int bitswap_add_peer(bitswap *b, uint32_t peer);
/* It is gone: its wantlist goes, blocks asked of it are asked elsewhere. */
void bitswap_remove_peer(bitswap *b, uint32_t peer);
/* One message from peer. 0, or -1 when it is malformed (the node then
 * resets the stream). */
int bitswap_handle_message(bitswap *b, uint32_t peer, const uint8_t *msg, size_t len);
/* The timer armed through host->timer_set fired. */
void bitswap_on_timer(bitswap *b);
/* A block came into the store by other means (the node's put): peers that
 * want it get it. */
void bitswap_block_added(bitswap *b, const cid *c);

/* Fetches c; done fires once, at the latest after BITSWAP_FETCH_TIMEOUT_NS
 * (before this returns when the block is already kept). 0, or -1 when
 * BITSWAP_FETCHES_MAX fetches or BITSWAP_FETCH_WAITERS_MAX waiters on c run. */
int bitswap_fetch(bitswap *b, const cid *c, block_fetch_fn done, void *user);

/* For tests: the entries of peer's wantlist we hold (0 for unknown peers),
 * the fetches running, the bad blocks counted against peer. */
size_t bitswap_peer_wants(const bitswap *b, uint32_t peer);
size_t bitswap_fetches(const bitswap *b);
uint32_t bitswap_bad_blocks(const bitswap *b, uint32_t peer);
uint32_t bitswap_withheld(const bitswap *b, uint32_t peer);

#endif
