/*
 * daemon_commands: the commands of swarmlab-node (sub, pub, ping, msg ...),
 * the same on standard input and the control socket, and the chat protocol.
 * It calls down into daemon_output.h and daemon_control.h; main.c calls it
 * (see daemon.h for the order of the daemon's files).
 */
#ifndef SWARMLAB_DAEMON_COMMANDS_H
#define SWARMLAB_DAEMON_COMMANDS_H

#include "daemon.h"

void daemon_command(daemon_state *d, daemon_requester to, char *line);
/* Feeds bytes to a line splitter and runs every complete line: the
 * daemon_input_fn of standard input and of the control clients. */
void daemon_lines_feed(daemon_state *d, daemon_lines *lines, daemon_requester to, const char *bytes,
                       size_t len);
void daemon_on_ping(daemon_state *d, const peer_id *peer, bool ok, uint64_t rtt_ns);
/* Registers the chat protocol; 0 or -1. */
int daemon_chat_register(daemon_state *d);
/* Keepalive pings and expiry of unanswered requests. */
void daemon_tick(daemon_state *d);

#endif
