/* validate: the same scenario on each backend, side by side. See validate.h. */
#include "validate.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#define VALIDATE_OVERRIDES_MAX 64
#define VALIDATE_BACKENDS_MAX 2
#define VALIDATE_EXIT_DIFFERS 1
#define VALIDATE_EXIT_BAD_INPUT 2
#define VALIDATE_DIR_MAX 512
#define VALIDATE_PATH_MAX 1024
#define VALIDATE_DEFAULT_TOLERANCE 0.10

typedef struct validate_args {
    const char *scenario_path;
    const char *overrides[VALIDATE_OVERRIDES_MAX + 2]; /* room for the backend and the seed */
    size_t override_count;
    char seed[48];
    network_backend backends[VALIDATE_BACKENDS_MAX];
    size_t backend_count;
    double tolerance;
    const char *out_dir;
} validate_args;

static const char *const backend_names[] = {[BACKEND_BUILTIN] = "builtin", [BACKEND_NS3] = "ns3"};

static int validate_usage(const char *why) {
    fprintf(stderr, "swarmlab: %s\n", why);
    fprintf(stderr, "usage: swarmlab validate SCENARIO [--backends builtin,ns3] [--tolerance 10%%] [--seed N]\n"
                    "                         [--set KEY=VALUE]... [--out DIR]\n");
    return VALIDATE_EXIT_BAD_INPUT;
}

/* "builtin,ns3": two distinct names. 0, or -1. */
static int validate_parse_backends(const char *text, validate_args *a) {
    a->backend_count = 0;
    char copy[64];
    if (strlen(text) >= sizeof copy) return -1;
    snprintf(copy, sizeof copy, "%s", text);
    for (char *save = NULL, *name = strtok_r(copy, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
        if (a->backend_count == VALIDATE_BACKENDS_MAX) return -1;
        network_backend b;
        if (strcmp(name, "builtin") == 0) b = BACKEND_BUILTIN;
        else if (strcmp(name, "ns3") == 0) b = BACKEND_NS3;
        else return -1;
        if (a->backend_count == 1 && a->backends[0] == b) return -1;
        a->backends[a->backend_count++] = b;
    }
    return a->backend_count == VALIDATE_BACKENDS_MAX ? 0 : -1;
}

/* "10%" or "0.1": a fraction, >= 0. 0, or -1. */
static int validate_parse_tolerance(const char *text, double *out) {
    char *end;
    double value = strtod(text, &end);
    if (end == text || !isfinite(value) || value < 0) return -1;
    if (*end == '%') {
        value /= 100;
        end++;
    }
    if (*end != '\0') return -1;
    *out = value;
    return 0;
}

static int validate_option(validate_args *a, const char *arg, const char *value) {
    if (strcmp(arg, "--backends") == 0) {
        if (validate_parse_backends(value, a) != 0) return validate_usage("--backends takes builtin,ns3 (two, in either order)");
    } else if (strcmp(arg, "--tolerance") == 0) {
        if (validate_parse_tolerance(value, &a->tolerance) != 0) return validate_usage("--tolerance takes a percentage (10%) or a fraction (0.1)");
    } else if (strcmp(arg, "--set") == 0) {
        if (a->override_count == VALIDATE_OVERRIDES_MAX) return validate_usage("too many --set options");
        if (strchr(value, '=') == NULL) return validate_usage("--set takes KEY=VALUE");
        a->overrides[a->override_count++] = value;
    } else if (strcmp(arg, "--out") == 0) {
        if (strlen(value) >= VALIDATE_DIR_MAX) return validate_usage("--out: path too long");
        a->out_dir = value;
    } else if (strcmp(arg, "--seed") == 0) {
        char *end;
        unsigned long long seed = strtoull(value, &end, 10);
        if (*value == '\0' || *value == '-' || *end != '\0') return validate_usage("--seed takes a non-negative integer");
        snprintf(a->seed, sizeof a->seed, "seed=%llu", seed);
    } else {
        char why[160];
        snprintf(why, sizeof why, "unknown option: %s", arg);
        return validate_usage(why);
    }
    return 0;
}

static int validate_parse(int argc, char **argv, validate_args *a) {
    memset(a, 0, sizeof *a);
    a->backends[0] = BACKEND_BUILTIN;
    a->backends[1] = BACKEND_NS3;
    a->backend_count = VALIDATE_BACKENDS_MAX;
    a->tolerance = VALIDATE_DEFAULT_TOLERANCE;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-') {
            if (a->scenario_path != NULL) return validate_usage("validate takes one scenario");
            a->scenario_path = argv[i];
            continue;
        }
        if (i + 1 >= argc) return validate_usage("an option is missing its value");
        int rc = validate_option(a, argv[i], argv[i + 1]);
        i++;
        if (rc != 0) return rc;
    }
    if (a->scenario_path == NULL) return validate_usage("validate needs a scenario file");
    return 0;
}

/* The scenario with --set, then the backend, then the seed. 0, or an exit code. */
static int validate_load(const validate_args *a, network_backend backend, scenario *s) {
    const char *overrides[VALIDATE_OVERRIDES_MAX + 2];
    size_t count = a->override_count;
    memcpy(overrides, a->overrides, count * sizeof overrides[0]);
    overrides[count++] = backend == BACKEND_NS3 ? "network.backend=ns3" : "network.backend=builtin";
    if (a->seed[0] != '\0') overrides[count++] = a->seed;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(a->scenario_path, overrides, count, s, err, sizeof err) == 0) return 0;
    fprintf(stderr, "swarmlab: %s: %s\n", backend_names[backend], err);
    return VALIDATE_EXIT_BAD_INPUT;
}

static int validate_run(const validate_args *a, network_backend backend, const char *out, run_result *result) {
    static scenario s;
    int rc = validate_load(a, backend, &s);
    if (rc != 0) return rc;
    char dir[VALIDATE_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", out, backend_names[backend]);
    run_options options = {.scenario = &s, .out_dir = dir};
    char err[SCENARIO_ERROR_MAX];
    fprintf(stderr, "swarmlab validate: %s ...\n", backend_names[backend]);
    if (run_scenario(&options, result, err, sizeof err) == 0) return 0;
    fprintf(stderr, "swarmlab: %s: %s\n", backend_names[backend], err);
    return strstr(err, "not supported yet") != NULL ? VALIDATE_EXIT_BAD_INPUT : VALIDATE_EXIT_DIFFERS;
}

/* ---- the table ------------------------------------------------------------- */

typedef struct validate_row {
    const char *name;
    double value[VALIDATE_BACKENDS_MAX];
    double ratio; /* second over first; NAN when the first is 0 */
    bool differs;
} validate_row;

enum { VALIDATE_ROWS = 7 };

static void validate_rows(const run_result r[VALIDATE_BACKENDS_MAX], double tolerance, validate_row rows[VALIDATE_ROWS]) {
    static const char *const names[VALIDATE_ROWS] = {
        "delivery_ratio", "latency_ms.p50", "latency_ms.p90", "latency_ms.p99",
        "latency_ms.max", "duplicates_per_delivery", "bytes_per_node_per_s"};
    for (size_t b = 0; b < VALIDATE_BACKENDS_MAX; b++) {
        const metrics_summary *m = &r[b].summary;
        const double values[VALIDATE_ROWS] = {m->delivery_ratio, m->latency_ms_p50, m->latency_ms_p90,
                                              m->latency_ms_p99, m->latency_ms_max, m->duplicates_per_delivery,
                                              m->bandwidth_bytes_per_node_per_s};
        for (size_t i = 0; i < VALIDATE_ROWS; i++) rows[i].value[b] = values[i];
    }
    for (size_t i = 0; i < VALIDATE_ROWS; i++) {
        validate_row *row = &rows[i];
        row->name = names[i];
        double first = row->value[0], second = row->value[1];
        row->ratio = first != 0 ? second / first : NAN;
        row->differs = fabs(second - first) > tolerance * fabs(first);
    }
}

static void validate_print(FILE *out, const validate_args *a, const validate_row rows[VALIDATE_ROWS], bool markdown) {
    const char *b0 = backend_names[a->backends[0]], *b1 = backend_names[a->backends[1]];
    if (markdown)
        fprintf(out, "| metric | %s | %s | %s / %s | within %g%% |\n|---|---|---|---|---|\n", b0, b1, b1, b0,
                100 * a->tolerance);
    else
        fprintf(out, "%-26s %14s %14s %10s  %s\n", "metric", b0, b1, "ratio", "verdict");
    for (size_t i = 0; i < VALIDATE_ROWS; i++) {
        const validate_row *r = &rows[i];
        const char *verdict = r->differs ? "DIFFERS" : "agrees";
        if (markdown)
            fprintf(out, "| %s | %.4f | %.4f | %.4f | %s |\n", r->name, r->value[0], r->value[1], r->ratio, verdict);
        else
            fprintf(out, "%-26s %14.4f %14.4f %10.4f  %s\n", r->name, r->value[0], r->value[1], r->ratio, verdict);
    }
}

static int validate_write(const char *out, const validate_args *a, const validate_row rows[VALIDATE_ROWS]) {
    char path[VALIDATE_PATH_MAX];
    snprintf(path, sizeof path, "%s/validate.csv", out);
    FILE *csv = fopen(path, "w");
    if (csv == NULL) return -1;
    fprintf(csv, "metric,%s,%s,ratio,differs\n", backend_names[a->backends[0]], backend_names[a->backends[1]]);
    for (size_t i = 0; i < VALIDATE_ROWS; i++)
        fprintf(csv, "%s,%.9g,%.9g,%.9g,%d\n", rows[i].name, rows[i].value[0], rows[i].value[1], rows[i].ratio,
                rows[i].differs);
    if (fclose(csv) != 0) return -1;
    snprintf(path, sizeof path, "%s/validate.md", out);
    FILE *md = fopen(path, "w");
    if (md == NULL) return -1;
    validate_print(md, a, rows, true);
    return fclose(md);
}

int validate_command(int argc, char **argv) {
    static validate_args a;
    int rc = validate_parse(argc, argv, &a);
    if (rc != 0) return rc;
    static scenario s;
    if ((rc = validate_load(&a, a.backends[0], &s)) != 0) return rc;
    char out[VALIDATE_DIR_MAX];
    if (a.out_dir != NULL) snprintf(out, sizeof out, "%s", a.out_dir);
    else snprintf(out, sizeof out, "results/validate/%.64s-%llu", s.name, (unsigned long long)s.seed);
    static run_result results[VALIDATE_BACKENDS_MAX];
    for (size_t b = 0; b < VALIDATE_BACKENDS_MAX; b++)
        if ((rc = validate_run(&a, a.backends[b], out, &results[b])) != 0) return rc;
    validate_row rows[VALIDATE_ROWS];
    validate_rows(results, a.tolerance, rows);
    printf("swarmlab validate %s (seed %llu), tolerance %g%%\n", s.name, (unsigned long long)s.seed,
           100 * a.tolerance);
    validate_print(stdout, &a, rows, false);
    for (size_t b = 0; b < VALIDATE_BACKENDS_MAX; b++)
        printf("%-26s %14.2f s wall, %llu kernel events, digest %.16s\n", backend_names[a.backends[b]],
               results[b].wall_seconds, (unsigned long long)results[b].events_processed, results[b].digest);
    if (validate_write(out, &a, rows) != 0) {
        fprintf(stderr, "swarmlab validate: cannot write %s/validate.csv or validate.md\n", out);
        return VALIDATE_EXIT_DIFFERS;
    }
    size_t differ = 0;
    for (size_t i = 0; i < VALIDATE_ROWS; i++) differ += rows[i].differs;
    printf("output: %s/validate.csv, %s/validate.md\n", out, out);
    if (differ == 0) {
        printf("agree: every metric within %g%%\n", 100 * a.tolerance);
        return 0;
    }
    printf("differ: %zu metric(s) beyond %g%%:", differ, 100 * a.tolerance);
    for (size_t i = 0; i < VALIDATE_ROWS; i++)
        if (rows[i].differs) printf(" %s", rows[i].name);
    printf("\n");
    return VALIDATE_EXIT_DIFFERS;
}
