/* gossipsub_scoring: what the router keeps about its peers beyond the mesh
 * (gossipsub-v1.1.md "Peer Scoring", "Spam Protection Measures", and
 * gossipsub-v1.2.md "IDONTWANT"): the score glue, IWANT promises with their
 * P7 penalty, IDONTWANT sets, and the peer_score snapshots. See gossipsub.h. */
#include "gossipsub_internal.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(MCACHE_KEY_BYTES == crypto_shorthash_KEYBYTES, "the fingerprint key is a SipHash key");

uint64_t gossipsub_fingerprint(const gossipsub *gs, const uint8_t *id, size_t len) {
    uint8_t hash[crypto_shorthash_BYTES];
    crypto_shorthash(hash, id, len, gs->fingerprint_key);
    uint64_t fingerprint;
    memcpy(&fingerprint, hash, sizeof fingerprint);
    return fingerprint;
}

/* ---- scores ------------------------------------------------------------- */

double gossipsub_score_of(const gossipsub *gs, const gossipsub_peer *peer, uint64_t now_ns) {
    assert(peer != NULL);
    if (gs->score == NULL || peer->explicit_peer) return 0.0;
    return score_value(gs->score, peer->base.handle, now_ns);
}

bool gossipsub_score_below(const gossipsub *gs, const gossipsub_peer *peer, double threshold, uint64_t now_ns) {
    return gs->score != NULL && gossipsub_score_of(gs, peer, now_ns) < threshold;
}

void gossipsub_penalize(gossipsub *gs, const gossipsub_peer *peer, double count) {
    assert(count > 0);
    if (gs->score != NULL) score_add_penalty(gs->score, peer->base.handle, count);
}

int gossipsub_scoring_init(gossipsub *gs, uint64_t now_ns) {
    assert(gs->score == NULL);
    if (!gs->config.scoring) return 0;
    /* Connected and retained peers together: twice the connected limit. */
    gs->score = score_create(&gs->config.score, 2 * GOSSIPSUB_PEERS_MAX, now_ns);
    gs->promises = malloc(GOSSIPSUB_PROMISES_MAX * sizeof *gs->promises);
    if (gs->score == NULL || gs->promises == NULL) {
        gossipsub_scoring_free(gs);
        return -1;
    }
    gs->next_sample_ns = now_ns + gs->config.score_sample_ns;
    return 0;
}

void gossipsub_scoring_free(gossipsub *gs) {
    if (gs->score != NULL) score_destroy(gs->score);
    free(gs->promises);
    gs->score = NULL;
    gs->promises = NULL;
    gs->promise_count = 0;
}

/* ---- promises ----------------------------------------------------------- */

/* As go-libp2p does, one id of each IWANT is tracked, chosen at random, so
 * that a peer cannot tell which one it must honour. */
void gossipsub_promise_add(gossipsub *gs, const gossipsub_peer *peer, const pubsub_bytes *ids, size_t count,
                           uint64_t now_ns) {
    if (gs->promises == NULL || count == 0 || gs->promise_count == GOSSIPSUB_PROMISES_MAX) return;
    uint8_t bytes[4];
    gs->config.random(gs->host.user, bytes, sizeof bytes);
    uint32_t r = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
    const pubsub_bytes *id = &ids[r % count];
    gs->promises[gs->promise_count++] = (gossipsub_promise){
        .fingerprint = gossipsub_fingerprint(gs, id->data, id->len), .handle = peer->base.handle,
        .deadline_ns = now_ns + gs->config.iwant_followup_ns};
    assert(gs->promise_count <= GOSSIPSUB_PROMISES_MAX);
}

/* A valid message arrived (from anyone): every promise of it is kept. */
void gossipsub_promise_kept(gossipsub *gs, uint64_t fingerprint) {
    for (size_t i = 0; i < gs->promise_count;) {
        if (gs->promises[i].fingerprint == fingerprint)
            gs->promises[i] = gs->promises[--gs->promise_count];
        else
            i++;
    }
}

/* Each promise past its deadline costs its peer one P7 unit. */
static void promises_expire(gossipsub *gs, uint64_t now_ns) {
    for (size_t i = 0; i < gs->promise_count;) {
        const gossipsub_promise *p = &gs->promises[i];
        if (now_ns < p->deadline_ns) {
            i++;
            continue;
        }
        const gossipsub_peer *peer = gossipsub_peer_find(gs, p->handle);
        if (peer != NULL) gossipsub_penalize(gs, peer, 1.0);
        gs->promises[i] = gs->promises[--gs->promise_count];
    }
}

/* ---- IDONTWANT ---------------------------------------------------------- */

void gossipsub_dontwant_add(gossipsub *gs, gossipsub_peer *peer, uint64_t fingerprint) {
    if (peer->idontwants_this_heartbeat >= gs->config.max_idontwant_messages) return;
    peer->idontwants_this_heartbeat++;
    if (gossipsub_dontwant_has(peer, fingerprint)) return;
    if (peer->dontwant_count == peer->dontwant_cap) {
        size_t cap = peer->dontwant_cap ? peer->dontwant_cap * 2 : GOSSIPSUB_DONTWANT_INITIAL;
        gossipsub_dontwant *grown = realloc(peer->dontwant, cap * sizeof *grown);
        if (grown == NULL) return; /* advice only: forgetting it costs a duplicate */
        peer->dontwant = grown;
        peer->dontwant_cap = cap;
    }
    peer->dontwant[peer->dontwant_count++] = (gossipsub_dontwant){fingerprint, gs->heartbeats};
    /* Bounded: ids arrive at most max_idontwant_messages per heartbeat and
     * leave after GOSSIPSUB_DONTWANT_TTL_HEARTBEATS. */
    assert(peer->dontwant_count <= peer->dontwant_cap);
}

bool gossipsub_dontwant_has(const gossipsub_peer *peer, uint64_t fingerprint) {
    for (size_t i = 0; i < peer->dontwant_count; i++)
        if (peer->dontwant[i].fingerprint == fingerprint) return true;
    return false;
}

void gossipsub_dontwant_expire(gossipsub *gs, gossipsub_peer *peer) {
    size_t kept = 0;
    for (size_t i = 0; i < peer->dontwant_count; i++)
        if (gs->heartbeats - peer->dontwant[i].heartbeat < GOSSIPSUB_DONTWANT_TTL_HEARTBEATS)
            peer->dontwant[kept++] = peer->dontwant[i];
    peer->dontwant_count = kept;
    if (kept == 0) { /* a quiet peer gives its memory back */
        free(peer->dontwant);
        peer->dontwant = NULL;
        peer->dontwant_cap = 0;
    }
}

/* ---- heartbeat ---------------------------------------------------------- */

static void scores_sample(gossipsub *gs, uint64_t now_ns) {
    for (size_t i = 0; i < pubsub_peer_count(gs->ps); i++) {
        const gossipsub_peer *peer = gossipsub_peer_at(gs, i);
        trace_event event = {.kind = TRACE_PEER_SCORE, .peer = peer->base.id.bytes, .peer_len = peer->base.id.len,
                             .score = gossipsub_score_of(gs, peer, now_ns)};
        gossipsub_trace(gs, &event);
    }
}

/* Decay, broken promises, and a snapshot when one is due. */
void gossipsub_scoring_heartbeat(gossipsub *gs, uint64_t now_ns) {
    if (gs->score == NULL) return;
    (void)score_refresh(gs->score, now_ns);
    promises_expire(gs, now_ns);
    if (gs->config.score_sample_ns > 0 && now_ns >= gs->next_sample_ns) {
        scores_sample(gs, now_ns);
        gs->next_sample_ns = now_ns + gs->config.score_sample_ns;
    }
}
