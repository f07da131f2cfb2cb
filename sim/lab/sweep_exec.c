/*
 * sweep_exec: a sweep's runs as processes: each run's command, at most -j
 * children at once, polled and killed at --timeout, and each run's
 * metrics.json read back when it ends.
 */
#define _DEFAULT_SOURCE /* kill, nanosleep, readlink with glibc's -std=c11 */

#include "base/time_units.h"
#include "sweep.h"
#include "sweep_internal.h"

#include "run.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "gnuplot.h"
#include "json_read.h"
#include "scenario/scenario.h"
/* ---- reading a run ---------------------------------------------------- */

/* What the walk over a run's metrics.json keeps. */
typedef struct sweep_reader {
    sweep_run *run;
    bool digest_seen;
} sweep_reader;

/* A digest goes into runs.csv as it is: only hex digits are taken. */
static bool sweep_digest_valid(const json_read_leaf *leaf, size_t cap) {
    if (leaf->kind != JSON_READ_STRING || leaf->text_len == 0 || leaf->text_len >= cap) return false;
    for (size_t i = 0; i < leaf->text_len; i++)
        if (strchr("0123456789abcdef", leaf->text[i]) == NULL || leaf->text[i] == '\0') return false;
    return true;
}

static int sweep_on_leaf(void *user, const json_read_leaf *leaf) {
    sweep_reader *reader = user;
    sweep_run *r = reader->run;
    if (json_read_path_is(leaf, "digest")) {
        if (!sweep_digest_valid(leaf, sizeof r->digest)) return 1;
        memcpy(r->digest, leaf->text, leaf->text_len);
        r->digest[leaf->text_len] = '\0';
        reader->digest_seen = true;
        return 0;
    }
    for (size_t m = 0; m < SWEEP_METRICS; m++)
        if (json_read_path_is(leaf, sweep_metrics[m].json_path))
            r->metrics[m] = leaf->kind == JSON_READ_NUMBER ? leaf->number : NAN; /* null: none */
    return 0;
}

/* Fills the run's digest and metrics from its metrics.json (a metric it
 * lacks stays NAN and is left out of the means); 0, or -1 when the file is
 * unreadable, malformed or has no digest. */
int sweep_read_metrics(const sweep *w, sweep_run *r) {
    for (size_t m = 0; m < SWEEP_METRICS; m++) r->metrics[m] = NAN;
    char path[SWEEP_PATH_MAX + SWEEP_RUN_NAME_MAX + 32];
    snprintf(path, sizeof path, "%s/runs/%s/metrics.json", w->out, r->name);
    char *text, err[256];
    size_t len;
    if (json_read_file(path, SWEEP_JSON_BYTES_MAX, &text, &len, err, sizeof err) != 0) return -1;
    sweep_reader reader = {.run = r, .digest_seen = false};
    int rc = json_read_walk(text, len, sweep_on_leaf, &reader, err, sizeof err);
    free(text);
    return rc == 0 && reader.digest_seen ? 0 : -1;
}

/* ---- a run's command -------------------------------------------------- */

static void sweep_argv_push(sweep_argv *a, char *arg) {
    assert(a->argc + 1 < SWEEP_ARGV_MAX);
    a->argv[a->argc++] = arg;
    a->argv[a->argc] = NULL;
}

/* The exact command of a run: the seed goes with --seed, which wins over
 * the file; the parameters come after the --set options. */
void sweep_build_argv(const sweep *w, const sweep_run *r, sweep_argv *a) {
    memset(a, 0, sizeof *a);
    snprintf(a->seed, sizeof a->seed, "%llu", (unsigned long long)r->seed);
    int n = snprintf(a->out, sizeof a->out, "%s/runs/%s", w->out, r->name);
    assert(n > 0 && (size_t)n < sizeof a->out); /* OUT is at most half of it */
    sweep_argv_push(a, (char *)w->bin);
    sweep_argv_push(a, "run");
    sweep_argv_push(a, (char *)w->scenario_path);
    sweep_argv_push(a, "--seed");
    sweep_argv_push(a, a->seed);
    for (size_t i = 0; i < w->set_count; i++) {
        sweep_argv_push(a, "--set");
        sweep_argv_push(a, (char *)w->sets[i]);
    }
    for (size_t k = 0; k < w->grid.param_count; k++) {
        sweep_param_set(w, r->combination, k, a->params[k], sizeof a->params[k]);
        sweep_argv_push(a, "--set");
        sweep_argv_push(a, a->params[k]);
    }
    /* Each run's threads: --threads, else the cores shared among the jobs
     * (runs at once already use the cores; more threads would only wait). */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads = w->threads ? w->threads : (cpus > 0 && (size_t)cpus > w->jobs ? (size_t)cpus / w->jobs : 1);
    snprintf(a->threads, sizeof a->threads, "%zu", threads);
    sweep_argv_push(a, "--threads");
    sweep_argv_push(a, a->threads);
    sweep_argv_push(a, "--out");
    sweep_argv_push(a, a->out);
    sweep_argv_push(a, "--no-plots");
    sweep_argv_push(a, "--quiet");
}

/* Appends word to out (n bytes used of cap), as the shell reads it back:
 * a word with any byte outside the safe set goes in single quotes.
 * Returns the new length; stops short of cap. */
size_t sweep_shell_word(const char *word, char *out, size_t n, size_t cap) {
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=,:+-@%";
    bool quote = *word == '\0' || strspn(word, safe) != strlen(word);
    if (quote && n + 1 < cap) out[n++] = '\'';
    for (const char *c = word; *c != '\0' && n + 4 < cap; c++) {
        if (*c == '\'') {
            memcpy(out + n, "'\\'", 3); /* close, an escaped quote, reopen */
            n += 3;
        }
        out[n++] = *c;
    }
    if (quote && n + 1 < cap) out[n++] = '\'';
    return n;
}

/* The argument vector as one shell command line. Truncated at cap. */
void sweep_shell_command(const sweep_argv *a, char *out, size_t cap) {
    assert(cap > 0);
    size_t n = 0;
    for (size_t i = 0; i < a->argc && n + 1 < cap; i++) {
        if (i > 0) out[n++] = ' ';
        n = sweep_shell_word(a->argv[i], out, n, cap);
    }
    out[n < cap ? n : cap - 1] = '\0';
}

/* ---- processes -------------------------------------------------------- */

double sweep_now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / NS_PER_S_DOUBLE;
}

static void sweep_sleep(void) {
    struct timespec pause = {.tv_sec = 0, .tv_nsec = SWEEP_POLL_NS};
    nanosleep(&pause, NULL);
}

/* Starts argv (argv[0] a path, or a name looked up on PATH) with its
 * output in log_path, which it replaces. The pid, or -1 when the log
 * cannot be opened or fork fails. */
static pid_t sweep_spawn(char *const argv[], const char *log_path) {
    int fd = open(log_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_TRUNC, 0644);
    if (fd < 0) return -1;
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls until exec. */
        if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) _exit(SWEEP_EXIT_EXEC_FAILED);
        execvp(argv[0], argv);
        _exit(SWEEP_EXIT_EXEC_FAILED);
    }
    close(fd);
    return pid;
}

/* Whether pid has ended; then *status holds its wait status, or
 * SWEEP_STATUS_LOST when someone else reaped it (ECHILD). */
static bool sweep_reaped(pid_t pid, int *status) {
    assert(pid > 0);
    pid_t got = waitpid(pid, status, WNOHANG);
    if (got == pid) return true;
    if (got < 0 && errno == ECHILD) {
        *status = SWEEP_STATUS_LOST;
        return true;
    }
    return false;
}

/* ---- running the sweep ------------------------------------------------ */

void sweep_status_text(const sweep_run *r, char *out, size_t cap) {
    switch (r->state) {
    case SWEEP_OK: snprintf(out, cap, "ok"); break;
    case SWEEP_EXITED: snprintf(out, cap, "exit %d", r->detail); break;
    case SWEEP_SIGNALED: snprintf(out, cap, "signal %d", r->detail); break;
    case SWEEP_TIMED_OUT: snprintf(out, cap, "timeout after %d s", r->detail); break;
    case SWEEP_NO_METRICS: snprintf(out, cap, "no readable metrics.json"); break;
    case SWEEP_NOT_STARTED: snprintf(out, cap, "not started: %s", strerror(r->detail)); break;
    case SWEEP_LOST: snprintf(out, cap, "lost (reaped elsewhere)"); break;
    case SWEEP_PENDING:
    case SWEEP_RUNNING: snprintf(out, cap, "not finished"); break;
    }
}

/* A failed run, with the command that reproduces it: the sweep goes on. */
void sweep_report_failure(const sweep *w, const sweep_run *r) {
    assert(r->state != SWEEP_OK);
    sweep_argv a;
    sweep_build_argv(w, r, &a);
    char status[96], command[SWEEP_COMMAND_MAX];
    sweep_status_text(r, status, sizeof status);
    sweep_shell_command(&a, command, sizeof command);
    if (w->progress) fputc('\n', stderr);
    fprintf(stderr, "swarmlab sweep: run %s (seed %llu) failed: %s%s; its output is in %s/%s\n", r->name,
            (unsigned long long)r->seed, status, r->detail == SWEEP_EXIT_EXEC_FAILED ? " (could not execute it)" : "",
            a.out, SWEEP_RUN_LOG);
    fprintf(stderr, "swarmlab sweep: reproduce with: %s\n", command);
}

/* The state a run ends in, from its wait status or a SWEEP_STATUS_. */
static void sweep_run_ended(const sweep *w, sweep_run *r, int status) {
    assert(r->state == SWEEP_RUNNING);
    r->pid = 0;
    if (status == SWEEP_STATUS_TIMEOUT) {
        r->state = SWEEP_TIMED_OUT;
        r->detail = (int)w->timeout_s;
    } else if (status == SWEEP_STATUS_LOST) {
        r->state = SWEEP_LOST;
    } else if (WIFSIGNALED(status)) {
        r->state = SWEEP_SIGNALED;
        r->detail = WTERMSIG(status);
    } else if (WEXITSTATUS(status) != 0) {
        r->state = SWEEP_EXITED;
        r->detail = WEXITSTATUS(status);
    } else {
        r->state = sweep_read_metrics(w, r) == 0 ? SWEEP_OK : SWEEP_NO_METRICS;
    }
    if (r->state != SWEEP_OK) sweep_report_failure(w, r);
}

/* The runs alive (indices into runs) and how far the sweep has got. */
typedef struct sweep_pool {
    size_t active[SWEEP_JOBS_MAX];
    size_t active_count, next, finished;
} sweep_pool;

/* Starts the next run. A stale metrics.json from an earlier sweep in the
 * same folder is removed first, so that it cannot pass for this run's. */
static void sweep_start(sweep *w, sweep_pool *pool) {
    assert(pool->next < w->run_count);
    assert(pool->active_count < w->jobs);
    size_t index = pool->next++;
    sweep_run *r = &w->runs[index];
    sweep_argv a;
    sweep_build_argv(w, r, &a);
    char log_path[SWEEP_PATH_MAX + 16], metrics_path[SWEEP_PATH_MAX + 16];
    snprintf(log_path, sizeof log_path, "%s/%s", a.out, SWEEP_RUN_LOG);
    snprintf(metrics_path, sizeof metrics_path, "%s/metrics.json", a.out);
    pid_t pid = -1;
    if (run_make_dir(a.out) == 0 && (unlink(metrics_path) == 0 || errno == ENOENT))
        pid = sweep_spawn(a.argv, log_path);
    if (pid < 0) {
        r->state = SWEEP_NOT_STARTED;
        r->detail = errno;
        sweep_report_failure(w, r);
        pool->finished++;
        return;
    }
    r->state = SWEEP_RUNNING;
    r->pid = pid;
    r->started_s = sweep_now_s();
    pool->active[pool->active_count++] = index;
}

/* Reaps the runs that ended and kills those past the timeout; returns how
 * many ended. */
static size_t sweep_poll(sweep *w, sweep_pool *pool) {
    size_t ended = 0;
    double now_s = sweep_now_s();
    for (size_t i = pool->active_count; i-- > 0;) {
        sweep_run *r = &w->runs[pool->active[i]];
        int status;
        if (!sweep_reaped(r->pid, &status)) {
            if (now_s - r->started_s <= (double)w->timeout_s) continue;
            kill(r->pid, SIGKILL);
            while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR) {
            }
            status = SWEEP_STATUS_TIMEOUT;
        }
        sweep_run_ended(w, r, status);
        pool->active[i] = pool->active[--pool->active_count];
        ended++;
    }
    pool->finished += ended;
    return ended;
}

static void sweep_progress(const sweep *w, const sweep_pool *pool, double started_s) {
    size_t failed = 0;
    for (size_t i = 0; i < pool->next; i++)
        if (w->runs[i].state != SWEEP_OK && w->runs[i].state != SWEEP_RUNNING) failed++;
    fprintf(stderr, "\rswarmlab sweep: %zu of %zu runs done, %zu running, %zu failed, %.0f s   ", pool->finished,
            w->run_count, pool->active_count, failed, sweep_now_s() - started_s);
}

/* Runs everything, at most -j at once. Each pass starts runs, reaps or
 * sleeps; every run ends by itself or at its timeout, so the loop ends. */
void sweep_execute(sweep *w) {
    sweep_pool pool = {.active_count = 0, .next = 0, .finished = 0};
    double started_s = sweep_now_s();
    while (pool.finished < w->run_count) {
        while (pool.active_count < w->jobs && pool.next < w->run_count) sweep_start(w, &pool);
        size_t ended = sweep_poll(w, &pool);
        assert(pool.finished + pool.active_count == pool.next);
        if (w->progress) sweep_progress(w, &pool, started_s);
        if (ended == 0 && pool.active_count > 0) sweep_sleep();
    }
    if (w->progress) fputc('\n', stderr);
    w->failed_count = 0;
    for (size_t i = 0; i < w->run_count; i++)
        if (w->runs[i].state != SWEEP_OK) w->failed_count++;
}

/* Each combination's estimates, over its runs that succeeded. */
void sweep_aggregate(sweep *w) {
    double values[SWEEP_RUNS_MAX];
    for (size_t c = 0; c < w->combination_count; c++) {
        const sweep_run *runs = &w->runs[c * w->seed_count];
        for (size_t m = 0; m < SWEEP_METRICS; m++) {
            size_t n = 0;
            for (size_t s = 0; s < w->seed_count; s++)
                if (runs[s].state == SWEEP_OK) values[n++] = runs[s].metrics[m];
            sweep_estimate_of(values, n, &w->estimates[c][m]);
        }
        w->runs_ok[c] = 0;
        for (size_t s = 0; s < w->seed_count; s++) w->runs_ok[c] += runs[s].state == SWEEP_OK;
    }
}

