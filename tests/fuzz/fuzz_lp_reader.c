/*
 * fuzz_lp_reader: hostile bytes through the stream message reader, cut into
 * chunks at points the input chooses. Beyond "no crash", it checks what the
 * reader promises: however the chunks fall, it hands over the same messages
 * (the same count, lengths and bytes) as when the bytes come in one piece,
 * or refuses at the same message; and it never holds more than one
 * unfinished message.
 *
 * Input: one byte n (the number of cuts, at most FUZZ_CUTS_MAX), n 2-byte
 * cut offsets, then the stream's bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/lp_reader.h"
#include "base/varint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks that stay on in every build: a failed one is a finding. */
#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) abort(); \
    } while (0)

enum {
    FUZZ_CUTS_MAX = 16,
    FUZZ_MESSAGE_MAX = 4096, /* small, so that inputs reach the limit */
};

/* A running digest of what was handed over: the count, then FNV-1a over
 * each message's length and bytes. */
typedef struct fuzz_seen {
    size_t count;
    uint64_t hash;
} fuzz_seen;

static void fuzz_mix(fuzz_seen *s, const uint8_t *bytes, size_t len) {
    for (size_t i = 0; i < len; i++) s->hash = (s->hash ^ bytes[i]) * 0x100000001b3ull;
}

static int fuzz_on_message(void *user, const uint8_t *msg, size_t len) {
    fuzz_seen *s = user;
    FUZZ_CHECK(len <= FUZZ_MESSAGE_MAX);
    uint8_t prefix[VARINT_MAX_BYTES];
    fuzz_mix(s, prefix, varint_encode(len, prefix));
    fuzz_mix(s, msg, len);
    s->count++;
    /* A message starting with 0xff is refused, as a protocol refuses a
     * malformed one: the reader must stop there, cut or not. */
    return len > 0 && msg[0] == 0xff ? -1 : 0;
}

/* Feeds the stream whole, or cut at the given points; returns the reader's
 * verdict and fills seen. */
static int fuzz_feed(const uint8_t *bytes, size_t len, const size_t *cuts, size_t cut_count, fuzz_seen *seen) {
    lp_reader r;
    lp_reader_init(&r, FUZZ_MESSAGE_MAX);
    *seen = (fuzz_seen){.hash = 0xcbf29ce484222325ull};
    int rc = 0;
    size_t from = 0;
    for (size_t i = 0; i <= cut_count && rc == 0; i++) {
        size_t to = i < cut_count ? cuts[i] : len;
        rc = lp_reader_feed(&r, bytes + from, to - from, fuzz_on_message, seen);
        FUZZ_CHECK(lp_reader_pending(&r) < FUZZ_MESSAGE_MAX + VARINT_MAX_BYTES);
        from = to;
    }
    lp_reader_free(&r);
    return rc;
}

static int fuzz_compare_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t cut_count = data[0] % (FUZZ_CUTS_MAX + 1);
    if (size < 1 + 2 * cut_count) return 0;
    const uint8_t *bytes = data + 1 + 2 * cut_count;
    size_t len = size - 1 - 2 * cut_count;
    size_t cuts[FUZZ_CUTS_MAX];
    for (size_t i = 0; i < cut_count; i++) {
        size_t at = (size_t)data[1 + 2 * i] << 8 | data[2 + 2 * i];
        cuts[i] = len > 0 ? at % (len + 1) : 0;
    }
    qsort(cuts, cut_count, sizeof cuts[0], fuzz_compare_size);
    fuzz_seen whole, cut;
    int whole_rc = fuzz_feed(bytes, len, NULL, 0, &whole);
    int cut_rc = fuzz_feed(bytes, len, cuts, cut_count, &cut);
    FUZZ_CHECK(whole_rc == cut_rc);
    FUZZ_CHECK(whole.count == cut.count);
    FUZZ_CHECK(whole.hash == cut.hash);
    return 0;
}
