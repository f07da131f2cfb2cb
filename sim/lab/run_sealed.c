/* run_sealed: the runner's encrypted topics. See run_sealed.h. */
#include "run_sealed.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "data/sealed_topic.h"
#include "random/rng.h"

#define RUN_SEALED_KEY_LABEL "swarmlab sealed-topic key"

/* One host's view of the encrypted topics: its keys, what it counted. */
typedef struct sealed_host {
    bool subscriber, member, revoked;
    sealed_keyring ring;
    uint64_t deliveries, deliveries_by_key[METRICS_SEALED_KEYS];
    uint64_t receipts, nonmember_plaintexts;
    uint64_t failures_by_why[SEALED_STATUS_COUNT];
} sealed_host;

struct run_sealed {
    scenario_sealed config;
    uint32_t host_count;
    sealed_host *hosts;
    sealed_keyring before, after; /* what a full member seals with before rotate_at, and from it on */
    uint64_t published, published_plain, published_by_key[METRICS_SEALED_KEYS];
    uint8_t *envelope; /* the last envelope sealed, SEALED_OVERHEAD more than the workload's size */
};

/* Key id's key: BLAKE2b of the label and id under key_seed. Out of band,
 * for the world: only members are handed it. */
static void sealed_key(uint64_t key_seed, uint32_t id, uint8_t key[SEALED_KEY_BYTES]) {
    uint8_t seed[8], msg[sizeof RUN_SEALED_KEY_LABEL + 4];
    for (int i = 0; i < 8; i++) seed[i] = (uint8_t)(key_seed >> (8 * i));
    memcpy(msg, RUN_SEALED_KEY_LABEL, sizeof RUN_SEALED_KEY_LABEL);
    for (int i = 0; i < 4; i++) msg[sizeof RUN_SEALED_KEY_LABEL + i] = (uint8_t)(id >> (8 * i));
    crypto_generichash(key, SEALED_KEY_BYTES, msg, sizeof msg, seed, sizeof seed);
}

/* Hands key id to ring, and wipes the key's copy. */
static void sealed_hand_key(const scenario_sealed *config, sealed_keyring *ring, uint32_t id) {
    uint8_t key[SEALED_KEY_BYTES];
    sealed_key(config->key_seed, id, key);
    int rc = sealed_keyring_add(ring, id, key);
    assert(rc == 0); /* two keys, in a ring of SEALED_KEYS_MAX */
    (void)rc;
    sodium_memzero(key, sizeof key);
}

/* Who is a member and who is revoked, among the subscribers. 0 or -1. */
static int sealed_choose(run_sealed *rs, const scenario *s, const bool *subscriber) {
    uint32_t n = rs->host_count;
    bool *member = calloc(n, sizeof *member), *revoked = calloc(n, sizeof *revoked);
    rng r;
    rng_seed(&r, s->seed, RNG_STREAM_SEALED);
    int rc = member == NULL || revoked == NULL || selector_resolve(&s->workload.sealed.members, n, &r, member) < 0 ||
                     selector_resolve(&s->workload.sealed.revoked, n, &r, revoked) < 0
                 ? -1
                 : 0;
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        sealed_host *h = &rs->hosts[i];
        h->subscriber = subscriber[i];
        h->member = member[i];
        h->revoked = member[i] && revoked[i];
        sealed_keyring_init(&h->ring);
        if (h->member) sealed_hand_key(&rs->config, &h->ring, 1);
        if (h->member && !h->revoked) sealed_hand_key(&rs->config, &h->ring, 2);
    }
    free(member);
    free(revoked);
    return rc;
}

run_sealed *run_sealed_create(const scenario *s, uint32_t host_count, const bool *subscriber) {
    assert(s->workload.sealed.present);
    run_sealed *rs = calloc(1, sizeof *rs);
    if (rs == NULL) return NULL;
    rs->config = s->workload.sealed;
    rs->host_count = host_count;
    rs->hosts = calloc(host_count, sizeof *rs->hosts);
    rs->envelope = malloc(s->workload.size_bytes + SEALED_OVERHEAD);
    if (rs->hosts == NULL || rs->envelope == NULL || sealed_choose(rs, s, subscriber) != 0) {
        run_sealed_destroy(rs);
        return NULL;
    }
    sealed_keyring_init(&rs->before);
    sealed_keyring_init(&rs->after);
    sealed_hand_key(&rs->config, &rs->before, 1);
    sealed_hand_key(&rs->config, &rs->after, 2);
    return rs;
}

void run_sealed_destroy(run_sealed *rs) {
    if (rs == NULL) return;
    for (uint32_t i = 0; rs->hosts != NULL && i < rs->host_count; i++) sealed_keyring_wipe(&rs->hosts[i].ring);
    sealed_keyring_wipe(&rs->before);
    sealed_keyring_wipe(&rs->after);
    free(rs->hosts);
    free(rs->envelope);
    free(rs);
}

/* The keyring host seals with at now_ns: the era's key when host holds
 * it, else the newest it holds (a revoked member keeps sealing with key
 * 1, which the others still hold); NULL for a non-member. */
static const sealed_keyring *sealed_ring_for(const run_sealed *rs, uint32_t host, uint64_t now_ns) {
    const sealed_host *h = &rs->hosts[host];
    if (!h->member) return NULL;
    bool rotated = rs->config.rotate_at_ns > 0 && now_ns >= rs->config.rotate_at_ns;
    return rotated && !h->revoked ? &rs->after : &rs->before;
}

size_t run_sealed_payload(run_sealed *rs, uint32_t host, const char *topic, uint64_t now_ns, uint64_t sequence,
                          const uint8_t *plain, size_t len, const uint8_t **data) {
    assert(host < rs->host_count);
    const sealed_keyring *ring = sealed_ring_for(rs, host, now_ns);
    *data = plain;
    if (ring == NULL) {
        rs->published_plain++;
        return len;
    }
    uint8_t nonce[SEALED_NONCE_BYTES] = {0};
    for (int i = 0; i < 8; i++) nonce[i] = (uint8_t)(sequence >> (8 * i));
    for (int i = 0; i < 4; i++) nonce[8 + i] = (uint8_t)(host >> (8 * i));
    size_t sealed = sealed_seal(ring, topic, nonce, plain, len, rs->envelope, len + SEALED_OVERHEAD);
    assert(sealed == len + SEALED_OVERHEAD); /* the scenario's check kept it within a message */
    uint32_t id = 0;
    sealed_keyring_newest(ring, &id);
    rs->published++;
    rs->published_by_key[id - 1]++;
    *data = rs->envelope;
    return sealed;
}

/* The key id an envelope names, for the per-key counts: 0 when it names
 * neither of the run's. */
static uint32_t sealed_named_key(const uint8_t *data, size_t len) {
    sealed_view view;
    if (sealed_parse(data, len, &view) != SEALED_OK) return 0;
    return view.key_id >= 1 && view.key_id <= METRICS_SEALED_KEYS ? view.key_id : 0;
}

void run_sealed_on_message(void *user, uint32_t host, const char *topic, const uint8_t *data, size_t len) {
    run_sealed *rs = user;
    assert(host < rs->host_count);
    sealed_host *h = &rs->hosts[host];
    if (len > SEALED_PLAINTEXT_MAX + SEALED_OVERHEAD) {
        h->failures_by_why[SEALED_MALFORMED] += h->member;
        return;
    }
    /* A buffer per call: hosts on different threads must not share one. */
    uint8_t *plain = malloc(len > 0 ? len : 1);
    if (plain == NULL) abort();
    size_t plain_len = 0;
    sealed_status status = sealed_unseal(&h->ring, topic, data, len, plain, len, &plain_len);
    sodium_memzero(plain, len > 0 ? len : 1); /* the run reads only counts */
    free(plain);
    if (!h->member) {
        h->receipts++;
        h->nonmember_plaintexts += status == SEALED_OK; /* what its empty ring could read: nothing */
        return;
    }
    if (status != SEALED_OK) {
        h->failures_by_why[status]++;
        return;
    }
    uint32_t id = sealed_named_key(data, len);
    h->deliveries++;
    if (id > 0) h->deliveries_by_key[id - 1]++;
}

void run_sealed_counts(const run_sealed *rs, metrics_sealed *out) {
    memset(out, 0, sizeof *out);
    out->published = rs->published;
    out->published_plain = rs->published_plain;
    for (int k = 0; k < METRICS_SEALED_KEYS; k++) out->published_by_key[k] = rs->published_by_key[k];
    for (uint32_t i = 0; i < rs->host_count; i++) {
        const sealed_host *h = &rs->hosts[i];
        out->members += h->member && h->subscriber;
        out->nonmembers += !h->member && h->subscriber;
        out->revoked += h->revoked && h->subscriber;
        out->member_deliveries += h->deliveries;
        for (int k = 0; k < METRICS_SEALED_KEYS; k++) out->member_deliveries_by_key[k] += h->deliveries_by_key[k];
        out->nonmember_receipts += h->receipts;
        out->nonmember_plaintexts += h->nonmember_plaintexts;
        out->unknown_key += h->failures_by_why[SEALED_UNKNOWN_KEY];
        out->forged += h->failures_by_why[SEALED_FORGED];
        out->malformed += h->failures_by_why[SEALED_MALFORMED];
    }
    out->failures = out->unknown_key + out->forged + out->malformed;
}
