/*
 * test_multiaddr: /ip4/A.B.C.D/tcp/PORT[/p2p/PEERID] in text and binary
 * (multiformats/multiaddr, protocols.csv: ip4 = 4, tcp = 6, p2p = 421 =
 * 0x01a5), the canonical spellings both parsers insist on, and the inputs
 * they must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire/multiaddr.h"

static const char spec_peer_text[] = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
static const char sha256_peer_text[] = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";

enum { ENCODED_MAX = 128 };

static void test_parse_reads_address_and_port(void **state) {
    (void)state;
    multiaddr ma;
    assert_int_equal(multiaddr_parse("/ip4/127.0.0.1/tcp/4001", &ma), 0);
    const uint8_t ip[4] = {127, 0, 0, 1};
    assert_memory_equal(ma.ip4, ip, 4);
    assert_int_equal(ma.port, 4001);
    assert_false(ma.has_peer);
}

static void test_parse_then_format_gives_back_the_text(void **state) {
    (void)state;
    static const char *texts[] = {
        "/ip4/127.0.0.1/tcp/4001",
        "/ip4/0.0.0.0/tcp/0",
        "/ip4/255.255.255.255/tcp/65535",
        "/ip4/10.0.3.7/tcp/9000/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
        "/ip4/1.2.3.4/tcp/80/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        multiaddr ma;
        assert_int_equal(multiaddr_parse(texts[i], &ma), 0);
        char out[MULTIADDR_TEXT_MAX];
        assert_int_equal(multiaddr_format(&ma, out, sizeof out), 0);
        assert_string_equal(out, texts[i]);
    }
}

static void test_encode_matches_the_known_bytes(void **state) {
    (void)state;
    multiaddr ma;
    assert_int_equal(multiaddr_parse("/ip4/127.0.0.1/tcp/4001", &ma), 0);
    uint8_t out[ENCODED_MAX];
    const uint8_t expected[] = {0x04, 0x7f, 0x00, 0x00, 0x01, 0x06, 0x0f, 0xa1};
    assert_int_equal(multiaddr_encode(&ma, out, sizeof out), sizeof expected);
    assert_memory_equal(out, expected, sizeof expected);
    multiaddr back;
    assert_int_equal(multiaddr_decode(expected, sizeof expected, &back), 0);
    assert_memory_equal(back.ip4, ma.ip4, 4);
    assert_int_equal(back.port, 4001);
    assert_false(back.has_peer);
}

static void test_p2p_suffix_encodes_as_code_length_and_multihash(void **state) {
    (void)state;
    multiaddr ma;
    assert_int_equal(multiaddr_parse("/ip4/1.2.3.4/tcp/80/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
                                     &ma),
                     0);
    assert_true(ma.has_peer);
    peer_id pid;
    assert_int_equal(peer_id_from_text(spec_peer_text, &pid), 0);
    assert_true(peer_id_equal(&ma.peer, &pid));
    uint8_t out[ENCODED_MAX];
    size_t n = multiaddr_encode(&ma, out, sizeof out);
    /* 04 ip(4) 06 port(2) | a5 03 (421 as a varint) 26 (38) | 00 24 key proto */
    const uint8_t head[] = {0x04, 1, 2, 3, 4, 0x06, 0x00, 0x50, 0xa5, 0x03, 0x26, 0x00, 0x24};
    assert_int_equal(n, 8 + 3 + 38);
    assert_memory_equal(out, head, sizeof head);
    assert_memory_equal(out + 11, pid.bytes, pid.len);
    multiaddr back;
    assert_int_equal(multiaddr_decode(out, n, &back), 0);
    assert_true(back.has_peer);
    assert_true(peer_id_equal(&back.peer, &pid));
    assert_int_equal(back.port, 80);
}

static void test_p2p_suffix_may_hold_a_sha256_peer_id(void **state) {
    (void)state;
    char text[MULTIADDR_TEXT_MAX];
    strcpy(text, "/ip4/1.2.3.4/tcp/80/p2p/");
    strcat(text, sha256_peer_text);
    multiaddr ma;
    assert_int_equal(multiaddr_parse(text, &ma), 0);
    uint8_t out[ENCODED_MAX];
    size_t n = multiaddr_encode(&ma, out, sizeof out);
    assert_int_equal(n, 8 + 3 + 34);
    const uint8_t tail_head[] = {0xa5, 0x03, 0x22, 0x12, 0x20};
    assert_memory_equal(out + 8, tail_head, sizeof tail_head);
}

static void test_parse_accepts_a_cidv1_peer_and_formats_it_as_base58(void **state) {
    (void)state;
    multiaddr ma;
    assert_int_equal(
        multiaddr_parse("/ip4/1.2.3.4/tcp/80/p2p/bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe",
                        &ma),
        0);
    char out[MULTIADDR_TEXT_MAX];
    assert_int_equal(multiaddr_format(&ma, out, sizeof out), 0);
    assert_string_equal(out, "/ip4/1.2.3.4/tcp/80/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
}

static void test_parse_rejects_out_of_range_numbers(void **state) {
    (void)state;
    static const char *bad[] = {
        "/ip4/256.0.0.1/tcp/1", "/ip4/1.2.3.999/tcp/1", "/ip4/1.2.3.4/tcp/65536",
        "/ip4/1.2.3.4/tcp/99999", "/ip4/1.2.3.4/tcp/4294967297", "/ip4/1.2.3.4/tcp/-1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        multiaddr ma;
        assert_int_equal(multiaddr_parse(bad[i], &ma), -1);
    }
}

static void test_parse_rejects_non_canonical_numbers(void **state) {
    (void)state;
    static const char *bad[] = {
        "/ip4/01.2.3.4/tcp/1", "/ip4/1.2.3.4/tcp/080", "/ip4/1.2.3.4/tcp/+80",
        "/ip4/1.2.3.4/tcp/ 80", "/ip4/0x7f.0.0.1/tcp/1", "/ip4/1.2.3.4/tcp/00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        multiaddr ma;
        assert_int_equal(multiaddr_parse(bad[i], &ma), -1);
    }
}

static void test_parse_rejects_missing_parts(void **state) {
    (void)state;
    static const char *bad[] = {
        "", "/", "/ip4", "/ip4/", "/ip4/1.2.3.4", "/ip4/1.2.3.4/tcp", "/ip4/1.2.3.4/tcp/",
        "/ip4/1.2.3/tcp/1", "/ip4/1.2..4/tcp/1", "/ip4/.1.2.3/tcp/1", "/ip4/1.2.3.4/tcp/1/p2p",
        "/ip4/1.2.3.4/tcp/1/p2p/", "ip4/1.2.3.4/tcp/1", "//ip4/1.2.3.4/tcp/1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        multiaddr ma;
        assert_int_equal(multiaddr_parse(bad[i], &ma), -1);
    }
}

static void test_parse_rejects_trailing_garbage(void **state) {
    (void)state;
    static const char *bad[] = {
        "/ip4/1.2.3.4/tcp/1/", "/ip4/1.2.3.4/tcp/1x", "/ip4/1.2.3.4./tcp/1", "/ip4/1.2.3.4.5/tcp/1",
        "/ip4/1.2.3.4/tcp/1/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq/",
        "/ip4/1.2.3.4/tcp/1/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq/tcp/2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        multiaddr ma;
        assert_int_equal(multiaddr_parse(bad[i], &ma), -1);
    }
}

static void test_parse_rejects_unknown_or_unsupported_protocols(void **state) {
    (void)state;
    static const char *bad[] = {
        "/ip6/::1/tcp/1", "/ip4/1.2.3.4/udp/1", "/dns4/example.com/tcp/1", "/ip4/1.2.3.4/tcp/1/ws",
        "/IP4/1.2.3.4/tcp/1", "/ip4/1.2.3.4/tcp/1/p2p/notbase58!", "/ip4/1.2.3.4/tcp/1/ipfs/x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        multiaddr ma;
        assert_int_equal(multiaddr_parse(bad[i], &ma), -1);
    }
}

static void test_parse_rejects_text_over_the_limit_and_leaves_output_alone(void **state) {
    (void)state;
    char text[MULTIADDR_TEXT_MAX + 16];
    strcpy(text, "/ip4/1.2.3.4/tcp/1/p2p/");
    size_t used = strlen(text);
    memset(text + used, '2', sizeof text - used - 1);
    text[sizeof text - 1] = '\0';
    multiaddr ma;
    memset(&ma, 0x5a, sizeof ma);
    assert_int_equal(multiaddr_parse(text, &ma), -1);
    assert_int_equal(ma.port, 0x5a5a);
}

static void test_format_rejects_a_small_buffer(void **state) {
    (void)state;
    multiaddr ma;
    assert_int_equal(multiaddr_parse("/ip4/127.0.0.1/tcp/4001", &ma), 0);
    char out[23];
    assert_int_equal(multiaddr_format(&ma, out, sizeof out), -1);
    assert_string_equal(out, "");
    char exact[24];
    assert_int_equal(multiaddr_format(&ma, exact, sizeof exact), 0);
    assert_string_equal(exact, "/ip4/127.0.0.1/tcp/4001");
    assert_int_equal(multiaddr_parse("/ip4/1.2.3.4/tcp/80/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N",
                                     &ma),
                     0);
    char short_for_peer[40];
    assert_int_equal(multiaddr_format(&ma, short_for_peer, sizeof short_for_peer), -1);
    assert_string_equal(short_for_peer, "");
}

static void test_encode_rejects_a_small_buffer(void **state) {
    (void)state;
    multiaddr ma;
    assert_int_equal(multiaddr_parse("/ip4/127.0.0.1/tcp/4001", &ma), 0);
    uint8_t out[8];
    assert_int_equal(multiaddr_encode(&ma, out, 7), 0);
    assert_int_equal(multiaddr_encode(&ma, out, 8), 8);
}

static void test_decode_rejects_truncation_and_trailing_bytes(void **state) {
    (void)state;
    multiaddr ma;
    assert_int_equal(multiaddr_parse("/ip4/1.2.3.4/tcp/80/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
                                     &ma),
                     0);
    uint8_t bytes[ENCODED_MAX];
    size_t n = multiaddr_encode(&ma, bytes, sizeof bytes);
    assert_int_equal(n, 49);
    multiaddr back;
    for (size_t len = 0; len < n; len++) {
        /* 8 bytes is a whole address without a peer; every other cut fails. */
        int expected = len == 8 ? 0 : -1;
        assert_int_equal(multiaddr_decode(bytes, len, &back), expected);
    }
    bytes[n] = 0x06;
    assert_int_equal(multiaddr_decode(bytes, n + 1, &back), -1);
}

static void test_decode_rejects_wrong_codes(void **state) {
    (void)state;
    multiaddr ma;
    const uint8_t udp[] = {0x04, 1, 2, 3, 4, 0x91, 0x02, 0x00, 0x50};
    assert_int_equal(multiaddr_decode(udp, sizeof udp, &ma), -1);
    const uint8_t ip6_first[] = {0x29, 1, 2, 3, 4, 0x06, 0x00, 0x50};
    assert_int_equal(multiaddr_decode(ip6_first, sizeof ip6_first, &ma), -1);
    /* 0x84 0x00 is 4 in two bytes: not minimal, so not canonical. */
    const uint8_t padded[] = {0x84, 0x00, 1, 2, 3, 4, 0x06, 0x00, 0x50};
    assert_int_equal(multiaddr_decode(padded, sizeof padded, &ma), -1);
    const uint8_t ws_after[] = {0x04, 1, 2, 3, 4, 0x06, 0x00, 0x50, 0xdd, 0x03};
    assert_int_equal(multiaddr_decode(ws_after, sizeof ws_after, &ma), -1);
}

static void test_decode_rejects_a_bad_peer_multihash(void **state) {
    (void)state;
    multiaddr ma;
    /* length 3, multihash identity of length 2 but only one byte left */
    const uint8_t short_hash[] = {0x04, 1, 2, 3, 4, 0x06, 0, 80, 0xa5, 0x03, 0x03, 0x00, 0x02, 0xaa};
    assert_int_equal(multiaddr_decode(short_hash, sizeof short_hash, &ma), -1);
    /* unknown hash function 0x55 */
    const uint8_t unknown[] = {0x04, 1, 2, 3, 4, 0x06, 0, 80, 0xa5, 0x03, 0x03, 0x55, 0x01, 0xaa};
    assert_int_equal(multiaddr_decode(unknown, sizeof unknown, &ma), -1);
    /* p2p length larger than what follows */
    const uint8_t overlong[] = {0x04, 1, 2, 3, 4, 0x06, 0, 80, 0xa5, 0x03, 0x10, 0x00, 0x01, 0xaa};
    assert_int_equal(multiaddr_decode(overlong, sizeof overlong, &ma), -1);
    const uint8_t valid[] = {0x04, 1, 2, 3, 4, 0x06, 0, 80, 0xa5, 0x03, 0x03, 0x00, 0x01, 0xaa};
    assert_int_equal(multiaddr_decode(valid, sizeof valid, &ma), 0);
    assert_int_equal(ma.peer.len, 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_reads_address_and_port),
        cmocka_unit_test(test_parse_then_format_gives_back_the_text),
        cmocka_unit_test(test_encode_matches_the_known_bytes),
        cmocka_unit_test(test_p2p_suffix_encodes_as_code_length_and_multihash),
        cmocka_unit_test(test_p2p_suffix_may_hold_a_sha256_peer_id),
        cmocka_unit_test(test_parse_accepts_a_cidv1_peer_and_formats_it_as_base58),
        cmocka_unit_test(test_parse_rejects_out_of_range_numbers),
        cmocka_unit_test(test_parse_rejects_non_canonical_numbers),
        cmocka_unit_test(test_parse_rejects_missing_parts),
        cmocka_unit_test(test_parse_rejects_trailing_garbage),
        cmocka_unit_test(test_parse_rejects_unknown_or_unsupported_protocols),
        cmocka_unit_test(test_parse_rejects_text_over_the_limit_and_leaves_output_alone),
        cmocka_unit_test(test_format_rejects_a_small_buffer),
        cmocka_unit_test(test_encode_rejects_a_small_buffer),
        cmocka_unit_test(test_decode_rejects_truncation_and_trailing_bytes),
        cmocka_unit_test(test_decode_rejects_wrong_codes),
        cmocka_unit_test(test_decode_rejects_a_bad_peer_multihash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
