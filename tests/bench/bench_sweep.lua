-- Benchmark (not a test): a notebook sweep of 6 variations, to time -j 1
-- against -j 2 (tests/bench/bench_all.sh). Every variation costs the same (the
-- seed's model, one seed each, learning rates only differ), so two workers can
-- split the six evenly: the ideal speed-up is 2.
--
--   NNLAB_CACHE=$(mktemp -d) nnlab run tests/bench/bench_sweep.lua -j 2 --force \
--       --quiet --out "$(mktemp -d)" [--set epochs=3]
--
-- Prints `sweep_seconds=S jobs=J trained=T hwm_kb=K`: the wall time of lab.sweep
-- alone (the data is loaded before it, once, by the parent), and the parent's
-- peak resident memory.
local lab = require "nnlab"
local core = require "nnlab.core"
local nn, optim = lab.nn, lab.optim

lab.title "bench: sweep of 6 variations"
local epochs = lab.param("epochs", 3, "epochs per variation")

local train = lab.data.load("fashion-mnist", { train = true, download = false })
local test = lab.data.load("fashion-mnist", { train = false, download = false })

local t0 = core.proc.clock()
local runs = lab.sweep {
  name = "lr",
  vary = { lr = { 0.005, 0.01, 0.02, 0.05, 0.1, 0.2 } },
  seeds = 1, epochs = epochs, batch_size = 32,
  train = train, test = test,
  model = function(p)
    return nn.Sequential { nn.Linear(784, 64), nn.Sigmoid(), nn.Linear(64, 10) }
  end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end,
}
local seconds = core.proc.clock() - t0
lab.table(runs)

local function vm_hwm_kb()
  local f = io.open("/proc/self/status", "r")
  if not f then return -1 end
  local text = f:read("a")
  f:close()
  return tonumber(text:match("VmHWM:%s*(%d+)")) or -1
end

local trained = 0
for _, v in ipairs(runs.variations) do
  for _, s in ipairs(v.seeds) do
    if not s.cached then trained = trained + 1 end
  end
end
print(("sweep_seconds=%.3f jobs=%d trained=%d hwm_kb=%d"):format(seconds, 6, trained, vm_hwm_kb()))
