/*
 * test_netmodel: regions and classes per host (sim/world/netmodel.h,
 * docs/network-model.md "Regions, classes and graphs"): the test-plans
 * preset holds network_graph.py's figures, placement follows the weights
 * within one host, the same seed places the same way, attacker groups take
 * the class they name, and the world takes its latencies (asymmetric,
 * with jitter) and bandwidths from the model. A Shadow GML graph
 * (network.graph) routes pairs without an edge by the shortest path, adds
 * up latency, jitter and loss along it, gives the hosts its nodes'
 * bandwidths and places them by weight or as listed.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/time_units.h"
#include "world/netmodel.h"
#include "world/world.h"

#define HOSTS 10000
#define REGIONS_FILE "tests/scenarios/regions.yaml"
#define GRAPH_FILE "tests/scenarios/graph.yaml"             /* graphs/chain.gml, by weight */
#define GRAPH_HOSTS_FILE "tests/scenarios/graph-hosts.yaml" /* graphs/chain.gml, listed */

static long find_region(const scenario_regions *r, const char *name) {
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->list[i].name, name) == 0) return (long)i;
    return -1;
}

static void the_preset_holds_the_figures_of_test_plans(void **state) {
    (void)state;
    scenario_regions r;
    scenario_regions_test_plans(&r);
    assert_int_equal(r.count, 8);
    long eu = find_region(&r, "europe"), nae = find_region(&r, "na_east"), au = find_region(&r, "australia");
    long saf = find_region(&r, "south_africa"), sam = find_region(&r, "south_america");
    assert_true(eu >= 0 && nae >= 0 && au >= 0 && saf >= 0 && sam >= 0);
    assert_true(r.list[eu].weight == 5599 && r.list[nae].weight == 2894 && r.list[sam].weight == 36);
    assert_int_equal(r.latency_ns[eu][nae], 70 * NS_PER_MS);
    assert_int_equal(r.latency_ns[au][au], 2 * NS_PER_MS);
    assert_int_equal(r.latency_ns[saf][sam], 190 * NS_PER_MS);
    assert_int_equal(r.latency_ns[sam][saf], 195 * NS_PER_MS); /* network_graph.py has 195 that way */
    for (size_t a = 0; a < r.count; a++)
        for (size_t b = 0; b < r.count; b++) assert_int_equal(r.jitter_ns[a][b], 0);
}

/* Largest remainder: every region within one host of weight/total * n. */
static void placement_follows_the_weights_within_one_host(void **state) {
    (void)state;
    scenario s;
    scenario_defaults(&s);
    s.nodes.count = HOSTS;
    scenario_regions_test_plans(&s.network.regions);
    netmodel *m = netmodel_create(&s, HOSTS);
    assert_non_null(m);
    uint32_t counts[SCENARIO_REGIONS_MAX] = {0};
    for (uint32_t i = 0; i < HOSTS; i++) counts[netmodel_region(m, i)]++;
    double total = 0;
    for (size_t i = 0; i < 8; i++) total += s.network.regions.list[i].weight;
    for (size_t i = 0; i < 8; i++) {
        double exact = s.network.regions.list[i].weight / total * HOSTS;
        assert_true(counts[i] >= exact - 1 && counts[i] <= exact + 1);
    }
    assert_int_equal(counts[find_region(&s.network.regions, "europe")], 4943); /* 5599 / 11326 * 10000 = 4943.49 */
    netmodel_destroy(m);
}

static void the_same_seed_places_the_same_way_and_another_differently(void **state) {
    (void)state;
    scenario s;
    scenario_defaults(&s);
    s.nodes.count = 1000;
    scenario_regions_test_plans(&s.network.regions);
    netmodel *a = netmodel_create(&s, 1000), *b = netmodel_create(&s, 1000);
    s.seed = 2;
    netmodel *c = netmodel_create(&s, 1000);
    size_t same_ab = 0, same_ac = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        same_ab += netmodel_region(a, i) == netmodel_region(b, i);
        same_ac += netmodel_region(a, i) == netmodel_region(c, i);
    }
    assert_int_equal(same_ab, 1000);
    assert_true(same_ac < 1000);
    netmodel_destroy(a);
    netmodel_destroy(b);
    netmodel_destroy(c);
}

static void classes_go_by_share_and_attackers_take_theirs(void **state) {
    (void)state;
    scenario s;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(REGIONS_FILE, NULL, 0, &s, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(s.nodes.class_count, 2);
    assert_int_equal(s.attackers[0].class_index, 0);
    netmodel *m = netmodel_create(&s, 110);
    uint32_t super = 0;
    for (uint32_t i = 0; i < 100; i++) super += netmodel_class(m, i) == 0;
    assert_int_equal(super, 20); /* 20% of the 100 honest hosts */
    for (uint32_t i = 100; i < 110; i++) assert_int_equal(netmodel_class(m, i), 0);
    for (uint32_t i = 0; i < 110; i++) {
        bool is_super = netmodel_class(m, i) == 0;
        assert_int_equal(netmodel_up_bps(m, i), is_super ? 1000000000ull : 50000000ull);
        assert_int_equal(netmodel_down_bps(m, i), is_super ? 1000000000ull : 100000000ull);
    }
    netmodel_destroy(m);
}

static void the_world_takes_asymmetric_latencies_from_the_regions(void **state) {
    (void)state;
    scenario s;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(REGIONS_FILE, NULL, 0, &s, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(s.network.regions.latency_ns[0][1], 40 * NS_PER_MS);
    assert_int_equal(s.network.regions.latency_ns[1][0], 60 * NS_PER_MS);
    assert_int_equal(s.network.regions.jitter_ns[0][1], 5 * NS_PER_MS);
    assert_int_equal(s.network.regions.jitter_ns[1][0], 5 * NS_PER_MS); /* given one way: both ways */
    netmodel *m = netmodel_create(&s, 110);
    world_config wc = {.host_count = 110, .seed = s.seed, .latency = s.network.latency, .net = m};
    world *w = world_create(&wc);
    uint32_t east = 0, west = 0;
    while (netmodel_region(m, east) != 0) east++;
    while (netmodel_region(m, west) != 1) west++;
    assert_int_equal(world_latency(w, east, west), 40 * NS_PER_MS);
    assert_int_equal(world_latency(w, west, east), 60 * NS_PER_MS);
    uint32_t east2 = east + 1;
    while (netmodel_region(m, east2) != 0) east2++;
    assert_int_equal(world_latency(w, east, east2), 2 * NS_PER_MS);
    world_destroy(w);
    netmodel_destroy(m);
}

/* chain.gml: a and c share no edge; a-b-c (10 + 20 ms) beats a-d-c (50 + 50). */
static void a_graph_routes_a_missing_edge_by_the_shortest_path(void **state) {
    (void)state;
    scenario s;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(GRAPH_FILE, NULL, 0, &s, err, sizeof err) != 0) fail_msg("%s", err);
    const scenario_regions *r = &s.network.regions;
    assert_true(r->from_graph);
    assert_int_equal(r->count, 4);
    long a = find_region(r, "a"), b = find_region(r, "b"), c = find_region(r, "c"), d = find_region(r, "node7");
    assert_true(a == 0 && b == 1 && c == 2 && d == 3); /* "node at 1.2.3.4" is no name: node<id> */
    assert_int_equal(r->latency_ns[a][c], 30 * NS_PER_MS);
    assert_int_equal(r->latency_ns[c][a], 30 * NS_PER_MS); /* directed 0: edges go both ways */
    assert_int_equal(r->jitter_ns[a][c], 3 * NS_PER_MS);    /* 1 + 2 ms, summed */
    assert_true(fabs(r->loss[a][c] - 0.28) < 1e-12);        /* 1 - 0.9 * 0.8 */
    assert_int_equal(r->latency_ns[a][b], 10 * NS_PER_MS);
    assert_int_equal(r->latency_ns[a][a], 1 * NS_PER_MS); /* a node to itself: its self-loop */
    assert_int_equal(r->latency_ns[c][c], 3 * NS_PER_MS);
    assert_true(r->list[d].weight == 0); /* not in graph.weights: no hosts */
    netmodel *m = netmodel_create(&s, 40);
    world_config wc = {.host_count = 40, .seed = s.seed, .latency = s.network.latency, .net = m};
    world *w = world_create(&wc);
    uint32_t in_a = 0, in_c = 0, counts[4] = {0};
    for (uint32_t i = 0; i < 40; i++) counts[netmodel_region(m, i)]++;
    assert_int_equal(counts[0], 20); /* weights 2:1:1 of 40 */
    assert_int_equal(counts[1], 10);
    assert_int_equal(counts[2], 10);
    assert_int_equal(counts[3], 0);
    while (netmodel_region(m, in_a) != (uint32_t)a) in_a++;
    while (netmodel_region(m, in_c) != (uint32_t)c) in_c++;
    assert_int_equal(world_latency(w, in_a, in_c), 30 * NS_PER_MS);
    assert_int_equal(world_latency(w, in_c, in_a), 30 * NS_PER_MS);
    assert_true(fabs(netmodel_loss(m, in_a, in_c) - 0.28) < 1e-12);
    assert_true(netmodel_has_bandwidths(m));
    assert_int_equal(netmodel_up_bps(m, in_a), 100000000ull);   /* "100 Mbit" */
    assert_int_equal(netmodel_down_bps(m, in_a), 1000000000ull); /* "1 Gbit" */
    assert_int_equal(netmodel_up_bps(m, in_c), 10000000ull);
    assert_int_equal(netmodel_down_bps(m, in_c), 20000000ull);
    world_destroy(w);
    netmodel_destroy(m);
}

static void graph_hosts_puts_each_host_on_its_listed_node(void **state) {
    (void)state;
    scenario s;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(GRAPH_HOSTS_FILE, NULL, 0, &s, err, sizeof err) != 0) fail_msg("%s", err);
    netmodel *m = netmodel_create(&s, 4);
    /* hosts: [2, 0, 7, 0]: ids 2, 0, 7, 0 are the regions c, a, node7, a. */
    assert_int_equal(netmodel_region(m, 0), 2);
    assert_int_equal(netmodel_region(m, 1), 0);
    assert_int_equal(netmodel_region(m, 2), 3);
    assert_int_equal(netmodel_region(m, 3), 0); /* the attacker */
    /* node 7 (d) holds a host now: a to d is its own edge, 50 ms; c to d 50 ms. */
    assert_int_equal(netmodel_latency_ns(m, 1, 2), 50 * NS_PER_MS);
    assert_int_equal(netmodel_latency_ns(m, 0, 2), 50 * NS_PER_MS);
    assert_int_equal(netmodel_up_bps(m, 2), 1000000000ull);
    netmodel_destroy(m);
}

/* Under transport: tcp the graph's path loss and jitter reach the
 * segments: a-c (loss 0.28, jitter 3 ms) drops segments of 20 messages of
 * 4 KiB and still delivers all 20, in order; a-a (no loss) drops none. */
static size_t deliveries;
static uint32_t receiver;

static void count_deliveries(void *user, const trace_event *event) {
    (void)user;
    if (event->kind == TRACE_DELIVER_MESSAGE && event->node_index == receiver) deliveries++;
}

static uint64_t segments_lost_between(const scenario *s, const netmodel *m, uint32_t from, uint32_t to) {
    world_config wc = {.host_count = 40, .seed = s->seed, .latency = s->network.latency, .net = m,
                       .transport = TRANSPORT_TCP, .trace = count_deliveries};
    deliveries = 0;
    receiver = to;
    world *w = world_create(&wc);
    assert_non_null(w);
    assert_int_equal(world_host_up(w, from), 0);
    assert_int_equal(world_host_up(w, to), 0);
    assert_int_equal(world_dial(w, to, from), 0);
    for (uint32_t i = 0; i < 2; i++) assert_int_equal(node_subscribe(world_node(w, i == 0 ? from : to), "t"), 0);
    world_run(w, 5 * NS_PER_S);
    world_stats before, after;
    world_get_stats(w, &before);
    static uint8_t data[4096];
    for (int k = 0; k < 20; k++) {
        data[0] = (uint8_t)k;
        assert_int_equal(node_publish(world_node(w, from), "t", data, sizeof data), 0);
    }
    world_run(w, 60 * NS_PER_S);
    world_get_stats(w, &after);
    assert_int_equal(deliveries, 20);
    world_destroy(w);
    return after.segments_lost - before.segments_lost;
}

static void under_tcp_a_graph_path_loses_segments(void **state) {
    (void)state;
    scenario s;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(GRAPH_FILE, NULL, 0, &s, err, sizeof err) != 0) fail_msg("%s", err);
    netmodel *m = netmodel_create(&s, 40);
    uint32_t in_a = 0, in_a2, in_c = 0;
    while (netmodel_region(m, in_a) != 0) in_a++;
    in_a2 = in_a + 1;
    while (netmodel_region(m, in_a2) != 0) in_a2++;
    while (netmodel_region(m, in_c) != 2) in_c++;
    uint64_t lossy = segments_lost_between(&s, m, in_a, in_c);
    uint64_t clean = segments_lost_between(&s, m, in_a, in_a2);
    print_message("a-c lost %llu segments, a-a %llu\n", (unsigned long long)lossy, (unsigned long long)clean);
    assert_true(lossy > 0);
    assert_int_equal(clean, 0);
    netmodel_destroy(m);
}

/* Without a graph, no pair has a loss of its own (network.loss applies alone). */
static void without_a_graph_no_pair_has_a_loss(void **state) {
    (void)state;
    scenario s;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(REGIONS_FILE, NULL, 0, &s, err, sizeof err) != 0) fail_msg("%s", err);
    netmodel *m = netmodel_create(&s, 110);
    assert_false(s.network.regions.from_graph);
    for (uint32_t i = 0; i < 110; i++) assert_true(netmodel_loss(m, 0, i) == 0);
    netmodel_destroy(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_preset_holds_the_figures_of_test_plans),
        cmocka_unit_test(placement_follows_the_weights_within_one_host),
        cmocka_unit_test(the_same_seed_places_the_same_way_and_another_differently),
        cmocka_unit_test(classes_go_by_share_and_attackers_take_theirs),
        cmocka_unit_test(the_world_takes_asymmetric_latencies_from_the_regions),
        cmocka_unit_test(a_graph_routes_a_missing_edge_by_the_shortest_path),
        cmocka_unit_test(graph_hosts_puts_each_host_on_its_listed_node),
        cmocka_unit_test(without_a_graph_no_pair_has_a_loss),
        cmocka_unit_test(under_tcp_a_graph_path_loses_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
