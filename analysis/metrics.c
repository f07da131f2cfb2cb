/*
 * metrics: the measurements of a run from its trace events (metrics.h has
 * the definitions and the decisions; this file has the bookkeeping).
 *
 * While the run goes, each event updates counters and, for messages that
 * honest nodes publish, a per-(message, honest node) byte: 0 when the node
 * has not had the message yet, hops + 1 once it has, or HOPS_UNKNOWN when
 * it got it from a peer whose hop count we do not know. Nodes keep their
 * online and subscription spans, so that eligibility, which depends on the
 * whole deadline window, is decided once at metrics_finish().
 */
#include "metrics.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/time_units.h"
#include "crypto/identity.h"

#define METRICS_MESSAGES_MAX (1u << 22)   /* tracked messages; more are counted only */
#define METRICS_TOPICS_MAX 256            /* distinct topics of joins and publishes */
#define METRICS_SAMPLES_MAX (1u << 18)    /* timeseries rows */
#define METRICS_SPANS_MAX (1u << 20)      /* online or subscription spans per node */
#define METRICS_HOPS_MAX 253              /* hop counts saturate here */
#define METRICS_HOPS_UNKNOWN 255          /* delivered, from a peer of unknown hops */
#define METRICS_TOPIC_NONE UINT32_MAX
#define METRICS_OPEN UINT64_MAX           /* a span that has not ended */
#define METRICS_TABLE_MIN 64              /* smallest hash table */
#define METRICS_ROW_SCORES_MAX (1u << 20) /* scores kept per row; a reservoir past that */
#define METRICS_ROW_SCORES_MIN 256        /* the score buffer's first size */
#define METRICS_RESERVOIR_SEED 0x5eed5c0e5ull /* fixed: equal runs give equal percentiles */
#define METRICS_GRAYLIST_REASON "graylisted"  /* gossipsub's drop_rpc reason for a graylisted peer */

typedef struct metrics_span {
    uint64_t from_ns, until_ns; /* until_ns is METRICS_OPEN while it lasts */
    uint32_t topic;             /* subscriptions only */
} metrics_span;

typedef struct metrics_span_list {
    metrics_span *items;
    uint32_t count, cap;
} metrics_span_list;

typedef struct metrics_node {
    peer_id id; /* from node_up; id.len == 0 until then */
    bool online;
    uint32_t epoch;       /* lives so far: connection entries of older lives are void */
    uint32_t connections; /* pubsub peers now */
    uint32_t mesh_degree; /* grafts minus prunes, all topics */
    uint32_t subscribed_topics; /* open subscription spans */
    uint32_t mesh_peers, mesh_attackers; /* with an attack: the mesh multiset's size, its attackers */
    metrics_span_list online_spans, subscriptions;
} metrics_node;

typedef struct metrics_message {
    uint8_t *id;
    uint32_t id_len;
    uint32_t topic, publisher;
    uint64_t publish_ns, size_bytes;
    uint8_t *hops;    /* honest_count bytes, see the file comment */
    uint8_t *on_time; /* honest_count bits: first delivery within the deadline */
    uint32_t *latencies_us, latency_count, latency_cap;
    uint64_t latency_ns_max;
    uint64_t duplicates;
    bool in_ratio; /* its deadline window ended within the run */
    uint64_t eligible, delivered;
} metrics_message;

/* A (node, peer) entry with a count: parallel connections, or a peer in
 * the meshes of several topics. */
typedef struct metrics_link {
    uint64_t peer_hash;
    uint32_t node, epoch, count;
    bool used;
    bool attacker; /* mesh entries: the peer was an attacker when grafted */
} metrics_link;

/* Open addressing; entries of a node's earlier lives are void. */
typedef struct metrics_link_table {
    metrics_link *items;
    uint32_t used, mask;
} metrics_link_table;

typedef struct metrics_sample {
    uint32_t online_nodes;
    uint64_t connections;
    double mesh_degree_mean;
    uint64_t deliveries, duplicates, bytes_sent;
    uint64_t eligible, delivered; /* of messages published in the interval */
    bool has_latency;
    double latency_ms_p50, latency_ms_p99;
    bool has_mesh_range; /* some online node was subscribed */
    uint32_t mesh_degree_min, mesh_degree_max;
    double mesh_degree_mean_subscribed;
    uint64_t control_bytes, payload_bytes_sent, ihave_ids, iwant_ids;
    uint64_t score_samples; /* honest-to-honest; 0: no score cells */
    double score_p10, score_p50, score_p90, score_min;
    bool has_occupied, has_attacker_mesh; /* attack runs: some node to measure */
    double mesh_occupied_share, attacker_mesh_share;
} metrics_sample;

/* The gauges of the timeseries, read at the end of a row. */
typedef struct metrics_gauges {
    uint32_t online_nodes;
    uint64_t connections;
    double mesh_degree_mean;
    bool has_mesh_range;
    uint32_t mesh_degree_min, mesh_degree_max;
    double mesh_degree_mean_subscribed;
    bool has_occupied, has_attacker_mesh;
    double mesh_occupied_share, attacker_mesh_share;
} metrics_gauges;

/* The messages on one side of the attack start. */
typedef struct metrics_part {
    uint64_t messages, in_ratio, eligible, delivered;
} metrics_part;

enum { METRICS_BEFORE, METRICS_DURING, METRICS_PARTS };

/* The current row's honest-to-honest scores: all of them up to cap, then
 * a uniform reservoir of count of the seen (see metrics.h). */
typedef struct metrics_row_scores {
    double *items;
    uint32_t count, cap;
    uint64_t seen;
    double min;
    uint64_t random; /* splitmix64 state of the reservoir */
} metrics_row_scores;

struct metrics {
    metrics_config config;
    metrics_node *nodes; /* honest nodes only */
    uint32_t *peer_table, peer_mask; /* node index + 1 by peer id, attackers' too */
    peer_id *attacker_ids;           /* attacker_count, from their node_up */
    uint64_t *graylisted_ns;         /* per attacker: its first graylisting, or METRICS_OPEN */
    uint32_t attacker_count;
    metrics_message *messages;
    uint32_t message_count, message_cap;
    uint32_t *message_table, message_mask; /* message index + 1 by msg id */
    char *topics[METRICS_TOPICS_MAX];
    uint32_t topic_count;
    metrics_link_table links; /* connections */
    metrics_link_table mesh;  /* mesh peers, with an attack only */
    metrics_sample *samples;
    uint32_t sample_count, sample_current;
    uint32_t online_nodes, mesh_total;
    uint64_t connections;
    uint64_t now_ns;
    uint64_t messages_untracked, hops_unknown, hops_sum, hops_known, late_deliveries;
    metrics_row_scores row_scores;
    metrics_part parts[METRICS_PARTS]; /* with an attack, by metrics_finish */
    uint32_t *latencies_sorted; /* every latency, filled by metrics_finish */
    uint64_t latency_total;
    uint64_t latency_ns_max;
    uint64_t online_node_ns;
    uint64_t end_ns;
    bool finished;
    metrics_summary summary;
};

/* ---- small helpers ---------------------------------------------------- */

static uint64_t metrics_hash(const uint8_t *bytes, size_t len) {
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a: fast, and the keys are not hostile here */
    for (size_t i = 0; i < len; i++) h = (h ^ bytes[i]) * 0x100000001b3u;
    return h ^ (h >> 29);
}

static uint32_t metrics_table_size(uint64_t entries) {
    uint64_t size = METRICS_TABLE_MIN;
    while (size < entries * 2) size *= 2; /* load factor at most 1/2 */
    assert(size <= UINT32_MAX);
    return (uint32_t)size;
}

static int metrics_compare_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int metrics_compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int metrics_compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the index of the smallest value with at least percent% of
 * values at or below it. */
static uint64_t metrics_rank_index(uint64_t count, unsigned percent) {
    assert(count > 0);
    assert(percent >= 1 && percent <= 100);
    uint64_t rank = (percent * count + 99) / 100;
    assert(rank >= 1 && rank <= count);
    return rank - 1;
}

static uint32_t metrics_percentile(const uint32_t *sorted, uint64_t count, unsigned percent) {
    return sorted[metrics_rank_index(count, percent)];
}

/* splitmix64: small, and good enough to pick reservoir slots. */
static uint64_t metrics_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double metrics_us_to_ms(uint32_t us) { return us / 1000.0; }

static bool metrics_honest(const metrics *m, uint32_t node) { return node < m->config.honest_count; }

/* The end of a timeseries row; the last one ends with the run. */
static uint64_t metrics_row_end_ns(const metrics *m, uint32_t row) {
    uint64_t end_ns = (uint64_t)(row + 1) * m->config.sample_ns;
    if (end_ns > m->config.duration_ns && m->config.duration_ns > (uint64_t)row * m->config.sample_ns)
        end_ns = m->config.duration_ns;
    return end_ns;
}

static int metrics_span_push(metrics_span_list *list, metrics_span span) {
    if (list->count == list->cap) {
        if (list->cap == METRICS_SPANS_MAX) return -1;
        uint32_t cap = list->cap == 0 ? 4 : list->cap * 2;
        metrics_span *items = realloc(list->items, cap * sizeof *items);
        if (items == NULL) return -1;
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = span;
    return 0;
}

/* ---- create, destroy -------------------------------------------------- */

metrics *metrics_create(const metrics_config *config) {
    assert(config != NULL);
    assert(config->honest_count <= config->node_count);
    assert(config->sample_ns > 0);
    uint64_t rows = config->duration_ns / config->sample_ns + (config->duration_ns % config->sample_ns != 0);
    if (rows == 0) rows = 1; /* a run of no length still has its one row */
    if (rows > METRICS_SAMPLES_MAX) {
        errno = EINVAL; /* the sample interval is too fine for the run */
        return NULL;
    }
    metrics *m = calloc(1, sizeof *m);
    if (m == NULL) return NULL;
    m->config = *config;
    m->sample_count = (uint32_t)rows;
    m->row_scores.random = METRICS_RESERVOIR_SEED;
    m->attacker_count = config->node_count - config->honest_count;
    uint32_t peer_size = metrics_table_size(config->node_count);
    m->peer_mask = peer_size - 1;
    m->nodes = calloc(config->honest_count ? config->honest_count : 1, sizeof *m->nodes);
    m->attacker_ids = calloc(m->attacker_count ? m->attacker_count : 1, sizeof *m->attacker_ids);
    m->graylisted_ns = malloc((m->attacker_count ? m->attacker_count : 1) * sizeof *m->graylisted_ns);
    m->peer_table = calloc(peer_size, sizeof *m->peer_table);
    m->samples = calloc(rows, sizeof *m->samples);
    m->message_table = calloc(METRICS_TABLE_MIN, sizeof *m->message_table);
    m->message_mask = METRICS_TABLE_MIN - 1;
    m->links = (metrics_link_table){.items = calloc(METRICS_TABLE_MIN, sizeof(metrics_link)),
                                    .mask = METRICS_TABLE_MIN - 1};
    m->mesh = (metrics_link_table){.items = calloc(METRICS_TABLE_MIN, sizeof(metrics_link)),
                                   .mask = METRICS_TABLE_MIN - 1};
    if (m->nodes == NULL || m->attacker_ids == NULL || m->graylisted_ns == NULL || m->peer_table == NULL ||
        m->samples == NULL || m->message_table == NULL || m->links.items == NULL || m->mesh.items == NULL) {
        metrics_destroy(m);
        return NULL;
    }
    for (uint32_t i = 0; i < m->attacker_count; i++) m->graylisted_ns[i] = METRICS_OPEN;
    return m;
}

void metrics_destroy(metrics *m) {
    if (m == NULL) return;
    for (uint32_t i = 0; m->nodes != NULL && i < m->config.honest_count; i++) {
        free(m->nodes[i].online_spans.items);
        free(m->nodes[i].subscriptions.items);
    }
    for (uint32_t i = 0; i < m->message_count; i++) {
        free(m->messages[i].id);
        free(m->messages[i].hops);
        free(m->messages[i].latencies_us);
    }
    for (uint32_t i = 0; i < m->topic_count; i++) free(m->topics[i]);
    free(m->nodes);
    free(m->peer_table);
    free(m->messages);
    free(m->message_table);
    free(m->links.items);
    free(m->mesh.items);
    free(m->attacker_ids);
    free(m->graylisted_ns);
    free(m->samples);
    free(m->latencies_sorted);
    free(m->row_scores.items);
    free(m);
}

/* ---- lookups ---------------------------------------------------------- */

/* The index of topic, interned on first sight when add is set; or
 * METRICS_TOPIC_NONE (no topic, or past METRICS_TOPICS_MAX). */
static uint32_t metrics_topic(metrics *m, const char *topic, bool add) {
    if (topic == NULL) return METRICS_TOPIC_NONE;
    for (uint32_t i = 0; i < m->topic_count; i++)
        if (strcmp(m->topics[i], topic) == 0) return i;
    if (!add || m->topic_count == METRICS_TOPICS_MAX) return METRICS_TOPIC_NONE;
    size_t len = strlen(topic);
    char *copy = malloc(len + 1);
    if (copy == NULL) return METRICS_TOPIC_NONE;
    memcpy(copy, topic, len + 1);
    m->topics[m->topic_count] = copy;
    return m->topic_count++;
}

/* The id a node's node_up carried; len 0 until then. */
static peer_id *metrics_id_of(const metrics *m, uint32_t node) {
    assert(node < m->config.node_count);
    return metrics_honest(m, node) ? &m->nodes[node].id : &m->attacker_ids[node - m->config.honest_count];
}

/* The node, honest or attacker, whose node_up carried this peer id, or -1. */
static int64_t metrics_node_of_peer(const metrics *m, const uint8_t *peer, size_t len) {
    if (peer == NULL || len == 0 || len > PEER_ID_MAX_BYTES) return -1;
    for (uint32_t i = (uint32_t)metrics_hash(peer, len) & m->peer_mask;; i = (i + 1) & m->peer_mask) {
        uint32_t slot = m->peer_table[i];
        if (slot == 0) return -1;
        const peer_id *id = metrics_id_of(m, slot - 1);
        if (id->len == len && memcmp(id->bytes, peer, len) == 0) return slot - 1;
    }
}

/* The honest node whose node_up carried this peer id, or -1. */
static int64_t metrics_honest_of_peer(const metrics *m, const uint8_t *peer, size_t len) {
    int64_t node = metrics_node_of_peer(m, peer, len);
    return node >= 0 && metrics_honest(m, (uint32_t)node) ? node : -1;
}

/* An attacker's index among the attackers, or -1 for an honest or
 * unknown peer (which counts as honest). */
static int64_t metrics_attacker_of_peer(const metrics *m, const uint8_t *peer, size_t len) {
    int64_t node = metrics_node_of_peer(m, peer, len);
    return node >= 0 && !metrics_honest(m, (uint32_t)node) ? node - m->config.honest_count : -1;
}

static void metrics_learn_peer(metrics *m, uint32_t node, const uint8_t *peer, size_t len) {
    peer_id *id = metrics_id_of(m, node);
    if (id->len != 0 || peer == NULL || len == 0 || len > PEER_ID_MAX_BYTES) return;
    if (metrics_node_of_peer(m, peer, len) >= 0) return; /* the first claim of an id stands */
    memcpy(id->bytes, peer, len);
    id->len = len;
    uint32_t i = (uint32_t)metrics_hash(peer, len) & m->peer_mask;
    while (m->peer_table[i] != 0) i = (i + 1) & m->peer_mask;
    m->peer_table[i] = node + 1; /* at most node_count entries: the table has room */
}

static int64_t metrics_message_find(const metrics *m, const uint8_t *id, size_t len) {
    if (id == NULL || len == 0) return -1;
    for (uint32_t i = (uint32_t)metrics_hash(id, len) & m->message_mask;; i = (i + 1) & m->message_mask) {
        uint32_t slot = m->message_table[i];
        if (slot == 0) return -1;
        const metrics_message *msg = &m->messages[slot - 1];
        if (msg->id_len == len && memcmp(msg->id, id, len) == 0) return slot - 1;
    }
}

static void metrics_message_table_insert(uint32_t *table, uint32_t mask, const metrics_message *msg,
                                         uint32_t index) {
    uint32_t i = (uint32_t)metrics_hash(msg->id, msg->id_len) & mask;
    while (table[i] != 0) i = (i + 1) & mask;
    table[i] = index + 1;
}

static int metrics_message_table_grow(metrics *m) {
    uint32_t size = metrics_table_size((uint64_t)m->message_count + 1);
    if (size <= m->message_mask + 1) return 0;
    uint32_t *table = calloc(size, sizeof *table);
    if (table == NULL) return -1;
    for (uint32_t i = 0; i < m->message_count; i++) metrics_message_table_insert(table, size - 1, &m->messages[i], i);
    free(m->message_table);
    m->message_table = table;
    m->message_mask = size - 1;
    return 0;
}

/* ---- (node, peer) tables: connections, mesh peers --------------------- */

static uint64_t metrics_peer_hash(const trace_event *e) {
    return metrics_hash(e->peer, e->peer == NULL ? 0 : e->peer_len);
}

static metrics_link *metrics_link_find(metrics_link_table *t, uint32_t node, uint32_t epoch, uint64_t peer_hash) {
    for (uint32_t i = (uint32_t)(peer_hash ^ node * 0x9e3779b1u) & t->mask;; i = (i + 1) & t->mask) {
        metrics_link *link = &t->items[i];
        if (!link->used) return link;
        if (link->peer_hash == peer_hash && link->node == node && link->epoch == epoch) return link;
    }
}

/* Rebuilds the table with only the entries that still count: those at 0
 * (closed connections, pruned peers) and of nodes' earlier lives go. */
static int metrics_links_rebuild(metrics *m, metrics_link_table *t) {
    uint64_t live = 0;
    for (uint32_t i = 0; i <= t->mask; i++) {
        const metrics_link *l = &t->items[i];
        live += l->used && l->count > 0 && l->epoch == m->nodes[l->node].epoch;
    }
    uint32_t size = metrics_table_size(2 * live + 1);
    metrics_link_table old = *t;
    t->items = calloc(size, sizeof *t->items);
    if (t->items == NULL) {
        *t = old;
        return -1;
    }
    t->mask = size - 1;
    t->used = 0;
    for (uint32_t i = 0; i <= old.mask; i++) {
        const metrics_link *l = &old.items[i];
        if (!l->used || l->count == 0 || l->epoch != m->nodes[l->node].epoch) continue;
        *metrics_link_find(t, l->node, l->epoch, l->peer_hash) = *l;
        t->used++;
    }
    free(old.items);
    return 0;
}

/* The entry of (node, the event's peer) in the node's present life, new
 * with count 0 if there was none; NULL when the table cannot grow. The
 * load stays at most 1/2, so a find always ends. */
static metrics_link *metrics_link_get(metrics *m, metrics_link_table *t, uint32_t node, const trace_event *e) {
    if ((uint64_t)(t->used + 1) * 2 > (uint64_t)t->mask + 1 && metrics_links_rebuild(m, t) != 0) return NULL;
    uint32_t epoch = m->nodes[node].epoch;
    uint64_t hash = metrics_peer_hash(e);
    metrics_link *link = metrics_link_find(t, node, epoch, hash);
    if (!link->used) {
        *link = (metrics_link){.peer_hash = hash, .node = node, .epoch = epoch, .count = 0, .used = true};
        t->used++;
    }
    assert((uint64_t)t->used * 2 <= (uint64_t)t->mask + 1);
    return link;
}

static void metrics_add_peer(metrics *m, uint32_t node, const trace_event *e) {
    metrics_link *link = metrics_link_get(m, &m->links, node, e);
    if (link == NULL) return;
    link->count++;
    m->nodes[node].connections++;
    m->connections++;
}

/* A remove_peer counts only against a connection that add_peer counted: the
 * node also traces remove_peer for connections that never became pubsub
 * peers. */
static void metrics_remove_peer(metrics *m, uint32_t node, const trace_event *e) {
    metrics_node *n = &m->nodes[node];
    metrics_link *link = metrics_link_find(&m->links, node, n->epoch, metrics_peer_hash(e));
    if (!link->used || link->count == 0) return;
    assert(n->connections > 0);
    assert(m->connections > 0);
    link->count--;
    n->connections--;
    m->connections--;
}

/* With an attack: the peer joins the node's mesh multiset, classed now
 * (when it is not there already) as attacker or honest. */
static void metrics_mesh_graft(metrics *m, uint32_t node, const trace_event *e) {
    metrics_link *link = metrics_link_get(m, &m->mesh, node, e);
    if (link == NULL) return;
    if (link->count == 0) link->attacker = metrics_attacker_of_peer(m, e->peer, e->peer_len) >= 0;
    link->count++;
    metrics_node *n = &m->nodes[node];
    n->mesh_peers++;
    n->mesh_attackers += link->attacker;
    assert(n->mesh_attackers <= n->mesh_peers);
}

/* With an attack: one of the peer leaves the multiset; a prune of a peer
 * that is not there changes nothing. */
static void metrics_mesh_prune(metrics *m, uint32_t node, const trace_event *e) {
    metrics_node *n = &m->nodes[node];
    metrics_link *link = metrics_link_find(&m->mesh, node, n->epoch, metrics_peer_hash(e));
    if (!link->used || link->count == 0) return;
    assert(n->mesh_peers > 0);
    assert(n->mesh_attackers >= link->attacker);
    link->count--;
    n->mesh_peers--;
    n->mesh_attackers -= link->attacker;
}

/* ---- nodes: online and subscription spans ----------------------------- */

static void metrics_node_up(metrics *m, uint32_t node, const trace_event *e) {
    metrics_node *n = &m->nodes[node];
    metrics_learn_peer(m, node, e->peer, e->peer_len);
    if (n->online) return;
    if (metrics_span_push(&n->online_spans, (metrics_span){m->now_ns, METRICS_OPEN, METRICS_TOPIC_NONE}) != 0) return;
    n->online = true;
    m->online_nodes++;
}

/* The node's process ends: it comes back fresh, with no subscriptions,
 * connections or mesh. */
static void metrics_node_down(metrics *m, uint32_t node) {
    metrics_node *n = &m->nodes[node];
    if (n->online) {
        assert(n->online_spans.count > 0);
        assert(m->online_nodes > 0);
        n->online_spans.items[n->online_spans.count - 1].until_ns = m->now_ns;
        n->online = false;
        m->online_nodes--;
    }
    for (uint32_t i = 0; i < n->subscriptions.count; i++)
        if (n->subscriptions.items[i].until_ns == METRICS_OPEN) n->subscriptions.items[i].until_ns = m->now_ns;
    m->connections -= n->connections;
    n->connections = 0;
    n->epoch++;
    m->mesh_total -= n->mesh_degree;
    n->mesh_degree = 0;
    n->mesh_peers = 0; /* the epoch voids the multiset's entries */
    n->mesh_attackers = 0;
    n->subscribed_topics = 0;
}

static metrics_span *metrics_open_subscription(metrics_node *n, uint32_t topic) {
    for (uint32_t i = n->subscriptions.count; i-- > 0;) {
        metrics_span *s = &n->subscriptions.items[i];
        if (s->topic == topic && s->until_ns == METRICS_OPEN) return s;
    }
    return NULL;
}

static void metrics_join(metrics *m, uint32_t node, const trace_event *e) {
    uint32_t topic = metrics_topic(m, e->topic, true);
    metrics_node *n = &m->nodes[node];
    if (topic == METRICS_TOPIC_NONE || metrics_open_subscription(n, topic) != NULL) return;
    if (metrics_span_push(&n->subscriptions, (metrics_span){m->now_ns, METRICS_OPEN, topic}) != 0) return;
    n->subscribed_topics++;
}

static void metrics_leave(metrics *m, uint32_t node, const trace_event *e) {
    uint32_t topic = metrics_topic(m, e->topic, false);
    if (topic == METRICS_TOPIC_NONE) return;
    metrics_node *n = &m->nodes[node];
    metrics_span *s = metrics_open_subscription(n, topic);
    if (s == NULL) return;
    s->until_ns = m->now_ns;
    assert(n->subscribed_topics > 0);
    n->subscribed_topics--;
}

/* Online and subscribed to topic throughout [from, until], ends included. */
static bool metrics_node_eligible(const metrics_node *n, uint32_t topic, uint64_t from, uint64_t until) {
    bool online = false, subscribed = false;
    for (uint32_t i = 0; i < n->online_spans.count && !online; i++) {
        const metrics_span *s = &n->online_spans.items[i];
        online = s->from_ns <= from && s->until_ns >= until;
    }
    for (uint32_t i = 0; i < n->subscriptions.count && online && !subscribed; i++) {
        const metrics_span *s = &n->subscriptions.items[i];
        subscribed = s->topic == topic && s->from_ns <= from && s->until_ns >= until;
    }
    return online && subscribed;
}

/* ---- messages --------------------------------------------------------- */

static int metrics_message_reserve(metrics *m) {
    if (m->message_count < m->message_cap) return 0;
    uint32_t cap = m->message_cap == 0 ? 64 : m->message_cap * 2;
    if (cap > METRICS_MESSAGES_MAX) cap = METRICS_MESSAGES_MAX;
    metrics_message *messages = realloc(m->messages, cap * sizeof *messages);
    if (messages == NULL) return -1;
    m->messages = messages;
    m->message_cap = cap;
    return 0;
}

static void metrics_publish(metrics *m, uint32_t node, const trace_event *e) {
    if (e->msg_id == NULL || e->msg_id_len == 0 || metrics_message_find(m, e->msg_id, e->msg_id_len) >= 0) return;
    m->summary.messages_published++;
    size_t honest = m->config.honest_count;
    if (m->message_count == METRICS_MESSAGES_MAX || metrics_message_reserve(m) != 0 ||
        metrics_message_table_grow(m) != 0) {
        m->messages_untracked++;
        return;
    }
    metrics_message *msg = &m->messages[m->message_count];
    *msg = (metrics_message){.id_len = (uint32_t)e->msg_id_len, .topic = metrics_topic(m, e->topic, true),
                             .publisher = node, .publish_ns = m->now_ns, .size_bytes = e->size_bytes};
    msg->id = malloc(e->msg_id_len);
    msg->hops = calloc(honest + (honest + 7) / 8, 1); /* hop bytes, then the on-time bits */
    if (msg->id == NULL || msg->hops == NULL) {
        free(msg->id);
        free(msg->hops);
        m->messages_untracked++;
        return;
    }
    memcpy(msg->id, e->msg_id, e->msg_id_len);
    msg->on_time = msg->hops + honest;
    msg->hops[node] = 1; /* the publisher: 0 hops */
    metrics_message_table_insert(m->message_table, m->message_mask, msg, m->message_count);
    m->message_count++;
}

static int metrics_latency_push(metrics_message *msg, uint64_t latency_ns) {
    if (msg->latency_count == msg->latency_cap) {
        uint32_t cap = msg->latency_cap == 0 ? 16 : msg->latency_cap * 2;
        uint32_t *items = realloc(msg->latencies_us, cap * sizeof *items);
        if (items == NULL) return -1;
        msg->latencies_us = items;
        msg->latency_cap = cap;
    }
    uint64_t us = latency_ns / NS_PER_US;
    msg->latencies_us[msg->latency_count++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    if (latency_ns > msg->latency_ns_max) msg->latency_ns_max = latency_ns;
    return 0;
}

/* The hop byte of a node that got msg first from peer. */
static uint8_t metrics_hops_from(metrics *m, const metrics_message *msg, const trace_event *e) {
    int64_t sender = metrics_honest_of_peer(m, e->peer, e->peer_len);
    uint8_t sender_hops = sender < 0 ? 0 : msg->hops[sender];
    if (sender_hops == 0 || sender_hops == METRICS_HOPS_UNKNOWN) {
        m->hops_unknown++;
        return METRICS_HOPS_UNKNOWN;
    }
    uint32_t hops = sender_hops; /* the sender's hops + 1 */
    if (hops > METRICS_HOPS_MAX) hops = METRICS_HOPS_MAX;
    m->hops_sum += hops;
    m->hops_known++;
    if (hops > m->summary.hops_max) m->summary.hops_max = hops;
    return (uint8_t)(hops + 1);
}

static void metrics_deliver(metrics *m, uint32_t node, const trace_event *e) {
    if (e->peer == NULL || e->peer_len == 0) return; /* the publisher's own delivery */
    m->summary.deliveries++;
    m->summary.payload_bytes_delivered += e->size_bytes;
    m->samples[m->sample_current].deliveries++;
    int64_t index = metrics_message_find(m, e->msg_id, e->msg_id_len);
    if (index < 0) return;
    metrics_message *msg = &m->messages[index];
    if (msg->hops[node] != 0) { /* not its first delivery here: the app saw it twice */
        m->summary.redeliveries++;
        return;
    }
    assert(m->now_ns >= msg->publish_ns);
    uint64_t latency_ns = m->now_ns - msg->publish_ns;
    if (metrics_latency_push(msg, latency_ns) != 0) return;
    msg->hops[node] = metrics_hops_from(m, msg, e);
    if (latency_ns <= m->config.deadline_ns) msg->on_time[node / 8] |= (uint8_t)(1u << node % 8);
    else m->late_deliveries++;
}

static void metrics_duplicate(metrics *m, const trace_event *e) {
    m->summary.duplicates++;
    m->samples[m->sample_current].duplicates++;
    int64_t index = metrics_message_find(m, e->msg_id, e->msg_id_len);
    if (index >= 0) m->messages[index].duplicates++;
}

/* ---- events ----------------------------------------------------------- */

/* With an attack: the share of online subscribed nodes whose mesh is all
 * attackers, and the mean attackers' share of online nodes' meshes. */
static void metrics_read_attack_gauges(const metrics *m, metrics_gauges *g) {
    uint64_t subscribed = 0, occupied = 0, with_mesh = 0;
    double share_sum = 0.0;
    for (uint32_t i = 0; i < m->config.honest_count; i++) {
        const metrics_node *n = &m->nodes[i];
        if (!n->online) continue;
        assert(n->mesh_attackers <= n->mesh_peers);
        bool all_attackers = n->mesh_peers > 0 && n->mesh_attackers == n->mesh_peers;
        subscribed += n->subscribed_topics > 0;
        occupied += n->subscribed_topics > 0 && all_attackers;
        if (n->mesh_peers == 0) continue;
        with_mesh++;
        share_sum += (double)n->mesh_attackers / (double)n->mesh_peers;
    }
    g->has_occupied = subscribed > 0;
    g->mesh_occupied_share = subscribed == 0 ? 0.0 : (double)occupied / (double)subscribed;
    g->has_attacker_mesh = with_mesh > 0;
    g->attacker_mesh_share = with_mesh == 0 ? 0.0 : share_sum / (double)with_mesh;
}

/* The gauges now. Mesh min, max and mean are over the online nodes that
 * are subscribed to some topic: one pass over the honest nodes. */
static void metrics_read_gauges(const metrics *m, metrics_gauges *g) {
    *g = (metrics_gauges){.online_nodes = m->online_nodes, .connections = m->connections,
                          .mesh_degree_mean = m->online_nodes == 0 ? 0.0 : (double)m->mesh_total / m->online_nodes,
                          .mesh_degree_min = UINT32_MAX};
    uint64_t subscribed = 0, degree_sum = 0;
    for (uint32_t i = 0; i < m->config.honest_count; i++) {
        const metrics_node *n = &m->nodes[i];
        if (!n->online || n->subscribed_topics == 0) continue;
        subscribed++;
        degree_sum += n->mesh_degree;
        if (n->mesh_degree < g->mesh_degree_min) g->mesh_degree_min = n->mesh_degree;
        if (n->mesh_degree > g->mesh_degree_max) g->mesh_degree_max = n->mesh_degree;
    }
    g->has_mesh_range = subscribed > 0;
    if (!g->has_mesh_range) g->mesh_degree_min = 0;
    g->mesh_degree_mean_subscribed = subscribed == 0 ? 0.0 : (double)degree_sum / (double)subscribed;
    if (m->config.attack) metrics_read_attack_gauges(m, g);
}

/* The summary of the row's scores; the buffer then starts afresh. Rows
 * close in order, so the summary's scores end up those of the last row
 * that had any. */
static void metrics_close_row_scores(metrics *m, metrics_sample *s) {
    metrics_row_scores *r = &m->row_scores;
    if (r->seen == 0) return;
    assert(r->count > 0 && r->count <= r->seen);
    qsort(r->items, r->count, sizeof *r->items, metrics_compare_double);
    s->score_samples = r->seen;
    s->score_p10 = r->items[metrics_rank_index(r->count, 10)];
    s->score_p50 = r->items[metrics_rank_index(r->count, 50)];
    s->score_p90 = r->items[metrics_rank_index(r->count, 90)];
    s->score_min = r->min;
    assert(s->score_min <= s->score_p10);
    m->summary.score_samples = s->score_samples;
    m->summary.score_p10 = s->score_p10;
    m->summary.score_p50 = s->score_p50;
    m->summary.score_min = s->score_min;
    r->count = 0;
    r->seen = 0;
}

/* Gauges are read at the end of each interval. */
static void metrics_close_row(metrics *m, uint32_t row, const metrics_gauges *g) {
    assert(row < m->sample_count);
    metrics_sample *s = &m->samples[row];
    s->online_nodes = g->online_nodes;
    s->connections = g->connections;
    s->mesh_degree_mean = g->mesh_degree_mean;
    s->has_mesh_range = g->has_mesh_range;
    s->mesh_degree_min = g->mesh_degree_min;
    s->mesh_degree_max = g->mesh_degree_max;
    s->mesh_degree_mean_subscribed = g->mesh_degree_mean_subscribed;
    s->has_occupied = g->has_occupied;
    s->mesh_occupied_share = g->mesh_occupied_share;
    s->has_attacker_mesh = g->has_attacker_mesh;
    s->attacker_mesh_share = g->attacker_mesh_share;
    /* Rows that end after the start saw some of the attack. */
    metrics_summary *sum = &m->summary;
    if (g->has_occupied && metrics_row_end_ns(m, row) > m->config.attack_start_ns &&
        g->mesh_occupied_share > sum->attack_mesh_occupied_share_max)
        sum->attack_mesh_occupied_share_max = g->mesh_occupied_share;
    assert(row == m->sample_current); /* the buffered scores are this row's */
    metrics_close_row_scores(m, s);
}

/* Closes the rows before the one that holds now. Nothing happens between
 * them, so the gauges are read once for all. */
static void metrics_advance(metrics *m, uint64_t now_ns) {
    uint64_t row = now_ns / m->config.sample_ns;
    if (row >= m->sample_count) row = m->sample_count - 1;
    if (m->sample_current >= row) return;
    metrics_gauges g;
    metrics_read_gauges(m, &g);
    for (; m->sample_current < row; m->sample_current++) metrics_close_row(m, m->sample_current, &g);
}

static void metrics_on_rpc_sent(metrics *m, const trace_event *e) {
    metrics_summary *sum = &m->summary;
    metrics_sample *row = &m->samples[m->sample_current];
    sum->bytes_sent += e->size_bytes;
    sum->payload_bytes_sent += e->payload_bytes;
    sum->ihave_ids_sent += e->ihave_ids;
    sum->iwant_ids_sent += e->iwant_ids;
    sum->idontwant_ids_sent += e->idontwant_ids;
    sum->grafts_sent += e->grafts;
    sum->prunes_sent += e->prunes;
    sum->control_bytes_sent += e->control_bytes;
    row->bytes_sent += e->size_bytes;
    row->payload_bytes_sent += e->payload_bytes;
    row->control_bytes += e->control_bytes;
    row->ihave_ids += e->ihave_ids;
    row->iwant_ids += e->iwant_ids;
}

static int metrics_scores_grow(metrics_row_scores *r) {
    if (r->cap == METRICS_ROW_SCORES_MAX) return -1;
    uint32_t cap = r->cap == 0 ? METRICS_ROW_SCORES_MIN : r->cap * 2;
    if (cap > METRICS_ROW_SCORES_MAX) cap = METRICS_ROW_SCORES_MAX;
    double *items = realloc(r->items, cap * sizeof *items);
    if (items == NULL) return -1; /* out of memory: the reservoir makes do with what it has */
    r->items = items;
    r->cap = cap;
    return 0;
}

/* A score of the current row: kept while there is room, else it replaces
 * a kept one with probability count / seen (Algorithm R), so that the
 * kept ones stay a uniform sample of the row. */
static void metrics_score_push(metrics *m, double score) {
    metrics_row_scores *r = &m->row_scores;
    if (r->seen == 0 || score < r->min) r->min = score;
    r->seen++;
    if (r->count < r->cap || metrics_scores_grow(r) == 0) {
        r->items[r->count++] = score;
        return;
    }
    if (r->count == 0) return; /* not even one slot: only min and seen */
    uint64_t slot = metrics_random(&r->random) % r->seen; /* % is biased by under seen / 2^64: nothing */
    if (slot < r->count) r->items[slot] = score;
}

/* A peer_score at an honest node: kept when the scored peer is honest
 * too. A score that is not finite says nothing a percentile can use. */
static void metrics_peer_score(metrics *m, const trace_event *e) {
    if (!isfinite(e->score)) return;
    if (metrics_honest_of_peer(m, e->peer, e->peer_len) < 0) return; /* an attacker, or no node_up seen */
    metrics_score_push(m, e->score);
}

/* A drop_rpc at an honest node: the first graylisting of each attacker is
 * kept. */
static void metrics_drop_rpc(metrics *m, const trace_event *e) {
    if (e->reason == NULL || strcmp(e->reason, METRICS_GRAYLIST_REASON) != 0) return;
    int64_t attacker = metrics_attacker_of_peer(m, e->peer, e->peer_len);
    if (attacker < 0 || m->graylisted_ns[attacker] != METRICS_OPEN) return;
    m->graylisted_ns[attacker] = m->now_ns;
}

/* What an attacker's own events tell: its peer id, and its bytes. Nodes
 * past node_count are no one the run knows. */
static void metrics_on_attacker_event(metrics *m, const trace_event *e) {
    if (e->node_index >= m->config.node_count) return;
    if (e->kind == TRACE_NODE_UP) metrics_learn_peer(m, e->node_index, e->peer, e->peer_len);
    else if (e->kind == TRACE_SEND_RPC && m->config.attack) m->summary.attack_attacker_bytes += e->size_bytes;
}

/* graft and prune: the plain degree always, the multiset with an attack. */
static void metrics_graft(metrics *m, uint32_t node, const trace_event *e) {
    m->nodes[node].mesh_degree++;
    m->mesh_total++;
    if (m->config.attack) metrics_mesh_graft(m, node, e);
}

static void metrics_prune(metrics *m, uint32_t node, const trace_event *e) {
    metrics_node *n = &m->nodes[node];
    if (m->config.attack) metrics_mesh_prune(m, node, e);
    if (n->mesh_degree == 0) return; /* a prune of a graft we did not see */
    n->mesh_degree--;
    m->mesh_total--;
}

void metrics_on_event(metrics *m, const trace_event *e) {
    assert(m != NULL && e != NULL);
    assert(!m->finished);
    assert(e->kind < TRACE_KIND_COUNT);
    m->summary.events++;
    m->summary.peer_score_events += e->kind == TRACE_PEER_SCORE;
    if (e->time_ns > m->now_ns) m->now_ns = e->time_ns; /* a late event is taken as now */
    metrics_advance(m, m->now_ns);
    if (!metrics_honest(m, e->node_index)) {
        metrics_on_attacker_event(m, e);
        return;
    }
    uint32_t node = e->node_index;
    switch (e->kind) {
    case TRACE_PUBLISH_MESSAGE: metrics_publish(m, node, e); break;
    case TRACE_DELIVER_MESSAGE: metrics_deliver(m, node, e); break;
    case TRACE_DUPLICATE_MESSAGE: metrics_duplicate(m, e); break;
    case TRACE_REJECT_MESSAGE: m->summary.rejections++; break;
    case TRACE_SEND_RPC: metrics_on_rpc_sent(m, e); break;
    case TRACE_JOIN: metrics_join(m, node, e); break;
    case TRACE_LEAVE: metrics_leave(m, node, e); break;
    case TRACE_GRAFT: metrics_graft(m, node, e); break;
    case TRACE_PRUNE: metrics_prune(m, node, e); break;
    case TRACE_DROP_RPC: metrics_drop_rpc(m, e); break;
    case TRACE_ADD_PEER: metrics_add_peer(m, node, e); break;
    case TRACE_REMOVE_PEER: metrics_remove_peer(m, node, e); break;
    case TRACE_NODE_UP: metrics_node_up(m, node, e); break;
    case TRACE_NODE_DOWN: metrics_node_down(m, node); break;
    case TRACE_PEER_SCORE: metrics_peer_score(m, e); break;
    default: break; /* recv_rpc: counted in events only */
    }
}

/* ---- finish ----------------------------------------------------------- */

static uint32_t metrics_row_of(const metrics *m, uint64_t time_ns) {
    uint64_t row = time_ns / m->config.sample_ns;
    return row >= m->sample_count ? m->sample_count - 1 : (uint32_t)row;
}

/* Eligibility and on-time deliveries of one message whose window ended
 * within the run; its publisher is neither. */
static void metrics_finish_eligibility(metrics *m, metrics_message *msg) {
    uint64_t until = msg->publish_ns + m->config.deadline_ns;
    for (uint32_t i = 0; i < m->config.honest_count; i++) {
        if (i == msg->publisher || !metrics_node_eligible(&m->nodes[i], msg->topic, msg->publish_ns, until))
            continue;
        msg->eligible++;
        msg->delivered += (msg->on_time[i / 8] >> (i % 8)) & 1u;
    }
    assert(msg->delivered <= msg->eligible);
}

static void metrics_finish_messages(metrics *m) {
    for (uint32_t i = 0; i < m->message_count; i++) {
        metrics_message *msg = &m->messages[i];
        if (msg->latency_count > 1)
            qsort(msg->latencies_us, msg->latency_count, sizeof *msg->latencies_us, metrics_compare_u32);
        m->latency_total += msg->latency_count;
        if (msg->latency_ns_max > m->latency_ns_max) m->latency_ns_max = msg->latency_ns_max;
        msg->in_ratio = m->config.deadline_ns <= m->end_ns && msg->publish_ns <= m->end_ns - m->config.deadline_ns;
        if (msg->topic == METRICS_TOPIC_NONE || !msg->in_ratio) continue;
        metrics_finish_eligibility(m, msg);
        metrics_sample *row = &m->samples[metrics_row_of(m, msg->publish_ns)];
        row->eligible += msg->eligible;
        row->delivered += msg->delivered;
        m->summary.eligible_pairs += msg->eligible;
        m->summary.delivered_pairs += msg->delivered;
    }
}

/* Copies the latencies of messages [first, last) into out, sorted. */
static uint64_t metrics_gather_latencies(const metrics *m, uint32_t first, uint32_t last, uint32_t *out) {
    uint64_t count = 0;
    for (uint32_t i = first; i < last; i++) {
        const metrics_message *msg = &m->messages[i];
        if (msg->latency_count == 0) continue; /* its array may not exist */
        memcpy(out + count, msg->latencies_us, msg->latency_count * sizeof *out);
        count += msg->latency_count;
    }
    if (count > 1) qsort(out, count, sizeof *out, metrics_compare_u32);
    return count;
}

/* Latency percentiles per row, over the messages published in it: they
 * are contiguous because messages are recorded in time order. */
static void metrics_finish_row_latencies(metrics *m, uint32_t *scratch) {
    for (uint32_t first = 0, last; first < m->message_count; first = last) {
        uint32_t row = metrics_row_of(m, m->messages[first].publish_ns);
        for (last = first + 1; last < m->message_count; last++)
            if (metrics_row_of(m, m->messages[last].publish_ns) != row) break;
        uint64_t count = metrics_gather_latencies(m, first, last, scratch);
        metrics_sample *s = &m->samples[row];
        s->has_latency = count > 0;
        if (!s->has_latency) continue;
        s->latency_ms_p50 = metrics_us_to_ms(metrics_percentile(scratch, count, 50));
        s->latency_ms_p99 = metrics_us_to_ms(metrics_percentile(scratch, count, 99));
    }
}

static int metrics_finish_latencies(metrics *m) {
    m->latencies_sorted = malloc((m->latency_total ? m->latency_total : 1) * sizeof *m->latencies_sorted);
    uint32_t *scratch = malloc((m->latency_total ? m->latency_total : 1) * sizeof *scratch);
    if (m->latencies_sorted == NULL || scratch == NULL) {
        free(scratch);
        free(m->latencies_sorted);
        m->latencies_sorted = NULL;
        m->latency_total = 0;
        return -1;
    }
    uint64_t count = metrics_gather_latencies(m, 0, m->message_count, m->latencies_sorted);
    assert(count == m->latency_total);
    metrics_finish_row_latencies(m, scratch);
    free(scratch);
    metrics_summary *s = &m->summary;
    if (count == 0) return 0;
    s->latency_ms_p50 = metrics_us_to_ms(metrics_percentile(m->latencies_sorted, count, 50));
    s->latency_ms_p90 = metrics_us_to_ms(metrics_percentile(m->latencies_sorted, count, 90));
    s->latency_ms_p99 = metrics_us_to_ms(metrics_percentile(m->latencies_sorted, count, 99));
    return 0;
}

/* Node-time online within [0, end]: the denominator of bandwidth. */
static void metrics_finish_online(metrics *m) {
    for (uint32_t i = 0; i < m->config.honest_count; i++) {
        const metrics_span_list *spans = &m->nodes[i].online_spans;
        for (uint32_t k = 0; k < spans->count; k++) {
            const metrics_span *s = &spans->items[k];
            uint64_t until = s->until_ns < m->end_ns ? s->until_ns : m->end_ns;
            if (until > s->from_ns) m->online_node_ns += until - s->from_ns;
        }
    }
}

static double metrics_ratio(double numerator, double denominator, double if_empty) {
    return denominator > 0 ? numerator / denominator : if_empty;
}

static void metrics_finish_summary(metrics *m) {
    metrics_summary *s = &m->summary;
    s->delivery_ratio = metrics_ratio((double)s->delivered_pairs, (double)s->eligible_pairs, 1.0);
    s->latency_ms_max = m->latency_ns_max / NS_PER_MS_DOUBLE;
    s->duplicates_per_delivery = metrics_ratio((double)s->duplicates, (double)s->deliveries, 0.0);
    s->hops_mean = metrics_ratio((double)m->hops_sum, (double)m->hops_known, 0.0);
    s->bandwidth_bytes_per_node_per_s =
        metrics_ratio((double)s->bytes_sent, m->online_node_ns / NS_PER_S_DOUBLE, 0.0);
    s->amplification = metrics_ratio((double)s->bytes_sent, (double)s->payload_bytes_delivered, 0.0);
    s->control_overhead = metrics_ratio((double)s->bytes_sent - (double)s->payload_bytes_sent,
                                        (double)s->payload_bytes_sent, 0.0);
    s->control_bytes_per_payload_byte =
        metrics_ratio((double)s->control_bytes_sent, (double)s->payload_bytes_sent, 0.0);
}

/* ---- finish: attack measures ------------------------------------------ */

static uint32_t metrics_first_during(const metrics *m) {
    uint32_t first = 0;
    while (first < m->message_count && m->messages[first].publish_ns < m->config.attack_start_ns) first++;
    return first; /* messages are recorded in publish order */
}

/* Counts of the messages before and during the attack, after their
 * eligibility is known. */
static void metrics_finish_parts(metrics *m, uint32_t first_during) {
    for (uint32_t i = 0; i < m->message_count; i++) {
        const metrics_message *msg = &m->messages[i];
        metrics_part *part = &m->parts[i < first_during ? METRICS_BEFORE : METRICS_DURING];
        part->messages++;
        part->in_ratio += msg->in_ratio;
        part->eligible += msg->eligible;
        part->delivered += msg->delivered;
    }
    metrics_summary *s = &m->summary;
    const metrics_part *before = &m->parts[METRICS_BEFORE], *during = &m->parts[METRICS_DURING];
    assert(before->messages + during->messages == m->message_count);
    s->attack_messages_before = before->messages;
    s->attack_messages_during = during->messages;
    s->attack_messages_in_ratio_before = before->in_ratio;
    s->attack_messages_in_ratio_during = during->in_ratio;
    s->attack_eligible_pairs_before = before->eligible;
    s->attack_eligible_pairs_during = during->eligible;
    s->attack_delivered_pairs_before = before->delivered;
    s->attack_delivered_pairs_during = during->delivered;
    s->attack_delivery_ratio_before = metrics_ratio((double)before->delivered, (double)before->eligible, 1.0);
    s->attack_delivery_ratio_during = metrics_ratio((double)during->delivered, (double)during->eligible, 1.0);
}

/* p50 and p99 of each side; out of memory leaves them 0. */
static void metrics_finish_part_latencies(metrics *m, uint32_t first_during) {
    uint32_t *scratch = malloc((m->latency_total ? m->latency_total : 1) * sizeof *scratch);
    if (scratch == NULL) return;
    metrics_summary *s = &m->summary;
    uint64_t count = metrics_gather_latencies(m, 0, first_during, scratch);
    if (count > 0) {
        s->attack_latency_ms_p50_before = metrics_us_to_ms(metrics_percentile(scratch, count, 50));
        s->attack_latency_ms_p99_before = metrics_us_to_ms(metrics_percentile(scratch, count, 99));
    }
    count = metrics_gather_latencies(m, first_during, m->message_count, scratch);
    if (count > 0) {
        s->attack_latency_ms_p50_during = metrics_us_to_ms(metrics_percentile(scratch, count, 50));
        s->attack_latency_ms_p99_during = metrics_us_to_ms(metrics_percentile(scratch, count, 99));
    }
    free(scratch);
}

/* Median (nearest rank) and max of the attackers' times to graylist. */
static void metrics_finish_graylist(metrics *m) {
    metrics_summary *s = &m->summary;
    s->attack_attackers = m->attacker_count;
    uint64_t *times = malloc((m->attacker_count ? m->attacker_count : 1) * sizeof *times);
    if (times == NULL) return; /* out of memory: reported as none graylisted */
    uint32_t count = 0;
    for (uint32_t i = 0; i < m->attacker_count; i++) {
        uint64_t at = m->graylisted_ns[i];
        if (at == METRICS_OPEN) continue;
        times[count++] = at > m->config.attack_start_ns ? at - m->config.attack_start_ns : 0;
    }
    s->attack_attackers_graylisted = count;
    if (count > 0) {
        qsort(times, count, sizeof *times, metrics_compare_u64);
        s->attack_time_to_graylist_s_median = times[metrics_rank_index(count, 50)] / NS_PER_S_DOUBLE;
        s->attack_time_to_graylist_s_max = times[count - 1] / NS_PER_S_DOUBLE;
    }
    free(times);
}

/* After the messages, latencies and rows are done. */
static void metrics_finish_attack(metrics *m) {
    assert(m->config.attack);
    metrics_summary *s = &m->summary;
    s->attack = true;
    uint32_t first_during = metrics_first_during(m);
    metrics_finish_parts(m, first_during);
    metrics_finish_part_latencies(m, first_during);
    metrics_finish_graylist(m);
    s->attack_mesh_occupied_share_final = m->samples[m->sample_count - 1].mesh_occupied_share;
    s->attack_honest_bytes = s->bytes_sent;
    s->attack_attacker_bytes_per_honest_byte =
        metrics_ratio((double)s->attack_attacker_bytes, (double)s->attack_honest_bytes, 0.0);
}

void metrics_finish(metrics *m, uint64_t end_ns) {
    assert(m != NULL);
    assert(!m->finished);
    m->end_ns = end_ns;
    /* Rows after the last event keep the state it left. */
    metrics_advance(m, UINT64_MAX);
    assert(m->sample_current == m->sample_count - 1);
    metrics_gauges g;
    metrics_read_gauges(m, &g);
    metrics_close_row(m, m->sample_current, &g);
    metrics_finish_messages(m);
    (void)metrics_finish_latencies(m); /* out of memory leaves latencies empty */
    metrics_finish_online(m);
    metrics_finish_summary(m);
    if (m->config.attack) metrics_finish_attack(m);
    m->finished = true;
}

void metrics_get_summary(const metrics *m, metrics_summary *out) {
    assert(m != NULL && out != NULL);
    *out = m->summary;
}

/* ---- outputs ---------------------------------------------------------- */

/* The shortest of %.15g..%.17g that reads back as the same double, so that
 * `swarmlab compare` sees exactly the value computed here. */
static void metrics_put_double(FILE *out, double value) {
    if (!isfinite(value)) {
        fputs("null", out); /* no metric is defined to be infinite; never written in practice */
        return;
    }
    char text[32];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, value);
        if (strtod(text, NULL) == value) break;
    }
    fputs(text, out);
}

static void metrics_put_json_string(FILE *out, const char *text) {
    if (text == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

/* A CSV field, quoted when it holds a separator, a quote or a line break. */
static void metrics_put_csv_string(FILE *out, const char *text) {
    if (text == NULL) return;
    if (strpbrk(text, ",\"\r\n") == NULL) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

static int metrics_close_file(FILE *out) {
    bool failed = ferror(out) != 0;
    int saved = errno;
    if (fclose(out) != 0) return -1;
    if (!failed) return 0;
    errno = saved != 0 ? saved : EIO;
    return -1;
}

static void metrics_json_key(FILE *out, int indent, const char *key) {
    fprintf(out, "%*s\"%s\": ", indent, "", key);
}

static void metrics_json_double(FILE *out, int indent, const char *key, double value, const char *end) {
    metrics_json_key(out, indent, key);
    metrics_put_double(out, value);
    fputs(end, out);
}

static void metrics_json_u64(FILE *out, int indent, const char *key, uint64_t value, const char *end) {
    metrics_json_key(out, indent, key);
    fprintf(out, "%" PRIu64 "%s", value, end);
}

static void metrics_json_parameters(FILE *out, const run_info *info) {
    metrics_json_key(out, 2, "parameters");
    fputs("{", out);
    for (size_t i = 0; i < info->parameter_count; i++) {
        assert(info->parameter_keys[i] != NULL && info->parameter_values_json[i] != NULL);
        fputs(i == 0 ? "\n" : ",\n", out);
        fprintf(out, "%4s", "");
        metrics_put_json_string(out, info->parameter_keys[i]);
        fprintf(out, ": %s", info->parameter_values_json[i]);
    }
    fputs(info->parameter_count > 0 ? "\n  },\n" : "},\n", out);
}

static void metrics_json_counts(FILE *out, const metrics *m) {
    const metrics_summary *s = &m->summary;
    uint64_t in_ratio = 0;
    for (uint32_t i = 0; i < m->message_count; i++) in_ratio += m->messages[i].in_ratio;
    fputs("  \"counts\": {\n", out);
    metrics_json_u64(out, 4, "messages_published", s->messages_published, ",\n");
    metrics_json_u64(out, 4, "messages_in_ratio", in_ratio, ",\n");
    metrics_json_u64(out, 4, "messages_after_cutoff", m->message_count - in_ratio, ",\n");
    metrics_json_u64(out, 4, "messages_untracked", m->messages_untracked, ",\n");
    metrics_json_u64(out, 4, "eligible_pairs", s->eligible_pairs, ",\n");
    metrics_json_u64(out, 4, "delivered_pairs", s->delivered_pairs, ",\n");
    metrics_json_u64(out, 4, "late_deliveries", m->late_deliveries, ",\n");
    metrics_json_u64(out, 4, "latencies", m->latency_total, ",\n");
    metrics_json_u64(out, 4, "deliveries", s->deliveries, ",\n");
    metrics_json_u64(out, 4, "duplicates", s->duplicates, ",\n");
    metrics_json_u64(out, 4, "redeliveries", s->redeliveries, ",\n");
    metrics_json_u64(out, 4, "rejections", s->rejections, ",\n");
    metrics_json_u64(out, 4, "hops_unknown", m->hops_unknown, ",\n");
    metrics_json_u64(out, 4, "bytes_sent", s->bytes_sent, ",\n");
    metrics_json_u64(out, 4, "payload_bytes_sent", s->payload_bytes_sent, ",\n");
    metrics_json_u64(out, 4, "payload_bytes_delivered", s->payload_bytes_delivered, ",\n");
    metrics_json_double(out, 4, "online_node_seconds", m->online_node_ns / NS_PER_S_DOUBLE, ",\n");
    metrics_json_u64(out, 4, "events", s->events, "\n  },\n");
}

static void metrics_json_settings(FILE *out, const metrics *m) {
    fputs("  \"settings\": {\n", out);
    metrics_json_u64(out, 4, "nodes", m->config.node_count, ",\n");
    metrics_json_u64(out, 4, "honest_nodes", m->config.honest_count, ",\n");
    metrics_json_double(out, 4, "deadline_s", m->config.deadline_ns / NS_PER_S_DOUBLE, ",\n");
    metrics_json_double(out, 4, "sample_s", m->config.sample_ns / NS_PER_S_DOUBLE, ",\n");
    metrics_json_double(out, 4, "duration_s", m->end_ns / NS_PER_S_DOUBLE, "\n  },\n");
}

static void metrics_json_measurements(FILE *out, const metrics_summary *s) {
    metrics_json_double(out, 2, "delivery_ratio", s->delivery_ratio, ",\n");
    fputs("  \"latency_ms\": {\n", out);
    metrics_json_double(out, 4, "p50", s->latency_ms_p50, ",\n");
    metrics_json_double(out, 4, "p90", s->latency_ms_p90, ",\n");
    metrics_json_double(out, 4, "p99", s->latency_ms_p99, ",\n");
    metrics_json_double(out, 4, "max", s->latency_ms_max, "\n  },\n");
    metrics_json_double(out, 2, "duplicates_per_delivery", s->duplicates_per_delivery, ",\n");
    fputs("  \"hops\": {\n", out);
    metrics_json_double(out, 4, "mean", s->hops_mean, ",\n");
    metrics_json_u64(out, 4, "max", s->hops_max, "\n  },\n");
    fputs("  \"bandwidth\": {\n", out);
    metrics_json_double(out, 4, "bytes_per_node_per_s", s->bandwidth_bytes_per_node_per_s, ",\n");
    metrics_json_double(out, 4, "amplification", s->amplification, "\n  },\n");
    metrics_json_double(out, 2, "control_overhead", s->control_overhead, ",\n");
}

static void metrics_json_control(FILE *out, const metrics_summary *s) {
    fputs("  \"control\": {\n", out);
    metrics_json_u64(out, 4, "ihave_ids", s->ihave_ids_sent, ",\n");
    metrics_json_u64(out, 4, "iwant_ids", s->iwant_ids_sent, ",\n");
    metrics_json_u64(out, 4, "idontwant_ids", s->idontwant_ids_sent, ",\n");
    metrics_json_u64(out, 4, "grafts", s->grafts_sent, ",\n");
    metrics_json_u64(out, 4, "prunes", s->prunes_sent, ",\n");
    metrics_json_u64(out, 4, "control_bytes", s->control_bytes_sent, ",\n");
    metrics_json_double(out, 4, "control_bytes_per_payload_byte", s->control_bytes_per_payload_byte, "\n  },\n");
}

/* Left out of runs without scoring; samples 0 alone when no score was of
 * an honest node by an honest node. */
static void metrics_json_scores(FILE *out, const metrics_summary *s) {
    if (s->peer_score_events == 0) return;
    fputs("  \"scores\": {\n", out);
    if (s->score_samples == 0) {
        metrics_json_u64(out, 4, "samples", 0, "\n  },\n");
        return;
    }
    metrics_json_u64(out, 4, "samples", s->score_samples, ",\n");
    metrics_json_double(out, 4, "honest_p10", s->score_p10, ",\n");
    metrics_json_double(out, 4, "honest_p50", s->score_p50, ",\n");
    metrics_json_double(out, 4, "honest_min", s->score_min, "\n  },\n");
}

/* A number, or null when there is none. */
static void metrics_json_double_or_null(FILE *out, int indent, const char *key, bool present, double value,
                                        const char *end) {
    metrics_json_key(out, indent, key);
    if (present) metrics_put_double(out, value);
    else fputs("null", out);
    fputs(end, out);
}

static void metrics_json_attack_part(FILE *out, const char *name, uint64_t messages, uint64_t in_ratio,
                                     uint64_t eligible, uint64_t delivered, double ratio, double p50, double p99) {
    fprintf(out, "    \"%s\": {\n", name);
    metrics_json_u64(out, 6, "messages", messages, ",\n");
    metrics_json_u64(out, 6, "messages_in_ratio", in_ratio, ",\n");
    metrics_json_u64(out, 6, "eligible_pairs", eligible, ",\n");
    metrics_json_u64(out, 6, "delivered_pairs", delivered, ",\n");
    metrics_json_double(out, 6, "delivery_ratio", ratio, ",\n");
    fputs("      \"latency_ms\": {\n", out);
    metrics_json_double(out, 8, "p50", p50, ",\n");
    metrics_json_double(out, 8, "p99", p99, "\n      }\n    },\n");
}

/* Only for a run with an attack: its absence says there was none. */
static void metrics_json_attack(FILE *out, const metrics *m) {
    const metrics_summary *s = &m->summary;
    if (!s->attack) return;
    fputs("  \"attack\": {\n", out);
    metrics_json_double(out, 4, "start_s", m->config.attack_start_ns / NS_PER_S_DOUBLE, ",\n");
    metrics_json_attack_part(out, "before", s->attack_messages_before, s->attack_messages_in_ratio_before,
                             s->attack_eligible_pairs_before, s->attack_delivered_pairs_before,
                             s->attack_delivery_ratio_before, s->attack_latency_ms_p50_before,
                             s->attack_latency_ms_p99_before);
    metrics_json_attack_part(out, "during", s->attack_messages_during, s->attack_messages_in_ratio_during,
                             s->attack_eligible_pairs_during, s->attack_delivered_pairs_during,
                             s->attack_delivery_ratio_during, s->attack_latency_ms_p50_during,
                             s->attack_latency_ms_p99_during);
    metrics_json_double(out, 4, "mesh_occupied_share_max", s->attack_mesh_occupied_share_max, ",\n");
    metrics_json_double(out, 4, "mesh_occupied_share_final", s->attack_mesh_occupied_share_final, ",\n");
    metrics_json_u64(out, 4, "attackers", s->attack_attackers, ",\n");
    metrics_json_u64(out, 4, "attackers_graylisted", s->attack_attackers_graylisted, ",\n");
    bool graylisted = s->attack_attackers_graylisted > 0;
    metrics_json_double_or_null(out, 4, "time_to_graylist_s_median", graylisted,
                                s->attack_time_to_graylist_s_median, ",\n");
    metrics_json_double_or_null(out, 4, "time_to_graylist_s_max", graylisted, s->attack_time_to_graylist_s_max,
                                ",\n");
    metrics_json_u64(out, 4, "attacker_bytes", s->attack_attacker_bytes, ",\n");
    metrics_json_u64(out, 4, "honest_bytes", s->attack_honest_bytes, ",\n");
    metrics_json_double(out, 4, "attacker_bytes_per_honest_byte", s->attack_attacker_bytes_per_honest_byte,
                        "\n  },\n");
}

int metrics_write_json(const metrics *m, const run_info *info, const char *path) {
    assert(m != NULL && info != NULL && path != NULL);
    assert(m->finished);
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    fputs("{\n", out);
    metrics_json_key(out, 2, "scenario");
    metrics_put_json_string(out, info->scenario_name);
    fprintf(out, ",\n  \"seed\": %" PRIu64 ",\n", info->seed);
    metrics_json_key(out, 2, "digest");
    metrics_put_json_string(out, info->digest_hex);
    fputs(",\n", out);
    metrics_json_key(out, 2, "router");
    metrics_put_json_string(out, info->router);
    fputs(",\n", out);
    metrics_json_parameters(out, info);
    metrics_json_measurements(out, &m->summary);
    metrics_json_control(out, &m->summary);
    metrics_json_scores(out, &m->summary);
    metrics_json_attack(out, m);
    metrics_json_counts(out, m);
    metrics_json_settings(out, m);
    metrics_json_double(out, 2, "wall_seconds", info->wall_seconds, ",\n");
    metrics_json_u64(out, 2, "events_processed", info->events_processed, "\n}\n");
    return metrics_close_file(out);
}

static void metrics_csv_latency(FILE *out, const metrics_message *msg, unsigned percent) {
    fputc(',', out);
    if (msg->latency_count > 0)
        metrics_put_double(out, metrics_us_to_ms(metrics_percentile(msg->latencies_us, msg->latency_count, percent)));
}

static void metrics_csv_message(FILE *out, const metrics *m, const metrics_message *msg) {
    for (uint32_t k = 0; k < msg->id_len; k++) fprintf(out, "%02x", msg->id[k]);
    fputc(',', out);
    metrics_put_csv_string(out, msg->topic == METRICS_TOPIC_NONE ? NULL : m->topics[msg->topic]);
    fprintf(out, ",%" PRIu32 ",", msg->publisher);
    metrics_put_double(out, msg->publish_ns / NS_PER_S_DOUBLE);
    fprintf(out, ",%" PRIu64 ",", msg->size_bytes);
    if (msg->in_ratio) fprintf(out, "%" PRIu64 ",%" PRIu64, msg->eligible, msg->delivered);
    else fputc(',', out); /* eligibility is undefined for a window cut by the run's end */
    metrics_csv_latency(out, msg, 50);
    metrics_csv_latency(out, msg, 99);
    fputc(',', out);
    if (msg->latency_count > 0) metrics_put_double(out, msg->latency_ns_max / 1e6);
    fprintf(out, ",%" PRIu64 ",%d\n", msg->duplicates, msg->in_ratio ? 1 : 0);
}

int metrics_write_messages_csv(const metrics *m, const char *path) {
    assert(m != NULL && path != NULL);
    assert(m->finished);
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    fputs("msg_id,topic,publisher,publish_time_s,size_bytes,eligible,delivered,"
          "latency_ms_p50,latency_ms_p99,latency_ms_max,duplicates,in_ratio\n",
          out);
    for (uint32_t i = 0; i < m->message_count; i++) metrics_csv_message(out, m, &m->messages[i]);
    return metrics_close_file(out);
}

/* A cell, empty when there is no value. */
static void metrics_csv_double(FILE *out, bool present, double value) {
    fputc(',', out);
    if (present) metrics_put_double(out, value);
}

/* The columns of mesh, control and scores. */
static void metrics_csv_sample_gossip(FILE *out, const metrics_sample *s) {
    if (s->has_mesh_range) fprintf(out, ",%" PRIu32 ",%" PRIu32, s->mesh_degree_min, s->mesh_degree_max);
    else fputs(",,", out);
    metrics_csv_double(out, s->has_mesh_range, s->mesh_degree_mean_subscribed);
    fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, s->control_bytes, s->payload_bytes_sent,
            s->ihave_ids, s->iwant_ids);
    bool scores = s->score_samples > 0;
    metrics_csv_double(out, scores, s->score_p10);
    metrics_csv_double(out, scores, s->score_p50);
    metrics_csv_double(out, scores, s->score_p90);
    metrics_csv_double(out, scores, s->score_min);
}

/* The attack column: empty without an attack or a node with a mesh. */
static void metrics_csv_sample_attack(FILE *out, const metrics *m, const metrics_sample *s) {
    metrics_csv_double(out, m->config.attack && s->has_attacker_mesh, s->attacker_mesh_share);
}

static void metrics_csv_sample(FILE *out, const metrics *m, uint32_t row) {
    const metrics_sample *s = &m->samples[row];
    metrics_put_double(out, metrics_row_end_ns(m, row) / NS_PER_S_DOUBLE);
    fprintf(out, ",%" PRIu32 ",%" PRIu64 ",", s->online_nodes, s->connections);
    metrics_put_double(out, s->mesh_degree_mean);
    fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", s->deliveries, s->duplicates, s->bytes_sent);
    if (s->eligible > 0) metrics_put_double(out, (double)s->delivered / (double)s->eligible);
    fputc(',', out);
    if (s->has_latency) metrics_put_double(out, s->latency_ms_p50);
    fputc(',', out);
    if (s->has_latency) metrics_put_double(out, s->latency_ms_p99);
    metrics_csv_sample_gossip(out, s);
    metrics_csv_sample_attack(out, m, s);
    fputc('\n', out);
}

int metrics_write_timeseries_csv(const metrics *m, const char *path) {
    assert(m != NULL && path != NULL);
    assert(m->finished);
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    fputs("time_s,online_nodes,connections,mesh_degree_mean,deliveries,duplicates,bytes_sent,"
          "delivery_ratio,latency_ms_p50,latency_ms_p99,mesh_degree_min,mesh_degree_max,"
          "mesh_degree_mean_subscribed,control_bytes,payload_bytes_sent,ihave_ids,iwant_ids,"
          "score_p10,score_p50,score_p90,score_min,attacker_mesh_share\n",
          out);
    for (uint32_t row = 0; row < m->sample_count; row++) metrics_csv_sample(out, m, row);
    return metrics_close_file(out);
}

int metrics_write_latencies(const metrics *m, const char *path) {
    assert(m != NULL && path != NULL);
    assert(m->finished);
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    for (uint64_t i = 0; i < m->latency_total; i++) {
        uint32_t us = m->latencies_sorted[i];
        fprintf(out, "%" PRIu32 ".%03" PRIu32 "\n", us / 1000, us % 1000); /* exact ms */
    }
    return metrics_close_file(out);
}
