-- Small assertion and process helpers for Lua tests, run through build/nnlab
-- (tests/nnlab) or the stock lua5.4 (tests/lua). A test file is a list of
-- named cases, cmocka-style:
--   T.case("sweep rejects a misspelt option", function() ... end)
--   ...
--   T.done()
-- Each case runs under xpcall: a failing assertion ends that case only, with
-- its name, file:line and a traceback; T.done prints "N passed, N failed, N
-- skipped" and fails the file (exit 1) if any case failed or none ran or was
-- skipped. Assertions raise errors naming the test file's line. Loading this
-- file needs no C module (tests/lua run it under the stock lua5.4).
local T = {}

local passed, failed, skipped = 0, {}, 0

--- Runs fn() as the case `name`: prints "[ OK ] name" or "[FAIL] name: why".
function T.case(name, fn)
  local ok, err = xpcall(fn, function(e) return debug.traceback(tostring(e), 2) end)
  if ok then
    passed = passed + 1
    io.stdout:write("[ OK ] ", name, "\n")
  else
    failed[#failed + 1] = name
    io.stdout:write("[FAIL] ", name, ": ", err, "\n")
  end
  io.stdout:flush()
end

--- Records the case `name` as not run, for a reason of this machine's (no
--- valgrind, no mount namespaces): prints "[SKIP] name: why".
function T.skip(name, why)
  skipped = skipped + 1
  io.stdout:write("[SKIP] ", name, ": ", why, "\n")
  io.stdout:flush()
end

--- Ends a test file: prints the counts and fails when a case failed, or when
--- no case ran and none was skipped.
function T.done()
  io.stdout:write(("%d passed, %d failed, %d skipped\n"):format(passed, #failed, skipped))
  if #failed > 0 then error("failed cases: " .. table.concat(failed, "; "), 0) end
  if passed + skipped == 0 then error("no test case ran", 0) end
end

T.nnlab = os.getenv("NNLAB_BIN") or "nnlab"
T.source = os.getenv("NNLAB_SOURCE_DIR") or "."
T.tmp = os.getenv("NNLAB_TEST_TMP") or "/tmp"

function T.eq(a, b, what)
  if a ~= b then error(("%s: expected %s, got %s"):format(what or "value", tostring(b), tostring(a)), 2) end
end

function T.truthy(v, what)
  if not v then error((what or "condition") .. " does not hold", 2) end
  return v
end

function T.close(a, b, tol, what)
  if not (math.abs(a - b) <= tol) then
    error(("%s: %.9g vs %.9g (tol %g)"):format(what or "value", a, b, tol), 2)
  end
end

function T.contains(haystack, needle, what)
  if not tostring(haystack):find(needle, 1, true) then
    error(("%s: %q does not contain %q"):format(what or "text", tostring(haystack), needle), 2)
  end
end

--- Calls f, which must fail; returns its message, which must contain `needle`.
function T.fails(f, needle)
  local ok, err = pcall(f)
  if ok then error("expected an error containing " .. needle, 2) end
  if not tostring(err):find(needle, 1, true) then
    error(("error %q lacks %q"):format(tostring(err), needle), 2)
  end
  return err
end

--- Calls f, which must fail with one line that names the caller's file and
--- line (the line of the T.refused call, where f is written) and holds every
--- fragment; returns that line. The file is named by its whole path, or, for
--- an error raised in C (luaL_error, luaL_argerror) at a path past 60
--- characters, as Lua names it ("...TAIL"): nnlab's own handlers show the
--- whole path (test_blame), a pcall sees Lua's form.
function T.refused(f, ...)
  local caller = debug.getinfo(2, "Sl")
  local ok, err = pcall(f)
  if ok then error("expected an error", 2) end
  err = tostring(err)
  local at = ("%s:%d: "):format((caller.source:gsub("^@", "")), caller.currentline)
  local short_at = ("%s:%d: "):format(caller.short_src, caller.currentline)
  if err:sub(1, #at) ~= at and err:sub(1, #short_at) ~= short_at then
    error(("error %q is not at %s"):format(err, at), 2)
  end
  if err:find("\n") then error(("error %q is more than one line"):format(err), 2) end
  for _, fragment in ipairs { ... } do
    if not err:find(fragment, 1, true) then error(("error %q lacks %q"):format(err, fragment), 2) end
  end
  return err
end

local shell_quote = require("nnlab.files").shell_quote
T.quote = shell_quote

--- Runs a shell command; returns its combined stdout+stderr and exit status.
function T.run(cmd)
  local p = io.popen(cmd .. " 2>&1; echo \"__status=$?\"")
  local out = p:read("a")
  p:close()
  local status = tonumber(out:match("__status=(%d+)%s*$"))
  return out:gsub("__status=%d+%s*$", ""), status
end

--- The shell command `env... nnlab args...` (strings, quoted for the shell).
function T.nnlab_command(args, env)
  local parts = {}
  for k, v in pairs(env or {}) do parts[#parts + 1] = k .. "=" .. shell_quote(v) end
  parts[#parts + 1] = shell_quote(T.nnlab)
  for _, a in ipairs(args) do parts[#parts + 1] = shell_quote(a) end
  return table.concat(parts, " ")
end

--- Runs `nnlab args...` with env; `before` is shell code run first in the same
--- shell (e.g. "ulimit -f 0"). Returns the output and the exit status.
function T.nnlab_run(args, env, before)
  return T.run((before and before .. "; " or "") .. T.nnlab_command(args, env))
end

--- Starts `nnlab args...` in the background (in folder cwd when given), in a
--- session (and process group) of its own, output to log. Returns { pid,
--- log, status_file }; the pid is nnlab's and its process group's (see
--- T.group_alive, T.wait_exit).
function T.spawn(name, args, env, cwd)
  local job = { log = T.tmp .. "/" .. name .. ".log", status_file = T.tmp .. "/" .. name .. ".status" }
  local pid_file = T.tmp .. "/" .. name .. ".pid"
  os.remove(job.status_file)
  os.remove(pid_file)
  -- the inner script is one word for the outer shell: quoted whole, so that
  -- the quotes inside it (a path with a space or a ') survive
  local script = (cwd and "cd " .. shell_quote(cwd) .. " && " or "") .. "echo $$ >" .. shell_quote(pid_file)
                 .. "; exec env " .. T.nnlab_command(args, env)
  os.execute(("( setsid sh -c %s >%s 2>&1; echo $? >%s ) &"):format(
    shell_quote(script), shell_quote(job.log), shell_quote(job.status_file)))
  T.wait_until("nnlab has started", function() return T.read(pid_file) ~= nil and T.read(pid_file):find("%d") end, 20)
  job.pid = tonumber(T.read(pid_file):match("%d+"))
  return job
end

--- Waits (polling every 20 ms) until condition() is true; fails after `seconds`.
function T.wait_until(what, condition, seconds)
  local proc = require("nnlab.core").proc
  local deadline = proc.clock() + (seconds or 60)
  while not condition() do
    if proc.clock() > deadline then error("timed out waiting until " .. what, 2) end
    os.execute("sleep 0.02")
  end
end

--- True while a process of process group `pgid` is alive (zombies, which
--- only their parent may reap, excepted).
function T.group_alive(pgid)
  for line in T.run("ps -e -o pgid=,stat="):gmatch("[^\n]+") do
    local group, stat = line:match("^%s*(%d+)%s+(%S+)")
    if tonumber(group) == pgid and not stat:find("^Z") then return true end
  end
  return false
end

--- Waits until a T.spawn'ed nnlab has exited; returns its exit status and output.
function T.wait_exit(job, seconds)
  T.wait_until("nnlab has exited", function() return (T.read(job.status_file) or ""):find("%d") end, seconds)
  return tonumber(T.read(job.status_file):match("%d+")), T.read(job.log)
end

--- A fresh empty folder under the test scratch folder.
function T.tmpdir(name)
  local dir = T.tmp .. "/" .. name
  os.execute("rm -rf " .. shell_quote(dir) .. " && mkdir -p " .. shell_quote(dir))
  return dir
end

--- Writes text as dir/<name>.lua; returns its path and the number of the
--- line marked `--<` (nil when no line is): the line an error must name.
function T.marked_script(dir, name, text)
  local n, marked = 0, nil
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if line:find("--<", 1, true) then marked = n end
  end
  local path = dir .. "/" .. name .. ".lua"
  T.write(path, text)
  return path, marked
end

function T.write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

--- Writes a version 1.0 .npy file: dtype descr ("|u1", "<f4", ...), shape
--- as Python writes it ("(6, 40, 2)", "(3,)"), and the raw body bytes.
function T.write_npy(path, descr, shape, bytes)
  local header = ("{'descr': '%s', 'fortran_order': False, 'shape': %s, }"):format(descr, shape)
  header = header .. (" "):rep(63 - (10 + #header) % 64) .. "\n"
  T.write(path, "\x93NUMPY\1\0" .. string.pack("<I2", #header) .. header .. bytes)
end

--- The last "peak kB N" line's N in the output of an experiment that
--- prints its process's peak resident memory (VmHWM), or an error.
function T.peak_kb(out)
  local peak
  for kb in out:gmatch("peak kB (%d+)") do peak = tonumber(kb) end
  if not peak then error("no 'peak kB' line in:\n" .. out, 2) end
  return peak
end

function T.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

return T
