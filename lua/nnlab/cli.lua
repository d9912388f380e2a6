-- The nnlab command line: parses the arguments the C host hands over, runs
-- an experiment file as one notebook run (nnlab.notebook.begin, the file
-- under a traceback handler that shows the user's frames, then
-- nnlab.notebook.finish), and turns every failure into one clear message on
-- stderr and a non-zero exit status. SIGINT, SIGTERM and SIGHUP stop a run
-- cleanly: whatever is running is interrupted (workers are killed by
-- nnlab.notebook.workers), nothing more is written, and the exit status is
-- 128 + the signal's number (130, 143, 129).
local cli = {}

local USAGE = [[
usage: nnlab <command> [arguments]

commands:
  run FILE.lua [options]   run an experiment (or any Lua file) with nnlab loaded
  run FILE.lua --help      the experiment's parameters (lab.param): defaults, types, descriptions
  watch FILE.lua [options] run it, then again on every save (run's options; see nnlab watch --help)
  version                  engine version, Lua version, SIMD path, compiler and CPUs in use
  help                     this text (also: nnlab --help, nnlab run --help)
]]

local RUN_USAGE = [[
usage: nnlab run FILE.lua [--set key=value]... [-j N] [--force] [--out DIR] [--quiet]

  --set key=value   override the experiment parameter `key` (repeatable)
  -j N, --jobs N    train up to N variations at once (default: the CPUs this
                    process may use: its affinity mask, capped by its cgroup
                    CPU quota; `nnlab version` shows them)
  --force           retrain every variation, ignoring cached results
  --out DIR         write the report under DIR instead of ./reports
  --quiet           no progress output
  --html[=MODE]     also write the report as one web page, OUT/NAME.html:
                    charts embedded (MODE embed, the default) or linked to
                    the files in OUT/NAME/ (MODE linked)
  -h, --help        this text; with FILE: the experiment's parameters (lab.param)
                    with defaults, types and descriptions, without training
]]

local function fail(msg)
  io.stderr:write("nnlab: ", msg, "\n")
  return 1
end

-- An argument as messages show it: on one line (control characters as \ddd)
-- and at most 60 characters.
local function shown(arg)
  local text = arg:gsub("%c", function(c) return ("\\%d"):format(c:byte()) end)
  if #text > 60 then text = text:sub(1, 57) .. "..." end
  return text
end

--- Parses `run`'s arguments into an options table, or returns nil, message.
function cli.parse_run(args)
  local opts = { set = {}, set_order = {}, force = false, quiet = false }
  local i = 1
  local function value_of(flag)
    i = i + 1
    local v = args[i]
    if v == nil then error(("%s needs a value"):format(flag), 0) end
    return v
  end
  local ok, err = pcall(function()
    while i <= #args do
      local a = args[i]
      if a == "-h" or a == "--help" then
        opts.help = true
      elseif a == "--set" or a:match("^%-%-set=") then
        local kv = a == "--set" and value_of("--set") or a:sub(7)
        local key, value = kv:match("^([%a_][%w_%.]*)=(.*)$")
        if not key then
          error(("malformed --set '%s': expected key=value with key a name like epochs or lr"):format(shown(kv)), 0)
        end
        if opts.set[key] == nil then opts.set_order[#opts.set_order + 1] = key end
        opts.set[key] = value
      elseif a == "-j" or a == "--jobs" or a:match("^%-j%d+$") or a:match("^%-%-jobs=") then
        local v = (a == "-j" or a == "--jobs") and value_of(a) or a:match("^%-j(%d+)$") or a:sub(8)
        local n = math.tointeger(tonumber(v))
        if not n or n < 1 or n > 1024 then error(("-j needs a whole number from 1 to 1024, got '%s'"):format(shown(v)), 0) end
        opts.jobs = n
      elseif a == "--force" then
        opts.force = true
      elseif a == "--quiet" or a == "-q" then
        opts.quiet = true
      elseif a == "--html" or a:match("^%-%-html=") then
        opts.html = a == "--html" and "embed" or a:sub(8)
        if opts.html ~= "embed" and opts.html ~= "linked" then
          error(("--html=%s: expected --html, --html=embed (charts inside the page) or --html=linked"):format(
            shown(opts.html)), 0)
        end
      elseif a == "--out" or a:match("^%-%-out=") then
        opts.out = a == "--out" and value_of("--out") or a:sub(7)
        if opts.out == "" then error("--out needs a folder", 0) end
        -- `--out --quiet` forgot the folder; a folder named -P would read as an option to the shell's cd
        if opts.out:sub(1, 1) == "-" then
          error(("--out '%s' looks like an option: give the folder, or write ./%s for a folder of that name")
                :format(shown(opts.out), shown(opts.out)), 0)
        end
      elseif a:sub(1, 1) == "-" and a ~= "-" then
        error(("unknown option '%s' (see nnlab run --help)"):format(shown(a)), 0)
      elseif opts.script == nil then
        opts.script = a
      else
        error(("unexpected argument '%s' (one file per run)"):format(shown(a)), 0)
      end
      i = i + 1
    end
  end)
  if not ok then return nil, err end
  return opts
end

-- Ends a failed run; returns its exit status. When a signal stopped it, the
-- error it caused is only a consequence: the interruption is what is said,
-- and nnlab exits at once with 128 + the signal's number: closing the Lua
-- state first would free everything the run made, one object at a time
-- (seconds, after planning a million jobs), which the system does anyway.
-- os.exit still flushes and closes every open C stream.
local function run_failed(msg)
  local number, name = require("nnlab.core").proc.caught_signal()
  if not number then return fail(msg) end
  io.stderr:write(("nnlab: interrupted by SIG%s: stopped; finished runs stay cached and the previous "
                   .. "report is kept (run again to resume)\n"):format(name))
  os.exit(128 + number)
end


-- The experiment file as a chunk, or nil and the message to show: a file
-- that cannot be opened says so, one that does not compile gives Lua's error.
local function load_script(path)
  local chunk, err = loadfile(path)
  if chunk then return chunk end
  if not io.open(path, "r") then return nil, ("cannot open %s: no such file or not readable"):format(path) end
  return nil, err
end

--- Runs a Lua file with options; returns an exit status (and, after a
--- notebook run, notebook.finish's totals).
function cli.run_file(opts)
  local proc = require("nnlab.core").proc
  local errors = require "nnlab.errors"
  proc.catch_signals()
  proc.ignore_signal("XFSZ") -- past `ulimit -f`, writes fail with EFBIG and are reported
  local notebook = require "nnlab.notebook"
  notebook.begin(opts)
  local chunk, err = load_script(opts.script)
  if not chunk then return fail(err) end
  local ok, msg = xpcall(errors.call, function(e)
    if type(e) ~= "string" then
      local mt = getmetatable(e)
      e = mt and mt.__tostring and tostring(e) or ("(error object is a %s value)"):format(type(e))
    end
    return errors.traceback(e)
  end, chunk)
  if not ok then return run_failed(msg) end
  -- the report is written once the whole file has run; its errors are shown without a traceback
  ok, msg = pcall(notebook.finish)
  if not ok then return run_failed(tostring(msg)) end
  return 0, msg
end

local function type_name(v)
  if math.type(v) == "integer" then return "integer" end
  if math.type(v) == "float" then return "number" end
  return type(v)
end

local function value_shown(v)
  if type(v) == "string" then return ("%q"):format(v) end
  return tostring(v)
end

--- `nnlab run FILE --help`: runs FILE up to its first lab.sweep, lab.data.load
--- or training step (nnlab.notebook's describe mode: the error value
--- notebook.STOP_DESCRIBE ends it there), then lists the lab.param calls it
--- made: name, type, default (and the --set value, when given) and
--- description. Trains nothing, downloads nothing, writes no report;
--- parameters declared after that point are not listed.
function cli.describe(opts)
  local notebook = require "nnlab.notebook"
  local errors = require "nnlab.errors"
  local data = require "nnlab.data"
  local stop = notebook.STOP_DESCRIBE
  local chunk, err = load_script(opts.script)
  if not chunk then return fail(err) end
  opts.describe, opts.quiet = true, true
  notebook.begin(opts)
  -- the process ends after the listing: the loader stays replaced
  data.load = function() error(stop, 0) end
  local ok, msg = xpcall(errors.call, function(e)
    if e == stop then return e end
    if type(e) ~= "string" then e = tostring(e) end
    return errors.traceback(e)
  end, chunk)
  local params = notebook.described()
  if not ok and msg ~= stop then return fail(msg) end
  local out = { ("usage: nnlab run %s [--set name=value]... [-j N] [--force] [--out DIR] [--quiet]\n\n")
                :format(opts.script) }
  if #params == 0 then
    out[#out + 1] = ("%s declares no parameters (lab.param) before its first lab.sweep, data load or training.\n")
                    :format(opts.script)
  else
    out[#out + 1] = ("parameters of %s (lab.param; change one with --set name=value):\n"):format(opts.script)
    local rows, width = {}, { 0, 0, 0 }
    for _, p in ipairs(params) do
      local row = { p.name, type_name(p.default), value_shown(p.default) }
      for i = 1, 3 do width[i] = math.max(width[i], #row[i]) end
      rows[#rows + 1] = { row, p }
    end
    for _, entry in ipairs(rows) do
      local row, p = entry[1], entry[2]
      local line = ("  %-" .. width[1] .. "s  %-" .. width[2] .. "s  default %-" .. width[3] .. "s"):format(
        row[1], row[2], row[3])
      local extra = {}
      if p.description then extra[#extra + 1] = p.description end
      if p.from_set then extra[#extra + 1] = ("(--set: %s)"):format(value_shown(p.value)) end
      out[#out + 1] = (#extra > 0 and line .. "  " .. table.concat(extra, " ") or line:gsub("%s+$", "")) .. "\n"
    end
  end
  if ok then
    out[#out + 1] = "\n(the whole file ran: it has no lab.sweep, data load or training step)\n"
  else
    out[#out + 1] = "\nParameters declared after the file's first lab.sweep, data load or training step are not listed.\n"
  end
  out[#out + 1] = "Options: nnlab run --help\n"
  io.write(table.concat(out))
  return 0
end

function cli.version()
  local core = require "nnlab.core"
  io.write(("nnlab %s\nengine %s\n%s\nsimd %s\n"):format(core.engine_version(), core.engine_version(),
                                                          _VERSION, core.simd()))
  local build = core.build_info()
  io.write(("compiler %s%s\n"):format(build.compiler, build.build_type ~= "" and " (" .. build.build_type .. ")" or ""))
  -- the default -j and why: e.g. "cpus 1 (affinity 1 of 2 online; cgroup quota none)"
  local cpu = core.proc.cpu_limits()
  io.write(("cpus %d (affinity %s of %d online; cgroup quota %s)\n"):format(
    cpu.cpus, cpu.affinity and tostring(cpu.affinity) or "unknown", cpu.online,
    cpu.quota and ("%d from %s"):format(cpu.quota, cpu.quota_file) or "none"))
  return 0
end

function cli.main(args, lua_dir)
  cli.lua_dir = lua_dir
  -- A closed stdout (`nnlab run x.lua | head -2`) must not stop the work:
  -- writes to it fail quietly (EPIPE) instead of killing nnlab or a worker.
  require("nnlab.core").proc.ignore_signal("PIPE")
  local command = args[1]
  if command == nil or command == "help" or command == "--help" or command == "-h" then
    io.write(USAGE)
    return command == nil and 1 or 0
  elseif command == "version" or command == "--version" then
    return cli.version()
  elseif command == "run" then
    local opts, err = cli.parse_run(table.move(args, 2, #args, 1, {}))
    if not opts then return fail(err) end
    if opts.help and opts.script then return cli.describe(opts) end
    if opts.help then io.write(RUN_USAGE) return 0 end
    if not opts.script then return fail("run needs a Lua file (see nnlab run --help)") end
    opts.argv = table.move(args, 1, #args, 1, {}) -- the report's command row
    return cli.run_file(opts)
  elseif command == "watch" then
    return require("nnlab.watch").main(table.move(args, 2, #args, 1, {}), args)
  end
  return fail(("unknown command '%s' (see nnlab --help)"):format(tostring(command)))
end

return cli
