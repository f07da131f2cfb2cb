/*
 * fuzz_varint_pb: hostile bytes through the varint decoder and the protobuf
 * reader. Beyond "no crash", it checks what the decoders promise: a decoded
 * varint re-encodes to exactly the bytes consumed (the encoding is
 * canonical), and pb_next only ever yields views inside the input while
 * moving strictly forward.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/pb.h"
#include "base/varint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks that stay on in every build: a failed one is a finding. */
#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) abort(); \
    } while (0)

enum { FUZZ_PB_DEPTH_MAX = 4 };

static void fuzz_varint(const uint8_t *data, size_t size) {
    uint64_t value = 0;
    int n = varint_decode(data, size, &value);
    if (n == VARINT_NEED_MORE) {
        FUZZ_CHECK(size < VARINT_SPEC_MAX_BYTES);
        return;
    }
    if (n == VARINT_MALFORMED) return;
    FUZZ_CHECK(n > 0 && (size_t)n <= size && n <= VARINT_SPEC_MAX_BYTES);
    uint8_t again[VARINT_MAX_BYTES];
    size_t len = varint_encode(value, again);
    FUZZ_CHECK(len == (size_t)n);
    FUZZ_CHECK(varint_size(value) == len);
    FUZZ_CHECK(memcmp(again, data, len) == 0);
}

/* Walks every field; length-delimited ones are tried as nested messages, as
 * the node does for its own nested records. */
static void fuzz_pb_walk(const uint8_t *data, size_t size, unsigned depth) {
    pb_reader r;
    pb_reader_init(&r, data, size);
    pb_field f;
    int rc;
    size_t last_pos = 0;
    while ((rc = pb_next(&r, &f)) == PB_FIELD) {
        FUZZ_CHECK(r.pos > last_pos && r.pos <= size);
        last_pos = r.pos;
        FUZZ_CHECK(f.number >= 1 && f.number <= PB_FIELD_NUMBER_MAX);
        if (f.wire_type == PB_WIRE_BYTES) {
            FUZZ_CHECK(f.bytes >= data && f.len <= size);
            FUZZ_CHECK((size_t)(f.bytes - data) + f.len == r.pos);
            if (depth < FUZZ_PB_DEPTH_MAX) fuzz_pb_walk(f.bytes, f.len, depth + 1);
        } else {
            FUZZ_CHECK(f.bytes == NULL && f.len == 0);
        }
    }
    FUZZ_CHECK(rc == PB_END || rc == PB_MALFORMED);
    if (rc == PB_END) FUZZ_CHECK(r.pos == size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_varint(data, size);
    fuzz_pb_walk(data, size, 0);
    return 0;
}
