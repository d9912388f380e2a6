-- Your own data in the notebook (issue 11): lab.sweep over a data.generate
-- dataset (3 blobs, 2 features), a CSV file and a sweep that varies a
-- transform; the report names the data; the cache keys hold the data's
-- content and view: an unchanged re-run trains nothing, a changed CSV row
-- retrains exactly the CSV sweep, another split seed exactly the blobs sweeps,
-- and each transform variation is its own run. A model that does not fit the
-- data is refused at the sweep's line before anything trains, and so are a
-- test set whose classes are numbered in another order than the train set's,
-- a test CSV whose one text label ('NA') names every class beside a numbered
-- train set, and regression targets beside class labels.
local T = require "testlib"

local dir = T.tmpdir("own_data_sweep")
local cache, reports = dir .. "/cache", dir .. "/reports"
local csv = dir .. "/tabular.csv"

local NOTEBOOK = [[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local csv_path = lab.param("csv", "")
local split_seed = lab.param("split_seed", 1)
local case = lab.param("case", "none")
local noise_std = lab.param("noise_std", 0.3)
lab.title "Own data"
local blobs = data.generate(300, function(i, rng)
  local c = (i - 1) % 3
  return { c * 3 + rng:normal() * 0.5, (c == 1 and 3 or 0) + rng:normal() * 0.5 }, c
end, { seed = 1, classes = { "left", "top", "right" }, name = "blobs" })
local b_train, b_test = blobs:split(60, { seed = split_seed, stratify = true })
local function mlp(inputs, classes)
  return function(p) return nn.Sequential { nn.Linear(inputs, p.hidden), nn.ReLU(), nn.Linear(p.hidden, classes) } end
end
local function sgd(_, params) return optim.SGD(params, { lr = 0.1 }) end
local g = lab.sweep { name = "blobs", vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_size = 20,
                      train = b_train, test = b_test, model = mlp(2, 3), optimizer = sgd }
lab.table(g)
local tab = data.csv(csv_path, { name = "tabular", classes = { "no", "yes" } })
local c_train, c_test = tab:split(20, { seed = 3 })
if case == "swapped" then c_test = data.csv(csv_path, { name = "tabular", classes = { "yes", "no" } }):head(20) end
if case == "apart" then c_test = data.csv(csv_path .. ".apart.csv", { name = "tabular", classes = { "no", "yes" } }) end
if case == "stray" then c_train, c_test = data.csv(csv_path .. ".num.csv"), data.csv(csv_path .. ".na.csv") end
if case == "regression" then
  c_train, c_test = data.csv(csv_path .. ".num.csv", { regression = true }), data.csv(csv_path .. ".num.csv")
end
local c = lab.sweep { name = "csv", vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_size = 10, --<
                      train = c_train, test = c_test, model = mlp(case == "mismatch" and 5 or 3, 2), optimizer = sgd,
                      transform = case == "flip" and data.RandomHorizontalFlip(0.5)
                                  or case == "norm" and data.Normalize({ 0, 0 }, { 1, 1 }) or nil }
lab.table(c)
local a = lab.sweep { name = "aug", vary = { aug = { "none", "noise" } }, seeds = 1, epochs = 1, batch_size = 20,
                      hidden = 4, train = b_train, test = b_test, model = mlp(2, 3), optimizer = sgd,
                      transform = function(p) return p.aug == "noise" and data.GaussianNoise(noise_std) or nil end }
lab.table(a)
]]
local notebook, sweep_line = T.marked_script(dir, "own", NOTEBOOK)

-- 100 rows of 3 features, labelled yes when a + b > 0 (a fixed LCG, no randomness).
local function csv_text(changed_row)
  local rows, state = { "a,b,c,label" }, 12345
  local function u()
    state = (state * 1103515245 + 12345) % 2147483648
    return math.floor(state / 2147483648 * 2000 - 1000) / 1000
  end
  for i = 1, 100 do
    local a, b, c = u(), u(), u()
    if i == changed_row then c = c + 0.5 end
    rows[#rows + 1] = ("%g,%g,%g,%s"):format(a, b, c, a + b > 0 and "yes" or "no")
  end
  return table.concat(rows, "\n") .. "\n"
end

local function run(args)
  local argv = { "run", notebook, "--out", reports, "--set", "csv=" .. csv }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  return T.nnlab_run(argv, { NNLAB_CACHE = cache, NNLAB_OFFLINE = "1" })
end

-- Runs trained per sweep: { blobs = n, csv = n, aug = n } from nnlab's lines
-- "own: NAME: 2 runs, 2 to train (...)" / "own: NAME: 2 runs, all from cache".
local function trained(out)
  local got = {}
  for _, name in ipairs { "blobs", "csv", "aug" } do
    local runs, rest = out:match("own: " .. name .. ": (%d+) runs, ([^\n]*)")
    T.truthy(runs, "a line for the sweep " .. name .. "\n" .. out)
    T.eq(tonumber(runs), 2, name .. ": runs")
    got[name] = rest:find("^all from cache") and 0 or tonumber(rest:match("^(%d+) to train"))
  end
  return got
end

local function expect_trained(out, want, what)
  local got = trained(out)
  for name, n in pairs(want) do T.eq(got[name], n, what .. ": runs trained of sweep " .. name .. "\n" .. out) end
end

local function cache_entries() return tonumber(T.run("ls " .. T.quote(cache) .. " | grep -c '\\.lua$'"):match("%d+")) end

T.write(csv, csv_text())
-- the same rows labelled 1 and 0; then with one label 'NA', which makes every label of that file a name
local numbered = csv_text():gsub(",yes\n", ",1\n"):gsub(",no\n", ",0\n")
T.write(csv .. ".num.csv", numbered)
T.write(csv .. ".na.csv", (numbered:gsub(",1\n", ",NA\n", 1)))
T.write(csv .. ".apart.csv", csv_text(7))

T.case("a sweep over generated and CSV data runs and its report names the data", function()
  local out, status = run()
  T.eq(status, 0, "status\n" .. out)
  expect_trained(out, { blobs = 2, csv = 2, aug = 2 }, "first run")
  T.contains(out, "own: 6 runs, 6 trained, 0 from cache", "the total")
  local report = T.read(reports .. "/own.md")
  T.truthy(report, "the report is written")
  T.contains(report, "blobs (`blobs`, generated in Lua (data.generate, seed 1)): 240 training / 60 test samples, "
             .. "2 features, 3 classes (left 80, top 80, right 80)", "the generated data")
  T.contains(report, "tabular (`tabular`, read from the CSV file " .. csv .. "): 80 training / 20 test samples, "
             .. "3 features, 2 classes (no ", "the CSV data")
  T.contains(report, "Sweep aug", "the transform sweep")
  T.eq(cache_entries(), 6, "one cache entry per run: the two transform variations have distinct keys")
end)

T.case("an unchanged re-run trains nothing", function()
  local out, status = run()
  T.eq(status, 0, "status\n" .. out)
  expect_trained(out, { blobs = 0, csv = 0, aug = 0 }, "re-run")
  T.contains(out, "own: 6 runs, 0 trained, 6 from cache", "the total")
end)

T.case("one changed CSV row retrains exactly the CSV sweep", function()
  T.write(csv, csv_text(57))
  local out, status = run()
  T.eq(status, 0, "status\n" .. out)
  expect_trained(out, { blobs = 0, csv = 2, aug = 0 }, "changed row")
  T.eq(cache_entries(), 8, "two new entries")
  out = run()
  expect_trained(out, { blobs = 0, csv = 0, aug = 0 }, "after the changed row")
  T.write(csv, csv_text())
  out = run()
  expect_trained(out, { blobs = 0, csv = 0, aug = 0 }, "the original file again comes from the cache")
end)

T.case("a split with another seed retrains the sweeps on that split only", function()
  local out, status = run { "--set", "split_seed=2" }
  T.eq(status, 0, "status\n" .. out)
  expect_trained(out, { blobs = 2, csv = 0, aug = 2 }, "split seed 2")
  out = run()
  expect_trained(out, { blobs = 0, csv = 0, aug = 0 }, "split seed 1 again")
end)

T.case("the transform is part of the cache key: another noise level retrains only the noisy variation", function()
  local out, status = run { "--set", "noise_std=0.5" }
  T.eq(status, 0, "status\n" .. out)
  expect_trained(out, { blobs = 0, csv = 0, aug = 1 }, "noise 0.5")
  T.contains(out, "aug=noise seed 1: training", "the noisy variation trains")
  T.truthy(not out:find("aug=none seed 1: training", 1, true), "the plain variation comes from the cache")
end)

-- Runs with --set case=CASE: exit status 1, a first line at the CSV sweep's
-- line that contains message (what: the check's name), and no cache entry.
local function refused_at_sweep(case, message, what)
  local before = cache_entries()
  local out, status = run { "--set", "case=" .. case, "--quiet" }
  T.eq(status, 1, "status\n" .. out)
  local first = out:match("^[^\n]*")
  T.contains(first, ("nnlab: %s:%d: "):format(notebook, sweep_line), "at the sweep's line")
  T.contains(first, message, what)
  out = run { "--set", "case=" .. case }
  T.truthy(not out:find("own: csv:", 1, true), "the CSV sweep planned nothing\n" .. out)
  T.eq(cache_entries(), before, "nothing trained")
end

T.case("a model whose input width does not fit the data is refused at the sweep's line, before training", function()
  refused_at_sweep("mismatch", "lab.sweep: the model of hidden=4 takes 5 input features, but the train data has 3 "
                   .. "per sample (3 features)", "names both sizes")
end)

T.case("a test set that numbers its classes in another order is refused at the sweep's line", function()
  refused_at_sweep("swapped", "lab.sweep: class 0 is 'no' in the train data but 'yes' in the test data",
                   "names the class")
end)

T.case("a test set read from another file is named in the report's data row", function()
  local out, status = run { "--set", "case=apart", "--quiet" }
  T.eq(status, 0, out)
  local row = T.read(reports .. "/own.md"):match("\n| Data |[^\n]*")
  T.contains(row or "", "; the test samples: tabular (`tabular`, read from the CSV file " .. csv .. ".apart.csv)",
             "the test file, after the training data's")
end)

T.case("a test CSV whose one text label makes its classes names, beside numbered ones, is refused", function()
  refused_at_sweep("stray", "lab.sweep: the test data names its classes in the order its CSV file first shows them "
                   .. "('0', 'NA', '1': a label that is not a number makes every label a name), but the train data "
                   .. "numbers them", "names the classes and the cause")
end)

-- A flip of tabular rows, or a Normalize of 2 values for 3 features, failed
-- every run in its worker ("No run finished"); a RandomCrop said the data
-- had "4 per sample (2x2 images)".
T.case("transforms that do not fit the data are refused at the sweep's line, before training", function()
  refused_at_sweep("flip", "lab.sweep: the transforms of hidden=4 do not fit the train data (3 features): transform 1 "
                   .. "(RandomHorizontalFlip): needs images (rows x cols), but the samples are 1 x 3 features", "a flip")
  refused_at_sweep("norm", "lab.sweep: the transforms of hidden=4 do not fit the train data (3 features): transform 1 "
                   .. "(Normalize): 2 mean/std values, but it needs 1 or one per feature (3)", "a Normalize")
end)

T.case("regression targets in the train data and class labels in the test data are refused", function()
  refused_at_sweep("regression", "lab.sweep: the train data has 1 regression target but the test data has class "
                   .. "labels: give both the same kind", "names both kinds")
end)

-- A uint8 train set is read as x / 255; a float test set of the same pixels
-- saved as 0-255 was scored on inputs 255 times larger, without a word.
T.case("a uint8 train set beside a float test set of another scale is refused; of the same scale it runs", function()
  local images = require("fixtures.bad.inputs").write_dataset(dir .. "/idx")
  local script = dir .. "/scales.lua"
  T.write(script, ([[
local lab = require "nnlab"
local scale = lab.param("scale", 255)
local train = lab.data.load(%q)
local rows, labels = {}, {}
for i = 1, 20 do
  rows[i], labels[i] = {}, (i - 1) %% 10
  for k = 1, 16 do rows[i][k] = ((i * 37 + k * 11) %% 256) / 255 * scale end
end
local test = lab.data.TensorDataset(rows, labels, { classes = 10 })
lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 10, train = train, test = test, --<
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(16, p.hidden), lab.nn.ReLU(), lab.nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
]]):format(images))
  local out, status = T.nnlab_run({ "run", script, "--out", reports, "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(status, 1, out)
  T.contains(out:match("^[^\n]*"), "scales.lua:10: lab.sweep: the train data is uint8, read as x / 255 (0 to 1), but "
             .. "the test data is float32 with values from 0 to 255: the model would be scored on inputs of "
             .. "another scale than it trained on", "the first line")
  out, status = T.nnlab_run({ "run", script, "--out", reports, "--quiet", "--set", "scale=1" }, { NNLAB_CACHE = cache })
  T.eq(status, 0, "the same scale runs\n" .. out)
end)

-- Regression targets with the default cross entropy failed every run in
-- the workers, the message never naming the sweep's loss option.
T.case("regression data without loss = MSE is refused at the sweep's line, before training", function()
  local script = dir .. "/regression_default.lua"
  T.write(script, [[
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, { rng:random() } end, { seed = 1 })
lab.sweep { vary = { h = { 2 } }, seeds = 1, epochs = 1, batch_size = 10, train = ds, test = ds, --<
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(1, p.h), lab.nn.ReLU(), lab.nn.Linear(p.h, 1) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
]])
  local out, status = T.nnlab_run({ "run", script, "--out", reports, "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(status, 1, out)
  T.contains(out:match("^[^\n]*"), "regression_default.lua:3: lab.sweep: the data has regression targets, which h=2 "
             .. "would train with cross entropy (the default loss): give the sweep loss = function(p) return "
             .. "nn.MSELoss() end", "the first line")
  T.eq(out:find("h=2 seed 1: training", 1, true), nil, "nothing trained")
end)

-- Writes a CSV of n rows "a,b,label" with label(i), 1-based i.
local function labelled_csv(path, n, label)
  local lines = { "a,b,label" }
  for i = 1, n do lines[#lines + 1] = ("%d,%d,%d"):format(i % 7, (i * 3) % 5, label(i)) end
  T.write(path, table.concat(lines, "\n") .. "\n")
  return path
end

-- A sweep of a 2-feature CSV train and test file, with `outputs` outputs.
local function csv_sweep(name, train_csv, test_csv, outputs)
  local script = dir .. "/" .. name .. ".lua"
  T.write(script, ([[
local lab = require "nnlab"
local train, test = lab.data.csv(%q), lab.data.csv(%q)
lab.sweep { vary = { h = { 3 } }, seeds = 1, epochs = 1, batch_size = 10, train = train, test = test, --<
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(2, p.h), lab.nn.ReLU(), lab.nn.Linear(p.h, %d) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
]]):format(train_csv, test_csv, outputs))
  return T.nnlab_run({ "run", script, "--out", reports, "--quiet" }, { NNLAB_CACHE = cache })
end

-- A CSV whose label is its first column, read with the default target (the
-- last), trained on a constant column: one class, 100 % test accuracy.
T.case("a training set of one class is refused at the sweep's line", function()
  local one = labelled_csv(dir .. "/one_class.csv", 40, function() return 0 end)
  local out, status = csv_sweep("one_class", one, one, 2)
  T.eq(status, 1, out)
  T.contains(out:match("^[^\n]*"), "one_class.lua:3: lab.sweep: the train data has samples of one class only (0): "
             .. "a classifier learns nothing from it (is the label the right column?", "the first line")
  T.eq(out:find("seed 1: training", 1, true), nil, "nothing trained")
  -- a run function of the user's trains what it likes on it (a one-class novelty model, say)
  local script = dir .. "/one_class_run.lua"
  T.write(script, ([[
local lab = require "nnlab"
local one = lab.data.csv(%q)
lab.sweep { vary = { h = { 3 } }, seeds = 1, epochs = 1, train = one, test = one,
  run = function(p, ctx) return { { train_loss = 0.5, train_acc = 100 } } end }
]]):format(one))
  out, status = T.nnlab_run({ "run", script, "--out", reports, "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(status, 0, "a run function's sweep\n" .. out)
end)

-- A test class with no training sample was scored without a word: the data
-- row listed the training set's classes only.
T.case("a test class the training set has no sample of is named in the data row", function()
  local two = labelled_csv(dir .. "/two.csv", 40, function(i) return i % 2 end)
  local three = labelled_csv(dir .. "/three.csv", 30, function(i) return i % 3 end)
  local out, status = csv_sweep("unseen", two, three, 3)
  T.eq(status, 0, out)
  local row = T.read(reports .. "/unseen.md"):match("\n| Data |[^\n]*")
  T.contains(row or "", "**the test set holds classes the training set has no sample of** (the model cannot "
             .. "learn them): 2 10", "the class and its test samples")
end)

-- Labels numbered from 1 and class labels given as a float tensor were
-- refused without the cause: "gives 3 outputs, but the train data has 4
-- classes", "gives 2 outputs, but the train data has 1 regression targets".
T.case("a model short of one class by labels counted from 1, or float labels, is refused with the likely cause", function()
  local from_one = labelled_csv(dir .. "/from_one.csv", 30, function(i) return i % 3 + 1 end)
  local out, status = csv_sweep("from_one", from_one, from_one, 3)
  T.eq(status, 1, out)
  T.contains(out:match("^[^\n]*"), "gives 3 outputs, but the train data has 4 classes (class 0 has no sample: do the "
             .. "labels count from 1? they count from 0, as PyTorch's)", "the first line")
  local script = dir .. "/float_labels.lua"
  T.write(script, [[
local lab = require "nnlab"
local x, y = {}, {}
for i = 1, 20 do x[i], y[i] = { i % 5, i % 3 }, i % 2 end
local ds = lab.data.TensorDataset(lab.tensor(x), lab.tensor(y))
lab.sweep { vary = { h = { 3 } }, seeds = 1, epochs = 1, batch_size = 10, train = ds, test = ds, --<
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(2, p.h), lab.nn.ReLU(), lab.nn.Linear(p.h, 2) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
]])
  out, status = T.nnlab_run({ "run", script, "--out", reports, "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(status, 1, out)
  T.contains(out:match("^[^\n]*"), "float_labels.lua:5: lab.sweep: the model of h=3 gives 2 outputs, but the train data "
             .. "has 1 regression target (built from a float tensor or rows of numbers: class labels are "
             .. "nnlab.labels { ... })", "the first line")
end)

T.done()
