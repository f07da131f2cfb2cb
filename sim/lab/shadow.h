/*
 * shadow: libp2p test-plans' gossipsub-interop experiments, as their
 * generator writes them (shadow.yaml, graph.gml, params.json), run
 * unchanged in the world (swarmlab run --shadow) or on daemons (swarmlab
 * testbed --shadow). docs/gossipsub-interop.md, "Running test-plans'
 * experiments".
 *
 * The Shadow config becomes a scenario (OUT/scenario.yaml: the hosts on
 * their graph nodes, stop_time as the duration, gossipsub with StrictNoSign
 * and first-8-bytes ids) with the router's parameters and the topics'
 * validation delays of params.json (one configuration for every node: a
 * file that gives nodes different ones is refused). In the world, host i
 * is node i: its key from the node id (interop_node_seed), and its script
 * run against the virtual clock through node/interop's interop_next, as
 * the daemon runs it against the real one; OUT/hosts/nodeI/swarmlab-node.stdout
 * gets the daemon's JSON lines, timed from 2000-01-01T00:00:00Z as
 * Shadow's clock is. A host whose script ends goes down, as the daemon
 * exits.
 */
#ifndef SWARMLAB_LAB_SHADOW_H
#define SWARMLAB_LAB_SHADOW_H

#include <stddef.h>
#include <stdint.h>

#include "run.h"
#include "scenario/scenario.h"
#include "scenario/shadow.h"

typedef struct shadow_experiment shadow_experiment;

/* Reads the Shadow config at path and the params.json its hosts run. NULL
 * with err filled (one line naming the file, and its line and key where
 * there is one). */
shadow_experiment *shadow_load(const char *path, char *err, size_t cap);
void shadow_free(shadow_experiment *x);
const shadow_config *shadow_config_of(const shadow_experiment *x);

/* Writes out_dir/scenario.yaml and loads it into *s, with params.json's
 * router parameters and validation delays. 0, or -1 with err filled. */
int shadow_scenario(shadow_experiment *x, const char *out_dir, scenario *s, char *err, size_t cap);

/* The hooks that run the scripts in the world (run_options.hooks); the
 * stdout files go under out_dir/hosts/. */
const run_hooks *shadow_world_hooks(shadow_experiment *x, const char *out_dir);
/* After the run: closes the stdout files. 0, or -1 with err filled. */
int shadow_world_finish(shadow_experiment *x, char *err, size_t cap);

#endif
