/*
 * segvec: an array that grows without moving what it holds, so that
 * threads may use the elements they know of while another thread appends.
 * Segment s holds SEGVEC_FIRST << s elements; they are created zeroed on
 * demand, under a lock, and never freed before segvec_free. Used by the
 * world's connections and the TCP model's ends (docs/performance.md, "The
 * parallel world").
 */
#ifndef SWARMLAB_SEGVEC_H
#define SWARMLAB_SEGVEC_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SEGVEC_FIRST 1024u
#define SEGVEC_SEGMENTS 40

typedef struct segvec {
    void *seg[SEGVEC_SEGMENTS];
    size_t elem;
    pthread_mutex_t lock;
} segvec;

static inline void segvec_init(segvec *v, size_t elem) {
    for (int s = 0; s < SEGVEC_SEGMENTS; s++) v->seg[s] = NULL;
    v->elem = elem;
    pthread_mutex_init(&v->lock, NULL);
}

static inline unsigned segvec_locate(size_t i, size_t *off) {
    uint64_t q = (uint64_t)i / SEGVEC_FIRST + 1;
    unsigned s = 63u - (unsigned)__builtin_clzll(q);
    *off = i - (size_t)SEGVEC_FIRST * (((size_t)1 << s) - 1);
    return s;
}

/* Element i, whose segment exists (segvec_make made it). */
static inline void *segvec_at(const segvec *v, size_t i) {
    size_t off;
    unsigned s = segvec_locate(i, &off);
    return (char *)v->seg[s] + off * v->elem;
}

/* Whether element i's segment exists. */
static inline int segvec_has(const segvec *v, size_t i) {
    size_t off;
    return v->seg[segvec_locate(i, &off)] != NULL;
}

/* Element i, its segment created when missing. */
static inline void *segvec_make(segvec *v, size_t i) {
    size_t off;
    unsigned s = segvec_locate(i, &off);
    pthread_mutex_lock(&v->lock);
    if (v->seg[s] == NULL) {
        v->seg[s] = calloc((size_t)SEGVEC_FIRST << s, v->elem);
        if (v->seg[s] == NULL) {
            fprintf(stderr, "segvec: out of memory\n");
            abort();
        }
    }
    void *at = (char *)v->seg[s] + off * v->elem;
    pthread_mutex_unlock(&v->lock);
    return at;
}

static inline void segvec_free(segvec *v) {
    for (int s = 0; s < SEGVEC_SEGMENTS; s++) {
        free(v->seg[s]);
        v->seg[s] = NULL;
    }
    pthread_mutex_destroy(&v->lock);
}

#endif
