/* run_replicate: workload.data in the runner (run_replicate.h). */
#include "run_replicate.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time_units.h"
#include "data/replicate.h"
#include "random/rng.h"
#include "world/world.h"

_Static_assert(SCENARIO_DATA_R_MAX == REPLICATE_R_MAX, "workload.data.replication's bound is replicate's");
_Static_assert(SCENARIO_DATA_NODES_MAX == REPLICATE_PEERS_MAX, "workload.data's node bound is replicate's");

#define RUN_REPLICATE_PICK_TRIES 64 /* draws of a host before a put or get gives up: all may be down */

/* A get in flight: where its answer goes. */
typedef struct data_get_ctx {
    run_replicate *d;
    uint64_t index; /* in the metrics */
} data_get_ctx;

struct run_replicate {
    const scenario *s;
    world *w;
    uint32_t hosts; /* the honest ones */
    replicate_peer *peers;
    replicate **reps;
    uint32_t *generation; /* per host: its ticks carry it, a restart makes the old ones stale */
    rng draws;
    uint32_t call_put, call_get, call_tick;
    cid *blocks;
    size_t block_count;
    data_get_ctx *gets; /* one per get, index = metrics index */
    data_metrics *metrics;
    replicate_stats done; /* of the replications of nodes that went down */
    uint8_t *payload;
};

static uint64_t data_interval_ns(run_replicate *d, double rate_per_s) {
    double u = rng_uniform(&d->draws);
    return (uint64_t)(-log1p(-u) * (NS_PER_S_DOUBLE / rate_per_s) + 0.5); /* Poisson arrivals */
}

/* An online honest host drawn uniformly, or UINT32_MAX after the tries. */
static uint32_t data_pick_host(run_replicate *d) {
    for (int i = 0; i < RUN_REPLICATE_PICK_TRIES; i++) {
        uint32_t host = (uint32_t)rng_below(&d->draws, d->hosts);
        if (world_host_online(d->w, host) && d->reps[host] != NULL) return host;
    }
    return UINT32_MAX;
}

static void stats_add(replicate_stats *sum, const replicate_stats *s) {
    sum->places_sent += s->places_sent;
    sum->repairs_sent += s->repairs_sent;
    sum->placed += s->placed;
    sum->repaired += s->repaired;
    sum->place_bytes += s->place_bytes;
    sum->repair_bytes += s->repair_bytes;
    sum->holders_gone += s->holders_gone;
    sum->bad_messages += s->bad_messages;
}

/* ---- events -------------------------------------------------------------- */

static void data_tick(void *user, uint64_t arg) {
    run_replicate *d = user;
    uint32_t host = (uint32_t)arg, generation = (uint32_t)(arg >> 32);
    if (generation != d->generation[host] || !world_host_online(d->w, host) || d->reps[host] == NULL) return;
    uint64_t next = replicate_tick(d->reps[host], world_now(d->w));
    world_at(d->w, next, d->call_tick, arg);
}

static void data_put(void *user, uint64_t sequence) {
    run_replicate *d = user;
    const scenario_data *sd = &d->s->workload.data;
    uint32_t host = data_pick_host(d);
    if (host != UINT32_MAX && d->block_count < RUN_REPLICATE_BLOCKS_MAX) {
        /* Each put is new content: the sequence in its first bytes. */
        for (size_t b = 0; b < 8 && b < sd->size_bytes; b++) d->payload[b] = (uint8_t)(sequence >> (8 * b));
        cid c;
        if (replicate_put(d->reps[host], world_now(d->w), d->payload, sd->size_bytes, &c) == 0)
            d->blocks[d->block_count++] = c;
    }
    uint64_t next = world_now(d->w) + data_interval_ns(d, sd->put_rate_per_s);
    if (next < d->s->workload.stop_ns) world_at(d->w, next, d->call_put, sequence + 1);
}

static void data_got(void *user, const cid *c, bool ok) {
    (void)c;
    data_get_ctx *g = user;
    data_metrics_got(g->d->metrics, g->index, world_now(g->d->w), ok);
}

static void data_get(void *user, uint64_t sequence) {
    run_replicate *d = user;
    const scenario_data *sd = &d->s->workload.data;
    uint32_t host = d->block_count > 0 ? data_pick_host(d) : UINT32_MAX;
    if (host != UINT32_MAX) {
        const cid *c = &d->blocks[rng_below(&d->draws, d->block_count)];
        int64_t index = data_metrics_get(d->metrics, world_now(d->w));
        if (index >= 0) {
            data_get_ctx *g = &d->gets[index];
            *g = (data_get_ctx){.d = d, .index = (uint64_t)index};
            if (replicate_get(d->reps[host], c, data_got, g) != 0) data_metrics_got(d->metrics, g->index, world_now(d->w), false);
        }
    }
    uint64_t next = world_now(d->w) + data_interval_ns(d, sd->get_rate_per_s);
    if (next < d->s->workload.stop_ns) world_at(d->w, next, d->call_get, sequence + 1);
}

/* ---- lifecycle ----------------------------------------------------------- */

/* Every honest host's id and address: the peers each node knows. */
static int data_directory(run_replicate *d) {
    for (uint32_t i = 0; i < d->hosts; i++) {
        d->peers[i].id = *world_peer_id(d->w, i);
        int len = snprintf(d->peers[i].addr, sizeof d->peers[i].addr, "%s", world_address(d->w, i, true));
        if (len < 0 || (size_t)len >= sizeof d->peers[i].addr) return -1;
    }
    return 0;
}

run_replicate *run_replicate_create(const scenario *s, world *w) {
    const scenario_data *sd = &s->workload.data;
    assert(sd->present && s->nodes.count <= REPLICATE_PEERS_MAX);
    run_replicate *d = calloc(1, sizeof *d);
    if (d == NULL) return NULL;
    d->s = s;
    d->w = w;
    d->hosts = s->nodes.count;
    d->peers = calloc(d->hosts, sizeof *d->peers);
    d->reps = calloc(d->hosts, sizeof *d->reps);
    d->generation = calloc(d->hosts, sizeof *d->generation);
    d->blocks = calloc(RUN_REPLICATE_BLOCKS_MAX, sizeof *d->blocks); /* 40 MiB of address space, touched as used */
    /* Room for twice the expected gets: a Poisson count past that is
     * beyond any plausible draw; more are not issued. */
    double expected = sd->get_rate_per_s * (double)(s->workload.stop_ns - s->workload.start_ns) / NS_PER_S_DOUBLE;
    uint64_t gets_max = expected * 2 + 1024 < RUN_REPLICATE_GETS_MAX ? (uint64_t)(expected * 2) + 1024 : RUN_REPLICATE_GETS_MAX;
    d->gets = calloc(gets_max, sizeof *d->gets);
    d->payload = calloc(1, sd->size_bytes);
    d->metrics = data_metrics_create(sd->deadline_ns, s->metrics.sample_ns, gets_max);
    if (d->peers == NULL || d->reps == NULL || d->generation == NULL || d->blocks == NULL || d->gets == NULL ||
        d->payload == NULL || d->metrics == NULL || data_directory(d) != 0) {
        run_replicate_destroy(d);
        return NULL;
    }
    rng_seed(&d->draws, s->seed, RNG_STREAM_DATA);
    d->call_put = world_register_call(w, data_put, d);
    d->call_get = world_register_call(w, data_get, d);
    d->call_tick = world_register_call(w, data_tick, d);
    if (s->workload.start_ns < s->workload.stop_ns) {
        world_at(w, s->workload.start_ns, d->call_put, 0);
        world_at(w, s->workload.start_ns + data_interval_ns(d, sd->get_rate_per_s), d->call_get, 0);
    }
    return d;
}

void run_replicate_destroy(run_replicate *d) {
    if (d == NULL) return;
    for (uint32_t i = 0; d->reps != NULL && i < d->hosts; i++) replicate_destroy(d->reps[i]);
    free(d->peers);
    free(d->reps);
    free(d->generation);
    free(d->blocks);
    free(d->gets);
    free(d->payload);
    data_metrics_destroy(d->metrics);
    free(d);
}

void run_replicate_on_up(run_replicate *d, uint32_t host) {
    if (host >= d->hosts) return;
    if (d->reps[host] != NULL) {
        replicate_stats s;
        replicate_get_stats(d->reps[host], &s);
        stats_add(&d->done, &s);
        replicate_destroy(d->reps[host]); /* its node is gone: nothing calls into it any more */
    }
    const scenario_data *sd = &d->s->workload.data;
    replicate_config config = {.node = world_node(d->w, host), .peers = d->peers, .peer_count = d->hosts,
                               .replication = sd->replication, .grace_ns = sd->grace_ns};
    d->reps[host] = replicate_create(&config);
    d->generation[host]++;
    if (d->reps[host] != NULL)
        world_at(d->w, world_now(d->w) + REPLICATE_TICK_NS, d->call_tick,
                 (uint64_t)d->generation[host] << 32 | host);
}

uint64_t run_replicate_blocks_lost(world *w, uint32_t host_count, const cid *blocks, size_t count) {
    uint64_t lost = 0;
    for (size_t b = 0; b < count; b++) {
        bool held = false;
        for (uint32_t i = 0; i < host_count && !held; i++) {
            node *n = world_node(w, i);
            held = n != NULL && node_block_has(n, &blocks[b]) == 1;
        }
        lost += !held;
    }
    return lost;
}

void run_replicate_finish(run_replicate *d, uint64_t end_ns) {
    replicate_stats sum = d->done;
    for (uint32_t i = 0; i < d->hosts; i++) {
        if (d->reps[i] == NULL) continue;
        replicate_stats s;
        replicate_get_stats(d->reps[i], &s);
        stats_add(&sum, &s);
    }
    data_totals t = {.blocks_put = d->block_count,
                     .blocks_lost = run_replicate_blocks_lost(d->w, d->hosts, d->blocks, d->block_count),
                     .replication_bytes = sum.place_bytes, .repair_bytes = sum.repair_bytes,
                     .repairs = sum.repaired, .holders_gone = sum.holders_gone};
    data_metrics_set_totals(d->metrics, &t);
    data_metrics_finish(d->metrics, end_ns);
}

const data_metrics *run_replicate_metrics(const run_replicate *d) { return d->metrics; }
