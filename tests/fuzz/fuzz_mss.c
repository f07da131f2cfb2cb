/*
 * fuzz_mss: multistream-select fed hostile bytes, as responder and as
 * initiator. Each role is run twice, on the whole input at once and in
 * small chunks, and both runs must agree on the status, the bytes consumed
 * and the bytes sent: chunking must never change the outcome.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "transport/mss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_OUT_LIMIT = 64 * 1024 };

static const char *const fuzz_protocols[] = {"/tls/1.0.0", "/noise", "/yamux/1.0.0"};

typedef struct fuzz_run {
    mss m;
    buf out;
    mss_status status;
    size_t consumed;
} fuzz_run;

static void fuzz_run_init(fuzz_run *r, bool initiator) {
    buf_init(&r->out, FUZZ_OUT_LIMIT);
    if (initiator) {
        mss_init_initiator(&r->m, fuzz_protocols, 3);
    } else {
        /* The responder knows the last two, so "na" paths are reachable. */
        mss_init_responder(&r->m, fuzz_protocols + 1, 2);
    }
    int rc = mss_start(&r->m, &r->out);
    assert(rc == 0);
    (void)rc;
    r->status = MSS_PENDING;
    r->consumed = 0;
}

/* Feeds data in chunks of `chunk` bytes (0: all at once). */
static void fuzz_run_feed(fuzz_run *r, const uint8_t *data, size_t size, size_t chunk) {
    size_t offset = 0;
    while (r->status == MSS_PENDING && offset < size) {
        size_t n = chunk == 0 || chunk > size - offset ? size - offset : chunk;
        size_t consumed = 0;
        r->status = mss_feed(&r->m, data + offset, n, &consumed, &r->out);
        assert(consumed <= n);
        if (r->status == MSS_PENDING) assert(consumed == n);
        r->consumed += consumed;
        offset += n;
    }
}

static void fuzz_check_selected(const fuzz_run *r) {
    if (r->status != MSS_DONE) return;
    bool known = false;
    for (size_t i = 0; i < 3; i++) known |= strcmp(r->m.selected, fuzz_protocols[i]) == 0;
    assert(known);
}

static void fuzz_role(const uint8_t *data, size_t size, bool initiator, size_t chunk) {
    fuzz_run whole, pieces;
    fuzz_run_init(&whole, initiator);
    fuzz_run_init(&pieces, initiator);
    fuzz_run_feed(&whole, data, size, 0);
    fuzz_run_feed(&pieces, data, size, chunk);
    assert(whole.status == pieces.status);
    if (whole.status != MSS_FAILED) {
        assert(whole.consumed == pieces.consumed);
        assert(whole.out.len == pieces.out.len);
        assert(whole.out.len == 0 || memcmp(whole.out.data, pieces.out.data, whole.out.len) == 0);
    }
    fuzz_check_selected(&whole);
    buf_free(&whole.out);
    buf_free(&pieces.out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The first byte picks the chunk size; the rest is the peer's bytes. */
    size_t chunk = size > 0 ? (size_t)(data[0] % 17) + 1 : 1;
    const uint8_t *rest = size > 0 ? data + 1 : data;
    size_t rest_size = size > 0 ? size - 1 : 0;
    fuzz_role(rest, rest_size, false, chunk);
    fuzz_role(rest, rest_size, true, chunk);
    return 0;
}
