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

/* "label 12.3 +- 0.4 unit": the half-width only where there is one. */
static void sweep_print_estimate(const char *label, const sweep_estimate *e, int decimals, const char *unit) {
    if (!isfinite(e->mean)) printf("%s none", label);
    else if (!isfinite(e->half_width_95)) printf("%s %.*f%s", label, decimals, e->mean, unit);
    else printf("%s %.*f +- %.*f%s", label, decimals, e->mean, decimals, e->half_width_95, unit);
}

static void sweep_print_summary(const sweep *w, double wall_s, int plots, const char *plot_err) {
    printf("swarmlab sweep %s: %zu combinations x %zu seeds = %zu runs (-j %zu) in %.1f s: %zu ok, %zu failed\n",
           w->scenario_path, w->combination_count, w->seed_count, w->run_count, w->jobs, wall_s,
           w->run_count - w->failed_count, w->failed_count);
    for (size_t c = 0; c < w->combination_count; c++) {
        size_t index[SWEEP_PARAMS_MAX];
        sweep_grid_values(&w->grid, c, index);
        printf(" ");
        for (size_t k = 0; k < w->grid.param_count; k++)
            printf(" %s=%s", w->grid.params[k].key, w->grid.params[k].values[index[k]]);
        const sweep_estimate *e = w->estimates[c];
        printf(": %zu runs;", w->runs_ok[c]);
        sweep_print_estimate(" delivery", &e[0], 4, "");
        sweep_print_estimate(", p50", &e[1], 1, " ms");
        sweep_print_estimate(", p99", &e[2], 1, " ms");
        sweep_print_estimate(", duplicates", &e[3], 2, "");
        putchar('\n');
    }
    printf("  output %s/ (sweep.csv, runs.csv, runs/", w->out);
    if (plots > 0) printf(", %d plots: %s.png, ...", plots, sweep_metrics[1].name);
    printf(")\n");
    if (plots < 0) printf("  plots not drawn: %s\n", plot_err);
}

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
    sweep_aggregate(w);
    int rc = w->failed_count > 0 ? SWEEP_EXIT_FAILED : SWEEP_EXIT_OK;
    if (sweep_write_runs_csv(w) != 0 || sweep_write_sweep_csv(w) != 0) rc = SWEEP_EXIT_FAILED;
    char plot_err[SWEEP_PATH_MAX * 2 + 64];
    int plots = sweep_plot(w, plot_err, sizeof plot_err);
    sweep_print_summary(w, sweep_now_s() - started_s, plots, plot_err);
    if (w->failed_count > 0)
        fprintf(stderr, "swarmlab sweep: %zu of %zu runs failed (see above and %s/runs.csv)\n", w->failed_count,
                w->run_count, w->out);
    return rc;
}

int sweep_command(int argc, char **argv) {
    assert(argc >= 1);
    assert(strcmp(argv[0], "sweep") == 0);
    sweep *w = calloc(1, sizeof *w);
    if (w == NULL) {
        fprintf(stderr, "swarmlab sweep: out of memory\n");
        return SWEEP_EXIT_FAILED;
    }
    int rc = sweep_prepare(w, argc, argv);
    if (rc == 0) rc = sweep_conduct(w);
    else if (rc == SWEEP_EXIT_HELP) rc = SWEEP_EXIT_OK;
    free(w);
    return rc;
}
