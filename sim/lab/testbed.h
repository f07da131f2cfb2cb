/*
 * testbed: a scenario on real daemons (docs/testbed.md).
 *
 *   swarmlab testbed SCENARIO [--out DIR] [--seed N] [--set KEY=VALUE]... [--node PATH] [--no-plots]
 *
 * One swarmlab-node per honest host, each in a network namespace of its
 * own (and a UTS namespace with hostname nodeN). By default (--links tun)
 * each namespace's eth0 is a TUN device whose other end a user-space
 * switch holds (testbed_switch.h): it applies the world's per-pair
 * latency (network.latency drawn per pair, or the regions' matrix), loss
 * and the hosts' up and down bandwidths (network.bandwidth, or the node
 * classes'). --links netem joins the namespaces by veth pairs to a bridge
 * in a core namespace instead, with tc netem on each host's egress
 * (constant latency, loss and bandwidth only; testbed_net.h). The hosts
 * come up at the world's join times and dial the world's topology
 * (sim/world/topology.h), subscribe, and publish at the world's workload
 * times (run.h's schedule), all through the daemons' control sockets, in
 * real time for the scenario's duration. Then the daemons stop, the
 * network is removed, and their JSON-line traces, merged on the one
 * monotonic clock, go through analysis/ as a world run's events do:
 * metrics.json, the CSVs, the plots. Each daemon's standard output stays
 * in OUT/hosts/nodeN/swarmlab-node.stdout, its trace in trace.jsonl.
 *
 * Partitions: the switch drops packets between the world's groups during
 * each window.
 *
 * Churn and offline windows: the world's schedule (faults_plan). A host
 * going down is a crash (the daemon syncs its trace, then SIGKILL); one
 * coming back is a new daemon with the same key file and address that
 * subscribes and dials every neighbour. Each life after the first writes
 * trace.N.jsonl and swarmlab-node.N.stdout (N = 1, 2, ...).
 *
 * Attackers of kind drop: daemons started with --attack drop (the world's
 * censor policy), hosts nodes.count onwards, up at their group's start,
 * subscribed, dialing the honest hosts the world draws
 * (attack_drop_arrivals).
 *
 * Refused for now (exit 2, with the key named): attackers of other kinds,
 * with same_ip, or beside regions, a graph, classes or partitions,
 * gossipsub parameters the daemon has no flag for,
 * per-topic validation delays, payloads above 3800 bytes (a control
 * line). The regions' jitter is not applied.
 *
 * Exit codes: 0 success, 1 the testbed failed (or cannot run here: not root,
 * no ip or tc), 2 bad input, 130 interrupted (SIGINT, SIGTERM, SIGHUP), after
 * the cleanup.
 */
#ifndef SWARMLAB_TESTBED_H
#define SWARMLAB_TESTBED_H

#include <stdbool.h>
#include <stddef.h>

#include "run.h"

/* argv[0] is "testbed". */
int testbed_command(int argc, char **argv);

typedef struct testbed_options {
    const scenario *scenario;
    const char *out_dir;     /* NULL: results/testbed/NAME-SEED */
    const char *node_path;   /* NULL: swarmlab-node next to this program */
    const char *params_path; /* --shadow: every daemon runs this params.json; NULL otherwise */
    bool plots;
    bool netem; /* --links netem */
    bool quiet; /* no summary on standard output */
} testbed_options;

/* Whether the testbed can run here (root, ip and tc, a network namespace).
 * 0, or -1 with why filled. */
int testbed_available(char *why, size_t cap);

/* Whether the testbed runs this scenario: 0, or -1 with err naming what it
 * refuses. */
int testbed_check_scenario(const scenario *s, bool netem, char *err, size_t cap);

/* Runs the scenario on daemons (what `swarmlab testbed` does after parsing)
 * and writes OUT as it does; result (when not NULL) gets the metrics'
 * summary, the digest and the wall time. Returns an exit code as above:
 * 0, 1 (failed or cannot run here), 2 (refused), 130 (interrupted, after
 * the cleanup); err says why when not 0. */
int testbed_run(const testbed_options *options, run_result *result, char *err, size_t cap);

#endif
