/*
 * daemon_output: what swarmlab-node writes: replies, as a text line on
 * standard output or a JSON object to a control client, and events. It
 * calls down into daemon_control.h (see daemon.h for the order of the
 * daemon's files).
 */
#ifndef SWARMLAB_DAEMON_OUTPUT_H
#define SWARMLAB_DAEMON_OUTPUT_H

#include "daemon.h"

void daemon_reply_send(daemon_state *d, daemon_requester to, const daemon_reply *reply);
void daemon_reply_error(daemon_state *d, daemon_requester to, const char *error);
/* An event: printed on standard output, pushed to watching clients.
 * kind is "message", "chat", "connected", "disconnected" or "sealed-drop"
 * (a message of an encrypted topic that did not unseal, daemon_sealed.h). */
void daemon_event(daemon_state *d, const char *kind, const char *topic, const peer_id *peer,
                  const uint8_t *data, size_t len);
void daemon_peer_text(const peer_id *id, char out[PEER_ID_TEXT_MAX]);
/* The runtime's turn end: flushes standard output and the control clients'
 * queues. */
void daemon_turn_end(void *user);

#endif
