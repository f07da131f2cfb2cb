/*
 * trace_json: a trace event as a JSON line (see trace_json.h).
 *
 * Keys come in a fixed order: t, node, event, msg_id, topic, peer, size,
 * payload_bytes, message_count, ihave_ids, iwant_ids, idontwant_ids,
 * grafts, prunes, control_bytes, score, reason, protocol. A string field is
 * written when it is present (non-NULL), a number when it is not zero, size
 * always for message and RPC events and score always for peer_score, so
 * that reading a line back gives an event equal field by field to the one
 * written (and with the same digest) whenever its strings are UTF-8 (other
 * bytes read back as U+FFFD: JSON holds text, not bytes). score is the one
 * real number: written with the fewest digits that read back as the same
 * double (base/json.h), and when it is -0 too, since the digest tells -0
 * from 0.
 */
#include "trace_json.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "base/json.h"
#include "crypto/identity.h"

#define TRACE_JSON_HEX_DIGITS "0123456789abcdef"

static bool trace_json_kind_has_size(trace_kind kind) {
    switch (kind) {
    case TRACE_PUBLISH_MESSAGE:
    case TRACE_DELIVER_MESSAGE:
    case TRACE_DUPLICATE_MESSAGE:
    case TRACE_REJECT_MESSAGE:
    case TRACE_SEND_RPC:
    case TRACE_RECV_RPC:
    case TRACE_DROP_RPC:
        return true;
    default:
        return false;
    }
}

/* A line under construction; failed is sticky, checked once at the end. */
typedef struct json_line {
    buf *out;
    bool failed;
    bool has_key; /* a key was written: the next one needs a comma */
} json_line;

static void line_put(json_line *l, const char *text, size_t len) {
    if (buf_append(l->out, text, len) != 0) l->failed = true;
}

static void line_put_literal(json_line *l, const char *text) { line_put(l, text, strlen(text)); }

static void line_put_key(json_line *l, const char *key) {
    line_put_literal(l, l->has_key ? ",\"" : "\"");
    line_put_literal(l, key);
    line_put_literal(l, "\":");
    l->has_key = true;
}

static void line_put_u64(json_line *l, const char *key, uint64_t value) {
    line_put_key(l, key);
    if (json_put_u64(l->out, value) != 0) l->failed = true;
}

static void line_put_real(json_line *l, const char *key, double value) {
    assert(isfinite(value));
    line_put_key(l, key);
    if (json_put_real(l->out, value) != 0) l->failed = true;
}

static void line_put_string(json_line *l, const char *key, const char *value) {
    line_put_key(l, key);
    if (json_put_text(l->out, value) != 0) l->failed = true;
}

static void line_put_hex(json_line *l, const char *key, const uint8_t *bytes, size_t len) {
    line_put_key(l, key);
    line_put_literal(l, "\"");
    for (size_t i = 0; i < len; i++) {
        char pair[2] = {TRACE_JSON_HEX_DIGITS[bytes[i] >> 4], TRACE_JSON_HEX_DIGITS[bytes[i] & 0xf]};
        line_put(l, pair, 2);
    }
    line_put_literal(l, "\"");
}

/* A string field the reader can store: absent, or shorter than cap once
 * read back. */
static bool trace_json_text_fits(const char *text, size_t cap) {
    return text == NULL || json_string_read_back_len((const uint8_t *)text, strlen(text)) < cap;
}

/* Refuses what the reader could not store, so that every line written can
 * be read back. */
static bool trace_json_writable(const trace_event *e) {
    if (e->kind >= TRACE_KIND_COUNT) return false;
    if (e->msg_id != NULL && e->msg_id_len > TRACE_JSON_MSG_ID_MAX) return false;
    if (!trace_json_text_fits(e->topic, TRACE_JSON_TOPIC_MAX)) return false;
    if (!trace_json_text_fits(e->reason, TRACE_JSON_REASON_MAX)) return false;
    if (!trace_json_text_fits(e->protocol, TRACE_JSON_PROTOCOL_MAX)) return false;
    if (!isfinite(e->score)) return false; /* JSON has no NaN or infinity */
    return true;
}

/* score is written for peer_score, and elsewhere when its bits are not
 * those of +0 (so -0 too): the reader then rebuilds the same bits. */
static bool trace_json_has_score(const trace_event *e) {
    return e->kind == TRACE_PEER_SCORE || e->score != 0 || signbit(e->score);
}

/* The counts of an RPC's control part, each written when not zero. */
static void trace_json_format_control(json_line *l, const trace_event *e) {
    if (e->ihave_ids != 0) line_put_u64(l, "ihave_ids", e->ihave_ids);
    if (e->iwant_ids != 0) line_put_u64(l, "iwant_ids", e->iwant_ids);
    if (e->idontwant_ids != 0) line_put_u64(l, "idontwant_ids", e->idontwant_ids);
    if (e->grafts != 0) line_put_u64(l, "grafts", e->grafts);
    if (e->prunes != 0) line_put_u64(l, "prunes", e->prunes);
    if (e->control_bytes != 0) line_put_u64(l, "control_bytes", e->control_bytes);
}

static int trace_json_format_fields(json_line *l, const trace_event *e) {
    line_put_literal(l, "{");
    line_put_u64(l, "t", e->time_ns);
    line_put_u64(l, "node", e->node_index);
    line_put_string(l, "event", trace_kind_name(e->kind));
    if (e->msg_id != NULL && e->msg_id_len > 0) line_put_hex(l, "msg_id", e->msg_id, e->msg_id_len);
    if (e->topic != NULL) line_put_string(l, "topic", e->topic);
    if (e->peer != NULL && e->peer_len > 0) {
        peer_id id;
        char text[PEER_ID_TEXT_MAX];
        if (peer_id_from_bytes(e->peer, e->peer_len, &id) != 0) return -1;
        if (peer_id_to_text(&id, text, sizeof text) != 0) return -1;
        line_put_string(l, "peer", text);
    }
    if (e->size_bytes != 0 || trace_json_kind_has_size(e->kind)) line_put_u64(l, "size", e->size_bytes);
    if (e->payload_bytes != 0) line_put_u64(l, "payload_bytes", e->payload_bytes);
    if (e->message_count != 0) line_put_u64(l, "message_count", e->message_count);
    trace_json_format_control(l, e);
    if (trace_json_has_score(e)) line_put_real(l, "score", e->score);
    if (e->reason != NULL) line_put_string(l, "reason", e->reason);
    if (e->protocol != NULL) line_put_string(l, "protocol", e->protocol);
    line_put_literal(l, "}\n");
    return l->failed ? -1 : 0;
}

int trace_json_format(buf *out, const trace_event *event) {
    assert(out != NULL);
    assert(event != NULL);
    size_t start = out->len;
    json_line line = {.out = out, .failed = false, .has_key = false};
    if (!trace_json_writable(event) || trace_json_format_fields(&line, event) != 0 ||
        out->len - start >= TRACE_JSON_LINE_MAX) {
        buf_truncate(out, start); /* no half line */
        return -1;
    }
    assert(out->data[out->len - 1] == '\n');
    return 0;
}
