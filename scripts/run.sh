#!/usr/bin/env bash
# The README's main command: set up, build, then `nnlab run ARGS...`.
# Build output goes to build/ in the clone. ARGS are read from the folder the
# command is run in (a relative FILE or --out is the caller's, as with
# `nnlab run`); without ARGS it runs experiments/neurons.lua in the clone.
set -euo pipefail
clone="$(cd "$(dirname "$0")/.." && pwd)"
(
  cd "$clone"
  bash scripts/setup.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null  # tests: scripts/test.sh
  cmake --build build -j"$(nproc)" >/dev/null
)
if [ $# -eq 0 ]; then
  cd "$clone"
  set -- experiments/neurons.lua
fi
exec "$clone/build/nnlab" run "$@"
