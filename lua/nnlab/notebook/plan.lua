-- nnlab.notebook.plan: the runs (variation × seed) an experiment file will
-- train, known before any of them has trained, for `nnlab plan` and for
-- `nnlab run --shard I/N` (docs/scale-out.md).
--
-- A file is planned by running it twice with made-up results: in planning
-- mode, lab.sweep trains nothing, records its jobs and hands every run a
-- result drawn at random from the job's key, turned over in the second pass
-- (nothing from the cache, so the plan is the same whatever it holds). A run
-- that both passes plan does not depend on the results of other runs: it is
-- in the plan. A run that only one pass plans was chosen from results (the
-- best lr of an earlier sweep, more seeds for an undecided comparison): it
-- is left to the assembling `nnlab run`, which trains whatever is missing.
-- The plan's hash covers the planned runs' keys (their hashes) in order: shards that
-- compute different plans (a different --set, an edited file or data) have
-- different hashes, and `--shard I/N --plan HASH` refuses a mismatch.
--
-- Shards split the plan without talking to each other: every shard computes
-- the same plan and assigns its runs by the same rule, longest processing
-- time first: runs in order of decreasing cost (parameters × epochs ×
-- training samples; ties by plan index), each to the shard with the least
-- cost so far (ties to the lowest shard number).
local escape = require "nnlab.notebook.escape"
local hash = require "nnlab.notebook.hash"
local json = require "nnlab.notebook.json"
local splitmix = require "nnlab.splitmix"

local plan = {}

--- plan.pass(number) -> the planning state of one pass, for
--- notebook.begin{ planning = ... }: sweeps append { spec, sweep, job } to
--- its jobs. Passes 1 and 2 make up every result; pass 0 takes the cached
--- ones where there are (the runs a real run would use, for `cache gc`).
function plan.pass(number)
  return { number = number, jobs = {}, use_cache = number == 0 }
end

--- plan.entry_names(pass, set) -> set, with the cache file name (HASH.lua)
--- of every job of the pass added.
function plan.entry_names(pass, set)
  for _, e in ipairs(pass.jobs) do set[e.job.entry_name .. ".lua"] = true end
  return set
end

-- A number from 0 to 1 out of a generator.
local function uniform(next_int)
  return ((next_int() >> 11) & ((1 << 53) - 1)) / (1 << 53)
end

--- plan.made_up_result(pass, job, spec) -> a result of the shape training
--- stores (nnlab.notebook.sweep.check_result), every metric drawn from the
--- job's key: accuracies 10–100 %, losses 0–3. The passes are antithetic:
--- where pass 1 draws u, pass 2 takes 1 - u, so that every ranking of runs
--- turns over between them, and a run chosen as the best (or worst) of
--- others is never planned by both.
function plan.made_up_result(pass, job, spec)
  local next_int = splitmix(tonumber(job.entry_name, 16)) -- the key's 64-bit hash
  local function draw()
    local u = uniform(next_int)
    return pass.number == 1 and u or 1 - u
  end
  local function acc() return 10 + 90 * draw() end
  local function loss() return 3 * (1 - draw()) end
  local lr = type(job.p.lr) == "number" and job.p.lr or 0.01
  local history = {}
  local epochs = job.epochs or 1 -- (nil: a run function's own count; one made-up epoch)
  for epoch = 1, epochs do
    history[epoch] = {
      epoch = epoch, train_loss = loss(), train_acc = acc(), test_loss = loss(), test_acc = acc(),
      seconds = draw(), eval_seconds = draw(), lr = lr, diverged = false,
      valid_loss = spec.valid and loss() or nil, valid_acc = spec.valid and acc() or nil,
      train_eval_loss = job.p.eval_train == true and loss() or nil,
      train_eval_acc = job.p.eval_train == true and acc() or nil,
    }
  end
  return { history = history, diverged = false, seconds = epochs * draw() }
end

--- plan.record(pass, spec, sweep_name, job): a job lab.sweep planned. Pass
--- 1 keeps what a shard needs to train the job: its variation, seed,
--- parameters, label, cost and its key as text (plan.key turns it back
--- into the key), not the key's tables or the made-up result; the others
--- keep only its entry name (all plan.combine and plan.entry_names ask of
--- them), so that two passes over 10^5 runs do not hold two sets of keys.
function plan.record(pass, spec, sweep_name, job)
  if pass.number == 1 then
    pass.jobs[#pass.jobs + 1] = { spec = spec, sweep = sweep_name, job = {
      index = job.index, variation = job.variation, seed = job.seed, p = job.p, epochs = job.epochs,
      label = job.label, cost = job.cost, key_text = job.key_text, entry_name = job.entry_name } }
  else
    pass.jobs[#pass.jobs + 1] = { sweep = sweep_name, job = { entry_name = job.entry_name } }
  end
end

--- plan.key(job) -> the cache key of a job pass 1 recorded, read back from
--- its text (the same key: the text is canonical, and checked to be).
function plan.key(job)
  local serialize = require "nnlab.notebook.serialize"
  local key = assert(serialize.decode("return " .. job.key_text, "the plan"))
  assert(serialize.encode(key) == job.key_text, "plan.key: a key that does not read back as itself")
  return key
end

--- plan.assign(entries, n) -> for each entry (with .job.cost, .index) its
--- shard, 0 to n-1, by the rule in the header.
function plan.assign(entries, n)
  local order = {}
  for i = 1, #entries do order[i] = i end
  table.sort(order, function(a, b)
    local ca, cb = entries[a].job.cost, entries[b].job.cost
    if ca ~= cb then return ca > cb end
    return a < b
  end)
  local load, shard_of = {}, {}
  for s = 0, n - 1 do load[s] = 0 end
  for _, i in ipairs(order) do
    local best = 0
    for s = 1, n - 1 do if load[s] < load[best] then best = s end end
    shard_of[i] = best
    load[best] = load[best] + entries[i].job.cost
  end
  return shard_of, load
end

--- plan.combine(first, second, cache) -> the plan of a file from its two
--- passes (pass 1 is kept: its jobs are the ones shards train): { entries
--- (each: spec, sweep, job, index, key, cached), dependent (the runs of
--- pass 1 that pass 2 did not plan), on_demand (how many runs seeds on
--- demand could add, which the results decide), hash, stopped (why a pass
--- ended early, or nil), to_train }.
function plan.combine(first, second, cache)
  -- a run is known by its entry name, the hash of its key's text (as the cache knows it)
  local in_second = {}
  for _, e in ipairs(second.jobs) do in_second[e.job.entry_name] = true end
  local entries, h, to_train, repeated = {}, hash.fnv1a64("nnlab plan 1\n"), 0, 0
  for _, e in ipairs(first.jobs) do
    -- a key planned twice in one pass (two sweeps, or two variations, of one setting) counts once
    if in_second[e.job.entry_name] == false then repeated = repeated + 1 end
    if in_second[e.job.entry_name] then
      in_second[e.job.entry_name] = false
      e.index = #entries + 1
      e.key = e.job.entry_name
      e.cached = cache:get(nil, require("nnlab.notebook.sweep").check_result, e.job.key_text, e.key) ~= nil
      if not e.cached then to_train = to_train + 1 end
      entries[#entries + 1] = e
      h = hash.fnv1a64(e.key .. "\n", h)
    end
  end
  return { entries = entries, dependent = #first.jobs - #entries - repeated, on_demand = first.on_demand or 0,
           hash = hash.hex(h),
           stopped = first.stopped or second.stopped, to_train = to_train }
end

-- The seed the next model made without one takes in a new process (this
-- module loads before any experiment file runs).
local nn = require "nnlab.nn"
local FIRST_SEED = nn.next_seed()

--- plan.passes(opts, numbers, load [, fields]) -> the planning passes
--- (plan.pass, with fields copied into each: a shard's training pass gives
--- wanted and train, see cli.shard) of
--- opts.script by number, run in the order of `numbers` (opts as for
--- notebook.begin; load(path) -> chunk or nil, message), or nil and the
--- message of an error that came before any sweep was planned (a typo, a
--- missing file) or of a caught signal, or that ended every pass at the
--- file's end (a --set key nothing declared). Another error after the first
--- sweep may come from the made-up results: it ends that pass there (its
--- `stopped`).
function plan.passes(opts, numbers, load, fields)
  local notebook = require "nnlab.notebook"
  local errors = require "nnlab.errors"
  local passes = {}
  -- every pass starts where a run's process starts: models made without a
  -- seed take the same seeds in each (a shard's training pass runs third)
  for _, number in ipairs(numbers) do
    nn.manual_seed(FIRST_SEED)
    local pass = plan.pass(number)
    for k, v in pairs(fields or {}) do pass[k] = v end
    local pass_opts = {}
    for k, v in pairs(opts) do pass_opts[k] = v end
    pass_opts.planning, pass_opts.quiet = pass, true
    notebook.begin(pass_opts)
    local chunk, err = load(opts.script)
    if not chunk then return nil, err end
    local ok, msg = xpcall(errors.call, function(e)
      if e == notebook.STOP_PLAN then return e end
      if type(e) ~= "string" then e = tostring(e) end
      return errors.traceback(require("nnlab.notebook.sweep").label_error(e))
    end, chunk)
    if ok then
      ok, msg = pcall(notebook.finish)
      -- the whole file ran and its end failed (a --set key nothing declared):
      -- the run's own error, unless the made-up results of another pass let
      -- it finish (a key a result-chosen sweep varies)
      if not ok then pass.finish_error = tostring(msg) end
    end
    if not ok then
      if require("nnlab.core").proc.caught_signal() then return nil, tostring(msg) end
      if msg ~= notebook.STOP_PLAN and #pass.jobs == 0 then return nil, tostring(msg) end
      pass.stopped = tostring(msg):match("^[^\n]*")
    end
    passes[number] = pass
    -- what the pass's sweeps kept (10^5 runs' records) is garbage now: the
    -- next pass starts from a heap without it, not on top of it
    collectgarbage("collect")
  end
  local every_pass_failed_at_its_end = true
  for _, number in ipairs(numbers) do
    every_pass_failed_at_its_end = every_pass_failed_at_its_end and passes[number].finish_error ~= nil
  end
  -- (a shard's training pass retraces pass 1, which may fail at its end where pass 2 did not)
  if every_pass_failed_at_its_end and not (fields and fields.train) then return nil, passes[numbers[1]].finish_error end
  -- the training steps that follow (a shard's) must not meet planning's stop
  require("nnlab.train").before_training("plan", function() end)
  return passes
end

--- plan.make(opts, load) -> the plan of opts.script (plan.combine of passes
--- 1 and 2, pass 1 last: its jobs, datasets and functions are the ones
--- shards train), or nil and a message as plan.passes says.
function plan.make(opts, load)
  local passes, err = plan.passes(opts, { 2, 1 }, load)
  if not passes then return nil, err end
  local cache = require "nnlab.notebook.cache"
  return plan.combine(passes[1], passes[2], cache.open(cache.default_dir(opts.script, opts.cache)))
end

--- plan.parse_shard(text) -> i, n from "I/N" (0 <= I < N <= 100000), or nil
--- and why not.
function plan.parse_shard(text)
  local i, n = tostring(text):match("^(%d+)/(%d+)$")
  i, n = math.tointeger(tonumber(i)), math.tointeger(tonumber(n))
  local shown = require("nnlab.errors").shown(text)
  if not i or not n then return nil, ("--shard needs I/N (shard I of N, I from 0 to N-1), got '%s'"):format(shown) end
  if n < 1 or n > 100000 then return nil, ("--shard %s: N must be from 1 to 100000"):format(shown) end
  if i >= n then return nil, ("--shard %s: I counts from 0, so it must be below N (%d)"):format(shown, n) end
  return i, n
end

-- Columns text takes on a terminal: East Asian wide characters take two.
local function columns(text)
  local n = 0
  for _, c in utf8.codes(escape.utf8(text), true) do -- bytes that are not UTF-8 as U+FFFD, a column each
    local wide = (c >= 0x1100 and c <= 0x115F) or (c >= 0x2E80 and c <= 0xA4CF) or (c >= 0xAC00 and c <= 0xD7A3)
                 or (c >= 0xF900 and c <= 0xFAFF) or (c >= 0xFE30 and c <= 0xFE4F) or (c >= 0xFF00 and c <= 0xFF60)
                 or (c >= 0xFFE0 and c <= 0xFFE6)
    n = n + (wide and 2 or 1)
  end
  return n
end

local function entry_row(e, shard_of)
  local p = {}
  for k, v in pairs(e.job.variation.params) do p[k] = v end
  return { index = e.index, sweep = e.sweep, variation = e.job.variation.label, params = p, seed = e.job.seed,
           key = e.key, cached = e.cached, cost = e.job.cost, shard = shard_of and shard_of[e.index] or nil }
end

--- plan.json(p, script [, shards]) -> the plan as JSON text (one object:
--- experiment, hash, runs, to_train, cached, dependent, on_demand; stopped when
--- planning stopped early; shards and each run's shard when shards is given).
function plan.json(p, script, shards)
  local shard_of = shards and plan.assign(p.entries, shards) or nil
  local rows, training, shards_to_train = {}, {}, nil
  for _, e in ipairs(p.entries) do
    rows[#rows + 1] = entry_row(e, shard_of)
    if shard_of and not e.cached then training[shard_of[e.index]] = true end
  end
  if shard_of then -- the shards with a run left to train, in order: what a job array needs
    shards_to_train = {}
    for shard = 0, shards - 1 do
      if training[shard] then shards_to_train[#shards_to_train + 1] = shard end
    end
  end
  return json.encode { experiment = script, hash = p.hash, runs = rows, to_train = p.to_train,
                       cached = #p.entries - p.to_train, dependent = p.dependent, on_demand = p.on_demand,
                       stopped = p.stopped, shards = shards, shards_to_train = shards_to_train } .. "\n"
end

--- plan.left_out(p) -> the sentences that say which runs the plan leaves
--- to the assembling `nnlab run`: those chosen from others' results, and
--- seeds on demand (none when it leaves none out).
function plan.left_out(p)
  local sentences = {}
  if p.dependent > 0 then
    sentences[#sentences + 1] = ("%d more %s on the results of others (chosen from them): the assembling "
      .. "`nnlab run` trains %s"):format(p.dependent, p.dependent == 1 and "run depends" or "runs depend",
                                         p.dependent == 1 and "it" or "them")
  end
  if p.on_demand > 0 then
    sentences[#sentences + 1] = ("up to %d more run%s of seeds on demand, as the results decide: the assembling "
      .. "`nnlab run` trains those they ask for"):format(p.on_demand, p.on_demand == 1 and "" or "s")
  end
  return sentences
end

--- plan.text(p, script [, shards]) -> the plan as a table for people.
function plan.text(p, script, shards)
  local shard_of = shards and plan.assign(p.entries, shards) or nil
  local out = { ("plan of %s: %d runs, %d cached, %d to train (hash %s)\n"):format(
    script, #p.entries, #p.entries - p.to_train, p.to_train, p.hash) }
  local rows, width = { { "#", "sweep", "variation", "seed", "key", "cached", shard_of and "shard" or nil } }, {}
  for _, e in ipairs(p.entries) do
    rows[#rows + 1] = { tostring(e.index), e.sweep, e.job.variation.label, tostring(e.job.seed), e.key,
                        e.cached and "yes" or "no", shard_of and tostring(shard_of[e.index]) or nil }
  end
  for _, row in ipairs(rows) do
    for c, cell in ipairs(row) do width[c] = math.max(width[c] or 0, columns(cell)) end
  end
  for _, row in ipairs(rows) do
    local cells = {}
    for c, cell in ipairs(row) do cells[c] = cell .. (" "):rep(width[c] - columns(cell)) end
    out[#out + 1] = "  " .. table.concat(cells, "  "):gsub("%s+$", "") .. "\n"
  end
  for _, sentence in ipairs(plan.left_out(p)) do out[#out + 1] = sentence .. "\n" end
  if p.stopped then out[#out + 1] = ("planning stopped early: %s\n"):format(p.stopped) end
  return table.concat(out)
end

return plan
