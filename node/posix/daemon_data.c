/* daemon_data: announce and query commands. See daemon_data.h. */
#include "daemon_data.h"

#include <stdlib.h>
#include <string.h>

#include "daemon_output.h"
#include "data/announce.h"
#include "data/query.h"

#define DATA_SPACES " \t"

typedef struct data_query {
    bool used;
    uint64_t id;
    daemon_requester to;
    size_t count;
    char answerers[QUERY_ANSWERS_MAX][PEER_ID_TEXT_MAX];
} data_query;

struct daemon_data {
    announce *announce;
    query *query;
    data_query queries[QUERY_PENDING_MAX];
};

static char *word_of(char **cursor) {
    char *s = *cursor + strspn(*cursor, DATA_SPACES);
    if (*s == '\0') return NULL;
    char *end = s + strcspn(s, DATA_SPACES);
    *cursor = *end != '\0' ? end + 1 : end;
    *end = '\0';
    return s;
}

/* A whole number in [lo, hi] into *out, else false. */
static bool number_of(const char *text, unsigned long lo, unsigned long hi, unsigned long *out) {
    char *end;
    if (text[0] < '0' || text[0] > '9') return false;
    *out = strtoul(text, &end, 10);
    return *end == '\0' && *out >= lo && *out <= hi;
}

static struct daemon_data *data_of(daemon_state *d) {
    if (d->data == NULL) d->data = calloc(1, sizeof *d->data);
    return d->data;
}

static void reply_ok(daemon_state *d, daemon_requester to) {
    daemon_reply reply = {.ok = true};
    daemon_reply_send(d, to, &reply);
}

static void command_announce(daemon_state *d, daemon_requester to, char *args) {
    char *topic = word_of(&args), *target_text = word_of(&args);
    unsigned long target = DAEMON_ANNOUNCE_TARGET_DEFAULT;
    if (topic == NULL || strlen(topic) > ANNOUNCE_TOPIC_MAX || word_of(&args) != NULL ||
        (target_text != NULL && !number_of(target_text, 1, ANNOUNCE_TARGET_MAX, &target))) {
        daemon_reply_error(d, to, "usage: announce TOPIC [TARGET] (a topic of 1 to 64 bytes, a target of 1 to 256)");
        return;
    }
    struct daemon_data *data = data_of(d);
    if (data == NULL) {
        daemon_reply_error(d, to, "out of memory");
        return;
    }
    if (data->announce == NULL) {
        announce_config config = {.topic = topic, .target = (uint32_t)target};
        data->announce = announce_create(d->node, &config);
        if (data->announce == NULL) {
            daemon_reply_error(d, to, "cannot announce (out of memory, or too many topics)");
            return;
        }
    }
    /* Now too, when a peer is there to carry it; the module repeats it. */
    if (d->peer_count > 0) (void)announce_publish(data->announce);
    reply_ok(d, to);
}

static struct query *query_module(daemon_state *d) {
    struct daemon_data *data = data_of(d);
    if (data == NULL) return NULL;
    if (data->query == NULL) {
        query_config config = {.topic = DAEMON_QUERY_TOPIC, .result_topic = DAEMON_RESULT_TOPIC,
                               .reply = QUERY_REPLY_DIRECT};
        data->query = query_create(d->node, &config);
    }
    return data->query;
}

static data_query *find_query(daemon_state *d, uint64_t id) {
    for (size_t i = 0; i < QUERY_PENDING_MAX; i++)
        if (d->data->queries[i].used && d->data->queries[i].id == id) return &d->data->queries[i];
    return NULL;
}

static void on_answer(void *user, uint64_t id, const peer_id *answerer, const uint8_t *value, size_t len) {
    (void)value, (void)len;
    data_query *q = find_query(user, id);
    if (q != NULL && q->count < QUERY_ANSWERS_MAX) daemon_peer_text(answerer, q->answerers[q->count++]);
}

/* The deadline: the reply lists the answerers, "answers N PEER...". */
static void on_done(void *user, uint64_t id, uint32_t answers) {
    (void)answers;
    daemon_state *d = user;
    data_query *q = find_query(d, id);
    if (q == NULL) return;
    const char *items[QUERY_ANSWERS_MAX];
    for (size_t i = 0; i < q->count; i++) items[i] = q->answerers[i];
    daemon_reply reply = {.ok = true, .list_name = "answers", .items = items, .item_count = q->count};
    daemon_reply_send(d, q->to, &reply);
    q->used = false;
}

static void command_query(daemon_state *d, daemon_requester to, char *args) {
    char *text = word_of(&args), *ms_text = word_of(&args);
    unsigned long ms = DAEMON_QUERY_DEADLINE_MS_DEFAULT;
    cid c;
    if (text == NULL || cid_parse(text, strlen(text), &c) != 0 || word_of(&args) != NULL ||
        (ms_text != NULL && !number_of(ms_text, 1, DAEMON_QUERY_DEADLINE_MS_MAX, &ms))) {
        daemon_reply_error(d, to, "usage: query CID [MS] (a CID, a deadline of 1 to 60000 ms)");
        return;
    }
    query *module = query_module(d);
    data_query *slot = NULL;
    for (size_t i = 0; module != NULL && i < QUERY_PENDING_MAX && slot == NULL; i++)
        if (!d->data->queries[i].used) slot = &d->data->queries[i];
    if (slot == NULL) {
        daemon_reply_error(d, to, module == NULL ? "cannot query (out of memory, or too many topics)"
                                                 : "too many queries waiting");
        return;
    }
    uint8_t key[CID_BYTES_MAX];
    size_t key_len = cid_encode(&c, key);
    uint64_t deadline = node_time_ns(d->node) + ms * NS_PER_MS;
    if (query_ask(module, QUERY_HAS_CID, key, key_len, deadline, on_answer, on_done, d, &slot->id) != 0) {
        daemon_reply_error(d, to, "cannot query (no peer subscribed to " DAEMON_QUERY_TOPIC ")");
        return;
    }
    slot->used = true;
    slot->to = to;
    slot->count = 0;
}

bool daemon_data_command(daemon_state *d, daemon_requester to, const char *word, char *args) {
    if (strcmp(word, "announce") == 0) {
        command_announce(d, to, args);
    } else if (strcmp(word, "query") == 0) {
        command_query(d, to, args);
    } else if (strcmp(word, "answer-queries") == 0) {
        if (query_module(d) != NULL) reply_ok(d, to);
        else daemon_reply_error(d, to, "cannot answer queries (out of memory, or too many topics)");
    } else {
        return false;
    }
    return true;
}

void daemon_data_free(daemon_state *d) {
    if (d->data == NULL) return;
    if (d->data->announce != NULL) announce_destroy(d->data->announce);
    if (d->data->query != NULL) query_destroy(d->data->query);
    free(d->data);
    d->data = NULL;
}
