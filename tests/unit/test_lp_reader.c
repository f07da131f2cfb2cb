/*
 * test_lp_reader: length-prefixed messages out of a byte stream cut at any
 * point. The reader must hand over the same messages however the chunks
 * fall, hold at most one unfinished message, and refuse bad prefixes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/lp_reader.h"
#include "base/varint.h"

#define MESSAGE_MAX (1u << 20) /* the node's NODE_STREAM_MESSAGE_MAX */
#define SEEN_MAX 16

/* What the reader handed over: each message's length and whether every
 * byte was its fill byte (message i is filled with i + 1). */
typedef struct seen {
    size_t count;
    size_t len[SEEN_MAX];
    bool intact;
    size_t refuse_at; /* refuse the message with this count, 0 for none */
} seen;

static int on_message(void *user, const uint8_t *msg, size_t len) {
    seen *s = user;
    assert_true(s->count < SEEN_MAX);
    s->len[s->count] = len;
    for (size_t i = 0; i < len; i++)
        if (msg[i] != (uint8_t)(s->count + 1)) s->intact = false;
    s->count++;
    return s->refuse_at == s->count ? -1 : 0;
}

/* Writes count messages of the given sizes, back to back, into a new
 * buffer; *total gets its length. */
static uint8_t *stream_of(const size_t *sizes, size_t count, size_t *total) {
    size_t cap = 0;
    for (size_t i = 0; i < count; i++) cap += sizes[i] + VARINT_MAX_BYTES;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        at += varint_encode(sizes[i], out + at);
        memset(out + at, (int)(i + 1), sizes[i]);
        at += sizes[i];
    }
    *total = at;
    return out;
}

/* Feeds bytes in chunks ending at the given cut points, then the rest. */
static int feed_cut(lp_reader *r, const uint8_t *bytes, size_t total, const size_t *cuts, size_t cut_count,
                    seen *s) {
    size_t from = 0;
    for (size_t i = 0; i <= cut_count; i++) {
        size_t to = i < cut_count ? cuts[i] : total;
        if (lp_reader_feed(r, bytes + from, to - from, on_message, s) != 0) return -1;
        from = to;
    }
    return 0;
}

/* Issue 19's case: one chunk carries the last 100 bytes of a 1,000,000-byte
 * message and the first 60,000 of the next. Both arrive whole. */
static void a_chunk_across_two_large_messages_delivers_both(void **state) {
    (void)state;
    const size_t sizes[] = {1000000, 1000000};
    size_t total;
    uint8_t *bytes = stream_of(sizes, 2, &total);
    size_t first_end = 3 + 1000000; /* a 3-byte prefix */
    const size_t cuts[] = {first_end - 100, first_end + 60000};
    lp_reader r;
    lp_reader_init(&r, MESSAGE_MAX);
    seen s = {.intact = true};
    assert_int_equal(feed_cut(&r, bytes, total, cuts, 2, &s), 0);
    assert_int_equal(s.count, 2);
    assert_int_equal(s.len[0], 1000000);
    assert_int_equal(s.len[1], 1000000);
    assert_true(s.intact);
    assert_int_equal(lp_reader_pending(&r), 0);
    lp_reader_free(&r);
    free(bytes);
}

/* Two messages of the largest size with a chunk across them: the reader
 * takes only what the first still needs, so its buffer never overflows. */
static void the_largest_messages_across_a_chunk_fit_the_buffer(void **state) {
    (void)state;
    const size_t sizes[] = {MESSAGE_MAX, MESSAGE_MAX, 7};
    size_t total;
    uint8_t *bytes = stream_of(sizes, 3, &total);
    const size_t cuts[] = {1000, MESSAGE_MAX + 4000};
    lp_reader r;
    lp_reader_init(&r, MESSAGE_MAX);
    seen s = {.intact = true};
    assert_int_equal(feed_cut(&r, bytes, total, cuts, 2, &s), 0);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.len[1], MESSAGE_MAX);
    assert_int_equal(s.len[2], 7);
    assert_true(s.intact);
    lp_reader_free(&r);
    free(bytes);
}

/* Every cut of a small stream, one byte at a time included, yields the same
 * messages; an unfinished one is held, and only it. */
static void any_cut_yields_the_same_messages(void **state) {
    (void)state;
    const size_t sizes[] = {0, 1, 200, 127, 128, 3};
    size_t total;
    uint8_t *bytes = stream_of(sizes, 6, &total);
    for (size_t a = 0; a <= total; a++) {
        for (size_t b = a; b <= total; b += 7) {
            lp_reader r;
            lp_reader_init(&r, 300);
            seen s = {.intact = true};
            const size_t cuts[] = {a, b};
            assert_int_equal(feed_cut(&r, bytes, total, cuts, 2, &s), 0);
            assert_int_equal(s.count, 6);
            for (size_t i = 0; i < 6; i++) assert_int_equal(s.len[i], sizes[i]);
            assert_true(s.intact);
            assert_int_equal(lp_reader_pending(&r), 0);
            lp_reader_free(&r);
        }
    }
    lp_reader r;
    lp_reader_init(&r, 300);
    seen s = {.intact = true};
    for (size_t i = 0; i < total; i++) assert_int_equal(lp_reader_feed(&r, bytes + i, 1, on_message, &s), 0);
    assert_int_equal(s.count, 6);
    lp_reader_free(&r);
    free(bytes);
}

static void an_unfinished_message_is_held_until_its_last_byte(void **state) {
    (void)state;
    const size_t sizes[] = {200};
    size_t total;
    uint8_t *bytes = stream_of(sizes, 1, &total);
    lp_reader r;
    lp_reader_init(&r, 300);
    seen s = {.intact = true};
    assert_int_equal(lp_reader_feed(&r, bytes, total - 1, on_message, &s), 0);
    assert_int_equal(s.count, 0);
    assert_int_equal(lp_reader_pending(&r), total - 1);
    assert_int_equal(lp_reader_feed(&r, bytes + total - 1, 1, on_message, &s), 0);
    assert_int_equal(s.count, 1);
    assert_int_equal(lp_reader_pending(&r), 0);
    lp_reader_free(&r);
    free(bytes);
}

static void an_oversize_or_malformed_prefix_is_refused(void **state) {
    (void)state;
    lp_reader r;
    seen s = {.intact = true};
    uint8_t prefix[VARINT_MAX_BYTES];
    size_t len = varint_encode(301, prefix);
    lp_reader_init(&r, 300);
    assert_int_equal(lp_reader_feed(&r, prefix, len, on_message, &s), -1);
    lp_reader_free(&r);
    /* The same, with the prefix cut in two. */
    lp_reader_init(&r, 300);
    assert_int_equal(lp_reader_feed(&r, prefix, 1, on_message, &s), 0);
    assert_int_equal(lp_reader_feed(&r, prefix + 1, len - 1, on_message, &s), -1);
    lp_reader_free(&r);
    /* Ten continuation bytes are no varint at all, however they come. */
    const uint8_t endless[10] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
    lp_reader_init(&r, 300);
    int rc = 0;
    for (size_t i = 0; i < sizeof endless && rc == 0; i++) rc = lp_reader_feed(&r, endless + i, 1, on_message, &s);
    assert_int_equal(rc, -1);
    lp_reader_free(&r);
    assert_int_equal(s.count, 0);
}

static void a_refused_message_stops_the_reader(void **state) {
    (void)state;
    const size_t sizes[] = {5, 5, 5};
    size_t total;
    uint8_t *bytes = stream_of(sizes, 3, &total);
    lp_reader r;
    lp_reader_init(&r, 300);
    seen s = {.intact = true, .refuse_at = 2};
    assert_int_equal(lp_reader_feed(&r, bytes, total, on_message, &s), -1);
    assert_int_equal(s.count, 2); /* the third is never handed over */
    lp_reader_free(&r);
    free(bytes);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_chunk_across_two_large_messages_delivers_both),
        cmocka_unit_test(the_largest_messages_across_a_chunk_fit_the_buffer),
        cmocka_unit_test(any_cut_yields_the_same_messages),
        cmocka_unit_test(an_unfinished_message_is_held_until_its_last_byte),
        cmocka_unit_test(an_oversize_or_malformed_prefix_is_refused),
        cmocka_unit_test(a_refused_message_stops_the_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
