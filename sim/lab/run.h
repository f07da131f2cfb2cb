/*
 * run: one run of a scenario in the world, from the first node up to the
 * files it leaves behind.
 *
 * The runner builds the world and the starting topology, brings nodes up
 * (spread over nodes.join.over, in index order), subscribes the chosen
 * subscribers, drives the workload (Poisson or periodic publications from
 * the chosen publishers, round-robin over the topics), and feeds every
 * trace event to the trace digest, the metrics and, when asked, a JSON-lines
 * trace file. At the end it writes metrics.json, messages.csv,
 * timeseries.csv and latencies.txt to the output folder and draws the plots.
 */
#ifndef SWARMLAB_RUN_H
#define SWARMLAB_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "metrics.h"
#include "metrics_sealed.h"
#include "metrics_data.h"
#include "random/rng.h"
#include "scenario/scenario.h"
#include "crypto/identity.h"
#include "world/verify_memo.h"
#include "run_data.h"

typedef struct world world; /* world/world.h */

/* What a caller adds to a run (sim/lab/shadow.c runs test-plans' scripts
 * through them): each called with user. */
typedef struct run_hooks {
    void *user;
    /* Each host's identity seed (world_config.identity_seed); NULL: from the seed. */
    void (*identity_seed)(void *user, uint32_t host, uint8_t seed[IDENTITY_SEED_BYTES]);
    /* Nodes dial no topology at their join: the hooks dial. */
    bool no_topology;
    /* Once the world is built, before it runs. 0, or -1 with err filled. */
    int (*setup)(void *user, world *w, char *err, size_t cap);
    /* After host came up (its node exists). */
    void (*node_up)(void *user, world *w, uint32_t host);
} run_hooks;

typedef struct run_options {
    const scenario *scenario;
    const char *out_dir;    /* NULL: write nothing (tests, benchmarks) */
    const char *trace_path; /* NULL: no JSON-lines trace */
    bool progress;          /* a progress bar on standard error */
    bool plots;             /* draw the plots with gnuplot */
    uint32_t threads;       /* the world's threads (world_config.threads); 0: one */
    /* Called with every trace event, after the metrics saw it (tests). */
    void (*observe)(void *user, const trace_event *event);
    void *observe_user;
    const run_hooks *hooks; /* NULL: none */
} run_options;

typedef struct run_result {
    metrics_summary summary;
    char digest[DIGEST_HEX_BYTES];
    double wall_seconds;
    uint64_t events_processed;
    uint64_t events_pending_peak;
    uint32_t threads;              /* the world ran on (world_threads) */
    char threads_why[96];          /* why fewer than asked, else "" */
    uint64_t windows, busy_ns, critical_ns; /* world_stats': the parallel world's windows */
    uint64_t cross_host_min_ns;    /* world_stats': the lookahead the run had (UINT64_MAX: no host reached another) */
    uint64_t trace_events;
    uint64_t messages_published;
    bool verify_memo;              /* world.verify_memo was on */
    verify_memo_stats verify_memo_counts; /* its hits, misses, entries; zero when off */
    metrics_sealed sealed; /* workload.sealed's counts; zero without it */
    run_data_summary data;         /* protocol.announce and protocol.query (run_data.h); zero without them */
    bool has_replication;     /* workload.data was on: replication holds its measures */
    data_summary replication; /* workload.data (metrics_data.h) */
    int plots_drawn; /* -1 when gnuplot failed: plot_error says why */
    char plot_error[256];
} run_result;

/* mkdir -p: path and its parents (at most 1023 bytes). 0, or -1 (errno). */
int run_make_dir(const char *path);

/* The workload's schedule, shared with the testbed (testbed.h) so that
 * both publish from the same hosts at the same times: with workload seeded
 * on RNG_STREAM_WORKLOAD, each publication first picks its publisher among
 * publishers[0..count), then draws the wait until the next one. */
uint32_t run_workload_publisher(const scenario *s, rng *workload, const uint32_t *publishers, uint32_t count,
                                uint32_t *next_publisher);
uint64_t run_workload_interval_ns(const scenario *s, rng *workload);

/* Runs the scenario. Returns 0, or -1 with err filled. */
int run_scenario(const run_options *options, run_result *result, char *err, size_t err_cap);

#endif
