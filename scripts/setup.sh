#!/usr/bin/env bash
# Installs every Debian package nnlab's build, tests and main job need.
# Idempotent and quiet when everything is already there; needs root (or sudo) otherwise.
set -euo pipefail

packages=(
  cmake gcc make pkg-config
  liblua5.4-dev lua5.4          # embedded scripting + stock interpreter for `require "nnlab"`
  libcmocka-dev                 # unit tests
  zlib1g-dev                    # .gz IDX files
  gnuplot-nox fonts-wqy-zenhei  # report charts, with a font that has Chinese glyphs
  dataset-fashion-mnist         # real data, offline
  curl                          # dataset download when a network is there
  libopenblas-dev               # benchmark peer only (cblas_sgemm)
  clang libclang-rt-dev         # fuzz targets: libFuzzer and the sanitizer runtimes that come with clang
  valgrind                      # memcheck over a representative test
)

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
