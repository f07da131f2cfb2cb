/*
 * floodsub: the /floodsub/1.0.0 router (libp2p/specs pubsub/README.md).
 *
 * The router knows peers only by a handle the node gives it and talks back
 * through a pubsub_host: send an encoded RPC to a peer, deliver a message to
 * the application, emit a trace event. Messages are signed (StrictSign) at
 * publish and verified on receipt; a seen cache keeps each message from
 * being delivered or forwarded twice. A valid new message is forwarded to
 * every peer subscribed to its topic except the one it came from and its
 * origin.
 */
#ifndef SWARMLAB_FLOODSUB_H
#define SWARMLAB_FLOODSUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"
#include "wire/pubsub_pb.h"
#include "seen_cache.h"
#include "trace/trace.h"

#define FLOODSUB_PROTOCOL "/floodsub/1.0.0"
#define FLOODSUB_PEER_TOPICS_MAX 64  /* topics we remember per peer */
#define FLOODSUB_TOPICS_MAX 64       /* topics we subscribe to */
#define FLOODSUB_SEEN_CAPACITY 65536 /* message ids remembered */

/* Extended validation (gossipsub-v1.1.md "Extended Validators"): the
 * application's verdict on a message whose signature checked. ACCEPT
 * delivers and forwards it; REJECT drops it and counts against the sender
 * (score P4); IGNORE drops it without penalty. */
typedef enum pubsub_validation {
    PUBSUB_ACCEPT,
    PUBSUB_REJECT,
    PUBSUB_IGNORE,
} pubsub_validation;

typedef struct pubsub_host {
    void *user;
    uint64_t (*now_ns)(void *user);
    /* Sends one RPC (not yet length-prefixed) to peer; 0 or -1 (dropped). */
    int (*send)(void *user, uint32_t peer, const uint8_t *rpc, size_t len);
    /* A valid message for a topic we subscribe to, first time seen. */
    void (*deliver)(void *user, const pubsub_message *msg);
    /* The host stamps the time and node index. */
    void (*trace)(void *user, trace_event *event);
    /* Extended validation; NULL accepts every message. gossipsub only. */
    pubsub_validation (*validate)(void *user, const pubsub_message *msg);
    /* Whether the node relays other peers' messages now (forwarding them,
     * or serving them to IWANT); NULL: always. The node's policy answers:
     * a censoring attacker says no. Our own messages always go out. */
    bool (*relay)(void *user);
    /* Peer exchange (gossipsub): the signed peer record a peer gave us,
     * its length or 0 (*record borrowed until the next call); and a peer a
     * PRUNE suggested, with its record, to connect to. Either may be NULL. */
    size_t (*peer_record)(void *user, uint32_t peer, const uint8_t **record);
    void (*connect)(void *user, const peer_id *id, const uint8_t *record, size_t len);
} pubsub_host;

typedef struct floodsub floodsub;

/* seqno_start seeds the 64-bit sequence number (drawn from the
 * environment); seen_key keys the seen cache. NULL when memory runs out. */
floodsub *floodsub_create(const pubsub_host *host, const identity *id, uint64_t seqno_start,
                          const uint8_t seen_key[SEEN_CACHE_KEY_BYTES]);
void floodsub_destroy(floodsub *fs);

/* A peer speaking floodsub; we send it our subscriptions. 0 or -1. */
int floodsub_add_peer(floodsub *fs, uint32_t peer, const peer_id *id);
void floodsub_remove_peer(floodsub *fs, uint32_t peer);
/* One RPC from peer. Returns 0, or -1 when it is malformed (the node then
 * closes that peer's stream); invalid messages inside a well-formed RPC are
 * rejected and traced, and do not fail the RPC. */
int floodsub_handle_rpc(floodsub *fs, uint32_t peer, const uint8_t *rpc, size_t len);

int floodsub_subscribe(floodsub *fs, const char *topic);
int floodsub_unsubscribe(floodsub *fs, const char *topic);
bool floodsub_is_subscribed(const floodsub *fs, const char *topic);
/* Signs and sends data to every subscribed peer, and delivers it locally
 * when we subscribe to topic. 0 or -1. */
int floodsub_publish(floodsub *fs, const char *topic, const uint8_t *data, size_t len);

#endif
