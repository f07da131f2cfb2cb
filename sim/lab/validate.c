/* validate: the same scenario on each backend, side by side. See validate.h. */
#include "validate.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "testbed.h"

#define VALIDATE_OVERRIDES_MAX 64
#define VALIDATE_BACKENDS_MAX 3
#define VALIDATE_EXIT_DIFFERS 1
#define VALIDATE_EXIT_BAD_INPUT 2
#define VALIDATE_DIR_MAX 512
#define VALIDATE_PATH_MAX 1024
#define VALIDATE_DEFAULT_TOLERANCE 0.10

/* The world over its two network backends, and the testbed (testbed.h):
 * the same scenario on real daemons in network namespaces, in real time. */
typedef enum validate_backend { VB_BUILTIN, VB_NS3, VB_TESTBED } validate_backend;

typedef struct validate_args {
    const char *scenario_path;
    const char *overrides[VALIDATE_OVERRIDES_MAX + 2]; /* room for the backend and the seed */
    size_t override_count;
    char seed[48];
    validate_backend backends[VALIDATE_BACKENDS_MAX];
    size_t backend_count;
    double tolerance;
    const char *out_dir;
} validate_args;

static const char *const backend_names[] = {[VB_BUILTIN] = "builtin", [VB_NS3] = "ns3", [VB_TESTBED] = "testbed"};

static int validate_usage(const char *why) {
    fprintf(stderr, "swarmlab: %s\n", why);
    fprintf(stderr, "usage: swarmlab validate SCENARIO [--backends builtin,ns3[,testbed]] [--tolerance 10%%] [--seed N]\n"
                    "                         [--set KEY=VALUE]... [--out DIR]\n");
    return VALIDATE_EXIT_BAD_INPUT;
}

/* "builtin,ns3", "builtin,testbed", "builtin,ns3,testbed": two or three
 * distinct names, the first the reference. 0, or -1. */
static int validate_parse_backends(const char *text, validate_args *a) {
    a->backend_count = 0;
    char copy[64];
    if (strlen(text) >= sizeof copy) return -1;
    snprintf(copy, sizeof copy, "%s", text);
    for (char *save = NULL, *name = strtok_r(copy, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
        if (a->backend_count == VALIDATE_BACKENDS_MAX) return -1;
        validate_backend b;
        if (strcmp(name, "builtin") == 0) b = VB_BUILTIN;
        else if (strcmp(name, "ns3") == 0) b = VB_NS3;
        else if (strcmp(name, "testbed") == 0) b = VB_TESTBED;
        else return -1;
        for (size_t k = 0; k < a->backend_count; k++)
            if (a->backends[k] == b) return -1;
        a->backends[a->backend_count++] = b;
    }
    return a->backend_count >= 2 ? 0 : -1;
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
        if (validate_parse_backends(value, a) != 0) return validate_usage("--backends takes two or three of builtin, ns3, testbed (distinct; the first is the reference)");
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
    a->backends[0] = VB_BUILTIN;
    a->backends[1] = VB_NS3;
    a->backend_count = 2;
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
static int validate_load(const validate_args *a, validate_backend backend, scenario *s) {
    const char *overrides[VALIDATE_OVERRIDES_MAX + 2];
    size_t count = a->override_count;
    memcpy(overrides, a->overrides, count * sizeof overrides[0]);
    overrides[count++] = backend == VB_NS3 ? "network.backend=ns3" : "network.backend=builtin";
    if (a->seed[0] != '\0') overrides[count++] = a->seed;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(a->scenario_path, overrides, count, s, err, sizeof err) == 0 &&
        (backend != VB_TESTBED || testbed_check_scenario(s, false, err, sizeof err) == 0))
        return 0;
    fprintf(stderr, "swarmlab: %s: %s\n", backend_names[backend], err);
    return VALIDATE_EXIT_BAD_INPUT;
}

static int validate_run(const validate_args *a, validate_backend backend, const char *out, run_result *result) {
    static scenario s;
    int rc = validate_load(a, backend, &s);
    if (rc != 0) return rc;
    char dir[VALIDATE_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", out, backend_names[backend]);
    char err[SCENARIO_ERROR_MAX];
    fprintf(stderr, "swarmlab validate: %s ...\n", backend_names[backend]);
    if (backend == VB_TESTBED) {
        testbed_options options = {.scenario = &s, .out_dir = dir, .quiet = true};
        rc = testbed_run(&options, result, err, sizeof err);
        if (rc != 0) fprintf(stderr, "swarmlab: testbed: %s\n", err);
        return rc;
    }
    run_options options = {.scenario = &s, .out_dir = dir};
    if (run_scenario(&options, result, err, sizeof err) == 0) return 0;
    fprintf(stderr, "swarmlab: %s: %s\n", backend_names[backend], err);
    return strstr(err, "not supported yet") != NULL ? VALIDATE_EXIT_BAD_INPUT : VALIDATE_EXIT_DIFFERS;
}

/* ---- the table ------------------------------------------------------------- */

typedef struct validate_row {
    const char *name;
    double value[VALIDATE_BACKENDS_MAX];
    double ratio[VALIDATE_BACKENDS_MAX]; /* [b] for b >= 1: b over the first; NAN when the first is 0 */
    bool differs[VALIDATE_BACKENDS_MAX]; /* [b] for b >= 1 */
} validate_row;

enum { VALIDATE_ROWS = 7 };

static void validate_rows(const run_result r[], size_t count, double tolerance, validate_row rows[VALIDATE_ROWS]) {
    static const char *const names[VALIDATE_ROWS] = {
        "delivery_ratio", "latency_ms.p50", "latency_ms.p90", "latency_ms.p99",
        "latency_ms.max", "duplicates_per_delivery", "bytes_per_node_per_s"};
    for (size_t b = 0; b < count; b++) {
        const metrics_summary *m = &r[b].summary;
        const double values[VALIDATE_ROWS] = {m->delivery_ratio, m->latency_ms_p50, m->latency_ms_p90,
                                              m->latency_ms_p99, m->latency_ms_max, m->duplicates_per_delivery,
                                              m->bandwidth_bytes_per_node_per_s};
        for (size_t i = 0; i < VALIDATE_ROWS; i++) rows[i].value[b] = values[i];
    }
    for (size_t i = 0; i < VALIDATE_ROWS; i++) {
        validate_row *row = &rows[i];
        row->name = names[i];
        double first = row->value[0];
        for (size_t b = 1; b < count; b++) {
            double x = row->value[b];
            row->ratio[b] = first != 0 ? x / first : NAN;
            row->differs[b] = fabs(x - first) > tolerance * fabs(first);
        }
    }
}

static bool validate_row_differs(const validate_row *row, size_t count) {
    for (size_t b = 1; b < count; b++)
        if (row->differs[b]) return true;
    return false;
}

/* The table: one column per backend, then per other backend its ratio to
 * the first and a verdict (one verdict column with two backends). */
static void validate_print(FILE *out, const validate_args *a, const validate_row rows[VALIDATE_ROWS], bool markdown) {
    size_t n = a->backend_count;
    const char *b0 = backend_names[a->backends[0]];
    fprintf(out, markdown ? "| metric |" : "%-26s", "metric");
    for (size_t b = 0; b < n; b++) fprintf(out, markdown ? " %s |" : " %14s", backend_names[a->backends[b]]);
    for (size_t b = 1; b < n; b++) {
        char ratio[48];
        snprintf(ratio, sizeof ratio, "%s / %s", backend_names[a->backends[b]], b0);
        fprintf(out, markdown ? " %s |" : " %18s", markdown || n > 2 ? ratio : "ratio");
    }
    if (markdown) {
        fprintf(out, " within %g%% |\n|---|", 100 * a->tolerance);
        for (size_t b = 0; b < 2 * n; b++) fprintf(out, "---|");
        fprintf(out, "\n");
    } else {
        fprintf(out, "  verdict\n");
    }
    for (size_t i = 0; i < VALIDATE_ROWS; i++) {
        const validate_row *r = &rows[i];
        fprintf(out, markdown ? "| %s |" : "%-26s", r->name);
        for (size_t b = 0; b < n; b++) fprintf(out, markdown ? " %.4f |" : " %14.4f", r->value[b]);
        for (size_t b = 1; b < n; b++) fprintf(out, markdown ? " %.4f |" : " %18.4f", r->ratio[b]);
        if (n == 2) {
            fprintf(out, markdown ? " %s |\n" : "  %s\n", r->differs[1] ? "DIFFERS" : "agrees");
            continue;
        }
        fprintf(out, markdown ? " " : "  ");
        if (!validate_row_differs(r, n)) fprintf(out, "agrees");
        for (size_t b = 1, first = 1; b < n; b++)
            if (r->differs[b]) {
                fprintf(out, "%sDIFFERS (%s)", first ? "" : ", ", backend_names[a->backends[b]]);
                first = 0;
            }
        fprintf(out, markdown ? " |\n" : "\n");
    }
}

/* validate.csv: metric, one column per backend, then per other backend its
 * ratio and differs (named ratio and differs with two backends, as before;
 * ratio_NAME and differs_NAME with three). */
static int validate_write(const char *out, const validate_args *a, const validate_row rows[VALIDATE_ROWS]) {
    size_t n = a->backend_count;
    char path[VALIDATE_PATH_MAX];
    snprintf(path, sizeof path, "%s/validate.csv", out);
    FILE *csv = fopen(path, "w");
    if (csv == NULL) return -1;
    fprintf(csv, "metric");
    for (size_t b = 0; b < n; b++) fprintf(csv, ",%s", backend_names[a->backends[b]]);
    for (size_t b = 1; b < n; b++) {
        const char *sep = n > 2 ? "_" : "", *name = n > 2 ? backend_names[a->backends[b]] : "";
        fprintf(csv, ",ratio%s%s,differs%s%s", sep, name, sep, name);
    }
    fprintf(csv, "\n");
    for (size_t i = 0; i < VALIDATE_ROWS; i++) {
        fprintf(csv, "%s", rows[i].name);
        for (size_t b = 0; b < n; b++) fprintf(csv, ",%.9g", rows[i].value[b]);
        for (size_t b = 1; b < n; b++) fprintf(csv, ",%.9g,%d", rows[i].ratio[b], rows[i].differs[b]);
        fprintf(csv, "\n");
    }
    if (fclose(csv) != 0) return -1;
    snprintf(path, sizeof path, "%s/validate.md", out);
    FILE *md = fopen(path, "w");
    if (md == NULL) return -1;
    validate_print(md, a, rows, true);
    return fclose(md);
}

/* Whether every backend can run: the testbed needs root and namespaces,
 * checked before any run so that a long world run is not wasted. */
static int validate_available(const validate_args *a) {
    for (size_t b = 0; b < a->backend_count; b++) {
        char why[512];
        if (a->backends[b] == VB_TESTBED && testbed_available(why, sizeof why) != 0) {
            fprintf(stderr, "swarmlab validate: testbed cannot run here: %s\n", why);
            return VALIDATE_EXIT_DIFFERS;
        }
    }
    return 0;
}

int validate_command(int argc, char **argv) {
    static validate_args a;
    int rc = validate_parse(argc, argv, &a);
    if (rc != 0) return rc;
    static scenario s;
    for (size_t b = a.backend_count; b-- > 0;) /* every backend takes the scenario before any runs; s the first's */
        if ((rc = validate_load(&a, a.backends[b], &s)) != 0) return rc;
    if ((rc = validate_available(&a)) != 0) return rc;
    char out[VALIDATE_DIR_MAX];
    if (a.out_dir != NULL) snprintf(out, sizeof out, "%s", a.out_dir);
    else snprintf(out, sizeof out, "results/validate/%.64s-%llu", s.name, (unsigned long long)s.seed);
    static run_result results[VALIDATE_BACKENDS_MAX];
    for (size_t b = 0; b < a.backend_count; b++)
        if ((rc = validate_run(&a, a.backends[b], out, &results[b])) != 0) return rc;
    validate_row rows[VALIDATE_ROWS];
    validate_rows(results, a.backend_count, a.tolerance, rows);
    printf("swarmlab validate %s (seed %llu), tolerance %g%%\n", s.name, (unsigned long long)s.seed,
           100 * a.tolerance);
    validate_print(stdout, &a, rows, false);
    for (size_t b = 0; b < a.backend_count; b++)
        printf("%-26s %14.2f s wall, %llu %s, digest %.16s\n", backend_names[a.backends[b]],
               results[b].wall_seconds, (unsigned long long)results[b].events_processed,
               a.backends[b] == VB_TESTBED ? "trace events" : "kernel events", results[b].digest);
    if (validate_write(out, &a, rows) != 0) {
        fprintf(stderr, "swarmlab validate: cannot write %s/validate.csv or validate.md\n", out);
        return VALIDATE_EXIT_DIFFERS;
    }
    size_t differ = 0;
    for (size_t i = 0; i < VALIDATE_ROWS; i++) differ += validate_row_differs(&rows[i], a.backend_count);
    printf("output: %s/validate.csv, %s/validate.md\n", out, out);
    if (differ == 0) {
        printf("agree: every metric within %g%%\n", 100 * a.tolerance);
        return 0;
    }
    printf("differ: %zu metric(s) beyond %g%%:", differ, 100 * a.tolerance);
    for (size_t i = 0; i < VALIDATE_ROWS; i++)
        if (validate_row_differs(&rows[i], a.backend_count)) printf(" %s", rows[i].name);
    printf("\n");
    return VALIDATE_EXIT_DIFFERS;
}
