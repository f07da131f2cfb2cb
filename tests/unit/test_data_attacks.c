/*
 * test_data_attacks: the attackers on data (sim/world/attack_data.h;
 * docs/attacks.md "Attackers on data") against a fetch in the world, with
 * the exchange's penalties and without them (world_config's
 * bitswap_no_penalties). Host 2 fetches; host 1 is the attacker, the only
 * peer host 2 has when the fetch starts; host 0, an honest holder, is
 * dialled just after, so the attacker always answers first.
 *
 *   withhold (HAVE for everything, no block ever): with penalties a fetch
 *   gives up on it after BITSWAP_BLOCK_WAIT_NS and gets the block from the
 *   honest holder; the third withheld block disconnects it. Without, the
 *   fetch waits on it until BITSWAP_FETCH_TIMEOUT_NS and fails, though an
 *   honest holder is connected all along.
 *   corrupt (blocks with a byte flipped): never stored either way, the
 *   block is asked of the honest holder at once; penalties disconnect the
 *   attacker at the third, so that later fetches no longer pay a wasted
 *   block each. Without, every fetch pays it.
 *   mute (answers nothing): costs a fetch nothing while another holder
 *   answers; alone, the fetch times out. No penalty applies: silence looks
 *   like a peer without the block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/time_units.h"
#include "exchange/bitswap.h"
#include "world/attack_data.h"
#include "world/world.h"

#define MS NS_PER_MS
#define S NS_PER_S
#define L (10 * MS)
#define BLOCK_BYTES (64u << 10)
#define BLOCKS 6
#define HONEST 0
#define ATTACKER 1
#define FETCHER 2

static uint32_t rejected[3]; /* reject_block events per host: bad and withheld blocks */

static void collect(void *user, const trace_event *event) {
    (void)user;
    if (event->kind == TRACE_REJECT_BLOCK && event->node_index < 3) rejected[event->node_index]++;
}

typedef struct fetched {
    int calls;
    block_fetch_status status;
    uint64_t took_ns;
    uint64_t started_ns;
    world *w;
} fetched;

static void on_fetched(void *user, const cid *c, block_fetch_status status, const uint8_t *data, size_t len) {
    (void)c, (void)data, (void)len;
    fetched *f = user;
    f->calls++;
    f->status = status;
    f->took_ns = world_now(f->w) - f->started_ns;
}

/* Three hosts, the attacker with kind's policy and every block, the
 * fetcher connected to it alone. */
static world *make_world(attack_data_kind kind, bool penalties, cid blocks[BLOCKS]) {
    world_forbid_global_randomness();
    memset(rejected, 0, sizeof rejected);
    world_config config = {.host_count = 3, .seed = 18, .latency = {DIST_CONSTANT, (double)L, 0},
                           .trace = collect, .bitswap_no_penalties = !penalties};
    world *w = world_create(&config);
    assert_non_null(w);
    for (uint32_t i = 0; i < 3; i++) assert_int_equal(world_host_up(w, i), 0);
    node_set_policy(world_node(w, ATTACKER), attack_data_policy(kind));
    static uint8_t data[BLOCK_BYTES];
    for (int b = 0; b < BLOCKS; b++) {
        memset(data, 0x40 + b, sizeof data);
        assert_int_equal(node_block_put(world_node(w, HONEST), CID_CODEC_RAW, data, sizeof data, &blocks[b]), 0);
        /* A withholder claims blocks it lacks; the others hold them. */
        if (kind != ATTACK_DATA_WITHHOLD)
            assert_int_equal(node_block_put(world_node(w, ATTACKER), CID_CODEC_RAW, data, sizeof data, &blocks[b]), 0);
    }
    assert_int_equal(world_dial(w, FETCHER, ATTACKER), 0);
    world_run(w, 1 * S);
    return w;
}

/* Fetches blocks [from, to) at once and, when asked, dials the honest
 * holder just after (having hung up on it first), so that the attacker
 * answers first; runs until every fetch ended. Returns the bytes every
 * host wrote meanwhile. */
static uint64_t fetch_blocks(world *w, const cid *blocks, int from, int to, bool dial_honest, fetched *got) {
    if (dial_honest && world_hosts_connected(w, FETCHER, HONEST)) {
        node_disconnect(world_node(w, FETCHER), world_peer_id(w, HONEST));
        world_run(w, world_now(w) + 1 * S);
        assert_false(world_hosts_connected(w, FETCHER, HONEST));
    }
    uint64_t start = world_now(w);
    world_stats before, after;
    world_get_stats(w, &before);
    for (int b = from; b < to; b++) {
        got[b] = (fetched){.w = w, .started_ns = start};
        assert_int_equal(node_block_fetch(world_node(w, FETCHER), &blocks[b], on_fetched, &got[b]), 0);
    }
    if (dial_honest) assert_int_equal(world_dial(w, FETCHER, HONEST), 0);
    world_run(w, start + BITSWAP_FETCH_TIMEOUT_NS + 1 * S);
    for (int b = from; b < to; b++) assert_int_equal(got[b].calls, 1);
    world_get_stats(w, &after);
    return after.bytes_written - before.bytes_written;
}

static bool attacker_connected(world *w) {
    return node_is_connected(world_node(w, FETCHER), world_peer_id(w, ATTACKER));
}

static void a_withholder_costs_the_block_wait_with_penalties_and_the_fetch_without(void **state) {
    (void)state;
    cid blocks[BLOCKS];
    fetched got[BLOCKS];
    world *w = make_world(ATTACK_DATA_WITHHOLD, true, blocks);
    fetch_blocks(w, blocks, 0, 3, true, got);
    for (int b = 0; b < 3; b++) {
        assert_int_equal(got[b].status, BLOCK_FETCH_STORED); /* from the honest holder */
        assert_true(got[b].took_ns >= BITSWAP_BLOCK_WAIT_NS && got[b].took_ns < BITSWAP_BLOCK_WAIT_NS + 1 * S);
    }
    print_message("withhold, penalties: 3 fetches stored in %.3f s\n", got[0].took_ns / 1e9);
    assert_int_equal(rejected[FETCHER], 3); /* one withheld block each */
    assert_false(attacker_connected(w));    /* the third disconnected it */
    world_destroy(w);

    w = make_world(ATTACK_DATA_WITHHOLD, false, blocks);
    fetch_blocks(w, blocks, 0, 3, true, got);
    for (int b = 0; b < 3; b++) {
        assert_int_equal(got[b].status, BLOCK_FETCH_TIMEOUT); /* an honest holder was there all along */
        assert_int_equal(got[b].took_ns, BITSWAP_FETCH_TIMEOUT_NS);
    }
    assert_int_equal(rejected[FETCHER], 0);
    assert_true(attacker_connected(w));
    world_destroy(w);
}

static void a_corrupter_is_never_stored_and_penalties_stop_its_cost(void **state) {
    (void)state;
    cid blocks[BLOCKS];
    fetched got[BLOCKS];
    uint64_t later_bytes[2];
    for (int pass = 0; pass < 2; pass++) {
        bool penalties = pass == 0;
        world *w = make_world(ATTACK_DATA_CORRUPT, penalties, blocks);
        fetch_blocks(w, blocks, 0, 3, true, got); /* the attacker answers each first */
        later_bytes[pass] = fetch_blocks(w, blocks, 3, BLOCKS, true, got);
        for (int b = 0; b < BLOCKS; b++) assert_int_equal(got[b].status, BLOCK_FETCH_STORED); /* the real bytes */
        assert_int_equal(rejected[FETCHER], penalties ? 3 : BLOCKS);
        assert_int_equal(attacker_connected(w), !penalties);
        print_message("corrupt, %s: first 3 in %.3f s, next 3 in %.3f s and %llu bytes\n",
                      penalties ? "penalties" : "none", got[0].took_ns / 1e9, got[3].took_ns / 1e9,
                      (unsigned long long)later_bytes[pass]);
        world_destroy(w);
    }
    /* The later fetches: with penalties, from the honest holder alone;
     * without, the attacker's corrupt block comes first each time (its
     * cost is bytes: it arrives while the honest connection is still
     * being upgraded, so no later). */
    assert_true(later_bytes[1] >= later_bytes[0] + 3 * BLOCK_BYTES);
}

static void a_mute_holder_costs_nothing_beside_an_honest_one_and_alone_the_fetch(void **state) {
    (void)state;
    cid blocks[BLOCKS];
    fetched got[BLOCKS];
    world *w = make_world(ATTACK_DATA_MUTE, true, blocks);
    fetch_blocks(w, blocks, 0, 1, false, got);
    assert_int_equal(got[0].status, BLOCK_FETCH_TIMEOUT); /* it holds the block, and says nothing */
    fetch_blocks(w, blocks, 1, 2, true, got);
    assert_int_equal(got[1].status, BLOCK_FETCH_STORED);
    assert_true(got[1].took_ns < 1 * S);
    print_message("mute: alone, timeout at %.0f s; beside an honest holder, stored in %.3f s\n",
                  got[0].took_ns / 1e9, got[1].took_ns / 1e9);
    assert_int_equal(rejected[FETCHER], 0);
    assert_true(attacker_connected(w)); /* silence is no offence */
    world_destroy(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_withholder_costs_the_block_wait_with_penalties_and_the_fetch_without),
        cmocka_unit_test(a_corrupter_is_never_stored_and_penalties_stop_its_cost),
        cmocka_unit_test(a_mute_holder_costs_nothing_beside_an_honest_one_and_alone_the_fetch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
