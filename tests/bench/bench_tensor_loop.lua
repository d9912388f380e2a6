-- Benchmark (not a test), issue 19: the seed's hand-written loop with a
-- per-batch accuracy computed through tensors, as a PyTorch user writes it,
--     correct += (y_pred.argmax(1) == y).float().sum().item()
-- against nnlab.fit on the same model, data and seed: full Fashion-MNIST, one
-- epoch, several seeds. The target: loop + accuracy within 1.3x of fit. The
-- plain loop (no accuracy) is timed too, to show what the tensor ops add.
--   ./build/nnlab run tests/bench/bench_tensor_loop.lua [--set seeds=5]
local nnlab = require "nnlab"
local clock = require("nnlab.core").proc.clock -- monotonic, seconds
local nn, optim, data = nnlab.nn, nnlab.optim, nnlab.data

local seeds = nnlab.param("seeds", 3, "seeds (epochs) timed per variant")
local train_dataset = data.load("fashion-mnist", { train = true })
local loss_fn = nn.CrossEntropyLoss()

local function setup(seed)
  local model = nn.Sequential({ nn.Linear(28 * 28, 64), nn.Sigmoid(), nn.Linear(64, 10) }, { seed = seed })
  local optimizer = optim.SGD(model:parameters(), { lr = 0.01 })
  local loader = data.DataLoader(train_dataset, { batch_size = 32, shuffle = true, seed = seed })
  return model, optimizer, loader
end

-- The seed's loop; with_accuracy adds the per-batch accuracy through tensors.
local function loop(seed, with_accuracy)
  local model, optimizer, loader = setup(seed)
  local correct, seen = 0, 0
  local t0 = clock()
  for x, y in loader:batches() do
    local y_pred = model(x)
    local loss = loss_fn(y_pred, y)
    optimizer:zero_grad()
    loss:backward()
    optimizer:step()
    if with_accuracy then
      correct = correct + (y_pred:argmax(1):eq(y)):float():sum():item()
      seen = seen + y:numel()
    end
  end
  return clock() - t0, with_accuracy and 100 * correct / seen or nil
end

local function fit(seed)
  local model, optimizer, loader = setup(seed)
  local t0 = clock()
  local history = nnlab.fit { model = model, loss = loss_fn, optimizer = optimizer, train = loader, epochs = 1 }
  return clock() - t0, history
end

local function cpu_name()
  local f = io.open("/proc/cpuinfo")
  local text = f and f:read("a") or ""
  if f then f:close() end
  return text:match("model name%s*:%s*([^\n]+)") or "unknown CPU"
end

print(("seed loop + per-batch accuracy through tensors vs fit: 784-64-10 Sigmoid, SGD lr 0.01, "
       .. "batch 32, Fashion-MNIST 60000, 1 epoch; %s, simd %s"):format(cpu_name(), nnlab.simd()))
print("| seed | fit s | loop s | loop+acc s | loop+acc/fit | loop/fit | running train acc % |")
print("|---|---|---|---|---|---|---|")
local best = { fit = math.huge, loop = math.huge, acc = math.huge }
local sum_ratio = 0
for seed = 1, seeds do
  local tf = fit(seed)
  local tl = loop(seed, false)
  local ta, acc = loop(seed, true)
  best.fit, best.loop, best.acc = math.min(best.fit, tf), math.min(best.loop, tl), math.min(best.acc, ta)
  sum_ratio = sum_ratio + ta / tf
  print(("| %d | %.3f | %.3f | %.3f | %.2f | %.2f | %.2f |"):format(seed, tf, tl, ta, ta / tf, tl / tf, acc))
end
-- The accuracy expression alone, on one (32, 10) output: its cost per batch.
local model = setup(1)
local x, y = nil, nil
for bx, by in data.DataLoader(train_dataset, { batch_size = 32 }):batches() do x, y = bx, by break end
local y_pred, calls, hits = model(x), 20000, 0
local t0 = clock()
for _ = 1, calls do hits = hits + (y_pred:argmax(1):eq(y)):float():sum():item() end
local per_batch = (clock() - t0) / calls
print(("the accuracy expression alone: %.2f us per batch, %.3f s per epoch of 1875 batches")
      :format(per_batch * 1e6, per_batch * 1875))
print(("best fit %.3f s, best loop %.3f s, best loop+acc %.3f s; loop+acc/fit: ratio of bests %.2f, "
       .. "mean ratio %.2f (target <= 1.3)"):format(best.fit, best.loop, best.acc, best.acc / best.fit,
                                                    sum_ratio / seeds))
