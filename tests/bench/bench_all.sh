#!/usr/bin/env bash
# nnlab's benchmark suite (issues 7 and 12): prints ONE Markdown table with
#   - one training epoch of the seed's model (784-64-10 Sigmoid, SGD lr 0.01,
#     batch 32) and of a larger one (784-256-10 ReLU, Adam lr 1e-3, batch 128)
#     on Fashion-MNIST 60 000: nnlab.fit on each kernel path (scalar, avx2, avx512) at
#     1 and 2 threads (--threads; the speed-up of 2 over 1), the Lua per-batch
#     loop; PyTorch as the seed's notes write it (torchvision + ToTensor +
#     DataLoader) and with the data preloaded as one tensor, at 1 thread and at
#     PyTorch's default thread count (with --all-cores, also at one thread per
#     core when that default is 1);
#   - the dense GEMMs against OpenBLAS cblas_sgemm, one thread, on the kernels
#     OpenBLAS picks for this CPU (the targets) and under Haswell's;
#   - a notebook sweep of 6 variations at -j 1 and -j 2;
#   - peak resident memory of a full Fashion-MNIST run;
#   - a second table, the scaling table: 784-H-...-H-10 ReLU Adam with H 64,
#     256, 1024, 4096, 1 and 3 hidden layers, batch 8, 32, 128, 512, at 1 and
#     2 threads, each row three passes over a part of the data (about
#     scaling_flop of work, at least 2 batches, the best pass; PyTorch's first
#     is untimed; the rows from batch 32 up run a second time after all the
#     others, both peers at both thread counts, and keep the faster run), in GFLOP/s
#     and percent of the FMA peak (of 2 cores' peak at 2 threads), beside
#     preloaded PyTorch on the same rows at 1 and 2 threads and the ratio of
#     the two at their best thread counts; and each row's ceiling with Adam's
#     step apart from the GEMMs (bench_kernels --adam).
# Its header names the CPU, its FMA peaks, its data caches (CPUID) and the
# AVX-512 forward's blocking chosen from them (engine/kernels_blocking.h).
# Each training row notes the host's steal time over its run, and each run at
# 2 threads both CPUs' FMA peak at once, before and after it (a virtual
# machine's two vCPUs are now and then one physical core's two hardware
# threads, and 2 threads then run at the speed of 1 or below).
# Peers run as their users run them: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# (which this project's machines set, to Haswell) are unset for the whole
# benchmark, except for the GEMM column that says "under Haswell"; PyTorch runs
# with glibc's malloc thresholds raised (MALLOC_MMAP_THRESHOLD_ etc.), so that
# it does not map and unmap its large tensors every batch (its best here).
# Where OpenBLAS's own choice of kernels is not the newest family this CPU's
# flags allow (a CPU model newer than the OpenBLAS build: 0.3.21 runs an
# Emerald Rapids on Prescott's SSE3 kernels), the peers are measured forced to
# that family as well (OPENBLAS_CORETYPE: the GEMMs and PyTorch's preloaded
# rows both ways, the scaling table's PyTorch on whichever of the two trained
# 784-256-10 faster), and the targets are judged against the faster.
# A peer that is missing (PyTorch, OpenBLAS, /usr/bin/time) is skipped with a
# note in the table; it never makes the benchmark fail. Not part of ctest.
#
#   tests/bench/bench_all.sh [--build DIR] [--quick] [--all-cores] [--out FILE]
#   cmake --build build --target bench          (the same, on that build)
#
#   --build DIR   the CMake build to measure (default: build/ beside tests/)
#   --quick       fewer epochs and repetitions (a smoke run, ~2 minutes)
#   --all-cores   PyTorch rows at one thread per core too, when its default is 1
#                 (slow on a busy machine: its OpenMP threads spin for a core)
#   --out FILE    also write the table to FILE
#
# Environment: NNLAB_PYTHON names an interpreter with torch + torchvision
# (otherwise python3 on PATH, then /usr/bin/python3, are tried); NNLAB_DATA as
# for nnlab. Timings are wall-clock seconds, best and median of several epochs
# or runs; the machine's load (1-minute average) is sampled before each part
# and printed, since other work on the machine slows every row.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build"
quick=0
all_cores=0
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --build=*) build=${1#--build=}; shift ;;
    --quick) quick=1; shift ;;
    --out) out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --all-cores) all_cores=1; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_all.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
build=$(cd "$build" 2>/dev/null && pwd) || { echo "bench_all.sh: no build folder $build" >&2; exit 2; }
case "$out" in ""|/*) ;; *) out="$PWD/$out" ;; esac
nnlab="$build/nnlab"
kernels="$build/tests/bench/bench_kernels"
for f in "$nnlab" "$kernels"; do
  [ -x "$f" ] || { echo "bench_all.sh: $f is missing: build first (cmake --build $build)" >&2; exit 2; }
done

if [ "$quick" = 1 ]; then
  fit_epochs=2; loop_epochs=1; torch_epochs=2; sweep_epochs=1; sweep_reps=1; gemm_seconds=0.1
  scaling_flop=4e9; scaling_threads="1 2"
else
  fit_epochs=5; loop_epochs=3; torch_epochs=3; sweep_epochs=3; sweep_reps=2; gemm_seconds=0.4
  scaling_flop=1.5e10; scaling_threads="1 2"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
export NNLAB_OFFLINE=1
# OpenBLAS as its users run it: its own choice of kernels for this CPU.
openblas_env_coretype=${OPENBLAS_CORETYPE-}
openblas_env_l2=${OPENBLAS_L2_SIZE-}
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
# PyTorch at its best: glibc's malloc keeps freed large tensors for reuse.
torch_malloc=(MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=268435456)

log() { printf '%s\n' "$*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }
loads=()
note_load() { loads+=("$1 $(load1)"); }
# steal_ticks: the CPU time, in clock ticks over all CPUs, that the hypervisor
# gave to other guests while this machine's CPUs wanted it (/proc/stat's 8th
# value; 0 on bare metal). Each training run records its share in
# $work/steal (seconds), printed beside the row: a run that lost time to the
# host is slower for a reason outside nnlab (two threads lose most, since both
# vCPUs must be running at once).
steal_ticks() { awk '/^cpu / { print $9 + 0; found = 1 } END { if (!found) print 0 }' /proc/stat 2>/dev/null || echo 0; }
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
steal_note() { # the last run's steal, as "host steal X s", or nothing when none
  local st; st=$(cat "$work/steal" 2>/dev/null || echo 0)
  holds "${st:-0} > 0" && echo "host steal $(calc "%.2f" "$st") s"
}
# pair_peak: both CPUs' FMA peak at once, in GFLOP/s (bench_kernels --peak-pair):
# about twice one core's when they are two cores, about once when the host runs
# them on the two hardware threads of one core, which it does for a while now and
# then (a Zen 5 here read 238 and 446 GFLOP/s a second apart). Measured before
# and after each run at 2 threads.
pair_peak() { "$kernels" --peak-pair 2>/dev/null | sed -n 's/^fma_peak_pair=\([^ ]*\).*/\1/p'; }
# core_peak: the widest FMA loop's GFLOP/s on one CPU now (bench_kernels
# --peak-one, ~50 ms), measured before and after each run at 1 thread. It reads
# low while the host gives that core to other work: on a Zen 5 here, calls a
# second apart read 100 to 225 GFLOP/s. Quiet, this mean of 10 short loops
# reads 0.89-0.98 of the best-of-20 peak the run starts with, hence the flag
# under 85 %. A row's percentages stay of the run's peak; the note says when
# the core was short.
core_peak() { "$kernels" --peak-one 2>/dev/null | sed -n 's/^fma_peak_one=\([^ ]*\).*/\1/p'; }
# peak_note FILE FACTOR LABEL FLAG [short]: "LABEL B / A GFLOP/s" from the
# before and after peaks the last run left in $work/FILE, with ": **FLAG** for
# part of the run" when either is under FACTOR × the run's peak; `short` leaves
# out an unflagged note (the scaling table's cells).
peak_note() {
  local before after; read -r before after 2>/dev/null <"$work/$1" || return 0
  [ -n "$before" ] && [ -n "$after" ] || return 0
  if [ -n "$peak" ] && holds "$before < $2 * $peak || $after < $2 * $peak"; then
    echo "$3 $before / $after GFLOP/s: **$4** for part of the run"
  elif [ "${5:-}" != short ]; then
    echo "$3 $before / $after GFLOP/s"
  fi
}
pair_note() { peak_note pair 1.5 "pair peak" "one core's two hardware threads" "${1:-}"; }
core_note() { peak_note core 0.85 "core peak" "the core was short" "${1:-}"; }
# openblas_best_core: the newest OpenBLAS kernel family this CPU's flags
# allow (Cooperlake with AVX-512 BF16, SkylakeX with AVX-512 BW and VL,
# Haswell with AVX2 and FMA), or nothing.
openblas_best_core() {
  local f; f=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
  case "$f" in
    *" avx512_bf16 "*) echo Cooperlake ;;
    *" avx512bw "*) case "$f" in *" avx512vl "*) echo SkylakeX; return ;; esac ;;&
    *" avx2 "*) case "$f" in *" fma "*) echo Haswell ;; esac ;;
  esac
}
# kv LINE KEY: the value of KEY=value in LINE (values have no spaces).
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# holds EXPR: whether awk finds the numeric expression true (its exit status)
holds() { awk "BEGIN { exit !($1) }"; }
# verdict LABEL EXPR: "LABEL: **met**" when EXPR holds, else "LABEL: not met"
verdict() { if holds "$2"; then echo "$1: **met**"; else echo "$1: not met"; fi; }

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 |"); }

# ---- the data ----------------------------------------------------------------
data=""
for d in ${NNLAB_DATA:+"$NNLAB_DATA/fashion-mnist"} "$root/data/fashion-mnist" /usr/share/datasets/fashion-mnist; do
  if [ -e "$d/train-images-idx3-ubyte" ] || [ -e "$d/train-images-idx3-ubyte.gz" ]; then data=$d; break; fi
done
[ -n "$data" ] || { echo "bench_all.sh: Fashion-MNIST not found (NNLAB_DATA, data/, /usr/share/datasets)" >&2; exit 2; }
export NNLAB_DATA
NNLAB_DATA=$(dirname "$data")
[ "$(basename "$data")" = fashion-mnist ] || { mkdir -p "$work/data" && ln -s "$data" "$work/data/fashion-mnist" && NNLAB_DATA="$work/data"; }

# ---- GEMMs against OpenBLAS, and the FMA peak (first: the targets below use it)
gemm_rows=()
log "bench_all.sh: GEMMs"
note_load "gemm"
openblas_info="not installed"
openblas_core="-"
gemm_out=$("$kernels" "$gemm_seconds" --summary 2>"$work/err")
haswell_out=""
case "$gemm_out" in
  openblas=\"*) haswell_out=$(env OPENBLAS_CORETYPE=Haswell ${openblas_env_l2:+OPENBLAS_L2_SIZE=$openblas_env_l2} \
                              "$kernels" "$gemm_seconds" --summary 2>"$work/err-haswell") ;;
esac
first=$(printf '%s\n' "$gemm_out" | head -n1)
# openblas_gflops OUT GEMM B I O: OpenBLAS's GFLOP/s for that row in bench_kernels' output OUT
openblas_gflops() {
  printf '%s\n' "$1" | awk -v g="gemm=$2" -v b="B=$3" -v i="I=$4" -v o="O=$5" '
    $1 == g && $2 == b && $3 == i && $4 == o { for (k = 5; k <= NF; k++) if ($k ~ /^openblas=/) { sub(/^openblas=/, "", $k); print $k } }'
}
peak=$(printf '%s\n' "$gemm_out" | sed -n 's/^fma_peak=\([^ ]*\).*/\1/p')
peak_ymm=$(printf '%s\n' "$gemm_out" | sed -n 's/^fma_peak=.* fma_peak_ymm=\([^ ]*\).*/\1/p')
peak_zmm=$(printf '%s\n' "$gemm_out" | sed -n 's/^fma_peak=.* fma_peak_zmm=\([^ ]*\).*/\1/p')
caches_line=$(printf '%s\n' "$gemm_out" | sed -n 's/^caches //p')
caches_info="not reported"
if [ -n "$caches_line" ]; then caches_info=$(printf '%s\n' "$caches_line" | awk '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "L1d %d KiB, L2 %d KiB, L3 %d KiB (CPUID; 0: not reported); the AVX-512 forward'"'"'s blocks from them (engine/kernels_blocking.h): k in blocks of %d beyond %d inputs, %d rows a block; below 64 rows, pairs of rows of %s a register (by vendor)",
      v["l1d"] / 1024, v["l2"] / 1024, v["l3"] / 1024, v["k_block"], v["blocked_from"], v["row_block"], v["x_pairs"] == "1" ? "X" : "W" }'); fi
simd=$("$nnlab" version 2>/dev/null | sed -n 's/^simd //p' | head -n1)
holds "${peak:-0} > 0" || peak=""
case "$first" in
  openblas=none) openblas_info="not installed (libopenblas-dev): OpenBLAS column skipped" ;;
  openblas=*) openblas_core=$(kv "$first" openblas_core)
             openblas_info="$(printf '%s' "$first" | sed 's/^openblas="\([^"]*\)".*/\1/'), 1 thread; its own kernels for this CPU: $openblas_core (OPENBLAS_CORETYPE unset; this machine's environment had ${openblas_env_coretype:-none}), and under Haswell's: $(kv "$(printf '%s\n' "$haswell_out" | head -n1)" openblas_core)" ;;
esac
# OpenBLAS at its best: a DYNAMIC_ARCH build picks its kernels by CPU model,
# and a model newer than the build falls back to old ones (0.3.21 takes an
# Intel family 6 model 207, Emerald Rapids, for a Prescott: SSE3 kernels at a
# sixth of the AVX-512 peak). Where its own choice is not the newest family
# this CPU's flags allow, the peers are measured forced to that one too
# (OPENBLAS_CORETYPE), PyTorch's BLAS included, and the targets are judged
# against the faster: the peer as its users get it, and as it could be.
forced_core=""; forced_out=""
best_core=$(openblas_best_core)
if [ "$openblas_core" != "-" ] && [ -n "$best_core" ] && [ "${openblas_core,,}" != "${best_core,,}" ]; then
  forced_out=$(env OPENBLAS_CORETYPE="$best_core" "$kernels" "$gemm_seconds" --summary 2>"$work/err-forced")
  forced_core=$(kv "$(printf '%s\n' "$forced_out" | head -n1)" openblas_core)
  if [ "${forced_core,,}" = "${best_core,,}" ]; then
    openblas_info="$openblas_info; forced to $forced_core's (OPENBLAS_CORETYPE=$forced_core, the newest family for this CPU's flags, since its own choice is not): the GEMM targets are judged against the faster of the two"
  else
    openblas_info="$openblas_info; OPENBLAS_CORETYPE=$best_core was not honoured (it ran ${forced_core:-nothing})"
    forced_core=""; forced_out=""
  fi
fi
while read -r line; do
  case "$line" in gemm=*) ;; *) continue ;; esac
  g=$(kv "$line" gemm); B=$(kv "$line" B); I=$(kv "$line" I); O=$(kv "$line" O)
  gemm_path=avx2; [ "$simd" = avx512 ] && gemm_path=avx512
  a=$(kv "$line" "$gemm_path"); o=$(kv "$line" openblas)
  case "$g" in
    forward) what="forward Y = X·Wᵀ" ;;
    backward_input) what="backward dX = dY·W" ;;
    *) what="backward dW += dYᵀ·X (+ db)" ;;
  esac
  target=""; ratio="-"; gfs="$a"
  own=$o; forced=""; forced_note=""
  if [ -n "$forced_core" ]; then
    forced=$(openblas_gflops "$forced_out" "$g" "$B" "$I" "$O")
    if holds "${forced:-0} > 0"; then
      forced_note="; OpenBLAS on its own $openblas_core kernels $own GFLOP/s ($(calc "%.2f×" "$a / ($own > 0 ? $own : 1)")), forced to $forced_core's $forced GFLOP/s ($(calc "%.2f×" "$a / $forced"))"
      holds "$forced > ${o:-0}" && o=$forced
    fi
  fi
  if holds "${o:-0} > 0"; then
    ratio=$(calc "%.2f×" "$a / $o"); gfs="$a vs $o"
    if [ "$I" = 784 ]; then
      target=$(verdict "≥ 1.0×" "$a / $o >= 1.0")
    fi
  else
    gfs="$a (OpenBLAS skipped)"
  fi
  if [ "$I" != 784 ] && holds "${o:-0} > 0"; then
    target=$(verdict "≥ 0.9×" "$a / $o >= 0.9")
  fi
  hw=$(openblas_gflops "$haswell_out" "$g" "$B" "$I" "$O")
  hw_note=""
  if holds "${hw:-0} > 0"; then hw_note="; OpenBLAS under Haswell's kernels $hw GFLOP/s ($(calc "%.2f×" "$a / $hw"))"; fi
  peer_kernels="$openblas_core kernels"
  [ -n "$forced_core" ] && peer_kernels="the faster of its own $openblas_core kernels and $forced_core's, forced"
  gemm_rows+=("| GEMM $what, ${B}×${I}→${O} | nnlab $gemm_path vs OpenBLAS sgemm ($peer_kernels) | 1 | - | $gfs | $ratio | scalar $(kv "$line" scalar), avx2 $(kv "$line" avx2), avx512 $(kv "$line" avx512) GFLOP/s (0: absent)$forced_note$hw_note | $target |")
done <<<"$gemm_out"

# ---- nnlab training rows -----------------------------------------------------
declare -A fit_best
run_train() { # model impl epochs threads [env...] [-- more nnlab arguments]  -> the result line
  local model=$1 impl=$2 epochs=$3 threads=$4; shift 4
  local envs=() more=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && shift && more=("$@")
  local steal0 status=0 pair_before="" core_before=""; steal0=$(steal_ticks)
  rm -f "$work/pair" "$work/core"
  if [ "$threads" -ge 2 ]; then pair_before=$(pair_peak); else core_before=$(core_peak); fi
  env "${envs[@]}" "$nnlab" run "$root/tests/bench/bench_train.lua" --threads "$threads" --set "model=$model" \
    --set "impl=$impl" --set "epochs=$epochs" "${more[@]}" 2>"$work/err" | grep '^result ' ||
    { log "bench_all.sh: $model $impl failed: $(tail -n 3 "$work/err")"; status=1; }
  calc "%.2f" "($(steal_ticks) - $steal0) / $clk_tck" >"$work/steal"
  [ -n "$pair_before" ] && echo "$pair_before $(pair_peak)" >"$work/pair"
  [ -n "$core_before" ] && echo "$core_before $(core_peak)" >"$work/core"
  return $status
}

train_row() { # label model line description target [note]
  local label=$1 model=$2 line=$3
  local best median first acc flop gf ratio threads
  best=$(kv "$line" best); median=$(kv "$line" median); acc=$(kv "$line" acc1); flop=$(kv "$line" flop)
  first=$(kv "$line" first); threads=$(kv "$line" threads)
  gf=$(calc "%.1f" "$flop / $best / 1e9")
  [ -n "$peak" ] && gf="$gf ($(calc "%.0f" "100 * $gf / $peak / $threads")% of $threads× peak)"
  if [ -n "${fit_best[$model]:-}" ]; then ratio=$(calc "%.2f×" "$best / ${fit_best[$model]}"); else ratio="1.00×"; fi
  local steal pair=""; steal=$(steal_note)
  if [ "$threads" -ge 2 ]; then pair=$(pair_note); else pair=$(core_note); fi
  row "$4" "$label" "$threads" "$(calc "%.3f" "$best") ($(calc "%.3f" "$median"))" "$gf" "$ratio" \
      "test acc $acc % after epoch 1; $(kv "$line" epochs) epochs, first $(calc "%.3f" "$first") s${6:+; $6}${steal:+; $steal}${pair:+; $pair}" "$5"
}

declare -A model_desc=([seed]="seed 784-64-10 Sigmoid SGD b32" [large]="784-256-10 ReLU Adam b128")
declare -A speedup fit2_best torch_best torch_best_threads torch_best_blas
for model in seed large; do
  d=${model_desc[$model]}
  log "bench_all.sh: $d: nnlab.fit, 1 thread"
  note_load "train $model"
  if line=$(run_train "$model" fit "$fit_epochs" 1); then
    fit_best[$model]=$(kv "$line" best)
    target=""
    need=75; [ "$model" = seed ] && need=70
    if [ "$model" = seed ]; then
      target=$(verdict "≤ 0.25 s" "${fit_best[$model]} <= 0.25")
    fi
    if [ -n "$peak" ]; then
      pct=$(calc "%.1f" "100 * $(kv "$line" flop) / ${fit_best[$model]} / 1e9 / $peak")
      target="${target:+$target; }$(verdict "≥ $need % of the peak" "$pct >= $need")"
    fi
    train_row "nnlab.fit ($(kv "$line" simd))" "$model" "$line" "$d" "$target"
  fi
  log "bench_all.sh: $d: nnlab.fit, 2 threads"
  note_load "train $model 2 threads"
  if line=$(run_train "$model" fit "$fit_epochs" 2) && [ -n "${fit_best[$model]:-}" ]; then
    speedup[$model]=$(calc "%.2f" "${fit_best[$model]} / $(kv "$line" best)")
    fit2_best[$model]=$(kv "$line" best)
    train_row "nnlab.fit ($(kv "$line" simd)), 2 threads" "$model" "$line" "$d" \
      "$([ "$model" = large ] && verdict "≥ 1.6× over 1 thread" "${speedup[$model]} >= 1.6")" \
      "${speedup[$model]}× over 1 thread"
  fi
  log "bench_all.sh: $d: Lua loop"
  if line=$(run_train "$model" loop "$loop_epochs" 1); then
    train_row "Lua per-batch loop ($(kv "$line" simd))" "$model" "$line" "$d" ""
  fi
  for t in 1 2; do
    log "bench_all.sh: $d: scalar path, $t thread(s)"
    if line=$(run_train "$model" fit 1 "$t" NNLAB_SIMD=scalar); then
      train_row "nnlab.fit, scalar path (NNLAB_SIMD=scalar)" "$model" "$line" "$d" ""
    fi
  done
  # the other SIMD paths this CPU runs (the same bits: acc and loss match)
  for p in avx2 avx512; do
    [ "$p" = "$simd" ] && continue
    NNLAB_SIMD=$p "$nnlab" version >/dev/null 2>&1 || continue
    for t in 1 2; do
      log "bench_all.sh: $d: $p path, $t thread(s)"
      if line=$(run_train "$model" fit "$fit_epochs" "$t" NNLAB_SIMD=$p); then
        train_row "nnlab.fit, $p path (NNLAB_SIMD=$p)" "$model" "$line" "$d" ""
      fi
    done
  done
done

# ---- PyTorch -----------------------------------------------------------------
python=""
for py in ${NNLAB_PYTHON:+"$NNLAB_PYTHON"} python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c "import torch, torchvision" >/dev/null 2>&1; then
    python=$(command -v "$py"); break
  fi
done
torch_version=""
if [ -z "$python" ]; then
  for model in seed large; do
    row "${model_desc[$model]}" "PyTorch (seed pipeline, preloaded)" "-" "skipped" "-" "-" \
        "no python3 here can import torch and torchvision (apt install python3-torch python3-torchvision)" "-"
  done
else
  default_threads=$("$python" -c "import torch; print(torch.get_num_threads())" 2>/dev/null || echo 1)
  cores=$(nproc 2>/dev/null || echo 1)
  thread_counts=(1)
  [ "$default_threads" != 1 ] && thread_counts+=("0")
  [ "$all_cores" = 1 ] && [ "$default_threads" = 1 ] && [ "$cores" -gt 1 ] && thread_counts+=("$cores")
  for model in seed large; do
    d=${model_desc[$model]}
    if [ "$model" = seed ]; then flop=$(calc "%.6e" "2 * 60000 * (2 * 784 * 64 + 3 * 64 * 10)")
    else flop=$(calc "%.6e" "2 * 60000 * (2 * 784 * 256 + 3 * 256 * 10)"); fi
    # preloaded-forced: the preloaded pipeline on OpenBLAS forced to $forced_core's kernels
    for pipeline in seed preloaded ${forced_core:+preloaded-forced}; do
      blas_env=(); [ "$pipeline" = preloaded-forced ] && blas_env=(OPENBLAS_CORETYPE="$forced_core")
      for t in "${thread_counts[@]}"; do
        log "bench_all.sh: $d: PyTorch $pipeline pipeline, threads ${t/#0/default}"
        note_load "torch $model $pipeline $t"
        json=$(env "${torch_malloc[@]}" "${blas_env[@]}" "$python" "$here/torch_peer.py" --data "$data" --model "$model" \
               --pipeline "${pipeline%-forced}" --threads "$t" --epochs "$torch_epochs" 2>"$work/err" | tail -n1)
        if [ -z "$json" ]; then
          row "$d" "PyTorch $pipeline pipeline" "$t" "failed" "-" "-" "$(tail -n1 "$work/err" | tr '|' '/')" "-"
          continue
        fi
        line=$(printf '%s' "$json" | "$python" -c '
import json, sys, statistics
r = json.load(sys.stdin)
s = r["seconds"]
print("best=%.4f median=%.4f first=%.4f threads=%d acc=%.2f torch=%s n=%d" % (
    min(s), statistics.median(s), s[0], r["threads"], r["test_acc"], r["torch"], len(s)))')
        torch_version=$(kv "$line" torch)
        best=$(kv "$line" best); threads=$(kv "$line" threads)
        if [ "${pipeline%-forced}" = preloaded ] && { [ -z "${torch_best[$model]:-}" ] ||
             holds "$best < ${torch_best[$model]}"; }; then
          torch_best[$model]=$best; torch_best_threads[$model]=$threads
          torch_best_blas[$model]=""
          [ "$pipeline" = preloaded-forced ] && torch_best_blas[$model]=", OpenBLAS forced to $forced_core's kernels"
        fi
        label="PyTorch $pipeline pipeline"
        [ "$pipeline" = seed ] && label="PyTorch, the seed's pipeline (torchvision ToTensor + DataLoader)"
        [ "$pipeline" = preloaded ] && label="PyTorch, data preloaded as one tensor"
        [ "$pipeline" = preloaded-forced ] && label="PyTorch, data preloaded as one tensor, its OpenBLAS forced to $forced_core's kernels"
        tlabel=$threads
        if [ "$t" = 0 ]; then tlabel="$threads (default)"; elif [ "$t" = 1 ] && [ "$default_threads" = 1 ]; then tlabel="1 (= default)"; elif [ "$t" != 1 ]; then tlabel="$threads (all cores)"; fi
        ratio="-"; target=""
        if [ -n "${fit_best[$model]:-}" ]; then
          ratio=$(calc "%.1f×" "$best / ${fit_best[$model]}")
          if [ "$model" = seed ] && [ "$t" = 1 ]; then
            need=30; [ "${pipeline%-forced}" = preloaded ] && need=6
            target=$(awk -v r="$best" -v f="${fit_best[$model]}" -v n="$need" -v flop="$flop" -v peak="${peak:-0}" \
              'BEGIN { if (r / f >= n) { printf "≥ %d×: **met**", n; exit }
                       need = r / n; gf = flop / need / 1e9
                       printf "≥ %d×: not met: nnlab would need %.3f s = %.0f GFLOP/s", n, need, gf
                       if (peak > 0) printf " = %.0f%% of the FMA peak", 100 * gf / peak }')
          fi
        fi
        row "$d" "$label" "$tlabel" "$(calc "%.3f" "$best") ($(calc "%.3f" "$(kv "$line" median)"))" \
            "$(calc "%.1f" "$flop / $best / 1e9")" "$ratio" \
            "test acc $(kv "$line" acc) % after $(kv "$line" n) epochs; first epoch $(calc "%.3f" "$(kv "$line" first)") s" "$target"
      done
    done
  done
fi

# nnlab at its best thread count against preloaded PyTorch at its own best
for model in seed large; do
  [ -n "${torch_best[$model]:-}" ] && [ -n "${fit_best[$model]:-}" ] || continue
  nb=${fit_best[$model]}; nt=1
  if [ -n "${fit2_best[$model]:-}" ] && holds "${fit2_best[$model]} < $nb"; then
    nb=${fit2_best[$model]}; nt=2
  fi
  r=$(calc "%.2f" "${torch_best[$model]} / $nb")
  target=""
  [ "$model" = large ] && target=$(verdict "≥ 2.0×" "${torch_best[$model]} / $nb >= 2.0")
  row "${model_desc[$model]}" "nnlab at its best ($nt thread(s)) vs preloaded PyTorch at its best (${torch_best_threads[$model]} thread(s)${torch_best_blas[$model]})" \
      "$nt / ${torch_best_threads[$model]}" "$(calc "%.3f" "$nb") vs $(calc "%.3f" "${torch_best[$model]}")" "-" "${r}×" \
      "PyTorch's seconds ÷ nnlab's, best epochs of the rows above" "$target"
done

rows+=("${gemm_rows[@]}")

# ---- the sweep at -j 1 and -j 2 ---------------------------------------------------
sweep_run() { # jobs -> "seconds maxrss_kb"
  local j=$1 best=""
  local rss=-1 cpu=""
  for ((r = 0; r < sweep_reps; r++)); do
    rm -rf "$work/cache" "$work/reports"; mkdir -p "$work/cache" "$work/reports"
    local timer=()
    [ -x /usr/bin/time ] && timer=(/usr/bin/time -f "maxrss_kb=%M cpu=%P" -o "$work/time")
    local line
    line=$(NNLAB_CACHE="$work/cache" "${timer[@]}" "$nnlab" run "$root/tests/bench/bench_sweep.lua" -j "$j" \
           --force --quiet --out "$work/reports" --set "epochs=$sweep_epochs" 2>"$work/err" | grep '^sweep_seconds=')
    [ -n "$line" ] || { log "bench_all.sh: sweep -j $j failed: $(tail -n 3 "$work/err")"; return 1; }
    local s; s=$(kv "$line" sweep_seconds)
    if [ -z "$best" ] || holds "$s < $best"; then
      best=$s
      if [ -x /usr/bin/time ]; then
        rss=$(kv "$(cat "$work/time")" maxrss_kb); cpu=$(kv "$(cat "$work/time")" cpu)
      else
        rss=$(kv "$line" hwm_kb); cpu="?"
      fi
    fi
  done
  echo "$best $rss ${cpu:-?}"
}
log "bench_all.sh: sweep -j 1"
note_load "sweep -j1"
if s1=$(sweep_run 1); then
  log "bench_all.sh: sweep -j 2"
  note_load "sweep -j2"
  if s2=$(sweep_run 2); then
    read -r t1 _ c1 <<<"$s1"; read -r t2 sweep_rss c2 <<<"$s2"
    speed=$(calc "%.2f" "$t1 / $t2")
    desc="sweep: 6 variations × 1 seed, seed model, $sweep_epochs epochs each"
    row "$desc" "nnlab run -j 1" 1 "$(calc "%.3f" "$t1")" "-" "1.00×" \
        "wall time of lab.sweep (best of $sweep_reps); whole run used $c1 of a core" ""
    row "$desc" "nnlab run -j 2 (forked workers)" 2 "$(calc "%.3f" "$t2")" "-" "${speed}×" \
        "speed-up over -j 1; whole run used $c2 of a core (200 % = both cores)" \
        "$(verdict "≥ 1.8×" "$speed >= 1.8")"
  fi
fi

# ---- peak memory of a full run ------------------------------------------------------
log "bench_all.sh: peak memory"
note_load "rss"
if [ -x /usr/bin/time ]; then
  if "/usr/bin/time" -f "maxrss_kb=%M" -o "$work/time" "$nnlab" run "$root/tests/bench/bench_train.lua" \
       --threads 1 --set model=seed --set impl=fit --set epochs=1 >/dev/null 2>"$work/err"; then
    kb=$(sed -n 's/^maxrss_kb=//p' "$work/time"); how="/usr/bin/time -f %M (max RSS)"
  fi
else
  line=$(run_train seed fit 1 1) && kb=$(kv "$line" hwm_kb); how="VmHWM of the process (no /usr/bin/time)"
fi
if [ -n "${kb:-}" ]; then
  mb=$(calc "%.1f" "$kb / 1024")
  row "peak memory: one full Fashion-MNIST run (60 000 train + 10 000 test, fit + evaluation)" "nnlab run" 1 "-" "-" "-" \
      "$mb MB; $how" "$(verdict "≤ 150 MB" "$mb <= 150")"
fi
if [ -n "${sweep_rss:-}" ] && [ "$sweep_rss" -gt 0 ] 2>/dev/null; then
  row "peak memory: the 6-variation sweep at -j 2" "nnlab run -j 2" 2 "-" "-" "-" \
      "$(calc "%.1f" "$sweep_rss / 1024") MB, the largest process (parent or worker)" ""
fi

# ---- the scaling table ------------------------------------------------------------
# nnlab's rows first, then PyTorch's (one process per thread count, all rows),
# then the table: each row's best GFLOP/s of either at either thread count, and
# their ratio; the targets count the rows from batch 32 up.
scaling_keys=(); torch_specs=""
# scaling_run KEY THREADS HIDDEN LAYERS BATCH SAMPLES EPOCHS [second]: one run
# of a row at a thread count; keeps its best pass in sc_best[KEY.THREADS] and
# the host's notes on it in sc_notes, unless an earlier run of the row was
# faster (with `second`, a run that is kept is marked so).
scaling_run() {
  local key=$1 t=$2 line best steal note
  if line=$(run_train scaling fit "$7" "$t" -- --set "hidden=$3" --set "layers=$4" \
              --set "batch=$5" --set "samples=$6"); then
    best=$(kv "$line" best)
    steal=$(steal_note)
    if [ "$t" -ge 2 ]; then note=$(pair_note short); else note=$(core_note short); fi
    if [ -z "${sc_best[$key.$t]:-}" ] || holds "$best < ${sc_best[$key.$t]}"; then
      [ "${8:-}" = second ] && sc_second[$key.$t]=1
      sc_best[$key.$t]=$best
      sc_notes[$key.$t]="${steal:+, $steal}${note:+, $note}"
    fi
  fi
}
declare -A sc_samples sc_epochs sc_flop sc_best sc_notes sc_second sc_torch sc_torch_cores sc_ceiling
ceiling_below=0
for layers in 1 3; do
  for hidden in 64 256 1024 4096; do
    # Adam's step alone on this model's parameters (bench_kernels --adam, one
    # thread): with the GEMMs at the full peak and the step after them, a
    # 1-thread run reads at most gemm ÷ (gemm + step) of the peak at a batch
    params=$((784 * hidden + hidden + (layers - 1) * (hidden * hidden + hidden) + 10 * hidden + 10))
    adam_ns=$("$kernels" 0.2 --adam "$params" 2>/dev/null | sed -n 's/.*ns_per_param=\([^ ]*\).*/\1/p')
    for batch in 8 32 128 512; do
      key="$layers:$hidden:$batch"
      per_sample=$(calc "%.0f" "2 * (2 * 784 * $hidden + 3 * $hidden * 10 + 3 * ($layers - 1) * $hidden * $hidden)")
      samples=$(awk -v f="$scaling_flop" -v p="$per_sample" -v b="$batch" \
        'BEGIN { n = int(f / p); if (n < 2 * b) n = 2 * b; if (n > 60000) n = 60000; print n }')
      # three passes always, as PyTorch gets (its first is untimed): the first
      # maps and faults in the gradients and Adam's moments (150 MB at
      # 4096-4096-4096, 10 % of a pass), and the test evaluation after it (batch
      # 1000) grows the activation buffers, so the second faults those in (48 MB
      # at 784-4096-10, a quarter of its pass at batch 512); the third is warm
      epochs=3
      scaling_keys+=("$key"); sc_samples[$key]=$samples; sc_epochs[$key]=$epochs
      if [ -n "$peak" ] && [ -n "$adam_ns" ]; then
        sc_ceiling[$key]=$(calc "%.0f" "100 * ($per_sample * $batch / $peak) / ($per_sample * $batch / $peak + $params * $adam_ns)")
        [ "$batch" -ge 32 ] && [ "${sc_ceiling[$key]}" -lt 70 ] && ceiling_below=$((ceiling_below + 1))
      fi
      sc_flop[$key]=$(calc "%.6e" "$samples * $per_sample")
      torch_specs="$torch_specs${torch_specs:+,}$layers:$hidden:$batch:$samples:$epochs"
      for t in $scaling_threads; do
        log "bench_all.sh: scaling $layers × $hidden, batch $batch, $t thread(s): $samples samples × $epochs"
        note_load "scaling $layers×$hidden b$batch t$t"
        scaling_run "$key" "$t" "$hidden" "$layers" "$batch" "$samples" "$epochs"
      done
    done
  done
done
torch_scaling_failed=""
# The scaling rows' PyTorch on the OpenBLAS kernels that trained 784-256-10
# faster above: forced to $forced_core's where those won, else its own.
scaling_blas_core=""
[ -n "${torch_best_blas[large]:-}" ] && scaling_blas_core=$forced_core
# torch_scaling_rows THREADS SPECS [second]: PyTorch preloaded on the scaling
# rows SPECS (layers:hidden:batch:samples:passes, comma-separated) at THREADS,
# one line per row: KEY SECONDS CORES, its best pass after the first (untimed)
# and the cores its process kept busy over it, on $scaling_blas_core's
# OpenBLAS kernels when that is set.
torch_scaling_rows() {
  local t=$1 tag="$1${3:+-$3}" json parsed
  while read -r json; do
    parsed=$(printf '%s' "$json" | "$python" -c '
import json, sys
r = json.load(sys.stdin)
passes = list(zip(r["seconds"], r.get("cpu_seconds") or [0] * len(r["seconds"])))
wall, cpu = min(passes[1:] or passes)
print("%d:%d:%d %.5f %.2f" % (r["layers"], r["hidden"], r["batch"], wall, cpu / wall))' 2>/dev/null) || continue
    printf '%s\n' "$parsed"
  done < <(env "${torch_malloc[@]}" ${scaling_blas_core:+OPENBLAS_CORETYPE="$scaling_blas_core"} "$python" "$here/torch_peer.py" --data "$data" --model scaling \
             --pipeline preloaded --threads "$t" --rows "$2" 2>"$work/err-torch-$tag"; echo "status $?" >"$work/status-torch-$tag")
  if ! grep -qx "status 0" "$work/status-torch-$tag"; then
    log "bench_all.sh: PyTorch scaling rows at $t thread(s)${3:+ ($3 run)} failed: $(tail -n 3 "$work/err-torch-$tag")"
    torch_scaling_failed="$torch_scaling_failed $t${3:+ ($3 run)}"
  fi
}
if [ -n "$python" ]; then
  for t in 1 2; do
    [ "$t" -gt "$(nproc 2>/dev/null || echo 1)" ] && continue
    log "bench_all.sh: scaling, PyTorch preloaded, $t thread(s), all rows"
    note_load "scaling torch t$t"
    while read -r key secs cores; do
      sc_torch[$key.$t]=$secs; sc_torch_cores[$key.$t]=$cores
    done < <(torch_scaling_rows "$t" "$torch_specs")
  done
fi
# A second run of the rows from batch 32 up (the targets' rows), minutes after
# the first, for both peers at both thread counts: the host lends these vCPUs'
# cores to other guests in episodes of seconds to minutes (a row's three
# passes take 0.1-2 s), and a row caught in one reads 10-20 % low for a reason
# outside both peers (784-64-10 at batch 128, 1 thread: 149-163 GFLOP/s in
# three suite runs, 171-175 alone minutes later). Each cell keeps the faster
# of its two runs; an nnlab cell whose second run was the faster says so.
second_specs=""
for key in "${scaling_keys[@]}"; do
  IFS=: read -r layers hidden batch <<<"$key"
  [ "$batch" -ge 32 ] || continue
  for t in $scaling_threads; do
    log "bench_all.sh: scaling $layers × $hidden, batch $batch, $t thread(s), second run"
    scaling_run "$key" "$t" "$hidden" "$layers" "$batch" "${sc_samples[$key]}" "${sc_epochs[$key]}" second
  done
  second_specs="$second_specs${second_specs:+,}$layers:$hidden:$batch:${sc_samples[$key]}:${sc_epochs[$key]}"
done
if [ -n "$python" ] && [ -n "$second_specs" ]; then
  for t in 1 2; do
    [ "$t" -gt "$(nproc 2>/dev/null || echo 1)" ] && continue
    log "bench_all.sh: scaling, PyTorch preloaded, $t thread(s), second run of the rows from batch 32"
    while read -r key secs cores; do
      if [ -z "${sc_torch[$key.$t]:-}" ] || holds "$secs < ${sc_torch[$key.$t]}"; then
        sc_torch[$key.$t]=$secs; sc_torch_cores[$key.$t]=$cores
      fi
    done < <(torch_scaling_rows "$t" "$second_specs" second)
  done
fi

scaling_rows=(); pct_rows=0; pct_met=0; torch_rows=0; torch_met=0
rows_from_32=$(( ${#scaling_keys[@]} * 3 / 4 ))
for key in "${scaling_keys[@]}"; do
  IFS=: read -r layers hidden batch <<<"$key"
  cells=""; nbest=""
  for t in $scaling_threads; do
    best=${sc_best[$key.$t]:-}
    if [ -z "$best" ]; then cells="$cells | failed"; continue; fi
    if [ -z "$nbest" ] || holds "$best < $nbest"; then nbest=$best; fi
    gf=$(calc "%.1f" "${sc_flop[$key]} / $best / 1e9")
    cell="$gf"
    [ -n "$peak" ] && cell="$cell ($(calc "%.0f" "100 * $gf / $peak / $t")%)"
    base=${sc_best[$key.1]:-}
    [ "$t" != 1 ] && [ -n "$base" ] && cell="$cell, $(calc "%.2f" "$base / $best")×"
    [ -n "${sc_second[$key.$t]:-}" ] && cell="$cell, second run"
    cells="$cells | $cell${sc_notes[$key.$t]:-}"
  done
  pct1=""
  [ -n "$peak" ] && [ -n "${sc_best[$key.1]:-}" ] && pct1=$(calc "%.4f" "100 * ${sc_flop[$key]} / ${sc_best[$key.1]} / 1e9 / $peak")
  torch_cells=""; tbest=""
  for t in 1 2; do
    v=${sc_torch[$key.$t]:-}
    if [ -z "$python" ]; then torch_cells="$torch_cells | skipped"
    elif [ -z "$v" ]; then torch_cells="$torch_cells | -"
    else
      torch_cells="$torch_cells | $(calc "%.1f" "${sc_flop[$key]} / $v / 1e9")"
      # PyTorch's BLAS may run threads beside torch.set_num_threads: say how many cores it kept busy
      cores=${sc_torch_cores[$key.$t]:-0}
      holds "$cores > $t + 0.2" && torch_cells="$torch_cells (CPU $(calc "%.1f" "$cores") cores)"
      if [ -z "$tbest" ] || holds "$v < $tbest"; then tbest=$v; fi
    fi
  done
  ratio="-"
  if [ -n "$tbest" ] && [ -n "$nbest" ]; then
    ratio="$(calc "%.2f" "$tbest / $nbest")×"
  fi
  if [ "$batch" -ge 32 ]; then
    if [ -n "$pct1" ]; then
      pct_rows=$((pct_rows + 1))
      holds "$pct1 >= 70" && pct_met=$((pct_met + 1))
    fi
    if [ "$ratio" != "-" ]; then
      torch_rows=$((torch_rows + 1))
      holds "$tbest / $nbest >= 1.0" && torch_met=$((torch_met + 1))
    fi
  fi
  shape=784
  for ((l = 0; l < layers; l++)); do shape="$shape-$hidden"; done
  ceiling="-"
  [ -n "${sc_ceiling[$key]:-}" ] && ceiling="${sc_ceiling[$key]} %"
  scaling_rows+=("| $shape-10 | $batch | ${sc_samples[$key]} × ${sc_epochs[$key]} | $ceiling$cells$torch_cells | $ratio |")
done

if [ -z "$peak" ]; then scaling_pct_target="not measured (no FMA peak)"
else scaling_pct_target="on $pct_met of the $pct_rows rows measured ($ceiling_below of them have a ceiling under 70 %)"; fi
if [ -z "$python" ]; then scaling_torch_target="not measured (no PyTorch)"
else scaling_torch_target="on $torch_met of the $torch_rows rows measured${torch_scaling_failed:+ (PyTorch failed at threads$torch_scaling_failed)}"; fi

# ---- the table ----------------------------------------------------------------------
paths=""
for p in scalar avx2 avx512; do
  if why=$(NNLAB_SIMD=$p "$nnlab" version 2>&1 >/dev/null); then paths="$paths$p; "
  else paths="$paths$p refused (${why#nnlab: }); "; fi
done
paths=${paths%; }
{
  cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)
  family=$(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -n1)
  cpumodel=$(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -n1)
  flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'avx2|fma|avx512f' | tr '\n' ' ')
  grep -qw avx512f /proc/cpuinfo || flags="$flags(no avx512f: the zmm peak and an AVX-512 path cannot be measured here) "
  echo "## nnlab benchmark"
  echo
  echo "- machine: ${cpu:-unknown CPU}, cpu family $family model $cpumodel, $(nproc) cores (${flags% }), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
  echo "- nnlab: $("$nnlab" version 2>/dev/null | head -n1 | sed 's/^nnlab //'), build $build, SIMD ${simd:-?}, $(cc --version 2>/dev/null | head -n1)"
  echo "- this core's FMA peaks (12 chains of FMAs, bench_kernels): ymm ${peak_ymm:-not measured} GFLOP/s, zmm ${peak_zmm:-not measured} GFLOP/s (0: no AVX-512F); percentages are of the wider, ${peak:-?} GFLOP/s, × threads"
  echo "- kernel paths: $paths"
  echo "- caches: $caches_info"
  echo "- OpenBLAS: $openblas_info"
  if [ -n "$python" ]; then echo "- PyTorch: ${torch_version:-?} via $python (default threads here: $default_threads)"
  else echo "- PyTorch: not available (skipped)"; fi
  echo "- data: $data; $(date -u '+%Y-%m-%d %H:%M UTC'); command: tests/bench/bench_all.sh$([ "$quick" = 1 ] && echo " --quick")"
  echo "- load (1-min average) before each part: $(printf '%s; ' "${loads[@]}" | sed 's/; $//')"
  echo "- seconds: best (median) per epoch; GFLOP/s: 2 × multiply-adds of the GEMMs (forward, weight gradient, input gradient except the first layer) ÷ best seconds; \"vs nnlab\": seconds ÷ nnlab.fit seconds (for GEMMs: nnlab ÷ OpenBLAS GFLOP/s); \"host steal X s\": CPU time the hypervisor gave to other guests while that run wanted it (/proc/stat), which slows the run for a reason outside nnlab; \"pair peak B / A\" (2-thread rows): both CPUs' FMA peak at once just before and after the run, about 2× one core's when they are two cores, flagged when under 1.5× (the host ran them on one core's two hardware threads, each at half speed); \"core peak B / A\" (1-thread rows): that CPU's FMA peak alone just before and after the run (a mean of 10 short loops), flagged when under 85 % of the run's peak (quiet, it reads 89-98 %; the host gave the core to other work for a while: that row reads low for a reason outside nnlab)"
  echo
  echo "| benchmark | implementation | threads | seconds | GFLOP/s | vs nnlab | notes | target |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "### Scaling: 784-H…-10 ReLU Adam, GFLOP/s: nnlab.fit (% of the FMA peak × threads, speed-up of 2 threads over 1) and preloaded PyTorch"
  echo
  echo "nnlab: the best of the passes (the first faults in its buffers and the test evaluation after it grows them, so the best is a later one); the rows from batch 32 up, nnlab's and PyTorch's alike at both thread counts, run a second time minutes after the first and keep the faster run (\"second run\" where that was the second: the host lends these cores to other guests in episodes longer than a row); a 2-thread cell flagged \"one core's two hardware threads\" had both CPUs' FMA peak at once under 1.5× one core's just before or after it. PyTorch: the same layers, optimizer, samples and number of passes, data preloaded as one tensor${scaling_blas_core:+, its OpenBLAS forced to $scaling_blas_core's kernels (with which it trained 784-256-10 faster than on its own choice, $openblas_core's: the training rows)}, the best pass after a first untimed one (\"CPU n cores\": the process's CPU time over that pass ÷ its seconds, where PyTorch's BLAS ran threads of its own beside torch.set_num_threads); \"vs PyTorch\": PyTorch's best seconds (either thread count) ÷ nnlab's best (either). \"ceiling, Adam apart\": the most % of the peak a 1-thread run can read with its GEMMs at the full peak and Adam's step after them at its own measured speed (bench_kernels --adam on the model's parameters, ns a parameter): GEMM time ÷ (GEMM time + step time), before the loader, the loss and the activations. Targets from batch 32 up ($rows_from_32 rows): ≥ 70 % of the peak at 1 thread $scaling_pct_target; ≥ 1.0× PyTorch $scaling_torch_target."
  echo
  echo "| layers | batch | samples × epochs (best epoch) | ceiling, Adam apart | nnlab 1 thread | nnlab 2 threads | PyTorch 1 thread | PyTorch 2 threads | vs PyTorch |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${scaling_rows[@]}"
} | if [ -n "$out" ]; then tee "$out"; else cat; fi
