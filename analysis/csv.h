/*
 * csv: the cells of the CSV files swarmlab writes (messages.csv,
 * timeseries.csv, runs.csv, sweep.csv), so that each kind of cell is
 * written one way. The caller writes the commas and line ends.
 */
#ifndef SWARMLAB_CSV_H
#define SWARMLAB_CSV_H

#include <stdio.h>

/* A text cell, quoted (RFC 4180) when it holds a comma, a quote or a line
 * break: "a,b" and "say ""hi""". NULL writes nothing (an empty cell). */
void csv_put_text(FILE *out, const char *text);

/* A real with the fewest digits that read back as the same double
 * (base/json.h's form); empty when it is not finite. */
void csv_put_real(FILE *out, double value);

/* A real with `digits` significant digits (%.*g); empty when it is not
 * finite. */
void csv_put_real_digits(FILE *out, double value, int digits);

/* Closes a file written with these: 0, or -1 with errno set when a write
 * or the close failed. */
int csv_close(FILE *out);

#endif
