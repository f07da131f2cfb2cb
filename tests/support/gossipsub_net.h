/*
 * gossipsub_net: a test harness for the GossipSub router. Routers are wired
 * together through a pubsub_host whose send() queues the RPC for the other
 * router (gnet_drain delivers the queue, so no router is re-entered). "Raw"
 * peers have no router: what is sent to them is logged (gnet_scan decodes
 * it), and they speak through hand-built RPCs, so that a test can state the
 * exact control messages the spec requires. Time is w->now, set by tests.
 * gnet_connect_as(w, a, b, ...) means a dialled b: b is outbound for a.
 */
#ifndef SWARMLAB_TEST_GOSSIPSUB_NET_H
#define SWARMLAB_TEST_GOSSIPSUB_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time_units.h"
#include "pubsub/gossipsub.h"
#include "crypto/peer_record.h"
#include "wire/gossipsub_pb.h"

#define GNET_NODES_MAX 24
#define GNET_QUEUE_MAX 65536
#define GNET_LOG_MAX 4096
#define SEC NS_PER_S
#define GNET_SEQNO_START 100
#define TOPIC "blocks"

typedef struct gnet_rpc {
    uint32_t from, to;
    uint8_t *bytes;
    size_t len;
} gnet_rpc;

struct gnet;

typedef struct gnet_node {
    struct gnet *net;
    uint32_t index;
    gossipsub *gs; /* NULL for a raw peer */
    identity id;
    peer_id pid;
    uint64_t rng;
    int delivered;
    uint8_t last_data[64];
    size_t last_len;
    int traces[TRACE_KIND_COUNT];
    int drops_graylisted;       /* drop_rpc events with reason "graylisted" */
    int drops_px;               /* drop_rpc events for refused peer exchange (reason "px ...") */
    pubsub_validation verdict;  /* what its validator says of every message */
    uint32_t ip4;               /* the address its peers see (P6); 0: unknown */
    uint8_t record[PEER_RECORD_ENVELOPE_MAX]; /* its signed peer record: /ip4/10.0.0.(index+1)/tcp/4001 */
    size_t record_len;
    int px_connects;            /* peers a PRUNE's PX made it connect to */
    peer_id px_last;            /* the last of them */
} gnet_node;

typedef struct gnet {
    uint64_t now;
    size_t count;
    gnet_node nodes[GNET_NODES_MAX];
    gnet_rpc queue[GNET_QUEUE_MAX];
    size_t head, tail;
    gnet_rpc log[GNET_LOG_MAX]; /* RPCs sent to raw peers */
    size_t log_count;
} gnet;

typedef struct gnet_received {
    int rpcs, messages, grafts, prunes, ihaves, ihave_ids, iwant_ids, idontwant_ids;
    bool prune_has_backoff;
    uint64_t prune_backoff_s;
    size_t prune_px;
    size_t prune_px_records; /* PX entries that carry a signed peer record */
    uint8_t last_iwant[128];
    size_t last_iwant_len;
    uint8_t last_data[64];
    size_t last_data_len;
} gnet_received;

void gnet_host_random(void *user, uint8_t *buf, size_t len);
void gnet_drain(gnet *w);
void gnet_log_clear(gnet *w);
gnet *gnet_new(size_t count, size_t routers, const gossipsub_config *config);
/* As gnet_new, with the pubsub core's options for every router (NULL: defaults). */
gnet *gnet_new_with(size_t count, size_t routers, const gossipsub_config *config, const pubsub_options *options);
void gnet_free(gnet *w);
void gnet_default_config(gossipsub_config *config);
void gnet_connect_as(gnet *w, uint32_t a, uint32_t b, const char *protocol);
void gnet_connect(gnet *w, uint32_t a, uint32_t b);
void gnet_heartbeat_all(gnet *w);
void gnet_raw_send(gnet *w, uint32_t raw, uint32_t to, const pubsub_subopts *subs, size_t sub_count,
                     const pubsub_message *msgs, size_t msg_count, const gossipsub_control *ctl);
pubsub_bytes gnet_bytes(const char *text);
void gnet_raw_subscribe(gnet *w, uint32_t raw, uint32_t to, const char *topic);
void gnet_raw_graft(gnet *w, uint32_t raw, uint32_t to, const char *topic);
void gnet_raw_prune(gnet *w, uint32_t raw, uint32_t to, const char *topic, uint64_t backoff_s);
/* A PRUNE whose peer exchange lists nodes px[0..n-1], each with its signed
 * record when with_records. */
void gnet_raw_prune_px(gnet *w, uint32_t raw, uint32_t to, const char *topic, const uint32_t *px, size_t n,
                       bool with_records);
/* One RPC of prunes PRUNEs for topic, each listing nodes px[0..n-1] with
 * their signed records: the flood of issue 19 (8 PRUNEs of 16 records). */
void gnet_raw_prune_flood(gnet *w, uint32_t raw, uint32_t to, const char *topic, const uint32_t *px, size_t n,
                          size_t prunes);
void gnet_raw_ihave(gnet *w, uint32_t raw, uint32_t to, const char *topic, pubsub_bytes id);
void gnet_raw_iwant(gnet *w, uint32_t raw, uint32_t to, pubsub_bytes id);
size_t gnet_published_id(const gnet *w, uint32_t router, uint64_t n, uint8_t *out);
gnet_received gnet_scan(const gnet *w, uint32_t to);
gnet *gnet_star(size_t raws, const gossipsub_config *config);
gnet *gnet_star_default(size_t raws, bool flood_publish);
/* Raw peer raw sends to a router its own signed message (seqno, text) in
 * TOPIC; with corrupt, a byte of the signature is flipped. */
void gnet_raw_publish(gnet *w, uint32_t raw, uint32_t to, uint64_t seqno, const char *text, bool corrupt);
void gnet_raw_idontwant(gnet *w, uint32_t raw, uint32_t to, pubsub_bytes id);


#endif
