/*
 * fuzz_yamux: a yamux session (server or client) fed hostile bytes in
 * chunks, with an owner that calls back into the session from its callback:
 * it echoes data, and on some payloads closes, resets, opens a stream or
 * goes away. The callback checks that no stream speaks after it ended.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "transport/yamux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_ENDED_MAX = 1024 };

typedef struct fuzz_owner {
    yamux_session s;
    uint32_t ended[FUZZ_ENDED_MAX]; /* streams that were reset or closed */
    size_t ended_count;
} fuzz_owner;

static bool fuzz_has_ended(const fuzz_owner *o, uint32_t stream_id) {
    for (size_t i = 0; i < o->ended_count; i++)
        if (o->ended[i] == stream_id) return true;
    return false;
}

static void fuzz_on_data(fuzz_owner *o, const yamux_event *e) {
    assert(e->len > 0);
    assert(e->data != NULL);
    (void)yamux_write(&o->s, e->stream_id, e->data, e->len);
    uint32_t opened = 0;
    switch (e->data[0]) {
    case 'C':
        (void)yamux_close(&o->s, e->stream_id);
        break;
    case 'R':
        yamux_reset(&o->s, e->stream_id);
        assert(!yamux_stream_exists(&o->s, e->stream_id));
        break;
    case 'O':
        if (yamux_open(&o->s, &opened) == 0) (void)yamux_write(&o->s, opened, e->data, e->len);
        break;
    case 'G':
        yamux_go_away(&o->s);
        break;
    default:
        break;
    }
}

static void fuzz_on_event(void *user, const yamux_event *e) {
    fuzz_owner *o = user;
    assert(o->s.stream_count <= YAMUX_STREAMS_MAX);
    if (e->kind != YAMUX_EVENT_GO_AWAY) assert(!fuzz_has_ended(o, e->stream_id));
    switch (e->kind) {
    case YAMUX_EVENT_STREAM_OPENED:
        assert(yamux_stream_exists(&o->s, e->stream_id));
        if (e->stream_id % 3 == 0) (void)yamux_write(&o->s, e->stream_id, (const uint8_t *)"hi", 2);
        break;
    case YAMUX_EVENT_DATA:
        assert(yamux_stream_exists(&o->s, e->stream_id));
        fuzz_on_data(o, e);
        break;
    case YAMUX_EVENT_STREAM_FIN:
        (void)yamux_close(&o->s, e->stream_id);
        break;
    case YAMUX_EVENT_STREAM_RESET:
    case YAMUX_EVENT_STREAM_CLOSED:
        assert(!yamux_stream_exists(&o->s, e->stream_id));
        if (o->ended_count < FUZZ_ENDED_MAX) o->ended[o->ended_count++] = e->stream_id;
        break;
    case YAMUX_EVENT_GO_AWAY:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* First byte: bit 0 picks the role, the rest the chunk size (0: whole). */
    bool client = size > 0 && (data[0] & 1);
    size_t chunk = size > 0 ? (size_t)(data[0] >> 1) : 0;
    const uint8_t *in = size > 0 ? data + 1 : data;
    size_t len = size > 0 ? size - 1 : 0;
    static fuzz_owner owner; /* large: keep it off the stack */
    memset(&owner, 0, sizeof owner);
    if (yamux_init(&owner.s, client, fuzz_on_event, &owner) != 0) return 0;
    uint32_t first = 0;
    if (client) (void)yamux_open(&owner.s, &first); /* so that the remote's frames can hit our stream */
    size_t offset = 0;
    while (offset < len) {
        size_t n = chunk == 0 || chunk > len - offset ? len - offset : chunk;
        int rc = yamux_feed(&owner.s, in + offset, n);
        buf_clear(&owner.s.out); /* the owner drains after every call */
        offset += n;
        if (rc != 0) {
            assert(owner.s.error != NULL);
            assert(yamux_feed(&owner.s, in, 0) == -1);
            break;
        }
    }
    yamux_free(&owner.s);
    return 0;
}
