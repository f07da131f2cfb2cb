/*
 * test_fe25519: the field modulo p = 2^255 - 19. Identities that any
 * correct implementation satisfies, on values at the edges of the limb
 * bounds: canonical encodings of p + k, (p - 1)^2 = 1, x * x^-1 = 1,
 * a square root of -1, and the uncarried sums the point formulas use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/fe25519.h"

/* p + k as 32 little-endian bytes (k < 19 keeps it below 2^255). */
static void p_plus(uint8_t out[32], uint8_t k) {
    memset(out, 0xff, 32);
    out[31] = 0x7f;
    out[0] = (uint8_t)(0xed + k);
}

static void assert_encodes(const fe25519 *f, uint32_t small) {
    uint8_t got[32], want[32] = {0};
    memcpy(want, &small, sizeof small);
    fe25519_to_bytes(got, f);
    assert_memory_equal(got, want, 32);
}

static void test_values_at_or_above_p_encode_reduced(void **state) {
    (void)state;
    for (uint8_t k = 0; k < 19; k++) {
        uint8_t bytes[32];
        p_plus(bytes, k);
        fe25519 f;
        fe25519_from_bytes(&f, bytes);
        assert_encodes(&f, k);
    }
}

static void test_the_top_bit_is_ignored(void **state) {
    (void)state;
    uint8_t bytes[32] = {5};
    bytes[31] = 0x80;
    fe25519 f;
    fe25519_from_bytes(&f, bytes);
    assert_encodes(&f, 5);
}

static void test_minus_one_squared_is_one(void **state) {
    (void)state;
    fe25519 one, minus_one, sq;
    fe25519_one(&one);
    fe25519_neg(&minus_one, &one);
    uint8_t bytes[32], p_minus_1[32];
    p_plus(p_minus_1, 0);
    p_minus_1[0] = 0xec;
    fe25519_to_bytes(bytes, &minus_one);
    assert_memory_equal(bytes, p_minus_1, 32);
    fe25519_sq(&sq, &minus_one);
    assert_encodes(&sq, 1);
    assert_false(fe25519_is_negative(&minus_one)); /* p - 1 ends in 0xec: even */
}

static void test_a_value_times_its_inverse_is_one(void **state) {
    (void)state;
    uint8_t seed[randombytes_SEEDBYTES] = {3}, blob[32 * 64];
    randombytes_buf_deterministic(blob, sizeof blob, seed);
    for (int i = 0; i < 64; i++) {
        fe25519 f, inv, product;
        fe25519_from_bytes(&f, blob + 32 * i);
        if (fe25519_is_zero(&f)) continue;
        fe25519_invert(&inv, &f);
        fe25519_mul(&product, &f, &inv);
        assert_encodes(&product, 1);
    }
}

/* 2^((p-1)/4) = 2^(2 (2^252 - 3) + 1) squares to -1. */
static void test_two_to_the_quarter_is_a_square_root_of_minus_one(void **state) {
    (void)state;
    fe25519 two, t, root, sq, minus_one;
    fe25519_from_u32(&two, 2);
    fe25519_pow22523(&t, &two);
    fe25519_sq(&t, &t);
    fe25519_mul(&root, &t, &two);
    fe25519_sq(&sq, &root);
    fe25519_one(&minus_one);
    fe25519_neg(&minus_one, &minus_one);
    assert_true(fe25519_equal(&sq, &minus_one));
}

/* The largest uncarried inputs the point formulas make (limbs near
 * 2^53.6) multiply to the same value as their carried forms. */
static void test_products_of_uncarried_sums_match_carried_ones(void **state) {
    (void)state;
    uint8_t seed[randombytes_SEEDBYTES] = {4}, blob[32 * 96];
    randombytes_buf_deterministic(blob, sizeof blob, seed);
    for (int i = 0; i < 32; i++) {
        fe25519 a, b, c, wide, carried, x, y;
        fe25519_from_bytes(&a, blob + 96 * i);
        fe25519_from_bytes(&b, blob + 96 * i + 32);
        fe25519_from_bytes(&c, blob + 96 * i + 64);
        for (int k = 0; k < 5; k++) { a.v[k] |= 1ull << 50; b.v[k] = (1ull << 51) - 1; }
        fe25519 sum;
        fe25519_add_nc(&sum, &a, &a);      /* below 2^52 */
        fe25519_sub_nc(&wide, &sum, &b);   /* near 2^53.6 */
        fe25519_add_nc(&wide, &wide, &a);
        fe25519_add(&carried, &a, &a);
        fe25519_sub(&carried, &carried, &b);
        fe25519_add(&carried, &carried, &a);
        fe25519_mul(&x, &wide, &c);
        fe25519_mul(&y, &carried, &c);
        assert_true(fe25519_equal(&x, &y));
        fe25519_sq(&x, &wide);
        fe25519_sq(&y, &carried);
        assert_true(fe25519_equal(&x, &y));
        fe25519_mul(&x, &wide, &wide);
        assert_true(fe25519_equal(&x, &y));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_at_or_above_p_encode_reduced),
        cmocka_unit_test(test_the_top_bit_is_ignored),
        cmocka_unit_test(test_minus_one_squared_is_one),
        cmocka_unit_test(test_a_value_times_its_inverse_is_one),
        cmocka_unit_test(test_two_to_the_quarter_is_a_square_root_of_minus_one),
        cmocka_unit_test(test_products_of_uncarried_sums_match_carried_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
