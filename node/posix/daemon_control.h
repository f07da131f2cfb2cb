/*
 * daemon_control: the Unix control socket of swarmlab-node (--control PATH)
 * and its clients, the lowest of the daemon's files (see daemon.h). It
 * calls only the runtime; what its clients send goes up through the
 * daemon_input_fn given to daemon_control_open.
 */
#ifndef SWARMLAB_DAEMON_CONTROL_H
#define SWARMLAB_DAEMON_CONTROL_H

#include "daemon.h"

/* Listens on path; each client's bytes go to on_input. 0, or -1 with err
 * filled. */
int daemon_control_open(daemon_state *d, const char *path, daemon_input_fn on_input, char *err, size_t cap);
void daemon_control_close(daemon_state *d);
/* Sends one line (without newline) to a client; a client that cannot take
 * it is dropped. */
void daemon_control_send(daemon_state *d, size_t client, uint32_t generation, const char *line,
                         size_t len);
/* Sends what every client's queue holds (the end of each loop turn). */
void daemon_control_flush_all(daemon_state *d);
/* The client asked for events (the watch command). */
void daemon_control_watch(daemon_state *d, size_t client, uint32_t generation);

#endif
