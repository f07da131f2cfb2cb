/* faults: churn, offline windows, partitions, rejoining and connection
 * upkeep. See faults.h; docs/churn.md explains the choices. */
#include "faults.h"
#include "base/time_units.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A world call's argument: what happens (8 bits), to which window (24
 * bits), to which host (32 bits). */
enum faults_event { FAULTS_EVENT_CHURN = 1, FAULTS_EVENT_OFFLINE_BEGIN, FAULTS_EVENT_OFFLINE_END, FAULTS_EVENT_JOIN };
#define FAULTS_ARG(kind, index, host) (((uint64_t)(kind) << 56) | ((uint64_t)(index) << 32) | (uint64_t)(host))

typedef struct faults_host {
    bool churned, churn_online, joined;
    uint8_t offline_depth;      /* offline windows holding it down now */
    uint32_t upkeep_generation; /* ticks scheduled for an earlier process carry an older one */
    rng periods, upkeep;
} faults_host;

/* Without a world (faults_plan): an event waiting for its time. */
typedef struct faults_pending {
    uint64_t at_ns, seq, arg;
} faults_pending;

/* faults_plan's own clock, queue and record, in place of a world's. */
typedef struct faults_vec {
    void *items;
    size_t count, cap;
} faults_vec;

typedef struct faults_planner {
    uint64_t now_ns, next_seq;
    faults_vec queue;   /* faults_pending */
    faults_vec changes; /* faults_change */
    bool *online;
    bool failed; /* out of memory */
} faults_planner;

typedef struct faults_offline {
    uint32_t *hosts; /* ascending */
    size_t count;
} faults_offline;

struct faults {
    const scenario *s;
    world *w;              /* NULL for a plan */
    faults_planner *plan;  /* a plan's; NULL in a world */
    const topology *topo;
    faults_start_fn start;
    void *start_user;
    uint32_t honest_count;
    faults_host *hosts; /* honest hosts */
    double availability;
    uint32_t upkeep_target;
    faults_offline offline[SCENARIO_OFFLINE_MAX];
    size_t partition_groups[SCENARIO_PARTITIONS_MAX]; /* the ungrouped hosts' group included */
    uint32_t call_event, call_upkeep;
    uint32_t *known;     /* scratch: one host's known peers */
    size_t known_cap;
    uint32_t *stamp;     /* scratch: per world host, to list each peer once */
    uint32_t stamp_now;
};

/* ---- the model's figures -------------------------------------------------- */

double faults_availability(const scenario *s) {
    if (!s->churn.present) return 1.0;
    double on = dist_mean(&s->churn.session), off = dist_mean(&s->churn.downtime);
    if (isinf(on) && isinf(off)) return 0.5;
    if (isinf(on)) return 1.0;
    if (isinf(off)) return 0.0;
    assert(on + off > 0); /* the loader refuses distributions that are always zero */
    return on / (on + off);
}

uint32_t faults_upkeep_target(const scenario *s) {
    assert(s->nodes.count > 0);
    uint32_t others = s->nodes.count - 1, target = others;
    switch (s->network.topology) {
    case TOPOLOGY_RANDOM_REGULAR: target = s->network.degree; break;
    case TOPOLOGY_BOOTSTRAP: target = s->network.bootstrap_count; break;
    case TOPOLOGY_RING: target = 2; break;
    case TOPOLOGY_FULL: target = others; break;
    }
    return target < others ? target : others;
}

/* A period, at least a nanosecond so that time moves on. */
static uint64_t faults_period_ns(const dist *d, rng *r) {
    double x = dist_sample(d, r);
    return x < 1.0 ? 1 : (uint64_t)x;
}

/* What remains of the period a stationary process is in: pick one of
 * FAULTS_RESIDUAL_DRAWS draws with probability proportional to its length
 * (a long period is more likely to be the one under way), then a uniform
 * fraction of it. Exact for constants; for the others it tends to the
 * stationary residual as the draws grow. */
static uint64_t faults_residual_ns(const dist *d, rng *r) {
    double draws[FAULTS_RESIDUAL_DRAWS], total = 0;
    for (size_t i = 0; i < FAULTS_RESIDUAL_DRAWS; i++) {
        draws[i] = dist_sample(d, r);
        total += draws[i];
    }
    if (!(total > 0)) return 1;
    double pick = rng_uniform(r) * total;
    size_t i = 0;
    while (i + 1 < FAULTS_RESIDUAL_DRAWS && pick >= draws[i]) pick -= draws[i++];
    double residual = rng_uniform(r) * draws[i];
    return residual < 1.0 ? 1 : (uint64_t)residual;
}

/* ---- who is online -------------------------------------------------------- */

static bool faults_wants_online(const faults *f, uint32_t host) {
    const faults_host *h = &f->hosts[host];
    return h->joined && (!h->churned || h->churn_online) && h->offline_depth == 0;
}

/* The world's clock, or the plan's. */
static uint64_t faults_now(const faults *f) { return f->w != NULL ? world_now(f->w) : f->plan->now_ns; }

static bool faults_host_online(const faults *f, uint32_t host) {
    return f->w != NULL ? world_host_online(f->w, host) : f->plan->online[host];
}

static void faults_plan_push(faults *f, uint64_t at_ns, uint64_t arg);

/* Schedules a faults event: in the world, or in the plan's queue. */
static void faults_event_at(faults *f, uint64_t at_ns, uint64_t arg) {
    if (f->w != NULL)
        world_at(f->w, at_ns, f->call_event, arg);
    else
        faults_plan_push(f, at_ns, arg);
}

static void faults_upkeep_schedule(faults *f, uint32_t host) {
    faults_host *h = &f->hosts[host];
    double jitter = 0.5 + rng_uniform(&h->upkeep); /* 5 to 15 s: nodes do not tick in step */
    uint64_t at = world_now(f->w) + (uint64_t)(jitter * (double)FAULTS_UPKEEP_PERIOD_NS);
    if (at < f->s->duration_ns) world_at(f->w, at, f->call_upkeep, ((uint64_t)h->upkeep_generation << 32) | host);
}

void faults_on_up(faults *f, uint32_t host) {
    assert(host < f->honest_count);
    assert(world_host_online(f->w, host));
    f->hosts[host].upkeep_generation++;
    faults_upkeep_schedule(f, host);
}

/* Lists host's known peers in f->known: its topology neighbours, then the
 * peers its disk remembers, each once. */
static size_t faults_known_peers(faults *f, uint32_t host) {
    if (++f->stamp_now == 0) { /* wrapped: old stamps could match */
        memset(f->stamp, 0, world_host_count(f->w) * sizeof *f->stamp);
        f->stamp_now = 1;
    }
    f->stamp[host] = f->stamp_now;
    size_t count = 0;
    uint32_t remembered[WORLD_REMEMBERED_PEERS_MAX];
    size_t remembered_count = world_remembered_peers(f->w, host, remembered, WORLD_REMEMBERED_PEERS_MAX);
    const topology *t = f->topo;
    size_t degree = t->offset[host + 1] - t->offset[host];
    for (size_t k = 0; k < degree + remembered_count; k++) {
        uint32_t peer = k < degree ? t->adjacency[t->offset[host] + k] : remembered[k - degree];
        if (f->stamp[peer] == f->stamp_now) continue;
        f->stamp[peer] = f->stamp_now;
        assert(count < f->known_cap);
        f->known[count++] = peer;
    }
    return count;
}

/* A fresh process dials everyone it knows, online or not. */
static void faults_rejoin(faults *f, uint32_t host) {
    size_t count = faults_known_peers(f, host);
    for (size_t k = 0; k < count; k++)
        if (!world_hosts_connected(f->w, host, f->known[k])) world_dial(f->w, host, f->known[k]);
}

/* Dials known peers, in a random order, until connections and dials in
 * flight reach the target. */
static void faults_fill(faults *f, uint32_t host) {
    if (world_host_connections(f->w, host) >= f->upkeep_target) return;
    size_t count = faults_known_peers(f, host);
    rng *r = &f->hosts[host].upkeep;
    for (size_t k = count; k > 1; k--) { /* Fisher-Yates */
        size_t j = (size_t)rng_below(r, k);
        uint32_t swap = f->known[k - 1];
        f->known[k - 1] = f->known[j];
        f->known[j] = swap;
    }
    for (size_t k = 0; k < count && world_host_connections(f->w, host) < f->upkeep_target; k++)
        if (!world_hosts_connected(f->w, host, f->known[k])) world_dial(f->w, host, f->known[k]);
}

static void faults_on_upkeep(void *user, uint64_t arg) {
    faults *f = user;
    uint32_t host = (uint32_t)arg;
    assert(host < f->honest_count);
    if ((uint32_t)(arg >> 32) != f->hosts[host].upkeep_generation || !world_host_online(f->w, host)) return;
    faults_fill(f, host);
    faults_upkeep_schedule(f, host);
}

/* Brings host's process in line with what the faults want of it. */
static void faults_plan_record(faults *f, uint32_t host, faults_change_kind kind);

static void faults_reconcile(faults *f, uint32_t host) {
    bool wants = faults_wants_online(f, host);
    if (wants == faults_host_online(f, host)) return;
    if (f->w == NULL) { /* a plan: the testbed kills or restarts the process */
        faults_plan_record(f, host, wants ? FAULTS_CHANGE_REJOIN : FAULTS_CHANGE_DOWN);
        return;
    }
    if (!wants) {
        world_host_down(f->w, host);
        return;
    }
    if (!f->start(f->start_user, host)) return;
    faults_rejoin(f, host);
    faults_on_up(f, host);
}

/* ---- churn and offline windows -------------------------------------------- */

static void faults_churn_after(faults *f, uint32_t host, uint64_t period_ns) {
    uint64_t at = faults_now(f) + period_ns;
    if (at < f->s->duration_ns) faults_event_at(f, at, FAULTS_ARG(FAULTS_EVENT_CHURN, 0, host));
}

bool faults_join(faults *f, uint32_t host) {
    assert(host < f->honest_count);
    faults_host *h = &f->hosts[host];
    assert(!h->joined);
    h->joined = true;
    if (h->churned) {
        h->churn_online = rng_uniform(&h->periods) < f->availability;
        const dist *d = h->churn_online ? &f->s->churn.session : &f->s->churn.downtime;
        faults_churn_after(f, host, faults_residual_ns(d, &h->periods));
    }
    return faults_wants_online(f, host);
}

static void faults_churn_flip(faults *f, uint32_t host) {
    faults_host *h = &f->hosts[host];
    assert(h->churned && h->joined);
    h->churn_online = !h->churn_online;
    const dist *d = h->churn_online ? &f->s->churn.session : &f->s->churn.downtime;
    faults_churn_after(f, host, faults_period_ns(d, &h->periods));
    faults_reconcile(f, host);
}

static void faults_offline_apply(faults *f, size_t window, bool begins) {
    assert(window < f->s->offline_count);
    const faults_offline *o = &f->offline[window];
    for (size_t k = 0; k < o->count; k++) {
        faults_host *h = &f->hosts[o->hosts[k]];
        assert(begins ? h->offline_depth < SCENARIO_OFFLINE_MAX : h->offline_depth > 0);
        h->offline_depth = (uint8_t)(begins ? h->offline_depth + 1 : h->offline_depth - 1);
        faults_reconcile(f, o->hosts[k]);
    }
}

static void faults_on_event(void *user, uint64_t arg) {
    faults *f = user;
    uint32_t host = (uint32_t)arg;
    size_t index = (size_t)(arg >> 32) & 0xffffff;
    switch ((enum faults_event)(arg >> 56)) {
    case FAULTS_EVENT_CHURN: faults_churn_flip(f, host); break;
    case FAULTS_EVENT_OFFLINE_BEGIN: faults_offline_apply(f, index, true); break;
    case FAULTS_EVENT_OFFLINE_END: faults_offline_apply(f, index, false); break;
    case FAULTS_EVENT_JOIN: /* a plan's: the world's joins are the runner's */
        if (faults_join(f, host)) faults_plan_record(f, host, FAULTS_CHANGE_JOIN);
        break;
    default: assert(0 && "unknown faults event");
    }
}

/* ---- building the schedule ------------------------------------------------ */

/* Resolves the churn and offline selectors, in that order, with the churn
 * stream. 0, or -1 when memory runs out. */
static int faults_choose(faults *f, bool *chosen) {
    const scenario *s = f->s;
    rng selectors;
    rng_seed(&selectors, s->seed, RNG_STREAM_CHURN);
    if (s->churn.present) {
        long n = selector_resolve(&s->churn.nodes, f->honest_count, &selectors, chosen);
        assert(n >= 0); /* the loader checked the selector against nodes.count */
        for (uint32_t i = 0; i < f->honest_count; i++) f->hosts[i].churned = chosen[i];
    }
    for (size_t k = 0; k < s->offline_count; k++) {
        long n = selector_resolve(&s->offline[k].nodes, f->honest_count, &selectors, chosen);
        assert(n >= 0);
        f->offline[k].hosts = malloc(((size_t)n + 1) * sizeof *f->offline[k].hosts);
        if (f->offline[k].hosts == NULL) return -1;
        for (uint32_t i = 0; i < f->honest_count; i++)
            if (chosen[i]) f->offline[k].hosts[f->offline[k].count++] = i;
        assert(f->offline[k].count == (size_t)n);
    }
    return 0;
}

/* Hands the partitions to the world: each group, and every host in no
 * group (attackers included) as one more. 0, or -1 when memory runs out. */
static int faults_partitions(faults *f, bool *chosen) {
    const scenario *s = f->s;
    uint32_t hosts = f->w != NULL ? world_host_count(f->w) : f->honest_count;
    uint8_t *group = malloc(hosts);
    if (group == NULL) return -1;
    int rc = 0;
    for (size_t p = 0; p < s->network.partition_count && rc == 0; p++) {
        const partition *part = &s->network.partitions[p];
        assert(part->group_count < UINT8_MAX);
        memset(group, (int)part->group_count, hosts); /* the ungrouped */
        size_t grouped = 0;
        for (size_t g = 0; g < part->group_count; g++) {
            long n = selector_resolve(&part->groups[g], f->honest_count, NULL, chosen);
            assert(n >= 0); /* ranges only: no randomness */
            grouped += (size_t)n;
            for (uint32_t i = 0; i < f->honest_count; i++)
                if (chosen[i]) group[i] = (uint8_t)g;
        }
        f->partition_groups[p] = part->group_count + (grouped < hosts ? 1 : 0);
        if (f->w != NULL) rc = world_add_partition(f->w, part->at_ns, part->until_ns, group);
    }
    free(group);
    return rc;
}

static int faults_scratch(faults *f) {
    const topology *t = f->topo;
    size_t degree_max = 0;
    for (uint32_t i = 0; i < t->node_count; i++)
        if (t->offset[i + 1] - t->offset[i] > degree_max) degree_max = t->offset[i + 1] - t->offset[i];
    f->known_cap = degree_max + WORLD_REMEMBERED_PEERS_MAX;
    f->known = malloc(f->known_cap * sizeof *f->known);
    f->stamp = calloc(world_host_count(f->w), sizeof *f->stamp);
    return f->known == NULL || f->stamp == NULL ? -1 : 0;
}

static void faults_schedule_offline(faults *f) {
    const scenario *s = f->s;
    for (size_t k = 0; k < s->offline_count; k++) {
        const offline_window *o = &s->offline[k];
        faults_event_at(f, o->at_ns, FAULTS_ARG(FAULTS_EVENT_OFFLINE_BEGIN, k, 0));
        if (o->at_ns + o->for_ns < s->duration_ns)
            faults_event_at(f, o->at_ns + o->for_ns, FAULTS_ARG(FAULTS_EVENT_OFFLINE_END, k, 0));
    }
}

/* What a world's faults and a plan share: the hosts, who churns, the
 * offline windows' hosts, the partitions' groups, the random streams.
 * With w NULL, a plan: no scratch for dials and nothing handed to a world. */
static faults *faults_new(const scenario *s, world *w, const topology *topo) {
    assert(s->offline_count <= SCENARIO_OFFLINE_MAX && s->network.partition_count <= SCENARIO_PARTITIONS_MAX);
    faults *f = calloc(1, sizeof *f);
    if (f == NULL) return NULL;
    *f = (faults){.s = s, .w = w, .topo = topo, .honest_count = s->nodes.count,
                  .availability = faults_availability(s), .upkeep_target = faults_upkeep_target(s)};
    f->hosts = calloc(f->honest_count, sizeof *f->hosts);
    bool *chosen = calloc(f->honest_count, sizeof *chosen);
    int rc = f->hosts == NULL || chosen == NULL ? -1 : w != NULL ? faults_scratch(f) : 0;
    if (rc == 0) rc = faults_choose(f, chosen);
    if (rc == 0) rc = faults_partitions(f, chosen);
    free(chosen);
    if (rc != 0) {
        faults_destroy(f);
        return NULL;
    }
    for (uint32_t i = 0; i < f->honest_count; i++) {
        rng_seed(&f->hosts[i].periods, s->seed, FAULTS_STREAM_PERIODS(i));
        rng_seed(&f->hosts[i].upkeep, s->seed, FAULTS_STREAM_UPKEEP(i));
    }
    return f;
}

faults *faults_create(const scenario *s, world *w, const topology *topo, faults_start_fn start, void *start_user) {
    assert(topo->node_count == s->nodes.count);
    assert(world_host_count(w) >= s->nodes.count);
    faults *f = faults_new(s, w, topo);
    if (f == NULL) return NULL;
    f->start = start;
    f->start_user = start_user;
    f->call_event = world_register_call(w, faults_on_event, f);
    f->call_upkeep = world_register_call(w, faults_on_upkeep, f);
    faults_schedule_offline(f);
    return f;
}

void faults_destroy(faults *f) {
    if (f == NULL) return;
    if (f->plan != NULL) {
        free(f->plan->queue.items);
        free(f->plan->online);
        free(f->plan->changes.items);
        free(f->plan);
    }
    for (size_t k = 0; k < SCENARIO_OFFLINE_MAX; k++) free(f->offline[k].hosts);
    free(f->hosts);
    free(f->known);
    free(f->stamp);
    free(f);
}

bool faults_churned(const faults *f, uint32_t host) {
    assert(host < f->honest_count);
    return f->hosts[host].churned;
}

/* ---- windows for the plots ------------------------------------------------ */

size_t faults_windows(const faults *f, plot_window *out, size_t cap) {
    const scenario *s = f->s;
    size_t n = 0;
    for (size_t k = 0; k < s->offline_count && n < cap; k++, n++) {
        const offline_window *o = &s->offline[k];
        out[n] = (plot_window){.kind = "offline", .from_s = (double)o->at_ns / NS_PER_S_DOUBLE,
                               .until_s = (double)(o->at_ns + o->for_ns) / NS_PER_S_DOUBLE};
        if (f->offline[k].count == 1)
            snprintf(out[n].label, sizeof out[n].label, "offline: node %u", f->offline[k].hosts[0]);
        else
            snprintf(out[n].label, sizeof out[n].label, "offline: %zu nodes", f->offline[k].count);
    }
    for (size_t p = 0; p < s->network.partition_count && n < cap; p++, n++) {
        const partition *part = &s->network.partitions[p];
        out[n] = (plot_window){.kind = "partition", .from_s = (double)part->at_ns / NS_PER_S_DOUBLE,
                               .until_s = (double)part->until_ns / NS_PER_S_DOUBLE};
        snprintf(out[n].label, sizeof out[n].label, "partition: %zu groups", f->partition_groups[p]);
    }
    return n;
}

/* ---- a plan: the same schedule without a world ----------------------------- */

/* A new last item of a growing array; NULL (and the plan failed) when
 * memory runs out. */
static void *faults_plan_slot(faults_planner *p, faults_vec *v, size_t size) {
    if (v->count == v->cap) {
        size_t grown = v->cap ? 2 * v->cap : 64;
        void *moved = realloc(v->items, grown * size);
        if (moved == NULL) {
            p->failed = true;
            return NULL;
        }
        v->items = moved;
        v->cap = grown;
    }
    return (char *)v->items + size * v->count++;
}

static void faults_plan_push(faults *f, uint64_t at_ns, uint64_t arg) {
    faults_pending *e = faults_plan_slot(f->plan, &f->plan->queue, sizeof *e);
    if (e != NULL) *e = (faults_pending){.at_ns = at_ns, .seq = f->plan->next_seq++, .arg = arg};
}

static void faults_plan_record(faults *f, uint32_t host, faults_change_kind kind) {
    faults_change *c = faults_plan_slot(f->plan, &f->plan->changes, sizeof *c);
    if (c != NULL) *c = (faults_change){.at_ns = f->plan->now_ns, .host = host, .kind = kind};
    f->plan->online[host] = kind != FAULTS_CHANGE_DOWN;
}

/* Takes out the earliest event, ties in the order they were scheduled, as
 * the world's kernel orders one owner's events. A linear scan: a plan is
 * for the testbed's few hosts. */
static bool faults_plan_pop(faults_planner *p, faults_pending *out) {
    faults_pending *q = p->queue.items;
    if (p->queue.count == 0) return false;
    size_t best = 0;
    for (size_t k = 1; k < p->queue.count; k++)
        if (q[k].at_ns < q[best].at_ns || (q[k].at_ns == q[best].at_ns && q[k].seq < q[best].seq)) best = k;
    *out = q[best];
    q[best] = q[--p->queue.count];
    return true;
}

faults *faults_plan(const scenario *s, const uint64_t *join_ns) {
    faults *f = faults_new(s, NULL, NULL);
    if (f == NULL) return NULL;
    f->plan = calloc(1, sizeof *f->plan);
    if (f->plan == NULL || (f->plan->online = calloc(f->honest_count, sizeof *f->plan->online)) == NULL) {
        faults_destroy(f);
        return NULL;
    }
    /* The windows first, then the joins: the order faults_create and the
     * runner schedule them in, so that ties at one time resolve alike. */
    faults_schedule_offline(f);
    for (uint32_t i = 0; i < f->honest_count; i++) faults_plan_push(f, join_ns[i], FAULTS_ARG(FAULTS_EVENT_JOIN, 0, i));
    faults_pending e;
    while (!f->plan->failed && faults_plan_pop(f->plan, &e) && e.at_ns < s->duration_ns) {
        f->plan->now_ns = e.at_ns;
        faults_on_event(f, e.arg);
    }
    if (f->plan->failed) {
        faults_destroy(f);
        return NULL;
    }
    return f;
}

const faults_change *faults_plan_changes(const faults *f, size_t *count) {
    assert(f->plan != NULL);
    *count = f->plan->changes.count;
    return f->plan->changes.items;
}
