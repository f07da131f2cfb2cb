/*
 * gossipsub_pb: the GossipSub control message, field 3 of the pubsub RPC
 * (libp2p/specs pubsub/gossipsub/gossipsub-v1.0.md, -v1.1.md, -v1.2.md).
 *
 *   message ControlMessage { repeated ControlIHave ihave = 1;
 *       repeated ControlIWant iwant = 2; repeated ControlGraft graft = 3;
 *       repeated ControlPrune prune = 4; repeated ControlIDontWant idontwant = 5; }
 *   message ControlIHave { optional string topicID = 1; repeated bytes messageIDs = 2; }
 *   message ControlIWant { repeated bytes messageIDs = 1; }
 *   message ControlGraft { optional string topicID = 1; }
 *   message ControlPrune { optional string topicID = 1; repeated PeerInfo peers = 2;
 *                          optional uint64 backoff = 3; }
 *   message PeerInfo { optional bytes peerID = 1; optional bytes signedPeerRecord = 2; }
 *   message ControlIDontWant { repeated bytes messageIDs = 1; }
 *
 * pubsub_rpc_decode() keeps the control field raw (rpc->control); the
 * gossipsub router hands those bytes to gossipsub_control_decode(). As in
 * pubsub_pb, decoding yields views into the input, allocates nothing and
 * bounds every count. Message ids live in one flat pool per kind (IHAVE,
 * IWANT, IDONTWANT) and each entry names a slice of its pool, so that one
 * RPC's id budget is bounded as a whole, not per entry.
 *
 * Limits, and what happens past them. The spec (v1.1 "Spam Protection
 * Measures") says excess IHAVE advertisements are ignored, not a protocol
 * error; v1.2 lets a receiver ignore IDONTWANT. So lists that only advise
 * (IHAVE, IWANT, IDONTWANT, PX peers) are TRUNCATED: the first items up to
 * the limit are kept, the rest are counted in `dropped` for the router's
 * traces and penalties. GRAFT and PRUNE change mesh state on both sides;
 * dropping one silently would leave the two peers disagreeing about the
 * mesh, so more of them than the limit make the control MALFORMED (-1).
 * Structural faults (truncation, wrong wire types, a missing or repeated
 * topicID, a topic or message id over its length limit) are malformed
 * wherever they occur, in a kept item or a dropped one.
 */
#ifndef SWARMLAB_GOSSIPSUB_PB_H
#define SWARMLAB_GOSSIPSUB_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pubsub_pb.h"

/* Ids per RPC in IHAVEs: max_ihave_length (5000 in go-libp2p, rust-libp2p
 * and js-libp2p). It bounds both one IHAVE and what a router asks for per
 * heartbeat, so ids past it could never be requested anyway. */
#define GOSSIPSUB_IHAVE_IDS_MAX 5000
/* Ids per RPC in IWANTs: a peer may only want what we advertised, and we
 * advertise at most max_ihave_length ids per heartbeat. */
#define GOSSIPSUB_IWANT_IDS_MAX 5000
/* Ids per RPC in IDONTWANTs. v1.2 leaves max_idontwant_messages open;
 * js-libp2p refuses an RPC with more than 512 (go processes 10 per RPC),
 * so no sender that interoperates puts more in one RPC. */
#define GOSSIPSUB_IDONTWANT_IDS_MAX 512
/* IHAVE, GRAFT and PRUNE entries per control: each names one topic, and
 * a peer shares at most as many topics with us as one RPC may subscribe to
 * (PUBSUB_SUBS_PER_RPC_MAX). */
#define GOSSIPSUB_TOPICS_PER_CONTROL_MAX PUBSUB_SUBS_PER_RPC_MAX
/* IWANT entries: routers send one IWANT per IHAVE they answer. */
#define GOSSIPSUB_IWANTS_PER_CONTROL_MAX GOSSIPSUB_TOPICS_PER_CONTROL_MAX
/* IDONTWANT entries: senders may put one id in each (go-libp2p does), so
 * the entry limit matches the id budget. */
#define GOSSIPSUB_IDONTWANTS_PER_CONTROL_MAX GOSSIPSUB_IDONTWANT_IDS_MAX
/* PX peers kept per PRUNE: PrunePeers (16 in go, rust and js; the spec asks
 * for more than D_hi = 12). */
#define GOSSIPSUB_PX_PEERS_PER_PRUNE_MAX 16
/* PX peers kept per control, over all PRUNEs: go-libp2p queues at most 128
 * pending PX connections (MaxPendingConnections); more cannot be acted on. */
#define GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX 128
/* Longest message id: room for our default id from || seqno
 * (PEER_ID_MAX_BYTES + 8 = 72) and for the hex text of a 512-bit digest,
 * the longest id function in use we know of. Routers keep ids in fixed
 * slots of this size; no agreed id function makes a longer one. */
#define GOSSIPSUB_MESSAGE_ID_MAX_BYTES 128

/* An IHAVE: a topic and ids[id_first .. id_first + id_count) of ihave_ids. */
typedef struct gossipsub_ihave {
    pubsub_bytes topic;
    size_t id_first;
    size_t id_count;
} gossipsub_ihave;

/* An IWANT or IDONTWANT: a slice of its kind's id pool. */
typedef struct gossipsub_id_list {
    size_t id_first;
    size_t id_count;
} gossipsub_id_list;

typedef struct gossipsub_peer_info {
    pubsub_bytes peer_id;            /* not checked here: the router parses it */
    pubsub_bytes signed_peer_record; /* a signed envelope, opaque here */
    bool has_peer_id, has_signed_peer_record;
} gossipsub_peer_info;

/* A PRUNE: a topic, px_peers[px_first .. px_first + px_count), and the
 * backoff in seconds (v1.1) when present. */
typedef struct gossipsub_prune {
    pubsub_bytes topic;
    size_t px_first;
    size_t px_count;
    uint64_t backoff_s;
    bool has_backoff;
} gossipsub_prune;

/* What truncation left out (see the header comment). */
typedef struct gossipsub_dropped {
    size_t ihaves, ihave_ids;
    size_t iwants, iwant_ids;
    size_t idontwants, idontwant_ids;
    size_t px_peers;
} gossipsub_dropped;

typedef struct gossipsub_control {
    /* The counts first, together: a node's control is some 210 KiB, and
     * counts kept after their arrays put each on a page of its own, so
     * that emptying one (gossipsub_control_init, at every control a node
     * reads or sends) missed the cache and the TLB some ten times. */
    size_t ihave_count, iwant_count, graft_count, prune_count, idontwant_count;
    size_t ihave_id_count, iwant_id_count, idontwant_id_count, px_peer_count;
    gossipsub_dropped dropped; /* set by decode; ignored by encode */

    gossipsub_ihave ihaves[GOSSIPSUB_TOPICS_PER_CONTROL_MAX];
    gossipsub_id_list iwants[GOSSIPSUB_IWANTS_PER_CONTROL_MAX];
    pubsub_bytes grafts[GOSSIPSUB_TOPICS_PER_CONTROL_MAX]; /* topics */
    gossipsub_prune prunes[GOSSIPSUB_TOPICS_PER_CONTROL_MAX];
    gossipsub_id_list idontwants[GOSSIPSUB_IDONTWANTS_PER_CONTROL_MAX];

    pubsub_bytes ihave_ids[GOSSIPSUB_IHAVE_IDS_MAX];
    pubsub_bytes iwant_ids[GOSSIPSUB_IWANT_IDS_MAX];
    pubsub_bytes idontwant_ids[GOSSIPSUB_IDONTWANT_IDS_MAX];
    gossipsub_peer_info px_peers[GOSSIPSUB_PX_PEERS_PER_CONTROL_MAX];
} gossipsub_control;

/* Empties ctl (counts and dropped to zero), ready to decode or build into. */
void gossipsub_control_init(gossipsub_control *ctl);

/* Decodes a ControlMessage (the RPC's raw control field). 0, or -1 when
 * malformed (see above; also over PUBSUB_RPC_MAX_BYTES); on -1 ctl is left
 * empty, never half-filled. The views point into in. */
int gossipsub_control_decode(const uint8_t *in, size_t len, gossipsub_control *ctl);

/* Builders, for routers and tests: each appends one entry with views of the
 * caller's bytes (which must outlive the encoding), or returns -1 and
 * changes nothing when a limit would be passed: the router then sends what
 * it has and starts another RPC. */
int gossipsub_control_add_ihave(gossipsub_control *ctl, pubsub_bytes topic,
                                const pubsub_bytes *ids, size_t id_count);
int gossipsub_control_add_iwant(gossipsub_control *ctl, const pubsub_bytes *ids, size_t id_count);
int gossipsub_control_add_graft(gossipsub_control *ctl, pubsub_bytes topic);
/* backoff_s is written only when has_backoff (v1.0 peers send none). */
int gossipsub_control_add_prune(gossipsub_control *ctl, pubsub_bytes topic,
                                const gossipsub_peer_info *peers, size_t peer_count,
                                bool has_backoff, uint64_t backoff_s);
int gossipsub_control_add_idontwant(gossipsub_control *ctl, const pubsub_bytes *ids,
                                    size_t id_count);

/* True when ctl holds no entry at all (such a control is never sent). */
bool gossipsub_control_is_empty(const gossipsub_control *ctl);

/* Encodes ctl as a ControlMessage: kinds in field order (ihave, iwant,
 * graft, prune, idontwant), entries in array order, fields of each entry in
 * field order, topicID always, backoff and PeerInfo fields when present.
 * Returns the bytes written, or 0 if cap is too small, ctl is empty, or ctl
 * breaks a limit the decoder applies (a count, a length, an entry slice
 * outside its pool, an encoding over PUBSUB_RPC_MAX_BYTES): what we send,
 * every swarmlab peer reads back whole. */
size_t gossipsub_control_encode(const gossipsub_control *ctl, uint8_t *out, size_t cap);

/* A whole RPC: what pubsub_rpc_encode writes for subs and msgs, followed by
 * ctl as field 3 (length-delimited), which is field order. ctl may be NULL
 * or empty (no field 3); subs and msgs may be empty (a control-only RPC,
 * the usual gossip RPC). Returns the bytes written, or 0 if cap is too
 * small, the RPC would be empty or over PUBSUB_RPC_MAX_BYTES, or a part
 * breaks a limit of its decoder. */
size_t gossipsub_rpc_encode(const pubsub_subopts *subs, size_t sub_count,
                            const pubsub_message *msgs, size_t msg_count,
                            const gossipsub_control *ctl, uint8_t *out, size_t cap);

#endif
