#!/usr/bin/env bash
# A real single-node Slurm cluster, started from Debian's packages (munge,
# slurmctld, slurmd) in a temp folder, runs a small sweep
# (tests/scale/sweep.lua, 6 runs) through scripts/slurm/submit.sh as a 3-task
# job array plus the dependent job that writes the report. Checks: every task
# and the report job completed, the report job trained 0 runs, and its
# results.csv equals byte for byte the one of the same sweep run on this
# machine alone with a cache of its own; a second submit.sh finds nothing to
# train and submits nothing.
#
# The cluster runs as root with its own munge key and socket, free ports,
# ProctrackType=proctrack/linuxproc and no cgroup plugin (this runs inside a
# container), no accounting (so no sacct: job states come from scontrol), and
# a scheduling pass every second (sched_interval=1) so the test takes ~15 s.
# Every daemon it started is stopped on exit. When Slurm cannot be started
# here the test prints why (the daemons' log lines) and exits 77, which ctest
# reports as skipped.
#
#   tests/scale/test_slurm.sh [NNLAB]   (default: $NNLAB, else build/nnlab)
set -euo pipefail

# shellcheck source=tests/scale/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
for tool in munged munge slurmctld slurmd sbatch squeue scontrol scancel; do
  command -v "$tool" >/dev/null ||
    skip "$tool is not installed (bash scripts/setup.sh --tests installs munge and slurm-wlm)"
done

# A short path: munged's unix socket must fit in 108 bytes.
tmp=$(mktemp -d /tmp/nnlab-slurm.XXXXXX)
controller_up=""
pids=()   # the daemons, in the order started; all run in the foreground, in this process group
cleanup() {
  local status=$? i
  trap - EXIT INT TERM
  if [ -n "$controller_up" ]; then scancel --quiet --user=root 2>/dev/null || true; fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

logs() {   # the daemons' logs, for a failure or a skip
  local f
  for f in "$tmp"/log/*; do
    [ -s "$f" ] || continue
    echo "---- $f (last 25 lines)" >&2
    tail -n 25 "$f" >&2
  done
}

# Two TCP ports nothing listens on (from /proc/net/tcp*, no extra tools).
listening() {
  local fields
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | while read -ra fields; do
    if [ "${fields[3]:-}" = 0A ]; then echo $((16#${fields[1]##*:})); fi
  done
}
used=" $(listening | tr '\n' ' ') "
ports=()
while [ ${#ports[@]} -lt 2 ]; do
  p=$((20000 + RANDOM % 40000))
  [[ $used == *" $p "* || " ${ports[*]:-} " == *" $p "* ]] || ports+=("$p")
done

mkdir -p "$tmp/munge" "$tmp/run" "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/work"
chmod 755 "$tmp" "$tmp/run"      # munged: its socket's folder must be open to all
chmod 700 "$tmp/munge"
head -c 1024 /dev/urandom > "$tmp/munge/munge.key"
chmod 600 "$tmp/munge/munge.key"
socket=$tmp/run/munge.sock
munged --foreground --socket="$socket" --key-file="$tmp/munge/munge.key" --log-file="$tmp/log/munged.log" \
       --pid-file="$tmp/run/munged.pid" --seed-file="$tmp/munge/seed" 2>>"$tmp/log/munged.log" &
pids+=($!)
up=""
for _ in $(seq 50); do
  if munge -n -S "$socket" 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1; then up=1; break; fi
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.2
done
[ -n "$up" ] || { logs; skip "munged did not start, or munge cannot encode and decode a credential"; }

node=$(hostname -s)
cat > "$tmp/slurm.conf" <<EOF
ClusterName=nnlabtest
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc)
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
unset SLURM_JOB_ID SLURM_ARRAY_JOB_ID   # in case this runs inside another Slurm job

slurmctld -D >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
up=""
for _ in $(seq 100); do
  if scontrol ping 2>/dev/null | grep -q UP; then up=1; break; fi
  kill -0 "${pids[1]}" 2>/dev/null || break
  sleep 0.2
done
[ -n "$up" ] || { logs; skip "slurmctld did not come up (scontrol ping)"; }
controller_up=1

slurmd -D -N "$node" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
up=""
for _ in $(seq 100); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
  if [ "$state" = idle ]; then up=1; break; fi
  kill -0 "${pids[2]}" 2>/dev/null || break
  sleep 0.2
done
[ -n "$up" ] || { logs; skip "slurmd did not register node $node as idle (last state: '${state:-none}')"; }
echo "test_slurm: cluster up in $((SECONDS - started)) s (ports ${ports[*]})"

# The same sweep on this machine alone, with a cache of its own: the reference.
reference "$tmp/alone"

# ask COMMAND...: a query to the controller, its output; asked again for up to
# 30 s while it fails (a controller slowed by the machine's other work times
# out now and then, and a query that timed out is not an empty answer), then
# a failure with its message.
ask() {
  local out deadline=$((SECONDS + 30))
  until out=$("$@" 2>"$tmp/ask.err"); do
    [ $SECONDS -lt $deadline ] || fail "$* failed for 30 s: $(cat "$tmp/ask.err")"
    sleep 0.5
  done
  printf '%s\n' "$out"
}
states() { ask scontrol -o show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
# submit NAME N: submit.sh with N tasks into cache $tmp/NAME/cache and report
# folder $tmp/NAME/reports, job output in $tmp/NAME/jobs; waits (at most 45 s)
# until both jobs have left the queue and prints their output. Sets array_id,
# report_id, array_tasks (how many tasks the array had).
submit() {
  local name=$1 tasks=$2 submitted deadline f queued
  shift 2
  cd "$tmp/work"
  submitted=$(NNLAB="$nnlab" NNLAB_LOG_DIR="$tmp/$name/jobs" NNLAB_CPUS_PER_TASK=1 \
              bash "$repo/scripts/slurm/submit.sh" "$experiment" "$tasks" --set epochs=2 \
                   --cache "$tmp/$name/cache" --out "$tmp/$name/reports") ||
    { logs; fail "submit.sh failed"; }
  echo "$submitted"
  array_id=$(sed -n 's/^array job: \([0-9]*\).*/\1/p' <<<"$submitted")
  report_id=$(sed -n 's/^report job: \([0-9]*\).*/\1/p' <<<"$submitted")
  [ -n "$array_id" ] || fail "submit.sh printed no array job id"
  [ -n "$report_id" ] || fail "submit.sh printed no report job id"
  deadline=$((SECONDS + 45))
  while :; do
    queued=$(ask squeue -h -j "$array_id,$report_id" -o %i)
    [ -n "$queued" ] || break
    if [ $SECONDS -ge $deadline ]; then
      squeue >&2 || true
      logs
      fail "jobs still queued or running after 45 s"
    fi
    sleep 0.5
  done
  array_tasks=$(states "$array_id" | wc -l)   # one record per task once they have run
  for f in "$array_id" "$report_id"; do   # when each job was submitted, started, ended
    ask scontrol -o show job "$f" | grep -oE "JobId=[0-9]+ |(Submit|Start|End)Time=[^ ]*" | paste -sd" " >&2
  done
  for f in "$tmp/$name"/jobs/*; do echo "---- $(basename "$f")"; cat "$f"; done
  echo "test_slurm: array $array_id ($array_tasks tasks):$(states "$array_id" | sort | uniq -c | tr -s ' ' | tr '\n' ';')" \
       "report job $report_id: $(states "$report_id") ($((SECONDS - started)) s)"
}
# assembled NAME: the report job completed, trained 0, and wrote the reference's results.csv.
assembled() {
  [ "$(states "$report_id")" = COMPLETED ] || { logs; fail "the report job did not complete"; }
  grep -q ', 0 trained' "$tmp/$1/jobs/nnlab-sweep-report-$report_id.out" ||
    fail "the report job's summary does not say 0 trained"
  assembled_like_reference "$tmp/$1/reports"
}
to_train() { "$nnlab" plan "$experiment" --set epochs=2 --cache "$tmp/$1/cache" --count; }

# 1. A 3-task array for 6 runs (2 runs packed in each task), then the report job.
submit a 3
[ "$array_tasks" = 3 ] || fail "the array has $array_tasks tasks, expected 3"
[ "$(states "$array_id" | grep -c '^COMPLETED$')" = 3 ] || fail "not all 3 array tasks completed"
assembled a
# Everything is cached now: submit.sh says so and submits nothing.
again=$(NNLAB="$nnlab" bash "$repo/scripts/slurm/submit.sh" "$experiment" 3 --set epochs=2 \
        --cache "$tmp/a/cache" 2>&1) || fail "submit.sh with nothing to train failed: $again"
grep -q "nothing to train" <<<"$again" || fail "submit.sh with nothing to train said: $again"
queued=$(ask squeue -h -o %i)
[ -z "$queued" ] || fail "submit.sh submitted jobs with nothing to train"

# 2. The hidden=8 runs fail in their tasks: the report job never runs
#    (afterok), the other runs stay cached, and submitting again makes an
#    array of the shards that hold the 2 missing runs, whose report job
#    trains 0.
export NNLAB_TEST_FAIL_HIDDEN=8
submit b 3
unset NNLAB_TEST_FAIL_HIDDEN
states "$array_id" | grep -q '^FAILED$' || fail "no array task failed on the injected failure"
[ "$(states "$report_id")" = CANCELLED ] || fail "the report job ran after a failed task: $(states "$report_id")"
[ "$(to_train b)" = 2 ] || fail "after the failed tasks $(to_train b) runs left to train, expected 2"
rm -rf "$tmp/b/jobs"
# the plan splits into 2 shards (3 asked, 2 runs left), cached runs too: the
# array has a task for each shard that holds a missing run
holding=$("$nnlab" plan "$experiment" --set epochs=2 --cache "$tmp/b/cache" --json --shards 2 |
          grep '"cached": false' | grep -o '"shard": [0-9]*' | sort -u | wc -l)
submit b 3
[ "$array_tasks" = "$holding" ] ||
  fail "the array for 2 missing runs has $array_tasks tasks, expected $holding (the shards of 2 that hold them)"
assembled b

echo "test_slurm: PASS in $((SECONDS - started)) s"
