/*
 * test_peer_record: signed peer records (libp2p/specs RFC/0002 signed
 * envelopes, RFC/0003 routing records), checked against bytes other
 * implementations produce:
 *   - an envelope that go-libp2p sealed, published as a fixture in
 *     js-libp2p's packages/peer-record/test/peer-record.spec.ts ("de/serializes
 *     the same as a go record"), with the private key that signed it;
 *   - envelopes that js-libp2p (@libp2p/peer-record 9.0.16, the version
 *     tests/interop installs) sealed for the peer-ids spec's Ed25519 key;
 *     Ed25519 signatures are deterministic, so the same record and key must
 *     give the same bytes here.
 * Envelopes the module would refuse to seal (another peer's record, other
 * payload types, too many addresses) are built by this file's own small
 * encoder, so that every refusal is of a correctly signed envelope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/identity.h"
#include "base/pb.h"
#include "crypto/peer_record.h"
#include "vectors.h"

enum { HEX_BYTES_MAX = PEER_RECORD_ENVELOPE_MAX + 64 };

/* peer-ids.md test vectors: a secp256k1 PublicKey protobuf (the Ed25519
 * key pair is vectors_spec_identity's). */
static const char spec_secp256k1_public_hex[] =
    "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99";

/* /ip4/127.0.0.1/tcp/4001 and /ip4/192.0.2.7/tcp/4002 in binary form. */
static const uint8_t addr_local[] = {0x04, 127, 0, 0, 1, 0x06, 0x0f, 0xa1};
static const uint8_t addr_doc[] = {0x04, 192, 0, 2, 7, 0x06, 0x0f, 0xa2};

/* js-libp2p's seal of {spec key's peer ID, seq 1700000000, addr_local,
 * addr_doc}: the layout of RFC 0002/0003 with go/js's field numbers, domain
 * and payload type. */
static const char js_sealed_hex[] =
    /* 1 public_key: PublicKey{Type: Ed25519, Data: 32 bytes} */
    "0a24" "0801" "1220" "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
    /* 2 payload_type: multicodec libp2p-peer-record, bytes 03 01 */
    "1202" "0301"
    /* 3 payload: 70 bytes of PeerRecord */
    "1a46"
    /*   1 peer_id: identity multihash 00 24 of the PublicKey above */
    "0a26" "0024" "0801" "1220" "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
    /*   2 seq: 1700000000 = 0x6553f100 as a varint */
    "10" "80e2cfaa06"
    /*   3 addresses: AddressInfo{1 multiaddr: 8 bytes}, twice */
    "1a0a" "0a08" "047f000001060fa1"
    "1a0a" "0a08" "04c0000207060fa2"
    /* 5 signature: Ed25519 over 12 "libp2p-peer-record" 02 0301 46 <payload> */
    "2a40"
    "e616d2f8e28f6dda565a092bf33c4ebbf2bfbd7200bde952b9c9c34232f1b037"
    "acc7c03c34ab790736939eb429260c494cd9f754795c59845f0e52dc6f4c9400";

/* The same record with seq 0, which proto3 encoders (go, js) leave out. */
static const char js_sealed_seq0_hex[] =
    "0a24" "0801" "1220" "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
    "1202" "0301"
    "1a40"
    "0a26" "0024" "0801" "1220" "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
    "1a0a" "0a08" "047f000001060fa1"
    "1a0a" "0a08" "04c0000207060fa2"
    "2a40"
    "e2b49899c9ac8feeddbce84a35b734cdd4a91c54f1c58815bbd6b6313d6c5f5c"
    "c1ffed6c8fd084fafe37a5a48b1122e6d834c487e4a209f6ee43f26132e3ed02";

/* go-libp2p's envelope from js-libp2p's peer-record tests, and the key that
 * sealed it. Ten addresses /ip4/1.2.3.4/tcp/0 .. /tcp/9; seq is go's
 * nanosecond timestamp of 2020-08-26. */
static const char go_private_hex[] =
    "0801124085fbe72b6064289004a531f967898df5319ee02992fdd84021fa5052434bf6ee"
    "11bba3ed1721948cefb4e50b0a0bb5cad8a6b52dc7b1a40f4f6652105c91e2c4";
static const char go_envelope_hex[] =
    "0a24" "0801" "1220" "11bba3ed1721948cefb4e50b0a0bb5cad8a6b52dc7b1a40f4f6652105c91e2c4"
    "1202" "0301"
    "1aaa01"
    "0a26" "0024" "0801" "1220" "11bba3ed1721948cefb4e50b0a0bb5cad8a6b52dc7b1a40f4f6652105c91e2c4"
    "10" "d8b8e0bf9391b69716"
    "1a0a0a080401020304060000" "1a0a0a080401020304060001" "1a0a0a080401020304060002"
    "1a0a0a080401020304060003" "1a0a0a080401020304060004" "1a0a0a080401020304060005"
    "1a0a0a080401020304060006" "1a0a0a080401020304060007" "1a0a0a080401020304060008"
    "1a0a0a080401020304060009"
    "2a40"
    "b197f76b9f288af2b467fe666f774476287049b424b73975c8860efb02372d02"
    "6a799584541ad72f2654346485bca3ece36462b7d1b1391c8d276dc4ab8bca0b";
static const uint64_t go_seq = 1598453001624231000u;
enum { GO_PAYLOAD_OFFSET = 38 + 4 + 3, GO_PAYLOAD_LEN = 170 };

/* A deterministic seed per index: tests never touch libsodium's RNG. */
static void seeded_identity(identity *id, uint8_t index) {
    uint8_t seed[IDENTITY_SEED_BYTES];
    for (size_t i = 0; i < IDENTITY_SEED_BYTES; i++) seed[i] = (uint8_t)(index * 31 + i * 7 + 1);
    identity_from_seed(id, seed);
}

/* /ip4/10.0.0.1/tcp/PORT in binary form. */
static void ip4_tcp(uint8_t out[8], uint16_t port) {
    const uint8_t prefix[] = {0x04, 10, 0, 0, 1, 0x06};
    memcpy(out, prefix, sizeof prefix);
    out[6] = (uint8_t)(port >> 8);
    out[7] = (uint8_t)port;
}

/* A record of id's peer with addr_local and addr_doc. */
static void two_address_record(const identity *id, uint64_t seq, peer_record *rec) {
    memset(rec, 0, sizeof *rec);
    peer_id_from_public_key(id->public_key, &rec->id);
    rec->seq = seq;
    memcpy(rec->addrs[0], addr_local, sizeof addr_local);
    rec->addr_lens[0] = sizeof addr_local;
    memcpy(rec->addrs[1], addr_doc, sizeof addr_doc);
    rec->addr_lens[1] = sizeof addr_doc;
    rec->addr_count = 2;
}

/* ---- this file's own envelope builder ---- */

static const uint8_t type_peer_record[] = {0x03, 0x01};

typedef struct forged {
    const identity *signer;
    const char *domain;
    const uint8_t *key_proto; /* NULL: the signer's PublicKey */
    size_t key_proto_len;
    const uint8_t *type;
    size_t type_len;
    const uint8_t *payload;
    size_t payload_len;
    uint32_t signature_field;  /* 0: 5 */
} forged;

static forged forged_peer_record(const identity *signer, const uint8_t *payload, size_t len) {
    forged f = {signer, PEER_RECORD_DOMAIN, NULL, 0, type_peer_record, sizeof type_peer_record,
                payload, len, 0};
    return f;
}

/* Signs u8(len(domain)) || domain || u8(len(type)) || type || varint(len(payload)) || payload
 * (every length here is below 2^14) and writes the Envelope fields 1, 2, 3, 5. */
static size_t forge(const forged *f, uint8_t *out, size_t cap) {
    uint8_t buf[2 * HEX_BYTES_MAX];
    size_t n = 0;
    size_t domain_len = strlen(f->domain);
    assert_true(domain_len < 128 && f->type_len < 128 && f->payload_len < 16384);
    buf[n++] = (uint8_t)domain_len;
    memcpy(buf + n, f->domain, domain_len);
    n += domain_len;
    buf[n++] = (uint8_t)f->type_len;
    memcpy(buf + n, f->type, f->type_len);
    n += f->type_len;
    if (f->payload_len < 128) {
        buf[n++] = (uint8_t)f->payload_len;
    } else {
        buf[n++] = (uint8_t)(0x80 | (f->payload_len & 0x7f));
        buf[n++] = (uint8_t)(f->payload_len >> 7);
    }
    memcpy(buf + n, f->payload, f->payload_len);
    n += f->payload_len;
    uint8_t sig[IDENTITY_SIGNATURE_BYTES];
    identity_sign(f->signer, buf, n, sig);

    uint8_t own_key[IDENTITY_PUBLIC_PROTO_BYTES];
    identity_public_proto_encode(f->signer->public_key, own_key);
    pb_writer w;
    pb_writer_init(&w, out, cap);
    if (f->key_proto != NULL) {
        pb_write_bytes_field(&w, 1, f->key_proto, f->key_proto_len);
    } else {
        pb_write_bytes_field(&w, 1, own_key, sizeof own_key);
    }
    pb_write_bytes_field(&w, 2, f->type, f->type_len);
    pb_write_bytes_field(&w, 3, f->payload, f->payload_len);
    pb_write_bytes_field(&w, f->signature_field ? f->signature_field : 5, sig, sizeof sig);
    assert_true(pb_writer_ok(&w));
    return w.len;
}

/* PeerRecord payloads, field by field. */
static void payload_peer_id(pb_writer *w, const identity *id) {
    peer_id pid;
    peer_id_from_public_key(id->public_key, &pid);
    pb_write_bytes_field(w, 1, pid.bytes, pid.len);
}

/* A PeerRecord payload into buf, begun with id's peer_id (field 1). */
static void payload_start(pb_writer *w, uint8_t *buf, size_t cap, const identity *id) {
    pb_writer_init(w, buf, cap);
    payload_peer_id(w, id);
}

static void payload_address(pb_writer *w, const uint8_t *addr, size_t len) {
    uint8_t info[HEX_BYTES_MAX];
    pb_writer iw;
    pb_writer_init(&iw, info, sizeof info);
    pb_write_bytes_field(&iw, 1, addr, len);
    assert_true(pb_writer_ok(&iw));
    pb_write_bytes_field(w, 3, info, iw.len);
}

/* Forges a peer-record envelope around payload, opens it: the result. */
static int open_forged_payload(const identity *signer, const uint8_t *payload, size_t len,
                               peer_record *rec, const char **reason) {
    uint8_t env[HEX_BYTES_MAX];
    forged f = forged_peer_record(signer, payload, len);
    size_t env_len = forge(&f, env, sizeof env);
    return peer_record_open(env, env_len, rec, reason);
}

static void assert_zeroed(const peer_record *rec) {
    peer_record zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(rec, &zero, sizeof zero);
}

/* ---- sealing and opening our own records ---- */

static void test_seal_then_open_round_trips_id_seq_and_addresses(void **state) {
    (void)state;
    identity id;
    seeded_identity(&id, 1);
    const uint64_t seqs[] = {0, 1, 1700000000u, UINT64_MAX};
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        peer_record rec;
        two_address_record(&id, seqs[i], &rec);
        uint8_t env[PEER_RECORD_ENVELOPE_MAX];
        size_t len = peer_record_seal(&id, &rec, env, sizeof env);
        assert_true(len > 0);
        peer_record out;
        const char *reason = NULL;
        assert_int_equal(peer_record_open(env, len, &out, &reason), 0);
        assert_null(reason);
        assert_true(peer_id_equal(&out.id, &rec.id));
        assert_true(out.seq == seqs[i]);
        assert_int_equal(out.addr_count, 2);
        assert_int_equal(out.addr_lens[0], sizeof addr_local);
        assert_memory_equal(out.addrs[0], addr_local, sizeof addr_local);
        assert_int_equal(out.addr_lens[1], sizeof addr_doc);
        assert_memory_equal(out.addrs[1], addr_doc, sizeof addr_doc);
    }
}

static void test_seal_produces_the_exact_bytes_js_libp2p_produces(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    uint8_t expected[HEX_BYTES_MAX];
    size_t expected_len = vectors_hex(js_sealed_hex, expected, sizeof expected);
    assert_int_equal(expected_len, 180);
    peer_record rec;
    two_address_record(&id, 1700000000u, &rec);
    uint8_t env[PEER_RECORD_ENVELOPE_MAX];
    assert_int_equal(peer_record_seal(&id, &rec, env, sizeof env), expected_len);
    assert_memory_equal(env, expected, expected_len);
}

static void test_seal_leaves_out_a_zero_seq_like_proto3(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    uint8_t expected[HEX_BYTES_MAX];
    size_t expected_len = vectors_hex(js_sealed_seq0_hex, expected, sizeof expected);
    peer_record rec;
    two_address_record(&id, 0, &rec);
    uint8_t env[PEER_RECORD_ENVELOPE_MAX];
    assert_int_equal(peer_record_seal(&id, &rec, env, sizeof env), expected_len);
    assert_memory_equal(env, expected, expected_len);
}

static void test_seal_of_no_addresses_opens_to_no_addresses(void **state) {
    (void)state;
    identity id;
    seeded_identity(&id, 2);
    peer_record rec;
    two_address_record(&id, 7, &rec);
    rec.addr_count = 0;
    uint8_t env[PEER_RECORD_ENVELOPE_MAX];
    size_t len = peer_record_seal(&id, &rec, env, sizeof env);
    assert_true(len > 0);
    peer_record out;
    assert_int_equal(peer_record_open(env, len, &out, NULL), 0);
    assert_int_equal(out.addr_count, 0);
    assert_true(out.seq == 7);
}

static void test_seal_fills_exactly_its_length_and_refuses_a_byte_less(void **state) {
    (void)state;
    identity id;
    seeded_identity(&id, 3);
    peer_record rec;
    two_address_record(&id, 5, &rec);
    uint8_t env[PEER_RECORD_ENVELOPE_MAX];
    size_t len = peer_record_seal(&id, &rec, env, sizeof env);
    assert_true(len > 0);
    uint8_t small[PEER_RECORD_ENVELOPE_MAX];
    memset(small, 0xee, sizeof small);
    assert_int_equal(peer_record_seal(&id, &rec, small, len - 1), 0);
    for (size_t i = 0; i < sizeof small; i++) assert_int_equal(small[i], 0xee); /* untouched */
    assert_int_equal(peer_record_seal(&id, &rec, small, len), len);
    assert_memory_equal(small, env, len);
    assert_int_equal(peer_record_seal(&id, &rec, NULL, 0), 0);
}

static void test_seal_refuses_records_it_could_not_open(void **state) {
    (void)state;
    identity alice;
    identity bob;
    seeded_identity(&alice, 4);
    seeded_identity(&bob, 5);
    uint8_t env[PEER_RECORD_ENVELOPE_MAX];
    peer_record rec;
    two_address_record(&bob, 1, &rec); /* names bob, signed by alice */
    assert_int_equal(peer_record_seal(&alice, &rec, env, sizeof env), 0);

    two_address_record(&alice, 1, &rec);
    rec.addr_count = PEER_RECORD_ADDRS_MAX + 1;
    assert_int_equal(peer_record_seal(&alice, &rec, env, sizeof env), 0);

    two_address_record(&alice, 1, &rec);
    rec.addr_lens[1] = 0;
    assert_int_equal(peer_record_seal(&alice, &rec, env, sizeof env), 0);
    rec.addr_lens[1] = PEER_RECORD_ADDR_BYTES_MAX + 1;
    assert_int_equal(peer_record_seal(&alice, &rec, env, sizeof env), 0);
}

static void test_largest_record_fits_in_an_envelope(void **state) {
    (void)state;
    identity id;
    seeded_identity(&id, 6);
    peer_record rec;
    two_address_record(&id, UINT64_MAX, &rec);
    rec.addr_count = PEER_RECORD_ADDRS_MAX;
    for (size_t i = 0; i < PEER_RECORD_ADDRS_MAX; i++) {
        memset(rec.addrs[i], (int)(0x40 + i), PEER_RECORD_ADDR_BYTES_MAX);
        rec.addr_lens[i] = PEER_RECORD_ADDR_BYTES_MAX;
    }
    uint8_t env[PEER_RECORD_ENVELOPE_MAX];
    size_t len = peer_record_seal(&id, &rec, env, sizeof env);
    assert_true(len > 0 && len <= PEER_RECORD_ENVELOPE_MAX);
    peer_record out;
    assert_int_equal(peer_record_open(env, len, &out, NULL), 0);
    assert_memory_equal(&out, &rec, sizeof rec);
}

/* ---- what the signature covers ---- */

static void test_every_changed_bit_of_a_sealed_envelope_is_refused(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    peer_record rec;
    two_address_record(&id, 1700000000u, &rec);
    uint8_t env[PEER_RECORD_ENVELOPE_MAX];
    size_t len = peer_record_seal(&id, &rec, env, sizeof env);
    assert_true(len > 0);
    for (size_t i = 0; i < len; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            env[i] ^= (uint8_t)(1u << bit);
            peer_record out;
            const char *reason = NULL;
            if (peer_record_open(env, len, &out, &reason) != -1) {
                fail_msg("flipping bit %u of byte %zu still opens", bit, i);
            }
            assert_non_null(reason);
            assert_zeroed(&out);
            env[i] ^= (uint8_t)(1u << bit);
        }
        env[i] ^= 0xff;
        peer_record out;
        assert_int_equal(peer_record_open(env, len, &out, NULL), -1);
        env[i] ^= 0xff;
    }
    peer_record out;
    assert_int_equal(peer_record_open(env, len, &out, NULL), 0); /* restored */
}

static void test_signature_under_the_rfc_domain_is_refused(void **state) {
    (void)state;
    identity id;
    seeded_identity(&id, 7);
    uint8_t payload[HEX_BYTES_MAX];
    pb_writer w;
    payload_start(&w, payload, sizeof payload, &id);
    payload_address(&w, addr_local, sizeof addr_local);
    uint8_t env[HEX_BYTES_MAX];
    forged f = forged_peer_record(&id, payload, w.len);
    peer_record out;
    const char *reason = NULL;
    size_t len = forge(&f, env, sizeof env);
    assert_int_equal(peer_record_open(env, len, &out, &reason), 0); /* the builder is right */
    f.domain = "libp2p-routing-state"; /* RFC 0003's string */
    len = forge(&f, env, sizeof env);
    assert_int_equal(peer_record_open(env, len, &out, &reason), -1);
    assert_string_equal(reason, "bad signature");
    f.domain = "libp2p-peer-recorc";
    len = forge(&f, env, sizeof env);
    assert_int_equal(peer_record_open(env, len, &out, &reason), -1);
    assert_string_equal(reason, "bad signature");
}

static void test_record_signed_by_one_key_naming_another_peer_is_refused(void **state) {
    (void)state;
    identity alice;
    identity bob;
    seeded_identity(&alice, 8);
    seeded_identity(&bob, 9);
    uint8_t payload[HEX_BYTES_MAX];
    pb_writer w;
    pb_writer_init(&w, payload, sizeof payload);
    payload_peer_id(&w, &bob);
    pb_write_varint_field(&w, 2, 3);
    payload_address(&w, addr_local, sizeof addr_local);
    peer_record out;
    const char *reason = NULL;
    assert_int_equal(open_forged_payload(&alice, payload, w.len, &out, &reason), -1);
    assert_string_equal(reason, "record peer id is not the signer's");
    assert_zeroed(&out);
    assert_int_equal(open_forged_payload(&bob, payload, w.len, &out, &reason), 0);
}

static void test_other_payload_types_are_refused_even_when_signed(void **state) {
    (void)state;
    identity id;
    seeded_identity(&id, 10);
    uint8_t payload[HEX_BYTES_MAX];
    pb_writer w;
    payload_start(&w, payload, sizeof payload, &id);
    const uint8_t varint_form[] = {0x81, 0x06}; /* 0x0301 as an unsigned varint */
    const uint8_t swapped[] = {0x01, 0x03};
    const uint8_t longer[] = {0x03, 0x01, 0x00};
    static const char rust_legacy[] = "/libp2p/routing-state-record";
    const struct {
        const uint8_t *bytes;
        size_t len;
    } types[] = {
        {varint_form, sizeof varint_form},
        {swapped, sizeof swapped},
        {longer, sizeof longer},
        {type_peer_record, 1},
        {type_peer_record, 0},
        {(const uint8_t *)rust_legacy, sizeof rust_legacy - 1},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        forged f = forged_peer_record(&id, payload, w.len);
        f.type = types[i].bytes;
        f.type_len = types[i].len;
        uint8_t env[HEX_BYTES_MAX];
        size_t len = forge(&f, env, sizeof env);
        peer_record out;
        const char *reason = NULL;
        assert_int_equal(peer_record_open(env, len, &out, &reason), -1);
        assert_string_equal(reason, "wrong payload type");
    }
}

/* ---- hostile envelopes ---- */

static void test_every_truncation_is_refused(void **state) {
    (void)state;
    identity id;
    vectors_spec_identity(&id);
    uint8_t env[HEX_BYTES_MAX];
    size_t len = vectors_hex(js_sealed_hex, env, sizeof env);
    peer_record out;
    for (size_t cut = 0; cut < len; cut++) {
        const char *reason = NULL;
        assert_int_equal(peer_record_open(env, cut, &out, &reason), -1);
        assert_non_null(reason);
        assert_zeroed(&out);
    }
    assert_int_equal(peer_record_open(NULL, 0, &out, NULL), -1);
    assert_int_equal(peer_record_open(env, len, &out, NULL), 0);
}

static void test_oversized_envelope_is_refused_before_parsing(void **state) {
    (void)state;
    uint8_t env[PEER_RECORD_ENVELOPE_MAX + 1];
    size_t len = vectors_hex(js_sealed_hex, env, sizeof env);
    /* pad with an unknown varint field 6 (tag 0x30) and zero values */
    for (size_t i = len; i + 1 < sizeof env; i += 2) {
        env[i] = 0x30;
        env[i + 1] = 0x00;
    }
    env[sizeof env - 1] = 0x00;
    peer_record out;
    const char *reason = NULL;
    assert_int_equal(peer_record_open(env, sizeof env, &out, &reason), -1);
    assert_string_equal(reason, "envelope too large");
    /* the same unknown fields within the limit are skipped */
    assert_int_equal(peer_record_open(env, PEER_RECORD_ENVELOPE_MAX, &out, &reason), 0);
}

static void test_envelope_fields_twice_or_of_the_wrong_wire_type_are_refused(void **state) {
    (void)state;
    uint8_t good[HEX_BYTES_MAX];
    size_t len = vectors_hex(js_sealed_hex, good, sizeof good);
    uint8_t env[HEX_BYTES_MAX];
    peer_record out;
    const char *reason = NULL;

    /* payload_type given twice, the second copy appended after the signature */
    memcpy(env, good, len);
    const uint8_t again[] = {0x12, 0x02, 0x03, 0x01};
    memcpy(env + len, again, sizeof again);
    assert_int_equal(peer_record_open(env, len + sizeof again, &out, &reason), -1);
    assert_string_equal(reason, "malformed envelope");

    /* public_key as a varint: tag 0x08 then the varint 0x24, leaving junk */
    memcpy(env, good, len);
    env[0] = 0x08;
    assert_int_equal(peer_record_open(env, len, &out, &reason), -1);
    assert_string_equal(reason, "malformed envelope");

    /* an unknown varint field anywhere is skipped */
    const uint8_t unknown[] = {0x30, 0x07};
    memcpy(env, unknown, sizeof unknown);
    memcpy(env + sizeof unknown, good, len);
    assert_int_equal(peer_record_open(env, len + sizeof unknown, &out, &reason), 0);

    /* no public key at all */
    assert_int_equal(peer_record_open(good + 38, len - 38, &out, &reason), -1);
    assert_string_equal(reason, "envelope has no public key");

    /* no signature: everything before field 5 */
    assert_int_equal(peer_record_open(good, len - 66, &out, &reason), -1);
    assert_string_equal(reason, "missing or malformed signature");

    /* the signature in field 4, as RFC 0002's text numbers it */
    memcpy(env, good, len);
    env[len - 66] = 0x22;
    assert_int_equal(peer_record_open(env, len, &out, &reason), -1);
    assert_string_equal(reason, "missing or malformed signature");
}

static void test_non_ed25519_keys_are_unsupported(void **state) {
    (void)state;
    identity id;
    seeded_identity(&id, 11);
    uint8_t payload[HEX_BYTES_MAX];
    pb_writer w;
    payload_start(&w, payload, sizeof payload, &id);
    uint8_t key[HEX_BYTES_MAX];
    size_t key_len = vectors_hex(spec_secp256k1_public_hex, key, sizeof key);
    forged f = forged_peer_record(&id, payload, w.len);
    f.key_proto = key;
    f.key_proto_len = key_len;
    uint8_t env[HEX_BYTES_MAX];
    size_t len = forge(&f, env, sizeof env);
    peer_record out;
    const char *reason = NULL;
    assert_int_equal(peer_record_open(env, len, &out, &reason), -1);
    assert_string_equal(reason, "unsupported key type");

    /* an Ed25519 key of 31 bytes is broken, not unsupported */
    uint8_t short_key[IDENTITY_PUBLIC_PROTO_BYTES];
    identity_public_proto_encode(id.public_key, short_key);
    short_key[3] = 31;
    f.key_proto = short_key;
    f.key_proto_len = sizeof short_key - 1;
    len = forge(&f, env, sizeof env);
    assert_int_equal(peer_record_open(env, len, &out, &reason), -1);
    assert_string_equal(reason, "malformed public key");
}

/* ---- the PeerRecord inside ---- */

static void test_record_with_20_addresses_keeps_the_first_8(void **state) {
    (void)state;
    identity id;
    seeded_identity(&id, 12);
    uint8_t payload[HEX_BYTES_MAX];
    pb_writer w;
    payload_start(&w, payload, sizeof payload, &id);
    pb_write_varint_field(&w, 2, 99);
    for (uint16_t port = 1; port <= 20; port++) {
        uint8_t addr[8];
        ip4_tcp(addr, port);
        payload_address(&w, addr, sizeof addr);
    }
    assert_true(pb_writer_ok(&w));
    peer_record out;
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, NULL), 0);
    assert_int_equal(out.addr_count, PEER_RECORD_ADDRS_MAX);
    assert_int_equal(PEER_RECORD_ADDRS_MAX, 8);
    for (uint16_t i = 0; i < PEER_RECORD_ADDRS_MAX; i++) {
        uint8_t addr[8];
        ip4_tcp(addr, (uint16_t)(i + 1));
        assert_int_equal(out.addr_lens[i], sizeof addr);
        assert_memory_equal(out.addrs[i], addr, sizeof addr);
    }
    assert_true(out.seq == 99);
}

static void test_empty_and_overlong_addresses_are_skipped(void **state) {
    (void)state;
    identity id;
    seeded_identity(&id, 13);
    uint8_t payload[HEX_BYTES_MAX];
    pb_writer w;
    payload_start(&w, payload, sizeof payload, &id);
    uint8_t longest[PEER_RECORD_ADDR_BYTES_MAX + 1];
    memset(longest, 0x04, sizeof longest);
    payload_address(&w, longest, sizeof longest);         /* 65 bytes: skipped */
    payload_address(&w, addr_local, sizeof addr_local);
    payload_address(&w, addr_local, 0);                   /* empty: skipped */
    pb_write_bytes_field(&w, 3, NULL, 0);                 /* AddressInfo{}: skipped */
    payload_address(&w, longest, PEER_RECORD_ADDR_BYTES_MAX); /* 64 bytes: kept */
    payload_address(&w, addr_doc, sizeof addr_doc);
    peer_record out;
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, NULL), 0);
    assert_int_equal(out.addr_count, 3);
    assert_memory_equal(out.addrs[0], addr_local, sizeof addr_local);
    assert_int_equal(out.addr_lens[1], PEER_RECORD_ADDR_BYTES_MAX);
    assert_memory_equal(out.addrs[1], longest, PEER_RECORD_ADDR_BYTES_MAX);
    assert_memory_equal(out.addrs[2], addr_doc, sizeof addr_doc);
    assert_true(out.seq == 0); /* absent seq */
}

static void test_record_fields_are_read_strictly(void **state) {
    (void)state;
    identity id;
    seeded_identity(&id, 14);
    uint8_t payload[HEX_BYTES_MAX];
    pb_writer w;
    peer_record out;
    const char *reason = NULL;

    /* unknown fields in the record and in an AddressInfo are skipped */
    pb_writer_init(&w, payload, sizeof payload);
    pb_write_varint_field(&w, 9, 1);
    payload_peer_id(&w, &id);
    uint8_t info[] = {0x10, 0x01, 0x0a, 0x08, 0x04, 127, 0, 0, 1, 0x06, 0x0f, 0xa1};
    pb_write_bytes_field(&w, 3, info, sizeof info);
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, &reason), 0);
    assert_int_equal(out.addr_count, 1);
    assert_memory_equal(out.addrs[0], addr_local, sizeof addr_local);

    /* seq twice */
    pb_writer_init(&w, payload, sizeof payload);
    payload_peer_id(&w, &id);
    pb_write_varint_field(&w, 2, 1);
    pb_write_varint_field(&w, 2, 2);
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, &reason), -1);
    assert_string_equal(reason, "malformed record");

    /* seq as bytes */
    pb_writer_init(&w, payload, sizeof payload);
    payload_peer_id(&w, &id);
    pb_write_bytes_field(&w, 2, (const uint8_t *)"\x01", 1);
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, &reason), -1);
    assert_string_equal(reason, "malformed record");

    /* peer_id twice */
    pb_writer_init(&w, payload, sizeof payload);
    payload_peer_id(&w, &id);
    payload_peer_id(&w, &id);
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, &reason), -1);
    assert_string_equal(reason, "malformed record");

    /* no peer_id */
    pb_writer_init(&w, payload, sizeof payload);
    pb_write_varint_field(&w, 2, 1);
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, &reason), -1);
    assert_string_equal(reason, "record has no peer id");

    /* a peer_id that is no multihash */
    pb_writer_init(&w, payload, sizeof payload);
    const uint8_t short_digest[] = {0x00, 0x05, 'a', 'b'}; /* claims 5 bytes, has 2 */
    pb_write_bytes_field(&w, 1, short_digest, sizeof short_digest);
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, &reason), -1);
    assert_string_equal(reason, "record peer id is not a peer id");

    /* an AddressInfo with its multiaddr twice, or as a varint */
    uint8_t twice[] = {0x0a, 0x01, 0x04, 0x0a, 0x01, 0x04};
    uint8_t as_varint[] = {0x08, 0x04};
    pb_writer_init(&w, payload, sizeof payload);
    payload_peer_id(&w, &id);
    pb_write_bytes_field(&w, 3, twice, sizeof twice);
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, &reason), -1);
    assert_string_equal(reason, "malformed record");
    pb_writer_init(&w, payload, sizeof payload);
    payload_peer_id(&w, &id);
    pb_write_bytes_field(&w, 3, as_varint, sizeof as_varint);
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, &reason), -1);
    assert_string_equal(reason, "malformed record");

    /* addresses as a varint; a truncated record */
    pb_writer_init(&w, payload, sizeof payload);
    payload_peer_id(&w, &id);
    pb_write_varint_field(&w, 3, 4);
    assert_int_equal(open_forged_payload(&id, payload, w.len, &out, &reason), -1);
    assert_string_equal(reason, "malformed record");
    pb_writer_init(&w, payload, sizeof payload);
    payload_peer_id(&w, &id);
    assert_int_equal(open_forged_payload(&id, payload, w.len - 1, &out, &reason), -1);
    assert_string_equal(reason, "malformed record");
}

/* ---- interop with go-libp2p ---- */

static void test_go_libp2p_envelope_opens_to_its_record(void **state) {
    (void)state;
    uint8_t env[HEX_BYTES_MAX];
    size_t len = vectors_hex(go_envelope_hex, env, sizeof env);
    assert_int_equal(len, 281);
    uint8_t priv[HEX_BYTES_MAX];
    size_t priv_len = vectors_hex(go_private_hex, priv, sizeof priv);
    identity signer;
    assert_int_equal(identity_private_proto_decode(priv, priv_len, &signer), 0);

    peer_record out;
    const char *reason = NULL;
    assert_int_equal(peer_record_open(env, len, &out, &reason), 0);
    peer_id expected_id;
    peer_id_from_public_key(signer.public_key, &expected_id);
    assert_true(peer_id_equal(&out.id, &expected_id));
    assert_true(out.seq == go_seq);
    /* ten addresses /ip4/1.2.3.4/tcp/N: the first eight are kept */
    assert_int_equal(out.addr_count, 8);
    for (uint8_t i = 0; i < 8; i++) {
        const uint8_t addr[] = {0x04, 1, 2, 3, 4, 0x06, 0x00, i};
        assert_int_equal(out.addr_lens[i], sizeof addr);
        assert_memory_equal(out.addrs[i], addr, sizeof addr);
    }
}

/* The RFC says "libp2p-routing-state"; go signed "libp2p-peer-record". */
static void test_go_libp2p_signs_under_libp2p_peer_record_not_the_rfc_domain(void **state) {
    (void)state;
    uint8_t env[HEX_BYTES_MAX];
    vectors_hex(go_envelope_hex, env, sizeof env);
    const uint8_t *public_key = env + 6;
    const uint8_t *signature = env + GO_PAYLOAD_OFFSET + GO_PAYLOAD_LEN + 2;
    const char *domains[] = {"libp2p-peer-record", "libp2p-routing-state"};
    for (size_t d = 0; d < 2; d++) {
        uint8_t buf[HEX_BYTES_MAX];
        size_t n = 0;
        buf[n++] = (uint8_t)strlen(domains[d]);
        memcpy(buf + n, domains[d], strlen(domains[d]));
        n += strlen(domains[d]);
        const uint8_t type_and_payload_len[] = {0x02, 0x03, 0x01, 0xaa, 0x01};
        memcpy(buf + n, type_and_payload_len, sizeof type_and_payload_len);
        n += sizeof type_and_payload_len;
        memcpy(buf + n, env + GO_PAYLOAD_OFFSET, GO_PAYLOAD_LEN);
        n += GO_PAYLOAD_LEN;
        assert_int_equal(identity_verify(public_key, buf, n, signature), d == 0 ? 0 : -1);
    }
}

/* Our encoding of go's record (first eight addresses) is a prefix of go's
 * payload: same field order, same peer ID bytes, same varints. */
static void test_sealing_the_go_record_reproduces_go_payload_bytes(void **state) {
    (void)state;
    uint8_t go_env[HEX_BYTES_MAX];
    size_t go_len = vectors_hex(go_envelope_hex, go_env, sizeof go_env);
    uint8_t priv[HEX_BYTES_MAX];
    size_t priv_len = vectors_hex(go_private_hex, priv, sizeof priv);
    identity signer;
    assert_int_equal(identity_private_proto_decode(priv, priv_len, &signer), 0);
    peer_record rec;
    assert_int_equal(peer_record_open(go_env, go_len, &rec, NULL), 0);

    uint8_t env[PEER_RECORD_ENVELOPE_MAX];
    size_t len = peer_record_seal(&signer, &rec, env, sizeof env);
    assert_true(len > 0);
    /* the public key and payload type fields are go's, byte for byte */
    assert_memory_equal(env, go_env, 38 + 4);
    pb_reader r;
    pb_reader_init(&r, env, len);
    pb_field field;
    const uint8_t *payload = NULL;
    size_t payload_len = 0;
    while (pb_next(&r, &field) == PB_FIELD) {
        if (field.number == 3) {
            payload = field.bytes;
            payload_len = field.len;
        }
    }
    assert_non_null(payload);
    assert_int_equal(payload_len, GO_PAYLOAD_LEN - 2 * 12);
    assert_memory_equal(payload, go_env + GO_PAYLOAD_OFFSET, payload_len);
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_then_open_round_trips_id_seq_and_addresses),
        cmocka_unit_test(test_seal_produces_the_exact_bytes_js_libp2p_produces),
        cmocka_unit_test(test_seal_leaves_out_a_zero_seq_like_proto3),
        cmocka_unit_test(test_seal_of_no_addresses_opens_to_no_addresses),
        cmocka_unit_test(test_seal_fills_exactly_its_length_and_refuses_a_byte_less),
        cmocka_unit_test(test_seal_refuses_records_it_could_not_open),
        cmocka_unit_test(test_largest_record_fits_in_an_envelope),
        cmocka_unit_test(test_every_changed_bit_of_a_sealed_envelope_is_refused),
        cmocka_unit_test(test_signature_under_the_rfc_domain_is_refused),
        cmocka_unit_test(test_record_signed_by_one_key_naming_another_peer_is_refused),
        cmocka_unit_test(test_other_payload_types_are_refused_even_when_signed),
        cmocka_unit_test(test_every_truncation_is_refused),
        cmocka_unit_test(test_oversized_envelope_is_refused_before_parsing),
        cmocka_unit_test(test_envelope_fields_twice_or_of_the_wrong_wire_type_are_refused),
        cmocka_unit_test(test_non_ed25519_keys_are_unsupported),
        cmocka_unit_test(test_record_with_20_addresses_keeps_the_first_8),
        cmocka_unit_test(test_empty_and_overlong_addresses_are_skipped),
        cmocka_unit_test(test_record_fields_are_read_strictly),
        cmocka_unit_test(test_go_libp2p_envelope_opens_to_its_record),
        cmocka_unit_test(test_go_libp2p_signs_under_libp2p_peer_record_not_the_rfc_domain),
        cmocka_unit_test(test_sealing_the_go_record_reproduces_go_payload_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
