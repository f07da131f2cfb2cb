/* score_params: the peer-scoring sets as arrays, their defaults and their
 * validators, all expanded from the lists of score_params.h. */
#include "score_params.h"

#include <assert.h>
#include <string.h>

/* ---- the sets, walkable ---- */

/* The rows below expand with SET_STRUCT, the struct of the set at hand. */
#define ROW(name, field, type, def) PARAM_ROW(SET_STRUCT, name, field, PARAM_##type)
#define RULE_OF(field, kind_, needs_) .offset = offsetof(SET_STRUCT, field), .kind = PARAM_RULE_##kind_, .needs = (needs_)
#define GATE(gate) .gated = true, .gate_offset = offsetof(SET_STRUCT, gate)
#define OTHER(other) .paired = true, .other_offset = offsetof(SET_STRUCT, other)
#define RULE(field, kind, needs) {RULE_OF(field, kind, needs)},
#define GATED(field, kind, needs, gate) {RULE_OF(field, kind, needs), GATE(gate)},
#define PAIR(field, kind, needs, other) {RULE_OF(field, kind, needs), OTHER(other)},
#define GATED_PAIR(field, kind, needs, gate, other) {RULE_OF(field, kind, needs), GATE(gate), OTHER(other)},
#define SET(name_, rows_, rules_) \
    {.name = (name_), .params = (rows_), .count = sizeof(rows_) / sizeof((rows_)[0]), \
     .rules = (rules_), .rule_count = sizeof(rules_) / sizeof((rules_)[0])}

#define SET_STRUCT score_params
static const param score_rows[] = {SCORE_PARAMS(ROW)};
static const param_rule score_rules[] = {SCORE_PARAMS_RULES(RULE, GATED, PAIR, GATED_PAIR)};
const param_set score_params_set = SET("score", score_rows, score_rules);
#undef SET_STRUCT

#define SET_STRUCT score_topic_params
static const param topic_rows[] = {SCORE_TOPIC_PARAMS(ROW)};
static const param_rule topic_rules[] = {SCORE_TOPIC_PARAMS_RULES(RULE, GATED, PAIR, GATED_PAIR)};
const param_set score_topic_params_set = SET("topic_score", topic_rows, topic_rules);
#undef SET_STRUCT

#define SET_STRUCT score_thresholds
static const param thresholds_rows[] = {SCORE_THRESHOLDS(ROW)};
static const param_rule thresholds_rules[] = {SCORE_THRESHOLDS_RULES(RULE, GATED, PAIR, GATED_PAIR)};
const param_set score_thresholds_set = SET("thresholds", thresholds_rows, thresholds_rules);
#undef SET_STRUCT

/* ---- defaults and validation ---- */

#define DEFAULT(name, field, type, def) .field = (def),

void score_params_default(score_params *p) {
    assert(p != NULL);
    *p = (score_params){SCORE_PARAMS(DEFAULT)};
    assert(score_params_validate(p) == 0);
}

void score_topic_params_default(score_topic_params *p) {
    assert(p != NULL);
    *p = (score_topic_params){SCORE_TOPIC_PARAMS(DEFAULT)};
    assert(score_topic_params_validate(p) == 0);
}

void score_thresholds_default(score_thresholds *t) {
    assert(t != NULL);
    *t = (score_thresholds){SCORE_THRESHOLDS(DEFAULT)};
    assert(score_thresholds_validate(t) == 0);
}

int score_params_validate(const score_params *p) {
    assert(p != NULL);
    return param_set_broken_rule(&score_params_set, p) == NULL ? 0 : -1;
}

int score_topic_params_validate(const score_topic_params *p) {
    assert(p != NULL);
    return param_set_broken_rule(&score_topic_params_set, p) == NULL ? 0 : -1;
}

int score_thresholds_validate(const score_thresholds *t) {
    assert(t != NULL);
    return param_set_broken_rule(&score_thresholds_set, t) == NULL ? 0 : -1;
}
