/*
 * run_data: the runner's workload.data (issue 18; docs/data.md "The swarm's
 * data: replication and availability"). Each honest host runs the node's
 * replication (node/data/replicate.h) over a directory of every honest
 * host; puts and gets arrive as Poisson processes (put_rate, get_rate)
 * between workload.start and workload.stop, each at an online honest host
 * drawn with the seed (stream RNG_STREAM_DATA); a get asks for a block put
 * before, drawn uniformly. Measures go to analysis/metrics_data.h.
 *
 * Off (run_data_create is not called) without workload.data: a scenario
 * without the key draws nothing and traces nothing more.
 */
#ifndef SWARMLAB_RUN_DATA_H
#define SWARMLAB_RUN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "metrics_data.h"
#include "scenario/scenario.h"
#include "store/cid.h"

typedef struct world world;
typedef struct run_data run_data;

#define RUN_DATA_GETS_MAX (1u << 22)   /* gets one run keeps (64 MiB of metrics) */
#define RUN_DATA_BLOCKS_MAX (1u << 20) /* blocks one run puts */

/* Builds the directory and schedules the first put and get. NULL when
 * memory runs out or an address does not fit. */
run_data *run_data_create(const scenario *s, world *w);
/* After the world (its nodes may still point into the gets). */
void run_data_destroy(run_data *d);
/* Host came up as a fresh node: it gets its replication (the last one's
 * counters are kept). */
void run_data_on_up(run_data *d, uint32_t host);
/* At the end of the run: blocks lost, the counters, the summary. */
void run_data_finish(run_data *d, uint64_t end_ns);
const data_metrics *run_data_metrics(const run_data *d);

/* How many of blocks[0..count) no online host among hosts[0..host_count)
 * holds: the lost ones (every holder gone). */
uint64_t run_data_blocks_lost(world *w, uint32_t host_count, const cid *blocks, size_t count);

#endif
