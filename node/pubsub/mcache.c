/* mcache: the GossipSub message cache in history windows. See mcache.h. */
#include "mcache.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MCACHE_REQUESTERS_INITIAL 4 /* counters per message before the first doubling */

typedef struct mcache_requester {
    uint32_t peer;
    uint32_t requests; /* saturates, so a long IWANT flood cannot wrap it */
} mcache_requester;

/* One allocation per message: the header, then id, topic and encoded bytes. */
struct mcache_entry {
    struct mcache_entry *next; /* in its window, in put order */
    uint64_t hash;
    mcache_requester *requesters; /* sorted by peer */
    uint32_t requester_count, requester_cap;
    uint64_t received_ns; /* the router's first receipt, for score P3 */
    size_t id_len, topic_len, encoded_len;
    uint8_t bytes[];
};

_Static_assert(MCACHE_KEY_BYTES == crypto_shorthash_KEYBYTES, "the key is a SipHash key");
_Static_assert(MCACHE_GOSSIP_DEFAULT <= MCACHE_LEN_DEFAULT, "gossip windows are kept windows");

static uint64_t mcache_hash(const mcache *c, const uint8_t *id, size_t len) {
    uint8_t hash[crypto_shorthash_BYTES];
    crypto_shorthash(hash, id, len, c->key);
    uint64_t h;
    memcpy(&h, hash, sizeof h);
    return h;
}

static size_t entry_stored_bytes(const struct mcache_entry *e) {
    return e->id_len + e->topic_len + e->encoded_len;
}

static const uint8_t *entry_topic(const struct mcache_entry *e) { return e->bytes + e->id_len; }

static void entry_view(const struct mcache_entry *e, mcache_message *out) {
    out->id = e->bytes;
    out->id_len = e->id_len;
    out->topic = entry_topic(e);
    out->topic_len = e->topic_len;
    out->encoded = e->bytes + e->id_len + e->topic_len;
    out->encoded_len = e->encoded_len;
    out->received_ns = e->received_ns;
}

void mcache_config_default(mcache_config *config) {
    config->history_length = MCACHE_LEN_DEFAULT;
    config->gossip_length = MCACHE_GOSSIP_DEFAULT;
    config->retransmission_max = MCACHE_RETRANSMISSION_DEFAULT;
    config->messages_max = MCACHE_MESSAGES_MAX;
    config->bytes_max = MCACHE_BYTES_MAX;
    config->requesters_max = MCACHE_REQUESTERS_MAX;
}

static bool mcache_config_valid(const mcache_config *config) {
    return config->history_length >= 1 && config->history_length <= MCACHE_WINDOWS_MAX &&
           config->gossip_length <= config->history_length && config->messages_max >= 1 &&
           config->messages_max <= MCACHE_MESSAGES_MAX && config->bytes_max >= 1 &&
           config->bytes_max <= MCACHE_BYTES_MAX && config->requesters_max <= MCACHE_REQUESTERS_MAX;
}

int mcache_init(mcache *c, const mcache_config *config, const uint8_t key[MCACHE_KEY_BYTES]) {
    assert(c != NULL);
    assert(config != NULL);
    memset(c, 0, sizeof *c);
    if (!mcache_config_valid(config)) return -1;
    c->table = calloc(MCACHE_TABLE_INITIAL, sizeof *c->table);
    c->windows = calloc(config->history_length, sizeof *c->windows);
    if (c->table == NULL || c->windows == NULL) {
        free(c->table);
        free(c->windows);
        memset(c, 0, sizeof *c);
        return -1;
    }
    c->table_mask = MCACHE_TABLE_INITIAL - 1;
    c->config = *config;
    memcpy(c->key, key, MCACHE_KEY_BYTES);
    return 0;
}

static void entry_free(struct mcache_entry *e) {
    free(e->requesters);
    free(e);
}

void mcache_free(mcache *c) {
    if (c->windows != NULL) {
        for (uint32_t w = 0; w < c->config.history_length; w++) {
            struct mcache_entry *e = c->windows[w].head;
            while (e != NULL) {
                struct mcache_entry *next = e->next;
                entry_free(e);
                e = next;
            }
        }
    }
    free(c->windows);
    free(c->table);
    sodium_memzero(c->key, sizeof c->key);
    memset(c, 0, sizeof *c);
}

/* The slot holding id, or the empty slot where it would go. The table is at
 * most half full, so the probe ends. */
static size_t mcache_find_slot(const mcache *c, uint64_t hash, const uint8_t *id, size_t len) {
    size_t i = (size_t)hash & c->table_mask;
    for (;;) {
        const struct mcache_entry *e = c->table[i];
        if (e == NULL) return i;
        if (e->hash == hash && e->id_len == len && memcmp(e->bytes, id, len) == 0) return i;
        i = (i + 1) & c->table_mask;
    }
}

static struct mcache_entry *mcache_lookup(const mcache *c, const uint8_t *id, size_t len) {
    if (len == 0 || len > MCACHE_ID_BYTES_MAX) return NULL;
    uint64_t hash = mcache_hash(c, id, len);
    return c->table[mcache_find_slot(c, hash, id, len)];
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void mcache_table_remove(mcache *c, const struct mcache_entry *gone) {
    size_t hole = mcache_find_slot(c, gone->hash, gone->bytes, gone->id_len);
    assert(c->table[hole] == gone);
    size_t i = hole;
    for (;;) {
        i = (i + 1) & c->table_mask;
        struct mcache_entry *moved = c->table[i];
        if (moved == NULL) break;
        size_t home = (size_t)moved->hash & c->table_mask;
        /* moved may fill the hole if its home is not in (hole, i]. */
        bool home_between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!home_between) {
            c->table[hole] = moved;
            hole = i;
        }
    }
    c->table[hole] = NULL;
}

/* Doubles the table when one more entry would make it more than half full;
 * on failure the table stays as it was. */
static int mcache_table_reserve(mcache *c) {
    size_t size = c->table_mask + 1;
    if ((c->message_count + 1) * 2 <= size) return 0;
    struct mcache_entry **table = calloc(size * 2, sizeof *table);
    if (table == NULL) return -1;
    size_t mask = size * 2 - 1;
    for (size_t s = 0; s < size; s++) {
        struct mcache_entry *e = c->table[s];
        if (e == NULL) continue;
        size_t i = (size_t)e->hash & mask;
        while (table[i] != NULL) i = (i + 1) & mask;
        table[i] = e;
    }
    free(c->table);
    c->table = table;
    c->table_mask = mask;
    return 0;
}

static struct mcache_entry *entry_new(uint64_t hash, const uint8_t *id, size_t id_len,
                                      const uint8_t *topic, size_t topic_len,
                                      const uint8_t *encoded, size_t encoded_len) {
    struct mcache_entry *e = malloc(sizeof *e + id_len + topic_len + encoded_len);
    if (e == NULL) return NULL;
    memset(e, 0, sizeof *e);
    e->hash = hash;
    e->id_len = id_len;
    e->topic_len = topic_len;
    e->encoded_len = encoded_len;
    memcpy(e->bytes, id, id_len);
    if (topic_len > 0) memcpy(e->bytes + id_len, topic, topic_len);
    if (encoded_len > 0) memcpy(e->bytes + id_len + topic_len, encoded, encoded_len);
    return e;
}

/* Checks the limits, counting a refusal; MCACHE_PUT_ADDED means room. */
static mcache_put_result mcache_admit(mcache *c, size_t stored_bytes) {
    if (c->message_count >= c->config.messages_max) {
        c->stats.puts_refused_messages_max++;
        return MCACHE_PUT_FULL;
    }
    if (stored_bytes > c->config.bytes_max - c->bytes_held) {
        c->stats.puts_refused_bytes_max++;
        return MCACHE_PUT_FULL;
    }
    return MCACHE_PUT_ADDED;
}

mcache_put_result mcache_put(mcache *c, const uint8_t *id, size_t id_len, const uint8_t *topic,
                             size_t topic_len, const uint8_t *encoded, size_t encoded_len) {
    assert(c->table != NULL);
    assert(c->bytes_held <= c->config.bytes_max);
    if (id_len == 0 || id_len > MCACHE_ID_BYTES_MAX || topic_len > MCACHE_TOPIC_BYTES_MAX) {
        c->stats.puts_invalid++;
        return MCACHE_PUT_INVALID;
    }
    uint64_t hash = mcache_hash(c, id, id_len);
    if (c->table[mcache_find_slot(c, hash, id, id_len)] != NULL) {
        c->stats.puts_duplicate++;
        return MCACHE_PUT_DUPLICATE;
    }
    /* encoded_len first: the sum below cannot overflow once it is bounded. */
    size_t stored = encoded_len > c->config.bytes_max ? SIZE_MAX : id_len + topic_len + encoded_len;
    mcache_put_result admitted = mcache_admit(c, stored);
    if (admitted != MCACHE_PUT_ADDED) return admitted;
    struct mcache_entry *e = NULL;
    if (mcache_table_reserve(c) != 0 ||
        (e = entry_new(hash, id, id_len, topic, topic_len, encoded, encoded_len)) == NULL) {
        c->stats.puts_refused_memory++;
        return MCACHE_PUT_NO_MEMORY;
    }
    c->table[mcache_find_slot(c, hash, id, id_len)] = e; /* the table may have grown */
    mcache_window *w = &c->windows[c->current];
    if (w->tail == NULL) w->head = e;
    else w->tail->next = e;
    w->tail = e;
    c->message_count++;
    c->bytes_held += stored;
    c->stats.puts_accepted++;
    assert(c->message_count <= c->config.messages_max);
    assert(c->bytes_held <= c->config.bytes_max);
    return MCACHE_PUT_ADDED;
}

bool mcache_set_received(mcache *c, const uint8_t *id, size_t id_len, uint64_t received_ns) {
    assert(c->table != NULL);
    struct mcache_entry *e = mcache_lookup(c, id, id_len);
    if (e == NULL) return false;
    e->received_ns = received_ns;
    return true;
}

bool mcache_get(const mcache *c, const uint8_t *id, size_t id_len, mcache_message *out) {
    assert(c->table != NULL);
    assert(out != NULL);
    const struct mcache_entry *e = mcache_lookup(c, id, id_len);
    if (e == NULL) return false;
    entry_view(e, out);
    return true;
}

/* Index of peer's counter in e, or where it would be inserted. */
static uint32_t requester_search(const struct mcache_entry *e, uint32_t peer) {
    uint32_t low = 0, high = e->requester_count;
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (e->requesters[mid].peer < peer) low = mid + 1;
        else high = mid;
    }
    return low;
}

/* Inserts a zero counter for peer at index at; 0, or -1 when the global
 * limit is reached or memory runs out. */
static int requester_insert(mcache *c, struct mcache_entry *e, uint32_t at, uint32_t peer) {
    if (c->requester_count >= c->config.requesters_max) return -1;
    if (e->requester_count == e->requester_cap) {
        uint32_t cap = e->requester_cap == 0 ? MCACHE_REQUESTERS_INITIAL : e->requester_cap * 2;
        mcache_requester *grown = realloc(e->requesters, cap * sizeof *grown);
        if (grown == NULL) return -1;
        e->requesters = grown;
        e->requester_cap = cap;
    }
    memmove(&e->requesters[at + 1], &e->requesters[at],
            (e->requester_count - at) * sizeof *e->requesters);
    e->requesters[at] = (mcache_requester){.peer = peer, .requests = 0};
    e->requester_count++;
    c->requester_count++;
    assert(e->requester_count <= e->requester_cap);
    return 0;
}

mcache_iwant_result mcache_get_for_peer(mcache *c, const uint8_t *id, size_t id_len,
                                        uint32_t peer, mcache_message *out) {
    assert(c->table != NULL);
    assert(out != NULL);
    struct mcache_entry *e = mcache_lookup(c, id, id_len);
    if (e == NULL) {
        c->stats.iwants_missing++;
        return MCACHE_IWANT_MISSING;
    }
    uint32_t at = requester_search(e, peer);
    if (at == e->requester_count || e->requesters[at].peer != peer) {
        if (requester_insert(c, e, at, peer) != 0) {
            c->stats.iwants_refused_requesters++;
            return MCACHE_IWANT_REFUSED;
        }
    }
    mcache_requester *r = &e->requesters[at];
    assert(r->peer == peer);
    if (r->requests < UINT32_MAX) r->requests++;
    if (r->requests > c->config.retransmission_max) {
        c->stats.iwants_over_retransmission++;
        return MCACHE_IWANT_OVER_LIMIT;
    }
    entry_view(e, out);
    c->stats.iwants_served++;
    return MCACHE_IWANT_SERVE;
}

size_t mcache_gossip_ids(const mcache *c, const uint8_t *topic, size_t topic_len, mcache_id *out,
                         size_t cap) {
    assert(c->windows != NULL);
    assert(out != NULL || cap == 0);
    uint32_t length = c->config.history_length;
    size_t written = 0;
    for (uint32_t age = 0; age < c->config.gossip_length; age++) {
        const mcache_window *w = &c->windows[(c->current + length - age) % length];
        for (const struct mcache_entry *e = w->head; e != NULL; e = e->next) {
            if (written == cap) return written;
            if (e->topic_len != topic_len) continue;
            if (topic_len > 0 && memcmp(entry_topic(e), topic, topic_len) != 0) continue;
            out[written++] = (mcache_id){.id = e->bytes, .len = e->id_len};
        }
    }
    return written;
}

void mcache_shift(mcache *c) {
    assert(c->windows != NULL);
    uint32_t oldest = (c->current + 1) % c->config.history_length;
    struct mcache_entry *e = c->windows[oldest].head;
    while (e != NULL) {
        struct mcache_entry *next = e->next;
        mcache_table_remove(c, e);
        assert(c->message_count > 0);
        c->message_count--;
        c->bytes_held -= entry_stored_bytes(e);
        c->requester_count -= e->requester_count;
        entry_free(e);
        e = next;
    }
    c->windows[oldest] = (mcache_window){.head = NULL, .tail = NULL};
    c->current = oldest; /* the freed window becomes the new current one */
    assert(c->message_count > 0 || c->bytes_held == 0);
}

size_t mcache_size(const mcache *c) { return c->message_count; }

size_t mcache_bytes(const mcache *c) { return c->bytes_held; }
