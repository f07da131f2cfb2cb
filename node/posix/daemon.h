/*
 * daemon: the state of swarmlab-node, shared by its files, and the two
 * files that call none of the others but daemon_files (options, key).
 * swarmlab-node is an application on the node runtime (runtime.h), which
 * knows nothing of it.
 * Its files call each other in one direction only, each through its header:
 *
 *   main.c             startup, node callbacks, signals, standard input, shutdown
 *     |
 *   daemon_keycmd.c    `swarmlab-node key ...` (docs/data.md)   daemon_keycmd.h
 *     |
 *   daemon_interop.c   --params: test-plans' script, its JSON  daemon_interop.h
 *     |                events (node/interop: the reader, parser, lines)
 *   daemon_commands.c  the commands (sub, pub, ping, msg ...)  daemon_commands.h
 *     |
 *   daemon_data.c      announce, query, answer-queries (node/data) daemon_data.h
 *     |
 *   daemon_output.c    text and JSON replies and events        daemon_output.h
 *     |
 *   daemon_control.c   the Unix control socket (--control)     daemon_control.h
 *                      and its clients
 *   daemon_options.c   the command line                         (here)
 *   daemon_key.c       the identity file (--key), maybe sealed  (here)
 *   store_db.c         the encrypted block store (--store)      store_db.h
 *     |
 *   store_keys.c       the store key, passphrases, sealed files store_keys.h
 *     |
 *   daemon_files.c     how the files the options name are opened daemon_files.h
 *   store_format.c     the store's byte layouts (pure)          store_format.h
 *
 * The control socket hands the bytes its clients send up through a
 * daemon_input_fn that main.c gives it (the commands' line splitter), as
 * standard input's go. tests/check-cycles.sh keeps the calls one-way.
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
#include <sys/types.h>

#include "base/buf.h"
#include "base/time_units.h"
#include "crypto/identity.h"
#include "core/node.h"
#include "daemon_sealed.h"
#include "store/cid.h"
#include "runtime.h"
#include "store_db.h"
#include "store_keys.h"

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
#define DAEMON_BLOCKS_LIST_MAX 65536 /* CIDs one blocks reply names (8 MiB of output) */
#define DAEMON_EXIT_FAILURE 1
#define DAEMON_EXIT_USAGE 2

typedef struct daemon_options {
    const char *listen[RUNTIME_LISTENERS_MAX];
    size_t listen_count;
    const char *peers[DAEMON_DIAL_PEERS_MAX];
    size_t peer_count;
    const char *key_path, *trace_path, *control_path, *router, *message_id;
    const char *store_path, *passphrase_path; /* --store DIR, --passphrase-file FILE (docs/data.md) */
    bool scoring; /* gossipsub peer scoring, with the default parameters */
    const char *seen_max_bytes, *seqno_origins_max; /* as given, checked into pubsub */
    const char *signature_policy, *validation_delay_ms; /* as given, checked into pubsub */
    pubsub_message_id_kind message_id_kind;             /* --message-id, parsed */
    pubsub_options pubsub; /* the core's: seen cache budget, seqno validator */
    conn_limits limits; /* --connections-max ... --no-conn-limits (docs/node.md "Limits") */
    /* Peer exchange limits (docs/gossipsub.md "Peer exchange"); -1: the default. */
    const char *prune_peers_text, *px_dials_text;
    int prune_peers, px_dials_in_flight;
    bool accept_px_inbound;
    const char *attack; /* "drop": never relay (the world's drop attacker's policy); NULL: honest */
    /* test-plans' gossipsub-interop (docs/gossipsub-interop.md): --params
     * runs its script; the node id from --node-id or the hostname nodeN;
     * peers at their host's address, or at --interop-addr-base plus their id
     * (tests), on --interop-port. */
    const char *params_path, *node_id_text, *interop_port_text, *interop_addr_base;
    bool listen_given;
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
    const char *cid;       /* put, get: the block's CID */
    const uint8_t *data;   /* get without PATH: the block (NULL: none) */
    size_t data_len;
    const char *path;      /* get CID PATH: where the block went */
    long long bytes;       /* get, put-file: the block's size (-1: not said) */
    const char *list_name; /* "peers", "addrs" or "blocks" */
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

typedef struct daemon_state daemon_state;
typedef struct daemon_interop daemon_interop; /* daemon_interop.c */

/* Takes the bytes a reader got (standard input, a control client): lines
 * holds the reader's partial line, and to is who hears the replies. */
typedef void (*daemon_input_fn)(daemon_state *d, daemon_lines *lines, daemon_requester to, const char *bytes,
                                size_t len);

typedef struct daemon_client {
    int fd; /* -1: free */
    uint32_t generation;
    bool watching; /* receives events */
    daemon_lines lines;
    buf queue; /* output the socket did not take yet, up to DAEMON_CLIENT_QUEUE_MAX */
} daemon_client;

typedef enum daemon_pending_kind { DAEMON_PENDING_PING, DAEMON_PENDING_MSG, DAEMON_PENDING_GET } daemon_pending_kind;

typedef struct daemon_pending {
    bool used;
    daemon_pending_kind kind;
    peer_id peer;
    node_stream_handle stream; /* msg */
    cid block;                 /* get: the block asked of the peers */
    char *path;                /* get CID PATH: where it goes (owned); NULL: into the reply */
    daemon_requester to;
    uint64_t started_ns;
} daemon_pending;

typedef struct daemon_peer {
    peer_id id;
    uint32_t connections; /* ready connections; two may overlap briefly */
} daemon_peer;

struct daemon_state {
    daemon_options options;
    runtime *rt;
    node *node;
    FILE *trace;
    int signal_fd, tick_fd;
    bool stdin_watched;
    daemon_lines stdin_lines;
    int control_fd; /* -1 without --control */
    dev_t control_dev; /* the socket file bound at --control, removed at exit if still there */
    ino_t control_ino;
    daemon_input_fn control_input; /* what the clients' bytes go to */
    daemon_client clients[DAEMON_CONTROL_CLIENTS_MAX];
    uint32_t client_generation;
    daemon_peer peers[NODE_CONNECTIONS_MAX];
    size_t peer_count;
    daemon_pending pending[DAEMON_PENDING_MAX];
    buf out; /* scratch for one output line */
    buf trace_line; /* scratch for one trace line */
    daemon_interop *interop; /* --params: the script and its state; NULL otherwise */
    bool stdout_json_only;   /* --params: standard output carries the spec's JSON lines alone */
    store_db *store;         /* --store: the encrypted block store; NULL otherwise */
    buf block;               /* scratch for one block read from the store */
    daemon_sealed sealed;    /* the encrypted topics we hold keys for (sub TOPIC --key FILE) */
    struct daemon_data *data; /* announce, query (daemon_data.c); NULL until a command needs them */
};

/* daemon_options.c: 0, or -1 with err filled. */
int daemon_options_parse(int argc, char **argv, daemon_options *out, char *err, size_t cap);
void daemon_usage(FILE *out);

/* daemon_key.c: the identity file. Each returns 0, or an exit code
 * (DAEMON_EXIT_FAILURE: a wrong passphrase, a damaged or missing file;
 * DAEMON_EXIT_USAGE: a refused file) with err filled. */
#define DAEMON_KEY_ENCODED_MAX STORE_SEALED_FILE_MAX
#define DAEMON_KEY_WHAT_MAX 4200 /* "key file " and a path */
/* Reads the identity seed from path, or creates the file (mode 0600) with
 * a fresh key, sealed by pass when it has a length. */
int daemon_key_load(const char *path, const store_passphrase *pass, uint8_t seed[IDENTITY_SEED_BYTES], char *err,
                    size_t cap);
/* Reads an existing identity file; *sealed says whether it was sealed. */
int daemon_key_read(const char *path, const store_passphrase *pass, uint8_t seed[IDENTITY_SEED_BYTES], bool *sealed,
                    char *err, size_t cap);
/* The seed from a file's bytes (what names it in err). */
int daemon_key_decode(const uint8_t *bytes, size_t len, const store_passphrase *pass, const char *what,
                      uint8_t seed[IDENTITY_SEED_BYTES], bool *sealed, char *err, size_t cap);
/* The file's bytes for seed: the protobuf, or sealed by pass; its length
 * (0: sealing failed). */
size_t daemon_key_encode(const uint8_t seed[IDENTITY_SEED_BYTES], const store_passphrase *pass,
                         uint8_t out[DAEMON_KEY_ENCODED_MAX]);
/* Writes seed to path atomically, mode 0600; an existing path only with force. */
int daemon_key_write(const char *path, const uint8_t seed[IDENTITY_SEED_BYTES], const store_passphrase *pass,
                     bool force, char *err, size_t cap);

#endif
