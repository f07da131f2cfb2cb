/*
 * validate: `swarmlab validate SCENARIO` (issue 14; docs/fidelity.md,
 * "swarmlab validate"): one scenario and seed on each backend, the metrics
 * side by side with ratios.
 *
 *   swarmlab validate SCENARIO [--backends builtin,ns3] [--tolerance 10%]
 *                    [--seed N] [--set KEY=VALUE]... [--out DIR]
 *
 * Each backend's run goes to DIR/BACKEND (default DIR:
 * results/validate/NAME-SEED, no plots); the table to standard output and
 * to DIR/validate.csv (metric, one column per backend, ratios to the first)
 * and DIR/validate.md (the same as a markdown table). A metric differs when
 * |x - first| > tolerance * |first| (both zero agree).
 */
#ifndef SWARMLAB_VALIDATE_H
#define SWARMLAB_VALIDATE_H

/* argv[0] is "validate". Returns 0 (every metric within the tolerance),
 * 1 (a metric differs, or a run failed) or 2 (bad input: usage, scenario). */
int validate_command(int argc, char **argv);

#endif
