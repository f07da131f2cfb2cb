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
#include "base/time_units.h"

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

#include "json_read.h"
#include "plot.h"
#include "scenario/scenario.h"

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
#define SWEEP_PLOT_TIMEOUT_S 120       /* gnuplot draws two small files */
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
    unsigned timeout_s;
    const char *out_arg;
    char out[SWEEP_PATH_MAX];
    char bin[SWEEP_PATH_MAX];
    bool progress;
    size_t combination_count, run_count, failed_count;
    sweep_run runs[SWEEP_RUNS_MAX];
    sweep_estimate estimates[SWEEP_RUNS_MAX][SWEEP_METRICS]; /* per combination */
    size_t runs_ok[SWEEP_RUNS_MAX];                         /* per combination */
} sweep;

/* ---- the grid --------------------------------------------------------- */

static int sweep_fail(char *err, size_t err_cap, const char *what, const char *text) {
    snprintf(err, err_cap, "--param %s: %s", text, what);
    return -1;
}

static int sweep_param_add_value(sweep_param *p, const char *value, size_t len, char *err, size_t err_cap,
                                 const char *text) {
    if (len == 0) return sweep_fail(err, err_cap, "an empty value", text);
    if (len >= SWEEP_VALUE_MAX) return sweep_fail(err, err_cap, "a value longer than 63 bytes", text);
    if (p->value_count == SWEEP_VALUES_MAX) return sweep_fail(err, err_cap, "more than 64 values", text);
    for (size_t i = 0; i < p->value_count; i++)
        if (strlen(p->values[i]) == len && memcmp(p->values[i], value, len) == 0)
            return sweep_fail(err, err_cap, "a value given twice", text);
    memcpy(p->values[p->value_count], value, len);
    p->values[p->value_count][len] = '\0';
    p->value_count++;
    return 0;
}

int sweep_grid_add(sweep_grid *g, const char *text, char *err, size_t err_cap) {
    assert(g != NULL);
    assert(g->param_count <= SWEEP_PARAMS_MAX);
    if (g->param_count == SWEEP_PARAMS_MAX) return sweep_fail(err, err_cap, "more than 4 parameters", text);
    const char *equals = strchr(text, '=');
    if (equals == NULL || equals == text) return sweep_fail(err, err_cap, "expected KEY=V1,V2,...", text);
    size_t key_len = (size_t)(equals - text);
    if (key_len >= SWEEP_KEY_MAX) return sweep_fail(err, err_cap, "a key longer than 127 bytes", text);
    sweep_param *p = &g->params[g->param_count];
    memset(p, 0, sizeof *p);
    memcpy(p->key, text, key_len);
    for (size_t i = 0; i < g->param_count; i++)
        if (strcmp(g->params[i].key, p->key) == 0) return sweep_fail(err, err_cap, "a key given twice", text);
    for (const char *value = equals + 1;;) {
        size_t len = strcspn(value, ",");
        if (sweep_param_add_value(p, value, len, err, err_cap, text) != 0) return -1;
        if (value[len] == '\0') break;
        value += len + 1;
    }
    assert(p->value_count >= 1);
    g->param_count++;
    return 0;
}

size_t sweep_grid_combinations(const sweep_grid *g) {
    assert(g->param_count <= SWEEP_PARAMS_MAX);
    size_t count = 1;
    for (size_t i = 0; i < g->param_count; i++) {
        assert(g->params[i].value_count >= 1 && g->params[i].value_count <= SWEEP_VALUES_MAX);
        count *= g->params[i].value_count; /* at most 64^4: no overflow */
    }
    return count;
}

void sweep_grid_values(const sweep_grid *g, size_t combination, size_t value_index[SWEEP_PARAMS_MAX]) {
    assert(combination < sweep_grid_combinations(g));
    for (size_t k = g->param_count; k-- > 0;) {
        value_index[k] = combination % g->params[k].value_count;
        combination /= g->params[k].value_count;
    }
    assert(combination == 0);
}

/* Bytes that are safe in a folder name and in a shell word. */
static bool sweep_name_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '+' ||
           c == '-';
}

int sweep_run_name(const sweep_grid *g, size_t combination, uint64_t seed, char *out, size_t cap) {
    assert(cap > 0);
    size_t index[SWEEP_PARAMS_MAX];
    sweep_grid_values(g, combination, index);
    size_t n = 0;
    for (size_t k = 0; k < g->param_count; k++) {
        if (k > 0 && n + 1 < cap) out[n++] = '_';
        for (const char *c = g->params[k].values[index[k]]; *c != '\0' && n + 1 < cap; c++)
            out[n++] = sweep_name_byte(*c) ? *c : '_';
    }
    int tail = snprintf(out + n, cap - n, "%sseed%llu", n > 0 ? "-" : "", (unsigned long long)seed);
    return tail > 0 && (size_t)tail < cap - n ? 0 : -1;
}

/* ---- statistics ------------------------------------------------------- */

double sweep_t_critical_95(size_t n) {
    /* t(0.975, df) for df = 1..29, i.e. n = 2..30 samples. */
    static const double table[SWEEP_T_TABLE_N_MAX - 1] = {
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045,
    };
    assert(n >= 2);
    if (n > SWEEP_T_TABLE_N_MAX) return 1.96;
    return table[n - 2];
}

void sweep_estimate_of(const double *values, size_t count, sweep_estimate *out) {
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (isfinite(values[i])) sum += values[i], n++;
    out->n = n;
    out->mean = n > 0 ? sum / (double)n : NAN;
    out->half_width_95 = NAN;
    if (n < 2) return;
    double squares = 0;
    for (size_t i = 0; i < count; i++)
        if (isfinite(values[i])) squares += (values[i] - out->mean) * (values[i] - out->mean);
    double sd = sqrt(squares / (double)(n - 1));
    out->half_width_95 = sweep_t_critical_95(n) * sd / sqrt((double)n);
    assert(out->half_width_95 >= 0);
}

/* ---- reading a run ---------------------------------------------------- */

/* What the walk over a run's metrics.json keeps. */
typedef struct sweep_reader {
    sweep_run *run;
    bool digest_seen;
} sweep_reader;

/* A digest goes into runs.csv as it is: only hex digits are taken. */
static bool sweep_digest_valid(const json_read_leaf *leaf, size_t cap) {
    if (leaf->kind != JSON_READ_STRING || leaf->text_len == 0 || leaf->text_len >= cap) return false;
    for (size_t i = 0; i < leaf->text_len; i++)
        if (strchr("0123456789abcdef", leaf->text[i]) == NULL || leaf->text[i] == '\0') return false;
    return true;
}

static int sweep_on_leaf(void *user, const json_read_leaf *leaf) {
    sweep_reader *reader = user;
    sweep_run *r = reader->run;
    if (json_read_path_is(leaf, "digest")) {
        if (!sweep_digest_valid(leaf, sizeof r->digest)) return 1;
        memcpy(r->digest, leaf->text, leaf->text_len);
        r->digest[leaf->text_len] = '\0';
        reader->digest_seen = true;
        return 0;
    }
    for (size_t m = 0; m < SWEEP_METRICS; m++)
        if (json_read_path_is(leaf, sweep_metrics[m].json_path))
            r->metrics[m] = leaf->kind == JSON_READ_NUMBER ? leaf->number : NAN; /* null: none */
    return 0;
}

/* Fills the run's digest and metrics from its metrics.json (a metric it
 * lacks stays NAN and is left out of the means); 0, or -1 when the file is
 * unreadable, malformed or has no digest. */
static int sweep_read_metrics(const sweep *w, sweep_run *r) {
    for (size_t m = 0; m < SWEEP_METRICS; m++) r->metrics[m] = NAN;
    char path[SWEEP_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/runs/%s/metrics.json", w->out, r->name);
    char *text, err[256];
    size_t len;
    if (json_read_file(path, SWEEP_JSON_BYTES_MAX, &text, &len, err, sizeof err) != 0) return -1;
    sweep_reader reader = {.run = r, .digest_seen = false};
    int rc = json_read_walk(text, len, sweep_on_leaf, &reader, err, sizeof err);
    free(text);
    return rc == 0 && reader.digest_seen ? 0 : -1;
}

/* ---- the command line ------------------------------------------------- */

static void sweep_usage(FILE *out) {
    fprintf(out,
            "usage: swarmlab sweep SCENARIO --param KEY=V1,V2,... [--param ...] --seeds N [--seed-base S]\n"
            "                      [-j N] [--out DIR] [--set KEY=VALUE]... [--timeout SECONDS]\n"
            "\n"
            "  Runs SCENARIO for every combination of the --param values (at most %d parameters of at\n"
            "  most %d values; KEY as --set takes it) times N seeds, S..S+N-1 (S defaults to 1), at most\n"
            "  %d runs, each in its own process (swarmlab run), at most -j at once (default: the online\n"
            "  CPUs). Each run writes OUT/runs/VALUES-seedN/; then OUT/runs.csv (one row per run, with the\n"
            "  command that reproduces it), OUT/sweep.csv (per combination, each metric's mean and 95%%\n"
            "  confidence half-width) and OUT/METRIC.png and .svg (against the first parameter).\n"
            "  OUT defaults to %s/NAME/. A run that fails or outlives --timeout (default %d s) is\n"
            "  reported with its command; the others go on and the sweep exits 1.\n",
            SWEEP_PARAMS_MAX, SWEEP_VALUES_MAX, SWEEP_RUNS_MAX, SWEEP_DEFAULT_OUT, SWEEP_TIMEOUT_DEFAULT_S);
}

static int sweep_bad_usage(const char *why, const char *arg) {
    fprintf(stderr, "swarmlab sweep: %s%s%s\n", why, arg != NULL ? ": " : "", arg != NULL ? arg : "");
    sweep_usage(stderr);
    return SWEEP_EXIT_BAD_INPUT;
}

/* A decimal integer in [min, max]; 0 or -1. */
static int sweep_parse_uint(const char *text, unsigned long long min, unsigned long long max,
                            unsigned long long *out) {
    if (*text < '0' || *text > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max) return -1;
    *out = value;
    return 0;
}

/* One option that takes a value; returns 0 or an exit code. */
static int sweep_parse_option(sweep *w, const char *option, const char *value) {
    unsigned long long n;
    char err[256];
    if (strcmp(option, "--param") == 0) {
        if (sweep_grid_add(&w->grid, value, err, sizeof err) != 0) return sweep_bad_usage(err, NULL);
    } else if (strcmp(option, "--seeds") == 0) {
        if (sweep_parse_uint(value, 1, SWEEP_RUNS_MAX, &n) != 0)
            return sweep_bad_usage("--seeds takes a count from 1 to 1000", value);
        w->seed_count = (size_t)n;
    } else if (strcmp(option, "--seed-base") == 0) {
        if (sweep_parse_uint(value, 0, UINT64_MAX - SWEEP_RUNS_MAX, &n) != 0)
            return sweep_bad_usage("--seed-base takes a non-negative integer", value);
        w->seed_base = n;
    } else if (strcmp(option, "-j") == 0 || strcmp(option, "--jobs") == 0) {
        if (sweep_parse_uint(value, 1, SWEEP_JOBS_MAX, &n) != 0)
            return sweep_bad_usage("-j takes a count from 1 to 256", value);
        w->jobs = (size_t)n;
    } else if (strcmp(option, "--timeout") == 0) {
        if (sweep_parse_uint(value, 1, SWEEP_TIMEOUT_MAX_S, &n) != 0)
            return sweep_bad_usage("--timeout takes seconds from 1 to 604800", value);
        w->timeout_s = (unsigned)n;
    } else if (strcmp(option, "--out") == 0) {
        if (*value == '\0' || strlen(value) >= SWEEP_PATH_MAX / 2) return sweep_bad_usage("--out: a bad folder", value);
        w->out_arg = value;
    } else {
        assert(strcmp(option, "--set") == 0);
        if (strchr(value, '=') == NULL) return sweep_bad_usage("--set takes KEY=VALUE", value);
        if (w->set_count == SWEEP_SETS_MAX) return sweep_bad_usage("more than 32 --set options", NULL);
        w->sets[w->set_count++] = value;
    }
    return 0;
}

static bool sweep_option_takes_value(const char *arg) {
    static const char *const options[] = {"--param", "--seeds", "--seed-base", "-j",
                                          "--jobs",  "--timeout", "--out",     "--set"};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (strcmp(arg, options[i]) == 0) return true;
    return false;
}

/* What the options say together; 0 or an exit code. */
static int sweep_check_args(const sweep *w) {
    if (w->scenario_path == NULL) return sweep_bad_usage("sweep needs a scenario file", NULL);
    if (w->grid.param_count == 0) return sweep_bad_usage("sweep needs at least one --param", NULL);
    if (w->seed_count == 0) return sweep_bad_usage("sweep needs --seeds N", NULL);
    if (sweep_grid_combinations(&w->grid) * w->seed_count > SWEEP_RUNS_MAX)
        return sweep_bad_usage("more than 1000 runs (combinations times seeds)", NULL);
    for (size_t i = 0; i < w->set_count; i++) {
        size_t len = strcspn(w->sets[i], "=");
        if (len == 4 && memcmp(w->sets[i], "seed", 4) == 0)
            return sweep_bad_usage("the sweep chooses the seeds: use --seeds and --seed-base", w->sets[i]);
        for (size_t k = 0; k < w->grid.param_count; k++)
            if (strlen(w->grid.params[k].key) == len && memcmp(w->grid.params[k].key, w->sets[i], len) == 0)
                return sweep_bad_usage("--set of a key that --param sweeps", w->sets[i]);
    }
    return 0;
}

/* Returns 0, SWEEP_EXIT_HELP, or an exit code after printing usage. */
static int sweep_parse_args(sweep *w, int argc, char **argv) {
    assert(argc >= 1);
    w->seed_base = 1;
    w->timeout_s = SWEEP_TIMEOUT_DEFAULT_S;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    w->jobs = cpus < 1 ? 1 : cpus > SWEEP_JOBS_MAX ? SWEEP_JOBS_MAX : (size_t)cpus;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int rc = 0;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            sweep_usage(stdout);
            return SWEEP_EXIT_HELP;
        } else if (sweep_option_takes_value(arg)) {
            if (i + 1 == argc) return sweep_bad_usage("a value is missing after", arg);
            rc = sweep_parse_option(w, arg, argv[++i]);
        } else if (strncmp(arg, "-j", 2) == 0 && arg[2] >= '0' && arg[2] <= '9') {
            rc = sweep_parse_option(w, "-j", arg + 2);
        } else if (arg[0] == '-') {
            return sweep_bad_usage("unknown option", arg);
        } else if (w->scenario_path == NULL) {
            w->scenario_path = arg;
        } else {
            return sweep_bad_usage("sweep takes one scenario", arg);
        }
        if (rc != 0) return rc;
    }
    return sweep_check_args(w);
}

/* ---- preparing -------------------------------------------------------- */

/* "KEY=VALUE" of parameter k in a combination. */
static void sweep_param_set(const sweep *w, size_t combination, size_t k, char *out, size_t cap) {
    size_t index[SWEEP_PARAMS_MAX];
    sweep_grid_values(&w->grid, combination, index);
    int n = snprintf(out, cap, "%s=%s", w->grid.params[k].key, w->grid.params[k].values[index[k]]);
    assert(n > 0 && (size_t)n < cap); /* key and value have their own limits */
}

/* Loads the scenario as each combination sets it, so that a bad key or
 * value stops the sweep before any run starts. Fills name with the
 * scenario's name. 0, or an exit code. */
static int sweep_check_scenario(const sweep *w, char *name, size_t name_cap) {
    scenario *s = malloc(sizeof *s);
    if (s == NULL) return SWEEP_EXIT_FAILED;
    const char *overrides[SWEEP_SETS_MAX + SWEEP_PARAMS_MAX];
    char params[SWEEP_PARAMS_MAX][SWEEP_SET_TEXT_MAX];
    char err[SCENARIO_ERROR_MAX];
    int rc = 0;
    for (size_t i = 0; i < w->set_count; i++) overrides[i] = w->sets[i];
    for (size_t c = 0; c < w->combination_count && rc == 0; c++) {
        for (size_t k = 0; k < w->grid.param_count; k++) {
            sweep_param_set(w, c, k, params[k], sizeof params[k]);
            overrides[w->set_count + k] = params[k];
        }
        if (scenario_load(w->scenario_path, overrides, w->set_count + w->grid.param_count, s, err, sizeof err) != 0 ||
            scenario_check_supported(s, err, sizeof err) != 0) {
            fprintf(stderr, "swarmlab sweep: %s\n", err);
            rc = SWEEP_EXIT_BAD_INPUT;
        }
        if (c == 0) snprintf(name, name_cap, "%s", s->name);
    }
    free(s);
    return rc;
}

/* The swarmlab binary: $SWARMLAB_BIN, else this very program. 0 or -1. */
static int sweep_find_binary(sweep *w) {
    const char *env = getenv("SWARMLAB_BIN");
    if (env != NULL && *env != '\0') {
        if (strlen(env) >= sizeof w->bin) return -1;
        snprintf(w->bin, sizeof w->bin, "%s", env);
    } else {
        ssize_t n = readlink("/proc/self/exe", w->bin, sizeof w->bin - 1);
        if (n <= 0) return -1;
        w->bin[n] = '\0';
    }
    return access(w->bin, X_OK);
}

/* Names every run; two combinations whose values read the same once made
 * safe for a folder name ("a/b" and "a_b") would share a folder. */
static int sweep_plan_runs(sweep *w) {
    w->run_count = w->combination_count * w->seed_count;
    assert(w->run_count <= SWEEP_RUNS_MAX);
    for (size_t i = 0; i < w->run_count; i++) {
        sweep_run *r = &w->runs[i];
        r->combination = i / w->seed_count;
        r->seed = w->seed_base + i % w->seed_count;
        r->state = SWEEP_PENDING;
        if (sweep_run_name(&w->grid, r->combination, r->seed, r->name, sizeof r->name) != 0) return -1;
    }
    for (size_t a = 0; a < w->combination_count; a++)
        for (size_t b = a + 1; b < w->combination_count; b++)
            if (strcmp(w->runs[a * w->seed_count].name, w->runs[b * w->seed_count].name) == 0) {
                fprintf(stderr, "swarmlab sweep: two combinations would share the folder runs/%s\n",
                        w->runs[a * w->seed_count].name);
                return -1;
            }
    return 0;
}

/* ---- a run's command -------------------------------------------------- */

static void sweep_argv_push(sweep_argv *a, char *arg) {
    assert(a->argc + 1 < SWEEP_ARGV_MAX);
    a->argv[a->argc++] = arg;
    a->argv[a->argc] = NULL;
}

/* The exact command of a run: the seed goes with --seed, which wins over
 * the file; the parameters come after the --set options. */
static void sweep_build_argv(const sweep *w, const sweep_run *r, sweep_argv *a) {
    memset(a, 0, sizeof *a);
    snprintf(a->seed, sizeof a->seed, "%llu", (unsigned long long)r->seed);
    int n = snprintf(a->out, sizeof a->out, "%s/runs/%s", w->out, r->name);
    assert(n > 0 && (size_t)n < sizeof a->out); /* OUT is at most half of it */
    sweep_argv_push(a, (char *)w->bin);
    sweep_argv_push(a, "run");
    sweep_argv_push(a, (char *)w->scenario_path);
    sweep_argv_push(a, "--seed");
    sweep_argv_push(a, a->seed);
    for (size_t i = 0; i < w->set_count; i++) {
        sweep_argv_push(a, "--set");
        sweep_argv_push(a, (char *)w->sets[i]);
    }
    for (size_t k = 0; k < w->grid.param_count; k++) {
        sweep_param_set(w, r->combination, k, a->params[k], sizeof a->params[k]);
        sweep_argv_push(a, "--set");
        sweep_argv_push(a, a->params[k]);
    }
    sweep_argv_push(a, "--out");
    sweep_argv_push(a, a->out);
    sweep_argv_push(a, "--no-plots");
    sweep_argv_push(a, "--quiet");
}

/* The argument vector as one shell command line: a word with any byte
 * outside the safe set goes in single quotes. Truncated at cap. */
static void sweep_shell_command(const sweep_argv *a, char *out, size_t cap) {
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=,:+-@%";
    assert(cap > 0);
    size_t n = 0;
    for (size_t i = 0; i < a->argc && n + 1 < cap; i++) {
        const char *word = a->argv[i];
        bool quote = *word == '\0' || strspn(word, safe) != strlen(word);
        if (i > 0) out[n++] = ' ';
        if (quote && n + 1 < cap) out[n++] = '\'';
        for (const char *c = word; *c != '\0' && n + 4 < cap; c++) {
            if (*c == '\'') {
                memcpy(out + n, "'\\'", 3); /* close, an escaped quote, reopen */
                n += 3;
            }
            out[n++] = *c;
        }
        if (quote && n + 1 < cap) out[n++] = '\'';
    }
    out[n < cap ? n : cap - 1] = '\0';
}

/* ---- processes -------------------------------------------------------- */

static double sweep_now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / NS_PER_S_DOUBLE;
}

static void sweep_sleep(void) {
    struct timespec pause = {.tv_sec = 0, .tv_nsec = SWEEP_POLL_NS};
    nanosleep(&pause, NULL);
}

/* Starts argv (argv[0] a path, or a name looked up on PATH) with its
 * output in log_path (appended to, or replacing it) and, if cwd is not NULL, in that folder. The pid, or
 * -1 when the log cannot be opened or fork fails. */
static pid_t sweep_spawn(char *const argv[], const char *log_path, bool log_append, const char *cwd) {
    int fd = open(log_path, O_WRONLY | O_CREAT | O_CLOEXEC | (log_append ? O_APPEND : O_TRUNC), 0644);
    if (fd < 0) return -1;
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls until exec. */
        if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) _exit(SWEEP_EXIT_EXEC_FAILED);
        if (cwd != NULL && chdir(cwd) != 0) _exit(SWEEP_EXIT_EXEC_FAILED);
        execvp(argv[0], argv);
        _exit(SWEEP_EXIT_EXEC_FAILED);
    }
    close(fd);
    return pid;
}

/* Whether pid has ended; then *status holds its wait status, or
 * SWEEP_STATUS_LOST when someone else reaped it (ECHILD). */
static bool sweep_reaped(pid_t pid, int *status) {
    assert(pid > 0);
    pid_t got = waitpid(pid, status, WNOHANG);
    if (got == pid) return true;
    if (got < 0 && errno == ECHILD) {
        *status = SWEEP_STATUS_LOST;
        return true;
    }
    return false;
}

/* Waits for pid, killing it after timeout_s; its wait status, or a
 * SWEEP_STATUS_. Every pass sleeps, so the loop ends by the deadline. */
static int sweep_wait(pid_t pid, double timeout_s) {
    double deadline = sweep_now_s() + timeout_s;
    int status = 0;
    while (!sweep_reaped(pid, &status)) {
        if (sweep_now_s() > deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            return SWEEP_STATUS_TIMEOUT;
        }
        sweep_sleep();
    }
    return status;
}

/* ---- running the sweep ------------------------------------------------ */

static void sweep_status_text(const sweep_run *r, char *out, size_t cap) {
    switch (r->state) {
    case SWEEP_OK: snprintf(out, cap, "ok"); break;
    case SWEEP_EXITED: snprintf(out, cap, "exit %d", r->detail); break;
    case SWEEP_SIGNALED: snprintf(out, cap, "signal %d", r->detail); break;
    case SWEEP_TIMED_OUT: snprintf(out, cap, "timeout after %d s", r->detail); break;
    case SWEEP_NO_METRICS: snprintf(out, cap, "no readable metrics.json"); break;
    case SWEEP_NOT_STARTED: snprintf(out, cap, "not started: %s", strerror(r->detail)); break;
    case SWEEP_LOST: snprintf(out, cap, "lost (reaped elsewhere)"); break;
    case SWEEP_PENDING:
    case SWEEP_RUNNING: snprintf(out, cap, "not finished"); break;
    }
}

/* A failed run, with the command that reproduces it: the sweep goes on. */
static void sweep_report_failure(const sweep *w, const sweep_run *r) {
    assert(r->state != SWEEP_OK);
    sweep_argv a;
    sweep_build_argv(w, r, &a);
    char status[96], command[SWEEP_COMMAND_MAX];
    sweep_status_text(r, status, sizeof status);
    sweep_shell_command(&a, command, sizeof command);
    if (w->progress) fputc('\n', stderr);
    fprintf(stderr, "swarmlab sweep: run %s (seed %llu) failed: %s%s; its output is in %s/%s\n", r->name,
            (unsigned long long)r->seed, status, r->detail == SWEEP_EXIT_EXEC_FAILED ? " (could not execute it)" : "",
            a.out, SWEEP_RUN_LOG);
    fprintf(stderr, "swarmlab sweep: reproduce with: %s\n", command);
}

/* The state a run ends in, from its wait status or a SWEEP_STATUS_. */
static void sweep_run_ended(const sweep *w, sweep_run *r, int status) {
    assert(r->state == SWEEP_RUNNING);
    r->pid = 0;
    if (status == SWEEP_STATUS_TIMEOUT) {
        r->state = SWEEP_TIMED_OUT;
        r->detail = (int)w->timeout_s;
    } else if (status == SWEEP_STATUS_LOST) {
        r->state = SWEEP_LOST;
    } else if (WIFSIGNALED(status)) {
        r->state = SWEEP_SIGNALED;
        r->detail = WTERMSIG(status);
    } else if (WEXITSTATUS(status) != 0) {
        r->state = SWEEP_EXITED;
        r->detail = WEXITSTATUS(status);
    } else {
        r->state = sweep_read_metrics(w, r) == 0 ? SWEEP_OK : SWEEP_NO_METRICS;
    }
    if (r->state != SWEEP_OK) sweep_report_failure(w, r);
}

/* The runs alive (indices into runs) and how far the sweep has got. */
typedef struct sweep_pool {
    size_t active[SWEEP_JOBS_MAX];
    size_t active_count, next, finished;
} sweep_pool;

/* Starts the next run. A stale metrics.json from an earlier sweep in the
 * same folder is removed first, so that it cannot pass for this run's. */
static void sweep_start(sweep *w, sweep_pool *pool) {
    assert(pool->next < w->run_count);
    assert(pool->active_count < w->jobs);
    size_t index = pool->next++;
    sweep_run *r = &w->runs[index];
    sweep_argv a;
    sweep_build_argv(w, r, &a);
    char log_path[SWEEP_PATH_MAX + 16], metrics_path[SWEEP_PATH_MAX + 16];
    snprintf(log_path, sizeof log_path, "%s/%s", a.out, SWEEP_RUN_LOG);
    snprintf(metrics_path, sizeof metrics_path, "%s/metrics.json", a.out);
    pid_t pid = -1;
    if (run_make_dir(a.out) == 0 && (unlink(metrics_path) == 0 || errno == ENOENT))
        pid = sweep_spawn(a.argv, log_path, false, NULL);
    if (pid < 0) {
        r->state = SWEEP_NOT_STARTED;
        r->detail = errno;
        sweep_report_failure(w, r);
        pool->finished++;
        return;
    }
    r->state = SWEEP_RUNNING;
    r->pid = pid;
    r->started_s = sweep_now_s();
    pool->active[pool->active_count++] = index;
}

/* Reaps the runs that ended and kills those past the timeout; returns how
 * many ended. */
static size_t sweep_poll(sweep *w, sweep_pool *pool) {
    size_t ended = 0;
    double now_s = sweep_now_s();
    for (size_t i = pool->active_count; i-- > 0;) {
        sweep_run *r = &w->runs[pool->active[i]];
        int status;
        if (!sweep_reaped(r->pid, &status)) {
            if (now_s - r->started_s <= (double)w->timeout_s) continue;
            kill(r->pid, SIGKILL);
            while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR) {
            }
            status = SWEEP_STATUS_TIMEOUT;
        }
        sweep_run_ended(w, r, status);
        pool->active[i] = pool->active[--pool->active_count];
        ended++;
    }
    pool->finished += ended;
    return ended;
}

static void sweep_progress(const sweep *w, const sweep_pool *pool, double started_s) {
    size_t failed = 0;
    for (size_t i = 0; i < pool->next; i++)
        if (w->runs[i].state != SWEEP_OK && w->runs[i].state != SWEEP_RUNNING) failed++;
    fprintf(stderr, "\rswarmlab sweep: %zu of %zu runs done, %zu running, %zu failed, %.0f s   ", pool->finished,
            w->run_count, pool->active_count, failed, sweep_now_s() - started_s);
}

/* Runs everything, at most -j at once. Each pass starts runs, reaps or
 * sleeps; every run ends by itself or at its timeout, so the loop ends. */
static void sweep_execute(sweep *w) {
    sweep_pool pool = {.active_count = 0, .next = 0, .finished = 0};
    double started_s = sweep_now_s();
    while (pool.finished < w->run_count) {
        while (pool.active_count < w->jobs && pool.next < w->run_count) sweep_start(w, &pool);
        size_t ended = sweep_poll(w, &pool);
        assert(pool.finished + pool.active_count == pool.next);
        if (w->progress) sweep_progress(w, &pool, started_s);
        if (ended == 0 && pool.active_count > 0) sweep_sleep();
    }
    if (w->progress) fputc('\n', stderr);
    w->failed_count = 0;
    for (size_t i = 0; i < w->run_count; i++)
        if (w->runs[i].state != SWEEP_OK) w->failed_count++;
}

/* Each combination's estimates, over its runs that succeeded. */
static void sweep_aggregate(sweep *w) {
    double values[SWEEP_RUNS_MAX];
    for (size_t c = 0; c < w->combination_count; c++) {
        const sweep_run *runs = &w->runs[c * w->seed_count];
        for (size_t m = 0; m < SWEEP_METRICS; m++) {
            size_t n = 0;
            for (size_t s = 0; s < w->seed_count; s++)
                if (runs[s].state == SWEEP_OK) values[n++] = runs[s].metrics[m];
            sweep_estimate_of(values, n, &w->estimates[c][m]);
        }
        w->runs_ok[c] = 0;
        for (size_t s = 0; s < w->seed_count; s++) w->runs_ok[c] += runs[s].state == SWEEP_OK;
    }
}

/* ---- the CSV files ---------------------------------------------------- */

/* A CSV cell: quoted when it holds a comma, a quote or a line break. */
static void sweep_csv_text(FILE *out, const char *text) {
    if (strpbrk(text, ",\"\r\n") == NULL) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '"') fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

/* A number cell; empty when there is none. */
static void sweep_csv_number(FILE *out, double value) {
    fputc(',', out);
    if (isfinite(value)) fprintf(out, "%.9g", value);
}

static void sweep_csv_params(FILE *out, const sweep *w, size_t combination, bool header) {
    size_t index[SWEEP_PARAMS_MAX];
    sweep_grid_values(&w->grid, combination, index);
    for (size_t k = 0; k < w->grid.param_count; k++) {
        if (k > 0) fputc(',', out);
        const sweep_param *p = &w->grid.params[k];
        sweep_csv_text(out, header ? p->key : p->values[index[k]]);
    }
}

static FILE *sweep_csv_open(const sweep *w, const char *name) {
    char path[SWEEP_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", w->out, name);
    FILE *out = fopen(path, "w");
    if (out == NULL) fprintf(stderr, "swarmlab sweep: cannot write %s: %s\n", path, strerror(errno));
    return out;
}

static int sweep_csv_close(FILE *out, const char *name) {
    bool failed = ferror(out) != 0;
    if (fclose(out) != 0 || failed) {
        fprintf(stderr, "swarmlab sweep: writing %s failed\n", name);
        return -1;
    }
    return 0;
}

/* runs.csv: one row per run, the command last because it is the longest. */
static int sweep_write_runs_csv(const sweep *w) {
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
        sweep_csv_text(out, status);
        fprintf(out, ",%s", r->state == SWEEP_OK ? r->digest : "");
        for (size_t m = 0; m < SWEEP_METRICS; m++) sweep_csv_number(out, r->state == SWEEP_OK ? r->metrics[m] : NAN);
        fputc(',', out);
        sweep_csv_text(out, command);
        fputc('\n', out);
    }
    return sweep_csv_close(out, "runs.csv");
}

/* sweep.csv: one row per combination; runs counts those that succeeded. */
static int sweep_write_sweep_csv(const sweep *w) {
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
    return sweep_csv_close(out, "sweep.csv");
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

/* A gnuplot single-quoted string: '' is a quote, nothing else is special. */
static void sweep_gp_quoted(FILE *out, const char *text) {
    fputc('\'', out);
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == '\'') fputc('\'', out);
        fputc(*c, out);
    }
    fputc('\'', out);
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
    return sweep_csv_close(out, SWEEP_PLOT_DATA);
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
    if (svg) {
        fprintf(out, "set terminal svg size %s dynamic noenhanced background rgb 'white'\n", PLOT_SIZE);
    } else {
        fputs("if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n", out);
        fprintf(out, "  set terminal pngcairo size %s noenhanced\n} else {\n", PLOT_SIZE);
        fprintf(out, "  set terminal png size %s noenhanced\n}\n", PLOT_SIZE);
    }
    fprintf(out, "set output '%s.%s'\nset grid\n", sweep_metrics[m].name, svg ? "svg" : "png");
    fputs("set title ", out);
    sweep_gp_quoted(out, sweep_metrics[m].title);
    fputs(" . ' against ' . sweep_key . ' (mean and 95% confidence interval, ' . sweep_runs . ')'\n", out);
    fputs("set xlabel sweep_key\nset ylabel ", out);
    sweep_gp_quoted(out, sweep_metrics[m].title);
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
        sweep_gp_quoted(out, title);
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
    sweep_gp_quoted(out, w->grid.params[0].key);
    fprintf(out, "\nsweep_runs = '%zu seeds per point'\n", w->seed_count);
    sweep_put_plot(out, w, m, numeric, false);
    sweep_put_plot(out, w, m, numeric, true);
    return sweep_csv_close(out, name);
}

/* Draws OUT/METRIC.png and .svg for every metric; the number drawn, or -1
 * with err filled. gnuplot's messages go to OUT/plots.log. */
static int sweep_plot(const sweep *w, char *err, size_t err_cap) {
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
        char *argv[] = {"gnuplot", script, NULL};
        pid_t pid = sweep_spawn(argv, log_path, true, w->out);
        int status = pid < 0 ? SWEEP_STATUS_LOST : sweep_wait(pid, SWEEP_PLOT_TIMEOUT_S);
        if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == SWEEP_EXIT_EXEC_FAILED)
            return snprintf(err, err_cap, "gnuplot not found on PATH (Debian: gnuplot-nox)"), -1;
        if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return snprintf(err, err_cap, "gnuplot failed on %s, see %s", script, log_path), -1;
        drawn++;
    }
    return drawn;
}

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
