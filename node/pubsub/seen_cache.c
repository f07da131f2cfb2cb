/* seen_cache: an expiring set of message ids, bounded in memory. See seen_cache.h. */
#include "seen_cache.h"

#include <assert.h>

int seen_cache_init(seen_cache *c, size_t capacity, uint64_t ttl_ns,
                    const uint8_t key[SEEN_CACHE_KEY_BYTES]) {
    c->ttl_ns = ttl_ns;
    return fp_table_init(&c->ids, capacity, key);
}

void seen_cache_free(seen_cache *c) { fp_table_free(&c->ids); }

void seen_cache_expire(seen_cache *c, uint64_t now_ns) {
    while (fp_table_size(&c->ids) > 0 && fp_table_oldest_value(&c->ids) <= now_ns) fp_table_drop_oldest(&c->ids);
}

bool seen_cache_contains(seen_cache *c, const uint8_t *id, size_t len, uint64_t now_ns) {
    seen_cache_expire(c, now_ns);
    return fp_table_find(&c->ids, fp_table_fingerprint(&c->ids, id, len)) != NULL;
}

int seen_cache_add(seen_cache *c, const uint8_t *id, size_t len, uint64_t now_ns) {
    seen_cache_expire(c, now_ns);
    uint64_t fp = fp_table_fingerprint(&c->ids, id, len);
    if (fp_table_find(&c->ids, fp) != NULL) return 0;
    return fp_table_add(&c->ids, fp, now_ns + c->ttl_ns); /* full: the new id is refused, no old one forgotten */
}

size_t seen_cache_size(const seen_cache *c) { return fp_table_size(&c->ids); }
