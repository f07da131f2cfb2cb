/*
 * run_replicate: the runner's workload.data (issue 18; docs/data.md "The swarm's
 * data: replication and availability"). Each honest host runs the node's
 * replication (node/data/replicate.h) over a directory of every honest
 * host; puts and gets arrive as Poisson processes (put_rate, get_rate)
 * between workload.start and workload.stop, each at an online honest host
 * drawn with the seed (stream RNG_STREAM_DATA); a get asks for a block put
 * before, drawn uniformly. Measures go to analysis/metrics_data.h.
 *
 * Off (run_replicate_create is not called) without workload.data: a scenario
 * without the key draws nothing and traces nothing more.
 */
#ifndef SWARMLAB_RUN_REPLICATE_H
#define SWARMLAB_RUN_REPLICATE_H

#include <stddef.h>
#include <stdint.h>

#include "metrics_data.h"
#include "scenario/scenario.h"
#include "store/cid.h"

typedef struct world world;
typedef struct run_replicate run_replicate;

#define RUN_REPLICATE_GETS_MAX (1u << 22)   /* gets one run keeps (64 MiB of metrics) */
#define RUN_REPLICATE_BLOCKS_MAX (1u << 20) /* blocks one run puts */

/* Builds the directory and schedules the first put and get. NULL when
 * memory runs out or an address does not fit. */
run_replicate *run_replicate_create(const scenario *s, world *w);
/* After the world (its nodes may still point into the gets). */
void run_replicate_destroy(run_replicate *d);
/* Host came up as a fresh node: it gets its replication (the last one's
 * counters are kept). */
void run_replicate_on_up(run_replicate *d, uint32_t host);
/* At the end of the run: blocks lost, the counters, the summary. */
void run_replicate_finish(run_replicate *d, uint64_t end_ns);
const data_metrics *run_replicate_metrics(const run_replicate *d);

/* How many of blocks[0..count) no online host among hosts[0..host_count)
 * holds: the lost ones (every holder gone). */
uint64_t run_replicate_blocks_lost(world *w, uint32_t host_count, const cid *blocks, size_t count);

#endif
