/*
 * test_sealed_topic: the envelope of an encrypted topic (node/data/
 * sealed_topic.h). A member seals with its newest key and unseals with the
 * key a message names; the envelope's bytes are laid out as documented; an
 * envelope moved to another topic, relabelled, cut or flipped does not
 * unseal; a keyring stays bounded and forgets its oldest key; the key
 * file's text is strict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "data/sealed_topic.h"

static const char topic[] = "club";
static const uint8_t plain[] = "meet at noon";

/* Whether needle occurs in hay. */
static bool contains(const uint8_t *hay, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0) return true;
    return false;
}

static void key_of(uint8_t key[SEALED_KEY_BYTES], uint8_t fill) { memset(key, fill, SEALED_KEY_BYTES); }

static void ring_with(sealed_keyring *ring, uint32_t id, uint8_t fill) {
    uint8_t key[SEALED_KEY_BYTES];
    key_of(key, fill);
    assert_int_equal(sealed_keyring_add(ring, id, key), 0);
}

static size_t seal_plain(const sealed_keyring *ring, uint8_t nonce_fill, uint8_t *out, size_t cap) {
    uint8_t nonce[SEALED_NONCE_BYTES];
    memset(nonce, nonce_fill, sizeof nonce);
    return sealed_seal(ring, topic, nonce, plain, sizeof plain - 1, out, cap);
}

static void a_member_seals_with_its_newest_key_in_the_documented_layout(void **state) {
    (void)state;
    sealed_keyring ring;
    sealed_keyring_init(&ring);
    ring_with(&ring, 7, 0xA7);
    ring_with(&ring, 0x01020304, 0xB1);
    uint8_t env[64];
    size_t len = seal_plain(&ring, 0x55, env, sizeof env);
    assert_int_equal(len, sizeof plain - 1 + SEALED_OVERHEAD);
    assert_int_equal(SEALED_OVERHEAD, 45);
    assert_int_equal(env[0], SEALED_VERSION);
    const uint8_t id[4] = {1, 2, 3, 4};
    assert_memory_equal(env + 1, id, 4);
    for (size_t i = 0; i < SEALED_NONCE_BYTES; i++) assert_int_equal(env[5 + i], 0x55);
    /* The plaintext appears nowhere in the envelope. */
    assert_false(contains(env, len, "noon"));
    assert_true(contains(plain, sizeof plain, "noon")); /* the check can fail */
    uint8_t out[64];
    size_t out_len = 99;
    assert_int_equal(sealed_unseal(&ring, topic, env, len, out, sizeof out, &out_len), SEALED_OK);
    assert_int_equal(out_len, sizeof plain - 1);
    assert_memory_equal(out, plain, out_len);
}

static void a_member_with_both_keys_reads_messages_of_either(void **state) {
    (void)state;
    sealed_keyring old_only, both;
    sealed_keyring_init(&old_only);
    sealed_keyring_init(&both);
    ring_with(&old_only, 1, 0x11);
    ring_with(&both, 1, 0x11);
    ring_with(&both, 2, 0x22);
    uint8_t env_old[64], env_new[64], out[64];
    size_t len_old = seal_plain(&old_only, 1, env_old, sizeof env_old);
    size_t len_new = seal_plain(&both, 2, env_new, sizeof env_new), out_len;
    assert_int_equal(sealed_unseal(&both, topic, env_old, len_old, out, sizeof out, &out_len), SEALED_OK);
    assert_int_equal(sealed_unseal(&both, topic, env_new, len_new, out, sizeof out, &out_len), SEALED_OK);
    assert_int_equal(sealed_unseal(&old_only, topic, env_old, len_old, out, sizeof out, &out_len), SEALED_OK);
    /* Rotated past: the old-only member does not hold key 2. */
    assert_int_equal(sealed_unseal(&old_only, topic, env_new, len_new, out, sizeof out, &out_len),
                     SEALED_UNKNOWN_KEY);
    assert_int_equal(out_len, 0);
}

static void a_moved_relabelled_cut_or_flipped_envelope_does_not_unseal(void **state) {
    (void)state;
    sealed_keyring ring;
    sealed_keyring_init(&ring);
    ring_with(&ring, 1, 0x11);
    ring_with(&ring, 2, 0x11); /* the same key under two ids: only the AD tells them apart */
    uint8_t env[64], out[64];
    size_t len = seal_plain(&ring, 3, env, sizeof env), out_len;
    assert_int_equal(sealed_unseal(&ring, "club2", env, len, out, sizeof out, &out_len), SEALED_FORGED);
    env[4] = 1; /* key id 2 -> 1 */
    assert_int_equal(sealed_unseal(&ring, topic, env, len, out, sizeof out, &out_len), SEALED_FORGED);
    env[4] = 2;
    assert_int_equal(sealed_unseal(&ring, topic, env, len - 1, out, sizeof out, &out_len), SEALED_FORGED);
    assert_int_equal(sealed_unseal(&ring, topic, env, SEALED_OVERHEAD - 1, out, sizeof out, &out_len),
                     SEALED_MALFORMED);
    for (size_t i = 5; i < len; i++) {
        env[i] ^= 0x80;
        assert_int_equal(sealed_unseal(&ring, topic, env, len, out, sizeof out, &out_len), SEALED_FORGED);
        env[i] ^= 0x80;
    }
    env[0] = 2;
    assert_int_equal(sealed_unseal(&ring, topic, env, len, out, sizeof out, &out_len), SEALED_MALFORMED);
    env[0] = SEALED_VERSION;
    assert_int_equal(sealed_unseal(&ring, topic, env, len, out, sizeof out, &out_len), SEALED_OK);
    /* Too small a buffer for the plaintext: refused, not overrun. */
    assert_int_equal(sealed_unseal(&ring, topic, env, len, out, sizeof plain - 2, &out_len), SEALED_MALFORMED);
}

static void a_keyring_is_bounded_and_forgets_its_oldest_key(void **state) {
    (void)state;
    sealed_keyring ring;
    sealed_keyring_init(&ring);
    uint32_t newest = 0;
    assert_false(sealed_keyring_newest(&ring, &newest));
    uint8_t env[64];
    assert_int_equal(seal_plain(&ring, 1, env, sizeof env), 0); /* nothing to seal with */
    for (uint32_t id = 10; id < 10 + SEALED_KEYS_MAX; id++) ring_with(&ring, id, (uint8_t)id);
    ring_with(&ring, 100, 0x64);
    assert_null(sealed_keyring_find(&ring, 10));
    assert_non_null(sealed_keyring_find(&ring, 11));
    assert_true(sealed_keyring_newest(&ring, &newest));
    assert_int_equal(newest, 100);
    /* A key older than every key held cannot push a current one out. */
    uint8_t key[SEALED_KEY_BYTES];
    key_of(key, 5);
    assert_int_equal(sealed_keyring_add(&ring, 5, key), -1);
    /* Replacing a key under its id keeps the ring's size. */
    key_of(key, 0x99);
    assert_int_equal(sealed_keyring_add(&ring, 11, key), 0);
    assert_memory_equal(sealed_keyring_find(&ring, 11), key, SEALED_KEY_BYTES);
    sealed_keyring_wipe(&ring);
    assert_false(sealed_keyring_newest(&ring, &newest));
    assert_true(sodium_is_zero((const unsigned char *)&ring, sizeof ring));
}

static void the_key_text_is_an_id_and_64_hex_digits(void **state) {
    (void)state;
    const char good[] = "42 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1F\n";
    uint32_t id = 0;
    uint8_t key[SEALED_KEY_BYTES];
    assert_int_equal(sealed_key_text_parse(good, strlen(good), &id, key), 0);
    assert_int_equal(id, 42);
    assert_int_equal(key[0], 0);
    assert_int_equal(key[31], 0x1f);
    const char *bad[] = {
        "", "42", "42 ", "x 00", "42  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "4294967296 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", /* id past 32 bits */
        "42 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e",             /* short */
        "42 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fz",          /* trailing */
        "42 0g0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",           /* not hex */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(key, 0xEE, sizeof key);
        assert_int_equal(sealed_key_text_parse(bad[i], strlen(bad[i]), &id, key), -1);
    }
    assert_true(sodium_is_zero(key, sizeof key)); /* the last refusal, which reached the hex, wiped it */
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_member_seals_with_its_newest_key_in_the_documented_layout),
        cmocka_unit_test(a_member_with_both_keys_reads_messages_of_either),
        cmocka_unit_test(a_moved_relabelled_cut_or_flipped_envelope_does_not_unseal),
        cmocka_unit_test(a_keyring_is_bounded_and_forgets_its_oldest_key),
        cmocka_unit_test(the_key_text_is_an_id_and_64_hex_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
