/*
 * pubsub_pb: the pubsub RPC codec and StrictSign message signing
 * (libp2p/specs pubsub/README.md). See pubsub_pb.h.
 *
 * Decoding policy, stricter than plain proto2 where the difference matters:
 * - a known field with the wrong wire type makes the whole RPC malformed;
 * - a singular field that appears twice is rejected rather than "last one
 *   wins". For Message this is what keeps the signature canonical: the
 *   signed bytes are re-encoded from the fields we read, so two readers must
 *   never disagree on which value was meant. In particular old floodsub sent
 *   `repeated string topicIDs = 4`; a message naming two topics is refused;
 * - a Message without topic (required in the spec) or a SubOpts without
 *   topicid is rejected, so that encode(decode(x)) always means x;
 * - unknown fields are skipped, for forward compatibility.
 *
 * Encoding writes fields in field-number order (Message 1..6; RPC
 * subscriptions, then publish), which is what go-libp2p and rust-libp2p
 * produce, so the signing input is the same bytes on every implementation.
 */
#include "pubsub_pb.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/ed25519_verify.h"
#include "base/pb.h"
#include "base/varint.h"

enum {
    PUBSUB_RPC_FIELD_SUBSCRIPTIONS = 1,
    PUBSUB_RPC_FIELD_PUBLISH = 2,
    PUBSUB_RPC_FIELD_CONTROL = 3,
};

enum {
    PUBSUB_SUBOPTS_FIELD_SUBSCRIBE = 1,
    PUBSUB_SUBOPTS_FIELD_TOPIC = 2,
};

enum {
    PUBSUB_MESSAGE_FIELD_FROM = 1,
    PUBSUB_MESSAGE_FIELD_DATA = 2,
    PUBSUB_MESSAGE_FIELD_SEQNO = 3,
    PUBSUB_MESSAGE_FIELD_TOPIC = 4,
    PUBSUB_MESSAGE_FIELD_SIGNATURE = 5,
    PUBSUB_MESSAGE_FIELD_KEY = 6,
    PUBSUB_MESSAGE_FIELD_COUNT = 6,
};

#define PUBSUB_SIGN_PREFIX_BYTES (sizeof(PUBSUB_SIGN_PREFIX) - 1)
/* SubOpts.subscribe on the wire: one tag byte and a one-byte bool. */
#define PUBSUB_SUBSCRIBE_FIELD_BYTES 2

/* ---- decoding ---- */

/* Takes a singular length-delimited field; a repeat or a wrong wire type is
 * malformed (see the policy above). */
static int pubsub_take_bytes(const pb_field *field, pubsub_bytes *out, bool *has) {
    assert(field != NULL);
    assert(out != NULL && has != NULL);
    if (field->wire_type != PB_WIRE_BYTES) return -1;
    if (*has) return -1;
    out->data = field->bytes;
    out->len = field->len;
    *has = true;
    return 0;
}

static int pubsub_subopts_decode(const uint8_t *in, size_t len, pubsub_subopts *sub) {
    assert(sub != NULL);
    pb_reader r;
    pb_reader_init(&r, in, len);
    pb_field field;
    bool has_subscribe = false;
    bool has_topic = false;
    sub->subscribe = false;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        if (field.number == PUBSUB_SUBOPTS_FIELD_SUBSCRIBE) {
            if (field.wire_type != PB_WIRE_VARINT || has_subscribe) return -1;
            sub->subscribe = field.varint != 0;
            has_subscribe = true;
        } else if (field.number == PUBSUB_SUBOPTS_FIELD_TOPIC) {
            if (pubsub_take_bytes(&field, &sub->topic, &has_topic) != 0) return -1;
            if (sub->topic.len > PUBSUB_TOPIC_MAX) return -1;
        }
    }
    if (rc != PB_END) return -1;
    return has_topic ? 0 : -1;
}

/* The view and presence flag a Message field number is stored in, or NULL
 * for a field this codec does not know. */
static pubsub_bytes *pubsub_message_slot(pubsub_message *msg, uint32_t number, bool **has) {
    assert(msg != NULL);
    assert(has != NULL);
    switch (number) {
    case PUBSUB_MESSAGE_FIELD_FROM: *has = &msg->has_from; return &msg->from;
    case PUBSUB_MESSAGE_FIELD_DATA: *has = &msg->has_data; return &msg->data;
    case PUBSUB_MESSAGE_FIELD_SEQNO: *has = &msg->has_seqno; return &msg->seqno;
    case PUBSUB_MESSAGE_FIELD_TOPIC: *has = &msg->has_topic; return &msg->topic;
    case PUBSUB_MESSAGE_FIELD_SIGNATURE: *has = &msg->has_signature; return &msg->signature;
    case PUBSUB_MESSAGE_FIELD_KEY: *has = &msg->has_key; return &msg->key;
    default: *has = NULL; return NULL;
    }
}

static int pubsub_message_decode(const uint8_t *in, size_t len, pubsub_message *msg) {
    assert(msg != NULL);
    memset(msg, 0, sizeof *msg);
    pb_reader r;
    pb_reader_init(&r, in, len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        bool *has;
        pubsub_bytes *slot = pubsub_message_slot(msg, field.number, &has);
        if (slot == NULL) continue; /* unknown field: skipped */
        if (pubsub_take_bytes(&field, slot, has) != 0) return -1;
    }
    if (rc != PB_END) return -1;
    if (!msg->has_topic || msg->topic.len > PUBSUB_TOPIC_MAX) return -1;
    return 0;
}

static int pubsub_rpc_decode_field(const pb_field *field, pubsub_rpc *rpc) {
    assert(field != NULL);
    assert(rpc->sub_count <= PUBSUB_SUBS_PER_RPC_MAX);
    switch (field->number) {
    case PUBSUB_RPC_FIELD_SUBSCRIPTIONS:
        if (field->wire_type != PB_WIRE_BYTES) return -1;
        if (rpc->sub_count == PUBSUB_SUBS_PER_RPC_MAX) return -1;
        if (pubsub_subopts_decode(field->bytes, field->len, &rpc->subs[rpc->sub_count]) != 0)
            return -1;
        rpc->sub_count++;
        return 0;
    case PUBSUB_RPC_FIELD_PUBLISH:
        if (field->wire_type != PB_WIRE_BYTES) return -1;
        if (rpc->message_count == PUBSUB_MESSAGES_PER_RPC_MAX) return -1;
        if (pubsub_message_decode(field->bytes, field->len,
                                  &rpc->messages[rpc->message_count]) != 0)
            return -1;
        rpc->message_count++;
        return 0;
    case PUBSUB_RPC_FIELD_CONTROL:
        return pubsub_take_bytes(field, &rpc->control, &rpc->has_control);
    default:
        return 0; /* unknown field: skipped */
    }
}

static void pubsub_rpc_reset(pubsub_rpc *rpc) {
    assert(rpc != NULL);
    rpc->sub_count = 0;
    rpc->message_count = 0;
    rpc->control.data = NULL;
    rpc->control.len = 0;
    rpc->has_control = false;
}

int pubsub_rpc_decode(const uint8_t *in, size_t len, pubsub_rpc *rpc) {
    assert(rpc != NULL);
    assert(in != NULL || len == 0);
    pubsub_rpc_reset(rpc);
    if (len > PUBSUB_RPC_MAX_BYTES) return -1;
    pb_reader r;
    pb_reader_init(&r, in, len);
    pb_field field;
    int rc;
    while ((rc = pb_next(&r, &field)) == PB_FIELD) {
        if (pubsub_rpc_decode_field(&field, rpc) != 0) break;
    }
    if (rc != PB_END) {
        /* No partial RPC: the caller sees an empty one next to the error. */
        pubsub_rpc_reset(rpc);
        return -1;
    }
    assert(rpc->sub_count <= PUBSUB_SUBS_PER_RPC_MAX);
    assert(rpc->message_count <= PUBSUB_MESSAGES_PER_RPC_MAX);
    return 0;
}

/* ---- encoding ---- */

/* Bytes of a length-delimited field carrying len bytes. Callers keep len
 * within PUBSUB_RPC_MAX_BYTES, so sums of a few of these cannot overflow. */
static size_t pubsub_field_size(uint32_t number, size_t len) {
    assert(len <= PUBSUB_RPC_MAX_BYTES);
    return varint_size(((uint64_t)number << 3) | PB_WIRE_BYTES) + varint_size(len) + len;
}

/* Message fields 1..6 in field-number order, as views with presence flags,
 * so that measuring and writing walk the same list. Returns how many of them
 * go on the wire: the signing input stops before signature and key. */
static size_t pubsub_message_fields(const pubsub_message *msg, bool with_auth,
                                    const pubsub_bytes *values[PUBSUB_MESSAGE_FIELD_COUNT],
                                    bool present[PUBSUB_MESSAGE_FIELD_COUNT]) {
    assert(msg != NULL);
    assert(values != NULL && present != NULL);
    values[0] = &msg->from, present[0] = msg->has_from;
    values[1] = &msg->data, present[1] = msg->has_data;
    values[2] = &msg->seqno, present[2] = msg->has_seqno;
    values[3] = &msg->topic, present[3] = msg->has_topic;
    values[4] = &msg->signature, present[4] = msg->has_signature;
    values[5] = &msg->key, present[5] = msg->has_key;
    return with_auth ? PUBSUB_MESSAGE_FIELD_COUNT : PUBSUB_MESSAGE_FIELD_TOPIC;
}

/* The encoded size of msg (without signature and key unless with_auth), or
 * 0 if it breaks a limit the decoder enforces: such a message is never put
 * on the wire, since every peer would refuse it. */
static size_t pubsub_message_size(const pubsub_message *msg, bool with_auth) {
    assert(msg != NULL);
    if (!msg->has_topic || msg->topic.len > PUBSUB_TOPIC_MAX) return 0;
    const pubsub_bytes *values[PUBSUB_MESSAGE_FIELD_COUNT];
    bool present[PUBSUB_MESSAGE_FIELD_COUNT];
    size_t count = pubsub_message_fields(msg, with_auth, values, present);
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (!present[i]) continue;
        if (values[i]->len > PUBSUB_RPC_MAX_BYTES) return 0;
        total += pubsub_field_size((uint32_t)(i + 1), values[i]->len);
        if (total > PUBSUB_RPC_MAX_BYTES) return 0;
    }
    assert(total > 0);
    return total;
}

static void pubsub_message_write(pb_writer *w, const pubsub_message *msg, bool with_auth) {
    assert(w != NULL);
    assert(msg != NULL);
    const pubsub_bytes *values[PUBSUB_MESSAGE_FIELD_COUNT];
    bool present[PUBSUB_MESSAGE_FIELD_COUNT];
    size_t count = pubsub_message_fields(msg, with_auth, values, present);
    for (size_t i = 0; i < count; i++) {
        if (present[i]) pb_write_bytes_field(w, (uint32_t)(i + 1), values[i]->data, values[i]->len);
    }
}

size_t pubsub_message_encode(const pubsub_message *msg, uint8_t *out, size_t cap) {
    assert(msg != NULL);
    assert(out != NULL || cap == 0);
    size_t size = pubsub_message_size(msg, true);
    if (size == 0 || size > cap) return 0;
    pb_writer w;
    pb_writer_init(&w, out, cap);
    pubsub_message_write(&w, msg, true);
    assert(pb_writer_ok(&w));
    assert(w.len == size);
    return w.len;
}

/* SubOpts{subscribe, topicid}: both fields always written. */
static size_t pubsub_subopts_size(const pubsub_subopts *sub) {
    assert(sub != NULL);
    assert(sub->topic.len <= PUBSUB_TOPIC_MAX);
    size_t topic = pubsub_field_size(PUBSUB_SUBOPTS_FIELD_TOPIC, sub->topic.len);
    return PUBSUB_SUBSCRIBE_FIELD_BYTES + topic;
}

/* The RPC's encoded size, or 0 if it breaks a decoding limit. */
static size_t pubsub_rpc_size(const pubsub_subopts *subs, size_t sub_count,
                              const pubsub_message *msgs, size_t msg_count) {
    assert(subs != NULL || sub_count == 0);
    assert(msgs != NULL || msg_count == 0);
    if (sub_count > PUBSUB_SUBS_PER_RPC_MAX || msg_count > PUBSUB_MESSAGES_PER_RPC_MAX) return 0;
    size_t total = 0;
    for (size_t i = 0; i < sub_count; i++) {
        if (subs[i].topic.len > PUBSUB_TOPIC_MAX) return 0;
        total += pubsub_field_size(PUBSUB_RPC_FIELD_SUBSCRIPTIONS, pubsub_subopts_size(&subs[i]));
    }
    for (size_t i = 0; i < msg_count; i++) {
        size_t body = pubsub_message_size(&msgs[i], true);
        if (body == 0) return 0;
        total += pubsub_field_size(PUBSUB_RPC_FIELD_PUBLISH, body);
        if (total > PUBSUB_RPC_MAX_BYTES) return 0;
    }
    return total <= PUBSUB_RPC_MAX_BYTES ? total : 0;
}

static void pubsub_subopts_write(pb_writer *w, const pubsub_subopts *sub) {
    assert(w != NULL);
    assert(sub != NULL);
    pb_write_varint(w, ((uint64_t)PUBSUB_RPC_FIELD_SUBSCRIPTIONS << 3) | PB_WIRE_BYTES);
    pb_write_varint(w, pubsub_subopts_size(sub));
    /* subscribe is always written, false included, as go-libp2p does. */
    pb_write_varint_field(w, PUBSUB_SUBOPTS_FIELD_SUBSCRIBE, sub->subscribe ? 1 : 0);
    pb_write_bytes_field(w, PUBSUB_SUBOPTS_FIELD_TOPIC, sub->topic.data, sub->topic.len);
}

size_t pubsub_rpc_encode(const pubsub_subopts *subs, size_t sub_count, const pubsub_message *msgs,
                         size_t msg_count, uint8_t *out, size_t cap) {
    assert(out != NULL || cap == 0);
    size_t size = pubsub_rpc_size(subs, sub_count, msgs, msg_count);
    /* An empty RPC is legal but encodes to nothing, which reads as "cap too
     * small" here; callers never send one. */
    if (size == 0 || size > cap) return 0;
    pb_writer w;
    pb_writer_init(&w, out, cap);
    for (size_t i = 0; i < sub_count; i++) pubsub_subopts_write(&w, &subs[i]);
    for (size_t i = 0; i < msg_count; i++) {
        pb_write_varint(&w, ((uint64_t)PUBSUB_RPC_FIELD_PUBLISH << 3) | PB_WIRE_BYTES);
        pb_write_varint(&w, pubsub_message_size(&msgs[i], true));
        pubsub_message_write(&w, &msgs[i], true);
    }
    assert(pb_writer_ok(&w));
    assert(w.len == size);
    return w.len;
}

/* ---- signing ---- */

/* PUBSUB_SIGN_PREFIX || Message{from, data, seqno, topic}, where body is
 * pubsub_message_size(msg, false) (not 0), in a fresh heap buffer: Ed25519
 * needs its whole input in one piece, and body is bounded by
 * PUBSUB_RPC_MAX_BYTES. NULL if memory ran out. */
static uint8_t *pubsub_sign_input(const pubsub_message *msg, size_t body, size_t *len) {
    assert(msg != NULL && len != NULL);
    assert(body > 0 && body <= PUBSUB_RPC_MAX_BYTES);
    size_t total = PUBSUB_SIGN_PREFIX_BYTES + body;
    uint8_t *input = malloc(total);
    if (input == NULL) return NULL;
    memcpy(input, PUBSUB_SIGN_PREFIX, PUBSUB_SIGN_PREFIX_BYTES);
    pb_writer w;
    pb_writer_init(&w, input + PUBSUB_SIGN_PREFIX_BYTES, body);
    pubsub_message_write(&w, msg, false);
    assert(pb_writer_ok(&w));
    assert(w.len == body);
    *len = total;
    return input;
}

int pubsub_message_sign(const identity *id, const pubsub_message *msg,
                        uint8_t sig[IDENTITY_SIGNATURE_BYTES]) {
    assert(id != NULL);
    assert(msg != NULL && sig != NULL);
    /* Refuse to produce what StrictSign verification would reject. */
    if (!msg->has_from || !msg->has_seqno || msg->seqno.len != PUBSUB_SEQNO_BYTES) return -1;
    peer_id self;
    peer_id_from_public_key(id->public_key, &self);
    if (msg->from.len != self.len || memcmp(msg->from.data, self.bytes, self.len) != 0) return -1;
    size_t body = pubsub_message_size(msg, false);
    if (body == 0) return -1;
    size_t len = 0;
    uint8_t *input = pubsub_sign_input(msg, body, &len);
    if (input == NULL) return -1;
    identity_sign(id, input, len, sig);
    free(input);
    return 0;
}

/* The author's public key: from the key field when present (and then it
 * must hash to from), else inlined in from. NULL, or the reason it failed. */
static const char *pubsub_author_key(const pubsub_message *msg, const peer_id *from,
                                     uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES]) {
    assert(msg != NULL);
    assert(from != NULL && public_key != NULL);
    if (!msg->has_key) {
        if (peer_id_public_key(from, public_key) != 0) return "no key for from";
        return NULL;
    }
    if (identity_public_proto_decode(msg->key.data, msg->key.len, public_key) != 0)
        return "invalid key";
    peer_id from_key;
    peer_id_from_public_key(public_key, &from_key);
    if (!peer_id_equal(&from_key, from)) return "key does not match from";
    return NULL;
}

static const char *pubsub_message_check(const pubsub_message *msg, pubsub_verify_fn verify, void *user) {
    assert(msg != NULL);
    if (!msg->has_from) return "missing from";
    peer_id from;
    if (peer_id_from_bytes(msg->from.data, msg->from.len, &from) != 0) return "invalid from";
    if (!msg->has_seqno) return "missing seqno";
    if (msg->seqno.len != PUBSUB_SEQNO_BYTES) return "bad seqno length";
    if (!msg->has_signature) return "missing signature";
    if (msg->signature.len != IDENTITY_SIGNATURE_BYTES) return "bad signature length";
    if (!msg->has_topic) return "missing topic";
    if (msg->topic.len > PUBSUB_TOPIC_MAX) return "topic too long";
    size_t body = pubsub_message_size(msg, false);
    if (body == 0) return "message too large";
    uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES];
    const char *reason = pubsub_author_key(msg, &from, public_key);
    if (reason != NULL) return reason;
    size_t len = 0;
    uint8_t *input = pubsub_sign_input(msg, body, &len);
    if (input == NULL) return "out of memory";
    /* Authors sign message after message, so their keys earn a comb
     * table (ed25519_verify.h); a one-off key is checked by libsodium.
     * A runtime may answer instead (env.verify_ed25519), as the same check. */
    int rc = verify != NULL ? verify(user, public_key, input, len, msg->signature.data)
                            : ed25519_verify(public_key, input, len, msg->signature.data);
    free(input);
    return rc == 0 ? NULL : "bad signature";
}

int pubsub_message_verify_with(const pubsub_message *msg, const char **reason, pubsub_verify_fn verify,
                               void *user) {
    assert(msg != NULL);
    assert(reason != NULL);
    *reason = pubsub_message_check(msg, verify, user);
    return *reason == NULL ? 0 : -1;
}

int pubsub_message_verify(const pubsub_message *msg, const char **reason) {
    return pubsub_message_verify_with(msg, reason, NULL, NULL);
}

size_t pubsub_message_id(const pubsub_message *msg, uint8_t *out, size_t cap) {
    assert(msg != NULL);
    assert(out != NULL || cap == 0);
    size_t from_len = msg->has_from ? msg->from.len : 0;
    size_t seqno_len = msg->has_seqno ? msg->seqno.len : 0;
    if (from_len > cap || seqno_len > cap - from_len) return 0;
    if (from_len > 0) memcpy(out, msg->from.data, from_len);
    if (seqno_len > 0) memcpy(out + from_len, msg->seqno.data, seqno_len);
    return from_len + seqno_len;
}

/* key || seqno: the key an identity multihash from holds, else the key field. */
static size_t message_id_key_seqno(const pubsub_message *msg, uint8_t *out, size_t cap) {
    const uint8_t *key = NULL;
    size_t key_len = 0;
    /* An identity multihash: 0x00, the length, the PublicKey protobuf. */
    if (msg->has_from && msg->from.len >= 2 && msg->from.data[0] == 0x00 && msg->from.data[1] == msg->from.len - 2) {
        key = msg->from.data + 2;
        key_len = msg->from.len - 2;
    } else if (msg->has_key) {
        key = msg->key.data;
        key_len = msg->key.len;
    }
    size_t seqno_len = msg->has_seqno ? msg->seqno.len : 0;
    if (key_len == 0 || key_len > cap || seqno_len > cap - key_len) return 0;
    memcpy(out, key, key_len);
    if (seqno_len > 0) memcpy(out + key_len, msg->seqno.data, seqno_len);
    return key_len + seqno_len;
}

size_t pubsub_message_id_of(const pubsub_message *msg, pubsub_message_id_kind kind, uint8_t *out, size_t cap) {
    assert(msg != NULL);
    switch (kind) {
    case PUBSUB_MESSAGE_ID_FROM_SEQNO: return pubsub_message_id(msg, out, cap);
    case PUBSUB_MESSAGE_ID_KEY_SEQNO: return message_id_key_seqno(msg, out, cap);
    case PUBSUB_MESSAGE_ID_SHA256:
        if (cap < PUBSUB_MESSAGE_ID_SHA256_BYTES) return 0;
        crypto_hash_sha256(out, msg->data.data, msg->data.len);
        return PUBSUB_MESSAGE_ID_SHA256_BYTES;
    case PUBSUB_MESSAGE_ID_FIRST_8_BYTES:
        if (cap < PUBSUB_MESSAGE_ID_FIRST_BYTES || msg->data.len < PUBSUB_MESSAGE_ID_FIRST_BYTES) return 0;
        memcpy(out, msg->data.data, PUBSUB_MESSAGE_ID_FIRST_BYTES);
        return PUBSUB_MESSAGE_ID_FIRST_BYTES;
    case PUBSUB_MESSAGE_ID_KIND_COUNT: break;
    }
    assert(false && "a message id kind");
    return 0;
}

const char *const pubsub_message_id_names[PUBSUB_MESSAGE_ID_KIND_COUNT + 1] = {
    [PUBSUB_MESSAGE_ID_FROM_SEQNO] = "from-seqno", [PUBSUB_MESSAGE_ID_KEY_SEQNO] = "key-seqno",
    [PUBSUB_MESSAGE_ID_SHA256] = "sha256", [PUBSUB_MESSAGE_ID_FIRST_8_BYTES] = "first-8-bytes", NULL};

const char *const pubsub_signature_policy_names[PUBSUB_SIGNATURE_POLICY_COUNT + 1] = {
    [PUBSUB_STRICT_SIGN] = "strict-sign", [PUBSUB_STRICT_NO_SIGN] = "strict-no-sign", NULL};

/* The index of name among names (NULL-terminated), or -1. */
static int name_index(const char *const *names, const char *name) {
    for (int i = 0; names[i] != NULL; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

const char *pubsub_message_id_name(pubsub_message_id_kind kind) {
    assert((unsigned)kind < PUBSUB_MESSAGE_ID_KIND_COUNT);
    return pubsub_message_id_names[kind];
}

int pubsub_message_id_parse(const char *name, pubsub_message_id_kind *kind) {
    int i = name_index(pubsub_message_id_names, name);
    if (i < 0) return -1;
    *kind = (pubsub_message_id_kind)i;
    return 0;
}

bool pubsub_message_id_needs_author(pubsub_message_id_kind kind) {
    return kind == PUBSUB_MESSAGE_ID_FROM_SEQNO || kind == PUBSUB_MESSAGE_ID_KEY_SEQNO;
}

const char *pubsub_signature_policy_name(pubsub_signature_policy policy) {
    assert((unsigned)policy < PUBSUB_SIGNATURE_POLICY_COUNT);
    return pubsub_signature_policy_names[policy];
}

int pubsub_signature_policy_parse(const char *name, pubsub_signature_policy *policy) {
    int i = name_index(pubsub_signature_policy_names, name);
    if (i < 0) return -1;
    *policy = (pubsub_signature_policy)i;
    return 0;
}

int pubsub_message_verify_unsigned(const pubsub_message *msg, const char **reason) {
    assert(msg != NULL && reason != NULL);
    /* The reasons go-libp2p-pubsub traces (RejectUnexpectedSignature,
     * RejectUnexpectedAuthInfo), in our words. */
    if (msg->has_signature) *reason = "unexpected signature";
    else if (msg->has_from || msg->has_seqno || msg->has_key) *reason = "unexpected from, seqno or key";
    else if (!msg->has_topic) *reason = "missing topic";
    else *reason = NULL;
    return *reason == NULL ? 0 : -1;
}

void pubsub_message_make_unsigned(pubsub_outgoing *out, const char *topic, const uint8_t *data, size_t len) {
    assert(out != NULL && topic != NULL);
    out->msg = (pubsub_message){.data = {data, len}, .has_data = true, .topic = pubsub_text(topic), .has_topic = true};
}

/* ---- what the routers share ------------------------------------------ */

pubsub_bytes pubsub_text(const char *text) {
    assert(text != NULL);
    return (pubsub_bytes){(const uint8_t *)text, strlen(text)};
}

bool pubsub_text_equals(const char *text, pubsub_bytes view) {
    return strlen(text) == view.len && memcmp(text, view.data, view.len) == 0;
}

char *pubsub_text_copy(pubsub_bytes view) {
    char *text = malloc(view.len + 1);
    if (text == NULL) return NULL;
    if (view.len > 0) memcpy(text, view.data, view.len);
    text[view.len] = '\0';
    return text;
}

int pubsub_text_find(char *const *texts, size_t count, pubsub_bytes view) {
    for (size_t i = 0; i < count; i++)
        if (pubsub_text_equals(texts[i], view)) return (int)i;
    return -1;
}

int pubsub_message_make(pubsub_outgoing *out, const identity *id, const peer_id *self, uint64_t seqno,
                        const char *topic, const uint8_t *data, size_t len) {
    assert(out != NULL && id != NULL && self != NULL);
    for (int i = PUBSUB_SEQNO_BYTES - 1; i >= 0; i--, seqno >>= 8) out->seqno[i] = (uint8_t)seqno;
    out->msg = (pubsub_message){
        .from = {self->bytes, self->len}, .has_from = true,
        .data = {data, len}, .has_data = true,
        .seqno = {out->seqno, sizeof out->seqno}, .has_seqno = true,
        .topic = pubsub_text(topic), .has_topic = true,
    };
    if (pubsub_message_sign(id, &out->msg, out->signature) != 0) return -1;
    out->msg.signature = (pubsub_bytes){out->signature, sizeof out->signature};
    out->msg.has_signature = true;
    return 0;
}
