/*
 * ns3_net: a network of hosts in ns-3 (3.37), for the world to drive from C
 * (issue 14; docs/fidelity.md). The project's only C++ is behind this header.
 *
 * Topology: one router per region; the routers joined in a full mesh by
 * point-to-point links carrying the region matrix's latency; each host on
 * its region's router by an access link whose two directions have the
 * host's up and down bandwidth. A host-to-host path is therefore access,
 * core, access: its one-way latency is the matrix's entry (see
 * ns3_net_config.latency_ns for the split and for asymmetric matrices).
 * Every device queues in a drop-tail FIFO of queue_packets packets (no
 * queue disc). Loss is a RateErrorModel on each host's receiving device;
 * a path's loss and partitions drop at the sender's router; a path's
 * jitter delays packets on the receiver's access link.
 * Routes: ns-3's global routing (shortest paths, computed once at create).
 *
 * Connections are ns-3 TCP sockets: connection conn has ends 2conn (the
 * dialer's) and 2conn+1 (the listener's), as in sim/world/tcp.h. Nagle is
 * off, the congestion control is NewReno (or Linux's Reno, which counts
 * segments acknowledged), IW 10, MSS 1,448, MinRto 200 ms, 6 MiB buffers.
 *
 * ns-3 keeps its simulator, node list and random seed in globals: at most
 * one ns3_net exists at a time (ns3_net_create fails while another lives),
 * and ns3_net_destroy resets the simulator for the next. Deterministic: time
 * is ns-3's virtual clock, and every random variable it draws from has a
 * stream number fixed here, under the seed of the config.
 *
 * Callbacks run inside ns3_net_run, on ns-3's clock; from them the caller
 * may write, close and schedule. ns3_net_write and ns3_net_close never call
 * back before they return.
 */
#ifndef SWARMLAB_NS3_NET_H
#define SWARMLAB_NS3_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NS3_NET_HOSTS_MAX 65536
#define NS3_NET_REGIONS_MAX 64
#define NS3_NET_CONNS_MAX (1u << 20)
#define NS3_NET_UNLIMITED_BPS 100000000000ull /* what a bandwidth of 0 becomes: 100 Gbit/s */
#define NS3_NET_QUEUE_PACKETS 1000 /* the default drop-tail queue: Linux's txqueuelen */
#define NS3_NET_FQ_PACKETS 1000000 /* host_fair_queue: the built-in uplink is unbounded */
#define NS3_NET_MSS_BYTES 1448
#define NS3_NET_INITIAL_WINDOW 10
#define NS3_NET_MIN_RTO_NS 200000000ull
#define NS3_NET_BUFFER_BYTES (6u << 20) /* send and receive buffers: tcp.h's TCP_RWND_BYTES */
#define NS3_NET_SYN_RTO_NS 1000000000ull /* a SYN's first timeout, doubling: Linux's */
#define NS3_NET_SYN_SENDS 7              /* Linux's tcp_syn_retries 6, plus the first */
#define NS3_NET_DATA_RETRIES 15          /* Linux's tcp_retries2 */

typedef enum ns3_net_congestion {
    NS3_NET_NEWRENO = 0,   /* ns3::TcpNewReno: slow start grows one segment per ACK */
    NS3_NET_LINUX_RENO = 1 /* ns3::TcpLinuxReno: one segment per segment acknowledged */
} ns3_net_congestion;

/* Bytes reach end to_end at at_ns, in order (len > 0). */
typedef void (*ns3_net_deliver_fn)(void *user, uint32_t to_end, uint64_t at_ns, const uint8_t *bytes, size_t len);
/* The end's connection is established (the dialer's SYN-ACK, the listener's accept). */
typedef void (*ns3_net_established_fn)(void *user, uint32_t end, uint64_t at_ns);
/* The end's connection is over: the other end's FIN reached it after all its
 * bytes (error false), or the connection failed or was reset (error true). */
typedef void (*ns3_net_closed_fn)(void *user, uint32_t end, uint64_t at_ns, bool error);
typedef void (*ns3_net_timer_fn)(void *arg);
/* Whether a packet from host `from` to host `to` sent at at_ns meets a cut. */
typedef bool (*ns3_net_cut_fn)(void *user, uint32_t from, uint32_t to, uint64_t at_ns);

typedef struct ns3_net_config {
    uint32_t host_count;           /* 1 .. NS3_NET_HOSTS_MAX */
    uint64_t up_bps, down_bps;     /* every host's bandwidth; 0: unlimited */
    const uint64_t *host_up_bps;   /* host_count entries, or NULL: up_bps for all */
    const uint64_t *host_down_bps; /* likewise */
    /* One-way latency from region r to region s at latency_ns[r * region_count
     * + s]; host_region[h] is host h's region (NULL: all in region 0). The
     * diagonal is the latency within a region: each access link takes half
     * of its region's. A core link takes the rest of the pair's round trip
     * split evenly, (L[r][s] + L[s][r] - L[r][r] - L[s][s]) / 2, which must
     * not be negative: an asymmetric pair gets the mean of its two ways each
     * way (the round trip is exact). */
    uint32_t region_count; /* 1 .. NS3_NET_REGIONS_MAX */
    const uint64_t *latency_ns;
    const uint32_t *host_region;
    uint64_t core_bps;      /* the routers' links; 0: unlimited */
    uint32_t queue_packets; /* each device's drop-tail queue; 0: NS3_NET_QUEUE_PACKETS */
    double loss;            /* per packet a host receives (data and ACKs), 0 .. below 1 */
    /* A path's loss (a network.graph's), region_count * region_count
     * entries or NULL: a packet from a host of region r to a host of
     * region s is lost at r's router with path_loss[r * region_count + s]
     * (data and ACKs; each direction its own), on top of loss. */
    const double *path_loss;
    /* The most jitter from region r to region s, jitter_ns[r * region_count
     * + s], or NULL: each packet with data waits a draw uniform up to it on
     * the receiver's access link, never arriving before the packet its
     * flow sent before it (no reordering within a connection). */
    const uint64_t *jitter_ns;
    uint64_t seed;          /* ns-3's run number (RngSeedManager::SetRun) */
    ns3_net_congestion congestion;
    uint32_t ack_every;     /* segments per ACK (TcpSocket::DelAckCount); 0: ns-3's 2 */
    uint32_t conn_max;      /* connection ids are 0 .. conn_max - 1; <= NS3_NET_CONNS_MAX */
    /* Linux's slow start after idle (net.ipv4.tcp_slow_start_after_idle = 1),
     * which ns-3 3.37 lacks: before a write finds nothing in flight and an
     * RTO or more since the end last sent data, the window halves per RTO
     * idle, down to the initial window (tcp_cwnd_restart; as sim/world/tcp.c). */
    bool idle_restart;
    /* Hosts send through a fair queue, as Linux's fq/fq_codel: FqCoDel with
     * its AQM out of reach (target and interval 1,000 s), NS3_NET_FQ_PACKETS
     * long, over a device queue of one packet; false: the drop-tail FIFO. */
    bool host_fair_queue;
    ns3_net_deliver_fn deliver;
    ns3_net_established_fn established; /* may be NULL */
    ns3_net_closed_fn closed;           /* may be NULL */
    void *user;
} ns3_net_config;

typedef struct ns3_net_stats {
    uint64_t packets_dropped_queue; /* drop-tail drops, every device */
    uint64_t packets_dropped_loss;  /* the error models' */
} ns3_net_stats;

typedef struct ns3_net ns3_net;

/* NULL, with the reason on stderr, on a bad config or while another exists. */
ns3_net *ns3_net_create(const ns3_net_config *config);
void ns3_net_destroy(ns3_net *n);
/* Connection conn from dialer_host to listener_host; false if conn is out
 * of range or in use, or a socket call failed. Writes may follow at once. */
bool ns3_net_open(ns3_net *n, uint32_t conn, uint32_t dialer_host, uint32_t listener_host);
/* Copies the bytes; what the socket's buffer cannot take yet waits here. */
void ns3_net_write(ns3_net *n, uint32_t end, const uint8_t *bytes, size_t len);
/* Closes the end after its bytes (a FIN; the end may still receive, but
 * is not told); the other end's closed callback follows. */
void ns3_net_close(ns3_net *n, uint32_t end);
/* Aborts the end, as when its process dies: its unsent bytes are dropped
 * and an RST goes out now (behind segments already in the host's queues);
 * the other end's closed callback follows when the RST reaches it (error
 * false: ns-3 reports it as a close). This end hears nothing more. An RST
 * lost on the way leaves the peer open until it sends and is answered by
 * another RST (from the host's TCP, which has no socket for it). */
void ns3_net_reset(ns3_net *n, uint32_t end);
/* Whether the host listens (all do from create): a SYN to a host that
 * does not gets an RST, and the dialer's closed callback (error true)
 * follows one round trip after its dial. Connections that were being
 * accepted when the host stopped are reset at their accept. */
bool ns3_net_listen(ns3_net *n, uint32_t host, bool on);
/* Partitions: from now on every packet a host sends is dropped at its
 * router when cut(user, from, to, now) says so. Once per network. */
bool ns3_net_set_cut(ns3_net *n, ns3_net_cut_fn cut, void *user);
/* Bytes written to the end and not yet in ns-3's send buffer. */
size_t ns3_net_pending(const ns3_net *n, uint32_t end);
/* A one-shot timer at at_ns (>= now) on ns-3's clock; returns its id (> 0). */
uint64_t ns3_net_schedule(ns3_net *n, uint64_t at_ns, ns3_net_timer_fn fn, void *arg);
/* false if the timer already ran or was cancelled. */
bool ns3_net_cancel(ns3_net *n, uint64_t timer);
uint64_t ns3_net_now_ns(const ns3_net *n);
/* Runs the events up to until_ns; the clock is then until_ns. */
void ns3_net_run(ns3_net *n, uint64_t until_ns);
/* The end's congestion window in segments (for tests); 0 without a socket. */
uint32_t ns3_net_cwnd(const ns3_net *n, uint32_t end);
void ns3_net_get_stats(const ns3_net *n, ns3_net_stats *out);

#ifdef __cplusplus
}
#endif

#endif
