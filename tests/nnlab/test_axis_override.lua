-- Sweep axes from the command line (docs/notebook.md, "Parameters and
-- --set"): `--set AXIS=v1,v2,...` replaces the values of a `vary` axis that
-- no lab.param declares, in every sweep that has it; the report header says
-- so; cache keys stay per variation, so a re-run trains only the new values.
-- A typo of an axis gets a "did you mean"; a bad value, or a key of a
-- `variations` list, is an error before anything trains.
local T = require "testlib"

local dir = T.tmpdir("axis_override")
local cache = dir .. "/cache"
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data") -- 4x4 images: runs take milliseconds

local PRELUDE = ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local epochs = lab.param("epochs", 1)
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local function model(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end
local function sgd(p, params) return optim.SGD(params, { lr = 0.1 }) end
local function sgd_lr(p, params) return optim.SGD(params, { lr = p.lr }) end
]]):format(data, data)

local function script(name, body)
  local path, line = T.marked_script(dir, name, PRELUDE .. body)
  return path, line
end

local function run(path, sets)
  local argv = { "run", path, "--out", dir .. "/reports", "--quiet", "-j", "1" }
  for _, s in ipairs(sets or {}) do argv[#argv + 1] = "--set" argv[#argv + 1] = s end
  return T.nnlab_run(argv, { NNLAB_CACHE = cache })
end

local grid, grid_line = script("grid", [[
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = epochs, batch_size = 10, --<
  train = train, test = test, model = model, optimizer = sgd }
lab.table(runs)
]])

-- Asserts a failed run whose first line names the lab.sweep line and holds
-- every fragment, with nothing trained.
local function expect_error(out, status, path, line, fragments)
  T.eq(status, 1, "exit status\n" .. out)
  local first = out:match("^[^\n]*")
  T.contains(first, ("nnlab: %s:%d: "):format(path, line), "names the user's lab.sweep line")
  for _, f in ipairs(fragments) do T.contains(first, f, "says what is wrong") end
  T.truthy(not out:find("trained", 1, true), "nothing trained before the error:\n" .. out)
end

T.case("the grid as written trains both values", function()
  local out, status = run(grid)
  T.eq(status, 0, "plain run\n" .. out)
  T.contains(out, "2 runs, 2 trained, 0 from cache", "both trained")
  local report = T.read(dir .. "/reports/grid.md")
  T.contains(report, "`hidden` ∈ {4, 8}", "header lists the axis")
  T.truthy(not report:find("set by", 1, true), "no override noted without --set")
end)

T.case("--set hidden=8,16 replaces the axis: 8 from the cache, only 16 trains", function()
  local out, status = run(grid, { "hidden=8,16" })
  T.eq(status, 0, "override run\n" .. out)
  T.contains(out, "2 runs, 1 trained, 1 from cache", "only the new value trains")
  local report = T.read(dir .. "/reports/grid.md")
  T.contains(report, "`hidden` ∈ {8, 16} (set by `--set hidden=8,16`)", "header says the axis was overridden")
  T.truthy(not report:find("hidden=4", 1, true), "hidden=4 is not in the report")
  -- again: everything from the cache
  out, status = run(grid, { "hidden=16, 4" })
  T.eq(status, 0, "second override run\n" .. out)
  T.contains(out, "2 runs, 0 trained, 2 from cache", "both values cached")
  T.contains(T.read(dir .. "/reports/grid.md"), "`hidden` ∈ {16, 4} (set by `--set hidden=16, 4`)", "order as given")
end)

T.case("the override applies to every sweep with that axis; other sweeps keep theirs", function()
  local path = script("two", [[
local a = lab.sweep { name = "first", vary = { hidden = { 4, 8 } }, seeds = 1, epochs = epochs, batch_size = 10,
  train = train, test = test, model = model, optimizer = sgd }
local b = lab.sweep { name = "second", vary = { hidden = { 4 }, lr = { 0.1, 0.05 } }, seeds = 1, epochs = epochs,
  batch_size = 10, train = train, test = test, model = model, optimizer = sgd_lr }
lab.table(a)
lab.table(b)
]])
  -- lr is an axis only of the second sweep: the first does not refuse it
  local out, status = run(path, { "hidden=16", "lr=0.1" })
  T.eq(status, 0, "two sweeps\n" .. out)
  -- hidden=16 of the first sweep was trained by the run before; the second sweep's one run is new
  T.contains(out, "2 runs, 1 trained, 1 from cache", "one run per sweep")
  T.contains(out, "warning: --set lr=0.1: no lab.param or vary axis named 'lr' is declared before the first "
             .. "lab.sweep; unless a later lab.sweep varies it", "warned at the first sweep")
  local report = T.read(dir .. "/reports/two.md")
  T.contains(report, "`hidden` ∈ {16} (set by `--set hidden=16`)", "first sweep's header row")
  T.contains(report, "`lr` ∈ {0.1} (set by `--set lr=0.1`)", "second sweep's lr row")
end)

T.case("--set hiden=8: a typo of an axis gets a hint, before anything trains", function()
  local out, status = run(grid, { "hiden=8" })
  expect_error(out, status, grid, grid_line,
               { "--set hiden=8: no lab.param or vary axis named 'hiden'", "(did you mean 'hidden'?)",
                 "varied: hidden" })
  -- a terminal escape in the value reaches the terminal escaped, as in the warning
  out, status = run(grid, { "hiden=K\27[31mRED" })
  T.eq(status, 1, out)
  T.eq(out:find("\27", 1, true), nil, "no raw ESC in the message\n" .. out)
end)

T.case("--set of a key nothing uses is an error at the end", function()
  local out, status = run(grid, { "widht=3" })
  T.eq(status, 1, "exit status\n" .. out)
  T.contains(out, "--set widht=3: no lab.param or vary axis named 'widht' is declared in " .. grid, "unused key")
  -- before anything trains, a warning says where this is going
  out, status = T.nnlab_run({ "run", grid, "--out", dir .. "/reports", "-j", "1", "--force", "--set", "widht=3" },
                            { NNLAB_CACHE = cache })
  T.eq(status, 1, "exit status\n" .. out)
  local warning = out:find("warning: --set widht=3: no lab.param or vary axis named 'widht' is declared before "
                           .. "the first lab.sweep; unless a later lab.sweep varies it, the run stops with an error "
                           .. "at its end", 1, true)
  local trained = out:find("test acc", 1, true)
  T.truthy(warning and trained and warning < trained, "the warning comes before the training\n" .. out)
  local _, warnings = out:gsub("warning: %-%-set", "")
  T.eq(warnings, 1, "one warning for the key")
end)

T.case("--set hidden=8,x: a value of the wrong type names the key and the value", function()
  local out, status = run(grid, { "hidden=8,x" })
  expect_error(out, status, grid, grid_line,
               { "--set hidden=8,x: the vary axis 'hidden' (values 4, 8) expects an integer, got 'x'" })
  out, status = run(grid, { "hidden=8,,16" })
  expect_error(out, status, grid, grid_line, { "--set hidden=8,,16: an empty value", "'hidden'" })
  out, status = run(grid, { "hidden=8,8" })
  expect_error(out, status, grid, grid_line, { "--set hidden=8,8: the value '8' is given twice" })
end)

T.case("--set of a key of a variations list is an error", function()
  local path, line = script("listed", [[
local runs = lab.sweep { variations = { { hidden = 4 }, { hidden = 8, label = "wide" } }, seeds = 1, --<
  epochs = epochs, batch_size = 10, train = train, test = test, model = model, optimizer = sgd }
lab.table(runs)
]])
  local out, status = run(path, { "hidden=16" })
  expect_error(out, status, path, line,
               { "--set hidden=16: 'hidden' is a key of this lab.sweep's variations list, which --set cannot override" })
end)

T.case("a lab.param of the same name is the parameter, not the axis", function()
  local path = script("param_axis", [[
local hidden = lab.param("hidden", 4)
local runs = lab.sweep { vary = { hidden = { hidden, 8 } }, seeds = 1, epochs = epochs, batch_size = 10,
  train = train, test = test, model = model, optimizer = sgd }
lab.table(runs)
]])
  local out, status = run(path, { "hidden=16" })
  T.eq(status, 0, "param run\n" .. out)
  local report = T.read(dir .. "/reports/param_axis.md")
  T.contains(report, "`hidden` ∈ {16, 8}", "the parameter went into the grid")
  T.truthy(not report:find("set by", 1, true), "no axis override")
end)

T.done()
