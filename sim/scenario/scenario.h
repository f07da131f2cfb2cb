/*
 * scenario: the YAML scenario format, loaded with libyaml into a validated
 * struct. docs/scenarios.md documents every key.
 *
 * Units: durations take ns, us, ms, s, min, h; sizes B, KiB, MiB; bandwidths
 * bps, Kbps, Mbps, Gbps; rates N/s. Values are stored in base units:
 * nanoseconds, bytes, bits per second, events per second.
 *
 * Errors name the file, the line and the key, e.g.
 *   scenarios/x.yaml:12: network.latency.median: expected a duration (e.g. 40ms), got "40"
 * and an override that is wrong names itself:
 *   --set protocol.gossipsub.D=x: expected an integer, got "x"
 * Unknown keys are errors. Keys whose behaviour lands in a later issue are
 * parsed and validated all the same; scenario_check_supported() then names
 * the first one the world cannot run yet.
 */
#ifndef SWARMLAB_SCENARIO_H
#define SWARMLAB_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/connmgr.h"
#include "pubsub/gossipsub.h"
#include "random/dist.h"
#include "random/rng.h"

#define SCENARIO_ERROR_MAX 512
#define SCENARIO_NAME_MAX 64
#define SCENARIO_TEXT_MAX 256
#define SCENARIO_PATH_MAX 256
#define SCENARIO_TOPICS_MAX 16
#define SCENARIO_TOPIC_MAX 64
#define SCENARIO_RANGES_MAX 32
#define SCENARIO_GROUPS_MAX 8
#define SCENARIO_PARTITIONS_MAX 16
#define SCENARIO_OFFLINE_MAX 32
#define SCENARIO_ATTACKERS_MAX 16
#define SCENARIO_NODES_MAX 100000
#define SCENARIO_REGIONS_MAX 32 /* network.regions: named regions; network.graph: its nodes */
#define SCENARIO_GRAPH_HOSTS_MAX 4096 /* network.graph.hosts: an explicit list of each host's node */
#define SCENARIO_CLASSES_MAX 8  /* nodes.classes: named classes */
#define SCENARIO_LABEL_MAX 32   /* a region's or a class's name */

/* ---- node selectors: all, a count, a percentage, or index ranges ------- */

typedef enum selector_kind { SELECT_ALL, SELECT_COUNT, SELECT_PERCENT, SELECT_RANGES } selector_kind;

typedef struct selector {
    selector_kind kind;
    uint32_t count;   /* SELECT_COUNT */
    double percent;   /* SELECT_PERCENT, 0..100 */
    uint32_t range_lo[SCENARIO_RANGES_MAX], range_hi[SCENARIO_RANGES_MAX]; /* inclusive */
    size_t range_count;
} selector;

/* Marks the chosen nodes among total in chosen[0..total-1]; counts and
 * percentages choose with r (a partial Fisher-Yates shuffle). Returns the
 * number chosen, or -1 if a range names an index >= total. */
long selector_resolve(const selector *s, uint32_t total, rng *r, bool *chosen);

/* ---- the scenario ----------------------------------------------------- */

typedef enum topology_kind { TOPOLOGY_BOOTSTRAP, TOPOLOGY_RANDOM_REGULAR, TOPOLOGY_FULL, TOPOLOGY_RING } topology_kind;
typedef enum router_kind { ROUTER_FLOODSUB, ROUTER_GOSSIPSUB } router_kind;
/* network.transport: how connections carry bytes (sim/world/world.h). */
typedef enum network_transport { TRANSPORT_IDEAL, TRANSPORT_TCP } network_transport;
/* network.backend: which network the world runs its hosts over
 * (docs/fidelity.md): its own model, or ns-3's (sim/ns3). */
typedef enum network_backend { BACKEND_BUILTIN, BACKEND_NS3 } network_backend;
typedef enum arrival_kind { ARRIVAL_POISSON, ARRIVAL_PERIODIC } arrival_kind;

/* workload.sealed (docs/scenarios.md; docs/data.md "The swarm's data:
 * encrypted topics"): the workload's topics are encrypted topics. Members
 * hold keys 1 and 2, derived from key_seed; the other subscribers relay
 * the envelopes without a key. Publishers seal with key 1, and with key 2
 * from rotate_at on. revoked members are given key 1 only: the rotation
 * shuts them out. */
typedef struct scenario_sealed {
    bool present;
    int line;
    selector members;      /* default: every node */
    selector revoked;      /* default: none (kind SELECT_COUNT, count 0) */
    uint64_t key_seed;     /* default 1 */
    uint64_t rotate_at_ns; /* 0: no rotation */
} scenario_sealed;

typedef struct partition {
    uint64_t at_ns, until_ns;
    selector groups[SCENARIO_GROUPS_MAX];
    size_t group_count;
} partition;

typedef struct offline_window {
    selector nodes;
    uint64_t at_ns, for_ns;
} offline_window;

/* Hosts sharing one address listen on ports 4001 upwards: a group that
 * shares one holds at most this many. */
#define SCENARIO_SAME_IP_MAX 61534

typedef struct attacker {
    char kind[32]; /* spam, drop, ... px-flood, withhold, corrupt, mute: docs/scenarios.md */
    uint32_t count;
    double rate_per_s;        /* 0 when not given */
    uint64_t start_ns;        /* 0 when not given */
    uint64_t turn_at_ns;      /* covert-flash: when it turns; 0 when not given */
    long target;              /* eclipse: the target's index; -1 when not given */
    uint32_t connections;     /* eclipse, spam: connections per Sybil; 0 when not given */
    bool invalid;             /* spam: send invalid messages */
    bool same_ip;             /* the group shares one IPv4 address (P6) */
    char class_name[SCENARIO_LABEL_MAX]; /* nodes.classes entry its hosts take; "" when not given */
    int class_index;          /* that entry's index, -1 when not given (set by the checks) */
} attacker;

/* A region of network.regions (docs/network-model.md): its share of the
 * hosts is weight over the sum of the weights. */
typedef struct scenario_region {
    char name[SCENARIO_LABEL_MAX];
    double weight;
    uint64_t up_bps, down_bps; /* network.graph: the node's host_bandwidth_up/down; 0 for network.regions */
} scenario_region;

/* The regions, with a one-way latency and a jitter from each to each
 * (latency_ns[from][to]); count 0: no regions (network.latency applies). */
typedef struct scenario_regions {
    size_t count;
    int line; /* of the key; 0 when absent */
    scenario_region list[SCENARIO_REGIONS_MAX];
    uint64_t latency_ns[SCENARIO_REGIONS_MAX][SCENARIO_REGIONS_MAX];
    uint64_t jitter_ns[SCENARIO_REGIONS_MAX][SCENARIO_REGIONS_MAX];
    /* network.graph only: the path's packet loss (0..1) and that the
     * regions are its nodes, whose bandwidths the hosts take. */
    double loss[SCENARIO_REGIONS_MAX][SCENARIO_REGIONS_MAX];
    bool from_graph;
} scenario_regions;

/* A class of nodes.classes: its share of the hosts (share over the sum of
 * the shares) and their bandwidth (0: unlimited). */
typedef struct node_class {
    char name[SCENARIO_LABEL_MAX];
    double share;
    uint64_t up_bps, down_bps;
} node_class;

/* Fills r with the eight regions of libp2p/test-plans' gossipsub-interop
 * network_graph.py (docs/network-model.md cites the commit). */
void scenario_regions_test_plans(scenario_regions *r);

/* GossipSub parameters (libp2p/specs pubsub/gossipsub v1.0-v1.2): the
 * router's own config, so that a scenario hands it to the nodes as it is
 * (its random field stays NULL; each node puts its own). */
typedef gossipsub_config gossipsub_params;

/* protocol.announce: every honest node publishes its signed peer record
 * on topic and dials announced peers while below target connections. */
#define SCENARIO_ANNOUNCE_TARGET_MAX 256 /* node/data/announce.h's ANNOUNCE_TARGET_MAX */
typedef struct scenario_announce {
    bool enabled; /* the key is present */
    char topic[SCENARIO_TOPIC_MAX];
    uint32_t target;
} scenario_announce;

/* protocol.query: every honest node answers queries on topic; a workload
 * puts blocks on `holders` nodes each and asks for them at `rate`, each
 * query collecting answers for `deadline`. */
typedef enum query_reply_kind { QUERY_REPLY_KIND_DIRECT, QUERY_REPLY_KIND_TOPIC } query_reply_kind;
typedef struct scenario_query {
    bool enabled; /* the key is present */
    char topic[SCENARIO_TOPIC_MAX], result_topic[SCENARIO_TOPIC_MAX];
    uint64_t deadline_ns;
    query_reply_kind reply;
    double rate_per_s; /* queries per second, across random askers */
    uint32_t holders;  /* nodes that hold each block asked for */
    uint32_t blocks;   /* distinct blocks, each on its own holders */
    uint64_t start_ns; /* the first query; the blocks are put at start - 1 s */
} scenario_query;
#define SCENARIO_DATA_R_MAX 8          /* workload.data.replication; node/data/replicate.h's REPLICATE_R_MAX */
#define SCENARIO_DATA_NODES_MAX 4096   /* its directory: REPLICATE_PEERS_MAX */

/* workload.data (docs/scenarios.md): blocks put and got by the honest
 * nodes, each put placed on replication peers (node/data/replicate.h). */
typedef struct scenario_data {
    bool present; /* off unless the key is given */
    int line;
    double put_rate_per_s; /* puts per second across the online honest nodes */
    double get_rate_per_s; /* gets per second, likewise */
    uint64_t size_bytes;   /* of each block */
    uint32_t replication;  /* r: copies besides the putter's */
    uint64_t grace_ns;     /* a holder unseen this long is replaced */
    uint64_t deadline_ns;  /* a get succeeds when its block comes within this */
} scenario_data;

typedef struct scenario {
    char path[SCENARIO_PATH_MAX];
    char name[SCENARIO_NAME_MAX];
    char description[SCENARIO_TEXT_MAX];
    uint64_t seed;
    uint64_t duration_ns;

    struct {
        dist latency;       /* one-way, per host pair */
        uint64_t up_bps;    /* 0: unlimited */
        uint64_t down_bps;  /* 0: unlimited */
        double loss;        /* 0..1, per segment */
        network_transport transport; /* tcp (default) or ideal */
        bool tcp_no_idle_restart;    /* network.tcp.slow_start_after_idle: false */
        network_backend backend;     /* builtin (default) or ns3 */
        int backend_line;            /* of the key; 0 when absent or from --set */
        topology_kind topology;
        uint32_t degree;          /* random-regular */
        uint32_t bootstrap_count; /* bootstrap: peers each node dials (default 3) */
        partition partitions[SCENARIO_PARTITIONS_MAX];
        size_t partition_count;
        int partitions_line; /* 0 when absent */
        scenario_regions regions;
        /* network.graph (docs/network-model.md "Shadow graphs"): a Shadow
         * GML file, resolved against the scenario's folder ("" when
         * absent). The checks load it into regions, one per graph node. */
        char graph_path[SCENARIO_PATH_MAX];
        int graph_line;
        /* graph.weights: node ids and their weights (none: every node
         * weighs 1); graph.hosts: each host's node id, honest hosts then
         * attackers (none: hosts are dealt by weight). */
        int64_t graph_weight_id[SCENARIO_REGIONS_MAX];
        double graph_weight[SCENARIO_REGIONS_MAX];
        size_t graph_weight_count;
        int64_t graph_host_id[SCENARIO_GRAPH_HOSTS_MAX];
        uint8_t graph_host_region[SCENARIO_GRAPH_HOSTS_MAX]; /* set by the checks: the node's index in regions */
        size_t graph_host_count;
    } network;

    struct {
        uint32_t count;
        uint64_t join_over_ns; /* nodes come up spread over this window; 0: all at once */
        node_class classes[SCENARIO_CLASSES_MAX];
        size_t class_count; /* 0: every host has network.bandwidth */
        int classes_line;
    } nodes;

    struct {
        router_kind router;
        gossipsub_params gossipsub;
        pubsub_options pubsub; /* the core's: seen_max_bytes, seqno_validator, seqno_origins_max */
        int router_line;
        conn_limits limits; /* every node's connection limits (node/core/connmgr.h) */
        scenario_announce announce; /* protocol.announce (node/data/announce.h); off by default */
        scenario_query query;       /* protocol.query (node/data/query.h); off by default */
    } protocol;

    struct {
        char topics[SCENARIO_TOPICS_MAX][SCENARIO_TOPIC_MAX];
        size_t topic_count;
        selector subscribers;
        selector publishers;
        double rate_per_s; /* messages per second, across all publishers */
        arrival_kind arrival;
        uint64_t size_bytes;
        uint64_t start_ns;
        uint64_t stop_ns; /* default: the scenario's duration */
        scenario_sealed sealed;
        scenario_data data; /* workload.data: replication (scenario_replicate.c) */
    } workload;

    struct {
        bool present;
        int line;
        selector nodes;
        dist session;
        dist downtime;
    } churn;

    offline_window offline[SCENARIO_OFFLINE_MAX];
    size_t offline_count;
    int offline_line;

    attacker attackers[SCENARIO_ATTACKERS_MAX];
    size_t attacker_count;
    int attackers_line;

    struct {
        uint64_t sample_ns;   /* default 1 s */
        uint64_t deadline_ns; /* default 10 s */
    } metrics;

    struct {
        /* world.verify_memo: the world remembers Ed25519 verdicts of
         * identical checks (sim/world/verify_memo.h); default true. */
        bool verify_memo;
    } world;
} scenario;

/* Fills s with every default of docs/scenarios.md. */
void scenario_defaults(scenario *s);
/* Loads path, then applies overrides ("key.path=value", as --set takes
 * them). Returns 0, or -1 with a one-line message in err. */
int scenario_load(const char *path, const char *const *overrides, size_t override_count, scenario *s,
                  char *err, size_t err_cap);
/* 0 when the world can run everything s asks for; else -1 with err naming
 * the file, line and key that is "not supported yet". */
int scenario_check_supported(const scenario *s, char *err, size_t err_cap);

/* Parsers for single values, exposed for --set and the tests. Each returns
 * 0 or -1. */
int scenario_parse_duration(const char *text, uint64_t *ns);
int scenario_parse_size(const char *text, uint64_t *bytes);
int scenario_parse_bandwidth(const char *text, uint64_t *bps);
int scenario_parse_rate(const char *text, double *per_s);
int scenario_parse_selector(const char *text, selector *out);

#endif
