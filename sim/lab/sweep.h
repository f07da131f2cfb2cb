/*
 * sweep: `swarmlab sweep`, the parameter sweep (docs/regression.md).
 *
 *   swarmlab sweep SCENARIO --param KEY=V1,V2,... [--param ...] --seeds N
 *                  [--seed-base S] [-j N] [--out DIR] [--set KEY=VALUE]...
 *                  [--timeout SECONDS]
 *
 * Every combination of the --param values (their cartesian product, the
 * last parameter varying fastest) times the seeds S..S+N-1 is one run of
 * `swarmlab run`, each in its own process (fork and exec of the swarmlab
 * binary: $SWARMLAB_BIN, else /proc/self/exe), at most -j at once. Each run
 * writes into OUT/runs/VALUES-seedN/ (VALUES: the combination's values
 * joined by '_'). The sweep then writes:
 *
 *   OUT/runs.csv    one row per run: the parameter values, seed, status,
 *                   digest, the metrics, and the command that reproduces it;
 *   OUT/sweep.csv   one row per combination: the parameter values, runs
 *                   (those that succeeded), and per metric its mean and the
 *                   half-width of its 95% confidence interval (Student t,
 *                   n-1 degrees of freedom; empty with one run);
 *   OUT/METRIC.png and .svg (and .gp): the mean with error bars against the
 *                   first parameter, one line per combination of the others.
 *
 * A run that fails is reported with its seed and command, the sweep goes
 * on, and the command exits 1 at the end. Bad arguments exit 2.
 *
 * Across machines (sweep_plan.c, docs/regression.md):
 *
 *   swarmlab sweep SCENARIO ... --plan FILE   writes one shell command per
 *                   run to FILE (each with its own --out and run.log) and
 *                   OUT/sweep.plan, and runs nothing;
 *   swarmlab sweep --collect DIR   reads DIR/sweep.plan and the finished
 *                   runs and writes runs.csv, sweep.csv and the plots.
 */
#ifndef SWARMLAB_SWEEP_H
#define SWARMLAB_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#define SWEEP_PARAMS_MAX 4     /* --param options */
#define SWEEP_VALUES_MAX 64    /* values of one parameter */
#define SWEEP_RUNS_MAX 1000    /* combinations times seeds */
#define SWEEP_KEY_MAX 128      /* a key, as --set takes it, with its '\0' */
#define SWEEP_VALUE_MAX 64     /* one value, with its '\0' */
#define SWEEP_RUN_NAME_MAX 320 /* 4 values of 63 bytes, 3 '_', "-seed", 20 digits */
#define SWEEP_T_TABLE_N_MAX 30 /* t values are tabled up to 30 samples; 1.96 beyond */

/* One --param KEY=V1,V2,...: the values in the given order, all distinct. */
typedef struct sweep_param {
    char key[SWEEP_KEY_MAX];
    size_t value_count;
    char values[SWEEP_VALUES_MAX][SWEEP_VALUE_MAX];
} sweep_param;

/* The parameters of a sweep, in the order they were given. */
typedef struct sweep_grid {
    size_t param_count;
    sweep_param params[SWEEP_PARAMS_MAX];
} sweep_grid;

/* Parses "KEY=V1,V2,..." and appends it to g. 0, or -1 with err filled
 * (malformed, a key given twice, a value repeated or too long, a limit). */
int sweep_grid_add(sweep_grid *g, const char *text, char *err, size_t err_cap);
/* The number of combinations: the product of the value counts (1 with no
 * parameter). The caller keeps it within SWEEP_RUNS_MAX. */
size_t sweep_grid_combinations(const sweep_grid *g);
/* The value index of each parameter in combination number `combination`
 * (< sweep_grid_combinations): the last parameter varies fastest. */
void sweep_grid_values(const sweep_grid *g, size_t combination, size_t value_index[SWEEP_PARAMS_MAX]);
/* The folder name of one run, e.g. "4_gossipsub-seed3": the values joined
 * by '_', any byte other than [A-Za-z0-9.+-] written as '_'. 0, or -1 when
 * it does not fit in cap. */
int sweep_run_name(const sweep_grid *g, size_t combination, uint64_t seed, char *out, size_t cap);

/* The two-sided 95% critical value of Student's t for n samples (n - 1
 * degrees of freedom), n >= 2: tabled up to SWEEP_T_TABLE_N_MAX, 1.96 beyond. */
double sweep_t_critical_95(size_t n);

/* A metric over the runs of one combination. */
typedef struct sweep_estimate {
    size_t n;             /* finite values */
    double mean;          /* NAN when n == 0 */
    double half_width_95; /* t * sd / sqrt(n); NAN when n < 2 */
} sweep_estimate;

/* The estimate of the finite values among values[0..count). */
void sweep_estimate_of(const double *values, size_t count, sweep_estimate *out);

/* The command: argv[0] is "sweep". Returns the exit code: 0 every run
 * succeeded, 1 a run failed (or the output could not be written), 2 bad
 * arguments or scenario. */
int sweep_command(int argc, char **argv);

#endif
