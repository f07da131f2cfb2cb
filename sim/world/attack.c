/* attack: the attackers of a scenario, as real nodes with malicious
 * policies. See attack.h. */
#include "attack.h"
#include "base/time_units.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "crypto/peer_record.h"
#include "wire/gossipsub_pb.h"
#include "wire/multiaddr.h"
#include "wire/pubsub_pb.h"
#include "random/rng.h"
#include "attack_data.h"

#define ATTACK_PEERS_MAX 512 /* as NODE_CONNECTIONS_MAX */
#define ATTACK_RPC_MAX (64u * 1024u)
#define ATTACK_ID_BYTES (PEER_ID_MAX_BYTES + PUBSUB_SEQNO_BYTES)
#define ATTACK_PX_POOL (ATTACK_PX_PRUNES * ATTACK_PX_RECORDS) /* made-up peers: one RPC's worth */

typedef enum attack_kind {
    ATTACK_SPAM,
    ATTACK_DROP,
    ATTACK_FORGE,
    ATTACK_REPLAY,
    ATTACK_LIE,
    ATTACK_GRAFT_SPAM,
    ATTACK_ECLIPSE,
    ATTACK_COVERT_FLASH,
    ATTACK_COLD_BOOT,
    ATTACK_SLOT_EXHAUST,
    ATTACK_PX_FLOOD,
    ATTACK_WITHHOLD, /* the attackers on data: attack_data.h */
    ATTACK_CORRUPT,
    ATTACK_MUTE,
} attack_kind;

static const char *const attack_kind_names[] = {"spam",       "drop",    "forge",        "replay",    "lie",
                                                "graft-spam", "eclipse", "covert-flash", "cold-boot",
                                                "slot-exhaust", "px-flood", "withhold", "corrupt",      "mute"};

/* A made-up peer a px-flooder suggests: its id and its signed record. */
typedef struct px_entry {
    peer_id id;
    uint8_t record[PEER_RECORD_ENVELOPE_MAX];
    size_t record_len;
} px_entry;

typedef struct replay_entry {
    uint8_t *encoded; /* a Message protobuf */
    size_t len;
    uint64_t seen_ns;
} replay_entry;

typedef struct attacker_host {
    struct attack *owner;
    uint32_t host;
    const attacker *spec;
    attack_kind kind;
    node_policy policy;
    replay_entry *kept; /* replay: a ring of ATTACK_REPLAY_KEPT */
    size_t kept_head, kept_count;
    uint64_t seqno;
} attacker_host;

struct attack {
    const scenario *s;
    world *w;
    uint32_t honest;
    attacker_host *hosts;
    uint32_t count;
    uint32_t call_up, call_tick;
    rng rng;
    identity forger; /* signs what attackers forge: never the claimed origin's key */
    uint8_t rpc[ATTACK_RPC_MAX];
    peer_id peers[ATTACK_PEERS_MAX]; /* an attacker's connected peers, as it sends */
    uint8_t *payload;
    pubsub_rpc *decoded;
    gossipsub_control ctl;
    px_entry *px_pool; /* px-flood: ATTACK_PX_POOL made-up peers; NULL without px-flooders */
};

static attack_kind kind_of(const char *name) {
    for (size_t i = 0; i < sizeof attack_kind_names / sizeof attack_kind_names[0]; i++)
        if (strcmp(attack_kind_names[i], name) == 0) return (attack_kind)i;
    assert(0 && "the scenario loader accepts only known kinds");
    return ATTACK_DROP;
}

uint32_t attack_host_count(const scenario *s) {
    uint64_t total = 0;
    for (size_t i = 0; i < s->attacker_count; i++) total += s->attackers[i].count;
    return total > ATTACK_HOSTS_MAX ? ATTACK_HOSTS_MAX : (uint32_t)total;
}

/* When a group's attack begins: covert-flash turns at `at`, cold-boot is
 * there from the start. */
static uint64_t group_start_ns(const attacker *a) {
    return strcmp(a->kind, "covert-flash") == 0 ? a->turn_at_ns
           : strcmp(a->kind, "cold-boot") == 0  ? 0
                                                : a->start_ns;
}

uint64_t attack_start_ns(const scenario *s) {
    uint64_t start = UINT64_MAX;
    for (size_t i = 0; i < s->attacker_count; i++)
        if (group_start_ns(&s->attackers[i]) < start) start = group_start_ns(&s->attackers[i]);
    return start;
}

size_t attack_windows(const scenario *s, plot_window *out, size_t cap) {
    size_t count = 0;
    for (size_t i = 0; i < s->attacker_count && count < cap; i++) {
        const attacker *a = &s->attackers[i];
        plot_window *w = &out[count++];
        memset(w, 0, sizeof *w);
        snprintf(w->kind, sizeof w->kind, "attack");
        w->from_s = (double)group_start_ns(a) / NS_PER_S_DOUBLE;
        w->until_s = (double)s->duration_ns / NS_PER_S_DOUBLE;
        snprintf(w->label, sizeof w->label, "%s x%u", a->kind, a->count);
    }
    return count;
}

uint32_t attack_dial_count(const attacker *spec) {
    return spec->connections > 0 ? spec->connections : ATTACK_CONNECTIONS_DEFAULT;
}

/* Seeds the attack stream and draws the forger's seed: attack_create's
 * first draws, before each attacker's seqno (attack_hosts_init). */
static void attack_stream_begin(rng *r, const scenario *s, uint8_t seed[IDENTITY_SEED_BYTES]) {
    rng_seed(r, s->seed, RNG_STREAM_ATTACK);
    for (size_t i = 0; i < IDENTITY_SEED_BYTES; i++) seed[i] = (uint8_t)rng_next(r);
}

/* ---- the policy ---------------------------------------------------------- */

static bool attacker_relays(void *user) {
    const attacker_host *h = user;
    switch (h->kind) {
    case ATTACK_DROP:
    case ATTACK_LIE:
    case ATTACK_ECLIPSE:
    case ATTACK_COLD_BOOT: return false;
    case ATTACK_COVERT_FLASH: return world_now(h->owner->w) < h->spec->turn_at_ns;
    default: return true;
    }
}

/* Whether the ring's newest ATTACK_REPLAY_DEDUP entries hold this copy:
 * a message arrives once per mesh peer, and one copy is enough. */
static bool replay_has(const attacker_host *h, const uint8_t *encoded, size_t len) {
    for (size_t k = 0; k < h->kept_count && k < ATTACK_REPLAY_DEDUP; k++) {
        const replay_entry *e = &h->kept[(h->kept_head + h->kept_count - 1 - k) % ATTACK_REPLAY_KEPT];
        if (e->len == len && memcmp(e->encoded, encoded, len) == 0) return true;
    }
    return false;
}

/* A replayer keeps every message it receives, once, the oldest forgotten
 * first. */
static void attacker_observe(void *user, const peer_id *peer, const uint8_t *rpc, size_t len) {
    (void)peer;
    attacker_host *h = user;
    attack *a = h->owner;
    if (pubsub_rpc_decode(rpc, len, a->decoded) != 0) return;
    for (size_t i = 0; i < a->decoded->message_count; i++) {
        const pubsub_message *m = &a->decoded->messages[i];
        size_t cap = m->data.len + m->topic.len + 512;
        uint8_t *copy = malloc(cap);
        size_t n = copy != NULL ? pubsub_message_encode(m, copy, cap) : 0;
        if (n == 0 || replay_has(h, copy, n)) {
            free(copy);
            continue;
        }
        replay_entry *slot = &h->kept[(h->kept_head + h->kept_count) % ATTACK_REPLAY_KEPT];
        if (h->kept_count == ATTACK_REPLAY_KEPT) { /* full: the oldest gives way */
            slot = &h->kept[h->kept_head];
            free(slot->encoded);
            h->kept_head = (h->kept_head + 1) % ATTACK_REPLAY_KEPT;
            h->kept_count--;
        }
        *slot = (replay_entry){.encoded = copy, .len = n, .seen_ns = world_now(a->w)};
        h->kept_count++;
    }
}

/* ---- what attackers send ---------------------------------------------------- */

/* rpc[0, len) to every connected peer of h, or to target only. */
static void send_to_peers(attacker_host *h, const uint8_t *rpc, size_t len, const peer_id *target) {
    node *n = world_node(h->owner->w, h->host);
    if (n == NULL || len == 0) return;
    if (target != NULL) {
        (void)node_pubsub_send_raw(n, target, rpc, len);
        return;
    }
    peer_id *peers = h->owner->peers;
    size_t count = node_peers(n, peers, ATTACK_PEERS_MAX);
    for (size_t i = 0; i < count; i++) (void)node_pubsub_send_raw(n, &peers[i], rpc, len);
}

/* A message that claims origin (h's own id, or an honest node's) but is
 * signed by the forger: its signature cannot verify. */
static void send_forged(attacker_host *h, const peer_id *origin) {
    attack *a = h->owner;
    const scenario *s = a->s;
    size_t size = s->workload.size_bytes > 0 ? (size_t)s->workload.size_bytes : 1;
    pubsub_outgoing out;
    peer_id forger;
    peer_id_from_public_key(a->forger.public_key, &forger);
    if (pubsub_message_make(&out, &a->forger, &forger, h->seqno++, s->workload.topics[0], a->payload, size) != 0)
        return;
    out.msg.from = (pubsub_bytes){origin->bytes, origin->len}; /* signed as the forger, claimed as origin */
    send_to_peers(h, a->rpc, pubsub_rpc_encode(NULL, 0, &out.msg, 1, a->rpc, sizeof a->rpc), NULL);
}

static void act_spam(attacker_host *h) {
    attack *a = h->owner;
    const scenario *s = a->s;
    if (h->spec->invalid) {
        send_forged(h, world_peer_id(a->w, h->host));
        return;
    }
    node *n = world_node(a->w, h->host);
    size_t size = s->workload.size_bytes > 0 ? (size_t)s->workload.size_bytes : 1;
    (void)node_publish(n, s->workload.topics[0], a->payload, size);
}

static void act_forge(attacker_host *h) {
    attack *a = h->owner;
    send_forged(h, world_peer_id(a->w, (uint32_t)rng_below(&a->rng, a->honest)));
}

/* The oldest kept message past the seen cache's memory goes out again. */
static void act_replay(attacker_host *h) {
    attack *a = h->owner;
    if (h->kept_count == 0) return;
    replay_entry *e = &h->kept[h->kept_head];
    if (world_now(a->w) < e->seen_ns + ATTACK_REPLAY_AGE_NS) return;
    uint8_t header[1 + 10];
    header[0] = 0x12; /* RPC field 2, publish */
    size_t header_len = 1;
    for (uint64_t v = e->len; ; v >>= 7) { /* the length as a varint */
        header[header_len++] = (uint8_t)(v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
        if (v < 0x80) break;
    }
    if (header_len + e->len <= sizeof a->rpc) {
        memcpy(a->rpc, header, header_len);
        memcpy(a->rpc + header_len, e->encoded, e->len);
        send_to_peers(h, a->rpc, header_len + e->len, NULL);
    }
    free(e->encoded);
    h->kept_head = (h->kept_head + 1) % ATTACK_REPLAY_KEPT;
    h->kept_count--;
}

/* IHAVE of ids that look like its own messages but were never published. */
static void act_lie(attacker_host *h) {
    attack *a = h->owner;
    const peer_id *self = world_peer_id(a->w, h->host);
    uint8_t ids[ATTACK_LIE_IDS][ATTACK_ID_BYTES];
    pubsub_bytes views[ATTACK_LIE_IDS];
    for (size_t i = 0; i < ATTACK_LIE_IDS; i++) {
        uint64_t seqno = rng_next(&a->rng);
        memcpy(ids[i], self->bytes, self->len);
        for (int b = PUBSUB_SEQNO_BYTES - 1; b >= 0; b--, seqno >>= 8) ids[i][self->len + (size_t)b] = (uint8_t)seqno;
        views[i] = (pubsub_bytes){ids[i], self->len + PUBSUB_SEQNO_BYTES};
    }
    gossipsub_control_init(&a->ctl);
    for (size_t t = 0; t < a->s->workload.topic_count; t++) {
        pubsub_bytes topic = {(const uint8_t *)a->s->workload.topics[t], strlen(a->s->workload.topics[t])};
        (void)gossipsub_control_add_ihave(&a->ctl, topic, views, ATTACK_LIE_IDS);
    }
    send_to_peers(h, a->rpc, gossipsub_rpc_encode(NULL, 0, NULL, 0, &a->ctl, a->rpc, sizeof a->rpc), NULL);
}

/* GRAFT for every topic: to every peer, or to the eclipse target. With
 * flap, a PRUNE follows each GRAFT in the same RPC, so that the peer backs
 * off from us and every later GRAFT lands in a backoff. */
static void act_graft(attacker_host *h, const peer_id *target, bool flap) {
    attack *a = h->owner;
    gossipsub_control_init(&a->ctl);
    for (size_t t = 0; t < a->s->workload.topic_count; t++) {
        pubsub_bytes topic = {(const uint8_t *)a->s->workload.topics[t], strlen(a->s->workload.topics[t])};
        (void)gossipsub_control_add_graft(&a->ctl, topic);
        if (flap) (void)gossipsub_control_add_prune(&a->ctl, topic, NULL, 0, true, ATTACK_FLAP_BACKOFF_S);
    }
    send_to_peers(h, a->rpc, gossipsub_rpc_encode(NULL, 0, NULL, 0, &a->ctl, a->rpc, sizeof a->rpc), target);
}

/* px-flood: ATTACK_PX_PRUNES PRUNEs for the first topic, each suggesting
 * ATTACK_PX_RECORDS of the made-up peers, to every peer. */
static void act_px_flood(attacker_host *h) {
    attack *a = h->owner;
    gossipsub_peer_info infos[ATTACK_PX_RECORDS];
    pubsub_bytes topic = {(const uint8_t *)a->s->workload.topics[0], strlen(a->s->workload.topics[0])};
    gossipsub_control_init(&a->ctl);
    for (size_t p = 0; p < ATTACK_PX_PRUNES; p++) {
        for (size_t i = 0; i < ATTACK_PX_RECORDS; i++) {
            const px_entry *e = &a->px_pool[p * ATTACK_PX_RECORDS + i];
            infos[i] = (gossipsub_peer_info){.peer_id = {e->id.bytes, e->id.len}, .has_peer_id = true,
                                             .signed_peer_record = {e->record, e->record_len},
                                             .has_signed_peer_record = true};
        }
        (void)gossipsub_control_add_prune(&a->ctl, topic, infos, ATTACK_PX_RECORDS, true, ATTACK_FLAP_BACKOFF_S);
    }
    send_to_peers(h, a->rpc, gossipsub_rpc_encode(NULL, 0, NULL, 0, &a->ctl, a->rpc, sizeof a->rpc), NULL);
}

static uint32_t eclipse_target(const attacker_host *h) {
    long target = h->spec->target >= 0 ? h->spec->target : 0;
    return (uint32_t)target < h->owner->honest ? (uint32_t)target : 0;
}

/* A slot exhauster holds one connection to the target and says nothing on
 * it (it subscribes to nothing and publishes nothing); whenever it has
 * none (refused, trimmed, or the target restarted) it dials again. */
static void act_slot_exhaust(attacker_host *h) {
    attack *a = h->owner;
    uint32_t target = eclipse_target(h);
    if (!world_hosts_connected(a->w, h->host, target)) world_dial(a->w, h->host, target);
}

/* ---- arrival and ticks ------------------------------------------------------- */

static uint64_t tick_ns(const attacker_host *h) {
    double rate = h->spec->rate_per_s;
    return rate > 0 ? (uint64_t)(NS_PER_S_DOUBLE / rate + 0.5) : ATTACK_TICK_DEFAULT_NS;
}

static bool acts(attack_kind kind) {
    return kind == ATTACK_SPAM || kind == ATTACK_FORGE || kind == ATTACK_REPLAY || kind == ATTACK_LIE ||
           kind == ATTACK_GRAFT_SPAM || kind == ATTACK_ECLIPSE || kind == ATTACK_SLOT_EXHAUST ||
           kind == ATTACK_PX_FLOOD;
}

static void attack_tick(void *user, uint64_t index) {
    attack *a = user;
    attacker_host *h = &a->hosts[index];
    if (world_node(a->w, h->host) == NULL) return;
    switch (h->kind) {
    case ATTACK_SPAM: act_spam(h); break;
    case ATTACK_FORGE: act_forge(h); break;
    case ATTACK_REPLAY: act_replay(h); break;
    case ATTACK_LIE: act_lie(h); break;
    case ATTACK_GRAFT_SPAM: act_graft(h, NULL, true); break;
    case ATTACK_ECLIPSE: act_graft(h, world_peer_id(a->w, eclipse_target(h)), false); break;
    case ATTACK_SLOT_EXHAUST: act_slot_exhaust(h); break;
    case ATTACK_PX_FLOOD: act_px_flood(h); break;
    default: return;
    }
    world_at(a->w, world_now(a->w) + tick_ns(h), a->call_tick, index);
}

/* Up: the policy, the topics, the dials (eclipse: the target first). */
static void attack_up(void *user, uint64_t index) {
    attack *a = user;
    attacker_host *h = &a->hosts[index];
    if (world_host_up(a->w, h->host) != 0) return;
    node *n = world_node(a->w, h->host);
    node_set_policy(n, &h->policy);
    if (h->kind == ATTACK_SLOT_EXHAUST) { /* silent: no topics, the target only */
        act_slot_exhaust(h);
        world_at(a->w, world_now(a->w) + tick_ns(h), a->call_tick, index);
        return;
    }
    for (size_t t = 0; t < a->s->workload.topic_count; t++) (void)node_subscribe(n, a->s->workload.topics[t]);
    uint32_t dials = attack_dial_count(h->spec);
    if (h->kind == ATTACK_ECLIPSE) {
        world_dial(a->w, h->host, eclipse_target(h));
        dials--;
    }
    for (uint32_t i = 0; i < dials && h->kind != ATTACK_COLD_BOOT; i++)
        world_dial(a->w, h->host, (uint32_t)rng_below(&a->rng, a->honest));
    if (acts(h->kind)) world_at(a->w, world_now(a->w) + tick_ns(h), a->call_tick, index);
}

void attack_schedule(attack *a, bool cold_boot) {
    for (uint32_t i = 0; i < a->count; i++) {
        const attacker_host *h = &a->hosts[i];
        if ((h->kind == ATTACK_COLD_BOOT) != cold_boot) continue;
        world_at(a->w, cold_boot ? 0 : h->spec->start_ns, a->call_up, i);
    }
}

void attack_on_honest_up(attack *a, uint32_t host) {
    uint32_t first = 0;
    for (size_t g = 0; g < a->s->attacker_count; g++) {
        const attacker *spec = &a->s->attackers[g];
        uint32_t count = spec->count;
        if (first + count > a->count) count = a->count - first;
        if (strcmp(spec->kind, "cold-boot") == 0 && count > 0) {
            /* The group's connections, spread over the honest nodes. */
            uint64_t per = spec->connections > 0 ? spec->connections : ATTACK_CONNECTIONS_DEFAULT;
            uint64_t dials = (per * count + a->honest - 1) / a->honest;
            for (uint64_t i = 0; i < dials && i < count; i++)
                world_dial(a->w, host, a->honest + first + (uint32_t)rng_below(&a->rng, count));
        }
        first += count;
    }
}

/* ---- lifecycle ---------------------------------------------------------------- */

/* An attacker on data: the Bitswap hooks of its kind (they use no user). */
static void attack_data_hooks(attacker_host *h) {
    attack_data_kind kind;
    switch (h->kind) {
    case ATTACK_WITHHOLD: kind = ATTACK_DATA_WITHHOLD; break;
    case ATTACK_CORRUPT: kind = ATTACK_DATA_CORRUPT; break;
    case ATTACK_MUTE: kind = ATTACK_DATA_MUTE; break;
    default: return;
    }
    const node_policy *p = attack_data_policy(kind);
    h->policy.rewrite_bitswap = p->rewrite_bitswap;
    h->policy.drop_bitswap = p->drop_bitswap;
}

static void attack_hosts_init(attack *a) {
    uint32_t index = 0;
    for (size_t g = 0; g < a->s->attacker_count; g++) {
        const attacker *spec = &a->s->attackers[g];
        for (uint32_t i = 0; i < spec->count && index < a->count; i++, index++) {
            attacker_host *h = &a->hosts[index];
            *h = (attacker_host){.owner = a, .host = a->honest + index, .spec = spec, .kind = kind_of(spec->kind),
                                 .seqno = rng_next(&a->rng)}; /* ids no origin has used */
            h->policy = (node_policy){.user = h, .relay = attacker_relays,
                                      .observe_rpc = h->kind == ATTACK_REPLAY ? attacker_observe : NULL};
            attack_data_hooks(h);
        }
    }
    assert(index == a->count);
}

/* The px-flooders' made-up peers: identities from the attack's stream, each
 * with a record naming a random honest host's address. Drawn only when the
 * scenario has px-flooders, so that other attacks' streams are unchanged. */
static int px_pool_make(attack *a) {
    bool needed = false;
    for (uint32_t i = 0; i < a->count; i++) needed |= a->hosts[i].kind == ATTACK_PX_FLOOD;
    if (!needed || a->honest == 0) return 0;
    a->px_pool = calloc(ATTACK_PX_POOL, sizeof *a->px_pool);
    if (a->px_pool == NULL) return -1;
    for (size_t k = 0; k < ATTACK_PX_POOL; k++) {
        px_entry *e = &a->px_pool[k];
        identity made_up;
        uint8_t seed[IDENTITY_SEED_BYTES];
        for (size_t i = 0; i < sizeof seed; i++) seed[i] = (uint8_t)rng_next(&a->rng);
        identity_from_seed(&made_up, seed);
        peer_id_from_public_key(made_up.public_key, &e->id);
        peer_record rec = {.id = e->id, .seq = 1, .addr_count = 1};
        multiaddr ma;
        const char *bystander = world_address(a->w, (uint32_t)rng_below(&a->rng, a->honest), false);
        if (multiaddr_parse(bystander, &ma) != 0) return -1;
        rec.addr_lens[0] = multiaddr_encode(&ma, rec.addrs[0], sizeof rec.addrs[0]);
        e->record_len = peer_record_seal(&made_up, &rec, e->record, sizeof e->record);
        sodium_memzero(&made_up, sizeof made_up);
        if (rec.addr_lens[0] == 0 || e->record_len == 0) return -1;
    }
    return 0;
}

attack *attack_create(const scenario *s, world *w, uint32_t honest_count) {
    attack *a = calloc(1, sizeof *a);
    if (a == NULL) return NULL;
    a->s = s;
    a->w = w;
    a->honest = honest_count;
    a->count = attack_host_count(s);
    a->hosts = calloc(a->count ? a->count : 1, sizeof *a->hosts);
    a->payload = calloc(1, s->workload.size_bytes + 1);
    a->decoded = malloc(sizeof *a->decoded);
    if (a->hosts == NULL || a->payload == NULL || a->decoded == NULL) {
        attack_destroy(a);
        return NULL;
    }
    uint8_t seed[IDENTITY_SEED_BYTES];
    attack_stream_begin(&a->rng, s, seed);
    identity_from_seed(&a->forger, seed);
    sodium_memzero(seed, sizeof seed);
    attack_hosts_init(a);
    if (px_pool_make(a) != 0) {
        attack_destroy(a);
        return NULL;
    }
    for (uint32_t i = 0; i < a->count; i++) {
        if (a->hosts[i].kind != ATTACK_REPLAY) continue;
        a->hosts[i].kept = calloc(ATTACK_REPLAY_KEPT, sizeof *a->hosts[i].kept);
        if (a->hosts[i].kept == NULL) {
            attack_destroy(a);
            return NULL;
        }
    }
    a->call_up = world_register_call(w, attack_up, a);
    a->call_tick = world_register_call(w, attack_tick, a);
    return a;
}

void attack_destroy(attack *a) {
    if (a == NULL) return;
    for (uint32_t i = 0; a->hosts != NULL && i < a->count; i++) {
        attacker_host *h = &a->hosts[i];
        for (size_t k = 0; h->kept != NULL && k < h->kept_count; k++)
            free(h->kept[(h->kept_head + k) % ATTACK_REPLAY_KEPT].encoded);
        free(h->kept);
    }
    free(a->hosts);
    free(a->px_pool);
    free(a->payload);
    free(a->decoded);
    sodium_memzero(&a->forger, sizeof a->forger);
    free(a);
}

/* ---- the testbed's drop attackers ------------------------------------------ */

static int arrival_cmp(const void *x, const void *y) {
    const attack_arrival *a = x, *b = y;
    if (a->at_ns != b->at_ns) return a->at_ns < b->at_ns ? -1 : 1;
    return a->host < b->host ? -1 : a->host > b->host; /* the world schedules them in host order */
}

attack_arrival *attack_drop_arrivals(const scenario *s, uint32_t honest) {
    uint32_t count = attack_host_count(s);
    attack_arrival *out = calloc(count ? count : 1, sizeof *out);
    if (out == NULL) return NULL;
    rng r;
    uint8_t seed[IDENTITY_SEED_BYTES];
    attack_stream_begin(&r, s, seed);
    sodium_memzero(seed, sizeof seed);
    uint32_t index = 0;
    for (size_t g = 0; g < s->attacker_count; g++)
        for (uint32_t i = 0; i < s->attackers[g].count && index < count; i++, index++) {
            assert(kind_of(s->attackers[g].kind) == ATTACK_DROP);
            (void)rng_next(&r); /* its seqno, as attack_hosts_init draws it */
            out[index] = (attack_arrival){.at_ns = s->attackers[g].start_ns, .host = honest + index,
                                          .dial_count = attack_dial_count(&s->attackers[g])};
        }
    qsort(out, count, sizeof *out, arrival_cmp);
    /* attack_up's draws, in the order the attackers come up: drop draws
     * nothing else from the stream. */
    for (uint32_t k = 0; k < count; k++) {
        out[k].dials = malloc(out[k].dial_count * sizeof *out[k].dials);
        if (out[k].dials == NULL) {
            attack_arrivals_free(out, count);
            return NULL;
        }
        for (uint32_t d = 0; d < out[k].dial_count; d++) out[k].dials[d] = (uint32_t)rng_below(&r, honest);
    }
    return out;
}

void attack_arrivals_free(attack_arrival *arrivals, uint32_t count) {
    if (arrivals == NULL) return;
    for (uint32_t k = 0; k < count; k++) free(arrivals[k].dials);
    free(arrivals);
}
