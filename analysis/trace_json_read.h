/*
 * trace_json_read: trace events read back from JSON lines, the format
 * trace/trace_json.h writes (the world's --trace FILE and the daemon's),
 * for analysis. docs/trace-format.md documents it.
 */
#ifndef SWARMLAB_TRACE_JSON_READ_H
#define SWARMLAB_TRACE_JSON_READ_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"
#include "trace/trace.h"
#include "trace/trace_json.h"

/* Storage for the fields of an event read back: the event's pointers point
 * into it, valid until the next read into the same storage. */
typedef struct trace_json_storage {
    uint8_t msg_id[TRACE_JSON_MSG_ID_MAX];
    char topic[TRACE_JSON_TOPIC_MAX];
    peer_id peer;
    char reason[TRACE_JSON_REASON_MAX];
    char protocol[TRACE_JSON_PROTOCOL_MAX];
} trace_json_storage;

/* Parses one line; 0, or -1 with *error set to a short static text. */
int trace_json_read(const char *line, trace_event *event, trace_json_storage *storage,
                    const char **error);

/* Feeds every event of a JSON-lines file to fn; returns the number of
 * events, or -1 with err filled ("FILE:LINE: what"). */
long trace_json_read_file(const char *path, void (*fn)(void *user, const trace_event *event),
                          void *user, char *err, size_t err_cap);

#endif
