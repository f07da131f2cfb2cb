/* params: walking the parameter sets of node/pubsub. See params.h. */
#include "params.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

double param_number(const void *values, size_t offset) {
    assert(values != NULL);
    double v;
    memcpy(&v, (const char *)values + offset, sizeof v);
    return v;
}

static uint64_t param_u64(const void *values, size_t offset) {
    uint64_t v;
    memcpy(&v, (const char *)values + offset, sizeof v);
    return v;
}

/* A gate of 0 turns its value off; a NaN gate does not, as `weight != 0`
 * reads in the spec. */
bool param_rule_holds(const param_rule *r, const void *values) {
    assert(r != NULL && values != NULL);
    if (r->kind == PARAM_RULE_NONZERO_NS) return param_u64(values, r->offset) != 0;
    if (r->gated && param_number(values, r->gate_offset) == 0.0) return true;
    double v = param_number(values, r->offset);
    switch (r->kind) {
    case PARAM_RULE_AT_LEAST_ZERO: return v >= 0.0;
    case PARAM_RULE_AT_MOST_ZERO: return v <= 0.0;
    case PARAM_RULE_ABOVE_ZERO: return v > 0.0;
    case PARAM_RULE_AT_LEAST_ONE: return v >= 1.0;
    case PARAM_RULE_DECAY: return v > 0.0 && v < 1.0;
    case PARAM_RULE_AT_MOST_OTHER: assert(r->paired); return v <= param_number(values, r->other_offset);
    case PARAM_RULE_AT_LEAST_OTHER: assert(r->paired); return v >= param_number(values, r->other_offset);
    case PARAM_RULE_NONZERO_NS: break;
    }
    assert(false);
    return false;
}

const param_rule *param_set_broken_rule(const param_set *s, const void *values) {
    assert(s != NULL && values != NULL);
    for (size_t i = 0; i < s->rule_count; i++)
        if (!param_rule_holds(&s->rules[i], values)) return &s->rules[i];
    return NULL;
}

const param *param_set_find(const param_set *s, size_t offset) {
    assert(s != NULL);
    for (size_t i = 0; i < s->count; i++)
        if (s->params[i].offset == offset) return &s->params[i];
    return NULL;
}
