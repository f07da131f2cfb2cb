#!/bin/bash
# regress.sh: the regression suite (docs/regression.md).
#   tools/regress.sh            runs scenarios/regress/*.yaml in parallel and
#                               compares each run with results/baselines/NAME/
#   tools/regress.sh --rebaseline
#                               runs them and makes them the new baselines
# Exit 0 when no metric regressed, 1 when one did, 2 on bad input or a
# failed run (its command is printed, to reproduce it).
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD:-build/release}/swarmlab
jobs=${JOBS:-$(getconf _NPROCESSORS_ONLN)}
out=${REGRESS_OUT:-build/regress}
baselines=results/baselines
rebaseline=false
case "${1:-}" in
    "") ;;
    --rebaseline) rebaseline=true ;;
    *) echo "usage: tools/regress.sh [--rebaseline]" >&2; exit 2 ;;
esac
[[ -x $bin ]] || { echo "regress: $bin not found: run make first" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"

# Every scenario in its own process, $jobs at a time.
ls scenarios/regress/*.yaml | xargs -P "$jobs" -I{} bash -c '
    name=$(basename {} .yaml)
    if ! "$0" run {} --out "$1/$name" --no-plots --quiet > "$1/$name.log" 2>&1; then
        echo "regress: $name failed; reproduce with: $0 run {} --out $1/$name" >&2
        cat "$1/$name.log" >&2
        exit 255
    fi' "$bin" "$out" || exit 2

# wall_seconds changes from run to run: baselines leave it out, so that
# their diff in review shows only what the change did.
strip_wall() { grep -v '"wall_seconds"' "$1"; }

status=0
for f in scenarios/regress/*.yaml; do
    name=$(basename "$f" .yaml)
    if $rebaseline; then
        mkdir -p "$baselines/$name"
        strip_wall "$out/$name/metrics.json" > "$baselines/$name/metrics.json"
        echo "regress: $name rebaselined"
        continue
    fi
    if [[ ! -f $baselines/$name/metrics.json ]]; then
        echo "regress: $name has no baseline: run make rebaseline" >&2
        status=2
        continue
    fi
    echo "== $name"
    "$bin" compare "$baselines/$name/metrics.json" "$out/$name/metrics.json"
    rc=$?
    if ((rc == 1)) && ((status == 0)); then status=1; fi
    if ((rc > 1)); then status=2; fi
done
if ! $rebaseline; then
    ((status == 0)) && echo "regress: no regression" || echo "regress: see above (exit $status)"
fi
exit $status
