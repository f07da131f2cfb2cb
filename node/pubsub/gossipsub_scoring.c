/* gossipsub_scoring: the glue to score.c. See gossipsub_scoring.h. */
#include "gossipsub_scoring.h"

#include <assert.h>
#include <stdlib.h>

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
    if (gs->score == NULL) return -1;
    gs->next_sample_ns = now_ns + gs->config.score_sample_ns;
    return 0;
}

void gossipsub_scoring_free(gossipsub *gs) {
    if (gs->score != NULL) score_destroy(gs->score);
    gs->score = NULL;
}

/* ---- heartbeat ---------------------------------------------------------- */

void gossipsub_scoring_decay(gossipsub *gs, uint64_t now_ns) {
    if (gs->score != NULL) (void)score_refresh(gs->score, now_ns);
}

void gossipsub_scoring_sample(gossipsub *gs, uint64_t now_ns) {
    if (gs->score == NULL || gs->config.score_sample_ns == 0 || now_ns < gs->next_sample_ns) return;
    for (size_t i = 0; i < pubsub_peer_count(gs->ps); i++) {
        const gossipsub_peer *peer = gossipsub_peer_at(gs, i);
        trace_event event = {.kind = TRACE_PEER_SCORE, .peer = peer->base.id.bytes, .peer_len = peer->base.id.len,
                             .score = gossipsub_score_of(gs, peer, now_ns)};
        gossipsub_trace(gs, &event);
    }
    gs->next_sample_ns = now_ns + gs->config.score_sample_ns;
}
