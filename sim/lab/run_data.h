/*
 * run_data: the swarm's data in a run (issue 18; docs/data.md "The swarm's
 * data: announce and query"): every honest node's announce and query
 * modules (node/data), the query workload, and the metrics.json objects
 * "announce" and "query". Nothing of it exists unless the scenario has
 * protocol.announce or protocol.query, so other runs are unchanged.
 */
#ifndef SWARMLAB_RUN_DATA_H
#define SWARMLAB_RUN_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario/scenario.h"
typedef struct world world; /* world/world.h, which run.h does not bring in */

#define RUN_DATA_QUERIES_MAX (1u << 20) /* queries tracked in one run */

typedef struct run_data run_data;

typedef struct run_announce_summary {
    bool enabled;
    uint32_t nodes, reached;                 /* honest nodes up at least once; of them, at target */
    double share_reached;                    /* reached / nodes */
    double to_target_s_p50, to_target_s_p90, to_target_s_max; /* from first up, of those that reached */
    uint64_t published, accepted, invalid, rate_limited, dials;
} run_announce_summary;

typedef struct run_query_summary {
    bool enabled;
    uint64_t queries, answered;   /* issued; with at least one answer */
    uint64_t answers, expected;   /* answers kept; holders online and not the asker, at the ask */
    double answers_per_query;
    double first_ms_p50, first_ms_p99, last_ms_p50, last_ms_p99; /* of answered queries */
    uint64_t payload_bytes;       /* queries and answers, as the modules sent them */
    uint64_t network_bytes;       /* every byte the hosts wrote in the run, framing included */
    uint64_t answered_direct;     /* answers that went on a stream */
} run_query_summary;

typedef struct run_data_summary {
    run_announce_summary announce;
    run_query_summary query;
} run_data_summary;

/* NULL when the scenario has neither key (nothing to do) or memory runs
 * out (*failed set). */
run_data *run_data_create(const scenario *s, world *w, bool *failed);
/* Host came up (its node exists): its modules, anew. */
void run_data_node_up(run_data *d, uint32_t host);
/* Schedules the query workload. */
void run_data_schedule(run_data *d);
/* After the run, before the world goes. */
void run_data_finish(run_data *d, run_data_summary *out);
/* The objects for metrics.json, each line `  "key": {...},`, of the
 * run_data_summary at user (run_info.extra_json's signature). */
void run_data_write_json(void *user, FILE *out);
/* After the world is destroyed (the modules outlive their nodes). */
void run_data_destroy(run_data *d);

#endif
