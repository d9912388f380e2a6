#!/usr/bin/env bash
# The notebook's own cost at scale (issue 20): a grid sweep h × lr of N runs
# on tiny data (notebook_scale_grid.lua: 16 features, 40 training samples,
# 1 epoch, 1 seed; h goes up to N/50, so the models grow with N), every run
# already in the cache, for
# N = 500, 2 000, 10 000 and 100 000 (or the sizes given). Per N, the CPU
# seconds (user + system, gnuplot's included) and peak resident memory of
#   plan    nnlab plan big.lua --count (two planning passes and a cache
#           lookup per planned run)
#   load    nnlab run big.lua with no table or chart (plan, cache reads,
#           results.csv and results.json)
#   table   what lab.table(runs) adds to load
#   chart   what lab.chart(runs, { x = "h" }) adds to load (a heatmap)
#   whole   nnlab run big.lua with both, and its wall-clock seconds
# with the issue's targets beside them (whole: 3 s at 10 000 runs, 30 s at
# 100 000; 200 MB at 100 000). Each figure is the best of --repeat runs
# (default 3; 1 from 100 000 runs), after one warm-up run that fills the page
# cache. The cache is filled without training (notebook_scale_fill.lua:
# made-up results under the runs' real keys, one folder of N entries); the
# time of the fill and of `nnlab cache stats` (a scan of that folder) are
# printed below the table. Training speed is another benchmark's. Not part
# of ctest.
#
#   tests/bench/bench_notebook_scale.sh [BUILD_DIR] [--sizes "500 2000 10000 100000"] [--repeat N] [--out FILE]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build"
sizes="500 2000 10000 100000"
repeat=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    -*) echo "bench_notebook_scale: unknown option $1" >&2; exit 1 ;;
    *) build="$1"; shift ;;
  esac
done
nnlab="$(cd "$build" && pwd)/nnlab"
[ -x "$nnlab" ] || { echo "bench_notebook_scale: no nnlab in $build (build it first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_notebook_scale: needs /usr/bin/time (Debian package time)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$here/notebook_scale_grid.lua" "$work/big.lua"
mkdir -p "$work/reports"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
family=$(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
model=$(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
{
  echo "notebook at scale: $cpu (family $family model $model), $(nproc) CPUs, $("$nnlab" version | sed -n 4p)"
  echo "CPU seconds (user + system) and peak RSS, best of runs; whole also in wall-clock seconds"
  printf '%7s | %6s %6s | %6s %6s | %6s %6s | %6s %6s %6s | %6s %6s\n' runs "plan s" "MB" "load s" "MB" \
    "table" "chart" "whole" "wall" "MB" "target" "MB"
} | tee "$work/table"

measure() { # prints "cpu-seconds megabytes wall-seconds": the best of $tries runs of the command
  local best=""
  for _ in $(seq "$tries"); do
    /usr/bin/time -f "%U %S %M %e" -o "$work/t" "$@" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
    local line
    line=$(awk '{ printf "%.2f %.0f %.2f\n", $1 + $2, $3 / 1024, $4 }' "$work/t")
    if [ -z "$best" ] || [ "$(echo "${line%% *} < ${best%% *}" | bc -l)" = 1 ]; then best="$line"; fi
  done
  echo "$best"
}
target() { # the issue's targets for n runs: whole seconds and megabytes
  case "$1" in
    10000) echo "3 -" ;;
    100000) echo "30 200" ;;
    *) echo "- -" ;;
  esac
}

for n in $sizes; do
  tries=${repeat:-$([ "$n" -ge 100000 ] && echo 1 || echo 3)}
  export NNLAB_CACHE="$work/cache-$n"
  fill_s=$(cd "$work" && { /usr/bin/time -f "%e" "$nnlab" run "$here/notebook_scale_fill.lua" --set file=big.lua \
              --set "runs=$n" --quiet >/dev/null; } 2>&1 | tail -1)
  (cd "$work" && "$nnlab" run big.lua --set "runs=$n" --out reports --quiet) >/dev/null # warm-up
  read -r plan_s plan_mb _ < <(cd "$work" && measure "$nnlab" plan big.lua --set "runs=$n" --count)
  read -r load_s load_mb _ < <(cd "$work" && measure "$nnlab" run big.lua --set "runs=$n" --set report=none --out reports --quiet)
  read -r table_s _ _ < <(cd "$work" && measure "$nnlab" run big.lua --set "runs=$n" --set report=table --out reports --quiet)
  read -r chart_s _ _ < <(cd "$work" && measure "$nnlab" run big.lua --set "runs=$n" --set report=chart --out reports --quiet)
  read -r whole_s whole_mb whole_wall < <(cd "$work" && measure "$nnlab" run big.lua --set "runs=$n" --set report=both --out reports --quiet)
  read -r target_s target_mb < <(target "$n")
  stats_s=$( { /usr/bin/time -f "%e" "$nnlab" cache stats --cache "$NNLAB_CACHE" >/dev/null; } 2>&1 | tail -1 )
  printf '%7d | %6s %6s | %6s %6s | %6.2f %6.2f | %6s %6s %6s | %6s %6s\n' "$n" "$plan_s" "$plan_mb" "$load_s" "$load_mb" \
    "$(echo "$table_s - $load_s" | bc -l)" "$(echo "$chart_s - $load_s" | bc -l)" "$whole_s" "$whole_wall" "$whole_mb" \
    "$target_s" "$target_mb" | tee -a "$work/table"
  echo "        (fill: $fill_s s wall; nnlab cache stats over the $n entries: $stats_s s wall)" | tee -a "$work/table"
  rm -rf "$NNLAB_CACHE"
done
[ -z "$out" ] || cp "$work/table" "$out"
