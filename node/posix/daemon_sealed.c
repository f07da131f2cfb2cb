/* daemon_sealed: encrypted topics in swarmlab-node. See daemon_sealed.h. */
#include "daemon_sealed.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_keys.h"

#define SEALED_SCRATCH_BYTES (SEALED_PLAINTEXT_MAX + SEALED_OVERHEAD)

int daemon_sealed_init(daemon_sealed *s) {
    memset(s, 0, sizeof *s);
    s->envelope = malloc(SEALED_SCRATCH_BYTES);
    s->plain = malloc(SEALED_SCRATCH_BYTES);
    if (s->envelope != NULL && s->plain != NULL) return 0;
    daemon_sealed_free(s);
    return -1;
}

void daemon_sealed_free(daemon_sealed *s) {
    for (size_t i = 0; i < DAEMON_SEALED_TOPICS_MAX; i++) sealed_keyring_wipe(&s->topics[i].ring);
    if (s->plain != NULL) sodium_memzero(s->plain, SEALED_SCRATCH_BYTES); /* the last plaintext */
    free(s->plain);
    free(s->envelope);
    s->plain = s->envelope = NULL;
}

static daemon_sealed_topic *sealed_find(daemon_sealed *s, const char *topic) {
    for (size_t i = 0; i < DAEMON_SEALED_TOPICS_MAX; i++)
        if (s->topics[i].used && strcmp(s->topics[i].topic, topic) == 0) return &s->topics[i];
    return NULL;
}

/* The topic's slot, taking a free one for a new topic; NULL when full. */
static daemon_sealed_topic *sealed_slot(daemon_sealed *s, const char *topic) {
    daemon_sealed_topic *t = sealed_find(s, topic);
    for (size_t i = 0; t == NULL && i < DAEMON_SEALED_TOPICS_MAX; i++) {
        if (s->topics[i].used) continue;
        t = &s->topics[i];
        memset(t, 0, sizeof *t);
        snprintf(t->topic, sizeof t->topic, "%s", topic);
    }
    return t;
}

/* The key file's id and key; its text is wiped however it ends. */
static int sealed_read_key(const char *path, uint32_t *id, uint8_t key[SEALED_KEY_BYTES], bool *refused, char *err,
                           size_t cap) {
    uint8_t text[SEALED_KEY_TEXT_MAX];
    size_t len = 0;
    store_keys_status st = store_file_read_private(path, "topic key file", text, sizeof text, &len, err, cap);
    *refused = st == STORE_KEYS_REFUSED;
    if (st == STORE_KEYS_MISSING) snprintf(err, cap, "topic key file %s: no such file", path);
    int rc = st == STORE_KEYS_OK ? sealed_key_text_parse((const char *)text, len, id, key) : -1;
    if (st == STORE_KEYS_OK && rc != 0)
        snprintf(err, cap, "topic key file %s: expected one line \"KEY_ID HEX\" (a 32-bit id, 64 hex digits)", path);
    sodium_memzero(text, sizeof text);
    return rc;
}

int daemon_sealed_add_key(daemon_sealed *s, const char *topic, const char *path, bool *refused, char *err,
                          size_t cap) {
    *refused = false;
    if (strlen(topic) > SEALED_TOPIC_MAX) {
        snprintf(err, cap, "an encrypted topic's name is at most %d bytes", SEALED_TOPIC_MAX);
        return -1;
    }
    uint32_t id;
    uint8_t key[SEALED_KEY_BYTES];
    if (sealed_read_key(path, &id, key, refused, err, cap) != 0) return -1;
    daemon_sealed_topic *t = sealed_slot(s, topic);
    int rc = -1;
    if (t == NULL) snprintf(err, cap, "keys for at most %d encrypted topics", DAEMON_SEALED_TOPICS_MAX);
    else if ((rc = sealed_keyring_add(&t->ring, id, key)) != 0)
        snprintf(err, cap, "key id %u is older than the %d keys held for %s", (unsigned)id, SEALED_KEYS_MAX, topic);
    else t->used = true;
    sodium_memzero(key, sizeof key);
    return rc;
}

void daemon_sealed_forget(daemon_sealed *s, const char *topic) {
    daemon_sealed_topic *t = sealed_find(s, topic);
    if (t == NULL) return;
    sealed_keyring_wipe(&t->ring);
    t->used = false;
}

uint64_t daemon_sealed_dropped(daemon_sealed *s, const char *topic) {
    const daemon_sealed_topic *t = sealed_find(s, topic);
    return t != NULL ? t->dropped : 0;
}

int daemon_sealed_publish(daemon_sealed *s, node *n, const char *topic, const uint8_t *text, size_t len) {
    daemon_sealed_topic *t = sealed_find(s, topic);
    if (t == NULL) return node_publish(n, topic, text, len);
    uint8_t nonce[SEALED_NONCE_BYTES];
    randombytes_buf(nonce, sizeof nonce); /* 192 bits: random nonces never meet */
    size_t sealed = sealed_seal(&t->ring, topic, nonce, text, len, s->envelope, SEALED_SCRATCH_BYTES);
    return sealed == 0 ? -1 : node_publish(n, topic, s->envelope, sealed);
}

sealed_status daemon_sealed_receive(daemon_sealed *s, const char *topic, const uint8_t *data, size_t len,
                                    const uint8_t **plain, size_t *plain_len) {
    daemon_sealed_topic *t = sealed_find(s, topic);
    *plain = data;
    *plain_len = len;
    if (t == NULL) return SEALED_OK;
    sealed_status status = sealed_unseal(&t->ring, topic, data, len, s->plain, SEALED_SCRATCH_BYTES, plain_len);
    *plain = s->plain;
    if (status != SEALED_OK) t->dropped++;
    return status;
}
