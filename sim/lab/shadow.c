/* shadow: test-plans' gossipsub-interop experiments in the world. See shadow.h. */
#include "shadow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "interop/interop_run.h"
#include "world/world.h"

#define SHADOW_NAME "shadow"

typedef struct shadow_host {
    shadow_experiment *x;
    uint32_t index;
    size_t next;       /* the next top-level instruction */
    uint64_t start_ns; /* when it came up: waitUntil counts from here */
    node_policy policy;
    FILE *out;
} shadow_host;

struct shadow_experiment {
    shadow_config config;
    interop_script script;
    char *script_text;
    run_hooks hooks;
    const char *out_dir;
    world *w;
    uint32_t call_step;
    shadow_host *hosts;
    buf line;
    pubsub_rpc *rpc; /* scratch: a received RPC, decoded */
    int write_errno; /* the first error writing a stdout file */
};

/* ---- loading ------------------------------------------------------------ */

static int read_text(const char *path, char **text, size_t *len, char *err, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, cap, "params file %s: %s", path, strerror(errno));
        return -1;
    }
    size_t got = 0, room = 4096;
    char *b = malloc(room + 1);
    while (b != NULL) {
        got += fread(b + got, 1, room - got, f);
        if (got < room || got > INTEROP_PARAMS_FILE_MAX) break;
        char *grown = realloc(b, room * 2 + 1);
        if (grown == NULL) {
            free(b);
            b = NULL;
            break;
        }
        b = grown;
        room *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (b == NULL || bad || got > INTEROP_PARAMS_FILE_MAX) {
        snprintf(err, cap, "%s: %s", path, b == NULL ? "out of memory" : bad ? "cannot read" : "longer than 64 MiB");
        free(b);
        return -1;
    }
    b[got] = '\0';
    *text = b;
    *len = got;
    return 0;
}

shadow_experiment *shadow_load(const char *path, char *err, size_t cap) {
    shadow_experiment *x = calloc(1, sizeof *x);
    if (x == NULL) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    buf_init(&x->line, INTEROP_LINE_MAX);
    size_t len = 0;
    if (shadow_config_load(path, &x->config, err, cap) != 0 ||
        read_text(x->config.params_path, &x->script_text, &len, err, cap) != 0 ||
        interop_script_parse(x->config.params_path, x->script_text, len, &x->script, err, cap) != 0) {
        shadow_free(x);
        return NULL;
    }
    return x;
}

void shadow_free(shadow_experiment *x) {
    if (x == NULL) return;
    if (x->hosts != NULL)
        for (uint32_t i = 0; i < x->config.host_count; i++)
            if (x->hosts[i].out != NULL) fclose(x->hosts[i].out);
    free(x->hosts);
    interop_script_free(&x->script);
    free(x->script_text);
    free(x->rpc);
    buf_free(&x->line);
    free(x);
}

const shadow_config *shadow_config_of(const shadow_experiment *x) { return &x->config; }

/* One configuration for every node: the world gives all its nodes one. */
int shadow_scenario(shadow_experiment *x, const char *out_dir, scenario *s, char *err, size_t cap) {
    const shadow_config *c = &x->config;
    static gossipsub_config gossip, other;
    static pubsub_options pubsub, other_pubsub;
    const interop_instruction *init, *other_init;
    memset(&pubsub, 0, sizeof pubsub);
    if (interop_node_config(&x->script, 0, c->params_path, &gossip, &pubsub, &init, err, cap) != 0) return -1;
    for (uint32_t i = 1; i < c->host_count; i++) {
        memset(&other_pubsub, 0, sizeof other_pubsub);
        if (interop_node_config(&x->script, i, c->params_path, &other, &other_pubsub, &other_init, err, cap) != 0)
            return -1;
        if (memcmp(&gossip, &other, sizeof gossip) != 0 || memcmp(&pubsub, &other_pubsub, sizeof pubsub) != 0) {
            snprintf(err, cap,
                     "%s: node%u's initGossipSub or setTopicValidationDelay differs from node0's: the world runs one "
                     "configuration for every node (docs/gossipsub-interop.md)",
                     c->params_path, i);
            return -1;
        }
    }
    for (size_t i = 0; i < x->script.ignored_count; i++)
        fprintf(stderr, "swarmlab: %s: GossipSubParams.%s ignored (docs/gossipsub-interop.md)\n", c->params_path,
                x->script.ignored[i]);
    char path[SCENARIO_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/scenario.yaml", out_dir);
    if (run_make_dir(out_dir) != 0) {
        snprintf(err, cap, "%s: cannot create the output folder: %s", out_dir, strerror(errno));
        return -1;
    }
    if (shadow_write_scenario(c, SHADOW_NAME, path, err, cap) != 0) return -1;
    if (scenario_load(path, NULL, 0, s, err, cap) != 0) return -1;
    s->protocol.gossipsub = gossip;
    s->protocol.pubsub.signature_policy = pubsub.signature_policy;
    memcpy(s->protocol.pubsub.topic_delays, pubsub.topic_delays, sizeof pubsub.topic_delays);
    s->protocol.pubsub.topic_delay_count = pubsub.topic_delay_count;
    return 0;
}

/* ---- the scripts on the virtual clock ---------------------------------- */

static void emit(void *user, const uint8_t *line, size_t len) {
    shadow_host *h = user;
    if (h->out != NULL && fwrite(line, 1, len, h->out) != len && h->x->write_errno == 0) h->x->write_errno = errno;
}

static uint64_t shadow_time_ns(const shadow_experiment *x) { return INTEROP_SHADOW_EPOCH_NS + world_now(x->w); }

static void observe_rpc(void *user, const peer_id *peer, const uint8_t *rpc, size_t len) {
    shadow_host *h = user;
    (void)interop_lines_received(&h->x->line, h->x->rpc, shadow_time_ns(h->x), peer, rpc, len, emit, h);
}

static void execute(shadow_host *h, const interop_instruction *in) {
    shadow_experiment *x = h->x;
    node *n = world_node(x->w, h->index);
    switch (in->kind) {
    case INTEROP_CONNECT:
        for (size_t i = 0; i < in->connect_count; i++) {
            uint32_t to = in->connect_to[i];
            if (to == h->index) continue;
            if (to >= x->config.host_count) {
                fprintf(stderr, "swarmlab: node%u: line %u: connect to node%u, which the Shadow config does not have\n",
                        h->index, in->line, to);
                continue;
            }
            (void)world_dial(x->w, h->index, to); /* -1: already connected */
        }
        break;
    case INTEROP_SUBSCRIBE:
        if (node_subscribe(n, in->topic) != 0) fprintf(stderr, "swarmlab: node%u: subscribe %s failed\n", h->index, in->topic);
        break;
    case INTEROP_PUBLISH: {
        uint8_t *data = interop_message_data(in);
        if (data == NULL || node_publish(n, in->topic, data, in->message_bytes) != 0)
            fprintf(stderr, "swarmlab: node%u: publish %llu on %s failed\n", h->index,
                    (unsigned long long)in->message_id, in->topic);
        free(data);
        break;
    }
    case INTEROP_INIT_GOSSIPSUB:           /* the world's configuration (shadow_scenario) */
    case INTEROP_SET_VALIDATION_DELAY:     /* likewise */
    case INTEROP_WAIT_UNTIL:
    case INTEROP_IF_NODE_ID_EQUALS: break; /* interop_next's */
    }
}

/* Runs host's instructions up to a waitUntil not due yet (then a call
 * brings it back) or the end (the host goes down, as the daemon exits). */
static void step(void *user, uint64_t index) {
    shadow_experiment *x = user;
    shadow_host *h = &x->hosts[index];
    if (world_node(x->w, h->index) == NULL) return;
    for (;;) {
        uint64_t due;
        const interop_instruction *in =
            interop_next(&x->script, &h->next, h->index, world_now(x->w) - h->start_ns, &due);
        if (in != NULL) {
            execute(h, in);
            continue;
        }
        if (due != UINT64_MAX) {
            world_at(x->w, h->start_ns + due, x->call_step, index);
            return;
        }
        world_host_down(x->w, h->index);
        return;
    }
}

static void identity_seed(void *user, uint32_t host, uint8_t seed[IDENTITY_SEED_BYTES]) {
    (void)user;
    interop_node_seed(host, seed);
}

static int setup(void *user, world *w, char *err, size_t cap) {
    shadow_experiment *x = user;
    uint32_t n = x->config.host_count;
    x->w = w;
    x->call_step = world_register_call(w, step, x);
    x->hosts = calloc(n, sizeof *x->hosts);
    x->rpc = malloc(sizeof *x->rpc);
    if (x->hosts == NULL || x->rpc == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    /* One open file a host: raise the soft limit as far as allowed. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max && rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    char path[SCENARIO_PATH_MAX + 128];
    for (uint32_t i = 0; i < n; i++) {
        shadow_host *h = &x->hosts[i];
        h->x = x;
        h->index = i;
        h->policy = (node_policy){.user = h, .observe_rpc = observe_rpc};
        snprintf(path, sizeof path, "%s/hosts/node%u", x->out_dir, i);
        if (run_make_dir(path) != 0) {
            snprintf(err, cap, "%s: %s", path, strerror(errno));
            return -1;
        }
        snprintf(path, sizeof path, "%s/hosts/node%u/swarmlab-node.stdout", x->out_dir, i);
        if ((h->out = fopen(path, "w")) == NULL) {
            snprintf(err, cap, "%s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void node_up(void *user, world *w, uint32_t host) {
    shadow_experiment *x = user;
    shadow_host *h = &x->hosts[host];
    node *n = world_node(w, host);
    node_set_policy(n, &h->policy);
    h->start_ns = world_now(w);
    h->next = 0;
    interop_line_peer_id(&x->line, shadow_time_ns(x), node_id(n), host, emit, h);
    world_at(w, h->start_ns, x->call_step, host); /* the script runs once the host is up */
}

const run_hooks *shadow_world_hooks(shadow_experiment *x, const char *out_dir) {
    x->out_dir = out_dir;
    x->hooks = (run_hooks){.user = x, .identity_seed = identity_seed, .no_topology = true, .setup = setup,
                           .node_up = node_up};
    return &x->hooks;
}

int shadow_world_finish(shadow_experiment *x, char *err, size_t cap) {
    int rc = 0;
    for (uint32_t i = 0; x->hosts != NULL && i < x->config.host_count; i++) {
        if (x->hosts[i].out != NULL && fclose(x->hosts[i].out) != 0 && x->write_errno == 0) x->write_errno = errno;
        x->hosts[i].out = NULL;
    }
    if (x->write_errno != 0) {
        snprintf(err, cap, "%s/hosts: %s", x->out_dir, strerror(x->write_errno));
        rc = -1;
    }
    return rc;
}
