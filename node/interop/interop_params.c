/*
 * interop_params: params.json into a script (interop_params.h).
 */
#include "interop_params.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interop_json.h"
#include "pubsub/gossipsub_params.h"

/* ---- GossipSubParams ---------------------------------------------------- */

/* Our parameters with their bounds, from gossipsub_params.h's list. */
typedef struct our_param {
    const char *name;
    size_t offset;
    param_type type;
    double lo, hi;
} our_param;

#define OUR_P(name_, field_, type_, default_, lo_, hi_) \
    {#name_, offsetof(gossipsub_config, field_), PARAM_##type_, (double)(lo_), (double)(hi_)},
#define OUR_PA(name_, alias_, field_, type_, default_, lo_, hi_) OUR_P(name_, field_, type_, default_, lo_, hi_)
#define OUR_T(name_, field_, type_, lo_, hi_)
#define OUR_S(name_, field_, set_)
static const our_param our_params[] = {GOSSIPSUB_PARAMS(OUR_P, OUR_PA, OUR_T, OUR_S)};

/* go-libp2p-pubsub's GossipSubParams (gossipsub.go), field by field: ours,
 * or NULL when the router has no such parameter (docs/gossipsub-interop.md
 * says why each is ignored). */
static const struct {
    const char *go, *ours;
} go_params[] = {
    {"D", "D"},
    {"Dlo", "D_lo"},
    {"Dhi", "D_hi"},
    {"Dscore", "D_score"},
    {"Dout", "D_out"},
    {"HistoryLength", "mcache_len"},
    {"HistoryGossip", "mcache_gossip"},
    {"Dlazy", "D_lazy"},
    {"GossipFactor", "gossip_factor"},
    {"GossipRetransmission", NULL},
    {"HeartbeatInitialDelay", NULL},
    {"HeartbeatInterval", "heartbeat"},
    {"SlowHeartbeatWarning", NULL},
    {"FanoutTTL", "fanout_ttl"},
    {"PrunePeers", "prune_peers"},
    {"PruneBackoff", "prune_backoff"},
    {"UnsubscribeBackoff", "unsubscribe_backoff"},
    {"Connectors", "px_dials_in_flight"},
    {"MaxPendingConnections", NULL},
    {"ConnectionTimeout", NULL},
    {"DirectConnectTicks", NULL},
    {"DirectConnectInitialDelay", NULL},
    {"OpportunisticGraftTicks", "opportunistic_graft_ticks"},
    {"OpportunisticGraftPeers", "opportunistic_graft_peers"},
    {"GraftFloodThreshold", "graft_flood_threshold"},
    {"MaxIHaveLength", "max_ihave_length"},
    {"MaxIHaveMessages", "max_ihave_messages"},
    {"MaxIDontWantLength", NULL},
    {"MaxIDontWantMessages", "max_idontwant_messages"},
    {"IWantFollowupTime", "iwant_followup"},
    {"IDontWantMessageThreshold", "idontwant_min_size"},
    {"IDontWantMessageTTL", NULL},
};

void interop_gossipsub_default(gossipsub_config *config) {
    gossipsub_config_default(config);
    config->D_lo = 5; /* go-libp2p-pubsub's GossipSubDlo */
}

static const our_param *our_param_find(const char *name) {
    for (size_t i = 0; i < sizeof our_params / sizeof our_params[0]; i++)
        if (strcmp(our_params[i].name, name) == 0) return &our_params[i];
    return NULL;
}

/* ---- errors ------------------------------------------------------------- */

typedef struct parser {
    const char *path;
    char *err;
    size_t cap;
    interop_script *script;
} parser;

static int refuse(parser *p, uint32_t line, const char *fmt, ...) {
    int n = snprintf(p->err, p->cap, "%s: line %u: ", p->path, line);
    if (n < 0 || (size_t)n >= p->cap) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->cap - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* A member that must be there, of the given type. */
static const json_value *need(parser *p, const json_value *obj, const char *instruction, const char *key,
                              json_type type) {
    const json_value *v = json_member(obj, key);
    if (v == NULL) {
        refuse(p, obj->line, "%s: \"%s\" is missing", instruction, key);
        return NULL;
    }
    if (v->type != type) {
        refuse(p, v->line, "%s: \"%s\" must be %s, not %s", instruction, key, json_type_name(type),
               json_type_name(v->type));
        return NULL;
    }
    return v;
}

/* A whole number within lo..hi. */
static int need_whole(parser *p, const json_value *obj, const char *instruction, const char *key, uint64_t lo,
                      uint64_t hi, uint64_t *out) {
    const json_value *v = need(p, obj, instruction, key, JSON_NUMBER);
    if (v == NULL) return -1;
    if (!v->is_integer || v->negative || v->integer < lo || v->integer > hi)
        return refuse(p, v->line, "%s: \"%s\" must be a whole number from %llu to %llu", instruction, key,
                      (unsigned long long)lo, (unsigned long long)hi);
    *out = v->integer;
    return 0;
}

/* Seconds (a number, fraction allowed) within 0..hi, as nanoseconds. */
static int need_seconds(parser *p, const json_value *obj, const char *instruction, const char *key, double hi,
                        uint64_t *out_ns) {
    const json_value *v = need(p, obj, instruction, key, JSON_NUMBER);
    if (v == NULL) return -1;
    if (!(v->number >= 0 && v->number <= hi))
        return refuse(p, v->line, "%s: \"%s\" must be seconds from 0 to %g", instruction, key, hi);
    *out_ns = (uint64_t)(v->number * 1e9 + 0.5); /* rounded; no libm in the daemon */
    return 0;
}

static int need_topic(parser *p, const json_value *obj, const char *instruction, char out[PUBSUB_TOPIC_MAX + 1]) {
    const json_value *v = need(p, obj, instruction, "topicID", JSON_STRING);
    if (v == NULL) return -1;
    if (v->len == 0 || v->len > PUBSUB_TOPIC_MAX || memchr(v->string, '\0', v->len) != NULL)
        return refuse(p, v->line, "%s: \"topicID\" must be 1 to %d bytes without NUL", instruction,
                      PUBSUB_TOPIC_MAX);
    memcpy(out, v->string, v->len + 1);
    return 0;
}

static void note_ignored(interop_script *s, const char *name) {
    for (size_t i = 0; i < s->ignored_count; i++)
        if (strcmp(s->ignored[i], name) == 0) return;
    if (s->ignored_count < INTEROP_IGNORED_PARAMS_MAX) s->ignored[s->ignored_count++] = name;
}

static void dummy_random(void *user, uint8_t *buf, size_t len) {
    (void)user;
    memset(buf, 0, len);
}

/* One GossipSubParams member onto config. */
static int apply_param(parser *p, const char *key, const json_value *v, gossipsub_config *config) {
    size_t k = 0;
    while (k < sizeof go_params / sizeof go_params[0] && strcmp(go_params[k].go, key) != 0) k++;
    if (k == sizeof go_params / sizeof go_params[0]) {
        note_ignored(p->script, "(unknown fields)");
        return 0; /* go's decoder ignores unknown fields too */
    }
    if (v->type == JSON_NULL) return 0; /* Python's None: go's default stays */
    if (v->type != JSON_NUMBER)
        return refuse(p, v->line, "initGossipSub: gossipSubParams.%s must be a number, not %s", key,
                      json_type_name(v->type));
    if (go_params[k].ours == NULL) {
        note_ignored(p->script, go_params[k].go);
        return 0;
    }
    const our_param *ours = our_param_find(go_params[k].ours);
    if (ours == NULL) return refuse(p, v->line, "initGossipSub: gossipSubParams.%s has no parameter", key);
    char *field = (char *)config + ours->offset;
    bool duration = ours->type == PARAM_DURATION || ours->type == PARAM_DURATION_POSITIVE;
    if (ours->type == PARAM_NUMBER) {
        if (!(v->number >= ours->lo && v->number <= ours->hi))
            return refuse(p, v->line, "initGossipSub: gossipSubParams.%s must be from %g to %g", key, ours->lo,
                          ours->hi);
        *(double *)(void *)field = v->number;
        return 0;
    }
    if (!v->is_integer || v->negative)
        return refuse(p, v->line, "initGossipSub: gossipSubParams.%s must be a whole number at least 0%s", key,
                      duration ? " (nanoseconds)" : "");
    uint64_t x = v->integer;
    if (duration) {
        if (ours->type == PARAM_DURATION_POSITIVE && x == 0)
            return refuse(p, v->line, "initGossipSub: gossipSubParams.%s must be above 0 nanoseconds", key);
        *(uint64_t *)(void *)field = x;
        return 0;
    }
    if ((double)x < ours->lo || (double)x > ours->hi)
        return refuse(p, v->line, "initGossipSub: gossipSubParams.%s must be from %.0f to %.0f", key, ours->lo,
                      ours->hi);
    switch (ours->type) {
    case PARAM_INT: *(int *)(void *)field = (int)x; break;
    case PARAM_UINT32:
    case PARAM_SIZE: *(uint32_t *)(void *)field = (uint32_t)x; break;
    case PARAM_UINT64: *(uint64_t *)(void *)field = x; break;
    default: return refuse(p, v->line, "initGossipSub: gossipSubParams.%s has an unexpected type", key);
    }
    return 0;
}

static int parse_gossipsub(parser *p, const json_value *obj, interop_instruction *out) {
    const json_value *params = json_member(obj, "gossipSubParams");
    if (params != NULL && params->type != JSON_OBJECT && params->type != JSON_NULL)
        return refuse(p, params->line, "initGossipSub: \"gossipSubParams\" must be an object, not %s",
                      json_type_name(params->type));
    out->gossipsub = malloc(sizeof *out->gossipsub);
    if (out->gossipsub == NULL) return refuse(p, obj->line, "out of memory");
    interop_gossipsub_default(out->gossipsub);
    if (params != NULL && params->type == JSON_OBJECT)
        for (size_t i = 0; i < params->len; i++)
            if (apply_param(p, params->keys[i], &params->items[i], out->gossipsub) != 0) return -1;
    out->gossipsub->random = dummy_random; /* the check wants one; the node brings its own */
    int bad = gossipsub_config_check(out->gossipsub);
    out->gossipsub->random = NULL;
    if (bad != 0)
        return refuse(p, obj->line,
                      "initGossipSub: the parameters do not fit together (1 <= Dlo <= D <= Dhi, Dscore <= D, "
                      "Dout < Dlo, 1 <= HistoryGossip <= HistoryLength)");
    return 0;
}

/* ---- instructions ------------------------------------------------------- */

static int parse_instruction(parser *p, const json_value *obj, interop_instruction *out);

static int parse_connect(parser *p, const json_value *obj, interop_instruction *out) {
    const json_value *list = need(p, obj, "connect", "connectTo", JSON_ARRAY);
    if (list == NULL) return -1;
    if (list->len > INTEROP_CONNECT_MAX)
        return refuse(p, list->line, "connect: \"connectTo\" lists more than %d nodes", INTEROP_CONNECT_MAX);
    out->connect_to = calloc(list->len > 0 ? list->len : 1, sizeof *out->connect_to);
    if (out->connect_to == NULL) return refuse(p, list->line, "out of memory");
    for (size_t i = 0; i < list->len; i++) {
        const json_value *v = &list->items[i];
        if (v->type != JSON_NUMBER || !v->is_integer || v->negative || v->integer > INTEROP_NODE_ID_MAX)
            return refuse(p, v->line, "connect: \"connectTo\" must hold node ids, whole numbers from 0 to %d",
                          INTEROP_NODE_ID_MAX);
        out->connect_to[i] = (uint32_t)v->integer;
    }
    out->connect_count = list->len;
    return 0;
}

static int parse_if(parser *p, const json_value *obj, interop_instruction *out) {
    uint64_t id;
    if (need_whole(p, obj, "ifNodeIDEquals", "nodeID", 0, INTEROP_NODE_ID_MAX, &id) != 0) return -1;
    out->node_id = (uint32_t)id;
    const json_value *inner = need(p, obj, "ifNodeIDEquals", "instruction", JSON_OBJECT);
    if (inner == NULL) return -1;
    out->inner = calloc(1, sizeof *out->inner);
    if (out->inner == NULL) return refuse(p, inner->line, "out of memory");
    return parse_instruction(p, inner, out->inner);
}

static int parse_publish(parser *p, const json_value *obj, interop_instruction *out) {
    uint64_t size;
    if (need_whole(p, obj, "publish", "messageID", 0, UINT64_MAX, &out->message_id) != 0 ||
        need_whole(p, obj, "publish", "messageSizeBytes", INTEROP_MESSAGE_MIN, GOSSIPSUB_MESSAGE_SIZE_MAX, &size) !=
            0 ||
        need_topic(p, obj, "publish", out->topic) != 0)
        return -1;
    out->message_bytes = (size_t)size;
    return 0;
}

static int parse_subscribe(parser *p, const json_value *obj, interop_instruction *out) {
    const json_value *partial = json_member(obj, "partial");
    if (partial != NULL && partial->type != JSON_BOOL && partial->type != JSON_NULL)
        return refuse(p, partial->line, "subscribeToTopic: \"partial\" must be a boolean, not %s",
                      json_type_name(partial->type));
    if (partial != NULL && partial->type == JSON_BOOL && partial->boolean)
        return refuse(p, partial->line, "subscribeToTopic: partial messages are not supported by swarmlab-node");
    return need_topic(p, obj, "subscribeToTopic", out->topic);
}

static int parse_instruction(parser *p, const json_value *obj, interop_instruction *out) {
    out->line = obj->line;
    if (obj->type != JSON_OBJECT)
        return refuse(p, obj->line, "an instruction must be an object, not %s", json_type_name(obj->type));
    if (++p->script->total > INTEROP_INSTRUCTIONS_MAX)
        return refuse(p, obj->line, "more than %d instructions", INTEROP_INSTRUCTIONS_MAX);
    const json_value *type = need(p, obj, "an instruction", "type", JSON_STRING);
    if (type == NULL) return -1;
    const char *t = type->string;
    if (strcmp(t, "initGossipSub") == 0) {
        out->kind = INTEROP_INIT_GOSSIPSUB;
        return parse_gossipsub(p, obj, out);
    }
    if (strcmp(t, "connect") == 0) {
        out->kind = INTEROP_CONNECT;
        return parse_connect(p, obj, out);
    }
    if (strcmp(t, "ifNodeIDEquals") == 0) {
        out->kind = INTEROP_IF_NODE_ID_EQUALS;
        return parse_if(p, obj, out);
    }
    if (strcmp(t, "waitUntil") == 0) {
        out->kind = INTEROP_WAIT_UNTIL;
        return need_seconds(p, obj, "waitUntil", "elapsedSeconds", INTEROP_WAIT_MAX_S, &out->elapsed_ns);
    }
    if (strcmp(t, "subscribeToTopic") == 0) {
        out->kind = INTEROP_SUBSCRIBE;
        return parse_subscribe(p, obj, out);
    }
    if (strcmp(t, "publish") == 0) {
        out->kind = INTEROP_PUBLISH;
        return parse_publish(p, obj, out);
    }
    if (strcmp(t, "setTopicValidationDelay") == 0) {
        out->kind = INTEROP_SET_VALIDATION_DELAY;
        if (need_topic(p, obj, "setTopicValidationDelay", out->topic) != 0) return -1;
        return need_seconds(p, obj, "setTopicValidationDelay", "delaySeconds",
                            (double)PUBSUB_VALIDATION_DELAY_MAX_NS / 1e9, &out->delay_ns);
    }
    if (strcmp(t, "addPartialMessage") == 0 || strcmp(t, "publishPartial") == 0)
        return refuse(p, type->line, "instruction %s: partial messages are not supported by swarmlab-node", t);
    char quoted[JSON_QUOTE_MAX];
    json_quote_text(t, type->len, quoted);
    return refuse(p, type->line,
                  "unknown instruction type \"%s\" (initGossipSub, connect, ifNodeIDEquals, waitUntil, "
                  "subscribeToTopic, publish or setTopicValidationDelay)",
                  quoted);
}

static void free_instruction(interop_instruction *in) {
    free(in->gossipsub);
    free(in->connect_to);
    if (in->inner != NULL) {
        free_instruction(in->inner);
        free(in->inner);
    }
}

void interop_script_free(interop_script *script) {
    if (script == NULL) return;
    for (size_t i = 0; i < script->count; i++) free_instruction(&script->items[i]);
    free(script->items);
    memset(script, 0, sizeof *script);
}

int interop_script_parse(const char *path, const char *text, size_t len, interop_script *script, char *err,
                         size_t cap) {
    memset(script, 0, sizeof *script);
    parser p = {.path = path, .err = err, .cap = cap, .script = script};
    if (len > INTEROP_PARAMS_FILE_MAX) return refuse(&p, 1, "longer than %u bytes", INTEROP_PARAMS_FILE_MAX);
    json_value *root;
    char json_err[JSON_READ_ERROR_MAX];
    if (json_read(text, len, &root, json_err, sizeof json_err) != 0) {
        snprintf(err, cap, "%s: %s", path, json_err);
        return -1;
    }
    int rc = -1;
    const json_value *list;
    if (root->type != JSON_OBJECT) {
        refuse(&p, root->line, "the file must hold an object with \"script\", not %s", json_type_name(root->type));
    } else if ((list = need(&p, root, "the file", "script", JSON_ARRAY)) != NULL) {
        script->items = calloc(list->len > 0 ? list->len : 1, sizeof *script->items);
        if (script->items == NULL) {
            refuse(&p, list->line, "out of memory");
        } else {
            rc = 0;
            for (size_t i = 0; i < list->len && rc == 0; i++) {
                script->count = i + 1; /* so that a half-parsed one is freed */
                rc = parse_instruction(&p, &list->items[i], &script->items[i]);
            }
        }
    }
    json_read_free(root);
    if (rc != 0) interop_script_free(script);
    return rc;
}

const interop_instruction *interop_effective(const interop_instruction *item, uint32_t node_id) {
    while (item != NULL && item->kind == INTEROP_IF_NODE_ID_EQUALS) item = item->node_id == node_id ? item->inner : NULL;
    return item;
}

void interop_node_seed(uint32_t node_id, uint8_t seed[IDENTITY_SEED_BYTES]) {
    memset(seed, 0, IDENTITY_SEED_BYTES);
    uint64_t v = node_id;
    for (int i = 0; i < 8; i++) seed[i] = (uint8_t)(v >> (8 * i));
}

void interop_node_peer_text(uint32_t node_id, char out[PEER_ID_TEXT_MAX]) {
    uint8_t seed[IDENTITY_SEED_BYTES];
    interop_node_seed(node_id, seed);
    identity id;
    identity_from_seed(&id, seed);
    peer_id peer;
    peer_id_from_public_key(id.public_key, &peer);
    identity_wipe(&id);
    peer_id_to_text(&peer, out, PEER_ID_TEXT_MAX);
}
