/* score: GossipSub v1.1 peer scoring, P1 to P7 with decay. See score.h. */
#include "score.h"
#include "base/time_units.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define SCORE_DECAY_FACTOR_ITERATIONS 100 /* bisection steps: far below double precision */

typedef struct score_topic_stats {
    double first_message_deliveries;
    double mesh_message_deliveries;
    double mesh_failure_penalty;
    double invalid_message_deliveries;
    uint64_t graft_ns; /* when the peer entered our mesh, if in_mesh */
    bool in_mesh;
} score_topic_stats;

typedef struct score_peer {
    peer_id id;
    uint32_t handle;  /* meaningful while connected */
    uint32_t ip;      /* 0: unknown, exempt from P6 */
    uint32_t ip_peers; /* connected peers on ip, this one included */
    bool connected;
    uint64_t expire_ns; /* end of retention, when not connected */
    double app_score;
    double behaviour_penalty;
    score_topic_stats topics[SCORE_TOPICS_MAX];
} score_peer;

typedef struct score_topic {
    char name[SCORE_TOPIC_NAME_MAX + 1];
    score_topic_params params;
} score_topic;

struct score {
    score_params params;
    score_topic topics[SCORE_TOPICS_MAX];
    size_t topics_len;
    /* Peers live in peers[0, peers_len); lookups scan, because a gossipsub
     * node keeps tens of peers, and the scan is bounded by peers_max. */
    score_peer *peers;
    size_t peers_len, peers_cap, peers_max;
    uint64_t next_decay_ns;
};

/* ---- decay ---- */

/* (Defaults and validation: score_params.c.) */

/* A decay factor strictly inside (0, 1); NaN fails both comparisons. */
static bool score_decay_ok(double decay) { return decay > 0.0 && decay < 1.0; }

static double score_power(double base, uint64_t exponent) {
    double result = 1.0;
    while (exponent > 0) {
        if (exponent & 1) result *= base;
        base *= base;
        exponent >>= 1;
    }
    return result;
}

/* factor^ticks = decay_to_zero, found by bisection so that the node needs
 * no libm; ticks is rounded down to whole decay steps, which is what the
 * decay loop can actually apply. */
double score_decay_factor(uint64_t decay_ns, uint64_t interval_ns, double decay_to_zero) {
    assert(interval_ns > 0);
    assert(decay_ns >= interval_ns);
    assert(score_decay_ok(decay_to_zero));
    uint64_t ticks = decay_ns / interval_ns;
    double low = 0.0, high = 1.0;
    for (int i = 0; i < SCORE_DECAY_FACTOR_ITERATIONS; i++) {
        double mid = (low + high) / 2.0;
        if (score_power(mid, ticks) < decay_to_zero) low = mid;
        else high = mid;
    }
    return (low + high) / 2.0;
}

/* ---- the tables ---- */

score *score_create(const score_params *params, size_t peers_max, uint64_t now_ns) {
    assert(params != NULL);
    if (score_params_validate(params) != 0) return NULL;
    if (peers_max == 0 || peers_max > SCORE_PEERS_MAX) return NULL;
    score *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    s->peers_cap = peers_max < SCORE_PEERS_INITIAL ? peers_max : SCORE_PEERS_INITIAL;
    s->peers = calloc(s->peers_cap, sizeof *s->peers);
    if (s->peers == NULL) {
        free(s);
        return NULL;
    }
    s->params = *params;
    s->peers_max = peers_max;
    s->next_decay_ns = now_ns + params->decay_interval_ns;
    return s;
}

void score_destroy(score *s) {
    if (s == NULL) return;
    free(s->peers);
    free(s);
}

static int score_topic_index(const score *s, const char *topic) {
    assert(topic != NULL);
    assert(s->topics_len <= SCORE_TOPICS_MAX);
    for (size_t i = 0; i < s->topics_len; i++)
        if (strcmp(s->topics[i].name, topic) == 0) return (int)i;
    return -1;
}

int score_set_topic(score *s, const char *topic, const score_topic_params *params) {
    assert(s != NULL);
    assert(params != NULL);
    if (score_topic_params_validate(params) != 0) return -1;
    size_t len = strnlen(topic, SCORE_TOPIC_NAME_MAX + 1);
    if (len > SCORE_TOPIC_NAME_MAX) return -1;
    int index = score_topic_index(s, topic);
    if (index < 0) {
        if (s->topics_len == SCORE_TOPICS_MAX) return -1;
        /* Peer stats of a fresh index are zero: slots are zeroed when taken
         * and a topic index is never reused. */
        index = (int)s->topics_len++;
        memcpy(s->topics[index].name, topic, len);
        s->topics[index].name[len] = '\0';
    }
    s->topics[index].params = *params;
    return 0;
}

static score_peer *score_find(const score *s, uint32_t handle) {
    assert(s->peers_len <= s->peers_cap);
    for (size_t i = 0; i < s->peers_len; i++)
        if (s->peers[i].connected && s->peers[i].handle == handle) return &s->peers[i];
    return NULL;
}

static score_peer *score_find_retained(const score *s, const peer_id *id) {
    for (size_t i = 0; i < s->peers_len; i++)
        if (!s->peers[i].connected && peer_id_equal(&s->peers[i].id, id)) return &s->peers[i];
    return NULL;
}

/* Removes slot i by moving the last slot into it. */
static void score_forget(score *s, size_t i) {
    assert(i < s->peers_len);
    assert(!s->peers[i].connected);
    s->peers[i] = s->peers[s->peers_len - 1];
    s->peers_len--;
}

/* Forgets the retained peer whose retention ends first; -1 if none. */
static int score_evict_retained(score *s) {
    size_t victim = s->peers_len;
    for (size_t i = 0; i < s->peers_len; i++) {
        if (s->peers[i].connected) continue;
        if (victim == s->peers_len || s->peers[i].expire_ns < s->peers[victim].expire_ns) victim = i;
    }
    if (victim == s->peers_len) return -1;
    score_forget(s, victim);
    return 0;
}

/* A zeroed slot at the end of the table, growing it by doubling. */
static score_peer *score_take_slot(score *s) {
    if (s->peers_len == s->peers_cap && s->peers_cap < s->peers_max) {
        size_t cap = s->peers_cap * 2 < s->peers_max ? s->peers_cap * 2 : s->peers_max;
        score_peer *grown = realloc(s->peers, cap * sizeof *grown);
        if (grown != NULL) {
            s->peers = grown;
            s->peers_cap = cap;
        }
    }
    if (s->peers_len == s->peers_cap && score_evict_retained(s) != 0) return NULL;
    assert(s->peers_len < s->peers_cap);
    score_peer *p = &s->peers[s->peers_len++];
    memset(p, 0, sizeof *p);
    return p;
}

/* Sets ip_peers of every connected peer on ip to their number. */
static void score_recount_ip(score *s, uint32_t ip) {
    if (ip == 0) return;
    uint32_t count = 0;
    for (size_t i = 0; i < s->peers_len; i++)
        if (s->peers[i].connected && s->peers[i].ip == ip) count++;
    for (size_t i = 0; i < s->peers_len; i++)
        if (s->peers[i].connected && s->peers[i].ip == ip) s->peers[i].ip_peers = count;
    assert(count <= s->peers_len);
}

int score_add_peer(score *s, uint32_t peer, const peer_id *id, uint32_t ip, uint64_t now_ns) {
    assert(s != NULL);
    assert(id != NULL);
    (void)now_ns; /* retention is checked at decay, as in go-libp2p-pubsub */
    if (score_find(s, peer) != NULL) return -1;
    score_peer *p = score_find_retained(s, id);
    if (p == NULL) p = score_take_slot(s);
    if (p == NULL) return -1;
    p->id = *id;
    p->handle = peer;
    p->ip = ip;
    p->connected = true;
    p->expire_ns = 0;
    score_recount_ip(s, ip);
    return 0;
}

/* ---- events ---- */

/* The squared delivery deficit of a mesh peer past activation, else 0. */
static double score_deficit_squared(const score_topic_stats *ts, const score_topic_params *tp,
                                    uint64_t now_ns) {
    if (!ts->in_mesh) return 0.0;
    assert(now_ns >= ts->graft_ns);
    if (now_ns - ts->graft_ns <= tp->mesh_message_deliveries_activation_ns) return 0.0;
    if (ts->mesh_message_deliveries >= tp->mesh_message_deliveries_threshold) return 0.0;
    double deficit = tp->mesh_message_deliveries_threshold - ts->mesh_message_deliveries;
    return deficit * deficit;
}

static void score_leave_mesh(score_topic_stats *ts, const score_topic_params *tp, uint64_t now_ns) {
    ts->mesh_failure_penalty += score_deficit_squared(ts, tp, now_ns);
    ts->in_mesh = false;
    ts->graft_ns = 0;
}

void score_remove_peer(score *s, uint32_t peer, uint64_t now_ns) {
    assert(s != NULL);
    score_peer *p = score_find(s, peer);
    if (p == NULL) return;
    for (size_t t = 0; t < s->topics_len; t++)
        if (p->topics[t].in_mesh) score_leave_mesh(&p->topics[t], &s->topics[t].params, now_ns);
    p->connected = false;
    p->expire_ns = now_ns + s->params.retain_score_ns;
    score_recount_ip(s, p->ip);
    p->ip_peers = 0;
    if (s->params.retain_score_ns == 0) score_forget(s, (size_t)(p - s->peers));
}

/* The stats of a connected peer in a configured topic, or NULL. */
static score_topic_stats *score_stats(score *s, uint32_t peer, const char *topic, int *index) {
    score_peer *p = score_find(s, peer);
    if (p == NULL) return NULL;
    *index = score_topic_index(s, topic);
    if (*index < 0) return NULL;
    return &p->topics[*index];
}

void score_graft(score *s, uint32_t peer, const char *topic, uint64_t now_ns) {
    assert(s != NULL);
    int t;
    score_topic_stats *ts = score_stats(s, peer, topic, &t);
    if (ts == NULL || ts->in_mesh) return;
    ts->in_mesh = true;
    ts->graft_ns = now_ns;
}

void score_prune(score *s, uint32_t peer, const char *topic, uint64_t now_ns) {
    assert(s != NULL);
    int t;
    score_topic_stats *ts = score_stats(s, peer, topic, &t);
    if (ts == NULL || !ts->in_mesh) return;
    score_leave_mesh(ts, &s->topics[t].params, now_ns);
}

static void score_increment_capped(double *counter, double cap) {
    *counter += 1.0;
    if (*counter > cap) *counter = cap;
}

void score_deliver_message(score *s, uint32_t peer, const char *topic, score_delivery kind,
                           uint64_t first_seen_ns, uint64_t now_ns) {
    assert(s != NULL);
    assert(now_ns >= first_seen_ns);
    int t;
    score_topic_stats *ts = score_stats(s, peer, topic, &t);
    if (ts == NULL) return;
    const score_topic_params *tp = &s->topics[t].params;
    if (kind == SCORE_DELIVERY_FIRST) {
        score_increment_capped(&ts->first_message_deliveries, tp->first_message_deliveries_cap);
        if (ts->in_mesh) score_increment_capped(&ts->mesh_message_deliveries, tp->mesh_message_deliveries_cap);
        return;
    }
    /* A late duplicate may be our own message echoed back: no credit. */
    if (ts->in_mesh && now_ns - first_seen_ns <= tp->mesh_message_deliveries_window_ns)
        score_increment_capped(&ts->mesh_message_deliveries, tp->mesh_message_deliveries_cap);
}

void score_reject_message(score *s, uint32_t peer, const char *topic, score_rejection why) {
    assert(s != NULL);
    assert(why == SCORE_REJECTION_INVALID || why == SCORE_REJECTION_IGNORED);
    if (why != SCORE_REJECTION_INVALID) return;
    int t;
    score_topic_stats *ts = score_stats(s, peer, topic, &t);
    if (ts != NULL) ts->invalid_message_deliveries += 1.0; /* uncapped, per the spec */
}

void score_add_penalty(score *s, uint32_t peer, double count) {
    assert(s != NULL);
    assert(count >= 0.0);
    score_peer *p = score_find(s, peer);
    if (p != NULL) p->behaviour_penalty += count;
}

void score_set_app_score(score *s, uint32_t peer, double value) {
    assert(s != NULL);
    score_peer *p = score_find(s, peer);
    if (p != NULL) p->app_score = value;
}

/* ---- decay ---- */

static void score_decay_counter(double *counter, double decay, double decay_to_zero) {
    *counter *= decay;
    if (*counter < decay_to_zero) *counter = 0.0;
}

static void score_decay_peer(const score *s, score_peer *p) {
    double zero = s->params.decay_to_zero;
    for (size_t t = 0; t < s->topics_len; t++) {
        const score_topic_params *tp = &s->topics[t].params;
        score_topic_stats *ts = &p->topics[t];
        score_decay_counter(&ts->first_message_deliveries, tp->first_message_deliveries_decay, zero);
        score_decay_counter(&ts->mesh_message_deliveries, tp->mesh_message_deliveries_decay, zero);
        score_decay_counter(&ts->mesh_failure_penalty, tp->mesh_failure_penalty_decay, zero);
        score_decay_counter(&ts->invalid_message_deliveries, tp->invalid_message_deliveries_decay, zero);
    }
    score_decay_counter(&p->behaviour_penalty, s->params.behaviour_penalty_decay, zero);
}

void score_decay(score *s, uint64_t now_ns) {
    assert(s != NULL);
    size_t i = 0;
    while (i < s->peers_len) {
        score_peer *p = &s->peers[i];
        if (!p->connected && now_ns >= p->expire_ns) {
            score_forget(s, i); /* slot i now holds another peer: look again */
            continue;
        }
        score_decay_peer(s, p);
        i++;
    }
    assert(s->peers_len <= s->peers_cap);
}

unsigned score_refresh(score *s, uint64_t now_ns) {
    assert(s != NULL);
    uint64_t interval = s->params.decay_interval_ns;
    unsigned steps = 0;
    while (now_ns >= s->next_decay_ns && steps < SCORE_DECAY_STEPS_MAX) {
        score_decay(s, s->next_decay_ns);
        s->next_decay_ns += interval;
        steps++;
    }
    /* After a very long gap, skip to the next boundary after now. */
    if (now_ns >= s->next_decay_ns)
        s->next_decay_ns += ((now_ns - s->next_decay_ns) / interval + 1) * interval;
    assert(s->next_decay_ns > now_ns);
    return steps;
}

uint64_t score_next_decay_ns(const score *s) {
    assert(s != NULL);
    return s->next_decay_ns;
}

/* ---- the score ---- */

static double score_topic_value(const score_topic_stats *ts, const score_topic_params *tp, uint64_t now_ns) {
    double p1 = 0.0;
    if (ts->in_mesh) {
        assert(now_ns >= ts->graft_ns);
        p1 = (double)((now_ns - ts->graft_ns) / tp->time_in_mesh_quantum_ns);
        if (p1 > tp->time_in_mesh_cap) p1 = tp->time_in_mesh_cap;
    }
    double p2 = ts->first_message_deliveries;
    double p3 = score_deficit_squared(ts, tp, now_ns);
    double p3b = ts->mesh_failure_penalty;
    double p4 = ts->invalid_message_deliveries * ts->invalid_message_deliveries;
    double sum = tp->time_in_mesh_weight * p1 + tp->first_message_deliveries_weight * p2 +
                 tp->mesh_message_deliveries_weight * p3 + tp->mesh_failure_penalty_weight * p3b +
                 tp->invalid_message_deliveries_weight * p4;
    return tp->topic_weight * sum;
}

double score_value(const score *s, uint32_t peer, uint64_t now_ns) {
    assert(s != NULL);
    const score_peer *p = score_find(s, peer);
    if (p == NULL) return 0.0;
    const score_params *gp = &s->params;
    double topics = 0.0;
    for (size_t t = 0; t < s->topics_len; t++)
        topics += score_topic_value(&p->topics[t], &s->topics[t].params, now_ns);
    if (gp->topic_score_cap > 0.0 && topics > gp->topic_score_cap) topics = gp->topic_score_cap;
    double value = topics + gp->app_specific_weight * p->app_score;
    if (p->ip != 0 && (double)p->ip_peers > gp->ip_colocation_factor_threshold) {
        double surplus = (double)p->ip_peers - gp->ip_colocation_factor_threshold;
        value += gp->ip_colocation_factor_weight * surplus * surplus;
    }
    if (p->behaviour_penalty > gp->behaviour_penalty_threshold) {
        double excess = p->behaviour_penalty - gp->behaviour_penalty_threshold;
        value += gp->behaviour_penalty_weight * excess * excess;
    }
    return value;
}

size_t score_peer_count(const score *s) {
    assert(s != NULL);
    return s->peers_len;
}
