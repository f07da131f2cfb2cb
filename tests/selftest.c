/*
 * swarmlab-selftest: what `make run` shows until the world lands (issue 3).
 * Five real nodes, wired in a line through the in-memory runtime, complete
 * the libp2p upgrade, ping and identify each other, and pass floodsub
 * messages end to end. It prints what happened and exits 1 if any of it
 * did not.
 */
#include <stdio.h>
#include <string.h>

#include "memnet.h"

#define NODES 5
#define MS 1000000ull
#define LATENCY_NS (20 * MS)
#define RUN_NS (3000 * MS)
#define EVENTS_MAX 10000000

static int delivered[NODES];
static uint64_t delivered_at[NODES];
static memnet *net;

static void on_message(void *user, const char *topic, const peer_id *from, const uint8_t *data, size_t len) {
    (void)topic;
    (void)from;
    size_t i = (size_t)(uintptr_t)user;
    delivered[i]++;
    delivered_at[i] = memnet_now(net);
    printf("  node %zu got \"%.*s\" at %.0f ms\n", i, (int)len, (const char *)data, memnet_now(net) / 1e6);
}

static void on_ping(void *user, const peer_id *peer, bool ok, uint64_t rtt_ns) {
    (void)peer;
    printf("  node %zu ping: %s, rtt %.1f ms\n", (size_t)(uintptr_t)user, ok ? "ok" : "FAILED", rtt_ns / 1e6);
}

int main(void) {
    net = memnet_create(1, LATENCY_NS);
    printf("swarmlab self-test: %d nodes in a line, %.0f ms one-way latency\n", NODES, LATENCY_NS / 1e6);
    for (size_t i = 0; i < NODES; i++) {
        node_callbacks cb = {.user = (void *)(uintptr_t)i, .on_message = on_message, .on_ping = on_ping};
        memnet_add_node(net, &cb);
        printf("  node %zu  %s\n", i, memnet_address(net, i, true));
    }
    for (size_t i = 0; i + 1 < NODES; i++) memnet_dial(net, i, i + 1);
    for (size_t i = 0; i < NODES; i++) node_subscribe(memnet_node(net, i), "swarmlab/demo");
    memnet_run(net, RUN_NS, EVENTS_MAX);
    int failures = 0;
    for (size_t i = 0; i < NODES; i++) {
        size_t expected = (i == 0 || i == NODES - 1) ? 1 : 2;
        if (node_peer_count(memnet_node(net, i)) != expected) failures++;
    }
    printf("upgrade (multistream, Noise XX, yamux): %s\n", failures ? "FAILED" : "every link up");
    node_ping(memnet_node(net, 0), node_id(memnet_node(net, 1)));
    memnet_run(net, memnet_now(net) + RUN_NS, EVENTS_MAX);
    const char *agent = node_peer_agent(memnet_node(net, 0), node_id(memnet_node(net, 1)));
    printf("identify: node 1 runs %s\n", agent ? agent : "(unknown)");
    if (agent == NULL) failures++;
    uint64_t published = memnet_now(net);
    printf("floodsub: node 0 publishes one signed message\n");
    node_publish(memnet_node(net, 0), "swarmlab/demo", (const uint8_t *)"hello, swarm", 12);
    memnet_run(net, memnet_now(net) + RUN_NS, EVENTS_MAX);
    for (size_t i = 0; i < NODES; i++) {
        if (delivered[i] != 1) failures++;
        if (i > 0) printf("  node %zu: %zu hops, %.0f ms\n", i, i, (delivered_at[i] - published) / 1e6);
    }
    printf("trace: %zu publish, %zu deliver, %zu duplicate, %zu reject events\n",
           memnet_count_traces(net, TRACE_PUBLISH_MESSAGE, -1), memnet_count_traces(net, TRACE_DELIVER_MESSAGE, -1),
           memnet_count_traces(net, TRACE_DUPLICATE_MESSAGE, -1), memnet_count_traces(net, TRACE_REJECT_MESSAGE, -1));
    memnet_destroy(net);
    printf("%s\n", failures ? "self-test FAILED" : "self-test passed");
    return failures ? 1 : 0;
}
