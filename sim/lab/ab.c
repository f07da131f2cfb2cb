/* ab: the A/B report. See ab.h. */
#include "ab.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot.h"
#include "plot.h"
#include "run.h"

#define AB_OVERRIDES_MAX 64
#define AB_EXIT_BAD_INPUT 2
#define AB_DIR_MAX 512   /* the output folder's path */
#define AB_PATH_MAX 1024 /* a file in it: room for the folder and a name */
#define AB_LABEL_MAX 128

typedef struct ab_args {
    const char *scenario_path;
    const char *common[AB_OVERRIDES_MAX];
    size_t common_count;
    const char *side[2][AB_OVERRIDES_MAX];
    size_t side_count[2];
    char seed[48];
    const char *out_dir;
    char label[2][AB_LABEL_MAX];
} ab_args;

static int ab_usage(const char *why) {
    fprintf(stderr, "swarmlab: %s\n", why);
    fprintf(stderr, "usage: swarmlab ab SCENARIO --a KEY=VALUE... --b KEY=VALUE... [--set KEY=VALUE]...\n"
                    "                   [--seed N] [--out DIR] [--label-a TEXT] [--label-b TEXT]\n");
    return AB_EXIT_BAD_INPUT;
}

/* A KEY=VALUE for list (--a, --b or --set). 0, or an exit code. */
static int ab_push(const char **list, size_t *count, const char *value) {
    if (*count == AB_OVERRIDES_MAX) return ab_usage("too many overrides");
    if (strchr(value, '=') == NULL) return ab_usage("overrides take KEY=VALUE");
    list[(*count)++] = value;
    return 0;
}

static int ab_option(ab_args *a, const char *arg, const char *value) {
    if (strcmp(arg, "--a") == 0) return ab_push(a->side[0], &a->side_count[0], value);
    if (strcmp(arg, "--b") == 0) return ab_push(a->side[1], &a->side_count[1], value);
    if (strcmp(arg, "--set") == 0) return ab_push(a->common, &a->common_count, value);
    if (strcmp(arg, "--out") == 0) a->out_dir = value;
    else if (strcmp(arg, "--label-a") == 0) snprintf(a->label[0], AB_LABEL_MAX, "%s", value);
    else if (strcmp(arg, "--label-b") == 0) snprintf(a->label[1], AB_LABEL_MAX, "%s", value);
    else if (strcmp(arg, "--seed") == 0) {
        char *end;
        unsigned long long seed = strtoull(value, &end, 10);
        if (*value == '\0' || *value == '-' || *end != '\0') return ab_usage("--seed takes a non-negative integer");
        snprintf(a->seed, sizeof a->seed, "seed=%llu", seed);
    } else {
        char why[160];
        snprintf(why, sizeof why, "unknown option: %s", arg);
        return ab_usage(why);
    }
    return 0;
}

/* A side's label: given, else its overrides joined. */
static void ab_default_label(ab_args *a, int side) {
    if (a->label[side][0] != '\0') return;
    size_t used = 0;
    for (size_t i = 0; i < a->side_count[side] && used < AB_LABEL_MAX - 1; i++)
        used += (size_t)snprintf(a->label[side] + used, AB_LABEL_MAX - used, "%s%s", i ? " " : "", a->side[side][i]);
}

static int ab_parse(int argc, char **argv, ab_args *a) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-') {
            if (a->scenario_path != NULL) return ab_usage("ab takes one scenario");
            a->scenario_path = arg;
            continue;
        }
        if (i + 1 >= argc) return ab_usage("an option is missing its value");
        int rc = ab_option(a, arg, argv[++i]);
        if (rc != 0) return rc;
    }
    if (a->scenario_path == NULL) return ab_usage("ab needs a scenario file");
    if (a->side_count[0] == 0 || a->side_count[1] == 0) return ab_usage("ab needs --a and --b");
    ab_default_label(a, 0);
    ab_default_label(a, 1);
    return 0;
}

/* Loads the scenario with the common overrides, then the side's, then the
 * seed (which wins). 0, or an exit code. */
static int ab_load(const ab_args *a, int side, scenario *s) {
    const char *overrides[2 * AB_OVERRIDES_MAX + 1];
    size_t count = 0;
    for (size_t i = 0; i < a->common_count; i++) overrides[count++] = a->common[i];
    for (size_t i = 0; i < a->side_count[side]; i++) overrides[count++] = a->side[side][i];
    if (a->seed[0] != '\0') overrides[count++] = a->seed;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(a->scenario_path, overrides, count, s, err, sizeof err) == 0) return 0;
    fprintf(stderr, "swarmlab: side %c: %s\n", 'a' + side, err);
    return AB_EXIT_BAD_INPUT;
}

static int ab_run_side(const ab_args *a, int side, const char out[AB_DIR_MAX], run_result *result) {
    static scenario s;
    int rc = ab_load(a, side, &s);
    if (rc != 0) return rc;
    char dir[AB_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%c", out, 'a' + side);
    run_options options = {.scenario = &s, .out_dir = dir, .plots = true};
    char err[SCENARIO_ERROR_MAX];
    fprintf(stderr, "swarmlab ab: side %c (%s) ...\n", 'a' + side, a->label[side]);
    if (run_scenario(&options, result, err, sizeof err) == 0) return 0;
    fprintf(stderr, "swarmlab: side %c: %s\n", 'a' + side, err);
    return 1;
}

/* ---- the report ------------------------------------------------------------ */

typedef struct ab_row {
    const char *name;
    double a, b;
} ab_row;

static void ab_table(FILE *out, const ab_args *args, const run_result r[2]) {
    const metrics_summary *x = &r[0].summary, *y = &r[1].summary;
    const ab_row rows[] = {
        {"delivery_ratio", x->delivery_ratio, y->delivery_ratio},
        {"latency_ms.p50", x->latency_ms_p50, y->latency_ms_p50},
        {"latency_ms.p90", x->latency_ms_p90, y->latency_ms_p90},
        {"latency_ms.p99", x->latency_ms_p99, y->latency_ms_p99},
        {"latency_ms.max", x->latency_ms_max, y->latency_ms_max},
        {"duplicates_per_delivery", x->duplicates_per_delivery, y->duplicates_per_delivery},
        {"hops.mean", x->hops_mean, y->hops_mean},
        {"bandwidth_bytes_per_node_per_s", x->bandwidth_bytes_per_node_per_s, y->bandwidth_bytes_per_node_per_s},
        {"control_overhead", x->control_overhead, y->control_overhead},
    };
    fprintf(out, "A: %s\nB: %s\n\n%-32s %14s %14s %10s\n", args->label[0], args->label[1], "metric", "A", "B",
            "B - A");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(out, "%-32s %14.4f %14.4f %+10.4f\n", rows[i].name, rows[i].a, rows[i].b, rows[i].b - rows[i].a);
    fprintf(out, "%-32s %14.14s %14.14s\n", "digest", r[0].digest, r[1].digest);
}

static void ab_shade(FILE *gp, const char dir[AB_DIR_MAX]) {
    plot_window windows[PLOT_WINDOWS_MAX];
    size_t count = 0;
    char err[256];
    char side_a[AB_PATH_MAX];
    snprintf(side_a, sizeof side_a, "%s/a", dir);
    if (plot_windows_read(side_a, windows, PLOT_WINDOWS_MAX, &count, err, sizeof err) != 0) return;
    for (size_t i = 0; i < count; i++)
        fprintf(gp, "set object %zu rect from first %.9g, graph 0 to first %.9g, graph 1 behind "
                    "fillcolor rgb '#eeeeee' fillstyle solid 1.0 noborder\n",
                i + 1, windows[i].from_s, windows[i].until_s);
}

/* One plot, PNG then SVG: body is the gnuplot commands after the terminal. */
static void ab_plot(FILE *gp, const char dir[AB_DIR_MAX], const char *name, const char *body) {
    static const char *const terminals[][2] = {{"pngcairo size 900,540", "png"}, {"svg size 900,540", "svg"}};
    for (size_t t = 0; t < 2; t++) {
        fprintf(gp, "set terminal %s noenhanced\nset output ", terminals[t][0]);
        char path[AB_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, terminals[t][1]);
        gnuplot_put_quoted(gp, path);
        fprintf(gp, "\n%s\n", body);
    }
}

/* A time-series plot of one timeseries.csv column for both sides. */
static void ab_series(FILE *gp, const char dir[AB_DIR_MAX], const char *name, const char *column,
                      const char *ylabel) {
    char body[4 * AB_PATH_MAX];
    snprintf(body, sizeof body,
             "set datafile separator ','\nset xlabel 'time (s)'\nset ylabel '%s'\nset key top left\n"
             "plot '%s/a/timeseries.csv' using 'time_s':'%s' with lines lw 2 title A, "
             "'%s/b/timeseries.csv' using 'time_s':'%s' with lines lw 2 title B\n"
             "set datafile separator whitespace",
             ylabel, dir, column, dir, column);
    ab_plot(gp, dir, name, body);
}

static int ab_draw(const ab_args *a, const char dir[AB_DIR_MAX]) {
    char script[AB_PATH_MAX];
    snprintf(script, sizeof script, "%s/ab.gp", dir);
    FILE *gp = fopen(script, "w");
    if (gp == NULL) return -1;
    fputs("set grid\nA = ", gp);
    gnuplot_put_quoted(gp, a->label[0]);
    fputs("\nB = ", gp);
    gnuplot_put_quoted(gp, a->label[1]);
    fputs("\n", gp);
    char body[4 * AB_PATH_MAX];
    snprintf(body, sizeof body,
             "set xlabel 'latency (ms)'\nset ylabel 'fraction of deliveries'\nset key bottom right\n"
             "stats '%s/a/latencies.txt' nooutput\nna = STATS_records\n"
             "stats '%s/b/latencies.txt' nooutput\nnb = STATS_records\n"
             "plot '%s/a/latencies.txt' using 1:(($0 + 1) / na) with lines lw 2 title A, "
             "'%s/b/latencies.txt' using 1:(($0 + 1) / nb) with lines lw 2 title B",
             dir, dir, dir, dir);
    ab_plot(gp, dir, "ab-latency-cdf", body);
    ab_shade(gp, dir);
    ab_series(gp, dir, "ab-delivery", "delivery_ratio", "delivery ratio of the messages of each interval");
    ab_series(gp, dir, "ab-latency", "latency_ms_p50", "latency p50 (ms)");
    ab_series(gp, dir, "ab-duplicates", "duplicates", "duplicates per interval");
    if (fclose(gp) != 0) return -1;
    char log_path[AB_PATH_MAX];
    snprintf(log_path, sizeof log_path, "%s/ab.log", dir);
    FILE *log = fopen(log_path, "w"); /* the log is this drawing's alone */
    if (log == NULL || fclose(log) != 0) return -1;
    return gnuplot_run(NULL, script, log_path, 0) == 0 ? 0 : -1;
}

int ab_command(int argc, char **argv) {
    static ab_args a;
    int rc = ab_parse(argc, argv, &a);
    if (rc != 0) return rc;
    static scenario s;
    if ((rc = ab_load(&a, 0, &s)) != 0) return rc;
    char out[AB_DIR_MAX];
    if (a.out_dir != NULL && strlen(a.out_dir) >= sizeof out) return ab_usage("--out: path too long");
    if (a.out_dir != NULL) snprintf(out, sizeof out, "%s", a.out_dir);
    else snprintf(out, sizeof out, "results/ab/%.64s-%llu", s.name, (unsigned long long)s.seed);
    static run_result results[2];
    for (int side = 0; side < 2; side++)
        if ((rc = ab_run_side(&a, side, out, &results[side])) != 0) return rc;
    char table[AB_PATH_MAX];
    snprintf(table, sizeof table, "%s/ab.txt", out);
    FILE *f = fopen(table, "w");
    if (f != NULL) {
        ab_table(f, &a, results);
        fclose(f);
    }
    ab_table(stdout, &a, results);
    if (ab_draw(&a, out) != 0) {
        fprintf(stderr, "swarmlab ab: the plots were not drawn (see %s/ab.log)\n", out);
        return 1;
    }
    printf("\nplots: %s/ab-latency-cdf.png, ab-delivery.png, ab-latency.png, ab-duplicates.png (and .svg)\n", out);
    return 0;
}
