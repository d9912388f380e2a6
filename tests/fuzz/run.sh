#!/usr/bin/env bash
# Runs nnlab's libFuzzer targets one after another, each for SECONDS, starting
# from its seed corpus (tests/fuzz/corpus/TARGET) and from what earlier runs
# found (BUILD_DIR/tests/fuzz/corpus/TARGET, where new finds go). A crash
# stops with its input saved in BUILD_DIR/tests/fuzz/artifacts/ and a
# non-zero status. Prints one summary line per target.
#
#   usage: tests/fuzz/run.sh [--build] BUILD_DIR SECONDS [TARGET...]
#   --build   configure and build BUILD_DIR first (clang, -DNNLAB_FUZZ=ON)
#   TARGET    idx_raw idx_gzip model_file cache_entry set_value chart_text csv npy npz (default: all)
#
# ctest runs every target through here for NNLAB_FUZZ_SECONDS (scripts/test.sh:
# 20 s); the long campaign (README): nice -n 19 bash tests/fuzz/run.sh --build build-fuzz 600
set -euo pipefail
source_dir="$(cd "$(dirname "$0")/../.." && pwd)"
build=0
if [ "${1:-}" = "--build" ]; then build=1; shift; fi
if [ $# -lt 2 ]; then sed -n '2,13p' "$0" >&2; exit 2; fi
build_dir="$1" seconds="$2"
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx_raw idx_gzip model_file cache_entry set_value chart_text csv npy npz)

if [ "$build" = 1 ]; then
  cmake -S "$source_dir" -B "$build_dir" -DNNLAB_FUZZ=ON -DCMAKE_C_COMPILER=clang -DBUILD_TESTING=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" >/dev/null
fi

fuzz_dir="$build_dir/tests/fuzz"
for target in "${targets[@]}"; do
  extra=()
  case "$target" in
    # Lua's collector owns the memory of these across inputs: a leak check
    # after each input would only see its garbage, and would cost 10x the time.
    cache_entry | set_value | chart_text) extra=(-detect_leaks=0) ;;
  esac
  mkdir -p "$fuzz_dir/corpus/$target" "$fuzz_dir/artifacts"
  log="$fuzz_dir/$target.log"
  status=0
  "$fuzz_dir/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${extra[@]}" -artifact_prefix="$fuzz_dir/artifacts/$target-" \
    "$fuzz_dir/corpus/$target" "$source_dir/tests/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
  crashes=$(ls "$fuzz_dir/artifacts" | grep -c "^$target-" || true)
  echo "fuzz_$target: ${took:-?} s, ${execs:-?} executions, corpus ${corpus:-?} (inputs/bytes), crashes $crashes"
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
    exit "$status"
  fi
done
