/*
 * test_swarm_data: announce and query on real sockets (node/data through
 * swarmlab-node's commands; docs/node.md, docs/data.md "The swarm's data:
 * announce and query"). Three daemons on loopback, a line a - b - c: when
 * a announces on the topic the others listen to, c (below its target)
 * dials it; a query from a for a block only c holds is answered by c
 * alone, and one for a block nobody holds by nobody, at its deadline.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define TOPIC "swarm/announce"

typedef struct trio {
    harness_daemon a, b, c;
    char store[HARNESS_TEXT_MAX];
} trio;

static void remove_store(const char *dir) {
    char command[HARNESS_TEXT_MAX + 16];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    assert_int_equal(system(command), 0);
}

static int trio_setup(void **state) {
    trio *t = calloc(1, sizeof *t);
    assert_non_null(t);
    harness_path(t->store, sizeof t->store, "data-c", ".d");
    remove_store(t->store);
    const char *with_store[] = {"--store", t->store, NULL};
    assert_int_equal(harness_start(&t->b, "data-b", NULL), 0);
    assert_int_equal(harness_start(&t->a, "data-a", NULL), 0);
    assert_int_equal(harness_start(&t->c, "data-c", with_store), 0);
    assert_int_equal(harness_connect(&t->a, &t->b), 0);
    assert_int_equal(harness_connect(&t->c, &t->b), 0);
    *state = t;
    return 0;
}

static int trio_teardown(void **state) {
    trio *t = *state;
    int clean = harness_stop(&t->a) == 0 && harness_stop(&t->b) == 0 && harness_stop(&t->c) == 0;
    remove_store(t->store);
    free(t);
    return clean ? 0 : -1;
}

static void ok(harness_daemon *d, const char *command) {
    char reply[HARNESS_LINE_MAX];
    assert_int_equal(harness_command(d, command, reply, sizeof reply), 0);
    if (strstr(reply, "\"ok\":true") == NULL) fail_msg("%s: %s", command, reply);
}

static void a_peer_that_announces_is_dialed_by_one_that_knew_nothing_of_it(void **state) {
    trio *t = *state;
    char reply[HARNESS_LINE_MAX];
    assert_int_equal(harness_command(&t->c, "peers", reply, sizeof reply), 0);
    assert_null(strstr(reply, t->a.id)); /* c knows b alone */
    ok(&t->b, "announce " TOPIC " 4");
    ok(&t->c, "announce " TOPIC " 4");
    harness_sleep_ms(300); /* their subscriptions reach a */
    ok(&t->a, "announce " TOPIC " 4");
    assert_int_equal(harness_wait_peer(&t->c, t->a.id), 0);
    assert_int_equal(harness_wait_peer(&t->a, t->c.id), 0);
    /* Bad arguments are refused with the usage. */
    assert_int_equal(harness_command(&t->a, "announce", reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "usage: announce TOPIC"));
    assert_int_equal(harness_command(&t->a, "announce " TOPIC " 0", reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "\"ok\":false"));
}

static void a_query_is_answered_by_the_holder_alone(void **state) {
    trio *t = *state;
    char reply[HARNESS_LINE_MAX], cid[HARNESS_TEXT_MAX];
    assert_int_equal(harness_command(&t->c, "put a block only c holds", reply, sizeof reply), 0);
    assert_int_equal(harness_json_string(reply, "cid", cid, sizeof cid), 0);
    ok(&t->b, "answer-queries");
    ok(&t->c, "answer-queries");
    ok(&t->a, "answer-queries");
    harness_sleep_ms(500); /* the subscriptions travel */
    char command[HARNESS_LINE_MAX];
    snprintf(command, sizeof command, "query %s 1500", cid);
    long asked = harness_now_ms();
    assert_int_equal(harness_command(&t->a, command, reply, sizeof reply), 0);
    long took = harness_now_ms() - asked;
    if (strstr(reply, "\"answers\":[\"") == NULL) fail_msg("query: %s", reply);
    assert_non_null(strstr(reply, t->c.id));
    assert_null(strstr(reply, t->b.id));
    assert_true(took >= 1400 && took < 5000); /* the reply waits for the deadline */
    /* A block nobody holds: an empty list, at the deadline too. */
    snprintf(command, sizeof command, "query %s 300", "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    assert_int_equal(harness_command(&t->a, command, reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "\"answers\":[]"));
    assert_int_equal(harness_command(&t->a, "query not-a-cid", reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "usage: query CID"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_peer_that_announces_is_dialed_by_one_that_knew_nothing_of_it, trio_setup,
                                        trio_teardown),
        cmocka_unit_test_setup_teardown(a_query_is_answered_by_the_holder_alone, trio_setup, trio_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
