/*
 * metrics_internal: what the three parts of metrics share (metrics.c
 * collects from trace events, metrics_summary.c summarises at the end,
 * metrics_write.c writes metrics.json and the CSV files): the state and
 * its helpers. Not for use outside them.
 */
#ifndef SWARMLAB_METRICS_INTERNAL_H
#define SWARMLAB_METRICS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/time_units.h"
#include "crypto/identity.h"
#include "metrics.h"

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
#define METRICS_PX_REASON_PREFIX "px "       /* gossipsub's drop_rpc reasons for refused peer exchange */

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

/* Latencies of deliveries in one region (microseconds), for percentiles. */
typedef struct metrics_region_latencies {
    uint32_t *us;
    uint64_t count, cap;
} metrics_region_latencies;

struct metrics {
    metrics_config config;
    metrics_region_latencies *region_latencies; /* per region, when config.regions */
    uint64_t *class_bytes;                      /* per class: bytes its nodes sent, when config.classes */
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

/* ---- helpers shared by the parts (metrics.c) --------------------------- */

uint64_t metrics_rank_index(uint64_t count, unsigned percent);
uint32_t metrics_percentile(const uint32_t *sorted, uint64_t count, unsigned percent);
double metrics_us_to_ms(uint32_t us);
uint64_t metrics_row_end_ns(const metrics *m, uint32_t row);
bool metrics_node_eligible(const metrics_node *n, uint32_t topic, uint64_t from, uint64_t until);
void metrics_read_gauges(const metrics *m, metrics_gauges *g);
void metrics_close_row(metrics *m, uint32_t row, const metrics_gauges *g);
void metrics_advance(metrics *m, uint64_t now_ns);

#endif
