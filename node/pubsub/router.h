/*
 * router: the node's pubsub, a core (pubsub.h) with the router the node
 * config chooses, behind one set of calls, so that the node, its streams
 * and the world choose a router without knowing how it routes.
 *
 * The routers are registered in router.c's table, one entry per
 * router_choice (docs/architecture.md "The router interface").
 */
#ifndef SWARMLAB_ROUTER_H
#define SWARMLAB_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "floodsub.h"
#include "gossipsub.h"
#include "pubsub.h"

#define ROUTER_PROTOCOLS_MAX PUBSUB_ROUTER_PROTOCOLS_MAX

typedef enum router_choice { ROUTER_CHOICE_FLOODSUB = 0, ROUTER_CHOICE_GOSSIPSUB = 1 } router_choice;

typedef struct pubsub_router {
    router_choice choice;
    pubsub_core *core;          /* the core, routed by the chosen router */
    uint64_t heartbeat_ns; /* the router's heartbeat period; 0: none (floodsub) */
} pubsub_router;

/* Creates the chosen router; gossip_config is used for gossipsub only (NULL:
 * the spec's defaults), options by the core of either (NULL: defaults).
 * Keys and the seqno start come from the caller. 0 or -1. */
int router_init(pubsub_router *r, router_choice choice, const pubsub_host *host, const identity *id,
                uint64_t seqno_start, const uint8_t seen_key[SEEN_CACHE_KEY_BYTES],
                const uint8_t mcache_key[SEEN_CACHE_KEY_BYTES], const gossipsub_config *gossip_config,
                const pubsub_options *options);
void router_free(pubsub_router *r);

/* The stream protocols this router speaks, most preferred first. */
size_t router_protocols(const pubsub_router *r, const char *protocols[ROUTER_PROTOCOLS_MAX]);
bool router_speaks(const pubsub_router *r, const char *protocol);
/* Whether a peer joins when the connection is ready (floodsub) or when a
 * pubsub stream has negotiated its protocol (gossipsub: the version matters). */
bool router_adds_peers_on_negotiation(const pubsub_router *r);

/* outbound: we dialled the connection (gossipsub's D_out counts these);
 * ip4: the peer's IPv4 address, host order, 0 when unknown (for P6). */
int router_add_peer(pubsub_router *r, uint32_t peer, const peer_id *id, const char *protocol, bool outbound,
                    uint32_t ip4);
void router_remove_peer(pubsub_router *r, uint32_t peer);
/* Sends a peer the router knows our subscriptions again, on a new stream. */
void router_greet(pubsub_router *r, uint32_t peer);
/* With the reason its remove_peer event carries (NULL: none). */
void router_remove_peer_because(pubsub_router *r, uint32_t peer, const char *reason);
/* For the connection manager: whether the router needs the peer (a mesh
 * member, an explicit peer) and its score (0 without scoring). */
bool router_peer_protected(const pubsub_router *r, uint32_t peer);
double router_peer_score(const pubsub_router *r, uint32_t peer);
int router_handle_rpc(pubsub_router *r, uint32_t peer, const uint8_t *rpc, size_t len);
int router_subscribe(pubsub_router *r, const char *topic);
int router_unsubscribe(pubsub_router *r, const char *topic);
int router_publish(pubsub_router *r, const char *topic, const uint8_t *data, size_t len);
void router_heartbeat(pubsub_router *r, uint64_t now_ns);
/* The core's validation timer fired (pubsub_validation_due). */
void router_validation_due(pubsub_router *r, uint64_t now_ns);

#endif
