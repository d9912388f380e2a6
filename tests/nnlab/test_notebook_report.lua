-- The notebook end to end on a Fashion-MNIST subset: the report, its charts
-- and result files; a re-run served from the cache; a changed value that
-- retrains only what it touches; -j 1 and -j 2 giving identical results.
local T = require "testlib"
local H = require "fixtures.notebook.helpers"
local lab = require "nnlab"

local dir = T.tmpdir("notebook_report")
local reports = dir .. "/reports"

-- The first run (everything is trained): the report and results files that
-- the first cases read, and the cache the later runs are served from.
local first_out, first_status = H.run(dir, "tiny.lua", { "-j", "2" })
local md = T.read(reports .. "/tiny.md")
local first_csv = T.read(reports .. "/tiny/results.csv")

T.case("the first run trains every job, shows plain progress and names its report", function()
  T.eq(first_status, 0, "first run status\n" .. first_out)
  H.expect_counts(first_out, 4, 4, "first run")
  T.contains(first_out, "wrote " .. reports .. "/tiny.md", "names the report")
  T.contains(first_out, "hidden=16 seed 2: test acc", "plain progress: one line per finished job")
end)

T.case("the report's header says what was run: dataset, fallback, sizes, engine, seeds, time, parameters", function()
  T.truthy(md, "report written")
  T.contains(md, "# 小实验：隐藏层大小", "title")
  T.contains(md, "Fashion-MNIST (`fashion-mnist`", "dataset used")
  T.contains(md, "`kmnist` was asked for", "fallback named")
  T.contains(md, "not available", "fallback reason")
  T.contains(md, "2000 training / 500 test samples", "sample counts")
  T.contains(md, "nnlab " .. lab.version, "engine version")
  T.contains(md, "SIMD path `" .. lab.simd() .. "`", "SIMD path")
  T.contains(md, "| Seeds | 1, 2 |", "seeds")
  T.contains(md, "4 trained, 0 from cache", "trained/cached counts")
  T.truthy(md:find("| Time | [%d.]+ s for this run before this report was written; the runs took [%d.]+ s of training"),
           "total time")
  T.contains(md, "`epochs` = 2, `second` = 16, `lr` = 0.05", "every parameter")
end)

T.case("the report's blocks follow the file: prose, table, charts, conclusion", function()
  local order = { "一个很小的实验", "说明：第一版", "| hidden | test accuracy", "fig1-test_acc-epoch.png",
                  "fig2-train_loss-epoch.png", "fig3-test_acc-hidden.png", "**结论**" }
  local last = 0
  for _, needle in ipairs(order) do
    local at = md:find(needle, 1, true)
    T.truthy(at and at > last, ("'%s' follows the previous block"):format(needle))
    last = at
  end
end)

T.case("the table shows mean ± std, marks the best variation and gives a verdict against it (Holm-adjusted p)", function()
  T.truthy(md:find("| 8 | %d+%.%d%d ± %d+%.%d%d %% | %d%.%d%d%d%d ± %d%.%d%d%d%d |"), "mean ± std row for hidden 8")
  T.truthy(md:find("**best**", 1, true), "best variation marked")
  T.truthy(md:find("can't tell (p_adj ", 1, true) or md:find("differs (p_adj ", 1, true), "verdict with the adjusted p")
  T.contains(md, "Holm-adjusted together", "the caption names the correction")
end)

T.case("charts are real PNGs, linked relatively, beside the script and data that drew them", function()
  T.contains(md, "![测试准确率（每个 epoch）](tiny/fig1-test_acc-epoch.png)", "relative chart link")
  for _, fig in ipairs { "fig1-test_acc-epoch", "fig2-train_loss-epoch", "fig3-test_acc-hidden" } do
    H.expect_png(("%s/tiny/%s.png"):format(reports, fig), 10000)
    T.contains(T.read(("%s/tiny/%s.gp"):format(reports, fig)), "pngcairo", fig .. ".gp")
    T.truthy(T.read(("%s/tiny/%s.dat"):format(reports, fig)), fig .. ".dat")
  end
  T.contains(T.read(reports .. "/tiny/fig1-test_acc-epoch.gp"), "filledcurves", "mean ± std band")
  T.contains(T.read(reports .. "/tiny/fig1-test_acc-epoch.gp"), "WenQuanYi Zen Hei", "CJK font")
end)

T.case("results.csv and results.json hold one row per variation × seed × epoch", function()
  local csv = H.lines(reports .. "/tiny/results.csv")
  T.eq(csv[1], "sweep,variation,hidden,seed,epoch,train_loss,train_acc,test_loss,test_acc,epoch_lr,diverged", "CSV header")
  T.eq(#csv, 1 + 2 * 2 * 2, "CSV rows")
  local seen = {}
  for i = 2, #csv do
    local hidden, seed, epoch = csv[i]:match("^hidden,hidden=%d+,(%d+),(%d+),(%d+),")
    T.truthy(hidden, "CSV row " .. csv[i])
    seen[hidden .. "/" .. seed .. "/" .. epoch] = true
  end
  for _, h in ipairs { "8", "16" } do
    for _, s in ipairs { "1", "2" } do
      for _, e in ipairs { "1", "2" } do T.truthy(seen[h .. "/" .. s .. "/" .. e], "CSV has " .. h .. "/" .. s .. "/" .. e) end
    end
  end
  local json = T.read(reports .. "/tiny/results.json")
  local rows = 0
  for _ in json:gmatch('"epoch": %d') do rows = rows + 1 end
  T.eq(rows, 8, "JSON rows")
  T.contains(json, '"seconds": ', "JSON has timings")
end)

T.case("editing prose only trains nothing and re-renders the report from the cache", function()
  local out, status = H.run(dir, "tiny.lua", { "--set", "prose=第二版" })
  T.eq(status, 0, "prose re-run status\n" .. out)
  H.expect_counts(out, 4, 0, "prose-only re-run")
  T.contains(out, "all from cache", "says so")
  local md_cached = T.read(reports .. "/tiny.md")
  T.contains(md_cached, "说明：第二版", "new prose in the report")
  -- nothing trained: no "at most 2 at once" in the header
  T.contains(md_cached, "| Runs | 4 (variation × seed): 0 trained, 4 from cache |", "the Runs row of a run that trained nothing")
  T.eq(T.read(reports .. "/tiny/results.csv"), first_csv, "same results from the cache")
end)

T.case("changing one value retrains exactly the variations it touches (hidden=24's two seeds)", function()
  local out, status = H.run(dir, "tiny.lua", { "--set", "second=24" })
  T.eq(status, 0, "changed value status\n" .. out)
  H.expect_counts(out, 4, 2, "second=24")
  T.contains(out, "hidden=24 seed 1: training", "hidden=24 trained")
  T.truthy(not out:find("hidden=8 seed %d: training"), "hidden=8 not retrained")
  local changed = T.read(reports .. "/tiny/results.csv")
  for line in first_csv:gmatch("hidden,hidden=8,[^\n]*") do T.contains(changed, line, "hidden=8 rows unchanged") end
end)

T.case("--force retrains everything; -j 1 and -j 2 give byte-identical results", function()
  local out1, s1 = H.run(dir, "tiny.lua", { "--force", "-j", "1", "--out", dir .. "/j1" })
  local out2, s2 = H.run(dir, "tiny.lua", { "--force", "-j", "2", "--out", dir .. "/j2" })
  T.eq(s1, 0, "-j 1 status\n" .. out1)
  T.eq(s2, 0, "-j 2 status\n" .. out2)
  H.expect_counts(out1, 4, 4, "--force -j 1")
  H.expect_counts(out2, 4, 4, "--force -j 2")
  T.contains(T.read(dir .. "/j1/tiny.md"), "up to 1 at a time", "-j 1 recorded")
  T.eq(T.read(dir .. "/j1/tiny/results.csv"), T.read(dir .. "/j2/tiny/results.csv"), "-j 1 and -j 2 CSVs")
  T.eq(T.read(dir .. "/j1/tiny/results.csv"), first_csv, "retrained results equal the first run's")
end)

T.case("--quiet shows no progress, only the counter", function()
  local out = H.run(dir, "tiny.lua", { "--quiet" })
  T.truthy(not out:find("training", 1, true) and not out:find("tiny: hidden:", 1, true), "--quiet hides progress:\n" .. out)
  H.expect_counts(out, 4, 0, "--quiet run")
end)

-- util-linux `script` gives the run a terminal
local on_a_terminal = "on a terminal, a live block is redrawn in place: a counter and a bar per job"
if T.run("command -v script"):find("script") then
  local function on_terminal(term)
    local cmd = ("TERM=%s NNLAB_CACHE=%s NNLAB_OFFLINE=1 %s run %s --out %s --force --set epochs=3"):format(
      term, T.quote(dir .. "/cache"), T.quote(T.nnlab), T.quote(H.fixtures .. "tiny.lua"), T.quote(dir .. "/tty"))
    return T.run("script -qec " .. T.quote(cmd) .. " /dev/null")
  end
  T.case(on_a_terminal, function()
    local out = on_terminal("xterm")
    T.contains(out, "\27[", "terminal escapes")
    T.contains(out, "/4 done]", "live counter")
    T.truthy(out:find("|[█░]+| %d/3 epochs"), "live bar per job")
    H.expect_counts(out, 4, 4, "tty run")
  end)
  -- a terminal that takes no cursor movements (Emacs' shell) got them all the same
  T.case("on a dumb terminal ($TERM dumb or unset), plain lines: no escapes", function()
    for _, term in ipairs { "dumb", "''" } do
      local out = on_terminal(term)
      T.truthy(not out:find("\27[", 1, true), "no terminal escapes with TERM=" .. term .. "\n" .. out)
      H.expect_counts(out, 4, 4, "run with TERM=" .. term)
    end
  end)
else
  T.skip(on_a_terminal, "util-linux `script` is not installed")
end

T.done()
