#include "lp_reader.h"

#include <assert.h>

#include "varint.h"

/* Storage kept between unfinished messages: a large message's goes back
 * once it is read, so idle streams do not each hold a megabyte. */
#define LP_READER_KEEP (16u << 10)

void lp_reader_init(lp_reader *r, size_t message_max) {
    buf_init(&r->partial, message_max + VARINT_MAX_BYTES);
    r->message_max = message_max;
}

void lp_reader_free(lp_reader *r) { buf_free(&r->partial); }

size_t lp_reader_pending(const lp_reader *r) { return r->partial.len; }

/* Hands over the whole messages at the front of bytes and returns how many
 * bytes they took, or -1 on a bad prefix or a refused message. */
static long lp_parse(const lp_reader *r, const uint8_t *bytes, size_t len, lp_message_fn fn, void *user) {
    size_t offset = 0;
    while (offset < len) {
        uint64_t msg_len;
        int prefix = varint_decode(bytes + offset, len - offset, &msg_len);
        if (prefix == VARINT_NEED_MORE) break;
        if (prefix == VARINT_MALFORMED || msg_len > r->message_max) return -1;
        if (len - offset - (size_t)prefix < msg_len) break;
        const uint8_t *msg = bytes + offset + prefix;
        offset += (size_t)prefix + (size_t)msg_len;
        if (fn(user, msg, (size_t)msg_len) != 0) return -1;
    }
    return (long)offset;
}

/* How many more bytes the unfinished message needs before it can be read:
 * the rest of its length prefix comes one byte at a time (a prefix is at
 * most VARINT_MAX_BYTES), then the rest of its body at once. A bad prefix
 * needs one more byte too: lp_parse then refuses it. */
static size_t lp_wanted(const lp_reader *r) {
    uint64_t msg_len;
    int prefix = varint_decode(r->partial.data, r->partial.len, &msg_len);
    if (prefix <= 0 || msg_len > r->message_max) return 1;
    size_t whole = (size_t)prefix + (size_t)msg_len;
    assert(whole > r->partial.len && "a finished message never stays in the buffer");
    return whole - r->partial.len;
}

int lp_reader_feed(lp_reader *r, const uint8_t *data, size_t len, lp_message_fn fn, void *user) {
    /* First finish the message an earlier chunk began, taking no more of
     * this chunk than it needs. */
    while (r->partial.len > 0 && len > 0) {
        size_t take = lp_wanted(r);
        if (take > len) take = len;
        if (buf_append(&r->partial, data, take) != 0) return -1;
        data += take;
        len -= take;
        long used = lp_parse(r, r->partial.data, r->partial.len, fn, user);
        if (used < 0) return -1;
        buf_consume(&r->partial, (size_t)used);
        buf_shrink_if_empty(&r->partial, LP_READER_KEEP);
    }
    if (len == 0) return 0;
    /* Then read the rest where it lies, and keep what it leaves unfinished. */
    long used = lp_parse(r, data, len, fn, user);
    if (used < 0) return -1;
    size_t rest = len - (size_t)used;
    assert(rest < r->message_max + VARINT_MAX_BYTES && "an unfinished message fits the buffer");
    return rest > 0 ? buf_append(&r->partial, data + used, rest) : 0;
}
