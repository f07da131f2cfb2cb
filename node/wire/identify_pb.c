/*
 * identify_pb: the identify message codec (libp2p/specs identify/README.md).
 * See identify_pb.h for the message and its limits.
 *
 * Every field of Identify is length-delimited. One table maps each singular
 * field number to its limit and its place in the struct; decoding, sizing
 * and encoding all read it, which keeps the three from drifting apart.
 */
#include "identify_pb.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "base/pb.h"
#include "base/varint.h"

enum {
    IDENTIFY_FIELD_PUBLIC_KEY = 1,
    IDENTIFY_FIELD_LISTEN_ADDRS = 2,
    IDENTIFY_FIELD_PROTOCOLS = 3,
    IDENTIFY_FIELD_OBSERVED_ADDR = 4,
    IDENTIFY_FIELD_PROTOCOL_VERSION = 5,
    IDENTIFY_FIELD_AGENT_VERSION = 6,
    IDENTIFY_FIELD_SIGNED_PEER_RECORD = 8,
};

/* The singular fields, in field-number order (the encoding order), with
 * where each lives in identify_message. */
typedef struct identify_singular {
    uint32_t number;
    size_t len_max;
    size_t value_offset; /* of the identify_bytes */
    size_t has_offset;   /* of the bool */
} identify_singular;

#define IDENTIFY_SINGULAR(number, len_max, name) \
    {number, len_max, offsetof(identify_message, name), offsetof(identify_message, has_##name)}

static const identify_singular identify_singulars[] = {
    IDENTIFY_SINGULAR(IDENTIFY_FIELD_PUBLIC_KEY, IDENTIFY_MESSAGE_MAX_BYTES, public_key),
    IDENTIFY_SINGULAR(IDENTIFY_FIELD_OBSERVED_ADDR, IDENTIFY_ADDR_BYTES_MAX, observed_addr),
    IDENTIFY_SINGULAR(IDENTIFY_FIELD_PROTOCOL_VERSION, IDENTIFY_TEXT_MAX, protocol_version),
    IDENTIFY_SINGULAR(IDENTIFY_FIELD_AGENT_VERSION, IDENTIFY_TEXT_MAX, agent_version),
    IDENTIFY_SINGULAR(IDENTIFY_FIELD_SIGNED_PEER_RECORD, IDENTIFY_MESSAGE_MAX_BYTES,
                      signed_peer_record),
};
#define IDENTIFY_SINGULAR_COUNT (sizeof identify_singulars / sizeof identify_singulars[0])

static const identify_singular *identify_singular_find(uint32_t number) {
    for (size_t i = 0; i < IDENTIFY_SINGULAR_COUNT; i++) {
        if (identify_singulars[i].number == number) return &identify_singulars[i];
    }
    return NULL;
}

static const identify_bytes *identify_singular_value(const identify_message *msg,
                                                     const identify_singular *field, bool *has) {
    assert(msg != NULL);
    assert(field != NULL && has != NULL);
    const char *base = (const char *)msg;
    *has = *(const bool *)(base + field->has_offset);
    return (const identify_bytes *)(base + field->value_offset);
}

identify_bytes identify_text(const char *text) {
    assert(text != NULL);
    identify_bytes v = {(const uint8_t *)text, strlen(text)};
    return v;
}

/* ---- decoding ---- */

static bool identify_protocol_len_ok(size_t len) {
    return len >= 1 && len <= IDENTIFY_PROTOCOL_NAME_MAX;
}

/* Appends a repeated field's value to list, within its count limit. */
static int identify_append(const pb_field *field, identify_bytes *list, size_t *count,
                           size_t count_max) {
    assert(field != NULL);
    assert(*count <= count_max);
    if (*count == count_max) return -1;
    list[*count].data = field->bytes;
    list[*count].len = field->len;
    (*count)++;
    return 0;
}

/* A singular field: a second value is refused rather than "last one
 * wins", so that no two readers can disagree about what a peer announced. */
static int identify_take_singular(const pb_field *field, const identify_singular *slot,
                                  identify_message *msg) {
    assert(field != NULL && slot != NULL);
    assert(field->number == slot->number);
    char *base = (char *)msg;
    bool *has = (bool *)(base + slot->has_offset);
    identify_bytes *value = (identify_bytes *)(base + slot->value_offset);
    if (*has || field->len > slot->len_max) return -1;
    value->data = field->bytes;
    value->len = field->len;
    *has = true;
    return 0;
}

static int identify_decode_field(const pb_field *field, identify_message *msg) {
    assert(field != NULL);
    assert(msg != NULL);
    const identify_singular *slot = identify_singular_find(field->number);
    bool repeated = field->number == IDENTIFY_FIELD_LISTEN_ADDRS ||
                    field->number == IDENTIFY_FIELD_PROTOCOLS;
    if (slot == NULL && !repeated) return 0; /* unknown field: skipped */
    if (field->wire_type != PB_WIRE_BYTES) return -1;
    if (slot != NULL) return identify_take_singular(field, slot, msg);
    if (field->number == IDENTIFY_FIELD_LISTEN_ADDRS) {
        if (field->len > IDENTIFY_ADDR_BYTES_MAX) return -1;
        return identify_append(field, msg->listen_addrs, &msg->listen_addr_count,
                               IDENTIFY_ADDRS_MAX);
    }
    if (!identify_protocol_len_ok(field->len)) return -1;
    return identify_append(field, msg->protocols, &msg->protocol_count, IDENTIFY_PROTOCOLS_MAX);
}

int identify_decode(const uint8_t *in, size_t len, identify_message *msg) {
    assert(msg != NULL);
    assert(in != NULL || len == 0);
    memset(msg, 0, sizeof *msg);
    if (len > IDENTIFY_MESSAGE_MAX_BYTES) return -1;
    pb_reader r;
    pb_reader_init(&r, in, len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        if (identify_decode_field(&field, msg) != 0) break;
    }
    if (rc != PB_END) {
        memset(msg, 0, sizeof *msg); /* no partial message */
        return -1;
    }
    assert(msg->listen_addr_count <= IDENTIFY_ADDRS_MAX);
    assert(msg->protocol_count <= IDENTIFY_PROTOCOLS_MAX);
    return 0;
}

/* ---- encoding ---- */

/* Bytes of a length-delimited field carrying len bytes. Callers bound len
 * by IDENTIFY_MESSAGE_MAX_BYTES, so a few hundred of these cannot overflow. */
static size_t identify_field_size(uint32_t number, size_t len) {
    assert(len <= IDENTIFY_MESSAGE_MAX_BYTES);
    return varint_size(((uint64_t)number << 3) | PB_WIRE_BYTES) + varint_size(len) + len;
}

/* The encoded size of msg, or 0 if it breaks a limit the decoder enforces
 * (or is empty: an Identify with no field says nothing). */
static size_t identify_size(const identify_message *msg) {
    assert(msg != NULL);
    if (msg->listen_addr_count > IDENTIFY_ADDRS_MAX) return 0;
    if (msg->protocol_count > IDENTIFY_PROTOCOLS_MAX) return 0;
    size_t total = 0;
    for (size_t i = 0; i < msg->listen_addr_count; i++) {
        if (msg->listen_addrs[i].len > IDENTIFY_ADDR_BYTES_MAX) return 0;
        total += identify_field_size(IDENTIFY_FIELD_LISTEN_ADDRS, msg->listen_addrs[i].len);
    }
    for (size_t i = 0; i < msg->protocol_count; i++) {
        if (!identify_protocol_len_ok(msg->protocols[i].len)) return 0;
        total += identify_field_size(IDENTIFY_FIELD_PROTOCOLS, msg->protocols[i].len);
    }
    for (size_t i = 0; i < IDENTIFY_SINGULAR_COUNT; i++) {
        bool has;
        const identify_bytes *value = identify_singular_value(msg, &identify_singulars[i], &has);
        if (!has) continue;
        if (value->len > identify_singulars[i].len_max) return 0;
        total += identify_field_size(identify_singulars[i].number, value->len);
    }
    return total <= IDENTIFY_MESSAGE_MAX_BYTES ? total : 0;
}

static void identify_write_singular(pb_writer *w, const identify_message *msg,
                                    const identify_singular *field) {
    assert(w != NULL);
    assert(field != NULL);
    bool has;
    const identify_bytes *value = identify_singular_value(msg, field, &has);
    if (has) pb_write_bytes_field(w, field->number, value->data, value->len);
}

size_t identify_encode(const identify_message *msg, uint8_t *out, size_t cap) {
    assert(msg != NULL);
    assert(out != NULL || cap == 0);
    size_t size = identify_size(msg);
    if (size == 0 || size > cap) return 0;
    pb_writer w;
    pb_writer_init(&w, out, cap);
    assert(identify_singulars[0].number == IDENTIFY_FIELD_PUBLIC_KEY);
    identify_write_singular(&w, msg, &identify_singulars[0]); /* field 1 comes before 2 and 3 */
    for (size_t i = 0; i < msg->listen_addr_count; i++) {
        pb_write_bytes_field(&w, IDENTIFY_FIELD_LISTEN_ADDRS, msg->listen_addrs[i].data,
                             msg->listen_addrs[i].len);
    }
    for (size_t i = 0; i < msg->protocol_count; i++) {
        pb_write_bytes_field(&w, IDENTIFY_FIELD_PROTOCOLS, msg->protocols[i].data,
                             msg->protocols[i].len);
    }
    for (size_t i = 1; i < IDENTIFY_SINGULAR_COUNT; i++) {
        identify_write_singular(&w, msg, &identify_singulars[i]);
    }
    assert(pb_writer_ok(&w));
    assert(w.len == size);
    return w.len;
}
