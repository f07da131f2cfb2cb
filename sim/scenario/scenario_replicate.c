/*
 * scenario_replicate: the key workload.data (issue 18; docs/scenarios.md
 * "workload.data"), blocks put and got by the honest nodes with r copies
 * each, and its checks. Off unless given: a scenario without it runs as
 * it always did.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>

#include "base/time_units.h"
#include "scenario_internal.h"

#define DATA(member) offsetof(scenario, workload.data.member)
#define DATA_BLOCK_MAX (1u << 20) /* a block: STORE_BLOCK_MAX (node/store/block.h) */

static const scn_field data_fields[] = {
    {.key = "put_rate", .conv = scn_conv_rate, .offset = DATA(put_rate_per_s), .flags = SCN_POSITIVE},
    {.key = "get_rate", .conv = scn_conv_rate, .offset = DATA(get_rate_per_s), .flags = SCN_POSITIVE},
    {.key = "size", .conv = scn_conv_size, .offset = DATA(size_bytes), .width = 8, .min = 1, .max = DATA_BLOCK_MAX},
    {.key = "replication", .conv = scn_conv_uint, .offset = DATA(replication), .width = 4, .min = 1,
     .max = SCENARIO_DATA_R_MAX},
    {.key = "grace", .conv = scn_conv_duration, .offset = DATA(grace_ns), .flags = SCN_POSITIVE},
    {.key = "deadline", .conv = scn_conv_duration, .offset = DATA(deadline_ns), .flags = SCN_POSITIVE},
};
static const scn_table data_table = SCN_TABLE(data_fields);

/* The defaults a workload.data map starts from (docs/scenarios.md). */
static void data_defaults(scenario_data *d) {
    *d = (scenario_data){.put_rate_per_s = 1.0, .get_rate_per_s = 10.0, .size_bytes = 4096, .replication = 3,
                         .grace_ns = 30 * NS_PER_S, .deadline_ns = 10 * NS_PER_S};
}

int scn_conv_data(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario *s = base;
    data_defaults(&s->workload.data);
    if (scn_convert_map(c, n, base, &data_table) < 0) return -1;
    s->workload.data.present = true;
    s->workload.data.line = n->key_line;
    return 0;
}

int scn_check_data(scn_ctx *c) {
    const scenario *s = c->s;
    if (!s->workload.data.present) return 0;
    if (s->nodes.count <= SCENARIO_DATA_NODES_MAX) return 0;
    snprintf(c->err, c->err_cap, "%s:%d: workload.data: runs with at most %d nodes (each knows them all), got %u",
             c->path, s->workload.data.line, SCENARIO_DATA_NODES_MAX, (unsigned)s->nodes.count);
    return -1;
}
