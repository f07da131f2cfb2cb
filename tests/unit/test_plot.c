/*
 * test_plot: plot_run (analysis/plot.h) draws the plots of a run as PNG
 * and SVG with gnuplot, from the files metrics writes: five for every run,
 * and mesh, scores and control for a gossipsub run that has their data.
 * The tests skip, saying why, where gnuplot is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/time_units.h"
#include "crypto/identity.h"
#include "metrics.h"
#include "plot.h"

#define S NS_PER_S
#define MS NS_PER_MS
#define NODES 20
#define PATH_BYTES 512
#define ERR_BYTES 1024

static const char *const plot_names[] = {"latency_cdf", "delivery", "duplicates", "bandwidth",
                                         "online",      "mesh",     "scores",     "control"};
#define PLOT_NAMES (sizeof plot_names / sizeof plot_names[0])
#define PLOTS_EVERY_RUN 5 /* the first five names */
#define PLOT_MESH 5
#define PLOT_SCORES 6
#define PLOT_CONTROL 7
#define SCORE_SAMPLE_S 5 /* nodes sample scores less often than rows go by */

/* What a sample run has beyond floodsub's. */
typedef struct run_shape {
    bool messages;
    bool gossip;  /* grafts and control traffic */
    bool scoring; /* peer_score samples */
} run_shape;

static void make_run_dir(char *dir, size_t cap) {
    snprintf(dir, cap, "/tmp/swarmlab-test-plot-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void path_in(char *out, size_t cap, const char *dir, const char *name) {
    assert_true((size_t)snprintf(out, cap, "%s/%s", dir, name) < cap);
}

/* Removes what a run folder may hold, then the folder. */
static void remove_run_dir(const char *dir) {
    static const char *const suffixes[] = {".png", ".svg", ".gp"};
    char path[PATH_BYTES], name[64];
    for (size_t i = 0; i < PLOT_NAMES; i++)
        for (size_t k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "%s%s", plot_names[i], suffixes[k]);
            path_in(path, sizeof path, dir, name);
            unlink(path);
        }
    const char *const others[] = {"plots.log",         "timeseries.csv",        "latencies.txt",        "messages.csv",
                                  "latency_by_region.csv", "latency_by_region.gp", "latency_by_region.png",
                                  "latency_by_region.svg"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        path_in(path, sizeof path, dir, others[i]);
        unlink(path);
    }
    assert_int_equal(rmdir(dir), 0);
}

static peer_id test_peer(uint32_t n);
static void emit_message(metrics *m, const peer_id *peers, uint8_t k);
static void emit(metrics *m, trace_event e);

/* The sample run's messages, with its nodes in two regions (even, odd),
 * written as latency_by_region.csv. */
static void write_regions_csv(const char *dir) {
    static const char *const names[] = {"east", "west"};
    uint32_t of[NODES];
    for (uint32_t i = 0; i < NODES; i++) of[i] = i % 2;
    metrics_config config = {.node_count = NODES, .honest_count = NODES, .deadline_ns = 5 * S, .sample_ns = 1 * S,
                             .duration_ns = 30 * S, .regions = {.count = 2, .names = names, .of = of}};
    metrics *m = metrics_create(&config);
    assert_non_null(m);
    peer_id peers[NODES];
    for (uint32_t i = 0; i < NODES; i++) {
        peers[i] = test_peer(i);
        emit(m, (trace_event){.kind = TRACE_NODE_UP, .node_index = i, .peer = peers[i].bytes, .peer_len = peers[i].len});
        emit(m, (trace_event){.kind = TRACE_JOIN, .node_index = i, .topic = "blocks"});
    }
    for (uint8_t k = 0; k < 5; k++) emit_message(m, peers, k);
    metrics_finish(m, 30 * S);
    char path[PATH_BYTES];
    path_in(path, sizeof path, dir, METRICS_REGIONS_CSV);
    assert_int_equal(metrics_write_regions_csv(m, path), 0);
    metrics_destroy(m);
}

static peer_id test_peer(uint32_t n) {
    uint8_t seed[IDENTITY_SEED_BYTES] = {(uint8_t)n, 0x33};
    identity id;
    identity_from_seed(&id, seed);
    peer_id peer;
    peer_id_from_public_key(id.public_key, &peer);
    identity_wipe(&id);
    return peer;
}

static void emit(metrics *m, trace_event e) { metrics_on_event(m, &e); }

/* Second t of the gossip: every node grafts 4 peers at 1 s and one more
 * at 10 s, node 0 prunes one at 20 s; each node sends IHAVE and IWANT
 * every second; with scoring, node i rates node i + 1 every
 * SCORE_SAMPLE_S seconds. Events go in time order, as metrics wants. */
static void emit_gossip_second(metrics *m, const peer_id *peers, run_shape shape, uint64_t t) {
    if (!shape.gossip) return;
    for (uint32_t i = 0; (t == 1 || t == 10) && i < NODES; i++)
        for (int k = 0; k < (t == 1 ? 4 : 1); k++)
            emit(m, (trace_event){.kind = TRACE_GRAFT, .time_ns = t * S, .node_index = i, .topic = "blocks"});
    if (t == 20) emit(m, (trace_event){.kind = TRACE_PRUNE, .time_ns = t * S, .topic = "blocks"});
    for (uint32_t i = 0; shape.scoring && t % SCORE_SAMPLE_S == 0 && i < NODES; i++)
        emit(m, (trace_event){.kind = TRACE_PEER_SCORE, .time_ns = t * S + 200 * MS, .node_index = i,
                              .peer = peers[(i + 1) % NODES].bytes, .peer_len = peers[(i + 1) % NODES].len,
                              .score = (double)t - (double)i / 4.0});
    for (uint32_t i = 0; t > 0 && i < NODES; i++)
        emit(m, (trace_event){.kind = TRACE_SEND_RPC, .time_ns = t * S + 500 * MS, .node_index = i,
                              .size_bytes = 400, .ihave_ids = 10 + (uint32_t)t, .iwant_ids = 2,
                              .control_bytes = 380});
}

/* Message k published at k + 1 s, node i getting it after (i + 1) * 7 ms
 * from node i - 1, every third delivery followed by a duplicate. */
static void emit_message(metrics *m, const peer_id *peers, uint8_t k) {
    uint8_t id[2] = {0x42, k};
    uint64_t t0 = (uint64_t)(k + 1) * S;
    trace_event e = {.kind = TRACE_PUBLISH_MESSAGE, .time_ns = t0, .msg_id = id, .msg_id_len = 2,
                     .topic = "blocks", .size_bytes = 1024};
    emit(m, e);
    for (uint32_t i = 1; i < NODES; i++) {
        e.kind = TRACE_DELIVER_MESSAGE;
        e.time_ns = t0 + (i + 1) * 7 * MS;
        e.node_index = i;
        e.peer = peers[i - 1].bytes;
        e.peer_len = peers[i - 1].len;
        emit(m, e);
        emit(m, (trace_event){.kind = TRACE_SEND_RPC, .time_ns = e.time_ns, .node_index = i - 1,
                              .size_bytes = 1100, .payload_bytes = 1024, .message_count = 1});
        e.kind = TRACE_DUPLICATE_MESSAGE;
        if (i % 3 == 0) emit(m, e);
    }
}

/* A 20-node run over 30 s: with messages, one a second for 25 s; node 5
 * goes down at 20 s; with gossip, mesh, control and maybe scores. */
static void write_sample_run(const char *dir, run_shape shape) {
    peer_id peers[NODES];
    metrics_config config = {.node_count = NODES, .honest_count = NODES, .deadline_ns = 5 * S,
                             .sample_ns = 1 * S, .duration_ns = 30 * S};
    metrics *m = metrics_create(&config);
    assert_non_null(m);
    for (uint32_t i = 0; i < NODES; i++) {
        peers[i] = test_peer(i);
        emit(m, (trace_event){.kind = TRACE_NODE_UP, .node_index = i, .peer = peers[i].bytes, .peer_len = peers[i].len});
        emit(m, (trace_event){.kind = TRACE_JOIN, .node_index = i, .topic = "blocks"});
    }
    for (uint64_t t = 0; t < 30; t++) {
        if (shape.messages && t >= 1 && t <= 25) emit_message(m, peers, (uint8_t)(t - 1));
        emit_gossip_second(m, peers, shape, t);
        if (t == 20) emit(m, (trace_event){.kind = TRACE_NODE_DOWN, .time_ns = t * S + 900 * MS, .node_index = 5});
    }
    metrics_finish(m, 30 * S);
    char path[PATH_BYTES];
    path_in(path, sizeof path, dir, "timeseries.csv");
    assert_int_equal(metrics_write_timeseries_csv(m, path), 0);
    path_in(path, sizeof path, dir, "latencies.txt");
    assert_int_equal(metrics_write_latencies(m, path), 0);
    metrics_destroy(m);
}

/* Plot `index` was drawn as PNG and SVG, or neither file exists. */
static void assert_plot(const char *dir, size_t index, bool drawn) {
    char path[PATH_BYTES], name[64];
    for (int svg = 0; svg <= 1; svg++) {
        struct stat st;
        snprintf(name, sizeof name, "%s.%s", plot_names[index], svg ? "svg" : "png");
        path_in(path, sizeof path, dir, name);
        if (!drawn) {
            assert_int_equal(stat(path, &st), -1);
            continue;
        }
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size > 0);
    }
}

static void assert_plots_drawn(const char *dir, bool mesh, bool scores, bool control) {
    for (size_t i = 0; i < PLOTS_EVERY_RUN; i++) assert_plot(dir, i, true);
    assert_plot(dir, PLOT_MESH, mesh);
    assert_plot(dir, PLOT_SCORES, scores);
    assert_plot(dir, PLOT_CONTROL, control);
}

/* plot_run, or a skip when gnuplot is missing. */
static int plot_or_skip(const char *dir, char *err) {
    int drawn = plot_run(dir, "test run_1 'quoted'", err, ERR_BYTES);
    if (drawn < 0 && strstr(err, "gnuplot not found") != NULL) {
        print_message("skipped: %s\n", err);
        remove_run_dir(dir);
        skip();
    }
    return drawn;
}

/* Draws the run of this shape and returns how many plots plot_run drew. */
static int draw(const char *dir, run_shape shape) {
    char err[ERR_BYTES] = "";
    write_sample_run(dir, shape);
    int drawn = plot_or_skip(dir, err);
    if (drawn < 0) print_message("%s\n", err);
    return drawn;
}

static void a_gossipsub_run_with_scoring_gets_every_plot(void **state) {
    (void)state;
    char dir[PATH_BYTES];
    make_run_dir(dir, sizeof dir);
    assert_int_equal(draw(dir, (run_shape){.messages = true, .gossip = true, .scoring = true}), (int)PLOT_NAMES);
    assert_plots_drawn(dir, true, true, true);
    remove_run_dir(dir);
}

/* latency_by_region.csv, which a run writes only when its scenario has
 * regions, adds the latency-by-region plot; the others are unchanged. */
static void a_run_with_regions_gets_the_latency_by_region_plot(void **state) {
    (void)state;
    char dir[PATH_BYTES], path[PATH_BYTES];
    make_run_dir(dir, sizeof dir);
    write_regions_csv(dir);
    assert_int_equal(draw(dir, (run_shape){.messages = true}), PLOTS_EVERY_RUN + 1);
    assert_plots_drawn(dir, false, false, false);
    struct stat st;
    path_in(path, sizeof path, dir, "latency_by_region.png");
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 0);
    path_in(path, sizeof path, dir, METRICS_REGIONS_CSV);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char line[256];
    assert_non_null(fgets(line, sizeof line, in));
    assert_string_equal(line, "region,deliveries,p50_ms,p90_ms,p99_ms\n");
    assert_non_null(fgets(line, sizeof line, in));
    assert_true(strncmp(line, "east,", 5) == 0);
    fclose(in);
    remove_run_dir(dir);
}

static void a_floodsub_run_gets_no_gossipsub_plots(void **state) {
    (void)state;
    char dir[PATH_BYTES];
    make_run_dir(dir, sizeof dir);
    assert_int_equal(draw(dir, (run_shape){.messages = true}), PLOTS_EVERY_RUN);
    assert_plots_drawn(dir, false, false, false);
    remove_run_dir(dir);
}

static void a_gossipsub_run_without_scoring_gets_no_score_plot(void **state) {
    (void)state;
    char dir[PATH_BYTES];
    make_run_dir(dir, sizeof dir);
    assert_int_equal(draw(dir, (run_shape){.messages = true, .gossip = true}), PLOTS_EVERY_RUN + 2);
    assert_plots_drawn(dir, true, false, true);
    remove_run_dir(dir);
}

/* No payload at all: the control plot's payload curve is empty, on a log
 * axis, and gnuplot must still draw the rest. */
static void a_run_without_messages_still_gets_every_plot(void **state) {
    (void)state;
    char dir[PATH_BYTES];
    make_run_dir(dir, sizeof dir);
    assert_int_equal(draw(dir, (run_shape){.gossip = true, .scoring = true}), (int)PLOT_NAMES);
    assert_plots_drawn(dir, true, true, true);
    remove_run_dir(dir);
}

/* A timeseries.csv from before the gossipsub columns: the plots it can
 * feed, and no error. */
static void a_timeseries_without_the_gossipsub_columns_gets_the_first_five(void **state) {
    (void)state;
    char dir[PATH_BYTES], path[PATH_BYTES], err[ERR_BYTES] = "";
    make_run_dir(dir, sizeof dir);
    write_sample_run(dir, (run_shape){.messages = true, .gossip = true, .scoring = true});
    path_in(path, sizeof path, dir, "timeseries.csv");
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs("time_s,online_nodes,connections,mesh_degree_mean,deliveries,duplicates,bytes_sent,"
          "delivery_ratio,latency_ms_p50,latency_ms_p99\n1,20,0,4,19,6,20900,1,70,140\n2,20,0,4,0,0,0,,,\n", out);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(plot_or_skip(dir, err), PLOTS_EVERY_RUN);
    assert_plots_drawn(dir, false, false, false);
    remove_run_dir(dir);
}

static void a_missing_input_is_an_error_naming_the_file(void **state) {
    (void)state;
    char dir[PATH_BYTES], err[ERR_BYTES] = "", path[PATH_BYTES], expected[ERR_BYTES];
    make_run_dir(dir, sizeof dir);
    write_sample_run(dir, (run_shape){.messages = true});
    path_in(path, sizeof path, dir, "timeseries.csv");
    unlink(path);
    assert_int_equal(plot_or_skip(dir, err), -1);
    snprintf(expected, sizeof expected, "%s: No such file or directory", path);
    assert_string_equal(err, expected);
    remove_run_dir(dir);
}

static void without_gnuplot_on_the_path_plot_run_says_so(void **state) {
    (void)state;
    char dir[PATH_BYTES], err[ERR_BYTES] = "";
    const char *saved = getenv("PATH");
    char *path = saved != NULL ? strdup(saved) : NULL;
    make_run_dir(dir, sizeof dir);
    write_sample_run(dir, (run_shape){.messages = true});
    assert_int_equal(setenv("PATH", "/nonexistent", 1), 0);
    int drawn = plot_run(dir, "no gnuplot", err, sizeof err);
    if (path != NULL) setenv("PATH", path, 1);
    free(path);
    assert_int_equal(drawn, -1);
    assert_non_null(strstr(err, "gnuplot not found on PATH"));
    remove_run_dir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_gossipsub_run_with_scoring_gets_every_plot),
        cmocka_unit_test(a_floodsub_run_gets_no_gossipsub_plots),
        cmocka_unit_test(a_run_with_regions_gets_the_latency_by_region_plot),
        cmocka_unit_test(a_gossipsub_run_without_scoring_gets_no_score_plot),
        cmocka_unit_test(a_run_without_messages_still_gets_every_plot),
        cmocka_unit_test(a_timeseries_without_the_gossipsub_columns_gets_the_first_five),
        cmocka_unit_test(a_missing_input_is_an_error_naming_the_file),
        cmocka_unit_test(without_gnuplot_on_the_path_plot_run_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
