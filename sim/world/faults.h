/*
 * faults: what goes wrong during a run (churn, offline windows,
 * partitions), and how honest nodes recover from it (rejoining and a
 * connection upkeep). docs/churn.md describes the model; this is its code.
 *
 * For the honest hosts 0 .. nodes.count - 1 of the world:
 *  - churn: the hosts chosen by churn.nodes alternate online sessions and
 *    downtimes drawn from churn.session and churn.downtime, from the time
 *    each joins. The process starts in its stationary state: a host starts
 *    online with probability a = mean session / (mean session + mean
 *    downtime), and its first period is the residual of a length-biased
 *    draw (FAULTS_RESIDUAL_DRAWS draws, one picked with probability
 *    proportional to its length, then scaled by a uniform fraction), so
 *    that the hosts do not all change state in step;
 *  - offline windows: the chosen hosts go down at `at` and come back at
 *    `at + for`;
 *  - a host is online when it has joined, churn has it online and no
 *    offline window holds it down; going down it loses its connections
 *    and its process (world_host_down);
 *  - coming back, it is a fresh process (the runner's start callback
 *    brings it up and subscribes it) that rejoins: it dials every
 *    topology neighbour and every peer its disk remembers
 *    (world_remembered_peers), whether they are online or not, since a
 *    real node cannot know;
 *  - connection upkeep, the model of a node's connection manager: every
 *    FAULTS_UPKEEP_PERIOD_NS (uniformly jittered by +-50%) an online
 *    honest host with fewer connections than its target (the topology's
 *    degree, bootstrap count, 2 for a ring, all for full) dials its
 *    known peers (neighbours and remembered ones, in a random order, not
 *    yet connected) until connections and dials in flight reach the target;
 *  - partitions go to the world (world_add_partition): their groups, and
 *    the hosts in no group (attackers too) as one more group.
 * Randomness: selectors from stream RNG_STREAM_CHURN; each host's churn
 * periods and upkeep jitter from streams of their own (FAULTS_STREAM_*),
 * so that one host's draws never shift another's.
 */
#ifndef SWARMLAB_FAULTS_H
#define SWARMLAB_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time_units.h"
#include "plot.h"
#include "scenario/scenario.h"
#include "topology.h"
#include "world.h"

#define FAULTS_RESIDUAL_DRAWS 32
#define FAULTS_UPKEEP_PERIOD_NS (10 * NS_PER_S)
#define FAULTS_STREAM_PERIODS(host) (((uint64_t)RNG_STREAM_CHURN << 32) | (uint64_t)(host))
#define FAULTS_STREAM_UPKEEP(host) (((uint64_t)RNG_STREAM_CHURN << 40) | (uint64_t)(host))

typedef struct faults faults;

/* Brings host up as a fresh process, subscribed to its topics: true if
 * it came up. The runner's, so that a rejoin starts a node as a join does. */
typedef bool (*faults_start_fn)(void *user, uint32_t host);

/* The faults of s in w (whose first s->nodes.count hosts are honest, on
 * topology topo). Registers its calls with the world, hands it the
 * partitions and schedules the offline windows: create it before the
 * joins are scheduled, so that a window at time 0 holds its hosts down
 * from the start. NULL when memory runs out. */
faults *faults_create(const scenario *s, world *w, const topology *topo, faults_start_fn start, void *start_user);
void faults_destroy(faults *f);

/* host's join time has come: its churn starts. Whether it should come up
 * now (a churned host may start offline, an offline window may hold it). */
bool faults_join(faults *f, uint32_t host);
/* The runner brought host up at its join: its connection upkeep starts. */
void faults_on_up(faults *f, uint32_t host);

bool faults_churned(const faults *f, uint32_t host);
/* The stationary share of time a churned host is online: mean session
 * over mean session plus mean downtime (1 when the session's mean is
 * infinite and the downtime's is not, 0 the other way round, 1/2 both). */
double faults_availability(const scenario *s);
/* The connections the upkeep keeps a host at. */
uint32_t faults_upkeep_target(const scenario *s);
/* A plan: the same faults without a world, for the testbed, which kills
 * and restarts real daemons. Each host's first change is its JOIN (at its
 * join time, when nothing holds it down) or, when churn or a window holds
 * it down then, a REJOIN later; after that DOWN and REJOIN alternate. The
 * times are those at which the world's hosts go down and come up
 * (node_down, node_up) for the same scenario and join times. */
typedef enum faults_change_kind { FAULTS_CHANGE_JOIN, FAULTS_CHANGE_DOWN, FAULTS_CHANGE_REJOIN } faults_change_kind;
typedef struct faults_change {
    uint64_t at_ns;
    uint32_t host;
    faults_change_kind kind;
} faults_change;

/* The schedule of s's churn and offline windows, host i joining at
 * join_ns[i], up to s->duration_ns; the one state machine the world runs.
 * Destroy with faults_destroy. NULL when memory runs out. */
faults *faults_plan(const scenario *s, const uint64_t *join_ns);
/* The plan's changes, in time order (ties in the world's order). */
const faults_change *faults_plan_changes(const faults *f, size_t *count);

/* The windows the plots shade: offline windows, then partitions, in the
 * scenario's order. Returns how many were written (at most cap). */
size_t faults_windows(const faults *f, plot_window *out, size_t cap);

#endif
