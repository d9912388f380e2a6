-- lab.table and lab.chart of a one-off run (issue 14; docs/notebook.md): a
-- history (nnlab.fit's result, or any list of per-epoch tables) gives a
-- per-epoch table with the history's own numbers and a chart of its curves;
-- anything else is an error at the user's line.
local T = require "testlib"

local dir = T.tmpdir("history_report")
local script = dir .. "/byhand.lua"
T.write(script, [[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local dump = lab.param("dump", "dump.txt")
local ds = data.generate(120, function(i, rng) return { rng:random(), rng:random() }, (i - 1) % 2 end,
                         { seed = 1, classes = 2 })
local train, test = ds:split(80, { seed = 1 })
local model = nn.Sequential { nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2) }
local history = lab.fit { model = model, loss = nn.CrossEntropyLoss(),
  optimizer = optim.SGD(model:parameters(), { lr = 0.1 }),
  train = data.DataLoader(train, { batch_size = 10, shuffle = true, seed = 1 }),
  test = data.DataLoader(test, { batch_size = 40 }), epochs = 3 }
local f = assert(io.open(dump, "w"))
for _, h in ipairs(history) do f:write(("%d %.4f %.2f\n"):format(h.epoch, h.train_loss, h.test_acc)) end
f:close()
lab.table(history, { label = "by hand" })
lab.chart(history, { y = { "train_acc", "test_acc" }, label = "by hand" })
lab.chart({ { epoch = 1, test_acc = 50 }, { epoch = 2, test_acc = 62.5 } }, { title = "made by hand" })
lab.chart({ { epoch = 5, test_acc = 50 }, { epoch = 10, test_acc = 60 }, { epoch = 15, test_acc = 70 } }, { title = "every fifth" })
lab.chart({ { epoch = 0, test_acc = 25 }, { epoch = 1, test_acc = 60 }, { epoch = 2, test_acc = 70 } }, { title = "from 0" })
]])

local dump = dir .. "/dump.txt"
local out, status = T.nnlab_run({ "run", script, "--out", dir .. "/reports", "--quiet", "--set", "dump=" .. dump })
local md = T.read(dir .. "/reports/byhand.md") or ""

T.case("lab.table(history): one row per epoch with the history's numbers", function()
  T.eq(status, 0, out)
  local n = 0
  for epoch, loss, acc in (T.read(dump) or ""):gmatch("(%d+) ([%d%.]+) ([%d%.]+)\n") do
    n = n + 1
    T.contains(md, ("\n| %s | %s | "):format(epoch, loss), "epoch " .. epoch .. "'s train loss\n" .. md)
    local row = md:match("\n(| " .. epoch .. " |[^\n]*)") or ""
    T.contains(row, ("| %s %% |"):format(acc), "epoch " .. epoch .. "'s test accuracy")
  end
  T.eq(n, 3, "three epochs")
  T.contains(md, "_Per epoch: by hand (one run)._", "the caption names the run")
end)

-- The header said "Data | none", "Seeds | none" and "Runs | 0 ...: 0 trained"
-- of a file that trained by hand, as if nothing had run.
T.case("a file that trains by hand: the header says its data is not recorded, and has no seeds or runs row", function()
  T.contains(md, "| Data | not recorded: the file trains by hand (nnlab.fit or a loop of its own), not through "
             .. "lab.sweep", "the data row\n" .. md)
  T.truthy(not md:find("\n| Seeds |", 1, true) and not md:find("\n| Runs |", 1, true), "no seeds or runs row\n" .. md)
  T.truthy(md:find("\n| Time | [%d.]+ s for this run before this report was written |\n"), "the time row\n" .. md)
  -- a file that trains nothing at all is not said to train by hand
  local prose = dir .. "/prose.lua"
  T.write(prose, 'local lab = require "nnlab"\nlab.md("nothing trains here")\n')
  local pout, pstatus = T.nnlab_run({ "run", prose, "--out", dir .. "/reports", "--quiet" })
  T.eq(pstatus, 0, pout)
  local pmd = T.read(dir .. "/reports/prose.md") or ""
  T.contains(pmd, "| Data | none |", "no data\n" .. pmd)
  T.contains(pmd, "| Runs | 0 (variation × seed)", "no runs\n" .. pmd)
end)

T.case("lab.chart(history): its curves, the label in the key; any list of per-epoch tables too", function()
  local dat = T.read(dir .. "/reports/byhand/fig1-train_acc-test_acc-epoch.dat") or ""
  T.contains(dat, "# by hand: test accuracy", "keyed by the label")
  T.truthy(T.read(dir .. "/reports/byhand/fig1-train_acc-test_acc-epoch.png"), "drawn")
  local two = T.read(dir .. "/reports/byhand/fig2-test_acc-epoch.dat") or ""
  T.contains(two, "\n1 50 ", "epoch 1")
  T.contains(two, "\n2 62.5 ", "epoch 2")
  T.contains(md, "![made by hand]", "its title")
end)

-- A history's own epoch numbers: 5, 10, 15 had been drawn on an axis of 1
-- to 3 (the chart failed: no point on it), and epoch 0 was cut off.
T.case("lab.chart(history) draws the epochs the history numbers", function()
  local md = T.read(dir .. "/reports/byhand.md")
  T.eq(md:find("Chart not drawn", 1, true), nil, "every chart drawn\n" .. md)
  local fifth = T.run("cat " .. T.quote(dir .. "/reports/byhand") .. "/fig3-*.gp")
  T.contains(fifth, "set xrange [5:15]", "every fifth epoch")
  local zero = T.run("cat " .. T.quote(dir .. "/reports/byhand") .. "/fig4-*.gp")
  T.contains(zero, "set xrange [0:2]", "from epoch 0")
end)

T.case("what is neither a sweep's runs nor a history is an error at the user's line", function()
  for _, case in ipairs {
    { "lab.table({})", "lab.table: expected the result of lab.sweep, or a history" },
    { "lab.chart('runs')", "lab.chart: expected the result of lab.sweep, or a history" },
    { "lab.table({ 1, 2 })", "lab.table: a history must be a list of per-epoch tables: entry 1 is a number" },
    { "lab.chart({ { test_acc = 1 } }, { x = 'lr' })", "lab.chart: x must be \"epoch\"" },
  } do
    local file, line = T.marked_script(dir, "bad_history", "local lab = require \"nnlab\"\n" .. case[1] .. " --<\n")
    local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/reports", "--quiet" })
    T.eq(code, 1, text)
    T.contains(text, ("bad_history.lua:%d: %s"):format(line, case[2]), case[1])
  end
end)

T.done()
