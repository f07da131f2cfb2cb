/*
 * test_seen_cache: the pubsub seen cache remembers ids for their time to
 * live, forgets the oldest first when full, and keeps every id as it grows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pubsub/seen_cache.h"

static const uint8_t key[SEEN_CACHE_KEY_BYTES] = {1, 2, 3};

static void id_of(uint32_t n, uint8_t id[4]) {
    for (int i = 0; i < 4; i++) id[i] = (uint8_t)(n >> (8 * i));
}

static void an_added_id_is_seen_and_others_are_not(void **state) {
    (void)state;
    seen_cache c;
    assert_int_equal(seen_cache_init(&c, 100, 1000, key), 0);
    uint8_t a[4], b[4];
    id_of(1, a);
    id_of(2, b);
    seen_cache_add(&c, a, 4, 0);
    assert_true(seen_cache_contains(&c, a, 4, 1));
    assert_false(seen_cache_contains(&c, b, 4, 1));
    seen_cache_add(&c, a, 4, 2); /* adding again changes nothing */
    assert_int_equal(seen_cache_size(&c), 1);
    seen_cache_free(&c);
}

static void ids_expire_after_their_time_to_live(void **state) {
    (void)state;
    seen_cache c;
    assert_int_equal(seen_cache_init(&c, 100, 1000, key), 0);
    uint8_t a[4], b[4];
    id_of(1, a);
    id_of(2, b);
    seen_cache_add(&c, a, 4, 0);
    seen_cache_add(&c, b, 4, 500);
    assert_true(seen_cache_contains(&c, a, 4, 999));
    assert_false(seen_cache_contains(&c, a, 4, 1000));
    assert_true(seen_cache_contains(&c, b, 4, 1000));
    assert_int_equal(seen_cache_size(&c), 1);
    seen_cache_free(&c);
}

static void a_full_cache_forgets_the_oldest_first(void **state) {
    (void)state;
    seen_cache c;
    enum { CAPACITY = 4096, ADDED = 10000 };
    assert_int_equal(seen_cache_init(&c, CAPACITY, UINT64_MAX / 2, key), 0);
    uint8_t id[4];
    for (uint32_t n = 0; n < ADDED; n++) {
        id_of(n, id);
        seen_cache_add(&c, id, 4, n);
    }
    assert_int_equal(seen_cache_size(&c), CAPACITY);
    for (uint32_t n = 0; n < ADDED; n++) {
        id_of(n, id);
        assert_int_equal(seen_cache_contains(&c, id, 4, ADDED), n >= ADDED - CAPACITY);
    }
    seen_cache_free(&c);
}

static void growing_keeps_every_id(void **state) {
    (void)state;
    seen_cache c;
    assert_int_equal(seen_cache_init(&c, 1u << 16, UINT64_MAX / 2, key), 0);
    assert_int_equal(c.ring_size, SEEN_CACHE_INITIAL); /* small until it is needed */
    uint8_t id[4];
    for (uint32_t n = 0; n < 5000; n++) {
        id_of(n, id);
        seen_cache_add(&c, id, 4, 0);
    }
    assert_true(c.ring_size >= 5000);
    for (uint32_t n = 0; n < 5000; n++) {
        id_of(n, id);
        assert_true(seen_cache_contains(&c, id, 4, 0));
    }
    id_of(5000, id);
    assert_false(seen_cache_contains(&c, id, 4, 0));
    seen_cache_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_added_id_is_seen_and_others_are_not),
        cmocka_unit_test(ids_expire_after_their_time_to_live),
        cmocka_unit_test(a_full_cache_forgets_the_oldest_first),
        cmocka_unit_test(growing_keeps_every_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
