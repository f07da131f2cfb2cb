/*
 * bench_loopback: the real-socket figures of `make bench` (issue 4).
 *
 * Three swarmlab-node daemons on 127.0.0.1 in a line A - B - C, all
 * subscribed to one topic, driven through their control sockets:
 *  - latency: sequential 256-byte messages published at A, one at a time;
 *    1 hop is publish -> delivery event at B, 2 hops -> delivery at C, as
 *    this process sees them (so both include the control socket's way back);
 *  - burst: BURST messages published at A without waiting, until C has
 *    delivered them all: messages per second;
 *  - CPU: user + system seconds of the three daemons during the burst, per
 *    1,000 delivered messages (a message delivered at B and at C counts 2).
 */
#include "harness.h"

#define LATENCY_MESSAGES 300
#define BURST_MESSAGES 5000
#define BURST_WINDOW 200 /* messages published but not yet delivered at C */
#define PAYLOAD_BYTES 256

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

static int measure_latency(harness_daemon *d) {
    static double hop1[LATENCY_MESSAGES], hop2[LATENCY_MESSAGES];
    char text[PAYLOAD_BYTES + 1], command[HARNESS_LINE_MAX], line[HARNESS_LINE_MAX], marker[16];
    for (int i = 0; i < LATENCY_MESSAGES; i++) {
        payload(text, i);
        snprintf(marker, sizeof marker, "m%06d-", i);
        snprintf(command, sizeof command, "pub bench %s", text);
        double start = now_us();
        if (harness_send_line(&d[0].cmd, command) != 0) return -1;
        long deadline = harness_now_ms() + HARNESS_DEADLINE_MS;
        if (harness_next_event(&d[1], marker, NULL, line, sizeof line, deadline) != 0) return -1;
        hop1[i] = now_us() - start;
        if (harness_next_event(&d[2], marker, NULL, line, sizeof line, deadline) != 0) return -1;
        hop2[i] = now_us() - start;
        if (harness_read_line(&d[0].cmd, line, sizeof line, deadline) != 0) return -1; /* the pub reply */
    }
    qsort(hop1, LATENCY_MESSAGES, sizeof hop1[0], compare_double);
    qsort(hop2, LATENCY_MESSAGES, sizeof hop2[0], compare_double);
    printf("  latency 1 hop     p50 %.3f ms   p99 %.3f ms   (%d sequential %d-byte messages)\n",
           percentile(hop1, LATENCY_MESSAGES, 0.50) / 1e3, percentile(hop1, LATENCY_MESSAGES, 0.99) / 1e3,
           LATENCY_MESSAGES, PAYLOAD_BYTES);
    printf("  latency 2 hops    p50 %.3f ms   p99 %.3f ms\n", percentile(hop2, LATENCY_MESSAGES, 0.50) / 1e3,
           percentile(hop2, LATENCY_MESSAGES, 0.99) / 1e3);
    return 0;
}

/* Publishes at A as fast as C takes them, keeping BURST_WINDOW messages in
 * flight: floodsub, like every libp2p router, drops what overflows a
 * peer's queue, so an unpaced loop would measure drops, not throughput. */
static int burst_run(harness_daemon *d, long deadline, int *at_c) {
    char text[PAYLOAD_BYTES + 1], command[HARNESS_LINE_MAX], line[HARNESS_LINE_MAX];
    int published = 0, replies = 0;
    while (*at_c < BURST_MESSAGES && harness_now_ms() < deadline) {
        while (published < BURST_MESSAGES && published - *at_c < BURST_WINDOW) {
            payload(text, 100000 + published++);
            snprintf(command, sizeof command, "pub bench %s", text);
            if (harness_send_line(&d[0].cmd, command) != 0) return -1;
        }
        while (replies < published - BURST_WINDOW / 2)
            if (harness_read_line(&d[0].cmd, line, sizeof line, deadline) == 0) replies++;
            else return -1;
        if (harness_next_event(&d[2], "\"event\":\"message\"", NULL, line, sizeof line, deadline) != 0) return -1;
        (*at_c)++;
    }
    while (replies < published)
        if (harness_read_line(&d[0].cmd, line, sizeof line, deadline) == 0) replies++;
        else return -1;
    return 0;
}

static int measure_burst(harness_daemon *d) {
    char line[HARNESS_LINE_MAX];
    double cpu_before = 0, cpu_after = 0;
    for (int k = 0; k < 3; k++) cpu_before += cpu_seconds(d[k].pid);
    long deadline = harness_now_ms() + 60000;
    double start = now_us();
    int at_b = 0, at_c = 0;
    int rc = burst_run(d, deadline, &at_c);
    double seconds = (now_us() - start) / 1e6;
    while (at_b < BURST_MESSAGES && harness_next_event(&d[1], "\"event\":\"message\"", NULL, line, sizeof line, deadline) == 0)
        at_b++;
    for (int k = 0; k < 3; k++) cpu_after += cpu_seconds(d[k].pid);
    if (rc != 0 || at_c < BURST_MESSAGES || at_b < BURST_MESSAGES) {
        fprintf(stderr, "bench_loopback: burst: %d of %d delivered at B, %d at C\n", at_b, BURST_MESSAGES, at_c);
        return -1;
    }
    printf("  burst             %.0f messages/s (%d messages A to C, 2 hops, %d in flight)\n",
           BURST_MESSAGES / seconds, BURST_MESSAGES, BURST_WINDOW);
    printf("  CPU               %.3f s per 1,000 delivered messages (3 daemons, user + system)\n",
           (cpu_after - cpu_before) / (2.0 * BURST_MESSAGES / 1000.0));
    return 0;
}

int main(void) {
    harness_daemon d[3];
    static const char *const tags[] = {"bench-a", "bench-b", "bench-c"};
    char reply[HARNESS_LINE_MAX];
    int rc = 1;
    for (int k = 0; k < 3; k++) harness_init(&d[k]);
    for (int k = 0; k < 3; k++)
        if (harness_start(&d[k], tags[k], NULL) != 0) goto out;
    if (harness_connect(&d[0], &d[1]) != 0 || harness_connect(&d[1], &d[2]) != 0) goto out;
    for (int k = 0; k < 3; k++)
        if (harness_command(&d[k], "sub bench", reply, sizeof reply) != 0) goto out;
    if (harness_wait_route(&d[0], &d[2], "bench") != 0) goto out;
    harness_sleep_ms(200);
    printf("swarmlab-node, 3 daemons on 127.0.0.1 in a line\n");
    if (measure_latency(d) != 0 || measure_burst(d) != 0) goto out;
    rc = 0;
out:
    if (rc != 0) fprintf(stderr, "bench_loopback: a daemon did not answer in time (logs under /tmp)\n");
    for (int k = 0; k < 3; k++) harness_stop(&d[k]);
    return rc;
}
