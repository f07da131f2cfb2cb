/*
 * bench: the figures `make bench` prints (docs/performance.md).
 *
 *  - the kernel alone: events per second through schedule and run, with a
 *    handler that does nothing but schedule the next event (a steady heap of
 *    KERNEL_BENCH_PENDING events, as a large world keeps);
 *  - whole scenarios: wall seconds, kernel events per second, deliveries
 *    per second and peak memory (the process's maximum resident set);
 *  - the parallel world's speedup (--speedup): each scenario on 1 and on 2
 *    threads, each run in a child process of its own (so that its peak
 *    memory is its own), and one line with both walls, the speedup and
 *    issue 16's targets;
 *  - the scale run (--scale): one scenario against the targets of wall
 *    time below virtual time and at most 8 GiB.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "world/kernel.h"
#include "random/rng.h"
#include "lab/run.h"

#define KERNEL_BENCH_EVENTS 20000000ull
/* Heaps of these sizes: a small world keeps about a thousand events
 * pending, the 1,000-peer floodsub run up to some ten thousand. */
static const uint32_t kernel_bench_pending[] = {1000, 10000, 100000};

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct bench_state {
    kernel *k;
    rng r;
    uint64_t remaining;
} bench_state;

static void reschedule(void *ctx, const kernel_event *ev) {
    bench_state *b = ctx;
    if (b->remaining == 0) return;
    b->remaining--;
    /* A random delay of up to ~1 ms; a mask, not a division, so that the
     * figure measures the kernel rather than the benchmark's arithmetic. */
    kernel_schedule(b->k, ev->time_ns + 1 + (rng_next(&b->r) & 0xfffff), 1, ev->a, ev->b);
}

static void bench_kernel_at(uint32_t pending) {
    kernel k;
    kernel_init(&k);
    bench_state b = {.k = &k, .remaining = KERNEL_BENCH_EVENTS - pending};
    rng_seed(&b.r, 1, 1);
    for (uint32_t i = 0; i < pending; i++) kernel_schedule(&k, rng_next(&b.r) & 0xfffff, 1, i, 0);
    double start = wall_now();
    uint64_t ran = kernel_run(&k, UINT64_MAX - 1, reschedule, &b);
    double seconds = wall_now() - start;
    printf("kernel: %6u pending: %llu events in %.2f s: %5.1f million events/s (target >= 10)\n", pending,
           (unsigned long long)ran, seconds, ran / seconds / 1e6);
    kernel_free(&k);
}

static void bench_kernel(void) {
    for (size_t i = 0; i < sizeof kernel_bench_pending / sizeof kernel_bench_pending[0]; i++)
        bench_kernel_at(kernel_bench_pending[i]);
}

/* Issue 16's targets for make bench on this 2-core machine. */
#define SPEEDUP_TARGET 1.6
#define SCALE_MEMORY_TARGET_GIB 8.0
typedef struct wall_target {
    const char *scenario;
    double seconds; /* on 2 threads */
} wall_target;
static const wall_target wall_targets[] = {{"bench-floodsub-1000", 12.0}, {"bench-gossipsub-1000", 20.0}};

/* What a scenario's run measured, for the lines that compare. */
typedef struct bench_figures {
    double wall_seconds, virtual_seconds, peak_gib;
    uint32_t threads;
    char name[64];
} bench_figures;

static int bench_scenario(const char *path, const char *const *overrides, size_t override_count, uint32_t threads,
                          bench_figures *out) {
    static scenario s;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(path, overrides, override_count, &s, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    run_options options = {.scenario = &s, .threads = threads};
    static run_result r;
    if (run_scenario(&options, &r, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double virtual_s = s.duration_ns / 1e9;
    printf("%s: %u nodes, %.0f s virtual, %s transport\n", s.name, s.nodes.count, virtual_s,
           s.network.transport == TRANSPORT_TCP ? "tcp" : "ideal");
    printf("  wall seconds      %.2f\n", r.wall_seconds);
    printf("  events/s          %.2f million (%llu kernel events, at most %llu pending)\n",
           r.events_processed / r.wall_seconds / 1e6, (unsigned long long)r.events_processed,
           (unsigned long long)r.events_pending_peak);
    printf("  deliveries/s      %.0f (%llu deliveries, delivery ratio %.4f)\n",
           r.summary.deliveries / r.wall_seconds, (unsigned long long)r.summary.deliveries,
           r.summary.delivery_ratio);
    printf("  peak memory       %.0f MiB (maximum resident set of the bench process)\n", usage.ru_maxrss / 1024.0);
    if (r.verify_memo)
        printf("  verify memo       %llu hits, %llu misses, %llu entries (world.verify_memo)\n",
               (unsigned long long)r.verify_memo_counts.hits, (unsigned long long)r.verify_memo_counts.misses,
               (unsigned long long)r.verify_memo_counts.entries);
    else
        printf("  verify memo       off (world.verify_memo=false: every node checks every signature)\n");
    printf("  threads           %u%s%s\n", r.threads, r.threads_why[0] ? ": " : "", r.threads_why);
    if (r.threads > 1)
        printf("  windows           %llu; threads' CPU in them %.2f s, critical path %.2f s (%.2fx on free cores)\n",
               (unsigned long long)r.windows, r.busy_ns / 1e9, r.critical_ns / 1e9,
               r.critical_ns > 0 ? (double)r.busy_ns / (double)r.critical_ns : 0.0);
    printf("  digest            %s\n", r.digest);
    fflush(stdout);
    if (out != NULL) {
        *out = (bench_figures){.wall_seconds = r.wall_seconds, .virtual_seconds = virtual_s,
                               .peak_gib = usage.ru_maxrss / (1024.0 * 1024.0), .threads = r.threads};
        snprintf(out->name, sizeof out->name, "%s", s.name);
    }
    return 0;
}

/* Runs the scenario in a child process (its peak memory its own) and
 * brings its figures back through a pipe. */
static int bench_in_child(const char *path, const char *const *overrides, size_t override_count, uint32_t threads,
                          bench_figures *out) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        close(fds[0]);
        bench_figures f;
        int failed = bench_scenario(path, overrides, override_count, threads, &f);
        if (!failed && write(fds[1], &f, sizeof f) != (ssize_t)sizeof f) failed = 1;
        _exit(failed);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], out, sizeof *out);
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
    return got == (ssize_t)sizeof *out ? 0 : 1;
}

static double wall_target_of(const char *name) {
    for (size_t i = 0; i < sizeof wall_targets / sizeof wall_targets[0]; i++)
        if (strcmp(wall_targets[i].scenario, name) == 0) return wall_targets[i].seconds;
    return 0;
}

static const char *verdict(bool met) { return met ? "met" : "missed"; }

/* The scenario on 1 and on 2 threads, then one line: both walls, the
 * speedup and the targets (the wall target is for 2 threads). */
static int bench_speedup(const char *path, const char *const *overrides, size_t override_count) {
    bench_figures one, two;
    if (bench_in_child(path, overrides, override_count, 1, &one) != 0 ||
        bench_in_child(path, overrides, override_count, 2, &two) != 0)
        return 1;
    double speedup = one.wall_seconds / two.wall_seconds, target = wall_target_of(two.name);
    printf("%s: 1 thread %.2f s, %u thread%s %.2f s: speedup %.2fx (target %.1fx: %s)", two.name, one.wall_seconds,
           two.threads, two.threads == 1 ? "" : "s", two.wall_seconds, speedup, SPEEDUP_TARGET, verdict(speedup >= SPEEDUP_TARGET));
    if (target > 0)
        printf("; wall on 2 threads target %.0f s: %s", target, verdict(two.wall_seconds <= target));
    printf("\n");
    return 0;
}

/* One scenario against the scale targets: wall below virtual time, at
 * most SCALE_MEMORY_TARGET_GIB of peak memory. */
static int bench_scale(const char *path, const char *const *overrides, size_t override_count, uint32_t threads) {
    bench_figures f;
    if (bench_in_child(path, overrides, override_count, threads, &f) != 0) return 1;
    printf("%s: wall %.1f s for %.0f s virtual, %.2fx virtual (target below 1x: %s); peak memory %.2f GiB "
           "(target at most %.0f GiB: %s)\n",
           f.name, f.wall_seconds, f.virtual_seconds, f.wall_seconds / f.virtual_seconds,
           verdict(f.wall_seconds < f.virtual_seconds), f.peak_gib, SCALE_MEMORY_TARGET_GIB,
           verdict(f.peak_gib <= SCALE_MEMORY_TARGET_GIB));
    return 0;
}

/* One scenario on each backend (issue 14): wall seconds and kernel events
 * per second side by side. Under ns3 the kernel holds the peers' events
 * only; ns-3's own (packets, ACKs, timers of its TCP) are not counted. */
static int bench_backends(const char *path, const char *const *overrides, size_t override_count) {
    static const char *const backends[2] = {"network.backend=builtin", "network.backend=ns3"};
    static scenario s;
    static run_result r[2];
    const char *with[16];
    if (override_count + 1 > sizeof with / sizeof with[0]) return 1;
    for (int b = 0; b < 2; b++) {
        memcpy(with, overrides, override_count * sizeof with[0]);
        with[override_count] = backends[b];
        char err[SCENARIO_ERROR_MAX];
        run_options options = {.scenario = &s};
        if (scenario_load(path, with, override_count + 1, &s, err, sizeof err) != 0 ||
            run_scenario(&options, &r[b], err, sizeof err) != 0) {
            fprintf(stderr, "bench: %s: %s\n", backends[b], err);
            return 1;
        }
    }
    printf("%s on both backends: %u nodes, %.0f s virtual\n", s.name, s.nodes.count, s.duration_ns / 1e9);
    printf("  %-18s %14s %14s %12s\n", "", "builtin", "ns3", "ns3/builtin");
    printf("  %-18s %14.2f %14.2f %11.1fx\n", "wall seconds", r[0].wall_seconds, r[1].wall_seconds,
           r[1].wall_seconds / r[0].wall_seconds);
    printf("  %-18s %14llu %14llu\n", "kernel events", (unsigned long long)r[0].events_processed,
           (unsigned long long)r[1].events_processed);
    double eps[2] = {r[0].events_processed / r[0].wall_seconds, r[1].events_processed / r[1].wall_seconds};
    printf("  %-18s %14.0f %14.0f %11.3fx\n", "kernel events/s", eps[0], eps[1], eps[1] / eps[0]);
    printf("  %-18s %14.4f %14.4f\n", "delivery ratio", r[0].summary.delivery_ratio, r[1].summary.delivery_ratio);
    printf("  %-18s %14.1f %14.1f\n", "latency p50 (ms)", r[0].summary.latency_ms_p50, r[1].summary.latency_ms_p50);
    printf("  (ns-3's own events, its packets and TCP timers, are not in the kernel's count)\n");
    return 0;
}

/* bench            the kernel alone
 * bench --scenario-only [--threads N] [--set KEY=VALUE]... FILE...
 *                  the scenarios, each with the overrides (as swarmlab run
 *                  --set takes them), without the kernel figure
 * bench --speedup [--set KEY=VALUE]... FILE...
 *                  each on 1 and 2 threads, and the speedup
 * bench --scale [--threads N] [--set KEY=VALUE]... FILE...
 *                  each against the scale targets
 * bench --backends [--set KEY=VALUE]... FILE...
 *                  the same, each on builtin and on ns3, side by side */
int main(int argc, char **argv) {
    enum { BENCH_OVERRIDES_MAX = 8 };
    const char *overrides[BENCH_OVERRIDES_MAX];
    size_t override_count = 0;
    int first = 1;
    const char *mode = argc > 1 ? argv[1] : "";
    bool both = strcmp(mode, "--backends") == 0, speedup = strcmp(mode, "--speedup") == 0,
         scale = strcmp(mode, "--scale") == 0;
    if (strcmp(mode, "--scenario-only") == 0 || both || speedup || scale)
        first = 2;
    else
        bench_kernel();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t threads = cores > 0 ? (uint32_t)cores : 1; /* the machine's cores */
    if (first + 1 < argc && strcmp(argv[first], "--threads") == 0) {
        threads = (uint32_t)strtoul(argv[first + 1], NULL, 10);
        if (threads < 1) threads = 1;
        first += 2;
    }
    while (first + 1 < argc && strcmp(argv[first], "--set") == 0) {
        if (override_count == BENCH_OVERRIDES_MAX) {
            fprintf(stderr, "bench: at most %d --set\n", BENCH_OVERRIDES_MAX);
            return 2;
        }
        overrides[override_count++] = argv[first + 1];
        first += 2;
    }
    int failures = 0;
    for (int i = first; i < argc; i++) {
        if (both)
            failures += bench_backends(argv[i], overrides, override_count);
        else if (speedup)
            failures += bench_speedup(argv[i], overrides, override_count);
        else if (scale)
            failures += bench_scale(argv[i], overrides, override_count, threads);
        else
            failures += bench_scenario(argv[i], overrides, override_count, threads, NULL);
    }
    return failures ? 1 : 0;
}
