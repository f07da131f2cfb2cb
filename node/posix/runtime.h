/*
 * runtime: the real-world implementation of the environment seam (env.h)
 * for one node: a single-threaded epoll event loop over non-blocking TCP
 * sockets, timers on CLOCK_MONOTONIC and randomness from getrandom().
 *
 * The loop owns every socket. The node's env->dial, env->write and
 * env->close only queue work; their effects (a dial completing or failing,
 * bytes leaving, a peer's close) reach the node later, from the loop, as
 * node.h's contract requires. Each connection has a bounded write queue:
 * above RUNTIME_WRITE_QUEUE_PAUSE bytes the loop stops reading from that
 * peer (back-pressure), and a write that would pass the queue's limit fails,
 * which makes the node close the connection (a stalled or flooding peer).
 *
 * The application (the daemon) adds its own descriptors to the same loop
 * with runtime_watch_fd: standard input, the control socket, its clients.
 * The runtime is the node's, not the daemon's: it includes nothing of
 * daemon*.h, and the daemon (main.c, daemon*.c) is one application on it.
 */
#ifndef SWARMLAB_RUNTIME_H
#define SWARMLAB_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/env.h"
#include "store_db.h"
#include "base/time_units.h"
#include "core/node.h"

#define RUNTIME_CONNECTIONS_MAX NODE_CONNECTIONS_MAX /* sockets; an accept beyond closes at once */
#define RUNTIME_LISTENERS_MAX 8
#define RUNTIME_WATCHES_MAX 64                   /* application descriptors */
#define RUNTIME_WRITE_QUEUE_MAX (8u << 20)       /* bytes queued per connection */
#define RUNTIME_WRITE_QUEUE_TOTAL_MAX (256u << 20) /* bytes queued over all connections */
#define RUNTIME_WRITE_QUEUE_PAUSE (1u << 20)     /* stop reading a peer we cannot write to */
#define RUNTIME_READ_CHUNK (64u * 1024u)         /* one read(); the node copies what it keeps */
#define RUNTIME_IDLE_TIMEOUT_NS (5 * 60 * NS_PER_S) /* nothing received for 5 min */
#define RUNTIME_LISTEN_BACKLOG 128
#define RUNTIME_ACCEPT_PAUSE_NS (100 * NS_PER_MS) /* out of descriptors, a listener rests this long
                                                      (or until a connection closes) */

typedef struct runtime runtime;

/* Who hears the loop's events: a node (runtime_attach_node) or, in tests, a
 * recorder standing in for one. */
typedef struct runtime_handler {
    void *user;
    void (*on_connection)(void *user, uint64_t conn_id, bool outbound);
    void (*on_bytes)(void *user, uint64_t conn_id, const uint8_t *bytes, size_t len);
    void (*on_closed)(void *user, uint64_t conn_id);
    void (*on_timer)(void *user, uint64_t timer_id);
} runtime_handler;

typedef struct runtime_config {
    uint32_t node_index; /* stamped on trace events */
    void (*trace)(void *user, const trace_event *event); /* may be NULL */
    void *trace_user;
    uint64_t idle_timeout_ns; /* 0: RUNTIME_IDLE_TIMEOUT_NS */
    size_t write_queue_max;   /* 0: RUNTIME_WRITE_QUEUE_MAX */
} runtime_config;

/* A descriptor of the application is ready: events holds
 * RUNTIME_FD_READABLE (also on hang-up and error) and/or RUNTIME_FD_WRITABLE. */
#define RUNTIME_FD_READABLE 1u
#define RUNTIME_FD_WRITABLE 2u
typedef void (*runtime_fd_fn)(void *user, int fd, uint32_t events);

/* Returns NULL when memory, epoll or libsodium fail. */
runtime *runtime_create(const runtime_config *config);
/* Closes every socket; the node (if any) must be destroyed first. */
void runtime_destroy(runtime *rt);
/* The seam to hand to node_create; valid as long as rt. */
const env *runtime_env(runtime *rt);
/* Gives the env's block storage ops (env.h store_*) to db, durable at each
 * put; NULL takes them away. Before node_create. */
void runtime_set_store(runtime *rt, store_db *db);
void runtime_attach_node(runtime *rt, node *n);
void runtime_set_handler(runtime *rt, const runtime_handler *handler);

/* Listens on /ip4/A.B.C.D/tcp/PORT; port 0 picks a free port. The address
 * actually bound is written to actual (may be NULL). 0 or -1. */
int runtime_listen(runtime *rt, const char *multiaddr, char *actual, size_t cap);
size_t runtime_listen_count(const runtime *rt);
/* The i-th bound address, e.g. "/ip4/127.0.0.1/tcp/40123". */
const char *runtime_listen_address(const runtime *rt, size_t i);

/* Calls fn whenever fd is readable, from the loop. 0 or -1. The fd stays
 * the caller's: unwatch it before closing it. */
int runtime_watch_fd(runtime *rt, int fd, runtime_fd_fn fn, void *user);
/* Also asks for RUNTIME_FD_WRITABLE (on), or stops asking (off). 0 or -1. */
int runtime_watch_writable(runtime *rt, int fd, bool on);
void runtime_unwatch_fd(runtime *rt, int fd);
/* Accepts a connection (non-blocking, close-on-exec) on fd, a listening
 * socket watched with runtime_watch_fd; -1 when none is waiting. Out of
 * descriptors, fd rests as the node's listeners do (RUNTIME_ACCEPT_PAUSE_NS,
 * or until a connection closes) instead of waking the loop every turn. */
int runtime_accept(runtime *rt, int fd);

/* One turn of the loop: waits at most timeout_ms (-1: until the next
 * timer or descriptor), dispatches, flushes. 0, or -1 if epoll failed. */
int runtime_poll(runtime *rt, int timeout_ms);
/* fn runs at the end of every turn, just before the node's writes go
 * out: where an application sends what it batched during the turn (one
 * write per turn instead of one per line under load). Its lines leave
 * first, so a local reader hears of a message before the node forwards
 * it. NULL turns it off. */
void runtime_set_turn_end(runtime *rt, void (*fn)(void *user), void *user);
/* Turns the loop until runtime_stop; 0, or -1 if epoll failed. */
int runtime_run(runtime *rt);
void runtime_stop(runtime *rt);

/* Sockets open now (connected or connecting). */
size_t runtime_connection_count(const runtime *rt);

#endif
