/*
 * daemon_data: the swarm's data in swarmlab-node (node/data; docs/node.md,
 * docs/data.md "The swarm's data: announce and query"):
 *   announce TOPIC [TARGET]  publish our signed peer record on TOPIC now and
 *                            while below TARGET connections (default 8), and
 *                            dial the peers announced there
 *   answer-queries           answer "who has CID X?" from the store
 *   query CID [MS]           ask the swarm; after MS (default 2000) the reply
 *                            lists the peers that answered
 * Queries use the topics swarm/query and swarm/result (the world's
 * defaults). daemon_commands.c calls it; it calls down into daemon_output.h.
 */
#ifndef SWARMLAB_DAEMON_DATA_H
#define SWARMLAB_DAEMON_DATA_H

#include "daemon.h"

#define DAEMON_QUERY_TOPIC "swarm/query"
#define DAEMON_RESULT_TOPIC "swarm/result"
#define DAEMON_ANNOUNCE_TARGET_DEFAULT 8
#define DAEMON_QUERY_DEADLINE_MS_DEFAULT 2000
#define DAEMON_QUERY_DEADLINE_MS_MAX 60000

/* Runs word if it is one of the commands above: true; else false. */
bool daemon_data_command(daemon_state *d, daemon_requester to, const char *word, char *args);
/* After node_destroy: the modules outlive their node (node/data). */
void daemon_data_free(daemon_state *d);

#endif
