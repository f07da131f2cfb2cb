/*
 * bitswap_pb: the Bitswap 1.2.0 message codec (bitswap_pb.h).
 *
 * Three nested messages (Entry inside Wantlist, Block, BlockPresence), each
 * read by a reader over the view of its bytes. Sizes are computed from the
 * same fields the writer writes, so that a nested message's length prefix
 * is known before its body goes out, with no second buffer.
 */
#include "bitswap_pb.h"

#include <assert.h>
#include <string.h>

#include "base/pb.h"
#include "base/varint.h"

enum {
    MSG_WANTLIST = 1, MSG_BLOCKS_V100 = 2, MSG_PAYLOAD = 3, MSG_PRESENCES = 4, MSG_PENDING_BYTES = 5,
    WANTLIST_ENTRIES = 1, WANTLIST_FULL = 2,
    ENTRY_BLOCK = 1, ENTRY_PRIORITY = 2, ENTRY_CANCEL = 3, ENTRY_WANT_TYPE = 4, ENTRY_SEND_DONT_HAVE = 5,
    BLOCK_PREFIX = 1, BLOCK_DATA = 2,
    PRESENCE_CID = 1, PRESENCE_TYPE = 2,
};

void bitswap_message_clear(bitswap_message *msg) {
    msg->has_wantlist = false;
    msg->full = false;
    msg->pending_bytes = 0;
    msg->entry_count = msg->block_count = msg->presence_count = 0;
}

/* ---- checks shared by both directions --------------------------------- */

static bool cid_ok(bitswap_bytes cid) { return cid.len >= 1 && cid.len <= BITSWAP_CID_BYTES_MAX; }

static bool entry_ok(const void *item) {
    const bitswap_entry *e = item;
    return cid_ok(e->cid) && e->want_type <= BITSWAP_WANT_HAVE;
}

static bool block_ok(const void *item) {
    const bitswap_block *b = item;
    return b->prefix.len <= BITSWAP_PREFIX_BYTES_MAX && b->data.len <= BITSWAP_BLOCK_BYTES_MAX;
}

static bool presence_ok(const void *item) {
    const bitswap_presence *p = item;
    return cid_ok(p->cid) && p->type <= BITSWAP_DONT_HAVE;
}

/* ---- decoding --------------------------------------------------------- */

/* A field's value as the wire type the schema gives it; false otherwise. */
static bool field_varint(const pb_field *f, uint64_t *v) {
    if (f->wire_type != PB_WIRE_VARINT) return false;
    *v = f->varint;
    return true;
}

/* An int32 as protobuf writes it: a non-negative value, or a negative one
 * sign-extended to 64 bits. Anything else (a value past 32 bits that a
 * lenient reader would truncate) is refused, so that what decodes encodes
 * back into no more bytes. */
static bool field_int32(const pb_field *f, int32_t *v) {
    uint64_t raw;
    if (!field_varint(f, &raw)) return false;
    if (raw > INT32_MAX && raw < (uint64_t)(int64_t)INT32_MIN) return false;
    *v = (int32_t)(int64_t)raw;
    return true;
}

static bool field_bytes(const pb_field *f, bitswap_bytes *v) {
    if (f->wire_type != PB_WIRE_BYTES) return false;
    *v = (bitswap_bytes){f->bytes, f->len};
    return true;
}

/* Reads a nested message's fields; read_one returns false to refuse. */
typedef bool (*field_fn)(void *out, const pb_field *f);

static bool read_nested(const uint8_t *data, size_t len, field_fn read_one, void *out) {
    pb_reader r;
    pb_reader_init(&r, data, len);
    pb_field f;
    int status;
    while ((status = pb_next(&r, &f)) == PB_FIELD)
        if (!read_one(out, &f)) return false;
    return status == PB_END;
}

/* One more item of a repeated nested field into item (the next free slot,
 * item_size bytes): read, checked, counted; false past max or when bad. */
static bool read_item(const pb_field *f, size_t *count, size_t max, void *item, size_t item_size, field_fn read_one,
                      bool (*ok)(const void *item)) {
    if (f->wire_type != PB_WIRE_BYTES || *count == max) return false;
    memset(item, 0, item_size);
    if (!read_nested(f->bytes, f->len, read_one, item) || !ok(item)) return false;
    (*count)++;
    return true;
}

static bool read_entry_field(void *out, const pb_field *f) {
    bitswap_entry *e = out;
    uint64_t v = 0;
    switch (f->number) {
    case ENTRY_BLOCK: return field_bytes(f, &e->cid);
    case ENTRY_PRIORITY: return field_int32(f, &e->priority);
    case ENTRY_CANCEL: if (!field_varint(f, &v)) return false; e->cancel = v != 0; return true;
    case ENTRY_WANT_TYPE: if (!field_varint(f, &v) || v > BITSWAP_WANT_HAVE) return false; e->want_type = (uint8_t)v; return true;
    case ENTRY_SEND_DONT_HAVE: if (!field_varint(f, &v)) return false; e->send_dont_have = v != 0; return true;
    default: return true;
    }
}

static bool read_wantlist_field(void *out, const pb_field *f) {
    bitswap_message *m = out;
    uint64_t v = 0;
    if (f->number == WANTLIST_FULL) {
        if (!field_varint(f, &v)) return false;
        m->full = v != 0;
        return true;
    }
    if (f->number != WANTLIST_ENTRIES) return true;
    return read_item(f, &m->entry_count, BITSWAP_ENTRIES_MAX, &m->entries[m->entry_count], sizeof m->entries[0],
                     read_entry_field, entry_ok);
}

static bool read_block_field(void *out, const pb_field *f) {
    bitswap_block *b = out;
    if (f->number == BLOCK_PREFIX) return field_bytes(f, &b->prefix);
    if (f->number == BLOCK_DATA) return field_bytes(f, &b->data);
    return true;
}

static bool read_presence_field(void *out, const pb_field *f) {
    bitswap_presence *p = out;
    uint64_t v = 0;
    if (f->number == PRESENCE_CID) return field_bytes(f, &p->cid);
    if (f->number != PRESENCE_TYPE) return true;
    if (!field_varint(f, &v) || v > BITSWAP_DONT_HAVE) return false;
    p->type = (uint8_t)v;
    return true;
}

static bool read_message_field(void *out, const pb_field *f) {
    bitswap_message *m = out;
    switch (f->number) {
    case MSG_WANTLIST:
        if (f->wire_type != PB_WIRE_BYTES || m->has_wantlist) return false;
        m->has_wantlist = true;
        return read_nested(f->bytes, f->len, read_wantlist_field, m);
    case MSG_PAYLOAD:
        return read_item(f, &m->block_count, BITSWAP_BLOCKS_MAX, &m->blocks[m->block_count], sizeof m->blocks[0],
                         read_block_field, block_ok);
    case MSG_PRESENCES:
        return read_item(f, &m->presence_count, BITSWAP_PRESENCES_MAX, &m->presences[m->presence_count],
                         sizeof m->presences[0], read_presence_field, presence_ok);
    case MSG_PENDING_BYTES:
        return field_int32(f, &m->pending_bytes);
    default: /* MSG_BLOCKS_V100 (1.0.0's CIDv0-only blocks) and unknown fields */
        return true;
    }
}

int bitswap_decode(const uint8_t *data, size_t len, bitswap_message *msg) {
    assert(msg != NULL);
    bitswap_message_clear(msg);
    if (len > BITSWAP_MESSAGE_MAX_BYTES || !read_nested(data, len, read_message_field, msg)) {
        bitswap_message_clear(msg);
        return -1;
    }
    return 0;
}

/* ---- sizes ------------------------------------------------------------ */

static size_t tag_size(uint32_t number) { return varint_size((uint64_t)number << 3); }
static size_t bytes_field_size(uint32_t number, size_t len) { return tag_size(number) + varint_size(len) + len; }
static size_t varint_field_size(uint32_t number, uint64_t v) { return v == 0 ? 0 : tag_size(number) + varint_size(v); }
/* int32 travels sign-extended to 64 bits, as protobuf writes it. */
static uint64_t int32_wire(int32_t v) { return (uint64_t)(int64_t)v; }

static size_t entry_body_size(const bitswap_entry *e) {
    return bytes_field_size(ENTRY_BLOCK, e->cid.len) + varint_field_size(ENTRY_PRIORITY, int32_wire(e->priority)) +
           varint_field_size(ENTRY_CANCEL, e->cancel) + varint_field_size(ENTRY_WANT_TYPE, e->want_type) +
           varint_field_size(ENTRY_SEND_DONT_HAVE, e->send_dont_have);
}

static size_t block_body_size(const bitswap_block *b) {
    return (b->prefix.len ? bytes_field_size(BLOCK_PREFIX, b->prefix.len) : 0) +
           (b->data.len ? bytes_field_size(BLOCK_DATA, b->data.len) : 0);
}

static size_t presence_body_size(const bitswap_presence *p) {
    return bytes_field_size(PRESENCE_CID, p->cid.len) + varint_field_size(PRESENCE_TYPE, p->type);
}

static size_t wantlist_body_size(const bitswap_message *m) {
    size_t size = varint_field_size(WANTLIST_FULL, m->full);
    for (size_t i = 0; i < m->entry_count; i++) size += bitswap_entry_size(&m->entries[i]);
    return size;
}

size_t bitswap_entry_size(const bitswap_entry *e) { return bytes_field_size(WANTLIST_ENTRIES, entry_body_size(e)); }
size_t bitswap_block_size(const bitswap_block *b) { return bytes_field_size(MSG_PAYLOAD, block_body_size(b)); }
size_t bitswap_presence_size(const bitswap_presence *p) { return bytes_field_size(MSG_PRESENCES, presence_body_size(p)); }

size_t bitswap_encoded_size(const bitswap_message *m) {
    size_t size = m->has_wantlist ? bytes_field_size(MSG_WANTLIST, wantlist_body_size(m)) : 0;
    for (size_t i = 0; i < m->block_count; i++) size += bitswap_block_size(&m->blocks[i]);
    for (size_t i = 0; i < m->presence_count; i++) size += bitswap_presence_size(&m->presences[i]);
    return size + varint_field_size(MSG_PENDING_BYTES, int32_wire(m->pending_bytes));
}

/* ---- encoding --------------------------------------------------------- */

static void write_varint_unless_zero(pb_writer *w, uint32_t number, uint64_t v) {
    if (v != 0) pb_write_varint_field(w, number, v);
}

static void write_bytes_unless_empty(pb_writer *w, uint32_t number, bitswap_bytes v) {
    if (v.len != 0) pb_write_bytes_field(w, number, v.data, v.len);
}

/* The tag and length of a nested message of body_len bytes. */
static void write_nested_header(pb_writer *w, uint32_t number, size_t body_len) {
    pb_write_varint(w, ((uint64_t)number << 3) | PB_WIRE_BYTES);
    pb_write_varint(w, body_len);
}

static void write_entry(pb_writer *w, const bitswap_entry *e) {
    write_nested_header(w, WANTLIST_ENTRIES, entry_body_size(e));
    pb_write_bytes_field(w, ENTRY_BLOCK, e->cid.data, e->cid.len);
    write_varint_unless_zero(w, ENTRY_PRIORITY, int32_wire(e->priority));
    write_varint_unless_zero(w, ENTRY_CANCEL, e->cancel);
    write_varint_unless_zero(w, ENTRY_WANT_TYPE, e->want_type);
    write_varint_unless_zero(w, ENTRY_SEND_DONT_HAVE, e->send_dont_have);
}

static bool message_ok(const bitswap_message *m) {
    if (m->entry_count > BITSWAP_ENTRIES_MAX || m->block_count > BITSWAP_BLOCKS_MAX ||
        m->presence_count > BITSWAP_PRESENCES_MAX)
        return false;
    for (size_t i = 0; i < m->entry_count; i++)
        if (!entry_ok(&m->entries[i])) return false;
    for (size_t i = 0; i < m->block_count; i++)
        if (!block_ok(&m->blocks[i])) return false;
    for (size_t i = 0; i < m->presence_count; i++)
        if (!presence_ok(&m->presences[i])) return false;
    return (m->entry_count == 0 && !m->full) || m->has_wantlist;
}

size_t bitswap_encode(const bitswap_message *m, uint8_t *out, size_t cap) {
    if (!message_ok(m)) return 0;
    size_t size = bitswap_encoded_size(m);
    if (size > BITSWAP_MESSAGE_MAX_BYTES || size > cap) return 0;
    pb_writer w;
    pb_writer_init(&w, out, cap);
    if (m->has_wantlist) {
        write_nested_header(&w, MSG_WANTLIST, wantlist_body_size(m));
        for (size_t i = 0; i < m->entry_count; i++) write_entry(&w, &m->entries[i]);
        write_varint_unless_zero(&w, WANTLIST_FULL, m->full);
    }
    for (size_t i = 0; i < m->block_count; i++) {
        const bitswap_block *b = &m->blocks[i];
        write_nested_header(&w, MSG_PAYLOAD, block_body_size(b));
        write_bytes_unless_empty(&w, BLOCK_PREFIX, b->prefix);
        write_bytes_unless_empty(&w, BLOCK_DATA, b->data);
    }
    for (size_t i = 0; i < m->presence_count; i++) {
        const bitswap_presence *p = &m->presences[i];
        write_nested_header(&w, MSG_PRESENCES, presence_body_size(p));
        pb_write_bytes_field(&w, PRESENCE_CID, p->cid.data, p->cid.len);
        write_varint_unless_zero(&w, PRESENCE_TYPE, p->type);
    }
    write_varint_unless_zero(&w, MSG_PENDING_BYTES, int32_wire(m->pending_bytes));
    assert(pb_writer_ok(&w) && w.len == size);
    return w.len;
}
