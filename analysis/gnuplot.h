/*
 * gnuplot: what every plot swarmlab draws needs from gnuplot (a run's
 * plots, a sweep's, an A/B comparison's): strings quoted for a script,
 * and one way to run gnuplot on a script with its messages in a log.
 */
#ifndef SWARMLAB_GNUPLOT_H
#define SWARMLAB_GNUPLOT_H

#include <stdbool.h>
#include <stdio.h>

#define GNUPLOT_PROGRAM "gnuplot"

/* What gnuplot_run returns besides gnuplot's own exit status (0 is
 * success, > 0 a failure). */
#define GNUPLOT_NOT_FOUND (-1)    /* not on PATH */
#define GNUPLOT_NOT_STARTED (-2)  /* the log or the process could not be made */
#define GNUPLOT_TIMED_OUT (-3)    /* killed at the timeout */
#define GNUPLOT_KILLED (-4)       /* ended by a signal */

/* A single-quoted gnuplot string: '' is a quote, nothing else is special;
 * control bytes become spaces so that the script stays one command per
 * line. */
void gnuplot_put_quoted(FILE *out, const char *text);

/* The terminal of one output of a script: SVG, or PNG with pngcairo where
 * gnuplot has it; size is "WIDTH,HEIGHT". */
void gnuplot_put_terminal(FILE *out, const char *size, bool svg);

/* Whether gnuplot is on PATH, looked up here so that its absence gets a
 * clear error rather than a shell's "exit status 127". */
bool gnuplot_found(void);

/* Runs `gnuplot SCRIPT`, in folder dir (SCRIPT relative to it) or, when
 * dir is NULL, in the current one, with its output appended to log_path;
 * killed after timeout_s seconds unless timeout_s is 0. gnuplot's exit
 * status, or a GNUPLOT_ code above. */
int gnuplot_run(const char *dir, const char *script, const char *log_path, unsigned timeout_s);

#endif
