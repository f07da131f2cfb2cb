/*
 * scenario_convert: the machinery that turns the tree into the struct. A
 * map is converted through a table of its keys (scn_field): each key is
 * looked up, converted by the row's function into base + offset and
 * checked against the row's limits; unknown keys, keys given twice under
 * two names and missing required keys are errors. The error names the
 * file, line and key path, or the --set that put the value there.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "scenario_internal.h"

#define CONVERT_FIELDS_MAX 64
#define CONVERT_WHY_MAX 320
#define CONVERT_QUOTE_MAX 40
#define CONVERT_SUGGEST_KEY_MAX 64     /* keys longer than this get no suggestion */
#define CONVERT_SUGGEST_DISTANCE_MAX 3 /* edits from a known key that still look like a typo */

/* ---- errors --------------------------------------------------------------- */

static int convert_vfail(scn_ctx *c, const scn_node *n, bool at_key, const char *keypath, const char *fmt,
                         va_list ap) {
    char what[SCENARIO_ERROR_MAX];
    vsnprintf(what, sizeof what, fmt, ap);
    const char *sep = keypath != NULL && keypath[0] != '\0' ? ": " : "";
    if (keypath == NULL) keypath = "";
    if (n != NULL && n->origin >= 0) {
        /* The override names its own key; deeper keys are worth naming. */
        bool named = n == c->tree->override_node[n->origin];
        snprintf(c->err, c->err_cap, "--set %s: %s%s%s", c->overrides[n->origin], named ? "" : keypath,
                 named ? "" : sep, what);
        return -1;
    }
    int line = n == NULL ? 0 : at_key ? n->key_line : n->line;
    if (line > 0) snprintf(c->err, c->err_cap, "%s:%d: %s%s%s", c->path, line, keypath, sep, what);
    else snprintf(c->err, c->err_cap, "%s: %s%s%s", c->path, keypath, sep, what);
    return -1;
}

int scn_fail(scn_ctx *c, const scn_node *n, const char *keypath, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    convert_vfail(c, n, false, keypath, fmt, ap);
    va_end(ap);
    return -1;
}

int scn_fail_key(scn_ctx *c, const scn_node *n, const char *keypath, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    convert_vfail(c, n, true, keypath, fmt, ap);
    va_end(ap);
    return -1;
}

size_t scn_keypath_push(scn_ctx *c, const char *key, size_t index) {
    size_t saved = strlen(c->keypath);
    char *at = c->keypath + saved;
    size_t room = sizeof c->keypath - saved;
    if (key == NULL) snprintf(at, room, "[%zu]", index);
    else snprintf(at, room, "%s%s", saved > 0 ? "." : "", key);
    return saved;
}

void scn_keypath_pop(scn_ctx *c, size_t saved) {
    assert(saved < sizeof c->keypath);
    c->keypath[saved] = '\0';
}

int scn_type_error(scn_ctx *c, const scn_node *n, const char *expected) {
    if (n->kind != SCN_SCALAR || scn_is_null(n)) return scn_fail(c, n, c->keypath, "expected %s, got %s", expected, scn_kind_name(n));
    return scn_fail(c, n, c->keypath, "expected %s, got \"%.*s%s\"", expected, CONVERT_QUOTE_MAX, n->text,
                    strlen(n->text) > CONVERT_QUOTE_MAX ? "..." : "");
}

int scn_scalar(scn_ctx *c, const scn_node *n, const char *expected, const char **text) {
    *text = ""; /* never left unset, even on failure */
    if (n->kind != SCN_SCALAR || scn_is_null(n)) return scn_type_error(c, n, expected);
    *text = n->text;
    return 0;
}

int scn_choice(scn_ctx *c, const scn_node *n, const char *what, const char *const *names, int *index) {
    const char *text;
    char list[CONVERT_WHY_MAX] = "";
    for (int i = 0; names[i] != NULL; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i > 0 ? ", " : "", names[i]);
    }
    char expected[CONVERT_WHY_MAX + 32];
    snprintf(expected, sizeof expected, "one of: %s", list);
    if (scn_scalar(c, n, expected, &text) < 0) return -1;
    for (int i = 0; names[i] != NULL; i++) {
        if (strcmp(names[i], text) != 0) continue;
        *index = i;
        return 0;
    }
    return scn_fail(c, n, c->keypath, "unknown %s \"%.*s\" (expected one of: %s)", what, CONVERT_QUOTE_MAX, text, list);
}

/* ---- maps ------------------------------------------------------------------ */

static const char *field_name(const scn_field *f) { return f->alias_of != NULL ? f->alias_of : f->key; }

static const scn_field *field_find(const scn_table *t, const char *key) {
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->fields[i].key, key) == 0) return &t->fields[i];
    return NULL;
}

const scn_node *scn_given(const scn_node *m, const scn_table *t, const char *key) {
    for (size_t i = 0; i < t->count; i++) {
        if (strcmp(field_name(&t->fields[i]), key) != 0) continue;
        const scn_node *n = scn_map_get(m, t->fields[i].key);
        if (n != NULL) return n;
    }
    return NULL;
}

/* Levenshtein distance between a and b, or SIZE_MAX when either is longer
 * than CONVERT_SUGGEST_KEY_MAX (no key of the format is). */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > CONVERT_SUGGEST_KEY_MAX || lb > CONVERT_SUGGEST_KEY_MAX) return SIZE_MAX;
    size_t row[CONVERT_SUGGEST_KEY_MAX + 1];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best) best = above + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

/* The table's key nearest to key, if it is near enough to be a typo:
 * at most CONVERT_SUGGEST_DISTANCE_MAX edits, and fewer than half of key. */
static const char *nearest_key(const scn_table *t, const char *key) {
    const char *best = NULL;
    size_t best_distance = CONVERT_SUGGEST_DISTANCE_MAX + 1;
    for (size_t i = 0; i < t->count; i++) {
        size_t d = edit_distance(key, t->fields[i].key);
        if (d < best_distance && 2 * d < strlen(key)) {
            best = t->fields[i].key;
            best_distance = d;
        }
    }
    return best;
}

/* Lists the table's keys; a list too long for one line of error (the
 * topic_score map has 17 long keys) ends at a whole key with ", ...", and
 * a key one typo away is named, since it may be one the list left out. */
static int unknown_key(scn_ctx *c, const scn_node *e, const scn_table *t) {
    char list[CONVERT_WHY_MAX] = "";
    static const char more[] = ", ...";
    for (size_t i = 0; i < t->count; i++) {
        if (t->fields[i].alias_of != NULL) continue;
        size_t used = strlen(list);
        const char *sep = used > 0 ? ", " : "";
        if (used + strlen(sep) + strlen(t->fields[i].key) + sizeof more > sizeof list) {
            snprintf(list + used, sizeof list - used, "%s", more);
            break;
        }
        snprintf(list + used, sizeof list - used, "%s%s", sep, t->fields[i].key);
    }
    const char *near = nearest_key(t, e->key);
    if (near != NULL) return scn_fail_key(c, e, c->keypath, "unknown key (expected one of: %s); did you mean %s?", list, near);
    return scn_fail_key(c, e, c->keypath, "unknown key (expected one of: %s)", list);
}

/* An error if f's key was already given under another of its names. */
static int twin_check(scn_ctx *c, const scn_node *e, const scn_table *t, const scn_node *const *given,
                      const scn_field *f) {
    for (size_t i = 0; i < t->count; i++) {
        if (given[i] == NULL || strcmp(field_name(&t->fields[i]), field_name(f)) != 0) continue;
        if (given[i]->origin >= 0 || e->origin >= 0)
            return scn_fail_key(c, e, c->keypath, "sets the same thing as %s", t->fields[i].key);
        return scn_fail_key(c, e, c->keypath, "sets the same thing as %s on line %d", t->fields[i].key,
                            given[i]->key_line);
    }
    return 0;
}

static int missing_keys(scn_ctx *c, const scn_node *m, const scn_table *t) {
    for (size_t i = 0; i < t->count; i++) {
        const scn_field *f = &t->fields[i];
        if (!(f->flags & SCN_REQUIRED) || scn_given(m, t, f->key) != NULL) continue;
        size_t saved = scn_keypath_push(c, f->key, 0);
        scn_fail_key(c, m, c->keypath, "missing (this key is required)");
        scn_keypath_pop(c, saved);
        return -1;
    }
    return 0;
}

int scn_convert_map(scn_ctx *c, const scn_node *m, void *base, const scn_table *t) {
    assert(t->count <= CONVERT_FIELDS_MAX);
    if (m->kind != SCN_MAP) return scn_type_error(c, m, "a map");
    const scn_node *given[CONVERT_FIELDS_MAX] = {NULL};
    for (const scn_node *e = m->first; e != NULL; e = e->next) {
        size_t saved = scn_keypath_push(c, e->key, 0);
        const scn_field *f = field_find(t, e->key);
        if (f == NULL) return unknown_key(c, e, t);
        if (twin_check(c, e, t, given, f) < 0) return -1;
        given[f - t->fields] = e;
        if (f->conv(c, e, base, f) < 0) return -1;
        scn_keypath_pop(c, saved);
    }
    return missing_keys(c, m, t);
}

int scn_conv_map(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    assert(f->sub != NULL);
    return scn_convert_map(c, n, base, f->sub);
}

/* ---- scalars ---------------------------------------------------------------- */

static void *field_at(void *base, const scn_field *f) { return (char *)base + f->offset; }

static bool has_range(const scn_field *f) { return f->min < f->max; }

static int range_fail(scn_ctx *c, const scn_node *n, const scn_field *f, const char *got) {
    return scn_fail(c, n, c->keypath, "must be %s %g and %s %g, got %s",
                    f->flags & SCN_MIN_EXCLUSIVE ? "above" : "at least", f->min,
                    f->flags & SCN_MAX_EXCLUSIVE ? "below" : "at most", f->max, got);
}

static bool in_range(const scn_field *f, double v) {
    if (!has_range(f)) return true;
    bool above = f->flags & SCN_MIN_EXCLUSIVE ? v > f->min : v >= f->min;
    bool below = f->flags & SCN_MAX_EXCLUSIVE ? v < f->max : v <= f->max;
    return above && below;
}

/* Converts n's text with parse, failing with the parser's reason. */
#define CONVERT_SCALAR(c, n, expected, parse, out)                                                    \
    do {                                                                                              \
        const char *text_;                                                                            \
        char why_[CONVERT_WHY_MAX];                                                                   \
        if (scn_scalar((c), (n), (expected), &text_) < 0) return -1;                                  \
        if (parse(text_, (out), why_, sizeof why_) < 0) return scn_fail((c), (n), (c)->keypath, "%s", why_); \
    } while (0)

int scn_conv_string(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    const char *text;
    assert(f->width > 0);
    if (scn_scalar(c, n, "a string", &text) < 0) return -1;
    if (strlen(text) >= f->width) return scn_fail(c, n, c->keypath, "too long (at most %zu characters)", f->width - 1);
    memcpy(field_at(base, f), text, strlen(text) + 1);
    return 0;
}

int scn_conv_int(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    int64_t v;
    assert(has_range(f) && f->min >= INT32_MIN && f->max <= INT32_MAX); /* so it fits an int */
    CONVERT_SCALAR(c, n, "a whole number", scn_value_int, &v);
    char got[32];
    snprintf(got, sizeof got, "%" PRId64, v);
    if (!in_range(f, (double)v)) return range_fail(c, n, f, got);
    *(int *)field_at(base, f) = (int)v;
    return 0;
}

int scn_conv_uint(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    uint64_t v;
    assert(f->width == 4 || f->width == 8);
    assert(f->width == 8 || (has_range(f) && f->max <= UINT32_MAX));
    CONVERT_SCALAR(c, n, "a whole number", scn_value_u64, &v);
    char got[32];
    snprintf(got, sizeof got, "%" PRIu64, v);
    if (!in_range(f, (double)v)) return range_fail(c, n, f, got);
    if (f->width == 4) *(uint32_t *)field_at(base, f) = (uint32_t)v;
    else *(uint64_t *)field_at(base, f) = v;
    return 0;
}

int scn_conv_number(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    double v;
    CONVERT_SCALAR(c, n, "a number", scn_value_number, &v);
    char got[32];
    snprintf(got, sizeof got, "%g", v);
    if (!in_range(f, v)) return range_fail(c, n, f, got);
    *(double *)field_at(base, f) = v;
    return 0;
}

int scn_conv_bool(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    CONVERT_SCALAR(c, n, "true or false", scn_value_bool, (bool *)field_at(base, f));
    return 0;
}

int scn_conv_duration(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    uint64_t ns;
    CONVERT_SCALAR(c, n, "a duration (e.g. 40ms)", scn_value_duration, &ns);
    if ((f->flags & SCN_POSITIVE) && ns == 0) return scn_fail(c, n, c->keypath, "must be longer than 0, got \"%s\"", n->text);
    *(uint64_t *)field_at(base, f) = ns;
    return 0;
}

int scn_conv_size(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    uint64_t bytes;
    assert(has_range(f));
    assert(f->width == 4 || f->width == 8);
    CONVERT_SCALAR(c, n, "a size (e.g. 1KiB)", scn_value_size, &bytes);
    if (!in_range(f, (double)bytes))
        return scn_fail(c, n, c->keypath, "must be between %.0f B and %.0f B, got \"%s\"", f->min, f->max, n->text);
    if (f->width == 4) *(uint32_t *)field_at(base, f) = (uint32_t)bytes;
    else *(uint64_t *)field_at(base, f) = bytes;
    return 0;
}

int scn_conv_rate(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    double per_s;
    CONVERT_SCALAR(c, n, "a rate (e.g. 2/s)", scn_value_rate, &per_s);
    if ((f->flags & SCN_POSITIVE) && !(per_s > 0)) return scn_fail(c, n, c->keypath, "must be above 0/s, got \"%s\"", n->text);
    *(double *)field_at(base, f) = per_s;
    return 0;
}

int scn_conv_selector(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    CONVERT_SCALAR(c, n, "a node selector (all, 10, 30%, \"0-49,60\")", scn_value_selector,
                   (selector *)field_at(base, f));
    return 0;
}

/* A bandwidth; "unlimited" is 0, and 0 written out is refused. */
int scn_conv_bandwidth_one(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    const char *text;
    char why[CONVERT_WHY_MAX];
    uint64_t bps;
    if (scn_scalar(c, n, "a bandwidth (e.g. 20Mbps)", &text) < 0) return -1;
    if (scn_value_bandwidth(text, &bps, why, sizeof why) < 0) return scn_fail(c, n, c->keypath, "%s", why);
    if (bps == 0 && strcmp(text, "unlimited") != 0)
        return scn_fail(c, n, c->keypath, "must be above 0 (write unlimited, or leave it out, for no limit)");
    *(uint64_t *)field_at(base, f) = bps;
    return 0;
}

/* ---- distributions ------------------------------------------------------- */

static int dist_param(scn_ctx *c, const scn_node *e, const scn_dist_spec *spec, dist *d, bool *seen) {
    for (int i = 0; i < 2 && spec->param[i] != NULL; i++) {
        if (strcmp(e->key, spec->param[i]) != 0) continue;
        uint64_t ns;
        double *out = i == 0 ? &d->a : &d->b;
        seen[i] = true;
        if (!spec->param_has_unit[i]) {
            CONVERT_SCALAR(c, e, "a number", scn_value_number, out);
            return 0;
        }
        CONVERT_SCALAR(c, e, "a duration (e.g. 40ms)", scn_value_duration, &ns);
        *out = (double)ns;
        return 0;
    }
    if (spec->param[1] == NULL)
        return scn_fail_key(c, e, c->keypath, "not a parameter of %s (it takes %s)", spec->name, spec->param[0]);
    return scn_fail_key(c, e, c->keypath, "not a parameter of %s (it takes %s and %s)", spec->name, spec->param[0],
                        spec->param[1]);
}

static int dist_from_map(scn_ctx *c, const scn_node *m, dist *d) {
    const scn_node *kind = scn_map_get(m, "dist");
    if (kind == NULL) return scn_fail(c, m, c->keypath, "a distribution needs dist: one of %s", scn_dist_names());
    size_t saved = scn_keypath_push(c, "dist", 0);
    int index;
    const char *names[] = {"constant", "uniform", "normal", "exponential", "lognormal", "weibull", "pareto", NULL};
    if (scn_choice(c, kind, "distribution", names, &index) < 0) return -1;
    scn_keypath_pop(c, saved);
    const scn_dist_spec *spec = scn_dist_find(names[index]);
    assert(spec != NULL);
    d->kind = spec->kind;
    bool seen[2] = {false, spec->param[1] == NULL};
    for (const scn_node *e = m->first; e != NULL; e = e->next) {
        if (e == kind) continue;
        saved = scn_keypath_push(c, e->key, 0);
        if (dist_param(c, e, spec, d, seen) < 0) return -1;
        scn_keypath_pop(c, saved);
    }
    for (int i = 0; i < 2; i++)
        if (!seen[i]) return scn_fail(c, m, c->keypath, "%s needs %s", spec->name, spec->param[i]);
    return 0;
}

int scn_conv_dist(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    dist d = {.kind = DIST_CONSTANT};
    if (n->kind == SCN_MAP) {
        if (dist_from_map(c, n, &d) < 0) return -1;
    } else {
        uint64_t ns;
        CONVERT_SCALAR(c, n, "a duration or a distribution map {dist: ...}", scn_value_duration, &ns);
        d.a = (double)ns;
    }
    char why[CONVERT_WHY_MAX];
    if (scn_dist_validate(&d, why, sizeof why) < 0) return scn_fail(c, n, c->keypath, "%s", why);
    if ((f->flags & SCN_MEAN_POSITIVE) && !(dist_mean(&d) > 0))
        return scn_fail(c, n, c->keypath, "must not always be zero");
    *(dist *)field_at(base, f) = d;
    return 0;
}

/* ---- lists of maps ----------------------------------------------------------- */

int scn_conv_list(scn_ctx *c, const scn_node *n, void *base, const scn_field *f) {
    const scn_list *l = f->list;
    assert(l != NULL);
    if (n->kind != SCN_SEQ) return scn_type_error(c, n, "a list");
    if (n->child_count > l->max) return scn_fail(c, n, c->keypath, "too many entries (at most %zu)", l->max);
    char *array = (char *)base + l->array_offset;
    size_t i = 0;
    for (const scn_node *e = n->first; e != NULL; e = e->next, i++) {
        void *item = array + i * l->item_size;
        memset(item, 0, l->item_size);
        if (l->prepare != NULL) l->prepare(item);
        size_t saved = scn_keypath_push(c, NULL, i);
        if (scn_convert_map(c, e, item, l->item) < 0) return -1;
        if (l->check != NULL && l->check(c, e, item) < 0) return -1;
        scn_keypath_pop(c, saved);
    }
    *(size_t *)((char *)base + l->count_offset) = i;
    *(int *)((char *)base + l->line_offset) = n->key_line;
    return 0;
}
