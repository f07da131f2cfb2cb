/*
 * interop_params: libp2p test-plans' gossipsub-interop experiment file,
 * params.json (docs/gossipsub-interop.md): {"script": [instruction...]},
 * each instruction an object whose "type" names it:
 *
 *   initGossipSub            gossipSubParams: go-libp2p-pubsub's GossipSubParams
 *                            (durations in nanoseconds), onto go's defaults
 *   connect                  connectTo: [node id...]
 *   ifNodeIDEquals           nodeID, instruction: run it on that node only
 *   waitUntil                elapsedSeconds: since the start
 *   subscribeToTopic         topicID (partial: false; true is refused)
 *   publish                  messageID, messageSizeBytes, topicID
 *   setTopicValidationDelay  topicID, delaySeconds
 *
 * Pure: it reads bytes in memory (the daemon opens the file) and calls only
 * libc. A file that does not fit is refused with one line naming the file,
 * the line and what is wrong. Members an instruction does not use are
 * ignored, as go's decoder ignores them; an unknown instruction type is
 * refused, and so are test-plans' partial-message instructions
 * (addPartialMessage, publishPartial), which this node does not implement.
 */
#ifndef SWARMLAB_INTEROP_PARAMS_H
#define SWARMLAB_INTEROP_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/identity.h"
#include "pubsub/gossipsub.h"
#include "pubsub/pubsub.h"

#define INTEROP_PARAMS_FILE_MAX (64u << 20) /* bytes of params.json */
#define INTEROP_INSTRUCTIONS_MAX 1000000    /* instructions, nested ones included */
#define INTEROP_CONNECT_MAX 512             /* node ids one script instruction may name (a node holds 512 peers) */
#define INTEROP_NODE_ID_MAX 0x7fffffff      /* node ids 0 .. 2^31-1 (rust's i32) */
#define INTEROP_WAIT_MAX_S 31536000.0       /* waitUntil at most a year */
#define INTEROP_MESSAGE_MIN 8               /* the message id is the first 8 bytes */
#define INTEROP_PARAMS_ERROR_MAX 512
/* go-libp2p-pubsub's GossipSubParams fields the router does not have. */
#define INTEROP_IGNORED_PARAMS_MAX 32

typedef enum interop_kind {
    INTEROP_INIT_GOSSIPSUB,
    INTEROP_CONNECT,
    INTEROP_IF_NODE_ID_EQUALS,
    INTEROP_WAIT_UNTIL,
    INTEROP_SUBSCRIBE,
    INTEROP_PUBLISH,
    INTEROP_SET_VALIDATION_DELAY,
} interop_kind;

typedef struct interop_instruction interop_instruction;
struct interop_instruction {
    interop_kind kind;
    uint32_t line;                  /* in params.json */
    gossipsub_config *gossipsub;    /* init: go's defaults with the file's values (random NULL) */
    uint32_t *connect_to;           /* connect */
    size_t connect_count;
    uint32_t node_id;               /* ifNodeIDEquals */
    interop_instruction *inner;     /* ifNodeIDEquals */
    uint64_t elapsed_ns;            /* waitUntil */
    char topic[PUBSUB_TOPIC_MAX + 1]; /* subscribe, publish, setTopicValidationDelay */
    uint64_t message_id;            /* publish */
    size_t message_bytes;           /* publish */
    uint64_t delay_ns;              /* setTopicValidationDelay */
};

typedef struct interop_script {
    interop_instruction *items; /* the top-level instructions, in order */
    size_t count;
    size_t total;               /* instructions, nested ones included */
    /* GossipSubParams fields the file set that the router ignores (names
     * borrowed from a static table), once each. */
    const char *ignored[INTEROP_IGNORED_PARAMS_MAX];
    size_t ignored_count;
} interop_script;

/* Parses text[0..len) of the file named path (for the messages) into
 * *script (freed with interop_script_free). 0, or -1 with err holding one
 * line: "PATH: line N: what is wrong". */
int interop_script_parse(const char *path, const char *text, size_t len, interop_script *script, char *err,
                         size_t cap);
void interop_script_free(interop_script *script);

/* go-libp2p-pubsub's DefaultGossipSubParams in our config: our defaults
 * (gossipsub_params.h) with D_lo 5, go's (the spec says 4). */
void interop_gossipsub_default(gossipsub_config *config);

/* The spec's key of a node: its id little-endian in the seed's first 8
 * bytes (as go's binary.LittleEndian.PutUint64; rust writes 4, the same
 * for ids below 2^31), the other 24 bytes 0. */
void interop_node_seed(uint32_t node_id, uint8_t seed[IDENTITY_SEED_BYTES]);
/* The peer id of node_id's key, as text (12D3KooW...). */
void interop_node_peer_text(uint32_t node_id, char out[PEER_ID_TEXT_MAX]);

/* The instruction that runs on node_id for item: item itself, or the
 * innermost of matching ifNodeIDEquals; NULL when it does not run there. */
const interop_instruction *interop_effective(const interop_instruction *item, uint32_t node_id);

#endif
