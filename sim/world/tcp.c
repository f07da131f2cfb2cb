/* tcp: the world's TCP model. See tcp.h and docs/network-model.md. */
#include "tcp.h"
#include "downlink.h"
#include "segvec.h"
#include "base/time_units.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum { TCP_EV_PUMP = 0, TCP_EV_WAKE = 1, TCP_EV_REACH = 2, TCP_EV_ACK = 3 };

/* An ACK slot whose time is not known yet: its segment went toward a
 * limited downlink, and the receiver's TCP_EV_ACK fills it in. */
#define TCP_ACK_UNKNOWN UINT64_MAX

/* A segment on its way to a limited downlink (TCP_EV_REACH's b, malloc'd,
 * freed by the receiver): what the receiving host needs to book its own
 * downlink when the segment reaches it. The sender's random draws travel
 * with it, since only the sender may draw from its streams. */
typedef struct tcp_segment {
    uint64_t number;     /* the sender's count of segments: which ACK slot */
    uint64_t up_end_ns;  /* its last bit left the sender's uplink */
    uint64_t latency_ns; /* the sender's path, one way */
    uint64_t extra_ns;   /* jitter and retransmissions, drawn by the sender */
    bool fin;            /* the sender's FIN follows it */
    size_t len;          /* 0: a FIN alone (fin_reach) */
    uint8_t bytes[];
} tcp_segment;

/* The sending state of one end. */
typedef struct tcp_end {
    uint32_t host, peer_host;
    uint64_t latency_ns, jitter_ns;
    double loss;                  /* per segment, 0..1 */
    uint64_t ready_ns;            /* its bytes may leave from then (the dialer's SYN-ACK) */
    uint8_t *queue;               /* unsent bytes: queue[head .. head+len) */
    size_t head, len, cap;
    uint64_t *acks;               /* ACK times of the segments in flight, oldest first (a ring) */
    size_t ack_head, ack_count, ack_cap;
    uint32_t cwnd, ssthresh, cwnd_count; /* segments; cwnd_count counts ACKs in congestion avoidance */
    uint32_t inflight_peak;       /* the most in flight since the pipe last emptied */
    uint64_t sent_segments, acked_segments;
    uint64_t recovery_end;        /* ACKs up to this segment do not grow the window */
    uint64_t last_send_ns, last_arrival_ns;
    /* As a receiver behind a limited downlink: the last arrival its own
     * host booked (the stream stays in order); only that host writes it. */
    uint64_t in_last_ns;
    uint64_t loss_ns;             /* a loss found then, not yet applied */
    bool loss_pending, loss_by_timeout;
    bool opened, in_ready, fin_pending, wake_pending;
    uint64_t wake_ns;
} tcp_end;

typedef struct tcp_host {
    uint64_t up_bps, down_bps; /* 0: unlimited */
    uint64_t up_free_ns;
    downlink down;
    uint32_t *ready; /* ends with bytes to send, round robin (a ring) */
    size_t ready_head, ready_count, ready_cap;
    bool pump_pending;
} tcp_host;

struct tcp_net {
    tcp_config config;
    kernel *k;
    tcp_host *hosts;
    segvec ends; /* tcp_end, by end id (segvec.h: threads may open connections) */
    size_t end_count; /* one past the highest end opened */
    uint32_t rwnd_segments;
    tcp_stats stats;
};

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static tcp_end *end_at(tcp_net *t, size_t end) { return segvec_at(&t->ends, end); }
static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static uint64_t wire_ns(size_t payload, uint64_t bps) {
    if (bps == 0) return 0;
    return (uint64_t)((double)(payload + TCP_HEADER_BYTES) * 8.0 * NS_PER_S_DOUBLE / (double)bps + 0.5);
}

/* The RTO of a steady path: the RTT plus Linux's floor (RFC 6298 with a small variance). */
static uint64_t end_rto_ns(const tcp_end *e) { return 2 * e->latency_ns + TCP_RTO_MIN_NS; }

void tcp_set_bandwidth(tcp_net *t, uint32_t host, uint64_t up_bps, uint64_t down_bps) {
    assert(host < t->config.host_count);
    t->hosts[host].up_bps = up_bps;
    t->hosts[host].down_bps = down_bps;
}

void tcp_set_path(tcp_net *t, uint32_t end, uint64_t latency_ns, uint64_t jitter_ns, double loss) {
    assert(end_at(t, end)->opened);
    assert(loss >= 0 && loss < 1 && (loss == 0 || t->config.loss_rng != NULL));
    assert(jitter_ns == 0 || t->config.jitter_rng != NULL);
    end_at(t, end)->latency_ns = latency_ns;
    end_at(t, end)->jitter_ns = jitter_ns;
    end_at(t, end)->loss = loss;
}

tcp_net *tcp_create(kernel *k, const tcp_config *config) {
    assert(config->host_count > 0 && config->loss >= 0 && config->loss < 1);
    assert(config->loss == 0 || config->loss_rng != NULL);
    tcp_net *t = calloc(1, sizeof *t);
    if (t == NULL) return NULL;
    t->config = *config;
    t->k = k;
    segvec_init(&t->ends, sizeof(tcp_end));
    uint32_t rwnd = config->rwnd_bytes ? config->rwnd_bytes : TCP_RWND_BYTES;
    t->rwnd_segments = rwnd / TCP_MSS_BYTES > 0 ? rwnd / TCP_MSS_BYTES : 1;
    t->hosts = calloc(config->host_count, sizeof *t->hosts);
    if (t->hosts == NULL) {
        segvec_free(&t->ends);
        free(t);
        return NULL;
    }
    for (uint32_t i = 0; i < config->host_count; i++) tcp_set_bandwidth(t, i, config->up_bps, config->down_bps);
    return t;
}

void tcp_destroy(tcp_net *t) {
    if (t == NULL) return;
    for (size_t i = 0; i < t->end_count; i++) {
        if (!segvec_has(&t->ends, i)) continue;
        free(end_at(t, i)->queue);
        free(end_at(t, i)->acks);
    }
    for (uint32_t i = 0; i < t->config.host_count; i++) {
        free(t->hosts[i].ready);
        downlink_free(&t->hosts[i].down);
    }
    segvec_free(&t->ends);
    free(t->hosts);
    free(t);
}

void tcp_open(tcp_net *t, uint32_t conn, uint32_t dialer, uint32_t listener, uint64_t latency_ns,
              uint64_t dialer_ready_ns) {
    assert(dialer < t->config.host_count && listener < t->config.host_count);
    size_t need = 2 * (size_t)conn + 2, had = t->end_count;
    while (had < need && !__atomic_compare_exchange_n(&t->end_count, &had, need, false, __ATOMIC_RELAXED,
                                                      __ATOMIC_RELAXED)) {
    }
    for (int side = 0; side < 2; side++) {
        tcp_end *e = segvec_make(&t->ends, 2 * (size_t)conn + (size_t)side);
        assert(!e->opened);
        e->opened = true;
        e->host = side == 0 ? dialer : listener;
        e->peer_host = side == 0 ? listener : dialer;
        e->latency_ns = latency_ns;
        e->loss = t->config.loss;
        e->ready_ns = side == 0 ? dialer_ready_ns : kernel_now(t->k);
        e->cwnd = TCP_INITIAL_WINDOW;
        e->ssthresh = UINT32_MAX; /* slow start until the first loss */
    }
}

/* ---- the window ------------------------------------------------------- */

static void window_on_ack(tcp_net *t, tcp_end *e) {
    e->acked_segments++;
    if (e->acked_segments <= e->recovery_end) return; /* ACKs of a lossy window do not grow it */
    /* The window grows only while the sender fills it (Linux's
     * tcp_is_cwnd_limited: twice what is in flight in slow start). */
    if (e->cwnd >= t->rwnd_segments) return;
    if (e->cwnd < e->ssthresh) {
        if (e->cwnd < 2 * e->inflight_peak) e->cwnd++;
        return;
    }
    if (e->inflight_peak < e->cwnd) return;
    if (++e->cwnd_count >= e->cwnd) { /* Reno: one segment per window acknowledged */
        e->cwnd_count = 0;
        e->cwnd++;
    }
}

/* The loss found at e->loss_ns: fast retransmit halves the window (RFC
 * 5681 3.2, NewReno), a timeout leaves one segment (3.1). */
static void window_on_loss(tcp_end *e) {
    uint32_t in_flight = (uint32_t)e->ack_count;
    if (e->loss_by_timeout) {
        e->ssthresh = in_flight / 2 > 2 ? in_flight / 2 : 2;
        e->cwnd = 1;
    } else {
        e->ssthresh = e->cwnd / 2 > 2 ? e->cwnd / 2 : 2;
        e->cwnd = e->ssthresh;
    }
    e->cwnd_count = 0;
    e->recovery_end = e->sent_segments;
    e->loss_pending = false;
}

/* Reads the ACKs (and a loss found) that came back by now, in time order. */
static void acks_read(tcp_net *t, tcp_end *e, uint64_t now) {
    for (;;) {
        uint64_t next = e->ack_count > 0 ? e->acks[e->ack_head] : UINT64_MAX;
        if (e->loss_pending && e->loss_ns <= now && e->loss_ns <= next) {
            window_on_loss(e);
            continue;
        }
        if (next > now) break;
        e->ack_head = (e->ack_head + 1) % e->ack_cap;
        e->ack_count--;
        window_on_ack(t, e);
    }
    if (e->ack_count == 0) e->inflight_peak = 0;
}

static void acks_push(tcp_end *e, uint64_t at_ns) {
    if (e->ack_count == e->ack_cap) {
        size_t cap = e->ack_cap ? 2 * e->ack_cap : 16;
        uint64_t *ring = malloc(cap * sizeof *ring);
        if (ring == NULL) abort();
        for (size_t i = 0; i < e->ack_count; i++) ring[i] = e->acks[(e->ack_head + i) % e->ack_cap];
        free(e->acks);
        e->acks = ring;
        e->ack_head = 0;
        e->ack_cap = cap;
    }
    assert(e->ack_count == 0 || e->acks[(e->ack_head + e->ack_count - 1) % e->ack_cap] <= at_ns);
    e->acks[(e->ack_head + e->ack_count) % e->ack_cap] = at_ns;
    e->ack_count++;
}

/* In flight as Linux counts it (max_packets_out): what left, and what the
 * window lets wait for the uplink, which the kernel has handed down already. */
static void inflight_note(tcp_end *e) {
    uint64_t queued = (e->len + TCP_MSS_BYTES - 1) / TCP_MSS_BYTES;
    uint64_t out = e->ack_count + queued < e->cwnd ? e->ack_count + queued : e->cwnd;
    if (out > e->inflight_peak) e->inflight_peak = (uint32_t)out;
}

/* Linux's tcp_cwnd_restart: after an RTO with nothing sent and nothing in
 * flight, the window halves per RTO idle, down to the initial window. */
static void window_restart_after_idle(tcp_end *e, uint64_t now) {
    if (e->ack_count > 0 || e->sent_segments == 0) return;
    uint64_t rto = end_rto_ns(e), idle = now - e->last_send_ns;
    if (idle <= rto) return;
    uint32_t restart = e->cwnd < TCP_INITIAL_WINDOW ? e->cwnd : TCP_INITIAL_WINDOW;
    uint32_t three_quarters = (e->cwnd >> 1) + (e->cwnd >> 2);
    if (e->ssthresh < three_quarters) e->ssthresh = three_quarters; /* tcp_current_ssthresh */
    while (idle > rto && e->cwnd > restart) {
        idle -= rto;
        e->cwnd >>= 1;
    }
    if (e->cwnd < restart) e->cwnd = restart;
    e->cwnd_count = 0;
}

/* ---- sending ---------------------------------------------------------- */

static rng *loss_rng(tcp_net *t, const tcp_end *e) {
    return t->config.rng_per_host ? &t->config.loss_rng[e->host] : t->config.loss_rng;
}
static rng *jitter_rng(tcp_net *t, const tcp_end *e) {
    return t->config.rng_per_host ? &t->config.jitter_rng[e->host] : t->config.jitter_rng;
}

/* A dropped segment: when the sender learns of it, and when the
 * retransmission (drawn again) arrives. The first loss of a window
 * reduces the window when it is found. */
static uint64_t segment_loss(tcp_net *t, tcp_end *e, uint64_t sent_ns, uint64_t arrival_ns, uint64_t wire_max_ns) {
    uint64_t rto = end_rto_ns(e);
    bool first = true;
    for (unsigned tries = 0; tries < TCP_RETRIES_MAX && rng_uniform(loss_rng(t, e)) < e->loss; tries++) {
        __atomic_fetch_add(&t->stats.segments_lost, 1, __ATOMIC_RELAXED);
        uint64_t found;
        bool fast = first && e->len >= (size_t)TCP_DUPTHRESH * TCP_MSS_BYTES;
        if (fast) { /* the duplicate ACKs of the segments behind it */
            found = arrival_ns + e->latency_ns;
            __atomic_fetch_add(&t->stats.fast_retransmits, 1, __ATOMIC_RELAXED);
        } else {
            found = sent_ns + rto;
            rto = min_u64(2 * rto, TCP_RTO_MAX_NS);
            __atomic_fetch_add(&t->stats.timeout_retransmits, 1, __ATOMIC_RELAXED);
        }
        if (first && !e->loss_pending && e->acked_segments >= e->recovery_end) {
            e->loss_pending = true;
            e->loss_ns = found;
            e->loss_by_timeout = !fast;
        }
        first = false;
        sent_ns = found; /* the retransmission, ahead of the queue */
        arrival_ns = found + wire_max_ns + e->latency_ns;
    }
    return arrival_ns;
}

/* An emptied queue gives back storage beyond TCP_QUEUE_KEEP_BYTES: one
 * 128 KiB message to a mesh would otherwise leave every end of every host
 * holding 128 KiB for the rest of the run (issue 13: 60% of the blob
 * scenario's peak). Small queues stay, so small writes do not allocate. */
static void queue_release(tcp_end *e) {
    assert(e->len == 0);
    e->head = 0;
    if (e->cap <= TCP_QUEUE_KEEP_BYTES) return;
    free(e->queue);
    e->queue = NULL;
    e->cap = 0;
}

/* Toward an unlimited downlink the sender knows when the segment arrives,
 * and so when its ACK comes back. */
static void segment_arrive(tcp_net *t, uint32_t end, uint64_t up_start, uint64_t up_ns, const uint8_t *bytes,
                           size_t len, bool fin) {
    tcp_end *e = end_at(t, end);
    uint64_t arrival = up_start + up_ns + e->latency_ns;
    if (e->jitter_ns > 0) arrival += rng_below(jitter_rng(t, e), e->jitter_ns + 1);
    if (e->loss > 0) arrival = segment_loss(t, e, up_start + up_ns, arrival, up_ns);
    arrival = max_u64(arrival, e->last_arrival_ns); /* the receiver holds bytes behind a hole */
    e->last_arrival_ns = arrival;
    acks_push(e, arrival + e->latency_ns);
    t->config.deliver(t->config.user, end ^ 1, arrival, bytes, len);
    if (fin) t->config.fin(t->config.user, end ^ 1, arrival);
}

/* Toward a limited downlink the receiving host books it, when the segment
 * reaches it (TCP_EV_REACH, one way after it left): another host's
 * downlink is state of another part of a parallel world
 * (docs/performance.md). Its ACK then comes back as an event (TCP_EV_ACK).
 * The loss of a segment is found as if the downlink were idle (a fast
 * retransmit one round trip after its unqueued arrival). */
static void segment_reach(tcp_net *t, uint32_t end, uint64_t up_start, uint64_t up_ns, const uint8_t *bytes,
                          size_t len, bool fin) {
    tcp_end *e = end_at(t, end);
    uint64_t down_ns = wire_ns(len, t->hosts[e->peer_host].down_bps);
    uint64_t idle = up_start + e->latency_ns + max_u64(up_ns, down_ns); /* its arrival on an idle downlink */
    uint64_t arrival = idle;
    if (e->jitter_ns > 0) arrival += rng_below(jitter_rng(t, e), e->jitter_ns + 1);
    if (e->loss > 0) arrival = segment_loss(t, e, up_start + up_ns, arrival, max_u64(up_ns, down_ns));
    tcp_segment *s = malloc(sizeof *s + len);
    if (s == NULL) abort();
    *s = (tcp_segment){.number = e->sent_segments, .up_end_ns = up_start + up_ns, .latency_ns = e->latency_ns,
                       .extra_ns = arrival - idle, .fin = fin, .len = len};
    memcpy(s->bytes, bytes, len);
    acks_push(e, TCP_ACK_UNKNOWN);
    kernel_schedule(t->k, up_start + e->latency_ns, t->config.event_base + TCP_EV_REACH, end ^ 1,
                    (uint64_t)(uintptr_t)s);
}

/* A FIN alone toward a limited downlink: it reaches the peer one way
 * later, after the segments still on their way (it takes no downlink
 * time, and draws no jitter or loss, as toward an unlimited one). */
static void fin_reach(tcp_net *t, uint32_t end) {
    tcp_end *e = end_at(t, end);
    uint64_t now = kernel_now(t->k);
    tcp_segment *s = malloc(sizeof *s);
    if (s == NULL) abort();
    *s = (tcp_segment){.up_end_ns = now, .latency_ns = e->latency_ns, .fin = true};
    kernel_schedule(t->k, now + e->latency_ns, t->config.event_base + TCP_EV_REACH, end ^ 1, (uint64_t)(uintptr_t)s);
}

/* The receiver's host books its downlink for a segment that reaches it
 * now, delivers it in order and sends its ACK back. */
static void segment_on_reach(tcp_net *t, uint32_t to_end, tcp_segment *s) {
    tcp_end *in = end_at(t, to_end);
    tcp_host *h = &t->hosts[in->host];
    uint64_t now = kernel_now(t->k), arrival = now;
    if (s->len > 0) {
        uint64_t down_ns = wire_ns(s->len, h->down_bps);
        uint64_t down_start = downlink_book(&h->down, now, now, down_ns);
        arrival = max_u64(s->up_end_ns + s->latency_ns, down_start + down_ns) + s->extra_ns;
    }
    arrival = max_u64(arrival, in->in_last_ns); /* the receiver holds bytes behind a hole */
    in->in_last_ns = arrival;
    if (s->len > 0) {
        kernel_schedule(t->k, arrival + s->latency_ns, t->config.event_base + TCP_EV_ACK, to_end ^ 1, s->number);
        t->config.deliver(t->config.user, to_end, arrival, s->bytes, s->len);
    }
    if (s->fin) t->config.fin(t->config.user, to_end, arrival);
    free(s);
}

static void end_ready(tcp_net *t, uint32_t end);

/* Segment number's ACK is back: its slot gets the time, and the sender
 * looks whether its window opened. */
static void segment_on_ack(tcp_net *t, uint32_t end, uint64_t number) {
    tcp_end *e = end_at(t, end);
    assert(number >= e->acked_segments && number - e->acked_segments < e->ack_count);
    size_t slot = (e->ack_head + (size_t)(number - e->acked_segments)) % e->ack_cap;
    assert(e->acks[slot] == TCP_ACK_UNKNOWN);
    e->acks[slot] = kernel_now(t->k);
    if (e->len > 0) end_ready(t, end);
}

/* The end sends its next segment on its host's uplink. */
static void segment_send(tcp_net *t, uint32_t end) {
    tcp_end *e = end_at(t, end);
    tcp_host *from = &t->hosts[e->host];
    uint64_t now = kernel_now(t->k);
    if (!t->config.no_idle_restart) window_restart_after_idle(e, now);
    size_t len = e->len < TCP_MSS_BYTES ? e->len : TCP_MSS_BYTES;
    assert(len > 0);
    uint64_t up_ns = wire_ns(len, from->up_bps);
    uint64_t up_start = max_u64(now, from->up_free_ns);
    from->up_free_ns = up_start + up_ns;
    const uint8_t *bytes = e->queue + e->head;
    e->head += len;
    e->len -= len;
    bool fin = e->len == 0 && e->fin_pending;
    if (t->hosts[e->peer_host].down_bps == 0)
        segment_arrive(t, end, up_start, up_ns, bytes, len, fin);
    else
        segment_reach(t, end, up_start, up_ns, bytes, len, fin);
    inflight_note(e);
    e->sent_segments++;
    __atomic_fetch_add(&t->stats.segments_sent, 1, __ATOMIC_RELAXED);
    e->last_send_ns = now;
    if (e->len == 0) queue_release(e);
    if (fin) e->fin_pending = false;
}

static void ready_push(tcp_host *h, uint32_t end) {
    if (h->ready_count == h->ready_cap) {
        size_t cap = h->ready_cap ? 2 * h->ready_cap : 16;
        uint32_t *ring = malloc(cap * sizeof *ring);
        if (ring == NULL) abort();
        for (size_t i = 0; i < h->ready_count; i++) ring[i] = h->ready[(h->ready_head + i) % h->ready_cap];
        free(h->ready);
        h->ready = ring;
        h->ready_head = 0;
        h->ready_cap = cap;
    }
    h->ready[(h->ready_head + h->ready_count) % h->ready_cap] = end;
    h->ready_count++;
}

static uint32_t ready_pop(tcp_host *h) {
    assert(h->ready_count > 0);
    uint32_t end = h->ready[h->ready_head];
    h->ready_head = (h->ready_head + 1) % h->ready_cap;
    h->ready_count--;
    return end;
}

/* Whether the end may send a segment now; if not, it wakes when it may. */
static bool end_may_send(tcp_net *t, uint32_t end) {
    tcp_end *e = end_at(t, end);
    uint64_t now = kernel_now(t->k);
    acks_read(t, e, now);
    if (e->len == 0) return false;
    uint32_t window = e->cwnd < t->rwnd_segments ? e->cwnd : t->rwnd_segments;
    if (now >= e->ready_ns && e->ack_count < window) return true;
    uint64_t wake = now < e->ready_ns ? e->ready_ns : e->acks[e->ack_head];
    if (e->loss_pending && e->loss_ns < wake) wake = e->loss_ns;
    if (wake == TCP_ACK_UNKNOWN) return false; /* the ACK's event wakes it */
    if (!(e->wake_pending && e->wake_ns == wake)) {
        e->wake_pending = true;
        e->wake_ns = wake;
        kernel_schedule(t->k, wake, t->config.event_base + TCP_EV_WAKE, end, wake);
    }
    return false;
}

/* The host's uplink sends while it is free, round robin over its ends. */
static void host_pump(tcp_net *t, uint32_t host) {
    tcp_host *h = &t->hosts[host];
    uint64_t now = kernel_now(t->k);
    while (h->ready_count > 0 && h->up_free_ns <= now) {
        uint32_t end = ready_pop(h);
        end_at(t, end)->in_ready = false;
        if (!end_may_send(t, end)) continue;
        segment_send(t, end);
        if (end_at(t, end)->len > 0) {
            end_at(t, end)->in_ready = true;
            ready_push(h, end);
        }
    }
    if (h->ready_count > 0 && !h->pump_pending) {
        h->pump_pending = true;
        kernel_schedule(t->k, h->up_free_ns, t->config.event_base + TCP_EV_PUMP, host, 0);
    }
}

static void end_ready(tcp_net *t, uint32_t end) {
    tcp_end *e = end_at(t, end);
    if (!e->in_ready && e->len > 0) {
        e->in_ready = true;
        ready_push(&t->hosts[e->host], end);
    }
    host_pump(t, e->host);
}

void tcp_write(tcp_net *t, uint32_t end, const uint8_t *bytes, size_t len) {
    assert(end_at(t, end)->opened);
    tcp_end *e = end_at(t, end);
    if (len == 0) return;
    if (e->head + e->len + len > e->cap) {
        if (e->len > 0) memmove(e->queue, e->queue + e->head, e->len); /* sent bytes are gone */
        e->head = 0;
        if (e->len + len > e->cap) {
            e->cap = e->len + len > 2 * e->cap ? e->len + len : 2 * e->cap;
            e->queue = realloc(e->queue, e->cap);
            if (e->queue == NULL) abort();
        }
    }
    memcpy(e->queue + e->head + e->len, bytes, len);
    e->len += len;
    end_ready(t, end);
}

void tcp_fin(tcp_net *t, uint32_t end) {
    tcp_end *e = end_at(t, end);
    if (e->len > 0) {
        e->fin_pending = true;
        return;
    }
    if (t->hosts[e->peer_host].down_bps != 0) return fin_reach(t, end);
    t->config.fin(t->config.user, end ^ 1, max_u64(kernel_now(t->k) + e->latency_ns, e->last_arrival_ns));
}

void tcp_reset(tcp_net *t, uint32_t end) {
    tcp_end *e = end_at(t, end);
    e->len = 0;
    e->fin_pending = false;
    queue_release(e);
}

bool tcp_owns_event(const tcp_net *t, uint32_t kind) {
    return kind >= t->config.event_base && kind < t->config.event_base + TCP_EVENT_KINDS;
}

void tcp_on_event(tcp_net *t, const kernel_event *ev) {
    if (ev->kind == t->config.event_base + TCP_EV_PUMP) {
        t->hosts[ev->a].pump_pending = false;
        host_pump(t, ev->a);
        return;
    }
    if (ev->kind == t->config.event_base + TCP_EV_REACH)
        return segment_on_reach(t, ev->a, (tcp_segment *)(uintptr_t)ev->b);
    if (ev->kind == t->config.event_base + TCP_EV_ACK) return segment_on_ack(t, ev->a, ev->b);
    assert(ev->kind == t->config.event_base + TCP_EV_WAKE);
    tcp_end *e = end_at(t, ev->a);
    if (!e->wake_pending || e->wake_ns != ev->b) return; /* superseded */
    e->wake_pending = false;
    end_ready(t, ev->a);
}

uint32_t tcp_event_host(const tcp_net *t, uint32_t kind, uint32_t a) {
    if (kind == t->config.event_base + TCP_EV_PUMP) return a;
    assert(kind < t->config.event_base + TCP_EVENT_KINDS);
    return end_at((tcp_net *)t, a)->host; /* a wake-up's and an ACK's sender, a segment's receiver */
}

void tcp_release_event(tcp_net *t, const kernel_event *ev) {
    if (ev->kind == t->config.event_base + TCP_EV_REACH) free((tcp_segment *)(uintptr_t)ev->b);
}

uint32_t tcp_cwnd(tcp_net *t, uint32_t end) {
    acks_read(t, end_at(t, end), kernel_now(t->k));
    return end_at(t, end)->cwnd;
}
void tcp_get_stats(const tcp_net *t, tcp_stats *out) { *out = t->stats; }
