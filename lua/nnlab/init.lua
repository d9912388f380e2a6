-- nnlab: the Lua API. `local nnlab = require "nnlab"` gives the PyTorch-like
-- names (nnlab.nn, nnlab.optim, nnlab.data) plus fit/evaluate, tensors, seeds
-- and save/load. The C engine sits behind nnlab.core; everything here is policy.
local core = require "nnlab.core"
local errors = require "nnlab.errors"

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
--- The dense-kernel path in use: "avx2" or "scalar" (NNLAB_SIMD=scalar forces it).
function nnlab.simd() return core.simd() end

--- Seeds every model created afterwards without an explicit seed (like
--- torch.manual_seed). Each new model takes the next seed in turn.
nnlab.manual_seed = nnlab.nn.manual_seed

--- nnlab.tensor(rows) / nnlab.tensor(values, { rows = R, cols = C }):
--- a float tensor from a table of rows or a flat array.
--- nnlab.labels({ 3, 1, 4 }): an int32 class-label tensor.
function nnlab.tensor(values, shape)
  if type(values) ~= "table" then errors.raise("nnlab.tensor: expected a table of numbers") end
  local flat, rows, cols = {}, nil, nil
  if type(values[1]) == "table" then
    rows, cols = #values, #values[1]
    for r, row in ipairs(values) do
      if #row ~= cols then errors.raise("nnlab.tensor: row %d has %d values, row 1 has %d", r, #row, cols) end
      for c = 1, cols do flat[#flat + 1] = row[c] end
    end
  else
    flat = values
    rows = shape and shape.rows or 1
    cols = shape and shape.cols or #values
  end
  local ok, t = pcall(core.tensor, flat, rows, cols, false)
  if not ok then errors.raise("nnlab.tensor: %s", tostring(t)) end
  return t
end

function nnlab.labels(values)
  if type(values) ~= "table" then errors.raise("nnlab.labels: expected an array of class indices") end
  local ok, t = pcall(core.tensor, values, #values, 1, true)
  if not ok then errors.raise("nnlab.labels: %s", tostring(t)) end
  return t
end

-- The notebook (lua/nnlab/notebook/, docs/notebook.md): experiment files
-- that write reports. lab.title, lab.language, lab.md, lab.param, lab.sweep, lab.table,
-- lab.chart, lab.require, lab.run_options; runs:best, runs:summary, runs:compare,
-- runs:verdict; nnlab.stats. Loaded on first use, so a program that only
-- trains (stock Lua, `require "nnlab"`) loads none of it.
local NOTEBOOK = { title = true, md = true, param = true, sweep = true, table = true, chart = true,
                   require = true, run_options = true, language = true }
setmetatable(nnlab, { __index = function(t, name)
  if NOTEBOOK[name] then
    local value = require("nnlab.notebook")[name]
    rawset(t, name, value)
    return value
  elseif name == "stats" then
    local value = require "nnlab.notebook.stats"
    rawset(t, name, value)
    return value
  end
end })

--- nnlab.save(model, path) writes a model file; nnlab.load(path) reads one back.
function nnlab.save(model, path)
  local ok, err = model:save(path)
  if not ok then errors.raise("%s", err) end
  return true
end

function nnlab.load(path)
  local model, err = core.net_load(path)
  if not model then errors.raise("%s", err) end
  return model
end

return nnlab
