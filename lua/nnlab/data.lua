-- nnlab.data: datasets (by name or folder, from IDX, NumPy and CSV files, from
-- Lua tables, tensors and generators), views of them (head, random subset,
-- split), transforms, and torch-like DataLoaders. Where a known dataset is
-- looked for, and downloading, is nnlab.datasets' policy; this module turns
-- files and values into engine datasets (validated and stored once in C) and
-- remembers, for reports, where each came from.
local core = require "nnlab.core"
local datasets = require "nnlab.datasets"
local errors = require "nnlab.errors"
local files = require "nnlab.files"
local options = require "nnlab.options"

local data = {}

-- dataset userdata -> where it came from (see data.source)
local provenance = setmetatable({}, { __mode = "k" })

-- every data file this process read or tried to, in order, once each
-- (data.files_read), and its modification time then (data.read_mtimes)
local files_read, file_seen, read_mtimes = {}, {}, {}
-- the messages a read raises meanwhile (data.refuse_reads), or nil
local reads_refused
local function note_files(list)
  if reads_refused then errors.raise(reads_refused.data, errors.path(list[1])) end
  for _, path in ipairs(list) do
    if not file_seen[path] then
      file_seen[path] = true
      files_read[#files_read + 1] = path
      read_mtimes[path] = files.mtime(path) or false
    end
  end
end

--- data.refuse_reads({ data = message, model = message, code = message }) -> the previous
--- messages: from now on, each data.load, csv, npy, npz and idx raises
--- data:format(its first path) at the user's line, and nnlab.load (through
--- data.check_model_read) model:format(its path); data.refuse_reads(nil)
--- allows them again. (A sweep's run function runs so: its key holds its
--- code and what it closes over, not files it would read.)
function data.refuse_reads(messages)
  local before = reads_refused
  reads_refused = messages
  return before
end

--- data.check_model_read(path): raises the refusal of data.refuse_reads
--- for a model file at the user's line, while reads are refused.
function data.check_model_read(path)
  if reads_refused then errors.raise(reads_refused.model, errors.path(path)) end
end

--- data.check_code_read(what): likewise for Lua code loaded from a file
--- (lab.require, require, dofile, loadfile), `what` naming it ("the module
--- 'helper'"), with the refusal's `code` message.
function data.check_code_read(what)
  if reads_refused then errors.raise(reads_refused.code, what) end
end

--- data.files_read() -> { path, ... }: every data file this process has read
--- or tried to (data.load, csv, npy, npz, idx), in order, once each: what
--- `nnlab watch` watches besides the experiment's Lua files.
function data.files_read()
  return files_read
end

--- data.read_mtimes() -> { [path] = modification time when first read, or
--- false when it did not exist }: for `nnlab watch`, which tells a file
--- saved while the render ran from the one it read.
function data.read_mtimes()
  return read_mtimes
end

-- SHA-256 of a file (coreutils' sha256sum), or nil: recorded for data whose
-- publisher gives no checksum.
local function sha256(path)
  local pipe = io.popen("sha256sum -- " .. require("nnlab.files").shell_quote(path) .. " 2>/dev/null")
  if not pipe then return nil end
  local out = pipe:read("a")
  pipe:close()
  return out:match("^(%x+)")
end

-- A dataset by name or folder: ds, info, dir; or nil, why, nil, absent
-- (true when it is not there at all, as opposed to there but unreadable).
local function open(name, opts)
  local dir, info = datasets.locate(name, { download = opts.download })
  if not dir then return nil, info, nil, true end
  local entry = info.known
  local names = datasets.file_names(entry)
  local first = opts.train ~= false and 1 or 3
  local images, labels = info.files[names[first]], info.files[names[first + 1]]
  note_files { images, labels }
  local ds, err
  if entry and entry.format == "npz" then
    ds, err = core.dataset_numpy(images, "arr_0", labels, "arr_0", false, #entry.classes)
  else
    ds, err = core.dataset_load_files(images, labels, entry and #entry.classes or opts.classes or 0,
                                      entry and entry.transposed)
  end
  if not ds then return nil, err end
  local expected = entry and entry.shape
  if expected then -- no published checksums: at least the published shapes
    local i, want = ds:info(), expected[opts.train ~= false and "train" or "test"]
    if i.count ~= want or i.rows ~= expected.rows or i.cols ~= expected.cols then
      return nil, ("%s: %d samples of %dx%d, but %s has %d of %dx%d"):format(images, i.count, i.rows, i.cols,
                                                                           entry.title, want, expected.rows, expected.cols)
    end
    info.sha256 = { [images] = sha256(images), [labels] = sha256(labels) }
  end
  return ds, info, dir
end

--- data.load(name_or_folder, { train = true, subset = N, seed = 0, head = N,
---                             classes = K, download = true, fallback = "fashion-mnist" })
--- name: a known dataset (kmnist, mnist, fashion-mnist, k49, emnist-letters,
--- emnist-balanced, emnist-digits) or a folder with the four MNIST IDX files.
--- subset = N: N samples at random (seeded by `seed`); head = N: the first N.
function data.load(name, opts)
  if type(name) ~= "string" or name == "" then
    errors.raise("data.load: expected a dataset name or folder, got %s", errors.value(name))
  end
  if reads_refused then errors.raise(reads_refused.data, errors.value(name)) end -- before any download
  local seed_given = type(opts) == "table" and rawget(opts, "seed") ~= nil
  opts = options.check("data.load", opts, { train = true, subset = options.optional "integer", download = true,
                                            fallback = options.optional "string", head = options.optional "integer",
                                            seed = 0, classes = options.optional "integer" })
  if seed_given and not opts.subset then -- head takes the first N: a seed there changed nothing, without a word
    errors.raise("data.load: seed picks subset's random samples; without subset it does nothing (head takes the "
                 .. "first N): give subset = N, or leave seed out")
  end
  if opts.classes and (opts.classes < 1 or opts.classes > 256) then
    errors.raise("data.load: classes must be from 1 to 256 for IDX files, got %d", opts.classes)
  end
  local ds, info, dir, absent = open(name, opts)
  local used, reason = name, nil
  -- the fallback stands in for a dataset that is not there; one that is there
  -- but damaged is an error (else the training and test sets could come from two)
  if not ds and opts.fallback and absent then
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
  if opts.classes and info.known then
    errors.raise("data.load: classes is for a folder of IDX files; %s has its own %d", used, #info.known.classes)
  end
  for _, key in ipairs { "subset", "head" } do
    if opts[key] and opts[key] < 1 then errors.raise("data.load: %s must be a positive integer", key) end
  end
  if opts.head and opts.head < #ds then ds = ds:head(opts.head) end
  if opts.subset and opts.subset < #ds then ds = ds:subset(opts.subset, { seed = opts.seed }) end
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
    sha256 = info.sha256,
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

local Dataset = core.metatable("nnlab.Dataset")
local c_head, c_subset, c_split = Dataset.__index.head, Dataset.__index.subset, Dataset.__index.split

-- Raises at the user's line when ds was closed (local ds <close> = ...), or
-- is a view of a dataset that was: its samples are gone.
local function check_open(where, ds)
  if getmetatable(ds) ~= Dataset then errors.dot_call("dataset") end -- (ds.info(), ds.head(5): the callers are methods)
  local state = core.dataset_state(ds)
  if state == "closed" then errors.raise("%s: the dataset was closed", where) end
  if state == "root closed" then
    errors.raise("%s: the dataset this view (head, subset or split) was taken from was closed", where)
  end
end

local function check_count(where, ds, n, most)
  if math.type(n) ~= "integer" then errors.raise("%s: the sample count must be an integer, got %s", where, errors.value(n)) end
  if n < 1 or n > most then
    errors.raise("%s: %d samples asked, but the dataset has %d (ask for 1 to %d)", where, n, #ds, most)
  end
end

--- ds:head(n) -> the first n samples (a view). Files sorted by class make this
--- a poor sample: ds:subset(n, { seed = s }) draws at random.
function Dataset.__index.head(ds, n)
  check_open("ds:head", ds)
  check_count("ds:head", ds, n, #ds)
  local view = c_head(ds, n)
  provenance[view] = provenance[ds]
  return view
end

--- ds:subset(n, { seed = 0 }) -> n samples drawn at random (a view, seeded).
function Dataset.__index.subset(ds, n, opts)
  check_open("ds:subset", ds)
  check_count("ds:subset", ds, n, #ds)
  opts = options.check("ds:subset", opts, { seed = 0 })
  local view = c_subset(ds, n, opts.seed)
  provenance[view] = provenance[ds]
  return view
end

--- ds:split(n_valid, { seed = 0, stratify = false }) -> train, valid: a seeded
--- random split; with stratify, each class keeps its share in both parts.
--- (ds:split(n_valid, seed) is the same with a number.)
function Dataset.__index.split(ds, n_valid, opts)
  check_open("ds:split", ds)
  if #ds < 2 then errors.raise("ds:split: the dataset has %d sample; a split needs at least 2", #ds) end
  check_count("ds:split", ds, n_valid, #ds - 1)
  if type(opts) == "number" then opts = { seed = opts } end
  opts = options.check("ds:split", opts, { seed = 0, stratify = false })
  if opts.stratify and ds:info().targets > 0 then
    errors.raise("ds:split: stratify needs class labels, but this dataset has regression targets")
  end
  local train, valid = c_split(ds, n_valid, opts.seed, opts.stratify)
  provenance[train], provenance[valid] = provenance[ds], provenance[ds]
  return train, valid
end

local c_info = Dataset.__index.info
--- ds:info() -> { count, rows, cols, features, classes (count), class_names,
--- targets (regression width, 0 for classes), dtype ("uint8" | "float32"),
--- source (one line), checksum, view_checksum (views only), is_view, ... }
function Dataset.__index.info(ds)
  check_open("ds:info", ds)
  local i = c_info(ds)
  local src = provenance[ds]
  i.class_names = src and src.classes
  i.source = src and (src.description or src.reason or src.name)
  i.name = src and src.name
  return i
end

Dataset.__tostring = function(ds)
  local i, src = ds:info(), provenance[ds]
  return ("Dataset(%s, %d samples, %dx%d)"):format(src and src.name or "?", i.count, i.rows, i.cols)
end

---------------------------------------------------------------------------
-- Your own data

local function remember(ds, record)
  provenance[ds] = record
  return ds
end

local function class_option(where, classes)
  if classes == nil then return 0, nil end
  if math.type(classes) == "integer" then
    if classes < 1 or classes > core.max_classes then
      errors.raise("%s: classes must be from 1 to %d, got %d", where, core.max_classes, classes)
    end
    return classes, nil
  end
  if type(classes) ~= "table" or #classes == 0 then
    errors.raise("%s: classes must be a count or a list of class names", where)
  end
  if #classes > core.max_classes then
    errors.raise("%s: %d class names, at most %d", where, #classes, core.max_classes)
  end
  for k = 1, #classes do -- not ipairs: a hole ({ "a", nil, "c" }) is an error, not the end
    local name = classes[k]
    if type(name) ~= "string" then errors.raise("%s: class name %d is %s, not a string", where, k, name == nil and "nil" or "a " .. type(name)) end
  end
  return #classes, classes
end

local function is_tensor(v) return getmetatable(v) == core.metatable("nnlab.Tensor") end

--- data.TensorDataset(x, y, { classes = K or { names }, name = "..." }) -> dataset
--- x: an N×D tensor or a table of N rows of D numbers. y: N class numbers
--- (0-based; a table, or a labels tensor (N) or (N, 1)), or regression targets (an N×K float
--- tensor, or a table of N rows of K numbers).
function data.TensorDataset(x, y, opts)
  opts = options.check("data.TensorDataset", opts, { classes = options.optional "any", name = "TensorDataset" })
  local n_classes, names = class_option("data.TensorDataset", opts.classes)
  local ds, err
  if is_tensor(x) and is_tensor(y) then
    if x:is_labels() then errors.raise("data.TensorDataset: x must be a float tensor (nnlab.tensor), not class labels") end
    if opts.classes ~= nil and not y:is_labels() then -- it became a regression set, classes dropped
      errors.raise("data.TensorDataset: classes is given, but y is a float tensor (regression targets): give "
                   .. "class labels (nnlab.labels { ... }), or leave classes out for regression")
    end
    ds, err = core.dataset_from_tensors(x, y, n_classes, "data.TensorDataset")
  else
    if is_tensor(x) or is_tensor(y) then
      errors.raise("data.TensorDataset: x and y must both be tensors or both be Lua tables")
    end
    if type(x) ~= "table" or type(y) ~= "table" then
      errors.raise("data.TensorDataset: x must be a tensor or a table of rows, and y a table of labels or target rows")
    end
    if #x ~= #y then errors.raise("data.TensorDataset: x has %d rows but y has %d", #x, #y) end
    if #x == 0 then errors.raise("data.TensorDataset: no samples (x is empty)") end
    local builder = core.dataset_builder()
    for i = 1, #x do
      if type(x[i]) ~= "table" then
        errors.raise("data.TensorDataset: x[%d] is a %s; x must be a table of rows (tables of numbers)", i, type(x[i]))
      end
      local ok, why = pcall(builder.add, builder, x[i], y[i])
      if not ok then errors.raise("data.TensorDataset: %s", tostring(why):gsub("^[^:]*:%d+: ", "")) end
    end
    ds, err = builder:finish(n_classes, "data.TensorDataset")
    if ds and opts.classes ~= nil and ds:info().targets > 0 then
      errors.raise("data.TensorDataset: classes is given, but y holds target rows (regression): give one class "
                   .. "number per sample, or leave classes out for regression")
    end
  end
  if not ds then errors.raise("%s", err) end
  return remember(ds, { name = opts.name, title = opts.name, source = "values", classes = names,
                        reason = "built from Lua values (data.TensorDataset)" })
end

--- data.generate(n, fn, { seed = 0, classes = K or { names }, name = "generated" })
--- -> dataset. Calls fn(i, rng) for i = 1..n; it returns features (a table of
--- numbers) and a label (an integer) or targets (a table). rng is a Lua random
--- generator seeded with `seed` (rng:random(), rng:normal()).
function data.generate(n, fn, opts)
  if math.type(n) ~= "integer" or n < 1 then errors.raise("data.generate: n must be a positive integer, got %s", errors.value(n)) end
  if type(fn) ~= "function" then errors.raise("data.generate: expected a function(i, rng) -> features, label") end
  opts = options.check("data.generate", opts, { seed = 0, classes = options.optional "any", name = "generated" })
  local n_classes, names = class_option("data.generate", opts.classes)
  local rng = data.rng(opts.seed)
  local builder = core.dataset_builder()
  for i = 1, n do
    local features, label = errors.call(fn, i, rng)
    local ok, why = pcall(builder.add, builder, features, label)
    if not ok then errors.raise("data.generate: %s", tostring(why):gsub("^[^:]*:%d+: ", "")) end
  end
  local ds, err = builder:finish(n_classes, "data.generate")
  if not ds then errors.raise("%s", err) end
  if opts.classes ~= nil and ds:info().targets > 0 then
    errors.raise("data.generate: classes is given, but fn returns target rows (regression): return one class "
                 .. "number a sample, or leave classes out for regression")
  end
  return remember(ds, { name = opts.name, title = opts.name, source = "generate", classes = names,
                        reason = ("generated in Lua (data.generate, seed %d)"):format(opts.seed) })
end

--- data.rng(seed) -> a random generator for data.generate (SplitMix64 in Lua
--- integers: the same seed gives the same numbers on every machine, and
--- math.random is left alone). rng:random() in [0, 1), rng:random(m, n) an
--- integer in m..n, rng:normal() a standard normal draw (Box-Muller).
function data.rng(seed)
  local s = math.tointeger(seed) -- nil, 1.5 and "abc" all seeded 0
  if not s then errors.raise("data.rng: seed must be an integer, got %s", errors.value(seed)) end
  local next_u64 = require("nnlab.splitmix")(s)
  local function uniform() return (next_u64() >> 11) * 2.0 ^ -53 end -- [0, 1), 53 random bits
  local rng = {}
  function rng:random(m, n)
    if m == nil then return uniform() end
    if n == nil then m, n = 1, m end
    -- as math.random: integers, and a non-empty interval
    local lo, hi = math.tointeger(m), math.tointeger(n)
    if not lo or not hi then
      errors.raise("rng:random: %s has no integer representation", errors.value(lo and n or m))
    end
    if lo > hi then errors.raise("rng:random: interval is empty (%d..%d)", lo, hi) end
    local u = uniform()
    -- hi - lo wraps past math.maxinteger for wide intervals: its unsigned value as a float
    local span = hi - lo
    local width = (span < 0 and span + 2.0 ^ 64 or span + 0.0) + 1
    local offset = math.min(math.floor(u * width), width - 1) -- the product rounds up near 2^64
    if offset >= 2.0 ^ 63 then offset = offset - 2.0 ^ 64 end -- as a wrapped integer
    return lo + math.tointeger(offset)
  end
  function rng:normal()
    local u1, u2 = 1 - self:random(), self:random()
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
  end
  return rng
end

--- data.csv(path, { target = name or column (1-based; default the last),
---   features = { names or columns } (default every other column), header = true,
---   sep = ",", classes = { names } (optional order), regression = false, name })
function data.csv(path, opts)
  if type(path) ~= "string" then errors.raise("data.csv: expected a file path") end
  opts = options.check("data.csv", opts, { target = options.optional "any", features = options.optional "table",
                                           header = true, sep = ",", classes = options.optional "table",
                                           regression = false, name = options.optional "string" })
  if #opts.sep ~= 1 or opts.sep == "\0" then
    errors.raise("data.csv: sep must be one character (not a NUL byte), got %q", opts.sep)
  end
  local c = { sep = opts.sep, header = opts.header, regression = opts.regression, classes = opts.classes }
  if math.type(opts.target) == "integer" then
    if opts.target < 1 then errors.raise("data.csv: target column %d: columns count from 1", opts.target) end
    c.target = opts.target - 1
  elseif opts.target ~= nil and type(opts.target) ~= "string" then
    errors.raise("data.csv: target must be a column name or a 1-based column number")
  else
    c.target = opts.target
  end
  if opts.features then
    c.features = {}
    for k = 1, #opts.features do -- not ipairs: a hole is an error, not the end
      local f = opts.features[k]
      if math.type(f) == "integer" then
        if f < 1 then errors.raise("data.csv: feature column %d: columns count from 1", f) end
        if f > 0xffffffff then errors.raise("data.csv: feature column %d is out of range", f) end
        c.features[k] = f - 1
      elseif type(f) == "string" then
        c.features[k] = f
      else
        errors.raise("data.csv: features[%d] must be a column name or number", k)
      end
      if type(c.features[k]) ~= type(c.features[1]) then
        errors.raise("data.csv: features must be all names or all column numbers")
      end
    end
  end
  if opts.classes then class_option("data.csv", opts.classes) end
  note_files { path }
  local ds, meta = core.dataset_csv(path, c)
  if not ds then errors.raise("data.csv: %s", meta) end
  local names = #meta.class_names > 0 and meta.class_names or nil
  return remember(ds, { name = opts.name or path:match("([^/]+)$"), title = opts.name or path, source = "csv",
                        files = { path }, classes = names, feature_names = meta.feature_names,
                        -- names the file gave in the order it first shows them (no classes = {...})
                        first_seen_names = names ~= nil and opts.classes == nil or nil,
                        target_name = meta.target_name, reason = "read from the CSV file " .. path })
end

local function numpy(where, x_path, x_key, y_path, y_key, opts)
  opts = options.check(where, opts, { regression = false, classes = options.optional "any", name = options.optional "string" })
  local n_classes, names = class_option(where, opts.classes)
  note_files { x_path, y_path }
  if opts.regression and opts.classes ~= nil then
    errors.raise("%s: classes is given, but regression = true reads targets, not class labels: leave one out", where)
  end
  local ds, x_dtype, y_dtype = core.dataset_numpy(x_path, x_key, y_path, y_key, opts.regression, n_classes)
  if not ds then errors.raise("%s: %s", where, x_dtype) end
  local shown = x_key and ("%s[%s]"):format(x_path, x_key) or x_path
  return remember(ds, { name = opts.name or x_path:match("([^/]+)$"), title = opts.name or shown, source = "numpy",
                        files = { x_path, y_path ~= x_path and y_path or nil }, classes = names,
                        dtypes = { x = x_dtype, y = y_dtype },
                        reason = ("read from NumPy %s (%s) and %s (%s)"):format(shown, x_dtype,
                          y_key and ("%s[%s]"):format(y_path, y_key) or y_path, y_dtype) })
end

--- data.npy(x_path, y_path, { regression = false, classes = K or { names }, name })
function data.npy(x_path, y_path, opts)
  if type(x_path) ~= "string" or type(y_path) ~= "string" then
    errors.raise("data.npy: expected two .npy paths (features, labels)")
  end
  return numpy("data.npy", x_path, nil, y_path, nil, opts)
end

--- data.npz(path, { x = "x", y = "y", ... }) for one archive holding both arrays;
--- data.npz { x = "imgs.npz", y = "labels.npz", x_key = "arr_0", y_key = "arr_0", ... }
--- for two archives (key arr_0 by default, as np.savez and KMNIST name them).
function data.npz(path, opts)
  if type(path) == "table" then
    local o = path
    if type(o.x) ~= "string" or type(o.y) ~= "string" then
      errors.raise("data.npz: with a table, give the two archives as { x = \"imgs.npz\", y = \"labels.npz\" }")
    end
    local rest = {}
    for k, v in pairs(o) do if k ~= "x" and k ~= "y" and k ~= "x_key" and k ~= "y_key" then rest[k] = v end end
    return numpy("data.npz", o.x, o.x_key or "arr_0", o.y, o.y_key or "arr_0", rest)
  end
  if type(path) ~= "string" then errors.raise("data.npz: expected an archive path or { x = ..., y = ... }") end
  opts = opts or {}
  if type(opts) ~= "table" then errors.raise("data.npz: options must be a table") end
  local rest = {}
  for k, v in pairs(opts) do if k ~= "x" and k ~= "y" then rest[k] = v end end
  if opts.x ~= nil and type(opts.x) ~= "string" or opts.y ~= nil and type(opts.y) ~= "string" then
    errors.raise("data.npz: x and y name the arrays in the archive (strings)")
  end
  return numpy("data.npz", path, opts.x or "x", path, opts.y or "y", rest)
end

--- data.idx(images_path, labels_path, { classes = K (default: from the labels),
---   transpose = false (EMNIST stores images transposed), name })
function data.idx(images, labels, opts)
  if type(images) ~= "string" or type(labels) ~= "string" then
    errors.raise("data.idx: expected an images file and a labels file")
  end
  opts = options.check("data.idx", opts, { classes = options.optional "any", transpose = false, name = options.optional "string" })
  local n_classes, names = class_option("data.idx", opts.classes)
  if n_classes > 256 then errors.raise("data.idx: an IDX label file holds at most 256 classes") end
  note_files { images, labels }
  local ds, err = core.dataset_load_files(images, labels, n_classes, opts.transpose)
  if not ds then errors.raise("data.idx: %s", err) end
  return remember(ds, { name = opts.name or images:match("([^/]+)$"), title = opts.name or images, source = "idx",
                        files = { images, labels }, classes = names, reason = "read from the IDX files " .. images })
end

---------------------------------------------------------------------------
-- Transforms (applied per batch in C; random ones during training passes only)

local Transform = {}
Transform.__index = Transform
Transform.__tostring = function(t) return t.text end
data.Transform = Transform

local function transform(fields, text)
  fields.text = text
  return setmetatable(fields, Transform)
end

local function check_number(where, v, what, lo, hi)
  if type(v) ~= "number" or v ~= v or v < lo or (hi and v > hi) then
    errors.raise("%s: %s must be a number%s%s, got %s", where, what, lo > -math.huge and (" >= " .. lo) or "",
                 hi and (" and <= " .. hi) or "", errors.value(v))
  end
end

local function number_list(where, v, what)
  if type(v) == "number" then return { v } end
  if type(v) ~= "table" or #v == 0 then errors.raise("%s: %s must be a number or a list of numbers", where, what) end
  options.list(("%s: %s"):format(where, what), v)
  for k, x in ipairs(v) do
    if type(x) ~= "number" then errors.raise("%s: %s[%d] is a %s, not a number", where, what, k, type(x)) end
  end
  return v
end

--- data.Normalize(mean, std): (x - mean) / std, each a number or one per feature.
function data.Normalize(mean, std)
  local m, s = number_list("data.Normalize", mean, "mean"), number_list("data.Normalize", std, "std")
  if #m ~= #s then errors.raise("data.Normalize: %d means but %d stds", #m, #s) end
  for k, x in ipairs(s) do
    if not (x > 0) then errors.raise("data.Normalize: std[%d] must be > 0, got %s", k, errors.value(x)) end
  end
  local shown = #m == 1 and ("%g, %g"):format(m[1], s[1]) or ("%d values"):format(#m)
  return transform({ kind = "normalize", mean = m, std = s }, ("Normalize(%s)"):format(shown))
end

-- The largest shift, crop side or padding a transform takes: the engine's
-- fields are 32-bit (a larger one was cut to its low bits), and no image is
-- near this wide (the engine refuses a shift or window beyond the image).
local MAX_TRANSFORM_PIXELS = 0x7fffffff

--- data.RandomShift(pixels): moves each image by up to `pixels` in x and y (zeros fill).
function data.RandomShift(pixels)
  if math.type(pixels) ~= "integer" or pixels < 0 or pixels > MAX_TRANSFORM_PIXELS then
    errors.raise("data.RandomShift: pixels must be an integer from 0 to %d, got %s", MAX_TRANSFORM_PIXELS,
                 errors.value(pixels))
  end
  return transform({ kind = "shift", pixels = pixels, random = true }, ("RandomShift(%d)"):format(pixels))
end

--- data.RandomCrop(size, { padding = 0 }): pads, then takes a size × size
--- window (size may be { rows, cols }) at random; the centre when evaluating.
function data.RandomCrop(size, opts)
  local rows, cols = size, size
  if type(size) == "table" then rows, cols = size[1], size[2] end
  if math.type(rows) ~= "integer" or math.type(cols) ~= "integer" or rows < 1 or cols < 1
      or rows > MAX_TRANSFORM_PIXELS or cols > MAX_TRANSFORM_PIXELS then
    errors.raise("data.RandomCrop: size must be an integer from 1 to %d or { rows, cols }", MAX_TRANSFORM_PIXELS)
  end
  opts = options.check("data.RandomCrop", opts, { padding = 0 })
  if math.type(opts.padding) ~= "integer" or opts.padding < 0 or opts.padding > MAX_TRANSFORM_PIXELS then
    errors.raise("data.RandomCrop: padding must be an integer from 0 to %d, got %s", MAX_TRANSFORM_PIXELS,
                 errors.value(opts.padding))
  end
  return transform({ kind = "crop", size_rows = rows, size_cols = cols, padding = opts.padding, random = true },
                   ("RandomCrop(%dx%d, padding %d)"):format(rows, cols, opts.padding))
end

--- data.RandomHorizontalFlip([p = 0.5]): mirrors each image with probability p.
function data.RandomHorizontalFlip(p)
  p = p == nil and 0.5 or p
  check_number("data.RandomHorizontalFlip", p, "p", 0, 1)
  return transform({ kind = "hflip", p = p, random = true }, ("RandomHorizontalFlip(%g)"):format(p))
end

--- data.GaussianNoise(std): adds N(0, std²) noise to every feature.
function data.GaussianNoise(std)
  check_number("data.GaussianNoise", std, "std", 0)
  return transform({ kind = "noise", noise_std = std, random = true }, ("GaussianNoise(%g)"):format(std))
end

--- data.Lambda(fn): fn(x) over each training batch tensor (batch × features),
--- changing it in place. Runs Lua per batch: slow next to the C transforms.
--- It runs in the middle of its loader's batch: starting a pass of that
--- loader (its batches(), fit, evaluate) or closing it there is an error.
function data.Lambda(fn)
  if type(fn) ~= "function" then errors.raise("data.Lambda: expected a function(x)") end
  -- named by its file's base name: the report reads the same from any folder or clone
  local info = debug.getinfo(fn, "S")
  local file = info.source:sub(1, 1) == "@" and info.source:sub(2):match("[^/]*$") or info.short_src
  return transform({ kind = "lambda", fn = fn, random = true }, ("Lambda(%s:%d)"):format(file, info.linedefined))
end

--- data.transform_list(value, where) -> a list of transforms (one or a list), checked.
function data.transform_list(value, where)
  if value == nil or value == false then return {} end
  local list = getmetatable(value) == Transform and { value } or value
  if type(list) ~= "table" then errors.raise("%s: transform must be a data.* transform or a list of them", where) end
  options.list(where .. ": transform", list)
  for k, t in ipairs(list) do
    if getmetatable(t) ~= Transform then
      errors.raise("%s: transform %d is not a data.* transform (data.Normalize, data.RandomShift, ...)", where, k)
    end
    if t.kind == "lambda" and k ~= #list then
      errors.raise("%s: data.Lambda must be the last transform (it runs after the C ones)", where)
    end
  end
  return list
end

--- data.describe_transforms(list) -> "RandomShift(2), GaussianNoise(0.1)" (or "none")
function data.describe_transforms(list)
  local parts = {}
  for k, t in ipairs(list or {}) do parts[k] = t.text end
  return #parts > 0 and table.concat(parts, ", ") or "none"
end

-- The dataset each loader reads (weak keys: a forgotten loader is not kept),
-- and the mean square of each regression dataset's targets, once measured.
local loader_datasets = setmetatable({}, { __mode = "k" })
local mean_squares = setmetatable({}, { __mode = "k" })

--- data.target_mean_square(loader) -> the mean of the squares of the
--- regression targets of the dataset the loader reads (every sample and
--- target column, in double): the MSE of a model whose output is all zeros.
--- nil when its samples have class labels, or the loader was not made by
--- data.DataLoader; nil and a message when the dataset cannot be read.
--- Measured once per dataset, by a loader of its own (the given loader's
--- epochs and shuffling are left alone).
--- data.loader_info(loader) -> the :info() of the dataset the loader reads,
--- or nil for a loader that data.DataLoader did not make or whose dataset
--- was closed (the loader's own pass says so).
--- data.first_class_mismatch(info, other) -> the first 0-based class number
--- that the two datasets' infos name differently (CSV files read apart name
--- string classes each in its own first-seen order), or nil.
function data.first_class_mismatch(info, other)
  local names, other_names = info.class_names, other.class_names
  for k = 1, math.min(names and #names or 0, other_names and #other_names or 0) do
    if names[k] ~= other_names[k] then return k - 1 end
  end
  return nil
end

function data.loader_info(loader)
  local ds = loader_datasets[loader]
  if not ds or core.dataset_state(ds) ~= "open" then return nil end
  return ds:info()
end

function data.target_mean_square(loader)
  local ds = loader_datasets[loader]
  if ds == nil or ds:info().targets == 0 then return nil end
  if mean_squares[ds] == nil then
    local pass, err = core.loader_new(ds, math.min(ds:info().count, 4096), false, false, 0)
    if not pass then return nil, err end
    local sum, values = 0.0, 0
    for _, y in pass:batches() do
      for _, v in ipairs(y:totable()) do sum = sum + v * v end
      values = values + y:numel()
    end
    mean_squares[ds] = sum / values
  end
  return mean_squares[ds]
end

-- A Lambda's fn run under a handler that names a user's file by its whole
-- path where Lua shortened it (errors.whole_path): the loader calls it from
-- C, where no handler of nnlab's sees its error before the stack unwinds.
-- It changes the batch in place: a value it returns but the batch itself
-- (torchvision's Lambda returns the new batch) would be dropped, so it is
-- an error naming the Lambda (`text`, "Lambda(file:line)").
local function lambda_call(fn, text)
  local function checked(batch, ok, ...)
    if not ok then error((...), 0) end
    local n, first = select("#", ...), (...)
    if n > 1 or (first ~= nil and not rawequal(first, batch)) then
      error(("data.%s: the function returned %s; it changes the batch in place (x:set(r, c, v)) and returns "
             .. "nothing: a returned batch (torchvision's Lambda) would be dropped"):format(text,
             n > 1 and n .. " values" or is_tensor(first) and "a tensor" or "a " .. type(first)), 0)
    end
  end
  return function(batch) checked(batch, xpcall(fn, errors.whole_path, batch)) end
end

--- data.DataLoader(dataset, { batch_size = 1, shuffle = false, drop_last = false,
---                            seed = 0, normalize = { mean = m, std = s },
---                            transform = { data.RandomShift(2), ... } })
--- Each loader:batches() is one epoch; with shuffle, epoch k's order depends only
--- on (seed, k). Random transforms depend only on (seed, epoch, sample index)
--- and are off (a crop takes the centre) in evaluation passes.
function data.DataLoader(ds, opts)
  if getmetatable(ds) ~= Dataset then errors.raise("data.DataLoader: expected a dataset") end
  check_open("data.DataLoader", ds)
  opts = options.check("data.DataLoader", opts, { batch_size = 1, shuffle = false, drop_last = false, seed = 0,
    normalize = options.optional "table", transform = options.optional "any",
    -- PyTorch's, taken at their defaults: a batch is gathered in C in the training process
    -- (threads inside one run are --threads; a sweep's runs train in workers, -j)
    num_workers = options.unsupported(0, "nnlab's loader gathers a batch in C, in the training process; "
                                         .. "for more cores give nnlab --threads N, or -j N for a sweep's runs"),
    pin_memory = options.unsupported(false, "nnlab trains on the CPU: there is no GPU memory to pin") })
  local chain, lambda = {}, nil
  for _, t in ipairs(data.transform_list(opts.transform, "data.DataLoader")) do
    if t.kind == "lambda" then lambda = lambda_call(t.fn, t.text) else chain[#chain + 1] = t end
  end
  local batch_size = opts.batch_size
  if batch_size < 1 then
    errors.raise("data.DataLoader: batch_size must be a positive integer, got %s", errors.value(batch_size))
  elseif batch_size > core.max_batch_size then
    errors.raise("data.DataLoader: batch_size must be at most %d, got %s", core.max_batch_size, errors.value(batch_size))
  end
  local mean, std
  if opts.normalize then
    options.check("data.DataLoader: normalize", opts.normalize, { mean = 0.0, std = 1.0 })
    mean, std = opts.normalize.mean, opts.normalize.std
    if type(mean) ~= "number" or type(std) ~= "number" or not (std > 0) then
      errors.raise("data.DataLoader: normalize needs numbers { mean = m, std = s } with s > 0")
    end
  end
  local loader, err = core.loader_new(ds, opts.batch_size, opts.shuffle, opts.drop_last, opts.seed, mean, std,
                                      #chain > 0 and chain or nil, lambda)
  if not loader then errors.raise("data.DataLoader: %s", err) end
  loader_datasets[loader] = ds
  return loader
end

return data
