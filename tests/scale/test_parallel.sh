#!/usr/bin/env bash
# GNU parallel runs a small sweep (tests/scale/sweep.lua, 6 runs) as 3 local
# shards, `parallel nnlab run FILE --shard {}/3 --plan HASH ::: 0 1 2`, into a
# cache of their own; then a plain `nnlab run FILE` writes the report. Checks
# that it trained 0 runs and that its results.csv equals byte for byte the one
# of the same sweep run in one go with another cache.
#
# Then a failed shard and --resume-failed: with NNLAB_TEST_FAIL_HIDDEN=8 the
# runs of hidden=8 fail while training, so the shards holding them exit 1; the
# joblog records which; the other runs stay cached (plan --count: 2 left) and
# `nnlab run --no-train` refuses. `parallel --resume-failed` with the same
# command line reruns only the failed shards, which train only the 2 missing
# runs; the report then trains 0 and matches too.
#
#   tests/scale/test_parallel.sh [NNLAB]   (default: $NNLAB, else build/nnlab)
set -euo pipefail

# shellcheck source=tests/scale/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parallel --version 2>/dev/null | grep -q "GNU parallel" ||
  skip "GNU parallel is not installed (bash scripts/setup.sh --tests installs it)"

tmp=$(mktemp -d "${NNLAB_TEST_TMP:-/tmp}/parallel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
set_args=(--set epochs=2)
reference "$tmp/alone"

# Runs `nnlab run` over 3 shards with GNU parallel into cache $1; more
# parallel options after it (--joblog, --resume-failed). -q: parallel hands
# the command to a shell, which would split a path with a space (the clone's).
shards() {
  local cache=$1 hash
  shift
  hash=$("$nnlab" plan "$experiment" "${set_args[@]}" --cache "$cache" --hash) || return 1
  parallel --will-cite -q -j 3 "$@" "$nnlab" run "$experiment" --shard {}/3 --plan "$hash" \
           "${set_args[@]}" --cache "$cache" -j 1 --quiet ::: 0 1 2
}
# The report from cache $1 into $2; checks 0 trained and the same results.csv.
assemble() {
  local summary
  summary=$("$nnlab" run "$experiment" "${set_args[@]}" --cache "$1" --out "$2" -j 2 2>&1) ||
    fail "the assembling run failed: $summary"
  grep -q ', 0 trained' <<<"$summary" || fail "the assembling run trained runs: $summary"
  assembled_like_reference "$2"
}
to_train() { "$nnlab" plan "$experiment" "${set_args[@]}" --cache "$1" --count; }

# 1. Three shards, all well.
[ "$(to_train "$tmp/a")" = 6 ] || fail "plan --count on an empty cache: $(to_train "$tmp/a"), expected 6"
shards "$tmp/a" || fail "a shard failed"
[ "$(to_train "$tmp/a")" = 0 ] || fail "runs left to train after the shards: $(to_train "$tmp/a")"
assemble "$tmp/a" "$tmp/a-reports"
echo "test_parallel: 3 shards + report: 0 trained, same results.csv ($((SECONDS - started)) s)"

# 2. A shard fails (the hidden=8 runs), its finished runs stay cached.
log=$tmp/shards.joblog
status=0
NNLAB_TEST_FAIL_HIDDEN=8 shards "$tmp/b" --joblog "$log" 2>"$tmp/failed.err" || status=$?
failed=$(awk -F'\t' 'NR > 1 && $7 != 0' "$log" | wc -l)
echo "test_parallel: first pass: parallel exit $status, $failed of 3 shards failed"
if [ "$status" -lt 1 ] || [ "$status" -gt 2 ]; then
  cat "$tmp/failed.err" >&2
  fail "parallel exit $status, expected 1 or 2 failed shards"
fi
[ "$failed" = "$status" ] || fail "the joblog lists $failed failed shards, parallel said $status"
grep -q "injected failure" "$tmp/failed.err" || fail "the failed shard did not say why"
[ "$(to_train "$tmp/b")" = 2 ] || fail "after the failed pass $(to_train "$tmp/b") runs left to train, expected 2 (hidden=8)"
if "$nnlab" run "$experiment" "${set_args[@]}" --cache "$tmp/b" --out "$tmp/b-reports" --no-train 2>"$tmp/no-train.err"; then
  fail "run --no-train wrote a report with runs missing"
fi
grep -q "hidden=8" "$tmp/no-train.err" || fail "run --no-train does not list the missing runs: $(cat "$tmp/no-train.err")"

# 3. --resume-failed reruns exactly the failed shards; they train the 2 missing runs.
shards "$tmp/b" --joblog "$log" --resume-failed || fail "a shard failed again under --resume-failed"
rerun=$(($(wc -l <"$log") - 4))
[ "$rerun" = "$failed" ] || fail "--resume-failed ran $rerun shards, expected the $failed failed ones"
[ "$(to_train "$tmp/b")" = 0 ] || fail "runs left to train after --resume-failed: $(to_train "$tmp/b")"
assemble "$tmp/b" "$tmp/b-reports"
echo "test_parallel: a failed shard, --resume-failed reran $rerun, report: 0 trained, same results.csv"

echo "test_parallel: PASS in $((SECONDS - started)) s"
