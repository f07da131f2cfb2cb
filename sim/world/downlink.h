/*
 * downlink: when a host's downlink can take a packet (docs/network-model.md,
 * "Downlink").
 *
 * On ideal links a sender books the receiver's downlink when it sends, since
 * that is when the world computes the arrival; the TCP model's receiver
 * books its own when a segment reaches it (tcp.h), so that hosts in
 * different parts of a parallel world never share one. Booking in send order
 * alone would make a near sender's packet wait behind a far sender's booked
 * earlier, while the link sits idle until the far one lands (up to the
 * difference of their latencies: 90 ms with latencies of 10 to 100 ms). So
 * the downlink keeps the intervals it is booked for, and a packet takes the
 * first gap, at or after it reaches the link, that is long enough for it:
 * packets are served in the order they reach the link, except that one
 * arriving while a gap is too short for it waits for the next (it does not
 * push back a packet booked earlier). Deterministic: no clock but the times
 * it is given.
 *
 * Bounds: the intervals that end after now, merged when they touch; at most
 * one per packet in flight to the host.
 */
#ifndef SWARMLAB_DOWNLINK_H
#define SWARMLAB_DOWNLINK_H

#include <stddef.h>
#include <stdint.h>

typedef struct downlink_busy {
    uint64_t start_ns, end_ns; /* [start, end) */
} downlink_busy;

typedef struct downlink {
    downlink_busy *busy; /* sorted, disjoint, not touching */
    size_t count, cap;
} downlink;

void downlink_free(downlink *d);
/* Books duration_ns of the link for a packet that reaches it at ready_ns,
 * forgetting what ended by now_ns (<= ready_ns); returns when it starts. */
uint64_t downlink_book(downlink *d, uint64_t now_ns, uint64_t ready_ns, uint64_t duration_ns);

#endif
