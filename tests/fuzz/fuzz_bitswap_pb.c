/*
 * fuzz_bitswap_pb: hostile bytes into the Bitswap 1.2.0 message decoder,
 * and the CID prefixes of the blocks it yields.
 *
 * Every input must decode or be refused without a crash; a refusal leaves
 * an empty message. A message that decodes stays within every count limit,
 * is encoded again (never longer: unknown fields and non-minimal varints go)
 * and decoded once more, and both readings agree field by field.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/block.h"
#include "wire/bitswap_pb.h"

static bitswap_message fuzz_first;
static bitswap_message fuzz_second;
static uint8_t fuzz_wire[BITSWAP_MESSAGE_MAX_BYTES];

static void fuzz_check(int ok) {
    if (!ok) abort(); /* a failed check must stop the fuzzer in every build */
}

static int fuzz_same(bitswap_bytes a, bitswap_bytes b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static void fuzz_compare(const bitswap_message *a, const bitswap_message *b) {
    fuzz_check(a->has_wantlist == b->has_wantlist && a->full == b->full && a->pending_bytes == b->pending_bytes);
    fuzz_check(a->entry_count == b->entry_count && a->block_count == b->block_count &&
               a->presence_count == b->presence_count);
    for (size_t i = 0; i < a->entry_count; i++) {
        const bitswap_entry *x = &a->entries[i], *y = &b->entries[i];
        fuzz_check(fuzz_same(x->cid, y->cid) && x->priority == y->priority && x->cancel == y->cancel &&
                   x->want_type == y->want_type && x->send_dont_have == y->send_dont_have);
    }
    for (size_t i = 0; i < a->block_count; i++)
        fuzz_check(fuzz_same(a->blocks[i].prefix, b->blocks[i].prefix) && fuzz_same(a->blocks[i].data, b->blocks[i].data));
    for (size_t i = 0; i < a->presence_count; i++)
        fuzz_check(fuzz_same(a->presences[i].cid, b->presences[i].cid) && a->presences[i].type == b->presences[i].type);
}

/* libFuzzer's entry point; declared here because no header does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (bitswap_decode(data, size, &fuzz_first) != 0) {
        fuzz_check(fuzz_first.entry_count + fuzz_first.block_count + fuzz_first.presence_count == 0);
        return 0;
    }
    fuzz_check(fuzz_first.entry_count <= BITSWAP_ENTRIES_MAX && fuzz_first.block_count <= BITSWAP_BLOCKS_MAX &&
               fuzz_first.presence_count <= BITSWAP_PRESENCES_MAX);
    for (size_t i = 0; i < fuzz_first.block_count; i++) { /* what the exchange does with each block */
        const bitswap_block *b = &fuzz_first.blocks[i];
        cid c;
        fuzz_check(b->data.len <= STORE_BLOCK_MAX);
        if (block_prefix_cid(b->prefix.data, b->prefix.len, b->data.data, b->data.len, &c) == 0)
            fuzz_check(cid_matches(&c, b->data.data, b->data.len));
    }
    size_t n = bitswap_encode(&fuzz_first, fuzz_wire, sizeof fuzz_wire);
    fuzz_check(n == bitswap_encoded_size(&fuzz_first) && n <= size);
    fuzz_check(bitswap_decode(fuzz_wire, n, &fuzz_second) == 0);
    fuzz_compare(&fuzz_first, &fuzz_second);
    return 0;
}
