/*
 * test_kernel: the event kernel orders events by time, then by the order
 * they were scheduled, and never runs time backwards; with owners, by
 * (time, owner, source sequence), so one owner's order does not depend on
 * how other owners' events interleave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "world/kernel.h"
#include "random/rng.h"

typedef struct log {
    uint64_t times[4096];
    uint64_t tags[4096];
    size_t count;
    kernel *k;
} log;

static void record(void *ctx, const kernel_event *ev) {
    log *l = ctx;
    l->times[l->count] = ev->time_ns;
    l->tags[l->count] = ev->b;
    l->count++;
    /* An event may schedule more, even at the same instant. */
    if (ev->kind == 2) kernel_schedule(l->k, ev->time_ns, 1, 0, ev->b + 1000);
}

static void events_run_in_time_order(void **state) {
    (void)state;
    kernel k;
    kernel_init(&k);
    static log l;
    l.count = 0;
    l.k = &k;
    rng r;
    rng_seed(&r, 7, 1);
    for (uint64_t i = 0; i < 3000; i++) kernel_schedule(&k, rng_below(&r, 1000), 1, 0, i);
    assert_int_equal(kernel_run(&k, UINT64_MAX - 1, record, &l), 3000);
    for (size_t i = 1; i < l.count; i++) {
        assert_true(l.times[i - 1] <= l.times[i]);
        /* Ties keep the order of scheduling. */
        if (l.times[i - 1] == l.times[i]) assert_true(l.tags[i - 1] < l.tags[i]);
    }
    kernel_free(&k);
}

static void same_instant_events_keep_insertion_order(void **state) {
    (void)state;
    kernel k;
    kernel_init(&k);
    static log l;
    l.count = 0;
    l.k = &k;
    kernel_schedule(&k, 50, 2, 0, 1); /* schedules tag 1001 at 50 when it runs */
    kernel_schedule(&k, 50, 1, 0, 2);
    kernel_schedule(&k, 10, 1, 0, 3);
    kernel_run(&k, 100, record, &l);
    assert_int_equal(l.count, 4);
    assert_int_equal(l.tags[0], 3);
    assert_int_equal(l.tags[1], 1);
    assert_int_equal(l.tags[2], 2);
    assert_int_equal(l.tags[3], 1001); /* scheduled last, runs last */
    assert_int_equal(k.now_ns, 100);
    kernel_free(&k);
}

static void run_stops_at_the_horizon(void **state) {
    (void)state;
    kernel k;
    kernel_init(&k);
    static log l;
    l.count = 0;
    l.k = &k;
    kernel_schedule(&k, 10, 1, 0, 1);
    kernel_schedule(&k, 20, 1, 0, 2);
    kernel_schedule(&k, 30, 1, 0, 3);
    assert_int_equal(kernel_run(&k, 20, record, &l), 2); /* the horizon is inclusive */
    assert_int_equal(k.now_ns, 20);
    assert_int_equal(kernel_pending(&k), 1);
    assert_int_equal(kernel_run(&k, 100, record, &l), 1);
    assert_int_equal(l.tags[2], 3);
    kernel_free(&k);
}

static void rng_streams_are_deterministic_and_distinct(void **state) {
    (void)state;
    rng a, b, c;
    rng_seed(&a, 42, 1);
    rng_seed(&b, 42, 1);
    rng_seed(&c, 42, 2);
    int same = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);
        assert_int_equal(x, y);
        same += x == z;
    }
    assert_int_equal(same, 0);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = rng_uniform(&a);
        assert_true(u >= 0 && u < 1);
        sum += u;
    }
    assert_true(sum / 100000 > 0.49 && sum / 100000 < 0.51);
    for (int i = 0; i < 1000; i++) assert_true(rng_below(&a, 7) < 7);
}

/* ---- owners ------------------------------------------------------------ */

/* Kind k's events belong to owner a (the test's owner function). */
static uint32_t owner_is_a(void *ctx, uint32_t kind, uint32_t a) {
    (void)ctx;
    (void)kind;
    return a;
}

typedef struct owned_log {
    kernel *k;
    uint32_t owners[64];
    uint64_t tags[64];
    size_t count;
} owned_log;

/* Kind 2: the event schedules one for owner b >> 32 at the same instant
 * (tag b & 0xffff + 100). */
static void record_owned(void *ctx, const kernel_event *ev) {
    owned_log *l = ctx;
    l->owners[l->count] = ev->a;
    l->tags[l->count++] = ev->b & 0xffff;
    if (ev->kind == 2) kernel_schedule(l->k, ev->time_ns, 1, (uint32_t)(ev->b >> 32), (ev->b & 0xffff) + 100);
}

static void same_instant_events_run_by_owner_then_source_sequence(void **state) {
    (void)state;
    kernel k;
    kernel_init(&k);
    kernel_set_owners(&k, 4, owner_is_a, NULL);
    owned_log l = {.k = &k};
    kernel_schedule(&k, 50, 1, 3, 1);
    kernel_schedule(&k, 50, 2, 2, (3ull << 32) | 2); /* owner 2 schedules tag 102 for owner 3 at 50 */
    kernel_schedule(&k, 50, 1, 1, 3);
    kernel_schedule(&k, 50, 2, 1, (1ull << 32) | 4); /* owner 1 schedules tag 104 for itself at 50 */
    kernel_run(&k, 100, record_owned, &l);
    assert_int_equal(l.count, 6);
    uint32_t owners[] = {1, 1, 1, 2, 3, 3};
    uint64_t tags[] = {3, 4, 104, 2, 1, 102}; /* owner 3: the world's (source 0) before owner 2's */
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(l.owners[i], owners[i]);
        assert_int_equal(l.tags[i], tags[i]);
    }
    assert_int_equal(k.cross_min_ns, 0); /* owner 2 reached owner 3 at once */
    kernel_free(&k);
}

/* The same events for owners 1 and 2, scheduled in two different
 * interleavings: each owner sees its own in the same order either way. */
static void an_owners_order_does_not_depend_on_the_interleaving(void **state) {
    (void)state;
    static owned_log runs[2];
    for (int run = 0; run < 2; run++) {
        kernel k;
        kernel_init(&k);
        kernel_set_owners(&k, 3, owner_is_a, NULL);
        runs[run] = (owned_log){.k = &k};
        rng r;
        rng_seed(&r, 9, 1);
        uint64_t times[2][16];
        for (int o = 0; o < 2; o++)
            for (int i = 0; i < 16; i++) times[o][i] = rng_below(&r, 4);
        for (int i = 0; i < 16; i++) { /* run 0: 1, 2, 1, 2...; run 1: 2, 1, 2, 1... */
            int first = run == 0 ? 0 : 1;
            kernel_schedule(&k, times[first][i], 1, (uint32_t)first + 1, (uint64_t)(first * 16 + i));
            kernel_schedule(&k, times[1 - first][i], 1, (uint32_t)(2 - first), (uint64_t)((1 - first) * 16 + i));
        }
        kernel_run(&k, 100, record_owned, &runs[run]);
        assert_int_equal(runs[run].count, 32);
        kernel_free(&k);
    }
    for (uint32_t o = 1; o <= 2; o++) {
        uint64_t seq[2][16];
        size_t n[2] = {0, 0};
        for (int run = 0; run < 2; run++)
            for (size_t i = 0; i < 32; i++)
                if (runs[run].owners[i] == o) seq[run][n[run]++] = runs[run].tags[i];
        assert_int_equal(n[0], 16);
        assert_int_equal(n[1], 16);
        for (size_t i = 0; i < 16; i++) assert_int_equal(seq[0][i], seq[1][i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_run_in_time_order),
        cmocka_unit_test(same_instant_events_keep_insertion_order),
        cmocka_unit_test(run_stops_at_the_horizon),
        cmocka_unit_test(rng_streams_are_deterministic_and_distinct),
        cmocka_unit_test(same_instant_events_run_by_owner_then_source_sequence),
        cmocka_unit_test(an_owners_order_does_not_depend_on_the_interleaving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
