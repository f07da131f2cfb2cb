/*
 * metrics_sealed: what a run's encrypted topics did (workload.sealed;
 * docs/data.md "The swarm's data: encrypted topics"), as metrics.json's
 * "sealed" object. The runner counts (sim/lab/run_sealed.c); this file
 * only holds the counts and writes them.
 */
#ifndef SWARMLAB_METRICS_SEALED_H
#define SWARMLAB_METRICS_SEALED_H

#include <stdint.h>
#include <stdio.h>

#define METRICS_SEALED_KEYS 2 /* key ids 1 and 2: before and after the rotation */

typedef struct metrics_sealed {
    uint32_t members, nonmembers, revoked; /* subscribers with keys, without, members without key 2 */
    uint64_t published;                    /* envelopes sealed by members */
    uint64_t published_plain;              /* publications of non-members: no key, so not sealed */
    uint64_t published_by_key[METRICS_SEALED_KEYS];
    uint64_t member_deliveries;            /* plaintexts members unsealed and delivered */
    uint64_t member_deliveries_by_key[METRICS_SEALED_KEYS];
    uint64_t nonmember_receipts;           /* envelopes non-members received and relayed */
    uint64_t nonmember_plaintexts;         /* of those, ones a non-member could read: must stay 0 */
    uint64_t failures;                     /* messages members could not unseal: dropped */
    uint64_t unknown_key, forged, malformed; /* the failures, by why */
} metrics_sealed;

/* Writes `  "sealed": {...},\n` into metrics.json. */
void metrics_json_sealed(FILE *out, const metrics_sealed *s);

#endif
