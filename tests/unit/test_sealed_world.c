/*
 * test_sealed_world: encrypted topics in the world (docs/data.md "The
 * swarm's data: encrypted topics"). On a line member - non-member -
 * member, the non-member relays the envelope (the far member has no other
 * path to it) and reads nothing of it, while the far member delivers the
 * plaintext. Through the runner (workload.sealed): every publication
 * reaches the members as plaintext and the non-members as ciphertext only;
 * after rotate_at the publishers seal with key 2, members holding both
 * keys read both, and a revoked member (key 1 only) reads nothing sealed
 * after the rotation, each such message dropped and counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/time_units.h"
#include "data/sealed_topic.h"
#include "lab/run.h"
#include "world/world.h"

#define MS NS_PER_MS
#define HOSTS 3
#define RECEIVED_MAX 256

static const char topic[] = "club";
static const char secret[] = "the plan is at noon";

/* What each host's node delivered, the bytes as they came. */
static struct {
    uint8_t data[HOSTS][RECEIVED_MAX];
    size_t len[HOSTS];
    uint32_t count[HOSTS];
} received;

static void record(void *user, uint32_t host, const char *t, const uint8_t *data, size_t len) {
    (void)user;
    assert_string_equal(t, topic);
    assert_true(host < HOSTS && len <= RECEIVED_MAX);
    memcpy(received.data[host], data, len);
    received.len[host] = len;
    received.count[host]++;
}

static bool contains(const uint8_t *hay, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0) return true;
    return false;
}

static void ring_with_key(sealed_keyring *ring) {
    uint8_t key[SEALED_KEY_BYTES];
    memset(key, 0x5A, sizeof key);
    sealed_keyring_init(ring);
    assert_int_equal(sealed_keyring_add(ring, 7, key), 0);
}

static void a_non_member_on_the_path_relays_the_envelope_and_reads_nothing(void **state) {
    (void)state;
    world_forbid_global_randomness();
    memset(&received, 0, sizeof received);
    world_config config = {.host_count = HOSTS, .seed = 18, .latency = {DIST_CONSTANT, (double)(10 * MS), 0},
                           .on_message = record};
    world *w = world_create(&config);
    assert_non_null(w);
    for (uint32_t i = 0; i < HOSTS; i++) assert_int_equal(world_host_up(w, i), 0);
    assert_int_equal(world_dial(w, 1, 0), 0); /* a line: 0 - 1 - 2 */
    assert_int_equal(world_dial(w, 2, 1), 0);
    for (uint32_t i = 0; i < HOSTS; i++) assert_int_equal(node_subscribe(world_node(w, i), topic), 0);
    world_run(w, 2000 * MS);
    assert_false(world_hosts_connected(w, 0, 2)); /* the far member's only path is the relay */

    sealed_keyring member; /* hosts 0 and 2 hold it; host 1 holds nothing */
    ring_with_key(&member);
    uint8_t nonce[SEALED_NONCE_BYTES] = {1}, envelope[RECEIVED_MAX];
    size_t len = sealed_seal(&member, topic, nonce, (const uint8_t *)secret, strlen(secret), envelope, sizeof envelope);
    assert_int_equal(len, strlen(secret) + SEALED_OVERHEAD);
    assert_int_equal(node_publish(world_node(w, 0), topic, envelope, len), 0);
    world_run(w, 4000 * MS);

    /* The relay got the envelope, byte for byte, and no plaintext. */
    assert_int_equal(received.count[1], 1);
    assert_int_equal(received.len[1], len);
    assert_memory_equal(received.data[1], envelope, len);
    assert_false(contains(received.data[1], received.len[1], "noon"));
    sealed_keyring none;
    sealed_keyring_init(&none);
    uint8_t plain[RECEIVED_MAX];
    size_t plain_len = 0;
    assert_int_equal(sealed_unseal(&none, topic, received.data[1], received.len[1], plain, sizeof plain, &plain_len),
                     SEALED_UNKNOWN_KEY);
    /* What it can learn: the key id and the size. */
    sealed_view view;
    assert_int_equal(sealed_parse(received.data[1], received.len[1], &view), SEALED_OK);
    assert_int_equal(view.key_id, 7);
    /* The far member, through it, reads the plaintext. */
    assert_int_equal(received.count[2], 1);
    assert_int_equal(sealed_unseal(&member, topic, received.data[2], received.len[2], plain, sizeof plain, &plain_len),
                     SEALED_OK);
    assert_int_equal(plain_len, strlen(secret));
    assert_memory_equal(plain, secret, plain_len);
    sealed_keyring_wipe(&member);
    world_destroy(w);
}

/* ---- through the runner: workload.sealed ---------------------------------- */

/* Host i dials host i - 1 as it comes up: the nodes form a line. */
static void dial_previous(void *user, world *w, uint32_t host) {
    (void)user;
    if (host > 0) assert_int_equal(world_dial(w, host, host - 1), 0);
}

/* A line of four: member 0 publishes, 1 relays without a key, 2 is a
 * member, 3 a member revoked at the rotation (when revoked). Ten
 * publications, one a second from 5 s; the rotation at 10 s. */
static void run_line(bool revoked, uint32_t threads, run_result *result) {
    static scenario s;
    scenario_defaults(&s);
    snprintf(s.name, sizeof s.name, "test-sealed");
    s.seed = 3;
    s.duration_ns = 20 * NS_PER_S;
    s.nodes.count = 4;
    s.network.latency = (dist){DIST_CONSTANT, (double)(10 * MS), 0};
    s.workload.topic_count = 1;
    snprintf(s.workload.topics[0], SCENARIO_TOPIC_MAX, "%s", topic);
    assert_int_equal(scenario_parse_selector("0-0", &s.workload.publishers), 0);
    s.workload.arrival = ARRIVAL_PERIODIC;
    s.workload.size_bytes = 64;
    s.workload.start_ns = 5 * NS_PER_S;
    s.workload.stop_ns = 15 * NS_PER_S - 1;
    s.workload.sealed.present = true;
    assert_int_equal(scenario_parse_selector("0,2-3", &s.workload.sealed.members), 0);
    if (revoked) assert_int_equal(scenario_parse_selector("3-3", &s.workload.sealed.revoked), 0);
    s.workload.sealed.rotate_at_ns = 10 * NS_PER_S;
    run_hooks hooks = {.no_topology = true, .node_up = dial_previous};
    run_options options = {.scenario = &s, .hooks = &hooks, .threads = threads};
    char err[256] = "";
    if (run_scenario(&options, result, err, sizeof err) != 0) fail_msg("run failed: %s", err);
}

static void members_read_every_message_and_the_relay_none(void **state) {
    (void)state;
    run_result result, threaded;
    run_line(false, 1, &result);
    const metrics_sealed *m = &result.sealed;
    assert_int_equal(m->members, 3);
    assert_int_equal(m->nonmembers, 1);
    assert_int_equal(m->published, 10);
    assert_int_equal(m->published_by_key[0], 5); /* 5 s .. 9 s */
    assert_int_equal(m->published_by_key[1], 5); /* 10 s .. 14 s, after the rotation */
    /* Members 0 (its node delivers its own too), 2 and 3 read all ten,
     * under either key: each was handed both keys. */
    assert_int_equal(m->member_deliveries, 30);
    assert_int_equal(m->member_deliveries_by_key[0], 15);
    assert_int_equal(m->member_deliveries_by_key[1], 15);
    assert_int_equal(m->failures, 0);
    /* The relay received every envelope, and could read none. */
    assert_int_equal(m->nonmember_receipts, 10);
    assert_int_equal(m->nonmember_plaintexts, 0);
    /* Hosts on two threads count the same, each its own. */
    run_line(false, 2, &threaded);
    assert_int_equal(threaded.threads, 2);
    assert_memory_equal(&threaded.sealed, m, sizeof *m);
    assert_string_equal(threaded.digest, result.digest);
}

static void a_revoked_member_reads_nothing_sealed_after_the_rotation(void **state) {
    (void)state;
    run_result result;
    run_line(true, 1, &result);
    const metrics_sealed *m = &result.sealed;
    assert_int_equal(m->revoked, 1);
    assert_int_equal(m->published_by_key[1], 5);
    /* Members 0 and 2 read all ten; revoked member 3 the five under key 1. */
    assert_int_equal(m->member_deliveries, 25);
    assert_int_equal(m->member_deliveries_by_key[0], 15);
    assert_int_equal(m->member_deliveries_by_key[1], 10);
    /* Its five under key 2 are dropped and counted, as keys it lacks. */
    assert_int_equal(m->failures, 5);
    assert_int_equal(m->unknown_key, 5);
    assert_int_equal(m->nonmember_plaintexts, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_non_member_on_the_path_relays_the_envelope_and_reads_nothing),
        cmocka_unit_test(members_read_every_message_and_the_relay_none),
        cmocka_unit_test(a_revoked_member_reads_nothing_sealed_after_the_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
