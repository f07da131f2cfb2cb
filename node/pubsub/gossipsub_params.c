/* gossipsub_params: the router's parameters as an array, and their
 * defaults, expanded from the list of gossipsub_params.h. */
#include "gossipsub_params.h"

#include <assert.h>

#include "gossipsub.h"
#include "score_params.h"

#define ROW(name, field, type, def, lo, hi) PARAM_ROW(gossipsub_config, name, field, PARAM_##type)
#define ROW_ALIASED(name, alias, field, type, def, lo, hi) ROW(name, field, type, def, lo, hi)
#define NO_ROW(name, field, type, lo, hi)
#define SET_ROW(name_, field_, set_)                                                                    \
    {.name = #name_, .field = #field_, .offset = offsetof(gossipsub_config, field_), .type = PARAM_SET, \
     .set = &(set_)},

static const param gossipsub_rows[] = {GOSSIPSUB_PARAMS(ROW, ROW_ALIASED, NO_ROW, SET_ROW)};

/* The relations between the parameters are gossipsub_config_check's, in
 * code: they compare whole numbers, which the rules of params.h do not. */
const param_set gossipsub_params_set = {
    .name = "gossipsub",
    .params = gossipsub_rows,
    .count = sizeof gossipsub_rows / sizeof gossipsub_rows[0],
};

#define DEFAULT(name, field, type, def, lo, hi) .field = (def),
#define DEFAULT_ALIASED(name, alias, field, type, def, lo, hi) .field = (def),
#define NO_DEFAULT(name, field, ...)

void gossipsub_config_default(gossipsub_config *c) {
    assert(c != NULL);
    *c = (gossipsub_config){GOSSIPSUB_PARAMS(DEFAULT, DEFAULT_ALIASED, NO_DEFAULT, NO_DEFAULT)};
    score_params_default(&c->score);
    score_topic_params_default(&c->topic_score);
    score_thresholds_default(&c->thresholds);
}
