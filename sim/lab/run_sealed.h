/*
 * run_sealed: the runner's encrypted topics (workload.sealed;
 * docs/data.md "The swarm's data: encrypted topics").
 *
 * Out of band, before the run, every member is handed keys 1 and 2,
 * derived from key_seed; revoked members get key 1 only. A member
 * publishes an envelope (node/data/sealed_topic.h) sealed with key 1, or
 * with key 2 from rotate_at on (the newest it holds up to that); a
 * non-member publisher holds no key and publishes its payload as it is.
 * Each message a host's node delivers comes here: a member unseals it and
 * delivers the plaintext, or drops it and counts why; a non-member, which
 * subscribed only to relay, holds no key and reads nothing, which is
 * counted too (metrics_sealed.h).
 *
 * The nonce is the publication's sequence number and the publisher's
 * index, unique per key across the run, and as deterministic as the rest.
 */
#ifndef SWARMLAB_RUN_SEALED_H
#define SWARMLAB_RUN_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include "metrics_sealed.h"
#include "scenario/scenario.h"

typedef struct run_sealed run_sealed;

/* The members among subscriber[0..host_count) (drawn on their own rng
 * stream, so no other draw moves), their keyrings and counters. NULL when
 * memory runs out or a selector names a node past host_count. */
run_sealed *run_sealed_create(const scenario *s, uint32_t host_count, const bool *subscriber);
/* Wipes every key. NULL is fine. */
void run_sealed_destroy(run_sealed *rs);

/* What host publishes on topic for the workload's payload plain at now_ns,
 * publication number sequence: *data and the returned length, an
 * envelope held by rs until the next call, or plain itself. */
size_t run_sealed_payload(run_sealed *rs, uint32_t host, const char *topic, uint64_t now_ns, uint64_t sequence,
                          const uint8_t *plain, size_t len, const uint8_t **data);

/* world_config.on_message: one message host's node delivered. Touches
 * only host's own counters (a parallel world calls it on host's thread). */
void run_sealed_on_message(void *user, uint32_t host, const char *topic, const uint8_t *data, size_t len);

/* The counts so far, summed over the hosts. */
void run_sealed_counts(const run_sealed *rs, metrics_sealed *out);

#endif
