-- nnlab.notebook.report: writes what a notebook recorded as
-- reports/<name>.md and the folder reports/<name>/ (charts with the .gp and
-- .dat that drew them, results.csv and results.json), and with --html the
-- page reports/<name>.html (nnlab.notebook.html). The whole report
-- appears at once or not at all (nnlab.notebook.staging): a run that fails,
-- is interrupted or dies while writing leaves the previous report as it was.
-- A chart's PNG is re-used only with proof that it was drawn from exactly its
-- .gp and .dat (gnuplot.draw). The report opens with what was run;
-- then the blocks (prose, tables, charts) follow in the order the experiment
-- file gave them.
local core = require "nnlab.core"
local data = require "nnlab.data"
local escape = require "nnlab.notebook.escape"
local files = require "nnlab.files"
local gnuplot = require "nnlab.notebook.gnuplot"
local html = require "nnlab.notebook.html"
local json = require "nnlab.notebook.json"
local pictures = require "nnlab.notebook.pictures"
local provenance = require "nnlab.notebook.provenance"
local runs_lib = require "nnlab.notebook.runs"
local staging = require "nnlab.notebook.staging"
local words = require "nnlab.notebook.words"
local proc = core.proc

local report = {}

local value_text = runs_lib.value_text
local md_text, md_code = escape.md_text, escape.md_code
local W = words.text

-- A Markdown table of Markdown cells (escape.md_cell makes each one safe);
-- numbers (every column but the first) right-aligned unless left_aligned.
local function markdown_table(header, rows, left_aligned)
  local head = {}
  for i, text in ipairs(header) do head[i] = escape.md_cell(text) end
  local lines = { "| " .. table.concat(head, " | ") .. " |" }
  local rule = {}
  for i = 1, #header do rule[i] = (i == 1 or left_aligned) and "---" or "--:" end
  lines[2] = "|" .. table.concat(rule, "|") .. "|"
  for _, row in ipairs(rows) do
    local cells = {}
    for i = 1, #header do cells[i] = escape.md_cell(row[i] or "") end
    lines[#lines + 1] = "| " .. table.concat(cells, " | ") .. " |"
  end
  return table.concat(lines, "\n")
end

-- A parameter value as Markdown: 64, 0.01, relu; "–" when a listed
-- variation has none.
local function value_md(v)
  if v == nil then return "–" end
  return md_text(value_text(v))
end

local function list_text(values)
  local out = {}
  for i, v in ipairs(values) do out[i] = value_md(v) end
  return table.concat(out, ", ")
end

-- "1 seed", "3 seeds", "3 个种子" (words.count).
local function count_text(n, noun)
  return words.count(noun, n)
end

-- The distinct items of the lists sweeps[i][field], in order of first appearance.
local function union(sweeps, field)
  local items, seen = {}, {}
  for _, r in ipairs(sweeps) do
    for _, item in ipairs(r[field]) do
      if not seen[item] then seen[item] = true items[#items + 1] = item end
    end
  end
  return items
end

local function seconds_text(s)
  if s < 60 then return W("seconds", s) end
  return W("minutes_seconds", s // 60, s % 60)
end

-- Where a dataset came from (data.source's reason), in the report's
-- language: the reasons nnlab.data and nnlab.datasets write are known
-- sentences with a path or seed in them; any other goes in as written.
local function place_text(where)
  local dir = where:match("^the explicit path %((.+)%)$")
  if dir then return W("place_explicit", md_code(dir)) end
  dir = where:match("^the system copy %((.+)%)$")
  if dir then return W("place_system", md_code(dir)) end
  return md_code(where)
end
-- What nnlab.datasets says of a download that did not happen (the "download
-- ..." of a fallback reason), in the report's language: "disabled (SETTING)",
-- or "failed: " and a failure per mirror ("URL: meaning [curl's words]",
-- joined by "; "), and a remark when the failure was remembered. The URL,
-- the setting and curl's own words go in as code, as they were said.
local CURL_CODES = {}
for code, meaning in pairs(require("nnlab.datasets").curl_errors) do CURL_CODES[meaning] = code end
local function failure_text(failure)
  local url, rest = failure:match("^(%S+): (.+)$")
  if not url then return md_text(failure) end
  local meaning, detail = rest:match("^(.-) %[(.*)%]$")
  meaning = meaning or rest
  local status = meaning:match("^curl exited with status (%-?%d+)$")
  local said = CURL_CODES[meaning] and W("curl_" .. CURL_CODES[meaning]) or status and W("curl_status", status)
               or md_text(meaning)
  return W("download_failure", md_code(url), said) .. (detail and " " .. md_code(detail) or "")
end
local function download_text(said)
  local before = said:match("^(.-) %(failed earlier; not retried in this run%)$")
  local text
  local setting = (before or said):match("^disabled %((.+)%)$")
  local failures = (before or said):match("^failed: (.+)$")
  if setting then text = W("download_disabled", md_code(setting))
  elseif failures then
    local parts = {}
    for failure in (failures .. "; "):gmatch("(.-); ") do parts[#parts + 1] = failure_text(failure) end
    text = W("download_failed", table.concat(parts, W("sep_group")))
  else
    return md_text(said)
  end
  return before and text .. W("download_remembered") or text
end

-- Each pattern with a word and the formats of its captures, or with a
-- function of its captures that gives the text.
local REASONS = {
  { "^found in (.+)$", "reason_found", place_text },
  { "^the folder (.-) %(given explicitly%)$", "reason_given", md_code },
  { "^downloaded into (.+)$", "reason_downloaded", md_code },
  { "^read from the IDX files (.+)$", "reason_idx", md_code },
  { "^read from the CSV file (.+)$", "reason_csv", md_code },
  { "^generated in Lua %(data%.generate, seed (%-?%d+)%)$", "reason_generated", md_text },
  { "^built from Lua values %(data%.TensorDataset%)$", "reason_values" },
  { "^read from NumPy (.-) %((%S+)%) and (.-) %((%S+)%)$", function(x, x_dtype, y, y_dtype)
    return W("reason_numpy", md_code(x), md_code(x_dtype), md_code(y), md_code(y_dtype))
  end },
  { "^(%S+) is not available %(download (.*)%)$", "unavailable_download", md_code, download_text },
  { "^(%S+) is not available$", "unavailable", md_code },
}
local function reason_text(reason)
  if words.language() == "en" then return md_text(reason) end
  local first, used, rest = reason:match("^(%S+) was not available; using (%S+), (.+)$")
  if first then return W("reason_instead", md_code(first), md_code(used), reason_text(rest)) end
  for _, r in ipairs(REASONS) do
    local found = table.pack(reason:match(r[1]))
    if found[1] and type(r[2]) == "function" then return r[2](table.unpack(found, 1, found.n)) end
    if found[1] then
      if r[4] then return W(r[2], r[3](found[1]), r[4](found[2])) end
      if r[3] then return W(r[2], r[3](found[1])) end
      return W(r[2])
    end
  end
  return md_text(reason)
end

-- Distinct (train, test) dataset pairs of the sweeps, described for people,
-- and a note for each fallback: which dataset was asked for and why it was not used.
local function data_lines(record)
  local lines, seen, notes = {}, {}, {}
  for _, r in ipairs(record.sweeps) do
    local tr, te = r.datasets.train, r.datasets.test
    local src = data.source(tr) or {}
    local info = tr:info()
    local shape = info.rows == 1 and count_text(info.cols, "features") or W("shape", info.rows, info.cols, info.dtype)
    local classes
    if info.targets > 0 then
      classes = count_text(info.targets, "targets")
    else
      local counts, parts = tr:label_counts(), {}
      if info.classes <= 20 then
        for c = 1, info.classes do
          local name = src.classes and src.classes[c] or tostring(c - 1)
          parts[c] = W("class_count", md_text(name), counts[c])
        end
      end
      classes = W(info.classes == 1 and "classes_1" or "classes", info.classes,
                  #parts > 0 and W("class_list", table.concat(parts, ", ")) or "")
    end
    local text = W("dataset",
      md_text(src.title or src.name or "?"), md_code(src.name or "?"),
      src.reason and reason_text(src.reason) or W("folder_unknown"),
      #tr, #te, shape, classes)
    local test_src = data.source(te)
    -- a test set read from another file: named, not taken for the training set's
    if test_src and (test_src.reason ~= src.reason or test_src.title ~= src.title or test_src.name ~= src.name) then
      text = text .. W("test_from", md_text(test_src.title or test_src.name or "?"), md_code(test_src.name or "?"),
                       test_src.reason and reason_text(test_src.reason) or W("folder_unknown"))
    end
    if info.targets == 0 then -- a class the model never saw scores as a mistake every time
      local train_counts, unseen = tr:label_counts(), {}
      for c, n in ipairs(te:label_counts()) do
        if n > 0 and (train_counts[c] or 0) == 0 then
          local names = (test_src or {}).classes or src.classes
          unseen[#unseen + 1] = W("class_count", md_text(names and names[c] or tostring(c - 1)), n)
        end
      end
      if #unseen > 0 then text = text .. W("test_unseen", table.concat(unseen, ", ")) end
    end
    local va = r.datasets.valid
    if va then text = text .. W("validation", #va) end
    if src.sha256 then
      local sums = {}
      for path, sum in pairs(src.sha256) do sums[#sums + 1] = ("%s %s"):format(md_code(path:match("([^/]+)$")), md_code(sum)) end
      table.sort(sums)
      text = text .. W("sha256", table.concat(sums, ", "))
    end
    if not seen[text] then
      seen[text] = true
      lines[#lines + 1] = text
      if src.fallback_reason then
        local note = W("fallback",
          md_code(src.requested), md_text(src.title or src.name), md_code(src.name), reason_text(src.fallback_reason))
        if not seen[note] then seen[note] = true notes[#notes + 1] = note end
      end
    end
  end
  return lines, notes
end

-- Training time of every run, summed (cached runs count the time they took then).
local function training_seconds(record)
  local total = 0
  for _, r in ipairs(record.sweeps) do
    for _, v in ipairs(r.variations) do
      for _, s in ipairs(v.seeds) do total = total + (s.seconds or 0) end
    end
  end
  return total
end

-- True when a sweep's variations are the whole grid of its keys' values:
-- none labelled, each with a value of every key, as many as the grid has
-- cells (unlabelled variations are distinct: their labels are their values).
local function is_grid(r)
  local cells = 1
  for _, k in ipairs(r.keys) do cells = cells * #r:values(k) end
  if cells ~= #r.variations then return false end
  for _, v in ipairs(r.variations) do
    if v.labelled then return false end
    for _, k in ipairs(r.keys) do
      if v.params[k] == nil then return false end
    end
  end
  return true
end

-- What a sweep varies: a grid as each key's values ("`hidden` ∈ {64, 128}",
-- and "(set by `--set hidden=64,128`)" after an axis --set replaced),
-- a list variation by variation ("narrow (`hidden` = 64); (`hidden` = 256,
-- `lr` = 0.1)"); nil for a single variation without a label.
local function varied_text(r)
  if #r.keys == 0 and not r.variations[1].labelled then return nil end
  local parts = {}
  if is_grid(r) then
    for _, k in ipairs(r.keys) do
      local set = r.overridden and r.overridden[k]
      parts[#parts + 1] = ("%s ∈ {%s}%s"):format(md_code(k), list_text(r:values(k)),
        set and W("axis_set_by", md_code(("--set %s=%s"):format(k, set))) or "")
    end
    return table.concat(parts, W("sep"))
  end
  for _, v in ipairs(r.variations) do
    local values, own_values = {}, runs_lib.own_values(v)
    for _, k in ipairs(r.keys) do
      if own_values[k] ~= nil then values[#values + 1] = ("%s = %s"):format(md_code(k), value_md(own_values[k])) end
    end
    local own = table.concat(values, W("sep"))
    parts[#parts + 1] = v.labelled and (own ~= "" and ("%s (%s)"):format(md_text(v.label), own) or md_text(v.label))
                        or ("(%s)"):format(own)
  end
  return W("variations_listed", count_text(#r.variations, "variation"), table.concat(parts, W("sep_group")))
end

-- The learning rate per epoch of the first seed of variation v, when a
-- schedule changed it: "0.1 (epochs 1–2), 0.05 (epochs 3–4), 0.025
-- (epoch 5)"; from its start to its end with the number of changes when it
-- changed more than four times; nil while it stayed the same. The callers
-- say it is the lr (words: schedule, schedule_after).
local function schedule_text(v)
  local history = v.seeds[1] and v.seeds[1].history or {}
  local spans = {}
  for _, h in ipairs(history) do
    if h.lr == nil then return nil end
    local last = spans[#spans]
    if last and last.lr == h.lr then last.to = h.epoch
    else spans[#spans + 1] = { lr = h.lr, from = h.epoch, to = h.epoch } end
  end
  if #spans <= 1 then return nil end
  if #spans > 5 then
    return W("schedule_span", value_text(spans[1].lr),
      spans[1].from, value_text(spans[#spans].lr), spans[#spans].to, #spans - 1)
  end
  local parts = {}
  for i, span in ipairs(spans) do
    parts[i] = span.from == span.to and W("schedule_epoch", value_text(span.lr), span.from)
               or W("schedule_epochs", value_text(span.lr), span.from, span.to)
  end
  return table.concat(parts, W("sep"))
end

-- How both loaders of a sweep prepared the pixels.
local function normalize_text(r)
  local n = r.normalize
  local scaled = r.datasets.train:info().dtype == "uint8" and W("inputs_scaled") or W("inputs_stored")
  local v = r.variations[1]
  if not n and v.transform_text and v.transform_text:find("Normalize(", 1, true) then return scaled end
  if not n then return W("not_normalized", scaled) end
  return W("normalized", scaled, value_text(n.mean), value_text(n.std))
end

-- A sweep's transforms as nnlab.data describes them ("RandomShift(2),
-- Normalize(4 values)"), the words among them in the report's language.
local function transform_text(text)
  local parts = {}
  for part in (text .. ", "):gmatch("(.-), ") do
    local n = part:match("^Normalize%((%d+) values%)$")
    parts[#parts + 1] = n and W("normalize_values", n) or md_text(part)
  end
  return table.concat(parts, ", ")
end

-- The header's row for a sweep: what it varies, seeds, epochs, batch size,
-- and the first variation's model, optimizer, loss, schedule and inputs.
-- The least and the most of value_of(v) over the variations that have one
-- (nil, nil for none).
local function range_over(r, value_of)
  local low, high
  for _, v in ipairs(r.variations) do
    local n = value_of(v)
    if n then low, high = math.min(low or n, n), math.max(high or n, n) end
  end
  return low, high
end

-- A count over the variations: "3 seeds", or "3 to 8 seeds" when they differ
-- (seeds on demand, a varied epochs); count(v) gives one variation's.
local function counts_text(r, noun, count)
  local low, high = range_over(r, count)
  if not low or low == high then return count_text(low or 0, noun) end
  return W(noun .. "_range", low, high)
end

-- The batch size of the variations: 32, or "32–128" when a sweep varies it.
local function batch_text(r)
  local low, high = range_over(r, function(v) return v.params.batch_size end)
  if not low then return "?" end
  return low == high and tostring(low) or ("%d–%d"):format(low, high)
end

local function sweep_row(r)
  local v = r.variations[1]
  if r.custom then -- lab.sweep { run = function(p, ctx) ... end }: nnlab knows no model or optimizer
    local varied = varied_text(r)
    return { W("sweep", md_text(r.name)), W("sweep_value_custom", varied and varied .. W("sep_group") or "",
                                            counts_text(r, "seed", function(x) return #x.seeds end),
                                            count_text(r.epochs, "epoch")) }
  end
  local first = { md_text(v.model_text), md_text(v.optimizer_text), md_text(v.loss_text) }
  local lr = schedule_text(v)
  if v.schedule_text then
    first[#first + 1] = lr and W("schedule_after", md_text(v.schedule_text), lr) or md_text(v.schedule_text)
  else
    first[#first + 1] = lr and W("schedule", lr)
  end
  first[#first + 1] = normalize_text(r)
  if v.transform_text then first[#first + 1] = W("transforms", transform_text(v.transform_text)) end
  local varied = varied_text(r)
  return { W("sweep", md_text(r.name)),
    W("sweep_value", varied and varied .. W("sep_group") or "",
      counts_text(r, "seed", function(x) return #x.seeds end),
      counts_text(r, "epoch", function(x) return x.params.epochs end), batch_text(r), table.concat(first, W("sep"))) }
end

-- Provenance (nnlab.notebook.provenance): no clock in any of these, so the
-- same machine, commit, files and command give the same rows.

-- "`GNU 12.2.0` (`Release` build)": the compiler that built nnlab.
local function compiler_text()
  local b = provenance.build()
  local compiler = b.compiler ~= "" and md_code(b.compiler) or W("unknown")
  return b.build_type ~= "" and W("build_type", compiler, md_code(b.build_type)) or compiler
end

-- The CPU model (family and model numbers when the name is generic), the
-- CPUs this process may use, the OS and kernel.
local function machine_text()
  local m = provenance.machine()
  local cpu = m.cpu and md_code(m.cpu) or W("unknown")
  if m.cpu and m.family and m.model then cpu = W("cpu_family", cpu, m.family, m.model) end
  local system = {}
  if m.os then system[#system + 1] = md_code(m.os) end
  if m.kernel then system[#system + 1] = md_code(m.kernel) end
  return W("machine_value", cpu, W("cores", m.cores), #system > 0 and table.concat(system, W("sep")) or W("unknown"))
end

-- The git commit of the experiment's folder, and whether it was modified.
local function commit_text(record)
  local dir = files.dirname(record.script)
  local g = provenance.git(dir, record.out_dir)
  if g.missing == "git" then return W("no_git") end
  if g.missing == "refused" then return W("git_refused", md_code(dir), md_code(g.reason)) end
  if g.missing == "commit" then return W("no_commit", md_code(dir)) end
  if g.missing then return W("no_repository", md_code(dir)) end
  return W(g.modified and "commit_modified" or "commit_clean", md_code(g.commit))
end

-- Each file the run loaded (the experiment, then its lab.require'd files)
-- with its SHA-256.
local function files_text(record)
  local out = {}
  for _, f in ipairs(record.sources or {}) do
    out[#out + 1] = ("%s %s"):format(md_code(f.path), f.sha256 and md_code(f.sha256) or W("unknown"))
  end
  return #out > 0 and table.concat(out, W("sep")) or W("none")
end

local function header(record, totals)
  local datasets, notes = data_lines(record)
  local seeds = union(record.sweeps, "seeds")
  table.sort(seeds)
  local params = {}
  for _, p in ipairs(record.params) do
    params[#params + 1] = p.from_set and W("param_set", md_code(p.name), value_md(p.value), value_md(p.default))
                          or ("%s = %s"):format(md_code(p.name), value_md(p.value))
  end
  -- a file that trains by hand, with no lab.sweep: no data, seeds or runs of
  -- the notebook's to name ("none" and "0 runs" would say nothing trained);
  -- a file that trains nothing at all keeps them
  local by_hand = #record.sweeps == 0 and record.trained_by_hand
  local listed = { -- (a row left out is false)
    { W("experiment"), W("experiment_value", md_code(record.script), os.date("%Y-%m-%d %H:%M")) },
    { W("data"), #datasets > 0 and table.concat(datasets, W("sep_group")) or W(by_hand and "data_by_hand" or "none") },
    { W("engine"), W("engine_value", core.engine_version(), core.simd(), _VERSION, compiler_text()) },
    { W("machine"), machine_text() },
    { W("commit"), commit_text(record) },
    { W("files"), files_text(record) },
    { W("command"), record.argv and md_code(provenance.command_line(record.argv)) or W("unknown") },
    not by_hand and { W("seeds"), #seeds > 0 and list_text(seeds) or W("none") },
    -- how many trained at once, when any trained
    not by_hand and { W("runs"), totals.trained > 0
                                 and W("runs_value", totals.runs, totals.trained, totals.cached, record.parallel)
                                 or W("runs_value_cached", totals.runs, totals.cached) },
    { W("time"), by_hand and W("time_value_by_hand", seconds_text(totals.seconds))
                 or W("time_value", seconds_text(totals.seconds), seconds_text(training_seconds(record))) },
    { W("parameters"), #params > 0 and table.concat(params, W("sep")) or W("none") },
  }
  local rows = {}
  for _, row in ipairs(listed) do if row then rows[#rows + 1] = row end end
  for _, r in ipairs(record.sweeps) do rows[#rows + 1] = sweep_row(r) end
  local out = { markdown_table({ W("run"), "" }, rows, true) }
  -- the data note, once, in the report's language
  for _, note in ipairs(notes) do out[#out + 1] = W("data_note", note) end
  return table.concat(out, "\n\n")
end

-- lab.table's metrics when none are given: regression runs have no accuracy.
local DEFAULT_METRICS = { "test_acc", "train_loss", "test_loss" }
local REGRESSION_METRICS = { "test_loss", "train_loss" }
-- A list table shows at most this many variations unless lab.table's top says otherwise.
local DEFAULT_TOP = 20

-- "mean ± sample std over 3 seeds"; with one seed there is no std to give.
-- The last epoch the table's values come from: one number, or "5–20" when
-- the variations ran different numbers of epochs (equal steps, say).
local function epochs_text(r)
  local low, high
  for _, v in ipairs(r.variations) do
    for _, s in ipairs(v.seeds) do
      local n = #s.history
      low, high = math.min(low or n, n), math.max(high or n, n)
    end
  end
  if not low or low == high then return tostring(high or r.epochs) end
  return ("%d–%d"):format(low, high)
end

local function over_seeds(r, grid)
  if r.sequential then -- the seeds the variations got (a grid has no seeds column to point to)
    local low, high
    for _, v in ipairs(r.variations) do low, high = math.min(low or #v.seeds, #v.seeds), math.max(high or 0, #v.seeds) end
    local min, max = r.sequential.min, r.sequential.max
    low, high = low or min, high or min
    if low ~= high then return W(grid and "over_seeds_on_demand_grid" or "over_seeds_on_demand", low, high) end
    if min == max then return low == 1 and W("over_one_seed") or W("over_seeds", low) end -- no seed on demand
    if low == max then return W("over_seeds_on_demand_max", low) end -- (some comparisons may stay undecided)
    return W("over_seeds_on_demand_none", low, max)
  end
  if #r.seeds == 1 then return W("over_one_seed") end
  return W("over_seeds", #r.seeds)
end

-- When a seed counts as diverged, for the caption: fit's rule with the
-- sweep's diverge_factor (each value it takes, "10" or "10, 1000"), or a
-- run function's.
local function diverge_rule(r)
  if r.custom then return W("diverge_rule_own") end
  local factors, seen = {}, {}
  for _, v in ipairs(r.variations) do
    local f = v.params.diverge_factor or 10
    if not seen[f] then seen[f], factors[#factors + 1] = true, f end
  end
  table.sort(factors)
  for i, f in ipairs(factors) do -- 1000000, not 1e+06
    factors[i] = (f == math.floor(f) and f < 1e15) and ("%d"):format(f) or ("%g"):format(f)
  end
  return W("diverge_rule", table.concat(factors, ", "))
end

-- A metric's name for people in the report's language (words, keyed by the
-- metric's name), and with its unit for an axis: "test accuracy (%)".
local function metric_label(m) return words.metric(m) end


-- name: the report's, for the link to its results.csv.
local function table_block(block, name)
  local r, opts = block.runs, block.options
  -- a column of "gap" shows one kind for every row (runs:gap_metric)
  local function one_kind(m) return m == "gap" and r:gap_metric() or m end
  local metrics = {}
  local default = r.regression and REGRESSION_METRICS or DEFAULT_METRICS
  for i, m in ipairs(opts.metrics or default) do metrics[i] = one_kind(m) end
  local against = one_kind(opts.compare or metrics[1])
  local labelled = #r.keys == 0
  for _, v in ipairs(r.variations) do labelled = labelled or v.labelled end
  local head = {}
  if labelled then head[1] = W("variation") end
  for _, k in ipairs(r.keys) do head[#head + 1] = md_text(k) end
  for _, m in ipairs(metrics) do head[#head + 1] = metric_label(m) end
  head[#head + 1] = W("vs_best", metric_label(against))
  if r.sequential then head[#head + 1] = W("seeds") end
  head[#head + 1] = W("train_time")
  -- a big sweep: the best `top` variations by the compared metric, best
  -- first, ranked one summary row at a time (rows and verdicts are made
  -- for those shown: the top of 10^5, say)
  local shown, top = {}, opts.top == nil and DEFAULT_TOP or opts.top
  for i = 1, #r.variations do shown[i] = i end
  local cut = top and #shown > top
  if cut then
    local higher = runs_lib.metrics[against].higher_is_better
    local keys = {}
    for i = 1, #r.variations do
      local row = r:summary_of(i, against)
      -- no key (after every number): a diverged seed, no value, or a NaN
      -- mean (a run function's 0/0), which would compare equal to every key
      if row.diverged == 0 and row.mean and row.mean == row.mean then keys[i] = higher and -row.mean or row.mean end
    end
    local function before(a, b)
      local ka, kb = keys[a], keys[b]
      if ka and kb and ka ~= kb then return ka < kb end
      if (ka == nil) ~= (kb == nil) then return ka ~= nil end
      return a < b
    end
    -- the first `top` in that (total) order, kept sorted as each variation
    -- is looked at: what sorting all and cutting gives, without sorting 10^5
    shown = {}
    for i = 1, #r.variations do
      if #shown < top or before(i, shown[#shown]) then
        local at = #shown + 1
        while at > 1 and before(i, shown[at - 1]) do at = at - 1 end
        table.insert(shown, at, i)
        shown[top + 1] = nil
      end
    end
  end
  -- the rows of the compared metric are the cells'
  local cells, best = runs_lib.versus_best(r, against, nil, cut and shown or nil)
  local function summary_of(m, i)
    if m == against then return cells[i].row end
    return r:summary_of(i, m)
  end
  local rows = {}
  for _, i in ipairs(shown) do
    local v = r.variations[i]
    local row, first = {}, nil
    if labelled then row[1] = md_text(v.label) end
    for _, k in ipairs(r.keys) do row[#row + 1] = value_md(v.params[k]) end
    for n, m in ipairs(metrics) do
      local summary = summary_of(m, i)
      first = first or n == 1 and summary
      row[#row + 1] = summary.text
    end
    local unit = runs_lib.metrics[against].unit
    local cell = cells[i]
    if first.diverged > 0 then cell = { code = "diverged" } end
    -- the reason of an untested cell is for programs; the word says it
    row[#row + 1] = best and words.versus_best({ code = cell.code, p = cell.p, p_adjusted = cell.p_adjusted,
                                                 detectable = cell.detectable, later_step = cell.later_step },
                                               unit) or "–"
    if r.sequential then row[#row + 1] = tostring(#v.seeds) end -- seeds on demand: how many this one got
    local total, n = 0, 0
    for _, s in ipairs(v.seeds) do total, n = total + s.seconds, n + 1 end
    row[#row + 1] = W((total / n) < 1 and "run_seconds_small" or "seconds", total / n)
    rows[#rows + 1] = row
  end
  local q = r.sequential
  local level = q and W("level_looks", ("%.4g"):format(100 * q.level), q.looks, ("%.4g"):format(100 * q.alpha))
                or W("level_plain", "95")
  local caption = W("table_caption", epochs_text(r), over_seeds(r), level, diverge_rule(r))
  local first_cell = cells[shown[1]]
  if first_cell and first_cell.correction == "bonferroni" then
    caption = caption .. W("bonferroni_note", first_cell.family)
  end
  if cut then
    caption = W(#r.variations - top == 1 and "top_rows_1" or "top_rows", top, #r.variations, metric_label(against),
                #r.variations - top,
                ("[results.csv](%s)"):format(escape.md_link(name .. "/results.csv"))) .. "\n\n" .. caption
  end
  -- each kind of gap shown says what it is, once
  local said = {}
  for _, m in ipairs(metrics) do
    if (m == "gap_eval" or m == "gap_running") and not said[m] then
      said[m] = true
      caption = caption .. W(m)
    end
  end
  return markdown_table(head, rows) .. "\n\n" .. caption
end

-- A one-off run's history (lab.table(history)): one row per epoch, a column
-- per metric it measured (or the options' metrics).
local EPOCH_METRICS = { "train_loss", "train_acc", "test_loss", "test_acc", "valid_loss", "valid_acc",
                        "train_eval_acc", "lr", "seconds" }
local function epoch_table_block(block)
  local r, opts = block.runs, block.options
  local history = r.variations[1].seeds[1].history
  local metrics
  if opts.metrics then
    -- a column of "gap" shows one kind in every epoch, named (runs:gap_metric), as a sweep's table does
    metrics = {}
    for i, m in ipairs(opts.metrics) do metrics[i] = m == "gap" and r:gap_metric() or m end
  else
    metrics = {}
    for _, m in ipairs(EPOCH_METRICS) do
      if not (r.regression and runs_lib.is_accuracy(m)) then -- a fit to regression targets has none (it reads 0)
        for _, h in ipairs(history) do
          if runs_lib.value(h, m) ~= nil then metrics[#metrics + 1] = m break end
        end
      end
    end
  end
  local head = { W("chart_epoch") }
  for _, m in ipairs(metrics) do head[#head + 1] = metric_label(m) end
  local rows = {}
  for _, h in ipairs(history) do
    local row = { tostring(h.epoch) }
    for _, m in ipairs(metrics) do
      local v = runs_lib.value(h, m)
      row[#row + 1] = m == "lr" and v and value_md(v) or md_text(runs_lib.format(m, v))
    end
    rows[#rows + 1] = row
  end
  local caption = W("epoch_table_caption", md_text(r.variations[1].label))
  local said = {} -- each kind of gap shown says what it is, once
  for _, m in ipairs(metrics) do
    if (m == "gap_eval" or m == "gap_running") and not said[m] then
      said[m] = true
      caption = caption .. W("epoch_" .. m)
    end
  end
  return markdown_table(head, rows) .. "\n\n" .. caption
end

-- A table over a two-key grid: one row per value of options.rows, one column
-- per value of options.columns, each cell the final metric (mean ± std), the
-- best cell in bold, then the best row value for each column.
local function grid_block(block)
  local r, opts = block.runs, block.options
  local function one_kind(m) return m == "gap" and r:gap_metric() or m end
  local metric, row_key, col_key = one_kind(opts.metric or r:default_metric()), opts.rows, opts.columns
  -- the best cell, and the best row per column, by compare (a validation
  -- metric, say), which may not be the metric shown
  local compare = one_kind(opts.compare or metric)
  local row_values, col_values = r:values(row_key), r:values(col_key)
  local function cell_key(row_value, col_value) return value_text(row_value) .. "\0" .. value_text(col_value) end
  local cells, by, best = {}, {}, r:best(compare)
  for _, row in ipairs(r:summary(metric)) do
    local params = row.variation.params
    cells[cell_key(params[row_key], params[col_key])] = row
  end
  for _, row in ipairs(r:summary(compare)) do by[row.variation] = row end
  local head = { ("%s \\ %s"):format(md_text(row_key), md_text(col_key)) }
  for _, c in ipairs(col_values) do head[#head + 1] = ("%s = %s"):format(md_text(col_key), value_md(c)) end
  local rows = {}
  for _, rv in ipairs(row_values) do
    local line = { value_md(rv) }
    for _, cv in ipairs(col_values) do
      local cell_row = cells[cell_key(rv, cv)]
      local text = cell_row and cell_row.text or "–"
      if cell_row and best and cell_row.variation == best.variation then text = "**" .. text .. "**" end
      line[#line + 1] = text
    end
    rows[#rows + 1] = line
  end
  local per_column = {}
  for _, cv in ipairs(col_values) do
    local column = {}
    for _, rv in ipairs(row_values) do
      local cell = cells[cell_key(rv, cv)]
      column[#column + 1] = cell and by[cell.variation]
    end
    local pick = runs_lib.best_row(column, compare)
    local pick_text = pick and value_md(pick.variation.params[row_key]) or "–"
    per_column[#per_column + 1] = ("%s = %s → %s = %s"):format(md_text(col_key), value_md(cv), md_text(row_key),
                                                              pick_text)
  end
  local label = metric_label(metric):gsub("^%l", string.upper)
  local caption
  if compare ~= metric then
    caption = W("grid_caption_by", label, epochs_text(r), over_seeds(r, true), metric_label(compare),
                md_text(row_key), md_text(col_key), table.concat(per_column, W("sep_group")))
  else
    caption = W("grid_caption", label, epochs_text(r), over_seeds(r, true),
                md_text(row_key), md_text(col_key), table.concat(per_column, W("sep_group")))
  end
  return markdown_table(head, rows) .. "\n\n" .. caption
end

-- "lr=0.1" in a chart's key (plain text: gnuplot.chart escapes it); "lr=–"
-- for a listed variation without lr.
local function key_value(k, value)
  return ("%s=%s"):format(k, value == nil and "–" or value_text(value))
end

-- A chart of a metric per epoch: a line and a mean ± std band per variation
-- (those matching opts.where), titled by its label or, under where, by the
-- values the lines do not share.
local function epoch_chart(c, r, opts, ys)
  c.style, c.xlabel, c.integer_x = "band", W("chart_epoch"), r.epochs <= 20
  c.title = opts.title or W(r.from_history and "chart_per_epoch_run" or "chart_per_epoch", c.metrics_label)
  c.xrange = { 1, math.max(r.epochs, 2) }
  for _, v in ipairs(r:select(opts.where)) do
    for _, y in ipairs(ys) do
      local points = {}
      for _, pt in ipairs(r:curve(v, y)) do
        if pt.mean then points[#points + 1] = { pt.epoch, pt.mean, pt.std, pt.n } end
      end
      local diverged = 0
      for _, s in ipairs(v.seeds) do if s.diverged then diverged = diverged + 1 end end
      local title = v.label
      if opts.where and not v.labelled then -- the values every line shares go unsaid
        local parts = {}
        for _, k in ipairs(r.keys) do
          if opts.where[k] == nil then parts[#parts + 1] = key_value(k, v.params[k]) end
        end
        if #parts > 0 then title = table.concat(parts, ", ") end
      end
      if diverged == #v.seeds then title = W("key_diverged", title)
      elseif #points == 0 then title = W("key_not_measured", title, metric_label(y))
      elseif diverged > 0 then title = W("key_some_diverged", title, diverged, #v.seeds) end
      if #ys > 1 then title = W("key_metric", title, metric_label(y)) end
      c.series[#c.series + 1] = { title = title, points = points }
    end
  end
  -- the epochs the points have (a one-off history may number its own: 0 for
  -- the evaluation before training, or every fifth epoch)
  local lo, hi = math.huge, -math.huge
  for _, series in ipairs(c.series) do
    for _, pt in ipairs(series.points) do lo, hi = math.min(lo, pt[1]), math.max(hi, pt[1]) end
  end
  if lo <= hi and (lo < 1 or hi > r.epochs) then c.xrange, c.integer_x = { lo, math.max(hi, lo + 1) }, hi - lo <= 20 end
  return c
end

-- Sets the x axis of a chart against a parameter that takes values (in order
-- of first appearance): numbers are placed by value, on a log scale when all
-- are positive and span a factor of 4 or more; anything else at 1, 2, ... in
-- that order. Returns each value's x position, by value.
local function parameter_axis(c, values)
  local numeric, positive, lo, hi = true, true, math.huge, -math.huge
  for _, value in ipairs(values) do
    if type(value) ~= "number" then numeric = false
    else
      positive = positive and value > 0
      lo, hi = math.min(lo, value), math.max(hi, value)
    end
  end
  local positions, tics = {}, {}
  for i, value in ipairs(values) do
    positions[value] = numeric and value or i
    tics[i] = { positions[value], value_text(value) }
  end
  if numeric then table.sort(tics, function(a, b) return a[1] < b[1] end) end
  c.xtics = tics
  c.logx = numeric and positive and hi / lo >= 4
  if c.logx then
    local pad = (hi / lo) ^ 0.12
    c.xrange = { lo / pad, hi * pad }
  elseif numeric then
    local pad = hi > lo and (hi - lo) * 0.08 or 1
    c.xrange = { lo - pad, hi + pad }
  else
    c.xrange = { 0.5, #tics + 0.5 }
  end
  return positions
end

-- A chart of a metric's final value against the varied parameter x, with
-- error bars over seeds: one line per combination of the other varied
-- parameters (variations matching opts.where); a variation that diverged,
-- has no value of x (a listed variation may leave it out) or of the metric
-- appears in the key only, saying which.
local function parameter_chart(c, r, opts, ys, x)
  c.style, c.xlabel = "errorbars", x
  c.title = opts.title or W("chart_final", c.metrics_label, x)
  local positions = parameter_axis(c, r:values(x, opts.where))
  local shown = {}
  for _, v in ipairs(r:select(opts.where)) do shown[v] = true end
  -- a variation alone in the key: its label, without the values where gives
  -- every variation shown (as on an epoch chart)
  local function alone(v)
    if v.labelled or not opts.where then return v.label end
    local parts = {}
    for _, k in ipairs(r.keys) do
      if opts.where[k] == nil then parts[#parts + 1] = key_value(k, v.params[k]) end
    end
    return #parts > 0 and table.concat(parts, ", ") or v.label
  end
  local groups, order = {}, {}
  for yi, y in ipairs(ys) do
    for _, row in ipairs(r:summary(y)) do
      local v = row.variation
      if shown[v] then
        local others = {}
        for _, k in ipairs(r.keys) do
          if k ~= x and (opts.where or {})[k] == nil then
            others[#others + 1] = key_value(k, v.params[k])
          end
        end
        local name = #others > 0 and table.concat(others, ", ")
                     or W("chart_over_seeds", metric_label(y), count_text(#r.seeds, "seed"))
        if #ys > 1 and #others > 0 then name = W("key_metric", name, metric_label(y)) end
        if not groups[name] then groups[name] = { title = name, points = {} } order[#order + 1] = groups[name] end
        -- a variation without points appears once in the key, not once per metric
        if row.diverged > 0 then -- no mean, as in the table; the key says how many seeds diverged
          if yi == 1 then
            order[#order + 1] = { title = row.diverged == row.seeds and W("key_diverged", alone(v))
                                          or W("key_some_diverged", alone(v), row.diverged, row.seeds), points = {} }
          end
        elseif v.params[x] == nil then
          if yi == 1 then order[#order + 1] = { title = W("key_no_value", alone(v), x), points = {} } end
        elseif not row.mean then
          order[#order + 1] = { title = W("key_not_measured", alone(v), metric_label(y)), points = {} }
        else table.insert(groups[name].points, { positions[v.params[x]], row.mean, row.std or 0, row.n }) end
      end
    end
  end
  for _, g in ipairs(order) do
    table.sort(g.points, function(a, b) return a[1] < b[1] end)
    c.series[#c.series + 1] = g
  end
  return c
end

-- A chart of more series than a reader can tell apart keeps the best
-- BEST_SERIES (by their last value on an epoch chart, their best value
-- against a parameter) and draws the rest as one grey band: the range of
-- their means at each x.
local MAX_SERIES, BEST_SERIES = 10, 6
-- At most KEYED_ONLY series without points (diverged, no value) in the key,
-- then one entry that counts the rest: 22 diverged variations' entries
-- covered the two lines drawn.
local KEYED_ONLY = 4
local function keyed_only(keyed)
  local kept = {}
  for i = 1, math.min(#keyed, KEYED_ONLY) do kept[i] = keyed[i] end
  if #keyed > KEYED_ONLY then kept[#kept + 1] = { title = W("key_more", #keyed - KEYED_ONLY), points = {} } end
  return kept
end

local function keep_best_series(c, higher)
  local drawn, keyed = {}, {}
  for _, s in ipairs(c.series) do
    if #s.points > 0 then drawn[#drawn + 1] = s else keyed[#keyed + 1] = s end
  end
  if #drawn <= MAX_SERIES then
    if #drawn + #keyed > MAX_SERIES then
      c.series = drawn
      table.move(keyed_only(keyed), 1, math.min(#keyed, KEYED_ONLY + 1), #drawn + 1, c.series)
    end
    return c
  end
  -- a NaN value (a run function's 0/0) scores nothing: a series without a
  -- score ranks after every other
  local function score(s)
    local best
    for _, pt in ipairs(s.points) do
      local v = c.style == "band" and s.points[#s.points][2] or pt[2]
      if v == v and (not best or (higher and v > best) or (not higher and v < best)) then best = v end
    end
    return best
  end
  local order = {}
  for i, s in ipairs(drawn) do order[i] = { s = s, score = score(s), i = i } end
  table.sort(order, function(a, b)
    if (a.score == nil) ~= (b.score == nil) then return a.score ~= nil end
    if a.score ~= b.score then return (higher and a.score > b.score) or (not higher and a.score < b.score) end
    return a.i < b.i
  end)
  local series, low, high, xs = {}, {}, {}, {}
  for rank, o in ipairs(order) do
    if rank <= BEST_SERIES then series[#series + 1] = o.s
    else
      for _, pt in ipairs(o.s.points) do
        local x = pt[1]
        if pt[2] ~= pt[2] then -- NaN: no place in the range
        elseif low[x] == nil then xs[#xs + 1] = x low[x], high[x] = pt[2], pt[2]
        else low[x], high[x] = math.min(low[x], pt[2]), math.max(high[x], pt[2]) end
      end
    end
  end
  table.sort(xs)
  local band = { title = W("chart_band", #drawn - BEST_SERIES), points = {} }
  for _, x in ipairs(xs) do band.points[#band.points + 1] = { x, low[x], high[x] } end
  -- series without points (diverged, no value) stay in the key, but at most a few
  table.move(keyed_only(keyed), 1, math.min(#keyed, KEYED_ONLY + 1), #series + 1, series)
  c.series, c.band = series, band
  return c
end

-- A chart against x of a sweep over exactly two parameters (x and one
-- other) with more lines than MAX_SERIES: a heatmap of the first metric's
-- final mean, x across, the other parameter up, values in the cells when
-- the grid is small enough for them to be read.
local function heatmap_spec(c, r, opts, y, x)
  local other = r.keys[1] == x and r.keys[2] or r.keys[1]
  local xs, ys = r:values(x, opts.where), r:values(other, opts.where)
  if #ys <= MAX_SERIES then return nil end
  local function sorted_positions(values)
    local list = {}
    for i, v in ipairs(values) do list[i] = v end
    local numeric = true
    for _, v in ipairs(list) do numeric = numeric and type(v) == "number" end
    if numeric then table.sort(list) end
    local labels, position = {}, {}
    for i, v in ipairs(list) do labels[i], position[v] = value_text(v), i end
    return labels, position
  end
  if #xs < 2 then return nil end -- a grid one cell wide draws nothing (gnuplot's image): lines instead
  local xtics, xpos = sorted_positions(xs)
  local ytics, ypos = sorted_positions(ys)
  local shown = {}
  for _, v in ipairs(r:select(opts.where)) do shown[v] = true end
  local cells, filled = {}, {}
  for i = 1, #r.variations do -- a row at a time: no rows of 10^5 variations at once
    local row = r:summary_of(i, y)
    local v = row.variation
    if shown[v] and row.mean and row.diverged == 0 and xpos[v.params[x]] and ypos[v.params[other]] then
      cells[#cells + 1] = { xpos[v.params[x]], ypos[v.params[other]], row.mean }
      filled[xpos[v.params[x]] * (#ytics + 1) + ypos[v.params[other]]] = true
    end
  end
  -- a cell without a value (a diverged seed, no such variation) is NaN, drawn
  -- grey: gnuplot's image needs the whole grid, and the axis says why
  local blank = #cells > 0 and #cells < #xtics * #ytics
  for xi = 1, blank and #xtics or 0 do
    for yi = 1, #ytics do
      if not filled[xi * (#ytics + 1) + yi] then cells[#cells + 1] = { xi, yi, 0 / 0 } end
    end
  end
  -- in the grid's order, a row of x at a time, as gnuplot's image reads them
  table.sort(cells, function(a, b) if a[2] ~= b[2] then return a[2] < b[2] end return a[1] < b[1] end)
  local info = runs_lib.metrics[y]
  return { file = c.file, title = opts.title or W("chart_heatmap", metric_label(y), x, other),
           xlabel = blank and W("heatmap_blank", x) or x,
           ylabel = other, xtics = xtics, ytics = ytics, cells = cells, label = c.ylabel,
           values = #xtics <= 16 and #ytics <= 24, higher_is_better = info.higher_is_better, heatmap = true,
           empty_note = W("heatmap_empty") }
end

-- What gnuplot.chart draws for a chart block: opts.y (default test_acc, test_loss for regression) per
-- epoch, or against the varied parameter opts.x.
local function chart_spec(block, number)
  local r, opts = block.runs, block.options
  local ys, x = opts.y or r:default_metric(), opts.x or "epoch"
  if type(ys) ~= "table" then ys = { ys } end
  local names = ys -- the file is named by what was asked for
  ys = {}
  for i, y in ipairs(names) do ys[i] = y == "gap" and r:gap_metric(opts.where) or y end
  local info = runs_lib.metrics[ys[1]] -- lab.chart checked that the metrics share a unit or quantity
  local labels = {}
  for i, y in ipairs(ys) do labels[i] = metric_label(y) end
  local c = { file = ("fig%d-%s-%s"):format(number, table.concat(names, "-"), escape.file_name(x)), series = {},
              metrics_label = table.concat(labels, W("sep_group")),
              key = info.higher_is_better and "bottom right" or "top right", percent = info.unit == "%" }
  local unit = info.unit == "pp" and W("unit_pp_axis") or info.unit -- percentage points in the report's language
  if #ys == 1 then
    c.ylabel = unit and W("axis_unit", labels[1], unit) or labels[1]
  else -- several metrics: the axis says their shared unit, or (without one) names them
    c.ylabel = unit or c.metrics_label
  end
  local higher = info.higher_is_better
  if x == "epoch" then return keep_best_series(epoch_chart(c, r, opts, ys), higher) end
  if #ys == 1 and #r.keys == 2 then
    local heatmap = heatmap_spec(c, r, opts, ys[1], x)
    if heatmap then return heatmap end
  end
  return keep_best_series(parameter_chart(c, r, opts, ys, x), higher)
end

-- drawing: { folder (where the chart's files go), previous (gnuplot.draw's
-- reuse of the last report's PNGs), proofs (the drawn PNGs' proof lines) }.
local function chart_block(block, number, drawing, name, problems)
  local c = chart_spec(block, number)
  local script, text
  if c.heatmap then script, text = gnuplot.heatmap(c) else script, text = gnuplot.chart(c) end
  local ok, err, reported = gnuplot.draw(drawing.folder, c.file, script, text, drawing.previous)
  if ok then drawing.proofs[#drawing.proofs + 1] = err end
  local title = md_text(block.options.title or c.title)
  local function link(ext) return escape.md_link(("%s/%s.%s"):format(name, c.file, ext)) end
  local function file(ext) return md_text(("%s/%s.%s"):format(name, c.file, ext)) end
  if ok then return ("![%s](%s)"):format(title, link("png")) end
  problems[#problems + 1] = ("chart %s not drawn: %s"):format(c.file, drawing.public(err))
  return W("chart_not_drawn", title, md_text(drawing.public(reported)), file("dat"), link("dat"), file("gp"),
           link("gp"))
end

local csv_field = escape.csv_field

local ROW_METRICS = { "train_loss", "train_acc", "test_loss", "test_acc", "lr" }
local OPTIONAL_ROW_METRICS = { "train_eval_loss", "train_eval_acc", "valid_loss", "valid_acc" }

-- The optional row metrics (train_eval_*: eval_train = true; valid_*:
-- valid = ...) that any row of the sweeps has a value of, as a set: a seed
-- may diverge before its first evaluation, a run function may measure one
-- and not the other, or only from some epoch on. The search ends once each
-- is found.
local function measured_row_metrics(sweeps)
  local measured, missing = {}, #OPTIONAL_ROW_METRICS
  for _, r in ipairs(sweeps) do
    for _, v in ipairs(r.variations) do
      for _, s in ipairs(v.seeds) do
        for _, h in ipairs(s.history) do
          for _, m in ipairs(OPTIONAL_ROW_METRICS) do
            if not measured[m] and h[m] ~= nil then measured[m], missing = true, missing - 1 end
          end
          if missing == 0 then return measured end
        end
      end
    end
  end
  return measured
end

-- One row per sweep × variation × seed × epoch: CSV (only what the seeds
-- decide, so reruns give identical files) and JSON (with timings). Returns
-- the two files as writers (function(write), files.write_atomic), which
-- make each row's text as they write it: 10^5 runs' rows are never held at
-- once, as tables or as text.
local function results(record)
  local keys = union(record.sweeps, "keys")
  local measured = measured_row_metrics(record.sweeps)
  local row_metrics = table.move(ROW_METRICS, 1, #ROW_METRICS, 1, {})
  for _, m in ipairs(OPTIONAL_ROW_METRICS) do
    if measured[m] then row_metrics[#row_metrics + 1] = m end
  end
  local fixed = { "seed", "epoch", "train_loss", "train_acc", "test_loss", "test_acc", "epoch_lr" }
  for i = #ROW_METRICS + 1, #row_metrics do fixed[#fixed + 1] = row_metrics[i] end
  fixed[#fixed + 1] = "diverged"
  -- a varied key named like a fixed column (a sweep over `epoch`) is
  -- param_epoch, so that no two columns share a name
  local taken = { sweep = true, variation = true }
  for _, f in ipairs(fixed) do taken[f] = true end
  for _, k in ipairs(keys) do taken[k] = taken[k] or "key" end -- a key keeps its own name when it can
  local head = { "sweep", "variation" }
  for _, k in ipairs(keys) do
    local name = k
    if taken[name] ~= "key" then
      repeat name = "param_" .. name until not taken[name]
    end
    taken[name] = true
    head[#head + 1] = name
  end
  table.move(fixed, 1, #fixed, #head + 1, head)
  for i, field in ipairs(head) do head[i] = csv_field(field) end
  -- each_row(fn): fn(r, own, v, s, h) for every row, in order (own: the sweep's keys as a set)
  local function each_row(fn)
    for _, r in ipairs(record.sweeps) do
      local own = {}
      for _, k in ipairs(r.keys) do own[k] = true end
      for _, v in ipairs(r.variations) do
        for _, s in ipairs(v.seeds) do
          for _, h in ipairs(s.history) do fn(r, own, v, s, h) end
        end
      end
    end
  end
  local function csv(write)
    write(table.concat(head, ",") .. "\n")
    each_row(function(r, own, v, s, h)
      local fields = { csv_field(r.name), csv_field(v.label) }
      for _, k in ipairs(keys) do
        local value -- a key of another sweep is empty; false is false
        if own[k] then value = v.params[k] end
        fields[#fields + 1] = csv_field(value)
      end
      fields[#fields + 1] = csv_field(s.seed)
      fields[#fields + 1] = csv_field(h.epoch)
      for _, m in ipairs(row_metrics) do fields[#fields + 1] = csv_field(h[m]) end
      fields[#fields + 1] = tostring(h.diverged == true)
      write(table.concat(fields, ",") .. "\n")
    end)
  end
  local row_names = { "sweep", "variation", "params", "seed", "epoch", "diverged", "seconds", "eval_seconds", "cached" }
  for _, m in ipairs(row_metrics) do row_names[#row_names + 1] = m end
  local rows = json.stream(function(emit)
    local last_v, params -- a variation's parameters, encoded once for all its rows
    each_row(function(r, _, v, s, h)
      if v ~= last_v then last_v, params = v, json.raw(json.encode(runs_lib.own_values(v))) end -- scalars: one line
      local row = { sweep = r.name, variation = v.label, params = params, seed = s.seed, epoch = h.epoch,
                    diverged = h.diverged == true, seconds = h.seconds, eval_seconds = h.eval_seconds,
                    cached = s.cached }
      for _, m in ipairs(row_metrics) do row[m] = h[m] end
      emit(row)
    end)
  end, json.object_writer(row_names))
  local params = {}
  for _, p in ipairs(record.params) do params[p.name] = p.value end
  local sweeps = {}
  for _, r in ipairs(record.sweeps) do
    sweeps[#sweeps + 1] = { name = r.name, keys = r.keys, seeds = r.seeds, epochs = r.epochs,
                            trained = r.counts.trained, cached = r.counts.cached }
  end
  -- "experiment" sorts first, so it opens the file's first line, where
  -- staging.owner_refusal reads which file owns the report
  local doc = { experiment = record.script, title = record.title, generated = os.date("!%Y-%m-%dT%H:%M:%SZ"),
                nnlab = { engine = core.engine_version(), simd = core.simd(), lua = _VERSION },
                parameters = params, sweeps = sweeps, rows = rows }
  return csv, function(write)
    json.write(doc, write)
    write("\n")
  end
end

-- The report's title line (the title is text: escape.md_text) and the
-- comment that says which file wrote it.
local function opening(record)
  return "# " .. md_text(record.title or record.name),
         W("written_by", md_text(record.script))
end

-- The closing line: links to results.csv and results.json.
local function results_links(name)
  local function link(file)
    return ("[%s](%s)"):format(md_text(name .. "/" .. file), escape.md_link(name .. "/" .. file))
  end
  return W("results_links", link("results.csv"), link("results.json"))
end

-- The proofs of the charts a report folder holds (gnuplot.draw), by chart.
local PROOFS = ".charts-drawn"

--- report.write(record, totals) writes the report of a run, whole or not at
--- all (nnlab.notebook.staging); returns the .md path and a list of problems
--- (charts not drawn), or raises an error when a file cannot be written or
--- a signal stopped it, leaving the previous report as it was. record, what
--- the notebook hands over and nothing more: name, script, title, blocks,
--- params, sweeps, parallel, out_dir, language ("zh" or "en": every word
--- the report generates is in it, nnlab.notebook.words; default from the
--- title's script); html ("embed" | "linked", or nil: also write OUT/NAME.html,
--- nnlab.notebook.html, charts embedded or linked) and watch (the page
--- reloads itself when a newer report replaces it). totals: runs, trained,
--- cached, seconds.
function report.write(record, totals)
  words.set(record.language or words.default(record.title or record.name))
  local name = record.name
  local stage = staging.begin(record.out_dir, name)
  local problems = {}
  local rendered, err = pcall(function()
    local drawing = { folder = stage.folder, proofs = {}, public = function(msg) return stage:public(msg) end,
                      previous = { folder = stage.live_folder,
                                   proofs = gnuplot.read_proofs(files.read(stage.live_folder .. "/" .. PROOFS)) } }
    drawing.write = function(file, text) stage:write(file, text) end
    local parts, charts, picture_count = {}, 0, 0
    parts[1], parts[2] = opening(record)
    parts[3] = header(record, totals)
    for _, block in ipairs(record.blocks) do
      stage:check_interrupt()
      if block.kind == "md" then parts[#parts + 1] = block.text
      elseif block.kind == "table" then
        parts[#parts + 1] = block.options.rows and grid_block(block) or block.per_epoch and epoch_table_block(block)
                                or table_block(block, name)
      elseif block.kind == "chart" then
        charts = charts + 1
        parts[#parts + 1] = chart_block(block, charts, drawing, name, problems)
      elseif block.kind == "picture" then
        picture_count = picture_count + 1
        parts[#parts + 1] = pictures.render(block, {
          number = picture_count, folder = drawing.folder, previous = drawing.previous, proofs = drawing.proofs,
          name = name, write = drawing.write, public = drawing.public, problems = problems,
          markdown_table = markdown_table })
      end
    end
    if #drawing.proofs > 0 then stage:write(PROOFS, table.concat(drawing.proofs, "\n") .. "\n") end
    if #record.sweeps > 0 then
      parts[#parts + 1] = results_links(name)
      local csv, json_text = results(record)
      stage:write("results.csv", csv)
      stage:write("results.json", json_text)
    end
    stage:mark()
    local markdown = table.concat(parts, "\n\n") .. "\n"
    stage:write(nil, markdown)
    if record.html then
      local version = record.watch and ("%d-%d-%d"):format(os.time(), proc.getpid(), math.floor(proc.clock() * 1e6))
      stage:write_page(html.page { markdown = markdown, title = record.title or name, name = name,
                                   language = words.language(), images = record.html, folder = stage.folder,
                                   read = files.read, version = version })
      if version then stage:write(html.VERSION_FILE, html.version_script(version)) end
    end
  end)
  if not rendered then
    stage:abandon()
    error(stage:public(tostring(err)), 0)
  end
  -- a signal caught during the last write: stop before the commit, the previous report kept
  local going, why = pcall(stage.check_interrupt, stage)
  if not going then
    stage:abandon()
    error(why, 0)
  end
  stage:commit()
  return ("%s/%s.md"):format(record.out_dir, name), problems
end

return report
