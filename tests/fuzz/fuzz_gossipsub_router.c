/*
 * fuzz_gossipsub_router: hostile RPCs from several peers drive a GossipSub
 * router (subscribed to one topic, with a fanout for another) through
 * handle_rpc and heartbeats; nothing may crash, leak or break an invariant.
 *
 * Input: a sequence of records [op][len hi][len lo][len bytes of RPC]. op's
 * low two bits pick the peer (handles 1..4); bit 2 runs a heartbeat after
 * the RPC; bit 3 advances the clock by 30 s first (backoffs, fanout TTL).
 * The router scores its peers and takes IDONTWANT: peer 3 speaks
 * /meshsub/1.2.0, peer 4 /meshsub/1.0.0, the others 1.1.0. It accepts
 * every peer's PX, and its host opens each record a PRUNE hands over, as
 * the node does before it dials.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/time_units.h"
#include "pubsub/gossipsub.h"
#include "crypto/peer_record.h"

#define FUZZ_PEERS 4
#define FUZZ_RECORD_HEADER 3
#define FUZZ_STEP_NS (30 * NS_PER_S)

typedef struct fuzz_world {
    uint64_t now_ns;
    uint64_t rng;
    size_t bytes_sent;
    size_t connects; /* PX suggestions with a record of the suggested peer */
} fuzz_world;

static uint64_t fuzz_now(void *user) { return ((fuzz_world *)user)->now_ns; }

static int fuzz_send(void *user, uint32_t peer, const uint8_t *rpc, size_t len) {
    (void)peer;
    (void)rpc;
    ((fuzz_world *)user)->bytes_sent += len;
    return 0;
}

/* The node's host opens the record before it dials: so does this one. */
static bool fuzz_connect(void *user, const peer_id *id, const uint8_t *record, size_t len) {
    peer_record rec;
    if (peer_record_open(record, len, &rec, NULL) == 0 && peer_id_equal(&rec.id, id))
        ((fuzz_world *)user)->connects++;
    return true;
}

static void fuzz_random(void *user, uint8_t *buf, size_t len) {
    fuzz_world *w = user;
    for (size_t i = 0; i < len; i++) {
        w->rng = w->rng * 6364136223846793005ull + 1442695040888963407ull;
        buf[i] = (uint8_t)(w->rng >> 56);
    }
}

static gossipsub *fuzz_router(fuzz_world *w, identity *id) {
    uint8_t seed[IDENTITY_SEED_BYTES] = {1};
    identity_from_seed(id, seed);
    gossipsub_config config;
    gossipsub_config_default(&config);
    config.random = fuzz_random;
    config.flood_publish = false; /* so that publishing to "f" opens a fanout */
    config.scoring = true;
    config.score_sample_ns = FUZZ_STEP_NS;
    config.opportunistic_graft_ticks = 2;
    config.thresholds.accept_px = 0.0; /* PX from any peer not below 0, so that it is followed */
    pubsub_host host = {.user = w, .now_ns = fuzz_now, .send = fuzz_send, .connect = fuzz_connect};
    uint8_t seen_key[SEEN_CACHE_KEY_BYTES] = {2}, mcache_key[MCACHE_KEY_BYTES] = {3};
    gossipsub *gs = gossipsub_create(&host, &config, NULL, id, 1, seen_key, mcache_key);
    if (gs == NULL) return NULL;
    for (uint32_t p = 1; p <= FUZZ_PEERS; p++) {
        peer_id pid;
        uint8_t peer_seed[IDENTITY_SEED_BYTES] = {(uint8_t)(10 + p)};
        identity peer;
        identity_from_seed(&peer, peer_seed);
        peer_id_from_public_key(peer.public_key, &pid);
        const char *protocol = p == FUZZ_PEERS ? GOSSIPSUB_PROTOCOL_V10
                               : p == 3        ? GOSSIPSUB_PROTOCOL_V12
                                               : GOSSIPSUB_PROTOCOL_V11;
        gossipsub_add_peer(gs, p, &pid, protocol, p % 2 == 0, 0x0a000001u + p % 3);
    }
    gossipsub_subscribe(gs, "t");
    gossipsub_publish(gs, "f", (const uint8_t *)"x", 1);
    return gs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_world w = {.now_ns = 1, .rng = 7};
    identity id;
    gossipsub *gs = fuzz_router(&w, &id);
    if (gs == NULL) abort(); /* a config the router refuses would fuzz nothing */
    while (size >= FUZZ_RECORD_HEADER) {
        uint8_t op = data[0];
        size_t len = (size_t)data[1] << 8 | data[2];
        data += FUZZ_RECORD_HEADER;
        size -= FUZZ_RECORD_HEADER;
        if (len > size) len = size;
        if (op & 8) w.now_ns += FUZZ_STEP_NS;
        (void)gossipsub_handle_rpc(gs, 1 + (op & 3u), data, len);
        if (op & 4) gossipsub_heartbeat(gs, w.now_ns);
        if (gossipsub_mesh_count(gs, "t") > GOSSIPSUB_MESH_PEERS_MAX) __builtin_trap();
        data += len;
        size -= len;
    }
    gossipsub_heartbeat(gs, w.now_ns);
    gossipsub_destroy(gs);
    return 0;
}
