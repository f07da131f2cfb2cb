/*
 * mcache: the GossipSub message cache (libp2p/specs pubsub/gossipsub/
 * gossipsub-v1.0.md, "Message Cache"), with the IWANT retransmission limit
 * of gossipsub-v1.1.md ("Spam Protection Measures").
 *
 * The cache holds a copy of each message as it will be forwarded (the
 * encoded Message protobuf), its topic and its id, in history windows: put
 * adds to the current window, shift (once per heartbeat, after gossip
 * emission) drops the oldest of mcache_len windows and frees its messages,
 * and gossip ids come from the newest mcache_gossip windows only.
 *
 * Lookups go through an open-addressing table keyed by a SipHash
 * (crypto_shorthash) of the id under a key from the environment, so that a
 * remote peer cannot aim collisions at it; the full id is compared, so a
 * lookup never answers with the wrong message. Lookups do not allocate; a
 * put allocates one block for the message, and the table doubles as needed
 * (it starts small so that a quiet node holds little).
 *
 * Bounded memory: at most messages_max messages and bytes_max stored bytes
 * (id + topic + encoded message). A put past either limit is refused and
 * counted; what is cached stays, because it has been or will be advertised
 * in IHAVE and should remain answerable. The router still forwards a refused
 * message to its mesh; it only cannot serve it to IWANT later.
 *
 * IWANT retransmission: v1.1 says the router "responds a limited number of
 * times to each peer". So each cached message keeps a counter per
 * requesting peer (a handle of the caller's, as the routers use): the first
 * retransmission_max requests of a peer for a message are served, later
 * ones are ignored. The counters live and die with the message. At most
 * requesters_max (message, peer) counters exist in the whole cache; a request
 * that would need one more is refused (not served) and counted, so a flood
 * of IWANTs cannot grow memory. A peer handle reused for a new connection
 * inherits the counters of the old one for at most mcache_len heartbeats.
 */
#ifndef SWARMLAB_MCACHE_H
#define SWARMLAB_MCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCACHE_KEY_BYTES 16           /* crypto_shorthash_KEYBYTES */
#define MCACHE_ID_BYTES_MAX 96        /* longest message id accepted */
#define MCACHE_TOPIC_BYTES_MAX 256    /* as PUBSUB_TOPIC_MAX */
#define MCACHE_LEN_DEFAULT 5          /* mcache_len, spec default */
#define MCACHE_GOSSIP_DEFAULT 3       /* mcache_gossip, spec default */
#define MCACHE_WINDOWS_MAX 1000       /* largest mcache_len (docs/scenarios.md) */
#define MCACHE_RETRANSMISSION_DEFAULT 3 /* go-libp2p GossipSubGossipRetransmission */
#define MCACHE_MESSAGES_MAX (1u << 16)  /* most messages ever held */
#define MCACHE_BYTES_MAX (64u << 20)    /* most stored bytes ever held: 64 MiB */
#define MCACHE_REQUESTERS_MAX (1u << 18) /* most (message, peer) IWANT counters */
#define MCACHE_TABLE_INITIAL 64       /* table slots before the first doubling */

typedef struct mcache_config {
    uint32_t history_length;     /* mcache_len: windows kept, 1..MCACHE_WINDOWS_MAX */
    uint32_t gossip_length;      /* mcache_gossip: windows gossiped, 0..history_length */
    uint32_t retransmission_max; /* IWANT answers per message per peer */
    size_t messages_max;         /* 1..MCACHE_MESSAGES_MAX */
    size_t bytes_max;            /* 1..MCACHE_BYTES_MAX */
    size_t requesters_max;       /* 0..MCACHE_REQUESTERS_MAX */
} mcache_config;

/* Counters of what the cache did, for metrics and tests. */
typedef struct mcache_stats {
    uint64_t puts_accepted;
    uint64_t puts_duplicate;
    uint64_t puts_invalid;              /* id empty or too long, topic too long */
    uint64_t puts_refused_messages_max; /* the message limit was reached */
    uint64_t puts_refused_bytes_max;    /* the byte limit would be passed */
    uint64_t puts_refused_memory;       /* malloc failed */
    uint64_t iwants_served;
    uint64_t iwants_missing;
    uint64_t iwants_over_retransmission; /* ignored: the peer asked too often */
    uint64_t iwants_refused_requesters;  /* ignored: requesters_max reached */
} mcache_stats;

/* A view of a cached message; valid until the message is shifted out or the
 * cache is freed. */
typedef struct mcache_message {
    const uint8_t *id;
    size_t id_len;
    const uint8_t *topic;
    size_t topic_len;
    const uint8_t *encoded; /* the Message protobuf, as forwarded */
    size_t encoded_len;
    uint64_t received_ns; /* as mcache_set_received left it; 0 before */
} mcache_message;

/* A view of a message id, with the same lifetime. */
typedef struct mcache_id {
    const uint8_t *id;
    size_t len;
} mcache_id;

typedef enum mcache_put_result {
    MCACHE_PUT_ADDED = 0,
    MCACHE_PUT_DUPLICATE, /* already cached: nothing changed */
    MCACHE_PUT_INVALID,   /* id or topic length out of range */
    MCACHE_PUT_FULL,      /* messages_max or bytes_max: refused */
    MCACHE_PUT_NO_MEMORY,
} mcache_put_result;

typedef enum mcache_iwant_result {
    MCACHE_IWANT_SERVE = 0,        /* *out holds the message: send it */
    MCACHE_IWANT_MISSING,          /* not (or no longer) cached */
    MCACHE_IWANT_OVER_LIMIT,       /* peer asked more than retransmission_max times */
    MCACHE_IWANT_REFUSED,          /* no room (or memory) for a new counter */
} mcache_iwant_result;

struct mcache_entry;

typedef struct mcache_window {
    struct mcache_entry *head; /* oldest put first */
    struct mcache_entry *tail;
} mcache_window;

typedef struct mcache {
    struct mcache_entry **table; /* open addressing; NULL marks an empty slot */
    size_t table_mask;           /* table size - 1, a power of two */
    mcache_window *windows;      /* ring of history_length windows */
    uint32_t current;            /* index of the newest window */
    size_t message_count;
    size_t bytes_held;      /* id + topic + encoded bytes of every cached message */
    size_t requester_count; /* (message, peer) counters held */
    mcache_config config;
    mcache_stats stats;
    uint8_t key[MCACHE_KEY_BYTES];
} mcache;

/* The spec's defaults and the largest limits. */
void mcache_config_default(mcache_config *config);
/* 0, or -1 when the config is out of range or memory runs out. */
int mcache_init(mcache *c, const mcache_config *config, const uint8_t key[MCACHE_KEY_BYTES]);
void mcache_free(mcache *c);

/* mcache.put(m): copies id, topic and encoded into the current window. */
mcache_put_result mcache_put(mcache *c, const uint8_t *id, size_t id_len, const uint8_t *topic,
                             size_t topic_len, const uint8_t *encoded, size_t encoded_len);
/* Records when the router first received the cached message id (score P3
 * counts near-first duplicates against it). false when id is not cached. */
bool mcache_set_received(mcache *c, const uint8_t *id, size_t id_len, uint64_t received_ns);
/* mcache.get(id): true and *out set when cached. Counts nothing. */
bool mcache_get(const mcache *c, const uint8_t *id, size_t id_len, mcache_message *out);
/* mcache.get(id) on behalf of an IWANT from peer: counts the request
 * against the (message, peer) retransmission limit; *out is set only with
 * MCACHE_IWANT_SERVE. */
mcache_iwant_result mcache_get_for_peer(mcache *c, const uint8_t *id, size_t id_len,
                                        uint32_t peer, mcache_message *out);
/* mcache.get_gossip_ids(topic): the ids of topic's messages in the newest
 * gossip_length windows, newest window first and in put order within a
 * window, at most cap of them. Returns how many were written to out. */
size_t mcache_gossip_ids(const mcache *c, const uint8_t *topic, size_t topic_len, mcache_id *out,
                         size_t cap);
/* mcache.shift(): frees the oldest window's messages and opens a new
 * current window. */
void mcache_shift(mcache *c);

size_t mcache_size(const mcache *c);
size_t mcache_bytes(const mcache *c);

#endif
