#!/usr/bin/env bash
# Submits an nnlab sweep to Slurm: a job array whose tasks train the runs not
# yet cached (scripts/slurm/sweep.sbatch, one shard each), then the job that
# writes the report from the cache once every task has succeeded
# (scripts/slurm/report.sbatch, --dependency=afterok). Prints both job ids.
#
#   scripts/slurm/submit.sh FILE [N] [--set key=value]... [--cache DIR] [--out DIR]
#
# N is the number of shards, at most the number of runs to train
# (`nnlab plan FILE --count`), which is also the default. With fewer shards than
# runs each task packs several runs and trains them NNLAB_CPUS_PER_TASK at a
# time. The array has a task for each shard that holds a run to train: all N
# at first; after a partial run (a failed task, an interrupted array) only the
# shards whose runs are missing, each told the shard count (NNLAB_SHARDS).
# Nothing left for the shards: says so and submits nothing when every run is
# known and cached, else (runs chosen from others' results, seeds on demand,
# a plan that stopped early) submits the report job alone, which runs the
# file whole and trains what is still missing. --set and --cache
# go to the plan, every task and the report job; --out only to the report job.
# The plan's hash (`nnlab plan --hash`) is handed to every task, which refuses
# to train if the experiment file or its --set values changed since.
#
# Environment:
#   NNLAB                the nnlab program (default: build/nnlab of this checkout);
#                        it, FILE and the cache must be at the same paths on every node
#   NNLAB_CPUS_PER_TASK  CPUs of each task, its -j (default 1)
#   NNLAB_ARRAY_MAX      at most this many tasks at once (--array=0-(N-1)%MAX)
#   NNLAB_LOG_DIR        folder of the jobs' output files (default: the current one)
#   SBATCH_PARTITION, SBATCH_TIMELIMIT, SBATCH_ACCOUNT, ...  read by sbatch itself
set -euo pipefail
# (an empty array is expanded as ${a[@]+"${a[@]}"}: bash before 4.4 calls
# "${a[@]}" of an empty array unbound under set -u)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage="usage: scripts/slurm/submit.sh FILE [N] [--set key=value]... [--cache DIR] [--out DIR]"
die() { echo "submit.sh: $*" >&2; exit 1; }
absolute() {
  case $1 in
    /*) printf '%s' "$1" ;;
    .) printf '%s' "$PWD" ;;
    *) printf '%s/%s' "$PWD" "${1#./}" ;;
  esac
}
whole() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ]; }

[ $# -ge 1 ] || die "$usage"
case $1 in -h|--help) echo "$usage"; exit 0 ;; esac
[ -f "$1" ] || die "no experiment file '$1'"
file=$(absolute "$1")
shift
tasks=""
if [ $# -gt 0 ] && [[ $1 != -* ]]; then
  whole "$1" || die "N must be a whole number of at least 1, got '$1'"
  tasks=$1
  shift
fi
common=()   # for the plan, every task and the report job
out=()      # for the report job only
while [ $# -gt 0 ]; do
  case $1 in
    --set|--cache|--out)
      [ $# -ge 2 ] || die "$1 needs a value"
      case $1 in
        --set) common+=(--set "$2") ;;
        --cache) common+=(--cache "$(absolute "$2")") ;;
        --out) out+=(--out "$(absolute "$2")") ;;
      esac
      shift 2 ;;
    --set=*) common+=(--set "${1#--set=}"); shift ;;
    --cache=*) common+=(--cache "$(absolute "${1#--cache=}")"); shift ;;
    --out=*) out+=(--out "$(absolute "${1#--out=}")"); shift ;;
    *) die "unknown argument '$1' ($usage)" ;;
  esac
done

nnlab=$(absolute "${NNLAB:-$here/../../build/nnlab}")
[ -x "$nnlab" ] || die "no nnlab program at '$nnlab': build it, or set NNLAB"
command -v sbatch >/dev/null || die "sbatch not found: run this on a Slurm login node"
cpus=${NNLAB_CPUS_PER_TASK:-1}
whole "$cpus" || die "NNLAB_CPUS_PER_TASK must be a whole number of at least 1, got '$cpus'"
logs=$(absolute "${NNLAB_LOG_DIR:-.}")
mkdir -p "$logs"
run_text="$nnlab run $file"   # the command that writes the report, for messages
for a in ${common[@]+"${common[@]}"} ${out[@]+"${out[@]}"}; do run_text+=" $a"; done
name=$(basename "$file" .lua)
# sbatch reads --output as a pattern (%j, %A, ...): a literal % is written %%,
# and a backslash anywhere turns every pattern off, so the tasks' logs would
# collide (and Slurm could not open them): refused
case "$logs/$name" in *\\*) die "a backslash in the log path $logs/nnlab-$name-... would turn off sbatch's %A/%a patterns: run from (or set NNLAB_LOG_DIR to) a folder without one" ;; esac
log_pattern=${logs//%/%%}/nnlab-${name//%/%%}
# submit_report [sbatch options...]: the report job; prints its id
submit_report() {
  local id
  id=$(sbatch --parsable --job-name="nnlab-$name-report" "$@" --cpus-per-task="$cpus" \
              --output="$log_pattern-report-%j.out" --export=ALL \
              "$here/report.sbatch" "$file" ${common[@]+"${common[@]}"} ${out[@]+"${out[@]}"}) || return 1
  printf '%s' "${id%%;*}"   # --parsable prints JOBID or JOBID;CLUSTER
}

export NNLAB="$nnlab"   # through the environment: --export=ALL,NNLAB=... would cut a path at its commas
count=$("$nnlab" plan "$file" ${common[@]+"${common[@]}"} --count) || die "nnlab plan failed (see above)"
[[ $count =~ ^[0-9]+$ ]] || die "nnlab plan --count printed '$count', not a number"
if [ "$count" -eq 0 ]; then
  # nothing for the shards; unless the plan is incomplete, nothing at all
  plan_json=$("$nnlab" plan "$file" ${common[@]+"${common[@]}"} --json) || die "nnlab plan --json failed (see above)"
  stopped=$(grep -o '"stopped": "[^"]*"' <<<"$plan_json" | sed 's/^"stopped": "//; s/"$//' || true)
  dependent=$(grep -o '"dependent": [0-9]*' <<<"$plan_json" | grep -o '[0-9]*$' || echo 0)
  why=${stopped:+planning stopped early: $stopped}
  if [ "${dependent:-0}" -gt 0 ]; then why="${why:+$why; }$dependent runs depend on the results of others"; fi
  on_demand=$(grep -o '"on_demand": [0-9]*' <<<"$plan_json" | grep -o '[0-9]*$' || echo 0)
  if [ "${on_demand:-0}" -gt 0 ]; then why="${why:+$why; }up to $on_demand runs of seeds on demand"; fi
  if [ -n "$why" ]; then
    # the report job runs the file whole: it trains what is missing of them (nothing once the sweep is done)
    report_id=$(submit_report) || die "sbatch refused the report job (see above): run the file whole, $run_text"
    echo "submit.sh: no run of $file is left for shards, but not all its runs are known ($why): the report job runs it whole" >&2
    echo "report job: $report_id   (output: $logs/nnlab-$name-report-$report_id.out)"
    exit 0
  fi
  echo "submit.sh: nothing to train (every planned run of $file is cached), nothing submitted." >&2
  echo "submit.sh: the report: $run_text" >&2
  exit 0
fi
hash=$("$nnlab" plan "$file" ${common[@]+"${common[@]}"} --hash) || die "nnlab plan --hash failed (see above)"
[[ $hash =~ ^[0-9a-f]+$ ]] || die "nnlab plan --hash printed '$hash', not a hex hash"

if [ -z "$tasks" ] || [ "$tasks" -gt "$count" ]; then tasks=$count; fi
# The plan splits into $tasks shards whatever is cached (docs/scale-out.md), so
# after a partial run some shards hold nothing left to train: the array is the
# shards that do, and each task is told the shard count (NNLAB_SHARDS).
plan_json=$("$nnlab" plan "$file" ${common[@]+"${common[@]}"} --json --shards "$tasks") || die "nnlab plan --json failed (see above)"
# the plan's own list of them (a run's parameters, printed in the same
# JSON, may hold a "shard" or "cached" of their own)
shards=$(grep -o '"shards_to_train": \[[0-9, ]*\]' <<<"$plan_json" | grep -o '[0-9][0-9, ]*' | tr -d ' ' || true)
[ -n "$shards" ] || die "nnlab plan --json --shards $tasks lists no run left to train, though --count said $count"
if [ "$shards" = "$(seq -s, 0 $((tasks - 1)))" ]; then array="0-$((tasks - 1))"; else array=$shards; fi
array_tasks=$(tr , '\n' <<<"$shards" | wc -l)
if [ -n "${NNLAB_ARRAY_MAX:-}" ]; then
  whole "$NNLAB_ARRAY_MAX" || die "NNLAB_ARRAY_MAX must be a whole number of at least 1, got '$NNLAB_ARRAY_MAX'"
  array+="%$NNLAB_ARRAY_MAX"
fi
export NNLAB_SHARDS="$tasks"

array_id=$(sbatch --parsable --job-name="nnlab-$name" --array="$array" --cpus-per-task="$cpus" \
                  --output="$log_pattern-%A_%a.out" --export=ALL \
                  "$here/sweep.sbatch" "$file" --plan "$hash" ${common[@]+"${common[@]}"}) ||
  die "sbatch refused the job array (see above)"
array_id=${array_id%%;*}   # --parsable prints JOBID or JOBID;CLUSTER
report_id=$(submit_report --dependency="afterok:$array_id" --kill-on-invalid-dep=yes) ||
  die "sbatch refused the report job (see above); the array $array_id runs: write the report with $run_text"

if [ "$array_tasks" = "$tasks" ]; then
  echo "submit.sh: $count runs to train in $tasks tasks ($array, $cpus CPUs each), plan $hash" >&2
else
  echo "submit.sh: $count runs to train, in $array_tasks of $tasks shards (the others hold none: array $array, $cpus CPUs each), plan $hash" >&2
fi
echo "array job: $array_id   (output: $logs/nnlab-$name-${array_id}_<task>.out)"
echo "report job: $report_id   (output: $logs/nnlab-$name-report-$report_id.out)"
