/* fe25519: the field modulo 2^255 - 19. See fe25519.h. */
#include "fe25519.h"

#include <assert.h>
#include <string.h>

#define MASK51 FE25519_MASK51

static uint64_t load64_le(const uint8_t *s) {
    uint64_t w = 0;
    for (int i = 7; i >= 0; i--) w = (w << 8) | s[i];
    return w;
}

static void store64_le(uint8_t *s, uint64_t w) {
    for (int i = 0; i < 8; i++, w >>= 8) s[i] = (uint8_t)w;
}





void fe25519_from_bytes(fe25519 *h, const uint8_t s[32]) {
    /* Limb i starts at bit 51 i: bytes 0, 6, 12, 19 and 24, shifted. */
    h->v[0] = load64_le(s) & MASK51;
    h->v[1] = (load64_le(s + 6) >> 3) & MASK51;
    h->v[2] = (load64_le(s + 12) >> 6) & MASK51;
    h->v[3] = (load64_le(s + 19) >> 1) & MASK51;
    h->v[4] = (load64_le(s + 24) >> 12) & MASK51;
}

void fe25519_to_bytes(uint8_t s[32], const fe25519 *f) {
    fe25519 t = *f;
    /* Two passes leave every limb below 2^51: the value is below 2^255. */
    fe25519_carry_(&t);
    fe25519_carry_(&t);
    /* q = 1 exactly when t >= p, that is when t + 19 carries out of 2^255. */
    uint64_t q = (t.v[0] + 19) >> 51;
    for (int i = 1; i < 5; i++) q = (t.v[i] + q) >> 51;
    t.v[0] += 19 * q; /* t - q p = t + 19 q - q 2^255 */
    for (int i = 0; i < 4; i++) {
        t.v[i + 1] += t.v[i] >> 51;
        t.v[i] &= MASK51;
    }
    t.v[4] &= MASK51; /* drops the 2^255 */
    store64_le(s, t.v[0] | t.v[1] << 51);
    store64_le(s + 8, t.v[1] >> 13 | t.v[2] << 38);
    store64_le(s + 16, t.v[2] >> 26 | t.v[3] << 25);
    store64_le(s + 24, t.v[3] >> 39 | t.v[4] << 12);
}






static void sq_times(fe25519 *h, const fe25519 *f, int n) {
    assert(n >= 1);
    fe25519_sq(h, f);
    for (int i = 1; i < n; i++) fe25519_sq(h, h);
}

/* f^(2^250 - 1) and f^11, the common trunk of both exponentiations. */
static void pow_2_250_1(fe25519 *out, fe25519 *f11, const fe25519 *f) {
    fe25519 f2, f9, t, e5, e10, e20, e40, e50, e100, e200;
    fe25519_sq(&f2, f);                 /* 2 */
    sq_times(&t, &f2, 2);               /* 8 */
    fe25519_mul(&f9, &t, f);            /* 9 */
    fe25519_mul(f11, &f9, &f2);         /* 11 */
    fe25519_sq(&t, f11);                /* 22 */
    fe25519_mul(&e5, &t, &f9);          /* 31 = 2^5 - 1 */
    sq_times(&t, &e5, 5);
    fe25519_mul(&e10, &t, &e5);         /* 2^10 - 1 */
    sq_times(&t, &e10, 10);
    fe25519_mul(&e20, &t, &e10);        /* 2^20 - 1 */
    sq_times(&t, &e20, 20);
    fe25519_mul(&e40, &t, &e20);        /* 2^40 - 1 */
    sq_times(&t, &e40, 10);
    fe25519_mul(&e50, &t, &e10);        /* 2^50 - 1 */
    sq_times(&t, &e50, 50);
    fe25519_mul(&e100, &t, &e50);       /* 2^100 - 1 */
    sq_times(&t, &e100, 100);
    fe25519_mul(&e200, &t, &e100);      /* 2^200 - 1 */
    sq_times(&t, &e200, 50);
    fe25519_mul(out, &t, &e50);         /* 2^250 - 1 */
}

void fe25519_invert(fe25519 *h, const fe25519 *f) {
    fe25519 e250, f11, t;
    pow_2_250_1(&e250, &f11, f);
    sq_times(&t, &e250, 5);             /* 2^255 - 32 */
    fe25519_mul(h, &t, &f11);           /* 2^255 - 21 = p - 2 */
}

void fe25519_pow22523(fe25519 *h, const fe25519 *f) {
    fe25519 e250, f11, t;
    pow_2_250_1(&e250, &f11, f);
    sq_times(&t, &e250, 2);             /* 2^252 - 4 */
    fe25519_mul(h, &t, f);              /* 2^252 - 3 */
}

bool fe25519_is_zero(const fe25519 *f) {
    uint8_t s[32], acc = 0;
    fe25519_to_bytes(s, f);
    for (int i = 0; i < 32; i++) acc |= s[i];
    return acc == 0;
}

bool fe25519_equal(const fe25519 *f, const fe25519 *g) {
    fe25519 d;
    fe25519_sub(&d, f, g);
    return fe25519_is_zero(&d);
}

bool fe25519_is_negative(const fe25519 *f) {
    uint8_t s[32];
    fe25519_to_bytes(s, f);
    return (s[0] & 1) != 0;
}
