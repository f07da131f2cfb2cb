/*
 * metrics_write: a run's measurements as files (metrics.h):
 * metrics.json, messages.csv, timeseries.csv and latencies.txt, with
 * base/json.h's strings and reals and csv.h's cells.
 */
#include "metrics_internal.h"
#include "metrics_sealed.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "crypto/identity.h"
#include "csv.h"
#include "metrics_data.h"

/* ---- outputs ---------------------------------------------------------- */

/* The shortest of %.15g..%.17g that reads back as the same double
 * (base/json.h), so that `swarmlab compare` sees exactly the value
 * computed here; null when not finite, which no metric is defined to be. */
static void metrics_put_double(FILE *out, double value) {
    char text[JSON_REAL_TEXT_MAX];
    json_real_text(value, text);
    fputs(text, out);
}

/* A JSON string (base/json.h's escaping), or null. */
static void metrics_put_json_string(FILE *out, const char *text) {
    if (text == NULL) {
        fputs("null", out);
        return;
    }
    buf b;
    buf_init(&b, SIZE_MAX);
    if (json_put_text(&b, text) == 0) fwrite(b.data, 1, b.len, out);
    else fputs("null", out); /* out of memory */
    buf_free(&b);
}

static void metrics_json_key(FILE *out, int indent, const char *key) {
    fprintf(out, "%*s\"%s\": ", indent, "", key);
}

static void metrics_json_double(FILE *out, int indent, const char *key, double value, const char *end) {
    metrics_json_key(out, indent, key);
    metrics_put_double(out, value);
    fputs(end, out);
}

static void metrics_json_u64(FILE *out, int indent, const char *key, uint64_t value, const char *end) {
    metrics_json_key(out, indent, key);
    fprintf(out, "%" PRIu64 "%s", value, end);
}

static void metrics_json_parameters(FILE *out, const run_info *info) {
    metrics_json_key(out, 2, "parameters");
    fputs("{", out);
    for (size_t i = 0; i < info->parameter_count; i++) {
        assert(info->parameter_keys[i] != NULL && info->parameter_values_json[i] != NULL);
        fputs(i == 0 ? "\n" : ",\n", out);
        fprintf(out, "%4s", "");
        metrics_put_json_string(out, info->parameter_keys[i]);
        fprintf(out, ": %s", info->parameter_values_json[i]);
    }
    fputs(info->parameter_count > 0 ? "\n  },\n" : "},\n", out);
}

static void metrics_json_counts(FILE *out, const metrics *m) {
    const metrics_summary *s = &m->summary;
    uint64_t in_ratio = 0;
    for (uint32_t i = 0; i < m->message_count; i++) in_ratio += m->messages[i].in_ratio;
    fputs("  \"counts\": {\n", out);
    metrics_json_u64(out, 4, "messages_published", s->messages_published, ",\n");
    metrics_json_u64(out, 4, "messages_in_ratio", in_ratio, ",\n");
    metrics_json_u64(out, 4, "messages_after_cutoff", m->message_count - in_ratio, ",\n");
    metrics_json_u64(out, 4, "messages_untracked", m->messages_untracked, ",\n");
    metrics_json_u64(out, 4, "eligible_pairs", s->eligible_pairs, ",\n");
    metrics_json_u64(out, 4, "delivered_pairs", s->delivered_pairs, ",\n");
    metrics_json_u64(out, 4, "late_deliveries", m->late_deliveries, ",\n");
    metrics_json_u64(out, 4, "latencies", m->latency_total, ",\n");
    metrics_json_u64(out, 4, "deliveries", s->deliveries, ",\n");
    metrics_json_u64(out, 4, "duplicates", s->duplicates, ",\n");
    metrics_json_u64(out, 4, "redeliveries", s->redeliveries, ",\n");
    metrics_json_u64(out, 4, "rejections", s->rejections, ",\n");
    metrics_json_u64(out, 4, "hops_unknown", m->hops_unknown, ",\n");
    metrics_json_u64(out, 4, "bytes_sent", s->bytes_sent, ",\n");
    metrics_json_u64(out, 4, "payload_bytes_sent", s->payload_bytes_sent, ",\n");
    metrics_json_u64(out, 4, "payload_bytes_delivered", s->payload_bytes_delivered, ",\n");
    metrics_json_double(out, 4, "online_node_seconds", m->online_node_ns / NS_PER_S_DOUBLE, ",\n");
    metrics_json_u64(out, 4, "events", s->events, "\n  },\n");
}

static void metrics_json_settings(FILE *out, const metrics *m) {
    fputs("  \"settings\": {\n", out);
    metrics_json_u64(out, 4, "nodes", m->config.node_count, ",\n");
    metrics_json_u64(out, 4, "honest_nodes", m->config.honest_count, ",\n");
    metrics_json_double(out, 4, "deadline_s", m->config.deadline_ns / NS_PER_S_DOUBLE, ",\n");
    metrics_json_double(out, 4, "sample_s", m->config.sample_ns / NS_PER_S_DOUBLE, ",\n");
    metrics_json_double(out, 4, "duration_s", m->end_ns / NS_PER_S_DOUBLE, "\n  },\n");
}

static void metrics_json_measurements(FILE *out, const metrics_summary *s) {
    metrics_json_double(out, 2, "delivery_ratio", s->delivery_ratio, ",\n");
    fputs("  \"latency_ms\": {\n", out);
    metrics_json_double(out, 4, "p50", s->latency_ms_p50, ",\n");
    metrics_json_double(out, 4, "p90", s->latency_ms_p90, ",\n");
    metrics_json_double(out, 4, "p99", s->latency_ms_p99, ",\n");
    metrics_json_double(out, 4, "max", s->latency_ms_max, "\n  },\n");
    metrics_json_double(out, 2, "duplicates_per_delivery", s->duplicates_per_delivery, ",\n");
    fputs("  \"hops\": {\n", out);
    metrics_json_double(out, 4, "mean", s->hops_mean, ",\n");
    metrics_json_u64(out, 4, "max", s->hops_max, "\n  },\n");
    fputs("  \"bandwidth\": {\n", out);
    metrics_json_double(out, 4, "bytes_per_node_per_s", s->bandwidth_bytes_per_node_per_s, ",\n");
    metrics_json_double(out, 4, "amplification", s->amplification, "\n  },\n");
    metrics_json_double(out, 2, "control_overhead", s->control_overhead, ",\n");
}

static void metrics_json_control(FILE *out, const metrics_summary *s) {
    fputs("  \"control\": {\n", out);
    metrics_json_u64(out, 4, "ihave_ids", s->ihave_ids_sent, ",\n");
    metrics_json_u64(out, 4, "iwant_ids", s->iwant_ids_sent, ",\n");
    metrics_json_u64(out, 4, "idontwant_ids", s->idontwant_ids_sent, ",\n");
    metrics_json_u64(out, 4, "grafts", s->grafts_sent, ",\n");
    metrics_json_u64(out, 4, "prunes", s->prunes_sent, ",\n");
    metrics_json_u64(out, 4, "control_bytes", s->control_bytes_sent, ",\n");
    metrics_json_double(out, 4, "control_bytes_per_payload_byte", s->control_bytes_per_payload_byte, "\n  },\n");
}

/* Left out of runs without scoring; samples 0 alone when no score was of
 * an honest node by an honest node. */
static void metrics_json_scores(FILE *out, const metrics_summary *s) {
    if (s->peer_score_events == 0) return;
    fputs("  \"scores\": {\n", out);
    if (s->score_samples == 0) {
        metrics_json_u64(out, 4, "samples", 0, "\n  },\n");
        return;
    }
    metrics_json_u64(out, 4, "samples", s->score_samples, ",\n");
    metrics_json_double(out, 4, "honest_p10", s->score_p10, ",\n");
    metrics_json_double(out, 4, "honest_p50", s->score_p50, ",\n");
    metrics_json_double(out, 4, "honest_min", s->score_min, "\n  },\n");
}

/* A number, or null when there is none. */
static void metrics_json_double_or_null(FILE *out, int indent, const char *key, bool present, double value,
                                        const char *end) {
    metrics_json_key(out, indent, key);
    if (present) metrics_put_double(out, value);
    else fputs("null", out);
    fputs(end, out);
}

static void metrics_json_attack_part(FILE *out, const char *name, uint64_t messages, uint64_t in_ratio,
                                     uint64_t eligible, uint64_t delivered, double ratio, double p50, double p99) {
    fprintf(out, "    \"%s\": {\n", name);
    metrics_json_u64(out, 6, "messages", messages, ",\n");
    metrics_json_u64(out, 6, "messages_in_ratio", in_ratio, ",\n");
    metrics_json_u64(out, 6, "eligible_pairs", eligible, ",\n");
    metrics_json_u64(out, 6, "delivered_pairs", delivered, ",\n");
    metrics_json_double(out, 6, "delivery_ratio", ratio, ",\n");
    fputs("      \"latency_ms\": {\n", out);
    metrics_json_double(out, 8, "p50", p50, ",\n");
    metrics_json_double(out, 8, "p99", p99, "\n      }\n    },\n");
}

/* Only for a run with an attack: its absence says there was none. */
static void metrics_json_attack(FILE *out, const metrics *m) {
    const metrics_summary *s = &m->summary;
    if (!s->attack) return;
    fputs("  \"attack\": {\n", out);
    metrics_json_double(out, 4, "start_s", m->config.attack_start_ns / NS_PER_S_DOUBLE, ",\n");
    metrics_json_attack_part(out, "before", s->attack_messages_before, s->attack_messages_in_ratio_before,
                             s->attack_eligible_pairs_before, s->attack_delivered_pairs_before,
                             s->attack_delivery_ratio_before, s->attack_latency_ms_p50_before,
                             s->attack_latency_ms_p99_before);
    metrics_json_attack_part(out, "during", s->attack_messages_during, s->attack_messages_in_ratio_during,
                             s->attack_eligible_pairs_during, s->attack_delivered_pairs_during,
                             s->attack_delivery_ratio_during, s->attack_latency_ms_p50_during,
                             s->attack_latency_ms_p99_during);
    metrics_json_double(out, 4, "mesh_occupied_share_max", s->attack_mesh_occupied_share_max, ",\n");
    metrics_json_double(out, 4, "mesh_occupied_share_final", s->attack_mesh_occupied_share_final, ",\n");
    metrics_json_u64(out, 4, "attackers", s->attack_attackers, ",\n");
    metrics_json_u64(out, 4, "attackers_graylisted", s->attack_attackers_graylisted, ",\n");
    bool graylisted = s->attack_attackers_graylisted > 0;
    metrics_json_double_or_null(out, 4, "time_to_graylist_s_median", graylisted,
                                s->attack_time_to_graylist_s_median, ",\n");
    metrics_json_double_or_null(out, 4, "time_to_graylist_s_max", graylisted, s->attack_time_to_graylist_s_max,
                                ",\n");
    metrics_json_u64(out, 4, "attacker_bytes", s->attack_attacker_bytes, ",\n");
    metrics_json_u64(out, 4, "honest_bytes", s->attack_honest_bytes, ",\n");
    metrics_json_double(out, 4, "attacker_bytes_per_honest_byte", s->attack_attacker_bytes_per_honest_byte,
                        ",\n");
    metrics_json_u64(out, 4, "px_refused", s->attack_px_refused, "\n  },\n");
}

/* "regions": latency by the receiver's region; "classes": bytes sent by
 * each class's nodes, and per node per second. Only when configured. */
static void metrics_json_groups(FILE *out, const metrics *m) {
    const metrics_config *c = &m->config;
    if (c->regions.count > 0) {
        fputs("  \"latency_ms_by_region\": {\n", out);
        for (uint32_t i = 0; i < c->regions.count; i++) {
            const metrics_region_latencies *r = &m->region_latencies[i]; /* sorted when the metrics finished */
            metrics_json_key(out, 4, c->regions.names[i]);
            fprintf(out, "{\"deliveries\": %" PRIu64, r->count);
            static const unsigned percents[] = {50, 90, 99};
            for (size_t p = 0; p < 3; p++) {
                fprintf(out, ", \"p%u\": ", percents[p]);
                if (r->count == 0) fputs("null", out);
                else fprintf(out, "%.3f", metrics_us_to_ms(metrics_percentile(r->us, r->count, percents[p])));
            }
            fputs(i + 1 < c->regions.count ? "},\n" : "}\n", out);
        }
        fputs("  },\n", out);
    }
    if (c->classes.count > 0) {
        fputs("  \"bandwidth_by_class\": {\n", out);
        for (uint32_t k = 0; k < c->classes.count; k++) {
            uint64_t nodes = 0;
            for (uint32_t i = 0; i < c->node_count; i++) nodes += c->classes.of[i] == k;
            double seconds = m->end_ns / NS_PER_S_DOUBLE;
            double rate = nodes > 0 && seconds > 0 ? (double)m->class_bytes[k] / (double)nodes / seconds : 0;
            metrics_json_key(out, 4, c->classes.names[k]);
            fprintf(out, "{\"nodes\": %" PRIu64 ", \"bytes_sent\": %" PRIu64 ", \"bytes_per_node_per_s\": %.3f}%s\n",
                    nodes, m->class_bytes[k], rate, k + 1 < c->classes.count ? "," : "");
        }
        fputs("  },\n", out);
    }
}

int metrics_write_json(const metrics *m, const run_info *info, const char *path) {
    assert(m != NULL && info != NULL && path != NULL);
    assert(m->finished);
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    fputs("{\n", out);
    metrics_json_key(out, 2, "scenario");
    metrics_put_json_string(out, info->scenario_name);
    fprintf(out, ",\n  \"seed\": %" PRIu64 ",\n", info->seed);
    metrics_json_key(out, 2, "digest");
    metrics_put_json_string(out, info->digest_hex);
    fputs(",\n", out);
    metrics_json_key(out, 2, "router");
    metrics_put_json_string(out, info->router);
    fputs(",\n", out);
    metrics_json_parameters(out, info);
    metrics_json_measurements(out, &m->summary);
    metrics_json_groups(out, m);
    metrics_json_control(out, &m->summary);
    metrics_json_scores(out, &m->summary);
    metrics_json_attack(out, m);
    if (info->data != NULL) data_metrics_write_json(info->data, out);
    metrics_json_counts(out, m);
    metrics_json_settings(out, m);
    if (info->sealed != NULL) metrics_json_sealed(out, info->sealed);
    metrics_json_key(out, 2, "verify_memo");
    fprintf(out, "{\"enabled\": %s, ", info->verify_memo ? "true" : "false");
    metrics_json_u64(out, 0, "hits", info->verify_memo_hits, ", ");
    metrics_json_u64(out, 0, "misses", info->verify_memo_misses, ", ");
    metrics_json_u64(out, 0, "entries", info->verify_memo_entries, ", ");
    metrics_json_u64(out, 0, "capacity", info->verify_memo_capacity, "},\n");
    if (info->threads > 0) {
        metrics_json_key(out, 2, "threads");
        fprintf(out, "{\"used\": %u, \"why_one\": ", (unsigned)info->threads);
        metrics_put_json_string(out, info->threads_why != NULL ? info->threads_why : "");
        fputs("},\n", out);
    }
    if (info->extra_json != NULL) info->extra_json(info->extra_json_user, out);
    metrics_json_double(out, 2, "wall_seconds", info->wall_seconds, ",\n");
    metrics_json_u64(out, 2, "events_processed", info->events_processed, "\n}\n");
    return csv_close(out);
}

static void metrics_csv_latency(FILE *out, const metrics_message *msg, unsigned percent) {
    fputc(',', out);
    if (msg->latency_count > 0)
        csv_put_real(out, metrics_us_to_ms(metrics_percentile(msg->latencies_us, msg->latency_count, percent)));
}

static void metrics_csv_message(FILE *out, const metrics *m, const metrics_message *msg) {
    for (uint32_t k = 0; k < msg->id_len; k++) fprintf(out, "%02x", msg->id[k]);
    fputc(',', out);
    csv_put_text(out, msg->topic == METRICS_TOPIC_NONE ? NULL : m->topics[msg->topic]);
    fprintf(out, ",%" PRIu32 ",", msg->publisher);
    csv_put_real(out, msg->publish_ns / NS_PER_S_DOUBLE);
    fprintf(out, ",%" PRIu64 ",", msg->size_bytes);
    if (msg->in_ratio) fprintf(out, "%" PRIu64 ",%" PRIu64, msg->eligible, msg->delivered);
    else fputc(',', out); /* eligibility is undefined for a window cut by the run's end */
    metrics_csv_latency(out, msg, 50);
    metrics_csv_latency(out, msg, 99);
    fputc(',', out);
    if (msg->latency_count > 0) csv_put_real(out, msg->latency_ns_max / NS_PER_MS_DOUBLE);
    fprintf(out, ",%" PRIu64 ",%d\n", msg->duplicates, msg->in_ratio ? 1 : 0);
}

int metrics_write_messages_csv(const metrics *m, const char *path) {
    assert(m != NULL && path != NULL);
    assert(m->finished);
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    fputs("msg_id,topic,publisher,publish_time_s,size_bytes,eligible,delivered,"
          "latency_ms_p50,latency_ms_p99,latency_ms_max,duplicates,in_ratio\n",
          out);
    for (uint32_t i = 0; i < m->message_count; i++) metrics_csv_message(out, m, &m->messages[i]);
    return csv_close(out);
}

/* A cell, empty when there is no value. */
static void metrics_csv_double(FILE *out, bool present, double value) {
    fputc(',', out);
    if (present) csv_put_real(out, value);
}

/* The columns of mesh, control and scores. */
static void metrics_csv_sample_gossip(FILE *out, const metrics_sample *s) {
    if (s->has_mesh_range) fprintf(out, ",%" PRIu32 ",%" PRIu32, s->mesh_degree_min, s->mesh_degree_max);
    else fputs(",,", out);
    metrics_csv_double(out, s->has_mesh_range, s->mesh_degree_mean_subscribed);
    fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, s->control_bytes, s->payload_bytes_sent,
            s->ihave_ids, s->iwant_ids);
    bool scores = s->score_samples > 0;
    metrics_csv_double(out, scores, s->score_p10);
    metrics_csv_double(out, scores, s->score_p50);
    metrics_csv_double(out, scores, s->score_p90);
    metrics_csv_double(out, scores, s->score_min);
}

/* The attack column: empty without an attack or a node with a mesh. */
static void metrics_csv_sample_attack(FILE *out, const metrics *m, const metrics_sample *s) {
    metrics_csv_double(out, m->config.attack && s->has_attacker_mesh, s->attacker_mesh_share);
}

static void metrics_csv_sample(FILE *out, const metrics *m, uint32_t row) {
    const metrics_sample *s = &m->samples[row];
    csv_put_real(out, metrics_row_end_ns(m, row) / NS_PER_S_DOUBLE);
    fprintf(out, ",%" PRIu32 ",%" PRIu64 ",", s->online_nodes, s->connections);
    csv_put_real(out, s->mesh_degree_mean);
    fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", s->deliveries, s->duplicates, s->bytes_sent);
    if (s->eligible > 0) csv_put_real(out, (double)s->delivered / (double)s->eligible);
    fputc(',', out);
    if (s->has_latency) csv_put_real(out, s->latency_ms_p50);
    fputc(',', out);
    if (s->has_latency) csv_put_real(out, s->latency_ms_p99);
    metrics_csv_sample_gossip(out, s);
    metrics_csv_sample_attack(out, m, s);
    fputc('\n', out);
}

int metrics_write_timeseries_csv(const metrics *m, const char *path) {
    assert(m != NULL && path != NULL);
    assert(m->finished);
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    fputs("time_s,online_nodes,connections,mesh_degree_mean,deliveries,duplicates,bytes_sent,"
          "delivery_ratio,latency_ms_p50,latency_ms_p99,mesh_degree_min,mesh_degree_max,"
          "mesh_degree_mean_subscribed,control_bytes,payload_bytes_sent,ihave_ids,iwant_ids,"
          "score_p10,score_p50,score_p90,score_min,attacker_mesh_share\n",
          out);
    for (uint32_t row = 0; row < m->sample_count; row++) metrics_csv_sample(out, m, row);
    return csv_close(out);
}

int metrics_write_latencies(const metrics *m, const char *path) {
    assert(m != NULL && path != NULL);
    assert(m->finished);
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    for (uint64_t i = 0; i < m->latency_total; i++) {
        uint32_t us = m->latencies_sorted[i];
        fprintf(out, "%" PRIu32 ".%03" PRIu32 "\n", us / 1000, us % 1000); /* exact ms */
    }
    return csv_close(out);
}

int metrics_write_regions_csv(const metrics *m, const char *path) {
    assert(m != NULL && path != NULL);
    assert(m->finished && m->config.regions.count > 0);
    FILE *out = fopen(path, "w");
    if (out == NULL) return -1;
    fputs("region,deliveries,p50_ms,p90_ms,p99_ms\n", out);
    for (uint32_t i = 0; i < m->config.regions.count; i++) {
        const metrics_region_latencies *r = &m->region_latencies[i]; /* sorted when the metrics finished */
        fprintf(out, "%s,%" PRIu64, m->config.regions.names[i], r->count);
        static const unsigned percents[] = {50, 90, 99};
        for (size_t p = 0; p < 3; p++) {
            if (r->count == 0) fputs(",NaN", out); /* gnuplot skips it */
            else fprintf(out, ",%.3f", metrics_us_to_ms(metrics_percentile(r->us, r->count, percents[p])));
        }
        fputc('\n', out);
    }
    return csv_close(out);
}
