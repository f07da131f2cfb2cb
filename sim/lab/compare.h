/*
 * compare: `swarmlab compare BASE NEW`, two runs' metrics side by side
 * (docs/regression.md, "swarmlab compare").
 *
 * BASE and NEW are each a metrics.json or a run folder holding one. Every
 * compared metric has a direction (higher or lower is better) and a
 * tolerance {relative, absolute}: a change is within tolerance when
 *
 *     |new - old| <= max(absolute, relative * |old|)
 *
 * and otherwise a REGRESSION when it goes the bad way, "improved" when it
 * goes the good way. Tolerances come from results/baselines/tolerances.yaml
 * (or --tolerances FILE), else built-in defaults equal to that file's;
 * --tolerance METRIC=REL then sets one metric's relative tolerance.
 *
 * Exit codes: 0 no regression, 1 a regression (named on the last line),
 * 2 bad input (usage, unreadable or malformed files).
 */
#ifndef SWARMLAB_COMPARE_H
#define SWARMLAB_COMPARE_H

#include <stdio.h>

#define COMPARE_EXIT_OK 0
#define COMPARE_EXIT_REGRESSION 1
#define COMPARE_EXIT_BAD_INPUT 2

/* The default tolerances file, relative to the current directory. */
#define COMPARE_TOLERANCES_DEFAULT "results/baselines/tolerances.yaml"

/* The command: argv[0] is "compare". Writes the table to standard output
 * and errors to standard error; returns the exit code. */
int compare_command(int argc, char **argv);

/* The same, writing to out and err (the tests read what it printed). */
int compare_main(int argc, char **argv, FILE *out, FILE *err);

#endif
