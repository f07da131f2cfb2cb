/*
 * test_downlink: a host's downlink is booked by gaps (sim/world/downlink.h):
 * a packet takes the link when it reaches it, unless a packet booked before
 * holds it then, and a far sender's booking never holds up a near sender.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/time_units.h"
#include "world/downlink.h"

#define MS NS_PER_MS
#define WIRE (240 * NS_PER_US) /* a 1,500-byte segment at 50 Mbit/s */

/* A far sender (100 ms) books at t = 0; a near one (10 ms) sends at 1 ms:
 * its packet reaches the idle link at 11 ms and goes at once. Booked in
 * send order it would have waited until 100.24 ms. */
static void a_near_sender_does_not_wait_for_a_far_one(void **state) {
    (void)state;
    downlink d = {0};
    assert_int_equal(downlink_book(&d, 0, 100 * MS, WIRE), 100 * MS);
    assert_int_equal(downlink_book(&d, 1 * MS, 11 * MS, WIRE), 11 * MS);
    assert_int_equal(d.count, 2);
    downlink_free(&d);
}

/* Packets that reach a busy link wait their turn, back to back, and their
 * bookings merge into one interval. */
static void a_busy_link_serves_back_to_back(void **state) {
    (void)state;
    downlink d = {0};
    for (uint64_t i = 0; i < 100; i++) assert_int_equal(downlink_book(&d, 0, 10 * MS, WIRE), 10 * MS + i * WIRE);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.busy[0].end_ns, 10 * MS + 100 * WIRE);
    downlink_free(&d);
}

/* A gap shorter than the packet is skipped: it goes after the booking that
 * closes the gap; a gap that fits exactly is taken and joins both sides. */
static void a_gap_too_short_is_skipped_and_one_that_fits_is_filled(void **state) {
    (void)state;
    downlink d = {0};
    assert_int_equal(downlink_book(&d, 0, 10 * MS, WIRE), 10 * MS);
    assert_int_equal(downlink_book(&d, 0, 10 * MS + WIRE + WIRE / 2, WIRE), 10 * MS + WIRE + WIRE / 2);
    /* The gap [10.24, 10.36) ms is half a segment: the next one goes after. */
    assert_int_equal(downlink_book(&d, 0, 10 * MS + WIRE, WIRE), 10 * MS + 2 * WIRE + WIRE / 2);
    assert_int_equal(d.count, 2);
    assert_int_equal(downlink_book(&d, 0, 10 * MS + WIRE, WIRE / 2), 10 * MS + WIRE); /* fits exactly */
    assert_int_equal(d.count, 1);
    assert_int_equal(d.busy[0].start_ns, 10 * MS);
    assert_int_equal(d.busy[0].end_ns, 10 * MS + 3 * WIRE + WIRE / 2);
    downlink_free(&d);
}

/* What ended is forgotten; an unlimited link (no duration) books nothing. */
static void the_past_is_forgotten_and_unlimited_links_book_nothing(void **state) {
    (void)state;
    downlink d = {0};
    for (uint64_t i = 0; i < 50; i++) downlink_book(&d, 0, i * MS, WIRE); /* 50 apart */
    assert_int_equal(d.count, 50);
    assert_int_equal(downlink_book(&d, 60 * MS, 60 * MS, WIRE), 60 * MS);
    assert_int_equal(d.count, 1);
    assert_int_equal(downlink_book(&d, 60 * MS, 60 * MS, 0), 60 * MS);
    assert_int_equal(d.count, 1);
    downlink_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_near_sender_does_not_wait_for_a_far_one),
        cmocka_unit_test(a_busy_link_serves_back_to_back),
        cmocka_unit_test(a_gap_too_short_is_skipped_and_one_that_fits_is_filled),
        cmocka_unit_test(the_past_is_forgotten_and_unlimited_links_book_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
