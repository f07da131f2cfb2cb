/* varint: libp2p unsigned varints. See varint.h. */
#include "varint.h"

#include <assert.h>

size_t varint_encode(uint64_t v, uint8_t out[VARINT_MAX_BYTES]) {
    assert(out != NULL);
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    assert(n <= VARINT_MAX_BYTES);
    return n;
}

size_t varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

int varint_decode(const uint8_t *in, size_t len, uint64_t *value) {
    assert(value != NULL);
    assert(in != NULL || len == 0);
    uint64_t v = 0;
    for (size_t i = 0; i < VARINT_SPEC_MAX_BYTES; i++) {
        if (i == len) return VARINT_NEED_MORE;
        uint8_t byte = in[i];
        v |= (uint64_t)(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            /* A trailing zero byte means a shorter encoding existed. */
            if (byte == 0 && i > 0) return VARINT_MALFORMED;
            *value = v;
            return (int)(i + 1);
        }
    }
    return VARINT_MALFORMED;
}
