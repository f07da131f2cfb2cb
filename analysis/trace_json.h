/*
 * trace_json: trace events as JSON lines, one object per event, the format
 * both the world (--trace FILE) and the daemon write, and analysis reads.
 * docs/trace-format.md documents it:
 *
 *   {"t":1500000000,"node":3,"event":"deliver_message","msg_id":"0024...",
 *    "topic":"blocks","peer":"12D3KooW...","size":1024}
 *
 * Keys that do not apply to an event are left out. msg_id is hex; peer is
 * the base58 peer id.
 */
#ifndef SWARMLAB_TRACE_JSON_H
#define SWARMLAB_TRACE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/identity.h"
#include "trace/trace.h"

#define TRACE_JSON_LINE_MAX 2048

/* Writes one event and a newline; 0 or -1. */
int trace_json_write(FILE *out, const trace_event *event);

/* Storage for the fields of an event read back: the event's pointers point
 * into it, valid until the next read into the same storage. */
typedef struct trace_json_storage {
    uint8_t msg_id[128];
    char topic[260];
    peer_id peer;
    char reason[128];
    char protocol[132];
} trace_json_storage;

/* Parses one line; 0, or -1 with *error set to a short static text. */
int trace_json_read(const char *line, trace_event *event, trace_json_storage *storage,
                    const char **error);

/* Feeds every event of a JSON-lines file to fn; returns the number of
 * events, or -1 with err filled ("FILE:LINE: what"). */
long trace_json_read_file(const char *path, void (*fn)(void *user, const trace_event *event),
                          void *user, char *err, size_t err_cap);

#endif
