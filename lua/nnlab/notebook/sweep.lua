-- nnlab.notebook.sweep: trains every variation of an experiment under several seeds.
-- A sweep is a table: the variations (a grid `vary` or a list `variations`),
-- `seeds`, fixed parameters (epochs, batch_size, lr, ...), the datasets, and
-- functions of p (the parameters of one variation plus p.seed) that build the
-- model and the optimizer. Each (variation, seed) is one job, looked up in the
-- cache under a key of everything that decides its result (the model's part
-- from a build of it, shared by jobs whose model(p) reads the same values:
-- see new_memo); the missing ones
-- run in forked workers (nnlab.notebook.workers), each writing its cache entry, and
-- the results come back as a Runs object (nnlab.notebook.runs).
local core = require "nnlab.core"
local errors = require "nnlab.errors"
local files = require "nnlab.files"
local options = require "nnlab.options"
local nn = require "nnlab.nn"
local optim = require "nnlab.optim"
local data = require "nnlab.data"
local train = require "nnlab.train"
local predictions = require "nnlab.notebook.predictions"
local runs = require "nnlab.notebook.runs"
local workers = require "nnlab.notebook.workers"
local plans = require "nnlab.notebook.plan"
local serialize = require "nnlab.notebook.serialize"
local fingerprint = require "nnlab.notebook.fingerprint"
local cache = require "nnlab.notebook.cache"
local raise = errors.raise
local proc = core.proc

local sweep = { memoise = true, check_key_texts = false }

-- Keys of a sweep table that are not parameters.
local STRUCTURE = { name = true, vary = true, variations = true, seeds = true, model = true,
                    optimizer = true, loss = true, train = true, test = true, normalize = true,
                    transform = true, valid = true, run = true }
-- Parameters every job has unless the sweep says otherwise.
local DEFAULTS = { shuffle = true, test_batch_size = 1000, diverge_factor = 10 }
-- Parameters nnlab itself reads (besides DEFAULTS): never unused.
local READ_BY_NNLAB = { epochs = true, batch_size = true, eval_train = true, shuffle = true,
                        test_batch_size = true, diverge_factor = true }
-- The per-epoch fields kept in results and cache entries.
local HISTORY_FIELDS = runs.HISTORY_FIELDS
-- The type of each: a number, but for diverged.
local HISTORY_TYPES = {}
for _, field in ipairs(HISTORY_FIELDS) do HISTORY_TYPES[field] = field == "diverged" and "boolean" or "number" end

-- A value a parameter may take: a number (not NaN, which equals nothing and
-- so can name no variation), a string or a boolean.
local function is_scalar(v)
  local t = type(v)
  return (t == "number" and v == v) or t == "string" or t == "boolean"
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function check_spec(spec)
  if type(spec) ~= "table" then
    raise("lab.sweep: expected a table { vary = ..., model = function(p) ... end, ... }")
  end
  for k, v in pairs(spec) do
    if type(k) ~= "string" then raise("lab.sweep: keys must be names") end
    if not STRUCTURE[k] and not is_scalar(v) then
      raise("lab.sweep: '%s' must be a number (not NaN), string or boolean (a fixed parameter)%s", k,
            options.suggest(k, STRUCTURE))
    end
  end
  if spec.run ~= nil then -- the user's own training function: model and optimizer are its business
    if type(spec.run) ~= "function" then
      raise("lab.sweep: run must be a function(p, ctx) that trains one variation × seed and returns its history")
    end
    for _, k in ipairs { "model", "optimizer", "loss", "transform", "normalize" } do
      if spec[k] ~= nil then
        raise("lab.sweep: %s goes with the built-in training; a sweep with run = function(p, ctx) builds and "
              .. "trains its model itself", k)
      end
    end
  else
    if type(spec.model) ~= "function" then
      raise("lab.sweep: model must be a function(p) that returns a model")
    end
    if type(spec.optimizer) ~= "function" then
      raise("lab.sweep: optimizer must be a function(p, params) that returns an optimizer")
    end
  end
  if spec.loss ~= nil and type(spec.loss) ~= "function" then
    raise("lab.sweep: loss must be a function(p) that returns a loss (default: CrossEntropyLoss)")
  end
  local Dataset = core.metatable("nnlab.Dataset")
  if spec.valid ~= nil and getmetatable(spec.valid) ~= Dataset then
    raise("lab.sweep: valid must be a dataset (a validation split: train, valid = ds:split(n, { seed = s }))")
  end
  for _, which in ipairs { "train", "test" } do
    if getmetatable(spec[which]) ~= Dataset then
      raise("lab.sweep: %s must be a dataset (lab.data.load, data.csv, data.npz, data.TensorDataset, ...)", which)
    end
  end
  if spec.vary ~= nil and spec.variations ~= nil then
    raise("lab.sweep: give vary (a grid) or variations (a list), not both")
  end
  if spec.name ~= nil and type(spec.name) ~= "string" then raise("lab.sweep: name must be a string") end
  -- (false is "not given", as for every optional option: normalize = cond and { ... })
  if spec.normalize then options.check("lab.sweep: normalize", spec.normalize, { mean = 0.0, std = 1.0 }) end
  if spec.transform ~= nil and type(spec.transform) ~= "function" then
    data.transform_list(spec.transform, "lab.sweep")
  end
end

-- The grid of `vary`: keys sorted by name, the first varying slowest.
local function grid(vary)
  if type(vary) ~= "table" then raise("lab.sweep: vary must be a table { key = { values... } }") end
  local keys = sorted_keys(vary)
  for _, k in ipairs(keys) do
    local values = vary[k]
    if type(k) ~= "string" or type(values) ~= "table" or #values == 0 then
      raise("lab.sweep: vary.%s must be a non-empty list of values", tostring(k))
    end
    options.list("lab.sweep: vary." .. k, values)
    for _, value in ipairs(values) do
      if not is_scalar(value) then
        raise("lab.sweep: vary.%s holds %s; values must be numbers (not NaN), strings or booleans", k,
              value ~= value and "NaN" or "a " .. type(value))
      end
    end
  end
  local out = { {} }
  for _, k in ipairs(keys) do
    local next_out = {}
    for _, partial in ipairs(out) do
      for _, value in ipairs(vary[k]) do
        local v = table.move(partial, 1, #partial, 1, {})
        v[#v + 1] = { k, value }
        next_out[#next_out + 1] = v
      end
    end
    out = next_out
  end
  local variations = {}
  for _, pairs_list in ipairs(out) do
    local values = {}
    for _, kv in ipairs(pairs_list) do values[kv[1]] = kv[2] end
    variations[#variations + 1] = { values = values }
  end
  return variations, keys
end

-- An explicit list of variations, each a table of values and an optional label.
local function listed(list)
  if type(list) ~= "table" or #list == 0 then
    raise("lab.sweep: variations must be a non-empty list of tables { key = value, label = \"...\" }")
  end
  options.list("lab.sweep: variations", list)
  local seen, variations = {}, {}
  for i, entry in ipairs(list) do
    if type(entry) ~= "table" then raise("lab.sweep: variations[%d] must be a table", i) end
    local values = {}
    for k, value in pairs(entry) do
      if k ~= "label" then
        if type(k) ~= "string" or not is_scalar(value) then
          raise("lab.sweep: variations[%d].%s must be a number (not NaN), string or boolean", i, tostring(k))
        end
        values[k] = value
        seen[k] = true
      end
    end
    if entry.label ~= nil and type(entry.label) ~= "string" then
      raise("lab.sweep: variations[%d].label must be a string", i)
    end
    variations[#variations + 1] = { values = values, label = entry.label, labelled = entry.label ~= nil }
  end
  return variations, sorted_keys(seen)
end

-- A seed list from a count or a list; or, for seeds = { min = a, max = b },
-- the first a seeds and the on-demand plan (see sequential_plan), whose
-- metric is default_metric unless seeds.metric names one.
local function seed_list(seeds, default_metric)
  if seeds == nil then seeds = 3 end
  if type(seeds) == "table" and (seeds.min ~= nil or seeds.max ~= nil) then
    local o = options.check("lab.sweep: seeds", seeds, { min = 3, max = 10, metric = options.optional "string",
                                                         level = 0.95 })
    o.metric = o.metric or default_metric -- test_acc, or test_loss for regression targets
    if math.type(o.min) ~= "integer" or o.min < 2 or math.type(o.max) ~= "integer" or o.max < o.min or o.max > 100 then
      raise("lab.sweep: seeds = { min = a, max = b } needs integers with 2 <= a <= b <= 100, got min %s, max %s",
            errors.value(o.min), errors.value(o.max))
    end
    if not (o.level > 0 and o.level < 1) then raise("lab.sweep: seeds.level must be between 0 and 1, got %s", errors.value(o.level)) end
    -- before the first seeds train, not after
    if runs.metric_info(o.metric, "lab.sweep: seeds.metric").no_best then
      raise("lab.sweep: seeds.metric: %s is a setting, not a result: no variation is the best by it, " ..
            "so no verdict can ask for more seeds", o.metric)
    end
    local list = {}
    for s = 1, o.min do list[s] = s end
    return list, o
  end
  if math.type(seeds) == "integer" and seeds >= 1 then
    local list = {}
    for s = 1, seeds do list[s] = s end
    return list
  end
  local ok = type(seeds) == "table" and #seeds >= 1
  if ok then options.list("lab.sweep: seeds", seeds) end
  local seen = {}
  for _, s in ipairs(ok and seeds or {}) do
    if math.type(s) ~= "integer" or seen[s] then ok = false end
    seen[s] = true
  end
  if not ok then
    raise("lab.sweep: seeds must be a count (3), a list of distinct integer seeds ({ 1, 2, 3 }) or " ..
          "{ min = 3, max = 10 } (more seeds where a verdict is undecided), got %s",
          type(seeds) == "table" and "a list of " .. #seeds or tostring(seeds))
  end
  return table.move(seeds, 1, #seeds, 1, {})
end

-- Seeds on demand: the seed counts at which the verdicts are looked at (at
-- most four looks: min, then steps up to max) and the level each look uses.
-- Several looks at growing data would each get a chance at a false
-- "differs"; Bonferroni over the looks (alpha / looks at each) keeps the
-- chance of any false "differs" at or below alpha whatever the looks'
-- dependence.
local function sequential_plan(o)
  local sizes, step = { o.min }, math.max(1, math.ceil((o.max - o.min) / 3))
  while sizes[#sizes] < o.max do sizes[#sizes + 1] = math.min(o.max, sizes[#sizes] + step) end
  local alpha = 1 - o.level
  return { sizes = sizes, looks = #sizes, level = 1 - alpha / #sizes, alpha = alpha, metric = o.metric,
           min = o.min, max = o.max }
end

-- The parameters every variation of a sweep shares: the defaults (unless
-- it has its own run function) and the sweep's fixed values.
local function shared_params(spec)
  local base = {}
  if spec.run == nil then for k, v in pairs(DEFAULTS) do base[k] = v end end
  for k, v in pairs(spec) do
    if not STRUCTURE[k] then base[k] = v end
  end
  return base
end

-- The metatable of a sweep's variations' parameters: each holds its own
-- values and reads the others from base, so that 10^5 variations do not
-- each hold a copy of the fixed ones; pairs gives both, as one table would.
local function params_meta(base)
  return {
    __index = base,
    __pairs = function(t)
      local own = false
      return function(_, key)
        if not own then
          local k, v = next(base, key)
          while k ~= nil and rawget(t, k) ~= nil do k, v = next(base, k) end
          if k ~= nil then return k, v end
          own, key = true, nil
        end
        return next(t, key)
      end, t, nil
    end,
  }
end

-- The parameters of one variation: defaults, the sweep's fixed values, the
-- variation's own (meta: params_meta of the sweep's shared_params). The
-- table of its own values becomes them (runs.own_values reads them back).
local function variation_params(spec, values, meta)
  local p = setmetatable(values, meta)
  -- a sweep with its own run function trains as it likes: no defaults, and
  -- epochs and batch sizes are checked only when given
  local custom = spec.run ~= nil
  if p.seed ~= nil then raise("lab.sweep: 'seed' is not a parameter: give the seeds with seeds = ...") end
  for _, k in ipairs { "epochs", "batch_size", "test_batch_size" } do
    if p[k] == nil and not custom then
      -- missing: a near name the sweep gives is the typo (batch_szie = 64), said before its other checks
      for _, given in ipairs(sorted_keys(spec)) do
        if given ~= k and options.suggest(given, { [k] = true }) ~= "" then
          raise("lab.sweep: %s is missing, and '%s' is given: a typo of %s?", k, given, k)
        end
      end
      raise("lab.sweep: %s is missing: give %s = N (a positive integer)", k, k)
    end
    if (not custom or p[k] ~= nil) and (math.type(p[k]) ~= "integer" or p[k] < 1) then
      raise("lab.sweep: %s must be a positive integer, got %s", k, errors.value(p[k]))
    end
  end
  -- said before training, not when the run cannot be kept (a run function's
  -- history is its own: cache:put checks what it returns)
  if not custom and p.epochs > cache.MAX_EPOCHS then
    raise("lab.sweep: epochs must be at most %d (a run's history is one cache entry of at most 16 MiB), got %d",
          cache.MAX_EPOCHS, p.epochs)
  end
  for _, k in ipairs { "batch_size", "test_batch_size" } do -- the loaders' limit, said here, not in each worker
    if p[k] and p[k] > core.max_batch_size then
      raise("lab.sweep: %s must be at most %d, got %d", k, core.max_batch_size, p[k])
    end
  end
  if not custom and type(p.shuffle) ~= "boolean" then raise("lab.sweep: shuffle must be true or false") end
  if not custom and p.eval_train ~= nil and type(p.eval_train) ~= "boolean" then
    raise("lab.sweep: eval_train must be true or false, got %s", errors.value(p.eval_train))
  end
  if not custom and not (type(p.diverge_factor) == "number" and p.diverge_factor > 1 and p.diverge_factor < math.huge) then
    raise("lab.sweep: diverge_factor must be a finite number > 1, got %s", errors.value(p.diverge_factor))
  end
  return p
end

-- The `p` that the sweep's functions see: p's values, read-only; reading a
-- name that no variation, fixed parameter or default defines (`defined`, a
-- set) is an error at the user's line. Each name read is recorded in `reads`,
-- and, when `trace` is given, in trace.keys in the order first read (a
-- pairs(p) over it sets trace.all instead: it reads every name, in an order
-- the table's layout decides).
local function strict_params(p, defined, reads, trace)
  return setmetatable({}, {
    __index = function(_, key)
      if p[key] == nil and not defined[key] and key ~= "seed" then
        local names = {}
        for name in pairs(defined) do names[#names + 1] = name end
        table.sort(names)
        -- a near name: the read or the sweep's own name may be the misspelt one
        local near = options.closest(key, names)
        raise("p.%s: this sweep has no parameter '%s'%s (it has: seed, %s)", tostring(key), tostring(key),
              near and (", but has '%s': one of the two names is misspelt"):format(near) or "",
              table.concat(names, ", "))
      end
      reads[key] = true
      if trace and not trace.seen[key] then
        trace.seen[key] = true
        trace.keys[#trace.keys + 1] = key
      end
      return p[key]
    end,
    __newindex = function(_, key)
      raise("p.%s: a sweep's parameters are read-only (set them in vary, variations or the sweep table)",
            tostring(key))
    end,
    __pairs = function() -- every name it yields counts as read
      if trace then trace.all = true end
      return function(_, key)
        local k, v = next(p, key)
        if k ~= nil then reads[k] = true end
        return k, v
      end, p, nil
    end,
    __metatable = "the parameters of a sweep", -- what p reads goes through __index and __pairs only
  })
end

-- Whether two parameter values are the same value: of one type and, for
-- numbers, of one subtype (1 and 1.0 print differently) and sign (0.0 and
-- -0.0 divide differently).
local function same_value(a, b)
  if a ~= b or math.type(a) ~= math.type(b) then return false end
  return a ~= 0 or 1 / a == 1 / b
end

-- What a closure can depend on besides its arguments: walks fn and every
-- function it reaches through its upvalues, each once, calling
-- visit_function(f) on each (false: not into f's upvalues) and
-- visit_scalar(f, index, name, value) on each number, string and boolean
-- upvalue, in upvalue order. Tables (modules, datasets) are not followed.
local function walk_closure(fn, visit_function, visit_scalar, seen)
  seen = seen or {}
  if seen[fn] then return end
  seen[fn] = true
  if not visit_function(fn) then return end
  for i = 1, 255 do -- a Lua function has at most 255 upvalues
    local name, value = debug.getupvalue(fn, i)
    if not name then break end
    local t = type(value)
    if t == "function" then walk_closure(value, visit_function, visit_scalar, seen)
    elseif t == "number" or t == "string" or t == "boolean" then visit_scalar(fn, i, name, value) end
  end
end

-- Whether fn, or a function it reaches through its upvalues, has `value`
-- among its upvalues.
local function closes_over(fn, value)
  local found = false
  walk_closure(fn, function(f)
    for i = 1, 255 do
      local name, v = debug.getupvalue(f, i)
      if not name then break end
      if rawequal(v, value) then found = true end
    end
    return not found
  end, function() end)
  return found
end

-- The number, string and boolean upvalues of fn and of the functions it
-- reaches through its upvalues: what a memoised model could have depended on
-- besides p (a counter in the model function's closure, say). A list of
-- { function, upvalue index, value }, about 256 at most.
local function scalar_upvalues(fn)
  local out = {}
  walk_closure(fn, function() return #out <= 256 end,
               function(f, i, _, value) out[#out + 1] = { f, i, value } end)
  return out
end

local function upvalues_unchanged(list)
  for _, u in ipairs(list) do
    if not same_value(select(2, debug.getupvalue(u[1], u[2])), u[3]) then return false end
  end
  return true
end

-- The model memo of a planning pass. Planning builds each run's model only
-- to fingerprint it for the cache key (its layers and the checksum of its
-- initial weights); runs whose model function reads the same values of p
-- under the same seed build the same model (model(p) is a function of the
-- values it reads, as the worker that trains the run, which builds it again,
-- relies on too), so the model built for one is kept and reused for the
-- others: a grid h × lr whose model reads only p.h builds one model per h.
-- An entry holds the model (open: the optimizer function is still called
-- for each run, with its parameters), the names model(p) read in the order
-- read and their values, the seed and the seed counter after the call, and
-- the scalar upvalues of the model function. An entry is used only when
-- every one of those is the same for the new run, so that model(p), called
-- again, would read the same names, get the same values and build the same
-- model; a model function that iterates p (pairs) is never memoised (the
-- order of the names is the table's). After the optimizer function has
-- run, the model must still have its initial weights and training mode,
-- else the run is built afresh and the entry dropped. At most MEMO_ENTRIES
-- models of at most MEMO_PARAMETERS parameters in all are kept, the
-- oldest dropped first; memo:close() closes them. sweep.memoise = false
-- (for tests) builds every run's model afresh.
local MEMO_ENTRIES, MEMO_PARAMETERS = 8, 1 << 20

local Memo = {}
Memo.__index = Memo
Memo.__close = function(memo) memo:close() end

local function new_memo()
  return setmetatable({ entries = {}, parameters = 0 }, Memo)
end

function Memo:find(p)
  for i = #self.entries, 1, -1 do
    local e = self.entries[i]
    if e.seed == p.seed then
      local ok = true
      for j, k in ipairs(e.keys) do
        if not same_value(p[k], e.values[j]) then ok = false break end
      end
      if ok and upvalues_unchanged(e.upvalues) then return e end
    end
  end
  return nil
end

function Memo:holds(model)
  for _, e in ipairs(self.entries) do if rawequal(e.model, model) then return true end end
  return false
end

local function drop(memo, i)
  local e = table.remove(memo.entries, i)
  memo.parameters = memo.parameters - e.num_parameters
  local _ <close> = e.model
end

function Memo:add(entry)
  if entry.num_parameters > MEMO_PARAMETERS then return false end
  self.entries[#self.entries + 1] = entry
  self.parameters = self.parameters + entry.num_parameters
  while #self.entries > MEMO_ENTRIES or self.parameters > MEMO_PARAMETERS do drop(self, 1) end
  return true
end

function Memo:forget(entry)
  for i, e in ipairs(self.entries) do
    if e == entry then drop(self, i) return end
  end
end

function Memo:close()
  while #self.entries > 0 do drop(self, #self.entries) end
end

-- The objects one job trains, built from the sweep's functions of p. Called in
-- the parent (for the cache key) and again in the worker, with the same result:
-- models made without an explicit seed take the job's seed (the user's own
-- seed counter, nn.manual_seed, is left as it was). With a memo (planning),
-- the model may be a memoised one (see new_memo; built.memo is then its
-- entry, which owns it: the caller must not close it), and built.layers and
-- built.checksum are the model's fingerprint as the cache key holds it.
local function build(spec, p, defined, reads, memo)
  reads = reads or {}
  local user_seed = nn.next_seed()
  local _ <close> = setmetatable({}, { __close = function() nn.manual_seed(user_seed) end })
  local entry = memo and memo:find(p)
  local model, trace, fresh_checksum, fresh_training
  if entry then
    model = entry.model
    for _, k in ipairs(entry.keys) do reads[k] = true end
    nn.manual_seed(entry.next_seed)
  else
    nn.manual_seed(p.seed)
    trace = memo and { keys = {}, seen = {}, all = false }
    local upvalues = memo and scalar_upvalues(spec.model)
    model = errors.call(spec.model, strict_params(p, defined, reads, trace))
    if getmetatable(model) ~= core.metatable("nnlab.Net") then
      raise("lab.sweep: model(p) returned a %s, not a model (nn.Sequential { ... })", type(model))
    end
    -- plan closes what it built, and the memo keeps what it holds: one model returned twice
    if not pcall(model.sizes, model) or (memo and memo:holds(model)) then
      raise("lab.sweep: model(p) returned a closed model: it must build a new one on every call")
    end
    if memo and not trace.all then
      trace.upvalues, trace.next_seed = upvalues, nn.next_seed()
      fresh_checksum, fresh_training = model:checksum(), model:training()
    end
  end
  local user_p = strict_params(p, defined, reads)
  local optimizer, scheduler = errors.call(spec.optimizer, user_p, model:parameters())
  if getmetatable(optimizer) ~= core.metatable("nnlab.Optimizer") then
    raise("lab.sweep: optimizer(p, params) returned a %s, not an optimizer (optim.SGD(params, { ... }))",
          type(optimizer))
  end
  if not pcall(optimizer.lr, optimizer) then
    raise("lab.sweep: optimizer(p, params) returned a closed optimizer: it must make a new one on every call")
  end
  local layers, checksum
  if entry then
    -- the optimizer function had the memoised model's parameters: it must have left them as built
    if model:checksum() ~= entry.checksum or model:training() ~= entry.training then
      do local _ <close> = optimizer end
      memo:forget(entry)
      nn.manual_seed(user_seed)
      return build(spec, p, defined, reads, nil)
    end
    layers, checksum = entry.layers, entry.checksum
  elseif memo then
    layers, checksum = model:layers(), model:checksum()
    if fresh_checksum == checksum and fresh_training == model:training() then
      local values = {}
      for j, k in ipairs(trace.keys) do values[j] = p[k] end
      local candidate = { model = model, seed = p.seed, keys = trace.keys, values = values,
                          upvalues = trace.upvalues, next_seed = trace.next_seed, layers = layers,
                          checksum = checksum, training = fresh_training,
                          num_parameters = model:num_parameters() }
      if memo:add(candidate) then entry = candidate end
    end
  end
  local transforms = spec.transform
  if type(transforms) == "function" then
    transforms = data.transform_list(errors.call(transforms, user_p), "lab.sweep: transform(p)")
  else
    transforms = data.transform_list(transforms, "lab.sweep")
  end
  for _, t in ipairs(transforms) do -- a Lambda that keeps p reads it while training: count every name as read
    if t.fn and closes_over(t.fn, user_p) then
      for k in pairs(defined) do reads[k] = true end
    end
  end
  local loss = spec.loss and errors.call(spec.loss, user_p) or nn.CrossEntropyLoss()
  if getmetatable(loss) ~= core.metatable("nnlab.LossFunction") then
    raise("lab.sweep: loss(p) did not return a loss (nn.CrossEntropyLoss() or nn.MSELoss())")
  end
  -- the key holds the optimizer's options, not its state: a step taken here
  -- (its count, Adam's bias correction, momentum buffers) would train
  -- differently under the same key
  if optimizer:steps() > 0 then
    raise("lab.sweep: optimizer(p, params) returned an optimizer that has taken %d step%s; a run's key holds " ..
          "an optimizer's options, not its state: return a new one", optimizer:steps(),
          optimizer:steps() == 1 and "" or "s")
  end
  local schedule
  if scheduler ~= nil then
    -- A cache key can hold a scheduler's settings and state, not its code:
    -- only nnlab's own schedulers, with their own step, are keyed by all
    -- that decides what they do.
    if type(scheduler) ~= "table" then
      raise("lab.sweep: optimizer(p, params) may return a scheduler second, got a %s", type(scheduler))
    end
    if getmetatable(scheduler) ~= optim.lr_scheduler.Scheduler or rawget(scheduler, "step") ~= nil then
      raise("lab.sweep: optimizer(p, params) returned a scheduler nnlab did not make: a cache key cannot hold " ..
            "its code, so a change to it would reuse old results; use optim.lr_scheduler.StepLR, ExponentialLR " ..
            "or CosineAnnealingLR")
    end
    if scheduler.optimizer ~= optimizer then
      raise("lab.sweep: optimizer(p, params) returned a scheduler made for another optimizer: make it with " ..
            "the optimizer it returns")
    end
    schedule = { kind = scheduler.kind, step_size = scheduler.step_size, gamma = scheduler.gamma,
                 t_max = scheduler.t_max, eta_min = scheduler.eta_min, base_lr = scheduler.base_lr,
                 last_epoch = scheduler.last_epoch }
  end
  return { model = model, optimizer = optimizer, scheduler = scheduler, loss = loss, transforms = transforms,
           optimizer_config = optimizer:config(), schedule = schedule, memo = entry, layers = layers,
           checksum = checksum }
end

-- What identifies a dataset's samples: the checksum of their content (the
-- whole data set's features and labels), and for a view (head, subset, split)
-- the checksum of exactly which samples it holds; its shape and class counts.
local function dataset_identity(ds)
  local info = ds:info()
  local source = data.source(ds)
  return { checksum = info.checksum, samples = info.count, view = info.view_checksum or false, rows = info.rows,
           cols = info.cols, dtype = info.dtype, targets = info.targets, class_counts = ds:label_counts(),
           part = source and source.train ~= nil and (source.train and "train" or "test") or nil }
end

--- sweep.code_fingerprint(fn [, memo]) -> 16 hex digits: what a cache key
--- holds of a run function's or a data.Lambda's code (nnlab.notebook.fingerprint).
sweep.code_fingerprint = fingerprint.code
local code_fingerprint = sweep.code_fingerprint

-- Per lab.sweep call (by its table, made anew by sweep.run): the memo of
-- code_fingerprint for its jobs, and its run function's fingerprint, taken once.
local FINGERPRINTS = setmetatable({}, { __mode = "k" })

-- The seeds a run function's jobs give nn.manual_seed: job seed × this
-- (run_custom_job).
local SEED_SPACING = 1 << 20

-- The cache key of a job of a sweep with its own run function.
-- seeds_from: where the run function's first model made without a seed
-- takes its seed: the job's seed × SEED_SPACING (run_custom_job seeds
-- nn.manual_seed with it), which p holds. (Until the twenty-fifth session it
-- was the file's counter, the same for every seed: entries of then hold that
-- number here, and are not taken for these.)
local function custom_job_key(spec, p, identities)
  local memo = FINGERPRINTS[spec]
  memo.run = memo.run or code_fingerprint(spec.run, memo)
  return { nnlab = { engine = core.engine_version(), numerics = core.numerics() }, params = p,
           run = memo.run, seeds_from = "job × 2^20", train = identities.train,
           test = identities.test, valid = identities.valid }
end

-- The transforms as the cache key holds them: every setting, and a Lambda's code.
local function transforms_key(list, memo)
  local key = {}
  for k, t in ipairs(list) do
    local entry = {}
    for field, v in pairs(t) do
      if field == "fn" then entry.code = code_fingerprint(v, memo) elseif field ~= "text" then entry[field] = v end
    end
    key[k] = entry
  end
  return key
end

-- The random numbers model's dropout layers have drawn, or nil for none
-- (the key of a model that has run no training-mode forward is as before).
local function dropout_draws(model)
  local n = core.net_dropout_draws(model)
  return n > 0 and n or nil
end

-- The cache key of a job: everything that decides its result.
local function job_key(spec, p, built, identities)
  return {
    valid = identities.valid,
    nnlab = { engine = core.engine_version(), numerics = core.numerics() },
    params = p,
    model = { layers = built.layers or built.model:layers(),
              initial_parameters = built.checksum or built.model:checksum(),
              -- where its dropout stream stands, when model(p) ran it (a look at an output)
              dropout_draws = dropout_draws(built.model) },
    optimizer = built.optimizer_config,
    scheduler = built.schedule,
    loss = core.loss_kind(built.loss),
    train = identities.train,
    test = identities.test,
    normalize = spec.normalize or nil,
    transform = #built.transforms > 0 and transforms_key(built.transforms, FINGERPRINTS[spec]) or nil,
  }
end

-- The canonical text of a job's key, serialize.encode(key) (what the cache
-- hashes and stores), made from its fields' texts: the encoder writes a
-- table of name keys as {name=value,...} in byte order of the names, the
-- order of KEY_FIELDS. The fields every job of a plan shares (datasets,
-- engine, normalize) are encoded once into `texts`, and so is the transform
-- field when same_transform (the sweep's own list, not a function of p);
-- model_text, when given, is the model field's text (once per memoised
-- model); the rest per job.
local KEY_FIELDS = { "loss", "model", "nnlab", "normalize", "optimizer", "params", "scheduler", "test", "train",
                     "transform", "valid" }
local SHARED_FIELDS = { nnlab = true, normalize = true, test = true, train = true, valid = true }
local function key_text(key, texts, model_text, same_transform)
  local parts = { "{" }
  for _, field in ipairs(KEY_FIELDS) do
    local value = key[field]
    if value ~= nil then
      local text
      if SHARED_FIELDS[field] or (field == "transform" and same_transform) then
        text = texts[field] or serialize.encode(value)
        texts[field] = text
      elseif field == "model" and model_text then
        text = model_text
      else
        text = serialize.encode(value)
      end
      parts[#parts + 1] = field .. "=" .. text .. ","
    end
  end
  parts[#parts + 1] = "}"
  return table.concat(parts)
end
sweep.key_text = key_text

local function layers_text(layers)
  local parts = {}
  for _, l in ipairs(layers) do
    if l.kind == "Linear" then parts[#parts + 1] = ("Linear(%d→%d)"):format(l.in_features, l.out_features)
    elseif l.kind == "Dropout" then parts[#parts + 1] = ("Dropout(%s)"):format(nn.float_text(l.p))
    else parts[#parts + 1] = l.kind end
  end
  return table.concat(parts, " → ")
end

-- "StepLR(step_size=2, gamma=0.5)": a schedule as the report names it; nil for none.
local SCHEDULERS = { step = { "StepLR", "step_size", "gamma" }, exponential = { "ExponentialLR", "gamma" },
                     cosine = { "CosineAnnealingLR", "t_max", "eta_min" } }
local function schedule_text(schedule)
  local names = schedule and SCHEDULERS[schedule.kind]
  if not names then return nil end
  local parts = {}
  for i = 2, #names do
    parts[#parts + 1] = ("%s=%s"):format(names[i] == "t_max" and "T_max" or names[i], runs.value_text(schedule[names[i]]))
  end
  return ("%s(%s)"):format(names[1], table.concat(parts, ", "))
end

local function optimizer_text(config)
  local parts = {}
  for _, k in ipairs(sorted_keys(config)) do
    local v = config[k]
    if k ~= "kind" and not (v == 0 or v == false) then parts[#parts + 1] = ("%s=%s"):format(k, runs.value_text(v)) end
  end
  return ("%s(%s)"):format(config.kind, table.concat(parts, ", "))
end

-- What a finished classifier keeps for the pictures: its predictions record
-- (nnlab.notebook.predictions) over the test loader, and the writers of the
-- files beside its cache entry (the weights, deflated, and the predictions);
-- nil when they cannot be kept (more classes than the record holds).
local function picture_files(model, loss, test_loader)
  local _, outputs = model:sizes()
  local pass = core.predict(model, loss, test_loader)
  local record, text = predictions.record(pass.label, pass.pred, pass.confidence, outputs)
  if not record then return nil end
  return record, { model = function(path) return model:save(path, { deflate = true }) end,
                   pred = function(path) return files.write_atomic(path, text) end }
end

-- Trains one job (in a worker) and stores its result in the cache.
local function train_job(spec, job, send, store)
  local p = job.p
  local built = build(spec, p, job.variation.defined)
  local transform = #built.transforms > 0 and built.transforms or nil
  local train_loader = data.DataLoader(spec.train, { batch_size = p.batch_size, shuffle = p.shuffle,
                                                     seed = p.seed, normalize = spec.normalize, transform = transform })
  -- evaluation passes take the same transforms, made deterministic (a crop takes the centre)
  local test_loader = data.DataLoader(spec.test, { batch_size = p.test_batch_size, normalize = spec.normalize,
                                                   transform = transform })
  local started = proc.clock()
  local history = train.fit {
    model = built.model, loss = built.loss, optimizer = built.optimizer, scheduler = built.scheduler,
    train = train_loader, test = test_loader, epochs = p.epochs, diverge_factor = p.diverge_factor,
    -- eval_train = true: also measure the training set in eval mode after each epoch
    train_eval = p.eval_train == true and data.DataLoader(spec.train, { batch_size = p.test_batch_size,
                                                                        normalize = spec.normalize,
                                                                        transform = transform }) or nil,
    valid = spec.valid and data.DataLoader(spec.valid, { batch_size = p.test_batch_size, normalize = spec.normalize,
                                                         transform = transform }) or nil,
    on_epoch = function(s)
      send { kind = "epoch", epoch = s.epoch, test_acc = s.test_acc }
    end,
  }
  local seconds = proc.clock() - started
  local kept = {}
  for i, h in ipairs(history) do
    kept[i] = {}
    for _, f in ipairs(HISTORY_FIELDS) do kept[i][f] = h[f] end
  end
  -- What the pictures need (nnlab.notebook.pictures): the test set's
  -- predictions and the final weights, for classifiers that did not diverge
  local pictures, beside
  if not history.diverged and spec.test:info().targets == 0 then
    pictures, beside = picture_files(built.model, built.loss, test_loader)
  end
  local ok, err = store(job.key, { history = kept, diverged = history.diverged, seconds = seconds,
                                   pictures = pictures }, beside)
  if not ok then error(err, 0) end
end

-- ctx.save(model [, { normalize = { mean, std }, transform = list }]) of a
-- run function: checks the model against the test data at the user's line
-- and writes it to path (a scratch file beside the job's entry; each call
-- replaces the last); `kept` records how the test set is read: normalize,
-- and the transforms (data.Normalize per feature; random ones are off there).
local function model_saver(spec, path, kept)
  return function(model, opts)
    if getmetatable(model) ~= core.metatable("nnlab.Net") or not pcall(model.sizes, model) then
      raise("ctx.save: expected a model (nn.Sequential { ... }), got a %s", type(model))
    end
    opts = options.check("ctx.save", opts, { normalize = options.optional "table", transform = options.optional "any" })
    if opts.normalize then options.check("ctx.save: normalize", opts.normalize, { mean = 0.0, std = 1.0 }) end
    local transforms = data.transform_list(opts.transform, "ctx.save")
    for _, t in ipairs(transforms) do
      if t.kind == "lambda" then
        raise("ctx.save: transform: a data.Lambda runs in training passes only, never on the test set the "
              .. "pictures read: give the transforms the test set is read with (data.Normalize, say)")
      end
    end
    local inputs, outputs = model:sizes()
    local info = spec.test:info()
    local rows, cols = info.rows, info.cols
    if #transforms > 0 then -- the samples the model sees: after the transforms (a crop's window)
      local out_rows, out_cols_or_err = core.transforms_check(transforms, rows, cols)
      if not out_rows then raise("ctx.save: transform does not fit the test data: %s", out_cols_or_err) end
      rows, cols = out_rows, out_cols_or_err
    end
    if inputs ~= rows * cols then
      raise("ctx.save: the model takes %d input features, but the test data has %d per sample%s", inputs,
            rows * cols, #transforms > 0 and " after the transforms" or "")
    end
    if info.targets == 0 and outputs < info.classes then
      raise("ctx.save: the model gives %d outputs, but the test data has %d classes", outputs, info.classes)
    end
    local ok, err = model:save(path)
    if not ok then raise("ctx.save: %s", err) end
    kept.normalize = opts.normalize and { mean = opts.normalize.mean, std = opts.normalize.std }
    kept.transform = #transforms > 0 and transforms or nil
    kept.path = path
  end
end

-- What a data or model read inside a run function says: its key would miss the file.
local READ_IN_RUN = {
  data = "lab.sweep: run(p, ctx) reads the data file %s itself, and the run's cache key holds the "
    .. "function's code, not the file's contents, so an edited file would not retrain it: read the data before "
    .. "lab.sweep (a dataset the function uses is keyed by its contents) or give it as train, test or valid",
  model = "lab.sweep: run(p, ctx) loads the model file %s itself, and the run's cache key holds the "
    .. "function's code, not the file's contents, so an edited file would not retrain it: load it with "
    .. "nnlab.load before lab.sweep (a model the function closes over is keyed by its layers and weights)",
  code = "lab.sweep: run(p, ctx) loads %s itself, and the run's cache key holds the function's code, not "
    .. "what it loads, so an edited file would not retrain it: require it before lab.sweep (a module the "
    .. "function closes over is keyed by its code)",
}

-- Refuses Lua's own ways to load code from a file (require of a module not
-- Lua's or nnlab's, fingerprint.library_module, which a key names; dofile,
-- loadfile) until the returned function restores
-- them (data.check_code_read words it). require is refused where it looks
-- for a module's file, package.searchers, too: a `local require = require`
-- taken before the sweep goes there.
local function refuse_code_loading()
  local saved = { require = require, dofile = dofile, loadfile = loadfile }
  local searchers = package.searchers
  _G.require = function(name, ...)
    if not fingerprint.library_module(name) then
      data.check_code_read(("the module %s"):format(errors.path(name)))
    end
    return saved.require(name, ...)
  end
  _G.dofile = function(path, ...)
    data.check_code_read(("the file %s"):format(errors.path(path)))
    return saved.dofile(path, ...)
  end
  _G.loadfile = function(path, ...)
    data.check_code_read(("the file %s"):format(errors.path(path)))
    return saved.loadfile(path, ...)
  end
  package.searchers = { function(name)
    if not fingerprint.library_module(name) then
      data.check_code_read(("the module %s"):format(errors.path(name)))
    end
    local why = {}
    for _, searcher in ipairs(searchers) do
      local loader, extra = searcher(name)
      if type(loader) == "function" then return loader, extra end
      if type(loader) == "string" then why[#why + 1] = loader end
    end
    return table.concat(why)
  end }
  return function()
    for k, v in pairs(saved) do _G[k] = v end
    package.searchers = searchers
  end
end

-- Whether an epoch's training loss is a number that is not finite.
local function loss_not_finite(h)
  local loss = h.train_loss
  return type(loss) == "number" and not (math.abs(loss) < math.huge)
end

-- Marks the epoch at which a diverged run diverged (diverged = true), as
-- fit's history does, when no epoch says so: the first with a training loss
-- that is not finite, else the last. results.csv reads it.
local function mark_divergence(history)
  for _, h in ipairs(history) do if h.diverged == true then return end end
  for _, h in ipairs(history) do
    if loss_not_finite(h) then h.diverged = true return end
  end
  if #history > 0 then history[#history].diverged = true end
end

-- Trains one job of a sweep with its own run function (in a worker): run(p,
-- ctx) returns the history, checked like a cached result, and stored. When
-- run saved a model (ctx.save), its test-set predictions and weights are
-- kept for the pictures as a built-in run's are; the entry then records
-- the saved model's own test accuracy when it is not the history's last.
local function run_custom_job(spec, job, send, store, scratch)
  local p = {}
  for k, v in pairs(job.p) do p[k] = v end
  local saved = {}
  local _ <close> = setmetatable({}, { __close = function() if saved.path then os.remove(saved.path) end end })
  local ctx = {
    seed = job.p.seed, train = spec.train, test = spec.test, valid = spec.valid,
    -- ctx.progress { epoch = e, test_acc = a }: the progress display's line of this run
    progress = function(stats)
      if type(stats) == "table" and math.type(stats.epoch) == "integer" then
        send { kind = "epoch", epoch = stats.epoch, test_acc = tonumber(stats.test_acc) }
      end
    end,
    save = model_saver(spec, scratch, saved),
  }
  local refused_before, restore = data.refuse_reads(READ_IN_RUN), refuse_code_loading()
  local _ <close> = setmetatable({}, { __close = function() data.refuse_reads(refused_before) restore() end })
  local started = proc.clock()
  -- models made without a seed take seeds of the job's own, as in a built-in run:
  -- the seeds would otherwise train one model N times (and the report show N
  -- seeds). Spaced 2^20 apart, so that a job's second model (an ensemble's, a
  -- teacher's) is not the next seed's first.
  require("nnlab.nn").manual_seed(job.p.seed * SEED_SPACING)
  local history = errors.call(spec.run, p, ctx)
  if type(history) ~= "table" or #history == 0 then
    raise("lab.sweep: run(p, ctx) returned a %s, not a history (a list of per-epoch tables, as nnlab.fit returns)",
          type(history))
  end
  local kept = {}
  local regression = spec.test:info().targets > 0
  for i, h in ipairs(history) do
    if type(h) ~= "table" then raise("lab.sweep: run(p, ctx)'s history: entry %d is not a table", i) end
    kept[i] = { epoch = i }
    for _, f in ipairs(HISTORY_FIELDS) do
      if f ~= "epoch" and h[f] ~= nil then kept[i][f] = h[f] end
    end
    -- regression targets have no accuracy: it reads 0, as in fit's history
    if regression and kept[i].train_acc == nil then kept[i].train_acc = 0 end
  end
  if history.diverged ~= nil and type(history.diverged) ~= "boolean" then
    raise("lab.sweep: run(p, ctx)'s history: diverged is a %s, not a boolean", type(history.diverged))
  end
  local result = { history = kept, diverged = history.diverged == true or sweep.history_diverged(kept),
                   seconds = proc.clock() - started }
  if result.diverged then mark_divergence(kept) end
  local ok, why = sweep.check_result(result)
  if not ok then
    raise("lab.sweep: run(p, ctx)'s history: %s (each epoch needs %s; test_acc, test_loss and the others where "
          .. "measured)", why, regression and "a train_loss number" or "train_loss and train_acc numbers")
  end
  local beside
  local wanted = saved.path and not result.diverged and not regression
  local loaded, err
  if wanted then loaded, err = core.net_load(saved.path) end
  local model <close> = loaded -- open until its writer below has stored it
  if wanted then
    if not model then raise("lab.sweep: the model ctx.save wrote cannot be read back: %s", err) end
    local test_loader <close> = data.DataLoader(spec.test, { batch_size = 1000, normalize = saved.normalize,
                                                             transform = saved.transform })
    result.pictures, beside = picture_files(model, nn.CrossEntropyLoss(), test_loader)
    local record, last = result.pictures, kept[#kept].test_acc
    if record and not predictions.check(record, last) then -- a model saved at another epoch (an early stop's best)
      local correct = 0
      for k = 0, record.classes - 1 do correct = correct + predictions.cell(record, k, k) end
      record.test_acc = 100 * correct / record.count
    end
  end
  ok, why = store(job.key, result, beside)
  if not ok then error(why, 0) end
end

--- sweep.history_diverged(history) -> whether a run's epochs say it
--- diverged as fit's history does: an epoch's diverged flag (a loop of
--- one-epoch fits sets only that), or a training loss that is not finite.
function sweep.history_diverged(history)
  for _, h in ipairs(history) do
    if h.diverged == true or loss_not_finite(h) then return true end
  end
  return false
end

--- sweep.check_result(result) -> true, or nil and what is wrong: whether a
--- result read back from the cache has the shape train_job stores (a history
--- of epochs 1, 2, ... with a number or nothing in each numeric field, a
--- boolean diverged flag, the training time). The cache is outside input:
--- a file that parses but holds something else is damaged, not trusted.
function sweep.check_result(result)
  local history = result.history
  if type(history) ~= "table" or #history == 0 then return nil, "no history in it" end
  if type(result.seconds) ~= "number" then return nil, "no training time in it" end
  if result.diverged ~= nil and type(result.diverged) ~= "boolean" then return nil, "a malformed diverged flag" end
  for i = 1, #history do
    local h = history[i]
    if type(h) ~= "table" or h.epoch ~= i then return nil, ("epoch %d of its history is malformed"):format(i) end
    for _, field in ipairs(HISTORY_FIELDS) do
      local value = h[field]
      if value ~= nil and type(value) ~= HISTORY_TYPES[field] then
        return nil, ("epoch %d: %s is a %s, not a %s"):format(i, field, type(value), HISTORY_TYPES[field])
      end
    end
    if type(h.train_loss) ~= "number" or type(h.train_acc) ~= "number" then
      return nil, ("epoch %d has no training loss or accuracy"):format(i)
    end
  end
  -- entries from before the pictures have none; a run with pictures keeps its weights beside
  if result.pictures ~= nil then
    local ok, why = predictions.check(result.pictures, history[#history].test_acc)
    if not ok then return nil, why end
    if type(result.beside) ~= "table" or result.beside.model == nil then return nil, "no weights beside it" end
    if result.beside.pred ~= 3 * result.pictures.count then return nil, "no predictions beside it" end
  end
  return true
end

local function outcome_text(result, regression)
  local last = result.history[#result.history]
  if result.diverged then return ("diverged at epoch %d"):format(last.epoch) end
  local measure = regression and last.test_loss and ("test loss %.4g"):format(last.test_loss)
                  or ("test acc %.2f %%"):format(last.test_acc or 0) -- a regression run's accuracy reads 0
  return ("%s after %d epoch%s, %.1f s"):format(measure, last.epoch, last.epoch == 1 and "" or "s", result.seconds)
end

-- The variations of a sweep with their labels and parameters, and the varied keys.
local function expand(spec)
  local variations, keys
  if spec.variations then variations, keys = listed(spec.variations)
  elseif spec.vary then variations, keys = grid(spec.vary)
  else variations, keys = { { values = {} } }, {} end
  -- every name a variation's p may hold (listed variations may leave some out)
  local defined = {}
  for k in pairs(DEFAULTS) do defined[k] = true end
  for k in pairs(spec) do
    if not STRUCTURE[k] then defined[k] = true end
  end
  for _, k in ipairs(keys) do defined[k] = true end
  local labels, meta = {}, params_meta(shared_params(spec))
  for _, v in ipairs(variations) do
    if not v.label then
      local parts = {}
      for _, k in ipairs(keys) do
        if v.values[k] ~= nil then parts[#parts + 1] = ("%s=%s"):format(k, runs.value_text(v.values[k])) end
      end
      v.label = #parts > 0 and table.concat(parts, ", ") or "baseline"
    end
    if labels[v.label] then raise("lab.sweep: two variations are labelled '%s'", v.label) end
    labels[v.label] = true
    v.params, v.values = variation_params(spec, v.values, meta), nil
    v.defined = defined
    v.seeds = {}
  end
  return variations, keys
end

-- "3 features" or "8x8 images": samples of rows x cols, as messages name them.
local function shape_text(rows, cols)
  return rows == 1 and ("%d features"):format(cols) or ("%dx%d images"):format(rows, cols)
end

-- Whether the sweep's transforms are one list for every job (not a function
-- of p): checked once per sample shape (check_fits) and encoded once per
-- plan (key_text).
local function one_transform_list(spec) return type(spec.transform) ~= "function" end

-- What a dataset's targets are, for messages.
local function data_kind(info)
  if info.targets == 0 then return "class labels" end
  return ("%d regression target%s"):format(info.targets, info.targets == 1 and "" or "s")
end

-- For a set of targets built from Lua values, the hint that class labels
-- are an integer tensor (PyTorch's torch.tensor([0, 1]) is one; nnlab.tensor
-- is float, so y of 0s and 1s reads as regression targets); else "".
local function labels_hint(ds)
  local source = data.source(ds)
  if not (source and source.source == "values") then return "" end
  return " (built from a float tensor or rows of numbers: class labels are nnlab.labels { ... })"
end

-- The model must take the data's samples and give a score per class: checked
-- before anything trains, at the user's lab.sweep line, not in a worker mid-run.
-- infos: each dataset's ds:info() (train, test, valid), read once per plan.
local function check_fits(spec, model, transforms, label, infos)
  local inputs, outputs = model:sizes()
  local chain = {} -- what the loader checks (a Lambda runs after it, in Lua)
  for _, t in ipairs(transforms) do if t.kind ~= "lambda" then chain[#chain + 1] = t end end
  for _, which in ipairs { "train", "test", spec.valid and "valid" or nil } do
    local info = infos[which]
    local rows, cols = info.rows, info.cols
    if #chain > 0 then
      -- the engine's own check of the chain on these samples: in each worker it failed every run.
      -- One list for every job is checked once per shape (a Normalize's values are copied for
      -- each check, 16 µs at 784 features)
      local memo = one_transform_list(spec) and FINGERPRINTS[spec]
      if memo then memo.chain_checks = memo.chain_checks or {} end
      local shape_key = rows .. "x" .. cols
      local checked = memo and memo.chain_checks[shape_key] or { core.transforms_check(chain, rows, cols) }
      if memo then memo.chain_checks[shape_key] = checked end
      local out_rows, out_cols_or_err = checked[1], checked[2]
      if not out_rows then
        raise("lab.sweep: the transforms of %s do not fit the %s data (%s): %s", label, which, shape_text(rows, cols),
              out_cols_or_err)
      end
      rows, cols = out_rows, out_cols_or_err
    end
    if inputs ~= rows * cols then
      raise("lab.sweep: the model of %s takes %d input features, but the %s data has %d per sample (%s)",
            label, inputs, which, rows * cols, shape_text(rows, cols))
    end
    if info.targets > 0 and outputs ~= info.targets then
      raise("lab.sweep: the model of %s gives %d outputs, but the %s data has %s%s",
            label, outputs, which, data_kind(info), labels_hint(spec[which]))
    end
    if info.targets == 0 and outputs < info.classes then
      local counts = spec[which]:label_counts()
      raise("lab.sweep: the model of %s gives %d outputs, but the %s data has %d classes%s",
            label, outputs, which, info.classes, counts[1] == 0 and outputs == info.classes - 1 and
            " (class 0 has no sample: do the labels count from 1? they count from 0, as PyTorch's)" or "")
    end
  end
end

-- The datasets of a sweep must be of one kind, and class k one class in all
-- of them:
-- - class labels in one and regression targets in another (regression = true
--   forgotten on one file) would score one against the other's numbers;
-- - two CSV files read apart name their string classes each in its own
--   first-seen order, so a test file that starts with another class would
--   be scored against swapped labels: refused, naming the first class the
--   two disagree on;
-- - a CSV file whose labels are numbers but one ('NA') names every class,
--   in first-seen order, where the other dataset numbers them: refused too.
-- - a uint8 set (read as x / 255, in [0, 1]) beside a float one whose values
--   go well past [0, 1] (pixels 0-255 saved as floats, or standardised
--   ones) would score a model on inputs of another scale than it trained on.
-- Before those, a training set of class labels that nnlab trains a
-- classifier on (no run function of the user's) needs two classes with
-- samples: with one, the classifier scores 100 % by always saying it (a CSV
-- whose label is its first column, read with the default target, the last).
-- sets: { train = ds, test = ds, valid = ds or nil }; infos: their :info().
local function check_same_data(sets, infos, own_run)
  local train = infos.train
  if train.targets == 0 and not own_run then
    local with_samples = {}
    for c, n in ipairs(sets.train:label_counts()) do
      if n > 0 then with_samples[#with_samples + 1] = c end
    end
    if #with_samples < 2 then
      local source = data.source(sets.train)
      local one = with_samples[1]
      raise("lab.sweep: the train data has samples of %s: a classifier learns nothing from it%s",
            one and ("one class only (%s)"):format(train.class_names and errors.value(train.class_names[one])
                                                   or tostring(one - 1)) or "no class",
            source and source.source == "csv" and " (is the label the right column? data.csv takes the last one "
                                                  .. "unless target = names another)" or "")
    end
  end
  for _, which in ipairs { "test", "valid" } do
    local other = infos[which]
    if other and other.dtype ~= train.dtype then
      local float_one = train.dtype == "uint8" and which or "train"
      local lowest, highest = sets[float_one]:value_range()
      if lowest < -0.5 or highest > 1.5 then
        local bytes_one = float_one == "train" and which or "train"
        raise("lab.sweep: the %s data is uint8, read as x / 255 (0 to 1), but the %s data is float32 with values "
              .. "from %.4g to %.4g: the model would be scored on inputs of another scale than it trained on; "
              .. "scale the float data to 0-1 (x / 255), or give both sets in one type", bytes_one, float_one,
              lowest, highest)
      end
    end
    if other and (train.targets > 0) ~= (other.targets > 0) then
      raise("lab.sweep: the train data has %s but the %s data has %s: give both the same kind (data.csv's "
            .. "regression = true on both files, say)", data_kind(train), which, data_kind(other))
    end
    local names, other_names = train.class_names, other and other.class_names
    local k = other and data.first_class_mismatch(train, other)
    if k then
      raise("lab.sweep: class %d is %s in the train data but %s in the %s data (CSV files name "
            .. "string classes in first-seen order): give both the same classes = { ... } list",
            k, errors.value(names[k + 1]), errors.value(other_names[k + 1]), which)
    end
    if other and train.targets == 0 and (names == nil) ~= (other_names == nil) then
      local named, numbered = names and "train" or which, names and which or "train"
      local source = data.source(sets[named])
      if source and source.first_seen_names then
        local shown = {}
        for k = 1, math.min(4, #source.classes) do shown[k] = errors.value(source.classes[k]) end
        raise("lab.sweep: the %s data names its classes in the order its CSV file first shows them (%s%s: a "
              .. "label that is not a number makes every label a name), but the %s data numbers them: give "
              .. "both the same classes = { ... } list, or mend the labels", named, table.concat(shown, ", "),
              #source.classes > 4 and ", ..." or "", numbered)
      end
    end
  end
end

-- The cache key of one job (variation v with parameters p) and its expected
-- cost (parameters × epochs × training samples); the first job of a
-- variation also sets the variation's texts for the report. A sweep with its
-- own run function is keyed by the function's code and the parameters.
-- memo: the planning pass's model memo (new_memo); infos: as check_fits's.
local function key_and_cost(spec, v, p, reads, identities, memo, infos)
  if spec.run then
    v.model_text = v.model_text or "run(p, ctx)"
    return custom_job_key(spec, p, identities), (p.epochs or 1) * #spec.train
  end
  local built = build(spec, p, v.defined, reads, memo)
  -- Only the key is needed here (the worker builds its own): the model and
  -- optimizer are freed at the end of this call, not when Lua's collector,
  -- which does not see their C buffers, gets round to them; a memoised
  -- model is the memo's to close.
  local model = built.model
  local _ <close> = not built.memo and model or nil
  local _ <close> = built.optimizer
  check_fits(spec, model, built.transforms, v.label, infos)
  -- regression targets train with MSE: the default cross entropy failed
  -- every run in the workers, its message not naming the sweep's loss option
  if infos.train.targets > 0 and core.loss_kind(built.loss) == "cross_entropy" then
    raise("lab.sweep: the data has regression targets, which %s would train with cross entropy%s: give the sweep "
          .. "loss = function(p) return nn.MSELoss() end%s", v.label, spec.loss and "" or " (the default loss)",
          labels_hint(spec.train))
  end
  local key = job_key(spec, p, built, identities)
  if not v.model_text then
    v.transform_text = #built.transforms > 0 and data.describe_transforms(built.transforms) or nil
    v.model_text = layers_text(key.model.layers)
    v.optimizer_text = optimizer_text(built.optimizer_config)
    v.loss_text = key.loss
    v.schedule_text = schedule_text(built.schedule)
  end
  local entry = built.memo
  if entry then entry.key_text = entry.key_text or serialize.encode(key.model) end
  return key, model:num_parameters() * p.epochs * #spec.train, entry and entry.key_text
end

-- An lr as the user set it. Entries cached before optimizers kept the
-- asked-for double hold the float32 the engine used (0.0010000000474975):
-- such a value reads back as the shortest number with that float32 (0.001).
-- A double that is no float32 (what optimizers give now) is kept as it is.
local function lr_as_set(lr)
  if math.type(lr) ~= "float" or string.unpack("f", string.pack("f", lr)) ~= lr then return lr end
  return tonumber(nn.float_text(lr))
end

-- What a variation keeps of one run: its seed and result (a cache entry's,
-- with its path when it has pictures), its history packed (runs.pack_history).
-- Each lr of the history reads as set. diverged and cached are kept only
-- when not false and true, which the record's metatable gives: the table of
-- a sweep's usual record (10^5 cached runs) holds three fields, not five.
-- A cache key's view of a record (sweep.code_fingerprint) is its result:
-- not whether it came from the cache, its time or where its entry lies.
local RECORD_DEFAULTS = { __index = { diverged = false, cached = true },
                          __fingerprint = function(r) return { seed = r.seed, history = r.history,
                                                               diverged = r.diverged, pictures = r.pictures } end }
local function seed_record(seed, r, cached, entry_path)
  for _, h in ipairs(r.history) do h.lr = lr_as_set(h.lr) end
  -- (read from the history too: an entry a run function stored before the
  -- epoch flags and non-finite losses counted)
  local diverged = r.diverged == true or sweep.history_diverged(r.history)
  if diverged then mark_divergence(r.history) end
  local record = setmetatable({ seed = seed, history = runs.pack_history(r.history), seconds = r.seconds },
                              RECORD_DEFAULTS)
  if diverged then record.diverged = true end
  if not cached then record.cached = false end
  if r.pictures then record.pictures, record.stored = r.pictures, entry_path and { path = entry_path } end
  return record
end

-- One job per (variation, seed), with its cache key (its objects are built
-- once here for that, and freed at once, so that memory does not grow with
-- the number of jobs) and its cached result unless forced. Returns every job
-- and those to train, longest first (parameters × epochs × samples), so that
-- no long job starts last, and each job's variation (owners[i] is jobs[i]'s).
-- A cached job is returned as its variation's record of it (seed_record):
-- its key, parameters and label are dropped at once, so that a big sweep's
-- jobs do not pile up (10^5 cached runs). When planning (context.planning),
-- a job holds its key as text (key_text, entry_name), not as tables. A caught
-- signal stops it between jobs. Two jobs of one key (two variations with the
-- same settings) train once: the second is the first's twin (job.twin), not
-- in to_train, and takes its result.
--- sweep.label_error(e) -> e, with the variation and seed lab.sweep was
--- building a model for when e was raised added to its first line (an error
--- handler calls it before the stack unwinds); the sweep's own refusals
--- (lab.sweep: ...) and interruptions are left as they are.
function sweep.label_error(e)
  if not sweep.building or type(e) ~= "string" or e:find("interrupted by SIG", 1, true)
     or e:find("lab.sweep:", 1, true) then
    return e
  end
  local first, rest = e:match("^([^\n]*)(.*)$")
  return ("%s (%s)%s"):format(first, sweep.building, rest)
end

-- sweep.building = label until the returned value is closed (a <close>
-- local: also when an error unwinds past it).
local BUILDING = { __close = function() sweep.building = nil end }
local function building(label)
  sweep.building = label
  return setmetatable({}, BUILDING)
end

local function plan(spec, variations, seeds, context, reads, seeds_of)
  local identities = { train = dataset_identity(spec.train), test = dataset_identity(spec.test),
                       valid = spec.valid and dataset_identity(spec.valid) or nil }
  local infos = { train = spec.train:info(), test = spec.test:info(), valid = spec.valid and spec.valid:info() }
  check_same_data({ train = spec.train, test = spec.test, valid = spec.valid }, infos, spec.run ~= nil)
  local memo <close> = sweep.memoise and not spec.run and new_memo() or nil
  local texts, checked = {}, false -- the key fields' texts every job shares (key_text)
  local jobs, to_train, owners = {}, {}, {}
  local training = {} -- key text -> the job that trains it
  for _, v in ipairs(variations) do
    for _, seed in ipairs(seeds_of and seeds_of(v) or seeds) do
      workers.check_interrupt() -- Ctrl-C stops a long planning here
      owners[#jobs + 1] = v
      local p = {}
      for k, value in pairs(v.params) do p[k] = value end
      p.seed = seed
      -- key_and_cost builds the variation's model here, in this process: an
      -- error there (model(p) raised, a model too large for memory) is named
      -- with the variation and seed (sweep.building, which nnlab.cli's error
      -- handler reads before the stack unwinds; unwinding clears it)
      local key, cost, model_text
      do
        local _ <close> = building(("variation %s, seed %d"):format(v.label, seed))
        key, cost, model_text = key_and_cost(spec, v, p, reads, identities, memo, infos)
      end
      local result, entry_path, text
      if context.planning or not context.force then
        -- one transform list for every job is encoded once (a 784-wide Normalize's values
        -- took 1 ms a job)
        text = not spec.run and key_text(key, texts, model_text, one_transform_list(spec)) or nil
        -- the first job checks the text against the encoder's, whole (every job with
        -- sweep.check_key_texts, for tests)
        if text and (not checked or sweep.check_key_texts) then
          checked = true
          if text ~= serialize.encode(key) then error("lab.sweep: internal error: a key's text is not canonical", 0) end
        end
      end
      if not (context.force or context.planning) then
        result, entry_path = context.cache:get(key, sweep.check_result, text)
      end
      if result then
        jobs[#jobs + 1] = seed_record(seed, result, true, entry_path)
      else
        -- (epochs is nil when a run function's sweep leaves them to the function)
        local job = { index = #jobs + 1, variation = v, seed = seed, p = p, epochs = p.epochs,
                      label = ("%s seed %d"):format(v.label, seed), key = key, cost = cost }
        if context.planning then -- a plan keeps the key as its text (plan.key reads it back), not its tables
          job.key_text = text or serialize.encode(key)
          job.entry_name, job.key = context.cache.entry_name(job.key_text), nil
        end
        jobs[#jobs + 1] = job
        local twin = text and not context.planning and training[text]
        if twin then
          job.twin = twin
        else
          if text then training[text] = job end
          to_train[#to_train + 1] = job
        end
      end
    end
  end
  table.sort(to_train, function(a, b)
    if a.cost ~= b.cost then return a.cost > b.cost end
    return a.index < b.index
  end)
  return jobs, to_train, owners
end

-- The cause when a run failed for want of room in the cache folder dir: its
-- result's store ("cannot write DIR/HASH.lua: No space left on device",
-- cache:put) or ctx.save's model file there ("ctx.save: DIR/.HASH.saved...:
-- writing the model failed: No space left on device"): no later run can be
-- kept either. A run's own failure for want of room elsewhere (its scratch
-- disk) is not.
local function out_of_room(message, dir)
  message = message or ""
  local cause = message:match("(No space left on device)$") or message:match("(Disk quota exceeded)$")
  return cause and message:find(dir .. "/", 1, true) and cause or nil
end

--- sweep.not_started_text(count, dir, cause) -> why `count` runs were not
--- started: the cache folder `dir` ran out of room.
function sweep.not_started_text(count, dir, cause)
  return ("%d run%s not started: the cache folder %s has no room (%s); free some space, or give another folder "
          .. "with --cache DIR"):format(count, count == 1 and " was" or "s were", dir, cause)
end

-- Trains the jobs in workers; returns a line per job that failed, and when
-- the cache folder ran out of room (a run's store failed so), the jobs not
-- started for it: { count, line } (the cache remembers it: a later sweep of
-- the same command starts none).
local function train_all(spec, to_train, context)
  local display, failed, full = context.display, {}, context.cache.no_room
  local regression = spec.test:info().targets > 0 -- its progress lines give the test loss
  local never_started = full and to_train or workers.run(to_train, {
    parallel = context.parallel,
    work = function(job, send)
      local trainer = spec.run and run_custom_job or train_job
      trainer(spec, job, send, function(key, value, beside) return context.cache:put(key, value, beside) end,
              files.temp_name(context.cache:beside(job.key, "saved")))
    end,
    on_start = function(job) display:started(job) end,
    on_message = function(job, message)
      if type(message) == "table" and message.kind == "epoch" and math.type(message.epoch) == "integer" then
        display:epoch(job, { epoch = message.epoch, test_acc = message.test_acc })
      end
    end,
    on_exit = function(job, outcome)
      if outcome.ok then
        local stored = io.open(select(2, context.cache:locate(job.key)), "rb") -- before get deletes a damaged one
        if stored then stored:close() end
        job.result, job.entry_path = context.cache:get(job.key, sweep.check_result)
        if not job.result then
          outcome = { ok = false, message = stored and "finished, but its cache entry cannot be read"
                                           or "its worker exited without storing a result (os.exit in the run?)" }
        end
      end
      if outcome.ok then
        display:finished(job, outcome_text(job.result, regression))
      elseif outcome.how == "stopped" then
        display:finished(job, "stopped")
      else
        failed[#failed + 1] = ("%s: %s"):format(job.label, outcome.message)
        display:finished(job, "FAILED: " .. outcome.message)
        -- a full cache folder: the runs not yet started would train for nothing
        full = full or out_of_room(outcome.message, context.cache.dir)
      end
      if outcome.pid and not outcome.ok then -- a worker killed while writing leaves its temporary file
        os.remove(files.temp_name(select(2, context.cache:locate(job.key)), outcome.pid))
        local model_tmp = files.temp_name(context.cache:beside(job.key, "model"), outcome.pid)
        os.remove(model_tmp)
        files.remove_save_temporaries(model_tmp, outcome.pid) -- the model file's own (nn_net_save)
        local saved_tmp = files.temp_name(context.cache:beside(job.key, "saved"), outcome.pid) -- ctx.save's
        os.remove(saved_tmp)
        files.remove_save_temporaries(saved_tmp, outcome.pid)
        local pred_tmp = files.temp_name(context.cache:beside(job.key, "pred"), outcome.pid)
        os.remove(pred_tmp)
        os.remove(files.temp_name(pred_tmp, outcome.pid)) -- write_atomic's own
      end
      if full then return "no_more" end
    end,
    on_tick = function() display:tick() end,
  })
  context.cache.no_room = full
  if #never_started > 0 then return failed, { count = #never_started, cause = full } end
  return failed
end

--- sweep.train_jobs(spec, jobs, context) -> a line per job that failed:
--- trains planned jobs (of nnlab.notebook.plan) in workers, as lab.sweep
--- does; context: cache, parallel, display.
sweep.train_jobs = train_all

-- Names the sweep's table defines that nothing reads. A varied key that no
-- model, optimizer or loss function read in any variation makes every
-- variation train the same. A fixed key that nothing reads is a typo when
-- it is two edits from a name nnlab knows (an unknown option) or from a
-- name the sweep's functions read, unless the sweep defines that name too.
-- `reads`: the names the functions read while plan built every job.
local function check_unread(spec, keys, reads)
  local defined = {} -- the names the user gives: fixed and varied
  for k in pairs(spec) do defined[k] = not STRUCTURE[k] or nil end
  for _, k in ipairs(keys) do defined[k] = true end
  local nnlab_names, read_names = {}, {}
  for name in pairs(STRUCTURE) do nnlab_names[name] = true end
  -- (a name the user also gave counts: epoch = 3 beside epochs = 5 is a typo nothing reads)
  for name in pairs(READ_BY_NNLAB) do nnlab_names[name] = true end
  for name in pairs(reads) do read_names[name] = not defined[name] or nil end
  for _, k in ipairs(keys) do
    -- (a sweep's own run function reads p in its workers: what it reads is not known here)
    if not reads[k] and not READ_BY_NNLAB[k] and not spec.run then -- nothing reads it: any near name is the one meant
      local hint = options.suggest(k, READ_BY_NNLAB)
      raise("lab.sweep: '%s' is varied, but the sweep's model, optimizer and loss never read p.%s, " ..
            "so every variation would train the same%s", k, k, hint ~= "" and hint or options.suggest(k, reads))
    end
  end
  for _, k in ipairs(sorted_keys(spec)) do
    if not STRUCTURE[k] and not READ_BY_NNLAB[k] and not reads[k] then
      if options.suggest(k, nnlab_names) ~= "" then options.unknown("lab.sweep", k, nnlab_names) end
      local hint = options.suggest(k, read_names)
      if hint ~= "" then
        raise("lab.sweep: the fixed parameter '%s' is never read by the sweep's model, optimizer or loss%s", k, hint)
      end
    end
  end
end

-- Plans and trains the jobs of (variation, seed) pairs, attaching each
-- result to its variation's seeds; adds to counts. Errors as sweep.run says.
local function run_round(spec, variations, seeds, context, reads, seeds_of, name, counts)
  local jobs, to_train, owners = plan(spec, variations, seeds, context, reads, seeds_of)
  if counts.runs == 0 then check_unread(spec, counts.keys, reads) end
  if context.planning then -- `nnlab plan` and --shard: nothing trains, every run gets a made-up result
    local share = {}
    for _, job in ipairs(jobs) do -- (none is cached: plan looks nothing up when planning; each has its key's text)
      job.result = context.planning.use_cache
                   and context.cache:get(nil, sweep.check_result, job.key_text, job.entry_name)
      if not job.result then
        -- pass 0: a run not cached gets a made-up result, and what later code
        -- chooses from it is not what a real run will choose (cache gc counts these)
        if context.planning.use_cache then context.planning.made_up = (context.planning.made_up or 0) + 1 end
        job.result = plans.made_up_result(context.planning, job, spec)
      end
      plans.record(context.planning, spec, name, job)
      -- a shard's training pass: its runs train here, at the sweep's line, where
      -- the file's variables are what this sweep's functions read
      local wanted = context.planning.wanted
      if wanted and job.entry_name and wanted[job.entry_name] then
        wanted[job.entry_name] = nil
        share[#share + 1] = job
      end
    end
    if #share > 0 then
      context.planning.train(spec, name, share)
      -- training wrote the real results into the jobs: the pass goes on with its
      -- made-up ones, so that it takes pass 1's path (and meets the runs pass 1 met)
      for _, job in ipairs(share) do
        job.result, job.entry_path = plans.made_up_result(context.planning, job, spec), nil
      end
    end
    to_train = {}
  elseif context.no_train and #to_train > 0 then
    local labels = {}
    for i = 1, math.min(#to_train, 5) do labels[i] = to_train[i].label end
    raise("lab.sweep '%s': %d of %d runs are not in the cache %s, and --no-train forbids training them: %s%s",
          name, #to_train, #jobs, context.cache.dir, table.concat(labels, ", "),
          #to_train > 5 and (" (and %d more)"):format(#to_train - 5) or "")
  end
  if #to_train > 0 then
    local writable, why = context.cache:check_writable()
    if not writable then
      raise("lab.sweep '%s': %d of %d runs need training, but %s: nothing was trained (give a writable folder "
            .. "with --cache DIR or NNLAB_CACHE)", name, #to_train, #jobs, why)
    end
  end
  context.display:begin(("%s: %s"):format(context.title, name), #jobs, #to_train, context.parallel)
  local trained, failed, skipped = pcall(function()
    if #to_train == 0 then return {} end
    return train_all(spec, to_train, context)
  end)
  context.display:close()
  if not trained then error(failed, 0) end -- interrupted: the workers are gone, finished runs are cached
  if #failed > 0 then
    local others = #failed > 1 and (" (and %d more:\n  %s)"):format(#failed - 1, table.concat(failed, "\n  ", 2)) or ""
    -- counts.trained: the earlier rounds of this sweep (seeds on demand), cached already
    local after = (#failed + (skipped and skipped.count or 0) < #to_train or counts.trained > 0)
                  and "The finished runs are cached: run again to retry only the failed ones."
                  or "No run finished, so nothing new was cached."
    raise("lab.sweep '%s': %d of %d runs failed: %s%s\n%s%s", name, #failed, #jobs, failed[1], others,
          skipped and sweep.not_started_text(skipped.count, context.cache.dir, skipped.cause) .. "\n" or "", after)
  end
  for _, job in ipairs(jobs) do
    if job.twin then job.result, job.entry_path = job.twin.result, job.twin.entry_path end
  end
  counts.runs, counts.trained = counts.runs + #jobs, counts.trained + #to_train
  counts.cached = counts.runs - counts.trained
  -- each variation's records in job order, the cached ones as plan made them
  for i, job in ipairs(jobs) do
    local seeds_of_v = owners[i].seeds
    seeds_of_v[#seeds_of_v + 1] = job.variation and seed_record(job.seed, job.result, false, job.entry_path) or job
  end
end

-- Seeds on demand look at the verdicts of one metric: one a built-in sweep
-- cannot measure (valid_* without valid, train_eval_acc or gap_eval when no
-- variation sets eval_train) would never ask for a seed, so it is refused
-- before anything trains. (A run function may measure what it likes: its
-- first seeds tell, sweep.run.)
local function check_seeds_metric(spec, variations, metric, regression)
  if regression and runs.is_accuracy(metric) then
    raise("lab.sweep: seeds.metric: %s: this sweep fits regression targets, which have no accuracy (it reads 0 %%): "
          .. "look at a loss, test_loss (the default here) say", metric)
  end
  if spec.run ~= nil then return end
  if (metric == "valid_acc" or metric == "valid_loss") and spec.valid == nil then
    raise("lab.sweep: seeds.metric: %s needs a validation split (valid = ...), and this sweep has none", metric)
  end
  if metric == "train_eval_acc" or metric == "gap_eval" then
    for _, v in ipairs(variations) do
      if v.params.eval_train == true then return end
    end
    raise("lab.sweep: seeds.metric: %s is measured only when the sweep sets eval_train = true", metric)
  end
end

--- sweep.run(spec, context) -> runs. context: cache (nnlab.notebook.cache),
--- force (retrain everything), parallel (jobs at once), display
--- (nnlab.notebook.progress), title (the experiment's name, for progress
--- lines), index (this sweep's number in the file), overridden (the
--- `vary` axes --set replaced: key -> the --set text, or nil; kept on the
--- runs object for the report). Errors in the sweep's
--- table are raised at the user's line (nnlab.errors). Planning (context.
--- planning, a nnlab.notebook.plan pass) trains nothing and gives every run
--- a made-up result; no_train raises when a run is not in the cache.
--- With seeds = { min, max }, every variation gets min seeds; then, at each
--- look of sequential_plan, the variations whose comparison with the best is
--- undecided (and the best) get seeds up to the next size.
function sweep.run(spec, context)
  check_spec(spec)
  FINGERPRINTS[spec] = {} -- anew for each lab.sweep call, even of one table
  local variations, keys = expand(spec)
  local regression = spec.test:info().targets > 0
  local seeds, on_demand = seed_list(spec.seeds, regression and "test_loss" or "test_acc")
  if on_demand then check_seeds_metric(spec, variations, on_demand.metric, regression) end
  local name = spec.name or (#keys > 0 and table.concat(keys, " × ") or ("sweep " .. context.index))
  local started = proc.clock()
  local reads = {}
  local counts = { runs = 0, trained = 0, cached = 0, keys = keys }
  run_round(spec, variations, seeds, context, reads, nil, name, counts)
  local epochs = 0
  for _, v in ipairs(variations) do
    epochs = math.max(epochs, v.params.epochs or 0)
    for _, s in ipairs(v.seeds) do epochs = math.max(epochs, #s.history) end -- a run function's own length
  end
  -- normalize is copied: the spec's table may change after the sweep
  local normalize = spec.normalize and { mean = spec.normalize.mean, std = spec.normalize.std }
  local function result()
    local all, seen = {}, {}
    for _, v in ipairs(variations) do
      for _, s in ipairs(v.seeds) do
        if not seen[s.seed] then seen[s.seed] = true all[#all + 1] = s.seed end
        -- as fit's history says it (lab.table and lab.chart of it then go by the loss);
        -- here, so that seeds added on demand have it too
        if regression then s.history.regression = true end
      end
    end
    table.sort(all)
    return runs.new { name = name, keys = keys, seeds = all, variations = variations,
                      counts = { runs = counts.runs, trained = counts.trained, cached = counts.cached },
                      datasets = { train = spec.train, test = spec.test, valid = spec.valid }, epochs = epochs,
                      normalize = normalize,
                      seconds = proc.clock() - started, overridden = context.overridden, sequential = on_demand,
                      custom = spec.run ~= nil, regression = regression }
  end
  -- A full collection once the sweep's records are made: the generational
  -- collector lets the old generation grow to twice what its last major
  -- collection left, so where that collection fell decided how much of a
  -- big sweep's garbage was still held while the report was made (10^5
  -- cached runs with a table: 261 or 470 MB, by the length of the cache's
  -- path; 290 MB with this collection, which takes about 0.2 s there).
  if not on_demand then
    collectgarbage("collect")
    return result()
  end

  on_demand = sequential_plan(on_demand)
  on_demand.seeds_at_look = { #seeds }
  if context.planning and not context.planning.use_cache then
    -- planning's made-up results decide no comparison, so its looks would add
    -- every seed up to max: the seeds the results ask for are left to the
    -- assembling run, and the plan counts how many there could be
    local planning = context.planning
    planning.on_demand = (planning.on_demand or 0) + (on_demand.max - #seeds) * #variations
    collectgarbage("collect")
    return result()
  end
  for look = 2, on_demand.looks do
    local r = result()
    -- a run function that returns no value of the metric: said, not a sweep that never adds seeds
    if not r:measured(on_demand.metric) then
      raise("lab.sweep: seeds.metric: no run of this sweep has a value of %s after its last epoch, " ..
            "so no verdict can ask for more seeds", on_demand.metric)
    end
    local undecided = r:undecided(on_demand.metric, on_demand.level)
    if #undecided == 0 then break end
    local target, more = on_demand.sizes[look], {}
    for _, v in ipairs(undecided) do
      local have = {}
      for _, s in ipairs(v.seeds) do have[s.seed] = true end
      local add = {}
      for seed = 1, target do if not have[seed] then add[#add + 1] = seed end end
      more[v] = add
    end
    local todo = {}
    for _, v in ipairs(variations) do if more[v] and #more[v] > 0 then todo[#todo + 1] = v end end
    if #todo == 0 then break end
    run_round(spec, todo, nil, context, reads, function(v) return more[v] end, name, counts)
    on_demand.seeds_at_look[#on_demand.seeds_at_look + 1] = target
  end
  for _, v in ipairs(variations) do table.sort(v.seeds, function(a, b) return a.seed < b.seed end) end
  collectgarbage("collect") -- as above
  return result()
end

return sweep
