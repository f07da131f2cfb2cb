/* metrics_data: availability, get latency, lost blocks (metrics_data.h). */
#include "metrics_data.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/time_units.h"
#include "csv.h"
#include "metrics_internal.h"

#define DATA_PENDING UINT64_MAX /* a get with no answer yet */

typedef struct data_get {
    uint64_t issued_ns;
    uint64_t answered_ns; /* DATA_PENDING, or when a block came; a failure keeps DATA_PENDING */
} data_get;

struct data_metrics {
    uint64_t deadline_ns, sample_ns, end_ns;
    data_get *gets;
    uint64_t count, cap;
    data_summary summary;
    bool finished;
};

data_metrics *data_metrics_create(uint64_t deadline_ns, uint64_t sample_ns, uint64_t gets_max) {
    assert(deadline_ns > 0 && sample_ns > 0);
    data_metrics *m = calloc(1, sizeof *m);
    if (m == NULL) return NULL;
    m->gets = calloc(gets_max ? gets_max : 1, sizeof *m->gets);
    if (m->gets == NULL) {
        free(m);
        return NULL;
    }
    m->deadline_ns = deadline_ns;
    m->sample_ns = sample_ns;
    m->cap = gets_max;
    return m;
}

void data_metrics_destroy(data_metrics *m) {
    if (m == NULL) return;
    free(m->gets);
    free(m);
}

int64_t data_metrics_get(data_metrics *m, uint64_t issued_ns) {
    if (m->count == m->cap) return -1;
    m->gets[m->count] = (data_get){.issued_ns = issued_ns, .answered_ns = DATA_PENDING};
    return (int64_t)m->count++;
}

void data_metrics_got(data_metrics *m, uint64_t index, uint64_t at_ns, bool ok) {
    assert(index < m->count);
    data_get *g = &m->gets[index];
    assert(g->answered_ns == DATA_PENDING && at_ns >= g->issued_ns);
    if (ok) g->answered_ns = at_ns;
}

void data_metrics_set_totals(data_metrics *m, const data_totals *t) { m->summary.totals = *t; }

/* Whether get g counts (its deadline is within the run) and succeeded. */
static bool data_counts(const data_metrics *m, const data_get *g) { return g->issued_ns + m->deadline_ns <= m->end_ns; }
static bool data_succeeded(const data_metrics *m, const data_get *g) {
    return g->answered_ns != DATA_PENDING && g->answered_ns - g->issued_ns <= m->deadline_ns;
}

static int data_compare_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void data_metrics_finish(data_metrics *m, uint64_t end_ns) {
    m->end_ns = end_ns;
    m->finished = true;
    data_summary *s = &m->summary;
    s->gets = s->succeeded = 0;
    uint32_t *latency_us = malloc((m->count ? m->count : 1) * sizeof *latency_us);
    for (uint64_t i = 0; i < m->count; i++) {
        const data_get *g = &m->gets[i];
        if (!data_counts(m, g)) continue;
        s->gets++;
        if (!data_succeeded(m, g)) continue;
        uint64_t us = (g->answered_ns - g->issued_ns) / NS_PER_US;
        if (latency_us != NULL) latency_us[s->succeeded] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
        s->succeeded++;
    }
    s->availability = s->gets > 0 ? (double)s->succeeded / (double)s->gets : 1.0;
    s->latency_p50_ms = s->latency_p99_ms = 0;
    if (latency_us != NULL && s->succeeded > 0) {
        qsort(latency_us, s->succeeded, sizeof *latency_us, data_compare_u32);
        s->latency_p50_ms = metrics_percentile(latency_us, s->succeeded, 50) / 1000.0;
        s->latency_p99_ms = metrics_percentile(latency_us, s->succeeded, 99) / 1000.0;
    }
    free(latency_us);
}

void data_metrics_get_summary(const data_metrics *m, data_summary *out) {
    assert(m->finished);
    *out = m->summary;
}

static void data_put_real(FILE *out, double value) {
    char text[JSON_REAL_TEXT_MAX];
    json_real_text(value, text);
    fputs(text, out);
}

void data_metrics_write_json(const data_metrics *m, FILE *out) {
    assert(m->finished);
    const data_summary *s = &m->summary;
    fputs("  \"data\": {\"availability\": ", out);
    data_put_real(out, s->availability);
    fputs(", \"get_latency_ms\": {\"p50\": ", out);
    data_put_real(out, s->latency_p50_ms);
    fputs(", \"p99\": ", out);
    data_put_real(out, s->latency_p99_ms);
    fprintf(out,
            "}, \"gets\": %" PRIu64 ", \"gets_succeeded\": %" PRIu64 ", \"blocks_put\": %" PRIu64
            ", \"blocks_lost\": %" PRIu64 ", \"replication_bytes\": %" PRIu64 ", \"repair_bytes\": %" PRIu64
            ", \"repairs\": %" PRIu64 ", \"holders_gone\": %" PRIu64 "},\n",
            s->gets, s->succeeded, s->totals.blocks_put, s->totals.blocks_lost, s->totals.replication_bytes,
            s->totals.repair_bytes, s->totals.repairs, s->totals.holders_gone);
}

int data_metrics_write_csv(const data_metrics *m, const char *path) {
    assert(m->finished);
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    fputs("time_s,gets,succeeded,availability\n", out);
    uint64_t rows = (m->end_ns + m->sample_ns - 1) / m->sample_ns;
    uint64_t next = 0; /* gets are in issue order */
    for (uint64_t row = 0; row < rows; row++) {
        uint64_t until = (row + 1) * m->sample_ns, gets = 0, ok = 0;
        for (; next < m->count && m->gets[next].issued_ns < until; next++) {
            if (!data_counts(m, &m->gets[next])) continue;
            gets++;
            ok += data_succeeded(m, &m->gets[next]);
        }
        csv_put_real(out, (double)(until < m->end_ns ? until : m->end_ns) / NS_PER_S_DOUBLE);
        fprintf(out, ",%" PRIu64 ",%" PRIu64 ",", gets, ok);
        csv_put_real(out, gets > 0 ? (double)ok / (double)gets : NAN);
        fputc('\n', out);
    }
    return csv_close(out);
}
