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
 * Partitions: the switch drops packets between groups during each window.
 *
 * Partitions: the switch drops packets between the world's groups during
 * each window.
 *
 * Refused for now (exit 2, with the key named): attackers, churn, offline
 * windows, gossipsub parameters the daemon has no flag for,
 * per-topic validation delays, payloads above 3800 bytes (a control
 * line). The regions' jitter is not applied.
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
