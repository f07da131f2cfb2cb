/* scenario_data: the keys of the swarm's data, protocol.announce and
 * protocol.query (issue 18; docs/scenarios.md). Off unless present: a
 * scenario without them runs exactly as before. */
#include <stddef.h>
#include <string.h>

#include "base/time_units.h"
#include "scenario_internal.h"

#define S(member) offsetof(scenario, member)
#define SCN_DATA_HOLDERS_MAX 1024
#define SCN_DATA_BLOCKS_MAX 64

static const scn_field announce_fields[] = {
    {.key = "topic", .conv = scn_conv_string, .offset = S(protocol.announce.topic), .width = SCENARIO_TOPIC_MAX},
    {.key = "target", .conv = scn_conv_uint, .offset = S(protocol.announce.target), .width = 4, .min = 1,
     .max = SCENARIO_ANNOUNCE_TARGET_MAX},
};
static const scn_table announce_table = SCN_TABLE(announce_fields);

/* A topic given as "" is refused where it is. */
static int topic_check(scn_ctx *c, const scn_node *n, const char *key, const char *topic) {
    const scn_node *v = scn_map_get(n, key);
    if (topic[0] != '\0') return 0;
    return scn_fail(c, v != NULL ? v : n, c->keypath, "%s: a topic needs at least one character", key);
}

int scn_conv_announce(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario_announce *a = &((scenario *)base)->protocol.announce;
    *a = (scenario_announce){.enabled = true, .topic = "swarm/announce", .target = 8};
    if (scn_convert_map(c, n, base, &announce_table) < 0) return -1;
    return topic_check(c, n, "topic", a->topic);
}

static const char *const reply_names[] = {"direct", "topic", NULL};

static int conv_reply(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int index;
    if (scn_choice(c, n, "reply", reply_names, &index) < 0) return -1;
    *(query_reply_kind *)((char *)base + f->offset) = (query_reply_kind)index;
    return 0;
}

static const scn_field query_fields[] = {
    {.key = "topic", .conv = scn_conv_string, .offset = S(protocol.query.topic), .width = SCENARIO_TOPIC_MAX},
    {.key = "result_topic", .conv = scn_conv_string, .offset = S(protocol.query.result_topic),
     .width = SCENARIO_TOPIC_MAX},
    {.key = "deadline", .conv = scn_conv_duration, .offset = S(protocol.query.deadline_ns), .flags = SCN_POSITIVE},
    {.key = "reply", .conv = conv_reply, .offset = S(protocol.query.reply)},
    {.key = "rate", .conv = scn_conv_rate, .offset = S(protocol.query.rate_per_s)},
    {.key = "holders", .conv = scn_conv_uint, .offset = S(protocol.query.holders), .width = 4, .min = 0,
     .max = SCN_DATA_HOLDERS_MAX},
    {.key = "blocks", .conv = scn_conv_uint, .offset = S(protocol.query.blocks), .width = 4, .min = 1,
     .max = SCN_DATA_BLOCKS_MAX},
    {.key = "start", .conv = scn_conv_duration, .offset = S(protocol.query.start_ns)},
};
static const scn_table query_table = SCN_TABLE(query_fields);

int scn_conv_query(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario_query *q = &((scenario *)base)->protocol.query;
    *q = (scenario_query){.enabled = true, .topic = "swarm/query", .result_topic = "swarm/result",
                          .deadline_ns = 2 * NS_PER_S, .reply = QUERY_REPLY_KIND_DIRECT, .rate_per_s = 1.0,
                          .holders = 3, .blocks = 8, .start_ns = 10 * NS_PER_S};
    if (scn_convert_map(c, n, base, &query_table) < 0) return -1;
    if (topic_check(c, n, "topic", q->topic) < 0 || topic_check(c, n, "result_topic", q->result_topic) < 0) return -1;
    if (strcmp(q->topic, q->result_topic) == 0)
        return scn_fail(c, n, c->keypath, "topic and result_topic must differ, both are \"%s\"", q->topic);
    if (q->start_ns < NS_PER_S)
        return scn_fail(c, n, c->keypath, "start: at least 1s (the blocks are put a second before)");
    return 0;
}
