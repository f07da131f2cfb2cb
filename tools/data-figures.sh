#!/bin/bash
# data-figures.sh: the r sweep of docs/data.md ("The swarm's data:
# replication and availability"): scenarios/data-churn.yaml with
# workload.data.replication = 1..5, 3 seeds each, through `swarmlab sweep`;
# prints the table of docs/data.md from the runs' metrics.json and draws
# docs/images/data-availability-by-r.png.
# Usage: tools/data-figures.sh   (from the repository root, after make)
# Environment: OUT (the sweep's folder, default results/sweeps/data-churn-r;
# an existing sweep there is read, not run again), JOBS (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD:-build/release}/swarmlab
out=${OUT:-results/sweeps/data-churn-r}
images=docs/images
if [ ! -f "$out/sweep.csv" ]; then
    "$bin" sweep scenarios/data-churn.yaml --param workload.data.replication=1,2,3,4,5 --seeds 3 \
        -j "${JOBS:-1}" --out "$out"
fi
mkdir -p "$images"

python3 - "$out" > "$out/data-by-r.dat" <<'PY'
import glob, json, math, os, sys
out = sys.argv[1]
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776}  # Student's t, two-sided 95%, by degrees of freedom
def mean_ci(xs):
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, 0.0
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))
    return m, T95.get(len(xs) - 1, 1.96) * sd / math.sqrt(len(xs))
print('# r availability ci p50_ms p99_ms lost lost_ci kib_per_block repair_share runs')
for r in range(1, 9):
    runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, 'runs', '%d-seed*' % r, 'metrics.json')))]
    if not runs:
        continue
    d = [m['data'] for m in runs]
    a, a_ci = mean_ci([x['availability'] for x in d])
    p50, _ = mean_ci([x['get_latency_ms']['p50'] for x in d])
    p99, _ = mean_ci([x['get_latency_ms']['p99'] for x in d])
    lost, lost_ci = mean_ci([x['blocks_lost'] for x in d])
    kib, _ = mean_ci([(x['replication_bytes'] + x['repair_bytes']) / 1024 / x['blocks_put'] for x in d])
    share, _ = mean_ci([x['repair_bytes'] / max(1, x['replication_bytes'] + x['repair_bytes']) for x in d])
    print(r, a, a_ci, p50, p99, lost, lost_ci, kib, share, len(d))
PY

echo '| r | availability (95% CI) | get p50 / p99 (ms) | blocks lost (of ~260) | KiB moved per 4 KiB block | of it repair |'
echo '|---|---|---|---|---|---|'
awk '!/^#/ { printf "| %d | %.4f +- %.4f | %.0f / %.0f | %.1f | %.1f | %.0f%% |\n", $1, $2, $3, $4, $5, $6, $8, 100 * $9 }' "$out/data-by-r.dat"

gnuplot -e "set terminal pngcairo size 900,540; set output '$images/data-availability-by-r.png';
  set title 'data-churn (100 peers, 40% churning, Weibull 0.5): availability and cost against r (3 seeds, 95% CI)';
  set xlabel 'replication factor r (copies besides the putter''s)'; set xrange [0.5:5.5]; set xtics 1;
  set ylabel 'gets answered within 10 s / gets'; set yrange [0.9:1.005];
  set y2label 'KiB moved per 4 KiB block put'; set y2range [0:*]; set y2tics; set ytics nomirror;
  set grid; set key bottom right;
  plot '$out/data-by-r.dat' using 1:2:3 with yerrorlines lw 2 pt 7 title 'availability',
       '' using 1:8 axes x1y2 with linespoints lw 2 pt 5 dt 2 title 'replication + repair bytes (right)'"
echo "data-figures: $images/data-availability-by-r.png"
