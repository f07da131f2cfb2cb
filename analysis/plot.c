/*
 * plot: the plots of a run, drawn by gnuplot (see plot.h).
 *
 * The gnuplot scripts are compiled in as string constants below, so the
 * binary needs no file at run time. plot_run() writes each one into the
 * run's folder as NAME.gp, wrapped so that it draws NAME.png and NAME.svg,
 * and runs gnuplot on it with the folder as gnuplot's working directory.
 * The .gp files stay: `cd DIR && gnuplot NAME.gp` redraws a plot by hand,
 * which is the quickest way to tweak one. gnuplot's own messages go to
 * DIR/plots.log, not to the terminal.
 *
 * C draws nothing from the data: gnuplot does. The only facts C looks up
 * are whether the input files exist, whether latencies.txt is empty (a run
 * with no deliveries still gets a latency plot, saying so), and whether
 * timeseries.csv has anything for the gossipsub plots (mesh, scores,
 * control): a floodsub run gets none of them rather than three empty ones.
 * The latency-by-region plot is drawn when the run wrote its input, which
 * it does only for a scenario with regions (network.regions or .graph).
 */
#include "plot.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnuplot.h"

#define PLOT_PATH_MAX 4096
#define PLOT_CDF_STEPS "2000"
#define PLOT_CSV_LINE_MAX 4096 /* timeseries.csv rows are a few hundred bytes */
#define PLOT_TIMESERIES "timeseries.csv"

/* ---- the scripts ------------------------------------------------------ */

/* Time plots share this x axis: the whole run, even when a column has no
 * value at all (gnuplot refuses to autoscale an empty plot). */
#define PLOT_TIME_AXIS                                                          \
    "stats 'timeseries.csv' using 'time_s' name 'time' nooutput\n"             \
    "set xrange [0:(time_max > 0 ? time_max : 1)]\n"                            \
    "set xlabel 'time (s)'\n"

/* An empty plot says why, instead of gnuplot failing to autoscale it. */
#define PLOT_EMPTY_IF(condition, text)                                          \
    "if (" condition ") {\n"                                                    \
    "  set yrange [0:1]\n"                                                      \
    "  set label 1 '" text "' at graph 0.5, graph 0.5 center\n"                 \
    "}\n"

static const char plot_latency_cdf[] =
    "set title run_title . ': latency CDF'\n"
    "set xlabel 'latency, publish to first delivery (ms)'\n"
    "set ylabel 'fraction of deliveries'\n"
    "set key bottom right\n"
    "if (has_data) {\n"
    "  stats 'latencies.txt' using 1 name 'latency' nooutput\n" /* before any range is set */
    "  set xrange [0:*]\n"
    "  set yrange [0:1]\n"
    /* At most about PLOT_CDF_STEPS steps: the curve looks the same and the
     * SVG stays small however many deliveries there were. */
    "  step = latency_records > 2 * " PLOT_CDF_STEPS " ? int(latency_records / " PLOT_CDF_STEPS ") : 1\n"
    "  plot 'latencies.txt' every step using 1:(($0 * step + 1) / latency_records) with steps linewidth 2 "
    "title 'deliveries'\n"
    "} else {\n"
    "  set label 1 'no deliveries' at graph 0.5, graph 0.5 center\n"
    "  set xrange [0:1]\n"
    "  set yrange [0:1]\n"
    "  plot NaN notitle\n"
    "}\n";

static const char plot_delivery[] =
    "set title run_title . ': delivery ratio by publish time'\n"
    PLOT_TIME_AXIS
    "set ylabel 'delivered within the deadline / eligible'\n"
    "set yrange [0:1.05]\n"
    "set key bottom right\n"
    "plot 'timeseries.csv' using 'time_s':'delivery_ratio' with linespoints pointtype 7 "
    "pointsize 0.6 linewidth 2 title 'messages published in the interval'\n";

static const char plot_duplicates[] =
    "set title run_title . ': duplicates'\n"
    PLOT_TIME_AXIS
    "set ylabel 'duplicates per delivery'\n"
    "set yrange [0:*]\n"
    "stats 'timeseries.csv' using 'deliveries' name 'deliveries' nooutput\n"
    PLOT_EMPTY_IF("deliveries_max == 0", "no deliveries")
    "set key top right\n"
    "plot 'timeseries.csv' using 'time_s':(column('deliveries') > 0 ? "
    "column('duplicates') / column('deliveries') : NaN) with linespoints pointtype 7 "
    "pointsize 0.6 linewidth 2 title 'duplicates / deliveries in the interval'\n";

static const char plot_bandwidth[] =
    "set title run_title . ': bandwidth'\n"
    PLOT_TIME_AXIS
    "set ylabel 'sent per online node (KiB/s)'\n"
    "set yrange [0:*]\n"
    "stats 'timeseries.csv' using 'online_nodes' name 'online' nooutput\n"
    PLOT_EMPTY_IF("online_max == 0", "no node online")
    "set key top right\n"
    "previous_s = 0\n"
    "plot 'timeseries.csv' using 'time_s':(interval_s = column('time_s') - previous_s, "
    "previous_s = column('time_s'), interval_s > 0 && column('online_nodes') > 0 ? "
    "column('bytes_sent') / interval_s / column('online_nodes') / 1024 : NaN) "
    "with linespoints pointtype 7 pointsize 0.6 linewidth 2 title 'RPC bytes sent'\n";

static const char plot_online[] =
    "set title run_title . ': online nodes and mesh'\n"
    PLOT_TIME_AXIS
    "set ylabel 'online honest nodes'\n"
    "set y2label 'mean mesh degree (peers)'\n"
    "set yrange [0:*]\n"
    "set y2range [0:*]\n"
    "set ytics nomirror\n"
    "set y2tics\n"
    "set key bottom right\n"
    "plot 'timeseries.csv' using 'time_s':'online_nodes' with steps linewidth 2 title 'online nodes', "
    "'' using 'time_s':'mesh_degree_mean' axes x1y2 with lines linewidth 2 title 'mean mesh degree'\n";

/* A band between two columns, drawn first so that lines stay on top. */
#define PLOT_BAND(low, high, colour, title)                                     \
    "'timeseries.csv' using 'time_s':'" low "':'" high "' with filledcurves "   \
    "fillcolor rgb '" colour "' fillstyle solid 1.0 noborder title '" title "'"

static const char plot_mesh[] =
    "set title run_title . ': mesh degree of subscribed nodes'\n"
    PLOT_TIME_AXIS
    "set ylabel 'mesh peers per node, all topics'\n"
    "set yrange [0:*]\n"
    "set key bottom right\n"
    "plot " PLOT_BAND("mesh_degree_min", "mesh_degree_max", "#c6dbef", "min to max") ", "
    "'' using 'time_s':'mesh_degree_mean_subscribed' with lines linewidth 2 title 'mean'\n";

/* Nodes sample scores less often than rows go by: empty cells are
 * skipped and the lines join the samples. */
static const char plot_scores[] =
    "set title run_title . ': scores of honest peers, by honest nodes'\n"
    PLOT_TIME_AXIS
    "set ylabel 'peer score'\n"
    "set key bottom right\n"
    "plot " PLOT_BAND("score_p10", "score_p90", "#d9ead3", "p10 to p90") ", "
    "'' using 'time_s':'score_p10' with linespoints pointtype 7 pointsize 0.4 linewidth 1 title 'p10', "
    "'' using 'time_s':'score_p50' with linespoints pointtype 7 pointsize 0.6 linewidth 2 title 'median', "
    "'' using 'time_s':'score_p90' with linespoints pointtype 7 pointsize 0.4 linewidth 1 title 'p90', "
    "'' using 'time_s':'score_min' with linespoints pointtype 6 pointsize 0.6 linewidth 1 dashtype 2 "
    "title 'min'\n";

/* Per-second rates of a counter column: each row's count over its length
 * (the last row may be shorter). previous_s is reset before each curve.
 * Bytes go on a log axis, where control and payload can differ by orders
 * of magnitude; zero rates are left out there, as log 0 is not drawn. */
static const char plot_control[] =
    "set title run_title . ': control traffic, sent by honest nodes'\n"
    PLOT_TIME_AXIS
    "rate(name) = (interval_s = column('time_s') - previous_s, previous_s = column('time_s'), "
    "interval_s > 0 ? column(name) / interval_s : NaN)\n"
    "positive(value) = value > 0 ? value : NaN\n"
    "set ylabel 'bytes per second'\n"
    "set logscale y\n"
    "set y2label 'message ids per second'\n"
    "set y2range [0:*]\n"
    "set ytics nomirror\n"
    "set y2tics\n"
    "set key below horizontal\n" /* four curves over two axes: inside, the key hides some */
    "plot previous_s = 0, 'timeseries.csv' using 'time_s':(positive(rate('control_bytes'))) "
    "with lines linewidth 2 title 'control bytes', "
    "previous_s = 0, '' using 'time_s':(positive(rate('payload_bytes_sent'))) "
    "with lines linewidth 2 title 'payload bytes', "
    "previous_s = 0, '' using 'time_s':(rate('ihave_ids')) axes x1y2 with lines linewidth 2 dashtype 2 "
    "title 'IHAVE ids (right)', "
    "previous_s = 0, '' using 'time_s':(rate('iwant_ids')) axes x1y2 with lines linewidth 2 dashtype 3 "
    "title 'IWANT ids (right)'\n";

/* What a plot needs to be worth drawing. */
/* The latency-by-region plot's input: written only when the scenario has
 * regions (or a graph), so its absence is no error. */
#define PLOT_REGIONS "latency_by_region.csv"
/* workload.data's gets by issue time (metrics_data.h): a run with the key
 * has data.csv. */
#define PLOT_DATA "data.csv"
static const char plot_availability[] =
    "set title run_title . ': availability of the data (workload.data)'\n"
    PLOT_TIME_AXIS
    "set ylabel 'gets answered within the deadline / gets'\n"
    "set yrange [0:1.05]\n"
    "set key bottom right\n"
    /* Churn has no windows to shade: the honest nodes online are its trace. */
    "set y2label 'online nodes'\nset y2range [0:*]\nset y2tics\nset ytics nomirror\n"
    "plot 'timeseries.csv' using 'time_s':'online_nodes' axes x1y2 with filledcurves x1 "
    "fillcolor rgb '#e8e8e8' fillstyle solid 0.6 title 'online nodes (right)', "
    "'data.csv' using 'time_s':'availability' with linespoints pointtype 7 "
    "pointsize 0.6 linewidth 2 title 'gets issued in the interval'\n";

static const char plot_latency_by_region[] =
    "set title run_title . ': latency by the receiving node region'\n"
    "set ylabel 'latency, publish to first delivery (ms)'\n"
    "set xlabel 'region of the receiver'\n"
    "stats 'latency_by_region.csv' using 'deliveries' name 'deliveries' nooutput\n"
    "if (deliveries_max == 0) {\n"
    "  set label 1 'no deliveries' at graph 0.5, graph 0.5 center\n"
    "  set xrange [0:1]\n"
    "  set yrange [0:1]\n"
    "  plot NaN notitle\n"
    "} else {\n"
    "  set style data histograms\n"
    "  set style histogram clustered gap 1\n"
    "  set style fill solid 0.8 border -1\n"
    "  set boxwidth 0.9\n"
    "  set yrange [0:*]\n"
    "  set xtics rotate by -30 nomirror\n"
    "  set key top left\n"
    "  plot 'latency_by_region.csv' using 'p50_ms':xtic(1) title 'p50', '' using 'p90_ms' title 'p90', "
    "'' using 'p99_ms' title 'p99'\n"
    "}\n";

typedef enum plot_needs { PLOT_ALWAYS, PLOT_IF_MESH, PLOT_IF_SCORES, PLOT_IF_CONTROL, PLOT_IF_REGIONS, PLOT_IF_DATA } plot_needs;

typedef struct plot_spec {
    const char *name;
    const char *input; /* the file it reads, in the run's folder */
    const char *script;
    bool time_axis;    /* shaded windows apply */
    plot_needs needs;
} plot_spec;

static const plot_spec plot_specs[] = {
    {"latency_cdf", "latencies.txt", plot_latency_cdf, false, PLOT_ALWAYS},
    {"delivery", PLOT_TIMESERIES, plot_delivery, true, PLOT_ALWAYS},
    {"duplicates", PLOT_TIMESERIES, plot_duplicates, true, PLOT_ALWAYS},
    {"bandwidth", PLOT_TIMESERIES, plot_bandwidth, true, PLOT_ALWAYS},
    {"online", PLOT_TIMESERIES, plot_online, true, PLOT_ALWAYS},
    {"mesh", PLOT_TIMESERIES, plot_mesh, true, PLOT_IF_MESH},
    {"scores", PLOT_TIMESERIES, plot_scores, true, PLOT_IF_SCORES},
    {"control", PLOT_TIMESERIES, plot_control, true, PLOT_IF_CONTROL},
    {"latency_by_region", PLOT_REGIONS, plot_latency_by_region, false, PLOT_IF_REGIONS},
    {"availability", PLOT_DATA, plot_availability, true, PLOT_IF_DATA},
};

/* What the run has to plot, found in its files. */
typedef struct plot_data {
    bool has_latencies; /* latencies.txt is not empty */
    bool has_mesh;      /* some mesh_degree_max cell is above 0 */
    bool has_scores;    /* some score_p50 cell has a value */
    bool has_control;   /* some control_bytes cell is above 0 */
    bool has_regions;   /* latency_by_region.csv exists */
    bool has_data;      /* data.csv exists (workload.data) */
} plot_data;
#define PLOT_COUNT (sizeof plot_specs / sizeof plot_specs[0])

/* Time windows to shade on the time plots (DIR/windows.csv). */
typedef struct plot_options {
    const plot_window *windows;
    size_t window_count;
} plot_options;

/* ---- writing a script ------------------------------------------------- */

/* A shade per kind, so that overlapping windows of two kinds stay apart. */
static const char *plot_window_colour(const char *kind) {
    if (strcmp(kind, "partition") == 0) return "#f4d6d6";
    if (strcmp(kind, "attack") == 0) return "#f8e3c4";
    return "#e8e8e8";
}

/* Labels step down the plot so that neighbouring windows' labels do not
 * print over each other. */
static void plot_put_windows(FILE *out, const plot_options *options) {
    for (size_t i = 0; i < options->window_count; i++) {
        const plot_window *w = &options->windows[i];
        assert(w->until_s >= w->from_s);
        fprintf(out, "set object %zu rect from first %.9g, graph 0 to first %.9g, graph 1 behind "
                     "fillcolor rgb '%s' fillstyle transparent solid 0.6 noborder\n",
                i + 1, w->from_s, w->until_s, plot_window_colour(w->kind));
        if (w->label[0] == '\0') continue;
        fprintf(out, "set label %zu ", i + 100);
        gnuplot_put_quoted(out, w->label);
        fprintf(out, " at first %.9g, graph %.2f left front\n", w->from_s, 0.97 - 0.04 * (double)(i % 4));
    }
}

/* The body is written once per terminal rather than replotted, so that
 * the state a script keeps (the bandwidth plot's previous row) starts
 * afresh for each output. */
static void plot_put_output(FILE *out, const plot_spec *spec, const plot_options *options, bool svg) {
    fputs("reset\n", out); /* ranges and labels of the previous pass go; variables stay */
    gnuplot_put_terminal(out, PLOT_SIZE, svg);
    fprintf(out, "set output '%s.%s'\n", spec->name, svg ? "svg" : "png");
    fputs("set datafile separator ','\nset grid\n", out);
    if (spec->time_axis) plot_put_windows(out, options);
    fputs(spec->script, out);
    fputs("set output\n", out);
}

static int plot_write_script(const char *path, const plot_spec *spec, const char *title, bool has_data,
                             const plot_options *options) {
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    fprintf(out, "# %s.gp: written by swarmlab. Redraw with: gnuplot %s.gp (in this folder)\n", spec->name,
            spec->name);
    fputs("run_title = ", out);
    gnuplot_put_quoted(out, title);
    fprintf(out, "\nhas_data = %d\n", has_data ? 1 : 0);
    plot_put_output(out, spec, options, false);
    plot_put_output(out, spec, options, true);
    bool failed = ferror(out) != 0;
    if (fclose(out) != 0 || failed) return -1;
    return 0;
}

/* ---- plot_run --------------------------------------------------------- */

static bool plot_path(char *out, size_t cap, const char *dir, const char *name, const char *suffix) {
    int n = snprintf(out, cap, "%s/%s%s", dir, name, suffix);
    return n > 0 && (size_t)n < cap;
}

/* ---- what the run has ------------------------------------------------ */

/* The index of column name in a CSV header line, or -1. */
static int plot_csv_column(const char *header, const char *name) {
    size_t name_len = strlen(name);
    int index = 0;
    for (const char *cell = header;; index++) {
        size_t len = strcspn(cell, ",\r\n");
        if (len == name_len && memcmp(cell, name, len) == 0) return index;
        if (cell[len] != ',') return -1;
        cell += len + 1;
    }
}

/* The value of cell index of a row: 1 and *value when it holds a number,
 * 0 when it is empty or missing. */
static int plot_csv_value(const char *row, int index, double *value) {
    if (index < 0) return 0;
    const char *cell = row;
    for (int i = 0; i < index; i++) {
        cell = strchr(cell, ',');
        if (cell == NULL) return 0;
        cell++;
    }
    char *end;
    *value = strtod(cell, &end);
    return end != cell;
}

/* Reads the gossipsub columns of timeseries.csv. A file written before
 * they existed has none of them: then there is nothing to add. */
static int plot_scan_timeseries(const char *path, plot_data *data, char *err, size_t err_cap) {
    FILE *in = fopen(path, "r");
    char line[PLOT_CSV_LINE_MAX];
    if (in == NULL || fgets(line, sizeof line, in) == NULL) {
        snprintf(err, err_cap, "%s: %s", path, in == NULL ? strerror(errno) : "no header");
        if (in != NULL) fclose(in);
        return -1;
    }
    int mesh = plot_csv_column(line, "mesh_degree_max"), scores = plot_csv_column(line, "score_p50");
    int control = plot_csv_column(line, "control_bytes");
    double value;
    for (unsigned long number = 2; fgets(line, sizeof line, in) != NULL; number++) {
        if (strchr(line, '\n') == NULL && !feof(in)) {
            snprintf(err, err_cap, "%s:%lu: line too long", path, number);
            fclose(in);
            return -1;
        }
        data->has_mesh |= plot_csv_value(line, mesh, &value) && value > 0;
        data->has_scores |= plot_csv_value(line, scores, &value) == 1;
        data->has_control |= plot_csv_value(line, control, &value) && value > 0;
    }
    bool failed = ferror(in) != 0;
    fclose(in);
    if (failed) snprintf(err, err_cap, "%s: read error", path);
    return failed ? -1 : 0;
}

/* Both inputs must exist; data says what they hold. */
static int plot_check_inputs(const char *dir, plot_data *data, char *err, size_t err_cap) {
    char path[PLOT_PATH_MAX];
    for (size_t i = 0; i < PLOT_COUNT; i++) {
        struct stat st;
        if (!plot_path(path, sizeof path, dir, plot_specs[i].input, "")) {
            snprintf(err, err_cap, "%s: path too long", dir);
            return -1;
        }
        bool optional = plot_specs[i].needs == PLOT_IF_REGIONS || plot_specs[i].needs == PLOT_IF_DATA;
        if (plot_specs[i].needs == PLOT_IF_REGIONS) data->has_regions = stat(path, &st) == 0;
        if (plot_specs[i].needs == PLOT_IF_DATA) data->has_data = stat(path, &st) == 0;
        if (!optional && stat(path, &st) != 0) {
            snprintf(err, err_cap, "%s: %s", path, strerror(errno));
            return -1;
        }
        if (plot_specs[i].script == plot_latency_cdf) data->has_latencies = st.st_size > 0;
    }
    if (!plot_path(path, sizeof path, dir, PLOT_TIMESERIES, "")) return -1; /* checked in the loop */
    return plot_scan_timeseries(path, data, err, err_cap);
}

static bool plot_wanted(const plot_spec *spec, const plot_data *data) {
    switch (spec->needs) {
    case PLOT_ALWAYS: return true;
    case PLOT_IF_MESH: return data->has_mesh;
    case PLOT_IF_SCORES: return data->has_scores;
    case PLOT_IF_CONTROL: return data->has_control;
    case PLOT_IF_REGIONS: return data->has_regions;
    case PLOT_IF_DATA: return data->has_data;
    }
    assert(0 && "a plot_needs without a case");
    return false;
}

static int plot_one(const char *dir, const plot_spec *spec, const char *title, bool has_data,
                    const plot_options *options, const char *log_path, char *err, size_t err_cap) {
    char script[PLOT_PATH_MAX], script_name[PLOT_PATH_MAX];
    if (!plot_path(script, sizeof script, dir, spec->name, ".gp") ||
        snprintf(script_name, sizeof script_name, "%s.gp", spec->name) < 0) {
        snprintf(err, err_cap, "%s: path too long", dir);
        return -1;
    }
    if (plot_write_script(script, spec, title, has_data, options) != 0) {
        snprintf(err, err_cap, "%s: %s", script, strerror(errno));
        return -1;
    }
    int status = gnuplot_run(dir, script_name, log_path, 0);
    if (status == 0) return 0;
    if (status < 0) snprintf(err, err_cap, "%s: cannot run gnuplot", spec->name);
    else snprintf(err, err_cap, "gnuplot failed on %s (exit %d), see %s", script, status, log_path);
    return -1;
}

static int plot_run_with(const char *dir, const char *title, const plot_options *options, char *err,
                         size_t err_cap) {
    plot_data data = {.has_latencies = false, .has_mesh = false, .has_scores = false, .has_control = false,
                      .has_regions = false, .has_data = false};
    if (!gnuplot_found()) {
        snprintf(err, err_cap, "gnuplot not found on PATH: install it (Debian: gnuplot-nox) to draw plots");
        return -1;
    }
    if (plot_check_inputs(dir, &data, err, err_cap) != 0) return -1;
    char log_path[PLOT_PATH_MAX];
    FILE *log = plot_path(log_path, sizeof log_path, dir, PLOT_LOG, "") ? fopen(log_path, "w") : NULL;
    if (log == NULL || fclose(log) != 0) {
        snprintf(err, err_cap, "%s/%s: cannot write", dir, PLOT_LOG);
        return -1;
    }
    int drawn = 0;
    bool failed = false;
    for (size_t i = 0; i < PLOT_COUNT; i++) {
        const plot_spec *spec = &plot_specs[i];
        if (!plot_wanted(spec, &data)) continue;
        bool has_data = spec->script != plot_latency_cdf || data.has_latencies;
        /* A failed plot does not stop the others; the first error is kept. */
        if (plot_one(dir, spec, title, has_data, options, log_path, failed ? NULL : err, failed ? 0 : err_cap) == 0)
            drawn++;
        else
            failed = true;
    }
    return failed ? -1 : drawn;
}

/* ---- windows.csv ------------------------------------------------------ */

#define PLOT_WINDOWS_HEADER "kind,from_s,until_s,label"

int plot_windows_write(const char *dir, const plot_window *windows, size_t count) {
    char path[PLOT_PATH_MAX];
    if (!plot_path(path, sizeof path, dir, PLOT_WINDOWS_FILE, "")) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    fputs(PLOT_WINDOWS_HEADER "\n", out);
    for (size_t i = 0; i < count; i++) {
        const plot_window *w = &windows[i];
        assert(w->from_s <= w->until_s);
        assert(strchr(w->kind, ',') == NULL && strchr(w->label, '\n') == NULL);
        fprintf(out, "%s,%.9g,%.9g,%s\n", w->kind, w->from_s, w->until_s, w->label);
    }
    bool failed = ferror(out) != 0;
    if (fclose(out) != 0 || failed) return -1;
    return 0;
}

/* One row: kind,from_s,until_s,label (the label may hold commas). */
static int plot_window_parse(char *line, plot_window *w) {
    line[strcspn(line, "\r\n")] = '\0';
    char *comma = strchr(line, ',');
    size_t kind_len = comma == NULL ? 0 : (size_t)(comma - line);
    if (kind_len == 0 || kind_len >= sizeof w->kind) return -1;
    memcpy(w->kind, line, kind_len);
    w->kind[kind_len] = '\0';
    char *end;
    w->from_s = strtod(comma + 1, &end);
    if (*end != ',') return -1;
    w->until_s = strtod(end + 1, &end);
    if (*end != ',' || !(w->from_s <= w->until_s) || !(w->from_s >= 0)) return -1;
    snprintf(w->label, sizeof w->label, "%s", end + 1);
    return 0;
}

int plot_windows_read(const char *dir, plot_window *out, size_t cap, size_t *count, char *err, size_t err_cap) {
    char path[PLOT_PATH_MAX], line[PLOT_CSV_LINE_MAX];
    *count = 0;
    if (!plot_path(path, sizeof path, dir, PLOT_WINDOWS_FILE, "")) {
        snprintf(err, err_cap, "%s: path too long", dir);
        return -1;
    }
    FILE *in = fopen(path, "r");
    if (in == NULL && errno == ENOENT) return 0; /* a run from before windows, or none to shade */
    if (in == NULL) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (fgets(line, sizeof line, in) == NULL || strncmp(line, PLOT_WINDOWS_HEADER, strlen(PLOT_WINDOWS_HEADER)) != 0) {
        snprintf(err, err_cap, "%s: expected the header %s", path, PLOT_WINDOWS_HEADER);
        rc = -1;
    }
    for (unsigned long number = 2; rc == 0 && fgets(line, sizeof line, in) != NULL; number++) {
        if (*count == cap) {
            snprintf(err, err_cap, "%s: more than %zu windows", path, cap);
            rc = -1;
        } else if (plot_window_parse(line, &out[*count]) != 0) {
            snprintf(err, err_cap, "%s:%lu: expected kind,from_s,until_s,label with from_s <= until_s", path, number);
            rc = -1;
        } else {
            (*count)++;
        }
    }
    fclose(in);
    return rc;
}

int plot_run(const char *dir, const char *title, char *err, size_t err_cap) {
    assert(dir != NULL);
    assert(err != NULL && err_cap > 0);
    plot_window windows[PLOT_WINDOWS_MAX];
    plot_options options = {.windows = windows, .window_count = 0};
    if (plot_windows_read(dir, windows, PLOT_WINDOWS_MAX, &options.window_count, err, err_cap) != 0) return -1;
    return plot_run_with(dir, title != NULL ? title : "swarmlab run", &options, err, err_cap);
}
