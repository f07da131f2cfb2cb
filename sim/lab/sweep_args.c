/*
 * sweep_args: a sweep's command line, and the preparing it allows before
 * anything runs: every combination's scenario checked, the binary found,
 * the runs planned.
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
#include "scenario/scenario.h"
/* ---- the command line ------------------------------------------------- */

static void sweep_usage(FILE *out) {
    fprintf(out,
            "usage: swarmlab sweep SCENARIO --param KEY=V1,V2,... [--param ...] --seeds N [--seed-base S]\n"
            "                      [-j N] [--threads T] [--out DIR] [--set KEY=VALUE]... [--timeout SECONDS]\n"
            "                      [--plan FILE]\n"
            "       swarmlab sweep --collect DIR\n"
            "\n"
            "  Runs SCENARIO for every combination of the --param values (at most %d parameters of at\n"
            "  most %d values; KEY as --set takes it) times N seeds, S..S+N-1 (S defaults to 1), at most\n"
            "  %d runs, each in its own process (swarmlab run), at most -j at once (default: the online\n"
            "  CPUs), each on --threads T threads (default: the online CPUs shared among the -j runs).\n"
            "  Each run writes OUT/runs/VALUES-seedN/; then OUT/runs.csv (one row per run, with the\n"
            "  command that reproduces it), OUT/sweep.csv (per combination, each metric's mean and 95%%\n"
            "  confidence half-width) and OUT/METRIC.png and .svg (against the first parameter).\n"
            "  OUT defaults to %s/NAME/. A run that fails or outlives --timeout (default %d s) is\n"
            "  reported with its command; the others go on and the sweep exits 1.\n"
            "\n"
            "  --plan FILE runs nothing: it writes FILE, one self-contained shell command per run (its own\n"
            "  OUT/runs/... folder and run.log), for GNU parallel, a Slurm array or any runner, and\n"
            "  OUT/%s. --collect DIR then reads DIR/%s and the finished runs' metrics.json and\n"
            "  writes runs.csv, sweep.csv and the plots as the sweep would have (exit 1 if a run is missing).\n",
            SWEEP_PARAMS_MAX, SWEEP_VALUES_MAX, SWEEP_RUNS_MAX, SWEEP_DEFAULT_OUT, SWEEP_TIMEOUT_DEFAULT_S,
            SWEEP_PLAN_FILE, SWEEP_PLAN_FILE);
}

int sweep_bad_usage(const char *why, const char *arg) {
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
    } else if (strcmp(option, "--threads") == 0) {
        if (sweep_parse_uint(value, 1, 1024, &n) != 0) return sweep_bad_usage("--threads takes a count from 1 to 1024", value);
        w->threads = (size_t)n;
    } else if (strcmp(option, "--timeout") == 0) {
        if (sweep_parse_uint(value, 1, SWEEP_TIMEOUT_MAX_S, &n) != 0)
            return sweep_bad_usage("--timeout takes seconds from 1 to 604800", value);
        w->timeout_s = (unsigned)n;
    } else if (strcmp(option, "--out") == 0) {
        if (*value == '\0' || strlen(value) >= SWEEP_PATH_MAX / 2) return sweep_bad_usage("--out: a bad folder", value);
        w->out_arg = value;
    } else if (strcmp(option, "--plan") == 0) {
        if (*value == '\0' || strlen(value) >= SWEEP_PATH_MAX) return sweep_bad_usage("--plan: a bad file name", value);
        w->plan_path = value;
    } else {
        assert(strcmp(option, "--set") == 0);
        if (strchr(value, '=') == NULL) return sweep_bad_usage("--set takes KEY=VALUE", value);
        if (w->set_count == SWEEP_SETS_MAX) return sweep_bad_usage("more than 32 --set options", NULL);
        w->sets[w->set_count++] = value;
    }
    return 0;
}

static bool sweep_option_takes_value(const char *arg) {
    static const char *const options[] = {"--param", "--seeds", "--seed-base", "-j",   "--jobs",
                                          "--timeout", "--out",  "--set",       "--plan", "--threads"};
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
int sweep_parse_args(sweep *w, int argc, char **argv) {
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
        } else if (strcmp(arg, "--collect") == 0) {
            return sweep_bad_usage("--collect takes a folder and nothing else: swarmlab sweep --collect DIR", NULL);
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
void sweep_param_set(const sweep *w, size_t combination, size_t k, char *out, size_t cap) {
    size_t index[SWEEP_PARAMS_MAX];
    sweep_grid_values(&w->grid, combination, index);
    int n = snprintf(out, cap, "%s=%s", w->grid.params[k].key, w->grid.params[k].values[index[k]]);
    assert(n > 0 && (size_t)n < cap); /* key and value have their own limits */
}

/* Loads the scenario as each combination sets it, so that a bad key or
 * value stops the sweep before any run starts. Fills name with the
 * scenario's name. 0, or an exit code. */
int sweep_check_scenario(const sweep *w, char *name, size_t name_cap) {
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
int sweep_find_binary(sweep *w) {
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
int sweep_plan_runs(sweep *w) {
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

