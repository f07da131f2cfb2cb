/*
 * compare: `swarmlab compare BASE NEW` (compare.h; docs/regression.md).
 *
 * Reads two metrics.json files with json_read (bounded, tree-less), the
 * tolerances with libyaml's event parser, judges each metric against its
 * tolerance and direction, and prints an aligned table and a verdict.
 *
 * Everything it holds has a fixed size: the metric table below, at most
 * COMPARE_FILE_MAX bytes of each metrics.json and COMPARE_TOLERANCES_FILE_MAX
 * bytes of tolerances, read whole and then walked.
 */
#include "compare.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "json_read.h"

/* A metrics.json is a few KiB; 1 MiB is far above any real one and still
 * a small allocation, so a wrong file (a trace, say) is refused early. */
#define COMPARE_FILE_MAX (1u << 20)
#define COMPARE_TOLERANCES_FILE_MAX (64u << 10)
#define COMPARE_PATH_MAX 4096
#define COMPARE_NAME_MAX 256
#define COMPARE_SEED_MAX 32
#define COMPARE_DIGEST_MAX 160
#define COMPARE_ERR_MAX 512
#define COMPARE_OVERRIDES_MAX 64
#define COMPARE_CELL_MAX 48
#define COMPARE_COLUMNS 7
#define COMPARE_NAMES_MAX 1024 /* the "regressions: a, b" list */

typedef enum compare_direction { COMPARE_HIGHER_IS_BETTER, COMPARE_LOWER_IS_BETTER } compare_direction;

typedef struct compare_tolerance {
    double relative, absolute;
} compare_tolerance;

typedef struct compare_metric {
    const char *path;  /* the key path in metrics.json */
    compare_direction direction;
    bool optional;     /* only some runs have it (attacks); compared when present */
    compare_tolerance fallback; /* equal to results/baselines/tolerances.yaml */
} compare_metric;

/* The compared metrics and the built-in tolerances, set from measured
 * seed-to-seed noise with a margin of 2 to 3 times (docs/regression.md). */
static const compare_metric compare_metrics[] = {
    {"delivery_ratio", COMPARE_HIGHER_IS_BETTER, false, {0.0, 0.01}},
    {"latency_ms.p50", COMPARE_LOWER_IS_BETTER, false, {0.15, 5.0}},
    {"latency_ms.p90", COMPARE_LOWER_IS_BETTER, false, {0.15, 5.0}},
    {"latency_ms.p99", COMPARE_LOWER_IS_BETTER, false, {0.15, 10.0}},
    {"latency_ms.max", COMPARE_LOWER_IS_BETTER, false, {0.75, 20.0}},
    {"duplicates_per_delivery", COMPARE_LOWER_IS_BETTER, false, {0.06, 0.05}},
    {"hops.mean", COMPARE_LOWER_IS_BETTER, false, {0.08, 0.1}},
    {"bandwidth.bytes_per_node_per_s", COMPARE_LOWER_IS_BETTER, false, {0.50, 0.0}},
    {"bandwidth.amplification", COMPARE_LOWER_IS_BETTER, false, {0.05, 0.0}},
    {"control_overhead", COMPARE_LOWER_IS_BETTER, false, {0.05, 0.005}},
    {"counts.redeliveries", COMPARE_LOWER_IS_BETTER, true, {0.25, 5.0}},
    {"attack.during.delivery_ratio", COMPARE_HIGHER_IS_BETTER, true, {0.0, 0.01}},
    {"attack.during.latency_ms.p50", COMPARE_LOWER_IS_BETTER, true, {0.15, 5.0}},
    {"attack.during.latency_ms.p99", COMPARE_LOWER_IS_BETTER, true, {0.15, 10.0}},
    {"attack.mesh_occupied_share_max", COMPARE_LOWER_IS_BETTER, true, {0.25, 0.01}},
    {"data.availability", COMPARE_HIGHER_IS_BETTER, true, {0.0, 0.02}},
    {"data.get_latency_ms.p50", COMPARE_LOWER_IS_BETTER, true, {0.25, 10.0}},
    {"data.get_latency_ms.p99", COMPARE_LOWER_IS_BETTER, true, {0.50, 50.0}},
    {"data.blocks_lost", COMPARE_LOWER_IS_BETTER, true, {0.0, 3.0}},
};
#define COMPARE_METRIC_COUNT (sizeof compare_metrics / sizeof compare_metrics[0])

typedef struct compare_value {
    bool present; /* the key is in the file */
    bool null;    /* its value is null (e.g. no latency without deliveries) */
    double number;
} compare_value;

/* What compare keeps of one metrics.json. */
typedef struct compare_run {
    char path[COMPARE_PATH_MAX]; /* the file read */
    char scenario[COMPARE_NAME_MAX];
    char seed[COMPARE_SEED_MAX];
    char digest[COMPARE_DIGEST_MAX];
    bool has_scenario, has_seed, has_digest;
    compare_value values[COMPARE_METRIC_COUNT];
} compare_run;

typedef struct compare_args {
    const char *inputs[2]; /* BASE, NEW */
    size_t input_count;
    const char *tolerances_path; /* NULL: the default file, else built-in */
    const char *overrides[COMPARE_OVERRIDES_MAX];
    size_t override_count;
    bool help;
} compare_args;

typedef enum compare_verdict { COMPARE_OK, COMPARE_REGRESSION, COMPARE_IMPROVED, COMPARE_NOT_COMPARED } compare_verdict;

typedef struct compare_state {
    compare_args args;
    compare_tolerance tolerances[COMPARE_METRIC_COUNT];
    char tolerances_source[COMPARE_PATH_MAX + 64];
    compare_run runs[2];
    compare_verdict verdicts[COMPARE_METRIC_COUNT];
    FILE *out, *err;
} compare_state;

static int compare_fail(compare_state *s, const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("swarmlab compare: ", s->err);
    vfprintf(s->err, format, args);
    fputc('\n', s->err);
    va_end(args);
    return COMPARE_EXIT_BAD_INPUT;
}

static int compare_metric_index(const char *path) {
    for (size_t i = 0; i < COMPARE_METRIC_COUNT; i++)
        if (strcmp(compare_metrics[i].path, path) == 0) return (int)i;
    return -1;
}

/* A tolerance is a non-negative finite number written in full. */
static int compare_parse_tolerance(const char *text, double *out) {
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !isfinite(value) || value < 0) return -1;
    *out = value;
    return 0;
}

/* ---- arguments ---------------------------------------------------------- */

static void compare_usage(FILE *out) {
    fprintf(out,
            "usage: swarmlab compare BASE NEW [--tolerances FILE] [--tolerance METRIC=REL]...\n"
            "\n"
            "  BASE and NEW are metrics.json files or run folders holding one. Prints old, new and\n"
            "  the change of each metric, and exits 1 when a metric got worse beyond its tolerance:\n"
            "  a change is within tolerance when |new - old| <= max(absolute, relative * |old|).\n"
            "\n"
            "  --tolerances FILE        tolerances to use instead of %s\n"
            "                           (built-in defaults, equal to that file, when it is missing)\n"
            "  --tolerance METRIC=REL   sets one metric's relative tolerance, e.g. latency_ms.p99=0.5\n"
            "\n"
            "  exit codes: 0 no regression, 1 a regression, 2 bad input\n",
            COMPARE_TOLERANCES_DEFAULT);
}

static int compare_bad_usage(compare_state *s, const char *format, const char *arg) {
    fputs("swarmlab compare: ", s->err);
    fprintf(s->err, format, arg);
    fputc('\n', s->err);
    compare_usage(s->err);
    return COMPARE_EXIT_BAD_INPUT;
}

static int compare_parse_args(compare_state *s, int argc, char **argv) {
    compare_args *a = &s->args;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            a->help = true;
        } else if (strcmp(arg, "--tolerances") == 0 && has_value) {
            a->tolerances_path = argv[++i];
        } else if (strcmp(arg, "--tolerance") == 0 && has_value) {
            if (a->override_count == COMPARE_OVERRIDES_MAX) return compare_bad_usage(s, "%s", "too many --tolerance options");
            a->overrides[a->override_count++] = argv[++i];
        } else if (arg[0] == '-') {
            return compare_bad_usage(s, "unknown option or missing value: %s", arg);
        } else if (a->input_count == 2) {
            return compare_bad_usage(s, "compare takes two runs, got a third: %s", arg);
        } else {
            a->inputs[a->input_count++] = arg;
        }
    }
    if (!a->help && a->input_count != 2) return compare_bad_usage(s, "%s", "compare needs BASE and NEW");
    return 0;
}

/* ---- tolerances (YAML) -------------------------------------------------- */

/* A libyaml event reader that words every error as "FILE:LINE: what". */
typedef struct compare_yaml {
    yaml_parser_t parser;
    yaml_event_t event;
    bool has_event;
    const char *path;
    char *err;
    size_t err_cap;
} compare_yaml;

static int compare_yaml_fail(compare_yaml *y, const char *format, ...) {
    char what[COMPARE_ERR_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    int line = y->has_event ? (int)y->event.start_mark.line + 1 : 1;
    snprintf(y->err, y->err_cap, "%s:%d: %s", y->path, line, what);
    return -1;
}

static int compare_yaml_next(compare_yaml *y) {
    if (y->has_event) yaml_event_delete(&y->event);
    y->has_event = false;
    if (!yaml_parser_parse(&y->parser, &y->event)) {
        snprintf(y->err, y->err_cap, "%s:%d: %s", y->path, (int)y->parser.problem_mark.line + 1,
                 y->parser.problem != NULL ? y->parser.problem : "malformed YAML");
        return -1;
    }
    y->has_event = true;
    return 0;
}

static bool compare_yaml_is(const compare_yaml *y, yaml_event_type_t type) {
    return y->has_event && y->event.type == type;
}

static const char *compare_yaml_text(const compare_yaml *y) {
    assert(compare_yaml_is(y, YAML_SCALAR_EVENT));
    return (const char *)y->event.data.scalar.value;
}

/* One metric's {relative: R, absolute: A}; either key may be left out. */
static int compare_yaml_entry(compare_yaml *y, const char *metric, compare_tolerance *t) {
    if (compare_yaml_next(y) != 0) return -1;
    if (!compare_yaml_is(y, YAML_MAPPING_START_EVENT))
        return compare_yaml_fail(y, "%s: expected {relative: R, absolute: A}", metric);
    for (;;) {
        if (compare_yaml_next(y) != 0) return -1;
        if (compare_yaml_is(y, YAML_MAPPING_END_EVENT)) return 0;
        if (!compare_yaml_is(y, YAML_SCALAR_EVENT)) return compare_yaml_fail(y, "%s: expected relative or absolute", metric);
        double *slot = strcmp(compare_yaml_text(y), "relative") == 0   ? &t->relative
                       : strcmp(compare_yaml_text(y), "absolute") == 0 ? &t->absolute
                                                                       : NULL;
        if (slot == NULL)
            return compare_yaml_fail(y, "%s: unknown key \"%.64s\" (expected relative or absolute)", metric, compare_yaml_text(y));
        if (compare_yaml_next(y) != 0) return -1;
        if (!compare_yaml_is(y, YAML_SCALAR_EVENT) || compare_parse_tolerance(compare_yaml_text(y), slot) != 0)
            return compare_yaml_fail(y, "%s: expected a non-negative number", metric);
    }
}

/* The metric: entries of the top-level map, up to its end. */
static int compare_yaml_entries(compare_yaml *y, compare_tolerance *tolerances) {
    bool seen[COMPARE_METRIC_COUNT] = {false};
    for (;;) {
        if (compare_yaml_next(y) != 0) return -1;
        if (compare_yaml_is(y, YAML_MAPPING_END_EVENT)) return 0;
        if (!compare_yaml_is(y, YAML_SCALAR_EVENT)) return compare_yaml_fail(y, "expected a metric name");
        int m = compare_metric_index(compare_yaml_text(y));
        if (m < 0) return compare_yaml_fail(y, "unknown metric \"%.64s\" (docs/regression.md lists them)", compare_yaml_text(y));
        if (seen[m]) return compare_yaml_fail(y, "metric %s is listed twice", compare_metrics[m].path);
        seen[m] = true;
        if (compare_yaml_entry(y, compare_metrics[m].path, &tolerances[m]) != 0) return -1;
    }
}

/* A file of comments only is an empty stream: it changes nothing. */
static int compare_yaml_document(compare_yaml *y, compare_tolerance *tolerances) {
    if (compare_yaml_next(y) != 0 || compare_yaml_next(y) != 0) return -1; /* stream start, then */
    if (compare_yaml_is(y, YAML_STREAM_END_EVENT)) return 0;
    assert(compare_yaml_is(y, YAML_DOCUMENT_START_EVENT));
    if (compare_yaml_next(y) != 0) return -1;
    if (!compare_yaml_is(y, YAML_MAPPING_START_EVENT))
        return compare_yaml_fail(y, "expected a map of METRIC: {relative: R, absolute: A}");
    if (compare_yaml_entries(y, tolerances) != 0) return -1;
    if (compare_yaml_next(y) != 0 || compare_yaml_next(y) != 0) return -1; /* document end, then */
    if (!compare_yaml_is(y, YAML_STREAM_END_EVENT)) return compare_yaml_fail(y, "expected one YAML document, got more");
    return 0;
}

/* Reads path over the tolerances already in place. 0, or -1 with err. */
static int compare_tolerances_read(const char *path, compare_tolerance *tolerances, char *err, size_t err_cap) {
    char *text;
    size_t len;
    char why[COMPARE_ERR_MAX];
    if (json_read_file(path, COMPARE_TOLERANCES_FILE_MAX, &text, &len, why, sizeof why) != 0) {
        snprintf(err, err_cap, "%s: %s", path, why);
        return -1;
    }
    compare_yaml y = {.path = path, .err = err, .err_cap = err_cap};
    int rc = -1;
    if (!yaml_parser_initialize(&y.parser)) {
        snprintf(err, err_cap, "%s: out of memory", path);
    } else {
        yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
        rc = compare_yaml_document(&y, tolerances);
        if (y.has_event) yaml_event_delete(&y.event);
        yaml_parser_delete(&y.parser);
    }
    free(text);
    return rc;
}

static int compare_apply_override(compare_state *s, const char *override) {
    const char *eq = strchr(override, '=');
    char metric[COMPARE_NAME_MAX];
    size_t n = eq != NULL ? (size_t)(eq - override) : 0;
    if (eq == NULL || n >= sizeof metric) return compare_bad_usage(s, "--tolerance takes METRIC=REL, got %s", override);
    memcpy(metric, override, n);
    metric[n] = '\0';
    int m = compare_metric_index(metric);
    if (m < 0) return compare_bad_usage(s, "--tolerance: unknown metric in %s", override);
    if (compare_parse_tolerance(eq + 1, &s->tolerances[m].relative) != 0)
        return compare_bad_usage(s, "--tolerance: REL must be a non-negative number, got %s", override);
    return 0;
}

/* Built-in defaults, then the file (given, or the default one if it
 * exists), then the command line's overrides. */
static int compare_load_tolerances(compare_state *s) {
    for (size_t i = 0; i < COMPARE_METRIC_COUNT; i++) s->tolerances[i] = compare_metrics[i].fallback;
    const char *path = s->args.tolerances_path;
    struct stat st;
    if (path == NULL && stat(COMPARE_TOLERANCES_DEFAULT, &st) == 0) path = COMPARE_TOLERANCES_DEFAULT;
    if (path == NULL) {
        snprintf(s->tolerances_source, sizeof s->tolerances_source, "built-in defaults (%s not found)",
                 COMPARE_TOLERANCES_DEFAULT);
    } else {
        char err[COMPARE_ERR_MAX + COMPARE_PATH_MAX];
        if (compare_tolerances_read(path, s->tolerances, err, sizeof err) != 0) return compare_fail(s, "%s", err);
        snprintf(s->tolerances_source, sizeof s->tolerances_source, "%s", path);
    }
    for (size_t i = 0; i < s->args.override_count; i++) {
        int rc = compare_apply_override(s, s->args.overrides[i]);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ---- metrics.json ------------------------------------------------------- */

typedef struct compare_reader {
    compare_run *run;
    char err[COMPARE_ERR_MAX];
} compare_reader;

static int compare_reader_fail(compare_reader *r, const json_read_leaf *leaf, const char *format, const char *key) {
    char what[COMPARE_ERR_MAX - 32];
    snprintf(what, sizeof what, format, key);
    snprintf(r->err, sizeof r->err, "line %d: %s", leaf->line, what);
    return 1;
}

/* Copies a string value, with control bytes replaced so that a hostile
 * name cannot drive the terminal. */
static int compare_keep_string(compare_reader *r, const json_read_leaf *leaf, const char *key, char *out, size_t cap,
                               bool *has) {
    if (leaf->kind != JSON_READ_STRING) return compare_reader_fail(r, leaf, "\"%s\" must be a string", key);
    if (leaf->text_len >= cap) return compare_reader_fail(r, leaf, "\"%s\" is too long", key);
    if (*has) return compare_reader_fail(r, leaf, "\"%s\" appears twice", key);
    for (size_t i = 0; i < leaf->text_len; i++) {
        unsigned char c = (unsigned char)leaf->text[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    out[leaf->text_len] = '\0';
    *has = true;
    return 0;
}

static int compare_keep_seed(compare_reader *r, const json_read_leaf *leaf) {
    compare_run *run = r->run;
    if (leaf->kind != JSON_READ_NUMBER) return compare_reader_fail(r, leaf, "\"%s\" must be a number", "seed");
    if (leaf->text_len >= sizeof run->seed) return compare_reader_fail(r, leaf, "\"%s\" is too long", "seed");
    if (run->has_seed) return compare_reader_fail(r, leaf, "\"%s\" appears twice", "seed");
    memcpy(run->seed, leaf->text, leaf->text_len);
    run->seed[leaf->text_len] = '\0';
    run->has_seed = true;
    return 0;
}

static int compare_keep_metric(compare_reader *r, const json_read_leaf *leaf, size_t m) {
    compare_value *v = &r->run->values[m];
    const char *path = compare_metrics[m].path;
    if (leaf->kind != JSON_READ_NUMBER && leaf->kind != JSON_READ_NULL)
        return compare_reader_fail(r, leaf, "\"%s\" must be a number or null", path);
    if (v->present) return compare_reader_fail(r, leaf, "\"%s\" appears twice", path);
    *v = (compare_value){.present = true, .null = leaf->kind == JSON_READ_NULL, .number = leaf->number};
    return 0;
}

static int compare_on_leaf(void *user, const json_read_leaf *leaf) {
    compare_reader *r = user;
    compare_run *run = r->run;
    if (json_read_path_is(leaf, "scenario"))
        return compare_keep_string(r, leaf, "scenario", run->scenario, sizeof run->scenario, &run->has_scenario);
    if (json_read_path_is(leaf, "digest"))
        return compare_keep_string(r, leaf, "digest", run->digest, sizeof run->digest, &run->has_digest);
    if (json_read_path_is(leaf, "seed")) return compare_keep_seed(r, leaf);
    for (size_t m = 0; m < COMPARE_METRIC_COUNT; m++)
        if (json_read_path_is(leaf, compare_metrics[m].path)) return compare_keep_metric(r, leaf, m);
    return 0;
}

/* What every metrics.json has; the optional metrics may be missing. */
static const char *compare_missing_key(const compare_run *run) {
    if (!run->has_scenario) return "scenario";
    if (!run->has_seed) return "seed";
    if (!run->has_digest) return "digest";
    for (size_t m = 0; m < COMPARE_METRIC_COUNT; m++)
        if (!compare_metrics[m].optional && !run->values[m].present) return compare_metrics[m].path;
    return NULL;
}

/* A folder means its metrics.json. */
static int compare_resolve(compare_state *s, const char *input, compare_run *run) {
    struct stat st;
    bool folder = stat(input, &st) == 0 && S_ISDIR(st.st_mode);
    int n = snprintf(run->path, sizeof run->path, folder ? "%s/metrics.json" : "%s", input);
    if (n < 0 || (size_t)n >= sizeof run->path) return compare_fail(s, "%.64s...: path too long", input);
    return 0;
}

static int compare_load_run(compare_state *s, const char *input, compare_run *run) {
    memset(run, 0, sizeof *run);
    int rc = compare_resolve(s, input, run);
    if (rc != 0) return rc;
    char *text;
    size_t len;
    compare_reader reader = {.run = run};
    if (json_read_file(run->path, COMPARE_FILE_MAX, &text, &len, reader.err, sizeof reader.err) != 0)
        return compare_fail(s, "%s: %s", run->path, reader.err);
    rc = json_read_walk(text, len, compare_on_leaf, &reader, reader.err, sizeof reader.err);
    free(text);
    if (rc != 0) return compare_fail(s, "%s: %s", run->path, reader.err);
    const char *missing = compare_missing_key(run);
    if (missing != NULL)
        return compare_fail(s, "%s: no \"%s\" in it (is it a swarmlab metrics.json?)", run->path, missing);
    return 0;
}

/* ---- judging ------------------------------------------------------------ */

/* The largest change allowed: max(absolute, relative * |old|). */
static double compare_limit(const compare_tolerance *t, double old) {
    return fmax(t->absolute, t->relative * fabs(old));
}

static compare_verdict compare_judge(size_t m, const compare_tolerance *t, const compare_value *old_value,
                                     const compare_value *new_value) {
    if (old_value->null && new_value->null) return COMPARE_OK;
    if (old_value->null || new_value->null) return COMPARE_NOT_COMPARED;
    double change = new_value->number - old_value->number;
    if (fabs(change) <= compare_limit(t, old_value->number)) return COMPARE_OK;
    bool better = compare_metrics[m].direction == COMPARE_HIGHER_IS_BETTER ? change > 0 : change < 0;
    return better ? COMPARE_IMPROVED : COMPARE_REGRESSION;
}

/* A row is shown unless an optional metric is in neither run. */
static bool compare_row_shown(const compare_state *s, size_t m) {
    return s->runs[0].values[m].present || s->runs[1].values[m].present;
}

static void compare_judge_all(compare_state *s) {
    for (size_t m = 0; m < COMPARE_METRIC_COUNT; m++) {
        const compare_value *old_value = &s->runs[0].values[m], *new_value = &s->runs[1].values[m];
        if (!compare_row_shown(s, m)) s->verdicts[m] = COMPARE_OK;
        else if (!old_value->present || !new_value->present) s->verdicts[m] = COMPARE_NOT_COMPARED;
        else s->verdicts[m] = compare_judge(m, &s->tolerances[m], old_value, new_value);
    }
}

/* ---- printing ----------------------------------------------------------- */

typedef char compare_cell[COMPARE_CELL_MAX];

static void compare_format_value(compare_cell cell, const compare_value *v) {
    if (!v->present) snprintf(cell, COMPARE_CELL_MAX, "(none)");
    else if (v->null) snprintf(cell, COMPARE_CELL_MAX, "null");
    else snprintf(cell, COMPARE_CELL_MAX, "%.6g", v->number);
}

static const char *compare_verdict_name(compare_verdict v) {
    switch (v) {
    case COMPARE_OK: return "ok";
    case COMPARE_REGRESSION: return "REGRESSION";
    case COMPARE_IMPROVED: return "improved";
    case COMPARE_NOT_COMPARED: return "n/a";
    }
    return "?";
}

static void compare_format_row(const compare_state *s, size_t m, compare_cell *cells) {
    const compare_value *old_value = &s->runs[0].values[m], *new_value = &s->runs[1].values[m];
    bool numbers = old_value->present && new_value->present && !old_value->null && !new_value->null;
    double change = numbers ? new_value->number - old_value->number : 0;
    snprintf(cells[0], COMPARE_CELL_MAX, "%s", compare_metrics[m].path);
    compare_format_value(cells[1], old_value);
    compare_format_value(cells[2], new_value);
    if (numbers) snprintf(cells[3], COMPARE_CELL_MAX, "%+.4g", change);
    else snprintf(cells[3], COMPARE_CELL_MAX, "-");
    if (numbers && old_value->number != 0)
        snprintf(cells[4], COMPARE_CELL_MAX, "%+.1f%%", 100.0 * change / fabs(old_value->number));
    else snprintf(cells[4], COMPARE_CELL_MAX, "-");
    bool has_old = old_value->present && !old_value->null;
    double limit = compare_limit(&s->tolerances[m], has_old ? old_value->number : 0);
    snprintf(cells[5], COMPARE_CELL_MAX, "\xc2\xb1%.4g", limit);
    snprintf(cells[6], COMPARE_CELL_MAX, "%s", compare_verdict_name(s->verdicts[m]));
}

/* Columns are as wide as their widest cell, counted in characters (the
 * tolerance's "±" is two bytes of UTF-8). */
static size_t compare_display_width(const char *text) {
    size_t width = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        if ((*p & 0xc0) != 0x80) width++;
    return width;
}

static void compare_print_cells(FILE *out, compare_cell *cells, const size_t *widths) {
    for (size_t c = 0; c < COMPARE_COLUMNS; c++) {
        size_t pad = widths[c] - compare_display_width(cells[c]);
        bool left = c == 0 || c == COMPARE_COLUMNS - 1; /* text left, numbers right */
        if (!left) fprintf(out, "%*s", (int)pad, "");
        fputs(cells[c], out);
        if (left && c + 1 < COMPARE_COLUMNS) fprintf(out, "%*s", (int)pad, "");
        fputs(c + 1 < COMPARE_COLUMNS ? "  " : "\n", out);
    }
}

static void compare_print_table(const compare_state *s) {
    static const char *const headers[COMPARE_COLUMNS] = {"metric", "old", "new", "change", "change %", "tolerance", "verdict"};
    compare_cell rows[COMPARE_METRIC_COUNT + 1][COMPARE_COLUMNS];
    size_t widths[COMPARE_COLUMNS] = {0};
    size_t count = 0;
    for (size_t c = 0; c < COMPARE_COLUMNS; c++) snprintf(rows[0][c], COMPARE_CELL_MAX, "%s", headers[c]);
    count++;
    for (size_t m = 0; m < COMPARE_METRIC_COUNT; m++)
        if (compare_row_shown(s, m)) compare_format_row(s, m, rows[count++]);
    for (size_t r = 0; r < count; r++)
        for (size_t c = 0; c < COMPARE_COLUMNS; c++) {
            size_t width = compare_display_width(rows[r][c]);
            if (width > widths[c]) widths[c] = width;
        }
    for (size_t r = 0; r < count; r++) compare_print_cells(s->out, rows[r], widths);
}

static void compare_print_header(const compare_state *s) {
    static const char *const labels[2] = {"base", "new "};
    for (size_t i = 0; i < 2; i++)
        fprintf(s->out, "%s  %s, seed %s: %s\n", labels[i], s->runs[i].scenario, s->runs[i].seed, s->runs[i].path);
    fprintf(s->out, "tolerances  %s", s->tolerances_source);
    for (size_t i = 0; i < s->args.override_count; i++) fprintf(s->out, ", --tolerance %s", s->args.overrides[i]);
    fputc('\n', s->out);
    if (strcmp(s->runs[0].scenario, s->runs[1].scenario) != 0)
        fprintf(s->out, "warning: the scenario names differ (\"%s\" and \"%s\"): these may be different experiments\n",
                s->runs[0].scenario, s->runs[1].scenario);
    fputc('\n', s->out);
}

/* Prints "label: a, b" for the metrics with that verdict; returns how many. */
static size_t compare_print_names(const compare_state *s, compare_verdict verdict, const char *label) {
    char names[COMPARE_NAMES_MAX] = "";
    size_t count = 0, used = 0;
    for (size_t m = 0; m < COMPARE_METRIC_COUNT; m++) {
        if (!compare_row_shown(s, m) || s->verdicts[m] != verdict) continue;
        int n = snprintf(names + used, sizeof names - used, "%s%s", count > 0 ? ", " : "", compare_metrics[m].path);
        assert(n > 0 && used + (size_t)n < sizeof names); /* 15 short names fit */
        used += (size_t)n;
        count++;
    }
    if (count > 0) fprintf(s->out, "%s: %s\n", label, names);
    return count;
}

static size_t compare_count(const compare_state *s, compare_verdict verdict) {
    size_t count = 0;
    for (size_t m = 0; m < COMPARE_METRIC_COUNT; m++) count += compare_row_shown(s, m) && s->verdicts[m] == verdict;
    return count;
}

/* The verdict lines; "regressions: ..." comes last. Returns the exit code. */
static int compare_print_summary(const compare_state *s) {
    bool same_digest = strcmp(s->runs[0].digest, s->runs[1].digest) == 0;
    bool moved = compare_count(s, COMPARE_REGRESSION) + compare_count(s, COMPARE_IMPROVED) > 0;
    fputc('\n', s->out);
    if (same_digest && !moved) fprintf(s->out, "identical behaviour (same trace digest)\n");
    else if (same_digest) fprintf(s->out, "same trace digest, yet metrics moved: the metrics code or the files changed, not the behaviour\n");
    else if (!moved) fprintf(s->out, "behaviour differs (digests differ) but no metric moved beyond its tolerance\n");
    else fprintf(s->out, "behaviour differs (digests differ)\n");
    compare_print_names(s, COMPARE_NOT_COMPARED, "not compared (missing or null in one run)");
    compare_print_names(s, COMPARE_IMPROVED, "improved");
    size_t regressions = compare_print_names(s, COMPARE_REGRESSION, "regressions");
    return regressions > 0 ? COMPARE_EXIT_REGRESSION : COMPARE_EXIT_OK;
}

/* ---- the command -------------------------------------------------------- */

static int compare_with_state(compare_state *s, int argc, char **argv) {
    int rc = compare_parse_args(s, argc, argv);
    if (rc != 0) return rc;
    if (s->args.help) {
        compare_usage(s->out);
        return COMPARE_EXIT_OK;
    }
    rc = compare_load_tolerances(s);
    if (rc != 0) return rc;
    for (size_t i = 0; i < 2 && rc == 0; i++) rc = compare_load_run(s, s->args.inputs[i], &s->runs[i]);
    if (rc != 0) return rc;
    compare_judge_all(s);
    compare_print_header(s);
    compare_print_table(s);
    return compare_print_summary(s);
}

int compare_main(int argc, char **argv, FILE *out, FILE *err) {
    assert(argc >= 1);
    assert(out != NULL);
    assert(err != NULL);
    compare_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        fprintf(err, "swarmlab compare: out of memory\n");
        return COMPARE_EXIT_BAD_INPUT;
    }
    s->out = out;
    s->err = err;
    int rc = compare_with_state(s, argc, argv);
    free(s);
    fflush(out);
    return rc;
}

int compare_command(int argc, char **argv) { return compare_main(argc, argv, stdout, stderr); }
