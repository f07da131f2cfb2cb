/*
 * test_bitswap_engine: the Bitswap engine (node/exchange) alone, on a host
 * that records what it sends, over the world's in-memory blockstore: how a
 * wantlist is answered (HAVE, DONT_HAVE only when asked for, the block with
 * its prefix), cancels and full wantlists, the bound on a peer's wantlist,
 * answers that do not fit one message, and the count against a peer that
 * sends blocks nobody asked it for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "exchange/bitswap.h"
#include "world/blockstore.h"

#define PEER 7

/* ---- the host --------------------------------------------------------- */

typedef struct sent {
    size_t messages;
    size_t blocks, haves, dont_haves, entries; /* in all messages so far */
    bitswap_message last;                       /* views into last_bytes */
    uint8_t *last_bytes;
    uint64_t timer_ns;
    uint32_t bad_count, withheld_count;
    bool bad_disconnect, withheld_disconnect;
    uint64_t now_ns;
    blockstore store;
} sent;

static sent *h;

static uint64_t host_now(void *user) { return ((sent *)user)->now_ns; }

static int host_send(void *user, uint32_t peer, const uint8_t *msg, size_t len) {
    sent *s = user;
    assert_int_equal(peer, PEER);
    free(s->last_bytes);
    s->last_bytes = malloc(len);
    memcpy(s->last_bytes, msg, len);
    assert_int_equal(bitswap_decode(s->last_bytes, len, &s->last), 0); /* what we send, we can read */
    s->messages++;
    s->blocks += s->last.block_count;
    s->entries += s->last.entry_count;
    for (size_t i = 0; i < s->last.presence_count; i++) {
        s->haves += s->last.presences[i].type == BITSWAP_HAVE;
        s->dont_haves += s->last.presences[i].type == BITSWAP_DONT_HAVE;
    }
    return 0;
}

static void host_timer(void *user, uint64_t deadline_ns) { ((sent *)user)->timer_ns = deadline_ns; }

static int host_get(void *user, const cid *c, buf *out) {
    uint8_t key[CID_BYTES_MAX];
    return blockstore_get(&((sent *)user)->store, key, cid_encode(c, key), out);
}

static int host_has(void *user, const cid *c) {
    uint8_t key[CID_BYTES_MAX];
    return blockstore_has(&((sent *)user)->store, key, cid_encode(c, key));
}

static int host_put(void *user, const cid *c, const uint8_t *data, size_t len) {
    uint8_t key[CID_BYTES_MAX];
    return blockstore_put(&((sent *)user)->store, key, cid_encode(c, key), data, len);
}

static void host_bad(void *user, uint32_t peer, uint32_t count, size_t len, bool disconnect) {
    sent *s = user;
    (void)len;
    assert_int_equal(peer, PEER);
    s->bad_count = count;
    s->bad_disconnect = disconnect;
}

static void host_withheld(void *user, uint32_t peer, uint32_t count, bool disconnect) {
    sent *s = user;
    assert_int_equal(peer, PEER);
    s->withheld_count = count;
    s->withheld_disconnect = disconnect;
}

static bitswap *engine(void) {
    h = calloc(1, sizeof *h);
    assert_non_null(h);
    blockstore_init(&h->store, 64u << 20);
    h->timer_ns = UINT64_MAX;
    bitswap_host host = {.user = h, .now_ns = host_now, .send = host_send, .timer_set = host_timer,
                         .get = host_get, .has = host_has, .put = host_put, .bad_block = host_bad,
                         .withheld = host_withheld};
    bitswap *b = bitswap_create(&host);
    assert_non_null(b);
    assert_int_equal(bitswap_add_peer(b, PEER), 0);
    return b;
}

static void engine_free(bitswap *b) {
    bitswap_destroy(b);
    blockstore_free(&h->store);
    free(h->last_bytes);
    free(h);
}

/* ---- messages from the peer ------------------------------------------- */

static bitswap_message in;
static uint8_t in_cids[BITSWAP_ENTRIES_MAX][CID_BYTES_MAX];
static uint8_t in_wire[BITSWAP_MESSAGE_MAX_BYTES];

static void want(size_t i, const cid *c, uint8_t type, bool send_dont_have, bool cancel) {
    in.has_wantlist = true;
    in.entries[i] = (bitswap_entry){.cid = {in_cids[i], cid_encode(c, in_cids[i])}, .want_type = type,
                                    .send_dont_have = send_dont_have, .cancel = cancel, .priority = 1};
    if (i + 1 > in.entry_count) in.entry_count = i + 1;
}

static int deliver(bitswap *b) {
    size_t len = bitswap_encode(&in, in_wire, sizeof in_wire);
    assert_true(len > 0);
    bitswap_message_clear(&in);
    return bitswap_handle_message(b, PEER, in_wire, len);
}

static cid kept(const char *text) {
    cid c;
    cid_of(&c, CID_CODEC_RAW, (const uint8_t *)text, strlen(text));
    assert_int_equal(host_put(h, &c, (const uint8_t *)text, strlen(text)), 0);
    return c;
}

static cid absent(const char *text) {
    cid c;
    cid_of(&c, CID_CODEC_RAW, (const uint8_t *)text, strlen(text));
    return c;
}

/* ---- answers ---------------------------------------------------------- */

static void want_have_is_answered_have_or_dont_have_as_asked(void **state) {
    (void)state;
    bitswap *b = engine();
    cid a = kept("a"), x = absent("x"), y = absent("y");
    want(0, &a, BITSWAP_WANT_HAVE, true, false);
    want(1, &x, BITSWAP_WANT_HAVE, true, false);
    want(2, &y, BITSWAP_WANT_HAVE, false, false); /* no DONT_HAVE wanted */
    assert_int_equal(deliver(b), 0);
    assert_int_equal(h->messages, 1);
    assert_int_equal(h->haves, 1);
    assert_int_equal(h->dont_haves, 1);
    assert_int_equal(h->blocks, 0);
    assert_int_equal(bitswap_peer_wants(b, PEER), 2); /* x and y wait for a block that may come */
    engine_free(b);
}

static void want_block_is_answered_with_the_block_and_its_prefix(void **state) {
    (void)state;
    bitswap *b = engine();
    cid a = kept("hello world");
    want(0, &a, BITSWAP_WANT_BLOCK, true, false);
    assert_int_equal(deliver(b), 0);
    assert_int_equal(h->last.block_count, 1);
    const uint8_t raw_v1[] = {0x01, 0x55, 0x12, 0x20};
    assert_int_equal(h->last.blocks[0].prefix.len, sizeof raw_v1);
    assert_memory_equal(h->last.blocks[0].prefix.data, raw_v1, sizeof raw_v1);
    assert_int_equal(h->last.blocks[0].data.len, 11);
    assert_memory_equal(h->last.blocks[0].data.data, "hello world", 11);
    assert_int_equal(bitswap_peer_wants(b, PEER), 0); /* served: the entry is done */
    engine_free(b);
}

static void a_block_that_comes_later_goes_to_the_peer_that_wanted_it(void **state) {
    (void)state;
    bitswap *b = engine();
    cid later = absent("later");
    want(0, &later, BITSWAP_WANT_BLOCK, true, false);
    assert_int_equal(deliver(b), 0);
    assert_int_equal(h->dont_haves, 1);
    kept("later");
    bitswap_block_added(b, &later);
    assert_int_equal(h->blocks, 1);
    assert_int_equal(bitswap_peer_wants(b, PEER), 0);
    engine_free(b);
}

static void a_cancel_removes_an_entry_and_a_full_wantlist_replaces_them_all(void **state) {
    (void)state;
    bitswap *b = engine();
    cid x = absent("x"), y = absent("y"), z = absent("z");
    want(0, &x, BITSWAP_WANT_BLOCK, false, false);
    want(1, &y, BITSWAP_WANT_BLOCK, false, false);
    assert_int_equal(deliver(b), 0);
    assert_int_equal(bitswap_peer_wants(b, PEER), 2);
    want(0, &x, BITSWAP_WANT_BLOCK, false, true);
    assert_int_equal(deliver(b), 0);
    assert_int_equal(bitswap_peer_wants(b, PEER), 1);
    want(0, &z, BITSWAP_WANT_HAVE, false, false);
    in.full = true;
    assert_int_equal(deliver(b), 0);
    assert_int_equal(bitswap_peer_wants(b, PEER), 1); /* only z: y went with the old list */
    assert_int_equal(h->messages, 0);                  /* nothing had to be said */
    engine_free(b);
}

static void a_wantlist_flood_stops_at_the_per_peer_bound(void **state) {
    (void)state;
    bitswap *b = engine();
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < BITSWAP_ENTRIES_MAX; i++) {
            char text[32];
            snprintf(text, sizeof text, "flood %d %zu", round, i);
            cid c = absent(text);
            want(i, &c, BITSWAP_WANT_HAVE, false, false);
        }
        assert_int_equal(deliver(b), 0);
    }
    assert_int_equal(bitswap_peer_wants(b, PEER), BITSWAP_PEER_WANTS_MAX);
    bitswap_remove_peer(b, PEER);
    assert_int_equal(bitswap_peer_wants(b, PEER), 0);
    engine_free(b);
}

static void blocks_past_one_message_go_at_the_retry(void **state) {
    (void)state;
    bitswap *b = engine();
    uint8_t *big = malloc(STORE_BLOCK_MAX);
    cid c[3];
    for (int i = 0; i < 3; i++) {
        memset(big, 'a' + i, STORE_BLOCK_MAX);
        cid_of(&c[i], CID_CODEC_RAW, big, STORE_BLOCK_MAX);
        assert_int_equal(host_put(h, &c[i], big, STORE_BLOCK_MAX), 0);
        want((size_t)i, &c[i], BITSWAP_WANT_BLOCK, false, false);
    }
    free(big);
    h->now_ns = 1000;
    assert_int_equal(deliver(b), 0);
    /* Two 1 MiB blocks and their framing pass BITSWAP_MESSAGE_MAX_BYTES: one goes now. */
    assert_int_equal(h->messages, 1);
    assert_int_equal(h->blocks, 1);
    assert_int_equal(h->timer_ns, 1000 + BITSWAP_RETRY_NS);
    h->now_ns = h->timer_ns;
    bitswap_on_timer(b);
    bitswap_on_timer(b);
    assert_int_equal(h->messages, 3);
    assert_int_equal(h->blocks, 3);
    assert_int_equal(bitswap_peer_wants(b, PEER), 0);
    engine_free(b);
}

/* ---- blocks nobody asked for ------------------------------------------ */

static void unasked_blocks_are_not_kept_and_count_until_the_peer_must_go(void **state) {
    (void)state;
    bitswap *b = engine();
    static const uint8_t prefix[] = {0x01, 0x55, 0x12, 0x20};
    for (uint32_t i = 1; i <= BITSWAP_BAD_BLOCKS_MAX; i++) {
        in.blocks[0] = (bitswap_block){.prefix = {prefix, 4}, .data = {(const uint8_t *)"junk", 4}};
        in.block_count = 1;
        assert_int_equal(deliver(b), i < BITSWAP_BAD_BLOCKS_MAX ? 0 : -1);
        assert_int_equal(h->bad_count, i);
        assert_int_equal(h->bad_disconnect, i == BITSWAP_BAD_BLOCKS_MAX);
    }
    cid junk = absent("junk");
    assert_int_equal(host_has(h, &junk), 0);
    assert_int_equal(bitswap_bad_blocks(b, PEER), BITSWAP_BAD_BLOCKS_MAX);
    engine_free(b);
}

static void done_never_called(void *user, const cid *c, block_fetch_status status, const uint8_t *data, size_t len) {
    (void)user, (void)c, (void)status, (void)data, (void)len;
    fail_msg("a fetch ended that should still run");
}

static void a_fetch_asks_want_have_then_want_block_of_the_peer_that_has_it(void **state) {
    (void)state;
    bitswap *b = engine();
    cid c = absent("far");
    assert_int_equal(bitswap_fetch(b, &c, done_never_called, NULL), 0);
    assert_int_equal(h->last.entry_count, 1);
    assert_int_equal(h->last.entries[0].want_type, BITSWAP_WANT_HAVE);
    assert_true(h->last.entries[0].send_dont_have);
    uint8_t bytes[CID_BYTES_MAX];
    in.presences[0] = (bitswap_presence){.cid = {bytes, cid_encode(&c, bytes)}, .type = BITSWAP_HAVE};
    in.presence_count = 1;
    assert_int_equal(deliver(b), 0);
    assert_int_equal(h->messages, 2);
    assert_int_equal(h->last.entries[0].want_type, BITSWAP_WANT_BLOCK);
    assert_int_equal(bitswap_fetches(b), 1);
    assert_int_equal(h->timer_ns, BITSWAP_BLOCK_WAIT_NS); /* now is 0: the want-block's wait, then the fetch's */
    engine_free(b);
}

/* A peer that said HAVE and sends nothing: at BITSWAP_BLOCK_WAIT_NS the
 * block counts as withheld, the fetch runs on (asking no one more here),
 * and the third such block disconnects the peer. */
static void a_block_said_had_and_not_sent_counts_as_withheld_until_the_peer_must_go(void **state) {
    (void)state;
    bitswap *b = engine();
    uint8_t bytes[BITSWAP_WITHHELD_MAX][CID_BYTES_MAX];
    const char *names[BITSWAP_WITHHELD_MAX] = {"w1", "w2", "w3"};
    for (int i = 0; i < BITSWAP_WITHHELD_MAX; i++) {
        cid c = absent(names[i]);
        assert_int_equal(bitswap_fetch(b, &c, done_never_called, NULL), 0);
        in.presences[i] = (bitswap_presence){.cid = {bytes[i], cid_encode(&c, bytes[i])}, .type = BITSWAP_HAVE};
    }
    in.presence_count = BITSWAP_WITHHELD_MAX;
    assert_int_equal(deliver(b), 0);
    assert_int_equal(h->withheld_count, 0);
    h->now_ns = BITSWAP_BLOCK_WAIT_NS - 1;
    bitswap_on_timer(b);
    assert_int_equal(h->withheld_count, 0); /* not yet */
    h->now_ns = BITSWAP_BLOCK_WAIT_NS;
    bitswap_on_timer(b);
    assert_int_equal(h->withheld_count, BITSWAP_WITHHELD_MAX);
    assert_true(h->withheld_disconnect);
    assert_int_equal(bitswap_withheld(b, PEER), BITSWAP_WITHHELD_MAX);
    assert_int_equal(bitswap_fetches(b), BITSWAP_WITHHELD_MAX); /* they wait for another holder */
    assert_int_equal(h->timer_ns, BITSWAP_FETCH_TIMEOUT_NS);
    engine_free(b);
}

static void record_status(void *user, const cid *c, block_fetch_status status, const uint8_t *data, size_t len) {
    (void)c, (void)data, (void)len;
    *(block_fetch_status *)user = status;
}

/* An engine fetching the raw block text; *status holds BLOCK_FETCH_STORED
 * + 10 until the fetch ends. */
static bitswap *engine_fetching(const char *text, cid *c, block_fetch_status *status) {
    bitswap *b = engine();
    *c = absent(text);
    *status = (block_fetch_status)(BLOCK_FETCH_STORED + 10);
    assert_int_equal(bitswap_fetch(b, c, record_status, status), 0);
    return b;
}

static void a_fetch_that_times_out_cancels_its_want_at_a_peer_that_lacked_it(void **state) {
    (void)state;
    cid c;
    block_fetch_status status;
    bitswap *b = engine_fetching("nowhere", &c, &status);
    uint8_t bytes[CID_BYTES_MAX];
    in.presences[0] = (bitswap_presence){.cid = {bytes, cid_encode(&c, bytes)}, .type = BITSWAP_DONT_HAVE};
    in.presence_count = 1;
    assert_int_equal(deliver(b), 0);
    assert_int_equal(h->messages, 1); /* DONT_HAVE asks nothing more */
    h->now_ns = h->timer_ns;
    assert_int_equal(h->now_ns, BITSWAP_FETCH_TIMEOUT_NS);
    bitswap_on_timer(b);
    assert_int_equal(status, BLOCK_FETCH_TIMEOUT);
    assert_int_equal(bitswap_fetches(b), 0);
    /* The peer kept our want to answer it later: it is told to drop it. */
    assert_int_equal(h->messages, 2);
    assert_int_equal(h->last.entry_count, 1);
    assert_true(h->last.entries[0].cancel);
    engine_free(b);
}

static void a_block_sent_for_a_want_have_is_taken_and_a_late_copy_is_no_offence(void **state) {
    (void)state;
    cid c;
    block_fetch_status status;
    bitswap *b = engine_fetching("small", &c, &status);
    static const uint8_t prefix[] = {0x01, 0x55, 0x12, 0x20};
    for (int copy = 0; copy < 2; copy++) { /* go answers a want-have with a small block itself */
        in.blocks[0] = (bitswap_block){.prefix = {prefix, 4}, .data = {(const uint8_t *)"small", 5}};
        in.block_count = 1;
        assert_int_equal(deliver(b), 0);
    }
    assert_int_equal(status, BLOCK_FETCH_STORED);
    assert_int_equal(host_has(h, &c), 1);
    assert_int_equal(bitswap_bad_blocks(b, PEER), 0);
    engine_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(want_have_is_answered_have_or_dont_have_as_asked),
        cmocka_unit_test(want_block_is_answered_with_the_block_and_its_prefix),
        cmocka_unit_test(a_block_that_comes_later_goes_to_the_peer_that_wanted_it),
        cmocka_unit_test(a_cancel_removes_an_entry_and_a_full_wantlist_replaces_them_all),
        cmocka_unit_test(a_wantlist_flood_stops_at_the_per_peer_bound),
        cmocka_unit_test(blocks_past_one_message_go_at_the_retry),
        cmocka_unit_test(unasked_blocks_are_not_kept_and_count_until_the_peer_must_go),
        cmocka_unit_test(a_fetch_asks_want_have_then_want_block_of_the_peer_that_has_it),
        cmocka_unit_test(a_block_said_had_and_not_sent_counts_as_withheld_until_the_peer_must_go),
        cmocka_unit_test(a_fetch_that_times_out_cancels_its_want_at_a_peer_that_lacked_it),
        cmocka_unit_test(a_block_sent_for_a_want_have_is_taken_and_a_late_copy_is_no_offence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
