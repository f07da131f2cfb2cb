/* topology: initial graphs of the world. See topology.h. */
#include "topology.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int topology_add(topology *t, size_t *cap, uint32_t dialer, uint32_t listener) {
    assert(dialer != listener);
    if (t->edge_count == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        topology_edge *edges = realloc(t->edges, *cap * sizeof *edges);
        if (edges == NULL) return -1;
        t->edges = edges;
    }
    t->edges[t->edge_count++] = (topology_edge){dialer, listener};
    return 0;
}

static int build_ring(topology *t, size_t *cap) {
    uint32_t n = t->node_count;
    for (uint32_t i = 1; i < n; i++)
        if (topology_add(t, cap, i, i - 1) != 0) return -1;
    if (n > 2 && topology_add(t, cap, n - 1, 0) != 0) return -1;
    return 0;
}

static int build_full(topology *t, size_t *cap) {
    for (uint32_t i = 1; i < t->node_count; i++)
        for (uint32_t j = 0; j < i; j++)
            if (topology_add(t, cap, i, j) != 0) return -1;
    return 0;
}

static int build_bootstrap(topology *t, size_t *cap, uint32_t count, rng *r) {
    uint32_t *pool = malloc(sizeof *pool * (t->node_count ? t->node_count : 1));
    if (pool == NULL) return -1;
    for (uint32_t i = 1; i < t->node_count; i++) {
        for (uint32_t j = 0; j < i; j++) pool[j] = j;
        uint32_t want = count < i ? count : i;
        for (uint32_t k = 0; k < want; k++) { /* partial Fisher-Yates over the earlier nodes */
            uint32_t pick = k + (uint32_t)rng_below(r, i - k);
            uint32_t chosen = pool[pick];
            pool[pick] = pool[k];
            pool[k] = chosen;
            if (topology_add(t, cap, i, chosen) != 0) {
                free(pool);
                return -1;
            }
        }
    }
    free(pool);
    return 0;
}

/* Whether u and v are already joined: scans u's edges so far (degree is small). */
static bool rr_adjacent(const uint32_t *neighbours, const uint32_t *filled, uint32_t degree, uint32_t u, uint32_t v) {
    for (uint32_t k = 0; k < filled[u]; k++)
        if (neighbours[(size_t)u * degree + k] == v) return true;
    return false;
}

/* One attempt at pairing stubs; false on a dead end. */
static bool rr_attempt(uint32_t n, uint32_t degree, rng *r, uint32_t *stubs, uint32_t *neighbours, uint32_t *filled) {
    size_t stub_count = (size_t)n * degree;
    for (uint32_t i = 0; i < n; i++) filled[i] = 0;
    for (size_t s = 0; s < stub_count; s++) stubs[s] = (uint32_t)(s / degree);
    while (stub_count > 0) {
        bool paired = false;
        /* Local rejection: a bounded number of tries for a valid pair. */
        for (int tries = 0; tries < 200 && !paired; tries++) {
            size_t i = rng_below(r, stub_count), j = rng_below(r, stub_count);
            uint32_t u = stubs[i], v = stubs[j];
            if (i == j || u == v || rr_adjacent(neighbours, filled, degree, u, v)) continue;
            neighbours[(size_t)u * degree + filled[u]++] = v;
            neighbours[(size_t)v * degree + filled[v]++] = u;
            size_t hi = i > j ? i : j, lo = i > j ? j : i;
            stubs[hi] = stubs[--stub_count];
            stubs[lo] = stubs[--stub_count];
            paired = true;
        }
        if (!paired) return false;
    }
    return true;
}

static int build_random_regular(topology *t, size_t *cap, uint32_t degree, rng *r) {
    uint32_t n = t->node_count;
    uint32_t *stubs = malloc(sizeof *stubs * (size_t)n * degree);
    uint32_t *neighbours = malloc(sizeof *neighbours * (size_t)n * degree);
    uint32_t *filled = malloc(sizeof *filled * n);
    int rc = -1;
    if (stubs != NULL && neighbours != NULL && filled != NULL) {
        for (int attempt = 0; attempt < TOPOLOGY_RESTARTS_MAX && rc != 0; attempt++)
            if (rr_attempt(n, degree, r, stubs, neighbours, filled)) rc = 0;
    }
    for (uint32_t u = 0; rc == 0 && u < n; u++)
        for (uint32_t k = 0; k < degree; k++) {
            uint32_t v = neighbours[(size_t)u * degree + k];
            if (u > v && topology_add(t, cap, u, v) != 0) rc = -1;
        }
    free(stubs);
    free(neighbours);
    free(filled);
    return rc;
}

static int topology_index(topology *t) {
    uint32_t n = t->node_count;
    t->offset = calloc((size_t)n + 1, sizeof *t->offset);
    t->adjacency = malloc(sizeof *t->adjacency * (2 * t->edge_count + 1));
    if (t->offset == NULL || t->adjacency == NULL) return -1;
    for (size_t e = 0; e < t->edge_count; e++) {
        t->offset[t->edges[e].dialer + 1]++;
        t->offset[t->edges[e].listener + 1]++;
    }
    for (uint32_t i = 0; i < n; i++) t->offset[i + 1] += t->offset[i];
    uint32_t *fill = calloc(n ? n : 1, sizeof *fill);
    if (fill == NULL) return -1;
    for (size_t e = 0; e < t->edge_count; e++) {
        uint32_t a = t->edges[e].dialer, b = t->edges[e].listener;
        t->adjacency[t->offset[a] + fill[a]++] = b;
        t->adjacency[t->offset[b] + fill[b]++] = a;
    }
    free(fill);
    return 0;
}

int topology_build(topology *t, topology_kind kind, uint32_t n, uint32_t degree,
                   uint32_t bootstrap_count, rng *r, char *err, size_t err_cap) {
    memset(t, 0, sizeof *t);
    t->node_count = n;
    size_t cap = 0;
    int rc = 0;
    if (kind == TOPOLOGY_RANDOM_REGULAR && (degree >= n || ((uint64_t)n * degree) % 2 != 0 || degree == 0)) {
        snprintf(err, err_cap, "random-regular: no %u-regular graph on %u nodes", degree, n);
        return -1;
    }
    switch (kind) {
    case TOPOLOGY_RING: rc = build_ring(t, &cap); break;
    case TOPOLOGY_FULL: rc = build_full(t, &cap); break;
    case TOPOLOGY_BOOTSTRAP: rc = build_bootstrap(t, &cap, bootstrap_count, r); break;
    case TOPOLOGY_RANDOM_REGULAR: rc = build_random_regular(t, &cap, degree, r); break;
    }
    if (rc == 0) rc = topology_index(t);
    if (rc != 0) {
        snprintf(err, err_cap, "topology: could not build the graph (out of memory or no graph found)");
        topology_free(t);
    }
    return rc;
}

void topology_free(topology *t) {
    free(t->edges);
    free(t->offset);
    free(t->adjacency);
    memset(t, 0, sizeof *t);
}

void topology_distances(const topology *t, uint32_t source, uint32_t *distance) {
    uint32_t n = t->node_count;
    uint32_t *queue = malloc(sizeof *queue * (n ? n : 1));
    assert(queue != NULL);
    for (uint32_t i = 0; i < n; i++) distance[i] = UINT32_MAX;
    size_t head = 0, tail = 0;
    distance[source] = 0;
    queue[tail++] = source;
    while (head < tail) {
        uint32_t u = queue[head++];
        for (uint32_t k = t->offset[u]; k < t->offset[u + 1]; k++) {
            uint32_t v = t->adjacency[k];
            if (distance[v] != UINT32_MAX) continue;
            distance[v] = distance[u] + 1;
            queue[tail++] = v;
        }
    }
    free(queue);
}
