/* metrics_sealed: metrics.json's "sealed" object. See metrics_sealed.h. */
#include "metrics_sealed.h"

#include <inttypes.h>

void metrics_json_sealed(FILE *out, const metrics_sealed *s) {
    fprintf(out,
            "  \"sealed\": {\"members\": %" PRIu32 ", \"nonmembers\": %" PRIu32 ", \"revoked\": %" PRIu32
            ", \"published\": %" PRIu64 ", \"published_plain\": %" PRIu64 ", \"published_by_key\": {\"1\": %" PRIu64
            ", \"2\": %" PRIu64 "}",
            s->members, s->nonmembers, s->revoked, s->published, s->published_plain, s->published_by_key[0],
            s->published_by_key[1]);
    fprintf(out,
            ", \"member_deliveries\": %" PRIu64 ", \"member_deliveries_by_key\": {\"1\": %" PRIu64 ", \"2\": %" PRIu64
            "}, \"nonmember_receipts\": %" PRIu64 ", \"nonmember_plaintexts\": %" PRIu64,
            s->member_deliveries, s->member_deliveries_by_key[0], s->member_deliveries_by_key[1],
            s->nonmember_receipts, s->nonmember_plaintexts);
    fprintf(out,
            ", \"failures\": %" PRIu64 ", \"failures_by_why\": {\"unknown_key\": %" PRIu64 ", \"forged\": %" PRIu64
            ", \"malformed\": %" PRIu64 "}},\n",
            s->failures, s->unknown_key, s->forged, s->malformed);
}
