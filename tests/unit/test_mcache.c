/*
 * test_mcache: the GossipSub message cache behaves as gossipsub-v1.0.md
 * "Message Cache" says (put, get, get_gossip_ids, shift over mcache_len and
 * mcache_gossip windows), answers IWANT at most the v1.1 retransmission
 * limit per message and peer, and keeps within its message, byte and
 * requester limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pubsub/mcache.h"

static const uint8_t key[MCACHE_KEY_BYTES] = {7, 6, 5, 4, 3, 2, 1};

#define TOPIC_A ((const uint8_t *)"blocks")
#define TOPIC_A_LEN 6
#define TOPIC_B ((const uint8_t *)"votes")
#define TOPIC_B_LEN 5

/* A 12-byte id like from+seqno would give, distinct for each n. */
static void id_of(uint32_t n, uint8_t id[12]) {
    memset(id, 0xab, 12);
    for (int i = 0; i < 4; i++) id[8 + i] = (uint8_t)(n >> (8 * i));
}

static void init_default(mcache *c) {
    mcache_config config;
    mcache_config_default(&config);
    assert_int_equal(mcache_init(c, &config, key), 0);
}

static mcache_put_result put_n(mcache *c, uint32_t n, const uint8_t *topic, size_t topic_len) {
    uint8_t id[12];
    id_of(n, id);
    uint8_t encoded[16];
    memset(encoded, (int)(n & 0xff), sizeof encoded);
    return mcache_put(c, id, sizeof id, topic, topic_len, encoded, sizeof encoded);
}

static bool has_n(const mcache *c, uint32_t n) {
    uint8_t id[12];
    id_of(n, id);
    mcache_message m;
    return mcache_get(c, id, sizeof id, &m);
}

static bool gossip_has_n(const mcache_id *ids, size_t count, uint32_t n) {
    uint8_t id[12];
    id_of(n, id);
    for (size_t i = 0; i < count; i++)
        if (ids[i].len == sizeof id && memcmp(ids[i].id, id, sizeof id) == 0) return true;
    return false;
}

static void defaults_are_the_spec_parameters(void **state) {
    (void)state;
    mcache_config config;
    mcache_config_default(&config);
    assert_int_equal(config.history_length, 5);    /* mcache_len */
    assert_int_equal(config.gossip_length, 3);     /* mcache_gossip */
    assert_int_equal(config.retransmission_max, 3); /* GossipRetransmission */
    assert_int_equal(config.messages_max, MCACHE_MESSAGES_MAX);
    assert_int_equal(config.bytes_max, MCACHE_BYTES_MAX);
    assert_int_equal(config.requesters_max, MCACHE_REQUESTERS_MAX);
}

static void a_put_message_is_got_back_as_a_copy(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    uint8_t id[] = {1, 2, 3};
    uint8_t encoded[] = {0x0a, 0x02, 0xca, 0xfe, 0x22, 0x06};
    assert_int_equal(mcache_put(&c, id, sizeof id, TOPIC_A, TOPIC_A_LEN, encoded, sizeof encoded),
                     MCACHE_PUT_ADDED);
    encoded[0] = 0; /* the cache holds its own copy */
    mcache_message m;
    assert_true(mcache_get(&c, id, sizeof id, &m));
    assert_int_equal(m.id_len, 3);
    assert_memory_equal(m.id, id, 3);
    assert_int_equal(m.topic_len, TOPIC_A_LEN);
    assert_memory_equal(m.topic, "blocks", TOPIC_A_LEN);
    assert_int_equal(m.encoded_len, 6);
    assert_memory_equal(m.encoded, ((const uint8_t[]){0x0a, 0x02, 0xca, 0xfe, 0x22, 0x06}), 6);
    assert_int_equal(mcache_size(&c), 1);
    assert_int_equal(mcache_bytes(&c), 3 + TOPIC_A_LEN + 6);
    mcache_free(&c);
}

static void an_id_never_put_is_not_found(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    assert_int_equal(put_n(&c, 1, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_ADDED);
    assert_false(has_n(&c, 2));
    uint8_t id[12];
    id_of(1, id);
    mcache_message m;
    assert_false(mcache_get(&c, id, 11, &m)); /* a prefix of a cached id is another id */
    mcache_free(&c);
}

static void a_duplicate_put_is_ignored_and_keeps_the_first_copy(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    uint8_t id[] = {9, 9};
    uint8_t first[] = {1}, second[] = {2, 2};
    assert_int_equal(mcache_put(&c, id, 2, TOPIC_A, TOPIC_A_LEN, first, 1), MCACHE_PUT_ADDED);
    mcache_shift(&c); /* a duplicate in a later window changes nothing either */
    assert_int_equal(mcache_put(&c, id, 2, TOPIC_B, TOPIC_B_LEN, second, 2), MCACHE_PUT_DUPLICATE);
    mcache_message m;
    assert_true(mcache_get(&c, id, 2, &m));
    assert_int_equal(m.encoded_len, 1);
    assert_int_equal(m.encoded[0], 1);
    assert_int_equal(m.topic_len, TOPIC_A_LEN);
    assert_int_equal(mcache_size(&c), 1);
    assert_int_equal(c.stats.puts_duplicate, 1);
    assert_int_equal(c.stats.puts_accepted, 1);
    mcache_free(&c);
}

static void gossip_ids_are_only_those_of_the_topic(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    put_n(&c, 1, TOPIC_A, TOPIC_A_LEN);
    put_n(&c, 2, TOPIC_B, TOPIC_B_LEN);
    put_n(&c, 3, TOPIC_A, TOPIC_A_LEN);
    put_n(&c, 4, (const uint8_t *)"block", 5); /* a prefix of topic A is another topic */
    mcache_id ids[8];
    size_t n = mcache_gossip_ids(&c, TOPIC_A, TOPIC_A_LEN, ids, 8);
    assert_int_equal(n, 2);
    assert_true(gossip_has_n(ids, n, 1));
    assert_true(gossip_has_n(ids, n, 3));
    n = mcache_gossip_ids(&c, TOPIC_B, TOPIC_B_LEN, ids, 8);
    assert_int_equal(n, 1);
    assert_true(gossip_has_n(ids, n, 2));
    assert_int_equal(mcache_gossip_ids(&c, (const uint8_t *)"none", 4, ids, 8), 0);
    mcache_free(&c);
}

/* One message per heartbeat for 5 heartbeats: windows hold 5 (newest), 4,
 * 3, 2, 1; gossip covers the newest three. */
static void gossip_ids_come_from_the_newest_mcache_gossip_windows(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    for (uint32_t n = 1; n <= 5; n++) {
        if (n > 1) mcache_shift(&c);
        put_n(&c, n, TOPIC_A, TOPIC_A_LEN);
    }
    mcache_id ids[8];
    size_t count = mcache_gossip_ids(&c, TOPIC_A, TOPIC_A_LEN, ids, 8);
    assert_int_equal(count, 3);
    assert_true(gossip_has_n(&ids[0], 1, 5)); /* newest window first */
    assert_true(gossip_has_n(&ids[1], 1, 4));
    assert_true(gossip_has_n(&ids[2], 1, 3));
    assert_true(has_n(&c, 1)); /* older windows are still cached for IWANT */
    assert_true(has_n(&c, 2));
    mcache_free(&c);
}

static void gossip_ids_stop_at_the_callers_capacity(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    for (uint32_t n = 0; n < 10; n++) put_n(&c, n, TOPIC_A, TOPIC_A_LEN);
    mcache_id ids[4];
    size_t count = mcache_gossip_ids(&c, TOPIC_A, TOPIC_A_LEN, ids, 4);
    assert_int_equal(count, 4);
    for (uint32_t n = 0; n < 4; n++) assert_true(gossip_has_n(&ids[n], 1, n)); /* put order */
    assert_int_equal(mcache_gossip_ids(&c, TOPIC_A, TOPIC_A_LEN, NULL, 0), 0);
    mcache_free(&c);
}

static void a_message_is_gone_after_mcache_len_shifts(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    put_n(&c, 1, TOPIC_A, TOPIC_A_LEN);
    for (int s = 0; s < MCACHE_LEN_DEFAULT - 1; s++) mcache_shift(&c);
    assert_true(has_n(&c, 1));
    mcache_id ids[4]; /* but it left the gossip windows after mcache_gossip shifts */
    assert_int_equal(mcache_gossip_ids(&c, TOPIC_A, TOPIC_A_LEN, ids, 4), 0);
    mcache_shift(&c);
    assert_false(has_n(&c, 1));
    assert_int_equal(mcache_size(&c), 0);
    assert_int_equal(mcache_bytes(&c), 0);
    mcache_free(&c);
}

static void shift_drops_only_the_oldest_window(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    put_n(&c, 1, TOPIC_A, TOPIC_A_LEN);
    put_n(&c, 2, TOPIC_B, TOPIC_B_LEN);
    mcache_shift(&c);
    put_n(&c, 3, TOPIC_A, TOPIC_A_LEN);
    for (int s = 0; s < MCACHE_LEN_DEFAULT - 1; s++) mcache_shift(&c);
    assert_false(has_n(&c, 1));
    assert_false(has_n(&c, 2));
    assert_true(has_n(&c, 3));
    assert_int_equal(mcache_size(&c), 1);
    assert_int_equal(mcache_bytes(&c), 12 + TOPIC_A_LEN + 16);
    assert_int_equal(put_n(&c, 1, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_ADDED); /* forgotten: new again */
    mcache_free(&c);
}

static void a_one_window_cache_forgets_at_every_shift(void **state) {
    (void)state;
    mcache c;
    mcache_config config;
    mcache_config_default(&config);
    config.history_length = 1;
    config.gossip_length = 1;
    assert_int_equal(mcache_init(&c, &config, key), 0);
    put_n(&c, 1, TOPIC_A, TOPIC_A_LEN);
    mcache_id ids[2];
    assert_int_equal(mcache_gossip_ids(&c, TOPIC_A, TOPIC_A_LEN, ids, 2), 1);
    mcache_shift(&c);
    assert_false(has_n(&c, 1));
    mcache_free(&c);
}

static void ids_up_to_96_bytes_are_cached_and_longer_ones_refused(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    uint8_t id[MCACHE_ID_BYTES_MAX + 1];
    memset(id, 0x5a, sizeof id);
    uint8_t encoded[1] = {0};
    assert_int_equal(mcache_put(&c, id, 96, TOPIC_A, TOPIC_A_LEN, encoded, 1), MCACHE_PUT_ADDED);
    assert_int_equal(mcache_put(&c, id, 97, TOPIC_A, TOPIC_A_LEN, encoded, 1), MCACHE_PUT_INVALID);
    assert_int_equal(mcache_put(&c, id, 0, TOPIC_A, TOPIC_A_LEN, encoded, 1), MCACHE_PUT_INVALID);
    mcache_message m;
    assert_true(mcache_get(&c, id, 96, &m));
    assert_false(mcache_get(&c, id, 97, &m));
    assert_int_equal(c.stats.puts_invalid, 2);
    assert_int_equal(mcache_size(&c), 1);
    mcache_free(&c);
}

static void topics_longer_than_the_pubsub_limit_are_refused(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    uint8_t topic[MCACHE_TOPIC_BYTES_MAX + 1];
    memset(topic, 't', sizeof topic);
    uint8_t id[12], encoded[1] = {0};
    id_of(1, id);
    assert_int_equal(mcache_put(&c, id, 12, topic, sizeof topic, encoded, 1), MCACHE_PUT_INVALID);
    assert_int_equal(mcache_put(&c, id, 12, topic, MCACHE_TOPIC_BYTES_MAX, encoded, 1),
                     MCACHE_PUT_ADDED);
    mcache_free(&c);
}

static void the_message_limit_refuses_new_messages_until_a_shift(void **state) {
    (void)state;
    mcache c;
    mcache_config config;
    mcache_config_default(&config);
    config.messages_max = 3;
    config.history_length = 2;
    config.gossip_length = 1;
    assert_int_equal(mcache_init(&c, &config, key), 0);
    assert_int_equal(put_n(&c, 1, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_ADDED);
    mcache_shift(&c);
    assert_int_equal(put_n(&c, 2, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_ADDED);
    assert_int_equal(put_n(&c, 3, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_ADDED);
    assert_int_equal(put_n(&c, 4, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_FULL);
    assert_int_equal(put_n(&c, 1, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_DUPLICATE); /* not "full" */
    assert_int_equal(c.stats.puts_refused_messages_max, 1);
    assert_true(has_n(&c, 1)); /* what was cached stays answerable */
    assert_false(has_n(&c, 4));
    mcache_shift(&c); /* drops message 1: room for one */
    assert_int_equal(put_n(&c, 4, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_ADDED);
    assert_int_equal(mcache_size(&c), 3);
    mcache_free(&c);
}

static void the_byte_limit_counts_id_topic_and_encoded_bytes(void **state) {
    (void)state;
    mcache c;
    mcache_config config;
    mcache_config_default(&config);
    enum { EACH = 12 + TOPIC_A_LEN + 16 }; /* what put_n stores */
    config.bytes_max = 2 * EACH + 10;
    assert_int_equal(mcache_init(&c, &config, key), 0);
    assert_int_equal(put_n(&c, 1, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_ADDED);
    assert_int_equal(put_n(&c, 2, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_ADDED);
    assert_int_equal(put_n(&c, 3, TOPIC_A, TOPIC_A_LEN), MCACHE_PUT_FULL);
    uint8_t id[12], small[10] = {0}; /* 10 bytes are left: id 1 + topic 0 + encoded 9 fit */
    id_of(5, id);
    assert_int_equal(mcache_put(&c, id, 1, NULL, 0, small, 10), MCACHE_PUT_FULL);
    assert_int_equal(mcache_put(&c, id, 1, NULL, 0, small, 9), MCACHE_PUT_ADDED);
    assert_int_equal(mcache_bytes(&c), config.bytes_max);
    assert_int_equal(c.stats.puts_refused_bytes_max, 2);
    mcache_free(&c);
}

static void a_message_larger_than_the_byte_limit_is_refused(void **state) {
    (void)state;
    mcache c;
    mcache_config config;
    mcache_config_default(&config);
    config.bytes_max = 100;
    assert_int_equal(mcache_init(&c, &config, key), 0);
    uint8_t id[1] = {1}, *big = calloc(1, 200);
    assert_non_null(big);
    assert_int_equal(mcache_put(&c, id, 1, TOPIC_A, TOPIC_A_LEN, big, 200), MCACHE_PUT_FULL);
    assert_int_equal(mcache_size(&c), 0);
    assert_int_equal(mcache_bytes(&c), 0);
    free(big);
    mcache_free(&c);
}

static void iwant_is_answered_retransmission_max_times_per_peer(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    put_n(&c, 1, TOPIC_A, TOPIC_A_LEN);
    uint8_t id[12];
    id_of(1, id);
    mcache_message m;
    for (int i = 0; i < MCACHE_RETRANSMISSION_DEFAULT; i++) {
        memset(&m, 0, sizeof m);
        assert_int_equal(mcache_get_for_peer(&c, id, 12, 42, &m), MCACHE_IWANT_SERVE);
        assert_int_equal(m.encoded_len, 16);
        assert_int_equal(m.encoded[0], 1);
    }
    assert_int_equal(mcache_get_for_peer(&c, id, 12, 42, &m), MCACHE_IWANT_OVER_LIMIT);
    assert_int_equal(mcache_get_for_peer(&c, id, 12, 42, &m), MCACHE_IWANT_OVER_LIMIT);
    assert_int_equal(mcache_get_for_peer(&c, id, 12, 7, &m), MCACHE_IWANT_SERVE); /* other peer */
    assert_true(mcache_get(&c, id, 12, &m)); /* plain get is not an IWANT */
    assert_int_equal(c.stats.iwants_served, 4);
    assert_int_equal(c.stats.iwants_over_retransmission, 2);
    mcache_free(&c);
}

static void the_retransmission_count_is_per_message(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    put_n(&c, 1, TOPIC_A, TOPIC_A_LEN);
    put_n(&c, 2, TOPIC_A, TOPIC_A_LEN);
    uint8_t a[12], b[12];
    id_of(1, a);
    id_of(2, b);
    mcache_message m;
    for (int i = 0; i < MCACHE_RETRANSMISSION_DEFAULT; i++)
        assert_int_equal(mcache_get_for_peer(&c, a, 12, 5, &m), MCACHE_IWANT_SERVE);
    assert_int_equal(mcache_get_for_peer(&c, a, 12, 5, &m), MCACHE_IWANT_OVER_LIMIT);
    assert_int_equal(mcache_get_for_peer(&c, b, 12, 5, &m), MCACHE_IWANT_SERVE);
    assert_int_equal(m.encoded[0], 2);
    mcache_free(&c);
}

static void iwant_for_a_message_not_cached_is_missing(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    put_n(&c, 1, TOPIC_A, TOPIC_A_LEN);
    uint8_t id[12];
    id_of(1, id);
    mcache_message m;
    for (int s = 0; s < MCACHE_LEN_DEFAULT; s++) mcache_shift(&c);
    assert_int_equal(mcache_get_for_peer(&c, id, 12, 1, &m), MCACHE_IWANT_MISSING);
    uint8_t too_long[MCACHE_ID_BYTES_MAX + 1] = {0};
    assert_int_equal(mcache_get_for_peer(&c, too_long, sizeof too_long, 1, &m),
                     MCACHE_IWANT_MISSING);
    assert_int_equal(c.stats.iwants_missing, 2);
    mcache_free(&c);
}

static void a_zero_retransmission_limit_answers_no_iwant(void **state) {
    (void)state;
    mcache c;
    mcache_config config;
    mcache_config_default(&config);
    config.retransmission_max = 0;
    assert_int_equal(mcache_init(&c, &config, key), 0);
    put_n(&c, 1, TOPIC_A, TOPIC_A_LEN);
    uint8_t id[12];
    id_of(1, id);
    mcache_message m;
    assert_int_equal(mcache_get_for_peer(&c, id, 12, 1, &m), MCACHE_IWANT_OVER_LIMIT);
    mcache_free(&c);
}

static void the_requester_limit_refuses_new_peers_until_a_shift(void **state) {
    (void)state;
    mcache c;
    mcache_config config;
    mcache_config_default(&config);
    config.requesters_max = 2;
    config.history_length = 1;
    config.gossip_length = 1;
    assert_int_equal(mcache_init(&c, &config, key), 0);
    put_n(&c, 1, TOPIC_A, TOPIC_A_LEN);
    uint8_t id[12];
    id_of(1, id);
    mcache_message m;
    assert_int_equal(mcache_get_for_peer(&c, id, 12, 10, &m), MCACHE_IWANT_SERVE);
    assert_int_equal(mcache_get_for_peer(&c, id, 12, 20, &m), MCACHE_IWANT_SERVE);
    assert_int_equal(mcache_get_for_peer(&c, id, 12, 30, &m), MCACHE_IWANT_REFUSED);
    assert_int_equal(mcache_get_for_peer(&c, id, 12, 10, &m), MCACHE_IWANT_SERVE); /* known */
    assert_int_equal(c.stats.iwants_refused_requesters, 1);
    mcache_shift(&c); /* the counters go with the message */
    assert_int_equal(c.requester_count, 0);
    put_n(&c, 2, TOPIC_A, TOPIC_A_LEN);
    id_of(2, id);
    assert_int_equal(mcache_get_for_peer(&c, id, 12, 30, &m), MCACHE_IWANT_SERVE);
    mcache_free(&c);
}

static void many_requesters_keep_separate_counts(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    put_n(&c, 1, TOPIC_A, TOPIC_A_LEN);
    uint8_t id[12];
    id_of(1, id);
    mcache_message m;
    enum { PEERS = 300 };
    for (uint32_t round = 0; round < MCACHE_RETRANSMISSION_DEFAULT; round++)
        for (uint32_t p = 0; p < PEERS; p++) /* in an order that is not sorted */
            assert_int_equal(mcache_get_for_peer(&c, id, 12, (p * 7919u) % PEERS, &m),
                             MCACHE_IWANT_SERVE);
    for (uint32_t p = 0; p < PEERS; p++)
        assert_int_equal(mcache_get_for_peer(&c, id, 12, p, &m), MCACHE_IWANT_OVER_LIMIT);
    assert_int_equal(c.requester_count, PEERS);
    mcache_free(&c);
}

static void an_invalid_config_is_refused(void **state) {
    (void)state;
    mcache c;
    mcache_config config;
    mcache_config_default(&config);
    config.gossip_length = config.history_length + 1;
    assert_int_equal(mcache_init(&c, &config, key), -1);
    mcache_config_default(&config);
    config.history_length = 0;
    config.gossip_length = 0;
    assert_int_equal(mcache_init(&c, &config, key), -1);
    mcache_config_default(&config);
    config.history_length = MCACHE_WINDOWS_MAX + 1;
    assert_int_equal(mcache_init(&c, &config, key), -1);
    mcache_config_default(&config);
    config.messages_max = MCACHE_MESSAGES_MAX + 1;
    assert_int_equal(mcache_init(&c, &config, key), -1);
    mcache_config_default(&config);
    config.bytes_max = 0;
    assert_int_equal(mcache_init(&c, &config, key), -1);
    mcache_config_default(&config);
    config.history_length = MCACHE_WINDOWS_MAX;
    config.gossip_length = 0; /* no gossip at all is a valid choice */
    assert_int_equal(mcache_init(&c, &config, key), 0);
    mcache_free(&c);
}

/* Many messages over many windows: the table grows, shifts delete from the
 * middle of probe chains, and exactly the last mcache_len windows remain. */
static void every_message_of_the_kept_windows_is_found_as_the_table_grows(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    enum { PER_WINDOW = 1500, WINDOWS = 12 };
    for (uint32_t w = 0; w < WINDOWS; w++) {
        if (w > 0) mcache_shift(&c);
        for (uint32_t i = 0; i < PER_WINDOW; i++)
            assert_int_equal(put_n(&c, w * PER_WINDOW + i, TOPIC_A, TOPIC_A_LEN),
                             MCACHE_PUT_ADDED);
    }
    assert_int_equal(mcache_size(&c), MCACHE_LEN_DEFAULT * PER_WINDOW);
    uint32_t kept_from = (WINDOWS - MCACHE_LEN_DEFAULT) * PER_WINDOW;
    for (uint32_t n = 0; n < WINDOWS * PER_WINDOW; n++) assert_int_equal(has_n(&c, n), n >= kept_from);
    static mcache_id ids[4 * PER_WINDOW];
    assert_int_equal(mcache_gossip_ids(&c, TOPIC_A, TOPIC_A_LEN, ids, 4 * PER_WINDOW),
                     MCACHE_GOSSIP_DEFAULT * PER_WINDOW);
    mcache_free(&c);
}

/* Random puts (with repeats), gets and shifts agree with a plain model:
 * an id is cached iff it was put within the last mcache_len windows and
 * was not cached already at that time. */
static void random_operations_agree_with_a_simple_model(void **state) {
    (void)state;
    mcache c;
    init_default(&c);
    enum { IDS = 2000, STEPS = 200000, NEVER = -1000 };
    static int put_epoch[IDS];
    for (int n = 0; n < IDS; n++) put_epoch[n] = NEVER;
    int epoch = 0;
    uint64_t x = 0x9e3779b97f4a7c15u; /* xorshift64: a fixed, reproducible sequence */
    for (int step = 0; step < STEPS; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t n = (uint32_t)(x >> 20) % IDS;
        bool cached = put_epoch[n] > epoch - MCACHE_LEN_DEFAULT;
        if (x % 256 == 0) { /* about 100 puts per window: hundreds cached, many repeats */
            mcache_shift(&c);
            epoch++;
        } else if (x % 2 == 0) {
            assert_int_equal(put_n(&c, n, TOPIC_A, TOPIC_A_LEN),
                             cached ? MCACHE_PUT_DUPLICATE : MCACHE_PUT_ADDED);
            if (!cached) put_epoch[n] = epoch;
        } else {
            assert_int_equal(has_n(&c, n), cached);
        }
    }
    size_t expected = 0;
    for (int n = 0; n < IDS; n++) expected += put_epoch[n] > epoch - MCACHE_LEN_DEFAULT;
    assert_true(expected > 300);
    assert_int_equal(mcache_size(&c), expected);
    mcache_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_spec_parameters),
        cmocka_unit_test(a_put_message_is_got_back_as_a_copy),
        cmocka_unit_test(an_id_never_put_is_not_found),
        cmocka_unit_test(a_duplicate_put_is_ignored_and_keeps_the_first_copy),
        cmocka_unit_test(gossip_ids_are_only_those_of_the_topic),
        cmocka_unit_test(gossip_ids_come_from_the_newest_mcache_gossip_windows),
        cmocka_unit_test(gossip_ids_stop_at_the_callers_capacity),
        cmocka_unit_test(a_message_is_gone_after_mcache_len_shifts),
        cmocka_unit_test(shift_drops_only_the_oldest_window),
        cmocka_unit_test(a_one_window_cache_forgets_at_every_shift),
        cmocka_unit_test(ids_up_to_96_bytes_are_cached_and_longer_ones_refused),
        cmocka_unit_test(topics_longer_than_the_pubsub_limit_are_refused),
        cmocka_unit_test(the_message_limit_refuses_new_messages_until_a_shift),
        cmocka_unit_test(the_byte_limit_counts_id_topic_and_encoded_bytes),
        cmocka_unit_test(a_message_larger_than_the_byte_limit_is_refused),
        cmocka_unit_test(iwant_is_answered_retransmission_max_times_per_peer),
        cmocka_unit_test(the_retransmission_count_is_per_message),
        cmocka_unit_test(iwant_for_a_message_not_cached_is_missing),
        cmocka_unit_test(a_zero_retransmission_limit_answers_no_iwant),
        cmocka_unit_test(the_requester_limit_refuses_new_peers_until_a_shift),
        cmocka_unit_test(many_requesters_keep_separate_counts),
        cmocka_unit_test(an_invalid_config_is_refused),
        cmocka_unit_test(every_message_of_the_kept_windows_is_found_as_the_table_grows),
        cmocka_unit_test(random_operations_agree_with_a_simple_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
