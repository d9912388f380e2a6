-- nnlab: the Lua API. `local nnlab = require "nnlab"` gives the PyTorch-like
-- names (nnlab.nn, nnlab.optim, nnlab.data) plus fit/evaluate, tensors, seeds
-- and save/load. The C engine sits behind nnlab.core; everything here is policy.
local core = require "nnlab.core"
local errors = require "nnlab.errors"
local options = require "nnlab.options"

local nnlab = {
  core = core,
  nn = require "nnlab.nn",
  optim = require "nnlab.optim",
  data = require "nnlab.data",
}

local train = require "nnlab.train"
nnlab.fit = train.fit
nnlab.evaluate = train.evaluate

--- The engine's version string, e.g. "0.1.0".
nnlab.version = core.engine_version()
--- The dense-kernel path in use: "avx512", "avx2" or "scalar" (NNLAB_SIMD=scalar|avx2|avx512
--- forces one; a value naming no path, or one this CPU lacks, raises).
function nnlab.simd() return core.simd() end

local threads = require "nnlab.threads"
do -- NNLAB_THREADS, else every core (nnlab.threads); the command line has set it already
  local ok, err = threads.configure()
  if not ok then errors.raise("%s", err) end
end

--- nnlab.set_num_threads(n): threads inside one run (1 to 256), as
--- torch.set_num_threads. Results are the same bits for any n; sweep workers
--- started afterwards keep it instead of taking cores / -j.
function nnlab.set_num_threads(n)
  local count, err = threads.parse(n, "nnlab.set_num_threads")
  if not count then errors.raise("%s", err) end
  threads.set(count, "nnlab.set_num_threads")
end

--- nnlab.get_num_threads() -> the threads one run uses now.
function nnlab.get_num_threads() return threads.get() end

--- Seeds every model created afterwards without an explicit seed (like
--- torch.manual_seed). Each new model takes the next seed in turn.
nnlab.manual_seed = nnlab.nn.manual_seed

--- nnlab.tensor(rows) / nnlab.tensor(values [, { rows = R, cols = C }]):
--- a float tensor from a table of rows (2-D) or a flat array: 1-D (n,) as
--- torch.tensor gives for a flat list, or 2-D when the shape is given (R or
--- C left out is the count of values over the other, as PyTorch's -1).
--- nnlab.labels({ 3, 1, 4 }): a 1-D integer (int32) class-label tensor, (3,).
function nnlab.tensor(values, shape, ...)
  options.no_more("nnlab.tensor(values [, shape])", ...)
  if type(values) ~= "table" then
    errors.raise("nnlab.tensor: expected a table of numbers or of rows, got %s", errors.value(values))
  end
  if #values == 0 then errors.raise("nnlab.tensor: no values (nnlab has no empty tensors)") end
  local flat, rows, cols = {}, nil, nil
  local nested = type(values[1]) == "table"
  if nested then
    if shape ~= nil then
      errors.raise("nnlab.tensor: a shape goes with a flat list of values; a table of rows gives its own")
    end
    rows, cols = #values, #values[1]
    if cols == 0 then errors.raise("nnlab.tensor: row 1 is empty (nnlab has no empty tensors)") end
    for r = 1, rows do
      local row = values[r]
      if type(row) ~= "table" then
        errors.raise("nnlab.tensor: row %d is %s, not a table of numbers (row 1 is a table: every row must be)", r,
                     errors.value(row))
      end
      if #row ~= cols then errors.raise("nnlab.tensor: row %d has %d values, row 1 has %d", r, #row, cols) end
      table.move(row, 1, cols, #flat + 1, flat)
    end
  else
    flat = values
    local n = #values
    rows, cols = n, 1
    if shape ~= nil then
      local s = options.check("nnlab.tensor", shape, { rows = options.optional "integer", cols = options.optional "integer" })
      for _, k in ipairs { "rows", "cols" } do
        if s[k] ~= nil and s[k] < 1 then errors.raise("nnlab.tensor: %s must be at least 1, got %d", k, s[k]) end
      end
      rows = s.rows or (s.cols and n // s.cols) or n
      cols = s.cols or n // rows
      if rows * cols ~= n then
        local wanted = s.rows and s.cols and ("a %d x %d tensor (%d values)"):format(rows, cols, rows * cols)
                       or s.cols and ("rows of %d"):format(s.cols) or ("%d rows of one length"):format(s.rows)
        errors.raise("nnlab.tensor: %d values do not make %s", n, wanted)
      end
    end
  end
  local ok, t = pcall(core.tensor, flat, rows, cols, false, (shape or nested) and 2 or 1)
  if not ok then
    local k = math.tointeger(tostring(t):match("^value (%d+) is not a number$"))
    if k and nested then
      local r, c = (k - 1) // cols + 1, (k - 1) % cols + 1
      errors.raise("nnlab.tensor: row %d, column %d is %s, not a number", r, c, errors.value(values[r][c]))
    elseif k then
      errors.raise("nnlab.tensor: value %d is %s, not a number", k, errors.value(flat[k]))
    end
    errors.raise("nnlab.tensor: %s", tostring(t))
  end
  return t
end

function nnlab.labels(values, ...)
  options.no_more("nnlab.labels(values)", ...)
  if type(values) ~= "table" then errors.raise("nnlab.labels: expected an array of class indices") end
  if #values == 0 then errors.raise("nnlab.labels: no values (nnlab has no empty tensors)") end
  local ok, t = pcall(core.tensor, values, #values, 1, true)
  if not ok then errors.raise("nnlab.labels: %s", tostring(t)) end
  return t
end

--- nnlab.cat(tensors [, dim = 0]) and nnlab.stack(tensors [, dim = 0]): new
--- tensors, as torch.cat and torch.stack (dims count from 0, as PyTorch's).
nnlab.cat = core.cat
nnlab.stack = core.stack

-- Tensor looks: torch.Size and PyTorch's print layout. The bridge gives the
-- data (t:size(), t:get); the words are here.
local Size = core.metatable("nnlab.Size")

--- tostring(t:size()) -> "torch.Size([32, 10])", as PyTorch prints a shape.
function Size.__tostring(s)
  local parts = {}
  for i = 1, #s do parts[i] = tostring(s[i]) end
  return "torch.Size([" .. table.concat(parts, ", ") .. "])"
end

--- t:size() == u:size(), or == { 32, 10 } (PyTorch's shape == (32, 10)).
function Size.__eq(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

Size.__index = {
  --- s:numel(): the product of the lengths (torch.Size.numel).
  numel = function(s)
    local n = 1
    for i = 1, #s do n = n * s[i] end
    return n
  end,
}

-- torch.set_printoptions' defaults (PyTorch 2.x, torch/_tensor_str.py).
local PRINT = { precision = 4, threshold = 1000, edgeitems = 3, linewidth = 80 }

local function special(v)
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
end

-- torch's _Formatter over `values` (the summarised data when summarising):
-- integer tensors take their widest value; float tensors print as integers
-- with a dot ("1.") when every non-zero finite value is whole, in scientific
-- notation when max/min of the non-zero finite |values| > 1000 or max > 1e8
-- (or, when not all whole, min < 1e-4), else fixed with 4 decimals. The width
-- is the widest formatted non-zero finite value (whole ones: + 1 for the dot).
local function formatter(values, integers)
  local f = { integers = integers, int_mode = true, sci = false, width = 1 }
  if integers then
    for _, v in ipairs(values) do f.width = math.max(f.width, #tostring(v)) end
    return f
  end
  local finite, lo, hi = {}, math.huge, 0
  for _, v in ipairs(values) do
    if v ~= 0 and not special(v) then
      finite[#finite + 1] = v
      lo, hi = math.min(lo, math.abs(v)), math.max(hi, math.abs(v))
    end
  end
  if #finite == 0 then return f end
  for _, v in ipairs(finite) do
    if v ~= math.ceil(v) then f.int_mode = false break end
  end
  local form, extra
  if hi / lo > 1000 or hi > 1e8 or (not f.int_mode and lo < 1e-4) then
    f.sci, form, extra = true, "%." .. PRINT.precision .. "e", 0
  elseif f.int_mode then
    form, extra = "%.0f", 1
  else
    form, extra = "%." .. PRINT.precision .. "f", 0
  end
  for _, v in ipairs(finite) do f.width = math.max(f.width, #form:format(v) + extra) end
  return f
end

local function format_value(f, v)
  local s
  if f.integers then
    s = tostring(v)
  elseif f.sci then
    s = special(v) or ("%." .. PRINT.precision .. "e"):format(v)
  elseif f.int_mode then
    s = special(v) or (("%.0f"):format(v) .. ".")
  else
    s = special(v) or ("%." .. PRINT.precision .. "f"):format(v)
  end
  return (" "):rep(f.width - #s) .. s
end

-- The positions printed along a dimension of n: all, or the first and last
-- edgeitems with false (the "...") between when summarising.
local function positions(n, summarize)
  local list = {}
  if summarize and n > 2 * PRINT.edgeitems then
    for i = 1, PRINT.edgeitems do list[#list + 1] = i end
    list[#list + 1] = false
    for i = n - PRINT.edgeitems + 1, n do list[#list + 1] = i end
  else
    for i = 1, n do list[i] = i end
  end
  return list
end

-- torch's _vector_str: elements joined by ", ", as many per line as fit
-- linewidth - indent at width + 2 each, lines continued at indent + 1.
local function vector_str(get, n, indent, summarize, f)
  local per_line = math.max(1, (PRINT.linewidth - indent) // (f.width + 2))
  local data = {}
  for _, i in ipairs(positions(n, summarize)) do
    data[#data + 1] = i and format_value(f, get(i)) or " ..."
  end
  local lines = {}
  for i = 1, #data, per_line do
    lines[#lines + 1] = table.concat(data, ", ", i, math.min(i + per_line - 1, #data))
  end
  return "[" .. table.concat(lines, ",\n" .. (" "):rep(indent + 1)) .. "]"
end

--- tostring(loss) / print(loss): a 0-d tensor as PyTorch prints one,
--- tensor(2.1192) (without its grad_fn).
local Loss = core.metatable("nnlab.Loss")
function Loss.__tostring(loss)
  local v = loss:item()
  local text = format_value(formatter({ v }, false), v)
  return "tensor(" .. text:gsub("^ +", "") .. ")"
end

--- tostring(t) / print(t): PyTorch's layout, as torch/_tensor_str.py (2.x)
--- prints with the default print options: see docs/lua-api.md, "Printing".
local Tensor = core.metatable("nnlab.Tensor")
function Tensor.__tostring(t)
  local state = core.tensor_state(t)
  if state ~= "fresh" then
    errors.raise(state == "stale" and "cannot print a stale tensor: its owner (a model's output or "
                 .. "a loader's batch) has been overwritten since" or "cannot print a closed tensor")
  end
  local get, integers, ndim = t.get, t:is_labels(), t:dim()
  local rows, cols = t:size(0), ndim == 2 and t:size(1) or 1
  local summarize = rows * cols > PRINT.threshold
  local rlist, clist = positions(rows, summarize), positions(cols, summarize)
  local values = {}
  for _, r in ipairs(rlist) do
    if r then for _, c in ipairs(clist) do if c then values[#values + 1] = get(t, r, c) end end end
  end
  local f = formatter(values, integers)
  local indent = #"tensor("
  local body
  if ndim == 1 then
    body = vector_str(function(i) return get(t, i) end, rows, indent, summarize, f)
  else
    local slices = {}
    for _, r in ipairs(rlist) do
      slices[#slices + 1] = r and vector_str(function(c) return get(t, r, c) end, cols, indent + 1,
                                             summarize, f) or "..."
    end
    body = "[" .. table.concat(slices, ",\n" .. (" "):rep(indent + 1)) .. "]"
  end
  return "tensor(" .. body .. ")"
end

-- The notebook (lua/nnlab/notebook/, docs/notebook.md): experiment files
-- that write reports. lab.title, lab.language, lab.md, lab.param, lab.sweep, lab.table,
-- lab.chart, lab.confusion, lab.samples, lab.mistakes, lab.weights, lab.require,
-- lab.run_options; runs:best, runs:summary, runs:compare,
-- runs:verdict; nnlab.stats. Loaded on first use, so a program that only
-- trains (stock Lua, `require "nnlab"`) loads none of it.
local NOTEBOOK = { title = true, md = true, param = true, sweep = true, table = true, chart = true,
                   require = true, run_options = true, language = true,
                   confusion = true, samples = true, mistakes = true, weights = true }
setmetatable(nnlab, { __index = function(t, name)
  if NOTEBOOK[name] then -- all of them at once: the table then stays as it is (cache keys note it)
    local notebook = require "nnlab.notebook"
    for each in pairs(NOTEBOOK) do rawset(t, each, notebook[each]) end
    return notebook[name]
  elseif name == "stats" then
    local value = require("nnlab.notebook.stats").public()
    rawset(t, name, value)
    return value
  end
end })

--- nnlab.save(model, path [, { deflate = true }]) writes a model file
--- (deflated: about 16 % smaller for trained weights); nnlab.load(path)
--- reads either back.
function nnlab.save(model, path, opts, ...)
  options.no_more("nnlab.save(model, path [, options])", ...)
  train.need("nnlab.save", "argument 1", model, "nnlab.Net")
  if type(path) ~= "string" then
    errors.raise("nnlab.save: argument 2 must be the file's path (a string), got %s", errors.value(path))
  end
  local ok, err = model:save(path, options.check("nnlab.save", opts, { deflate = false }))
  if not ok then errors.raise("%s", err) end
  return true
end

function nnlab.load(path, ...)
  -- (torch.load(path, map_location = ...) has nothing to map here)
  options.no_more("nnlab.load(path)", ...)
  if type(path) ~= "string" then
    errors.raise("nnlab.load: expected the path of a model file (a string), got %s", errors.value(path))
  end
  nnlab.data.check_model_read(path)
  local model, err = core.net_load(path)
  if not model then errors.raise("%s", err) end
  return model
end

return nnlab
