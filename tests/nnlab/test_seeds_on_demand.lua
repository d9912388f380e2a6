-- Seeds on demand (issue 18): lab.sweep { seeds = { min, max } } trains min
-- seeds, then adds seeds only where the comparison with the best is
-- undecided (and to the best), looking at most four times at a
-- Bonferroni-corrected level; the report says how many seeds each
-- variation got; a re-run takes them all from the cache.
local T = require "testlib"
local H = require "fixtures.notebook.helpers"

local dir = T.tmpdir("seeds_on_demand")
local out, status = H.run(dir, "on_demand.lua")
local md = T.read(dir .. "/reports/on_demand.md") or ""

local function seed_counts(text)
  local counts = {}
  for label, n in text:match("seeds per variation: ([^\n]*)"):gmatch("(%w+)=(%d+)") do counts[label] = tonumber(n) end
  return counts
end

T.case("min seeds for all, more only where undecided, never past max", function()
  T.eq(status, 0, "status\n" .. out)
  local n = seed_counts(out)
  for label, count in pairs(n) do
    T.truthy(count >= 2 and count <= 5, ("%s got %d seeds, between min and max"):format(label, count))
  end
  T.contains(out, "looks 4 at level 0.987500", "four looks (2, 3, 4, 5 seeds), each at 1 - 0.05/4")
  T.contains(md, "| slow | 8 | 0.0001 |", "the slow variation's row")
  T.truthy(md:find("| slow |[^\n]*differs %(p_adj"), "the slow variation differs from the best")
  T.truthy(n.slow < 5, "once it differs it gets no more seeds: " .. out)
  T.truthy(md:find("can't tell %(p_adj[^\n]*| 5 |"), "the undecided variation went on to max seeds")
  T.eq(n.h8 == 5 or n.h9 == 5, true, "the best of an undecided pair got the seeds too")
end)

T.case("the report says how the verdicts were reached and how many seeds each variation got", function()
  T.contains(md, "| Seeds |", "a seeds column")
  -- the range the variations got, not the sweep's min and max (2 to 5): the
  -- caption had said "2 to 5" where every variation got 4 or 5
  local low, high
  for _, count in pairs(seed_counts(out)) do low, high = math.min(low or count, count), math.max(high or 0, count) end
  T.truthy(low > 2, "no variation stopped at min seeds here: " .. low)
  T.contains(md, ("over %d to %d seeds (more where"):format(low, high), "the caption gives the range the seeds took")
  T.contains(md, "level 98.75 % at each of 4 looks", "the per-look level")
  T.contains(md, "(Bonferroni: 5 % over all looks)", "the overall level")
  T.contains(out, "verdict level 0.987500, compare level 0.987500", "verdicts on these runs test at the per-look level")
end)

T.case("the caption gives the overall level the sweep asked for", function()
  local other, other_status = H.run(dir, "on_demand.lua", { "--set", "level=0.9" })
  T.eq(other_status, 0, other)
  local text = T.read(dir .. "/reports/on_demand.md") or ""
  T.contains(text, "level 97.5 % at each of 4 looks of the seeds on demand (Bonferroni: 10 % over all looks)",
             "10 %, not 5 %")
  T.contains(other, "verdict level 0.975000", "the verdicts' level follows")
end)

T.case("a re-run trains nothing and gets the same seeds", function()
  local again, again_status = H.run(dir, "on_demand.lua")
  T.eq(again_status, 0, again)
  H.expect_counts(again, select(1, H.counts(out)), 0, "re-run")
  T.eq(again:match("seeds per variation: ([^\n]*)"), out:match("seeds per variation: ([^\n]*)"), "same seeds")
end)

T.case("min = max is one look at 95 %", function()
  local one, one_status = H.run(dir, "on_demand.lua", { "--set", "max=2" })
  T.eq(one_status, 0, one)
  T.contains(one, "seeds per variation: h8=2 h9=2 slow=2", "min seeds only")
  T.contains(one, "looks 1 at level 0.950000", "one look at 95 %")
  -- min = max: no seed on demand, and nothing said of one
  local text = T.read(dir .. "/reports/on_demand.md")
  T.contains(text, "mean ± sample std over 2 seeds. vs best", "the caption: the seeds, plainly")
  T.eq(text:find("seeds on demand, up to", 1, true), nil, "no words on seeds on demand in the caption")
end)

T.case("bad seeds tables are errors at the sweep's line", function()
  local E = require "fixtures.experiment"
  for i, case in ipairs {
    { "{ min = 1, max = 5 }", "seeds = { min = a, max = b } needs integers with 2 <= a <= b <= 100, got min 1, max 5" },
    { "{ min = 4, max = 3 }", "got min 4, max 3" },
    { "{ min = 3, max = 5, mx = 4 }", "unknown option 'mx' (did you mean 'max'?)" },
  } do
    local path, line = E.write(dir, "bad_seeds" .. i,
      ("local r = lab.sweep { seeds = %s, vary = { hidden = { 4, 8 } }, --<\n" ..
       "  train = train, test = test, epochs = 1, batch_size = 50, model = model, optimizer = sgd }\n"):format(case[1]))
    local got, code = T.nnlab_run({ "run", path, "--out", dir .. "/bad_reports" },
                                  { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
    E.expect_error_line(got, code, path, line, { case[2] })
  end
end)

-- The caption had said "3 to 9 seeds" of the sweep's min and max whatever
-- the variations got, and then "every comparison was decided" also when
-- every variation had taken the most seeds, undecided.
T.case("the caption says whether the seeds sufficed or every variation took the most", function()
  local file = dir .. "/caption.lua"
  T.write(file, [[
local lab = require "nnlab"
local gap = lab.param("gap", 40)
local ds = lab.data.generate(20, function(i, rng) return { rng:random() }, (i - 1) % 2 end, { seed = 1, classes = 2 })
local runs = lab.sweep { vary = { v = { 1, 2 } }, seeds = { min = 3, max = 5 }, train = ds, test = ds,
  run = function(p, ctx)
    local noise = ((ctx.seed * 7 + p.v * 3) % 5) * 0.3
    return { { train_loss = 1, train_acc = 50, test_acc = 50 + (p.v == 1 and gap or 0) + noise } }
  end }
lab.table(runs)
]])
  local function caption(gap)
    local text, code = T.nnlab_run({ "run", file, "--out", dir .. "/caption", "--quiet", "--set", "gap=" .. gap },
                                   { NNLAB_CACHE = dir .. "/caption-cache" })
    T.eq(code, 0, text)
    return T.read(dir .. "/caption/caption.md")
  end
  T.contains(caption(40), "mean ± sample std over 3 seeds (seeds on demand, up to 5: every comparison was decided "
             .. "with these)", "decided at the first look")
  T.contains(caption(0), "mean ± sample std over 5 seeds (seeds on demand: every variation took the most)",
             "undecided to the end")
end)

T.done()
