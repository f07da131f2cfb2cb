/*
 * test_connmgr: the connection limits (node/core/connmgr.h), first as pure
 * rules, then in whole nodes over memnet: silent connections take at most
 * the handshake budget, one address at most per_ip4_max, and above
 * high_water the node trims the least useful peers but never its mesh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/time_units.h"
#include "memnet.h"

#define MS NS_PER_MS
#define LATENCY (5 * MS)
#define SETTLE (2000 * MS)
#define EVENTS_MAX 2000000
#define SILENT 600 /* silent connections an attacker opens: more than the 512 slots */

static size_t count_reason(const memnet *net, size_t index, const char *reason) {
    size_t count = 0, total = 0;
    const memnet_trace *t = memnet_traces(net, &total);
    for (size_t i = 0; i < total; i++)
        if (t[i].kind == TRACE_REMOVE_PEER && t[i].node_index == index && strcmp(t[i].reason, reason) == 0) count++;
    return count;
}

/* ---- the rules ---------------------------------------------------------- */

static void the_defaults_are_usable_and_bad_limits_are_named(void **state) {
    (void)state;
    conn_limits l;
    connmgr_limits_default(&l);
    assert_null(connmgr_limits_check(&l));
    assert_int_equal(l.connections_max, 512);
    assert_int_equal(l.handshakes_max, 64);
    assert_int_equal(l.per_ip4_max, 8);
    l.low_water = l.high_water + 1;
    assert_string_equal(connmgr_limits_check(&l), "low_water: between 1 and high_water");
    connmgr_limits_default(&l);
    l.outbound_reserve = 500;
    assert_non_null(strstr(connmgr_limits_check(&l), "outbound_reserve"));
    connmgr_limits_default(&l);
    l.connections_max = 513;
    assert_string_equal(connmgr_limits_check(&l), "connections_max: between 1 and 512");
}

static void admission_names_the_limit_that_refuses(void **state) {
    (void)state;
    conn_limits l;
    connmgr_limits_default(&l);
    conn_census c = {.total = 10, .inbound = 10, .inbound_handshakes = 64};
    assert_string_equal(connmgr_admit(&l, &c, false, true), "connection limit: handshakes_max");
    assert_null(connmgr_admit(&l, &c, true, false)); /* our dial is not a handshake of theirs */
    c = (conn_census){.total = 8, .inbound = 8, .same_ip4 = 8};
    assert_string_equal(connmgr_admit(&l, &c, false, true), "connection limit: per_ip4_max");
    assert_null(connmgr_admit(&l, &c, false, false)); /* an unknown address is not counted */
    c = (conn_census){.total = 480, .inbound = 480};
    assert_string_equal(connmgr_admit(&l, &c, false, true), "connection limit: outbound_reserve");
    assert_null(connmgr_admit(&l, &c, true, false)); /* the reserve is our dials' */
    c = (conn_census){.total = 480, .outbound = 480};
    assert_string_equal(connmgr_admit(&l, &c, true, false), "connection limit: inbound_reserve");
    assert_null(connmgr_admit(&l, &c, false, true));
    c = (conn_census){.total = 512, .inbound = 256, .outbound = 256};
    assert_string_equal(connmgr_admit(&l, &c, true, false), "connection limit: connections_max");
    l.enabled = false; /* only the table's size is left */
    c = (conn_census){.total = 511, .inbound = 511, .inbound_handshakes = 511, .same_ip4 = 511};
    assert_null(connmgr_admit(&l, &c, false, true));
}

static void trimming_closes_low_scores_then_the_longest_idle_never_the_protected_or_young(void **state) {
    (void)state;
    conn_limits l;
    connmgr_limits_default(&l);
    l.high_water = 5;
    l.low_water = 2;
    l.grace_ns = 10 * NS_PER_S;
    uint64_t now = 100 * NS_PER_S;
    conn_candidate peers[] = {
        {.handle = 1, .protected_peer = true, .score = -50, .ready_ns = 0, .last_recv_ns = 0},
        {.handle = 2, .score = 0, .ready_ns = 0, .last_recv_ns = 90 * NS_PER_S},
        {.handle = 3, .score = 0, .ready_ns = 0, .last_recv_ns = 20 * NS_PER_S},
        {.handle = 4, .score = -1, .ready_ns = 0, .last_recv_ns = 99 * NS_PER_S},
        {.handle = 5, .score = -9, .ready_ns = 95 * NS_PER_S, .last_recv_ns = 95 * NS_PER_S}, /* young */
        {.handle = 6, .score = 5, .ready_ns = 0, .last_recv_ns = 10 * NS_PER_S},
    };
    assert_int_equal(connmgr_trim(&l, peers, 5, now), 0); /* at high water: nothing */
    /* 6 > 5: down to 2 would close 4, but only 4 are neither protected nor young. */
    assert_int_equal(connmgr_trim(&l, peers, 6, now), 4);
    assert_int_equal(peers[0].handle, 4); /* the lowest score */
    assert_int_equal(peers[1].handle, 3); /* then, at score 0, the longest idle */
    assert_int_equal(peers[2].handle, 2);
    assert_int_equal(peers[3].handle, 6); /* the best score goes last */
    l.enabled = false;
    assert_int_equal(connmgr_trim(&l, peers, 6, now), 0);
}

/* ---- in whole nodes ------------------------------------------------------ */

/* Two nodes, and SILENT raw connections into node 0 from address ip4 (0:
 * each its own), which never send a byte. */
static memnet *two_nodes_and_silent(uint64_t seed, int raws[SILENT], uint32_t ip4) {
    memnet *net = memnet_create(seed, LATENCY);
    memnet_add_node(net, NULL);
    memnet_add_node(net, NULL);
    for (size_t i = 0; i < SILENT; i++) {
        raws[i] = memnet_raw_open_from(net, 0, ip4 != 0 ? ip4 : 0x0b000000u + (uint32_t)i);
        assert_true(raws[i] >= 0);
    }
    memnet_run(net, memnet_now(net) + 10 * LATENCY, EVENTS_MAX);
    return net;
}

/* Node a dials node b, and after a while they are connected. */
static void assert_dial_connects(memnet *net, size_t a, size_t b) {
    assert_int_equal(memnet_dial(net, a, b), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_true(node_is_connected(memnet_node(net, a), node_id(memnet_node(net, b))));
}

static size_t count_open(const memnet *net, const int raws[SILENT]) {
    size_t open = 0;
    for (size_t i = 0; i < SILENT; i++) open += !memnet_raw_closed(net, raws[i]);
    return open;
}

static void silent_connections_take_only_the_handshake_budget(void **state) {
    (void)state;
    static int raws[SILENT];
    memnet *net = two_nodes_and_silent(31, raws, 0); /* 600 addresses: the per-address limit does not help */
    assert_int_equal(count_open(net, raws), CONNMGR_HANDSHAKES_MAX);
    assert_int_equal(count_reason(net, 0, "connection limit: handshakes_max"), SILENT - CONNMGR_HANDSHAKES_MAX);
    /* The slots past the budget are still there: node 0 dials out and upgrades. */
    assert_dial_connects(net, 0, 1);
    memnet_destroy(net);
}

static void one_address_gets_per_ip4_max_and_another_peer_still_connects(void **state) {
    (void)state;
    static int raws[SILENT];
    memnet *net = two_nodes_and_silent(32, raws, 0x0b090909u);
    assert_int_equal(count_open(net, raws), CONNMGR_PER_IP4_MAX);
    assert_int_equal(count_reason(net, 0, "connection limit: per_ip4_max"), SILENT - CONNMGR_PER_IP4_MAX);
    assert_dial_connects(net, 1, 0); /* inbound at node 0, from 10.0.0.2 */
    memnet_destroy(net);
}

/* Node 0 and peers 1-3 subscribe and mesh; peers 4-8 then connect without
 * subscribing. High water 6, low water 4, no grace: the 7th peer starts a
 * trim that closes 3 unsubscribed peers, never a mesh member. */
static void above_high_water_the_node_trims_but_keeps_its_mesh(void **state) {
    (void)state;
    memnet *net = memnet_create(33, LATENCY);
    memnet_set_router(net, ROUTER_CHOICE_GOSSIPSUB);
    conn_limits l;
    connmgr_limits_default(&l);
    l.high_water = 6;
    l.low_water = 4;
    l.grace_ns = 0;
    memnet_set_limits(net, &l);
    for (size_t i = 0; i < 9; i++) assert_int_equal(memnet_add_node(net, NULL), i);
    for (size_t i = 0; i < 4; i++) assert_int_equal(node_subscribe(memnet_node(net, i), "blocks"), 0);
    for (size_t i = 1; i < 4; i++) assert_int_equal(memnet_dial(net, i, 0), 0);
    memnet_run(net, memnet_now(net) + 3 * SETTLE, EVENTS_MAX); /* heartbeats graft the mesh */
    for (size_t i = 4; i < 9; i++) {
        assert_int_equal(memnet_dial(net, i, 0), 0);
        memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    }
    node *n = memnet_node(net, 0);
    assert_int_equal(count_reason(net, 0, CONNMGR_TRIM_REASON), 3);
    assert_int_equal(node_peer_count(n), 5);
    for (size_t i = 1; i < 4; i++) assert_true(node_is_connected(n, node_id(memnet_node(net, i))));
    memnet_destroy(net);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_defaults_are_usable_and_bad_limits_are_named),
        cmocka_unit_test(admission_names_the_limit_that_refuses),
        cmocka_unit_test(trimming_closes_low_scores_then_the_longest_idle_never_the_protected_or_young),
        cmocka_unit_test(silent_connections_take_only_the_handshake_budget),
        cmocka_unit_test(one_address_gets_per_ip4_max_and_another_peer_still_connects),
        cmocka_unit_test(above_high_water_the_node_trims_but_keeps_its_mesh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
