/* run: one scenario run in the world. See run.h. */
#include "run.h"
#include "base/time_units.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pubsub/gossipsub_params.h"
#include "pubsub/score_params.h"
#include "trace/trace_json.h"
#include "run_replicate.h"
#include "world/attack.h"
#include "world/faults.h"
#include "plot.h"
#include "world/topology.h"
#include "world/world.h"
#include "run_sealed.h"
#include "run_data.h"

#define RUN_PROGRESS_STEPS 100

typedef struct runner {
    const scenario *s;
    const run_options *options;
    world *w;
    topology topo;
    metrics *metrics;
    trace_digest digest;
    FILE *trace_file;
    buf trace_line; /* one line of the trace file */
    bool *subscriber, *publisher;
    uint32_t *publishers;
    uint32_t publisher_count, next_publisher;
    rng workload;
    uint32_t call_up, call_publish;
    uint64_t published, trace_events;
    uint8_t *payload;
    gossipsub_config gossipsub; /* the nodes' parameters, from the scenario */
    attack *attack;             /* the attackers, hosts nodes.count and up */
    faults *faults;             /* churn, offline windows, partitions; rejoin and upkeep */
    verify_memo *memo;          /* world.verify_memo: the nodes' signature verdicts; NULL when off */
    netmodel *net;              /* regions and classes per host; NULL when the scenario has neither */
    run_sealed *sealed;         /* workload.sealed: the encrypted topics; NULL when off */
    run_replicate *replicate;   /* workload.data; NULL when off */
    uint32_t *region_of, *class_of; /* per host, for the metrics; NULL without regions, classes */
    const char *region_names[SCENARIO_REGIONS_MAX], *class_names[SCENARIO_CLASSES_MAX];
    run_data *data;             /* protocol.announce, protocol.query; NULL without them */
    bool finished; /* the run is over: tearing the world down traces nothing */
} runner;

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / NS_PER_S_DOUBLE;
}

/* Every event: the digest, the metrics, the trace file, the observer. */
static void runner_trace(void *user, const trace_event *event) {
    runner *r = user;
    if (r->finished) return;
    r->trace_events++;
    trace_digest_update(&r->digest, event);
    metrics_on_event(r->metrics, event);
    if (r->trace_file != NULL) {
        buf_clear(&r->trace_line);
        if (trace_json_format(&r->trace_line, event) == 0) fwrite(r->trace_line.data, 1, r->trace_line.len, r->trace_file);
    }
    if (r->options->observe != NULL) r->options->observe(r->options->observe_user, event);
}

/* Starts honest host i as a fresh process, subscribed to its topics: at
 * its join, and again each time it comes back (faults_start_fn). */
static bool runner_start_node(void *user, uint32_t i) {
    runner *r = user;
    if (world_host_up(r->w, i) != 0) return false;
    if (r->attack != NULL) attack_on_honest_up(r->attack, i);
    node *n = world_node(r->w, i);
    const run_hooks *hooks = r->options->hooks;
    if (hooks != NULL && hooks->node_up != NULL) hooks->node_up(hooks->user, r->w, i);
    run_data_node_up(r->data, i);
    if (r->replicate != NULL) run_replicate_on_up(r->replicate, i);
    if (r->subscriber[i])
        for (size_t t = 0; t < r->s->workload.topic_count; t++) node_subscribe(n, r->s->workload.topics[t]);
    return true;
}

/* A node joins: unless churn or an offline window holds it down, it comes
 * up, dials its share of the topology and starts its connection upkeep. */
static void runner_node_up(void *user, uint64_t index) {
    runner *r = user;
    uint32_t i = (uint32_t)index;
    if (!faults_join(r->faults, i) || !runner_start_node(r, i)) return;
    bool dials = r->options->hooks == NULL || !r->options->hooks->no_topology;
    for (uint32_t k = r->topo.offset[i]; dials && k < r->topo.offset[i + 1]; k++) {
        uint32_t j = r->topo.adjacency[k];
        /* Of each edge the node with the larger index dials: it came up later. */
        if (j < i) world_dial(r->w, i, j);
    }
    if (dials) faults_on_up(r->faults, i); /* the upkeep redials topology neighbours */
}

uint64_t run_workload_interval_ns(const scenario *s, rng *workload) {
    double mean_ns = NS_PER_S_DOUBLE / s->workload.rate_per_s;
    if (s->workload.arrival == ARRIVAL_PERIODIC) return (uint64_t)(mean_ns + 0.5);
    double u = rng_uniform(workload);
    return (uint64_t)(-log1p(-u) * mean_ns + 0.5); /* exponential inter-arrival: a Poisson process */
}

uint32_t run_workload_publisher(const scenario *s, rng *workload, const uint32_t *publishers, uint32_t count,
                                uint32_t *next_publisher) {
    if (s->workload.arrival == ARRIVAL_PERIODIC) return publishers[(*next_publisher)++ % count];
    return publishers[rng_below(workload, count)];
}

static uint64_t runner_interval_ns(runner *r) { return run_workload_interval_ns(r->s, &r->workload); }

static void runner_publish(void *user, uint64_t sequence) {
    runner *r = user;
    const scenario *s = r->s;
    uint32_t who = run_workload_publisher(s, &r->workload, r->publishers, r->publisher_count, &r->next_publisher);
    const char *topic = s->workload.topics[sequence % s->workload.topic_count];
    node *n = world_node(r->w, who);
    if (n != NULL) {
        size_t size = (size_t)s->workload.size_bytes;
        for (size_t b = 0; b < size && b < 8; b++) r->payload[b] = (uint8_t)(sequence >> (8 * b));
        const uint8_t *data = r->payload;
        size_t len = size;
        if (r->sealed != NULL) len = run_sealed_payload(r->sealed, who, topic, world_now(r->w), sequence, r->payload, size, &data);
        if (node_publish(n, topic, data, len) == 0) r->published++;
    }
    uint64_t next = world_now(r->w) + runner_interval_ns(r);
    if (next < s->workload.stop_ns) world_at(r->w, next, r->call_publish, sequence + 1);
}

/* Which host's address each host uses: attacker groups with same_ip share
 * their first host's (world_config.ip_owner). *out stays NULL when no
 * group shares one. 0, or -1 when memory runs out. */
static int runner_ip_owners(const scenario *s, uint32_t **out) {
    *out = NULL;
    bool any = false;
    for (size_t g = 0; g < s->attacker_count; g++) any = any || s->attackers[g].same_ip;
    if (!any) return 0;
    uint32_t hosts = s->nodes.count + attack_host_count(s);
    uint32_t *owner = malloc(hosts * sizeof *owner);
    if (owner == NULL) return -1;
    for (uint32_t i = 0; i < hosts; i++) owner[i] = i;
    uint32_t first = s->nodes.count;
    for (size_t g = 0; g < s->attacker_count && first < hosts; g++) {
        const attacker *a = &s->attackers[g];
        uint32_t end = hosts - first < a->count ? hosts : first + a->count;
        for (uint32_t i = first; i < end && a->same_ip; i++) owner[i] = first;
        first = end;
    }
    *out = owner;
    return 0;
}

static int runner_choose(runner *r, char *err, size_t err_cap) {
    const scenario *s = r->s;
    uint32_t n = s->nodes.count;
    rng selectors;
    rng_seed(&selectors, s->seed, RNG_STREAM_SELECTORS);
    r->subscriber = calloc(n, sizeof *r->subscriber);
    r->publisher = calloc(n, sizeof *r->publisher);
    r->publishers = calloc(n, sizeof *r->publishers);
    if (r->subscriber == NULL || r->publisher == NULL || r->publishers == NULL) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    if (selector_resolve(&s->workload.subscribers, n, &selectors, r->subscriber) < 0 ||
        selector_resolve(&s->workload.publishers, n, &selectors, r->publisher) < 0) {
        snprintf(err, err_cap, "%s: a workload selector names a node beyond nodes.count", s->path);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        if (r->publisher[i]) r->publishers[r->publisher_count++] = i;
    return 0;
}

static void runner_gossipsub_stub_random(void *user, uint8_t *out, size_t len) {
    (void)user, (void)out, (void)len; /* only for the check: the node puts its own */
}

/* The scenario's protocol.gossipsub, as the router takes it. */
static int runner_gossipsub_config(const scenario *s, gossipsub_config *c, char *err, size_t err_cap) {
    *c = s->protocol.gossipsub;
    if (s->protocol.router != ROUTER_GOSSIPSUB) return 0;
    gossipsub_config checked = *c;
    checked.random = runner_gossipsub_stub_random;
    if (gossipsub_config_check(&checked) == 0) return 0;
    snprintf(err, err_cap, "%s: protocol.gossipsub: parameters the router cannot run (D, D_lo, D_hi, mcache)",
             s->path);
    return -1;
}

/* The hosts' regions and classes (netmodel), and the metrics' view of
 * them. 0, or -1 when memory runs out. */
static int runner_netmodel(runner *r, metrics_config *mc) {
    const scenario *s = r->s;
    if (s->network.regions.count == 0 && s->nodes.class_count == 0) return 0;
    uint32_t hosts = s->nodes.count + attack_host_count(s);
    r->net = netmodel_create(s, hosts);
    r->region_of = malloc(hosts * sizeof *r->region_of);
    r->class_of = malloc(hosts * sizeof *r->class_of);
    if (r->net == NULL || r->region_of == NULL || r->class_of == NULL) return -1;
    for (uint32_t i = 0; i < hosts; i++) {
        r->region_of[i] = netmodel_region(r->net, i);
        r->class_of[i] = netmodel_class(r->net, i);
    }
    for (size_t i = 0; i < s->network.regions.count; i++) r->region_names[i] = s->network.regions.list[i].name;
    for (size_t k = 0; k < s->nodes.class_count; k++) r->class_names[k] = s->nodes.classes[k].name;
    mc->regions = (struct metrics_groups){.count = (uint32_t)s->network.regions.count, .names = r->region_names,
                                          .of = r->region_of};
    mc->classes = (struct metrics_groups){.count = (uint32_t)s->nodes.class_count, .names = r->class_names,
                                          .of = r->class_of};
    return 0;
}

static int runner_setup(runner *r, char *err, size_t err_cap) {
    const scenario *s = r->s;
    metrics_config mc = {.node_count = s->nodes.count + attack_host_count(s), .honest_count = s->nodes.count,
                         .attack = s->attacker_count > 0, .attack_start_ns = attack_start_ns(s),
                         .deadline_ns = s->metrics.deadline_ns, .sample_ns = s->metrics.sample_ns,
                         .duration_ns = s->duration_ns};
    if (runner_netmodel(r, &mc) != 0) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    r->metrics = metrics_create(&mc);
    r->payload = calloc(1, s->workload.size_bytes + 8);
    if (r->metrics == NULL || r->payload == NULL) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    trace_digest_init(&r->digest);
    rng topo_rng;
    rng_seed(&topo_rng, s->seed, RNG_STREAM_TOPOLOGY);
    if (topology_build(&r->topo, s->network.topology, s->nodes.count, s->network.degree,
                       s->network.bootstrap_count, &topo_rng, err, err_cap) != 0)
        return -1;
    if (runner_choose(r, err, err_cap) != 0) return -1;
    if (s->workload.sealed.present && (r->sealed = run_sealed_create(s, s->nodes.count, r->subscriber)) == NULL) {
        snprintf(err, err_cap, "%s: workload.sealed: out of memory", s->path);
        return -1;
    }
    rng_seed(&r->workload, s->seed, RNG_STREAM_WORKLOAD);
    if (runner_gossipsub_config(s, &r->gossipsub, err, err_cap) != 0) return -1;
    uint32_t *ip_owner = NULL;
    if (runner_ip_owners(s, &ip_owner) != 0) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    if (s->world.verify_memo && (r->memo = verify_memo_create(0)) == NULL) {
        free(ip_owner);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    world_config wc = {.verify_memo = r->memo, .host_count = s->nodes.count + attack_host_count(s), .seed = s->seed, .latency = s->network.latency,
                       .router = s->protocol.router == ROUTER_GOSSIPSUB ? ROUTER_CHOICE_GOSSIPSUB : ROUTER_CHOICE_FLOODSUB,
                       .gossipsub = &r->gossipsub, .pubsub = &s->protocol.pubsub, .limits = &s->protocol.limits,
                       .up_bps = s->network.up_bps, .down_bps = s->network.down_bps,
                       .loss = s->network.loss, .transport = s->network.transport,
                       .tcp_no_idle_restart = s->network.tcp_no_idle_restart, .backend = s->network.backend,
                       .trace = runner_trace, .threads = r->options->threads,
                       .trace_user = r, .ip_owner = ip_owner, .net = r->net};
    if (r->sealed != NULL) {
        wc.on_message = run_sealed_on_message;
        wc.on_message_user = r->sealed;
    }
    const run_hooks *hooks = r->options->hooks;
    if (hooks != NULL) {
        wc.identity_seed = hooks->identity_seed;
        wc.identity_seed_user = hooks->user;
    }
    r->w = world_create(&wc);
    free(ip_owner);
    if (r->w == NULL) {
        snprintf(err, err_cap, s->network.backend == BACKEND_NS3 ? "cannot build the ns-3 network (see above)"
                                                                   : "out of memory");
        return -1;
    }
    r->call_up = world_register_call(r->w, runner_node_up, r);
    r->call_publish = world_register_call(r->w, runner_publish, r);
    /* Before the joins, so that an offline window at time 0 holds its nodes down from the start. */
    r->faults = faults_create(s, r->w, &r->topo, runner_start_node, r);
    if (r->faults == NULL) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    bool data_failed;
    r->data = run_data_create(s, r->w, &data_failed);
    if (data_failed) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    run_data_schedule(r->data);
    if (s->workload.data.present && (r->replicate = run_replicate_create(s, r->w)) == NULL) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    if (s->attacker_count > 0) {
        r->attack = attack_create(s, r->w, s->nodes.count);
        if (r->attack == NULL) {
            snprintf(err, err_cap, "out of memory");
            return -1;
        }
        attack_schedule(r->attack, true);
    }
    for (uint32_t i = 0; i < s->nodes.count; i++) {
        uint64_t at = s->nodes.count > 1 ? s->nodes.join_over_ns / s->nodes.count * i : 0;
        world_at(r->w, at, r->call_up, i);
    }
    if (r->attack != NULL) attack_schedule(r->attack, false);
    if (hooks != NULL && hooks->setup != NULL && hooks->setup(hooks->user, r->w, err, err_cap) != 0) return -1;
    if (r->publisher_count > 0 && s->workload.topic_count > 0 && s->workload.rate_per_s > 0 &&
        s->workload.start_ns < s->workload.stop_ns)
        world_at(r->w, s->workload.start_ns, r->call_publish, 0);
    return 0;
}

static void runner_progress(const runner *r, uint64_t now_ns, double started) {
    double done = (double)now_ns / (double)r->s->duration_ns;
    int width = 40, filled = (int)(done * width + 0.5);
    fprintf(stderr, "\r  [%.*s%*s] %3.0f%%  %6.1f s virtual  %5.1f s wall", filled,
            "########################################", width - filled, "", done * 100,
            (double)now_ns / NS_PER_S_DOUBLE, wall_now() - started);
    fflush(stderr);
}

static void runner_loop(runner *r) {
    uint64_t duration = r->s->duration_ns;
    double started = wall_now();
    uint64_t step = duration / RUN_PROGRESS_STEPS ? duration / RUN_PROGRESS_STEPS : 1;
    /* A run covers [0, duration): what is due at the very end (heartbeats,
     * samples) belongs to the next interval, which the run does not have. */
    for (uint64_t t = 0; t < duration;) {
        t = duration - t > step ? t + step : duration;
        world_run(r->w, t < duration ? t : duration - 1);
        if (r->options->progress) runner_progress(r, t, started);
    }
    if (r->options->progress) fputc('\n', stderr);
}

int run_make_dir(const char *path) {
    char partial[1024];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof partial) return -1;
    memcpy(partial, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (partial[i] != '/' && partial[i] != '\0') continue;
        char saved = partial[i];
        partial[i] = '\0';
        if (mkdir(partial, 0755) != 0 && errno != EEXIST) return -1;
        partial[i] = saved;
    }
    return 0;
}

#define RUN_CORE_PARAMETERS_MAX (3 + PUBSUB_TOPIC_DELAYS_MAX) /* core_parameters' */
/* the router's parameters, scoring included, with room to grow, and the core's */
#define RUN_PARAMETERS_MAX (72 + RUN_CORE_PARAMETERS_MAX)
#define RUN_PARAMETER_TEXT 32
#define RUN_PARAMETER_KEY (64 + PUBSUB_TOPIC_MAX) /* validation_delays.TOPIC_s */

/* The router's parameters as metrics.json's "parameters": a run says what
 * it ran with, so that comparing two runs shows what differed. */
typedef struct run_parameters {
    const char *keys[RUN_PARAMETERS_MAX];
    const char *values[RUN_PARAMETERS_MAX];
    char key_text[RUN_PARAMETERS_MAX][RUN_PARAMETER_KEY];
    char text[RUN_PARAMETERS_MAX][RUN_PARAMETER_TEXT];
    size_t count;
} run_parameters;

/* One "key": value; key is prefix, name and suffix, the value is format
 * applied to value. */
static void parameter(run_parameters *p, const char *prefix, const char *name, const char *suffix,
                      const char *format, double value) {
    assert(p->count < RUN_PARAMETERS_MAX);
    int len = snprintf(p->key_text[p->count], RUN_PARAMETER_KEY, "%s%s%s", prefix, name, suffix);
    assert(len > 0 && len < RUN_PARAMETER_KEY);
    snprintf(p->text[p->count], RUN_PARAMETER_TEXT, format, value);
    p->keys[p->count] = p->key_text[p->count];
    p->values[p->count] = p->text[p->count];
    p->count++;
}

static void parameter_set(run_parameters *p, const param_set *set, const void *values, const char *prefix);

/* A parameter of node/pubsub (params.h) under its scenario key, prefixed
 * by its set's ("score."); a duration in seconds as KEY_s, a size in bytes
 * under its field's name, whole numbers without a fraction. */
static void parameter_one(run_parameters *p, const param *q, const void *values, const char *prefix) {
    const char *at = (const char *)values + q->offset;
    int i;
    uint32_t u32;
    uint64_t u64;
    double d;
    bool b;
    switch (q->type) {
    case PARAM_INT: memcpy(&i, at, sizeof i); parameter(p, prefix, q->name, "", "%.0f", i); return;
    case PARAM_UINT32: memcpy(&u32, at, sizeof u32); parameter(p, prefix, q->name, "", "%.0f", u32); return;
    case PARAM_UINT64: memcpy(&u64, at, sizeof u64); parameter(p, prefix, q->name, "", "%.0f", (double)u64); return;
    case PARAM_SIZE: memcpy(&u32, at, sizeof u32); parameter(p, prefix, q->field, "", "%.0f", u32); return;
    case PARAM_NUMBER: memcpy(&d, at, sizeof d); parameter(p, prefix, q->name, "", "%.17g", d); return;
    case PARAM_DURATION:
    case PARAM_DURATION_POSITIVE:
        memcpy(&u64, at, sizeof u64);
        parameter(p, prefix, q->name, "_s", "%.17g", u64 / NS_PER_S_DOUBLE);
        return;
    case PARAM_BOOL: memcpy(&b, at, sizeof b); parameter(p, prefix, q->name, "", b ? "true" : "false", 0); return;
    case PARAM_MESSAGE_ID: {
        pubsub_message_id_kind kind;
        memcpy(&kind, at, sizeof kind);
        char quoted[32];
        snprintf(quoted, sizeof quoted, "\"%s\"", pubsub_message_id_name(kind));
        parameter(p, prefix, q->name, "", quoted, 0);
        return;
    }
    case PARAM_SET: {
        char nested[RUN_PARAMETER_KEY];
        snprintf(nested, sizeof nested, "%s%s.", prefix, q->name);
        parameter_set(p, q->set, at, nested);
        return;
    }
    }
    assert(false);
}

/* The per-topic set comes last, where metrics.json has always had it. */
static void parameter_set(run_parameters *p, const param_set *set, const void *values, const char *prefix) {
    for (size_t i = 0; i < set->count; i++)
        if (set->params[i].set != &score_topic_params_set) parameter_one(p, &set->params[i], values, prefix);
    for (size_t i = 0; i < set->count; i++)
        if (set->params[i].set == &score_topic_params_set) parameter_one(p, &set->params[i], values, prefix);
}

/* The pubsub core's choices for either router, where they differ from
 * the defaults (so that metrics.json of a default run stays as it was):
 * the signature policy, floodsub's message id (gossipsub's is among its
 * parameters), the validation delay and the topics' own delays. */
static void core_parameters(const runner *r, run_parameters *p) {
    const pubsub_options *o = &r->s->protocol.pubsub;
    char quoted[RUN_PARAMETER_KEY];
    if (o->signature_policy != PUBSUB_STRICT_SIGN) {
        snprintf(quoted, sizeof quoted, "\"%s\"", pubsub_signature_policy_name(o->signature_policy));
        parameter(p, "", "signature_policy", "", quoted, 0);
    }
    if (r->s->protocol.router != ROUTER_GOSSIPSUB && r->gossipsub.message_id != PUBSUB_MESSAGE_ID_FROM_SEQNO) {
        snprintf(quoted, sizeof quoted, "\"%s\"", pubsub_message_id_name(r->gossipsub.message_id));
        parameter(p, "", "message_id", "", quoted, 0);
    }
    if (o->validation_delay_ns != 0)
        parameter(p, "", "validation_delay", "_s", "%.17g", o->validation_delay_ns / NS_PER_S_DOUBLE);
    for (size_t i = 0; i < o->topic_delay_count; i++) {
        snprintf(quoted, sizeof quoted, "validation_delays.%s", o->topic_delays[i].topic);
        parameter(p, "", quoted, "_s", "%.17g", o->topic_delays[i].delay_ns / NS_PER_S_DOUBLE);
    }
}

static void runner_parameters(const runner *r, run_parameters *p) {
    p->count = 0;
    if (r->s->protocol.router == ROUTER_GOSSIPSUB) parameter_set(p, &gossipsub_params_set, &r->gossipsub, "");
    core_parameters(r, p);
}

static int runner_write(runner *r, run_result *result, char *err, size_t err_cap) {
    const char *dir = r->options->out_dir;
    const scenario *s = r->s;
    if (run_make_dir(dir) != 0) {
        snprintf(err, err_cap, "%s: cannot create the output folder: %s", dir, strerror(errno));
        return -1;
    }
    char path[1200];
    run_info info = {.scenario_name = s->name, .seed = s->seed, .digest_hex = result->digest,
                     .wall_seconds = result->wall_seconds, .events_processed = result->events_processed,
                     .router = s->protocol.router == ROUTER_FLOODSUB ? "floodsub" : "gossipsub",
                     .verify_memo = result->verify_memo, .verify_memo_hits = result->verify_memo_counts.hits,
                     .verify_memo_misses = result->verify_memo_counts.misses,
                     .verify_memo_entries = result->verify_memo_counts.entries,
                     .verify_memo_capacity = result->verify_memo_counts.capacity,
                     .threads = result->threads, .threads_why = result->threads_why,
                     .sealed = r->sealed != NULL ? &result->sealed : NULL,
                     .extra_json = r->data != NULL ? run_data_write_json : NULL, .extra_json_user = &result->data};
    static run_parameters parameters;
    runner_parameters(r, &parameters);
    info.parameter_keys = parameters.keys;
    info.parameter_values_json = parameters.values;
    info.parameter_count = parameters.count;
    info.data = r->replicate != NULL ? run_replicate_metrics(r->replicate) : NULL;
    static const char *const names[] = {"metrics.json", "messages.csv", "timeseries.csv", "latencies.txt"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int rc = i == 0 ? metrics_write_json(r->metrics, &info, path)
               : i == 1 ? metrics_write_messages_csv(r->metrics, path)
               : i == 2 ? metrics_write_timeseries_csv(r->metrics, path)
                        : metrics_write_latencies(r->metrics, path);
        if (rc != 0) {
            snprintf(err, err_cap, "%s: %s", path, strerror(errno));
            return -1;
        }
    }
    snprintf(path, sizeof path, "%s/%s", dir, METRICS_REGIONS_CSV);
    if (s->network.regions.count > 0 && metrics_write_regions_csv(r->metrics, path) != 0) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", dir, METRICS_DATA_CSV);
    if (r->replicate != NULL && data_metrics_write_csv(run_replicate_metrics(r->replicate), path) != 0) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    plot_window windows[PLOT_WINDOWS_MAX];
    size_t window_count = faults_windows(r->faults, windows, PLOT_WINDOWS_MAX);
    window_count += attack_windows(r->s, windows + window_count, PLOT_WINDOWS_MAX - window_count);
    if (plot_windows_write(dir, windows, window_count) != 0) {
        snprintf(err, err_cap, "%s/%s: %s", dir, PLOT_WINDOWS_FILE, strerror(errno));
        return -1;
    }
    result->plots_drawn = 0;
    if (r->options->plots) {
        char title[160];
        snprintf(title, sizeof title, "%s, seed %llu", s->name, (unsigned long long)s->seed);
        result->plots_drawn = plot_run(dir, title, result->plot_error, sizeof result->plot_error);
    }
    return 0;
}

static void runner_free(runner *r) {
    world_destroy(r->w);
    run_data_destroy(r->data); /* after the nodes it was built on */
    run_replicate_destroy(r->replicate); /* after the nodes that may still hold its gets */
    verify_memo_destroy(r->memo); /* after the nodes that asked it */
    netmodel_destroy(r->net);
    faults_destroy(r->faults);
    attack_destroy(r->attack); /* after the nodes that borrowed its policies */
    metrics_destroy(r->metrics);
    free(r->region_of); /* after the metrics that borrowed them */
    free(r->class_of);
    topology_free(&r->topo);
    if (r->trace_file != NULL) fclose(r->trace_file);
    buf_free(&r->trace_line);
    free(r->subscriber);
    free(r->publisher);
    free(r->publishers);
    free(r->payload);
    run_sealed_destroy(r->sealed); /* after the world whose nodes reported to it */
}

int run_scenario(const run_options *options, run_result *result, char *err, size_t err_cap) {
    assert(options->scenario != NULL);
    runner r = {.s = options->scenario, .options = options};
    buf_init(&r.trace_line, TRACE_JSON_LINE_MAX);
    memset(result, 0, sizeof *result);
    world_forbid_global_randomness(); /* before anything touches libsodium */
    if (scenario_check_supported(r.s, err, err_cap) != 0) return -1;
    if (options->trace_path != NULL && (r.trace_file = fopen(options->trace_path, "w")) == NULL) {
        snprintf(err, err_cap, "%s: %s", options->trace_path, strerror(errno));
        return -1;
    }
    double started = wall_now();
    int rc = runner_setup(&r, err, err_cap);
    if (rc == 0) {
        runner_loop(&r);
        r.finished = true;
        metrics_finish(r.metrics, r.s->duration_ns);
        metrics_get_summary(r.metrics, &result->summary);
        if (r.replicate != NULL) {
            run_replicate_finish(r.replicate, r.s->duration_ns);
            data_metrics_get_summary(run_replicate_metrics(r.replicate), &result->replication);
            result->has_replication = true;
        }
        trace_digest_final(&r.digest, result->digest);
        result->wall_seconds = wall_now() - started;
        result->events_processed = world_events_processed(r.w);
        world_stats stats;
        world_get_stats(r.w, &stats);
        result->events_pending_peak = stats.events_pending_peak;
        result->cross_host_min_ns = stats.cross_host_min_ns;
        const char *why;
        result->threads = world_threads(r.w, &why);
        result->windows = stats.windows;
        result->busy_ns = stats.busy_ns;
        result->critical_ns = stats.critical_ns;
        snprintf(result->threads_why, sizeof result->threads_why, "%s", why);
        result->trace_events = r.trace_events;
        result->messages_published = r.published;
        result->verify_memo = r.memo != NULL;
        if (r.memo != NULL) verify_memo_get_stats(r.memo, &result->verify_memo_counts);
        if (r.sealed != NULL) run_sealed_counts(r.sealed, &result->sealed);
        run_data_finish(r.data, &result->data);
        if (options->out_dir != NULL) rc = runner_write(&r, result, err, err_cap);
    }
    runner_free(&r);
    return rc;
}
