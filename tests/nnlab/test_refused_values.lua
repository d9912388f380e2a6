-- Values the API took and then hung on, failed with in every worker, or
-- described wrongly (issue 13, findings 10 and 11): each is now refused at the
-- user's line, before anything trains, with a message that says what is
-- allowed. Experiments are small files whose line marked `--<` is the one an
-- error must name; checks that need no sweep run in this process.
local T = require "testlib"
local E = require "fixtures.experiment"
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data

local dir = T.tmpdir("refused")
local cache = dir .. "/cache"

local function experiment(name, body) return E.write(dir, name, body) end

-- Runs an experiment (under `timeout`: today's code looped forever on some)
-- and checks its error's first line (E.expect_error_line); unless
-- trains_first, nothing trained before the error.
local function expect_error(path, line, fragments, trains_first)
  local out, status = T.run("timeout 120 env " .. T.nnlab_command({ "run", path, "--out", dir .. "/reports", "--quiet" },
                                                                  { NNLAB_CACHE = cache, NNLAB_OFFLINE = "1" }))
  E.expect_error_line(out, status, path, line, fragments)
  if not trains_first then T.truthy(not out:find("trained", 1, true), "nothing trained before the error:\n" .. out) end
  return out
end

-- ---- finding 11: smaller ones ------------------------------------------------

T.case("runs:verdict { level = 95 } is an error at its line, not an endless search", function()
  local path, line = experiment("level", [[
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 2, epochs = 1, batch_size = 50, train = train,
  test = test, model = model, optimizer = sgd }
runs:verdict({ hidden = 8 }, { hidden = 4 }, "higher", { level = 95 }) --<
]])
  expect_error(path, line, { "verdict: level must be between 0 and 1 (0.95 for 95 %), got 95" }, true)
end)

T.case("lab.sweep { batch_size = 2^20 + 1 } is an error at its line, not in every worker", function()
  local path, line = experiment("bs", [[
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 1048577, train = train, test = test, --<
  model = model, optimizer = sgd }
]])
  expect_error(path, line, { "lab.sweep: batch_size must be at most 1048576, got 1048577" })
end)

T.case("lab.sweep { test_batch_size = 2^20 + 1 } is an error at its line", function()
  local path, line = experiment("tbs", [[
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, --<
  test_batch_size = 1048577, model = model, optimizer = sgd }
]])
  expect_error(path, line, { "lab.sweep: test_batch_size must be at most 1048576, got 1048577" })
end)

T.case("DataLoader { batch_size = 2^20 + 1 } names the real limit; 2^20 itself is taken", function()
  local ds = data.load("fashion-mnist", { train = false, subset = 10 })
  local err = T.fails(function() data.DataLoader(ds, { batch_size = 1048577 }) end,
                      "data.DataLoader: batch_size must be at most 1048576, got 1048577")
  T.contains(err, "test_refused_values.lua:", "blames this file's line")
  T.eq(data.DataLoader(ds, { batch_size = 1048576 }):info().batches, 1, "batch_size 2^20 is one batch")
end)

T.case("Dropout(0.99999999) shows the value given, and why it is refused", function()
  T.fails(function() nn.Dropout(0.99999999) end,
          "nn.Dropout: p must be in [0, 1), got 0.99999999 (which rounds to 1 as a 32-bit float)")
  T.fails(function() nn.Dropout(1.0000000000000002) end, "nn.Dropout: p must be in [0, 1), got 1.0000000000000002")
  T.eq(tostring(nn.Dropout(0.9999999)), "Dropout(p=0.9999999, inplace=False)", "a p just below 1 is taken")
end)

T.case("an optimizer or schedule setting refused as a 32-bit float is named as given", function()
  local model = nn.Sequential { nn.Linear(2, 2) }
  local sched = lab.optim.lr_scheduler
  T.fails(function() lab.optim.Adam(model:parameters(), { betas = { 0.9, 0.99999999 } }) end,
          "optim.Adam: invalid beta2: 0.99999999 (which rounds to 1 as a 32-bit float; must be in [0, 1))")
  T.fails(function() lab.optim.Adam(model:parameters(), { eps = 1e-46 }) end,
          "optim.Adam: invalid eps: 1e-46 (which rounds to 0 as a 32-bit float; must be > 0)")
  local sgd = lab.optim.SGD(model:parameters(), { lr = 0.1 })
  T.fails(function() sched.ExponentialLR(sgd, { gamma = 1e-50 }) end,
          "ExponentialLR: invalid gamma: 1e-50 (which rounds to 0 as a 32-bit float; must be > 0)")
  T.fails(function() sched.CosineAnnealingLR(sgd, { T_max = 0 }) end,
          "CosineAnnealingLR: invalid T_max: 0 (must be > 0)")
  T.fails(function() lab.optim.Adam(model:parameters(), { betas = { 0.9, 1.5 } }) end,
          "optim.Adam: invalid beta2: 1.5 (must be in [0, 1))")
  -- a value the float keeps as the same decimal is not said to round: rounding is not why
  T.fails(function() lab.optim.SGD(model:parameters(), { lr = 0.1, weight_decay = -0.1 }) end,
          "optim.SGD: invalid weight_decay: -0.1 (must be >= 0)")
  T.fails(function() sched.StepLR(sgd, { step_size = 1, gamma = -0.1 }) end,
          "StepLR: invalid gamma: -0.1 (must be > 0)")
end)

T.case("sizes past 32 bits, floats past float32 and NaN are named as given, not as clamped or cast", function()
  local model = nn.Sequential { nn.Linear(2, 2) }
  local opt = lab.optim.SGD(model:parameters(), { lr = 0.1 })
  local sched = lab.optim.lr_scheduler
  local function refused(f, message)
    local err = T.fails(f, message)
    T.contains(err, "test_refused_values.lua:", "blames this file's line")
  end
  refused(function() sched.StepLR(opt, { step_size = 2^40 }) end,
          "StepLR: invalid step_size: 1099511627776 (out of range: must be from 1 to 2147483647)")
  refused(function() sched.StepLR(opt, { step_size = -3 }) end, "StepLR: invalid step_size: -3 (must be > 0)")
  refused(function() sched.CosineAnnealingLR(opt, { T_max = 1 << 40 }) end,
          "CosineAnnealingLR: invalid T_max: 1099511627776 (out of range")
  refused(function() sched.ExponentialLR(opt, { gamma = 1e300 }) end,
          "ExponentialLR: invalid gamma: 1e+300 (out of range: the engine keeps it as a 32-bit float, at most 3.40282e+38)")
  refused(function() sched.CosineAnnealingLR(opt, { T_max = 3, eta_min = -1e39 }) end, "invalid eta_min: -1e+39 (out of range")
  refused(function() nn.Sequential { nn.Linear(2^31, 2) } end,
          "nn.Sequential: layer 1 (Linear): in_features 2147483648 out of range (1..16777216)")
  refused(function() nn.Sequential { nn.ReLU(), nn.Linear(2, 1 << 40) } end,
          "nn.Sequential: layer 2 (Linear): out_features 1099511627776 out of range")
  refused(function() lab.optim.SGD(model:parameters(), { lr = 0 / 0 }) end, "optim.SGD: invalid lr: nan (must be finite)")
  refused(function() lab.optim.Adam(model:parameters(), { eps = 1e300 }) end, "optim.Adam: invalid eps: 1e+300 (out of range")
  refused(function() sched.ExponentialLR(opt, { gamma = 0 / 0 }) end, "ExponentialLR: invalid gamma: nan (must be finite)")
  refused(function() nn.Sequential { nn.LeakyReLU(1e300), nn.Linear(2, 2) } end,
          "layer 1 (LeakyReLU): negative_slope 1e+300 is past the largest 32-bit float")
  refused(function() nn.CrossEntropyLoss()(5, 6) end,
          "loss_fn(predictions, targets): the predictions must be a tensor, got a number")
  refused(function() nn.MSELoss()(lab.tensor { { 1 } }, "x") end,
          "loss_fn(predictions, targets): the targets must be a tensor, got a string")
  refused(function() opt:set_lr(1e39) end,
          "optimizer:set_lr: 1e+39 is past the largest 32-bit float (3.403e+38), which the engine steps with")
  T.eq(opt:lr(), 0.1, "and leaves the lr as it was")
end)

T.case("lab.labels { 0, 1.5 } names the position and the value", function()
  T.fails(function() lab.labels { 0, 1.5 } end,
          "nnlab.labels: values[2] is 1.5, not a class index (an integer from 0 to 2147483647)")
  T.fails(function() lab.labels { { 1 }, { 2 } } end,
          "nnlab.labels: values[1] is a table, not a class index", "a table named by its type, not its address")
  T.fails(function() lab.labels { 3, 1, -4 } end, "nnlab.labels: values[3] is -4, not a class index")
  T.fails(function() lab.labels { 0, "x" } end, "nnlab.labels: values[2] is the string 'x', not a class index")
  -- a string of digits too (Lua would convert "2"; torch.tensor refuses it)
  T.fails(function() lab.labels { 1, "2" } end, "nnlab.labels: values[2] is the string '2', not a class index")
  T.fails(function() lab.tensor { 1, "2" } end, "nnlab.tensor: value 2 is '2', not a number")
end)

-- the folder of --out is never read as an option, here or by the shell
for _, case in ipairs { { { "--out", "--quiet" }, "--quiet" }, { { "--out=-P" }, "-P" }, { { "--out", "-x" }, "-x" } } do
  T.case(("`nnlab run FILE %s` is refused: an --out that starts with '-'"):format(table.concat(case[1], " ")), function()
    local argv = { "run", T.source .. "/tests/nnlab/fixtures/options.lua" }
    for _, a in ipairs(case[1]) do argv[#argv + 1] = a end
    local out, status = T.nnlab_run(argv)
    T.eq(status, 1, "exit status\n" .. out)
    T.contains(out, ("nnlab: --out '%s' looks like an option: give the folder, or write ./%s for a folder of that name")
               :format(case[2], case[2]), "the message")
  end)
end

T.case("gnuplot draws into a folder whose name starts with '-' (cd -- DIR)", function()
  local work = T.tmpdir("refused_cd")
  T.write(work .. "/draw.lua", [[
local gnuplot = require "nnlab.notebook.gnuplot"
os.execute("mkdir -p ./-P")
local script = "set terminal pngcairo size 200,100\nset output outfile\nplot 'chart.dat' using 1:2 with lines\n"
local ok, err = gnuplot.draw("-P", "chart", script, "1 2\n2 3\n")
print("drawn:", ok, err)
]])
  local out = T.run("cd " .. T.quote(work) .. " && " .. T.nnlab_command({ "run", "draw.lua" }))
  T.contains(out, "drawn:\ttrue", "gnuplot.draw succeeds\n" .. out)
  T.eq((T.read(work .. "/-P/chart.png") or ""):sub(1, 4), "\137PNG", "the chart is drawn in ./-P")
end)

-- ---- finding 10: schedulers nnlab cannot key -------------------------------

-- An experiment with a one-variation sweep (its lab.sweep line marked)
-- whose optimizer function runs `body` (p and params in scope); `before`
-- goes above the sweep.
local function scheduler_experiment(name, body, before)
  return experiment(name, (before or "") .. [[
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 2, batch_size = 50, train = train, test = test, --<
  model = model,
  optimizer = function(p, params)
]] .. body .. [[
  end,
}
]])
end

T.case("a sweep refuses a scheduler nnlab did not make: its code is not in the cache key", function()
  local path, line = scheduler_experiment("custom", [[
    local opt = optim.SGD(params, { lr = 0.1 })
    return opt, { kind = "step", step = function() opt:set_lr(opt:lr() / 2) end }
]])
  expect_error(path, line, { "lab.sweep: optimizer(p, params) returned a scheduler nnlab did not make",
                             "optim.lr_scheduler.StepLR, ExponentialLR or CosineAnnealingLR" })
end)

T.case("a sweep refuses an nnlab scheduler with its own step, or made for another optimizer", function()
  local path, line = scheduler_experiment("patched", [[
    local opt = optim.SGD(params, { lr = 0.1 })
    local s = optim.lr_scheduler.StepLR(opt, { step_size = 1 })
    s.step = function() opt:set_lr(0.5) end
    return opt, s
]])
  expect_error(path, line, { "lab.sweep: optimizer(p, params) returned a scheduler nnlab did not make" })
  path, line = scheduler_experiment("foreign", [[
    return optim.SGD(params, { lr = 0.1 }), optim.lr_scheduler.StepLR(other, { step_size = 1 })
]], "local other = optim.SGD(nn.Sequential { nn.Linear(2, 2) }:parameters(), { lr = 1 })\n")
  expect_error(path, line, { "lab.sweep: optimizer(p, params) returned a scheduler made for another optimizer" })
end)

T.case("a sweep keys an nnlab scheduler by its state: a stepped one is another run", function()
  local path = scheduler_experiment("stepped", [[
    local opt = optim.SGD(params, { lr = 0.1 })
    local s = optim.lr_scheduler.StepLR(opt, { step_size = 1, gamma = 0.5 })
    for _ = 1, steps do s:step() end
    opt:set_lr(0.1)
    return opt, s
]], 'local steps = lab.param("steps", 0)\n')
  local function run(steps)
    local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--set", "steps=" .. steps },
                                    { NNLAB_CACHE = cache, NNLAB_OFFLINE = "1" })
    T.eq(status, 0, "steps=" .. steps .. "\n" .. out)
    return out
  end
  run(0)
  local out = run(1)
  T.eq(out:match("(%d+) trained, %d+ from cache"), "1", "a scheduler stepped once before training is not the fresh one\n"
       .. out)
end)

-- ---- PyTorch's options that nnlab does not implement ---------------------
-- Before, the losses and activations ignored their arguments:
-- CrossEntropyLoss { label_smoothing = 0.1 } gave the plain loss,
-- MSELoss { reduction = "sum" } the mean, ReLU { inplace = true } was taken.

local logits, labels = lab.tensor { { 2.0, 0.5, -1.0 }, { 0.1, 0.2, 0.3 } }, lab.labels { 0, 2 }
local outputs, targets = lab.tensor { { 1, 2 } }, lab.tensor { { 0, 0 } }

T.case("loss options nnlab does not implement are refused at the user's line, saying so", function()
  T.refused(function() nn.CrossEntropyLoss({ label_smoothing = 0.1 }) end,
            "nn.CrossEntropyLoss: label_smoothing = 0.1 is not supported: nnlab's cross entropy has no label smoothing")
  T.refused(function() nn.CrossEntropyLoss({ weight = lab.tensor { 1, 2, 3 } }) end,
            "nn.CrossEntropyLoss: weight = a tensor is not supported: nnlab's cross entropy weighs every class the same")
  T.refused(function() nn.CrossEntropyLoss({ ignore_index = 1 }) end,
            "nn.CrossEntropyLoss: ignore_index = 1 is not supported: nnlab's cross entropy counts every label")
  T.refused(function() nn.CrossEntropyLoss({ reduction = "none" }) end,
            "nn.CrossEntropyLoss: reduction = 'none' is not supported: nnlab's losses are always the mean")
  T.refused(function() nn.MSELoss({ reduction = "sum" }) end,
            "nn.MSELoss: reduction = 'sum' is not supported: nnlab's losses are always the mean (reduction = 'mean')")
  T.refused(function() nn.MSELoss({ label_smoothing = 0.1 }) end, "nn.MSELoss: unknown option 'label_smoothing'")
  T.refused(function() nn.MSELoss({ reductoin = "mean" }) end,
            "nn.MSELoss: unknown option 'reductoin' (did you mean 'reduction'?)")
  T.refused(function() nn.MSELoss("sum") end, "nn.MSELoss: options must be a table, got 'sum'")
end)

T.case("PyTorch's defaults of those options are taken, and give the same loss", function()
  local plain = nn.CrossEntropyLoss()(logits, labels):item()
  local spelt = nn.CrossEntropyLoss({ reduction = "mean", label_smoothing = 0, ignore_index = -100 })(logits, labels)
  T.eq(spelt:item(), plain, "cross entropy with PyTorch's defaults spelt out")
  T.eq(nn.MSELoss({ reduction = "mean" })(outputs, targets):item(), nn.MSELoss()(outputs, targets):item(),
       "MSE with reduction = 'mean'")
  T.eq(nn.MSELoss()(outputs, targets):item(), 2.5, "the mean of 1 and 4")
end)

T.case("LeakyReLU and Dropout take PyTorch's keyword form; a negative slope is refused at its own line", function()
  T.eq(tostring(nn.LeakyReLU { negative_slope = 0.2 }), "LeakyReLU(negative_slope=0.2)", "keyword slope")
  T.eq(tostring(nn.Dropout { p = 0.2 }), "Dropout(p=0.2, inplace=False)", "keyword p")
  T.eq(tostring(nn.Dropout { p = 0.2, inplace = false }), "Dropout(p=0.2, inplace=False)", "with inplace")
  -- Python's repr of a whole float, as print(model) in PyTorch
  T.eq(tostring(nn.LeakyReLU(1.0)), "LeakyReLU(negative_slope=1.0)", "slope 1.0")
  T.eq(tostring(nn.Dropout(0.0)), "Dropout(p=0.0, inplace=False)", "p 0.0")
  T.eq(tostring(nn.Dropout(0)), "Dropout(p=0, inplace=False)", "an integer stays one, as torch.nn.Dropout(0)")
  -- refused by nn.Sequential before, naming the float -0.100000001
  T.refused(function() nn.LeakyReLU(-0.1) end, "nn.LeakyReLU: negative_slope must be >= 0, got -0.1")
  T.refused(function() nn.LeakyReLU { negative_slope = -1 / 0 } end, "must be >= 0, got -inf")
  T.refused(function() nn.Dropout { q = 0.2 } end, "nn.Dropout: unknown option 'q'")
  T.refused(function() nn.Dropout { p = { 0.2 } } end, "nn.Dropout: p must be in [0, 1), got a table")
end)

T.case("calls through __call name the user's arguments, not Lua's argument numbers", function()
  local model = nn.Sequential({ nn.Linear(2, 3) }, { seed = 1 })
  -- they read "bad argument #2 to 'm'" and "bad argument #3 to '?'" for the user's first and second
  T.refused(function() local y = model("x") return y end, "model(x): x must be a tensor (nnlab.tensor { { ... } }), got a string")
  T.refused(function() local y = model() return y end, "model(x): x must be a tensor", "got nothing")
  local ce = nn.CrossEntropyLoss()
  T.refused(function() local l = ce(lab.tensor { { 1, 2 } }, lab.tensor { 0.5 }) return l end,
            "loss_fn(predictions, targets): cross entropy needs class labels as targets", "got a float tensor")
  T.refused(function() local l = ce(lab.labels { 1 }, lab.labels { 1 }) return l end,
            "loss_fn(predictions, targets): the predictions must be a float tensor, got an integer one")
  T.refused(function() local l = ce(lab.tensor { { 1, 2, 3 }, { 1, 2, 3 } }, lab.labels { 0, 3 }) return l end,
            "target 3 at row 1 (0-based) is out of range [0, 3)")
  T.refused(function() local t = lab.labels {} return t end, "nnlab.labels: no values (nnlab has no empty tensors)")
  T.refused(function() local t = lab.labels { 1, nil, 3 } return t end, "nnlab.labels: values[2] is nil, not a class index")
end)

T.case("nnlab.stats checks its lists: {1, nil, 3} was averaged to 1/3, a tensor named no line", function()
  T.refused(function() lab.stats.mean({ 1, nil, 3 }) end, "nnlab.stats.mean: argument 1, value 2 is nil, not a number")
  T.refused(function() lab.stats.mean() end, "nnlab.stats.mean: argument 1 must be a list of numbers, got nil")
  T.refused(function() lab.stats.welch({ 1, 2, 3 }, "x") end, "nnlab.stats.welch: argument 2 must be a list of numbers, got 'x'")
  T.refused(function() lab.stats.mean(lab.tensor { 1, 2 }) end, "nnlab.stats.mean: argument 1 must be a list of numbers, got a tensor")
  T.refused(function() lab.stats.std({ 0.1, "0.2" }) end, "nnlab.stats.std: argument 1, value 2 is '0.2', not a number")
  -- holm takes holes and a count n, as documented; table.pack's n is a count too
  local adjusted = lab.stats.holm({ 0.01, nil, 0.04, n = 3 })
  T.eq(adjusted[1], 0.02, "holm with a hole and n: two p values")
  T.eq(adjusted[3], 0.04, "the second")
  T.eq(lab.stats.mean(table.pack(1, 2, 3)), 2.0, "a table.pack list")
  T.eq(lab.stats.mean({ 1, 2, 3 }), 2.0, "a list is averaged")
  T.eq(lab.stats.std({ 1, 2, 3 }), 1.0, "and its sample std")
  -- versus_best's groups, holm's and correct_family's tables: a hole in a
  -- group made its mean 90/3 and picked the wrong best; nil was an error in
  -- nnlab's own file
  T.refused(function() lab.stats.versus_best({ { 90, nil, 92 }, { 80, 81, 82 } }) end,
            "nnlab.stats.versus_best (group 1): argument 1, value 2 is nil, not a number")
  T.refused(function() lab.stats.versus_best({ { 1, 2 }, 5 }) end,
            "nnlab.stats.versus_best: argument 1, group 2 is 5, not a list of numbers")
  T.refused(function() lab.stats.versus_best() end, "nnlab.stats.versus_best: argument 1 must be a list, got nil")
  T.refused(function() lab.stats.holm() end, "nnlab.stats.holm: argument 1 must be a table, got nil")
  T.refused(function() lab.stats.holm({ 0.1, n = "3" }) end, "nnlab.stats.holm: argument 1's count n must be an integer, got '3'")
  T.refused(function() lab.stats.correct_family({ 5 }) end,
            "nnlab.stats.correct_family: argument 1, value 1 is 5, not a verdict (stats.judge's)")
  local _, best = lab.stats.versus_best({ { 90, 91, 92 }, { 80, 81, 82 } })
  T.eq(best, 1, "whole groups still pick their best")
end)

T.case("a refused value is shown short and escaped; seeds take 5.0 as 5", function()
  -- a million characters made a 1 MB "one line"; a newline made two
  -- the message starts with this file's path, as long as the clone's path
  -- makes it: the bound is on the rest
  local here = debug.getinfo(1, "S")
  local source = here.source:gsub("^@", "")
  local long = ("x"):rep(1000000)
  for _, f in ipairs { function() nn.Linear(long, 3) end, function() data.generate(long, function() end) end,
                       function() data.RandomShift(long) end, function() data.GaussianNoise(long) end } do
    local ok, err = pcall(f)
    T.eq(ok, false, "refused")
    local path = err:sub(1, #source) == source and source or here.short_src
    T.eq(err:sub(1, #path), path, "the message starts with this file's path")
    T.eq(#err - #path < 300, true, "short: " .. #err - #path .. " bytes besides the path")
  end
  T.refused(function() nn.Linear("4\nx", 3) end, "got '4\\010x'")
  T.refused(function() lab.language("\0") end, "lab.language: expected \"zh\" or \"en\", got '\\000'")
  T.refused(function() lab.manual_seed(1.5) end, "nnlab.manual_seed: seed must be an integer, got 1.5")
  T.refused(function() data.rng("abc") end, "data.rng: seed must be an integer, got 'abc'")
  lab.manual_seed(2.0)
  T.eq(nn.next_seed(), 2, "manual_seed(2.0) is 2, as the seed option takes it")
  lab.manual_seed(0)
end)

-- The engine's binding named itself (bad argument #3 to
-- 'nnlab.core.train_epoch') for an optimizer of another model's parameters.
T.case("fit with an optimizer of another model's parameters is refused at the user's line", function()
  local ds = data.generate(20, function(i, rng) return { rng:random(), rng:random() }, (i - 1) % 2 end,
                           { seed = 1, classes = 2 })
  local model = nn.Sequential({ nn.Linear(2, 2) }, { seed = 1 })
  local other = nn.Sequential({ nn.Linear(2, 2) }, { seed = 2 })
  local opt = lab.optim.SGD(other:parameters(), { lr = 0.1 })
  local fit = { model = model, loss = nn.CrossEntropyLoss(), optimizer = opt, epochs = 1,
                train = data.DataLoader(ds, { batch_size = 10 }) }
  T.refused(function() local h = lab.fit(fit) return h end, "fit: the optimizer was made for another model's parameters: make it from the trained model's, "
       .. "optim.SGD(model:parameters(), ...)")
end)

-- The docs once wrote normalize = { mean, std }: a list there was refused as
-- "unknown option '1'", which does not say what is wanted.
T.case("a list where named options go is refused, naming the options", function()
  local ds = data.generate(20, function(i, rng) return { rng:random(), rng:random() }, (i - 1) % 2 end,
                           { seed = 1, classes = 2 })
  T.refused(function() data.DataLoader(ds, { batch_size = 4, normalize = { 0.2860, 0.3530 } }) end,
            "data.DataLoader: normalize: takes named options, { mean = ..., std = ... }, not a list (a value at position 1)")
  local loader = data.DataLoader(ds, { batch_size = 4, normalize = { mean = 0.2860, std = 0.3530 } })
  T.truthy(loader, "the named form")
end)

T.case("a parameter's methods raise at the user's line, not in lua/nnlab/nn.lua", function()
  local w
  do
    local model <close> = nn.Sequential({ nn.Linear(2, 3) }, { seed = 1 })
    w = model:parameters()[1]
    T.refused(function() local size = w:size(5) return size end, "p:size: dim 5 out of range for a 2-D tensor")
  end
  T.refused(function() local g = w:grad() return g end, "p:grad: closed model")
  -- a closed model prints as one (tostring raised, replacing the message of any check that showed it)
  local closed
  do
    local m <close> = nn.Sequential({ nn.Linear(2, 3) }, { seed = 1 })
    closed = m
  end
  T.eq(tostring(closed), "Sequential(closed)", "tostring of a closed model")
  T.refused(function() nn.Linear(closed, 3) end, "nn.Linear: in_features must be a positive integer, got a model")
  T.refused(function() local d = w:data() return d end, "p:data: closed model")
end)

T.case("optimizer options nnlab does not implement (amsgrad, maximize) are refused; their defaults are taken", function()
  local params = nn.Sequential({ nn.Linear(2, 2) }, { seed = 1 }):parameters()
  T.refused(function() optim.Adam(params, { amsgrad = true }) end,
            "optim.Adam: amsgrad = true is not supported: nnlab's Adam keeps no maximum of the second moments")
  T.refused(function() optim.AdamW(params, { maximize = true }) end,
            "optim.AdamW: maximize = true is not supported: nnlab's optimizers always minimize the loss")
  T.refused(function() optim.SGD(params, { lr = 0.1, maximize = true }) end, "optim.SGD: maximize = true is not supported")
  T.refused(function() optim.SGD(params, { amsgrad = false }) end, "optim.SGD: unknown option 'amsgrad'")
  local spelt = optim.Adam(params, { amsgrad = false, maximize = false }):config()
  local plain = optim.Adam(params):config()
  for k, v in pairs(plain) do T.eq(spelt[k], v, "Adam's " .. k .. " with PyTorch's defaults spelt out") end
  local sgd = optim.SGD(params, { lr = 0.1, momentum = 0.9, nesterov = true, maximize = false }):config()
  T.eq(sgd.momentum, 0.9, "SGD's momentum")
  T.eq(sgd.nesterov, true, "SGD's nesterov")
end)

T.case("layer flags nnlab does not implement (inplace, bias = false) are refused; their defaults are taken", function()
  local why = "is not supported: nnlab's layers always write their output apart from their input"
  T.refused(function() nn.ReLU({ inplace = true }) end, "nn.ReLU: inplace = true " .. why)
  T.refused(function() nn.ReLU(true) end, "nn.ReLU: inplace = true " .. why) -- PyTorch's nn.ReLU(True)
  T.refused(function() nn.LeakyReLU(0.2, { inplace = true }) end, "nn.LeakyReLU: inplace = true " .. why)
  T.refused(function() nn.Dropout(0.5, true) end, "nn.Dropout: inplace = true " .. why)
  T.refused(function() nn.Linear(4, 3, { bias = false }) end,
            "nn.Linear: bias = false is not supported: every nn.Linear of nnlab has a bias")
  T.refused(function() nn.Linear(4, 3, false) end, "nn.Linear: bias = false is not supported")
  T.refused(function() nn.Sigmoid({ inplace = true }) end, "nn.Sigmoid: unknown option 'inplace'")
  T.refused(function() nn.Tanh(1) end, "nn.Tanh: options must be a table, got 1")
  T.refused(function() nn.ReLU({ inplcae = false }) end, "nn.ReLU: unknown option 'inplcae' (did you mean 'inplace'?)")
  T.eq(tostring(nn.ReLU({ inplace = false })), "ReLU()", "ReLU with inplace = false")
  T.eq(tostring(nn.Dropout(0.3, false)), "Dropout(p=0.3, inplace=False)", "Dropout with inplace False")
  T.eq(tostring(nn.Linear(4, 3, { bias = true, init = "xavier_uniform" })),
       "Linear(in_features=4, out_features=3, bias=True)", "Linear with bias = true")
end)

T.done()
