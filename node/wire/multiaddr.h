/*
 * multiaddr: the addresses the node dials and listens on, in text and binary
 * form (multiformats/multiaddr). Only what the node uses: /ip4/A.B.C.D/tcp/PORT
 * with an optional trailing /p2p/PEERID.
 */
#ifndef SWARMLAB_MULTIADDR_H
#define SWARMLAB_MULTIADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"

#define MULTIADDR_TEXT_MAX 160
#define MULTIADDR_CODE_IP4 0x04
#define MULTIADDR_CODE_TCP 0x06
#define MULTIADDR_CODE_P2P 0x01a5

typedef struct multiaddr {
    uint8_t ip4[4];
    uint16_t port;
    bool has_peer;
    peer_id peer;
} multiaddr;

/* Text form. Parse returns 0 or -1 (anything but ip4/tcp[/p2p] is -1). */
int multiaddr_parse(const char *text, multiaddr *out);
/* Returns 0, or -1 if cap is too small. */
int multiaddr_format(const multiaddr *ma, char *out, size_t cap);
/* Binary form, as identify carries it. Encode returns the length written or
 * 0 if cap is too small; decode returns 0 or -1. */
size_t multiaddr_encode(const multiaddr *ma, uint8_t *out, size_t cap);
int multiaddr_decode(const uint8_t *in, size_t len, multiaddr *out);

#endif
