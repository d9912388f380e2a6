-- nnlab.notebook.runs: the results of a sweep and what can be said about
-- them. A runs object holds, per variation, every seed's per-epoch history;
-- it answers with means and sample standard deviations over seeds, picks the
-- best variation, and says whether a variation differs from the best (paired
-- by seed, all pairs Holm-corrected: runs:versus_best) or two differ
-- (runs:compare, runs:verdict; nnlab.notebook.stats). Seeds that diverged are
-- left out of every mean and marked. runs.value_text says how a parameter
-- value reads (64, 0.01, relu) in labels, tables and charts.
local errors = require "nnlab.errors"
local options = require "nnlab.options"
local stats = require "nnlab.notebook.stats"
local words = require "nnlab.notebook.words"

local runs = {}
local Runs = {}
Runs.__index = Runs

-- What a cache key holds of a Runs object a run function closes over
-- (sweep.code_fingerprint reads __fingerprint): its results, not how this
-- process came by them (counts of trained and cached runs, seconds).
function Runs.__fingerprint(r)
  local copy = {}
  for k, v in next, r do
    if k ~= "counts" and k ~= "seconds" then copy[k] = v end
  end
  return copy
end

-- The most pairs runs:versus_best tests and Holm-adjusts together (about 200
-- variations); beyond, only the pairs with the best, Bonferroni over all.
local HOLM_MAX_PAIRS = 20000
runs.Runs = Runs

--- What nnlab knows about each metric: a name for people, a unit (or, for
--- metrics without one, the quantity: metrics on one chart axis share
--- either), whether higher is better, and no_best for a metric no variation
--- is the best by.
runs.metrics = {
  test_acc = { label = "test accuracy", unit = "%", higher_is_better = true },
  train_acc = { label = "train accuracy", unit = "%", higher_is_better = true },
  test_loss = { label = "test loss", quantity = "loss", higher_is_better = false },
  train_loss = { label = "train loss", quantity = "loss", higher_is_better = false },
  seconds = { label = "seconds per epoch", unit = "s", higher_is_better = false },
  train_eval_acc = { label = "train accuracy (eval)", unit = "%", higher_is_better = true },
  gap = { label = "train–test gap", unit = "pp", higher_is_better = false },
  -- the gap of one kind: training accuracy in eval mode (eval_train) or the
  -- running accuracy of the epoch's batches, each minus test accuracy
  gap_eval = { label = "train–test gap (eval)", unit = "pp", higher_is_better = false },
  gap_running = { label = "train–test gap (running)", unit = "pp", higher_is_better = false },
  valid_acc = { label = "validation accuracy", unit = "%", higher_is_better = true },
  valid_loss = { label = "validation loss", quantity = "loss", higher_is_better = false },
  -- the optimizer's learning rate in each epoch (history lr): a setting, not
  -- a result, so nothing ranks variations by it (no_best)
  lr = { label = "learning rate", quantity = "lr", higher_is_better = false, no_best = true },
}

--- The per-epoch fields a sweep's run keeps (results and cache entries):
--- numbers, but for diverged, a boolean.
runs.HISTORY_FIELDS = { "epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds",
                        "eval_seconds", "lr", "diverged", "train_eval_loss", "train_eval_acc",
                        "valid_loss", "valid_acc" }

-- A history kept compactly: each epoch's values in an array of one slot per
-- field, read by name through a metatable. 10^5 cached runs keep 13 array
-- slots an epoch (264 bytes) instead of a table of named fields (440).
local FIELDS = runs.HISTORY_FIELDS
local FIELD_INDEX = {}
for i, f in ipairs(FIELDS) do FIELD_INDEX[f] = i end
local NF = #FIELDS

local Epoch = {
  __index = function(e, name)
    local k = FIELD_INDEX[name]
    return k and rawget(e, k)
  end,
  __newindex = function(e, name, value)
    local k = FIELD_INDEX[name]
    if not k then error(("a history's epoch has no field %s"):format(tostring(name)), 2) end
    rawset(e, k, value)
  end,
  __pairs = function(e)
    return function(_, name)
      for k = (name and FIELD_INDEX[name] or 0) + 1, NF do
        local v = rawget(e, k)
        if v ~= nil then return FIELDS[k], v end
      end
      return nil
    end, e, nil
  end,
  -- a cache key's view (sweep.code_fingerprint): the epoch without its timings
  __fingerprint = function(e)
    local copy = table.move(e, 1, NF, 1, {})
    copy[FIELD_INDEX.seconds], copy[FIELD_INDEX.eval_seconds] = nil, nil
    return copy
  end,
}

--- runs.pack_history(list) -> a copy of list whose epochs read as tables
--- of named fields do (h.test_acc, pairs, assignment of a known field) but
--- keep their values in an array; list itself when an epoch holds a field
--- that is not one of runs.HISTORY_FIELDS.
function runs.pack_history(list)
  local out = {}
  for i, h in ipairs(list) do
    for field in pairs(h) do
      if not FIELD_INDEX[field] then return list end
    end
    out[i] = setmetatable({ h.epoch, h.train_loss, h.train_acc, h.test_loss, h.test_acc, h.seconds,
                            h.eval_seconds, h.lr, h.diverged, h.train_eval_loss, h.train_eval_acc,
                            h.valid_loss, h.valid_acc }, Epoch)
  end
  return out
end

--- runs.value(h, metric) -> one epoch's value of a metric (h: a history
--- entry). gap is derived: train accuracy minus test accuracy in percentage
--- points, the train accuracy measured in eval mode on the training set when
--- the sweep set eval_train = true (train_eval_acc), else the running
--- accuracy of the epoch's batches (train_acc): per epoch, so variations
--- of one sweep may differ in which (a table or chart of gap shows one
--- kind for all: runs:gap_metric). gap_eval and gap_running are the gap of
--- one kind each (gap_eval: nil where eval_train was off). seconds is the
--- epoch's wall time: its training pass plus the evaluation passes after it
--- (h.seconds + h.eval_seconds), as every table and chart shows it.
function runs.value(h, metric)
  if metric == "seconds" then return h.seconds and h.seconds + (h.eval_seconds or 0) end
  if metric == "gap" then
    local train = h.train_eval_acc or h.train_acc
    return train and h.test_acc and train - h.test_acc
  end
  if metric == "gap_eval" then return h.train_eval_acc and h.test_acc and h.train_eval_acc - h.test_acc end
  if metric == "gap_running" then return h.train_acc and h.test_acc and h.train_acc - h.test_acc end
  return h[metric]
end

--- runs.metric_info(metric [, where]) -> runs.metrics[metric], or an error
--- at the user's line naming the known metrics, after "where: " when given.
function runs.metric_info(metric, where)
  local info = runs.metrics[metric]
  if not info then
    local names = {}
    for name in pairs(runs.metrics) do names[#names + 1] = name end
    table.sort(names)
    errors.raise("%sunknown metric %s (one of: %s)", where and where .. ": " or "", errors.value(metric),
                 table.concat(names, ", "))
  end
  return info
end
local metric_info = runs.metric_info

--- How a parameter value reads in labels, tables and charts: 64, 0.01, relu, true.
function runs.value_text(v)
  if math.type(v) == "float" then return ("%.6g"):format(v) end
  return tostring(v)
end

-- x with `digits` decimals: NaN and infinities by name ("NaN", "inf",
-- "-inf"), beyond 10^15 in scientific notation (not hundreds of digits), and
-- no sign on a value that rounds to zero ("-0.00" is "0.00").
local function fixed(x, digits)
  if x ~= x then return "NaN" end
  if x == math.huge or x == -math.huge then return x > 0 and "inf" or "-inf" end
  if math.abs(x) >= 1e15 then return ("%." .. digits .. "e"):format(x) end
  local text = ("%." .. digits .. "f"):format(x)
  return text:match("^%-[0.]+$") and text:sub(2) or text
end

--- "81.23 ± 0.15 %" (accuracies), "0.4312 ± 0.0101" (losses; below 0.01, to
--- three significant digits of the mean: "0.0000320 ± 0.0000041"), "12.3 ± 0.4 s"
--- (seconds; below a second, to two significant digits of the mean:
--- "0.00019 ± 0.00003 s", not "0.0 ± 0.0 s"); no "±" without a std; a value
--- that is not a finite number shown as NaN, inf or -inf.
function runs.format(metric, mean, std)
  local info = runs.metrics[metric] or {}
  local digits = (info.unit == "%" or info.unit == "pp") and 2 or info.unit == "s" and 1 or 4
  local small = mean and mean == mean and mean ~= 0 and math.abs(mean)
  if info.unit == "s" and small and small < 1 then
    digits = math.min(9, 1 - math.floor(math.log(small, 10)))
  elseif not info.unit and small and small < 0.01 then -- a loss of 3.2e-05 reads 0.0000320, not 0.0000
    digits = math.min(12, 2 - math.floor(math.log(small, 10)))
  end
  local unit = info.unit and " " .. info.unit or ""
  if mean == nil then return "–" end
  if std == nil then return fixed(mean, digits) .. unit end
  return ("%s ± %s%s"):format(fixed(mean, digits), fixed(std, digits), unit)
end

--- runs.new(sweep_description) -> an empty Runs; sweeps fill .variations.
--- Fields: name, keys (the varied parameters, in order), seeds, epochs,
--- variations = { { label, params, seeds = { { seed, history, diverged,
--- seconds, cached } } } }, counts { runs, trained, cached }, normalize
--- (the { mean, std } both loaders used, or nil; set by lab.sweep). A
--- variation made by hand may hold its own values apart (values = { key =
--- value }); a sweep's hold them in params (runs.own_values).
function runs.new(fields)
  return setmetatable(fields, Runs)
end

--- runs:default_metric() -> the metric a comparison, a table or a chart
--- takes when none is named: test_acc, or test_loss for runs that fit
--- regression targets (runs.regression), whose accuracy is no measure.
function Runs:default_metric()
  return self.regression and "test_loss" or "test_acc"
end

--- runs.is_accuracy(metric) -> whether metric is an accuracy (a
--- percentage) or a difference of two (a gap, in percentage points), which
--- runs over regression targets do not measure.
function runs.is_accuracy(metric)
  local info = runs.metrics[metric]
  return info ~= nil and (info.unit == "%" or info.unit == "pp")
end

--- runs.check_fits_metric(r, where, metric): raises at the user's line,
--- after where, when r fits regression targets and metric is an accuracy:
--- such runs score no sample right or wrong (their accuracy reads 0).
function runs.check_fits_metric(self, where, metric)
  if self.regression and runs.is_accuracy(metric) then
    errors.raise("%s: %s: these runs fit regression targets, which have no accuracy (it reads 0 %%%s): compare "
                 .. "them by a loss, test_loss say", where, metric,
                 runs.metrics[metric].unit == "pp" and ", and a gap between two 0 pp" or "")
  end
end

--- runs.own_values(v) -> { key = value }: the values variation v sets
--- itself (its varied or listed ones), without the fixed ones and defaults
--- it shares with the sweep's other variations. A sweep's variation holds
--- them as params' own entries, which read the shared ones through their
--- metatable (sweep.lua), so that 10^5 variations keep one table each.
function runs.own_values(v)
  if v.values then return v.values end
  local own = {}
  for k, value in next, v.params do own[k] = value end
  return own
end

--- runs.from_history(history, label) -> a Runs of one variation (label) and
--- one seed whose history is a copy of `history`: nnlab.fit's result, or
--- any list of per-epoch tables (numbers and booleans are kept; epoch
--- defaults to the position), for lab.chart and lab.table of a one-off run
--- (history.regression, which nnlab.fit sets for regression targets, makes
--- its default metric the test loss). nil and what is wrong when history is
--- not such a list.
function runs.from_history(history, label)
  if type(history) ~= "table" or #history == 0 then return nil, "an empty or missing list" end
  local copy = {}
  for i = 1, #history do
    local h = history[i]
    if type(h) ~= "table" then return nil, ("entry %d is a %s, not a table of that epoch's values"):format(i, type(h)) end
    local e = {}
    for k, v in pairs(h) do
      if type(k) == "string" and (type(v) == "number" or type(v) == "boolean") then e[k] = v end
    end
    e.epoch = math.tointeger(h.epoch) or i
    copy[i] = e
  end
  local seed = { seed = 1, history = copy, diverged = history.diverged == true, seconds = 0, cached = false }
  return runs.new { name = label, keys = {}, seeds = { 1 }, epochs = #copy, from_history = true, datasets = {},
                    regression = history.regression == true, counts = { runs = 1, trained = 1, cached = 0 },
                    variations = { { label = label, values = {}, params = {}, labelled = true, seeds = { seed } } } }
end

local function final_value(seed_run, metric)
  local last = seed_run.history[#seed_run.history]
  if metric == "seconds" then -- the mean over the epochs (runs.value: training and evaluation passes)
    local total = 0
    for _, h in ipairs(seed_run.history) do
      local seconds = runs.value(h, "seconds")
      if not seconds then return nil end -- a run function's history without timings
      total = total + seconds
    end
    return total / #seed_run.history
  end
  return last and runs.value(last, metric)
end

-- A summary row holds its statistics; what it can derive is made when first
-- read: the verdicts of a table rank 10^5 rows and show a few (each row was
-- ~0.5 KB with all its fields, 50 MB live while a table of 10^5 was made).
-- params is a copy of its variation's, label the variation's, text the
-- formatted mean.
local DERIVED = {
  params = function(row)
    local params = {}
    for k, value in pairs(row.variation.params) do params[k] = value end
    return params
  end,
  label = function(row) return row.variation.label end,
  -- in the report's language (words): "2.00 ± 0.10 个百分点", "发散（1/3 个种子）"
  text = function(row)
    local diverged, seeds = row.diverged, row.seeds
    if diverged == seeds then return words.text("diverged") end
    if diverged > 0 then return words.text("diverged_some", diverged, seeds) end
    local text = runs.format(row.metric, row.mean, row.std)
    local number = text:match("^(.-) pp$")
    return number and words.text("unit_pp", number) or text
  end,
}
local SummaryRow = {
  __index = function(row, key)
    local derive = DERIVED[key]
    if not derive then return nil end
    local value = derive(row)
    rawset(row, key, value)
    return value
  end,
}

-- The summary row of variation v (Runs:summary).
local function summary_row(v, metric)
  local values, diverged = {}, 0
  for _, s in ipairs(v.seeds) do
    if s.diverged then diverged = diverged + 1
    else values[#values + 1] = final_value(s, metric) end
  end
  return setmetatable({ variation = v, metric = metric, seeds = #v.seeds, n = #values, diverged = diverged,
                        values = values, mean = stats.mean(values), std = stats.std(values) }, SummaryRow)
end

--- runs:summary([metric = runs:default_metric()]) -> one row per variation, in order:
--- { label, variation, params, metric, n (seeds that finished), seeds,
---   diverged (seeds that diverged), values (final metric per finished
---   seed), mean, std, text }. params holds the variation's parameters by
--- name (row.params.hidden: varied and fixed, as p has them without seed;
--- a copy, made when first read),
--- apart from the statistics, so that no parameter name (std, mean, n ...)
--- can stand for one. text reads "81.23 ± 0.15 %", or "diverged" /
--- "diverged (1/3 seeds)".
function Runs:summary(metric)
  metric = metric or self:default_metric()
  metric_info(metric)
  local rows = {}
  for i, v in ipairs(self.variations) do rows[i] = summary_row(v, metric) end
  return rows
end

--- runs:summary_of(i, metric) -> runs:summary(metric)[i] alone: the row of
--- variation i, without the rows of every other (a report that shows a few
--- of 10^5 variations).
function Runs:summary_of(i, metric)
  metric_info(metric, "summary_of: metric")
  i = math.type(i) == "float" and math.tointeger(i) or i -- 2.0 is 2, as options take it
  if math.type(i) ~= "integer" or not self.variations[i] then
    errors.raise("summary_of: variation index must be a whole number from 1 to %d, got %s", #self.variations,
                 errors.value(i))
  end
  return summary_row(self.variations[i], metric)
end

--- runs:measured(metric [, any_epoch]) -> whether a seed of these runs has a
--- value of metric after its last epoch (in any epoch with any_epoch), or
--- every seed diverged (then each variation shows as diverged): what a
--- table, chart or test of metric needs.
function Runs:measured(metric, any_epoch)
  local seeds, diverged = 0, 0
  for _, v in ipairs(self.variations) do
    for _, s in ipairs(v.seeds) do
      local history = s.history
      for e = any_epoch and 1 or #history, #history do
        if history[e] and runs.value(history[e], metric) ~= nil then return true end
      end
      seeds = seeds + 1
      if s.diverged then diverged = diverged + 1 end
    end
  end
  return seeds > 0 and diverged == seeds
end

-- An error at the user's line, after "who: metric: ", when no run of these
-- measured metric: its verdicts would read "untested" or speak of seeds,
-- which is not why.
local function check_measured(self, who, metric)
  runs.check_fits_metric(self, who .. ": metric", metric)
  if not self:measured(metric) then
    errors.raise("%s: metric: no variation of these runs has a value of %s after its last epoch%s", who, metric,
                 runs.measured_when(metric))
  end
end

--- runs.measured_when(metric) -> " (measured only when ...)" for a metric a
--- built-in sweep measures only when asked (validation, eval_train); "".
function runs.measured_when(metric)
  if metric == "valid_acc" or metric == "valid_loss" then
    return " (measured only on a validation split: the sweep's valid = ...)"
  end
  if metric == "train_eval_acc" or metric == "gap_eval" then
    return " (measured only when the sweep sets eval_train = true)"
  end
  return ""
end

-- Whether a higher mean of metric is better; an error for a setting (lr).
local function higher_is_better(metric)
  if metric_info(metric).no_best then
    errors.raise("%s is a setting, not a result: no variation is the best by it", metric)
  end
  return metric_info(metric).higher_is_better
end

-- Whether summary row `row` beats `best` (nil: none yet) as runs.best_row
-- picks: no seed diverged, a mean (not NaN, which a run function may
-- return), and a better one (the first of equals stays).
local function beats(row, best, higher)
  return row.diverged == 0 and row.mean ~= nil and row.mean == row.mean and
         (not best or (higher and row.mean > best.mean) or (not higher and row.mean < best.mean))
end

--- runs.best_row(rows, metric) -> of summary rows (runs:summary(metric)),
--- the one with the best mean (highest accuracy, lowest loss) among those
--- of two seeds or more where no seed diverged (among all where no seed
--- diverged when none has two: a mean of one seed is not set above means
--- of several, as runs.versus_best's tables do not), the first of equals;
--- nil when there is none.
function runs.best_row(rows, metric)
  local higher = higher_is_better(metric)
  local best, single
  for _, row in ipairs(rows) do
    if row.n >= 2 and beats(row, best, higher) then best = row end
    if beats(row, single, higher) then single = row end
  end
  return best or single
end

--- runs:best([metric = runs:default_metric()]) -> the summary row with the
--- best mean (highest accuracy, lowest loss) among variations where no seed
--- diverged, of two seeds or more when some have two (runs.best_row); nil
--- when every variation diverged. An accuracy of regression runs is an error.
function Runs:best(metric)
  metric = metric or self:default_metric()
  runs.check_fits_metric(self, "best", metric)
  return runs.best_row(self:summary(metric), metric)
end

--- runs.check_not_empty(who, what, t): an error at the user's line when the
--- selection table t is empty: { hidden = smal } (a misspelt variable as a
--- value) reads as {}, which would select every variation without a word.
function runs.check_not_empty(who, what, t)
  if next(t) == nil then
    errors.raise("%s: %s is empty ({}): it would select every variation (a value that is a misspelt name "
                 .. "reads as nil, which leaves its key out)", who, what)
  end
end

--- runs.checked_selection(r, who, what, where) -> r:select(where), after
--- the checks lab.chart's `where` and the pictures' `where` and `show` make
--- at the user's line: not empty (runs.check_not_empty, `what` naming it),
--- every key a varied parameter ("WHO: where.k: not a varied parameter"),
--- and some variation matched ("WHO: where matches no variation").
function runs.checked_selection(r, who, what, where)
  runs.check_not_empty(who, what, where)
  for k in pairs(where) do
    local known = false
    for _, key in ipairs(r.keys) do known = known or key == k end
    if not known then
      errors.raise("%s: where.%s: not a varied parameter (%s)%s", who, tostring(k), table.concat(r.keys, ", "),
                   options.suggest(k, r.keys))
    end
  end
  local out = r:select(where)
  if #out == 0 then errors.raise("%s: where matches no variation", who) end
  return out
end

-- Raises "WHO: no variation has a parameter 'k' (did you mean ...?)" for a
-- key of where that no variation's parameters hold (`label` counts when
-- label_too): { lrr = 0.1 } would select nothing, without a word; and for
-- an empty where (runs.check_not_empty).
local function check_names(self, who, where, label_too)
  runs.check_not_empty(who, label_too and "the selector" or "where", where)
  for k in pairs(where) do
    local known = label_too and k == "label"
    -- (a plain read: a fixed parameter is in the first variation already, so the
    -- walk is long only for a key no variation has, which is an error)
    for _, v in ipairs(self.variations) do
      if known then break end
      known = v.params[k] ~= nil
    end
    if not known then
      local names = {}
      for _, v in ipairs(self.variations) do
        for name in pairs(v.params) do names[name] = true end
      end
      errors.raise("%s: no variation has a parameter %s%s", who, errors.value(k), options.suggest(k, names))
    end
  end
end

-- True when the variation's parameters have every value in where ({ lr = 0.05 }).
local function matches(variation, where)
  for k, value in pairs(where) do
    if variation.params[k] ~= value then return false end
  end
  return true
end

--- runs:select([where]) -> the variations whose parameters have the values
--- in where ({ lr = 0.05 }), in order; every variation without where.
function Runs:select(where)
  if where ~= nil then
    if type(where) ~= "table" then errors.raise("runs:select: where must be a table { key = value }, got %s", errors.value(where)) end
    check_names(self, "runs:select", where)
  end
  local selected = {}
  for _, v in ipairs(self.variations) do
    if not where or matches(v, where) then selected[#selected + 1] = v end
  end
  return selected
end

--- runs:values(key [, where]) -> the distinct values of the parameter key
--- over the variations (those runs:select(where) gives), in order of first
--- appearance.
function Runs:values(key, where)
  if key == nil then errors.raise("runs:values: key is nil (a misspelt name?)") end
  check_names(self, "runs:values", { [key] = true })
  local values, seen = {}, {}
  for _, v in ipairs(self:select(where)) do
    local value = v.params[key]
    if value ~= nil and not seen[value] then
      seen[value] = true
      values[#values + 1] = value
    end
  end
  return values
end

--- runs:get(selector) -> the variation selected by its label ("hidden=64"),
--- by parameter values ({ hidden = 64 }, any names: `label` too; the first
--- of several that match) or by a summary row (a table whose .variation is
--- one of these); nil if none. runs:compare and runs:verdict refuse a
--- selector that matches several.
function Runs:get(selector)
  if type(selector) == "table" and type(selector.variation) == "table" then
    for _, v in ipairs(self.variations) do
      if rawequal(selector.variation, v) then return v end
    end
    selector = selector.label -- a row of another sweep: the variation of the same label
  elseif type(selector) == "table" then
    check_names(self, "runs:get", selector, true)
  end
  for _, v in ipairs(self.variations) do
    if type(selector) == "string" then
      if v.label == selector then return v end
    elseif type(selector) == "table" and matches(v, selector) then
      return v
    end
  end
  return nil
end

-- A selector (see runs:get) as an error message names it.
local function selector_text(selector)
  if type(selector) ~= "table" then return tostring(selector) end
  if type(selector.variation) == "table" then return tostring(selector.label) end
  local parts = {}
  for k, value in pairs(selector) do parts[#parts + 1] = ("%s=%s"):format(tostring(k), runs.value_text(value)) end
  table.sort(parts)
  return "{ " .. table.concat(parts, ", ") .. " }"
end

-- The summary rows of metric for the variations that selectors a and b pick
-- (see runs:get), or an error that names the method (who) and the selector
-- that picks none.
local function summary_pair(self, who, a, b, metric)
  metric_info(metric, who .. ": metric")
  local va, vb = self:get(a), self:get(b)
  if not va then errors.raise("%s: no variation matches %s", who, selector_text(a)) end
  if not vb then errors.raise("%s: no variation matches %s", who, selector_text(b)) end
  -- a comparison of { hidden = 16 } with { hidden = 32 } in a grid over lr too would take
  -- the first of each, one lr, and say nothing of the others: refused, naming them
  for _, selector in ipairs { a, b } do
    if type(selector) == "table" and type(selector.variation) ~= "table" then
      local labels = {}
      for _, v in ipairs(self.variations) do
        if matches(v, selector) then labels[#labels + 1] = v.label end
      end
      if #labels > 1 then
        errors.raise("%s: %s matches %d variations (%s%s): name the other varied keys too, or give one label",
                     who, selector_text(selector), #labels, table.concat(labels, "; ", 1, math.min(3, #labels)),
                     #labels > 3 and "; ..." or "")
      end
    end
  end
  check_measured(self, who, metric)
  local ra, rb
  for _, row in ipairs(self:summary(metric)) do
    if row.variation == va then ra = row end
    if row.variation == vb then rb = row end
  end
  return ra, rb
end

-- Final values of metric by seed for one variation: { [seed] = value } over
-- the seeds that did not diverge.
local function values_by_seed(variation, metric)
  local out = {}
  for _, s in ipairs(variation.seeds) do
    if not s.diverged then out[s.seed] = final_value(s, metric) end
  end
  return out
end

-- Two variations' values: paired on their common seeds when at least two are
-- common (the same seed gives the same initial weights and shuffle order in
-- every variation: sweep.build), else all values of each, unpaired.
local function pair_values(a, b)
  local xs, ys, seeds = {}, {}, {}
  for seed in pairs(a) do if b[seed] ~= nil then seeds[#seeds + 1] = seed end end
  table.sort(seeds)
  if #seeds >= 2 then
    for i, seed in ipairs(seeds) do xs[i], ys[i] = a[seed], b[seed] end
    return xs, ys, true
  end
  for _, v in pairs(a) do xs[#xs + 1] = v end
  for _, v in pairs(b) do ys[#ys + 1] = v end
  table.sort(xs)
  table.sort(ys)
  return xs, ys, false
end

--- runs:compare(a, b [, metric = runs:default_metric()]) -> whether a and b (selectors as
--- for runs:get) differ by more than noise in their final metric, paired by
--- seed when they share seeds (nnlab.notebook.stats.compare; one comparison,
--- not corrected for others: a table's "vs best" uses runs:versus_best):
--- { a, b (summary rows), differs, p, delta (mean a - mean b), test,
--- detectable, text }; text in the report's language ("differs (p 0.003)",
--- "can't tell (p 0.41; detectable ≥ 1.2 pp)"); with one seed per side,
--- differs is nil and text says the noise is unknown. At level 0.95, or at
--- the per-look level of the sweep's seeds on demand (whose seed counts the
--- looks chose: a test at 0.95 there would give a false "differs" more often).
function Runs:compare(a, b, metric)
  metric = metric or self:default_metric()
  local ra, rb = summary_pair(self, "compare", a, b, metric)
  local out = { a = ra, b = rb }
  if ra.diverged > 0 or rb.diverged > 0 then
    out.text = words.versus_best({ code = "diverged" })
    return out
  end
  local xs, ys, paired = pair_values(values_by_seed(ra.variation, metric), values_by_seed(rb.variation, metric))
  local test, why = stats.compare(xs, ys, { paired = paired, skewed = metric_info(metric).skewed,
                                            level = self.sequential and self.sequential.level })
  if not test then
    out.text = words.versus_best({ code = "untested" })
    out.reason = why
    out.delta = ra.mean and rb.mean and ra.mean - rb.mean
    return out
  end
  for k, v in pairs(test) do out[k] = v end
  out.text = words.versus_best({ code = test.differs and "differs" or "cant_tell", p = test.p,
                                 detectable = not test.differs and test.detectable or nil },
                               metric_info(metric).unit)
  return out
end

local VERDICT_OPTIONS = { metric = options.optional "string", margin = options.optional "number", level = options.optional "number",
                          skewed = false }

--- runs:verdict(a, b, expect [, { metric = runs:default_metric(), margin = m, level,
--- skewed = false }]) -> what the seeds say about a claim on a versus b
--- (level: 0.95, or the per-look level of the sweep's seeds on demand, as
--- for runs:compare; a level given wins)
--- (selectors as for runs:get): expect is "higher", "lower", "not_higher",
--- "not_lower" or "similar" (within ±margin), about mean(a) - mean(b) of the
--- final metric, paired by seed when they share seeds (nnlab.notebook.stats
--- judge). Returns the fields of stats.judge (verdict = "supported",
--- "contradicted", "equivalent", "cant_tell" (with detectable, the effect
--- these seeds could show) or "not_tested"; delta, p, ci, test ...) with a
--- and b (summary rows); when a seed of either diverged, verdict is
--- "diverged" and nothing is tested. A claim is one of a family: correct the
--- family with runs.correct_family.
function Runs:verdict(a, b, expect, opts)
  opts = options.check("verdict", opts, VERDICT_OPTIONS)
  opts.metric = opts.metric or self:default_metric()
  local ra, rb = summary_pair(self, "verdict", a, b, opts.metric)
  if ra.diverged > 0 or rb.diverged > 0 then
    return { verdict = "diverged", expect = expect, a = ra, b = rb }
  end
  local xs, ys, paired = pair_values(values_by_seed(ra.variation, opts.metric), values_by_seed(rb.variation, opts.metric))
  local level = opts.level or (self.sequential and self.sequential.level) or 0.95
  local ok, out = pcall(stats.judge, xs, ys, expect, { margin = opts.margin, level = level, paired = paired,
                                                      skewed = opts.skewed })
  -- stats.judge's message already names the user's line: re-raised as is, but as runs:verdict's
  if not ok then error((tostring(out):gsub("stats%.judge: ", "verdict: ", 1)), 0) end
  out.a, out.b = ra, rb
  return out
end

--- runs.correct_family(verdicts [, level = 0.95]) -> the same verdicts, Holm-
--- corrected as one family (stats.correct_family): a claim no longer
--- significant once the family is counted reads "cant_tell".
--- A runs object has it too, as a plain function (runs.correct_family(list),
--- as docs/notebook.md writes it; runs:correct_family(list) works as well).
function runs.correct_family(...)
  local verdicts, level = ...
  if getmetatable(verdicts) == Runs then verdicts, level = select(2, ...) end
  return stats.correct_family(verdicts, level)
end
Runs.correct_family = runs.correct_family

--- runs:versus_best([metric = runs:default_metric() [, level]]) -> per variation (in
--- order) a cell { code, p, p_adjusted, delta, detectable, test, n }: code
--- "best", "differs", "cant_tell", "diverged" (a seed diverged) or "untested"
--- (fewer than two seeds). The best is the best mean among variations of two
--- seeds or more, none diverged (among all when none has two). Every pair of variations is tested (paired by
--- seed, nnlab.notebook.stats.compare) and the p-values of all pairs are
--- Holm-adjusted together, so that picking the best from the same data does
--- not make false "differs" more likely; a variation differs from the best
--- when its adjusted p is below 1 - level. level: 0.95, or the level of the
--- sweep's seeds on demand (which divides alpha among its looks). A cell's
--- detectable is at (1 - level) / family (stats.compare: a p below it
--- passes the correction whatever the other pairs; later_step = true when
--- the test's smallest p is not below that bar but below 1 - level, so it
--- can pass only at a later step of Holm). Beyond
--- HOLM_MAX_PAIRS pairs only the pairs with the best are tested, Bonferroni
--- over all pairs. Each cell also holds correction ("holm" or "bonferroni")
--- and family (the number of pairs). wanted, a list of variation indices:
--- only their cells (cells[i] for each i in it, the same as without it), so
--- that a table of the best 20 of 10^5 variations does not hold 10^5 rows
--- and cells at once.
--- A metric no run measured is an error (runs.versus_best, which the
--- report's tables use, gives untested cells instead).
function Runs:versus_best(metric, level, wanted)
  metric = metric or self:default_metric()
  metric_info(metric, "versus_best: metric")
  check_measured(self, "versus_best", metric)
  return runs.versus_best(self, metric, level, wanted)
end

--- runs.versus_best(r, metric, level, wanted): r:versus_best without its
--- check that some run measured metric (a table of a custom run's sweep
--- whose runs return no test_acc shows "–").
function runs.versus_best(self, metric, level, wanted)
  metric = metric or self:default_metric()
  local info = metric_info(metric, "versus_best: metric")
  level = stats.check_level("versus_best", level or (self.sequential and self.sequential.level) or 0.95)
  local keep
  if wanted then
    keep = {}
    for _, i in ipairs(wanted) do keep[i] = true end
  end
  -- every row is made; kept: the wanted ones and the best: the best mean
  -- among variations of two seeds or more (as stats.versus_best's), which
  -- can be tested; when none has two, the best mean (every cell untested)
  local rows, eligible, best, best_index = {}, {}, nil, nil
  local single, single_index -- the best mean among all
  local higher = higher_is_better(metric)
  for i, v in ipairs(self.variations) do
    local row = summary_row(v, metric)
    if not keep or keep[i] then rows[i] = row end
    if row.n >= 2 and beats(row, best, higher) then best, best_index = row, i end
    if beats(row, single, higher) then single, single_index = row, i end
    if row.diverged == 0 and row.n >= 2 then eligible[#eligible + 1] = i end
  end
  if not best then best, best_index = single, single_index end
  -- The family is every pair of eligible variations. Up to HOLM_MAX_PAIRS
  -- pairs, all are tested and Holm-adjusted together; beyond, testing them
  -- all would take minutes, so only the pairs with the best are tested and
  -- their p-values are multiplied by the size of the whole family
  -- (Bonferroni, never below Holm's value: the same guarantee, a little
  -- less power), in time linear in the number of variations.
  local family = #eligible * (#eligible - 1) // 2
  local correction = family <= HOLM_MAX_PAIRS and "holm" or "bonferroni"
  if best_index then rows[best_index] = best end
  -- each variation's values by seed: kept for all pairs (Holm), else only
  -- the best's, the other side made for its one test
  local by_seed = {}
  local function seeds_of(i)
    local values = by_seed[i] or values_by_seed(self.variations[i], metric)
    if correction == "holm" or i == best_index then by_seed[i] = values end
    return values
  end
  local tests, ps, with_best = {}, {}, {}
  local function test(i, j)
    local xs, ys, paired = pair_values(seeds_of(i), seeds_of(j))
    local c, why = stats.compare(xs, ys, { paired = paired, skewed = info.skewed, level = level, exact = false,
                                           family = math.max(1, family), correction = correction })
    c = c or { reason = why }
    tests[#tests + 1] = { i = i, j = j, c = c }
    ps[#tests] = c.p
    if i == best_index then with_best[j] = #tests elseif j == best_index then with_best[i] = #tests end
  end
  for a = 1, #eligible do
    if correction == "holm" then
      for b = a + 1, #eligible do test(eligible[a], eligible[b]) end
    elseif eligible[a] ~= best_index and best_index and rows[best_index].n >= 2
           and rows[best_index].diverged == 0 and (not keep or keep[eligible[a]]) then
      -- (each p is adjusted on its own here: the wanted cells' tests are enough)
      test(math.min(eligible[a], best_index), math.max(eligible[a], best_index))
    end
  end
  local adjusted = {}
  if correction == "holm" then
    adjusted = stats.holm(ps)
    local cs = {}
    for k, t in ipairs(tests) do cs[k] = t.c.p and t.c or nil end
    stats.settle_later_steps(cs, #tests, stats.alpha(level))
  else
    for k = 1, #tests do adjusted[k] = ps[k] and math.min(1, ps[k] * family) end
  end
  -- what every cell shares is read through its metatable (10^5 cells)
  local shared = { __index = { correction = correction, family = family, level = level } }
  local cells = {}
  for n = 1, wanted and #wanted or #self.variations do
    local i = wanted and wanted[n] or n
    local row = rows[i]
    local cell
    if row.diverged > 0 then cell = { code = "diverged" }
    elseif best and row == best then cell = { code = "best" }
    elseif not best or row.n < 2 or best.n < 2 then cell = { code = "untested", reason = "fewer than two seeds" }
    else
      local k = with_best[i]
      if k then
        local t = tests[k]
        local sign = t.i == i and 1 or -1
        cell = { code = not t.c.p and "untested" or (adjusted[k] < stats.alpha(level)) and "differs" or "cant_tell",
                 reason = t.c.reason,
                 p = t.c.p, p_adjusted = adjusted[k], delta = t.c.delta and sign * t.c.delta,
                 detectable = t.c.detectable, later_step = t.c.later_step, test = t.c.test, n = t.c.n }
      end
      cell = cell or { code = "untested", reason = "no comparison with the best" }
    end
    cell.variation, cell.row = row.variation, row
    cells[i] = setmetatable(cell, shared)
  end
  return cells, best
end

--- runs:undecided(metric, level) -> the variations whose comparison with the
--- best is "cant_tell", and the best itself when there is any (more seeds
--- for both are what can decide it); for seeds on demand.
function Runs:undecided(metric, level)
  local cells, best = runs.versus_best(self, metric, level)
  local out = {}
  for _, cell in ipairs(cells) do
    if cell.code == "cant_tell" then out[#out + 1] = cell.variation end
  end
  if #out > 0 and best then table.insert(out, 1, best.variation) end
  return out
end

--- runs:curve(variation, metric) -> per-epoch { { epoch, mean, std, n } }
--- over the seeds that did not diverge. variation: one of runs.variations,
--- or any selector runs:get takes (a label, parameter values, a summary row).
function Runs:curve(variation, metric)
  metric_info(metric, "runs:curve")
  local chosen -- the variation itself, else what runs:get makes of it
  for _, v in ipairs(self.variations) do if rawequal(v, variation) then chosen = v end end
  variation = chosen or self:get(variation) or errors.raise("runs:curve: no variation matches %s",
                                                             selector_text(variation))
  local points = {}
  for _, s in ipairs(variation.seeds) do
    if not s.diverged then
      for i, h in ipairs(s.history) do
        local pt = points[i] or { epoch = h.epoch, values = {} }
        points[i] = pt
        pt.values[#pt.values + 1] = runs.value(h, metric)
      end
    end
  end
  for _, pt in ipairs(points) do
    pt.mean, pt.std, pt.n = stats.mean(pt.values), stats.std(pt.values) or 0, #pt.values
  end
  return points
end

--- runs:gap_metric([where]) -> the one kind of gap that a column or chart of
--- "gap" over these variations (runs:select(where)) shows: "gap_eval" when
--- every seed that did not diverge measured the training set in eval mode
--- after its last epoch, else "gap_running" (every seed has that one), so
--- that one column never mixes the two.
function Runs:gap_metric(where)
  local any = false
  for _, v in ipairs(self:select(where)) do
    for _, s in ipairs(v.seeds) do
      local last = s.history[#s.history]
      if not s.diverged and last then
        if last.train_eval_acc == nil then return "gap_running" end
        any = true
      end
    end
  end
  return any and "gap_eval" or "gap_running"
end

function Runs:__tostring()
  return ("Runs(%s: %d variations × %d seeds)"):format(self.name, #self.variations, #self.seeds)
end

return runs
