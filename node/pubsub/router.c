/* router: the node's pubsub core with the chosen router. See router.h. */
#include "router.h"

#include <string.h>

/* What a router is made from: the node's host, identity, seqno start and
 * keys, and the gossipsub parameters (which other routers ignore). */
typedef struct router_setup {
    const pubsub_host *host;
    const identity *id;
    uint64_t seqno_start;
    const uint8_t *seen_key, *mcache_key;
    const gossipsub_config *gossip_config;
    const pubsub_options *options;
} router_setup;

static pubsub_core *make_floodsub(const router_setup *s) {
    pubsub_message_id_kind id = s->gossip_config != NULL ? s->gossip_config->message_id : PUBSUB_MESSAGE_ID_FROM_SEQNO;
    return floodsub_create(s->host, s->options, id, s->id, s->seqno_start, s->seen_key);
}

static pubsub_core *make_gossipsub(const router_setup *s) {
    gossipsub_config config;
    if (s->gossip_config != NULL)
        config = *s->gossip_config;
    else
        gossipsub_config_default(&config);
    if (gossipsub_config_check(&config) != 0 || config.random == NULL) return NULL;
    gossipsub *gs = gossipsub_create(s->host, &config, s->options, s->id, s->seqno_start, s->seen_key, s->mcache_key);
    return gs != NULL ? gossipsub_pubsub(gs) : NULL;
}

/* The registered routers, one per router_choice. */
static pubsub_core *(*const router_makers[])(const router_setup *) = {
    [ROUTER_CHOICE_FLOODSUB] = make_floodsub,
    [ROUTER_CHOICE_GOSSIPSUB] = make_gossipsub,
};

int router_init(pubsub_router *r, router_choice choice, const pubsub_host *host, const identity *id,
                uint64_t seqno_start, const uint8_t seen_key[SEEN_CACHE_KEY_BYTES],
                const uint8_t mcache_key[SEEN_CACHE_KEY_BYTES], const gossipsub_config *gossip_config,
                const pubsub_options *options) {
    memset(r, 0, sizeof *r);
    if ((size_t)choice >= sizeof router_makers / sizeof router_makers[0]) return -1;
    /* The signature policy and the message id must agree (pubsub.h). */
    pubsub_options defaults = {0};
    const pubsub_options *o = options != NULL ? options : &defaults;
    pubsub_message_id_kind message_id = gossip_config != NULL ? gossip_config->message_id : PUBSUB_MESSAGE_ID_FROM_SEQNO;
    if (pubsub_options_check(o) != NULL || pubsub_message_id_check(message_id, o->signature_policy) != NULL) return -1;
    router_setup setup = {.host = host, .id = id, .seqno_start = seqno_start, .seen_key = seen_key,
                          .mcache_key = mcache_key, .gossip_config = gossip_config,
                          .options = options};
    r->choice = choice;
    r->core = router_makers[choice](&setup);
    if (r->core == NULL) return -1;
    r->heartbeat_ns = pubsub_heartbeat_ns(r->core);
    return 0;
}

void router_free(pubsub_router *r) {
    pubsub_destroy(r->core);
    memset(r, 0, sizeof *r);
}

bool router_speaks(const pubsub_router *r, const char *protocol) {
    const char *protocols[ROUTER_PROTOCOLS_MAX];
    size_t count = pubsub_protocols(r->core, protocols);
    for (size_t i = 0; i < count; i++)
        if (strcmp(protocols[i], protocol) == 0) return true;
    return false;
}
