/*
 * ab: the A/B report (issue 7): one scenario and seed run under two
 * settings, and their latency CDFs and time series drawn on the same axes.
 *
 *   swarmlab ab SCENARIO --a KEY=VALUE... --b KEY=VALUE... [--set KEY=VALUE]...
 *               [--seed N] [--out DIR] [--label-a TEXT] [--label-b TEXT]
 *
 * --a and --b are repeatable overrides for each side (as --set, which both
 * sides take). The runs go to DIR/a and DIR/b (default DIR:
 * results/ab/NAME-SEED); the comparison plots (ab-latency-cdf, ab-delivery,
 * ab-latency, ab-duplicates, each .png and .svg) and ab.txt, a table of
 * both runs' metrics side by side, to DIR. The windows of side A (offline,
 * partitions, attacks) are shaded on the time plots.
 */
#ifndef SWARMLAB_AB_H
#define SWARMLAB_AB_H

/* argv[0] is "ab". Returns the exit code: 0, 1 (a run failed), 2 (bad input). */
int ab_command(int argc, char **argv);

#endif
