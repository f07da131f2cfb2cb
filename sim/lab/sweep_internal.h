/*
 * sweep_internal: what the parts of `swarmlab sweep` share: the sweep's
 * state, its limits and its metrics, and the functions one part calls in
 * another. Not for use outside sim/lab/sweep*.c.
 */
#ifndef SWARMLAB_SWEEP_INTERNAL_H
#define SWARMLAB_SWEEP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "sweep.h"

#define SWEEP_EXIT_OK 0
#define SWEEP_EXIT_FAILED 1
#define SWEEP_EXIT_BAD_INPUT 2
#define SWEEP_EXIT_HELP (-1)           /* --help: usage on stdout, exit 0 */
#define SWEEP_EXIT_EXEC_FAILED 127     /* as the shell says "command not found" */
#define SWEEP_SETS_MAX 32              /* --set options passed to every run */
#define SWEEP_JOBS_MAX 256             /* -j */
#define SWEEP_PATH_MAX 1024            /* OUT, the binary, a run's folder and files */
#define SWEEP_COMMAND_MAX 8192         /* a run's command, shell-quoted */
#define SWEEP_TIMEOUT_DEFAULT_S 3600   /* a run that takes longer is killed */
#define SWEEP_TIMEOUT_MAX_S 604800     /* a week */
#define SWEEP_PLOT_TIMEOUT_S 120u      /* gnuplot draws two small files */
#define SWEEP_POLL_NS 20000000L        /* 20 ms between looks at the children */
#define SWEEP_JSON_BYTES_MAX (1 << 20) /* metrics.json is a few KiB */
#define SWEEP_DIGEST_MAX 129 /* 64 bytes in hex and '\0' */
#define SWEEP_SEED_TEXT_MAX 24
#define SWEEP_STATUS_LOST (-1)    /* not a wait status: the child was reaped elsewhere */
#define SWEEP_STATUS_TIMEOUT (-2) /* not a wait status: killed at the timeout */
#define SWEEP_SET_TEXT_MAX (SWEEP_KEY_MAX + SWEEP_VALUE_MAX)
/* bin run SCENARIO --seed N, 2 per --set, --out DIR --no-plots --quiet, NULL */
#define SWEEP_ARGV_MAX (5 + 2 * (SWEEP_SETS_MAX + SWEEP_PARAMS_MAX) + 4 + 1)
#define SWEEP_DEFAULT_OUT "results/sweeps"
#define SWEEP_RUN_LOG "run.log"
#define SWEEP_PLOT_DATA "sweep-plot.dat"
#define SWEEP_PLAN_FILE "sweep.plan" /* in OUT: the planned sweep's arguments, for --collect */
#define SWEEP_PLAN_LINE_MAX (SWEEP_PATH_MAX + 16)
#define SWEEP_DIGITS 9 /* significant digits of the numbers in sweep.csv and runs.csv */

/* The metrics a sweep aggregates: a column name and where metrics.json has it. */
typedef struct sweep_metric {
    const char *name;
    const char *json_path;
    const char *title;
} sweep_metric;

static const sweep_metric sweep_metrics[] = {
    {"delivery_ratio", "delivery_ratio", "delivery ratio"},
    {"latency_ms_p50", "latency_ms.p50", "latency p50 (ms)"},
    {"latency_ms_p99", "latency_ms.p99", "latency p99 (ms)"},
    {"duplicates_per_delivery", "duplicates_per_delivery", "duplicates per delivery"},
    {"bandwidth_bytes_per_node_per_s", "bandwidth.bytes_per_node_per_s", "bytes sent per node per s"},
    {"control_overhead", "control_overhead", "control bytes per payload byte"},
};
#define SWEEP_METRICS (sizeof sweep_metrics / sizeof sweep_metrics[0])

typedef enum sweep_state {
    SWEEP_PENDING,
    SWEEP_RUNNING,
    SWEEP_OK,
    SWEEP_NOT_STARTED, /* no folder, no log or no fork */
    SWEEP_EXITED,      /* a non-zero exit code */
    SWEEP_SIGNALED,
    SWEEP_TIMED_OUT,
    SWEEP_NO_METRICS, /* exit 0 but metrics.json unreadable */
    SWEEP_LOST,       /* waitpid said ECHILD: never expected */
} sweep_state;

typedef struct sweep_run {
    size_t combination;
    uint64_t seed;
    char name[SWEEP_RUN_NAME_MAX];
    sweep_state state;
    int detail; /* the exit code or the signal */
    pid_t pid;
    double started_s;
    char digest[SWEEP_DIGEST_MAX];
    double metrics[SWEEP_METRICS];
} sweep_run;

/* A run's argument vector, with the storage its strings point into. */
typedef struct sweep_argv {
    char *argv[SWEEP_ARGV_MAX];
    size_t argc;
    char seed[SWEEP_SEED_TEXT_MAX];
    char threads[16];
    char out[SWEEP_PATH_MAX];
    char params[SWEEP_PARAMS_MAX][SWEEP_SET_TEXT_MAX];
} sweep_argv;

typedef struct sweep {
    sweep_grid grid;
    const char *scenario_path;
    const char *sets[SWEEP_SETS_MAX];
    size_t set_count;
    size_t seed_count;
    uint64_t seed_base;
    size_t jobs;
    size_t threads;          /* each run's --threads; 0: the cores shared among the jobs */
    unsigned timeout_s;
    const char *out_arg;
    bool collected;          /* --collect: the runs ran elsewhere */
    const char *plan_path;   /* --plan FILE: write the runs' commands there instead of running them */
    char *const *args;       /* the sweep's own arguments after "sweep", for the plan */
    size_t arg_count;
    char out[SWEEP_PATH_MAX];
    char bin[SWEEP_PATH_MAX];
    bool progress;
    size_t combination_count, run_count, failed_count;
    sweep_run runs[SWEEP_RUNS_MAX];
    sweep_estimate estimates[SWEEP_RUNS_MAX][SWEEP_METRICS]; /* per combination */
    size_t runs_ok[SWEEP_RUNS_MAX];                         /* per combination */
} sweep;

/* sweep_args.c */
int sweep_check_scenario(const sweep *w, char *name, size_t name_cap);
int sweep_find_binary(sweep *w);
void sweep_param_set(const sweep *w, size_t combination, size_t k, char *out, size_t cap);
int sweep_bad_usage(const char *why, const char *arg);
int sweep_parse_args(sweep *w, int argc, char **argv);
int sweep_plan_runs(sweep *w);

/* sweep_exec.c */
void sweep_aggregate(sweep *w);
void sweep_build_argv(const sweep *w, const sweep_run *r, sweep_argv *a);
void sweep_execute(sweep *w);
double sweep_now_s(void);
int sweep_read_metrics(const sweep *w, sweep_run *r);
void sweep_report_failure(const sweep *w, const sweep_run *r);
void sweep_shell_command(const sweep_argv *a, char *out, size_t cap);
size_t sweep_shell_word(const char *word, char *out, size_t n, size_t cap);
void sweep_status_text(const sweep_run *r, char *out, size_t cap);

/* sweep_plan.c */
int sweep_collect(sweep *w, const char *dir);
int sweep_write_plan(sweep *w);

/* sweep_output.c */
/* Closes a file written, saying on stderr when writing name failed; 0 or -1. */
int sweep_close_written(FILE *out, const char *name);
int sweep_finish(sweep *w, double started_s);
int sweep_plot(const sweep *w, char *err, size_t err_cap);
int sweep_write_runs_csv(const sweep *w);
int sweep_write_sweep_csv(const sweep *w);

#endif
