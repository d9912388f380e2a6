# Sourced by tests/scale/test_slurm.sh and test_parallel.sh: the nnlab program
# (the test's first argument, else $NNLAB, else build/nnlab), the small sweep
# they run (tests/scale/sweep.lua), fail and skip (exit 77, which ctest shows
# as skipped), and the reference run and the check every assembled report
# must pass. Not a test itself.
# shellcheck shell=bash

SKIP=77
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
nnlab=${1:-${NNLAB:-$repo/build/nnlab}}
case $nnlab in /*) ;; *) nnlab=$PWD/$nnlab ;; esac   # the tests change folder; the jobs start elsewhere
experiment=$repo/tests/scale/sweep.lua
test_name=$(basename "$0" .sh)
# shellcheck disable=SC2034  # read by the sourcing test
started=$SECONDS

fail() { echo "$test_name: FAIL: $*" >&2; exit 1; }
# A command whose failure ends the test under set -e names itself (in a
# function too: set -E) instead of the test ending without a word. Bash runs
# command substitutions without -e, so a failure inside one ends nothing and is
# not reported; the assignment or test that took its status is.
failed_command() { [[ $- != *e* ]] || echo "$test_name: FAIL: line $2: \"$3\" exited $1" >&2; }
set -E
trap 'failed_command $? $LINENO "$BASH_COMMAND"' ERR
skip() { echo "$test_name: SKIP: $*" >&2; exit "$SKIP"; }
[ -x "$nnlab" ] || fail "no nnlab program at $nnlab"
unset NNLAB_TEST_FAIL_HIDDEN NNLAB_CACHE

# reference DIR: the sweep in one go, -j 2, with its own cache, under DIR;
# sets $reference to its results.csv.
reference() {
  "$nnlab" run "$experiment" --set epochs=2 --cache "$1/cache" --out "$1/reports" -j 2 --quiet ||
    fail "the sweep in one go failed"
  reference=$1/reports/sweep/results.csv
  [ -s "$reference" ] || fail "the sweep in one go wrote no $reference"
}

# assembled_like_reference REPORTS: the report under REPORTS trained 0 runs
# (every "trained" count of its results.json) and its results.csv is the
# reference's, byte for byte.
assembled_like_reference() {
  local json=$1/sweep/results.json trained
  [ -s "$json" ] || fail "the assembling run wrote no $json"
  trained=$(grep -o '"trained": *[0-9]*' "$json" | tr -d ' ')
  [ -n "$trained" ] || fail "no \"trained\" count in $json"
  if grep -qv '^"trained":0$' <<<"$trained"; then fail "the assembling run trained runs: $trained"; fi
  cmp "$reference" "$1/sweep/results.csv" || fail "$1/sweep/results.csv differs from the sweep in one go"
}
