-- nnlab.data: datasets by name or folder, and torch-like DataLoaders.
-- Where a dataset is looked for, and downloading, is nnlab.datasets' policy;
-- this module turns the folder it finds into engine datasets and remembers,
-- for reports, where each came from and why.
local core = require "nnlab.core"
local datasets = require "nnlab.datasets"

local data = {}

-- dataset userdata -> where it came from (see data.source)
local provenance = setmetatable({}, { __mode = "k" })

local check_options = require("nnlab.options").check

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
  if type(name) ~= "string" then error("data.load: expected a dataset name or folder", 2) end
  opts = check_options("data.load", opts, { train = true, subset = true, download = true, fallback = true }, 2)
  local ds, info, dir = open(name, opts)
  local used, reason = name, nil
  if not ds and opts.fallback then
    reason = info
    ds, info, dir = open(opts.fallback, opts)
    used = opts.fallback
  end
  if not ds then
    if reason then
      error(("data.load: neither '%s' nor the fallback '%s' could be loaded.\n%s\n%s"):format(
        name, opts.fallback, reason, info), 2)
    end
    error("data.load: " .. info, 2)
  end
  if opts.subset then
    if math.type(opts.subset) ~= "integer" or opts.subset < 1 then
      error("data.load: subset must be a positive integer", 2)
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
  if getmetatable(ds) ~= Dataset then error("data.DataLoader: expected a dataset", 2) end
  opts = check_options("data.DataLoader", opts,
    { batch_size = true, shuffle = true, drop_last = true, seed = true, normalize = true }, 2)
  local batch_size = opts.batch_size or 1
  if math.type(batch_size) ~= "integer" or batch_size < 1 then
    error(("data.DataLoader: batch_size must be a positive integer, got %s"):format(tostring(batch_size)), 2)
  end
  local seed = opts.seed or 0
  if math.type(seed) ~= "integer" then error("data.DataLoader: seed must be an integer", 2) end
  local mean, std
  if opts.normalize then
    mean, std = opts.normalize.mean, opts.normalize.std
    if type(mean) ~= "number" or type(std) ~= "number" or not (std > 0) then
      error("data.DataLoader: normalize needs numbers { mean = m, std = s } with s > 0", 2)
    end
  end
  local loader, err = core.loader_new(ds, batch_size, opts.shuffle and true or false,
                                      opts.drop_last and true or false, seed, mean, std)
  if not loader then error("data.DataLoader: " .. err, 2) end
  return loader
end

return data
