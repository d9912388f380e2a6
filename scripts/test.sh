#!/usr/bin/env bash
# The README's test command: set up, then build and run the tests three ways,
# each in its own build folder, each through ctest:
#   1. build/       Release: every test (cmocka, stock Lua, through nnlab),
#                   valgrind memcheck over a representative run included
#   2. build-asan/  the same suite built with ASan + UBSan (-fno-sanitize-recover),
#                   less tests/lua (stock lua5.4; the C they reach, core.codec, runs
#                   under the sanitizers in tests/nnlab/test_codec.lua)
#   3. build-fuzz/  clang + libFuzzer: every fuzz target for $NNLAB_FUZZ_SECONDS
#                   (default 20) from its seed corpus in tests/fuzz/corpus/
# NNLAB_BUILD_DIR, NNLAB_ASAN_BUILD_DIR and NNLAB_FUZZ_BUILD_DIR move the folders.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests

jobs="$(nproc)"
build="${NNLAB_BUILD_DIR:-build}"
asan="${NNLAB_ASAN_BUILD_DIR:-build-asan}"
fuzz="${NNLAB_FUZZ_BUILD_DIR:-build-fuzz}"
step() { echo "== scripts/test.sh: $* ($(date +%T))" >&2; }

step "release build and tests in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >/dev/null
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" --output-on-failure -j"$jobs"

step "ASan + UBSan build and tests in $asan"
cmake -S . -B "$asan" -DNNLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON >/dev/null
cmake --build "$asan" -j"$jobs"
ctest --test-dir "$asan" --output-on-failure -j"$jobs"

step "libFuzzer targets in $fuzz, ${NNLAB_FUZZ_SECONDS:-20} s each"
cmake -S . -B "$fuzz" -DNNLAB_FUZZ=ON -DCMAKE_C_COMPILER=clang -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DNNLAB_FUZZ_SECONDS="${NNLAB_FUZZ_SECONDS:-20}" >/dev/null
cmake --build "$fuzz" -j"$jobs"
ctest --test-dir "$fuzz" --output-on-failure -j"$jobs"
step "all tests passed"
