/*
 * topology: who dials whom when the world starts.
 *
 *  - ring: node i dials node i-1, and node n-1 closes the ring to node 0;
 *  - full: every node dials every node below it;
 *  - random-regular: a uniformly random d-regular simple graph, built by
 *    pairing stubs with local rejection (Steger and Wormald) and restarting
 *    on a dead end, so the loop is bounded; of each edge, the node with the
 *    larger index (the later to join) dials;
 *  - bootstrap: node i dials min(i, count) distinct nodes chosen at random
 *    among those that joined before it; with floodsub nobody finds more
 *    peers later, so this is the graph the run keeps.
 * Edges are undirected; dialer and listener are recorded for the world.
 */
#ifndef SWARMLAB_TOPOLOGY_H
#define SWARMLAB_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

#include "random/rng.h"
#include "scenario/scenario.h"

#define TOPOLOGY_RESTARTS_MAX 1000

typedef struct topology_edge {
    uint32_t dialer, listener;
} topology_edge;

typedef struct topology {
    uint32_t node_count;
    topology_edge *edges;
    size_t edge_count;
    /* Adjacency in CSR form: neighbours of i are adjacency[offset[i] .. offset[i+1]). */
    uint32_t *offset;
    uint32_t *adjacency;
} topology;

/* Builds the graph; 0, or -1 with err filled (impossible degree, ...). */
int topology_build(topology *t, topology_kind kind, uint32_t node_count, uint32_t degree,
                   uint32_t bootstrap_count, rng *r, char *err, size_t err_cap);
void topology_free(topology *t);
/* Hop distances from source by BFS; unreachable nodes get UINT32_MAX. */
void topology_distances(const topology *t, uint32_t source, uint32_t *distance);

#endif
