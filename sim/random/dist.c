#include "dist.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>

/* Samples are capped here so a heavy tail still converts to uint64 ns. */
#define DIST_SAMPLE_MAX 4.0e18
/* A normal draw below zero is redrawn this many times, then clamped. */
#define DIST_NORMAL_TRIES 16
#define DIST_PI 3.14159265358979323846
#define DIST_SQRT2 1.41421356237309504880

/* A standard normal draw by Box-Muller; 1 - u keeps the logarithm finite. */
static double standard_normal(rng *r) {
    double u1 = 1.0 - rng_uniform(r);
    double u2 = rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * DIST_PI * u2);
}

static double normal_truncated(const dist *d, rng *r) {
    for (int i = 0; i < DIST_NORMAL_TRIES; i++) {
        double x = d->a + d->b * standard_normal(r);
        if (x >= 0) return x;
    }
    return 0.0;
}

static double dist_draw(const dist *d, rng *r) {
    switch (d->kind) {
    case DIST_CONSTANT: return d->a;
    case DIST_UNIFORM: return d->a + (d->b - d->a) * rng_uniform(r);
    case DIST_NORMAL: return normal_truncated(d, r);
    case DIST_EXPONENTIAL: return -d->a * log1p(-rng_uniform(r));
    case DIST_LOGNORMAL: return d->a * exp(d->b * standard_normal(r));
    case DIST_WEIBULL: return d->b * pow(-log1p(-rng_uniform(r)), 1.0 / d->a);
    case DIST_PARETO: return d->b / pow(1.0 - rng_uniform(r), 1.0 / d->a);
    }
    assert(0 && "unknown dist_kind");
    return 0.0;
}

double dist_sample(const dist *d, rng *r) {
    assert(d != NULL);
    assert(r != NULL || d->kind == DIST_CONSTANT);
    double x = dist_draw(d, r);
    if (!(x >= 0)) return 0.0; /* also NaN */
    return x > DIST_SAMPLE_MAX ? DIST_SAMPLE_MAX : x;
}

/* The mean of a normal truncated at zero: mean + sd * pdf(alpha) / P(X > 0). */
static double normal_truncated_mean(double mean, double sd) {
    if (!(sd > 0)) return mean > 0 ? mean : 0.0;
    double alpha = -mean / sd;
    double above = 0.5 * erfc(alpha / DIST_SQRT2);
    double pdf = exp(-0.5 * alpha * alpha) / sqrt(2.0 * DIST_PI);
    return above > 0 ? mean + sd * pdf / above : 0.0;
}

double dist_mean(const dist *d) {
    assert(d != NULL);
    switch (d->kind) {
    case DIST_CONSTANT: return d->a;
    case DIST_UNIFORM: return 0.5 * (d->a + d->b);
    case DIST_NORMAL: return normal_truncated_mean(d->a, d->b);
    case DIST_EXPONENTIAL: return d->a;
    case DIST_LOGNORMAL: return d->a * exp(0.5 * d->b * d->b);
    case DIST_WEIBULL: return d->b * tgamma(1.0 + 1.0 / d->a);
    case DIST_PARETO: return d->a > 1.0 ? d->a * d->b / (d->a - 1.0) : INFINITY;
    }
    assert(0 && "unknown dist_kind");
    return 0.0;
}
