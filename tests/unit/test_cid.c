/*
 * test_cid: content identifiers against the CIDs IPFS prints for known
 * content (kubo and Helia agree on them), and the refusals that keep a peer
 * from naming a block by a hash the node cannot check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/cid.h"

/* `echo -n "hello world" | ipfs add --raw-leaves --cid-version 1` */
static const char hello_cid[] = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
/* The empty UnixFS directory, in both versions (kubo's well-known pair). */
static const char empty_dir_v0[] = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";
static const char empty_dir_v1[] = "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";

static void the_raw_cid_of_hello_world_is_the_one_ipfs_prints(void **state) {
    (void)state;
    cid c;
    cid_of(&c, CID_CODEC_RAW, (const uint8_t *)"hello world", 11);
    char text[CID_TEXT_MAX];
    assert_int_equal(cid_format(&c, text, sizeof text), (int)strlen(hello_cid));
    assert_string_equal(text, hello_cid);
    assert_true(cid_matches(&c, (const uint8_t *)"hello world", 11));
    assert_false(cid_matches(&c, (const uint8_t *)"hello worle", 11));
}

static void text_and_binary_forms_round_trip(void **state) {
    (void)state;
    cid c;
    assert_int_equal(cid_parse(hello_cid, strlen(hello_cid), &c), 0);
    assert_int_equal(c.version, 1);
    assert_int_equal(c.codec, CID_CODEC_RAW);
    uint8_t bytes[CID_BYTES_MAX];
    size_t len = cid_encode(&c, bytes);
    assert_int_equal(len, 36);
    assert_memory_equal(bytes, "\x01\x55\x12\x20", 4);
    cid back;
    assert_int_equal(cid_decode(bytes, len, &back), 36);
    assert_true(cid_equal(&c, &back));
}

static void v0_and_v1_of_one_dag_pb_node_share_the_digest(void **state) {
    (void)state;
    cid v0, v1;
    assert_int_equal(cid_parse(empty_dir_v0, strlen(empty_dir_v0), &v0), 0);
    assert_int_equal(cid_parse(empty_dir_v1, strlen(empty_dir_v1), &v1), 0);
    assert_int_equal(v0.version, 0);
    assert_int_equal(v1.version, 1);
    assert_int_equal(v0.codec, CID_CODEC_DAG_PB);
    assert_int_equal(v1.codec, CID_CODEC_DAG_PB);
    assert_memory_equal(v0.digest, v1.digest, CID_DIGEST_BYTES);
    assert_false(cid_equal(&v0, &v1));
    char text[CID_TEXT_MAX];
    assert_int_equal(cid_format(&v0, text, sizeof text), 46);
    assert_string_equal(text, empty_dir_v0);
    uint8_t bytes[CID_BYTES_MAX];
    assert_int_equal(cid_encode(&v0, bytes), 34);
}

static void a_hash_other_than_sha2_256_is_refused(void **state) {
    (void)state;
    /* v1, raw, identity multihash (0x00) of 3 bytes: a CID with no hash */
    const uint8_t identity[] = {0x01, 0x55, 0x00, 0x03, 'a', 'b', 'c'};
    cid c;
    assert_int_equal(cid_decode(identity, sizeof identity, &c), -1);
    /* sha2-512 (0x13) */
    uint8_t sha512[4 + 64] = {0x01, 0x55, 0x13, 0x40};
    assert_int_equal(cid_decode(sha512, sizeof sha512, &c), -1);
    /* sha2-256 with a length other than 32 */
    uint8_t short_digest[4 + 20] = {0x01, 0x55, 0x12, 0x14};
    assert_int_equal(cid_decode(short_digest, sizeof short_digest, &c), -1);
}

static void malformed_cids_are_refused(void **state) {
    (void)state;
    cid c;
    uint8_t bytes[CID_BYTES_MAX];
    cid_of(&c, CID_CODEC_RAW, (const uint8_t *)"x", 1);
    size_t len = cid_encode(&c, bytes);
    for (size_t cut = 0; cut < len; cut++) assert_int_equal(cid_decode(bytes, cut, &c), -1);
    bytes[0] = 2; /* version 2 does not exist */
    assert_int_equal(cid_decode(bytes, len, &c), -1);
    const uint8_t huge_codec[] = {0x01, 0x80, 0x80, 0x80, 0x01, 0x12, 0x20};
    assert_int_equal(cid_decode(huge_codec, sizeof huge_codec, &c), -1);
    assert_int_equal(cid_parse("", 0, &c), -1);
    assert_int_equal(cid_parse("b", 1, &c), -1);
    assert_int_equal(cid_parse("zQm", 3, &c), -1);
    char bad[sizeof hello_cid];
    memcpy(bad, hello_cid, sizeof hello_cid);
    bad[10] = '1'; /* not in the base32 alphabet */
    assert_int_equal(cid_parse(bad, strlen(bad), &c), -1);
    memcpy(bad, hello_cid, sizeof hello_cid);
    bad[strlen(bad) - 1] = 'f'; /* nonzero padding bits */
    assert_int_equal(cid_parse(bad, strlen(bad), &c), -1);
    /* a v0 multihash written in base32 is not a CID */
    assert_int_equal(cid_parse("bciqohmgeikmpyhautl57jsezn64sij5oihsgjg4tjssjlgi3pbjlqvi", 56, &c), -1);
}

static void a_small_buffer_is_refused_not_overrun(void **state) {
    (void)state;
    cid c;
    cid_of(&c, CID_CODEC_RAW, (const uint8_t *)"", 0);
    char text[CID_TEXT_MAX];
    memset(text, 'X', sizeof text);
    assert_int_equal(cid_format(&c, text, strlen(hello_cid)), -1);
    assert_int_equal(cid_format(&c, text, strlen(hello_cid) + 1), (int)strlen(hello_cid));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_raw_cid_of_hello_world_is_the_one_ipfs_prints),
        cmocka_unit_test(text_and_binary_forms_round_trip),
        cmocka_unit_test(v0_and_v1_of_one_dag_pb_node_share_the_digest),
        cmocka_unit_test(a_hash_other_than_sha2_256_is_refused),
        cmocka_unit_test(malformed_cids_are_refused),
        cmocka_unit_test(a_small_buffer_is_refused_not_overrun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
