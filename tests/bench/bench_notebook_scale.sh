#!/usr/bin/env bash
# The notebook's own cost at scale (issue 20): a grid sweep h × lr of N runs
# on tiny data (16 features, 40 training samples, 1 epoch, 1 seed), every run
# already in the cache, for N = 2 000, 10 000 and 100 000 (or the sizes
# given). Per N, the wall-clock seconds and peak resident memory of
#   plan    nnlab plan big.lua --count (two planning passes, no cache reads)
#   load    nnlab run big.lua with no table or chart (plan + cache reads)
#   whole   nnlab run big.lua with lab.table and lab.chart(runs, { x = "h" })
# and whole - load: what the table, the chart, results.csv and results.json
# add. The cache is filled without training (notebook_scale_fill.lua: made-up
# results under the runs' real keys); training speed is another benchmark's.
# Not part of ctest. Each figure is one run, after one warm-up run that fills
# the page cache.
#
#   tests/bench/bench_notebook_scale.sh [BUILD_DIR] [--sizes "2000 10000"] [--out FILE]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build"
sizes="2000 10000 100000"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
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
cat > "$work/big.lua" <<'LUA'
local lab = require "nnlab"
local data, nn, optim = lab.data, lab.nn, lab.optim
local runs_wanted = lab.param("runs", 2000)
local report = lab.param("report", true)
local n_lr = 50
local n_h = runs_wanted // n_lr
local function make(n, seed)
  return data.generate(n, function(i, rng)
    local x = {}
    for j = 1, 16 do x[j] = rng:random() end
    return x, (i - 1) % 10
  end, { seed = seed, classes = 10 })
end
local train, test = make(40, 1), make(20, 2)
local hs, lrs = {}, {}
for i = 1, n_h do hs[i] = i end
for i = 1, n_lr do lrs[i] = 0.001 * i end
local runs = lab.sweep { vary = { h = hs, lr = lrs }, seeds = 1, epochs = 1, batch_size = 10,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.h), nn.ReLU(), nn.Linear(p.h, 10) } end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end,
}
if report then
  lab.table(runs)
  lab.chart(runs, { x = "h" })
end
LUA
mkdir -p "$work/reports"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
family=$(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
model=$(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
{
  echo "notebook at scale: $cpu (family $family model $model), $(nproc) CPUs, $("$nnlab" version | sed -n 4p)"
  printf '%8s | %8s %8s | %8s %8s | %8s %8s | %8s\n' runs "plan s" "plan MB" "load s" "load MB" "whole s" "whole MB" "report s"
} | tee "$work/table"

measure() { # prints "seconds megabytes" of the command
  /usr/bin/time -f "%e %M" -o "$work/t" "$@" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$work/t"
}

for n in $sizes; do
  export NNLAB_CACHE="$work/cache-$n"
  (cd "$work" && "$nnlab" run "$here/notebook_scale_fill.lua" --set file=big.lua --set "runs=$n" --quiet) >/dev/null
  (cd "$work" && "$nnlab" run big.lua --set "runs=$n" --out reports --quiet) >/dev/null # warm-up
  read -r plan_s plan_mb < <(cd "$work" && measure "$nnlab" plan big.lua --set "runs=$n" --count)
  read -r load_s load_mb < <(cd "$work" && measure "$nnlab" run big.lua --set "runs=$n" --set report=false --out reports --quiet)
  read -r whole_s whole_mb < <(cd "$work" && measure "$nnlab" run big.lua --set "runs=$n" --out reports --quiet)
  printf '%8d | %8s %8s | %8s %8s | %8s %8s | %8.2f\n' "$n" "$plan_s" "$plan_mb" "$load_s" "$load_mb" "$whole_s" \
    "$whole_mb" "$(echo "$whole_s - $load_s" | bc -l)" | tee -a "$work/table"
  rm -rf "$NNLAB_CACHE"
done
[ -z "$out" ] || cp "$work/table" "$out"
