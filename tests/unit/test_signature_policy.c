/*
 * test_signature_policy: Ethereum's pubsub rules in the core (pubsub.h,
 * pubsub_pb.h): StrictNoSign beside StrictSign, the message id functions
 * with their vectors written out, and the validation delay on the core's
 * timer. The world's end of it (exact latencies) is in test_run.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/time_units.h"
#include "pubsub/floodsub.h"
#include "wire/pubsub_pb.h"

#define TOPIC "blobs"
#define PEER 1
#define MS NS_PER_MS

/* ---- the message id functions ---------------------------------------- */

static void sha256_names_a_message_by_its_data(void **state) {
    (void)state;
    /* FIPS 180-2's first vector: SHA-256("abc"). */
    static const uint8_t expected[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                         0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                         0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    pubsub_outgoing out;
    pubsub_message_make_unsigned(&out, TOPIC, (const uint8_t *)"abc", 3);
    uint8_t id[64];
    assert_int_equal(pubsub_message_id_of(&out.msg, PUBSUB_MESSAGE_ID_SHA256, id, sizeof id), 32);
    assert_memory_equal(id, expected, 32);
    assert_int_equal(pubsub_message_id_of(&out.msg, PUBSUB_MESSAGE_ID_SHA256, id, 31), 0); /* no room */
}

static void first_8_bytes_is_the_big_endian_message_number_of_test_plans(void **state) {
    (void)state;
    /* gossipsub-interop writes message number 258 as binary.BigEndian.PutUint64
     * into the first 8 bytes of the data; the id is those 8 bytes. */
    const uint8_t data[12] = {0, 0, 0, 0, 0, 0, 0x01, 0x02, 0xaa, 0xbb, 0xcc, 0xdd};
    pubsub_outgoing out;
    pubsub_message_make_unsigned(&out, TOPIC, data, sizeof data);
    uint8_t id[64];
    assert_int_equal(pubsub_message_id_of(&out.msg, PUBSUB_MESSAGE_ID_FIRST_8_BYTES, id, sizeof id), 8);
    uint64_t number = 0;
    for (size_t i = 0; i < 8; i++) number = number << 8 | id[i];
    assert_int_equal(number, 258);
    pubsub_message_make_unsigned(&out, TOPIC, data, 7); /* shorter than 8 bytes: no id */
    assert_int_equal(pubsub_message_id_of(&out.msg, PUBSUB_MESSAGE_ID_FIRST_8_BYTES, id, sizeof id), 0);
}

static void the_names_read_back_to_their_kinds(void **state) {
    (void)state;
    static const char *const names[] = {"from-seqno", "key-seqno", "sha256", "first-8-bytes"};
    for (int k = 0; k < PUBSUB_MESSAGE_ID_KIND_COUNT; k++) {
        pubsub_message_id_kind kind;
        assert_int_equal(pubsub_message_id_parse(names[k], &kind), 0);
        assert_int_equal(kind, k);
        assert_string_equal(pubsub_message_id_name(kind), names[k]);
    }
    pubsub_message_id_kind kind;
    assert_int_equal(pubsub_message_id_parse("sha-256", &kind), -1);
    pubsub_signature_policy policy;
    assert_int_equal(pubsub_signature_policy_parse("strict-no-sign", &policy), 0);
    assert_int_equal(policy, PUBSUB_STRICT_NO_SIGN);
    assert_int_equal(pubsub_signature_policy_parse("lax-sign", &policy), -1);
}

static void strict_no_sign_refuses_the_author_based_ids(void **state) {
    (void)state;
    assert_string_equal(pubsub_message_id_check(PUBSUB_MESSAGE_ID_FROM_SEQNO, PUBSUB_STRICT_NO_SIGN),
                        "message_id from-seqno needs from and seqno, which strict-no-sign messages do not carry "
                        "(use sha256 or first-8-bytes)");
    assert_non_null(pubsub_message_id_check(PUBSUB_MESSAGE_ID_KEY_SEQNO, PUBSUB_STRICT_NO_SIGN));
    assert_null(pubsub_message_id_check(PUBSUB_MESSAGE_ID_SHA256, PUBSUB_STRICT_NO_SIGN));
    assert_null(pubsub_message_id_check(PUBSUB_MESSAGE_ID_FIRST_8_BYTES, PUBSUB_STRICT_NO_SIGN));
    assert_null(pubsub_message_id_check(PUBSUB_MESSAGE_ID_FROM_SEQNO, PUBSUB_STRICT_SIGN));
    pubsub_options o = {.signature_policy = PUBSUB_STRICT_NO_SIGN, .seqno_validator = true};
    assert_string_equal(pubsub_options_check(&o),
                        "seqno_validator: needs seqnos, which strict-no-sign messages do not carry");
    o = (pubsub_options){.validation_delay_ns = 61 * NS_PER_S};
    assert_string_equal(pubsub_options_check(&o), "validation_delay: needs at most 60s");
}

/* ---- a floodsub core with a host that records ------------------------- */

typedef struct recorder {
    uint64_t now;
    int delivered, sent;
    uint64_t timer_at;
    int timers;
    const char *last_reject;
    uint64_t delivered_at;
} recorder;

static recorder rec;

static uint64_t host_now(void *user) { return ((recorder *)user)->now; }

static int host_send(void *user, uint32_t peer, const uint8_t *rpc, size_t len) {
    (void)peer, (void)rpc, (void)len;
    ((recorder *)user)->sent++;
    return 0;
}

static void host_deliver(void *user, const pubsub_message *msg) {
    (void)msg;
    recorder *r = user;
    r->delivered++;
    r->delivered_at = r->now;
}

static void host_trace(void *user, trace_event *e) {
    if (e->kind == TRACE_REJECT_MESSAGE) ((recorder *)user)->last_reject = e->reason;
}

static void host_timer(void *user, uint64_t deadline) {
    recorder *r = user;
    r->timer_at = deadline;
    r->timers++;
}

static identity self, origin;
static peer_id origin_id;

/* A floodsub core under policy with ids of kind, one peer (the origin)
 * subscribed, like us, to TOPIC. */
static pubsub_core *make_core(const pubsub_options *o, pubsub_message_id_kind kind) {
    memset(&rec, 0, sizeof rec);
    uint8_t seed[IDENTITY_SEED_BYTES] = {1};
    identity_from_seed(&self, seed);
    seed[0] = 2;
    identity_from_seed(&origin, seed);
    peer_id_from_public_key(origin.public_key, &origin_id);
    static pubsub_host host = {.user = &rec, .now_ns = host_now, .send = host_send, .deliver = host_deliver,
                               .trace = host_trace, .timer_set = host_timer};
    uint8_t seen_key[SEEN_CACHE_KEY_BYTES] = {3};
    pubsub_core *ps = floodsub_create(&host, o, kind, &self, 1, seen_key);
    assert_non_null(ps);
    assert_int_equal(pubsub_add_peer(ps, PEER, &origin_id, FLOODSUB_PROTOCOL, false, 0), 0);
    assert_int_equal(pubsub_subscribe(ps, TOPIC), 0);
    pubsub_subopts sub = {.subscribe = true, .topic = pubsub_text(TOPIC)};
    uint8_t rpc[64];
    size_t len = pubsub_rpc_encode(&sub, 1, NULL, 0, rpc, sizeof rpc);
    assert_int_equal(pubsub_handle_rpc(ps, PEER, rpc, len), 0);
    return ps;
}

/* One RPC holding msg, from the peer. */
static void receive(pubsub_core *ps, const pubsub_message *msg) {
    uint8_t rpc[1024];
    size_t len = pubsub_rpc_encode(NULL, 0, msg, 1, rpc, sizeof rpc);
    assert_true(len > 0);
    assert_int_equal(pubsub_handle_rpc(ps, PEER, rpc, len), 0);
}

static void a_strict_no_sign_node_delivers_unsigned_messages_once(void **state) {
    (void)state;
    pubsub_options o = {.signature_policy = PUBSUB_STRICT_NO_SIGN};
    pubsub_core *ps = make_core(&o, PUBSUB_MESSAGE_ID_SHA256);
    pubsub_outgoing out;
    pubsub_message_make_unsigned(&out, TOPIC, (const uint8_t *)"blob", 4);
    receive(ps, &out.msg);
    receive(ps, &out.msg); /* the same data: the same id, a duplicate */
    assert_int_equal(rec.delivered, 1);
    assert_null(rec.last_reject);
    /* Our own publish goes out unsigned: the peer gets it, with no from. */
    rec.sent = 0;
    assert_int_equal(pubsub_publish(ps, TOPIC, (const uint8_t *)"ours", 4), 0);
    assert_int_equal(rec.delivered, 2);
    assert_int_equal(rec.sent, 1);
    pubsub_destroy(ps);
}

static void a_strict_no_sign_node_rejects_signed_messages(void **state) {
    (void)state;
    pubsub_options o = {.signature_policy = PUBSUB_STRICT_NO_SIGN};
    pubsub_core *ps = make_core(&o, PUBSUB_MESSAGE_ID_SHA256);
    pubsub_outgoing out;
    assert_int_equal(pubsub_message_make(&out, &origin, &origin_id, 7, TOPIC, (const uint8_t *)"blob", 4), 0);
    receive(ps, &out.msg);
    assert_int_equal(rec.delivered, 0);
    assert_string_equal(rec.last_reject, "unexpected signature");
    out.msg.has_signature = false; /* from and seqno alone are refused too */
    receive(ps, &out.msg);
    assert_string_equal(rec.last_reject, "unexpected from, seqno or key");
    assert_int_equal(rec.delivered, 0);
    pubsub_destroy(ps);
}

static void a_strict_sign_node_rejects_unsigned_messages(void **state) {
    (void)state;
    pubsub_core *ps = make_core(NULL, PUBSUB_MESSAGE_ID_FROM_SEQNO);
    pubsub_outgoing out;
    pubsub_message_make_unsigned(&out, TOPIC, (const uint8_t *)"blob", 4);
    receive(ps, &out.msg);
    assert_int_equal(rec.delivered, 0);
    assert_string_equal(rec.last_reject, "missing from");
    pubsub_destroy(ps);
    /* With a content id too: the id exists, the signature does not. */
    ps = make_core(NULL, PUBSUB_MESSAGE_ID_SHA256);
    receive(ps, &out.msg);
    assert_int_equal(rec.delivered, 0);
    assert_string_equal(rec.last_reject, "missing from");
    pubsub_destroy(ps);
}

/* ---- the validation delay --------------------------------------------- */

static void a_validation_delay_holds_delivery_and_forwarding_for_exactly_the_delay(void **state) {
    (void)state;
    pubsub_options o = {.signature_policy = PUBSUB_STRICT_NO_SIGN, .validation_delay_ns = 25 * MS,
                        .topic_delays = {{.topic = "slow", .delay_ns = 40 * MS}}, .topic_delay_count = 1};
    pubsub_core *ps = make_core(&o, PUBSUB_MESSAGE_ID_FIRST_8_BYTES);
    const uint8_t data[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    pubsub_outgoing out;
    pubsub_message_make_unsigned(&out, TOPIC, data, sizeof data);
    rec.now = 1000 * MS;
    receive(ps, &out.msg);
    assert_int_equal(rec.delivered, 0);
    assert_int_equal(pubsub_validating_count(ps), 1);
    assert_int_equal(rec.timer_at, 1025 * MS);
    rec.now = 1010 * MS;
    receive(ps, &out.msg); /* during validation: a duplicate, not a second validation */
    assert_int_equal(pubsub_validating_count(ps), 1);
    rec.now = 1024 * MS;
    pubsub_validation_due(ps, rec.now); /* early: nothing yet, the timer re-armed */
    assert_int_equal(rec.delivered, 0);
    assert_int_equal(rec.timer_at, 1025 * MS);
    rec.now = 1025 * MS;
    pubsub_validation_due(ps, rec.now);
    assert_int_equal(rec.delivered, 1);
    assert_int_equal(rec.delivered_at, 1025 * MS);
    assert_int_equal(pubsub_validating_count(ps), 0);
    pubsub_destroy(ps);
}

static void a_topic_delay_overrides_the_default(void **state) {
    (void)state;
    pubsub_options o = {.validation_delay_ns = 25 * MS,
                        .topic_delays = {{.topic = TOPIC, .delay_ns = 40 * MS}}, .topic_delay_count = 1};
    assert_int_equal(pubsub_options_validation_delay(&o, pubsub_text(TOPIC)), 40 * MS);
    assert_int_equal(pubsub_options_validation_delay(&o, pubsub_text("other")), 25 * MS);
    pubsub_core *ps = make_core(&o, PUBSUB_MESSAGE_ID_FROM_SEQNO);
    pubsub_outgoing out;
    assert_int_equal(pubsub_message_make(&out, &origin, &origin_id, 7, TOPIC, (const uint8_t *)"blob", 4), 0);
    rec.now = 0;
    receive(ps, &out.msg);
    assert_int_equal(rec.timer_at, 40 * MS);
    rec.now = 40 * MS;
    pubsub_validation_due(ps, rec.now);
    assert_int_equal(rec.delivered, 1);
    pubsub_destroy(ps);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_names_a_message_by_its_data),
        cmocka_unit_test(first_8_bytes_is_the_big_endian_message_number_of_test_plans),
        cmocka_unit_test(the_names_read_back_to_their_kinds),
        cmocka_unit_test(strict_no_sign_refuses_the_author_based_ids),
        cmocka_unit_test(a_strict_no_sign_node_delivers_unsigned_messages_once),
        cmocka_unit_test(a_strict_no_sign_node_rejects_signed_messages),
        cmocka_unit_test(a_strict_sign_node_rejects_unsigned_messages),
        cmocka_unit_test(a_validation_delay_holds_delivery_and_forwarding_for_exactly_the_delay),
        cmocka_unit_test(a_topic_delay_overrides_the_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
