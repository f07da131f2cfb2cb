/*
 * scenario_tree: a scenario file read with libyaml's event parser into a
 * small tree of maps, lists and scalars that remember their lines, and the
 * --set overrides applied to that tree before it becomes a struct.
 *
 * The tree exists so that overrides edit what the file said (and are then
 * checked exactly like it), and so that every error can name a line. It is
 * bounded: at most SCN_TREE_NODES_MAX nodes, SCN_TREE_DEPTH_MAX levels and
 * SCN_SCALAR_MAX bytes per scalar. Anchors and aliases are refused: a
 * scenario is short, and aliases are how YAML bombs multiply.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "scenario_internal.h"

typedef struct builder {
    scn_tree *t;
    yaml_parser_t parser;
    const char *path;     /* the file, or NULL for an override */
    const char *override; /* the override's text when path is NULL */
    int origin;
    char keypath[SCN_KEYPATH_MAX];
    char *err;
    size_t err_cap;
} builder;

/* ---- errors ----------------------------------------------------------- */

static int builder_fail(builder *b, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int builder_fail(builder *b, int line, const char *fmt, ...) {
    char what[SCENARIO_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *sep = b->keypath[0] != '\0' ? ": " : "";
    if (b->path != NULL)
        snprintf(b->err, b->err_cap, "%s:%d: %s%s%s", b->path, line, b->keypath, sep, what);
    else
        snprintf(b->err, b->err_cap, "--set %s: %s", b->override, what); /* it names its key */
    return -1;
}

static int builder_syntax_error(builder *b) {
    const yaml_parser_t *p = &b->parser;
    const char *problem = p->problem != NULL ? p->problem : "cannot be parsed";
    b->keypath[0] = '\0'; /* the parser's position is the better guide */
    if (p->context != NULL)
        return builder_fail(b, (int)p->problem_mark.line + 1, "invalid YAML: %s (%s on line %d)", problem, p->context,
                            (int)p->context_mark.line + 1);
    return builder_fail(b, (int)p->problem_mark.line + 1, "invalid YAML: %s", problem);
}

/* ---- nodes ------------------------------------------------------------ */

static scn_node *node_new(builder *b, scn_kind kind, int line) {
    if (b->t->node_count >= SCN_TREE_NODES_MAX) {
        builder_fail(b, line, "too many values (at most %d)", SCN_TREE_NODES_MAX);
        return NULL;
    }
    scn_node *n = calloc(1, sizeof *n);
    if (n == NULL) {
        builder_fail(b, line, "out of memory");
        return NULL;
    }
    n->kind = kind;
    n->line = b->origin < 0 ? line : 0;
    n->key_line = n->line;
    n->origin = b->origin;
    n->all_next = b->t->all;
    b->t->all = n;
    b->t->node_count++;
    return n;
}

static void node_append(scn_node *parent, scn_node *child) {
    assert(parent->kind != SCN_SCALAR);
    child->next = NULL;
    if (parent->last != NULL) parent->last->next = child;
    else parent->first = child;
    parent->last = child;
    parent->child_count++;
}

/* Puts fresh in old's place among parent's children. */
static void node_replace(scn_node *parent, scn_node *old, scn_node *fresh) {
    scn_node **link = &parent->first;
    while (*link != old) link = &(*link)->next;
    fresh->next = old->next;
    *link = fresh;
    if (parent->last == old) parent->last = fresh;
    fresh->key = old->key; /* the key moves: old stays in the pool, unlinked */
    old->key = NULL;
    fresh->key_line = old->key_line;
}

const scn_node *scn_map_get(const scn_node *m, const char *key) {
    if (m == NULL || m->kind != SCN_MAP) return NULL;
    for (const scn_node *e = m->first; e != NULL; e = e->next)
        if (strcmp(e->key, key) == 0) return e;
    return NULL;
}

static const scn_node *seq_get(const scn_node *s, const char *index_text) {
    size_t index = 0;
    if (index_text[0] == '\0' || strlen(index_text) > 9) return NULL;
    for (const char *p = index_text; *p != '\0'; p++) {
        if (!isdigit((unsigned char)*p)) return NULL;
        index = index * 10 + (size_t)(*p - '0');
    }
    const scn_node *e = s->first;
    for (size_t i = 0; e != NULL && i < index; i++) e = e->next;
    return e;
}

bool scn_is_null(const scn_node *n) {
    if (n->kind != SCN_SCALAR || !n->plain) return false;
    const char *t = n->text;
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 || strcmp(t, "Null") == 0 ||
           strcmp(t, "NULL") == 0;
}

const char *scn_kind_name(const scn_node *n) {
    if (n->kind == SCN_MAP) return "a map";
    if (n->kind == SCN_SEQ) return "a list";
    return scn_is_null(n) ? "nothing" : "a string";
}

/* ---- events to nodes ---------------------------------------------------- */

static int next_event(builder *b, yaml_event_t *event) {
    if (!yaml_parser_parse(&b->parser, event)) return builder_syntax_error(b);
    return 0;
}

static int parse_node(builder *b, yaml_event_t *event, int depth, scn_node **out);

static size_t keypath_push(builder *b, const char *key, size_t index) {
    size_t saved = strlen(b->keypath);
    char *at = b->keypath + saved;
    size_t room = sizeof b->keypath - saved;
    if (key == NULL) snprintf(at, room, "[%zu]", index);
    else snprintf(at, room, "%s%s", saved > 0 ? "." : "", key);
    return saved;
}

static int parse_entry(builder *b, scn_node *map, const yaml_event_t *key_event, int depth) {
    const char *key = (const char *)key_event->data.scalar.value;
    int key_line = (int)key_event->start_mark.line + 1;
    size_t saved = keypath_push(b, key, 0);
    const scn_node *twin = scn_map_get(map, key);
    if (twin != NULL && b->path == NULL) return builder_fail(b, key_line, "duplicate key \"%s\"", key);
    if (twin != NULL) return builder_fail(b, key_line, "duplicate key (first given on line %d)", twin->key_line);
    yaml_event_t event;
    scn_node *value = NULL;
    if (next_event(b, &event) < 0) return -1;
    int rc = parse_node(b, &event, depth + 1, &value);
    yaml_event_delete(&event);
    if (rc < 0) return -1;
    value->key = strdup(key);
    if (value->key == NULL) return builder_fail(b, key_line, "out of memory");
    value->key_line = b->origin < 0 ? key_line : 0;
    node_append(map, value);
    b->keypath[saved] = '\0';
    return 0;
}

static int parse_mapping(builder *b, scn_node *map, int depth) {
    for (;;) {
        yaml_event_t event;
        if (next_event(b, &event) < 0) return -1;
        int rc = 0;
        if (event.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&event);
            return 0;
        }
        if (event.type != YAML_SCALAR_EVENT)
            rc = builder_fail(b, (int)event.start_mark.line + 1, "a key must be a plain word, not a map or a list");
        else
            rc = parse_entry(b, map, &event, depth);
        yaml_event_delete(&event);
        if (rc < 0) return -1;
    }
}

static int parse_sequence(builder *b, scn_node *seq, int depth) {
    for (size_t i = 0;; i++) {
        yaml_event_t event;
        if (next_event(b, &event) < 0) return -1;
        if (event.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&event);
            return 0;
        }
        size_t saved = keypath_push(b, NULL, i);
        scn_node *item = NULL;
        int rc = parse_node(b, &event, depth + 1, &item);
        yaml_event_delete(&event);
        if (rc < 0) return -1;
        node_append(seq, item);
        b->keypath[saved] = '\0';
    }
}

static int parse_scalar(builder *b, const yaml_event_t *event, scn_node *n) {
    size_t length = event->data.scalar.length;
    if (length > SCN_SCALAR_MAX) return builder_fail(b, n->line, "value too long (at most %d bytes)", SCN_SCALAR_MAX);
    if (strlen((const char *)event->data.scalar.value) != length)
        return builder_fail(b, n->line, "value holds a NUL byte");
    n->text = strdup((const char *)event->data.scalar.value);
    if (n->text == NULL) return builder_fail(b, n->line, "out of memory");
    n->plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return 0;
}

static int parse_node(builder *b, yaml_event_t *event, int depth, scn_node **out) {
    int line = (int)event->start_mark.line + 1;
    if (depth > SCN_TREE_DEPTH_MAX) return builder_fail(b, line, "nested too deeply (at most %d levels)", SCN_TREE_DEPTH_MAX);
    scn_kind kind;
    switch (event->type) {
    case YAML_SCALAR_EVENT: kind = SCN_SCALAR; break;
    case YAML_MAPPING_START_EVENT: kind = SCN_MAP; break;
    case YAML_SEQUENCE_START_EVENT: kind = SCN_SEQ; break;
    case YAML_ALIAS_EVENT: return builder_fail(b, line, "YAML aliases (*name) are not supported: write the value out");
    default: return builder_fail(b, line, "unexpected YAML event");
    }
    if ((kind == SCN_SCALAR && event->data.scalar.anchor != NULL) ||
        (kind == SCN_MAP && event->data.mapping_start.anchor != NULL) ||
        (kind == SCN_SEQ && event->data.sequence_start.anchor != NULL))
        return builder_fail(b, line, "YAML anchors (&name) are not supported: write the value out");
    scn_node *n = node_new(b, kind, line);
    if (n == NULL) return -1;
    *out = n;
    if (kind == SCN_SCALAR) return parse_scalar(b, event, n);
    return kind == SCN_MAP ? parse_mapping(b, n, depth) : parse_sequence(b, n, depth);
}

/* ---- documents ---------------------------------------------------------- */

/* The type and line of the next event, which is consumed. */
static int skip_event(builder *b, yaml_event_type_t *type, int *line) {
    yaml_event_t event;
    if (next_event(b, &event) < 0) return -1;
    *type = event.type;
    *line = (int)event.start_mark.line + 1;
    yaml_event_delete(&event);
    return 0;
}

/* Reads one document into *root; an empty stream leaves *root NULL. libyaml
 * guarantees the order of stream and document events. */
static int parse_document(builder *b, scn_node **root) {
    yaml_event_type_t type;
    int line;
    *root = NULL;
    if (skip_event(b, &type, &line) < 0) return -1;
    assert(type == YAML_STREAM_START_EVENT);
    if (skip_event(b, &type, &line) < 0) return -1;
    if (type == YAML_STREAM_END_EVENT) return 0;
    assert(type == YAML_DOCUMENT_START_EVENT);
    yaml_event_t event;
    if (next_event(b, &event) < 0) return -1;
    int rc = parse_node(b, &event, 0, root);
    yaml_event_delete(&event);
    if (rc < 0 || skip_event(b, &type, &line) < 0) return -1;
    assert(type == YAML_DOCUMENT_END_EVENT);
    if (skip_event(b, &type, &line) < 0) return -1;
    if (type != YAML_STREAM_END_EVENT)
        return builder_fail(b, line, "only one YAML document is allowed (remove the second ---)");
    return 0;
}

int scn_tree_load(scn_tree *t, const char *path, char *err, size_t err_cap) {
    assert(t != NULL);
    assert(path != NULL);
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_cap, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    builder b = {.t = t, .path = path, .origin = -1, .err = err, .err_cap = err_cap};
    int rc = -1;
    if (!yaml_parser_initialize(&b.parser)) {
        snprintf(err, err_cap, "%s: out of memory", path);
    } else {
        yaml_parser_set_input_file(&b.parser, f);
        rc = parse_document(&b, &t->root);
        yaml_parser_delete(&b.parser);
    }
    fclose(f);
    if (rc == 0 && (t->root == NULL || t->root->kind != SCN_MAP))
        rc = builder_fail(&b, t->root != NULL ? t->root->line : 1, "expected a map of scenario keys (name, duration, nodes, ...), got %s",
                          t->root != NULL ? scn_kind_name(t->root) : "an empty file");
    if (rc < 0) scn_tree_free(t);
    return rc;
}

void scn_tree_free(scn_tree *t) {
    scn_node *n = t->all;
    while (n != NULL) {
        scn_node *next = n->all_next;
        free(n->key);
        free(n->text);
        free(n);
        n = next;
    }
    memset(t, 0, sizeof *t);
}

/* ---- overrides -------------------------------------------------------- */

/* Parses an override's value as YAML: a scalar, or flow text like
 * {dist: uniform, min: 10ms, max: 50ms}. An empty value is a null. */
static int override_value(builder *b, const char *text, scn_node **out) {
    if (!yaml_parser_initialize(&b->parser)) return builder_fail(b, 0, "out of memory");
    yaml_parser_set_input_string(&b->parser, (const unsigned char *)text, strlen(text));
    int rc = parse_document(b, out);
    yaml_parser_delete(&b->parser);
    if (rc == 0 && *out == NULL) {
        *out = node_new(b, SCN_SCALAR, 0);
        if (*out == NULL) return -1;
        (*out)->text = strdup("");
        (*out)->plain = true;
        if ((*out)->text == NULL) return builder_fail(b, 0, "out of memory");
    }
    return rc;
}

/* The child of parent named component, made as an empty map when absent
 * and make is set. Sequences take an index: "attackers.0.count". */
static scn_node *override_step(builder *b, scn_node *parent, const char *component, bool make) {
    if (parent->kind == SCN_SEQ) {
        scn_node *item = (scn_node *)seq_get(parent, component);
        if (item == NULL)
            builder_fail(b, 0, "%s is a list of %zu entries: \"%s\" is not one of its indices (0, 1, ...)",
                         b->keypath[0] ? b->keypath : "the value", parent->child_count, component);
        return item;
    }
    if (parent->kind != SCN_MAP) {
        builder_fail(b, 0, "%s is a single value, not a map: set it whole (%s=...)", b->keypath, b->keypath);
        return NULL;
    }
    scn_node *child = (scn_node *)scn_map_get(parent, component);
    if (child != NULL || !make) return child;
    child = node_new(b, SCN_MAP, 0);
    if (child == NULL) return NULL;
    child->key = strdup(component);
    if (child->key == NULL) {
        builder_fail(b, 0, "out of memory");
        return NULL;
    }
    node_append(parent, child);
    return child;
}

/* Puts value at the last component of the path under parent. */
static int override_place(builder *b, scn_node *parent, const char *component, scn_node *value) {
    scn_node *old = override_step(b, parent, component, false);
    if (old == NULL && parent->kind != SCN_MAP) return -1;
    if (old != NULL) {
        node_replace(parent, old, value);
        return 0;
    }
    value->key = strdup(component);
    if (value->key == NULL) return builder_fail(b, 0, "out of memory");
    node_append(parent, value);
    return 0;
}

static int override_apply(builder *b, char *key, scn_node *value) {
    scn_node *at = b->t->root;
    char *component = key;
    for (;;) {
        char *dot = strchr(component, '.');
        if (dot != NULL) *dot = '\0';
        if (component[0] == '\0') return builder_fail(b, 0, "the key has an empty part (write a.b.c)");
        if (dot == NULL) return override_place(b, at, component, value);
        at = override_step(b, at, component, true);
        if (at == NULL) return -1;
        keypath_push(b, component, 0);
        component = dot + 1;
    }
}

static int override_one(scn_tree *t, size_t index, const char *text, char *err, size_t err_cap) {
    builder b = {.t = t, .override = text, .origin = (int)index, .err = err, .err_cap = err_cap};
    const char *eq = strchr(text, '=');
    if (eq == NULL || eq == text) return builder_fail(&b, 0, "expected KEY=VALUE, like protocol.gossipsub.D=8");
    char key[SCN_KEYPATH_MAX];
    if ((size_t)(eq - text) >= sizeof key) return builder_fail(&b, 0, "the key is too long");
    memcpy(key, text, (size_t)(eq - text));
    key[eq - text] = '\0';
    scn_node *value = NULL;
    if (override_value(&b, eq + 1, &value) < 0) return -1;
    if (override_apply(&b, key, value) < 0) return -1;
    t->override_node[index] = value;
    return 0;
}

int scn_tree_override(scn_tree *t, const char *const *overrides, size_t count, char *err, size_t err_cap) {
    assert(t != NULL && t->root != NULL);
    if (count > SCN_OVERRIDES_MAX) {
        snprintf(err, err_cap, "--set: too many overrides (at most %d)", SCN_OVERRIDES_MAX);
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        if (override_one(t, i, overrides[i], err, err_cap) < 0) return -1;
    return 0;
}

const scn_node *scn_find(const scn_tree *t, const char *dotted, bool *exact) {
    char path[SCN_KEYPATH_MAX];
    snprintf(path, sizeof path, "%s", dotted);
    const scn_node *at = t->root;
    char *state = NULL;
    *exact = true;
    for (char *component = strtok_r(path, ".", &state); component != NULL; component = strtok_r(NULL, ".", &state)) {
        const scn_node *next = at->kind == SCN_SEQ ? seq_get(at, component) : scn_map_get(at, component);
        if (next == NULL) {
            *exact = false;
            return at;
        }
        at = next;
    }
    return at;
}
