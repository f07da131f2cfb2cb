/*
 * gossipsub_internal: the router's state and the helpers that gossipsub.c
 * (peers, RPCs, messages, the local API) and gossipsub_heartbeat.c (mesh
 * maintenance, fanout, gossip) share. Not for use outside the router.
 */
#ifndef SWARMLAB_GOSSIPSUB_INTERNAL_H
#define SWARMLAB_GOSSIPSUB_INTERNAL_H

#include "gossipsub.h"
#include "gossipsub_pb.h"

#define GOSSIPSUB_PEERS_MAX 4096 /* pubsub peers per node, above the node's connections */
#define GOSSIPSUB_MSG_ID_MAX (PEER_ID_MAX_BYTES + PUBSUB_SEQNO_BYTES)
#define GOSSIPSUB_RPC_OVERHEAD 512 /* framing of one message beyond its data and topic */
#define GOSSIPSUB_NS_PER_S 1000000000ull

typedef struct gossipsub_peer {
    uint32_t handle;
    peer_id id;
    char *topics[GOSSIPSUB_PEER_TOPICS_MAX];
    size_t topic_count;
    bool v11;                /* speaks /meshsub/1.1.0 or later: PRUNE backoff and PX */
    bool supports_idontwant; /* speaks /meshsub/1.2.0: for the v1.2 work */
    uint32_t ihaves_this_heartbeat;  /* IHAVEs received, against max_ihave_messages */
    uint32_t asked_this_heartbeat;   /* ids we asked for, against max_ihave_length */
} gossipsub_peer;

typedef struct gossipsub_backoff {
    uint32_t handle;
    uint64_t until_ns;
} gossipsub_backoff;

/* One topic we subscribe to (members: the mesh), publish to without
 * subscribing (members: the fanout), or only remember backoffs for. */
typedef struct gossipsub_topic {
    char *name;
    bool subscribed;
    bool fanout;
    uint64_t last_publish_ns; /* fanout: for fanout_ttl */
    uint32_t members[GOSSIPSUB_MESH_PEERS_MAX];
    size_t member_count;
    gossipsub_backoff backoffs[GOSSIPSUB_BACKOFFS_PER_TOPIC_MAX];
    size_t backoff_count;
} gossipsub_topic;

struct gossipsub {
    pubsub_host host;
    gossipsub_config config;
    const identity *id;
    peer_id self;
    uint64_t seqno;
    seen_cache seen;
    mcache cache;
    gossipsub_peer *peers;
    size_t peer_count, peer_cap;
    gossipsub_topic *topics[GOSSIPSUB_TOPICS_MAX];
    size_t topic_count;
    pubsub_rpc *rpc;          /* scratch for decoding: too large for the stack */
    gossipsub_control *ctl_in;  /* scratch: a decoded control */
    gossipsub_control *ctl_out; /* scratch: a control being built */
    uint32_t *scratch_handles;  /* scratch: candidate peers, GOSSIPSUB_PEERS_MAX */
};

/* Topics and peers. */
bool gossipsub_topic_name_equals(const char *name, pubsub_bytes view);
pubsub_bytes gossipsub_topic_view(const char *topic);
gossipsub_topic *gossipsub_topic_find(const gossipsub *gs, pubsub_bytes name);
gossipsub_topic *gossipsub_topic_get(gossipsub *gs, pubsub_bytes name); /* finds or adds */
gossipsub_peer *gossipsub_peer_find(const gossipsub *gs, uint32_t handle);
bool gossipsub_peer_subscribed(const gossipsub_peer *peer, pubsub_bytes topic);

/* Members and backoffs of a topic. */
bool gossipsub_member_has(const gossipsub_topic *t, uint32_t handle);
bool gossipsub_member_add(gossipsub_topic *t, uint32_t handle);
bool gossipsub_member_remove(gossipsub_topic *t, uint32_t handle);
bool gossipsub_backoff_active(const gossipsub_topic *t, uint32_t handle, uint64_t now_ns);
void gossipsub_backoff_set(gossipsub_topic *t, uint32_t handle, uint64_t until_ns);

/* Candidates: peers subscribed to t, not members, not backed off (when
 * skip_backoff), shuffled; written to gs->scratch_handles. */
size_t gossipsub_candidates(gossipsub *gs, const gossipsub_topic *t, uint64_t now_ns, bool skip_backoff);
void gossipsub_shuffle(gossipsub *gs, uint32_t *handles, size_t count);

/* Sending: an RPC of control ctl (and nothing else) to a peer. */
void gossipsub_send_control(gossipsub *gs, const gossipsub_peer *peer, const gossipsub_control *ctl);
void gossipsub_send_graft(gossipsub *gs, const gossipsub_peer *peer, const char *topic);
/* A PRUNE with a backoff (v1.1 peers) and, when px, other members' ids. */
void gossipsub_send_prune(gossipsub *gs, const gossipsub_peer *peer, const gossipsub_topic *t,
                          uint64_t backoff_ns, bool px);
void gossipsub_trace_mesh(gossipsub *gs, trace_kind kind, const char *topic, const gossipsub_peer *peer);

#endif
