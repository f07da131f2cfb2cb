/*
 * trace: the structured events every node emits (docs/trace-format.md).
 *
 * Names follow the libp2p pubsub tracer (trace.proto in go-libp2p-pubsub),
 * lowercased, plus node_up and node_down which the world emits. An event is
 * handed to the environment's trace function and is valid only during that
 * call: pointer fields point into the node's own memory.
 */
#ifndef SWARMLAB_TRACE_H
#define SWARMLAB_TRACE_H

#include <stddef.h>
#include <stdint.h>

typedef enum trace_kind {
    TRACE_PUBLISH_MESSAGE,
    TRACE_DELIVER_MESSAGE,
    TRACE_DUPLICATE_MESSAGE,
    TRACE_REJECT_MESSAGE,
    TRACE_SEND_RPC,
    TRACE_RECV_RPC,
    TRACE_DROP_RPC,
    TRACE_JOIN,
    TRACE_LEAVE,
    TRACE_GRAFT,
    TRACE_PRUNE,
    TRACE_ADD_PEER,
    TRACE_REMOVE_PEER,
    TRACE_NODE_UP,
    TRACE_NODE_DOWN,
    TRACE_PEER_SCORE, /* gossipsub with scoring: one peer's score, at each sample */
    TRACE_REJECT_BLOCK, /* bitswap: a block matching no CID we asked its sender for */
    TRACE_KIND_COUNT
} trace_kind;

typedef struct trace_event {
    trace_kind kind;
    uint64_t time_ns;       /* the environment's now when the event happened */
    uint32_t node_index;    /* filled by the runtime; the node does not know it */
    const uint8_t *msg_id;  /* publish, deliver, duplicate, reject: from || seqno */
    size_t msg_id_len;
    const char *topic;      /* message events, join, leave, graft, prune */
    const uint8_t *peer;    /* binary peer id: the remote peer, the sender of a
                             * message (none at its publisher), or for node_up
                             * the node's own id */
    size_t peer_len;
    uint64_t size_bytes;    /* payload bytes for messages, RPC bytes for rpc events */
    uint64_t payload_bytes; /* send_rpc, recv_rpc, drop_rpc: message data bytes inside the RPC */
    uint32_t message_count; /* send_rpc, recv_rpc, drop_rpc: messages inside the RPC */
    const char *reason;     /* reject_message, reject_block, drop_rpc, remove_peer: why */
    const char *protocol;   /* add_peer: the protocol the peer speaks */
    /* send_rpc, recv_rpc, drop_rpc of gossipsub: what the RPC's control part
     * carries (message ids in IHAVE, IWANT and IDONTWANT entries; GRAFT and
     * PRUNE entries) and its encoded size, so that metrics can tell control
     * overhead from payload. All 0 for an RPC without control. */
    uint32_t ihave_ids, iwant_ids, idontwant_ids, grafts, prunes;
    uint64_t control_bytes;
    double score;           /* peer_score: the score of peer, as the node sees it */
} trace_event;

/* The lowercase tracer name of a kind, e.g. "deliver_message". */
const char *trace_kind_name(trace_kind kind);

#endif
