/* seqno_table: the highest seqno accepted per origin, bounded. See seqno_table.h. */
#include "seqno_table.h"

#include <assert.h>

int seqno_table_init(seqno_table *t, size_t origins_max, const uint8_t key[FP_TABLE_KEY_BYTES]) {
    t->forgotten = 0;
    return fp_table_init(&t->origins, origins_max, key);
}

void seqno_table_free(seqno_table *t) { fp_table_free(&t->origins); }

bool seqno_table_is_new(const seqno_table *t, const uint8_t *origin, size_t origin_len, uint64_t seqno) {
    const uint64_t *last = fp_table_find(&t->origins, fp_table_fingerprint(&t->origins, origin, origin_len));
    return last == NULL || seqno > *last;
}

int seqno_table_accept(seqno_table *t, const uint8_t *origin, size_t origin_len, uint64_t seqno) {
    uint64_t fp = fp_table_fingerprint(&t->origins, origin, origin_len);
    uint64_t *last = fp_table_find(&t->origins, fp);
    if (last != NULL) {
        if (seqno > *last) *last = seqno;
        return 0;
    }
    if (fp_table_full(&t->origins)) {
        fp_table_drop_oldest(&t->origins);
        t->forgotten++;
    }
    return fp_table_add(&t->origins, fp, seqno);
}

size_t seqno_table_size(const seqno_table *t) { return fp_table_size(&t->origins); }
