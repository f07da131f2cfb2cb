/*
 * test_bitswap: Bitswap 1.2.0 between real nodes in the world. A block put
 * on one host is fetched by its CID on another and reads back identical; a
 * host that lacks it answers DONT_HAVE and serves it once it has it; a
 * fetch nobody can serve ends at BITSWAP_FETCH_TIMEOUT_NS; a liar (the real
 * node with a policy that corrupts the blocks it serves) gets none of its
 * blocks stored and is disconnected at BITSWAP_BAD_BLOCKS_MAX; the engine
 * bounds a peer's wantlist; the same seed gives the same trace digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/time_units.h"
#include "digest.h"
#include "exchange/bitswap.h"
#include "world/world.h"

#define MS NS_PER_MS
#define S NS_PER_S
#define L (10 * MS)
#define BLOCK_BYTES (300u << 10) /* several yamux windows and frames */

/* ---- what the hosts trace and what fetches return --------------------- */

static trace_digest digest;
static size_t rejected_blocks[8];

static void collect(void *user, const trace_event *event) {
    (void)user;
    trace_digest_update(&digest, event);
    if (event->kind == TRACE_REJECT_BLOCK && event->node_index < 8) rejected_blocks[event->node_index]++;
}

typedef struct fetched {
    int calls;
    block_fetch_status status;
    uint64_t at_ns;
    uint8_t *data;
    size_t len;
    world *w;
} fetched;

static void on_fetched(void *user, const cid *c, block_fetch_status status, const uint8_t *data, size_t len) {
    fetched *f = user;
    f->calls++;
    f->status = status;
    f->at_ns = world_now(f->w);
    free(f->data);
    f->data = NULL;
    f->len = len;
    if (status != BLOCK_FETCH_TIMEOUT) {
        assert_true(cid_matches(c, data, len));
        f->data = malloc(len ? len : 1);
        memcpy(f->data, data, len);
    }
}

static world *make_world(uint32_t hosts, uint64_t seed) {
    world_forbid_global_randomness();
    trace_digest_init(&digest);
    memset(rejected_blocks, 0, sizeof rejected_blocks);
    world_config config = {.host_count = hosts, .seed = seed, .latency = {DIST_CONSTANT, (double)L, 0},
                           .trace = collect};
    world *w = world_create(&config);
    assert_non_null(w);
    for (uint32_t i = 0; i < hosts; i++) assert_int_equal(world_host_up(w, i), 0);
    return w;
}

/* A world whose hosts dialled the pairs of links (dialer, listener) and
 * finished their upgrades. */
static world *make_linked(uint32_t hosts, uint64_t seed, const uint32_t links[][2], size_t count) {
    world *w = make_world(hosts, seed);
    for (size_t i = 0; i < count; i++) assert_int_equal(world_dial(w, links[i][0], links[i][1]), 0);
    world_run(w, 1 * S);
    return w;
}

/* BLOCK_BYTES of bytes that differ with seed. */
static uint8_t *make_block(uint8_t seed) {
    uint8_t *data = malloc(BLOCK_BYTES);
    assert_non_null(data);
    for (size_t i = 0; i < BLOCK_BYTES; i++) data[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 11));
    return data;
}

static cid put_block(world *w, uint32_t host, const uint8_t *data, size_t len) {
    cid c;
    assert_int_equal(node_block_put(world_node(w, host), CID_CODEC_RAW, data, len, &c), 0);
    return c;
}

/* ---- fetching --------------------------------------------------------- */

static void a_block_put_on_one_host_is_fetched_by_cid_on_another(void **state) {
    (void)state;
    /* 3 is connected to 0 (has it) and 1 (lacks it); 2 only to 1. */
    const uint32_t links[][2] = {{1, 0}, {2, 1}, {3, 1}, {3, 0}};
    world *w = make_linked(4, 1, links, 4);
    uint8_t *data = make_block(1);
    cid c = put_block(w, 0, data, BLOCK_BYTES);
    fetched got = {.w = w};
    uint64_t start = world_now(w);
    assert_int_equal(node_block_fetch(world_node(w, 3), &c, on_fetched, &got), 0);
    world_run(w, start + 5 * S);
    assert_int_equal(got.calls, 1);
    assert_int_equal(got.status, BLOCK_FETCH_STORED);
    assert_int_equal(got.len, BLOCK_BYTES);
    assert_memory_equal(got.data, data, BLOCK_BYTES);
    assert_int_equal(node_block_has(world_node(w, 3), &c), 1);
    assert_int_equal(node_block_has(world_node(w, 1), &c), 0); /* a fetch keeps the block only at the fetcher */
    /* want-have and HAVE, want-block and the block: two round trips and
     * the block's 300 KiB through 256 KiB windows, well under a second. */
    assert_true(got.at_ns - start >= 4 * L && got.at_ns - start < 1 * S);
    buf back;
    buf_init(&back, STORE_BLOCK_MAX);
    assert_int_equal(node_block_get(world_node(w, 3), &c, &back), 1);
    assert_memory_equal(back.data, data, BLOCK_BYTES);
    buf_free(&back);
    free(got.data);
    free(data);
    world_destroy(w);
}

static void a_host_that_lacks_a_block_serves_it_once_it_has_it(void **state) {
    (void)state;
    const uint32_t line[][2] = {{1, 0}, {2, 1}}; /* 2 reaches the block's holder only through 1 */
    world *w = make_linked(3, 2, line, 2);
    uint8_t *data = make_block(2);
    cid c = put_block(w, 0, data, BLOCK_BYTES);
    fetched at2 = {.w = w}, at1 = {.w = w};
    assert_int_equal(node_block_fetch(world_node(w, 2), &c, on_fetched, &at2), 0);
    world_run(w, world_now(w) + 2 * S);
    assert_int_equal(at2.calls, 0); /* 1 said DONT_HAVE; 2 waits */
    assert_int_equal(node_block_fetch(world_node(w, 1), &c, on_fetched, &at1), 0);
    world_run(w, world_now(w) + 2 * S);
    assert_int_equal(at1.status, BLOCK_FETCH_STORED);
    assert_int_equal(at2.calls, 1); /* 1 kept its want-have and answered HAVE when the block came */
    assert_int_equal(at2.status, BLOCK_FETCH_STORED);
    assert_memory_equal(at2.data, data, BLOCK_BYTES);
    free(at1.data);
    free(at2.data);
    free(data);
    world_destroy(w);
}

static void a_fetch_nobody_can_serve_times_out(void **state) {
    (void)state;
    const uint32_t pair[][2] = {{1, 0}};
    world *w = make_linked(2, 3, pair, 1);
    cid c;
    cid_of(&c, CID_CODEC_RAW, (const uint8_t *)"nobody has this", 15);
    fetched got = {.w = w};
    uint64_t start = world_now(w);
    assert_int_equal(node_block_fetch(world_node(w, 1), &c, on_fetched, &got), 0);
    world_run(w, start + BITSWAP_FETCH_TIMEOUT_NS + 1 * S);
    assert_int_equal(got.calls, 1);
    assert_int_equal(got.status, BLOCK_FETCH_TIMEOUT);
    assert_int_equal(got.at_ns - start, BITSWAP_FETCH_TIMEOUT_NS);
    assert_int_equal(node_block_has(world_node(w, 1), &c), 0);
    world_destroy(w);
}

static void a_block_kept_already_is_given_at_once(void **state) {
    (void)state;
    world *w = make_world(1, 4);
    cid c = put_block(w, 0, (const uint8_t *)"here", 4);
    fetched got = {.w = w};
    assert_int_equal(node_block_fetch(world_node(w, 0), &c, on_fetched, &got), 0);
    assert_int_equal(got.calls, 1);
    assert_int_equal(got.status, BLOCK_FETCH_STORED);
    assert_memory_equal(got.data, "here", 4);
    free(got.data);
    world_destroy(w);
}

/* ---- the block API's refusals ----------------------------------------- */

static void oversized_blocks_and_other_codecs_are_refused(void **state) {
    (void)state;
    world *w = make_world(1, 5);
    uint8_t *big = calloc(1, STORE_BLOCK_MAX + 1);
    assert_non_null(big);
    cid c;
    assert_int_equal(node_block_put(world_node(w, 0), CID_CODEC_RAW, big, STORE_BLOCK_MAX + 1, &c), -1);
    assert_int_equal(node_block_put(world_node(w, 0), CID_CODEC_RAW, big, STORE_BLOCK_MAX, &c), 0);
    assert_int_equal(node_block_put(world_node(w, 0), 0x71 /* dag-cbor */, big, 10, &c), -1);
    free(big);
    world_destroy(w);
}

static uint64_t fixed_now(void *ctx) { (void)ctx; return 0; }
static void fixed_random(void *ctx, uint8_t *out, size_t len) { (void)ctx; memset(out, 7, len); }
static int no_write(void *ctx, uint64_t conn, const uint8_t *bytes, size_t len) { (void)ctx, (void)conn, (void)bytes, (void)len; return 0; }
static void no_close(void *ctx, uint64_t conn) { (void)ctx, (void)conn; }

static void without_store_ops_every_block_call_fails_clearly(void **state) {
    (void)state;
    env e = {.now_ns = fixed_now, .random = fixed_random, .write = no_write, .close = no_close};
    node_config config = {.env = &e};
    node *n = node_create(&config);
    assert_non_null(n);
    cid c;
    buf out;
    buf_init(&out, 64);
    fetched got = {0};
    assert_int_equal(node_block_put(n, CID_CODEC_RAW, (const uint8_t *)"x", 1, &c), -1);
    cid_of(&c, CID_CODEC_RAW, (const uint8_t *)"x", 1);
    assert_int_equal(node_block_get(n, &c, &out), -1);
    assert_int_equal(node_block_has(n, &c), -1);
    assert_int_equal(node_block_delete(n, &c), -1);
    assert_int_equal(node_block_sync(n), -1);
    assert_int_equal(node_block_fetch(n, &c, on_fetched, &got), -1);
    assert_int_equal(got.calls, 0);
    buf_free(&out);
    node_destroy(n);
}

/* ---- a liar ----------------------------------------------------------- */

/* The liar's policy: every block it sends has its first byte flipped. */
static void corrupt_blocks(void *user, uint8_t *msg, size_t len) {
    (void)user;
    bitswap_message *m = malloc(sizeof *m);
    assert_non_null(m);
    if (bitswap_decode(msg, len, m) == 0)
        for (size_t i = 0; i < m->block_count; i++)
            if (m->blocks[i].data.len > 0) ((uint8_t *)m->blocks[i].data.data)[0] ^= 0xff; /* a view into msg */
    free(m);
}

static const node_policy liar = {.rewrite_bitswap = corrupt_blocks};

static void a_liar_gets_no_block_stored_and_is_disconnected_at_the_third(void **state) {
    (void)state;
    world *w = make_world(3, 6); /* 0 honest, 1 the liar, 2 fetches */
    node_set_policy(world_node(w, 1), &liar);
    uint8_t *data[3];
    cid c[3];
    fetched got[3];
    for (int i = 0; i < 3; i++) {
        data[i] = make_block((uint8_t)(10 + i));
        c[i] = put_block(w, 0, data[i], BLOCK_BYTES);
        put_block(w, 1, data[i], BLOCK_BYTES);
        got[i] = (fetched){.w = w};
    }
    assert_int_equal(world_dial(w, 2, 1), 0);
    world_run(w, 1 * S);
    for (int i = 0; i < 3; i++) assert_int_equal(node_block_fetch(world_node(w, 2), &c[i], on_fetched, &got[i]), 0);
    world_run(w, world_now(w) + 2 * S);
    assert_int_equal(rejected_blocks[2], BITSWAP_BAD_BLOCKS_MAX);
    assert_false(node_is_connected(world_node(w, 2), world_peer_id(w, 1)));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(got[i].calls, 0); /* still waiting: no bad block ends a fetch */
        assert_int_equal(node_block_has(world_node(w, 2), &c[i]), 0);
    }
    /* An honest peer comes: the fetches still running ask it, and get the real blocks. */
    assert_int_equal(world_dial(w, 2, 0), 0);
    world_run(w, world_now(w) + 3 * S);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(got[i].status, BLOCK_FETCH_STORED);
        assert_memory_equal(got[i].data, data[i], BLOCK_BYTES);
        assert_int_equal(node_block_has(world_node(w, 2), &c[i]), 1);
        free(got[i].data);
        free(data[i]);
    }
    assert_int_equal(rejected_blocks[2], BITSWAP_BAD_BLOCKS_MAX);
    world_destroy(w);
}

/* ---- determinism ------------------------------------------------------ */

static void run_exchange(uint64_t seed, char hex[DIGEST_HEX_BYTES]) {
    const uint32_t triangle[][2] = {{1, 0}, {2, 0}, {2, 1}};
    world *w = make_linked(3, seed, triangle, 3);
    uint8_t *data = make_block(3);
    cid c = put_block(w, 0, data, BLOCK_BYTES);
    fetched a = {.w = w}, b = {.w = w};
    assert_int_equal(node_block_fetch(world_node(w, 1), &c, on_fetched, &a), 0);
    assert_int_equal(node_block_fetch(world_node(w, 2), &c, on_fetched, &b), 0);
    world_run(w, world_now(w) + 3 * S);
    assert_int_equal(a.status, BLOCK_FETCH_STORED);
    assert_int_equal(b.status, BLOCK_FETCH_STORED);
    free(a.data);
    free(b.data);
    free(data);
    world_destroy(w);
    trace_digest_final(&digest, hex);
}

static void the_same_seed_gives_the_same_digest(void **state) {
    (void)state;
    char first[DIGEST_HEX_BYTES], second[DIGEST_HEX_BYTES], other[DIGEST_HEX_BYTES];
    run_exchange(7, first);
    run_exchange(7, second);
    run_exchange(8, other);
    assert_string_equal(first, second);
    assert_string_not_equal(first, other);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_block_put_on_one_host_is_fetched_by_cid_on_another),
        cmocka_unit_test(a_host_that_lacks_a_block_serves_it_once_it_has_it),
        cmocka_unit_test(a_fetch_nobody_can_serve_times_out),
        cmocka_unit_test(a_block_kept_already_is_given_at_once),
        cmocka_unit_test(oversized_blocks_and_other_codecs_are_refused),
        cmocka_unit_test(without_store_ops_every_block_call_fails_clearly),
        cmocka_unit_test(a_liar_gets_no_block_stored_and_is_disconnected_at_the_third),
        cmocka_unit_test(the_same_seed_gives_the_same_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
