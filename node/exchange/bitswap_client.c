/*
 * bitswap_client: our fetches (bitswap.h, "Client"). A fetch asks every
 * peer want-have, then one peer at a time want-block; whatever block comes
 * in is hashed before anything else happens to it.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "bitswap_internal.h"

static bs_fetch *fetch_find(bitswap *b, const cid *c) {
    for (size_t i = 0; i < b->fetch_count; i++)
        if (cid_equal(&b->fetches[i].c, c)) return &b->fetches[i];
    return NULL;
}

static bs_ask *ask_find(bs_fetch *f, uint32_t peer) {
    for (size_t i = 0; i < f->ask_count; i++)
        if (f->asks[i].peer == peer) return &f->asks[i];
    return NULL;
}

/* One entry to peer in a message of its own. */
static int send_entry(bitswap *b, uint32_t peer, const cid *c, uint8_t want_type, bool cancel) {
    bs_out *out = bs_out_new();
    if (out == NULL) return -1;
    bool in = bs_out_entry(out, c, want_type, cancel, !cancel);
    assert(in);
    (void)in;
    int rc = bs_out_send(b, peer, out);
    bs_out_free(out);
    return rc;
}

/* Sends want-block to the next peer that said HAVE, if none has it out. */
static void ask_for_block(bitswap *b, bs_fetch *f) {
    for (size_t i = 0; i < f->ask_count && !f->block_out; i++) {
        bs_ask *a = &f->asks[i];
        if (a->state != ASK_HAS) continue;
        if (send_entry(b, a->peer, &f->c, BITSWAP_WANT_BLOCK, false) == 0) {
            a->state = ASK_BLOCK_SENT;
            f->block_out = true;
            f->block_sent_ns = b->host.now_ns(b->host.user);
        } else {
            a->state = ASK_GONE;
        }
    }
}

/* Removes fetch i, then tells its waiters (who may start new fetches). */
static void fetch_end(bitswap *b, size_t i, block_fetch_status status, const uint8_t *data, size_t len) {
    bs_fetch f = b->fetches[i];
    b->fetches[i] = b->fetches[--b->fetch_count];
    /* Every peer asked keeps our entry (one that said DONT_HAVE too, to
     * answer when the block comes): each gets a cancel. */
    for (size_t k = 0; k < f.ask_count; k++)
        if (f.asks[k].state != ASK_GONE) (void)send_entry(b, f.asks[k].peer, &f.c, BITSWAP_WANT_BLOCK, true);
    for (size_t k = 0; k < f.waiter_count; k++) f.waiters[k].fn(f.waiters[k].user, &f.c, status, data, len);
}

/* Asks peer want-have for every fetch that has not asked it, in one message. */
void bs_client_peer_added(bitswap *b, uint32_t peer) {
    bs_out *out = bs_out_new();
    if (out == NULL) return;
    for (size_t i = 0; i < b->fetch_count; i++) {
        bs_fetch *f = &b->fetches[i];
        if (f->ask_count == BITSWAP_FETCH_ASKS_MAX || ask_find(f, peer) != NULL) continue;
        if (!bs_out_entry(out, &f->c, BITSWAP_WANT_HAVE, false, true)) break;
        f->asks[f->ask_count++] = (bs_ask){.peer = peer, .state = ASK_HAVE_SENT};
    }
    if (bs_out_send(b, peer, out) != 0) /* it cannot hear us: it was not asked */
        for (size_t i = 0; i < b->fetch_count; i++) {
            bs_ask *a = ask_find(&b->fetches[i], peer);
            if (a != NULL && a->state == ASK_HAVE_SENT) a->state = ASK_GONE;
        }
    bs_out_free(out);
}

/* Gives up asking peer: for every fetch (all), or only for the blocks
 * asked of it; each such block is asked of the next peer that has it. */
static void asks_drop(bitswap *b, uint32_t peer, bool all) {
    for (size_t i = 0; i < b->fetch_count; i++) {
        bs_fetch *f = &b->fetches[i];
        bs_ask *a = ask_find(f, peer);
        if (a == NULL || (!all && a->state != ASK_BLOCK_SENT)) continue;
        if (a->state == ASK_BLOCK_SENT) f->block_out = false;
        a->state = ASK_GONE;
        ask_for_block(b, f);
    }
}

void bs_client_peer_gone(bitswap *b, uint32_t peer) { asks_drop(b, peer, true); }

int bs_client_fetch(bitswap *b, const cid *c, block_fetch_fn done, void *user) {
    assert(done != NULL);
    bs_fetch *f = fetch_find(b, c);
    if (f != NULL) {
        if (f->waiter_count == BITSWAP_FETCH_WAITERS_MAX) return -1;
        f->waiters[f->waiter_count++] = (bs_waiter){done, user};
        return 0;
    }
    if (b->fetch_count == BITSWAP_FETCHES_MAX) return -1;
    bs_fetch *fetches = grow_for_one(b->fetches, &b->fetch_cap, b->fetch_count, sizeof *fetches, 4);
    if (fetches == NULL) return -1;
    b->fetches = fetches;
    f = &b->fetches[b->fetch_count++];
    memset(f, 0, sizeof *f);
    f->c = *c;
    f->deadline_ns = b->host.now_ns(b->host.user) + BITSWAP_FETCH_TIMEOUT_NS;
    f->waiters[f->waiter_count++] = (bs_waiter){done, user};
    for (size_t i = 0; i < b->peer_count && f->ask_count < BITSWAP_FETCH_ASKS_MAX; i++) {
        uint32_t peer = b->peers[i].handle;
        if (send_entry(b, peer, c, BITSWAP_WANT_HAVE, false) == 0)
            f->asks[f->ask_count++] = (bs_ask){.peer = peer, .state = ASK_HAVE_SENT};
    }
    return 0;
}

void bs_client_presences(bitswap *b, uint32_t peer, const bitswap_message *msg) {
    for (size_t i = 0; i < msg->presence_count; i++) {
        const bitswap_presence *p = &msg->presences[i];
        cid c;
        if (cid_decode(p->cid.data, p->cid.len, &c) != (int)p->cid.len) continue;
        bs_fetch *f = fetch_find(b, &c);
        bs_ask *a = f != NULL ? ask_find(f, peer) : NULL;
        if (a == NULL || a->state == ASK_GONE) continue; /* not asked: an unsolicited presence means nothing */
        if (a->state == ASK_BLOCK_SENT && p->type == BITSWAP_DONT_HAVE) f->block_out = false;
        if (a->state != ASK_BLOCK_SENT || p->type == BITSWAP_DONT_HAVE)
            a->state = p->type == BITSWAP_HAVE ? ASK_HAS : ASK_DONT_HAVE;
        ask_for_block(b, f);
    }
}

static bool recently_fetched(const bitswap *b, const cid *c) {
    for (size_t i = 0; i < b->recent_count; i++)
        if (cid_equal(&b->recent[i], c)) return true;
    return false;
}

static void remember_fetched(bitswap *b, const cid *c) {
    b->recent[b->recent_next] = *c;
    b->recent_next = (b->recent_next + 1) % BITSWAP_RECENT_MAX;
    if (b->recent_count < BITSWAP_RECENT_MAX) b->recent_count++;
}

/* The check every block passes: its bytes hashed, under its prefix, give
 * a CID (so the CID always matches the bytes: cid_matches holds by
 * construction); the fetch that asked this peer for that CID is the
 * block's, or -1 when there is none (then *late says whether it is a copy
 * of one just fetched). */
static long block_fetch_index(bitswap *b, uint32_t peer, const bitswap_block *in, cid *c, bool *late) {
    *late = false;
    if (block_prefix_cid(in->prefix.data, in->prefix.len, in->data.data, in->data.len, c) != 0) return -1;
    for (size_t i = 0; i < b->fetch_count; i++) {
        bs_fetch *f = &b->fetches[i];
        bs_ask *a = ask_find(f, peer);
        if (a != NULL && cid_equal(&f->c, c)) return (long)i;
    }
    *late = recently_fetched(b, c);
    return -1;
}

int bs_client_blocks(bitswap *b, bs_peer *p, const bitswap_message *msg) {
    for (size_t i = 0; i < msg->block_count; i++) {
        const bitswap_block *in = &msg->blocks[i];
        cid c;
        bool late;
        long at = block_fetch_index(b, p->handle, in, &c, &late);
        if (at < 0 && late) continue; /* a copy of what another peer gave first */
        if (at < 0) {
            /* Which request it spoiled cannot be told: every block asked
             * of it is asked of the next peer that has it. */
            asks_drop(b, p->handle, false);
            p->bad_blocks++;
            bool out = p->bad_blocks >= BITSWAP_BAD_BLOCKS_MAX && !b->host.no_penalties;
            b->host.bad_block(b->host.user, p->handle, p->bad_blocks, in->data.len, out);
            if (out) return -1;
            continue;
        }
        bool kept = b->host.put(b->host.user, &c, in->data.data, in->data.len) == 0;
        remember_fetched(b, &c);
        bs_ask *a = ask_find(&b->fetches[at], p->handle);
        a->state = ASK_GONE; /* it gave what it had: no cancel for it */
        fetch_end(b, (size_t)at, kept ? BLOCK_FETCH_STORED : BLOCK_FETCH_NOT_STORED, in->data.data, in->data.len);
        if (kept) bs_server_block_added(b, &c);
    }
    return 0;
}

/* The want-block of f went unanswered past BITSWAP_BLOCK_WAIT_NS: its
 * peer withheld the block, which is asked of the next peer that has it. */
static void block_withheld(bitswap *b, bs_fetch *f) {
    f->block_out = false;
    for (size_t k = 0; k < f->ask_count; k++) {
        bs_ask *a = &f->asks[k];
        if (a->state != ASK_BLOCK_SENT) continue;
        a->state = ASK_GONE; /* asked no more for this block; its cancel is not owed */
        bs_peer *p = bs_peer_find(b, a->peer);
        if (p != NULL) {
            p->withheld++;
            bool out = p->withheld >= BITSWAP_WITHHELD_MAX;
            if (b->host.withheld != NULL) b->host.withheld(b->host.user, p->handle, p->withheld, out);
        }
        break;
    }
    ask_for_block(b, f);
}

/* When f is next due: its deadline, or sooner its want-block's wait. */
static uint64_t fetch_due(const bitswap *b, const bs_fetch *f) {
    if (!f->block_out || b->host.no_penalties) return f->deadline_ns;
    uint64_t wait = f->block_sent_ns + BITSWAP_BLOCK_WAIT_NS;
    return wait < f->deadline_ns ? wait : f->deadline_ns;
}

uint64_t bs_client_expire(bitswap *b, uint64_t now_ns) {
    for (size_t i = 0; i < b->fetch_count;) {
        bs_fetch *f = &b->fetches[i];
        if (f->deadline_ns <= now_ns) {
            fetch_end(b, i, BLOCK_FETCH_TIMEOUT, NULL, 0); /* the last fetch moved to i */
            continue;
        }
        if (fetch_due(b, f) <= now_ns) block_withheld(b, f);
        i++;
    }
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < b->fetch_count; i++) {
        uint64_t due = fetch_due(b, &b->fetches[i]);
        if (due < next) next = due;
    }
    return next;
}
