/*
 * testbed: a scenario on real daemons (docs/testbed.md).
 *
 *   swarmlab testbed SCENARIO [--out DIR] [--seed N] [--set KEY=VALUE]... [--node PATH] [--no-plots]
 *
 * One swarmlab-node per honest host, each in a network namespace of its
 * own (and a UTS namespace with hostname nodeN), joined by veth pairs to a
 * bridge in a core namespace (testbed_net.h); the scenario's latency,
 * loss and bandwidth as tc netem on the links. The hosts come up at the
 * world's join times and dial the world's topology (sim/world/topology.h),
 * subscribe, and publish at the world's workload times (run.h's schedule),
 * all through the daemons' control sockets, in real time for the
 * scenario's duration. Then the daemons stop, the network is removed, and
 * their JSON-line traces, merged on the one monotonic clock, go through
 * analysis/ as a world run's events do: metrics.json, the CSVs, the plots.
 *
 * Refused for now (exit 2, with the key named): attackers, churn, offline
 * windows, partitions, regions and graphs, node classes, latency
 * distributions other than constant, gossipsub parameters the daemon has no
 * flag for, per-topic validation delays.
 *
 * Exit codes: 0 success, 1 the testbed failed (or cannot run here: not root,
 * no ip or tc), 2 bad input, 130 interrupted (SIGINT, SIGTERM, SIGHUP), after
 * the cleanup.
 */
#ifndef SWARMLAB_TESTBED_H
#define SWARMLAB_TESTBED_H

/* argv[0] is "testbed". */
int testbed_command(int argc, char **argv);

#endif
