/*
 * test_gossipsub_pb: the GossipSub control message codec (libp2p/specs
 * pubsub/gossipsub/gossipsub-v1.0.md "Control messages" and "Protobuf",
 * -v1.1.md "PRUNE Backoff and Peer Exchange" and "Spam Protection Measures",
 * -v1.2.md "IDONTWANT Message").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire/gossipsub_pb.h"
#include "base/pb.h"
#include "wire/pubsub_pb.h"

#define TEST_BUFFER_BYTES 4096
/* Room for the largest inputs the limit tests write. */
#define TEST_BIG_BUFFER_BYTES (64u * 1024u)
/* Test ids are 4-byte big-endian indices, distinct up to this many. */
#define TEST_ID_BYTES 4
#define TEST_IDS_MAX (GOSSIPSUB_IHAVE_IDS_MAX + 1)

/* The control struct is large (every slot it could need), so tests share
 * static ones instead of putting them on the stack. */
static gossipsub_control test_ctl;
static gossipsub_control test_ctl2;
static uint8_t test_big[TEST_BIG_BUFFER_BYTES];
static uint8_t test_id_bytes[TEST_IDS_MAX][TEST_ID_BYTES];
static pubsub_bytes test_ids[TEST_IDS_MAX];

static pubsub_bytes view(const void *data, size_t len) {
    pubsub_bytes v = {(const uint8_t *)data, len};
    return v;
}

static pubsub_bytes text_view(const char *text) { return view(text, strlen(text)); }

static bool view_equals(pubsub_bytes v, const void *data, size_t len) {
    return v.len == len && (len == 0 || memcmp(v.data, data, len) == 0);
}

static bool view_is_text(pubsub_bytes v, const char *text) {
    return view_equals(v, text, strlen(text));
}

static int ids_setup(void **state) {
    (void)state;
    for (size_t i = 0; i < TEST_IDS_MAX; i++) {
        test_id_bytes[i][0] = (uint8_t)(i >> 24);
        test_id_bytes[i][1] = (uint8_t)(i >> 16);
        test_id_bytes[i][2] = (uint8_t)(i >> 8);
        test_id_bytes[i][3] = (uint8_t)i;
        test_ids[i] = view(test_id_bytes[i], TEST_ID_BYTES);
    }
    return 0;
}

/* ---- bytes from another implementation ---- */

/* ControlMessage as js-libp2p's gossipsub 17.1.1 encodes it (its protons
 * codec, RPC.ControlMessage.encode, run with node in tests/interop):
 *   { ihave: [{ topicID: 'blocks', messageIDs: ['m1', 'm2'] }],
 *     iwant: [{ messageIDs: ['m3'] }], graft: [{ topicID: 'blocks' }],
 *     prune: [{ topicID: 'tx', peers: [{ peerID: 00 02 aa bb,
 *               signedPeerRecord: 0a 01 07 }], backoff: 60 }],
 *     idontwant: [{ messageIDs: ['m4'] }] } */
static const uint8_t js_control[] = {
    0x0a, 0x10, 0x0a, 0x06, 'b', 'l', 'o', 'c', 'k', 's', 0x12, 0x02, 'm', '1', 0x12, 0x02,
    'm', '2', 0x12, 0x04, 0x0a, 0x02, 'm', '3', 0x1a, 0x08, 0x0a, 0x06, 'b', 'l', 'o', 'c',
    'k', 's', 0x22, 0x13, 0x0a, 0x02, 't', 'x', 0x12, 0x0b, 0x0a, 0x04, 0x00, 0x02, 0xaa, 0xbb,
    0x12, 0x03, 0x0a, 0x01, 0x07, 0x18, 0x3c, 0x2a, 0x04, 0x0a, 0x02, 'm', '4',
};
/* Where each top-level entry of js_control ends: the only prefixes that are
 * themselves whole control messages. */
static const size_t js_control_boundaries[] = {0, 18, 24, 34, 55, 61};

/* The same control in an RPC with one subscription, by RPC.encode:
 * { subscriptions: [{ subscribe: true, topic: 'blocks' }], messages: [],
 *   control: <as above> } */
static const uint8_t js_rpc[] = {
    0x0a, 0x0a, 0x08, 0x01, 0x12, 0x06, 'b', 'l', 'o', 'c', 'k', 's', 0x1a, 0x3d,
    0x0a, 0x10, 0x0a, 0x06, 'b', 'l', 'o', 'c', 'k', 's', 0x12, 0x02, 'm', '1', 0x12, 0x02,
    'm', '2', 0x12, 0x04, 0x0a, 0x02, 'm', '3', 0x1a, 0x08, 0x0a, 0x06, 'b', 'l', 'o', 'c',
    'k', 's', 0x22, 0x13, 0x0a, 0x02, 't', 'x', 0x12, 0x0b, 0x0a, 0x04, 0x00, 0x02, 0xaa, 0xbb,
    0x12, 0x03, 0x0a, 0x01, 0x07, 0x18, 0x3c, 0x2a, 0x04, 0x0a, 0x02, 'm', '4',
};
static const uint8_t js_px_peer_id[] = {0x00, 0x02, 0xaa, 0xbb};
static const uint8_t js_px_record[] = {0x0a, 0x01, 0x07};

/* Builds, with the builders, the control js_control describes. */
static void build_js_control(gossipsub_control *ctl) {
    static pubsub_bytes ihave_ids[2], iwant_id, idontwant_id;
    ihave_ids[0] = text_view("m1");
    ihave_ids[1] = text_view("m2");
    iwant_id = text_view("m3");
    idontwant_id = text_view("m4");
    gossipsub_peer_info px;
    memset(&px, 0, sizeof px);
    px.peer_id = view(js_px_peer_id, sizeof js_px_peer_id);
    px.signed_peer_record = view(js_px_record, sizeof js_px_record);
    px.has_peer_id = px.has_signed_peer_record = true;
    gossipsub_control_init(ctl);
    assert_int_equal(gossipsub_control_add_ihave(ctl, text_view("blocks"), ihave_ids, 2), 0);
    assert_int_equal(gossipsub_control_add_iwant(ctl, &iwant_id, 1), 0);
    assert_int_equal(gossipsub_control_add_graft(ctl, text_view("blocks")), 0);
    assert_int_equal(gossipsub_control_add_prune(ctl, text_view("tx"), &px, 1, true, 60), 0);
    assert_int_equal(gossipsub_control_add_idontwant(ctl, &idontwant_id, 1), 0);
}

static void assert_js_control(const gossipsub_control *ctl) {
    assert_int_equal(ctl->ihave_count, 1);
    assert_true(view_is_text(ctl->ihaves[0].topic, "blocks"));
    assert_int_equal(ctl->ihaves[0].id_count, 2);
    assert_true(view_is_text(ctl->ihave_ids[ctl->ihaves[0].id_first], "m1"));
    assert_true(view_is_text(ctl->ihave_ids[ctl->ihaves[0].id_first + 1], "m2"));
    assert_int_equal(ctl->iwant_count, 1);
    assert_int_equal(ctl->iwants[0].id_count, 1);
    assert_true(view_is_text(ctl->iwant_ids[ctl->iwants[0].id_first], "m3"));
    assert_int_equal(ctl->graft_count, 1);
    assert_true(view_is_text(ctl->grafts[0], "blocks"));
    assert_int_equal(ctl->prune_count, 1);
    const gossipsub_prune *prune = &ctl->prunes[0];
    assert_true(view_is_text(prune->topic, "tx"));
    assert_true(prune->has_backoff);
    assert_int_equal(prune->backoff_s, 60);
    assert_int_equal(prune->px_count, 1);
    const gossipsub_peer_info *px = &ctl->px_peers[prune->px_first];
    assert_true(px->has_peer_id);
    assert_true(px->has_signed_peer_record);
    assert_true(view_equals(px->peer_id, js_px_peer_id, sizeof js_px_peer_id));
    assert_true(view_equals(px->signed_peer_record, js_px_record, sizeof js_px_record));
    assert_int_equal(ctl->idontwant_count, 1);
    assert_int_equal(ctl->idontwants[0].id_count, 1);
    assert_true(view_is_text(ctl->idontwant_ids[ctl->idontwants[0].id_first], "m4"));
}

static void decode_reads_control_encoded_by_js_libp2p(void **state) {
    (void)state;
    assert_int_equal(gossipsub_control_decode(js_control, sizeof js_control, &test_ctl), 0);
    assert_js_control(&test_ctl);
    gossipsub_dropped none;
    memset(&none, 0, sizeof none);
    assert_memory_equal(&test_ctl.dropped, &none, sizeof none);
}

static void decode_reads_control_of_rpc_encoded_by_js_libp2p(void **state) {
    (void)state;
    static pubsub_rpc rpc;
    assert_int_equal(pubsub_rpc_decode(js_rpc, sizeof js_rpc, &rpc), 0);
    assert_int_equal(rpc.sub_count, 1);
    assert_true(rpc.has_control);
    assert_int_equal(gossipsub_control_decode(rpc.control.data, rpc.control.len, &test_ctl), 0);
    assert_js_control(&test_ctl);
}

static void encode_matches_js_libp2p_bytes(void **state) {
    (void)state;
    build_js_control(&test_ctl);
    uint8_t out[TEST_BUFFER_BYTES];
    assert_int_equal(gossipsub_control_encode(&test_ctl, out, sizeof out), sizeof js_control);
    assert_memory_equal(out, js_control, sizeof js_control);
}

static void rpc_encode_matches_js_libp2p_bytes(void **state) {
    (void)state;
    build_js_control(&test_ctl);
    pubsub_subopts sub = {true, text_view("blocks")};
    uint8_t out[TEST_BUFFER_BYTES];
    size_t n = gossipsub_rpc_encode(&sub, 1, NULL, 0, &test_ctl, out, sizeof out);
    assert_int_equal(n, sizeof js_rpc);
    assert_memory_equal(out, js_rpc, sizeof js_rpc);
}

/* ---- hand-computed bytes, one per control type ---- */

static void assert_encodes_to(const gossipsub_control *ctl, const uint8_t *expected, size_t len) {
    uint8_t out[TEST_BUFFER_BYTES];
    assert_int_equal(gossipsub_control_encode(ctl, out, sizeof out), len);
    assert_memory_equal(out, expected, len);
}

static void encode_writes_ihave(void **state) {
    (void)state;
    const pubsub_bytes ids[] = {text_view("a"), text_view("bc")};
    const uint8_t expected[] = {0x0a, 0x0a,                  /* field 1 (ihave), 10 bytes */
                                0x0a, 0x01, 't',             /*   topicID = "t" */
                                0x12, 0x01, 'a',             /*   messageIDs[0] = "a" */
                                0x12, 0x02, 'b', 'c'};       /*   messageIDs[1] = "bc" */
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_ihave(&test_ctl, text_view("t"), ids, 2), 0);
    assert_encodes_to(&test_ctl, expected, sizeof expected);
}

static void encode_writes_iwant(void **state) {
    (void)state;
    const pubsub_bytes id = text_view("a");
    const uint8_t expected[] = {0x12, 0x03, 0x0a, 0x01, 'a'}; /* field 2 { messageIDs "a" } */
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_iwant(&test_ctl, &id, 1), 0);
    assert_encodes_to(&test_ctl, expected, sizeof expected);
}

static void encode_writes_graft(void **state) {
    (void)state;
    const uint8_t expected[] = {0x1a, 0x03, 0x0a, 0x01, 't'}; /* field 3 { topicID "t" } */
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_graft(&test_ctl, text_view("t")), 0);
    assert_encodes_to(&test_ctl, expected, sizeof expected);
}

static void encode_writes_prune_with_px_and_backoff(void **state) {
    (void)state;
    static const uint8_t px_peer_id[] = {0x01, 0x02};
    gossipsub_peer_info px;
    memset(&px, 0, sizeof px);
    px.peer_id = view(px_peer_id, sizeof px_peer_id);
    px.has_peer_id = true;
    const uint8_t expected[] = {0x22, 0x0b,                   /* field 4 (prune), 11 bytes */
                                0x0a, 0x01, 't',              /*   topicID = "t" */
                                0x12, 0x04, 0x0a, 0x02, 1, 2, /*   peers[0] = { peerID 01 02 } */
                                0x18, 0x3c};                  /*   backoff = 60 */
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_prune(&test_ctl, text_view("t"), &px, 1, true, 60), 0);
    assert_encodes_to(&test_ctl, expected, sizeof expected);
}

static void encode_writes_prune_without_backoff_as_v1_0(void **state) {
    (void)state;
    const uint8_t expected[] = {0x22, 0x03, 0x0a, 0x01, 't'};
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_prune(&test_ctl, text_view("t"), NULL, 0, false, 60),
                     0);
    assert_encodes_to(&test_ctl, expected, sizeof expected);
}

static void encode_writes_idontwant(void **state) {
    (void)state;
    const pubsub_bytes id = text_view("a");
    const uint8_t expected[] = {0x2a, 0x03, 0x0a, 0x01, 'a'}; /* field 5 { messageIDs "a" } */
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_idontwant(&test_ctl, &id, 1), 0);
    assert_encodes_to(&test_ctl, expected, sizeof expected);
}

static void encode_writes_kinds_in_field_order_whatever_the_build_order(void **state) {
    (void)state;
    const pubsub_bytes id = text_view("a");
    const uint8_t expected[] = {0x12, 0x03, 0x0a, 0x01, 'a', 0x1a, 0x03, 0x0a, 0x01, 't',
                                0x2a, 0x03, 0x0a, 0x01, 'a'};
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_idontwant(&test_ctl, &id, 1), 0);
    assert_int_equal(gossipsub_control_add_graft(&test_ctl, text_view("t")), 0);
    assert_int_equal(gossipsub_control_add_iwant(&test_ctl, &id, 1), 0);
    assert_encodes_to(&test_ctl, expected, sizeof expected);
}

static void encode_returns_zero_when_cap_is_too_small(void **state) {
    (void)state;
    build_js_control(&test_ctl);
    uint8_t out[sizeof js_control];
    assert_int_equal(gossipsub_control_encode(&test_ctl, out, sizeof out - 1), 0);
    assert_int_equal(gossipsub_control_encode(&test_ctl, out, sizeof out), sizeof out);
}

static void encode_returns_zero_for_an_empty_control(void **state) {
    (void)state;
    uint8_t out[16];
    gossipsub_control_init(&test_ctl);
    assert_true(gossipsub_control_is_empty(&test_ctl));
    assert_int_equal(gossipsub_control_encode(&test_ctl, out, sizeof out), 0);
}

/* ---- whole RPCs ---- */

static void rpc_encode_writes_control_only_rpc(void **state) {
    (void)state;
    const uint8_t expected[] = {0x1a, 0x05,                    /* RPC field 3 (control) */
                                0x1a, 0x03, 0x0a, 0x01, 't'};  /*   graft { topicID "t" } */
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_graft(&test_ctl, text_view("t")), 0);
    uint8_t out[TEST_BUFFER_BYTES];
    assert_int_equal(gossipsub_rpc_encode(NULL, 0, NULL, 0, &test_ctl, out, sizeof out),
                     sizeof expected);
    assert_memory_equal(out, expected, sizeof expected);
}

static void rpc_encode_puts_control_after_messages(void **state) {
    (void)state;
    static const uint8_t from[] = {0x01, 0x02};
    pubsub_message msg;
    memset(&msg, 0, sizeof msg);
    msg.from = view(from, sizeof from);
    msg.topic = text_view("t");
    msg.has_from = msg.has_topic = true;
    const uint8_t expected[] = {0x12, 0x07, 0x0a, 0x02, 1, 2, 0x22, 0x01, 't', /* publish */
                                0x1a, 0x05, 0x1a, 0x03, 0x0a, 0x01, 't'};        /* control */
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_graft(&test_ctl, text_view("t")), 0);
    uint8_t out[TEST_BUFFER_BYTES];
    size_t n = gossipsub_rpc_encode(NULL, 0, &msg, 1, &test_ctl, out, sizeof out);
    assert_int_equal(n, sizeof expected);
    assert_memory_equal(out, expected, sizeof expected);
}

static void rpc_encode_without_control_is_pubsub_rpc_encode(void **state) {
    (void)state;
    pubsub_subopts sub = {false, text_view("ab")};
    uint8_t plain[64], with_null[64], with_empty[64];
    size_t n = pubsub_rpc_encode(&sub, 1, NULL, 0, plain, sizeof plain);
    assert_int_equal(n, 8);
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_rpc_encode(&sub, 1, NULL, 0, NULL, with_null, sizeof with_null), n);
    assert_int_equal(
        gossipsub_rpc_encode(&sub, 1, NULL, 0, &test_ctl, with_empty, sizeof with_empty), n);
    assert_memory_equal(with_null, plain, n);
    assert_memory_equal(with_empty, plain, n);
}

static void rpc_encode_returns_zero_for_an_empty_rpc(void **state) {
    (void)state;
    uint8_t out[16];
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_rpc_encode(NULL, 0, NULL, 0, &test_ctl, out, sizeof out), 0);
    assert_int_equal(gossipsub_rpc_encode(NULL, 0, NULL, 0, NULL, out, sizeof out), 0);
}

static void rpc_encode_returns_zero_when_cap_is_too_small(void **state) {
    (void)state;
    build_js_control(&test_ctl);
    pubsub_subopts sub = {true, text_view("blocks")};
    uint8_t out[sizeof js_rpc];
    assert_int_equal(gossipsub_rpc_encode(&sub, 1, NULL, 0, &test_ctl, out, sizeof out - 1), 0);
    assert_int_equal(gossipsub_rpc_encode(&sub, 1, NULL, 0, &test_ctl, out, sizeof out),
                     sizeof out);
}

static void rpc_encode_refuses_rpc_over_size_limit(void **state) {
    (void)state;
    /* A PX record that alone nearly fills an RPC: with the subscription in
     * front the whole no longer fits PUBSUB_RPC_MAX_BYTES. */
    static uint8_t record[PUBSUB_RPC_MAX_BYTES - 32];
    static uint8_t out[PUBSUB_RPC_MAX_BYTES + 64];
    gossipsub_peer_info px;
    memset(&px, 0, sizeof px);
    px.signed_peer_record = view(record, sizeof record);
    px.has_signed_peer_record = true;
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_prune(&test_ctl, text_view("t"), &px, 1, false, 0), 0);
    size_t alone = gossipsub_rpc_encode(NULL, 0, NULL, 0, &test_ctl, out, sizeof out);
    assert_true(alone > sizeof record && alone <= PUBSUB_RPC_MAX_BYTES);
    char topic[40];
    memset(topic, 'x', sizeof topic);
    pubsub_subopts sub = {true, view(topic, sizeof topic)};
    assert_int_equal(gossipsub_rpc_encode(&sub, 1, NULL, 0, &test_ctl, out, sizeof out), 0);
}

/* ---- round trips ---- */

static void assert_same_control(const gossipsub_control *a, const gossipsub_control *b);

static void decode_then_encode_gives_the_same_bytes(void **state) {
    (void)state;
    uint8_t out[TEST_BUFFER_BYTES];
    assert_int_equal(gossipsub_control_decode(js_control, sizeof js_control, &test_ctl), 0);
    assert_int_equal(gossipsub_control_encode(&test_ctl, out, sizeof out), sizeof js_control);
    assert_memory_equal(out, js_control, sizeof js_control);
}

static void assert_same_ids(const pubsub_bytes *a, size_t a_first, const pubsub_bytes *b,
                            size_t b_first, size_t count) {
    for (size_t i = 0; i < count; i++)
        assert_true(view_equals(a[a_first + i], b[b_first + i].data, b[b_first + i].len));
}

static void assert_same_prune(const gossipsub_control *a, const gossipsub_prune *pa,
                              const gossipsub_control *b, const gossipsub_prune *pb) {
    assert_true(view_equals(pa->topic, pb->topic.data, pb->topic.len));
    assert_int_equal(pa->has_backoff, pb->has_backoff);
    assert_int_equal(pa->backoff_s, pb->backoff_s);
    assert_int_equal(pa->px_count, pb->px_count);
    for (size_t j = 0; j < pa->px_count; j++) {
        const gossipsub_peer_info *x = &a->px_peers[pa->px_first + j];
        const gossipsub_peer_info *y = &b->px_peers[pb->px_first + j];
        assert_int_equal(x->has_peer_id, y->has_peer_id);
        assert_int_equal(x->has_signed_peer_record, y->has_signed_peer_record);
        assert_true(view_equals(x->peer_id, y->peer_id.data, y->peer_id.len));
        assert_true(view_equals(x->signed_peer_record, y->signed_peer_record.data,
                                y->signed_peer_record.len));
    }
}

static void assert_same_control(const gossipsub_control *a, const gossipsub_control *b) {
    assert_int_equal(a->ihave_count, b->ihave_count);
    for (size_t i = 0; i < a->ihave_count; i++) {
        pubsub_bytes topic = b->ihaves[i].topic;
        assert_true(view_equals(a->ihaves[i].topic, topic.data, topic.len));
        assert_int_equal(a->ihaves[i].id_count, b->ihaves[i].id_count);
        assert_same_ids(a->ihave_ids, a->ihaves[i].id_first, b->ihave_ids, b->ihaves[i].id_first,
                        a->ihaves[i].id_count);
    }
    assert_int_equal(a->iwant_count, b->iwant_count);
    for (size_t i = 0; i < a->iwant_count; i++) {
        assert_int_equal(a->iwants[i].id_count, b->iwants[i].id_count);
        assert_same_ids(a->iwant_ids, a->iwants[i].id_first, b->iwant_ids, b->iwants[i].id_first,
                        a->iwants[i].id_count);
    }
    assert_int_equal(a->graft_count, b->graft_count);
    for (size_t i = 0; i < a->graft_count; i++)
        assert_true(view_equals(a->grafts[i], b->grafts[i].data, b->grafts[i].len));
    assert_int_equal(a->prune_count, b->prune_count);
    for (size_t i = 0; i < a->prune_count; i++)
        assert_same_prune(a, &a->prunes[i], b, &b->prunes[i]);
    assert_int_equal(a->idontwant_count, b->idontwant_count);
    for (size_t i = 0; i < a->idontwant_count; i++) {
        assert_int_equal(a->idontwants[i].id_count, b->idontwants[i].id_count);
        assert_same_ids(a->idontwant_ids, a->idontwants[i].id_first, b->idontwant_ids,
                        b->idontwants[i].id_first, a->idontwants[i].id_count);
    }
}

static void built_control_round_trips(void **state) {
    (void)state;
    static const uint8_t record[] = {0xde, 0xad};
    gossipsub_peer_info px[2];
    memset(px, 0, sizeof px);
    px[0].peer_id = view(test_id_bytes[7], TEST_ID_BYTES);
    px[0].has_peer_id = true;
    px[1].signed_peer_record = view(record, sizeof record);
    px[1].has_signed_peer_record = true;
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_ihave(&test_ctl, text_view("a"), test_ids, 3), 0);
    assert_int_equal(gossipsub_control_add_ihave(&test_ctl, text_view(""), test_ids + 3, 0), 0);
    assert_int_equal(gossipsub_control_add_iwant(&test_ctl, test_ids + 10, 2), 0);
    assert_int_equal(gossipsub_control_add_graft(&test_ctl, text_view("a")), 0);
    assert_int_equal(gossipsub_control_add_graft(&test_ctl, text_view("b")), 0);
    assert_int_equal(
        gossipsub_control_add_prune(&test_ctl, text_view("c"), px, 2, true, UINT64_MAX), 0);
    assert_int_equal(gossipsub_control_add_prune(&test_ctl, text_view("d"), NULL, 0, false, 0), 0);
    assert_int_equal(gossipsub_control_add_idontwant(&test_ctl, test_ids + 20, 1), 0);
    uint8_t out[TEST_BUFFER_BYTES];
    size_t n = gossipsub_control_encode(&test_ctl, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal(gossipsub_control_decode(out, n, &test_ctl2), 0);
    assert_same_control(&test_ctl, &test_ctl2);
    assert_int_equal(test_ctl2.prunes[0].backoff_s, UINT64_MAX);
    assert_false(test_ctl2.prunes[1].has_backoff);
}

static void rpc_round_trips_through_both_decoders(void **state) {
    (void)state;
    static pubsub_rpc rpc;
    build_js_control(&test_ctl);
    pubsub_subopts subs[2] = {{true, text_view("blocks")}, {false, text_view("tx")}};
    uint8_t out[TEST_BUFFER_BYTES];
    size_t n = gossipsub_rpc_encode(subs, 2, NULL, 0, &test_ctl, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal(pubsub_rpc_decode(out, n, &rpc), 0);
    assert_int_equal(rpc.sub_count, 2);
    assert_false(rpc.subs[1].subscribe);
    assert_true(rpc.has_control);
    assert_int_equal(gossipsub_control_decode(rpc.control.data, rpc.control.len, &test_ctl2), 0);
    assert_same_control(&test_ctl, &test_ctl2);
}

/* ---- decoding rules ---- */

static void decode_yields_views_into_the_input(void **state) {
    (void)state;
    assert_int_equal(gossipsub_control_decode(js_control, sizeof js_control, &test_ctl), 0);
    assert_ptr_equal(test_ctl.ihaves[0].topic.data, js_control + 4);
    assert_ptr_equal(test_ctl.idontwant_ids[0].data, js_control + sizeof js_control - 2);
}

static void decode_accepts_the_empty_control(void **state) {
    (void)state;
    assert_int_equal(gossipsub_control_decode(NULL, 0, &test_ctl), 0);
    assert_true(gossipsub_control_is_empty(&test_ctl));
}

static void decode_rejects_every_truncation_inside_an_entry(void **state) {
    (void)state;
    size_t next_boundary = 0;
    for (size_t len = 0; len <= sizeof js_control; len++) {
        bool whole = len == js_control_boundaries[next_boundary] ||
                     len == sizeof js_control;
        int expected = whole ? 0 : -1;
        assert_int_equal(gossipsub_control_decode(js_control, len, &test_ctl), expected);
        if (len == js_control_boundaries[next_boundary] &&
            next_boundary + 1 < sizeof js_control_boundaries / sizeof js_control_boundaries[0])
            next_boundary++;
    }
}

static void decode_skips_unknown_fields(void **state) {
    (void)state;
    const uint8_t input[] = {
        0x32, 0x02, 0x50, 0x01,                   /* field 6 (v1.3 extensions) */
        0x1a, 0x05, 0x0a, 0x01, 't', 0x48, 0x07, /* graft "t", unknown varint field 9 */
        0x22, 0x12, 0x0a, 0x01, 'u',             /* prune "u", 18 bytes */
        0x12, 0x04, 0x0a, 0x00, 0x18, 0x00,      /*   peers[0]: peerID "", varint field 3 */
        0x21, 0, 0, 0, 0, 0, 0, 0, 0,            /*   fixed64 field 4 */
    };
    assert_int_equal(gossipsub_control_decode(input, sizeof input, &test_ctl), 0);
    assert_int_equal(test_ctl.graft_count, 1);
    assert_true(view_is_text(test_ctl.grafts[0], "t"));
    assert_int_equal(test_ctl.prune_count, 1);
    assert_int_equal(test_ctl.prunes[0].px_count, 1);
    assert_true(test_ctl.px_peers[0].has_peer_id);
    assert_int_equal(test_ctl.px_peers[0].peer_id.len, 0);
    assert_false(test_ctl.prunes[0].has_backoff);
}

static void assert_malformed(const uint8_t *input, size_t len) {
    assert_int_equal(gossipsub_control_decode(input, len, &test_ctl), -1);
    assert_true(gossipsub_control_is_empty(&test_ctl));
}

static void decode_rejects_wrong_wire_types(void **state) {
    (void)state;
    const uint8_t ihave_as_varint[] = {0x08, 0x01};
    const uint8_t iwant_as_fixed32[] = {0x15, 0, 0, 0, 0};
    const uint8_t graft_as_fixed64[] = {0x19, 0, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t prune_as_varint[] = {0x20, 0x00};
    const uint8_t idontwant_as_varint[] = {0x28, 0x00};
    const uint8_t ihave_topic_as_varint[] = {0x0a, 0x02, 0x08, 0x01};
    const uint8_t ihave_id_as_varint[] = {0x0a, 0x05, 0x0a, 0x01, 't', 0x10, 0x01};
    const uint8_t iwant_id_as_varint[] = {0x12, 0x02, 0x08, 0x01};
    const uint8_t graft_topic_as_varint[] = {0x1a, 0x02, 0x08, 0x01};
    const uint8_t prune_backoff_as_bytes[] = {0x22, 0x05, 0x0a, 0x01, 't', 0x1a, 0x00};
    const uint8_t prune_peers_as_varint[] = {0x22, 0x05, 0x0a, 0x01, 't', 0x10, 0x00};
    const uint8_t peer_id_as_varint[] = {0x22, 0x07, 0x0a, 0x01, 't', 0x12, 0x02, 0x08, 0x01};
    const uint8_t record_as_varint[] = {0x22, 0x07, 0x0a, 0x01, 't', 0x12, 0x02, 0x10, 0x01};
    const uint8_t idontwant_id_as_fixed32[] = {0x2a, 0x05, 0x0d, 0, 0, 0, 0};
    assert_malformed(ihave_as_varint, sizeof ihave_as_varint);
    assert_malformed(iwant_as_fixed32, sizeof iwant_as_fixed32);
    assert_malformed(graft_as_fixed64, sizeof graft_as_fixed64);
    assert_malformed(prune_as_varint, sizeof prune_as_varint);
    assert_malformed(idontwant_as_varint, sizeof idontwant_as_varint);
    assert_malformed(ihave_topic_as_varint, sizeof ihave_topic_as_varint);
    assert_malformed(ihave_id_as_varint, sizeof ihave_id_as_varint);
    assert_malformed(iwant_id_as_varint, sizeof iwant_id_as_varint);
    assert_malformed(graft_topic_as_varint, sizeof graft_topic_as_varint);
    assert_malformed(prune_backoff_as_bytes, sizeof prune_backoff_as_bytes);
    assert_malformed(prune_peers_as_varint, sizeof prune_peers_as_varint);
    assert_malformed(peer_id_as_varint, sizeof peer_id_as_varint);
    assert_malformed(record_as_varint, sizeof record_as_varint);
    assert_malformed(idontwant_id_as_fixed32, sizeof idontwant_id_as_fixed32);
}

static void decode_rejects_repeated_singular_fields(void **state) {
    (void)state;
    const uint8_t two_graft_topics[] = {0x1a, 0x06, 0x0a, 0x01, 't', 0x0a, 0x01, 'u'};
    const uint8_t two_ihave_topics[] = {0x0a, 0x06, 0x0a, 0x01, 't', 0x0a, 0x01, 'u'};
    const uint8_t two_backoffs[] = {0x22, 0x07, 0x0a, 0x01, 't', 0x18, 0x01, 0x18, 0x02};
    const uint8_t two_peer_ids[] = {0x22, 0x09, 0x0a, 0x01, 't', 0x12,
                                    0x04, 0x0a, 0x00, 0x0a, 0x00};
    const uint8_t two_records[] = {0x22, 0x09, 0x0a, 0x01, 't', 0x12,
                                   0x04, 0x12, 0x00, 0x12, 0x00};
    assert_malformed(two_graft_topics, sizeof two_graft_topics);
    assert_malformed(two_ihave_topics, sizeof two_ihave_topics);
    assert_malformed(two_backoffs, sizeof two_backoffs);
    assert_malformed(two_peer_ids, sizeof two_peer_ids);
    assert_malformed(two_records, sizeof two_records);
}

static void decode_rejects_topic_entries_without_topic(void **state) {
    (void)state;
    const uint8_t ihave[] = {0x0a, 0x03, 0x12, 0x01, 'a'};
    const uint8_t graft[] = {0x1a, 0x00};
    const uint8_t prune[] = {0x22, 0x02, 0x18, 0x3c};
    assert_malformed(ihave, sizeof ihave);
    assert_malformed(graft, sizeof graft);
    assert_malformed(prune, sizeof prune);
}

static void decode_accepts_id_lists_with_no_ids(void **state) {
    (void)state;
    const uint8_t input[] = {0x12, 0x00, 0x2a, 0x00, 0x0a, 0x02, 0x0a, 0x00};
    assert_int_equal(gossipsub_control_decode(input, sizeof input, &test_ctl), 0);
    assert_int_equal(test_ctl.iwant_count, 1);
    assert_int_equal(test_ctl.iwants[0].id_count, 0);
    assert_int_equal(test_ctl.idontwant_count, 1);
    assert_int_equal(test_ctl.ihave_count, 1);
    assert_int_equal(test_ctl.ihaves[0].topic.len, 0);
}

static void decode_rejects_malformed_tags_and_lengths(void **state) {
    (void)state;
    const uint8_t field_zero[] = {0x02, 0x00};
    const uint8_t group_wire_type[] = {0x0b};
    const uint8_t length_past_end[] = {0x1a, 0x05, 0x0a, 0x01, 't'};
    const uint8_t nested_length_past_entry[] = {0x1a, 0x03, 0x0a, 0x05, 't'};
    const uint8_t unterminated_varint[] = {0x22, 0x04, 0x0a, 0x00, 0x18, 0x80};
    assert_malformed(field_zero, sizeof field_zero);
    assert_malformed(group_wire_type, sizeof group_wire_type);
    assert_malformed(length_past_end, sizeof length_past_end);
    assert_malformed(nested_length_past_entry, sizeof nested_length_past_entry);
    assert_malformed(unterminated_varint, sizeof unterminated_varint);
}

static void decode_failure_leaves_an_empty_control(void **state) {
    (void)state;
    uint8_t input[sizeof js_control + 2];
    memcpy(input, js_control, sizeof js_control);
    input[sizeof js_control] = 0x08; /* a trailing ihave with the varint wire type */
    input[sizeof js_control + 1] = 0x00;
    assert_int_equal(gossipsub_control_decode(js_control, sizeof js_control, &test_ctl), 0);
    assert_int_equal(gossipsub_control_decode(input, sizeof input, &test_ctl), -1);
    assert_true(gossipsub_control_is_empty(&test_ctl));
    assert_int_equal(test_ctl.ihave_id_count + test_ctl.px_peer_count, 0);
}

static void decode_rejects_input_over_rpc_size_limit(void **state) {
    (void)state;
    static uint8_t input[PUBSUB_RPC_MAX_BYTES + 1];
    /* Unknown fields (field 15, empty), which would otherwise be skipped. */
    for (size_t i = 0; i + 1 < sizeof input; i += 2) {
        input[i] = 0x7a;
        input[i + 1] = 0x00;
    }
    assert_int_equal(gossipsub_control_decode(input, PUBSUB_RPC_MAX_BYTES, &test_ctl), 0);
    /* One byte more, still well formed: the last field carries one byte. */
    input[PUBSUB_RPC_MAX_BYTES - 1] = 0x01;
    input[PUBSUB_RPC_MAX_BYTES] = 0x00;
    assert_int_equal(gossipsub_control_decode(input, sizeof input, &test_ctl), -1);
}

/* ---- limits, at N and N + 1 ---- */

/* Writes one IHAVE (topic "t") or id list entry holding ids[0 .. count). */
static void write_id_entry(pb_writer *w, uint32_t kind, size_t first, size_t count) {
    pb_writer body;
    static uint8_t scratch[TEST_BIG_BUFFER_BYTES];
    pb_writer_init(&body, scratch, sizeof scratch);
    uint32_t id_field = kind == 1 ? 2 : 1;
    if (kind == 1) pb_write_string_field(&body, 1, "t");
    for (size_t i = first; i < first + count; i++)
        pb_write_bytes_field(&body, id_field, test_ids[i].data, test_ids[i].len);
    assert_true(pb_writer_ok(&body));
    pb_write_bytes_field(w, kind, scratch, body.len);
}

static int decode_big(pb_writer *w) {
    assert_true(pb_writer_ok(w));
    return gossipsub_control_decode(test_big, w->len, &test_ctl);
}

static void decode_keeps_ihave_ids_up_to_max_ihave_length(void **state) {
    (void)state;
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    write_id_entry(&w, 1, 0, GOSSIPSUB_IHAVE_IDS_MAX);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.ihaves[0].id_count, GOSSIPSUB_IHAVE_IDS_MAX);
    assert_int_equal(test_ctl.dropped.ihave_ids, 0);
}

static void decode_ignores_ihave_ids_past_max_ihave_length(void **state) {
    (void)state;
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    write_id_entry(&w, 1, 0, GOSSIPSUB_IHAVE_IDS_MAX - 1);
    write_id_entry(&w, 1, GOSSIPSUB_IHAVE_IDS_MAX - 1, 2); /* the budget is per control */
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.ihave_count, 2);
    assert_int_equal(test_ctl.ihaves[1].id_count, 1);
    assert_int_equal(test_ctl.ihave_id_count, GOSSIPSUB_IHAVE_IDS_MAX);
    assert_int_equal(test_ctl.dropped.ihave_ids, 1);
    assert_true(view_equals(test_ctl.ihave_ids[GOSSIPSUB_IHAVE_IDS_MAX - 1],
                            test_id_bytes[GOSSIPSUB_IHAVE_IDS_MAX - 1], TEST_ID_BYTES));
}

static void decode_ignores_ihave_entries_past_the_topic_limit(void **state) {
    (void)state;
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    for (size_t i = 0; i < GOSSIPSUB_TOPICS_PER_CONTROL_MAX + 1; i++) write_id_entry(&w, 1, i, 1);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.ihave_count, GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    assert_int_equal(test_ctl.dropped.ihaves, 1);
    assert_int_equal(test_ctl.dropped.ihave_ids, 1);
    assert_int_equal(test_ctl.ihave_id_count, GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
}

static void decode_ignores_iwant_ids_past_the_limit(void **state) {
    (void)state;
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    write_id_entry(&w, 2, 0, GOSSIPSUB_IWANT_IDS_MAX);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.iwant_id_count, GOSSIPSUB_IWANT_IDS_MAX);
    assert_int_equal(test_ctl.dropped.iwant_ids, 0);
    write_id_entry(&w, 2, GOSSIPSUB_IWANT_IDS_MAX, 1);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.iwant_count, 2);
    assert_int_equal(test_ctl.iwants[1].id_count, 0);
    assert_int_equal(test_ctl.dropped.iwant_ids, 1);
}

static void decode_ignores_iwant_entries_past_the_limit(void **state) {
    (void)state;
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    for (size_t i = 0; i < GOSSIPSUB_IWANTS_PER_CONTROL_MAX; i++) write_id_entry(&w, 2, i, 1);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.iwant_count, GOSSIPSUB_IWANTS_PER_CONTROL_MAX);
    assert_int_equal(test_ctl.dropped.iwants, 0);
    write_id_entry(&w, 2, 0, 3);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.iwant_count, GOSSIPSUB_IWANTS_PER_CONTROL_MAX);
    assert_int_equal(test_ctl.dropped.iwants, 1);
    assert_int_equal(test_ctl.dropped.iwant_ids, 3);
}

static void decode_ignores_idontwant_ids_and_entries_past_the_limit(void **state) {
    (void)state;
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    /* One id per entry, as go-libp2p sends them: entries and ids run out together. */
    for (size_t i = 0; i < GOSSIPSUB_IDONTWANT_IDS_MAX; i++) write_id_entry(&w, 5, i, 1);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.idontwant_count, GOSSIPSUB_IDONTWANTS_PER_CONTROL_MAX);
    assert_int_equal(test_ctl.idontwant_id_count, GOSSIPSUB_IDONTWANT_IDS_MAX);
    assert_int_equal(test_ctl.dropped.idontwants + test_ctl.dropped.idontwant_ids, 0);
    write_id_entry(&w, 5, GOSSIPSUB_IDONTWANT_IDS_MAX, 1);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.idontwant_count, GOSSIPSUB_IDONTWANTS_PER_CONTROL_MAX);
    assert_int_equal(test_ctl.dropped.idontwants, 1);
    assert_int_equal(test_ctl.dropped.idontwant_ids, 1);
}

static void write_grafts_or_prunes(pb_writer *w, uint32_t kind, size_t count) {
    const uint8_t entry[] = {0x0a, 0x01, 't'};
    for (size_t i = 0; i < count; i++) pb_write_bytes_field(w, kind, entry, sizeof entry);
}

static void decode_refuses_grafts_past_the_topic_limit(void **state) {
    (void)state;
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    write_grafts_or_prunes(&w, 3, GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.graft_count, GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    write_grafts_or_prunes(&w, 3, 1);
    assert_int_equal(decode_big(&w), -1);
    assert_int_equal(test_ctl.graft_count, 0);
}

static void decode_refuses_prunes_past_the_topic_limit(void **state) {
    (void)state;
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    write_grafts_or_prunes(&w, 4, GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.prune_count, GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    write_grafts_or_prunes(&w, 4, 1);
    assert_int_equal(decode_big(&w), -1);
    assert_int_equal(test_ctl.prune_count, 0);
}

/* A PRUNE of topic "t" with `count` PX peers, each peerID = test id i. */
static void write_prune_with_px(pb_writer *w, size_t first, size_t count) {
    uint8_t body[TEST_BUFFER_BYTES];
    pb_writer b;
    pb_writer_init(&b, body, sizeof body);
    pb_write_string_field(&b, 1, "t");
    for (size_t i = first; i < first + count; i++) {
        uint8_t info[16];
        pb_writer in;
        pb_writer_init(&in, info, sizeof info);
        pb_write_bytes_field(&in, 1, test_ids[i].data, test_ids[i].len);
        pb_write_bytes_field(&b, 2, info, in.len);
    }
    assert_true(pb_writer_ok(&b));
    pb_write_bytes_field(w, 4, body, b.len);
}

static void decode_keeps_px_peers_up_to_prune_peers(void **state) {
    (void)state;
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    write_prune_with_px(&w, 0, GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX);
    write_prune_with_px(&w, 100, GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX + 1);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.prunes[0].px_count, GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX);
    assert_int_equal(test_ctl.prunes[1].px_count, GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX);
    assert_int_equal(test_ctl.prunes[1].px_first, GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX);
    assert_int_equal(test_ctl.dropped.px_peers, 1);
    const gossipsub_peer_info *last = &test_ctl.px_peers[2 * GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX - 1];
    const uint8_t *expected = test_id_bytes[100 + GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX - 1];
    assert_true(view_equals(last->peer_id, expected, TEST_ID_BYTES));
}

static void decode_keeps_px_peers_up_to_the_control_budget(void **state) {
    (void)state;
    enum { FULL_PRUNES = GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX / GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX };
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    for (size_t i = 0; i < FULL_PRUNES; i++)
        write_prune_with_px(&w, i * GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX,
                            GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.px_peer_count, GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX);
    assert_int_equal(test_ctl.dropped.px_peers, 0);
    write_prune_with_px(&w, 0, 1);
    assert_int_equal(decode_big(&w), 0);
    assert_int_equal(test_ctl.prune_count, FULL_PRUNES + 1);
    assert_int_equal(test_ctl.prunes[FULL_PRUNES].px_count, 0);
    assert_int_equal(test_ctl.dropped.px_peers, 1);
}

static void decode_enforces_message_id_length_limit(void **state) {
    (void)state;
    static uint8_t id[GOSSIPSUB_MESSAGE_ID_MAX_BYTES + 1];
    memset(id, 0x5a, sizeof id);
    uint8_t entry[sizeof id + 8];
    uint8_t input[sizeof entry + 8];
    for (size_t len = GOSSIPSUB_MESSAGE_ID_MAX_BYTES; len <= sizeof id; len++) {
        for (uint32_t kind = 1; kind <= 5; kind += 1) {
            if (kind == 3 || kind == 4) continue; /* graft and prune carry no ids */
            pb_writer e, w;
            pb_writer_init(&e, entry, sizeof entry);
            if (kind == 1) pb_write_string_field(&e, 1, "t");
            pb_write_bytes_field(&e, kind == 1 ? 2 : 1, id, len);
            pb_writer_init(&w, input, sizeof input);
            pb_write_bytes_field(&w, kind, entry, e.len);
            int expected = len <= GOSSIPSUB_MESSAGE_ID_MAX_BYTES ? 0 : -1;
            assert_int_equal(gossipsub_control_decode(input, w.len, &test_ctl), expected);
        }
    }
}

static void decode_enforces_topic_length_limit(void **state) {
    (void)state;
    static char topic[PUBSUB_TOPIC_MAX + 1];
    memset(topic, 't', sizeof topic);
    uint8_t entry[sizeof topic + 8];
    uint8_t input[sizeof entry + 8];
    for (size_t len = PUBSUB_TOPIC_MAX; len <= sizeof topic; len++) {
        for (uint32_t kind = 1; kind <= 4; kind += kind == 1 ? 2 : 1) { /* ihave, graft, prune */
            pb_writer e, w;
            pb_writer_init(&e, entry, sizeof entry);
            pb_write_bytes_field(&e, 1, (const uint8_t *)topic, len);
            pb_writer_init(&w, input, sizeof input);
            pb_write_bytes_field(&w, kind, entry, e.len);
            int expected = len <= PUBSUB_TOPIC_MAX ? 0 : -1;
            assert_int_equal(gossipsub_control_decode(input, w.len, &test_ctl), expected);
        }
    }
}

static void decode_checks_entries_it_drops(void **state) {
    (void)state;
    /* Past the IHAVE entry limit an entry is not kept, but a bad one still fails. */
    pb_writer w;
    pb_writer_init(&w, test_big, sizeof test_big);
    for (size_t i = 0; i < GOSSIPSUB_TOPICS_PER_CONTROL_MAX; i++) write_id_entry(&w, 1, i, 1);
    const uint8_t bad_ihave[] = {0x12, 0x01, 'a'}; /* no topicID */
    pb_write_bytes_field(&w, 1, bad_ihave, sizeof bad_ihave);
    assert_int_equal(decode_big(&w), -1);
}

/* ---- builders and the encoder's limits ---- */

static void builders_refuse_past_the_id_budget_and_change_nothing(void **state) {
    (void)state;
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_ihave(&test_ctl, text_view("t"), test_ids,
                                                 GOSSIPSUB_IHAVE_IDS_MAX + 1),
                     -1);
    assert_true(gossipsub_control_is_empty(&test_ctl));
    assert_int_equal(gossipsub_control_add_ihave(&test_ctl, text_view("t"), test_ids,
                                                 GOSSIPSUB_IHAVE_IDS_MAX),
                     0);
    assert_int_equal(gossipsub_control_add_ihave(&test_ctl, text_view("u"), test_ids, 1), -1);
    assert_int_equal(test_ctl.ihave_count, 1);
    assert_int_equal(gossipsub_control_add_idontwant(&test_ctl, test_ids,
                                                     GOSSIPSUB_IDONTWANT_IDS_MAX + 1),
                     -1);
    assert_int_equal(gossipsub_control_add_iwant(&test_ctl, test_ids, GOSSIPSUB_IWANT_IDS_MAX), 0);
    assert_int_equal(gossipsub_control_add_iwant(&test_ctl, test_ids, 1), -1);
    assert_int_equal(test_ctl.iwant_count, 1);
}

static void builders_refuse_past_the_entry_limits(void **state) {
    (void)state;
    gossipsub_control_init(&test_ctl);
    for (size_t i = 0; i < GOSSIPSUB_TOPICS_PER_CONTROL_MAX; i++) {
        assert_int_equal(gossipsub_control_add_graft(&test_ctl, text_view("t")), 0);
        assert_int_equal(gossipsub_control_add_prune(&test_ctl, text_view("t"), NULL, 0, false, 0),
                         0);
    }
    assert_int_equal(gossipsub_control_add_graft(&test_ctl, text_view("t")), -1);
    assert_int_equal(gossipsub_control_add_prune(&test_ctl, text_view("t"), NULL, 0, false, 0), -1);
    assert_int_equal(test_ctl.graft_count, GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
    assert_int_equal(test_ctl.prune_count, GOSSIPSUB_TOPICS_PER_CONTROL_MAX);
}

static void builders_refuse_long_ids_topics_and_px_lists(void **state) {
    (void)state;
    static uint8_t long_bytes[PUBSUB_TOPIC_MAX + 1];
    gossipsub_peer_info px[GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX + 1];
    memset(px, 0, sizeof px);
    pubsub_bytes id = view(long_bytes, GOSSIPSUB_MESSAGE_ID_MAX_BYTES + 1);
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_iwant(&test_ctl, &id, 1), -1);
    id.len--;
    assert_int_equal(gossipsub_control_add_iwant(&test_ctl, &id, 1), 0);
    pubsub_bytes long_topic = view(long_bytes, sizeof long_bytes);
    assert_int_equal(gossipsub_control_add_graft(&test_ctl, long_topic), -1);
    assert_int_equal(gossipsub_control_add_prune(&test_ctl, text_view("t"), px,
                                                 GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX + 1, false, 0),
                     -1);
    assert_int_equal(gossipsub_control_add_prune(&test_ctl, text_view("t"), px,
                                                 GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX, false, 0),
                     0);
}

static void encode_refuses_what_the_decoder_would_not_keep(void **state) {
    (void)state;
    uint8_t out[TEST_BUFFER_BYTES];
    build_js_control(&test_ctl);
    test_ctl.iwants[0].id_first = 1; /* slice outside the pool of one id */
    assert_int_equal(gossipsub_control_encode(&test_ctl, out, sizeof out), 0);
    build_js_control(&test_ctl);
    test_ctl.ihave_ids[0].len = GOSSIPSUB_MESSAGE_ID_MAX_BYTES + 1;
    assert_int_equal(gossipsub_control_encode(&test_ctl, out, sizeof out), 0);
    build_js_control(&test_ctl);
    test_ctl.prunes[0].px_count = 2; /* more PX peers than the pool holds */
    assert_int_equal(gossipsub_control_encode(&test_ctl, out, sizeof out), 0);
    build_js_control(&test_ctl);
    test_ctl.graft_count = GOSSIPSUB_TOPICS_PER_CONTROL_MAX + 1;
    assert_int_equal(gossipsub_control_encode(&test_ctl, out, sizeof out), 0);
    assert_int_equal(gossipsub_rpc_encode(NULL, 0, NULL, 0, &test_ctl, out, sizeof out), 0);
}

static void encode_refuses_overlapping_slices_past_the_id_budget(void **state) {
    (void)state;
    /* Two IHAVEs naming the same 5000 ids: the pool is within its limit,
     * but a decoder would keep only the first 5000 ids it reads. */
    static uint8_t out[2 * GOSSIPSUB_IHAVE_IDS_MAX * (TEST_ID_BYTES + 2) + 64];
    gossipsub_control_init(&test_ctl);
    assert_int_equal(gossipsub_control_add_ihave(&test_ctl, text_view("t"), test_ids,
                                                 GOSSIPSUB_IHAVE_IDS_MAX),
                     0);
    assert_true(gossipsub_control_encode(&test_ctl, out, sizeof out) > 0);
    test_ctl.ihaves[1] = test_ctl.ihaves[0];
    test_ctl.ihave_count = 2;
    assert_int_equal(gossipsub_control_encode(&test_ctl, out, sizeof out), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_reads_control_encoded_by_js_libp2p),
        cmocka_unit_test(decode_reads_control_of_rpc_encoded_by_js_libp2p),
        cmocka_unit_test(encode_matches_js_libp2p_bytes),
        cmocka_unit_test(rpc_encode_matches_js_libp2p_bytes),
        cmocka_unit_test(encode_writes_ihave),
        cmocka_unit_test(encode_writes_iwant),
        cmocka_unit_test(encode_writes_graft),
        cmocka_unit_test(encode_writes_prune_with_px_and_backoff),
        cmocka_unit_test(encode_writes_prune_without_backoff_as_v1_0),
        cmocka_unit_test(encode_writes_idontwant),
        cmocka_unit_test(encode_writes_kinds_in_field_order_whatever_the_build_order),
        cmocka_unit_test(encode_returns_zero_when_cap_is_too_small),
        cmocka_unit_test(encode_returns_zero_for_an_empty_control),
        cmocka_unit_test(rpc_encode_writes_control_only_rpc),
        cmocka_unit_test(rpc_encode_puts_control_after_messages),
        cmocka_unit_test(rpc_encode_without_control_is_pubsub_rpc_encode),
        cmocka_unit_test(rpc_encode_returns_zero_for_an_empty_rpc),
        cmocka_unit_test(rpc_encode_returns_zero_when_cap_is_too_small),
        cmocka_unit_test(rpc_encode_refuses_rpc_over_size_limit),
        cmocka_unit_test(decode_then_encode_gives_the_same_bytes),
        cmocka_unit_test(built_control_round_trips),
        cmocka_unit_test(rpc_round_trips_through_both_decoders),
        cmocka_unit_test(decode_yields_views_into_the_input),
        cmocka_unit_test(decode_accepts_the_empty_control),
        cmocka_unit_test(decode_rejects_every_truncation_inside_an_entry),
        cmocka_unit_test(decode_skips_unknown_fields),
        cmocka_unit_test(decode_rejects_wrong_wire_types),
        cmocka_unit_test(decode_rejects_repeated_singular_fields),
        cmocka_unit_test(decode_rejects_topic_entries_without_topic),
        cmocka_unit_test(decode_accepts_id_lists_with_no_ids),
        cmocka_unit_test(decode_rejects_malformed_tags_and_lengths),
        cmocka_unit_test(decode_failure_leaves_an_empty_control),
        cmocka_unit_test(decode_rejects_input_over_rpc_size_limit),
        cmocka_unit_test(decode_keeps_ihave_ids_up_to_max_ihave_length),
        cmocka_unit_test(decode_ignores_ihave_ids_past_max_ihave_length),
        cmocka_unit_test(decode_ignores_ihave_entries_past_the_topic_limit),
        cmocka_unit_test(decode_ignores_iwant_ids_past_the_limit),
        cmocka_unit_test(decode_ignores_iwant_entries_past_the_limit),
        cmocka_unit_test(decode_ignores_idontwant_ids_and_entries_past_the_limit),
        cmocka_unit_test(decode_refuses_grafts_past_the_topic_limit),
        cmocka_unit_test(decode_refuses_prunes_past_the_topic_limit),
        cmocka_unit_test(decode_keeps_px_peers_up_to_prune_peers),
        cmocka_unit_test(decode_keeps_px_peers_up_to_the_control_budget),
        cmocka_unit_test(decode_enforces_message_id_length_limit),
        cmocka_unit_test(decode_enforces_topic_length_limit),
        cmocka_unit_test(decode_checks_entries_it_drops),
        cmocka_unit_test(builders_refuse_past_the_id_budget_and_change_nothing),
        cmocka_unit_test(builders_refuse_past_the_entry_limits),
        cmocka_unit_test(builders_refuse_long_ids_topics_and_px_lists),
        cmocka_unit_test(encode_refuses_what_the_decoder_would_not_keep),
        cmocka_unit_test(encode_refuses_overlapping_slices_past_the_id_budget),
    };
    return cmocka_run_group_tests(tests, ids_setup, NULL);
}
