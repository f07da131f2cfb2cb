/*
 * test_digest: the trace digest (analysis/digest.h) is BLAKE2b-256 over the
 * canonical encoding of the events, in order. The expected values are
 * rebuilt here byte by byte from the encoding the header specifies, so the
 * tests check the specification, not merely that the code agrees with
 * itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "digest.h"

#define CANONICAL_MAX 4096
#define LONG_FIELD_BYTES 1500 /* past the digest's internal buffer */

static const uint8_t sample_msg_id[] = {0x00, 0x24, 0x08, 0x01, 0x12, 0x20, 0xaa, 0xbb, 0, 0, 0, 0, 0, 0, 0, 7};
static const uint8_t sample_peer[] = {0x00, 0x24, 0x08, 0x01, 0x12, 0x20, 0x11, 0x22, 0x33};

static trace_event full_event(void) {
    return (trace_event){.kind = TRACE_SEND_RPC, .time_ns = 1500000000ull, .node_index = 3,
                         .msg_id = sample_msg_id, .msg_id_len = sizeof sample_msg_id, .topic = "blocks",
                         .peer = sample_peer, .peer_len = sizeof sample_peer, .size_bytes = 1024,
                         .payload_bytes = 1000, .message_count = 2, .reason = "queue full",
                         .protocol = "/floodsub/1.0.0", .ihave_ids = 5, .iwant_ids = 6, .idontwant_ids = 7,
                         .grafts = 1, .prunes = 2, .control_bytes = 345, .score = -12.5};
}

/* ---- the encoding, by hand -------------------------------------------- */

typedef struct canonical {
    uint8_t bytes[CANONICAL_MAX];
    size_t len;
} canonical;

static void put_le(canonical *c, uint64_t value, int width) {
    for (int i = 0; i < width; i++) c->bytes[c->len++] = (uint8_t)(value >> (8 * i));
}

/* The score as its IEEE-754 bits, taken apart by hand: sign, biased
 * exponent and fraction of a normal number or zero, the two cases the
 * tests use; frexp gives them without looking at the double's memory. */
static uint64_t score_bits(double score) {
    if (score == 0) return signbit(score) ? 1ull << 63 : 0;
    int exponent;
    double fraction = frexp(fabs(score), &exponent); /* in [0.5, 1) */
    uint64_t mantissa = (uint64_t)ldexp(fraction, 53) & ((1ull << 52) - 1);
    uint64_t biased = (uint64_t)(exponent - 1 + 1023);
    return (signbit(score) ? 1ull << 63 : 0) | biased << 52 | mantissa;
}

static void put_field(canonical *c, const void *data, size_t len) {
    put_le(c, len, 4);
    if (len > 0) memcpy(c->bytes + c->len, data, len);
    c->len += len;
}

static void put_event(canonical *c, const trace_event *e) {
    put_le(c, e->kind, 1);
    put_le(c, e->time_ns, 8);
    put_le(c, e->node_index, 4);
    put_le(c, e->size_bytes, 8);
    put_le(c, e->payload_bytes, 8);
    put_le(c, e->message_count, 4);
    put_le(c, e->ihave_ids, 4);
    put_le(c, e->iwant_ids, 4);
    put_le(c, e->idontwant_ids, 4);
    put_le(c, e->grafts, 4);
    put_le(c, e->prunes, 4);
    put_le(c, e->control_bytes, 8);
    put_le(c, score_bits(e->score), 8);
    put_field(c, e->msg_id, e->msg_id == NULL ? 0 : e->msg_id_len);
    put_field(c, e->topic, e->topic == NULL ? 0 : strlen(e->topic));
    put_field(c, e->peer, e->peer == NULL ? 0 : e->peer_len);
    put_field(c, e->reason, e->reason == NULL ? 0 : strlen(e->reason));
    put_field(c, e->protocol, e->protocol == NULL ? 0 : strlen(e->protocol));
    assert_true(c->len <= CANONICAL_MAX);
}

static void hash_hex(const canonical *c, char hex[DIGEST_HEX_BYTES]) {
    uint8_t hash[DIGEST_BYTES];
    assert_int_equal(crypto_generichash(hash, sizeof hash, c->bytes, c->len, NULL, 0), 0);
    sodium_bin2hex(hex, DIGEST_HEX_BYTES, hash, sizeof hash);
}

static void digest_of(const trace_event *events, size_t count, char hex[DIGEST_HEX_BYTES]) {
    trace_digest d;
    trace_digest_init(&d);
    for (size_t i = 0; i < count; i++) trace_digest_update(&d, &events[i]);
    trace_digest_final(&d, hex);
}

/* ---- tests ------------------------------------------------------------ */

static void the_digest_of_one_event_is_blake2b_of_its_canonical_bytes(void **state) {
    (void)state;
    trace_event e = full_event();
    canonical c = {.len = 0};
    put_event(&c, &e);
    char expected[DIGEST_HEX_BYTES], actual[DIGEST_HEX_BYTES];
    hash_hex(&c, expected);
    digest_of(&e, 1, actual);
    assert_string_equal(actual, expected);
}

static void the_digest_of_several_events_hashes_their_encodings_in_order(void **state) {
    (void)state;
    static char long_reason[LONG_FIELD_BYTES + 1];
    memset(long_reason, 'r', LONG_FIELD_BYTES);
    trace_event events[3] = {full_event(), full_event(),
                             {.kind = TRACE_NODE_DOWN, .time_ns = 9, .node_index = 70000}};
    events[1].kind = TRACE_DROP_RPC;
    events[1].reason = long_reason; /* longer than the digest's buffer */
    canonical c = {.len = 0};
    for (int i = 0; i < 3; i++) put_event(&c, &events[i]);
    char expected[DIGEST_HEX_BYTES], actual[DIGEST_HEX_BYTES];
    hash_hex(&c, expected);
    digest_of(events, 3, actual);
    assert_string_equal(actual, expected);
}

/* A value computed once, outside C (Python's hashlib.blake2b with
 * digest_size=32 over the same canonical bytes): if it changes, every
 * recorded digest changes. */
static void the_digest_of_a_fixed_event_list_is_stable(void **state) {
    (void)state;
    trace_event events[2] = {full_event(), {.kind = TRACE_NODE_UP, .time_ns = 0, .node_index = 0,
                                            .peer = sample_peer, .peer_len = sizeof sample_peer}};
    char actual[DIGEST_HEX_BYTES];
    digest_of(events, 2, actual);
    assert_string_equal(actual, "104061c3ffc2cd8b77ce9d0f5d52955fb2b61a079d0a5d79e1696d70225e113f");
}

static void the_empty_trace_has_the_digest_of_no_bytes(void **state) {
    (void)state;
    canonical c = {.len = 0};
    char expected[DIGEST_HEX_BYTES], actual[DIGEST_HEX_BYTES];
    hash_hex(&c, expected);
    digest_of(NULL, 0, actual);
    assert_string_equal(actual, expected);
    assert_int_equal(strlen(actual), 2 * DIGEST_BYTES);
}

static void changing_any_field_changes_the_digest(void **state) {
    (void)state;
    static const uint8_t other_id[] = {0x01};
    enum { VARIANTS = 19 };
    trace_event variants[VARIANTS];
    for (int i = 0; i < VARIANTS; i++) variants[i] = full_event();
    variants[1].kind = TRACE_RECV_RPC;
    variants[2].time_ns++;
    variants[3].node_index++;
    variants[4].size_bytes++;
    variants[5].payload_bytes++;
    variants[6].message_count++;
    variants[7].msg_id = other_id;
    variants[7].msg_id_len = sizeof other_id;
    variants[8].topic = "blockz";
    variants[9].peer_len--;
    variants[10].reason = "queue ful";
    variants[11].protocol = "/meshsub/1.1.0";
    variants[12].ihave_ids++;
    variants[13].iwant_ids++;
    variants[14].idontwant_ids++;
    variants[15].grafts++;
    variants[16].prunes++;
    variants[17].control_bytes++;
    variants[18].score = nextafter(variants[18].score, 0); /* the smallest change a double can make */
    char hex[VARIANTS][DIGEST_HEX_BYTES];
    for (int i = 0; i < VARIANTS; i++) digest_of(&variants[i], 1, hex[i]);
    for (int i = 0; i < VARIANTS; i++)
        for (int k = i + 1; k < VARIANTS; k++) assert_string_not_equal(hex[i], hex[k]);
}

static void the_order_of_events_matters(void **state) {
    (void)state;
    trace_event a = full_event(), b = full_event();
    b.time_ns++;
    trace_event ab[2] = {a, b}, ba[2] = {b, a};
    char hex_ab[DIGEST_HEX_BYTES], hex_ba[DIGEST_HEX_BYTES];
    digest_of(ab, 2, hex_ab);
    digest_of(ba, 2, hex_ba);
    assert_string_not_equal(hex_ab, hex_ba);
}

/* The length prefixes keep field boundaries: "ab"+"c" is not "a"+"bc". */
static void moving_bytes_between_fields_changes_the_digest(void **state) {
    (void)state;
    trace_event a = full_event(), b = full_event();
    a.topic = "ab";
    a.reason = "c";
    b.topic = "a";
    b.reason = "bc";
    char hex_a[DIGEST_HEX_BYTES], hex_b[DIGEST_HEX_BYTES];
    digest_of(&a, 1, hex_a);
    digest_of(&b, 1, hex_b);
    assert_string_not_equal(hex_a, hex_b);
}

/* The score enters as its bits: a behaviour that differs only in the sign
 * of a zero score is a different behaviour. */
static void a_score_of_minus_zero_differs_from_zero(void **state) {
    (void)state;
    trace_event plus = {.kind = TRACE_PEER_SCORE, .time_ns = 5, .score = 0.0};
    trace_event minus = plus;
    minus.score = -0.0;
    char hex_plus[DIGEST_HEX_BYTES], hex_minus[DIGEST_HEX_BYTES];
    digest_of(&plus, 1, hex_plus);
    digest_of(&minus, 1, hex_minus);
    assert_string_not_equal(hex_plus, hex_minus);
}

/* The hand-made bits above agree with the double's own memory, so the
 * canonical bytes are the IEEE-754 ones the header promises. */
static void score_bits_are_the_ieee_754_encoding(void **state) {
    (void)state;
    const double values[] = {-12.5, 0.1, 1e-300, 123456789.0, -0.0, 0.0};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint64_t bits;
        memcpy(&bits, &values[i], sizeof bits);
        assert_int_equal(score_bits(values[i]), bits);
    }
    assert_int_equal(score_bits(-12.5), 0xc029000000000000ull);
}

/* The encoding writes length 0 for an absent field, as for an empty one. */
static void an_absent_string_encodes_as_an_empty_one(void **state) {
    (void)state;
    trace_event absent = full_event(), empty = full_event();
    absent.topic = NULL;
    empty.topic = "";
    char hex_absent[DIGEST_HEX_BYTES], hex_empty[DIGEST_HEX_BYTES];
    digest_of(&absent, 1, hex_absent);
    digest_of(&empty, 1, hex_empty);
    assert_string_equal(hex_absent, hex_empty);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_digest_of_one_event_is_blake2b_of_its_canonical_bytes),
        cmocka_unit_test(the_digest_of_several_events_hashes_their_encodings_in_order),
        cmocka_unit_test(the_digest_of_a_fixed_event_list_is_stable),
        cmocka_unit_test(the_empty_trace_has_the_digest_of_no_bytes),
        cmocka_unit_test(changing_any_field_changes_the_digest),
        cmocka_unit_test(the_order_of_events_matters),
        cmocka_unit_test(moving_bytes_between_fields_changes_the_digest),
        cmocka_unit_test(an_absent_string_encodes_as_an_empty_one),
        cmocka_unit_test(a_score_of_minus_zero_differs_from_zero),
        cmocka_unit_test(score_bits_are_the_ieee_754_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
