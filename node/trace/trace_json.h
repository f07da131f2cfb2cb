/*
 * trace_json: a trace event as a JSON line, one object per event, the
 * format both the world (--trace FILE) and the daemon write and analysis
 * reads back (analysis/trace_json_read.h). docs/trace-format.md documents it:
 *
 *   {"t":1500000000,"node":3,"event":"deliver_message","msg_id":"0024...",
 *    "topic":"blocks","peer":"12D3KooW...","size":1024}
 *
 * Keys that do not apply to an event are left out. msg_id is hex; peer is
 * the base58 peer id. The line is built in a buf: the caller writes it
 * where it goes.
 */
#ifndef SWARMLAB_TRACE_JSON_H
#define SWARMLAB_TRACE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "trace.h"

#define TRACE_JSON_LINE_MAX 2048 /* a line, newline included, is shorter */

/* What a line can hold, so that the reader's storage takes every line
 * written: a msg_id's bytes, and the bytes a string field reads back as,
 * its NUL included. */
#define TRACE_JSON_MSG_ID_MAX 128
#define TRACE_JSON_TOPIC_MAX 260
#define TRACE_JSON_REASON_MAX 128
#define TRACE_JSON_PROTOCOL_MAX 132

/* Appends one event and a newline to out. 0, or -1 with out unchanged: an
 * event that has no line (an unknown kind, a field past its limit, a peer
 * that is not a peer id, a score that is not finite), a line of
 * TRACE_JSON_LINE_MAX bytes or more, or out's limit reached. */
int trace_json_format(buf *out, const trace_event *event);

#endif
