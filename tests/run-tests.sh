#!/bin/sh
# Runs the cmocka unit-test binaries and replays each fuzz corpus, then prints
# one summary line "N passed, N failed" that CI counts.
# Usage: run-tests.sh UNIT_BIN... -- REPLAY_BIN...
passed=0
failed=0
skipped=0
failures=""
mode=unit
# A structural check counts as one test: its one line is printed either way.
check() {
  name=$1; shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "[       OK ] $out"
  else
    failed=$((failed + 1)); failures="$failures $name"; echo "[  FAILED  ] $out"
  fi
}
# The seam, at link level: node/ calls no OS time, randomness or I/O.
check check-seam sh tests/check-seam.sh "$BUILD/libswarmlab-node.a"
# The layers between folders: each includes only itself and the layers below.
check check-layers sh tests/check-layers.sh
# The layers inside each folder: no two files call each other in a circle.
check check-cycles sh tests/check-cycles.sh "$BUILD"
for bin in "$@"; do
  if [ "$bin" = "--" ]; then mode=replay; continue; fi
  name=$(basename "$bin")
  if [ "$mode" = unit ]; then
    out=$("$bin" 2>&1); rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | awk '{s+=$1} END {print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | awk '{s+=$1} END {print s+0}')
    k=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s)/\1/p' | awk '{s+=$1} END {print s+0}')
    skipped=$((skipped + k))
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi   # a crash counts as a failure
    passed=$((passed + p)); failed=$((failed + f))
    [ "$f" != 0 ] && failures="$failures $name"
  else
    target=${name#replay_}
    corpus=tests/fuzz/corpus/$target
    if [ -d "$corpus" ]; then out=$("$bin" "$corpus" 2>&1); else out=$("$bin" 2>&1); fi
    rc=$?
    if [ "$rc" = 0 ]; then
      passed=$((passed + 1)); echo "[       OK ] fuzz corpus $target: $out"
    else
      failed=$((failed + 1)); failures="$failures $name"
      printf '%s\n' "$out"; echo "[  FAILED  ] fuzz corpus $target"
    fi
  fi
done
[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
