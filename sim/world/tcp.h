/*
 * tcp: the world's TCP model (network.transport: tcp; docs/network-model.md).
 *
 * Segment by segment, for every connection end that sends:
 *  - segments of at most TCP_MSS_BYTES, each TCP_HEADER_BYTES more on the
 *    wire (IPv4 20 + TCP 20 + timestamps 12);
 *  - a congestion window of TCP_INITIAL_WINDOW segments at first (RFC 6928),
 *    slow start (one segment per segment acknowledged, as Linux counts),
 *    congestion avoidance as Reno (one segment per window acknowledged),
 *    and restart after idle as Linux's tcp_cwnd_restart: once nothing is in
 *    flight and nothing was sent for an RTO, the window halves per RTO idle,
 *    down to the initial window (net.ipv4.tcp_slow_start_after_idle = 1);
 *  - a receive window of rwnd bytes capping what is in flight;
 *  - jitter per segment where the path has one, uniform from 0 to the
 *    path's, never reordering the stream (a segment waits for the one before);
 *  - drops drawn per segment with the path's loss probability: with TCP_DUPTHRESH
 *    segments queued behind it, the loss is found by duplicate ACKs one
 *    round trip after it was sent (fast retransmit; the window halves),
 *    else by the RTO (RTT + 200 ms, doubling; the window falls to one);
 *    the receiver holds the bytes behind a hole until it is filled;
 *  - each host's uplink serves its connections round robin, a segment at a
 *    time, as the kernel's fair queueing does; a limited downlink serves
 *    segments in the order they reach it (downlink.h), booked by its own
 *    host when each reaches it (an event one way after it left), so that
 *    no host touches another's state (the parallel world's parts).
 * Toward an unlimited downlink ACKs are not sent as events: the time each
 * segment's ACK comes back (its arrival plus the one-way latency) is known
 * when it is sent, and is read when the sender next looks. A blocked
 * sender gets one wake-up event at the ACK that frees its window; a busy
 * uplink one event per segment. Toward a limited downlink the arrival is
 * known only when the receiver books it, so each ACK is an event back.
 * Deterministic: no clock, and loss draws from the rng it is given.
 */
#ifndef SWARMLAB_TCP_H
#define SWARMLAB_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"
#include "random/rng.h"

#define TCP_MSS_BYTES 1448     /* a 1500-byte MTU less IPv4, TCP and the timestamps option */
#define TCP_HEADER_BYTES 52    /* IPv4 20 + TCP 20 + timestamps 12, per segment on the wire */
#define TCP_INITIAL_WINDOW 10  /* segments, RFC 6928 (Linux's TCP_INIT_CWND) */
#define TCP_RWND_BYTES (6u << 20) /* net.ipv4.tcp_rmem's maximum, which autotuning reaches */
#define TCP_DUPTHRESH 3        /* duplicate ACKs that trigger fast retransmit (RFC 5681) */
#define TCP_RTO_MIN_NS 200000000ull /* TCP_RTO_MIN: the RTO is the RTT plus 200 ms */
#define TCP_RTO_MAX_NS 120000000000ull /* TCP_RTO_MAX */
#define TCP_RETRIES_MAX 15     /* net.ipv4.tcp_retries2: bounds the redraws of one segment */
#define TCP_QUEUE_KEEP_BYTES (16u << 10) /* an empty send queue keeps at most this much storage */
#define TCP_EVENT_KINDS 4      /* kinds from config.event_base: an uplink's turn, an end's wake-up,
                                  a segment reaching a limited downlink, its ACK */

/* Bytes reach end to_end at at_ns (in order; len > 0). */
typedef void (*tcp_deliver_fn)(void *user, uint32_t to_end, uint64_t at_ns, const uint8_t *bytes, size_t len);
/* The FIN of the end opposite to_end reaches it at at_ns, after its bytes. */
typedef void (*tcp_fin_fn)(void *user, uint32_t to_end, uint64_t at_ns);

typedef struct tcp_config {
    uint32_t host_count;
    uint64_t up_bps, down_bps; /* every host's, until tcp_set_bandwidth; 0: unlimited */
    double loss;               /* per segment, 0..1 */
    uint32_t rwnd_bytes;       /* 0: TCP_RWND_BYTES */
    uint32_t event_base;       /* the kernel kinds event_base .. + TCP_EVENT_KINDS - 1 are the model's */
    rng *loss_rng;             /* borrowed; needed when any path has loss */
    rng *jitter_rng;           /* borrowed; needed when any path has jitter */
    /* Both above are arrays of host_count streams, the sending host's
     * drawn from (so one host's draws do not depend on others'), rather
     * than one stream for all. */
    bool rng_per_host;
    bool no_idle_restart;      /* net.ipv4.tcp_slow_start_after_idle = 0: windows survive idle */
    tcp_deliver_fn deliver;
    tcp_fin_fn fin;
    void *user;
} tcp_config;

typedef struct tcp_stats {
    uint64_t segments_sent;     /* first transmissions */
    uint64_t segments_lost;     /* drops, retransmissions' included */
    uint64_t fast_retransmits;
    uint64_t timeout_retransmits;
} tcp_stats;

typedef struct tcp_net tcp_net;

tcp_net *tcp_create(kernel *k, const tcp_config *config);
void tcp_destroy(tcp_net *t);
/* A host's own bandwidth (regions and classes give hosts their own); by
 * default every host has the config's. 0: unlimited. */
void tcp_set_bandwidth(tcp_net *t, uint32_t host, uint64_t up_bps, uint64_t down_bps);
/* The path the bytes end sends take, where it is not tcp_open's: its
 * one-way latency (the two directions may differ), a jitter (each segment
 * is delayed by a uniform draw from 0 to jitter_ns; the receiver still
 * reads in order) and a loss per segment (0..1; tcp_open gives
 * config.loss). */
void tcp_set_path(tcp_net *t, uint32_t end, uint64_t latency_ns, uint64_t jitter_ns, double loss);
/* Connection conn (ends 2conn, 2conn+1) from dialer to listener; the
 * dialer's bytes leave at dialer_ready_ns (its SYN-ACK), the listener's at once. */
void tcp_open(tcp_net *t, uint32_t conn, uint32_t dialer, uint32_t listener, uint64_t latency_ns,
              uint64_t dialer_ready_ns);
/* The end's bytes join its send queue. */
void tcp_write(tcp_net *t, uint32_t end, const uint8_t *bytes, size_t len);
/* The end closes after its queued bytes: config.fin reports when the FIN arrives. */
void tcp_fin(tcp_net *t, uint32_t end);
/* The end resets: its queued bytes are dropped. */
void tcp_reset(tcp_net *t, uint32_t end);
bool tcp_owns_event(const tcp_net *t, uint32_t kind);
void tcp_on_event(tcp_net *t, const kernel_event *event);
/* The host whose state an event of the model's (kind, a) touches: the
 * sending host of the end (a segment reaching a downlink: the receiving
 * host), or the host whose uplink turns. */
uint32_t tcp_event_host(const tcp_net *t, uint32_t kind, uint32_t a);
/* Frees what a pending event of the model's holds (the world's end). */
void tcp_release_event(tcp_net *t, const kernel_event *event);
/* The end's congestion window now, in segments, the ACKs back by now read (for tests). */
uint32_t tcp_cwnd(tcp_net *t, uint32_t end);
void tcp_get_stats(const tcp_net *t, tcp_stats *out);

#endif
