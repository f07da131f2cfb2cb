/*
 * fuzz_multiaddr: hostile text and bytes through the multiaddr parsers. Both
 * accept only canonical forms, so whatever decodes must encode back to the
 * same bytes, and whatever parses must format to text that parses to the
 * same address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/multiaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) abort(); \
    } while (0)

enum { FUZZ_TEXT_MAX = 512, FUZZ_ENCODED_MAX = 128 };

static bool fuzz_same_address(const multiaddr *a, const multiaddr *b) {
    if (memcmp(a->ip4, b->ip4, sizeof a->ip4) != 0) return false;
    if (a->port != b->port || a->has_peer != b->has_peer) return false;
    return !a->has_peer || peer_id_equal(&a->peer, &b->peer);
}

static void fuzz_binary(const uint8_t *data, size_t size) {
    multiaddr ma;
    if (multiaddr_decode(data, size, &ma) != 0) return;
    uint8_t again[FUZZ_ENCODED_MAX];
    size_t n = multiaddr_encode(&ma, again, sizeof again);
    FUZZ_CHECK(n == size);
    FUZZ_CHECK(memcmp(again, data, size) == 0);
}

static void fuzz_text(const uint8_t *data, size_t size) {
    if (size >= FUZZ_TEXT_MAX) return;
    char text[FUZZ_TEXT_MAX];
    memcpy(text, data, size);
    text[size] = '\0';
    multiaddr ma;
    if (multiaddr_parse(text, &ma) != 0) return;
    char formatted[MULTIADDR_TEXT_MAX];
    FUZZ_CHECK(multiaddr_format(&ma, formatted, sizeof formatted) == 0);
    multiaddr reparsed;
    FUZZ_CHECK(multiaddr_parse(formatted, &reparsed) == 0);
    FUZZ_CHECK(fuzz_same_address(&ma, &reparsed));
    uint8_t bytes[FUZZ_ENCODED_MAX];
    size_t n = multiaddr_encode(&ma, bytes, sizeof bytes);
    FUZZ_CHECK(n > 0);
    multiaddr decoded;
    FUZZ_CHECK(multiaddr_decode(bytes, n, &decoded) == 0);
    FUZZ_CHECK(fuzz_same_address(&ma, &decoded));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_binary(data, size);
    fuzz_text(data, size);
    return 0;
}
