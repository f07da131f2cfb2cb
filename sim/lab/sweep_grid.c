/*
 * sweep_grid: the parameter grid of a sweep (its combinations, their run
 * names) and the statistics of a combination's seeds (see sweep.h).
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

