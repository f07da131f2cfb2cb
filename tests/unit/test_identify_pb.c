/*
 * test_identify_pb: the Identify message codec (libp2p/specs
 * identify/README.md): exact bytes, round trips, limits, malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire/identify_pb.h"

#define TEST_BUFFER_BYTES (IDENTIFY_MESSAGE_MAX_BYTES + 64)

static identify_message test_msg;
static identify_message test_msg_again;
static uint8_t test_wire[TEST_BUFFER_BYTES];

static identify_bytes view(const void *data, size_t len) {
    identify_bytes v = {(const uint8_t *)data, len};
    return v;
}

static bool view_equals(identify_bytes v, const void *data, size_t len) {
    return v.len == len && (len == 0 || memcmp(v.data, data, len) == 0);
}

/* /ip4/127.0.0.1/tcp/4001 and /ip4/10.0.0.1/tcp/80 in binary form. */
static const uint8_t listen_addr[] = {0x04, 127, 0, 0, 1, 0x06, 0x0f, 0xa1};
static const uint8_t observed_addr[] = {0x04, 10, 0, 0, 1, 0x06, 0x00, 0x50};
static const uint8_t public_key[] = {0xaa, 0xbb};
static const uint8_t peer_record[] = {0x01};

/* Every field once, encoded in field-number order. */
static const uint8_t small_identify_bytes[] = {
    0x0a, 0x02, 0xaa, 0xbb,                               /* 1 publicKey */
    0x12, 0x08, 0x04, 127, 0, 0, 1, 0x06, 0x0f, 0xa1,     /* 2 listenAddrs */
    0x1a, 0x03, '/', 'p', '1',                            /* 3 protocols */
    0x22, 0x08, 0x04, 10, 0, 0, 1, 0x06, 0x00, 0x50,      /* 4 observedAddr */
    0x2a, 0x0a, 'i', 'p', 'f', 's', '/', '0', '.', '1', '.', '0', /* 5 */
    0x32, 0x0c, 's', 'w', 'a', 'r', 'm', 'l', 'a', 'b', '/', '0', '.', '1', /* 6 */
    0x42, 0x01, 0x01,                                     /* 8 signedPeerRecord */
};

static void small_identify(identify_message *msg) {
    memset(msg, 0, sizeof *msg);
    msg->public_key = view(public_key, sizeof public_key);
    msg->listen_addrs[0] = view(listen_addr, sizeof listen_addr);
    msg->listen_addr_count = 1;
    msg->protocols[0] = identify_text("/p1");
    msg->protocol_count = 1;
    msg->observed_addr = view(observed_addr, sizeof observed_addr);
    msg->protocol_version = identify_text("ipfs/0.1.0");
    msg->agent_version = identify_text("swarmlab/0.1");
    msg->signed_peer_record = view(peer_record, sizeof peer_record);
    msg->has_public_key = msg->has_observed_addr = msg->has_protocol_version = true;
    msg->has_agent_version = msg->has_signed_peer_record = true;
}

/* An Identify with count protocols "/p" + two digits (4 bytes each). */
static size_t identify_with_protocols(uint8_t *out, size_t count) {
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        out[n++] = 0x1a, out[n++] = 4, out[n++] = '/', out[n++] = 'p';
        out[n++] = (uint8_t)('0' + i / 10 % 10), out[n++] = (uint8_t)('0' + i % 10);
    }
    return n;
}

/* An Identify with one field of the given number holding len bytes of 'x'
 * (len < 16384: a two-byte length). */
static size_t identify_with_field(uint8_t *out, uint8_t tag, size_t len) {
    out[0] = tag;
    out[1] = (uint8_t)(0x80 | (len & 0x7f));
    out[2] = (uint8_t)(len >> 7);
    memset(out + 3, 'x', len);
    return 3 + len;
}

static int decode_small_identify(void) {
    return identify_decode(small_identify_bytes, sizeof small_identify_bytes, &test_msg);
}

static void encode_writes_fields_in_number_order(void **state) {
    (void)state;
    small_identify(&test_msg);
    size_t n = identify_encode(&test_msg, test_wire, sizeof test_wire);
    assert_int_equal(n, sizeof small_identify_bytes);
    assert_memory_equal(test_wire, small_identify_bytes, n);
}

static void decode_reads_every_field(void **state) {
    (void)state;
    assert_int_equal(decode_small_identify(), 0);
    assert_true(view_equals(test_msg.public_key, public_key, sizeof public_key));
    assert_int_equal(test_msg.listen_addr_count, 1);
    assert_true(view_equals(test_msg.listen_addrs[0], listen_addr, sizeof listen_addr));
    assert_int_equal(test_msg.protocol_count, 1);
    assert_true(view_equals(test_msg.protocols[0], "/p1", 3));
    assert_true(view_equals(test_msg.observed_addr, observed_addr, sizeof observed_addr));
    assert_true(view_equals(test_msg.protocol_version, "ipfs/0.1.0", 10));
    assert_true(view_equals(test_msg.agent_version, "swarmlab/0.1", 12));
    assert_true(view_equals(test_msg.signed_peer_record, peer_record, sizeof peer_record));
    assert_true(test_msg.has_public_key && test_msg.has_observed_addr);
    assert_true(test_msg.has_protocol_version && test_msg.has_agent_version);
    assert_true(test_msg.has_signed_peer_record);
}

static void decode_yields_views_into_the_input(void **state) {
    (void)state;
    assert_int_equal(decode_small_identify(), 0);
    assert_ptr_equal(test_msg.public_key.data, small_identify_bytes + 2);
    assert_ptr_equal(test_msg.listen_addrs[0].data, small_identify_bytes + 6);
    assert_ptr_equal(test_msg.protocols[0].data, small_identify_bytes + 16);
}

static void decode_accepts_fields_in_the_spec_listing_order(void **state) {
    (void)state;
    /* protocolVersion, agentVersion, publicKey, listenAddrs, observedAddr,
     * protocols, signedPeerRecord: the order the spec lists them in. */
    static const uint8_t in[] = {
        0x2a, 0x01, 'v', 0x32, 0x01, 'a', 0x0a, 0x01, 0xcc, 0x12, 0x01, 0x04,
        0x22, 0x01, 0x05, 0x1a, 0x02, '/', 'x', 0x1a, 0x02, '/', 'y', 0x42, 0x00,
    };
    assert_int_equal(identify_decode(in, sizeof in, &test_msg), 0);
    assert_true(view_equals(test_msg.protocol_version, "v", 1));
    assert_true(view_equals(test_msg.agent_version, "a", 1));
    assert_int_equal(test_msg.protocol_count, 2);
    assert_true(view_equals(test_msg.protocols[1], "/y", 2));
    assert_true(test_msg.has_signed_peer_record);
    assert_int_equal(test_msg.signed_peer_record.len, 0);
}

static void decode_then_encode_gives_the_same_bytes(void **state) {
    (void)state;
    assert_int_equal(decode_small_identify(), 0);
    size_t n = identify_encode(&test_msg, test_wire, sizeof test_wire);
    assert_int_equal(n, sizeof small_identify_bytes);
    assert_memory_equal(test_wire, small_identify_bytes, n);
}

static void encode_then_decode_keeps_many_protocols_and_addrs(void **state) {
    (void)state;
    static char names[IDENTIFY_PROTOCOLS_MAX][8];
    memset(&test_msg, 0, sizeof test_msg);
    for (size_t i = 0; i < IDENTIFY_PROTOCOLS_MAX; i++) {
        names[i][0] = '/', names[i][1] = (char)('A' + i / 26), names[i][2] = (char)('a' + i % 26);
        test_msg.protocols[i] = view(names[i], 3);
    }
    test_msg.protocol_count = IDENTIFY_PROTOCOLS_MAX;
    for (size_t i = 0; i < IDENTIFY_ADDRS_MAX; i++) test_msg.listen_addrs[i] = view(listen_addr, 8);
    test_msg.listen_addr_count = IDENTIFY_ADDRS_MAX;
    size_t n = identify_encode(&test_msg, test_wire, sizeof test_wire);
    assert_int_equal(n, IDENTIFY_PROTOCOLS_MAX * 5 + IDENTIFY_ADDRS_MAX * 10);
    assert_int_equal(identify_decode(test_wire, n, &test_msg_again), 0);
    assert_int_equal(test_msg_again.protocol_count, IDENTIFY_PROTOCOLS_MAX);
    assert_int_equal(test_msg_again.listen_addr_count, IDENTIFY_ADDRS_MAX);
    for (size_t i = 0; i < IDENTIFY_PROTOCOLS_MAX; i++) {
        assert_true(view_equals(test_msg_again.protocols[i], names[i], 3));
    }
    assert_false(test_msg_again.has_public_key || test_msg_again.has_agent_version);
}

static void encode_returns_zero_when_cap_is_too_small(void **state) {
    (void)state;
    small_identify(&test_msg);
    size_t full = sizeof small_identify_bytes;
    assert_int_equal(identify_encode(&test_msg, test_wire, full - 1), 0);
    assert_int_equal(identify_encode(&test_msg, test_wire, full), full);
}

static void encode_refuses_what_decode_would_reject(void **state) {
    (void)state;
    static char long_name[IDENTIFY_PROTOCOL_NAME_MAX + 1];
    memset(long_name, 'n', sizeof long_name);
    small_identify(&test_msg);
    test_msg.protocols[0] = view(long_name, sizeof long_name);
    assert_int_equal(identify_encode(&test_msg, test_wire, sizeof test_wire), 0);
    test_msg.protocols[0] = view(long_name, 0);
    assert_int_equal(identify_encode(&test_msg, test_wire, sizeof test_wire), 0);
    small_identify(&test_msg);
    test_msg.protocol_count = IDENTIFY_PROTOCOLS_MAX + 1;
    assert_int_equal(identify_encode(&test_msg, test_wire, sizeof test_wire), 0);
    memset(&test_msg, 0, sizeof test_msg);
    assert_int_equal(identify_encode(&test_msg, test_wire, sizeof test_wire), 0);
}

static void decode_skips_unknown_fields(void **state) {
    (void)state;
    /* field 7 (bytes), field 9 (varint), then agentVersion "a" */
    const uint8_t in[] = {0x3a, 0x01, 'z', 0x48, 0x05, 0x32, 0x01, 'a'};
    assert_int_equal(identify_decode(in, sizeof in, &test_msg), 0);
    assert_true(view_equals(test_msg.agent_version, "a", 1));
    assert_false(test_msg.has_public_key);
}

static void decode_accepts_the_empty_message(void **state) {
    (void)state;
    assert_int_equal(identify_decode(NULL, 0, &test_msg), 0);
    assert_int_equal(test_msg.protocol_count, 0);
    assert_false(test_msg.has_agent_version);
}

/* ---- limits ---- */

static void decode_enforces_protocol_count_limit(void **state) {
    (void)state;
    size_t n = identify_with_protocols(test_wire, IDENTIFY_PROTOCOLS_MAX);
    assert_int_equal(identify_decode(test_wire, n, &test_msg), 0);
    assert_int_equal(test_msg.protocol_count, IDENTIFY_PROTOCOLS_MAX);
    n = identify_with_protocols(test_wire, IDENTIFY_PROTOCOLS_MAX + 1);
    assert_int_equal(identify_decode(test_wire, n, &test_msg), -1);
    assert_int_equal(test_msg.protocol_count, 0);
}

static void decode_enforces_listen_addr_count_limit(void **state) {
    (void)state;
    size_t n = 0;
    for (size_t i = 0; i <= IDENTIFY_ADDRS_MAX; i++) {
        test_wire[n++] = 0x12, test_wire[n++] = sizeof listen_addr;
        memcpy(test_wire + n, listen_addr, sizeof listen_addr), n += sizeof listen_addr;
    }
    size_t one = 2 + sizeof listen_addr;
    assert_int_equal(identify_decode(test_wire, n - one, &test_msg), 0);
    assert_int_equal(test_msg.listen_addr_count, IDENTIFY_ADDRS_MAX);
    assert_int_equal(identify_decode(test_wire, n, &test_msg), -1);
}

static void decode_enforces_protocol_name_length(void **state) {
    (void)state;
    size_t n = identify_with_field(test_wire, 0x1a, IDENTIFY_PROTOCOL_NAME_MAX);
    assert_int_equal(identify_decode(test_wire, n, &test_msg), 0);
    assert_int_equal(test_msg.protocols[0].len, IDENTIFY_PROTOCOL_NAME_MAX);
    n = identify_with_field(test_wire, 0x1a, IDENTIFY_PROTOCOL_NAME_MAX + 1);
    assert_int_equal(identify_decode(test_wire, n, &test_msg), -1);
    const uint8_t empty_name[] = {0x1a, 0x00};
    assert_int_equal(identify_decode(empty_name, sizeof empty_name, &test_msg), -1);
}

static void decode_enforces_text_and_addr_lengths(void **state) {
    (void)state;
    const uint8_t tags[] = {0x2a, 0x32, 0x12, 0x22}; /* versions, then addresses */
    const size_t limits[] = {IDENTIFY_TEXT_MAX, IDENTIFY_TEXT_MAX, IDENTIFY_ADDR_BYTES_MAX,
                             IDENTIFY_ADDR_BYTES_MAX};
    for (size_t i = 0; i < sizeof tags; i++) {
        size_t n = identify_with_field(test_wire, tags[i], limits[i]);
        assert_int_equal(identify_decode(test_wire, n, &test_msg), 0);
        n = identify_with_field(test_wire, tags[i], limits[i] + 1);
        assert_int_equal(identify_decode(test_wire, n, &test_msg), -1);
    }
}

static void decode_enforces_message_size_limit(void **state) {
    (void)state;
    /* A signedPeerRecord that takes the message to the limit, then past it. */
    size_t n = identify_with_field(test_wire, 0x42, IDENTIFY_MESSAGE_MAX_BYTES - 3);
    assert_int_equal(n, IDENTIFY_MESSAGE_MAX_BYTES);
    assert_int_equal(identify_decode(test_wire, n, &test_msg), 0);
    n = identify_with_field(test_wire, 0x42, IDENTIFY_MESSAGE_MAX_BYTES - 2);
    assert_int_equal(identify_decode(test_wire, n, &test_msg), -1);
}

/* ---- malformed input ---- */

static void decode_rejects_every_truncation_inside_a_field(void **state) {
    (void)state;
    const size_t boundaries[] = {0, 4, 14, 19, 29, 41, 55};
    size_t next = 0;
    for (size_t len = 0; len < sizeof small_identify_bytes; len++) {
        bool at_boundary = next < 7 && boundaries[next] == len;
        if (at_boundary) next++;
        int expected = at_boundary ? 0 : -1;
        assert_int_equal(identify_decode(small_identify_bytes, len, &test_msg), expected);
    }
    assert_int_equal(next, 7);
}

static void decode_rejects_repeated_singular_field(void **state) {
    (void)state;
    const uint8_t two_agents[] = {0x32, 0x01, 'a', 0x32, 0x01, 'b'};
    const uint8_t two_keys[] = {0x0a, 0x01, 0x01, 0x0a, 0x01, 0x01};
    assert_int_equal(identify_decode(two_agents, sizeof two_agents, &test_msg), -1);
    assert_int_equal(identify_decode(two_keys, sizeof two_keys, &test_msg), -1);
}

static void decode_rejects_wrong_wire_type_for_known_fields(void **state) {
    (void)state;
    const uint8_t protocols_as_varint[] = {0x18, 0x01};
    const uint8_t key_as_fixed64[] = {0x09, 1, 2, 3, 4, 5, 6, 7, 8};
    const uint8_t record_as_fixed32[] = {0x45, 1, 2, 3, 4};
    assert_int_equal(identify_decode(protocols_as_varint, 2, &test_msg), -1);
    assert_int_equal(identify_decode(key_as_fixed64, 9, &test_msg), -1);
    assert_int_equal(identify_decode(record_as_fixed32, 5, &test_msg), -1);
}

static void decode_rejects_malformed_tags(void **state) {
    (void)state;
    const uint8_t field_zero[] = {0x02, 0x00};
    const uint8_t group[] = {0x1b};
    const uint8_t endless_varint[] = {0x48, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(identify_decode(field_zero, sizeof field_zero, &test_msg), -1);
    assert_int_equal(identify_decode(group, sizeof group, &test_msg), -1);
    assert_int_equal(identify_decode(endless_varint, sizeof endless_varint, &test_msg), -1);
}

static void decode_failure_leaves_an_empty_message(void **state) {
    (void)state;
    uint8_t in[sizeof small_identify_bytes + 2];
    memcpy(in, small_identify_bytes, sizeof small_identify_bytes);
    in[sizeof small_identify_bytes] = 0x32; /* a second agentVersion */
    in[sizeof small_identify_bytes + 1] = 0x00;
    assert_int_equal(identify_decode(in, sizeof in, &test_msg), -1);
    assert_false(test_msg.has_public_key);
    assert_false(test_msg.has_agent_version);
    assert_int_equal(test_msg.protocol_count, 0);
    assert_int_equal(test_msg.listen_addr_count, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_writes_fields_in_number_order),
        cmocka_unit_test(decode_reads_every_field),
        cmocka_unit_test(decode_yields_views_into_the_input),
        cmocka_unit_test(decode_accepts_fields_in_the_spec_listing_order),
        cmocka_unit_test(decode_then_encode_gives_the_same_bytes),
        cmocka_unit_test(encode_then_decode_keeps_many_protocols_and_addrs),
        cmocka_unit_test(encode_returns_zero_when_cap_is_too_small),
        cmocka_unit_test(encode_refuses_what_decode_would_reject),
        cmocka_unit_test(decode_skips_unknown_fields),
        cmocka_unit_test(decode_accepts_the_empty_message),
        cmocka_unit_test(decode_enforces_protocol_count_limit),
        cmocka_unit_test(decode_enforces_listen_addr_count_limit),
        cmocka_unit_test(decode_enforces_protocol_name_length),
        cmocka_unit_test(decode_enforces_text_and_addr_lengths),
        cmocka_unit_test(decode_enforces_message_size_limit),
        cmocka_unit_test(decode_rejects_every_truncation_inside_a_field),
        cmocka_unit_test(decode_rejects_repeated_singular_field),
        cmocka_unit_test(decode_rejects_wrong_wire_type_for_known_fields),
        cmocka_unit_test(decode_rejects_malformed_tags),
        cmocka_unit_test(decode_failure_leaves_an_empty_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
