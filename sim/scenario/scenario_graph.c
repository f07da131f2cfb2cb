/*
 * scenario_graph: network.graph, a Shadow network graph in GML
 * (docs/network-model.md "Shadow graphs", docs/scenarios.md).
 *
 * Shadow's format (shadow.github.io/docs/guide/network_graph_spec.html):
 *
 *   graph [
 *     directed 0
 *     node [ id 0  host_bandwidth_up "100 Mbit"  host_bandwidth_down "100 Mbit" ]
 *     edge [ source 0  target 1  latency "10 ms"  jitter "1 ms"  packet_loss 0.01 ]
 *   ]
 *
 * This file reads it with a small GML reader of its own (keys, integers,
 * reals, quoted strings and [ ] lists; '#' starts a comment line), routes
 * every pair of nodes by the shortest path in latency (Dijkstra, as Shadow
 * does), and turns the nodes into the scenario's regions: the latency and
 * jitter of a path are the sums of its edges', its loss 1 - prod(1 - loss).
 * Every error names the GML file, its line and the key, like
 *   topo.gml:7: graph.edge[1].latency: expected a duration like "10 ms", got "ten"
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time_units.h"
#include "scenario_internal.h"

/* Bounds, so that a hostile or broken file cannot make the reader use
 * unbounded memory or stack. */
#define GML_BYTES_MAX (4u << 20)                                  /* the file */
#define GML_DEPTH_MAX 8                                           /* nested [ ] lists */
#define GML_NODES_MAX SCENARIO_REGIONS_MAX                        /* a node becomes a region */
#define GML_EDGES_MAX (SCENARIO_REGIONS_MAX * SCENARIO_REGIONS_MAX) /* one per ordered pair */
#define GML_TEXT_MAX 128                                          /* a string or number as written */
#define GML_NO_EDGE UINT64_MAX

typedef enum gml_tok { TOK_END, TOK_KEY, TOK_NUMBER, TOK_STRING, TOK_OPEN, TOK_CLOSE, TOK_BAD } gml_tok;

typedef struct gml_reader {
    const char *path;
    const char *p, *end;
    int line;
    gml_tok tok; /* the current token */
    int tok_line;
    char text[GML_TEXT_MAX]; /* its text (strings without quotes) */
    char *err;
    size_t err_cap;
} gml_reader;

typedef struct gml_node {
    int64_t id;
    int line;
    char label[SCENARIO_LABEL_MAX]; /* "" when absent or not a valid name */
    uint64_t up_bps, down_bps;
    bool has_up, has_down;
} gml_node;

typedef struct gml_edge {
    int64_t source, target;
    int line;
    uint64_t latency_ns, jitter_ns;
    double loss;
    bool has_source, has_target, has_latency;
} gml_edge;

typedef struct gml_graph {
    bool directed;
    gml_node nodes[GML_NODES_MAX];
    size_t node_count;
    gml_edge edges[GML_EDGES_MAX];
    size_t edge_count;
} gml_graph;

static int gml_fail(gml_reader *r, int line, const char *key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int gml_fail(gml_reader *r, int line, const char *key, const char *fmt, ...) {
    int at = snprintf(r->err, r->err_cap, "%s:%d: %s: ", r->path, line, key);
    if (at < 0 || (size_t)at >= r->err_cap) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + at, r->err_cap - (size_t)at, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- tokens ------------------------------------------------------------- */

static bool is_key_char(char ch, bool first) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || (!first && ch >= '0' && ch <= '9');
}

/* Reads the next token into r->tok and r->text. */
static void gml_next(gml_reader *r) {
    for (;;) {
        while (r->p < r->end && strchr(" \t\r\n", *r->p) != NULL) r->line += *r->p++ == '\n';
        if (r->p < r->end && *r->p == '#') { /* a comment, to the end of the line */
            while (r->p < r->end && *r->p != '\n') r->p++;
            continue;
        }
        break;
    }
    r->tok_line = r->line;
    r->text[0] = '\0';
    if (r->p >= r->end) {
        r->tok = TOK_END;
        return;
    }
    char ch = *r->p;
    size_t len = 0;
    if (ch == '[' || ch == ']') {
        r->tok = ch == '[' ? TOK_OPEN : TOK_CLOSE;
        r->p++;
    } else if (ch == '"') {
        r->tok = TOK_STRING;
        for (r->p++; r->p < r->end && *r->p != '"'; r->p++) {
            if (*r->p == '\n') r->line++;
            if (len + 1 < sizeof r->text) r->text[len++] = *r->p;
            else r->tok = TOK_BAD;
        }
        if (r->p >= r->end) r->tok = TOK_BAD; /* unclosed */
        else r->p++;
        r->text[len] = '\0';
    } else if (is_key_char(ch, true) || ch == '-' || ch == '+' || ch == '.' || (ch >= '0' && ch <= '9')) {
        r->tok = is_key_char(ch, true) ? TOK_KEY : TOK_NUMBER;
        while (r->p < r->end && strchr(" \t\r\n[]\"#", *r->p) == NULL) {
            if (len + 1 < sizeof r->text) r->text[len++] = *r->p;
            else r->tok = TOK_BAD;
            r->p++;
        }
        r->text[len] = '\0';
    } else {
        r->tok = TOK_BAD;
        r->text[0] = ch, r->text[1] = '\0';
        r->p++;
    }
}

static const char *tok_name(const gml_reader *r) {
    switch (r->tok) {
    case TOK_END: return "the end of the file";
    case TOK_OPEN: return "'['";
    case TOK_CLOSE: return "']'";
    default: return r->text;
    }
}

/* Skips the value of a key we do not read: a scalar or a whole list. */
static int gml_skip(gml_reader *r, const char *key) {
    if (r->tok == TOK_NUMBER || r->tok == TOK_STRING) return gml_next(r), 0;
    if (r->tok != TOK_OPEN) return gml_fail(r, r->tok_line, key, "expected a value, got %s", tok_name(r));
    int depth = 0;
    do {
        if (r->tok == TOK_OPEN && ++depth > GML_DEPTH_MAX)
            return gml_fail(r, r->tok_line, key, "lists nested deeper than %d", GML_DEPTH_MAX);
        if (r->tok == TOK_CLOSE) depth--;
        if (r->tok == TOK_END || r->tok == TOK_BAD) return gml_fail(r, r->tok_line, key, "unclosed list");
        gml_next(r);
    } while (depth > 0);
    return 0;
}

/* ---- values --------------------------------------------------------------- */

static int value_int(gml_reader *r, const char *key, int64_t *out) {
    char *stop;
    errno = 0;
    long long v = r->tok == TOK_NUMBER ? strtoll(r->text, &stop, 10) : 0;
    if (r->tok != TOK_NUMBER || *stop != '\0' || errno != 0)
        return gml_fail(r, r->tok_line, key, "expected a whole number, got %s", tok_name(r));
    *out = v;
    gml_next(r);
    return 0;
}

static int value_real(gml_reader *r, const char *key, double *out) {
    char *stop;
    double v = r->tok == TOK_NUMBER ? strtod(r->text, &stop) : 0;
    if (r->tok != TOK_NUMBER || *stop != '\0' || !isfinite(v))
        return gml_fail(r, r->tok_line, key, "expected a number, got %s", tok_name(r));
    *out = v;
    gml_next(r);
    return 0;
}

typedef struct unit {
    const char *name;
    double scale;
} unit;

/* Shadow's units (written "10 ms", "1 Gbit"): a number, optional spaces,
 * then a unit of the table. 0 and *out, or -1. */
static int quantity(const char *text, const unit *units, double *out) {
    char *stop;
    double v = strtod(text, &stop);
    if (stop == text || !isfinite(v) || v < 0) return -1;
    while (*stop == ' ') stop++;
    for (const unit *u = units; u->name != NULL; u++)
        if (strcmp(stop, u->name) == 0) {
            *out = v * u->scale;
            return 0;
        }
    return -1;
}

static const unit time_units[] = {
    {"ns", 1},          {"nanosecond", 1},     {"nanoseconds", 1},   {"us", 1e3},       {"microsecond", 1e3},
    {"microseconds", 1e3}, {"ms", 1e6},        {"millisecond", 1e6}, {"milliseconds", 1e6}, {"s", 1e9},
    {"sec", 1e9},       {"second", 1e9},       {"seconds", 1e9},     {NULL, 0},
};

static const unit bandwidth_units[] = {
    {"bit", 1},      {"Kbit", 1e3},    {"kbit", 1e3},    {"Mbit", 1e6},    {"Gbit", 1e9},     {"Tbit", 1e12},
    {"Kibit", 1024.0}, {"Mibit", 1048576.0}, {"Gibit", 1073741824.0},   {"kilobit", 1e3},  {"megabit", 1e6},
    {"gigabit", 1e9}, {"byte", 8},    {"B", 8},         {"KB", 8e3},      {"kB", 8e3},       {"MB", 8e6},
    {"GB", 8e9},     {"KiB", 8192.0}, {"MiB", 8388608.0}, {"GiB", 8589934592.0}, {NULL, 0},
};

static int value_duration(gml_reader *r, const char *key, uint64_t *ns) {
    double v;
    if (r->tok != TOK_STRING || quantity(r->text, time_units, &v) < 0 || v > (double)SCN_DURATION_MAX_NS)
        return gml_fail(r, r->tok_line, key, "expected a duration like \"10 ms\" (ns, us, ms, s), got %s%s%s",
                        r->tok == TOK_STRING ? "\"" : "", tok_name(r), r->tok == TOK_STRING ? "\"" : "");
    *ns = (uint64_t)llround(v);
    gml_next(r);
    return 0;
}

static int value_bandwidth(gml_reader *r, const char *key, uint64_t *bps) {
    double v;
    if (r->tok != TOK_STRING || quantity(r->text, bandwidth_units, &v) < 0 || v < 1 || v > 1e15)
        return gml_fail(r, r->tok_line, key, "expected a bandwidth like \"100 Mbit\" (bit, Kbit, Mbit, Gbit), got %s%s%s",
                        r->tok == TOK_STRING ? "\"" : "", tok_name(r), r->tok == TOK_STRING ? "\"" : "");
    *bps = (uint64_t)llround(v);
    gml_next(r);
    return 0;
}

/* ---- nodes, edges, the graph ---------------------------------------------- */

/* A node's label names its region when it is a valid, short name. */
static void keep_label(gml_node *n, const char *text) {
    size_t len = strlen(text);
    if (len == 0 || len >= sizeof n->label) return;
    for (const char *p = text; *p != '\0'; p++)
        if (!is_key_char(*p, false) && strchr(".-", *p) == NULL) return;
    memcpy(n->label, text, len + 1);
}

/* At a key of a node or an edge: takes it into name, and its full key
 * ("graph.edge[2].latency") into field, and moves to its value. */
static bool field_start(gml_reader *r, const char *key, char name[GML_TEXT_MAX], char *field, size_t cap) {
    if (r->tok != TOK_KEY) return false;
    snprintf(name, GML_TEXT_MAX, "%s", r->text);
    snprintf(field, cap, "%s.%.24s", key, name);
    gml_next(r);
    return true;
}

static int read_node(gml_reader *r, gml_graph *g, const char *key, int line) {
    if (g->node_count == GML_NODES_MAX) return gml_fail(r, line, key, "more than %d nodes", GML_NODES_MAX);
    gml_node *n = &g->nodes[g->node_count++];
    memset(n, 0, sizeof *n);
    n->line = line;
    bool has_id = false;
    char name[GML_TEXT_MAX], field[96];
    while (field_start(r, key, name, field, sizeof field)) {
        int rc;
        if (strcmp(name, "id") == 0) rc = value_int(r, field, &n->id), has_id = true;
        else if (strcmp(name, "host_bandwidth_up") == 0) rc = value_bandwidth(r, field, &n->up_bps), n->has_up = true;
        else if (strcmp(name, "host_bandwidth_down") == 0) rc = value_bandwidth(r, field, &n->down_bps), n->has_down = true;
        else if (strcmp(name, "label") == 0 && r->tok == TOK_STRING) keep_label(n, r->text), rc = gml_skip(r, field);
        else rc = gml_skip(r, field);
        if (rc < 0) return -1;
    }
    if (r->tok != TOK_CLOSE) return gml_fail(r, r->tok_line, key, "expected a key or ']', got %s", tok_name(r));
    if (!has_id) return gml_fail(r, line, key, "needs an id");
    if (!n->has_up) return gml_fail(r, line, key, "needs host_bandwidth_up (like \"100 Mbit\")");
    if (!n->has_down) return gml_fail(r, line, key, "needs host_bandwidth_down (like \"100 Mbit\")");
    for (size_t i = 0; i + 1 < g->node_count; i++)
        if (g->nodes[i].id == n->id)
            return gml_fail(r, line, key, "id %" PRId64 " is taken by the node of line %d", n->id, g->nodes[i].line);
    return 0;
}

static int read_edge(gml_reader *r, gml_graph *g, const char *key, int line) {
    if (g->edge_count == GML_EDGES_MAX) return gml_fail(r, line, key, "more than %d edges", GML_EDGES_MAX);
    gml_edge *e = &g->edges[g->edge_count++];
    memset(e, 0, sizeof *e);
    e->line = line;
    char name[GML_TEXT_MAX], field[96];
    while (field_start(r, key, name, field, sizeof field)) {
        int rc;
        if (strcmp(name, "source") == 0) rc = value_int(r, field, &e->source), e->has_source = true;
        else if (strcmp(name, "target") == 0) rc = value_int(r, field, &e->target), e->has_target = true;
        else if (strcmp(name, "latency") == 0) rc = value_duration(r, field, &e->latency_ns), e->has_latency = true;
        else if (strcmp(name, "jitter") == 0) rc = value_duration(r, field, &e->jitter_ns);
        else if (strcmp(name, "packet_loss") == 0) {
            int value_line = r->tok_line;
            rc = value_real(r, field, &e->loss);
            if (rc == 0 && !(e->loss >= 0 && e->loss < 1))
                return gml_fail(r, value_line, field, "must be at least 0 and below 1, got %g", e->loss);
        } else rc = gml_skip(r, field);
        if (rc < 0) return -1;
    }
    if (r->tok != TOK_CLOSE) return gml_fail(r, r->tok_line, key, "expected a key or ']', got %s", tok_name(r));
    if (!e->has_source || !e->has_target) return gml_fail(r, line, key, "needs a source and a target");
    if (!e->has_latency) return gml_fail(r, line, key, "needs a latency (like \"10 ms\")");
    if (e->latency_ns == 0) return gml_fail(r, line, key, "latency must be above 0");
    return 0;
}

static int read_graph(gml_reader *r, gml_graph *g) {
    size_t nodes = 0, edges = 0;
    while (r->tok == TOK_KEY) {
        char name[GML_TEXT_MAX], key[64];
        snprintf(name, sizeof name, "%s", r->text);
        int line = r->tok_line;
        gml_next(r);
        bool node = strcmp(name, "node") == 0, edge = strcmp(name, "edge") == 0;
        if (node || edge) {
            snprintf(key, sizeof key, "graph.%.8s[%zu]", name, node ? nodes++ : edges++);
            if (r->tok != TOK_OPEN) return gml_fail(r, r->tok_line, key, "expected '[', got %s", tok_name(r));
            gml_next(r);
            if ((node ? read_node(r, g, key, line) : read_edge(r, g, key, line)) < 0) return -1;
            gml_next(r); /* the ']' */
        } else if (strcmp(name, "directed") == 0) {
            int64_t v;
            if (value_int(r, "graph.directed", &v) < 0) return -1;
            if (v != 0 && v != 1) return gml_fail(r, line, "graph.directed", "must be 0 or 1, got %" PRId64, v);
            g->directed = v == 1;
        } else if (gml_skip(r, "graph") < 0) {
            return -1;
        }
    }
    if (r->tok != TOK_CLOSE) return gml_fail(r, r->tok_line, "graph", "expected a key or ']', got %s", tok_name(r));
    if (g->node_count == 0) return gml_fail(r, r->tok_line, "graph", "has no nodes");
    return 0;
}

/* Reads the file at path into g. */
static int read_file(gml_reader *r, gml_graph *g) {
    FILE *f = fopen(r->path, "rb");
    if (f == NULL) return snprintf(r->err, r->err_cap, "%s: cannot open: %s", r->path, strerror(errno)), -1;
    char *text = malloc(GML_BYTES_MAX + 1);
    size_t len = text == NULL ? 0 : fread(text, 1, GML_BYTES_MAX + 1, f);
    fclose(f);
    if (text == NULL) return snprintf(r->err, r->err_cap, "%s: out of memory", r->path), -1;
    int rc = -1;
    if (len > GML_BYTES_MAX) {
        snprintf(r->err, r->err_cap, "%s: larger than %u bytes", r->path, GML_BYTES_MAX);
    } else {
        r->p = text, r->end = text + len, r->line = 1;
        gml_next(r);
        while (r->tok == TOK_KEY && strcmp(r->text, "graph") != 0) { /* Creator, Version, ... */
            gml_next(r);
            if (gml_skip(r, "file") < 0) goto done;
        }
        if (r->tok != TOK_KEY) {
            gml_fail(r, r->tok_line, "graph", "expected \"graph [\", got %s", tok_name(r));
            goto done;
        }
        gml_next(r);
        if (r->tok != TOK_OPEN) {
            gml_fail(r, r->tok_line, "graph", "expected '[', got %s", tok_name(r));
            goto done;
        }
        gml_next(r);
        rc = read_graph(r, g);
    }
done:
    free(text);
    return rc;
}

/* ---- routing ---------------------------------------------------------------- */

static long node_index(const gml_graph *g, int64_t id) {
    for (size_t i = 0; i < g->node_count; i++)
        if (g->nodes[i].id == id) return (long)i;
    return -1;
}

/* The edge matrix: edge[u][v] is the index of the edge from u to v, or -1. */
static int build_edges(gml_reader *r, const gml_graph *g, int edge[GML_NODES_MAX][GML_NODES_MAX]) {
    for (size_t u = 0; u < GML_NODES_MAX; u++)
        for (size_t v = 0; v < GML_NODES_MAX; v++) edge[u][v] = -1;
    for (size_t k = 0; k < g->edge_count; k++) {
        const gml_edge *e = &g->edges[k];
        char key[48];
        snprintf(key, sizeof key, "graph.edge[%zu]", k);
        long u = node_index(g, e->source), v = node_index(g, e->target);
        if (u < 0) return gml_fail(r, e->line, key, "source %" PRId64 " is no node's id", e->source);
        if (v < 0) return gml_fail(r, e->line, key, "target %" PRId64 " is no node's id", e->target);
        if (edge[u][v] >= 0 || (!g->directed && edge[v][u] >= 0))
            return gml_fail(r, e->line, key, "repeats the edge of line %d",
                            g->edges[edge[u][v] >= 0 ? edge[u][v] : edge[v][u]].line);
        edge[u][v] = (int)k;
        if (!g->directed) edge[v][u] = (int)k;
    }
    return 0;
}

/* Dijkstra from src by latency (ties to the lower node index, so a graph
 * always routes the same way); prev[v] is the node before v on the path. */
static void shortest_paths(const gml_graph *g, const int edge[GML_NODES_MAX][GML_NODES_MAX], size_t src,
                           uint64_t best[GML_NODES_MAX], long prev[GML_NODES_MAX]) {
    bool done[GML_NODES_MAX] = {false};
    for (size_t v = 0; v < g->node_count; v++) best[v] = GML_NO_EDGE, prev[v] = -1;
    best[src] = 0;
    for (size_t round = 0; round < g->node_count; round++) {
        long u = -1;
        for (size_t v = 0; v < g->node_count; v++)
            if (!done[v] && best[v] != GML_NO_EDGE && (u < 0 || best[v] < best[u])) u = (long)v;
        if (u < 0) break;
        done[u] = true;
        for (size_t v = 0; v < g->node_count; v++) {
            if (edge[u][v] < 0 || (size_t)u == v) continue;
            uint64_t d = best[u] + g->edges[edge[u][v]].latency_ns; /* both below SCN_DURATION_MAX_NS * nodes */
            if (d < best[v]) best[v] = d, prev[v] = u;
        }
    }
}

/* How many hosts node i may hold: as many as the list names it; with
 * weights, "many" (2) for a weight above 0, else none. */
static size_t holds_hosts(const scenario *s, const gml_graph *g, size_t i) {
    if (s->network.graph_host_count > 0) {
        size_t count = 0;
        for (size_t h = 0; h < s->network.graph_host_count; h++) count += s->network.graph_host_id[h] == g->nodes[i].id;
        return count;
    }
    if (s->network.graph_weight_count == 0) return 2;
    for (size_t k = 0; k < s->network.graph_weight_count; k++)
        if (s->network.graph_weight_id[k] == g->nodes[i].id) return s->network.graph_weight[k] > 0 ? 2 : 0;
    return 0;
}

/* Fills the regions with each pair's path: latency and jitter summed over
 * its edges, loss 1 - prod(1 - loss); a node to itself takes its
 * self-loop, which it needs when it may hold two hosts or more. Every
 * pair of nodes that hold hosts needs a path. */
static int route(gml_reader *r, const scenario *s, const gml_graph *g, scenario_regions *out) {
    static int edge[GML_NODES_MAX][GML_NODES_MAX]; /* only the loader's thread runs this */
    if (build_edges(r, g, edge) < 0) return -1;
    for (size_t a = 0; a < g->node_count; a++) {
        if (!holds_hosts(s, g, a)) continue;
        uint64_t best[GML_NODES_MAX];
        long prev[GML_NODES_MAX];
        shortest_paths(g, edge, a, best, prev);
        for (size_t b = 0; b < g->node_count; b++) {
            if (!holds_hosts(s, g, b)) continue;
            char key[48];
            snprintf(key, sizeof key, "graph.node[%zu]", a);
            if (a == b) {
                if (edge[a][a] < 0 && holds_hosts(s, g, a) < 2) continue;
                if (edge[a][a] < 0)
                    return gml_fail(r, g->nodes[a].line, key, "node %" PRId64 " may hold two hosts or more but has no edge to "
                                    "itself (its hosts reach each other over its self-loop)", g->nodes[a].id);
                const gml_edge *e = &g->edges[edge[a][a]];
                out->latency_ns[a][a] = e->latency_ns, out->jitter_ns[a][a] = e->jitter_ns, out->loss[a][a] = e->loss;
                continue;
            }
            if (best[b] == GML_NO_EDGE)
                return gml_fail(r, g->nodes[a].line, key, "no path from node %" PRId64 " to node %" PRId64
                                " (nodes that hold hosts must all reach each other)", g->nodes[a].id, g->nodes[b].id);
            uint64_t jitter = 0;
            double delivered = 1;
            for (long v = (long)b; v != (long)a; v = prev[v]) {
                const gml_edge *e = &g->edges[edge[prev[v]][v]];
                jitter += e->jitter_ns;
                delivered *= 1 - e->loss;
            }
            out->latency_ns[a][b] = best[b], out->jitter_ns[a][b] = jitter, out->loss[a][b] = 1 - delivered;
        }
    }
    return 0;
}

/* ---- the scenario's side ------------------------------------------------------ */

/* The file's path: as written when absolute, else in the scenario's folder. */
static int resolve(const scenario *s, char *out, size_t cap) {
    const char *file = s->network.graph_path;
    const char *slash = strrchr(s->path, '/');
    int len = file[0] == '/' || slash == NULL ? snprintf(out, cap, "%s", file)
                                               : snprintf(out, cap, "%.*s/%s", (int)(slash - s->path), s->path, file);
    return len < 0 || (size_t)len >= cap ? -1 : 0;
}

int scn_load_graph(scn_ctx *c) {
    scenario *s = c->s;
    const char *where = "network.graph";
    bool exact;
    const scn_node *at = scn_find(c->tree, "network.graph", &exact);
    char path[2 * SCENARIO_PATH_MAX];
    if (resolve(s, path, sizeof path) < 0) return scn_fail(c, exact ? at : NULL, where, "path too long");
    static gml_graph g; /* about 100 KB; only the loader's thread reads a graph */
    memset(&g, 0, sizeof g);
    gml_reader r = {.path = path, .err = c->err, .err_cap = c->err_cap};
    if (read_file(&r, &g) < 0) return -1;
    scenario_regions *out = &s->network.regions;
    memset(out, 0, sizeof *out);
    if (route(&r, s, &g, out) < 0) return -1;
    out->count = g.node_count;
    out->from_graph = true;
    out->line = s->network.graph_line;
    for (size_t i = 0; i < g.node_count; i++) {
        scenario_region *reg = &out->list[i];
        const gml_node *n = &g.nodes[i];
        bool unique = n->label[0] != '\0';
        for (size_t j = 0; j < i && unique; j++) unique = strcmp(g.nodes[j].label, n->label) != 0;
        if (unique) snprintf(reg->name, sizeof reg->name, "%s", n->label);
        else snprintf(reg->name, sizeof reg->name, "node%" PRId64, n->id);
        reg->up_bps = n->up_bps, reg->down_bps = n->down_bps;
        reg->weight = s->network.graph_weight_count == 0 ? 1 : 0;
        for (size_t k = 0; k < s->network.graph_weight_count; k++)
            if (s->network.graph_weight_id[k] == n->id) reg->weight = s->network.graph_weight[k];
    }
    for (size_t k = 0; k < s->network.graph_weight_count; k++)
        if (node_index(&g, s->network.graph_weight_id[k]) < 0)
            return scn_fail(c, exact ? at : NULL, "network.graph.weights", "%s has no node with id %" PRId64, path,
                            s->network.graph_weight_id[k]);
    uint32_t hosts = s->nodes.count;
    for (size_t a = 0; a < s->attacker_count; a++) hosts += s->attackers[a].count;
    if (s->network.graph_host_count > 0 && s->network.graph_host_count != hosts)
        return scn_fail(c, exact ? at : NULL, "network.graph.hosts", "names %zu hosts' nodes, but there are %" PRIu32
                        " hosts (nodes.count and the attackers)", s->network.graph_host_count, hosts);
    for (size_t h = 0; h < s->network.graph_host_count; h++) {
        long i = node_index(&g, s->network.graph_host_id[h]);
        if (i < 0)
            return scn_fail(c, exact ? at : NULL, "network.graph.hosts", "%s has no node with id %" PRId64, path,
                            s->network.graph_host_id[h]);
        s->network.graph_host_region[h] = (uint8_t)i;
    }
    return 0;
}
