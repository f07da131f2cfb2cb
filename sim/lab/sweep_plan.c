/*
 * sweep_plan: a sweep across machines (issue 16). `--plan FILE` writes each
 * run's command instead of running it, and OUT/sweep.plan, the sweep's own
 * arguments; `--collect DIR` reads DIR/sweep.plan back, names the same
 * runs, reads each finished run's metrics.json and writes what the sweep
 * writes (sweep_finish: runs.csv, sweep.csv, the plots, the summary).
 *
 * A line of the plan is one shell command that needs nothing but the
 * binary, the scenario and a writable OUT at the same paths:
 *
 *   mkdir -p OUT/runs/NAME && BIN run SCENARIO --seed N --set ... \
 *     --out OUT/runs/NAME --no-plots --quiet >OUT/runs/NAME/run.log 2>&1
 *
 * exactly the command and log of the in-process sweep, so that the runs
 * and hence sweep.csv are the same byte for byte (tests/unit/test_sweep.c).
 */
#define _DEFAULT_SOURCE

#include "sweep.h"
#include "sweep_internal.h"

#include "run.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SWEEP_PLAN_ARGS_MAX (SWEEP_ARGV_MAX + 16) /* the sweep's own arguments in sweep.plan */
#define SWEEP_PLAN_HEADER "# swarmlab sweep plan: the sweep's arguments, one a line (swarmlab sweep --collect reads them)\n"

/* ---- --plan ----------------------------------------------------------- */

/* OUT/sweep.plan: the binary and the sweep's arguments but --plan. */
static int sweep_write_plan_args(const sweep *w) {
    char path[SWEEP_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", w->out, SWEEP_PLAN_FILE);
    for (size_t i = 0; i < w->arg_count; i++)
        if (strchr(w->args[i], '\n') != NULL) return sweep_bad_usage("an argument holds a line break", NULL);
    FILE *out = fopen(path, "w");
    if (out == NULL) {
        fprintf(stderr, "swarmlab sweep: cannot write %s: %s\n", path, strerror(errno));
        return SWEEP_EXIT_FAILED;
    }
    fprintf(out, SWEEP_PLAN_HEADER "bin=%s\n", w->bin);
    for (size_t i = 0; i < w->arg_count; i++) {
        if (strcmp(w->args[i], "--plan") == 0) {
            i++; /* and its value */
            continue;
        }
        fprintf(out, "arg=%s\n", w->args[i]);
    }
    return sweep_close_written(out, path) == 0 ? 0 : SWEEP_EXIT_FAILED;
}

/* One run's line: its folder made, its command, its log. */
static void sweep_plan_line(const sweep *w, const sweep_run *r, char *line, size_t cap) {
    sweep_argv a;
    sweep_build_argv(w, r, &a);
    char command[SWEEP_COMMAND_MAX], log_path[SWEEP_PATH_MAX + 16];
    sweep_shell_command(&a, command, sizeof command);
    snprintf(log_path, sizeof log_path, "%s/%s", a.out, SWEEP_RUN_LOG);
    size_t n = (size_t)snprintf(line, cap, "mkdir -p ");
    n = sweep_shell_word(a.out, line, n, cap);
    n += (size_t)snprintf(line + n, cap - n, " && %s >", command);
    if (n < cap) n = sweep_shell_word(log_path, line, n, cap);
    if (n < cap) snprintf(line + n, cap - n, " 2>&1");
}

int sweep_write_plan(sweep *w) {
    int rc = sweep_write_plan_args(w);
    if (rc != 0) return rc;
    FILE *out = fopen(w->plan_path, "w");
    if (out == NULL) {
        fprintf(stderr, "swarmlab sweep: cannot write %s: %s\n", w->plan_path, strerror(errno));
        return SWEEP_EXIT_FAILED;
    }
    static char line[SWEEP_COMMAND_MAX + 3 * SWEEP_PATH_MAX];
    for (size_t i = 0; i < w->run_count; i++) {
        const sweep_run *r = &w->runs[i];
        sweep_plan_line(w, r, line, sizeof line);
        /* A stale metrics.json from an earlier sweep in the same folder
         * must not pass for this run's (as sweep_start does). */
        char metrics_path[SWEEP_PATH_MAX + SWEEP_RUN_NAME_MAX + 32];
        snprintf(metrics_path, sizeof metrics_path, "%s/runs/%s/metrics.json", w->out, r->name);
        if (unlink(metrics_path) != 0 && errno != ENOENT)
            fprintf(stderr, "swarmlab sweep: cannot remove %s: %s\n", metrics_path, strerror(errno));
        fprintf(out, "%s\n", line);
    }
    if (sweep_close_written(out, w->plan_path) != 0) return SWEEP_EXIT_FAILED;
    printf("swarmlab sweep %s: planned %zu combinations x %zu seeds = %zu runs in %s\n", w->scenario_path,
           w->combination_count, w->seed_count, w->run_count, w->plan_path);
    printf("  run them (e.g. parallel -j %zu < %s), then: swarmlab sweep --collect %s\n", w->jobs, w->plan_path,
           w->out);
    return SWEEP_EXIT_OK;
}

/* ---- --collect -------------------------------------------------------- */

/* The lines of DIR/sweep.plan, as the sweep's argument vector. */
typedef struct sweep_plan_args {
    char *argv[SWEEP_PLAN_ARGS_MAX + 1];
    int argc;
    char *bin;
} sweep_plan_args;

static void sweep_plan_args_free(sweep_plan_args *p) {
    for (int i = 1; i < p->argc; i++) free(p->argv[i]);
    free(p->bin);
}

/* 0, or an exit code after saying why. */
static int sweep_read_plan(const char *dir, sweep_plan_args *p) {
    char path[SWEEP_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", dir, SWEEP_PLAN_FILE);
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        fprintf(stderr, "swarmlab sweep: --collect: cannot read %s: %s (a folder that sweep --plan wrote?)\n", path,
                strerror(errno));
        return SWEEP_EXIT_BAD_INPUT;
    }
    p->argv[0] = "sweep";
    p->argc = 1;
    static char line[SWEEP_PLAN_LINE_MAX];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, in) != NULL) {
        size_t len = strcspn(line, "\n");
        if (line[len] != '\n') rc = -1; /* too long, or no line end */
        line[len] = '\0';
        if (line[0] == '#') continue;
        if (strncmp(line, "bin=", 4) == 0 && p->bin == NULL) {
            if ((p->bin = strdup(line + 4)) == NULL) rc = -1;
        } else if (strncmp(line, "arg=", 4) == 0 && p->argc < SWEEP_PLAN_ARGS_MAX) {
            if ((p->argv[p->argc] = strdup(line + 4)) == NULL) rc = -1;
            else p->argc++;
        } else {
            rc = -1;
        }
    }
    p->argv[p->argc] = NULL;
    if (ferror(in) != 0 || p->bin == NULL || strlen(p->bin) >= SWEEP_PATH_MAX) rc = -1;
    fclose(in);
    if (rc != 0) {
        fprintf(stderr, "swarmlab sweep: --collect: %s is not a plan that sweep --plan wrote\n", path);
        return SWEEP_EXIT_BAD_INPUT;
    }
    return 0;
}

int sweep_collect(sweep *w, const char *dir) {
    double started_s = sweep_now_s();
    if (strlen(dir) >= SWEEP_PATH_MAX / 2) return sweep_bad_usage("--collect: a bad folder", dir);
    static sweep_plan_args plan;
    memset(&plan, 0, sizeof plan);
    int rc = sweep_read_plan(dir, &plan);
    if (rc == 0) rc = sweep_parse_args(w, plan.argc, plan.argv);
    if (rc == 0) {
        w->combination_count = sweep_grid_combinations(&w->grid);
        snprintf(w->out, sizeof w->out, "%s", dir);
        for (size_t len = strlen(w->out); len > 1 && w->out[len - 1] == '/'; len--) w->out[len - 1] = '\0';
        snprintf(w->bin, sizeof w->bin, "%s", plan.bin);
        if (sweep_plan_runs(w) != 0) rc = SWEEP_EXIT_BAD_INPUT;
    }
    if (rc == 0) {
        w->collected = true;
        w->failed_count = 0;
        for (size_t i = 0; i < w->run_count; i++) {
            sweep_run *r = &w->runs[i];
            r->state = sweep_read_metrics(w, r) == 0 ? SWEEP_OK : SWEEP_NO_METRICS;
            if (r->state != SWEEP_OK) {
                sweep_report_failure(w, r);
                w->failed_count++;
            }
        }
        rc = sweep_finish(w, started_s);
    }
    sweep_plan_args_free(&plan);
    return rc == SWEEP_EXIT_HELP ? SWEEP_EXIT_BAD_INPUT : rc;
}
