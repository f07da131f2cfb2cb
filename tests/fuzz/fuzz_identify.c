/*
 * fuzz_identify: hostile bytes into the Identify decoder.
 *
 * Every input must decode or be refused without a crash, and a refused
 * input must leave an empty message. A message that decodes is encoded
 * again (which can only fail when it carried no known field) and decoded
 * once more: both readings must agree field by field.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/identify_pb.h"

static identify_message fuzz_first;
static identify_message fuzz_second;
static uint8_t fuzz_wire[IDENTIFY_MESSAGE_MAX_BYTES];

static void fuzz_check(int ok) {
    if (!ok) abort(); /* a failed check must stop the fuzzer in every build */
}

static int fuzz_same(identify_bytes a, identify_bytes b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static int fuzz_field_count(const identify_message *m) {
    return (int)(m->listen_addr_count + m->protocol_count) + m->has_public_key +
           m->has_observed_addr + m->has_protocol_version + m->has_agent_version +
           m->has_signed_peer_record;
}

static void fuzz_compare(const identify_message *a, const identify_message *b) {
    fuzz_check(a->has_public_key == b->has_public_key && fuzz_same(a->public_key, b->public_key));
    fuzz_check(a->has_observed_addr == b->has_observed_addr &&
               fuzz_same(a->observed_addr, b->observed_addr));
    fuzz_check(a->has_protocol_version == b->has_protocol_version &&
               fuzz_same(a->protocol_version, b->protocol_version));
    fuzz_check(a->has_agent_version == b->has_agent_version &&
               fuzz_same(a->agent_version, b->agent_version));
    fuzz_check(a->has_signed_peer_record == b->has_signed_peer_record &&
               fuzz_same(a->signed_peer_record, b->signed_peer_record));
    fuzz_check(a->listen_addr_count == b->listen_addr_count);
    fuzz_check(a->protocol_count == b->protocol_count);
    for (size_t i = 0; i < a->listen_addr_count; i++) {
        fuzz_check(fuzz_same(a->listen_addrs[i], b->listen_addrs[i]));
    }
    for (size_t i = 0; i < a->protocol_count; i++) {
        fuzz_check(fuzz_same(a->protocols[i], b->protocols[i]));
    }
}

/* libFuzzer's entry point; declared here because no header does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (identify_decode(data, size, &fuzz_first) != 0) {
        fuzz_check(fuzz_field_count(&fuzz_first) == 0);
        return 0;
    }
    fuzz_check(fuzz_first.protocol_count <= IDENTIFY_PROTOCOLS_MAX);
    fuzz_check(fuzz_first.listen_addr_count <= IDENTIFY_ADDRS_MAX);
    size_t n = identify_encode(&fuzz_first, fuzz_wire, sizeof fuzz_wire);
    if (n == 0) {
        fuzz_check(fuzz_field_count(&fuzz_first) == 0);
        return 0;
    }
    /* Unknown fields are dropped and lengths minimal: never longer. */
    fuzz_check(n <= size);
    fuzz_check(identify_decode(fuzz_wire, n, &fuzz_second) == 0);
    fuzz_compare(&fuzz_first, &fuzz_second);
    return 0;
}
