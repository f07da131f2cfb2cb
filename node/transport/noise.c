/*
 * noise: Noise_XX_25519_ChaChaPoly_SHA256 (noiseprotocol.org rev 34) and the
 * libp2p secure channel over it (libp2p/specs noise/README.md). See noise.h.
 *
 * The handshake is written once, as the three token lists of the XX pattern
 * run by a small interpreter, so that writing and reading a message cannot
 * drift apart. noise_xx_write and noise_xx_read work on a copy of the state
 * and commit it only on success: a rejected message leaves no partial state.
 */
#include "noise.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

#include "base/pb.h"

/* Exactly HASHLEN bytes long, so h starts as the name itself (spec 5.2). */
#define NOISE_PROTOCOL_NAME "Noise_XX_25519_ChaChaPoly_SHA256"
#define NOISE_SIGNATURE_PREFIX_BYTES (sizeof NOISE_SIGNATURE_PREFIX - 1)

enum {
    NOISE_NONCE_BYTES = 12,
    NOISE_NONCE_COUNTER_OFFSET = 4, /* 4 zero bytes, then the 64-bit counter */
    NOISE_HANDSHAKE_MESSAGES = 3,
    NOISE_TOKENS_MAX = 5,
    NOISE_PAYLOAD_FIELD_KEY = 1,
    NOISE_PAYLOAD_FIELD_SIGNATURE = 2,
    /* Our own payload: two length-delimited fields with one-byte headers. */
    NOISE_OWN_PAYLOAD_BYTES = 2 + IDENTITY_PUBLIC_PROTO_BYTES + 2 + IDENTITY_SIGNATURE_BYTES,
    /* The largest handshake message we write: message 2 with our payload. */
    NOISE_HANDSHAKE_FRAME_MAX = NOISE_FRAME_HEADER_BYTES + 2 * NOISE_KEY_BYTES +
                                2 * NOISE_TAG_BYTES + NOISE_OWN_PAYLOAD_BYTES,
    NOISE_FRAME_MAX = NOISE_FRAME_HEADER_BYTES + NOISE_MESSAGE_MAX,
};

/* The nonce 2^64-1 is reserved (spec 5.1), so it is never used. */
#define NOISE_NONCE_MAX UINT64_MAX

_Static_assert(sizeof NOISE_PROTOCOL_NAME - 1 == NOISE_HASH_BYTES, "name is HASHLEN bytes");
_Static_assert(NOISE_MESSAGE_MAX <= 0xffff, "frame length fits two bytes");

typedef enum noise_token {
    NOISE_TOKEN_END = 0,
    NOISE_TOKEN_E,
    NOISE_TOKEN_S,
    NOISE_TOKEN_EE,
    NOISE_TOKEN_ES,
    NOISE_TOKEN_SE,
} noise_token;

/* XX:  -> e   <- e, ee, s, es   -> s, se */
static const noise_token noise_xx_pattern[NOISE_HANDSHAKE_MESSAGES][NOISE_TOKENS_MAX] = {
    {NOISE_TOKEN_E, NOISE_TOKEN_END},
    {NOISE_TOKEN_E, NOISE_TOKEN_EE, NOISE_TOKEN_S, NOISE_TOKEN_ES, NOISE_TOKEN_END},
    {NOISE_TOKEN_S, NOISE_TOKEN_SE, NOISE_TOKEN_END},
};

/* ---- hash, HKDF and the cipher ---------------------------------------- */

static void noise_mix_hash(noise_xx *hs, const uint8_t *data, size_t len) {
    assert(hs != NULL);
    assert(data != NULL || len == 0);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    crypto_hash_sha256_update(&state, hs->h, NOISE_HASH_BYTES);
    crypto_hash_sha256_update(&state, data, len);
    crypto_hash_sha256_final(&state, hs->h);
}

/* HMAC-SHA256 over a || b; HKDF's keys (ck and its temp key) are HASHLEN. */
static void noise_hmac(const uint8_t key[NOISE_HASH_BYTES], const uint8_t *a, size_t a_len,
                       const uint8_t *b, size_t b_len, uint8_t out[NOISE_HASH_BYTES]) {
    assert(key != NULL && out != NULL);
    assert(a != NULL || a_len == 0);
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key, NOISE_HASH_BYTES);
    crypto_auth_hmacsha256_update(&state, a, a_len);
    crypto_auth_hmacsha256_update(&state, b, b_len);
    crypto_auth_hmacsha256_final(&state, out);
    sodium_memzero(&state, sizeof state);
}

/* HKDF with two outputs, all XX needs. out1 may alias ck: ck is only read
 * before out1 is written. */
static void noise_hkdf2(const uint8_t ck[NOISE_HASH_BYTES], const uint8_t *ikm, size_t ikm_len,
                        uint8_t out1[NOISE_HASH_BYTES], uint8_t out2[NOISE_HASH_BYTES]) {
    static const uint8_t one = 1, two = 2;
    uint8_t temp_key[NOISE_HASH_BYTES];
    noise_hmac(ck, ikm, ikm_len, NULL, 0, temp_key);
    noise_hmac(temp_key, &one, 1, NULL, 0, out1);
    noise_hmac(temp_key, out1, NOISE_HASH_BYTES, &two, 1, out2);
    sodium_memzero(temp_key, sizeof temp_key);
}

static void noise_nonce_bytes(uint64_t counter, uint8_t out[NOISE_NONCE_BYTES]) {
    memset(out, 0, NOISE_NONCE_BYTES);
    for (unsigned i = 0; i < 8; i++)
        out[NOISE_NONCE_COUNTER_OFFSET + i] = (uint8_t)(counter >> (8 * i));
}

static int noise_cipher_seal(noise_cipher *c, const uint8_t *ad, size_t ad_len,
                             const uint8_t *plain, size_t len, uint8_t *out) {
    assert(c->has_key);
    assert(out != NULL);
    if (c->nonce == NOISE_NONCE_MAX || len > NOISE_PLAINTEXT_MAX) return -1;
    uint8_t nonce[NOISE_NONCE_BYTES];
    noise_nonce_bytes(c->nonce, nonce);
    crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, plain, len, ad, ad_len, NULL, nonce,
                                              c->key);
    c->nonce++;
    return 0;
}

/* The nonce advances only on success (spec 5.1). */
static int noise_cipher_open(noise_cipher *c, const uint8_t *ad, size_t ad_len,
                             const uint8_t *cipher, size_t len, uint8_t *out) {
    assert(c->has_key);
    assert(out != NULL);
    if (c->nonce == NOISE_NONCE_MAX || len < NOISE_TAG_BYTES || len > NOISE_MESSAGE_MAX) return -1;
    uint8_t nonce[NOISE_NONCE_BYTES];
    noise_nonce_bytes(c->nonce, nonce);
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, cipher, len, ad, ad_len, nonce,
                                                  c->key) != 0)
        return -1;
    c->nonce++;
    return 0;
}

int noise_cipher_encrypt(noise_cipher *c, const uint8_t *plain, size_t len, uint8_t *out) {
    assert(c != NULL);
    assert(plain != NULL || len == 0);
    if (!c->has_key) return -1;
    return noise_cipher_seal(c, NULL, 0, plain, len, out);
}

int noise_cipher_decrypt(noise_cipher *c, const uint8_t *cipher, size_t len, uint8_t *out) {
    assert(c != NULL);
    assert(cipher != NULL || len == 0);
    if (!c->has_key) return -1;
    return noise_cipher_open(c, NULL, 0, cipher, len, out);
}

/* ---- symmetric state -------------------------------------------------- */

static void noise_mix_key(noise_xx *hs, const uint8_t ikm[NOISE_KEY_BYTES]) {
    assert(hs != NULL);
    assert(ikm != NULL);
    noise_hkdf2(hs->ck, ikm, NOISE_KEY_BYTES, hs->ck, hs->cipher.key);
    hs->cipher.nonce = 0;
    hs->cipher.has_key = true;
}

/* out has room for len (+ a tag once a key is set); returns bytes written or -1. */
static int noise_encrypt_and_hash(noise_xx *hs, const uint8_t *plain, size_t len, uint8_t *out,
                                  size_t *out_len) {
    assert(out != NULL && out_len != NULL);
    assert(plain != NULL || len == 0);
    if (hs->cipher.has_key) {
        if (noise_cipher_seal(&hs->cipher, hs->h, NOISE_HASH_BYTES, plain, len, out) != 0)
            return -1;
        *out_len = len + NOISE_TAG_BYTES;
    } else {
        if (len > 0) memcpy(out, plain, len);
        *out_len = len;
    }
    noise_mix_hash(hs, out, *out_len);
    return 0;
}

/* out has room for len (minus the tag once a key is set). */
static int noise_decrypt_and_hash(noise_xx *hs, const uint8_t *in, size_t len, uint8_t *out) {
    assert(out != NULL);
    assert(in != NULL || len == 0);
    if (hs->cipher.has_key) {
        if (noise_cipher_open(&hs->cipher, hs->h, NOISE_HASH_BYTES, in, len, out) != 0) return -1;
    } else if (len > 0) {
        memcpy(out, in, len);
    }
    noise_mix_hash(hs, in, len);
    return 0;
}

static size_t noise_tag_bytes(const noise_xx *hs) {
    return hs->cipher.has_key ? NOISE_TAG_BYTES : 0;
}

/* ---- handshake -------------------------------------------------------- */

void noise_xx_init(noise_xx *hs, bool initiator, const uint8_t *prologue, size_t prologue_len,
                   const uint8_t s_secret[NOISE_KEY_BYTES],
                   const uint8_t e_secret[NOISE_KEY_BYTES]) {
    assert(hs != NULL);
    assert(s_secret != NULL && e_secret != NULL);
    memset(hs, 0, sizeof *hs);
    hs->initiator = initiator;
    memcpy(hs->h, NOISE_PROTOCOL_NAME, NOISE_HASH_BYTES);
    memcpy(hs->ck, hs->h, NOISE_HASH_BYTES);
    noise_mix_hash(hs, prologue, prologue_len);
    memcpy(hs->s_secret, s_secret, NOISE_KEY_BYTES);
    memcpy(hs->e_secret, e_secret, NOISE_KEY_BYTES);
    crypto_scalarmult_base(hs->s_public, hs->s_secret);
    crypto_scalarmult_base(hs->e_public, hs->e_secret);
}

/* Which of our keys meets which of theirs depends on the role (spec 7.1). */
static int noise_dh_token(noise_xx *hs, noise_token token) {
    bool ours_ephemeral = token == NOISE_TOKEN_EE || (token == NOISE_TOKEN_ES) == hs->initiator;
    bool theirs_ephemeral = token == NOISE_TOKEN_EE || (token == NOISE_TOKEN_SE) == hs->initiator;
    assert(token == NOISE_TOKEN_EE || token == NOISE_TOKEN_ES || token == NOISE_TOKEN_SE);
    uint8_t shared[NOISE_KEY_BYTES];
    /* crypto_scalarmult fails on an all-zero output (a low-order point). */
    int rc = crypto_scalarmult(shared, ours_ephemeral ? hs->e_secret : hs->s_secret,
                               theirs_ephemeral ? hs->re : hs->rs);
    if (rc == 0) noise_mix_key(hs, shared);
    sodium_memzero(shared, sizeof shared);
    return rc == 0 ? 0 : -1;
}

static int noise_write_token(noise_xx *hs, noise_token token, uint8_t *out, size_t cap,
                             size_t *pos) {
    assert(*pos <= cap);
    size_t written = 0;
    switch (token) {
    case NOISE_TOKEN_E:
        if (cap - *pos < NOISE_KEY_BYTES) return -1;
        memcpy(out + *pos, hs->e_public, NOISE_KEY_BYTES);
        noise_mix_hash(hs, hs->e_public, NOISE_KEY_BYTES);
        *pos += NOISE_KEY_BYTES;
        return 0;
    case NOISE_TOKEN_S:
        if (cap - *pos < NOISE_KEY_BYTES + noise_tag_bytes(hs)) return -1;
        if (noise_encrypt_and_hash(hs, hs->s_public, NOISE_KEY_BYTES, out + *pos, &written) != 0)
            return -1;
        *pos += written;
        return 0;
    default:
        return noise_dh_token(hs, token);
    }
}

static int noise_read_token(noise_xx *hs, noise_token token, const uint8_t *msg, size_t len,
                            size_t *pos) {
    assert(*pos <= len);
    size_t need = 0;
    switch (token) {
    case NOISE_TOKEN_E:
        if (len - *pos < NOISE_KEY_BYTES) return -1;
        memcpy(hs->re, msg + *pos, NOISE_KEY_BYTES);
        noise_mix_hash(hs, hs->re, NOISE_KEY_BYTES);
        *pos += NOISE_KEY_BYTES;
        return 0;
    case NOISE_TOKEN_S:
        need = NOISE_KEY_BYTES + noise_tag_bytes(hs);
        if (len - *pos < need) return -1;
        if (noise_decrypt_and_hash(hs, msg + *pos, need, hs->rs) != 0) return -1;
        *pos += need;
        return 0;
    default:
        return noise_dh_token(hs, token);
    }
}

static bool noise_xx_turn_to_write(const noise_xx *hs) {
    return hs->step < NOISE_HANDSHAKE_MESSAGES && (hs->step % 2 == 0) == hs->initiator;
}

/* Keeps the worked-on copy of the state if the message went through. */
static int noise_xx_commit(noise_xx *hs, noise_xx *next, int rc) {
    assert(next->step == hs->step);
    if (rc == 0) {
        next->step++;
        *hs = *next;
    }
    sodium_memzero(next, sizeof *next);
    return rc;
}

static int noise_xx_write_tokens(noise_xx *hs, const uint8_t *payload, size_t payload_len,
                                 uint8_t *out, size_t cap, size_t *out_len) {
    size_t pos = 0;
    for (const noise_token *t = noise_xx_pattern[hs->step]; *t != NOISE_TOKEN_END; t++) {
        if (noise_write_token(hs, *t, out, cap, &pos) != 0) return -1;
    }
    size_t tag = noise_tag_bytes(hs);
    if (payload_len > cap - pos || cap - pos - payload_len < tag) return -1;
    if (payload_len > NOISE_MESSAGE_MAX - pos - tag) return -1;
    size_t written = 0;
    if (noise_encrypt_and_hash(hs, payload, payload_len, out + pos, &written) != 0) return -1;
    *out_len = pos + written;
    return 0;
}

int noise_xx_write(noise_xx *hs, const uint8_t *payload, size_t payload_len, uint8_t *out,
                   size_t cap, size_t *out_len) {
    assert(hs != NULL && out != NULL && out_len != NULL);
    assert(payload != NULL || payload_len == 0);
    if (!noise_xx_turn_to_write(hs)) return -1;
    noise_xx next = *hs;
    return noise_xx_commit(hs, &next,
                           noise_xx_write_tokens(&next, payload, payload_len, out, cap, out_len));
}

static int noise_xx_read_tokens(noise_xx *hs, const uint8_t *msg, size_t len, uint8_t *payload_out,
                                size_t cap, size_t *payload_len) {
    size_t pos = 0;
    for (const noise_token *t = noise_xx_pattern[hs->step]; *t != NOISE_TOKEN_END; t++) {
        if (noise_read_token(hs, *t, msg, len, &pos) != 0) return -1;
    }
    size_t tag = noise_tag_bytes(hs);
    if (len - pos < tag || len - pos - tag > cap) return -1;
    if (noise_decrypt_and_hash(hs, msg + pos, len - pos, payload_out) != 0) return -1;
    *payload_len = len - pos - tag;
    return 0;
}

int noise_xx_read(noise_xx *hs, const uint8_t *msg, size_t len, uint8_t *payload_out, size_t cap,
                  size_t *payload_len) {
    assert(hs != NULL && payload_out != NULL && payload_len != NULL);
    assert(msg != NULL || len == 0);
    if (hs->step >= NOISE_HANDSHAKE_MESSAGES || noise_xx_turn_to_write(hs)) return -1;
    if (len > NOISE_MESSAGE_MAX) return -1;
    noise_xx next = *hs;
    return noise_xx_commit(hs, &next,
                           noise_xx_read_tokens(&next, msg, len, payload_out, cap, payload_len));
}

bool noise_xx_complete(const noise_xx *hs) {
    assert(hs != NULL);
    assert(hs->step >= 0 && hs->step <= NOISE_HANDSHAKE_MESSAGES);
    return hs->step == NOISE_HANDSHAKE_MESSAGES;
}

static void noise_cipher_set(noise_cipher *c, const uint8_t key[NOISE_KEY_BYTES]) {
    memcpy(c->key, key, NOISE_KEY_BYTES);
    c->nonce = 0;
    c->has_key = true;
}

void noise_xx_split(noise_xx *hs, noise_cipher *send, noise_cipher *recv) {
    assert(noise_xx_complete(hs));
    assert(send != NULL && recv != NULL && send != recv);
    uint8_t k1[NOISE_KEY_BYTES], k2[NOISE_KEY_BYTES];
    noise_hkdf2(hs->ck, NULL, 0, k1, k2);
    /* c1 carries initiator-to-responder traffic, c2 the other way. */
    noise_cipher_set(hs->initiator ? send : recv, k1);
    noise_cipher_set(hs->initiator ? recv : send, k2);
    sodium_memzero(k1, sizeof k1);
    sodium_memzero(k2, sizeof k2);
    uint8_t h[NOISE_HASH_BYTES];
    bool initiator = hs->initiator;
    int step = hs->step;
    memcpy(h, hs->h, sizeof h);
    noise_xx_wipe(hs);
    memcpy(hs->h, h, sizeof h);
    hs->initiator = initiator;
    hs->step = step;
}

void noise_xx_wipe(noise_xx *hs) {
    assert(hs != NULL);
    sodium_memzero(hs, sizeof *hs);
}

/* ---- the libp2p channel ----------------------------------------------- */

static int noise_fail(noise_channel *ch, const char *why) {
    assert(why != NULL);
    ch->state = NOISE_CHANNEL_FAILED;
    ch->error = why;
    noise_xx_wipe(&ch->hs);
    sodium_memzero(&ch->send, sizeof ch->send);
    sodium_memzero(&ch->recv, sizeof ch->recv);
    buf_wipe_free(&ch->inbound);
    return -1;
}

void noise_channel_init(noise_channel *ch, bool initiator, const identity *local,
                        const uint8_t static_secret[NOISE_KEY_BYTES],
                        const uint8_t ephemeral_secret[NOISE_KEY_BYTES]) {
    assert(ch != NULL);
    assert(local != NULL);
    memset(ch, 0, sizeof *ch);
    ch->state = NOISE_CHANNEL_HANDSHAKE;
    ch->local = local;
    noise_xx_init(&ch->hs, initiator, NULL, 0, static_secret, ephemeral_secret);
    buf_init(&ch->inbound, NOISE_FRAME_MAX);
}

/* NoiseHandshakePayload { identity_key = 1; identity_sig = 2 }, the
 * signature covering the prefix and our Noise static public key. */
static size_t noise_payload_encode(const noise_channel *ch, uint8_t out[NOISE_OWN_PAYLOAD_BYTES]) {
    uint8_t key_proto[IDENTITY_PUBLIC_PROTO_BYTES];
    uint8_t signed_bytes[NOISE_SIGNATURE_PREFIX_BYTES + NOISE_KEY_BYTES];
    uint8_t signature[IDENTITY_SIGNATURE_BYTES];
    identity_public_proto_encode(ch->local->public_key, key_proto);
    memcpy(signed_bytes, NOISE_SIGNATURE_PREFIX, NOISE_SIGNATURE_PREFIX_BYTES);
    memcpy(signed_bytes + NOISE_SIGNATURE_PREFIX_BYTES, ch->hs.s_public, NOISE_KEY_BYTES);
    identity_sign(ch->local, signed_bytes, sizeof signed_bytes, signature);
    pb_writer w;
    pb_writer_init(&w, out, NOISE_OWN_PAYLOAD_BYTES);
    pb_write_bytes_field(&w, NOISE_PAYLOAD_FIELD_KEY, key_proto, sizeof key_proto);
    pb_write_bytes_field(&w, NOISE_PAYLOAD_FIELD_SIGNATURE, signature, sizeof signature);
    assert(pb_writer_ok(&w));
    assert(w.len == NOISE_OWN_PAYLOAD_BYTES);
    return w.len;
}

/* Writes our next handshake message, framed, onto wire. Message 1 carries
 * no payload: it would be sent in the clear. */
static int noise_handshake_send(noise_channel *ch, buf *wire) {
    assert(ch->state == NOISE_CHANNEL_HANDSHAKE);
    assert(!noise_xx_complete(&ch->hs));
    uint8_t payload[NOISE_OWN_PAYLOAD_BYTES];
    size_t payload_len = ch->hs.step == 0 ? 0 : noise_payload_encode(ch, payload);
    uint8_t frame[NOISE_HANDSHAKE_FRAME_MAX];
    size_t len = 0;
    if (noise_xx_write(&ch->hs, payload, payload_len, frame + NOISE_FRAME_HEADER_BYTES,
                       sizeof frame - NOISE_FRAME_HEADER_BYTES, &len) != 0)
        return noise_fail(ch, "handshake write failed");
    frame[0] = (uint8_t)(len >> 8);
    frame[1] = (uint8_t)len;
    if (buf_append(wire, frame, NOISE_FRAME_HEADER_BYTES + len) != 0)
        return noise_fail(ch, "wire buffer full");
    return 0;
}

int noise_channel_start(noise_channel *ch, buf *wire) {
    assert(ch != NULL);
    assert(wire != NULL);
    if (ch->state == NOISE_CHANNEL_FAILED) return -1;
    if (!ch->hs.initiator) return 0;
    if (ch->state != NOISE_CHANNEL_HANDSHAKE || ch->hs.step != 0)
        return noise_fail(ch, "handshake already started");
    return noise_handshake_send(ch, wire);
}

typedef struct noise_payload_fields {
    const uint8_t *key, *signature;
    size_t key_len, signature_len;
} noise_payload_fields;

/* Unknown fields (data, extensions) are skipped: they are for other layers. */
static const char *noise_payload_parse(const uint8_t *payload, size_t len,
                                       noise_payload_fields *out) {
    assert(out != NULL);
    assert(payload != NULL || len == 0);
    memset(out, 0, sizeof *out);
    pb_reader r;
    pb_reader_init(&r, payload, len);
    pb_field f;
    int rc;
    while ((rc = pb_next(&r, &f)) == PB_FIELD) {
        bool is_key = f.number == NOISE_PAYLOAD_FIELD_KEY;
        bool is_signature = f.number == NOISE_PAYLOAD_FIELD_SIGNATURE;
        if ((is_key || is_signature) && f.wire_type != PB_WIRE_BYTES)
            return "malformed handshake payload";
        if (is_key) {
            out->key = f.bytes;
            out->key_len = f.len;
        } else if (is_signature) {
            out->signature = f.bytes;
            out->signature_len = f.len;
        }
    }
    if (rc != PB_END) return "malformed handshake payload";
    if (out->key == NULL) return "handshake payload without identity key";
    if (out->signature == NULL) return "handshake payload without identity signature";
    return NULL;
}

/* Checks the remote's payload against the static key it just proved to
 * hold, and learns its peer ID. Returns NULL or why it was refused. */
static const char *noise_payload_verify(noise_channel *ch, const uint8_t *payload, size_t len) {
    noise_payload_fields fields;
    const char *error = noise_payload_parse(payload, len, &fields);
    if (error != NULL) return error;
    uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES];
    if (identity_public_proto_decode(fields.key, fields.key_len, public_key) != 0)
        return "unsupported identity key";
    if (fields.signature_len != IDENTITY_SIGNATURE_BYTES) return "bad identity signature";
    uint8_t signed_bytes[NOISE_SIGNATURE_PREFIX_BYTES + NOISE_KEY_BYTES];
    memcpy(signed_bytes, NOISE_SIGNATURE_PREFIX, NOISE_SIGNATURE_PREFIX_BYTES);
    memcpy(signed_bytes + NOISE_SIGNATURE_PREFIX_BYTES, ch->hs.rs, NOISE_KEY_BYTES);
    if (identity_verify(public_key, signed_bytes, sizeof signed_bytes, fields.signature) != 0)
        return "bad identity signature";
    memcpy(ch->remote_public_key, public_key, sizeof public_key);
    peer_id_from_public_key(public_key, &ch->remote);
    ch->remote_known = true;
    return NULL;
}

static int noise_handshake_receive(noise_channel *ch, const uint8_t *msg, size_t len, buf *wire) {
    assert(ch->state == NOISE_CHANNEL_HANDSHAKE);
    assert(msg != NULL || len == 0);
    uint8_t payload[NOISE_MESSAGE_MAX];
    size_t payload_len = 0;
    int rc = noise_xx_read(&ch->hs, msg, len, payload, sizeof payload, &payload_len);
    const char *error = rc == 0 ? NULL : "handshake message rejected";
    /* Message 1's payload is unauthenticated and libp2p's is empty: ignored. */
    if (error == NULL && ch->hs.step > 1) error = noise_payload_verify(ch, payload, payload_len);
    sodium_memzero(payload, payload_len);
    if (error != NULL) return noise_fail(ch, error);
    /* The responder answers message 1; the initiator closes with message 3. */
    if (!noise_xx_complete(&ch->hs) && noise_handshake_send(ch, wire) != 0) return -1;
    if (noise_xx_complete(&ch->hs)) {
        noise_xx_split(&ch->hs, &ch->send, &ch->recv);
        ch->state = NOISE_CHANNEL_OPEN;
    }
    return 0;
}

/* Decrypts straight into plain: application bytes are copied once. */
static int noise_transport_receive(noise_channel *ch, const uint8_t *msg, size_t len, buf *plain) {
    if (len < NOISE_TAG_BYTES) return noise_fail(ch, "transport frame rejected");
    size_t text_len = len - NOISE_TAG_BYTES;
    uint8_t *text = buf_extend(plain, text_len);
    if (text == NULL) return noise_fail(ch, "plaintext buffer full");
    if (noise_cipher_decrypt(&ch->recv, msg, len, text) != 0) {
        plain->len -= text_len; /* nothing of a forged frame stays */
        return noise_fail(ch, "transport frame rejected");
    }
    return 0;
}

/* Bytes still missing from the frame at the head of the inbound buffer. */
static size_t noise_frame_missing(const buf *inbound) {
    if (inbound->len < NOISE_FRAME_HEADER_BYTES) return NOISE_FRAME_HEADER_BYTES - inbound->len;
    size_t frame_len = ((size_t)inbound->data[0] << 8) | inbound->data[1];
    assert(inbound->len <= NOISE_FRAME_HEADER_BYTES + frame_len);
    return NOISE_FRAME_HEADER_BYTES + frame_len - inbound->len;
}

static int noise_frame_handle(noise_channel *ch, const uint8_t *msg, size_t len, buf *wire, buf *plain) {
    return ch->state == NOISE_CHANNEL_OPEN ? noise_transport_receive(ch, msg, len, plain)
                                           : noise_handshake_receive(ch, msg, len, wire);
}

/* Storage a channel keeps for partial frames between frames: enough for
 * small messages without a malloc each; a 64 KiB frame's goes back. */
#define NOISE_INBOUND_KEEP (16u << 10)

static int noise_frame_process(noise_channel *ch, buf *wire, buf *plain) {
    const uint8_t *msg = ch->inbound.data + NOISE_FRAME_HEADER_BYTES;
    size_t len = ch->inbound.len - NOISE_FRAME_HEADER_BYTES;
    int rc = noise_frame_handle(ch, msg, len, wire, plain);
    buf_clear(&ch->inbound);
    buf_shrink_if_empty(&ch->inbound, NOISE_INBOUND_KEEP);
    return rc;
}

/* Frames are gathered one at a time, so the inbound buffer never holds more
 * than one frame however much arrives at once; whole frames in the input
 * are handled where they lie, without a copy. */
int noise_channel_feed(noise_channel *ch, const uint8_t *in, size_t len, buf *wire, buf *plain) {
    assert(ch != NULL && wire != NULL && plain != NULL);
    assert(in != NULL || len == 0);
    if (ch->state == NOISE_CHANNEL_FAILED) return -1;
    while (len > 0) {
        if (ch->inbound.len == 0 && len >= NOISE_FRAME_HEADER_BYTES) {
            size_t frame_len = ((size_t)in[0] << 8) | in[1];
            if (len - NOISE_FRAME_HEADER_BYTES >= frame_len) {
                if (noise_frame_handle(ch, in + NOISE_FRAME_HEADER_BYTES, frame_len, wire, plain) != 0) return -1;
                in += NOISE_FRAME_HEADER_BYTES + frame_len;
                len -= NOISE_FRAME_HEADER_BYTES + frame_len;
                continue;
            }
        }
        size_t take = noise_frame_missing(&ch->inbound);
        if (take > len) take = len;
        if (buf_append(&ch->inbound, in, take) != 0) return noise_fail(ch, "out of memory");
        in += take;
        len -= take;
        if (noise_frame_missing(&ch->inbound) == 0 && noise_frame_process(ch, wire, plain) != 0)
            return -1;
    }
    return 0;
}

int noise_channel_send(noise_channel *ch, const uint8_t *plain, size_t len, buf *wire) {
    assert(ch != NULL && wire != NULL);
    assert(plain != NULL || len == 0);
    if (ch->state == NOISE_CHANNEL_FAILED) return -1;
    if (ch->state != NOISE_CHANNEL_OPEN)
        return noise_fail(ch, "send before the handshake completed");
    size_t frames = len / NOISE_PLAINTEXT_MAX + (len % NOISE_PLAINTEXT_MAX != 0);
    size_t overhead = frames * (NOISE_FRAME_HEADER_BYTES + NOISE_TAG_BYTES);
    /* Checked up front so that a refused send writes nothing at all. */
    if (len > wire->limit || overhead > wire->limit - len ||
        wire->limit - wire->len < len + overhead)
        return noise_fail(ch, "wire buffer full");
    /* Each frame is encrypted straight into the wire buffer. */
    for (size_t sent = 0; sent < len;) {
        size_t n = len - sent < NOISE_PLAINTEXT_MAX ? len - sent : NOISE_PLAINTEXT_MAX;
        size_t frame_len = n + NOISE_TAG_BYTES;
        uint8_t *frame = buf_extend(wire, NOISE_FRAME_HEADER_BYTES + frame_len);
        if (frame == NULL) return noise_fail(ch, "out of memory");
        if (noise_cipher_encrypt(&ch->send, plain + sent, n, frame + NOISE_FRAME_HEADER_BYTES) != 0) {
            wire->len -= NOISE_FRAME_HEADER_BYTES + frame_len;
            return noise_fail(ch, "send nonce exhausted");
        }
        frame[0] = (uint8_t)(frame_len >> 8);
        frame[1] = (uint8_t)frame_len;
        sent += n;
    }
    return 0;
}

void noise_channel_free(noise_channel *ch) {
    assert(ch != NULL);
    buf_wipe_free(&ch->inbound);
    sodium_memzero(ch, sizeof *ch);
}
