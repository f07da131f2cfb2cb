/*
 * netmodel: where each host of the world sits and what its links are
 * (docs/network-model.md "Regions, classes and graphs").
 *
 * From a scenario's network.regions and nodes.classes, each host gets a
 * region and a class, placed by weight from the seed: the counts are the
 * weights' shares of the hosts rounded by largest remainder (each within
 * one host of its exact share), and which host gets which is a shuffle
 * seeded by the scenario's seed, so a run is the same every time. An
 * attacker group that names a class takes it; the other hosts share the
 * rest by the classes' shares.
 *
 * The world asks it the one-way latency and jitter from host to host (the
 * regions' matrix) and each host's bandwidth up and down (its class).
 *
 * A network.graph arrives as regions too, one per graph node, with each
 * pair's path already routed by the scenario loader: its hosts are placed
 * by the nodes' weights or as network.graph.hosts lists them, and the graph
 * adds a loss per pair and each node's bandwidth (which classes, when the
 * scenario has them, override).
 */
#ifndef SWARMLAB_NETMODEL_H
#define SWARMLAB_NETMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/scenario.h"

#define NETMODEL_NONE UINT32_MAX /* a host with no region or no class */

typedef struct netmodel netmodel;

/* The model of s for host_count hosts (the honest ones, then each
 * attacker group in order), or NULL when memory runs out. */
netmodel *netmodel_create(const scenario *s, uint32_t host_count);
void netmodel_destroy(netmodel *m);

/* Whether the regions give the latencies (else network.latency does). */
bool netmodel_has_regions(const netmodel *m);
/* Whether the classes give the bandwidths (else network.bandwidth does). */
bool netmodel_has_classes(const netmodel *m);
/* The host's region or class index, or NETMODEL_NONE. */
uint32_t netmodel_region(const netmodel *m, uint32_t host);
uint32_t netmodel_class(const netmodel *m, uint32_t host);
/* One way, from host from to host to; needs regions. */
uint64_t netmodel_latency_ns(const netmodel *m, uint32_t from, uint32_t to);
uint64_t netmodel_jitter_ns(const netmodel *m, uint32_t from, uint32_t to);
/* The path's packet loss from host from to host to (0..1): 0 but with a
 * network.graph. */
double netmodel_loss(const netmodel *m, uint32_t from, uint32_t to);
/* Whether classes or a graph give the bandwidths (else network.bandwidth does). */
bool netmodel_has_bandwidths(const netmodel *m);
/* The host's bandwidth (0: unlimited): its class's, else its graph node's. */
uint64_t netmodel_up_bps(const netmodel *m, uint32_t host);
uint64_t netmodel_down_bps(const netmodel *m, uint32_t host);

/* Deals labels 0..count-1 to n slots by weight: each label gets its share
 * of n rounded by largest remainder (ties to the lower label), and the
 * slots are shuffled with r. out holds n labels. */
void netmodel_deal(const double *weights, size_t count, uint32_t n, rng *r, uint32_t *out);

#endif
