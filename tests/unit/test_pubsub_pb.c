/*
 * test_pubsub_pb: the pubsub RPC codec and StrictSign signing
 * (libp2p/specs pubsub/README.md, "The RPC", "The Message", "Message
 * Signing").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/identity.h"
#include "wire/pubsub_pb.h"

#define TEST_BUFFER_BYTES 4096

/* The decoded RPC is large (it holds every slot it could need), so tests
 * share one instead of putting it on the stack. */
static pubsub_rpc test_rpc;

static pubsub_bytes view(const void *data, size_t len) {
    pubsub_bytes v = {(const uint8_t *)data, len};
    return v;
}

static pubsub_bytes text_view(const char *text) { return view(text, strlen(text)); }

static bool view_equals(pubsub_bytes v, const void *data, size_t len) {
    return v.len == len && (len == 0 || memcmp(v.data, data, len) == 0);
}

/* ---- a signed message, shared by the signing tests ---- */

typedef struct signed_fixture {
    identity author;
    peer_id author_id;
    uint8_t seqno[PUBSUB_SEQNO_BYTES];
    uint8_t key_proto[IDENTITY_PUBLIC_PROTO_BYTES];
    uint8_t signature[IDENTITY_SIGNATURE_BYTES];
    pubsub_message msg;
} signed_fixture;

static void make_identity(identity *id, peer_id *pid, uint8_t seed_byte) {
    uint8_t seed[IDENTITY_SEED_BYTES];
    memset(seed, seed_byte, sizeof seed);
    identity_from_seed(id, seed);
    peer_id_from_public_key(id->public_key, pid);
}

static int signed_setup(void **state) {
    static signed_fixture f;
    memset(&f, 0, sizeof f);
    make_identity(&f.author, &f.author_id, 0x11);
    const uint8_t seqno[PUBSUB_SEQNO_BYTES] = {0, 0, 0, 0, 0, 0, 0x01, 0x2a};
    memcpy(f.seqno, seqno, sizeof seqno);
    identity_public_proto_encode(f.author.public_key, f.key_proto);
    f.msg.from = view(f.author_id.bytes, f.author_id.len);
    f.msg.data = text_view("hello, swarm");
    f.msg.seqno = view(f.seqno, sizeof f.seqno);
    f.msg.topic = text_view("blocks");
    f.msg.has_from = f.msg.has_data = f.msg.has_seqno = f.msg.has_topic = true;
    assert_int_equal(pubsub_message_sign(&f.author, &f.msg, f.signature), 0);
    f.msg.signature = view(f.signature, sizeof f.signature);
    f.msg.has_signature = true;
    *state = &f;
    return 0;
}

static int signed_teardown(void **state) {
    signed_fixture *f = *state;
    identity_wipe(&f->author);
    return 0;
}

static void assert_rejected(const pubsub_message *msg, const char *expected_reason) {
    const char *reason = NULL;
    assert_int_equal(pubsub_message_verify(msg, &reason), -1);
    assert_non_null(reason);
    assert_string_equal(reason, expected_reason);
}

/* ---- the hand-computed RPC ---- */

/* RPC{subscriptions: [{subscribe: true, topicid: "ab"}],
 *     publish: [{from: 01 02, data: "hi", seqno: 00..01, topic: "ab"}]} */
static const uint8_t small_rpc_bytes[] = {
    0x0a, 0x06,                   /* field 1 (subscriptions), 6 bytes */
    0x08, 0x01,                   /*   subscribe = true */
    0x12, 0x02, 'a', 'b',         /*   topicid = "ab" */
    0x12, 0x16,                   /* field 2 (publish), 22 bytes */
    0x0a, 0x02, 0x01, 0x02,       /*   from */
    0x12, 0x02, 'h', 'i',         /*   data */
    0x1a, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x01, /* seqno */
    0x22, 0x02, 'a', 'b',         /*   topic */
};
static const uint8_t small_from[] = {0x01, 0x02};
static const uint8_t small_seqno[PUBSUB_SEQNO_BYTES] = {0, 0, 0, 0, 0, 0, 0, 0x01};

static void small_rpc_parts(pubsub_subopts *sub, pubsub_message *msg) {
    memset(sub, 0, sizeof *sub);
    memset(msg, 0, sizeof *msg);
    sub->subscribe = true;
    sub->topic = text_view("ab");
    msg->from = view(small_from, sizeof small_from);
    msg->data = text_view("hi");
    msg->seqno = view(small_seqno, sizeof small_seqno);
    msg->topic = text_view("ab");
    msg->has_from = msg->has_data = msg->has_seqno = msg->has_topic = true;
}

static void encode_writes_hand_computed_bytes(void **state) {
    (void)state;
    pubsub_subopts sub;
    pubsub_message msg;
    small_rpc_parts(&sub, &msg);
    uint8_t out[TEST_BUFFER_BYTES];
    size_t n = pubsub_rpc_encode(&sub, 1, &msg, 1, out, sizeof out);
    assert_int_equal(n, sizeof small_rpc_bytes);
    assert_memory_equal(out, small_rpc_bytes, sizeof small_rpc_bytes);
}

static void encode_returns_zero_when_cap_is_too_small(void **state) {
    (void)state;
    pubsub_subopts sub;
    pubsub_message msg;
    small_rpc_parts(&sub, &msg);
    uint8_t out[sizeof small_rpc_bytes];
    assert_int_equal(pubsub_rpc_encode(&sub, 1, &msg, 1, out, sizeof out - 1), 0);
    assert_int_equal(pubsub_rpc_encode(&sub, 1, &msg, 1, out, sizeof out), sizeof out);
    assert_int_equal(pubsub_message_encode(&msg, out, 21), 0);
    assert_int_equal(pubsub_message_encode(&msg, out, 22), 22);
}

static void encode_writes_unsubscribe_as_explicit_false(void **state) {
    (void)state;
    pubsub_subopts sub = {false, text_view("ab")};
    uint8_t out[16];
    const uint8_t expected[] = {0x0a, 0x06, 0x08, 0x00, 0x12, 0x02, 'a', 'b'};
    assert_int_equal(pubsub_rpc_encode(&sub, 1, NULL, 0, out, sizeof out), sizeof expected);
    assert_memory_equal(out, expected, sizeof expected);
}

static void encode_refuses_topic_over_limit(void **state) {
    (void)state;
    static char topic[PUBSUB_TOPIC_MAX + 1];
    memset(topic, 't', sizeof topic);
    pubsub_subopts sub = {true, view(topic, sizeof topic)};
    uint8_t out[TEST_BUFFER_BYTES];
    assert_int_equal(pubsub_rpc_encode(&sub, 1, NULL, 0, out, sizeof out), 0);
    sub.topic.len = PUBSUB_TOPIC_MAX;
    assert_int_not_equal(pubsub_rpc_encode(&sub, 1, NULL, 0, out, sizeof out), 0);
}

static void decode_reads_hand_computed_bytes(void **state) {
    (void)state;
    assert_int_equal(pubsub_rpc_decode(small_rpc_bytes, sizeof small_rpc_bytes, &test_rpc), 0);
    assert_int_equal(test_rpc.sub_count, 1);
    assert_true(test_rpc.subs[0].subscribe);
    assert_true(view_equals(test_rpc.subs[0].topic, "ab", 2));
    assert_int_equal(test_rpc.message_count, 1);
    const pubsub_message *m = &test_rpc.messages[0];
    assert_true(m->has_from && m->has_data && m->has_seqno && m->has_topic);
    assert_false(m->has_signature || m->has_key);
    assert_true(view_equals(m->from, small_from, sizeof small_from));
    assert_true(view_equals(m->data, "hi", 2));
    assert_true(view_equals(m->seqno, small_seqno, sizeof small_seqno));
    assert_true(view_equals(m->topic, "ab", 2));
    assert_false(test_rpc.has_control);
}

static void decode_yields_views_into_the_input(void **state) {
    (void)state;
    assert_int_equal(pubsub_rpc_decode(small_rpc_bytes, sizeof small_rpc_bytes, &test_rpc), 0);
    assert_ptr_equal(test_rpc.subs[0].topic.data, small_rpc_bytes + 6);
    assert_ptr_equal(test_rpc.messages[0].from.data, small_rpc_bytes + 12);
    assert_ptr_equal(test_rpc.messages[0].topic.data, small_rpc_bytes + 30);
}

static void decode_then_encode_gives_the_same_bytes(void **state) {
    signed_fixture *f = *state;
    f->msg.key = view(f->key_proto, sizeof f->key_proto);
    f->msg.has_key = true;
    pubsub_subopts subs[2] = {{true, text_view("blocks")}, {false, text_view("old")}};
    uint8_t wire[TEST_BUFFER_BYTES];
    size_t n = pubsub_rpc_encode(subs, 2, &f->msg, 1, wire, sizeof wire);
    assert_int_not_equal(n, 0);
    assert_int_equal(pubsub_rpc_decode(wire, n, &test_rpc), 0);
    assert_int_equal(test_rpc.sub_count, 2);
    assert_false(test_rpc.subs[1].subscribe);
    assert_true(view_equals(test_rpc.subs[1].topic, "old", 3));
    uint8_t again[TEST_BUFFER_BYTES];
    size_t m = pubsub_rpc_encode(test_rpc.subs, test_rpc.sub_count, test_rpc.messages,
                                 test_rpc.message_count, again, sizeof again);
    assert_int_equal(m, n);
    assert_memory_equal(again, wire, n);
    f->msg.has_key = false;
}

static void decode_keeps_control_raw(void **state) {
    (void)state;
    /* RPC{control: ControlMessage{graft: [{topicID: "ab"}]}} */
    const uint8_t in[] = {0x1a, 0x06, 0x1a, 0x04, 0x0a, 0x02, 'a', 'b'};
    assert_int_equal(pubsub_rpc_decode(in, sizeof in, &test_rpc), 0);
    assert_true(test_rpc.has_control);
    assert_ptr_equal(test_rpc.control.data, in + 2);
    assert_int_equal(test_rpc.control.len, 6);
    assert_int_equal(test_rpc.sub_count, 0);
    assert_int_equal(test_rpc.message_count, 0);
}

static void decode_skips_unknown_fields(void **state) {
    (void)state;
    /* RPC{publish: [{topic: "ab", 15: varint 7}], 9: bytes "zz", 10: fixed32} */
    const uint8_t in[] = {0x12, 0x06, 0x22, 0x02, 'a', 'b', 0x78, 0x07,
                          0x4a, 0x02, 'z', 'z', 0x55, 1, 2, 3, 4};
    assert_int_equal(pubsub_rpc_decode(in, sizeof in, &test_rpc), 0);
    assert_int_equal(test_rpc.message_count, 1);
    assert_true(view_equals(test_rpc.messages[0].topic, "ab", 2));
    assert_false(test_rpc.messages[0].has_from);
}

static void decode_accepts_the_empty_rpc(void **state) {
    (void)state;
    assert_int_equal(pubsub_rpc_decode(NULL, 0, &test_rpc), 0);
    assert_int_equal(test_rpc.sub_count, 0);
    assert_int_equal(test_rpc.message_count, 0);
}

/* ---- malformed input ---- */

static void decode_rejects_every_truncation_inside_a_field(void **state) {
    (void)state;
    for (size_t len = 0; len < sizeof small_rpc_bytes; len++) {
        /* 0 and 8 end exactly at a field boundary: a shorter valid RPC. */
        int expected = (len == 0 || len == 8) ? 0 : -1;
        assert_int_equal(pubsub_rpc_decode(small_rpc_bytes, len, &test_rpc), expected);
    }
}

static void decode_rejects_message_with_two_topics(void **state) {
    (void)state;
    /* The old floodsub form: repeated topicIDs = 4. */
    const uint8_t in[] = {0x12, 0x08, 0x22, 0x02, 'a', 'b', 0x22, 0x02, 'c', 'd'};
    assert_int_equal(pubsub_rpc_decode(in, sizeof in, &test_rpc), -1);
}

static void decode_rejects_message_without_topic(void **state) {
    (void)state;
    const uint8_t in[] = {0x12, 0x04, 0x12, 0x02, 'h', 'i'};
    assert_int_equal(pubsub_rpc_decode(in, sizeof in, &test_rpc), -1);
}

static void decode_rejects_repeated_singular_field(void **state) {
    (void)state;
    /* Message{topic: "ab", data: "h", data: "i"} */
    const uint8_t in[] = {0x12, 0x0a, 0x22, 0x02, 'a', 'b', 0x12, 0x01, 'h', 0x12, 0x01, 'i'};
    assert_int_equal(pubsub_rpc_decode(in, sizeof in, &test_rpc), -1);
}

static void decode_rejects_wrong_wire_type_for_known_fields(void **state) {
    (void)state;
    const uint8_t publish_as_varint[] = {0x10, 0x01};
    const uint8_t topic_as_varint[] = {0x12, 0x02, 0x20, 0x01};
    const uint8_t subscribe_as_bytes[] = {0x0a, 0x07, 0x0a, 0x01, 0x01, 0x12, 0x02, 'a', 'b'};
    const uint8_t control_as_fixed32[] = {0x1d, 1, 2, 3, 4};
    assert_int_equal(pubsub_rpc_decode(publish_as_varint, 2, &test_rpc), -1);
    assert_int_equal(pubsub_rpc_decode(topic_as_varint, 4, &test_rpc), -1);
    assert_int_equal(pubsub_rpc_decode(subscribe_as_bytes, 9, &test_rpc), -1);
    assert_int_equal(pubsub_rpc_decode(control_as_fixed32, 5, &test_rpc), -1);
}

static void decode_rejects_malformed_tags_and_lengths(void **state) {
    (void)state;
    const uint8_t field_zero[] = {0x02, 0x00};
    const uint8_t group_wire_type[] = {0x0b};
    const uint8_t length_past_end[] = {0x12, 0x7f, 0x22};
    const uint8_t bad_nested[] = {0x12, 0x02, 0xff, 0xff};
    assert_int_equal(pubsub_rpc_decode(field_zero, sizeof field_zero, &test_rpc), -1);
    assert_int_equal(pubsub_rpc_decode(group_wire_type, sizeof group_wire_type, &test_rpc), -1);
    assert_int_equal(pubsub_rpc_decode(length_past_end, sizeof length_past_end, &test_rpc), -1);
    assert_int_equal(pubsub_rpc_decode(bad_nested, sizeof bad_nested, &test_rpc), -1);
}

static void decode_rejects_subscription_without_topic(void **state) {
    (void)state;
    const uint8_t in[] = {0x0a, 0x02, 0x08, 0x01};
    assert_int_equal(pubsub_rpc_decode(in, sizeof in, &test_rpc), -1);
}

/* count subscriptions {subscribe: true, topicid: "t"}, each 7 bytes. */
static size_t many_subscriptions(uint8_t *out, size_t count) {
    const uint8_t one[] = {0x0a, 0x05, 0x08, 0x01, 0x12, 0x01, 't'};
    for (size_t i = 0; i < count; i++) memcpy(out + i * sizeof one, one, sizeof one);
    return count * sizeof one;
}

static void decode_enforces_subscription_count_limit(void **state) {
    (void)state;
    static uint8_t in[(PUBSUB_SUBS_PER_RPC_MAX + 1) * 7];
    size_t len = many_subscriptions(in, PUBSUB_SUBS_PER_RPC_MAX);
    assert_int_equal(pubsub_rpc_decode(in, len, &test_rpc), 0);
    assert_int_equal(test_rpc.sub_count, PUBSUB_SUBS_PER_RPC_MAX);
    len = many_subscriptions(in, PUBSUB_SUBS_PER_RPC_MAX + 1);
    assert_int_equal(pubsub_rpc_decode(in, len, &test_rpc), -1);
    assert_int_equal(test_rpc.sub_count, 0);
}

static void decode_enforces_message_count_limit(void **state) {
    (void)state;
    const uint8_t one[] = {0x12, 0x03, 0x22, 0x01, 't'};
    static uint8_t in[(PUBSUB_MESSAGES_PER_RPC_MAX + 1) * sizeof one];
    for (size_t i = 0; i <= PUBSUB_MESSAGES_PER_RPC_MAX; i++) memcpy(in + i * 5, one, 5);
    assert_int_equal(pubsub_rpc_decode(in, PUBSUB_MESSAGES_PER_RPC_MAX * 5, &test_rpc), 0);
    assert_int_equal(test_rpc.message_count, PUBSUB_MESSAGES_PER_RPC_MAX);
    assert_int_equal(pubsub_rpc_decode(in, sizeof in, &test_rpc), -1);
    assert_int_equal(test_rpc.message_count, 0);
}

static void decode_enforces_topic_length_limit(void **state) {
    (void)state;
    static uint8_t in[PUBSUB_TOPIC_MAX + 16];
    for (size_t topic_len = PUBSUB_TOPIC_MAX; topic_len <= PUBSUB_TOPIC_MAX + 1; topic_len++) {
        /* Message{topic: 't' * topic_len}, lengths as two-byte varints. */
        size_t body = 3 + topic_len;
        in[0] = 0x12, in[1] = (uint8_t)(0x80 | (body & 0x7f)), in[2] = (uint8_t)(body >> 7);
        in[3] = 0x22;
        in[4] = (uint8_t)(0x80 | (topic_len & 0x7f));
        in[5] = (uint8_t)(topic_len >> 7);
        memset(in + 6, 't', topic_len);
        int expected = topic_len <= PUBSUB_TOPIC_MAX ? 0 : -1;
        assert_int_equal(pubsub_rpc_decode(in, 6 + topic_len, &test_rpc), expected);
    }
}

static void decode_rejects_rpc_over_size_limit(void **state) {
    (void)state;
    /* Unknown field 9 carrying a blob that takes the RPC one byte over. */
    static uint8_t in[PUBSUB_RPC_MAX_BYTES + 1];
    size_t blob = PUBSUB_RPC_MAX_BYTES + 1 - 4;
    in[0] = 0x4a;
    in[1] = (uint8_t)(0x80 | (blob & 0x7f));
    in[2] = (uint8_t)(0x80 | ((blob >> 7) & 0x7f));
    in[3] = (uint8_t)(blob >> 14);
    assert_int_equal(pubsub_rpc_decode(in, sizeof in, &test_rpc), -1);
}

static void decode_failure_leaves_an_empty_rpc(void **state) {
    (void)state;
    uint8_t in[sizeof small_rpc_bytes + 2];
    memcpy(in, small_rpc_bytes, sizeof small_rpc_bytes);
    in[sizeof small_rpc_bytes] = 0x1a; /* control, then a length past the end */
    in[sizeof small_rpc_bytes + 1] = 0x05;
    assert_int_equal(pubsub_rpc_decode(in, sizeof in, &test_rpc), -1);
    assert_int_equal(test_rpc.sub_count, 0);
    assert_int_equal(test_rpc.message_count, 0);
    assert_false(test_rpc.has_control);
}

/* ---- signing ---- */

static void signed_message_verifies(void **state) {
    signed_fixture *f = *state;
    const char *reason = "unset";
    assert_int_equal(pubsub_message_verify(&f->msg, &reason), 0);
    assert_null(reason);
}

static void signature_covers_prefix_and_fields_one_to_four(void **state) {
    signed_fixture *f = *state;
    /* "libp2p-pubsub:" || Message{from, data, seqno, topic}, built by hand. */
    uint8_t input[256];
    size_t n = 0;
    memcpy(input, "libp2p-pubsub:", 14), n = 14;
    input[n++] = 0x0a, input[n++] = (uint8_t)f->author_id.len;
    memcpy(input + n, f->author_id.bytes, f->author_id.len), n += f->author_id.len;
    input[n++] = 0x12, input[n++] = 12;
    memcpy(input + n, "hello, swarm", 12), n += 12;
    input[n++] = 0x1a, input[n++] = 8;
    memcpy(input + n, f->seqno, 8), n += 8;
    input[n++] = 0x22, input[n++] = 6;
    memcpy(input + n, "blocks", 6), n += 6;
    assert_int_equal(identity_verify(f->author.public_key, input, n, f->signature), 0);
}

static void signature_ignores_the_key_field(void **state) {
    signed_fixture *f = *state;
    uint8_t with_key[IDENTITY_SIGNATURE_BYTES];
    pubsub_message copy = f->msg;
    copy.key = view(f->key_proto, sizeof f->key_proto);
    copy.has_key = true;
    assert_int_equal(pubsub_message_sign(&f->author, &copy, with_key), 0);
    assert_memory_equal(with_key, f->signature, sizeof with_key);
}

static void signed_message_verifies_after_the_wire(void **state) {
    signed_fixture *f = *state;
    uint8_t wire[TEST_BUFFER_BYTES];
    size_t n = pubsub_rpc_encode(NULL, 0, &f->msg, 1, wire, sizeof wire);
    assert_int_not_equal(n, 0);
    assert_int_equal(pubsub_rpc_decode(wire, n, &test_rpc), 0);
    assert_int_equal(test_rpc.message_count, 1);
    const char *reason = NULL;
    assert_int_equal(pubsub_message_verify(&test_rpc.messages[0], &reason), 0);
}

static void tampered_data_is_rejected(void **state) {
    signed_fixture *f = *state;
    pubsub_message copy = f->msg;
    copy.data = text_view("hello, swarn");
    assert_rejected(&copy, "bad signature");
    copy.has_data = false;
    assert_rejected(&copy, "bad signature");
}

static void tampered_topic_is_rejected(void **state) {
    signed_fixture *f = *state;
    pubsub_message copy = f->msg;
    copy.topic = text_view("blockz");
    assert_rejected(&copy, "bad signature");
}

static void tampered_seqno_is_rejected(void **state) {
    signed_fixture *f = *state;
    uint8_t seqno[PUBSUB_SEQNO_BYTES];
    memcpy(seqno, f->seqno, sizeof seqno);
    seqno[7] ^= 1;
    pubsub_message copy = f->msg;
    copy.seqno = view(seqno, sizeof seqno);
    assert_rejected(&copy, "bad signature");
}

static void tampered_signature_is_rejected(void **state) {
    signed_fixture *f = *state;
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    memcpy(sig, f->signature, sizeof sig);
    sig[10] ^= 0x40;
    pubsub_message copy = f->msg;
    copy.signature = view(sig, sizeof sig);
    assert_rejected(&copy, "bad signature");
}

static void other_author_in_from_is_rejected(void **state) {
    signed_fixture *f = *state;
    identity other;
    peer_id other_id;
    make_identity(&other, &other_id, 0x22);
    pubsub_message copy = f->msg;
    copy.from = view(other_id.bytes, other_id.len);
    assert_rejected(&copy, "bad signature");
    identity_wipe(&other);
}

static void from_that_is_not_a_peer_id_is_rejected(void **state) {
    signed_fixture *f = *state;
    uint8_t bad_from[PEER_ID_MAX_BYTES];
    memcpy(bad_from, f->author_id.bytes, f->author_id.len);
    bad_from[1] ^= 1; /* the multihash length no longer matches */
    pubsub_message copy = f->msg;
    copy.from = view(bad_from, f->author_id.len);
    assert_rejected(&copy, "invalid from");
    copy.has_from = false;
    assert_rejected(&copy, "missing from");
}

static void matching_key_field_verifies(void **state) {
    signed_fixture *f = *state;
    pubsub_message copy = f->msg;
    copy.key = view(f->key_proto, sizeof f->key_proto);
    copy.has_key = true;
    const char *reason = NULL;
    assert_int_equal(pubsub_message_verify(&copy, &reason), 0);
}

static void key_field_not_matching_from_is_rejected(void **state) {
    signed_fixture *f = *state;
    identity other;
    peer_id other_id;
    make_identity(&other, &other_id, 0x33);
    uint8_t other_key[IDENTITY_PUBLIC_PROTO_BYTES];
    identity_public_proto_encode(other.public_key, other_key);
    pubsub_message copy = f->msg;
    copy.key = view(other_key, sizeof other_key);
    copy.has_key = true;
    assert_rejected(&copy, "key does not match from");
    identity_wipe(&other);
}

static void key_field_that_is_not_a_key_is_rejected(void **state) {
    signed_fixture *f = *state;
    pubsub_message copy = f->msg;
    copy.key = view(f->key_proto, sizeof f->key_proto - 1);
    copy.has_key = true;
    assert_rejected(&copy, "invalid key");
}

static void hashed_peer_id_without_key_is_rejected(void **state) {
    signed_fixture *f = *state;
    /* A sha2-256 peer ID (RSA-style) cannot yield a key by itself. */
    uint8_t hashed[2 + 32];
    hashed[0] = 0x12, hashed[1] = 32;
    memset(hashed + 2, 0xab, 32);
    pubsub_message copy = f->msg;
    copy.from = view(hashed, sizeof hashed);
    assert_rejected(&copy, "no key for from");
}

static void missing_signature_is_rejected(void **state) {
    signed_fixture *f = *state;
    pubsub_message copy = f->msg;
    copy.has_signature = false;
    assert_rejected(&copy, "missing signature");
    copy.has_signature = true;
    copy.signature.len = IDENTITY_SIGNATURE_BYTES - 1;
    assert_rejected(&copy, "bad signature length");
}

static void short_or_missing_seqno_is_rejected(void **state) {
    signed_fixture *f = *state;
    pubsub_message copy = f->msg;
    copy.seqno.len = PUBSUB_SEQNO_BYTES - 1;
    assert_rejected(&copy, "bad seqno length");
    copy.has_seqno = false;
    assert_rejected(&copy, "missing seqno");
}

static void sign_refuses_message_from_someone_else(void **state) {
    signed_fixture *f = *state;
    identity other;
    peer_id other_id;
    make_identity(&other, &other_id, 0x44);
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    assert_int_equal(pubsub_message_sign(&other, &f->msg, sig), -1);
    pubsub_message copy = f->msg;
    copy.seqno.len = 4;
    assert_int_equal(pubsub_message_sign(&f->author, &copy, sig), -1);
    identity_wipe(&other);
}

/* ---- message id ---- */

static void message_id_is_from_then_seqno(void **state) {
    signed_fixture *f = *state;
    uint8_t id[PEER_ID_MAX_BYTES + PUBSUB_SEQNO_BYTES];
    size_t n = pubsub_message_id(&f->msg, id, sizeof id);
    assert_int_equal(n, f->author_id.len + PUBSUB_SEQNO_BYTES);
    assert_memory_equal(id, f->author_id.bytes, f->author_id.len);
    assert_memory_equal(id + f->author_id.len, f->seqno, PUBSUB_SEQNO_BYTES);
    assert_int_equal(pubsub_message_id(&f->msg, id, n - 1), 0);
}

/* js-libp2p's id: the author's PublicKey protobuf (08 01 12 20 || key, the
 * peer ID without its 00 24 prefix) then the seqno; a from that is not an
 * identity multihash falls back to the key field. */
static void a_key_seqno_id_is_the_public_key_protobuf_then_seqno(void **state) {
    signed_fixture *f = *state;
    uint8_t id[PEER_ID_MAX_BYTES + PUBSUB_SEQNO_BYTES];
    size_t n = pubsub_message_id_of(&f->msg, PUBSUB_MESSAGE_ID_KEY_SEQNO, id, sizeof id);
    assert_int_equal(n, IDENTITY_PUBLIC_PROTO_BYTES + PUBSUB_SEQNO_BYTES);
    assert_memory_equal(id, f->key_proto, IDENTITY_PUBLIC_PROTO_BYTES);
    assert_memory_equal(id + IDENTITY_PUBLIC_PROTO_BYTES, f->seqno, PUBSUB_SEQNO_BYTES);
    uint8_t from_id[PEER_ID_MAX_BYTES + PUBSUB_SEQNO_BYTES];
    size_t m = pubsub_message_id_of(&f->msg, PUBSUB_MESSAGE_ID_FROM_SEQNO, from_id, sizeof from_id);
    assert_int_equal(m, n + 2); /* the same bytes behind 00 24 */
    assert_memory_equal(from_id + 2, id, n);
    pubsub_message hashed = f->msg;
    const uint8_t sha256_id[34] = {0x12, 0x20, 7};
    hashed.from = view(sha256_id, sizeof sha256_id);
    assert_int_equal(pubsub_message_id_of(&hashed, PUBSUB_MESSAGE_ID_KEY_SEQNO, id, sizeof id), 0); /* no key */
    hashed.key = view(f->key_proto, sizeof f->key_proto);
    hashed.has_key = true;
    assert_int_equal(pubsub_message_id_of(&hashed, PUBSUB_MESSAGE_ID_KEY_SEQNO, id, sizeof id), n);
    assert_int_equal(pubsub_message_id_of(&f->msg, PUBSUB_MESSAGE_ID_KEY_SEQNO, id, n - 1), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_writes_hand_computed_bytes),
        cmocka_unit_test(encode_returns_zero_when_cap_is_too_small),
        cmocka_unit_test(encode_writes_unsubscribe_as_explicit_false),
        cmocka_unit_test(encode_refuses_topic_over_limit),
        cmocka_unit_test(decode_reads_hand_computed_bytes),
        cmocka_unit_test(decode_yields_views_into_the_input),
        cmocka_unit_test_setup_teardown(decode_then_encode_gives_the_same_bytes, signed_setup,
                                        signed_teardown),
        cmocka_unit_test(decode_keeps_control_raw),
        cmocka_unit_test(decode_skips_unknown_fields),
        cmocka_unit_test(decode_accepts_the_empty_rpc),
        cmocka_unit_test(decode_rejects_every_truncation_inside_a_field),
        cmocka_unit_test(decode_rejects_message_with_two_topics),
        cmocka_unit_test(decode_rejects_message_without_topic),
        cmocka_unit_test(decode_rejects_repeated_singular_field),
        cmocka_unit_test(decode_rejects_wrong_wire_type_for_known_fields),
        cmocka_unit_test(decode_rejects_malformed_tags_and_lengths),
        cmocka_unit_test(decode_rejects_subscription_without_topic),
        cmocka_unit_test(decode_enforces_subscription_count_limit),
        cmocka_unit_test(decode_enforces_message_count_limit),
        cmocka_unit_test(decode_enforces_topic_length_limit),
        cmocka_unit_test(decode_rejects_rpc_over_size_limit),
        cmocka_unit_test(decode_failure_leaves_an_empty_rpc),
        cmocka_unit_test_setup_teardown(signed_message_verifies, signed_setup, signed_teardown),
        cmocka_unit_test_setup_teardown(signature_covers_prefix_and_fields_one_to_four,
                                        signed_setup, signed_teardown),
        cmocka_unit_test_setup_teardown(signature_ignores_the_key_field, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(signed_message_verifies_after_the_wire, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(tampered_data_is_rejected, signed_setup, signed_teardown),
        cmocka_unit_test_setup_teardown(tampered_topic_is_rejected, signed_setup, signed_teardown),
        cmocka_unit_test_setup_teardown(tampered_seqno_is_rejected, signed_setup, signed_teardown),
        cmocka_unit_test_setup_teardown(tampered_signature_is_rejected, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(other_author_in_from_is_rejected, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(from_that_is_not_a_peer_id_is_rejected, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(matching_key_field_verifies, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(key_field_not_matching_from_is_rejected, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(key_field_that_is_not_a_key_is_rejected, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(hashed_peer_id_without_key_is_rejected, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(missing_signature_is_rejected, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(short_or_missing_seqno_is_rejected, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(sign_refuses_message_from_someone_else, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(a_key_seqno_id_is_the_public_key_protobuf_then_seqno, signed_setup,
                                        signed_teardown),
        cmocka_unit_test_setup_teardown(message_id_is_from_then_seqno, signed_setup,
                                        signed_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
