/* netmodel: regions and classes per host. See netmodel.h. */
#include "netmodel.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "random/rng.h"

struct netmodel {
    uint32_t host_count;
    scenario_regions regions; /* count 0: none */
    node_class classes[SCENARIO_CLASSES_MAX];
    size_t class_count; /* 0: none */
    uint32_t *region;   /* per host, when regions */
    uint32_t *klass;    /* per host, when classes */
};

void netmodel_deal(const double *weights, size_t count, uint32_t n, rng *r, uint32_t *out) {
    assert(count > 0 && count <= SCENARIO_REGIONS_MAX);
    double total = 0;
    for (size_t i = 0; i < count; i++) total += weights[i];
    assert(total > 0);
    uint32_t dealt[SCENARIO_REGIONS_MAX], sum = 0;
    double remainder[SCENARIO_REGIONS_MAX];
    for (size_t i = 0; i < count; i++) {
        double exact = weights[i] / total * n;
        dealt[i] = (uint32_t)floor(exact);
        remainder[i] = exact - dealt[i];
        sum += dealt[i];
    }
    assert(sum <= n && n - sum <= count);
    while (sum < n) { /* largest remainder first; ties to the lower label */
        size_t best = 0;
        for (size_t i = 1; i < count; i++)
            if (remainder[i] > remainder[best]) best = i;
        dealt[best]++;
        remainder[best] = -1;
        sum++;
    }
    uint32_t at = 0;
    for (size_t i = 0; i < count; i++)
        for (uint32_t k = 0; k < dealt[i]; k++) out[at++] = (uint32_t)i;
    for (uint32_t i = n; i > 1; i--) { /* Fisher-Yates */
        uint32_t j = (uint32_t)rng_below(r, i);
        uint32_t t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
}

/* Attacker groups that name a class take it; the other hosts are dealt
 * the classes by share. */
static void classes_place(netmodel *m, const scenario *s, rng *r) {
    uint32_t *free_hosts = malloc(m->host_count * sizeof *free_hosts);
    uint32_t *labels = malloc(m->host_count * sizeof *labels);
    if (free_hosts == NULL || labels == NULL) abort();
    uint32_t free_count = 0;
    for (uint32_t i = 0; i < s->nodes.count && i < m->host_count; i++) free_hosts[free_count++] = i;
    uint32_t first = s->nodes.count;
    for (size_t g = 0; g < s->attacker_count && first < m->host_count; g++) {
        const attacker *a = &s->attackers[g];
        for (uint32_t i = first; i < first + a->count && i < m->host_count; i++) {
            if (a->class_index >= 0) m->klass[i] = (uint32_t)a->class_index;
            else free_hosts[free_count++] = i;
        }
        first += a->count;
    }
    for (uint32_t i = first; i < m->host_count; i++) free_hosts[free_count++] = i;
    double shares[SCENARIO_CLASSES_MAX];
    for (size_t k = 0; k < m->class_count; k++) shares[k] = m->classes[k].share;
    if (free_count > 0) netmodel_deal(shares, m->class_count, free_count, r, labels);
    for (uint32_t i = 0; i < free_count; i++) m->klass[free_hosts[i]] = labels[i];
    free(free_hosts);
    free(labels);
}

netmodel *netmodel_create(const scenario *s, uint32_t host_count) {
    assert(host_count > 0);
    netmodel *m = calloc(1, sizeof *m);
    if (m == NULL) return NULL;
    m->host_count = host_count;
    m->regions = s->network.regions;
    m->class_count = s->nodes.class_count;
    memcpy(m->classes, s->nodes.classes, sizeof m->classes);
    if (m->regions.count > 0) {
        m->region = malloc(host_count * sizeof *m->region);
        if (m->region == NULL) return netmodel_destroy(m), NULL;
        if (s->network.graph_host_count > 0) { /* network.graph.hosts: as listed */
            assert(s->network.graph_host_count == host_count);
            for (uint32_t i = 0; i < host_count; i++) m->region[i] = s->network.graph_host_region[i];
        } else {
            double weights[SCENARIO_REGIONS_MAX];
            for (size_t i = 0; i < m->regions.count; i++) weights[i] = m->regions.list[i].weight;
            rng r;
            rng_seed(&r, s->seed, RNG_STREAM_REGIONS);
            netmodel_deal(weights, m->regions.count, host_count, &r, m->region);
        }
    }
    if (m->class_count > 0) {
        m->klass = malloc(host_count * sizeof *m->klass);
        if (m->klass == NULL) return netmodel_destroy(m), NULL;
        rng r;
        rng_seed(&r, s->seed, RNG_STREAM_CLASSES);
        classes_place(m, s, &r);
    }
    return m;
}

void netmodel_destroy(netmodel *m) {
    if (m == NULL) return;
    free(m->region);
    free(m->klass);
    free(m);
}

bool netmodel_has_regions(const netmodel *m) { return m != NULL && m->regions.count > 0; }
bool netmodel_has_classes(const netmodel *m) { return m != NULL && m->class_count > 0; }

uint32_t netmodel_region(const netmodel *m, uint32_t host) {
    if (!netmodel_has_regions(m)) return NETMODEL_NONE;
    assert(host < m->host_count);
    return m->region[host];
}

uint32_t netmodel_class(const netmodel *m, uint32_t host) {
    if (!netmodel_has_classes(m)) return NETMODEL_NONE;
    assert(host < m->host_count);
    return m->klass[host];
}

uint64_t netmodel_latency_ns(const netmodel *m, uint32_t from, uint32_t to) {
    assert(netmodel_has_regions(m));
    return m->regions.latency_ns[netmodel_region(m, from)][netmodel_region(m, to)];
}

uint64_t netmodel_jitter_ns(const netmodel *m, uint32_t from, uint32_t to) {
    assert(netmodel_has_regions(m));
    return m->regions.jitter_ns[netmodel_region(m, from)][netmodel_region(m, to)];
}

double netmodel_loss(const netmodel *m, uint32_t from, uint32_t to) {
    if (m == NULL || !m->regions.from_graph) return 0;
    return m->regions.loss[netmodel_region(m, from)][netmodel_region(m, to)];
}

bool netmodel_has_bandwidths(const netmodel *m) { return netmodel_has_classes(m) || (m != NULL && m->regions.from_graph); }

/* Classes first: a scenario that names them overrides its graph's nodes. */
uint64_t netmodel_up_bps(const netmodel *m, uint32_t host) {
    if (netmodel_has_classes(m)) return m->classes[netmodel_class(m, host)].up_bps;
    assert(m->regions.from_graph);
    return m->regions.list[netmodel_region(m, host)].up_bps;
}

uint64_t netmodel_down_bps(const netmodel *m, uint32_t host) {
    if (netmodel_has_classes(m)) return m->classes[netmodel_class(m, host)].down_bps;
    assert(m->regions.from_graph);
    return m->regions.list[netmodel_region(m, host)].down_bps;
}
