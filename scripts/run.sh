#!/usr/bin/env bash
# The README's main command: set up, build, then `nnlab run ARGS...`
# (default: experiments/neurons.lua). Build output goes to build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null  # tests: scripts/test.sh
cmake --build build -j"$(nproc)" >/dev/null
if [ $# -eq 0 ]; then set -- experiments/neurons.lua; fi
exec ./build/nnlab run "$@"
