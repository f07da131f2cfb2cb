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
#include "metrics_internal.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/time_units.h"
#include "crypto/identity.h"

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

static int metrics_compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the index of the smallest value with at least percent% of
 * values at or below it. */
uint64_t metrics_rank_index(uint64_t count, unsigned percent) {
    assert(count > 0);
    assert(percent >= 1 && percent <= 100);
    uint64_t rank = (percent * count + 99) / 100;
    assert(rank >= 1 && rank <= count);
    return rank - 1;
}

uint32_t metrics_percentile(const uint32_t *sorted, uint64_t count, unsigned percent) {
    return sorted[metrics_rank_index(count, percent)];
}

/* splitmix64: small, and good enough to pick reservoir slots. */
static uint64_t metrics_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

double metrics_us_to_ms(uint32_t us) { return us / 1000.0; }

static bool metrics_honest(const metrics *m, uint32_t node) { return node < m->config.honest_count; }

/* The end of a timeseries row; the last one ends with the run. */
uint64_t metrics_row_end_ns(const metrics *m, uint32_t row) {
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
    m->region_latencies = calloc(config->regions.count + 1, sizeof *m->region_latencies);
    m->class_bytes = calloc(config->classes.count + 1, sizeof *m->class_bytes);
    if (m->region_latencies == NULL || m->class_bytes == NULL) {
        metrics_destroy(m);
        return NULL;
    }
    return m;
}

void metrics_destroy(metrics *m) {
    if (m == NULL) return;
    for (uint32_t i = 0; m->region_latencies != NULL && i < m->config.regions.count; i++) free(m->region_latencies[i].us);
    free(m->region_latencies);
    free(m->class_bytes);
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
bool metrics_node_eligible(const metrics_node *n, uint32_t topic, uint64_t from, uint64_t until) {
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

/* The delivery's latency, under the receiver's region. */
static void metrics_region_push(metrics *m, uint32_t node, uint64_t latency_ns) {
    if (m->config.regions.count == 0) return;
    uint32_t region = m->config.regions.of[node];
    assert(region < m->config.regions.count);
    metrics_region_latencies *r = &m->region_latencies[region];
    if (r->count == r->cap) {
        uint64_t cap = r->cap ? 2 * r->cap : 64;
        uint32_t *grown = realloc(r->us, cap * sizeof *grown);
        if (grown == NULL) return; /* out of memory: the sample is left out */
        r->us = grown;
        r->cap = cap;
    }
    uint64_t us = latency_ns / NS_PER_US;
    r->us[r->count++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
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
    metrics_region_push(m, node, latency_ns);
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
void metrics_read_gauges(const metrics *m, metrics_gauges *g) {
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
void metrics_close_row(metrics *m, uint32_t row, const metrics_gauges *g) {
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
void metrics_advance(metrics *m, uint64_t now_ns) {
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
    if (m->config.classes.count > 0 && e->node_index < m->config.node_count)
        m->class_bytes[m->config.classes.of[e->node_index]] += e->size_bytes;
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
    if (e->reason == NULL) return;
    if (m->config.attack && strncmp(e->reason, METRICS_PX_REASON_PREFIX, strlen(METRICS_PX_REASON_PREFIX)) == 0)
        m->summary.attack_px_refused++;
    if (strcmp(e->reason, METRICS_GRAYLIST_REASON) != 0) return;
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

