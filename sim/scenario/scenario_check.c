/*
 * scenario_check: the rules of the scenario format that involve more than
 * one key, checked once every key is converted and every override applied
 * (so `--set nodes.count=50` is checked against the ranges the file names).
 *
 * Each error is blamed on the key most likely to be wrong, found in the tree
 * by its path; when that key was left out (a default), on its nearest
 * ancestor that was given.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/time_units.h"
#include "core/node.h"
#include "scenario_internal.h"

#define CHECK_PATH_MAX 96
#define CHECK_TEXT_MAX 32

/* Blames the key at dotted ("offline.2.at"), shown as "offline[2].at", on
 * its value's line, or with on_key on the key's own (a map or a list,
 * whose value starts a line below). */
static int check_fail_at(scn_ctx *c, bool on_key, const char *dotted, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int check_fail_at(scn_ctx *c, bool on_key, const char *dotted, const char *fmt, va_list ap) {
    char shown[SCN_KEYPATH_MAX] = "";
    char path[SCN_KEYPATH_MAX];
    snprintf(path, sizeof path, "%s", dotted);
    char *state = NULL;
    for (char *part = strtok_r(path, ".", &state); part != NULL; part = strtok_r(NULL, ".", &state)) {
        size_t used = strlen(shown);
        bool index = part[0] >= '0' && part[0] <= '9';
        snprintf(shown + used, sizeof shown - used, index ? "[%s]" : used > 0 ? ".%s" : "%s", part);
    }
    bool exact;
    const scn_node *n = scn_find(c->tree, dotted, &exact);
    char what[SCENARIO_ERROR_MAX];
    vsnprintf(what, sizeof what, fmt, ap);
    if (n == c->tree->root) return scn_fail(c, NULL, shown, "%s", what);
    return exact && !on_key ? scn_fail(c, n, shown, "%s", what) : scn_fail_key(c, n, shown, "%s", what);
}

static int check_fail(scn_ctx *c, const char *dotted, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int check_fail(scn_ctx *c, const char *dotted, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = check_fail_at(c, false, dotted, fmt, ap);
    va_end(ap);
    return rc;
}

static int check_fail_key(scn_ctx *c, const char *dotted, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int check_fail_key(scn_ctx *c, const char *dotted, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = check_fail_at(c, true, dotted, fmt, ap);
    va_end(ap);
    return rc;
}

/* "300s", "1500ms": the largest unit that shows ns exactly. */
static const char *duration_text(uint64_t ns, char out[CHECK_TEXT_MAX]) {
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {{"h", 3600 * NS_PER_S}, {"min", 60 * NS_PER_S}, {"s", NS_PER_S}, {"ms", NS_PER_MS},
                 {"us", NS_PER_US}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ns > 0 && ns % units[i].ns == 0) {
            snprintf(out, CHECK_TEXT_MAX, "%" PRIu64 "%s", ns / units[i].ns, units[i].unit);
            return out;
        }
    snprintf(out, CHECK_TEXT_MAX, "%" PRIu64 "ns", ns);
    return out;
}

/* ---- times against the scenario's duration ---------------------------------- */

static int check_before_end(scn_ctx *c, uint64_t at_ns, const char *dotted) {
    char a[CHECK_TEXT_MAX], d[CHECK_TEXT_MAX];
    if (at_ns < c->s->duration_ns) return 0;
    return check_fail(c, dotted, "%s is not before the end of the run (duration %s)", duration_text(at_ns, a),
                      duration_text(c->s->duration_ns, d));
}

static int check_workload_times(scn_ctx *c) {
    scenario *s = c->s;
    char a[CHECK_TEXT_MAX], b[CHECK_TEXT_MAX];
    if (s->workload.stop_ns == 0) s->workload.stop_ns = s->duration_ns;
    if (s->workload.stop_ns > s->duration_ns)
        return check_fail(c, "workload.stop", "must not be after the end of the run (duration %s), got %s",
                          duration_text(s->duration_ns, a), duration_text(s->workload.stop_ns, b));
    if (s->workload.start_ns >= s->workload.stop_ns)
        return check_fail(c, "workload.start", "must be before workload.stop (%s), got %s",
                          duration_text(s->workload.stop_ns, a), duration_text(s->workload.start_ns, b));
    return 0;
}

static int check_times(scn_ctx *c) {
    const scenario *s = c->s;
    char path[CHECK_PATH_MAX], a[CHECK_TEXT_MAX], b[CHECK_TEXT_MAX];
    if (check_workload_times(c) < 0) return -1;
    if (s->nodes.join_over_ns > 0 && check_before_end(c, s->nodes.join_over_ns, "nodes.join.over") < 0) return -1;
    if (s->metrics.sample_ns > s->duration_ns)
        return check_fail(c, "metrics.sample", "must not be longer than the run (duration %s)",
                          duration_text(s->duration_ns, a));
    for (size_t i = 0; i < s->offline_count; i++) {
        snprintf(path, sizeof path, "offline.%zu.at", i);
        if (check_before_end(c, s->offline[i].at_ns, path) < 0) return -1;
    }
    for (size_t i = 0; i < s->network.partition_count; i++) {
        const partition *p = &s->network.partitions[i];
        snprintf(path, sizeof path, "network.partitions.%zu.at", i);
        if (check_before_end(c, p->at_ns, path) < 0) return -1;
        if (i > 0 && p->at_ns < p[-1].until_ns)
            return check_fail(c, path, "%s is before partitions[%zu] ends (until %s): partitions must not overlap",
                              duration_text(p->at_ns, a), i - 1, duration_text(p[-1].until_ns, b));
    }
    for (size_t i = 0; i < s->attacker_count; i++) {
        snprintf(path, sizeof path, "attackers.%zu.start", i);
        if (s->attackers[i].start_ns > 0 && check_before_end(c, s->attackers[i].start_ns, path) < 0) return -1;
        snprintf(path, sizeof path, "attackers.%zu.at", i);
        if (s->attackers[i].turn_at_ns > 0 && check_before_end(c, s->attackers[i].turn_at_ns, path) < 0) return -1;
    }
    return 0;
}

/* ---- node indices and counts against nodes.count ---------------------------- */

static int check_selector(scn_ctx *c, const selector *sel, const char *dotted) {
    uint32_t count = c->s->nodes.count;
    if (sel->kind == SELECT_COUNT && sel->count > count)
        return check_fail(c, dotted, "selects %" PRIu32 " nodes, but nodes.count is %" PRIu32, sel->count, count);
    long max = scn_selector_max_index(sel);
    if (max >= (long)count)
        return check_fail(c, dotted, "names node %ld, but nodes are numbered 0 to %" PRIu32 " (nodes.count %" PRIu32 ")",
                          max, count - 1, count);
    return 0;
}

static int check_selectors(scn_ctx *c) {
    const scenario *s = c->s;
    char path[CHECK_PATH_MAX];
    if (check_selector(c, &s->workload.subscribers, "workload.subscribers") < 0) return -1;
    if (check_selector(c, &s->workload.publishers, "workload.publishers") < 0) return -1;
    if (s->churn.present && check_selector(c, &s->churn.nodes, "churn.nodes") < 0) return -1;
    for (size_t i = 0; i < s->offline_count; i++) {
        snprintf(path, sizeof path, "offline.%zu.nodes", i);
        if (check_selector(c, &s->offline[i].nodes, path) < 0) return -1;
    }
    for (size_t i = 0; i < s->network.partition_count; i++)
        for (size_t g = 0; g < s->network.partitions[i].group_count; g++) {
            snprintf(path, sizeof path, "network.partitions.%zu.groups.%zu", i, g);
            if (check_selector(c, &s->network.partitions[i].groups[g], path) < 0) return -1;
        }
    return 0;
}

static int check_topology(scn_ctx *c) {
    const scenario *s = c->s;
    uint32_t n = s->nodes.count, degree = s->network.degree;
    if (s->network.topology == TOPOLOGY_FULL && n - 1 > NODE_CONNECTIONS_MAX)
        return check_fail(c, "network.topology", "full: %" PRIu32 " nodes would need %" PRIu32
                          " connections each, more than a node keeps (%d)", n, n - 1, NODE_CONNECTIONS_MAX);
    if (s->network.topology != TOPOLOGY_RANDOM_REGULAR) return 0;
    if (degree >= n)
        return check_fail(c, "network.topology.degree", "must be below nodes.count (%" PRIu32 "), got %" PRIu32, n,
                          degree);
    if ((uint64_t)n * degree % 2 != 0)
        return check_fail(c, "network.topology.degree",
                          "nodes.count (%" PRIu32 ") times degree (%" PRIu32 ") must be even for a regular graph", n,
                          degree);
    return 0;
}

static int check_attackers(scn_ctx *c) {
    const scenario *s = c->s;
    char path[CHECK_PATH_MAX];
    uint64_t total = s->nodes.count;
    for (size_t i = 0; i < s->attacker_count; i++) {
        const attacker *a = &s->attackers[i];
        total += a->count;
        snprintf(path, sizeof path, "attackers.%zu.target", i);
        if (a->target >= (long)s->nodes.count)
            return check_fail(c, path, "names node %ld, but honest nodes are numbered 0 to %" PRIu32, a->target,
                              s->nodes.count - 1);
    }
    if (total > SCENARIO_NODES_MAX)
        return check_fail(c, "attackers", "with nodes.count, makes %" PRIu64 " nodes, more than %d", total,
                          SCENARIO_NODES_MAX);
    return 0;
}

/* The pubsub core's options together (pubsub_options_check), and the
 * message id against the signature policy. */
static int check_pubsub(scn_ctx *c) {
    const scenario *s = c->s;
    const char *bad = pubsub_options_check(&s->protocol.pubsub);
    if (bad != NULL) return check_fail(c, "protocol", "%s", bad);
    bad = pubsub_message_id_check(s->protocol.gossipsub.message_id, s->protocol.pubsub.signature_policy);
    if (bad != NULL) return check_fail(c, "protocol.signature_policy", "%s", bad);
    return 0;
}

/* network.backend: ns3 runs what the world maps onto ns-3 so far
 * (docs/fidelity.md "The ns3 backend"); the rest is refused, naming its
 * key, rather than run wrong: a latency drawn per pair without regions. */
static int check_backend(scn_ctx *c) {
    const scenario *s = c->s;
    if (s->network.backend != BACKEND_NS3) return 0;
    const scenario_regions *r = &s->network.regions;
    if (r->count == 0 && s->network.latency.kind != DIST_CONSTANT)
        return check_fail_key(c, "network.latency",
                          "under network.backend: ns3 must be a constant or come from network.regions "
                          "(a latency drawn per pair is not supported yet)");
    return 0;
}

/* For the checks of other files (scenario_sealed.c). */
int scn_check_fail(scn_ctx *c, const char *dotted, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = check_fail_at(c, false, dotted, fmt, ap);
    va_end(ap);
    return rc;
}

int scn_check_selector(scn_ctx *c, const selector *sel, const char *dotted) { return check_selector(c, sel, dotted); }

int scn_check_before_end(scn_ctx *c, uint64_t at_ns, const char *dotted) { return check_before_end(c, at_ns, dotted); }

int scn_check_scenario(scn_ctx *c) {
    assert(c->s->duration_ns > 0);
    assert(c->s->nodes.count > 0);
    if (check_times(c) < 0) return -1;
    if (check_topology(c) < 0) return -1;
    if (check_selectors(c) < 0) return -1;
    if (scn_check_net(c) < 0) return -1;
    if (check_pubsub(c) < 0) return -1;
    if (check_attackers(c) < 0) return -1;
    if (scn_check_data(c) < 0) return -1;
    return check_backend(c);
}
