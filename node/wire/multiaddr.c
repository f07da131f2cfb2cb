/*
 * multiaddr: text and binary forms of /ip4/A.B.C.D/tcp/PORT[/p2p/PEERID]
 * (multiformats/multiaddr). See multiaddr.h.
 *
 * Both parsers accept only the canonical spelling, so that parse followed by
 * format (or decode followed by encode) gives back the input exactly: decimal
 * numbers without leading zeros or signs, no empty or trailing components,
 * minimal varints, and nothing after the last component.
 */
#include "multiaddr.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "base/varint.h"

enum {
    MULTIADDR_IP4_BYTES = 4,
    MULTIADDR_PORT_BYTES = 2,
    MULTIADDR_OCTET_MAX = 255,
    MULTIADDR_PORT_MAX = 65535,
    MULTIADDR_DECIMAL_DIGITS_MAX = 5, /* "65535": longer never fits */
};

/* One '/'-separated component of the text form: a view into the input. */
typedef struct multiaddr_token {
    const char *start;
    size_t len;
} multiaddr_token;

/* Takes the component after the '/' at *pos; -1 if there is no '/' there. */
static int multiaddr_next_token(const char *text, size_t len, size_t *pos, multiaddr_token *tok) {
    assert(*pos <= len);
    if (*pos == len || text[*pos] != '/') return -1;
    size_t start = *pos + 1;
    size_t end = start;
    while (end < len && text[end] != '/') end++;
    tok->start = text + start;
    tok->len = end - start;
    *pos = end;
    return 0;
}

static bool multiaddr_token_is(const multiaddr_token *tok, const char *word) {
    size_t word_len = strlen(word);
    return tok->len == word_len && memcmp(tok->start, word, word_len) == 0;
}

/* A canonical decimal number in [0, max]: digits only, no leading zero. */
static int multiaddr_parse_decimal(const char *s, size_t len, uint32_t max, uint32_t *value) {
    assert(s != NULL);
    assert(value != NULL);
    if (len == 0 || len > MULTIADDR_DECIMAL_DIGITS_MAX) return -1;
    if (len > 1 && s[0] == '0') return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v > max) return -1;
    *value = v;
    return 0;
}

/* Dotted quad: exactly four canonical octets. */
static int multiaddr_parse_ip4(const multiaddr_token *tok, uint8_t ip4[MULTIADDR_IP4_BYTES]) {
    size_t pos = 0;
    for (int i = 0; i < MULTIADDR_IP4_BYTES; i++) {
        size_t start = pos;
        while (pos < tok->len && tok->start[pos] != '.') pos++;
        const char *digits = tok->start + start;
        uint32_t octet;
        size_t digit_count = pos - start;
        int rc = multiaddr_parse_decimal(digits, digit_count, MULTIADDR_OCTET_MAX, &octet);
        if (rc != 0) return -1;
        ip4[i] = (uint8_t)octet;
        bool last = i == MULTIADDR_IP4_BYTES - 1;
        if (last != (pos == tok->len)) return -1; /* too few or too many dots */
        pos++;
    }
    return 0;
}

/* The /p2p/ value goes through peer_id_from_text, which wants a string. */
static int multiaddr_parse_peer(const multiaddr_token *tok, peer_id *peer) {
    char text[PEER_ID_TEXT_MAX];
    if (tok->len == 0 || tok->len >= sizeof text) return -1;
    memcpy(text, tok->start, tok->len);
    text[tok->len] = '\0';
    return peer_id_from_text(text, peer);
}

/* Takes the next component and requires it to be the protocol name word. */
static int multiaddr_expect_word(const char *text, size_t len, size_t *pos, const char *word) {
    multiaddr_token tok;
    if (multiaddr_next_token(text, len, pos, &tok) != 0) return -1;
    return multiaddr_token_is(&tok, word) ? 0 : -1;
}

int multiaddr_parse(const char *text, multiaddr *out) {
    assert(text != NULL);
    assert(out != NULL);
    size_t len = strnlen(text, MULTIADDR_TEXT_MAX);
    if (len == MULTIADDR_TEXT_MAX) return -1;
    multiaddr ma;
    memset(&ma, 0, sizeof ma);
    multiaddr_token tok;
    uint32_t port;
    size_t pos = 0;
    if (multiaddr_expect_word(text, len, &pos, "ip4") != 0) return -1;
    if (multiaddr_next_token(text, len, &pos, &tok) != 0) return -1;
    if (multiaddr_parse_ip4(&tok, ma.ip4) != 0) return -1;
    if (multiaddr_expect_word(text, len, &pos, "tcp") != 0) return -1;
    if (multiaddr_next_token(text, len, &pos, &tok) != 0) return -1;
    if (multiaddr_parse_decimal(tok.start, tok.len, MULTIADDR_PORT_MAX, &port) != 0) return -1;
    ma.port = (uint16_t)port;
    if (pos < len) {
        if (multiaddr_expect_word(text, len, &pos, "p2p") != 0) return -1;
        if (multiaddr_next_token(text, len, &pos, &tok) != 0) return -1;
        if (multiaddr_parse_peer(&tok, &ma.peer) != 0) return -1;
        ma.has_peer = true;
    }
    if (pos != len) return -1; /* anything after the last component */
    *out = ma;
    return 0;
}

int multiaddr_format(const multiaddr *ma, char *out, size_t cap) {
    assert(ma != NULL);
    assert(out != NULL || cap == 0);
    if (cap == 0) return -1;
    const uint8_t *ip = ma->ip4;
    int n = snprintf(out, cap, "/ip4/%u.%u.%u.%u/tcp/%u", (unsigned)ip[0], (unsigned)ip[1],
                     (unsigned)ip[2], (unsigned)ip[3], (unsigned)ma->port);
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return -1;
    }
    if (!ma->has_peer) return 0;
    char peer_text[PEER_ID_TEXT_MAX];
    if (peer_id_to_text(&ma->peer, peer_text, sizeof peer_text) != 0) {
        out[0] = '\0';
        return -1;
    }
    int m = snprintf(out + n, cap - (size_t)n, "/p2p/%s", peer_text);
    if (m < 0 || (size_t)m >= cap - (size_t)n) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* Appends bytes at *pos if they fit; records failure in *ok otherwise. */
static void multiaddr_put(uint8_t *out, size_t cap, size_t *pos, bool *ok, const uint8_t *bytes,
                          size_t len) {
    if (!*ok || len > cap - *pos) {
        *ok = false;
        return;
    }
    memcpy(out + *pos, bytes, len);
    *pos += len;
}

static void multiaddr_put_varint(uint8_t *out, size_t cap, size_t *pos, bool *ok, uint64_t v) {
    uint8_t tmp[VARINT_MAX_BYTES];
    size_t n = varint_encode(v, tmp);
    multiaddr_put(out, cap, pos, ok, tmp, n);
}

size_t multiaddr_encode(const multiaddr *ma, uint8_t *out, size_t cap) {
    assert(ma != NULL);
    assert(out != NULL || cap == 0);
    assert(!ma->has_peer || ma->peer.len <= PEER_ID_MAX_BYTES);
    size_t pos = 0;
    bool ok = true;
    const uint8_t port_be[MULTIADDR_PORT_BYTES] = {(uint8_t)(ma->port >> 8), (uint8_t)ma->port};
    multiaddr_put_varint(out, cap, &pos, &ok, MULTIADDR_CODE_IP4);
    multiaddr_put(out, cap, &pos, &ok, ma->ip4, MULTIADDR_IP4_BYTES);
    multiaddr_put_varint(out, cap, &pos, &ok, MULTIADDR_CODE_TCP);
    multiaddr_put(out, cap, &pos, &ok, port_be, MULTIADDR_PORT_BYTES);
    if (ma->has_peer) {
        multiaddr_put_varint(out, cap, &pos, &ok, MULTIADDR_CODE_P2P);
        multiaddr_put_varint(out, cap, &pos, &ok, ma->peer.len);
        multiaddr_put(out, cap, &pos, &ok, ma->peer.bytes, ma->peer.len);
    }
    assert(pos <= cap);
    return ok ? pos : 0;
}

/* Reads a varint at *pos and requires it to equal expected. */
static int multiaddr_expect_varint(const uint8_t *in, size_t len, size_t *pos, uint64_t expected) {
    uint64_t v;
    int n = varint_decode(in + *pos, len - *pos, &v);
    if (n <= 0 || v != expected) return -1;
    *pos += (size_t)n;
    return 0;
}

int multiaddr_decode(const uint8_t *in, size_t len, multiaddr *out) {
    assert(out != NULL);
    if (in == NULL) return -1;
    multiaddr ma;
    memset(&ma, 0, sizeof ma);
    size_t pos = 0;
    if (multiaddr_expect_varint(in, len, &pos, MULTIADDR_CODE_IP4) != 0) return -1;
    if (len - pos < MULTIADDR_IP4_BYTES) return -1;
    memcpy(ma.ip4, in + pos, MULTIADDR_IP4_BYTES);
    pos += MULTIADDR_IP4_BYTES;
    if (multiaddr_expect_varint(in, len, &pos, MULTIADDR_CODE_TCP) != 0) return -1;
    if (len - pos < MULTIADDR_PORT_BYTES) return -1;
    ma.port = (uint16_t)((in[pos] << 8) | in[pos + 1]);
    pos += MULTIADDR_PORT_BYTES;
    if (pos < len) {
        if (multiaddr_expect_varint(in, len, &pos, MULTIADDR_CODE_P2P) != 0) return -1;
        uint64_t peer_len;
        int n = varint_decode(in + pos, len - pos, &peer_len);
        if (n <= 0) return -1;
        pos += (size_t)n;
        /* The peer ID must end the address exactly: nothing may follow it. */
        if (peer_len != len - pos) return -1;
        if (peer_id_from_bytes(in + pos, len - pos, &ma.peer) != 0) return -1;
        ma.has_peer = true;
    }
    *out = ma;
    return 0;
}
