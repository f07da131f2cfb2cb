/*
 * daemon_options: the command line of swarmlab-node (docs/node.md).
 * Every value is checked here, so that a typo stops the daemon with exit 2
 * before it binds or dials anything.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "pubsub/gossipsub_params.h"
#include "wire/multiaddr.h"

void daemon_usage(FILE *out) {
    fputs("usage: swarmlab-node [--listen MA]... [--peer MA]... [--key FILE] [--trace FILE]\n"
          "                     [--store DIR] [--passphrase-file FILE]\n"
          "                     [--control PATH] [--router floodsub|gossipsub|gossipsub-v1.1] [--scoring]\n"
          "                     [--message-id from-seqno|key-seqno|sha256|first-8-bytes]\n"
          "                     [--signature-policy strict-sign|strict-no-sign]\n"
          "                     [--validation-delay-ms N] [--seen-max-bytes N]\n"
          "                     [--seqno-validator] [--seqno-origins-max N] [--prune-peers N]\n"
          "                     [--px-dials-in-flight N] [--accept-px-inbound] [--attack drop]\n"
          "                     [LIMITS] [--help]\n"
          "       swarmlab-node key new|show|export|import|passwd ... (swarmlab-node key --help)\n"
          "       swarmlab-node --params params.json [--node-id N] [--interop-port P]\n"
          "                     [--interop-addr-base A.B.C.D] [--listen MA] [--trace FILE] [LIMITS]\n"
          "\n"
          "  --listen MA     listen on /ip4/A.B.C.D/tcp/PORT (port 0: any free port;\n"
          "                  default " DAEMON_LISTEN_DEFAULT "); repeatable\n"
          "  --peer MA       dial /ip4/A.B.C.D/tcp/PORT[/p2p/ID] at start; repeatable\n"
          "  --key FILE      identity file, created (mode 0600) when missing; refused\n"
          "                  when group or others may read or write it\n"
          "  --trace FILE    write trace events as JSON lines\n"
          "  --store DIR     the encrypted block store (docs/data.md), created mode 0700\n"
          "  --passphrase-file FILE  the passphrase of the store and a sealed key file\n"
          "                  (mode 0600; or the environment variable " STORE_PASSPHRASE_ENV ")\n"
          "  --control PATH  Unix control socket (mode 0600): commands in, JSON lines out\n"
          "  --router NAME   pubsub router: floodsub (default), gossipsub (offers\n"
          "                  /meshsub/1.2.0 with IDONTWANT, then 1.1.0 and 1.0.0), or\n"
          "                  gossipsub-v1.1 (offers 1.1.0 and 1.0.0 only)\n"
          "  --scoring       gossipsub peer scoring with the default parameters (docs/gossipsub.md)\n"
          "  --message-id K  message ids: from-seqno (default; go, rust), key-seqno\n"
          "                  (js-libp2p), sha256 (of the data) or first-8-bytes (of the\n"
          "                  data, as test-plans' gossipsub-interop): a mesh must agree\n"
          "  --signature-policy P  strict-sign (default) or strict-no-sign (no from,\n"
          "                  seqno, signature or key, as Ethereum; needs a content id)\n"
          "  --validation-delay-ms N  hold each message from a peer N ms before it is\n"
          "                  delivered and forwarded (default 0; at most 60000)\n"
          "  --prune-peers N peers a PRUNE offers, and peer-exchange dials per\n"
          "                  heartbeat (default 16; 0-512)\n"
          "  --px-dials-in-flight N  peer-exchange dials at once (default 8; 0-512)\n"
          "  --accept-px-inbound  without --scoring, follow peer exchange from peers\n"
          "                  that dialled us too (default: only from peers we dialled)\n"
          "  --seen-max-bytes N  memory of the seen cache (default 41943040: 1,048,576\n"
          "                  ids, each kept 120 s); past it new messages are ignored\n"
          "  --seqno-validator  ignore messages whose seqno is at or below the last\n"
          "                  accepted from their origin (replays beyond the seen cache)\n"
          "  --seqno-origins-max N  origins the seqno validator remembers (default 65536)\n"
          "  --attack drop   a censor, for the testbed's attackers: never relay others'\n"
          "                  messages (docs/attacks.md; the world's drop attacker)\n"
          "\n"
          "libp2p test-plans' gossipsub-interop (docs/gossipsub-interop.md):\n"
          "  --params FILE   run the script of params.json: gossipsub, StrictNoSign, the\n"
          "                  first-8-bytes message id, JSON events on standard output;\n"
          "                  the node's key comes from its id; it exits when the script ends\n"
          "  --node-id N     the node id (default: from the hostname nodeN)\n"
          "  --interop-port P  TCP port of every node (default 9000; listens on 0.0.0.0)\n"
          "  --interop-addr-base A.B.C.D  node N is at this address plus N instead of\n"
          "                  its hostname's (tests on 127.0.0.x); it listens there\n"
          "\n"
          "Connection limits (docs/node.md \"Limits\"; N a whole number, S seconds):\n"
          "  --connections-max N    slots for connections in every phase (default 512, at most 512)\n"
          "  --handshakes-max N     inbound connections still upgrading (default 64)\n"
          "  --per-ip4-max N        inbound connections from one IPv4 address (default 8)\n"
          "  --outbound-reserve N   slots inbound connections never take (default 32)\n"
          "  --inbound-reserve N    slots our own dials never take (default 32)\n"
          "  --high-water N         established peers above which the least useful are closed (default 384)\n"
          "  --low-water N          established peers such a trim leaves (default 320)\n"
          "  --grace S              a new peer is not trimmed for S seconds (default 60)\n"
          "  --handshake-timeout S  an upgrade must finish within S seconds (default 10)\n"
          "  --no-conn-limits       only --connections-max and --handshake-timeout apply\n"
          "\n"
          "Commands, on standard input or the control socket, one per line:\n"
          "  sub TOPIC | unsub TOPIC | pub TOPIC TEXT | peers | ping PEERID\n"
          "  connect MULTIADDR | msg PEERID TEXT | id | watch | quit\n"
          "  put TEXT | put-file PATH | get CID [PATH] | blocks   (with --store)\n"
          "See docs/node.md.\n",
          out);
}

/* The value of option name at argv[*i]: "--name VALUE" or "--name=VALUE". */
static const char *option_value(int argc, char **argv, int *i, const char *name) {
    const char *arg = argv[*i];
    size_t len = strlen(name);
    if (strncmp(arg, name, len) != 0) return NULL;
    if (arg[len] == '=') return arg + len + 1;
    if (arg[len] != '\0' || *i + 1 >= argc) return NULL;
    *i += 1;
    return argv[*i];
}

static int option_is(const char *arg, const char *name) {
    size_t len = strlen(name);
    return strncmp(arg, name, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

/* Fills err and returns -1. */
static int option_error(char *err, size_t cap, const char *what, const char *arg) {
    snprintf(err, cap, "%s%s", what, arg);
    return -1;
}

static int check_multiaddr(const char *option, const char *value, char *err, size_t cap) {
    multiaddr ma;
    if (multiaddr_parse(value, &ma) == 0) return 0;
    snprintf(err, cap, "%s: not an /ip4/A.B.C.D/tcp/PORT multiaddr: %s", option, value);
    return -1;
}

/* The numeric connection limits, by flag: a count, or seconds. */
typedef struct limit_option {
    const char *name;
    size_t offset; /* in conn_limits */
    bool seconds;  /* a uint64_t of nanoseconds, given in whole seconds */
} limit_option;

#define LIMIT(name, field, secs) {name, offsetof(conn_limits, field), secs}
static const limit_option limit_options[] = {
    LIMIT("--connections-max", connections_max, false), LIMIT("--handshakes-max", handshakes_max, false),
    LIMIT("--per-ip4-max", per_ip4_max, false),         LIMIT("--outbound-reserve", outbound_reserve, false),
    LIMIT("--inbound-reserve", inbound_reserve, false), LIMIT("--high-water", high_water, false),
    LIMIT("--low-water", low_water, false),             LIMIT("--grace", grace_ns, true),
    LIMIT("--handshake-timeout", handshake_timeout_ns, true),
};
#undef LIMIT

#define LIMIT_SECONDS_MAX 86400u /* a day: any longer deadline or grace is a typo */

/* A whole number from lo to hi in text, for option; 0 or -1 with err set. */
static int parse_whole(const char *option, const char *text, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
                       size_t cap) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = text[0] >= '0' && text[0] <= '9' ? strtoull(text, &end, 10) : 0;
    if (end == NULL || *end != '\0' || errno != 0 || v < lo || v > hi) {
        snprintf(err, cap, "%s: needs a whole number from %" PRIu64 " to %" PRIu64 ", got %s", option, lo, hi, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* A connection limit's value into o->limits; 0 or -1. */
static int parse_limit(const limit_option *opt, const char *value, daemon_options *o, char *err, size_t cap) {
    uint64_t v;
    if (parse_whole(opt->name, value, 0, opt->seconds ? LIMIT_SECONDS_MAX : UINT32_MAX, &v, err, cap) != 0) return -1;
    uint8_t *field = (uint8_t *)&o->limits + opt->offset;
    if (opt->seconds) {
        uint64_t ns = (uint64_t)v * NS_PER_S;
        memcpy(field, &ns, sizeof ns);
    } else {
        uint32_t count = (uint32_t)v;
        memcpy(field, &count, sizeof count);
    }
    return 0;
}

/* One option at argv[*i]; 0 or -1. */
static int parse_one(int argc, char **argv, int *i, daemon_options *o, char *err, size_t cap) {
    const char *arg = argv[*i];
    const char *value = NULL;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        o->help = true;
        return 0;
    }
    if (strcmp(arg, "--scoring") == 0) {
        o->scoring = true;
        return 0;
    }
    if (strcmp(arg, "--seqno-validator") == 0) {
        o->pubsub.seqno_validator = true;
        return 0;
    }
    if (strcmp(arg, "--no-conn-limits") == 0) {
        o->limits.enabled = false;
        return 0;
    }
    for (size_t k = 0; k < sizeof limit_options / sizeof limit_options[0]; k++) {
        if (!option_is(arg, limit_options[k].name)) continue;
        if ((value = option_value(argc, argv, i, limit_options[k].name)) == NULL || value[0] == '\0')
            return option_error(err, cap, "a value must follow ", limit_options[k].name);
        return parse_limit(&limit_options[k], value, o, err, cap);
    }
    if (strcmp(arg, "--accept-px-inbound") == 0) {
        o->accept_px_inbound = true;
        return 0;
    }
    if ((value = option_value(argc, argv, i, "--listen")) != NULL) {
        if (o->listen_count == RUNTIME_LISTENERS_MAX) return option_error(err, cap, "too many --listen", "");
        o->listen[o->listen_count++] = value;
        o->listen_given = true;
        return check_multiaddr("--listen", value, err, cap);
    }
    if ((value = option_value(argc, argv, i, "--peer")) != NULL) {
        if (o->peer_count == DAEMON_DIAL_PEERS_MAX) return option_error(err, cap, "too many --peer", "");
        o->peers[o->peer_count++] = value;
        return check_multiaddr("--peer", value, err, cap);
    }
    const char **slot = NULL;
    const char *names[] = {"--key",          "--trace",          "--control",     "--router", "--store",
                           "--passphrase-file",
                           "--message-id",   "--seen-max-bytes", "--seqno-origins-max",
                           "--prune-peers",  "--px-dials-in-flight", "--signature-policy",
                           "--validation-delay-ms", "--params", "--node-id", "--interop-port",
                           "--interop-addr-base", "--attack"};
    const char **slots[] = {&o->key_path,         &o->trace_path,     &o->control_path,      &o->router,
                            &o->store_path,       &o->passphrase_path,
                            &o->message_id,       &o->seen_max_bytes, &o->seqno_origins_max,
                            &o->prune_peers_text, &o->px_dials_text, &o->signature_policy,
                            &o->validation_delay_ms, &o->params_path, &o->node_id_text,
                            &o->interop_port_text, &o->interop_addr_base, &o->attack};
    for (size_t k = 0; k < sizeof names / sizeof names[0] && slot == NULL; k++)
        if ((value = option_value(argc, argv, i, names[k])) != NULL) slot = slots[k];
    if (slot != NULL && value[0] != '\0') {
        *slot = value;
        return 0;
    }
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (option_is(arg, names[k])) return option_error(err, cap, "a value must follow ", names[k]);
    if (option_is(arg, "--listen") || option_is(arg, "--peer"))
        return option_error(err, cap, "a multiaddr must follow ", arg);
    return option_error(err, cap, "unknown argument: ", arg);
}

/* The pubsub core's limits, from their options' text (pubsub.h bounds them). */
static int parse_pubsub(daemon_options *o, char *err, size_t cap) {
    uint64_t v;
    if (o->seen_max_bytes != NULL) {
        if (parse_whole("--seen-max-bytes", o->seen_max_bytes, PUBSUB_SEEN_MAX_BYTES_MIN, PUBSUB_SEEN_MAX_BYTES_MAX,
                        &v, err, cap) != 0)
            return -1;
        o->pubsub.seen_max_bytes = v;
    }
    if (o->seqno_origins_max != NULL) {
        if (parse_whole("--seqno-origins-max", o->seqno_origins_max, 1, PUBSUB_SEQNO_ORIGINS_MAX_MAX, &v, err, cap) !=
            0)
            return -1;
        o->pubsub.seqno_origins_max = (uint32_t)v;
    }
    if (o->signature_policy != NULL && pubsub_signature_policy_parse(o->signature_policy, &o->pubsub.signature_policy) != 0) {
        snprintf(err, cap, "--signature-policy: unknown policy %s (strict-sign or strict-no-sign)", o->signature_policy);
        return -1;
    }
    if (o->validation_delay_ms != NULL) {
        if (parse_whole("--validation-delay-ms", o->validation_delay_ms, 0, PUBSUB_VALIDATION_DELAY_MAX_NS / NS_PER_MS,
                        &v, err, cap) != 0)
            return -1;
        o->pubsub.validation_delay_ns = v * NS_PER_MS;
    }
    const char *bad = pubsub_options_check(&o->pubsub);
    if (bad == NULL) bad = pubsub_message_id_check(o->message_id_kind, o->pubsub.signature_policy);
    if (bad != NULL) {
        snprintf(err, cap, "%s", bad);
        return -1;
    }
    return 0;
}

/* A count option's value: a whole number 0..GOSSIPSUB_DEGREE_MAX into *out
 * (left at -1 when the option is absent); 0 or -1 with err filled. */
static int parse_count(const char *option, const char *text, int *out, char *err, size_t cap) {
    *out = -1;
    if (text == NULL) return 0;
    uint64_t value;
    if (parse_whole(option, text, 0, GOSSIPSUB_DEGREE_MAX, &value, err, cap) != 0) return -1;
    *out = (int)value;
    return 0;
}

/* The peer exchange options: numbers in range, and a gossipsub router. */
static int check_px_options(daemon_options *o, char *err, size_t cap) {
    if (parse_count("--prune-peers", o->prune_peers_text, &o->prune_peers, err, cap) != 0 ||
        parse_count("--px-dials-in-flight", o->px_dials_text, &o->px_dials_in_flight, err, cap) != 0)
        return -1;
    bool px = o->prune_peers_text != NULL || o->px_dials_text != NULL || o->accept_px_inbound;
    if (px && strcmp(o->router, "floodsub") == 0) {
        snprintf(err, cap, "peer exchange options need --router gossipsub (floodsub has no peer exchange)");
        return -1;
    }
    return 0;
}

/* --params: the options it sets itself are refused, the interop ones
 * checked (their values again by daemon_interop.c), and the router, the
 * signature policy and the message id are the spec's. */
static int parse_interop(daemon_options *o, char *err, size_t cap) {
    if (o->params_path == NULL) {
        const char *stray = o->node_id_text != NULL       ? "--node-id"
                            : o->interop_port_text != NULL ? "--interop-port"
                            : o->interop_addr_base != NULL ? "--interop-addr-base"
                                                           : NULL;
        if (stray != NULL) return option_error(err, cap, "needs --params: ", stray);
        return 0;
    }
    const char *conflict = o->key_path != NULL            ? "--key (the key comes from the node id)"
                           : o->store_path != NULL        ? "--store (the script keeps no blocks)"
                           : o->router != NULL            ? "--router (the spec's is gossipsub)"
                           : o->message_id != NULL        ? "--message-id (the spec's is first-8-bytes)"
                           : o->signature_policy != NULL  ? "--signature-policy (the spec's is strict-no-sign)"
                           : o->validation_delay_ms != NULL ? "--validation-delay-ms (setTopicValidationDelay sets it)"
                           : o->scoring                   ? "--scoring (GossipSubParams carry no scoring)"
                                                          : NULL;
    if (conflict != NULL) return option_error(err, cap, "--params cannot be combined with ", conflict);
    uint64_t v;
    if (o->node_id_text != NULL && parse_whole("--node-id", o->node_id_text, 0, 0x7fffffff, &v, err, cap) != 0)
        return -1;
    if (o->interop_port_text != NULL && parse_whole("--interop-port", o->interop_port_text, 1, 65535, &v, err, cap) != 0)
        return -1;
    if (o->interop_addr_base != NULL) {
        unsigned a, b, c, d;
        char tail;
        if (sscanf(o->interop_addr_base, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
            c > 255 || d > 255)
            return option_error(err, cap, "--interop-addr-base: not an IPv4 address: ", o->interop_addr_base);
    }
    o->router = "gossipsub";
    o->message_id = "first-8-bytes";
    o->signature_policy = "strict-no-sign";
    return 0;
}

int daemon_options_parse(int argc, char **argv, daemon_options *o, char *err, size_t cap) {
    assert(o != NULL);
    memset(o, 0, sizeof *o);
    connmgr_limits_default(&o->limits);
    for (int i = 1; i < argc; i++)
        if (parse_one(argc, argv, &i, o, err, cap) != 0) return -1;
    if (parse_interop(o, err, cap) != 0) return -1;
    const char *bad_limit = connmgr_limits_check(&o->limits);
    if (bad_limit != NULL) {
        snprintf(err, cap, "connection limits: %s", bad_limit);
        return -1;
    }
    if (o->listen_count == 0) o->listen[o->listen_count++] = DAEMON_LISTEN_DEFAULT;
    if (o->router == NULL) o->router = DAEMON_ROUTER_DEFAULT;
    if (strcmp(o->router, "floodsub") != 0 && strcmp(o->router, "gossipsub") != 0 &&
        strcmp(o->router, "gossipsub-v1.1") != 0) {
        snprintf(err, cap, "--router: unknown router %s (floodsub, gossipsub or gossipsub-v1.1)", o->router);
        return -1;
    }
    if (o->scoring && strcmp(o->router, "floodsub") == 0) {
        snprintf(err, cap, "--scoring: needs --router gossipsub (floodsub does not score peers)");
        return -1;
    }
    if (o->message_id == NULL) o->message_id = "from-seqno";
    if (pubsub_message_id_parse(o->message_id, &o->message_id_kind) != 0) {
        snprintf(err, cap, "--message-id: unknown kind %s (from-seqno, key-seqno, sha256 or first-8-bytes)",
                 o->message_id);
        return -1;
    }
    if (parse_pubsub(o, err, cap) != 0) return -1;
    if (o->attack != NULL && strcmp(o->attack, "drop") != 0) {
        snprintf(err, cap, "--attack: unknown kind %s (the daemon takes drop only)", o->attack);
        return -1;
    }
    if (check_px_options(o, err, cap) != 0) return -1;
    if (o->passphrase_path != NULL && o->store_path == NULL && o->key_path == NULL) {
        snprintf(err, cap, "--passphrase-file: needs --store or --key (what it unlocks)");
        return -1;
    }
    if (o->control_path != NULL && strlen(o->control_path) > DAEMON_CONTROL_PATH_MAX) {
        snprintf(err, cap, "--control: path longer than %d bytes", DAEMON_CONTROL_PATH_MAX);
        return -1;
    }
    return 0;
}
