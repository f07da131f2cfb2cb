/*
 * sweep: `swarmlab sweep` (see sweep.h). One process per run, as
 * docs/architecture.md ("Design notes") says: a run that crashes takes
 * nothing else down, each run's memory is its own, and -j runs use -j
 * cores without any shared state.
 *
 * The parent forks and execs `swarmlab run ... --out OUT/runs/NAME` for
 * each (combination, seed), keeps at most -j children alive, polls them
 * (so that a hung child is killed at --timeout and every wait ends), then
 * reads each run's metrics.json with json_read (analysis/json_read.h) and
 * writes runs.csv, sweep.csv and the gnuplot plots.
 */
#define _DEFAULT_SOURCE /* kill, nanosleep, readlink with glibc's -std=c11 */

#include "sweep.h"
#include "sweep_internal.h"

#include "run.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "gnuplot.h"
#include "json_read.h"
#include "plot.h"
#include "scenario/scenario.h"
/* ---- the command ------------------------------------------------------ */

/* Parses, checks the scenario under every combination, finds the binary
 * and names the runs. 0, SWEEP_EXIT_HELP or an exit code. */
static int sweep_prepare(sweep *w, int argc, char **argv) {
    int rc = sweep_parse_args(w, argc, argv);
    if (rc != 0) return rc;
    w->combination_count = sweep_grid_combinations(&w->grid);
    char name[SCENARIO_NAME_MAX];
    rc = sweep_check_scenario(w, name, sizeof name);
    if (rc != 0) return rc;
    snprintf(w->out, sizeof w->out, "%s", w->out_arg != NULL ? w->out_arg : SWEEP_DEFAULT_OUT "/");
    if (w->out_arg == NULL) strncat(w->out, name, sizeof w->out - strlen(w->out) - 1);
    for (size_t len = strlen(w->out); len > 1 && w->out[len - 1] == '/'; len--) w->out[len - 1] = '\0';
    if (sweep_find_binary(w) != 0) {
        fprintf(stderr, "swarmlab sweep: cannot execute the swarmlab binary '%s': set SWARMLAB_BIN\n", w->bin);
        return SWEEP_EXIT_BAD_INPUT;
    }
    if (sweep_plan_runs(w) != 0) return SWEEP_EXIT_BAD_INPUT;
    char runs_dir[SWEEP_PATH_MAX + 8];
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", w->out);
    if (run_make_dir(runs_dir) != 0) {
        fprintf(stderr, "swarmlab sweep: cannot create %s: %s\n", runs_dir, strerror(errno));
        return SWEEP_EXIT_FAILED;
    }
    w->progress = isatty(STDERR_FILENO) != 0;
    return 0;
}

static int sweep_conduct(sweep *w) {
    double started_s = sweep_now_s();
    sweep_execute(w);
    return sweep_finish(w, started_s);
}

int sweep_command(int argc, char **argv) {
    assert(argc >= 1);
    assert(strcmp(argv[0], "sweep") == 0);
    sweep *w = calloc(1, sizeof *w);
    if (w == NULL) {
        fprintf(stderr, "swarmlab sweep: out of memory\n");
        return SWEEP_EXIT_FAILED;
    }
    int rc;
    if (argc >= 2 && strcmp(argv[1], "--collect") == 0) {
        rc = argc == 3 && argv[2][0] != '\0' && argv[2][0] != '-'
                 ? sweep_collect(w, argv[2])
                 : sweep_bad_usage("--collect takes a folder and nothing else: swarmlab sweep --collect DIR", NULL);
        free(w);
        return rc;
    }
    w->args = argv + 1;
    w->arg_count = (size_t)argc - 1;
    rc = sweep_prepare(w, argc, argv);
    if (rc == 0) rc = w->plan_path != NULL ? sweep_write_plan(w) : sweep_conduct(w);
    else if (rc == SWEEP_EXIT_HELP) rc = SWEEP_EXIT_OK;
    free(w);
    return rc;
}
