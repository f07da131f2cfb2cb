/*
 * scenario_values: single values of the scenario format (durations, sizes,
 * bandwidths, rates, plain numbers, booleans, node selectors) parsed from
 * text, and the distributions: their parameters, samples and means.
 *
 * Every parser fills `why` with the "what is wrong" half of an error, so the
 * loader only adds where it happened. Quantities are a decimal number and a
 * unit ("40ms", "1.5s", "20 Mbps"); exponents, hex and signs other than a
 * leading minus (refused as negative) are not accepted, so what a scenario
 * says is what it means.
 */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time_units.h"
#include "scenario_internal.h"

/* Error messages quote at most this much of the offending text. */
#define VALUE_QUOTE_MAX 48
#define SIZE_MAX_BYTES 9007199254740992.0 /* 2^53: exact in a double */
#define BANDWIDTH_MAX_BPS 1e12
#define RATE_MAX_PER_S 1e9

typedef struct value_unit {
    const char *name;
    double factor;
} value_unit;

typedef struct quantity {
    const char *what;    /* "duration" */
    const char *example; /* "40ms" */
    const char *unit_list;
    const value_unit *units;
    size_t unit_count;
    double max; /* in base units */
} quantity;

static const value_unit duration_units[] = {
    {"ns", 1.0}, {"us", NS_PER_US}, {"ms", NS_PER_MS}, {"s", NS_PER_S}, {"min", 60 * NS_PER_S}, {"h", 3600 * NS_PER_S},
};
static const value_unit size_units[] = {
    {"B", 1.0}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
};
static const value_unit bandwidth_units[] = {
    {"bps", 1.0}, {"Kbps", 1e3}, {"kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9},
};
static const value_unit rate_units[] = {
    {"/s", 1.0}, {"/min", 1.0 / 60.0}, {"/h", 1.0 / 3600.0},
};

static const quantity duration_quantity = {"duration", "40ms", "ns, us, ms, s, min, h", duration_units,
                                           sizeof duration_units / sizeof duration_units[0],
                                           (double)SCN_DURATION_MAX_NS};
static const quantity size_quantity = {"size", "1KiB", "B, KiB, MiB, GiB", size_units,
                                       sizeof size_units / sizeof size_units[0], SIZE_MAX_BYTES};
static const quantity bandwidth_quantity = {"bandwidth", "20Mbps", "bps, Kbps, Mbps, Gbps", bandwidth_units,
                                            sizeof bandwidth_units / sizeof bandwidth_units[0],
                                            BANDWIDTH_MAX_BPS};
static const quantity rate_quantity = {"rate", "2/s", "/s, /min, /h", rate_units,
                                       sizeof rate_units / sizeof rate_units[0], RATE_MAX_PER_S};

/* ---- helpers ------------------------------------------------------------- */

static int why_set(char *why, size_t why_cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why_set(char *why, size_t why_cap, const char *fmt, ...) {
    if (why != NULL && why_cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The text as an error quotes it: cut short, control characters hidden. */
static const char *quoted(const char *text, char out[VALUE_QUOTE_MAX + 4]) {
    size_t n = 0;
    for (; text[n] != '\0' && n < VALUE_QUOTE_MAX; n++) out[n] = iscntrl((unsigned char)text[n]) ? '?' : text[n];
    if (text[n] != '\0') {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

static const char *skip_spaces(const char *p) {
    while (*p == ' ') p++;
    return p;
}

/* Length of a decimal "digits[.digits]" at p, or 0 if p holds none. */
static size_t decimal_length(const char *p) {
    size_t n = 0;
    while (isdigit((unsigned char)p[n])) n++;
    if (n == 0) return 0;
    if (p[n] == '.') {
        size_t f = 1;
        while (isdigit((unsigned char)p[n + f])) f++;
        if (f == 1) return 0;
        n += f;
    }
    return n;
}

/* ---- quantities: a number and a unit -------------------------------------- */

typedef enum quantity_status { Q_OK, Q_NOT_NUMBER, Q_NEGATIVE, Q_NO_UNIT, Q_BAD_UNIT, Q_TOO_LARGE } quantity_status;

static quantity_status quantity_scan(const quantity *q, const char *text, double *out, char unit[16]) {
    const char *p = skip_spaces(text);
    if (*p == '-' && isdigit((unsigned char)p[1])) return Q_NEGATIVE;
    size_t n = decimal_length(p);
    if (n == 0) return Q_NOT_NUMBER;
    double number = strtod(p, NULL);
    const char *u = skip_spaces(p + n);
    size_t unit_len = strlen(u);
    while (unit_len > 0 && u[unit_len - 1] == ' ') unit_len--;
    if (unit_len == 0) return Q_NO_UNIT;
    snprintf(unit, 16, "%.*s", (int)(unit_len < 15 ? unit_len : 15), u);
    for (size_t i = 0; i < q->unit_count; i++) {
        if (strlen(q->units[i].name) != unit_len || memcmp(q->units[i].name, u, unit_len) != 0) continue;
        double value = number * q->units[i].factor;
        if (!(value <= q->max)) return Q_TOO_LARGE;
        *out = value;
        return Q_OK;
    }
    return Q_BAD_UNIT;
}

static int quantity_parse(const quantity *q, const char *text, double *out, char *why, size_t why_cap) {
    assert(q != NULL);
    assert(text != NULL);
    char unit[16] = "";
    char shown[VALUE_QUOTE_MAX + 4];
    switch (quantity_scan(q, text, out, unit)) {
    case Q_OK: return 0;
    case Q_NEGATIVE:
        return why_set(why, why_cap, "a %s cannot be negative, got \"%s\"", q->what, quoted(text, shown));
    case Q_NO_UNIT:
        return why_set(why, why_cap, "expected a %s with a unit (%s), got \"%s\"", q->what, q->unit_list,
                       quoted(text, shown));
    case Q_BAD_UNIT:
        return why_set(why, why_cap, "unknown unit \"%s\" in \"%s\": a %s takes %s", unit, quoted(text, shown),
                       q->what, q->unit_list);
    case Q_TOO_LARGE: return why_set(why, why_cap, "%s \"%s\" is too large", q->what, quoted(text, shown));
    case Q_NOT_NUMBER: break;
    }
    return why_set(why, why_cap, "expected a %s like %s (units: %s), got \"%s\"", q->what, q->example, q->unit_list,
                   quoted(text, shown));
}

int scn_value_duration(const char *text, uint64_t *ns, char *why, size_t why_cap) {
    double value;
    if (quantity_parse(&duration_quantity, text, &value, why, why_cap) < 0) return -1;
    uint64_t rounded = (uint64_t)(value + 0.5);
    if (rounded > SCN_DURATION_MAX_NS) {
        char shown[VALUE_QUOTE_MAX + 4];
        return why_set(why, why_cap, "duration \"%s\" is too large", quoted(text, shown));
    }
    *ns = rounded;
    return 0;
}

int scn_value_size(const char *text, uint64_t *bytes, char *why, size_t why_cap) {
    double value;
    if (quantity_parse(&size_quantity, text, &value, why, why_cap) < 0) return -1;
    if (value != floor(value)) {
        char shown[VALUE_QUOTE_MAX + 4];
        return why_set(why, why_cap, "size \"%s\" is not a whole number of bytes", quoted(text, shown));
    }
    *bytes = (uint64_t)value;
    return 0;
}

int scn_value_bandwidth(const char *text, uint64_t *bps, char *why, size_t why_cap) {
    if (strcmp(text, "unlimited") == 0) {
        *bps = 0;
        return 0;
    }
    double value;
    if (quantity_parse(&bandwidth_quantity, text, &value, why, why_cap) < 0) return -1;
    *bps = (uint64_t)(value + 0.5);
    return 0;
}

int scn_value_rate(const char *text, double *per_s, char *why, size_t why_cap) {
    return quantity_parse(&rate_quantity, text, per_s, why, why_cap);
}

/* ---- plain numbers and booleans ------------------------------------------ */

int scn_value_u64(const char *text, uint64_t *out, char *why, size_t why_cap) {
    char shown[VALUE_QUOTE_MAX + 4];
    const char *p = text;
    if (*p == '+') p++;
    if (!isdigit((unsigned char)*p))
        return why_set(why, why_cap, "expected a whole number of 0 or more, got \"%s\"", quoted(text, shown));
    uint64_t value = 0;
    for (; isdigit((unsigned char)*p); p++) {
        uint64_t digit = (uint64_t)(*p - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return why_set(why, why_cap, "number \"%s\" is too large", quoted(text, shown));
        value = value * 10 + digit;
    }
    if (*p != '\0') return why_set(why, why_cap, "expected a whole number, got \"%s\"", quoted(text, shown));
    *out = value;
    return 0;
}

int scn_value_int(const char *text, int64_t *out, char *why, size_t why_cap) {
    bool negative = text[0] == '-';
    uint64_t magnitude;
    char shown[VALUE_QUOTE_MAX + 4];
    if (scn_value_u64(text + (negative ? 1 : 0), &magnitude, NULL, 0) < 0)
        return why_set(why, why_cap, "expected a whole number, got \"%s\"", quoted(text, shown));
    if (magnitude > (uint64_t)INT64_MAX)
        return why_set(why, why_cap, "number \"%s\" is too large", quoted(text, shown));
    *out = negative ? -(int64_t)magnitude : (int64_t)magnitude;
    return 0;
}

int scn_value_number(const char *text, double *out, char *why, size_t why_cap) {
    char shown[VALUE_QUOTE_MAX + 4];
    /* Only decimal notation: strtod alone would take "inf", "nan" and hex. */
    size_t digits = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (isdigit((unsigned char)*p)) digits++;
        else if (strchr("+-.eE", *p) == NULL) return why_set(why, why_cap, "expected a number, got \"%s\"", quoted(text, shown));
    }
    char *end = NULL;
    double value = digits > 0 ? strtod(text, &end) : 0.0;
    if (digits == 0 || end == text || *end != '\0' || !isfinite(value))
        return why_set(why, why_cap, "expected a number, got \"%s\"", quoted(text, shown));
    *out = value;
    return 0;
}

int scn_value_bool(const char *text, bool *out, char *why, size_t why_cap) {
    /* The YAML 1.2 core schema's booleans; "yes" and "on" are strings there. */
    static const char *const truths[] = {"true", "True", "TRUE"};
    static const char *const lies[] = {"false", "False", "FALSE"};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(text, truths[i]) == 0 || strcmp(text, lies[i]) == 0) {
            *out = strcmp(text, truths[i]) == 0;
            return 0;
        }
    }
    char shown[VALUE_QUOTE_MAX + 4];
    return why_set(why, why_cap, "expected true or false, got \"%s\"", quoted(text, shown));
}

/* ---- the public single-value parsers ----------------------------------- */

int scenario_parse_duration(const char *text, uint64_t *ns) { return scn_value_duration(text, ns, NULL, 0); }
int scenario_parse_size(const char *text, uint64_t *bytes) { return scn_value_size(text, bytes, NULL, 0); }
int scenario_parse_bandwidth(const char *text, uint64_t *bps) { return scn_value_bandwidth(text, bps, NULL, 0); }
int scenario_parse_rate(const char *text, double *per_s) { return scn_value_rate(text, per_s, NULL, 0); }
int scenario_parse_selector(const char *text, selector *out) { return scn_value_selector(text, out, NULL, 0); }

/* ---- node selectors -------------------------------------------------------- */

static const char selector_help[] =
    "expected a node selector: all, a count like 10, a percentage like 30%, or index ranges like \"0-49,60-69\"";

static int selector_percent(const char *text, selector *s, char *why, size_t why_cap) {
    char shown[VALUE_QUOTE_MAX + 4];
    size_t len = strlen(text) - 1; /* without the '%' */
    if (decimal_length(text) != len) return why_set(why, why_cap, "%s, got \"%s\"", selector_help, quoted(text, shown));
    double percent = strtod(text, NULL);
    if (!(percent > 0.0 && percent <= 100.0))
        return why_set(why, why_cap, "a percentage of nodes must be above 0%% and at most 100%%, got \"%s\"",
                       quoted(text, shown));
    s->kind = SELECT_PERCENT;
    s->percent = percent;
    return 0;
}

static int selector_count(const char *text, selector *s, char *why, size_t why_cap) {
    char shown[VALUE_QUOTE_MAX + 4];
    uint64_t count;
    if (scn_value_u64(text, &count, NULL, 0) < 0 || count == 0 || count > SCENARIO_NODES_MAX)
        return why_set(why, why_cap, "a count of nodes must be between 1 and %d, got \"%s\"", SCENARIO_NODES_MAX,
                       quoted(text, shown));
    s->kind = SELECT_COUNT;
    s->count = (uint32_t)count;
    return 0;
}

/* One node index at *p; moves *p past it. -1 if there is none or it is too large. */
static long selector_index(const char **p) {
    const char *q = skip_spaces(*p);
    long value = 0;
    size_t digits = 0;
    for (; isdigit((unsigned char)*q) && digits < 9; q++, digits++) value = value * 10 + (*q - '0');
    if (digits == 0 || isdigit((unsigned char)*q)) return -1;
    *p = skip_spaces(q);
    return value;
}

static int selector_range(const char **p, selector *s, const char *text, char *why, size_t why_cap) {
    char shown[VALUE_QUOTE_MAX + 4];
    long lo = selector_index(p), hi = lo;
    if (lo >= 0 && **p == '-') {
        (*p)++;
        hi = selector_index(p);
    }
    if (lo < 0 || hi < 0 || (**p != ',' && **p != '\0'))
        return why_set(why, why_cap, "%s, got \"%s\"", selector_help, quoted(text, shown));
    if (hi >= SCENARIO_NODES_MAX)
        return why_set(why, why_cap, "node index %ld in \"%s\" is beyond the largest possible (%d)", hi,
                       quoted(text, shown), SCENARIO_NODES_MAX - 1);
    if (lo > hi) return why_set(why, why_cap, "range %ld-%ld in \"%s\" runs backwards", lo, hi, quoted(text, shown));
    if (s->range_count == SCENARIO_RANGES_MAX)
        return why_set(why, why_cap, "more than %d ranges in \"%s\"", SCENARIO_RANGES_MAX, quoted(text, shown));
    s->range_lo[s->range_count] = (uint32_t)lo;
    s->range_hi[s->range_count] = (uint32_t)hi;
    s->range_count++;
    return 0;
}

static int selector_ranges(const char *text, selector *s, char *why, size_t why_cap) {
    s->kind = SELECT_RANGES;
    const char *p = text;
    for (;;) {
        if (selector_range(&p, s, text, why, why_cap) < 0) return -1;
        if (*p == '\0') return 0;
        assert(*p == ',');
        p++;
    }
}

int scn_value_selector(const char *text, selector *out, char *why, size_t why_cap) {
    assert(text != NULL);
    assert(out != NULL);
    selector s;
    memset(&s, 0, sizeof s);
    size_t len = strlen(text);
    int rc;
    if (strcmp(text, "all") == 0) {
        s.kind = SELECT_ALL;
        rc = 0;
    } else if (len > 0 && text[len - 1] == '%') {
        rc = selector_percent(text, &s, why, why_cap);
    } else if (len > 0 && strspn(text, "0123456789") == len) {
        rc = selector_count(text, &s, why, why_cap);
    } else if (strpbrk(text, "-,") != NULL) {
        rc = selector_ranges(text, &s, why, why_cap);
    } else {
        char shown[VALUE_QUOTE_MAX + 4];
        rc = why_set(why, why_cap, "%s, got \"%s\"", selector_help, quoted(text, shown));
    }
    if (rc == 0) *out = s;
    return rc;
}

long scn_selector_max_index(const selector *s) {
    long max = -1;
    if (s->kind != SELECT_RANGES) return -1;
    for (size_t i = 0; i < s->range_count; i++)
        if ((long)s->range_hi[i] > max) max = (long)s->range_hi[i];
    return max;
}

/* How many nodes a count or percentage picks among total. A percentage
 * rounds to the nearest whole node, and picks at least one. */
static long selector_pick_count(const selector *s, uint32_t total) {
    if (s->kind == SELECT_COUNT) return s->count <= total ? (long)s->count : -1;
    assert(s->kind == SELECT_PERCENT);
    long k = lround((double)total * s->percent / 100.0);
    if (k == 0 && total > 0) k = 1;
    return k > (long)total ? (long)total : k;
}

/* Marks k of [0, total) with the first k steps of a Fisher-Yates shuffle. */
static long selector_pick(uint32_t total, long k, rng *r, bool *chosen) {
    assert(k >= 0 && k <= (long)total);
    if (k == 0) return 0;
    uint32_t *order = malloc((size_t)total * sizeof *order);
    if (order == NULL) return -1;
    for (uint32_t i = 0; i < total; i++) order[i] = i;
    for (long i = 0; i < k; i++) {
        uint32_t j = (uint32_t)i + (uint32_t)rng_below(r, (uint64_t)(total - (uint32_t)i));
        uint32_t swap = order[i];
        order[i] = order[j];
        order[j] = swap;
        chosen[order[i]] = true;
    }
    free(order);
    return k;
}

long selector_resolve(const selector *s, uint32_t total, rng *r, bool *chosen) {
    assert(s != NULL);
    assert(chosen != NULL || total == 0);
    if (total > 0) memset(chosen, 0, total * sizeof *chosen);
    if (s->kind == SELECT_ALL) {
        for (uint32_t i = 0; i < total; i++) chosen[i] = true;
        return (long)total;
    }
    if (s->kind == SELECT_RANGES) {
        if (scn_selector_max_index(s) >= (long)total) return -1;
        long count = 0;
        for (size_t i = 0; i < s->range_count; i++)
            for (uint32_t n = s->range_lo[i]; n <= s->range_hi[i]; n++) {
                if (!chosen[n]) count++; /* overlapping ranges count a node once */
                chosen[n] = true;
            }
        return count;
    }
    assert(r != NULL);
    long k = selector_pick_count(s, total);
    return k < 0 ? -1 : selector_pick(total, k, r, chosen);
}

/* ---- distributions ------------------------------------------------------- */


static const scn_dist_spec dist_specs[] = {
    {"constant", DIST_CONSTANT, {"value", NULL}, {true, false}},
    {"uniform", DIST_UNIFORM, {"min", "max"}, {true, true}},
    {"normal", DIST_NORMAL, {"mean", "sd"}, {true, true}},
    {"exponential", DIST_EXPONENTIAL, {"mean", NULL}, {true, false}},
    {"lognormal", DIST_LOGNORMAL, {"median", "sigma"}, {true, false}},
    {"weibull", DIST_WEIBULL, {"shape", "scale"}, {false, true}},
    {"pareto", DIST_PARETO, {"shape", "scale"}, {false, true}},
};
#define DIST_SPEC_COUNT (sizeof dist_specs / sizeof dist_specs[0])

const scn_dist_spec *scn_dist_find(const char *name) {
    for (size_t i = 0; i < DIST_SPEC_COUNT; i++)
        if (strcmp(dist_specs[i].name, name) == 0) return &dist_specs[i];
    return NULL;
}

const char *scn_dist_names(void) { return "constant, uniform, normal, exponential, lognormal, weibull, pareto"; }

static const scn_dist_spec *dist_spec_of(dist_kind kind) {
    for (size_t i = 0; i < DIST_SPEC_COUNT; i++)
        if (dist_specs[i].kind == kind) return &dist_specs[i];
    assert(0 && "every dist_kind has a spec");
    return &dist_specs[0];
}

int scn_dist_validate(const dist *d, char *why, size_t why_cap) {
    const scn_dist_spec *spec = dist_spec_of(d->kind);
    const double value[2] = {d->a, d->b};
    for (size_t i = 0; i < 2 && spec->param[i] != NULL; i++)
        if (!isfinite(value[i]) || value[i] < 0)
            return why_set(why, why_cap, "%s: %s must not be negative", spec->name, spec->param[i]);
    switch (d->kind) {
    case DIST_UNIFORM:
        if (d->a > d->b) return why_set(why, why_cap, "uniform: min must not be greater than max");
        break;
    case DIST_EXPONENTIAL:
    case DIST_LOGNORMAL:
        if (!(d->a > 0)) return why_set(why, why_cap, "%s: %s must be greater than 0", spec->name, spec->param[0]);
        break;
    case DIST_WEIBULL:
    case DIST_PARETO:
        for (size_t i = 0; i < 2; i++)
            if (!(value[i] > 0))
                return why_set(why, why_cap, "%s: %s must be greater than 0", spec->name, spec->param[i]);
        break;
    case DIST_CONSTANT:
    case DIST_NORMAL: break;
    }
    return 0;
}

