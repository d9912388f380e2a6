-- Arguments the API took without a word and then ignored or misread (the
-- twenty-fifth session's typo hunt): a nil item in a list (a misspelt
-- variable), a named key in a list, a data.Lambda's returned batch, an
-- argument to optimizer:lr(), keepdim = 0, nn.Dropout(false), extra
-- arguments to tensor methods, and an optimizer that stepped before the
-- sweep took it. Each is now an error at the user's line. Checks that need
-- no sweep run in this process; the others are small experiment files whose
-- line marked `--<` is the one the error must name.
local T = require "testlib"
local E = require "fixtures.experiment"
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data

local dir = T.tmpdir("silent_args")

-- Writes E.PRELUDE .. body as dir/<name>.lua and runs it: exit 1 with a
-- first line at its line marked --< holding every fragment; unless
-- trains_first (a sweep before the mistake), nothing trained before.
local function expect_error(name, body, fragments, trains_first)
  local path, line = E.write(dir, name, body)
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet" },
                                  { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
  E.expect_error_line(out, status, path, line, fragments)
  if not trains_first then T.truthy(not out:find("trained", 1, true), "nothing trained before the error:\n" .. out) end
end

T.case("a nil item in a sweep's vary, variations or seeds is an error, not a shorter list", function()
  expect_error("vary_hole", [[
local small, large = 4, 8
lab.sweep { vary = { hidden = { small, meduim, large } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd }
]], { "lab.sweep: vary.hidden: item 2 is nil (a misspelt name?)" })
  expect_error("variations_hole", [[
local a, c = { hidden = 4 }, { hidden = 8 }
lab.sweep { variations = { a, b, c }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd }
]], { "lab.sweep: variations: item 2 is nil" })
  expect_error("seeds_hole", [[
lab.sweep { vary = { hidden = { 4 } }, seeds = { 1, 2, thrid, 4 }, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd }
]], { "lab.sweep: seeds: item 3 is nil" })
  expect_error("vary_named", [[
lab.sweep { vary = { hidden = { 4, 8, big = 16 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd }
]], { "lab.sweep: vary.hidden holds the key 'big'" })
end)

T.case("a nil item in lab.table's metrics or lab.chart's y is an error at its line", function()
  local sweep = [[
local runs = lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test,
  model = model, optimizer = sgd }
]]
  -- (the chart's hole used to fail in the report writer, after training)
  expect_error("chart_hole", sweep .. [[
lab.chart(runs, { y = { "test_acc", train_ac, "train_acc" } }) --<
]], { "lab.chart: y: item 2 is nil (a misspelt name?)" }, true)
  expect_error("metrics_hole", sweep .. [[
lab.table(runs, { metrics = { "test_acc", test_los, "train_loss" } }) --<
]], { "lab.table: metrics: item 2 is nil" }, true)
end)

T.case("an optimizer that stepped inside the optimizer function is refused: its state is not in the key", function()
  expect_error("stepped", [[
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = model,
  optimizer = function(p, params)
    local o = optim.Adam(params, { lr = 0.01 })
    for _ = 1, 3 do o:step() end
    return o
  end }
]], { "returned an optimizer that has taken 3 steps", "return a new one" })
end)

-- runs:select { lrr = 0.1 } gave no variation, runs:values("lrr") none and
-- runs:get { hidden = 4, lrr = 0.1 } nil, without a word.
T.case("a runs selector naming a parameter no variation has is an error at its line", function()
  local sweep = [[
local runs = lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test,
  model = model, optimizer = sgd }
]]
  for _, c in ipairs {
    { "select", "runs:select { hiden = 4 } --<", "runs:select: no variation has a parameter 'hiden' (did you mean 'hidden'?)" },
    { "values", "runs:values(\"hiden\") --<", "runs:values: no variation has a parameter 'hiden'" },
    { "get", "runs:get { hidden = 4, lrr = 0.1 } --<", "runs:get: no variation has a parameter 'lrr'" },
    -- a misspelt variable as a value leaves its key out: { hidden = smal } is {}
    { "get_empty", "runs:get { hidden = smal } --<", "runs:get: the selector is empty ({}): it would select every variation" },
    { "select_empty", "runs:select { hidden = smal } --<", "runs:select: where is empty ({})" },
    { "chart_empty", "lab.chart(runs, { where = { hidden = smal } }) --<", "lab.chart: where is empty ({})" },
    { "confusion_empty", "lab.confusion(runs, { show = { hidden = smal } }) --<",
      "lab.confusion: show: the selection is empty ({})" },
  } do
    expect_error("selector_" .. c[1], sweep .. c[2] .. "\n", { c[3] }, true)
  end
end)

-- notebook.md: an optional option given as false is not given
-- (normalize = cond and { ... }); lab.sweep refused normalize = false.
T.case("lab.sweep { normalize = false } is no normalization, under the same key as none", function()
  local body = [[
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test,
  model = model, optimizer = sgd, NORMALIZE }
]]
  local env = { NNLAB_CACHE = dir .. "/normalize-cache", NNLAB_OFFLINE = "1" }
  local path = E.write(dir, "normalize_false", (body:gsub("NORMALIZE", "normalize = false")))
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports" }, env)
  T.eq(status, 0, out)
  T.contains(out, "1 runs, 1 trained", "it trains")
  path = E.write(dir, "normalize_none", (body:gsub("NORMALIZE", "")))
  out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports" }, env)
  T.eq(status, 0, out)
  T.contains(out, "1 runs, 0 trained, 1 from cache", "the same run as without normalize")
end)

local function small_dataset()
  local x, y = {}, {}
  for i = 1, 8 do x[i], y[i] = { i, 2 * i }, i % 2 end
  return data.TensorDataset(x, y)
end

T.case("a nil item in a transform list or data.Normalize's values is an error, not a dropped transform", function()
  local ds = small_dataset()
  local normalize = data.Normalize(0.5, 0.25)
  T.refused(function() data.DataLoader(ds, { transform = { normalise, normalize } }) end,
            "data.DataLoader: transform: item 1 is nil (a misspelt name?)")
  T.refused(function() data.DataLoader(ds, { transform = { normalize, nil, data.GaussianNoise(1) } }) end,
            "transform: item 2 is nil")
  T.refused(function() data.Normalize({ 1, nil, 3 }, { 1, 1, 1 }) end, "data.Normalize: mean: item 2 is nil")
end)

T.case("a data.Lambda that returns a new batch is an error; returning the batch itself is fine", function()
  local ds = small_dataset()
  local loader = data.DataLoader(ds, { batch_size = 4, transform = data.Lambda(function(b) return b * 100 end) })
  local ok, err = pcall(function() for _ in loader:batches() do end end)
  T.truthy(not ok, "a returned batch was dropped without a word")
  T.contains(tostring(err), "data.Lambda(test_silent_args.lua:", "names the Lambda's function")
  T.contains(tostring(err), "the function returned a tensor; it changes the batch in place")
  local two = data.DataLoader(ds, { batch_size = 4, transform = data.Lambda(function(b) return b, 1 end) })
  ok, err = pcall(function() for _ in two:batches() do end end)
  T.contains(tostring(err), "the function returned 2 values", "a second value is not dropped either")
  local firsts = {}
  local in_place = data.DataLoader(ds, { batch_size = 4, transform = data.Lambda(function(b) b:set(1, 1, -1) return b end) })
  for x in in_place:batches() do firsts[#firsts + 1] = x:get(1, 1) end
  T.eq(table.concat(firsts, ","), "-1.0,-1.0", "the in-place change, with the batch returned")
end)

T.case("optimizer:lr(x), keepdim that is not a boolean, Dropout(false) and LeakyReLU(false) are errors", function()
  local model = nn.Sequential { nn.Linear(2, 2) }
  local o = optim.SGD(model:parameters(), { lr = 0.1 })
  T.refused(function() o:lr(0.5) end, "optimizer:lr() takes no argument", "set_lr")
  T.close(o:lr(), 0.1, 1e-12, "the rate did not change")
  local x = lab.tensor { { 1, 2 }, { 3, 4 } }
  T.refused(function() x:mean(1, 0) end, "keepdim must be true or false, got number")
  T.refused(function() x:sum(1, "false") end, "keepdim must be true or false, got string")
  T.refused(function() x:sum(nil, true) end, "keepdim needs a dim: x:sum(dim, keepdim)")
  T.refused(function() x:max(nil, true) end, "keepdim needs a dim: x:max(dim, keepdim)")
  T.eq(x:mean(nil, false):item(), 2.5, "keepdim false without a dim is the default")
  T.eq(x:mean(1, true):size(0), 2, "keepdim true keeps the dim")
  T.refused(function() nn.Dropout(false) end, "nn.Dropout: p must be in [0, 1), got false")
  T.refused(function() nn.LeakyReLU(false) end, "nn.LeakyReLU: negative_slope must be a number, got false")
end)

-- The reviewer's list: more methods and constructors that ignored extras.
T.case("model, optimizer, loss and parameter methods and the constructors refuse arguments they do not take", function()
  local model = nn.Sequential { nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2) }
  local params = model:parameters()
  local o = optim.SGD(params, { lr = 0.1 })
  local loss = nn.CrossEntropyLoss()(model(lab.tensor { { 1, 2 } }), lab.labels { 1 })
  T.refused(function() model:eval(1) end, "model:eval() takes no arguments, got 1")
  T.refused(function() model:num_parameters(1) end, "model:num_parameters() takes no arguments")
  T.refused(function() model:zero_grad(true) end, "model:zero_grad() takes no arguments")
  T.refused(function() o:steps(1) end, "optimizer:steps() takes no arguments")
  T.refused(function() o:config(1) end, "optimizer:config() takes no arguments")
  T.refused(function() o:zero_grad({ set_to_none = true }) end, "optimizer:zero_grad() takes no arguments")
  T.refused(function() loss:item(1) end, "loss:item() takes no arguments")
  T.refused(function() params[1]:dim(1) end, "p:dim() takes no more arguments, got 1 more")
  T.refused(function() params[1]:numel(1) end, "p:numel() takes no more arguments")
  T.refused(function() optim.SGD(params, { lr = 0.1 }, 5) end, "optim.SGD(params [, options]) takes no more arguments, got 1 more")
  T.refused(function() optim.Adam(params, {}, 0.9) end, "optim.Adam(params [, options]) takes no more arguments")
  T.refused(function() nn.Linear(2, 3, {}, 4) end, "nn.Linear(in_features, out_features [, options]) takes no more")
  T.refused(function() nn.utils.clip_grad_norm_(params, 1.0, 2, true) end, "clip_grad_norm_(params, max_norm [, norm_type])")
  T.refused(function() lab.load("x.nnm", { map_location = "cpu" }) end, "nnlab.load(path) takes no more arguments")
  T.eq(model:training(nil), true, "a trailing nil is an argument left out")
  T.eq(optim.SGD(params, { lr = 0.1 }, nil):lr(), o:lr(), "here too")
end)

-- From the newcomer hunt: PyTorch habits that gave Lua's own errors
-- ("attempt to call a nil value (method 'reshape')", "bad argument #1 to
-- 'c_step'") or refused PyTorch's defaults without a word on why.
T.case("PyTorch habits get nnlab's answer: reshape, a dot call, DataLoader's num_workers", function()
  local x = lab.tensor { { 1, 2 }, { 3, 4 } }
  T.refused(function() x:reshape(-1, 4) end, "x:reshape(): nnlab tensors have no reshape (PyTorch's)")
  T.refused(function() x:view(4) end, "x:view(): nnlab tensors have no view")
  T.eq(x.foo, nil, "other names read as nil, as before")
  local model = nn.Sequential { nn.Linear(2, 2) }
  local o = optim.SGD(model:parameters(), { lr = 0.1 })
  T.refused(function() o.step() end, "an optimizer method called with '.' gets no optimizer; call methods with ':' "
            .. "(obj:method()), not '.'")
  T.refused(function() model.eval() end, "a model method called with '.'")
  T.refused(function() x.sum() end, "a tensor method called with '.'")
  T.refused(function() model:parameters()[1].grad() end, "a parameter method called with '.'")
  local data_set = small_dataset()
  T.refused(function() data_set.head(1) end, "a dataset method called with '.'")
  local ds = small_dataset()
  T.eq(getmetatable(data.DataLoader(ds, { num_workers = 0, pin_memory = false })) ~= nil, true, "PyTorch's defaults")
  T.refused(function() data.DataLoader(ds, { num_workers = 4 }) end,
            "data.DataLoader: num_workers = 4 is not supported: nnlab's loader gathers a batch in C")
  T.refused(function() data.DataLoader(ds, { pin_memory = true }) end, "pin_memory = true is not supported")
end)

-- data.load { head = 100, seed = 3 } took the first 100 whatever the seed.
T.case("data.load refuses a seed without subset, which it would not use", function()
  T.refused(function() data.load("fashion-mnist", { head = 100, seed = 3 }) end,
            "data.load: seed picks subset's random samples; without subset it does nothing")
end)

T.case("tensor methods refuse arguments they do not take", function()
  local x = lab.tensor { { 1, 2 }, { 3, 4 } }
  T.refused(function() x:exp(1) end, "x:exp() takes no arguments, got 1")
  T.refused(function() x:max(1, true, "x") end, "x:max(dim, keepdim) takes at most 2 arguments, got 3")
  T.refused(function() x:get(1, 2, 3) end, "x:get(i, j) takes at most 2 arguments, got 3")
  T.refused(function() x:numel(1) end, "x:numel() takes no arguments")
  T.refused(function() x:size(0, 1) end, "x:size(dim) takes at most 1 argument, got 2")
  T.refused(function() x:clamp(0, 1, 2) end, "x:clamp(lo, hi) takes at most 2 arguments")
  T.eq(x:sqrt(nil):get(1, 1), 1.0, "a trailing nil is an argument left out")
  T.eq(x:narrow(0, 1, 1, nil):size(0), 1, "a trailing nil after the last argument")
  T.eq((-x):get(1, 1), -1.0, "unary minus (its metamethod gets the operand twice) still works")
  T.eq(#x, 2, "# still works")
end)

T.done()
