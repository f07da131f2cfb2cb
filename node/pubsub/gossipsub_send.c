/* gossipsub_send: control messages and cached messages out. See
 * gossipsub_send.h. */
#include "gossipsub_send.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/varint.h"
#include "gossipsub_scoring.h"

#define GOSSIPSUB_CONTROL_SLACK 64  /* RPC and ControlMessage framing */
#define GOSSIPSUB_ENTRY_OVERHEAD 16 /* tags and lengths of one entry or id */
#define GOSSIPSUB_PUBLISH_TAG 0x12  /* RPC field 2 (publish), length-delimited */

/* ---- traces and sending ------------------------------------------------ */

void gossipsub_shape_control(pubsub_rpc_shape *shape, const gossipsub_control *ctl, uint64_t control_bytes) {
    shape->control_bytes = control_bytes;
    shape->ihave_ids = (uint32_t)ctl->ihave_id_count;
    shape->iwant_ids = (uint32_t)ctl->iwant_id_count;
    shape->idontwant_ids = (uint32_t)ctl->idontwant_id_count;
    shape->grafts = (uint32_t)ctl->graft_count;
    shape->prunes = (uint32_t)ctl->prune_count;
}

/* An upper bound on the encoding of ctl, so that a buffer can be sized. */
static size_t control_size_bound(const gossipsub_control *ctl) {
    size_t size = GOSSIPSUB_CONTROL_SLACK;
    size_t entries = ctl->ihave_count + ctl->iwant_count + ctl->graft_count + ctl->prune_count +
                     ctl->idontwant_count;
    size += entries * (PUBSUB_TOPIC_MAX + GOSSIPSUB_ENTRY_OVERHEAD);
    for (size_t i = 0; i < ctl->ihave_id_count; i++) size += ctl->ihave_ids[i].len + GOSSIPSUB_ENTRY_OVERHEAD;
    for (size_t i = 0; i < ctl->iwant_id_count; i++) size += ctl->iwant_ids[i].len + GOSSIPSUB_ENTRY_OVERHEAD;
    for (size_t i = 0; i < ctl->idontwant_id_count; i++)
        size += ctl->idontwant_ids[i].len + GOSSIPSUB_ENTRY_OVERHEAD;
    for (size_t i = 0; i < ctl->px_peer_count; i++)
        size += ctl->px_peers[i].peer_id.len + ctl->px_peers[i].signed_peer_record.len +
                2 * GOSSIPSUB_ENTRY_OVERHEAD;
    return size;
}

/* A control-only RPC of len bytes is one field: a tag byte, the varint
 * length of the control, and the control. Returns the control's bytes. */
static size_t control_field_bytes(size_t len) {
    for (size_t k = 1; k <= VARINT_MAX_BYTES && k + 1 < len; k++)
        if (varint_size(len - 1 - k) == k) return len - 1 - k;
    assert(0 && "a control-only RPC has a tag, a length and a body");
    return 0;
}

void gossipsub_send_control(gossipsub *gs, const gossipsub_peer *peer, const gossipsub_control *ctl) {
    if (gossipsub_control_is_empty(ctl)) return;
    size_t cap = control_size_bound(ctl);
    uint8_t *rpc = malloc(cap);
    if (rpc == NULL) return;
    size_t len = gossipsub_rpc_encode(NULL, 0, NULL, 0, ctl, rpc, cap);
    assert(len > 0); /* we build only what the decoder accepts, within cap */
    if (len > 0) {
        pubsub_rpc_shape shape = {.len = len};
        gossipsub_shape_control(&shape, ctl, control_field_bytes(len));
        pubsub_send(gs->ps, &peer->base, rpc, shape);
    }
    free(rpc);
}

void gossipsub_send_graft(gossipsub *gs, const gossipsub_peer *peer, const char *topic) {
    gossipsub_control *ctl = gs->ctl_out;
    gossipsub_control_init(ctl);
    int rc = gossipsub_control_add_graft(ctl, gossipsub_topic_view(topic));
    assert(rc == 0);
    (void)rc;
    gossipsub_send_control(gs, peer, ctl);
}

/* With px, the ids of up to prune_peers members of t other than the peer (with
 * scoring, only members whose score is not negative: v1.1 "Peer Exchange"),
 * each with the signed peer record it gave us, when it gave one. */
void gossipsub_prune_add(gossipsub *gs, gossipsub_control *ctl, const gossipsub_peer *peer,
                            pubsub_bytes topic, const gossipsub_topic *t, uint64_t backoff_ns, bool px) {
    gossipsub_peer_info infos[GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX];
    size_t info_count = 0;
    size_t info_max = (size_t)gs->config.prune_peers;
    if (info_max > GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX) info_max = GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX;
    uint64_t now = gs->host.now_ns(gs->host.user);
    for (size_t i = 0; px && peer->v11 && t != NULL && i < t->member_count && info_count < info_max; i++) {
        const gossipsub_peer *other = gossipsub_peer_find(gs, t->members[i]);
        if (other == NULL || other == peer || gossipsub_score_below(gs, other, 0.0, now)) continue;
        gossipsub_peer_info *info = &infos[info_count++];
        *info = (gossipsub_peer_info){.peer_id = {other->base.id.bytes, other->base.id.len}, .has_peer_id = true};
        const uint8_t *record = NULL;
        size_t record_len = gs->host.peer_record != NULL ? gs->host.peer_record(gs->host.user, other->base.handle, &record) : 0;
        if (record_len > 0) {
            info->signed_peer_record = (pubsub_bytes){record, record_len};
            info->has_signed_peer_record = true;
        }
    }
    uint64_t backoff_s = (backoff_ns + NS_PER_S - 1) / NS_PER_S;
    (void)gossipsub_control_add_prune(ctl, topic, infos, info_count, peer->v11, backoff_s);
}

void gossipsub_send_prune(gossipsub *gs, const gossipsub_peer *peer, const gossipsub_topic *t,
                          uint64_t backoff_ns, bool px) {
    gossipsub_control *ctl = gs->ctl_out;
    gossipsub_control_init(ctl);
    gossipsub_prune_add(gs, ctl, peer, gossipsub_topic_view(t->base.name), t, backoff_ns, px);
    gossipsub_send_control(gs, peer, ctl);
}

void gossipsub_send_encoded(gossipsub *gs, const gossipsub_peer *peer, const uint8_t *encoded, size_t len,
                            uint64_t payload_bytes) {
    uint8_t header[1 + VARINT_MAX_BYTES];
    header[0] = GOSSIPSUB_PUBLISH_TAG;
    size_t header_len = 1 + varint_encode(len, header + 1);
    uint8_t *rpc = malloc(header_len + len);
    if (rpc == NULL) return;
    memcpy(rpc, header, header_len);
    memcpy(rpc + header_len, encoded, len);
    pubsub_send(gs->ps, &peer->base, rpc,
                (pubsub_rpc_shape){.len = header_len + len, .payload_bytes = payload_bytes, .message_count = 1});
    free(rpc);
}

static bool peer_is(const gossipsub_peer *peer, pubsub_bytes id) {
    return id.len == peer->base.id.len && memcmp(id.data, peer->base.id.bytes, id.len) == 0;
}

/* v1.2: sent as soon as a large message is validated, before it is
 * forwarded, so that a member whose copy to us still waits in its queue
 * can drop it. */
void gossipsub_send_idontwant(gossipsub *gs, const gossipsub_topic *t, const uint8_t *id, size_t id_len,
                              const gossipsub_peer *skip, pubsub_bytes origin) {
    gossipsub_control *ctl = gs->ctl_out;
    gossipsub_control_init(ctl);
    pubsub_bytes view = {id, id_len};
    if (gossipsub_control_add_idontwant(ctl, &view, 1) != 0) return;
    for (size_t i = 0; i < t->member_count; i++) {
        const gossipsub_peer *peer = gossipsub_peer_find(gs, t->members[i]);
        if (peer == NULL || peer == skip || !peer->supports_idontwant || peer_is(peer, origin)) continue;
        gossipsub_send_control(gs, peer, ctl);
    }
}
