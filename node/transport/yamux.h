/*
 * yamux: the stream multiplexer of libp2p/specs yamux/README.md (Hashicorp's
 * spec), as a state machine fed with the decrypted bytes of a connection.
 *
 * Frames have a 12-byte header: version (0), type (Data 0, Window Update 1,
 * Ping 2, Go Away 3), flags (SYN 1, ACK 2, FIN 4, RST 8), stream id and
 * length, all big-endian. The client (the dialer) uses odd stream ids, the
 * server even ones. Each stream starts with a 256 KiB receive window.
 *
 * Events reach the owner through a callback, which may call back into the
 * session (open, write, close, reset) while it runs: those calls only
 * append to the session's output and never free a stream that the feed
 * loop is still using.
 */
#ifndef SWARMLAB_YAMUX_H
#define SWARMLAB_YAMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define YAMUX_HEADER_BYTES 12
#define YAMUX_INITIAL_WINDOW (256u * 1024u)
#define YAMUX_STREAMS_MAX 256            /* open streams per connection */
#define YAMUX_STREAM_PENDING_MAX (4u << 20) /* bytes queued per stream beyond the send window: four of the
                                             * largest stream messages, so that a router forwarding large
                                             * messages in a row does not drop the second */
#define YAMUX_SESSION_PENDING_MAX (8u << 20) /* bytes queued in all of a session's streams together */

enum yamux_type { YAMUX_TYPE_DATA = 0, YAMUX_TYPE_WINDOW_UPDATE = 1, YAMUX_TYPE_PING = 2, YAMUX_TYPE_GO_AWAY = 3 };
enum yamux_flag { YAMUX_FLAG_SYN = 1, YAMUX_FLAG_ACK = 2, YAMUX_FLAG_FIN = 4, YAMUX_FLAG_RST = 8 };

typedef enum yamux_event_kind {
    YAMUX_EVENT_STREAM_OPENED, /* the remote opened stream_id */
    YAMUX_EVENT_DATA,          /* data, len bytes on stream_id */
    YAMUX_EVENT_STREAM_FIN,    /* the remote will send no more on stream_id */
    YAMUX_EVENT_STREAM_RESET,  /* stream_id was reset; it is gone */
    YAMUX_EVENT_STREAM_CLOSED, /* both sides closed stream_id; it is gone */
    YAMUX_EVENT_GO_AWAY,       /* the remote is closing the session */
} yamux_event_kind;

typedef struct yamux_event {
    yamux_event_kind kind;
    uint32_t stream_id;
    const uint8_t *data;
    size_t len;
} yamux_event;

typedef void (*yamux_event_fn)(void *user, const yamux_event *event);

typedef struct yamux_stream yamux_stream;   /* private */
typedef struct yamux_private yamux_private; /* private */

typedef struct yamux_session {
    bool client;
    uint32_t next_stream_id;
    yamux_private *priv; /* the stream table and the reader's state */
    size_t stream_count;
    bool go_away_received;
    bool go_away_sent;
    const char *error; /* why the last feed failed */
    yamux_event_fn on_event;
    void *user;
    buf out; /* frames to send; the owner drains it after every call */
    buf inbound; /* private: a partial frame */
} yamux_session;

int yamux_init(yamux_session *s, bool client, yamux_event_fn on_event, void *user);
void yamux_free(yamux_session *s);
/* Feeds connection bytes. Returns 0, or -1 on a protocol error (bad
 * version, unknown type, window overflow; a SYN beyond YAMUX_STREAMS_MAX only
 * gets an RST); s->error says
 * which, and a Go Away with the protocol-error code is already in s->out. */
int yamux_feed(yamux_session *s, const uint8_t *in, size_t len);
/* Opens a stream; 0 with *stream_id, or -1 (too many streams, go away). */
int yamux_open(yamux_session *s, uint32_t *stream_id);
/* Sends on an open stream, honouring the send window; bytes beyond it wait
 * for window updates, up to YAMUX_STREAM_PENDING_MAX in the stream and
 * YAMUX_SESSION_PENDING_MAX in the whole session. 0, or -1 (nothing sent). */
int yamux_write(yamux_session *s, uint32_t stream_id, const uint8_t *bytes, size_t len);
/* Half-closes our side (FIN). 0 or -1. */
int yamux_close(yamux_session *s, uint32_t stream_id);
/* Resets the stream (RST) and forgets it. */
void yamux_reset(yamux_session *s, uint32_t stream_id);
/* Sends Go Away (normal termination). */
void yamux_go_away(yamux_session *s);
bool yamux_stream_exists(const yamux_session *s, uint32_t stream_id);
/* The bytes a write on stream_id may send now (the remote's window for
 * it); 0 for a stream that does not exist. */
uint32_t yamux_send_window(const yamux_session *s, uint32_t stream_id);

#endif
