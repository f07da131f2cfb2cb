/* interop_run: a gossipsub-interop script on one node, for any runtime. See interop_run.h. */
#include "interop_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/time_units.h"

int interop_node_config(const interop_script *script, uint32_t node_id, const char *path, gossipsub_config *gossip,
                        pubsub_options *pubsub, const interop_instruction **init, char *err, size_t cap) {
    *init = NULL;
    interop_gossipsub_default(gossip);
    for (size_t i = 0; i < script->count && *init == NULL; i++) {
        const interop_instruction *in = interop_effective(&script->items[i], node_id);
        if (in != NULL && in->kind == INTEROP_INIT_GOSSIPSUB) *init = in;
    }
    if (*init != NULL) *gossip = *(*init)->gossipsub;
    gossip->message_id = PUBSUB_MESSAGE_ID_FIRST_8_BYTES;
    pubsub->signature_policy = PUBSUB_STRICT_NO_SIGN;
    for (size_t i = 0; i < script->count; i++) {
        const interop_instruction *in = interop_effective(&script->items[i], node_id);
        if (in == NULL || in->kind != INTEROP_SET_VALIDATION_DELAY) continue;
        size_t k = 0;
        while (k < pubsub->topic_delay_count && strcmp(pubsub->topic_delays[k].topic, in->topic) != 0) k++;
        if (k == PUBSUB_TOPIC_DELAYS_MAX) {
            snprintf(err, cap, "%s: line %u: validation delays for more than %d topics", path, in->line,
                     PUBSUB_TOPIC_DELAYS_MAX);
            return -1;
        }
        if (k == pubsub->topic_delay_count) pubsub->topic_delay_count++;
        snprintf(pubsub->topic_delays[k].topic, sizeof pubsub->topic_delays[k].topic, "%s", in->topic);
        pubsub->topic_delays[k].delay_ns = in->delay_ns;
    }
    const char *bad = pubsub_options_check(pubsub);
    if (bad != NULL) {
        snprintf(err, cap, "%s: %s", path, bad);
        return -1;
    }
    return 0;
}

const interop_instruction *interop_next(const interop_script *script, size_t *next, uint32_t node_id,
                                        uint64_t elapsed_ns, uint64_t *due_ns) {
    while (*next < script->count) {
        const interop_instruction *in = interop_effective(&script->items[*next], node_id);
        if (in != NULL && in->kind == INTEROP_WAIT_UNTIL && elapsed_ns < in->elapsed_ns) {
            *due_ns = in->elapsed_ns;
            return NULL;
        }
        (*next)++;
        if (in != NULL && in->kind != INTEROP_WAIT_UNTIL && in->kind != INTEROP_IF_NODE_ID_EQUALS) return in;
    }
    *due_ns = UINT64_MAX;
    return NULL;
}

uint8_t *interop_message_data(const interop_instruction *publish) {
    uint8_t *data = calloc(1, publish->message_bytes);
    if (data == NULL) return NULL;
    for (int k = 0; k < 8; k++) data[k] = (uint8_t)(publish->message_id >> (56 - 8 * k));
    return data;
}

/* ---- the spec's JSON lines ---------------------------------------------- */

/* The civil date of a day count since 1970-01-01 (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* {"time":"2006-01-02T15:04:05.999999999Z","level":"INFO","msg":MSG (RFC 3339, UTC, as go's slog). */
static void line_start(buf *b, uint64_t unix_ns, const char *msg) {
    uint64_t s = unix_ns / NS_PER_S;
    int64_t y;
    unsigned mo, d;
    civil_from_days((int64_t)(s / 86400), &y, &mo, &d);
    unsigned sec = (unsigned)(s % 86400);
    char text[64];
    snprintf(text, sizeof text, "%04lld-%02u-%02uT%02u:%02u:%02u.%09lluZ", (long long)y, mo, d, sec / 3600,
             sec / 60 % 60, sec % 60, (unsigned long long)(unix_ns % NS_PER_S));
    buf_clear(b);
    buf_append(b, "{\"time\":", 8);
    json_put_text(b, text);
    buf_append(b, ",\"level\":\"INFO\",\"msg\":", 22);
    json_put_text(b, msg);
}

static void put_field(buf *b, const char *key) {
    buf_append(b, ",", 1);
    json_put_text(b, key);
    buf_append(b, ":", 1);
}

static void line_end(buf *b, interop_line_fn emit, void *user) {
    buf_append(b, "}\n", 2);
    emit(user, b->data, b->len);
}

void interop_line_peer_id(buf *line, uint64_t unix_ns, const peer_id *id, uint32_t node_id, interop_line_fn emit,
                          void *user) {
    char text[PEER_ID_TEXT_MAX];
    peer_id_to_text(id, text, sizeof text);
    line_start(line, unix_ns, "PeerID");
    put_field(line, "id");
    json_put_text(line, text);
    put_field(line, "node_id");
    json_put_u64(line, node_id);
    line_end(line, emit, user);
}

int interop_lines_received(buf *line, pubsub_rpc *scratch, uint64_t unix_ns, const peer_id *from, const uint8_t *rpc,
                           size_t len, interop_line_fn emit, void *user) {
    if (pubsub_rpc_decode(rpc, len, scratch) != 0) return -1;
    char from_text[PEER_ID_TEXT_MAX];
    peer_id_to_text(from, from_text, sizeof from_text);
    int lines = 0;
    for (size_t i = 0; i < scratch->message_count; i++) {
        const pubsub_message *m = &scratch->messages[i];
        if (m->data.len < 8) continue; /* no id: go's tracer could not name it either */
        uint64_t id = 0;
        for (int k = 0; k < 8; k++) id = id << 8 | m->data.data[k];
        char id_text[24];
        snprintf(id_text, sizeof id_text, "%llu", (unsigned long long)id);
        line_start(line, unix_ns, "Received Message");
        put_field(line, "service");
        json_put_text(line, "gossipsub");
        put_field(line, "from");
        json_put_text(line, from_text);
        put_field(line, "topic");
        json_put_string(line, m->topic.data, m->topic.len);
        put_field(line, "id");
        json_put_text(line, id_text);
        line_end(line, emit, user);
        lines++;
    }
    return lines;
}
