-- Planning a sweep (issue 13, finding 9): every job's model is built in the
-- main process for its cache key, and Lua's collector does not see the C
-- buffers behind it, so memory grew with the number of jobs (784→20000→10,
-- fully cached: 305 MB for 2 jobs, 1051 MB for 12). Each model is freed
-- once its key is made: the peak is the same for 2 jobs as for 16. And
-- Ctrl-C while a large sweep is planned stops nnlab within a second.
local T = require "testlib"
local proc = require("nnlab.core").proc

local dir = T.tmpdir("planning")
local cache = dir .. "/cache"
local env = { NNLAB_CACHE = cache, NNLAB_OFFLINE = "1" }
local sanitized = os.getenv("NNLAB_SANITIZED") == "1"

-- seeds × one 784→3000→10 model (2.4 M parameters: 19 MB of weights and
-- gradients each); prints the process's peak resident memory in kB.
local script = dir .. "/wide.lua"
T.write(script, [[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local seeds = lab.param("seeds", 2)
local train = lab.data.load("fashion-mnist", { subset = 100 })
local test = lab.data.load("fashion-mnist", { train = false, subset = 100 })
lab.sweep { seeds = seeds, epochs = 1, batch_size = 50, hidden = 3000, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(784, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return optim.Adam(params, { lr = 1e-3 }) end }
local status = io.open("/proc/self/status"):read("a")
print("peak kB " .. status:match("VmHWM:%s*(%d+)"))
]])

local function peak_kb(seeds)
  local out, status = T.nnlab_run({ "run", script, "--out", dir .. "/reports", "--set", "seeds=" .. seeds }, env)
  T.eq(status, 0, seeds .. " seeds\n" .. out)
  return T.peak_kb(out), out
end

local memory_case = "planning 16 cached jobs takes no more memory than planning 2"
if sanitized then -- ASan keeps freed memory in quarantine: resident memory says nothing here
  T.skip(memory_case, "the sanitizers' quarantine holds freed memory")
else
  T.case(memory_case, function()
    peak_kb(16) -- trains and caches all 16
    local two, out2 = peak_kb(2)
    local sixteen, out16 = peak_kb(16)
    T.contains(out2, "2 runs, 0 trained, 2 from cache", "2 seeds from the cache")
    T.contains(out16, "16 runs, 0 trained, 16 from cache", "16 seeds from the cache")
    -- each model kept alive would add 19 MB (and Adam's moments, 19 MB more)
    T.truthy(sixteen - two < 20 * 1024, ("peak: %d MB for 2 jobs, %d MB for 16"):format(two // 1024, sixteen // 1024))
  end)
end

-- Planning closes what it built: a model function that returns one model
-- every time is caught at the second job, at the user's line.
T.case("a model function that returns the same model twice is an error at the lab.sweep line", function()
  local E = require "fixtures.experiment"
  local path, line = E.write(dir, "shared", [[
local shared
lab.sweep { vary = { hidden = { 4 } }, seeds = 2, epochs = 1, batch_size = 50, train = train, test = test, --<
  model = function(p) shared = shared or model(p); return shared end, optimizer = sgd }
]])
  local out, status = T.nnlab_run({ "run", path, "--out", dir .. "/reports", "--quiet" }, env)
  E.expect_error_line(out, status, path, line,
                      { "lab.sweep: model(p) returned a closed model: it must build a new one on every call" })
end)

-- A sweep of many small variations; writes the marker file when planning starts.
local many = dir .. "/many.lua"
T.write(many, [[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local marker = lab.param("marker", "")
local train = lab.data.load("fashion-mnist", { subset = 100 })
local test = lab.data.load("fashion-mnist", { train = false, subset = 100 })
local xs = {}
for i = 1, 1000000 do xs[i] = i end
io.open(marker, "w"):close()
lab.sweep { vary = { x = xs }, seeds = 1, epochs = 1, batch_size = 50, train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(784, 2 + p.x % 2), nn.Linear(2 + p.x % 2, 10) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end }
]])

T.case("Ctrl-C while a sweep of a million variations is planned stops nnlab within a second", function()
  local limit = sanitized and 5 or 1
  local marker = dir .. "/planning"
  os.remove(marker)
  local job = T.spawn("planning_interrupted", { "run", many, "--set", "marker=" .. marker }, env)
  T.wait_until("planning has started", function() return T.read(marker) ~= nil end, 60)
  -- planning goes on: the jobs planned so far fill the memory (600 MB resident,
  -- about 5 s in a Release build; at most 15 s, as a slow build may take)
  local started = proc.clock()
  local function resident_mb()
    local status = T.read("/proc/" .. job.pid .. "/status") or ""
    return (tonumber(status:match("VmRSS:%s*(%d+)")) or 0) / 1024
  end
  T.wait_until("planning fills 600 MB or has run 15 s",
               function() return resident_mb() >= 600 or proc.clock() - started >= 15 end, 30)
  local sent = proc.clock()
  proc.kill(job.pid, 2)
  T.wait_until("nnlab is gone", function() return not T.group_alive(job.pid) end, 60)
  local took = proc.clock() - sent
  local code, log = T.wait_exit(job, 30)
  T.eq(code, 130, "exit status\n" .. log)
  T.contains(log, "nnlab: interrupted by SIGINT", "the message")
  T.truthy(took < limit, ("stopped within %g s (took %.2f s)"):format(limit, took))
end)

T.done()
