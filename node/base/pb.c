/* pb: minimal protobuf reader and writer. See pb.h. */
#include "pb.h"

#include <assert.h>
#include <string.h>

#include "varint.h"

void pb_reader_init(pb_reader *r, const uint8_t *data, size_t len) {
    assert(r != NULL);
    assert(data != NULL || len == 0);
    r->data = data;
    r->len = len;
    r->pos = 0;
}

/* Protobuf varints may be 10 bytes long (negative int64s), unlike libp2p's
 * length prefixes, so this reader has its own loop. */
static int pb_read_varint(pb_reader *r, uint64_t *value) {
    uint64_t v = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (r->pos >= r->len) return -1;
        uint8_t byte = r->data[r->pos++];
        if (i == 9 && byte > 1) return -1;
        v |= (uint64_t)(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            *value = v;
            return 0;
        }
    }
    return -1;
}

static int pb_read_fixed(pb_reader *r, size_t width, uint64_t *value) {
    if (r->len - r->pos < width) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++) v |= (uint64_t)r->data[r->pos + i] << (8 * i);
    r->pos += width;
    *value = v;
    return 0;
}

int pb_next(pb_reader *r, pb_field *field) {
    assert(r != NULL);
    assert(field != NULL);
    assert(r->pos <= r->len);
    if (r->pos == r->len) return PB_END;
    uint64_t tag;
    if (pb_read_varint(r, &tag) != 0) return PB_MALFORMED;
    uint64_t number = tag >> 3;
    if (number == 0 || number > PB_FIELD_NUMBER_MAX) return PB_MALFORMED;
    field->number = (uint32_t)number;
    field->bytes = NULL;
    field->len = 0;
    field->varint = 0;
    switch (tag & 7) {
    case PB_WIRE_VARINT:
        field->wire_type = PB_WIRE_VARINT;
        return pb_read_varint(r, &field->varint) == 0 ? PB_FIELD : PB_MALFORMED;
    case PB_WIRE_FIXED64:
        field->wire_type = PB_WIRE_FIXED64;
        return pb_read_fixed(r, 8, &field->varint) == 0 ? PB_FIELD : PB_MALFORMED;
    case PB_WIRE_FIXED32:
        field->wire_type = PB_WIRE_FIXED32;
        return pb_read_fixed(r, 4, &field->varint) == 0 ? PB_FIELD : PB_MALFORMED;
    case PB_WIRE_BYTES: {
        uint64_t len;
        if (pb_read_varint(r, &len) != 0) return PB_MALFORMED;
        if (len > r->len - r->pos) return PB_MALFORMED;
        field->wire_type = PB_WIRE_BYTES;
        field->bytes = r->data + r->pos;
        field->len = (size_t)len;
        r->pos += (size_t)len;
        return PB_FIELD;
    }
    default: /* groups (3, 4) are deprecated and never used by libp2p */
        return PB_MALFORMED;
    }
}

void pb_writer_init(pb_writer *w, uint8_t *data, size_t cap) {
    assert(w != NULL);
    assert(data != NULL || cap == 0);
    w->data = data;
    w->cap = cap;
    w->len = 0;
    w->overflow = false;
}

void pb_write_raw(pb_writer *w, const uint8_t *bytes, size_t len) {
    assert(w != NULL);
    if (w->overflow) return;
    if (len > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    if (len > 0) memcpy(w->data + w->len, bytes, len);
    w->len += len;
}

void pb_write_varint(pb_writer *w, uint64_t value) {
    uint8_t tmp[VARINT_MAX_BYTES];
    size_t n = varint_encode(value, tmp);
    pb_write_raw(w, tmp, n);
}

void pb_write_varint_field(pb_writer *w, uint32_t number, uint64_t value) {
    assert(number > 0 && number <= PB_FIELD_NUMBER_MAX);
    pb_write_varint(w, ((uint64_t)number << 3) | PB_WIRE_VARINT);
    pb_write_varint(w, value);
}

void pb_write_bytes_field(pb_writer *w, uint32_t number, const uint8_t *bytes, size_t len) {
    assert(number > 0 && number <= PB_FIELD_NUMBER_MAX);
    pb_write_varint(w, ((uint64_t)number << 3) | PB_WIRE_BYTES);
    pb_write_varint(w, len);
    pb_write_raw(w, bytes, len);
}

void pb_write_string_field(pb_writer *w, uint32_t number, const char *text) {
    assert(text != NULL);
    pb_write_bytes_field(w, number, (const uint8_t *)text, strlen(text));
}

bool pb_writer_ok(const pb_writer *w) {
    assert(w != NULL);
    return !w->overflow;
}
