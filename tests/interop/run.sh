#!/usr/bin/env bash
# run.sh: the interop test between swarmlab-node and js-libp2p (issue 4).
#
# Installs the pinned js-libp2p (package-lock.json) into tests/interop with
# npm ci, then runs scenarios in which a js-libp2p peer (peer.mjs) and a
# swarmlab-node dial each other on 127.0.0.1, and checks each step: Noise and
# yamux, identify, ping, floodsub both ways with StrictSign signatures, and the
# /swarmlab/chat/1.0.0 custom protocol both ways; then a gossipsub line
# js - swarmlab - js in which swarmlab forwards through its mesh. Prints one line per check,
# "ok - ..." or "not ok - ...", and ends with "N passed, N failed".
#
#   BUILD=build/release tests/interop/run.sh          js <-> swarmlab-node
#   tests/interop/run.sh --self                       js <-> js (harness self-test)
#
# Exit 0 when every check passed (or the test was skipped because node or the
# npm registry is unreachable: the reason is printed), 1 when a check failed,
# 2 on bad usage or a missing daemon binary.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# Every wait is bounded: these are its bounds, in seconds.
NPM_PING_TIMEOUT=30      # is the registry there at all
NPM_CI_TIMEOUT=600       # install of the pinned packages
START_TIMEOUT=20         # a peer's control socket appears
CONNECT_TIMEOUT=15       # both sides list each other as connected
IDENTIFY_TIMEOUT=10      # js has the identify of its peer
SUBSCRIBE_TIMEOUT=10     # js knows its peer's subscription
DELIVERY_TIMEOUT=10      # a message or chat line shows up on the other side
QUIT_TIMEOUT=10          # a peer exits after quit
REJECT_WAIT=2            # how long a message that must not arrive is given to arrive
KILL_GRACE=5             # after SIGTERM, before SIGKILL, at cleanup
CONTROL_TIMEOUT_MS=15000 # one control-socket command gets its reply
POLL_INTERVAL=0.1
NODE_MAJOR_MIN=20        # js-libp2p 3.x needs Node 20 (with polyfill.mjs) or later
BIG_MESSAGE_BYTES=100000 # spans several Noise frames (65535) and yamux frames (64 KiB in js)
STREAM_CHURN=600         # streams opened and closed in a row: above YAMUX_STREAMS_MAX (256)
MESH_TIMEOUT=20          # a publish from one end of the gossipsub line reaches the other
MESH_PUBLISH_INTERVAL=1  # between two publishes while the mesh forms (heartbeats are 1 s)
DUPLICATE_WAIT=2         # after a delivery, how long a second copy is given to arrive

TOPIC=interop
SWARMLAB_AGENT=swarmlab/0.1
JS_AGENT_PREFIX=swarmlab-interop-js/
CORE_PROTOCOLS=(/ipfs/id/1.0.0 /ipfs/ping/1.0.0 /floodsub/1.0.0 /swarmlab/chat/1.0.0)

usage() {
    echo "usage: [BUILD=build/release] $0 [--self]" >&2
    exit 2
}

SELF=false
case "${1-}" in
    "") ;;
    --self) SELF=true ;;
    *) usage ;;
esac

# ---- processes and cleanup -------------------------------------------------

WORK=$(mktemp -d /tmp/swarmlab-interop.XXXXXX) # short: Unix socket paths are <= 107 bytes
PIDS=()

# Running, not exited: an exited child stays a zombie until waited for, and
# kill -0 still succeeds on a zombie.
pid_alive() { [[ -e /proc/$1/status ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

cleanup() {
    local pid deadline
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    deadline=$((SECONDS + KILL_GRACE))
    for pid in "${PIDS[@]}"; do
        while pid_alive "$pid" && ((SECONDS < deadline)); do sleep "$POLL_INTERVAL"; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ "${KEEP_WORK-}" == 1 ]]; then echo "# logs kept in $WORK"; else rm -rf "$WORK"; fi
}
# A reaped child's pid may be reused by a process that is not ours: cleanup
# must not signal it.
forget() {
    local pid kept=()
    for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
    PIDS=("${kept[@]}")
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

skip() {
    echo "interop: skipped: $*"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
}

# ---- install -----------------------------------------------------------------

is_network_error() {
    grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network connectivity|socket hang up|request to .* failed' "$1"
}

install_js() {
    command -v node >/dev/null 2>&1 || skip "node is not installed"
    command -v npm >/dev/null 2>&1 || skip "npm is not installed"
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    ((major >= NODE_MAJOR_MIN)) || skip "node $(node --version) is older than $NODE_MAJOR_MIN, which js-libp2p 3.x needs"
    if ! timeout "$NPM_PING_TIMEOUT" npm ping >"$WORK/npm-ping.log" 2>&1; then
        # Offline, a complete install from an earlier run still does.
        if [[ -d "$HERE/node_modules" ]] && (cd "$HERE" && npm ls --all >/dev/null 2>&1); then
            echo "# npm registry unreachable: using the node_modules already installed"
            return
        fi
        skip "the npm registry is unreachable (npm ping failed or took over ${NPM_PING_TIMEOUT}s)"
    fi
    if ! (cd "$HERE" && timeout "$NPM_CI_TIMEOUT" npm ci --no-audit --no-fund --prefer-offline) >"$WORK/npm-ci.log" 2>&1; then
        if is_network_error "$WORK/npm-ci.log"; then skip "npm ci failed with a network error"; fi
        cat "$WORK/npm-ci.log" >&2
        echo "interop: npm ci failed" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
}

# ---- checks ------------------------------------------------------------------

PASSED=0
FAILED=0

ok() {
    PASSED=$((PASSED + 1))
    echo "ok - $*"
}

not_ok() {
    FAILED=$((FAILED + 1))
    echo "not ok - $*"
}

# check DESCRIPTION COMMAND...: one check line from the command's status.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# wait_until SECONDS COMMAND...: polls until the command succeeds; 1 at the deadline.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep "$POLL_INTERVAL"
    done
}

# ---- peers -------------------------------------------------------------------

declare -A KIND PID ID

# start NAME KIND [ROUTER [SIGN_POLICY | SWARMLAB_FLAG...] [JS_FLAG...]]: KIND
# is swarmlab or js; the router applies to both; from the fourth argument on,
# flags for swarmlab-node (--scoring, --store DIR), or js's signature policy
# and then flags for peer.mjs (--bitswap).
start() {
    local name=$1 kind=$2 router=${3:-floodsub} policy=${4:-StrictSign}
    local sock="$WORK/$name.sock" log="$WORK/$name.log"
    local -a extra=("${@:4}")
    KIND[$name]=$kind
    if [[ $kind == swarmlab ]]; then
        "$DAEMON" --control "$sock" --key "$WORK/$name.key" --trace "$WORK/$name.trace" \
            --router "$router" "${extra[@]}" </dev/null >"$log" 2>&1 &
    else
        node --import "$HERE/polyfill.mjs" "$HERE/peer.mjs" --control "$sock" --key "$WORK/$name.key" \
            --router "$router" --sign-policy "$policy" "${@:5}" </dev/null >"$log" 2>&1 &
    fi
    PID[$name]=$!
    PIDS+=("$!")
}

alive() { pid_alive "${PID[$1]}"; }

exited() { ! alive "$1"; }

socket_ready() { [[ -S "$WORK/$1.sock" ]] || ! alive "$1"; }

# ctl NAME COMMAND...: the JSON reply on standard output.
ctl() {
    local name=$1
    shift
    node "$HERE/control.mjs" --timeout "$CONTROL_TIMEOUT_MS" "$WORK/$name.sock" "$@"
}

# ctl_ok NAME COMMAND...: the command replied {"ok":true...}.
ctl_ok() {
    local reply
    reply=$(ctl "$@") || return 1
    [[ $reply == '{"ok":true'* ]] || { echo "#   $1 replied: ${reply:0:300}"; return 1; }
}

# Replies are read whole before they are searched: with pipefail, a grep -q
# that stops reading early could fail the pipeline through SIGPIPE.
# ctl_has NAME PATTERN COMMAND...: the reply contains PATTERN.
ctl_has() {
    local name=$1 pattern=$2 reply
    shift 2
    reply=$(ctl "$name" "$@") || return 1
    [[ $reply == *"$pattern"* ]]
}

# learn_id NAME: ID[NAME] and ADDR[NAME] from the peer's own id reply.
declare -A ADDR
learn_id() {
    local reply
    reply=$(ctl "$1" id) || return 1
    [[ $reply =~ \"id\":\"([^\"]+)\" ]] || return 1
    ID[$1]=${BASH_REMATCH[1]}
    [[ $reply =~ \"(/ip4/127\.0\.0\.1/tcp/[0-9]+/p2p/[^\"]+)\" ]] || return 1
    ADDR[$1]=${BASH_REMATCH[1]}
}

lists_peer() { ctl_has "$1" "\"${ID[$2]}\"" peers; }

is_subscriber() { ctl_has "$1" "\"${ID[$2]}\"" subscribers "$TOPIC"; }

has_identify() { ctl_has "$1" '{"ok":true' identify "${ID[$2]}"; }

log_has() { grep -qF -- "$2" "$WORK/$1.log"; }

lacks() { ! log_has "$1" "$2"; }

# Both peers started and answer on their control sockets.
started() {
    local name
    for name in "$@"; do
        if ! { wait_until "$START_TIMEOUT" socket_ready "$name" && alive "$name" && learn_id "$name"; }; then
            echo "#   $name did not start"
            return 1
        fi
    done
}

subscribed() { ctl_ok "$1" sub "$TOPIC" && ctl_ok "$2" sub "$TOPIC"; }

# identifies OBSERVER PEER: js's identify of PEER shows the agent and the
# protocols that PEER's kind announces, and for a swarmlab PEER that js
# accepted its signed peer record.
identifies() {
    local observer=$1 peer=$2 reply protocol missing=()
    wait_until "$IDENTIFY_TIMEOUT" has_identify "$observer" "$peer" || { echo "#   no identify"; return 1; }
    reply=$(ctl "$observer" identify "${ID[$peer]}") || return 1
    if [[ ${KIND[$peer]} == swarmlab ]]; then
        [[ $reply == *"\"agent\":\"$SWARMLAB_AGENT\""* ]] || missing+=("agent $SWARMLAB_AGENT")
        # js opened swarmlab's signed peer record and certified its addresses.
        [[ $reply == *'"certified":true'* ]] || missing+=("a certified peer record")
    else
        [[ $reply == *"\"agent\":\"$JS_AGENT_PREFIX"* ]] || missing+=("agent $JS_AGENT_PREFIX*")
    fi
    for protocol in "${CORE_PROTOCOLS[@]}"; do
        [[ $reply == *"\"$protocol\""* ]] || missing+=("$protocol")
    done
    ((${#missing[@]} == 0)) || { echo "#   missing: ${missing[*]}; reply: $reply"; return 1; }
}

secured() {
    ctl_has "$1" '"encryption":"/noise"' identify "${ID[$2]}" &&
        ctl_has "$1" '"muxer":"/yamux/1.0.0"' identify "${ID[$2]}"
}

pings() { ctl_ok "$1" ping "${ID[$2]}"; }

yamux_pings() { ctl_ok "$1" yamux-ping "${ID[$2]}"; }

# deliver FROM TO TEXT: FROM publishes until TO prints the message from FROM;
# bounded attempts, because a publish before FROM has TO's subscription
# reaches nobody. The js side prints only messages whose StrictSign
# signature its router verified; swarmlab delivers no other kind either.
PUBLISH_ATTEMPTS=3
deliver() {
    local from=$1 to=$2 text=$3 attempt
    for ((attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt++)); do
        ctl_ok "$from" pub "$TOPIC" "$text#$attempt" || return 1
        if wait_until $((DELIVERY_TIMEOUT / PUBLISH_ATTEMPTS + 1)) log_has "$to" "message $TOPIC ${ID[$from]} $text#$attempt"; then
            ((attempt == 1)) || echo "#   delivered at attempt $attempt"
            return 0
        fi
    done
    return 1
}

# chat FROM TO TEXT: FROM sends TEXT over /swarmlab/chat/1.0.0; TO prints it.
chat() {
    ctl_ok "$1" msg "${ID[$2]}" "$3" && wait_until "$DELIVERY_TIMEOUT" log_has "$2" "chat ${ID[$1]} $3"
}

# No message was delivered twice to NAME.
no_duplicates() {
    local dups
    dups=$(grep '^message ' "$WORK/$1.log" | sort | uniq -d | cut -c1-200)
    [[ -z $dups ]] || { echo "#   delivered twice: $dups"; return 1; }
}

# A swarmlab daemon traced the delivery of a message from PEER and no reject.
trace_accepts() {
    local trace="$WORK/$1.trace"
    grep -q "\"event\":\"deliver_message\".*\"peer\":\"${ID[$2]}\"" "$trace" ||
        { echo "#   no deliver_message from $2 in $trace"; return 1; }
    ! grep -q '"event":"reject_message"' "$trace" || { echo "#   reject_message in $trace"; return 1; }
}

quits() {
    local name=$1 rc=0
    ctl_ok "$name" quit || return 1
    wait_until "$QUIT_TIMEOUT" exited "$name" || { echo "#   still running ${QUIT_TIMEOUT}s after quit"; return 1; }
    wait "${PID[$name]}" || rc=$?
    forget "${PID[$name]}"
    ((rc == 0)) || { echo "#   exit status $rc"; return 1; }
}

show_log() {
    echo "# --- $1 (${KIND[$1]}), last lines of its output:"
    tail -n 20 "$WORK/$1.log" | cut -c1-200 | sed 's/^/#   /'
}

# ---- a scenario ----------------------------------------------------------------

# scenario LABEL DIALER LISTENER: both peers started already.
scenario() {
    local label=$1 dialer=$2 listener=$3 failed_before=$FAILED a b
    local -a pairs=("$dialer $listener" "$listener $dialer")
    echo "# $label: $dialer (${KIND[$dialer]}) dials $listener (${KIND[$listener]})"
    if ! started "$dialer" "$listener"; then
        not_ok "$label: both peers start and answer on their control sockets"
        show_log "$dialer"
        show_log "$listener"
        return
    fi
    check "$label: both peers subscribe to $TOPIC" subscribed "$dialer" "$listener"
    check "$label: $dialer accepts connect ${ADDR[$listener]}" ctl_ok "$dialer" connect "${ADDR[$listener]}"
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        check "$label: Noise and yamux complete: $a lists $b as connected" \
            wait_until "$CONNECT_TIMEOUT" lists_peer "$a" "$b"
    done
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        [[ ${KIND[$a]} == js ]] || continue
        what="agent and protocols"
        [[ ${KIND[$b]} == swarmlab ]] && what="agent, protocols and a certified peer record"
        check "$label: $a (js) identifies $b (${KIND[$b]}): $what" identifies "$a" "$b"
        check "$label: $a (js) negotiated /noise and /yamux/1.0.0 with $b" secured "$a" "$b"
        check "$label: $b answers a yamux Ping from $a" yamux_pings "$a" "$b"
    done
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        check "$label: /ipfs/ping/1.0.0 $a -> $b" pings "$a" "$b"
    done
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        [[ ${KIND[$a]} == js ]] || continue
        check "$label: $STREAM_CHURN pings $a -> $b in a row, a new stream each (more than a muxer's stream table)" \
            ctl_has "$a" "\"count\":$STREAM_CHURN" ping "${ID[$b]}" "$STREAM_CHURN"
    done
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        [[ ${KIND[$a]} == js ]] || continue
        check "$label: $a (js) has $b's floodsub subscription" \
            wait_until "$SUBSCRIBE_TIMEOUT" is_subscriber "$a" "$b"
    done
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        check "$label: floodsub $a -> $b delivered, StrictSign signature accepted" \
            deliver "$a" "$b" "$label from $a"
    done
    big_message "$label" "$dialer" "$listener"
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        check "$label: /swarmlab/chat/1.0.0 $a -> $b" chat "$a" "$b" "$label chat from $a"
    done
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        # The js peer answers "echo: TEXT" on the stream that brought TEXT.
        [[ ${KIND[$b]} == js ]] || continue
        check "$label: $a reads $b's reply on the chat stream $a opened" \
            wait_until "$DELIVERY_TIMEOUT" log_has "$a" "chat ${ID[$b]} echo: $label chat from $a"
    done
    for name in "$dialer" "$listener"; do
        check "$label: $name received no message twice" no_duplicates "$name"
    done
    for name in "$dialer" "$listener"; do
        if ! alive "$name"; then
            not_ok "$label: $name (${KIND[$name]}) still running at the end"
            continue
        fi
        check "$label: $name (${KIND[$name]}) quits cleanly" quits "$name"
    done
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        # After quit: the daemon flushed its trace.
        [[ ${KIND[$a]} == swarmlab ]] || continue
        check "$label: $a's trace has deliver_message from $b and no reject_message" trace_accepts "$a" "$b"
    done
    ((FAILED == failed_before)) || { show_log "$dialer"; show_log "$listener"; }
}

# scenario_unsigned LABEL SENDER RECEIVER: SENDER is a js peer with the
# StrictNoSign policy; the StrictSign RECEIVER must drop its unsigned message
# and keep the connection.
scenario_unsigned() {
    local label=$1 sender=$2 receiver=$3 failed_before=$FAILED text="$1 unsigned from $2"
    echo "# $label: $sender (js, StrictNoSign) dials $receiver (${KIND[$receiver]}, StrictSign)"
    if ! started "$sender" "$receiver"; then
        not_ok "$label: both peers start and answer on their control sockets"
        show_log "$sender"
        show_log "$receiver"
        return
    fi
    check "$label: both peers subscribe to $TOPIC" subscribed "$sender" "$receiver"
    check "$label: $sender accepts connect ${ADDR[$receiver]}" ctl_ok "$sender" connect "${ADDR[$receiver]}"
    check "$label: $sender has $receiver's floodsub subscription" \
        wait_until "$SUBSCRIBE_TIMEOUT" is_subscriber "$sender" "$receiver"
    check "$label: $sender publishes an unsigned message" ctl_has "$sender" '"recipients":1' pub "$TOPIC" "$text"
    sleep "$REJECT_WAIT"
    check "$label: $receiver does not deliver the unsigned message" lacks "$receiver" "$text"
    check "$label: $receiver keeps the connection after rejecting it" lists_peer "$receiver" "$sender"
    for name in "$sender" "$receiver"; do
        check "$label: $name (${KIND[$name]}) quits cleanly" quits "$name"
    done
    if [[ ${KIND[$receiver]} == swarmlab ]]; then
        check "$label: $receiver's trace has reject_message from $sender" \
            grep -q "\"event\":\"reject_message\".*\"peer\":\"${ID[$sender]}\"" "$WORK/$receiver.trace"
    fi
    ((FAILED == failed_before)) || { show_log "$sender"; show_log "$receiver"; }
}

# reply_cid NAME COMMAND...: the "cid" of the reply into REPLY_CID.
reply_cid() {
    local reply
    reply=$(ctl "$@") || return 1
    [[ $reply =~ \"cid\":\"([a-z2-7]+)\" ]] || { echo "#   $1 replied: ${reply:0:300}"; return 1; }
    REPLY_CID=${BASH_REMATCH[1]}
}

# same_cid NAME TEXT CID: NAME's put of TEXT names it CID.
same_cid() {
    reply_cid "$1" put "$2" || return 1
    [[ $REPLY_CID == "$3" ]] || { echo "#   $1 named it $REPLY_CID, not $3"; return 1; }
}

# scenario_bitswap LABEL JS SWARMLAB: blocks both ways over Bitswap 1.2.0
# between Helia (peer.mjs --bitswap) and swarmlab-node --store: js fetches
# a block swarmlab serves and names it by the same CID, and swarmlab
# fetches one js serves, checks its hash and keeps it.
scenario_bitswap() {
    local label=$1 js=$2 sw=$3 failed_before=$FAILED
    local text="$label: a block from swarmlab" back="$label: a block from helia" cid_sw cid_js
    echo "# $label: $js (Helia, /ipfs/bitswap/1.2.0) dials $sw (swarmlab-node --store)"
    if ! started "$js" "$sw"; then
        not_ok "$label: both peers start and answer on their control sockets"
        show_log "$js"
        show_log "$sw"
        return
    fi
    check "$label: $sw puts a block" reply_cid "$sw" put "$text" && cid_sw=$REPLY_CID
    check "$label: $js accepts connect ${ADDR[$sw]}" ctl_ok "$js" connect "${ADDR[$sw]}"
    check "$label: $js fetches $sw's block by its CID over Bitswap" \
        ctl_has "$js" "\"data\":\"$text\"" get "${cid_sw-none}"
    check "$label: Helia names those bytes by the CID swarmlab gave them" same_cid "$js" "$text" "${cid_sw-none}"
    check "$label: $js puts a block" reply_cid "$js" put "$back" && cid_js=$REPLY_CID
    check "$label: $sw fetches $js's block over Bitswap, hash checked" \
        ctl_has "$sw" "\"data\":\"$back\"" get "${cid_js-none}"
    check "$label: $sw keeps the fetched block in its store" ctl_has "$sw" "\"${cid_js-none}\"" blocks
    for name in "$js" "$sw"; do
        check "$label: $name (${KIND[$name]}) quits cleanly" quits "$name"
    done
    ((FAILED == failed_before)) || { show_log "$js"; show_log "$sw"; }
}

# A message too big for one Noise or yamux frame, from the js side (the
# daemon's command lines are shorter than that).
big_message() {
    local label=$1 from to text
    if [[ ${KIND[$2]} == js ]]; then from=$2 to=$3; else from=$3 to=$2; fi
    text="$label big $(head -c "$BIG_MESSAGE_BYTES" /dev/zero | tr '\0' 'x')"
    check "$label: floodsub $from -> $to of $BIG_MESSAGE_BYTES bytes (several Noise and yamux frames)" \
        deliver "$from" "$to" "$text"
}

# ---- scenario e: a gossipsub line js - swarmlab - js --------------------------

all_subscribe() {
    local name
    for name in "$@"; do ctl_ok "$name" sub "$TOPIC" || return 1; done
}

# meshed FROM TO: FROM publishes, once a second, until TO delivers one of
# those messages: the middle node then has TO in its mesh (js floods its own
# messages to every subscriber, but the middle node forwards only to its mesh).
meshed() {
    local from=$1 to=$2 attempt=0 deadline=$((SECONDS + MESH_TIMEOUT))
    while ((SECONDS < deadline)); do
        attempt=$((attempt + 1))
        ctl_ok "$from" pub "$TOPIC" "mesh from $from #$attempt" || return 1
        if wait_until "$MESH_PUBLISH_INTERVAL" log_has "$to" "message $TOPIC ${ID[$from]} mesh from $from #"; then
            echo "#   $to got a message from $from after $attempt publish(es)"
            return 0
        fi
    done
    return 1
}

# delivered_once NAME FROM TEXT: NAME delivers FROM's TEXT, and has still
# delivered it exactly once DUPLICATE_WAIT seconds later.
delivered_once() {
    local name=$1 line="message $TOPIC ${ID[$2]} $3" count
    wait_until "$DELIVERY_TIMEOUT" log_has "$name" "$line" || { echo "#   $name did not deliver it"; return 1; }
    sleep "$DUPLICATE_WAIT"
    count=$(grep -cxF -- "$line" "$WORK/$name.log") || true
    ((count == 1)) || { echo "#   $name delivered it $count times"; return 1; }
}

# announces OBSERVER PEER PROTOCOL: OBSERVER's identify of PEER lists PROTOCOL.
announces() {
    wait_until "$IDENTIFY_TIMEOUT" has_identify "$1" "$2" || { echo "#   no identify"; return 1; }
    ctl_has "$1" "\"$3\"" identify "${ID[$2]}" || { echo "#   $3 not announced"; return 1; }
}

# A swarmlab daemon traced a graft of each peer and no reject_message.
trace_grafts() {
    local trace="$WORK/$1.trace" peer
    shift
    for peer in "$@"; do
        grep -q "\"event\":\"graft\".*\"peer\":\"${ID[$peer]}\"" "$trace" ||
            { echo "#   no graft of $peer in $trace"; return 1; }
    done
    ! grep -q '"event":"reject_message"' "$trace" || { echo "#   reject_message in $trace"; return 1; }
}

# A swarmlab daemon traced add_peer of PEER over PROTOCOL.
trace_protocol() {
    local trace="$WORK/$1.trace"
    grep -q "\"event\":\"add_peer\".*\"peer\":\"${ID[$2]}\".*\"protocol\":\"$3\"" "$trace" ||
        grep -q "\"event\":\"add_peer\".*\"protocol\":\"$3\".*\"peer\":\"${ID[$2]}\"" "$trace" ||
        { echo "#   no add_peer of $2 over $3 in $trace"; return 1; }
}

# scenario_line LABEL END1 MIDDLE END2 PROTOCOL: all three started with
# gossipsub; the ends connect only to MIDDLE, so every message between them
# passes MIDDLE, and the ends' pubsub streams to it speak PROTOCOL.
scenario_line() {
    local label=$1 one=$2 mid=$3 two=$4 protocol=$5 failed_before=$FAILED a b name
    local -a pairs=("$one $two" "$two $one")
    echo "# $label: $one (${KIND[$one]}) - $mid (${KIND[$mid]}) - $two (${KIND[$two]}), all gossipsub"
    if ! started "$one" "$mid" "$two"; then
        not_ok "$label: the three peers start and answer on their control sockets"
        for name in "$one" "$mid" "$two"; do show_log "$name"; done
        return
    fi
    check "$label: the three peers subscribe to $TOPIC" all_subscribe "$one" "$mid" "$two"
    for name in "$one" "$two"; do
        check "$label: $name accepts connect ${ADDR[$mid]}" ctl_ok "$name" connect "${ADDR[$mid]}"
        check "$label: $mid lists $name as connected" wait_until "$CONNECT_TIMEOUT" lists_peer "$mid" "$name"
        check "$label: $name lists $mid as connected" wait_until "$CONNECT_TIMEOUT" lists_peer "$name" "$mid"
        [[ ${KIND[$name]} == js ]] || continue
        check "$label: $name (js) identifies $mid with $protocol" announces "$name" "$mid" "$protocol"
    done
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        check "$label: mesh formed: a publish from $a reaches $b through $mid within ${MESH_TIMEOUT}s" meshed "$a" "$b"
    done
    for pair in "${pairs[@]}"; do
        read -r a b <<<"$pair"
        check "$label: $a publishes once" ctl_ok "$a" pub "$TOPIC" "$label line from $a"
        for name in "$mid" "$b"; do
            check "$label: $name delivers $a's message exactly once" delivered_once "$name" "$a" "$label line from $a"
        done
    done
    for name in "$one" "$mid" "$two"; do
        check "$label: $name received no message twice" no_duplicates "$name"
    done
    for name in "$one" "$two" "$mid"; do
        if ! alive "$name"; then
            not_ok "$label: $name (${KIND[$name]}) still running at the end"
            continue
        fi
        check "$label: $name (${KIND[$name]}) quits cleanly" quits "$name"
    done
    # After quit: the daemon flushed its trace.
    if [[ ${KIND[$mid]} == swarmlab ]]; then
        check "$label: $mid's trace has a graft of $one and of $two and no reject_message" \
            trace_grafts "$mid" "$one" "$two"
        for name in "$one" "$two"; do
            check "$label: $mid's pubsub stream with $name speaks $protocol" trace_protocol "$mid" "$name" "$protocol"
        done
    fi
    ((FAILED == failed_before)) || for name in "$one" "$mid" "$two"; do show_log "$name"; done
}

# ---- main ----------------------------------------------------------------------

versions() {
    local p v out=""
    for p in libp2p @libp2p/floodsub @libp2p/gossipsub @chainsafe/libp2p-noise @chainsafe/libp2p-yamux @libp2p/tcp; do
        v=$(grep -m 1 -oE '"version": *"[^"]+"' "$HERE/node_modules/$p/package.json" | cut -d'"' -f4) || v='?'
        out+="$p $v, "
    done
    echo "${out%, }"
}

main() {
    local other kind
    if $SELF; then
        other=js2 kind=js
    else
        local build=${BUILD:-build/release}
        [[ $build == /* ]] || build="$ROOT/$build"
        DAEMON=${SWARMLAB_NODE:-$build/swarmlab-node}
        if [[ ! -x $DAEMON ]]; then
            echo "interop: $DAEMON not found: build it with make all (or set BUILD)" >&2
            exit 2
        fi
        other=swarmlab kind=swarmlab
    fi
    install_js
    echo "# node $(node --version); $(versions)"

    start a-js js floodsub
    start "a-$other" "$kind"
    scenario "a" a-js "a-$other"

    start b-js js floodsub
    start "b-$other" "$kind"
    scenario "b" "b-$other" b-js

    # gossipsub 17 speaks floodsub to a floodsub-only peer (fallbackToFloodsub).
    start c-js js gossipsub
    start "c-$other" "$kind"
    scenario "c (js gossipsub)" c-js "c-$other"

    start d-js js floodsub StrictNoSign
    start "d-$other" "$kind"
    scenario_unsigned "d (unsigned)" d-js "d-$other"

    # swarmlab scores its peers here (the js peers do not score).
    start e-js-a js gossipsub
    if $SELF; then start "e-$other" "$kind" gossipsub; else start "e-$other" "$kind" gossipsub --scoring; fi
    start e-js-b js gossipsub
    scenario_line "e (gossipsub)" e-js-a "e-$other" e-js-b /meshsub/1.2.0

    # A swarmlab daemon without IDONTWANT meshes over /meshsub/1.1.0.
    if ! $SELF; then
        start f-js-a js gossipsub
        start "f-$other" "$kind" gossipsub-v1.1
        start f-js-b js gossipsub
        scenario_line "f (gossipsub v1.1)" f-js-a "f-$other" f-js-b /meshsub/1.1.0

        start g-js js floodsub StrictSign --bitswap
        start "g-$other" "$kind" floodsub --store "$WORK/g-$other.store"
        scenario_bitswap "g (bitswap)" g-js "g-$other"
    fi

    echo "$PASSED passed, $FAILED failed"
    ((FAILED == 0))
}

main
