#!/bin/bash
# blob-figures.sh: runs scenarios/ethereum-blobs.yaml (1,000 peers, the
# eight regions, two classes, D=8, StrictNoSign) across message sizes, with
# and without IDONTWANT, and over transport: ideal, into results/blobs/;
# prints the table of docs/network-model.md ("Ethereum's blobs") and draws
# its figures into docs/images/.
# Usage: tools/blob-figures.sh   (from the repository root, after make)
# Environment: JOBS (runs at once, default 1: a 1020 KiB run at 1,000
# peers peaks near 10 GiB), DURATION (virtual time per run, default 100s: the
# first blob leaves at 20 s, then one every 12 s, so 7 blobs and about
# 7,000 deliveries a run), NODES (default 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD:-build/release}/swarmlab
scenario=scenarios/ethereum-blobs.yaml
out=results/blobs
images=docs/images
jobs=${JOBS:-1}
duration=${DURATION:-100s}
nodes=${NODES:-1000}
mkdir -p "$out"

# name size idontwant transport nodes: the full grid at 1 KiB and 128 KiB;
# 512 KiB and 1020 KiB over tcp with IDONTWANT at 1,000 peers (a 1020 KiB
# run takes 25 minutes and 10 GiB here); the 1020 KiB grid at 200 peers.
runs() {
    for size in 1KiB 128KiB; do
        echo "$size-tcp $size true tcp $nodes"
        echo "$size-tcp-no-idontwant $size false tcp $nodes"
        echo "$size-ideal $size true ideal $nodes"
    done
    echo "512KiB-tcp 512KiB true tcp $nodes"
    echo "1020KiB-tcp 1020KiB true tcp $nodes"
    echo "1020KiB-200-tcp 1020KiB true tcp 200"
    echo "1020KiB-200-tcp-no-idontwant 1020KiB false tcp 200"
    echo "1020KiB-200-ideal 1020KiB true ideal 200"
}

runs | xargs -P "$jobs" -L 1 bash -c '
    [ -f '"$out"'/$0/metrics.json ] && exit 0
    /usr/bin/time -f "%e s wall, %M KiB peak" '"$bin"' run '"$scenario"' --set workload.size=$1 \
        --set protocol.gossipsub.idontwant=$2 --set network.transport=$3 --set duration='"$duration"' \
        --set nodes.count=$4 --out '"$out"'/$0 --no-plots > '"$out"'/$0.log 2>&1'

table() {
    python3 - "$out" <<'PY'
import json, os, re, sys
out = sys.argv[1]
print('| size | peers | transport | IDONTWANT | latency p50 / p90 / p99 (ms) | duplicates per delivery | bytes per node per s | wall | peak memory |')
print('|---|---|---|---|---|---|---|---|---|')
for size in ('1KiB', '128KiB', '512KiB', '1020KiB', '1020KiB-200'):
    for variant, transport, idw in (('tcp', 'tcp', 'on'), ('tcp-no-idontwant', 'tcp', 'off'), ('ideal', 'ideal', 'on')):
        name = '%s-%s' % (size, variant)
        path = os.path.join(out, name, 'metrics.json')
        if not os.path.exists(path):
            continue
        m = json.load(open(path))
        lat = m['latency_ms']
        log = open(os.path.join(out, name + '.log')).read()
        t = re.search(r'([0-9.]+) s wall, ([0-9]+) KiB peak', log)
        wall = '%.0f s' % float(t.group(1)) if t else '-'
        peak = '%.1f GiB' % (int(t.group(2)) / 1048576) if t else '-'
        print('| %s | %d | %s | %s | %.0f / %.0f / %.0f | %.2f | %.0f | %s | %s |' % (
            size.split('-')[0], m['settings']['nodes'], transport, idw, lat['p50'], lat['p90'], lat['p99'], m['duplicates_per_delivery'],
            m['bandwidth']['bytes_per_node_per_s'], wall, peak))
PY
}

cdf() { # cdf SIZE TITLE
    gnuplot -e "set terminal pngcairo size 900,540; set output '$images/blobs-$1-latency-cdf.png';
      set title '$2: delivery latency CDF'; set xlabel 'latency (ms)';
      set ylabel 'fraction of deliveries'; set grid; set key bottom right;
      stats '$out/$1-tcp/latencies.txt' nooutput; n1=STATS_records;
      stats '$out/$1-tcp-no-idontwant/latencies.txt' nooutput; n2=STATS_records;
      stats '$out/$1-ideal/latencies.txt' nooutput; n3=STATS_records;
      plot '$out/$1-tcp/latencies.txt' using 1:((\$0+1)/n1) with lines lw 2 title 'tcp, IDONTWANT',
           '$out/$1-tcp-no-idontwant/latencies.txt' using 1:((\$0+1)/n2) with lines lw 2 title 'tcp, no IDONTWANT',
           '$out/$1-ideal/latencies.txt' using 1:((\$0+1)/n3) with lines lw 2 dt 2 title 'ideal, IDONTWANT'"
}

sizes() { # latency CDFs of every size under tcp with IDONTWANT
    gnuplot -e "set terminal pngcairo size 900,540; set output '$images/blobs-sizes-latency-cdf.png';
      set title 'ethereum-blobs over tcp: delivery latency CDF by message size'; set xlabel 'latency (ms)';
      set ylabel 'fraction of deliveries'; set grid; set key bottom right; set logscale x;
      stats '$out/1KiB-tcp/latencies.txt' nooutput; n1=STATS_records;
      stats '$out/128KiB-tcp/latencies.txt' nooutput; n2=STATS_records;
      stats '$out/512KiB-tcp/latencies.txt' nooutput; n3=STATS_records;
      stats '$out/1020KiB-tcp/latencies.txt' nooutput; n4=STATS_records;
      plot '$out/1KiB-tcp/latencies.txt' using 1:((\$0+1)/n1) with lines lw 2 title '1 KiB',
           '$out/128KiB-tcp/latencies.txt' using 1:((\$0+1)/n2) with lines lw 2 title '128 KiB',
           '$out/512KiB-tcp/latencies.txt' using 1:((\$0+1)/n3) with lines lw 2 title '512 KiB',
           '$out/1020KiB-tcp/latencies.txt' using 1:((\$0+1)/n4) with lines lw 2 title '1020 KiB'"
}

table
cdf 128KiB "ethereum-blobs, 128 KiB"
cdf 1020KiB-200 "ethereum-blobs at 200 peers, 1020 KiB"
sizes
