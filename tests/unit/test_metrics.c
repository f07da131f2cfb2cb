/*
 * test_metrics: the run's measurements (analysis/metrics.h) from synthetic
 * event sequences whose right answers can be worked out by hand: who was
 * eligible, which deliveries were late, the nearest-rank percentiles, hops
 * through a chain, bandwidth and overheads, the timeseries rows, and the
 * gossipsub measures: control totals, mesh degree range, score percentiles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/time_units.h"
#include "crypto/identity.h"
#include "metrics.h"
#include "trace/trace.h"

#define MS NS_PER_MS
#define S NS_PER_S
#define NODES_MAX 128
#define LINE_MAX_BYTES 512
#define TOPIC "blocks"

/* ---- a small world of nodes with real peer ids ------------------------ */

typedef struct world {
    metrics *m;
    peer_id ids[NODES_MAX];
} world;

static void world_create(world *w, const metrics_config *config) {
    assert_true(config->node_count <= NODES_MAX);
    memset(w, 0, sizeof *w);
    for (uint32_t i = 0; i < config->node_count; i++) {
        uint8_t seed[IDENTITY_SEED_BYTES] = {0};
        seed[0] = (uint8_t)i;
        seed[1] = 0x5a;
        identity id;
        identity_from_seed(&id, seed);
        peer_id_from_public_key(id.public_key, &w->ids[i]);
        identity_wipe(&id);
    }
    w->m = metrics_create(config);
    assert_non_null(w->m);
}

static void world_init(world *w, uint32_t nodes, uint32_t honest, uint64_t deadline_ns, uint64_t duration_ns) {
    metrics_config config = {.node_count = nodes, .honest_count = honest, .deadline_ns = deadline_ns,
                             .sample_ns = 1 * S, .duration_ns = duration_ns};
    world_create(w, &config);
}

/* Nodes from honest on are attackers, attacking from attack_start_ns. */
static void world_init_attack(world *w, uint32_t nodes, uint32_t honest, uint64_t deadline_ns, uint64_t duration_ns,
                              uint64_t attack_start_ns) {
    metrics_config config = {.node_count = nodes, .honest_count = honest, .deadline_ns = deadline_ns,
                             .sample_ns = 1 * S, .duration_ns = duration_ns, .attack = true,
                             .attack_start_ns = attack_start_ns};
    world_create(w, &config);
}

static void emit(world *w, trace_event e) { metrics_on_event(w->m, &e); }

static void node_up(world *w, uint64_t t, uint32_t node) {
    emit(w, (trace_event){.kind = TRACE_NODE_UP, .time_ns = t, .node_index = node, .peer = w->ids[node].bytes,
                          .peer_len = w->ids[node].len});
}

static void node_down(world *w, uint64_t t, uint32_t node) {
    emit(w, (trace_event){.kind = TRACE_NODE_DOWN, .time_ns = t, .node_index = node});
}

static void join(world *w, uint64_t t, uint32_t node) {
    emit(w, (trace_event){.kind = TRACE_JOIN, .time_ns = t, .node_index = node, .topic = TOPIC});
}

/* Nodes 0..count-1 come up at time 0 and subscribe. */
static void all_up_and_joined(world *w, uint32_t count) {
    for (uint32_t i = 0; i < count; i++) {
        node_up(w, 0, i);
        join(w, 0, i);
    }
}

static const uint8_t *msg_id(uint8_t k) {
    static uint8_t ids[256][2];
    ids[k][0] = 0xab;
    ids[k][1] = k;
    return ids[k];
}

static void message_event(world *w, trace_kind kind, uint64_t t, uint32_t node, uint8_t k, int from) {
    trace_event e = {.kind = kind, .time_ns = t, .node_index = node, .msg_id = msg_id(k), .msg_id_len = 2,
                     .topic = TOPIC, .size_bytes = 1000};
    if (from >= 0) {
        e.peer = w->ids[from].bytes;
        e.peer_len = w->ids[from].len;
    }
    emit(w, e);
}

static void publish(world *w, uint64_t t, uint32_t node, uint8_t k) {
    message_event(w, TRACE_PUBLISH_MESSAGE, t, node, k, -1);
    message_event(w, TRACE_DELIVER_MESSAGE, t, node, k, -1); /* the publisher's own */
}

static void deliver(world *w, uint64_t t, uint32_t node, uint8_t k, uint32_t from) {
    message_event(w, TRACE_DELIVER_MESSAGE, t, node, k, (int)from);
}

static void duplicate(world *w, uint64_t t, uint32_t node, uint8_t k, uint32_t from) {
    message_event(w, TRACE_DUPLICATE_MESSAGE, t, node, k, (int)from);
}

static void send_rpc(world *w, uint64_t t, uint32_t node, uint32_t to, uint64_t size, uint64_t payload) {
    emit(w, (trace_event){.kind = TRACE_SEND_RPC, .time_ns = t, .node_index = node, .peer = w->ids[to].bytes,
                          .peer_len = w->ids[to].len, .size_bytes = size, .payload_bytes = payload,
                          .message_count = payload > 0});
}

/* A send_rpc carrying only a control part. */
static void send_control(world *w, uint64_t t, uint32_t node, trace_event counts) {
    counts.kind = TRACE_SEND_RPC;
    counts.time_ns = t;
    counts.node_index = node;
    counts.size_bytes = counts.control_bytes + 10; /* framing */
    emit(w, counts);
}

static void graft(world *w, uint64_t t, uint32_t node) {
    emit(w, (trace_event){.kind = TRACE_GRAFT, .time_ns = t, .node_index = node, .topic = TOPIC});
}

static void prune(world *w, uint64_t t, uint32_t node) {
    emit(w, (trace_event){.kind = TRACE_PRUNE, .time_ns = t, .node_index = node, .topic = TOPIC});
}

/* node's view of peer's score. */
static void score(world *w, uint64_t t, uint32_t node, uint32_t peer, double value) {
    emit(w, (trace_event){.kind = TRACE_PEER_SCORE, .time_ns = t, .node_index = node, .peer = w->ids[peer].bytes,
                          .peer_len = w->ids[peer].len, .score = value});
}

static void peer_event(world *w, trace_kind kind, uint64_t t, uint32_t node, uint32_t peer) {
    emit(w, (trace_event){.kind = kind, .time_ns = t, .node_index = node, .peer = w->ids[peer].bytes,
                          .peer_len = w->ids[peer].len, .protocol = kind == TRACE_ADD_PEER ? "/floodsub/1.0.0" : NULL});
}

/* node's graft or prune of peer, which the node traces with the peer. */
static void mesh_event(world *w, trace_kind kind, uint64_t t, uint32_t node, uint32_t peer) {
    emit(w, (trace_event){.kind = kind, .time_ns = t, .node_index = node, .topic = TOPIC,
                          .peer = w->ids[peer].bytes, .peer_len = w->ids[peer].len});
}

/* node dropped an RPC from peer. */
static void drop_rpc(world *w, uint64_t t, uint32_t node, uint32_t peer, const char *reason) {
    emit(w, (trace_event){.kind = TRACE_DROP_RPC, .time_ns = t, .node_index = node, .peer = w->ids[peer].bytes,
                          .peer_len = w->ids[peer].len, .size_bytes = 200, .reason = reason});
}

static metrics_summary finish(world *w, uint64_t end_ns) {
    metrics_summary s;
    metrics_finish(w->m, end_ns);
    metrics_get_summary(w->m, &s);
    return s;
}

/* ---- files ------------------------------------------------------------ */

static void temp_path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "/tmp/swarmlab-test-metrics-%ld-%s", (long)getpid(), name);
}

/* Line number `line` (0 = the first) of a file, without its newline. */
static void read_line(const char *path, int line, char *out, size_t cap) {
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    out[0] = '\0';
    for (int i = 0; i <= line; i++) assert_non_null(fgets(out, (int)cap, in));
    out[strcspn(out, "\n")] = '\0';
    fclose(in);
}

static int count_lines(const char *path) {
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    int lines = 0;
    for (int c; (c = fgetc(in)) != EOF;) lines += c == '\n';
    fclose(in);
    return lines;
}

/* ---- delivery ratio and eligibility ----------------------------------- */

static void a_node_offline_during_the_window_is_not_eligible(void **state) {
    (void)state;
    world w;
    world_init(&w, 4, 4, 10 * S, 30 * S);
    all_up_and_joined(&w, 4);
    publish(&w, 1 * S, 0, 1);
    deliver(&w, 1 * S + 100 * MS, 1, 1, 0);
    deliver(&w, 1 * S + 200 * MS, 3, 1, 0); /* node 3 gets it, then goes down */
    node_down(&w, 5 * S, 3);
    metrics_summary s = finish(&w, 30 * S);
    /* Eligible: nodes 1 and 2 (the publisher and the offline node 3 are not). */
    assert_int_equal(s.messages_published, 1);
    assert_int_equal(s.eligible_pairs, 2);
    assert_int_equal(s.delivered_pairs, 1);
    assert_true(s.delivery_ratio == 0.5);
    metrics_destroy(w.m);
}

static void a_node_that_subscribes_after_the_publish_is_not_eligible(void **state) {
    (void)state;
    world w;
    world_init(&w, 3, 3, 10 * S, 30 * S);
    all_up_and_joined(&w, 2);
    node_up(&w, 0, 2);
    publish(&w, 1 * S, 0, 1);
    join(&w, 2 * S, 2);
    deliver(&w, 1 * S + 50 * MS, 1, 1, 0);
    metrics_summary s = finish(&w, 30 * S);
    assert_int_equal(s.eligible_pairs, 1);
    assert_int_equal(s.delivered_pairs, 1);
    assert_true(s.delivery_ratio == 1.0);
    metrics_destroy(w.m);
}

static void a_delivery_after_the_deadline_is_late_but_sets_latency_max(void **state) {
    (void)state;
    world w;
    world_init(&w, 3, 3, 10 * S, 30 * S);
    all_up_and_joined(&w, 3);
    publish(&w, 1 * S, 0, 1);
    deliver(&w, 2 * S, 1, 1, 0);  /* 1000 ms */
    deliver(&w, 13 * S, 2, 1, 0); /* 12000 ms: past the 10 s deadline */
    metrics_summary s = finish(&w, 30 * S);
    assert_int_equal(s.eligible_pairs, 2);
    assert_int_equal(s.delivered_pairs, 1);
    assert_true(s.delivery_ratio == 0.5);
    assert_true(s.latency_ms_max == 12000.0);
    assert_true(s.latency_ms_p50 == 1000.0);
    assert_true(s.latency_ms_p99 == 12000.0);
    metrics_destroy(w.m);
}

static void messages_whose_window_outlasts_the_run_are_left_out_of_the_ratio(void **state) {
    (void)state;
    world w;
    world_init(&w, 2, 2, 10 * S, 30 * S);
    all_up_and_joined(&w, 2);
    publish(&w, 20 * S, 0, 1);    /* window ends at 30 s: counted */
    publish(&w, 21 * S, 0, 2);    /* window ends at 31 s: left out */
    deliver(&w, 25 * S, 1, 2, 0); /* its latency still counts */
    metrics_summary s = finish(&w, 30 * S);
    assert_int_equal(s.messages_published, 2);
    assert_int_equal(s.eligible_pairs, 1);
    assert_int_equal(s.delivered_pairs, 0);
    assert_true(s.delivery_ratio == 0.0);
    assert_true(s.latency_ms_max == 4000.0);
    metrics_destroy(w.m);
}

static void nothing_eligible_gives_a_ratio_of_one(void **state) {
    (void)state;
    world w;
    world_init(&w, 2, 2, 10 * S, 30 * S);
    metrics_summary s = finish(&w, 30 * S);
    assert_int_equal(s.eligible_pairs, 0);
    assert_true(s.delivery_ratio == 1.0);
    assert_true(s.latency_ms_p50 == 0.0);
    metrics_destroy(w.m);
}

/* ---- latency, duplicates, hops ---------------------------------------- */

static void latency_percentiles_are_nearest_rank(void **state) {
    (void)state;
    world w;
    world_init(&w, 101, 101, 10 * S, 30 * S);
    all_up_and_joined(&w, 101);
    publish(&w, 1 * S, 0, 1);
    /* Node i gets it after i ms: the latencies are 1..100 ms. */
    for (uint32_t i = 1; i <= 100; i++) deliver(&w, 1 * S + i * MS, i, 1, 0);
    metrics_summary s = finish(&w, 30 * S);
    assert_true(s.latency_ms_p50 == 50.0);
    assert_true(s.latency_ms_p90 == 90.0);
    assert_true(s.latency_ms_p99 == 99.0);
    assert_true(s.latency_ms_max == 100.0);
    metrics_destroy(w.m);
}

static void latency_percentiles_of_a_small_set_round_the_rank_up(void **state) {
    (void)state;
    world w;
    world_init(&w, 6, 6, 10 * S, 30 * S);
    all_up_and_joined(&w, 6);
    publish(&w, 1 * S, 0, 1);
    const uint64_t latencies_ms[] = {3, 5, 7, 9, 11};
    for (uint32_t i = 0; i < 5; i++) deliver(&w, 1 * S + latencies_ms[i] * MS + 250000, i + 1, 1, 0);
    metrics_summary s = finish(&w, 30 * S);
    /* n = 5: ranks ceil(2.5) = 3, ceil(4.5) = 5, ceil(4.95) = 5. */
    assert_true(s.latency_ms_p50 == 7.25);
    assert_true(s.latency_ms_p90 == 11.25);
    assert_true(s.latency_ms_p99 == 11.25);
    assert_true(s.latency_ms_max == 11.25);
    metrics_destroy(w.m);
}

static void duplicates_per_delivery_leaves_out_the_publishers_own(void **state) {
    (void)state;
    world w;
    world_init(&w, 4, 4, 10 * S, 30 * S);
    all_up_and_joined(&w, 4);
    publish(&w, 1 * S, 0, 1);
    deliver(&w, 1 * S + 10 * MS, 1, 1, 0);
    deliver(&w, 1 * S + 10 * MS, 2, 1, 0);
    deliver(&w, 1 * S + 20 * MS, 3, 1, 1);
    for (uint32_t i = 0; i < 6; i++) duplicate(&w, 1 * S + 30 * MS, i % 4, 1, (i + 1) % 4);
    metrics_summary s = finish(&w, 30 * S);
    assert_int_equal(s.deliveries, 3);
    assert_int_equal(s.duplicates, 6);
    assert_true(s.duplicates_per_delivery == 2.0);
    metrics_destroy(w.m);
}

static void hops_follow_the_chain_of_first_senders(void **state) {
    (void)state;
    world w;
    world_init(&w, 5, 4, 10 * S, 30 * S); /* node 4 is an attacker */
    all_up_and_joined(&w, 4);
    publish(&w, 1 * S, 0, 1);
    deliver(&w, 1 * S + 10 * MS, 1, 1, 0); /* 1 hop */
    deliver(&w, 1 * S + 20 * MS, 2, 1, 1); /* 2 hops */
    deliver(&w, 1 * S + 30 * MS, 3, 1, 2); /* 3 hops */
    duplicate(&w, 1 * S + 40 * MS, 3, 1, 0);
    metrics_summary s = finish(&w, 30 * S);
    assert_true(s.hops_mean == 2.0);
    assert_int_equal(s.hops_max, 3);
    metrics_destroy(w.m);
}

static void a_delivery_from_an_attacker_has_no_hop_count(void **state) {
    (void)state;
    world w;
    world_init(&w, 4, 3, 10 * S, 30 * S); /* node 3 is an attacker */
    all_up_and_joined(&w, 3);
    publish(&w, 1 * S, 0, 1);
    deliver(&w, 1 * S + 10 * MS, 1, 1, 0); /* 1 hop */
    deliver(&w, 1 * S + 20 * MS, 2, 1, 3); /* from the attacker: unknown */
    metrics_summary s = finish(&w, 30 * S);
    assert_true(s.hops_mean == 1.0);
    assert_int_equal(s.hops_max, 1);
    assert_int_equal(s.delivered_pairs, 2); /* still delivered */
    metrics_destroy(w.m);
}

/* ---- bandwidth -------------------------------------------------------- */

static void bandwidth_amplification_and_control_overhead_come_from_send_rpc(void **state) {
    (void)state;
    world w;
    world_init(&w, 3, 2, 10 * S, 10 * S); /* node 2 is an attacker */
    all_up_and_joined(&w, 2);
    publish(&w, 1 * S, 0, 1);
    for (int i = 0; i < 3; i++) send_rpc(&w, 1 * S, 0, 1, 1100, 1000);
    send_rpc(&w, 2 * S, 1, 0, 100, 0);           /* control only */
    send_rpc(&w, 2 * S, 2, 0, 1000000, 1000000); /* an attacker's bytes do not count */
    deliver(&w, 1 * S + 10 * MS, 1, 1, 0);
    publish(&w, 3 * S, 1, 2);
    deliver(&w, 3 * S + 10 * MS, 0, 2, 1);
    metrics_summary s = finish(&w, 10 * S);
    assert_int_equal(s.bytes_sent, 3400);
    assert_int_equal(s.payload_bytes_sent, 3000);
    assert_int_equal(s.payload_bytes_delivered, 2000);
    /* Two honest nodes online for the whole 10 s. */
    assert_true(s.bandwidth_bytes_per_node_per_s == 3400.0 / 20.0);
    assert_true(s.amplification == 3400.0 / 2000.0);
    assert_true(s.control_overhead == 400.0 / 3000.0);
    metrics_destroy(w.m);
}

static void bandwidth_divides_by_the_time_nodes_were_online(void **state) {
    (void)state;
    world w;
    world_init(&w, 2, 2, 1 * S, 10 * S);
    node_up(&w, 0, 0);
    node_up(&w, 5 * S, 1); /* online for 5 of the 10 s */
    send_rpc(&w, 6 * S, 0, 1, 1500, 0);
    metrics_summary s = finish(&w, 10 * S);
    assert_true(s.bandwidth_bytes_per_node_per_s == 1500.0 / 15.0);
    metrics_destroy(w.m);
}

/* ---- outputs ---------------------------------------------------------- */

/* Two nodes, one second per row, over three seconds. */
static void timeseries_rows_hold_gauges_and_counts_per_interval(void **state) {
    (void)state;
    world w;
    world_init(&w, 2, 2, 1 * S, 3 * S);
    all_up_and_joined(&w, 2);
    publish(&w, 200 * MS, 0, 1);
    peer_event(&w, TRACE_ADD_PEER, 500 * MS, 0, 1);
    peer_event(&w, TRACE_ADD_PEER, 500 * MS, 1, 0);
    send_rpc(&w, 500 * MS, 0, 1, 100, 40);
    deliver(&w, 900 * MS, 1, 1, 0); /* 700 ms */
    duplicate(&w, 1600 * MS, 1, 1, 0);
    emit(&w, (trace_event){.kind = TRACE_GRAFT, .time_ns = 1600 * MS, .node_index = 0, .topic = TOPIC});
    node_down(&w, 2500 * MS, 1);
    peer_event(&w, TRACE_REMOVE_PEER, 2500 * MS, 0, 1);
    finish(&w, 3 * S);
    char path[256], line[LINE_MAX_BYTES];
    temp_path(path, sizeof path, "timeseries.csv");
    assert_int_equal(metrics_write_timeseries_csv(w.m, path), 0);
    assert_int_equal(count_lines(path), 4);
    read_line(path, 0, line, sizeof line);
    assert_string_equal(line, "time_s,online_nodes,connections,mesh_degree_mean,deliveries,duplicates,"
                              "bytes_sent,delivery_ratio,latency_ms_p50,latency_ms_p99,mesh_degree_min,"
                              "mesh_degree_max,mesh_degree_mean_subscribed,control_bytes,payload_bytes_sent,"
                              "ihave_ids,iwant_ids,score_p10,score_p50,score_p90,score_min,attacker_mesh_share");
    read_line(path, 1, line, sizeof line);
    assert_string_equal(line, "1,2,2,0,1,0,100,1,700,700,0,0,0,0,40,0,0,,,,,");
    read_line(path, 2, line, sizeof line);
    assert_string_equal(line, "2,2,2,0.5,0,1,0,,,,0,1,0.5,0,0,0,0,,,,,");
    read_line(path, 3, line, sizeof line);
    assert_string_equal(line, "3,1,0,1,0,0,0,,,,1,1,1,0,0,0,0,,,,,");
    unlink(path);
    metrics_destroy(w.m);
}

static void a_remove_peer_without_add_peer_leaves_connections_alone(void **state) {
    (void)state;
    world w;
    world_init(&w, 3, 3, 1 * S, 1 * S);
    all_up_and_joined(&w, 3);
    peer_event(&w, TRACE_ADD_PEER, 100 * MS, 0, 1);
    peer_event(&w, TRACE_ADD_PEER, 100 * MS, 0, 2);
    peer_event(&w, TRACE_REMOVE_PEER, 200 * MS, 0, 1);
    peer_event(&w, TRACE_REMOVE_PEER, 200 * MS, 0, 1); /* the connection's own, after pubsub's */
    finish(&w, 1 * S);
    char path[256], line[LINE_MAX_BYTES];
    temp_path(path, sizeof path, "connections.csv");
    assert_int_equal(metrics_write_timeseries_csv(w.m, path), 0);
    read_line(path, 1, line, sizeof line);
    assert_string_equal(line, "1,3,1,0,0,0,0,,,,0,0,0,0,0,0,0,,,,,");
    unlink(path);
    metrics_destroy(w.m);
}

static void messages_csv_has_one_row_per_published_message(void **state) {
    (void)state;
    world w;
    world_init(&w, 3, 3, 10 * S, 30 * S);
    all_up_and_joined(&w, 3);
    publish(&w, 1 * S, 0, 1);
    deliver(&w, 1 * S + 10 * MS, 1, 1, 0);
    deliver(&w, 1 * S + 30 * MS, 2, 1, 1);
    duplicate(&w, 1 * S + 40 * MS, 2, 1, 0);
    publish(&w, 25 * S, 1, 2);
    finish(&w, 30 * S);
    char path[256], line[LINE_MAX_BYTES];
    temp_path(path, sizeof path, "messages.csv");
    assert_int_equal(metrics_write_messages_csv(w.m, path), 0);
    assert_int_equal(count_lines(path), 3);
    read_line(path, 1, line, sizeof line);
    assert_string_equal(line, "ab01,blocks,0,1,1000,2,2,10,30,30,1,1");
    read_line(path, 2, line, sizeof line);
    assert_string_equal(line, "ab02,blocks,1,25,1000,,,,,,0,0");
    unlink(path);
    metrics_destroy(w.m);
}

static void latencies_file_lists_every_latency_sorted_in_ms(void **state) {
    (void)state;
    world w;
    world_init(&w, 4, 4, 10 * S, 30 * S);
    all_up_and_joined(&w, 4);
    publish(&w, 1 * S, 0, 1);
    publish(&w, 1 * S, 1, 2);
    deliver(&w, 1 * S + 2 * MS + 1500, 3, 2, 1);
    deliver(&w, 1 * S + 7 * MS, 2, 1, 0);
    deliver(&w, 1 * S + 9 * MS, 0, 2, 1);
    finish(&w, 30 * S);
    char path[256], line[LINE_MAX_BYTES];
    temp_path(path, sizeof path, "latencies.txt");
    assert_int_equal(metrics_write_latencies(w.m, path), 0);
    assert_int_equal(count_lines(path), 3);
    read_line(path, 0, line, sizeof line);
    assert_string_equal(line, "2.001");
    read_line(path, 1, line, sizeof line);
    assert_string_equal(line, "7.000");
    read_line(path, 2, line, sizeof line);
    assert_string_equal(line, "9.000");
    unlink(path);
    metrics_destroy(w.m);
}

static bool file_contains(const char *path, const char *text) {
    static char content[16384];
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    size_t n = fread(content, 1, sizeof content - 1, in);
    content[n] = '\0';
    fclose(in);
    return strstr(content, text) != NULL;
}

static void metrics_json_reports_the_summary_and_the_run(void **state) {
    (void)state;
    world w;
    world_init(&w, 3, 3, 10 * S, 30 * S);
    all_up_and_joined(&w, 3);
    publish(&w, 1 * S, 0, 1);
    deliver(&w, 1 * S + 10 * MS, 1, 1, 0);
    finish(&w, 30 * S);
    const char *keys[] = {"D", "scoring"};
    const char *values[] = {"8", "true"};
    run_info info = {.scenario_name = "churn \"small\"", .seed = 42, .digest_hex = "00ff", .wall_seconds = 0.25,
                     .events_processed = 1234, .router = "floodsub", .parameter_keys = keys,
                     .parameter_values_json = values, .parameter_count = 2};
    char path[256];
    temp_path(path, sizeof path, "metrics.json");
    assert_int_equal(metrics_write_json(w.m, &info, path), 0);
    assert_true(file_contains(path, "\"scenario\": \"churn \\\"small\\\"\",\n  \"seed\": 42,\n"));
    assert_true(file_contains(path, "\"parameters\": {\n    \"D\": 8,\n    \"scoring\": true\n  },\n"));
    assert_true(file_contains(path, "\"delivery_ratio\": 0.5,\n"));
    assert_true(file_contains(path, "\"p50\": 10,\n"));
    assert_true(file_contains(path, "\"wall_seconds\": 0.25,\n"));
    assert_true(file_contains(path, "\"events_processed\": 1234\n}\n"));
    assert_true(file_contains(path, "\"control\": {\n    \"ihave_ids\": 0,\n"));
    assert_false(file_contains(path, "\"scores\"")); /* no peer_score: no scoring */
    unlink(path);
    metrics_destroy(w.m);
}

/* ---- gossipsub: control, mesh range, scores --------------------------- */

static void control_totals_sum_what_honest_nodes_send(void **state) {
    (void)state;
    world w;
    world_init(&w, 3, 2, 10 * S, 10 * S); /* node 2 is an attacker */
    all_up_and_joined(&w, 2);
    send_rpc(&w, 1 * S, 0, 1, 2100, 2000);
    send_control(&w, 1 * S, 0, (trace_event){.ihave_ids = 12, .iwant_ids = 1, .idontwant_ids = 4, .grafts = 2,
                                              .prunes = 1, .control_bytes = 300});
    send_control(&w, 2 * S, 1, (trace_event){.ihave_ids = 3, .iwant_ids = 5, .control_bytes = 200});
    send_control(&w, 2 * S, 2, (trace_event){.ihave_ids = 1000, .control_bytes = 99999}); /* the attacker's */
    emit(&w, (trace_event){.kind = TRACE_RECV_RPC, .time_ns = 2 * S, .node_index = 0, .ihave_ids = 7,
                           .control_bytes = 70}); /* received, not sent */
    metrics_summary s = finish(&w, 10 * S);
    assert_int_equal(s.ihave_ids_sent, 15);
    assert_int_equal(s.iwant_ids_sent, 6);
    assert_int_equal(s.idontwant_ids_sent, 4);
    assert_int_equal(s.grafts_sent, 2);
    assert_int_equal(s.prunes_sent, 1);
    assert_int_equal(s.control_bytes_sent, 500);
    assert_true(s.control_bytes_per_payload_byte == 500.0 / 2000.0);
    assert_true(s.control_overhead == (2100.0 + 310 + 210 - 2000) / 2000.0); /* still every non-payload byte */
    run_info info = {.scenario_name = "c", .digest_hex = "00", .router = "gossipsub"};
    char path[256];
    temp_path(path, sizeof path, "control.json");
    assert_int_equal(metrics_write_json(w.m, &info, path), 0);
    assert_true(file_contains(path, "  \"control\": {\n    \"ihave_ids\": 15,\n    \"iwant_ids\": 6,\n"
                                    "    \"idontwant_ids\": 4,\n    \"grafts\": 2,\n    \"prunes\": 1,\n"
                                    "    \"control_bytes\": 500,\n    \"control_bytes_per_payload_byte\": 0.25\n  },\n"));
    unlink(path);
    metrics_destroy(w.m);
}

static void control_columns_count_the_rows_control_traffic(void **state) {
    (void)state;
    world w;
    world_init(&w, 2, 2, 1 * S, 2 * S);
    all_up_and_joined(&w, 2);
    send_control(&w, 100 * MS, 0, (trace_event){.ihave_ids = 2, .iwant_ids = 1, .control_bytes = 50});
    send_control(&w, 900 * MS, 1, (trace_event){.ihave_ids = 3, .control_bytes = 70});
    send_rpc(&w, 1500 * MS, 0, 1, 600, 500);
    send_control(&w, 1500 * MS, 0, (trace_event){.iwant_ids = 4, .control_bytes = 20});
    finish(&w, 2 * S);
    char path[256], line[LINE_MAX_BYTES];
    temp_path(path, sizeof path, "control.csv");
    assert_int_equal(metrics_write_timeseries_csv(w.m, path), 0);
    read_line(path, 1, line, sizeof line);
    assert_string_equal(line, "1,2,0,0,0,0,140,,,,0,0,0,120,0,5,1,,,,,");
    read_line(path, 2, line, sizeof line);
    assert_string_equal(line, "2,2,0,0,0,0,630,,,,0,0,0,20,500,0,4,,,,,");
    unlink(path);
    metrics_destroy(w.m);
}

/* Four nodes; node 3 is online but subscribes to nothing, so it is out of
 * min, max and the subscribed mean, but in the plain mean. */
static void mesh_degree_range_covers_online_subscribed_nodes(void **state) {
    (void)state;
    world w;
    world_init(&w, 4, 4, 1 * S, 3 * S);
    all_up_and_joined(&w, 3);
    node_up(&w, 0, 3);
    for (int i = 0; i < 3; i++) graft(&w, 100 * MS, 0);
    graft(&w, 100 * MS, 1);
    graft(&w, 100 * MS, 2);
    graft(&w, 100 * MS, 2);
    graft(&w, 200 * MS, 3); /* a relay's graft: in the plain mean only */
    prune(&w, 200 * MS, 3);
    emit(&w, (trace_event){.kind = TRACE_LEAVE, .time_ns = 1500 * MS, .node_index = 2, .topic = TOPIC});
    node_down(&w, 2500 * MS, 0);
    node_down(&w, 2500 * MS, 1);
    finish(&w, 3 * S);
    char path[256], line[LINE_MAX_BYTES];
    temp_path(path, sizeof path, "mesh.csv");
    assert_int_equal(metrics_write_timeseries_csv(w.m, path), 0);
    read_line(path, 1, line, sizeof line); /* degrees 3, 1, 2 and the relay's 0 */
    assert_string_equal(line, "1,4,0,1.5,0,0,0,,,,1,3,2,0,0,0,0,,,,,");
    read_line(path, 2, line, sizeof line); /* node 2 left its topic: 3 and 1 */
    assert_string_equal(line, "2,4,0,1.5,0,0,0,,,,1,3,2,0,0,0,0,,,,,");
    read_line(path, 3, line, sizeof line); /* no subscribed node online: empty cells */
    assert_string_equal(line, "3,2,0,1,0,0,0,,,,,,,0,0,0,0,,,,,");
    unlink(path);
    metrics_destroy(w.m);
}

/* Nodes 0-2 are honest, node 3 an attacker. Row 1 has ten honest scores,
 * row 2 none, row 3 three; the attacker's scores and scores of it are out. */
static world scored_world(void) {
    world w;
    world_init(&w, 4, 3, 1 * S, 3 * S);
    all_up_and_joined(&w, 3);
    node_up(&w, 0, 3);
    const double first[] = {-2.5, 7, 0.5, 3, -1, 10, 4, 8, 2, 6};
    for (uint32_t i = 0; i < 10; i++) score(&w, 500 * MS, i % 3, (i + 1) % 3, first[i]);
    score(&w, 500 * MS, 0, 3, -100); /* of the attacker */
    score(&w, 500 * MS, 3, 0, -200); /* by the attacker */
    score(&w, 2500 * MS, 0, 1, 7);
    score(&w, 2500 * MS, 1, 2, 5);
    score(&w, 2500 * MS, 2, 0, 6);
    score(&w, 2600 * MS, 1, 0, NAN); /* not a score a percentile can use */
    return w;
}

static void score_columns_are_nearest_rank_percentiles_of_honest_scores(void **state) {
    (void)state;
    world w = scored_world();
    finish(&w, 3 * S);
    char path[256], line[LINE_MAX_BYTES];
    temp_path(path, sizeof path, "scores.csv");
    assert_int_equal(metrics_write_timeseries_csv(w.m, path), 0);
    /* Sorted: -2.5 -1 0.5 2 3 4 6 7 8 10; ranks 1, 5 and 9 of 10. */
    read_line(path, 1, line, sizeof line);
    assert_string_equal(line, "1,3,0,0,0,0,0,,,,0,0,0,0,0,0,0,-2.5,3,8,-2.5,");
    read_line(path, 2, line, sizeof line);
    assert_string_equal(line, "2,3,0,0,0,0,0,,,,0,0,0,0,0,0,0,,,,,");
    read_line(path, 3, line, sizeof line); /* 5 6 7: ranks 1, 2 and 3 of 3 */
    assert_string_equal(line, "3,3,0,0,0,0,0,,,,0,0,0,0,0,0,0,5,6,7,5,");
    unlink(path);
    metrics_destroy(w.m);
}

static void the_score_summary_is_the_last_row_with_honest_scores(void **state) {
    (void)state;
    world w = scored_world();
    metrics_summary s = finish(&w, 3 * S);
    assert_int_equal(s.peer_score_events, 16);
    assert_int_equal(s.score_samples, 3);
    assert_true(s.score_p10 == 5);
    assert_true(s.score_p50 == 6);
    assert_true(s.score_min == 5);
    run_info info = {.scenario_name = "s", .digest_hex = "00", .router = "gossipsub"};
    char path[256];
    temp_path(path, sizeof path, "scores.json");
    assert_int_equal(metrics_write_json(w.m, &info, path), 0);
    assert_true(file_contains(path, "  \"scores\": {\n    \"samples\": 3,\n    \"honest_p10\": 5,\n"
                                    "    \"honest_p50\": 6,\n    \"honest_min\": 5\n  },\n  \"counts\""));
    unlink(path);
    metrics_destroy(w.m);
}

/* Scoring on, but every score is of the attacker: the object says so. */
static void scores_of_attackers_only_give_zero_samples(void **state) {
    (void)state;
    world w;
    world_init(&w, 2, 1, 1 * S, 1 * S);
    all_up_and_joined(&w, 1);
    node_up(&w, 0, 1);
    score(&w, 100 * MS, 0, 1, -50);
    metrics_summary s = finish(&w, 1 * S);
    assert_int_equal(s.peer_score_events, 1);
    assert_int_equal(s.score_samples, 0);
    run_info info = {.scenario_name = "a", .digest_hex = "00", .router = "gossipsub"};
    char path[256];
    temp_path(path, sizeof path, "attacker-scores.json");
    assert_int_equal(metrics_write_json(w.m, &info, path), 0);
    assert_true(file_contains(path, "  \"scores\": {\n    \"samples\": 0\n  },\n"));
    unlink(path);
    metrics_destroy(w.m);
}

/* More scores in one row than the metrics keep (1M): a uniform reservoir
 * stands for them. 0, 1/N, ..., (N-1)/N in a scrambled order: min and
 * count stay exact, the percentiles land within sampling error of 0.1
 * and 0.5, and the same input gives the same output. */
#define MANY_SCORES (3u << 19)
#define SCORE_STRIDE 1000003u /* coprime with MANY_SCORES: a permutation */

static metrics_summary many_scores(void) {
    world w;
    world_init(&w, 2, 2, 1 * S, 1 * S);
    all_up_and_joined(&w, 2);
    for (uint32_t i = 0; i < MANY_SCORES; i++)
        score(&w, 500 * MS, 0, 1, (double)((uint64_t)i * SCORE_STRIDE % MANY_SCORES) / MANY_SCORES);
    metrics_summary s = finish(&w, 1 * S);
    metrics_destroy(w.m);
    return s;
}

static void a_crowded_row_keeps_a_uniform_reservoir_of_scores(void **state) {
    (void)state;
    metrics_summary a = many_scores(), b = many_scores();
    assert_int_equal(a.score_samples, MANY_SCORES);
    assert_true(a.score_min == 0);
    assert_true(fabs(a.score_p10 - 0.1) < 0.002);
    assert_true(fabs(a.score_p50 - 0.5) < 0.002);
    assert_true(a.score_p10 == b.score_p10);
    assert_true(a.score_p50 == b.score_p50);
}

/* ---- attacks ---------------------------------------------------------- */

/* Honest nodes 0-4, attacker 5; the attack starts at 10 s, the deadline is
 * 5 s, the run 30 s long (messages after 25 s are cut off). */
static void messages_split_at_the_attack_start_into_before_and_during(void **state) {
    (void)state;
    world w;
    world_init_attack(&w, 6, 5, 5 * S, 30 * S, 10 * S);
    all_up_and_joined(&w, 5);
    node_up(&w, 0, 5);
    publish(&w, 2 * S, 0, 1); /* before: 2 of 4 eligible, 100 and 300 ms */
    deliver(&w, 2 * S + 100 * MS, 1, 1, 0);
    deliver(&w, 2 * S + 300 * MS, 2, 1, 0);
    publish(&w, 10 * S, 1, 2); /* at the start: during; 4 of 4 */
    const uint32_t receivers[] = {0, 2, 3, 4}; /* after 50, 70, 90, 110 ms */
    for (uint32_t i = 0; i < 4; i++) deliver(&w, 10 * S + (50 + 20 * i) * MS, receivers[i], 2, 1);
    publish(&w, 12 * S, 0, 3);          /* 1 of 4 on time */
    publish(&w, 12 * S, 5, 9);          /* the attacker's: no honest message */
    deliver(&w, 12 * S + 20 * MS, 1, 3, 0);
    deliver(&w, 20 * S, 2, 3, 0);       /* 8000 ms: late, but a latency */
    publish(&w, 26 * S, 0, 4);          /* cut off: out of the ratio */
    deliver(&w, 26 * S + 10 * MS, 1, 4, 0);
    metrics_summary s = finish(&w, 30 * S);
    assert_true(s.attack);
    assert_int_equal(s.attack_messages_before, 1);
    assert_int_equal(s.attack_messages_in_ratio_before, 1);
    assert_int_equal(s.attack_eligible_pairs_before, 4);
    assert_int_equal(s.attack_delivered_pairs_before, 2);
    assert_true(s.attack_delivery_ratio_before == 0.5);
    assert_true(s.attack_latency_ms_p50_before == 100.0); /* rank 1 of 2 */
    assert_true(s.attack_latency_ms_p99_before == 300.0);
    assert_int_equal(s.attack_messages_during, 3);
    assert_int_equal(s.attack_messages_in_ratio_during, 2);
    assert_int_equal(s.attack_eligible_pairs_during, 8);
    assert_int_equal(s.attack_delivered_pairs_during, 5);
    assert_true(s.attack_delivery_ratio_during == 0.625);
    /* 10 20 50 70 90 110 8000: ranks 4 and 7 of 7. */
    assert_true(s.attack_latency_ms_p50_during == 70.0);
    assert_true(s.attack_latency_ms_p99_during == 8000.0);
    assert_int_equal(s.eligible_pairs, 12); /* the overall figures are the sums */
    assert_int_equal(s.delivered_pairs, 7);
    run_info info = {.scenario_name = "split", .digest_hex = "00", .router = "gossipsub"};
    char path[256];
    temp_path(path, sizeof path, "split.json");
    assert_int_equal(metrics_write_json(w.m, &info, path), 0);
    assert_true(file_contains(path, "  \"attack\": {\n    \"start_s\": 10,\n    \"before\": {\n"
                                    "      \"messages\": 1,\n      \"messages_in_ratio\": 1,\n"
                                    "      \"eligible_pairs\": 4,\n      \"delivered_pairs\": 2,\n"
                                    "      \"delivery_ratio\": 0.5,\n      \"latency_ms\": {\n"
                                    "        \"p50\": 100,\n        \"p99\": 300\n      }\n    },\n"
                                    "    \"during\": {\n      \"messages\": 3,\n"));
    unlink(path);
    metrics_destroy(w.m);
}

/* Honest 0-2, attackers 3 and 4; the attack starts at 2 s, rows end at
 * 1, 2, 3, 4 and 5 s. Node 0's mesh is all attackers from 0.5 s; node 1's
 * is a mix from 2.5 s and all attackers from 3.2 s; node 2 has an honest
 * mesh. At 4.5 s node 0 goes down and node 1 takes an honest peer back. */
static world occupied_world(void) {
    world w;
    world_init_attack(&w, 5, 3, 1 * S, 5 * S, 2 * S);
    all_up_and_joined(&w, 3);
    node_up(&w, 0, 3);
    node_up(&w, 0, 4);
    mesh_event(&w, TRACE_GRAFT, 500 * MS, 0, 3);
    mesh_event(&w, TRACE_GRAFT, 500 * MS, 0, 4);
    mesh_event(&w, TRACE_GRAFT, 2500 * MS, 1, 2);
    mesh_event(&w, TRACE_GRAFT, 2500 * MS, 1, 3);
    mesh_event(&w, TRACE_GRAFT, 2500 * MS, 2, 1);
    mesh_event(&w, TRACE_PRUNE, 3200 * MS, 1, 2);
    mesh_event(&w, TRACE_PRUNE, 3300 * MS, 2, 4); /* not in its mesh: nothing */
    node_down(&w, 4500 * MS, 0);
    mesh_event(&w, TRACE_GRAFT, 4500 * MS, 1, 2);
    return w;
}

static void mesh_occupation_counts_nodes_whose_mesh_is_all_attackers(void **state) {
    (void)state;
    world w = occupied_world();
    metrics_summary s = finish(&w, 5 * S);
    /* Rows ending at 3, 4, 5 s: 1 of 3, 2 of 3, 0 of 2 occupied. The rows
     * ending at 1 and 2 s (1 of 3) end before the attack is under way. */
    assert_true(s.attack_mesh_occupied_share_max == 2.0 / 3.0);
    assert_true(s.attack_mesh_occupied_share_final == 0.0);
    metrics_destroy(w.m);
}

static void attacker_mesh_share_is_the_mean_share_over_nodes_with_a_mesh(void **state) {
    (void)state;
    world w = occupied_world();
    finish(&w, 5 * S);
    char path[256], line[LINE_MAX_BYTES];
    temp_path(path, sizeof path, "occupied.csv");
    assert_int_equal(metrics_write_timeseries_csv(w.m, path), 0);
    /* Node shares per row: (1), (1), (1, 1/2, 0), (1, 1, 0), (1/2, 0). */
    const char *const expected[] = {",1", ",1", ",0.5", ",0.6666666666666666", ",0.25"};
    for (int row = 0; row < 5; row++) {
        read_line(path, row + 1, line, sizeof line);
        assert_string_equal(strrchr(line, ','), expected[row]);
    }
    unlink(path);
    metrics_destroy(w.m);
}

/* A graft before the start that is pruned exactly at the start: the row
 * that ends at the start shows the state before it, and is left out. */
static void occupation_before_the_attack_start_is_left_out_of_the_max(void **state) {
    (void)state;
    world w;
    world_init_attack(&w, 2, 1, 1 * S, 3 * S, 2 * S);
    all_up_and_joined(&w, 1);
    node_up(&w, 0, 1);
    mesh_event(&w, TRACE_GRAFT, 500 * MS, 0, 1);
    mesh_event(&w, TRACE_PRUNE, 2 * S, 0, 1);
    metrics_summary s = finish(&w, 3 * S);
    assert_true(s.attack_mesh_occupied_share_max == 0.0);
    assert_true(s.attack_mesh_occupied_share_final == 0.0);
    metrics_destroy(w.m);
}

/* A node that goes down comes back with an empty mesh: not occupied, and
 * out of attacker_mesh_share. Honest 0, attacker 1, attacking from 0. */
static void a_node_that_comes_back_has_an_empty_mesh(void **state) {
    (void)state;
    world w;
    world_init_attack(&w, 2, 1, 1 * S, 2 * S, 0);
    all_up_and_joined(&w, 1);
    node_up(&w, 0, 1);
    mesh_event(&w, TRACE_GRAFT, 500 * MS, 0, 1);
    node_down(&w, 1500 * MS, 0);
    node_up(&w, 1600 * MS, 0);
    join(&w, 1600 * MS, 0);
    metrics_summary s = finish(&w, 2 * S);
    assert_true(s.attack_mesh_occupied_share_max == 1.0); /* the row ending at 1 s */
    assert_true(s.attack_mesh_occupied_share_final == 0.0);
    char path[256], line[LINE_MAX_BYTES];
    temp_path(path, sizeof path, "comes-back.csv");
    assert_int_equal(metrics_write_timeseries_csv(w.m, path), 0);
    read_line(path, 1, line, sizeof line);
    assert_string_equal(strrchr(line, ','), ",1");
    read_line(path, 2, line, sizeof line);
    assert_string_equal(strrchr(line, ','), ","); /* no node with a mesh: empty */
    unlink(path);
    metrics_destroy(w.m);
}

/* Honest 0-2, attackers 3-6, the attack from 10 s. Attacker 3 is first
 * graylisted at 11 s, 5 at 13 s, 4 at 15 s; 6 never. */
static void time_to_graylist_is_the_median_and_max_over_graylisted_attackers(void **state) {
    (void)state;
    world w;
    world_init_attack(&w, 7, 3, 1 * S, 20 * S, 10 * S);
    all_up_and_joined(&w, 3);
    for (uint32_t i = 3; i < 7; i++) node_up(&w, 0, i);
    drop_rpc(&w, 10500 * MS, 0, 5, "queue full"); /* not a graylisting */
    drop_rpc(&w, 11 * S, 1, 3, "graylisted");
    drop_rpc(&w, 12 * S, 0, 2, "graylisted"); /* an honest peer */
    drop_rpc(&w, 12 * S, 6, 0, "graylisted"); /* at an attacker */
    drop_rpc(&w, 13 * S, 2, 5, "graylisted");
    drop_rpc(&w, 15 * S, 0, 4, "graylisted");
    drop_rpc(&w, 16 * S, 0, 3, "graylisted"); /* 3 again: its first, at 11 s, stands */
    metrics_summary s = finish(&w, 20 * S);
    assert_int_equal(s.attack_attackers, 4);
    assert_int_equal(s.attack_attackers_graylisted, 3);
    assert_true(s.attack_time_to_graylist_s_median == 3.0); /* of 1, 3, 5 s */
    assert_true(s.attack_time_to_graylist_s_max == 5.0);
    run_info info = {.scenario_name = "g", .digest_hex = "00", .router = "gossipsub"};
    char path[256];
    temp_path(path, sizeof path, "graylist.json");
    assert_int_equal(metrics_write_json(w.m, &info, path), 0);
    assert_true(file_contains(path, "    \"attackers\": 4,\n    \"attackers_graylisted\": 3,\n"
                                    "    \"time_to_graylist_s_median\": 3,\n    \"time_to_graylist_s_max\": 5,\n"));
    unlink(path);
    metrics_destroy(w.m);
}

/* Honest 0 and 1, attacker 2; no attacker is graylisted. */
static void attack_bytes_sum_send_rpc_of_attackers_and_of_honest_nodes(void **state) {
    (void)state;
    world w;
    world_init_attack(&w, 3, 2, 1 * S, 10 * S, 0);
    all_up_and_joined(&w, 2);
    node_up(&w, 0, 2);
    send_rpc(&w, 1 * S, 0, 1, 1000, 0);
    send_rpc(&w, 1 * S, 1, 0, 500, 0);
    send_rpc(&w, 2 * S, 2, 0, 4500, 4000);
    send_rpc(&w, 3 * S, 2, 1, 1500, 0);
    emit(&w, (trace_event){.kind = TRACE_RECV_RPC, .time_ns = 3 * S, .node_index = 2, .size_bytes = 999});
    /* Peer exchange refused at honest node 0 counts; at the attacker, and
     * other drops, do not. */
    emit(&w, (trace_event){.kind = TRACE_DROP_RPC, .time_ns = 4 * S, .node_index = 0, .prunes = 1,
                           .reason = "px from an inbound peer without scoring"});
    emit(&w, (trace_event){.kind = TRACE_DROP_RPC, .time_ns = 4 * S, .node_index = 2, .prunes = 1,
                           .reason = "px dials in flight"});
    emit(&w, (trace_event){.kind = TRACE_DROP_RPC, .time_ns = 4 * S, .node_index = 1, .reason = "send queue full"});
    metrics_summary s = finish(&w, 10 * S);
    assert_int_equal(s.attack_px_refused, 1);
    assert_int_equal(s.attack_attacker_bytes, 6000);
    assert_int_equal(s.attack_honest_bytes, 1500);
    assert_true(s.attack_attacker_bytes_per_honest_byte == 4.0);
    run_info info = {.scenario_name = "b", .digest_hex = "00", .router = "gossipsub"};
    char path[256];
    temp_path(path, sizeof path, "bytes.json");
    assert_int_equal(metrics_write_json(w.m, &info, path), 0);
    assert_true(file_contains(path, "    \"attackers_graylisted\": 0,\n    \"time_to_graylist_s_median\": null,\n"
                                    "    \"time_to_graylist_s_max\": null,\n    \"attacker_bytes\": 6000,\n"
                                    "    \"honest_bytes\": 1500,\n    \"attacker_bytes_per_honest_byte\": 4,\n"
                                    "    \"px_refused\": 1\n  },\n  \"counts\""));
    unlink(path);
    metrics_destroy(w.m);
}

/* Attackers, grafts of them and their bytes, but a zeroed config says no
 * attack: no "attack" object, no attack_ figures, empty share cells. */
static void a_run_without_an_attack_writes_no_attack_measures(void **state) {
    (void)state;
    world w;
    world_init(&w, 3, 2, 1 * S, 2 * S);
    all_up_and_joined(&w, 2);
    node_up(&w, 0, 2);
    mesh_event(&w, TRACE_GRAFT, 500 * MS, 0, 2);
    send_rpc(&w, 1 * S, 2, 0, 4500, 0);
    drop_rpc(&w, 1 * S, 0, 2, "graylisted");
    metrics_summary s = finish(&w, 2 * S);
    assert_false(s.attack);
    assert_int_equal(s.attack_attacker_bytes, 0);
    assert_int_equal(s.attack_attackers, 0);
    assert_true(s.attack_mesh_occupied_share_max == 0.0);
    run_info info = {.scenario_name = "n", .digest_hex = "00", .router = "gossipsub"};
    char path[256], line[LINE_MAX_BYTES];
    temp_path(path, sizeof path, "no-attack.json");
    assert_int_equal(metrics_write_json(w.m, &info, path), 0);
    assert_false(file_contains(path, "\"attack\""));
    unlink(path);
    temp_path(path, sizeof path, "no-attack.csv");
    assert_int_equal(metrics_write_timeseries_csv(w.m, path), 0);
    read_line(path, 1, line, sizeof line);
    assert_string_equal(line, "1,2,0,0.5,0,0,0,,,,0,1,0.5,0,0,0,0,,,,,");
    unlink(path);
    metrics_destroy(w.m);
}

/* A replay past the seen cache: node 1 delivers message 0 twice; only the
 * first counts for ratio and latency, the second is a redelivery. */
static void a_second_delivery_of_a_message_is_a_redelivery(void **state) {
    (void)state;
    world w;
    world_init(&w, 3, 3, 10 * S, 200 * S);
    all_up_and_joined(&w, 3);
    publish(&w, 1 * S, 0, 0);
    deliver(&w, 1 * S + 100 * MS, 1, 0, 0);
    deliver(&w, 1 * S + 200 * MS, 2, 0, 1);
    deliver(&w, 130 * S, 1, 0, 2); /* the replay */
    metrics_summary s = finish(&w, 200 * S);
    assert_int_equal(s.deliveries, 3);
    assert_int_equal(s.redeliveries, 1);
    assert_int_equal(s.delivered_pairs, 2);
    assert_true(s.latency_ms_max == 200.0);
    metrics_destroy(w.m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_node_offline_during_the_window_is_not_eligible),
        cmocka_unit_test(a_second_delivery_of_a_message_is_a_redelivery),
        cmocka_unit_test(a_node_that_subscribes_after_the_publish_is_not_eligible),
        cmocka_unit_test(a_delivery_after_the_deadline_is_late_but_sets_latency_max),
        cmocka_unit_test(messages_whose_window_outlasts_the_run_are_left_out_of_the_ratio),
        cmocka_unit_test(nothing_eligible_gives_a_ratio_of_one),
        cmocka_unit_test(latency_percentiles_are_nearest_rank),
        cmocka_unit_test(latency_percentiles_of_a_small_set_round_the_rank_up),
        cmocka_unit_test(duplicates_per_delivery_leaves_out_the_publishers_own),
        cmocka_unit_test(hops_follow_the_chain_of_first_senders),
        cmocka_unit_test(a_delivery_from_an_attacker_has_no_hop_count),
        cmocka_unit_test(bandwidth_amplification_and_control_overhead_come_from_send_rpc),
        cmocka_unit_test(bandwidth_divides_by_the_time_nodes_were_online),
        cmocka_unit_test(timeseries_rows_hold_gauges_and_counts_per_interval),
        cmocka_unit_test(a_remove_peer_without_add_peer_leaves_connections_alone),
        cmocka_unit_test(messages_csv_has_one_row_per_published_message),
        cmocka_unit_test(latencies_file_lists_every_latency_sorted_in_ms),
        cmocka_unit_test(metrics_json_reports_the_summary_and_the_run),
        cmocka_unit_test(control_totals_sum_what_honest_nodes_send),
        cmocka_unit_test(control_columns_count_the_rows_control_traffic),
        cmocka_unit_test(mesh_degree_range_covers_online_subscribed_nodes),
        cmocka_unit_test(score_columns_are_nearest_rank_percentiles_of_honest_scores),
        cmocka_unit_test(the_score_summary_is_the_last_row_with_honest_scores),
        cmocka_unit_test(scores_of_attackers_only_give_zero_samples),
        cmocka_unit_test(a_crowded_row_keeps_a_uniform_reservoir_of_scores),
        cmocka_unit_test(messages_split_at_the_attack_start_into_before_and_during),
        cmocka_unit_test(mesh_occupation_counts_nodes_whose_mesh_is_all_attackers),
        cmocka_unit_test(attacker_mesh_share_is_the_mean_share_over_nodes_with_a_mesh),
        cmocka_unit_test(occupation_before_the_attack_start_is_left_out_of_the_max),
        cmocka_unit_test(a_node_that_comes_back_has_an_empty_mesh),
        cmocka_unit_test(time_to_graylist_is_the_median_and_max_over_graylisted_attackers),
        cmocka_unit_test(attack_bytes_sum_send_rpc_of_attackers_and_of_honest_nodes),
        cmocka_unit_test(a_run_without_an_attack_writes_no_attack_measures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
