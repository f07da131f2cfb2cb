/*
 * test_mss: multistream-select 1.0 negotiation, both roles, against each
 * other and against exact wire bytes, including hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "transport/mss.h"

#define OUT_LIMIT 4096

static const char *const noise_only[] = {"/noise"};
static const char *const tls_then_noise[] = {"/tls/1.0.0", "/noise"};
static const char *const yamux_only[] = {"/yamux/1.0.0"};

/* The exact bytes of "/multistream/1.0.0\n" with its length prefix (19). */
static const uint8_t header_bytes[] = "\x13/multistream/1.0.0\n";
#define HEADER_LEN (sizeof header_bytes - 1)

typedef struct pair {
    mss initiator;
    mss responder;
    buf to_responder;
    buf to_initiator;
} pair;

static void pair_init(pair *p, const char *const *offered, size_t offered_count, const char *const *supported,
                      size_t supported_count) {
    mss_init_initiator(&p->initiator, offered, offered_count);
    mss_init_responder(&p->responder, supported, supported_count);
    buf_init(&p->to_responder, OUT_LIMIT);
    buf_init(&p->to_initiator, OUT_LIMIT);
    assert_int_equal(mss_start(&p->initiator, &p->to_responder), 0);
    assert_int_equal(mss_start(&p->responder, &p->to_initiator), 0);
    assert_int_equal(p->to_initiator.len, 0);
}

static void pair_free(pair *p) {
    buf_free(&p->to_responder);
    buf_free(&p->to_initiator);
}

/* Delivers everything queued for one side in a single chunk. */
static mss_status deliver(mss *m, buf *in, buf *out) {
    size_t consumed = 0;
    mss_status status = mss_feed(m, in->data, in->len, &consumed, out);
    buf_consume(in, consumed);
    return status;
}

/* Runs both sides until neither has anything left to say. */
static void run_pair(pair *p, mss_status *initiator_status, mss_status *responder_status) {
    *initiator_status = MSS_PENDING;
    *responder_status = MSS_PENDING;
    for (int round = 0; round < 64; round++) {
        if (p->to_responder.len == 0 && p->to_initiator.len == 0) break;
        if (*responder_status == MSS_PENDING && p->to_responder.len > 0)
            *responder_status = deliver(&p->responder, &p->to_responder, &p->to_initiator);
        if (*initiator_status == MSS_PENDING && p->to_initiator.len > 0)
            *initiator_status = deliver(&p->initiator, &p->to_initiator, &p->to_responder);
        if (*initiator_status != MSS_PENDING && *responder_status != MSS_PENDING) break;
    }
}

static void test_initiator_start_emits_header_and_first_proposal(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_initiator(&m, noise_only, 1);
    assert_int_equal(mss_start(&m, &out), 0);
    static const uint8_t expected[] = "\x13/multistream/1.0.0\n\x07/noise\n";
    assert_int_equal(out.len, sizeof expected - 1);
    assert_memory_equal(out.data, expected, sizeof expected - 1);
    buf_free(&out);
}

static void test_write_message_encodes_na_as_in_the_spec(void **state) {
    (void)state;
    buf out;
    buf_init(&out, OUT_LIMIT);
    assert_int_equal(mss_write_message(&out, "na"), 0);
    static const uint8_t expected[] = {0x03, 0x6e, 0x61, 0x0a};
    assert_int_equal(out.len, sizeof expected);
    assert_memory_equal(out.data, expected, sizeof expected);
    buf_free(&out);
}

static void test_write_message_rejects_text_longer_than_a_message(void **state) {
    (void)state;
    char text[MSS_MESSAGE_MAX + 1];
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    buf out;
    buf_init(&out, OUT_LIMIT);
    assert_int_equal(mss_write_message(&out, text), -1);
    assert_int_equal(out.len, 0);
    text[MSS_MESSAGE_MAX - 1] = '\0'; /* 1023 bytes + '\n' fits exactly */
    assert_int_equal(mss_write_message(&out, text), 0);
    assert_int_equal(out.len, 2 + MSS_MESSAGE_MAX);
    buf_free(&out);
}

static void test_start_fails_when_output_is_full(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, 10);
    mss_init_initiator(&m, noise_only, 1);
    assert_int_equal(mss_start(&m, &out), -1);
    assert_int_equal(out.len, 0);
    buf_free(&out);
}

static void test_both_sides_agree_on_a_common_protocol(void **state) {
    (void)state;
    pair p;
    pair_init(&p, noise_only, 1, noise_only, 1);
    mss_status i, r;
    run_pair(&p, &i, &r);
    assert_int_equal(i, MSS_DONE);
    assert_int_equal(r, MSS_DONE);
    assert_string_equal(p.initiator.selected, "/noise");
    assert_string_equal(p.responder.selected, "/noise");
    pair_free(&p);
}

static void test_responder_answers_pipelined_header_and_proposal_in_one_chunk(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_responder(&m, noise_only, 1);
    static const uint8_t in[] = "\x13/multistream/1.0.0\n\x07/noise\n";
    size_t consumed = 0;
    assert_int_equal(mss_feed(&m, in, sizeof in - 1, &consumed, &out), MSS_DONE);
    assert_int_equal(consumed, sizeof in - 1);
    assert_int_equal(out.len, sizeof in - 1); /* header, then the echo */
    assert_memory_equal(out.data, in, sizeof in - 1);
    assert_string_equal(m.selected, "/noise");
    buf_free(&out);
}

static void test_initiator_accepts_header_and_echo_in_one_chunk(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_initiator(&m, noise_only, 1);
    assert_int_equal(mss_start(&m, &out), 0);
    buf_clear(&out);
    static const uint8_t in[] = "\x13/multistream/1.0.0\n\x07/noise\n";
    size_t consumed = 0;
    assert_int_equal(mss_feed(&m, in, sizeof in - 1, &consumed, &out), MSS_DONE);
    assert_int_equal(consumed, sizeof in - 1);
    assert_int_equal(out.len, 0);
    assert_string_equal(m.selected, "/noise");
    buf_free(&out);
}

static void test_na_makes_the_initiator_fall_back_to_its_second_proposal(void **state) {
    (void)state;
    pair p;
    pair_init(&p, tls_then_noise, 2, noise_only, 1);
    size_t consumed = 0;
    /* Responder: header and "na" to /tls/1.0.0. */
    assert_int_equal(mss_feed(&p.responder, p.to_responder.data, p.to_responder.len, &consumed, &p.to_initiator),
                     MSS_PENDING);
    buf_clear(&p.to_responder);
    static const uint8_t header_na[] = "\x13/multistream/1.0.0\n\x03na\n";
    assert_int_equal(p.to_initiator.len, sizeof header_na - 1);
    assert_memory_equal(p.to_initiator.data, header_na, sizeof header_na - 1);
    /* Initiator: proposes /noise next. */
    assert_int_equal(mss_feed(&p.initiator, p.to_initiator.data, p.to_initiator.len, &consumed, &p.to_responder),
                     MSS_PENDING);
    buf_clear(&p.to_initiator);
    assert_int_equal(p.to_responder.len, 8);
    assert_memory_equal(p.to_responder.data, "\x07/noise\n", 8);
    mss_status i, r;
    run_pair(&p, &i, &r);
    assert_int_equal(i, MSS_DONE);
    assert_int_equal(r, MSS_DONE);
    assert_string_equal(p.initiator.selected, "/noise");
    pair_free(&p);
}

static void test_no_common_protocol_fails_the_initiator(void **state) {
    (void)state;
    pair p;
    pair_init(&p, tls_then_noise, 2, yamux_only, 1);
    mss_status i, r;
    run_pair(&p, &i, &r);
    assert_int_equal(i, MSS_FAILED);
    assert_int_equal(r, MSS_PENDING);
    assert_int_equal(p.responder.attempts, 2);
    pair_free(&p);
}

static void test_bytes_after_the_echo_are_left_for_the_next_protocol(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_initiator(&m, noise_only, 1);
    assert_int_equal(mss_start(&m, &out), 0);
    static const uint8_t in[] = "\x13/multistream/1.0.0\n\x07/noise\n\x00\x20NOISE";
    size_t consumed = 0;
    assert_int_equal(mss_feed(&m, in, sizeof in - 1, &consumed, &out), MSS_DONE);
    assert_int_equal(consumed, HEADER_LEN + 8);
    assert_memory_equal(in + consumed, "\x00\x20NOISE", 7);
    /* Once done, nothing more is consumed. */
    assert_int_equal(mss_feed(&m, in + consumed, 7, &consumed, &out), MSS_DONE);
    assert_int_equal(consumed, 0);
    buf_free(&out);
}

static void test_responder_leaves_the_initiators_first_protocol_bytes(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_responder(&m, yamux_only, 1);
    static const uint8_t in[] = "\x13/multistream/1.0.0\n\x0d/yamux/1.0.0\n\x00\x01\x00\x01";
    size_t consumed = 0;
    assert_int_equal(mss_feed(&m, in, sizeof in - 1, &consumed, &out), MSS_DONE);
    assert_int_equal(consumed, sizeof in - 1 - 4);
    assert_string_equal(m.selected, "/yamux/1.0.0");
    buf_free(&out);
}

static void test_byte_by_byte_feeding_negotiates_the_same(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_responder(&m, noise_only, 1);
    static const uint8_t in[] = "\x13/multistream/1.0.0\n\x07/tls/1\n\x07/noise\nX";
    size_t total = sizeof in - 1;
    mss_status status = MSS_PENDING;
    size_t i = 0;
    for (; i < total && status == MSS_PENDING; i++) {
        size_t consumed = 0;
        status = mss_feed(&m, in + i, 1, &consumed, &out);
        assert_int_equal(consumed, 1);
    }
    assert_int_equal(status, MSS_DONE);
    assert_int_equal(i, total - 1); /* the trailing 'X' was never fed */
    static const uint8_t expected[] = "\x13/multistream/1.0.0\n\x03na\n\x07/noise\n";
    assert_int_equal(out.len, sizeof expected - 1);
    assert_memory_equal(out.data, expected, sizeof expected - 1);
    buf_free(&out);
}

static void test_responder_answers_ls_with_na(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_responder(&m, noise_only, 1);
    static const uint8_t in[] = "\x13/multistream/1.0.0\n\x03ls\n";
    size_t consumed = 0;
    assert_int_equal(mss_feed(&m, in, sizeof in - 1, &consumed, &out), MSS_PENDING);
    assert_int_equal(out.len, HEADER_LEN + 4);
    assert_memory_equal(out.data + HEADER_LEN, "\x03na\n", 4);
    buf_free(&out);
}

static void test_responder_gives_up_after_too_many_attempts(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT * 4);
    mss_init_responder(&m, noise_only, 1);
    size_t consumed = 0;
    assert_int_equal(mss_feed(&m, header_bytes, HEADER_LEN, &consumed, &out), MSS_PENDING);
    static const uint8_t proposal[] = "\x05/tls\n";
    for (int i = 0; i < MSS_ATTEMPTS_MAX; i++)
        assert_int_equal(mss_feed(&m, proposal, 6, &consumed, &out), MSS_PENDING);
    assert_int_equal(out.len, HEADER_LEN + 4 * MSS_ATTEMPTS_MAX);
    assert_int_equal(mss_feed(&m, proposal, 6, &consumed, &out), MSS_FAILED);
    assert_int_equal(out.len, HEADER_LEN + 4 * MSS_ATTEMPTS_MAX);
    buf_free(&out);
}

/* Feeds one chunk to a fresh responder and returns the status. */
static mss_status responder_feed(const uint8_t *in, size_t len) {
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_responder(&m, noise_only, 1);
    size_t consumed = 0;
    mss_status status = mss_feed(&m, in, len, &consumed, &out);
    buf_free(&out);
    return status;
}

static void test_wrong_header_fails_the_responder(void **state) {
    (void)state;
    static const uint8_t in[] = "\x13/multistream/2.0.0\n";
    assert_int_equal(responder_feed(in, sizeof in - 1), MSS_FAILED);
}

static void test_wrong_header_fails_the_initiator(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_initiator(&m, noise_only, 1);
    assert_int_equal(mss_start(&m, &out), 0);
    static const uint8_t in[] = "\x07/noise\n";
    size_t consumed = 0;
    assert_int_equal(mss_feed(&m, in, sizeof in - 1, &consumed, &out), MSS_FAILED);
    buf_free(&out);
}

static void test_message_without_newline_fails(void **state) {
    (void)state;
    static const uint8_t in[] = "\x13/multistream/1.0.0X";
    assert_int_equal(responder_feed(in, sizeof in - 1), MSS_FAILED);
}

static void test_empty_message_fails(void **state) {
    (void)state;
    static const uint8_t in[] = {0x00};
    assert_int_equal(responder_feed(in, sizeof in), MSS_FAILED);
}

static void test_overlong_message_fails_before_its_body_arrives(void **state) {
    (void)state;
    static const uint8_t in[] = {0x81, 0x08}; /* 1025 = MSS_MESSAGE_MAX + 1 */
    assert_int_equal(responder_feed(in, sizeof in), MSS_FAILED);
    static const uint8_t three_byte_prefix[] = {0x80, 0x80, 0x01};
    assert_int_equal(responder_feed(three_byte_prefix, sizeof three_byte_prefix), MSS_FAILED);
}

static void test_non_minimal_varint_fails(void **state) {
    (void)state;
    static const uint8_t in[] = {0x93, 0x00}; /* 19, padded with a zero byte */
    assert_int_equal(responder_feed(in, sizeof in), MSS_FAILED);
}

static void test_longest_message_is_accepted_as_an_unknown_proposal(void **state) {
    (void)state;
    uint8_t in[HEADER_LEN + 2 + MSS_MESSAGE_MAX];
    memcpy(in, header_bytes, HEADER_LEN);
    in[HEADER_LEN] = 0x80; /* 1024 = 0x80 0x08 */
    in[HEADER_LEN + 1] = 0x08;
    memset(in + HEADER_LEN + 2, 'p', MSS_MESSAGE_MAX - 1);
    in[sizeof in - 1] = '\n';
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_responder(&m, noise_only, 1);
    size_t consumed = 0;
    assert_int_equal(mss_feed(&m, in, sizeof in, &consumed, &out), MSS_PENDING);
    assert_int_equal(consumed, sizeof in);
    assert_memory_equal(out.data + HEADER_LEN, "\x03na\n", 4);
    buf_free(&out);
}

static void test_unexpected_reply_fails_the_initiator(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, OUT_LIMIT);
    mss_init_initiator(&m, noise_only, 1);
    assert_int_equal(mss_start(&m, &out), 0);
    static const uint8_t in[] = "\x13/multistream/1.0.0\n\x05/tls\n";
    size_t consumed = 0;
    assert_int_equal(mss_feed(&m, in, sizeof in - 1, &consumed, &out), MSS_FAILED);
    assert_int_equal(mss_feed(&m, in, sizeof in - 1, &consumed, &out), MSS_FAILED);
    assert_int_equal(consumed, 0);
    buf_free(&out);
}

static void test_responder_reply_overflowing_output_fails(void **state) {
    (void)state;
    mss m;
    buf out;
    buf_init(&out, 8);
    mss_init_responder(&m, noise_only, 1);
    size_t consumed = 0;
    assert_int_equal(mss_feed(&m, header_bytes, HEADER_LEN, &consumed, &out), MSS_FAILED);
    buf_free(&out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initiator_start_emits_header_and_first_proposal),
        cmocka_unit_test(test_write_message_encodes_na_as_in_the_spec),
        cmocka_unit_test(test_write_message_rejects_text_longer_than_a_message),
        cmocka_unit_test(test_start_fails_when_output_is_full),
        cmocka_unit_test(test_both_sides_agree_on_a_common_protocol),
        cmocka_unit_test(test_responder_answers_pipelined_header_and_proposal_in_one_chunk),
        cmocka_unit_test(test_initiator_accepts_header_and_echo_in_one_chunk),
        cmocka_unit_test(test_na_makes_the_initiator_fall_back_to_its_second_proposal),
        cmocka_unit_test(test_no_common_protocol_fails_the_initiator),
        cmocka_unit_test(test_bytes_after_the_echo_are_left_for_the_next_protocol),
        cmocka_unit_test(test_responder_leaves_the_initiators_first_protocol_bytes),
        cmocka_unit_test(test_byte_by_byte_feeding_negotiates_the_same),
        cmocka_unit_test(test_responder_answers_ls_with_na),
        cmocka_unit_test(test_responder_gives_up_after_too_many_attempts),
        cmocka_unit_test(test_wrong_header_fails_the_responder),
        cmocka_unit_test(test_wrong_header_fails_the_initiator),
        cmocka_unit_test(test_message_without_newline_fails),
        cmocka_unit_test(test_empty_message_fails),
        cmocka_unit_test(test_overlong_message_fails_before_its_body_arrives),
        cmocka_unit_test(test_non_minimal_varint_fails),
        cmocka_unit_test(test_longest_message_is_accepted_as_an_unknown_proposal),
        cmocka_unit_test(test_unexpected_reply_fails_the_initiator),
        cmocka_unit_test(test_responder_reply_overflowing_output_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
