-- Typos are errors (docs/notebook.md, "Typos are errors"): each silent typo a
-- new user hit is now an error that names the user's file:line and the
-- misspelt key, and nothing trains first. Each case writes a small
-- experiment file; the line marked `--<` is the one the error must name.
local T = require "testlib"
local E = require "fixtures.experiment"

local dir = T.tmpdir("typos")

local function experiment(name, body) return E.write(dir, name, body) end

-- Runs the experiment; asserts exit 1, a first line naming path:line, and
-- every fragment in it. Returns the whole output.
local function expect_error(path, line, fragments, args)
  local argv = { "run", path, "--out", dir .. "/reports", "--quiet" }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  local out, status = T.nnlab_run(argv, { NNLAB_CACHE = dir .. "/cache" })
  E.expect_error_line(out, status, path, line, fragments)
  T.truthy(not out:find("trained", 1, true), "nothing trained before the error:\n" .. out)
  return out
end

T.case("lab.sweep { shuffel = false } is an error, not a fixed parameter", function()
  local path, line = experiment("shuffel", [[
lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test,
  model = model, optimizer = sgd,
  shuffel = false, --<
}
]])
  -- an error about the sweep table names the line of the lab.sweep call
  local out = expect_error(path, line - 2, { "lab.sweep: unknown option 'shuffel' (did you mean 'shuffle'?)" })
  T.truthy(not out:find("lua/nnlab/", 1, true), "no nnlab frame in the traceback:\n" .. out)
end)

T.case("lab.sweep { eval_trian = true } is an error, not a fixed parameter", function()
  local path, line = experiment("eval_trian", [[
lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd, eval_trian = true }
]])
  expect_error(path, line, { "lab.sweep: unknown option 'eval_trian' (did you mean 'eval_train'?)" })
end)

T.case("a typo of a required field is named as one, and a near name beside the field is refused", function()
  local path, line = experiment("batch_szie", [[
lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_szie = 50, train = train, test = test, --<
  model = model, optimizer = sgd }
]])
  expect_error(path, line, { "lab.sweep: batch_size is missing, and 'batch_szie' is given: a typo of batch_size?" })
  path, line = experiment("no_epochs", [[
lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd }
]])
  expect_error(path, line, { "lab.sweep: epochs is missing: give epochs = N (a positive integer)" })
  path, line = experiment("epoch_beside", [[
lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, epoch = 3, batch_size = 50, train = train, --<
  test = test, model = model, optimizer = sgd }
]])
  expect_error(path, line, { "lab.sweep: unknown option 'epoch' (did you mean 'epochs'?)" })
  path, line = experiment("epochs_text", [[
lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = "2", batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd }
]])
  expect_error(path, line, { "lab.sweep: epochs must be a positive integer, got '2'" })
end)

T.case("vary = { momentun = ... } with a model reading p.momentum is an error at that read", function()
  local path, line = experiment("momentun", [[
lab.sweep { vary = { hidden = { 4 }, momentun = { 0.0, 0.9 } }, seeds = 1, epochs = 1, batch_size = 50,
  train = train, test = test, model = model,
  optimizer = function(p, params)
    return optim.SGD(params, { lr = 0.1, momentum = p.momentum }) --<
  end,
}
]])
  expect_error(path, line, { "p.momentum: this sweep has no parameter 'momentum', but has 'momentun': one of the two names is misspelt" })
end)

T.case("a varied key that nothing reads is an error: the variations would be identical", function()
  local path, line = experiment("unread_vary", [[
lab.sweep { vary = { hidden = { 4 }, momentun = { 0.0, 0.9 } }, seeds = 1, epochs = 1, batch_size = 50, --<
  train = train, test = test, model = model, optimizer = sgd }
]])
  expect_error(path, line, { "lab.sweep: 'momentun' is varied", "never read p.momentun" })
end)

T.case("p is read-only", function()
  local path, line = experiment("p_write", [[
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test,
  model = function(p)
    p.hidden = 8 --<
    return model(p)
  end, optimizer = sgd }
]])
  expect_error(path, line, { "p.hidden: a sweep's parameters are read-only" })
end)

-- One tiny trained sweep for the table and chart cases (trained once, then cached).
local SWEEP = [[
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_size = 50,
                         train = train, test = test, model = model, optimizer = sgd }
]]

T.case("lab.table(runs, { metrcs = ... }) is an error", function()
  local path = experiment("warm", SWEEP .. "lab.table(runs)\n")
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = dir .. "/cache" })
  T.eq(status, 0, "the tiny sweep runs\n" .. out)
  local typo, line = experiment("metrcs", SWEEP .. [[
lab.table(runs, { metrcs = { "test_acc" } }) --<
]])
  local err = T.nnlab_run({ "run", typo, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = dir .. "/cache" })
  T.contains(err:match("^[^\n]*"), ("%s:%d: lab.table: unknown option 'metrcs' (did you mean 'metrics'?)"):format(typo, line),
             "lab.table typo")
end)

T.case("lab.chart(runs, { titel = ..., ylim = ... }) is an error", function()
  local typo, line = experiment("titel", SWEEP .. [[
lab.chart(runs, { titel = "accuracy" }) --<
]])
  local err, status = T.nnlab_run({ "run", typo, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = dir .. "/cache" })
  T.eq(status, 1, "exit status")
  T.contains(err:match("^[^\n]*"), ("%s:%d: lab.chart: unknown option 'titel' (did you mean 'title'?)"):format(typo, line),
             "lab.chart typo")
  local ylim, line2 = experiment("ylim", SWEEP .. [[
lab.chart(runs, { ylim = { 0, 100 } }) --<
]])
  err = T.nnlab_run({ "run", ylim, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = dir .. "/cache" })
  T.contains(err:match("^[^\n]*"), ("%s:%d: lab.chart: unknown option 'ylim'"):format(ylim, line2), "lab.chart ylim")
end)

-- A file without a sweep: a hand-written loop, or nnlab.fit. A --set typo
-- stops it at the first training step, before any epoch (the marker file
-- that the loop writes after its first step must not exist).
local LOOP = [[
local epochs = lab.param("epochs", 1)
local net = model { hidden = 4 }
local opt = optim.SGD(net:parameters(), { lr = 0.1 })
local loss_fn = nn.CrossEntropyLoss()
for x, y in lab.data.DataLoader(train, { batch_size = 50 }):batches() do
  local loss = loss_fn(net(x), y)
  opt:zero_grad()
  loss:backward()
  opt:step() --<
  io.open(MARKER, "w"):close()
end
]]

T.case("a --set typo stops a hand-written loop before its first step", function()
  local marker = dir .. "/stepped"
  os.remove(marker)
  local path, line = experiment("loop", ("local MARKER = %q\n"):format(marker) .. LOOP)
  expect_error(path, line, { "--set epoch=3: no lab.param or vary axis named 'epoch' is declared before training starts "
                                 .. "(did you mean 'epochs'?)" }, { "--set", "epoch=3" })
  T.eq(T.read(marker), nil, "no training step ran")
  -- spelt right, it trains
  local out, status = T.nnlab_run({ "run", path, "--set", "epochs=3" })
  T.eq(status, 0, "the loop runs\n" .. out)
  T.eq(T.read(marker), "", "it stepped")
end)

T.case("in a file without a sweep, any --set that names no parameter stops training before it starts", function()
  local marker = dir .. "/stepped_widht"
  os.remove(marker)
  local path, line = experiment("loop_unknown", ("local MARKER = %q\n"):format(marker) .. LOOP)
  expect_error(path, line, { "--set widht=3: no lab.param or vary axis named 'widht' is declared before training starts" },
               { "--set", "widht=3" })
  T.eq(T.read(marker), nil, "no training step ran")
end)

T.case("a --set typo stops nnlab.fit before its first epoch", function()
  local path, line = experiment("fit", [[
local epochs = lab.param("epochs", 1)
local net = model { hidden = 4 }
lab.fit { model = net, loss = nn.CrossEntropyLoss(), optimizer = optim.SGD(net:parameters(), { lr = 0.1 }), --<
          train = lab.data.DataLoader(train, { batch_size = 50 }), epochs = epochs,
          on_epoch = function(s) print("epoch done", s.epoch) end }
]])
  local out = expect_error(path, line, { "--set epoch=3: no lab.param or vary axis named 'epoch'" }, { "--set", "epoch=3" })
  T.truthy(not out:find("epoch done", 1, true), "no epoch ran")
end)

T.case("options are type-checked against their defaults", function()
  local path, line = experiment("types", [[
local loader = lab.data.DataLoader(train, { batch_size = 50, shuffle = "yes" }) --<
]])
  expect_error(path, line, { "data.DataLoader: option 'shuffle' must be a boolean, got 'yes'" })
  local path2, line2 = experiment("fit_typo", [[
local net = model { hidden = 4 }
lab.fit { model = net, loss = nn.CrossEntropyLoss(), optimizer = optim.SGD(net:parameters()), --<
          train = lab.data.DataLoader(train), epoch = 2 }
]])
  expect_error(path2, line2, { "fit: unknown option 'epoch' (did you mean 'epochs'?)" })
end)

T.case("typos of nnlab's own names get their hint wherever they stand", function()
  local path, line = experiment("batchsize", [[
lab.sweep { vary = { hidden = { 4 }, batchsize = { 10, 20 } }, seeds = 1, epochs = 1, batch_size = 50, --<
  train = train, test = test, model = model, optimizer = sgd }
]])
  expect_error(path, line, { "lab.sweep: 'batchsize' is varied", "(did you mean 'batch_size'?)" })
  path, line = experiment("normalize", [[
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd, normalize = { mean = 0.286, stdev = 0.353 } }
]])
  expect_error(path, line, { "lab.sweep: normalize: unknown option 'stdev' (did you mean 'std'?)" })
  path, line = experiment("t_max", [[
local opt = optim.SGD(model({ hidden = 4 }):parameters())
local s = optim.lr_scheduler.CosineAnnealingLR(opt, { t_max = 10 }) --<
]])
  expect_error(path, line, { "CosineAnnealingLR: unknown option 't_max' (did you mean 'T_max'?)" })
end)

T.case("reasonable files raise no false alarm", function()
  local path = experiment("reasonable", [[
local off = false
-- p read through pairs(); a fixed parameter read in some variations only;
-- numbered names side by side; `cond and x` for optional options; whole floats
local runs = lab.sweep { vary = { hidden1 = { 4, 8 } }, layers = 1, hidden2 = 16, seeds = 1, epochs = 1,
  batch_size = 50, train = train, test = test,
  model = function(p)
    local h
    for k, v in pairs(p) do if k == "hidden1" then h = v end end
    if p.layers == 2 then h = p.hidden2 end
    return nn.Sequential { nn.Linear(784, h), nn.ReLU(), nn.Linear(h, 10) }
  end,
  optimizer = function(p, params)
    local opt = optim.SGD(params, { lr = 0.1, momentum = 0, nesterov = off })
    return opt, optim.lr_scheduler.CosineAnnealingLR(opt, { T_max = 10 / 2 })
  end,
}
local loader = lab.data.DataLoader(train, { batch_size = 50.0, normalize = off and { mean = 0.3, std = 0.3 } })
local net = model { hidden = 4 }
lab.fit { model = net, loss = nn.CrossEntropyLoss(), optimizer = optim.SGD(net:parameters(), { lr = 0.1 }),
          train = loader, epochs = 1, on_epoch = off and print, scheduler = off and {} }
print("reasonable: done")
]])
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = dir .. "/cache" })
  T.eq(status, 0, "exit status\n" .. out)
  T.contains(out, "reasonable: done", "ran to its end")
end)

T.done()
