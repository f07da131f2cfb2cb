/* ed25519_verify: comb-table Ed25519 verification. See ed25519_verify.h.
 *
 * Points are in extended twisted Edwards coordinates (X : Y : Z : T), with
 * x = X/Z, y = Y/Z, xy = T/Z, on -x^2 + y^2 = 1 + d x^2 y^2; the addition
 * and doubling formulas are Hisil, Wong, Carter and Dawson's (2008) for
 * a = -1, which are complete on this curve. Table entries are affine, as
 * (y + x, y - x, 2d xy), so adding one costs seven multiplications. */
#include "ed25519_verify.h"

#include <assert.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fe25519.h"

/* Scalars (below 2^253) are 51 signed radix-32 digits e_i in [-16, 16].
 * Digit i = 3j + r is added from row j (multiples k 2^(15 j) P, k = 1..16)
 * in pass r; five doublings between passes give it its 32^r. Radix 32
 * takes about 99 additions a check against 120 for radix 16, for tables
 * twice as large (272 points). */
#define DIGIT_BITS 5
#define SCALAR_DIGITS 51 /* 255 bits */
#define COMB_PASSES 3
#define COMB_ROWS 17 /* SCALAR_DIGITS / COMB_PASSES */
#define COMB_MULTIPLES 16
_Static_assert(COMB_ROWS * COMB_PASSES == SCALAR_DIGITS, "every digit has a row and a pass");
_Static_assert(COMB_MULTIPLES == 1 << (DIGIT_BITS - 1), "signed digits reach half the radix");

typedef struct ge_ext {
    fe25519 X, Y, Z, T;
} ge_ext;

typedef struct ge_niels {
    fe25519 ypx, ymx, t2d;
} ge_niels;

typedef struct comb_table {
    ge_niels p[COMB_ROWS][COMB_MULTIPLES];
} comb_table;

/* ---- constants -------------------------------------------------------- */

/* The group order L = 2^252 + 27742317777372353535851937790883648493. */
static const uint8_t group_order[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

/* A y coordinate of the points of order 8 (the other is p minus it); the
 * tests check that the point has order exactly 8. */
static const uint8_t order8_y[32] = {
    0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
    0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};

static struct {
    bool ready;
    fe25519 d, d2, sqrtm1;
    comb_table base; /* B's multiples */
    /* The canonical y of the small-order points: 0, -0 (= 0), 1, -1, y8, -y8. */
    uint8_t small_order_y[6][32];
} curve;

/* ---- points ----------------------------------------------------------- */

static void ge_identity(ge_ext *p) {
    fe25519_zero(&p->X);
    fe25519_one(&p->Y);
    fe25519_one(&p->Z);
    fe25519_zero(&p->T);
}

static void ge_neg(ge_ext *p) {
    fe25519_neg(&p->X, &p->X);
    fe25519_neg(&p->T, &p->T);
}

/* r = 2p (r may be p). Inputs are products (limbs below 2^51 + 2^18),
 * so the uncarried sums stay below 2^53.6, which products accept. */
static void ge_dbl(ge_ext *r, const ge_ext *p) {
    fe25519 a, b, c, e, f, g, h, t;
    fe25519_sq(&a, &p->X);
    fe25519_sq(&b, &p->Y);
    fe25519_sq(&c, &p->Z);
    fe25519_add_nc(&c, &c, &c);      /* < 2^52.1 */
    fe25519_add_nc(&h, &a, &b);      /* < 2^52.1 */
    fe25519_add_nc(&t, &p->X, &p->Y);
    fe25519_sq(&t, &t);
    fe25519_sub_nc(&e, &h, &t);      /* < 2^53.6 */
    fe25519_sub_nc(&g, &a, &b);      /* < 2^53.1 */
    fe25519_add_nc(&f, &c, &g);      /* < 2^53.6 */
    fe25519_mul(&r->X, &e, &f);
    fe25519_mul(&r->Y, &g, &h);
    fe25519_mul(&r->T, &e, &h);
    fe25519_mul(&r->Z, &f, &g);
}

/* The common tail of both additions: a = (Y1-X1)(y2-x2), b = (Y1+X1)(y2+x2),
 * c = T1 2d t2, zz = 2 Z1 z2; c is subtracted from zz, or added when
 * negate. a, b and c are products and zz a sum of two, so the uncarried
 * results stay below 2^53.6. */
static void ge_add_tail(ge_ext *r, const fe25519 *a, const fe25519 *b, const fe25519 *c, const fe25519 *zz,
                        bool negate) {
    fe25519 e, f, g, h;
    fe25519_sub_nc(&e, b, a);
    if (negate) {
        fe25519_add_nc(&f, zz, c);
        fe25519_sub_nc(&g, zz, c);
    } else {
        fe25519_sub_nc(&f, zz, c);
        fe25519_add_nc(&g, zz, c);
    }
    fe25519_add_nc(&h, b, a);
    fe25519_mul(&r->X, &e, &f);
    fe25519_mul(&r->Y, &g, &h);
    fe25519_mul(&r->T, &e, &h);
    fe25519_mul(&r->Z, &f, &g);
}

/* r = p + q for two extended points (r may alias either). */
static void ge_add(ge_ext *r, const ge_ext *p, const ge_ext *q) {
    fe25519 s1, s2, a, b, c, zz;
    fe25519_sub(&s1, &p->Y, &p->X);
    fe25519_sub(&s2, &q->Y, &q->X);
    fe25519_mul(&a, &s1, &s2);
    fe25519_add(&s1, &p->Y, &p->X);
    fe25519_add(&s2, &q->Y, &q->X);
    fe25519_mul(&b, &s1, &s2);
    fe25519_mul(&c, &p->T, &q->T);
    fe25519_mul(&c, &c, &curve.d2);
    fe25519_mul(&zz, &p->Z, &q->Z);
    fe25519_add(&zz, &zz, &zz);
    ge_add_tail(r, &a, &b, &c, &zz, false);
}

/* p += q, or p -= q when negate: -(x, y) = (-x, y) swaps y+x with y-x
 * and negates 2d xy. p's coordinates are products, so the uncarried
 * differences and sums stay below 2^53.1. */
static void ge_madd(ge_ext *p, const ge_niels *q, bool negate) {
    fe25519 s, a, b, c, zz;
    fe25519_sub_nc(&s, &p->Y, &p->X);
    fe25519_mul(&a, &s, negate ? &q->ypx : &q->ymx);
    fe25519_add_nc(&s, &p->Y, &p->X);
    fe25519_mul(&b, &s, negate ? &q->ymx : &q->ypx);
    fe25519_mul(&c, &p->T, &q->t2d);
    fe25519_add_nc(&zz, &p->Z, &p->Z);
    ge_add_tail(p, &a, &b, &c, &zz, negate);
}

static void ge_encode(uint8_t s[32], const ge_ext *p) {
    fe25519 zi, x, y;
    fe25519_invert(&zi, &p->Z);
    fe25519_mul(&x, &p->X, &zi);
    fe25519_mul(&y, &p->Y, &zi);
    fe25519_to_bytes(s, &y);
    s[31] ^= (uint8_t)(fe25519_is_negative(&x) << 7);
}

/* The point whose encoding is s (y in the low 255 bits, x's sign on top):
 * x^2 = u / v with u = y^2 - 1, v = d y^2 + 1, found as
 * x = u v^3 (u v^7)^((p-5)/8), times sqrt(-1) when that squares to -u/v.
 * -1 when neither works (no such point). y is taken mod p; callers that
 * care reject non-canonical encodings first. */
static int ge_decode(ge_ext *p, const uint8_t s[32]) {
    fe25519 one, y2, u, v, v3, x, check;
    fe25519_one(&one);
    fe25519_from_bytes(&p->Y, s);
    fe25519_sq(&y2, &p->Y);
    fe25519_sub(&u, &y2, &one);
    fe25519_mul(&v, &y2, &curve.d);
    fe25519_add(&v, &v, &one);
    fe25519_sq(&v3, &v);
    fe25519_mul(&v3, &v3, &v);
    fe25519_sq(&x, &v3);
    fe25519_mul(&x, &x, &v);
    fe25519_mul(&x, &x, &u); /* u v^7 */
    fe25519_pow22523(&x, &x);
    fe25519_mul(&x, &x, &v3);
    fe25519_mul(&x, &x, &u);
    fe25519_sq(&check, &x);
    fe25519_mul(&check, &check, &v);
    if (!fe25519_equal(&check, &u)) {
        fe25519_add(&check, &check, &u);
        if (!fe25519_is_zero(&check)) return -1;
        fe25519_mul(&x, &x, &curve.sqrtm1);
    }
    if (fe25519_is_negative(&x) != ((s[31] >> 7) != 0)) fe25519_neg(&x, &x);
    p->X = x;
    fe25519_one(&p->Z);
    fe25519_mul(&p->T, &x, &p->Y);
    return 0;
}

/* ---- comb tables ------------------------------------------------------ */

/* Affine (y + x, y - x, 2d xy) of n points at once: one inversion for all
 * (Montgomery's trick). prefix must hold n elements. */
static void to_niels(ge_niels *out, const ge_ext *pts, fe25519 *prefix, size_t n) {
    assert(n > 0);
    prefix[0] = pts[0].Z;
    for (size_t i = 1; i < n; i++) fe25519_mul(&prefix[i], &prefix[i - 1], &pts[i].Z);
    fe25519 inv, zi, x, y;
    fe25519_invert(&inv, &prefix[n - 1]);
    for (size_t i = n; i-- > 0;) {
        if (i > 0) {
            fe25519_mul(&zi, &inv, &prefix[i - 1]);
            fe25519_mul(&inv, &inv, &pts[i].Z);
        } else {
            zi = inv;
        }
        fe25519_mul(&x, &pts[i].X, &zi);
        fe25519_mul(&y, &pts[i].Y, &zi);
        fe25519_add(&out[i].ypx, &y, &x);
        fe25519_sub(&out[i].ymx, &y, &x);
        fe25519_mul(&out[i].t2d, &x, &y);
        fe25519_mul(&out[i].t2d, &out[i].t2d, &curve.d2);
    }
}

/* 54 KiB of stack for the points before they become affine. */
static void comb_build(comb_table *t, const ge_ext *p) {
    enum { N = COMB_ROWS * COMB_MULTIPLES };
    ge_ext pts[N];
    fe25519 prefix[N];
    ge_ext q = *p;
    for (int j = 0; j < COMB_ROWS; j++) {
        ge_ext *row = &pts[j * COMB_MULTIPLES];
        row[0] = q;
        for (int k = 1; k < COMB_MULTIPLES; k++) ge_add(&row[k], &row[k - 1], &q);
        /* The next row's base is 2^15 q = 2^11 (16 q). */
        q = row[COMB_MULTIPLES - 1];
        for (int i = 0; i < COMB_PASSES * DIGIT_BITS - 4 && j + 1 < COMB_ROWS; i++) ge_dbl(&q, &q);
    }
    to_niels(&t->p[0][0], pts, prefix, N);
}

static void recode(int8_t e[SCALAR_DIGITS], const uint8_t a[32]) {
    assert(a[31] < 0x20); /* below 2^253, as s < L and h mod L are */
    for (int i = 0; i < SCALAR_DIGITS; i++) {
        int bit = DIGIT_BITS * i, byte = bit / 8;
        unsigned window = a[byte] | (byte + 1 < 32 ? (unsigned)a[byte + 1] << 8 : 0u);
        e[i] = (int8_t)((window >> (bit % 8)) & ((1u << DIGIT_BITS) - 1));
    }
    int carry = 0;
    for (int i = 0; i < SCALAR_DIGITS - 1; i++) {
        int v = e[i] + carry;
        carry = (v + COMB_MULTIPLES) >> DIGIT_BITS;
        e[i] = (int8_t)(v - (carry << DIGIT_BITS));
    }
    e[SCALAR_DIGITS - 1] = (int8_t)(e[SCALAR_DIGITS - 1] + carry);
    assert(e[SCALAR_DIGITS - 1] <= COMB_MULTIPLES);
}

static void comb_add(ge_ext *acc, const comb_table *t, int row, int digit) {
    if (digit > 0) ge_madd(acc, &t->p[row][digit - 1], false);
    if (digit < 0) ge_madd(acc, &t->p[row][-digit - 1], true);
}

/* Asks for the entry the next addition reads (120 bytes, two cache lines):
 * a key's table is 32 KiB, and in a world of many publishers it is rarely
 * in the core's own cache. */
static void comb_prefetch(const comb_table *t, int row, int digit) {
    if (digit == 0) return;
    const ge_niels *entry = &t->p[row][(digit > 0 ? digit : -digit) - 1];
    __builtin_prefetch(entry);
    __builtin_prefetch((const uint8_t *)entry + 64);
    __builtin_prefetch((const uint8_t *)entry + sizeof *entry - 1);
}

/* out = [a]P + [b]Q, from P's and Q's tables. */
static void comb_double_mul(ge_ext *out, const comb_table *tp, const uint8_t a[32], const comb_table *tq,
                            const uint8_t b[32]) {
    int8_t ea[SCALAR_DIGITS], eb[SCALAR_DIGITS];
    recode(ea, a);
    recode(eb, b);
    ge_identity(out);
    for (int r = COMB_PASSES - 1; r >= 0; r--) {
        for (int j = 0; j < COMB_ROWS; j++) {
            if (j + 1 < COMB_ROWS) {
                comb_prefetch(tp, j + 1, ea[COMB_PASSES * (j + 1) + r]);
                comb_prefetch(tq, j + 1, eb[COMB_PASSES * (j + 1) + r]);
            }
            comb_add(out, tp, j, ea[COMB_PASSES * j + r]);
            comb_add(out, tq, j, eb[COMB_PASSES * j + r]);
        }
        for (int i = 0; i < DIGIT_BITS && r > 0; i++) ge_dbl(out, out);
    }
}

/* ---- setup ------------------------------------------------------------ */

/* The table has_small_order compares with, computed once. */
static void small_order_init(void) {
    fe25519 t;
    size_t n = 0;
    for (uint32_t small = 0; small <= 1; small++) {
        fe25519_from_u32(&t, small);
        fe25519_to_bytes(curve.small_order_y[n++], &t);
        fe25519_neg(&t, &t);
        fe25519_to_bytes(curve.small_order_y[n++], &t);
    }
    memcpy(curve.small_order_y[n++], order8_y, 32);
    fe25519_from_bytes(&t, order8_y);
    fe25519_neg(&t, &t);
    fe25519_to_bytes(curve.small_order_y[n++], &t);
    assert(n == sizeof curve.small_order_y / sizeof curve.small_order_y[0]);
}

static void curve_init(void) {
    if (curve.ready) return;
    fe25519 num, den, two, t, y;
    fe25519_from_u32(&num, 121665);
    fe25519_neg(&num, &num);
    fe25519_from_u32(&den, 121666);
    fe25519_invert(&den, &den);
    fe25519_mul(&curve.d, &num, &den); /* d = -121665/121666 */
    fe25519_add(&curve.d2, &curve.d, &curve.d);
    /* 2 is not a square mod p (p = 5 mod 8), so 2^((p-1)/4) squares to -1;
     * (p-1)/4 = 2 (2^252 - 3) + 1. */
    fe25519_from_u32(&two, 2);
    fe25519_pow22523(&t, &two);
    fe25519_sq(&t, &t);
    fe25519_mul(&curve.sqrtm1, &t, &two);
    /* B: y = 4/5, x even. */
    fe25519_from_u32(&num, 4);
    fe25519_from_u32(&den, 5);
    fe25519_invert(&den, &den);
    fe25519_mul(&y, &num, &den);
    uint8_t encoded[32];
    fe25519_to_bytes(encoded, &y);
    ge_ext base;
    int rc = ge_decode(&base, encoded);
    assert(rc == 0);
    (void)rc;
    comb_build(&curve.base, &base);
    small_order_init();
    curve.ready = true;
}

/* ---- the checks before any curve arithmetic --------------------------- */

static bool scalar_is_canonical(const uint8_t s[32]) {
    for (int i = 31; i >= 0; i--) {
        if (s[i] != group_order[i]) return s[i] < group_order[i];
    }
    return false; /* s = L */
}

/* Whether y (the low 255 bits) is below p, whose bytes are ed ff .. ff 7f. */
static bool encoding_is_canonical(const uint8_t s[32]) {
    if ((s[31] & 0x7f) != 0x7f) return true;
    for (int i = 30; i > 0; i--)
        if (s[i] != 0xff) return true;
    return s[0] < 0xed;
}

/* Whether s encodes a point of order 1, 2, 4 or 8, whatever its x sign
 * and whether or not y is reduced: y mod p in {0, 1, -1, y8, -y8}. */
static bool has_small_order(const uint8_t s[32]) {
    fe25519 y;
    uint8_t reduced[32];
    fe25519_from_bytes(&y, s);
    fe25519_to_bytes(reduced, &y);
    for (size_t i = 0; i < sizeof curve.small_order_y / sizeof curve.small_order_y[0]; i++)
        if (memcmp(reduced, curve.small_order_y[i], 32) == 0) return true;
    return false;
}

static bool prechecks_pass(const uint8_t pk[32], const uint8_t sig[64]) {
    return scalar_is_canonical(sig + 32) && !has_small_order(sig) && encoding_is_canonical(pk) &&
           !has_small_order(pk);
}

/* [s]B + [h](-A) against R, with -A's table. */
static int verify_with_table(const comb_table *neg_a, const uint8_t pk[32], const uint8_t *msg, size_t len,
                             const uint8_t sig[64]) {
    uint8_t digest[64], h[32], check[32];
    crypto_hash_sha512_state state;
    crypto_hash_sha512_init(&state);
    crypto_hash_sha512_update(&state, sig, 32);
    crypto_hash_sha512_update(&state, pk, 32);
    crypto_hash_sha512_update(&state, msg, len);
    crypto_hash_sha512_final(&state, digest);
    crypto_core_ed25519_scalar_reduce(h, digest);
    ge_ext r;
    comb_double_mul(&r, neg_a, h, &curve.base, sig + 32);
    ge_encode(check, &r);
    return memcmp(check, sig, 32) == 0 ? 0 : -1;
}

/* -A's table into t; -1 when pk is no point. */
static int expand_key(comb_table *t, const uint8_t pk[32]) {
    ge_ext a;
    if (ge_decode(&a, pk) != 0) return -1;
    ge_neg(&a);
    comb_build(t, &a);
    return 0;
}

int ed25519_verify_uncached(const uint8_t public_key[32], const uint8_t *msg, size_t len, const uint8_t sig[64]) {
    assert(public_key != NULL && sig != NULL && (msg != NULL || len == 0));
    curve_init();
    if (!prechecks_pass(public_key, sig)) return -1;
    comb_table *t = malloc(sizeof *t);
    if (t == NULL) return crypto_sign_verify_detached(sig, msg, len, public_key) == 0 ? 0 : -1;
    int rc = expand_key(t, public_key) == 0 ? verify_with_table(t, public_key, msg, len, sig) : -1;
    free(t);
    return rc;
}

/* ---- the key cache ---------------------------------------------------- */

typedef struct cache_way {
    uint8_t key[32];
    comb_table *table; /* NULL: empty */
    uint64_t last_use;
} cache_way;

/* A set holds tables for up to ED25519_CACHE_WAYS keys, and remembers the
 * last ED25519_CACHE_WAYS keys it saw without a table (candidates). */
typedef struct cache_set {
    cache_way way[ED25519_CACHE_WAYS];
    uint8_t candidate[ED25519_CACHE_WAYS][32];
    uint32_t candidate_next;
} cache_set;

/* Per thread (a parallel world verifies on several): each thread keeps
 * its own tables, and ed25519_verify_forget frees the calling thread's. */
static _Thread_local cache_set *cache;
static _Thread_local uint64_t cache_clock;
static _Thread_local ed25519_verify_stats stats;

/* Keys are hashes of secrets, so their low bytes spread evenly. */
static cache_set *set_of(const uint8_t pk[32]) {
    return &cache[((uint32_t)pk[0] | (uint32_t)pk[1] << 8) % ED25519_CACHE_SETS];
}

static cache_way *lookup(cache_set *s, const uint8_t pk[32]) {
    for (int i = 0; i < ED25519_CACHE_WAYS; i++)
        if (s->way[i].table != NULL && memcmp(s->way[i].key, pk, 32) == 0) return &s->way[i];
    return NULL;
}

/* true the second time a key comes by, which then leaves the candidates;
 * false, remembering it, the first time. */
static bool candidate_again(cache_set *s, const uint8_t pk[32]) {
    for (int i = 0; i < ED25519_CACHE_WAYS; i++) {
        if (memcmp(s->candidate[i], pk, 32) != 0) continue;
        memset(s->candidate[i], 0, 32);
        return true;
    }
    memcpy(s->candidate[s->candidate_next], pk, 32);
    s->candidate_next = (s->candidate_next + 1) % ED25519_CACHE_WAYS;
    return false;
}

/* The way to fill: an empty one, else the least recently used. */
static cache_way *victim(cache_set *s) {
    cache_way *oldest = &s->way[0];
    for (int i = 0; i < ED25519_CACHE_WAYS; i++) {
        if (s->way[i].table == NULL) return &s->way[i];
        if (s->way[i].last_use < oldest->last_use) oldest = &s->way[i];
    }
    stats.evictions++;
    return oldest;
}

/* The key's table, built now if it has earned one; NULL when it has not
 * (or memory ran out), and *bad when the key is no point. */
static const comb_table *table_for(const uint8_t pk[32], bool *bad) {
    *bad = false;
    if (cache == NULL && (cache = calloc(ED25519_CACHE_SETS, sizeof *cache)) == NULL) return NULL;
    cache_set *s = set_of(pk);
    cache_way *w = lookup(s, pk);
    if (w != NULL) {
        stats.table_hits++;
        w->last_use = ++cache_clock;
        return w->table;
    }
    if (!candidate_again(s, pk)) return NULL;
    w = victim(s);
    if (w->table == NULL && (w->table = malloc(sizeof *w->table)) == NULL) return NULL;
    if (expand_key(w->table, pk) != 0) {
        free(w->table);
        w->table = NULL;
        *bad = true;
        return NULL;
    }
    memcpy(w->key, pk, 32);
    w->last_use = ++cache_clock;
    stats.tables_built++;
    return w->table;
}

int ed25519_verify(const uint8_t public_key[32], const uint8_t *msg, size_t len, const uint8_t sig[64]) {
    assert(public_key != NULL && sig != NULL && (msg != NULL || len == 0));
    curve_init();
    stats.checks++;
    if (!prechecks_pass(public_key, sig)) return -1;
    bool bad;
    const comb_table *t = table_for(public_key, &bad);
    if (bad) return -1;
    if (t != NULL) return verify_with_table(t, public_key, msg, len, sig);
    return crypto_sign_verify_detached(sig, msg, len, public_key) == 0 ? 0 : -1;
}

void ed25519_verify_forget(void) {
    if (cache == NULL) return;
    for (int i = 0; i < ED25519_CACHE_SETS; i++)
        for (int k = 0; k < ED25519_CACHE_WAYS; k++) free(cache[i].way[k].table);
    free(cache);
    cache = NULL;
}

void ed25519_verify_get_stats(ed25519_verify_stats *out) { *out = stats; }
