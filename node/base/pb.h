/*
 * pb: a small protobuf codec, just what libp2p's messages need.
 *
 * Why hand-written and not libprotobuf-c: the node's messages are a handful
 * of flat records (keys, the Noise payload, identify, pubsub RPCs); a reader
 * that yields fields as views into the input allocates nothing, bounds every
 * length before reading, and is a few dozen lines to audit and fuzz. See
 * docs/architecture.md.
 *
 * Reading: pb_next() walks the fields of one message. Length-delimited
 * fields are returned as (pointer, length) views into the input; nested
 * messages are read by starting a new reader over such a view.
 *
 * Writing: a pb_writer appends into a caller's fixed buffer and records
 * overflow instead of writing past it; check pb_writer_ok() at the end.
 */
#ifndef SWARMLAB_PB_H
#define SWARMLAB_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_wire_type {
    PB_WIRE_VARINT = 0,
    PB_WIRE_FIXED64 = 1,
    PB_WIRE_BYTES = 2,
    PB_WIRE_FIXED32 = 5,
};

#define PB_FIELD_NUMBER_MAX 536870911u /* 2^29 - 1 */

typedef struct pb_field {
    uint32_t number;
    enum pb_wire_type wire_type;
    uint64_t varint;      /* PB_WIRE_VARINT, FIXED32 and FIXED64 values */
    const uint8_t *bytes; /* PB_WIRE_BYTES */
    size_t len;           /* PB_WIRE_BYTES */
} pb_field;

typedef struct pb_reader {
    const uint8_t *data;
    size_t len;
    size_t pos;
} pb_reader;

void pb_reader_init(pb_reader *r, const uint8_t *data, size_t len);

enum { PB_END = 0, PB_FIELD = 1, PB_MALFORMED = -1 };
/* Returns PB_FIELD with *field filled, PB_END at the end of the input, or
 * PB_MALFORMED (bad tag, field number 0, group wire types, truncation). */
int pb_next(pb_reader *r, pb_field *field);

typedef struct pb_writer {
    uint8_t *data;
    size_t cap;
    size_t len;
    bool overflow;
} pb_writer;

void pb_writer_init(pb_writer *w, uint8_t *data, size_t cap);
void pb_write_varint_field(pb_writer *w, uint32_t number, uint64_t value);
void pb_write_bytes_field(pb_writer *w, uint32_t number, const uint8_t *bytes, size_t len);
void pb_write_string_field(pb_writer *w, uint32_t number, const char *text);
/* Appends raw bytes (an already encoded varint, a nested message). */
void pb_write_raw(pb_writer *w, const uint8_t *bytes, size_t len);
void pb_write_varint(pb_writer *w, uint64_t value);
bool pb_writer_ok(const pb_writer *w);

#endif
