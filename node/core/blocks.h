/*
 * blocks: the node's blocks (node.h's node_block_*), on the env's store
 * ops, and the host through which the Bitswap engine (node/exchange)
 * reaches connections and the store. node.c calls node_blocks_create; the
 * engine's host calls down into stream.h and connection.h.
 */
#ifndef SWARMLAB_BLOCKS_H
#define SWARMLAB_BLOCKS_H

#include "node_internal.h"

/* The node's Bitswap engine, its host filled in (no_penalties:
 * node_config's bitswap_no_penalties); NULL when memory runs out. */
bitswap *node_blocks_create(node *n, bool no_penalties);

#endif
