/*
 * metrics_summary: the end of a run's measurements (metrics.h): the last
 * row closed, eligibility decided over each message's whole deadline
 * window, latencies sorted, the summary and the attack's measures.
 */
#include "metrics_internal.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/identity.h"

static int metrics_compare_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int metrics_compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* ---- finish ----------------------------------------------------------- */

static uint32_t metrics_row_of(const metrics *m, uint64_t time_ns) {
    uint64_t row = time_ns / m->config.sample_ns;
    return row >= m->sample_count ? m->sample_count - 1 : (uint32_t)row;
}

/* Eligibility and on-time deliveries of one message whose window ended
 * within the run; its publisher is neither. */
static void metrics_finish_eligibility(metrics *m, metrics_message *msg) {
    uint64_t until = msg->publish_ns + m->config.deadline_ns;
    for (uint32_t i = 0; i < m->config.honest_count; i++) {
        if (i == msg->publisher || !metrics_node_eligible(&m->nodes[i], msg->topic, msg->publish_ns, until))
            continue;
        msg->eligible++;
        msg->delivered += (msg->on_time[i / 8] >> (i % 8)) & 1u;
    }
    assert(msg->delivered <= msg->eligible);
}

static void metrics_finish_messages(metrics *m) {
    for (uint32_t i = 0; i < m->config.regions.count; i++) {
        metrics_region_latencies *r = &m->region_latencies[i];
        if (r->count > 1) qsort(r->us, r->count, sizeof *r->us, metrics_compare_u32);
    }
    for (uint32_t i = 0; i < m->message_count; i++) {
        metrics_message *msg = &m->messages[i];
        if (msg->latency_count > 1)
            qsort(msg->latencies_us, msg->latency_count, sizeof *msg->latencies_us, metrics_compare_u32);
        m->latency_total += msg->latency_count;
        if (msg->latency_ns_max > m->latency_ns_max) m->latency_ns_max = msg->latency_ns_max;
        msg->in_ratio = m->config.deadline_ns <= m->end_ns && msg->publish_ns <= m->end_ns - m->config.deadline_ns;
        if (msg->topic == METRICS_TOPIC_NONE || !msg->in_ratio) continue;
        metrics_finish_eligibility(m, msg);
        metrics_sample *row = &m->samples[metrics_row_of(m, msg->publish_ns)];
        row->eligible += msg->eligible;
        row->delivered += msg->delivered;
        m->summary.eligible_pairs += msg->eligible;
        m->summary.delivered_pairs += msg->delivered;
    }
}

/* Copies the latencies of messages [first, last) into out, sorted. */
static uint64_t metrics_gather_latencies(const metrics *m, uint32_t first, uint32_t last, uint32_t *out) {
    uint64_t count = 0;
    for (uint32_t i = first; i < last; i++) {
        const metrics_message *msg = &m->messages[i];
        if (msg->latency_count == 0) continue; /* its array may not exist */
        memcpy(out + count, msg->latencies_us, msg->latency_count * sizeof *out);
        count += msg->latency_count;
    }
    if (count > 1) qsort(out, count, sizeof *out, metrics_compare_u32);
    return count;
}

/* Latency percentiles per row, over the messages published in it: they
 * are contiguous because messages are recorded in time order. */
static void metrics_finish_row_latencies(metrics *m, uint32_t *scratch) {
    for (uint32_t first = 0, last; first < m->message_count; first = last) {
        uint32_t row = metrics_row_of(m, m->messages[first].publish_ns);
        for (last = first + 1; last < m->message_count; last++)
            if (metrics_row_of(m, m->messages[last].publish_ns) != row) break;
        uint64_t count = metrics_gather_latencies(m, first, last, scratch);
        metrics_sample *s = &m->samples[row];
        s->has_latency = count > 0;
        if (!s->has_latency) continue;
        s->latency_ms_p50 = metrics_us_to_ms(metrics_percentile(scratch, count, 50));
        s->latency_ms_p99 = metrics_us_to_ms(metrics_percentile(scratch, count, 99));
    }
}

static int metrics_finish_latencies(metrics *m) {
    m->latencies_sorted = malloc((m->latency_total ? m->latency_total : 1) * sizeof *m->latencies_sorted);
    uint32_t *scratch = malloc((m->latency_total ? m->latency_total : 1) * sizeof *scratch);
    if (m->latencies_sorted == NULL || scratch == NULL) {
        free(scratch);
        free(m->latencies_sorted);
        m->latencies_sorted = NULL;
        m->latency_total = 0;
        return -1;
    }
    uint64_t count = metrics_gather_latencies(m, 0, m->message_count, m->latencies_sorted);
    assert(count == m->latency_total);
    metrics_finish_row_latencies(m, scratch);
    free(scratch);
    metrics_summary *s = &m->summary;
    if (count == 0) return 0;
    s->latency_ms_p50 = metrics_us_to_ms(metrics_percentile(m->latencies_sorted, count, 50));
    s->latency_ms_p90 = metrics_us_to_ms(metrics_percentile(m->latencies_sorted, count, 90));
    s->latency_ms_p99 = metrics_us_to_ms(metrics_percentile(m->latencies_sorted, count, 99));
    return 0;
}

/* Node-time online within [0, end]: the denominator of bandwidth. */
static void metrics_finish_online(metrics *m) {
    for (uint32_t i = 0; i < m->config.honest_count; i++) {
        const metrics_span_list *spans = &m->nodes[i].online_spans;
        for (uint32_t k = 0; k < spans->count; k++) {
            const metrics_span *s = &spans->items[k];
            uint64_t until = s->until_ns < m->end_ns ? s->until_ns : m->end_ns;
            if (until > s->from_ns) m->online_node_ns += until - s->from_ns;
        }
    }
}

static double metrics_ratio(double numerator, double denominator, double if_empty) {
    return denominator > 0 ? numerator / denominator : if_empty;
}

static void metrics_finish_summary(metrics *m) {
    metrics_summary *s = &m->summary;
    s->delivery_ratio = metrics_ratio((double)s->delivered_pairs, (double)s->eligible_pairs, 1.0);
    s->latency_ms_max = m->latency_ns_max / NS_PER_MS_DOUBLE;
    s->duplicates_per_delivery = metrics_ratio((double)s->duplicates, (double)s->deliveries, 0.0);
    s->hops_mean = metrics_ratio((double)m->hops_sum, (double)m->hops_known, 0.0);
    s->bandwidth_bytes_per_node_per_s =
        metrics_ratio((double)s->bytes_sent, m->online_node_ns / NS_PER_S_DOUBLE, 0.0);
    s->amplification = metrics_ratio((double)s->bytes_sent, (double)s->payload_bytes_delivered, 0.0);
    s->control_overhead = metrics_ratio((double)s->bytes_sent - (double)s->payload_bytes_sent,
                                        (double)s->payload_bytes_sent, 0.0);
    s->control_bytes_per_payload_byte =
        metrics_ratio((double)s->control_bytes_sent, (double)s->payload_bytes_sent, 0.0);
}

/* ---- finish: attack measures ------------------------------------------ */

static uint32_t metrics_first_during(const metrics *m) {
    uint32_t first = 0;
    while (first < m->message_count && m->messages[first].publish_ns < m->config.attack_start_ns) first++;
    return first; /* messages are recorded in publish order */
}

/* Counts of the messages before and during the attack, after their
 * eligibility is known. */
static void metrics_finish_parts(metrics *m, uint32_t first_during) {
    for (uint32_t i = 0; i < m->message_count; i++) {
        const metrics_message *msg = &m->messages[i];
        metrics_part *part = &m->parts[i < first_during ? METRICS_BEFORE : METRICS_DURING];
        part->messages++;
        part->in_ratio += msg->in_ratio;
        part->eligible += msg->eligible;
        part->delivered += msg->delivered;
    }
    metrics_summary *s = &m->summary;
    const metrics_part *before = &m->parts[METRICS_BEFORE], *during = &m->parts[METRICS_DURING];
    assert(before->messages + during->messages == m->message_count);
    s->attack_messages_before = before->messages;
    s->attack_messages_during = during->messages;
    s->attack_messages_in_ratio_before = before->in_ratio;
    s->attack_messages_in_ratio_during = during->in_ratio;
    s->attack_eligible_pairs_before = before->eligible;
    s->attack_eligible_pairs_during = during->eligible;
    s->attack_delivered_pairs_before = before->delivered;
    s->attack_delivered_pairs_during = during->delivered;
    s->attack_delivery_ratio_before = metrics_ratio((double)before->delivered, (double)before->eligible, 1.0);
    s->attack_delivery_ratio_during = metrics_ratio((double)during->delivered, (double)during->eligible, 1.0);
}

/* p50 and p99 of each side; out of memory leaves them 0. */
static void metrics_finish_part_latencies(metrics *m, uint32_t first_during) {
    uint32_t *scratch = malloc((m->latency_total ? m->latency_total : 1) * sizeof *scratch);
    if (scratch == NULL) return;
    metrics_summary *s = &m->summary;
    uint64_t count = metrics_gather_latencies(m, 0, first_during, scratch);
    if (count > 0) {
        s->attack_latency_ms_p50_before = metrics_us_to_ms(metrics_percentile(scratch, count, 50));
        s->attack_latency_ms_p99_before = metrics_us_to_ms(metrics_percentile(scratch, count, 99));
    }
    count = metrics_gather_latencies(m, first_during, m->message_count, scratch);
    if (count > 0) {
        s->attack_latency_ms_p50_during = metrics_us_to_ms(metrics_percentile(scratch, count, 50));
        s->attack_latency_ms_p99_during = metrics_us_to_ms(metrics_percentile(scratch, count, 99));
    }
    free(scratch);
}

/* Median (nearest rank) and max of the attackers' times to graylist. */
static void metrics_finish_graylist(metrics *m) {
    metrics_summary *s = &m->summary;
    s->attack_attackers = m->attacker_count;
    uint64_t *times = malloc((m->attacker_count ? m->attacker_count : 1) * sizeof *times);
    if (times == NULL) return; /* out of memory: reported as none graylisted */
    uint32_t count = 0;
    for (uint32_t i = 0; i < m->attacker_count; i++) {
        uint64_t at = m->graylisted_ns[i];
        if (at == METRICS_OPEN) continue;
        times[count++] = at > m->config.attack_start_ns ? at - m->config.attack_start_ns : 0;
    }
    s->attack_attackers_graylisted = count;
    if (count > 0) {
        qsort(times, count, sizeof *times, metrics_compare_u64);
        s->attack_time_to_graylist_s_median = times[metrics_rank_index(count, 50)] / NS_PER_S_DOUBLE;
        s->attack_time_to_graylist_s_max = times[count - 1] / NS_PER_S_DOUBLE;
    }
    free(times);
}

/* After the messages, latencies and rows are done. */
static void metrics_finish_attack(metrics *m) {
    assert(m->config.attack);
    metrics_summary *s = &m->summary;
    s->attack = true;
    uint32_t first_during = metrics_first_during(m);
    metrics_finish_parts(m, first_during);
    metrics_finish_part_latencies(m, first_during);
    metrics_finish_graylist(m);
    s->attack_mesh_occupied_share_final = m->samples[m->sample_count - 1].mesh_occupied_share;
    s->attack_honest_bytes = s->bytes_sent;
    s->attack_attacker_bytes_per_honest_byte =
        metrics_ratio((double)s->attack_attacker_bytes, (double)s->attack_honest_bytes, 0.0);
}

void metrics_finish(metrics *m, uint64_t end_ns) {
    assert(m != NULL);
    assert(!m->finished);
    m->end_ns = end_ns;
    /* Rows after the last event keep the state it left. */
    metrics_advance(m, UINT64_MAX);
    assert(m->sample_current == m->sample_count - 1);
    metrics_gauges g;
    metrics_read_gauges(m, &g);
    metrics_close_row(m, m->sample_current, &g);
    metrics_finish_messages(m);
    (void)metrics_finish_latencies(m); /* out of memory leaves latencies empty */
    metrics_finish_online(m);
    metrics_finish_summary(m);
    if (m->config.attack) metrics_finish_attack(m);
    m->finished = true;
}

void metrics_get_summary(const metrics *m, metrics_summary *out) {
    assert(m != NULL && out != NULL);
    *out = m->summary;
}

