-- Interrupting a run (README, "Interrupting a run"): SIGTERM to nnlab, or
-- SIGINT to its whole process group (Ctrl-C), in the middle of a sweep: nnlab
-- and its forked workers are gone within a second, every run finished so far
-- is in the cache and whole, no temporary file is left, the previous report
-- is intact, and nnlab exits with 128 + the signal's number and a message;
-- the next run trains only what was missing. SIGINT also stops an epoch that
-- runs inside C in the main process, and an endless loop in Lua; a SIGKILL of
-- nnlab alone takes its workers with it. (A SIGKILL of all midway:
-- test_notebook_cache.lua; two runs at once: test_concurrent_runs.lua.)
local T = require "testlib"
local proc = require("nnlab.core").proc

local dir = T.tmpdir("interrupt")
local fixtures = T.source .. "/tests/nnlab/fixtures/interrupt/"
local reports, cache = dir .. "/reports", dir .. "/cache"
local env = { NNLAB_CACHE = cache, NNLAB_OFFLINE = "1" }
local SIGINT, SIGTERM = 2, 15
local sanitized = os.getenv("NNLAB_SANITIZED") == "1"
-- Seconds from the signal until every process is gone. Under the sanitizers
-- the exit-time leak check of the parent takes a moment of its own.
local LIMIT = sanitized and 5 or 1
-- Epochs and training samples of the interrupted sweeps: their largest run
-- must still be training when the first has finished (the sanitizers slow
-- every run down alike, so they train fewer samples; the runs keep their
-- sizes relative to each other: 384, 64 and 16 hidden units).
local EPOCHS = sanitized and 6 or 20
local SUBSET = sanitized and 2000 or 6000

local function sweep_args(epochs)
  return { "run", fixtures .. "sweep.lua", "--out", reports, "-j", "2", "--set", "epochs=" .. epochs,
           "--set", "subset=" .. SUBSET }
end
local function entries() return tonumber(T.run("ls " .. T.quote(cache) .. " | grep -c '\\.lua$'"):match("%d+")) end
local function temporary_files() return T.run("ls -A " .. T.quote(cache) .. " | grep tmp || true") end

-- The first run: the report and the three cache entries that every
-- interrupted run must leave alone.
local first_out, first_status = T.nnlab_run(sweep_args(1), env)
local good_report = T.read(reports .. "/sweep.md")
local base = entries()

T.case("the first run caches its three runs", function()
  T.eq(first_status, 0, "the first run\n" .. first_out)
  T.eq(base, 3, "three runs cached")
end)

--- Sends `signal` to nnlab (or, with to_group, to its process group) once the
--- first of a new sweep's runs is cached; checks how it stopped; returns the
--- number of runs finished (and cached) when it had.
local function interrupt(name, epochs, signal, to_group, signal_name, twice)
  local cached_before = entries()
  local job = T.spawn(name, sweep_args(epochs), env)
  T.wait_until("a first run is cached", function() return entries() > cached_before end, 200)
  local sent = proc.clock()
  proc.kill(to_group and -job.pid or job.pid, signal)
  if twice then -- as timeout(1) sends it: to nnlab, then to its group; 10 ms apart, so that the
    local t = proc.clock() -- two arrive apart (two sent at once may merge into one pending signal)
    while proc.clock() - t < 0.01 do end
    proc.kill(-job.pid, signal)
  end
  T.wait_until("nnlab and its workers are gone", function() return not T.group_alive(job.pid) end, 60)
  local took = proc.clock() - sent
  local code, log = T.wait_exit(job, 30)
  local what = ("%s (%s)"):format(name, signal_name)
  T.truthy(took < LIMIT, ("%s: stopped within %g s (took %.2f s)"):format(what, LIMIT, took))
  T.eq(code, 128 + signal, what .. ": exit status\n" .. log)
  T.contains(log, ("nnlab: interrupted by %s: stopped; finished runs stay cached and the previous report is kept "
                   .. "(run again to resume)"):format(signal_name), what .. ": message")
  T.truthy(not log:find("wrote", 1, true), what .. ": no report written\n" .. log)
  T.eq(T.read(reports .. "/sweep.md"), good_report, what .. ": the previous report is intact")
  T.eq(temporary_files(), "", what .. ": no temporary file left in the cache")
  local finished = entries() - cached_before
  T.truthy(finished >= 1 and finished < 3, ("%s: stopped midway (%d of 3 runs finished)"):format(what, finished))
  return finished
end

local finished -- runs of the SIGTERM'ed sweep that were cached when it stopped
T.case("SIGTERM to nnlab mid-sweep stops it at once; finished runs cached, the report kept", function()
  finished = interrupt("interrupt_term", EPOCHS, SIGTERM, false, "SIGTERM")
end)

T.case("SIGINT to the process group mid-sweep stops it at once; finished runs cached, the report kept", function()
  interrupt("interrupt_int", EPOCHS + 1, SIGINT, true, "SIGINT")
end)

-- timeout(1) signals nnlab, then its group, microseconds apart: the second
-- was taken for a second Ctrl-C and ended nnlab before its message.
T.case("one SIGINT sent twice at once (to nnlab, then its group) is one clean stop, with its message", function()
  interrupt("interrupt_twice", EPOCHS + 2, SIGINT, false, "SIGINT", true)
end)

-- nnlab plan and nnlab cache gc said, interrupted, what nnlab run keeps
-- ("finished runs stay cached and the previous report is kept"): they
-- plan, train nothing and write no file.
T.case("SIGINT to nnlab plan says it had trained nothing and changed no file", function()
  local marker = dir .. "/plan_loop.started"
  local job = T.spawn("interrupt_plan", { "plan", fixtures .. "loop_forever.lua", "--set", "marker=" .. marker }, env)
  T.wait_until("the planning loop has started", function() return T.read(marker) ~= nil end, 200)
  os.execute("sleep 0.3")
  proc.kill(job.pid, SIGINT)
  T.wait_until("nnlab plan is gone", function() return not T.group_alive(job.pid) end, 60)
  local code, log = T.wait_exit(job, 30)
  T.eq(code, 128 + SIGINT, "exit status\n" .. log)
  T.contains(log, "nnlab: interrupted by SIGINT: nnlab plan stopped while planning; it had trained nothing and "
             .. "changed no file", "the message")
end)

-- Resumes the SIGTERM'ed sweep, so it needs that case to have ended normally
-- (it tells how many runs were finished): unavoidable.
T.case("the next run resumes: it trains only what was missing, the finished runs are whole", function()
  T.truthy(finished, "the SIGTERM case counted the finished runs")
  local out, status = T.nnlab_run(sweep_args(EPOCHS), env)
  T.eq(status, 0, "resumed run\n" .. out)
  T.contains(out, ("3 runs, %d trained, %d from cache"):format(3 - finished, finished), "only what was missing is trained")
  T.truthy(not out:find("damaged", 1, true), "the entries written before the signal are whole")
end)

-- A kill -9 of nnlab alone: it cannot stop its workers, but the system does
-- (PR_SET_PDEATHSIG): they do not train on for nobody.
T.case("SIGKILL to nnlab alone mid-sweep: its workers are gone within a second too", function()
  local cached_before = entries()
  local job = T.spawn("interrupt_kill", sweep_args(EPOCHS + 2), env)
  T.wait_until("a first run is cached", function() return entries() > cached_before end, 200)
  T.truthy(T.run("pgrep -P " .. job.pid .. " | wc -l"):match("%d+") ~= "0", "workers running")
  local sent = proc.clock()
  proc.kill(job.pid, 9)
  T.wait_until("nnlab's workers are gone", function() return not T.group_alive(job.pid) end, 60)
  local took = proc.clock() - sent
  T.eq(T.wait_exit(job, 30), 128 + 9, "killed")
  T.truthy(took < LIMIT, ("stopped within %g s (took %.2f s)"):format(LIMIT, took))
end)

-- outside a sweep: an epoch inside C in the main process, and a Lua loop
for _, case in ipairs { { "fit_forever.lua", "an epoch in C" }, { "loop_forever.lua", "an endless Lua loop" } } do
  T.case(("SIGINT stops %s (%s) at once"):format(case[2], case[1]), function()
    local marker = dir .. "/" .. case[1] .. ".started"
    local job = T.spawn("interrupt_" .. case[1], { "run", fixtures .. case[1], "--set", "marker=" .. marker }, env)
    T.wait_until(case[2] .. " has started", function() return T.read(marker) ~= nil end, 200)
    os.execute("sleep 0.3")
    local sent = proc.clock()
    proc.kill(job.pid, SIGINT)
    T.wait_until(case[2] .. ": nnlab is gone", function() return not T.group_alive(job.pid) end, 60)
    local took = proc.clock() - sent
    local code, log = T.wait_exit(job, 30)
    T.truthy(took < LIMIT, ("%s: stopped within %g s (took %.2f s)"):format(case[2], LIMIT, took))
    T.eq(code, 128 + SIGINT, case[2] .. ": exit status\n" .. log)
    T.contains(log:match("^[^\n]*"), "nnlab: interrupted by SIGINT", case[2] .. ": message")
    -- no lab.sweep had started: nothing of the loop is cached, and the message does not say it is
    T.contains(log:match("^[^\n]*"), "no lab.sweep had started, so nothing was cached", case[2] .. ": what is kept")
  end)
end

-- User code that swallows the "interrupted" error (a pcall around its loop)
-- went on forever: the hook raises once, and later signals were recorded and
-- dropped. A second signal now ends nnlab at once, by that signal.
T.case("a second SIGTERM ends nnlab at once when user code swallowed the first", function()
  local marker = dir .. "/swallow.started"
  local job = T.spawn("interrupt_swallow", { "run", fixtures .. "swallow.lua", "--set", "marker=" .. marker }, env)
  local _ <close> = setmetatable({}, { __close = function() -- (as below: no loop left spinning)
    if T.group_alive(job.pid) then proc.kill(-job.pid, 9) end
  end })
  T.wait_until("the loop has started", function() return T.read(marker) ~= nil end, 200)
  proc.kill(job.pid, SIGTERM)
  T.wait_until("the first SIGTERM was swallowed", function() return T.read(marker .. ".caught") ~= nil end, 30)
  os.execute("sleep 0.3")
  T.truthy(T.group_alive(job.pid), "still running after the swallowed signal")
  local sent = proc.clock()
  proc.kill(job.pid, SIGTERM)
  T.wait_until("nnlab is gone", function() return not T.group_alive(job.pid) end, 60)
  local took = proc.clock() - sent
  local code, log = T.wait_exit(job, 30)
  T.eq(code, 128 + SIGTERM, "killed by the second SIGTERM\n" .. log)
  T.truthy(took < LIMIT, ("stopped within %g s (took %.2f s)"):format(LIMIT, took))
end)

-- nnlab watch forks each render inside a held step: the render never
-- returned through it, so it held every later signal for its whole life.
T.case("under nnlab watch, a second SIGTERM ends a render that swallowed the first", function()
  local marker = dir .. "/watch_swallow.started"
  local job = T.spawn("interrupt_watch_swallow", { "watch", fixtures .. "swallow.lua", "--set", "marker=" .. marker },
                      env)
  -- a failed check must not leave the swallowing loop spinning after the test (it
  -- once held a core for the rest of a session): the group is killed whatever happens
  local _ <close> = setmetatable({}, { __close = function()
    if T.group_alive(job.pid) then proc.kill(-job.pid, 9) end
  end })
  T.wait_until("the render's loop has started", function() return T.read(marker) ~= nil end, 200)
  local render = tonumber(T.run("pgrep -P " .. job.pid):match("%d+"))
  T.truthy(render, "the render is a child of nnlab watch")
  proc.kill(render, SIGTERM)
  T.wait_until("the first SIGTERM was swallowed", function() return T.read(marker .. ".caught") ~= nil end, 30)
  os.execute("sleep 0.3") -- (the same signal within 100 ms of the first is that one sent twice, as timeout(1) does)
  local sent = proc.clock()
  proc.kill(render, SIGTERM)
  T.wait_until("the render is gone", function() return not T.read("/proc/" .. render .. "/stat") end, 60)
  local took = proc.clock() - sent
  T.truthy(took < LIMIT, ("the render stopped within %g s (took %.2f s)"):format(LIMIT, took))
  proc.kill(job.pid, SIGINT)
  T.wait_until("nnlab watch is gone", function() return not T.group_alive(job.pid) end, 60)
end)

-- A step that must not stop halfway (a report's commit, lua/nnlab/notebook/
-- staging.lua) runs under proc.hold_interrupts: a SIGTERM that arrives inside
-- it stops the run only after it.
T.case("a signal inside proc.hold_interrupts stops the run after the held step, not inside it", function()
  local marker = dir .. "/held.done"
  local out, status = T.nnlab_run({ "run", fixtures .. "held.lua", "--set", "marker=" .. marker }, env)
  T.eq(status, 128 + SIGTERM, "exit status\n" .. out)
  T.contains(out, "nnlab: interrupted by SIGTERM", "message")
  T.eq(T.read(marker), "500000500000\n", "the held step ran to its end")
end)

T.done()
