/*
 * daemon_commands: the commands of swarmlab-node, the same on standard
 * input and on the control socket:
 *
 *   sub TOPIC | unsub TOPIC | pub TOPIC TEXT | peers | ping PEERID
 *   connect MULTIADDR | msg PEERID TEXT | id | watch | sync | quit
 *
 * Most reply at once. ping replies when the pong arrives, and msg when the
 * peer accepted the chat protocol (the message is then on its way) or
 * refused it: both wait in a small table of pending requests that also
 * remembers who asked. msg is the 1-on-1 chat: one stream of
 * /swarmlab/chat/1.0.0 per message, which the receiver prints.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "daemon_commands.h"
#include "daemon_control.h"
#include "daemon_output.h"
#include "daemon.h"
#include "base/time_units.h"
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
        *p = (daemon_pending){.used = true, .kind = kind, .peer = *peer, .to = to,
                              .started_ns = command_now(d)};
        return p;
    }
    return NULL;
}

/* Answers and forgets p. */
static void pending_finish(daemon_state *d, daemon_pending *p, bool ok, double rtt_ms, const char *error) {
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

static void command_sub(daemon_state *d, daemon_requester to, char *args, bool subscribe) {
    char *topic = next_word(&args);
    if (topic == NULL || rest_of_line(args) != NULL) {
        daemon_reply_error(d, to, subscribe ? "usage: sub TOPIC" : "usage: unsub TOPIC");
        return;
    }
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
    if (node_publish(d->node, topic, (const uint8_t *)text, strlen(text)) != 0)
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
        daemon_reply_error(d, to, "unknown command (sub, unsub, pub, peers, ping, connect, msg, id, watch, sync, quit)");
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
