/*
 * attack: the attackers of a scenario (docs/scenarios.md, "attackers";
 * docs/attacks.md).
 *
 * An attacker is the real node with a malicious policy (node_policy in
 * node.h) and, for the kinds that send what no honest router would, RPCs of
 * its own making sent through node_pubsub_send_raw. There is no second
 * protocol implementation: an attacker handshakes, subscribes, joins meshes
 * and gets scored like everyone else. The kinds:
 *
 *  - spam: publishes at `rate` (valid messages, or with `invalid` messages
 *    whose signature is broken) to all its peers;
 *  - drop: joins meshes and never relays others' messages (censorship);
 *  - forge: sends at `rate` messages that claim an honest origin, signed
 *    with its own key (so their signature does not verify);
 *  - replay: keeps the messages it receives and re-sends, at `rate`, the
 *    oldest one it kept that is older than ATTACK_REPLAY_AGE_NS (past the
 *    seen cache's time to live, so that a router would take it as new);
 *  - lie: drops, and every second advertises ids it does not have (IHAVE),
 *    so that IWANT promises break;
 *  - graft-spam: sends GRAFT, then PRUNE, for every topic to every peer at
 *    `rate` (default 1/s): the PRUNE makes the peer back off, so every
 *    later GRAFT lands in a backoff (the v1.1 rule it breaks);
 *  - eclipse: each Sybil dials the `target` (default node 0) first, grafts,
 *    and drops: together they try to fill the target's mesh;
 *  - covert-flash: behaves honestly until `at`, then drops;
 *  - cold-boot: drops, and is in place from the start: every honest node,
 *    as it comes up, dials count x connections / honest attackers of the
 *    group, chosen at random (so the group has about `connections` each);
 *  - slot-exhaust: subscribes to nothing, dials the `target` (default node
 *    0) only, completes the upgrade and stays silent, and dials again each
 *    second while it has no connection there: with `same_ip`, many of them
 *    from one address try to hold every slot of the target (issue 19);
 *  - px-flood: at `rate` (default 1/s), sends every peer an RPC of
 *    ATTACK_PX_PRUNES PRUNEs, each suggesting ATTACK_PX_RECORDS peers with
 *    signed records (issue 19's flood): made-up identities at the
 *    addresses of random honest hosts, so that every dial it provokes
 *    reaches a bystander, which answers as someone else and is dropped
 *    after the handshake.
 *
 * Every attacker comes up at its group's `start` (cold-boot: at 0) and
 * dials `connections` random honest nodes (default ATTACK_CONNECTIONS_
 * DEFAULT; eclipse: the target and connections - 1 others). Attacker
 * hosts are numbered after the honest ones, group by group. Randomness
 * comes from the run's seed (stream RNG_STREAM_ATTACK).
 */
#ifndef SWARMLAB_ATTACK_H
#define SWARMLAB_ATTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time_units.h"
#include "plot.h"
#include "scenario/scenario.h"
#include "world.h"

#define ATTACK_CONNECTIONS_DEFAULT 8
#define ATTACK_REPLAY_KEPT 1024            /* messages a replayer keeps: over 2 min at 8/s */
#define ATTACK_REPLAY_DEDUP 32             /* recent entries a new copy is compared with */
#define ATTACK_REPLAY_AGE_NS (125 * NS_PER_S) /* past the 120 s seen cache */
#define ATTACK_LIE_IDS 8                   /* fake ids per IHAVE */
#define ATTACK_TICK_DEFAULT_NS NS_PER_S /* kinds without a rate act once a second */
#define ATTACK_HOSTS_MAX 4096
#define ATTACK_FLAP_BACKOFF_S 60 /* the backoff a graft-spammer's PRUNE asks for */
#define ATTACK_PX_PRUNES 8       /* PRUNEs per px-flood RPC */
#define ATTACK_PX_RECORDS 16     /* suggestions per PRUNE: the most one may carry */

typedef struct attack attack;

/* The attackers of scenario s in world w, whose first honest_count hosts
 * are honest. topics are the workload's topics, subscribed by attackers.
 * NULL when memory runs out. Registers its calls with the world. */
attack *attack_create(const scenario *s, world *w, uint32_t honest_count);
void attack_destroy(attack *a);

/* Attacker hosts in all (honest_count .. honest_count + this - 1). */
uint32_t attack_host_count(const scenario *s);
/* Schedules the arrival of the cold-boot attackers (cold_boot: before the
 * honest nodes are scheduled, so that they are up first at time 0), or of
 * the others (after the honest nodes, so that their dials find them up). */
void attack_schedule(attack *a, bool cold_boot);
/* An honest host came up: cold-boot attackers get its dials. */
void attack_on_honest_up(attack *a, uint32_t host);
/* The earliest start of any attack, for metrics and plots; UINT64_MAX
 * without attackers. */
uint64_t attack_start_ns(const scenario *s);
/* One plot window per attacker group, from its start (covert-flash: when
 * it turns; cold-boot: 0) to the end of the run, labelled with its kind.
 * Returns how many were written, at most cap. */
size_t attack_windows(const scenario *s, plot_window *out, size_t cap);
/* The honest hosts an attacker of group spec dials when it comes up. */
uint32_t attack_dial_count(const attacker *spec);

/* For the testbed, whose attackers are daemons with a drop policy: when
 * each attacker comes up and whom it dials, as the world's attack_up draws
 * them from the attack stream. Only for scenarios whose attackers all
 * drop (others draw more from the stream, and ticks interleave). */
typedef struct attack_arrival {
    uint64_t at_ns;      /* its group's start */
    uint32_t host;       /* the world's host index: honest + its index */
    uint32_t dial_count;
    uint32_t *dials;     /* honest hosts, in the world's order (one may repeat) */
} attack_arrival;
/* attack_host_count(s) arrivals, in the order they come up; NULL when
 * memory runs out. */
attack_arrival *attack_drop_arrivals(const scenario *s, uint32_t honest);
void attack_arrivals_free(attack_arrival *arrivals, uint32_t count);

#endif
