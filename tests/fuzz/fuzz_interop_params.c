/*
 * fuzz_interop_params: hostile bytes as test-plans' params.json through
 * swarmlab-node's reader (node/interop/interop_json.c) and the script's parser
 * (interop_params.c). Whatever the bytes: no crash, no leak (ASan), and a
 * refusal is one line that names the file and a line; what parses holds
 * only known instructions whose values are within the bounds the parser
 * promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interop/interop_json.h"
#include "interop/interop_params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) abort(); \
    } while (0)

static void check_instruction(const interop_instruction *in, int depth) {
    FUZZ_CHECK(depth < JSON_READ_DEPTH_MAX);
    switch (in->kind) {
    case INTEROP_INIT_GOSSIPSUB:
        FUZZ_CHECK(in->gossipsub != NULL);
        FUZZ_CHECK(in->gossipsub->D_lo <= in->gossipsub->D && in->gossipsub->D <= in->gossipsub->D_hi);
        break;
    case INTEROP_CONNECT:
        FUZZ_CHECK(in->connect_count <= INTEROP_CONNECT_MAX);
        for (size_t i = 0; i < in->connect_count; i++) FUZZ_CHECK(in->connect_to[i] <= INTEROP_NODE_ID_MAX);
        break;
    case INTEROP_IF_NODE_ID_EQUALS:
        FUZZ_CHECK(in->inner != NULL);
        check_instruction(in->inner, depth + 1);
        break;
    case INTEROP_PUBLISH:
        FUZZ_CHECK(in->message_bytes >= INTEROP_MESSAGE_MIN);
        /* fall through */
    case INTEROP_SUBSCRIBE:
    case INTEROP_SET_VALIDATION_DELAY: {
        size_t len = strlen(in->topic);
        FUZZ_CHECK(len > 0 && len <= PUBSUB_TOPIC_MAX);
        FUZZ_CHECK(in->kind != INTEROP_SET_VALIDATION_DELAY || in->delay_ns <= PUBSUB_VALIDATION_DELAY_MAX_NS);
        break;
    }
    case INTEROP_WAIT_UNTIL: FUZZ_CHECK(in->elapsed_ns <= (uint64_t)(INTEROP_WAIT_MAX_S * 1e9) + 1); break;
    default: FUZZ_CHECK(0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1u << 20)) return 0;
    interop_script s;
    char err[INTEROP_PARAMS_ERROR_MAX];
    err[0] = '\0';
    if (interop_script_parse("fuzz.json", (const char *)data, size, &s, err, sizeof err) != 0) {
        FUZZ_CHECK(strncmp(err, "fuzz.json: line ", 16) == 0);
        FUZZ_CHECK(strchr(err, '\n') == NULL);
        FUZZ_CHECK(s.items == NULL && s.count == 0);
        return 0;
    }
    FUZZ_CHECK(s.total >= s.count);
    for (size_t i = 0; i < s.count; i++) check_instruction(&s.items[i], 0);
    interop_script_free(&s);
    return 0;
}
