/* trace: event names. See trace.h. */
#include "trace.h"

#include <assert.h>

static const char *const trace_names[TRACE_KIND_COUNT] = {
    [TRACE_PUBLISH_MESSAGE] = "publish_message",
    [TRACE_DELIVER_MESSAGE] = "deliver_message",
    [TRACE_DUPLICATE_MESSAGE] = "duplicate_message",
    [TRACE_REJECT_MESSAGE] = "reject_message",
    [TRACE_SEND_RPC] = "send_rpc",
    [TRACE_RECV_RPC] = "recv_rpc",
    [TRACE_DROP_RPC] = "drop_rpc",
    [TRACE_JOIN] = "join",
    [TRACE_LEAVE] = "leave",
    [TRACE_GRAFT] = "graft",
    [TRACE_PRUNE] = "prune",
    [TRACE_ADD_PEER] = "add_peer",
    [TRACE_REMOVE_PEER] = "remove_peer",
    [TRACE_NODE_UP] = "node_up",
    [TRACE_NODE_DOWN] = "node_down",
    [TRACE_PEER_SCORE] = "peer_score",
    [TRACE_REJECT_BLOCK] = "reject_block",
};

const char *trace_kind_name(trace_kind kind) {
    assert(kind < TRACE_KIND_COUNT);
    return trace_names[kind];
}
