/* run_data: announce and query in a run. See run_data.h. */
#include "run_data.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/time_units.h"
#include "data/announce.h"
#include "world/world.h"
#include "data/query.h"
#include "random/rng.h"
#include "store/cid.h"

#define RUN_DATA_BLOCK_BYTES 256 /* each block the query workload puts */
#define RUN_DATA_ASKER_TRIES 16  /* draws for an online asker before a query is skipped */

typedef struct query_record {
    uint64_t asked_ns, first_ns, last_ns;
    uint32_t answers, expected;
} query_record;

typedef struct data_host {
    struct run_data *d;
    announce *announce;
    query *query;
    bool up_once;
    uint64_t first_up_ns, reached_ns; /* reached: 0 until a module of it reached target */
    announce_stats announce_done;    /* summed over its modules gone with restarts */
    query_stats query_done;
    uint64_t pending_id[QUERY_PENDING_MAX]; /* our queries collecting answers: their records */
    uint32_t pending_record[QUERY_PENDING_MAX];
    uint32_t pending_next;
} data_host;

struct run_data {
    const scenario *s;
    world *w;
    uint32_t hosts; /* the honest ones */
    data_host *host;
    rng rng;
    uint32_t call_put, call_ask;
    cid *blocks;       /* protocol.query.blocks of them */
    uint32_t *holders; /* blocks x holders, UINT32_MAX where a holder was down at the put */
    query_record *records;
    size_t record_count, record_cap;
};

/* ---- modules ------------------------------------------------------------- */

static void add_announce(announce_stats *sum, const announce_stats *a) {
    sum->published += a->published, sum->received += a->received, sum->accepted += a->accepted;
    sum->invalid += a->invalid, sum->rate_limited += a->rate_limited, sum->dials += a->dials;
}

static void add_query(query_stats *sum, const query_stats *q) {
    sum->asked += q->asked, sum->answered += q->answered, sum->answered_direct += q->answered_direct;
    sum->answers += q->answers, sum->dropped += q->dropped, sum->invalid += q->invalid;
    sum->bytes_sent += q->bytes_sent;
}

/* The modules of a host's last process go: their counts stay. */
static void host_retire(data_host *h) {
    if (h->announce != NULL) {
        announce_stats st;
        announce_get_stats(h->announce, &st);
        if (h->reached_ns == 0 && st.reached_ns != 0) h->reached_ns = st.reached_ns;
        add_announce(&h->announce_done, &st);
        announce_destroy(h->announce);
        h->announce = NULL;
    }
    if (h->query != NULL) {
        query_stats st;
        query_get_stats(h->query, &st);
        add_query(&h->query_done, &st);
        query_destroy(h->query);
        h->query = NULL;
    }
    memset(h->pending_id, 0, sizeof h->pending_id);
}

void run_data_node_up(run_data *d, uint32_t i) {
    if (d == NULL || i >= d->hosts) return;
    data_host *h = &d->host[i];
    host_retire(h); /* its node is gone already: a fresh process */
    node *n = world_node(d->w, i);
    assert(n != NULL);
    if (!h->up_once) h->first_up_ns = world_now(d->w), h->up_once = true;
    const scenario *s = d->s;
    if (s->protocol.announce.enabled) {
        announce_config ac = {.topic = s->protocol.announce.topic, .target = s->protocol.announce.target};
        h->announce = announce_create(n, &ac);
        assert(h->announce != NULL); /* the scenario's checks keep the config in range */
    }
    if (s->protocol.query.enabled) {
        query_config qc = {.topic = s->protocol.query.topic, .result_topic = s->protocol.query.result_topic,
                           .reply = s->protocol.query.reply == QUERY_REPLY_KIND_TOPIC ? QUERY_REPLY_TOPIC
                                                                                     : QUERY_REPLY_DIRECT};
        h->query = query_create(n, &qc);
        assert(h->query != NULL);
    }
}

/* ---- the query workload ---------------------------------------------------- */

/* Each block's bytes: its index, then a fixed fill, so that every run puts the same blocks. */
static void block_bytes(uint32_t k, uint8_t out[RUN_DATA_BLOCK_BYTES]) {
    for (size_t b = 0; b < RUN_DATA_BLOCK_BYTES; b++) out[b] = (uint8_t)(b < 4 ? k >> (8 * b) : 0x5a ^ b);
}

/* Puts each block on its holders, distinct honest hosts drawn at random. */
static void data_put(void *user, uint64_t arg) {
    (void)arg;
    run_data *d = user;
    const scenario_query *q = &d->s->protocol.query;
    uint32_t holders = q->holders < d->hosts ? q->holders : d->hosts;
    uint8_t bytes[RUN_DATA_BLOCK_BYTES];
    for (uint32_t k = 0; k < q->blocks; k++) {
        block_bytes(k, bytes);
        cid_of(&d->blocks[k], CID_CODEC_RAW, bytes, sizeof bytes);
        uint32_t *list = &d->holders[(size_t)k * q->holders];
        for (uint32_t j = 0; j < q->holders; j++) list[j] = UINT32_MAX;
        for (uint32_t j = 0; j < holders; j++) {
            uint32_t pick;
            bool taken;
            do { /* distinct: holders <= hosts, so this ends */
                pick = rng_below(&d->rng, d->hosts);
                taken = false;
                for (uint32_t m = 0; m < j; m++) taken = taken || list[m] == pick;
            } while (taken);
            node *n = world_node(d->w, pick);
            cid c;
            if (n != NULL && node_block_put(n, CID_CODEC_RAW, bytes, sizeof bytes, &c) == 0 && node_block_sync(n) == 0)
                list[j] = pick;
        }
    }
}

static query_record *record_of(data_host *h, uint64_t id) {
    for (size_t i = 0; i < QUERY_PENDING_MAX; i++)
        if (h->pending_id[i] == id) return &h->d->records[h->pending_record[i]];
    return NULL;
}

static void on_answer(void *user, uint64_t id, const peer_id *answerer, const uint8_t *value, size_t len) {
    (void)answerer, (void)value, (void)len;
    data_host *h = user;
    query_record *r = record_of(h, id);
    if (r == NULL) return;
    uint64_t now = world_now(h->d->w);
    if (r->answers++ == 0) r->first_ns = now;
    r->last_ns = now;
}

/* The holders of block k that can answer asker now: online, not asker. */
static uint32_t expected_answers(const run_data *d, uint32_t k, uint32_t asker) {
    const uint32_t *list = &d->holders[(size_t)k * d->s->protocol.query.holders];
    uint32_t count = 0;
    for (uint32_t j = 0; j < d->s->protocol.query.holders; j++)
        count += list[j] != UINT32_MAX && list[j] != asker && world_host_online(d->w, list[j]);
    return count;
}

static int record_add(run_data *d, uint32_t *index) {
    if (d->record_count == d->record_cap) {
        if (d->record_cap == RUN_DATA_QUERIES_MAX) return -1;
        size_t cap = d->record_cap == 0 ? 256 : d->record_cap * 2;
        query_record *grown = realloc(d->records, cap * sizeof *grown);
        if (grown == NULL) return -1;
        d->records = grown, d->record_cap = cap;
    }
    *index = (uint32_t)d->record_count++;
    d->records[*index] = (query_record){0};
    return 0;
}

/* One query by a random online host for a random block; the next after an
 * exponential wait (a Poisson process of protocol.query.rate). */
static void data_ask(void *user, uint64_t seq) {
    run_data *d = user;
    const scenario_query *q = &d->s->protocol.query;
    uint32_t asker = UINT32_MAX;
    for (int t = 0; t < RUN_DATA_ASKER_TRIES && asker == UINT32_MAX; t++) {
        uint32_t pick = rng_below(&d->rng, d->hosts);
        if (d->host[pick].query != NULL && world_host_online(d->w, pick)) asker = pick;
    }
    uint32_t k = rng_below(&d->rng, q->blocks);
    uint32_t index;
    if (asker != UINT32_MAX && record_add(d, &index) == 0) {
        data_host *h = &d->host[asker];
        uint8_t key[CID_BYTES_MAX];
        size_t key_len = cid_encode(&d->blocks[k], key);
        uint64_t id, now = world_now(d->w);
        if (query_ask(h->query, QUERY_HAS_CID, key, key_len, now + q->deadline_ns, on_answer, NULL, h, &id) == 0) {
            d->records[index] = (query_record){.asked_ns = now, .expected = expected_answers(d, k, asker)};
            h->pending_id[h->pending_next] = id;
            h->pending_record[h->pending_next] = index;
            h->pending_next = (h->pending_next + 1) % QUERY_PENDING_MAX; /* the oldest slot's query is over */
        } else {
            d->record_count--; /* not asked: not counted */
        }
    }
    double wait_ns = -log1p(-rng_uniform(&d->rng)) * NS_PER_S_DOUBLE / q->rate_per_s;
    uint64_t next = world_now(d->w) + (uint64_t)(wait_ns + 0.5);
    if (next < d->s->duration_ns) world_at(d->w, next, d->call_ask, seq + 1);
}

void run_data_schedule(run_data *d) {
    if (d == NULL || !d->s->protocol.query.enabled || d->s->protocol.query.rate_per_s <= 0) return;
    const scenario_query *q = &d->s->protocol.query;
    world_at(d->w, q->start_ns - NS_PER_S, d->call_put, 0);
    world_at(d->w, q->start_ns, d->call_ask, 0);
}

run_data *run_data_create(const scenario *s, world *w, bool *failed) {
    *failed = false;
    if (!s->protocol.announce.enabled && !s->protocol.query.enabled) return NULL;
    run_data *d = calloc(1, sizeof *d);
    size_t holder_slots = (size_t)s->protocol.query.blocks * s->protocol.query.holders;
    if (d == NULL || (d->host = calloc(s->nodes.count, sizeof *d->host)) == NULL ||
        (d->blocks = calloc(s->protocol.query.blocks + 1, sizeof *d->blocks)) == NULL ||
        (d->holders = calloc(holder_slots + 1, sizeof *d->holders)) == NULL) {
        run_data_destroy(d);
        *failed = true;
        return NULL;
    }
    d->s = s, d->w = w, d->hosts = s->nodes.count;
    for (uint32_t i = 0; i < d->hosts; i++) d->host[i].d = d;
    rng_seed(&d->rng, s->seed, RNG_STREAM_QUERY);
    d->call_put = world_register_call(w, data_put, d);
    d->call_ask = world_register_call(w, data_ask, d);
    return d;
}

void run_data_destroy(run_data *d) {
    if (d == NULL) return;
    for (uint32_t i = 0; d->host != NULL && i < d->hosts; i++) host_retire(&d->host[i]);
    free(d->host);
    free(d->blocks);
    free(d->holders);
    free(d->records);
    free(d);
}

/* ---- the summary ----------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile of sorted[0..n), NaN when n is 0. */
static double percentile(const double *sorted, size_t n, double p) {
    if (n == 0) return NAN;
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    return sorted[rank == 0 ? 0 : rank - 1];
}

static void finish_announce(run_data *d, run_announce_summary *a) {
    double *times = malloc((d->hosts + 1) * sizeof *times);
    assert(times != NULL);
    announce_stats sum = {0};
    size_t reached = 0;
    for (uint32_t i = 0; i < d->hosts; i++) {
        data_host *h = &d->host[i];
        if (h->announce != NULL) {
            announce_stats st;
            announce_get_stats(h->announce, &st);
            if (h->reached_ns == 0 && st.reached_ns != 0) h->reached_ns = st.reached_ns;
            add_announce(&sum, &st);
        }
        add_announce(&sum, &h->announce_done);
        if (!h->up_once) continue;
        a->nodes++;
        if (h->reached_ns != 0) times[reached++] = (double)(h->reached_ns - h->first_up_ns) / NS_PER_S_DOUBLE;
    }
    qsort(times, reached, sizeof *times, cmp_double);
    a->enabled = true;
    a->reached = (uint32_t)reached;
    a->share_reached = a->nodes > 0 ? (double)reached / a->nodes : 0;
    a->to_target_s_p50 = percentile(times, reached, 50);
    a->to_target_s_p90 = percentile(times, reached, 90);
    a->to_target_s_max = percentile(times, reached, 100);
    a->published = sum.published, a->accepted = sum.accepted, a->invalid = sum.invalid;
    a->rate_limited = sum.rate_limited, a->dials = sum.dials;
    free(times);
}

static void finish_query(run_data *d, run_query_summary *q) {
    size_t n = d->record_count;
    double *first = malloc((n + 1) * sizeof *first), *last = malloc((n + 1) * sizeof *last);
    assert(first != NULL && last != NULL);
    size_t answered = 0;
    for (size_t i = 0; i < n; i++) {
        const query_record *r = &d->records[i];
        q->answers += r->answers, q->expected += r->expected;
        if (r->answers == 0) continue;
        first[answered] = (double)(r->first_ns - r->asked_ns) / NS_PER_MS_DOUBLE;
        last[answered++] = (double)(r->last_ns - r->asked_ns) / NS_PER_MS_DOUBLE;
    }
    qsort(first, answered, sizeof *first, cmp_double);
    qsort(last, answered, sizeof *last, cmp_double);
    query_stats sum = {0};
    for (uint32_t i = 0; i < d->hosts; i++) {
        if (d->host[i].query != NULL) {
            query_stats st;
            query_get_stats(d->host[i].query, &st);
            add_query(&sum, &st);
        }
        add_query(&sum, &d->host[i].query_done);
    }
    world_stats ws;
    world_get_stats(d->w, &ws);
    q->enabled = true;
    q->queries = n, q->answered = answered;
    q->answers_per_query = n > 0 ? (double)q->answers / (double)n : 0;
    q->first_ms_p50 = percentile(first, answered, 50), q->first_ms_p99 = percentile(first, answered, 99);
    q->last_ms_p50 = percentile(last, answered, 50), q->last_ms_p99 = percentile(last, answered, 99);
    q->payload_bytes = sum.bytes_sent, q->answered_direct = sum.answered_direct;
    q->network_bytes = ws.bytes_written;
    free(first);
    free(last);
}

void run_data_finish(run_data *d, run_data_summary *out) {
    memset(out, 0, sizeof *out);
    if (d == NULL) return;
    if (d->s->protocol.announce.enabled) finish_announce(d, &out->announce);
    if (d->s->protocol.query.enabled) finish_query(d, &out->query);
}

/* "key": a number, in node/base/json's form (null when not finite). */
static void put_real(FILE *out, const char *key, double v, const char *end) {
    char text[JSON_REAL_TEXT_MAX];
    json_real_text(v, text);
    fprintf(out, "\"%s\": %s%s", key, text, end);
}

void run_data_write_json(void *user, FILE *out) {
    const run_data_summary *sum = user;
    const run_announce_summary *a = &sum->announce;
    if (a->enabled) {
        fprintf(out, "  \"announce\": {\"nodes\": %u, \"reached\": %u, ", a->nodes, a->reached);
        put_real(out, "share_reached", a->share_reached, ", ");
        fputs("\"time_to_target_s\": {", out);
        put_real(out, "p50", a->to_target_s_p50, ", ");
        put_real(out, "p90", a->to_target_s_p90, ", ");
        put_real(out, "max", a->to_target_s_max, "}, ");
        fprintf(out,
                "\"published\": %llu, \"accepted\": %llu, \"invalid\": %llu, \"rate_limited\": %llu, \"dials\": %llu},\n",
                (unsigned long long)a->published, (unsigned long long)a->accepted, (unsigned long long)a->invalid,
                (unsigned long long)a->rate_limited, (unsigned long long)a->dials);
    }
    const run_query_summary *q = &sum->query;
    if (q->enabled) {
        fprintf(out, "  \"query\": {\"queries\": %llu, \"answered\": %llu, \"answers\": %llu, \"expected\": %llu, ",
                (unsigned long long)q->queries, (unsigned long long)q->answered, (unsigned long long)q->answers,
                (unsigned long long)q->expected);
        put_real(out, "answers_per_query", q->answers_per_query, ", ");
        fputs("\"first_answer_ms\": {", out);
        put_real(out, "p50", q->first_ms_p50, ", ");
        put_real(out, "p99", q->first_ms_p99, "}, \"last_answer_ms\": {");
        put_real(out, "p50", q->last_ms_p50, ", ");
        put_real(out, "p99", q->last_ms_p99, "}, ");
        fprintf(out, "\"bytes\": {\"payload\": %llu, \"network\": %llu}, \"answered_direct\": %llu},\n",
                (unsigned long long)q->payload_bytes, (unsigned long long)q->network_bytes,
                (unsigned long long)q->answered_direct);
    }
}
