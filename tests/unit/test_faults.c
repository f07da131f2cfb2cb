/*
 * test_faults: churn, offline windows and partitions in whole runs
 * (sim/world/faults.h), measured from the trace alone through the runner's
 * observe hook: the stationary availability of churned nodes, delivery
 * stopping across a partition and recovering after it heals (floodsub and
 * gossipsub), an offline node rejoining the mesh, the connection upkeep
 * reconnecting what a partition kept apart, and the windows the plots
 * shade (windows.csv, and `swarmlab report` reading it back).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/time_units.h"
#include "world/faults.h"
#include "crypto/identity.h"
#include "plot.h"
#include "lab/run.h"

#define MS NS_PER_MS
#define S_NS NS_PER_S
#define LATENCY (20 * MS)
#define NODES_MAX 256
#define MESSAGES_MAX 256
#define STATES_MAX 40000
#define LINKS_MAX 20000
#define SIGMAS 4.0 /* tolerances: this many standard errors */

/* ---- what a run's trace says ------------------------------------------ */

typedef struct state_change {
    uint64_t time_ns;
    uint32_t node;
    bool up;
} state_change;

/* A graft or an add_peer: node took peer at time_ns. */
typedef struct link_event {
    uint64_t time_ns;
    uint32_t node, peer;
} link_event;

typedef struct observed {
    peer_id ids[NODES_MAX];
    bool known[NODES_MAX];
    state_change states[STATES_MAX];
    size_t state_count;
    link_event grafts[LINKS_MAX], adds[LINKS_MAX];
    size_t graft_count, add_count;
    uint8_t msg_ids[MESSAGES_MAX][64];
    size_t msg_id_len[MESSAGES_MAX];
    uint32_t publisher[MESSAGES_MAX];
    uint64_t published_at[MESSAGES_MAX];
    uint64_t delivered_at[MESSAGES_MAX][NODES_MAX]; /* first delivery; 0: none */
    size_t messages;
    size_t deliveries_while_down[NODES_MAX];
    bool online[NODES_MAX];
} observed;

static observed seen;

static int node_of_peer(const uint8_t *bytes, size_t len) {
    for (int i = 0; i < NODES_MAX; i++)
        if (seen.known[i] && seen.ids[i].len == len && memcmp(seen.ids[i].bytes, bytes, len) == 0) return i;
    return -1;
}

static int message_of(const trace_event *e) {
    for (size_t m = 0; m < seen.messages; m++)
        if (seen.msg_id_len[m] == e->msg_id_len && memcmp(seen.msg_ids[m], e->msg_id, e->msg_id_len) == 0)
            return (int)m;
    return -1;
}

static void observe_state(const trace_event *e) {
    assert_true(seen.state_count < STATES_MAX);
    seen.states[seen.state_count++] = (state_change){e->time_ns, e->node_index, e->kind == TRACE_NODE_UP};
    seen.online[e->node_index] = e->kind == TRACE_NODE_UP;
    if (e->kind == TRACE_NODE_UP) {
        peer_id_from_bytes(e->peer, e->peer_len, &seen.ids[e->node_index]);
        seen.known[e->node_index] = true;
    }
}

static void observe_message(const trace_event *e) {
    int m = message_of(e);
    if (e->kind == TRACE_PUBLISH_MESSAGE) {
        assert_true(seen.messages < MESSAGES_MAX);
        m = (int)seen.messages++;
        memcpy(seen.msg_ids[m], e->msg_id, e->msg_id_len);
        seen.msg_id_len[m] = e->msg_id_len;
        seen.publisher[m] = e->node_index;
        seen.published_at[m] = e->time_ns;
        return;
    }
    assert_true(m >= 0);
    if (!seen.online[e->node_index]) seen.deliveries_while_down[e->node_index]++;
    if (seen.delivered_at[m][e->node_index] == 0) seen.delivered_at[m][e->node_index] = e->time_ns;
}

static void observe(void *user, const trace_event *e) {
    (void)user;
    assert_true(e->node_index < NODES_MAX);
    int peer;
    switch (e->kind) {
    case TRACE_NODE_UP:
    case TRACE_NODE_DOWN: observe_state(e); break;
    case TRACE_PUBLISH_MESSAGE:
    case TRACE_DELIVER_MESSAGE: observe_message(e); break;
    case TRACE_ADD_PEER:
    case TRACE_GRAFT: {
        peer = node_of_peer(e->peer, e->peer_len);
        assert_true(peer >= 0);
        link_event *list = e->kind == TRACE_GRAFT ? seen.grafts : seen.adds;
        size_t *count = e->kind == TRACE_GRAFT ? &seen.graft_count : &seen.add_count;
        assert_true(*count < LINKS_MAX);
        list[(*count)++] = (link_event){e->time_ns, e->node_index, (uint32_t)peer};
        break;
    }
    default: break;
    }
}

/* ---- scenarios --------------------------------------------------------- */

static selector ranges(uint32_t lo0, uint32_t hi0, uint32_t lo1, uint32_t hi1) {
    selector s = {.kind = SELECT_RANGES, .range_count = lo1 <= hi1 ? 2 : 1};
    s.range_lo[0] = lo0;
    s.range_hi[0] = hi0;
    s.range_lo[1] = lo1;
    s.range_hi[1] = hi1;
    return s;
}

#define ONE_RANGE(lo, hi) ranges(lo, hi, 1, 0)

static void make_scenario(scenario *s, uint32_t nodes, uint32_t degree, uint64_t duration_ns, uint64_t seed) {
    scenario_defaults(s);
    snprintf(s->name, sizeof s->name, "test-faults");
    snprintf(s->path, sizeof s->path, "test-faults.yaml");
    s->seed = seed;
    s->duration_ns = duration_ns;
    s->nodes.count = nodes;
    s->network.latency = (dist){DIST_CONSTANT, (double)LATENCY, 0};
    s->network.topology = degree == 2 ? TOPOLOGY_RING : TOPOLOGY_RANDOM_REGULAR;
    s->network.degree = degree == 2 ? 0 : degree;
}

/* One topic, every node subscribed, publishers round-robin at 2/s. */
static void add_workload(scenario *s, selector publishers, uint64_t start_ns, uint64_t stop_ns) {
    s->workload.topic_count = 1;
    snprintf(s->workload.topics[0], SCENARIO_TOPIC_MAX, "blocks");
    s->workload.subscribers = (selector){.kind = SELECT_ALL};
    s->workload.publishers = publishers;
    s->workload.rate_per_s = 2;
    s->workload.arrival = ARRIVAL_PERIODIC;
    s->workload.size_bytes = 256;
    s->workload.start_ns = start_ns;
    s->workload.stop_ns = stop_ns;
}

static void add_churn(scenario *s, selector nodes, dist session, dist downtime) {
    s->churn.present = true;
    s->churn.nodes = nodes;
    s->churn.session = session;
    s->churn.downtime = downtime;
}

static void run_threads(const scenario *s, uint32_t threads, run_result *result) {
    memset(&seen, 0, sizeof seen);
    run_options options = {.scenario = s, .observe = observe, .threads = threads};
    char err[256] = "";
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
}

static void run_with(const scenario *s, const char *out_dir, run_result *result) {
    memset(&seen, 0, sizeof seen);
    run_options options = {.scenario = s, .observe = observe, .out_dir = out_dir, .plots = out_dir != NULL};
    char err[256] = "";
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
}

/* The time host spent online in [0, end_ns], from its node_up and node_down events. */
static uint64_t online_ns(uint32_t host, uint64_t end_ns) {
    uint64_t total = 0, since = 0;
    bool up = false;
    for (size_t i = 0; i < seen.state_count; i++) {
        const state_change *c = &seen.states[i];
        if (c->node != host) continue;
        assert_true(c->up != up); /* up and down alternate */
        if (!c->up) total += c->time_ns - since;
        since = c->time_ns;
        up = c->up;
    }
    return up ? total + (end_ns - since) : total;
}

static size_t changes_of(uint32_t host, bool up, uint64_t from_ns, uint64_t until_ns) {
    size_t n = 0;
    for (size_t i = 0; i < seen.state_count; i++) {
        const state_change *c = &seen.states[i];
        n += c->node == host && c->up == up && c->time_ns >= from_ns && c->time_ns < until_ns;
    }
    return n;
}

static size_t links_of(const link_event *list, size_t count, uint32_t host, uint32_t peer, uint64_t from_ns,
                       uint64_t until_ns) {
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        n += list[i].node == host && list[i].peer == peer && list[i].time_ns >= from_ns && list[i].time_ns < until_ns;
    return n;
}

/* ---- churn ------------------------------------------------------------- */

/* An alternating renewal process of sessions S and downtimes D is online a
 * share a = E[S] / (E[S] + E[D]) of the time. Over a time T its online
 * time has variance about T (E[D]^2 Var S + E[S]^2 Var D) / (E[S] + E[D])^3,
 * and its number of cycles about T Var(S + D) / (E[S] + E[D])^3 around
 * T / (E[S] + E[D]) (the renewal central limit theorem). Nodes are
 * independent, so over N nodes the errors shrink by sqrt(N). */
static void churned_nodes_are_online_for_the_stationary_share_of_the_time(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    const uint32_t nodes = 50;
    const double mean_on = 30e9, mean_off = 20e9;
    make_scenario(&s, nodes, 2, 3600 * S_NS, 71); /* a ring: each return costs two handshakes */
    add_churn(&s, (selector){.kind = SELECT_ALL}, (dist){DIST_EXPONENTIAL, mean_on, 0},
              (dist){DIST_EXPONENTIAL, mean_off, 0});
    run_with(&s, NULL, &result);
    double T = (double)s.duration_ns, cycle = mean_on + mean_off;
    double a = faults_availability(&s);
    assert_true(fabs(a - mean_on / cycle) < 1e-12);
    double online_total = 0, downs = 0;
    for (uint32_t i = 0; i < nodes; i++) {
        online_total += (double)online_ns(i, s.duration_ns);
        downs += (double)changes_of(i, false, 0, s.duration_ns);
    }
    double share = online_total / (T * nodes);
    double var_online = T * (mean_off * mean_off * mean_on * mean_on + mean_on * mean_on * mean_off * mean_off) /
                        (cycle * cycle * cycle); /* exponential: Var = mean^2 */
    double share_tolerance = SIGMAS * sqrt(var_online / nodes) / T;
    if (fabs(share - a) > share_tolerance)
        fail_msg("online share %.4f, expected %.4f +- %.4f", share, a, share_tolerance);
    double cycles = nodes * T / cycle;
    double cycles_tolerance = SIGMAS * sqrt(nodes * T * (mean_on * mean_on + mean_off * mean_off) / (cycle * cycle * cycle));
    if (fabs(downs - cycles) > cycles_tolerance)
        fail_msg("%.0f sessions ended, expected %.0f +- %.0f", downs, cycles, cycles_tolerance);
}

/* With constant periods, a fresh draw would flip every node at once; the
 * stationary start spreads the first flips uniformly over one period and
 * starts each node online with probability 1/2. */
static void churn_starts_in_its_stationary_state_not_in_step(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    const uint32_t nodes = 200;
    const uint64_t period = 100 * S_NS;
    make_scenario(&s, nodes, 2, period, 72);
    add_churn(&s, (selector){.kind = SELECT_ALL}, (dist){DIST_CONSTANT, (double)period, 0},
              (dist){DIST_CONSTANT, (double)period, 0});
    run_with(&s, NULL, &result);
    size_t started_online = 0, flips[4] = {0};
    for (uint32_t i = 0; i < nodes; i++) {
        started_online += changes_of(i, true, 0, 1);
        for (size_t q = 0; q < 4; q++) {
            bool up = changes_of(i, true, 0, 1) == 0; /* the first flip of a node that started down is up */
            flips[q] += changes_of(i, up, 1 + q * period / 4, (q + 1) * period / 4);
        }
    }
    double half_tolerance = SIGMAS * sqrt(nodes * 0.25);
    assert_true(fabs((double)started_online - nodes / 2.0) < half_tolerance);
    double quarter_tolerance = SIGMAS * sqrt(nodes * 0.25 * 0.75);
    for (size_t q = 0; q < 4; q++)
        if (fabs((double)flips[q] - nodes / 4.0) > quarter_tolerance)
            fail_msg("quarter %zu of the period saw %zu first flips, expected %u +- %.0f", q, flips[q], nodes / 4,
                     quarter_tolerance);
}

static void an_offline_window_holds_churned_nodes_down_for_its_length(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    make_scenario(&s, 20, 4, 90 * S_NS, 73);
    add_churn(&s, (selector){.kind = SELECT_ALL}, (dist){DIST_EXPONENTIAL, 10e9, 0}, (dist){DIST_EXPONENTIAL, 10e9, 0});
    s.offline_count = 1;
    s.offline[0] = (offline_window){.nodes = ONE_RANGE(0, 4), .at_ns = 20 * S_NS, .for_ns = 30 * S_NS};
    run_with(&s, NULL, &result);
    size_t ups_after = 0;
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(changes_of(i, true, 20 * S_NS, 50 * S_NS), 0);
        /* Down at 20 s: it went down then, or was down already. */
        size_t downs_before = changes_of(i, false, 0, 20 * S_NS + 1), ups_before = changes_of(i, true, 0, 20 * S_NS);
        assert_int_equal(ups_before, downs_before);
        ups_after += changes_of(i, true, 50 * S_NS, 90 * S_NS);
    }
    assert_true(ups_after >= 5); /* churn goes on after the window */
    size_t ups_elsewhere = 0;
    for (uint32_t i = 5; i < 20; i++) ups_elsewhere += changes_of(i, true, 20 * S_NS, 50 * S_NS);
    assert_true(ups_elsewhere > 0); /* the window holds only its own nodes */
}

static void the_same_seed_gives_the_same_run_with_faults(void **state) {
    (void)state;
    static scenario s;
    static run_result a, b, c;
    make_scenario(&s, 30, 6, 60 * S_NS, 74);
    add_workload(&s, (selector){.kind = SELECT_COUNT, .count = 3}, 5 * S_NS, 55 * S_NS);
    add_churn(&s, (selector){.kind = SELECT_PERCENT, .percent = 30}, (dist){DIST_WEIBULL, 0.5, 20e9},
              (dist){DIST_EXPONENTIAL, 10e9, 0});
    s.network.partition_count = 1;
    s.network.partitions[0] = (partition){.at_ns = 20 * S_NS, .until_ns = 30 * S_NS, .group_count = 1};
    s.network.partitions[0].groups[0] = ONE_RANGE(0, 14);
    run_with(&s, NULL, &a);
    run_with(&s, NULL, &b);
    s.seed = 75;
    run_with(&s, NULL, &c);
    assert_string_equal(a.digest, b.digest);
    assert_int_equal(a.trace_events, b.trace_events);
    assert_string_not_equal(a.digest, c.digest);
    /* Through churn and a partition, no host reached another sooner than
     * the latency: a parallel world's windows may be that long. */
    assert_true(a.cross_host_min_ns >= LATENCY && a.cross_host_min_ns != UINT64_MAX);
    /* And on 2, 3 and 4 threads the run is the same. */
    s.seed = 74;
    for (uint32_t t = 2; t <= 4; t++) {
        run_threads(&s, t, &b);
        assert_int_equal(b.threads, t);
        assert_string_equal(a.digest, b.digest);
        assert_int_equal(a.trace_events, b.trace_events);
        assert_int_equal(a.events_processed, b.events_processed);
    }
}

/* ---- partitions -------------------------------------------------------- */

#define SIDE(node) ((node) < 20 ? 0 : 1)

/* 40 nodes, the publishers 0 and 20 in turn, a partition of 0-19 from
 * 20-39 during [20 s, 35 s). */
static void partition_run(router_kind router) {
    static scenario s;
    static run_result result;
    const uint64_t at = 20 * S_NS, until = 35 * S_NS, stop = 55 * S_NS;
    make_scenario(&s, 40, 8, 60 * S_NS, 81);
    s.protocol.router = router;
    add_workload(&s, ranges(0, 0, 20, 20), 10 * S_NS, stop);
    s.network.partition_count = 1;
    s.network.partitions[0] = (partition){.at_ns = at, .until_ns = until, .group_count = 2};
    s.network.partitions[0].groups[0] = ONE_RANGE(0, 19);
    s.network.partitions[0].groups[1] = ONE_RANGE(20, 39);
    run_with(&s, NULL, &result);
    size_t during = 0, after = 0, held_back = 0;
    for (size_t m = 0; m < seen.messages; m++) {
        uint64_t t = seen.published_at[m];
        uint32_t from = seen.publisher[m];
        for (uint32_t v = 0; v < 40; v++) {
            uint64_t got = seen.delivered_at[m][v];
            if (t >= at && t < until && SIDE(v) != SIDE(from)) {
                if (got != 0 && got < until) fail_msg("node %u got a message across the cut at %.3f s", v, got / 1e9);
                held_back += got >= until; /* TCP delivers it after the heal */
            }
            if (t >= at && t + S_NS < until && SIDE(v) == SIDE(from) && (got == 0 || got >= until))
                fail_msg("node %u missed a message from its own side, published at %.3f s", v, t / 1e9);
            if (t >= until && got == 0) fail_msg("node %u missed a message published after the heal", v);
        }
        during += t >= at && t < until;
        after += t >= until;
    }
    assert_int_equal(during, 30); /* 2/s for 15 s */
    assert_true(after >= 39);
    assert_true(held_back > 0);
}

static void a_partition_stops_floodsub_delivery_across_it_until_it_heals(void **state) {
    (void)state;
    partition_run(ROUTER_FLOODSUB);
}

static void a_partition_stops_gossipsub_delivery_across_it_until_it_heals(void **state) {
    (void)state;
    partition_run(ROUTER_GOSSIPSUB);
}

/* ---- offline windows and rejoining ------------------------------------- */

static void an_offline_node_delivers_nothing_and_rejoins_the_mesh_when_it_returns(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    const uint32_t away = 5;
    const uint64_t at = 20 * S_NS, back = 35 * S_NS, settle = 2 * S_NS;
    make_scenario(&s, 30, 8, 60 * S_NS, 91);
    s.protocol.router = ROUTER_GOSSIPSUB;
    add_workload(&s, ONE_RANGE(0, 0), 10 * S_NS, 58 * S_NS);
    s.offline_count = 1;
    s.offline[0] = (offline_window){.nodes = ONE_RANGE(away, away), .at_ns = at, .for_ns = back - at};
    run_with(&s, NULL, &result);
    assert_int_equal(changes_of(away, false, at, at + 1), 1);
    assert_int_equal(changes_of(away, true, back, back + 1), 1);
    assert_int_equal(seen.deliveries_while_down[away], 0);
    size_t delivered_before = 0, delivered_after = 0, published_after = 0;
    for (size_t m = 0; m < seen.messages; m++) {
        uint64_t t = seen.published_at[m], got = seen.delivered_at[m][away];
        assert_false(got >= at && got < back);
        delivered_before += t < at && got != 0;
        if (t < back + settle) continue;
        published_after++;
        delivered_after += got != 0;
    }
    assert_true(delivered_before > 0);
    assert_true(published_after > 30);
    assert_int_equal(delivered_after, published_after);
    bool grafted[NODES_MAX] = {false};
    int distinct = 0;
    for (size_t g = 0; g < seen.graft_count; g++) {
        const link_event *x = &seen.grafts[g];
        if (x->node != away || x->time_ns < back || grafted[x->peer]) continue;
        grafted[x->peer] = true;
        distinct++;
    }
    if (distinct < s.protocol.gossipsub.D_lo) fail_msg("node %u grafted %d peers after its return", away, distinct);
}

/* Node 0 comes back during a partition: its dials across the cut time out
 * (the node's 10 s handshake timeout, before any SYN retry reaches the
 * heal at 30 s), and its neighbours over there never went down, so only
 * the upkeep's dials can bring those connections back. */
static void the_upkeep_reconnects_what_a_partition_kept_apart(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    const uint64_t heal = 30 * S_NS;
    make_scenario(&s, 10, 4, 60 * S_NS, 92);
    s.offline_count = 1;
    s.offline[0] = (offline_window){.nodes = ONE_RANGE(0, 0), .at_ns = 5 * S_NS, .for_ns = 10 * S_NS};
    s.network.partition_count = 1;
    s.network.partitions[0] = (partition){.at_ns = 12 * S_NS, .until_ns = heal, .group_count = 1};
    s.network.partitions[0].groups[0] = ONE_RANGE(0, 4);
    run_with(&s, NULL, &result);
    size_t across = 0;
    for (uint32_t j = 5; j < 10; j++) {
        if (links_of(seen.adds, seen.add_count, 0, j, 0, S_NS) == 0) continue; /* not a neighbour */
        across++;
        assert_int_equal(links_of(seen.adds, seen.add_count, 0, j, S_NS, heal), 0);
        assert_true(links_of(seen.adds, seen.add_count, 0, j, heal, heal + 2 * FAULTS_UPKEEP_PERIOD_NS) > 0);
    }
    assert_true(across > 0);
    assert_int_equal(faults_upkeep_target(&s), 4);
}

/* ---- windows for the plots ---------------------------------------------- */

static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    char path[512];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_int_equal(unlink(path), 0);
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

static bool file_contains(const char *dir, const char *name, const char *text) {
    char path[512], buffer[65536];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) return false;
    size_t n = fread(buffer, 1, sizeof buffer - 1, f);
    fclose(f);
    buffer[n] = '\0';
    return strstr(buffer, text) != NULL;
}

static void a_run_writes_its_windows_and_the_report_shades_them(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    char dir[] = "/tmp/swarmlab-test-faults-XXXXXX";
    assert_non_null(mkdtemp(dir));
    make_scenario(&s, 10, 4, 20 * S_NS, 93);
    add_workload(&s, ONE_RANGE(0, 0), 2 * S_NS, 18 * S_NS);
    s.offline_count = 1;
    s.offline[0] = (offline_window){.nodes = ONE_RANGE(5, 5), .at_ns = 5 * S_NS, .for_ns = 5 * S_NS};
    s.network.partition_count = 1;
    s.network.partitions[0] = (partition){.at_ns = 8 * S_NS, .until_ns = 12500 * MS, .group_count = 1};
    s.network.partitions[0].groups[0] = ONE_RANGE(0, 4);
    run_with(&s, dir, &result);
    assert_true(file_contains(dir, PLOT_WINDOWS_FILE,
                              "kind,from_s,until_s,label\noffline,5,10,offline: node 5\npartition,8,12.5,partition: 2 groups\n"));
    if (result.plots_drawn < 0) { /* no gnuplot here: the scripts were not written */
        remove_dir(dir);
        skip();
    }
    assert_true(file_contains(dir, "delivery.gp", "set object 1 rect from first 5, graph 0 to first 10, graph 1"));
    assert_true(file_contains(dir, "online.gp", "set object 2 rect from first 8, graph 0 to first 12.5, graph 1"));
    assert_true(file_contains(dir, "delivery.gp", "'partition: 2 groups'"));
    /* swarmlab report DIR reads the windows back from the file. */
    const plot_window other = {.kind = "attack", .from_s = 3, .until_s = 4, .label = "spam"};
    assert_int_equal(plot_windows_write(dir, &other, 1), 0);
    char err[256];
    assert_true(plot_run(dir, "report", err, sizeof err) > 0);
    assert_true(file_contains(dir, "delivery.gp", "set object 1 rect from first 3, graph 0 to first 4, graph 1"));
    assert_false(file_contains(dir, "delivery.gp", "set object 2"));
    remove_dir(dir);
}

static void windows_csv_reads_back_and_refuses_a_malformed_row(void **state) {
    (void)state;
    char dir[] = "/tmp/swarmlab-test-windows-XXXXXX";
    assert_non_null(mkdtemp(dir));
    plot_window read[PLOT_WINDOWS_MAX];
    size_t count = 7;
    char err[256] = "";
    assert_int_equal(plot_windows_read(dir, read, PLOT_WINDOWS_MAX, &count, err, sizeof err), 0);
    assert_int_equal(count, 0); /* no file: nothing to shade */
    const plot_window written[2] = {{.kind = "offline", .from_s = 1.5, .until_s = 2, .label = "a, with a comma"},
                                    {.kind = "partition", .from_s = 3, .until_s = 3, .label = ""}};
    assert_int_equal(plot_windows_write(dir, written, 2), 0);
    assert_int_equal(plot_windows_read(dir, read, PLOT_WINDOWS_MAX, &count, err, sizeof err), 0);
    assert_int_equal(count, 2);
    assert_string_equal(read[0].kind, "offline");
    assert_true(read[0].from_s == 1.5 && read[0].until_s == 2);
    assert_string_equal(read[0].label, "a, with a comma");
    assert_string_equal(read[1].label, "");
    assert_int_equal(plot_windows_read(dir, read, 1, &count, err, sizeof err), -1); /* more than cap */
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, PLOT_WINDOWS_FILE);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("kind,from_s,until_s,label\noffline,5,4,backwards\n", f);
    fclose(f);
    assert_int_equal(plot_windows_read(dir, read, PLOT_WINDOWS_MAX, &count, err, sizeof err), -1);
    assert_non_null(strstr(err, "windows.csv:2:"));
    remove_dir(dir);
}

/* The testbed's plan is the world's schedule: the same scenario's node_up
 * and node_down, host by host and time by time, with churn (some nodes
 * starting down) and an offline window over churned and unchurned nodes. */
static void the_plan_lists_the_world_runs_ups_and_downs(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    make_scenario(&s, 20, 4, 60 * S_NS, 76);
    s.nodes.join_over_ns = 2 * S_NS;
    add_churn(&s, (selector){.kind = SELECT_PERCENT, .percent = 50}, (dist){DIST_EXPONENTIAL, 8e9, 0},
              (dist){DIST_EXPONENTIAL, 4e9, 0});
    s.offline_count = 1;
    s.offline[0] = (offline_window){.nodes = ONE_RANGE(0, 5), .at_ns = 10 * S_NS, .for_ns = 15 * S_NS};
    run_with(&s, NULL, &result);
    uint64_t join_ns[20];
    for (uint32_t i = 0; i < 20; i++) join_ns[i] = s.nodes.join_over_ns / 20 * i;
    faults *plan = faults_plan(&s, join_ns);
    assert_non_null(plan);
    size_t count, rejoins = 0, late_first = 0;
    const faults_change *c = faults_plan_changes(plan, &count);
    assert_int_equal(count, seen.state_count);
    bool started[20] = {false};
    for (size_t k = 0; k < count; k++) {
        /* The world's order within one instant may differ between hosts: find the match. */
        bool found = false;
        for (size_t j = 0; j < seen.state_count && !found; j++)
            found = seen.states[j].node == c[k].host && seen.states[j].time_ns == c[k].at_ns &&
                    seen.states[j].up == (c[k].kind != FAULTS_CHANGE_DOWN);
        if (!found) fail_msg("plan change %zu (host %u at %llu ns) is not in the world's trace", k, c[k].host,
                             (unsigned long long)c[k].at_ns);
        if (c[k].kind == FAULTS_CHANGE_JOIN) assert_true(c[k].at_ns == join_ns[c[k].host] && !started[c[k].host]);
        if (c[k].kind == FAULTS_CHANGE_REJOIN) {
            rejoins++;
            late_first += !started[c[k].host];
        }
        if (c[k].kind != FAULTS_CHANGE_DOWN) started[c[k].host] = true;
        if (k > 0) assert_true(c[k].at_ns >= c[k - 1].at_ns);
    }
    assert_true(rejoins >= 6); /* the window's six come back at 25 s, and churn flips more */
    assert_true(late_first > 0); /* with availability 2/3, some of ten churned hosts start down */
    faults_destroy(plan);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(churned_nodes_are_online_for_the_stationary_share_of_the_time),
        cmocka_unit_test(churn_starts_in_its_stationary_state_not_in_step),
        cmocka_unit_test(an_offline_window_holds_churned_nodes_down_for_its_length),
        cmocka_unit_test(the_same_seed_gives_the_same_run_with_faults),
        cmocka_unit_test(a_partition_stops_floodsub_delivery_across_it_until_it_heals),
        cmocka_unit_test(a_partition_stops_gossipsub_delivery_across_it_until_it_heals),
        cmocka_unit_test(an_offline_node_delivers_nothing_and_rejoins_the_mesh_when_it_returns),
        cmocka_unit_test(the_upkeep_reconnects_what_a_partition_kept_apart),
        cmocka_unit_test(a_run_writes_its_windows_and_the_report_shades_them),
        cmocka_unit_test(windows_csv_reads_back_and_refuses_a_malformed_row),
        cmocka_unit_test(the_plan_lists_the_world_runs_ups_and_downs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
