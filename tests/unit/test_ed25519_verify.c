/*
 * test_ed25519_verify: the comb-table verifier accepts exactly what
 * libsodium's crypto_sign_verify_detached accepts. Each test builds inputs
 * of one kind (valid signatures, flipped bits, non-canonical scalars and
 * points, small-order points, keys with a torsion component) and asserts
 * that both verifiers give the same answer, and which answer that is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/ed25519_verify.h"
#include "vectors.h"

enum { MSG_MAX = 1200 };

typedef struct signer {
    uint8_t pk[32], sk[64];
} signer;

static void signer_from_index(signer *s, uint32_t index) {
    uint8_t seed[32] = {0};
    memcpy(seed, &index, sizeof index);
    seed[31] = 0x5a;
    crypto_sign_seed_keypair(s->pk, s->sk, seed);
}

/* Deterministic message bytes. */
static void fill(uint8_t *msg, size_t len, uint32_t salt) {
    for (size_t i = 0; i < len; i++) msg[i] = (uint8_t)(i * 31 + salt * 7 + (i >> 8));
}

/* Signer index signs len bytes of fill(salt) into msg: a valid signature. */
static void sign_filled(signer *s, uint32_t index, uint8_t *msg, size_t len, uint32_t salt, uint8_t sig[64]) {
    signer_from_index(s, index);
    fill(msg, len, salt);
    crypto_sign_detached(sig, NULL, msg, len, s->sk);
}

static int sodium_says(const uint8_t pk[32], const uint8_t *m, size_t len, const uint8_t sig[64]) {
    return crypto_sign_verify_detached(sig, m, len, pk) == 0 ? 0 : -1;
}

/* Both verifiers (cached path included) agree; returns their answer. */
static int agreed(const uint8_t pk[32], const uint8_t *m, size_t len, const uint8_t sig[64]) {
    int expected = sodium_says(pk, m, len, sig);
    assert_int_equal(ed25519_verify_uncached(pk, m, len, sig), expected);
    for (int round = 0; round < 3; round++) /* candidate, table built, table hit */
        assert_int_equal(ed25519_verify(pk, m, len, sig), expected);
    return expected;
}

static void test_rfc8032_test1_verifies(void **state) {
    (void)state;
    uint8_t pk[32], sig[64];
    size_t len;
    assert_int_equal(vectors_hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", pk,
                                        sizeof pk, &len), 0);
    assert_int_equal(vectors_hex_decode("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590"
                                        "a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
                                        sig, sizeof sig, &len), 0);
    assert_int_equal(agreed(pk, NULL, 0, sig), 0);
    sig[0] ^= 1;
    assert_int_equal(agreed(pk, NULL, 0, sig), -1);
}

static void test_valid_signatures_of_every_length_verify(void **state) {
    (void)state;
    static uint8_t msg[MSG_MAX];
    for (uint32_t i = 0; i < 64; i++) {
        signer s;
        signer_from_index(&s, i % 8);
        size_t len = (i * 97) % MSG_MAX;
        fill(msg, len, i);
        uint8_t sig[64];
        crypto_sign_detached(sig, NULL, msg, len, s.sk);
        assert_int_equal(agreed(s.pk, msg, len, sig), 0);
    }
}

/* Every single-bit change of R, s, the key or the message is refused. */
static void test_every_flipped_bit_is_refused(void **state) {
    (void)state;
    uint8_t msg[300], sig[64];
    signer s;
    sign_filled(&s, 42, msg, sizeof msg, 3, sig);
    for (int bit = 0; bit < 512; bit++) {
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(agreed(s.pk, msg, sizeof msg, sig), -1);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (int bit = 0; bit < 256; bit++) {
        s.pk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(agreed(s.pk, msg, sizeof msg, sig), -1);
        s.pk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (int bit = 0; bit < 64; bit++) {
        msg[bit] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(agreed(s.pk, msg, sizeof msg, sig), -1);
        msg[bit] ^= (uint8_t)(1u << (bit % 8));
    }
    assert_int_equal(agreed(s.pk, msg, sizeof msg, sig), 0);
}

/* s + L is the same scalar mod L, but not canonical: refused (malleability). */
static void test_a_scalar_at_or_above_the_group_order_is_refused(void **state) {
    (void)state;
    static const uint8_t order[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                      0xa2, 0xde, 0xf9, 0xde, 0x14, [31] = 0x10};
    uint8_t msg[40], sig[64];
    signer s;
    sign_filled(&s, 7, msg, sizeof msg, 9, sig);
    uint8_t plus_l[32];
    memcpy(plus_l, sig + 32, 32);
    sodium_add(plus_l, order, 32);
    uint8_t forged[64];
    memcpy(forged, sig, 32);
    memcpy(forged + 32, plus_l, 32);
    assert_int_equal(agreed(s.pk, msg, sizeof msg, forged), -1);
    memcpy(forged + 32, order, 32); /* s = L exactly */
    assert_int_equal(agreed(s.pk, msg, sizeof msg, forged), -1);
    assert_int_equal(agreed(s.pk, msg, sizeof msg, sig), 0);
}

/* The encodings of small-order points: y in {0, 1, -1, y8, -y8}, plus
 * y = p and p + 1 (non-canonical 0 and 1), each with either x sign. */
static size_t small_order_encodings(uint8_t out[16][32]) {
    static const uint8_t y8[32] = {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
                                   0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
                                   0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};
    uint8_t ys[7][32] = {{0}, {1}};
    memset(ys[2], 0xff, 32);
    ys[2][0] = 0xec;
    ys[2][31] = 0x7f; /* p - 1 */
    memcpy(ys[3], ys[2], 32);
    ys[3][0] = 0xed; /* p */
    memcpy(ys[4], ys[2], 32);
    ys[4][0] = 0xee; /* p + 1 */
    memcpy(ys[5], y8, 32);
    /* -y8 = p - y8 */
    uint8_t p[32];
    memcpy(p, ys[3], 32);
    memcpy(ys[6], p, 32);
    sodium_sub(ys[6], y8, 32);
    size_t n = 0;
    for (int i = 0; i < 7; i++) {
        memcpy(out[n++], ys[i], 32);
        memcpy(out[n], ys[i], 32);
        out[n++][31] |= 0x80;
    }
    return n;
}

/* y8 really is the y of a point of order 8: 8P is the identity, 4P not. */
static void test_the_order_8_point_has_order_8(void **state) {
    (void)state;
    uint8_t encodings[16][32];
    small_order_encodings(encodings);
    static const uint8_t identity[32] = {1};
    uint8_t p[32];
    memcpy(p, encodings[10], 32); /* y8, x even */
    for (int i = 0; i < 2; i++) assert_int_equal(crypto_core_ed25519_add(p, p, p), 0); /* 4P */
    assert_memory_not_equal(p, identity, 32);
    assert_int_equal(crypto_core_ed25519_add(p, p, p), 0); /* 8P */
    assert_memory_equal(p, identity, 32);
}

static void test_small_order_r_or_key_is_refused(void **state) {
    (void)state;
    uint8_t encodings[16][32], msg[64], sig[64];
    size_t n = small_order_encodings(encodings);
    assert_int_equal(n, 14);
    signer s;
    sign_filled(&s, 11, msg, sizeof msg, 1, sig);
    for (size_t i = 0; i < n; i++) {
        uint8_t forged[64];
        memcpy(forged, encodings[i], 32);
        memcpy(forged + 32, sig + 32, 32);
        assert_int_equal(agreed(s.pk, msg, sizeof msg, forged), -1);
        /* A small-order key with s = 0 and R = identity would satisfy
         * the equation [0]B - [h]A = R for some h: refused before it. */
        uint8_t zero_s[64] = {1};
        assert_int_equal(agreed(encodings[i], msg, sizeof msg, zero_s), -1);
        assert_int_equal(agreed(encodings[i], msg, sizeof msg, sig), -1);
    }
}

/* A key whose y is p + k (k >= 2) is non-canonical, and one whose y gives
 * no x is not a point: both refused, as libsodium refuses them. */
static void test_non_canonical_and_off_curve_keys_are_refused(void **state) {
    (void)state;
    uint8_t msg[16], sig[64];
    signer s;
    sign_filled(&s, 12, msg, sizeof msg, 5, sig);
    int off_curve = 0;
    for (int k = 2; k < 19; k++) {
        uint8_t pk[32];
        memset(pk, 0xff, 32);
        pk[31] = 0x7f;
        pk[0] = (uint8_t)(0xed + k);
        assert_int_equal(agreed(pk, msg, sizeof msg, sig), -1);
    }
    for (uint32_t y = 2; y < 40; y++) {
        uint8_t pk[32] = {0};
        memcpy(pk, &y, sizeof y);
        if (crypto_core_ed25519_is_valid_point(pk) == 0) off_curve += 1;
        assert_int_equal(agreed(pk, msg, sizeof msg, sig), -1);
    }
    assert_true(off_curve > 10); /* the loop did meet keys that are no point */
}

/* A scalar mod L from a label: deterministic, unlike scalar_random. */
static void scalar_from_label(uint8_t out[32], uint32_t label) {
    uint8_t digest[64];
    crypto_hash_sha512(digest, (const uint8_t *)&label, sizeof label);
    crypto_core_ed25519_scalar_reduce(out, digest);
}

/* A key A' = A + T (T of order 8) still verifies, cofactorless, exactly
 * when h T is the identity, i.e. when 8 divides h: both verifiers accept
 * those and refuse the others. */
static void test_a_key_with_a_torsion_component_verifies_as_libsodium_does(void **state) {
    (void)state;
    uint8_t encodings[16][32];
    small_order_encodings(encodings);
    uint8_t a[32], r[32], A[32], R[32], mixed[32];
    scalar_from_label(a, 0xa11ce);
    assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(A, a), 0);
    assert_int_equal(crypto_core_ed25519_add(mixed, A, encodings[10]), 0);
    int accepted = 0, refused = 0;
    for (uint32_t i = 0; i < 96; i++) {
        uint8_t msg[8], digest[64], h[32], sig[64], t[32];
        memcpy(msg, &i, sizeof i);
        memset(msg + 4, 0x33, 4);
        scalar_from_label(r, i);
        assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(R, r), 0);
        crypto_hash_sha512_state st;
        crypto_hash_sha512_init(&st);
        crypto_hash_sha512_update(&st, R, 32);
        crypto_hash_sha512_update(&st, mixed, 32);
        crypto_hash_sha512_update(&st, msg, sizeof msg);
        crypto_hash_sha512_final(&st, digest);
        crypto_core_ed25519_scalar_reduce(h, digest);
        crypto_core_ed25519_scalar_mul(t, h, a);
        memcpy(sig, R, 32);
        crypto_core_ed25519_scalar_add(sig + 32, r, t); /* s = r + h a */
        int rc = agreed(mixed, msg, sizeof msg, sig);
        assert_int_equal(rc, (h[0] % 8 == 0) ? 0 : -1);
        if (rc == 0) accepted++;
        else refused++;
    }
    assert_true(accepted > 0);
    assert_true(refused > 0);
}

/* Random keys (points or not) and random signatures: the same answers. */
static void test_random_inputs_get_libsodiums_answers(void **state) {
    (void)state;
    uint8_t seed[randombytes_SEEDBYTES] = {9};
    uint8_t blob[96 * 256];
    randombytes_buf_deterministic(blob, sizeof blob, seed);
    static const uint8_t identity[32] = {1};
    int points = 0;
    for (int i = 0; i < 256; i++) {
        uint8_t *pk = blob + 96 * i, *sig = pk + 32, sum[32];
        sig[63] &= 0x0f; /* often below L, so the curve arithmetic runs */
        pk[31] &= 0x7f;  /* canonical but for a handful */
        if (crypto_core_ed25519_add(sum, pk, identity) == 0) points++; /* decodes */
        assert_int_equal(agreed(pk, pk, 16, sig), -1);
    }
    assert_true(points > 64); /* about half of all y are on the curve */
}

/* A key gets a table on its second sighting; one-off keys never take a
 * busy key's place, and a full set evicts its least recently used key. */
static void test_the_key_cache_admits_keys_seen_twice(void **state) {
    (void)state;
    ed25519_verify_forget();
    ed25519_verify_stats before, after;
    ed25519_verify_get_stats(&before);
    uint8_t msg[32], sig[64];
    fill(msg, sizeof msg, 77);
    signer busy;
    signer_from_index(&busy, 1000);
    crypto_sign_detached(sig, NULL, msg, sizeof msg, busy.sk);
    assert_int_equal(ed25519_verify(busy.pk, msg, sizeof msg, sig), 0); /* candidate */
    assert_int_equal(ed25519_verify(busy.pk, msg, sizeof msg, sig), 0); /* table built */
    assert_int_equal(ed25519_verify(busy.pk, msg, sizeof msg, sig), 0); /* hit */
    ed25519_verify_get_stats(&after);
    assert_int_equal(after.checks - before.checks, 3);
    assert_int_equal(after.tables_built - before.tables_built, 1);
    assert_int_equal(after.table_hits - before.table_hits, 1);
    for (uint32_t i = 0; i < 2000; i++) { /* one-off keys */
        signer once;
        signer_from_index(&once, 5000 + i);
        crypto_sign_detached(sig, NULL, msg, sizeof msg, once.sk);
        assert_int_equal(ed25519_verify(once.pk, msg, sizeof msg, sig), 0);
    }
    crypto_sign_detached(sig, NULL, msg, sizeof msg, busy.sk);
    ed25519_verify_get_stats(&before);
    assert_int_equal(before.tables_built, after.tables_built);
    assert_int_equal(before.evictions, after.evictions);
    assert_int_equal(ed25519_verify(busy.pk, msg, sizeof msg, sig), 0);
    ed25519_verify_get_stats(&after);
    assert_int_equal(after.table_hits - before.table_hits, 1);
    ed25519_verify_forget();
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032_test1_verifies),
        cmocka_unit_test(test_valid_signatures_of_every_length_verify),
        cmocka_unit_test(test_every_flipped_bit_is_refused),
        cmocka_unit_test(test_a_scalar_at_or_above_the_group_order_is_refused),
        cmocka_unit_test(test_the_order_8_point_has_order_8),
        cmocka_unit_test(test_small_order_r_or_key_is_refused),
        cmocka_unit_test(test_non_canonical_and_off_curve_keys_are_refused),
        cmocka_unit_test(test_a_key_with_a_torsion_component_verifies_as_libsodium_does),
        cmocka_unit_test(test_random_inputs_get_libsodiums_answers),
        cmocka_unit_test(test_the_key_cache_admits_keys_seen_twice),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    ed25519_verify_forget();
    return failed;
}
