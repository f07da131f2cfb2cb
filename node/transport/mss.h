/*
 * mss: multistream-select 1.0 (libp2p/specs connections/README.md), as a
 * state machine fed with bytes.
 *
 * Every message is a varint length prefix followed by a UTF-8 line ending in
 * '\n'. Both sides send "/multistream/1.0.0\n"; the initiator then proposes a
 * protocol and the responder echoes it (accept) or answers "na\n". The
 * initiator proposes its protocols in order until one is accepted.
 *
 * The initiator pipelines: mss_start() emits the header and the first
 * proposal at once. The responder waits for the initiator's header.
 *
 * Bytes that follow the final message belong to the negotiated protocol:
 * mss_feed() reports how many input bytes it consumed and never reads
 * beyond the end of negotiation.
 */
#ifndef SWARMLAB_MSS_H
#define SWARMLAB_MSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define MSS_PROTOCOL_ID "/multistream/1.0.0"
#define MSS_PROTOCOL_NAME_MAX 128 /* longest protocol name accepted, without '\n' */
#define MSS_MESSAGE_MAX 1024      /* longest message accepted (the spec's 64 KiB is generous) */
#define MSS_PROPOSALS_MAX 8       /* protocols an initiator may offer */
#define MSS_ATTEMPTS_MAX 16       /* proposals a responder answers before giving up */

typedef enum mss_status {
    MSS_PENDING = 0, /* negotiation continues: feed more bytes */
    MSS_DONE = 1,    /* mss->selected holds the protocol */
    MSS_FAILED = -1, /* malformed input, or no common protocol */
} mss_status;

typedef struct mss {
    bool initiator;
    int state; /* private */
    /* initiator: protocols to offer, in order of preference */
    char proposals[MSS_PROPOSALS_MAX][MSS_PROTOCOL_NAME_MAX + 1];
    size_t proposal_count;
    size_t proposal_next; /* private */
    /* responder: protocols it accepts (borrowed; must outlive the mss) */
    const char *const *supported;
    size_t supported_count;
    size_t attempts; /* private */
    char selected[MSS_PROTOCOL_NAME_MAX + 1];
    /* private: a partial incoming message */
    uint8_t pending[MSS_MESSAGE_MAX + 10];
    size_t pending_len;
} mss;

/* An initiator offering protocols[0..count-1] (count <= MSS_PROPOSALS_MAX,
 * each name at most MSS_PROTOCOL_NAME_MAX bytes). */
void mss_init_initiator(mss *m, const char *const *protocols, size_t count);
void mss_init_responder(mss *m, const char *const *supported, size_t count);
/* Appends what this side sends first (initiator: header and first
 * proposal; responder: nothing). Returns 0 or -1 if out is full. */
int mss_start(mss *m, buf *out);
/* Consumes bytes from in (at most len; *consumed says how many), appends
 * replies to out, and returns the status. After MSS_DONE or MSS_FAILED no
 * further input is consumed. */
mss_status mss_feed(mss *m, const uint8_t *in, size_t len, size_t *consumed, buf *out);

/* Encodes one message (varint length, text, '\n') into out; 0 or -1. */
int mss_write_message(buf *out, const char *text);

#endif
