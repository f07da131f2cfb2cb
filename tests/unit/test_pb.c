/*
 * test_pb: the protobuf reader and writer. Known encodings come from the
 * protobuf encoding guide (field 1 = 150 is 08 96 01; field 2 = "testing" is
 * 12 07 74 65 73 74 69 6e 67). The reader must refuse every malformed input
 * the guide allows us to see: truncation, field number 0, group wire types,
 * lengths past the end, over-long varints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/pb.h"

enum { MESSAGE_MAX = 128 };

/* Builds one message holding each wire type once, in field order 1..5. */
static size_t write_every_wire_type(uint8_t *out, size_t cap) {
    pb_writer w;
    pb_writer_init(&w, out, cap);
    pb_write_varint_field(&w, 1, 150);
    pb_write_string_field(&w, 2, "testing");
    pb_write_varint(&w, (3u << 3) | PB_WIRE_FIXED64);
    const uint8_t fixed64[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    pb_write_raw(&w, fixed64, sizeof fixed64);
    pb_write_varint(&w, (4u << 3) | PB_WIRE_FIXED32);
    const uint8_t fixed32[4] = {0xef, 0xbe, 0xad, 0xde};
    pb_write_raw(&w, fixed32, sizeof fixed32);
    pb_write_bytes_field(&w, 5, NULL, 0);
    assert_true(pb_writer_ok(&w));
    return w.len;
}

static void test_writer_produces_the_guide_encodings(void **state) {
    (void)state;
    uint8_t out[MESSAGE_MAX];
    size_t len = write_every_wire_type(out, sizeof out);
    const uint8_t head[] = {0x08, 0x96, 0x01, 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g', 0x19};
    assert_memory_equal(out, head, sizeof head);
    assert_int_equal(len, 3 + 9 + 9 + 5 + 2);
    assert_int_equal(out[len - 2], 0x2a);
    assert_int_equal(out[len - 1], 0x00);
}

static void test_reader_returns_every_wire_type_written(void **state) {
    (void)state;
    uint8_t out[MESSAGE_MAX];
    size_t len = write_every_wire_type(out, sizeof out);
    pb_reader r;
    pb_reader_init(&r, out, len);
    pb_field f;
    assert_int_equal(pb_next(&r, &f), PB_FIELD);
    assert_int_equal(f.number, 1);
    assert_int_equal(f.wire_type, PB_WIRE_VARINT);
    assert_int_equal(f.varint, 150);
    assert_int_equal(pb_next(&r, &f), PB_FIELD);
    assert_int_equal(f.number, 2);
    assert_int_equal(f.wire_type, PB_WIRE_BYTES);
    assert_int_equal(f.len, 7);
    assert_memory_equal(f.bytes, "testing", 7);
    assert_int_equal(pb_next(&r, &f), PB_FIELD);
    assert_int_equal(f.number, 3);
    assert_int_equal(f.wire_type, PB_WIRE_FIXED64);
    assert_int_equal(f.varint, UINT64_C(0x0807060504030201));
    assert_int_equal(pb_next(&r, &f), PB_FIELD);
    assert_int_equal(f.number, 4);
    assert_int_equal(f.wire_type, PB_WIRE_FIXED32);
    assert_int_equal(f.varint, 0xdeadbeef);
    assert_int_equal(pb_next(&r, &f), PB_FIELD);
    assert_int_equal(f.number, 5);
    assert_int_equal(f.len, 0);
    assert_int_equal(pb_next(&r, &f), PB_END);
    assert_int_equal(pb_next(&r, &f), PB_END);
}

static void test_nested_message_is_read_from_a_bytes_view(void **state) {
    (void)state;
    uint8_t inner[16];
    pb_writer wi;
    pb_writer_init(&wi, inner, sizeof inner);
    pb_write_varint_field(&wi, 7, 42);
    uint8_t outer[32];
    pb_writer wo;
    pb_writer_init(&wo, outer, sizeof outer);
    pb_write_bytes_field(&wo, 1, inner, wi.len);
    assert_true(pb_writer_ok(&wo));
    pb_reader r;
    pb_reader_init(&r, outer, wo.len);
    pb_field f;
    assert_int_equal(pb_next(&r, &f), PB_FIELD);
    pb_reader nested;
    pb_reader_init(&nested, f.bytes, f.len);
    assert_int_equal(pb_next(&nested, &f), PB_FIELD);
    assert_int_equal(f.number, 7);
    assert_int_equal(f.varint, 42);
    assert_int_equal(pb_next(&nested, &f), PB_END);
}

static void test_reader_accepts_ten_byte_varints_of_negative_int64(void **state) {
    (void)state;
    /* int64 -1 as protobuf writes it: ten bytes, the last one 0x01. */
    const uint8_t msg[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    pb_reader r;
    pb_reader_init(&r, msg, sizeof msg);
    pb_field f;
    assert_int_equal(pb_next(&r, &f), PB_FIELD);
    assert_int_equal(f.varint, UINT64_MAX);
    uint8_t out[16];
    pb_writer w;
    pb_writer_init(&w, out, sizeof out);
    pb_write_varint_field(&w, 1, UINT64_MAX);
    assert_int_equal(w.len, sizeof msg);
    assert_memory_equal(out, msg, sizeof msg);
}

static void test_reader_refuses_varints_over_64_bits(void **state) {
    (void)state;
    const uint8_t tenth_too_big[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    const uint8_t eleven_bytes[] = {0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    pb_reader r;
    pb_field f;
    pb_reader_init(&r, tenth_too_big, sizeof tenth_too_big);
    assert_int_equal(pb_next(&r, &f), PB_MALFORMED);
    pb_reader_init(&r, eleven_bytes, sizeof eleven_bytes);
    assert_int_equal(pb_next(&r, &f), PB_MALFORMED);
}

static void test_reader_refuses_every_truncation(void **state) {
    (void)state;
    uint8_t msg[MESSAGE_MAX];
    size_t len = write_every_wire_type(msg, sizeof msg);
    /* Field boundaries: a cut there is a shorter but valid message. */
    const size_t boundaries[] = {0, 3, 12, 21, 26, 28};
    for (size_t cut = 0; cut <= len; cut++) {
        bool at_boundary = false;
        for (size_t b = 0; b < sizeof boundaries / sizeof boundaries[0]; b++) {
            if (boundaries[b] == cut) at_boundary = true;
        }
        pb_reader r;
        pb_reader_init(&r, msg, cut);
        pb_field f;
        int rc;
        while ((rc = pb_next(&r, &f)) == PB_FIELD) {
        }
        assert_int_equal(rc, at_boundary ? PB_END : PB_MALFORMED);
    }
}

static void test_reader_refuses_field_number_zero(void **state) {
    (void)state;
    const uint8_t varint_zero[] = {0x00, 0x01};
    const uint8_t bytes_zero[] = {0x02, 0x00};
    pb_reader r;
    pb_field f;
    pb_reader_init(&r, varint_zero, sizeof varint_zero);
    assert_int_equal(pb_next(&r, &f), PB_MALFORMED);
    pb_reader_init(&r, bytes_zero, sizeof bytes_zero);
    assert_int_equal(pb_next(&r, &f), PB_MALFORMED);
}

static void test_reader_bounds_field_numbers_to_29_bits(void **state) {
    (void)state;
    uint8_t msg[16];
    pb_writer w;
    pb_writer_init(&w, msg, sizeof msg);
    pb_write_varint_field(&w, PB_FIELD_NUMBER_MAX, 9);
    pb_reader r;
    pb_field f;
    pb_reader_init(&r, msg, w.len);
    assert_int_equal(pb_next(&r, &f), PB_FIELD);
    assert_int_equal(f.number, PB_FIELD_NUMBER_MAX);
    assert_int_equal(f.varint, 9);
    pb_writer_init(&w, msg, sizeof msg);
    pb_write_varint(&w, (uint64_t)(PB_FIELD_NUMBER_MAX + 1u) << 3);
    pb_write_varint(&w, 9);
    pb_reader_init(&r, msg, w.len);
    assert_int_equal(pb_next(&r, &f), PB_MALFORMED);
}

static void test_reader_refuses_group_and_undefined_wire_types(void **state) {
    (void)state;
    /* 3 = start group, 4 = end group, 6 and 7 are not defined. */
    const uint8_t tags[] = {0x0b, 0x0c, 0x0e, 0x0f};
    for (size_t i = 0; i < sizeof tags; i++) {
        const uint8_t msg[] = {tags[i], 0x00, 0x00, 0x00, 0x00};
        pb_reader r;
        pb_reader_init(&r, msg, sizeof msg);
        pb_field f;
        assert_int_equal(pb_next(&r, &f), PB_MALFORMED);
    }
}

static void test_reader_refuses_lengths_past_the_end(void **state) {
    (void)state;
    const uint8_t one_short[] = {0x12, 0x03, 'a', 'b'};
    const uint8_t huge[] = {0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'a'};
    const uint8_t near_size_max[] = {0x12, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    pb_reader r;
    pb_field f;
    pb_reader_init(&r, one_short, sizeof one_short);
    assert_int_equal(pb_next(&r, &f), PB_MALFORMED);
    pb_reader_init(&r, huge, sizeof huge);
    assert_int_equal(pb_next(&r, &f), PB_MALFORMED);
    pb_reader_init(&r, near_size_max, sizeof near_size_max);
    assert_int_equal(pb_next(&r, &f), PB_MALFORMED);
}

static void test_empty_input_is_an_empty_message(void **state) {
    (void)state;
    pb_reader r;
    pb_reader_init(&r, NULL, 0);
    pb_field f;
    assert_int_equal(pb_next(&r, &f), PB_END);
}

static void test_writer_records_overflow_and_never_writes_past_cap(void **state) {
    (void)state;
    uint8_t out[8];
    memset(out, 0xcc, sizeof out);
    pb_writer w;
    pb_writer_init(&w, out, 6);
    pb_write_varint_field(&w, 1, 150); /* 3 bytes: fits */
    assert_true(pb_writer_ok(&w));
    pb_write_string_field(&w, 2, "testing"); /* 9 more: does not */
    assert_false(pb_writer_ok(&w));
    assert_true(w.len <= 6);
    assert_int_equal(out[6], 0xcc);
    assert_int_equal(out[7], 0xcc);
    /* Overflow is sticky: a later write that would fit is dropped too. */
    size_t len_after_overflow = w.len;
    pb_write_varint_field(&w, 3, 1);
    assert_false(pb_writer_ok(&w));
    assert_int_equal(w.len, len_after_overflow);
}

static void test_writer_fills_its_buffer_exactly(void **state) {
    (void)state;
    uint8_t out[9];
    pb_writer w;
    pb_writer_init(&w, out, sizeof out);
    pb_write_string_field(&w, 2, "testing");
    assert_true(pb_writer_ok(&w));
    assert_int_equal(w.len, sizeof out);
    pb_write_raw(&w, NULL, 0);
    assert_true(pb_writer_ok(&w));
    pb_write_raw(&w, (const uint8_t *)"x", 1);
    assert_false(pb_writer_ok(&w));
}

static void test_writer_with_no_buffer_overflows_on_first_byte(void **state) {
    (void)state;
    pb_writer w;
    pb_writer_init(&w, NULL, 0);
    pb_write_varint(&w, 0);
    assert_false(pb_writer_ok(&w));
    assert_int_equal(w.len, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_produces_the_guide_encodings),
        cmocka_unit_test(test_reader_returns_every_wire_type_written),
        cmocka_unit_test(test_nested_message_is_read_from_a_bytes_view),
        cmocka_unit_test(test_reader_accepts_ten_byte_varints_of_negative_int64),
        cmocka_unit_test(test_reader_refuses_varints_over_64_bits),
        cmocka_unit_test(test_reader_refuses_every_truncation),
        cmocka_unit_test(test_reader_refuses_field_number_zero),
        cmocka_unit_test(test_reader_bounds_field_numbers_to_29_bits),
        cmocka_unit_test(test_reader_refuses_group_and_undefined_wire_types),
        cmocka_unit_test(test_reader_refuses_lengths_past_the_end),
        cmocka_unit_test(test_empty_input_is_an_empty_message),
        cmocka_unit_test(test_writer_records_overflow_and_never_writes_past_cap),
        cmocka_unit_test(test_writer_fills_its_buffer_exactly),
        cmocka_unit_test(test_writer_with_no_buffer_overflows_on_first_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
