/*
 * test_trace_json: trace events as JSON lines (analysis/trace_json.h).
 * Writing then reading gives back every field of every kind, so metrics
 * and digests computed from a trace file equal those computed live; and the
 * reader refuses malformed lines with an error that says what is wrong and,
 * for a file, where.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/time_units.h"
#include "digest.h"
#include "crypto/identity.h"
#include "metrics.h"
#include "trace_json_read.h"

#define S NS_PER_S
#define MS NS_PER_MS
#define EVENTS_MAX 64

static peer_id test_peer(uint8_t n) {
    uint8_t seed[IDENTITY_SEED_BYTES] = {n, 0x77};
    identity id;
    identity_from_seed(&id, seed);
    peer_id peer;
    peer_id_from_public_key(id.public_key, &peer);
    identity_wipe(&id);
    return peer;
}

static const uint8_t sample_msg_id[] = {0x00, 0x24, 0x08, 0x01, 0x12, 0x20, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 9};

static trace_event full_event(trace_kind kind, const peer_id *peer) {
    return (trace_event){.kind = kind, .time_ns = 1500000000ull + kind, .node_index = 3u + kind,
                         .msg_id = sample_msg_id, .msg_id_len = sizeof sample_msg_id, .topic = "blocks",
                         .peer = peer->bytes, .peer_len = peer->len, .size_bytes = 1024u + kind,
                         .payload_bytes = 1000u + kind, .message_count = 2u + kind, .reason = "because",
                         .protocol = "/floodsub/1.0.0", .ihave_ids = 10u + kind, .iwant_ids = 20u + kind,
                         .idontwant_ids = 30u + kind, .grafts = 1u + kind, .prunes = 2u + kind,
                         .control_bytes = 400u + kind, .score = -1.0 / 3.0 + kind};
}

/* Formats e and writes its line to out, as the world and the daemon do;
 * 0, or -1 when the event has no line. */
static int write_event(FILE *out, const trace_event *e) {
    buf line;
    buf_init(&line, TRACE_JSON_LINE_MAX);
    int rc = trace_json_format(&line, e);
    if (rc == 0 && fwrite(line.data, 1, line.len, out) != line.len) rc = -1;
    buf_free(&line);
    return rc;
}

/* Writes e and returns the line, newline included (static storage). */
static const char *written_line(const trace_event *e) {
    static char line[TRACE_JSON_LINE_MAX + 1];
    FILE *out = fmemopen(line, sizeof line, "w");
    assert_non_null(out);
    assert_int_equal(write_event(out, e), 0);
    long len = ftell(out);
    fclose(out);
    line[len] = '\0';
    return line;
}

static void assert_same_string(const char *a, const char *b) {
    if (a == NULL || b == NULL) {
        assert_ptr_equal(a, b);
        return;
    }
    assert_string_equal(a, b);
}

static void assert_same_event(const trace_event *a, const trace_event *b) {
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->time_ns, b->time_ns);
    assert_int_equal(a->node_index, b->node_index);
    assert_int_equal(a->msg_id_len, b->msg_id_len);
    if (a->msg_id_len > 0) assert_memory_equal(a->msg_id, b->msg_id, a->msg_id_len);
    assert_int_equal(a->peer_len, b->peer_len);
    if (a->peer_len > 0) assert_memory_equal(a->peer, b->peer, a->peer_len);
    assert_same_string(a->topic, b->topic);
    assert_int_equal(a->size_bytes, b->size_bytes);
    assert_int_equal(a->payload_bytes, b->payload_bytes);
    assert_int_equal(a->message_count, b->message_count);
    assert_same_string(a->reason, b->reason);
    assert_same_string(a->protocol, b->protocol);
    assert_int_equal(a->ihave_ids, b->ihave_ids);
    assert_int_equal(a->iwant_ids, b->iwant_ids);
    assert_int_equal(a->idontwant_ids, b->idontwant_ids);
    assert_int_equal(a->grafts, b->grafts);
    assert_int_equal(a->prunes, b->prunes);
    assert_int_equal(a->control_bytes, b->control_bytes);
    assert_memory_equal(&a->score, &b->score, sizeof a->score); /* the same bits, -0 included */
}

/* Writes e, reads the line back into *back, and checks both agree. */
static void round_trip(const trace_event *e, trace_event *back, trace_json_storage *storage) {
    const char *error = "unset";
    assert_int_equal(trace_json_read(written_line(e), back, storage, &error), 0);
    assert_null(error);
    assert_same_event(e, back);
}

static void digest_one(const trace_event *e, char hex[DIGEST_HEX_BYTES]) {
    trace_digest d;
    trace_digest_init(&d);
    trace_digest_update(&d, e);
    trace_digest_final(&d, hex);
}

/* ---- writing and reading back ----------------------------------------- */

static void every_kind_round_trips_with_all_fields(void **state) {
    (void)state;
    peer_id peer = test_peer(1);
    for (int kind = 0; kind < TRACE_KIND_COUNT; kind++) {
        trace_event e = full_event((trace_kind)kind, &peer), back;
        trace_json_storage storage;
        const char *error = "unset";
        assert_int_equal(trace_json_read(written_line(&e), &back, &storage, &error), 0);
        assert_null(error);
        assert_same_event(&e, &back);
        char hex_written[DIGEST_HEX_BYTES], hex_read[DIGEST_HEX_BYTES];
        digest_one(&e, hex_written);
        digest_one(&back, hex_read);
        assert_string_equal(hex_written, hex_read);
    }
}

static void extreme_numbers_round_trip(void **state) {
    (void)state;
    trace_event e = {.kind = TRACE_RECV_RPC, .time_ns = UINT64_MAX, .node_index = UINT32_MAX,
                     .size_bytes = UINT64_MAX, .payload_bytes = UINT64_MAX - 1, .message_count = UINT32_MAX,
                     .ihave_ids = UINT32_MAX, .iwant_ids = UINT32_MAX - 1, .idontwant_ids = UINT32_MAX - 2,
                     .grafts = UINT32_MAX - 3, .prunes = UINT32_MAX - 4, .control_bytes = UINT64_MAX - 5};
    trace_event back;
    trace_json_storage storage;
    round_trip(&e, &back, &storage);
}

/* Every double the router could produce reads back with the same bits:
 * thirds and tenths, the extremes, subnormals, both zeros. */
static void scores_round_trip_bit_for_bit(void **state) {
    (void)state;
    const double scores[] = {0.0, -0.0, 0.1, -1.0 / 3.0, 2.0 / 3.0, 1e-310, -DBL_MIN, DBL_MAX, -DBL_MAX,
                             DBL_TRUE_MIN, 123456.789, -1000.0, 5e-324 * 3};
    peer_id peer = test_peer(3);
    for (size_t i = 0; i < sizeof scores / sizeof scores[0]; i++) {
        trace_event e = {.kind = TRACE_PEER_SCORE, .time_ns = 5 * S, .node_index = 2, .peer = peer.bytes,
                         .peer_len = peer.len, .score = scores[i]}, back;
        trace_json_storage storage;
        round_trip(&e, &back, &storage);
    }
}

static void a_peer_score_line_has_the_documented_shape(void **state) {
    (void)state;
    peer_id peer = test_peer(4);
    char peer_text[PEER_ID_TEXT_MAX], expected[TRACE_JSON_LINE_MAX];
    assert_int_equal(peer_id_to_text(&peer, peer_text, sizeof peer_text), 0);
    trace_event e = {.kind = TRACE_PEER_SCORE, .time_ns = 5000000000, .node_index = 2, .peer = peer.bytes,
                     .peer_len = peer.len, .score = -3.25};
    snprintf(expected, sizeof expected,
             "{\"t\":5000000000,\"node\":2,\"event\":\"peer_score\",\"peer\":\"%s\",\"score\":-3.25}\n", peer_text);
    assert_string_equal(written_line(&e), expected);
    e.score = 0.1; /* the shortest text that reads back, not 0.10000000000000001 */
    snprintf(expected, sizeof expected,
             "{\"t\":5000000000,\"node\":2,\"event\":\"peer_score\",\"peer\":\"%s\",\"score\":0.1}\n", peer_text);
    assert_string_equal(written_line(&e), expected);
}

/* A zero score is a score: peer_score always says it. Elsewhere a zero
 * score is no score and is left out. */
static void a_zero_score_is_written_only_for_peer_score(void **state) {
    (void)state;
    trace_event score = {.kind = TRACE_PEER_SCORE, .time_ns = 1, .node_index = 0};
    assert_string_equal(written_line(&score), "{\"t\":1,\"node\":0,\"event\":\"peer_score\",\"score\":0}\n");
    trace_event leave = {.kind = TRACE_LEAVE, .time_ns = 1, .node_index = 0, .topic = "x"};
    assert_string_equal(written_line(&leave), "{\"t\":1,\"node\":0,\"event\":\"leave\",\"topic\":\"x\"}\n");
}

static void control_counts_follow_message_count_and_zeros_are_left_out(void **state) {
    (void)state;
    trace_event e = {.kind = TRACE_SEND_RPC, .time_ns = 7, .node_index = 1, .size_bytes = 300,
                     .payload_bytes = 100, .message_count = 1, .ihave_ids = 12, .iwant_ids = 0,
                     .idontwant_ids = 3, .grafts = 1, .prunes = 0, .control_bytes = 180};
    assert_string_equal(written_line(&e), "{\"t\":7,\"node\":1,\"event\":\"send_rpc\",\"size\":300,"
                                          "\"payload_bytes\":100,\"message_count\":1,\"ihave_ids\":12,"
                                          "\"idontwant_ids\":3,\"grafts\":1,\"control_bytes\":180}\n");
    trace_event back;
    trace_json_storage storage;
    round_trip(&e, &back, &storage);
}

/* JSON numbers other writers may use for a score: integers, exponents. */
static void the_reader_takes_any_json_number_as_a_score(void **state) {
    (void)state;
    const char *texts[] = {"3", "-7", "-1.5e-3", "2E+2", "0.0", "-0"};
    const double values[] = {3.0, -7.0, -0.0015, 200.0, 0.0, -0.0};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char line[128];
        snprintf(line, sizeof line, "{\"t\":1,\"node\":0,\"event\":\"peer_score\",\"score\":%s}", texts[i]);
        trace_event back;
        trace_json_storage storage;
        const char *error;
        assert_int_equal(trace_json_read(line, &back, &storage, &error), 0);
        assert_memory_equal(&back.score, &values[i], sizeof values[i]);
    }
}

static void a_line_has_the_documented_shape(void **state) {
    (void)state;
    peer_id peer = test_peer(2);
    char peer_text[PEER_ID_TEXT_MAX], expected[TRACE_JSON_LINE_MAX];
    assert_int_equal(peer_id_to_text(&peer, peer_text, sizeof peer_text), 0);
    trace_event e = {.kind = TRACE_DELIVER_MESSAGE, .time_ns = 1500000000, .node_index = 3,
                     .msg_id = sample_msg_id, .msg_id_len = 4, .topic = "blocks", .peer = peer.bytes,
                     .peer_len = peer.len, .size_bytes = 1024};
    snprintf(expected, sizeof expected,
             "{\"t\":1500000000,\"node\":3,\"event\":\"deliver_message\",\"msg_id\":\"00240801\","
             "\"topic\":\"blocks\",\"peer\":\"%s\",\"size\":1024}\n",
             peer_text);
    assert_string_equal(written_line(&e), expected);
    assert_memory_equal(peer_text, "12D3KooW", 8);
}

static void keys_that_do_not_apply_are_left_out(void **state) {
    (void)state;
    trace_event down = {.kind = TRACE_NODE_DOWN, .time_ns = 5, .node_index = 1};
    assert_string_equal(written_line(&down), "{\"t\":5,\"node\":1,\"event\":\"node_down\"}\n");
    trace_event empty_message = {.kind = TRACE_PUBLISH_MESSAGE, .time_ns = 0, .node_index = 0};
    assert_string_equal(written_line(&empty_message), "{\"t\":0,\"node\":0,\"event\":\"publish_message\",\"size\":0}\n");
    trace_event back;
    trace_json_storage storage;
    const char *error;
    assert_int_equal(trace_json_read(written_line(&down), &back, &storage, &error), 0);
    assert_same_event(&down, &back);
    assert_null(back.topic);
    assert_null(back.peer);
}

static void strings_are_escaped_and_read_back_unchanged(void **state) {
    (void)state;
    const char *topic = "a\"b\\c\nd\te\x01" "f \xc3\xa9/";
    trace_event e = {.kind = TRACE_JOIN, .time_ns = 1, .node_index = 2, .topic = topic, .reason = "\x1f"};
    const char *line = written_line(&e);
    assert_string_equal(line, "{\"t\":1,\"node\":2,\"event\":\"join\",\"topic\":\"a\\\"b\\\\c\\u000ad\\u0009e\\u0001f \xc3\xa9/\","
                              "\"reason\":\"\\u001f\"}\n");
    trace_event back;
    trace_json_storage storage;
    const char *error;
    assert_int_equal(trace_json_read(line, &back, &storage, &error), 0);
    assert_same_event(&e, &back);
}

static void the_reader_decodes_every_json_escape(void **state) {
    (void)state;
    const char *line = "  { \"t\" : 7 , \"node\":0,\"event\":\"leave\","
                       "\"topic\":\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\r\\u0041\" }\r\n";
    trace_event back;
    trace_json_storage storage;
    const char *error;
    assert_int_equal(trace_json_read(line, &back, &storage, &error), 0);
    assert_int_equal(back.kind, TRACE_LEAVE);
    assert_int_equal(back.time_ns, 7);
    assert_string_equal(back.topic, "\xc3\xa9\xf0\x9f\x98\x80/\b\f\rA");
}

static void the_writer_refuses_what_it_could_not_read_back(void **state) {
    (void)state;
    static const uint8_t not_a_peer[] = {0x99, 0x01, 0x02};
    static char long_topic[300];
    memset(long_topic, 't', sizeof long_topic - 1);
    trace_event bad_peer = {.kind = TRACE_ADD_PEER, .peer = not_a_peer, .peer_len = sizeof not_a_peer};
    trace_event bad_topic = {.kind = TRACE_JOIN, .topic = long_topic};
    trace_event nan_score = {.kind = TRACE_PEER_SCORE, .score = NAN};
    trace_event infinite_score = {.kind = TRACE_PEER_SCORE, .score = -INFINITY};
    char buffer[64];
    FILE *out = fmemopen(buffer, sizeof buffer, "w");
    assert_non_null(out);
    assert_int_equal(write_event(out, &bad_peer), -1);
    assert_int_equal(write_event(out, &bad_topic), -1);
    assert_int_equal(write_event(out, &nan_score), -1);
    assert_int_equal(write_event(out, &infinite_score), -1);
    assert_int_equal(ftell(out), 0); /* nothing half-written */
    fclose(out);
}

/* ---- malformed lines -------------------------------------------------- */

typedef struct bad_line {
    const char *line;
    const char *error;
} bad_line;

static const bad_line bad_lines[] = {
    {"", "expected '{'"},
    {"[1]", "expected '{'"},
    {"{", "expected a key"},
    {"{\"t\":1,\"node\":2}", "missing \"event\""},
    {"{\"node\":2,\"event\":\"join\"}", "missing \"t\""},
    {"{\"t\":1,\"event\":\"join\"}", "missing \"node\""},
    {"{\"t\":1,\"node\":2,\"event\":\"bogus\"}", "unknown \"event\" name"},
    {"{\"t\":-1,\"node\":2,\"event\":\"join\"}", "numbers must be unsigned integers"},
    {"{\"t\":1.5,\"node\":2,\"event\":\"join\"}", "numbers must be unsigned integers"},
    {"{\"t\":1e3,\"node\":2,\"event\":\"join\"}", "numbers must be unsigned integers"},
    {"{\"t\":\"1\",\"node\":2,\"event\":\"join\"}", "\"t\" must be an unsigned integer"},
    {"{\"t\":1,\"node\":2,\"event\":3}", "\"event\" must be a string"},
    {"{\"t\":18446744073709551616,\"node\":2,\"event\":\"join\"}", "number out of range"},
    {"{\"t\":01,\"node\":2,\"event\":\"join\"}", "leading zero in a number"},
    {"{\"t\":1,\"t\":2,\"node\":2,\"event\":\"join\"}", "repeated key"},
    {"{\"x\":1}", "unknown key"},
    {"{\"t\":true}", "values must be strings or numbers"},
    {"{\"t\":-x}", "bad number"},
    {"{\"t\":1,\"node\":1,\"event\":\"peer_score\",\"score\":\"1\"}", "\"score\" must be a number"},
    {"{\"t\":1,\"node\":1,\"event\":\"peer_score\",\"score\":1e400}", "\"score\" out of range"},
    {"{\"t\":1,\"node\":1,\"event\":\"peer_score\",\"score\":1.}", "bad number"},
    {"{\"t\":1,\"node\":1,\"event\":\"peer_score\",\"score\":1e}", "bad number"},
    {"{\"t\":1,\"node\":1,\"event\":\"peer_score\",\"score\":.5}", "values must be strings or numbers"},
    {"{\"t\":1,\"node\":1,\"event\":\"peer_score\",\"score\":-01}", "leading zero in a number"},
    {"{\"t\":1,\"node\":1,\"event\":\"peer_score\",\"score\":0x10}", "expected ',' or '}'"},
    {"{\"t\":1,\"node\":1,\"event\":\"send_rpc\",\"grafts\":4294967296}", "\"grafts\" out of range"},
    {"{\"t\":1,\"node\":1,\"event\":\"send_rpc\",\"ihave_ids\":1.5}", "numbers must be unsigned integers"},
    {"{\"t\":1,\"node\":1,\"event\":\"send_rpc\",\"control_bytes\":\"9\"}", "\"control_bytes\" must be an unsigned integer"},
    {"{\"t\":1,\"node\":4294967296,\"event\":\"join\"}", "\"node\" out of range"},
    {"{\"t\":1,\"node\":1,\"event\":\"send_rpc\",\"message_count\":4294967296}", "\"message_count\" out of range"},
    {"{\"t\":1,\"node\":2,\"event\":\"join\"} x", "bytes after the object"},
    {"{\"t\":1,\"node\":2,\"event\":\"join\"}{}", "bytes after the object"},
    {"{\"t\":1,\"node\":2,\"event\":\"join", "unterminated string"},
    {"{\"t\":1 \"node\":2}", "expected ',' or '}'"},
    {"{\"t\" 1}", "expected ':' after a key"},
    {"{\"t\":1,}", "expected a key"},
    {"{\"t\":1,\"node\":1,\"event\":\"deliver_message\",\"msg_id\":\"abc\"}", "bad \"msg_id\": expected hex, at most 128 bytes"},
    {"{\"t\":1,\"node\":1,\"event\":\"deliver_message\",\"msg_id\":\"zz\"}", "bad \"msg_id\": expected hex, at most 128 bytes"},
    {"{\"t\":1,\"node\":1,\"event\":\"add_peer\",\"peer\":\"notapeer\"}", "bad \"peer\": expected a peer id"},
    {"{\"t\":1,\"node\":1,\"event\":\"join\",\"topic\":\"a\\u0000b\"}", "\\u0000 in a string"},
    {"{\"t\":1,\"node\":1,\"event\":\"join\",\"topic\":\"\\ud800\"}", "lone high surrogate in a string"},
    {"{\"t\":1,\"node\":1,\"event\":\"join\",\"topic\":\"\\udc00\"}", "lone low surrogate in a string"},
    {"{\"t\":1,\"node\":1,\"event\":\"join\",\"topic\":\"\\u12\"}", "bad \\u escape in a string"},
    {"{\"t\":1,\"node\":1,\"event\":\"join\",\"topic\":\"\\x\"}", "bad escape in a string"},
    {"{\"t\":1,\"node\":1,\"event\":\"join\",\"topic\":\"a\tb\"}", "control character in a string"},
};

static void malformed_lines_are_rejected_with_a_reason(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        trace_event back;
        trace_json_storage storage;
        const char *error = NULL;
        assert_int_equal(trace_json_read(bad_lines[i].line, &back, &storage, &error), -1);
        assert_non_null(error);
        assert_string_equal(error, bad_lines[i].error);
        assert_int_equal(back.kind, 0); /* nothing half-read */
        assert_null(back.topic);
    }
}

static void overlong_fields_and_lines_are_rejected(void **state) {
    (void)state;
    static char line[TRACE_JSON_LINE_MAX + 64];
    trace_event back;
    trace_json_storage storage;
    const char *error;
    int n = snprintf(line, sizeof line, "{\"t\":1,\"node\":1,\"event\":\"join\",\"topic\":\"");
    memset(line + n, 'x', 300);
    strcpy(line + n + 300, "\"}");
    assert_int_equal(trace_json_read(line, &back, &storage, &error), -1);
    assert_string_equal(error, "\"topic\" too long");
    memset(line + n, 'x', TRACE_JSON_LINE_MAX);
    strcpy(line + n + TRACE_JSON_LINE_MAX, "\"}");
    assert_int_equal(trace_json_read(line, &back, &storage, &error), -1);
    assert_string_equal(error, "line too long");
}

/* ---- files ------------------------------------------------------------ */

typedef struct collected {
    size_t count;
    trace_kind kinds[EVENTS_MAX];
    uint64_t times[EVENTS_MAX];
    metrics *m;
    trace_digest digest;
} collected;

static void collect(void *user, const trace_event *e) {
    collected *c = user;
    assert_true(c->count < EVENTS_MAX);
    c->kinds[c->count] = e->kind;
    c->times[c->count++] = e->time_ns;
    if (c->m != NULL) metrics_on_event(c->m, e);
    trace_digest_update(&c->digest, e);
}

static void temp_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "/tmp/swarmlab-test-trace-json-%ld-%s", (long)getpid(), name);
}

static void write_text(const char *path, const char *text) {
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

static void read_file_feeds_every_event_in_order(void **state) {
    (void)state;
    char path[256], err[512];
    temp_path(path, sizeof path, "ok.jsonl");
    write_text(path, "{\"t\":1,\"node\":0,\"event\":\"node_up\"}\n"
                     "\n"
                     "{\"t\":2,\"node\":0,\"event\":\"join\",\"topic\":\"blocks\"}\n"
                     "{\"t\":3,\"node\":1,\"event\":\"node_down\"}"); /* no final newline */
    collected c = {.count = 0, .m = NULL};
    trace_digest_init(&c.digest);
    assert_int_equal(trace_json_read_file(path, collect, &c, err, sizeof err), 3);
    assert_int_equal(c.count, 3);
    assert_int_equal(c.kinds[0], TRACE_NODE_UP);
    assert_int_equal(c.kinds[1], TRACE_JOIN);
    assert_int_equal(c.kinds[2], TRACE_NODE_DOWN);
    assert_int_equal(c.times[2], 3);
    unlink(path);
}

static void read_file_names_the_file_and_line_of_a_bad_line(void **state) {
    (void)state;
    char path[256], err[512], expected[600];
    temp_path(path, sizeof path, "bad.jsonl");
    write_text(path, "{\"t\":1,\"node\":0,\"event\":\"node_up\"}\n"
                     "{\"t\":2,\"node\":0,\"event\":\"join\",\"topic\":\"blocks\"}\n"
                     "{\"t\":3,\"node\":1,\"event\":\"node_dwn\"}\n");
    collected c = {.count = 0, .m = NULL};
    trace_digest_init(&c.digest);
    assert_int_equal(trace_json_read_file(path, collect, &c, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s:3: unknown \"event\" name", path);
    assert_string_equal(err, expected);
    assert_int_equal(c.count, 2);
    unlink(path);
}

static void read_file_rejects_an_overlong_line(void **state) {
    (void)state;
    char path[256], err[512], expected[600];
    static char text[TRACE_JSON_LINE_MAX * 2];
    temp_path(path, sizeof path, "long.jsonl");
    memset(text, ' ', sizeof text - 2);
    text[sizeof text - 2] = '\n';
    write_text(path, text);
    collected c = {.count = 0, .m = NULL};
    trace_digest_init(&c.digest);
    assert_int_equal(trace_json_read_file(path, collect, &c, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s:1: line too long", path);
    assert_string_equal(err, expected);
    unlink(path);
}

static void read_file_of_a_missing_file_says_so(void **state) {
    (void)state;
    char err[512];
    collected c = {.count = 0, .m = NULL};
    assert_int_equal(trace_json_read_file("/nonexistent/trace.jsonl", collect, &c, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/trace.jsonl: No such file or directory");
}

/* A small run: three nodes, one message, a late delivery, rpc traffic with
 * a control part, and scores. */
static size_t sample_run(trace_event *events, const peer_id *peers) {
    size_t n = 0;
    for (uint32_t i = 0; i < 3; i++) {
        events[n++] = (trace_event){.kind = TRACE_NODE_UP, .node_index = i, .peer = peers[i].bytes,
                                    .peer_len = peers[i].len};
        events[n++] = (trace_event){.kind = TRACE_JOIN, .node_index = i, .topic = "blocks"};
    }
    events[n++] = (trace_event){.kind = TRACE_ADD_PEER, .time_ns = 1 * MS, .node_index = 0, .peer = peers[1].bytes,
                                .peer_len = peers[1].len, .protocol = "/floodsub/1.0.0"};
    /* Node 1 gets the message in 20 ms and a copy later; node 2 only after
     * the 10 s deadline. */
    const trace_kind kinds[] = {TRACE_PUBLISH_MESSAGE, TRACE_DELIVER_MESSAGE, TRACE_DUPLICATE_MESSAGE,
                                TRACE_DELIVER_MESSAGE};
    const uint64_t times[] = {1 * S, 1 * S + 20 * MS, 1 * S + 50 * MS, 12 * S};
    const uint32_t nodes[] = {0, 1, 1, 2};
    const int from[] = {-1, 0, 0, 1};
    for (size_t k = 0; k < 4; k++) {
        trace_event e = {.kind = kinds[k], .time_ns = times[k], .node_index = nodes[k], .msg_id = sample_msg_id,
                         .msg_id_len = sizeof sample_msg_id, .topic = "blocks", .size_bytes = 512};
        if (from[k] >= 0) {
            e.peer = peers[from[k]].bytes;
            e.peer_len = peers[from[k]].len;
        }
        events[n++] = e;
    }
    events[n++] = (trace_event){.kind = TRACE_SEND_RPC, .time_ns = 12 * S, .node_index = 1, .peer = peers[2].bytes,
                                .peer_len = peers[2].len, .size_bytes = 600, .payload_bytes = 512, .message_count = 1,
                                .ihave_ids = 3, .iwant_ids = 2, .idontwant_ids = 1, .grafts = 1, .prunes = 1,
                                .control_bytes = 70};
    for (uint32_t i = 0; i < 3; i++)
        events[n++] = (trace_event){.kind = TRACE_PEER_SCORE, .time_ns = 13 * S, .node_index = i,
                                    .peer = peers[(i + 1) % 3].bytes, .peer_len = peers[(i + 1) % 3].len,
                                    .score = 0.1 * i - 1.0 / 3.0};
    events[n++] = (trace_event){.kind = TRACE_NODE_DOWN, .time_ns = 15 * S, .node_index = 2};
    assert_true(n <= EVENTS_MAX);
    return n;
}

static void metrics_and_digest_from_a_trace_file_equal_those_computed_live(void **state) {
    (void)state;
    peer_id peers[3] = {test_peer(10), test_peer(11), test_peer(12)};
    trace_event events[EVENTS_MAX];
    size_t count = sample_run(events, peers);
    metrics_config config = {.node_count = 3, .honest_count = 3, .deadline_ns = 10 * S, .sample_ns = 1 * S,
                             .duration_ns = 30 * S};
    collected live = {.count = 0, .m = metrics_create(&config)}, replay = {.count = 0, .m = metrics_create(&config)};
    trace_digest_init(&live.digest);
    trace_digest_init(&replay.digest);
    char path[256], err[512];
    temp_path(path, sizeof path, "run.jsonl");
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    for (size_t i = 0; i < count; i++) {
        collect(&live, &events[i]);
        assert_int_equal(write_event(out, &events[i]), 0);
    }
    fclose(out);
    assert_int_equal(trace_json_read_file(path, collect, &replay, err, sizeof err), (long)count);
    char hex_live[DIGEST_HEX_BYTES], hex_replay[DIGEST_HEX_BYTES];
    trace_digest_final(&live.digest, hex_live);
    trace_digest_final(&replay.digest, hex_replay);
    assert_string_equal(hex_live, hex_replay);
    metrics_summary a, b;
    metrics_finish(live.m, 30 * S);
    metrics_finish(replay.m, 30 * S);
    metrics_get_summary(live.m, &a);
    metrics_get_summary(replay.m, &b);
    assert_int_equal(a.delivered_pairs, 1); /* node 2's delivery is late */
    assert_int_equal(a.eligible_pairs, 2);
    assert_int_equal(a.events, b.events);
    assert_int_equal(a.delivered_pairs, b.delivered_pairs);
    assert_int_equal(a.duplicates, b.duplicates);
    assert_int_equal(a.bytes_sent, b.bytes_sent);
    assert_int_equal(a.hops_max, b.hops_max);
    assert_true(a.latency_ms_p50 == b.latency_ms_p50);
    assert_true(a.latency_ms_max == b.latency_ms_max);
    assert_true(a.hops_mean == b.hops_mean);
    assert_true(a.bandwidth_bytes_per_node_per_s == b.bandwidth_bytes_per_node_per_s);
    assert_true(a.amplification == b.amplification);
    assert_int_equal(a.control_bytes_sent, 70);
    assert_int_equal(a.control_bytes_sent, b.control_bytes_sent);
    assert_int_equal(a.ihave_ids_sent, b.ihave_ids_sent);
    assert_int_equal(a.iwant_ids_sent, b.iwant_ids_sent);
    assert_int_equal(a.score_samples, 3);
    assert_int_equal(a.score_samples, b.score_samples);
    assert_true(a.score_p50 == b.score_p50);
    assert_true(a.score_min == b.score_min);
    metrics_destroy(live.m);
    metrics_destroy(replay.m);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_round_trips_with_all_fields),
        cmocka_unit_test(extreme_numbers_round_trip),
        cmocka_unit_test(scores_round_trip_bit_for_bit),
        cmocka_unit_test(a_line_has_the_documented_shape),
        cmocka_unit_test(a_peer_score_line_has_the_documented_shape),
        cmocka_unit_test(a_zero_score_is_written_only_for_peer_score),
        cmocka_unit_test(control_counts_follow_message_count_and_zeros_are_left_out),
        cmocka_unit_test(the_reader_takes_any_json_number_as_a_score),
        cmocka_unit_test(keys_that_do_not_apply_are_left_out),
        cmocka_unit_test(strings_are_escaped_and_read_back_unchanged),
        cmocka_unit_test(the_reader_decodes_every_json_escape),
        cmocka_unit_test(the_writer_refuses_what_it_could_not_read_back),
        cmocka_unit_test(malformed_lines_are_rejected_with_a_reason),
        cmocka_unit_test(overlong_fields_and_lines_are_rejected),
        cmocka_unit_test(read_file_feeds_every_event_in_order),
        cmocka_unit_test(read_file_names_the_file_and_line_of_a_bad_line),
        cmocka_unit_test(read_file_rejects_an_overlong_line),
        cmocka_unit_test(read_file_of_a_missing_file_says_so),
        cmocka_unit_test(metrics_and_digest_from_a_trace_file_equal_those_computed_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
