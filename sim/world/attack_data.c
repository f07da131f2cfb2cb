/* attack_data: the attackers on data. See attack_data.h. */
#include "attack_data.h"

#include <stdlib.h>

#include "wire/bitswap_pb.h"

#define PRESENCE_TYPE_TAG 0x10 /* field 2, varint: a BlockPresence's type */

/* The message decoded (its views point into msg), or NULL: a message the
 * node built always decodes, so NULL means only that memory ran out. */
static bitswap_message *decoded(const uint8_t *msg, size_t len) {
    bitswap_message *m = malloc(sizeof *m);
    if (m != NULL && bitswap_decode(msg, len, m) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

/* withhold: every DONT_HAVE becomes HAVE, in place. The encoder writes a
 * presence as its CID, then the type field (absent for HAVE, 0x10 0x01 for
 * DONT_HAVE): an explicit 0 decodes as HAVE and keeps the length. */
static void claim_everything(void *user, uint8_t *msg, size_t len) {
    (void)user;
    bitswap_message *m = decoded(msg, len);
    for (size_t i = 0; m != NULL && i < m->presence_count; i++) {
        const bitswap_presence *p = &m->presences[i];
        uint8_t *after = (uint8_t *)p->cid.data + p->cid.len; /* a view into msg */
        if (p->type == BITSWAP_DONT_HAVE && after + 1 < msg + len && after[0] == PRESENCE_TYPE_TAG && after[1] == 1)
            after[1] = 0;
    }
    free(m);
}

/* withhold: whatever carries a block stays home. */
static bool drop_blocks(void *user, const uint8_t *msg, size_t len) {
    (void)user;
    bitswap_message *m = decoded(msg, len);
    bool blocks = m != NULL && m->block_count > 0;
    free(m);
    return blocks;
}

/* corrupt: every block's first byte flipped, in place. */
static void corrupt_blocks(void *user, uint8_t *msg, size_t len) {
    (void)user;
    bitswap_message *m = decoded(msg, len);
    for (size_t i = 0; m != NULL && i < m->block_count; i++)
        if (m->blocks[i].data.len > 0) ((uint8_t *)m->blocks[i].data.data)[0] ^= 0xff; /* a view into msg */
    free(m);
}

/* mute: nothing leaves. */
static bool drop_everything(void *user, const uint8_t *msg, size_t len) {
    (void)user, (void)msg, (void)len;
    return true;
}

const node_policy *attack_data_policy(attack_data_kind kind) {
    static const node_policy withhold = {.rewrite_bitswap = claim_everything, .drop_bitswap = drop_blocks};
    static const node_policy corrupt = {.rewrite_bitswap = corrupt_blocks};
    static const node_policy mute = {.drop_bitswap = drop_everything};
    switch (kind) {
    case ATTACK_DATA_WITHHOLD: return &withhold;
    case ATTACK_DATA_CORRUPT: return &corrupt;
    case ATTACK_DATA_MUTE: return &mute;
    }
    return NULL;
}
