/* replicate: placement by rendezvous hashing, repair after a grace, gets
 * (replicate.h). */
#include "replicate.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"

#define NO_PEER UINT32_MAX /* a holder not in the directory: never dialed */

typedef struct holder {
    peer_id id;
    uint32_t peer;      /* its index in the directory, or NO_PEER */
    uint64_t seen_ns;   /* last seen connected, or when it was chosen */
    uint64_t dialed_ns; /* last dial; 0: never */
    bool seen;          /* seen connected at least once */
    bool told;          /* it was sent a message (by us or by whoever told us) */
    uint8_t kind;       /* what to tell it: REPLICATE_PLACE or REPLICATE_REPAIR */
} holder;

typedef struct record {
    bool used;
    bool fetching;     /* we were told to hold it and the fetch runs */
    uint8_t kind;      /* of the message that made us fetch */
    cid c;
    uint8_t count;     /* holders, this node left out */
    holder holders[REPLICATE_HOLDERS_MAX];
} record;

typedef struct get_slot {
    bool used;
    replicate *owner;
    replicate_get_fn done;
    void *user;
} get_slot;

typedef struct send_slot {
    bool used;
    node_stream_handle stream;
    uint8_t msg[REPLICATE_MESSAGE_MAX];
    size_t msg_len;
} send_slot;

struct replicate {
    replicate_config config;
    uint64_t now_ns; /* of the last put or tick: the time a message handler sees */
    record *records; /* grown as blocks come, to REPLICATE_RECORDS_MAX (about 1 KiB each) */
    size_t record_count, record_cap;
    get_slot gets[REPLICATE_GETS_MAX];
    send_slot sends[REPLICATE_SENDS_MAX];
    replicate_stats stats;
};

/* ---- rendezvous ----------------------------------------------------------- */

uint64_t replicate_weight(const cid *c, const peer_id *peer) {
    uint8_t key[CID_BYTES_MAX];
    size_t key_len = cid_encode(c, key);
    crypto_generichash_state state;
    uint8_t hash[32];
    crypto_generichash_init(&state, NULL, 0, sizeof hash);
    crypto_generichash_update(&state, key, key_len);
    crypto_generichash_update(&state, peer->bytes, peer->len);
    crypto_generichash_final(&state, hash, sizeof hash);
    uint64_t w = 0;
    for (int i = 0; i < 8; i++) w = (w << 8) | hash[i];
    return w;
}

/* Whether (wa, a) ranks before (wb, b): higher weight first, the lower
 * index on a tie, so that the order is total. */
static bool ranks_before(uint64_t wa, uint32_t a, uint64_t wb, uint32_t b) {
    return wa > wb || (wa == wb && a < b);
}

size_t replicate_rank(const cid *c, const replicate_peer *peers, size_t count, const peer_id *skip, size_t k,
                      uint32_t *out) {
    assert(c != NULL && (peers != NULL || count == 0) && (out != NULL || k == 0));
    assert(count <= REPLICATE_PEERS_MAX && k <= REPLICATE_RANK_MAX);
    uint64_t weights[REPLICATE_RANK_MAX];
    size_t have = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (skip != NULL && peer_id_equal(&peers[i].id, skip)) continue;
        uint64_t w = replicate_weight(c, &peers[i].id);
        /* Insertion into the k best so far; k is small (r + extra). */
        size_t at = have < k ? have : k;
        while (at > 0 && ranks_before(w, i, weights[at - 1], out[at - 1])) at--;
        if (at >= k) continue;
        size_t last = have < k ? have : k - 1;
        for (size_t j = last; j > at; j--) {
            weights[j] = weights[j - 1];
            out[j] = out[j - 1];
        }
        weights[at] = w;
        out[at] = i;
        if (have < k) have++;
    }
    return have;
}

/* ---- records ------------------------------------------------------------- */

static record *record_find(replicate *r, const cid *c) {
    for (size_t i = 0; i < r->record_count; i++)
        if (r->records[i].used && cid_equal(&r->records[i].c, c)) return &r->records[i];
    return NULL;
}

static record *record_new(replicate *r, const cid *c) {
    record *rec = NULL;
    for (size_t i = 0; i < r->record_count && rec == NULL; i++)
        if (!r->records[i].used) rec = &r->records[i];
    if (rec == NULL && r->record_count < REPLICATE_RECORDS_MAX) {
        record *grown = grow_for_one(r->records, &r->record_cap, r->record_count, sizeof *grown, 16);
        if (grown == NULL) return NULL;
        r->records = grown;
        rec = &r->records[r->record_count++];
    }
    if (rec == NULL) return NULL;
    memset(rec, 0, sizeof *rec);
    rec->used = true;
    rec->c = *c;
    return rec;
}

static uint32_t directory_find(const replicate *r, const peer_id *id) {
    for (uint32_t i = 0; i < r->config.peer_count; i++)
        if (peer_id_equal(&r->config.peers[i].id, id)) return i;
    return NO_PEER;
}

static bool record_names(const record *rec, const peer_id *id) {
    for (size_t i = 0; i < rec->count; i++)
        if (peer_id_equal(&rec->holders[i].id, id)) return true;
    return false;
}

/* Adds a holder chosen now; told says whether it knows already. */
static void record_add(replicate *r, record *rec, const peer_id *id, bool told, uint8_t kind) {
    assert(rec->count < REPLICATE_HOLDERS_MAX);
    holder *h = &rec->holders[rec->count++];
    *h = (holder){.id = *id, .peer = directory_find(r, id), .seen_ns = r->now_ns, .told = told, .kind = kind};
}

/* ---- messages ------------------------------------------------------------ */

/* The message telling a holder of rec: every holder, this node too. */
static size_t message_encode(const replicate *r, const record *rec, uint8_t kind, uint8_t out[REPLICATE_MESSAGE_MAX]) {
    size_t at = 0;
    out[at++] = kind;
    uint8_t key[CID_BYTES_MAX];
    size_t key_len = cid_encode(&rec->c, key);
    out[at++] = (uint8_t)key_len;
    memcpy(out + at, key, key_len);
    at += key_len;
    const peer_id *self = node_id(r->config.node);
    out[at++] = (uint8_t)(rec->count + 1);
    for (size_t i = 0; i <= rec->count; i++) {
        const peer_id *id = i == rec->count ? self : &rec->holders[i].id;
        out[at++] = (uint8_t)id->len;
        memcpy(out + at, id->bytes, id->len);
        at += id->len;
    }
    assert(at <= REPLICATE_MESSAGE_MAX);
    return at;
}

typedef struct message {
    uint8_t kind;
    cid c;
    size_t count;
    peer_id holders[REPLICATE_HOLDERS_MAX];
} message;

/* 0, or -1 for anything but one whole message. */
static int message_decode(const uint8_t *in, size_t len, message *m) {
    size_t at = 0;
    if (len < 3) return -1;
    m->kind = in[at++];
    if (m->kind != REPLICATE_PLACE && m->kind != REPLICATE_REPAIR) return -1;
    size_t key_len = in[at++];
    if (key_len > CID_BYTES_MAX || len - at < key_len + 1) return -1;
    if (cid_decode(in + at, key_len, &m->c) != (int)key_len) return -1;
    at += key_len;
    m->count = in[at++];
    if (m->count == 0 || m->count > REPLICATE_HOLDERS_MAX) return -1;
    for (size_t i = 0; i < m->count; i++) {
        if (at >= len) return -1;
        size_t id_len = in[at++];
        if (id_len == 0 || id_len > PEER_ID_MAX_BYTES || len - at < id_len) return -1;
        memcpy(m->holders[i].bytes, in + at, id_len);
        m->holders[i].len = id_len;
        at += id_len;
    }
    return at == len ? 0 : -1;
}

/* Opens a stream to a connected holder; its message goes when the stream
 * is open (on_open). false when no slot is free or the stream fails: the
 * next tick tries again. */
static bool send_to(replicate *r, const record *rec, const holder *h) {
    send_slot *slot = NULL;
    for (size_t i = 0; i < REPLICATE_SENDS_MAX && slot == NULL; i++)
        if (!r->sends[i].used) slot = &r->sends[i];
    if (slot == NULL) return false;
    node_stream_handle stream;
    if (node_open_stream(r->config.node, &h->id, REPLICATE_PROTOCOL, &stream) != 0) return false;
    slot->used = true;
    slot->stream = stream;
    slot->msg_len = message_encode(r, rec, h->kind, slot->msg);
    if (h->kind == REPLICATE_REPAIR) {
        r->stats.repairs_sent++;
        r->stats.repair_bytes += slot->msg_len;
    } else {
        r->stats.places_sent++;
        r->stats.place_bytes += slot->msg_len;
    }
    return true;
}

/* ---- the protocol -------------------------------------------------------- */

static void on_open(void *user, node *n, node_stream_handle stream, const peer_id *peer, bool inbound) {
    (void)peer;
    replicate *r = user;
    if (inbound) return;
    for (size_t i = 0; i < REPLICATE_SENDS_MAX; i++) {
        send_slot *slot = &r->sends[i];
        if (!slot->used || slot->stream != stream) continue;
        node_stream_send(n, stream, slot->msg, slot->msg_len);
        node_stream_close(n, stream);
        slot->used = false;
        return;
    }
}

static void on_close(void *user, node *n, node_stream_handle stream) {
    (void)n;
    replicate *r = user;
    for (size_t i = 0; i < REPLICATE_SENDS_MAX; i++)
        if (r->sends[i].used && r->sends[i].stream == stream) r->sends[i].used = false;
}

static void place_done(void *user, const cid *c, block_fetch_status status, const uint8_t *data, size_t len) {
    (void)data;
    replicate *r = user;
    record *rec = record_find(r, c);
    if (rec == NULL || !rec->fetching) return;
    rec->fetching = false;
    if (status != BLOCK_FETCH_STORED) {
        rec->used = false; /* we hold nothing: nothing to repair */
        return;
    }
    node_block_sync(r->config.node); /* a copy we were trusted with survives a crash */
    if (rec->kind == REPLICATE_REPAIR) {
        r->stats.repaired++;
        r->stats.repair_bytes += len;
    } else {
        r->stats.placed++;
        r->stats.place_bytes += len;
    }
}

/* We are told to hold m.c with m's holders: the record takes the list (the
 * teller knows it better than we do), and the block is fetched unless it
 * is here. */
static void take_message(replicate *r, const message *m) {
    const peer_id *self = node_id(r->config.node);
    record *rec = record_find(r, &m->c);
    if (rec == NULL && (rec = record_new(r, &m->c)) == NULL) return;
    /* A holder we knew keeps what we know of it (when we last saw it). */
    holder known[REPLICATE_HOLDERS_MAX];
    size_t known_count = rec->count;
    memcpy(known, rec->holders, known_count * sizeof known[0]);
    rec->count = 0;
    for (size_t i = 0; i < m->count; i++) {
        if (peer_id_equal(&m->holders[i], self) || record_names(rec, &m->holders[i])) continue;
        record_add(r, rec, &m->holders[i], true, m->kind);
        for (size_t k = 0; k < known_count; k++)
            if (peer_id_equal(&known[k].id, &m->holders[i])) rec->holders[rec->count - 1] = known[k];
        rec->holders[rec->count - 1].told = true;
    }
    if (rec->fetching) return;
    int has = node_block_has(r->config.node, &m->c);
    if (has == 1) return;
    rec->fetching = true;
    rec->kind = m->kind;
    if (has < 0 || node_block_fetch(r->config.node, &m->c, place_done, r) != 0) {
        rec->fetching = false;
        rec->used = false;
    }
}

static void on_message(void *user, node *n, node_stream_handle stream, const peer_id *peer, const uint8_t *data,
                       size_t len) {
    (void)peer;
    replicate *r = user;
    message m;
    if (message_decode(data, len, &m) != 0) {
        r->stats.bad_messages++;
        node_stream_close(n, stream);
        return;
    }
    take_message(r, &m);
    node_stream_close(n, stream);
}

static const node_protocol_ops replicate_ops = {.on_open = on_open, .on_message = on_message, .on_close = on_close};

/* ---- lifecycle ----------------------------------------------------------- */

replicate *replicate_create(const replicate_config *config) {
    assert(config != NULL && config->node != NULL);
    if (config->replication < 1 || config->replication > REPLICATE_R_MAX || config->grace_ns == 0 ||
        config->peer_count > REPLICATE_PEERS_MAX || (config->peers == NULL && config->peer_count > 0))
        return NULL;
    replicate *r = calloc(1, sizeof *r);
    if (r == NULL) return NULL;
    r->config = *config;
    if (node_register_protocol(config->node, REPLICATE_PROTOCOL, &replicate_ops, r) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

void replicate_destroy(replicate *r) {
    if (r == NULL) return;
    free(r->records);
    free(r);
}

void replicate_get_stats(const replicate *r, replicate_stats *out) { *out = r->stats; }

size_t replicate_holders(const replicate *r, const cid *c, peer_id *out, size_t cap) {
    const record *rec = record_find((replicate *)r, c);
    if (rec == NULL) return 0;
    size_t k = 0;
    for (; k < rec->count && k < cap; k++) out[k] = rec->holders[k].id;
    return k;
}

/* ---- put ----------------------------------------------------------------- */

int replicate_put(replicate *r, uint64_t now_ns, const uint8_t *data, size_t len, cid *out) {
    r->now_ns = now_ns;
    node *n = r->config.node;
    if (node_block_put(n, CID_CODEC_RAW, data, len, out) != 0 || node_block_sync(n) != 0) return -1;
    record *rec = record_find(r, out);
    if (rec == NULL && (rec = record_new(r, out)) == NULL) return -1;
    uint32_t chosen[REPLICATE_R_MAX];
    size_t k = replicate_rank(out, r->config.peers, r->config.peer_count, node_id(n), r->config.replication, chosen);
    for (size_t i = 0; i < k; i++)
        if (!record_names(rec, &r->config.peers[chosen[i]].id))
            record_add(r, rec, &r->config.peers[chosen[i]].id, false, REPLICATE_PLACE);
    replicate_tick(r, now_ns); /* tells the connected ones now */
    return 0;
}

/* ---- tick: liveness, repair, sends ---------------------------------------- */

/* The next peer of the ranking that is neither this node nor a holder. */
static uint32_t next_candidate(const replicate *r, const record *rec) {
    uint32_t ranked[REPLICATE_HOLDERS_MAX * 2 + 1];
    size_t want = (size_t)rec->count + 2; /* the holders (gone one included), self, and one more */
    assert(want <= sizeof ranked / sizeof ranked[0]);
    size_t k = replicate_rank(&rec->c, r->config.peers, r->config.peer_count, NULL, want, ranked);
    const peer_id *self = node_id(r->config.node);
    for (size_t i = 0; i < k; i++) {
        const peer_id *id = &r->config.peers[ranked[i]].id;
        if (!peer_id_equal(id, self) && !record_names(rec, id)) return ranked[i];
    }
    return NO_PEER;
}

/* Replaces holder h, gone, by the next candidate of the ranking: a repair.
 * The gone holder is kept out of the ranking while it is chosen from. */
static void replace(replicate *r, record *rec, size_t h) {
    r->stats.holders_gone++;
    uint32_t next = next_candidate(r, rec);
    rec->holders[h] = rec->holders[--rec->count];
    if (next != NO_PEER) record_add(r, rec, &r->config.peers[next].id, false, REPLICATE_REPAIR);
}

/* One holder of rec at this tick: seen, told, dialed, or gone. Returns
 * false when it was replaced (the slot now holds another). */
static bool check_holder(replicate *r, record *rec, size_t i, size_t *dials) {
    node *n = r->config.node;
    holder *h = &rec->holders[i];
    if (node_is_connected(n, &h->id)) {
        h->seen_ns = r->now_ns;
        h->seen = true;
        if (!h->told) h->told = send_to(r, rec, h);
        return true;
    }
    /* One never reached gets a placement's time, not a departure's grace:
     * an unreachable pick costs a copy until it is replaced. */
    uint64_t limit = h->seen || r->config.grace_ns < REPLICATE_PLACE_TIMEOUT_NS ? r->config.grace_ns
                                                                                 : REPLICATE_PLACE_TIMEOUT_NS;
    if (r->now_ns - h->seen_ns > limit) {
        replace(r, rec, i);
        return false;
    }
    bool due = h->dialed_ns == 0 || r->now_ns - h->dialed_ns >= REPLICATE_REDIAL_NS;
    if (h->peer != NO_PEER && due && *dials < REPLICATE_DIALS_PER_TICK) {
        h->dialed_ns = r->now_ns;
        (*dials)++;
        node_dial(n, r->config.peers[h->peer].addr);
    }
    return true;
}

uint64_t replicate_tick(replicate *r, uint64_t now_ns) {
    r->now_ns = now_ns;
    size_t dials = 0;
    for (size_t i = 0; i < r->record_count; i++) {
        record *rec = &r->records[i];
        if (!rec->used || rec->fetching) continue;
        /* Each slot is looked at until it keeps its holder: a replacement
         * lands at the end and is looked at in its turn. The bound is the
         * holders a record can name, twice. */
        size_t steps = 0;
        for (size_t h = 0; h < rec->count && steps < 2 * REPLICATE_HOLDERS_MAX; steps++)
            if (check_holder(r, rec, h, &dials)) h++;
    }
    return now_ns + REPLICATE_TICK_NS;
}

/* ---- get ----------------------------------------------------------------- */

static void get_done(void *user, const cid *c, block_fetch_status status, const uint8_t *data, size_t len) {
    (void)data, (void)len;
    get_slot *slot = user;
    replicate *r = slot->owner;
    slot->used = false;
    bool ok = status != BLOCK_FETCH_TIMEOUT;
    /* A read leaves no copy behind, unless we were told to hold it. */
    if (ok && record_find(r, c) == NULL) node_block_delete(r->config.node, c);
    slot->done(slot->user, c, ok);
}

int replicate_get(replicate *r, const cid *c, replicate_get_fn done, void *user) {
    node *n = r->config.node;
    if (node_block_has(n, c) == 1) {
        done(user, c, true);
        return 0;
    }
    get_slot *slot = NULL;
    for (size_t i = 0; i < REPLICATE_GETS_MAX && slot == NULL; i++)
        if (!r->gets[i].used) slot = &r->gets[i];
    if (slot == NULL) return -1;
    *slot = (get_slot){.used = true, .owner = r, .done = done, .user = user};
    /* The holders are the first of the ranking: dial them, the fetch asks
     * them as they come (and every peer connected already). */
    uint32_t ranked[REPLICATE_R_MAX + REPLICATE_GET_EXTRA];
    size_t k = replicate_rank(c, r->config.peers, r->config.peer_count, node_id(n),
                              r->config.replication + REPLICATE_GET_EXTRA, ranked);
    for (size_t i = 0; i < k; i++)
        if (!node_is_connected(n, &r->config.peers[ranked[i]].id)) node_dial(n, r->config.peers[ranked[i]].addr);
    if (node_block_fetch(n, c, get_done, slot) != 0) {
        slot->used = false;
        return -1;
    }
    return 0;
}
