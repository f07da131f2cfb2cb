/*
 * shadow: a Shadow configuration (shadow.yaml) as libp2p test-plans'
 * gossipsub-interop generator writes it (docs/gossipsub-interop.md,
 * "Running test-plans' experiments"): general.stop_time, network.graph (a
 * GML file), and hosts node0 .. node<N-1>, each with its network_node_id
 * and one process whose args are "--params FILE".
 *
 * What the lab needs of it is read and checked here; a key it cannot
 * honour is refused, never ignored in silence: "FILE:LINE: KEY: what is
 * wrong". Keys that only tune Shadow itself (general.parallelism,
 * general.progress, general.model_unblocked_syscall_latency, experimental,
 * a process's environment and path) are accepted and not used.
 */
#ifndef SWARMLAB_SHADOW_H
#define SWARMLAB_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define SHADOW_HOSTS_MAX SCENARIO_GRAPH_HOSTS_MAX

typedef struct shadow_config {
    char path[SCENARIO_PATH_MAX];
    uint64_t stop_ns;    /* general.stop_time */
    uint64_t seed;       /* general.seed (Shadow's default 1) */
    char graph_path[SCENARIO_PATH_MAX];  /* network.graph.file.path, against shadow.yaml's folder */
    char params_path[SCENARIO_PATH_MAX]; /* the --params FILE every host runs, the same way */
    int params_line;                     /* of node0's args */
    uint32_t host_count;                 /* hosts node0 .. node<host_count-1> */
    int64_t network_node_id[SHADOW_HOSTS_MAX]; /* per host: its graph node */
} shadow_config;

/* Reads path into *c. 0, or -1 with one line in err. */
int shadow_config_load(const char *path, shadow_config *c, char *err, size_t cap);

/* Writes the scenario a Shadow config runs as (scenario_path, then
 * scenario_load): nodes.count, duration, seed, network.graph with every
 * host's node, gossipsub. The router's parameters and the topics'
 * validation delays come from params.json, set by the caller after the
 * load. 0, or -1 with err filled. */
int shadow_write_scenario(const shadow_config *c, const char *name, const char *scenario_path, char *err, size_t cap);

#endif
