/*
 * fuzz_identity: hostile bytes through every identity decoder: the PublicKey
 * and PrivateKey protobufs, binary and text peer IDs, and base58. Whatever
 * a decoder accepts must survive the trip back through its encoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base58.h"
#include "crypto/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) abort(); \
    } while (0)

enum { FUZZ_TEXT_MAX = 512 };

static void fuzz_public_proto(const uint8_t *data, size_t size) {
    uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
    if (identity_public_proto_decode(data, size, key) != 0) return;
    uint8_t proto[IDENTITY_PUBLIC_PROTO_BYTES];
    identity_public_proto_encode(key, proto);
    uint8_t again[IDENTITY_PUBLIC_KEY_BYTES];
    FUZZ_CHECK(identity_public_proto_decode(proto, sizeof proto, again) == 0);
    FUZZ_CHECK(memcmp(again, key, sizeof key) == 0);
    peer_id pid;
    peer_id_from_public_key(key, &pid);
    FUZZ_CHECK(peer_id_public_key(&pid, again) == 0);
    FUZZ_CHECK(memcmp(again, key, sizeof key) == 0);
}

static void fuzz_private_proto(const uint8_t *data, size_t size) {
    identity id;
    if (identity_private_proto_decode(data, size, &id) != 0) return;
    uint8_t proto[IDENTITY_PRIVATE_PROTO_BYTES];
    identity_private_proto_encode(&id, proto);
    identity again;
    FUZZ_CHECK(identity_private_proto_decode(proto, sizeof proto, &again) == 0);
    FUZZ_CHECK(memcmp(&again, &id, sizeof id) == 0);
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    identity_sign(&id, data, size, sig);
    FUZZ_CHECK(identity_verify(id.public_key, data, size, sig) == 0);
    identity_wipe(&id);
    identity_wipe(&again);
}

static void fuzz_peer_id_text_round_trip(const peer_id *pid) {
    char text[PEER_ID_TEXT_MAX];
    FUZZ_CHECK(peer_id_to_text(pid, text, sizeof text) == 0);
    peer_id again;
    FUZZ_CHECK(peer_id_from_text(text, &again) == 0);
    FUZZ_CHECK(peer_id_equal(&again, pid));
}

static void fuzz_base58(const char *text, size_t len) {
    uint8_t bytes[BASE58_BYTES_MAX];
    int n = base58_decode(text, len, bytes, sizeof bytes);
    if (n < 0) return;
    /* base58btc is a bijection: the decoded bytes re-encode to the text. */
    char again[BASE58_TEXT_MAX + 1];
    int m = base58_encode(bytes, (size_t)n, again, sizeof again);
    FUZZ_CHECK(m >= 0 && (size_t)m == len);
    FUZZ_CHECK(memcmp(again, text, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_public_proto(data, size);
    fuzz_private_proto(data, size);
    peer_id pid;
    if (peer_id_from_bytes(data, size, &pid) == 0) {
        FUZZ_CHECK(pid.len == size && memcmp(pid.bytes, data, size) == 0);
        fuzz_peer_id_text_round_trip(&pid);
    }
    if (size >= FUZZ_TEXT_MAX) return 0;
    char text[FUZZ_TEXT_MAX];
    memcpy(text, data, size);
    text[size] = '\0';
    if (peer_id_from_text(text, &pid) == 0) fuzz_peer_id_text_round_trip(&pid);
    fuzz_base58(text, size);
    return 0;
}
