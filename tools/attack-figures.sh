#!/bin/bash
# attack-figures.sh: runs every scenario of scenarios/attacks/ with scoring
# on and off (two at a time) into results/attacks/, prints the table of
# docs/attacks.md, and draws its figures into docs/images/.
# Usage: tools/attack-figures.sh   (from the repository root, after make)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD:-build/release}/swarmlab
out=results/attacks
images=docs/images
mkdir -p "$out"

for f in scenarios/attacks/*.yaml; do
    n=$(basename "$f" .yaml)
    echo "$f on $n"
    echo "$f off $n"
done | xargs -P 2 -L 1 bash -c '
    sc=true; [ "$1" = off ] && sc=false
    '"$bin"' run "$0" --set protocol.gossipsub.scoring=$sc --out '"$out"'/$2-$1 > '"$out"'/$2-$1.log 2>&1'

table() {
    python3 - "$out" <<'PY'
import json, sys, glob, os
out = sys.argv[1]
for path in sorted(glob.glob(os.path.join(out, '*-on'))):
    name = os.path.basename(path)[:-3]
    for v in ('on', 'off'):
        m = json.load(open(os.path.join(out, '%s-%s' % (name, v), 'metrics.json')))
        a = m['attack']; b = a['before']; d = a['during']
        g = a['time_to_graylist_s_median']
        gray = '%d/%d in %.1f s' % (a['attackers_graylisted'], a['attackers'], g) if g is not None else '0/%d' % a['attackers']
        before = '%.4f' % b['delivery_ratio'] if b['messages'] else '-'
        blat = '%.0f / %.0f' % (b['latency_ms']['p50'], b['latency_ms']['p99']) if b['messages'] else '-'
        print('| %s | %s | %s | %.4f | %s | %.0f / %.0f | %.3f | %s | %.2f | %d |' % (
            name, v, before, d['delivery_ratio'], blat, d['latency_ms']['p50'], d['latency_ms']['p99'],
            a['mesh_occupied_share_max'], gray, a['attacker_bytes_per_honest_byte'], m['counts']['redeliveries']))
PY
}

cdf() { # cdf NAME TITLE
    gnuplot -e "set terminal pngcairo size 900,540; set output '$images/attack-$1-latency-cdf.png';
      set title '$2: delivery latency CDF, scoring on and off'; set xlabel 'latency (ms)';
      set ylabel 'fraction of deliveries'; set grid; set key bottom right; set logscale x;
      stats '$out/$1-on/latencies.txt' nooutput; n1=STATS_records;
      stats '$out/$1-off/latencies.txt' nooutput; n2=STATS_records;
      plot '$out/$1-on/latencies.txt' using 1:((\$0+1)/n1) with lines lw 2 title 'scoring on',
           '$out/$1-off/latencies.txt' using 1:((\$0+1)/n2) with lines lw 2 title 'scoring off'"
}

series() { # series NAME TITLE ATTACK_START_S
    gnuplot -e "set terminal pngcairo size 900,540; set output '$images/attack-$1-latency-over-time.png';
      set title '$2: median delivery latency of each second''s messages'; set xlabel 'time (s)';
      set ylabel 'latency p50 (ms)'; set grid; set key top left; set datafile separator ',';
      set object 1 rect from first $3, graph 0 to graph 1, graph 1 behind fillcolor rgb '#f8e3c4' fillstyle solid 1.0 noborder;
      set label 1 'attack' at first $3, graph 0.95 left front;
      plot '$out/$1-on/timeseries.csv' using 'time_s':'latency_ms_p50' with lines lw 2 title 'scoring on',
           '$out/$1-off/timeseries.csv' using 'time_s':'latency_ms_p50' with lines lw 2 title 'scoring off'"
}

table
cdf cold-boot 'cold boot'
series cold-boot 'cold boot' 0
series covert-flash 'covert flash' 45
