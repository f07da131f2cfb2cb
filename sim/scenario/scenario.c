/*
 * scenario: the scenario format of docs/scenarios.md as tables of keys,
 * the few keys that need their own converter, the defaults, and the entry
 * points of scenario.h. docs/scenarios.md is the reader's version of the
 * tables below; keep the two in step.
 *
 * Loading is three steps: the file becomes a tree (scenario_tree.c), the
 * --set overrides edit the tree, and the tree becomes the struct through
 * these tables (scenario_convert.c) and the checks across keys
 * (scenario_check.c). Overrides are therefore checked exactly like the file.
 */
#include <assert.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/time_units.h"
#include "core/node.h"
#include "pubsub/gossipsub_params.h"
#include "wire/pubsub_pb.h"
#include "scenario_internal.h"

/* A node keeps at most NODE_CONNECTIONS_MAX connections, so no degree can
 * exceed it. */
#define SCN_DEGREE_MAX NODE_CONNECTIONS_MAX
/* A message must fit an RPC with room for its envelope. */
#define SCN_MESSAGE_SIZE_MAX GOSSIPSUB_MESSAGE_SIZE_MAX

#define S(member) offsetof(scenario, member)
#define GS(member) offsetof(scenario, protocol.gossipsub.member)
#define OW(member) offsetof(offline_window, member)
#define PT(member) offsetof(partition, member)
#define AT(member) offsetof(attacker, member)

static void *field_at(void *base, const scn_field *f) { return (char *)base + f->offset; }

/* An error about child, a key of the map being converted. */
static int fail_child(scn_ctx *c, const scn_node *child, const char *what) {
    size_t saved = scn_keypath_push(c, child->key, 0);
    scn_fail_key(c, child, c->keypath, "%s", what);
    scn_keypath_pop(c, saved);
    return -1;
}

/* ---- keys with their own converter --------------------------------------- */

static int conv_name(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    if (scn_conv_string(c, n, base, f) < 0) return -1;
    const char *name = field_at(base, f);
    /* The name becomes a folder: results/runs/NAME-SEED/. */
    for (const char *p = name; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && strchr("._-", *p) == NULL)
            return scn_fail(c, n, c->keypath, "may hold only letters, digits, '.', '_' and '-', got \"%s\"", name);
    if (name[0] == '\0' || name[0] == '.') return scn_fail(c, n, c->keypath, "must start with a letter or digit");
    return 0;
}

static const char *const topology_names[] = {"bootstrap", "random-regular", "full", "ring", NULL};
static const char *const router_names[] = {"floodsub", "gossipsub", NULL};
static const char *const transport_names[] = {"ideal", "tcp", NULL}; /* network_transport */
static const char *const backend_names[] = {"builtin", "ns3", NULL}; /* network_backend */
static const char *const arrival_names[] = {"poisson", "periodic", NULL};

static int conv_topology_kind(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int index;
    if (scn_choice(c, n, "topology", topology_names, &index) < 0) return -1;
    *(topology_kind *)field_at(base, f) = (topology_kind)index;
    return 0;
}

static int conv_transport(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int index;
    if (scn_choice(c, n, "transport", transport_names, &index) < 0) return -1;
    *(network_transport *)field_at(base, f) = (network_transport)index;
    return 0;
}

static int conv_backend(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int index;
    if (scn_choice(c, n, "backend", backend_names, &index) < 0) return -1;
    scenario *s = base;
    s->network.backend = (network_backend)index;
    s->network.backend_line = n->key_line;
    (void)f;
    return 0;
}

static int conv_router(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int index;
    if (scn_choice(c, n, "router", router_names, &index) < 0) return -1;
    scenario *s = base;
    s->protocol.router = (router_kind)index;
    s->protocol.router_line = n->key_line;
    (void)f;
    return 0;
}

static int conv_arrival(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int index;
    if (scn_choice(c, n, "arrival", arrival_names, &index) < 0) return -1;
    *(arrival_kind *)field_at(base, f) = (arrival_kind)index;
    return 0;
}

int scn_conv_message_id(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int index;
    if (scn_choice(c, n, "message id", pubsub_message_id_names, &index) < 0) return -1;
    *(pubsub_message_id_kind *)field_at(base, f) = (pubsub_message_id_kind)index;
    return 0;
}

static const scn_field bandwidth_fields[] = {
    {.key = "up", .conv = scn_conv_bandwidth_one, .offset = S(network.up_bps)},
    {.key = "down", .conv = scn_conv_bandwidth_one, .offset = S(network.down_bps)},
};
static const scn_table bandwidth_table = SCN_TABLE(bandwidth_fields);

/* bandwidth: 100Mbps (both ways) or {up: 20Mbps, down: 100Mbps}. */
static int conv_bandwidth(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    if (n->kind == SCN_MAP) return scn_convert_map(c, n, base, &bandwidth_table);
    if (scn_conv_bandwidth_one(c, n, base, &bandwidth_fields[0]) < 0) return -1;
    scenario *s = base;
    s->network.down_bps = s->network.up_bps;
    return 0;
}

static const scn_field topology_fields[] = {
    {.key = "kind", .conv = conv_topology_kind, .offset = S(network.topology), .flags = SCN_REQUIRED},
    {.key = "degree", .conv = scn_conv_uint, .offset = S(network.degree), .width = 4, .min = 1, .max = SCN_DEGREE_MAX},
    {.key = "count", .conv = scn_conv_uint, .offset = S(network.bootstrap_count), .width = 4, .min = 1,
     .max = SCN_DEGREE_MAX},
};
static const scn_table topology_table = SCN_TABLE(topology_fields);

/* topology: ring, or {kind: random-regular, degree: 8}, or {kind: bootstrap, count: 3}. */
static int conv_topology(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario *s = base;
    if (n->kind != SCN_MAP) {
        if (conv_topology_kind(c, n, base, &topology_fields[0]) < 0) return -1;
        if (s->network.topology == TOPOLOGY_RANDOM_REGULAR)
            return scn_fail(c, n, c->keypath, "random-regular needs a degree: {kind: random-regular, degree: 8}");
        return 0;
    }
    if (scn_convert_map(c, n, base, &topology_table) < 0) return -1;
    const scn_node *degree = scn_map_get(n, "degree"), *count = scn_map_get(n, "count");
    bool regular = s->network.topology == TOPOLOGY_RANDOM_REGULAR;
    if (regular && degree == NULL) return scn_fail(c, n, c->keypath, "random-regular needs a degree");
    if (degree != NULL && !regular) return fail_child(c, degree, "applies only to random-regular");
    if (count != NULL && s->network.topology != TOPOLOGY_BOOTSTRAP) return fail_child(c, count, "applies only to bootstrap");
    return 0;
}

/* topics: [blocks, txs] or a single name. */
static int conv_topics(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario *s = base;
    if (n->kind == SCN_MAP) return scn_type_error(c, n, "a list of topic names");
    const scn_node *first = n->kind == SCN_SEQ ? n->first : n;
    size_t count = n->kind == SCN_SEQ ? n->child_count : 1;
    if (count == 0 || count > SCENARIO_TOPICS_MAX)
        return scn_fail(c, n, c->keypath, "needs 1 to %d topics, got %zu", SCENARIO_TOPICS_MAX, count);
    size_t i = 0;
    for (const scn_node *e = first; i < count; e = e->next, i++) {
        const char *text;
        if (scn_scalar(c, e, "a topic name", &text) < 0) return -1;
        if (text[0] == '\0' || strlen(text) >= SCENARIO_TOPIC_MAX)
            return scn_fail(c, e, c->keypath, "a topic name needs 1 to %d characters", SCENARIO_TOPIC_MAX - 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->workload.topics[j], text) == 0) return scn_fail(c, e, c->keypath, "topic \"%s\" is listed twice", text);
        memcpy(s->workload.topics[i], text, strlen(text) + 1);
    }
    s->workload.topic_count = count;
    return 0;
}

/* ---- protocol ---------------------------------------------------------- */

/* The keys of node/pubsub/gossipsub_params.h: the names of the gossipsub
 * specs (v1.0 names D_low and D_high, v1.1 D_lo and D_hi; both are taken);
 * opportunistic_graft_threshold is the flat, older name of
 * thresholds.opportunistic_graft (giving both is an error, scenario_score.c);
 * the peer-scoring maps are checked by scn_check_scoring. */
#define GS_FIELD(name, field, type, def, lo, hi) SCN_PARAM_FIELD(name, GS(field), type, lo, hi)
#define GS_ALIASED(name, alias, field, type, def, lo, hi) \
    GS_FIELD(name, field, type, def, lo, hi) SCN_PARAM_KEY(#alias, GS(field), type, lo, hi, #name)
#define GS_FLAT(name, field, type, lo, hi) SCN_PARAM_FIELD(name, GS(field), type, lo, hi)
#define GS_SET(name, field, set) {.key = #name, .conv = scn_conv_map, .sub = &scn_##name##_table},

_Static_assert(GOSSIPSUB_DEGREE_MAX == NODE_CONNECTIONS_MAX, "a degree is bounded by the connections of a node");

static const scn_field gossipsub_fields[] = {GOSSIPSUB_PARAMS(GS_FIELD, GS_ALIASED, GS_FLAT, GS_SET)};
static const scn_table gossipsub_table = SCN_TABLE(gossipsub_fields);

/* The key to blame for a broken relation: one that --set gave, else the
 * first of the two that the file gave, else the map. */
static int gossipsub_fail(scn_ctx *c, const scn_node *m, const char *first, const char *second, const char *what) {
    const scn_node *a = scn_given(m, &gossipsub_table, first), *b = scn_given(m, &gossipsub_table, second);
    if (b != NULL && b->origin >= 0 && (a == NULL || a->origin < 0)) a = b;
    if (a == NULL) a = b;
    if (a != NULL) return fail_child(c, a, what);
    return scn_fail(c, m, c->keypath, "%s", what);
}

/* The relations of gossipsub-v1.0 and v1.1 between the degrees. */
static int conv_gossipsub(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    if (scn_convert_map(c, n, base, &gossipsub_table) < 0) return -1;
    const gossipsub_params *g = &((scenario *)base)->protocol.gossipsub;
    char what[SCENARIO_ERROR_MAX / 2];
    if (!(g->D_lo <= g->D && g->D <= g->D_hi)) {
        snprintf(what, sizeof what, "needs D_lo <= D <= D_hi, got D_lo %d, D %d, D_hi %d", g->D_lo, g->D, g->D_hi);
        return gossipsub_fail(c, n, g->D_lo > g->D ? "D_lo" : "D_hi", "D", what);
    }
    if (g->D_out > g->D / 2 || (g->D_out >= g->D_lo && g->D_out > 0)) {
        snprintf(what, sizeof what, "needs D_out <= D/2 and D_out < D_lo, got D_out %d, D %d, D_lo %d", g->D_out,
                 g->D, g->D_lo);
        return gossipsub_fail(c, n, "D_out", "D_lo", what);
    }
    if (g->D_score > g->D) {
        snprintf(what, sizeof what, "needs D_score <= D, got D_score %d, D %d", g->D_score, g->D);
        return gossipsub_fail(c, n, "D_score", "D", what);
    }
    if (g->mcache_gossip > g->mcache_len) {
        snprintf(what, sizeof what, "needs mcache_gossip <= mcache_len, got %d and %d", g->mcache_gossip,
                 g->mcache_len);
        return gossipsub_fail(c, n, "mcache_gossip", "mcache_len", what);
    }
    return scn_check_scoring(c, n, g);
}

/* protocol.limits: the node's connection limits, keys named as in
 * connmgr.h (docs/node.md "Limits"). */
#define LIM(field) S(protocol.limits.field)
#define LIMIT_COUNT(name) \
    {.key = #name, .conv = scn_conv_uint, .offset = LIM(name), .width = 4, .min = 0, .max = CONNMGR_CONNECTIONS_MAX},
static const scn_field limits_fields[] = {
    {.key = "enabled", .conv = scn_conv_bool, .offset = LIM(enabled)},
    LIMIT_COUNT(connections_max) LIMIT_COUNT(handshakes_max) LIMIT_COUNT(per_ip4_max)
    LIMIT_COUNT(outbound_reserve) LIMIT_COUNT(inbound_reserve) LIMIT_COUNT(high_water) LIMIT_COUNT(low_water)
    {.key = "grace", .conv = scn_conv_duration, .offset = LIM(grace_ns)},
    {.key = "handshake_timeout", .conv = scn_conv_duration, .offset = LIM(handshake_timeout_ns)},
};
#undef LIMIT_COUNT
#undef LIM
static const scn_table limits_table = SCN_TABLE(limits_fields);

/* The limits together, as connmgr_limits_check sees them. */
static int conv_limits(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    if (scn_convert_map(c, n, base, &limits_table) < 0) return -1;
    const char *bad = connmgr_limits_check(&((scenario *)base)->protocol.limits);
    return bad == NULL ? 0 : scn_fail(c, n, c->keypath, "%s", bad);
}

static int conv_signature_policy(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int index;
    if (scn_choice(c, n, "signature policy", pubsub_signature_policy_names, &index) < 0) return -1;
    *(pubsub_signature_policy *)field_at(base, f) = (pubsub_signature_policy)index;
    return 0;
}

/* protocol.validation_delays: {TOPIC: DURATION, ...}, the topics with a
 * validation delay of their own. */
static int conv_validation_delays(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    pubsub_options *o = &((scenario *)base)->protocol.pubsub;
    if (n->kind != SCN_MAP) return scn_type_error(c, n, "a map of topics to durations, like {blobs: 20ms}");
    if (n->child_count > PUBSUB_TOPIC_DELAYS_MAX)
        return scn_fail(c, n, c->keypath, "at most %d topics, got %zu", PUBSUB_TOPIC_DELAYS_MAX, n->child_count);
    o->topic_delay_count = 0;
    for (const scn_node *e = n->first; e != NULL; e = e->next) {
        size_t saved = scn_keypath_push(c, e->key, 0);
        size_t len = strlen(e->key);
        if (len == 0 || len > PUBSUB_TOPIC_MAX)
            return scn_fail_key(c, e, c->keypath, "a topic needs 1 to %d bytes", PUBSUB_TOPIC_MAX);
        memcpy(o->topic_delays[o->topic_delay_count].topic, e->key, len + 1);
        scn_field delay = {.offset = offsetof(pubsub_options, topic_delays) +
                                     o->topic_delay_count * sizeof o->topic_delays[0] +
                                     offsetof(pubsub_topic_delay, delay_ns)};
        if (scn_conv_duration(c, e, o, &delay) < 0) return -1;
        o->topic_delay_count++;
        scn_keypath_pop(c, saved);
    }
    return 0;
}

/* The pubsub core's options (pubsub.h), for either router. */
#define PO(member) offsetof(scenario, protocol.pubsub.member)
static const scn_field protocol_fields[] = {
    {.key = "router", .conv = conv_router},
    {.key = "gossipsub", .conv = conv_gossipsub},
    {.key = "seen_max_bytes", .conv = scn_conv_size, .offset = PO(seen_max_bytes), .width = 8,
     .min = PUBSUB_SEEN_MAX_BYTES_MIN, .max = (double)PUBSUB_SEEN_MAX_BYTES_MAX},
    SCN_PARAM_FIELD(seqno_validator, PO(seqno_validator), BOOL, 0, 0)
    SCN_PARAM_FIELD(seqno_origins_max, PO(seqno_origins_max), UINT32, 1, PUBSUB_SEQNO_ORIGINS_MAX_MAX)
    {.key = "signature_policy", .conv = conv_signature_policy, .offset = PO(signature_policy)},
    /* the message id for either router: the same field as protocol.gossipsub.message_id */
    {.key = "message_id", .conv = scn_conv_message_id, .offset = S(protocol.gossipsub.message_id)},
    {.key = "validation_delay", .conv = scn_conv_duration, .offset = PO(validation_delay_ns)},
    {.key = "validation_delays", .conv = conv_validation_delays},
    {.key = "limits", .conv = conv_limits},
    {.key = "announce", .conv = scn_conv_announce},
    {.key = "query", .conv = scn_conv_query},
};
static const scn_table protocol_table = SCN_TABLE(protocol_fields);

/* ---- network ----------------------------------------------------------- */

static int conv_groups(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);

static const scn_field partition_fields[] = {
    {.key = "at", .conv = scn_conv_duration, .offset = PT(at_ns), .flags = SCN_REQUIRED},
    {.key = "until", .conv = scn_conv_duration, .offset = PT(until_ns), .flags = SCN_REQUIRED | SCN_POSITIVE},
    {.key = "groups", .conv = conv_groups, .flags = SCN_REQUIRED},
};
static const scn_table partition_table = SCN_TABLE(partition_fields);

/* Groups are index ranges, so that every run cuts the same nodes apart,
 * and no node is in two groups. */
static int groups_disjoint(scn_ctx *c, const scn_node *n, const partition *p, size_t g) {
    const selector *a = &p->groups[g];
    for (size_t h = 0; h < g; h++)
        for (size_t i = 0; i < a->range_count; i++)
            for (size_t j = 0; j < p->groups[h].range_count; j++)
                if (a->range_lo[i] <= p->groups[h].range_hi[j] && p->groups[h].range_lo[j] <= a->range_hi[i])
                    return scn_fail(c, n, c->keypath, "shares nodes with group %zu", h);
    return 0;
}

static int conv_groups(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    partition *p = base;
    if (n->kind != SCN_SEQ) return scn_type_error(c, n, "a list of node ranges like [\"0-49\", \"50-99\"]");
    if (n->child_count == 0 || n->child_count > SCENARIO_GROUPS_MAX)
        return scn_fail(c, n, c->keypath, "needs 1 to %d groups, got %zu", SCENARIO_GROUPS_MAX, n->child_count);
    size_t g = 0;
    for (const scn_node *e = n->first; e != NULL; e = e->next, g++) {
        size_t saved = scn_keypath_push(c, NULL, g);
        scn_field group = {.offset = offsetof(partition, groups) + g * sizeof(selector)};
        if (scn_conv_selector(c, e, p, &group) < 0) return -1;
        if (p->groups[g].kind != SELECT_RANGES)
            return scn_fail(c, e, c->keypath, "a partition group must be index ranges like \"0-49\", got \"%s\"", e->text);
        if (groups_disjoint(c, e, p, g) < 0) return -1;
        scn_keypath_pop(c, saved);
    }
    p->group_count = g;
    return 0;
}

static int partition_check(scn_ctx *c, const scn_node *n, void *item) {
    const partition *p = item;
    if (p->at_ns < p->until_ns) return 0;
    return fail_child(c, scn_map_get(n, "until"), "must be later than at");
}

static const scn_list partition_list = {
    .item = &partition_table, .max = SCENARIO_PARTITIONS_MAX, .item_size = sizeof(partition),
    .array_offset = S(network.partitions), .count_offset = S(network.partition_count),
    .line_offset = S(network.partitions_line), .check = partition_check,
};

/* network.tcp: the TCP model's switches (docs/network-model.md). The key
 * says what Linux's sysctl says; the field stores its negation so that the
 * zeroed default is Linux's. */
static int conv_slow_start_after_idle(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    bool restart = true;
    scn_field field = *f;
    field.offset = 0;
    if (scn_conv_bool(c, n, &restart, &field) < 0) return -1;
    ((scenario *)base)->network.tcp_no_idle_restart = !restart;
    return 0;
}
static const scn_field tcp_fields[] = {
    {.key = "slow_start_after_idle", .conv = conv_slow_start_after_idle},
};
static const scn_table tcp_table = SCN_TABLE(tcp_fields);

static const scn_field network_fields[] = {
    {.key = "latency", .conv = scn_conv_dist, .offset = S(network.latency)},
    {.key = "bandwidth", .conv = conv_bandwidth},
    {.key = "loss", .conv = scn_conv_number, .offset = S(network.loss), .min = 0, .max = 1, .flags = SCN_MAX_EXCLUSIVE},
    {.key = "topology", .conv = conv_topology},
    {.key = "transport", .conv = conv_transport, .offset = S(network.transport)},
    {.key = "tcp", .conv = scn_conv_map, .sub = &tcp_table},
    {.key = "backend", .conv = conv_backend},
    {.key = "partitions", .conv = scn_conv_list, .list = &partition_list},
    {.key = "regions", .conv = scn_conv_regions},
    {.key = "graph", .conv = scn_conv_graph},
};
static const scn_table network_table = SCN_TABLE(network_fields);

/* ---- nodes, workload, churn, offline, metrics ---------------------------- */

static const scn_field join_fields[] = {
    {.key = "over", .conv = scn_conv_duration, .offset = S(nodes.join_over_ns)},
};
static const scn_table join_table = SCN_TABLE(join_fields);

static const scn_field nodes_fields[] = {
    {.key = "count", .conv = scn_conv_uint, .offset = S(nodes.count), .width = 4, .min = 1, .max = SCENARIO_NODES_MAX,
     .flags = SCN_REQUIRED},
    {.key = "join", .conv = scn_conv_map, .sub = &join_table},
    {.key = "classes", .conv = scn_conv_classes},
};
static const scn_table nodes_table = SCN_TABLE(nodes_fields);

static const scn_field workload_fields[] = {
    {.key = "topics", .conv = conv_topics, .flags = SCN_REQUIRED},
    {.key = "subscribers", .conv = scn_conv_selector, .offset = S(workload.subscribers)},
    {.key = "publishers", .conv = scn_conv_selector, .offset = S(workload.publishers)},
    {.key = "rate", .conv = scn_conv_rate, .offset = S(workload.rate_per_s), .flags = SCN_POSITIVE},
    {.key = "arrival", .conv = conv_arrival, .offset = S(workload.arrival)},
    {.key = "size", .conv = scn_conv_size, .offset = S(workload.size_bytes), .width = 8, .min = 1,
     .max = SCN_MESSAGE_SIZE_MAX},
    {.key = "start", .conv = scn_conv_duration, .offset = S(workload.start_ns)},
    {.key = "stop", .conv = scn_conv_duration, .offset = S(workload.stop_ns), .flags = SCN_POSITIVE},
    {.key = "sealed", .conv = scn_conv_sealed},
    {.key = "data", .conv = scn_conv_data},
};
static const scn_table workload_table = SCN_TABLE(workload_fields);

static const scn_field churn_fields[] = {
    {.key = "nodes", .conv = scn_conv_selector, .offset = S(churn.nodes)},
    {.key = "session", .conv = scn_conv_dist, .offset = S(churn.session), .flags = SCN_REQUIRED | SCN_MEAN_POSITIVE},
    {.key = "downtime", .conv = scn_conv_dist, .offset = S(churn.downtime), .flags = SCN_REQUIRED | SCN_MEAN_POSITIVE},
};
static const scn_table churn_table = SCN_TABLE(churn_fields);

static int conv_churn(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario *s = base;
    if (scn_convert_map(c, n, base, &churn_table) < 0) return -1;
    s->churn.present = true;
    s->churn.line = n->key_line;
    return 0;
}

static const scn_field offline_fields[] = {
    {.key = "nodes", .conv = scn_conv_selector, .offset = OW(nodes), .flags = SCN_REQUIRED},
    {.key = "at", .conv = scn_conv_duration, .offset = OW(at_ns), .flags = SCN_REQUIRED},
    {.key = "for", .conv = scn_conv_duration, .offset = OW(for_ns), .flags = SCN_REQUIRED | SCN_POSITIVE},
};
static const scn_table offline_table = SCN_TABLE(offline_fields);
static const scn_list offline_list = {
    .item = &offline_table, .max = SCENARIO_OFFLINE_MAX, .item_size = sizeof(offline_window),
    .array_offset = S(offline), .count_offset = S(offline_count), .line_offset = S(offline_line),
};

static const scn_field metrics_fields[] = {
    {.key = "sample", .conv = scn_conv_duration, .offset = S(metrics.sample_ns), .flags = SCN_POSITIVE},
    {.key = "deadline", .conv = scn_conv_duration, .offset = S(metrics.deadline_ns), .flags = SCN_POSITIVE},
};
static const scn_table metrics_table = SCN_TABLE(metrics_fields);

static const scn_field world_fields[] = {
    {.key = "verify_memo", .conv = scn_conv_bool, .offset = S(world.verify_memo)},
};
static const scn_table world_table = SCN_TABLE(world_fields);

/* ---- attackers ------------------------------------------------------------ */

static const char *const attacker_kinds[] = {"spam",      "drop",         "forge",        "replay",
                                             "lie",       "graft-spam",   "eclipse",      "covert-flash",
                                             "cold-boot", "slot-exhaust", "px-flood",     "withhold",
                                             "corrupt",   "mute",         NULL};
/* Bits of attacker_kinds, for the keys that only some kinds take. */
enum {
    AK_SPAM = 1u << 0,
    AK_FORGE = 1u << 2,
    AK_REPLAY = 1u << 3,
    AK_GRAFT_SPAM = 1u << 5,
    AK_ECLIPSE = 1u << 6,
    AK_COVERT_FLASH = 1u << 7,
    AK_SLOT_EXHAUST = 1u << 9,
    AK_PX_FLOOD = 1u << 10,
};

static int conv_attacker_kind(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int index;
    if (scn_choice(c, n, "attacker kind", attacker_kinds, &index) < 0) return -1;
    char *kind = field_at(base, f);
    assert(strlen(attacker_kinds[index]) < sizeof((attacker *)0)->kind);
    strcpy(kind, attacker_kinds[index]);
    return 0;
}

static int conv_target(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int index = 0;
    scn_field as_int = {.key = f->key, .offset = 0, .min = 0, .max = SCENARIO_NODES_MAX - 1};
    if (scn_conv_int(c, n, &index, &as_int) < 0) return -1;
    *(long *)field_at(base, f) = index;
    return 0;
}

static const scn_field attacker_fields[] = {
    {.key = "kind", .conv = conv_attacker_kind, .offset = AT(kind), .flags = SCN_REQUIRED},
    {.key = "count", .conv = scn_conv_uint, .offset = AT(count), .width = 4, .min = 1, .max = SCENARIO_NODES_MAX,
     .flags = SCN_REQUIRED},
    {.key = "rate", .conv = scn_conv_rate, .offset = AT(rate_per_s), .flags = SCN_POSITIVE,
     .applies_to = AK_SPAM | AK_FORGE | AK_REPLAY | AK_GRAFT_SPAM | AK_PX_FLOOD},
    {.key = "start", .conv = scn_conv_duration, .offset = AT(start_ns)},
    {.key = "at", .conv = scn_conv_duration, .offset = AT(turn_at_ns), .applies_to = AK_COVERT_FLASH},
    {.key = "target", .conv = conv_target, .offset = AT(target), .applies_to = AK_ECLIPSE | AK_SLOT_EXHAUST},
    {.key = "connections", .conv = scn_conv_uint, .offset = AT(connections), .width = 4, .min = 1,
     .max = SCN_DEGREE_MAX},
    {.key = "invalid", .conv = scn_conv_bool, .offset = AT(invalid), .applies_to = AK_SPAM},
    {.key = "same_ip", .conv = scn_conv_bool, .offset = AT(same_ip)},
    {.key = "class", .conv = scn_conv_string, .offset = AT(class_name), .width = SCENARIO_LABEL_MAX},
};
static const scn_table attacker_table = SCN_TABLE(attacker_fields);

static void attacker_prepare(void *item) {
    ((attacker *)item)->target = -1;
    ((attacker *)item)->class_index = -1;
}

/* A key that only some kinds take is an error on the others. */
static int attacker_check(scn_ctx *c, const scn_node *n, void *item) {
    const attacker *a = item;
    unsigned bit = 0;
    for (unsigned i = 0; attacker_kinds[i] != NULL; i++)
        if (strcmp(attacker_kinds[i], a->kind) == 0) bit = 1u << i;
    assert(bit != 0);
    for (size_t i = 0; i < attacker_table.count; i++) {
        const scn_field *f = &attacker_fields[i];
        const scn_node *e = scn_map_get(n, f->key);
        if (e == NULL || f->applies_to == 0 || (f->applies_to & bit)) continue;
        char what[SCENARIO_ERROR_MAX / 2];
        size_t used = (size_t)snprintf(what, sizeof what, "does not apply to %s attackers (only to", a->kind);
        for (unsigned k = 0; attacker_kinds[k] != NULL; k++)
            if ((f->applies_to & (1u << k)) && used < sizeof what)
                used += (size_t)snprintf(what + used, sizeof what - used, " %s", attacker_kinds[k]);
        if (used < sizeof what) snprintf(what + used, sizeof what - used, ")");
        return fail_child(c, e, what);
    }
    const scn_node *same_ip = scn_map_get(n, "same_ip");
    if (a->same_ip && a->count > SCENARIO_SAME_IP_MAX) {
        char what[96];
        snprintf(what, sizeof what, "holds at most %d attackers on one address (ports 4001 to 65535)",
                 SCENARIO_SAME_IP_MAX);
        return fail_child(c, same_ip != NULL ? same_ip : n, what);
    }
    return 0;
}

static const scn_list attacker_list = {
    .item = &attacker_table, .max = SCENARIO_ATTACKERS_MAX, .item_size = sizeof(attacker),
    .array_offset = S(attackers), .count_offset = S(attacker_count), .line_offset = S(attackers_line),
    .prepare = attacker_prepare, .check = attacker_check,
};

/* ---- the whole file ------------------------------------------------------ */

static const scn_field top_fields[] = {
    {.key = "name", .conv = conv_name, .offset = S(name), .width = SCENARIO_NAME_MAX},
    {.key = "description", .conv = scn_conv_string, .offset = S(description), .width = SCENARIO_TEXT_MAX},
    {.key = "seed", .conv = scn_conv_uint, .offset = S(seed), .width = 8},
    {.key = "duration", .conv = scn_conv_duration, .offset = S(duration_ns), .flags = SCN_REQUIRED | SCN_POSITIVE},
    {.key = "network", .conv = scn_conv_map, .sub = &network_table},
    {.key = "nodes", .conv = scn_conv_map, .sub = &nodes_table, .flags = SCN_REQUIRED},
    {.key = "protocol", .conv = scn_conv_map, .sub = &protocol_table},
    {.key = "workload", .conv = scn_conv_map, .sub = &workload_table},
    {.key = "churn", .conv = conv_churn},
    {.key = "offline", .conv = scn_conv_list, .list = &offline_list},
    {.key = "attackers", .conv = scn_conv_list, .list = &attacker_list},
    {.key = "metrics", .conv = scn_conv_map, .sub = &metrics_table},
    {.key = "world", .conv = scn_conv_map, .sub = &world_table},
};
static const scn_table top_table = SCN_TABLE(top_fields);

/* The router's own defaults (gossipsub_config_default: the specs, and the
 * reference implementations where the specs name no value), with scoring
 * off until a scenario asks for it. */
static void gossipsub_defaults(gossipsub_params *g) {
    gossipsub_config_default(g);
    g->scoring = false;
    g->score_sample_ns = 5000000000ull; /* a peer_score snapshot every 5 s of virtual time */
}

void scenario_defaults(scenario *s) {
    assert(s != NULL);
    memset(s, 0, sizeof *s);
    s->seed = 1;
    s->network.latency = (dist){.kind = DIST_CONSTANT, .a = 50e6};
    s->network.transport = TRANSPORT_TCP; /* issue 13: ideal stays for exact checks */
    s->network.topology = TOPOLOGY_BOOTSTRAP;
    s->network.bootstrap_count = 3;
    s->protocol.router = ROUTER_FLOODSUB;
    gossipsub_defaults(&s->protocol.gossipsub);
    s->protocol.pubsub = (pubsub_options){.seen_max_bytes = PUBSUB_SEEN_MAX_BYTES,
                                          .seqno_origins_max = PUBSUB_SEQNO_ORIGINS_MAX};
    connmgr_limits_default(&s->protocol.limits);
    s->workload.subscribers.kind = SELECT_ALL;
    s->workload.publishers = (selector){.kind = SELECT_COUNT, .count = 1};
    s->workload.rate_per_s = 1.0;
    s->workload.arrival = ARRIVAL_POISSON;
    s->workload.size_bytes = 1024;
    scn_sealed_defaults(s);
    s->churn.nodes.kind = SELECT_ALL;
    s->metrics.sample_ns = NS_PER_S;
    s->metrics.deadline_ns = 10 * NS_PER_S;
    s->world.verify_memo = true;
}

/* The file's base name without .yaml, made fit for a folder name. */
static void default_name(const char *path, char *name) {
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0) len -= 5;
    else if (len > 4 && strcmp(base + len - 4, ".yml") == 0) len -= 4;
    if (len >= SCENARIO_NAME_MAX) len = SCENARIO_NAME_MAX - 1;
    for (size_t i = 0; i < len; i++) name[i] = isalnum((unsigned char)base[i]) || strchr("._-", base[i]) ? base[i] : '-';
    name[len] = '\0';
    if (len == 0) snprintf(name, SCENARIO_NAME_MAX, "scenario");
}

int scenario_load(const char *path, const char *const *overrides, size_t override_count, scenario *s, char *err,
                  size_t err_cap) {
    assert(path != NULL && s != NULL && err != NULL);
    assert(overrides != NULL || override_count == 0);
    scenario_defaults(s);
    if (strlen(path) >= sizeof s->path) {
        snprintf(err, err_cap, "%s: path too long (at most %d bytes)", path, SCENARIO_PATH_MAX - 1);
        return -1;
    }
    memcpy(s->path, path, strlen(path) + 1);
    scn_tree tree;
    if (scn_tree_load(&tree, path, err, err_cap) < 0) return -1;
    scn_ctx c = {.path = path, .tree = &tree, .overrides = overrides, .s = s, .err = err, .err_cap = err_cap};
    int rc = scn_tree_override(&tree, overrides, override_count, err, err_cap);
    if (rc == 0) rc = scn_convert_map(&c, tree.root, s, &top_table);
    if (rc == 0) rc = scn_check_scenario(&c);
    if (rc == 0) rc = scn_check_sealed(&c); /* here: scenario_sealed.c uses scenario_check.c's helpers */
    if (rc == 0 && s->name[0] == '\0') default_name(path, s->name);
    scn_tree_free(&tree);
    return rc;
}

/* ---- what the world cannot run yet --------------------------------------- */

/* Every key is parsed and validated as soon as the format has it, and the
 * world refused here those whose behaviour came later. Since issue 6 it
 * runs them all (churn, offline windows and partitions in sim/world/faults.c,
 * attackers in sim/world/attack.c); a key whose behaviour lands later gets its
 * refusal here, naming its line, until then. */
int scenario_check_supported(const scenario *s, char *err, size_t err_cap) {
    assert(s != NULL);
    assert(err != NULL || err_cap == 0);
    return 0;
}
