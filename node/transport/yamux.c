/*
 * yamux: the libp2p stream multiplexer as a byte-fed state machine. See
 * yamux.h for the wire format and the public contract.
 *
 * Decisions worth knowing:
 * - Data is not buffered. A Data frame's header is checked against the
 *   stream's receive window as soon as its 12 bytes are in, and its payload
 *   is then handed to the owner chunk by chunk as it arrives (one DATA event
 *   per chunk). Memory per connection is therefore the stream table, the
 *   per-stream send queues and s->out, never an inbound window.
 * - The receive window is replenished as soon as half of it has been
 *   delivered: delivery is immediate, so the owner's own bounds (not ours)
 *   decide how much it keeps.
 * - Streams live in a fixed table allocated once. The owner's callback may
 *   open, write, close or reset streams; the feed loop never keeps a slot
 *   pointer across a callback, it looks the stream up again by id, so a slot
 *   freed (or reused) by the callback is never touched. A stream that ends
 *   because both sides closed is marked and its STREAM_CLOSED is emitted by
 *   a sweep that runs only outside callbacks, so callbacks never nest.
 * - s->out has three tiers: data frames may fill it to YAMUX_OUT_DATA_MAX,
 *   control frames (acks, window updates, FIN, RST, pongs) may use a reserve
 *   beyond that, and a last header's room is kept for the Go Away that
 *   reports a failure. Writes that do not fit wait in the stream's queue.
 */
#include "yamux.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define YAMUX_VERSION 0

enum {
    YAMUX_FRAME_DATA_MAX = 64 * 1024,         /* payload of one Data frame we send */
    YAMUX_OUT_DATA_MAX = 4 * 1024 * 1024,     /* s->out bytes that data frames may fill */
    YAMUX_OUT_CONTROL_RESERVE = 256 * 1024,   /* then room for header-only frames */
    YAMUX_OUT_LIMIT = YAMUX_OUT_DATA_MAX + YAMUX_OUT_CONTROL_RESERVE + YAMUX_HEADER_BYTES,
    YAMUX_FLAGS_KNOWN = YAMUX_FLAG_SYN | YAMUX_FLAG_ACK | YAMUX_FLAG_FIN | YAMUX_FLAG_RST,
    YAMUX_WINDOW_UPDATE_THRESHOLD = YAMUX_INITIAL_WINDOW / 2,
};

enum yamux_go_away_code { YAMUX_GO_AWAY_NORMAL = 0, YAMUX_GO_AWAY_PROTOCOL_ERROR = 1, YAMUX_GO_AWAY_INTERNAL_ERROR = 2 };

struct yamux_stream {
    uint32_t id;             /* 0: the slot is free */
    bool closing;            /* both sides closed: awaiting the sweep; invisible to lookups */
    bool local_fin_wanted;   /* yamux_close was called; FIN follows the queued bytes */
    bool local_fin_sent;
    bool remote_fin;
    uint32_t send_window;    /* bytes we may still send */
    uint32_t recv_window;    /* bytes the remote may still send */
    uint32_t recv_delivered; /* bytes delivered since our last window update */
    buf pending;             /* bytes written beyond the send window or output room */
};

typedef struct yamux_frame {
    uint8_t version;
    uint8_t type;
    uint16_t flags;
    uint32_t stream_id;
    uint32_t length;
} yamux_frame;

/* The stream table grows by blocks of YAMUX_SLOT_BLOCK slots, allocated
 * when first needed and never moved, so a stream's address stays valid
 * while others open: a session with a stream or two (nearly all of them)
 * holds one 448-byte block instead of 256 slots (14 KiB). */
#define YAMUX_SLOT_BLOCK 8
#define YAMUX_SLOT_BLOCKS (YAMUX_STREAMS_MAX / YAMUX_SLOT_BLOCK)
_Static_assert(YAMUX_STREAMS_MAX % YAMUX_SLOT_BLOCK == 0, "whole blocks");

/* Session state the header keeps private. */
struct yamux_private {
    yamux_stream *blocks[YAMUX_SLOT_BLOCKS]; /* slot i is blocks[i / 8][i % 8] */
    size_t slot_high;           /* slots at or above it are free: scans stop there */
    uint32_t remote_id_last;    /* highest stream id the remote opened */
    bool in_payload;            /* a Data frame's payload is arriving */
    uint32_t payload_stream_id;
    uint32_t payload_left;
    uint16_t payload_flags;
    unsigned callback_depth;    /* > 0 while the owner's callback runs */
    size_t closing_count;       /* slots awaiting the sweep */
    bool output_blocked;        /* something waits for room in s->out, not for a window */
    size_t pending_total;       /* bytes in every stream's pending queue, at most YAMUX_SESSION_PENDING_MAX */
    bool sweeping;
};

static yamux_private *yamux_priv(const yamux_session *s) {
    assert(s->priv != NULL);
    return s->priv;
}

/* Slot i, whose block exists: every slot below slot_high has one. */
static yamux_stream *yamux_slot(const yamux_private *p, size_t i) {
    assert(i < YAMUX_STREAMS_MAX && p->blocks[i / YAMUX_SLOT_BLOCK] != NULL);
    return &p->blocks[i / YAMUX_SLOT_BLOCK][i % YAMUX_SLOT_BLOCK];
}

static size_t yamux_min(size_t a, size_t b) { return a < b ? a : b; }

static void yamux_header_encode(uint8_t out[YAMUX_HEADER_BYTES], uint8_t type, uint16_t flags, uint32_t stream_id,
                                uint32_t length) {
    out[0] = YAMUX_VERSION;
    out[1] = type;
    out[2] = (uint8_t)(flags >> 8);
    out[3] = (uint8_t)flags;
    for (int i = 0; i < 4; i++) {
        out[4 + i] = (uint8_t)(stream_id >> (24 - 8 * i));
        out[8 + i] = (uint8_t)(length >> (24 - 8 * i));
    }
}

static yamux_frame yamux_header_decode(const uint8_t in[YAMUX_HEADER_BYTES]) {
    yamux_frame f;
    f.version = in[0];
    f.type = in[1];
    f.flags = (uint16_t)((in[2] << 8) | in[3]);
    f.stream_id = ((uint32_t)in[4] << 24) | ((uint32_t)in[5] << 16) | ((uint32_t)in[6] << 8) | in[7];
    f.length = ((uint32_t)in[8] << 24) | ((uint32_t)in[9] << 16) | ((uint32_t)in[10] << 8) | in[11];
    return f;
}

/* Records the first failure and tells the remote with a Go Away, which
 * always fits: the other tiers never fill the last header's room. */
static int yamux_fail(yamux_session *s, const char *reason, uint32_t code) {
    assert(reason != NULL);
    if (s->error != NULL) return -1;
    s->error = reason;
    uint8_t header[YAMUX_HEADER_BYTES];
    yamux_header_encode(header, YAMUX_TYPE_GO_AWAY, 0, 0, code);
    assert(s->out.len + YAMUX_HEADER_BYTES <= s->out.limit);
    if (buf_append(&s->out, header, sizeof header) == 0) s->go_away_sent = true;
    return -1;
}

/* Appends a header-only frame while the control reserve lasts; 0 or -1. */
static int yamux_send_control(yamux_session *s, uint8_t type, uint16_t flags, uint32_t stream_id, uint32_t length) {
    assert(s->out.len <= YAMUX_OUT_LIMIT);
    if (s->out.len + YAMUX_HEADER_BYTES > YAMUX_OUT_DATA_MAX + YAMUX_OUT_CONTROL_RESERVE) return -1;
    uint8_t header[YAMUX_HEADER_BYTES];
    yamux_header_encode(header, type, flags, stream_id, length);
    return buf_append(&s->out, header, sizeof header);
}

/* Payload bytes that data frames (headers included) may still add to s->out. */
static size_t yamux_out_data_room(const yamux_session *s) {
    if (s->out.len >= YAMUX_OUT_DATA_MAX) return 0;
    size_t room = YAMUX_OUT_DATA_MAX - s->out.len;
    size_t frame = YAMUX_FRAME_DATA_MAX + YAMUX_HEADER_BYTES;
    size_t payload = (room / frame) * YAMUX_FRAME_DATA_MAX;
    size_t rest = room % frame;
    if (rest > YAMUX_HEADER_BYTES) payload += rest - YAMUX_HEADER_BYTES;
    return payload;
}

/* ---- the stream table ---- */

static yamux_stream *yamux_find(const yamux_session *s, uint32_t stream_id) {
    if (stream_id == 0) return NULL;
    yamux_private *p = yamux_priv(s);
    for (size_t i = 0; i < p->slot_high; i++) {
        yamux_stream *st = yamux_slot(p, i);
        if (st->id == stream_id && !st->closing) return st;
    }
    return NULL;
}

/* A free slot for stream_id (its block allocated if need be); NULL when
 * memory runs out. */
static yamux_stream *yamux_slot_new(yamux_session *s, uint32_t stream_id) {
    assert(stream_id != 0);
    assert(s->stream_count < YAMUX_STREAMS_MAX);
    yamux_private *p = yamux_priv(s);
    for (size_t i = 0; i < YAMUX_STREAMS_MAX; i++) {
        yamux_stream **block = &p->blocks[i / YAMUX_SLOT_BLOCK];
        if (*block == NULL && (*block = calloc(YAMUX_SLOT_BLOCK, sizeof **block)) == NULL) return NULL;
        yamux_stream *st = yamux_slot(p, i);
        if (st->id != 0) continue;
        memset(st, 0, sizeof *st);
        st->id = stream_id;
        st->send_window = YAMUX_INITIAL_WINDOW;
        st->recv_window = YAMUX_INITIAL_WINDOW;
        buf_init(&st->pending, YAMUX_STREAM_PENDING_MAX);
        s->stream_count++;
        if (i >= p->slot_high) p->slot_high = i + 1;
        return st;
    }
    assert(0 && "stream_count disagrees with the table");
    return NULL;
}


static void yamux_slot_free(yamux_session *s, yamux_stream *st) {
    assert(st->id != 0);
    assert(s->stream_count > 0);
    yamux_private *p = yamux_priv(s);
    assert(p->pending_total >= st->pending.len);
    p->pending_total -= st->pending.len;
    buf_free(&st->pending);
    memset(st, 0, sizeof *st);
    s->stream_count--;
    while (p->slot_high > 0 && yamux_slot(p, p->slot_high - 1)->id == 0) p->slot_high--;
}

static void yamux_sweep(yamux_session *s);

static void yamux_emit(yamux_session *s, yamux_event_kind kind, uint32_t stream_id, const uint8_t *data, size_t len) {
    yamux_private *p = yamux_priv(s);
    yamux_event event = {.kind = kind, .stream_id = stream_id, .data = data, .len = len};
    p->callback_depth++;
    s->on_event(s->user, &event);
    assert(p->callback_depth > 0);
    p->callback_depth--;
    yamux_sweep(s);
}

/* Frees the streams that both sides have closed and tells the owner, one
 * STREAM_CLOSED each, but never from inside a callback. Callbacks can only
 * add closing streams that already had the remote's FIN, each at most once,
 * so the passes are bounded by the table size. */
static void yamux_sweep(yamux_session *s) {
    yamux_private *p = yamux_priv(s);
    if (p->callback_depth > 0 || p->sweeping || p->closing_count == 0) return;
    p->sweeping = true;
    for (size_t pass = 0; p->closing_count > 0; pass++) {
        assert(pass < YAMUX_STREAMS_MAX);
        yamux_stream *found = NULL;
        for (size_t i = 0; i < p->slot_high && found == NULL; i++) {
            yamux_stream *st = yamux_slot(p, i);
            if (st->id != 0 && st->closing) found = st;
        }
        assert(found != NULL);
        uint32_t stream_id = found->id;
        p->closing_count--;
        yamux_slot_free(s, found);
        yamux_emit(s, YAMUX_EVENT_STREAM_CLOSED, stream_id, NULL, 0);
    }
    p->sweeping = false;
}

/* Both directions are closed. The caller must not use st afterwards. */
static void yamux_stream_finish(yamux_session *s, yamux_stream *st) {
    assert(st->local_fin_sent);
    assert(st->remote_fin);
    st->closing = true;
    yamux_priv(s)->closing_count++;
    yamux_sweep(s);
}

/* ---- sending ---- */

/* Appends len bytes as Data frames; the caller checked window and room. */
static int yamux_send_data(yamux_session *s, yamux_stream *st, const uint8_t *bytes, size_t len) {
    assert(len <= st->send_window);
    assert(len <= yamux_out_data_room(s));
    size_t sent = 0;
    while (sent < len) {
        size_t chunk = yamux_min(len - sent, YAMUX_FRAME_DATA_MAX);
        uint8_t header[YAMUX_HEADER_BYTES];
        yamux_header_encode(header, YAMUX_TYPE_DATA, 0, st->id, (uint32_t)chunk);
        size_t mark = s->out.len;
        if (buf_append(&s->out, header, sizeof header) != 0 || buf_append(&s->out, bytes + sent, chunk) != 0) {
            s->out.len = mark; /* never leave half a frame behind */
            return yamux_fail(s, "out of memory", YAMUX_GO_AWAY_INTERNAL_ERROR);
        }
        st->send_window -= (uint32_t)chunk;
        sent += chunk;
    }
    return 0;
}

/* Sends FIN; if the remote had closed too, the stream is finished and the
 * caller must not use st afterwards. */
static int yamux_send_fin(yamux_session *s, yamux_stream *st) {
    assert(st->local_fin_wanted);
    assert(!st->local_fin_sent);
    if (yamux_send_control(s, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_FIN, st->id, 0) != 0) return -1;
    st->local_fin_sent = true;
    if (st->remote_fin) yamux_stream_finish(s, st);
    return 0;
}

/* Sends what the window and the output allow of st's queue, then the FIN
 * that waited for it. The caller must not use st afterwards. */
static void yamux_flush(yamux_session *s, yamux_stream *st) {
    assert(st->id != 0);
    assert(!st->closing);
    size_t sendable = yamux_min(st->pending.len, st->send_window);
    size_t room = yamux_out_data_room(s);
    if (room < sendable) yamux_priv(s)->output_blocked = true;
    size_t n = yamux_min(sendable, room);
    if (n > 0) {
        if (yamux_send_data(s, st, st->pending.data, n) != 0) return;
        buf_consume(&st->pending, n);
        assert(yamux_priv(s)->pending_total >= n);
        yamux_priv(s)->pending_total -= n;
    }
    if (st->pending.len > 0) return;
    buf_free(&st->pending); /* an idle stream holds no queue memory */
    buf_init(&st->pending, YAMUX_STREAM_PENDING_MAX);
    if (st->local_fin_wanted && !st->local_fin_sent && yamux_send_fin(s, st) != 0)
        yamux_priv(s)->output_blocked = true;
}

/* Retries the streams that waited for output room: the owner may have
 * drained s->out since. (Streams waiting for a window are flushed by the
 * window update.) Indexing the table, whose blocks never move, stays safe
 * even if a callback run by a finishing stream changes other slots. */
static void yamux_flush_all(yamux_session *s) {
    yamux_private *p = yamux_priv(s);
    if (!p->output_blocked) return;
    p->output_blocked = false;
    for (size_t i = 0; i < p->slot_high && s->error == NULL; i++) {
        yamux_stream *st = yamux_slot(p, i);
        if (st->id == 0 || st->closing) continue;
        if (st->pending.len > 0 || (st->local_fin_wanted && !st->local_fin_sent)) yamux_flush(s, st);
    }
}

/* ---- receiving ---- */

static bool yamux_is_remote_id(const yamux_session *s, uint32_t stream_id) {
    return (stream_id % 2 == 1) != s->client; /* the client opens odd ids */
}

/* A SYN from the remote: accept the stream, or refuse it with RST when the
 * table is full or we are going away. -1 only on a session failure. */
static int yamux_accept(yamux_session *s, uint32_t stream_id) {
    yamux_private *p = yamux_priv(s);
    if (!yamux_is_remote_id(s, stream_id) || stream_id <= p->remote_id_last)
        return yamux_fail(s, "SYN with a stream id the remote may not open", YAMUX_GO_AWAY_PROTOCOL_ERROR);
    p->remote_id_last = stream_id;
    if (s->go_away_sent || s->stream_count >= YAMUX_STREAMS_MAX) {
        if (yamux_send_control(s, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST, stream_id, 0) != 0)
            return yamux_fail(s, "output buffer full", YAMUX_GO_AWAY_INTERNAL_ERROR);
        return 0;
    }
    yamux_stream *st = yamux_slot_new(s, stream_id);
    if (st == NULL) return yamux_fail(s, "out of memory", YAMUX_GO_AWAY_INTERNAL_ERROR);
    if (yamux_send_control(s, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_ACK, stream_id, 0) != 0) {
        yamux_slot_free(s, st);
        return yamux_fail(s, "output buffer full", YAMUX_GO_AWAY_INTERNAL_ERROR);
    }
    yamux_emit(s, YAMUX_EVENT_STREAM_OPENED, stream_id, NULL, 0);
    return 0;
}

/* The remote's FIN. The caller must not use st afterwards. */
static void yamux_on_remote_fin(yamux_session *s, yamux_stream *st) {
    if (st->remote_fin) return; /* a repeated FIN changes nothing */
    st->remote_fin = true;
    uint32_t stream_id = st->id;
    /* Marked before the event so that the sweep after it emits CLOSED. */
    if (st->local_fin_sent) {
        st->closing = true;
        yamux_priv(s)->closing_count++;
    }
    yamux_emit(s, YAMUX_EVENT_STREAM_FIN, stream_id, NULL, 0);
}

static void yamux_on_remote_reset(yamux_session *s, yamux_stream *st) {
    uint32_t stream_id = st->id;
    yamux_slot_free(s, st);
    yamux_emit(s, YAMUX_EVENT_STREAM_RESET, stream_id, NULL, 0);
}

/* Hands a payload chunk to the owner and replenishes the window once half
 * of it has been delivered. Data for unknown streams is dropped. */
static void yamux_deliver(yamux_session *s, uint32_t stream_id, const uint8_t *bytes, size_t len) {
    yamux_stream *st = yamux_find(s, stream_id);
    if (st == NULL || len == 0) return;
    st->recv_delivered += (uint32_t)len;
    assert(st->recv_window + st->recv_delivered <= YAMUX_INITIAL_WINDOW);
    yamux_emit(s, YAMUX_EVENT_DATA, stream_id, bytes, len);
    st = yamux_find(s, stream_id); /* the callback may have reset it */
    if (st == NULL || st->remote_fin || st->recv_delivered < YAMUX_WINDOW_UPDATE_THRESHOLD) return;
    if (yamux_send_control(s, YAMUX_TYPE_WINDOW_UPDATE, 0, stream_id, st->recv_delivered) != 0) {
        yamux_fail(s, "output buffer full", YAMUX_GO_AWAY_INTERNAL_ERROR);
        return;
    }
    st->recv_window += st->recv_delivered;
    st->recv_delivered = 0;
}

/* The payload of the current Data frame is complete: apply its FIN. */
static void yamux_payload_end(yamux_session *s) {
    yamux_private *p = yamux_priv(s);
    p->in_payload = false;
    if ((p->payload_flags & YAMUX_FLAG_FIN) == 0) return;
    yamux_stream *st = yamux_find(s, p->payload_stream_id);
    if (st != NULL) yamux_on_remote_fin(s, st);
}

static void yamux_payload_begin(yamux_session *s, const yamux_frame *f) {
    yamux_private *p = yamux_priv(s);
    assert(!p->in_payload);
    assert(f->type == YAMUX_TYPE_DATA);
    p->payload_stream_id = f->stream_id;
    p->payload_left = f->length;
    p->payload_flags = f->flags;
    p->in_payload = true;
    if (f->length == 0) yamux_payload_end(s);
}

/* A Data header for a live stream: charge its length to the window now, so
 * that a peer can never announce more than the window it was given. */
static int yamux_on_data_header(yamux_session *s, yamux_stream *st, const yamux_frame *f) {
    if (f->length > st->recv_window)
        return yamux_fail(s, "receive window exceeded", YAMUX_GO_AWAY_PROTOCOL_ERROR);
    if (f->length > 0 && st->remote_fin)
        return yamux_fail(s, "data after FIN", YAMUX_GO_AWAY_PROTOCOL_ERROR);
    st->recv_window -= f->length;
    return 0;
}

static void yamux_on_window_update(yamux_session *s, yamux_stream *st, const yamux_frame *f) {
    if ((uint64_t)st->send_window + f->length > UINT32_MAX) {
        yamux_fail(s, "send window overflow", YAMUX_GO_AWAY_PROTOCOL_ERROR);
        return;
    }
    st->send_window += f->length;
    uint32_t stream_id = st->id;
    if (f->flags & YAMUX_FLAG_FIN) yamux_on_remote_fin(s, st);
    st = yamux_find(s, stream_id);
    if (st != NULL) yamux_flush(s, st);
}

static int yamux_check_stream_frame(yamux_session *s, const yamux_frame *f) {
    if (f->stream_id == 0) return yamux_fail(s, "stream frame on stream 0", YAMUX_GO_AWAY_PROTOCOL_ERROR);
    if (f->flags & ~YAMUX_FLAGS_KNOWN) return yamux_fail(s, "unknown flags", YAMUX_GO_AWAY_PROTOCOL_ERROR);
    if ((f->flags & YAMUX_FLAG_SYN) && (f->flags & YAMUX_FLAG_ACK))
        return yamux_fail(s, "SYN and ACK together", YAMUX_GO_AWAY_PROTOCOL_ERROR);
    /* No window we grant exceeds the initial one, so no stream, known or
     * forgotten, may receive a larger frame. */
    if (f->type == YAMUX_TYPE_DATA && f->length > YAMUX_INITIAL_WINDOW)
        return yamux_fail(s, "data frame larger than the window", YAMUX_GO_AWAY_PROTOCOL_ERROR);
    return 0;
}

/* Data and Window Update frames. Frames for streams we no longer know (we
 * reset or closed them while the remote was sending) are ignored, and
 * their payload is skipped. */
static void yamux_on_stream_frame(yamux_session *s, const yamux_frame *f) {
    if (yamux_check_stream_frame(s, f) != 0) return;
    if ((f->flags & YAMUX_FLAG_SYN) && yamux_accept(s, f->stream_id) != 0) return;
    bool is_data = f->type == YAMUX_TYPE_DATA;
    yamux_stream *st = yamux_find(s, f->stream_id);
    if (st != NULL && (f->flags & YAMUX_FLAG_RST)) {
        yamux_on_remote_reset(s, st);
        st = NULL;
    }
    if (st == NULL) {
        if (is_data) yamux_payload_begin(s, f); /* skipped: no stream to deliver to */
        return;
    }
    if (!is_data) {
        yamux_on_window_update(s, st, f);
        return;
    }
    if (yamux_on_data_header(s, st, f) != 0) return;
    yamux_payload_begin(s, f);
}

static void yamux_on_ping(yamux_session *s, const yamux_frame *f) {
    if (f->stream_id != 0) {
        yamux_fail(s, "ping on a stream", YAMUX_GO_AWAY_PROTOCOL_ERROR);
        return;
    }
    if (f->flags == YAMUX_FLAG_ACK) return; /* a pong: we send no pings yet */
    if (f->flags != YAMUX_FLAG_SYN) {
        yamux_fail(s, "ping with bad flags", YAMUX_GO_AWAY_PROTOCOL_ERROR);
        return;
    }
    if (yamux_send_control(s, YAMUX_TYPE_PING, YAMUX_FLAG_ACK, 0, f->length) != 0)
        yamux_fail(s, "output buffer full", YAMUX_GO_AWAY_INTERNAL_ERROR);
}

static void yamux_on_go_away(yamux_session *s, const yamux_frame *f) {
    if (f->stream_id != 0) {
        yamux_fail(s, "go away on a stream", YAMUX_GO_AWAY_PROTOCOL_ERROR);
        return;
    }
    if (s->go_away_received) return;
    s->go_away_received = true;
    /* The event's len carries the remote's error code. */
    yamux_emit(s, YAMUX_EVENT_GO_AWAY, 0, NULL, f->length);
}

static void yamux_on_frame(yamux_session *s, const yamux_frame *f) {
    if (f->version != YAMUX_VERSION) {
        yamux_fail(s, "unsupported yamux version", YAMUX_GO_AWAY_PROTOCOL_ERROR);
        return;
    }
    switch (f->type) {
    case YAMUX_TYPE_DATA:
    case YAMUX_TYPE_WINDOW_UPDATE:
        yamux_on_stream_frame(s, f);
        return;
    case YAMUX_TYPE_PING:
        yamux_on_ping(s, f);
        return;
    case YAMUX_TYPE_GO_AWAY:
        yamux_on_go_away(s, f);
        return;
    default:
        yamux_fail(s, "unknown frame type", YAMUX_GO_AWAY_PROTOCOL_ERROR);
        return;
    }
}

/* Collects header bytes in s->inbound and acts on a complete header. */
static size_t yamux_feed_header(yamux_session *s, const uint8_t *in, size_t len) {
    assert(s->inbound.len < YAMUX_HEADER_BYTES);
    size_t take = yamux_min(YAMUX_HEADER_BYTES - s->inbound.len, len);
    int rc = buf_append(&s->inbound, in, take);
    assert(rc == 0); /* its storage was reserved by yamux_init */
    (void)rc;
    if (s->inbound.len < YAMUX_HEADER_BYTES) return take;
    yamux_frame f = yamux_header_decode(s->inbound.data);
    buf_clear(&s->inbound);
    yamux_on_frame(s, &f);
    return take;
}

static size_t yamux_feed_payload(yamux_session *s, const uint8_t *in, size_t len) {
    yamux_private *p = yamux_priv(s);
    assert(p->in_payload);
    assert(p->payload_left > 0);
    size_t n = yamux_min(len, p->payload_left);
    p->payload_left -= (uint32_t)n;
    yamux_deliver(s, p->payload_stream_id, in, n);
    if (p->payload_left == 0 && s->error == NULL) yamux_payload_end(s);
    return n;
}

/* ---- public API ---- */

int yamux_init(yamux_session *s, bool client, yamux_event_fn on_event, void *user) {
    assert(s != NULL);
    assert(on_event != NULL);
    memset(s, 0, sizeof *s);
    yamux_private *p = calloc(1, sizeof *p);
    if (p == NULL) return -1;
    s->priv = p;
    s->client = client;
    s->next_stream_id = client ? 1 : 2;
    s->on_event = on_event;
    s->user = user;
    buf_init(&s->out, YAMUX_OUT_LIMIT);
    buf_init(&s->inbound, YAMUX_HEADER_BYTES);
    /* Reserve the header buffer now, so that feeding never allocates it. */
    uint8_t zero[YAMUX_HEADER_BYTES] = {0};
    if (buf_append(&s->inbound, zero, sizeof zero) != 0) {
        free(p);
        s->priv = NULL;
        return -1;
    }
    buf_clear(&s->inbound);
    return 0;
}

void yamux_free(yamux_session *s) {
    assert(s != NULL);
    if (s->priv == NULL) return;
    yamux_private *p = yamux_priv(s);
    assert(p->callback_depth == 0 && "yamux_free from a callback");
    for (size_t i = 0; i < p->slot_high; i++) buf_free(&yamux_slot(p, i)->pending);
    for (size_t b = 0; b < YAMUX_SLOT_BLOCKS; b++) free(p->blocks[b]);
    free(p);
    s->priv = NULL;
    s->stream_count = 0;
    buf_free(&s->out);
    buf_free(&s->inbound);
}

int yamux_feed(yamux_session *s, const uint8_t *in, size_t len) {
    assert(s != NULL);
    assert(in != NULL || len == 0);
    yamux_private *p = yamux_priv(s);
    assert(p->callback_depth == 0 && "yamux_feed is not re-entrant");
    if (s->error != NULL) return -1;
    yamux_flush_all(s);
    size_t offset = 0;
    while (offset < len && s->error == NULL) {
        if (p->in_payload)
            offset += yamux_feed_payload(s, in + offset, len - offset);
        else
            offset += yamux_feed_header(s, in + offset, len - offset);
    }
    assert(offset <= len);
    return s->error != NULL ? -1 : 0;
}

int yamux_open(yamux_session *s, uint32_t *stream_id) {
    assert(s != NULL);
    assert(stream_id != NULL);
    if (s->error != NULL || s->go_away_received || s->go_away_sent) return -1;
    if (s->stream_count >= YAMUX_STREAMS_MAX) return -1;
    if (s->next_stream_id > UINT32_MAX - 2) return -1; /* ids exhausted */
    uint32_t id = s->next_stream_id;
    yamux_stream *st = yamux_slot_new(s, id);
    if (st == NULL) return -1; /* out of memory */
    if (yamux_send_control(s, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, id, 0) != 0) {
        yamux_slot_free(s, st);
        return -1;
    }
    s->next_stream_id += 2;
    *stream_id = id;
    return 0;
}

int yamux_write(yamux_session *s, uint32_t stream_id, const uint8_t *bytes, size_t len) {
    assert(s != NULL);
    assert(bytes != NULL || len == 0);
    if (s->error != NULL) return -1;
    yamux_stream *st = yamux_find(s, stream_id);
    if (st == NULL || st->local_fin_wanted) return -1;
    if (len == 0) return 0;
    if (st->pending.len > 0) yamux_flush(s, st); /* keeps order; cannot finish the stream */
    if (s->error != NULL) return -1;
    size_t now = 0;
    if (st->pending.len == 0) {
        size_t sendable = yamux_min(len, st->send_window);
        size_t room = yamux_out_data_room(s);
        now = yamux_min(sendable, room);
        if (room < sendable) yamux_priv(s)->output_blocked = true;
    }
    size_t rest = len - now;
    yamux_private *p = yamux_priv(s);
    /* Nothing is sent unless the whole write fits: a message is queued whole or not at all. */
    if (rest > YAMUX_STREAM_PENDING_MAX - st->pending.len || rest > YAMUX_SESSION_PENDING_MAX - p->pending_total)
        return -1;
    if (yamux_send_data(s, st, bytes, now) != 0) return -1;
    if (rest > 0 && buf_append(&st->pending, bytes + now, rest) != 0)
        return yamux_fail(s, "out of memory", YAMUX_GO_AWAY_INTERNAL_ERROR);
    p->pending_total += rest;
    return 0;
}

int yamux_close(yamux_session *s, uint32_t stream_id) {
    assert(s != NULL);
    if (s->error != NULL) return -1;
    yamux_stream *st = yamux_find(s, stream_id);
    if (st == NULL) return -1;
    if (st->local_fin_wanted) return 0;
    st->local_fin_wanted = true;
    /* With bytes still queued (or no output room) the FIN follows later,
     * from yamux_flush; st must not be used after this. */
    if (st->pending.len == 0 && yamux_send_fin(s, st) != 0) yamux_priv(s)->output_blocked = true;
    return 0;
}

void yamux_reset(yamux_session *s, uint32_t stream_id) {
    assert(s != NULL);
    yamux_stream *st = yamux_find(s, stream_id);
    if (st == NULL) return;
    yamux_slot_free(s, st);
    /* Best effort: with the output full the remote learns at session end. */
    if (s->error == NULL) yamux_send_control(s, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_RST, stream_id, 0);
}

void yamux_go_away(yamux_session *s) {
    assert(s != NULL);
    if (s->go_away_sent || s->error != NULL) return;
    if (yamux_send_control(s, YAMUX_TYPE_GO_AWAY, 0, 0, YAMUX_GO_AWAY_NORMAL) == 0) s->go_away_sent = true;
}

bool yamux_stream_exists(const yamux_session *s, uint32_t stream_id) {
    assert(s != NULL);
    return yamux_find(s, stream_id) != NULL;
}

uint32_t yamux_send_window(const yamux_session *s, uint32_t stream_id) {
    assert(s != NULL);
    const yamux_stream *st = yamux_find(s, stream_id);
    return st != NULL ? st->send_window : 0;
}
