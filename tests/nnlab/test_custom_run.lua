-- Sweeps with the user's own training function (issue 14; docs/notebook.md,
-- lab.sweep's run): lab.sweep { run = function(p, ctx) ... return history end }
-- runs per variation × seed in workers, cached and resumed like a built-in
-- sweep, keyed by the function's code and the scalars it closes over; its
-- history feeds tables and charts; misuse (ctx.save's included) is an error at the user's line.
local T = require "testlib"

local dir = T.tmpdir("custom_run")
local cache = dir .. "/cache"
local calls = dir .. "/calls.txt"
local script = dir .. "/early.lua"
T.write(script, ([[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local factor = lab.param("factor", 1)
local ds = data.generate(120, function(i, rng) return { rng:random(), rng:random() }, (i - 1) %% 2 end,
                         { seed = 1, classes = 2 })
local train, test = ds:split(80, { seed = 1 })
-- a validation-free early stop: at most p.epochs, stop after 2 epochs without a better test loss
local function loop(p, ctx)
  local f = assert(io.open(%q, "a"))
  f:write(("hidden=%%d seed=%%d\n"):format(p.hidden, ctx.seed))
  f:close()
  if os.getenv("FAIL_HIDDEN") == tostring(p.hidden) then error("told to fail") end
  local model = nn.Sequential { nn.Linear(2, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 2) }
  local opt = optim.SGD(model:parameters(), { lr = 0.1 * factor })
  local history, best, stale = {}, nil, 0
  for epoch = 1, p.epochs do
    local h = lab.fit { model = model, loss = nn.CrossEntropyLoss(), optimizer = opt, epochs = 1,
      train = data.DataLoader(ctx.train, { batch_size = 10, shuffle = true, seed = ctx.seed * 1000 + epoch }),
      test = data.DataLoader(ctx.test, { batch_size = 40 }) }[1]
    history[epoch] = h
    ctx.progress(h)
    if best and h.test_loss >= best then stale = stale + 1 else best, stale = h.test_loss, 0 end
    if stale >= 2 then break end
  end
  return history
end
local runs = lab.sweep { name = "early", vary = { hidden = { 4, 16 } }, epochs = 5, seeds = 2,
                         train = train, test = test, run = loop }
lab.table(runs)
lab.chart(runs)
]]):format(calls))

local function run(env, settings)
  local argv = { "run", script, "--out", dir .. "/reports", "--quiet", "-j", "2" }
  for _, s in ipairs(settings or {}) do argv[#argv + 1] = "--set" argv[#argv + 1] = s end
  local full = { NNLAB_CACHE = cache }
  for k, v in pairs(env or {}) do full[k] = v end
  return T.nnlab_run(argv, full)
end
local function call_lines()
  local list = {}
  for line in (T.read(calls) or ""):gmatch("[^\n]+") do list[#list + 1] = line end
  table.sort(list)
  return list
end

T.case("a failed variation fails the sweep; the finished runs are cached", function()
  local out, status = run({ FAIL_HIDDEN = "16" })
  T.eq(status, 1, out)
  T.contains(out, "2 of 4 runs failed", out)
  T.contains(out, "told to fail", "the user's error is shown")
  T.eq(#call_lines(), 4, "four calls")
end)

T.case("the next run resumes: only the failed runs train, each with its own seed", function()
  os.remove(calls)
  local out, status = run()
  T.eq(status, 0, out)
  T.contains(out, "4 runs, 2 trained, 2 from cache", out)
  T.eq(table.concat(call_lines(), ";"), "hidden=16 seed=1;hidden=16 seed=2", "only hidden=16, seeds 1 and 2")
  local md = T.read(dir .. "/reports/early.md") or ""
  T.contains(md, "each trained by the sweep's own `run(p, ctx)`", "the header says how it trained")
  T.truthy(md:find("\n| 4 | [%d%.]+ ± [%d%.]+ %% |") and md:find("\n| 16 | [%d%.]+ ± [%d%.]+ %% |"), "a row per variation\n" .. md)
  T.truthy(T.read(dir .. "/reports/early/fig1-test_acc-epoch.png"), "the chart is drawn")
end)

T.case("a cached re-run calls nothing; a changed scalar the function closes over retrains", function()
  os.remove(calls)
  local out, status = run()
  T.eq(status, 0, out)
  T.contains(out, "4 runs, 0 trained, 4 from cache", out)
  T.eq(#call_lines(), 0, "no call")
  out, status = run(nil, { "factor=2" })
  T.eq(status, 0, out)
  T.contains(out, "4 runs, 4 trained, 0 from cache", "factor is in the key through the function's upvalues")
end)

-- The small experiments below: 60 generated points of 2 classes, split
-- 20/40, and a run function's one epoch of a 2-4-2 model on them (its
-- model made without a seed: the job's seed decides its weights).
local SMALL = [[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local ds = data.generate(60, function(i, rng) return { rng:random(), rng:random() }, (i - 1) % 2 end,
                         { seed = 1, classes = 2 })
local train, test = ds:split(40, { seed = 1 })
local function tiny_fit(ctx)
  local model = nn.Sequential { nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2) }
  return lab.fit { model = model, loss = nn.CrossEntropyLoss(), optimizer = optim.SGD(model:parameters(), { lr = 0.1 }),
    epochs = 1, train = data.DataLoader(ctx.train, { batch_size = 10 }), test = data.DataLoader(ctx.test, { batch_size = 20 }) }
end
]]

-- A model the run function made without a seed took nn's seed counter as
-- the file left it at the sweep, the same for every job: 3 seeds trained one
-- model three times, and the report showed 3 seeds of ± 0.00. It takes the
-- job's seed now, as a built-in run's model does, so nn.manual_seed before
-- the sweep changes nothing (the runs stay cached).
T.case("a run function's model made without a seed takes the job's seed, not the file's counter", function()
  local seeded = dir .. "/seeded.lua"
  T.write(seeded, SMALL .. [[
nn.manual_seed(lab.param("init", 1))
lab.table(lab.sweep { name = "s", vary = { k = { 1 } }, epochs = 1, seeds = 3, train = train, test = test,
  run = function(_, ctx) return tiny_fit(ctx) end })
]])
  local function run_seeded(init)
    return T.nnlab_run({ "run", seeded, "--out", dir .. "/reports", "--quiet", "--set", "init=" .. init },
                       { NNLAB_CACHE = dir .. "/seeded-cache" })
  end
  local out, status = run_seeded(1)
  T.eq(status, 0, out)
  T.contains(out, "3 runs, 3 trained", out)
  local losses, seen = {}, {}
  for line in T.read(dir .. "/reports/seeded/results.csv"):gmatch("[^\n]+") do
    local loss = line:match("^s,[^,]*,%d+,%d+,1,([^,]+)") -- sweep, variation, k, seed, epoch 1
    if loss and not seen[loss] then seen[loss] = true losses[#losses + 1] = loss end
  end
  T.eq(#losses, 3, "three seeds, three first-epoch losses\n" .. T.read(dir .. "/reports/seeded/results.csv"))
  out = run_seeded(2)
  T.contains(out, "3 runs, 0 trained, 3 from cache", "nn.manual_seed before the sweep: the same runs\n" .. out)
  -- two models a job (an ensemble): seed k's second model was seed k+1's first
  local two = dir .. "/two_models.lua"
  local sums = dir .. "/two_models.sums"
  os.remove(sums)
  T.write(two, SMALL .. ([[
lab.sweep { name = "two", vary = { k = { 1 } }, epochs = 1, seeds = 3, train = train, test = test,
  run = function(_, ctx)
    local a = nn.Sequential { nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2) }
    local b = nn.Sequential { nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2) }
    local f = assert(io.open(%q, "a"))
    f:write(a:checksum(), "\n", b:checksum(), "\n")
    f:close()
    return tiny_fit(ctx)
  end }
]]):format(sums))
  out, status = T.nnlab_run({ "run", two, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = dir .. "/two-cache" })
  T.eq(status, 0, out)
  local seen, count = {}, 0
  for sum in (T.read(sums) or ""):gmatch("%x+") do
    T.truthy(not seen[sum], "a model's weights in two jobs: " .. sum)
    seen[sum], count = true, count + 1
  end
  T.eq(count, 6, "two models in each of three jobs")
end)

-- A program a worker starts in the background inherited the worker's pipe
-- to the parent, which waited for its end of file: the sweep hung until
-- that program ended (a server: forever).
T.case("a program a run function starts in the background does not hold the sweep", function()
  local bg = dir .. "/background.lua"
  local marker = dir .. "/background.pid"
  T.write(bg, SMALL .. ([[
lab.table(lab.sweep { name = "bg", vary = { k = { 1, 2 } }, epochs = 1, seeds = 1, train = train, test = test,
  run = function(p, ctx)
    if p.k == 2 then os.execute(%q) end
    return tiny_fit(ctx)
  end })
]]):format("sleep 120 >/dev/null 2>&1 & echo $! > " .. T.quote(marker)))
  local out, status = T.run("timeout 60 env " .. T.nnlab_command({ "run", bg, "--out", dir .. "/reports", "--quiet", "-j", "2" },
                                                             { NNLAB_CACHE = dir .. "/bg-cache" }))
  local pid = (T.read(marker) or ""):match("%d+")
  if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
  T.eq(status, 0, "the sweep ends while the background program runs on (124: it waited)\n" .. out)
  T.contains(out, "2 runs, 2 trained", out)
  T.truthy(pid, "the background program was started")
end)

-- A worker that exits 0 without storing (os.exit in the run function) was
-- reported as "finished, but its cache entry cannot be read": a cache fault.
T.case("a run function that calls os.exit fails its run, saying it stored nothing", function()
  local quits = dir .. "/quits.lua"
  T.write(quits, SMALL .. [[
lab.table(lab.sweep { name = "quits", vary = { k = { 1, 2 } }, epochs = 1, seeds = 1, train = train, test = test,
  run = function(p, ctx)
    if p.k == 2 then os.exit(0) end
    return tiny_fit(ctx)
  end })
]])
  local out, status = T.nnlab_run({ "run", quits, "--out", dir .. "/reports", "--quiet", "-j", "1" },
                                  { NNLAB_CACHE = dir .. "/quits-cache" })
  T.eq(status, 1, out)
  T.contains(out, "1 of 2 runs failed: k=2 seed 1: its worker exited without storing a result (os.exit in the run?)",
             "says what happened")
  T.contains(out, "The finished runs are cached: run again to retry only the failed ones.", "k=1 finished")
  -- every run fails: none is cached, and the message does not say any is
  local all_fail = T.read(quits):gsub("if p.k == 2 then os.exit%(0%) end", "os.exit(0)")
  T.write(quits, all_fail)
  out, status = T.nnlab_run({ "run", quits, "--out", dir .. "/reports", "--quiet", "-j", "1" },
                            { NNLAB_CACHE = dir .. "/quits-cache-2" })
  T.eq(status, 1, out)
  T.contains(out, "2 of 2 runs failed", out)
  T.contains(out, "No run finished, so nothing new was cached.", "no claim of cached runs")
  T.eq(out:find("finished runs are cached", 1, true), nil, "\n" .. out)
end)

-- Seeds on demand train in rounds: when every run of a later round fails,
-- the first round's runs are cached all the same.
T.case("a sweep whose later round of seeds all fail says its finished runs are cached", function()
  local rounds = dir .. "/rounds.lua"
  T.write(rounds, SMALL .. [[
lab.table(lab.sweep { name = "c", vary = { tag = { 1, 2 } }, seeds = { min = 3, max = 10 }, epochs = 1,
  train = train, test = test, run = function(p, ctx)
    if ctx.seed > 3 then error("boom") end
    return { { train_loss = 1, train_acc = 50, test_acc = 50 + p.tag + ctx.seed / 10 } }
  end })
]])
  local out, status = T.nnlab_run({ "run", rounds, "--out", dir .. "/reports", "--quiet", "-j", "1" },
                                  { NNLAB_CACHE = dir .. "/rounds-cache" })
  T.eq(status, 1, out)
  T.contains(out, "boom", out)
  T.contains(out, "The finished runs are cached", "the first round's runs are\n" .. out)
  T.eq(out:find("nothing new was cached", 1, true), nil, out)
end)

T.case("run with model, a run that is no function, and a run that returns no history are errors", function()
  local cases = {
    { "run = function() end, model = function() end", "model goes with the built-in training" },
    { "run = 42", "run must be a function(p, ctx)" },
  }
  for _, case in ipairs(cases) do
    local file, line = T.marked_script(dir, "bad_run", ([[
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) %% 2 end, { seed = 1, classes = 2 })
lab.sweep { vary = { h = { 1, 2 } }, epochs = 1, train = ds, test = ds, %s } --<
]]):format(case[1]))
    local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = cache })
    T.eq(code, 1, text)
    T.contains(text, ("bad_run.lua:%d: lab.sweep: %s"):format(line, case[2]), case[1])
  end
  local file = T.marked_script(dir, "no_history", [[
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) % 2 end, { seed = 1, classes = 2 })
lab.sweep { vary = { h = { 1, 2 } }, epochs = 1, train = ds, test = ds, run = function(p) return { { epoch = 1 } } end }
]])
  local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(code, 1, text)
  T.contains(text, "run(p, ctx)'s history: epoch 1 has no training loss or accuracy", "the history is checked")
  local save_file, save_line = T.marked_script(dir, "bad_save", [[
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) % 2 end, { seed = 1, classes = 2 })
lab.sweep { vary = { h = { 1 } }, seeds = 1, epochs = 1, train = ds, test = ds, run = function(p, ctx)
  ctx.save(lab.nn.Sequential { lab.nn.Linear(3, 2) }) --<
end }
]])
  text, code = T.nnlab_run({ "run", save_file, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(code, 1, text)
  T.contains(text, ("bad_save.lua:%d: ctx.save: the model takes 3 input features, but the test data has 1 per sample")
             :format(save_line), "ctx.save checks the model against the test data at the user's line")
end)

T.case("a run function that reads a data file itself is refused at its line: the key would miss the file", function()
  local csv = dir .. "/inside.csv"
  T.write(csv, "a,label\n1,0\n2,1\n3,0\n4,1\n")
  local file, line = T.marked_script(dir, "reads_inside", ([[
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) %% 2 end, { seed = 1, classes = 2 })
local runs = lab.sweep { vary = { h = { 1 } }, seeds = 1, train = ds, test = ds, run = function(p, ctx)
  local own = lab.data.csv(%q) --<
  return { { epoch = 1, train_loss = 1, train_acc = 50 } }
end }
-- the same file read outside the sweep is fine, and so is a sweep after the refused one
local outside = lab.data.csv(%q)
]]):format(csv, csv))
  local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet", "-j", "1" },
                                 { NNLAB_CACHE = cache })
  T.eq(code, 1, text)
  T.contains(text, ("reads_inside.lua:%d: lab.sweep: run(p, ctx) reads the data file '%s' itself"):format(line, csv),
             "names the line and the file")
  T.contains(text, "read the data before lab.sweep", "says what to do")
end)

T.case("a run function that loads a model file itself is refused at its line; a loaded model it closes over is keyed", function()
  local model_file = dir .. "/inside.nnm"
  local file, line = T.marked_script(dir, "loads_inside", ([[
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) %% 2 end, { seed = 1, classes = 2 })
lab.nn.manual_seed(lab.param("init", 1))
lab.save(lab.nn.Sequential { lab.nn.Linear(1, 2) }, %q)
local loaded = lab.load(%q)
local inside = lab.param("inside", false)
local runs = lab.sweep { seeds = 1, train = ds, test = ds, run = function(p, ctx)
  local model = inside and lab.load(%q) or loaded --<
  local h = lab.fit { model = model, loss = lab.nn.CrossEntropyLoss(), epochs = 1, train = lab.data.DataLoader(ctx.train),
                      optimizer = lab.optim.SGD(model:parameters(), { lr = 0.1 }) }
  return h
end }
lab.md("loss %%.9f", runs.variations[1].seeds[1].history[1].train_loss)
]]):format(model_file, model_file, model_file))
  local function run(...)
    return T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet", "-j", "1", ... }, { NNLAB_CACHE = cache })
  end
  local text, code = run("--set", "inside=true")
  T.eq(code, 1, text)
  T.contains(text, ("loads_inside.lua:%d: lab.sweep: run(p, ctx) loads the model file '%s' itself"):format(line, model_file),
             "names the line and the file")
  T.contains(text, "load it with nnlab.load before lab.sweep", "says what to do")
  text, code = run()
  T.eq(code, 0, text)
  T.contains(text, "1 trained", "the model loaded before the sweep")
  local first = T.read(dir .. "/reports/loads_inside.md"):match("loss [%d.]+")
  text = run("--set", "init=2")
  T.contains(text, "1 trained", "another model file's weights train again")
  T.truthy(T.read(dir .. "/reports/loads_inside.md"):match("loss [%d.]+") ~= first, "to another loss")
end)

T.case("a run function that loads Lua code from a file itself is refused at its line", function()
  local code = dir .. "/code_in_a_folder_whose_name_is_long_enough_to_be_cut_if_messages_cut_paths"
  os.execute("mkdir -p " .. T.quote(code))
  T.write(code .. "/helper.lua", "return { lr = 0.1 }\n")
  for _, load in ipairs {
    { 'require "helper"', "the module 'helper'" },
    { 'lab.require "helper"', "the module 'helper'" },
    { 'alias "helper"', "the module 'helper'" }, -- require taken before the sweep
    { ("dofile(%q)"):format(code .. "/helper.lua"), ("the file '%s'"):format(code .. "/helper.lua") },
    { ("loadfile(%q)"):format(code .. "/helper.lua"), ("the file '%s'"):format(code .. "/helper.lua") },
  } do
    local file, line = T.marked_script(code, "loads_code", ([[
package.path = %q .. "/?.lua;" .. package.path
local alias = require
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) %% 2 end, { seed = 1, classes = 2 })
local runs = lab.sweep { seeds = 1, train = ds, test = ds, run = function(p, ctx)
  local math_ok, nnlab_ok = require "math", require "nnlab.data" -- Lua's and nnlab's own modules are fine
  local helper = %s --<
  return { { epoch = 1, train_loss = 1, train_acc = 50 } }
end }
]]):format(code, load[1]))
    local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet", "-j", "1" },
                                   { NNLAB_CACHE = cache })
    T.eq(code, 1, text)
    T.contains(text, ("loads_code.lua:%d: lab.sweep: run(p, ctx) loads %s itself"):format(line, load[2]),
               load[1] .. ": names the line and what it loads")
    T.contains(text, "require it before lab.sweep", "says what to do")
  end
end)

T.case("a built-in sweep of more epochs than one cache entry can hold is refused before training", function()
  local file, line = T.marked_script(dir, "many_epochs", [[
local lab = require "nnlab"
local ds = lab.data.generate(8, function(i, rng) return { rng:random() }, (i - 1) % 2 end, { seed = 1, classes = 2 })
lab.sweep { vary = { h = { 1 } }, seeds = 1, epochs = 30001, batch_size = 4, train = ds, test = ds, --<
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(1, p.h + 1) } end,
  optimizer = function(_, ps) return lab.optim.SGD(ps, { lr = 0.1 }) end }
]])
  local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(code, 1, text)
  T.contains(text, ("many_epochs.lua:%d: lab.sweep: epochs must be at most 30000"):format(line), "at the sweep's line")
  -- a run function's epochs are its own: only the history it returns is checked
  file = dir .. "/many_own_epochs.lua"
  T.write(file, [[
local lab = require "nnlab"
local ds = lab.data.generate(8, function(i, rng) return { rng:random() }, (i - 1) % 2 end, { seed = 1, classes = 2 })
lab.sweep { vary = { h = { 1 } }, seeds = 1, epochs = 100000, train = ds, test = ds, run = function(p)
  local history = {}
  for e = 1, p.epochs, 10000 do history[#history + 1] = { epoch = e, train_loss = 1 / e, train_acc = 50 } end
  return history
end }
]])
  text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(code, 0, "a run function's own 100 000 epochs\n" .. text)
end)

T.case("a run function that leaves its epochs unsaid gets no made-up epoch count in the progress lines", function()
  local file = dir .. "/own_epochs.lua"
  T.write(file, [[
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) % 2 end, { seed = 1, classes = 2 })
lab.sweep { vary = { h = { 1 } }, seeds = 1, train = ds, test = ds, run = function(p, ctx)
  local history = {}
  for epoch = 1, 3 do history[epoch] = { epoch = epoch, train_loss = 1 / epoch, train_acc = 50 } end
  return history
end }
]])
  local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "-j", "1" }, { NNLAB_CACHE = cache })
  T.eq(code, 0, text)
  T.contains(text, "h=1 seed 1: training\n", "a plain start line")
  T.truthy(not text:find("training 1 epoch", 1, true), "no made-up count\n" .. text)
end)

-- A loop of one-epoch fits passes fit's divergence on only in the epoch's
-- flag, and a loop of its own may end on a NaN loss: both were averaged in
-- as finished seeds, and a diverged variation could be crowned the best.
T.case("a run function's seed diverged by an epoch's flag or a non-finite loss is marked diverged", function()
  local file = dir .. "/diverging.lua"
  T.write(file, [[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local ds = data.generate(60, function(i, rng) return { rng:random(), rng:random() }, (i - 1) % 2 end,
                         { seed = 1, classes = 2 })
local runs = lab.sweep { name = "div", vary = { how = { "fine", "huge_lr", "nan_loss" } }, seeds = 2, epochs = 2,
  train = ds, test = ds, run = function(p, ctx)
    if p.how == "nan_loss" then -- a loop of its own that stops on a NaN loss
      return { { train_loss = 0.5, train_acc = 99, test_acc = 99 }, { train_loss = 0 / 0, train_acc = 99, test_acc = 99 } }
    end
    local model = nn.Sequential { nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2) }
    local opt = optim.SGD(model:parameters(), { lr = p.how == "huge_lr" and 1e6 or 0.1 })
    local history = {}
    for epoch = 1, p.epochs do
      history[epoch] = lab.fit { model = model, loss = nn.CrossEntropyLoss(), optimizer = opt, epochs = 1,
        train = data.DataLoader(ctx.train, { batch_size = 10, shuffle = true, seed = ctx.seed * 1000 + epoch }),
        test = data.DataLoader(ctx.test, { batch_size = 60 }) }[1]
    end
    return history
  end }
for _, row in ipairs(runs:summary()) do lab.md("- %s: %d diverged, %s", row.label, row.diverged, row.text) end
lab.md("best: %s", runs:best().label)
lab.table(runs)
]])
  local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet", "-j", "2" },
                                 { NNLAB_CACHE = cache })
  T.eq(code, 0, text)
  local md = T.read(dir .. "/reports/diverging.md")
  T.contains(md, "- how=fine: 0 diverged", "the fine variation")
  T.contains(md, "- how=huge_lr: 2 diverged", "diverged by fit's per-epoch flag\n" .. md)
  T.contains(md, "- how=nan_loss: 2 diverged", "diverged by a NaN training loss")
  T.contains(md, "best: how=fine", "the best is the variation that trained")
  -- results.csv marks the epoch it diverged at, as for fit's runs
  local csv = T.read(dir .. "/reports/diverging/results.csv")
  local header = csv:match("^[^\n]*")
  local flagged, seeds = {}, 0
  for line in csv:gmatch("[^\n]+") do
    local how, seed, epoch = line:match("^div,how=[%w_]+,([%w_]+),(%d+),(%d+),.*,true$")
    if how and not flagged[how .. seed] then flagged[how .. seed], seeds = epoch, seeds + 1 end
  end
  T.truthy(header:match(",seed,epoch,.*,diverged$"), "the CSV's columns: " .. header)
  T.eq(seeds, 4, "each diverged seed has a diverged row\n" .. csv)
  T.eq(flagged.nan_loss1, "2", "the NaN loss's epoch, not the first")
  T.eq(flagged.fine1, nil, "no diverged row of a fine seed")
  -- an entry stored before these rules (diverged = false beside a NaN loss
  -- or an epoch's flag, and no digest of its result: entries had none then)
  -- is read by them all the same
  local rewritten = 0
  for entry in T.run("ls " .. T.quote(cache) .. "/*.lua"):gmatch("[^\n]+") do
    local text = T.read(entry)
    if text:find("diverged=true", 1, true) and text:find('how="', 1, true) then
      T.write(entry, (text:gsub("(result={.-)diverged=true", "%1diverged=false"):gsub(',digest="%x+"}\n$', "}\n")))
      rewritten = rewritten + 1
    end
  end
  T.eq(rewritten, 4, "the entries of the diverged seeds, stored as before")
  text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(code, 0, text)
  md = T.read(dir .. "/reports/diverging.md")
  T.contains(text, "6 runs, 0 trained, 6 from cache", "read from the cache")
  T.contains(md, "- how=huge_lr: 2 diverged", "an old entry's epoch flag")
  T.contains(md, "- how=nan_loss: 2 diverged", "an old entry's NaN loss")
  T.contains(md, "best: how=fine", "the best")
end)

T.case("a run function's history.diverged that is not a boolean is refused", function()
  local file = dir .. "/diverged_flag.lua"
  T.write(file, [[
local lab = require "nnlab"
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) % 2 end, { seed = 1, classes = 2 })
lab.sweep { vary = { h = { 1 } }, seeds = 1, train = ds, test = ds, run = function(p, ctx)
  local history = { { train_loss = 1, train_acc = 50 } }
  history.diverged = 1
  return history
end }
]])
  local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet" }, { NNLAB_CACHE = cache })
  T.eq(code, 1, text)
  T.contains(text, "run(p, ctx)'s history: diverged is a number, not a boolean", text)
end)

T.done()
