/*
 * test_identity: Ed25519 identities, the libp2p key protobufs and peer IDs,
 * checked against published vectors: the peer-ids spec's Ed25519 key pair
 * (libp2p/specs peer-ids/peer-ids.md, "Test vectors"), its peer ID as
 * go-libp2p prints it, the spec's CIDv1/legacy example pair, and RFC 8032's
 * first Ed25519 test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/identity.h"
#include "vectors.h"

enum { HEX_BYTES_MAX = 128 };

/* peer-ids.md test vectors (hex of the protobuf bytes). */
static const char spec_ed25519_public_hex[] =
    "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
static const char spec_secp256k1_public_hex[] =
    "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99";
/* The peer ID of the spec's Ed25519 key (go-libp2p's http auth tests). */
static const char spec_ed25519_peer_id_text[] = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
/* peer-ids.md "String representation": one sha2-256 peer ID in both forms. */
static const char spec_legacy_text[] = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";
static const char spec_cidv1_text[] = "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe";

/* A deterministic seed per index: tests never touch libsodium's RNG. */
static void test_seed(uint8_t seed[IDENTITY_SEED_BYTES], uint8_t index) {
    for (size_t i = 0; i < IDENTITY_SEED_BYTES; i++) seed[i] = (uint8_t)(index * 31 + i * 7 + 1);
}

static void test_spec_private_key_decodes_to_its_seed_and_public_key(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    uint8_t proto[HEX_BYTES_MAX];
    vectors_hex(VECTORS_SPEC_ED25519_PRIVATE_HEX, proto, sizeof proto);
    assert_memory_equal(id.secret_key, proto + 4, IDENTITY_SECRET_KEY_BYTES);
    assert_memory_equal(id.public_key, proto + 4 + IDENTITY_SEED_BYTES, IDENTITY_PUBLIC_KEY_BYTES);
}

static void test_spec_private_key_reencodes_byte_for_byte(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    uint8_t expected[HEX_BYTES_MAX];
    size_t len = vectors_hex(VECTORS_SPEC_ED25519_PRIVATE_HEX, expected, sizeof expected);
    assert_int_equal(len, IDENTITY_PRIVATE_PROTO_BYTES);
    uint8_t out[IDENTITY_PRIVATE_PROTO_BYTES];
    identity_private_proto_encode(&id, out);
    assert_memory_equal(out, expected, IDENTITY_PRIVATE_PROTO_BYTES);
}

static void test_spec_public_key_matches_the_private_key_byte_for_byte(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    uint8_t expected[HEX_BYTES_MAX];
    size_t len = vectors_hex(spec_ed25519_public_hex, expected, sizeof expected);
    assert_int_equal(len, IDENTITY_PUBLIC_PROTO_BYTES);
    uint8_t out[IDENTITY_PUBLIC_PROTO_BYTES];
    identity_public_proto_encode(id.public_key, out);
    assert_memory_equal(out, expected, IDENTITY_PUBLIC_PROTO_BYTES);
    uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
    assert_int_equal(identity_public_proto_decode(expected, len, key), 0);
    assert_memory_equal(key, id.public_key, IDENTITY_PUBLIC_KEY_BYTES);
}

static void test_spec_key_peer_id_is_its_identity_multihash_and_text(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    peer_id pid;
    peer_id_from_public_key(id.public_key, &pid);
    uint8_t expected[HEX_BYTES_MAX] = {0x00, 0x24};
    vectors_hex(spec_ed25519_public_hex, expected + 2, sizeof expected - 2);
    assert_int_equal(pid.len, 38);
    assert_memory_equal(pid.bytes, expected, 38);
    char text[PEER_ID_TEXT_MAX];
    assert_int_equal(peer_id_to_text(&pid, text, sizeof text), 0);
    assert_string_equal(text, spec_ed25519_peer_id_text);
    peer_id parsed;
    assert_int_equal(peer_id_from_text(spec_ed25519_peer_id_text, &parsed), 0);
    assert_true(peer_id_equal(&parsed, &pid));
}

/* RFC 8032 section 7.1, TEST 1: the empty message. */
static void test_seed_derives_the_rfc8032_key_and_signature(void **state) {
    (void)state;
    uint8_t seed[IDENTITY_SEED_BYTES];
    uint8_t expected_public[IDENTITY_PUBLIC_KEY_BYTES];
    uint8_t expected_sig[IDENTITY_SIGNATURE_BYTES];
    vectors_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, sizeof seed);
    vectors_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", expected_public,
                 sizeof expected_public);
    vectors_hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
                 "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
                 expected_sig, sizeof expected_sig);
    identity id;
    identity_from_seed(&id, seed);
    assert_memory_equal(id.public_key, expected_public, IDENTITY_PUBLIC_KEY_BYTES);
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    identity_sign(&id, NULL, 0, sig);
    assert_memory_equal(sig, expected_sig, IDENTITY_SIGNATURE_BYTES);
    assert_int_equal(identity_verify(id.public_key, NULL, 0, sig), 0);
}

/* go-libp2p's http auth tests marshal the all-zero seed's key like this. */
static void test_zero_seed_derives_the_known_public_key(void **state) {
    (void)state;
    uint8_t seed[IDENTITY_SEED_BYTES] = {0};
    uint8_t expected[IDENTITY_PUBLIC_KEY_BYTES];
    vectors_hex("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29", expected,
                 sizeof expected);
    identity id;
    identity_from_seed(&id, seed);
    assert_memory_equal(id.public_key, expected, IDENTITY_PUBLIC_KEY_BYTES);
}

static void test_signature_verifies_under_the_signers_key(void **state) {
    (void)state;
    uint8_t seed[IDENTITY_SEED_BYTES];
    test_seed(seed, 1);
    identity id;
    identity_from_seed(&id, seed);
    const uint8_t msg[] = "libp2p-pubsub:message";
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    identity_sign(&id, msg, sizeof msg, sig);
    assert_int_equal(identity_verify(id.public_key, msg, sizeof msg, sig), 0);
}

static void test_verify_rejects_a_tampered_signature(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    const uint8_t msg[] = "hello";
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    identity_sign(&id, msg, sizeof msg, sig);
    for (size_t i = 0; i < IDENTITY_SIGNATURE_BYTES; i += 9) {
        uint8_t bad[IDENTITY_SIGNATURE_BYTES];
        memcpy(bad, sig, sizeof bad);
        bad[i] ^= 0x01;
        assert_int_equal(identity_verify(id.public_key, msg, sizeof msg, bad), -1);
    }
}

static void test_verify_rejects_a_changed_message_or_another_key(void **state) {
    (void)state;
    uint8_t seed[IDENTITY_SEED_BYTES];
    identity alice;
    identity bob;
    test_seed(seed, 2);
    identity_from_seed(&alice, seed);
    test_seed(seed, 3);
    identity_from_seed(&bob, seed);
    uint8_t msg[] = "hello";
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    identity_sign(&alice, msg, sizeof msg, sig);
    assert_int_equal(identity_verify(bob.public_key, msg, sizeof msg, sig), -1);
    msg[0] = 'j';
    assert_int_equal(identity_verify(alice.public_key, msg, sizeof msg, sig), -1);
}

static void test_wipe_zeroes_the_secret_key(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    identity_wipe(&id);
    uint8_t zeros[IDENTITY_SECRET_KEY_BYTES] = {0};
    assert_memory_equal(id.secret_key, zeros, sizeof zeros);
}

static void test_key_decoders_reject_every_truncation(void **state) {
    (void)state;
    uint8_t pub[HEX_BYTES_MAX];
    uint8_t priv[HEX_BYTES_MAX];
    size_t pub_len = vectors_hex(spec_ed25519_public_hex, pub, sizeof pub);
    size_t priv_len = vectors_hex(VECTORS_SPEC_ED25519_PRIVATE_HEX, priv, sizeof priv);
    uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
    identity id;
    for (size_t len = 0; len < pub_len; len++) {
        assert_int_equal(identity_public_proto_decode(pub, len, key), -1);
    }
    for (size_t len = 0; len < priv_len; len++) {
        assert_int_equal(identity_private_proto_decode(priv, len, &id), -1);
    }
}

static void test_public_decode_rejects_wrong_wire_types(void **state) {
    (void)state;
    uint8_t msg[HEX_BYTES_MAX];
    size_t len = vectors_hex(spec_ed25519_public_hex, msg, sizeof msg);
    uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
    msg[0] = 0x0a; /* Type as length-delimited: 0x0a 0x01 then one byte */
    assert_int_equal(identity_public_proto_decode(msg, len, key), -1);
    vectors_hex(spec_ed25519_public_hex, msg, sizeof msg);
    msg[2] = 0x10; /* Data as a varint */
    assert_int_equal(identity_public_proto_decode(msg, len, key), -1);
    msg[2] = 0x13; /* Data as a group start */
    assert_int_equal(identity_public_proto_decode(msg, len, key), -1);
}

static void test_public_decode_rejects_wrong_key_lengths(void **state) {
    (void)state;
    uint8_t msg[HEX_BYTES_MAX];
    size_t len = vectors_hex(spec_ed25519_public_hex, msg, sizeof msg);
    uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
    msg[3] = 31; /* 31-byte key, then one stray byte that is not a field */
    assert_int_equal(identity_public_proto_decode(msg, len - 1, key), -1);
    assert_int_equal(identity_public_proto_decode(msg, len, key), -1);
    msg[3] = 33; /* claims more than there is */
    assert_int_equal(identity_public_proto_decode(msg, len, key), -1);
    msg[len] = 0x00;
    assert_int_equal(identity_public_proto_decode(msg, len + 1, key), -1);
}

static void test_public_decode_rejects_unsupported_key_types(void **state) {
    (void)state;
    uint8_t msg[HEX_BYTES_MAX];
    uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
    size_t len = vectors_hex(spec_secp256k1_public_hex, msg, sizeof msg);
    assert_int_equal(identity_public_proto_decode(msg, len, key), -1);
    len = vectors_hex(spec_ed25519_public_hex, msg, sizeof msg);
    const uint8_t other_types[] = {KEY_TYPE_RSA, KEY_TYPE_SECP256K1, KEY_TYPE_ECDSA, 4, 0x7f};
    for (size_t i = 0; i < sizeof other_types; i++) {
        msg[1] = other_types[i];
        assert_int_equal(identity_public_proto_decode(msg, len, key), -1);
    }
}

static void test_public_decode_rejects_missing_repeated_and_unknown_fields(void **state) {
    (void)state;
    uint8_t msg[HEX_BYTES_MAX];
    size_t len = vectors_hex(spec_ed25519_public_hex, msg, sizeof msg);
    uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
    assert_int_equal(identity_public_proto_decode(msg + 2, len - 2, key), -1); /* no Type */
    assert_int_equal(identity_public_proto_decode(msg, 2, key), -1);           /* no Data */
    uint8_t repeated[HEX_BYTES_MAX] = {0x08, 0x01};
    memcpy(repeated + 2, msg, len);
    assert_int_equal(identity_public_proto_decode(repeated, len + 2, key), -1);
    uint8_t unknown[HEX_BYTES_MAX];
    memcpy(unknown, msg, len);
    unknown[len] = 0x18; /* field 3, varint 0 */
    unknown[len + 1] = 0x00;
    assert_int_equal(identity_public_proto_decode(unknown, len + 2, key), -1);
}

static void test_public_decode_accepts_fields_out_of_order(void **state) {
    (void)state;
    uint8_t msg[HEX_BYTES_MAX];
    size_t len = vectors_hex(spec_ed25519_public_hex, msg, sizeof msg);
    uint8_t swapped[HEX_BYTES_MAX];
    memcpy(swapped, msg + 2, len - 2);
    memcpy(swapped + len - 2, msg, 2);
    uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
    assert_int_equal(identity_public_proto_decode(swapped, len, key), 0);
    assert_memory_equal(key, msg + 4, IDENTITY_PUBLIC_KEY_BYTES);
}

static void test_private_decode_accepts_the_legacy_96_byte_form(void **state) {
    (void)state;
    uint8_t msg[HEX_BYTES_MAX];
    size_t len = vectors_hex(VECTORS_SPEC_ED25519_PRIVATE_HEX, msg, sizeof msg);
    msg[3] = 96;
    memcpy(msg + len, msg + 4 + IDENTITY_SEED_BYTES, IDENTITY_PUBLIC_KEY_BYTES);
    identity id;
    assert_int_equal(identity_private_proto_decode(msg, len + IDENTITY_PUBLIC_KEY_BYTES, &id), 0);
    identity expected;
    vectors_spec_identity(&expected);
    assert_memory_equal(id.secret_key, expected.secret_key, IDENTITY_SECRET_KEY_BYTES);
    /* The two public key copies must agree. */
    msg[len + 5] ^= 0x40;
    assert_int_equal(identity_private_proto_decode(msg, len + IDENTITY_PUBLIC_KEY_BYTES, &id), -1);
}

static void test_private_decode_rejects_a_public_key_that_is_not_the_seeds(void **state) {
    (void)state;
    uint8_t msg[HEX_BYTES_MAX];
    size_t len = vectors_hex(VECTORS_SPEC_ED25519_PRIVATE_HEX, msg, sizeof msg);
    msg[len - 1] ^= 0x01;
    identity id;
    memset(&id, 0x5a, sizeof id);
    assert_int_equal(identity_private_proto_decode(msg, len, &id), -1);
    assert_int_equal(id.public_key[0], 0x5a); /* untouched on failure */
}

static void test_private_decode_rejects_other_lengths_and_types(void **state) {
    (void)state;
    uint8_t msg[HEX_BYTES_MAX];
    size_t len = vectors_hex(VECTORS_SPEC_ED25519_PRIVATE_HEX, msg, sizeof msg);
    identity id;
    msg[3] = 32; /* a bare seed is not an accepted layout */
    assert_int_equal(identity_private_proto_decode(msg, 4 + 32, &id), -1);
    vectors_hex(VECTORS_SPEC_ED25519_PRIVATE_HEX, msg, sizeof msg);
    msg[1] = KEY_TYPE_SECP256K1;
    assert_int_equal(identity_private_proto_decode(msg, len, &id), -1);
}

static void test_peer_id_text_round_trips(void **state) {
    (void)state;
    for (uint8_t i = 0; i < 16; i++) {
        uint8_t seed[IDENTITY_SEED_BYTES];
        test_seed(seed, i);
        identity id;
        identity_from_seed(&id, seed);
        peer_id pid;
        peer_id_from_public_key(id.public_key, &pid);
        char text[PEER_ID_TEXT_MAX];
        assert_int_equal(peer_id_to_text(&pid, text, sizeof text), 0);
        assert_memory_equal(text, "12D3KooW", 8);
        peer_id back;
        assert_int_equal(peer_id_from_text(text, &back), 0);
        assert_true(peer_id_equal(&back, &pid));
        uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
        assert_int_equal(peer_id_public_key(&back, key), 0);
        assert_memory_equal(key, id.public_key, IDENTITY_PUBLIC_KEY_BYTES);
    }
}

static void test_peer_id_from_text_rejects_invalid_base58(void **state) {
    (void)state;
    static const char *bad[] = {
        "",
        "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3p0", /* '0' */
        "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pl", /* 'l' */
        "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3p",  /* truncated */
        "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pqq", /* one more */
        " 12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        peer_id pid;
        assert_int_equal(peer_id_from_text(bad[i], &pid), -1);
    }
    char too_long[PEER_ID_TEXT_MAX + 8];
    memset(too_long, '1', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    peer_id pid;
    assert_int_equal(peer_id_from_text(too_long, &pid), -1);
}

static void test_peer_id_text_forms_legacy_and_cidv1_agree(void **state) {
    (void)state;
    peer_id legacy;
    peer_id cid;
    assert_int_equal(peer_id_from_text(spec_legacy_text, &legacy), 0);
    assert_int_equal(peer_id_from_text(spec_cidv1_text, &cid), 0);
    assert_int_equal(legacy.len, 34);
    assert_int_equal(legacy.bytes[0], 0x12);
    assert_int_equal(legacy.bytes[1], 0x20);
    assert_true(peer_id_equal(&legacy, &cid));
    char text[PEER_ID_TEXT_MAX];
    assert_int_equal(peer_id_to_text(&cid, text, sizeof text), 0);
    assert_string_equal(text, spec_legacy_text);
}

static void test_peer_id_from_text_rejects_bad_cids(void **state) {
    (void)state;
    peer_id pid;
    /* Upper case is not the 'b' alphabet; '1' and '8' are not base32. */
    assert_int_equal(peer_id_from_text("bAFZBEIE5745RPV2M6TJYUUGYWY4D5EWRQGQQHFNF445HE3OMZPJBX5XQXE", &pid),
                     -1);
    assert_int_equal(peer_id_from_text("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqx1", &pid),
                     -1);
    /* Truncated by one character: the multihash length no longer matches. */
    assert_int_equal(peer_id_from_text("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqx", &pid),
                     -1);
    /* bafybei... is a dag-pb (0x70) CID, not libp2p-key (0x72). */
    assert_int_equal(peer_id_from_text("bafybeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", &pid),
                     -1);
    assert_int_equal(peer_id_from_text("b", &pid), -1);
}

static void test_peer_id_from_bytes_checks_the_multihash(void **state) {
    (void)state;
    peer_id pid;
    uint8_t sha[34] = {0x12, 0x20};
    assert_int_equal(peer_id_from_bytes(sha, sizeof sha, &pid), 0);
    assert_int_equal(pid.len, 34);
    assert_int_equal(peer_id_from_bytes(sha, sizeof sha - 1, &pid), -1); /* short digest */
    sha[1] = 0x1f;
    assert_int_equal(peer_id_from_bytes(sha, sizeof sha - 1, &pid), -1); /* sha2-256 is 32 */
    sha[0] = 0x13;                                                       /* sha2-512 */
    sha[1] = 0x20;
    assert_int_equal(peer_id_from_bytes(sha, sizeof sha, &pid), -1);
    uint8_t inline_id[2 + 43] = {0x00, 43};
    assert_int_equal(peer_id_from_bytes(inline_id, sizeof inline_id, &pid), -1); /* over 42 */
    inline_id[1] = 42;
    assert_int_equal(peer_id_from_bytes(inline_id, 44, &pid), 0);
    inline_id[1] = 0;
    assert_int_equal(peer_id_from_bytes(inline_id, 2, &pid), -1); /* empty key */
    const uint8_t non_minimal[] = {0x00, 0x81, 0x00, 0xaa};
    assert_int_equal(peer_id_from_bytes(non_minimal, sizeof non_minimal, &pid), -1);
    assert_int_equal(peer_id_from_bytes(non_minimal, 0, &pid), -1);
    assert_int_equal(peer_id_from_bytes(non_minimal, 1, &pid), -1);
    uint8_t big[PEER_ID_MAX_BYTES + 1] = {0};
    assert_int_equal(peer_id_from_bytes(big, sizeof big, &pid), -1);
}

static void test_peer_id_public_key_needs_an_inline_ed25519_key(void **state) {
    (void)state;
    uint8_t key[IDENTITY_PUBLIC_KEY_BYTES];
    peer_id sha;
    assert_int_equal(peer_id_from_text(spec_legacy_text, &sha), 0);
    assert_int_equal(peer_id_public_key(&sha, key), -1);
    /* A secp256k1 key is inlined too (37 bytes), but is not Ed25519. */
    uint8_t bytes[HEX_BYTES_MAX] = {0x00, 37};
    size_t len = vectors_hex(spec_secp256k1_public_hex, bytes + 2, sizeof bytes - 2);
    assert_int_equal(len, 37);
    peer_id secp;
    assert_int_equal(peer_id_from_bytes(bytes, len + 2, &secp), 0);
    assert_int_equal(peer_id_public_key(&secp, key), -1);
}

static void test_peer_id_to_text_rejects_a_small_buffer(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    peer_id pid;
    peer_id_from_public_key(id.public_key, &pid);
    size_t text_len = strlen(spec_ed25519_peer_id_text);
    char text[PEER_ID_TEXT_MAX];
    assert_int_equal(peer_id_to_text(&pid, text, text_len), -1);
    assert_int_equal(peer_id_to_text(&pid, text, text_len + 1), 0);
    assert_string_equal(text, spec_ed25519_peer_id_text);
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_private_key_decodes_to_its_seed_and_public_key),
        cmocka_unit_test(test_spec_private_key_reencodes_byte_for_byte),
        cmocka_unit_test(test_spec_public_key_matches_the_private_key_byte_for_byte),
        cmocka_unit_test(test_spec_key_peer_id_is_its_identity_multihash_and_text),
        cmocka_unit_test(test_seed_derives_the_rfc8032_key_and_signature),
        cmocka_unit_test(test_zero_seed_derives_the_known_public_key),
        cmocka_unit_test(test_signature_verifies_under_the_signers_key),
        cmocka_unit_test(test_verify_rejects_a_tampered_signature),
        cmocka_unit_test(test_verify_rejects_a_changed_message_or_another_key),
        cmocka_unit_test(test_wipe_zeroes_the_secret_key),
        cmocka_unit_test(test_key_decoders_reject_every_truncation),
        cmocka_unit_test(test_public_decode_rejects_wrong_wire_types),
        cmocka_unit_test(test_public_decode_rejects_wrong_key_lengths),
        cmocka_unit_test(test_public_decode_rejects_unsupported_key_types),
        cmocka_unit_test(test_public_decode_rejects_missing_repeated_and_unknown_fields),
        cmocka_unit_test(test_public_decode_accepts_fields_out_of_order),
        cmocka_unit_test(test_private_decode_accepts_the_legacy_96_byte_form),
        cmocka_unit_test(test_private_decode_rejects_a_public_key_that_is_not_the_seeds),
        cmocka_unit_test(test_private_decode_rejects_other_lengths_and_types),
        cmocka_unit_test(test_peer_id_text_round_trips),
        cmocka_unit_test(test_peer_id_from_text_rejects_invalid_base58),
        cmocka_unit_test(test_peer_id_text_forms_legacy_and_cidv1_agree),
        cmocka_unit_test(test_peer_id_from_text_rejects_bad_cids),
        cmocka_unit_test(test_peer_id_from_bytes_checks_the_multihash),
        cmocka_unit_test(test_peer_id_public_key_needs_an_inline_ed25519_key),
        cmocka_unit_test(test_peer_id_to_text_rejects_a_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
