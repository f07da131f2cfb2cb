/* floodsub: the /floodsub/1.0.0 router. See floodsub.h. */
#include "floodsub.h"

#include <assert.h>
#include <stdlib.h>

/* The router keeps no state of its own: the core is all it needs. */
typedef struct floodsub {
    pubsub_core *ps;
} floodsub;

static size_t floodsub_protocols(const void *router, const char *out[PUBSUB_ROUTER_PROTOCOLS_MAX]) {
    (void)router;
    out[0] = FLOODSUB_PROTOCOL;
    return 1;
}

static void floodsub_destroy(void *router) { free(router); }

/* Sends msg to every peer subscribed to its topic but the sender and the
 * origin; another peer's message only while the host relays. */
static void floodsub_forward(void *router, const pubsub_peer *from, const pubsub_message *msg, const uint8_t *id,
                             size_t id_len, uint64_t now_ns) {
    (void)id, (void)id_len, (void)now_ns;
    pubsub_core *ps = ((floodsub *)router)->ps;
    if (from != NULL && !pubsub_relaying(ps)) return;
    size_t cap = msg->data.len + msg->topic.len + PUBSUB_RPC_OVERHEAD;
    uint8_t *rpc = NULL;
    pubsub_rpc_shape shape = {.payload_bytes = msg->data.len, .message_count = 1};
    for (size_t i = 0; i < pubsub_peer_count(ps); i++) {
        const pubsub_peer *peer = pubsub_peer_at(ps, i);
        if (peer == from || pubsub_peer_is_origin(peer, msg) || !pubsub_peer_subscribed(peer, msg->topic)) continue;
        if (rpc == NULL) { /* encode once, lazily: most messages reach few peers */
            rpc = malloc(cap);
            if (rpc == NULL) return;
            shape.len = pubsub_rpc_encode(NULL, 0, msg, 1, rpc, cap);
            assert(shape.len > 0);
        }
        pubsub_send(ps, peer, rpc, shape);
    }
    free(rpc);
}

const pubsub_router_ops floodsub_router = {
    .name = "floodsub",
    .peer_size = sizeof(pubsub_peer),
    .topic_size = sizeof(pubsub_topic),
    .adds_peers_on_negotiation = false, /* one version: the connection is enough */
    .protocols = floodsub_protocols,
    .destroy = floodsub_destroy,
    .forward = floodsub_forward,
};

pubsub_core *floodsub_create(const pubsub_host *host, const pubsub_options *options,
                             pubsub_message_id_kind message_id, const identity *id,
                             uint64_t seqno_start, const uint8_t seen_key[SEEN_CACHE_KEY_BYTES]) {
    floodsub *fs = calloc(1, sizeof *fs);
    if (fs == NULL) return NULL;
    pubsub_config config = {.message_id = message_id, .seen_ttl_ns = SEEN_CACHE_TTL_NS,
                            .topics_max = FLOODSUB_TOPICS_MAX};
    if (options != NULL) config.options = *options;
    fs->ps = pubsub_create(host, &floodsub_router, fs, &config, id, seqno_start, seen_key);
    if (fs->ps != NULL) return fs->ps;
    free(fs);
    return NULL;
}
