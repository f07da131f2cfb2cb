/* router: floodsub or gossipsub behind one set of calls. See router.h. */
#include "router.h"

#include <assert.h>
#include <string.h>

/* Newest first: multistream-select takes the first the remote speaks. */
static const char *const gossipsub_protocols[] = {GOSSIPSUB_PROTOCOL_V12, GOSSIPSUB_PROTOCOL_V11,
                                                  GOSSIPSUB_PROTOCOL_V10};
static const char *const floodsub_protocols[] = {FLOODSUB_PROTOCOL};

int router_init(pubsub_router *r, router_choice choice, const pubsub_host *host, const identity *id,
                uint64_t seqno_start, const uint8_t seen_key[SEEN_CACHE_KEY_BYTES],
                const uint8_t mcache_key[SEEN_CACHE_KEY_BYTES], const gossipsub_config *gossip_config) {
    memset(r, 0, sizeof *r);
    r->choice = choice;
    if (choice == ROUTER_CHOICE_FLOODSUB) {
        r->flood = floodsub_create(host, id, seqno_start, seen_key);
        return r->flood != NULL ? 0 : -1;
    }
    gossipsub_config config;
    if (gossip_config != NULL)
        config = *gossip_config;
    else
        gossipsub_config_default(&config);
    if (gossipsub_config_check(&config) != 0 || config.random == NULL) return -1;
    r->gossip = gossipsub_create(host, &config, id, seqno_start, seen_key, mcache_key);
    r->heartbeat_ns = config.heartbeat_ns;
    r->idontwant = config.idontwant;
    return r->gossip != NULL ? 0 : -1;
}

void router_free(pubsub_router *r) {
    floodsub_destroy(r->flood);
    if (r->gossip != NULL) gossipsub_destroy(r->gossip);
    memset(r, 0, sizeof *r);
}

size_t router_protocols(const pubsub_router *r, const char *protocols[ROUTER_PROTOCOLS_MAX]) {
    const char *const *list = floodsub_protocols;
    size_t count = 1;
    if (r->choice == ROUTER_CHOICE_GOSSIPSUB) { /* without IDONTWANT, from 1.1 down */
        list = r->idontwant ? gossipsub_protocols : gossipsub_protocols + 1;
        count = r->idontwant ? 3 : 2;
    }
    assert(count <= ROUTER_PROTOCOLS_MAX);
    for (size_t i = 0; i < count; i++) protocols[i] = list[i];
    return count;
}

bool router_speaks(const pubsub_router *r, const char *protocol) {
    const char *protocols[ROUTER_PROTOCOLS_MAX];
    size_t count = router_protocols(r, protocols);
    for (size_t i = 0; i < count; i++)
        if (strcmp(protocols[i], protocol) == 0) return true;
    return false;
}

bool router_adds_peers_on_negotiation(const pubsub_router *r) { return r->choice == ROUTER_CHOICE_GOSSIPSUB; }

int router_add_peer(pubsub_router *r, uint32_t peer, const peer_id *id, const char *protocol, bool outbound,
                    uint32_t ip4) {
    if (r->flood != NULL) return floodsub_add_peer(r->flood, peer, id);
    return gossipsub_add_peer(r->gossip, peer, id, protocol, outbound, ip4);
}

void router_remove_peer(pubsub_router *r, uint32_t peer) {
    if (r->flood != NULL)
        floodsub_remove_peer(r->flood, peer);
    else
        gossipsub_remove_peer(r->gossip, peer);
}

int router_handle_rpc(pubsub_router *r, uint32_t peer, const uint8_t *rpc, size_t len) {
    return r->flood != NULL ? floodsub_handle_rpc(r->flood, peer, rpc, len)
                            : gossipsub_handle_rpc(r->gossip, peer, rpc, len);
}

int router_subscribe(pubsub_router *r, const char *topic) {
    return r->flood != NULL ? floodsub_subscribe(r->flood, topic) : gossipsub_subscribe(r->gossip, topic);
}

int router_unsubscribe(pubsub_router *r, const char *topic) {
    return r->flood != NULL ? floodsub_unsubscribe(r->flood, topic) : gossipsub_unsubscribe(r->gossip, topic);
}

int router_publish(pubsub_router *r, const char *topic, const uint8_t *data, size_t len) {
    return r->flood != NULL ? floodsub_publish(r->flood, topic, data, len)
                            : gossipsub_publish(r->gossip, topic, data, len);
}

void router_heartbeat(pubsub_router *r, uint64_t now_ns) {
    if (r->gossip != NULL) gossipsub_heartbeat(r->gossip, now_ns);
}
