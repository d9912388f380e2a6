-- The notebook features behind the review experiments, end to end on a tiny
-- fixture: lab.require, eval_train and the gap metric, grid tables, charts
-- restricted with `where`, lab.md's indentation with multi-line values.
local T = require "testlib"
local H = require "fixtures.notebook.helpers"

-- One run of the fixture, whose report the cases read.
local dir = T.tmpdir("notebook_grid")
local out, status = H.run(dir, "grid.lua", { "-j", "2" })
local md = T.read(dir .. "/reports/grid.md")

T.case("the grid fixture runs, training its 8 runs", function()
  T.eq(status, 0, "status\n" .. out)
  H.expect_counts(out, 8, 8, "grid")
end)

T.case("lab.require loads a module beside the file once; a missing one is a clear error", function()
  T.contains(md, "loaded once: true", "lab.require caches the module")
  T.contains(md, "missing module: " .. H.fixtures .. "grid.lua:29: lab.require: no module 'shared.missing' beside",
             "missing module named, at the user's pcall line")
  T.contains(md, "tests/nnlab/fixtures/notebook/shared/missing.lua)", "the path it looked for")
end)

T.case("lab.md drops the pattern's indentation and keeps a multi-line value's", function()
  T.contains(md, "\n```\nline one\n  line two\n```\n", "multi-line value keeps its indentation")
end)

T.case("a grid table: rows lr, columns hidden, the best cell in bold, the best row per column", function()
  T.contains(md, "| lr \\ hidden | hidden = 8 | hidden = 16 |", "grid header")
  T.truthy(md:find("\n| 0.05 | [%d.]+ ± [%d.]+ %% | [%d.]+ ± [%d.]+ %% |"), "grid row for lr 0.05")
  T.truthy(md:find("| **[%d.]+ ± [%d.]+ %%** |") or md:find("| %*%*[%d.]+ ± [%d.]+ %%%*%* |"), "best cell in bold")
  T.truthy(md:find("Best lr for each hidden: hidden = 8 → lr = [%d.]+; hidden = 16 → lr = [%d.]+%._"), "best per column")
end)

T.case("eval_train: training accuracy in eval mode and the gap in percentage points, in table and CSV", function()
  T.contains(md, "| hidden | lr | test accuracy | train accuracy (eval) | train–test gap (eval) |", "gap table header: its kind")
  T.truthy(md:find("| 8 | 0.05 | [%d.]+ ± [%d.]+ %% | [%d.]+ ± [%d.]+ %% | %-?[%d.]+ ± [%d.]+ pp |"), "gap row")
  T.contains(md, "accuracy on the training set (eval mode", "gap caption says how it was measured")
  local csv = H.lines(dir .. "/reports/grid/results.csv")
  T.eq(csv[1], "sweep,variation,hidden,lr,seed,epoch,train_loss,train_acc,test_loss,test_acc,epoch_lr," ..
               "train_eval_loss,train_eval_acc,diverged", "CSV with train_eval columns")
  T.truthy(csv[2]:find(",[%d.]+,[%d.]+,false$"), "train_eval values in the CSV: " .. csv[2])
  T.truthy(md:find("verdict: %a+"), "runs:verdict on the gap")
end)

T.case("a chart's `where` keeps only the matching variations, named by what varies", function()
  local gp = T.read(dir .. "/reports/grid/fig1-gap-epoch.gp")
  T.contains(gp, "title 'hidden=8'", "where: the line is named by what varies")
  T.truthy(not gp:find("lr=0.05", 1, true), "where: other variations left out")
  T.contains(T.read(dir .. "/reports/grid/fig2-test_acc-hidden.gp"), "test accuracy (mean ± std over 2 seeds)",
             "where: one line against hidden")
  H.expect_png(dir .. "/reports/grid/fig1-gap-epoch.png", 5000)
end)

-- A sweep with a validation split whose variations measured the training set
-- in eval mode or not: a gap column is one kind for every row, the grid picks
-- its best on validation when told, and the files hold the validation metrics.
T.write(dir .. "/valid_grid.lua", [[
local lab = require "nnlab"
lab.title "valid grid" lab.language "en"
local full = lab.data.load("fashion-mnist", { subset = 700 })
local train, valid = full:split(100, { seed = 1 })
local test = lab.data.load("fashion-mnist", { train = false, subset = 200 })
local runs = lab.sweep { seeds = 2, epochs = 1, batch_size = 50, train = train, valid = valid, test = test,
  variations = { { hidden = 8, lr = 0.05, eval_train = true }, { hidden = 16, lr = 0.05 },
                 { hidden = 8, lr = 0.2, eval_train = true }, { hidden = 16, lr = 0.2 } },
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(784, p.hidden), lab.nn.ReLU(), lab.nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return lab.optim.SGD(params, { lr = p.lr }) end }
lab.table(runs, { metrics = { "test_acc", "gap", "gap_eval" }, compare = "test_acc" })
local grid = lab.sweep { name = "grid", vary = { hidden = { 8, 16 }, lr = { 0.05, 0.2 } }, seeds = 2, epochs = 1,
  batch_size = 50, train = train, valid = valid, test = test,
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(784, p.hidden), lab.nn.ReLU(), lab.nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return lab.optim.SGD(params, { lr = p.lr }) end }
lab.table(grid, { rows = "lr", columns = "hidden", compare = "valid_acc" })
]])
local valid_out, valid_status = T.nnlab_run({ "run", dir .. "/valid_grid.lua", "--out", dir .. "/valid" },
                                            { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
local valid_md = T.read(dir .. "/valid/valid_grid.md") or ""

T.case("a gap column over variations with and without eval_train shows one kind of gap, and says which", function()
  T.eq(valid_status, 0, "status\n" .. valid_out)
  T.contains(valid_md, "| train–test gap (running) | train–test gap (eval) |", "one column per kind")
  T.contains(valid_md, "Train–test gap (running): the running training accuracy", "the running kind's caption")
  T.contains(valid_md, "Train–test gap (eval): accuracy on the training set", "the eval kind's caption")
  -- every row's running gap is its train_acc - test_acc (the mean over its two seeds)
  local csv = H.lines(dir .. "/valid/valid_grid/results.csv")
  local sums, rows = {}, 0
  for i = 2, #csv do
    local hidden, lr, train_acc, test_acc =
      csv[i]:match('^eval_train × hidden × lr,"[^"]*",[^,]*,([^,]*),([^,]*),[^,]*,[^,]*,[^,]*,([^,]*),[^,]*,([^,]*),')
    if hidden then
      local key = hidden .. " | " .. lr
      sums[key] = (sums[key] or 0) + (tonumber(train_acc) - tonumber(test_acc)) / 2
    end
  end
  for key, gap in pairs(sums) do
    local shown = valid_md:match("\n| [^|]* | " .. key:gsub("%.", "%%.") .. " | [^|]* | (%-?[%d.]+) ± ")
    T.eq(shown, ("%.2f"):format(gap), key .. ": the running gap")
    rows = rows + 1
  end
  T.eq(rows, 4, "rows checked")
end)

T.case("a grid picks its best by compare (valid_acc) and says so; the files hold the validation metrics", function()
  T.contains(valid_md, "the best is picked by validation accuracy, not by the values shown", "the grid's caption")
  local csv = H.lines(dir .. "/valid/valid_grid/results.csv")
  T.truthy(csv[1]:find(",train_eval_loss,train_eval_acc,valid_loss,valid_acc,diverged$"), "CSV header: " .. csv[1])
  T.truthy(T.read(dir .. "/valid/valid_grid/results.json"):find('"valid_acc": [%d.]+'), "valid_acc in results.json")
end)

-- argument errors at the user's level
T.write(dir .. "/bad_grid.lua", [[
local lab = require "nnlab"
local which = lab.param("which", "rows")
local train = lab.data.load("fashion-mnist", { subset = 100 })
local test = lab.data.load("fashion-mnist", { train = false, subset = 100 })
local runs = lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test,
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(784, p.hidden), lab.nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
if which == "rows" then lab.table(runs, { rows = "hidden", columns = "lr" }) end
if which == "where" then lab.chart(runs, { where = { lr = 0.1 } }) end
if which == "none" then lab.chart(runs, { where = { hidden = 5 } }) end
]])
-- { which, what is wrong, the first line }
for _, case in ipairs {
  { "rows", "lab.table with rows and columns over a one-key sweep",
    "bad_grid.lua:8: lab.table: rows and columns need a sweep that varies exactly two parameters (this one varies: hidden)" },
  { "where", "lab.chart where on a key that is not varied",
    "bad_grid.lua:9: lab.chart: where.lr: not a varied parameter (hidden)" },
  { "none", "lab.chart where that matches no variation", "bad_grid.lua:10: lab.chart: where matches no variation" },
} do
  local which, needle = case[1], case[3]
  T.case(case[2] .. " is an error at the user's line", function()
    local bad_out, bad_status = T.nnlab_run({ "run", dir .. "/bad_grid.lua", "--out", dir .. "/bad", "--set",
                                              "which=" .. which },
                                            { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
    T.eq(bad_status, 1, which .. " status")
    T.contains(bad_out, needle, which)
  end)
end

T.done()
