-- nnlab.notebook.workers: runs jobs in forked child processes, up to N at a time.
-- A child inherits the whole Lua state (closures, datasets, everything the
-- experiment file built), runs one job, and ends with _exit, so no finaliser,
-- atexit handler or stdio buffer of the parent runs twice. A job hands its
-- result back through a file (nnlab.notebook.sweep writes a cache entry); the pipe
-- between parent and child carries framed records, "<kind> <length>\n"
-- followed by that many bytes: "message" (a value the job sent, in
-- nnlab.notebook.serialize's data format, read back by its strict parser)
-- or "error" (the job's failure message). The pipe's end of file tells the
-- parent that the child is gone, however it ended.
--
-- Interruption: children die at once on SIGINT/SIGTERM/SIGHUP (they run with
-- the default dispositions). When the parent is interrupted (it records those
-- signals, see nnlab.cli) or one of its handlers fails, it SIGKILLs every
-- running child: a child has nothing to save (its result would go through an
-- atomic write it had not finished), and SIGKILL stops it within the second
-- even deep inside an epoch in C.
local proc = require("nnlab.core").proc
local errors = require "nnlab.errors"
local serialize = require "nnlab.notebook.serialize"

local workers = {}

-- Exit status of a child whose job raised an error.
local JOB_ERROR = 70
local SIGKILL = 9

local function describe_exit(how, code)
  if how == "signaled" then
    local text = ("killed by signal %d (%s)"):format(code, proc.signal_name(code))
    if code == SIGKILL then text = text .. "; unless someone killed it, the system ran out of memory" end
    return text
  end
  if code == JOB_ERROR then return "failed with an error" end
  return ("exited with status %d"):format(code)
end

local function frame(kind, payload)
  return ("%s %d\n%s"):format(kind, #payload, payload)
end

-- In the child, one of `parallel` at once: runs work(job, send) and ends the
-- process. Its kernels take their share of the cores (nnlab.threads).
local function child_main(job, work, write_fd, parallel)
  proc.default_signals()
  require("nnlab.threads").for_worker(parallel)
  local function send(value)
    proc.write(write_fd, frame("message", serialize.encode(value)))
  end
  local ok, err = xpcall(work, errors.whole_path, job, send) -- a user's error at a long path: its whole path
  if not ok then proc.write(write_fd, frame("error", (tostring(err):gsub("%s*\n%s*", " ")))) end
  proc._exit(ok and 0 or JOB_ERROR)
end

--- workers.check_interrupt(): raises "interrupted by SIGINT" (or TERM, HUP)
--- when nnlab has caught such a signal (nnlab.cli); the caller stops there.
function workers.check_interrupt()
  local _, name = proc.caught_signal()
  if name then error("interrupted by SIG" .. name, 0) end
end

--- workers.run(jobs, handlers) runs every job; returns when all have ended.
--- handlers: parallel (how many at once, >= 1), work(job, send) (runs in the
--- child; send(value) passes a value (nil, booleans, numbers, strings and
--- tables of them) to the parent; an error it raises becomes the job's
--- failure message), and optional on_start(job), on_message(job, value),
--- on_exit(job, outcome), on_tick() (about every
--- tick_seconds, default 0.5, while jobs run). outcome is { ok = true, pid }
--- or { ok = false, pid, how = "exited" | "signaled" | "stopped", code = n,
--- message = "..." }; "stopped": killed by the parent, which then raises
--- "interrupted" (a caught signal) or its handler's error. An on_exit that
--- returns "no_more" starts no further job (the running ones finish).
--- Returns the jobs never started.
function workers.run(jobs, handlers)
  local parallel = handlers.parallel
  local running, count = {}, 0 -- read fd -> { job, pid, pending text, error }
  local next_job, no_more = 1, false
  local tick_ms = math.floor((handlers.tick_seconds or 0.5) * 1000)

  local function start(job)
    local read_fd, write_fd = proc.pipe()
    if not read_fd then error("cannot start a worker: " .. tostring(write_fd), 0) end
    io.stdout:flush()
    io.stderr:flush()
    local pid, err = proc.fork()
    if not pid then
      proc.close(read_fd)
      proc.close(write_fd)
      error("cannot start a worker: " .. tostring(err), 0)
    end
    if pid == 0 then
      proc.close(read_fd)
      child_main(job, handlers.work, write_fd, math.min(parallel, #jobs))
    end
    proc.close(write_fd)
    running[read_fd] = { job = job, pid = pid, pending = "" }
    count = count + 1
    if handlers.on_start then handlers.on_start(job) end
  end

  local function finish(fd, r)
    proc.close(fd)
    running[fd] = nil
    count = count - 1
    local _, how, code = proc.wait(r.pid)
    local outcome = { ok = how == "exited" and code == 0, pid = r.pid, how = how, code = code }
    if not outcome.ok then outcome.message = r.error or describe_exit(how, code) end
    if handlers.on_exit and handlers.on_exit(r.job, outcome) == "no_more" then no_more = true end
  end

  local function receive(fd, r)
    local chunk = proc.read(fd)
    if not chunk or chunk == "" then return finish(fd, r) end
    r.pending = r.pending .. chunk
    while true do
      local kind, length, start = r.pending:match("^(%a+) (%d+)\n()")
      if not kind or #r.pending < start + length - 1 then break end
      local payload = r.pending:sub(start, start + length - 1)
      r.pending = r.pending:sub(start + length)
      if kind == "error" then
        r.error = payload
      elseif handlers.on_message then
        local value = serialize.decode("return " .. payload, "worker message")
        if value ~= nil then handlers.on_message(r.job, value) end
      end
    end
  end

  -- Kills every running child and reports it stopped (errors of handlers ignored).
  local function stop_all()
    for fd, r in pairs(running) do
      proc.kill(r.pid, SIGKILL)
      proc.wait(r.pid)
      proc.close(fd)
      running[fd] = nil
      if handlers.on_exit then
        pcall(handlers.on_exit, r.job, { ok = false, pid = r.pid, how = "stopped", message = "stopped" })
      end
    end
    count = 0
  end

  local ok, err = pcall(function()
    while (next_job <= #jobs and not no_more) or count > 0 do
      while next_job <= #jobs and not no_more and count < parallel do
        start(jobs[next_job])
        next_job = next_job + 1
      end
      local fds = {}
      for fd in pairs(running) do fds[#fds + 1] = fd end
      table.sort(fds)
      local ready = assert(proc.poll(fds, tick_ms))
      workers.check_interrupt()
      for _, fd in ipairs(ready) do receive(fd, running[fd]) end
      if handlers.on_tick then handlers.on_tick() end
    end
  end)
  if not ok then
    stop_all() -- a caught signal or a failed handler: leave no orphan behind
    error(err, 0)
  end
  return table.move(jobs, next_job, #jobs, 1, {})
end

--- The number of jobs to run at once when not told: the CPUs this process
--- may use (proc.cores: its affinity mask, capped by its cgroup CPU quota).
function workers.default_parallel()
  return proc.cores()
end

return workers
