/*
 * metrics_data: the measures of a run's workload.data (issue 18; docs/data.md
 * "The swarm's data: replication and availability"): metrics.json's "data"
 * object and data.csv.
 *
 *  - availability: gets whose block came within the deadline over gets
 *    issued; only gets whose deadline falls within the run count (a get
 *    issued later is neither a success nor a failure). A get whose node
 *    went down before an answer is a failure.
 *  - get_latency_ms p50 and p99 (nearest rank) over the gets that
 *    succeeded, a block in the local store at 0 ms.
 *  - blocks_put, blocks_lost (every node that holds the block is offline
 *    at the end of the run), and the counters the runner sets: replication
 *    and repair bytes (block bytes fetched by the peers told to hold a block,
 *    and the messages telling them), repairs and holders declared gone.
 *  - data.csv: one row per sample interval: time_s (the row's end), gets
 *    issued in the interval (counted ones), succeeded, availability (empty
 *    without gets).
 *
 * Memory: 16 bytes per get, bounded by the runner's cap on gets.
 */
#ifndef SWARMLAB_METRICS_DATA_H
#define SWARMLAB_METRICS_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define METRICS_DATA_CSV "data.csv"

typedef struct data_totals {
    uint64_t blocks_put, blocks_lost;
    uint64_t replication_bytes, repair_bytes;
    uint64_t repairs, holders_gone;
} data_totals;

typedef struct data_summary {
    uint64_t gets, succeeded; /* counted gets */
    double availability;      /* 1 without gets */
    double latency_p50_ms, latency_p99_ms; /* 0 without successes */
    data_totals totals;
} data_summary;

typedef struct data_metrics data_metrics;

/* gets_max: the most gets it keeps (more are refused: data_metrics_get -1). */
data_metrics *data_metrics_create(uint64_t deadline_ns, uint64_t sample_ns, uint64_t gets_max);
void data_metrics_destroy(data_metrics *m);
/* A get issued at issued_ns: its index, or -1 when gets_max are kept. */
int64_t data_metrics_get(data_metrics *m, uint64_t issued_ns);
/* Its answer: the block came (ok) or not, at at_ns. Once per get. */
void data_metrics_got(data_metrics *m, uint64_t index, uint64_t at_ns, bool ok);
void data_metrics_set_totals(data_metrics *m, const data_totals *t);
/* Closes the run at end_ns and computes the summary. */
void data_metrics_finish(data_metrics *m, uint64_t end_ns);
void data_metrics_get_summary(const data_metrics *m, data_summary *out);

/* metrics.json's "data" object, as one member line ("  \"data\": {...},\n"). */
void data_metrics_write_json(const data_metrics *m, FILE *out);
/* DIR's data.csv. 0, or -1 (errno). */
int data_metrics_write_csv(const data_metrics *m, const char *path);

#endif
