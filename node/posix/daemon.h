/*
 * daemon: the state of swarmlab-node and the interfaces between its files.
 *
 *   main.c             startup, node callbacks, signals, standard input, shutdown
 *   daemon_options.c   the command line
 *   daemon_key.c       the identity file (--key)
 *   daemon_commands.c  the commands (sub, pub, ping, msg ...) and their replies
 *   daemon_control.c   the Unix control socket (--control) and its clients
 *   daemon_output.c    text and JSON output: escaping, events
 *
 * Commands arrive as lines from standard input (replies in plain text on
 * standard output) or from control-socket clients (one JSON object per
 * line). docs/node.md describes both.
 */
#ifndef SWARMLAB_DAEMON_H
#define SWARMLAB_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/time_units.h"
#include "crypto/identity.h"
#include "core/node.h"
#include "runtime.h"

#define DAEMON_CHAT_PROTOCOL "/swarmlab/chat/1.0.0"
#define DAEMON_LISTEN_DEFAULT "/ip4/127.0.0.1/tcp/0"
#define DAEMON_ROUTER_DEFAULT "floodsub"
#define DAEMON_DIAL_PEERS_MAX 32         /* --peer options */
#define DAEMON_LINE_MAX 4096             /* one command line, TEXT included */
#define DAEMON_CONTROL_CLIENTS_MAX 16
#define DAEMON_CONTROL_PATH_MAX 107      /* sun_path, without its NUL */
#define DAEMON_PENDING_MAX 64            /* pings and chat messages awaiting an answer */
#define DAEMON_OUTPUT_MAX (8u << 20)     /* one output line: a 1 MiB message, escaped */
#define DAEMON_CLIENT_QUEUE_MAX (16u << 20) /* a control client that reads slower is dropped */
#define DAEMON_CLIENT_READ_MAX 4096
#define DAEMON_TICK_NS (30 * NS_PER_S)      /* keepalive pings, expiry of pending */
#define DAEMON_PENDING_EXPIRY_NS (30 * NS_PER_S)
#define DAEMON_EXIT_FAILURE 1
#define DAEMON_EXIT_USAGE 2

typedef struct daemon_options {
    const char *listen[RUNTIME_LISTENERS_MAX];
    size_t listen_count;
    const char *peers[DAEMON_DIAL_PEERS_MAX];
    size_t peer_count;
    const char *key_path, *trace_path, *control_path, *router, *message_id;
    bool scoring; /* gossipsub peer scoring, with the default parameters */
    bool help;
} daemon_options;

/* Where a reply goes: standard output, one control client, or nowhere (a
 * keepalive ping). A client is named by slot and generation, so a reply for
 * a client that left never reaches the one that took its slot. */
typedef enum daemon_channel { DAEMON_TO_NOBODY, DAEMON_TO_STDOUT, DAEMON_TO_CONTROL } daemon_channel;

typedef struct daemon_requester {
    daemon_channel channel;
    size_t client;
    uint32_t generation;
} daemon_requester;

/* A reply, rendered as text for standard output or JSON for the socket. */
typedef struct daemon_reply {
    bool ok;
    const char *error;     /* when !ok */
    const char *id;        /* id: own peer id */
    const char *ping;      /* ping: the peer */
    double rtt_ms;         /* ping, when ok */
    const char *msg;       /* msg: the peer */
    const char *list_name; /* "peers" or "addrs" */
    const char *const *items;
    size_t item_count;
} daemon_reply;

/* Complete lines out of a byte stream; a line longer than DAEMON_LINE_MAX is
 * answered with an error and skipped. */
typedef struct daemon_lines {
    char text[DAEMON_LINE_MAX + 1];
    size_t len;
    bool discarding; /* inside a line that was too long */
} daemon_lines;

typedef struct daemon_client {
    int fd; /* -1: free */
    uint32_t generation;
    bool watching; /* receives events */
    daemon_lines lines;
    buf queue; /* output the socket did not take yet, up to DAEMON_CLIENT_QUEUE_MAX */
} daemon_client;

typedef enum daemon_pending_kind { DAEMON_PENDING_PING, DAEMON_PENDING_MSG } daemon_pending_kind;

typedef struct daemon_pending {
    bool used;
    daemon_pending_kind kind;
    peer_id peer;
    node_stream_handle stream; /* msg */
    daemon_requester to;
    uint64_t started_ns;
} daemon_pending;

typedef struct daemon_peer {
    peer_id id;
    uint32_t connections; /* ready connections; two may overlap briefly */
} daemon_peer;

typedef struct daemon_state {
    daemon_options options;
    runtime *rt;
    node *node;
    FILE *trace;
    int signal_fd, tick_fd;
    bool stdin_watched;
    daemon_lines stdin_lines;
    int control_fd; /* -1 without --control */
    daemon_client clients[DAEMON_CONTROL_CLIENTS_MAX];
    uint32_t client_generation;
    daemon_peer peers[NODE_CONNECTIONS_MAX];
    size_t peer_count;
    daemon_pending pending[DAEMON_PENDING_MAX];
    buf out; /* scratch for one output line */
} daemon_state;

/* daemon_options.c: 0, or -1 with err filled. */
int daemon_options_parse(int argc, char **argv, daemon_options *out, char *err, size_t cap);
void daemon_usage(FILE *out);

/* daemon_key.c: reads the identity seed from path, or creates the file
 * (mode 0600) with a fresh key. 0, or -1 with err filled. */
int daemon_key_load(const char *path, uint8_t seed[IDENTITY_SEED_BYTES], char *err, size_t cap);

/* daemon_control.c */
int daemon_control_open(daemon_state *d, const char *path, char *err, size_t cap);
void daemon_control_close(daemon_state *d);
/* Sends one line (without newline) to a client; a client that cannot take
 * it is dropped. */
void daemon_control_send(daemon_state *d, size_t client, uint32_t generation, const char *line,
                         size_t len);
/* Sends what every client's queue holds (the end of each loop turn). */
void daemon_control_flush_all(daemon_state *d);
/* daemon_output.c: the runtime's turn end: flushes standard output and the
 * control clients' queues. */
void daemon_turn_end(void *user);
void daemon_control_watch(daemon_state *d, size_t client, uint32_t generation);

/* daemon_commands.c */
void daemon_command(daemon_state *d, daemon_requester to, char *line);
/* Feeds bytes to a line splitter and runs every complete line. */
void daemon_lines_feed(daemon_state *d, daemon_lines *lines, daemon_requester to, const char *bytes,
                       size_t len);
void daemon_on_ping(daemon_state *d, const peer_id *peer, bool ok, uint64_t rtt_ns);
/* Registers the chat protocol; 0 or -1. */
int daemon_chat_register(daemon_state *d);
/* Keepalive pings and expiry of unanswered requests. */
void daemon_tick(daemon_state *d);

/* daemon_output.c */
void daemon_reply_send(daemon_state *d, daemon_requester to, const daemon_reply *reply);
void daemon_reply_error(daemon_state *d, daemon_requester to, const char *error);
/* An event: printed on standard output, pushed to watching clients.
 * kind is "message", "chat", "connected" or "disconnected". */
void daemon_event(daemon_state *d, const char *kind, const char *topic, const peer_id *peer,
                  const uint8_t *data, size_t len);
void daemon_peer_text(const peer_id *id, char out[PEER_ID_TEXT_MAX]);

#endif
