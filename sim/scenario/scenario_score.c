/*
 * scenario_score: the GossipSub v1.1 peer-scoring keys of a scenario
 * (protocol.gossipsub.score, .topic_score and .thresholds), and their
 * checks.
 *
 * The keys and the checks both come from node/pubsub/score_params.h: the
 * numbers are converted without ranges, then checked with the rules the
 * score module validates with (score_params_validate and its siblings), so
 * the loader never accepts what the router would refuse, and an error
 * names the key of the first rule that broke rather than the whole map.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pubsub/score_params.h"
#include "scenario_internal.h"

#define SCORE_WHAT_MAX 256

#define SP(member) offsetof(scenario, protocol.gossipsub.score.member)
#define TP(member) offsetof(scenario, protocol.gossipsub.topic_score.member)
#define TH(member) offsetof(scenario, protocol.gossipsub.thresholds.member)

/* ---- the tables, from the lists of node/pubsub/score_params.h ------------- */

#define SP_FIELD(name, field, type, def) SCN_PARAM_FIELD(name, SP(field), type, 0, 0)
#define TP_FIELD(name, field, type, def) SCN_PARAM_FIELD(name, TP(field), type, 0, 0)
#define TH_FIELD(name, field, type, def) SCN_PARAM_FIELD(name, TH(field), type, 0, 0)

static const scn_field score_fields[] = {SCORE_PARAMS(SP_FIELD)};
const scn_table scn_score_table = SCN_TABLE(score_fields);

static const scn_field topic_score_fields[] = {SCORE_TOPIC_PARAMS(TP_FIELD)};
const scn_table scn_topic_score_table = SCN_TABLE(topic_score_fields);

static const scn_field thresholds_fields[] = {SCORE_THRESHOLDS(TH_FIELD)};
const scn_table scn_thresholds_table = SCN_TABLE(thresholds_fields);

/* ---- checking -------------------------------------------------------------- */

/* The key of the parameter of set at offset (every rule names one). */
static const char *rule_key(const param_set *set, size_t offset) {
    const param *p = param_set_find(set, offset);
    assert(p != NULL);
    return p->name;
}

/* The sentence for a broken rule: what it needs and what it got. */
static void rule_what(const param_set *set, const param_rule *r, const void *values, char *what, size_t cap) {
    if (r->kind == PARAM_RULE_NONZERO_NS) {
        snprintf(what, cap, "%s", r->needs);
        return;
    }
    double v = param_number(values, r->offset);
    const char *key = rule_key(set, r->offset);
    if (r->paired)
        snprintf(what, cap, "%s, got %s %g, %s %g", r->needs, key, v, rule_key(set, r->other_offset),
                 param_number(values, r->other_offset));
    else if (r->gated)
        snprintf(what, cap, "%s while %s is not 0, got %g", r->needs, rule_key(set, r->gate_offset), v);
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

/* Checks one set with its own rules (score_params.h), the very ones the
 * score module validates with: the first broken rule names its key. */
static int section_check(scn_ctx *c, const scn_node *m, const param_set *set, const void *values) {
    const param_rule *r = param_set_broken_rule(set, values);
    if (r == NULL) return 0;
    char what[SCORE_WHAT_MAX];
    rule_what(set, r, values, what, sizeof what);
    const scn_node *sec = scn_map_get(m, set->name);
    const char *key = rule_key(set, r->offset);
    const char *other = r->paired ? rule_key(set, r->other_offset) : NULL;
    return section_fail(c, m, set->name, rule_node(sec, key, other), key, what);
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
    if (section_check(c, m, &score_params_set, &g->score) < 0) return -1;
    if (section_check(c, m, &score_topic_params_set, &g->topic_score) < 0) return -1;
    if (section_check(c, m, &score_thresholds_set, &g->thresholds) < 0) return -1;
    assert(score_params_validate(&g->score) == 0);
    assert(score_topic_params_validate(&g->topic_score) == 0);
    assert(score_thresholds_validate(&g->thresholds) == 0);
    return 0;
}
