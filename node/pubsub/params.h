/*
 * params: how node/pubsub describes its parameter sets to whoever reads,
 * checks or prints them (a scenario loader, a metrics writer).
 *
 * Each set is one X-macro list (gossipsub_params.h, score_params.h) that
 * gives every parameter once: its name (the spec's, which is also the key
 * of a scenario), its C field, its type, its default and its bounds; the
 * score sets add their constraints, each with the sentence that states it.
 * The router's defaults and the score module's validators are expanded
 * from those lists; this header turns them into arrays that can be walked
 * at run time (param_set), so that an echo of the values or an error
 * message that names a key is written from the same list.
 */
#ifndef SWARMLAB_PARAMS_H
#define SWARMLAB_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

/* The type of a parameter, which fixes its C type and its unit. */
typedef enum param_type {
    PARAM_INT,               /* int */
    PARAM_UINT32,            /* uint32_t */
    PARAM_UINT64,            /* uint64_t */
    PARAM_NUMBER,            /* double */
    PARAM_BOOL,              /* bool */
    PARAM_DURATION,          /* uint64_t nanoseconds, 0 allowed */
    PARAM_DURATION_POSITIVE, /* uint64_t nanoseconds, above 0 */
    PARAM_SIZE,              /* uint32_t bytes */
    PARAM_MESSAGE_ID,        /* pubsub_message_id_kind (wire/pubsub_pb.h) */
    PARAM_SET,               /* a nested set (param.set), e.g. gossipsub's score */
} param_type;

typedef struct param_set param_set;

typedef struct param {
    const char *name;     /* the spec's name: "heartbeat" */
    const char *field;    /* the C field: "heartbeat_ns" */
    size_t offset;        /* of the field within the set's struct */
    param_type type;
    const param_set *set; /* PARAM_SET: the nested set; else NULL */
} param;

/* A constraint on one number of a set (the spec's "Parameters" sections). */
typedef enum param_rule_kind {
    PARAM_RULE_AT_LEAST_ZERO,  /* v >= 0 */
    PARAM_RULE_AT_MOST_ZERO,   /* v <= 0 */
    PARAM_RULE_ABOVE_ZERO,     /* v > 0 */
    PARAM_RULE_AT_LEAST_ONE,   /* v >= 1 */
    PARAM_RULE_DECAY,          /* 0 < v < 1 */
    PARAM_RULE_AT_MOST_OTHER,  /* v <= other */
    PARAM_RULE_AT_LEAST_OTHER, /* v >= other */
    PARAM_RULE_NONZERO_NS,     /* a duration above 0 */
} param_rule_kind;

typedef struct param_rule {
    size_t offset; /* of the value (a double, or a uint64_t for NONZERO_NS) */
    param_rule_kind kind;
    const char *needs;  /* what the rule asks, for messages */
    bool gated;         /* applies only while the number at gate_offset is not 0 */
    size_t gate_offset; /* a weight, whose 0 turns the value off */
    bool paired;        /* *_OTHER: compared with the number at other_offset */
    size_t other_offset;
} param_rule;

struct param_set {
    const char *name; /* its key within the set above it: "score" */
    const param *params;
    size_t count;
    const param_rule *rules; /* in the order they are checked; may be empty */
    size_t rule_count;
};

/* The double at offset within the struct at values. */
double param_number(const void *values, size_t offset);
/* Whether rule holds for the struct at values. The comparisons fail on
 * NaN, as a validator's must. */
bool param_rule_holds(const param_rule *rule, const void *values);
/* The first rule of s that values break, or NULL when all hold. */
const param_rule *param_set_broken_rule(const param_set *s, const void *values);
/* The parameter of s at offset; NULL when none is there. */
const param *param_set_find(const param_set *s, size_t offset);

/* Expands an X-macro row into a param (the lists give name, field, type
 * first, then what the consumer may ignore). */
#define PARAM_ROW(type_, name_, field_, ptype) \
    {.name = #name_, .field = #field_, .offset = offsetof(type_, field_), .type = (ptype)},

#endif
