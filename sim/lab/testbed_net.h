/*
 * testbed_net: the testbed's network on Linux (docs/testbed.md): network
 * namespaces, veth pairs, a bridge and tc qdiscs, made and removed by
 * running ip(8) and tc(8) with argument vectors (fork and exec, never a
 * shell), and the daemons started inside them.
 *
 * Every name carries the prefix "swl" then the owning testbed's pid:
 *   swl<pid>-core   the core namespace, holding the bridge swl<pid>br and
 *                   the hosts' veth ends swl<pid>h<i>
 *   swl<pid>-n<i>   host i's namespace, its veth end named eth0, address
 *                   10.77.0.0/16 + i + 1
 * Nothing is made in the caller's own namespace, so deleting the
 * namespaces deletes every link. A leftover is a namespace or link whose
 * name is the prefix and a pid that no live process has: testbed_net_sweep
 * removes those (after killing what still runs in them), and nothing else,
 * so two testbeds can run side by side.
 */
#ifndef SWARMLAB_TESTBED_NET_H
#define SWARMLAB_TESTBED_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TESTBED_PREFIX "swl"
#define TESTBED_NAME_MAX 32
#define TESTBED_HOSTS_MAX 1000
#define TESTBED_EXEC_TIMEOUT_MS 10000 /* one ip or tc command */

/* What a host's links do to its packets; 0 means none. */
typedef struct testbed_shaping {
    uint64_t delay_ns;  /* one-way, on the host's egress */
    uint64_t jitter_ns; /* netem jitter (uniform) around delay_ns */
    double loss;        /* 0..1, per packet, on the host's egress */
    uint64_t up_bps;    /* the host's egress rate */
    uint64_t down_bps;  /* the rate towards the host, on the core's end of its veth */
} testbed_shaping;

/* 0 when ip and tc are there and we may use them (root, CAP_NET_ADMIN);
 * else -1 with why. */
int testbed_net_available(char *why, size_t why_cap);

/* Removes leftovers of testbeds that are gone (see above). Returns how
 * many namespaces and links it removed. */
int testbed_net_sweep(void);

/* The names and addresses of owner's testbed. */
void testbed_net_ns_name(pid_t owner, uint32_t host, char *out, size_t cap);
void testbed_net_core_name(pid_t owner, char *out, size_t cap);
void testbed_net_address(uint32_t host, char *out, size_t cap); /* "10.77.0.1" */

/* The core namespace and its bridge; then host i's namespace, veth and
 * shaping. 0, or -1 with err filled. */
int testbed_net_create_core(pid_t owner, char *err, size_t err_cap);
int testbed_net_create_host(pid_t owner, uint32_t host, const testbed_shaping *shaping, char *err,
                            size_t err_cap);

/* Host i's namespace with a TUN device eth0 in place of the veth (the
 * links of testbed_switch.h); *tun_fd is its other end, non-blocking.
 * 0, or -1 with err filled. */
int testbed_net_create_host_tun(pid_t owner, uint32_t host, int *tun_fd, char *err, size_t err_cap);

/* Deletes owner's namespaces (hosts 0..host_count-1 and the core), which
 * deletes their links. Safe to call for what was never made. */
void testbed_net_destroy(pid_t owner, uint32_t host_count);

/* Starts argv[0] with argv in host's namespace, in a UTS namespace of its
 * own with hostname "node<host>", with standard output to stdout_path and
 * standard error to stderr_path; it gets SIGKILL if we die. Returns the
 * pid, or -1 with err filled. */
pid_t testbed_net_spawn(pid_t owner, uint32_t host, char *const argv[], const char *stdout_path,
                        const char *stderr_path, char *err, size_t err_cap);

#endif
