#!/usr/bin/env bash
# scripts/slurm/ without a cluster: submit.sh, sweep.sbatch and report.sbatch
# against a stand-in sbatch (records its arguments, prints a job id) and a
# stand-in nnlab (prints a chosen --count and --hash, records what it is run
# with). Checks the array's size (the runs to train by default, never more
# than them, N when fewer), throttling (NNLAB_ARRAY_MAX -> %), CPUs per task
# (-j), the plan's hash handed to every task, --out only to the report job,
# afterok on the array's id, nothing submitted when nothing is left to train
# (and the report job alone when the plan is incomplete: stopped early,
# dependent runs),
# and clear refusals of bad arguments. test_slurm.sh runs the same scripts on
# a real Slurm.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
submit=$repo/scripts/slurm/submit.sh
fail() { echo "test_slurm_scripts: FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d "${NNLAB_TEST_TMP:-/tmp}/slurm_scripts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/work"
cd "$tmp/work"
touch exp.lua

# sbatch: one line of arguments per call in $tmp/sbatch.log; job ids 41, 42...
cat > "$tmp/bin/sbatch" <<'EOF'
#!/usr/bin/env bash
n=41
if [ -f "$STUB_LOG" ]; then n=$(($(wc -l < "$STUB_LOG") + 41)); fi
printf '%s\n' "$*" >> "$STUB_LOG"
printf '%s\n' "$NNLAB" >> "$STUB_LOG.nnlab"   # what the job's environment gives sweep.sbatch
printf '%s\n' "${NNLAB_SHARDS:-}" >> "$STUB_LOG.shards"
echo "$n;testcluster"
EOF
# nnlab: plan prints $STUB_COUNT or $STUB_HASH (or fails with STUB_PLAN_FAIL);
# run prints its arguments.
cat > "$tmp/bin/nnlab" <<'EOF'
#!/usr/bin/env bash
if [ "$1" = plan ]; then
  [ -z "${STUB_PLAN_FAIL:-}" ] || { echo "nnlab: plan failed on purpose" >&2; exit 1; }
  case " $* " in
    *" --count "*) echo "$STUB_COUNT" ;; *" --hash "*) echo "$STUB_HASH" ;;
    *" --json "*)
      if [ -n "${STUB_JSON:-}" ]; then echo "$STUB_JSON"; exit 0; fi
      # runs to train: STUB_COUNT of them over the shards (or only in the shards STUB_LEFT lists),
      # and a cached run in every shard, one line each as nnlab writes them
      n=$(sed -n 's/.* --shards \([0-9]*\).*/\1/p' <<<" $* ")
      # (a cached run's parameters hold a "shard" and a "cached" of their own, which only
      # the plan's "shards_to_train" list tells from the runs' own, as nnlab writes it)
      echo '{"dependent": 0, "runs": ['
      left=""
      if [ -n "${STUB_LEFT:-}" ]; then
        for s in $STUB_LEFT; do echo "  {\"cached\": false, \"shard\": $s},"; left+=" $s"; done
      else
        for ((i = 0; i < ${STUB_COUNT:-0}; i++)); do
          echo "  {\"cached\": false, \"shard\": $((i % ${n:-1}))},"; left+=" $((i % ${n:-1}))"
        done
      fi
      for ((i = 0; i < ${n:-0}; i++)); do
        echo "  {\"cached\": true, \"params\": {\"cached\": false, \"shard\": 99}, \"shard\": $i},"
      done
      echo "], \"shards_to_train\": [$(tr ' ' '\n' <<<"$left" | sed '/^$/d' | sort -n -u | paste -sd, -)]}" ;;
  esac
  exit 0
fi
echo "nnlab $*"
EOF
chmod +x "$tmp/bin/sbatch" "$tmp/bin/nnlab"
export PATH=$tmp/bin:$PATH NNLAB=$tmp/bin/nnlab STUB_LOG=$tmp/sbatch.log STUB_HASH=5eedf00d
unset NNLAB_ARRAY_MAX NNLAB_CPUS_PER_TASK NNLAB_LOG_DIR

# submit N [args...] with STUB_COUNT set by the caller: the output in $out,
# the array's and the report job's sbatch arguments in $array and $report.
submit() {
  rm -f "$STUB_LOG"
  out=$(bash "$submit" "$@" 2>&1) || fail "submit.sh $* failed: $out"
  array=$(sed -n 1p "$STUB_LOG" 2>/dev/null || true)
  report=$(sed -n 2p "$STUB_LOG" 2>/dev/null || true)
}
# has TEXT WORDS / lacks TEXT WORDS: WORDS in TEXT, bounded by blanks or line
# ends; says TEXT PART: PART anywhere in TEXT.
has() { [[ " ${1//$'\n'/ } " == *" $2 "* ]] || fail "expected '$2' in: $1"; }
says() { [[ $1 == *"$2"* ]] || fail "expected '$2' in: $1"; }
lacks() { [[ " ${1//$'\n'/ } " != *" $2 "* ]] || fail "did not expect '$2' in: $1"; }

STUB_COUNT=6 submit exp.lua --set epochs=2 --cache c --out r
has "$array" "--array=0-5"
has "$array" "--cpus-per-task=1"
has "$array" "$repo/scripts/slurm/sweep.sbatch $tmp/work/exp.lua --plan 5eedf00d --set epochs=2 --cache $tmp/work/c"
lacks "$array" "--out"
has "$report" "--dependency=afterok:41"
has "$report" "$repo/scripts/slurm/report.sbatch $tmp/work/exp.lua --set epochs=2 --cache $tmp/work/c --out $tmp/work/r"
lacks "$report" "--plan"
has "$out" "array job: 41"
has "$out" "report job: 42"

STUB_COUNT=6 submit exp.lua 50
has "$array" "--array=0-5"                       # never more tasks than runs
STUB_COUNT=6 NNLAB_ARRAY_MAX=2 NNLAB_CPUS_PER_TASK=4 submit exp.lua 3
has "$array" "--array=0-2%2"                     # packing 2 runs a task, 2 tasks at a time
has "$array" "--cpus-per-task=4"
has "$report" "--cpus-per-task=4"

# after a partial run: 2 runs left, both in shard 1 of the 2 the plan splits into (shards
# split the whole plan, cached runs too): an array of that shard only, told the count
rm -f "$STUB_LOG.shards"
STUB_COUNT=2 STUB_LEFT="1" submit exp.lua 3
has "$array" "--array=1"
[ "$(sort -u "$STUB_LOG.shards")" = 2 ] || fail "the tasks were told NNLAB_SHARDS='$(cat "$STUB_LOG.shards")', expected 2"
says "$out" "2 runs to train, in 1 of 2 shards (the others hold none: array 1,"
STUB_COUNT=5 STUB_LEFT="0 3 3 4" NNLAB_ARRAY_MAX=2 submit exp.lua
has "$array" "--array=0,3,4%2"
STUB_COUNT=6 submit exp.lua 3
has "$array" "--array=0-2"                       # every shard holds runs: the range, as before

STUB_COUNT=0 submit exp.lua 3
[ ! -e "$STUB_LOG" ] || fail "submitted jobs with nothing to train: $(cat "$STUB_LOG")"
says "$out" "nothing to train (every planned run of $tmp/work/exp.lua is cached), nothing submitted."

refused() {   # refused MESSAGE ARGS...: submit.sh exits 1 and says MESSAGE
  local message=$1 said status=0
  shift
  said=$(bash "$submit" "$@" 2>&1) || status=$?
  [ "$status" = 1 ] || fail "submit.sh $* exited $status, expected 1: $said"
  [[ $said == *"$message"* ]] || fail "submit.sh $* said '$said', expected '$message'"
}
# no run for the shards because planning stopped early, or every run left
# depends on others' results or is a seed on demand: not "all cached"; the
# report job alone runs the file whole (it had been refused, exit 1, also
# after the whole sweep was done)
incomplete() {   # incomplete JSON MESSAGE: the report job alone, no array, no dependency
  STUB_COUNT=0 STUB_JSON=$1 submit exp.lua 3 --set epochs=2 --out r
  says "$out" "not all its runs are known ($2): the report job runs it whole"
  has "$out" "report job: 41"
  [ "$(wc -l < "$STUB_LOG")" = 1 ] || fail "expected the report job alone: $(cat "$STUB_LOG")"
  has "$array" "$repo/scripts/slurm/report.sbatch $tmp/work/exp.lua --set epochs=2 --out $tmp/work/r"
  [[ $array != *--dependency* ]] || fail "the report job alone waits on nothing: $array"
  lacks "$array" "--plan"
}
incomplete '{"dependent": 0, "stopped": "the file trains outside lab.sweep here"}' \
  "planning stopped early: the file trains outside lab.sweep here"
incomplete '{"dependent": 4}' "4 runs depend on the results of others"
incomplete '{"dependent": 0, "on_demand": 12}' "up to 12 runs of seeds on demand"
export STUB_COUNT=6
refused "no experiment file 'missing.lua'" missing.lua
refused "N must be a whole number" exp.lua 0
refused "unknown argument '--shard'" exp.lua --shard 0/2
refused "--set needs a value" exp.lua --set
NNLAB_ARRAY_MAX=x refused "NNLAB_ARRAY_MAX must be" exp.lua 2
STUB_PLAN_FAIL=1 refused "nnlab plan failed" exp.lua
STUB_COUNT=many refused "not a number" exp.lua
NNLAB=$tmp/none refused "no nnlab program" exp.lua

# sbatch reads --output as a pattern: a % in the log folder is doubled; a
# backslash, which would turn the patterns off, is refused. NNLAB reaches the
# jobs through the environment, whole, commas included.
mkdir -p "$tmp/pct%j"
STUB_COUNT=6 NNLAB_LOG_DIR="$tmp/pct%j" submit exp.lua 2
has "$array" "--output=$tmp/pct%%j/nnlab-exp-%A_%a.out"
has "$report" "--output=$tmp/pct%%j/nnlab-exp-report-%j.out"
mkdir -p "$tmp/back\\slash"
NNLAB_LOG_DIR="$tmp/back\\slash" refused "a backslash in the log path" exp.lua 2
mkdir -p "$tmp/com,ma"
ln -s "$tmp/bin/nnlab" "$tmp/com,ma/nnlab"
rm -f "$STUB_LOG.nnlab"
STUB_COUNT=6 NNLAB="$tmp/com,ma/nnlab" submit exp.lua 2
has "$array" "--export=ALL"
[ "$(sort -u "$STUB_LOG.nnlab")" = "$tmp/com,ma/nnlab" ] || fail "NNLAB reached the jobs as '$(cat "$STUB_LOG.nnlab")'"

# sweep.sbatch as Slurm would start task 1 of 3 with 2 CPUs.
task() {
  env SLURM_ARRAY_TASK_ID="$1" SLURM_ARRAY_TASK_COUNT="$2" SLURM_ARRAY_TASK_MIN="$3" SLURM_ARRAY_TASK_MAX="$4" \
      SLURM_CPUS_PER_TASK=2 bash "$repo/scripts/slurm/sweep.sbatch" exp.lua --plan 5eedf00d --set epochs=2 2>&1
}
said=$(task 1 3 0 2) || fail "sweep.sbatch failed: $said"
has "$said" "nnlab run exp.lua --shard 1/3 -j 2 --plan 5eedf00d --set epochs=2"
said=$(task 1 3 1 5) && fail "sweep.sbatch accepted array indices 1,3,5: $said"
says "$said" "array indices must be 0..N-1"
# submit.sh's array of the shards that hold runs: the count comes from NNLAB_SHARDS
said=$(NNLAB_SHARDS=5 task 3 2 1 3) || fail "sweep.sbatch of shard 3 of 5 (array 1,3) failed: $said"
has "$said" "nnlab run exp.lua --shard 3/5 -j 2 --plan 5eedf00d --set epochs=2"
said=$(NNLAB_SHARDS=3 task 3 2 1 3) && fail "sweep.sbatch took index 3 as a shard of 3: $said"
says "$said" "array index 3 is not a shard of 3 (NNLAB_SHARDS)"
said=$(bash "$repo/scripts/slurm/sweep.sbatch" exp.lua 2>&1) && fail "sweep.sbatch ran outside an array: $said"
says "$said" "not a job array task"
said=$(SLURM_CPUS_PER_TASK=3 bash "$repo/scripts/slurm/report.sbatch" exp.lua --out r 2>&1) ||
  fail "report.sbatch failed: $said"
has "$said" "nnlab run exp.lua -j 3 --out r"

echo "test_slurm_scripts: PASS"
