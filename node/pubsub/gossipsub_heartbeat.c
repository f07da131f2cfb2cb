/* gossipsub_heartbeat: the GossipSub heartbeat (gossipsub-v1.0.md
 * "Heartbeat"): mesh maintenance within [D_lo, D_hi], fanout upkeep and
 * expiry, IHAVE gossip to non-mesh peers and the message cache shift;
 * score decay, broken promises and snapshots. gossipsub_heartbeat is
 * declared in gossipsub.h. */
#include "gossipsub_state.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "gossipsub_dontwant.h"
#include "gossipsub_mesh.h"
#include "gossipsub_promises.h"
#include "gossipsub_scoring.h"
#include "gossipsub_send.h"

/* ---- backoffs --------------------------------------------------------- */

static void backoffs_expire(gossipsub_topic *t, uint64_t now_ns) {
    for (size_t i = 0; i < t->backoff_count;) {
        if (now_ns >= t->backoffs[i].until_ns)
            t->backoffs[i] = t->backoffs[--t->backoff_count];
        else
            i++;
    }
}

/* Grafts up to want of the candidates in gs->scratch_handles[0, count)
 * (outbound ones only, when outbound_only). Returns how many it grafted. */
static size_t mesh_graft_from(gossipsub *gs, gossipsub_topic *t, size_t count, size_t want, bool outbound_only,
                              uint64_t now_ns) {
    size_t grafted = 0;
    for (size_t i = 0; i < count && grafted < want; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, gs->scratch_handles[i]);
        assert(peer != NULL);
        if (outbound_only && !peer->outbound) continue;
        if (!gossipsub_mesh_join(gs, t, peer, now_ns)) break; /* the mesh table is full */
        gossipsub_send_graft(gs, peer, t->base.name);
        grafted++;
    }
    return grafted;
}

/* v1.1: members whose score went negative are pruned (without PX). */
static void mesh_drop_negative(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    if (gs->score == NULL) return;
    for (size_t i = t->member_count; i-- > 0;) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, t->members[i]);
        assert(peer != NULL);
        if (!gossipsub_score_below(gs, peer, 0.0, now_ns)) continue;
        gossipsub_mesh_leave(gs, t, peer, now_ns);
        gossipsub_send_prune(gs, peer, t, gs->config.prune_backoff_ns, false);
        gossipsub_backoff_set(t, peer->base.handle, now_ns + gs->config.prune_backoff_ns);
    }
}

static size_t mesh_outbound_count(const gossipsub *gs, const uint32_t *members, size_t count) {
    size_t outbound = 0;
    for (size_t i = 0; i < count; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, members[i]);
        if (peer != NULL && peer->outbound) outbound++;
    }
    return outbound;
}

/* Sorts members by score, best first (insertion sort: at most
 * GOSSIPSUB_MESH_PEERS_MAX members; stable, so a prior shuffle breaks ties). */
static void mesh_sort_by_score(gossipsub *gs, uint32_t *members, size_t count, uint64_t now_ns) {
    double scores[GOSSIPSUB_MESH_PEERS_MAX];
    assert(count <= GOSSIPSUB_MESH_PEERS_MAX);
    for (size_t i = 0; i < count; i++) scores[i] = gossipsub_score_of(gs, gossipsub_peer_find(gs, members[i]), now_ns);
    for (size_t i = 1; i < count; i++) {
        double s = scores[i];
        uint32_t m = members[i];
        size_t j = i;
        for (; j > 0 && scores[j - 1] < s; j--) {
            scores[j] = scores[j - 1];
            members[j] = members[j - 1];
        }
        scores[j] = s;
        members[j] = m;
    }
}

/* The kept D of a trim hold at least D_out outbound peers where the mesh
 * has them: outbound members past D swap with inbound ones among the kept
 * beyond the D_score best (v1.1 "Outbound Mesh Quotas"). */
static void mesh_keep_outbound(gossipsub *gs, uint32_t *members, size_t count) {
    size_t keep = (size_t)gs->config.D;
    size_t outbound = mesh_outbound_count(gs, members, keep);
    size_t slot = keep; /* inbound kept members are looked for from the end */
    for (size_t i = keep; i < count && outbound < (size_t)gs->config.D_out; i++) {
        if (!gossipsub_peer_find(gs, members[i])->outbound) continue;
        while (slot > (size_t)gs->config.D_score && gossipsub_peer_find(gs, members[slot - 1])->outbound) slot--;
        if (slot == (size_t)gs->config.D_score) return;
        slot--;
        uint32_t swap = members[slot];
        members[slot] = members[i];
        members[i] = swap;
        outbound++;
    }
}

/* Above D_hi: keep the D_score best by score and D - D_score more at
 * random, with the outbound quota; PRUNE the rest (with PX) and back off. */
static void mesh_trim(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    uint32_t members[GOSSIPSUB_MESH_PEERS_MAX];
    size_t count = t->member_count;
    memcpy(members, t->members, count * sizeof members[0]);
    gossipsub_shuffle(gs, members, count);
    if (gs->score != NULL) {
        mesh_sort_by_score(gs, members, count, now_ns);
        gossipsub_shuffle(gs, members + gs->config.D_score, count - (size_t)gs->config.D_score);
    }
    mesh_keep_outbound(gs, members, count);
    for (size_t i = (size_t)gs->config.D; i < count; i++) {
        gossipsub_mesh_leave(gs, t, gossipsub_peer_find(gs, members[i]), now_ns);
        gossipsub_backoff_set(t, members[i], now_ns + gs->config.prune_backoff_ns);
    }
    assert(t->member_count == (size_t)gs->config.D);
    /* Once the mesh is final, so that PX names only the kept members. */
    for (size_t i = (size_t)gs->config.D; i < count; i++)
        gossipsub_send_prune(gs, gossipsub_peer_find(gs, members[i]), t, gs->config.prune_backoff_ns, true);
}

/* Below D_out outbound members (with at least D_lo members): graft
 * outbound candidates until the quota is met. */
static void mesh_fill_outbound(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    size_t outbound = mesh_outbound_count(gs, t->members, t->member_count);
    if (outbound >= (size_t)gs->config.D_out) return;
    size_t count = gossipsub_candidates(gs, t, now_ns, true, 0.0);
    mesh_graft_from(gs, t, count, (size_t)gs->config.D_out - outbound, true, now_ns);
}

/* Ascending insertion sort: at most GOSSIPSUB_MESH_PEERS_MAX values. */
static void scores_sort(double *scores, size_t count) {
    assert(count <= GOSSIPSUB_MESH_PEERS_MAX);
    for (size_t i = 1; i < count; i++) {
        double s = scores[i];
        size_t j = i;
        for (; j > 0 && scores[j - 1] > s; j--) scores[j] = scores[j - 1];
        scores[j] = s;
    }
}

/* v1.1 opportunistic grafting: when the mesh's median score is below the
 * threshold, graft up to opportunistic_graft_peers peers scoring above it. */
static void mesh_graft_opportunistic(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    if (gs->score == NULL || t->member_count <= 1) return;
    double scores[GOSSIPSUB_MESH_PEERS_MAX];
    for (size_t i = 0; i < t->member_count; i++)
        scores[i] = gossipsub_score_of(gs, gossipsub_peer_find(gs, t->members[i]), now_ns);
    scores_sort(scores, t->member_count);
    double median = scores[t->member_count / 2];
    if (median >= gs->config.thresholds.opportunistic_graft) return;
    size_t count = gossipsub_candidates(gs, t, now_ns, true, median);
    size_t above = 0;
    for (size_t i = 0; i < count; i++) /* strictly above the median */
        if (gossipsub_score_of(gs, gossipsub_peer_find(gs, gs->scratch_handles[i]), now_ns) > median)
            gs->scratch_handles[above++] = gs->scratch_handles[i];
    mesh_graft_from(gs, t, above, (size_t)gs->config.opportunistic_graft_peers, false, now_ns);
}

static void mesh_maintain(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    assert(t->base.subscribed);
    mesh_drop_negative(gs, t, now_ns);
    if (t->member_count < (size_t)gs->config.D_lo) {
        size_t count = gossipsub_candidates(gs, t, now_ns, true, 0.0);
        mesh_graft_from(gs, t, count, (size_t)gs->config.D - t->member_count, false, now_ns);
    } else if (t->member_count > (size_t)gs->config.D_hi) {
        mesh_trim(gs, t, now_ns);
    }
    if (t->member_count >= (size_t)gs->config.D_lo) mesh_fill_outbound(gs, t, now_ns);
    if (gs->config.opportunistic_graft_ticks > 0 && gs->heartbeats % gs->config.opportunistic_graft_ticks == 0)
        mesh_graft_opportunistic(gs, t, now_ns);
}

/* Fanout: forget it fanout_ttl after the last publish; else drop members
 * that left the topic or fell below the publish threshold, and top it up
 * to D. */
static void fanout_maintain(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    assert(t->fanout && !t->base.subscribed);
    if (now_ns >= t->last_publish_ns + gs->config.fanout_ttl_ns) {
        t->fanout = false;
        t->member_count = 0;
        return;
    }
    pubsub_bytes name = gossipsub_topic_view(t->base.name);
    for (size_t i = 0; i < t->member_count;) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, t->members[i]);
        if (peer == NULL || !gossipsub_peer_subscribed(peer, name) ||
            gossipsub_score_below(gs, peer, gs->config.thresholds.publish, now_ns))
            t->members[i] = t->members[--t->member_count];
        else
            i++;
    }
    size_t count = gossipsub_candidates(gs, t, now_ns, false, gs->config.thresholds.publish);
    for (size_t i = 0; i < count && t->member_count < (size_t)gs->config.D; i++)
        gossipsub_member_add(t, gs->scratch_handles[i]);
}

/* ---- gossip ----------------------------------------------------------- */

/* How many peers get gossip: D_lazy, or gossip_factor of the candidates
 * when that is more (v1.1 adaptive gossip), never more than there are. */
static size_t gossip_target_count(const gossipsub *gs, size_t candidates) {
    size_t target = (size_t)gs->config.D_lazy;
    size_t adaptive = (size_t)(gs->config.gossip_factor * (double)candidates);
    if (adaptive > target) target = adaptive;
    return target < candidates ? target : candidates;
}

/* IHAVE with the topic's recent ids, to peers outside its mesh or fanout
 * whose score reaches the gossip threshold (explicit peers get none). */
static void gossip_emit(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    size_t cap = gs->config.max_ihave_length;
    if (cap == 0 || cap > GOSSIPSUB_IHAVE_IDS_MAX) return;
    mcache_id *cached = malloc(cap * sizeof *cached);
    pubsub_bytes *ids = malloc(cap * sizeof *ids);
    size_t id_count = 0;
    if (cached != NULL && ids != NULL)
        id_count = mcache_gossip_ids(&gs->cache, (const uint8_t *)t->base.name, strlen(t->base.name), cached, cap);
    for (size_t i = 0; i < id_count; i++) ids[i] = (pubsub_bytes){cached[i].id, cached[i].len};
    if (id_count > 0) {
        gossipsub_control *ctl = gs->ctl_out;
        gossipsub_control_init(ctl);
        int rc = gossipsub_control_add_ihave(ctl, gossipsub_topic_view(t->base.name), ids, id_count);
        assert(rc == 0);
        (void)rc;
        size_t count = gossipsub_candidates(gs, t, now_ns, false, gs->config.thresholds.gossip);
        size_t target = gossip_target_count(gs, count);
        for (size_t i = 0; i < target; i++) {
            const gossipsub_peer *peer = gossipsub_peer_find(gs, gs->scratch_handles[i]);
            assert(peer != NULL);
            gossipsub_send_control(gs, peer, ctl);
        }
    }
    free(cached);
    free(ids);
}

/* ---- heartbeat -------------------------------------------------------- */

void gossipsub_heartbeat(gossipsub *gs, uint64_t now_ns) {
    assert(gs != NULL);
    gs->heartbeats++;
    gossipsub_scoring_decay(gs, now_ns); /* first: the mesh upkeep reads scores */
    gossipsub_promises_expire(gs, now_ns);
    gossipsub_scoring_sample(gs, now_ns);
    gs->px_dials_this_heartbeat = 0;
    for (size_t i = 0; i < pubsub_peer_count(gs->ps); i++) {
        gossipsub_peer *peer = gossipsub_peer_at(gs, i);
        peer->ihaves_this_heartbeat = 0;
        peer->asked_this_heartbeat = 0;
        peer->idontwants_this_heartbeat = 0;
        peer->px_this_heartbeat = false;
        if (peer->dontwant_count > 0) gossipsub_dontwant_expire(gs, peer);
    }
    for (size_t i = 0; i < pubsub_topic_count(gs->ps); i++) {
        gossipsub_topic *t = gossipsub_topic_at(gs, i);
        backoffs_expire(t, now_ns);
        if (t->base.subscribed) mesh_maintain(gs, t, now_ns);
        else if (t->fanout) fanout_maintain(gs, t, now_ns);
    }
    for (size_t i = 0; i < pubsub_topic_count(gs->ps); i++) {
        gossipsub_topic *t = gossipsub_topic_at(gs, i);
        if (t->base.subscribed || t->fanout) gossip_emit(gs, t, now_ns);
    }
    pubsub_topics_release(gs->ps);
    /* Shift after gossip, so that this heartbeat advertised the newest
     * mcache_gossip windows (v1.0 "Message Cache"). */
    mcache_shift(&gs->cache);
    pubsub_seen_expire(gs->ps, now_ns);
}
