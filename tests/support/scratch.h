/*
 * scratch: a test's scratch folder and scenario file under /tmp, named by
 * the test and its process id (tests of commands that read a scenario file
 * and write a folder: test_ab, test_validate).
 */
#ifndef SWARMLAB_TEST_SCRATCH_H
#define SWARMLAB_TEST_SCRATCH_H

#include <stddef.h>

typedef struct scratch {
    char dir[64];            /* /tmp/swarmlab-test-NAME-PID */
    char scenario_path[96];  /* the same with .yaml */
} scratch;

/* Names the folder and writes scenario_text to the scenario file. 0, or -1. */
int scratch_create(scratch *s, const char *name, const char *scenario_text);
/* Removes both. 0, or -1. */
int scratch_remove(const scratch *s);
/* Reads DIR/name into text (at most cap - 1 bytes, then a NUL). 0, or -1. */
int scratch_read(const scratch *s, const char *name, char *text, size_t cap);

/* The tests' group setup and teardown over a static scratch tmp, with
 * tmp.dir and tmp.scenario_path naming its folder and file. */
#define SCRATCH_GROUP(name, text)                                                                           \
    static scratch tmp;                                                                                     \
    static int setup(void **state) {                                                                        \
        (void)state;                                                                                        \
        return scratch_create(&tmp, name, text);                                                            \
    }                                                                                                       \
    static int teardown(void **state) {                                                                     \
        (void)state;                                                                                        \
        return scratch_remove(&tmp);                                                                        \
    }

#endif
