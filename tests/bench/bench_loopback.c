/*
 * bench_loopback: the real-socket figures of `make bench` (issue 4).
 *
 * Three swarmlab-node daemons on 127.0.0.1 in a line A - B - C, all
 * subscribed to one topic, driven through their control sockets:
 *  - latency: sequential 256-byte messages published at A, one at a time,
 *    after LATENCY_WARMUP uncounted ones;
 *    1 hop is publish -> delivery event at B, 2 hops -> delivery at C, as
 *    this process sees them (so both include the control socket's way back);
 *  - burst: BURST messages published at A without waiting, until C has
 *    delivered them all: messages per second;
 *  - CPU: user + system seconds of the three daemons during the burst, per
 *    1,000 delivered messages (a message delivered at B and at C counts 2).
 *
 *   swarmlab-bench-loopback [swarmlab|js]
 *
 * "swarmlab" (the default) runs "$BUILD/swarmlab-node"; "js" runs the same
 * line of js-libp2p peers (tests/interop/peer.mjs, floodsub, which takes the
 * same options and control commands), for issue 4's comparison. Run from the
 * repository root; the js figures are skipped (exit 0) when node or the
 * packages that `make interop` installs are missing.
 */
#include "harness.h" /* first: it defines _GNU_SOURCE */

#include <assert.h>
#include <limits.h>
#include <sys/stat.h>

#define LATENCY_MESSAGES 300
/* Sent the same way first and not counted: node's JIT needs about this many
 * to reach its steady state (p50 1.5 ms after 0 or 300, 1.05 ms after 1000). */
#define LATENCY_WARMUP 1000
#define BURST_MESSAGES 5000
#define BURST_WINDOW 200 /* messages published but not yet delivered at C */
#define LATENCY_DEADLINE_MS 60000 /* the whole latency phase, warm-up included */
#define BURST_DEADLINE_MS 60000
#define PAYLOAD_BYTES 256
#define INTEROP_DIR "tests/interop"

/* What runs the three nodes, and the label of its figures. */
typedef struct bench_impl {
    const char *label;
    const char *title;
    const char *prefix[HARNESS_ARGS_MAX]; /* the command line before --listen and --control */
} bench_impl;

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(double *sorted, size_t n, double p) {
    size_t rank = (size_t)(p * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    return sorted[rank - 1];
}

/* CPU seconds (user + system) a process has used, from /proc. */
static double cpu_seconds(pid_t pid) {
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(line, sizeof line, f) == NULL) {
        if (f) fclose(f);
        return -1;
    }
    fclose(f);
    const char *after = strrchr(line, ')');
    unsigned long utime = 0, stime = 0;
    /* Fields 14 and 15, counted after the command name's closing parenthesis. */
    if (after == NULL || sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void payload(char *out, int number) {
    int n = snprintf(out, PAYLOAD_BYTES + 1, "m%06d-", number);
    memset(out + n, 'x', PAYLOAD_BYTES - (size_t)n);
    out[PAYLOAD_BYTES] = '\0';
}

static int measure_latency(const bench_impl *impl, harness_daemon *d) {
    static double hop1[LATENCY_MESSAGES], hop2[LATENCY_MESSAGES];
    char text[PAYLOAD_BYTES + 1], command[HARNESS_LINE_MAX], line[HARNESS_LINE_MAX], marker[16];
    long phase_deadline = harness_now_ms() + LATENCY_DEADLINE_MS;
    for (int i = -LATENCY_WARMUP; i < LATENCY_MESSAGES; i++) {
        payload(text, LATENCY_WARMUP + i);
        snprintf(marker, sizeof marker, "m%06d-", LATENCY_WARMUP + i);
        snprintf(command, sizeof command, "pub bench %s", text);
        double start = now_us();
        if (harness_send_line(&d[0].cmd, command) != 0) return -1;
        long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
        if (deadline > phase_deadline) deadline = phase_deadline;
        if (harness_next_event(&d[1], marker, NULL, line, sizeof line, deadline) != 0) return -1;
        double hop1_us = now_us() - start;
        if (harness_next_event(&d[2], marker, NULL, line, sizeof line, deadline) != 0) return -1;
        double hop2_us = now_us() - start;
        if (harness_read_line(&d[0].cmd, line, sizeof line, deadline) != 0) return -1; /* the pub reply */
        if (i >= 0) hop1[i] = hop1_us, hop2[i] = hop2_us;
    }
    qsort(hop1, LATENCY_MESSAGES, sizeof hop1[0], compare_double);
    qsort(hop2, LATENCY_MESSAGES, sizeof hop2[0], compare_double);
    printf("%-9s latency 1 hop     p50 %.3f ms   p99 %.3f ms   (%d sequential %d-byte messages, after %d uncounted)\n",
           impl->label, percentile(hop1, LATENCY_MESSAGES, 0.50) / 1e3, percentile(hop1, LATENCY_MESSAGES, 0.99) / 1e3,
           LATENCY_MESSAGES, PAYLOAD_BYTES, LATENCY_WARMUP);
    printf("%-9s latency 2 hops    p50 %.3f ms   p99 %.3f ms\n", impl->label, percentile(hop2, LATENCY_MESSAGES, 0.50) / 1e3,
           percentile(hop2, LATENCY_MESSAGES, 0.99) / 1e3);
    return 0;
}

/* Publishes at A as fast as C takes them, keeping at most BURST_WINDOW
 * messages in flight: floodsub, like every libp2p router, drops what
 * overflows a peer's queue, so an unpaced loop would measure drops, not
 * throughput. Each refill goes out as one write of many "pub" lines, so
 * that the load generator does not wake A once per message. */
static int burst_run(harness_daemon *d, long deadline, int *at_c) {
    char text[PAYLOAD_BYTES + 1], line[HARNESS_LINE_MAX];
    static char batch[BURST_WINDOW * (PAYLOAD_BYTES + 16)];
    int published = 0, replies = 0;
    while (*at_c < BURST_MESSAGES && harness_now_ms() < deadline) {
        size_t len = 0;
        while (published < BURST_MESSAGES && published - *at_c < BURST_WINDOW) {
            payload(text, 100000 + published++);
            len += (size_t)snprintf(batch + len, sizeof batch - len, "pub bench %s\n", text);
            assert(len < sizeof batch);
        }
        if (len > 0 && send(d[0].cmd.fd, batch, len, MSG_NOSIGNAL) != (ssize_t)len) return -1;
        while (replies < published - BURST_WINDOW / 2)
            if (harness_read_line(&d[0].cmd, line, sizeof line, deadline) == 0) replies++;
            else return -1;
        /* One delivery, waiting for it if need be, then every one already
         * read: the next refill covers all the slots they freed. */
        do {
            if (harness_next_event(&d[2], "\"event\":\"message\"", NULL, line, sizeof line, deadline) != 0)
                return -1;
            (*at_c)++;
        } while (*at_c < BURST_MESSAGES && memchr(d[2].events.buffer, '\n', d[2].events.len) != NULL);
    }
    while (replies < published)
        if (harness_read_line(&d[0].cmd, line, sizeof line, deadline) == 0) replies++;
        else return -1;
    return 0;
}

static int measure_burst(const bench_impl *impl, harness_daemon *d) {
    char line[HARNESS_LINE_MAX];
    double cpu_before = 0, cpu_after = 0, each_before[3], each[3];
    for (int k = 0; k < 3; k++) cpu_before += each_before[k] = cpu_seconds(d[k].pid);
    long deadline = harness_now_ms() + BURST_DEADLINE_MS;
    double start = now_us();
    int at_b = 0, at_c = 0;
    int rc = burst_run(d, deadline, &at_c);
    double seconds = (now_us() - start) / 1e6;
    while (at_b < BURST_MESSAGES && harness_next_event(&d[1], "\"event\":\"message\"", NULL, line, sizeof line, deadline) == 0)
        at_b++;
    for (int k = 0; k < 3; k++) {
        each[k] = cpu_seconds(d[k].pid);
        cpu_after += each[k];
        each[k] -= each_before[k];
    }
    if (rc != 0 || at_c < BURST_MESSAGES || at_b < BURST_MESSAGES) {
        fprintf(stderr, "bench_loopback: %s burst: %d of %d delivered at B, %d at C\n", impl->label, at_b, BURST_MESSAGES, at_c);
        return -1;
    }
    printf("%-9s burst             %.0f messages/s (%d messages A to C, 2 hops, %d in flight)\n", impl->label,
           BURST_MESSAGES / seconds, BURST_MESSAGES, BURST_WINDOW);
    printf("%-9s CPU               %.3f s per 1,000 delivered messages (3 processes, user + system)\n", impl->label,
           (cpu_after - cpu_before) / (2.0 * BURST_MESSAGES / 1000.0));
    /* Which process limits the burst: each one's busy share of the burst. */
    printf("%-9s CPU busy          A %.0f%%, B %.0f%%, C %.0f%% of the burst's %.2f s\n", impl->label,
           100 * each[0] / seconds, 100 * each[1] / seconds, 100 * each[2] / seconds, seconds);
    return 0;
}

/* node's path, from PATH; "" when there is none. */
static void find_node(char *node, size_t cap) {
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s", path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
    node[0] = '\0';
    for (char *save = NULL, *p = strtok_r(dirs, ":", &save); p != NULL && node[0] == '\0';
         p = strtok_r(NULL, ":", &save)) {
        snprintf(node, cap, "%s/node", p);
        if (access(node, X_OK) != 0) node[0] = '\0';
    }
}

/* The js-libp2p line: node and peer.mjs by absolute paths (node --import
 * takes a path or URL, and execv no PATH search). 1 when it cannot run here,
 * after saying why; 0, or -1 for a broken checkout. */
static int js_impl(bench_impl *impl) {
    static char node[PATH_MAX], dir[PATH_MAX], polyfill[PATH_MAX + 32], peer[PATH_MAX + 32];
    struct stat st;
    if (realpath(INTEROP_DIR, dir) == NULL || snprintf(peer, sizeof peer, "%s/peer.mjs", dir) < 0 ||
        access(peer, R_OK) != 0) {
        fprintf(stderr, "bench_loopback: %s/peer.mjs not found: run from the repository root\n", INTEROP_DIR);
        return -1;
    }
    snprintf(polyfill, sizeof polyfill, "%s/polyfill.mjs", dir);
    char modules[PATH_MAX + 32];
    snprintf(modules, sizeof modules, "%s/node_modules", dir);
    if (stat(modules, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("js-libp2p figures skipped: run make interop first (npm install)\n");
        return 1;
    }
    find_node(node, sizeof node);
    if (node[0] == '\0') {
        printf("js-libp2p figures skipped: node is not installed\n");
        return 1;
    }
    const char *prefix[] = {node, "--import", polyfill, peer, "--router", "floodsub", NULL};
    for (size_t i = 0; i < sizeof prefix / sizeof prefix[0]; i++) impl->prefix[i] = prefix[i];
    return 0;
}

/* The implementation argv names; 0, 1 (skip) or -1. */
static int choose_impl(int argc, char **argv, bench_impl *impl) {
    memset(impl, 0, sizeof *impl);
    const char *name = argc > 1 ? argv[1] : "swarmlab";
    if (argc <= 2 && strcmp(name, "swarmlab") == 0) {
        impl->label = "swarmlab";
        impl->title = "swarmlab-node, 3 daemons on 127.0.0.1 in a line";
        /* Started as js is (no --trace): a trace file is extra work js's
         * peers do not do, worth some 10% of the daemons' CPU here. */
        impl->prefix[0] = harness_binary();
        return 0;
    }
    if (argc <= 2 && strcmp(name, "js") == 0) {
        impl->label = "js";
        impl->title = "js-libp2p (tests/interop/peer.mjs, floodsub), 3 node processes on 127.0.0.1 in a line";
        return js_impl(impl);
    }
    fprintf(stderr, "usage: %s [swarmlab|js]\n", argv[0]);
    return -1;
}

static int start_node(const bench_impl *impl, harness_daemon *d, const char *tag) {
    return harness_start_program(d, tag, impl->prefix);
}

int main(int argc, char **argv) {
    bench_impl impl;
    int chosen = choose_impl(argc, argv, &impl);
    if (chosen != 0) return chosen > 0 ? 0 : 2;
    harness_daemon d[3];
    static const char *const tags[] = {"bench-a", "bench-b", "bench-c"};
    char reply[HARNESS_LINE_MAX];
    int rc = 1;
    setvbuf(stdout, NULL, _IOLBF, 0); /* each figure as it comes, in order with stderr */
    for (int k = 0; k < 3; k++) harness_init(&d[k]);
    for (int k = 0; k < 3; k++)
        if (start_node(&impl, &d[k], tags[k]) != 0) goto out;
    if (harness_connect(&d[0], &d[1]) != 0 || harness_connect(&d[1], &d[2]) != 0) goto out;
    for (int k = 0; k < 3; k++)
        if (harness_command(&d[k], "sub bench", reply, sizeof reply) != 0) goto out;
    if (harness_wait_route(&d[0], &d[2], "bench") != 0) goto out;
    harness_sleep_ms(200);
    printf("%s\n", impl.title);
    if (measure_latency(&impl, d) != 0 || measure_burst(&impl, d) != 0) goto out;
    rc = 0;
out:
    if (rc != 0) fprintf(stderr, "bench_loopback: %s: a node did not answer in time (logs under /tmp)\n", impl.label);
    for (int k = 0; k < 3; k++) harness_stop(&d[k]);
    return rc;
}
