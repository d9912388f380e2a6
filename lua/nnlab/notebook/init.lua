-- nnlab.notebook: an experiment file as a document. lab.title, lab.md,
-- lab.table and lab.chart record blocks in the order the file calls them;
-- lab.param reads a typed parameter that `--set key=value` overrides;
-- lab.sweep trains (or fetches from the cache) every variation × seed.
-- A run is explicit: `nnlab run` calls notebook.begin(options) before the
-- file runs (the run's state and clock start there) and notebook.finish()
-- when it has run to its end without error, which writes the report
-- (nnlab.notebook.report). A file that fails midway writes no report, so the
-- last good one stays. lab.require loads modules that sit beside the
-- experiment file (definitions shared by several).
local cache = require "nnlab.notebook.cache"
local data = require "nnlab.data"
local errors = require "nnlab.errors"
local files = require "nnlab.files"
local options = require "nnlab.options"
local pictures = require "nnlab.notebook.pictures"
local progress = require "nnlab.notebook.progress"
local provenance = require "nnlab.notebook.provenance"
local report = require "nnlab.notebook.report"
local runs_lib = require "nnlab.notebook.runs"
local settings = require "nnlab.notebook.settings"
local staging = require "nnlab.notebook.staging"
local sweep = require "nnlab.notebook.sweep"
local train = require "nnlab.train"
local words = require "nnlab.notebook.words"
local workers = require "nnlab.notebook.workers"
local proc = require("nnlab.core").proc

local notebook = {}
local raise = errors.raise

local state -- the run in progress (notebook.begin)
local finishing -- the run whose report notebook.finish is writing (state is nil by then)
local last_loaded = {} -- the files the last run begun loaded (notebook.loaded_files)
local last_mtimes = {} -- and their modification times before they loaded

-- The names a --set key may name so far: every lab.param declared and
-- every key a lab.sweep varied (a `vary` axis or a `variations` key).
local function known_names(s)
  local params, varied, all = {}, {}, {}
  for _, p in ipairs(s.params) do params[#params + 1] = p.name; all[#all + 1] = p.name end
  for k in pairs(s.varied) do varied[#varied + 1] = k end
  table.sort(varied)
  table.move(varied, 1, #varied, #all + 1, all)
  return params, varied, all
end

-- Checks the --set keys that no lab.param and no `vary` axis has used yet.
-- final (the end of the run): each is an error. Otherwise (at a lab.sweep
-- or the first training step), a key may still be an axis of a later
-- sweep, so only a typo is an error there: a key within the "did you mean"
-- reach of a lab.param or a varied key. Any other gets a warning, once,
-- before anything trains: the error comes at the end, after the training
-- (kept in the cache). `when` ends the sentence "no lab.param or vary axis
-- named 'x' ...".
local function check_unknown_sets(s, when, final)
  for _, key in ipairs(s.set_order) do
    if not s.declared[key] and not s.overridden[key] then
      local params, varied, all = known_names(s)
      local hint = options.suggest(key, all)
      local declared = ("declared: %s%s"):format(#params > 0 and table.concat(params, ", ") or "none",
                                                 #varied > 0 and "; varied: " .. table.concat(varied, ", ") or "")
      if final or hint ~= "" then
        raise("--set %s=%s: no lab.param or vary axis named '%s' %s%s; %s", errors.shown(key), errors.shown(s.set[key]),
              errors.shown(key), when, hint, declared)
      elseif not s.warned_sets[key] and not s.planning then
        s.warned_sets[key] = true
        io.stderr:write(("nnlab: warning: --set %s=%s: no lab.param or vary axis named '%s' %s; unless a later "
                         .. "lab.sweep varies it, the run stops with an error at its end, with no report "
                         .. "(what trained stays cached); %s\n"):format(errors.shown(key), errors.shown(s.set[key]),
                                                                         errors.shown(key), when, declared))
      end
    end
  end
end

-- The values of `--set key=text` for the vary axis `key` whose values are
-- `values`: the text split at commas, each item (spaces around it removed)
-- typed like the axis's values (all integers: integers; all numbers:
-- numbers; else like the first value). Raises on an empty item, a value of
-- the wrong type or a value given twice.
local function axis_values(key, text, values)
  local default = values[1]
  local numbers, integers = true, true
  for _, v in ipairs(values) do
    numbers = numbers and type(v) == "number"
    integers = integers and math.type(v) == "integer"
  end
  if numbers then default = integers and 0 or 0.0 end
  local current = {}
  for i, v in ipairs(values) do current[i] = tostring(v) end
  local out, seen = {}, {}
  for item in (text .. ","):gmatch("([^,]*),") do
    item = item:match("^%s*(.-)%s*$")
    if item == "" then
      raise("--set %s=%s: an empty value in the list for the vary axis '%s' (give v1,v2,...)", key, text, key)
    end
    local value, expected = settings.parse(item, default)
    if value == nil then
      raise("--set %s=%s: the vary axis '%s' (values %s) expects %s, got '%s'", key, text, key,
            table.concat(current, ", "), expected, item)
    end
    if seen[value] then raise("--set %s=%s: the value '%s' is given twice", key, text, item) end
    seen[value] = true
    out[#out + 1] = value
  end
  return out
end

-- The sweep table with the --set overrides of its `vary` axes (a copy; the
-- user's table is left as it is), and the overrides applied (key -> text),
-- or nil. A --set key of a `variations` list is an error: only a grid's
-- axes can be replaced. Keys that are lab.params are not axes.
local function apply_overrides(s, spec)
  if type(spec) ~= "table" then return spec, nil end
  local vary = type(spec.vary) == "table" and spec.vary or nil
  local listed = {}
  if type(spec.variations) == "table" then
    for _, entry in ipairs(spec.variations) do
      if type(entry) == "table" then
        for k in pairs(entry) do
          if type(k) == "string" and k ~= "label" then listed[k] = true end
        end
      end
    end
  end
  for k in pairs(vary or {}) do
    if type(k) == "string" then s.varied[k] = true end
  end
  for k in pairs(listed) do s.varied[k] = true end
  local copy, overridden
  for _, key in ipairs(s.set_order) do
    if not s.declared[key] then
      if listed[key] then
        raise("--set %s=%s: '%s' is a key of this lab.sweep's variations list, which --set cannot override " ..
              "(only the axes of a vary grid, or a lab.param)", key, s.set[key], key)
      end
      local values = vary and vary[key]
      if type(values) == "table" and #values > 0 then
        if not copy then
          copy = {}
          for k, v in pairs(spec) do copy[k] = v end
          copy.vary = {}
          for k, v in pairs(vary) do copy.vary[k] = v end
          overridden = {}
        end
        copy.vary[key] = axis_values(key, s.set[key], values)
        overridden[key] = s.set[key]
        s.overridden[key] = true
      end
    end
  end
  return copy or spec, overridden
end

-- The language of the words nnlab writes (words.set) follows the report's
-- while the file runs too: runs:compare(...).text is in it.
local function follow_language(s)
  words.set(s.language or words.default(s.title or s.name))
end

--- notebook.begin(opts) starts a run: opts are the command line's (script,
--- out, jobs, force, quiet, set, set_order; all optional). The run's clock
--- starts here. At each lab.sweep, a --set key that is a typo of a
--- lab.param or varied key is an error; before the first training step of
--- a file that trains by hand before any sweep (nnlab.fit, or an optimizer
--- step), every key must have named a lab.param; at the end
--- (notebook.finish), every --set key must have named a lab.param or a
--- `vary` axis (a key no sweep so far varies may be an axis of a later one).
function notebook.begin(opts)
  opts = opts or {}
  finishing = nil
  -- what Lua's library and nnlab's modules hold before the file adds to them (cache keys)
  require("nnlab.notebook.fingerprint").take_baseline()
  local name = files.basename(opts.script or "notebook")
  local MAX_NAME = 245 -- 255 (NAME_MAX) less ".old.html" and the leading dot
  state = {
    started = proc.clock(),
    script = opts.script or "notebook.lua",
    name = name,
    -- a file named .lua (or ..lua) would write reports/.md and its files
    -- into the reports folder itself; and the longest name written beside
    -- a report, .NAME.old.html, must stay within NAME_MAX (255 bytes):
    -- refused at its first lab call
    unnamed = (name == "" or name == "." or name == "..")
              and ("the experiment file needs a name before .lua: its report would be %s/%s.md")
                  :format(opts.out or "reports", name)
              or #name > MAX_NAME
              and ("the experiment's name is %d bytes long: the files nnlab writes beside its report "
                   .. "(.NAME.old.html) need %d more, past the 255 bytes a file name may have; keep it to %d")
                  :format(#name, 255 - MAX_NAME, MAX_NAME)
              or nil,
    out_dir = opts.out or "reports",
    parallel = opts.jobs or workers.default_parallel(),
    force = opts.force == true,
    quiet = opts.quiet == true,
    set = opts.set or {},
    set_order = opts.set_order or {},
    display_mode = progress.mode_for(opts),
    command_line = opts,
    argv = opts.argv, -- the arguments after `nnlab`, for the header's command row
    describe = opts.describe == true, -- `nnlab run FILE --help`: params are collected, nothing trains
    -- `nnlab plan` and --shard: a nnlab.notebook.plan pass; sweeps train
    -- nothing, and no report is written
    planning = opts.planning,
    no_train = opts.no_train == true, -- --no-train: a run missing from the cache is an error
    cache_dir = cache.default_dir(opts.script, opts.cache),
    html = opts.html, -- "embed" | "linked": also write OUT/NAME.html (nnlab.notebook.html)
    watch = opts.watch == true, -- under `nnlab watch`: the page reloads itself; finish prints nothing
    blocks = {}, params = {}, declared = {}, sweeps = {}, modules = {},
    -- the experiment file and each lab.require'd file, in load order, with
    -- the SHA-256 of the bytes read (provenance.sha256)
    sources = {},
    loaded = { opts.script }, -- the experiment file and each lab.require'd file it tried to load
    -- and each one's modification time before it loaded (nnlab watch: a save during the render)
    loaded_mtimes = { [opts.script or "notebook.lua"] = opts.script and files.mtime(opts.script) or false },
    varied = {}, -- every key a lab.sweep varied so far (a set)
    overridden = {}, -- the --set keys that replaced a vary axis (a set)
    warned_sets = {}, -- the --set keys warned of as not declared yet (a set)
  }
  local s = state
  -- a report whose commit a killed run left half done is finished first,
  -- whatever this run does next (it may fail before it writes a report)
  if opts.script and not s.planning and not s.describe and not s.unnamed then
    local recovered, why = pcall(staging.recover, s.out_dir, s.name)
    if not recovered then
      io.stderr:write(("nnlab: warning: the report %s/%s.md is half replaced by a killed run, and finishing it "
                       .. "failed: %s\n"):format(s.out_dir, s.name, tostring(why)))
    end
  end
  follow_language(s)
  last_loaded, last_mtimes = s.loaded, s.loaded_mtimes
  if opts.script then s.sources[1] = { path = opts.script, sha256 = provenance.sha256(opts.script) } end
  -- `nnlab run FILE --help` stops the file at its first training step
  if s.describe then train.before_training("describe", function() error(notebook.STOP_DESCRIBE, 0) end) end
  -- planning stops at a training step outside lab.sweep: it would train
  if s.planning then train.before_training("plan", function() error(notebook.STOP_PLAN, 0) end) end
  -- Training by hand before any sweep: a key no lab.param has used is an
  -- error now, not after the training (an axis override is for the sweeps
  -- of a file). Once a sweep has started (also in its workers), only typos.
  train.before_training("--set keys", function()
    -- (the first training step of this process: a sweep's runs train in workers)
    s.trained_by_hand = true
    check_unknown_sets(s, "is declared before training starts", not s.sweep_started)
  end)
  return state
end

--- notebook.sweep_started() -> whether a lab.sweep of this run has started
--- (so that its finished runs are in the cache).
function notebook.sweep_started()
  local s = state or finishing
  return s ~= nil and s.sweep_started == true
end

--- lab.run_options() -> a copy of the run's command-line options: script,
--- out, jobs, force, quiet, set (name -> text) and set_order (the --set
--- names in order). nil fields were not given.
function notebook.run_options()
  local s = state or notebook.begin()
  local o = s.command_line
  local set, set_order = {}, table.move(o.set_order or {}, 1, #(o.set_order or {}), 1, {})
  for k, v in pairs(o.set or {}) do set[k] = v end
  return { script = o.script, out = o.out, jobs = o.jobs, force = o.force, quiet = o.quiet, set = set,
           set_order = set_order }
end

-- The run in progress; a file run without `nnlab run` (stock Lua) gets one
-- with default options, and no report.
local function current()
  if not state then notebook.begin() end
  if state.unnamed then raise(state.unnamed) end
  -- a file or a link where the report folder goes: refused before anything
  -- trains (and again, under the lock, before anything is removed); so is
  -- the report of another experiment file of the same name
  if not state.used and not state.planning and not state.describe and state.command_line.script then
    local refused = staging.refusal(state.out_dir, state.name)
                    or staging.owner_refusal(state.out_dir, state.name, state.script)
    if refused then errors.command_error(refused) end -- --out's fault, not the line's
  end
  state.used = true
  return state
end

--- lab.param(name, default [, description]) -> the value to use: default, or
--- the `--set name=value` of the command line, typed like the default
--- (integer, number, boolean or string). Declare parameters before the first
--- lab.sweep: a --set key there that is neither a lab.param nor an axis of
--- its `vary` grid is an error if it is a typo of one, and at the end if
--- nothing used it.
function notebook.param(name, default, description)
  local s = current()
  if type(name) ~= "string" or not name:match("^[%a_][%w_%.]*$") then
    raise("lab.param: name must be a name like epochs or lr")
  end
  local kind = type(default)
  if kind ~= "number" and kind ~= "boolean" and kind ~= "string" then
    raise("lab.param: the default of '%s' must be a number, boolean or string, got %s", name, kind)
  end
  if description ~= nil and type(description) ~= "string" then
    raise("lab.param: the description of '%s' must be a string", name)
  end
  local known = s.declared[name]
  if known then
    if known.default ~= default or math.type(known.default) ~= math.type(default) then
      raise("lab.param: '%s' is declared twice with different defaults (%s and %s)",
            name, tostring(known.default), tostring(default))
    end
    return known.value
  end
  local value, from_set = default, false
  local text = s.set[name]
  if text ~= nil then
    local parsed, expected = settings.parse(text, default)
    if parsed == nil then
      raise("--set %s=%s: %s expects %s (default %s), got '%s'", name, text, name, expected, tostring(default), text)
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

--- lab.require(name) -> the value returned by the Lua file `name` (dots
--- separate folders: "lib.setup" is lib/setup.lua) in the folder of the
--- experiment file being run, whatever the current folder. Each file is
--- loaded once per run; files shared by several experiments go there.
function notebook.require(name)
  if type(name) ~= "string" or not name:match("^[%w_%-]+[%w_%-%.]*$") or name:find("..", 1, true) then
    raise("lab.require: expected a module name like \"lib.setup\"")
  end
  data.check_code_read(("the module '%s'"):format(name))
  local s = current()
  local path = files.dirname(s.script) .. "/" .. name:gsub("%.", "/") .. ".lua"
  if s.modules[path] == nil then
    -- before it loads: `nnlab watch` watches a file that failed to load, too
    s.loaded[#s.loaded + 1] = path
    s.loaded_mtimes[path] = files.mtime(path) or false
    local chunk, err = files.load_lua(path)
    if not chunk then
      if not io.open(path, "r") then
        raise("lab.require: no module '%s' beside %s (looked for %s)", name, s.script, path)
      end
      raise("lab.require: %s", err)
    end
    s.sources[#s.sources + 1] = { path = path, sha256 = provenance.sha256(path) }
    s.modules[path] = errors.call(chunk, name, path)
    if s.modules[path] == nil then s.modules[path] = true end
  end
  return s.modules[path]
end

--- lab.title(text): the report's title (default: the file's name).
function notebook.title(text)
  if type(text) ~= "string" then raise("lab.title: expected a string") end
  options.not_blank("lab.title", "the title", text, "leave lab.title out to use the file's name")
  local s = current()
  s.title = text
  follow_language(s)
end

--- lab.language(language): the language of every word the report
--- generates (header, column names, verdicts, captions, axis labels, keys,
--- the data note): "zh" or "en". Default: "zh" when the title (lab.title,
--- or the file's name without one) holds CJK characters, else "en".
function notebook.language(language)
  if language ~= "zh" and language ~= "en" then
    raise("lab.language: expected \"zh\" or \"en\", got %s", errors.value(language))
  end
  local s = current()
  s.language = language
  follow_language(s)
end

--- lab.md(text, ...): a block of Markdown prose. With more arguments, text
--- is a format string (text:format(...)); a nil value is an error, not the
--- text "nil". Indentation common to all lines of text is removed (before
--- formatting: the values are inserted as they are).
function notebook.md(text, ...)
  if type(text) ~= "string" then raise("lab.md: expected a string of Markdown") end
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if v == nil then raise("lab.md: value %d for the pattern is nil", i) end
    -- a table would print as its address ("table: 0x55..."), new on every run
    local kind = type(v)
    if kind ~= "string" and kind ~= "number" and kind ~= "boolean" then
      local mt = getmetatable(v)
      if not (type(mt) == "table" and rawget(mt, "__tostring")) then
        raise("lab.md: value %d for the pattern is %s, which has no text%s", i, errors.value(v),
              kind == "table" and " (a summary row or verdict? give its .text, .label or a number)" or "")
      end
    end
  end
  -- the pattern loses its indentation before the values go in, so a
  -- multi-line value (a code listing) keeps its own
  text = dedent(text)
  if select("#", ...) > 0 then
    local ok, formatted = pcall(string.format, text, ...)
    if not ok then
      formatted = tostring(formatted):gsub("invalid conversion '%%[\128-\255].-' to 'format'",
        "a '%%' not followed by a conversion (write %%%% for a percent sign)")
      raise("lab.md: %s", formatted)
    end
    text = formatted
  end
  local s = current()
  s.blocks[#s.blocks + 1] = { kind = "md", text = text }
end

--- lab.sweep { ... } -> runs: trains every variation × seed (see
--- nnlab.notebook.sweep and docs/notebook.md), from the cache where it can.
function notebook.sweep(spec)
  local s = current()
  if s.describe then error(notebook.STOP_DESCRIBE, 0) end
  local overridden
  spec, overridden = apply_overrides(s, spec)
  check_unknown_sets(s, #s.sweeps == 0 and "is declared before the first lab.sweep"
                        or ("is declared before lab.sweep %d"):format(#s.sweeps + 1), false)
  s.sweep_started = true
  s.display = s.display or progress.new(s.display_mode, nil, s.watch)
  s.cache = s.cache or cache.open(s.cache_dir, { keep_damaged = s.command_line.cache_keep_damaged })
  local runs = sweep.run(spec, { cache = s.cache, force = s.force, parallel = s.parallel, display = s.display,
                                 index = #s.sweeps + 1, title = s.name,
                                 overridden = overridden, planning = s.planning, no_train = s.no_train })
  s.sweeps[#s.sweeps + 1] = runs
  return runs
end

-- The runs a lab.table or lab.chart call is about: a sweep's, or a Runs made
-- from a history (nnlab.fit's result or a list of per-epoch tables; runs.
-- from_history) for a one-off run, labelled by the `label` option.
local function runs_of(where, value, label)
  if getmetatable(value) == runs_lib.Runs then
    if label ~= nil then -- it would be silently ignored
      raise("%s: option 'label' names a history's line; a sweep's runs are named by their parameters", where)
    end
    return value, false
  end
  if type(value) == "table" and getmetatable(value) == nil and value[1] ~= nil then
    local r, why = runs_lib.from_history(value, label or words.text("history_label"))
    if not r then raise("%s: a history must be a list of per-epoch tables: %s", where, why) end
    return r, true
  end
  raise("%s: expected the result of lab.sweep, or a history (nnlab.fit's result: a list of per-epoch tables)", where)
end

-- A metric the report can show for these runs: a known one, with a value
-- after the last epoch of some seed (train_eval_acc only when the sweep
-- set eval_train), or any known one when every seed diverged: the block
-- then shows each variation as diverged. A history's (runs.from_history)
-- table and chart show every epoch: a value in any epoch will do. `where`
-- is "lab.table: metrics" or the like.
local function check_metric(where, metric, runs)
  runs_lib.metric_info(metric, where)
  runs_lib.check_fits_metric(runs, where, metric)
  if runs.from_history then
    if runs:measured(metric, true) then return end
    raise("%s: no epoch of this history has a value of %s", where, metric)
  end
  if runs:measured(metric) then return end
  raise("%s: no variation of these runs has a value of %s%s", where, metric, runs_lib.measured_when(metric))
end

-- A list of metrics (lab.table's metrics, lab.chart's y) names each one
-- once, gap as the kind it stands for (runs:gap_metric over the variations
-- `selected` picks): { "gap", "gap_running" } would show one column or
-- line twice.
local function check_listed_once(where, list, runs, selected)
  local seen = {}
  for _, m in ipairs(list) do
    local kind = m == "gap" and runs:gap_metric(selected) or m
    if seen[kind] then
      local gap = (m == "gap" or seen[kind] == "gap") and (" (gap is %s for these runs)"):format(kind) or ""
      raise("%s lists %s twice%s", where, kind, gap)
    end
    seen[kind] = m
  end
end

-- A grid table needs one variation per cell: each with a value of both keys,
-- no two with the same pair.
local function check_grid_cells(runs, row_key, col_key)
  local cells = {}
  for _, v in ipairs(runs.variations) do
    for _, k in ipairs { row_key, col_key } do
      if v.params[k] == nil then
        raise("lab.table: rows and columns need a value of %s and %s in every variation: '%s' has no %s",
              row_key, col_key, v.label, k)
      end
    end
    local cell = runs_lib.value_text(v.params[row_key]) .. "\0" .. runs_lib.value_text(v.params[col_key])
    if cells[cell] then
      raise("lab.table: rows and columns: '%s' and '%s' have the same %s and %s, and a cell holds one variation",
            cells[cell], v.label, row_key, col_key)
    end
    cells[cell] = v.label
  end
end

local TABLE_OPTIONS = { metrics = options.optional "table", compare = options.optional "string",
                        rows = options.optional "string", columns = options.optional "string",
                        metric = options.optional "string", top = options.optional "any",
                        label = options.optional "string" }

--- lab.table(runs [, { metrics = { "test_acc", "train_loss", "test_loss" },
--- compare = metrics[1] }]): a table with one row per variation (its label
--- when it has one, and its varied values): each metric after the last epoch
--- as mean ± std over seeds, and whether it differs from the best by more than noise.
--- Beyond `top` variations (default 20; false: all), only the best `top` by the
--- compared metric, best first, and a line saying where the rest are.
--- lab.table(runs, { rows = k1, columns = k2 [, metric = "test_acc", compare = metric] }):
--- for a sweep over two keys, a grid: one row per value of k1, one column per
--- value of k2, each cell the final metric; the best by compare (valid_acc:
--- picked on a validation split, test accuracy shown) in bold and the best
--- k1 per k2, the caption saying which metric picked them.
function notebook.table(runs, opts)
  local label = type(opts) == "table" and rawget(opts, "label") or nil
  local from_history
  runs, from_history = runs_of("lab.table", runs, label)
  if from_history then
    opts = options.check("lab.table", opts, { metrics = options.optional "table", label = options.optional "string" })
    if opts.metrics then options.list("lab.table: metrics", opts.metrics) end
    for _, m in ipairs(opts.metrics or {}) do check_metric("lab.table: metrics", m, runs) end
    check_listed_once("lab.table: metrics", opts.metrics or {}, runs)
    local s = current()
    s.blocks[#s.blocks + 1] = { kind = "table", runs = runs, options = opts, per_epoch = true }
    return
  end
  local top -- false (every row) is a value here, not "not given"
  if type(opts) == "table" then top = rawget(opts, "top") end
  opts = options.check("lab.table", opts, TABLE_OPTIONS)
  opts.top = type(top) == "number" and math.tointeger(top) or top -- 10 / 2 is 5, as for every whole-number option
  if opts.metrics then
    local n = options.list("lab.table: metrics", opts.metrics)
    if n == 0 then
      raise("lab.table: metrics must list at least one metric (default: test_acc, train_loss, test_loss)")
    end
    for _, m in ipairs(opts.metrics) do check_metric("lab.table: metrics", m, runs) end
    check_listed_once("lab.table: metrics", opts.metrics, runs)
  end
  if opts.compare then check_metric("lab.table: compare", opts.compare, runs) end
  if opts.top ~= nil and opts.top ~= false and not (math.type(opts.top) == "integer" and opts.top >= 1) then
    raise("lab.table: top must be a whole number of rows (1 or more), or false for every variation; got %s",
          tostring(opts.top))
  end
  local against = opts.compare and "compare" or opts.metrics and "metrics[1] (what compare defaults to)"
  local ranked = opts.compare or (opts.metrics and opts.metrics[1])
  if ranked and runs_lib.metrics[ranked].no_best then
    raise("lab.table: %s: %s is a setting, not a result, and no variation is the best by it; compare by another metric",
          against, ranked)
  end
  local grid = opts.rows ~= nil or opts.columns ~= nil
  if grid then
    for _, list_only in ipairs { "metrics", "top" } do
      if opts[list_only] ~= nil then
        raise("lab.table: %s goes with a list table; a grid (rows and columns) shows one metric = ...", list_only)
      end
    end
    local keys = table.concat(runs.keys, ", ")
    if #runs.keys ~= 2 or opts.rows == opts.columns then
      raise("lab.table: rows and columns need a sweep that varies exactly two parameters (this one varies: %s)",
            keys ~= "" and keys or "none")
    end
    for _, which in ipairs { "rows", "columns" } do
      local k = opts[which]
      if k ~= runs.keys[1] and k ~= runs.keys[2] then
        raise("lab.table: %s must be a varied parameter (%s), got '%s'%s", which, keys, tostring(k),
              options.suggest(k, runs.keys))
      end
    end
    check_grid_cells(runs, opts.rows, opts.columns)
    check_metric("lab.table: metric", opts.metric or runs:default_metric(), runs)
    if not opts.compare and runs_lib.metrics[opts.metric or runs:default_metric()].no_best then
      raise("lab.table: metric: %s is a setting, not a result, and a grid marks the best by its metric " ..
            "(or by compare = ...)", opts.metric)
    end
  elseif opts.metric ~= nil then
    raise("lab.table: metric goes with rows and columns (a grid); a list table takes metrics = { ... }")
  end
  local s = current()
  s.blocks[#s.blocks + 1] = { kind = "table", runs = runs, options = opts }
end

local CHART_OPTIONS = { y = options.optional "any", x = "epoch", title = options.optional "string",
                        where = options.optional "table", label = options.optional "string" }

-- lab.chart's y: a metric's name or a list of 1 to 4 names whose values
-- share an axis (one unit, or one quantity such as loss); each measured.
local function check_chart_y(y, runs, where)
  if y == nil then y = runs:default_metric() end
  if type(y) == "string" then check_metric("lab.chart: y", y, runs) return end
  if type(y) ~= "table" then raise("lab.chart: option 'y' must be a metric's name or a list of them, got %s", type(y)) end
  local n = options.list("lab.chart: y", y)
  for _, m in ipairs(y) do
    if type(m) ~= "string" then raise("lab.chart: y must be a metric's name or a list of metric names") end
  end
  if n < 1 or n > 4 then raise("lab.chart: y lists 1 to 4 metrics, got %d", n) end
  local first
  for _, m in ipairs(y) do
    check_metric("lab.chart: y", m, runs)
    local info = runs_lib.metrics[m]
    local axis = info.unit or info.quantity or m
    if not first then first = { metric = m, axis = axis, unit = info.unit }
    elseif axis ~= first.axis then
      raise("lab.chart: y: the metrics' units differ (%s: %s, %s: %s), and one chart has one y axis; draw them on two charts",
            first.metric, first.unit or first.axis, m, info.unit or info.quantity or "no unit")
    end
  end
  check_listed_once("lab.chart: y", y, runs, where)
end

--- lab.chart(runs [, { y = "test_acc", x = "epoch", title = "..." }]): a chart.
--- y = { "train_acc", "test_acc" }: several metrics of one unit, a line per variation × metric.
--- x = "epoch": y per epoch, a line and a mean ± std band per variation.
--- x = a varied parameter: y after the last epoch against its values, with error bars.
--- where = { key = value }: only the variations with those values.
function notebook.chart(runs, opts)
  local label = type(opts) == "table" and rawget(opts, "label") or nil
  runs = runs_of("lab.chart", runs, label)
  local given = opts
  opts = options.check("lab.chart", opts, CHART_OPTIONS)
  options.not_blank("lab.chart", "title", opts.title, "leave it out for the default title")
  check_chart_y(opts.y, runs, opts.where)
  local x = opts.x
  local varied = x == "epoch"
  for _, k in ipairs(runs.keys) do varied = varied or k == x end
  if not varied then
    raise("lab.chart: x must be \"epoch\" or a varied parameter (%s), got '%s'%s", table.concat(runs.keys, ", "),
          tostring(x), options.suggest(x, runs.keys))
  end
  if opts.where ~= nil then runs_lib.checked_selection(runs, "lab.chart", "where", opts.where) end
  local s = current()
  s.blocks[#s.blocks + 1] = { kind = "chart", runs = runs, options = given or {} }
end

--- lab.confusion(runs [, { where = {...}, normalize = false, title }]): the
--- confusion matrix of one variation (where's, or the best by test accuracy)
--- summed over seeds, with per-class accuracy of every variation (where's)
--- and the most-confused pairs. lab.samples(dataset [, { per_class = 8 }]):
--- a grid of images per class. lab.mistakes(runs [, { n = 24, where }]): the
--- most confident wrong test images. lab.weights(runs [, { layer = 1, n = 64,
--- where }]): a Linear layer's weight vectors as image tiles.
--- (nnlab.notebook.pictures; image pictures refuse tabular data.)
--- lab.confusion and lab.weights return their numbers (pictures.lua's
--- confusion_summary, weights_numbers), for sentences of the experiment's own.
for _, kind in ipairs { "confusion", "samples", "mistakes", "weights" } do
  notebook[kind] = function(target, opts)
    local s = current()
    local block, summary = pictures.block(kind, target, opts)
    s.blocks[#s.blocks + 1] = block
    return summary
  end
end

-- What the report is written from: the run's record, not the notebook's state.
local function report_record(s)
  return { title = s.title, name = s.name, script = s.script, params = s.params, sweeps = s.sweeps,
           blocks = s.blocks, out_dir = s.out_dir, parallel = s.parallel,
           language = s.language or words.default(s.title or s.name), argv = s.argv, sources = s.sources,
           html = s.html, watch = s.watch, trained_by_hand = s.trained_by_hand }
end

--- notebook.STOP_DESCRIBE: the error value that stops a file run by
--- `nnlab run FILE --help` (notebook.begin{ describe = true }) at its first
--- lab.sweep, data load or training step: its lab.param calls so far are
--- what the help lists (nnlab.cli).
notebook.STOP_DESCRIBE = setmetatable({}, { __tostring = function() return "nnlab: stopped after the parameters" end })

--- notebook.STOP_PLAN: the error value that stops a file being planned
--- (notebook.begin{ planning = ... }) at a training step outside lab.sweep
--- (nnlab.fit, an optimizer step): the runs planned so far are the plan.
notebook.STOP_PLAN = setmetatable({}, { __tostring = function()
  return "the file trains outside lab.sweep here (nnlab.fit or an optimizer step), which planning does not run"
end })

--- notebook.described() -> the lab.param declarations of the run begun with
--- describe = true (name, default, value, from_set, description), in order,
--- and ends that run: no report, no --set checks.
function notebook.described()
  local s = state
  state = nil
  return s and s.params or {}
end

--- notebook.loaded_files() -> { path, ... }: the experiment file and every
--- file the last run begun lab.require'd or tried to (one that failed to
--- load too), finished or not, in load order: what `nnlab watch` watches,
--- with nnlab.data's files.
function notebook.loaded_files()
  return last_loaded
end

--- notebook.loaded_mtimes() -> { [path] = modification time before it
--- loaded, or false when it did not exist } of notebook.loaded_files().
function notebook.loaded_mtimes()
  return last_mtimes
end

--- notebook.finish() ends the run begun by notebook.begin, once the file has
--- run without error: checks the --set keys, writes the report (when the
--- file made one) and prints what was trained and what came from the cache
--- (under watch: prints nothing). Returns { runs, trained, cached, seconds,
--- path (the report's .md, or nil when the file made none) }. Errors here
--- fail the run (and leave the old report).
function notebook.finish()
  local s = state
  if not s then return nil end
  state, finishing = nil, s
  check_unknown_sets(s, "is declared in " .. s.script, true)
  if not s.used or s.planning then return nil end
  local totals = { runs = 0, trained = 0, cached = 0 }
  for _, r in ipairs(s.sweeps) do
    for k in pairs(totals) do totals[k] = totals[k] + r.counts[k] end
  end
  local path
  if #s.blocks > 0 or #s.sweeps > 0 or s.title then
    totals.seconds = proc.clock() - s.started
    -- one report at a time: two runs of this file never mix their files
    local lock = ("%s/.%s.lock"):format(s.out_dir, s.name)
    local problems
    path, problems = files.with_lock(lock, report.write, report_record(s), totals)
    for _, problem in ipairs(problems) do io.stderr:write("nnlab: ", progress.shown(problem), "\n") end
    if not s.quiet and not s.watch then
      local page = s.html and (" and " .. progress.shown((path:gsub("%.md$", ".html")))) or ""
      io.stdout:write(("nnlab: wrote %s%s\n"):format(progress.shown(path), page))
    end
  end
  totals.seconds, totals.path = proc.clock() - s.started, path
  if not s.watch then
    io.stdout:write(("nnlab: %s: %d runs, %d trained, %d from cache, %.1f s\n"):format(
      progress.shown(s.name), totals.runs, totals.trained, totals.cached, totals.seconds))
  end
  return totals
end

return notebook
