-- Benchmark (not a test): the seed's loop on the full Fashion-MNIST, one epoch,
-- as a Lua per-batch loop and as nnlab.fit, for several seeds. Prints test
-- accuracy and seconds per epoch for both, and the loop/fit time ratio.
-- (tests/bench/bench_all.sh is the whole benchmark; this is the quick look.)
--   ./build/nnlab run tests/bench/bench_seed_loop.lua [--set seeds=5]
local nnlab = require "nnlab"
local clock = require("nnlab.core").proc.clock -- monotonic, seconds
local nn, optim, data = nnlab.nn, nnlab.optim, nnlab.data

local seeds = tonumber(nnlab.options and nnlab.options.set and nnlab.options.set.seeds) or 3
local train_dataset = data.load("fashion-mnist", { train = true })
local test_dataset = data.load("fashion-mnist", { train = false })
local test_loader = data.DataLoader(test_dataset, { batch_size = 32, shuffle = false })
local loss_fn = nn.CrossEntropyLoss()

local function setup(seed)
  local model = nn.Sequential({ nn.Linear(28 * 28, 64), nn.Sigmoid(), nn.Linear(64, 10) }, { seed = seed })
  local optimizer = optim.SGD(model:parameters(), { lr = 0.01 })
  local loader = data.DataLoader(train_dataset, { batch_size = 32, shuffle = true, seed = seed })
  return model, optimizer, loader
end

-- Wall time on a monotonic clock (os.clock would count CPU time, which leaves out
-- time spent waiting for a core on a busy machine).
local function lua_loop(seed)
  local model, optimizer, loader = setup(seed)
  local t0 = clock()
  for x, y in loader:batches() do
    local y_pred = model(x)
    local loss = loss_fn(y_pred, y)
    optimizer:zero_grad()
    loss:backward()
    optimizer:step()
  end
  return clock() - t0, nnlab.evaluate(model, test_loader).accuracy
end

local function fit(seed)
  local model, optimizer, loader = setup(seed)
  local t0 = clock()
  nnlab.fit { model = model, loss = loss_fn, optimizer = optimizer, train = loader, epochs = 1 }
  return clock() - t0, nnlab.evaluate(model, test_loader).accuracy
end

print(("seed loop, 784-64-10 Sigmoid, SGD lr 0.01, batch 32, Fashion-MNIST 60000, 1 epoch, simd %s")
      :format(nnlab.simd()))
print("| seed | loop s | fit s | loop/fit | loop acc % | fit acc % |")
print("|---|---|---|---|---|---|")
local sum_ratio, sum_acc, best_loop, best_fit = 0, 0, math.huge, math.huge
for seed = 1, seeds do
  local tl, al = lua_loop(seed)
  local tf, af = fit(seed)
  best_loop, best_fit = math.min(best_loop, tl), math.min(best_fit, tf)
  sum_ratio, sum_acc = sum_ratio + tl / tf, sum_acc + al
  print(("| %d | %.3f | %.3f | %.2f | %.2f | %.2f |"):format(seed, tl, tf, tl / tf, al, af))
end
print(("mean accuracy %.2f %%; best loop %.3f s, best fit %.3f s, ratio of bests %.2f, mean ratio %.2f")
      :format(sum_acc / seeds, best_loop, best_fit, best_loop / best_fit, sum_ratio / seeds))
