/*
 * json: JSON text written into a buf, the one writer behind every JSON
 * swarmlab outputs (the daemon's replies and events, trace lines,
 * metrics.json). Pure: it formats, the caller writes the bytes where they
 * go.
 *
 * A string is escaped so that any bytes give valid JSON: quote and
 * backslash as \" and \\, control characters (C0 and DEL) as \u00XX with
 * lowercase hex, bytes that are not UTF-8 as \ufffd; valid UTF-8 goes
 * through as it is. A real number is written with the fewest digits (15 to
 * 17) that read back as the same double, and as null when it is not
 * finite (JSON has no NaN or infinity).
 */
#ifndef SWARMLAB_JSON_H
#define SWARMLAB_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JSON_REAL_TEXT_MAX 32 /* "-1.2345678901234567e-308" and a NUL */

/* Each put returns 0, or -1 when the buf's limit was reached (the buf may
 * then hold part of the value: a caller that cares starts the value again). */

/* A quoted, escaped string of len bytes. */
int json_put_string(buf *b, const uint8_t *s, size_t len);
/* The same for a NUL-terminated text. */
int json_put_text(buf *b, const char *text);
int json_put_u64(buf *b, uint64_t value);
int json_put_real(buf *b, double value);

/* The text json_put_real writes; its length. */
size_t json_real_text(double value, char out[JSON_REAL_TEXT_MAX]);

/* The length of the valid UTF-8 sequence at s (1 to 4, at most len), or 0
 * when s does not start one (a stray continuation byte, an overlong form,
 * a surrogate, past U+10FFFF, or cut short by len). len > 0. */
size_t utf8_sequence_len(const uint8_t *s, size_t len);

/* How many bytes the string json_put_string writes for s reads back as:
 * each byte that is not UTF-8 comes back as U+FFFD's three. */
size_t json_string_read_back_len(const uint8_t *s, size_t len);

#endif
