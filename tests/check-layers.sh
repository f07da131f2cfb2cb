#!/bin/sh
# check-layers: proves at include level that the folders are layers. Each
# folder may include headers from itself and from the folders the table
# below lets it use, and from nothing else: so no arrow runs back up (the
# node core never includes the world, the daemon never includes analysis).
# The table is the one docs/architecture.md draws; change both together.
# Usage: check-layers.sh (from the repository root)

# folder: the folders it may use
uses() {
  case "$1" in
    node/base) echo "" ;;
    node/crypto) echo "node/base" ;;
    node/store) echo "node/base" ;;
    node/wire|node/trace|node/transport) echo "node/base node/crypto" ;;
    node/pubsub) echo "node/base node/crypto node/wire node/trace" ;;
    node/exchange) echo "node/base node/store node/wire" ;;
    node/core) echo "node/base node/crypto node/wire node/trace node/transport node/pubsub node/store node/exchange" ;;
    node/data) echo "node/base node/crypto node/store node/core" ;;
    node/interop) echo "node/base node/crypto node/wire node/pubsub" ;;
    node/posix) echo "node/base node/crypto node/wire node/trace node/transport node/pubsub node/core node/interop node/store node/exchange node/data" ;;
    analysis) echo "node/base node/crypto node/trace" ;;
    sim/random) echo "" ;;
    sim/ns3) echo "" ;;
    sim/scenario) echo "sim/random node/base node/crypto node/wire node/trace node/pubsub node/core" ;;
    sim/world) echo "sim/random sim/ns3 sim/scenario analysis node/base node/crypto node/wire node/trace node/transport node/pubsub node/core node/store" ;;
    sim/lab) echo "sim/random sim/scenario sim/world analysis node/base node/crypto node/wire node/trace node/pubsub node/core node/interop node/store node/data" ;;
    *) echo "?" ;;
  esac
}

# The folder holding an included header, as the compiler finds it: the
# includer's own folder first, then the include roots node/, sim/, analysis/.
resolve() {
  for root in "$2" node sim analysis; do
    if [ -f "$root/$1" ]; then dirname "$root/$1"; return; fi
  done
  echo "?"
}

bad=0
checked=0
for file in $(find node sim analysis -name '*.[ch]' -o -name '*.cc' | sort); do
  folder=$(dirname "$file")
  allowed=$(uses "$folder")
  if [ "$allowed" = "?" ]; then
    echo "check-layers: $folder has no row in tests/check-layers.sh"; bad=$((bad + 1)); continue
  fi
  for header in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file"); do
    checked=$((checked + 1))
    target=$(resolve "$header" "$folder")
    [ "$target" = "$folder" ] && continue
    case " $allowed " in
      *" $target "*) continue ;;
    esac
    echo "check-layers: $file includes $header ($target), which $folder may not use"
    bad=$((bad + 1))
  done
done
if [ "$bad" != 0 ]; then exit 1; fi
echo "check-layers: every folder includes only itself and the layers below ($checked includes checked)"
