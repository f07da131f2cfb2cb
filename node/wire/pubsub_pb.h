/*
 * pubsub_pb: the pubsub RPC protobuf of libp2p/specs pubsub/README.md, and
 * message signing per its "Message Signing" section (StrictSign).
 *
 *   message RPC { repeated SubOpts subscriptions = 1; repeated Message publish = 2;
 *                 optional ControlMessage control = 3; }
 *   message SubOpts { optional bool subscribe = 1; optional string topicid = 2; }
 *   message Message { optional bytes from = 1; optional bytes data = 2;
 *                     optional bytes seqno = 3; required string topic = 4;
 *                     optional bytes signature = 5; optional bytes key = 6; }
 *
 * Decoding yields views into the input buffer (no allocation) with bounded
 * counts; the control field is kept raw for the gossipsub router.
 */
#ifndef SWARMLAB_PUBSUB_PB_H
#define SWARMLAB_PUBSUB_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"

#define PUBSUB_RPC_MAX_BYTES (1u << 20) /* largest RPC accepted (1 MiB, as go-libp2p) */
#define PUBSUB_SUBS_PER_RPC_MAX 256
#define PUBSUB_MESSAGES_PER_RPC_MAX 256
#define PUBSUB_TOPIC_MAX 256   /* bytes of a topic name */
#define PUBSUB_SEQNO_BYTES 8
#define PUBSUB_SIGN_PREFIX "libp2p-pubsub:"

typedef struct pubsub_bytes {
    const uint8_t *data;
    size_t len;
} pubsub_bytes;

typedef struct pubsub_subopts {
    bool subscribe;
    pubsub_bytes topic;
} pubsub_subopts;

typedef struct pubsub_message {
    pubsub_bytes from;
    pubsub_bytes data;
    pubsub_bytes seqno;
    pubsub_bytes topic;
    pubsub_bytes signature;
    pubsub_bytes key;
    bool has_from, has_data, has_seqno, has_topic, has_signature, has_key;
} pubsub_message;

typedef struct pubsub_rpc {
    pubsub_subopts subs[PUBSUB_SUBS_PER_RPC_MAX];
    size_t sub_count;
    pubsub_message messages[PUBSUB_MESSAGES_PER_RPC_MAX];
    size_t message_count;
    pubsub_bytes control; /* raw ControlMessage, for gossipsub */
    bool has_control;
} pubsub_rpc;

/* 0, or -1 when malformed, over a count limit, or a topic is too long. */
int pubsub_rpc_decode(const uint8_t *in, size_t len, pubsub_rpc *rpc);
/* Encoders append to a caller buffer; each returns the bytes written, or 0
 * if cap is too small. */
size_t pubsub_message_encode(const pubsub_message *msg, uint8_t *out, size_t cap);
/* An RPC with the given subscriptions and messages (either may be empty). */
size_t pubsub_rpc_encode(const pubsub_subopts *subs, size_t sub_count, const pubsub_message *msgs,
                         size_t msg_count, uint8_t *out, size_t cap);

/* Signs msg (from, data, seqno, topic set; signature and key unset) as id:
 * sig = Ed25519("libp2p-pubsub:" || Message-without-signature-and-key). */
int pubsub_message_sign(const identity *id, const pubsub_message *msg,
                        uint8_t sig[IDENTITY_SIGNATURE_BYTES]);
/* StrictSign validation: from, seqno (8 bytes) and signature present; the
 * key is taken from the key field or, when absent, from the identity peer
 * ID in from, and must match from; the signature must verify. Returns 0, or
 * -1 with *reason set to a short static text. */
int pubsub_message_verify(const pubsub_message *msg, const char **reason);
/* The same, with the Ed25519 check asked of verify(user, ...) (0 valid,
 * -1 not), which must answer as ed25519_verify does; verify NULL: checked
 * here with ed25519_verify. The node passes its runtime's check
 * (env.verify_ed25519) through this. */
typedef int (*pubsub_verify_fn)(void *user, const uint8_t public_key[32], const uint8_t *msg, size_t len,
                                const uint8_t sig[64]);
int pubsub_message_verify_with(const pubsub_message *msg, const char **reason, pubsub_verify_fn verify,
                               void *user);

/* ---- what the routers share ------------------------------------------ */

/* A view of a NUL-terminated string (without the NUL). */
pubsub_bytes pubsub_text(const char *text);
bool pubsub_text_equals(const char *text, pubsub_bytes view);
/* A NUL-terminated heap copy of view, or NULL when memory runs out. */
char *pubsub_text_copy(pubsub_bytes view);
/* Index of view among texts[0..count-1], or -1. */
int pubsub_text_find(char *const *texts, size_t count, pubsub_bytes view);

/* A message of our own, signed: msg's seqno and signature views point into
 * this struct, so it must not be copied while msg is in use. */
typedef struct pubsub_outgoing {
    pubsub_message msg;
    uint8_t seqno[PUBSUB_SEQNO_BYTES];
    uint8_t signature[IDENTITY_SIGNATURE_BYTES];
} pubsub_outgoing;

/* Builds and signs (StrictSign) a message from self with the 64-bit seqno,
 * big-endian. data and topic are borrowed. 0 or -1. */
int pubsub_message_make(pubsub_outgoing *out, const identity *id, const peer_id *self, uint64_t seqno,
                        const char *topic, const uint8_t *data, size_t len);

/* The default message id: from || seqno. Returns the length, 0 if cap is too small. */
size_t pubsub_message_id(const pubsub_message *msg, uint8_t *out, size_t cap);

/* Which bytes name a message (its id), by name:
 * - from-seqno: from || seqno, as go-libp2p and rust-libp2p do by default;
 * - key-seqno: the author's PublicKey protobuf || seqno, as js-libp2p's
 *   gossipsub does (its msgIdFnStrictSign). The two differ by the peer
 *   ID's two-byte identity-multihash prefix, so a mesh that mixes them
 *   asks for what it has and, with scoring, counts the answers as broken
 *   promises;
 * - sha256: SHA-256 of the data (32 bytes). Ethereum's consensus layer
 *   hashes a domain and the (decompressed) data and keeps 20 bytes; plain
 *   SHA-256 of the data is the content id without Ethereum's framing;
 * - first-8-bytes: the data's first 8 bytes (a big-endian integer), as
 *   libp2p/test-plans gossipsub-interop does (go-libp2p/experiment.go
 *   CalcID: string(msg[0:8]); publishers write the message number there
 *   with binary.BigEndian.PutUint64). Data shorter than 8 bytes has none.
 * The last two need no from or seqno, so they suit StrictNoSign. */
typedef enum pubsub_message_id_kind {
    PUBSUB_MESSAGE_ID_FROM_SEQNO = 0,
    PUBSUB_MESSAGE_ID_KEY_SEQNO,
    PUBSUB_MESSAGE_ID_SHA256,
    PUBSUB_MESSAGE_ID_FIRST_8_BYTES,
    PUBSUB_MESSAGE_ID_KIND_COUNT,
} pubsub_message_id_kind;
#define PUBSUB_MESSAGE_ID_SHA256_BYTES 32
#define PUBSUB_MESSAGE_ID_FIRST_BYTES 8
/* The id of that kind; for key || seqno the key is the one an identity
 * multihash from holds, else the message's key field. 0 when there is
 * none or cap is too small. */
size_t pubsub_message_id_of(const pubsub_message *msg, pubsub_message_id_kind kind, uint8_t *out, size_t cap);
/* The kinds' names, as scenarios, flags and metrics.json spell them
 * ("from-seqno", "key-seqno", "sha256", "first-8-bytes"), NULL-terminated
 * in kind order; the name of one kind; the kind a name means (-1: none). */
extern const char *const pubsub_message_id_names[PUBSUB_MESSAGE_ID_KIND_COUNT + 1];
const char *pubsub_message_id_name(pubsub_message_id_kind kind);
int pubsub_message_id_parse(const char *name, pubsub_message_id_kind *kind);
/* Whether the kind is made from the author's from or key and the seqno,
 * which StrictNoSign messages do not carry. */
bool pubsub_message_id_needs_author(pubsub_message_id_kind kind);

/* ---- signature policy (pubsub/README.md "Signature Policy") ------------ */

/* StrictSign: every message carries from, seqno, signature (and key when
 * from does not inline it), and unsigned ones are rejected. StrictNoSign:
 * no message carries any of the four, and one that does is rejected; what
 * names a message is then its content (sha256, first-8-bytes). Ethereum's
 * consensus layer and test-plans' gossipsub-interop run StrictNoSign. */
typedef enum pubsub_signature_policy {
    PUBSUB_STRICT_SIGN = 0,
    PUBSUB_STRICT_NO_SIGN,
    PUBSUB_SIGNATURE_POLICY_COUNT,
} pubsub_signature_policy;
/* "strict-sign", "strict-no-sign", NULL-terminated in policy order. */
extern const char *const pubsub_signature_policy_names[PUBSUB_SIGNATURE_POLICY_COUNT + 1];
const char *pubsub_signature_policy_name(pubsub_signature_policy policy);
int pubsub_signature_policy_parse(const char *name, pubsub_signature_policy *policy);
/* StrictNoSign validation: a topic, and none of from, seqno, signature or
 * key. 0, or -1 with *reason set to a short static text. */
int pubsub_message_verify_unsigned(const pubsub_message *msg, const char **reason);
/* A StrictNoSign message of our own: topic and data only (borrowed). */
void pubsub_message_make_unsigned(pubsub_outgoing *out, const char *topic, const uint8_t *data, size_t len);

#endif
