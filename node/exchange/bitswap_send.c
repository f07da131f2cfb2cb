/*
 * bitswap_send: the peer table, and the messages the engine sends
 * (bitswap_internal.h). A message is built item by item, each checked to
 * fit BITSWAP_MESSAGE_MAX_BYTES, with the bytes its views point at kept
 * beside it until it is encoded.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "bitswap_internal.h"

/* Bytes an empty message may still need: the wantlist's tag, a length
 * that grows to 3 bytes, full, and pendingBytes. */
#define BS_OUT_SLACK 16

_Static_assert(BITSWAP_BLOCK_BYTES_MAX == STORE_BLOCK_MAX, "the wire's block limit is the store's");

bs_peer *bs_peer_find(const bitswap *b, uint32_t handle) {
    for (size_t i = 0; i < b->peer_count; i++)
        if (b->peers[i].handle == handle) return &b->peers[i];
    return NULL;
}

bs_out *bs_out_new(void) {
    bs_out *out = malloc(sizeof *out);
    if (out == NULL) return NULL;
    bitswap_message_clear(&out->msg);
    out->cid_count = 0;
    out->size = BS_OUT_SLACK;
    buf_init(&out->data, BITSWAP_MESSAGE_MAX_BYTES);
    return out;
}

void bs_out_free(bs_out *out) {
    if (out == NULL) return;
    buf_free(&out->data);
    free(out);
}

static bool bs_out_fits(const bs_out *out, size_t more) { return more <= BITSWAP_MESSAGE_MAX_BYTES - out->size; }

/* c's bytes, kept in out for the message's views. */
static bitswap_bytes bs_out_cid(bs_out *out, const cid *c) {
    assert(out->cid_count < BS_OUT_CIDS_MAX);
    uint8_t *at = out->cids[out->cid_count++];
    return (bitswap_bytes){at, cid_encode(c, at)};
}

bool bs_out_entry(bs_out *out, const cid *c, uint8_t want_type, bool cancel, bool send_dont_have) {
    bitswap_message *m = &out->msg;
    if (m->entry_count == BITSWAP_FETCHES_MAX || out->cid_count == BS_OUT_CIDS_MAX) return false;
    bitswap_entry e = {.cid = bs_out_cid(out, c), .priority = 1, .cancel = cancel, .want_type = want_type,
                       .send_dont_have = send_dont_have};
    size_t size = bitswap_entry_size(&e);
    if (!bs_out_fits(out, size)) {
        out->cid_count--;
        return false;
    }
    m->has_wantlist = true;
    m->entries[m->entry_count++] = e;
    out->size += size;
    return true;
}

bool bs_out_presence(bs_out *out, const cid *c, uint8_t type) {
    bitswap_message *m = &out->msg;
    if (m->presence_count == BITSWAP_PRESENCES_MAX || out->cid_count == BS_OUT_CIDS_MAX) return false;
    bitswap_presence p = {.cid = bs_out_cid(out, c), .type = type};
    size_t size = bitswap_presence_size(&p);
    if (!bs_out_fits(out, size)) {
        out->cid_count--;
        return false;
    }
    m->presences[m->presence_count++] = p;
    out->size += size;
    return true;
}

int bs_out_block(bitswap *b, bs_out *out, const cid *c) {
    bitswap_message *m = &out->msg;
    if (m->block_count == BITSWAP_BLOCKS_MAX) return 0;
    size_t at = out->data.len;
    int rc = b->host.get(b->host.user, c, &out->data);
    if (rc != 1) { /* absent, or the store failed: either way not ours to give */
        buf_truncate(&out->data, at);
        return -1;
    }
    bitswap_block block = {.prefix = {out->prefixes[m->block_count], block_prefix_encode(c, out->prefixes[m->block_count])},
                           .data = {NULL, out->data.len - at}};
    size_t size = bitswap_block_size(&block);
    if (!bs_out_fits(out, size)) {
        buf_truncate(&out->data, at);
        return 0;
    }
    out->data_at[m->block_count] = at;
    m->blocks[m->block_count++] = block;
    out->size += size;
    return 1;
}

int bs_out_send(bitswap *b, uint32_t peer, bs_out *out) {
    bitswap_message *m = &out->msg;
    if (m->entry_count + m->block_count + m->presence_count == 0) return 0;
    for (size_t i = 0; i < m->block_count; i++) /* the data buf stopped moving */
        m->blocks[i].data.data = out->data.data + out->data_at[i];
    int rc = -1;
    uint8_t *wire = buf_extend(&b->wire, bitswap_encoded_size(m));
    if (wire != NULL) {
        size_t len = bitswap_encode(m, wire, b->wire.len);
        assert(len == b->wire.len);
        rc = b->host.send(b->host.user, peer, wire, len);
    }
    buf_clear(&b->wire);
    buf_shrink_if_empty(&b->wire, 0);
    bitswap_message_clear(m);
    out->cid_count = 0;
    out->size = BS_OUT_SLACK;
    buf_clear(&out->data);
    return rc;
}
