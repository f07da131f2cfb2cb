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
 */
#ifndef SWARMLAB_PLOT_H
#define SWARMLAB_PLOT_H

#include <stddef.h>

/* Draws every plot of the run in dir that it has data for. Returns the
 * number of plots drawn, or -1 with err filled (gnuplot missing, files
 * missing or unreadable). */
int plot_run(const char *dir, const char *title, char *err, size_t err_cap);

#endif
