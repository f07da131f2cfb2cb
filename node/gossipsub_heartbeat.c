/* gossipsub_heartbeat: the GossipSub heartbeat (gossipsub-v1.0.md
 * "Heartbeat"): mesh maintenance within [D_lo, D_hi], fanout upkeep and
 * expiry, IHAVE gossip to non-mesh peers and the message cache shift; and
 * the topic member and backoff sets the router shares. See gossipsub.h. */
#include "gossipsub_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- members and backoffs --------------------------------------------- */

bool gossipsub_member_has(const gossipsub_topic *t, uint32_t handle) {
    for (size_t i = 0; i < t->member_count; i++)
        if (t->members[i] == handle) return true;
    return false;
}

bool gossipsub_member_add(gossipsub_topic *t, uint32_t handle) {
    assert(t->member_count <= GOSSIPSUB_MESH_PEERS_MAX);
    if (t->member_count == GOSSIPSUB_MESH_PEERS_MAX || gossipsub_member_has(t, handle)) return false;
    t->members[t->member_count++] = handle;
    return true;
}

bool gossipsub_member_remove(gossipsub_topic *t, uint32_t handle) {
    for (size_t i = 0; i < t->member_count; i++) {
        if (t->members[i] != handle) continue;
        t->members[i] = t->members[--t->member_count];
        return true;
    }
    return false;
}

bool gossipsub_backoff_active(const gossipsub_topic *t, uint32_t handle, uint64_t now_ns) {
    for (size_t i = 0; i < t->backoff_count; i++)
        if (t->backoffs[i].handle == handle) return now_ns < t->backoffs[i].until_ns;
    return false;
}

/* Sets (or extends) a backoff. When the table is full the entry that ends
 * soonest gives way: it has the least waiting left to protect. */
void gossipsub_backoff_set(gossipsub_topic *t, uint32_t handle, uint64_t until_ns) {
    assert(t->backoff_count <= GOSSIPSUB_BACKOFFS_PER_TOPIC_MAX);
    size_t soonest = 0;
    for (size_t i = 0; i < t->backoff_count; i++) {
        if (t->backoffs[i].handle == handle) {
            if (until_ns > t->backoffs[i].until_ns) t->backoffs[i].until_ns = until_ns;
            return;
        }
        if (t->backoffs[i].until_ns < t->backoffs[soonest].until_ns) soonest = i;
    }
    size_t slot = t->backoff_count < GOSSIPSUB_BACKOFFS_PER_TOPIC_MAX ? t->backoff_count++ : soonest;
    t->backoffs[slot] = (gossipsub_backoff){.handle = handle, .until_ns = until_ns};
}

static void backoffs_expire(gossipsub_topic *t, uint64_t now_ns) {
    for (size_t i = 0; i < t->backoff_count;) {
        if (now_ns >= t->backoffs[i].until_ns)
            t->backoffs[i] = t->backoffs[--t->backoff_count];
        else
            i++;
    }
}

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

size_t gossipsub_candidates(gossipsub *gs, const gossipsub_topic *t, uint64_t now_ns, bool exclude_backoff) {
    pubsub_bytes name = gossipsub_topic_view(t->name);
    size_t count = 0;
    for (size_t i = 0; i < gs->peer_count; i++) {
        const gossipsub_peer *peer = &gs->peers[i];
        if (!gossipsub_peer_subscribed(peer, name) || gossipsub_member_has(t, peer->handle)) continue;
        if (exclude_backoff && gossipsub_backoff_active(t, peer->handle, now_ns)) continue;
        gs->scratch_handles[count++] = peer->handle;
    }
    assert(count <= GOSSIPSUB_PEERS_MAX);
    gossipsub_shuffle(gs, gs->scratch_handles, count);
    return count;
}

/* ---- mesh ------------------------------------------------------------- */

/* Below D_lo: graft random peers out of backoff until D. */
static void mesh_fill(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    size_t count = gossipsub_candidates(gs, t, now_ns, true);
    for (size_t i = 0; i < count && t->member_count < (size_t)gs->config.D; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, gs->scratch_handles[i]);
        assert(peer != NULL);
        gossipsub_member_add(t, peer->handle);
        gossipsub_trace_mesh(gs, TRACE_GRAFT, t->name, peer);
        gossipsub_send_graft(gs, peer, t->name);
    }
}

/* Above D_hi: keep D random members, PRUNE the rest (with the ids of the
 * kept ones for v1.1 peer exchange) and back off from them ourselves. */
static void mesh_trim(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    uint32_t pruned[GOSSIPSUB_MESH_PEERS_MAX];
    gossipsub_shuffle(gs, t->members, t->member_count);
    size_t keep = (size_t)gs->config.D;
    size_t pruned_count = t->member_count - keep;
    memcpy(pruned, &t->members[keep], pruned_count * sizeof pruned[0]);
    t->member_count = keep;
    for (size_t i = 0; i < pruned_count; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, pruned[i]);
        assert(peer != NULL);
        gossipsub_trace_mesh(gs, TRACE_PRUNE, t->name, peer);
        gossipsub_send_prune(gs, peer, t, gs->config.prune_backoff_ns, true);
        gossipsub_backoff_set(t, peer->handle, now_ns + gs->config.prune_backoff_ns);
    }
}

static void mesh_maintain(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    assert(t->subscribed);
    if (t->member_count < (size_t)gs->config.D_lo) mesh_fill(gs, t, now_ns);
    else if (t->member_count > (size_t)gs->config.D_hi) mesh_trim(gs, t, now_ns);
}

/* Fanout: forget it fanout_ttl after the last publish; else drop members
 * that left the topic and top it up to D. */
static void fanout_maintain(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    assert(t->fanout && !t->subscribed);
    if (now_ns >= t->last_publish_ns + gs->config.fanout_ttl_ns) {
        t->fanout = false;
        t->member_count = 0;
        return;
    }
    pubsub_bytes name = gossipsub_topic_view(t->name);
    for (size_t i = 0; i < t->member_count;) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, t->members[i]);
        if (peer == NULL || !gossipsub_peer_subscribed(peer, name))
            t->members[i] = t->members[--t->member_count];
        else
            i++;
    }
    size_t count = gossipsub_candidates(gs, t, now_ns, false);
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

/* IHAVE with the topic's recent ids, to peers outside its mesh or fanout. */
static void gossip_emit(gossipsub *gs, gossipsub_topic *t, uint64_t now_ns) {
    size_t cap = gs->config.max_ihave_length;
    if (cap == 0 || cap > GOSSIPSUB_IHAVE_IDS_MAX) return;
    mcache_id *cached = malloc(cap * sizeof *cached);
    pubsub_bytes *ids = malloc(cap * sizeof *ids);
    size_t id_count = 0;
    if (cached != NULL && ids != NULL)
        id_count = mcache_gossip_ids(&gs->cache, (const uint8_t *)t->name, strlen(t->name), cached, cap);
    for (size_t i = 0; i < id_count; i++) ids[i] = (pubsub_bytes){cached[i].id, cached[i].len};
    if (id_count > 0) {
        gossipsub_control *ctl = gs->ctl_out;
        gossipsub_control_init(ctl);
        int rc = gossipsub_control_add_ihave(ctl, gossipsub_topic_view(t->name), ids, id_count);
        assert(rc == 0);
        (void)rc;
        size_t count = gossipsub_candidates(gs, t, now_ns, false);
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

/* Frees topic states that hold nothing any more: no subscription, no
 * fanout, no running backoff. */
static void topics_release(gossipsub *gs) {
    for (size_t i = 0; i < gs->topic_count;) {
        gossipsub_topic *t = gs->topics[i];
        if (t->subscribed || t->fanout || t->backoff_count > 0) {
            i++;
            continue;
        }
        free(t->name);
        free(t);
        gs->topics[i] = gs->topics[--gs->topic_count];
    }
}

void gossipsub_heartbeat(gossipsub *gs, uint64_t now_ns) {
    assert(gs != NULL);
    for (size_t i = 0; i < gs->peer_count; i++) {
        gs->peers[i].ihaves_this_heartbeat = 0;
        gs->peers[i].asked_this_heartbeat = 0;
    }
    for (size_t i = 0; i < gs->topic_count; i++) {
        gossipsub_topic *t = gs->topics[i];
        backoffs_expire(t, now_ns);
        if (t->subscribed) mesh_maintain(gs, t, now_ns);
        else if (t->fanout) fanout_maintain(gs, t, now_ns);
    }
    for (size_t i = 0; i < gs->topic_count; i++)
        if (gs->topics[i]->subscribed || gs->topics[i]->fanout) gossip_emit(gs, gs->topics[i], now_ns);
    topics_release(gs);
    /* Shift after gossip, so that this heartbeat advertised the newest
     * mcache_gossip windows (v1.0 "Message Cache"). */
    mcache_shift(&gs->cache);
    seen_cache_expire(&gs->seen, now_ns);
}
