-- Benchmark (not a test): training epochs on the full Fashion-MNIST, for
-- tests/bench/bench_all.sh. One model, one way of driving it, several epochs:
--
--   nnlab run tests/bench/bench_train.lua --set model=seed|large --set impl=fit|loop
--                                          [--set epochs=3] [--set seed=1]
--
--   seed   784-64-10 Sigmoid, SGD lr 0.01, batch 32 (the review notes' model)
--   large  784-256-10 ReLU, Adam lr 1e-3, batch 128
--   fit    nnlab.fit: whole epochs in C (seconds: the engine's own clock of the
--          training pass)
--   loop   the seed's per-batch loop in Lua: model(x), loss_fn, zero_grad,
--          backward, step (seconds: a monotonic clock around the loop)
--
-- The kernel path is the process's: NNLAB_SIMD=scalar in the environment for
-- the scalar reference. Prints one line of key=value pairs:
--   result model=seed impl=fit simd=avx2 epochs=3 best=0.151 median=0.153
--          first=0.160 acc1=67.75 loss1=... flop=1.227e10 hwm_kb=61234
-- acc1/loss1: test accuracy and loss after the first epoch (test batch 1000);
-- hwm_kb: this process's peak resident memory (VmHWM) at the end.
local nnlab = require "nnlab"
local core = require "nnlab.core"
local nn, optim, data = nnlab.nn, nnlab.optim, nnlab.data

local set = nnlab.options and nnlab.options.set or {}
local model_name = set.model or "seed"
local impl = set.impl or "fit"
local epochs = math.tointeger(tonumber(set.epochs or "3")) or 3
local seed = math.tointeger(tonumber(set.seed or "1")) or 1
assert(model_name == "seed" or model_name == "large", "--set model=seed|large")
assert(impl == "fit" or impl == "loop", "--set impl=fit|loop")
assert(epochs >= 1, "--set epochs=N with N >= 1")

local MODELS = {
  seed = { hidden = 64, act = nn.Sigmoid, batch = 32,
           optimizer = function(params) return optim.SGD(params, { lr = 0.01 }) end },
  large = { hidden = 256, act = nn.ReLU, batch = 128,
            optimizer = function(params) return optim.Adam(params, { lr = 1e-3 }) end },
}
local m = MODELS[model_name]

local train_dataset = data.load("fashion-mnist", { train = true, download = false })
local test_dataset = data.load("fashion-mnist", { train = false, download = false })
local test_loader = data.DataLoader(test_dataset, { batch_size = 1000, shuffle = false })
local model = nn.Sequential({ nn.Linear(28 * 28, m.hidden), m.act(), nn.Linear(m.hidden, 10) },
                            { seed = seed })
local optimizer = m.optimizer(model:parameters())
local loader = data.DataLoader(train_dataset, { batch_size = m.batch, shuffle = true, seed = seed })
local loss_fn = nn.CrossEntropyLoss()

-- Multiply-adds of one epoch, counted as 2 FLOP each: every Linear's forward
-- and weight gradient, and the input gradient of all but the first Linear.
local n = #train_dataset
local flop = 2 * n * (2 * 784 * m.hidden + 3 * m.hidden * 10)

local seconds, acc1, loss1 = {}, nil, nil
if impl == "fit" then
  local history = nnlab.fit { model = model, loss = loss_fn, optimizer = optimizer,
                              train = loader, test = test_loader, epochs = epochs }
  for i, h in ipairs(history) do seconds[i] = h.seconds end
  acc1, loss1 = history[1].test_acc, history[1].test_loss
else
  for epoch = 1, epochs do
    local t0 = core.proc.clock()
    for x, y in loader:batches() do
      local y_pred = model(x)
      local loss = loss_fn(y_pred, y)
      optimizer:zero_grad()
      loss:backward()
      optimizer:step()
    end
    seconds[epoch] = core.proc.clock() - t0
    if epoch == 1 then
      local e = nnlab.evaluate(model, test_loader)
      acc1, loss1 = e.accuracy, e.loss
    end
  end
end

local function vm_hwm_kb()
  local f = io.open("/proc/self/status", "r")
  if not f then return -1 end
  local text = f:read("a")
  f:close()
  return tonumber(text:match("VmHWM:%s*(%d+)")) or -1
end

local sorted = {}
for i, s in ipairs(seconds) do sorted[i] = s end
table.sort(sorted)
local median = #sorted % 2 == 1 and sorted[(#sorted + 1) // 2]
               or (sorted[#sorted // 2] + sorted[#sorted // 2 + 1]) / 2
print(("result model=%s impl=%s simd=%s epochs=%d best=%.4f median=%.4f first=%.4f acc1=%.2f loss1=%.6f flop=%.4e hwm_kb=%d")
      :format(model_name, impl, nnlab.simd(), epochs, sorted[1], median, seconds[1], acc1, loss1, flop,
              vm_hwm_kb()))
