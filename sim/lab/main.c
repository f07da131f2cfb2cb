/*
 * swarmlab: the laboratory's command (README.md; docs/architecture.md, "Design notes").
 *
 *   swarmlab run SCENARIO [--seed N] [--set KEY=VALUE]... [--out DIR] [--trace FILE]
 *   swarmlab run --shadow SHADOW.yaml [--out DIR] [--trace FILE] (sim/lab/shadow.h)
 *   swarmlab report DIR
 *   swarmlab compare BASE NEW [--tolerances FILE] [--tolerance METRIC=REL]... (sim/lab/compare.h)
 *   swarmlab sweep SCENARIO --param KEY=V1,V2... --seeds N [-j N] (sim/lab/sweep.h)
 *   swarmlab ab SCENARIO --a KEY=VALUE... --b KEY=VALUE... (sim/lab/ab.h)
 *   swarmlab testbed SCENARIO [--out DIR] (sim/lab/testbed.h)
 *   swarmlab validate SCENARIO [--backends builtin,ns3[,testbed]] [--tolerance 10%] (sim/lab/validate.h)
 *
 * Exit codes: 0 success, 1 a check failed, 2 bad input (usage, scenario).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ab.h"
#include "base/time_units.h"
#include "compare.h"
#include "sweep.h"
#include "plot.h"
#include "run.h"
#include "shadow.h"
#include "testbed.h"
#include "validate.h"

#define MAIN_OVERRIDES_MAX 64
#define EXIT_BAD_INPUT 2

static void usage(FILE *out) {
    fprintf(out,
            "usage: swarmlab run SCENARIO [--seed N] [--set KEY=VALUE]... [--out DIR] [--trace FILE] [--no-plots] [--quiet]\n"
            "                    [--threads N]   (the world's threads; default: the online CPUs)\n"
            "       swarmlab run --shadow SHADOW.yaml [--out DIR] [--trace FILE] [--no-plots] [--quiet]\n"
            "       swarmlab report DIR\n"
            "       swarmlab compare BASE NEW [--tolerances FILE] [--tolerance METRIC=REL]...\n"
            "       swarmlab sweep SCENARIO --param KEY=V1,V2,... [--param ...] --seeds N [-j N] [--out DIR] [--set KEY=VALUE]...\n"
            "       swarmlab ab SCENARIO --a KEY=VALUE... --b KEY=VALUE... [--set KEY=VALUE]... [--seed N] [--out DIR]\n"
            "       swarmlab testbed SCENARIO [--out DIR] [--seed N] [--set KEY=VALUE]... [--node PATH] [--links tun|netem] [--no-plots]\n"
            "       swarmlab testbed --shadow SHADOW.yaml [--out DIR] [--node PATH] [--no-plots]\n"
            "       swarmlab validate SCENARIO [--backends builtin,ns3[,testbed]] [--tolerance 10%%] [--seed N] [--set KEY=VALUE]... [--out DIR]\n"
            "\n"
            "  run      runs SCENARIO (a YAML file, see docs/scenarios.md) in the virtual world and writes\n"
            "           metrics.json, messages.csv, timeseries.csv and plots to results/runs/NAME-SEED/;\n"
            "           --shadow: libp2p test-plans' gossipsub-interop experiment (docs/gossipsub-interop.md)\n"
            "  report   redraws the plots of a finished run in DIR\n"
            "  compare  compares two runs metric by metric; exit 1 on a regression (docs/regression.md)\n"
            "  sweep    every combination of the values times N seeds, in parallel processes; CSV with 95%% CIs and plots\n"
            "  ab       runs SCENARIO under two settings and draws both on the same axes (results/ab/)\n"
            "  validate runs SCENARIO on each backend with the same seed, metrics side by side; exit 1 beyond the tolerance\n");
}

static int bad_usage(const char *why) {
    fprintf(stderr, "swarmlab: %s\n", why);
    usage(stderr);
    return EXIT_BAD_INPUT;
}

typedef struct run_args {
    const char *scenario_path;
    const char *shadow_path;
    const char *overrides[MAIN_OVERRIDES_MAX + 1];
    size_t override_count;
    char seed_override[48];
    const char *out_dir, *trace_path;
    bool plots, quiet;
    uint32_t threads;
} run_args;

static int parse_seed(const char *text, char *override, size_t cap) {
    char *end;
    unsigned long long seed = strtoull(text, &end, 10);
    if (*text == '\0' || *text == '-' || *end != '\0') return -1;
    snprintf(override, cap, "seed=%llu", seed);
    return 0;
}

/* Returns 0, or an exit code after printing usage. */
static int parse_run_args(int argc, char **argv, run_args *a) {
    memset(a, 0, sizeof *a);
    a->plots = true;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--seed") == 0 && has_value) {
            if (parse_seed(argv[++i], a->seed_override, sizeof a->seed_override) != 0)
                return bad_usage("--seed takes a non-negative integer");
        } else if (strcmp(arg, "--set") == 0 && has_value) {
            if (a->override_count == MAIN_OVERRIDES_MAX) return bad_usage("too many --set options");
            if (strchr(argv[i + 1], '=') == NULL) return bad_usage("--set takes KEY=VALUE");
            a->overrides[a->override_count++] = argv[++i];
        } else if (strcmp(arg, "--out") == 0 && has_value) {
            a->out_dir = argv[++i];
        } else if (strcmp(arg, "--shadow") == 0 && has_value) {
            if (a->shadow_path != NULL) return bad_usage("run takes one --shadow file");
            a->shadow_path = argv[++i];
        } else if (strcmp(arg, "--trace") == 0 && has_value) {
            a->trace_path = argv[++i];
        } else if (strcmp(arg, "--threads") == 0 && has_value) {
            char *end;
            unsigned long n = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || n < 1 || n > 1024) return bad_usage("--threads takes 1 to 1024");
            a->threads = (uint32_t)n;
        } else if (strcmp(arg, "--no-plots") == 0) {
            a->plots = false;
        } else if (strcmp(arg, "--quiet") == 0) {
            a->quiet = true;
        } else if (arg[0] == '-') {
            char why[160];
            snprintf(why, sizeof why, "unknown option or missing value: %s", arg);
            return bad_usage(why);
        } else if (a->scenario_path == NULL) {
            a->scenario_path = arg;
        } else {
            return bad_usage("run takes one scenario");
        }
    }
    if (a->shadow_path != NULL) {
        if (a->scenario_path != NULL) return bad_usage("run takes a scenario or --shadow, not both");
        if (a->override_count > 0 || a->seed_override[0] != '\0')
            return bad_usage("--shadow runs the experiment unchanged: no --set or --seed (general.seed sets the seed)");
        return 0;
    }
    if (a->scenario_path == NULL) return bad_usage("run needs a scenario file");
    if (a->threads == 0) { /* the machine's cores */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        a->threads = cores > 0 ? (uint32_t)cores : 1;
    }
    /* --seed wins over the file and over --set seed=..., so it goes last. */
    if (a->seed_override[0] != '\0') a->overrides[a->override_count++] = a->seed_override;
    return 0;
}

static void print_summary(const scenario *s, const run_result *r, const char *out_dir) {
    const metrics_summary *m = &r->summary;
    printf("swarmlab run %s (seed %llu): %u nodes, %s, %.0f s virtual in %.2f s wall\n", s->name,
           (unsigned long long)s->seed, s->nodes.count,
           s->protocol.router == ROUTER_FLOODSUB ? "floodsub" : "gossipsub", s->duration_ns / NS_PER_S_DOUBLE,
           r->wall_seconds);
    printf("  messages     %llu published; delivery ratio %.4f (%llu of %llu eligible pairs)\n",
           (unsigned long long)m->messages_published, m->delivery_ratio,
           (unsigned long long)m->delivered_pairs, (unsigned long long)m->eligible_pairs);
    printf("  latency      p50 %.1f ms   p90 %.1f ms   p99 %.1f ms   max %.1f ms\n", m->latency_ms_p50,
           m->latency_ms_p90, m->latency_ms_p99, m->latency_ms_max);
    printf("  duplicates   %.2f per delivery      hops mean %.2f, max %u\n", m->duplicates_per_delivery,
           m->hops_mean, m->hops_max);
    printf("  bandwidth    %.0f B/s per node   amplification %.2fx   control overhead %.3f\n",
           m->bandwidth_bytes_per_node_per_s, m->amplification, m->control_overhead);
    printf("  events       %llu in the kernel (%.2f M/s), %llu traced\n",
           (unsigned long long)r->events_processed,
           r->wall_seconds > 0 ? r->events_processed / r->wall_seconds / 1e6 : 0.0,
           (unsigned long long)r->trace_events);
    printf("  threads      %u%s%s\n", r->threads, r->threads_why[0] ? ": " : "", r->threads_why);
    printf("  digest       %s\n", r->digest);
    if (out_dir != NULL) {
        printf("  output       %s/ (metrics.json, messages.csv, timeseries.csv", out_dir);
        if (r->plots_drawn > 0) printf(", %d plots: latency_cdf.png, delivery.png, ...", r->plots_drawn);
        printf(")\n");
        if (r->plots_drawn < 0) printf("  plots        not drawn: %s\n", r->plot_error);
    }
}

/* swarmlab run --shadow: the experiment in the world (shadow.h). Exit 1
 * for a file that does not fit, as swarmlab-node --params. */
static int command_run_shadow(run_args *a) {
    static scenario s;
    char err[SCENARIO_ERROR_MAX];
    shadow_experiment *x = shadow_load(a->shadow_path, err, sizeof err);
    if (x == NULL) {
        fprintf(stderr, "swarmlab: %s\n", err);
        return 1;
    }
    char default_out[SCENARIO_PATH_MAX + 64];
    if (a->out_dir == NULL) {
        snprintf(default_out, sizeof default_out, "results/runs/shadow-%llu",
                 (unsigned long long)shadow_config_of(x)->seed);
        a->out_dir = default_out;
    }
    int rc = shadow_scenario(x, a->out_dir, &s, err, sizeof err);
    static run_result result;
    if (rc == 0) {
        run_options options = {.scenario = &s, .out_dir = a->out_dir, .trace_path = a->trace_path,
                               .progress = !a->quiet && isatty(STDERR_FILENO), .plots = a->plots,
                               .hooks = shadow_world_hooks(x, a->out_dir)};
        rc = run_scenario(&options, &result, err, sizeof err);
        if (shadow_world_finish(x, rc == 0 ? err : (char[256]){0}, 256) != 0) rc = -1;
    }
    shadow_free(x);
    if (rc != 0) {
        fprintf(stderr, "swarmlab: %s\n", err);
        return 1;
    }
    print_summary(&s, &result, a->out_dir);
    printf("  hosts        %s/hosts/nodeN/swarmlab-node.stdout (test-plans' JSON lines)\n", a->out_dir);
    return 0;
}

static int command_run(int argc, char **argv) {
    run_args a;
    int rc = parse_run_args(argc, argv, &a);
    if (rc != 0) return rc;
    if (a.shadow_path != NULL) return command_run_shadow(&a);
    static scenario s;
    char err[SCENARIO_ERROR_MAX];
    if (scenario_load(a.scenario_path, a.overrides, a.override_count, &s, err, sizeof err) != 0) {
        fprintf(stderr, "swarmlab: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    char default_out[SCENARIO_PATH_MAX + 64];
    if (a.out_dir == NULL) {
        snprintf(default_out, sizeof default_out, "results/runs/%s-%llu", s.name, (unsigned long long)s.seed);
        a.out_dir = default_out;
    }
    run_options options = {.scenario = &s, .out_dir = a.out_dir, .trace_path = a.trace_path,
                           .progress = !a.quiet && isatty(STDERR_FILENO), .plots = a.plots,
                           .threads = a.threads};
    static run_result result;
    if (run_scenario(&options, &result, err, sizeof err) != 0) {
        fprintf(stderr, "swarmlab: %s\n", err);
        fprintf(stderr, "swarmlab: reproduce with: swarmlab run %s --seed %llu\n", a.scenario_path,
                (unsigned long long)s.seed);
        return strstr(err, "not supported yet") != NULL ? EXIT_BAD_INPUT : 1;
    }
    print_summary(&s, &result, a.out_dir);
    return 0;
}

static int command_report(int argc, char **argv) {
    if (argc != 3) return bad_usage("report takes one run folder");
    char err[512];
    int drawn = plot_run(argv[2], argv[2], err, sizeof err);
    if (drawn < 0) {
        fprintf(stderr, "swarmlab: report %s: %s\n", argv[2], err);
        return 1;
    }
    printf("swarmlab report: %d plots drawn in %s/\n", drawn, argv[2]);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return bad_usage("no command");
    if (strcmp(argv[1], "run") == 0) return command_run(argc, argv);
    if (strcmp(argv[1], "report") == 0) return command_report(argc, argv);
    if (strcmp(argv[1], "ab") == 0) return ab_command(argc - 1, argv + 1);
    if (strcmp(argv[1], "compare") == 0) return compare_command(argc - 1, argv + 1);
    if (strcmp(argv[1], "sweep") == 0) return sweep_command(argc - 1, argv + 1);
    if (strcmp(argv[1], "testbed") == 0) return testbed_command(argc - 1, argv + 1);
    if (strcmp(argv[1], "validate") == 0) return validate_command(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    char why[128];
    snprintf(why, sizeof why, "unknown command: %s", argv[1]);
    return bad_usage(why);
}
