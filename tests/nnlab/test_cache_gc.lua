-- `nnlab cache stats` and `nnlab cache gc` (docs/scale-out.md, "Cache
-- housekeeping"): gc removes exactly the entries no given experiment uses,
-- names each file it removes, never removes one an experiment uses (also
-- runs chosen from the results of others), honours --older-than and
-- --dry-run, leaves files nnlab did not write alone, and removes nothing
-- when planning an experiment stops early.
local T = require "testlib"

local dir = T.tmpdir("cache_gc")
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data")
local cache = dir .. "/cache"
local script = dir .. "/kept.lua"
T.write(script, ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local epochs = lab.param("epochs", 2)
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local function sweep(name, widths)
  return lab.sweep { name = name, vary = { hidden = widths }, seeds = 2, epochs = epochs, batch_size = 10,
    train = train, test = test,
    model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
    optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end,
  }
end
local runs = sweep("width", { 4, 8 })
lab.table(runs)
lab.table(sweep("chosen", { runs:best("test_acc").params.hidden + 1 }))
]]):format(data, data))

local function nnlab(args) return T.nnlab_run(args, { NNLAB_CACHE = "" }) end
local function entries()
  local list = {}
  for name in T.run("ls " .. T.quote(cache)):gmatch("[^\n]+") do
    if name:match("^%x+%.lua$") then list[#list + 1] = name end
  end
  return list
end

local used, unused
T.case("set-up: the experiment at its defaults (6 runs) and at epochs=3 (6 more)", function()
  local out, status = nnlab({ "run", script, "--cache", cache, "--out", dir .. "/reports", "--quiet" })
  T.eq(status, 0, out)
  used = {}
  for _, name in ipairs(entries()) do used[name] = true end
  out, status = nnlab({ "run", script, "--cache", cache, "--out", dir .. "/reports", "--quiet", "--set", "epochs=3" })
  T.eq(status, 0, out)
  unused = {}
  for _, name in ipairs(entries()) do if not used[name] then unused[#unused + 1] = name end end
  T.eq(#entries(), 12, "twelve entries")
  T.eq(#unused, 6, "six used only at epochs=3")
  T.write(cache .. "/notes.txt", "mine\n")
  T.write(cache .. "/0123456789abcdef.pred", "beside no entry")
  os.execute("touch -d '2 hours ago' " .. T.quote(cache .. "/0123456789abcdef.pred"))
  T.write(cache .. "/." .. unused[1] .. ".tmpgone.12345", "half a write")
  os.execute("touch -d '2 hours ago' " .. T.quote(cache .. "/." .. unused[1] .. ".tmpgone.12345"))
  T.write(cache .. "/." .. unused[1] .. ".tmpgone.12346", "a write going on now")
end)

T.case("stats counts entries, temporary and other files, and what the experiment uses", function()
  local out, status = nnlab({ "cache", "stats", "--cache", cache, "--experiment", script })
  T.eq(status, 0, out)
  T.contains(out, "12 entries", out)
  T.contains(out, "2 temporary files, 1 other file; 1 beside no entry", out)
  T.contains(out, "uses 6 entries here", out)
  T.eq(out:find("-%d+ min old"), nil, "no negative age for entries written this second\n" .. out)
  -- --cache=DIR and --experiment=FILE, as nnlab run takes them
  local same = nnlab({ "cache", "stats", "--cache=" .. cache, "--experiment=" .. script })
  T.eq(same:gsub("%d+ min old", "N min old"), out:gsub("%d+ min old", "N min old"), "the = forms")
  local refused, code = nnlab({ "cache", "gc", "--cache=" .. cache, "--experiment", script, "--dry-run=yes" })
  T.eq(code, 1, refused)
  T.contains(refused, "--dry-run takes no value")
  -- the bytes of what it uses: its entries and the files beside them, as the folder's total counts them
  local bytes = 0
  for name in pairs(used) do
    for file in T.run("ls " .. T.quote(cache)):gmatch("[^\n]+") do
      if file:sub(1, 16) == name:sub(1, 16) and file:match("^%x+%.%w+$") then
        local f = assert(io.open(cache .. "/" .. file, "rb"))
        bytes = bytes + f:seek("end")
        f:close()
      end
    end
  end
  local size_text = require("nnlab.notebook.housekeeping").size_text
  T.contains(out, ("uses 6 entries here (%s with the files beside them)"):format(size_text(bytes)), out)
  T.contains(out, "its plan has 4 runs, 4 of them cached", "the run chosen from results is not in the plan")
end)

T.case("gc --dry-run and --older-than name what they would leave or remove, and remove nothing", function()
  local out, status = nnlab({ "cache", "gc", "--cache", cache, "--experiment", script, "--dry-run" })
  T.eq(status, 0, out)
  for _, name in ipairs(unused) do T.contains(out, "would remove " .. name .. " (used by none", "names " .. name) end
  T.eq(#entries(), 12, "nothing removed")
  out, status = nnlab({ "cache", "gc", "--cache", cache, "--experiment", script, "--older-than", "30d" })
  T.eq(status, 0, out)
  T.contains(out, "kept 6 entries the experiments use and 6 unused but younger than --older-than", out)
  T.eq(#entries(), 12, "young entries stay")
end)

T.case("gc removes exactly the unused entries and the stale temporary file, naming each", function()
  local out, status = nnlab({ "cache", "gc", "--cache", cache, "--experiment", script })
  T.eq(status, 0, out)
  for _, name in ipairs(unused) do T.contains(out, "removed " .. name .. " (used by none", "names " .. name) end
  T.contains(out, ".tmpgone.12345 (temporary file", "the stale temporary file")
  for _, name in ipairs(unused) do -- what each run kept beside its entry (nnlab.notebook.pictures)
    T.contains(out, "removed " .. name:gsub("%.lua$", ".model") .. " (kept beside " .. name, "with its entry")
    T.contains(out, "removed " .. name:gsub("%.lua$", ".pred") .. " (kept beside " .. name, "with its entry")
  end
  T.contains(out, "removed 0123456789abcdef.pred (beside no cache entry", "the stale file beside no entry")
  for name in pairs(used) do
    T.truthy(T.read(cache .. "/" .. name:gsub("%.lua$", ".model")), "a used entry's files stay: " .. name)
  end
  local left = entries()
  T.eq(#left, 6, "six entries left\n" .. out)
  for _, name in ipairs(left) do T.truthy(used[name], name .. " is one the experiment uses") end
  T.truthy(T.read(cache .. "/notes.txt"), "a file nnlab did not write stays")
  T.truthy(T.read(cache .. "/." .. unused[1] .. ".tmpgone.12346"), "a fresh temporary file stays")
  out, status = nnlab({ "run", script, "--cache", cache, "--out", dir .. "/reports", "--no-train", "--quiet" })
  T.eq(status, 0, "the experiment still runs from the cache alone, its chosen run included\n" .. out)
  T.contains(out, "6 runs, 0 trained, 6 from cache", out)
end)

-- Pass 0 takes cached results; a run not cached (a variation just added,
-- an entry damaged) got a made-up result, usually the best, and gc removed
-- the real choice's entries, which the next run then read "from cache".
-- stats and --dry-run deleted damaged entries. An upper-case hex name
-- (not nnlab's) was removed as unused.
T.case("gc keeps what results may choose while a run is not cached; stats and --dry-run remove nothing", function()
  local files_now = function() return T.run("ls -A " .. T.quote(cache) .. " | wc -l"):match("%d+") end
  local widened = dir .. "/widened.lua"
  T.write(widened, T.read(script):gsub('sweep%("width", { 4, 8 }%)', 'sweep("width", { 4, 8, 12 })'))
  local before = files_now()
  local out, status = nnlab({ "cache", "gc", "--cache", cache, "--experiment", widened })
  T.eq(status, 1, out)
  T.contains(out, " of " .. widened .. "'s runs are not cached (new or damaged), so the runs it chooses from results "
             .. "are unknown", "refused")
  T.contains(out, "nothing was removed", out)
  T.eq(files_now(), before, "nothing removed")
  -- a damaged entry of the experiment: stats and a dry run leave it, and say what they cannot know
  local victim = next(used)
  local pred = cache .. "/" .. victim:gsub("%.lua$", ".pred")
  T.write(pred, T.read(pred) .. "x")
  out, status = nnlab({ "cache", "stats", "--cache", cache, "--experiment", script })
  T.eq(status, 0, out)
  -- (one damaged entry, or more when later runs are chosen from its result: "is" or "are")
  local n, verb = out:match("(%d+) of its runs (%a+) not cached and others are chosen from the results, so it may use others")
  T.truthy(n, out)
  T.eq(verb, n == "1" and "is" or "are", "the verb agrees with the count\n" .. out)
  out = nnlab({ "cache", "gc", "--cache", cache, "--experiment", script, "--dry-run" })
  T.contains(out, "nothing was removed", out)
  T.eq(files_now(), before, "the damaged entry stays: stats and --dry-run remove nothing")
  out, status = nnlab({ "cache", "gc", "--cache", cache, "--experiment", script })
  T.eq(status, 1, "a real gc refuses too\n" .. out)
  T.contains(out, "nothing was removed", out)
  T.eq(out:find("deleted", 1, true), nil, "and deletes no damaged entry while planning\n" .. out)
  T.eq(files_now(), before, "nothing removed")
  T.truthy(T.read(cache .. "/" .. victim), "the entry itself")
  -- a file named like an entry but in upper case is not nnlab's
  T.write(cache .. "/ABCDEF0123456789.lua", "not nnlab's")
  out = nnlab({ "cache", "gc", "--cache", cache, "--experiment", script, "--partial" })
  T.truthy(T.read(cache .. "/ABCDEF0123456789.lua"), "stays\n" .. out)
  T.eq(out:find("ABCDEF0123456789", 1, true), nil, "not named as an entry\n" .. out)
end)

-- gc from another folder planned against other data (data.load reads
-- ./data of the folder it runs from) and removed every entry: an
-- experiment none of whose planned runs is cached is refused.
T.case("gc refuses an experiment none of whose planned runs is cached here", function()
  local other = dir .. "/other_data.lua"
  T.write(other, T.read(script):gsub('lab.param%("epochs", 2%)', 'lab.param("epochs", 5)'))
  local before = T.run("ls -A " .. T.quote(cache) .. " | wc -l")
  local out, status = nnlab({ "cache", "gc", "--cache", cache, "--experiment", other })
  T.eq(status, 1, out)
  T.contains(out, "cache gc: none of " .. other .. "'s 4 planned runs is cached here", out)
  T.contains(out, "nothing was removed", out)
  T.eq(T.run("ls -A " .. T.quote(cache) .. " | wc -l"), before, "nothing removed")
  out, status = nnlab({ "cache", "gc", "--cache", cache, "--experiment", other, "--dry-run", "--partial" })
  T.eq(status, 0, "--partial goes on\n" .. out)
  out, status = nnlab({ "cache", "gc", "--cache", cache, "--experiment", other, "--dry-run", "--older-than", "30d" })
  T.eq(status, 0, "--older-than too: the way to prune runs made with --set values\n" .. out)
end)

T.case("cache commands refuse bad input with one line", function()
  for _, case in ipairs {
    { { "cache", "gc", "--cache", cache }, "gc needs --experiment" },
    { { "cache", "gc", "--cache", cache, "--experiment", script, "--older-than", "soon" }, "--older-than needs an age" },
    { { "cache", "tidy" }, "unknown cache command 'tidy'" },
    { { "cache", "stats", "--dry-run" }, "unknown option '--dry-run' for nnlab cache stats" },
    { { "cache", "stats", "--cache", dir .. "/nowhere" }, "cannot read the cache folder" },
  } do
    local out, status = nnlab(case[1])
    T.eq(status, 1, table.concat(case[1], " ") .. "\n" .. out)
    T.truthy(out:match("^nnlab: [^\n]*\n$") and out:find(case[2], 1, true), "one line with: " .. case[2] .. "\n" .. out)
  end
end)

T.case("gc removes nothing when planning an experiment stops before its end", function()
  local by_hand = dir .. "/by_hand.lua"
  T.write(by_hand, T.read(script):gsub("local runs = sweep", [[
local m = nn.Sequential { nn.Linear(16, 4), nn.ReLU(), nn.Linear(4, 10) }
lab.fit { model = m, loss = nn.CrossEntropyLoss(), epochs = 1, optimizer = optim.SGD(m:parameters(), { lr = 0.1 }),
          train = lab.data.DataLoader(train, { batch_size = 10 }) }
local runs = sweep]], 1))
  local own = dir .. "/by_hand_cache"
  local out, status = nnlab({ "run", by_hand, "--cache", own, "--out", dir .. "/reports", "--quiet" })
  T.eq(status, 0, out)
  local before = T.run("ls " .. T.quote(own))
  out, status = nnlab({ "cache", "gc", "--cache", own, "--experiment", by_hand })
  T.eq(status, 1, out)
  T.contains(out, "planning " .. by_hand .. " stopped before its end", "says why")
  T.contains(out, "nothing was removed", "and that nothing went")
  T.eq(T.run("ls " .. T.quote(own)), before, "every file is still there")
  out, status = nnlab({ "cache", "gc", "--cache", own, "--experiment", by_hand, "--partial", "--dry-run" })
  T.eq(status, 0, "--partial goes on\n" .. out)
  T.contains(out, "would remove", "naming what the plan up to the hand-made training leaves unused")
end)

T.case("gc plans an experiment that draws lab.weights (its pass on cached results failed on it)", function()
  local own = dir .. "/weights-cache"
  local pictured = dir .. "/pictured.lua"
  T.write(pictured, ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { hidden = { 4 } }, seeds = 1, epochs = 1, batch_size = 10, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end }
lab.weights(runs, { n = 4 })
]]):format(data, data))
  local out, status = nnlab({ "run", pictured, "--cache", own, "--out", dir .. "/reports", "--quiet" })
  T.eq(status, 0, out)
  out, status = nnlab({ "cache", "gc", "--cache", own, "--experiment", pictured, "--dry-run" })
  T.eq(status, 0, "gc plans it\n" .. out)
  T.contains(out, "kept 1 entry the experiments use", out)
end)

T.case("a dead worker's model-save temporaries are removed, no other file", function()
  local files = require "nnlab.files"
  local folder = T.tmpdir("save_temporaries")
  local model = folder .. "/.abc.model.tmphost.77"
  local gone = { model .. ".tmp.77.0", model .. ".tmp.77.12" }
  local kept = { model .. ".tmp.770.0", model .. ".tmp.78.0", model, folder .. "/other.tmp.77.0" }
  for _, p in ipairs(gone) do T.write(p, "half a model") end
  for _, p in ipairs(kept) do T.write(p, "not the dead save's") end
  files.remove_save_temporaries(model, 77)
  for _, p in ipairs(gone) do T.eq(T.read(p), nil, p .. " removed") end
  for _, p in ipairs(kept) do T.eq(T.read(p), "not the dead save's", p .. " kept") end
end)

T.done()
