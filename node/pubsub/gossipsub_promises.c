/* gossipsub_promises: IWANT promises and their P7. See
 * gossipsub_promises.h. */
#include "gossipsub_promises.h"

#include <assert.h>
#include <stdlib.h>

#include "gossipsub_scoring.h"

int gossipsub_promises_init(gossipsub *gs) {
    assert(gs->promises == NULL);
    if (!gs->config.scoring) return 0;
    gs->promises = malloc(GOSSIPSUB_PROMISES_MAX * sizeof *gs->promises);
    return gs->promises != NULL ? 0 : -1;
}

void gossipsub_promises_free(gossipsub *gs) {
    free(gs->promises);
    gs->promises = NULL;
    gs->promise_count = 0;
}

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
void gossipsub_promises_expire(gossipsub *gs, uint64_t now_ns) {
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
