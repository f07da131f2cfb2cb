/*
 * bench: the figures `make bench` prints (docs/performance.md).
 *
 *  - the kernel alone: events per second through schedule and run, with a
 *    handler that does nothing but schedule the next event (a steady heap of
 *    KERNEL_BENCH_PENDING events, as a large world keeps);
 *  - whole scenarios: wall seconds, kernel events per second, deliveries
 *    per second and peak memory (the process's maximum resident set).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
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

static int bench_scenario(const char *path, const char *const *overrides, size_t override_count, uint32_t threads) {
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
 * bench --backends [--set KEY=VALUE]... FILE...
 *                  the same, each on builtin and on ns3, side by side */
int main(int argc, char **argv) {
    enum { BENCH_OVERRIDES_MAX = 8 };
    const char *overrides[BENCH_OVERRIDES_MAX];
    size_t override_count = 0;
    int first = 1;
    bool both = argc > 1 && strcmp(argv[1], "--backends") == 0;
    if (argc > 1 && (strcmp(argv[1], "--scenario-only") == 0 || both))
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
    for (int i = first; i < argc; i++)
        failures += both ? bench_backends(argv[i], overrides, override_count)
                         : bench_scenario(argv[i], overrides, override_count, threads);
    return failures ? 1 : 0;
}
