/* gossipsub_mesh: candidates and mesh membership. See gossipsub_mesh.h. */
#include "gossipsub_mesh.h"

#include <assert.h>

#include "gossipsub_scoring.h"

/* ---- random choice ---------------------------------------------------- */

void gossipsub_shuffle(gossipsub *gs, uint32_t *handles, size_t count) {
    assert(count <= GOSSIPSUB_PEERS_MAX);
    for (size_t i = count; i > 1; i--) { /* Fisher-Yates, from the environment's randomness */
        uint8_t bytes[4];
        gs->config.random(gs->host.user, bytes, sizeof bytes);
        uint32_t r = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
                     (uint32_t)bytes[3] << 24;
        size_t j = r % i; /* bias below 2^-20 for at most GOSSIPSUB_PEERS_MAX peers */
        uint32_t swap = handles[i - 1];
        handles[i - 1] = handles[j];
        handles[j] = swap;
    }
}

size_t gossipsub_candidates(gossipsub *gs, const gossipsub_topic *t, uint64_t now_ns, bool exclude_backoff,
                            double min_score) {
    pubsub_bytes name = gossipsub_topic_view(t->base.name);
    size_t count = 0;
    for (size_t i = 0; i < pubsub_peer_count(gs->ps); i++) {
        const gossipsub_peer *peer = gossipsub_peer_at(gs, i);
        if (peer->explicit_peer || !gossipsub_peer_subscribed(peer, name)) continue;
        if (gossipsub_member_has(t, peer->base.handle)) continue;
        if (exclude_backoff && gossipsub_backoff_active(t, peer->base.handle, now_ns)) continue;
        if (gossipsub_score_below(gs, peer, min_score, now_ns)) continue;
        gs->scratch_handles[count++] = peer->base.handle;
    }
    assert(count <= GOSSIPSUB_PEERS_MAX);
    gossipsub_shuffle(gs, gs->scratch_handles, count);
    return count;
}

void gossipsub_trace_mesh(gossipsub *gs, trace_kind kind, const char *topic, const gossipsub_peer *peer) {
    assert(kind == TRACE_GRAFT || kind == TRACE_PRUNE);
    assert(peer != NULL);
    trace_event event = {.kind = kind, .topic = topic, .peer = peer->base.id.bytes, .peer_len = peer->base.id.len};
    gossipsub_trace(gs, &event);
}

/* ---- mesh ------------------------------------------------------------- */

bool gossipsub_mesh_join(gossipsub *gs, gossipsub_topic *t, const gossipsub_peer *peer, uint64_t now_ns) {
    assert(t->base.subscribed && !peer->explicit_peer);
    if (!gossipsub_member_add(t, peer->base.handle)) return false;
    gossipsub_trace_mesh(gs, TRACE_GRAFT, t->base.name, peer);
    if (gs->score != NULL) score_graft(gs->score, peer->base.handle, t->base.name, now_ns);
    return true;
}

bool gossipsub_mesh_leave(gossipsub *gs, gossipsub_topic *t, const gossipsub_peer *peer, uint64_t now_ns) {
    assert(t->base.subscribed);
    if (!gossipsub_member_remove(t, peer->base.handle)) return false;
    gossipsub_trace_mesh(gs, TRACE_PRUNE, t->base.name, peer);
    if (gs->score != NULL) score_prune(gs->score, peer->base.handle, t->base.name, now_ns);
    return true;
}
