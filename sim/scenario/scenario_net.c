/*
 * scenario_net: the keys that shape the network per host (docs/scenarios.md
 * "Regions and classes", docs/network-model.md): network.regions (named
 * regions with a weight and a one-way latency and jitter from each to
 * each, or the test-plans preset) and nodes.classes (named classes with a
 * share and a bandwidth), and the class an attacker group names.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/time_units.h"
#include "scenario_internal.h"

/* ---- the test-plans preset ------------------------------------------------ */

/* libp2p/test-plans, gossipsub-interop/network_graph.py at commit
 * cfc504c896a72ccf26dce8eba1b1b32af4f5ab89: its eight locations, their
 * weights (Ethereum's node count per region) and the one-way latency of
 * each edge in ms, from the row's region to the column's. It is symmetric
 * but for one pair: south_america to south_africa is 195 ms, back 190. */
#define PRESET_REGIONS 8
static const char *const preset_names[PRESET_REGIONS] = {"australia", "europe",  "east_asia",    "west_asia",
                                                         "na_east",   "na_west", "south_africa", "south_america"};
static const double preset_weights[PRESET_REGIONS] = {290, 5599, 1059, 161, 2894, 1240, 47, 36};
static const unsigned preset_latency_ms[PRESET_REGIONS][PRESET_REGIONS] = {
    /*               aus  eur  e_as w_as na_e na_w s_af s_am */
    /* australia */ {2, 165, 110, 180, 150, 110, 220, 190},
    /* europe    */ {165, 2, 125, 60, 70, 110, 95, 140},
    /* east_asia */ {110, 125, 4, 110, 140, 100, 175, 175},
    /* west_asia */ {180, 60, 110, 5, 110, 150, 110, 145},
    /* na_east   */ {150, 70, 140, 110, 2, 60, 130, 100},
    /* na_west   */ {110, 110, 100, 150, 60, 2, 160, 100},
    /* s_africa  */ {220, 95, 175, 110, 130, 160, 7, 190},
    /* s_america */ {190, 140, 175, 145, 100, 100, 195, 7},
};
_Static_assert(PRESET_REGIONS <= SCENARIO_REGIONS_MAX, "the preset fits");

void scenario_regions_test_plans(scenario_regions *r) {
    memset(r, 0, sizeof *r);
    r->count = PRESET_REGIONS;
    for (size_t i = 0; i < PRESET_REGIONS; i++) {
        snprintf(r->list[i].name, sizeof r->list[i].name, "%s", preset_names[i]);
        r->list[i].weight = preset_weights[i];
        for (size_t j = 0; j < PRESET_REGIONS; j++) r->latency_ns[i][j] = preset_latency_ms[i][j] * NS_PER_MS;
    }
}

/* ---- names ------------------------------------------------------------------- */

/* A region's or class's name: letters, digits, '_', '-', '.', unique. */
static int conv_label(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    if (scn_conv_string(c, n, base, f) < 0) return -1;
    const char *name = (const char *)base + f->offset;
    if (name[0] == '\0') return scn_fail(c, n, c->keypath, "must not be empty");
    for (const char *p = name; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("._-", *p) != NULL))
            return scn_fail(c, n, c->keypath, "may hold only letters, digits, '.', '_' and '-', got \"%s\"", name);
    return 0;
}

/* The keys latency and jitter are read in a second pass, once every
 * region's name is known. */
static int conv_later(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)c, (void)n, (void)base, (void)f;
    return 0;
}

/* ---- network.regions ------------------------------------------------------- */

static const scn_field region_fields[] = {
    {.key = "name", .conv = conv_label, .offset = offsetof(scenario_region, name), .width = SCENARIO_LABEL_MAX,
     .flags = SCN_REQUIRED},
    {.key = "weight", .conv = scn_conv_number, .offset = offsetof(scenario_region, weight), .min = 0, .max = 1e12,
     .flags = SCN_REQUIRED | SCN_MIN_EXCLUSIVE},
    {.key = "latency", .conv = conv_later},
    {.key = "jitter", .conv = conv_later},
};
static const scn_table region_table = SCN_TABLE(region_fields);

static long region_find(const scenario_regions *r, const char *name) {
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->list[i].name, name) == 0) return (long)i;
    return -1;
}

/* Reads the map {REGION: duration, ...} of region from into out[from][]. */
static int region_pairs(scn_ctx *c, const scn_node *m, scenario_regions *r, size_t from,
                        uint64_t out[SCENARIO_REGIONS_MAX][SCENARIO_REGIONS_MAX], bool given[SCENARIO_REGIONS_MAX][SCENARIO_REGIONS_MAX]) {
    if (m->kind != SCN_MAP) return scn_type_error(c, m, "a map of region names to durations, like {europe: 70ms}");
    for (const scn_node *e = m->first; e != NULL; e = e->next) {
        size_t saved = scn_keypath_push(c, e->key, 0);
        long to = region_find(r, e->key);
        if (to < 0) return scn_fail_key(c, e, c->keypath, "no region is named \"%s\"", e->key);
        scn_field f = {.key = e->key, .offset = 0};
        uint64_t ns = 0;
        if (scn_conv_duration(c, e, &ns, &f) < 0) return -1;
        out[from][to] = ns;
        given[from][to] = true;
        scn_keypath_pop(c, saved);
    }
    return 0;
}

/* A pair given one way only takes the same value the other way. */
static void region_mirror(scenario_regions *r, uint64_t v[SCENARIO_REGIONS_MAX][SCENARIO_REGIONS_MAX],
                          bool given[SCENARIO_REGIONS_MAX][SCENARIO_REGIONS_MAX]) {
    for (size_t a = 0; a < r->count; a++)
        for (size_t b = 0; b < r->count; b++)
            if (!given[a][b] && given[b][a]) v[a][b] = v[b][a];
}

static int regions_list(scn_ctx *c, const scn_node *n, scenario_regions *r) {
    if (n->child_count == 0 || n->child_count > SCENARIO_REGIONS_MAX)
        return scn_fail(c, n, c->keypath, "needs 1 to %d regions, got %zu", SCENARIO_REGIONS_MAX, n->child_count);
    size_t i = 0;
    for (const scn_node *e = n->first; e != NULL; e = e->next, i++) {
        size_t saved = scn_keypath_push(c, NULL, i);
        if (scn_convert_map(c, e, &r->list[i], &region_table) < 0) return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->list[j].name, r->list[i].name) == 0) {
                scn_keypath_push(c, "name", 0);
                return scn_fail(c, scn_map_get(e, "name"), c->keypath, "region \"%s\" is named twice", r->list[i].name);
            }
        scn_keypath_pop(c, saved);
    }
    r->count = i;
    bool lat_given[SCENARIO_REGIONS_MAX][SCENARIO_REGIONS_MAX], jit_given[SCENARIO_REGIONS_MAX][SCENARIO_REGIONS_MAX];
    memset(lat_given, 0, sizeof lat_given);
    memset(jit_given, 0, sizeof jit_given);
    i = 0;
    for (const scn_node *e = n->first; e != NULL; e = e->next, i++) {
        size_t saved = scn_keypath_push(c, NULL, i);
        const scn_node *lat = scn_map_get(e, "latency"), *jit = scn_map_get(e, "jitter");
        size_t inner = scn_keypath_push(c, "latency", 0);
        if (lat != NULL && region_pairs(c, lat, r, i, r->latency_ns, lat_given) < 0) return -1;
        scn_keypath_pop(c, inner);
        inner = scn_keypath_push(c, "jitter", 0);
        if (jit != NULL && region_pairs(c, jit, r, i, r->jitter_ns, jit_given) < 0) return -1;
        scn_keypath_pop(c, saved);
    }
    region_mirror(r, r->latency_ns, lat_given);
    region_mirror(r, r->jitter_ns, jit_given);
    i = 0;
    for (const scn_node *e = n->first; e != NULL; e = e->next, i++)
        for (size_t to = 0; to < r->count; to++) {
            if (lat_given[i][to] || lat_given[to][i]) continue;
            size_t saved = scn_keypath_push(c, NULL, i);
            scn_fail(c, e, c->keypath, "no latency from %s to %s (give it under either region's latency)",
                     r->list[i].name, r->list[to].name);
            scn_keypath_pop(c, saved);
            return -1;
        }
    return 0;
}

static const char *const region_presets[] = {"test-plans", NULL};

/* regions: test-plans (the preset), or a list of {name, weight, latency, jitter}. */
int scn_conv_regions(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario_regions *r = &((scenario *)base)->network.regions;
    memset(r, 0, sizeof *r);
    if (n->kind == SCN_SEQ) {
        if (regions_list(c, n, r) < 0) return -1;
    } else {
        int index;
        if (n->kind != SCN_SCALAR) return scn_type_error(c, n, "a preset (test-plans) or a list of regions");
        if (scn_choice(c, n, "region preset", region_presets, &index) < 0) return -1;
        scenario_regions_test_plans(r);
    }
    r->line = n->key_line;
    return 0;
}

/* ---- nodes.classes ---------------------------------------------------------- */

static int conv_class_bandwidth(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);

static const scn_field class_fields[] = {
    {.key = "name", .conv = conv_label, .offset = offsetof(node_class, name), .width = SCENARIO_LABEL_MAX,
     .flags = SCN_REQUIRED},
    {.key = "share", .conv = scn_conv_number, .offset = offsetof(node_class, share), .min = 0, .max = 1e12,
     .flags = SCN_REQUIRED | SCN_MIN_EXCLUSIVE},
    {.key = "bandwidth", .conv = conv_class_bandwidth, .flags = SCN_REQUIRED},
};
static const scn_table class_table = SCN_TABLE(class_fields);

static const scn_field class_bandwidth_fields[] = {
    {.key = "up", .conv = scn_conv_bandwidth_one, .offset = offsetof(node_class, up_bps)},
    {.key = "down", .conv = scn_conv_bandwidth_one, .offset = offsetof(node_class, down_bps)},
};
static const scn_table class_bandwidth_table = SCN_TABLE(class_bandwidth_fields);

/* bandwidth: 1Gbps (both ways) or {up: 50Mbps, down: 100Mbps}. */
static int conv_class_bandwidth(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    node_class *k = base;
    if (n->kind == SCN_MAP) return scn_convert_map(c, n, base, &class_bandwidth_table);
    if (scn_conv_bandwidth_one(c, n, base, &class_bandwidth_fields[0]) < 0) return -1;
    k->down_bps = k->up_bps;
    return 0;
}

int scn_conv_classes(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario *s = base;
    if (n->kind != SCN_SEQ) return scn_type_error(c, n, "a list of classes like [{name: fullnode, share: 80, bandwidth: 50Mbps}]");
    if (n->child_count == 0 || n->child_count > SCENARIO_CLASSES_MAX)
        return scn_fail(c, n, c->keypath, "needs 1 to %d classes, got %zu", SCENARIO_CLASSES_MAX, n->child_count);
    size_t i = 0;
    for (const scn_node *e = n->first; e != NULL; e = e->next, i++) {
        size_t saved = scn_keypath_push(c, NULL, i);
        node_class *k = &s->nodes.classes[i];
        memset(k, 0, sizeof *k);
        if (scn_convert_map(c, e, k, &class_table) < 0) return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->nodes.classes[j].name, k->name) == 0) {
                scn_keypath_push(c, "name", 0);
                return scn_fail(c, scn_map_get(e, "name"), c->keypath, "class \"%s\" is named twice", k->name);
            }
        scn_keypath_pop(c, saved);
    }
    s->nodes.class_count = i;
    s->nodes.classes_line = n->key_line;
    return 0;
}

/* ---- network.graph ------------------------------------------------------------ */

/* A GML node id written as a YAML key or list item. */
static int graph_id(scn_ctx *c, const scn_node *n, const char *text, int64_t *id) {
    char why[SCENARIO_ERROR_MAX];
    if (scn_value_int(text, id, why, sizeof why) < 0) return scn_fail(c, n, c->keypath, "a node id: %s", why);
    return 0;
}

/* weights: {ID: weight, ...}; nodes not named hold no hosts. */
static int conv_graph_weights(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario *s = base;
    if (n->kind != SCN_MAP) return scn_type_error(c, n, "a map of node ids to weights, like {0: 3, 1: 1}");
    if (n->child_count == 0 || n->child_count > SCENARIO_REGIONS_MAX)
        return scn_fail(c, n, c->keypath, "needs 1 to %d nodes, got %zu", SCENARIO_REGIONS_MAX, n->child_count);
    size_t i = 0;
    double total = 0;
    for (const scn_node *e = n->first; e != NULL; e = e->next, i++) {
        size_t saved = scn_keypath_push(c, e->key, 0);
        if (graph_id(c, e, e->key, &s->network.graph_weight_id[i]) < 0) return -1;
        scn_field w = {.key = e->key, .offset = 0, .min = 0, .max = 1e12};
        if (scn_conv_number(c, e, &s->network.graph_weight[i], &w) < 0) return -1;
        total += s->network.graph_weight[i];
        scn_keypath_pop(c, saved);
    }
    if (total <= 0) return scn_fail(c, n, c->keypath, "needs a weight above 0");
    s->network.graph_weight_count = i;
    return 0;
}

/* hosts: [ID, ...], each host's node, honest hosts then attackers. */
static int conv_graph_hosts(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario *s = base;
    if (n->kind != SCN_SEQ) return scn_type_error(c, n, "a list of node ids, one per host");
    if (n->child_count == 0 || n->child_count > SCENARIO_GRAPH_HOSTS_MAX)
        return scn_fail(c, n, c->keypath, "needs 1 to %d hosts, got %zu", SCENARIO_GRAPH_HOSTS_MAX, n->child_count);
    size_t i = 0;
    for (const scn_node *e = n->first; e != NULL; e = e->next, i++) {
        size_t saved = scn_keypath_push(c, NULL, i);
        const char *text;
        if (scn_scalar(c, e, "a node id", &text) < 0) return -1;
        if (graph_id(c, e, text, &s->network.graph_host_id[i]) < 0) return -1;
        scn_keypath_pop(c, saved);
    }
    s->network.graph_host_count = i;
    return 0;
}

static const scn_field graph_fields[] = {
    {.key = "file", .conv = scn_conv_string, .offset = offsetof(scenario, network.graph_path), .width = SCENARIO_PATH_MAX,
     .flags = SCN_REQUIRED},
    {.key = "weights", .conv = conv_graph_weights},
    {.key = "hosts", .conv = conv_graph_hosts},
};
static const scn_table graph_table = SCN_TABLE(graph_fields);

/* graph: FILE.gml, or {file, weights} or {file, hosts}. The file is read
 * by the checks, once the hosts are known. */
int scn_conv_graph(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    (void)f;
    scenario *s = base;
    s->network.graph_line = n->key_line;
    if (n->kind != SCN_MAP) return scn_conv_string(c, n, base, &graph_fields[0]);
    if (scn_convert_map(c, n, base, &graph_table) < 0) return -1;
    if (scn_map_get(n, "weights") != NULL && scn_map_get(n, "hosts") != NULL)
        return scn_fail_key(c, scn_map_get(n, "hosts"), "network.graph.hosts", "is not given with weights (one or the other)");
    return 0;
}

/* The keys a graph replaces: it gives the latencies and bandwidths. */
static int graph_conflicts(scn_ctx *c) {
    static const char *const replaced[] = {"network.latency", "network.bandwidth", "network.regions"};
    for (size_t i = 0; i < sizeof replaced / sizeof replaced[0]; i++) {
        bool exact;
        const scn_node *n = scn_find(c->tree, replaced[i], &exact);
        if (exact) return scn_fail_key(c, n, replaced[i], "does not apply with network.graph (its nodes and edges give it)");
    }
    return 0;
}

/* ---- across keys ------------------------------------------------------------ */

int scn_check_net(scn_ctx *c) {
    scenario *s = c->s;
    for (size_t g = 0; g < s->attacker_count; g++) {
        attacker *a = &s->attackers[g];
        a->class_index = -1;
        if (a->class_name[0] == '\0') continue;
        for (size_t k = 0; k < s->nodes.class_count; k++)
            if (strcmp(s->nodes.classes[k].name, a->class_name) == 0) a->class_index = (int)k;
        if (a->class_index >= 0) continue;
        char path[64];
        snprintf(path, sizeof path, "attackers.%zu.class", g);
        bool exact;
        const scn_node *n = scn_find(c->tree, path, &exact);
        snprintf(path, sizeof path, "attackers[%zu].class", g);
        if (s->nodes.class_count == 0)
            return scn_fail(c, exact ? n : NULL, path, "names class \"%s\", but nodes.classes is not given", a->class_name);
        return scn_fail(c, exact ? n : NULL, path, "no class of nodes.classes is named \"%s\"", a->class_name);
    }
    if (s->network.graph_path[0] != '\0') return graph_conflicts(c) < 0 ? -1 : scn_load_graph(c);
    bool exact;
    const scn_node *latency = scn_find(c->tree, "network.latency", &exact);
    if (s->network.regions.count > 0 && exact)
        return scn_fail_key(c, latency, "network.latency", "does not apply with network.regions (their latencies do)");
    return 0;
}
