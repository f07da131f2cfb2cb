/*
 * test_seen_cache: the pubsub seen cache remembers ids for their whole time
 * to live, refuses new ids rather than forget old ones when full, and keeps
 * every id as it grows.
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

/* Forgetting an old id would let its message be delivered again inside
 * its window: a full cache refuses the new id and keeps every old one. */
static void a_full_cache_refuses_new_ids_and_forgets_none(void **state) {
    (void)state;
    seen_cache c;
    enum { CAPACITY = 4096, ADDED = 10000 };
    assert_int_equal(seen_cache_init(&c, CAPACITY, 1000 * 1000, key), 0);
    uint8_t id[4];
    for (uint32_t n = 0; n < ADDED; n++) {
        id_of(n, id);
        assert_int_equal(seen_cache_add(&c, id, 4, n), n < CAPACITY ? 0 : -1);
    }
    assert_int_equal(seen_cache_size(&c), CAPACITY);
    for (uint32_t n = 0; n < ADDED; n++) {
        id_of(n, id);
        assert_int_equal(seen_cache_contains(&c, id, 4, ADDED), n < CAPACITY);
    }
    id_of(0, id);
    assert_int_equal(seen_cache_add(&c, id, 4, ADDED), 0); /* one it holds is no refusal */
    seen_cache_free(&c);
}

/* Room comes back with time: ids added at 0..9 expire at 1000..1009. */
static void a_full_cache_takes_new_ids_once_old_ones_expire(void **state) {
    (void)state;
    seen_cache c;
    assert_int_equal(seen_cache_init(&c, 10, 1000, key), 0);
    uint8_t id[4];
    for (uint32_t n = 0; n < 10; n++) {
        id_of(n, id);
        assert_int_equal(seen_cache_add(&c, id, 4, n), 0);
    }
    id_of(10, id);
    assert_int_equal(seen_cache_add(&c, id, 4, 999), -1);
    assert_int_equal(seen_cache_add(&c, id, 4, 1000), 0); /* id 0 expired */
    assert_int_equal(seen_cache_size(&c), 10);
    id_of(0, id);
    assert_false(seen_cache_contains(&c, id, 4, 1000));
    seen_cache_free(&c);
}

/* The budget in bytes names the ids: 40 bytes each, a power of two. */
static void a_memory_budget_gives_a_power_of_two_of_ids(void **state) {
    (void)state;
    assert_int_equal(fp_table_capacity_for(40u << 20), 1u << 20);
    assert_int_equal(fp_table_capacity_for((40u << 20) - 1), 1u << 19);
    assert_int_equal(fp_table_capacity_for(10240), 256);
    assert_int_equal(fp_table_capacity_for(39), 0);
    assert_int_equal(fp_table_capacity_for(UINT64_MAX), FP_TABLE_CAPACITY_MAX);
}

static void growing_keeps_every_id(void **state) {
    (void)state;
    seen_cache c;
    assert_int_equal(seen_cache_init(&c, 1u << 16, UINT64_MAX / 2, key), 0);
    assert_int_equal(c.ids.ring_size, SEEN_CACHE_INITIAL); /* small until it is needed */
    uint8_t id[4];
    for (uint32_t n = 0; n < 5000; n++) {
        id_of(n, id);
        seen_cache_add(&c, id, 4, 0);
    }
    assert_true(c.ids.ring_size >= 5000);
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
        cmocka_unit_test(a_full_cache_refuses_new_ids_and_forgets_none),
        cmocka_unit_test(a_full_cache_takes_new_ids_once_old_ones_expire),
        cmocka_unit_test(a_memory_budget_gives_a_power_of_two_of_ids),
        cmocka_unit_test(growing_keeps_every_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
