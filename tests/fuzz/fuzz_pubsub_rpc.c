/*
 * fuzz_pubsub_rpc: hostile bytes into the pubsub RPC decoder.
 *
 * Every input must decode or be refused without a crash. For an RPC that
 * decodes, each message goes through StrictSign verification (which must
 * give a reason whenever it refuses, and may only accept complete messages),
 * and the RPC is re-encoded and decoded again: the second reading must hold
 * the same subscriptions and message fields as the first.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/pubsub_pb.h"

/* Re-encoding writes subscribe explicitly (2 bytes) even where the input
 * left it out, so only an RPC this close to the size limit may fail to fit. */
#define FUZZ_REENCODE_SLACK (2 * PUBSUB_SUBS_PER_RPC_MAX)

static pubsub_rpc fuzz_first;
static pubsub_rpc fuzz_second;
static uint8_t fuzz_wire[PUBSUB_RPC_MAX_BYTES];

static void fuzz_check(int ok) {
    if (!ok) abort(); /* a failed check must stop the fuzzer in every build */
}

static int fuzz_same(pubsub_bytes a, pubsub_bytes b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static void fuzz_verify(const pubsub_message *msg) {
    const char *reason = NULL;
    int rc = pubsub_message_verify(msg, &reason);
    if (rc != 0) {
        fuzz_check(rc == -1 && reason != NULL && reason[0] != '\0');
        return;
    }
    fuzz_check(reason == NULL);
    fuzz_check(msg->has_from && msg->has_signature);
    fuzz_check(msg->has_seqno && msg->seqno.len == PUBSUB_SEQNO_BYTES);
    fuzz_check(msg->signature.len == IDENTITY_SIGNATURE_BYTES);
    uint8_t id[PEER_ID_MAX_BYTES + PUBSUB_SEQNO_BYTES];
    fuzz_check(pubsub_message_id(msg, id, sizeof id) == msg->from.len + PUBSUB_SEQNO_BYTES);
}

static void fuzz_compare_message(const pubsub_message *a, const pubsub_message *b) {
    fuzz_check(a->has_from == b->has_from && fuzz_same(a->from, b->from));
    fuzz_check(a->has_data == b->has_data && fuzz_same(a->data, b->data));
    fuzz_check(a->has_seqno == b->has_seqno && fuzz_same(a->seqno, b->seqno));
    fuzz_check(a->has_topic == b->has_topic && fuzz_same(a->topic, b->topic));
    fuzz_check(a->has_signature == b->has_signature && fuzz_same(a->signature, b->signature));
    fuzz_check(a->has_key == b->has_key && fuzz_same(a->key, b->key));
}

static void fuzz_reencode(size_t size) {
    size_t n = pubsub_rpc_encode(fuzz_first.subs, fuzz_first.sub_count, fuzz_first.messages,
                                 fuzz_first.message_count, fuzz_wire, sizeof fuzz_wire);
    if (n == 0) {
        /* Nothing to encode, or (rarely) too big once subscribe is explicit. */
        int empty = fuzz_first.sub_count == 0 && fuzz_first.message_count == 0;
        fuzz_check(empty || size > PUBSUB_RPC_MAX_BYTES - FUZZ_REENCODE_SLACK);
        return;
    }
    fuzz_check(pubsub_rpc_decode(fuzz_wire, n, &fuzz_second) == 0);
    fuzz_check(fuzz_second.sub_count == fuzz_first.sub_count);
    fuzz_check(fuzz_second.message_count == fuzz_first.message_count);
    fuzz_check(!fuzz_second.has_control);
    for (size_t i = 0; i < fuzz_first.sub_count; i++) {
        fuzz_check(fuzz_second.subs[i].subscribe == fuzz_first.subs[i].subscribe);
        fuzz_check(fuzz_same(fuzz_second.subs[i].topic, fuzz_first.subs[i].topic));
    }
    for (size_t i = 0; i < fuzz_first.message_count; i++) {
        fuzz_compare_message(&fuzz_first.messages[i], &fuzz_second.messages[i]);
    }
}

/* libFuzzer's entry point; declared here because no header does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (pubsub_rpc_decode(data, size, &fuzz_first) != 0) {
        fuzz_check(fuzz_first.sub_count == 0 && fuzz_first.message_count == 0);
        return 0;
    }
    fuzz_check(fuzz_first.sub_count <= PUBSUB_SUBS_PER_RPC_MAX);
    fuzz_check(fuzz_first.message_count <= PUBSUB_MESSAGES_PER_RPC_MAX);
    for (size_t i = 0; i < fuzz_first.message_count; i++) {
        fuzz_check(fuzz_first.messages[i].topic.len <= PUBSUB_TOPIC_MAX);
        fuzz_verify(&fuzz_first.messages[i]);
    }
    fuzz_reencode(size);
    return 0;
}
