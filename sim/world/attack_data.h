/*
 * attack_data: the attackers on data (issue 18 item 6; docs/attacks.md
 * "Attackers on data"), as node_policy hooks on the real node's Bitswap:
 *
 *   withhold  claims every block it is asked for: each DONT_HAVE it would
 *             send goes out as HAVE, and no block ever leaves it, so a
 *             fetch that picks it waits for a block that never comes;
 *   corrupt   serves every block with its first byte flipped: its hash no
 *             longer matches the CID asked for;
 *   mute      answers nothing: every Bitswap message it would send is
 *             dropped, presences and blocks alike.
 *
 * Stateless: one policy per kind, shared by every attacker of the kind.
 */
#ifndef SWARMLAB_ATTACK_DATA_H
#define SWARMLAB_ATTACK_DATA_H

#include <stdbool.h>

#include "core/node.h"

typedef enum attack_data_kind { ATTACK_DATA_WITHHOLD, ATTACK_DATA_CORRUPT, ATTACK_DATA_MUTE } attack_data_kind;

/* The kind's Bitswap hooks (rewrite_bitswap, drop_bitswap) in a policy of
 * no user; the other hooks NULL. */
const node_policy *attack_data_policy(attack_data_kind kind);

#endif
