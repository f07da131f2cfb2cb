/*
 * floodsub: the /floodsub/1.0.0 router (libp2p/specs pubsub/README.md), the
 * smallest router on the pubsub core (pubsub.h).
 *
 * The core does everything but the routing: peers and subscriptions, the
 * seen cache, StrictSign, validation, delivery and traces. Floodsub adds
 * one rule: a valid new message is sent to every peer subscribed to its
 * topic except the one it came from and its origin.
 */
#ifndef SWARMLAB_FLOODSUB_H
#define SWARMLAB_FLOODSUB_H

#include <stdint.h>

#include "pubsub.h"

#define FLOODSUB_PROTOCOL "/floodsub/1.0.0"
#define FLOODSUB_TOPICS_MAX 64 /* topics we subscribe to */

extern const pubsub_router_ops floodsub_router;

/* A core routed by floodsub, with the core's options (NULL: defaults) and
 * message ids of that kind (pubsub_message_id_check must pass).
 * seqno_start seeds the 64-bit sequence number (drawn from the
 * environment); seen_key keys the seen cache. NULL when memory runs out;
 * pubsub_destroy frees it. */
pubsub_core *floodsub_create(const pubsub_host *host, const pubsub_options *options,
                             pubsub_message_id_kind message_id, const identity *id,
                             uint64_t seqno_start, const uint8_t seen_key[SEEN_CACHE_KEY_BYTES]);

#endif
