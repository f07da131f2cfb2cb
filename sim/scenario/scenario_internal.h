/*
 * scenario_internal: what the scenario loader's files share, not part of
 * its public surface (scenario.h is).
 *
 *  - scenario_tree.c reads YAML with libyaml into a small tree of nodes that
 *    remember their line, and applies the --set overrides to that tree;
 *  - scenario_values.c parses single values (units, numbers, selectors) and
 *    samples distributions;
 *  - scenario.c converts the tree into the struct, key by key, through
 *    tables; scenario_check.c checks what involves more than one key;
 *  - scenario_score.c holds the tables and checks of the peer-scoring maps
 *    under protocol.gossipsub.
 *
 * The value parsers fill `why` with the "what is wrong" part of an error
 * message ("expected a duration with a unit (...), got \"40\""); the loader
 * puts "FILE:LINE: KEY.PATH: " or "--set KEY=VALUE: " in front of it.
 */
#ifndef SWARMLAB_SCENARIO_INTERNAL_H
#define SWARMLAB_SCENARIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

/* Bounds on what a scenario file may hold, so a hostile or broken file
 * cannot make the loader use unbounded memory or stack. */
#define SCN_TREE_NODES_MAX 65536
#define SCN_TREE_DEPTH_MAX 16
#define SCN_SCALAR_MAX 1024
#define SCN_KEYPATH_MAX 256
#define SCN_OVERRIDES_MAX 256
/* Durations above this many nanoseconds (about 146 years) are refused, so
 * that sums of two of them never overflow. */
#define SCN_DURATION_MAX_NS (UINT64_MAX / 2)

/* ---- the tree ------------------------------------------------------------ */

typedef enum scn_kind { SCN_SCALAR, SCN_MAP, SCN_SEQ } scn_kind;

typedef struct scn_node scn_node;
struct scn_node {
    scn_kind kind;
    int line;          /* 1-based line of the value; 0 when an override made it */
    int key_line;      /* map entries: the line of the key */
    int origin;        /* -1: the file; else the index of the --set that made it */
    bool plain;        /* scalars: written without quotes */
    char *key;         /* map entries: the key; NULL otherwise */
    char *text;        /* scalars: the text */
    size_t child_count;
    scn_node *first, *last, *next; /* children of maps and sequences, in order */
    scn_node *all_next;            /* every node of the tree, for freeing */
};

typedef struct scn_tree {
    scn_node *root; /* a map */
    scn_node *all;
    size_t node_count;
    /* For each override, the node it put in place (to word its errors). */
    const scn_node *override_node[SCN_OVERRIDES_MAX];
} scn_tree;

/* Parses path into t. 0, or -1 with "FILE:LINE: what" in err. */
int scn_tree_load(scn_tree *t, const char *path, char *err, size_t err_cap);
/* Applies "key.path=value" overrides in order. 0, or -1 with
 * "--set KEY=VALUE: what" in err. */
int scn_tree_override(scn_tree *t, const char *const *overrides, size_t count, char *err, size_t err_cap);
void scn_tree_free(scn_tree *t);

/* The value under key in map m, or NULL. */
const scn_node *scn_map_get(const scn_node *m, const char *key);
/* A null is a plain scalar that is empty, "~" or "null". */
bool scn_is_null(const scn_node *n);
/* "a map", "a list", "a string", "nothing": for "expected X, got Y". */
const char *scn_kind_name(const scn_node *n);

/* ---- single values (scenario_values.c) ---------------------------------- */

int scn_value_duration(const char *text, uint64_t *ns, char *why, size_t why_cap);
int scn_value_size(const char *text, uint64_t *bytes, char *why, size_t why_cap);
int scn_value_bandwidth(const char *text, uint64_t *bps, char *why, size_t why_cap);
int scn_value_rate(const char *text, double *per_s, char *why, size_t why_cap);
int scn_value_selector(const char *text, selector *out, char *why, size_t why_cap);
int scn_value_int(const char *text, int64_t *out, char *why, size_t why_cap);
int scn_value_u64(const char *text, uint64_t *out, char *why, size_t why_cap);
int scn_value_number(const char *text, double *out, char *why, size_t why_cap);
int scn_value_bool(const char *text, bool *out, char *why, size_t why_cap);
/* The largest index a selector's ranges name; -1 for other kinds. */
long scn_selector_max_index(const selector *s);

/* ---- distributions (scenario_values.c) ---------------------------------- */

typedef struct scn_dist_spec {
    const char *name;
    dist_kind kind;
    const char *param[2];     /* the keys of a and b; param[1] NULL for one */
    bool param_has_unit[2];   /* takes the quantity's unit, else a plain number */
} scn_dist_spec;

/* The spec named name, or NULL. */
const scn_dist_spec *scn_dist_find(const char *name);
/* The list of names, "constant, uniform, ..." for error messages. */
const char *scn_dist_names(void);
/* 0 if d's parameters are possible; else -1 with why. */
int scn_dist_validate(const dist *d, char *why, size_t why_cap);

/* ---- the converter (scenario_convert.c, scenario.c, scenario_check.c) ---- */

typedef struct scn_ctx {
    const char *path;
    const scn_tree *tree;
    const char *const *overrides;
    scenario *s;
    char keypath[SCN_KEYPATH_MAX]; /* of the key being converted */
    char *err;
    size_t err_cap;
} scn_ctx;

typedef struct scn_field scn_field;
typedef struct scn_table scn_table;
typedef struct scn_list scn_list;
/* Converts node n into the field f of the struct at base. */
typedef int (*scn_conv_fn)(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);

enum scn_field_flags {
    SCN_REQUIRED = 1u << 0,      /* an error when the key is absent */
    SCN_POSITIVE = 1u << 1,      /* durations, rates: above zero */
    SCN_MIN_EXCLUSIVE = 1u << 2, /* numbers: above min rather than at least min */
    SCN_MAX_EXCLUSIVE = 1u << 3, /* numbers: below max rather than at most max */
    SCN_MEAN_POSITIVE = 1u << 4, /* distributions: not always zero */
};

/* One key of a map: its name, how to convert it, where it goes. Tables of
 * these describe each section of the format. */
struct scn_field {
    const char *key;
    scn_conv_fn conv;
    size_t offset;         /* of the destination within base */
    double min, max;       /* numbers: the valid range, when min < max */
    unsigned flags;        /* enum scn_field_flags */
    size_t width;          /* strings: buffer size; unsigned ints, sizes: 4 or 8 bytes */
    const char *alias_of;  /* another name for that key: both may not be given */
    unsigned applies_to;   /* lists of kinds (attackers): the kinds that take the key; 0: all */
    const scn_table *sub;  /* nested maps converted into the same base */
    const scn_list *list;  /* lists of maps */
};

struct scn_table {
    const scn_field *fields;
    size_t count;
};

/* A list of maps (offline windows, attackers, partitions), each converted
 * with item into an array inside the scenario. */
struct scn_list {
    const scn_table *item;
    size_t max;
    size_t item_size;
    size_t array_offset, count_offset, line_offset; /* within scenario */
    void (*prepare)(void *item);                    /* defaults of an item, or NULL */
    int (*check)(scn_ctx *c, const scn_node *n, void *item); /* after conversion, or NULL */
};

#define SCN_TABLE(fields) {(fields), sizeof(fields) / sizeof((fields)[0])}

/* The key of a parameter of node/pubsub (params.h), by its PARAM_ type:
 * how it is converted, its flags and width; lo and hi its range (0 and 0:
 * none); alias the key it is another name of, or NULL. */
#define SCN_PARAM_KEY(key_, off, type, lo, hi, alias)                                              \
    {.key = (key_), .conv = SCN_CONV_##type, .offset = (off), .min = (lo), .max = (hi),           \
     .flags = SCN_FLAGS_##type, .width = SCN_WIDTH_##type, .alias_of = (alias)},
#define SCN_PARAM_FIELD(name, off, type, lo, hi) SCN_PARAM_KEY(#name, off, type, lo, hi, NULL)
#define SCN_CONV_INT scn_conv_int
#define SCN_CONV_UINT32 scn_conv_uint
#define SCN_CONV_UINT64 scn_conv_uint
#define SCN_CONV_NUMBER scn_conv_number
#define SCN_CONV_BOOL scn_conv_bool
#define SCN_CONV_DURATION scn_conv_duration
#define SCN_CONV_DURATION_POSITIVE scn_conv_duration
#define SCN_CONV_SIZE scn_conv_size
#define SCN_CONV_MESSAGE_ID scn_conv_message_id
#define SCN_FLAGS_DURATION_POSITIVE SCN_POSITIVE
#define SCN_FLAGS_INT 0u
#define SCN_FLAGS_UINT32 0u
#define SCN_FLAGS_UINT64 0u
#define SCN_FLAGS_NUMBER 0u
#define SCN_FLAGS_BOOL 0u
#define SCN_FLAGS_DURATION 0u
#define SCN_FLAGS_SIZE 0u
#define SCN_FLAGS_MESSAGE_ID 0u
#define SCN_WIDTH_UINT32 4
#define SCN_WIDTH_UINT64 8
#define SCN_WIDTH_SIZE 4
#define SCN_WIDTH_INT 0
#define SCN_WIDTH_NUMBER 0
#define SCN_WIDTH_BOOL 0
#define SCN_WIDTH_DURATION 0
#define SCN_WIDTH_DURATION_POSITIVE 0
#define SCN_WIDTH_MESSAGE_ID 0

/* Writes the error about n (NULL: the file as a whole) at key path keypath
 * into c->err, on n's line (scn_fail) or its key's line (scn_fail_key);
 * returns -1 so callers can return it. */
int scn_fail(scn_ctx *c, const scn_node *n, const char *keypath, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int scn_fail_key(scn_ctx *c, const scn_node *n, const char *keypath, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends key (or [index] when key is NULL) to c->keypath; returns what to
 * pass scn_keypath_pop to restore it. */
size_t scn_keypath_push(scn_ctx *c, const char *key, size_t index);
void scn_keypath_pop(scn_ctx *c, size_t saved);
/* The text of scalar n, or an error "expected <expected>, got ...". */
int scn_scalar(scn_ctx *c, const scn_node *n, const char *expected, const char **text);
/* An error "expected <expected>, got <what n is>". */
int scn_type_error(scn_ctx *c, const scn_node *n, const char *expected);
/* Index of n's text in names (NULL-terminated), or an error listing them. */
int scn_choice(scn_ctx *c, const scn_node *n, const char *what, const char *const *names, int *index);

int scn_convert_map(scn_ctx *c, const scn_node *m, void *base, const scn_table *t);
/* The node given for key or any alias of it in m, or NULL. */
const scn_node *scn_given(const scn_node *m, const scn_table *t, const char *key);

/* Generic converters for scn_field.conv. */
int scn_conv_string(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_int(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_uint(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_number(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_bool(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_duration(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_size(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_rate(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_selector(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
/* One bandwidth ("50Mbps"; "unlimited" is 0) into a uint64_t. */
int scn_conv_bandwidth_one(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_dist(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_map(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_list(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
/* protocol.gossipsub.message_id: from-seqno or key-seqno (scenario.c). */
int scn_conv_message_id(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);

/* network.regions, nodes.classes, and their checks across keys (scenario_net.c). */
/* protocol.announce and protocol.query (scenario_data.c). */
int scn_conv_announce(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_query(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_regions(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_classes(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_conv_graph(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
int scn_check_net(scn_ctx *c);
/* Reads network.graph's GML file into the regions (scenario_graph.c); its
 * errors name the GML file, line and key. 0 or -1. */
int scn_load_graph(scn_ctx *c);

/* The cross-key checks' helpers (scenario_check.c), for the checks in
 * other files: an error blaming the key at dotted ("workload.sealed.rotate_at"),
 * a selector against nodes.count, a time against the run's end. 0 or -1. */
int scn_check_fail(scn_ctx *c, const char *dotted, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int scn_check_selector(scn_ctx *c, const selector *sel, const char *dotted);
int scn_check_before_end(scn_ctx *c, uint64_t at_ns, const char *dotted);

/* workload.sealed, its defaults and its checks across keys (scenario_sealed.c). */
int scn_conv_sealed(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
void scn_sealed_defaults(scenario *s);
int scn_check_sealed(scn_ctx *c);

/* The node at a dotted path from the root ("offline.2.at"), or the deepest
 * node on the way there when the rest is absent (then *exact is false). */
const scn_node *scn_find(const scn_tree *t, const char *dotted, bool *exact);

/* Checks across keys, once every key is converted (scenario_check.c). */
int scn_check_scenario(scn_ctx *c);

/* ---- peer scoring (scenario_score.c) -------------------------------------- */

/* The maps protocol.gossipsub.score, .topic_score and .thresholds, with
 * offsets within scenario. */
extern const scn_table scn_score_table;
extern const scn_table scn_topic_score_table;
extern const scn_table scn_thresholds_table;
/* Checks the scoring parameters g, converted from the protocol.gossipsub
 * map m (c->keypath is its path), with the score module's own validators;
 * an error names the key whose constraint broke. 0 or -1. */
int scn_check_scoring(scn_ctx *c, const scn_node *m, const gossipsub_params *g);

/* ---- workload.data (scenario_replicate.c) -------------------------------------- */

/* workload.data: its defaults, then the map's keys. */
int scn_conv_data(scn_ctx *c, const scn_node *n, void *base, const scn_field *f);
/* What involves other keys (nodes.count). 0 or -1. */
int scn_check_data(scn_ctx *c);

#endif
