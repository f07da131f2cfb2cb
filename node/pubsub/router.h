/*
 * router: makes the node's pubsub: a core (pubsub.h) with the router the
 * node config chooses, so that the node, its streams and the world choose
 * a router without knowing how it routes. The node then calls the core.
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

/* Whether the router speaks protocol (one of pubsub_protocols). Everything
 * else the node asks of its pubsub goes to the core, r->core (pubsub.h). */
bool router_speaks(const pubsub_router *r, const char *protocol);

#endif
