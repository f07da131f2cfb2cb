/*
 * fuzz_ed25519: the comb-table verifier against libsodium's
 * crypto_sign_verify_detached. Any input where the two disagree aborts.
 * The first byte picks the shape: even, the rest is a raw key, signature
 * and message; odd, the rest seeds a key pair that signs the message, and
 * the next two bytes then flip one bit of the signature or of the key
 * (or nothing), so valid signatures and near misses are explored too.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ed25519_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) abort(); \
    } while (0)

static void check_agreement(const uint8_t pk[32], const uint8_t *msg, size_t len, const uint8_t sig[64]) {
    int sodium = crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : -1;
    FUZZ_CHECK(ed25519_verify_uncached(pk, msg, len, sig) == sodium);
    FUZZ_CHECK(ed25519_verify(pk, msg, len, sig) == sodium);
}

static void fuzz_raw(const uint8_t *data, size_t size) {
    if (size < 96) return;
    check_agreement(data, data + 96, size - 96, data + 32);
}

static void fuzz_signed(const uint8_t *data, size_t size) {
    if (size < 34) return;
    uint8_t pk[32], sk[64], sig[64];
    crypto_sign_seed_keypair(pk, sk, data);
    uint8_t where = data[32], bit = data[33];
    const uint8_t *msg = data + 34;
    size_t len = size - 34;
    crypto_sign_detached(sig, NULL, msg, len, sk);
    sodium_memzero(sk, sizeof sk);
    if (where < 64) sig[where] ^= (uint8_t)(1u << (bit % 8));
    else if (where < 96) pk[where - 64] ^= (uint8_t)(1u << (bit % 8));
    check_agreement(pk, msg, len, sig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (sodium_init() < 0) abort();
    if (size < 1) return 0;
    if (data[0] % 2 == 0) fuzz_raw(data + 1, size - 1);
    else fuzz_signed(data + 1, size - 1);
    return 0;
}
