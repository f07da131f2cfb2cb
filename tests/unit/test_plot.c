/*
 * test_plot: plot_run (analysis/plot.h) draws the five plots of a run as
 * PNG and SVG with gnuplot, from the files metrics writes. The tests skip,
 * saying why, where gnuplot is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"
#include "metrics.h"
#include "plot.h"

#define S 1000000000ull
#define MS 1000000ull
#define NODES 20
#define PATH_BYTES 512
#define ERR_BYTES 1024

static const char *const plot_names[] = {"latency_cdf", "delivery", "duplicates", "bandwidth", "online"};
#define PLOT_NAMES (sizeof plot_names / sizeof plot_names[0])

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
    const char *const others[] = {"plots.log", "timeseries.csv", "latencies.txt", "messages.csv"};
    for (size_t i = 0; i < 4; i++) {
        path_in(path, sizeof path, dir, others[i]);
        unlink(path);
    }
    assert_int_equal(rmdir(dir), 0);
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

/* A 20-node run over 30 s: a message a second, node i getting it after
 * (i + 1) * 7 ms from node i - 1, with some duplicates and a node down. */
static void write_sample_run(const char *dir, bool with_messages) {
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
    for (uint8_t k = 0; with_messages && k < 25; k++) {
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
    emit(m, (trace_event){.kind = TRACE_NODE_DOWN, .time_ns = 20 * S, .node_index = 5});
    metrics_finish(m, 30 * S);
    char path[PATH_BYTES];
    path_in(path, sizeof path, dir, "timeseries.csv");
    assert_int_equal(metrics_write_timeseries_csv(m, path), 0);
    path_in(path, sizeof path, dir, "latencies.txt");
    assert_int_equal(metrics_write_latencies(m, path), 0);
    metrics_destroy(m);
}

static void assert_plots_drawn(const char *dir) {
    char path[PATH_BYTES], name[64];
    for (size_t i = 0; i < PLOT_NAMES; i++)
        for (int svg = 0; svg <= 1; svg++) {
            struct stat st;
            snprintf(name, sizeof name, "%s.%s", plot_names[i], svg ? "svg" : "png");
            path_in(path, sizeof path, dir, name);
            assert_int_equal(stat(path, &st), 0);
            assert_true(st.st_size > 0);
        }
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

static void every_plot_is_drawn_as_png_and_svg(void **state) {
    (void)state;
    char dir[PATH_BYTES], err[ERR_BYTES] = "";
    make_run_dir(dir, sizeof dir);
    write_sample_run(dir, true);
    int drawn = plot_or_skip(dir, err);
    if (drawn < 0) print_message("%s\n", err);
    assert_int_equal(drawn, (int)PLOT_NAMES);
    assert_plots_drawn(dir);
    remove_run_dir(dir);
}

static void a_run_without_messages_still_gets_every_plot(void **state) {
    (void)state;
    char dir[PATH_BYTES], err[ERR_BYTES] = "";
    make_run_dir(dir, sizeof dir);
    write_sample_run(dir, false);
    int drawn = plot_or_skip(dir, err);
    if (drawn < 0) print_message("%s\n", err);
    assert_int_equal(drawn, (int)PLOT_NAMES);
    assert_plots_drawn(dir);
    remove_run_dir(dir);
}

static void a_missing_input_is_an_error_naming_the_file(void **state) {
    (void)state;
    char dir[PATH_BYTES], err[ERR_BYTES] = "", path[PATH_BYTES], expected[ERR_BYTES];
    make_run_dir(dir, sizeof dir);
    write_sample_run(dir, true);
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
    write_sample_run(dir, true);
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
        cmocka_unit_test(every_plot_is_drawn_as_png_and_svg),
        cmocka_unit_test(a_run_without_messages_still_gets_every_plot),
        cmocka_unit_test(a_missing_input_is_an_error_naming_the_file),
        cmocka_unit_test(without_gnuplot_on_the_path_plot_run_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
