-- What the cache keys hold of code (sweep.code_fingerprint): a custom run
-- function and a data.Lambda are keyed by their bytecode and everything they
-- reach through upvalues, so that an edit or a value that changes a run
-- trains it again, and nothing else does. Each case was a stale cache hit
-- (or a wrong result under --shard) before: a Lambda's upvalue, two Lambdas
-- on one line, a lab.require'd module's code, a number past float precision,
-- a value picked from an earlier sweep, math.floor for math.ceil. A cached
-- re-run stays cached (also with tables as keys, and nnlab's folder spelt
-- another way), and a varied key read only inside a Lambda counts as read.
local T = require "testlib"

local dir = T.tmpdir("code_keys")
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data") -- 4x4 images: runs take milliseconds

local PRELUDE = ([[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local train = data.load(%q)
local test = data.load(%q, { train = false })
local function model() return nn.Sequential { nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 10) } end
local function sgd(p, params) return optim.SGD(params, { lr = 0.1 }) end
]]):format(data, data)

-- Runs dir/NAME.lua (PRELUDE .. body) with --set values; returns the first
-- "loss" line of the report (the experiment writes `loss %.9f`) and the
-- summary line's trained count.
local function run(name, body, sets, cache, extra)
  local path = dir .. "/" .. name .. ".lua"
  T.write(path, PRELUDE .. body)
  local argv = { "run", path, "--out", dir .. "/reports", "--quiet", "--cache", cache or dir .. "/cache" }
  for _, s in ipairs(sets or {}) do argv[#argv + 1] = "--set" argv[#argv + 1] = s end
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  local out, status = T.nnlab_run(argv)
  T.eq(status, 0, name .. "\n" .. out)
  if extra then return nil, out end
  local md = T.read(("%s/reports/%s.md"):format(dir, name)) or ""
  return md:match("loss [%d.]+[^\n]*"), tonumber(out:match("(%d+) trained"))
end

local LAMBDA = [[
local scale = lab.param("scale", 1.0)
local runs = lab.sweep { seeds = 1, epochs = 1, batch_size = 10, train = train, test = test, model = model,
  optimizer = sgd, transform = { data.Lambda(function(x) x:set(1, 1, scale) end) } }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]

T.case("a value a data.Lambda closes over is in the key", function()
  local first, trained = run("lambda", LAMBDA)
  T.eq(trained, 1, "trained")
  local other, again = run("lambda", LAMBDA, { "scale=1000" })
  T.eq(again, 1, "another scale trains again")
  T.truthy(other ~= first, "and gives another loss: " .. tostring(first) .. " / " .. tostring(other))
  local _, cached = run("lambda", LAMBDA, { "scale=1000" })
  T.eq(cached, 0, "the same scale again is cached")
end)

-- Runs an experiment that writes two runs' losses; both must train and differ.
local function two_different(name, body)
  local loss, trained = run(name, body)
  T.eq(trained, 2, "both trained")
  local a, b = loss:match("loss ([%d.]+) ([%d.]+)")
  T.truthy(a ~= b, "with different results: " .. loss)
end

T.case("a varied key that only a Lambda reads is read: the sweep runs, one key per value", function()
  two_different("lambda_p", [[
local runs = lab.sweep { vary = { scale = { 1, 1000 } }, seeds = 1, epochs = 1, batch_size = 10, train = train,
  test = test, model = model, optimizer = sgd,
  transform = function(p) return { data.Lambda(function(x) x:set(1, 1, p.scale) end) } end }
lab.md("loss %.9f %.9f", runs.variations[1].seeds[1].history[1].train_loss, runs.variations[2].seeds[1].history[1].train_loss)
]])
end)

T.case("two Lambdas on one line are two keys", function()
  two_different("one_line", [[
local up, down = data.Lambda(function(x) x:set(1, 1, 1000) end), data.Lambda(function(x) x:set(1, 1, -1000) end)
local function sweep(name, t)
  return lab.sweep { name = name, seeds = 1, epochs = 1, batch_size = 10, train = train, test = test,
                     model = model, optimizer = sgd, transform = { t } }
end
local a, b = sweep("up", up), sweep("down", down)
lab.md("loss %.9f %.9f", a.variations[1].seeds[1].history[1].train_loss, b.variations[1].seeds[1].history[1].train_loss)
]])
end)

T.case("a run function is keyed by the code it reaches through a lab.require'd module", function()
  os.execute("mkdir -p " .. T.quote(dir .. "/lib"))
  local module = [[
local lab = require "nnlab"
local M = {}
function M.train(p, ctx)
  local model = lab.nn.Sequential { lab.nn.Linear(16, 8), lab.nn.ReLU(), lab.nn.Linear(8, 10) }
  return lab.fit { model = model, loss = lab.nn.CrossEntropyLoss(), epochs = 1,
                   optimizer = lab.optim.SGD(model:parameters(), { lr = LR }),
                   train = lab.data.DataLoader(ctx.train, { batch_size = 10 }) }
end
return M
]]
  local body = [[
local trainer = lab.require "lib.trainer"
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx) return trainer.train(p, ctx) end }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]
  T.write(dir .. "/lib/trainer.lua", (module:gsub("LR", "0.1")))
  local first, trained = run("module", body)
  T.eq(trained, 1, "trained")
  T.write(dir .. "/lib/trainer.lua", (module:gsub("LR", "0.5")))
  local other, again = run("module", body)
  T.eq(again, 1, "an edited module trains again")
  T.truthy(other ~= first, "with its own result")
  T.write(dir .. "/lib/trainer.lua", "-- a comment changes nothing\n" .. module:gsub("LR", "0.5"))
  local _, cached = run("module", body)
  T.eq(cached, 0, "a comment is not code: cached")
end)

T.case("numbers a run function closes over are keyed exactly, not as float32", function()
  local body = [[
local base = lab.param("base", 20240101)
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx)
  local m = nn.Sequential({ nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 10) }, { seed = base + ctx.seed })
  return lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 1, optimizer = optim.SGD(m:parameters(), { lr = 0.1 }),
                   train = data.DataLoader(ctx.train, { batch_size = 10 }) }
end }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]
  local _, trained = run("exact", body, { "base=20240100" })
  T.eq(trained, 1, "trained")
  local _, again = run("exact", body, { "base=20240101" })
  T.eq(again, 1, "20240101 is not 20240100 (one float32)")
end)

T.case("C functions count by name, tables keyed by tables in any order, nnlab's wherever it lies", function()
  local body = [[
local round = math[lab.param("round", "floor")]
local groups = {}
for i = 1, 8 do groups[{ lr = i / 10 }] = i end -- keys that are tables: no order of their own
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx)
  local lr = 0
  for g, i in pairs(groups) do if i == 3 then lr = g.lr end end
  local m = model()
  return lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 1,
                   optimizer = optim.SGD(m:parameters(), { lr = round(lr * 10) / 10 }),
                   train = data.DataLoader(ctx.train, { batch_size = 10 }) }
end }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]
  local _, trained = run("c_functions", body, nil, dir .. "/c-cache")
  T.eq(trained, 1, "trained")
  for i = 1, 3 do
    local _, again = run("c_functions", body, nil, dir .. "/c-cache")
    T.eq(again, 0, "re-run " .. i .. " is cached: the table keys are ordered by their contents")
  end
  local _, ceil = run("c_functions", body, { "round=ceil" }, dir .. "/c-cache")
  T.eq(ceil, 1, "math.ceil is not math.floor")
  -- the same nnlab through another spelling of its folder
  local path = dir .. "/c_functions.lua"
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet", "--cache", dir .. "/c-cache" },
                                  { NNLAB_LUA_PATH = T.source .. "/tests/../lua" })
  T.eq(status, 0, out)
  T.contains(out, "0 trained", "nnlab's own functions are keyed below lua/nnlab/, not by where it lies")
end)

local DEPENDENT = [[
local first = lab.sweep { name = "lr", vary = { lr = { 0.001, 0.6 } }, seeds = 1, epochs = 1, batch_size = 10,
  train = train, test = test, model = model, optimizer = function(p, params) return optim.SGD(params, { lr = p.lr }) end }
local second = lab.sweep { name = "again", seeds = 1, train = train, test = test, run = function(p, ctx)
  local m = model()
  return lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 1,
                   optimizer = optim.SGD(m:parameters(), { lr = first:best("test_acc").params.lr }),
                   train = data.DataLoader(ctx.train, { batch_size = 10 }) }
end }
lab.md("loss %.9f", second.variations[1].seeds[1].history[1].train_loss)
]]

T.case("a run function reading an earlier sweep's best depends on it: shards leave it to the assembly", function()
  local plain, trained = run("dependent", DEPENDENT, nil, dir .. "/plain-cache")
  T.eq(trained, 3, "three runs")
  local _, cached = run("dependent", DEPENDENT, nil, dir .. "/plain-cache")
  T.eq(cached, 0, "a re-run from the cache trains nothing: its key holds results, not cache flags or times")
  local _, out = run("dependent", DEPENDENT, nil, dir .. "/shard-cache", { "--shard", "0/1" })
  T.contains(out, "2 of the plan's 2 runs", "the dependent run is not in the plan")
  T.contains(out, "nnlab: note: --out does nothing with --shard, which writes no report", "--out is said to do nothing")
  local assembled, rest = run("dependent", DEPENDENT, nil, dir .. "/shard-cache")
  T.eq(rest, 1, "the assembly trains it")
  T.eq(assembled, plain, "with the best lr, as one machine does")
end)

-- Runs dir/NAME.lua at its defaults into a cache of its own (trained, then
-- cached), then with each --set of `changes`: each trains again, to another
-- loss, and is cached as itself after.
local function each_change_retrains(name, body, changes)
  local cache = dir .. "/" .. name .. "-cache"
  local first, trained = run(name, body, nil, cache)
  T.eq(trained, 1, name .. ": trained")
  local _, again = run(name, body, nil, cache)
  T.eq(again, 0, name .. ": the same file again is cached")
  for _, set in ipairs(changes) do
    local other, retrained = run(name, body, { set }, cache)
    T.eq(retrained, 1, set .. " trains again")
    T.truthy(other ~= first, set .. " gives another loss: " .. tostring(first) .. " / " .. tostring(other))
    local _, cached = run(name, body, { set }, cache)
    T.eq(cached, 0, set .. " is then cached as itself")
  end
end

T.case("a loss function, model or tensor a run function closes over is keyed by what it is", function()
  local body = [[
local loss_fn = lab.param("loss", "ce") == "ce" and nn.CrossEntropyLoss() or nn.MSELoss()
local shift = lab.tensor { { lab.param("shift", 0.5) } }
nn.manual_seed(lab.param("init", 1))
local start = model()
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx)
  local h = lab.fit { model = start, loss = loss_fn, epochs = 1, optimizer = optim.SGD(start:parameters(), { lr = 0.1 }),
                      train = data.DataLoader(ctx.train, { batch_size = 10 }) }
  h[1].train_loss = h[1].train_loss + shift:get(1, 1)
  return h
end }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]
  each_change_retrains("objects", body, { "loss=mse", "shift=2", "init=2" })
end)

T.case("a data loader or optimizer a run function closes over is refused at the sweep's line", function()
  for _, case in ipairs {
    { "local shared = data.DataLoader(train, { batch_size = 10, shuffle = true })",
      "a data loader (upvalue 'shared'), whose state (the pass it is in, the epochs it has shuffled)" },
    { "local shared = optim.SGD(model():parameters(), { lr = 0.1 })",
      "an optimizer (upvalue 'shared'), whose state (the steps it has taken, the model it steps)" },
  } do
    local path = dir .. "/stateful.lua"
    T.write(path, PRELUDE .. case[1] .. "\n" .. [[
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx)
  local _ = shared
  return { { train_loss = 1, train_acc = 1 } }
end }
]])
    local out, status = T.nnlab_run { "run", path, "--out", dir .. "/reports", "--quiet", "--cache", dir .. "/cache" }
    T.eq(status, 1, out)
    T.eq(out:match("^[^\n]*\n"), ("nnlab: %s:8: lab.sweep: a run function or data.Lambda closes over %s no cache key can hold: make "
               .. "it inside the function (from ctx.train, ctx.test or a model made there)\n"):format(path, case[2]),
         "one line at the sweep's line")
  end
end)

-- Two Lambdas of two variations reach one table through a web that holds
-- itself (settings.view.of == settings): the one reached second used to
-- take a text made while the first's walk had the table half done.
T.case("a table reached through a cycle is keyed whole from every path", function()
  local body = [[
local settings = { scale = lab.param("scale", 1.0) }
settings.view = { of = settings }
local view = settings.view
local function mark(x) if settings.scale < -1e30 then error("never") end end
local function scale(x) x:set(1, 1, view.of.scale) end
local runs = lab.sweep { vary = { which = { "mark", "scale" } }, seeds = 1, epochs = 1, batch_size = 10,
  train = train, test = test, model = model, optimizer = sgd,
  transform = function(p) return { data.Lambda(p.which == "mark" and mark or scale) } end }
lab.md("loss %.9f %.9f", runs.variations[1].seeds[1].history[1].train_loss, runs.variations[2].seeds[1].history[1].train_loss)
]]
  local cache = dir .. "/cycle-cache"
  local first, trained = run("cycle", body, nil, cache)
  T.eq(trained, 2, "trained")
  local _, again = run("cycle", body, nil, cache)
  T.eq(again, 0, "cached")
  local other, retrained = run("cycle", body, { "scale=1000" }, cache)
  T.eq(retrained, 2, "both Lambdas read the scale: both train again")
  T.truthy(other:match("loss [%d.]+ ([%d.]+)") ~= first:match("loss [%d.]+ ([%d.]+)"), "the scaled one differs: "
           .. first .. " / " .. other)
end)

T.case("a field added to Lua's library is keyed; a global the function never reads is not", function()
  local body = [[
function math.scaled(x) return x * FACTOR end
table.lr_offset = OFFSET
function pct(x) return ("FORMAT"):format(x) end
started_at = os.clock()
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx)
  local m = model()
  return lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 1,
                   optimizer = optim.SGD(m:parameters(), { lr = math.scaled(0.1) + table.lr_offset }),
                   train = data.DataLoader(ctx.train, { batch_size = 10 }) }
end }
lab.md("loss %.9f %s", runs.variations[1].seeds[1].history[1].train_loss, pct(1))
]]
  local function with(factor, offset, format)
    return (body:gsub("FACTOR", factor):gsub("OFFSET", offset):gsub("FORMAT", (format:gsub("%%", "%%%%"))))
  end
  local cache = dir .. "/library-cache"
  local first, trained = run("library", with("1", "0", "%.1f"), nil, cache)
  T.eq(trained, 1, "trained")
  local _, again = run("library", with("1", "0", "%.2f"), nil, cache)
  T.eq(again, 0, "a global function the run function never calls, and a clock in a global it never reads: cached")
  local scaled, retrained = run("library", with("2", "0", "%.1f"), nil, cache)
  T.eq(retrained, 1, "math.scaled, added to math, was edited: trains again")
  T.truthy(scaled:match("loss [%d.]+") ~= first:match("loss [%d.]+"), "to another loss")
  local _, offset = run("library", with("1", "0.2", "%.1f"), nil, cache)
  T.eq(offset, 1, "a value added to table: trains again")
end)

T.case("a model that model(p) ran in training mode is keyed by where its dropout stream stands", function()
  local body = [[
local look = lab.param("look", false)
local runs = lab.sweep { seeds = 1, epochs = 1, batch_size = 10, train = train, test = test, optimizer = sgd,
  model = function(p)
    local m = nn.Sequential { nn.Linear(16, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 10) }
    if look then m(lab.tensor { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } }) end
    return m
  end }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]
  each_change_retrains("dropout", body, { "look=true" }) -- a forward inside model(p) moved the dropout stream
end)

T.case("a global helper's own globals, and fields added to lab, its subtables and string, are keyed", function()
  local body = [[
LR = lab.param("lr", 0.1)
function make_optimizer(m) return optim.SGD(m:parameters(), { lr = LR }) end -- a global reading a global
local lab_f, sched_f, str_f = lab.param("lab_f", 1.0), lab.param("sched_f", 1.0), lab.param("str_f", 1.0)
function lab.scaled(x) return x * lab_f end
function optim.lr_scheduler.scaled(x) return x * sched_f end
function string.scale(s) return str_f end -- reached as ("x"):scale(), through no upvalue at all
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx)
  local m = model()
  local o = make_optimizer(m)
  o:set_lr(optim.lr_scheduler.scaled(lab.scaled(o:lr())) * ("x"):scale())
  return lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 1, optimizer = o,
                   train = data.DataLoader(ctx.train, { batch_size = 10 }) }
end }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]
  each_change_retrains("additions", body, { "lr=0.5", "lab_f=3", "sched_f=3", "str_f=3" })
end)

T.case("functions that call each other in a web are keyed quickly, and an edit to one of them counts", function()
  -- 40 local functions, each calling the next three (mod 40) through its upvalues: 3^40 paths through them
  local names = {}
  for i = 1, 40 do names[i] = "f" .. i end
  local lines = { "local " .. table.concat(names, ", ") }
  for i = 1, 40 do
    lines[#lines + 1] = ("f%d = function(n) if n <= 0 then return %s end return f%d(n - 1) + f%d(n - 2) * 0 + f%d(n - 3) * 0 end")
                        :format(i, i == 17 and "LR" or "0.1", i % 40 + 1, (i + 1) % 40 + 1, (i + 2) % 40 + 1)
  end
  lines[#lines + 1] = "return { f1 }"
  os.execute("mkdir -p " .. T.quote(dir .. "/lib"))
  local function body(lr)
    T.write(dir .. "/lib/web.lua", (table.concat(lines, "\n"):gsub("LR", lr)))
    return [[
local web = lab.require "lib.web"
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx)
  local m = model()
  return lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 1,
                   optimizer = optim.SGD(m:parameters(), { lr = web[1](16) }),
                   train = data.DataLoader(ctx.train, { batch_size = 10 }) }
end }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]
  end
  local cache = dir .. "/web-cache"
  local first, trained = run("web", body("0.1"), nil, cache)
  T.eq(trained, 1, "trained")
  local _, again = run("web", body("0.1"), nil, cache)
  T.eq(again, 0, "cached")
  local other, retrained = run("web", body("0.5"), nil, cache)
  T.eq(retrained, 1, "the one edited function of the web trains again")
  T.truthy(other ~= first, "to another loss")
end)

T.case("what only identity tells apart is keyed: a ring's length, one table held twice, globals read by load", function()
  local body = [[
local n, alias, scale = lab.param("ring", 2), lab.param("alias", true), lab.param("scale", 1.0)
local first = {}
local last = first
for _ = 2, n do last.next = {} last = last.next end
last.next = first -- a ring of n tables that look alike
local a = { 1 }
local b = alias and a or { 1 } -- the same table twice, or two equal ones
SCALE = scale
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx)
  local length, x = 1, first.next
  while x ~= first do length, x = length + 1, x.next end
  local m = model()
  local h = lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 1, optimizer = optim.SGD(m:parameters(), { lr = 0.1 }),
                      train = data.DataLoader(ctx.train, { batch_size = 10 }) }
  h[1].train_loss = h[1].train_loss + length + (rawequal(a, b) and 0 or 100) + load("return SCALE")()
  return h
end }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]
  each_change_retrains("identity", body, { "ring=3", "alias=false", "scale=2" })
end)

T.case("long chains and webs of tables are keyed without recursion or a limit", function()
  local body = [[
local size = lab.param("size", 100000)
local list = nil
for i = 1, size do list = { v = i, next = list } end -- a chain of 10^5 tables
local dl = {}
do local prev = dl for _ = 1, 2000 do local node = { prev = prev } prev.next = node prev = node end end
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx)
  local m = model()
  local h = lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 1, optimizer = optim.SGD(m:parameters(), { lr = 0.1 }),
                      train = data.DataLoader(ctx.train, { batch_size = 10 }) }
  h[1].train_loss = h[1].train_loss + list.v + (dl.next and 1 or 0)
  return h
end }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]
  each_change_retrains("chains", body, { "size=99999" })
end)

T.case("look-alike table and function keys: the same file is cached run after run; a change below them counts", function()
  local body = [[
local third = lab.param("third", 3)
local function make(cfg) return function(x) return x * cfg.scale end end
local hooks = { [make({ scale = 1 })] = true, [make({ scale = 2 })] = true, [make({ scale = third })] = true }
local set = {}
for i = 1, 20 do set[{ x = { i } }] = true end
local ld = load -- load held as a value: any global may be read
SCALE = lab.param("scale", 1)
local defaults = { lr = lab.param("lr", 0.1) }
local cfg = setmetatable({}, { __index = defaults, __metatable = "locked" })
local runs = lab.sweep { seeds = 1, train = train, test = test, run = function(p, ctx)
  local s = 0
  for h in pairs(hooks) do s = s + h(1) end
  for k in pairs(set) do s = s + k.x[1] end
  local m = model()
  local h = lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 1, optimizer = optim.SGD(m:parameters(), { lr = cfg.lr }),
                      train = data.DataLoader(ctx.train, { batch_size = 10 }) }
  h[1].train_loss = h[1].train_loss + s + ld("return SCALE")()
  return h
end }
lab.md("loss %.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]
  each_change_retrains("lookalike", body, { "third=4", "scale=2", "lr=0.3" })
  for i = 1, 3 do
    local _, trained = run("lookalike", body, nil, dir .. "/lookalike-cache")
    T.eq(trained, 0, "a fresh process, " .. i .. ": cached")
  end
end)

T.done()
