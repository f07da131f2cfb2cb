/*
 * sweep_output: what a sweep writes once its runs are done (here, or
 * elsewhere and collected): runs.csv, sweep.csv (analysis/csv.h), a plot
 * per metric drawn by gnuplot (analysis/gnuplot.h), and the summary.
 */
#define _DEFAULT_SOURCE /* kill, nanosleep, readlink with glibc's -std=c11 */

#include "plot.h"
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
#include "scenario/scenario.h"
/* ---- the CSV files ---------------------------------------------------- */

/* A number cell after its comma; empty when there is none. */
static void sweep_csv_number(FILE *out, double value) {
    fputc(',', out);
    csv_put_real_digits(out, value, SWEEP_DIGITS);
}

static void sweep_csv_params(FILE *out, const sweep *w, size_t combination, bool header) {
    size_t index[SWEEP_PARAMS_MAX];
    sweep_grid_values(&w->grid, combination, index);
    for (size_t k = 0; k < w->grid.param_count; k++) {
        if (k > 0) fputc(',', out);
        const sweep_param *p = &w->grid.params[k];
        csv_put_text(out, header ? p->key : p->values[index[k]]);
    }
}

static FILE *sweep_csv_open(const sweep *w, const char *name) {
    char path[SWEEP_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", w->out, name);
    FILE *out = fopen(path, "w");
    if (out == NULL) fprintf(stderr, "swarmlab sweep: cannot write %s: %s\n", path, strerror(errno));
    return out;
}

int sweep_close_written(FILE *out, const char *name) {
    bool failed = ferror(out) != 0;
    if (fclose(out) != 0 || failed) {
        fprintf(stderr, "swarmlab sweep: writing %s failed\n", name);
        return -1;
    }
    return 0;
}

/* runs.csv: one row per run, the command last because it is the longest. */
int sweep_write_runs_csv(const sweep *w) {
    FILE *out = sweep_csv_open(w, "runs.csv");
    if (out == NULL) return -1;
    sweep_csv_params(out, w, 0, true);
    fputs(",seed,status,digest", out);
    for (size_t m = 0; m < SWEEP_METRICS; m++) fprintf(out, ",%s", sweep_metrics[m].name);
    fputs(",command\n", out);
    for (size_t i = 0; i < w->run_count; i++) {
        const sweep_run *r = &w->runs[i];
        char status[96], command[SWEEP_COMMAND_MAX];
        sweep_argv a;
        sweep_build_argv(w, r, &a);
        sweep_shell_command(&a, command, sizeof command);
        sweep_status_text(r, status, sizeof status);
        sweep_csv_params(out, w, r->combination, false);
        fprintf(out, ",%llu,", (unsigned long long)r->seed);
        csv_put_text(out, status);
        fprintf(out, ",%s", r->state == SWEEP_OK ? r->digest : "");
        for (size_t m = 0; m < SWEEP_METRICS; m++) sweep_csv_number(out, r->state == SWEEP_OK ? r->metrics[m] : NAN);
        fputc(',', out);
        csv_put_text(out, command);
        fputc('\n', out);
    }
    return sweep_close_written(out, "runs.csv");
}

/* sweep.csv: one row per combination; runs counts those that succeeded. */
int sweep_write_sweep_csv(const sweep *w) {
    FILE *out = sweep_csv_open(w, "sweep.csv");
    if (out == NULL) return -1;
    sweep_csv_params(out, w, 0, true);
    fputs(",runs", out);
    for (size_t m = 0; m < SWEEP_METRICS; m++)
        fprintf(out, ",%s_mean,%s_ci95", sweep_metrics[m].name, sweep_metrics[m].name);
    fputc('\n', out);
    for (size_t c = 0; c < w->combination_count; c++) {
        sweep_csv_params(out, w, c, false);
        fprintf(out, ",%zu", w->runs_ok[c]);
        for (size_t m = 0; m < SWEEP_METRICS; m++) {
            sweep_csv_number(out, w->estimates[c][m].mean);
            sweep_csv_number(out, w->estimates[c][m].half_width_95);
        }
        fputc('\n', out);
    }
    return sweep_close_written(out, "sweep.csv");
}

/* ---- the plots -------------------------------------------------------- */

/* The x axis: numeric values sorted, at their value; otherwise the given
 * order, at 0, 1, 2... order[i] is the value index at position i. */
static bool sweep_x_axis(const sweep_param *p, size_t order[SWEEP_VALUES_MAX], double x[SWEEP_VALUES_MAX]) {
    bool numeric = true;
    for (size_t i = 0; i < p->value_count; i++) {
        char *end;
        x[i] = strtod(p->values[i], &end);
        numeric = numeric && *end == '\0' && isfinite(x[i]);
        order[i] = i;
    }
    if (!numeric) {
        for (size_t i = 0; i < p->value_count; i++) x[i] = (double)i;
        return false;
    }
    for (size_t i = 1; i < p->value_count; i++) /* insertion sort: at most 64 */
        for (size_t j = i; j > 0 && x[order[j]] < x[order[j - 1]]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    return true;
}

/* The series: one per combination of the parameters after the first,
 * which vary fastest, so series s of x position j is combination
 * order[j] * series + s. One block per series, blocks two blank lines
 * apart (gnuplot's index): x, label, then mean and half-width per metric. */
static int sweep_write_plot_data(const sweep *w, const size_t order[], const double x[]) {
    FILE *out = sweep_csv_open(w, SWEEP_PLOT_DATA);
    if (out == NULL) return -1;
    const sweep_param *first = &w->grid.params[0];
    size_t series = w->combination_count / first->value_count;
    fputs("# x label", out);
    for (size_t m = 0; m < SWEEP_METRICS; m++)
        fprintf(out, " %s_mean %s_ci95", sweep_metrics[m].name, sweep_metrics[m].name);
    fputc('\n', out);
    for (size_t s = 0; s < series; s++) {
        if (s > 0) fputs("\n\n", out);
        for (size_t j = 0; j < first->value_count; j++) {
            size_t c = order[j] * series + s;
            fprintf(out, "%.9g \"", x[order[j]]);
            for (const char *v = first->values[order[j]]; *v != '\0'; v++) fputc(*v == '"' ? '\'' : *v, out);
            fputc('"', out);
            for (size_t m = 0; m < SWEEP_METRICS; m++) {
                const sweep_estimate *e = &w->estimates[c][m];
                fprintf(out, " %.9g %.9g", isfinite(e->mean) ? e->mean : NAN,
                        isfinite(e->half_width_95) ? e->half_width_95 : 0.0);
            }
            fputc('\n', out);
        }
    }
    return sweep_close_written(out, SWEEP_PLOT_DATA);
}

/* "D_lo=3, router=gossipsub": the other parameters of series s, each key
 * by its last segment. */
static void sweep_series_title(const sweep *w, size_t s, char *out, size_t cap) {
    size_t index[SWEEP_PARAMS_MAX];
    sweep_grid_values(&w->grid, s, index); /* combination s has the first value of the first parameter */
    size_t n = 0;
    out[0] = '\0';
    for (size_t k = 1; k < w->grid.param_count && n < cap; k++) {
        const char *key = strrchr(w->grid.params[k].key, '.');
        key = key != NULL ? key + 1 : w->grid.params[k].key;
        int len = snprintf(out + n, cap - n, "%s%s=%s", k > 1 ? ", " : "", key, w->grid.params[k].values[index[k]]);
        if (len < 0) break;
        n += (size_t)len;
    }
}

/* The plot of metric m, drawn once per terminal. */
static void sweep_put_plot(FILE *out, const sweep *w, size_t m, bool numeric, bool svg) {
    const sweep_param *first = &w->grid.params[0];
    size_t series = w->combination_count / first->value_count;
    fputs("reset\n", out);
    gnuplot_put_terminal(out, PLOT_SIZE, svg);
    fprintf(out, "set output '%s.%s'\nset grid\n", sweep_metrics[m].name, svg ? "svg" : "png");
    fputs("set title ", out);
    gnuplot_put_quoted(out, sweep_metrics[m].title);
    fputs(" . ' against ' . sweep_key . ' (mean and 95% confidence interval, ' . sweep_runs . ')'\n", out);
    fputs("set xlabel sweep_key\nset ylabel ", out);
    gnuplot_put_quoted(out, sweep_metrics[m].title);
    fputc('\n', out);
    if (numeric) fputs("set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n", out);
    else fprintf(out, "set xrange [-0.5:%zu.5]\nset offsets 0, 0, graph 0.05, graph 0.05\n", first->value_count - 1);
    fputs(series > 1 ? "set key outside right top\n" : "unset key\n", out);
    fputs("plot ", out);
    for (size_t s = 0; s < series; s++) {
        char title[SWEEP_RUN_NAME_MAX];
        sweep_series_title(w, s, title, sizeof title);
        fprintf(out, "%s'%s' index %zu using 1:%zu:%zu:xtic(2) with yerrorlines lw 2 pt 7 title ",
                s > 0 ? ", \\\n     " : "", SWEEP_PLOT_DATA, s, 3 + 2 * m, 4 + 2 * m);
        gnuplot_put_quoted(out, title);
    }
    fputs("\nset output\n", out);
}

static int sweep_write_plot_script(const sweep *w, size_t m, bool numeric) {
    char name[64];
    snprintf(name, sizeof name, "%s.gp", sweep_metrics[m].name);
    FILE *out = sweep_csv_open(w, name);
    if (out == NULL) return -1;
    fprintf(out, "# %s: written by swarmlab sweep. Redraw with: gnuplot %s (in this folder)\n", name, name);
    fputs("sweep_key = ", out);
    gnuplot_put_quoted(out, w->grid.params[0].key);
    fprintf(out, "\nsweep_runs = '%zu seeds per point'\n", w->seed_count);
    sweep_put_plot(out, w, m, numeric, false);
    sweep_put_plot(out, w, m, numeric, true);
    return sweep_close_written(out, name);
}

/* Draws OUT/METRIC.png and .svg for every metric; the number drawn, or -1
 * with err filled. gnuplot's messages go to OUT/plots.log. */
int sweep_plot(const sweep *w, char *err, size_t err_cap) {
    if (w->failed_count == w->run_count) return snprintf(err, err_cap, "no run succeeded"), -1;
    size_t order[SWEEP_VALUES_MAX];
    double x[SWEEP_VALUES_MAX];
    bool numeric = sweep_x_axis(&w->grid.params[0], order, x);
    char log_path[SWEEP_PATH_MAX + 16];
    snprintf(log_path, sizeof log_path, "%s/%s", w->out, PLOT_LOG);
    if (sweep_write_plot_data(w, order, x) != 0) return snprintf(err, err_cap, "cannot write the plot data"), -1;
    if (unlink(log_path) != 0 && errno != ENOENT) return snprintf(err, err_cap, "cannot replace %s", log_path), -1;
    int drawn = 0;
    for (size_t m = 0; m < SWEEP_METRICS; m++) {
        if (sweep_write_plot_script(w, m, numeric) != 0) return snprintf(err, err_cap, "cannot write a script"), -1;
        char script[64];
        snprintf(script, sizeof script, "%s.gp", sweep_metrics[m].name);
        int status = gnuplot_run(w->out, script, log_path, SWEEP_PLOT_TIMEOUT_S);
        if (status == GNUPLOT_NOT_FOUND)
            return snprintf(err, err_cap, "gnuplot not found on PATH (Debian: gnuplot-nox)"), -1;
        if (status != 0) return snprintf(err, err_cap, "gnuplot failed on %s, see %s", script, log_path), -1;
        drawn++;
    }
    return drawn;
}

/* ---- the summary ------------------------------------------------------ */

/* "label 12.3 +- 0.4 unit": the half-width only where there is one. */
static void sweep_print_estimate(const char *label, const sweep_estimate *e, int decimals, const char *unit) {
    if (!isfinite(e->mean)) printf("%s none", label);
    else if (!isfinite(e->half_width_95)) printf("%s %.*f%s", label, decimals, e->mean, unit);
    else printf("%s %.*f +- %.*f%s", label, decimals, e->mean, decimals, e->half_width_95, unit);
}

static void sweep_print_summary(const sweep *w, double wall_s, int plots, const char *plot_err) {
    printf("swarmlab sweep %s: %zu combinations x %zu seeds = %zu runs ", w->scenario_path, w->combination_count,
           w->seed_count, w->run_count);
    if (w->collected) printf("collected in %.1f s", wall_s);
    else printf("(-j %zu) in %.1f s", w->jobs, wall_s);
    printf(": %zu ok, %zu failed\n", w->run_count - w->failed_count, w->failed_count);
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

/* After the runs (run here, or elsewhere and collected): the estimates,
 * runs.csv, sweep.csv, the plots and the summary. Returns the exit code. */
int sweep_finish(sweep *w, double started_s) {
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
