-- A sweep over regression targets: its runs score no sample right or wrong
-- (the engine's accuracy reads 0 %), so everything that picks a best or a
-- metric by default takes test_loss instead of test_acc (lab.table's
-- columns and its best, runs:best, runs:compare, lab.chart's y, seeds on
-- demand), and naming an accuracy for such runs is an error at the user's
-- line. Before, the table's "test accuracy" column read 0.00 % everywhere
-- and crowned the variation whose test loss was 25 times worse.
local T = require "testlib"

local dir = T.tmpdir("regression_sweep")
local cache, reports = dir .. "/cache", dir .. "/reports"

local NOTEBOOK = [[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local case = lab.param("case", "none")
local points = data.generate(240, function(_, rng)
  local a, b = rng:normal(), rng:normal()
  return { a, b }, { 1.5 * a - 2 * b + 0.1 * rng:normal() }
end, { seed = 7, name = "plane" })
local train, test = points:split(60, { seed = 1 })
local runs = lab.sweep { vary = { lr = { 0.001, 0.1 } }, seeds = case == "on_demand" and { min = 2, max = 3,
  metric = "test_acc" } or 2, epochs = 5, batch_size = 8, train = train, test = test,
  model = function() return nn.Sequential { nn.Linear(2, 1) } end, loss = function() return nn.MSELoss() end,
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
lab.table(runs)
lab.chart(runs)
lab.md("best %s", runs:best().label)
lab.md("compared by %s", runs:compare({ lr = 0.001 }, { lr = 0.1 }).a.metric)
local one = nn.Sequential { nn.Linear(2, 1) }
local history = lab.fit { model = one, loss = nn.MSELoss(), epochs = 2, optimizer = optim.SGD(one:parameters(), { lr = 0.1 }),
  train = data.DataLoader(train, { batch_size = 8 }), test = data.DataLoader(test, { batch_size = 60 }) }
lab.md("history regression %s", tostring(history.regression))
lab.table(history, { label = "one fit" })
-- a seed's stored history says it fit regression targets, as fit's does
local stored = runs.variations[1].seeds[1].history
lab.md("stored history regression %s", tostring(stored.regression))
lab.table(stored, { label = "one stored seed" })
if case == "custom" then
  -- a run function's history over regression targets needs no accuracy
  local custom = lab.sweep { name = "own loop", vary = { k = { 1 } }, seeds = 1, epochs = 2, train = train, test = test,
    run = function() return { { train_loss = 0.5, test_loss = 0.4 }, { train_loss = 0.3, test_loss = 0.25 } } end }
  lab.md("own loop test loss %s", tostring(custom.variations[1].seeds[1].history[2].test_loss))
end
if case == "more_seeds" then
  -- two variations alike: seeds on demand go on to the most
  local alike = lab.sweep { name = "alike", vary = { lr = { 0.05, 0.0500001 } }, seeds = { min = 2, max = 3 }, epochs = 2,
    batch_size = 8, train = train, test = test, model = function() return nn.Sequential { nn.Linear(2, 1) } end,
    loss = function() return nn.MSELoss() end, optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
  local seeds, flagged = 0, 0
  for _, v in ipairs(alike.variations) do
    for _, s in ipairs(v.seeds) do
      seeds = seeds + 1
      if s.history.regression then flagged = flagged + 1 end
    end
  end
  lab.md("seeds %d flagged %d", seeds, flagged)
end
if case == "table_gap" then lab.table(runs, { metrics = { "gap" } }) end --<
if case == "chart_gap" then lab.chart(runs, { y = "gap" }) end --<
if case == "table_acc" then lab.table(runs, { metrics = { "test_acc" } }) end --<
if case == "best_acc" then local _ = runs:best("test_acc") end --<
]]

local path = T.marked_script(dir, "plane", NOTEBOOK)
local function run(case)
  return T.nnlab_run({ "run", path, "--out", reports, "--quiet", "--set", "case=" .. case }, { NNLAB_CACHE = cache })
end

T.case("a regression sweep's table, best, comparison and chart go by the test loss", function()
  local out, status = run("none")
  T.eq(status, 0, out)
  local md = T.read(reports .. "/plane.md")
  T.eq(md:find("test accuracy", 1, true), nil, "no accuracy column or axis\n" .. md)
  local slow = md:match("\n| 0%.001 |[^\n]*")
  local fast = md:match("\n| 0%.1 |[^\n]*")
  T.truthy(slow and fast, "a row per lr\n" .. md)
  T.contains(fast, "**best**", "lr 0.1 fits the plane far better: the best by test loss")
  T.truthy(not slow:find("**best**", 1, true), "lr 0.001 is not")
  T.contains(md, "best lr=0.1", "runs:best() goes by test loss")
  T.contains(md, "compared by test_loss", "and runs:compare")
  T.contains(T.read(reports .. "/plane/fig1-test_loss-epoch.gp") or "", "test loss", "the chart draws the test loss")
  T.contains(md, "history regression true", "nnlab.fit says its history fit regression targets")
  T.contains(md, "| epoch | train loss | test loss |", "a table of the fit's history, without accuracies")
  T.contains(md, "stored history regression true", "a sweep's stored history says so too")
  local _, tables = md:gsub("| epoch | train loss | test loss |", "")
  T.eq(tables, 2, "the stored seed's table has no accuracies either\n" .. md)
end)

-- The flag was set after the first round only: seeds added on demand lacked it.
T.case("seeds added on demand carry the regression flag too", function()
  local out, status = run("more_seeds")
  T.eq(status, 0, out)
  T.contains(T.read(reports .. "/plane.md"), "seeds 6 flagged 6", "every seed, the third ones too")
end)

T.case("a run function over regression targets returns a history without accuracies", function()
  local out, status = run("custom")
  T.eq(status, 0, out)
  T.contains(T.read(reports .. "/plane.md"), "own loop test loss 0.25", "its history is kept")
end)

T.case("the progress lines of regression runs give their test loss, not an accuracy of 0", function()
  local out, status = T.nnlab_run({ "run", path, "--out", reports, "--force", "--set", "case=none" },
                                  { NNLAB_CACHE = dir .. "/progress-cache" })
  T.eq(status, 0, out)
  T.truthy(out:find("lr=0%.1 seed 1: test loss [%d.e-]+ after 5 epochs"), "a run's line\n" .. out)
  T.eq(out:find("test acc", 1, true), nil, "no accuracy\n" .. out)
end)

T.case("an accuracy named for regression runs is an error at the user's line", function()
  for _, case in ipairs {
    { "table_acc", "lab.table: metrics: test_acc: these runs fit regression targets, which have no accuracy" },
    { "best_acc", "best: test_acc: these runs fit regression targets, which have no accuracy" },
    { "on_demand", "lab.sweep: seeds.metric: test_acc: this sweep fits regression targets, which have no accuracy" },
    -- a gap is a difference of two accuracies: a flat 0 pp
    { "table_gap", "lab.table: metrics: gap: these runs fit regression targets, which have no accuracy" },
    { "chart_gap", "lab.chart: y: gap: these runs fit regression targets, which have no accuracy" },
  } do
    local out, status = run(case[1])
    T.eq(status, 1, case[1] .. "\n" .. out)
    T.contains(out:match("^[^\n]*"), case[2], case[1])
    T.contains(out:match("^[^\n]*"), path .. ":", "at the user's file")
  end
end)

T.done()
