#!/usr/bin/env bash
# Installs the Debian packages nnlab's build and main job need; with --tests
# also those only the tests need (scripts/test.sh passes it), so that a user's
# first run stays small. Idempotent and quiet when everything is already
# there; needs root (or sudo) otherwise.
set -euo pipefail

packages=(
  cmake gcc make pkg-config
  liblua5.4-dev lua5.4          # embedded scripting + stock interpreter for `require "nnlab"`
  zlib1g-dev                    # .gz IDX files
  libcsv-dev                    # CSV datasets (data.csv)
  libzip-dev                    # NumPy .npz archives (data.npz)
  libcmark-gfm-dev libcmark-gfm-extensions-dev  # --html pages: CommonMark + GitHub tables
  gnuplot-nox fonts-wqy-zenhei  # report charts, with a font that has Chinese glyphs
  dataset-fashion-mnist         # real data, offline
  curl                          # dataset download when a network is there
)
if [ "${1:-}" = "--tests" ]; then
  packages+=(
    libcmocka-dev               # unit tests
    libopenblas-dev             # benchmark peer only (cblas_sgemm)
    clang libclang-rt-dev       # fuzz targets: libFuzzer and the sanitizer runtimes that come with clang
    valgrind                    # memcheck over a representative test
    chromium                    # a real browser loads the --html page (tests/nnlab/test_html_report.lua)
    slurm-wlm munge             # a real single-node Slurm for tests/scale/test_slurm.sh
    parallel                    # GNU parallel for tests/scale/test_parallel.sh
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
