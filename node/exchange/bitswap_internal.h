/*
 * bitswap_internal: the engine's structures, shared by its four files,
 * which call each other in one direction only:
 *
 *   bitswap.c         the entry points (bitswap.h): dispatch, timer, peers
 *     |  calls down into both
 *   bitswap_client.c  our fetches: want-have, want-block, blocks that come
 *     |  calls down (a fetched block is served to peers that want it)
 *   bitswap_server.c  peers' wantlists and our answers
 *     |  calls down
 *   bitswap_send.c    the peer table, and building and sending messages
 *
 * Nothing outside node/exchange includes this.
 */
#ifndef SWARMLAB_BITSWAP_INTERNAL_H
#define SWARMLAB_BITSWAP_INTERNAL_H

#include "bitswap.h"

/* One entry of a peer's wantlist. */
typedef struct bs_entry {
    cid c;
    int32_t priority;
    uint8_t want_type;   /* enum bitswap_want_type */
    bool send_dont_have;
    bool answered;       /* DONT_HAVE (or nothing) went out; a block arriving later reopens it */
    uint8_t outcome;     /* while an answer is built: what it will be once sent (bitswap_server.c) */
} bs_entry;

typedef struct bs_peer {
    uint32_t handle;
    bs_entry *entries;
    size_t entry_count, entry_cap;
    uint32_t bad_blocks;
    uint32_t withheld; /* blocks it said it had and did not send */
    bool backlog; /* entries left unanswered for want of room in one message */
} bs_peer;

/* Where one fetch stands with one peer. */
enum bs_ask_state { ASK_HAVE_SENT, ASK_HAS, ASK_DONT_HAVE, ASK_BLOCK_SENT, ASK_GONE };

typedef struct bs_ask {
    uint32_t peer;
    uint8_t state; /* enum bs_ask_state */
} bs_ask;

typedef struct bs_waiter {
    block_fetch_fn fn;
    void *user;
} bs_waiter;

typedef struct bs_fetch {
    cid c;
    uint64_t deadline_ns;
    bs_waiter waiters[BITSWAP_FETCH_WAITERS_MAX];
    size_t waiter_count;
    bs_ask asks[BITSWAP_FETCH_ASKS_MAX];
    size_t ask_count;
    bool block_out; /* a want-block is out to a peer (ASK_BLOCK_SENT) */
    uint64_t block_sent_ns; /* when it went */
} bs_fetch;

/* Room for the CIDs a message we send names: presences, and our entries. */
#define BS_OUT_CIDS_MAX (BITSWAP_PRESENCES_MAX + BITSWAP_FETCHES_MAX)

/* A message being built, with the bytes its views point at. */
typedef struct bs_out {
    bitswap_message msg;
    uint8_t cids[BS_OUT_CIDS_MAX][CID_BYTES_MAX];
    size_t cid_count;
    uint8_t prefixes[BITSWAP_BLOCKS_MAX][BLOCK_PREFIX_MAX];
    size_t data_at[BITSWAP_BLOCKS_MAX]; /* where each block starts in data */
    buf data;                           /* the blocks' bytes, one after another */
    size_t size;                        /* the encoded size, at most (bitswap_send.c) */
} bs_out;

struct bitswap {
    bitswap_host host;
    bs_peer *peers;
    size_t peer_count, peer_cap;
    size_t wants_total; /* entries of all peers' wantlists */
    bs_fetch *fetches;
    size_t fetch_count, fetch_cap;
    cid recent[BITSWAP_RECENT_MAX]; /* a ring of CIDs just fetched */
    size_t recent_next, recent_count;
    buf wire; /* scratch: one encoded message */
};

/* ---- bitswap_send.c --------------------------------------------------- */

bs_peer *bs_peer_find(const bitswap *b, uint32_t handle);
bs_out *bs_out_new(void);
void bs_out_free(bs_out *out);
/* Each adds one item if it fits in one message: true, else false. */
bool bs_out_entry(bs_out *out, const cid *c, uint8_t want_type, bool cancel, bool send_dont_have);
bool bs_out_presence(bs_out *out, const cid *c, uint8_t type);
/* 1: the block is in; 0: it does not fit; -1: we do not have it. */
int bs_out_block(bitswap *b, bs_out *out, const cid *c);
/* Sends out to peer unless it is empty, and empties it: 0 or -1. */
int bs_out_send(bitswap *b, uint32_t peer, bs_out *out);

/* ---- bitswap_server.c ------------------------------------------------- */

void bs_server_wantlist(bitswap *b, bs_peer *p, const bitswap_message *msg);
/* Answers what p's wantlist holds unanswered, one message's worth. */
void bs_server_serve(bitswap *b, bs_peer *p);
/* c is now kept: the peers that want it get it. */
void bs_server_block_added(bitswap *b, const cid *c);
void bs_server_forget(bitswap *b, bs_peer *p);

/* ---- bitswap_client.c ------------------------------------------------- */

int bs_client_fetch(bitswap *b, const cid *c, block_fetch_fn done, void *user);
void bs_client_peer_added(bitswap *b, uint32_t peer);
void bs_client_peer_gone(bitswap *b, uint32_t peer);
void bs_client_presences(bitswap *b, uint32_t peer, const bitswap_message *msg);
/* The blocks of msg; -1 when the peer reached BITSWAP_BAD_BLOCKS_MAX. */
int bs_client_blocks(bitswap *b, bs_peer *p, const bitswap_message *msg);
/* Ends fetches past their deadline; returns the earliest deadline left
 * (UINT64_MAX: none). */
uint64_t bs_client_expire(bitswap *b, uint64_t now_ns);

#endif
