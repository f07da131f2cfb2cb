/* gossipsub_state: topic members, backoffs and id fingerprints. See
 * gossipsub_state.h. */
#include "gossipsub_state.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

_Static_assert(MCACHE_KEY_BYTES == crypto_shorthash_KEYBYTES, "the fingerprint key is a SipHash key");

/* ---- members and backoffs --------------------------------------------- */

bool gossipsub_member_has(const gossipsub_topic *t, uint32_t handle) {
    for (size_t i = 0; i < t->member_count; i++)
        if (t->members[i] == handle) return true;
    return false;
}

bool gossipsub_member_add(gossipsub_topic *t, uint32_t handle) {
    assert(t->member_count <= GOSSIPSUB_MESH_PEERS_MAX);
    if (t->member_count == GOSSIPSUB_MESH_PEERS_MAX || gossipsub_member_has(t, handle)) return false;
    t->members[t->member_count++] = handle;
    return true;
}

bool gossipsub_member_remove(gossipsub_topic *t, uint32_t handle) {
    for (size_t i = 0; i < t->member_count; i++) {
        if (t->members[i] != handle) continue;
        t->members[i] = t->members[--t->member_count];
        return true;
    }
    return false;
}

uint64_t gossipsub_backoff_until(const gossipsub_topic *t, uint32_t handle) {
    for (size_t i = 0; i < t->backoff_count; i++)
        if (t->backoffs[i].handle == handle) return t->backoffs[i].until_ns;
    return 0;
}

bool gossipsub_backoff_active(const gossipsub_topic *t, uint32_t handle, uint64_t now_ns) {
    return now_ns < gossipsub_backoff_until(t, handle);
}

/* Sets (or extends) a backoff. When the table is full the entry that ends
 * soonest gives way: it has the least waiting left to protect. */
void gossipsub_backoff_set(gossipsub_topic *t, uint32_t handle, uint64_t until_ns) {
    assert(t->backoff_count <= GOSSIPSUB_BACKOFFS_PER_TOPIC_MAX);
    size_t soonest = 0;
    for (size_t i = 0; i < t->backoff_count; i++) {
        if (t->backoffs[i].handle == handle) {
            if (until_ns > t->backoffs[i].until_ns) t->backoffs[i].until_ns = until_ns;
            return;
        }
        if (t->backoffs[i].until_ns < t->backoffs[soonest].until_ns) soonest = i;
    }
    size_t slot = t->backoff_count < GOSSIPSUB_BACKOFFS_PER_TOPIC_MAX ? t->backoff_count++ : soonest;
    t->backoffs[slot] = (gossipsub_backoff){.handle = handle, .until_ns = until_ns};
}

uint64_t gossipsub_fingerprint(const gossipsub *gs, const uint8_t *id, size_t len) {
    uint8_t hash[crypto_shorthash_BYTES];
    crypto_shorthash(hash, id, len, gs->fingerprint_key);
    uint64_t fingerprint;
    memcpy(&fingerprint, hash, sizeof fingerprint);
    return fingerprint;
}
