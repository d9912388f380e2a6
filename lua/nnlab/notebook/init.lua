-- nnlab.notebook: an experiment file as a document. lab.title, lab.md,
-- lab.table and lab.chart record blocks in the order the file calls them;
-- lab.param reads a typed parameter that `--set key=value` overrides;
-- lab.sweep trains (or fetches from the cache) every variation × seed. When
-- the file has run to its end without error, `nnlab run` calls
-- notebook.finish, which writes the report (nnlab.report). A file that fails
-- midway writes no report, so the last good one stays. lab.require loads
-- modules that sit beside the experiment file (definitions shared by several).
local cache = require "nnlab.notebook.cache"
local files = require "nnlab.files"
local progress = require "nnlab.notebook.progress"
local report = require "nnlab.notebook.report"
local runs_lib = require "nnlab.notebook.runs"
local sweep = require "nnlab.notebook.sweep"
local workers = require "nnlab.notebook.workers"
local proc = require("nnlab.core").proc

local notebook = {}

local started = proc.clock()
local state -- the run's notebook, made by its first notebook call

-- The command line's options (nnlab.cli stores them in nnlab.options).
local function run_options()
  local nnlab = package.loaded["nnlab"]
  return type(nnlab) == "table" and nnlab.options or {}
end

local function current()
  if state then return state end
  local opts = run_options()
  state = {
    script = opts.script or "notebook.lua",
    name = files.basename(opts.script or "notebook"),
    out_dir = opts.out or "reports",
    parallel = opts.jobs or workers.default_parallel(),
    force = opts.force == true,
    quiet = opts.quiet == true,
    set = opts.set or {},
    set_order = opts.set_order or {},
    blocks = {}, params = {}, declared = {}, sweeps = {},
    cache = cache.open(),
  }
  state.display = progress.new(progress.mode_for(opts))
  require("nnlab.cli").on_success(notebook.finish)
  return state
end

-- Levenshtein distance, for "did you mean" hints.
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a:sub(i, i) == b:sub(j, j) and 0 or 1))
    end
    prev = cur
  end
  return prev[#b]
end

-- Raises an error for the first --set key that no lab.param declared.
local function check_unknown_sets(level, where)
  for _, key in ipairs(state.set_order) do
    if not state.declared[key] then
      local names, hint = {}, ""
      for _, p in ipairs(state.params) do
        names[#names + 1] = p.name
        if distance(key, p.name) <= 2 then hint = (" (did you mean '%s'?)"):format(p.name) end
      end
      error(("--set %s=%s: no lab.param named '%s' %s%s; declared: %s"):format(
        key, state.set[key], key, where, hint, #names > 0 and table.concat(names, ", ") or "none"), level)
    end
  end
end

-- The value of `--set name=text`, typed like default; or nil and the expected type.
local parse_setting = require("nnlab.cli").parse_setting

--- lab.param(name, default [, description]) -> the value to use: default, or
--- the `--set name=value` of the command line, typed like the default
--- (integer, number, boolean or string). Declare parameters before the first
--- lab.sweep: --set keys still unknown there (and at the end) are errors.
function notebook.param(name, default, description)
  local s = current()
  if type(name) ~= "string" or not name:match("^[%a_][%w_%.]*$") then
    error("lab.param: name must be a name like epochs or lr", 2)
  end
  local kind = type(default)
  if kind ~= "number" and kind ~= "boolean" and kind ~= "string" then
    error(("lab.param: the default of '%s' must be a number, boolean or string, got %s"):format(name, kind), 2)
  end
  local known = s.declared[name]
  if known then
    if known.default ~= default or math.type(known.default) ~= math.type(default) then
      error(("lab.param: '%s' is declared twice with different defaults (%s and %s)"):format(
        name, tostring(known.default), tostring(default)), 2)
    end
    return known.value
  end
  local value, from_set = default, false
  local text = s.set[name]
  if text ~= nil then
    local parsed, expected = parse_setting(text, default)
    if parsed == nil then
      error(("--set %s=%s: %s expects %s (default %s), got '%s'"):format(
        name, text, name, expected, tostring(default), text), 2)
    end
    value, from_set = parsed, true
  end
  local p = { name = name, default = default, value = value, from_set = from_set, description = description }
  s.declared[name] = p
  s.params[#s.params + 1] = p
  return value
end

-- Removes the indentation that a [[ ... ]] block inside Lua code carries.
local function dedent(text)
  local lines = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line:gsub("%s+$", "") end
  local first = 1
  if lines[1] and lines[1]:find("%S") then lines[1] = lines[1]:gsub("^%s+", "") first = 2 end
  local indent
  for i = first, #lines do
    if lines[i]:find("%S") then
      local lead = lines[i]:match("^[ \t]*")
      if not indent or #lead < #indent then indent = lead end
    end
  end
  for i = first, #lines do lines[i] = lines[i]:sub(#(indent or "") + 1) end
  return (table.concat(lines, "\n"):gsub("^\n+", ""):gsub("\n+$", ""))
end

-- Modules loaded by lab.require, by path.
local modules = {}

--- lab.require(name) -> the value returned by the Lua file `name` (dots
--- separate folders: "lib.setup" is lib/setup.lua) in the folder of the
--- experiment file being run, whatever the current folder. Each file is
--- loaded once per run; files shared by several experiments go there.
function notebook.require(name)
  if type(name) ~= "string" or not name:match("^[%w_%-]+[%w_%-%.]*$") or name:find("..", 1, true) then
    error("lab.require: expected a module name like \"lib.setup\"", 2)
  end
  local script = run_options().script or "notebook.lua"
  local path = files.dirname(script) .. "/" .. name:gsub("%.", "/") .. ".lua"
  if modules[path] == nil then
    local chunk, err = loadfile(path)
    if not chunk then
      if not io.open(path, "r") then
        error(("lab.require: no module '%s' beside %s (looked for %s)"):format(name, script, path), 2)
      end
      error("lab.require: " .. err, 2)
    end
    modules[path] = chunk(name, path)
    if modules[path] == nil then modules[path] = true end
  end
  return modules[path]
end

--- lab.title(text): the report's title (default: the file's name).
function notebook.title(text)
  if type(text) ~= "string" then error("lab.title: expected a string", 2) end
  current().title = text
end

--- lab.md(text, ...): a block of Markdown prose. With more arguments, text
--- is a format string (text:format(...)). Indentation common to all lines of
--- text is removed (before formatting: the values are inserted as they are).
function notebook.md(text, ...)
  if type(text) ~= "string" then error("lab.md: expected a string of Markdown", 2) end
  -- the pattern loses its indentation before the values go in, so a
  -- multi-line value (a code listing) keeps its own
  text = dedent(text)
  if select("#", ...) > 0 then
    local ok, formatted = pcall(string.format, text, ...)
    if not ok then error("lab.md: " .. formatted, 2) end
    text = formatted
  end
  local s = current()
  s.blocks[#s.blocks + 1] = { kind = "md", text = text }
end

--- lab.sweep { ... } -> runs: trains every variation × seed (see nnlab.sweep
--- and docs/notebook.md), from the cache where it can.
function notebook.sweep(spec)
  local s = current()
  if not s.swept then
    s.swept = true
    check_unknown_sets(3, "is declared before the first lab.sweep")
  end
  local runs = sweep.run(spec, { cache = s.cache, force = s.force, parallel = s.parallel, display = s.display,
                                 index = #s.sweeps + 1, title = s.name }, 3)
  s.sweeps[#s.sweeps + 1] = runs
  return runs
end

local function check_runs(where, runs, level)
  if getmetatable(runs) ~= runs_lib.Runs then
    error(("%s: expected the result of lab.sweep"):format(where), level + 1)
  end
end

local function check_metric(where, metric, level)
  runs_lib.metric_info(metric, level + 1, where)
end

--- lab.table(runs [, { metrics = { "test_acc", "train_loss", "test_loss" },
--- compare = metrics[1] }]): a table with one row per variation (its label
--- when it has one, and its varied values): each metric after the last epoch
--- as mean ± std over seeds, and whether it differs from the best by more than noise.
--- lab.table(runs, { rows = k1, columns = k2 [, metric = "test_acc"] }): for a
--- sweep over two keys, a grid: one row per value of k1, one column per value
--- of k2, each cell the final metric; the best in bold and the best k1 per k2.
function notebook.table(runs, options)
  check_runs("lab.table", runs, 2)
  options = options or {}
  if type(options) ~= "table" then error("lab.table: options must be a table", 2) end
  for _, m in ipairs(options.metrics or {}) do check_metric("lab.table", m, 2) end
  if options.compare then check_metric("lab.table", options.compare, 2) end
  if options.rows ~= nil or options.columns ~= nil then
    local keys = table.concat(runs.keys, ", ")
    if #runs.keys ~= 2 or options.rows == options.columns then
      error(("lab.table: rows and columns need a sweep that varies exactly two parameters (this one varies: %s)")
            :format(keys ~= "" and keys or "none"), 2)
    end
    for _, which in ipairs { "rows", "columns" } do
      local k = options[which]
      if k ~= runs.keys[1] and k ~= runs.keys[2] then
        error(("lab.table: %s must be a varied parameter (%s), got '%s'"):format(which, keys, tostring(k)), 2)
      end
    end
    check_metric("lab.table", options.metric or "test_acc", 2)
  end
  local s = current()
  s.blocks[#s.blocks + 1] = { kind = "table", runs = runs, options = options }
end

--- lab.chart(runs [, { y = "test_acc", x = "epoch", title = "..." }]): a chart.
--- x = "epoch": y per epoch, a line and a mean ± std band per variation.
--- x = a varied parameter: y after the last epoch against its values, with error bars.
--- where = { key = value }: only the variations with those values.
function notebook.chart(runs, options)
  check_runs("lab.chart", runs, 2)
  options = options or {}
  if type(options) ~= "table" then error("lab.chart: options must be a table", 2) end
  check_metric("lab.chart", options.y or "test_acc", 2)
  local x = options.x or "epoch"
  local varied = x == "epoch"
  for _, k in ipairs(runs.keys) do varied = varied or k == x end
  if not varied then
    error(("lab.chart: x must be \"epoch\" or a varied parameter (%s), got '%s'"):format(
      table.concat(runs.keys, ", "), tostring(x)), 2)
  end
  if options.title ~= nil and type(options.title) ~= "string" then error("lab.chart: title must be a string", 2) end
  if options.where ~= nil then
    if type(options.where) ~= "table" then error("lab.chart: where must be a table { key = value }", 2) end
    local shown = 0
    for k, value in pairs(options.where) do
      local known = false
      for _, key in ipairs(runs.keys) do known = known or key == k end
      if not known then
        error(("lab.chart: where.%s: not a varied parameter (%s)"):format(tostring(k), table.concat(runs.keys, ", ")), 2)
      end
    end
    for _, v in ipairs(runs.variations) do
      local match = true
      for k, value in pairs(options.where) do match = match and v.params[k] == value end
      if match then shown = shown + 1 end
    end
    if shown == 0 then error("lab.chart: where matches no variation", 2) end
  end
  local s = current()
  s.blocks[#s.blocks + 1] = { kind = "chart", runs = runs, options = options }
end

--- Called by `nnlab run` once the file has run without error: checks the
--- --set keys, writes the report and prints what was trained and what came
--- from the cache. Errors here fail the run (and leave the old report).
function notebook.finish()
  if not state then return end
  check_unknown_sets(0, "is declared in " .. state.script)
  local totals = { runs = 0, trained = 0, cached = 0 }
  for _, r in ipairs(state.sweeps) do
    for k in pairs(totals) do totals[k] = totals[k] + r.counts[k] end
  end
  if #state.blocks > 0 or #state.sweeps > 0 or state.title then
    totals.seconds = proc.clock() - started
    -- one report at a time: two runs of this file never mix their files
    local lock = ("%s/.%s.lock"):format(state.out_dir, state.name)
    local path, problems = files.with_lock(lock, report.write, state, totals)
    for _, problem in ipairs(problems) do io.stderr:write("nnlab: ", problem, "\n") end
    if not state.quiet then io.stdout:write(("nnlab: wrote %s\n"):format(path)) end
  end
  io.stdout:write(("nnlab: %s: %d runs, %d trained, %d from cache, %.1f s\n"):format(
    state.name, totals.runs, totals.trained, totals.cached, proc.clock() - started))
end

return notebook
