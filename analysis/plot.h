/*
 * plot: the plots of a run, drawn by gnuplot from the files a run writes
 * (timeseries.csv, latencies.txt, messages.csv) into PNG and SVG files in
 * the same folder: latency_cdf, delivery, duplicates, bandwidth, online
 * for every run; and for gossipsub runs, when timeseries.csv has the data,
 * mesh (mesh degree mean with its min-max band: some node had a mesh
 * peer), scores (honest peers' score percentiles: some row has scores) and
 * control (control and payload bytes per second, IHAVE and IWANT ids per
 * second: some control bytes were sent). The gnuplot scripts are compiled
 * into plot.c; each run gets its copies as DIR/NAME.gp, so a plot can be
 * tweaked and redrawn by hand.
 *
 * Time windows (offline windows, partitions; attacks later) are shaded on
 * every plot over time. The run writes them to DIR/windows.csv, so that
 * `swarmlab report DIR` redraws them too:
 *
 *     kind,from_s,until_s,label
 *     offline,50,80,offline: 10 nodes
 *
 * kind is a word, the times are seconds of virtual time, the label is the
 * rest of the line (no line breaks). A run without the file has none.
 */
#ifndef SWARMLAB_PLOT_H
#define SWARMLAB_PLOT_H

#include <stddef.h>

#define PLOT_WINDOWS_FILE "windows.csv"
#define PLOT_LOG "plots.log" /* gnuplot's output, in the run's folder */
#define PLOT_SIZE "1000,600"  /* every plot's size in pixels, PNG and SVG */
#define PLOT_WINDOWS_MAX 64 /* 32 offline windows, 16 partitions, room for attacks */
#define PLOT_WINDOW_KIND_MAX 16
#define PLOT_WINDOW_LABEL_MAX 64

/* A time window to shade. */
typedef struct plot_window {
    char kind[PLOT_WINDOW_KIND_MAX];   /* offline, partition, attack... */
    double from_s, until_s;            /* from_s <= until_s */
    char label[PLOT_WINDOW_LABEL_MAX]; /* may be empty */
} plot_window;

/* Writes DIR/windows.csv. 0, or -1 (errno tells why). */
int plot_windows_write(const char *dir, const plot_window *windows, size_t count);
/* Reads DIR/windows.csv into out (at most cap); a missing file gives 0
 * windows. 0 with *count, or -1 with err filled (unreadable, malformed,
 * more than cap). */
int plot_windows_read(const char *dir, plot_window *out, size_t cap, size_t *count, char *err, size_t err_cap);

/* Draws every plot of the run in dir that it has data for, with the
 * windows of DIR/windows.csv shaded. Returns the number of plots drawn, or
 * -1 with err filled (gnuplot missing, files missing or unreadable). */
int plot_run(const char *dir, const char *title, char *err, size_t err_cap);

#endif
