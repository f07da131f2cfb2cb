/*
 * test_varint: libp2p unsigned varints (multiformats/unsigned-varint): the
 * spec's examples, the boundaries of each byte count, and the two rules that
 * make the encoding canonical: at most 9 bytes, and minimal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/varint.h"

#define VARINT_VALUE_SPEC_MAX ((UINT64_C(1) << 63) - 1)

typedef struct varint_vector {
    uint64_t value;
    uint8_t bytes[VARINT_MAX_BYTES];
    size_t len;
} varint_vector;

/* The unsigned-varint spec's examples, then the boundaries of each length. */
static const varint_vector vectors[] = {
    {0, {0x00}, 1},
    {1, {0x01}, 1},
    {127, {0x7f}, 1},
    {128, {0x80, 0x01}, 2},
    {255, {0xff, 0x01}, 2},
    {300, {0xac, 0x02}, 2},
    {16383, {0xff, 0x7f}, 2},
    {16384, {0x80, 0x80, 0x01}, 3},
    {(UINT64_C(1) << 56) - 1, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 8},
    {UINT64_C(1) << 56, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 9},
    {VARINT_VALUE_SPEC_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 9},
};

static void test_encode_matches_the_spec_examples_and_boundaries(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        uint8_t out[VARINT_MAX_BYTES];
        assert_int_equal(varint_encode(vectors[i].value, out), vectors[i].len);
        assert_memory_equal(out, vectors[i].bytes, vectors[i].len);
        assert_int_equal(varint_size(vectors[i].value), vectors[i].len);
    }
}

static void test_decode_matches_the_spec_examples_and_boundaries(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        uint64_t value = 0;
        int n = varint_decode(vectors[i].bytes, vectors[i].len, &value);
        assert_int_equal(n, (int)vectors[i].len);
        assert_int_equal(value, vectors[i].value);
    }
}

static void test_decode_consumes_only_the_varint(void **state) {
    (void)state;
    const uint8_t in[] = {0xac, 0x02, 0x7f, 0x80};
    uint64_t value = 0;
    assert_int_equal(varint_decode(in, sizeof in, &value), 2);
    assert_int_equal(value, 300);
}

static void test_round_trip_at_every_power_of_two(void **state) {
    (void)state;
    for (unsigned shift = 0; shift < 63; shift++) {
        const uint64_t around[] = {(UINT64_C(1) << shift) - 1, UINT64_C(1) << shift,
                                   (UINT64_C(1) << shift) + 1};
        for (size_t i = 0; i < 3; i++) {
            uint8_t out[VARINT_MAX_BYTES];
            size_t len = varint_encode(around[i], out);
            uint64_t back = ~around[i];
            assert_int_equal(varint_decode(out, len, &back), (int)len);
            assert_int_equal(back, around[i]);
        }
    }
}

static void test_values_of_64_bits_encode_to_10_bytes_that_decode_refuses(void **state) {
    (void)state;
    uint8_t out[VARINT_MAX_BYTES];
    assert_int_equal(varint_encode(UINT64_C(1) << 63, out), 10);
    assert_int_equal(varint_encode(UINT64_MAX, out), 10);
    assert_int_equal(varint_size(UINT64_MAX), 10);
    uint64_t value = 0;
    assert_int_equal(varint_decode(out, 10, &value), VARINT_MALFORMED);
}

static void test_decode_refuses_a_tenth_byte_even_when_input_is_longer(void **state) {
    (void)state;
    /* Nine continuation bytes: the spec caps varints at nine bytes. */
    uint8_t in[12];
    memset(in, 0x80, sizeof in);
    in[11] = 0x01;
    uint64_t value = 0;
    assert_int_equal(varint_decode(in, sizeof in, &value), VARINT_MALFORMED);
    assert_int_equal(varint_decode(in, 9, &value), VARINT_MALFORMED);
}

static void test_decode_refuses_non_minimal_encodings(void **state) {
    (void)state;
    static const uint8_t padded_zero[] = {0x80, 0x00};
    static const uint8_t padded_one[] = {0x81, 0x00};
    static const uint8_t padded_127[] = {0xff, 0x80, 0x00};
    static const uint8_t padded_max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    uint64_t value = 77;
    assert_int_equal(varint_decode(padded_zero, sizeof padded_zero, &value), VARINT_MALFORMED);
    assert_int_equal(varint_decode(padded_one, sizeof padded_one, &value), VARINT_MALFORMED);
    assert_int_equal(varint_decode(padded_127, sizeof padded_127, &value), VARINT_MALFORMED);
    assert_int_equal(varint_decode(padded_max, sizeof padded_max, &value), VARINT_MALFORMED);
    assert_int_equal(value, 77); /* untouched on failure */
}

static void test_decode_needs_more_when_input_ends_inside_the_varint(void **state) {
    (void)state;
    uint8_t out[VARINT_MAX_BYTES];
    size_t len = varint_encode(VARINT_VALUE_SPEC_MAX, out);
    uint64_t value = 77;
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(varint_decode(out, cut, &value), VARINT_NEED_MORE);
    }
    assert_int_equal(varint_decode(NULL, 0, &value), VARINT_NEED_MORE);
    assert_int_equal(value, 77);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_matches_the_spec_examples_and_boundaries),
        cmocka_unit_test(test_decode_matches_the_spec_examples_and_boundaries),
        cmocka_unit_test(test_decode_consumes_only_the_varint),
        cmocka_unit_test(test_round_trip_at_every_power_of_two),
        cmocka_unit_test(test_values_of_64_bits_encode_to_10_bytes_that_decode_refuses),
        cmocka_unit_test(test_decode_refuses_a_tenth_byte_even_when_input_is_longer),
        cmocka_unit_test(test_decode_refuses_non_minimal_encodings),
        cmocka_unit_test(test_decode_needs_more_when_input_ends_inside_the_varint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
