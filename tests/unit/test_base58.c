/*
 * test_base58: the base58btc codec against Bitcoin Core's published vectors
 * (src/test/data/base58_encode_decode.json), the multibase spec's vectors
 * (multiformats/multibase tests/) and the base58 Internet-Draft's examples,
 * plus the leading-zero rule, the alphabet and the length bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/base58.h"
#include "vectors.h"

enum { HEX_BYTES_MAX = 128 };

/* Decodes a hex literal of a test vector; returns its length. */
typedef struct base58_vector {
    const char *hex;
    const char *text;
} base58_vector;

/* Bitcoin Core's base58_encode_decode.json. */
static const base58_vector bitcoin_vectors[] = {
    {"", ""},
    {"61", "2g"},
    {"626262", "a3gV"},
    {"636363", "aPEr"},
    {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
    {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
    {"516b6fcd0f", "ABnLTmg"},
    {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
    {"572e4794", "3EFU7m"},
    {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
    {"10c8511e", "Rt5zm"},
    {"00000000000000000000", "1111111111"},
    {"000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
     "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"},
};

static void test_encode_matches_bitcoin_vectors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bitcoin_vectors / sizeof bitcoin_vectors[0]; i++) {
        uint8_t bytes[HEX_BYTES_MAX];
        size_t len = vectors_hex(bitcoin_vectors[i].hex, bytes, sizeof bytes);
        char text[BASE58_TEXT_MAX + 1];
        int n = base58_encode(bytes, len, text, sizeof text);
        assert_int_equal(n, (int)strlen(bitcoin_vectors[i].text));
        assert_string_equal(text, bitcoin_vectors[i].text);
    }
}

static void test_decode_matches_bitcoin_vectors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bitcoin_vectors / sizeof bitcoin_vectors[0]; i++) {
        uint8_t expected[HEX_BYTES_MAX];
        size_t len = vectors_hex(bitcoin_vectors[i].hex, expected, sizeof expected);
        const char *text = bitcoin_vectors[i].text;
        uint8_t bytes[HEX_BYTES_MAX];
        int n = base58_decode(text, strlen(text), bytes, sizeof bytes);
        assert_int_equal(n, (int)len);
        assert_memory_equal(bytes, expected, len);
    }
}

/* multiformats/multibase tests: "yes mani !" with 0, 1 and 2 leading zero
 * bytes is z7paNL19xttacUY, z17paNL19xttacUY, z117paNL19xttacUY (the 'z' is
 * the multibase prefix, not part of base58btc). */
static void test_each_leading_zero_byte_is_one_leading_1(void **state) {
    (void)state;
    static const uint8_t input[] = "\0\0yes mani !";
    static const char *expected[] = {"117paNL19xttacUY", "17paNL19xttacUY", "7paNL19xttacUY"};
    for (size_t skip = 0; skip < 3; skip++) {
        char text[64];
        int n = base58_encode(input + skip, sizeof input - 1 - skip, text, sizeof text);
        assert_int_equal(n, (int)strlen(expected[skip]));
        assert_string_equal(text, expected[skip]);
        uint8_t back[32];
        int m = base58_decode(text, (size_t)n, back, sizeof back);
        assert_int_equal(m, (int)(sizeof input - 1 - skip));
        assert_memory_equal(back, input + skip, (size_t)m);
    }
}

/* draft-msporny-base58: ASCII examples. */
static void test_encode_matches_draft_examples(void **state) {
    (void)state;
    char text[128];
    const char *hello = "Hello World!";
    assert_int_equal(base58_encode((const uint8_t *)hello, strlen(hello), text, sizeof text), 17);
    assert_string_equal(text, "2NEpo7TZRRrLZSi2U");
    const char *fox = "The quick brown fox jumps over the lazy dog.";
    assert_true(base58_encode((const uint8_t *)fox, strlen(fox), text, sizeof text) > 0);
    assert_string_equal(text, "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z");
}

static void test_all_zero_input_is_all_ones_both_ways(void **state) {
    (void)state;
    uint8_t zeros[5] = {0};
    char text[8];
    assert_int_equal(base58_encode(zeros, sizeof zeros, text, sizeof text), 5);
    assert_string_equal(text, "11111");
    uint8_t back[8];
    memset(back, 0xaa, sizeof back);
    assert_int_equal(base58_decode("11111", 5, back, sizeof back), 5);
    assert_memory_equal(back, zeros, sizeof zeros);
}

static void test_decode_rejects_characters_outside_the_alphabet(void **state) {
    (void)state;
    /* 0, O, I and l are left out of the alphabet because they look alike. */
    static const char *bad[] = {"0", "O", "I", "l", "3mJr0", "2NEpo7TZRRrLZSi2Ul", "a b", "+/", "é"};
    uint8_t out[32];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(base58_decode(bad[i], strlen(bad[i]), out, sizeof out), -1);
    }
}

static void test_decode_rejects_an_embedded_nul(void **state) {
    (void)state;
    uint8_t out[8];
    assert_int_equal(base58_decode("2g\0", 3, out, sizeof out), -1);
    assert_int_equal(base58_decode("2g\0", 2, out, sizeof out), 1);
    assert_int_equal(out[0], 0x61);
}

static void test_decode_of_empty_text_is_zero_bytes(void **state) {
    (void)state;
    uint8_t out[1] = {0x55};
    assert_int_equal(base58_decode("", 0, out, sizeof out), 0);
    assert_int_equal(out[0], 0x55);
}

static void test_decode_rejects_output_larger_than_cap(void **state) {
    (void)state;
    uint8_t out[3] = {0x55, 0x55, 0x55};
    /* "a3gV" is 3 bytes: 2 do not fit, and nothing may be written. */
    assert_int_equal(base58_decode("a3gV", 4, out, 2), -1);
    assert_int_equal(out[0], 0x55);
    assert_int_equal(base58_decode("a3gV", 4, out, 3), 3);
    assert_memory_equal(out, "bbb", 3);
    /* Leading '1's count against the cap too. */
    assert_int_equal(base58_decode("1112g", 5, out, 3), -1);
}

static void test_decode_rejects_text_over_the_bound(void **state) {
    (void)state;
    char text[BASE58_TEXT_MAX + 2];
    memset(text, '2', sizeof text);
    static uint8_t out[BASE58_BYTES_MAX + 64];
    assert_int_equal(base58_decode(text, BASE58_TEXT_MAX + 1, out, sizeof out), -1);
    /* Within the text bound but over the byte bound: all 'z' overflows. */
    memset(text, 'z', sizeof text);
    assert_int_equal(base58_decode(text, BASE58_TEXT_MAX, out, sizeof out), -1);
    /* 350 ones would be 350 zero bytes: more than BASE58_BYTES_MAX. */
    memset(text, '1', sizeof text);
    assert_int_equal(base58_decode(text, BASE58_TEXT_MAX, out, sizeof out), -1);
}

static void test_encode_rejects_a_small_buffer_and_leaves_it_empty(void **state) {
    (void)state;
    char text[4];
    memset(text, 'x', sizeof text);
    /* "a3gV" needs 5 bytes with its NUL. */
    assert_int_equal(base58_encode((const uint8_t *)"bbb", 3, text, sizeof text), -1);
    assert_int_equal(text[0], '\0');
    char exact[5];
    assert_int_equal(base58_encode((const uint8_t *)"bbb", 3, exact, sizeof exact), 4);
    assert_string_equal(exact, "a3gV");
}

static void test_the_largest_input_round_trips_and_one_more_is_refused(void **state) {
    (void)state;
    static uint8_t bytes[BASE58_BYTES_MAX + 1];
    memset(bytes, 0xff, sizeof bytes);
    static char text[BASE58_TEXT_MAX + 1];
    int n = base58_encode(bytes, BASE58_BYTES_MAX, text, sizeof text);
    assert_true(n > 0);
    assert_true(n <= BASE58_TEXT_MAX);
    static uint8_t back[BASE58_BYTES_MAX];
    assert_int_equal(base58_decode(text, (size_t)n, back, sizeof back), BASE58_BYTES_MAX);
    assert_memory_equal(back, bytes, BASE58_BYTES_MAX);
    assert_int_equal(base58_encode(bytes, BASE58_BYTES_MAX + 1, text, sizeof text), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_matches_bitcoin_vectors),
        cmocka_unit_test(test_decode_matches_bitcoin_vectors),
        cmocka_unit_test(test_each_leading_zero_byte_is_one_leading_1),
        cmocka_unit_test(test_encode_matches_draft_examples),
        cmocka_unit_test(test_all_zero_input_is_all_ones_both_ways),
        cmocka_unit_test(test_decode_rejects_characters_outside_the_alphabet),
        cmocka_unit_test(test_decode_rejects_an_embedded_nul),
        cmocka_unit_test(test_decode_of_empty_text_is_zero_bytes),
        cmocka_unit_test(test_decode_rejects_output_larger_than_cap),
        cmocka_unit_test(test_decode_rejects_text_over_the_bound),
        cmocka_unit_test(test_encode_rejects_a_small_buffer_and_leaves_it_empty),
        cmocka_unit_test(test_the_largest_input_round_trips_and_one_more_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
