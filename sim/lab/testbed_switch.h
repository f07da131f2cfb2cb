/*
 * testbed_switch: the testbed's links in user space (docs/testbed.md).
 *
 * Each host's namespace has a TUN device, eth0, whose other end (a file
 * descriptor) the switch holds. The switch is one process: it reads every
 * IPv4 packet a host sends, finds the receiving host by its address
 * (10.77.0.0/16 + index + 1), and writes the packet into the receiver's
 * TUN device when it is due: after the sender's uplink has serialised it
 * (up_bps), the one-way latency of the pair (delay_ns[sender * n +
 * receiver]), and the receiver's downlink (down_bps), which serialises in
 * the order packets arrive at it; a packet is lost with the pair's
 * probability loss[sender * n + receiver]. Packets between a pair keep
 * their order. Partitions drop packets between groups (below). This is what tc netem and tbf would do on veth links; the
 * switch exists because a
 * kernel without sch_netem (this machine's) has no other way to delay
 * packets.
 *
 * Bounds: at most TESTBED_SWITCH_QUEUE_MAX packets and
 * TESTBED_SWITCH_BYTES_MAX bytes in flight (more are dropped, as a full
 * netem queue drops them), and a packet whose uplink backlog would pass
 * TESTBED_SWITCH_BACKLOG_NS is dropped.
 */
#ifndef SWARMLAB_TESTBED_SWITCH_H
#define SWARMLAB_TESTBED_SWITCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TESTBED_SWITCH_QUEUE_MAX 200000
#define TESTBED_SWITCH_BYTES_MAX (256u << 20)
#define TESTBED_SWITCH_BACKLOG_NS 2000000000ull
#define TESTBED_SWITCH_MTU 1500

typedef struct testbed_switch_config {
    uint32_t host_count;
    const int *tun_fds;        /* per host, non-blocking */
    const uint64_t *delay_ns;  /* host_count x host_count, sender-major */
    const uint64_t *up_bps;    /* per host; 0: unlimited */
    const uint64_t *down_bps;  /* per host; 0: unlimited */
    const double *loss;        /* host_count x host_count, sender-major: 0..1 per packet */
    uint64_t seed;             /* for the losses */
    /* network.partitions: during [at_ns[p], until_ns[p]) of the testbed's
     * time, a packet between hosts a and b with group[p * host_count + a]
     * != group[p * host_count + b] is dropped. The testbed's time 0 (a
     * CLOCK_MONOTONIC value, 8 bytes) arrives on t0_fd once the daemons
     * run; until then no partition applies. */
    size_t partition_count;
    const uint64_t *partition_at_ns, *partition_until_ns;
    const uint8_t *partition_group;
    int t0_fd; /* -1 without partitions */
} testbed_switch_config;

/* Forks the switch process (it dies with us: PR_SET_PDEATHSIG; SIGTERM
 * stops it). Returns its pid, or -1 with err filled. */
pid_t testbed_switch_start(const testbed_switch_config *config, char *err, size_t err_cap);

/* The switch's loop; returns only on a fatal error. For the tests. */
int testbed_switch_run(const testbed_switch_config *config);

#endif
