/*
 * daemon_commands: the commands of swarmlab-node, the same on standard
 * input and on the control socket:
 *
 *   sub TOPIC [--key FILE] | unsub TOPIC | pub TOPIC TEXT | peers | ping PEERID
 *   connect MULTIADDR | msg PEERID TEXT | id | watch | sync | quit
 *   put TEXT | put-file PATH | get CID [PATH] | blocks      (with --store)
 *
 * Most reply at once. ping replies when the pong arrives, and msg when the
 * peer accepted the chat protocol (the message is then on its way) or
 * refused it: both wait in a small table of pending requests that also
 * remembers who asked. msg is the 1-on-1 chat: one stream of
 * /swarmlab/chat/1.0.0 per message, which the receiver prints. The store
 * commands go through the node's block API (node.h): a put is acknowledged
 * only once its block is on disk (store_db.h), and a get the local store
 * cannot answer asks the connected peers over Bitswap and waits in the
 * same table of pending requests. sub --key makes the topic an encrypted
 * one (daemon_sealed.h): pub seals on it, and its messages are unsealed.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_commands.h"
#include "daemon_control.h"
#include "daemon_data.h"
#include "daemon_output.h"
#include "daemon.h"
#include "daemon_files.h"
#include "base/time_units.h"
#include "store/cid.h"
#include "wire/multiaddr.h"

#define COMMAND_SPACES " \t"

static uint64_t command_now(daemon_state *d) {
    const env *e = runtime_env(d->rt);
    return e->now_ns(e->ctx);
}

/* Splits the next word off *cursor; NULL when none is left. */
static char *next_word(char **cursor) {
    char *s = *cursor + strspn(*cursor, COMMAND_SPACES);
    if (*s == '\0') return NULL;
    char *end = s + strcspn(s, COMMAND_SPACES);
    *cursor = end;
    if (*end != '\0') {
        *end = '\0';
        *cursor = end + 1;
    }
    return s;
}

/* The rest of the line after leading spaces; NULL when empty. */
static char *rest_of_line(char *cursor) {
    char *s = cursor + strspn(cursor, COMMAND_SPACES);
    return *s != '\0' ? s : NULL;
}

static void reply_ok(daemon_state *d, daemon_requester to) {
    daemon_reply reply = {.ok = true};
    daemon_reply_send(d, to, &reply);
}

/* ---- pending requests: ping and msg ----------------------------------- */

static daemon_pending *pending_add(daemon_state *d, daemon_pending_kind kind, const peer_id *peer,
                                   daemon_requester to) {
    for (size_t i = 0; i < DAEMON_PENDING_MAX; i++) {
        daemon_pending *p = &d->pending[i];
        if (p->used) continue;
        *p = (daemon_pending){.used = true, .kind = kind, .to = to, .started_ns = command_now(d)};
        if (peer != NULL) p->peer = *peer;
        return p;
    }
    return NULL;
}

/* Answers and forgets p. */
static void pending_finish(daemon_state *d, daemon_pending *p, bool ok, double rtt_ms, const char *error) {
    if (p->kind == DAEMON_PENDING_GET) { /* only its expiry comes here */
        assert(!ok);
        daemon_requester to = p->to;
        free(p->path);
        *p = (daemon_pending){0};
        daemon_reply_error(d, to, error);
        return;
    }
    char peer_text[PEER_ID_TEXT_MAX];
    daemon_peer_text(&p->peer, peer_text);
    daemon_reply reply = {.ok = ok, .error = error, .rtt_ms = rtt_ms};
    if (p->kind == DAEMON_PENDING_PING) reply.ping = peer_text;
    else reply.msg = peer_text;
    daemon_requester to = p->to;
    p->used = false;
    daemon_reply_send(d, to, &reply);
}

static bool pending_free_slot(const daemon_state *d) {
    for (size_t i = 0; i < DAEMON_PENDING_MAX; i++)
        if (!d->pending[i].used) return true;
    return false;
}

void daemon_on_ping(daemon_state *d, const peer_id *peer, bool ok, uint64_t rtt_ns) {
    daemon_pending *oldest = NULL;
    for (size_t i = 0; i < DAEMON_PENDING_MAX; i++) {
        daemon_pending *p = &d->pending[i];
        if (!p->used || p->kind != DAEMON_PENDING_PING || !peer_id_equal(&p->peer, peer)) continue;
        if (oldest == NULL || p->started_ns < oldest->started_ns) oldest = p;
    }
    if (oldest != NULL) pending_finish(d, oldest, ok, (double)rtt_ns / NS_PER_MS_DOUBLE, ok ? NULL : "ping failed");
}

static daemon_pending *pending_find_stream(daemon_state *d, node_stream_handle stream) {
    for (size_t i = 0; i < DAEMON_PENDING_MAX; i++) {
        daemon_pending *p = &d->pending[i];
        if (p->used && p->kind == DAEMON_PENDING_MSG && p->stream == stream) return p;
    }
    return NULL;
}

void daemon_tick(daemon_state *d) {
    uint64_t now = command_now(d);
    for (size_t i = 0; i < DAEMON_PENDING_MAX; i++) {
        daemon_pending *p = &d->pending[i];
        if (p->used && now - p->started_ns >= DAEMON_PENDING_EXPIRY_NS) pending_finish(d, p, false, 0, "timed out");
    }
    /* Keepalive: a live peer answers, which keeps the runtime's idle
     * timeout for the silent ones only. Nobody waits for these pongs. */
    for (size_t i = 0; i < d->peer_count; i++) (void)node_ping(d->node, &d->peers[i].id);
}

/* ---- the chat protocol ------------------------------------------------ */

static void chat_on_open(void *user, node *n, node_stream_handle stream, const peer_id *peer, bool inbound) {
    daemon_state *d = user;
    (void)peer;
    if (inbound) return;
    /* The peer accepted: our message followed the negotiation, and we are done. */
    daemon_pending *p = pending_find_stream(d, stream);
    if (p != NULL) pending_finish(d, p, true, 0, NULL);
    (void)node_stream_close(n, stream);
}

static void chat_on_message(void *user, node *n, node_stream_handle stream, const peer_id *peer,
                            const uint8_t *data, size_t len) {
    (void)n;
    (void)stream;
    daemon_event(user, "chat", NULL, peer, data, len);
}

static void chat_on_close(void *user, node *n, node_stream_handle stream) {
    (void)n;
    daemon_pending *p = pending_find_stream(user, stream);
    if (p != NULL) pending_finish(user, p, false, 0, "the peer refused the chat protocol or went away");
}

int daemon_chat_register(daemon_state *d) {
    static const node_protocol_ops ops = {.on_open = chat_on_open, .on_message = chat_on_message,
                                          .on_close = chat_on_close};
    return node_register_protocol(d->node, DAEMON_CHAT_PROTOCOL, &ops, d);
}

/* ---- the commands ----------------------------------------------------- */

/* sub TOPIC --key FILE: the topic's key first, then the subscription. */
static int command_sub_key(daemon_state *d, daemon_requester to, const char *topic, char **args) {
    char *flag = next_word(args);
    if (flag == NULL) return 0;
    char *path = strcmp(flag, "--key") == 0 ? next_word(args) : NULL;
    if (path == NULL || rest_of_line(*args) != NULL) {
        daemon_reply_error(d, to, "usage: sub TOPIC [--key FILE]");
        return -1;
    }
    char err[512];
    bool refused; /* the reply says why either way */
    if (daemon_sealed_add_key(&d->sealed, topic, path, &refused, err, sizeof err) == 0) return 0;
    daemon_reply_error(d, to, err);
    return -1;
}

static void command_sub(daemon_state *d, daemon_requester to, char *args, bool subscribe) {
    char *topic = next_word(&args);
    if (topic == NULL || (!subscribe && rest_of_line(args) != NULL)) {
        daemon_reply_error(d, to, subscribe ? "usage: sub TOPIC [--key FILE]" : "usage: unsub TOPIC");
        return;
    }
    /* Again with another key file adds that key (a rotation): subscribing
     * twice is no error. */
    if (subscribe && command_sub_key(d, to, topic, &args) != 0) return;
    if (!subscribe) daemon_sealed_forget(&d->sealed, topic);
    int rc = subscribe ? node_subscribe(d->node, topic) : node_unsubscribe(d->node, topic);
    if (rc != 0) daemon_reply_error(d, to, subscribe ? "cannot subscribe (too many topics?)" : "not subscribed");
    else reply_ok(d, to);
}

static void command_pub(daemon_state *d, daemon_requester to, char *args) {
    char *topic = next_word(&args);
    char *text = topic != NULL ? rest_of_line(args) : NULL;
    if (text == NULL) {
        daemon_reply_error(d, to, "usage: pub TOPIC TEXT");
        return;
    }
    if (daemon_sealed_publish(&d->sealed, d->node, topic, (const uint8_t *)text, strlen(text)) != 0)
        daemon_reply_error(d, to, "cannot publish");
    else
        reply_ok(d, to);
}

static void command_peers(daemon_state *d, daemon_requester to) {
    static char texts[NODE_CONNECTIONS_MAX][PEER_ID_TEXT_MAX];
    static const char *items[NODE_CONNECTIONS_MAX];
    assert(d->peer_count <= NODE_CONNECTIONS_MAX);
    for (size_t i = 0; i < d->peer_count; i++) {
        daemon_peer_text(&d->peers[i].id, texts[i]);
        items[i] = texts[i];
    }
    daemon_reply reply = {.ok = true, .list_name = "peers", .items = items, .item_count = d->peer_count};
    daemon_reply_send(d, to, &reply);
}

static void command_id(daemon_state *d, daemon_requester to) {
    char id[PEER_ID_TEXT_MAX];
    daemon_peer_text(node_id(d->node), id);
    char addrs[RUNTIME_LISTENERS_MAX][MULTIADDR_TEXT_MAX + PEER_ID_TEXT_MAX + 8];
    const char *items[RUNTIME_LISTENERS_MAX];
    size_t count = runtime_listen_count(d->rt);
    for (size_t i = 0; i < count; i++) {
        snprintf(addrs[i], sizeof addrs[i], "%s/p2p/%s", runtime_listen_address(d->rt, i), id);
        items[i] = addrs[i];
    }
    daemon_reply reply = {.ok = true, .id = id, .list_name = "addrs", .items = items, .item_count = count};
    daemon_reply_send(d, to, &reply);
}

/* ping PEERID and msg PEERID TEXT: the peer and, for msg, the text. */
static int parse_peer(daemon_state *d, daemon_requester to, char **args, peer_id *peer, const char *usage) {
    char *word = next_word(args);
    if (word == NULL || peer_id_from_text(word, peer) != 0) {
        daemon_reply_error(d, to, usage);
        return -1;
    }
    if (!pending_free_slot(d)) {
        daemon_reply_error(d, to, "too many requests in flight");
        return -1;
    }
    return 0;
}

static void command_ping(daemon_state *d, daemon_requester to, char *args) {
    peer_id peer;
    if (parse_peer(d, to, &args, &peer, "usage: ping PEERID") != 0) return;
    if (rest_of_line(args) != NULL) daemon_reply_error(d, to, "usage: ping PEERID");
    else if (node_ping(d->node, &peer) != 0) daemon_reply_error(d, to, "not connected to that peer");
    else (void)pending_add(d, DAEMON_PENDING_PING, &peer, to);
}

static void command_msg(daemon_state *d, daemon_requester to, char *args) {
    peer_id peer;
    if (parse_peer(d, to, &args, &peer, "usage: msg PEERID TEXT") != 0) return;
    char *text = rest_of_line(args);
    node_stream_handle stream;
    if (text == NULL) {
        daemon_reply_error(d, to, "usage: msg PEERID TEXT");
    } else if (node_open_stream(d->node, &peer, DAEMON_CHAT_PROTOCOL, &stream) != 0) {
        daemon_reply_error(d, to, "not connected to that peer");
    } else if (node_stream_send(d->node, stream, (const uint8_t *)text, strlen(text)) != 0) {
        (void)node_stream_close(d->node, stream);
        daemon_reply_error(d, to, "cannot send");
    } else {
        daemon_pending *p = pending_add(d, DAEMON_PENDING_MSG, &peer, to);
        assert(p != NULL); /* parse_peer saw a free slot */
        p->stream = stream;
    }
}

static void command_connect(daemon_state *d, daemon_requester to, char *args) {
    char *address = next_word(&args);
    multiaddr ma;
    if (address == NULL || rest_of_line(args) != NULL || multiaddr_parse(address, &ma) != 0)
        daemon_reply_error(d, to, "usage: connect /ip4/A.B.C.D/tcp/PORT[/p2p/PEERID]");
    else if (node_dial(d->node, address) != 0)
        daemon_reply_error(d, to, "cannot dial (already connected, or no connection left)");
    else
        reply_ok(d, to);
}

/* ---- the store: put, put-file, get, blocks ----------------------------- */

#define COMMAND_NO_STORE "no store: start swarmlab-node with --store DIR"
#define COMMAND_ERROR_MAX 512

/* Keeps block under its CID (raw, sha2-256) through the node, which also
 * serves it to peers that want it, and replies with the CID once it is on
 * disk; bytes is said for put-file (-1: not). */
static void block_put(daemon_state *d, daemon_requester to, const uint8_t *block, size_t len, long long bytes) {
    cid c;
    char text[CID_TEXT_MAX];
    if (node_block_put(d->node, CID_CODEC_RAW, block, len, &c) != 0 || node_block_sync(d->node) != 0) {
        char error[COMMAND_ERROR_MAX];
        snprintf(error, sizeof error, "put failed: %s", store_db_error(d->store));
        daemon_reply_error(d, to, error);
        return;
    }
    int rc = cid_format(&c, text, sizeof text);
    assert(rc > 0); /* CID_TEXT_MAX holds any CID's text */
    (void)rc;
    daemon_reply reply = {.ok = true, .cid = text, .bytes = bytes};
    daemon_reply_send(d, to, &reply);
}

static void command_put(daemon_state *d, daemon_requester to, char *args) {
    char *text = rest_of_line(args);
    if (text == NULL) daemon_reply_error(d, to, "usage: put TEXT");
    else block_put(d, to, (const uint8_t *)text, strlen(text), -1);
}

/* The file at path, one block at most, into d->block; NULL with error set. */
static const char *read_block_file(daemon_state *d, const char *path, char *error, size_t cap) {
    int fd;
    struct stat st;
    if (daemon_file_open(path, "file", DAEMON_FILE_READ, &fd, &st, error, cap) != DAEMON_FILE_OPEN) return NULL;
    const char *ok = NULL;
    buf_clear(&d->block);
    if (st.st_size > (off_t)STORE_BLOCK_MAX) {
        snprintf(error, cap, "file %s is larger than one block (%u bytes); chunking comes with dag-pb", path,
                 STORE_BLOCK_MAX);
    } else {
        uint8_t *at = buf_extend(&d->block, (size_t)st.st_size);
        ssize_t n = at != NULL ? read(fd, at, (size_t)st.st_size) : -1;
        if (n == (ssize_t)st.st_size) ok = path;
        else snprintf(error, cap, "cannot read file %s: %s", path, n < 0 ? strerror(errno) : "it changed size");
    }
    close(fd);
    return ok;
}

static void command_put_file(daemon_state *d, daemon_requester to, char *args) {
    char *path = rest_of_line(args);
    char error[COMMAND_ERROR_MAX];
    if (path == NULL) daemon_reply_error(d, to, "usage: put-file PATH");
    else if (read_block_file(d, path, error, sizeof error) == NULL) daemon_reply_error(d, to, error);
    else block_put(d, to, d->block.data, d->block.len, (long long)d->block.len);
}

/* Writes data to path (a regular file, no link; emptied first); 0 or -1
 * with error set. */
static int write_block_file(const char *path, const uint8_t *data, size_t len, char *error, size_t cap) {
    int fd;
    struct stat st;
    if (daemon_file_open(path, "file", DAEMON_FILE_WRITE, &fd, &st, error, cap) != DAEMON_FILE_OPEN) return -1;
    ssize_t n = len > 0 ? write(fd, data, len) : 0;
    int rc = n == (ssize_t)len && close(fd) == 0 ? 0 : -1;
    if (rc != 0) snprintf(error, cap, "cannot write file %s: %s", path, strerror(errno));
    return rc;
}

/* Answers a get with the block in data: its text, or written to path. */
static void get_reply(daemon_state *d, daemon_requester to, const cid *c, const char *path, const uint8_t *data,
                      size_t len) {
    char text[CID_TEXT_MAX], error[COMMAND_ERROR_MAX];
    (void)cid_format(c, text, sizeof text);
    if (path != NULL && write_block_file(path, data, len, error, sizeof error) != 0) {
        daemon_reply_error(d, to, error);
        return;
    }
    daemon_reply reply = {.ok = true, .cid = text, .bytes = (long long)len, .path = path,
                          .data = path == NULL ? data : NULL, .data_len = len};
    if (reply.data == NULL && path == NULL) reply.data = (const uint8_t *)""; /* an empty block */
    daemon_reply_send(d, to, &reply);
}

/* A fetch started by get ended: every get waiting for that CID hears it. */
static void get_fetched(void *user, const cid *c, block_fetch_status status, const uint8_t *data, size_t len) {
    daemon_state *d = user;
    for (size_t i = 0; i < DAEMON_PENDING_MAX; i++) {
        daemon_pending *p = &d->pending[i];
        if (!p->used || p->kind != DAEMON_PENDING_GET || !cid_equal(&p->block, c)) continue;
        daemon_requester to = p->to;
        char *path = p->path;
        p->used = false;
        p->path = NULL;
        if (status == BLOCK_FETCH_TIMEOUT) daemon_reply_error(d, to, "no connected peer gave the block in time");
        else get_reply(d, to, c, path, data, len); /* NOT_STORED still delivers the checked block */
        free(path);
    }
}

/* Not in the local store: asks the connected peers over Bitswap, and
 * answers when the block came (get_fetched) or the fetch gave up. */
static void get_from_peers(daemon_state *d, daemon_requester to, const cid *c, const char *path) {
    char *copy = path != NULL ? strdup(path) : NULL;
    daemon_pending *p = path == NULL || copy != NULL ? pending_add(d, DAEMON_PENDING_GET, NULL, to) : NULL;
    if (p == NULL) {
        free(copy);
        daemon_reply_error(d, to, "too many requests waiting");
        return;
    }
    p->block = *c;
    p->path = copy;
    if (node_block_fetch(d->node, c, get_fetched, d) != 0) {
        p->used = false;
        p->path = NULL;
        free(copy);
        daemon_reply_error(d, to, "cannot ask peers (too many fetches)");
    }
}

static void command_get(daemon_state *d, daemon_requester to, char *args) {
    char *word = next_word(&args);
    char *path = word != NULL ? rest_of_line(args) : NULL;
    cid c;
    char error[COMMAND_ERROR_MAX];
    if (word == NULL || cid_parse(word, strlen(word), &c) != 0) {
        daemon_reply_error(d, to, "usage: get CID [PATH] (a CIDv1 in base32 or a CIDv0, sha2-256)");
        return;
    }
    buf_clear(&d->block);
    int found = node_block_get(d->node, &c, &d->block);
    if (found < 0) {
        snprintf(error, sizeof error, "get failed: %s", store_db_error(d->store));
        daemon_reply_error(d, to, error);
    } else if (found == 0 && d->peer_count == 0) {
        daemon_reply_error(d, to, "block not in the local store, and no peer is connected to ask");
    } else if (found == 0) {
        get_from_peers(d, to, &c, path);
    } else {
        get_reply(d, to, &c, path, d->block.data, d->block.len);
    }
    sodium_memzero(d->block.data, d->block.len); /* a block may be private */
    buf_clear(&d->block);
}

typedef struct blocks_list {
    char (*texts)[CID_TEXT_MAX];
    const char **items;
    size_t count;
} blocks_list;

static int blocks_add(void *user, const uint8_t *key, size_t key_len) {
    blocks_list *list = user;
    if (list->count == DAEMON_BLOCKS_LIST_MAX) return 1;
    cid c;
    if (cid_decode(key, key_len, &c) != (int)key_len || cid_format(&c, list->texts[list->count], CID_TEXT_MAX) < 0)
        return 0; /* not a CID the node wrote: not listed */
    list->items[list->count] = list->texts[list->count];
    list->count++;
    return 0;
}

static void command_blocks(daemon_state *d, daemon_requester to) {
    blocks_list list = {.texts = calloc(DAEMON_BLOCKS_LIST_MAX, CID_TEXT_MAX),
                        .items = calloc(DAEMON_BLOCKS_LIST_MAX, sizeof(const char *))};
    char error[COMMAND_ERROR_MAX];
    if (list.texts == NULL || list.items == NULL) {
        daemon_reply_error(d, to, "out of memory");
    } else if (store_db_list(d->store, blocks_add, &list) < 0) {
        snprintf(error, sizeof error, "blocks failed: %s", store_db_error(d->store));
        daemon_reply_error(d, to, error);
    } else {
        daemon_reply reply = {.ok = true, .list_name = "blocks", .items = list.items, .item_count = list.count};
        daemon_reply_send(d, to, &reply);
    }
    free(list.texts);
    free(list.items);
}

/* The store's commands; false when word is none of them. */
static bool store_command(daemon_state *d, daemon_requester to, const char *word, char *args) {
    bool put = strcmp(word, "put") == 0, put_file = strcmp(word, "put-file") == 0;
    bool get = strcmp(word, "get") == 0, blocks = strcmp(word, "blocks") == 0;
    if (!put && !put_file && !get && !blocks) return false;
    if (d->store == NULL) daemon_reply_error(d, to, COMMAND_NO_STORE);
    else if (put) command_put(d, to, args);
    else if (put_file) command_put_file(d, to, args);
    else if (get) command_get(d, to, args);
    else command_blocks(d, to);
    return true;
}

void daemon_command(daemon_state *d, daemon_requester to, char *line) {
    char *args = line;
    char *word = next_word(&args);
    if (word == NULL) return; /* an empty line */
    if (strcmp(word, "sub") == 0) command_sub(d, to, args, true);
    else if (strcmp(word, "unsub") == 0) command_sub(d, to, args, false);
    else if (strcmp(word, "pub") == 0) command_pub(d, to, args);
    else if (strcmp(word, "peers") == 0) command_peers(d, to);
    else if (strcmp(word, "ping") == 0) command_ping(d, to, args);
    else if (strcmp(word, "connect") == 0) command_connect(d, to, args);
    else if (strcmp(word, "msg") == 0) command_msg(d, to, args);
    else if (strcmp(word, "id") == 0) command_id(d, to);
    else if (store_command(d, to, word, args)) return;
    else if (daemon_data_command(d, to, word, args)) return;
    else if (strcmp(word, "watch") == 0) {
        if (to.channel == DAEMON_TO_CONTROL) daemon_control_watch(d, to.client, to.generation);
        reply_ok(d, to);
    } else if (strcmp(word, "sync") == 0) {
        /* The trace is written in large blocks; a testbed that is about to
         * SIGKILL the daemon (a crash) asks for what it holds first. */
        if (d->trace != NULL && fflush(d->trace) != 0)
            daemon_reply_error(d, to, "cannot write the trace file");
        else
            reply_ok(d, to);
    } else if (strcmp(word, "quit") == 0) {
        reply_ok(d, to);
        runtime_stop(d->rt);
    } else {
        daemon_reply_error(d, to, "unknown command (sub, unsub, pub, peers, ping, connect, msg, id, watch, sync, quit, put, put-file, get, blocks, announce, query, answer-queries)");
    }
}

void daemon_lines_feed(daemon_state *d, daemon_lines *lines, daemon_requester to, const char *bytes,
                       size_t len) {
    for (size_t i = 0; i < len; i++) {
        char c = bytes[i];
        if (c == '\n') {
            bool too_long = lines->discarding;
            lines->text[lines->len] = '\0';
            if (lines->len > 0 && lines->text[lines->len - 1] == '\r') lines->text[lines->len - 1] = '\0';
            lines->len = 0;
            lines->discarding = false;
            if (too_long) daemon_reply_error(d, to, "line too long");
            else daemon_command(d, to, lines->text);
        } else if (!lines->discarding && lines->len == DAEMON_LINE_MAX) {
            lines->discarding = true;
        } else if (!lines->discarding) {
            lines->text[lines->len++] = c;
        }
    }
}
