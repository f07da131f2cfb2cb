#!/bin/sh
# Runs the tests named on the command line and prints one summary line,
# "N passed, N failed, N skipped", that CI counts. Each argument is
#   check-seam                the seam at link level (tests/check-seam.sh);
#   check-layers              each folder includes only the layers below (tests/check-layers.sh);
#   check-cycles              the files of a folder call one way (tests/check-cycles.sh);
#   .../tests/fuzz/fuzz_NAME  a fuzz target's replay over tests/fuzz/corpus/fuzz_NAME;
#   any other program         a cmocka test (tests/unit, tests/posix).
# Usage: BUILD=build/release run-tests.sh TEST...
passed=0
failed=0
skipped=0
failures=""
# A structural check counts as one test: its one line is printed either way.
check() {
  name=$1; shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "[       OK ] $out"
  else
    failed=$((failed + 1)); failures="$failures $name"; echo "[  FAILED  ] $out"
  fi
}
for test in "$@"; do
  name=$(basename "$test")
  case "$test" in
  check-seam) check "$name" sh tests/check-seam.sh "$BUILD/libswarmlab-node.a" ;;
  check-layers) check "$name" sh tests/check-layers.sh ;;
  check-cycles) check "$name" sh tests/check-cycles.sh "$BUILD" ;;
  */tests/fuzz/*)
    corpus=tests/fuzz/corpus/$name
    if [ -d "$corpus" ]; then out=$("$test" "$corpus" 2>&1); else out=$("$test" 2>&1); fi
    rc=$?
    if [ "$rc" = 0 ]; then
      passed=$((passed + 1)); echo "[       OK ] fuzz corpus $name: $out"
    else
      failed=$((failed + 1)); failures="$failures $name"
      printf '%s\n' "$out"; echo "[  FAILED  ] fuzz corpus $name"
    fi
    ;;
  *)
    out=$("$test" 2>&1); rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | awk '{s+=$1} END {print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | awk '{s+=$1} END {print s+0}')
    k=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s)/\1/p' | awk '{s+=$1} END {print s+0}')
    skipped=$((skipped + k))
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi   # a crash counts as a failure
    passed=$((passed + p)); failed=$((failed + f))
    [ "$f" != 0 ] && failures="$failures $name"
    ;;
  esac
done
[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
