/* scenario_shadow: test-plans' shadow.yaml, read and checked. See shadow.h. */
#define _DEFAULT_SOURCE /* realpath */
#include "shadow.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_internal.h"

typedef struct sh_ctx {
    const char *path;
    char *err;
    size_t cap;
} sh_ctx;

static int fail(sh_ctx *x, int line, const char *key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(sh_ctx *x, int line, const char *key, const char *fmt, ...) {
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(x->err, x->cap, "%s:%d: %s: %s", x->path, line, key, what);
    return -1;
}

static int line_of(const scn_node *n) { return n->key_line > 0 ? n->key_line : n->line; }

/* A map's keys must be among allowed (NULL-terminated); key is its path. */
static int only_keys(sh_ctx *x, const scn_node *map, const char *key, const char *const *allowed) {
    for (const scn_node *e = map->first; e != NULL; e = e->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++) ok = strcmp(e->key, allowed[i]) == 0;
        if (!ok) {
            char full[SCN_KEYPATH_MAX];
            snprintf(full, sizeof full, "%s%s%s", key, key[0] ? "." : "", e->key);
            return fail(x, line_of(e), full, "not supported by swarmlab (docs/gossipsub-interop.md)");
        }
    }
    return 0;
}

static const scn_node *need(sh_ctx *x, const scn_node *map, const char *name, scn_kind kind, const char *key) {
    const scn_node *n = scn_map_get(map, name);
    const char *kinds[] = {"a value", "a map", "a list"};
    if (n == NULL) {
        fail(x, line_of(map), key, "required");
        return NULL;
    }
    if (n->kind != kind) {
        fail(x, line_of(n), key, "expected %s, got %s", kinds[kind], scn_kind_name(n));
        return NULL;
    }
    return n;
}

/* Shadow's time: an integer of seconds, or a number and a unit (ns, us, ms,
 * s, sec, min, h, hour ...). 0, or -1. */
static int shadow_time(const char *text, uint64_t *ns) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || errno != 0 || text[0] == '-') return -1;
    while (*end == ' ') end++;
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {{"", 1000000000ull},       {"ns", 1},          {"nanosecond", 1},    {"nanoseconds", 1},
                 {"us", 1000},              {"μs", 1000},       {"microsecond", 1000}, {"microseconds", 1000},
                 {"ms", 1000000},           {"millisecond", 1000000}, {"milliseconds", 1000000},
                 {"s", 1000000000ull},      {"sec", 1000000000ull},   {"secs", 1000000000ull},
                 {"second", 1000000000ull}, {"seconds", 1000000000ull}, {"m", 60000000000ull},
                 {"min", 60000000000ull},   {"mins", 60000000000ull}, {"minute", 60000000000ull},
                 {"minutes", 60000000000ull}, {"h", 3600000000000ull}, {"hr", 3600000000000ull},
                 {"hour", 3600000000000ull}, {"hours", 3600000000000ull}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].unit) != 0) continue;
        if (v > SCN_DURATION_MAX_NS / units[i].ns) return -1;
        *ns = v * units[i].ns;
        return 0;
    }
    return -1;
}

/* path against the folder of base, unless absolute. 0, or -1 when too long. */
static int resolve(const char *base, const char *path, char *out, size_t cap) {
    const char *slash = strrchr(base, '/');
    int n = path[0] == '/' || slash == NULL ? snprintf(out, cap, "%s", path)
                                            : snprintf(out, cap, "%.*s/%s", (int)(slash - base), base, path);
    if (n < 0 || (size_t)n >= cap) return -1;
    /* Absolute where it exists: the scenario written from it lives elsewhere. */
    char full[PATH_MAX];
    if (realpath(out, full) != NULL && strlen(full) < cap) snprintf(out, cap, "%s", full);
    return 0;
}

static int read_general(sh_ctx *x, const scn_node *root, shadow_config *c) {
    const scn_node *g = need(x, root, "general", SCN_MAP, "general");
    if (g == NULL) return -1;
    static const char *const allowed[] = {"stop_time", "seed", "parallelism", "progress",
                                          "model_unblocked_syscall_latency", "log_level", "heartbeat_interval",
                                          "data_directory", "template_directory", "bootstrap_end_time", NULL};
    if (only_keys(x, g, "general", allowed) != 0) return -1;
    const scn_node *stop = need(x, g, "stop_time", SCN_SCALAR, "general.stop_time");
    if (stop == NULL) return -1;
    if (shadow_time(stop->text, &c->stop_ns) != 0 || c->stop_ns == 0)
        return fail(x, stop->line, "general.stop_time", "expected a time like 10 min or 600 (seconds), got \"%s\"",
                    stop->text);
    const scn_node *b = scn_map_get(g, "bootstrap_end_time");
    uint64_t ns;
    if (b != NULL && (b->kind != SCN_SCALAR || shadow_time(b->text, &ns) != 0 || ns != 0))
        return fail(x, line_of(b), "general.bootstrap_end_time", "only 0 (the world has no bootstrap phase)");
    c->seed = 1;
    const scn_node *seed = scn_map_get(g, "seed");
    char why[256];
    if (seed != NULL && (seed->kind != SCN_SCALAR || scn_value_u64(seed->text, &c->seed, why, sizeof why) != 0))
        return fail(x, line_of(seed), "general.seed", "expected a whole number");
    return 0;
}

static int read_network(sh_ctx *x, const scn_node *root, shadow_config *c) {
    const scn_node *net = need(x, root, "network", SCN_MAP, "network");
    if (net == NULL) return -1;
    static const char *const allowed[] = {"graph", "use_shortest_path", NULL};
    if (only_keys(x, net, "network", allowed) != 0) return -1;
    const scn_node *sp = scn_map_get(net, "use_shortest_path");
    bool yes;
    char why[256];
    if (sp != NULL && (sp->kind != SCN_SCALAR || scn_value_bool(sp->text, &yes, why, sizeof why) != 0 || !yes))
        return fail(x, line_of(sp), "network.use_shortest_path", "only true (the lab routes by the shortest path)");
    const scn_node *graph = need(x, net, "graph", SCN_MAP, "network.graph");
    if (graph == NULL) return -1;
    static const char *const graph_keys[] = {"type", "file", NULL};
    if (only_keys(x, graph, "network.graph", graph_keys) != 0) return -1;
    const scn_node *type = need(x, graph, "type", SCN_SCALAR, "network.graph.type");
    if (type == NULL) return -1;
    if (strcmp(type->text, "gml") != 0)
        return fail(x, type->line, "network.graph.type", "only gml, got \"%s\"", type->text);
    const scn_node *file = need(x, graph, "file", SCN_MAP, "network.graph.file");
    if (file == NULL) return -1;
    static const char *const file_keys[] = {"path", NULL};
    if (only_keys(x, file, "network.graph.file", file_keys) != 0) return -1;
    const scn_node *p = need(x, file, "path", SCN_SCALAR, "network.graph.file.path");
    if (p == NULL) return -1;
    if (p->text[0] == '\0' || resolve(c->path, p->text, c->graph_path, sizeof c->graph_path) != 0)
        return fail(x, p->line, "network.graph.file.path", "empty or longer than %d bytes", SCENARIO_PATH_MAX - 1);
    return 0;
}

/* One process: "--params FILE" in args (a string or a list), nothing else. */
static int read_process(sh_ctx *x, const scn_node *proc, const char *key, shadow_config *c, uint32_t host) {
    char k[SCN_KEYPATH_MAX + 64];
    static const char *const allowed[] = {"path", "args", "environment", "expected_final_state", "start_time", NULL};
    if (only_keys(x, proc, key, allowed) != 0) return -1;
    const scn_node *st = scn_map_get(proc, "start_time");
    uint64_t ns;
    snprintf(k, sizeof k, "%.200s.start_time", key);
    if (st != NULL && (st->kind != SCN_SCALAR || shadow_time(st->text, &ns) != 0 || ns != 0))
        return fail(x, line_of(st), k, "only 0: every process starts with the experiment");
    snprintf(k, sizeof k, "%.200s.args", key);
    const scn_node *args = scn_map_get(proc, "args");
    if (args == NULL) return fail(x, line_of(proc), k, "required (--params FILE)");
    char text[2 * SCENARIO_PATH_MAX] = "";
    if (args->kind == SCN_SCALAR) {
        snprintf(text, sizeof text, "%s", args->text);
    } else if (args->kind == SCN_SEQ) {
        for (const scn_node *a = args->first; a != NULL; a = a->next) {
            if (a->kind != SCN_SCALAR) return fail(x, a->line, k, "expected strings");
            size_t len = strlen(text);
            snprintf(text + len, sizeof text - len, "%s%s", len ? " " : "", a->text);
        }
    } else {
        return fail(x, line_of(args), k, "expected a string or a list, got %s", scn_kind_name(args));
    }
    char *save = NULL, *tok = strtok_r(text, " \t", &save), *params = NULL;
    for (; tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
        if (strcmp(tok, "--params") == 0 && params == NULL && (params = strtok_r(NULL, " \t", &save)) != NULL) continue;
        return fail(x, line_of(args), k, "only --params FILE, got \"%s\"", tok);
    }
    if (params == NULL) return fail(x, line_of(args), k, "no --params FILE");
    char resolved[SCENARIO_PATH_MAX];
    if (resolve(c->path, params, resolved, sizeof resolved) != 0)
        return fail(x, line_of(args), k, "the params path is longer than %d bytes", SCENARIO_PATH_MAX - 1);
    if (host == 0) {
        snprintf(c->params_path, sizeof c->params_path, "%s", resolved);
        c->params_line = line_of(args);
    } else if (strcmp(resolved, c->params_path) != 0) {
        return fail(x, line_of(args), k, "%s: every host must run one params file, node0's %s", resolved,
                    c->params_path);
    }
    return 0;
}

static int read_hosts(sh_ctx *x, const scn_node *root, shadow_config *c) {
    const scn_node *hosts = need(x, root, "hosts", SCN_MAP, "hosts");
    if (hosts == NULL) return -1;
    if (hosts->child_count == 0 || hosts->child_count > SHADOW_HOSTS_MAX)
        return fail(x, line_of(hosts), "hosts", "1 to %d hosts, got %zu", SHADOW_HOSTS_MAX, hosts->child_count);
    c->host_count = (uint32_t)hosts->child_count;
    bool *seen = calloc(c->host_count, sizeof *seen);
    if (seen == NULL) return fail(x, line_of(hosts), "hosts", "out of memory");
    /* node0's process first: it names the params file the others must share. */
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        for (const scn_node *h = hosts->first; h != NULL && rc == 0; h = h->next) {
            char key[SCN_KEYPATH_MAX];
            snprintf(key, sizeof key, "hosts.%.100s", h->key);
            char *end;
            unsigned long id = strncmp(h->key, "node", 4) == 0 && h->key[4] >= '0' && h->key[4] <= '9'
                                   ? strtoul(h->key + 4, &end, 10)
                                   : ULONG_MAX;
            if (id == ULONG_MAX || *end != '\0' || id >= c->host_count) {
                rc = fail(x, line_of(h), key, "hosts are named node0 to node%u (test-plans' names)", c->host_count - 1);
                break;
            }
            if ((pass == 0) != (id == 0)) continue;
            if (seen[id]) {
                rc = fail(x, line_of(h), key, "twice");
                break;
            }
            seen[id] = true;
            if (h->kind != SCN_MAP) {
                rc = fail(x, line_of(h), key, "expected a map, got %s", scn_kind_name(h));
                break;
            }
            static const char *const allowed[] = {"network_node_id", "processes", "host_options", NULL};
            if ((rc = only_keys(x, h, key, allowed)) != 0) break;
            char k[SCN_KEYPATH_MAX + 64];
            snprintf(k, sizeof k, "%.200s.network_node_id", key);
            const scn_node *nid = need(x, h, "network_node_id", SCN_SCALAR, k);
            char why[256];
            if (nid == NULL) {
                rc = -1;
                break;
            }
            if (scn_value_int(nid->text, &c->network_node_id[id], why, sizeof why) != 0 || c->network_node_id[id] < 0) {
                rc = fail(x, nid->line, k, "expected a graph node id (a whole number >= 0), got \"%s\"", nid->text);
                break;
            }
            snprintf(k, sizeof k, "%.200s.processes", key);
            const scn_node *procs = need(x, h, "processes", SCN_SEQ, k);
            if (procs == NULL) {
                rc = -1;
                break;
            }
            if (procs->child_count != 1) {
                rc = fail(x, line_of(procs), k, "one process a host (swarmlab-node), got %zu", procs->child_count);
                break;
            }
            snprintf(k, sizeof k, "%.200s.processes[0]", key);
            if (procs->first->kind != SCN_MAP) {
                rc = fail(x, procs->first->line, k, "expected a map, got %s", scn_kind_name(procs->first));
                break;
            }
            rc = read_process(x, procs->first, k, c, (uint32_t)id);
        }
    }
    free(seen);
    return rc;
}

int shadow_config_load(const char *path, shadow_config *c, char *err, size_t cap) {
    memset(c, 0, sizeof *c);
    if (snprintf(c->path, sizeof c->path, "%s", path) >= (int)sizeof c->path) {
        snprintf(err, cap, "%s: path longer than %d bytes", path, SCENARIO_PATH_MAX - 1);
        return -1;
    }
    scn_tree t;
    if (scn_tree_load(&t, path, err, cap) != 0) return -1;
    sh_ctx x = {.path = path, .err = err, .cap = cap};
    static const char *const allowed[] = {"general", "network", "hosts", "experimental", "host_option_defaults", NULL};
    int rc = only_keys(&x, t.root, "", allowed);
    if (rc == 0) rc = read_general(&x, t.root, c);
    if (rc == 0) rc = read_network(&x, t.root, c);
    if (rc == 0) rc = read_hosts(&x, t.root, c);
    scn_tree_free(&t);
    return rc;
}

int shadow_write_scenario(const shadow_config *c, const char *name, const char *scenario_path, char *err, size_t cap) {
    FILE *f = fopen(scenario_path, "w");
    if (f == NULL) {
        snprintf(err, cap, "%s: %s", scenario_path, strerror(errno));
        return -1;
    }
    fprintf(f, "# written by swarmlab from %s: the scenario this Shadow experiment runs as\n", c->path);
    fprintf(f, "name: %s\nseed: %llu\nduration: %lluns\n", name, (unsigned long long)c->seed,
            (unsigned long long)c->stop_ns);
    fprintf(f, "nodes: {count: %u}\n", c->host_count);
    /* A message counts when published a deadline before the end: half the
     * run, at most the usual 10 s (test-plans' analyzer has none). */
    uint64_t deadline = c->stop_ns / 2 < 10000000000ull ? c->stop_ns / 2 : 10000000000ull;
    fprintf(f, "metrics: {deadline: %lluns}\n", (unsigned long long)(deadline > 0 ? deadline : 1));
    fprintf(f, "network:\n  graph:\n    file: \"%s\"\n    hosts: [", c->graph_path);
    for (uint32_t i = 0; i < c->host_count; i++)
        fprintf(f, "%s%lld", i ? ", " : "", (long long)c->network_node_id[i]);
    fprintf(f, "]\nprotocol: {router: gossipsub, signature_policy: strict-no-sign, message_id: first-8-bytes}\n");
    if (fclose(f) != 0) {
        snprintf(err, cap, "%s: %s", scenario_path, strerror(errno));
        return -1;
    }
    return 0;
}
