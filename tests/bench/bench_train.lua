-- Benchmark (not a test): training epochs on the full Fashion-MNIST, for
-- tests/bench/bench_all.sh. One model, one way of driving it, several epochs:
--
--   nnlab run tests/bench/bench_train.lua --set model=seed|large|scaling --set impl=fit|loop
--                                          [--set epochs=3] [--set seed=1] [--threads N]
--                                          [--set hidden=H --set layers=L --set batch=B --set samples=N]
--
--   seed     784-64-10 Sigmoid, SGD lr 0.01, batch 32 (the review notes' model)
--   large    784-256-10 ReLU, Adam lr 1e-3, batch 128
--   scaling  784-H-...-H-10 (L hidden layers of H) ReLU, Adam lr 1e-3, batch B,
--            on the first `samples` training samples (a fraction of an epoch,
--            for the scaling table of bench_all.sh)
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

local model_name = nnlab.param("model", "seed", "seed, large or scaling")
local impl = nnlab.param("impl", "fit", "fit or loop")
local epochs = nnlab.param("epochs", 3, "epochs to time")
local seed = nnlab.param("seed", 1, "model and shuffle seed")
local hidden = nnlab.param("hidden", 256, "scaling: hidden width")
local layers = nnlab.param("layers", 1, "scaling: hidden layers")
local batch = nnlab.param("batch", 128, "scaling: batch size")
local samples = nnlab.param("samples", 60000, "scaling: training samples (the first N)")
assert(model_name == "seed" or model_name == "large" or model_name == "scaling",
       "--set model=seed|large|scaling")
assert(impl == "fit" or impl == "loop", "--set impl=fit|loop")
assert(epochs >= 1, "--set epochs=N with N >= 1")

local MODELS = {
  seed = { hidden = 64, layers = 1, act = nn.Sigmoid, batch = 32,
           optimizer = function(params) return optim.SGD(params, { lr = 0.01 }) end },
  large = { hidden = 256, layers = 1, act = nn.ReLU, batch = 128,
            optimizer = function(params) return optim.Adam(params, { lr = 1e-3 }) end },
  scaling = { hidden = hidden, layers = layers, act = nn.ReLU, batch = batch,
              optimizer = function(params) return optim.Adam(params, { lr = 1e-3 }) end },
}
local m = MODELS[model_name]

local train_dataset = data.load("fashion-mnist", { train = true, download = false,
                                                   head = samples < 60000 and samples or nil })
local test_dataset = data.load("fashion-mnist", { train = false, download = false,
                                                  head = model_name == "scaling" and 1000 or nil })
local test_loader = data.DataLoader(test_dataset, { batch_size = 1000, shuffle = false })
local stack, width = {}, 28 * 28
for _ = 1, m.layers do
  stack[#stack + 1] = nn.Linear(width, m.hidden)
  stack[#stack + 1] = m.act()
  width = m.hidden
end
stack[#stack + 1] = nn.Linear(width, 10)
local model = nn.Sequential(stack, { seed = seed })
local optimizer = m.optimizer(model:parameters())
local loader = data.DataLoader(train_dataset, { batch_size = m.batch, shuffle = true, seed = seed })
local loss_fn = nn.CrossEntropyLoss()

-- Multiply-adds of one epoch, counted as 2 FLOP each: every Linear's forward
-- and weight gradient, and the input gradient of all but the first Linear.
local n = #train_dataset
local per_sample = 2 * 784 * m.hidden + 3 * m.hidden * 10 + 3 * (m.layers - 1) * m.hidden * m.hidden
local flop = 2 * n * per_sample

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
print(("result model=%s impl=%s simd=%s threads=%d hidden=%d layers=%d batch=%d samples=%d epochs=%d best=%.4f "
       .. "median=%.4f first=%.4f acc1=%.2f loss1=%.6f flop=%.4e hwm_kb=%d")
      :format(model_name, impl, nnlab.simd(), nnlab.get_num_threads(), m.hidden, m.layers, m.batch, n, epochs,
              sorted[1], median, seconds[1], acc1, loss1, flop, vm_hwm_kb()))
