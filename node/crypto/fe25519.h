/*
 * fe25519: arithmetic in the field of integers modulo p = 2^255 - 19, the
 * field of Ed25519's coordinates, for ed25519_verify.
 *
 * An element is five 51-bit limbs, value = sum of v[i] * 2^(51 i), in
 * 64-bit words with room above each limb; products use unsigned __int128.
 * Every operation but the _nc ones returns limbs below 2^51 + 2^18, and
 * every operation accepts limbs below 2^52. The products also accept limbs
 * up to 2^54, which lets hot formulas skip the carries of their sums (the
 * _nc operations; their callers state the bounds).
 *
 * VARIABLE TIME: branches and running times depend on the values. That is
 * safe only for public data (public keys, signatures, message hashes);
 * nothing secret may pass through this module. Signing stays in libsodium.
 */
#ifndef SWARMLAB_FE25519_H
#define SWARMLAB_FE25519_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct fe25519 {
    uint64_t v[5];
} fe25519;

/* The low 255 bits of s (little-endian); the top bit is ignored. */
void fe25519_from_bytes(fe25519 *h, const uint8_t s[32]);
/* The canonical encoding: the value reduced below p, little-endian. */
void fe25519_to_bytes(uint8_t s[32], const fe25519 *f);

/* f^(p-2), the inverse of f (0 for 0). */
void fe25519_invert(fe25519 *h, const fe25519 *f);
/* f^((p-5)/8) = f^(2^252 - 3), the core of a square root. */
void fe25519_pow22523(fe25519 *h, const fe25519 *f);

bool fe25519_is_zero(const fe25519 *f);
bool fe25519_equal(const fe25519 *f, const fe25519 *g);
/* Whether the canonical value is odd: the "sign" of an x coordinate. */
bool fe25519_is_negative(const fe25519 *f);

/* ---- the hot operations, inline so point formulas interleave them ---- */

#define FE25519_MASK51 ((1ull << 51) - 1)
/* gcc declines to inline the multiplication on its own, and a call per
 * product costs a third of a verification. */
#define FE25519_INLINE static inline __attribute__((always_inline))

/* One pass of carries, the top one folded back as 2^255 = 19 (mod p).
 * Limbs below 2^63 come out below 2^51, but for v[0], which stays below
 * 2^51 + 19 * 2^12. */
FE25519_INLINE void fe25519_carry_(fe25519 *h) {
    uint64_t c;
    c = h->v[0] >> 51; h->v[0] &= FE25519_MASK51; h->v[1] += c;
    c = h->v[1] >> 51; h->v[1] &= FE25519_MASK51; h->v[2] += c;
    c = h->v[2] >> 51; h->v[2] &= FE25519_MASK51; h->v[3] += c;
    c = h->v[3] >> 51; h->v[3] &= FE25519_MASK51; h->v[4] += c;
    c = h->v[4] >> 51; h->v[4] &= FE25519_MASK51; h->v[0] += 19 * c;
}

typedef unsigned __int128 fe25519_u128_;

FE25519_INLINE void fe25519_zero(fe25519 *h) { memset(h, 0, sizeof *h); }

FE25519_INLINE void fe25519_from_u32(fe25519 *h, uint32_t n) {
    fe25519_zero(h);
    h->v[0] = n;
}

FE25519_INLINE void fe25519_one(fe25519 *h) { fe25519_from_u32(h, 1); }

FE25519_INLINE void fe25519_add(fe25519 *h, const fe25519 *f, const fe25519 *g) {
    for (int i = 0; i < 5; i++) h->v[i] = f->v[i] + g->v[i];
    fe25519_carry_(h);
}

/* f + 4p - g: 4p's limbs exceed any g below 2^52, so nothing underflows. */
FE25519_INLINE void fe25519_sub(fe25519 *h, const fe25519 *f, const fe25519 *g) {
    const uint64_t four_p0 = 4 * ((1ull << 51) - 19), four_pi = 4 * FE25519_MASK51;
    assert(g->v[0] < four_p0);
    h->v[0] = f->v[0] + four_p0 - g->v[0];
    for (int i = 1; i < 5; i++) h->v[i] = f->v[i] + four_pi - g->v[i];
    fe25519_carry_(h);
}

/* f + g without carries: limbs below the sum of the inputs' bounds. */
FE25519_INLINE void fe25519_add_nc(fe25519 *h, const fe25519 *f, const fe25519 *g) {
    for (int i = 0; i < 5; i++) h->v[i] = f->v[i] + g->v[i];
}

/* f + 4p - g without carries, for g below 2^53 - 76: limbs below f's
 * bound plus 2^53. */
FE25519_INLINE void fe25519_sub_nc(fe25519 *h, const fe25519 *f, const fe25519 *g) {
    const uint64_t four_p0 = 4 * ((1ull << 51) - 19), four_pi = 4 * FE25519_MASK51;
    h->v[0] = f->v[0] + four_p0 - g->v[0];
    for (int i = 1; i < 5; i++) h->v[i] = f->v[i] + four_pi - g->v[i];
}

FE25519_INLINE void fe25519_neg(fe25519 *h, const fe25519 *f) {
    fe25519 zero;
    fe25519_zero(&zero);
    fe25519_sub(h, &zero, f);
}

/* The five 128-bit column sums of a product, carried into limbs. */
FE25519_INLINE void fe25519_reduce_(fe25519 *h, fe25519_u128_ r0, fe25519_u128_ r1, fe25519_u128_ r2,
                                   fe25519_u128_ r3, fe25519_u128_ r4) {
    r1 += (uint64_t)(r0 >> 51);
    r2 += (uint64_t)(r1 >> 51);
    r3 += (uint64_t)(r2 >> 51);
    r4 += (uint64_t)(r3 >> 51);
    uint64_t c = (uint64_t)(r4 >> 51);
    h->v[0] = ((uint64_t)r0 & FE25519_MASK51) + 19 * c;
    h->v[1] = (uint64_t)r1 & FE25519_MASK51;
    h->v[2] = (uint64_t)r2 & FE25519_MASK51;
    h->v[3] = (uint64_t)r3 & FE25519_MASK51;
    h->v[4] = (uint64_t)r4 & FE25519_MASK51;
    h->v[1] += h->v[0] >> 51;
    h->v[0] &= FE25519_MASK51;
}

/* Schoolbook product; a limb product that reaches 2^255 comes back times
 * 19. With limbs below 2^54 every column stays below 2^115, and the top
 * carry times 19 below 2^64. */
FE25519_INLINE void fe25519_mul(fe25519 *h, const fe25519 *f, const fe25519 *g) {
    typedef fe25519_u128_ w;
    const uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    const uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
    const uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    w r0 = (w)f0 * g0 + (w)f1 * g4_19 + (w)f2 * g3_19 + (w)f3 * g2_19 + (w)f4 * g1_19;
    w r1 = (w)f0 * g1 + (w)f1 * g0 + (w)f2 * g4_19 + (w)f3 * g3_19 + (w)f4 * g2_19;
    w r2 = (w)f0 * g2 + (w)f1 * g1 + (w)f2 * g0 + (w)f3 * g4_19 + (w)f4 * g3_19;
    w r3 = (w)f0 * g3 + (w)f1 * g2 + (w)f2 * g1 + (w)f3 * g0 + (w)f4 * g4_19;
    w r4 = (w)f0 * g4 + (w)f1 * g3 + (w)f2 * g2 + (w)f3 * g1 + (w)f4 * g0;
    fe25519_reduce_(h, r0, r1, r2, r3, r4);
}

/* f^2 with 15 limb products instead of 25: each cross term once, doubled. */
FE25519_INLINE void fe25519_sq(fe25519 *h, const fe25519 *f) {
    typedef fe25519_u128_ w;
    const uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    const uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1, f2_2 = 2 * f2, f3_2 = 2 * f3;
    const uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
    w r0 = (w)f0 * f0 + (w)f1_2 * f4_19 + (w)f2_2 * f3_19;
    w r1 = (w)f0_2 * f1 + (w)f2_2 * f4_19 + (w)f3 * f3_19;
    w r2 = (w)f0_2 * f2 + (w)f1 * f1 + (w)f3_2 * f4_19;
    w r3 = (w)f0_2 * f3 + (w)f1_2 * f2 + (w)f4 * f4_19;
    w r4 = (w)f0_2 * f4 + (w)f1_2 * f3 + (w)f2 * f2;
    fe25519_reduce_(h, r0, r1, r2, r3, r4);
}

#endif
