/* gossipsub_dontwant: IDONTWANT sets. See gossipsub_dontwant.h. */
#include "gossipsub_dontwant.h"

#include <assert.h>
#include <stdlib.h>

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
