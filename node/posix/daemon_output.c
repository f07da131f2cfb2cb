/*
 * daemon_output: what swarmlab-node writes. Replies go as one text line to
 * standard output (for a person at a terminal or a pipe) or as one JSON
 * object per line to a control client; events (a delivered message, a chat
 * message, a peer coming or going) go to standard output and to the control
 * clients that asked for them with `watch`.
 *
 * Text from the network is hostile: in JSON it is escaped (invalid UTF-8
 * becomes U+FFFD), and on standard output control characters become '?',
 * so that a peer cannot drive the reader's terminal with escape sequences.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "daemon_control.h"
#include "daemon_output.h"

#define OUTPUT_FORMAT_MAX 256 /* one formatted piece: a peer id and a number */

/* ---- building a line -------------------------------------------------- */

/* Appends fail only past DAEMON_OUTPUT_MAX, which no bounded input reaches
 * (a 1 MiB message escapes to at most 6 MiB). */
static void out_bytes(buf *b, const void *bytes, size_t len) { (void)buf_append(b, bytes, len); }
static void out_str(buf *b, const char *s) { out_bytes(b, s, strlen(s)); }

static void out_fmt(buf *b, const char *fmt, ...) {
    char text[OUTPUT_FORMAT_MAX];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (len > 0) out_bytes(b, text, (size_t)len < sizeof text ? (size_t)len : sizeof text - 1);
}

/* JSON strings: base/json.h's escaping (invalid UTF-8 becomes U+FFFD). */
static void out_json_string(buf *b, const uint8_t *s, size_t len) { (void)json_put_string(b, s, len); }
static void out_json_text(buf *b, const char *s) { (void)json_put_text(b, s); }

/* Text for a terminal: control characters (C0, DEL, C1) and invalid UTF-8
 * become '?'. */
static void out_safe_text(buf *b, const uint8_t *s, size_t len) {
    size_t run = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] >= 0x20 && s[i] < 0x7f) {
            i++;
            continue;
        }
        size_t n = utf8_sequence_len(s + i, len - i);
        bool control = n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)) ||
                       (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0);
        if (!control) {
            i += n;
            continue;
        }
        out_bytes(b, s + run, i - run);
        out_str(b, "?");
        i += n > 0 ? n : 1;
        run = i;
    }
    out_bytes(b, s + run, len - run);
}

static void emit_stdout(buf *b) {
    out_str(b, "\n");
    fwrite(b->data, 1, b->len, stdout);
    /* A reader at the other end of a pipe sees the line at the end of this
     * turn of the loop (daemon_turn_end), with the turn's other lines. */
}

void daemon_turn_end(void *user) {
    daemon_state *d = user;
    fflush(stdout);
    daemon_control_flush_all(d);
}

/* ---- replies ---------------------------------------------------------- */

static void reply_text(buf *b, const daemon_reply *r) {
    if (!r->ok) {
        out_str(b, "error ");
        if (r->ping != NULL) out_fmt(b, "ping %.60s: ", r->ping);
        if (r->msg != NULL) out_fmt(b, "msg %.60s: ", r->msg);
        out_safe_text(b, (const uint8_t *)r->error, strlen(r->error));
        return;
    }
    if (r->cid != NULL && r->data != NULL) {
        out_str(b, "data ");
        out_safe_text(b, r->data, r->data_len);
        return;
    }
    if (r->cid != NULL) {
        out_fmt(b, "cid %.110s", r->cid);
        if (r->bytes >= 0) out_fmt(b, " bytes %lld", r->bytes);
        if (r->path != NULL) {
            out_str(b, " path ");
            out_safe_text(b, (const uint8_t *)r->path, strlen(r->path));
        }
        return;
    }
    if (r->id != NULL) out_fmt(b, "id %.60s", r->id);
    else if (r->ping != NULL) out_fmt(b, "ping %.60s rtt_ms %.3f", r->ping, r->rtt_ms);
    else if (r->msg != NULL) out_fmt(b, "msg %.60s sent", r->msg);
    else if (r->list_name != NULL) out_fmt(b, "%s %zu", r->list_name, r->item_count);
    else out_str(b, "ok");
    for (size_t i = 0; i < r->item_count; i++) {
        out_str(b, " ");
        out_str(b, r->items[i]);
    }
}

static void reply_json(buf *b, const daemon_reply *r) {
    out_str(b, r->ok ? "{\"ok\":true" : "{\"ok\":false");
    if (!r->ok) {
        out_str(b, ",\"error\":");
        out_json_text(b, r->error);
    }
    const char *keys[] = {"id", "ping", "msg", "cid", "path"};
    const char *values[] = {r->id, r->ping, r->msg, r->cid, r->path};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        if (values[k] == NULL) continue;
        out_fmt(b, ",\"%s\":", keys[k]);
        out_json_text(b, values[k]);
    }
    if (r->ok && r->ping != NULL) out_fmt(b, ",\"rtt_ms\":%.3f", r->rtt_ms);
    if (r->ok && r->cid != NULL && r->bytes >= 0) out_fmt(b, ",\"bytes\":%lld", r->bytes);
    if (r->ok && r->data != NULL) {
        out_str(b, ",\"data\":");
        out_json_string(b, r->data, r->data_len);
    }
    if (r->list_name != NULL) {
        out_fmt(b, ",\"%s\":[", r->list_name);
        for (size_t i = 0; i < r->item_count; i++) {
            if (i > 0) out_str(b, ",");
            out_json_text(b, r->items[i]);
        }
        out_str(b, "]");
    }
    out_str(b, "}");
}

void daemon_reply_send(daemon_state *d, daemon_requester to, const daemon_reply *reply) {
    assert(reply->ok || reply->error != NULL);
    buf_clear(&d->out);
    if (to.channel == DAEMON_TO_STDOUT) {
        reply_text(&d->out, reply);
        emit_stdout(&d->out);
    } else if (to.channel == DAEMON_TO_CONTROL) {
        reply_json(&d->out, reply);
        daemon_control_send(d, to.client, to.generation, (const char *)d->out.data, d->out.len);
    }
}

void daemon_reply_error(daemon_state *d, daemon_requester to, const char *error) {
    daemon_reply reply = {.ok = false, .error = error};
    daemon_reply_send(d, to, &reply);
}

/* ---- events ----------------------------------------------------------- */

/* Messages come from few authors, and base58 costs a division per digit:
 * the last peer ID's text is kept. */
void daemon_peer_text(const peer_id *id, char out[PEER_ID_TEXT_MAX]) {
    static peer_id last;
    static char last_text[PEER_ID_TEXT_MAX];
    if (id == NULL) { /* a StrictNoSign message names no author */
        snprintf(out, PEER_ID_TEXT_MAX, "-");
        return;
    }
    if (last.len == 0 || !peer_id_equal(&last, id)) {
        if (peer_id_to_text(id, last_text, sizeof last_text) != 0) {
            snprintf(out, PEER_ID_TEXT_MAX, "?");
            return;
        }
        last = *id;
    }
    memcpy(out, last_text, PEER_ID_TEXT_MAX);
}

static void event_json(buf *b, const char *kind, const char *topic, const char *peer, const uint8_t *data,
                       size_t len, bool has_data) {
    out_str(b, "{\"event\":");
    out_json_text(b, kind);
    if (topic != NULL) {
        out_str(b, ",\"topic\":");
        out_json_text(b, topic);
    }
    out_str(b, has_data ? ",\"from\":" : ",\"peer\":");
    out_json_text(b, peer);
    if (has_data) {
        out_str(b, ",\"data\":");
        out_json_string(b, data, len);
    }
    out_str(b, "}");
}

void daemon_event(daemon_state *d, const char *kind, const char *topic, const peer_id *peer,
                  const uint8_t *data, size_t len) {
    char peer_text[PEER_ID_TEXT_MAX];
    daemon_peer_text(peer, peer_text);
    bool has_data = data != NULL;
    buf_clear(&d->out);
    out_str(&d->out, kind);
    if (topic != NULL) {
        out_str(&d->out, " ");
        out_safe_text(&d->out, (const uint8_t *)topic, strlen(topic));
    }
    out_str(&d->out, " ");
    out_str(&d->out, peer_text);
    if (has_data) {
        out_str(&d->out, " ");
        out_safe_text(&d->out, data, len);
    }
    if (!d->stdout_json_only) emit_stdout(&d->out);
    bool built = false;
    for (size_t i = 0; i < DAEMON_CONTROL_CLIENTS_MAX; i++) {
        daemon_client *c = &d->clients[i];
        if (c->fd < 0 || !c->watching) continue;
        if (!built) {
            buf_clear(&d->out);
            event_json(&d->out, kind, topic, peer_text, data, len, has_data);
            built = true;
        }
        daemon_control_send(d, i, c->generation, (const char *)d->out.data, d->out.len);
    }
}
