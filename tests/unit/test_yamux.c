/*
 * test_yamux: the yamux session, two of them wired back to back (client and
 * server) and one fed hand-made frames, asserting wire bytes and events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/yamux.h"

#define EVENTS_MAX 1024
#define RECEIVED_MAX (2u * 1024u * 1024u)
#define PUMP_ROUNDS_MAX 64

typedef struct peer {
    yamux_session s;
    size_t event_count;
    yamux_event_kind kinds[EVENTS_MAX];
    uint32_t ids[EVENTS_MAX];
    size_t lens[EVENTS_MAX];
    uint8_t *received; /* every DATA payload, in order */
    size_t received_len;
    /* behaviours of the callback */
    bool echo_data;
    bool close_on_fin;
    bool reset_on_data;
    bool open_on_opened;
    uint32_t opened_from_callback;
} peer;

static void peer_on_event(void *user, const yamux_event *e) {
    peer *p = user;
    assert_true(p->event_count < EVENTS_MAX);
    p->kinds[p->event_count] = e->kind;
    p->ids[p->event_count] = e->stream_id;
    p->lens[p->event_count] = e->len;
    p->event_count++;
    if (e->kind == YAMUX_EVENT_DATA) {
        assert_true(p->received_len + e->len <= RECEIVED_MAX);
        memcpy(p->received + p->received_len, e->data, e->len);
        p->received_len += e->len;
        if (p->echo_data) assert_int_equal(yamux_write(&p->s, e->stream_id, e->data, e->len), 0);
        if (p->reset_on_data) yamux_reset(&p->s, e->stream_id);
    }
    if (e->kind == YAMUX_EVENT_STREAM_FIN && p->close_on_fin) assert_int_equal(yamux_close(&p->s, e->stream_id), 0);
    if (e->kind == YAMUX_EVENT_STREAM_OPENED && p->open_on_opened)
        assert_int_equal(yamux_open(&p->s, &p->opened_from_callback), 0);
}

static peer *peer_new(bool client) {
    peer *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->received = malloc(RECEIVED_MAX);
    assert_non_null(p->received);
    assert_int_equal(yamux_init(&p->s, client, peer_on_event, p), 0);
    return p;
}

static void peer_free(peer *p) {
    yamux_free(&p->s);
    free(p->received);
    free(p);
}

/* Moves everything `from` has to send into `to`; returns yamux_feed's result. */
static int deliver(peer *from, peer *to) {
    int rc = yamux_feed(&to->s, from->s.out.data, from->s.out.len);
    buf_clear(&from->s.out);
    return rc;
}

static void pump(peer *a, peer *b) {
    for (int round = 0; round < PUMP_ROUNDS_MAX; round++) {
        if (a->s.out.len == 0 && b->s.out.len == 0) return;
        assert_int_equal(deliver(a, b), 0);
        assert_int_equal(deliver(b, a), 0);
    }
    fail_msg("sessions kept talking");
}

static void frame(buf *b, uint8_t type, uint16_t flags, uint32_t id, uint32_t length) {
    uint8_t h[YAMUX_HEADER_BYTES] = {0, type, (uint8_t)(flags >> 8), (uint8_t)flags,
                                     (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id,
                                     (uint8_t)(length >> 24), (uint8_t)(length >> 16), (uint8_t)(length >> 8),
                                     (uint8_t)length};
    assert_int_equal(buf_append(b, h, sizeof h), 0);
}

static int feed_buf(peer *p, buf *b) {
    int rc = yamux_feed(&p->s, b->data, b->len);
    buf_clear(b);
    return rc;
}

/* Index of the first event of that kind at or after `from`, or -1. */
static int find_event(const peer *p, yamux_event_kind kind, size_t from) {
    for (size_t i = from; i < p->event_count; i++)
        if (p->kinds[i] == kind) return (int)i;
    return -1;
}

static size_t count_events(const peer *p, yamux_event_kind kind) {
    size_t n = 0;
    for (size_t i = 0; i < p->event_count; i++) n += p->kinds[i] == kind;
    return n;
}

static const uint8_t go_away_protocol_error[] = {0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static void assert_protocol_error(peer *p, int rc) {
    assert_int_equal(rc, -1);
    assert_non_null(p->s.error);
    assert_true(p->s.out.len >= YAMUX_HEADER_BYTES);
    assert_memory_equal(p->s.out.data + p->s.out.len - YAMUX_HEADER_BYTES, go_away_protocol_error,
                        YAMUX_HEADER_BYTES);
    assert_int_equal(yamux_feed(&p->s, (const uint8_t *)"x", 1), -1); /* the session stays failed */
}

static void test_open_sends_window_update_with_syn(void **state) {
    (void)state;
    peer *c = peer_new(true);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    assert_int_equal(id, 1);
    static const uint8_t syn[] = {0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(c->s.out.len, sizeof syn);
    assert_memory_equal(c->s.out.data, syn, sizeof syn);
    assert_int_equal(yamux_open(&c->s, &id), 0);
    assert_int_equal(id, 3);
    assert_true(yamux_stream_exists(&c->s, 1));
    peer_free(c);
}

static void test_server_opens_even_stream_ids(void **state) {
    (void)state;
    peer *s = peer_new(false);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&s->s, &id), 0);
    assert_int_equal(id, 2);
    peer_free(s);
}

static void test_accepting_a_syn_replies_ack_and_reports_stream_opened(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    assert_int_equal(deliver(c, s), 0);
    static const uint8_t ack[] = {0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(s->s.out.len, sizeof ack);
    assert_memory_equal(s->s.out.data, ack, sizeof ack);
    assert_int_equal(s->event_count, 1);
    assert_int_equal(s->kinds[0], YAMUX_EVENT_STREAM_OPENED);
    assert_int_equal(s->ids[0], 1);
    assert_true(yamux_stream_exists(&s->s, 1));
    peer_free(c);
    peer_free(s);
}

static void test_data_frame_carries_the_bytes_after_a_header(void **state) {
    (void)state;
    peer *c = peer_new(true);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    buf_clear(&c->s.out);
    assert_int_equal(yamux_write(&c->s, id, (const uint8_t *)"hi", 2), 0);
    static const uint8_t expected[] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 'h', 'i'};
    assert_int_equal(c->s.out.len, sizeof expected);
    assert_memory_equal(c->s.out.data, expected, sizeof expected);
    peer_free(c);
}

static void test_data_flows_both_ways(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    assert_int_equal(yamux_write(&c->s, id, (const uint8_t *)"ping", 4), 0);
    pump(c, s);
    assert_int_equal(s->received_len, 4);
    assert_memory_equal(s->received, "ping", 4);
    assert_int_equal(yamux_write(&s->s, id, (const uint8_t *)"pong!", 5), 0);
    pump(c, s);
    assert_int_equal(c->received_len, 5);
    assert_memory_equal(c->received, "pong!", 5);
    assert_int_equal(c->kinds[0], YAMUX_EVENT_DATA);
    assert_int_equal(c->ids[0], id);
    peer_free(c);
    peer_free(s);
}

static void test_write_on_unknown_stream_fails(void **state) {
    (void)state;
    peer *c = peer_new(true);
    assert_int_equal(yamux_write(&c->s, 7, (const uint8_t *)"x", 1), -1);
    assert_int_equal(yamux_close(&c->s, 7), -1);
    assert_int_equal(yamux_send_window(&c->s, 7), 0); /* no window for a stream that is not there */
    assert_int_equal(c->s.out.len, 0);
    peer_free(c);
}

static void test_large_writes_are_split_into_64k_frames(void **state) {
    (void)state;
    peer *c = peer_new(true);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    buf_clear(&c->s.out);
    size_t len = 100000;
    uint8_t *bytes = calloc(1, len);
    assert_non_null(bytes);
    assert_int_equal(yamux_write(&c->s, id, bytes, len), 0);
    assert_int_equal(c->s.out.len, len + 2 * YAMUX_HEADER_BYTES);
    static const uint8_t first[] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0}; /* 65536 */
    assert_memory_equal(c->s.out.data, first, sizeof first);
    const uint8_t *second = c->s.out.data + YAMUX_HEADER_BYTES + 65536;
    static const uint8_t second_expected[] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xa0}; /* 34464 */
    assert_memory_equal(second, second_expected, sizeof second_expected);
    free(bytes);
    peer_free(c);
}

static void test_window_exhaustion_queues_bytes_until_a_window_update(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    size_t len = YAMUX_INITIAL_WINDOW + 100;
    uint8_t *bytes = malloc(len);
    assert_non_null(bytes);
    for (size_t i = 0; i < len; i++) bytes[i] = (uint8_t)(i * 7);
    assert_int_equal(yamux_send_window(&c->s, id), YAMUX_INITIAL_WINDOW);
    assert_int_equal(yamux_write(&c->s, id, bytes, len), 0);
    assert_int_equal(yamux_send_window(&c->s, id), 0);
    assert_int_equal(deliver(c, s), 0);
    assert_int_equal(s->received_len, YAMUX_INITIAL_WINDOW); /* the window, not a byte more */
    assert_int_equal(c->s.out.len, 0);                        /* the rest waits */
    assert_int_equal(yamux_feed(&c->s, NULL, 0), 0);
    assert_int_equal(c->s.out.len, 0); /* still no window */
    assert_true(s->s.out.len > 0);     /* the server's window updates */
    assert_int_equal(deliver(s, c), 0);
    assert_int_equal(c->s.out.len, YAMUX_HEADER_BYTES + 100);
    assert_int_equal(yamux_send_window(&c->s, id), YAMUX_INITIAL_WINDOW - 100); /* both updates, less the 100 */
    assert_int_equal(deliver(c, s), 0);
    assert_int_equal(s->received_len, len);
    assert_memory_equal(s->received, bytes, len);
    free(bytes);
    peer_free(c);
    peer_free(s);
}

static void test_receiver_replenishes_the_window_after_half_is_delivered(void **state) {
    (void)state;
    peer *s = peer_new(false);
    buf in;
    buf_init(&in, 1u << 20);
    frame(&in, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0);
    assert_int_equal(feed_buf(s, &in), 0);
    buf_clear(&s->s.out);
    size_t half = YAMUX_INITIAL_WINDOW / 2;
    uint8_t *zeros = calloc(1, half);
    assert_non_null(zeros);
    frame(&in, YAMUX_TYPE_DATA, 0, 1, (uint32_t)(half - 1));
    assert_int_equal(buf_append(&in, zeros, half - 1), 0);
    assert_int_equal(feed_buf(s, &in), 0);
    assert_int_equal(s->s.out.len, 0); /* not yet half */
    frame(&in, YAMUX_TYPE_DATA, 0, 1, 1);
    assert_int_equal(buf_append(&in, zeros, 1), 0);
    assert_int_equal(feed_buf(s, &in), 0);
    static const uint8_t update[] = {0, 1, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0}; /* delta 131072 */
    assert_int_equal(s->s.out.len, sizeof update);
    assert_memory_equal(s->s.out.data, update, sizeof update);
    free(zeros);
    buf_free(&in);
    peer_free(s);
}

static void test_half_close_both_ways_closes_the_stream(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    assert_int_equal(yamux_write(&c->s, id, (const uint8_t *)"req", 3), 0);
    assert_int_equal(yamux_close(&c->s, id), 0);
    static const uint8_t fin[] = {0, 1, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_memory_equal(c->s.out.data + c->s.out.len - sizeof fin, fin, sizeof fin);
    assert_int_equal(yamux_write(&c->s, id, (const uint8_t *)"x", 1), -1); /* our side is closed */
    pump(c, s);
    int fin_at = find_event(s, YAMUX_EVENT_STREAM_FIN, 0);
    assert_true(fin_at > find_event(s, YAMUX_EVENT_DATA, 0));
    assert_true(yamux_stream_exists(&s->s, id)); /* the server may still answer */
    assert_int_equal(yamux_write(&s->s, id, (const uint8_t *)"resp", 4), 0);
    assert_int_equal(yamux_close(&s->s, id), 0);
    /* The server's close completed the stream: it is gone, and said so. */
    assert_int_equal(s->kinds[s->event_count - 1], YAMUX_EVENT_STREAM_CLOSED);
    assert_false(yamux_stream_exists(&s->s, id));
    assert_int_equal(s->s.stream_count, 0);
    pump(c, s);
    assert_int_equal(c->received_len, 4);
    assert_int_equal(c->kinds[c->event_count - 2], YAMUX_EVENT_STREAM_FIN);
    assert_int_equal(c->kinds[c->event_count - 1], YAMUX_EVENT_STREAM_CLOSED);
    assert_int_equal(c->ids[c->event_count - 1], id);
    assert_false(yamux_stream_exists(&c->s, id));
    assert_int_equal(c->s.stream_count, 0);
    peer_free(c);
    peer_free(s);
}

static void test_close_from_the_fin_callback_reports_closed_after_fin(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    s->close_on_fin = true;
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    assert_int_equal(yamux_close(&c->s, id), 0);
    pump(c, s);
    assert_int_equal(s->event_count, 3);
    assert_int_equal(s->kinds[0], YAMUX_EVENT_STREAM_OPENED);
    assert_int_equal(s->kinds[1], YAMUX_EVENT_STREAM_FIN);
    assert_int_equal(s->kinds[2], YAMUX_EVENT_STREAM_CLOSED);
    assert_int_equal(count_events(c, YAMUX_EVENT_STREAM_CLOSED), 1);
    assert_int_equal(c->s.stream_count, 0);
    assert_int_equal(s->s.stream_count, 0);
    peer_free(c);
    peer_free(s);
}

static void test_fin_waits_for_queued_bytes(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    size_t len = YAMUX_INITIAL_WINDOW + 10;
    uint8_t *bytes = calloc(1, len);
    assert_non_null(bytes);
    assert_int_equal(yamux_write(&c->s, id, bytes, len), 0);
    assert_int_equal(yamux_close(&c->s, id), 0);
    assert_int_equal(deliver(c, s), 0);
    assert_int_equal(find_event(s, YAMUX_EVENT_STREAM_FIN, 0), -1); /* 10 bytes still queued */
    pump(c, s);
    assert_int_equal(s->received_len, len);
    int fin_at = find_event(s, YAMUX_EVENT_STREAM_FIN, 0);
    assert_true(fin_at >= 0);
    assert_int_equal(s->kinds[s->event_count - 1], YAMUX_EVENT_STREAM_FIN);
    free(bytes);
    peer_free(c);
    peer_free(s);
}

static void test_reset_reports_stream_reset_and_forgets_the_stream(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    pump(c, s);
    yamux_reset(&c->s, id);
    static const uint8_t rst[] = {0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(c->s.out.len, sizeof rst);
    assert_memory_equal(c->s.out.data, rst, sizeof rst);
    assert_false(yamux_stream_exists(&c->s, id));
    pump(c, s);
    assert_int_equal(s->kinds[s->event_count - 1], YAMUX_EVENT_STREAM_RESET);
    assert_int_equal(s->ids[s->event_count - 1], id);
    assert_false(yamux_stream_exists(&s->s, id));
    assert_int_equal(s->s.stream_count, 0);
    peer_free(c);
    peer_free(s);
}

static void test_data_for_a_reset_stream_is_ignored(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    pump(c, s);
    assert_int_equal(yamux_write(&c->s, id, (const uint8_t *)"late", 4), 0);
    yamux_reset(&s->s, id); /* the server resets while "late" is in flight */
    buf_clear(&s->s.out);
    size_t events = s->event_count;
    assert_int_equal(deliver(c, s), 0);
    assert_null(s->s.error);
    assert_int_equal(s->event_count, events);
    assert_int_equal(s->received_len, 0);
    peer_free(c);
    peer_free(s);
}

static void test_ping_is_answered_with_the_same_opaque_value(void **state) {
    (void)state;
    peer *s = peer_new(false);
    static const uint8_t ping[] = {0, 2, 0, 1, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
    assert_int_equal(yamux_feed(&s->s, ping, sizeof ping), 0);
    static const uint8_t pong[] = {0, 2, 0, 2, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
    assert_int_equal(s->s.out.len, sizeof pong);
    assert_memory_equal(s->s.out.data, pong, sizeof pong);
    buf_clear(&s->s.out);
    assert_int_equal(yamux_feed(&s->s, pong, sizeof pong), 0); /* a pong needs no answer */
    assert_int_equal(s->s.out.len, 0);
    assert_int_equal(s->event_count, 0);
    peer_free(s);
}

static void test_go_away_is_reported_and_blocks_new_streams(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    pump(c, s);
    yamux_go_away(&s->s);
    static const uint8_t go_away[] = {0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(s->s.out.len, sizeof go_away);
    assert_memory_equal(s->s.out.data, go_away, sizeof go_away);
    assert_true(s->s.go_away_sent);
    assert_int_equal(yamux_open(&s->s, &id), -1);
    pump(c, s);
    assert_int_equal(c->kinds[c->event_count - 1], YAMUX_EVENT_GO_AWAY);
    assert_int_equal(c->lens[c->event_count - 1], 0); /* normal termination */
    assert_true(c->s.go_away_received);
    assert_int_equal(yamux_open(&c->s, &id), -1);
    /* Existing streams keep working. */
    assert_int_equal(yamux_write(&c->s, 1, (const uint8_t *)"still", 5), 0);
    pump(c, s);
    assert_int_equal(s->received_len, 5);
    peer_free(c);
    peer_free(s);
}

static void test_syn_after_our_go_away_is_refused_with_rst(void **state) {
    (void)state;
    peer *s = peer_new(false);
    yamux_go_away(&s->s);
    buf_clear(&s->s.out);
    buf in;
    buf_init(&in, 64);
    frame(&in, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, 0);
    assert_int_equal(feed_buf(s, &in), 0);
    static const uint8_t rst[] = {0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(s->s.out.len, sizeof rst);
    assert_memory_equal(s->s.out.data, rst, sizeof rst);
    assert_int_equal(s->event_count, 0);
    buf_free(&in);
    peer_free(s);
}

static void test_syn_beyond_the_stream_limit_is_refused_with_rst(void **state) {
    (void)state;
    peer *s = peer_new(false);
    buf in;
    buf_init(&in, 1u << 16);
    for (uint32_t i = 0; i <= YAMUX_STREAMS_MAX; i++) frame(&in, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 2 * i + 1, 0);
    assert_int_equal(feed_buf(s, &in), 0);
    assert_int_equal(s->s.stream_count, YAMUX_STREAMS_MAX);
    assert_int_equal(count_events(s, YAMUX_EVENT_STREAM_OPENED), YAMUX_STREAMS_MAX);
    uint32_t refused = 2 * YAMUX_STREAMS_MAX + 1;
    const uint8_t rst[] = {0, 1, 0, 8, 0, 0, (uint8_t)(refused >> 8), (uint8_t)refused, 0, 0, 0, 0};
    assert_memory_equal(s->s.out.data + s->s.out.len - sizeof rst, rst, sizeof rst);
    assert_false(yamux_stream_exists(&s->s, refused));
    uint32_t id = 0;
    assert_int_equal(yamux_open(&s->s, &id), -1); /* the table is full for us too */
    buf_free(&in);
    peer_free(s);
}

static void test_data_beyond_the_receive_window_is_a_protocol_error(void **state) {
    (void)state;
    peer *s = peer_new(false);
    buf in;
    buf_init(&in, 1u << 20);
    size_t first = 100000;
    uint8_t *zeros = calloc(1, first);
    assert_non_null(zeros);
    frame(&in, YAMUX_TYPE_DATA, YAMUX_FLAG_SYN, 1, (uint32_t)first);
    assert_int_equal(buf_append(&in, zeros, first), 0);
    assert_int_equal(feed_buf(s, &in), 0);
    buf_clear(&s->s.out);
    /* Only the header: it must be refused before any payload is taken. */
    frame(&in, YAMUX_TYPE_DATA, 0, 1, (uint32_t)(YAMUX_INITIAL_WINDOW - first + 1));
    assert_protocol_error(s, feed_buf(s, &in));
    assert_int_equal(s->s.out.len, YAMUX_HEADER_BYTES);
    free(zeros);
    buf_free(&in);
    peer_free(s);
}

static void test_data_frame_larger_than_any_window_is_a_protocol_error(void **state) {
    (void)state;
    peer *s = peer_new(false);
    buf in;
    buf_init(&in, 64);
    frame(&in, YAMUX_TYPE_DATA, 0, 99, YAMUX_INITIAL_WINDOW + 1); /* unknown stream, still too big */
    assert_protocol_error(s, feed_buf(s, &in));
    buf_free(&in);
    peer_free(s);
}

static void test_bad_version_is_a_protocol_error(void **state) {
    (void)state;
    peer *s = peer_new(false);
    static const uint8_t bad[] = {1, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_protocol_error(s, yamux_feed(&s->s, bad, sizeof bad));
    assert_string_equal(s->s.error, "unsupported yamux version");
    peer_free(s);
}

static void test_unknown_type_is_a_protocol_error(void **state) {
    (void)state;
    peer *s = peer_new(false);
    static const uint8_t bad[] = {0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_protocol_error(s, yamux_feed(&s->s, bad, sizeof bad));
    assert_string_equal(s->s.error, "unknown frame type");
    peer_free(s);
}

static void test_syn_with_our_parity_is_a_protocol_error(void **state) {
    (void)state;
    peer *s = peer_new(false);
    buf in;
    buf_init(&in, 64);
    frame(&in, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 2, 0);
    assert_protocol_error(s, feed_buf(s, &in));
    buf_free(&in);
    peer_free(s);
}

static void test_syn_reusing_a_stream_id_is_a_protocol_error(void **state) {
    (void)state;
    peer *s = peer_new(false);
    buf in;
    buf_init(&in, 64);
    frame(&in, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 5, 0);
    frame(&in, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 3, 0);
    assert_protocol_error(s, feed_buf(s, &in));
    assert_int_equal(count_events(s, YAMUX_EVENT_STREAM_OPENED), 1);
    buf_free(&in);
    peer_free(s);
}

static void test_syn_and_ack_together_is_a_protocol_error(void **state) {
    (void)state;
    peer *s = peer_new(false);
    buf in;
    buf_init(&in, 64);
    frame(&in, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN | YAMUX_FLAG_ACK, 1, 0);
    assert_protocol_error(s, feed_buf(s, &in));
    buf_free(&in);
    peer_free(s);
}

static void test_window_update_overflowing_the_send_window_is_a_protocol_error(void **state) {
    (void)state;
    peer *s = peer_new(false);
    buf in;
    buf_init(&in, 64);
    frame(&in, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 1, UINT32_MAX - YAMUX_INITIAL_WINDOW);
    assert_int_equal(feed_buf(s, &in), 0); /* exactly UINT32_MAX is fine */
    frame(&in, YAMUX_TYPE_WINDOW_UPDATE, 0, 1, 1);
    assert_protocol_error(s, feed_buf(s, &in));
    assert_string_equal(s->s.error, "send window overflow");
    buf_free(&in);
    peer_free(s);
}

static void test_byte_by_byte_feeding_delivers_the_same_data(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    static const char message[] = "one byte at a time";
    assert_int_equal(yamux_write(&c->s, id, (const uint8_t *)message, sizeof message - 1), 0);
    assert_int_equal(yamux_close(&c->s, id), 0);
    static const uint8_t ping[] = {0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9};
    assert_int_equal(buf_append(&c->s.out, ping, sizeof ping), 0);
    for (size_t i = 0; i < c->s.out.len; i++) assert_int_equal(yamux_feed(&s->s, c->s.out.data + i, 1), 0);
    assert_int_equal(s->received_len, sizeof message - 1);
    assert_memory_equal(s->received, message, sizeof message - 1);
    assert_int_equal(s->kinds[0], YAMUX_EVENT_STREAM_OPENED);
    assert_int_equal(s->kinds[s->event_count - 1], YAMUX_EVENT_STREAM_FIN);
    static const uint8_t pong[] = {0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9};
    assert_memory_equal(s->s.out.data + s->s.out.len - sizeof pong, pong, sizeof pong);
    peer_free(c);
    peer_free(s);
}

static void test_callback_may_write_on_the_stream_it_is_told_about(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    s->echo_data = true;
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    assert_int_equal(yamux_write(&c->s, id, (const uint8_t *)"echo me", 7), 0);
    pump(c, s);
    assert_int_equal(c->received_len, 7);
    assert_memory_equal(c->received, "echo me", 7);
    peer_free(c);
    peer_free(s);
}

static void test_callback_may_reset_the_stream_mid_frame(void **state) {
    (void)state;
    peer *s = peer_new(false);
    s->reset_on_data = true;
    buf in;
    buf_init(&in, 64);
    frame(&in, YAMUX_TYPE_DATA, YAMUX_FLAG_SYN | YAMUX_FLAG_FIN, 1, 5);
    assert_int_equal(buf_append(&in, "hello", 5), 0);
    frame(&in, YAMUX_TYPE_DATA, 0, 1, 3); /* in flight before our RST arrived */
    assert_int_equal(buf_append(&in, "bye", 3), 0);
    /* Byte by byte, so the reset lands in the middle of the first payload. */
    for (size_t i = 0; i < in.len; i++) assert_int_equal(yamux_feed(&s->s, in.data + i, 1), 0);
    assert_int_equal(s->event_count, 2);
    assert_int_equal(s->kinds[0], YAMUX_EVENT_STREAM_OPENED);
    assert_int_equal(s->kinds[1], YAMUX_EVENT_DATA);
    assert_int_equal(s->lens[1], 1);
    assert_int_equal(s->s.stream_count, 0);
    static const uint8_t rst[] = {0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_memory_equal(s->s.out.data + s->s.out.len - sizeof rst, rst, sizeof rst);
    buf_free(&in);
    peer_free(s);
}

static void test_callback_may_open_a_stream(void **state) {
    (void)state;
    peer *c = peer_new(true);
    peer *s = peer_new(false);
    s->open_on_opened = true;
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    pump(c, s);
    assert_int_equal(s->opened_from_callback, 2);
    assert_int_equal(c->kinds[0], YAMUX_EVENT_STREAM_OPENED);
    assert_int_equal(c->ids[0], 2);
    assert_int_equal(c->s.stream_count, 2);
    peer_free(c);
    peer_free(s);
}

static void test_write_beyond_the_pending_limit_fails_without_sending(void **state) {
    (void)state;
    peer *c = peer_new(true);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    buf_clear(&c->s.out);
    size_t len = YAMUX_INITIAL_WINDOW + YAMUX_STREAM_PENDING_MAX + 1;
    uint8_t *bytes = calloc(1, len);
    assert_non_null(bytes);
    assert_int_equal(yamux_write(&c->s, id, bytes, len), -1);
    assert_int_equal(c->s.out.len, 0);
    assert_int_equal(yamux_write(&c->s, id, bytes, len - 1), 0); /* exactly fills the queue */
    assert_int_equal(yamux_write(&c->s, id, bytes, 1), -1);
    assert_null(c->s.error);
    free(bytes);
    peer_free(c);
}

/* Sums the payload of the Data frames in a sender's output. */
static size_t data_payload_in(const buf *out) {
    size_t total = 0;
    for (size_t at = 0; at + YAMUX_HEADER_BYTES <= out->len;) {
        const uint8_t *h = out->data + at;
        size_t length = ((size_t)h[8] << 24) | ((size_t)h[9] << 16) | ((size_t)h[10] << 8) | h[11];
        bool is_data = h[1] == YAMUX_TYPE_DATA;
        total += is_data ? length : 0;
        at += YAMUX_HEADER_BYTES + (is_data ? length : 0);
    }
    return total;
}

/* A router forwarding two of the largest messages in a row to a peer
 * whose window is spent queues both (the limit was once one message). */
static void test_two_largest_messages_queue_behind_a_spent_window(void **state) {
    (void)state;
    peer *c = peer_new(true);
    uint32_t id = 0;
    assert_int_equal(yamux_open(&c->s, &id), 0);
    size_t len = (1u << 20) + 4; /* NODE_STREAM_MESSAGE_MAX and its prefix */
    uint8_t *bytes = calloc(1, len);
    assert_non_null(bytes);
    assert_int_equal(yamux_write(&c->s, id, bytes, len), 0);
    assert_int_equal(yamux_write(&c->s, id, bytes, len), 0);
    assert_int_equal(data_payload_in(&c->s.out), YAMUX_INITIAL_WINDOW); /* the rest waits for the window */
    free(bytes);
    peer_free(c);
}

/* The streams of one session together queue at most
 * YAMUX_SESSION_PENDING_MAX beyond their windows: a peer that never opens
 * its windows cannot make us hold a stream limit for each stream. */
static void test_the_session_bounds_what_all_its_streams_queue(void **state) {
    (void)state;
    peer *c = peer_new(true);
    size_t per_stream = YAMUX_SESSION_PENDING_MAX / 2; /* within the stream limit */
    assert_true(per_stream <= YAMUX_STREAM_PENDING_MAX);
    uint8_t *bytes = calloc(1, YAMUX_INITIAL_WINDOW + per_stream);
    assert_non_null(bytes);
    uint32_t ids[3];
    for (size_t i = 0; i < 3; i++) assert_int_equal(yamux_open(&c->s, &ids[i]), 0);
    assert_int_equal(yamux_write(&c->s, ids[0], bytes, YAMUX_INITIAL_WINDOW + per_stream), 0);
    assert_int_equal(yamux_write(&c->s, ids[1], bytes, YAMUX_INITIAL_WINDOW + per_stream), 0);
    /* The session is full: the third stream gets its window, not a queue. */
    assert_int_equal(yamux_write(&c->s, ids[2], bytes, YAMUX_INITIAL_WINDOW + 1), -1);
    assert_int_equal(yamux_write(&c->s, ids[2], bytes, YAMUX_INITIAL_WINDOW), 0);
    /* A reset stream gives its queue back. */
    yamux_reset(&c->s, ids[0]);
    assert_int_equal(yamux_write(&c->s, ids[2], bytes, per_stream), 0);
    assert_null(c->s.error);
    free(bytes);
    peer_free(c);
}


static void test_writes_beyond_the_output_limit_wait_for_the_owner_to_drain(void **state) {
    (void)state;
    peer *c = peer_new(true);
    enum { STREAMS = 17 }; /* 17 windows of 256 KiB overfill 4 MiB of output */
    uint8_t *bytes = calloc(1, YAMUX_INITIAL_WINDOW);
    assert_non_null(bytes);
    uint32_t ids[STREAMS];
    for (size_t i = 0; i < STREAMS; i++) assert_int_equal(yamux_open(&c->s, &ids[i]), 0);
    for (size_t i = 0; i < STREAMS; i++) assert_int_equal(yamux_write(&c->s, ids[i], bytes, YAMUX_INITIAL_WINDOW), 0);
    size_t first = data_payload_in(&c->s.out);
    assert_true(first < (size_t)STREAMS * YAMUX_INITIAL_WINDOW);
    assert_true(c->s.out.len <= 4u * 1024u * 1024u + STREAMS * YAMUX_HEADER_BYTES);
    buf_clear(&c->s.out); /* the owner drains; the next call sends the rest */
    assert_int_equal(yamux_feed(&c->s, NULL, 0), 0);
    assert_int_equal(first + data_payload_in(&c->s.out), (size_t)STREAMS * YAMUX_INITIAL_WINDOW);
    free(bytes);
    peer_free(c);
}

static void test_control_frames_beyond_the_output_reserve_fail_the_session(void **state) {
    (void)state;
    peer *c = peer_new(true);
    enum { STREAMS = 17, PINGS = 30000 }; /* 30000 pongs overfill the control reserve */
    uint8_t *bytes = calloc(1, YAMUX_INITIAL_WINDOW);
    assert_non_null(bytes);
    for (size_t i = 0; i < STREAMS; i++) {
        uint32_t id = 0;
        assert_int_equal(yamux_open(&c->s, &id), 0);
        assert_int_equal(yamux_write(&c->s, id, bytes, YAMUX_INITIAL_WINDOW), 0);
    }
    buf pings;
    buf_init(&pings, PINGS * YAMUX_HEADER_BYTES);
    for (size_t i = 0; i < PINGS; i++) frame(&pings, YAMUX_TYPE_PING, YAMUX_FLAG_SYN, 0, (uint32_t)i);
    assert_int_equal(feed_buf(c, &pings), -1);
    assert_string_equal(c->s.error, "output buffer full");
    static const uint8_t go_away_internal_error[] = {0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    assert_memory_equal(c->s.out.data + c->s.out.len - YAMUX_HEADER_BYTES, go_away_internal_error,
                        YAMUX_HEADER_BYTES);
    assert_true(c->s.out.len <= c->s.out.limit);
    buf_free(&pings);
    free(bytes);
    peer_free(c);
}

static void test_ping_with_bad_flags_is_a_protocol_error(void **state) {
    (void)state;
    peer *s = peer_new(false);
    static const uint8_t bad[] = {0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1};
    assert_protocol_error(s, yamux_feed(&s->s, bad, sizeof bad));
    peer_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_sends_window_update_with_syn),
        cmocka_unit_test(test_server_opens_even_stream_ids),
        cmocka_unit_test(test_accepting_a_syn_replies_ack_and_reports_stream_opened),
        cmocka_unit_test(test_data_frame_carries_the_bytes_after_a_header),
        cmocka_unit_test(test_data_flows_both_ways),
        cmocka_unit_test(test_write_on_unknown_stream_fails),
        cmocka_unit_test(test_large_writes_are_split_into_64k_frames),
        cmocka_unit_test(test_window_exhaustion_queues_bytes_until_a_window_update),
        cmocka_unit_test(test_receiver_replenishes_the_window_after_half_is_delivered),
        cmocka_unit_test(test_half_close_both_ways_closes_the_stream),
        cmocka_unit_test(test_close_from_the_fin_callback_reports_closed_after_fin),
        cmocka_unit_test(test_fin_waits_for_queued_bytes),
        cmocka_unit_test(test_reset_reports_stream_reset_and_forgets_the_stream),
        cmocka_unit_test(test_data_for_a_reset_stream_is_ignored),
        cmocka_unit_test(test_ping_is_answered_with_the_same_opaque_value),
        cmocka_unit_test(test_go_away_is_reported_and_blocks_new_streams),
        cmocka_unit_test(test_syn_after_our_go_away_is_refused_with_rst),
        cmocka_unit_test(test_syn_beyond_the_stream_limit_is_refused_with_rst),
        cmocka_unit_test(test_data_beyond_the_receive_window_is_a_protocol_error),
        cmocka_unit_test(test_data_frame_larger_than_any_window_is_a_protocol_error),
        cmocka_unit_test(test_bad_version_is_a_protocol_error),
        cmocka_unit_test(test_unknown_type_is_a_protocol_error),
        cmocka_unit_test(test_syn_with_our_parity_is_a_protocol_error),
        cmocka_unit_test(test_syn_reusing_a_stream_id_is_a_protocol_error),
        cmocka_unit_test(test_syn_and_ack_together_is_a_protocol_error),
        cmocka_unit_test(test_window_update_overflowing_the_send_window_is_a_protocol_error),
        cmocka_unit_test(test_byte_by_byte_feeding_delivers_the_same_data),
        cmocka_unit_test(test_callback_may_write_on_the_stream_it_is_told_about),
        cmocka_unit_test(test_callback_may_reset_the_stream_mid_frame),
        cmocka_unit_test(test_callback_may_open_a_stream),
        cmocka_unit_test(test_write_beyond_the_pending_limit_fails_without_sending),
        cmocka_unit_test(test_two_largest_messages_queue_behind_a_spent_window),
        cmocka_unit_test(test_the_session_bounds_what_all_its_streams_queue),
        cmocka_unit_test(test_writes_beyond_the_output_limit_wait_for_the_owner_to_drain),
        cmocka_unit_test(test_control_frames_beyond_the_output_reserve_fail_the_session),
        cmocka_unit_test(test_ping_with_bad_flags_is_a_protocol_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
