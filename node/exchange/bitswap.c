/*
 * bitswap: the engine's entry points (bitswap.h): peers come and go,
 * messages arrive, the timer fires. Each entry point ends by arming the
 * one timer at the earliest thing due: a fetch's deadline, a want-block's
 * wait, or a retry for answers that did not fit one message.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "bitswap_internal.h"

bitswap *bitswap_create(const bitswap_host *host) {
    assert(host->now_ns != NULL && host->send != NULL && host->get != NULL && host->has != NULL);
    assert(host->put != NULL && host->bad_block != NULL);
    bitswap *b = calloc(1, sizeof *b);
    if (b == NULL) return NULL;
    b->host = *host;
    buf_init(&b->wire, BITSWAP_MESSAGE_MAX_BYTES);
    return b;
}

void bitswap_destroy(bitswap *b) {
    if (b == NULL) return;
    for (size_t i = 0; i < b->peer_count; i++) free(b->peers[i].entries);
    free(b->peers);
    free(b->fetches);
    buf_free(&b->wire);
    free(b);
}

static void bitswap_arm(bitswap *b, uint64_t next_ns) {
    uint64_t now = b->host.now_ns(b->host.user);
    for (size_t i = 0; i < b->peer_count; i++)
        if (b->peers[i].backlog && now + BITSWAP_RETRY_NS < next_ns) next_ns = now + BITSWAP_RETRY_NS;
    if (next_ns != UINT64_MAX && b->host.timer_set != NULL) b->host.timer_set(b->host.user, next_ns);
}

/* The earliest fetch deadline, having ended those past it. */
static uint64_t bitswap_due(bitswap *b) { return bs_client_expire(b, b->host.now_ns(b->host.user)); }

int bitswap_add_peer(bitswap *b, uint32_t peer) {
    if (bs_peer_find(b, peer) != NULL) return 0;
    bs_peer *peers = grow_for_one(b->peers, &b->peer_cap, b->peer_count, sizeof *peers, 8);
    if (peers == NULL) return -1;
    b->peers = peers;
    b->peers[b->peer_count++] = (bs_peer){.handle = peer};
    bs_client_peer_added(b, peer);
    bitswap_arm(b, bitswap_due(b));
    return 0;
}

void bitswap_remove_peer(bitswap *b, uint32_t peer) {
    bs_peer *p = bs_peer_find(b, peer);
    if (p == NULL) return;
    bs_server_forget(b, p);
    *p = b->peers[--b->peer_count];
    bs_client_peer_gone(b, peer);
}

int bitswap_handle_message(bitswap *b, uint32_t peer, const uint8_t *bytes, size_t len) {
    bs_peer *p = bs_peer_find(b, peer);
    if (p == NULL) return -1; /* a stream before the connection was ready: cannot be */
    bitswap_message *msg = malloc(sizeof *msg);
    if (msg == NULL) return 0; /* our trouble, not the peer's fault: the message is lost */
    int rc = bitswap_decode(bytes, len, msg);
    if (rc == 0) rc = bs_client_blocks(b, p, msg); /* -1: the peer is being disconnected */
    if (rc == 0) {
        bs_client_presences(b, peer, msg);
        bs_server_wantlist(b, p, msg);
        if (msg->has_wantlist) bs_server_serve(b, p);
    }
    free(msg);
    bitswap_arm(b, bitswap_due(b));
    return rc;
}

void bitswap_on_timer(bitswap *b) {
    uint64_t next = bitswap_due(b);
    for (size_t i = 0; i < b->peer_count; i++)
        if (b->peers[i].backlog) bs_server_serve(b, &b->peers[i]);
    bitswap_arm(b, next);
}

void bitswap_block_added(bitswap *b, const cid *c) {
    bs_server_block_added(b, c);
    bitswap_arm(b, bitswap_due(b));
}

int bitswap_fetch(bitswap *b, const cid *c, block_fetch_fn done, void *user) {
    buf local;
    buf_init(&local, STORE_BLOCK_MAX);
    int rc = b->host.get(b->host.user, c, &local);
    if (rc == 1) done(user, c, BLOCK_FETCH_STORED, local.data, local.len);
    buf_free(&local);
    if (rc == 1) return 0;
    rc = bs_client_fetch(b, c, done, user);
    bitswap_arm(b, bitswap_due(b));
    return rc;
}

size_t bitswap_peer_wants(const bitswap *b, uint32_t peer) {
    const bs_peer *p = bs_peer_find(b, peer);
    return p != NULL ? p->entry_count : 0;
}

size_t bitswap_fetches(const bitswap *b) { return b->fetch_count; }

uint32_t bitswap_bad_blocks(const bitswap *b, uint32_t peer) {
    const bs_peer *p = bs_peer_find(b, peer);
    return p != NULL ? p->bad_blocks : 0;
}

uint32_t bitswap_withheld(const bitswap *b, uint32_t peer) {
    const bs_peer *p = bs_peer_find(b, peer);
    return p != NULL ? p->withheld : 0;
}
