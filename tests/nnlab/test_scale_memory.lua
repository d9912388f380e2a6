-- Memory of a big sweep grows linearly with its runs (issue 20). Planning a
-- grid h × lr whose models grow with h (as the scale benchmark's do) built
-- and freed one model per run; their buffers, taken from malloc's heap, left
-- holes that the next, larger model did not fit, and both planning passes
-- kept every job whole: `nnlab plan` of 2 500 runs peaked 34 MB above 500
-- runs (17 KB a run, and rising with the count: 10^5 runs took over 10 GB).
-- Now it is about 7 KB a run; the bound below is 11 KB, so the old growth
-- fails it. Planning runs the same per-run code as a warm `nnlab run`
-- (model for the key, cache key), in about 2 s of CPU for both sizes.
local T = require "testlib"

local dir = T.tmpdir("scale_memory")
local env = { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" }
local sanitized = os.getenv("NNLAB_SANITIZED") == "1"

-- The scale benchmark's grid (tests/bench/notebook_scale_grid.lua, runs/50
-- hidden sizes × 50 learning rates on tiny data), then the process's peak
-- resident memory in kB (the last pass's line is the plan's peak: both
-- passes have run by then).
local script = dir .. "/grid.lua"
T.write(script, ([[
dofile(%q)
io.stderr:write("peak kB ", io.open("/proc/self/status"):read("a"):match("VmHWM:%%s*(%%d+)"), "\n")
]]):format(T.source .. "/tests/bench/notebook_scale_grid.lua"))

local function plan_peak_kb(runs)
  local out, status = T.nnlab_run({ "plan", script, "--count", "--set", "runs=" .. runs, "--set", "report=none" }, env)
  T.eq(status, 0, runs .. " runs\n" .. out)
  T.contains(out, tostring(runs) .. "\n", "the runs to train")
  return T.peak_kb(out)
end

local case = "planning 2 500 runs takes at most 11 KB a run more than planning 500"
if sanitized then -- ASan keeps freed memory in quarantine: resident memory says nothing here
  T.skip(case, "the sanitizers' quarantine holds freed memory")
else
  T.case(case, function()
    local small, big = plan_peak_kb(500), plan_peak_kb(2500)
    local per_run = (big - small) / 2000
    T.truthy(per_run <= 11, ("peak %d MB for 500 runs, %d MB for 2 500: %.1f KB a run"):format(
      small // 1024, big // 1024, per_run))
  end)
end

T.done()
