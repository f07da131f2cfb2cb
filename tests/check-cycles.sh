#!/bin/sh
# check-cycles: proves at link level that within each folder of the build
# (node/core, node/posix, sim/world ...) the files call each other in one
# direction only: no file calls, directly or through others, a file that
# calls it. A file that must reach up does it through a small interface of
# function pointers (node/core/env.h is the model), which leaves no symbol
# to find. The calls are read from the objects: a file calls another when
# one of its undefined symbols is defined there (nm).
# Usage: check-cycles.sh BUILD_DIR [--list]
#   --list also prints, per folder, which file calls which and through what.
build=${1:?usage: check-cycles.sh BUILD_DIR [--list]}
list=0
[ "${2:-}" = --list ] && list=1

# Folders whose circle a change under way is taking apart (none now): still
# listed, not failed. A folder here that has no circle any more fails, so
# that the exception goes with the circle.
pending=""

dirs=$(find "$build/node" "$build/sim" "$build/analysis" -name '*.o' 2>/dev/null | sed 's|/[^/]*$||' | sort -u)
[ -n "$dirs" ] || { echo "check-cycles: no objects under $build"; exit 1; }
folders=0
files=0
bad=""
report=""
for dir in $dirs; do
  folder=${dir#"$build"/}
  out=$({ nm -A --defined-only -g "$dir"/*.o; nm -A -u "$dir"/*.o; } 2>/dev/null | awk -v list=$list -v folder="$folder" '
    # "dir/file.o:ADDRESS T symbol" (defined) or "dir/file.o:   U symbol" (needed)
    {
      i = index($0, ":"); f = substr($0, 1, i - 1); sub(/.*\//, "", f); sub(/\.o$/, ".c", f)
      n = split(substr($0, i + 1), w, " ")
      if (!(f in id)) { id[f] = ++count; name[count] = f }
      if (n == 3) def[w[3]] = f
      else if (n == 2 && w[1] == "U") needed[f] = needed[f] " " w[2]
    }
    END {
      for (f in needed) {
        n = split(needed[f], s, " ")
        for (k = 1; k <= n; k++) {
          if (!(s[k] in def) || def[s[k]] == f) continue
          a = id[f]; b = id[def[s[k]]]
          reach[a, b] = 1; calls[a, b] = calls[a, b] " " s[k]
        }
      }
      if (list) for (a = 1; a <= count; a++) for (b = 1; b <= count; b++)
        if ((a, b) in calls) printf "  %s: %s -> %s:%s\n", folder, name[a], name[b], calls[a, b]
      for (k = 1; k <= count; k++) for (i = 1; i <= count; i++) if ((i, k) in reach)
        for (j = 1; j <= count; j++) if ((k, j) in reach) reach[i, j] = 1
      circle = 0
      for (a = 1; a <= count; a++) for (b = 1; b <= count; b++)
        if (((a, b) in calls) && ((b, a) in reach)) {
          if (!circle) printf "CIRCLE\n"
          circle = 1
          printf "  %s: %s -> %s:%s\n", folder, name[a], name[b], calls[a, b]
        }
      printf "FILES %d\n", count
    }')
  folders=$((folders + 1))
  files=$((files + $(printf '%s\n' "$out" | sed -n 's/^FILES //p')))
  [ "$list" = 1 ] && printf '%s\n' "$out" | grep -v '^CIRCLE$' | grep -v '^FILES ' | sed -n '/^  /p' | sort -u
  is_pending=0
  for p in $pending; do [ "$p" = "$folder" ] && is_pending=1; done
  if printf '%s\n' "$out" | grep -qx CIRCLE; then
    [ "$is_pending" = 1 ] && continue
    bad="$bad $folder"
    report="$report
$(printf '%s\n' "$out" | sed -n '/^CIRCLE$/,/^FILES /p' | sed '1d;$d')"
  elif [ "$is_pending" = 1 ]; then
    bad="$bad $folder"
    report="$report
  $folder has no circle any more: take it off the pending list in tests/check-cycles.sh"
  fi
done
if [ -n "$bad" ]; then
  echo "check-cycles: a circle of calls (or a stale exception) in:$bad$report"
  exit 1
fi
echo "check-cycles: the files of each folder call each other one way ($folders folders, $files files${pending:+; pending: $pending})"
