/*
 * fuzz_gossipsub_pb: hostile bytes into the GossipSub control decoder.
 *
 * Every input must decode or be refused without a crash; a refusal leaves
 * an empty control. A control that decodes must respect every limit (counts,
 * lengths, slices inside their pools), and re-encode into no more bytes than
 * it came from (truncation and unknown fields only ever shrink it). The
 * re-encoding must decode to the same entries with nothing dropped, both on
 * its own and as the control field of a whole RPC through pubsub_rpc_decode.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/gossipsub_pb.h"

static gossipsub_control fuzz_first;
static gossipsub_control fuzz_second;
static pubsub_rpc fuzz_rpc;
/* Room for any re-encoded control, and for it wrapped as RPC field 3. */
static uint8_t fuzz_wire[PUBSUB_RPC_MAX_BYTES + 16];

static void fuzz_check(int ok) {
    if (!ok) abort(); /* a failed check must stop the fuzzer in every build */
}

static int fuzz_same(pubsub_bytes a, pubsub_bytes b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static void fuzz_check_slice(size_t first, size_t count, size_t pool_count) {
    fuzz_check(first <= pool_count);
    fuzz_check(count <= pool_count - first);
}

static void fuzz_check_ids(const pubsub_bytes *ids, size_t count) {
    for (size_t i = 0; i < count; i++) fuzz_check(ids[i].len <= GOSSIPSUB_MESSAGE_ID_MAX_BYTES);
}

static void fuzz_check_limits(const gossipsub_control *c) {
    fuzz_check(c->ihave_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    fuzz_check(c->iwant_count <= GOSSIPSUB_IWANTS_PER_CONTROL_MAX);
    fuzz_check(c->graft_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    fuzz_check(c->prune_count <= GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    fuzz_check(c->idontwant_count <= GOSSIPSUB_IDONTWANTS_PER_CONTROL_MAX);
    fuzz_check(c->ihave_id_count <= GOSSIPSUB_IHAVE_IDS_MAX);
    fuzz_check(c->iwant_id_count <= GOSSIPSUB_IWANT_IDS_MAX);
    fuzz_check(c->idontwant_id_count <= GOSSIPSUB_IDONTWANT_IDS_MAX);
    fuzz_check(c->px_peer_count <= GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX);
    fuzz_check_ids(c->ihave_ids, c->ihave_id_count);
    fuzz_check_ids(c->iwant_ids, c->iwant_id_count);
    fuzz_check_ids(c->idontwant_ids, c->idontwant_id_count);
    for (size_t i = 0; i < c->ihave_count; i++) {
        fuzz_check(c->ihaves[i].topic.len <= PUBSUB_TOPIC_MAX);
        fuzz_check_slice(c->ihaves[i].id_first, c->ihaves[i].id_count, c->ihave_id_count);
    }
    for (size_t i = 0; i < c->iwant_count; i++)
        fuzz_check_slice(c->iwants[i].id_first, c->iwants[i].id_count, c->iwant_id_count);
    for (size_t i = 0; i < c->idontwant_count; i++)
        fuzz_check_slice(c->idontwants[i].id_first, c->idontwants[i].id_count,
                         c->idontwant_id_count);
    for (size_t i = 0; i < c->graft_count; i++) fuzz_check(c->grafts[i].len <= PUBSUB_TOPIC_MAX);
    for (size_t i = 0; i < c->prune_count; i++) {
        fuzz_check(c->prunes[i].topic.len <= PUBSUB_TOPIC_MAX);
        fuzz_check(c->prunes[i].px_count <= GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX);
        fuzz_check_slice(c->prunes[i].px_first, c->prunes[i].px_count, c->px_peer_count);
    }
}

static void fuzz_compare_ids(const pubsub_bytes *a, size_t a_first, const pubsub_bytes *b,
                             size_t b_first, size_t count) {
    for (size_t i = 0; i < count; i++) fuzz_check(fuzz_same(a[a_first + i], b[b_first + i]));
}

static void fuzz_compare_prune(const gossipsub_control *a, const gossipsub_prune *pa,
                               const gossipsub_control *b, const gossipsub_prune *pb) {
    fuzz_check(fuzz_same(pa->topic, pb->topic));
    fuzz_check(pa->has_backoff == pb->has_backoff && pa->backoff_s == pb->backoff_s);
    fuzz_check(pa->px_count == pb->px_count);
    for (size_t j = 0; j < pa->px_count; j++) {
        const gossipsub_peer_info *x = &a->px_peers[pa->px_first + j];
        const gossipsub_peer_info *y = &b->px_peers[pb->px_first + j];
        fuzz_check(x->has_peer_id == y->has_peer_id && fuzz_same(x->peer_id, y->peer_id));
        fuzz_check(x->has_signed_peer_record == y->has_signed_peer_record);
        fuzz_check(fuzz_same(x->signed_peer_record, y->signed_peer_record));
    }
}

static void fuzz_compare(const gossipsub_control *a, const gossipsub_control *b) {
    fuzz_check(a->ihave_count == b->ihave_count && a->iwant_count == b->iwant_count);
    fuzz_check(a->graft_count == b->graft_count && a->prune_count == b->prune_count);
    fuzz_check(a->idontwant_count == b->idontwant_count);
    for (size_t i = 0; i < a->ihave_count; i++) {
        fuzz_check(fuzz_same(a->ihaves[i].topic, b->ihaves[i].topic));
        fuzz_check(a->ihaves[i].id_count == b->ihaves[i].id_count);
        fuzz_compare_ids(a->ihave_ids, a->ihaves[i].id_first, b->ihave_ids, b->ihaves[i].id_first,
                         a->ihaves[i].id_count);
    }
    for (size_t i = 0; i < a->iwant_count; i++) {
        fuzz_check(a->iwants[i].id_count == b->iwants[i].id_count);
        fuzz_compare_ids(a->iwant_ids, a->iwants[i].id_first, b->iwant_ids, b->iwants[i].id_first,
                         a->iwants[i].id_count);
    }
    for (size_t i = 0; i < a->graft_count; i++) fuzz_check(fuzz_same(a->grafts[i], b->grafts[i]));
    for (size_t i = 0; i < a->prune_count; i++)
        fuzz_compare_prune(a, &a->prunes[i], b, &b->prunes[i]);
    for (size_t i = 0; i < a->idontwant_count; i++) {
        fuzz_check(a->idontwants[i].id_count == b->idontwants[i].id_count);
        fuzz_compare_ids(a->idontwant_ids, a->idontwants[i].id_first, b->idontwant_ids,
                         b->idontwants[i].id_first, a->idontwants[i].id_count);
    }
}

static int fuzz_nothing_dropped(const gossipsub_control *c) {
    const gossipsub_dropped *d = &c->dropped;
    return d->ihaves + d->ihave_ids + d->iwants + d->iwant_ids + d->idontwants + d->idontwant_ids +
               d->px_peers ==
           0;
}

static void fuzz_reencode(size_t size) {
    size_t n = gossipsub_control_encode(&fuzz_first, fuzz_wire, sizeof fuzz_wire);
    if (gossipsub_control_is_empty(&fuzz_first)) {
        fuzz_check(n == 0);
        return;
    }
    fuzz_check(n > 0 && n <= size);
    fuzz_check(gossipsub_control_decode(fuzz_wire, n, &fuzz_second) == 0);
    fuzz_check(fuzz_nothing_dropped(&fuzz_second));
    fuzz_compare(&fuzz_first, &fuzz_second);
    /* The same control as a control-only RPC, read by the pubsub decoder. */
    size_t rpc_len =
        gossipsub_rpc_encode(NULL, 0, NULL, 0, &fuzz_first, fuzz_wire, sizeof fuzz_wire);
    if (rpc_len == 0) {
        /* Only a control this close to the RPC limit fails to fit in one. */
        fuzz_check(n > PUBSUB_RPC_MAX_BYTES - 8);
        return;
    }
    fuzz_check(pubsub_rpc_decode(fuzz_wire, rpc_len, &fuzz_rpc) == 0);
    fuzz_check(fuzz_rpc.has_control && fuzz_rpc.control.len == n);
    fuzz_check(gossipsub_control_decode(fuzz_rpc.control.data, fuzz_rpc.control.len,
                                        &fuzz_second) == 0);
    fuzz_compare(&fuzz_first, &fuzz_second);
}

/* libFuzzer's entry point; declared here because no header does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (gossipsub_control_decode(data, size, &fuzz_first) != 0) {
        fuzz_check(gossipsub_control_is_empty(&fuzz_first));
        fuzz_check(fuzz_first.ihave_id_count == 0 && fuzz_first.px_peer_count == 0);
        return 0;
    }
    fuzz_check_limits(&fuzz_first);
    fuzz_reencode(size);
    return 0;
}
