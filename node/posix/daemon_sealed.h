/*
 * daemon_sealed: encrypted topics in swarmlab-node (docs/data.md "The
 * swarm's data: encrypted topics"; docs/node.md).
 *
 *   sub TOPIC --key FILE   subscribes as a member: FILE (mode 0600, ours,
 *                          no link, as the identity's key file) holds
 *                          "KEY_ID HEX64"; again with another file adds
 *                          that key (rotation: the newest id seals)
 *   pub TOPIC TEXT         on such a topic, publishes TEXT sealed
 *   unsub TOPIC            forgets the topic's keys (wiped)
 *
 * A message on a member's topic is unsealed before it is printed; one that
 * does not unseal is dropped, counted, and reported as a "sealed-drop"
 * event naming why, never as a message. A subscriber without a key relays
 * and prints the envelope as any message: bytes it cannot read.
 */
#ifndef SWARMLAB_DAEMON_SEALED_H
#define SWARMLAB_DAEMON_SEALED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/node.h"
#include "data/sealed_topic.h"

#define DAEMON_SEALED_TOPICS_MAX 8 /* topics one daemon holds keys for */

typedef struct daemon_sealed_topic {
    bool used;
    char topic[SEALED_TOPIC_MAX + 1];
    sealed_keyring ring;
    uint64_t dropped; /* messages that did not unseal */
} daemon_sealed_topic;

typedef struct daemon_sealed {
    daemon_sealed_topic topics[DAEMON_SEALED_TOPICS_MAX];
    /* Each SEALED_PLAINTEXT_MAX + SEALED_OVERHEAD bytes. Two, since a
     * publication is delivered to ourselves while the node still reads
     * the envelope: unsealing it must not write over it. */
    uint8_t *envelope, *plain;
} daemon_sealed;

/* 0, or -1 when memory runs out. */
int daemon_sealed_init(daemon_sealed *s);
/* Wipes every key and the last plaintext, and frees the buffers. */
void daemon_sealed_free(daemon_sealed *s);

/* Reads a topic key file and adds its key to topic's ring (a new topic
 * takes a free slot). 0, or -1 with err naming the file or the limit;
 * *refused set when the file itself was refused (mode, owner, link). */
int daemon_sealed_add_key(daemon_sealed *s, const char *topic, const char *path, bool *refused, char *err,
                          size_t cap);
/* Forgets topic's keys, if it had any. */
void daemon_sealed_forget(daemon_sealed *s, const char *topic);
/* Messages on topic that did not unseal, since its first key. */
uint64_t daemon_sealed_dropped(daemon_sealed *s, const char *topic);

/* Publishes text on topic, sealed when we hold its keys (a fresh random
 * nonce). The node's answer: 0 or -1. */
int daemon_sealed_publish(daemon_sealed *s, node *n, const char *topic, const uint8_t *text, size_t len);

/* A delivered message on topic: when we are a member, unseals it and
 * returns SEALED_OK with *plain and *plain_len (held until the next call), or why it was dropped (counted). For other topics, SEALED_OK
 * with data itself. */
sealed_status daemon_sealed_receive(daemon_sealed *s, const char *topic, const uint8_t *data, size_t len,
                                    const uint8_t **plain, size_t *plain_len);

#endif
