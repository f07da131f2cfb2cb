/*
 * identity: Ed25519 keys and libp2p peer IDs (libp2p/specs peer-ids/peer-ids.md).
 *
 * A peer ID is the identity multihash (code 0x00) of the protobuf-encoded
 * public key: 0x00 0x24 || PublicKey{Type=Ed25519(1), Data=32 bytes}, 38 bytes
 * in all, written in base58btc as "12D3KooW...". Keys are made from a 32-byte
 * seed that the caller draws from the environment's randomness, so the node
 * itself never reaches for entropy.
 */
#ifndef SWARMLAB_IDENTITY_H
#define SWARMLAB_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDENTITY_SEED_BYTES 32
#define IDENTITY_PUBLIC_KEY_BYTES 32
#define IDENTITY_SECRET_KEY_BYTES 64 /* libsodium's seed || public key */
#define IDENTITY_SIGNATURE_BYTES 64
#define IDENTITY_PUBLIC_PROTO_BYTES 36  /* PublicKey protobuf of an Ed25519 key */
#define IDENTITY_PRIVATE_PROTO_BYTES 68 /* PrivateKey protobuf of an Ed25519 key */
#define PEER_ID_MAX_BYTES 64            /* room for any identity multihash we accept */
#define PEER_ID_TEXT_MAX 96             /* base58 of PEER_ID_MAX_BYTES, with NUL */

/* libp2p KeyType enum values (peer-ids.md). */
enum key_type { KEY_TYPE_RSA = 0, KEY_TYPE_ED25519 = 1, KEY_TYPE_SECP256K1 = 2, KEY_TYPE_ECDSA = 3 };

typedef struct identity {
    uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES];
    uint8_t secret_key[IDENTITY_SECRET_KEY_BYTES];
} identity;

typedef struct peer_id {
    uint8_t bytes[PEER_ID_MAX_BYTES];
    size_t len;
} peer_id;

/* Derives the key pair from a seed. */
void identity_from_seed(identity *id, const uint8_t seed[IDENTITY_SEED_BYTES]);
/* Zeroes the secret key. */
void identity_wipe(identity *id);
void identity_sign(const identity *id, const uint8_t *msg, size_t len,
                   uint8_t sig[IDENTITY_SIGNATURE_BYTES]);
/* 0 when sig is a valid Ed25519 signature of msg by public_key, else -1. */
int identity_verify(const uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES], const uint8_t *msg,
                    size_t len, const uint8_t sig[IDENTITY_SIGNATURE_BYTES]);

/* PublicKey protobuf {1: KeyType, 2: bytes}. Encode writes exactly
 * IDENTITY_PUBLIC_PROTO_BYTES. Decode accepts only Ed25519 keys of 32 bytes
 * (other key types are reported as unsupported) and returns 0 or -1. */
void identity_public_proto_encode(const uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES],
                                  uint8_t out[IDENTITY_PUBLIC_PROTO_BYTES]);
int identity_public_proto_decode(const uint8_t *in, size_t len,
                                 uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES]);
/* PrivateKey protobuf of an Ed25519 key (Data = 64 bytes: seed || public),
 * as key files and the spec's test vectors hold it. */
void identity_private_proto_encode(const identity *id, uint8_t out[IDENTITY_PRIVATE_PROTO_BYTES]);
int identity_private_proto_decode(const uint8_t *in, size_t len, identity *id);

void peer_id_from_public_key(const uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES], peer_id *out);
/* The Ed25519 public key inside an identity-multihash peer ID; 0 or -1. */
int peer_id_public_key(const peer_id *id, uint8_t public_key[IDENTITY_PUBLIC_KEY_BYTES]);
/* Accepts a binary peer ID (a multihash: identity or sha2-256), 0 or -1. */
int peer_id_from_bytes(const uint8_t *bytes, size_t len, peer_id *out);
bool peer_id_equal(const peer_id *a, const peer_id *b);
/* base58btc text; returns 0, or -1 if cap is too small. */
int peer_id_to_text(const peer_id *id, char *out, size_t cap);
/* Parses base58btc text ("12D3KooW...", "Qm..."); 0 or -1. */
int peer_id_from_text(const char *text, peer_id *out);

#endif
