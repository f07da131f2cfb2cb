/*
 * mss: multistream-select 1.0 as a byte-fed state machine. See mss.h.
 *
 * Incoming messages are assembled in m->pending one message at a time: the
 * parser copies only the bytes the current message still needs, so that when
 * negotiation ends the bytes that follow (the negotiated protocol's first
 * bytes, often in the same chunk) are left unconsumed for the caller.
 */
#include "mss.h"

#include <assert.h>
#include <string.h>

#include "base/varint.h"

#define MSS_NOT_AVAILABLE "na"

/* The length prefix of any acceptable message fits in this many bytes; a
 * longer prefix means an overlong message and is rejected without waiting
 * for the rest of it. */
enum { MSS_PREFIX_BYTES_MAX = 2 };
_Static_assert(MSS_MESSAGE_MAX < (1 << (7 * MSS_PREFIX_BYTES_MAX)), "prefix bound too small");
_Static_assert(sizeof(((mss *)0)->pending) >= MSS_PREFIX_BYTES_MAX + MSS_MESSAGE_MAX, "pending too small");

enum mss_state {
    MSS_STATE_INITIATOR_NEW = 0,      /* mss_start not called yet */
    MSS_STATE_INITIATOR_WAIT_HEADER,  /* header and a proposal sent, header awaited */
    MSS_STATE_INITIATOR_WAIT_REPLY,   /* header received, echo or "na" awaited */
    MSS_STATE_RESPONDER_WAIT_HEADER,  /* the initiator's header awaited */
    MSS_STATE_RESPONDER_WAIT_PROPOSAL,
    MSS_STATE_DONE,
    MSS_STATE_FAILED,
};

/* Outcome of assembling one message from the input. */
enum mss_take { MSS_TAKE_MALFORMED = -1, MSS_TAKE_MORE = 0, MSS_TAKE_COMPLETE = 1 };

static bool mss_name_valid(const char *name) {
    size_t len = strlen(name);
    return len > 0 && len <= MSS_PROTOCOL_NAME_MAX && strchr(name, '\n') == NULL;
}

void mss_init_initiator(mss *m, const char *const *protocols, size_t count) {
    assert(m != NULL);
    assert(count > 0 && count <= MSS_PROPOSALS_MAX);
    memset(m, 0, sizeof *m);
    m->initiator = true;
    m->state = MSS_STATE_INITIATOR_NEW;
    for (size_t i = 0; i < count; i++) {
        assert(mss_name_valid(protocols[i]));
        memcpy(m->proposals[i], protocols[i], strlen(protocols[i]) + 1);
    }
    m->proposal_count = count;
}

void mss_init_responder(mss *m, const char *const *supported, size_t count) {
    assert(m != NULL);
    assert(supported != NULL || count == 0);
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < count; i++) assert(mss_name_valid(supported[i]));
    m->initiator = false;
    m->state = MSS_STATE_RESPONDER_WAIT_HEADER;
    m->supported = supported;
    m->supported_count = count;
}

/* Encodes one message into dst (room for VARINT_MAX_BYTES + MSS_MESSAGE_MAX)
 * and returns its size, or 0 if the text is too long for a message. */
static size_t mss_encode(const char *text, uint8_t *dst) {
    size_t text_len = strlen(text);
    if (text_len + 1 > MSS_MESSAGE_MAX) return 0;
    size_t n = varint_encode(text_len + 1, dst);
    memcpy(dst + n, text, text_len);
    dst[n + text_len] = '\n';
    assert(n + text_len + 1 <= VARINT_MAX_BYTES + MSS_MESSAGE_MAX);
    return n + text_len + 1;
}

int mss_write_message(buf *out, const char *text) {
    assert(out != NULL);
    assert(text != NULL);
    uint8_t message[VARINT_MAX_BYTES + MSS_MESSAGE_MAX];
    size_t n = mss_encode(text, message);
    if (n == 0) return -1;
    return buf_append(out, message, n); /* one append: all or nothing */
}

int mss_start(mss *m, buf *out) {
    assert(m != NULL);
    assert(out != NULL);
    if (!m->initiator) return 0; /* the responder speaks only when spoken to */
    assert(m->state == MSS_STATE_INITIATOR_NEW);
    /* Header and first proposal in one append, so a full buf leaves no half. */
    uint8_t both[2 * (VARINT_MAX_BYTES + MSS_MESSAGE_MAX)];
    size_t n = mss_encode(MSS_PROTOCOL_ID, both);
    size_t k = mss_encode(m->proposals[0], both + n);
    assert(n > 0 && k > 0);
    if (buf_append(out, both, n + k) != 0) return -1;
    m->proposal_next = 1;
    m->state = MSS_STATE_INITIATOR_WAIT_HEADER;
    return 0;
}

/* Copies into m->pending the bytes of the current message found in
 * in[0..len), never more than the message needs. */
static enum mss_take mss_take_message(mss *m, const uint8_t *in, size_t len, size_t *used) {
    assert(m->pending_len <= sizeof m->pending);
    *used = 0;
    uint64_t body_len = 0;
    int prefix_len = varint_decode(m->pending, m->pending_len, &body_len);
    /* The length prefix arrives one byte at a time: its end is unknown. */
    while (prefix_len == VARINT_NEED_MORE) {
        if (m->pending_len == MSS_PREFIX_BYTES_MAX) return MSS_TAKE_MALFORMED;
        if (*used == len) return MSS_TAKE_MORE;
        m->pending[m->pending_len++] = in[(*used)++];
        prefix_len = varint_decode(m->pending, m->pending_len, &body_len);
    }
    if (prefix_len == VARINT_MALFORMED) return MSS_TAKE_MALFORMED;
    if (body_len == 0 || body_len > MSS_MESSAGE_MAX) return MSS_TAKE_MALFORMED;
    size_t total = (size_t)prefix_len + (size_t)body_len;
    assert(total <= sizeof m->pending);
    size_t want = total - m->pending_len;
    size_t take = want < len - *used ? want : len - *used;
    memcpy(m->pending + m->pending_len, in + *used, take);
    m->pending_len += take;
    *used += take;
    if (m->pending_len < total) return MSS_TAKE_MORE;
    if (m->pending[total - 1] != '\n') return MSS_TAKE_MALFORMED;
    return MSS_TAKE_COMPLETE;
}

static bool mss_text_is(const uint8_t *text, size_t len, const char *name) {
    return strlen(name) == len && memcmp(text, name, len) == 0;
}

static mss_status mss_fail(mss *m) {
    m->state = MSS_STATE_FAILED;
    return MSS_FAILED;
}

static mss_status mss_select(mss *m, const char *name) {
    assert(strlen(name) <= MSS_PROTOCOL_NAME_MAX);
    memcpy(m->selected, name, strlen(name) + 1);
    m->state = MSS_STATE_DONE;
    return MSS_DONE;
}

/* The responder's answer to a proposal: the echo if supported, else "na". */
static mss_status mss_respond(mss *m, const uint8_t *text, size_t len, buf *out) {
    if (m->attempts == MSS_ATTEMPTS_MAX) return mss_fail(m);
    m->attempts++;
    for (size_t i = 0; i < m->supported_count; i++) {
        if (!mss_text_is(text, len, m->supported[i])) continue;
        if (mss_write_message(out, m->supported[i]) != 0) return mss_fail(m);
        return mss_select(m, m->supported[i]);
    }
    /* "ls" also gets "na": listing is optional and leaks nothing useful. */
    if (mss_write_message(out, MSS_NOT_AVAILABLE) != 0) return mss_fail(m);
    return MSS_PENDING;
}

/* The initiator's reaction to the reply to proposals[proposal_next - 1]. */
static mss_status mss_on_reply(mss *m, const uint8_t *text, size_t len, buf *out) {
    assert(m->proposal_next >= 1 && m->proposal_next <= m->proposal_count);
    const char *current = m->proposals[m->proposal_next - 1];
    if (mss_text_is(text, len, current)) return mss_select(m, current);
    if (!mss_text_is(text, len, MSS_NOT_AVAILABLE)) return mss_fail(m);
    if (m->proposal_next == m->proposal_count) return mss_fail(m);
    if (mss_write_message(out, m->proposals[m->proposal_next]) != 0) return mss_fail(m);
    m->proposal_next++;
    return MSS_PENDING;
}

/* Acts on one complete message; text excludes the trailing '\n'. */
static mss_status mss_handle(mss *m, const uint8_t *text, size_t len, buf *out) {
    switch (m->state) {
    case MSS_STATE_INITIATOR_WAIT_HEADER:
        if (!mss_text_is(text, len, MSS_PROTOCOL_ID)) return mss_fail(m);
        m->state = MSS_STATE_INITIATOR_WAIT_REPLY;
        return MSS_PENDING;
    case MSS_STATE_INITIATOR_WAIT_REPLY:
        return mss_on_reply(m, text, len, out);
    case MSS_STATE_RESPONDER_WAIT_HEADER:
        if (!mss_text_is(text, len, MSS_PROTOCOL_ID)) return mss_fail(m);
        if (mss_write_message(out, MSS_PROTOCOL_ID) != 0) return mss_fail(m);
        m->state = MSS_STATE_RESPONDER_WAIT_PROPOSAL;
        return MSS_PENDING;
    case MSS_STATE_RESPONDER_WAIT_PROPOSAL:
        return mss_respond(m, text, len, out);
    default:
        assert(0 && "mss_handle in a final state");
        return mss_fail(m);
    }
}

mss_status mss_feed(mss *m, const uint8_t *in, size_t len, size_t *consumed, buf *out) {
    assert(m != NULL);
    assert(consumed != NULL);
    assert(in != NULL || len == 0);
    assert(m->state != MSS_STATE_INITIATOR_NEW && "mss_start first");
    *consumed = 0;
    if (m->state == MSS_STATE_DONE) return MSS_DONE;
    if (m->state == MSS_STATE_FAILED) return MSS_FAILED;
    while (*consumed < len) {
        size_t used = 0;
        enum mss_take took = mss_take_message(m, in + *consumed, len - *consumed, &used);
        *consumed += used;
        if (took == MSS_TAKE_MALFORMED) return mss_fail(m);
        if (took == MSS_TAKE_MORE) break;
        uint64_t body_len = 0;
        int prefix_len = varint_decode(m->pending, m->pending_len, &body_len);
        assert(prefix_len > 0 && body_len >= 1);
        m->pending_len = 0;
        mss_status status = mss_handle(m, m->pending + prefix_len, (size_t)body_len - 1, out);
        if (status != MSS_PENDING) return status;
    }
    assert(*consumed <= len);
    return MSS_PENDING;
}
