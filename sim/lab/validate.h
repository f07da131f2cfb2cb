/*
 * validate: `swarmlab validate SCENARIO` (issue 14; docs/fidelity.md,
 * "swarmlab validate"): one scenario and seed on each backend, the metrics
 * side by side with ratios.
 *
 *   swarmlab validate SCENARIO [--backends builtin,ns3[,testbed]] [--tolerance 10%]
 *                    [--seed N] [--set KEY=VALUE]... [--out DIR]
 *
 * Backends: builtin and ns3 (the world over its two networks) and testbed
 * (testbed.h: real daemons in network namespaces, in real time; needs
 * root: without it validate says so before any run and exits 1, as
 * `swarmlab testbed` does when it cannot run here). Two or three, the
 * first the reference; every backend loads the scenario (and the testbed
 * checks what it refuses: exit 2) before the first run.
 *
 * Each backend's run goes to DIR/BACKEND (default DIR:
 * results/validate/NAME-SEED, no plots); the table to standard output and
 * to DIR/validate.csv (metric, one column per backend, then ratio and differs
 * per other backend: ratio_NAME and differs_NAME with three)
 * and DIR/validate.md (the same as a markdown table). A metric differs when
 * |x - first| > tolerance * |first| (both zero agree).
 */
#ifndef SWARMLAB_VALIDATE_H
#define SWARMLAB_VALIDATE_H

/* argv[0] is "validate". Returns 0 (every metric within the tolerance),
 * 1 (a metric differs, a run failed, or the testbed cannot run here),
 * 2 (bad input: usage, a scenario a backend refuses) or 130 (the testbed
 * was interrupted, after its cleanup). */
int validate_command(int argc, char **argv);

#endif
