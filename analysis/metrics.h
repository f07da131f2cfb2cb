/*
 * metrics: the measurements of a run, computed from its trace events
 * (docs/trace-format.md), whether they stream live out of the world or are
 * read back from a JSON-lines trace file (trace_json.h).
 *
 * Over honest nodes only (indices below honest_count):
 *  - delivery_ratio: delivered (message, node) pairs over eligible pairs. A
 *    node is eligible for a message if it was subscribed to the message's
 *    topic and online during the whole of [publish, publish + deadline].
 *    Only deliveries within the deadline count.
 *  - latency_ms p50, p90, p99, max: deliver time minus publish time, over
 *    delivered pairs (the publisher's own delivery excluded).
 *  - duplicates_per_delivery: duplicate_message events over deliveries.
 *  - hops mean and max: a publisher's delivery has 0 hops; a node that got
 *    a message first from peer P has hops(P) + 1.
 *  - bandwidth: send_rpc bytes per online node per second; amplification:
 *    send_rpc bytes over payload bytes delivered; control_overhead:
 *    (send_rpc bytes minus their payload bytes) over payload bytes sent.
 *  - control: the sums of what send_rpc's control parts carry (IHAVE,
 *    IWANT and IDONTWANT message ids, GRAFT and PRUNE entries, control
 *    bytes), and control_bytes_per_payload_byte: control bytes over
 *    payload bytes sent. control_overhead counts every non-payload byte
 *    (framing, subscriptions, message headers); this counts only the
 *    gossipsub control part.
 *  - scores: the peer_score samples where both the scoring node and the
 *    scored peer are honest (the peer mapped to a node by its node_up),
 *    of the last timeseries row that has any: the settled state.
 *
 * Attack measures, only when config.attack says there is an attack
 * (metrics.json's "attack" object, the summary's attack_ fields, the
 * timeseries column attacker_mesh_share). Attackers are the nodes from
 * honest_count on; a peer id is mapped to a node by the node's node_up,
 * and a peer no node_up names counts as honest.
 *  - before and during: delivery ratio, latency p50 and p99 and their
 *    counts, as the overall ones, over the messages published before
 *    attack_start_ns and at or after it.
 *  - mesh occupation: each honest node's mesh peers, all topics together,
 *    as a multiset (graft adds the peer, prune takes one of it away,
 *    node_down empties it). A node is occupied when its mesh has a peer
 *    and every one of them is an attacker. mesh_occupied_share: occupied
 *    nodes over online honest nodes subscribed to a topic, at a row's end;
 *    _max over the rows that end after attack_start_ns, _final at the
 *    end of the run. attacker_mesh_share (timeseries): the mean, over
 *    online honest nodes with a non-empty mesh, of the attackers' share
 *    of their mesh peers.
 *  - time to graylist: per attacker, the first drop_rpc at an honest node
 *    with reason "graylisted" that names it, minus attack_start_ns (0 if
 *    earlier). attackers: node_count - honest_count; attackers_graylisted:
 *    those with such a drop; median (nearest rank, so the lower middle of
 *    an even count) and max over those.
 *  - bytes: send_rpc bytes of attackers, of honest nodes, and their ratio.
 *  - px_refused: drop_rpc events at honest nodes whose reason starts
 *    "px " (gossipsub refused, or cut short, a PRUNE's peer exchange).
 *
 * The events the metrics need from the world: node_up (with the node's own
 * peer id in peer) and node_down; from the nodes: join, leave,
 * publish_message, deliver_message, duplicate_message, reject_message,
 * send_rpc, recv_rpc, drop_rpc, add_peer, remove_peer, graft, prune,
 * peer_score.
 *
 * Decisions beyond the definitions above:
 *  - Messages are those honest nodes publish, told apart by msg_id. The
 *    publisher's own delivery (a deliver_message without a peer) is left out
 *    everywhere: of the pairs, latencies, hops, deliveries and payload.
 *  - A node is online from node_up to node_down, and subscribed to a topic
 *    from join to leave or node_down (a node comes back as a fresh process).
 *    The window [publish, publish + deadline] must lie within both, ends
 *    included.
 *  - A message whose window ends after end_ns (published later than
 *    end - deadline) is left out of the ratio: metrics.json counts it in
 *    counts.messages_after_cutoff, messages.csv gives it in_ratio 0 and
 *    empty eligible/delivered. Its deliveries count everywhere else.
 *  - Only a node's first delivery of a message counts. A first delivery
 *    after the deadline is not delivered for the ratio (counts.
 *    late_deliveries) but its latency is in the percentiles and the max:
 *    for latency a late delivery is a slow one, not a missing one.
 *  - Latencies are kept in microseconds (saturating at about 71 minutes);
 *    max is exact. Percentiles are nearest-rank on the sorted latencies;
 *    all latency figures are 0 when nothing was delivered.
 *  - Hops: the sender's peer id is mapped to a node by its node_up. A
 *    sender that is no honest node, or whose own hop count is unknown (a
 *    relay that is not subscribed traces no delivery), gives an unknown
 *    count: left out of mean and max, counted in counts.hops_unknown.
 *  - deliveries, duplicates, rejections count events at honest nodes for any
 *    message, attackers' included. Ratios over zero are 0 (delivery_ratio 1).
 *  - redeliveries: deliver_message events of a tracked message at a node
 *    that had delivered it already: the application saw it twice, which
 *    happens when a copy comes back after the seen cache forgot the id
 *    (a replay attack). They count in deliveries too.
 *  - bandwidth divides by the honest nodes' total online time in [0, end].
 *  - connections: add_peer minus remove_peer per node, where a remove_peer
 *    counts only against a peer that an add_peer counted (the node also
 *    traces remove_peer for connections that never became pubsub peers);
 *    mesh degree: grafts minus prunes, all topics, averaged over online
 *    honest nodes. node_down zeroes both for that node. The timeseries
 *    also gives min, max and mean over the online honest nodes subscribed
 *    to at least one topic (empty cells when there are none), since nodes
 *    that only relay have no mesh and would pull the mean down.
 *  - Score percentiles (p10, p50, p90, nearest rank) and min per row over
 *    that row's honest-to-honest peer_score samples; empty cells for a row
 *    without any. A node samples its scores every score_sample interval,
 *    which need not be metrics.sample: with a longer one, the last row
 *    that has samples holds the last snapshot of the nodes whose
 *    snapshots fell in it. Non-finite scores are left out.
 *  - timeseries row k covers [k * sample, (k + 1) * sample); time_s is its
 *    end (the last row ends at duration_ns). Counters count the row's
 *    events, gauges are read at its end; delivery_ratio and latency cells
 *    are empty when no message published in it measures them. Rows are
 *    fixed by duration_ns; later events fall in the last row.
 *  - An event older than one already seen is taken at the latest time seen.
 *  - Attack: before and during split the tracked messages (messages_
 *    untracked are in neither). A part with nothing eligible has ratio 1,
 *    with nothing delivered latencies 0, as overall; its counts tell.
 *    A mesh peer is classed honest or attacker when it is grafted.
 *    Only prunes of grafted peers count. Rows without an online
 *    subscribed honest node are left out of mesh_occupied_share_max
 *    (0 when none is left); attacker_mesh_share cells are empty without
 *    a node with a mesh. Time to graylist counts from the earliest
 *    attack start, which for a later group includes its wait. Summary
 *    times are 0 when no attacker was graylisted (metrics.json: null).
 *
 * Memory, bounded by messages x honest nodes: per (message, honest node)
 * pair one byte (hops) and one bit (delivered in time); per first delivery
 * 4 bytes of latency, and 8 more while metrics_finish sorts them; about 120
 * bytes per message and per honest node, 24 per online or subscription
 * span, 24-96 per open connection, 208 per timeseries row. 200 messages x
 * 1000 nodes, every node reached: 1.4 MiB (measured). Scores: only the
 * current row's samples are kept, 8 bytes each, exactly up to 1M samples
 * a row (8 MiB); past that a uniform reservoir of 1M samples (Algorithm R,
 * a fixed-seed generator, so the same run gives the same percentiles)
 * stands for the row, while its min and sample count stay exact. Hard
 * limits: 4M tracked messages (more are counted, not tracked), 256
 * topics, 262144 timeseries rows (metrics_create returns NULL past that).
 * Attackers: 80 bytes each (peer id, first graylist time); with an
 * attack, 24-96 bytes per (honest node, mesh peer) entry, like
 * connections.
 */
#ifndef SWARMLAB_METRICS_H
#define SWARMLAB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace/trace.h"

typedef struct metrics_config {
    uint32_t node_count;   /* all nodes, attackers included */
    uint32_t honest_count; /* nodes 0..honest_count-1 are honest */
    uint64_t deadline_ns;  /* metrics.deadline */
    uint64_t sample_ns;    /* metrics.sample: the timeseries interval */
    uint64_t duration_ns;  /* the run's length */
    /* false (a zeroed config): no attack, and no attack measures. */
    bool attack;
    uint64_t attack_start_ns; /* with attack: the earliest attack's start */
    /* Optional groups of nodes (borrowed for the metrics' life; count 0:
     * none): metrics.json then has latency by the receiver's region and
     * bytes sent by class (docs/network-model.md). of[i] is node i's. */
    struct metrics_groups {
        uint32_t count;
        const char *const *names;
        const uint32_t *of;
    } regions, classes;
} metrics_config;

typedef struct metrics_summary {
    uint64_t messages_published; /* by honest nodes */
    uint64_t eligible_pairs, delivered_pairs;
    double delivery_ratio; /* 1.0 when nothing was eligible */
    double latency_ms_p50, latency_ms_p90, latency_ms_p99, latency_ms_max;
    uint64_t deliveries, duplicates, rejections;
    uint64_t redeliveries; /* a node delivered a message it had delivered before (a replay past the seen cache) */
    double duplicates_per_delivery;
    double hops_mean;
    uint32_t hops_max;
    uint64_t bytes_sent, payload_bytes_sent, payload_bytes_delivered;
    double bandwidth_bytes_per_node_per_s;
    double amplification;
    double control_overhead;
    /* The control parts of honest nodes' send_rpc events. */
    uint64_t ihave_ids_sent, iwant_ids_sent, idontwant_ids_sent, grafts_sent, prunes_sent;
    uint64_t control_bytes_sent;
    double control_bytes_per_payload_byte; /* 0 when no payload was sent */
    /* Honest-to-honest peer_score samples of the last row that has any;
     * score_samples 0 (and the scores 0) when there is none. */
    uint64_t peer_score_events; /* at any node, attackers' included */
    uint64_t score_samples;
    double score_p10, score_p50, score_min;
    /* Attack measures (see above); all 0 unless attack. Before: messages
     * published before the attack start; during: at or after it. */
    bool attack;
    uint64_t attack_messages_before, attack_messages_during; /* tracked ones */
    uint64_t attack_messages_in_ratio_before, attack_messages_in_ratio_during;
    uint64_t attack_eligible_pairs_before, attack_eligible_pairs_during;
    uint64_t attack_delivered_pairs_before, attack_delivered_pairs_during;
    double attack_delivery_ratio_before, attack_delivery_ratio_during; /* 1.0: nothing eligible */
    double attack_latency_ms_p50_before, attack_latency_ms_p99_before; /* 0: nothing delivered */
    double attack_latency_ms_p50_during, attack_latency_ms_p99_during;
    double attack_mesh_occupied_share_max, attack_mesh_occupied_share_final;
    uint32_t attack_attackers, attack_attackers_graylisted;
    double attack_time_to_graylist_s_median, attack_time_to_graylist_s_max; /* 0: none graylisted */
    uint64_t attack_attacker_bytes, attack_honest_bytes; /* send_rpc bytes */
    double attack_attacker_bytes_per_honest_byte;       /* 0 when honest nodes sent nothing */
    uint64_t attack_px_refused; /* honest drop_rpc whose reason starts "px ": peer exchange refused */
    uint64_t events; /* every event seen, all nodes */
} metrics_summary;

/* Facts about the run that metrics.json reports beside the measurements. */
typedef struct run_info {
    const char *scenario_name;
    uint64_t seed;
    const char *digest_hex; /* the trace digest */
    double wall_seconds;
    uint64_t events_processed; /* by the world's kernel */
    const char *router;        /* "floodsub" or "gossipsub" */
    /* Extra "key": value pairs to copy into metrics.json's "parameters"
     * object (e.g. the gossipsub parameters); may be NULL. value_json is
     * already JSON (a number, true, or a quoted string). */
    const char *const *parameter_keys;
    const char *const *parameter_values_json;
    size_t parameter_count;
    /* The world's verification memo (world.verify_memo): whether it was
     * on, and its counts (all 0 when off). */
    bool verify_memo;
    uint64_t verify_memo_hits, verify_memo_misses, verify_memo_entries, verify_memo_capacity;
    /* The threads the world ran on (0: not reported) and, when it ran on
     * one, why it could not be cut ("" or NULL otherwise). */
    uint32_t threads;
    const char *threads_why;
    /* The encrypted topics' counts (metrics_sealed.h); NULL: none. */
    const struct metrics_sealed *sealed;
    /* More top-level objects (the swarm's data: sim/lab/run_data.h),
     * written as lines `  "key": {...},` before wall_seconds; NULL: none. */
    void (*extra_json)(void *user, FILE *out);
    void *extra_json_user;
    /* workload.data's measures (metrics_data.h): metrics.json's "data"
     * object; NULL: none (the key was off). */
    const struct data_metrics *data;
} run_info;

typedef struct metrics metrics;

metrics *metrics_create(const metrics_config *config);
void metrics_destroy(metrics *m);
/* Takes one event; event->node_index and event->time_ns must be set.
 * Events arrive in time order. */
void metrics_on_event(metrics *m, const trace_event *event);
/* Closes the run at end_ns (the run's duration): computes the summary. */
void metrics_finish(metrics *m, uint64_t end_ns);
void metrics_get_summary(const metrics *m, metrics_summary *out);

/* Outputs, each returning 0 or -1 (errno tells why). */
int metrics_write_json(const metrics *m, const run_info *info, const char *path);
/* One row per published message: id, topic, publisher, publish time,
 * size, eligible, delivered, latency p50/p99/max, duplicates. */
int metrics_write_messages_csv(const metrics *m, const char *path);
/* One row per sample interval: time_s, online_nodes, connections,
 * mesh_degree_mean, deliveries, duplicates, bytes_sent, delivery_ratio of
 * messages published in the interval, latency p50 and p99 (ms); then
 * mesh_degree_min, mesh_degree_max and mesh_degree_mean_subscribed (over
 * online nodes subscribed to a topic), control_bytes, payload_bytes_sent,
 * ihave_ids, iwant_ids (sent in the interval), score_p10, score_p50,
 * score_p90, score_min (honest-to-honest peer_score samples in it);
 * attacker_mesh_share (empty without an attack). */
int metrics_write_timeseries_csv(const metrics *m, const char *path);
/* The sorted latencies of every delivered pair, in ms, one per line: what
 * the latency CDF plot reads. */
int metrics_write_latencies(const metrics *m, const char *path);
/* Per region of config.regions (which must have some): its deliveries and
 * their latency p50, p90, p99 in ms (NaN without deliveries), one row
 * each: what the latency-by-region plot reads (latency_by_region.csv). */
int metrics_write_regions_csv(const metrics *m, const char *path);
#define METRICS_REGIONS_CSV "latency_by_region.csv"

#endif
