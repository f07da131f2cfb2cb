/*
 * dist: the probability distributions a scenario names for latencies,
 * session lengths, message sizes and the like (docs/scenarios.md), sampled
 * from the world's deterministic rng. Their names, parameters and checks
 * belong to the scenario format (scenario_values.c); this is the arithmetic.
 */
#ifndef SWARMLAB_DIST_H
#define SWARMLAB_DIST_H

#include "rng.h"

typedef enum dist_kind {
    DIST_CONSTANT,    /* a = value */
    DIST_UNIFORM,     /* a = min, b = max */
    DIST_NORMAL,      /* a = mean, b = sd; truncated at zero */
    DIST_EXPONENTIAL, /* a = mean */
    DIST_LOGNORMAL,   /* a = median, b = sigma */
    DIST_WEIBULL,     /* a = shape, b = scale */
    DIST_PARETO,      /* a = shape, b = scale (the minimum) */
} dist_kind;

/* Values in base units (ns for durations). */
typedef struct dist {
    dist_kind kind;
    double a, b;
} dist;

/* A sample, never negative. */
double dist_sample(const dist *d, rng *r);
/* The distribution's mean (infinity for a Pareto with shape <= 1). */
double dist_mean(const dist *d);

#endif
