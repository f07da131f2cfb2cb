/*
 * test_json: the JSON writer every output uses (node/base/json.h), byte
 * for byte: what a string escapes and how, what passes through, and the
 * forms of integers and reals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"

/* The bytes json_put_string writes for s, as a NUL-terminated text. */
static const char *escaped(const char *s, size_t len) {
    static char text[256];
    buf b;
    buf_init(&b, sizeof text - 1);
    assert_int_equal(json_put_string(&b, (const uint8_t *)s, len), 0);
    memcpy(text, b.data, b.len);
    text[b.len] = '\0';
    buf_free(&b);
    return text;
}

static void quote_and_backslash_are_escaped_with_a_backslash(void **state) {
    (void)state;
    assert_string_equal(escaped("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
}

static void control_characters_and_del_are_escaped_as_u00xx_in_lowercase(void **state) {
    (void)state;
    assert_string_equal(escaped("\n\t\r\x01\x1f\x7f", 6), "\"\\u000a\\u0009\\u000d\\u0001\\u001f\\u007f\"");
    assert_string_equal(escaped("a\0b", 3), "\"a\\u0000b\"");
}

static void valid_utf8_passes_through_unchanged(void **state) {
    (void)state;
    const char *text = "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x80"; /* é € 😀 and U+0080 */
    char expected[64];
    snprintf(expected, sizeof expected, "\"%s\"", text);
    assert_string_equal(escaped(text, strlen(text)), expected);
}

static void a_byte_that_is_not_utf8_becomes_ufffd(void **state) {
    (void)state;
    assert_string_equal(escaped("a\xff" "b", 3), "\"a\\ufffdb\"");
    assert_string_equal(escaped("\xc3", 1), "\"\\ufffd\"");                /* cut short */
    assert_string_equal(escaped("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");     /* overlong */
    assert_string_equal(escaped("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
}

static void a_string_reads_back_three_bytes_per_invalid_byte(void **state) {
    (void)state;
    assert_int_equal(json_string_read_back_len((const uint8_t *)"a\xff\xc3\xa9", 4), 1 + 3 + 2);
}

static void integers_and_reals_have_one_form(void **state) {
    (void)state;
    buf b;
    buf_init(&b, 256);
    assert_int_equal(json_put_u64(&b, UINT64_MAX), 0);
    assert_int_equal(buf_append(&b, " ", 1), 0);
    assert_int_equal(json_put_real(&b, 0.1), 0);
    assert_int_equal(buf_append(&b, " ", 1), 0);
    assert_int_equal(json_put_real(&b, -1.0 / 3.0), 0);
    assert_int_equal(buf_append(&b, " ", 1), 0);
    assert_int_equal(json_put_real(&b, NAN), 0);
    assert_int_equal(buf_append_byte(&b, 0), 0);
    assert_string_equal((const char *)b.data, "18446744073709551615 0.1 -0.3333333333333333 null");
    buf_free(&b);
}

static void a_full_buf_refuses_the_string(void **state) {
    (void)state;
    buf b;
    buf_init(&b, 4);
    assert_int_equal(json_put_text(&b, "abcdef"), -1);
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quote_and_backslash_are_escaped_with_a_backslash),
        cmocka_unit_test(control_characters_and_del_are_escaped_as_u00xx_in_lowercase),
        cmocka_unit_test(valid_utf8_passes_through_unchanged),
        cmocka_unit_test(a_byte_that_is_not_utf8_becomes_ufffd),
        cmocka_unit_test(a_string_reads_back_three_bytes_per_invalid_byte),
        cmocka_unit_test(integers_and_reals_have_one_form),
        cmocka_unit_test(a_full_buf_refuses_the_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
