/*
 * rng: the world's deterministic random numbers.
 *
 * xoshiro256** (Blackman and Vigna), seeded through splitmix64 from the
 * scenario seed and a stream number, so that every consumer (latency
 * samples, topology, workload, churn, each node's selection) draws from
 * its own independent stream and adding draws to one never shifts another.
 * Never used for keys: nodes take their key material from a ChaCha20 stream
 * per node (see world.c).
 */
#ifndef SWARMLAB_RNG_H
#define SWARMLAB_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

/* Well-known stream numbers; nodes use RNG_STREAM_NODE_BASE + index. */
enum {
    RNG_STREAM_LATENCY = 1,
    RNG_STREAM_TOPOLOGY = 2,
    RNG_STREAM_WORKLOAD = 3,
    RNG_STREAM_SELECTORS = 4,
    RNG_STREAM_CHURN = 5,
    RNG_STREAM_LOSS = 6,
    RNG_STREAM_ATTACK = 7,
    RNG_STREAM_REGIONS = 8, /* hosts placed in network.regions */
    RNG_STREAM_CLASSES = 9, /* hosts dealt nodes.classes */
    RNG_STREAM_JITTER = 10, /* per-write jitter of the regions' paths */
    RNG_STREAM_DATA = 11,   /* workload.data: who puts and gets what */
    RNG_STREAM_SEALED = 15, /* workload.sealed: who is a member, who is revoked */
    RNG_STREAM_QUERY = 21,  /* protocol.query: holders, askers, blocks and times */
    RNG_STREAM_NODE_BASE = 1000,
};

void rng_seed(rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(rng *r);
/* Uniform in [0, 1). */
double rng_uniform(rng *r);
/* Uniform integer in [0, bound), without modulo bias; bound > 0. */
uint64_t rng_below(rng *r, uint64_t bound);

#endif
