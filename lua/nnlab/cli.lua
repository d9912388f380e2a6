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
  plan FILE.lua [options]  every run the experiment will train, its cache key and whether it is cached
  cache stats|gc [options] the cache folder's size and age; gc removes what no given experiment uses
  watch FILE.lua [options] run it, then again on every save (run's options; see nnlab watch --help)
  version                  engine version, Lua version, SIMD path, compiler and CPUs in use
  help                     this text (also: nnlab --help, nnlab -h); nnlab run --help: run's options
]]

local RUN_USAGE = [==[
usage: nnlab run FILE.lua [--set key=value]... [-j N] [--threads N] [--force] [--out DIR]
                 [-q] [--cache DIR] [--shard I/N [--plan HASH]] [--no-train] [--html[=MODE]]

  --set key=value   override the experiment parameter `key` (repeatable)
  -j N, --jobs N    train up to N variations at once (default: the CPUs this
                    process may use: its affinity mask, capped by its cgroup
                    CPU quota; `nnlab version` shows them)
  --threads N       threads inside each run, 1 to 256 (default: $NNLAB_THREADS,
                    else every CPU for a run trained in this process and
                    CPUs / J, at least 1, for each of the J runs a sweep trains
                    at once); results are the same bits for any count
  --force           retrain every variation, ignoring cached results
  --out DIR         write the report under DIR instead of ./reports
  -q, --quiet       no progress output
  --cache DIR       the cache of finished runs (default: $NNLAB_CACHE, else
                    .cache/nnlab in the experiment's project root: the nearest
                    folder above the file with a .git or a reports folder)
  --shard I/N       train shard I (0 to N-1) of the plan's runs, split by expected
                    cost, skipping those cached; write no report (see nnlab plan)
  --plan HASH       with --shard: refuse unless this shard's plan has this hash
                    (nnlab plan FILE --hash), so that shards never mix plans
  --no-train        write the report from the cache only; a run missing from
                    it is an error that lists what is missing
  --html[=MODE]     also write the report as one web page, OUT/NAME.html:
                    charts embedded (MODE embed, the default) or linked to
                    the files in OUT/NAME/ (MODE linked)
  -h, --help        this text; with FILE: the experiment's parameters (lab.param)
                    with defaults, types and descriptions, without training
]==]

local PLAN_USAGE = [[
usage: nnlab plan FILE.lua [--set key=value]... [--cache DIR] [--json | --count | --hash] [--shards N]

  Lists every run (variation × seed) the experiment will train, in order:
  index, sweep, variation, seed, cache key, whether it is cached. Nothing
  trains. Runs chosen from the results of others (the best lr of an earlier
  sweep, seeds added on demand) are not in the plan; they are counted, and
  the assembling `nnlab run` trains them.
  --json        the plan as JSON
  --count       only the number of runs still to train (for sizing an array)
  --hash        only the plan's hash (for nnlab run --shard I/N --plan HASH)
  --shards N    also the shard (0 to N-1) each run goes to with --shard I/N
]]

local CACHE_USAGE = [[
usage: nnlab cache stats [--cache DIR] [--experiment FILE.lua]...
       nnlab cache gc --experiment FILE.lua [--experiment ...] [--older-than AGE] [--dry-run] [--partial]
                      [--cache DIR]

  stats         the cache folder's entries, their size and age, temporary and
                other files; with --experiment, how many entries each uses
  gc            removes every entry none of the experiments uses (the runs of
                their plans and of their cached results, at default
                parameters), and temporary files older than an hour, naming
                each file; never an entry an experiment uses
  --older-than AGE   gc removes only unused entries older than AGE (30d, 12h, 90m, 2w)
  --dry-run     gc names what it would remove and removes nothing
  --partial     gc goes on when planning an experiment stops early (it trains by
                hand, outside lab.sweep): it keeps what the plan up to there uses
                and removes what a later sweep of that file would use
  --cache DIR   the cache folder (default: $NNLAB_CACHE, else .cache/nnlab in the
                project root of the first experiment, or of the current folder)
]]

local function fail(msg)
  io.stderr:write("nnlab: ", msg, "\n")
  return 1
end

-- An argument as messages show it: on one line, at most 60 characters.
local shown = require("nnlab.errors").shown

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
  -- The folder of `--flag DIR` or `--flag=DIR`, without trailing slashes
  -- (the paths printed join it with "/"). `--out --quiet` forgot the
  -- folder; a folder named -P would read as an option to the shell's cd.
  local function folder_of(flag, a)
    local v = a == flag and value_of(flag) or a:sub(#flag + 2)
    if v == "" then error(flag .. " needs a folder", 0) end
    v = v:gsub("(.)/+$", "%1")
    if v:sub(1, 1) == "-" then
      error(("%s '%s' looks like an option: give the folder, or write ./%s for a folder of that name")
            :format(flag, shown(v), shown(v)), 0)
    end
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
        -- digits only, as --threads takes them (tonumber also read 0x2, 1e1 and 2.0)
        local n = v:match("^%d+$") and math.tointeger(tonumber(v))
        if not n or n < 1 or n > 1024 then error(("-j needs a whole number from 1 to 1024, got '%s'"):format(shown(v)), 0) end
        opts.jobs = n
      elseif a == "--threads" or a:match("^%-%-threads=") then
        local v = a == "--threads" and value_of(a) or a:sub(11)
        local n, why = require("nnlab.threads").parse(v, "--threads")
        if not n then error(why, 0) end
        opts.threads = n
      elseif a == "--force" then
        opts.force = true
      elseif a == "--no-train" then
        opts.no_train = true
      elseif a == "--cache" or a:match("^%-%-cache=") then
        opts.cache = folder_of("--cache", a)
      elseif a == "--shard" or a:match("^%-%-shard=") then
        if opts.shard then error("--shard is given twice: a run trains one shard", 0) end
        opts.shard = a == "--shard" and value_of("--shard") or a:sub(9)
        local i, n = require("nnlab.notebook.plan").parse_shard(opts.shard)
        if not i then error(n, 0) end
        opts.shard_index, opts.shard_count = i, n
      elseif a == "--plan" or a:match("^%-%-plan=") then
        opts.plan = a == "--plan" and value_of("--plan") or a:sub(8)
        if not opts.plan:match("^%x+$") then
          error(("--plan needs the hash nnlab plan FILE --hash prints, got '%s'"):format(shown(opts.plan)), 0)
        end
      elseif a == "--json" or a == "--count" or a == "--hash" then
        if opts.plan_output and opts.plan_output ~= a:sub(3) then
          error(("--%s and %s each choose what nnlab plan prints: give one"):format(opts.plan_output, a), 0)
        end
        opts.plan_output = a:sub(3)
      elseif a == "--shards" or a:match("^%-%-shards=") then
        local v = a == "--shards" and value_of("--shards") or a:sub(10)
        local n = v:match("^%d+$") and math.tointeger(tonumber(v)) -- digits only, as -j takes them
        if not n or n < 1 or n > 100000 then error(("--shards needs a whole number from 1 to 100000, got '%s'"):format(shown(v)), 0) end
        opts.shards = n
      elseif a == "--quiet" or a == "-q" then
        opts.quiet = true
      elseif a == "--html" or a:match("^%-%-html=") then
        opts.html = a == "--html" and "embed" or a:sub(8)
        if opts.html ~= "embed" and opts.html ~= "linked" then
          error(("--html=%s: expected --html, --html=embed (charts inside the page) or --html=linked"):format(
            shown(opts.html)), 0)
        end
      elseif a == "--out" or a:match("^%-%-out=") then
        opts.out = folder_of("--out", a)
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

-- The options each command takes besides those of both (--set, --cache, -h).
local ONLY = {
  run = { "jobs", "threads", "force", "quiet", "out", "shard", "plan", "no_train", "html" },
  plan = { "plan_output", "shards" },
}
local FLAG = { jobs = "-j", threads = "--threads", force = "--force", quiet = "--quiet", out = "--out", shard = "--shard", plan = "--plan",
               html = "--html",
               no_train = "--no-train", plan_output = "--json, --count or --hash", shards = "--shards" }

--- Parses the arguments of `command` ("run" or "plan") into an options
--- table, or returns nil, message (an option of the other command too).
function cli.parse(command, args)
  local opts, err = cli.parse_run(args)
  if not opts then return nil, err end
  for other, names in pairs(ONLY) do
    if other ~= command then
      for _, name in ipairs(names) do
        if opts[name] ~= nil and opts[name] ~= false then
          return nil, ("%s is an option of nnlab %s, not of nnlab %s (see nnlab %s --help)"):format(
            FLAG[name], other, command, command)
        end
      end
    end
  end
  if opts.plan and not opts.shard then return nil, "--plan goes with --shard I/N (it checks the shard's plan)" end
  if opts.shard and opts.no_train then return nil, "--shard trains its share and --no-train forbids training: give one" end
  if opts.force and opts.no_train then return nil, "--force trains every run again and --no-train forbids training: give one" end
  if opts.shards and (opts.plan_output == "count" or opts.plan_output == "hash") then
    return nil, ("--shards lists each run's shard, which --%s does not print: give one"):format(opts.plan_output)
  end
  return opts
end

-- Ends a failed run; returns its exit status. When a signal stopped it, the
-- error it caused is only a consequence: the interruption is what is said,
-- and nnlab exits at once with 128 + the signal's number: closing the Lua
-- state first would free everything the run made, one object at a time
-- (seconds, after planning a million jobs), which the system does anyway.
-- os.exit still flushes and closes every open C stream.
local training_a_shard = false -- cli.shard's run: it writes no report, so none is kept
local under_watch = false -- a render of nnlab watch, which runs the next one itself
local planning_only -- "nnlab plan", "nnlab cache gc": a command that plans, trains nothing and writes no report
local function run_failed(msg)
  local number, name = require("nnlab.core").proc.caught_signal()
  if not number then return fail(msg) end
  local loaded = package.loaded["nnlab.notebook"]
  if planning_only then
    io.stderr:write(("nnlab: interrupted by SIG%s: %s stopped while planning; it had trained nothing and "
                     .. "changed no file\n"):format(name, planning_only))
  elseif training_a_shard then
    io.stderr:write(("nnlab: interrupted by SIG%s: stopped; the shard's finished runs stay cached (run the shard "
                     .. "again to resume)\n"):format(name))
  elseif loaded and not loaded.sweep_started() then -- a hand-written loop: nothing of it is cached
    io.stderr:write(("nnlab: interrupted by SIG%s: stopped; the previous report is kept (no lab.sweep had started, "
                     .. "so nothing was cached: running again starts over)\n"):format(name))
  else
    io.stderr:write(("nnlab: interrupted by SIG%s: stopped; finished runs stay cached and the previous "
                     .. "report is kept%s\n"):format(name, under_watch and "" or " (run again to resume)"))
  end
  os.exit(128 + number)
end


-- The experiment file as a chunk, or nil and the message to show: a file
-- that cannot be opened says so, one that does not compile gives Lua's error.
local function load_script(path)
  local chunk, err = require("nnlab.files").load_lua(path)
  if chunk then return chunk end
  if not io.open(path, "r") then return nil, ("cannot open %s: no such file or not readable"):format(path) end
  return nil, err
end

--- Runs a Lua file with options; returns an exit status (and, after a
--- notebook run, notebook.finish's totals).
function cli.run_file(opts)
  local proc = require("nnlab.core").proc
  local errors = require "nnlab.errors"
  local threads_ok, threads_err = require("nnlab.threads").configure(opts.threads)
  if not threads_ok then return fail(threads_err) end
  under_watch = opts.watch == true
  proc.catch_signals()
  proc.ignore_signal("XFSZ") -- past `ulimit -f`, writes fail with EFBIG and are reported
  local notebook = require "nnlab.notebook"
  notebook.begin(opts)
  local chunk, err = load_script(opts.script)
  if not chunk then return fail(err) end
  local ok, msg = xpcall(errors.call, function(e)
    if errors.is_command_error(e) then return tostring(e) end -- the command's, not a line's: no traceback
    if type(e) ~= "string" then
      local mt = getmetatable(e)
      e = mt and mt.__tostring and tostring(e) or ("(error object is a %s value)"):format(type(e))
    end
    -- raised while lab.sweep built one variation's model for its key: which one
    local sweep = package.loaded["nnlab.notebook.sweep"]
    if sweep then e = sweep.label_error(e) end
    return errors.traceback(e)
  end, chunk)
  if not ok then return run_failed(msg) end
  -- the report is written once the whole file has run; its errors are shown without a traceback
  ok, msg = pcall(notebook.finish)
  if not ok then return run_failed(tostring(msg)) end
  -- a signal held off during the report's commit: the new report is in place, and the run still stops
  local number, name = proc.caught_signal()
  if number then
    io.stderr:write(("nnlab: interrupted by SIG%s: stopped after the report was written\n"):format(name))
    os.exit(128 + number)
  end
  return 0, msg
end

-- The plan of opts.script (nnlab.notebook.plan.make), or nil and an error
-- message; a signal caught while planning stops the command.
local function make_plan(opts)
  -- an error the plan's own work raises (a damaged cache entry that cannot
  -- be deleted) is the command's one-line error, not an internal one
  local ok, p, err = pcall(require("nnlab.notebook.plan").make, opts, load_script)
  if not ok then p, err = nil, tostring(p) end
  if not p and require("nnlab.core").proc.caught_signal() then return run_failed(err) end
  return p, err
end

-- Runs fn() with descriptor 1 on stderr's file: what the experiment prints
-- while it is planned (print, io.write, a command it runs) goes to stderr,
-- and stdout holds only what the command prints (`hash=$(nnlab plan FILE
-- --hash)`). Returns fn's results.
local function stdout_on_stderr(fn)
  local proc = require("nnlab.core").proc
  io.stdout:flush()
  local saved = assert(proc.dup(1))
  assert(proc.dup2(2, 1))
  local results = table.pack(pcall(fn))
  io.stdout:flush()
  assert(proc.dup2(saved, 1))
  proc.close(saved)
  io.output(io.stdout) -- the file may have set its own default output (io.output("log.txt"))
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

--- `nnlab plan FILE`: prints the plan (nnlab.notebook.plan) as a table, as
--- JSON (--json), its number of runs to train (--count) or its hash (--hash),
--- alone on stdout (the file's own output goes to stderr).
function cli.plan(opts)
  local proc = require("nnlab.core").proc
  local plans = require "nnlab.notebook.plan"
  proc.catch_signals()
  planning_only = "nnlab plan"
  local p, err = stdout_on_stderr(function() return make_plan(opts) end)
  if not p then return fail(err) end
  if opts.plan_output == "count" then
    io.write(p.to_train, "\n")
  elseif opts.plan_output == "hash" then
    io.write(p.hash, "\n")
  elseif opts.plan_output == "json" then
    io.write(plans.json(p, opts.script, opts.shards))
  else
    io.write(plans.text(p, opts.script, opts.shards))
  end
  if opts.plan_output == "count" or opts.plan_output == "hash" then -- what the number leaves out, on stderr
    if p.stopped then io.stderr:write("nnlab: warning: planning stopped early: ", p.stopped, "\n") end
    for _, sentence in ipairs(plans.left_out(p)) do io.stderr:write("nnlab: note: ", sentence, "\n") end
  end
  return 0
end

--- `nnlab run FILE --shard I/N [--plan HASH]`: trains this shard's runs of
--- the plan that are not cached, at -j workers, into the cache; writes no
--- report; prints one summary line. Fails when --plan names another plan,
--- or when a run fails (the others stay cached).
function cli.shard(opts)
  training_a_shard = true
  -- accepted, so that one command line serves the shards and the assembly, but said
  for _, given in ipairs { opts.out and "--out" or nil, opts.html and "--html" or nil } do
    io.stderr:write(("nnlab: note: %s does nothing with --shard, which writes no report (the assembling "
                     .. "nnlab run uses it)\n"):format(given))
  end
  local proc = require("nnlab.core").proc
  local plans = require "nnlab.notebook.plan"
  local sweep = require "nnlab.notebook.sweep"
  local cache = require "nnlab.notebook.cache"
  local progress = require "nnlab.notebook.progress"
  local workers = require "nnlab.notebook.workers"
  proc.catch_signals()
  proc.ignore_signal("XFSZ")
  local threads_ok, threads_err = require("nnlab.threads").configure(opts.threads)
  if not threads_ok then return fail(threads_err) end
  local started = proc.clock()
  local p, err = make_plan(opts)
  if not p then return fail(err) end
  local name = ("%s --shard %d/%d"):format(opts.script, opts.shard_index, opts.shard_count)
  if opts.plan and opts.plan:lower() ~= p.hash then
    return fail(("%s: its plan has hash %s, not %s (--plan): the file, its data or the --set values differ from "
                 .. "those the shards were started with, and shards of different plans would not add up; "
                 .. "nothing was trained"):format(name, p.hash, opts.plan))
  end
  if p.stopped then io.stderr:write("nnlab: warning: planning stopped early: ", p.stopped, "\n") end
  local c = cache.open(cache.default_dir(opts.script, opts.cache))
  local shard_of = plans.assign(p.entries, opts.shard_count)
  local wanted, to_train, mine, cached = {}, 0, 0, 0
  for _, e in ipairs(p.entries) do
    if shard_of[e.index] == opts.shard_index then
      mine = mine + 1
      if not opts.force and c:get(nil, sweep.check_result, e.job.key_text, e.job.entry_name) then
        cached = cached + 1
      elseif not wanted[e.job.entry_name] then
        wanted[e.job.entry_name], to_train = true, to_train + 1
      end
    end
  end
  local failed, not_started, no_room = {}, 0, nil
  if to_train > 0 then
    local writable, why = c:check_writable()
    if not writable then
      return fail(("%s: runs need training, but %s: nothing was trained"):format(name, why))
    end
    -- The share trains in a third pass of the file, pass 1 again (its made-up
    -- results take the file down the same path), each sweep's runs at that
    -- sweep's line: a run function or a model function reads the file's
    -- variables as they are there, not as the file left them at its end
    -- (a learning rate reassigned between two sweeps, nn.manual_seed).
    local train = require "nnlab.train"
    local notebook = require "nnlab.notebook"
    local display = progress.new(progress.mode_for(opts))
    local parallel = opts.jobs or workers.default_parallel()
    local train_error
    local function train_share(spec, sweep_name, jobs)
      for _, job in ipairs(jobs) do job.key = plans.key(job) end
      table.sort(jobs, function(a, b) -- longest first, as lab.sweep starts them
        if a.cost ~= b.cost then return a.cost > b.cost end
        return a.index < b.index
      end)
      -- the workers train (planning's stop before a training step is for the file's own steps)
      train.before_training("plan", function() end)
      display:begin(("%s: %s"):format(name, sweep_name), #jobs, #jobs, parallel)
      local ok, lines, skipped = pcall(sweep.train_jobs, spec, jobs, { cache = c, parallel = parallel, display = display })
      display:close()
      train.before_training("plan", function() error(notebook.STOP_PLAN, 0) end)
      if not ok then
        train_error = tostring(lines) -- what stopped the pass, also where a planning pass would go on
        error(lines, 0)
      end
      table.move(lines, 1, #lines, #failed + 1, failed)
      if skipped then not_started, no_room = not_started + skipped.count, skipped.cause end
    end
    local passes, perr = plans.passes(opts, { 1 }, load_script, { wanted = wanted, train = train_share })
    if not passes then return run_failed(perr) end
    if train_error then return run_failed(train_error) end
    local missed = {}
    for entry_name in pairs(wanted) do missed[#missed + 1] = entry_name end
    if #missed > 0 then
      table.sort(missed)
      return fail(("%s: %d of this shard's runs were not met again when the file ran to train them (the file "
                   .. "planned other runs the second time: does it read the clock, a random number or a file "
                   .. "that changed?): %s"):format(name, #missed, table.concat(missed, ", ", 1, math.min(#missed, 5))))
    end
  end
  local trained = mine - cached - #failed - not_started
  io.stdout:write(("nnlab: %s: %d of the plan's %d runs are this shard's: %d trained, %d already cached%s%s, "
                   .. "%.1f s; no report written (plan %s)\n"):format(
    name, mine, #p.entries, trained, cached, #failed > 0 and (", %d failed"):format(#failed) or "",
    not_started > 0 and (", %d not started"):format(not_started) or "", proc.clock() - started, p.hash))
  if #failed > 0 then
    return fail(("%d run%s of %s failed: %s\n%s%s"):format(#failed, #failed == 1 and "" or "s", name,
                 table.concat(failed, "\n  "), no_room and sweep.not_started_text(not_started, c.dir, no_room) .. "\n"
                 or "", trained > 0
                   and "The finished runs are cached: run the shard again to retry only the failed ones."
                   or "No run finished, so nothing new was cached."))
  end
  return 0
end

--- `nnlab cache stats|gc`: the cache folder's entries, sizes and ages, and
--- which the given experiments use; gc removes the rest (see
--- nnlab.notebook.housekeeping), naming each file.
function cli.cache(args)
  local housekeeping = require "nnlab.notebook.housekeeping"
  local cache = require "nnlab.notebook.cache"
  local proc = require("nnlab.core").proc
  local action = args[1]
  if action == "-h" or action == "--help" or action == nil then
    io.write(CACHE_USAGE)
    return action == nil and 1 or 0
  end
  if action ~= "stats" and action ~= "gc" then
    return fail(("unknown cache command '%s' (stats or gc; see nnlab cache --help)"):format(shown(action)))
  end
  local opts = { experiments = {} }
  local i = 2
  while i <= #args do
    local a, given = args[i], nil
    if a:match("^%-%-[%w-]+=") then a, given = a:match("^(%-%-[%w-]+)=(.*)$") end -- --cache=DIR, as run's
    local function value()
      if given then return given end
      i = i + 1
      return args[i] or error(a .. " needs a value", 0)
    end
    local ok, err = pcall(function()
      if given and (a == "--dry-run" or a == "--partial") then error(a .. " takes no value", 0) end
      if a == "--experiment" then opts.experiments[#opts.experiments + 1] = value()
      elseif a == "--cache" then opts.cache = value()
      elseif a == "--older-than" and action == "gc" then
        local seconds, why = housekeeping.parse_age(value())
        if not seconds then error(why, 0) end
        opts.older_than = seconds
      elseif a == "--dry-run" and action == "gc" then opts.dry_run = true
      elseif a == "--partial" and action == "gc" then opts.partial = true
      else error(("unknown option '%s' for nnlab cache %s (see nnlab cache --help)"):format(shown(a), action), 0) end
    end)
    if not ok then return fail(err) end
    i = i + 1
  end
  if action == "gc" and #opts.experiments == 0 then
    return fail("cache gc needs --experiment FILE (repeatable): it keeps the runs those experiments use and "
                .. "removes the rest")
  end
  local dir = cache.default_dir(opts.experiments[1] or "./here", opts.cache)
  local found, err = housekeeping.scan(dir)
  if not found then return fail(err) end
  proc.catch_signals()
  local used, usage = {}, {}
  local plans = require "nnlab.notebook.plan"
  -- planning reads entries but never deletes one (keep_damaged): a damaged entry reads as
  -- missing and stays (stats and a dry run remove nothing; gc removes only what it names)
  planning_only = "nnlab cache " .. action -- (no entry is removed until every experiment is planned)
  for _, script in ipairs(opts.experiments) do
    local passes, perr = plans.passes({ script = script, cache = dir, set = {}, set_order = {},
                                        cache_keep_damaged = true }, { 2, 1, 0 }, load_script)
    if not passes then
      if proc.caught_signal() then return run_failed(perr) end
      return fail(perr)
    end
    local stopped = passes[0].stopped or passes[1].stopped or passes[2].stopped
    if stopped and action == "gc" and not opts.partial then -- the runs it uses past that point are unknown
      return fail(("cache gc: planning %s stopped before its end (%s), so the runs it uses after that are "
                   .. "unknown; nothing was removed (--partial keeps only what the plan up to there uses)")
                  :format(script, stopped))
    end
    local combined, p = pcall(plans.combine, passes[1], passes[2], cache.open(dir, { keep_damaged = true }))
    if not combined then return fail(tostring(p)) end
    -- None of its runs cached here, in a cache that holds entries: most likely it was
    -- planned against other data (data.load reads ./data of the folder it runs from) or
    -- other --set values than its runs had, and gc would remove them all. With
    -- --older-than, gc removes only old entries: the documented way to prune runs made
    -- with --set values, whose experiment at its defaults has none cached.
    local none_cached = #p.entries > 0 and p.to_train == #p.entries
    if none_cached and #found.entries > 0 and action == "gc" and not opts.partial and not opts.older_than then
      return fail(("cache gc: none of %s's %d planned runs is cached here: if it has run, it ran with other "
                   .. "--set values or other data (data.load reads ./data of the folder it runs from: run gc "
                   .. "from there), and gc would remove its entries; if it never ran, leave it out; nothing was "
                   .. "removed (--older-than limits gc to old entries; --partial goes on)")
                  :format(script, #p.entries))
    end
    -- Pass 0 follows the cached results, and a made-up one where a run is not cached (a
    -- variation just added, a damaged entry): from there on, what the real run chooses
    -- from results may differ, so which runs it uses is unknown.
    local made_up = passes[0].made_up or 0
    if made_up > 0 and not none_cached and action == "gc" and not opts.partial then
      return fail(("cache gc: %d of %s's runs %s not cached (new or damaged), so the runs it chooses from "
                   .. "results are unknown; nothing was removed (run it first, or --partial keeps only what the "
                   .. "plan knows)"):format(made_up, script, made_up == 1 and "is" or "are"))
    end
    local mine = {}
    for _, number in ipairs { 0, 1, 2 } do plans.entry_names(passes[number], mine) end
    for name in pairs(mine) do used[name] = true end
    local unknown = stopped and ("planning stopped early (%s)"):format(stopped)
                    or made_up > 0 and (p.dependent + p.on_demand > 0 -- runs chosen from results
                       and ("%d of its runs %s not cached and others are chosen from the results")
                           :format(made_up, made_up == 1 and "is" or "are")
                       or ("%d of its runs %s not cached, so what it chooses from results may differ")
                           :format(made_up, made_up == 1 and "is" or "are"))
    usage[#usage + 1] = { script = script, used = mine, planned = #p.entries, planned_cached = #p.entries - p.to_train,
                          unknown = unknown or nil }
  end
  planning_only = nil -- (gc removes files from here on)
  local now = os.time()
  if action == "stats" then
    io.write(housekeeping.stats(dir, found, usage, now))
    return 0
  end
  local failed = housekeeping.gc(dir, found, used, opts, now, function(line) io.stdout:write(line) end)
  return failed > 0 and 1 or 0
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
  -- every reader of data stops it (generate too: it runs the file's own code);
  -- the process ends after the listing, so they stay replaced
  for _, reader in ipairs { "load", "csv", "npy", "npz", "idx", "generate" } do
    data[reader] = function() error(stop, 0) end
  end
  local ok, msg = xpcall(errors.call, function(e)
    if e == stop then return e end
    if type(e) ~= "string" then e = tostring(e) end
    return errors.traceback(e)
  end, chunk)
  local params = notebook.described()
  if not ok and msg ~= stop then return fail(msg) end
  local out = { ("usage: nnlab run %s [--set name=value]... [-j N] [--threads N] [--force] [--out DIR] [-q]\n"
                 .. "                 [--cache DIR] [--no-train] [--html[=MODE]]\n\n")
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
  local threads = require "nnlab.threads"
  io.write(("threads %d (%s)\n"):format(threads.get(), threads.source() or "default: every CPU in use"))
  return 0
end

function cli.main(args, lua_dir)
  cli.lua_dir = lua_dir
  -- A closed stdout (`nnlab run x.lua | head -2`) must not stop the work:
  -- writes to it fail quietly (EPIPE) instead of killing nnlab or a worker.
  require("nnlab.core").proc.ignore_signal("PIPE")
  -- The collector is generational: a sweep of 10^5 cached runs keeps its
  -- runs' records live (about 1.5 KB a run) and makes short-lived garbage
  -- at every run (keys, entries read, their texts). The incremental
  -- collector went over all that was live again and again (at 20 000 cached
  -- runs, 2.2 of 6 s of CPU went to it, measured by stopping it); minor
  -- collections look at the young objects only. 10^5 cached runs with
  -- table and chart: 40.3 -> 35.4 s CPU, peak 428 -> 330 MB (Lua 5.4.4's
  -- default parameters; the incremental one had a pause of 150).
  -- The pause (an incremental parameter) matters here too: a major
  -- collection that frees less than half of what the heap grew by since
  -- the last one (as when a sweep's records keep growing) switches Lua 5.4
  -- to full collections, each when the heap has grown by the pause, 200 %
  -- by default: the heap doubled, to 2x what was live. At 120 % it grows by
  -- a fifth. And a minor collection every 5 % of growth, not 20 %, keeps
  -- less young garbage (10^5 cached runs write 50 MB of results text).
  -- 10^5 cached runs with table and chart, peak: 290 -> 257 MB (pause),
  -- then, with lighter records and verdicts, 186 -> 171 MB (minor 5 %), no
  -- slower (Zen 5; 10^4 runs and neurons.lua's training the same).
  collectgarbage("incremental", 120)
  collectgarbage("generational", 5)
  local command = args[1]
  local takes_no_arguments = { help = true, ["--help"] = true, ["-h"] = true, version = true, ["--version"] = true }
  if takes_no_arguments[command] and args[2] ~= nil then
    local see = command:find("help") and "for a command's options: nnlab COMMAND --help" or "see nnlab --help"
    return fail(("%s takes no arguments, got '%s' (%s)"):format(command, shown(args[2]), see))
  end
  if command == nil or command == "help" or command == "--help" or command == "-h" then
    io.write(USAGE)
    return command == nil and 1 or 0
  end
  -- NNLAB_SIMD and NNLAB_THREADS are refused before anything runs, whatever the command
  local simd_ok, simd_err = pcall(require("nnlab.core").simd)
  if not simd_ok then return fail(simd_err) end
  local threads_ok, threads_err = require("nnlab.threads").configure()
  if not threads_ok then return fail(threads_err) end
  if command == "version" or command == "--version" then
    return cli.version()
  elseif command == "run" then
    local opts, err = cli.parse("run", table.move(args, 2, #args, 1, {}))
    if not opts then return fail(err) end
    if opts.help and opts.script then return cli.describe(opts) end
    if opts.help then io.write(RUN_USAGE) return 0 end
    if not opts.script then return fail("run needs a Lua file (see nnlab run --help)") end
    if opts.shard then return cli.shard(opts) end
    opts.argv = table.move(args, 1, #args, 1, {}) -- the report's command row
    return cli.run_file(opts)
  elseif command == "cache" then
    return cli.cache(table.move(args, 2, #args, 1, {}))
  elseif command == "plan" then
    local opts, err = cli.parse("plan", table.move(args, 2, #args, 1, {}))
    if not opts then return fail(err) end
    if opts.help then io.write(PLAN_USAGE) return 0 end
    if not opts.script then return fail("plan needs a Lua file (see nnlab plan --help)") end
    return cli.plan(opts)
  elseif command == "watch" then
    return require("nnlab.watch").main(table.move(args, 2, #args, 1, {}), args)
  end
  return fail(("unknown command '%s' (see nnlab --help)"):format(tostring(command)))
end

return cli
