/*
 * gossipsub_state: the router's state (struct gossipsub, its peers and
 * topics, which extend the core's) and the small operations on it that
 * every gossipsub_*.c file uses: topic members, backoffs, id fingerprints.
 * The bottom of the router's files: it includes none of theirs. Not for
 * use outside the router.
 */
#ifndef SWARMLAB_GOSSIPSUB_STATE_H
#define SWARMLAB_GOSSIPSUB_STATE_H

#include "base/time_units.h"
#include "gossipsub.h"
#include "wire/gossipsub_pb.h"

#define GOSSIPSUB_PEERS_MAX PUBSUB_PEERS_MAX
#define GOSSIPSUB_PROMISES_MAX 4096 /* IWANT promises outstanding per node */
#define GOSSIPSUB_DONTWANT_TTL_HEARTBEATS 3 /* go-libp2p GossipSubIDontWantMessageTTL */
#define GOSSIPSUB_DONTWANT_INITIAL 8       /* IDONTWANT slots per peer before doubling */
#define GOSSIPSUB_EXPLICIT_PEERS_MAX 64
/* Scratch handles: every peer, or a mesh and the explicit peers. */
#define GOSSIPSUB_SCRATCH_HANDLES (GOSSIPSUB_PEERS_MAX + GOSSIPSUB_MESH_PEERS_MAX)

/* An id a peer told us (IDONTWANT) not to send, until a heartbeat passes. */
typedef struct gossipsub_dontwant {
    uint64_t fingerprint;
    uint64_t heartbeat; /* the heartbeat count when it arrived */
} gossipsub_dontwant;

/* v1.1 promise tracking: a peer that advertised an id in IHAVE and was
 * asked for it (IWANT) should deliver it by deadline_ns, else P7. */
typedef struct gossipsub_promise {
    uint64_t fingerprint;
    uint32_t handle;
    uint64_t deadline_ns;
} gossipsub_promise;

/* A peer: the core's part (handle, id, its topics), then the router's. */
typedef struct gossipsub_peer {
    pubsub_peer base;
    bool v11;                /* speaks /meshsub/1.1.0 or later: PRUNE backoff and PX */
    bool supports_idontwant; /* speaks /meshsub/1.2.0: for the v1.2 work */
    uint32_t ihaves_this_heartbeat;  /* IHAVEs received, against max_ihave_messages */
    uint32_t asked_this_heartbeat;   /* ids we asked for, against max_ihave_length */
    uint32_t idontwants_this_heartbeat; /* IDONTWANT ids taken, against max_idontwant_messages */
    bool px_this_heartbeat; /* the PX of one of its PRUNEs was followed since the last heartbeat */
    bool outbound;       /* we dialled it: D_out counts these */
    bool explicit_peer;  /* configured as explicit (direct): never meshed, always sent to */
    gossipsub_dontwant *dontwant; /* ids not to send it, grows to the per-heartbeat cap */
    size_t dontwant_count, dontwant_cap;
} gossipsub_peer;

typedef struct gossipsub_backoff {
    uint32_t handle;
    uint64_t until_ns;
} gossipsub_backoff;

/* One topic we subscribe to (members: the mesh), publish to without
 * subscribing (members: the fanout), or only remember backoffs for. */
typedef struct gossipsub_topic {
    pubsub_topic base; /* the name, and whether we subscribe */
    bool fanout;
    uint64_t last_publish_ns; /* fanout: for fanout_ttl */
    uint32_t members[GOSSIPSUB_MESH_PEERS_MAX];
    size_t member_count;
    gossipsub_backoff backoffs[GOSSIPSUB_BACKOFFS_PER_TOPIC_MAX];
    size_t backoff_count;
} gossipsub_topic;

struct gossipsub {
    pubsub_core *ps;             /* the core: peers, topics, seen cache, message path */
    pubsub_host host;       /* the core's host, for randomness and peer exchange */
    gossipsub_config config;
    mcache cache;
    gossipsub_control *ctl_in;  /* scratch: a decoded control */
    gossipsub_control *ctl_out; /* scratch: a control being built */
    uint32_t *scratch_handles;  /* scratch: candidate peers, GOSSIPSUB_PEERS_MAX */
    uint8_t fingerprint_key[MCACHE_KEY_BYTES]; /* for IDONTWANT and promise ids */
    uint64_t heartbeats;        /* heartbeats run so far */
    uint32_t px_dials_this_heartbeat; /* suggestions handed to host.connect, against prune_peers */
    score *score;               /* NULL unless config.scoring */
    gossipsub_promise *promises; /* GOSSIPSUB_PROMISES_MAX, allocated with score */
    size_t promise_count;
    uint64_t next_sample_ns;    /* next peer_score snapshot */
    peer_id explicit_ids[GOSSIPSUB_EXPLICIT_PEERS_MAX];
    size_t explicit_count;
};

/* Topics and peers: the core's tables, seen as the router's structs. */
static inline gossipsub_topic *gossipsub_topic_at(const gossipsub *gs, size_t index) {
    return (gossipsub_topic *)pubsub_topic_at(gs->ps, index);
}
static inline gossipsub_topic *gossipsub_topic_find(const gossipsub *gs, pubsub_bytes name) {
    return (gossipsub_topic *)pubsub_topic_find(gs->ps, name);
}
static inline gossipsub_topic *gossipsub_topic_get(gossipsub *gs, pubsub_bytes name) { /* finds or adds */
    return (gossipsub_topic *)pubsub_topic_get(gs->ps, name);
}
static inline gossipsub_peer *gossipsub_peer_at(const gossipsub *gs, size_t index) {
    return (gossipsub_peer *)pubsub_peer_at(gs->ps, index);
}
static inline gossipsub_peer *gossipsub_peer_find(const gossipsub *gs, uint32_t handle) {
    return (gossipsub_peer *)pubsub_peer_find(gs->ps, handle);
}
static inline bool gossipsub_peer_subscribed(const gossipsub_peer *peer, pubsub_bytes topic) {
    return pubsub_peer_subscribed(&peer->base, topic);
}
static inline pubsub_bytes gossipsub_topic_view(const char *topic) { return pubsub_text(topic); }
static inline void gossipsub_trace(gossipsub *gs, trace_event *event) { pubsub_trace(gs->ps, event); }

/* Members (mesh or fanout) and backoffs of a topic. */
bool gossipsub_member_has(const gossipsub_topic *t, uint32_t handle);
bool gossipsub_member_add(gossipsub_topic *t, uint32_t handle);
bool gossipsub_member_remove(gossipsub_topic *t, uint32_t handle);
bool gossipsub_backoff_active(const gossipsub_topic *t, uint32_t handle, uint64_t now_ns);
uint64_t gossipsub_backoff_until(const gossipsub_topic *t, uint32_t handle); /* 0: none */
void gossipsub_backoff_set(gossipsub_topic *t, uint32_t handle, uint64_t until_ns);

/* A keyed 64-bit hash of a message id, for IDONTWANT sets and promises. */
uint64_t gossipsub_fingerprint(const gossipsub *gs, const uint8_t *id, size_t len);

#endif
