/*
 * scenario_score: the GossipSub v1.1 peer-scoring keys of a scenario
 * (protocol.gossipsub.score, .topic_score and .thresholds), and their
 * checks.
 *
 * The numbers are converted without ranges; what is possible is decided by
 * the score module itself (score_params_validate and its siblings in
 * node/pubsub/score.c), so the loader never accepts what the router would refuse.
 * When one of those refuses, the rules below say which constraint broke,
 * so that the error names the key rather than the whole map. The rules
 * mirror score.c's checks; should score.c gain a check they do not know,
 * the error still names the map, never lets the value through.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "scenario_internal.h"

#define SCORE_WHAT_MAX 256

#define SP(member) offsetof(scenario, protocol.gossipsub.score.member)
#define TP(member) offsetof(scenario, protocol.gossipsub.topic_score.member)
#define TH(member) offsetof(scenario, protocol.gossipsub.thresholds.member)
#define NUMBER(name, off) {.key = name, .conv = scn_conv_number, .offset = (off)}
#define DURATION(name, off, positive) \
    {.key = name, .conv = scn_conv_duration, .offset = (off), .flags = (positive) ? SCN_POSITIVE : 0u}

/* ---- the tables ----------------------------------------------------------- */

static const scn_field score_fields[] = {
    NUMBER("topic_score_cap", SP(topic_score_cap)),
    NUMBER("app_specific_weight", SP(app_specific_weight)),
    NUMBER("ip_colocation_factor_weight", SP(ip_colocation_factor_weight)),
    NUMBER("ip_colocation_factor_threshold", SP(ip_colocation_factor_threshold)),
    NUMBER("behaviour_penalty_weight", SP(behaviour_penalty_weight)),
    NUMBER("behaviour_penalty_threshold", SP(behaviour_penalty_threshold)),
    NUMBER("behaviour_penalty_decay", SP(behaviour_penalty_decay)),
    DURATION("decay_interval", SP(decay_interval_ns), true),
    NUMBER("decay_to_zero", SP(decay_to_zero)),
    DURATION("retain_score", SP(retain_score_ns), false),
};
const scn_table scn_score_table = SCN_TABLE(score_fields);

static const scn_field topic_score_fields[] = {
    NUMBER("topic_weight", TP(topic_weight)),
    NUMBER("time_in_mesh_weight", TP(time_in_mesh_weight)),
    DURATION("time_in_mesh_quantum", TP(time_in_mesh_quantum_ns), true),
    NUMBER("time_in_mesh_cap", TP(time_in_mesh_cap)),
    NUMBER("first_message_deliveries_weight", TP(first_message_deliveries_weight)),
    NUMBER("first_message_deliveries_decay", TP(first_message_deliveries_decay)),
    NUMBER("first_message_deliveries_cap", TP(first_message_deliveries_cap)),
    NUMBER("mesh_message_deliveries_weight", TP(mesh_message_deliveries_weight)),
    NUMBER("mesh_message_deliveries_decay", TP(mesh_message_deliveries_decay)),
    NUMBER("mesh_message_deliveries_cap", TP(mesh_message_deliveries_cap)),
    NUMBER("mesh_message_deliveries_threshold", TP(mesh_message_deliveries_threshold)),
    DURATION("mesh_message_deliveries_window", TP(mesh_message_deliveries_window_ns), false),
    DURATION("mesh_message_deliveries_activation", TP(mesh_message_deliveries_activation_ns), false),
    NUMBER("mesh_failure_penalty_weight", TP(mesh_failure_penalty_weight)),
    NUMBER("mesh_failure_penalty_decay", TP(mesh_failure_penalty_decay)),
    NUMBER("invalid_message_deliveries_weight", TP(invalid_message_deliveries_weight)),
    NUMBER("invalid_message_deliveries_decay", TP(invalid_message_deliveries_decay)),
};
const scn_table scn_topic_score_table = SCN_TABLE(topic_score_fields);

static const scn_field thresholds_fields[] = {
    NUMBER("gossip", TH(gossip)),
    NUMBER("publish", TH(publish)),
    NUMBER("graylist", TH(graylist)),
    NUMBER("accept_px", TH(accept_px)),
    NUMBER("opportunistic_graft", TH(opportunistic_graft)),
};
const scn_table scn_thresholds_table = SCN_TABLE(thresholds_fields);

/* ---- the rules of node/pubsub/score.c, one constraint each ---------------------- */

typedef enum score_rule_kind {
    RULE_AT_LEAST_ZERO, /* v >= 0 */
    RULE_AT_MOST_ZERO,  /* v <= 0 */
    RULE_ABOVE_ZERO,    /* v > 0 */
    RULE_AT_LEAST_ONE,  /* v >= 1 */
    RULE_DECAY,         /* 0 < v < 1 */
    RULE_AT_MOST_OTHER, /* v <= other */
    RULE_AT_LEAST_OTHER, /* v >= other */
    RULE_NONZERO_NS,    /* a duration above 0 */
} score_rule_kind;

typedef struct score_rule {
    const char *key;   /* the key the value has within its map */
    size_t offset;     /* of the value, within gossipsub_params */
    score_rule_kind kind;
    const char *needs; /* what the rule asks, for the message */
    const char *other; /* *_OTHER: the key compared with */
    size_t other_offset;
    const char *gate;  /* the rule applies only while this weight is not 0; or NULL */
    size_t gate_offset;
} score_rule;

#define G(member) offsetof(gossipsub_params, member)
#define RULE(k, m, kind_, needs_) {.key = k, .offset = G(m), .kind = kind_, .needs = needs_}
#define GATED(k, m, kind_, needs_, g, gm) \
    {.key = k, .offset = G(m), .kind = kind_, .needs = needs_, .gate = g, .gate_offset = G(gm)}
#define PAIR(k, m, kind_, needs_, o, om) \
    {.key = k, .offset = G(m), .kind = kind_, .needs = needs_, .other = o, .other_offset = G(om)}

/* In the order of score_params_validate. */
static const score_rule score_rules[] = {
    RULE("topic_score_cap", score.topic_score_cap, RULE_AT_LEAST_ZERO, "needs topic_score_cap >= 0 (0: no cap)"),
    RULE("app_specific_weight", score.app_specific_weight, RULE_AT_LEAST_ZERO, "needs app_specific_weight >= 0"),
    RULE("ip_colocation_factor_weight", score.ip_colocation_factor_weight, RULE_AT_MOST_ZERO,
         "needs ip_colocation_factor_weight <= 0"),
    GATED("ip_colocation_factor_threshold", score.ip_colocation_factor_threshold, RULE_AT_LEAST_ONE,
          "needs ip_colocation_factor_threshold >= 1", "ip_colocation_factor_weight",
          score.ip_colocation_factor_weight),
    RULE("behaviour_penalty_weight", score.behaviour_penalty_weight, RULE_AT_MOST_ZERO,
         "needs behaviour_penalty_weight <= 0"),
    GATED("behaviour_penalty_decay", score.behaviour_penalty_decay, RULE_DECAY, "needs 0 < decay < 1",
          "behaviour_penalty_weight", score.behaviour_penalty_weight),
    RULE("behaviour_penalty_threshold", score.behaviour_penalty_threshold, RULE_AT_LEAST_ZERO,
         "needs behaviour_penalty_threshold >= 0"),
    RULE("decay_interval", score.decay_interval_ns, RULE_NONZERO_NS, "must be longer than 0"),
    RULE("decay_to_zero", score.decay_to_zero, RULE_DECAY, "needs 0 < decay_to_zero < 1"),
};

/* In the order of score_topic_params_validate. */
static const score_rule topic_score_rules[] = {
    RULE("topic_weight", topic_score.topic_weight, RULE_AT_LEAST_ZERO, "needs topic_weight >= 0"),
    RULE("time_in_mesh_weight", topic_score.time_in_mesh_weight, RULE_AT_LEAST_ZERO, "needs time_in_mesh_weight >= 0"),
    RULE("first_message_deliveries_weight", topic_score.first_message_deliveries_weight, RULE_AT_LEAST_ZERO,
         "needs first_message_deliveries_weight >= 0"),
    RULE("mesh_message_deliveries_weight", topic_score.mesh_message_deliveries_weight, RULE_AT_MOST_ZERO,
         "needs mesh_message_deliveries_weight <= 0"),
    RULE("mesh_failure_penalty_weight", topic_score.mesh_failure_penalty_weight, RULE_AT_MOST_ZERO,
         "needs mesh_failure_penalty_weight <= 0"),
    RULE("invalid_message_deliveries_weight", topic_score.invalid_message_deliveries_weight, RULE_AT_MOST_ZERO,
         "needs invalid_message_deliveries_weight <= 0"),
    RULE("time_in_mesh_quantum", topic_score.time_in_mesh_quantum_ns, RULE_NONZERO_NS, "must be longer than 0"),
    GATED("time_in_mesh_cap", topic_score.time_in_mesh_cap, RULE_ABOVE_ZERO, "needs time_in_mesh_cap > 0",
          "time_in_mesh_weight", topic_score.time_in_mesh_weight),
    GATED("first_message_deliveries_decay", topic_score.first_message_deliveries_decay, RULE_DECAY,
          "needs 0 < decay < 1", "first_message_deliveries_weight", topic_score.first_message_deliveries_weight),
    GATED("first_message_deliveries_cap", topic_score.first_message_deliveries_cap, RULE_ABOVE_ZERO,
          "needs first_message_deliveries_cap > 0", "first_message_deliveries_weight",
          topic_score.first_message_deliveries_weight),
    GATED("mesh_message_deliveries_decay", topic_score.mesh_message_deliveries_decay, RULE_DECAY,
          "needs 0 < decay < 1", "mesh_message_deliveries_weight", topic_score.mesh_message_deliveries_weight),
    GATED("mesh_message_deliveries_threshold", topic_score.mesh_message_deliveries_threshold, RULE_ABOVE_ZERO,
          "needs mesh_message_deliveries_threshold > 0", "mesh_message_deliveries_weight",
          topic_score.mesh_message_deliveries_weight),
    PAIR("mesh_message_deliveries_cap", topic_score.mesh_message_deliveries_cap, RULE_AT_LEAST_OTHER,
         "needs mesh_message_deliveries_cap >= mesh_message_deliveries_threshold",
         "mesh_message_deliveries_threshold", topic_score.mesh_message_deliveries_threshold),
    GATED("mesh_failure_penalty_decay", topic_score.mesh_failure_penalty_decay, RULE_DECAY, "needs 0 < decay < 1",
          "mesh_failure_penalty_weight", topic_score.mesh_failure_penalty_weight),
    GATED("invalid_message_deliveries_decay", topic_score.invalid_message_deliveries_decay, RULE_DECAY,
          "needs 0 < decay < 1", "invalid_message_deliveries_weight", topic_score.invalid_message_deliveries_weight),
};

/* In the order of score_thresholds_validate. */
static const score_rule thresholds_rules[] = {
    RULE("gossip", thresholds.gossip, RULE_AT_MOST_ZERO, "needs graylist <= publish <= gossip <= 0"),
    PAIR("publish", thresholds.publish, RULE_AT_MOST_OTHER, "needs graylist <= publish <= gossip <= 0", "gossip",
         thresholds.gossip),
    PAIR("graylist", thresholds.graylist, RULE_AT_MOST_OTHER, "needs graylist <= publish <= gossip <= 0", "publish",
         thresholds.publish),
    RULE("accept_px", thresholds.accept_px, RULE_AT_LEAST_ZERO, "needs accept_px >= 0"),
    RULE("opportunistic_graft", thresholds.opportunistic_graft, RULE_AT_LEAST_ZERO, "needs opportunistic_graft >= 0"),
};

static int score_section_valid(const gossipsub_params *g) { return score_params_validate(&g->score); }
static int topic_score_section_valid(const gossipsub_params *g) { return score_topic_params_validate(&g->topic_score); }
static int thresholds_section_valid(const gossipsub_params *g) { return score_thresholds_validate(&g->thresholds); }

typedef struct score_section {
    const char *name; /* its key under protocol.gossipsub */
    const score_rule *rules;
    size_t count;
    int (*valid)(const gossipsub_params *g); /* the score module's verdict: 0 or -1 */
    const char *validator;
} score_section;

#define SECTION(name_, rules_, valid_, validator_) \
    {name_, rules_, sizeof(rules_) / sizeof((rules_)[0]), valid_, validator_}

static const score_section score_sections[] = {
    SECTION("score", score_rules, score_section_valid, "score_params_validate"),
    SECTION("topic_score", topic_score_rules, topic_score_section_valid, "score_topic_params_validate"),
    SECTION("thresholds", thresholds_rules, thresholds_section_valid, "score_thresholds_validate"),
};

/* ---- checking -------------------------------------------------------------- */

static double rule_number(const gossipsub_params *g, size_t offset) {
    return *(const double *)((const char *)g + offset);
}

/* Whether rule holds for g. The comparisons are written so that they hold
 * exactly when score.c's do (a NaN would break them too, though the value
 * parser refuses NaN). */
static bool rule_holds(const score_rule *r, const gossipsub_params *g) {
    if (r->kind == RULE_NONZERO_NS) return *(const uint64_t *)((const char *)g + r->offset) != 0;
    if (r->gate != NULL && rule_number(g, r->gate_offset) == 0.0) return true;
    double v = rule_number(g, r->offset);
    switch (r->kind) {
    case RULE_AT_LEAST_ZERO: return v >= 0.0;
    case RULE_AT_MOST_ZERO: return v <= 0.0;
    case RULE_ABOVE_ZERO: return v > 0.0;
    case RULE_AT_LEAST_ONE: return v >= 1.0;
    case RULE_DECAY: return v > 0.0 && v < 1.0;
    case RULE_AT_MOST_OTHER: return v <= rule_number(g, r->other_offset);
    case RULE_AT_LEAST_OTHER: return v >= rule_number(g, r->other_offset);
    case RULE_NONZERO_NS: break;
    }
    assert(false);
    return false;
}

/* The sentence for a broken rule: what it needs and what it got. */
static void rule_what(const score_rule *r, const gossipsub_params *g, char *what, size_t cap) {
    if (r->kind == RULE_NONZERO_NS) {
        snprintf(what, cap, "%s", r->needs);
        return;
    }
    double v = rule_number(g, r->offset);
    if (r->other != NULL)
        snprintf(what, cap, "%s, got %s %g, %s %g", r->needs, r->key, v, r->other, rule_number(g, r->other_offset));
    else if (r->gate != NULL)
        snprintf(what, cap, "%s while %s is not 0, got %g", r->needs, r->gate, v);
    else snprintf(what, cap, "%s, got %g", r->needs, v);
}

/* The key to blame within section map sec (may be NULL): one that --set
 * gave, else the first of the two that the file gave, else none. */
static const scn_node *rule_node(const scn_node *sec, const char *key, const char *other) {
    if (sec == NULL || sec->kind != SCN_MAP) return NULL;
    const scn_node *a = scn_map_get(sec, key);
    const scn_node *b = other != NULL ? scn_map_get(sec, other) : NULL;
    if (b != NULL && b->origin >= 0 && (a == NULL || a->origin < 0)) return b;
    return a != NULL ? a : b;
}

/* An error at protocol.gossipsub.SECTION.KEY, on the key when it was given,
 * else on the nearest map that was; m is the protocol.gossipsub map and
 * c->keypath its path. */
static int section_fail(scn_ctx *c, const scn_node *m, const char *section, const scn_node *blamed,
                        const char *key, const char *what) {
    const scn_node *sec = scn_map_get(m, section);
    size_t saved = scn_keypath_push(c, section, 0);
    const char *shown = blamed != NULL ? blamed->key : key;
    if (shown != NULL) scn_keypath_push(c, shown, 0);
    const scn_node *at = blamed != NULL ? blamed : sec != NULL ? sec : m;
    scn_fail_key(c, at, c->keypath, "%s", what);
    scn_keypath_pop(c, saved);
    return -1;
}

static int section_check(scn_ctx *c, const scn_node *m, const gossipsub_params *g, const score_section *s) {
    if (s->valid(g) == 0) return 0;
    char what[SCORE_WHAT_MAX];
    for (size_t i = 0; i < s->count; i++) {
        const score_rule *r = &s->rules[i];
        if (rule_holds(r, g)) continue;
        rule_what(r, g, what, sizeof what);
        const scn_node *sec = scn_map_get(m, s->name);
        return section_fail(c, m, s->name, rule_node(sec, r->key, r->other), r->key, what);
    }
    /* score.c refuses something these rules do not know: name the map. */
    snprintf(what, sizeof what, "refused by %s (node/pubsub/score.c)", s->validator);
    return section_fail(c, m, s->name, NULL, NULL, what);
}

/* opportunistic_graft_threshold is the older, flat name of
 * thresholds.opportunistic_graft: giving both is an error, as for D_lo and
 * D_low. */
static int twin_check(scn_ctx *c, const scn_node *m) {
    const scn_node *flat = scn_map_get(m, "opportunistic_graft_threshold");
    const scn_node *sec = scn_map_get(m, "thresholds");
    const scn_node *nested = sec != NULL && sec->kind == SCN_MAP ? scn_map_get(sec, "opportunistic_graft") : NULL;
    if (flat == NULL || nested == NULL) return 0;
    size_t saved = scn_keypath_push(c, flat->key, 0);
    if (flat->origin >= 0 || nested->origin >= 0)
        scn_fail_key(c, flat, c->keypath, "sets the same thing as thresholds.opportunistic_graft");
    else
        scn_fail_key(c, flat, c->keypath, "sets the same thing as thresholds.opportunistic_graft on line %d",
                     nested->key_line);
    scn_keypath_pop(c, saved);
    return -1;
}

int scn_check_scoring(scn_ctx *c, const scn_node *m, const gossipsub_params *g) {
    assert(c != NULL && m != NULL && g != NULL);
    assert(m->kind == SCN_MAP);
    if (twin_check(c, m) < 0) return -1;
    for (size_t i = 0; i < sizeof score_sections / sizeof score_sections[0]; i++)
        if (section_check(c, m, g, &score_sections[i]) < 0) return -1;
    assert(score_params_validate(&g->score) == 0);
    assert(score_topic_params_validate(&g->topic_score) == 0);
    assert(score_thresholds_validate(&g->thresholds) == 0);
    return 0;
}
