/*
 * scenario_sealed: the key workload.sealed, the workload's topics as
 * encrypted topics (scenario.h scenario_sealed; docs/scenarios.md). Its
 * own table, defaults and checks, so that the rest of the loader only
 * names it.
 */
#include <stddef.h>
#include <stdint.h>

#include "data/sealed_topic.h"
#include "pubsub/gossipsub_params.h"
#include "scenario_internal.h"

#define SD(member) offsetof(scenario, workload.sealed.member)

static const scn_field sealed_fields[] = {
    {.key = "members", .conv = scn_conv_selector, .offset = SD(members)},
    {.key = "revoked", .conv = scn_conv_selector, .offset = SD(revoked)},
    {.key = "key_seed", .conv = scn_conv_uint, .offset = SD(key_seed), .width = 8},
    {.key = "rotate_at", .conv = scn_conv_duration, .offset = SD(rotate_at_ns), .flags = SCN_POSITIVE},
};
static const scn_table sealed_table = SCN_TABLE(sealed_fields);

void scn_sealed_defaults(scenario *s) {
    s->workload.sealed = (scenario_sealed){.members = {.kind = SELECT_ALL},
                                           .revoked = {.kind = SELECT_COUNT, .count = 0},
                                           .key_seed = 1};
}

int scn_conv_sealed(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario *s = base;
    if (scn_convert_map(c, n, base, &sealed_table) < 0) return -1;
    s->workload.sealed.present = true;
    s->workload.sealed.line = n->key_line;
    return 0;
}

int scn_check_sealed(scn_ctx *c) {
    const scenario *s = c->s;
    const scenario_sealed *sealed = &s->workload.sealed;
    if (!sealed->present) return 0;
    if (scn_check_selector(c, &sealed->members, "workload.sealed.members") < 0 ||
        scn_check_selector(c, &sealed->revoked, "workload.sealed.revoked") < 0)
        return -1;
    if (sealed->rotate_at_ns > 0 && scn_check_before_end(c, sealed->rotate_at_ns, "workload.sealed.rotate_at") < 0)
        return -1;
    if (sealed->revoked.kind != SELECT_COUNT || sealed->revoked.count > 0) {
        if (sealed->rotate_at_ns == 0)
            return scn_check_fail(c, "workload.sealed.revoked",
                                  "needs workload.sealed.rotate_at: a member is shut out by the rotation");
    }
    if (s->workload.size_bytes + SEALED_OVERHEAD > GOSSIPSUB_MESSAGE_SIZE_MAX)
        return scn_check_fail(c, "workload.size",
                              "with workload.sealed, %llu bytes and the envelope's %d must fit a message (%d bytes)",
                              (unsigned long long)s->workload.size_bytes, SEALED_OVERHEAD, GOSSIPSUB_MESSAGE_SIZE_MAX);
    return 0;
}
