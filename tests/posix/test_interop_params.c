/*
 * test_interop_params: the params.json of test-plans' gossipsub-interop
 * (node/posix/interop_params.c and its JSON reader interop_json.c), with no
 * daemon: every instruction kind, GossipSubParams onto go's defaults, the
 * spec's node keys (against the digest test-plans' implementations share),
 * and hostile files: wrong types, unknown instructions, nesting too deep,
 * strings, numbers and files too long, bad escapes, truncations. Each bad
 * file is refused with one line naming the file and the line, never a crash
 * (make test SAN=1 runs this under ASan and UBSan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "interop/interop_json.h"
#include "interop/interop_params.h"

#define ERR_MAX INTEROP_PARAMS_ERROR_MAX

static int parse(const char *text, interop_script *s, char *err) {
    err[0] = '\0';
    return interop_script_parse("params.json", text, strlen(text), s, err, ERR_MAX);
}

/* The file is refused, and the message names the file and holds want. */
static void refused(const char *text, const char *want) {
    interop_script s;
    char err[ERR_MAX];
    int rc = parse(text, &s, err);
    if (rc == 0 || strstr(err, want) == NULL || strncmp(err, "params.json: ", 13) != 0 ||
        strchr(err, '\n') != NULL) {
        print_error("text: %.200s\nerror: %s\nwanted: %s\n", text, err, want);
        if (rc == 0) interop_script_free(&s);
        fail();
    }
    assert_int_equal(s.count, 0);
    assert_null(s.items);
}

static void every_instruction_kind_is_read(void **state) {
    (void)state;
    const char *text =
        "{\"script\": [\n"
        " {\"type\": \"initGossipSub\", \"gossipSubParams\": {\"D\": 8, \"Dlo\": 6, \"Dhi\": 12, \"Dlazy\": 0,\n"
        "   \"GossipFactor\": 0, \"HeartbeatInterval\": 700000000, \"HistoryLength\": 6, \"HistoryGossip\": 3,\n"
        "   \"FanoutTTL\": 60000000000, \"HeartbeatInitialDelay\": 100100000, \"IDontWantMessageThreshold\": 1000,\n"
        "   \"Connectors\": 4, \"MaxIHaveLength\": 5000, \"IWantFollowupTime\": 3000000000}},\n"
        " {\"type\": \"ifNodeIDEquals\", \"nodeID\": 3, \"instruction\": {\"type\": \"connect\", \"connectTo\": [0, 1, 2]}},\n"
        " {\"type\": \"setTopicValidationDelay\", \"topicID\": \"a-subnet\", \"delaySeconds\": 0.005},\n"
        " {\"type\": \"subscribeToTopic\", \"topicID\": \"a-subnet\", \"partial\": false},\n"
        " {\"type\": \"waitUntil\", \"elapsedSeconds\": 120},\n"
        " {\"type\": \"ifNodeIDEquals\", \"nodeID\": 2, \"instruction\":\n"
        "   {\"type\": \"publish\", \"messageID\": 18446744073709551615, \"messageSizeBytes\": 98304, \"topicID\": \"a-subnet\"}},\n"
        " {\"type\": \"waitUntil\", \"elapsedSeconds\": 1.5, \"unused\": [1, {\"x\": null}]}\n"
        "], \"other\": true}\n";
    interop_script s;
    char err[ERR_MAX];
    assert_int_equal(parse(text, &s, err), 0);
    assert_int_equal(s.count, 7);
    assert_int_equal(s.total, 9);

    const interop_instruction *init = &s.items[0];
    assert_int_equal(init->kind, INTEROP_INIT_GOSSIPSUB);
    assert_int_equal(init->line, 2);
    const gossipsub_config *g = init->gossipsub;
    assert_int_equal(g->D, 8);
    assert_int_equal(g->D_lo, 6);
    assert_int_equal(g->D_hi, 12);
    assert_int_equal(g->D_lazy, 0);
    assert_true(g->gossip_factor == 0.0);
    assert_int_equal(g->heartbeat_ns, 700000000);
    assert_int_equal(g->mcache_len, 6);
    assert_int_equal(g->mcache_gossip, 3);
    assert_int_equal(g->fanout_ttl_ns, 60000000000ull);
    assert_int_equal(g->idontwant_min_bytes, 1000);
    assert_int_equal(g->px_dials_in_flight, 4);
    assert_int_equal(g->max_ihave_length, 5000);
    assert_int_equal(g->iwant_followup_ns, 3000000000ull);
    assert_int_equal(s.ignored_count, 1);
    assert_string_equal(s.ignored[0], "HeartbeatInitialDelay");

    const interop_instruction *conn = &s.items[1];
    assert_int_equal(conn->kind, INTEROP_IF_NODE_ID_EQUALS);
    assert_int_equal(conn->node_id, 3);
    assert_int_equal(conn->inner->kind, INTEROP_CONNECT);
    assert_int_equal(conn->inner->connect_count, 3);
    assert_int_equal(conn->inner->connect_to[2], 2);
    assert_ptr_equal(interop_effective(conn, 3), conn->inner);
    assert_null(interop_effective(conn, 2));

    assert_int_equal(s.items[2].kind, INTEROP_SET_VALIDATION_DELAY);
    assert_string_equal(s.items[2].topic, "a-subnet");
    assert_int_equal(s.items[2].delay_ns, 5000000);
    assert_int_equal(s.items[3].kind, INTEROP_SUBSCRIBE);
    assert_string_equal(s.items[3].topic, "a-subnet");
    assert_int_equal(s.items[4].kind, INTEROP_WAIT_UNTIL);
    assert_int_equal(s.items[4].elapsed_ns, 120000000000ull);
    const interop_instruction *pub = interop_effective(&s.items[5], 2);
    assert_non_null(pub);
    assert_int_equal(pub->kind, INTEROP_PUBLISH);
    assert_true(pub->message_id == UINT64_MAX);
    assert_int_equal(pub->message_bytes, 98304);
    assert_int_equal(s.items[6].elapsed_ns, 1500000000ull);
    assert_ptr_equal(interop_effective(&s.items[6], 99), &s.items[6]);
    interop_script_free(&s);
}

static void absent_gossipsub_params_are_go_defaults(void **state) {
    (void)state;
    interop_script s;
    char err[ERR_MAX];
    assert_int_equal(parse("{\"script\":[{\"type\":\"initGossipSub\",\"gossipSubParams\":{\"D\":null}},"
                           "{\"type\":\"initGossipSub\"}]}",
                           &s, err),
                     0);
    gossipsub_config go;
    interop_gossipsub_default(&go);
    assert_int_equal(go.D_lo, 5); /* go-libp2p-pubsub's, not the spec's 4 */
    for (size_t i = 0; i < 2; i++) {
        const gossipsub_config *g = s.items[i].gossipsub;
        assert_int_equal(g->D, go.D);
        assert_int_equal(g->D_lo, go.D_lo);
        assert_int_equal(g->heartbeat_ns, go.heartbeat_ns);
        assert_null(g->random);
    }
    interop_script_free(&s);
    assert_int_equal(parse("{\"script\":[]}", &s, err), 0);
    assert_int_equal(s.count, 0);
    interop_script_free(&s);
}

/* test-plans' NodeKeyTest: the SHA-256 of ">N:PEERID\n" for node ids 0 to
 * 9999 is what go, rust and jvm derive; ours must match. */
static void node_keys_match_test_plans_digest(void **state) {
    (void)state;
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    for (uint32_t n = 0; n < 10000; n++) {
        char id[PEER_ID_TEXT_MAX], line[PEER_ID_TEXT_MAX + 32];
        interop_node_peer_text(n, id);
        int len = snprintf(line, sizeof line, ">%u:%s\n", n, id);
        crypto_hash_sha256_update(&h, (const uint8_t *)line, (size_t)len);
    }
    uint8_t digest[32];
    crypto_hash_sha256_final(&h, digest);
    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    assert_string_equal(hex, "11395ea896d00ca25f7f648ebb336488ee092096a5498d90d76b92eaec27867a");
}

static void wrong_types_are_refused_with_their_line(void **state) {
    (void)state;
    refused("[]", "line 1: the file must hold an object with \"script\", not an array");
    refused("{}", "\"script\" is missing");
    refused("{\"script\": {}}", "\"script\" must be an array, not an object");
    refused("{\"script\": [1]}", "an instruction must be an object, not a number");
    refused("{\"script\": [{}]}", "\"type\" is missing");
    refused("{\"script\": [{\"type\": 3}]}", "\"type\" must be a string, not a number");
    refused("{\"script\": [\n\n{\"type\": \"connect\", \"connectTo\": \"node1\"}]}",
            "line 3: connect: \"connectTo\" must be an array, not a string");
    refused("{\"script\": [{\"type\": \"connect\", \"connectTo\": [1, -2]}]}", "connect: \"connectTo\" must hold node ids");
    refused("{\"script\": [{\"type\": \"connect\", \"connectTo\": [1.5]}]}", "must hold node ids");
    refused("{\"script\": [{\"type\": \"connect\", \"connectTo\": [2147483648]}]}", "must hold node ids");
    refused("{\"script\": [{\"type\": \"waitUntil\", \"elapsedSeconds\": \"10\"}]}",
            "waitUntil: \"elapsedSeconds\" must be a number, not a string");
    refused("{\"script\": [{\"type\": \"waitUntil\", \"elapsedSeconds\": -1}]}", "must be seconds from 0");
    refused("{\"script\": [{\"type\": \"waitUntil\", \"elapsedSeconds\": 1e300}]}", "must be seconds from 0");
    refused("{\"script\": [{\"type\": \"publish\", \"messageID\": 1, \"messageSizeBytes\": 7, \"topicID\": \"t\"}]}",
            "\"messageSizeBytes\" must be a whole number from 8");
    refused("{\"script\": [{\"type\": \"publish\", \"messageID\": -1, \"messageSizeBytes\": 8, \"topicID\": \"t\"}]}",
            "\"messageID\" must be a whole number");
    refused("{\"script\": [{\"type\": \"publish\", \"messageID\": 18446744073709551616, \"messageSizeBytes\": 8, "
            "\"topicID\": \"t\"}]}",
            "\"messageID\" must be a whole number");
    refused("{\"script\": [{\"type\": \"publish\", \"messageID\": 1, \"messageSizeBytes\": 99999999, \"topicID\": \"t\"}]}",
            "\"messageSizeBytes\" must be a whole number");
    refused("{\"script\": [{\"type\": \"publish\", \"messageID\": 1, \"messageSizeBytes\": 8}]}", "\"topicID\" is missing");
    refused("{\"script\": [{\"type\": \"subscribeToTopic\", \"topicID\": \"\"}]}", "\"topicID\" must be 1 to");
    refused("{\"script\": [{\"type\": \"subscribeToTopic\", \"topicID\": \"a\\u0000b\"}]}", "without NUL");
    refused("{\"script\": [{\"type\": \"subscribeToTopic\", \"topicID\": \"t\", \"partial\": true}]}",
            "partial messages are not supported");
    refused("{\"script\": [{\"type\": \"subscribeToTopic\", \"topicID\": \"t\", \"partial\": 1}]}",
            "\"partial\" must be a boolean");
    refused("{\"script\": [{\"type\": \"setTopicValidationDelay\", \"topicID\": \"t\", \"delaySeconds\": 61}]}",
            "\"delaySeconds\" must be seconds from 0 to 60");
    refused("{\"script\": [{\"type\": \"ifNodeIDEquals\", \"nodeID\": 1}]}", "\"instruction\" is missing");
    refused("{\"script\": [{\"type\": \"ifNodeIDEquals\", \"nodeID\": 1, \"instruction\": []}]}",
            "\"instruction\" must be an object, not an array");
    refused("{\"script\": [{\"type\": \"ifNodeIDEquals\", \"nodeID\": \"1\", \"instruction\": {}}]}",
            "\"nodeID\" must be a number");
    refused("{\"script\": [{\"type\": \"ifNodeIDEquals\", \"nodeID\": 1, \"instruction\": {\"type\": \"nope\"}}]}",
            "unknown instruction type \"nope\"");
    refused("{\"script\": [{\"type\": \"initGossipSub\", \"gossipSubParams\": []}]}",
            "\"gossipSubParams\" must be an object, not an array");
    refused("{\"script\": [{\"type\": \"initGossipSub\", \"gossipSubParams\": {\"D\": \"8\"}}]}",
            "gossipSubParams.D must be a number, not a string");
    refused("{\"script\": [{\"type\": \"initGossipSub\", \"gossipSubParams\": {\"D\": 1.5}}]}",
            "gossipSubParams.D must be a whole number");
    refused("{\"script\": [{\"type\": \"initGossipSub\", \"gossipSubParams\": {\"D\": 9999}}]}",
            "gossipSubParams.D must be from 0 to 512");
    refused("{\"script\": [{\"type\": \"initGossipSub\", \"gossipSubParams\": {\"HeartbeatInterval\": 0}}]}",
            "gossipSubParams.HeartbeatInterval must be above 0 nanoseconds");
    refused("{\"script\": [{\"type\": \"initGossipSub\", \"gossipSubParams\": {\"GossipFactor\": 2}}]}",
            "gossipSubParams.GossipFactor must be from 0 to 1");
    refused("{\"script\": [{\"type\": \"initGossipSub\", \"gossipSubParams\": {\"D\": 3}}]}",
            "the parameters do not fit together");
}

static void unknown_and_unsupported_instructions_are_refused(void **state) {
    (void)state;
    refused("{\"script\": [{\"type\": \"waitUntil\", \"elapsedSeconds\": 1}, {\"type\": \"dance\"}]}",
            "unknown instruction type \"dance\"");
    refused("{\"script\": [{\"type\": \"addPartialMessage\", \"topicID\": \"t\", \"groupID\": 1, \"parts\": 3}]}",
            "instruction addPartialMessage: partial messages are not supported");
    refused("{\"script\": [{\"type\": \"publishPartial\", \"topicID\": \"t\", \"groupID\": 1}]}",
            "publishPartial: partial messages");
    /* An unknown GossipSubParams field is ignored, as go's decoder does. */
    interop_script s;
    char err[ERR_MAX];
    assert_int_equal(parse("{\"script\":[{\"type\":\"initGossipSub\",\"gossipSubParams\":{\"Future\":[1]}}]}", &s, err), 0);
    assert_int_equal(s.ignored_count, 1);
    interop_script_free(&s);
}

static char *repeat(const char *head, const char *unit, size_t times, const char *tail) {
    size_t n = strlen(head) + strlen(unit) * times + strlen(tail) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    strcpy(s, head);
    char *p = s + strlen(head);
    for (size_t i = 0; i < times; i++) {
        memcpy(p, unit, strlen(unit));
        p += strlen(unit);
    }
    strcpy(p, tail);
    return s;
}

static void too_deep_too_long_and_malformed_are_refused(void **state) {
    (void)state;
    /* Nesting: arrays, and ifNodeIDEquals inside ifNodeIDEquals. */
    char *deep = repeat("{\"script\": ", "[", 100000, "");
    refused(deep, "nested deeper than 64");
    free(deep);
    char *nested = repeat("{\"script\": [", "{\"type\": \"ifNodeIDEquals\", \"nodeID\": 1, \"instruction\": ", 70, "");
    refused(nested, "nested deeper than 64");
    free(nested);
    /* A string too long, a number too long, too many node ids. */
    char *longstr = repeat("{\"script\": [{\"type\": \"subscribeToTopic\", \"topicID\": \"", "a", 5000, "\"}]}");
    refused(longstr, "a string longer than 4096 bytes");
    free(longstr);
    char *topic = repeat("{\"script\": [{\"type\": \"subscribeToTopic\", \"topicID\": \"", "a", 300, "\"}]}");
    refused(topic, "\"topicID\" must be 1 to 256 bytes");
    free(topic);
    char *longnum = repeat("{\"script\": [{\"type\": \"waitUntil\", \"elapsedSeconds\": 1", "0", 500, "}]}");
    refused(longnum, "a number longer than");
    free(longnum);
    char *ids = repeat("{\"script\": [{\"type\": \"connect\", \"connectTo\": [", "1,", 600, "1]}]}");
    refused(ids, "lists more than 512 nodes");
    free(ids);
    /* Malformed JSON. */
    refused("", "line 1: a value is missing");
    refused("{\"script\": [", "a value is missing");
    refused("{\"script\": [}", "not a JSON value");
    refused("{\"script\": []", "a ',' or '}' must follow");
    refused("{\"script\": [] } x", "text after the JSON value");
    refused("{\"script\" []}", "a ':' must follow the key \"script\"");
    refused("{script: []}", "an object member needs a quoted key");
    refused("{\"script\": [], \"script\": []}", "the key \"script\" appears twice");
    refused("{\"script\": [], \"a\\nb\": 1, \"a\\nb\": 2}", "the key \"a?b\" appears twice"); /* one line (fuzz) */
    refused("{\"script\": [{\"type\": \"x\\ny\"}]}", "unknown instruction type \"x?y\"");
    refused("{\"script\": \"abc", "a string is not closed");
    refused("{\"script\": \"a\tb\"}", "a control character inside a string");
    refused("{\"script\": \"\\x\"}", "an unknown escape \\x");
    refused("{\"script\": \"\\u12\"}", "four hex digits");
    refused("{\"script\": \"\\ud800\"}", "a high surrogate without its low surrogate");
    refused("{\"script\": \"\\udc00\"}", "a lone low surrogate");
    refused("{\"script\": 01}", "a leading zero");
    refused("{\"script\": 1.}", "digits after its point");
    refused("{\"script\": 1e}", "digits in its exponent");
    refused("{\"script\": -}", "a number needs a digit");
    refused("{\"script\": 1e999}", "a number too large");
    refused("{\"script\": tru}", "not a JSON value");
    /* Every prefix of a good file is refused cleanly (ASan watches). */
    const char *good = "{\"script\": [{\"type\": \"ifNodeIDEquals\", \"nodeID\": 1, \"instruction\": "
                       "{\"type\": \"publish\", \"messageID\": 3, \"messageSizeBytes\": 8, \"topicID\": \"t\\u00e9\"}}]}";
    for (size_t n = 0; n < strlen(good); n++) {
        interop_script s;
        char err[ERR_MAX];
        char *prefix = strndup(good, n);
        assert_int_equal(interop_script_parse("params.json", prefix, n, &s, err, sizeof err), -1);
        assert_non_null(strstr(err, "params.json: line 1: "));
        free(prefix);
    }
    interop_script s;
    char err[ERR_MAX];
    assert_int_equal(parse(good, &s, err), 0);
    assert_string_equal(s.items[0].inner->topic, "t\xc3\xa9");
    interop_script_free(&s);
}

static void the_reader_keeps_integers_exact(void **state) {
    (void)state;
    json_value *v;
    char err[JSON_READ_ERROR_MAX];
    const char *text = "[9007199254740993, -9223372036854775808, -0, 2.5, \"\\ud83d\\ude00\"]";
    assert_int_equal(json_read(text, strlen(text), &v, err, sizeof err), 0);
    assert_int_equal(v->len, 5);
    assert_true(v->items[0].is_integer && v->items[0].integer == 9007199254740993ull);
    assert_true(v->items[1].is_integer && v->items[1].negative && (int64_t)v->items[1].integer == INT64_MIN);
    assert_true(v->items[2].is_integer && !v->items[2].negative && v->items[2].integer == 0);
    assert_false(v->items[3].is_integer);
    assert_string_equal(v->items[4].string, "\xf0\x9f\x98\x80");
    json_read_free(v);
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_instruction_kind_is_read),
        cmocka_unit_test(absent_gossipsub_params_are_go_defaults),
        cmocka_unit_test(node_keys_match_test_plans_digest),
        cmocka_unit_test(wrong_types_are_refused_with_their_line),
        cmocka_unit_test(unknown_and_unsupported_instructions_are_refused),
        cmocka_unit_test(too_deep_too_long_and_malformed_are_refused),
        cmocka_unit_test(the_reader_keeps_integers_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
