/*
 * test_node: whole nodes wired together through memnet, the in-memory
 * runtime. These are the node's end-to-end specifications: the libp2p
 * upgrade, ping, identify, custom protocols, floodsub and a Bitswap fetch,
 * and what happens to hostile bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/time_units.h"
#include "crypto/peer_record.h"
#include "memnet.h"
#include "wire/gossipsub_pb.h"
#include "wire/pubsub_pb.h"

#define MS NS_PER_MS
#define LATENCY (5 * MS)
#define SETTLE (2000 * MS)
#define EVENTS_MAX 1000000

/* ---- what the application sees, per node ------------------------------ */

typedef struct app {
    size_t index;
    int delivered;
    char last_topic[64];
    char last_data[128];
    peer_id last_from;
    uint64_t last_delivery_ns;
    int pings_ok, pings_failed;
    uint64_t last_rtt_ns;
    int identified;
    int opened_inbound, opened_outbound, closed;
    char received[256];
    node_stream_handle last_stream;
    memnet *net;
} app;

static app apps[MEMNET_NODES_MAX];

static void on_message(void *user, const char *topic, const peer_id *from, const uint8_t *data, size_t len) {
    app *a = user;
    a->delivered++;
    snprintf(a->last_topic, sizeof a->last_topic, "%s", topic);
    snprintf(a->last_data, sizeof a->last_data, "%.*s", (int)len, (const char *)data);
    a->last_from = *from;
    a->last_delivery_ns = memnet_now(a->net);
}

static void on_ping(void *user, const peer_id *peer, bool ok, uint64_t rtt_ns) {
    app *a = user;
    (void)peer;
    if (ok) a->pings_ok++; else a->pings_failed++;
    a->last_rtt_ns = rtt_ns;
}

static void on_identified(void *user, const peer_id *peer) {
    (void)peer;
    ((app *)user)->identified++;
}

static memnet *make_net(size_t count, uint64_t seed) {
    memnet *net = memnet_create(seed, LATENCY);
    memset(apps, 0, sizeof apps);
    for (size_t i = 0; i < count; i++) {
        apps[i].index = i;
        apps[i].net = net;
        node_callbacks cb = {.user = &apps[i], .on_message = on_message, .on_ping = on_ping,
                             .on_peer_identified = on_identified};
        assert_int_equal(memnet_add_node(net, &cb), i);
    }
    return net;
}

static memnet *make_line(size_t count, uint64_t seed) {
    memnet *net = make_net(count, seed);
    for (size_t i = 0; i + 1 < count; i++) assert_int_equal(memnet_dial(net, i, i + 1), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    return net;
}

/* ---- blocks ----------------------------------------------------------- */

static void on_block(void *user, const cid *c, block_fetch_status status, const uint8_t *data, size_t len) {
    app *a = user;
    (void)c;
    a->delivered += status == BLOCK_FETCH_STORED;
    snprintf(a->last_data, sizeof a->last_data, "%.*s", (int)len, (const char *)data);
}

static void a_block_travels_between_memnet_nodes_by_its_cid(void **state) {
    (void)state;
    memnet *net = make_line(2, 30);
    cid c;
    assert_int_equal(node_block_put(memnet_node(net, 0), CID_CODEC_RAW, (const uint8_t *)"a block", 7, &c), 0);
    assert_int_equal(node_block_has(memnet_node(net, 1), &c), 0);
    assert_int_equal(node_block_fetch(memnet_node(net, 1), &c, on_block, &apps[1]), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(apps[1].delivered, 1);
    assert_string_equal(apps[1].last_data, "a block");
    assert_int_equal(node_block_has(memnet_node(net, 1), &c), 1);
    memnet_destroy(net);
}

/* ---- the upgrade ------------------------------------------------------ */

static void two_nodes_complete_the_upgrade_and_know_each_other(void **state) {
    (void)state;
    memnet *net = make_line(2, 1);
    node *a = memnet_node(net, 0), *b = memnet_node(net, 1);
    assert_true(node_is_connected(a, node_id(b)));
    assert_true(node_is_connected(b, node_id(a)));
    assert_int_equal(node_peer_count(a), 1);
    assert_int_equal(node_peer_count(b), 1);
    /* Each side added the other as a floodsub peer, and nobody was removed. */
    assert_int_equal(memnet_count_traces(net, TRACE_ADD_PEER, 0), 1);
    assert_int_equal(memnet_count_traces(net, TRACE_ADD_PEER, 1), 1);
    assert_int_equal(memnet_count_traces(net, TRACE_REMOVE_PEER, -1), 0);
    memnet_destroy(net);
}

static void a_dial_to_the_wrong_peer_id_is_dropped(void **state) {
    (void)state;
    memnet *net = make_net(3, 2);
    /* Ask for node 1 at node 2's address: Noise reveals the impostor. */
    char address[256];
    snprintf(address, sizeof address, "%s%s", memnet_address(net, 2, false),
             strstr(memnet_address(net, 1, true), "/p2p/"));
    assert_int_equal(node_dial(memnet_node(net, 0), address), 0);
    memnet_run(net, SETTLE, EVENTS_MAX);
    assert_int_equal(node_peer_count(memnet_node(net, 0)), 0);
    assert_false(node_is_connected(memnet_node(net, 0), node_id(memnet_node(net, 2))));
    memnet_destroy(net);
}

static void simultaneous_dials_leave_one_connection(void **state) {
    (void)state;
    memnet *net = make_net(2, 3);
    assert_int_equal(memnet_dial(net, 0, 1), 0);
    assert_int_equal(memnet_dial(net, 1, 0), 0);
    memnet_run(net, SETTLE, EVENTS_MAX);
    assert_int_equal(node_peer_count(memnet_node(net, 0)), 1);
    assert_int_equal(node_peer_count(memnet_node(net, 1)), 1);
    /* And the survivor works: a ping crosses it. */
    assert_int_equal(node_ping(memnet_node(net, 0), node_id(memnet_node(net, 1))), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(apps[0].pings_ok, 1);
    memnet_destroy(net);
}

/* ---- ping and identify ------------------------------------------------ */

static void ping_takes_one_round_trip(void **state) {
    (void)state;
    memnet *net = make_line(2, 4);
    assert_int_equal(node_ping(memnet_node(net, 0), node_id(memnet_node(net, 1))), 0);
    assert_int_equal(node_ping(memnet_node(net, 1), node_id(memnet_node(net, 0))), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(apps[0].pings_ok, 1);
    assert_int_equal(apps[1].pings_ok, 1);
    assert_int_equal(apps[0].pings_failed, 0);
    /* Timed from the moment the payload leaves: exactly twice the latency. */
    assert_int_equal(apps[0].last_rtt_ns, 2 * LATENCY);
    memnet_destroy(net);
}

static void ping_to_an_unknown_peer_fails_at_once(void **state) {
    (void)state;
    memnet *net = make_net(2, 5);
    assert_int_equal(node_ping(memnet_node(net, 0), node_id(memnet_node(net, 1))), -1);
    memnet_destroy(net);
}

static void echo_open(void *user, node *n, node_stream_handle s, const peer_id *peer, bool inbound) {
    (void)peer;
    (void)s;
    (void)n;
    app *a = user;
    if (inbound) a->opened_inbound++; else a->opened_outbound++;
}
static void echo_message(void *user, node *n, node_stream_handle s, const peer_id *peer,
                         const uint8_t *data, size_t len) {
    (void)peer;
    app *a = user;
    size_t used = strlen(a->received);
    snprintf(a->received + used, sizeof a->received - used, "%s%.*s", used ? "|" : "", (int)len,
             (const char *)data);
    a->last_stream = s;
    /* The node that did not open the stream answers each message. */
    if (a->opened_inbound > 0) {
        char reply[128];
        int n_reply = snprintf(reply, sizeof reply, "re:%.*s", (int)len, (const char *)data);
        assert_int_equal(node_stream_send(n, s, (const uint8_t *)reply, (size_t)n_reply), 0);
    }
}
static void echo_close(void *user, node *n, node_stream_handle s) {
    (void)n;
    (void)s;
    ((app *)user)->closed++;
}
static const node_protocol_ops echo_ops = {echo_open, echo_message, echo_close};
#define ECHO "/swarmlab-test/echo/1.0.0"

static void identify_tells_each_peer_the_others_protocols(void **state) {
    (void)state;
    memnet *net = make_net(2, 6);
    assert_int_equal(node_register_protocol(memnet_node(net, 1), ECHO, &echo_ops, &apps[1]), 0);
    assert_int_equal(memnet_dial(net, 0, 1), 0);
    memnet_run(net, SETTLE, EVENTS_MAX);
    node *a = memnet_node(net, 0), *b = memnet_node(net, 1);
    assert_int_equal(apps[0].identified, 1);
    assert_int_equal(apps[1].identified, 1);
    assert_true(node_peer_supports(a, node_id(b), "/ipfs/ping/1.0.0"));
    assert_true(node_peer_supports(a, node_id(b), "/ipfs/id/1.0.0"));
    assert_true(node_peer_supports(a, node_id(b), "/floodsub/1.0.0"));
    assert_true(node_peer_supports(a, node_id(b), ECHO));
    assert_false(node_peer_supports(b, node_id(a), ECHO)); /* a never registered it */
    assert_false(node_peer_supports(a, node_id(b), "/no/such/1.0.0"));
    assert_string_equal(node_peer_agent(a, node_id(b)), NODE_AGENT_VERSION);
    memnet_destroy(net);
}

static void a_custom_protocol_carries_messages_both_ways(void **state) {
    (void)state;
    memnet *net = make_net(2, 7);
    node *a = memnet_node(net, 0), *b = memnet_node(net, 1);
    assert_int_equal(node_register_protocol(a, ECHO, &echo_ops, &apps[0]), 0);
    assert_int_equal(node_register_protocol(b, ECHO, &echo_ops, &apps[1]), 0);
    assert_int_equal(memnet_dial(net, 0, 1), 0);
    memnet_run(net, SETTLE, EVENTS_MAX);
    node_stream_handle s;
    assert_int_equal(node_open_stream(a, node_id(b), ECHO, &s), 0);
    /* Messages sent before the peer accepted the protocol wait, in order. */
    assert_int_equal(node_stream_send(a, s, (const uint8_t *)"hello", 5), 0);
    assert_int_equal(node_stream_send(a, s, (const uint8_t *)"again", 5), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(apps[0].opened_outbound, 1);
    assert_int_equal(apps[1].opened_inbound, 1);
    assert_string_equal(apps[1].received, "hello|again");
    assert_string_equal(apps[0].received, "re:hello|re:again");
    assert_int_equal(node_stream_close(a, s), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(apps[0].closed, 1);
    assert_int_equal(apps[1].closed, 1);
    memnet_destroy(net);
}

static void a_protocol_the_peer_lacks_is_refused(void **state) {
    (void)state;
    memnet *net = make_net(2, 8);
    node *a = memnet_node(net, 0), *b = memnet_node(net, 1);
    assert_int_equal(node_register_protocol(a, ECHO, &echo_ops, &apps[0]), 0);
    assert_int_equal(memnet_dial(net, 0, 1), 0);
    memnet_run(net, SETTLE, EVENTS_MAX);
    node_stream_handle s;
    assert_int_equal(node_open_stream(a, node_id(b), ECHO, &s), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(apps[0].opened_outbound, 0);
    assert_int_equal(apps[0].closed, 1);
    assert_true(node_is_connected(a, node_id(b))); /* only the stream went */
    memnet_destroy(net);
}

/* ---- floodsub --------------------------------------------------------- */

static void subscribe_all(memnet *net, size_t count, const char *topic) {
    for (size_t i = 0; i < count; i++) assert_int_equal(node_subscribe(memnet_node(net, i), topic), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
}

static void five_nodes_in_a_line_deliver_once_each(void **state) {
    (void)state;
    memnet *net = make_line(5, 9);
    subscribe_all(net, 5, "blocks");
    uint64_t published_at = memnet_now(net);
    assert_int_equal(node_publish(memnet_node(net, 0), "blocks", (const uint8_t *)"block 1", 7), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(apps[i].delivered, 1);
        assert_string_equal(apps[i].last_data, "block 1");
        assert_string_equal(apps[i].last_topic, "blocks");
        assert_true(peer_id_equal(&apps[i].last_from, node_id(memnet_node(net, 0))));
        /* One latency per hop: the line has no shortcut. */
        assert_int_equal(apps[i].last_delivery_ns - published_at, i * LATENCY);
        assert_int_equal(memnet_count_traces(net, TRACE_DELIVER_MESSAGE, (int)i), 1);
    }
    assert_int_equal(memnet_count_traces(net, TRACE_PUBLISH_MESSAGE, -1), 1);
    assert_int_equal(memnet_count_traces(net, TRACE_REJECT_MESSAGE, -1), 0);
    /* In a line nobody hears a message twice: it never goes back. */
    assert_int_equal(memnet_count_traces(net, TRACE_DUPLICATE_MESSAGE, -1), 0);
    memnet_destroy(net);
}

/* A peer that resets our pubsub stream (here: B, reading a malformed RPC
 * from A) loses only that stream; A opens another, and what A publishes
 * next reaches B. */
static void a_reset_pubsub_stream_is_opened_again(void **state) {
    (void)state;
    memnet *net = make_line(2, 32);
    subscribe_all(net, 2, "blocks");
    node *a = memnet_node(net, 0), *b = memnet_node(net, 1);
    const uint8_t garbage[] = {0x0a, 0xff}; /* a subscription whose length runs past the end */
    assert_int_equal(node_pubsub_send_raw(a, node_id(b), garbage, sizeof garbage), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_true(node_is_connected(a, node_id(b)));
    /* The peers stay in each other's routers: only the stream went. */
    assert_int_equal(memnet_count_traces(net, TRACE_REMOVE_PEER, -1), 0);
    assert_int_equal(node_publish(a, "blocks", (const uint8_t *)"after", 5), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(apps[1].delivered, 1);
    assert_string_equal(apps[1].last_data, "after");
    memnet_destroy(net);
}

static void gossipsub_nodes_in_a_line_deliver_once_each(void **state) {
    (void)state;
    memnet *net = memnet_create(16, LATENCY);
    memset(apps, 0, sizeof apps);
    memnet_set_router(net, ROUTER_CHOICE_GOSSIPSUB);
    for (size_t i = 0; i < 5; i++) {
        apps[i].index = i;
        apps[i].net = net;
        node_callbacks cb = {.user = &apps[i], .on_message = on_message};
        assert_int_equal(memnet_add_node(net, &cb), i);
    }
    for (size_t i = 0; i + 1 < 5; i++) assert_int_equal(memnet_dial(net, i, i + 1), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    subscribe_all(net, 5, "blocks");
    /* A heartbeat or two (1 s each) lets every node graft its neighbours. */
    memnet_run(net, memnet_now(net) + 3 * SETTLE, EVENTS_MAX);
    assert_true(node_peer_supports(memnet_node(net, 1), node_id(memnet_node(net, 0)), "/meshsub/1.1.0"));
    assert_false(node_peer_supports(memnet_node(net, 1), node_id(memnet_node(net, 0)), "/floodsub/1.0.0"));
    assert_int_equal(node_publish(memnet_node(net, 0), "blocks", (const uint8_t *)"mesh", 4), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(apps[i].delivered, 1);
        assert_string_equal(apps[i].last_data, "mesh");
    }
    assert_true(memnet_count_traces(net, TRACE_GRAFT, -1) >= 8); /* both ends of four links */
    assert_int_equal(memnet_count_traces(net, TRACE_REJECT_MESSAGE, -1), 0);
    memnet_destroy(net);
}

/* Node 1 prunes node 0 (which dialled it, so trusts its PX) suggesting 16
 * peers with records it made up, at the addresses of nodes 2..17: each
 * dial would reach a node that turns out to be someone else. Node 0 runs
 * at most 8 PX dials at once (px_dials_in_flight), apart from its
 * connection table, and traces the refusal of the rest. */
#define PX_SUGGESTED 16

static void a_prune_flood_runs_at_most_px_dials_in_flight_at_once(void **state) {
    (void)state;
    memnet *net = memnet_create(21, LATENCY);
    memnet_set_router(net, ROUTER_CHOICE_GOSSIPSUB);
    for (size_t i = 0; i < 2 + PX_SUGGESTED; i++) assert_int_equal(memnet_add_node(net, NULL), i);
    assert_int_equal(memnet_dial(net, 0, 1), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(node_subscribe(memnet_node(net, 0), "blocks"), 0);
    memnet_run(net, memnet_now(net) + SETTLE / 10, EVENTS_MAX);
    static uint8_t records[PX_SUGGESTED][PEER_RECORD_ENVELOPE_MAX];
    static peer_id ids[PX_SUGGESTED];
    gossipsub_peer_info infos[PX_SUGGESTED];
    for (size_t k = 0; k < PX_SUGGESTED; k++) {
        identity made_up;
        uint8_t seed[IDENTITY_SEED_BYTES];
        memset(seed, (int)(0x40 + k), sizeof seed);
        identity_from_seed(&made_up, seed);
        peer_id_from_public_key(made_up.public_key, &ids[k]);
        peer_record rec = {.id = ids[k], .seq = 1, .addr_count = 1, .addr_lens = {8}};
        const uint8_t addr[8] = {0x04, 10, 0, 0, (uint8_t)(k + 3), 0x06, 0x0f, 0xa1}; /* node k + 2 */
        memcpy(rec.addrs[0], addr, sizeof addr);
        size_t len = peer_record_seal(&made_up, &rec, records[k], sizeof records[k]);
        assert_true(len > 0);
        infos[k] = (gossipsub_peer_info){.peer_id = {ids[k].bytes, ids[k].len}, .has_peer_id = true,
                                         .signed_peer_record = {records[k], len}, .has_signed_peer_record = true};
    }
    static gossipsub_control ctl;
    gossipsub_control_init(&ctl);
    pubsub_bytes topic = {(const uint8_t *)"blocks", 6};
    assert_int_equal(gossipsub_control_add_prune(&ctl, topic, infos, PX_SUGGESTED, true, 60), 0);
    static uint8_t rpc[1 << 16];
    size_t len = gossipsub_rpc_encode(NULL, 0, NULL, 0, &ctl, rpc, sizeof rpc);
    assert_true(len > 0);
    assert_int_equal(memnet_dials(net, 0), 1);
    assert_int_equal(node_pubsub_send_raw(memnet_node(net, 1), node_id(memnet_node(net, 0)), rpc, len), 0);
    memnet_run(net, memnet_now(net) + LATENCY, EVENTS_MAX);
    assert_int_equal(memnet_dials(net, 0), 1 + 8);
    size_t count;
    const memnet_trace *traces = memnet_traces(net, &count);
    int refused = 0;
    for (size_t i = 0; i < count; i++)
        refused += traces[i].node_index == 0 && traces[i].kind == TRACE_DROP_RPC &&
                   strcmp(traces[i].reason, "px dials in flight") == 0;
    assert_int_equal(refused, 1); /* once for the PRUNE */
    memnet_destroy(net);
}

static void a_ring_reports_each_duplicate(void **state) {
    (void)state;
    memnet *net = make_line(4, 10);
    assert_int_equal(memnet_dial(net, 3, 0), 0); /* close the ring 0-1-2-3-0 */
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    subscribe_all(net, 4, "blocks");
    assert_int_equal(node_publish(memnet_node(net, 0), "blocks", (const uint8_t *)"x", 1), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    for (size_t i = 0; i < 4; i++) assert_int_equal(apps[i].delivered, 1);
    /* Node 2 hears it from 1 and from 3 at the same moment: one is a
     * duplicate. It forwards the first copy to the other neighbour, which
     * has it already: one more duplicate, at 1 or 3. The origin, 0, is never
     * sent its own message. */
    assert_int_equal(memnet_count_traces(net, TRACE_DUPLICATE_MESSAGE, 2), 1);
    assert_int_equal(memnet_count_traces(net, TRACE_DUPLICATE_MESSAGE, 1) +
                         memnet_count_traces(net, TRACE_DUPLICATE_MESSAGE, 3), 1);
    assert_int_equal(memnet_count_traces(net, TRACE_DUPLICATE_MESSAGE, 0), 0);
    assert_int_equal(memnet_count_traces(net, TRACE_DUPLICATE_MESSAGE, -1), 2);
    memnet_destroy(net);
}

static void flip_data_byte(void *user, uint8_t *rpc, size_t len) {
    (void)user;
    static pubsub_rpc decoded;
    if (pubsub_rpc_decode(rpc, len, &decoded) != 0 || decoded.message_count == 0) return;
    const pubsub_message *msg = &decoded.messages[0];
    if (msg->data.len == 0) return;
    rpc[msg->data.data - rpc] ^= 0x01; /* the data view points into rpc */
}

static void a_tampered_message_is_rejected_and_traced(void **state) {
    (void)state;
    memnet *net = make_line(3, 11);
    subscribe_all(net, 3, "blocks");
    static const node_policy forger = {.rewrite_rpc = flip_data_byte};
    node_set_policy(memnet_node(net, 0), &forger);
    assert_int_equal(node_publish(memnet_node(net, 0), "blocks", (const uint8_t *)"genuine", 7), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(apps[0].delivered, 1); /* the publisher delivers its own, untouched */
    assert_int_equal(apps[1].delivered, 0);
    assert_int_equal(apps[2].delivered, 0); /* and node 1 did not pass it on */
    assert_int_equal(memnet_count_traces(net, TRACE_REJECT_MESSAGE, 1), 1);
    size_t count;
    const memnet_trace *traces = memnet_traces(net, &count);
    bool found = false;
    for (size_t i = 0; i < count; i++) {
        if (traces[i].kind != TRACE_REJECT_MESSAGE) continue;
        assert_non_null(strstr(traces[i].reason, "signature"));
        assert_string_equal(traces[i].topic, "blocks");
        assert_true(peer_id_equal(&traces[i].peer, node_id(memnet_node(net, 0))));
        found = true;
    }
    assert_true(found);
    /* The peer stays: a bad message is not a bad connection. */
    assert_true(node_is_connected(memnet_node(net, 1), node_id(memnet_node(net, 0))));
    memnet_destroy(net);
}

static void an_unsubscribed_node_forwards_nothing_it_never_gets(void **state) {
    (void)state;
    memnet *net = make_line(3, 12);
    assert_int_equal(node_subscribe(memnet_node(net, 0), "blocks"), 0);
    assert_int_equal(node_subscribe(memnet_node(net, 2), "blocks"), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(node_publish(memnet_node(net, 0), "blocks", (const uint8_t *)"m", 1), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    /* floodsub sends only to subscribed peers: node 1 never sees it, so node 2 neither. */
    assert_int_equal(apps[1].delivered, 0);
    assert_int_equal(apps[2].delivered, 0);
    assert_int_equal(memnet_count_traces(net, TRACE_JOIN, -1), 2);
    memnet_destroy(net);
}

static void unsubscribing_stops_delivery(void **state) {
    (void)state;
    memnet *net = make_line(2, 13);
    subscribe_all(net, 2, "blocks");
    assert_int_equal(node_unsubscribe(memnet_node(net, 1), "blocks"), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(node_publish(memnet_node(net, 0), "blocks", (const uint8_t *)"m", 1), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    assert_int_equal(apps[1].delivered, 0);
    assert_int_equal(memnet_count_traces(net, TRACE_LEAVE, 1), 1);
    memnet_destroy(net);
}

/* ---- hostile input ---------------------------------------------------- */

static void garbage_closes_only_the_offending_connection(void **state) {
    (void)state;
    static const struct { const char *name; const uint8_t *bytes; size_t len; } garbage[] = {
        {"line without newline", (const uint8_t *)"\x06hello!", 7},
        {"overlong varint", (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 10},
        {"wrong header", (const uint8_t *)"\x13/multistream/9.9.9\n", 20},
        {"bad noise frame", (const uint8_t *)"\x13/multistream/1.0.0\n\x07/noise\n\x00\x05hello", 35},
    };
    for (size_t g = 0; g < sizeof garbage / sizeof garbage[0]; g++) {
        memnet *net = make_line(2, 14);
        int raw = memnet_raw_open(net, 0);
        assert_true(raw >= 0);
        memnet_run(net, memnet_now(net) + LATENCY, EVENTS_MAX);
        assert_int_equal(memnet_raw_write(net, raw, garbage[g].bytes, garbage[g].len), 0);
        memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
        if (!memnet_raw_closed(net, raw)) fail_msg("%s: the node kept the connection", garbage[g].name);
        assert_true(node_is_connected(memnet_node(net, 0), node_id(memnet_node(net, 1))));
        assert_int_equal(node_ping(memnet_node(net, 0), node_id(memnet_node(net, 1))), 0);
        memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
        assert_int_equal(apps[0].pings_ok, 1);
        memnet_destroy(net);
    }
}

static void a_silent_connection_times_out(void **state) {
    (void)state;
    memnet *net = make_net(1, 15);
    int raw = memnet_raw_open(net, 0);
    memnet_run(net, NODE_HANDSHAKE_TIMEOUT_NS - MS, EVENTS_MAX);
    assert_false(memnet_raw_closed(net, raw));
    memnet_run(net, NODE_HANDSHAKE_TIMEOUT_NS + 2 * LATENCY, EVENTS_MAX);
    assert_true(memnet_raw_closed(net, raw));
    memnet_destroy(net);
}

/* ---- determinism and the seam ----------------------------------------- */

static size_t run_scenario(uint64_t seed, memnet_trace *out, size_t cap, peer_id *first_id) {
    memnet *net = make_line(4, seed);
    subscribe_all(net, 4, "t");
    assert_int_equal(node_publish(memnet_node(net, 3), "t", (const uint8_t *)"d", 1), 0);
    memnet_run(net, memnet_now(net) + SETTLE, EVENTS_MAX);
    size_t count;
    const memnet_trace *traces = memnet_traces(net, &count);
    assert_true(count <= cap);
    memcpy(out, traces, count * sizeof *traces);
    *first_id = *node_id(memnet_node(net, 0));
    assert_true(memnet_random_bytes_drawn(net) > 0); /* all of it through the seam */
    memnet_destroy(net);
    return count;
}

static void the_same_seed_gives_the_same_run(void **state) {
    (void)state;
    static memnet_trace a[4096], b[4096], c[4096];
    peer_id id_a, id_b, id_c;
    size_t count_a = run_scenario(42, a, 4096, &id_a);
    size_t count_b = run_scenario(42, b, 4096, &id_b);
    size_t count_c = run_scenario(43, c, 4096, &id_c);
    assert_true(count_a > 20);
    assert_int_equal(count_a, count_b);
    assert_memory_equal(a, b, count_a * sizeof a[0]);
    assert_true(peer_id_equal(&id_a, &id_b));
    assert_false(peer_id_equal(&id_a, &id_c)); /* another seed, other identities */
    (void)count_c;
}

/* ---- a node alone, on a seam made of counters -------------------------- */

static uint8_t traced_id[96];
static size_t traced_id_len;

static uint64_t counter_now(void *ctx) { (void)ctx; return 0; }
static uint64_t fixed_unix_time(void *ctx) { (void)ctx; return 0x1122334455667788ull; }
static void counter_random(void *ctx, uint8_t *out, size_t len) {
    for (size_t i = 0; i < len; i++) out[i] = (uint8_t)(++*(uint64_t *)ctx);
}
static int no_write(void *ctx, uint64_t conn, const uint8_t *bytes, size_t len) {
    (void)ctx, (void)conn, (void)bytes, (void)len;
    return 0;
}
static void no_close(void *ctx, uint64_t conn) { (void)ctx, (void)conn; }
static void keep_publish_id(void *ctx, const trace_event *e) {
    (void)ctx;
    if (e->kind != TRACE_PUBLISH_MESSAGE) return;
    memcpy(traced_id, e->msg_id, e->msg_id_len);
    traced_id_len = e->msg_id_len;
}

static void with_a_calendar_sequence_numbers_start_at_unix_time(void **state) {
    (void)state;
    memnet_forbid_global_randomness();
    uint64_t counter = 0;
    env e = {.ctx = &counter, .now_ns = counter_now, .unix_time_ns = fixed_unix_time, .random = counter_random,
             .write = no_write, .close = no_close, .trace = keep_publish_id};
    node_config config = {.env = &e};
    node *n = node_create(&config);
    assert_non_null(n);
    assert_int_equal(node_publish(n, "t", (const uint8_t *)"x", 1), 0);
    /* The message id is from || seqno: the seqno is the calendar time, big-endian. */
    static const uint8_t expected[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    assert_true(traced_id_len > 8);
    assert_memory_equal(traced_id + traced_id_len - 8, expected, 8);
    assert_true(counter > 0); /* keys still come from the seam's randomness */
    node_destroy(n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(with_a_calendar_sequence_numbers_start_at_unix_time),
        cmocka_unit_test(two_nodes_complete_the_upgrade_and_know_each_other),
        cmocka_unit_test(a_block_travels_between_memnet_nodes_by_its_cid),
        cmocka_unit_test(a_dial_to_the_wrong_peer_id_is_dropped),
        cmocka_unit_test(simultaneous_dials_leave_one_connection),
        cmocka_unit_test(ping_takes_one_round_trip),
        cmocka_unit_test(ping_to_an_unknown_peer_fails_at_once),
        cmocka_unit_test(identify_tells_each_peer_the_others_protocols),
        cmocka_unit_test(a_custom_protocol_carries_messages_both_ways),
        cmocka_unit_test(a_protocol_the_peer_lacks_is_refused),
        cmocka_unit_test(five_nodes_in_a_line_deliver_once_each),
        cmocka_unit_test(a_reset_pubsub_stream_is_opened_again),
        cmocka_unit_test(gossipsub_nodes_in_a_line_deliver_once_each),
        cmocka_unit_test(a_prune_flood_runs_at_most_px_dials_in_flight_at_once),
        cmocka_unit_test(a_ring_reports_each_duplicate),
        cmocka_unit_test(a_tampered_message_is_rejected_and_traced),
        cmocka_unit_test(an_unsubscribed_node_forwards_nothing_it_never_gets),
        cmocka_unit_test(unsubscribing_stops_delivery),
        cmocka_unit_test(garbage_closes_only_the_offending_connection),
        cmocka_unit_test(a_silent_connection_times_out),
        cmocka_unit_test(the_same_seed_gives_the_same_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
