#!/usr/bin/env bash
# Loading speed of nnlab's data readers (issue 11) against NumPy: one table of
# wall-clock seconds and peak resident memory for
#   - a 60 000 x 784 uint8 image array + 60 000 int64 labels as .npz, stored
#     (np.savez) and deflated (np.savez_compressed), and as two .npy files:
#     nnlab data.npz / data.npy  vs  np.load(...)['x'], ['y'] (np.load of an
#     .npz reads and inflates an array on item access, so both are materialised);
#   - a 60 000-row CSV with a header, a label column and 784 integer pixel
#     columns (785 columns, like Kaggle's mnist_train.csv), and a float variant
#     of the same shape (pixels written as 0.123456):
#     nnlab data.csv(path, { target = "label" })  vs
#     np.loadtxt(path, delimiter=',', skiprows=1, dtype=np.float32), and
#     pandas.read_csv(path) when pandas is installed.
# Every figure is the best of N runs, each in a fresh process. Start-up is
# measured too (a script that only requires nnlab.data; python3 -c 'import
# numpy') and the table gives raw and net (raw - start-up) seconds; the ratio
# numpy/nnlab is of net times. Files are read from the page cache (they were
# just written): cold-disk reads are not measured. The data are synthetic,
# seeded and MNIST-like (about 20 % of the pixels non-zero, all in the centre),
# so the compressed archive and the CSV have about the sizes of the real ones.
# Not part of ctest; a missing NumPy only skips its columns.
#
#   tests/bench/bench_load.sh [BUILD_DIR] [--reps N] [--stock-lua] [--out FILE]
#
#   BUILD_DIR     the CMake build to measure (default: build/ beside tests/);
#                 --build DIR also works
#   --reps N      runs per figure, the best is kept (default 3)
#   --stock-lua   run the nnlab scripts with the stock lua5.4 and the C module
#                 (LUA_CPATH=BUILD_DIR/lua/?.so) instead of BUILD_DIR/nnlab run
#   --out FILE    also write the table to FILE
#
# Needs /usr/bin/python3 (the data are written with it; NumPy, for np.savez and
# the peer columns, is the Debian package python3-numpy). Peak RSS comes from
# /usr/bin/time -f %M (Debian package `time`), else from VmHWM in
# /proc/self/status at the end of each script.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build"
reps=3
stock=0
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --build=*) build=${1#--build=}; shift ;;
    --reps) reps=$2; shift 2 ;;
    --reps=*) reps=${1#--reps=}; shift ;;
    --stock-lua) stock=1; shift ;;
    --out) out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench_load.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
case "$reps" in ''|*[!0-9]*|0) echo "bench_load.sh: --reps wants a positive integer" >&2; exit 2 ;; esac
build=$(cd "$build" 2>/dev/null && pwd) || { echo "bench_load.sh: no build folder $build" >&2; exit 2; }
case "$out" in ""|/*) ;; *) out="$PWD/$out" ;; esac
nnlab="$build/nnlab"
if [ "$stock" = 1 ]; then
  command -v lua5.4 >/dev/null 2>&1 || { echo "bench_load.sh: --stock-lua: lua5.4 is not installed" >&2; exit 2; }
  [ -f "$build/lua/nnlab/core.so" ] || { echo "bench_load.sh: $build/lua/nnlab/core.so is missing: build first" >&2; exit 2; }
  runner="lua5.4 (stock) + $build/lua/nnlab/core.so"
else
  [ -x "$nnlab" ] || { echo "bench_load.sh: $nnlab is missing: build first (cmake --build $build)" >&2; exit 2; }
  runner="$nnlab run"
fi
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3) || { echo "bench_load.sh: python3 is needed to write the data" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-bench-load.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
export NNLAB_OFFLINE=1

log() { printf '%s\n' "$*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
loads=()
note_load() { loads+=("$1 $(load1)"); }

# ---- the machine -------------------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
cpu_family=$(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -n1)
cpu_modelno=$(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -n1)
cpu_flags=$(sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo | head -n1)
has() { case " $cpu_flags " in *" $1 "*) echo yes ;; *) echo no ;; esac; }
cpu_line="CPU: ${cpu_model:-unknown}, cpu family ${cpu_family:-?} model ${cpu_modelno:-?}, avx2 $(has avx2), avx512f $(has avx512f), $(nproc 2>/dev/null || echo '?') CPUs"
echo "$cpu_line"
echo "nnlab: $runner; python: $py; runs per figure: $reps (best kept)"

have_numpy=0; have_pandas=0
if "$py" -c "import numpy" >/dev/null 2>&1; then
  have_numpy=1
  echo "numpy $("$py" -c 'import numpy; print(numpy.__version__)')"
  if "$py" -c "import pandas" >/dev/null 2>&1; then
    have_pandas=1; echo "pandas $("$py" -c 'import pandas; print(pandas.__version__)')"
  else
    echo "pandas: not installed (its column is skipped)"
  fi
else
  echo "numpy: not installed for $py, so the NumPy columns are skipped;"
  echo "       install it with: apt-get install python3-numpy"
fi
timer=""
if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o "$work/t" true 2>/dev/null; then
  timer=/usr/bin/time; echo "peak RSS: /usr/bin/time -f %M"
else
  echo "peak RSS: VmHWM of /proc/self/status at the end of each script (no /usr/bin/time: apt-get install time)"
fi

# ---- the data ----------------------------------------------------------------
# The same bytes whether or not NumPy is there: NumPy only writes the archives
# (np.savez, np.savez_compressed, np.save); without it, the same .npy format
# (version 1.0 headers) is written by hand in a zipfile.
log "bench_load.sh: writing the data in $work"
note_load "data"
gen_start=$(date +%s%N)
"$py" - "$have_numpy" <<'EOF' || { echo "bench_load.sh: could not write the data" >&2; exit 2; }
import random, struct, sys, zipfile
have_numpy = sys.argv[1] == "1"
N, D = 60000, 784
rng = random.Random(20240611)
# MNIST-like pixels: zero outside a central 20x20 square; inside, about 40 %
# non-zero, half of those saturated at 255.
mask = bytes(0xFF if 4 <= r < 24 and 4 <= c < 24 else 0 for r in range(28) for c in range(28))
table = bytes(0 if v < 154 else (255 if v >= 205 else (v - 154) * 5 + 1) for v in range(256))
raw = rng.randbytes(N * D)
raw = (int.from_bytes(raw, "little") & int.from_bytes(mask * N, "little")).to_bytes(N * D, "little")
images = raw.translate(table)
labels = rng.randbytes(N).translate(bytes(v % 10 for v in range(256)))

def npy_bytes(descr, shape, payload):  # NumPy format 1.0, as np.save writes it
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(shape))
    pad = 64 - (10 + len(header) + 1) % 64
    header = (header + " " * pad + "\n").encode("latin1")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload

labels64 = b"".join(struct.pack("<q", v) for v in labels)
if have_numpy:
    import numpy as np
    x = np.frombuffer(images, dtype=np.uint8).reshape(N, D)
    y = np.frombuffer(labels64, dtype="<i8")
    np.savez("mnist.npz", x=x, y=y)
    np.savez_compressed("mnist_deflated.npz", x=x, y=y)
    np.save("x.npy", x); np.save("y.npy", y)
else:
    xb, yb = npy_bytes("|u1", (N, D), images), npy_bytes("<i8", (N,), labels64)
    for name, method in (("mnist.npz", zipfile.ZIP_STORED), ("mnist_deflated.npz", zipfile.ZIP_DEFLATED)):
        with zipfile.ZipFile(name, "w", method) as z:
            z.writestr("x.npy", xb); z.writestr("y.npy", yb)
    open("x.npy", "wb").write(xb); open("y.npy", "wb").write(yb)

header = "label," + ",".join("%dx%d" % (r + 1, c + 1) for r in range(28) for c in range(28)) + "\n"
ints = [str(v) for v in range(256)]
with open("mnist_int.csv", "w") as f:
    f.write(header)
    for i in range(0, N, 1000):
        f.write("".join(ints[labels[j]] + "," + ",".join(map(ints.__getitem__, images[j * D:(j + 1) * D])) + "\n"
                        for j in range(i, i + 1000)))
# Dense floats in [0, 1) with six decimals: every cell is a real float parse.
floats = ["%.6f" % (v / 65536) for v in range(65536)]
with open("mnist_float.csv", "w") as f:
    f.write(header)
    for i in range(0, N, 1000):
        words = memoryview(rng.randbytes(1000 * D * 2)).cast("H")
        f.write("".join(ints[labels[j]] + "," + ",".join(map(floats.__getitem__, words[k * D:(k + 1) * D])) + "\n"
                        for k, j in enumerate(range(i, i + 1000))))
EOF
log "bench_load.sh: data written in $(calc "%.1f" "($(date +%s%N) - $gen_start) / 1e9") s"

# ---- the scripts ---------------------------------------------------------------
hwm_lua='local f = io.open("/proc/self/status"); local s = f and f:read("a") or ""; if f then f:close() end
io.stderr:write("vmhwm=", s:match("VmHWM:%s*(%d+)") or "", "\n")'
hwm_py='import re, sys
sys.stderr.write("vmhwm=%s\n" % (re.search(r"VmHWM:\s*(\d+)", open("/proc/self/status").read()) or [0, ""])[1])'
lua_script() { # name body
  printf 'local data = require "nnlab.data"\n%s\n%s\n' "$2" "$hwm_lua" > "$work/$1.lua"
}
py_script() { # name body
  printf 'import numpy as np\n%s\n%s\n' "$2" "$hwm_py" > "$work/$1.py"
}
lua_script empty ''
lua_script npz 'local ds = data.npz("mnist.npz", { x = "x", y = "y" }); print(#ds)'
lua_script npz_deflated 'local ds = data.npz("mnist_deflated.npz", { x = "x", y = "y" }); print(#ds)'
lua_script npy 'local ds = data.npy("x.npy", "y.npy"); print(#ds)'
lua_script csv_int 'local ds = data.csv("mnist_int.csv", { target = "label" }); print(#ds)'
lua_script csv_float 'local ds = data.csv("mnist_float.csv", { target = "label" }); print(#ds)'
py_script empty ''
py_script npz 'd = np.load("mnist.npz"); x = d["x"]; y = d["y"]; print(len(x), len(y))'
py_script npz_deflated 'd = np.load("mnist_deflated.npz"); x = d["x"]; y = d["y"]; print(len(x), len(y))'
py_script npy 'x = np.load("x.npy"); y = np.load("y.npy"); print(len(x), len(y))'
py_script csv_int 'a = np.loadtxt("mnist_int.csv", delimiter=",", skiprows=1, dtype=np.float32); print(a.shape)'
py_script csv_float 'a = np.loadtxt("mnist_float.csv", delimiter=",", skiprows=1, dtype=np.float32); print(a.shape)'
printf 'import pandas as pd\na = pd.read_csv("mnist_int.csv"); print(a.shape)\n%s\n' "$hwm_py" > "$work/pd_csv_int.py"
printf 'import pandas as pd\na = pd.read_csv("mnist_float.csv"); print(a.shape)\n%s\n' "$hwm_py" > "$work/pd_csv_float.py"
printf 'import pandas as pd\n%s\n' "$hwm_py" > "$work/pd_empty.py"

# ---- timing ------------------------------------------------------------------
# measure KIND NAME -> "best_seconds peak_rss_kb" (RSS of the best run), or
# "failed" with the error on stderr. KIND: lua | py.
measure() {
  local kind=$1 name=$2 best="" rss="" i t0 t1 s m
  local cmd
  case "$kind" in
    lua) if [ "$stock" = 1 ]; then
           cmd=(env "LUA_PATH=$root/lua/?.lua;$root/lua/?/init.lua;;" "LUA_CPATH=$build/lua/?.so;;" lua5.4 "$work/$name.lua")
         else
           cmd=("$nnlab" run "$work/$name.lua")
         fi ;;
    py) cmd=("$py" "$work/$name.py") ;;
  esac
  for ((i = 0; i < reps; i++)); do
    t0=$(date +%s%N)
    if [ -n "$timer" ]; then
      "$timer" -f %M -o "$work/rss" "${cmd[@]}" >"$work/out" 2>"$work/err"
    else
      "${cmd[@]}" >"$work/out" 2>"$work/err"
    fi
    local rc=$?
    t1=$(date +%s%N)
    if [ "$rc" != 0 ]; then
      log "bench_load.sh: $kind $name failed: $(grep -v '^vmhwm=' "$work/err" | tail -n 3)"
      echo failed; return
    fi
    s=$(calc "%.4f" "($t1 - $t0) / 1e9")
    if [ -n "$timer" ]; then m=$(tail -n1 "$work/rss"); else m=$(sed -n 's/^vmhwm=//p' "$work/err" | tail -n1); fi
    if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$s; rss=$m; fi
  done
  echo "$best ${rss:-0}"
}

log "bench_load.sh: start-up"
note_load "start-up"
lua_empty=$(measure lua empty)
[ "$lua_empty" = failed ] && { echo "bench_load.sh: nnlab cannot run a script" >&2; exit 1; }
lua0=${lua_empty%% *}
py0=""; pd0=""
if [ "$have_numpy" = 1 ]; then py_empty=$(measure py empty); [ "$py_empty" != failed ] && py0=${py_empty%% *}; fi
if [ "$have_pandas" = 1 ]; then pd_empty=$(measure py pd_empty); [ "$pd_empty" != failed ] && pd0=${pd_empty%% *}; fi

mb() { calc "%.1f" "$1 / 1048576"; }
net() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = 0; printf "%.3f", d }'; }
cell() { # "best rss" start-up -> "raw (net)"
  case "$1" in failed) echo failed ;; *) echo "$(calc "%.3f" "${1%% *}") ($(net "${1%% *}" "$2"))" ;; esac
}
rss_mb() { case "$1" in failed|"") echo "-" ;; *) calc "%.0f" "${1##* } / 1024" ;; esac; }
ratio() { # peer nnlab (results), net of the start-ups p0 l0
  case "$1$2" in *failed*) echo "-"; return ;; esac
  awk -v p="$(net "${1%% *}" "$3")" -v l="$(net "${2%% *}" "$4")" 'BEGIN { if (l > 0) printf "%.2f×", p / l; else print "-" }'
}

header="| file | size MB | nnlab s, raw (net) | numpy s, raw (net) | numpy/nnlab (net) | nnlab peak RSS MB | numpy peak RSS MB |"
sep="|---|--:|--:|--:|--:|--:|--:|"
if [ "$have_pandas" = 1 ]; then
  header="$header pandas read_csv s, raw (net) | pandas/nnlab (net) | pandas peak RSS MB |"; sep="$sep--:|--:|--:|"
fi
rows=()
secs() { if [ -n "$1" ]; then calc "%.3f" "$1"; else echo -; fi; }
r="| start-up (require \"nnlab.data\" / import numpy) | - | $(secs "$lua0") | $(secs "$py0") | - | $(rss_mb "$lua_empty") | $(rss_mb "${py_empty:-}") |"
[ "$have_pandas" = 1 ] && r="$r $(secs "$pd0") | - | $(rss_mb "${pd_empty:-}") |"
rows+=("$r")

declare -A what=(
  [npz]="mnist.npz (np.savez, stored): x uint8 60000×784, y int64"
  [npz_deflated]="mnist_deflated.npz (np.savez_compressed)"
  [npy]="x.npy + y.npy"
  [csv_int]="mnist_int.csv: header, label + 784 integer pixels"
  [csv_float]="mnist_float.csv: header, label + 784 floats 0.dddddd"
)
if [ "$have_numpy" != 1 ]; then
  what[npz]="mnist.npz (stored zip, written without NumPy): x uint8 60000×784, y int64"
  what[npz_deflated]="mnist_deflated.npz (deflated zip, written without NumPy)"
fi
declare -A files=([npz]=mnist.npz [npz_deflated]=mnist_deflated.npz [npy]="x.npy y.npy"
                  [csv_int]=mnist_int.csv [csv_float]=mnist_float.csv)
for name in npz npz_deflated npy csv_int csv_float; do
  size=0
  for f in ${files[$name]}; do size=$((size + $(stat -c %s "$work/$f"))); done
  log "bench_load.sh: $name: nnlab"
  note_load "$name"
  l=$(measure lua "$name")
  p=failed; ps="skipped (no numpy)"; pr="-"; pm="-"
  if [ "$have_numpy" = 1 ]; then
    log "bench_load.sh: $name: numpy"
    p=$(measure py "$name"); ps=$(cell "$p" "$py0"); pr=$(ratio "$p" "$l" "$py0" "$lua0"); pm=$(rss_mb "$p")
  fi
  r="| ${what[$name]} | $(mb "$size") | $(cell "$l" "$lua0") | $ps | $pr | $(rss_mb "$l") | $pm |"
  if [ "$have_pandas" = 1 ]; then
    case "$name" in
      csv_*) log "bench_load.sh: $name: pandas"
             d=$(measure py "pd_$name")
             r="$r $(cell "$d" "$pd0") | $(ratio "$d" "$l" "$pd0" "$lua0") | $(rss_mb "$d") |" ;;
      *) r="$r - | - | - |" ;;
    esac
  fi
  rows+=("$r")
done
note_load "end"

{
  echo
  echo "$cpu_line"
  echo "load (1-minute average) at each part: ${loads[*]}"
  echo "seconds: wall clock, best of $reps fresh processes; net = raw - start-up of the same runtime;"
  echo "ratio > 1: NumPy takes longer. Both keep .npy/.npz uint8 pixels as uint8; both CSV readers"
  echo "give float32 (np.loadtxt one 60000×785 array; nnlab 784 features + the label as a class)."
  echo
  echo "$header"
  echo "$sep"
  printf '%s\n' "${rows[@]}"
} | tee ${out:+"$out"}
