/*
 * bitswap_server: peers' wantlists and our answers (bitswap.h, "Server").
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "bitswap_internal.h"

static bs_entry *entry_find(bs_peer *p, const cid *c) {
    for (size_t i = 0; i < p->entry_count; i++)
        if (cid_equal(&p->entries[i].c, c)) return &p->entries[i];
    return NULL;
}

static void entry_remove(bitswap *b, bs_peer *p, bs_entry *e) {
    assert(b->wants_total > 0);
    *e = p->entries[--p->entry_count]; /* order does not matter: answers go by arrival of the wantlist */
    b->wants_total--;
}

/* A new entry, within both limits; NULL past them (the want is dropped). */
static bs_entry *entry_add(bitswap *b, bs_peer *p, const cid *c) {
    if (p->entry_count == BITSWAP_PEER_WANTS_MAX || b->wants_total == BITSWAP_WANTS_TOTAL_MAX) return NULL;
    bs_entry *entries = grow_for_one(p->entries, &p->entry_cap, p->entry_count, sizeof *entries, 8);
    if (entries == NULL) return NULL;
    p->entries = entries;
    bs_entry *e = &p->entries[p->entry_count++];
    memset(e, 0, sizeof *e);
    e->c = *c;
    b->wants_total++;
    return e;
}

static void wantlist_clear(bitswap *b, bs_peer *p) {
    assert(b->wants_total >= p->entry_count);
    b->wants_total -= p->entry_count;
    p->entry_count = 0;
}

void bs_server_wantlist(bitswap *b, bs_peer *p, const bitswap_message *msg) {
    if (!msg->has_wantlist) return;
    if (msg->full) wantlist_clear(b, p);
    for (size_t i = 0; i < msg->entry_count; i++) {
        const bitswap_entry *in = &msg->entries[i];
        cid c;
        if (cid_decode(in->cid.data, in->cid.len, &c) != (int)in->cid.len) continue; /* a CID we cannot check: no want */
        bs_entry *e = entry_find(p, &c);
        if (in->cancel) {
            if (e != NULL) entry_remove(b, p, e);
            continue;
        }
        if (e == NULL && (e = entry_add(b, p, &c)) == NULL) continue;
        e->priority = in->priority;
        e->want_type = in->want_type;
        e->send_dont_have = in->send_dont_have;
        e->answered = false;
    }
}

/* What answering an entry came to. */
enum bs_answer {
    ANSWER_FULL = 0, /* no room left in the message: the entry waits (0: bs_entry.outcome's "none") */
    ANSWER_DONE,    /* HAVE or the block is in the message: the entry goes once it is sent */
    ANSWER_WAITING, /* DONT_HAVE is in the message, or nothing was asked: the entry stays, answered */
};

static enum bs_answer entry_answer(bitswap *b, bs_out *out, const bs_entry *e) {
    if (e->want_type == BITSWAP_WANT_BLOCK) {
        int rc = bs_out_block(b, out, &e->c);
        if (rc == 1) return ANSWER_DONE;
        if (rc == 0) return ANSWER_FULL;
    } else if (b->host.has(b->host.user, &e->c) == 1) {
        return bs_out_presence(out, &e->c, BITSWAP_HAVE) ? ANSWER_DONE : ANSWER_FULL;
    }
    if (e->send_dont_have && !bs_out_presence(out, &e->c, BITSWAP_DONT_HAVE)) return ANSWER_FULL;
    return ANSWER_WAITING;
}

void bs_server_serve(bitswap *b, bs_peer *p) {
    bs_out *out = bs_out_new();
    p->backlog = true; /* until the answers are out */
    if (out == NULL) return;
    bool full = false;
    for (size_t i = 0; i < p->entry_count && !full; i++) {
        bs_entry *e = &p->entries[i];
        if (e->answered) continue;
        enum bs_answer answer = entry_answer(b, out, e);
        full = answer == ANSWER_FULL;
        e->outcome = full ? 0 : (uint8_t)answer;
    }
    bool sent = bs_out_send(b, p->handle, out) == 0;
    bs_out_free(out);
    /* Only what went out counts as answered; on back-pressure all waits. */
    for (size_t i = p->entry_count; i-- > 0;) {
        bs_entry *e = &p->entries[i];
        uint8_t outcome = e->outcome;
        e->outcome = 0;
        if (!sent || outcome == 0) continue;
        if (outcome == ANSWER_DONE) entry_remove(b, p, e);
        else e->answered = true; /* kept: a block that arrives later is still wanted */
    }
    p->backlog = full || !sent;
}

void bs_server_block_added(bitswap *b, const cid *c) {
    for (size_t i = 0; i < b->peer_count; i++) {
        bs_peer *p = &b->peers[i];
        bs_entry *e = entry_find(p, c);
        if (e == NULL || !e->answered) continue;
        e->answered = false;
        bs_server_serve(b, p);
    }
}

void bs_server_forget(bitswap *b, bs_peer *p) {
    wantlist_clear(b, p);
    free(p->entries);
    p->entries = NULL;
    p->entry_cap = 0;
}
