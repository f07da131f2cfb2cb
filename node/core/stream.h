/*
 * stream: the protocols on a ready connection's yamux streams (ping,
 * identify, pubsub, the application's), the middle layer of the core (see
 * node_internal.h). It calls down into connection.h to write and to close;
 * the connection calls up into it only through stream_layer, which node.c
 * installs. node.c calls the functions below.
 */
#ifndef SWARMLAB_STREAM_H
#define SWARMLAB_STREAM_H

#include "connection.h"

/* What a connection calls once it is ready, for its stream events, and when
 * it goes: node.c sets node->upper to it. */
extern const conn_upper stream_layer;

/* Opens an outbound stream negotiating protocol; NULL on failure. */
node_stream *stream_open(node *n, conn *c, const char *protocol, stream_kind kind, int custom_index);
node_stream *stream_find(conn *c, uint32_t id);
/* Sends one length-prefixed message (queued until negotiation is done). */
int stream_send_message(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len);
/* As stream_send_message, through the policy's rewrite hook when there is
 * one (a copy of data is rewritten, then sent). */
int stream_send_rewritten(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len,
                          void (*rewrite)(void *user, uint8_t *msg, size_t len));
int stream_send_raw(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len);
/* Our Bitswap stream to c's peer, opened at the first call; NULL when the
 * peer refused Bitswap or no stream can open. */
node_stream *stream_bitswap_out(node *n, conn *c);
/* The ping timer of stream_id fired: a ping still unanswered resets its stream. */
/* Our signed peer record, sealed again when the listen addresses changed;
 * its length, 0 when there is none (no listen address). */
size_t stream_own_record(node *n, const uint8_t **record);
void stream_ping_timeout(node *n, conn *c, uint32_t stream_id);

#endif
