#!/usr/bin/env bash
# Regenerates the seed corpora in tests/fuzz/corpus/ (valid inputs of every
# parser: the fuzzers mutate from there). Needs a built nnlab and the Debian
# Fashion-MNIST files.  usage: bash tests/fuzz/make_corpus.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
nnlab="${1:-build}/nnlab"
corpus=tests/fuzz/corpus
fashion=/usr/share/datasets/fashion-mnist
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
rm -rf "${corpus:?}"/*
mkdir -p "$corpus"/{idx_raw,idx_gzip,model_file,cache_entry,set_value,chart_text}

be32() { printf "$(printf '\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"; }
# idx_images COUNT ROWS COLS BODY_FILE: an IDX image file on stdout
idx_images() { be32 0x803; be32 "$1"; be32 "$2"; be32 "$3"; cat "$4"; }
idx_labels() { be32 0x801; be32 "$1"; cat "$2"; }

# IDX, raw: small synthetic files and the first samples of Fashion-MNIST
head -c 60 /dev/urandom >"$scratch/px60"
idx_images 3 4 5 "$scratch/px60" >"$corpus/idx_raw/images-3x4x5"
printf '\x07' >"$scratch/px1"
idx_images 1 1 1 "$scratch/px1" >"$corpus/idx_raw/images-1x1x1"
printf '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09' >"$scratch/labels10"
idx_labels 10 "$scratch/labels10" >"$corpus/idx_raw/labels-10"
(zcat "$fashion/train-images-idx3-ubyte.gz" || true) | head -c $((16 + 4 * 784)) | tail -c $((4 * 784)) >"$scratch/px4"
idx_images 4 28 28 "$scratch/px4" >"$corpus/idx_raw/fashion-4-images"
(zcat "$fashion/train-labels-idx1-ubyte.gz" || true) | head -c $((8 + 64)) | tail -c 64 >"$scratch/labels64"
idx_labels 64 "$scratch/labels64" >"$corpus/idx_raw/fashion-64-labels"

# IDX, gzip'd: the raw seeds compressed, and one stream of two members
for f in "$corpus"/idx_raw/*; do gzip -9 -n -c "$f" >"$corpus/idx_gzip/$(basename "$f").gz"; done
head -c 20 "$corpus/idx_raw/images-3x4x5" | gzip -n -c >"$scratch/part1.gz"
tail -c +21 "$corpus/idx_raw/images-3x4x5" | gzip -n -c >"$scratch/part2.gz"
cat "$scratch/part1.gz" "$scratch/part2.gz" >"$corpus/idx_gzip/images-3x4x5-two-members.gz"

# model files: every layer kind and init, written by nnlab.save, plain and deflated
cat >"$scratch/models.lua" <<LUA
local nnlab = require "nnlab"
local nn = nnlab.nn
local models = {
  tiny = nn.Sequential({ nn.Linear(3, 2) }, { seed = 1 }),
  mlp = nn.Sequential({ nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3) }, { seed = 2 }),
  every_layer = nn.Sequential({ nn.Linear(5, 4, { init = "xavier_uniform" }), nn.Sigmoid(), nn.Dropout(0.25),
                                nn.Linear(4, 4, { init = "kaiming_normal" }), nn.LeakyReLU(0.1), nn.Linear(4, 3),
                                nn.Tanh() }, { seed = 3 }),
  deep = nn.Sequential({ nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2),
                         nn.ReLU(), nn.Linear(2, 2) }, { seed = 4 }),
}
for name, model in pairs(models) do
  nnlab.save(model, "$corpus/model_file/" .. name .. ".nnlab")
  nnlab.save(model, "$corpus/model_file/" .. name .. "-deflated.nnlab", { deflate = true })
end
LUA
"$nnlab" run "$scratch/models.lua"

# cache entries: written by real sweeps (one that trains, one that diverges)
for fixture in tiny diverge; do
  NNLAB_CACHE="$scratch/cache-$fixture" NNLAB_OFFLINE=1 "$nnlab" run "tests/nnlab/fixtures/notebook/$fixture.lua" \
    --out "$scratch/reports" --quiet $([ $fixture = tiny ] && echo --set epochs=1 --set train_size=300) >/dev/null
  for f in "$scratch/cache-$fixture"/*.lua; do cp "$f" "$corpus/cache_entry/$fixture-$(basename "$f")"; done
done
printf 'return {format=1,key={},result={history={{epoch=1,train_acc=50.0,train_loss=1.5}},seconds=0.5}}\n' \
  >"$corpus/cache_entry/minimal.lua"
printf 'return {"a\\n\\"b\\0",[3]=(0/0),x={(1/0),(-1/0),-0.0,1e-300},["two words"]=true,}\n' \
  >"$corpus/cache_entry/values.lua"

# command lines of nnlab run, arguments separated by NUL bytes
arguments() { printf '%s\0' "$@" | head -c -1; }
arguments --set epochs=3 >"$corpus/set_value/epochs"
arguments --set=lr=0.01 -j 2 --force experiment.lua >"$corpus/set_value/lr-jobs"
arguments --set flag=yes --set name=some text >"$corpus/set_value/flag-name"
arguments --jobs=4 --out reports --quiet --set lr=1e-3 x.lua >"$corpus/set_value/options"
arguments -j3 --set epochs=0x10 --set lr=-0.5 --set a.b=off >"$corpus/set_value/numbers"
# chart texts: a byte with the title's length, one with the label's, then the
# title, the label and the tick label; bytes 17-24 (when there) a double
cat >"$scratch/chart_text.lua" <<LUA
local seeds = {
  plain = { "test accuracy per epoch (mean ± std over seeds)", "hidden=64, lr=0.1", "relu" },
  ["issue-13"] = { "T\\n# Raw heading", "zz\\n!touch /tmp/x #", "zz\\n1 99.5 0 1" },
  quotes = { "it's \`id\` ''", '"dq" \\\\', "a''b'" },
  chinese = { "测试准确率（每个 epoch）", "隐藏层大小", "激活函数" },
  controls = { "a\\rb\\tc\\0d\\27[31m\\127", "ends in \\\\", "|*_[x](y)<z>&amp;\$x\$" },
  ["nan-mean"] = { "abcdefghijklmn\\0\\0\\0\\0\\0\\0\\248\\127", "x", "tick" }, -- the mean: NaN
}
for name, s in pairs(seeds) do
  local f = assert(io.open("$corpus/chart_text/" .. name, "wb"))
  f:write(string.char(#s[1], #s[2]), s[1], s[2], s[3])
  f:close()
end
LUA
"$nnlab" run "$scratch/chart_text.lua"

echo "seed corpora written to $corpus:"
for d in "$corpus"/*/; do echo "  $(basename "$d"): $(ls "$d" | wc -l) files"; done
