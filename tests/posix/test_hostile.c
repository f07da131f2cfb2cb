/*
 * test_hostile: a running swarmlab-node fed malformed bytes at every stage
 * of the libp2p upgrade, over raw TCP connections that this test drives by
 * hand with the node's own codecs (mss, noise_channel, yamux):
 *
 *   multistream (clear)  ->  Noise XX  ->  multistream (encrypted)  ->
 *   yamux  ->  a stream's multistream  ->  a pubsub RPC
 *
 * Each test breaks one stage and checks what docs/architecture.md promises
 * for it: a broken connection-level layer closes that connection, a
 * malformed RPC resets only its stream. Then a well-behaved daemon connected
 * to the same node still pings it and still receives what it publishes.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <sodium.h>
#include <sys/resource.h>

#include "base/varint.h"
#include "transport/mss.h"
#include "transport/noise.h"
#include "transport/yamux.h"
#include "wire/pubsub_pb.h"

#define TOPIC "hostile"
#define RAW_WIRE_MAX (1u << 20)
#define RAW_READ_MAX 65536
#define FLOODSUB "/floodsub/1.0.0"

typedef struct hostile_fixture {
    harness_daemon target;  /* the daemon under attack */
    harness_daemon witness; /* a well-behaved peer of it */
} hostile_fixture;

/* ---- a peer driven by hand -------------------------------------------- */

typedef struct raw_peer {
    int fd;
    identity id;
    noise_channel noise;
    bool has_noise;
    buf wire;  /* bytes to send */
    buf plain; /* decrypted bytes not consumed yet */
    yamux_session mux;
    bool has_mux;
    uint32_t stream;
    mss stream_mss;
    bool stream_negotiated, stream_reset;
} raw_peer;

static int raw_open(raw_peer *r, int port) {
    memset(r, 0, sizeof *r);
    buf_init(&r->wire, RAW_WIRE_MAX);
    buf_init(&r->plain, RAW_WIRE_MAX);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&sa, sizeof sa) != 0) return -1;
    return 0;
}

static void raw_close(raw_peer *r) {
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
    if (r->has_mux) yamux_free(&r->mux);
    if (r->has_noise) noise_channel_free(&r->noise);
    identity_wipe(&r->id);
    buf_free(&r->wire);
    buf_free(&r->plain);
}

static int raw_send(raw_peer *r, const void *bytes, size_t len) {
    return send(r->fd, bytes, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int raw_flush(raw_peer *r) {
    int rc = r->wire.len > 0 ? raw_send(r, r->wire.data, r->wire.len) : 0;
    buf_clear(&r->wire);
    return rc;
}

/* Bytes from the daemon: > 0, 0 when it closed or reset the connection,
 * -1 at the deadline. */
static ssize_t raw_recv(raw_peer *r, uint8_t *out, size_t cap, long deadline_ms) {
    for (;;) {
        long left = deadline_ms - harness_now_ms();
        if (left <= 0) return -1;
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0) continue;
        ssize_t n = recv(r->fd, out, cap, 0);
        if (n < 0 && errno == EINTR) continue;
        return n > 0 ? n : 0; /* ECONNRESET counts as closed */
    }
}

/* Whether the daemon closes the connection before the deadline (whatever
 * it says first, a Go Away say, is read and ignored). */
static bool raw_closed_by_daemon(raw_peer *r) {
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    uint8_t bytes[RAW_READ_MAX];
    ssize_t n;
    while ((n = raw_recv(r, bytes, sizeof bytes, deadline)) > 0) continue;
    return n == 0;
}

/* multistream-select for one protocol, in the clear; 0 or -1. */
static int raw_negotiate_clear(raw_peer *r, const char *protocol) {
    mss m;
    const char *const proposals[] = {protocol};
    mss_init_initiator(&m, proposals, 1);
    if (mss_start(&m, &r->wire) != 0 || raw_flush(r) != 0) return -1;
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    uint8_t bytes[RAW_READ_MAX];
    mss_status status = MSS_PENDING;
    while (status == MSS_PENDING) {
        ssize_t n = raw_recv(r, bytes, sizeof bytes, deadline);
        size_t consumed;
        if (n <= 0) return -1;
        status = mss_feed(&m, bytes, (size_t)n, &consumed, &r->wire);
    }
    return status == MSS_DONE ? 0 : -1;
}

/* Reads once and decrypts into r->plain; 0 or -1. */
static int raw_read_encrypted(raw_peer *r, long deadline_ms) {
    uint8_t bytes[RAW_READ_MAX];
    ssize_t n = raw_recv(r, bytes, sizeof bytes, deadline_ms);
    if (n <= 0 || noise_channel_feed(&r->noise, bytes, (size_t)n, &r->wire, &r->plain) != 0) return -1;
    return raw_flush(r);
}

/* The Noise XX handshake as initiator, with a fresh identity; 0 or -1. */
static int raw_handshake(raw_peer *r) {
    uint8_t seed[IDENTITY_SEED_BYTES], static_key[NOISE_KEY_BYTES], ephemeral[NOISE_KEY_BYTES];
    randombytes_buf(seed, sizeof seed);
    randombytes_buf(static_key, sizeof static_key);
    randombytes_buf(ephemeral, sizeof ephemeral);
    identity_from_seed(&r->id, seed);
    noise_channel_init(&r->noise, true, &r->id, static_key, ephemeral);
    r->has_noise = true;
    if (noise_channel_start(&r->noise, &r->wire) != 0 || raw_flush(r) != 0) return -1;
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (r->noise.state == NOISE_CHANNEL_HANDSHAKE)
        if (raw_read_encrypted(r, deadline) != 0) return -1;
    return r->noise.state == NOISE_CHANNEL_OPEN ? 0 : -1;
}

static int raw_send_encrypted(raw_peer *r, const void *bytes, size_t len) {
    if (noise_channel_send(&r->noise, bytes, len, &r->wire) != 0) return -1;
    return raw_flush(r);
}

/* multistream-select for /yamux/1.0.0 inside Noise; what follows the
 * answer stays in r->plain for yamux. 0 or -1. */
static int raw_negotiate_yamux(raw_peer *r) {
    mss m;
    const char *const proposals[] = {"/yamux/1.0.0"};
    mss_init_initiator(&m, proposals, 1);
    buf out;
    buf_init(&out, MSS_MESSAGE_MAX * 2);
    int rc = mss_start(&m, &out) == 0 ? raw_send_encrypted(r, out.data, out.len) : -1;
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    mss_status status = MSS_PENDING;
    while (rc == 0 && status == MSS_PENDING) {
        size_t consumed = 0;
        status = mss_feed(&m, r->plain.data, r->plain.len, &consumed, &out);
        buf_consume(&r->plain, consumed);
        if (status == MSS_PENDING) rc = raw_read_encrypted(r, deadline);
    }
    buf_free(&out);
    return rc == 0 && status == MSS_DONE ? 0 : -1;
}

static void raw_on_yamux(void *user, const yamux_event *event) {
    raw_peer *r = user;
    if (event->stream_id != r->stream) return; /* the daemon's own streams wait */
    if (event->kind == YAMUX_EVENT_STREAM_RESET) r->stream_reset = true;
    if (event->kind != YAMUX_EVENT_DATA || r->stream_negotiated) return;
    size_t consumed;
    buf ignored;
    buf_init(&ignored, MSS_MESSAGE_MAX * 2);
    r->stream_negotiated = mss_feed(&r->stream_mss, event->data, event->len, &consumed, &ignored) == MSS_DONE;
    buf_free(&ignored);
}

/* Feeds r->plain to yamux and sends what yamux answers; 0 or -1. */
static int raw_pump_yamux(raw_peer *r) {
    int rc = yamux_feed(&r->mux, r->plain.data, r->plain.len);
    buf_clear(&r->plain);
    if (rc == 0 && r->mux.out.len > 0) rc = raw_send_encrypted(r, r->mux.out.data, r->mux.out.len);
    buf_clear(&r->mux.out);
    return rc;
}

/* Opens a yamux stream and negotiates /floodsub/1.0.0 on it; 0 or -1. */
static int raw_open_floodsub(raw_peer *r) {
    if (yamux_init(&r->mux, true, raw_on_yamux, r) != 0) return -1;
    r->has_mux = true;
    const char *const proposals[] = {FLOODSUB};
    mss_init_initiator(&r->stream_mss, proposals, 1);
    buf hello;
    buf_init(&hello, MSS_MESSAGE_MAX * 2);
    int rc = yamux_open(&r->mux, &r->stream) == 0 && mss_start(&r->stream_mss, &hello) == 0 ? 0 : -1;
    if (rc == 0) rc = yamux_write(&r->mux, r->stream, hello.data, hello.len);
    buf_free(&hello);
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (rc == 0 && (rc = raw_pump_yamux(r)) == 0 && !r->stream_negotiated)
        rc = raw_read_encrypted(r, deadline);
    return rc;
}

/* The whole upgrade, well-behaved, up to an open floodsub stream; 0 or -1. */
static int raw_connect_floodsub(raw_peer *r, int port) {
    bool ok = raw_open(r, port) == 0 && raw_negotiate_clear(r, "/noise") == 0 && raw_handshake(r) == 0 &&
              raw_negotiate_yamux(r) == 0 && raw_open_floodsub(r) == 0;
    return ok ? 0 : -1;
}

/* ---- fixture: the target daemon and a well-behaved witness ------------ */

/* Fails unless both daemons exit 0 on SIGTERM (the sanitizers' verdict). */
static int hostile_teardown(void **state) {
    hostile_fixture *f = *state;
    int target = harness_stop(&f->target), witness = harness_stop(&f->witness);
    free(f);
    *state = NULL;
    return target == 0 && witness == 0 ? 0 : -1;
}

/* The target (started with target_extra) and a witness that shares a
 * topic with it. */
static int hostile_start(void **state, const char *const *target_extra) {
    hostile_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    harness_init(&f->target);
    harness_init(&f->witness);
    char reply[HARNESS_LINE_MAX];
    bool ready = harness_start(&f->target, "target", target_extra) == 0 &&
                 harness_start(&f->witness, "witness", NULL) == 0 &&
                 harness_connect(&f->witness, &f->target) == 0 &&
                 harness_command(&f->target, "sub " TOPIC, reply, sizeof reply) == 0 &&
                 harness_command(&f->witness, "sub " TOPIC, reply, sizeof reply) == 0 &&
                 harness_wait_route(&f->target, &f->witness, TOPIC) == 0;
    if (ready) return 0;
    harness_print_log(&f->target);
    harness_print_log(&f->witness);
    (void)hostile_teardown(state);
    return -1;
}

static int hostile_setup(void **state) { return hostile_start(state, NULL); }

/* Without the connection limits, which would refuse the flood's many
 * connections from one address long before the descriptors run out. */
static int hostile_setup_unlimited(void **state) {
    static const char *const unlimited[] = {"--no-conn-limits", NULL};
    return hostile_start(state, unlimited);
}

/* The witness still pings the target and receives what it publishes. */
static void assert_target_still_serves(hostile_fixture *f, const char *tag) {
    char command[HARNESS_LINE_MAX], reply[HARNESS_LINE_MAX], line[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "ping %s", f->target.id);
    assert_int_equal(harness_command(&f->witness, command, reply, sizeof reply), 0);
    if (strstr(reply, "\"rtt_ms\":") == NULL) fail_msg("ping after %s: %s", tag, reply);
    snprintf(command, sizeof command, "pub " TOPIC " still serving after %s", tag);
    assert_int_equal(harness_command(&f->target, command, reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "\"ok\":true"));
    snprintf(command, sizeof command, "still serving after %s", tag);
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    assert_int_equal(harness_next_event(&f->witness, "\"event\":\"message\"", command, line, sizeof line, deadline), 0);
}

/* ---- the stages ------------------------------------------------------- */

static void garbage_instead_of_multistream_closes_the_connection(void **state) {
    hostile_fixture *f = *state;
    raw_peer r;
    assert_int_equal(raw_open(&r, f->target.port), 0);
    uint8_t garbage[64];
    memset(garbage, 0xff, sizeof garbage); /* a length prefix that never ends */
    assert_int_equal(raw_send(&r, garbage, sizeof garbage), 0);
    assert_true(raw_closed_by_daemon(&r));
    raw_close(&r);
    assert_target_still_serves(f, "multistream garbage");
}

static void garbage_instead_of_the_first_noise_message_closes_the_connection(void **state) {
    hostile_fixture *f = *state;
    raw_peer r;
    assert_int_equal(raw_open(&r, f->target.port), 0);
    assert_int_equal(raw_negotiate_clear(&r, "/noise"), 0);
    static const uint8_t short_frame[] = {0x00, 0x05, 'h', 'e', 'l', 'l', 'o'}; /* no room for a key */
    assert_int_equal(raw_send(&r, short_frame, sizeof short_frame), 0);
    assert_true(raw_closed_by_daemon(&r));
    raw_close(&r);
    assert_target_still_serves(f, "noise garbage");
}

static void a_forged_frame_after_the_handshake_closes_the_connection(void **state) {
    hostile_fixture *f = *state;
    raw_peer r;
    assert_int_equal(raw_open(&r, f->target.port), 0);
    assert_int_equal(raw_negotiate_clear(&r, "/noise"), 0);
    assert_int_equal(raw_handshake(&r), 0);
    static const char hello[] = "\x13/multistream/1.0.0\n";
    assert_int_equal(noise_channel_send(&r.noise, (const uint8_t *)hello, sizeof hello - 1, &r.wire), 0);
    r.wire.data[r.wire.len - 1] ^= 0x01; /* the authentication tag no longer matches */
    assert_int_equal(raw_flush(&r), 0);
    assert_true(raw_closed_by_daemon(&r));
    raw_close(&r);
    assert_target_still_serves(f, "forged frame");
}

static void garbage_instead_of_the_encrypted_multistream_closes_the_connection(void **state) {
    hostile_fixture *f = *state;
    raw_peer r;
    assert_int_equal(raw_open(&r, f->target.port), 0);
    assert_int_equal(raw_negotiate_clear(&r, "/noise"), 0);
    assert_int_equal(raw_handshake(&r), 0);
    uint8_t garbage[32];
    memset(garbage, 0xff, sizeof garbage);
    assert_int_equal(raw_send_encrypted(&r, garbage, sizeof garbage), 0);
    assert_true(raw_closed_by_daemon(&r));
    raw_close(&r);
    assert_target_still_serves(f, "encrypted multistream garbage");
}

static void a_yamux_frame_with_a_bad_version_closes_the_connection(void **state) {
    hostile_fixture *f = *state;
    raw_peer r;
    assert_int_equal(raw_open(&r, f->target.port), 0);
    assert_int_equal(raw_negotiate_clear(&r, "/noise"), 0);
    assert_int_equal(raw_handshake(&r), 0);
    assert_int_equal(raw_negotiate_yamux(&r), 0);
    /* A window update on stream 1 from a yamux of version 1. */
    static const uint8_t frame[YAMUX_HEADER_BYTES] = {1, YAMUX_TYPE_WINDOW_UPDATE, 0, YAMUX_FLAG_SYN, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(raw_send_encrypted(&r, frame, sizeof frame), 0);
    assert_true(raw_closed_by_daemon(&r));
    raw_close(&r);
    assert_target_still_serves(f, "bad yamux version");
}

static void a_malformed_pubsub_rpc_resets_its_stream(void **state) {
    hostile_fixture *f = *state;
    raw_peer r;
    assert_int_equal(raw_connect_floodsub(&r, f->target.port), 0);
    /* A length-prefixed RPC whose protobuf is a varint that never ends. */
    static const uint8_t rpc[] = {0x04, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(yamux_write(&r.mux, r.stream, rpc, sizeof rpc), 0);
    assert_int_equal(raw_pump_yamux(&r), 0);
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (!r.stream_reset && raw_read_encrypted(&r, deadline) == 0 && raw_pump_yamux(&r) == 0) continue;
    assert_true(r.stream_reset);
    raw_close(&r);
    assert_target_still_serves(f, "malformed rpc");
}

/* ---- two large messages across one chunk (issue 19, defect 1) -------- */

#define SPLIT_DATA_BYTES 1000000 /* data of each large message, as in the issue */
#define SPLIT_TAIL_BYTES 100     /* of the first RPC: where the chunk starts */
#define SPLIT_HEAD_BYTES 60000   /* of the second RPC: where the chunk ends */
#define SPLIT_RPC_MAX (SPLIT_DATA_BYTES + 1024) /* a framed RPC of one such message */
#define SPLIT_SURVIVOR "split frame 3: the stream survives" /* the small third message */
#define EVENT_HEAD_MAX 512 /* bytes of a (long) event line kept to match it by */
#define RAW_QUIET_MS 200   /* a daemon silent this long has said what it had to say */

/* A length-prefixed RPC, as a pubsub stream carries it, publishing one
 * message from r on TOPIC signed as r (StrictSign) with the node's own
 * encoder: data_len bytes of data that start with text. Its length, or 0. */
static size_t signed_rpc(const raw_peer *r, uint64_t seqno, const char *text, size_t data_len, uint8_t *out,
                         size_t cap) {
    uint8_t *data = malloc(data_len);
    assert_non_null(data);
    assert_true(strlen(text) <= data_len);
    memset(data, '.', data_len);
    memcpy(data, text, strlen(text));
    peer_id self;
    peer_id_from_public_key(r->id.public_key, &self);
    pubsub_outgoing msg;
    size_t rpc_len = 0;
    if (cap > VARINT_MAX_BYTES && pubsub_message_make(&msg, &r->id, &self, seqno, TOPIC, data, data_len) == 0)
        rpc_len = pubsub_rpc_encode(NULL, 0, &msg.msg, 1, out + VARINT_MAX_BYTES, cap - VARINT_MAX_BYTES);
    free(data);
    if (rpc_len == 0) return 0;
    uint8_t prefix[VARINT_MAX_BYTES];
    size_t prefix_len = varint_encode(rpc_len, prefix);
    memmove(out + prefix_len, out + VARINT_MAX_BYTES, rpc_len);
    memcpy(out, prefix, prefix_len);
    return prefix_len + rpc_len;
}

/* Reads from the daemon once and answers it (window updates above all);
 * 0 or -1. */
static int raw_read_and_pump(raw_peer *r, long deadline_ms) {
    return raw_read_encrypted(r, deadline_ms) == 0 && raw_pump_yamux(r) == 0 ? 0 : -1;
}

/* Sends bytes on r's stream, each write no larger than the daemon's window
 * for it, reading its window updates in between; 0, or -1 when the stream
 * is gone (reset) or the deadline passed. */
static int raw_stream_send(raw_peer *r, const uint8_t *bytes, size_t len, long deadline_ms) {
    for (size_t sent = 0; sent < len;) {
        if (!yamux_stream_exists(&r->mux, r->stream)) return -1;
        size_t n = yamux_send_window(&r->mux, r->stream);
        if (n > len - sent) n = len - sent;
        int rc = n == 0 ? raw_read_and_pump(r, deadline_ms)
                        : yamux_write(&r->mux, r->stream, bytes + sent, n) == 0 ? raw_pump_yamux(r) : -1;
        if (rc != 0) return -1;
        sent += n;
    }
    return 0;
}

/* Sends bytes on r's stream as ONE yamux Data frame inside ONE Noise frame,
 * once the daemon's window takes them whole: the daemon decrypts the frame
 * at once and its yamux hands the frame's payload to the stream's reader
 * as one chunk. 0, or -1 as raw_stream_send. */
static int raw_stream_send_one_chunk(raw_peer *r, const uint8_t *bytes, size_t len, long deadline_ms) {
    assert_true(YAMUX_HEADER_BYTES + len <= NOISE_PLAINTEXT_MAX); /* one Noise frame */
    while (yamux_stream_exists(&r->mux, r->stream) && yamux_send_window(&r->mux, r->stream) < len)
        if (raw_read_and_pump(r, deadline_ms) != 0) return -1;
    assert_int_equal(r->mux.out.len, 0); /* nothing else rides in the frame */
    if (yamux_write(&r->mux, r->stream, bytes, len) != 0) return -1;
    assert_int_equal(r->mux.out.len, YAMUX_HEADER_BYTES + len); /* one Data frame, nothing queued */
    int rc = raw_send_encrypted(r, r->mux.out.data, r->mux.out.len);
    buf_clear(&r->mux.out);
    return rc;
}

/* Reads what the daemon sends until it has been quiet for quiet_ms, so
 * that a reset it sent has been seen. */
static void raw_drain(raw_peer *r, long quiet_ms) {
    while (raw_read_and_pump(r, harness_now_ms() + quiet_ms) == 0) continue;
}

/* The next event line of d that holds needle within its first
 * EVENT_HEAD_MAX bytes, however long the line (a message event carries the
 * whole data, longer than the harness reads as one line): its length, or
 * 0 at the deadline. Other lines are skipped. */
static size_t next_long_event(harness_daemon *d, const char *needle, long deadline_ms) {
    harness_client *c = &d->events;
    char head[EVENT_HEAD_MAX + 1];
    size_t head_len = 0, line_len = 0;
    for (;;) {
        char *nl = memchr(c->buffer, '\n', c->len);
        size_t n = nl != NULL ? (size_t)(nl - c->buffer) : c->len;
        size_t keep = n < EVENT_HEAD_MAX - head_len ? n : EVENT_HEAD_MAX - head_len;
        memcpy(head + head_len, c->buffer, keep);
        head_len += keep;
        line_len += n;
        size_t used = nl != NULL ? n + 1 : n;
        memmove(c->buffer, c->buffer + used, c->len - used);
        c->len -= used;
        if (nl != NULL) {
            head[head_len] = '\0';
            if (strstr(head, needle) != NULL) return line_len;
            head_len = line_len = 0;
            continue;
        }
        long left = deadline_ms - harness_now_ms();
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (left <= 0) return 0;
        if (poll(&p, 1, (int)left) <= 0) continue;
        ssize_t got = recv(c->fd, c->buffer, sizeof c->buffer, 0);
        if (got <= 0) return 0;
        c->len = (size_t)got;
    }
}

/* d delivers (or receives) the message whose data starts with text, at
 * least data_len long; fails saying whether r's stream was reset if not. */
static void assert_delivers(harness_daemon *d, const char *text, size_t data_len, raw_peer *r) {
    char needle[HARNESS_TEXT_MAX];
    snprintf(needle, sizeof needle, "\"data\":\"%s", text);
    size_t line_len = next_long_event(d, needle, harness_now_ms() + HARNESS_DEADLINE_MS);
    if (line_len >= data_len) return;
    raw_drain(r, RAW_QUIET_MS);
    fail_msg("\"%s\" (%zu bytes) not delivered (event line of %zu bytes); the raw peer's stream was %s", text,
             data_len, line_len, r->stream_reset ? "reset" : "not reset");
}

/* The daemon gets a chunk that holds the last 100 bytes of one 1 MB RPC
 * and the first 60,000 of the next: both messages are delivered and the
 * stream carries on. (The reader that appended the whole chunk to a
 * buffer sized for one message overflowed and reset the stream, losing
 * both.) */
static void a_chunk_across_two_large_messages_delivers_both(void **state) {
    hostile_fixture *f = *state;
    raw_peer r;
    assert_int_equal(raw_connect_floodsub(&r, f->target.port), 0);
    uint8_t *first = malloc(SPLIT_RPC_MAX), *second = malloc(SPLIT_RPC_MAX), third[HARNESS_TEXT_MAX];
    assert_non_null(first);
    assert_non_null(second);
    size_t first_len = signed_rpc(&r, 1, "split frame 1:", SPLIT_DATA_BYTES, first, SPLIT_RPC_MAX);
    size_t second_len = signed_rpc(&r, 2, "split frame 2:", SPLIT_DATA_BYTES, second, SPLIT_RPC_MAX);
    size_t third_len = signed_rpc(&r, 3, SPLIT_SURVIVOR, strlen(SPLIT_SURVIVOR), third, sizeof third);
    assert_true(first_len > SPLIT_DATA_BYTES && second_len > SPLIT_HEAD_BYTES && third_len > 0);
    assert_true(first_len <= PUBSUB_RPC_MAX_BYTES && second_len <= PUBSUB_RPC_MAX_BYTES); /* each valid alone */

    /* The chunk of the issue: the last SPLIT_TAIL_BYTES of the first RPC,
     * then the first SPLIT_HEAD_BYTES of the second, sent as one frame
     * after the rest of the first. The old reader held the first RPC but
     * its tail (about 1,000,000 bytes) and appended the whole chunk to a
     * buffer of NODE_STREAM_MESSAGE_MAX (1 MiB): 60,000 overflowed it where
     * 40,000 did not. */
    size_t chunk_len = SPLIT_TAIL_BYTES + SPLIT_HEAD_BYTES;
    uint8_t *chunk = malloc(chunk_len);
    assert_non_null(chunk);
    memcpy(chunk, first + first_len - SPLIT_TAIL_BYTES, SPLIT_TAIL_BYTES);
    memcpy(chunk + SPLIT_TAIL_BYTES, second, SPLIT_HEAD_BYTES);

    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    assert_int_equal(raw_stream_send(&r, first, first_len - SPLIT_TAIL_BYTES, deadline), 0);
    assert_int_equal(raw_stream_send_one_chunk(&r, chunk, chunk_len, deadline), 0);
    int rest = raw_stream_send(&r, second + SPLIT_HEAD_BYTES, second_len - SPLIT_HEAD_BYTES, deadline);
    free(chunk);
    free(first);
    free(second);
    assert_delivers(&f->target, "split frame 1:", SPLIT_DATA_BYTES, &r);
    assert_delivers(&f->target, "split frame 2:", SPLIT_DATA_BYTES, &r);
    assert_int_equal(rest, 0);

    /* The stream survives: a third message on it is delivered too. */
    assert_int_equal(raw_stream_send(&r, third, third_len, harness_now_ms() + HARNESS_DEADLINE_MS), 0);
    assert_delivers(&f->target, SPLIT_SURVIVOR, strlen(SPLIT_SURVIVOR), &r);
    raw_drain(&r, RAW_QUIET_MS);
    assert_false(r.stream_reset);
    assert_true(yamux_stream_exists(&r.mux, r.stream));
    /* The target forwards all three to the witness: two 1 MB messages in a
     * row queue behind the witness's window (YAMUX_STREAM_PENDING_MAX holds
     * four), where a queue of one message once dropped the second. */
    assert_delivers(&f->witness, "split frame 1:", SPLIT_DATA_BYTES, &r);
    assert_delivers(&f->witness, "split frame 2:", SPLIT_DATA_BYTES, &r);
    assert_delivers(&f->witness, SPLIT_SURVIVOR, strlen(SPLIT_SURVIVOR), &r);
    raw_close(&r);
    assert_target_still_serves(f, "a chunk across two large messages");
}

/* ---- out of descriptors ------------------------------------------------ */

#define FLOOD_NOFILE 64          /* the target's descriptor limit during the flood */
#define FLOOD_CONNECTIONS 100    /* idle connections, more than it has descriptors */
#define FLOOD_CPU_WINDOW_MS 2000 /* how long its CPU time is watched */
#define FLOOD_CPU_SHARE_MAX 0.2  /* of that window: a loop that spins takes all of it */

/* The CPU time pid used so far (user and system), in ms; -1 without it. */
static long process_cpu_ms(pid_t pid) {
    char path[HARNESS_TEXT_MAX], text[HARNESS_LINE_MAX];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *rest = strrchr(text, ')'); /* after the command name, which may hold spaces */
    unsigned long utime, stime;
    /* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (rest == NULL || sscanf(rest + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (long)((utime + stime) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

/* The descriptors pid holds open numbered below bound (it may have
 * inherited some far above, from whoever started the tests). */
static int process_fds_below(pid_t pid, int bound) {
    char path[HARNESS_TEXT_MAX];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (dir == NULL) return -1;
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) count += e->d_name[0] != '.' && atoi(e->d_name) < bound;
    closedir(dir);
    return count;
}

/* A connection to port whose handshake the kernel completes on its own;
 * the daemon may accept it or leave it in its backlog. */
static int idle_connect(int port) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* accept() at the descriptor limit fails with EMFILE and leaves the
 * connection queued, so the listener stays readable: the loop must not
 * spin on it, and must accept again once descriptors free up. */
static void idle_connections_beyond_the_descriptor_limit_do_not_make_the_loop_spin(void **state) {
    hostile_fixture *f = *state;
    struct rlimit limit = {.rlim_cur = FLOOD_NOFILE, .rlim_max = RLIM_INFINITY};
    struct rlimit old;
    assert_int_equal(prlimit(f->target.pid, RLIMIT_NOFILE, NULL, &old), 0);
    limit.rlim_max = old.rlim_max;
    assert_true(process_fds_below(f->target.pid, FLOOD_NOFILE) < FLOOD_NOFILE);
    assert_int_equal(prlimit(f->target.pid, RLIMIT_NOFILE, &limit, NULL), 0);
    int clients[FLOOD_CONNECTIONS];
    for (size_t i = 0; i < FLOOD_CONNECTIONS; i++) {
        clients[i] = idle_connect(f->target.port);
        assert_true(clients[i] >= 0);
    }
    long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
    while (process_fds_below(f->target.pid, FLOOD_NOFILE) < FLOOD_NOFILE && harness_now_ms() < deadline)
        harness_sleep_ms(10);
    assert_int_equal(process_fds_below(f->target.pid, FLOOD_NOFILE), FLOOD_NOFILE); /* every descriptor in use */
    harness_client control = {.fd = harness_unix_connect(f->target.control)}; /* queued: its listener too */
    assert_true(control.fd >= 0);

    long cpu_before = process_cpu_ms(f->target.pid);
    harness_sleep_ms(FLOOD_CPU_WINDOW_MS);
    long cpu_used = process_cpu_ms(f->target.pid) - cpu_before;
    assert_true(cpu_before >= 0);
    if (cpu_used > (long)(FLOOD_CPU_WINDOW_MS * FLOOD_CPU_SHARE_MAX))
        fail_msg("the target used %ld ms of CPU in %d ms at its descriptor limit", cpu_used, FLOOD_CPU_WINDOW_MS);

    for (size_t i = 0; i < FLOOD_CONNECTIONS; i++) close(clients[i]);
    raw_peer r; /* accepted and answered once the flood's descriptors are gone */
    assert_int_equal(raw_open(&r, f->target.port), 0);
    assert_int_equal(raw_negotiate_clear(&r, "/noise"), 0);
    raw_close(&r);
    char reply[HARNESS_LINE_MAX]; /* and the control client that waited is served */
    assert_int_equal(harness_send_line(&control, "id"), 0);
    assert_int_equal(harness_read_line(&control, reply, sizeof reply, harness_now_ms() + HARNESS_DEADLINE_MS), 0);
    assert_non_null(strstr(reply, f->target.id));
    close(control.fd);
    assert_target_still_serves(f, "a descriptor flood");
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(garbage_instead_of_multistream_closes_the_connection, hostile_setup,
                                        hostile_teardown),
        cmocka_unit_test_setup_teardown(garbage_instead_of_the_first_noise_message_closes_the_connection,
                                        hostile_setup, hostile_teardown),
        cmocka_unit_test_setup_teardown(a_forged_frame_after_the_handshake_closes_the_connection, hostile_setup,
                                        hostile_teardown),
        cmocka_unit_test_setup_teardown(garbage_instead_of_the_encrypted_multistream_closes_the_connection,
                                        hostile_setup, hostile_teardown),
        cmocka_unit_test_setup_teardown(a_yamux_frame_with_a_bad_version_closes_the_connection, hostile_setup,
                                        hostile_teardown),
        cmocka_unit_test_setup_teardown(a_malformed_pubsub_rpc_resets_its_stream, hostile_setup, hostile_teardown),
        cmocka_unit_test_setup_teardown(a_chunk_across_two_large_messages_delivers_both, hostile_setup,
                                        hostile_teardown),
        cmocka_unit_test_setup_teardown(idle_connections_beyond_the_descriptor_limit_do_not_make_the_loop_spin,
                                        hostile_setup_unlimited, hostile_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
