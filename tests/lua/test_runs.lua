-- nnlab.notebook.runs under stock lua5.4: what a Runs object says (summary,
-- best, compare, verdicts) over hand-made results, diverged seeds included,
-- and the derived gap metric.
local T = require "testlib"
local runs = require "nnlab.notebook.runs"

-- A seed's result: one epoch with its test accuracy.
local function seed_result(s, acc, diverged)
  return { seed = s, diverged = diverged, seconds = 1,
           history = { { epoch = 1, test_acc = acc, train_loss = 1, test_loss = 1, seconds = 1 } } }
end
local hidden_runs = runs.new { name = "hidden", keys = { "hidden" }, seeds = { 1, 2, 3 }, epochs = 1, variations = {
  { label = "hidden=64", values = { hidden = 64 }, params = { hidden = 64 },
    seeds = { seed_result(1, 68.1), seed_result(2, 68.3), seed_result(3, 67.9) } },
  { label = "hidden=128", values = { hidden = 128 }, params = { hidden = 128 },
    seeds = { seed_result(1, 68.4), seed_result(2, 68.2), seed_result(3, 68.6) } },
  { label = "hidden=256", values = { hidden = 256 }, params = { hidden = 256 },
    seeds = { seed_result(1, 90), seed_result(2, 10, true), seed_result(3, 91) } },
} }

T.case("summary: mean ± std text; a partly diverged variation says so and leaves its diverged seeds out", function()
  local summary = hidden_runs:summary("test_acc")
  T.eq(summary[1].text, "68.10 ± 0.20 %", "mean ± std text")
  T.eq(summary[3].text, "diverged (1/3 seeds)", "partly diverged")
  T.eq(summary[3].n, 2, "diverged seeds left out")
end)

-- The rows' text had stayed English in a Chinese report, where the table
-- beside it said 发散 and 个百分点.
T.case("summary: the row's text is in the report's language", function()
  local words = require "nnlab.notebook.words"
  local before = words.language()
  words.set("zh")
  local ok, err = pcall(function()
    local summary = hidden_runs:summary("test_acc")
    T.eq(summary[3].text, "发散（1/3 个种子）", "partly diverged")
    T.eq(summary[1].text, "68.10 ± 0.20 %", "an accuracy")
    local all = runs.new { name = "d", keys = { "v" }, seeds = { 1 }, epochs = 1, variations = {
      { label = "v=1", values = { v = 1 }, params = { v = 1 }, seeds = { seed_result(1, 10, true) } } } }
    T.eq(all:summary("test_acc")[1].text, "发散", "every seed diverged")
  end)
  words.set(before)
  if not ok then error(err, 0) end
end)

T.case("best skips diverged variations and carries its parameters and mean", function()
  local best = hidden_runs:best()
  T.eq(best.label, "hidden=128", "best skips diverged variations")
  T.eq(best.params.hidden, 128, "best carries its parameters")
  T.close(best.mean, 68.4, 1e-12, "best carries its mean")
  T.eq(best.metric, "test_acc", "and names its metric")
end)

-- A sweep that varies a parameter named like a statistic of the summary rows.
local function clash_runs(key, low, high)
  local function variation(value, accs)
    local seeds = {}
    for i, acc in ipairs(accs) do seeds[i] = seed_result(i, acc) end
    return { label = ("%s=%s"):format(key, value), values = { [key] = value }, params = { [key] = value, lr = 0.1 },
             seeds = seeds }
  end
  return runs.new { name = key, keys = { key }, seeds = { 1, 2, 3 }, epochs = 1, variations = {
    variation(low, { 70, 86, 78 }), variation(high, { 10, 12, 14 }) } }
end

T.case("a parameter named std, n, values or text leaves the statistics alone", function()
  for _, key in ipairs { "std", "n", "values", "text", "label", "diverged", "seeds", "variation", "metric" } do
    local row = clash_runs(key, 0.01, 1.0):summary()[1]
    T.close(row.std, 8, 1e-12, key .. ": the seeds' std")
    T.eq(row.n, 3, key .. ": finished seeds")
    T.eq(row.text, "78.00 ± 8.00 %", key .. ": the text")
    T.eq(#row.values, 3, key .. ": the values")
    T.eq(row.diverged, 0, key .. ": diverged seeds")
    T.eq(row.params[key], 0.01, key .. ": the parameter, under params")
    T.eq(row.params.lr, 0.1, key .. ": fixed parameters too")
  end
end)

T.case("a parameter named mean leaves best and compare to the measured means", function()
  local r = clash_runs("mean", 1, 2)
  T.eq(r:best().params.mean, 1, "best picks the higher accuracy, not the higher parameter")
  T.close(r:best().mean, 78, 1e-12, "its measured mean")
  T.close(r:compare({ mean = 1 }, { mean = 2 }).delta, 66, 1e-9, "compare uses measured means")
end)

T.case("a parameter named label selects by value; a summary row selects its own variation", function()
  local r = clash_runs("label", "a", "b")
  T.eq(r:get({ label = "b" }).label, "label=b", "{ label = ... } is a parameter's value")
  T.eq(r:get(r:summary()[2]).label, "label=b", "a summary row")
  T.fails(function() r:compare({ label = "c" }, "label=a") end, "compare: no variation matches { label=c }")
end)

T.case("compare: paired by seed, can't tell with its p and the detectable effect; diverged variations are not compared", function()
  local cmp = hidden_runs:compare({ hidden = 64 }, hidden_runs:best())
  T.eq(cmp.differs, false, "compare: can't tell")
  T.eq(cmp.test, "paired t", "the seeds pair the values")
  -- differences -0.3, 0.1, -0.7: mean -0.3, sd 0.4, t = -1.299 on 2 df (Welch on the same values: p = 0.14)
  T.contains(cmp.text, "can't tell (p = 0.32; detectable ≥ 1.3 pp)", "compare text")
  T.contains(hidden_runs:compare("hidden=256", "hidden=64").text, "diverged", "diverged variations are not compared")
end)

T.case("summary of an unknown metric is an error naming it", function()
  T.fails(function() hidden_runs:summary("accuracy") end, "unknown metric 'accuracy'")
  -- a value that is not a string is named by its type, not its address
  T.fails(function() hidden_runs:summary({ metrc = "test_acc" }) end, "unknown metric a table (one of: ")
  T.fails(function() require("nnlab.options").check("f", { title = { "x" } }, { title = "t" }) end,
          "f: option 'title' must be a string, got a table")
end)

T.case("format: a loss with four decimals, a gap in percentage points", function()
  T.eq(runs.format("train_loss", 0.43121, 0.0101), "0.4312 ± 0.0101", "loss format")
  T.eq(runs.format("gap", 10.5, 0.25), "10.50 ± 0.25 pp", "gap format")
  -- values a history can hold (a diverged epoch, a hand-made table)
  T.eq(runs.format("test_acc", 0 / 0), "NaN %", "NaN, not -nan")
  T.eq(runs.format("train_loss", math.huge), "inf", "inf")
  T.eq(runs.format("train_loss", -math.huge, 0 / 0), "-inf ± NaN", "-inf and a NaN std")
  T.eq(runs.format("test_acc", 1e300), "1.00e+300 %", "not 301 digits")
  T.eq(runs.format("train_loss", -0.0), "0.0000", "no sign on zero")
  T.eq(runs.format("test_acc", -1e-300), "0.00 %", "no sign on what rounds to zero")
end)

T.case("the gap metric: eval-mode training accuracy when measured, else the running one", function()
  T.eq(runs.value({ train_acc = 90, test_acc = 80 }, "gap"), 10, "gap from train_acc")
  T.eq(runs.value({ train_acc = 90, train_eval_acc = 95, test_acc = 80 }, "gap"), 15, "gap from train_eval_acc")
  T.eq(runs.value({ train_acc = 90 }, "gap"), nil, "no test accuracy: no gap")
end)

-- A seed's result with training accuracy (eval mode: one point more) and test accuracy.
local function seed_result_with_train(s, train, test, diverged)
  return { seed = s, diverged = diverged, seconds = 1,
           history = { { epoch = 1, train_acc = train, train_eval_acc = train + 1, test_acc = test,
                         train_loss = 1, test_loss = 1, seconds = 1 } } }
end
local reg_runs = runs.new { name = "reg", keys = { "dropout" }, seeds = { 1, 2, 3 }, epochs = 1, variations = {
  { label = "none", values = { dropout = 0 }, params = { dropout = 0 },
    seeds = { seed_result_with_train(1, 95, 80), seed_result_with_train(2, 96, 80.5),
              seed_result_with_train(3, 95.5, 79.5) } },
  { label = "dropout", values = { dropout = 0.5 }, params = { dropout = 0.5 },
    seeds = { seed_result_with_train(1, 88, 80.2), seed_result_with_train(2, 88.5, 80.4),
              seed_result_with_train(3, 87.5, 79.9) } },
  { label = "broken", values = { dropout = 0.9 }, params = { dropout = 0.9 },
    seeds = { seed_result_with_train(1, 10, 10, true), seed_result_with_train(2, 88.5, 80.4),
              seed_result_with_train(3, 87.5, 79.9) } },
} }

T.case("runs:verdict on the gap metric: dropout shrinks the gap, measured in eval mode", function()
  local gap = reg_runs:verdict("dropout", "none", "lower", { metric = "gap" })
  T.eq(gap.verdict, "supported", "dropout shrinks the gap")
  T.eq(gap.test, "paired t", "paired by seed")
  T.close(gap.delta, -23 / 3, 1e-9, "gap difference (eval-mode train accuracy)")
  T.eq(gap.a.label, "dropout", "verdict carries the rows")
end)

T.case("runs:verdict on test accuracy: can't tell, with the effect the seeds could detect; a diverged seed: nothing tested", function()
  local v = reg_runs:verdict("dropout", "none", "higher")
  T.eq(v.verdict, "cant_tell", "test accuracy: can't tell")
  T.truthy(v.detectable and v.detectable > 0, "the detectable effect is given")
  T.eq(reg_runs:verdict("broken", "none", "higher").verdict, "diverged", "a diverged seed: nothing tested")
end)

T.case("runs:verdict refuses a variation that matches nothing and an unknown metric", function()
  T.fails(function() reg_runs:verdict("nothing", "none", "higher") end, "verdict: no variation matches nothing")
  T.fails(function() reg_runs:verdict("dropout", "none", "higher", { metric = "accuracy" }) end,
          "unknown metric 'accuracy'")
end)

T.case("runs:verdict refuses a misspelt option instead of judging test accuracy", function()
  local line = debug.getinfo(1, "l").currentline + 1
  local err = T.fails(function() reg_runs:verdict("dropout", "none", "lower", { metirc = "gap" }) end,
                      "verdict: unknown option 'metirc' (did you mean 'metric'?)")
  T.contains(err, ("test_runs.lua:%d:"):format(line), "at the user's line")
end)

-- Three variations over the same four seeds: a and b alike, c lower by far;
-- a seed effect shared by all (what pairing removes).
local function paired_runs(extra_seeds)
  local seed_effect = { 0, 3, -2, 1, 2, -1 }
  local function variation(label, base, wobble)
    local seeds = {}
    for s = 1, 4 + (extra_seeds or 0) do
      seeds[s] = seed_result(s, base + seed_effect[s] + wobble[s])
    end
    return { label = label, values = { v = label }, params = { v = label }, seeds = seeds }
  end
  return runs.new { name = "paired", keys = { "v" }, seeds = { 1, 2, 3, 4 }, epochs = 1, variations = {
    variation("a", 80, { 0.1, -0.1, 0.05, 0, 0.1, -0.05 }),
    variation("b", 80, { -0.05, 0.1, -0.1, 0, -0.1, 0.05 }),
    variation("c", 70, { 0.2, -0.1, 0.1, -0.2, 0.1, 0 }),
  } }
end

T.case("versus_best: paired by seed, all pairs Holm-corrected; alike is can't tell, far lower differs", function()
  local cells, best = paired_runs():versus_best("test_acc")
  T.eq(best.label, "a", "the best mean")
  T.eq(cells[1].code, "best", "a is the best")
  T.eq(cells[2].code, "cant_tell", "b is alike")
  T.eq(cells[2].test, "paired t", "paired by seed")
  T.truthy(cells[2].detectable > 0, "b: the effect these seeds could detect")
  T.eq(cells[3].code, "differs", "c is far lower, even with the seed effect (paired)")
  T.truthy(cells[3].p_adjusted >= cells[3].p, "Holm never lowers a p")
  T.close(cells[3].delta, -10 + ((0.2 - 0.1 + 0.1 - 0.2) - (0.1 - 0.1 + 0.05 + 0)) / 4, 1e-9, "delta to the best")
end)

T.case("undecided: the can't-tell variations and the best, for seeds on demand", function()
  local list = paired_runs():undecided("test_acc", 0.95)
  T.eq(#list, 2, "the best and b")
  T.eq(list[1].label, "a", "the best first")
  T.eq(list[2].label, "b", "then the undecided")
end)

T.case("versus_best: a variation with one seed is untested, not compared", function()
  local r = paired_runs()
  r.variations[2].seeds = { r.variations[2].seeds[1] }
  local cells = r:versus_best("test_acc")
  T.eq(cells[2].code, "untested", "one seed: untested")
end)

-- A variation of one seed above the others had been the best, and every
-- other cell untested: c, 10 points lower, was never tested against a.
T.case("versus_best: a variation of one seed is not the best; the best of two seeds or more is tested", function()
  local r = paired_runs()
  r.variations[2].seeds = { seed_result(1, 95) }
  local cells, best = r:versus_best("test_acc")
  T.eq(best.label, "a", "the best among variations of two seeds or more")
  T.eq(cells[1].code, "best", "a")
  T.eq(cells[2].code, "untested", "b, of one seed")
  T.eq(cells[3].code, "differs", "c against a")
  T.eq(r:best("test_acc").label, "a", "runs:best, which the grid table bolds, picks the same")
  -- none of two seeds: the best mean, every other cell untested
  local single = paired_runs()
  for _, v in ipairs(single.variations) do v.seeds = { v.seeds[1] } end
  cells, best = single:versus_best("test_acc")
  T.eq(best.label, "a", "the best mean when no variation has two seeds")
  T.eq(single:best("test_acc").label, "a", "runs:best too")
  T.eq(cells[3].code, "untested", "c, of one seed")
end)

-- k variations of 3 seeds, variation i a little below variation 1.
local function many_runs(k)
  local variations = {}
  for i = 1, k do
    local seeds = {}
    for s = 1, 3 do seeds[s] = seed_result(s, 90 - 0.01 * i + ((i * 7 + s * 13) % 5) * 0.1) end
    variations[i] = { label = "v" .. i, values = { v = i }, params = { v = i }, seeds = seeds }
  end
  return runs.new { name = "many", keys = { "v" }, seeds = { 1, 2, 3 }, epochs = 1, variations = variations }
end

T.case("versus_best: up to 20 000 pairs, all tested and Holm-adjusted; the same p as a Holm over all pairs by hand", function()
  local r = many_runs(200) -- 19 900 pairs
  local cells, best = r:versus_best("test_acc")
  T.eq(cells[1].correction, "holm", "Holm")
  T.eq(cells[1].family, 19900, "every pair")
  local stats = require "nnlab.notebook.stats"
  -- Holm over all pairs, computed here from runs:compare's raw p-values
  local sub = many_runs(30)
  local sub_cells, sub_best = sub:versus_best("test_acc")
  local ps, index = {}, {}
  for i = 1, 30 do
    for j = i + 1, 30 do
      ps[#ps + 1] = sub:compare({ v = i }, { v = j }).p
      if sub.variations[i] == sub_best.variation then index[j] = #ps
      elseif sub.variations[j] == sub_best.variation then index[i] = #ps end
    end
  end
  local holm = stats.holm(ps)
  for i = 1, 30 do
    if index[i] then T.close(sub_cells[i].p_adjusted, holm[index[i]], 1e-12, "Holm's p of v" .. i) end
  end
  T.truthy(best ~= nil, "a best")
end)

T.case("versus_best: beyond 20 000 pairs only the pairs with the best, Bonferroni over all pairs", function()
  local k = 300 -- 44 850 pairs
  local r = many_runs(k)
  local cells, best = r:versus_best("test_acc")
  T.eq(cells[1].correction, "bonferroni", "Bonferroni")
  T.eq(cells[1].family, k * (k - 1) // 2, "the family is every pair")
  -- the table's caption says every pair is tested; the note after it says that here it is not
  local words = require "nnlab.notebook.words"
  for _, language in ipairs { "en", "zh" } do
    words.set(language)
    local note = words.text("bonferroni_note", cells[1].family)
    T.truthy(note:find("unlike every pair above", 1, true) or note:find("与上文“每两个变体之间都做检验”不同", 1, true),
             language .. ": the note overrides the caption: " .. note)
  end
  words.set("en")
  local checked = 0
  for i, cell in ipairs(cells) do
    if cell.code ~= "best" then
      local c = r:compare({ v = i }, best.variation.params)
      T.close(cell.p, c.p, 1e-12, "the raw p of v" .. i .. " against the best")
      T.close(cell.p_adjusted, math.min(1, c.p * cells[1].family), 1e-12, "times the family")
      checked = checked + 1
    end
  end
  T.eq(checked, k - 1, "every other variation tested against the best")
end)

T.case("versus_best with wanted: the wanted cells alone, each as versus_best gives it for all", function()
  for _, k in ipairs { 40, 300 } do -- Holm (780 pairs), Bonferroni (44 850)
    local r = many_runs(k)
    r.variations[5].seeds[2].diverged = true
    r.variations[7].seeds = { r.variations[7].seeds[1] }
    local all, best = r:versus_best("test_acc")
    local best_index
    for i, cell in ipairs(all) do if cell.code == "best" then best_index = i end end
    local wanted = { 7, 5, best_index, 2, k }
    local some, some_best = r:versus_best("test_acc", nil, wanted)
    T.eq(some_best.variation, best.variation, "the same best")
    local n = 0
    for i in pairs(some) do
      n = n + 1
      for _, field in ipairs { "code", "reason", "p", "p_adjusted", "delta", "detectable", "test", "n", "correction",
                               "family", "level", "variation" } do
        T.eq(some[i][field], all[i][field], ("%d variations, v%d: %s"):format(k, i, field))
      end
      T.eq(some[i].row.mean, all[i].row.mean, "the row's mean")
    end
    T.eq(n, #wanted, "a cell for each wanted variation, no other")
    T.eq(some[best_index].row, some_best, "the best's cell holds the best row")
    T.eq(some[5].code, "diverged", "a diverged one")
    T.eq(some[7].code, "untested", "a one-seed one")
  end
end)

T.case("summary rows: label, text and params read as the variation's, made when first read", function()
  local row = hidden_runs:summary("test_acc")[3]
  T.eq(rawget(row, "text"), nil, "text not made yet")
  T.eq(row.label, "hidden=256", "label")
  T.eq(row.seeds, 3, "seeds")
  T.eq(row.text, "diverged (1/3 seeds)", "text")
  local first = hidden_runs:summary("test_acc")[1]
  T.eq(first.text, runs.format("test_acc", first.mean, first.std), "text of a row without divergence")
  T.eq(row.params.hidden, 256, "params")
  T.eq(row.nothing, nil, "another name is nil")
end)

T.case("a packed history reads as the list it packs: values, their types, absent fields, length, pairs", function()
  local list = {
    { epoch = 1, train_loss = 2.25, train_acc = 31.5, test_loss = 0 / 0, test_acc = -0.0, seconds = 1e-300,
      eval_seconds = 0.5, lr = 1, diverged = false },
    { epoch = 2, train_loss = 1 / 0, train_acc = -1 / 0, lr = 0.1, diverged = true, valid_acc = 55.5,
      valid_loss = math.maxinteger, train_eval_loss = math.mininteger, train_eval_acc = -1 },
  }
  local h = runs.pack_history(list)
  T.eq(#h, 2, "length")
  for i, epoch in ipairs(list) do
    local got = h[i]
    for _, f in ipairs(runs.HISTORY_FIELDS) do
      local want, v = epoch[f], got[f]
      T.eq(math.type(v) or type(v), math.type(want) or type(want), ("epoch %d %s: type"):format(i, f))
      if want ~= want then T.truthy(v ~= v, ("epoch %d %s: NaN"):format(i, f))
      elseif want == 0 then T.eq(1 / v, 1 / want, ("epoch %d %s: sign of zero"):format(i, f))
      else T.eq(v, want, ("epoch %d %s"):format(i, f)) end
    end
    local fields = 0
    for f, v in pairs(got) do
      fields = fields + 1
      T.truthy(v == epoch[f] or v ~= v, ("epoch %d: pairs gives %s"):format(i, f))
    end
    local want_fields = 0
    for _ in pairs(epoch) do want_fields = want_fields + 1 end
    T.eq(fields, want_fields, ("epoch %d: pairs gives every field and no other"):format(i))
  end
  h[1].lr = 0.5
  T.eq(h[1].lr, 0.5, "a known field can be set")
  T.fails(function() h[1].note = 1 end, "no field note")
  local odd = { { epoch = 1, train_loss = 1.0, train_acc = 2.0, note = "x" } }
  T.eq(runs.pack_history(odd), odd, "a field it does not know keeps the list as it is")
end)

-- Three seeds per variation with hand-picked test accuracies (a custom run's).
local function acc_runs(by_label)
  local variations = {}
  for i, entry in ipairs(by_label) do
    local seeds = {}
    for s, acc in ipairs(entry[2]) do seeds[s] = seed_result(s, acc) end
    variations[i] = { label = entry[1], values = { v = entry[1] }, params = { v = entry[1] }, seeds = seeds }
  end
  return runs.new { name = "v", keys = { "v" }, seeds = { 1, 2, 3 }, epochs = 1, variations = variations }
end

T.case("a NaN mean (a run function's 0/0) is never the best, and its NaN p counts as no evidence", function()
  local r = acc_runs { { "nan", { 0 / 0, 90, 91 } }, { "good", { 80, 81, 83 } }, { "bad", { 70, 72, 71 } } }
  T.eq(r:best().label, "good", "the best is the best of the numbers")
  local cells, best = r:versus_best()
  T.eq(best.label, "good", "versus_best agrees")
  T.eq(cells[2].code, "best", "good is marked best")
  local adjusted = require("nnlab.notebook.stats").holm { 0 / 0, 0.01, 0 / 0, 0.2 }
  T.close(adjusted[2], 0.04, 1e-12, "0.01 is the smallest of 4: x4, as if the NaNs were 1")
  T.eq(adjusted[1], 1, "a NaN p adjusts to 1")
end)

T.case("seeds without spread: the cell says no difference is detectable, never 'detectable >= 0'", function()
  local r = acc_runs { { "a", { 91, 92, 93 } }, { "b", { 81, 82, 83 } } }
  local c = r:compare("b", "a")
  T.eq(c.detectable, math.huge, "none detectable")
  T.eq(c.text, "can't tell (p = 0.25; these seeds can show no difference)", "the text")
  local cells = r:versus_best()
  T.contains(require("nnlab.notebook.words").versus_best(cells[2], "%"), "these seeds can show no difference",
             "the table's cell")
end)

T.case("six identical seeds: any difference would show, never 'detectable >= 0'", function()
  local words = require "nnlab.notebook.words"
  local xs = { 90, 91, 92, 93, 94, 95 }
  local c = require("nnlab.notebook.stats").compare(xs, xs, { paired = true })
  T.eq(c.detectable, 0, "the exact test finds any difference at 6 seeds")
  words.set("en")
  T.eq(words.versus_best({ code = "cant_tell", p = c.p, detectable = c.detectable }, "%"),
       "can't tell (p = 1; no spread: any difference would show)", "the cell")
  T.eq(words.verdict({ verdict = "cant_tell", detectable = 0 }, "%"), "can't tell (no spread: any difference would show)",
       "the verdict")
end)

T.case("p values are cut to two digits, not rounded across the level; amounts have no e-notation", function()
  local words = require "nnlab.notebook.words"
  T.eq(words.p(0.0496), "= 0.049", "0.0496 beside differs"); T.eq(words.p(0.0504), "= 0.05", "0.0504")
  T.eq(words.p(0.29), "= 0.29", "no cut below the value"); T.eq(words.p(0.999), "= 0.99", "0.999")
  T.eq(words.p(1), "= 1", "1"); T.eq(words.p(0.0004), "< 0.001", "small")
  T.eq(words.amount(123, "%"), "123 pp", "a large amount"); T.eq(words.amount(99.7, "pp"), "100 pp", "rounds up to 100")
  T.eq(words.amount(1.234, "%"), "1.2 pp", "two digits")
end)

T.case("runs:curve takes any selector and names a bad one or a misspelt metric", function()
  local r = acc_runs { { "a", { 91, 92, 93 } }, { "b", { 81, 82, 83 } } }
  T.close(r:curve({ v = "b" }, "test_acc")[1].mean, 82, 1e-12, "parameter values")
  T.close(r:curve("a", "test_acc")[1].mean, 92, 1e-12, "a label")
  T.close(r:curve(r:best(), "test_acc")[1].mean, 92, 1e-12, "a summary row")
  T.close(r:curve(r.variations[2], "test_acc")[1].mean, 82, 1e-12, "a variation")
  T.fails(function() r:curve({ v = "c" }, "test_acc") end, "runs:curve: no variation matches { v=c }")
  T.fails(function() r:curve("a", "test_accc") end, "runs:curve: unknown metric 'test_accc'")
  T.fails(function() r:versus_best("test_acc", 95) end, "versus_best: level must be between 0 and 1")
  T.fails(function() r:compare("a", "b", { metric = "test_acc" }) end, "compare: metric: unknown metric a table")
end)

-- docs/notebook.md: seconds is the training pass plus the evaluation passes
-- after it, in every table and chart; the per-epoch curve read h.seconds
-- alone while the final value added eval_seconds.
T.case("seconds is training plus evaluation, per epoch as after the last; sub-second values keep their digits", function()
  local function seed(s, train, eval)
    return { seed = s, seconds = 1, history = {
      { epoch = 1, test_acc = 50, train_loss = 1, seconds = train, eval_seconds = eval },
      { epoch = 2, test_acc = 50, train_loss = 1, seconds = train, eval_seconds = eval } } }
  end
  local r = runs.new { name = "t", keys = {}, seeds = { 1, 2 }, epochs = 2, variations = {
    { label = "t", values = {}, params = {}, seeds = { seed(1, 1, 2), seed(2, 3, 2) } } } }
  T.eq(runs.value(r.variations[1].seeds[1].history[1], "seconds"), 3, "one epoch's seconds")
  local curve = r:curve("t", "seconds")
  T.close(curve[1].mean, 4, 1e-12, "the per-epoch curve: (1 + 2 + 3 + 2) / 2")
  T.close(curve[2].mean, r:summary("seconds")[1].mean, 1e-12, "the same as after the last epoch")
  T.eq(runs.format("seconds", 0.00019, 0.00003), "0.00019 ± 0.00003 s", "sub-second, two digits of the mean")
  T.eq(runs.format("seconds", 0.5, 0.1), "0.50 ± 0.10 s", "half a second")
  T.eq(runs.format("seconds", 12.34, 0.4), "12.3 ± 0.4 s", "seconds as before")
end)

-- A regression's small losses read 0.0000 ± 0.0000 in every cell, while its
-- verdicts spoke of effects of 6.5e-05.
T.case("a loss below 0.01 shows three significant digits of the mean; larger ones four decimals", function()
  T.eq(runs.format("test_loss", 3.2e-5, 4.1e-6), "0.0000320 ± 0.0000041", "a small loss")
  T.eq(runs.format("train_loss", 0.0042), "0.00420", "below 0.01, without a std")
  T.eq(runs.format("test_loss", 0.4312, 0.0101), "0.4312 ± 0.0101", "a loss as before")
  T.eq(runs.format("test_loss", 0.01, 0.002), "0.0100 ± 0.0020", "0.01 itself as before")
  T.eq(runs.format("test_loss", 0, 0), "0.0000 ± 0.0000", "zero as before")
  T.eq(runs.format("lr", 1e-5), "0.0000100", "a small learning rate")
  T.eq(runs.format("test_acc", 0.004, 0.001), "0.00 ± 0.00 %", "accuracies keep two decimals")
end)

-- docs/notebook.md lists runs.correct_family(list) among the runs object's
-- calls; the object had no such field.
T.case("runs.correct_family(list) works on a runs object, as the docs write it", function()
  local r = acc_runs { { "a", { 91, 92, 93 } }, { "b", { 81, 82, 83 } } }
  local function claims()
    return { { verdict = "supported", p = 0.03 }, { verdict = "supported", p = 0.04 } }
  end
  local list = r.correct_family(claims())
  T.eq(list[1].verdict, "cant_tell", "0.03 × 2 is not below 0.05")
  T.close(list[2].p_adjusted, 0.06, 1e-12, "Holm over the family")
  T.eq(r:correct_family(claims(), 0.9)[1].verdict, "supported", "as a method too, with a level")
end)

T.case("summary_of a variation the runs do not have is an error at the user's line", function()
  local r = acc_runs { { "a", { 91, 92, 93 } }, { "b", { 81, 82, 83 } } }
  T.refused(function() r:summary_of(99, "test_acc") end, "summary_of: variation index must be a whole number from 1 to 2, got 99")
  T.refused(function() r:summary_of("a", "test_acc") end, "got 'a'")
  T.refused(function() r:summary_of(1, "test_accc") end, "summary_of: metric: unknown metric 'test_accc'")
end)

-- A metric no run measured (valid_acc without a validation split) is an
-- error, not "untested" cells or a sentence about seeds.
T.case("verdict, compare and versus_best of a metric no run measured are errors at the user's line", function()
  local r = acc_runs { { "a", { 91, 92, 93 } }, { "b", { 81, 82, 83 } } }
  T.refused(function() r:verdict("a", "b", "higher", { metric = "valid_acc" }) end,
            "verdict: metric: no variation of these runs has a value of valid_acc", "validation split")
  T.refused(function() r:compare("a", "b", "valid_loss") end, "compare: metric: no variation of these runs has a value of valid_loss")
  T.refused(function() r:versus_best("train_eval_acc") end,
            "versus_best: metric: no variation of these runs has a value of train_eval_acc", "eval_train = true")
  T.truthy(r:verdict("a", "b", "higher").verdict, "a measured metric as before")
  T.eq(r:measured("valid_acc"), false, "not measured")
  T.eq(r:measured("test_acc"), true, "measured")
end)

T.case("runs from seeds on demand: verdict and compare test at the per-look level unless told", function()
  -- paired differences 1, 0.8, 1.5: p = 0.034, below 0.05 but not below 0.05 / 4
  local r = acc_runs { { "a", { 80, 81, 82 } }, { "b", { 79, 80.2, 80.5 } } }
  T.eq(r:verdict("a", "b", "higher").verdict, "supported", "without seeds on demand: at 95 %")
  r.sequential = { looks = 4, level = 1 - 0.05 / 4, alpha = 0.05, min = 3, max = 10 }
  local v = r:verdict("a", "b", "higher")
  T.eq(v.level, 1 - 0.05 / 4, "the per-look level")
  T.eq(v.verdict, "cant_tell", "0.034 is not below 0.0125")
  T.eq(r:verdict("a", "b", "higher", { level = 0.95 }).verdict, "supported", "a level given wins")
  local c = r:compare("a", "b")
  T.eq(c.level, 1 - 0.05 / 4, "compare too")
  T.eq(c.differs, false, "compare does not call it a difference")
end)

T.done()
