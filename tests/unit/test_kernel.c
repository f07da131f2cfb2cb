/*
 * test_kernel: the event kernel orders events by time, then by the order
 * they were scheduled, and never runs time backwards.
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_run_in_time_order),
        cmocka_unit_test(same_instant_events_keep_insertion_order),
        cmocka_unit_test(run_stops_at_the_horizon),
        cmocka_unit_test(rng_streams_are_deterministic_and_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
