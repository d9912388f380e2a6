-- nnlab.fit: per-epoch statistics, and the same result as the Lua per-batch loop
-- (same seeds, same batch order) down to the last bit.
local T = require "testlib"
local nnlab = require "nnlab"
local nn, optim, data = nnlab.nn, nnlab.optim, nnlab.data

local train_set = data.load("fashion-mnist", { subset = 3000 })
local test_set = data.load("fashion-mnist", { train = false, subset = 1000 })

local function setup()
  local model = nn.Sequential({ nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 10) }, { seed = 7 })
  local opt = optim.SGD(model:parameters(), { lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 1e-4 })
  local loader = data.DataLoader(train_set, { batch_size = 50, shuffle = true, seed = 3 })
  return model, opt, loader
end

local loss_fn = nn.CrossEntropyLoss()
local test_loader = data.DataLoader(test_set, { batch_size = 100 })

-- Two epochs of fit, which the first two cases inspect.
local m1, o1, l1 = setup()
local seen = {}
local history = nnlab.fit { model = m1, loss = loss_fn, optimizer = o1, train = l1, test = test_loader,
                            epochs = 2, on_epoch = function(s) seen[#seen + 1] = s.epoch end }

T.case("fit returns one history entry per epoch and calls on_epoch after each", function()
  T.eq(#history, 2, "history length")
  T.eq(table.concat(seen, ","), "1,2", "on_epoch calls")
  for _, h in ipairs(history) do
    for _, k in ipairs { "train_loss", "train_acc", "test_loss", "test_acc", "seconds", "lr" } do
      T.truthy(type(h[k]) == "number", "history field " .. k)
    end
    T.eq(h.diverged, false, "diverged flag")
  end
  T.truthy(history[2].train_loss < history[1].train_loss, "training loss falls")
  T.truthy(history[2].test_acc > 60, ("test accuracy > 60%% (%.2f)"):format(history[2].test_acc))
end)

T.case("fit gives the Lua per-batch loop's parameters and accuracy bit for bit", function()
  local m2, o2, l2 = setup()
  for _ = 1, 2 do
    m2:train()
    for x, y in l2:batches() do
      local loss = loss_fn(m2(x), y)
      o2:zero_grad()
      loss:backward()
      o2:step()
    end
  end
  local p1, p2 = m1:parameter_values(), m2:parameter_values()
  T.eq(#p1, m1:num_parameters(), "parameter count")
  for i = 1, #p1 do
    if p1[i] ~= p2[i] then error(("parameter %d differs: fit %.9g, loop %.9g"):format(i, p1[i], p2[i])) end
  end
  local e2 = nnlab.evaluate(m2, test_loader)
  T.eq(e2.accuracy, history[2].test_acc, "same test accuracy")
end)

T.case("on_epoch returning false stops early; a StepLR scheduler steps once per epoch", function()
  local m3, o3, l3 = setup()
  local sched = optim.lr_scheduler.StepLR(o3, { step_size = 1, gamma = 0.5 })
  local h3 = nnlab.fit { model = m3, loss = loss_fn, optimizer = o3, train = l3, epochs = 5, scheduler = sched,
                         on_epoch = function(s) return s.epoch < 2 end }
  T.eq(#h3, 2, "stopped after epoch 2")
  T.close(h3[2].lr, 0.025, 1e-9, "lr of epoch 2 under StepLR")
  T.close(o3:lr(), 0.0125, 1e-9, "lr after two scheduler steps")
end)

-- diverging fits stop and say so: lr 100 (loss far above chance) and lr 1e20
-- (weights overflow, loss NaN); a sane lr does not
for _, case in ipairs { { 100, true }, { 1e20, true }, { 0.1, false } } do
  local name = case[2] and "fit at lr %g diverges: it stops after epoch 1 and says so"
                        or "fit at lr %g does not diverge and runs every epoch"
  T.case(name:format(case[1]), function()
    local m4 = nn.Sequential({ nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10) }, { seed = 1 })
    local o4 = optim.SGD(m4:parameters(), { lr = case[1] })
    local h4 = nnlab.fit { model = m4, loss = loss_fn, optimizer = o4,
                           train = data.DataLoader(train_set, { batch_size = 50 }), epochs = 3 }
    T.eq(h4.diverged, case[2], "lr " .. case[1] .. " diverged")
    T.eq(#h4, case[2] and 1 or 3, "epochs run at lr " .. case[1])
  end)
end

-- Outputs that overflow on some test samples: 100 4x4 test images, 20 black
-- then 80 white, seen through a normalization (std 1e-40) that makes every
-- white pixel +inf and leaves black ones 0. A Linear(16, 10) gives a black
-- image its biases (labels are set to their argmax: all 20 right) and a
-- white one NaN or infinite logits. Trained at lr 0, the weights stay so.
-- Before: evaluation stopped at the first white batch and fit said 100 %,
-- not diverged.
T.case("an evaluation counts every batch, non-finite outputs as wrong, and the fit diverges", function()
  local inputs = require "fixtures.bad.inputs"
  local folder = T.tmpdir("fit_non_finite")
  local function make_model() return nn.Sequential({ nn.Linear(16, 10) }, { seed = 5 }) end
  local zeros = {}
  for i = 1, 16 do zeros[i] = 0 end
  local black_label = make_model()(nnlab.tensor(zeros, { rows = 1, cols = 16 })):argmax():item()
  inputs.write_dataset(folder) -- 40 ordinary training images; the test images are replaced below
  local pixels, labels = {}, {}
  for i = 1, 100 do
    pixels[i] = (i <= 20 and "\0" or "\255"):rep(16)
    labels[i] = string.char(i <= 20 and black_label or (i % 10))
  end
  inputs.write_idx(folder .. "/t10k-images-idx3-ubyte", 0x803, { 100, 4, 4 }, table.concat(pixels))
  inputs.write_idx(folder .. "/t10k-labels-idx1-ubyte", 0x801, { 100 }, table.concat(labels))
  local overflowing = data.DataLoader(data.load(folder, { train = false }),
                                      { batch_size = 20, normalize = { mean = 0, std = 1e-40 } })

  local model = make_model()
  local e = nnlab.evaluate(model, overflowing)
  T.eq(e.count, 100, "every sample is counted")
  T.eq(e.correct, 20, "the black images are right, the non-finite ones wrong")
  T.eq(e.accuracy, 20, "accuracy over all 100")
  T.eq(e.diverged, true, "the evaluation says it met non-finite outputs")
  T.truthy(e.loss ~= e.loss or math.abs(e.loss) == math.huge, "the mean loss is not finite")

  local h = nnlab.fit { model = model, loss = loss_fn, optimizer = optim.SGD(model:parameters(), { lr = 0 }),
                        train = data.DataLoader(data.load(folder), { batch_size = 10 }), test = overflowing,
                        train_eval = overflowing, epochs = 3 }
  T.eq(#h, 1, "the fit stops after the epoch whose evaluation diverged")
  T.eq(h.diverged, true, "the fit is marked diverged")
  T.eq(h[1].diverged, true, "the epoch is marked diverged")
  T.eq(h[1].test_acc, 20, "test accuracy over all 100 samples")
  T.eq(h[1].train_eval_acc, 20, "train_eval accuracy over all 100 samples")
end)

-- ---- regression: what an uninformed guess loses ------------------------------
-- 200 samples of a in [0, 0.95], targets 30a + 10 (mean 24.25, mean square
-- 662.9). A model starts near zero, so its first epoch's mean MSE is in the
-- hundreds; before, fit compared it with 10 x 1/C (C = 1 output: 10) and
-- stopped this healthy run as diverged after epoch 1.
local function regression_loader()
  local x, y = {}, {}
  for i = 1, 200 do
    local a = (i % 20) / 20
    x[i], y[i] = { a, 1 - a }, { 30 * a + 10 }
  end
  return data.DataLoader(data.TensorDataset(nnlab.tensor(x), nnlab.tensor(y)), { batch_size = 20, shuffle = true })
end

local function regression_fit(lr, loader)
  local model = nn.Sequential({ nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1) }, { seed = 0 })
  return nnlab.fit { model = model, loss = nn.MSELoss(), optimizer = optim.SGD(model:parameters(), { lr = lr }),
                     train = loader or regression_loader(), epochs = 5 }
end

T.case("fit on regression targets far from zero runs every epoch: a large first MSE is not divergence", function()
  local loader = regression_loader()
  local h = regression_fit(0.01, loader)
  T.truthy(h[1].train_loss > 100, "the first epoch's loss is in the hundreds: " .. h[1].train_loss)
  T.eq(h.diverged, false, "not diverged")
  T.eq(#h, 5, "every epoch runs")
  T.truthy(h[5].train_loss < h[1].train_loss / 10, ("the loss falls: %g -> %g"):format(h[1].train_loss,
                                                                                        h[5].train_loss))
  -- the targets were measured by a loader of fit's own: this one ran fit's 5 epochs only
  T.eq(loader:info().epoch, 5, "the training loader's epochs")
end)

T.case("a regression fit that blows up still diverges after epoch 1 (loss > 10 x the targets' mean square)", function()
  local h = regression_fit(0.5)
  T.eq(h.diverged, true, "diverged")
  T.eq(#h, 1, "stopped after epoch 1")
  T.truthy(h[1].train_loss > 6629 and h[1].train_loss < math.huge, "a finite loss above the bar: " .. h[1].train_loss)
end)

-- Targets on a small scale, 0.01 (3a - 2b) (mean square about 4e-4, as
-- returns or probabilities): a new model's outputs (0.1-0.5) are far above
-- them, so its first batch loses about 100 x their mean square. Before, fit
-- stopped every such run after epoch 1 as diverged; the bar is now also
-- 10 x the first batch's loss.
local function small_targets_fit(lr)
  local x, y = {}, {}
  for i = 1, 200 do
    local a, b = (i % 20) / 20, (i % 7) / 7
    x[i], y[i] = { a, b }, { 0.01 * (3 * a - 2 * b) }
  end
  local loader = data.DataLoader(data.TensorDataset(nnlab.tensor(x), nnlab.tensor(y)), { batch_size = 20, shuffle = true })
  local model = nn.Sequential({ nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1) }, { seed = 3 })
  return nnlab.fit { model = model, loss = nn.MSELoss(), optimizer = optim.SGD(model:parameters(), { lr = lr }),
                     train = loader, epochs = 5 }, data.target_mean_square(loader)
end

T.case("fit on targets on a small scale runs every epoch: the bar counts the loss the model started from", function()
  local h, mean_square = small_targets_fit(0.1)
  T.truthy(h[1].train_loss > 10 * mean_square, ("the first epoch loses more than 10 x the mean square %g: %g")
                                                :format(mean_square, h[1].train_loss))
  T.eq(h.diverged, false, "not diverged")
  T.eq(#h, 5, "every epoch runs")
  T.truthy(h[5].train_loss < h[1].train_loss / 5, ("the loss falls: %g -> %g"):format(h[1].train_loss,
                                                                                       h[5].train_loss))
end)

T.case("a fit on targets on a small scale that blows up still diverges after epoch 1", function()
  local h = small_targets_fit(3)
  T.eq(h.diverged, true, "diverged")
  T.eq(#h, 1, "stopped after epoch 1")
end)

-- ---- what fit and evaluate take, checked before they train ---------------------

local function small_fit_args()
  local model = nn.Sequential({ nn.Linear(784, 8), nn.ReLU(), nn.Linear(8, 10) }, { seed = 2 })
  return { model = model, loss = loss_fn, optimizer = optim.SGD(model:parameters(), { lr = 0.05 }),
           train = data.DataLoader(train_set:head(200), { batch_size = 50 }), epochs = 2 }
end

T.case("fit refuses a scheduler without a step method before its first epoch, not after it", function()
  local args, epochs_run = small_fit_args(), 0
  args.on_epoch = function() epochs_run = epochs_run + 1 end
  args.scheduler = {}
  T.refused(function() nnlab.fit(args) end, "fit: scheduler must be an optim.lr_scheduler (StepLR, ExponentialLR, "
            .. "CosineAnnealingLR) or a table with a step method, got a table without a step method")
  args.scheduler = args.optimizer
  T.refused(function() nnlab.fit(args) end, "fit: scheduler must be", "got an optimizer")
  local other = optim.SGD(args.model:parameters(), { lr = 0.05 })
  args.scheduler = optim.lr_scheduler.StepLR(other, { step_size = 1 })
  T.refused(function() nnlab.fit(args) end, "fit: the scheduler was made for another optimizer than fit's")
  T.eq(epochs_run, 0, "no epoch ran")
  local steps = 0
  args.scheduler = { step = function() steps = steps + 1 end } -- a scheduler of the user's own
  nnlab.fit(args)
  T.eq(steps, 2, "a table with a step method is stepped once per epoch")
end)

T.case("fit and evaluate name the argument that is not what they take, and what it is", function()
  local args = small_fit_args()
  local loader = args.train
  T.refused(function() nnlab.evaluate(args.model, loader, { loss = loader }) end,
            "evaluate: option 'loss' must be a loss function (nn.CrossEntropyLoss() or nn.MSELoss()), got a data loader")
  T.refused(function() nnlab.evaluate(loader, args.model) end,
            "evaluate: argument 1 must be a model (nn.Sequential), got a data loader")
  T.refused(function() nnlab.evaluate(args.model, train_set) end,
            "evaluate: argument 2 must be a data loader (data.DataLoader), got a dataset")
  args.train = train_set
  T.refused(function() nnlab.fit(args) end, "fit: train must be a data loader (data.DataLoader), got a dataset")
  args.train, args.loss = loader, nil
  T.refused(function() nnlab.fit(args) end,
            "fit: loss is required: a loss function (nn.CrossEntropyLoss() or nn.MSELoss())")
  args.loss, args.test = loss_fn, args.model
  T.refused(function() nnlab.fit(args) end, "fit: test must be a data loader (data.DataLoader), got a model")
end)

-- ---- learning rates past the float range ------------------------------------------
-- The engine steps with a float32 copy of the lr. ExponentialLR with gamma =
-- 10 passes the largest float (3.4e38) after enough steps; before, an assert
-- in optim.lua said "invalid lr: inf" at optim.lua's line, not the user's.

T.case("a schedule that takes the lr past the float range is an error at the user's line, naming the step", function()
  local model = nn.Sequential({ nn.Linear(2, 2) }, { seed = 1 })
  local opt = optim.SGD(model:parameters(), { lr = 0.1 })
  local s = optim.lr_scheduler.ExponentialLR(opt, { gamma = 10 })
  for _ = 1, 39 do s:step() end
  T.close(opt:lr(), 1e38, 1e24, "lr after 39 steps")
  T.refused(function() s:step() end, "ExponentialLR: step 40 gives a learning rate the optimizer cannot take: "
            .. "1e+39 is past the largest 32-bit float (3.403e+38), which the engine steps with")
  T.close(opt:lr(), 1e38, 1e24, "the lr is left as it was")
  T.refused(function() s:step() end, "ExponentialLR: step 40 ") -- and so is the scheduler
  -- in fit, at the fit line
  local args = small_fit_args()
  args.optimizer:set_lr(1e38)
  args.scheduler = optim.lr_scheduler.ExponentialLR(args.optimizer, { gamma = 10 })
  T.refused(function() nnlab.fit(args) end, "ExponentialLR: step 1 gives a learning rate the optimizer cannot take: "
            .. "1e+39 is past the largest 32-bit float")
end)

T.case("optimizer:set_lr refuses an lr it cannot take at the user's line; before, it returned nil and kept the old one",
       function()
  local model = nn.Sequential({ nn.Linear(2, 2) }, { seed = 1 })
  local opt = optim.SGD(model:parameters(), { lr = 0.1 })
  T.refused(function() opt:set_lr(-1) end, "optimizer:set_lr: invalid lr: -1")
  T.refused(function() opt:set_lr(1e39) end, "optimizer:set_lr: 1e+39 is past the largest 32-bit float")
  T.refused(function() opt:set_lr("0.1") end, "optimizer:set_lr: the learning rate must be a number, got '0.1'")
  T.eq(opt:lr(), 0.1, "the lr is left as it was")
  T.eq(opt:set_lr(0.05), true, "a good lr is set")
  T.eq(opt:lr(), 0.05, "and read back")
end)

T.case("cross entropy over one class bounds no loss: an infinite diverge_factor runs every epoch", function()
  local ds = data.TensorDataset(nnlab.tensor { { 1, 2 }, { 3, 4 }, { 5, 6 } }, nnlab.labels { 0, 0, 0 })
  local model = nn.Sequential({ nn.Linear(2, 1) }, { seed = 1 })
  local h = nnlab.fit { model = model, loss = nn.CrossEntropyLoss(), epochs = 3, diverge_factor = math.huge,
                        optimizer = optim.SGD(model:parameters(), { lr = 0.1 }),
                        train = data.DataLoader(ds, { batch_size = 2 }) }
  T.eq(#h, 3, "every epoch")
  T.eq(h.diverged, false, "not diverged at a loss of 0")
end)

T.case("a model with fewer outputs than the data has classes is refused before training", function()
  local ds = data.generate(40, function(i, rng) return { rng:normal(), rng:normal() }, (i - 1) // 4 end,
                           { seed = 1, classes = 10 })
  local model = nn.Sequential({ nn.Linear(2, 5) }, { seed = 1 })
  local ok, err = pcall(nnlab.fit, { model = model, loss = nn.CrossEntropyLoss(), epochs = 1,
                                     optimizer = optim.SGD(model:parameters(), { lr = 0.1 }),
                                     train = data.DataLoader(ds, { batch_size = 8 }) })
  T.eq(ok, false, "refused")
  T.contains(tostring(err), "fit: the model gives 5 outputs, but the train data has 10 classes", "names both sizes")
  T.eq(optim.SGD(model:parameters(), { lr = 0.1 }):steps(), 0, "nothing trained")
end)

T.done()
