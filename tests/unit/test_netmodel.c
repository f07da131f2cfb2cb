/*
 * test_netmodel: regions and classes per host (sim/world/netmodel.h,
 * docs/network-model.md "Regions, classes and graphs"): the test-plans
 * preset holds network_graph.py's figures, placement follows the weights
 * within one host, the same seed places the same way, attacker groups take
 * the class they name, and the world takes its latencies (asymmetric,
 * with jitter) and bandwidths from the model.
 */
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_preset_holds_the_figures_of_test_plans),
        cmocka_unit_test(placement_follows_the_weights_within_one_host),
        cmocka_unit_test(the_same_seed_places_the_same_way_and_another_differently),
        cmocka_unit_test(classes_go_by_share_and_attackers_take_theirs),
        cmocka_unit_test(the_world_takes_asymmetric_latencies_from_the_regions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
