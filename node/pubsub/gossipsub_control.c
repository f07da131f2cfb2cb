/* gossipsub_control: handling the control messages of gossipsub-v1.0.md
 * (GRAFT, PRUNE, IHAVE, IWANT), with the v1.1 rules ("GRAFT/PRUNE", "Spam
 * Protection Measures") and v1.2 IDONTWANT. See gossipsub_control.h. */
#include "gossipsub_control.h"

#include <assert.h>
#include <string.h>

#include "gossipsub_dontwant.h"
#include "gossipsub_mesh.h"
#include "gossipsub_promises.h"
#include "gossipsub_scoring.h"
#include "gossipsub_send.h"

#define GOSSIPSUB_BACKOFF_MAX_S (24u * 3600u) /* longest PRUNE backoff honoured: a day */
/* Why a PRUNE's peer exchange was not followed (drop_rpc reasons; each
 * starts "px " so that a reader can pick them out). */
#define GOSSIPSUB_PX_REFUSED_SCORE "px score below accept_px"
#define GOSSIPSUB_PX_REFUSED_INBOUND "px from an inbound peer without scoring"
#define GOSSIPSUB_PX_REFUSED_PEER "px one prune per peer per heartbeat"
#define GOSSIPSUB_PX_REFUSED_HEARTBEAT "px prune_peers dials this heartbeat"
#define GOSSIPSUB_PX_REFUSED_IN_FLIGHT "px dials in flight"

/* ---- GRAFT and PRUNE ----------------------------------------------------- */

/* Refuses a GRAFT: PRUNE (with our backoff) and, for a subscribed topic,
 * a backoff of our own so that we do not graft the peer back at once. */
static void graft_refuse(gossipsub *gs, gossipsub_peer *peer, gossipsub_topic *t, pubsub_bytes topic,
                         uint64_t now, bool px) {
    if (t != NULL && t->base.subscribed && !gossipsub_backoff_active(t, peer->base.handle, now))
        gossipsub_backoff_set(t, peer->base.handle, now + gs->config.prune_backoff_ns);
    gossipsub_prune_add(gs, gs->ctl_out, peer, topic, t, gs->config.prune_backoff_ns, px);
}

/* A GRAFT during a backoff breaks v1.1's rule: P7 once, and once more when
 * it comes within graft_flood_threshold of the PRUNE that started the
 * backoff (as go-libp2p computes it, from the backoff's end). */
static void graft_penalize_backoff(gossipsub *gs, const gossipsub_peer *peer, const gossipsub_topic *t,
                                   uint64_t now) {
    gossipsub_penalize(gs, peer, 1.0);
    uint64_t until = gossipsub_backoff_until(t, peer->base.handle);
    uint64_t started = until > gs->config.prune_backoff_ns ? until - gs->config.prune_backoff_ns : 0;
    if (now < started + gs->config.graft_flood_threshold_ns) gossipsub_penalize(gs, peer, 1.0);
}

/* GRAFT: join the peer to our mesh; or PRUNE it when we do not subscribe,
 * it is explicit, a backoff runs (P7), its score is negative, or the mesh
 * is full (D_hi) and the peer is inbound: outbound peers may always join
 * so that an attacker cannot fill our mesh with inbound connections. */
static void handle_graft(gossipsub *gs, gossipsub_peer *peer, pubsub_bytes topic, uint64_t now) {
    gossipsub_topic *t = gossipsub_topic_find(gs, topic);
    if (t != NULL && t->base.subscribed && gossipsub_member_has(t, peer->base.handle)) return;
    if (t == NULL || !t->base.subscribed || peer->explicit_peer) {
        graft_refuse(gs, peer, t, topic, now, false);
        return;
    }
    if (gossipsub_backoff_active(t, peer->base.handle, now)) {
        graft_penalize_backoff(gs, peer, t, now);
        graft_refuse(gs, peer, t, topic, now, false);
        return;
    }
    if (gossipsub_score_below(gs, peer, 0.0, now)) {
        graft_refuse(gs, peer, t, topic, now, false);
        return;
    }
    bool full = t->member_count >= (size_t)gs->config.D_hi || t->member_count == GOSSIPSUB_MESH_PEERS_MAX;
    if (full && (!peer->outbound || t->member_count == GOSSIPSUB_MESH_PEERS_MAX)) {
        graft_refuse(gs, peer, t, topic, now, true);
        return;
    }
    bool joined = gossipsub_mesh_join(gs, t, peer, now);
    assert(joined);
    (void)joined;
}

/* Whether id is a peer we already have. */
static bool px_known(const gossipsub *gs, const peer_id *id) {
    for (size_t i = 0; i < pubsub_peer_count(gs->ps); i++)
        if (peer_id_equal(&gossipsub_peer_at(gs, i)->base.id, id)) return true;
    return false;
}

/* A PRUNE whose peer exchange was refused, or cut short, for reason. */
static void px_trace_refused(gossipsub *gs, const gossipsub_peer *peer, const char *reason) {
    pubsub_trace_rpc(gs->ps, TRACE_DROP_RPC, &peer->base, (pubsub_rpc_shape){.prunes = 1}, reason);
}

/* Why the PX of a PRUNE from peer is not followed, or NULL when it is. v1.1
 * ("Score Thresholds", acceptPXThreshold) accepts PX only from peers it
 * trusts: with scoring, a score at or above accept_px; without, peers we
 * dialled, since a peer that dialled us could be anyone who reaches our
 * port (accept_px_inbound trusts those too, as go-libp2p does). Explicit
 * peers are trusted always. Then one PRUNE per peer and heartbeat, and
 * prune_peers dials per heartbeat for all peers together. */
static const char *px_refusal(const gossipsub *gs, const gossipsub_peer *peer, uint64_t now) {
    if (!peer->explicit_peer) {
        if (gs->score != NULL && gossipsub_score_below(gs, peer, gs->config.thresholds.accept_px, now))
            return GOSSIPSUB_PX_REFUSED_SCORE;
        if (gs->score == NULL && !peer->outbound && !gs->config.accept_px_inbound)
            return GOSSIPSUB_PX_REFUSED_INBOUND;
    }
    if (peer->px_this_heartbeat) return GOSSIPSUB_PX_REFUSED_PEER;
    if (gs->px_dials_this_heartbeat >= (uint32_t)gs->config.prune_peers) return GOSSIPSUB_PX_REFUSED_HEARTBEAT;
    return NULL;
}

/* Peer exchange: a PRUNE's peers that come with a signed record go to the
 * host to connect to, within the limits of px_refusal. Peers without a
 * record are skipped: the node keeps no address book to find them in.
 * Like go-libp2p's pxConnect (gossipsub.go), which takes at most
 * PrunePeers of a PRUNE and drops what its connectors cannot take; unlike
 * it, the budget is per heartbeat, not per PRUNE, and suggestions are
 * taken in order, not shuffled (the sender chose them either way). */
static void px_follow(gossipsub *gs, gossipsub_peer *peer, const gossipsub_prune *prune, uint64_t now) {
    if (gs->host.connect == NULL || prune->px_count == 0) return;
    const char *refused = px_refusal(gs, peer, now);
    if (refused != NULL) {
        px_trace_refused(gs, peer, refused);
        return;
    }
    peer->px_this_heartbeat = true;
    const gossipsub_peer_info *infos = &gs->ctl_in->px_peers[prune->px_first];
    for (size_t i = 0; i < prune->px_count; i++) {
        peer_id id;
        if (!infos[i].has_peer_id || !infos[i].has_signed_peer_record ||
            peer_id_from_bytes(infos[i].peer_id.data, infos[i].peer_id.len, &id) != 0 || px_known(gs, &id))
            continue;
        if (gs->px_dials_this_heartbeat >= (uint32_t)gs->config.prune_peers) {
            px_trace_refused(gs, peer, GOSSIPSUB_PX_REFUSED_HEARTBEAT);
            return;
        }
        gs->px_dials_this_heartbeat++; /* a record costs its check even when the host refuses it */
        if (!gs->host.connect(gs->host.user, &id, infos[i].signed_peer_record.data,
                              infos[i].signed_peer_record.len)) {
            px_trace_refused(gs, peer, GOSSIPSUB_PX_REFUSED_IN_FLIGHT);
            return;
        }
    }
}

/* PRUNE: leave the mesh, back off for the PRUNE's time (v1.1) or ours, and
 * follow its peer exchange. */
static void handle_prune(gossipsub *gs, gossipsub_peer *peer, const gossipsub_prune *prune, uint64_t now) {
    gossipsub_topic *t = gossipsub_topic_find(gs, prune->topic);
    if (t == NULL) return;
    if (t->base.subscribed) (void)gossipsub_mesh_leave(gs, t, peer, now);
    uint64_t backoff_ns = gs->config.prune_backoff_ns;
    if (prune->has_backoff) {
        uint64_t seconds = prune->backoff_s < GOSSIPSUB_BACKOFF_MAX_S ? prune->backoff_s : GOSSIPSUB_BACKOFF_MAX_S;
        backoff_ns = seconds * NS_PER_S;
    }
    gossipsub_backoff_set(t, peer->base.handle, now + backoff_ns);
    px_follow(gs, peer, prune, now);
}

/* ---- gossip ---------------------------------------------------------------- */

/* IHAVE: ask (IWANT) for the ids we have not seen, within the per-peer
 * heartbeat budgets, and track the promise. Gossip from a peer below the
 * gossip threshold is ignored. The wanted ids are compacted in place. */
static void handle_ihave(gossipsub *gs, gossipsub_peer *peer, const gossipsub_ihave *ihave, uint64_t now) {
    if (gossipsub_score_below(gs, peer, gs->config.thresholds.gossip, now)) return;
    if (peer->ihaves_this_heartbeat >= gs->config.max_ihave_messages) return;
    peer->ihaves_this_heartbeat++;
    const gossipsub_topic *t = gossipsub_topic_find(gs, ihave->topic);
    if (t == NULL || !t->base.subscribed) return;
    pubsub_bytes *ids = &gs->ctl_in->ihave_ids[ihave->id_first];
    size_t wanted = 0;
    for (size_t i = 0; i < ihave->id_count; i++) {
        if (peer->asked_this_heartbeat >= gs->config.max_ihave_length) break;
        if (ids[i].len == 0 || pubsub_seen_contains(gs->ps, ids[i].data, ids[i].len, now)) continue;
        ids[wanted++] = ids[i];
        peer->asked_this_heartbeat++;
    }
    if (wanted == 0 || gossipsub_control_add_iwant(gs->ctl_out, ids, wanted) != 0) return;
    gossipsub_promise_add(gs, peer, ids, wanted, now);
}

/* IWANT: serve each id from the message cache, within its retransmission
 * limit per peer and unless the peer said IDONTWANT; each message goes as
 * an RPC of its own. A peer below the gossip threshold is not served. */
static void handle_iwant(gossipsub *gs, gossipsub_peer *peer, const gossipsub_id_list *iwant, uint64_t now) {
    if (gossipsub_score_below(gs, peer, gs->config.thresholds.gossip, now)) return;
    if (gs->host.relay != NULL && !gs->host.relay(gs->host.user)) return;
    const pubsub_bytes *ids = &gs->ctl_in->iwant_ids[iwant->id_first];
    for (size_t i = 0; i < iwant->id_count; i++) {
        if (peer->dontwant_count > 0 &&
            gossipsub_dontwant_has(peer, gossipsub_fingerprint(gs, ids[i].data, ids[i].len)))
            continue;
        mcache_message m;
        if (mcache_get_for_peer(&gs->cache, ids[i].data, ids[i].len, peer->base.handle, &m) != MCACHE_IWANT_SERVE)
            continue;
        gossipsub_send_encoded(gs, peer, m.encoded, m.encoded_len, 0);
    }
}

/* IDONTWANT (v1.2): remember the ids, so that neither forwarding nor IWANT
 * sends them to the peer. Ignored when we did not offer /meshsub/1.2.0. */
static void handle_idontwant(gossipsub *gs, gossipsub_peer *peer, const gossipsub_id_list *list) {
    if (!gs->config.idontwant) return;
    const pubsub_bytes *ids = &gs->ctl_in->idontwant_ids[list->id_first];
    for (size_t i = 0; i < list->id_count; i++)
        if (ids[i].len > 0) gossipsub_dontwant_add(gs, peer, gossipsub_fingerprint(gs, ids[i].data, ids[i].len));
}

void gossipsub_handle_control(gossipsub *gs, gossipsub_peer *peer, uint64_t now) {
    const gossipsub_control *in = gs->ctl_in;
    gossipsub_control_init(gs->ctl_out);
    for (size_t i = 0; i < in->idontwant_count; i++) handle_idontwant(gs, peer, &in->idontwants[i]);
    for (size_t i = 0; i < in->graft_count; i++) handle_graft(gs, peer, in->grafts[i], now);
    for (size_t i = 0; i < in->prune_count; i++) handle_prune(gs, peer, &in->prunes[i], now);
    for (size_t i = 0; i < in->ihave_count; i++) handle_ihave(gs, peer, &in->ihaves[i], now);
    gossipsub_send_control(gs, peer, gs->ctl_out);
    for (size_t i = 0; i < in->iwant_count; i++) handle_iwant(gs, peer, &in->iwants[i], now);
}
