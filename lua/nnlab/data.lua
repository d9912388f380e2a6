-- nnlab.data: datasets by name or folder, and torch-like DataLoaders.
-- Where a dataset is looked for, and downloading, is nnlab.datasets' policy;
-- this module turns the folder it finds into engine datasets and remembers,
-- for reports, where each came from and why.
local core = require "nnlab.core"
local datasets = require "nnlab.datasets"
local errors = require "nnlab.errors"
local options = require "nnlab.options"

local data = {}

-- dataset userdata -> where it came from (see data.source)
local provenance = setmetatable({}, { __mode = "k" })

local function open(name, opts)
  local dir, info = datasets.locate(name, { download = opts.download })
  if not dir then return nil, info end
  local ds, err = core.dataset_load(dir, opts.train ~= false)
  if not ds then return nil, err end
  return ds, info, dir
end

--- data.load(name_or_folder, { train = true, subset = N, download = true,
---                             fallback = "fashion-mnist" }) -> dataset
--- name: "kmnist", "mnist", "fashion-mnist" or a folder with the four IDX files.
function data.load(name, opts)
  if type(name) ~= "string" then errors.raise("data.load: expected a dataset name or folder") end
  opts = options.check("data.load", opts, { train = true, subset = options.optional "integer", download = true,
                                            fallback = options.optional "string" })
  local ds, info, dir = open(name, opts)
  local used, reason = name, nil
  if not ds and opts.fallback then
    reason = info
    ds, info, dir = open(opts.fallback, opts)
    used = opts.fallback
  end
  if not ds then
    if reason then
      errors.raise("data.load: neither '%s' nor the fallback '%s' could be loaded.\n%s\n%s",
                   name, opts.fallback, reason, info)
    end
    errors.raise("data.load: %s", info)
  end
  if opts.subset then
    if opts.subset < 1 then
      errors.raise("data.load: subset must be a positive integer")
    end
    if opts.subset < #ds then ds = ds:subset(opts.subset) end
  end
  local short_reason
  if reason then
    local download = reason:match("\nDownload: ([^\n]*)")
    short_reason = ("%s is not available%s"):format(name, download and (" (download " .. download .. ")") or "")
  end
  provenance[ds] = {
    name = used, requested = name, dir = dir, train = opts.train ~= false,
    source = info.source, reason = info.reason,
    fallback_reason = short_reason, fallback_message = reason,
    title = info.known and info.known.title or used,
    classes = datasets.class_names(used),
  }
  return ds
end

--- data.source(dataset) -> where it came from: { name, title, requested, dir,
--- source ("path" | "NNLAB_DATA" | "data" | "system" | "download"), reason (one
--- line), fallback_reason (one line, when the requested dataset was not
--- available), fallback_message (the full search report), classes, train };
--- nil for datasets not made by data.load.
function data.source(ds)
  return provenance[ds]
end

-- Subsets and splits keep their parent's provenance.
local Dataset = core.metatable("nnlab.Dataset")
local c_subset, c_split = Dataset.__index.subset, Dataset.__index.split
function Dataset.__index.subset(ds, n)
  local sub = c_subset(ds, n)
  provenance[sub] = provenance[ds]
  return sub
end
function Dataset.__index.split(ds, n_valid, seed)
  local train, valid = c_split(ds, n_valid, seed)
  provenance[train], provenance[valid] = provenance[ds], provenance[ds]
  return train, valid
end
Dataset.__tostring = function(ds)
  local i, src = ds:info(), provenance[ds]
  return ("Dataset(%s, %d samples, %dx%d)"):format(src and src.name or "?", i.count, i.rows, i.cols)
end

--- data.DataLoader(dataset, { batch_size = 1, shuffle = false, drop_last = false,
---                            seed = 0, normalize = { mean = m, std = s } })
--- Each loader:batches() is one epoch; with shuffle, epoch k's order depends only
--- on (seed, k).
function data.DataLoader(ds, opts)
  if getmetatable(ds) ~= Dataset then errors.raise("data.DataLoader: expected a dataset") end
  opts = options.check("data.DataLoader", opts, { batch_size = 1, shuffle = false, drop_last = false, seed = 0,
                                                  normalize = options.optional "table" })
  local batch_size = opts.batch_size
  if batch_size < 1 then
    errors.raise("data.DataLoader: batch_size must be a positive integer, got %s", tostring(batch_size))
  elseif batch_size > core.max_batch_size then
    errors.raise("data.DataLoader: batch_size must be at most %d, got %s", core.max_batch_size, tostring(batch_size))
  end
  local mean, std
  if opts.normalize then
    options.check("data.DataLoader: normalize", opts.normalize, { mean = 0.0, std = 1.0 })
    mean, std = opts.normalize.mean, opts.normalize.std
    if type(mean) ~= "number" or type(std) ~= "number" or not (std > 0) then
      errors.raise("data.DataLoader: normalize needs numbers { mean = m, std = s } with s > 0")
    end
  end
  local loader, err = core.loader_new(ds, opts.batch_size, opts.shuffle, opts.drop_last, opts.seed, mean, std)
  if not loader then errors.raise("data.DataLoader: %s", err) end
  return loader
end

return data
