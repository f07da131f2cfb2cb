/*
 * test_run: whole scenario runs, checked against numbers derived on the
 * side: the digest's determinism, floodsub latency as latency times the hop
 * distance (BFS over the connections the trace reports), and floodsub's
 * exact count of receipts and duplicates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/time_units.h"
#include "crypto/identity.h"
#include "lab/run.h"
#include "trace_json_read.h"

#define MS NS_PER_MS
#define S_NS NS_PER_S
#define NODES 60
#define DEGREE 4
#define LATENCY (10 * MS)
#define MESSAGES_MAX 64

/* What the test learns from the trace alone. */
typedef struct observed {
    peer_id ids[NODES];
    bool adjacent[NODES][NODES];
    uint8_t msg_ids[MESSAGES_MAX][64];
    size_t msg_id_len[MESSAGES_MAX];
    uint32_t publisher[MESSAGES_MAX];
    uint64_t published_at[MESSAGES_MAX];
    uint64_t delivered_at[MESSAGES_MAX][NODES];
    uint32_t deliveries[MESSAGES_MAX][NODES];
    uint32_t duplicates[MESSAGES_MAX];
    size_t messages;
} observed;

static observed seen;

static int index_of_peer(const uint8_t *bytes, size_t len) {
    for (int i = 0; i < NODES; i++)
        if (seen.ids[i].len == len && memcmp(seen.ids[i].bytes, bytes, len) == 0) return i;
    return -1;
}

static int index_of_message(const trace_event *e) {
    for (size_t m = 0; m < seen.messages; m++)
        if (seen.msg_id_len[m] == e->msg_id_len && memcmp(seen.msg_ids[m], e->msg_id, e->msg_id_len) == 0)
            return (int)m;
    return -1;
}

static void observe(void *user, const trace_event *e) {
    (void)user;
    int m;
    switch (e->kind) {
    case TRACE_NODE_UP:
        peer_id_from_bytes(e->peer, e->peer_len, &seen.ids[e->node_index]);
        break;
    case TRACE_ADD_PEER: {
        int other = index_of_peer(e->peer, e->peer_len);
        assert_true(other >= 0);
        seen.adjacent[e->node_index][other] = seen.adjacent[other][e->node_index] = true;
        break;
    }
    case TRACE_PUBLISH_MESSAGE:
        assert_true(seen.messages < MESSAGES_MAX);
        m = (int)seen.messages++;
        memcpy(seen.msg_ids[m], e->msg_id, e->msg_id_len);
        seen.msg_id_len[m] = e->msg_id_len;
        seen.publisher[m] = e->node_index;
        seen.published_at[m] = e->time_ns;
        break;
    case TRACE_DELIVER_MESSAGE:
        m = index_of_message(e);
        assert_true(m >= 0);
        seen.deliveries[m][e->node_index]++;
        seen.delivered_at[m][e->node_index] = e->time_ns;
        break;
    case TRACE_DUPLICATE_MESSAGE:
        m = index_of_message(e);
        assert_true(m >= 0);
        seen.duplicates[m]++;
        break;
    default:
        break;
    }
}

static void make_scenario(scenario *s, uint64_t seed) {
    scenario_defaults(s);
    snprintf(s->name, sizeof s->name, "test-run");
    s->seed = seed;
    s->duration_ns = 30 * S_NS;
    s->nodes.count = NODES;
    s->network.latency = (dist){DIST_CONSTANT, (double)LATENCY, 0};
    s->network.topology = TOPOLOGY_RANDOM_REGULAR;
    s->network.degree = DEGREE;
    s->workload.topic_count = 1;
    snprintf(s->workload.topics[0], SCENARIO_TOPIC_MAX, "blocks");
    s->workload.subscribers = (selector){.kind = SELECT_ALL};
    s->workload.publishers = (selector){.kind = SELECT_COUNT, .count = 5};
    s->workload.rate_per_s = 1;
    s->workload.arrival = ARRIVAL_PERIODIC;
    s->workload.size_bytes = 256;
    s->workload.start_ns = 5 * S_NS;
    s->workload.stop_ns = 15 * S_NS;
}

static void run_threads(const scenario *s, uint32_t threads, run_result *result) {
    memset(&seen, 0, sizeof seen);
    run_options options = {.scenario = s, .observe = observe, .threads = threads};
    char err[256] = "";
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
}

static void run(const scenario *s, run_result *result) {
    memset(&seen, 0, sizeof seen);
    run_options options = {.scenario = s, .observe = observe};
    char err[256] = "";
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
}

static void the_same_seed_gives_the_same_digest(void **state) {
    (void)state;
    static scenario s;
    static run_result a, b, c;
    make_scenario(&s, 11);
    run(&s, &a);
    run(&s, &b);
    make_scenario(&s, 12);
    run(&s, &c);
    assert_string_equal(a.digest, b.digest);
    assert_int_equal(a.trace_events, b.trace_events);
    assert_string_not_equal(a.digest, c.digest);
    assert_int_equal(strlen(a.digest), 64);
}

/* The lookahead a parallel world needs: no host's event causes one at
 * another host sooner than the latency (ideal links and tcp, gossipsub),
 * and with no latency there is none (such a run stays on one thread). */
static void hosts_reach_each_other_no_sooner_than_the_latency(void **state) {
    (void)state;
    static scenario s;
    static run_result a;
    make_scenario(&s, 13);
    s.protocol.router = ROUTER_GOSSIPSUB;
    s.network.transport = TRANSPORT_IDEAL;
    run(&s, &a);
    assert_int_equal(a.cross_host_min_ns, LATENCY);
    s.network.transport = TRANSPORT_TCP;
    s.network.up_bps = s.network.down_bps = 50000000;
    run(&s, &a);
    assert_int_equal(a.cross_host_min_ns, LATENCY);
    s.network.latency = (dist){DIST_CONSTANT, 0, 0};
    run(&s, &a);
    assert_int_equal(a.cross_host_min_ns, 0);
}

/* The parallel world (docs/performance.md): the same digest, trace count
 * and metrics on 1, 2 and 3 threads, for gossipsub on ideal links and on
 * tcp, with uniform latencies (ties across hosts are rare, so the windows
 * hold uneven work); with no latency it stays on one thread and says why. */
static void threads_give_the_same_digest(void **state) {
    (void)state;
    static scenario s;
    static run_result r[3];
    make_scenario(&s, 21);
    s.protocol.router = ROUTER_GOSSIPSUB;
    s.network.latency = (dist){DIST_UNIFORM, (double)(5 * MS), (double)(40 * MS)};
    for (int transport = 0; transport < 2; transport++) {
        s.network.transport = transport == 0 ? TRANSPORT_IDEAL : TRANSPORT_TCP;
        for (uint32_t t = 1; t <= 3; t++) {
            run_threads(&s, t, &r[t - 1]);
            assert_int_equal(r[t - 1].threads, t);
            assert_string_equal(r[t - 1].digest, r[0].digest);
            assert_int_equal(r[t - 1].trace_events, r[0].trace_events);
            assert_int_equal(r[t - 1].events_processed, r[0].events_processed);
            assert_true(r[t - 1].summary.delivery_ratio == r[0].summary.delivery_ratio);
        }
    }
    s.network.latency = (dist){DIST_CONSTANT, 0, 0};
    run_threads(&s, 2, &r[1]);
    assert_int_equal(r[1].threads, 1);
    assert_string_equal(r[1].threads_why, "no lookahead: the latency can be zero");
    run(&s, &r[0]);
    assert_string_equal(r[1].digest, r[0].digest);
}

/* A limited downlink is booked by its own host when a segment reaches it
 * (sim/world/tcp.h), so a downlink-limited tcp run is cut like any other:
 * the same digest, trace, kernel events and delivery on 1, 2 and 3
 * threads, each really used. The limit bites (16 KiB messages take 65 ms
 * each through 2 Mbit/s), with 0.5% of segments lost and sent again.
 * On ideal links the sender still books the downlink: one thread, and why. */
static void limited_downlinks_give_the_same_digest_on_any_thread_count(void **state) {
    (void)state;
    static scenario s;
    static run_result r[3], unlimited;
    make_scenario(&s, 23);
    s.protocol.router = ROUTER_GOSSIPSUB;
    s.network.latency = (dist){DIST_UNIFORM, (double)(5 * MS), (double)(40 * MS)};
    s.network.transport = TRANSPORT_TCP;
    s.network.loss = 0.005;
    s.workload.size_bytes = 16 * 1024;
    run_threads(&s, 1, &unlimited);
    s.network.down_bps = 2000000;
    for (uint32_t t = 1; t <= 3; t++) {
        run_threads(&s, t, &r[t - 1]);
        assert_int_equal(r[t - 1].threads, t);
        assert_string_equal(r[t - 1].threads_why, "");
        assert_string_equal(r[t - 1].digest, r[0].digest);
        assert_int_equal(r[t - 1].trace_events, r[0].trace_events);
        assert_int_equal(r[t - 1].events_processed, r[0].events_processed);
        assert_true(r[t - 1].summary.delivery_ratio == 1.0);
    }
    assert_string_not_equal(r[0].digest, unlimited.digest);
    assert_true(r[0].summary.latency_ms_p50 > unlimited.summary.latency_ms_p50 + 65.0);
    s.network.transport = TRANSPORT_IDEAL;
    run_threads(&s, 2, &r[1]);
    assert_int_equal(r[1].threads, 1);
    assert_string_equal(r[1].threads_why,
                        "limited downlinks on ideal links are booked by their senders (docs/performance.md)");
}

/* With transport: tcp, shared 50 Mbit/s links and 1% loss (segments
 * dropped and retransmitted), 64 KiB messages: the same seed still gives
 * the same digest, and not the ideal model's. */
static void tcp_keeps_the_digest_deterministic(void **state) {
    (void)state;
    static scenario s;
    static run_result ideal, a, b;
    make_scenario(&s, 11);
    s.network.up_bps = s.network.down_bps = 50000000;
    s.network.loss = 0.01;
    s.workload.size_bytes = 64 * 1024;
    s.network.transport = TRANSPORT_IDEAL;
    run(&s, &ideal);
    s.network.transport = TRANSPORT_TCP;
    run(&s, &a);
    run(&s, &b);
    assert_string_equal(a.digest, b.digest);
    assert_int_equal(a.trace_events, b.trace_events);
    assert_string_not_equal(a.digest, ideal.digest);
}

/* The test's own BFS over the connections the trace reported. */
static void bfs(uint32_t source, uint32_t *distance) {
    uint32_t queue[NODES];
    size_t head = 0, tail = 0;
    for (int i = 0; i < NODES; i++) distance[i] = UINT32_MAX;
    distance[source] = 0;
    queue[tail++] = source;
    while (head < tail) {
        uint32_t u = queue[head++];
        for (uint32_t v = 0; v < NODES; v++) {
            if (!seen.adjacent[u][v] || distance[v] != UINT32_MAX) continue;
            distance[v] = distance[u] + 1;
            queue[tail++] = v;
        }
    }
}

static void floodsub_latency_is_latency_times_hop_distance(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    make_scenario(&s, 21);
    run(&s, &result);
    assert_int_equal(seen.messages, 10);
    for (size_t m = 0; m < seen.messages; m++) {
        uint32_t distance[NODES];
        bfs(seen.publisher[m], distance);
        for (uint32_t v = 0; v < NODES; v++) {
            assert_true(distance[v] != UINT32_MAX); /* a random 4-regular graph is connected */
            assert_int_equal(seen.deliveries[m][v], 1);
            assert_int_equal(seen.delivered_at[m][v] - seen.published_at[m], distance[v] * LATENCY);
        }
    }
    assert_true(result.summary.delivery_ratio == 1.0);
}

/* A validation delay V holds each receiver's delivery and forwarding for
 * exactly V of virtual time: a node d hops from the publisher delivers at
 * d * (LATENCY + V) (the publisher's own message is not held). Under
 * StrictNoSign with content ids, as Ethereum's nodes run. */
#define VALIDATION_DELAY (7 * MS)

/* make_scenario's, under StrictNoSign with ids of kind and the delay. */
static void make_no_sign_scenario(scenario *s, uint64_t seed, pubsub_message_id_kind kind) {
    make_scenario(s, seed);
    s->protocol.pubsub.signature_policy = PUBSUB_STRICT_NO_SIGN;
    s->protocol.gossipsub.message_id = kind;
    s->protocol.pubsub.validation_delay_ns = VALIDATION_DELAY;
}

static void a_validation_delay_adds_itself_at_every_hop(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    static const pubsub_message_id_kind kinds[] = {PUBSUB_MESSAGE_ID_SHA256, PUBSUB_MESSAGE_ID_FIRST_8_BYTES};
    for (size_t k = 0; k < 2; k++) {
        make_no_sign_scenario(&s, 21, kinds[k]);
        run(&s, &result);
        assert_int_equal(seen.messages, 10);
        for (size_t m = 0; m < seen.messages; m++) {
            uint32_t distance[NODES];
            bfs(seen.publisher[m], distance);
            for (uint32_t v = 0; v < NODES; v++) {
                assert_int_equal(seen.deliveries[m][v], 1);
                assert_int_equal(seen.delivered_at[m][v] - seen.published_at[m],
                                 distance[v] * (LATENCY + VALIDATION_DELAY));
            }
        }
        assert_true(result.summary.delivery_ratio == 1.0);
    }
}

static void gossipsub_under_strict_no_sign_delivers_everything(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    make_no_sign_scenario(&s, 31, PUBSUB_MESSAGE_ID_SHA256);
    s.protocol.router = ROUTER_GOSSIPSUB;
    run(&s, &result);
    assert_int_equal(seen.messages, 10);
    for (size_t m = 0; m < seen.messages; m++)
        for (uint32_t v = 0; v < NODES; v++) assert_int_equal(seen.deliveries[m][v], 1);
    assert_true(result.summary.delivery_ratio == 1.0);
}

static void floodsub_duplicates_follow_from_the_graph(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    make_scenario(&s, 31);
    run(&s, &result);
    size_t edges = 0;
    for (int u = 0; u < NODES; u++) {
        size_t degree = 0;
        for (int v = 0; v < NODES; v++) degree += seen.adjacent[u][v];
        assert_int_equal(degree, DEGREE);
        edges += degree;
    }
    edges /= 2;
    /* The publisher sends to all its neighbours; every other node forwards
     * to all but the one it first heard from, and nobody sends the origin
     * its own message. So 2E - (n - 1) receipts, of which n - 1 are firsts. */
    uint32_t expected = (uint32_t)(2 * edges - 2 * (NODES - 1));
    for (size_t m = 0; m < seen.messages; m++) assert_int_equal(seen.duplicates[m], expected);
    assert_int_equal(result.summary.duplicates, expected * seen.messages);
}

static void gossipsub_delivers_everything_with_fewer_duplicates(void **state) {
    (void)state;
    static scenario s;
    static run_result flood, gossip;
    make_scenario(&s, 51);
    s.network.degree = 20; /* well above D_hi (12): the mesh is a real subset */
    run(&s, &flood);
    s.protocol.router = ROUTER_GOSSIPSUB;
    run(&s, &gossip);
    assert_true(flood.summary.delivery_ratio == 1.0);
    assert_true(gossip.summary.delivery_ratio == 1.0);
    assert_int_equal(gossip.summary.eligible_pairs, flood.summary.eligible_pairs);
    /* Floodsub sends every message over all 20 links of a node (about 18
     * duplicates per delivery); the mesh keeps D to D_hi of them. */
    assert_true(gossip.summary.duplicates_per_delivery < flood.summary.duplicates_per_delivery / 2);
    assert_string_not_equal(gossip.digest, flood.digest);
}

/* Mesh degree per node, from the graft and prune events alone. */
static int mesh_degree[NODES];

static void count_mesh(void *user, const trace_event *e) {
    (void)user;
    if (e->kind == TRACE_GRAFT) mesh_degree[e->node_index]++;
    if (e->kind == TRACE_PRUNE) mesh_degree[e->node_index]--;
}

static void every_gossipsub_mesh_settles_within_d_lo_and_d_hi(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    make_scenario(&s, 61);
    s.network.degree = 20;
    s.protocol.router = ROUTER_GOSSIPSUB;
    memset(mesh_degree, 0, sizeof mesh_degree);
    run_options options = {.scenario = &s, .observe = count_mesh};
    char err[256] = "";
    if (run_scenario(&options, &result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
    for (int i = 0; i < NODES; i++) {
        if (mesh_degree[i] < s.protocol.gossipsub.D_lo || mesh_degree[i] > s.protocol.gossipsub.D_hi)
            fail_msg("node %d ends with a mesh of %d, outside [%d, %d]", i, mesh_degree[i],
                     s.protocol.gossipsub.D_lo, s.protocol.gossipsub.D_hi);
    }
    assert_true(result.summary.delivery_ratio == 1.0);
}

static void feed_digest(void *user, const trace_event *event) { trace_digest_update(user, event); }

static void a_trace_file_reads_back_to_the_same_digest(void **state) {
    (void)state;
    static scenario s;
    static run_result result;
    make_scenario(&s, 41);
    char path[64]; /* one per process: two test runs side by side must not share it */
    snprintf(path, sizeof path, "/tmp/swarmlab-test-run-trace-%ld.jsonl", (long)getpid());
    run_options options = {.scenario = &s, .trace_path = path};
    char err[256] = "";
    if (run_scenario(&options, &result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
    trace_digest digest;
    trace_digest_init(&digest);
    long events = trace_json_read_file(path, feed_digest, &digest, err, sizeof err);
    if (events < 0) fail_msg("reading the trace back failed: %s", err);
    char hex[DIGEST_HEX_BYTES];
    trace_digest_final(&digest, hex);
    assert_int_equal((uint64_t)events, result.trace_events);
    assert_string_equal(hex, result.digest); /* the file says exactly what happened */
    remove(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_trace_file_reads_back_to_the_same_digest),
        cmocka_unit_test(gossipsub_delivers_everything_with_fewer_duplicates),
        cmocka_unit_test(every_gossipsub_mesh_settles_within_d_lo_and_d_hi),
        cmocka_unit_test(the_same_seed_gives_the_same_digest),
        cmocka_unit_test(hosts_reach_each_other_no_sooner_than_the_latency),
        cmocka_unit_test(threads_give_the_same_digest),
        cmocka_unit_test(limited_downlinks_give_the_same_digest_on_any_thread_count),
        cmocka_unit_test(tcp_keeps_the_digest_deterministic),
        cmocka_unit_test(floodsub_latency_is_latency_times_hop_distance),
        cmocka_unit_test(a_validation_delay_adds_itself_at_every_hop),
        cmocka_unit_test(gossipsub_under_strict_no_sign_delivers_everything),
        cmocka_unit_test(floodsub_duplicates_follow_from_the_graph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
