-- Two `nnlab run` of the same experiment at once, into the same reports folder
-- and cache (README, "Two runs at once"). Cache entries are safe to race (each
-- is written whole under a temporary name unique to its process, then renamed:
-- two runs that train the same job leave one whole, correct entry); a report
-- is written under a lock (reports/.NAME.lock), so its files all come from the
-- same run. Both runs succeed; the report on disk is whole and consistent;
-- every cache entry serves later runs; no temporary file is left.
local T = require "testlib"

local dir = T.tmpdir("concurrent_runs")
local fixture = T.source .. "/tests/nnlab/fixtures/interrupt/sweep.lua"
local reports, cache = dir .. "/reports", dir .. "/cache"
local env = { NNLAB_CACHE = cache, NNLAB_OFFLINE = "1" }

-- The sanitizer builds train fewer samples per run: the races are the same.
local subset = os.getenv("NNLAB_SANITIZED") == "1" and 2000 or 6000
local function args(epochs, prose)
  return { "run", fixture, "--out", reports, "-j", "2", "--set", "epochs=" .. epochs, "--set", "prose=" .. prose,
           "--set", "subset=" .. subset }
end

--- Runs two nnlab at once; returns once both have ended (both are waited
--- for before either's status is checked, so the next cases see both done).
local function race(name, first, second)
  local a = T.spawn(name .. "_a", first, env)
  local b = T.spawn(name .. "_b", second, env)
  local ended = {}
  for i, job in ipairs { a, b } do ended[i] = { T.wait_exit(job, 300) } end
  for _, e in ipairs(ended) do
    local code, log = e[1], e[2]
    T.eq(code, 0, name .. ": both runs succeed\n" .. log)
  end
end

--- The report on disk comes from one run: its prose, its parameters in
--- results.json and its epochs in results.csv agree.
local function expect_consistent_report(name, epochs_of)
  local md = T.read(reports .. "/sweep.md")
  local prose = md and md:match("Prose: (%a+)")
  T.truthy(prose and epochs_of[prose], name .. ": the report is whole\n" .. tostring(md))
  local json = T.read(reports .. "/sweep/results.json")
  T.contains(json, ('"prose": "%s"'):format(prose), name .. ": results.json is from the same run as the report")
  local last_epoch = 0
  for epoch in T.read(reports .. "/sweep/results.csv"):gmatch("\n[^,]*,[^,]*,[^,]*,%d+,(%d+),") do
    last_epoch = math.max(last_epoch, tonumber(epoch))
  end
  T.eq(last_epoch, epochs_of[prose], name .. ": results.csv is from the same run as the report")
  T.eq(T.run(("find %s %s -name '.*.tmp*'"):format(T.quote(reports), T.quote(cache))), "",
       name .. ": no temporary file left")
end

local function expect_all_cached(name, epochs)
  local out, status = T.nnlab_run(args(epochs, "check"), env)
  T.eq(status, 0, name .. ": a later run\n" .. out)
  T.contains(out, "3 runs, 0 trained, 3 from cache", name .. ": every entry serves a later run")
  T.truthy(not out:find("damaged", 1, true), name .. ": no entry is damaged")
end

-- Each race is a case; the cases after it read what the race left on disk
-- (they need it to have run, not to have passed).

-- the same jobs trained by both runs at once (racing on every cache entry)
T.case("two runs of the same jobs at once both succeed", function()
  race("same_jobs", args(3, "alpha"), args(3, "beta"))
end)
T.case("same jobs: the report on disk comes whole from one of the runs", function()
  expect_consistent_report("same jobs", { alpha = 3, beta = 3 })
end)
T.case("same jobs: every raced cache entry serves a later run", function()
  expect_all_cached("same jobs", 3)
end)

-- different jobs (other epochs), racing on the report only
T.case("two runs of different jobs at once both succeed", function()
  race("different_jobs", args(1, "gamma"), args(2, "delta"))
end)
T.case("different jobs: the report on disk comes whole from one of the runs", function()
  expect_consistent_report("different jobs", { gamma = 1, delta = 2 })
end)
T.case("different jobs: each run's cache entries serve a later run", function()
  expect_all_cached("different jobs (1 epoch)", 1)
  expect_all_cached("different jobs (2 epochs)", 2)
end)

T.done()
