/*
 * test_bitswap_pb: the Bitswap 1.2.0 message on the wire, byte for byte
 * where protobuf fixes the bytes, and the refusals that bound what one
 * message from a peer can make the node hold or do; CID prefixes
 * (node/store/block.h), which name a block beside its bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/block.h"
#include "wire/bitswap_pb.h"

static bitswap_message *msg_a, *msg_b;

static int setup(void **state) {
    (void)state;
    msg_a = calloc(1, sizeof *msg_a);
    msg_b = calloc(1, sizeof *msg_b);
    return msg_a == NULL || msg_b == NULL;
}

static int teardown(void **state) {
    (void)state;
    free(msg_a);
    free(msg_b);
    return 0;
}

static const uint8_t two_byte_cid[] = {0x01, 0x02};

static void a_want_have_is_the_bytes_protobuf_writes(void **state) {
    (void)state;
    bitswap_message_clear(msg_a);
    msg_a->has_wantlist = true;
    msg_a->entries[0] = (bitswap_entry){.cid = {two_byte_cid, 2}, .want_type = BITSWAP_WANT_HAVE, .send_dont_have = true};
    msg_a->entry_count = 1;
    /* wantlist(1) { entries(1) { block(1) = 01 02, wantType(4) = 1, sendDontHave(5) = 1 } } */
    const uint8_t expected[] = {0x0a, 0x0a, 0x0a, 0x08, 0x0a, 0x02, 0x01, 0x02, 0x20, 0x01, 0x28, 0x01};
    uint8_t out[64];
    assert_int_equal(bitswap_encoded_size(msg_a), sizeof expected);
    assert_int_equal(bitswap_encode(msg_a, out, sizeof out), sizeof expected);
    assert_memory_equal(out, expected, sizeof expected);
    assert_int_equal(bitswap_decode(out, sizeof expected, msg_b), 0);
    assert_true(msg_b->has_wantlist);
    assert_int_equal(msg_b->entry_count, 1);
    assert_int_equal(msg_b->entries[0].want_type, BITSWAP_WANT_HAVE);
    assert_true(msg_b->entries[0].send_dont_have);
    assert_false(msg_b->entries[0].cancel);
    assert_memory_equal(msg_b->entries[0].cid.data, two_byte_cid, 2);
}

static void every_field_survives_a_round_trip(void **state) {
    (void)state;
    static const uint8_t prefix[] = {0x01, 0x55, 0x12, 0x20};
    bitswap_message_clear(msg_a);
    msg_a->has_wantlist = true;
    msg_a->full = true;
    msg_a->entries[0] = (bitswap_entry){.cid = {two_byte_cid, 2}, .priority = -7, .cancel = true};
    msg_a->entry_count = 1;
    msg_a->blocks[0] = (bitswap_block){.prefix = {prefix, 4}, .data = {(const uint8_t *)"hello world", 11}};
    msg_a->block_count = 1;
    msg_a->presences[0] = (bitswap_presence){.cid = {two_byte_cid, 2}, .type = BITSWAP_DONT_HAVE};
    msg_a->presence_count = 1;
    msg_a->pending_bytes = 4096;
    uint8_t out[256];
    size_t len = bitswap_encode(msg_a, out, sizeof out);
    assert_int_equal(len, bitswap_encoded_size(msg_a));
    assert_int_equal(bitswap_decode(out, len, msg_b), 0);
    assert_true(msg_b->full);
    assert_int_equal(msg_b->entries[0].priority, -7); /* sign-extended to ten bytes and back */
    assert_true(msg_b->entries[0].cancel);
    assert_int_equal(msg_b->entries[0].want_type, BITSWAP_WANT_BLOCK);
    assert_int_equal(msg_b->block_count, 1);
    assert_memory_equal(msg_b->blocks[0].prefix.data, prefix, 4);
    assert_int_equal(msg_b->blocks[0].data.len, 11);
    assert_memory_equal(msg_b->blocks[0].data.data, "hello world", 11);
    assert_int_equal(msg_b->presences[0].type, BITSWAP_DONT_HAVE);
    assert_int_equal(msg_b->pending_bytes, 4096);
    assert_int_equal(bitswap_encode(msg_a, out, len - 1), 0); /* a short buffer is refused, not overrun */
}

/* One message's bytes with a single entry whose wantType is type. */
static size_t entry_with_want_type(uint8_t *out, uint8_t type) {
    const uint8_t bytes[] = {0x0a, 0x08, 0x0a, 0x06, 0x0a, 0x02, 0x01, 0x02, 0x20, type};
    memcpy(out, bytes, sizeof bytes);
    return sizeof bytes;
}

static void values_the_spec_does_not_name_are_refused(void **state) {
    (void)state;
    uint8_t in[16];
    assert_int_equal(bitswap_decode(in, entry_with_want_type(in, 1), msg_a), 0);
    assert_int_equal(bitswap_decode(in, entry_with_want_type(in, 2), msg_a), -1);
    assert_int_equal(msg_a->entry_count, 0); /* a refusal leaves nothing behind */
    const uint8_t presence_five[] = {0x22, 0x06, 0x0a, 0x02, 0x01, 0x02, 0x10, 0x05};
    assert_int_equal(bitswap_decode(presence_five, sizeof presence_five, msg_a), -1);
    const uint8_t empty_cid[] = {0x22, 0x02, 0x0a, 0x00};
    assert_int_equal(bitswap_decode(empty_cid, sizeof empty_cid, msg_a), -1);
    const uint8_t two_wantlists[] = {0x0a, 0x00, 0x0a, 0x00};
    assert_int_equal(bitswap_decode(two_wantlists, sizeof two_wantlists, msg_a), -1);
    const uint8_t wantlist_as_varint[] = {0x08, 0x01};
    assert_int_equal(bitswap_decode(wantlist_as_varint, sizeof wantlist_as_varint, msg_a), -1);
    /* pendingBytes past 32 bits, neither an int32 nor one sign-extended (found by fuzz_bitswap_pb). */
    const uint8_t int32_past_32_bits[] = {0x28, 0xe6, 0xe2, 0xe6, 0xe2, 0xae, 0x05};
    assert_int_equal(bitswap_decode(int32_past_32_bits, sizeof int32_past_32_bits, msg_a), -1);
    const uint8_t v100_blocks_skipped[] = {0x12, 0x01, 0x41};
    assert_int_equal(bitswap_decode(v100_blocks_skipped, sizeof v100_blocks_skipped, msg_a), 0);
}

static void counts_and_sizes_past_the_limits_are_refused(void **state) {
    (void)state;
    size_t cap = BITSWAP_MESSAGE_MAX_BYTES + 64;
    uint8_t *big = malloc(cap);
    assert_non_null(big);
    /* BITSWAP_ENTRIES_MAX entries decode; one more does not. */
    bitswap_message_clear(msg_a);
    msg_a->has_wantlist = true;
    for (size_t i = 0; i < BITSWAP_ENTRIES_MAX; i++) msg_a->entries[i] = (bitswap_entry){.cid = {two_byte_cid, 2}};
    msg_a->entry_count = BITSWAP_ENTRIES_MAX;
    size_t len = bitswap_encode(msg_a, big, cap);
    assert_true(len > 0);
    assert_int_equal(bitswap_decode(big, len, msg_b), 0);
    assert_int_equal(msg_b->entry_count, BITSWAP_ENTRIES_MAX);
    msg_a->entry_count = BITSWAP_ENTRIES_MAX + 1;
    assert_int_equal(bitswap_encode(msg_a, big, cap), 0);
    /* A block of BITSWAP_BLOCK_BYTES_MAX + 1 bytes: hand-written, the encoder refuses it too. */
    size_t over = BITSWAP_BLOCK_BYTES_MAX + 1;
    const uint8_t head[] = {0x1a, 0x85, 0x80, 0x40, 0x12, 0x81, 0x80, 0x40}; /* payload(3) len 2^20+5 { data(2) len 2^20+1 } */
    memcpy(big, head, sizeof head);
    memset(big + sizeof head, 0xab, over);
    assert_int_equal(bitswap_decode(big, sizeof head + over, msg_b), -1);
    assert_int_equal(bitswap_decode(big, sizeof head + over - 1, msg_b), -1); /* truncated as well */
    /* Past BITSWAP_MESSAGE_MAX_BYTES nothing is read at all. */
    memset(big, 0, cap);
    assert_int_equal(bitswap_decode(big, BITSWAP_MESSAGE_MAX_BYTES + 1, msg_b), -1);
    free(big);
}

static void a_prefix_and_the_bytes_give_the_cid_back(void **state) {
    (void)state;
    cid want, got;
    cid_of(&want, CID_CODEC_RAW, (const uint8_t *)"hello world", 11);
    uint8_t prefix[BLOCK_PREFIX_MAX];
    size_t len = block_prefix_encode(&want, prefix);
    const uint8_t raw_v1[] = {0x01, 0x55, 0x12, 0x20};
    assert_int_equal(len, sizeof raw_v1);
    assert_memory_equal(prefix, raw_v1, sizeof raw_v1);
    assert_int_equal(block_prefix_cid(prefix, len, (const uint8_t *)"hello world", 11, &got), 0);
    assert_true(cid_equal(&want, &got));
    const uint8_t v0[] = {0x00, 0x70, 0x12, 0x20};
    assert_int_equal(block_prefix_cid(v0, sizeof v0, (const uint8_t *)"x", 1, &got), 0);
    assert_int_equal(got.version, 0);
    const uint8_t v0_raw[] = {0x00, 0x55, 0x12, 0x20};
    const uint8_t sha512[] = {0x01, 0x55, 0x13, 0x40};
    const uint8_t short_digest[] = {0x01, 0x55, 0x12, 0x10};
    const uint8_t trailing[] = {0x01, 0x55, 0x12, 0x20, 0x00};
    const uint8_t huge_codec[] = {0x01, 0x80, 0x80, 0x80, 0x01, 0x12, 0x20};
    assert_int_equal(block_prefix_cid(v0_raw, sizeof v0_raw, NULL, 0, &got), -1);
    assert_int_equal(block_prefix_cid(sha512, sizeof sha512, NULL, 0, &got), -1);
    assert_int_equal(block_prefix_cid(short_digest, sizeof short_digest, NULL, 0, &got), -1);
    assert_int_equal(block_prefix_cid(trailing, sizeof trailing, NULL, 0, &got), -1);
    assert_int_equal(block_prefix_cid(huge_codec, sizeof huge_codec, NULL, 0, &got), -1);
    assert_int_equal(block_prefix_cid(raw_v1, 3, NULL, 0, &got), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_want_have_is_the_bytes_protobuf_writes),
        cmocka_unit_test(every_field_survives_a_round_trip),
        cmocka_unit_test(values_the_spec_does_not_name_are_refused),
        cmocka_unit_test(counts_and_sizes_past_the_limits_are_refused),
        cmocka_unit_test(a_prefix_and_the_bytes_give_the_cid_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
