/* announce: peer records on a topic, and dials to fill in. See announce.h. */
#include "announce.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/peer_record.h"
#include "wire/multiaddr.h"

typedef struct announce_entry {
    peer_id id;
    uint8_t addr[PEER_RECORD_ADDR_BYTES_MAX]; /* the record's first address, binary */
    size_t addr_len;
    uint64_t seq;
    uint64_t accepted_ns; /* when its record was last taken (the rate limit) */
    uint64_t dialed_ns;   /* when we last dialed it; 0: never */
} announce_entry;

struct announce {
    node *n;
    char topic[ANNOUNCE_TOPIC_MAX + 1];
    uint32_t target;
    node_callbacks listener;
    announce_entry entries[ANNOUNCE_RECORDS_MAX];
    size_t entry_count;
    int timer;          /* our next announcement's slot; -1: none pending */
    uint32_t repeats;   /* our announcements so far */
    announce_stats stats;
};

static bool below_target(const announce *a) { return node_peer_count(a->n) < a->target; }

static void note_target(announce *a) {
    if (a->stats.reached_ns == 0 && !below_target(a)) a->stats.reached_ns = node_time_ns(a->n);
}

int announce_publish(announce *a) {
    const uint8_t *record;
    size_t len = node_peer_record(a->n, &record);
    if (len == 0 || node_publish(a->n, a->topic, record, len) != 0) return -1;
    a->stats.published++;
    return 0;
}

static void announce_due(void *user, node *n);

/* Our next announcement: the first shortly after our first peer, then
 * every ANNOUNCE_REPEAT_NS while we are below target. */
static void schedule(announce *a, uint64_t delay_ns) {
    if (a->timer >= 0 || a->repeats >= ANNOUNCE_REPEATS_MAX) return;
    a->timer = node_timer_set(a->n, node_time_ns(a->n) + delay_ns, announce_due, a);
}

static void announce_due(void *user, node *n) {
    (void)n;
    announce *a = user;
    a->timer = -1;
    a->repeats++;
    (void)announce_publish(a);
    if (below_target(a)) schedule(a, ANNOUNCE_REPEAT_NS);
}

/* Dials in flight: entries dialed within ANNOUNCE_DIAL_PENDING_NS whose
 * peer has not connected yet. */
static uint32_t dials_pending(const announce *a, uint64_t now) {
    uint32_t pending = 0;
    for (size_t i = 0; i < a->entry_count; i++) {
        const announce_entry *e = &a->entries[i];
        if (e->dialed_ns != 0 && now - e->dialed_ns < ANNOUNCE_DIAL_PENDING_NS && !node_is_connected(a->n, &e->id))
            pending++;
    }
    return pending;
}

/* Dials e when our connections and dials in flight are fewer than target. */
static bool maybe_dial(announce *a, announce_entry *e) {
    uint64_t now = node_time_ns(a->n);
    if (node_is_connected(a->n, &e->id) || (e->dialed_ns != 0 && now - e->dialed_ns < ANNOUNCE_DIAL_PENDING_NS))
        return false;
    if (node_peer_count(a->n) + dials_pending(a, now) >= a->target) return false;
    multiaddr ma;
    char text[MULTIADDR_TEXT_MAX + PEER_ID_TEXT_MAX + 8];
    if (multiaddr_decode(e->addr, e->addr_len, &ma) != 0) return false;
    ma.has_peer = true;
    ma.peer = e->id;
    if (multiaddr_format(&ma, text, sizeof text) != 0) return false;
    if (node_dial(a->n, text) != 0) return false; /* not in flight: the next record or loss may try again */
    e->dialed_ns = now;
    a->stats.dials++;
    return true;
}

/* The entry of id, or a free one, or the one taken longest ago. */
static announce_entry *entry_for(announce *a, const peer_id *id, bool *fresh) {
    *fresh = false;
    for (size_t i = 0; i < a->entry_count; i++)
        if (peer_id_equal(&a->entries[i].id, id)) return &a->entries[i];
    *fresh = true;
    if (a->entry_count < ANNOUNCE_RECORDS_MAX) return &a->entries[a->entry_count++];
    announce_entry *oldest = &a->entries[0];
    for (size_t i = 1; i < a->entry_count; i++)
        if (a->entries[i].accepted_ns < oldest->accepted_ns) oldest = &a->entries[i];
    return oldest;
}

/* A record from the topic: checked, rate-limited per signer, kept, dialed. */
static void on_record(announce *a, const peer_id *from, const uint8_t *data, size_t len) {
    a->stats.received++;
    peer_record rec;
    if (peer_record_open(data, len, &rec, NULL) != 0 || rec.addr_count == 0 || from == NULL ||
        !peer_id_equal(&rec.id, from)) {
        a->stats.invalid++;
        return;
    }
    if (peer_id_equal(&rec.id, node_id(a->n))) return; /* our own, back to us */
    uint64_t now = node_time_ns(a->n);
    bool fresh;
    announce_entry *e = entry_for(a, &rec.id, &fresh);
    if (!fresh && (now - e->accepted_ns < ANNOUNCE_PEER_INTERVAL_NS || rec.seq < e->seq)) {
        a->stats.rate_limited++;
        return;
    }
    if (fresh) *e = (announce_entry){.id = rec.id};
    e->seq = rec.seq;
    e->accepted_ns = now;
    memcpy(e->addr, rec.addrs[0], rec.addr_lens[0]);
    e->addr_len = rec.addr_lens[0];
    a->stats.accepted++;
    (void)maybe_dial(a, e);
}

static void on_message(void *user, const char *topic, const peer_id *from, const uint8_t *data, size_t len) {
    announce *a = user;
    if (strcmp(topic, a->topic) == 0) on_record(a, from, data, len);
}

static void on_connected(void *user, const peer_id *peer) {
    (void)peer;
    announce *a = user;
    note_target(a);
    if (a->repeats == 0) schedule(a, ANNOUNCE_FIRST_DELAY_NS);
}

/* Below target again: one dial of a kept record we are not connected to. */
static void on_disconnected(void *user, const peer_id *peer) {
    announce *a = user;
    if (!below_target(a)) return;
    for (size_t i = 0; i < a->entry_count; i++)
        if (!peer_id_equal(&a->entries[i].id, peer) && maybe_dial(a, &a->entries[i])) return;
}

announce *announce_create(node *n, const announce_config *config) {
    assert(n != NULL && config != NULL && config->topic != NULL);
    size_t topic_len = strlen(config->topic);
    if (topic_len == 0 || topic_len > ANNOUNCE_TOPIC_MAX || config->target == 0 ||
        config->target > ANNOUNCE_TARGET_MAX)
        return NULL;
    announce *a = calloc(1, sizeof *a);
    if (a == NULL) return NULL;
    a->n = n;
    memcpy(a->topic, config->topic, topic_len + 1);
    a->target = config->target;
    a->timer = -1;
    a->listener = (node_callbacks){.user = a, .on_message = on_message, .on_peer_connected = on_connected,
                                   .on_peer_disconnected = on_disconnected};
    if (node_subscribe(n, a->topic) != 0 || node_add_listener(n, &a->listener) != 0) {
        free(a);
        return NULL;
    }
    if (node_peer_count(n) > 0) on_connected(a, NULL);
    return a;
}

void announce_destroy(announce *a) { free(a); }

void announce_get_stats(const announce *a, announce_stats *out) { *out = a->stats; }
