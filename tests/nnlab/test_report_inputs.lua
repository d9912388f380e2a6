-- The report renders everything the notebook API accepts, and what it would
-- get wrong is refused at the user's line (issue 13, findings 4, 5 and 11):
-- parameters named like statistics (std, mean) leave the statistics alone;
-- listed variations (the docs' own example, and ones that leave a key out),
-- a boolean x axis; lab.table/lab.chart options that cannot render; the
-- header's list of variations, schedule and normalisation; "1 seed"; false in
-- results.csv; lab.md with a nil value; a blank title; a file named `.lua`. Each case writes
-- a small experiment; the line marked `--<` is the one an error must name.
local T = require "testlib"
local E = require "fixtures.experiment"

local dir = T.tmpdir("report_inputs")
local reports = dir .. "/reports"

local function experiment(name, body) return E.write(dir, name, body) end

local function run(path)
  return T.nnlab_run({ "run", path, "--out", reports, "--quiet" },
                     { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
end

-- Runs a good experiment; returns its report (asserting exit status 0).
local function good_run(name, body)
  local path = experiment(name, body)
  local out, status = run(path)
  T.eq(status, 0, name .. " status\n" .. out)
  return T.read(("%s/%s.md"):format(reports, name)) or "", out
end

-- Runs a bad experiment: exit 1, a first line naming its marked line and
-- fragment, and no report written.
local function expect_error(name, body, fragment)
  local path, line = experiment(name, body)
  local out, status = run(path)
  E.expect_error_line(out, status, path, line, { fragment })
  T.eq(T.read(("%s/%s.md"):format(reports, name)), nil, "no report")
end

-- ---- finding 4: parameters apart from statistics ----------------------------------

local clash_std = [[
local by_std = lab.sweep { vary = { std = { 0.01, 1.0 } }, seeds = 3, epochs = 1, batch_size = 50, hidden = 8,
  train = train, test = test, model = function(p) local _ = p.std return model(p) end, optimizer = sgd }
lab.table(by_std, { metrics = { "test_acc" } })
for _, v in ipairs(by_std.variations) do -- the true mean ± std of the seeds, computed here
  local finals = {}
  for _, s in ipairs(v.seeds) do finals[#finals + 1] = s.history[#s.history].test_acc end
  lab.md("TRUE %s: %.2f ± %.2f %%", v.label, lab.stats.mean(finals), lab.stats.std(finals))
end
]]
local clash_mean = [[
local by_mean = lab.sweep { vary = { mean = { 1, 2 } }, seeds = 2, epochs = 2, batch_size = 50, train = train,
  test = test, optimizer = sgd,
  model = function(p) return model { hidden = p.mean == 1 and 32 or 1 } end }
lab.table(by_mean, { metrics = { "test_acc" } })
local best = by_mean:best()
lab.md("BEST mean=%s, measured %.2f", best.params.mean, best.mean)
]]

T.case("vary = { std = ... }: the table shows the seeds' true std, not the parameter", function()
  local md = good_run("clash_std", clash_std)
  for _, value in ipairs { "0.01", "1" } do
    local truth = md:match("TRUE std=" .. value:gsub("%.", "%%.") .. ": ([^\n]+)")
    T.truthy(truth, "the true value of std=" .. value .. "\n" .. md)
    T.contains(md, ("| %s | %s |"):format(value, truth), "the table row of std=" .. value)
  end
end)

T.case("vary = { mean = ... }: best and the table pick by measured accuracy", function()
  local md = good_run("clash_mean", clash_mean)
  T.contains(md, "BEST mean=1, measured", "best is hidden 32 (mean=1), not the larger parameter")
  T.truthy(md:find("| 1 | [%d.]+ ± [%d.]+ %% | %*%*best%*%* |"), "the table marks mean=1 best:\n" .. md)
end)

-- ---- finding 5: everything the API accepts renders ------------------------------------

T.case("listed variations (the docs' example and one without a key) render: header, table, charts", function()
  local md, out = good_run("listed", [[
local readme = lab.sweep { seeds = 2, epochs = 1, batch_size = 50, lr = 0.01, train = train, test = test,
  variations = { { hidden = 64, label = "narrow" }, { hidden = 256, lr = 0.1 } },
  model = model, optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
lab.table(readme)
lab.chart(readme)
lab.chart(readme, { x = "hidden" })
lab.chart(readme, { x = "lr" })
local gaps = lab.sweep { name = "gaps", seeds = 1, epochs = 1, batch_size = 50, train = train, test = test,
  variations = { { hidden = 8, label = "default lr" }, { hidden = 8, lr = 0.5 } },
  model = model, optimizer = function(p, params) return optim.SGD(params, { lr = p.lr or 0.05 }) end }
lab.table(gaps)
lab.chart(gaps, { x = "lr" })
]])
  T.truthy(not out:find("not drawn", 1, true), "every chart drawn\n" .. out)
  T.contains(md, "2 variations listed: narrow (`hidden` = 64); (`hidden` = 256, `lr` = 0.1); 2 seeds × 1 epoch",
             "a list is described as a list")
  T.truthy(not md:find("`lr` ∈", 1, true), "not as a grid")
  T.contains(md, "| default lr | 8 | – |", "a value the variation leaves out")
  T.contains(T.read(reports .. "/listed/fig4-test_acc-lr.gp") or "", "title 'default lr: no lr'",
             "a variation without x is in the key, saying so")
  for i = 1, 4 do
    T.truthy(md:find(("listed/fig%d%%-[%%w_]+%%-[%%w_]+%%.png"):format(i)), "chart " .. i .. " in the report")
  end
end)

T.case("a boolean on the x axis renders; false stays false in results.csv", function()
  local md = good_run("boolean", [[
local runs = lab.sweep { vary = { nesterov = { false, true } }, seeds = 1, epochs = 1, batch_size = 50, hidden = 8,
  train = train, test = test, model = model,
  optimizer = function(p, params) return optim.SGD(params, { lr = 0.1, momentum = 0.9, nesterov = p.nesterov }) end }
lab.chart(runs, { x = "nesterov" })
]])
  T.contains(md, "![final test accuracy against nesterov](boolean/fig1-test_acc-nesterov.png)", "drawn")
  T.contains(T.read(reports .. "/boolean/fig1-test_acc-nesterov.gp") or "", "set xtics ('false' 1, 'true' 2)", "tics")
  local csv = T.read(reports .. "/boolean/results.csv") or ""
  T.contains(csv, "nesterov,nesterov=false,false,1,1,", "false is written as false, not as an empty cell")
  T.contains(csv, "nesterov,nesterov=true,true,1,1,", "true")
end)

local SWEEP = [[
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_size = 50, train = train,
  test = test, model = model, optimizer = sgd }
]]

T.case("lab.table(runs, { metrics = {} }) is refused at the user's line", function()
  expect_error("no_metrics", SWEEP .. [[
lab.table(runs, { metrics = {} }) --<
]], "lab.table: metrics must list at least one metric")
end)

T.case("a metric the runs never measured is refused at lab.chart's and lab.table's line", function()
  expect_error("no_eval_chart", SWEEP .. [[
lab.chart(runs, { y = "train_eval_acc" }) --<
]], "lab.chart: y: no variation of these runs has a value of train_eval_acc " ..
    "(measured only when the sweep sets eval_train = true)")
  expect_error("no_eval_table", SWEEP .. [[
lab.table(runs, { metrics = { "test_acc", "train_eval_acc" } }) --<
]], "lab.table: metrics: no variation of these runs has a value of train_eval_acc")
end)

T.case("a grid table over listed variations that leave a key out or share a cell is refused", function()
  expect_error("gap_grid", [[
local runs = lab.sweep { seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, model = model,
  variations = { { hidden = 4, label = "default lr" }, { hidden = 8, lr = 0.5 } },
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr or 0.05 }) end }
lab.table(runs, { rows = "hidden", columns = "lr" }) --<
]], "lab.table: rows and columns need a value of hidden and lr in every variation: 'default lr' has no lr")
  expect_error("shared_cell", [[
local runs = lab.sweep { seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, model = model,
  variations = { { hidden = 4, lr = 0.1, label = "a" }, { hidden = 4, lr = 0.1, label = "b" }, { hidden = 8, lr = 0.2 } },
  optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
lab.table(runs, { rows = "hidden", columns = "lr" }) --<
]], "lab.table: rows and columns: 'a' and 'b' have the same hidden and lr, and a cell holds one variation")
end)

T.case("a grid table refuses the options of a list table, which it would ignore, and a compare never measured", function()
  local grid = [[
local runs = lab.sweep { vary = { hidden = { 4, 8 }, lr = { 0.1, 0.2 } }, seeds = 1, epochs = 1, batch_size = 50,
  train = train, test = test, model = model, optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
]]
  expect_error("grid_metrics", grid .. [[
lab.table(runs, { rows = "hidden", columns = "lr", metrics = { "test_loss" } }) --<
]], "lab.table: metrics goes with a list table; a grid (rows and columns) shows one metric = ...")
  -- compare picks a grid's best (valid_acc: on a validation split), so it must have been measured
  expect_error("grid_compare", grid .. [[
lab.table(runs, { rows = "hidden", columns = "lr", compare = "valid_acc" }) --<
]], "lab.table: compare: no variation of these runs has a value of valid_acc")
  expect_error("grid_top", grid .. [[
lab.table(runs, { rows = "hidden", columns = "lr", top = 1 }) --<
]], "lab.table: top goes with a list table")
end)

T.case("eval_train and diverge_factor of the wrong type are refused at the sweep's line, before training", function()
  expect_error("eval_train_yes", [[
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd, eval_train = "yes" }
]], "lab.sweep: eval_train must be true or false, got 'yes'")
  expect_error("diverge_big", [[
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd, diverge_factor = "big" }
]], "lab.sweep: diverge_factor must be a finite number > 1, got 'big'")
  expect_error("diverge_inf", [[
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = model, optimizer = sgd, diverge_factor = math.huge }
]], "lab.sweep: diverge_factor must be a finite number > 1, got inf")
end)

-- The caption had said "above 10×" whatever diverge_factor the sweep set,
-- and fit's rule for a run function's seeds; the chart against a
-- parameter keyed a variation of 1 diverged seed in 2 as wholly diverged.
T.case("the caption states the divergence rule the sweep used; the chart key counts diverged seeds", function()
  local md = good_run("diverge_rule", [[
local runs = lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test,
  model = model, optimizer = sgd, diverge_factor = 1e6 }
lab.table(runs)
local own = lab.sweep { name = "own", vary = { v = { 1, 2 } }, seeds = 2, train = train, test = test, run = function(p, ctx)
  local history = { { train_loss = 1, train_acc = 50, test_acc = 40 + p.v + ctx.seed } }
  history.diverged = p.v == 2 and ctx.seed == 1
  return history
end }
lab.table(own)
lab.chart(own, { x = "v" })
]])
  T.contains(md, "Diverged seeds (loss NaN/Inf or above 1000000× that of all-zero outputs)", "the sweep's factor")
  T.contains(md, "Diverged seeds (as the run function's history says, or a training loss NaN/Inf)",
             "a run function's rule")
  local script = T.run(("cat %s/diverge_rule/*.gp"):format(T.quote(reports)))
  T.contains(script, "v=2 (1/2 seeds diverged)", "the chart's key\n" .. script)
end)

T.case("seeds on demand with a misspelt metric is refused before any seed trains", function()
  expect_error("seeds_metric", [[
lab.sweep { vary = { hidden = { 4 } }, seeds = { min = 2, max = 4, metric = "tst_acc" }, epochs = 1, --<
  batch_size = 50, train = train, test = test, model = model, optimizer = sgd }
]], "lab.sweep: seeds.metric: unknown metric 'tst_acc'")
end)

T.case("top = 4 / 2 is 2 rows, as every whole-number option takes it", function()
  local md = good_run("top_float", [[
local runs = lab.sweep { vary = { hidden = { 4, 8, 12 } }, seeds = 1, epochs = 1, batch_size = 50, train = train,
  test = test, model = model, optimizer = sgd }
lab.table(runs, { top = 4 / 2 })
]])
  T.contains(md, "_The best 2 of 3 variations", "two rows, and a line for the rest")
end)

-- ---- finding 11: the report's smaller parts -------------------------------------------

T.case("the header names the schedule and the normalisation; one seed is '1 seed'", function()
  local md = good_run("schedule", [[
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 3, batch_size = 50, train = train,
  test = test, model = model, normalize = { mean = 0.286, std = 0.353 },
  optimizer = function(p, params)
    local opt = optim.SGD(params, { lr = 0.1 })
    return opt, optim.lr_scheduler.StepLR(opt, { step_size = 2, gamma = 0.5 })
  end }
lab.table(runs)
lab.chart(runs, { x = "hidden" })
]])
  T.contains(md, "StepLR(step_size=2, gamma=0.5): lr 0.1 (epochs 1–2), 0.05 (epoch 3)", "the schedule and its effect")
  T.contains(md, "normalized with mean 0.286, std 0.353", "the normalisation")
  T.contains(md, "1 seed × 3 epochs", "one seed, in the header")
  T.truthy(not md:find("1 seeds", 1, true), "never '1 seeds':\n" .. md)
  T.truthy(not (T.read(reports .. "/schedule/fig1-test_acc-hidden.gp") or ""):find("1 seeds", 1, true),
           "nor in the chart's key")
  local plain = good_run("plain_inputs", SWEEP .. "lab.table(runs)\n")
  T.contains(plain, "inputs ÷ 255, not normalized", "no normalisation, said so")
end)

T.case("a layer's setting reads as the engine keeps it: Dropout(0.9999999), not Dropout(1)", function()
  local md = good_run("dropout_text", [[
local runs = lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(784, p.hidden), nn.Dropout(0.9999999), nn.Linear(p.hidden, 10) } end,
  optimizer = sgd }
lab.table(runs)
]])
  T.contains(md, "Dropout(0.9999999)", "the header's model")
end)

T.case("NaN is no parameter value: refused at the sweep's line", function()
  expect_error("nan_value", [[
lab.sweep { vary = { hidden = { 4 }, lr = { 0/0 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, --<
  test = test, model = model, optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
]], "lab.sweep: vary.lr holds NaN; values must be numbers (not NaN), strings or booleans")
end)

T.case("lab.md with a nil or a table value, or a lone percent sign, is refused at the user's line", function()
  expect_error("md_nil", [[
local missing
lab.md("value: %s", missing) --<
]], "lab.md: value 1 for the pattern is nil")
  -- a table would print as its address, another on every run
  expect_error("md_table", [[
lab.md("best: %s", {}) --<
]], "lab.md: value 1 for the pattern is a table, which has no text (a summary row or verdict? give its .text")
  -- a percent sign before a Chinese comma: Lua's message would cut the character in two
  expect_error("md_percent", [[
lab.md("提高了 5%，最好的是 %s", "h=32") --<
]], "lab.md: a '%' not followed by a conversion (write %% for a percent sign)")
end)

T.case("a blank title is refused at the user's line: it would be a bare heading", function()
  expect_error("blank_title", [[
lab.title " \t " --<
]], "lab.title: the title is blank (leave lab.title out to use the file's name)")
end)

T.case("an experiment file named .lua is refused: its report would be reports/.md", function()
  local folder = T.tmpdir("report_inputs_dot")
  T.write(folder .. "/.lua", E.PRELUDE .. "lab.title 'x'\n")
  local out, status = T.nnlab_run({ "run", folder .. "/.lua", "--out", folder .. "/reports", "--quiet" },
                                  { NNLAB_CACHE = folder .. "/cache" })
  T.eq(status, 1, "status\n" .. out)
  local first = out:match("^[^\n]*")
  local title_line = select(2, E.PRELUDE:gsub("\n", "")) + 1
  T.contains(first, ("nnlab: %s/.lua:%d: "):format(folder, title_line), "at its first lab call")
  T.contains(first, "the experiment file needs a name before .lua: its report would be " .. folder .. "/reports/.md",
             "says why")
  T.eq(tonumber(T.run("ls -A " .. T.quote(folder .. "/reports") .. " 2>/dev/null | wc -l"):match("%d+")), 0,
       "nothing written into the reports folder")
end)

-- A commit renames OUT/NAME aside and removes it: a file there would be
-- deleted, a link replaced by a folder. Both are refused at the file's first
-- lab call, before anything trains, as the command's error (--out's, not the
-- line's), and again under the report's lock; a file that writes no report
-- runs as before.
T.case("a file or a symbolic link where the report folder goes is refused, and kept", function()
  local folder = T.tmpdir("report_inputs_target")
  local data = require("fixtures.bad.inputs").write_dataset(folder .. "/data")
  local out = folder .. "/reports"
  local path = T.marked_script(folder, "target", ([[
local lab = require "nnlab"
local late = lab.param("late", "")
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 10, train = train, test = test,
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(16, p.hidden), lab.nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
if late ~= "" then local f = assert(io.open(late, "w")) f:write("late\n") f:close() end
lab.table(runs)
]]):format(data, data))
  local function run_target(...)
    local argv = { "run", path, "--out", out, "--quiet", ... }
    return T.nnlab_run(argv, { NNLAB_CACHE = folder .. "/cache" })
  end
  os.execute("mkdir -p " .. T.quote(out))
  T.write(out .. "/target", "precious\n")
  -- the command's error (--out), before the file runs: no line of the file, no traceback
  local text, status = run_target()
  T.eq(status, 1, "exit status\n" .. text)
  T.eq(text, "nnlab: " .. out .. "/target exists and is not a report folder (a file): move it away, or give --out "
       .. "another folder\n", "one line, the command's")
  T.truthy(not text:find("trained", 1, true), "nothing trained\n" .. text)
  T.eq(T.read(out .. "/target"), "precious\n", "the file is kept")
  os.remove(out .. "/target")
  os.execute(("mkdir -p %s/elsewhere && ln -s %s/elsewhere %s/target"):format(T.quote(folder), T.quote(folder), T.quote(out)))
  text, status = run_target()
  T.eq(status, 1, "exit status\n" .. text)
  T.contains(text:match("^[^\n]*"), "nnlab: " .. out .. "/target is a symbolic link, not a report folder", "a link")
  T.eq(text:find("stack traceback", 1, true), nil, "no traceback\n" .. text)
  T.eq(T.run("readlink " .. T.quote(out .. "/target")), folder .. "/elsewhere\n", "the link is kept")
  os.remove(out .. "/target")
  -- a file that appears while the experiment runs: refused under the lock, before anything is removed
  text, status = run_target("--set", "late=" .. out .. "/target")
  T.eq(status, 1, "exit status\n" .. text)
  T.contains(text:match("^[^\n]*"), "nnlab: " .. out .. "/target exists and is not a report folder (a file)", "says why")
  T.eq(T.read(out .. "/target"), "late\n", "the file is kept")
  T.eq(T.read(out .. "/target.md"), nil, "no report")
  -- a file that calls no lab function writes no report: nothing to refuse
  T.write(out .. "/plain", "precious\n")
  local plain = folder .. "/plain.lua"
  T.write(plain, 'local lab = require "nnlab"\nprint(tostring(lab.nn.Sequential { lab.nn.Linear(2, 2) }):match("^%w+"))\n')
  text, status = T.nnlab_run({ "run", plain, "--out", out }, { NNLAB_CACHE = folder .. "/cache" })
  T.eq(status, 0, "a file without a report runs\n" .. text)
  T.contains(text, "Sequential", "its output")
  T.eq(T.read(out .. "/plain"), "precious\n", "the file is kept")
end)

-- A folder where the report folder goes is replaced whole by a commit: one
-- nnlab did not write (a data folder named like the experiment, .git) is
-- refused before anything trains and kept, file for file. An empty folder, a
-- marked report folder, and a report written before the mark (results.json
-- in it) are replaced.
T.case("a folder nnlab did not write where the report folder goes is refused, and kept", function()
  local folder = T.tmpdir("report_inputs_foreign_folder")
  local data = require("fixtures.bad.inputs").write_dataset(folder .. "/data")
  local out = folder .. "/reports"
  local path = T.marked_script(folder, "mine", ([[
local lab = require "nnlab"
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 10, train = train, test = test,
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(16, p.hidden), lab.nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
lab.table(runs)
]]):format(data, data))
  local function run_mine()
    return T.nnlab_run({ "run", path, "--out", out, "--quiet" }, { NNLAB_CACHE = folder .. "/cache" })
  end
  os.execute("mkdir -p " .. T.quote(out .. "/mine/sub"))
  T.write(out .. "/mine/mine.csv", "a,b,y\n1,2,0\n")
  T.write(out .. "/mine/sub/notes.txt", "precious\n")
  local text, status = run_mine()
  T.eq(status, 1, "exit status\n" .. text)
  T.eq(text, "nnlab: " .. out .. "/mine is a folder nnlab did not write (no .nnlab-report, results.json or charts "
       .. "in it): a report would replace it and delete what it holds; move it away, or give --out another folder\n",
       "one line, the command's")
  T.eq(T.read(out .. "/mine/mine.csv"), "a,b,y\n1,2,0\n", "its files are kept")
  T.eq(T.read(out .. "/mine/sub/notes.txt"), "precious\n", "and its subfolders'")
  T.eq(T.read(out .. "/mine.md"), nil, "no report")
  -- an empty folder is replaced, and the report folder carries the mark
  os.execute("rm -rf " .. T.quote(out .. "/mine") .. " && mkdir " .. T.quote(out .. "/mine"))
  text, status = run_mine()
  T.eq(status, 0, "an empty folder is replaced\n" .. text)
  T.truthy(T.read(out .. "/mine/.nnlab-report"), "the mark")
  T.truthy(T.read(out .. "/mine/results.json"), "the report")
  -- a report folder from before the mark: results.json tells it
  os.remove(out .. "/mine/.nnlab-report")
  text, status = run_mine()
  T.eq(status, 0, "a report without the mark is replaced\n" .. text)
  T.truthy(T.read(out .. "/mine/.nnlab-report"), "marked again")
end)

-- Two experiment files of one name in different folders would write one
-- report, each run replacing the other's: the second is refused before it
-- trains, with the first's report kept. The owner is read from the first
-- line of results.json, escapes and all (a folder named with a quote and a
-- backslash); once that file is gone (moved, renamed), its report is
-- replaced as before.
T.case("a report of another experiment file of the same name is refused, and kept", function()
  local folder = T.tmpdir("report_inputs_twins")
  local data = require("fixtures.bad.inputs").write_dataset(folder .. "/data")
  local out = folder .. "/reports"
  local text = ([[
local lab = require "nnlab"
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { hidden = { HIDDEN } }, seeds = 1, epochs = 1, batch_size = 10, train = train,
  test = test, model = function(p) return lab.nn.Sequential { lab.nn.Linear(16, p.hidden), lab.nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
lab.table(runs)
]]):format(data, data)
  local first_dir, second_dir = folder .. '/a "q\\', folder .. "/b"
  os.execute("mkdir -p " .. T.quote(first_dir) .. " " .. T.quote(second_dir))
  local first = T.marked_script(first_dir, "twin", (text:gsub("HIDDEN", "4")))
  local second = T.marked_script(second_dir, "twin", (text:gsub("HIDDEN", "5")))
  local function run(path)
    return T.nnlab_run({ "run", path, "--out", out, "--quiet" }, { NNLAB_CACHE = folder .. "/cache" })
  end
  local got, status = run(first)
  T.eq(status, 0, "the first file's report\n" .. got)
  local kept_md, kept_json = T.read(out .. "/twin.md"), T.read(out .. "/twin/results.json")
  got, status = run(second)
  T.eq(status, 1, "exit status\n" .. got)
  T.eq(got, ("nnlab: %s/twin is the report of %s, not of %s: two experiment files of one name would overwrite "
             .. "each other's report; give this one --out another folder, or remove %s/twin and %s/twin.md\n")
            :format(out, first, second, out, out), "one line, naming both files")
  T.eq(T.read(out .. "/twin.md"), kept_md, "the first file's report is kept")
  T.eq(T.read(out .. "/twin/results.json"), kept_json, "and its results")
  got, status = run(first)
  T.eq(status, 0, "the owner itself replaces its report\n" .. got)
  os.rename(first, first_dir .. "/moved.lua")
  got, status = run(second)
  T.eq(status, 0, "a report whose file is gone is replaced\n" .. got)
  T.contains(T.read(out .. "/twin/results.json"), '{"experiment": "' .. second .. '"', "now the second's")
  -- relative paths, as `nnlab run experiments/x.lua` from a project's folder writes them: the same
  -- file run from another folder replaces its report; another file of that name there does not
  local project = folder .. "/project"
  os.execute("mkdir -p " .. T.quote(project .. "/sub"))
  T.write(project .. "/twin.lua", (text:gsub("HIDDEN", "4")))
  T.write(project .. "/sub/twin.lua", (text:gsub("HIDDEN", "5")))
  local function run_in(where, path, reports)
    return T.nnlab_run({ "run", path, "--out", reports or project .. "/reports", "--quiet" },
                       { NNLAB_CACHE = folder .. "/cache" }, "cd " .. T.quote(where))
  end
  got, status = run_in(project, "twin.lua")
  T.eq(status, 0, "from the project's folder\n" .. got)
  got, status = run_in(project .. "/sub", "../twin.lua")
  T.eq(status, 0, "the same file from another folder replaces its report\n" .. got)
  got, status = run_in(project .. "/sub", "twin.lua")
  T.eq(status, 1, "another file of that name from that folder is refused\n" .. got)
  T.contains(got, "/reports/twin is the report of ../twin.lua, not of twin.lua", "naming both as given")
  -- a reports folder that is a link: its folder is where the link stands, not where it points
  local linked = folder .. "/linked"
  os.execute(("mkdir -p %s/sub %s/store/reports && ln -s ../store/reports %s/reports"):format(
    T.quote(linked), T.quote(folder), T.quote(linked)))
  T.write(linked .. "/twin.lua", (text:gsub("HIDDEN", "4")))
  T.write(linked .. "/sub/twin.lua", (text:gsub("HIDDEN", "5")))
  got, status = run_in(linked, "twin.lua", linked .. "/reports")
  T.eq(status, 0, "into a linked reports folder\n" .. got)
  got, status = run_in(linked .. "/sub", "../twin.lua", linked .. "/reports")
  T.eq(status, 0, "the same file from a subfolder, through the link\n" .. got)
end)

T.done()
