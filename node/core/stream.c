/*
 * stream: the protocols that run on a connection's yamux streams.
 *
 * Every stream starts with its own multistream-select: the side that opened
 * it proposes one protocol, the other accepts one the node supports. Then:
 *  - /ipfs/ping/1.0.0: 32 bytes echoed back; the opener measures the round trip;
 *  - /ipfs/id/1.0.0: the accepting side sends one Identify message and closes;
 *  - /floodsub/1.0.0: each side writes RPCs on the stream it opened and reads
 *    the peer's on the stream the peer opened;
 *  - /ipfs/bitswap/1.2.0: each side writes its messages on the stream it
 *    opened (at its first message) and reads the peer's on any Bitswap
 *    stream; the engine is node/exchange's, messages up to
 *    BITSWAP_MESSAGE_MAX_BYTES;
 *  - custom protocols registered by the application.
 * Ping echoes raw bytes; every other protocol exchanges uvarint-length-
 * prefixed messages. A malformed message resets only its stream.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "wire/identify_pb.h"
#include "wire/multiaddr.h"
#include "stream.h"
#include "base/varint.h"

/* ---- the stream table ------------------------------------------------- */

node_stream *stream_find(conn *c, uint32_t id) {
    for (size_t i = 0; i < c->stream_count; i++)
        if (c->stream_ids[i] == id) return c->streams[i];
    return NULL;
}

static node_stream *stream_add(conn *c, uint32_t id, bool outbound) {
    assert(stream_find(c, id) == NULL);
    if (c->stream_count == NODE_STREAMS_PER_CONN_MAX) return NULL;
    if (c->stream_count == c->stream_cap) {
        size_t cap = c->stream_cap ? c->stream_cap * 2 : 4;
        node_stream **streams = realloc(c->streams, cap * sizeof *streams);
        if (streams != NULL) c->streams = streams;
        uint32_t *ids = realloc(c->stream_ids, cap * sizeof *ids);
        if (ids != NULL) c->stream_ids = ids;
        if (streams == NULL || ids == NULL) return NULL;
        c->stream_cap = cap;
    }
    node_stream *s = calloc(1, sizeof *s);
    mss *m = malloc(sizeof *m);
    if (s == NULL || m == NULL) {
        free(s);
        free(m);
        return NULL;
    }
    s->id = id;
    s->outbound = outbound;
    s->kind = STREAM_NEGOTIATING;
    s->custom_index = -1;
    s->negotiation = m;
    s->message_max = NODE_STREAM_MESSAGE_MAX;
    lp_reader_init(&s->reader, s->message_max);
    buf_init(&s->pending, NODE_PEER_BUFFER_MAX);
    c->streams[c->stream_count] = s;
    c->stream_ids[c->stream_count] = id;
    c->stream_count++;
    return s;
}

static void stream_notify_gone(node *n, conn *c, node_stream *s) {
    if (s->ping_waiting && n->callbacks.on_ping != NULL) {
        s->ping_waiting = false;
        n->callbacks.on_ping(n->callbacks.user, &c->noise.remote, false, 0);
    }
    if (s->custom_index >= 0) {
        node_protocol *p = &n->protocols[s->custom_index];
        if (p->ops.on_close != NULL) p->ops.on_close(p->user, n, ((uint64_t)c->handle << 32) | s->id);
    }
}

/* Forgets s; notify says whether the application hears of it. */
static void stream_remove(node *n, conn *c, node_stream *s, bool notify) {
    if (notify) stream_notify_gone(n, c, s);
    if (c->has_pubsub_out && c->pubsub_out == s->id) c->has_pubsub_out = false;
    if (c->has_bitswap_out && c->bitswap_out == s->id) c->has_bitswap_out = false;
    for (size_t i = 0; i < c->stream_count; i++) {
        if (c->streams[i] != s) continue;
        c->stream_count--;
        c->streams[i] = c->streams[c->stream_count];
        c->stream_ids[i] = c->stream_ids[c->stream_count];
        break;
    }
    free(s->negotiation);
    lp_reader_free(&s->reader);
    buf_free(&s->pending);
    free(s);
}

static void stream_release_all(node *n, conn *c) {
    while (c->stream_count > 0) stream_remove(n, c, c->streams[c->stream_count - 1], true);
}

static void stream_reset(node *n, conn *c, node_stream *s) {
    yamux_reset(&c->mux, s->id);
    stream_remove(n, c, s, true);
    conn_flush(n, c);
}

/* ---- sending ---------------------------------------------------------- */

int stream_send_raw(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len) {
    if (c->closing) return -1;
    if (s->kind == STREAM_NEGOTIATING) return buf_append(&s->pending, data, len);
    int rc = yamux_write(&c->mux, s->id, data, len);
    conn_flush(n, c);
    return rc;
}

int stream_send_message(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len) {
    if (len > s->message_max) return -1;
    uint8_t prefix[VARINT_MAX_BYTES];
    size_t prefix_len = varint_encode(len, prefix);
    if (s->kind == STREAM_NEGOTIATING)
        return buf_append(&s->pending, prefix, prefix_len) == 0 ? buf_append(&s->pending, data, len) : -1;
    /* Prefix and message go out as one yamux frame, so that the peer reads
     * the message in one piece, where it lies. */
    buf_clear(&n->message);
    if (buf_append(&n->message, prefix, prefix_len) != 0 || buf_append(&n->message, data, len) != 0) return -1;
    int rc = stream_send_raw(n, c, s, n->message.data, n->message.len);
    buf_clear(&n->message);
    buf_shrink_if_empty(&n->message, NODE_CONN_BUF_KEEP);
    return rc;
}

int stream_send_rewritten(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len,
                          void (*rewrite)(void *user, uint8_t *msg, size_t len)) {
    if (rewrite == NULL) return stream_send_message(n, c, s, data, len);
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL) return -1;
    memcpy(copy, data, len);
    rewrite(n->policy->user, copy, len);
    int rc = stream_send_message(n, c, s, copy, len);
    free(copy);
    return rc;
}

/* Opens an outbound stream offering protocols[0..count-1] in that order. */
static node_stream *stream_open_offering(node *n, conn *c, const char *const *protocols, size_t count,
                                         int custom_index) {
    uint32_t id;
    if (c->closing || c->phase != CONN_READY || yamux_open(&c->mux, &id) != 0) return NULL;
    node_stream *s = stream_add(c, id, true);
    if (s == NULL) {
        yamux_reset(&c->mux, id);
        return NULL;
    }
    s->custom_index = custom_index;
    mss_init_initiator(s->negotiation, protocols, count);
    buf hello;
    buf_init(&hello, MSS_MESSAGE_MAX * 2);
    int rc = mss_start(s->negotiation, &hello);
    if (rc == 0) rc = yamux_write(&c->mux, id, hello.data, hello.len);
    buf_free(&hello);
    if (rc != 0) {
        stream_reset(n, c, s);
        return NULL;
    }
    conn_flush(n, c);
    return s;
}

node_stream *stream_open(node *n, conn *c, const char *protocol, stream_kind kind, int custom_index) {
    (void)kind; /* the kind is settled by what the peer accepts */
    const char *const proposals[] = {protocol};
    return stream_open_offering(n, c, proposals, 1, custom_index);
}

/* ---- identify --------------------------------------------------------- */

static char *text_copy(identify_bytes view) {
    char *text = malloc(view.len + 1);
    if (text == NULL) return NULL;
    memcpy(text, view.data, view.len);
    text[view.len] = '\0';
    return text;
}

/* Our signed peer record, sealed again when the listen addresses changed
 * (node_listen marks it stale); its length, 0 when there is none (no
 * listen address). */
size_t stream_own_record(node *n, const uint8_t **record) {
    if (n->record_stale) {
        n->record_stale = false;
        peer_record rec = {.id = n->self};
        /* seq only has to grow across our records: the calendar where
         * there is one (as go-libp2p does), else the clock. */
        rec.seq = n->env.unix_time_ns != NULL ? n->env.unix_time_ns(n->env.ctx) : node_now(n);
        for (size_t i = 0; i < n->listen_count && rec.addr_count < PEER_RECORD_ADDRS_MAX; i++) {
            multiaddr ma;
            if (multiaddr_parse(n->listen_addrs[i], &ma) != 0) continue;
            ma.has_peer = false;
            size_t len = multiaddr_encode(&ma, rec.addrs[rec.addr_count], PEER_RECORD_ADDR_BYTES_MAX);
            if (len > 0) rec.addr_lens[rec.addr_count++] = len;
        }
        n->record_len = rec.addr_count > 0 ? peer_record_seal(&n->id, &rec, n->record, sizeof n->record) : 0;
    }
    *record = n->record;
    return n->record_len;
}

/* The accepting side of /ipfs/id/1.0.0 sends one Identify and closes. */
static void identify_send(node *n, conn *c, node_stream *s) {
    identify_message msg;
    memset(&msg, 0, sizeof msg);
    uint8_t key[IDENTITY_PUBLIC_PROTO_BYTES];
    identity_public_proto_encode(n->id.public_key, key);
    msg.public_key = (identify_bytes){key, sizeof key};
    msg.has_public_key = true;
    msg.protocol_version = identify_text(NODE_PROTOCOL_VERSION);
    msg.has_protocol_version = true;
    msg.agent_version = identify_text(NODE_AGENT_VERSION);
    msg.has_agent_version = true;
    for (size_t i = 0; i < n->supported_count && i < IDENTIFY_PROTOCOLS_MAX; i++)
        msg.protocols[msg.protocol_count++] = identify_text(n->supported[i]);
    uint8_t addrs[NODE_LISTEN_ADDRS_MAX][MULTIADDR_TEXT_MAX];
    for (size_t i = 0; i < n->listen_count; i++) {
        multiaddr ma;
        if (multiaddr_parse(n->listen_addrs[i], &ma) != 0) continue;
        size_t len = multiaddr_encode(&ma, addrs[i], sizeof addrs[i]);
        if (len > 0) msg.listen_addrs[msg.listen_addr_count++] = (identify_bytes){addrs[i], len};
    }
    const uint8_t *record = NULL;
    size_t record_len = stream_own_record(n, &record);
    if (record_len > 0) {
        msg.signed_peer_record = (identify_bytes){record, record_len};
        msg.has_signed_peer_record = true;
    }
    uint8_t out[IDENTIFY_MESSAGE_MAX_BYTES];
    size_t len = identify_encode(&msg, out, sizeof out);
    assert(len > 0);
    if (stream_send_message(n, c, s, out, len) == 0) yamux_close(&c->mux, s->id);
}

/* The Identify the peer sent us: remember its agent and protocols. */
static int identify_receive(node *n, conn *c, const uint8_t *bytes, size_t len) {
    identify_message msg;
    if (c->info.identified || identify_decode(bytes, len, &msg) != 0) return -1;
    uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
    peer_id claimed;
    if (msg.has_public_key) { /* a key that is not the one Noise proved is a lie */
        if (identity_public_proto_decode(msg.public_key.data, msg.public_key.len, key) != 0) return -1;
        peer_id_from_public_key(key, &claimed);
        if (!peer_id_equal(&claimed, &c->noise.remote)) return -1;
    }
    peer_info *info = &c->info;
    /* The record is kept as it came, for peer exchange, and checked by
     * whoever dials from it (host_connect opens it, signature and peer ID):
     * verifying every identify's record here would cost a signature check
     * per connection for records most nodes never pass on. */
    if (msg.has_signed_peer_record && msg.signed_peer_record.len <= PEER_RECORD_ENVELOPE_MAX &&
        (info->record = malloc(msg.signed_peer_record.len)) != NULL) {
        memcpy(info->record, msg.signed_peer_record.data, msg.signed_peer_record.len);
        info->record_len = msg.signed_peer_record.len;
    }
    if (msg.has_agent_version) info->agent = text_copy(msg.agent_version);
    for (size_t i = 0; i < msg.protocol_count && i < NODE_PEER_PROTOCOLS_MAX; i++) {
        char *protocol = text_copy(msg.protocols[i]);
        if (protocol != NULL) info->protocols[info->protocol_count++] = protocol;
    }
    info->identified = true;
    if (n->callbacks.on_peer_identified != NULL) n->callbacks.on_peer_identified(n->callbacks.user, &c->noise.remote);
    return 0;
}

/* ---- negotiation ------------------------------------------------------ */

static stream_kind stream_kind_of(node *n, const char *protocol, int *custom_index) {
    *custom_index = -1;
    if (strcmp(protocol, PING_PROTOCOL) == 0) return STREAM_PING;
    if (strcmp(protocol, IDENTIFY_PROTOCOL) == 0) return STREAM_IDENTIFY;
    if (router_speaks(&n->router, protocol)) return STREAM_PUBSUB;
    if (strcmp(protocol, BITSWAP_PROTOCOL) == 0) return STREAM_BITSWAP;
    for (size_t i = 0; i < n->protocol_count; i++) {
        if (strcmp(protocol, n->protocols[i].name) == 0) {
            *custom_index = (int)i;
            return STREAM_CUSTOM;
        }
    }
    return STREAM_NEGOTIATING; /* never: mss accepts only supported names */
}

/* A Bitswap stream carries messages of a whole block and more. Set while
 * its reader holds nothing: at open, or when negotiation ends. */
static void stream_bitswap_limits(node_stream *s) {
    assert(lp_reader_pending(&s->reader) == 0);
    s->message_max = BITSWAP_MESSAGE_MAX_BYTES;
    lp_reader_free(&s->reader);
    lp_reader_init(&s->reader, s->message_max);
}

static void stream_on_negotiated(node *n, conn *c, node_stream *s) {
    int custom_index;
    char selected[MSS_PROTOCOL_NAME_MAX + 1];
    memcpy(selected, s->negotiation->selected, sizeof selected);
    s->kind = stream_kind_of(n, selected, &custom_index);
    assert(s->kind != STREAM_NEGOTIATING);
    s->custom_index = custom_index;
    free(s->negotiation);
    s->negotiation = NULL;
    if (s->kind == STREAM_BITSWAP && !s->outbound) stream_bitswap_limits(s);
    if (s->kind == STREAM_PING && s->outbound) s->ping_sent_ns = node_now(n); /* the payload leaves now */
    if (s->pending.len > 0) {
        if (yamux_write(&c->mux, s->id, s->pending.data, s->pending.len) != 0)
            conn_close(n, c, "stream write failed");
        buf_free(&s->pending);
    }
    if (s->kind == STREAM_IDENTIFY && !s->outbound) identify_send(n, c, s);
    /* gossipsub learns the peer's version from the first pubsub stream, ours
     * or its, that negotiated one. */
    if (s->kind == STREAM_PUBSUB && !c->pubsub_added && pubsub_adds_peers_on_negotiation(n->router.core))
        c->pubsub_added =
            pubsub_add_peer(n->router.core, c->handle, &c->noise.remote, selected, c->outbound, conn_remote_ip4(n, c)) == 0;
    if (s->kind == STREAM_CUSTOM) {
        node_protocol *p = &n->protocols[s->custom_index];
        if (p->ops.on_open != NULL)
            p->ops.on_open(p->user, n, ((uint64_t)c->handle << 32) | s->id, &c->noise.remote, !s->outbound);
    }
}

/* A proposal the peer refused: the pubsub peer goes, the opener hears. */
static void stream_on_refused(node *n, conn *c, node_stream *s) {
    if (c->has_pubsub_out && c->pubsub_out == s->id && c->pubsub_added) {
        pubsub_remove_peer(n->router.core, c->handle);
        c->pubsub_added = false;
    }
    if (c->has_bitswap_out && c->bitswap_out == s->id) c->bitswap_refused = true;
    stream_reset(n, c, s);
}

/* Returns the bytes of data the negotiation consumed; s may be gone after. */
static size_t stream_negotiate(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len,
                               bool *gone) {
    buf reply;
    buf_init(&reply, MSS_MESSAGE_MAX * 2);
    size_t consumed = 0;
    mss_status status = mss_feed(s->negotiation, data, len, &consumed, &reply);
    if (reply.len > 0 && yamux_write(&c->mux, s->id, reply.data, reply.len) != 0) status = MSS_FAILED;
    buf_free(&reply);
    *gone = false;
    if (status == MSS_FAILED) {
        stream_on_refused(n, c, s);
        *gone = true;
    } else if (status == MSS_DONE) {
        stream_on_negotiated(n, c, s);
    }
    return consumed;
}

/* ---- protocol data ---------------------------------------------------- */

static void stream_ping_data(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len) {
    if (!s->outbound) { /* the responder echoes whatever comes */
        if (yamux_write(&c->mux, s->id, data, len) != 0) stream_reset(n, c, s);
        return;
    }
    if (!s->ping_waiting || len > PING_PAYLOAD_BYTES - s->ping_echo_len) {
        stream_reset(n, c, s);
        return;
    }
    memcpy(s->ping_echo + s->ping_echo_len, data, len);
    s->ping_echo_len += len;
    if (s->ping_echo_len < PING_PAYLOAD_BYTES) return;
    bool ok = memcmp(s->ping_echo, s->ping_payload, PING_PAYLOAD_BYTES) == 0;
    s->ping_waiting = false;
    if (n->env.timer_cancel != NULL) n->env.timer_cancel(n->env.ctx, NODE_TIMER_ID(NODE_TIMER_PING, c->handle, s->id));
    if (n->callbacks.on_ping != NULL)
        n->callbacks.on_ping(n->callbacks.user, &c->noise.remote, ok, node_now(n) - s->ping_sent_ns);
    yamux_close(&c->mux, s->id);
}

void stream_ping_timeout(node *n, conn *c, uint32_t stream_id) {
    node_stream *s = stream_find(c, stream_id);
    if (s != NULL && s->ping_waiting) stream_reset(n, c, s);
}

/* One whole message; returns -1 when it is malformed. */
static int stream_on_message(node *n, conn *c, node_stream *s, const uint8_t *msg, size_t len) {
    switch (s->kind) {
    case STREAM_IDENTIFY:
        return s->outbound ? identify_receive(n, c, msg, len) : -1;
    case STREAM_PUBSUB:
        if (s->outbound || !c->pubsub_added) return 0; /* nothing is expected on our own stream */
        if (n->policy != NULL && n->policy->observe_rpc != NULL)
            n->policy->observe_rpc(n->policy->user, &c->noise.remote, msg, len);
        return pubsub_handle_rpc(n->router.core, c->handle, msg, len);
    case STREAM_BITSWAP: /* on either side's stream: implementations differ in which they answer on */
        return bitswap_handle_message(n->exchange, c->handle, msg, len);
    case STREAM_CUSTOM: {
        node_protocol *p = &n->protocols[s->custom_index];
        if (p->ops.on_message != NULL)
            p->ops.on_message(p->user, n, ((uint64_t)c->handle << 32) | s->id, &c->noise.remote, msg, len);
        return 0;
    }
    default:
        return -1;
    }
}

/* What the reader needs to hand a message to stream_on_message. */
typedef struct stream_reading {
    node *n;
    conn *c;
    node_stream *s;
} stream_reading;

static int stream_read_message(void *user, const uint8_t *msg, size_t len) {
    stream_reading *r = user;
    return stream_on_message(r->n, r->c, r->s, msg, len);
}

/* Splits the stream's bytes into length-prefixed messages; a malformed
 * prefix, an oversize message or a message its protocol refuses resets the
 * stream, and only the stream. */
static void stream_messages(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len) {
    stream_reading reading = {n, c, s};
    if (lp_reader_feed(&s->reader, data, len, stream_read_message, &reading) != 0) stream_reset(n, c, s);
}

static void stream_on_data(node *n, conn *c, node_stream *s, const uint8_t *data, size_t len) {
    if (s->kind == STREAM_NEGOTIATING) {
        bool gone;
        size_t consumed = stream_negotiate(n, c, s, data, len, &gone);
        if (gone) return;
        data += consumed;
        len -= consumed;
        if (len == 0) return;
        if (s->kind == STREAM_NEGOTIATING) { /* mss consumes everything until done */
            stream_reset(n, c, s);
            return;
        }
    }
    if (s->kind == STREAM_PING)
        stream_ping_data(n, c, s, data, len);
    else
        stream_messages(n, c, s, data, len);
}

/* ---- yamux events ----------------------------------------------------- */

/* Opens our pubsub stream to c's peer, offering the router's protocols;
 * the router adds the peer now (floodsub) or once a pubsub stream has
 * negotiated its version (gossipsub). 0, or -1 when no stream can open. */
static int stream_pubsub_open(node *n, conn *c) {
    const char *protocols[ROUTER_PROTOCOLS_MAX];
    size_t count = pubsub_protocols(n->router.core, protocols);
    node_stream *s = stream_open_offering(n, c, protocols, count, -1);
    if (s == NULL) return -1;
    c->pubsub_out = s->id;
    c->has_pubsub_out = true;
    if (!c->pubsub_added && !pubsub_adds_peers_on_negotiation(n->router.core))
        c->pubsub_added = pubsub_add_peer(n->router.core, c->handle, &c->noise.remote, protocols[0], c->outbound,
                                          conn_remote_ip4(n, c)) == 0;
    return 0;
}

/* Our pubsub stream was reset or closed while the connection lives: we
 * open another, which starts with our subscriptions, as a new peer's does.
 * The router keeps what it knows of the peer (its subscriptions came on the
 * peer's own stream, which lives on). A peer that keeps resetting gets
 * NODE_PUBSUB_REOPENS_MAX new streams, then none: what we would send it is
 * dropped and traced, and the connection stays for other protocols. */
static void stream_pubsub_lost(node *n, conn *c) {
    assert(!c->has_pubsub_out);
    if (c->pubsub_reopens >= NODE_PUBSUB_REOPENS_MAX) return;
    c->pubsub_reopens++;
    bool known = c->pubsub_added;
    if (stream_pubsub_open(n, c) != 0) {
        conn_close(n, c, "cannot open pubsub stream");
        return;
    }
    if (known) pubsub_greet(n->router.core, c->handle);
}

static void stream_on_opened(node *n, conn *c, uint32_t id) {
    node_stream *s = stream_add(c, id, false);
    if (s == NULL) {
        yamux_reset(&c->mux, id);
        return;
    }
    mss_init_responder(s->negotiation, n->supported, n->supported_count);
}

static void stream_on_yamux_event(void *user, const yamux_event *event) {
    conn *c = user;
    node *n = c->owner;
    if (c->closing) return;
    if (event->kind == YAMUX_EVENT_GO_AWAY) {
        conn_close(n, c, "peer sent go away");
        return;
    }
    if (event->kind == YAMUX_EVENT_STREAM_OPENED) {
        stream_on_opened(n, c, event->stream_id);
        return;
    }
    node_stream *s = stream_find(c, event->stream_id);
    if (s == NULL) return;
    switch (event->kind) {
    case YAMUX_EVENT_DATA:
        stream_on_data(n, c, s, event->data, event->len);
        break;
    case YAMUX_EVENT_STREAM_FIN: /* the peer is done: so are we */
        yamux_close(&c->mux, s->id);
        break;
    case YAMUX_EVENT_STREAM_RESET:
    case YAMUX_EVENT_STREAM_CLOSED: {
        bool ours = c->has_pubsub_out && c->pubsub_out == s->id;
        stream_remove(n, c, s, true);
        if (ours) stream_pubsub_lost(n, c);
        break;
    }
    default:
        break;
    }
}

/* The connection is READY: open identify and pubsub streams. */
static void stream_on_conn_ready(node *n, conn *c) {
    /* Identify the peer, and offer it our pubsub stream. */
    if (stream_open(n, c, IDENTIFY_PROTOCOL, STREAM_IDENTIFY, -1) == NULL) {
        conn_close(n, c, "cannot open identify stream");
        return;
    }
    if (stream_pubsub_open(n, c) != 0) {
        conn_close(n, c, "cannot open pubsub stream");
        return;
    }
    (void)bitswap_add_peer(n->exchange, c->handle); /* out of memory: it serves and asks this peer nothing */
}

/* The connection goes: the exchange forgets the peer, then its streams go. */
static void stream_on_teardown(node *n, conn *c) {
    bitswap_remove_peer(n->exchange, c->handle);
    stream_release_all(n, c);
}

node_stream *stream_bitswap_out(node *n, conn *c) {
    if (c->bitswap_refused) return NULL;
    if (c->has_bitswap_out) return stream_find(c, c->bitswap_out);
    node_stream *s = stream_open(n, c, BITSWAP_PROTOCOL, STREAM_BITSWAP, -1);
    if (s == NULL) return NULL;
    stream_bitswap_limits(s);
    c->bitswap_out = s->id;
    c->has_bitswap_out = true;
    return s;
}

const conn_upper stream_layer = {.on_yamux_event = stream_on_yamux_event, .on_ready = stream_on_conn_ready,
                                 .on_teardown = stream_on_teardown};
