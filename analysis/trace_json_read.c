/*
 * trace_json_read: trace JSON lines read back (see trace_json_read.h).
 *
 * The reader is a small strict parser for exactly the shape
 * trace/trace_json.c writes: one flat object whose values are strings or
 * numbers; every number but score must be an unsigned integer. Unknown or
 * repeated keys, other value types, missing t/node/event and trailing bytes
 * are errors, because a trace that does not say what we think it says must
 * not turn into plausible-looking metrics.
 */
#include "trace_json_read.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

/* ---- event names ------------------------------------------------------ */

/* The reverse of trace_kind_name(); -1 for an unknown name. */
static int trace_json_kind_from_name(const char *name) {
    for (int kind = 0; kind < TRACE_KIND_COUNT; kind++)
        if (strcmp(trace_kind_name((trace_kind)kind), name) == 0) return kind;
    return -1;
}

/* ---- reader ----------------------------------------------------------- */

typedef enum json_key {
    JSON_KEY_T,
    JSON_KEY_NODE,
    JSON_KEY_EVENT,
    JSON_KEY_MSG_ID,
    JSON_KEY_TOPIC,
    JSON_KEY_PEER,
    JSON_KEY_SIZE,
    JSON_KEY_PAYLOAD_BYTES,
    JSON_KEY_MESSAGE_COUNT,
    JSON_KEY_IHAVE_IDS,
    JSON_KEY_IWANT_IDS,
    JSON_KEY_IDONTWANT_IDS,
    JSON_KEY_GRAFTS,
    JSON_KEY_PRUNES,
    JSON_KEY_CONTROL_BYTES,
    JSON_KEY_SCORE,
    JSON_KEY_REASON,
    JSON_KEY_PROTOCOL,
    JSON_KEY_COUNT
} json_key;

_Static_assert(JSON_KEY_COUNT <= 32, "the keys seen in a line are bits of a uint32_t");

/* What a key takes, and what a value is. A number of digits alone is
 * JSON_UNSIGNED; any other number (a sign, a fraction, an exponent) is
 * JSON_REAL. A JSON_REAL key takes both kinds of number. */
typedef enum json_type { JSON_STRING, JSON_UNSIGNED, JSON_REAL } json_type;

typedef struct json_key_info {
    const char *name;
    json_type type;
    const char *type_error; /* static: the reader's errors are static texts */
} json_key_info;

static const json_key_info json_keys[JSON_KEY_COUNT] = {
    [JSON_KEY_T] = {"t", JSON_UNSIGNED, "\"t\" must be an unsigned integer"},
    [JSON_KEY_NODE] = {"node", JSON_UNSIGNED, "\"node\" must be an unsigned integer"},
    [JSON_KEY_EVENT] = {"event", JSON_STRING, "\"event\" must be a string"},
    [JSON_KEY_MSG_ID] = {"msg_id", JSON_STRING, "\"msg_id\" must be a string"},
    [JSON_KEY_TOPIC] = {"topic", JSON_STRING, "\"topic\" must be a string"},
    [JSON_KEY_PEER] = {"peer", JSON_STRING, "\"peer\" must be a string"},
    [JSON_KEY_SIZE] = {"size", JSON_UNSIGNED, "\"size\" must be an unsigned integer"},
    [JSON_KEY_PAYLOAD_BYTES] = {"payload_bytes", JSON_UNSIGNED, "\"payload_bytes\" must be an unsigned integer"},
    [JSON_KEY_MESSAGE_COUNT] = {"message_count", JSON_UNSIGNED, "\"message_count\" must be an unsigned integer"},
    [JSON_KEY_IHAVE_IDS] = {"ihave_ids", JSON_UNSIGNED, "\"ihave_ids\" must be an unsigned integer"},
    [JSON_KEY_IWANT_IDS] = {"iwant_ids", JSON_UNSIGNED, "\"iwant_ids\" must be an unsigned integer"},
    [JSON_KEY_IDONTWANT_IDS] = {"idontwant_ids", JSON_UNSIGNED, "\"idontwant_ids\" must be an unsigned integer"},
    [JSON_KEY_GRAFTS] = {"grafts", JSON_UNSIGNED, "\"grafts\" must be an unsigned integer"},
    [JSON_KEY_PRUNES] = {"prunes", JSON_UNSIGNED, "\"prunes\" must be an unsigned integer"},
    [JSON_KEY_CONTROL_BYTES] = {"control_bytes", JSON_UNSIGNED, "\"control_bytes\" must be an unsigned integer"},
    [JSON_KEY_SCORE] = {"score", JSON_REAL, "\"score\" must be a number"},
    [JSON_KEY_REASON] = {"reason", JSON_STRING, "\"reason\" must be a string"},
    [JSON_KEY_PROTOCOL] = {"protocol", JSON_STRING, "\"protocol\" must be a string"},
};

/* One parsed value: a string (bytes, NUL-terminated, no NUL inside) or a
 * number, whose text is kept too so that strtod reads exactly it. */
typedef struct json_value {
    json_type type;
    char text[TRACE_JSON_LINE_MAX];
    size_t len;
    uint64_t number;      /* JSON_UNSIGNED, unless out_of_range */
    bool out_of_range;    /* JSON_UNSIGNED past UINT64_MAX */
    double real;          /* any number */
} json_value;

typedef struct json_parser {
    const char *p;
    const char *error;
} json_parser;

static int json_fail(json_parser *j, const char *error) {
    if (j->error == NULL) j->error = error;
    return -1;
}

static void json_skip_space(json_parser *j) {
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n') j->p++;
}

static int json_hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int json_read_hex4(json_parser *j, uint32_t *out) {
    uint32_t value = 0;
    for (int i = 0; i < 4; i++) {
        int digit = json_hex_value(j->p[i]);
        if (digit < 0) return json_fail(j, "bad \\u escape in a string");
        value = value << 4 | (uint32_t)digit;
    }
    j->p += 4;
    *out = value;
    return 0;
}

static int json_put_byte(json_parser *j, json_value *v, uint32_t byte) {
    assert(byte <= 0xff);
    if (v->len + 1 >= sizeof v->text) return json_fail(j, "string too long");
    v->text[v->len++] = (char)byte;
    return 0;
}

/* \uXXXX, with a surrogate pair for code points past the BMP, as UTF-8. */
static int json_read_unicode(json_parser *j, json_value *v) {
    uint32_t cp;
    if (json_read_hex4(j, &cp) != 0) return -1;
    if (cp >= 0xdc00 && cp <= 0xdfff) return json_fail(j, "lone low surrogate in a string");
    if (cp >= 0xd800 && cp <= 0xdbff) {
        uint32_t low;
        if (j->p[0] != '\\' || j->p[1] != 'u') return json_fail(j, "lone high surrogate in a string");
        j->p += 2;
        if (json_read_hex4(j, &low) != 0) return -1;
        if (low < 0xdc00 || low > 0xdfff) return json_fail(j, "bad surrogate pair in a string");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    if (cp == 0) return json_fail(j, "\\u0000 in a string");
    if (cp < 0x80) return json_put_byte(j, v, cp);
    if (cp < 0x800) {
        if (json_put_byte(j, v, 0xc0 | cp >> 6) != 0) return -1;
    } else if (cp < 0x10000) {
        if (json_put_byte(j, v, 0xe0 | cp >> 12) != 0) return -1;
        if (json_put_byte(j, v, 0x80 | (cp >> 6 & 0x3f)) != 0) return -1;
    } else {
        if (json_put_byte(j, v, 0xf0 | cp >> 18) != 0) return -1;
        if (json_put_byte(j, v, 0x80 | (cp >> 12 & 0x3f)) != 0) return -1;
        if (json_put_byte(j, v, 0x80 | (cp >> 6 & 0x3f)) != 0) return -1;
    }
    return json_put_byte(j, v, 0x80 | (cp & 0x3f));
}

static int json_read_escape(json_parser *j, json_value *v) {
    char c = *j->p++;
    switch (c) {
    case '"': return json_put_byte(j, v, '"');
    case '\\': return json_put_byte(j, v, '\\');
    case '/': return json_put_byte(j, v, '/');
    case 'b': return json_put_byte(j, v, '\b');
    case 'f': return json_put_byte(j, v, '\f');
    case 'n': return json_put_byte(j, v, '\n');
    case 'r': return json_put_byte(j, v, '\r');
    case 't': return json_put_byte(j, v, '\t');
    case 'u': return json_read_unicode(j, v);
    default: return json_fail(j, "bad escape in a string");
    }
}

/* A string after its opening quote; bytes >= 0x80 pass through as they are. */
static int json_read_string(json_parser *j, json_value *v) {
    v->type = JSON_STRING;
    v->len = 0;
    for (;;) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '\0') return json_fail(j, "unterminated string");
        j->p++;
        if (c == '"') break;
        if (c < 0x20) return json_fail(j, "control character in a string");
        int rc = c == '\\' ? json_read_escape(j, v) : json_put_byte(j, v, c);
        if (rc != 0) return -1;
    }
    v->text[v->len] = '\0';
    return 0;
}

static bool json_is_digit(char c) { return c >= '0' && c <= '9'; }

/* The digits of the integer part, as an unsigned integer when they fit. */
static void json_read_digits(json_parser *j, json_value *v) {
    v->number = 0;
    v->out_of_range = false;
    for (; json_is_digit(*j->p); j->p++) {
        uint64_t digit = (uint64_t)(*j->p - '0');
        if (v->number > (UINT64_MAX - digit) / 10) v->out_of_range = true;
        else if (!v->out_of_range) v->number = v->number * 10 + digit;
    }
}

/* A JSON number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int json_read_number(json_parser *j, json_value *v) {
    const char *start = j->p;
    bool integral = *j->p != '-';
    if (*j->p == '-') j->p++;
    if (!json_is_digit(*j->p)) return json_fail(j, "bad number");
    if (*j->p == '0' && json_is_digit(j->p[1])) return json_fail(j, "leading zero in a number");
    json_read_digits(j, v);
    if (*j->p == '.') {
        integral = false;
        if (!json_is_digit(*++j->p)) return json_fail(j, "bad number");
        while (json_is_digit(*j->p)) j->p++;
    }
    if (*j->p == 'e' || *j->p == 'E') {
        integral = false;
        j->p++;
        if (*j->p == '+' || *j->p == '-') j->p++;
        if (!json_is_digit(*j->p)) return json_fail(j, "bad number");
        while (json_is_digit(*j->p)) j->p++;
    }
    v->type = integral ? JSON_UNSIGNED : JSON_REAL;
    v->len = (size_t)(j->p - start);
    assert(v->len < sizeof v->text); /* the line itself is shorter */
    memcpy(v->text, start, v->len);
    v->text[v->len] = '\0';
    char *end;
    v->real = strtod(v->text, &end); /* an overflow gives an infinity, refused later */
    assert(end == v->text + v->len);
    return 0;
}

static int json_read_value(json_parser *j, json_value *v) {
    if (*j->p == '"') {
        j->p++;
        return json_read_string(j, v);
    }
    if (json_is_digit(*j->p) || *j->p == '-') return json_read_number(j, v);
    return json_fail(j, "values must be strings or numbers");
}

static int json_key_lookup(const json_value *key) {
    for (int k = 0; k < JSON_KEY_COUNT; k++)
        if (strcmp(json_keys[k].name, key->text) == 0) return k;
    return -1;
}

static int json_copy_text(json_parser *j, const json_value *v, char *out, size_t cap, const char *error) {
    if (v->len >= cap) return json_fail(j, error);
    memcpy(out, v->text, v->len + 1);
    return 0;
}

static int json_apply_msg_id(json_parser *j, const json_value *v, trace_event *e, trace_json_storage *s) {
    if (v->len % 2 != 0 || v->len / 2 > sizeof s->msg_id) return json_fail(j, "bad \"msg_id\": expected hex, at most 128 bytes");
    for (size_t i = 0; i < v->len; i += 2) {
        int hi = json_hex_value(v->text[i]), lo = json_hex_value(v->text[i + 1]);
        if (hi < 0 || lo < 0) return json_fail(j, "bad \"msg_id\": expected hex, at most 128 bytes");
        s->msg_id[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    e->msg_id = v->len == 0 ? NULL : s->msg_id;
    e->msg_id_len = v->len / 2;
    return 0;
}

static int json_apply_string(json_parser *j, json_key key, const json_value *v, trace_event *e,
                             trace_json_storage *s) {
    switch (key) {
    case JSON_KEY_EVENT: {
        int kind = trace_json_kind_from_name(v->text);
        if (kind < 0) return json_fail(j, "unknown \"event\" name");
        e->kind = (trace_kind)kind;
        return 0;
    }
    case JSON_KEY_MSG_ID: return json_apply_msg_id(j, v, e, s);
    case JSON_KEY_TOPIC:
        e->topic = s->topic;
        return json_copy_text(j, v, s->topic, sizeof s->topic, "\"topic\" too long");
    case JSON_KEY_PEER:
        if (peer_id_from_text(v->text, &s->peer) != 0) return json_fail(j, "bad \"peer\": expected a peer id");
        e->peer = s->peer.bytes;
        e->peer_len = s->peer.len;
        return 0;
    case JSON_KEY_REASON:
        e->reason = s->reason;
        return json_copy_text(j, v, s->reason, sizeof s->reason, "\"reason\" too long");
    case JSON_KEY_PROTOCOL:
        e->protocol = s->protocol;
        return json_copy_text(j, v, s->protocol, sizeof s->protocol, "\"protocol\" too long");
    default: assert(0 && "not a string key"); return -1;
    }
}

/* A u32 field: n, or an error naming the key when it does not fit. */
static int json_apply_u32(json_parser *j, json_key key, uint64_t n, uint32_t *out) {
    static const char *const errors[JSON_KEY_COUNT] = {
        [JSON_KEY_NODE] = "\"node\" out of range",
        [JSON_KEY_MESSAGE_COUNT] = "\"message_count\" out of range",
        [JSON_KEY_IHAVE_IDS] = "\"ihave_ids\" out of range",
        [JSON_KEY_IWANT_IDS] = "\"iwant_ids\" out of range",
        [JSON_KEY_IDONTWANT_IDS] = "\"idontwant_ids\" out of range",
        [JSON_KEY_GRAFTS] = "\"grafts\" out of range",
        [JSON_KEY_PRUNES] = "\"prunes\" out of range",
    };
    assert(errors[key] != NULL);
    if (n > UINT32_MAX) return json_fail(j, errors[key]);
    *out = (uint32_t)n;
    return 0;
}

static int json_apply_number(json_parser *j, json_key key, uint64_t n, trace_event *e) {
    switch (key) {
    case JSON_KEY_T: e->time_ns = n; return 0;
    case JSON_KEY_NODE: return json_apply_u32(j, key, n, &e->node_index);
    case JSON_KEY_SIZE: e->size_bytes = n; return 0;
    case JSON_KEY_PAYLOAD_BYTES: e->payload_bytes = n; return 0;
    case JSON_KEY_MESSAGE_COUNT: return json_apply_u32(j, key, n, &e->message_count);
    case JSON_KEY_IHAVE_IDS: return json_apply_u32(j, key, n, &e->ihave_ids);
    case JSON_KEY_IWANT_IDS: return json_apply_u32(j, key, n, &e->iwant_ids);
    case JSON_KEY_IDONTWANT_IDS: return json_apply_u32(j, key, n, &e->idontwant_ids);
    case JSON_KEY_GRAFTS: return json_apply_u32(j, key, n, &e->grafts);
    case JSON_KEY_PRUNES: return json_apply_u32(j, key, n, &e->prunes);
    case JSON_KEY_CONTROL_BYTES: e->control_bytes = n; return 0;
    default: assert(0 && "not an unsigned key"); return -1;
    }
}

/* A value for the key, checked against the key's type. */
static int json_apply_value(json_parser *j, json_key key, const json_value *v, trace_event *e,
                            trace_json_storage *s) {
    json_type wanted = json_keys[key].type;
    if (v->type == JSON_STRING || wanted == JSON_STRING) {
        if (v->type != wanted) return json_fail(j, json_keys[key].type_error);
        return json_apply_string(j, key, v, e, s);
    }
    if (wanted == JSON_REAL) {
        assert(key == JSON_KEY_SCORE);
        if (!isfinite(v->real)) return json_fail(j, "\"score\" out of range");
        e->score = v->real;
        return 0;
    }
    if (v->type == JSON_REAL) return json_fail(j, "numbers must be unsigned integers");
    if (v->out_of_range) return json_fail(j, "number out of range");
    return json_apply_number(j, key, v->number, e);
}

/* One "key": value member; *seen collects the keys met so far. */
static int json_read_member(json_parser *j, json_value *scratch, uint32_t *seen, trace_event *e,
                            trace_json_storage *s) {
    if (*j->p != '"') return json_fail(j, "expected a key");
    j->p++;
    if (json_read_string(j, scratch) != 0) return -1;
    int key = json_key_lookup(scratch);
    if (key < 0) return json_fail(j, "unknown key");
    if (*seen & (1u << key)) return json_fail(j, "repeated key");
    *seen |= 1u << key;
    json_skip_space(j);
    if (*j->p++ != ':') return json_fail(j, "expected ':' after a key");
    json_skip_space(j);
    if (json_read_value(j, scratch) != 0) return -1;
    return json_apply_value(j, (json_key)key, scratch, e, s);
}

static int json_read_object(json_parser *j, trace_event *e, trace_json_storage *s) {
    json_value scratch;
    uint32_t seen = 0;
    json_skip_space(j);
    if (*j->p++ != '{') return json_fail(j, "expected '{'");
    json_skip_space(j);
    for (int members = 0; *j->p != '}'; members++) {
        assert(members <= JSON_KEY_COUNT); /* a repeated key fails first */
        if (members > 0 && *j->p++ != ',') return json_fail(j, "expected ',' or '}'");
        json_skip_space(j);
        if (json_read_member(j, &scratch, &seen, e, s) != 0) return -1;
        json_skip_space(j);
    }
    j->p++;
    json_skip_space(j);
    if (*j->p != '\0') return json_fail(j, "bytes after the object");
    if (!(seen & 1u << JSON_KEY_T)) return json_fail(j, "missing \"t\"");
    if (!(seen & 1u << JSON_KEY_NODE)) return json_fail(j, "missing \"node\"");
    if (!(seen & 1u << JSON_KEY_EVENT)) return json_fail(j, "missing \"event\"");
    return 0;
}

int trace_json_read(const char *line, trace_event *event, trace_json_storage *storage,
                    const char **error) {
    assert(line != NULL);
    assert(event != NULL && storage != NULL && error != NULL);
    *error = NULL;
    memset(event, 0, sizeof *event);
    if (strnlen(line, TRACE_JSON_LINE_MAX) >= TRACE_JSON_LINE_MAX) {
        *error = "line too long";
        return -1;
    }
    json_parser j = {.p = line, .error = NULL};
    if (json_read_object(&j, event, storage) == 0) return 0;
    assert(j.error != NULL);
    *error = j.error;
    memset(event, 0, sizeof *event); /* no half-read event escapes */
    return -1;
}

static bool trace_json_blank(const char *line) {
    for (; *line != '\0'; line++)
        if (*line != ' ' && *line != '\t' && *line != '\r' && *line != '\n') return false;
    return true;
}

long trace_json_read_file(const char *path, void (*fn)(void *user, const trace_event *event),
                          void *user, char *err, size_t err_cap) {
    assert(path != NULL && fn != NULL && err != NULL);
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[TRACE_JSON_LINE_MAX + 1];
    trace_json_storage storage;
    trace_event event;
    long events = 0;
    const char *error = NULL;
    for (unsigned long number = 1; fgets(line, sizeof line, in) != NULL; number++) {
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] != '\n' && !feof(in)) error = "line too long";
        else if (trace_json_blank(line)) continue;
        else if (trace_json_read(line, &event, &storage, &error) == 0) {
            fn(user, &event);
            events++;
            continue;
        }
        snprintf(err, err_cap, "%s:%lu: %s", path, number, error);
        fclose(in);
        return -1;
    }
    bool failed = ferror(in) != 0;
    fclose(in);
    if (failed) {
        snprintf(err, err_cap, "%s: read error", path);
        return -1;
    }
    return events;
}
