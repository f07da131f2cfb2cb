/*
 * test_noise: the Noise XX handshake against the published cacophony vector,
 * and the libp2p Noise channel end to end and under hostile input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/noise.h"
#include "base/pb.h"
#include "vectors.h"

#define VECTOR_FILE "noise-25519-chachapoly-sha256.json"
#define VECTOR_PROTOCOL "Noise_XX_25519_ChaChaPoly_SHA256"

enum {
    VECTOR_MESSAGES_MAX = 16,
    VECTOR_MESSAGE_BYTES_MAX = 1024,
    VECTOR_PROLOGUE_BYTES_MAX = 256,
    VECTOR_HANDSHAKE_MESSAGES = 3,
    TEST_WIRE_LIMIT = 1 << 20,
    TEST_PLAIN_LIMIT = 1 << 20,
    TEST_LARGE_PAYLOAD_BYTES = 3 * NOISE_PLAINTEXT_MAX + 100,
};

/* ---- the cacophony vector --------------------------------------------- */

typedef struct xx_vector {
    uint8_t prologue[VECTOR_PROLOGUE_BYTES_MAX];
    size_t prologue_len;
    uint8_t init_static[NOISE_KEY_BYTES], init_ephemeral[NOISE_KEY_BYTES];
    uint8_t resp_static[NOISE_KEY_BYTES], resp_ephemeral[NOISE_KEY_BYTES];
    uint8_t handshake_hash[NOISE_HASH_BYTES];
    size_t message_count;
    uint8_t payload[VECTOR_MESSAGES_MAX][VECTOR_MESSAGE_BYTES_MAX];
    size_t payload_len[VECTOR_MESSAGES_MAX];
    uint8_t ciphertext[VECTOR_MESSAGES_MAX][VECTOR_MESSAGE_BYTES_MAX];
    size_t ciphertext_len[VECTOR_MESSAGES_MAX];
} xx_vector;

static void hex_field(const vectors_json *object, const char *key, uint8_t *out, size_t cap,
                      size_t *len) {
    const char *hex = vectors_json_get_string(object, key);
    assert_non_null(hex);
    assert_int_equal(vectors_hex_decode(hex, out, cap, len), 0);
}

static void hex_key(const vectors_json *object, const char *key, uint8_t out[NOISE_KEY_BYTES]) {
    size_t len = 0;
    hex_field(object, key, out, NOISE_KEY_BYTES, &len);
    assert_int_equal(len, NOISE_KEY_BYTES);
}

static const vectors_json *find_xx_vector(const vectors_json *root) {
    const vectors_json *list = vectors_json_get(root, "vectors");
    assert_non_null(list);
    for (size_t i = 0; i < list->count; i++) {
        const char *name = vectors_json_get_string(vectors_json_at(list, i), "protocol_name");
        if (name != NULL && strcmp(name, VECTOR_PROTOCOL) == 0) return vectors_json_at(list, i);
    }
    return NULL;
}

static void vector_fill(xx_vector *v, const vectors_json *json) {
    hex_field(json, "init_prologue", v->prologue, sizeof v->prologue, &v->prologue_len);
    hex_key(json, "init_static", v->init_static);
    hex_key(json, "init_ephemeral", v->init_ephemeral);
    hex_key(json, "resp_static", v->resp_static);
    hex_key(json, "resp_ephemeral", v->resp_ephemeral);
    size_t len = 0;
    hex_field(json, "handshake_hash", v->handshake_hash, NOISE_HASH_BYTES, &len);
    assert_int_equal(len, NOISE_HASH_BYTES);
    const vectors_json *messages = vectors_json_get(json, "messages");
    assert_non_null(messages);
    assert_true(messages->count > VECTOR_HANDSHAKE_MESSAGES);
    assert_true(messages->count <= VECTOR_MESSAGES_MAX);
    v->message_count = messages->count;
    for (size_t i = 0; i < messages->count; i++) {
        const vectors_json *m = vectors_json_at(messages, i);
        hex_field(m, "payload", v->payload[i], VECTOR_MESSAGE_BYTES_MAX, &v->payload_len[i]);
        hex_field(m, "ciphertext", v->ciphertext[i], VECTOR_MESSAGE_BYTES_MAX,
                  &v->ciphertext_len[i]);
    }
}

/* Loads the XX vector from tests/vectors/. */
static void vector_load(xx_vector *v) {
    size_t len = 0;
    char *text = vectors_load_file(VECTOR_FILE, &len);
    if (text == NULL)
        fail_msg("cannot read %s/%s (make test runs from the repository root)", VECTORS_DIR,
                 VECTOR_FILE);
    vectors_json *root = vectors_json_parse(text, len);
    free(text);
    assert_non_null(root);
    const vectors_json *json = find_xx_vector(root);
    assert_non_null(json);
    vector_fill(v, json);
    vectors_json_free(root);
}

static xx_vector the_vector;

/* Runs the three handshake messages, checking every ciphertext byte. */
static void vector_handshake(const xx_vector *v, noise_xx *init, noise_xx *resp) {
    noise_xx_init(init, true, v->prologue, v->prologue_len, v->init_static, v->init_ephemeral);
    noise_xx_init(resp, false, v->prologue, v->prologue_len, v->resp_static, v->resp_ephemeral);
    for (size_t i = 0; i < VECTOR_HANDSHAKE_MESSAGES; i++) {
        noise_xx *sender = i % 2 == 0 ? init : resp, *receiver = i % 2 == 0 ? resp : init;
        uint8_t msg[VECTOR_MESSAGE_BYTES_MAX], payload[VECTOR_MESSAGE_BYTES_MAX];
        size_t msg_len = 0, payload_len = 0;
        assert_int_equal(
            noise_xx_write(sender, v->payload[i], v->payload_len[i], msg, sizeof msg, &msg_len), 0);
        assert_int_equal(msg_len, v->ciphertext_len[i]);
        assert_memory_equal(msg, v->ciphertext[i], msg_len);
        assert_int_equal(
            noise_xx_read(receiver, msg, msg_len, payload, sizeof payload, &payload_len), 0);
        assert_int_equal(payload_len, v->payload_len[i]);
        assert_memory_equal(payload, v->payload[i], payload_len);
    }
    assert_true(noise_xx_complete(init));
    assert_true(noise_xx_complete(resp));
}

static void test_xx_vector_handshake_messages_match(void **state) {
    (void)state;
    vector_load(&the_vector);
    noise_xx init, resp;
    vector_handshake(&the_vector, &init, &resp);
}

static void test_xx_vector_handshake_hash_matches(void **state) {
    (void)state;
    vector_load(&the_vector);
    noise_xx init, resp;
    noise_cipher init_send, init_recv, resp_send, resp_recv;
    vector_handshake(&the_vector, &init, &resp);
    noise_xx_split(&init, &init_send, &init_recv);
    noise_xx_split(&resp, &resp_send, &resp_recv);
    assert_memory_equal(init.h, the_vector.handshake_hash, NOISE_HASH_BYTES);
    assert_memory_equal(resp.h, the_vector.handshake_hash, NOISE_HASH_BYTES);
}

/* Cacophony alternates senders through the whole list: message i comes
 * from the initiator when i is even, so after XX's three messages the
 * responder speaks first. */
static void test_xx_vector_transport_messages_match(void **state) {
    (void)state;
    vector_load(&the_vector);
    const xx_vector *v = &the_vector;
    noise_xx init, resp;
    noise_cipher init_send, init_recv, resp_send, resp_recv;
    vector_handshake(v, &init, &resp);
    noise_xx_split(&init, &init_send, &init_recv);
    noise_xx_split(&resp, &resp_send, &resp_recv);
    for (size_t i = VECTOR_HANDSHAKE_MESSAGES; i < v->message_count; i++) {
        noise_cipher *send = i % 2 == 0 ? &init_send : &resp_send;
        noise_cipher *recv = i % 2 == 0 ? &resp_recv : &init_recv;
        uint8_t out[VECTOR_MESSAGE_BYTES_MAX + NOISE_TAG_BYTES], back[VECTOR_MESSAGE_BYTES_MAX];
        assert_int_equal(noise_cipher_encrypt(send, v->payload[i], v->payload_len[i], out), 0);
        assert_int_equal(v->ciphertext_len[i], v->payload_len[i] + NOISE_TAG_BYTES);
        assert_memory_equal(out, v->ciphertext[i], v->ciphertext_len[i]);
        assert_int_equal(noise_cipher_decrypt(recv, out, v->ciphertext_len[i], back), 0);
        assert_memory_equal(back, v->payload[i], v->payload_len[i]);
    }
}

/* ---- the bare handshake and cipher ------------------------------------ */

static const uint8_t key_a[NOISE_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t key_b[NOISE_KEY_BYTES] = {11, 12, 13, 14, 15, 16, 17, 18, 19};
static const uint8_t key_c[NOISE_KEY_BYTES] = {21, 22, 23, 24, 25, 26, 27, 28, 29};
static const uint8_t key_d[NOISE_KEY_BYTES] = {31, 32, 33, 34, 35, 36, 37, 38, 39};

static void test_xx_refuses_messages_out_of_turn(void **state) {
    (void)state;
    noise_xx init, resp;
    noise_xx_init(&init, true, NULL, 0, key_a, key_b);
    noise_xx_init(&resp, false, NULL, 0, key_c, key_d);
    uint8_t msg[256], payload[256];
    size_t len = 0, payload_len = 0;
    assert_int_equal(noise_xx_write(&resp, NULL, 0, msg, sizeof msg, &len), -1);
    assert_int_equal(noise_xx_write(&init, NULL, 0, msg, sizeof msg, &len), 0);
    assert_int_equal(noise_xx_read(&init, msg, len, payload, sizeof payload, &payload_len), -1);
    assert_int_equal(noise_xx_write(&init, NULL, 0, msg, sizeof msg, &len), -1);
    assert_int_equal(init.step, 1);
}

static void test_xx_rejected_message_leaves_state_unchanged(void **state) {
    (void)state;
    noise_xx init, resp, before;
    noise_xx_init(&init, true, NULL, 0, key_a, key_b);
    noise_xx_init(&resp, false, NULL, 0, key_c, key_d);
    uint8_t msg[256], payload[256];
    size_t len = 0, payload_len = 0;
    assert_int_equal(noise_xx_write(&init, NULL, 0, msg, sizeof msg, &len), 0);
    assert_int_equal(noise_xx_read(&resp, msg, len, payload, sizeof payload, &payload_len), 0);
    assert_int_equal(noise_xx_write(&resp, (const uint8_t *)"hi", 2, msg, sizeof msg, &len), 0);
    before = init;
    msg[len - 1] ^= 1;
    assert_int_equal(noise_xx_read(&init, msg, len, payload, sizeof payload, &payload_len), -1);
    assert_memory_equal(&init, &before, sizeof init);
    msg[len - 1] ^= 1;
    assert_int_equal(noise_xx_read(&init, msg, len, payload, sizeof payload, &payload_len), 0);
    assert_int_equal(payload_len, 2);
    assert_memory_equal(payload, "hi", 2);
}

static void test_xx_split_wipes_all_but_the_handshake_hash(void **state) {
    (void)state;
    noise_xx init, resp;
    noise_cipher send, recv;
    noise_xx_init(&init, true, NULL, 0, key_a, key_b);
    noise_xx_init(&resp, false, NULL, 0, key_c, key_d);
    uint8_t msg[256], payload[256], zero[NOISE_KEY_BYTES] = {0};
    size_t len = 0, payload_len = 0;
    for (int i = 0; i < VECTOR_HANDSHAKE_MESSAGES; i++) {
        noise_xx *from = i % 2 == 0 ? &init : &resp, *to = i % 2 == 0 ? &resp : &init;
        assert_int_equal(noise_xx_write(from, NULL, 0, msg, sizeof msg, &len), 0);
        assert_int_equal(noise_xx_read(to, msg, len, payload, sizeof payload, &payload_len), 0);
    }
    uint8_t h[NOISE_HASH_BYTES];
    memcpy(h, init.h, sizeof h);
    noise_xx_split(&init, &send, &recv);
    assert_memory_equal(init.h, h, sizeof h);
    assert_memory_equal(init.ck, zero, NOISE_KEY_BYTES);
    assert_memory_equal(init.s_secret, zero, NOISE_KEY_BYTES);
    assert_memory_equal(init.e_secret, zero, NOISE_KEY_BYTES);
    assert_memory_equal(init.cipher.key, zero, NOISE_KEY_BYTES);
    assert_true(send.has_key && recv.has_key);
    assert_memory_not_equal(send.key, recv.key, NOISE_KEY_BYTES);
}

static void test_cipher_nonce_is_zero_bytes_then_little_endian_counter(void **state) {
    (void)state;
    noise_cipher c = {.nonce = 0x0102030405060708u, .has_key = true};
    memcpy(c.key, key_a, NOISE_KEY_BYTES);
    uint8_t out[3 + NOISE_TAG_BYTES], expected[3 + NOISE_TAG_BYTES];
    const uint8_t nonce[12] = {0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
    crypto_aead_chacha20poly1305_ietf_encrypt(expected, NULL, (const uint8_t *)"abc", 3, NULL, 0,
                                              NULL, nonce, key_a);
    assert_int_equal(noise_cipher_encrypt(&c, (const uint8_t *)"abc", 3, out), 0);
    assert_memory_equal(out, expected, sizeof out);
    assert_true(c.nonce == 0x0102030405060709u);
}

static void test_cipher_refuses_the_reserved_last_nonce(void **state) {
    (void)state;
    noise_cipher c = {.nonce = UINT64_MAX - 1, .has_key = true};
    uint8_t out[1 + NOISE_TAG_BYTES];
    assert_int_equal(noise_cipher_encrypt(&c, (const uint8_t *)"x", 1, out), 0);
    assert_int_equal(noise_cipher_encrypt(&c, (const uint8_t *)"x", 1, out), -1);
    assert_true(c.nonce == UINT64_MAX);
}

static void test_cipher_failed_decrypt_keeps_the_nonce(void **state) {
    (void)state;
    noise_cipher a = {.has_key = true}, b = {.has_key = true};
    memcpy(a.key, key_b, NOISE_KEY_BYTES);
    memcpy(b.key, key_b, NOISE_KEY_BYTES);
    uint8_t frame[4 + NOISE_TAG_BYTES], back[4];
    assert_int_equal(noise_cipher_encrypt(&a, (const uint8_t *)"data", 4, frame), 0);
    frame[0] ^= 0x80;
    assert_int_equal(noise_cipher_decrypt(&b, frame, sizeof frame, back), -1);
    assert_true(b.nonce == 0);
    frame[0] ^= 0x80;
    assert_int_equal(noise_cipher_decrypt(&b, frame, sizeof frame, back), 0);
    assert_memory_equal(back, "data", 4);
    assert_int_equal(noise_cipher_decrypt(&b, frame, NOISE_TAG_BYTES - 1, back), -1);
}

/* ---- the libp2p channel ----------------------------------------------- */

typedef struct peer {
    identity id;
    uint8_t static_secret[NOISE_KEY_BYTES];
    noise_channel ch;
    buf out;   /* what it wrote to the wire */
    buf plain; /* what it decrypted */
} peer;

typedef struct pair {
    peer init, resp;
} pair;

static void peer_init(peer *p, bool initiator, uint8_t tag) {
    uint8_t seed[IDENTITY_SEED_BYTES], ephemeral[NOISE_KEY_BYTES];
    memset(seed, tag, sizeof seed);
    memset(p->static_secret, tag ^ 0x5a, sizeof p->static_secret);
    memset(ephemeral, tag ^ 0xa5, sizeof ephemeral);
    identity_from_seed(&p->id, seed);
    noise_channel_init(&p->ch, initiator, &p->id, p->static_secret, ephemeral);
    buf_init(&p->out, TEST_WIRE_LIMIT);
    buf_init(&p->plain, TEST_PLAIN_LIMIT);
}

static int pair_setup(void **state) {
    pair *p = calloc(1, sizeof *p);
    if (p == NULL) return -1;
    peer_init(&p->init, true, 0x11);
    peer_init(&p->resp, false, 0x22);
    *state = p;
    return 0;
}

static int pair_teardown(void **state) {
    pair *p = *state;
    peer *peers[] = {&p->init, &p->resp};
    for (size_t i = 0; i < 2; i++) {
        noise_channel_free(&peers[i]->ch);
        buf_free(&peers[i]->out);
        buf_free(&peers[i]->plain);
    }
    free(p);
    return 0;
}

/* Hands everything `from` wrote to `to` in one chunk. */
static int deliver(peer *from, peer *to) {
    int rc = noise_channel_feed(&to->ch, from->out.data, from->out.len, &to->out, &to->plain);
    buf_clear(&from->out);
    return rc;
}

static int deliver_bytewise(peer *from, peer *to) {
    int rc = 0;
    for (size_t i = 0; i < from->out.len && rc == 0; i++)
        rc = noise_channel_feed(&to->ch, from->out.data + i, 1, &to->out, &to->plain);
    buf_clear(&from->out);
    return rc;
}

static void handshake(pair *p) {
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), 0);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
    assert_int_equal(deliver(&p->resp, &p->init), 0);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
}

static void assert_knows(const peer *who, const peer *other) {
    peer_id expected;
    peer_id_from_public_key(other->id.public_key, &expected);
    assert_true(who->ch.remote_known);
    assert_true(peer_id_equal(&who->ch.remote, &expected));
    assert_memory_equal(who->ch.remote_public_key, other->id.public_key, IDENTITY_PUBLIC_KEY_BYTES);
}

static void test_channel_handshake_opens_and_learns_peer_ids(void **state) {
    pair *p = *state;
    handshake(p);
    assert_int_equal(p->init.ch.state, NOISE_CHANNEL_OPEN);
    assert_int_equal(p->resp.ch.state, NOISE_CHANNEL_OPEN);
    assert_knows(&p->init, &p->resp);
    assert_knows(&p->resp, &p->init);
    assert_memory_equal(p->init.ch.hs.h, p->resp.ch.hs.h, NOISE_HASH_BYTES);
}

static void test_channel_handshake_frames_have_expected_sizes(void **state) {
    pair *p = *state;
    assert_int_equal(noise_channel_start(&p->resp.ch, &p->resp.out), 0);
    assert_int_equal(p->resp.out.len, 0);
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), 0);
    /* message 1: the bare ephemeral key, behind a big-endian length */
    assert_int_equal(p->init.out.len, NOISE_FRAME_HEADER_BYTES + NOISE_KEY_BYTES);
    assert_int_equal(p->init.out.data[0], 0);
    assert_int_equal(p->init.out.data[1], NOISE_KEY_BYTES);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
    /* message 2: e, encrypted s, encrypted payload (key and signature fields) */
    size_t payload_len = 2 + IDENTITY_PUBLIC_PROTO_BYTES + 2 + IDENTITY_SIGNATURE_BYTES;
    size_t len2 =
        NOISE_KEY_BYTES + NOISE_KEY_BYTES + NOISE_TAG_BYTES + payload_len + NOISE_TAG_BYTES;
    assert_int_equal(p->resp.out.len, NOISE_FRAME_HEADER_BYTES + len2);
    assert_int_equal(p->resp.out.data[1], len2);
}

static void test_channel_carries_bytes_both_ways(void **state) {
    pair *p = *state;
    handshake(p);
    assert_int_equal(noise_channel_send(&p->init.ch, (const uint8_t *)"ping", 4, &p->init.out), 0);
    assert_int_equal(p->init.out.len, NOISE_FRAME_HEADER_BYTES + 4 + NOISE_TAG_BYTES);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
    assert_int_equal(p->resp.plain.len, 4);
    assert_memory_equal(p->resp.plain.data, "ping", 4);
    assert_int_equal(noise_channel_send(&p->resp.ch, (const uint8_t *)"pong!", 5, &p->resp.out), 0);
    assert_int_equal(deliver(&p->resp, &p->init), 0);
    assert_int_equal(p->init.plain.len, 5);
    assert_memory_equal(p->init.plain.data, "pong!", 5);
}

static void test_channel_splits_large_payload_into_frames(void **state) {
    pair *p = *state;
    handshake(p);
    uint8_t *data = malloc(TEST_LARGE_PAYLOAD_BYTES);
    assert_non_null(data);
    for (size_t i = 0; i < TEST_LARGE_PAYLOAD_BYTES; i++) data[i] = (uint8_t)(i * 7 + i / 251);
    assert_int_equal(noise_channel_send(&p->init.ch, data, TEST_LARGE_PAYLOAD_BYTES, &p->init.out),
                     0);
    const size_t expected[] = {NOISE_MESSAGE_MAX, NOISE_MESSAGE_MAX, NOISE_MESSAGE_MAX,
                               100 + NOISE_TAG_BYTES};
    size_t pos = 0;
    for (size_t i = 0; i < 4; i++) {
        size_t frame_len = (size_t)p->init.out.data[pos] << 8 | p->init.out.data[pos + 1];
        assert_int_equal(frame_len, expected[i]);
        pos += NOISE_FRAME_HEADER_BYTES + frame_len;
    }
    assert_int_equal(pos, p->init.out.len);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
    assert_int_equal(p->resp.plain.len, TEST_LARGE_PAYLOAD_BYTES);
    assert_memory_equal(p->resp.plain.data, data, TEST_LARGE_PAYLOAD_BYTES);
    free(data);
}

static void test_channel_works_when_fed_byte_by_byte(void **state) {
    pair *p = *state;
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), 0);
    assert_int_equal(deliver_bytewise(&p->init, &p->resp), 0);
    assert_int_equal(deliver_bytewise(&p->resp, &p->init), 0);
    assert_int_equal(deliver_bytewise(&p->init, &p->resp), 0);
    assert_int_equal(p->resp.ch.state, NOISE_CHANNEL_OPEN);
    assert_int_equal(noise_channel_send(&p->resp.ch, (const uint8_t *)"slowly", 6, &p->resp.out),
                     0);
    assert_int_equal(deliver_bytewise(&p->resp, &p->init), 0);
    assert_int_equal(p->init.plain.len, 6);
    assert_memory_equal(p->init.plain.data, "slowly", 6);
}

/* The initiator may send data right behind message 3 (spec: XX). */
static void test_channel_decrypts_frame_in_same_chunk_as_final_message(void **state) {
    pair *p = *state;
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), 0);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
    assert_int_equal(deliver(&p->resp, &p->init), 0);
    assert_int_equal(p->init.ch.state, NOISE_CHANNEL_OPEN);
    assert_int_equal(noise_channel_send(&p->init.ch, (const uint8_t *)"early", 5, &p->init.out), 0);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
    assert_int_equal(p->resp.ch.state, NOISE_CHANNEL_OPEN);
    assert_int_equal(p->resp.plain.len, 5);
    assert_memory_equal(p->resp.plain.data, "early", 5);
}

static void test_channel_send_before_open_fails(void **state) {
    pair *p = *state;
    assert_int_equal(noise_channel_send(&p->init.ch, (const uint8_t *)"x", 1, &p->init.out), -1);
    assert_int_equal(p->init.ch.state, NOISE_CHANNEL_FAILED);
    assert_non_null(p->init.ch.error);
    assert_int_equal(p->init.out.len, 0);
}

static void test_channel_send_that_does_not_fit_writes_nothing(void **state) {
    pair *p = *state;
    handshake(p);
    buf small;
    buf_init(&small, 16 + NOISE_FRAME_HEADER_BYTES + NOISE_TAG_BYTES);
    assert_int_equal(
        noise_channel_send(&p->init.ch, (const uint8_t *)"0123456789abcdefg", 17, &small), -1);
    assert_int_equal(small.len, 0);
    assert_int_equal(p->init.ch.state, NOISE_CHANNEL_FAILED);
    buf_free(&small);
}

/* Flips one byte of the framed message waiting in from->out, then delivers it. */
static int deliver_corrupted(peer *from, peer *to, size_t offset) {
    assert_true(offset < from->out.len);
    from->out.data[offset] ^= 0x01;
    return deliver(from, to);
}

/* Message 1 is in the clear; a changed ephemeral key surfaces when the
 * initiator cannot decrypt the reply. */
static void test_channel_corrupted_message1_fails_initiator(void **state) {
    pair *p = *state;
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), 0);
    assert_int_equal(deliver_corrupted(&p->init, &p->resp, NOISE_FRAME_HEADER_BYTES + 5), 0);
    assert_int_equal(deliver(&p->resp, &p->init), -1);
    assert_int_equal(p->init.ch.state, NOISE_CHANNEL_FAILED);
    assert_string_equal(p->init.ch.error, "handshake message rejected");
    assert_false(p->init.ch.remote_known);
}

static void test_channel_corrupted_message2_fails_initiator_at_every_byte(void **state) {
    pair *p = *state;
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), 0);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
    buf message2 = p->resp.out;
    for (size_t offset = NOISE_FRAME_HEADER_BYTES; offset < message2.len; offset++) {
        pair *q = NULL;
        assert_int_equal(pair_setup((void **)&q), 0);
        assert_int_equal(noise_channel_start(&q->init.ch, &q->init.out), 0);
        buf_clear(&q->init.out);
        assert_int_equal(buf_append(&q->resp.out, message2.data, message2.len), 0);
        assert_int_equal(deliver_corrupted(&q->resp, &q->init, offset), -1);
        assert_int_equal(q->init.ch.state, NOISE_CHANNEL_FAILED);
        assert_int_equal(q->init.out.len, 0);
        assert_int_equal(pair_teardown((void **)&q), 0);
    }
}

static void test_channel_corrupted_message3_fails_responder_at_every_byte(void **state) {
    pair *p = *state;
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), 0);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
    assert_int_equal(deliver(&p->resp, &p->init), 0);
    buf message3 = p->init.out;
    for (size_t offset = NOISE_FRAME_HEADER_BYTES; offset < message3.len; offset++) {
        pair *q = NULL;
        assert_int_equal(pair_setup((void **)&q), 0);
        assert_int_equal(noise_channel_start(&q->init.ch, &q->init.out), 0);
        assert_int_equal(deliver(&q->init, &q->resp), 0);
        buf_clear(&q->init.out);
        assert_int_equal(buf_append(&q->init.out, message3.data, message3.len), 0);
        assert_int_equal(deliver_corrupted(&q->init, &q->resp, offset), -1);
        assert_int_equal(q->resp.ch.state, NOISE_CHANNEL_FAILED);
        assert_false(q->resp.ch.remote_known);
        assert_int_equal(pair_teardown((void **)&q), 0);
    }
}

/* A responder built from the bare handshake, so that tests can put any
 * payload in message 2. */
static void forge_message2(pair *p, const uint8_t *payload, size_t len) {
    uint8_t ephemeral[NOISE_KEY_BYTES], msg[1024], ignored[64];
    size_t msg_len = 0, ignored_len = 0;
    memset(ephemeral, 0x77, sizeof ephemeral);
    noise_xx resp;
    noise_xx_init(&resp, false, NULL, 0, p->resp.static_secret, ephemeral);
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), 0);
    assert_int_equal(noise_xx_read(&resp, p->init.out.data + NOISE_FRAME_HEADER_BYTES,
                                   p->init.out.len - NOISE_FRAME_HEADER_BYTES, ignored,
                                   sizeof ignored, &ignored_len),
                     0);
    buf_clear(&p->init.out);
    assert_int_equal(noise_xx_write(&resp, payload, len, msg + 2, sizeof msg - 2, &msg_len), 0);
    msg[0] = (uint8_t)(msg_len >> 8);
    msg[1] = (uint8_t)msg_len;
    assert_int_equal(buf_append(&p->resp.out, msg, msg_len + 2), 0);
    noise_xx_wipe(&resp);
}

/* The static public key the forged responder uses. */
static void resp_static_public(const pair *p, uint8_t out[NOISE_KEY_BYTES]) {
    crypto_scalarmult_base(out, p->resp.static_secret);
}

static size_t build_payload(const uint8_t *key_proto, size_t key_len, const identity *signer,
                            const uint8_t static_public[NOISE_KEY_BYTES], uint8_t *out,
                            size_t cap) {
    uint8_t signed_bytes[64], signature[IDENTITY_SIGNATURE_BYTES];
    size_t prefix = strlen(NOISE_SIGNATURE_PREFIX);
    memcpy(signed_bytes, NOISE_SIGNATURE_PREFIX, prefix);
    memcpy(signed_bytes + prefix, static_public, NOISE_KEY_BYTES);
    identity_sign(signer, signed_bytes, prefix + NOISE_KEY_BYTES, signature);
    pb_writer w;
    pb_writer_init(&w, out, cap);
    if (key_proto != NULL) pb_write_bytes_field(&w, 1, key_proto, key_len);
    pb_write_bytes_field(&w, 2, signature, sizeof signature);
    assert_true(pb_writer_ok(&w));
    return w.len;
}

static void test_channel_accepts_forged_responder_with_honest_payload(void **state) {
    pair *p = *state;
    uint8_t key_proto[IDENTITY_PUBLIC_PROTO_BYTES], s_public[NOISE_KEY_BYTES], payload[256];
    identity_public_proto_encode(p->resp.id.public_key, key_proto);
    resp_static_public(p, s_public);
    size_t len =
        build_payload(key_proto, sizeof key_proto, &p->resp.id, s_public, payload, sizeof payload);
    forge_message2(p, payload, len);
    assert_int_equal(deliver(&p->resp, &p->init), 0);
    assert_int_equal(p->init.ch.state, NOISE_CHANNEL_OPEN);
    assert_knows(&p->init, &p->resp);
}

static void expect_message2_refused(pair *p, const uint8_t *payload, size_t len,
                                    const char *error) {
    forge_message2(p, payload, len);
    assert_int_equal(deliver(&p->resp, &p->init), -1);
    assert_int_equal(p->init.ch.state, NOISE_CHANNEL_FAILED);
    assert_string_equal(p->init.ch.error, error);
    assert_false(p->init.ch.remote_known);
    assert_int_equal(p->init.out.len, 0);
}

static void test_channel_rejects_signature_by_another_identity(void **state) {
    pair *p = *state;
    uint8_t key_proto[IDENTITY_PUBLIC_PROTO_BYTES], s_public[NOISE_KEY_BYTES], payload[256];
    identity_public_proto_encode(p->resp.id.public_key, key_proto);
    resp_static_public(p, s_public);
    size_t len =
        build_payload(key_proto, sizeof key_proto, &p->init.id, s_public, payload, sizeof payload);
    expect_message2_refused(p, payload, len, "bad identity signature");
}

static void test_channel_rejects_signature_over_another_static_key(void **state) {
    pair *p = *state;
    uint8_t key_proto[IDENTITY_PUBLIC_PROTO_BYTES], other[NOISE_KEY_BYTES], payload[256];
    identity_public_proto_encode(p->resp.id.public_key, key_proto);
    crypto_scalarmult_base(other, key_a);
    size_t len =
        build_payload(key_proto, sizeof key_proto, &p->resp.id, other, payload, sizeof payload);
    expect_message2_refused(p, payload, len, "bad identity signature");
}

static void test_channel_rejects_identity_key_of_another_type(void **state) {
    pair *p = *state;
    uint8_t secp_key[33], key_proto[64], s_public[NOISE_KEY_BYTES], payload[256];
    memset(secp_key, 0x02, sizeof secp_key);
    pb_writer w;
    pb_writer_init(&w, key_proto, sizeof key_proto);
    pb_write_varint_field(&w, 1, KEY_TYPE_SECP256K1);
    pb_write_bytes_field(&w, 2, secp_key, sizeof secp_key);
    resp_static_public(p, s_public);
    size_t len = build_payload(key_proto, w.len, &p->resp.id, s_public, payload, sizeof payload);
    expect_message2_refused(p, payload, len, "unsupported identity key");
}

static void test_channel_rejects_payload_without_signature(void **state) {
    pair *p = *state;
    uint8_t key_proto[IDENTITY_PUBLIC_PROTO_BYTES], payload[256];
    identity_public_proto_encode(p->resp.id.public_key, key_proto);
    pb_writer w;
    pb_writer_init(&w, payload, sizeof payload);
    pb_write_bytes_field(&w, 1, key_proto, sizeof key_proto);
    expect_message2_refused(p, payload, w.len, "handshake payload without identity signature");
}

static void test_channel_rejects_payload_without_identity_key(void **state) {
    pair *p = *state;
    uint8_t s_public[NOISE_KEY_BYTES], payload[256];
    resp_static_public(p, s_public);
    size_t len = build_payload(NULL, 0, &p->resp.id, s_public, payload, sizeof payload);
    expect_message2_refused(p, payload, len, "handshake payload without identity key");
}

static void test_channel_rejects_malformed_payload(void **state) {
    pair *p = *state;
    const uint8_t payload[] = {0x0a, 0x40, 0x08}; /* field 1 claims 64 bytes, has 1 */
    expect_message2_refused(p, payload, sizeof payload, "malformed handshake payload");
}

/* go-libp2p sends NoiseExtensions (field 4) and older peers data (3). */
static void test_channel_tolerates_unknown_payload_fields(void **state) {
    pair *p = *state;
    uint8_t key_proto[IDENTITY_PUBLIC_PROTO_BYTES], s_public[NOISE_KEY_BYTES], payload[512];
    uint8_t extensions[64];
    identity_public_proto_encode(p->resp.id.public_key, key_proto);
    resp_static_public(p, s_public);
    size_t len =
        build_payload(key_proto, sizeof key_proto, &p->resp.id, s_public, payload, sizeof payload);
    pb_writer ext;
    pb_writer_init(&ext, extensions, sizeof extensions);
    pb_write_string_field(&ext, 2, "/yamux/1.0.0");
    pb_writer w;
    pb_writer_init(&w, payload + len, sizeof payload - len);
    pb_write_bytes_field(&w, 3, (const uint8_t *)"early", 5);
    pb_write_bytes_field(&w, 4, extensions, ext.len);
    pb_write_varint_field(&w, 9, 12345);
    assert_true(pb_writer_ok(&w));
    forge_message2(p, payload, len + w.len);
    assert_int_equal(deliver(&p->resp, &p->init), 0);
    assert_int_equal(p->init.ch.state, NOISE_CHANNEL_OPEN);
    assert_knows(&p->init, &p->resp);
}

/* An all-zero ephemeral key makes every DH output zero: refused. */
static void test_channel_rejects_low_order_ephemeral_key(void **state) {
    pair *p = *state;
    uint8_t frame[NOISE_FRAME_HEADER_BYTES + NOISE_KEY_BYTES] = {0, NOISE_KEY_BYTES};
    assert_int_equal(
        noise_channel_feed(&p->resp.ch, frame, sizeof frame, &p->resp.out, &p->resp.plain), -1);
    assert_int_equal(p->resp.ch.state, NOISE_CHANNEL_FAILED);
    assert_int_equal(p->resp.out.len, 0);
}

static void test_channel_rejects_truncated_message1(void **state) {
    pair *p = *state;
    uint8_t frame[NOISE_FRAME_HEADER_BYTES + 31] = {0, 31, 9};
    assert_int_equal(
        noise_channel_feed(&p->resp.ch, frame, sizeof frame, &p->resp.out, &p->resp.plain), -1);
    assert_string_equal(p->resp.ch.error, "handshake message rejected");
}

static void test_channel_buffers_a_partial_maximum_length_frame(void **state) {
    pair *p = *state;
    handshake(p);
    uint8_t *frame = calloc(1, NOISE_FRAME_HEADER_BYTES + NOISE_MESSAGE_MAX);
    assert_non_null(frame);
    frame[0] = 0xff;
    frame[1] = 0xff;
    size_t half = (NOISE_FRAME_HEADER_BYTES + NOISE_MESSAGE_MAX) / 2;
    assert_int_equal(noise_channel_feed(&p->resp.ch, frame, half, &p->resp.out, &p->resp.plain), 0);
    assert_int_equal(p->resp.ch.state, NOISE_CHANNEL_OPEN);
    assert_int_equal(p->resp.ch.inbound.len, half);
    assert_true(p->resp.ch.inbound.limit <= NOISE_FRAME_HEADER_BYTES + NOISE_MESSAGE_MAX);
    /* the rest completes a 65535-byte frame of zeros: a forgery */
    assert_int_equal(noise_channel_feed(&p->resp.ch, frame + half,
                                        NOISE_FRAME_HEADER_BYTES + NOISE_MESSAGE_MAX - half,
                                        &p->resp.out, &p->resp.plain),
                     -1);
    assert_string_equal(p->resp.ch.error, "transport frame rejected");
    free(frame);
}

static void test_channel_accepts_a_maximum_length_frame(void **state) {
    pair *p = *state;
    handshake(p);
    uint8_t *data = calloc(1, NOISE_PLAINTEXT_MAX);
    assert_non_null(data);
    data[NOISE_PLAINTEXT_MAX - 1] = 0x42;
    assert_int_equal(noise_channel_send(&p->init.ch, data, NOISE_PLAINTEXT_MAX, &p->init.out), 0);
    assert_int_equal(p->init.out.len, NOISE_FRAME_HEADER_BYTES + NOISE_MESSAGE_MAX);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
    assert_int_equal(p->resp.plain.len, NOISE_PLAINTEXT_MAX);
    assert_int_equal(p->resp.plain.data[NOISE_PLAINTEXT_MAX - 1], 0x42);
    free(data);
}

static void test_channel_rejects_frame_shorter_than_a_tag(void **state) {
    pair *p = *state;
    handshake(p);
    const uint8_t frame[] = {0, 5, 1, 2, 3, 4, 5};
    assert_int_equal(
        noise_channel_feed(&p->resp.ch, frame, sizeof frame, &p->resp.out, &p->resp.plain), -1);
    assert_int_equal(p->resp.ch.state, NOISE_CHANNEL_FAILED);
}

static void test_channel_rejects_corrupted_transport_frame(void **state) {
    pair *p = *state;
    handshake(p);
    assert_int_equal(noise_channel_send(&p->init.ch, (const uint8_t *)"secret", 6, &p->init.out),
                     0);
    assert_int_equal(deliver_corrupted(&p->init, &p->resp, NOISE_FRAME_HEADER_BYTES + 2), -1);
    assert_string_equal(p->resp.ch.error, "transport frame rejected");
    assert_int_equal(p->resp.plain.len, 0);
}

static void test_channel_rejects_replayed_transport_frame(void **state) {
    pair *p = *state;
    handshake(p);
    assert_int_equal(noise_channel_send(&p->init.ch, (const uint8_t *)"once", 4, &p->init.out), 0);
    buf copy = p->init.out;
    assert_int_equal(
        noise_channel_feed(&p->resp.ch, copy.data, copy.len, &p->resp.out, &p->resp.plain), 0);
    assert_int_equal(
        noise_channel_feed(&p->resp.ch, copy.data, copy.len, &p->resp.out, &p->resp.plain), -1);
    assert_int_equal(p->resp.plain.len, 4);
}

static void test_channel_ignores_input_after_failure(void **state) {
    pair *p = *state;
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), 0);
    buf message1 = p->init.out;
    const uint8_t junk[] = {0, 1, 0};
    assert_int_equal(
        noise_channel_feed(&p->resp.ch, junk, sizeof junk, &p->resp.out, &p->resp.plain), -1);
    const char *error = p->resp.ch.error;
    assert_int_equal(
        noise_channel_feed(&p->resp.ch, message1.data, message1.len, &p->resp.out, &p->resp.plain),
        -1);
    assert_int_equal(p->resp.out.len, 0);
    assert_ptr_equal(p->resp.ch.error, error);
    assert_int_equal(noise_channel_send(&p->resp.ch, (const uint8_t *)"x", 1, &p->resp.out), -1);
    assert_int_equal(noise_channel_start(&p->resp.ch, &p->resp.out), -1);
}

static void test_channel_start_twice_fails(void **state) {
    pair *p = *state;
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), 0);
    size_t len = p->init.out.len;
    assert_int_equal(noise_channel_start(&p->init.ch, &p->init.out), -1);
    assert_int_equal(p->init.out.len, len);
}

static bool all_zero(const void *bytes, size_t len) {
    const uint8_t *b = bytes;
    for (size_t i = 0; i < len; i++)
        if (b[i] != 0) return false;
    return true;
}

static void test_channel_open_holds_no_handshake_secrets(void **state) {
    pair *p = *state;
    handshake(p);
    assert_true(all_zero(p->resp.ch.hs.s_secret, NOISE_KEY_BYTES));
    assert_true(all_zero(p->resp.ch.hs.e_secret, NOISE_KEY_BYTES));
    assert_true(all_zero(p->resp.ch.hs.ck, NOISE_HASH_BYTES));
    assert_true(all_zero(&p->resp.ch.hs.cipher, sizeof p->resp.ch.hs.cipher));
}

static void test_channel_free_wipes_every_byte(void **state) {
    pair *p = *state;
    handshake(p);
    assert_int_equal(noise_channel_send(&p->init.ch, (const uint8_t *)"bye", 3, &p->init.out), 0);
    assert_int_equal(deliver(&p->init, &p->resp), 0);
    assert_false(all_zero(p->init.ch.send.key, NOISE_KEY_BYTES));
    noise_channel_free(&p->init.ch);
    noise_channel_free(&p->resp.ch);
    assert_true(all_zero(&p->init.ch, sizeof p->init.ch));
    assert_true(all_zero(&p->resp.ch, sizeof p->resp.ch));
}

static void test_channel_failure_wipes_keys(void **state) {
    pair *p = *state;
    handshake(p);
    const uint8_t frame[] = {0, 5, 1, 2, 3, 4, 5};
    assert_int_equal(
        noise_channel_feed(&p->resp.ch, frame, sizeof frame, &p->resp.out, &p->resp.plain), -1);
    assert_true(all_zero(&p->resp.ch.send, sizeof p->resp.ch.send));
    assert_true(all_zero(&p->resp.ch.recv, sizeof p->resp.ch.recv));
    assert_true(all_zero(&p->resp.ch.hs, sizeof p->resp.ch.hs));
}

#define CHANNEL_TEST(name) cmocka_unit_test_setup_teardown(name, pair_setup, pair_teardown)

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xx_vector_handshake_messages_match),
        cmocka_unit_test(test_xx_vector_handshake_hash_matches),
        cmocka_unit_test(test_xx_vector_transport_messages_match),
        cmocka_unit_test(test_xx_refuses_messages_out_of_turn),
        cmocka_unit_test(test_xx_rejected_message_leaves_state_unchanged),
        cmocka_unit_test(test_xx_split_wipes_all_but_the_handshake_hash),
        cmocka_unit_test(test_cipher_nonce_is_zero_bytes_then_little_endian_counter),
        cmocka_unit_test(test_cipher_refuses_the_reserved_last_nonce),
        cmocka_unit_test(test_cipher_failed_decrypt_keeps_the_nonce),
        CHANNEL_TEST(test_channel_handshake_opens_and_learns_peer_ids),
        CHANNEL_TEST(test_channel_handshake_frames_have_expected_sizes),
        CHANNEL_TEST(test_channel_carries_bytes_both_ways),
        CHANNEL_TEST(test_channel_splits_large_payload_into_frames),
        CHANNEL_TEST(test_channel_works_when_fed_byte_by_byte),
        CHANNEL_TEST(test_channel_decrypts_frame_in_same_chunk_as_final_message),
        CHANNEL_TEST(test_channel_send_before_open_fails),
        CHANNEL_TEST(test_channel_send_that_does_not_fit_writes_nothing),
        CHANNEL_TEST(test_channel_corrupted_message1_fails_initiator),
        CHANNEL_TEST(test_channel_corrupted_message2_fails_initiator_at_every_byte),
        CHANNEL_TEST(test_channel_corrupted_message3_fails_responder_at_every_byte),
        CHANNEL_TEST(test_channel_accepts_forged_responder_with_honest_payload),
        CHANNEL_TEST(test_channel_rejects_signature_by_another_identity),
        CHANNEL_TEST(test_channel_rejects_signature_over_another_static_key),
        CHANNEL_TEST(test_channel_rejects_identity_key_of_another_type),
        CHANNEL_TEST(test_channel_rejects_payload_without_signature),
        CHANNEL_TEST(test_channel_rejects_payload_without_identity_key),
        CHANNEL_TEST(test_channel_rejects_malformed_payload),
        CHANNEL_TEST(test_channel_tolerates_unknown_payload_fields),
        CHANNEL_TEST(test_channel_rejects_low_order_ephemeral_key),
        CHANNEL_TEST(test_channel_rejects_truncated_message1),
        CHANNEL_TEST(test_channel_buffers_a_partial_maximum_length_frame),
        CHANNEL_TEST(test_channel_accepts_a_maximum_length_frame),
        CHANNEL_TEST(test_channel_rejects_frame_shorter_than_a_tag),
        CHANNEL_TEST(test_channel_rejects_corrupted_transport_frame),
        CHANNEL_TEST(test_channel_rejects_replayed_transport_frame),
        CHANNEL_TEST(test_channel_ignores_input_after_failure),
        CHANNEL_TEST(test_channel_start_twice_fails),
        CHANNEL_TEST(test_channel_open_holds_no_handshake_secrets),
        CHANNEL_TEST(test_channel_free_wipes_every_byte),
        CHANNEL_TEST(test_channel_failure_wipes_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
