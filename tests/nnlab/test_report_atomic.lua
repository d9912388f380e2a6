-- A report appears whole or not at all, and a chart is re-used only with
-- proof (docs/reliability.md, "Interrupting a run"). SQLite-style fault
-- injection (NNLAB_FAULT_AT=k, see lua/nnlab/files.lua): the k-th file
-- write, rename or gnuplot call of a whole report fails, gets a SIGTERM, or
-- SIGKILLs nnlab; for every k the previous report stays byte-identical, or
-- the new one is complete (after the next run's recovery, for SIGKILL).
local T = require "testlib"

local dir = T.tmpdir("report_atomic")
local cache = dir .. "/cache"
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data") -- 4x4 images: runs take milliseconds

-- Four charts, a table and prose; `prose` and `title` change the report
-- without training anything new.
local script = dir .. "/atomic.lua"
T.write(script, ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local prose = lab.param("prose", "A")
local title = lab.param("title", "one")
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 2, batch_size = 10,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end,
}
lab.md("prose %%s", prose)
lab.table(runs)
lab.chart(runs, { title = "accuracy " .. title })
lab.chart(runs, { y = "train_loss" })
lab.chart(runs, { x = "hidden" })
lab.chart(runs, { y = "test_loss", title = "loss " .. title })
]]):format(data, data))

local function run(out, settings, env)
  local argv = { "run", script, "--out", out, "--quiet" }
  for _, s in ipairs(settings or {}) do argv[#argv + 1] = "--set" argv[#argv + 1] = s end
  local full_env = { NNLAB_CACHE = cache }
  for k, v in pairs(env or {}) do full_env[k] = v end
  return T.nnlab_run(argv, full_env)
end

-- Every file under out (but the lock), path relative to out -> bytes.
local function snapshot(out)
  local tree = {}
  local list = T.run(("cd %s 2>/dev/null && find . -type f ! -name '.*.lock' | sort"):format(T.quote(out)))
  for path in list:gmatch("[^\n]+") do tree[path:sub(3)] = T.read(out .. "/" .. path:sub(3)) end
  return tree
end

-- The parts of a report that change from run to run even for the same results
-- (the Command row: these runs write to different --out folders).
local function normal(path, text)
  if path:match("%.md$") then
    return (text:gsub("run %d+%-%d+%-%d+ %d+:%d+", "run DATE"):gsub("| Time |[^\n]*", "| Time | T |")
                :gsub("| Runs |[^\n]*", "| Runs | R |"):gsub("| Command |[^\n]*", "| Command | C |"))
  elseif path:match("results%.json$") then
    return (text:gsub('"generated": "[^"]*"', '"generated": G'):gsub('"cached": %w+', '"cached": C')
                :gsub('"trained": %d+', '"trained": N'))
  end
  return text
end

local function same_tree(a, b, normalise)
  for path, text in pairs(a) do
    local other = b[path]
    if other == nil then return false, "missing " .. path end
    if normalise then text, other = normal(path, text), normal(path, other) end
    if text ~= other then return false, "differs: " .. path end
  end
  for path in pairs(b) do
    if a[path] == nil then return false, "extra " .. path end
  end
  return true
end

-- The new report, complete, except that charts whose draw the fault made
-- fail are noted in the .md and have no PNG (never a stale one).
local function is_new(tree, reference)
  local md = tree["atomic.md"]
  if not md then return false, "no .md" end
  local expected = {}
  for path, text in pairs(reference) do expected[path] = text end
  for chart in md:gmatch("Its data and script are in %[atomic/([%w%-_]+)%.dat%]") do
    expected["atomic/" .. chart .. ".png"] = nil
    expected["atomic/.charts-drawn"] = tree["atomic/.charts-drawn"] -- fewer proofs
    expected["atomic.md"] = md
  end
  return same_tree(tree, expected, true)
end

local old_dir, ref_dir, out = dir .. "/old", dir .. "/ref", dir .. "/out"
local old, reference

T.case("set-up: the previous report and the new one, drawn without faults", function()
  local text, status = run(old_dir, { "prose=A", "title=one" })
  T.eq(status, 0, "old report\n" .. text)
  text, status = run(ref_dir, { "prose=B", "title=two" })
  T.eq(status, 0, "reference report\n" .. text)
  old, reference = snapshot(old_dir), snapshot(ref_dir)
  T.truthy(old["atomic/fig1-test_acc-epoch.png"], "charts drawn")
  T.truthy(old["atomic/fig1-test_acc-epoch.png"] ~= reference["atomic/fig1-test_acc-epoch.png"],
           "the new report's first chart differs from the old one")
end)

local function fresh_out()
  os.execute(("rm -rf %s && cp -a %s %s"):format(T.quote(out), T.quote(old_dir), T.quote(out)))
end

-- Runs the new report over a copy of the old one with the k-th fault point
-- faulted; returns the output, the status and the state it left.
local function faulted(kind, k)
  fresh_out()
  local text, status = run(out, { "prose=B", "title=two" }, { NNLAB_FAULT_AT = tostring(k), NNLAB_FAULT_KIND = kind })
  return text, status, snapshot(out)
end

local points = 0

-- Asserts that tree (snapshot) is the old report or the complete new one;
-- returns true when it is the old. what: the case, for the message.
local function old_or_new(tree, what)
  local was_old = same_tree(tree, old)
  local now_new, why = is_new(tree, reference)
  T.truthy(was_old or now_new, ("%s: neither the old report nor the new one (%s)"):format(what, why))
  return was_old
end

T.case("every failing write, rename or gnuplot call leaves the old report or the complete new one", function()
  T.truthy(old, "set-up ran")
  local k = 1
  while true do
    local text, status, tree = faulted("fail", k)
    if not text:find("injected fault", 1, true) then -- past the last fault point: a clean run
      T.eq(status, 0, "a run with no fault\n" .. text)
      T.truthy(same_tree(tree, reference, true), "a run with no fault writes the new report")
      break
    end
    if old_or_new(tree, ("fault %d\n%s"):format(k, text)) then T.eq(status, 1, "fault " .. k .. " fails the run") end
    k = k + 1
    T.truthy(k < 200, "the fault points end")
  end
  points = k - 1
  T.truthy(points >= 20, ("a whole report passes many fault points (%d)"):format(points))
end)

T.case("a SIGTERM at any fault point leaves the old report or the complete new one", function()
  T.truthy(points > 0, "the fault points were counted")
  for k = 1, points do
    local text, status, tree = faulted("signal", k)
    local was_old = old_or_new(tree, ("SIGTERM at %d\n%s"):format(k, text))
    -- the signal always stops the run, also when it came during the last write or the commit
    T.eq(status, 143, "SIGTERM at " .. k .. " stops the run\n" .. text)
    if was_old then
      T.contains(text, "the previous report is kept", "says so")
      -- the sweep's runs were trained and cached before the report: never "nothing was cached"
      T.contains(text, "finished runs stay cached", "SIGTERM at " .. k .. ": says the runs are cached")
    else
      T.contains(text, "stopped after the report was written", "SIGTERM at " .. k .. ": says the report is new")
    end
  end
end)

T.case("a SIGKILL at any fault point is repaired by the next run: old report or complete new one", function()
  T.truthy(points > 0, "the fault points were counted")
  for k = 1, points do
    local text, status = faulted("kill", k)
    T.eq(status, 137, ("SIGKILL at %d\n%s"):format(k, text))
    -- the next report of that name recovers first; its own first write then fails
    local again = run(out, { "prose=B", "title=two" }, { NNLAB_FAULT_AT = "1" })
    T.contains(again, "injected fault", "the next run fails at its first write")
    old_or_new(snapshot(out), ("SIGKILL at %d, recovered"):format(k))
  end
end)

-- A run that fails before it writes a report (here: a --set key nothing
-- uses, an error at the file's end) still finishes, as it begins, the
-- commit a killed run left: never the new folder beside the old .md.
T.case("a SIGKILL in the commit is repaired by the next run even when that run fails", function()
  T.truthy(points > 0, "the fault points were counted")
  for k = points - 7, points do
    local text, status = faulted("kill", k)
    T.eq(status, 137, ("SIGKILL at %d\n%s"):format(k, text))
    local again, again_status = run(out, { "prose=B", "title=two", "unused=1" })
    T.eq(again_status, 1, "the next run fails\n" .. again)
    T.contains(again, "unused", "at the unused --set key")
    old_or_new(snapshot(out), ("SIGKILL at %d, then a failed run"):format(k))
  end
end)

T.case("a chart whose draw failed is never replaced by a stale PNG", function()
  T.truthy(old, "set-up ran")
  fresh_out()
  -- the new title's draw fails: the report says so, and the old PNG is gone
  local text, status = run(out, { "prose=B", "title=two" }, { NNLAB_GNUPLOT = "false" })
  T.eq(status, 0, "a failing gnuplot is not an error\n" .. text)
  local tree = snapshot(out)
  T.eq(tree["atomic/fig1-test_acc-epoch.png"], nil, "no stale PNG beside the new .gp and .dat")
  T.contains(tree["atomic.md"], "Chart not drawn", "the report says the chart is missing")
  -- with gnuplot back, the chart is drawn from its inputs, not taken from the old report
  text, status = run(out, { "prose=B", "title=two" })
  T.eq(status, 0, "redraw\n" .. text)
  tree = snapshot(out)
  T.eq(tree["atomic/fig1-test_acc-epoch.png"], reference["atomic/fig1-test_acc-epoch.png"], "drawn anew")
  T.truthy(same_tree(tree, reference, true), "the whole report is the new one")
end)

T.case("a PNG with proof is re-used without gnuplot; one without proof is re-drawn", function()
  T.truthy(old, "set-up ran")
  fresh_out()
  local text, status = run(out, { "prose=A", "title=one" }, { NNLAB_GNUPLOT = "false" })
  T.eq(status, 0, "re-render\n" .. text)
  local same, why = same_tree(snapshot(out), old, true)
  T.truthy(same, "every chart re-used: gnuplot was not needed: " .. tostring(why) .. "\n" .. text)
  -- a PNG replaced by hand no longer matches its proof: re-drawn, not trusted
  T.write(out .. "/atomic/fig2-train_loss-epoch.png", "\137PNG\r\n\26\nnot the drawn picture")
  text, status = run(out, { "prose=A", "title=one" })
  T.eq(status, 0, "redraw\n" .. text)
  T.eq(T.read(out .. "/atomic/fig2-train_loss-epoch.png"), old["atomic/fig2-train_loss-epoch.png"], "re-drawn")
end)

-- gnuplot's pngcairo exits 0 when a full disk cuts its PNG short: such a PNG
-- is a chart not drawn, never accepted nor proved, nor re-used later.
T.case("a PNG cut short (gnuplot exits 0 on a full disk) is not accepted, proved or re-used", function()
  T.truthy(old, "set-up ran")
  fresh_out()
  local cut = dir .. "/gnuplot-cut"
  T.write(cut, '#!/bin/sh\neval "$2"\ngnuplot "$@" || exit\ntruncate -s 600 "$outfile"\n')
  os.execute("chmod +x " .. T.quote(cut))
  local text, status = run(out, { "prose=B", "title=two" }, { NNLAB_GNUPLOT = cut })
  T.eq(status, 0, "a failing draw is not an error\n" .. text)
  local tree = snapshot(out)
  T.eq(tree["atomic/fig1-test_acc-epoch.png"], nil, "no cut PNG in the report")
  T.contains(tree["atomic.md"], "Chart not drawn", "the report says the chart is missing")
  T.contains(tree["atomic.md"], "incomplete", "and why")
  T.truthy(not (tree["atomic/.charts-drawn"] or ""):find("fig1", 1, true), "no proof of a cut PNG")
  -- a cut PNG with a matching proof (an earlier nnlab accepted one) is drawn anew, not copied
  fresh_out()
  local png = out .. "/atomic/fig2-train_loss-epoch.png"
  local whole = T.read(png)
  T.write(png, whole:sub(1, 600))
  local hash = require "nnlab.notebook.hash"
  local proofs = T.read(out .. "/atomic/.charts-drawn")
  local line = proofs:match("fig2%-train_loss%-epoch [^\n]*")
  T.truthy(line, "the chart has a proof")
  proofs = proofs:gsub(line:gsub("%p", "%%%0"), (line:gsub("%x+$", hash.hex(hash.fnv1a64(whole:sub(1, 600))))))
  T.write(out .. "/atomic/.charts-drawn", proofs)
  text, status = run(out, { "prose=A", "title=one" })
  T.eq(status, 0, "re-render\n" .. text)
  T.eq(T.read(png), whole, "drawn anew, whole")
end)

T.done()
