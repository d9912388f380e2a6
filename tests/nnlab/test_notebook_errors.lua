-- What goes wrong, and what the notebook does then: bad --set values and
-- unknown keys fail cleanly before any training; a diverging variation is
-- marked while the others complete; a crashed worker or an error in the file
-- fails the run and leaves the last good report; without gnuplot the report
-- is still written, with a note where each chart would be.
local T = require "testlib"
local H = require "fixtures.notebook.helpers"

local dir = T.tmpdir("notebook_errors")

-- --set: typed by the parameter's default, unknown keys refused
local bad_sets = {
  { "epochs=abc", "tiny.lua:6: --set epochs=abc: epochs expects an integer (default 2), got 'abc'" },
  { "epochs=2.5", "epochs expects an integer" },
  { "lr=fast", "tiny.lua:8: --set lr=fast: lr expects a number (default 0.05), got 'fast'" },
  { "epoch=3", "no lab.param or vary axis named 'epoch' is declared before the first lab.sweep (did you mean 'epochs'?)" },
}
for _, case in ipairs(bad_sets) do
  T.case(("--set %s fails before any training: %s"):format(case[1], case[2]), function()
    local out, status = H.run(dir, "tiny.lua", { "--set", case[1] })
    T.eq(status, 1, "--set " .. case[1] .. " status")
    T.contains(out:match("^[^\n]*"), "nnlab: ", "--set " .. case[1] .. ": one clear first line")
    T.contains(out, case[2], "--set " .. case[1])
    T.truthy(not out:find("training", 1, true), "--set " .. case[1] .. ": nothing trained")
  end)
end

T.case("the failed --set runs wrote no report", function()
  T.truthy(not io.open(dir .. "/reports/tiny.md"), "no report from a failed run")
end)

T.case("a bad sweep table names the user's line", function()
  local out, status = H.run(dir, "bad_sweep.lua")
  T.eq(status, 1, "bad sweep status")
  T.contains(out, "bad_sweep.lua:4: lab.sweep: model must be a function(p)", "bad sweep message")
end)

T.case("a diverging variation (lr 100) is marked in the table, chart and CSV; lr 0.5 completes", function()
  local out, status = H.run(dir, "diverge.lua")
  T.eq(status, 0, "diverging sweep status\n" .. out)
  H.expect_counts(out, 4, 4, "diverging sweep")
  T.contains(out, "lr=100 seed 1: diverged at epoch 1", "progress says diverged")
  local md = T.read(dir .. "/reports/diverge.md")
  T.contains(md, "| 100 | diverged | diverged | diverged | diverged |", "diverged row")
  T.truthy(md:find("| 0.5 | %d+%.%d%d ± %d+%.%d%d %% |"), "lr 0.5 row has numbers")
  T.contains(md, "best: lr=0.5", "best skips the diverged variation")
  T.contains(T.read(dir .. "/reports/diverge/fig1-test_acc-epoch.gp"), "'lr=100: diverged'", "chart key marks it")
  H.expect_png(dir .. "/reports/diverge/fig1-test_acc-epoch.png", 10000)
  local csv = T.read(dir .. "/reports/diverge/results.csv")
  T.truthy(csv:find("lr,lr=100,100.0,1,1,[^\n]*,true\n"), "diverged epoch in the CSV")
  T.truthy(csv:find("lr,lr=0.5,0.5,2,2,[^\n]*,false\n"), "lr 0.5 ran every epoch")
end)

local good -- the report of failing.lua's good run
T.case("a worker killed by a signal fails the run; the others are cached, the last good report stays", function()
  local out, status = H.run(dir, "failing.lua")
  T.eq(status, 0, "failing.lua, good run\n" .. out)
  good = T.read(dir .. "/reports/failing.md")
  local cache_before = H.count_files(dir .. "/cache")
  out, status = H.run(dir, "failing.lua", { "--set", "fail=crash", "--force" })
  T.eq(status, 1, "crashed worker status")
  T.contains(out, "failing.lua:12: lab.sweep 'hidden': 1 of 4 runs failed", "failure message names the sweep")
  T.contains(out, "hidden=16 seed 2: killed by signal 9", "and the run and its signal")
  T.eq(T.read(dir .. "/reports/failing.md"), good, "last good report kept after a crash")
  T.eq(H.count_files(dir .. "/cache"), cache_before, "the other runs' entries are still there")
end)

-- Compares with the good report of the case above: unavoidable.
T.case("an error in the file fails the run; the last good report stays", function()
  local out, status = H.run(dir, "failing.lua", { "--set", "fail=error" })
  T.eq(status, 1, "error in the file status")
  T.contains(out, "failing.lua:23: failing on purpose", "the file's error")
  T.eq(T.read(dir .. "/reports/failing.md"), good, "last good report kept after an error")
end)

-- no gnuplot (not on PATH, or failing): report written, a note per chart, a message on stderr
-- (/bin/true exits 0 and writes nothing: said as such, not as a cut-short PNG)
for _, env in ipairs { { PATH = "/nonexistent" }, { NNLAB_GNUPLOT = "/bin/false" }, { NNLAB_GNUPLOT = "/bin/true" } } do
  local name, value = next(env)
  T.case(("without a working gnuplot (%s=%s) the report is written, a note where each chart would be")
         :format(name, value), function()
    local out_dir = dir .. "/nognuplot-" .. name .. value:gsub("%W", "")
    local out, status = H.run(dir, "tiny.lua", { "--out", out_dir }, env)
    T.eq(status, 0, name .. ": status\n" .. out)
    T.contains(out, "nnlab: chart fig1-test_acc-epoch not drawn: ", name .. ": stderr message")
    local why = { ["/bin/false"] = "/bin/false failed", ["/bin/true"] = "/bin/true exited 0 but wrote no PNG" }
    T.contains(out, why[value] or "gnuplot is not installed", name .. ": why")
    local md = T.read(out_dir .. "/tiny.md")
    local notes = 0
    for _ in md:gmatch("%*%*Chart not drawn%*%*") do notes = notes + 1 end
    T.eq(notes, 3, name .. ": a note where each chart would be")
    T.contains(md, "(tiny/fig1-test_acc-epoch.gp)", name .. ": the note links the script")
    T.truthy(not io.open(out_dir .. "/tiny/fig1-test_acc-epoch.png"), name .. ": no PNG")
    T.truthy(T.read(out_dir .. "/tiny/results.csv"), name .. ": results still written")
  end)
end

T.done()
