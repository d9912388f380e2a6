-- The experiment of bench_notebook_scale.sh (and of tests/nnlab/
-- test_scale_memory.lua): a grid h × lr of `runs` runs (h from 1 to runs/50,
-- 50 learning rates) on tiny made-up data (16 features, 40 training and 20
-- test samples), 1 epoch, 1 seed. The models grow with h, as a sweep over
-- the hidden size's do. --set report=none|table|chart|both says what it
-- draws: lab.table(runs), lab.chart(runs, { x = "h" }) (a heatmap), both.
local lab = require "nnlab"
local data, nn, optim = lab.data, lab.nn, lab.optim
local runs_wanted = lab.param("runs", 2000)
local report = lab.param("report", "both") -- none, table, chart or both
local n_lr = 50
local n_h = runs_wanted // n_lr
local function make(n, seed)
  return data.generate(n, function(i, rng)
    local x = {}
    for j = 1, 16 do x[j] = rng:random() end
    return x, (i - 1) % 10
  end, { seed = seed, classes = 10 })
end
local train, test = make(40, 1), make(20, 2)
local hs, lrs = {}, {}
for i = 1, n_h do hs[i] = i end
for i = 1, n_lr do lrs[i] = 0.001 * i end
local runs = lab.sweep { vary = { h = hs, lr = lrs }, seeds = 1, epochs = 1, batch_size = 10,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.h), nn.ReLU(), nn.Linear(p.h, 10) } end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end,
}
if report == "table" or report == "both" then lab.table(runs) end
if report == "chart" or report == "both" then lab.chart(runs, { x = "h" }) end
