/*
 * gossipsub_pb: the GossipSub ControlMessage codec (libp2p/specs
 * pubsub/gossipsub/). See gossipsub_pb.h for the limits and why lists past
 * them are truncated (IHAVE, IWANT, IDONTWANT, PX) or refused (GRAFT, PRUNE).
 *
 * Decoding policy, as in pubsub_pb:
 * - a known field with the wrong wire type makes the control malformed;
 * - a singular field that appears twice (topicID, backoff, peerID,
 *   signedPeerRecord) is rejected rather than "last one wins", so that
 *   encode(decode(x)) always means x;
 * - an IHAVE, GRAFT or PRUNE without topicID is rejected: every
 *   implementation sends one, and without it the entry means nothing;
 * - unknown fields are skipped, for forward compatibility (v1.3 adds
 *   `extensions = 6` to ControlMessage).
 *
 * Encoding writes fields in field-number order, as go-libp2p, rust-libp2p
 * and js-libp2p do, and refuses whatever the decoder would not read back
 * whole.
 */
#include "gossipsub_pb.h"

#include <assert.h>
#include <string.h>

#include "base/pb.h"
#include "base/varint.h"

enum {
    GOSSIPSUB_CONTROL_FIELD_IHAVE = 1,
    GOSSIPSUB_CONTROL_FIELD_IWANT = 2,
    GOSSIPSUB_CONTROL_FIELD_GRAFT = 3,
    GOSSIPSUB_CONTROL_FIELD_PRUNE = 4,
    GOSSIPSUB_CONTROL_FIELD_IDONTWANT = 5,
};

enum {
    GOSSIPSUB_TOPIC_FIELD = 1,        /* topicID in IHAVE, GRAFT and PRUNE */
    GOSSIPSUB_IHAVE_FIELD_IDS = 2,
    GOSSIPSUB_ID_LIST_FIELD_IDS = 1,  /* messageIDs in IWANT and IDONTWANT */
    GOSSIPSUB_PRUNE_FIELD_PEERS = 2,
    GOSSIPSUB_PRUNE_FIELD_BACKOFF = 3,
    GOSSIPSUB_PEER_INFO_FIELD_PEER_ID = 1,
    GOSSIPSUB_PEER_INFO_FIELD_RECORD = 2,
};

/* The RPC field that carries the control message (pubsub/README.md). */
#define GOSSIPSUB_RPC_FIELD_CONTROL 3

/* One kind's id pool, as the decoder and the builders fill it. */
typedef struct gossipsub_id_pool {
    pubsub_bytes *ids;
    size_t *count;
    size_t max;
    size_t *dropped;
} gossipsub_id_pool;

static gossipsub_id_pool gossipsub_pool_ihave(gossipsub_control *ctl) {
    gossipsub_id_pool p = {ctl->ihave_ids, &ctl->ihave_id_count, GOSSIPSUB_IHAVE_IDS_MAX,
                           &ctl->dropped.ihave_ids};
    return p;
}

static gossipsub_id_pool gossipsub_pool_iwant(gossipsub_control *ctl) {
    gossipsub_id_pool p = {ctl->iwant_ids, &ctl->iwant_id_count, GOSSIPSUB_IWANT_IDS_MAX,
                           &ctl->dropped.iwant_ids};
    return p;
}

static gossipsub_id_pool gossipsub_pool_idontwant(gossipsub_control *ctl) {
    gossipsub_id_pool p = {ctl->idontwant_ids, &ctl->idontwant_id_count,
                           GOSSIPSUB_IDONTWANT_IDS_MAX, &ctl->dropped.idontwant_ids};
    return p;
}

void gossipsub_control_init(gossipsub_control *ctl) {
    assert(ctl != NULL);
    ctl->ihave_count = ctl->iwant_count = ctl->graft_count = 0;
    ctl->prune_count = ctl->idontwant_count = 0;
    ctl->ihave_id_count = ctl->iwant_id_count = ctl->idontwant_id_count = 0;
    ctl->px_peer_count = 0;
    memset(&ctl->dropped, 0, sizeof ctl->dropped);
    assert(gossipsub_control_is_empty(ctl));
}

bool gossipsub_control_is_empty(const gossipsub_control *ctl) {
    assert(ctl != NULL);
    return ctl->ihave_count == 0 && ctl->iwant_count == 0 && ctl->graft_count == 0 &&
           ctl->prune_count == 0 && ctl->idontwant_count == 0;
}

/* ---- decoding ---- */

/* Takes a singular length-delimited field; a repeat or a wrong wire type is
 * malformed. */
static int gossipsub_take_bytes(const pb_field *field, pubsub_bytes *out, bool *has) {
    assert(field != NULL);
    assert(out != NULL && has != NULL);
    if (field->wire_type != PB_WIRE_BYTES || *has) return -1;
    out->data = field->bytes;
    out->len = field->len;
    *has = true;
    return 0;
}

static int gossipsub_take_topic(const pb_field *field, pubsub_bytes *topic, bool *has) {
    assert(field->number == GOSSIPSUB_TOPIC_FIELD);
    if (gossipsub_take_bytes(field, topic, has) != 0) return -1;
    return topic->len <= PUBSUB_TOPIC_MAX ? 0 : -1;
}

/* One messageIDs field: checked always, stored only when keep and the pool
 * has room, counted as dropped otherwise. */
static int gossipsub_take_id(const pb_field *field, gossipsub_id_pool *pool, bool keep) {
    assert(field != NULL && pool != NULL);
    assert(*pool->count <= pool->max);
    if (field->wire_type != PB_WIRE_BYTES) return -1;
    if (field->len > GOSSIPSUB_MESSAGE_ID_MAX_BYTES) return -1;
    if (!keep || *pool->count == pool->max) {
        (*pool->dropped)++;
        return 0;
    }
    pubsub_bytes *id = &pool->ids[(*pool->count)++];
    id->data = field->bytes;
    id->len = field->len;
    return 0;
}

/* An IHAVE (topic != NULL: topicID 1, messageIDs 2) or an IWANT/IDONTWANT
 * (topic == NULL: messageIDs 1). The ids it keeps are contiguous in the
 * pool, from where the pool stood when it began. */
static int gossipsub_id_entry_decode(const pb_field *entry, pubsub_bytes *topic,
                                     gossipsub_id_pool *pool, bool keep,
                                     gossipsub_id_list *slice) {
    assert(entry != NULL && pool != NULL);
    assert(slice != NULL);
    if (entry->wire_type != PB_WIRE_BYTES) return -1;
    uint32_t id_field = topic != NULL ? GOSSIPSUB_IHAVE_FIELD_IDS : GOSSIPSUB_ID_LIST_FIELD_IDS;
    slice->id_first = *pool->count;
    bool has_topic = false;
    pb_reader r;
    pb_reader_init(&r, entry->bytes, entry->len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        if (field.number == id_field) {
            if (gossipsub_take_id(&field, pool, keep) != 0) return -1;
        } else if (topic != NULL && field.number == GOSSIPSUB_TOPIC_FIELD) {
            if (gossipsub_take_topic(&field, topic, &has_topic) != 0) return -1;
        }
    }
    if (rc != PB_END) return -1;
    if (topic != NULL && !has_topic) return -1;
    slice->id_count = *pool->count - slice->id_first;
    return 0;
}

static int gossipsub_ihave_decode(const pb_field *entry, gossipsub_control *ctl) {
    assert(entry != NULL && ctl != NULL);
    assert(ctl->ihave_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    bool keep = ctl->ihave_count < GOSSIPSUB_TOPICS_PER_CONTROL_MAX;
    gossipsub_id_pool pool = gossipsub_pool_ihave(ctl);
    pubsub_bytes topic = {NULL, 0};
    gossipsub_id_list slice;
    if (gossipsub_id_entry_decode(entry, &topic, &pool, keep, &slice) != 0) return -1;
    if (!keep) {
        ctl->dropped.ihaves++;
        return 0;
    }
    gossipsub_ihave *ihave = &ctl->ihaves[ctl->ihave_count++];
    ihave->topic = topic;
    ihave->id_first = slice.id_first;
    ihave->id_count = slice.id_count;
    return 0;
}

/* An IWANT or IDONTWANT into its entry array (count of max), truncating. */
static int gossipsub_id_list_decode(const pb_field *entry, gossipsub_id_pool *pool,
                                    gossipsub_id_list *lists, size_t *count, size_t max,
                                    size_t *dropped) {
    assert(entry != NULL && pool != NULL);
    assert(*count <= max);
    bool keep = *count < max;
    gossipsub_id_list slice;
    if (gossipsub_id_entry_decode(entry, NULL, pool, keep, &slice) != 0) return -1;
    if (!keep) {
        (*dropped)++;
        return 0;
    }
    lists[(*count)++] = slice;
    return 0;
}

static int gossipsub_graft_decode(const pb_field *entry, gossipsub_control *ctl) {
    assert(entry != NULL && ctl != NULL);
    assert(ctl->graft_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    if (entry->wire_type != PB_WIRE_BYTES) return -1;
    if (ctl->graft_count == GOSSIPSUB_TOPICS_PER_CONTROL_MAX) return -1; /* refused, not dropped */
    pubsub_bytes topic = {NULL, 0};
    bool has_topic = false;
    pb_reader r;
    pb_reader_init(&r, entry->bytes, entry->len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        if (field.number != GOSSIPSUB_TOPIC_FIELD) continue;
        if (gossipsub_take_topic(&field, &topic, &has_topic) != 0) return -1;
    }
    if (rc != PB_END || !has_topic) return -1;
    ctl->grafts[ctl->graft_count++] = topic;
    return 0;
}

static int gossipsub_peer_info_decode(const pb_field *entry, gossipsub_peer_info *info) {
    assert(entry != NULL && info != NULL);
    if (entry->wire_type != PB_WIRE_BYTES) return -1;
    memset(info, 0, sizeof *info);
    pb_reader r;
    pb_reader_init(&r, entry->bytes, entry->len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        if (field.number == GOSSIPSUB_PEER_INFO_FIELD_PEER_ID) {
            if (gossipsub_take_bytes(&field, &info->peer_id, &info->has_peer_id) != 0) return -1;
        } else if (field.number == GOSSIPSUB_PEER_INFO_FIELD_RECORD) {
            if (gossipsub_take_bytes(&field, &info->signed_peer_record,
                                     &info->has_signed_peer_record) != 0)
                return -1;
        }
    }
    return rc == PB_END ? 0 : -1;
}

/* One PeerInfo of a PRUNE: kept while both the PRUNE's and the control's
 * PX budgets allow, else counted as dropped (PX is advice). */
static int gossipsub_px_take(const pb_field *field, gossipsub_control *ctl,
                             gossipsub_prune *prune) {
    assert(field != NULL && prune != NULL);
    assert(ctl->px_peer_count <= GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX);
    gossipsub_peer_info info;
    if (gossipsub_peer_info_decode(field, &info) != 0) return -1;
    if (prune->px_count == GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX ||
        ctl->px_peer_count == GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX) {
        ctl->dropped.px_peers++;
        return 0;
    }
    ctl->px_peers[ctl->px_peer_count++] = info;
    prune->px_count++;
    return 0;
}

static int gossipsub_prune_field(const pb_field *field, gossipsub_control *ctl,
                                 gossipsub_prune *prune, bool *has_topic) {
    assert(field != NULL && ctl != NULL);
    assert(prune != NULL && has_topic != NULL);
    switch (field->number) {
    case GOSSIPSUB_TOPIC_FIELD:
        return gossipsub_take_topic(field, &prune->topic, has_topic);
    case GOSSIPSUB_PRUNE_FIELD_PEERS:
        return gossipsub_px_take(field, ctl, prune);
    case GOSSIPSUB_PRUNE_FIELD_BACKOFF:
        if (field->wire_type != PB_WIRE_VARINT || prune->has_backoff) return -1;
        prune->backoff_s = field->varint;
        prune->has_backoff = true;
        return 0;
    default:
        return 0; /* unknown field: skipped */
    }
}

static int gossipsub_prune_decode(const pb_field *entry, gossipsub_control *ctl) {
    assert(entry != NULL && ctl != NULL);
    assert(ctl->prune_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    if (entry->wire_type != PB_WIRE_BYTES) return -1;
    if (ctl->prune_count == GOSSIPSUB_TOPICS_PER_CONTROL_MAX) return -1; /* refused, not dropped */
    gossipsub_prune prune;
    memset(&prune, 0, sizeof prune);
    prune.px_first = ctl->px_peer_count;
    bool has_topic = false;
    pb_reader r;
    pb_reader_init(&r, entry->bytes, entry->len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        if (gossipsub_prune_field(&field, ctl, &prune, &has_topic) != 0) return -1;
    }
    if (rc != PB_END || !has_topic) return -1;
    ctl->prunes[ctl->prune_count++] = prune;
    return 0;
}

static int gossipsub_control_field(const pb_field *field, gossipsub_control *ctl) {
    assert(field != NULL && ctl != NULL);
    gossipsub_id_pool pool;
    switch (field->number) {
    case GOSSIPSUB_CONTROL_FIELD_IHAVE:
        return gossipsub_ihave_decode(field, ctl);
    case GOSSIPSUB_CONTROL_FIELD_IWANT:
        pool = gossipsub_pool_iwant(ctl);
        return gossipsub_id_list_decode(field, &pool, ctl->iwants, &ctl->iwant_count,
                                        GOSSIPSUB_IWANTS_PER_CONTROL_MAX, &ctl->dropped.iwants);
    case GOSSIPSUB_CONTROL_FIELD_GRAFT:
        return gossipsub_graft_decode(field, ctl);
    case GOSSIPSUB_CONTROL_FIELD_PRUNE:
        return gossipsub_prune_decode(field, ctl);
    case GOSSIPSUB_CONTROL_FIELD_IDONTWANT:
        pool = gossipsub_pool_idontwant(ctl);
        return gossipsub_id_list_decode(field, &pool, ctl->idontwants, &ctl->idontwant_count,
                                        GOSSIPSUB_IDONTWANTS_PER_CONTROL_MAX,
                                        &ctl->dropped.idontwants);
    default:
        return 0; /* unknown field (v1.3 extensions, ...): skipped */
    }
}

int gossipsub_control_decode(const uint8_t *in, size_t len, gossipsub_control *ctl) {
    assert(ctl != NULL);
    assert(in != NULL || len == 0);
    gossipsub_control_init(ctl);
    if (len > PUBSUB_RPC_MAX_BYTES) return -1;
    pb_reader r;
    pb_reader_init(&r, in, len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        if (gossipsub_control_field(&field, ctl) != 0) {
            rc = PB_MALFORMED;
            break;
        }
    }
    if (rc != PB_END) {
        /* No partial control: the caller sees an empty one next to the error. */
        gossipsub_control_init(ctl);
        return -1;
    }
    assert(ctl->ihave_id_count <= GOSSIPSUB_IHAVE_IDS_MAX);
    assert(ctl->px_peer_count <= GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX);
    return 0;
}

/* ---- building ---- */

/* Appends ids to pool if each fits the id length limit and the pool has
 * room for all of them; the slice they took goes to *slice. */
static int gossipsub_pool_append(gossipsub_id_pool *pool, const pubsub_bytes *ids,
                                 size_t id_count, gossipsub_id_list *slice) {
    assert(pool != NULL && slice != NULL);
    assert(ids != NULL || id_count == 0);
    if (id_count > pool->max - *pool->count) return -1;
    for (size_t i = 0; i < id_count; i++) {
        if (ids[i].len > GOSSIPSUB_MESSAGE_ID_MAX_BYTES) return -1;
        if (ids[i].data == NULL && ids[i].len != 0) return -1;
    }
    slice->id_first = *pool->count;
    slice->id_count = id_count;
    if (id_count > 0) memcpy(&pool->ids[*pool->count], ids, id_count * sizeof ids[0]);
    *pool->count += id_count;
    return 0;
}

static bool gossipsub_topic_ok(pubsub_bytes topic) {
    return topic.len <= PUBSUB_TOPIC_MAX && (topic.data != NULL || topic.len == 0);
}

int gossipsub_control_add_ihave(gossipsub_control *ctl, pubsub_bytes topic,
                                const pubsub_bytes *ids, size_t id_count) {
    assert(ctl != NULL);
    assert(ctl->ihave_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    if (ctl->ihave_count == GOSSIPSUB_TOPICS_PER_CONTROL_MAX || !gossipsub_topic_ok(topic))
        return -1;
    gossipsub_id_pool pool = gossipsub_pool_ihave(ctl);
    gossipsub_id_list slice;
    if (gossipsub_pool_append(&pool, ids, id_count, &slice) != 0) return -1;
    gossipsub_ihave *ihave = &ctl->ihaves[ctl->ihave_count++];
    ihave->topic = topic;
    ihave->id_first = slice.id_first;
    ihave->id_count = slice.id_count;
    return 0;
}

int gossipsub_control_add_iwant(gossipsub_control *ctl, const pubsub_bytes *ids, size_t id_count) {
    assert(ctl != NULL);
    assert(ctl->iwant_count <= GOSSIPSUB_IWANTS_PER_CONTROL_MAX);
    if (ctl->iwant_count == GOSSIPSUB_IWANTS_PER_CONTROL_MAX) return -1;
    gossipsub_id_pool pool = gossipsub_pool_iwant(ctl);
    if (gossipsub_pool_append(&pool, ids, id_count, &ctl->iwants[ctl->iwant_count]) != 0) return -1;
    ctl->iwant_count++;
    return 0;
}

int gossipsub_control_add_idontwant(gossipsub_control *ctl, const pubsub_bytes *ids,
                                    size_t id_count) {
    assert(ctl != NULL);
    assert(ctl->idontwant_count <= GOSSIPSUB_IDONTWANTS_PER_CONTROL_MAX);
    if (ctl->idontwant_count == GOSSIPSUB_IDONTWANTS_PER_CONTROL_MAX) return -1;
    gossipsub_id_pool pool = gossipsub_pool_idontwant(ctl);
    gossipsub_id_list *slot = &ctl->idontwants[ctl->idontwant_count];
    if (gossipsub_pool_append(&pool, ids, id_count, slot) != 0) return -1;
    ctl->idontwant_count++;
    return 0;
}

int gossipsub_control_add_graft(gossipsub_control *ctl, pubsub_bytes topic) {
    assert(ctl != NULL);
    assert(ctl->graft_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    if (ctl->graft_count == GOSSIPSUB_TOPICS_PER_CONTROL_MAX || !gossipsub_topic_ok(topic))
        return -1;
    ctl->grafts[ctl->graft_count++] = topic;
    return 0;
}

static bool gossipsub_peer_info_ok(const gossipsub_peer_info *info) {
    assert(info != NULL);
    if (info->has_peer_id && info->peer_id.data == NULL && info->peer_id.len != 0) return false;
    if (info->has_signed_peer_record && info->signed_peer_record.data == NULL &&
        info->signed_peer_record.len != 0)
        return false;
    return true;
}

int gossipsub_control_add_prune(gossipsub_control *ctl, pubsub_bytes topic,
                                const gossipsub_peer_info *peers, size_t peer_count,
                                bool has_backoff, uint64_t backoff_s) {
    assert(ctl != NULL);
    assert(peers != NULL || peer_count == 0);
    if (ctl->prune_count == GOSSIPSUB_TOPICS_PER_CONTROL_MAX || !gossipsub_topic_ok(topic))
        return -1;
    if (peer_count > GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX ||
        peer_count > GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX - ctl->px_peer_count)
        return -1;
    for (size_t i = 0; i < peer_count; i++) {
        if (!gossipsub_peer_info_ok(&peers[i])) return -1;
    }
    gossipsub_prune *prune = &ctl->prunes[ctl->prune_count++];
    prune->topic = topic;
    prune->px_first = ctl->px_peer_count;
    prune->px_count = peer_count;
    prune->has_backoff = has_backoff;
    prune->backoff_s = has_backoff ? backoff_s : 0;
    if (peer_count > 0)
        memcpy(&ctl->px_peers[ctl->px_peer_count], peers, peer_count * sizeof peers[0]);
    ctl->px_peer_count += peer_count;
    return 0;
}

/* ---- encoding ---- */

/* Bytes of a length-delimited field carrying len bytes. Callers keep len
 * within PUBSUB_RPC_MAX_BYTES, so sums of a few of these cannot overflow. */
static size_t gossipsub_field_size(uint32_t number, size_t len) {
    assert(len <= PUBSUB_RPC_MAX_BYTES);
    return varint_size(((uint64_t)number << 3) | PB_WIRE_BYTES) + varint_size(len) + len;
}

/* Why the size functions return this: a limit or slice check failed. */
#define GOSSIPSUB_SIZE_INVALID SIZE_MAX

/* Body size of a list of ids from pool (of pool_count ids), each as field
 * `number`; *budget is what the decoder will still keep of this pool. */
static size_t gossipsub_ids_size(const pubsub_bytes *pool, size_t pool_count, size_t first,
                                 size_t count, uint32_t number, size_t *budget) {
    assert(pool != NULL || pool_count == 0);
    assert(budget != NULL);
    if (first > pool_count || count > pool_count - first || count > *budget)
        return GOSSIPSUB_SIZE_INVALID;
    *budget -= count;
    size_t total = 0;
    for (size_t i = first; i < first + count; i++) {
        if (pool[i].len > GOSSIPSUB_MESSAGE_ID_MAX_BYTES) return GOSSIPSUB_SIZE_INVALID;
        total += gossipsub_field_size(number, pool[i].len);
        if (total > PUBSUB_RPC_MAX_BYTES) return GOSSIPSUB_SIZE_INVALID;
    }
    return total;
}

static size_t gossipsub_topic_size(pubsub_bytes topic) {
    if (topic.len > PUBSUB_TOPIC_MAX) return GOSSIPSUB_SIZE_INVALID;
    return gossipsub_field_size(GOSSIPSUB_TOPIC_FIELD, topic.len);
}

static size_t gossipsub_ihave_size(const gossipsub_control *ctl, const gossipsub_ihave *ihave,
                                   size_t *budget) {
    assert(ctl != NULL && ihave != NULL);
    assert(ctl->ihave_id_count <= GOSSIPSUB_IHAVE_IDS_MAX);
    size_t topic = gossipsub_topic_size(ihave->topic);
    size_t ids = gossipsub_ids_size(ctl->ihave_ids, ctl->ihave_id_count, ihave->id_first,
                                    ihave->id_count, GOSSIPSUB_IHAVE_FIELD_IDS, budget);
    if (topic == GOSSIPSUB_SIZE_INVALID || ids == GOSSIPSUB_SIZE_INVALID)
        return GOSSIPSUB_SIZE_INVALID;
    return topic + ids;
}

static size_t gossipsub_peer_info_size(const gossipsub_peer_info *info) {
    assert(info != NULL);
    size_t total = 0;
    if (info->has_peer_id) {
        if (info->peer_id.len > PUBSUB_RPC_MAX_BYTES) return GOSSIPSUB_SIZE_INVALID;
        total += gossipsub_field_size(GOSSIPSUB_PEER_INFO_FIELD_PEER_ID, info->peer_id.len);
    }
    if (info->has_signed_peer_record) {
        if (info->signed_peer_record.len > PUBSUB_RPC_MAX_BYTES) return GOSSIPSUB_SIZE_INVALID;
        total += gossipsub_field_size(GOSSIPSUB_PEER_INFO_FIELD_RECORD,
                                      info->signed_peer_record.len);
    }
    return total > PUBSUB_RPC_MAX_BYTES ? GOSSIPSUB_SIZE_INVALID : total;
}

static size_t gossipsub_prune_size(const gossipsub_control *ctl, const gossipsub_prune *prune,
                                   size_t *px_budget) {
    assert(ctl != NULL && prune != NULL);
    assert(px_budget != NULL);
    size_t total = gossipsub_topic_size(prune->topic);
    if (total == GOSSIPSUB_SIZE_INVALID) return total;
    if (prune->px_first > ctl->px_peer_count ||
        prune->px_count > ctl->px_peer_count - prune->px_first ||
        prune->px_count > GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX || prune->px_count > *px_budget)
        return GOSSIPSUB_SIZE_INVALID;
    *px_budget -= prune->px_count;
    for (size_t i = prune->px_first; i < prune->px_first + prune->px_count; i++) {
        size_t info = gossipsub_peer_info_size(&ctl->px_peers[i]);
        if (info == GOSSIPSUB_SIZE_INVALID) return info;
        total += gossipsub_field_size(GOSSIPSUB_PRUNE_FIELD_PEERS, info);
        if (total > PUBSUB_RPC_MAX_BYTES) return GOSSIPSUB_SIZE_INVALID;
    }
    if (prune->has_backoff) total += 1 + varint_size(prune->backoff_s); /* tag 0x18 */
    return total;
}

/* Adds one entry of `body` bytes as field `number` to *total; false once
 * anything failed or the control outgrew what a peer accepts. */
static bool gossipsub_size_add(size_t *total, uint32_t number, size_t body) {
    assert(total != NULL);
    if (body == GOSSIPSUB_SIZE_INVALID || body > PUBSUB_RPC_MAX_BYTES) return false;
    *total += gossipsub_field_size(number, body);
    return *total <= PUBSUB_RPC_MAX_BYTES;
}

/* Every count within its array: the caller may have filled ctl by hand. */
static bool gossipsub_counts_ok(const gossipsub_control *ctl) {
    assert(ctl != NULL);
    return ctl->ihave_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX &&
           ctl->iwant_count <= GOSSIPSUB_IWANTS_PER_CONTROL_MAX &&
           ctl->graft_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX &&
           ctl->prune_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX &&
           ctl->idontwant_count <= GOSSIPSUB_IDONTWANTS_PER_CONTROL_MAX &&
           ctl->ihave_id_count <= GOSSIPSUB_IHAVE_IDS_MAX &&
           ctl->iwant_id_count <= GOSSIPSUB_IWANT_IDS_MAX &&
           ctl->idontwant_id_count <= GOSSIPSUB_IDONTWANT_IDS_MAX &&
           ctl->px_peer_count <= GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX;
}

/* The ControlMessage's size, or GOSSIPSUB_SIZE_INVALID. The budgets are
 * what the decoder keeps per control, so that slices which overlap in the
 * pool cannot sneak more ids past it than it would read. */
static size_t gossipsub_control_size(const gossipsub_control *ctl) {
    assert(ctl != NULL);
    if (!gossipsub_counts_ok(ctl)) return GOSSIPSUB_SIZE_INVALID;
    size_t total = 0;
    size_t ihave_budget = GOSSIPSUB_IHAVE_IDS_MAX;
    size_t iwant_budget = GOSSIPSUB_IWANT_IDS_MAX;
    size_t idontwant_budget = GOSSIPSUB_IDONTWANT_IDS_MAX;
    size_t px_budget = GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX;
    bool ok = true;
    for (size_t i = 0; ok && i < ctl->ihave_count; i++)
        ok = gossipsub_size_add(&total, GOSSIPSUB_CONTROL_FIELD_IHAVE,
                                gossipsub_ihave_size(ctl, &ctl->ihaves[i], &ihave_budget));
    for (size_t i = 0; ok && i < ctl->iwant_count; i++)
        ok = gossipsub_size_add(&total, GOSSIPSUB_CONTROL_FIELD_IWANT,
                                gossipsub_ids_size(ctl->iwant_ids, ctl->iwant_id_count,
                                                   ctl->iwants[i].id_first, ctl->iwants[i].id_count,
                                                   GOSSIPSUB_ID_LIST_FIELD_IDS, &iwant_budget));
    for (size_t i = 0; ok && i < ctl->graft_count; i++)
        ok = gossipsub_size_add(&total, GOSSIPSUB_CONTROL_FIELD_GRAFT,
                                gossipsub_topic_size(ctl->grafts[i]));
    for (size_t i = 0; ok && i < ctl->prune_count; i++)
        ok = gossipsub_size_add(&total, GOSSIPSUB_CONTROL_FIELD_PRUNE,
                                gossipsub_prune_size(ctl, &ctl->prunes[i], &px_budget));
    for (size_t i = 0; ok && i < ctl->idontwant_count; i++)
        ok = gossipsub_size_add(
            &total, GOSSIPSUB_CONTROL_FIELD_IDONTWANT,
            gossipsub_ids_size(ctl->idontwant_ids, ctl->idontwant_id_count,
                               ctl->idontwants[i].id_first, ctl->idontwants[i].id_count,
                               GOSSIPSUB_ID_LIST_FIELD_IDS, &idontwant_budget));
    return ok ? total : GOSSIPSUB_SIZE_INVALID;
}

static void gossipsub_write_header(pb_writer *w, uint32_t number, size_t body) {
    assert(w != NULL);
    assert(body <= PUBSUB_RPC_MAX_BYTES);
    pb_write_varint(w, ((uint64_t)number << 3) | PB_WIRE_BYTES);
    pb_write_varint(w, body);
}

static void gossipsub_write_ids(pb_writer *w, const pubsub_bytes *pool, size_t first, size_t count,
                                uint32_t number) {
    assert(w != NULL);
    assert(pool != NULL || count == 0);
    for (size_t i = first; i < first + count; i++)
        pb_write_bytes_field(w, number, pool[i].data, pool[i].len);
}

static void gossipsub_write_prune(pb_writer *w, const gossipsub_control *ctl,
                                  const gossipsub_prune *prune) {
    assert(w != NULL && ctl != NULL);
    assert(prune != NULL);
    size_t px_budget = GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX; /* checked already */
    size_t body = gossipsub_prune_size(ctl, prune, &px_budget);
    assert(body != GOSSIPSUB_SIZE_INVALID);
    gossipsub_write_header(w, GOSSIPSUB_CONTROL_FIELD_PRUNE, body);
    pb_write_bytes_field(w, GOSSIPSUB_TOPIC_FIELD, prune->topic.data, prune->topic.len);
    for (size_t i = prune->px_first; i < prune->px_first + prune->px_count; i++) {
        const gossipsub_peer_info *info = &ctl->px_peers[i];
        gossipsub_write_header(w, GOSSIPSUB_PRUNE_FIELD_PEERS, gossipsub_peer_info_size(info));
        if (info->has_peer_id)
            pb_write_bytes_field(w, GOSSIPSUB_PEER_INFO_FIELD_PEER_ID, info->peer_id.data,
                                 info->peer_id.len);
        if (info->has_signed_peer_record)
            pb_write_bytes_field(w, GOSSIPSUB_PEER_INFO_FIELD_RECORD, info->signed_peer_record.data,
                                 info->signed_peer_record.len);
    }
    if (prune->has_backoff)
        pb_write_varint_field(w, GOSSIPSUB_PRUNE_FIELD_BACKOFF, prune->backoff_s);
}

/* Writes an IWANT or IDONTWANT entry, whose body is its ids alone. */
static void gossipsub_write_id_list(pb_writer *w, uint32_t number, const pubsub_bytes *pool,
                                    size_t pool_count, const gossipsub_id_list *list) {
    assert(w != NULL && list != NULL);
    size_t budget = list->id_count; /* checked already */
    size_t body = gossipsub_ids_size(pool, pool_count, list->id_first, list->id_count,
                                     GOSSIPSUB_ID_LIST_FIELD_IDS, &budget);
    assert(body != GOSSIPSUB_SIZE_INVALID);
    gossipsub_write_header(w, number, body);
    gossipsub_write_ids(w, pool, list->id_first, list->id_count, GOSSIPSUB_ID_LIST_FIELD_IDS);
}

/* Writes ctl, already checked by gossipsub_control_size(). */
static void gossipsub_control_write(pb_writer *w, const gossipsub_control *ctl) {
    assert(w != NULL && ctl != NULL);
    for (size_t i = 0; i < ctl->ihave_count; i++) {
        const gossipsub_ihave *ihave = &ctl->ihaves[i];
        size_t budget = ihave->id_count;
        gossipsub_write_header(w, GOSSIPSUB_CONTROL_FIELD_IHAVE,
                               gossipsub_ihave_size(ctl, ihave, &budget));
        pb_write_bytes_field(w, GOSSIPSUB_TOPIC_FIELD, ihave->topic.data, ihave->topic.len);
        gossipsub_write_ids(w, ctl->ihave_ids, ihave->id_first, ihave->id_count,
                            GOSSIPSUB_IHAVE_FIELD_IDS);
    }
    for (size_t i = 0; i < ctl->iwant_count; i++)
        gossipsub_write_id_list(w, GOSSIPSUB_CONTROL_FIELD_IWANT, ctl->iwant_ids,
                                ctl->iwant_id_count, &ctl->iwants[i]);
    for (size_t i = 0; i < ctl->graft_count; i++) {
        gossipsub_write_header(w, GOSSIPSUB_CONTROL_FIELD_GRAFT,
                               gossipsub_topic_size(ctl->grafts[i]));
        pb_write_bytes_field(w, GOSSIPSUB_TOPIC_FIELD, ctl->grafts[i].data, ctl->grafts[i].len);
    }
    for (size_t i = 0; i < ctl->prune_count; i++) gossipsub_write_prune(w, ctl, &ctl->prunes[i]);
    for (size_t i = 0; i < ctl->idontwant_count; i++)
        gossipsub_write_id_list(w, GOSSIPSUB_CONTROL_FIELD_IDONTWANT, ctl->idontwant_ids,
                                ctl->idontwant_id_count, &ctl->idontwants[i]);
}

size_t gossipsub_control_encode(const gossipsub_control *ctl, uint8_t *out, size_t cap) {
    assert(ctl != NULL);
    assert(out != NULL || cap == 0);
    size_t size = gossipsub_control_size(ctl);
    if (size == GOSSIPSUB_SIZE_INVALID || size == 0 || size > cap) return 0;
    pb_writer w;
    pb_writer_init(&w, out, cap);
    gossipsub_control_write(&w, ctl);
    assert(pb_writer_ok(&w));
    assert(w.len == size);
    return w.len;
}

size_t gossipsub_rpc_encode(const pubsub_subopts *subs, size_t sub_count,
                            const pubsub_message *msgs, size_t msg_count,
                            const gossipsub_control *ctl, uint8_t *out, size_t cap) {
    assert(out != NULL || cap == 0);
    assert(subs != NULL || sub_count == 0);
    size_t ctl_size = 0;
    if (ctl != NULL && !gossipsub_control_is_empty(ctl)) {
        ctl_size = gossipsub_control_size(ctl);
        if (ctl_size == GOSSIPSUB_SIZE_INVALID) return 0;
    }
    size_t ctl_field = 0;
    if (ctl_size > 0) ctl_field = gossipsub_field_size(GOSSIPSUB_RPC_FIELD_CONTROL, ctl_size);
    if (ctl_field > cap || ctl_field > PUBSUB_RPC_MAX_BYTES) return 0;
    size_t head = 0;
    if (sub_count > 0 || msg_count > 0) {
        /* The head may use what the control leaves of both cap and the RPC limit. */
        size_t room = cap - ctl_field;
        if (room > PUBSUB_RPC_MAX_BYTES - ctl_field) room = PUBSUB_RPC_MAX_BYTES - ctl_field;
        head = pubsub_rpc_encode(subs, sub_count, msgs, msg_count, out, room);
        if (head == 0) return 0;
    }
    if (ctl_field == 0) return head;
    pb_writer w;
    pb_writer_init(&w, out + head, cap - head);
    gossipsub_write_header(&w, GOSSIPSUB_RPC_FIELD_CONTROL, ctl_size);
    gossipsub_control_write(&w, ctl);
    assert(pb_writer_ok(&w));
    assert(w.len == ctl_field);
    return head + w.len;
}
