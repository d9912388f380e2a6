-- What a report makes of results at the edges (docs/notebook.md): a NaN
-- mean (a run function's 0/0) ranks after every number in a table's top and
-- among an epoch chart's best lines; results.csv has each valid_* and
-- train_eval_* column that any row measured; a history's gap column is one
-- kind, named; a history's metric measured before its last epoch only can
-- be tabled and charted; seconds per epoch include the evaluation passes;
-- seeds on demand by a metric that cannot decide anything, or a metric
-- listed twice once gap resolves, are errors at the user's line. Each case
-- writes a small experiment of run functions (milliseconds a run); the line
-- marked `--<` is the one an error must name.
local T = require "testlib"
local E = require "fixtures.experiment"

local dir = T.tmpdir("report_edges")
local reports = dir .. "/reports"

local PRELUDE = [[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local ds = data.generate(120, function(i, rng) return { rng:random(), rng:random() }, (i - 1) % 2 end,
                         { seed = 1, classes = 2 })
local train, test = ds:split(80, { seed = 1 })
]]

local function run(path)
  return T.nnlab_run({ "run", path, "--out", reports, "--quiet", "-j", "1" },
                     { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
end

local function expect_error(name, body, ...)
  local path, line = T.marked_script(dir, name, PRELUDE .. body)
  local out, status = run(path)
  E.expect_error_line(out, status, path, line, { ... })
  T.eq(T.read(("%s/%s.md"):format(reports, name)), nil, "no report")
end

-- Runs a good experiment; returns its report and output (asserting exit status 0).
local function good_run(name, body)
  local path = T.marked_script(dir, name, PRELUDE .. body)
  local out, status = run(path)
  T.eq(status, 0, name .. " status\n" .. out)
  return T.read(("%s/%s.md"):format(reports, name)) or ""
end

-- The rows of each table whose header starts "| a |", by table.
local function table_rows(md)
  local tables = {}
  for block in md:gmatch("| a |[^\n]*\n|[^\n]*\n(.-)\n\n") do
    local rows = {}
    for row in block:gmatch("[^\n]+") do rows[#rows + 1] = row end
    tables[#tables + 1] = rows
  end
  return tables
end

T.case("a NaN mean ranks after every number: a table's top keeps the best, best first", function()
  local md = good_run("ranked", [[
local acc = { 50, 0 / 0, 90, 60 }
local runs = lab.sweep { vary = { a = { 1, 2, 3, 4 } }, seeds = 2, epochs = 1, train = train, test = test,
  run = function(p, ctx)
    return { { epoch = 1, train_loss = 1, train_acc = 50, test_acc = acc[p.a] + ctx.seed, test_loss = 1 } }
  end }
lab.table(runs, { top = 2 })
lab.table(runs, { top = 3 })
lab.table(runs, { top = false })
]])
  local tables = table_rows(md)
  local top2 = tables[1] or {}
  T.eq(#top2, 2, "two rows\n" .. md)
  T.contains(top2[1], "| 3 | 91.50 ± 0.71 %", "the best first")
  T.contains(top2[1], "**best**", "marked best")
  T.contains(top2[2], "| 4 | 61.50 ± 0.71 %", "then the second")
  T.contains(tables[2][3], "| 1 | 51.50", "the third is a number, not the NaN")
  T.contains(tables[3][2], "| 2 | NaN ± NaN %", "every row: the NaN one in its place")
end)

T.case("a NaN cell says no amount; one other row is in the singular", function()
  local md = T.read(reports .. "/ranked.md") or ""
  T.contains(md, "the other 1 is in", "one other, in the singular")
  T.eq(md:find("%f[%w]%-?nan%f[%W]"), nil, "no C 'nan'/'-nan' in any cell\n" .. md)
end)

T.case("an epoch chart of many lines keeps the best 6 numbers; NaN lines go to the band", function()
  good_run("many_lines", [[
local runs = lab.sweep { vary = { a = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 } }, seeds = 2,
  epochs = 2, train = train, test = test,
  run = function(p, ctx)
    local v = (p.a % 3 == 0) and 0 / 0 or 40 + p.a + ctx.seed
    return { { epoch = 1, train_loss = 1, train_acc = 50, test_acc = v, test_loss = 1 },
             { epoch = 2, train_loss = 1, train_acc = 50, test_acc = v, test_loss = 1 } }
  end }
lab.chart(runs)
]])
  local dat = T.read(reports .. "/many_lines/fig1-test_acc-epoch.dat") or ""
  local drawn = {}
  for name in dat:gmatch("\n# (a=%d+)\n") do drawn[#drawn + 1] = name end
  T.eq(table.concat(drawn, " "), "a=14 a=13 a=11 a=10 a=8 a=7", "the best six by their last value\n" .. dat)
end)

-- seed 1 measures neither validation nor eval mode; seed 2 valid_loss (no
-- valid_acc) and train_eval_acc from epoch 2 on; every epoch 1 s of
-- training and 2 s of evaluation
local COLUMNS = [[
local runs = lab.sweep { vary = { a = { 1, 2 } }, seeds = 2, epochs = 2, train = train, test = test,
  run = function(p, ctx)
    local hs = {}
    for e = 1, 2 do
      hs[e] = { epoch = e, train_loss = 1, train_acc = 50, test_acc = 40 + p.a, test_loss = 1, seconds = 1,
                eval_seconds = 2 }
      if ctx.seed == 2 and e == 2 then hs[e].valid_loss, hs[e].train_eval_acc = 0.5, 60 end
    end
    return hs
  end }
lab.chart(runs, { y = "seconds" })
]]

T.case("results.csv has each valid_* and train_eval_* column some row measured, and only those", function()
  good_run("columns", COLUMNS)
  local head = (T.read(reports .. "/columns/results.csv") or ""):match("^[^\n]*")
  T.contains(head, ",epoch_lr,train_eval_acc,valid_loss,diverged", "the header")
  T.eq(head:find("valid_acc", 1, true), nil, "no valid_acc column: nothing measured it")
  T.eq(head:find("train_eval_loss", 1, true), nil, "no train_eval_loss column")
  T.contains(T.read(reports .. "/columns/results.json") or "", '"valid_loss": 0.5', "results.json has the values too")
end)

T.case("seconds per epoch on a chart include the evaluation passes, as in tables", function()
  local dat = T.read(reports .. "/columns/fig1-seconds-epoch.dat") or ""
  T.contains(dat, "\n1 3 0 2\n", "epoch 1: 1 s training + 2 s evaluation\n" .. dat)
  T.contains(dat, "\n2 3 0 2\n", "epoch 2")
end)

T.case("a key without points names the metric for people and leaves where's values out", function()
  good_run("where_key", [[
local runs = lab.sweep { vary = { a = { 1, 2 }, b = { 1, 2 } }, seeds = 2, epochs = 1, train = train, test = test,
  run = function(p, ctx)
    local h = { epoch = 1, train_loss = 1, train_acc = 50 + ctx.seed, test_acc = 40 + p.a + p.b, test_loss = 1 }
    if p.b == 1 then h.train_eval_acc = 70 + ctx.seed end
    return { h }
  end }
lab.chart(runs, { y = { "gap_eval", "gap_running" }, x = "b", where = { a = 1 } })
]])
  local gp = T.read(reports .. "/where_key/fig1-gap_eval-gap_running-b.gp") or ""
  T.contains(gp, "'b=2: no train–test gap (eval) measured'", "the key\n" .. gp)
end)

local HISTORY = [[
local h = { { train_acc = 50, test_acc = 40, train_loss = 1 },
            { train_acc = 60, test_acc = 45, train_eval_acc = 70, train_loss = 1 },
            { train_acc = 62, test_acc = 46, train_loss = 1 } }
]]

T.case("a history's gap column is one kind, named, as its chart's", function()
  local md = good_run("history_gap", HISTORY .. [[
lab.table(h, { metrics = { "gap" } })
]])
  T.contains(md, "| epoch | train–test gap (running) |", "named")
  T.contains(md, "| 2 | 15.00 pp |", "epoch 2: running accuracy 60 − 45, not the eval 70 − 45")
  T.contains(md, "Train–test gap (running): the running training accuracy of the epoch's batches",
             "the caption says which")
end)

T.case("a history's metric measured before its last epoch only is tabled and charted", function()
  local md = good_run("history_early", HISTORY .. [[
lab.table(h, { metrics = { "train_eval_acc" } })
lab.chart(h, { y = "train_eval_acc" })
]])
  T.contains(md, "| epoch | train accuracy (eval) |\n|---|--:|\n| 1 | – |\n| 2 | 70.00 % |\n| 3 | – |",
             "train_eval_acc, measured in epoch 2 only")
  T.truthy(T.read(reports .. "/history_early/fig1-train_eval_acc-epoch.dat"), "and its chart")
end)

T.case("seeds on demand by a setting or by a metric the sweep cannot measure are refused at the sweep's line", function()
  expect_error("seeds_lr", [[
local runs = lab.sweep { vary = { a = { 1, 2 } }, seeds = { min = 2, max = 4, metric = "lr" }, epochs = 1, --<
  train = train, test = test,
  run = function(p, ctx) return { { train_loss = 1, train_acc = 50, test_acc = 40 + p.a + ctx.seed, lr = 0.1 } } end }
]], "lab.sweep: seeds.metric: lr is a setting, not a result")
  expect_error("seeds_valid", [[
local runs = lab.sweep { vary = { hidden = { 2, 4 } }, seeds = { min = 2, max = 4, metric = "valid_acc" }, --<
  epochs = 1, batch_size = 10, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(2, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 2) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end }
]], "lab.sweep: seeds.metric: valid_acc needs a validation split (valid = ...)")
  expect_error("seeds_custom", [[
local runs = lab.sweep { vary = { a = { 1, 2 } }, seeds = { min = 2, max = 4, metric = "valid_acc" }, epochs = 1, --<
  train = train, test = test,
  run = function(p, ctx) return { { train_loss = 1, train_acc = 50, test_acc = 40 + p.a + ctx.seed } } end }
]], "lab.sweep: seeds.metric: no run of this sweep has a value of valid_acc")
end)

T.case("gap and the kind it stands for, listed together, are one metric listed twice", function()
  local sweep = [[
local runs = lab.sweep { vary = { a = { 1, 2 } }, seeds = 2, epochs = 1, train = train, test = test,
  run = function(p, ctx) return { { train_loss = 1, train_acc = 50, test_acc = 40 + p.a + ctx.seed } } end }
]]
  expect_error("twice_chart", sweep .. [[
lab.chart(runs, { y = { "gap", "gap_running" } }) --<
]], "lab.chart: y lists gap_running twice (gap is gap_running for these runs)")
  expect_error("twice_table", sweep .. [[
lab.table(runs, { metrics = { "gap_running", "gap" } }) --<
]], "lab.table: metrics lists gap_running twice")
end)

T.case("a history's metric it never measured is refused, in words about a history", function()
  expect_error("history_metric", [[
lab.table({ { train_acc = 50, test_acc = 40, train_loss = 1 } }, { metrics = { "valid_acc" } }) --<
]], "lab.table: metrics: no epoch of this history has a value of valid_acc")
end)

-- The header's sweep row gives a varied batch size and epoch count as
-- ranges, not the first variation's as the sweep's.
T.case("a sweep that varies its batch size and epochs gives their ranges in the header", function()
  local path = T.marked_script(dir, "ranges", PRELUDE .. [[
local runs = lab.sweep { vary = { batch_size = { 8, 16 }, epochs = { 1, 2 } }, seeds = 1, train = train, test = test,
  model = function() return nn.Sequential { nn.Linear(2, 2) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end }
lab.table(runs)
]])
  local out, status = run(path)
  T.eq(status, 0, out)
  local row = T.read(reports .. "/ranges.md"):match("\n| Sweep [^\n]*")
  T.contains(row or "", "1 seed × 1 to 2 epochs, batch 8–16; first variation", "the ranges\n" .. tostring(row))
end)

-- A legal file name of 240 bytes: its report's temporary name
-- (.NAME.tmpHOST.PID) passed NAME_MAX and the write failed, "File name too long".
-- The other names beside a report grow with it too (.NAME.lock,
-- .NAME.staging, .NAME.old.html, the longest): past 245 bytes the name is
-- refused in one line, and up to it a run and a re-run with --html work.
T.case("an experiment name of 245 bytes writes and rewrites its report; one of 246 is refused", function()
  local body = PRELUDE .. [[
lab.sweep { vary = { h = { 1 } }, seeds = 1, epochs = 1, train = train, test = test, --<
  run = function() return { { train_loss = 1, train_acc = 50, test_acc = 50 } } end }
]]
  local name = string.rep("n", 245)
  local path = T.marked_script(dir, name, body)
  for round = 1, 2 do
    local out, status = T.nnlab_run({ "run", path, "--out", reports, "--quiet", "-j", "1", "--html" },
                                    { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
    T.eq(status, 0, ("round %d\n"):format(round) .. out)
  end
  T.truthy(T.read(reports .. "/" .. name .. ".md"), "the report is written")
  T.truthy(T.read(reports .. "/" .. name .. ".html"), "and its page")
  local longer, line = T.marked_script(dir, name .. "m", body)
  local out, status = run(longer)
  T.eq(status, 1, out)
  T.eq(out:match("^[^\n]*"), ("nnlab: %s:%d: the experiment's name is 246 bytes long: the files nnlab writes beside "
                              .. "its report (.NAME.old.html) need 10 more, past the 255 bytes a file name may have; keep "
                              .. "it to 245"):format(longer, line), "refused in one line")
  local files = require "nnlab.files"
  local long = files.temp_name("/x/" .. name .. ".md", 123456)
  T.truthy(#long:match("[^/]*$") <= 255, "a temporary name within NAME_MAX: " .. #long)
  T.truthy(long ~= files.temp_name("/x/" .. name .. "x.md", 123456), "distinct for names alike in their first 100 bytes")
end)

T.done()
