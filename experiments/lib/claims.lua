-- experiments/lib/claims.lua: the review notes' claims, each judged from the
-- measurements. claims.NAME(runs_by_sweep) returns, for one section of the
-- notes, a list of claims { quote, tested, result, evidence, derived }:
-- quote is the notes' own words (copied from review-notes.md), tested what
-- exactly was measured for it (the design, the margin), result the verdict
-- table of nnlab.stats.judge (through runs:verdict: paired by seed), and
-- derived = true for the report's own claims (readings of the notes'
-- numbers, premises, extensions), which are listed in a separate table.
-- claims.finish(list) corrects every verdict of a report as one family
-- (Holm, runs.correct_family) and writes the evidence; claims.markdown
-- renders the notes' claims, claims.markdown_derived the report's own.
-- The best variations are picked on the validation split (valid_acc); the
-- verdicts compare the final test accuracy, or the metric named.
local lab = require "nnlab"
local stats = lab.stats
local setup = lab.require "lib.setup"

local claims = {}

--- What the seeds of an undecided comparison could have shown, in words, or
--- nil when nothing is known (v: a verdict or a table cell, with
--- detectable and later_step; unit: "个百分点", "" ...).
function claims.detectable_text(v, unit)
  if v.later_step then return "单凭这些种子过不了校正的第一步；只有族内更小的 p 值先通过之后，它才可能通过" end
  if v.detectable == math.huge then return "这些种子检不出任何差别" end
  if v.detectable == 0 then return "种子间无波动：任何差别都会显现" end
  if v.detectable and v.detectable > 0 then
    return ("这些种子能检出的最小差别约 %.2g%s"):format(v.detectable, unit ~= "" and " " .. unit or "")
  end
end

--- The verdicts in words (v: the verdict table; unit: "个百分点", "" ...).
claims.words = {
  supported = function() return "**支持**" end,
  contradicted = function() return "**不成立**" end,
  equivalent = function(v, unit) return ("**在 ±%g %s内等价**"):format(v.margin, unit) end,
  cant_tell = function(v, unit)
    local could = claims.detectable_text(v, unit)
    return could and ("**无法判断**（%s）"):format(could) or "**无法判断**"
  end,
  not_tested = function(v) return ("未检验（%s）"):format(v.reason or "没有可用的测量") end,
}

local TESTS = { ["paired t"] = "配对 t 检验", ["Wilcoxon signed-rank"] = "Wilcoxon 符号秩检验（秩检验，适合偏斜的指标）",
                ["Welch t"] = "Welch t 检验", ["Mann-Whitney"] = "Mann-Whitney 秩检验" }
local REASONS = { ["needs at least two seeds per side to measure noise"] = "每边至少要两个种子才能估计噪声" }

-- "p = 0.049", "p < 0.001": cut to two digits as the tables show p (words.p), on the decision's side
local function p_text(p) return "p " .. require("nnlab.notebook.words").p(p) end

-- "+0.09 个百分点（95 % 区间 −0.21 … +0.39，配对 t 检验 p = 0.45，族内 Holm 校正后 p = 0.90）"
local function delta_text(v, unit)
  if not v.delta then return "差值未知" end
  local text = unit ~= "" and ("差 %+.2f %s"):format(v.delta, unit) or ("差 %+.2f"):format(v.delta)
  local parts = {}
  if v.ci then parts[#parts + 1] = ("95 %% 区间 %+.2f … %+.2f"):format(v.ci[1], v.ci[2]) end
  if v.p then
    local which = v.p_noninferiority and v.p == v.p_noninferiority and "非劣效检验 "
      or v.p_tost and v.p == v.p_tost and "等价检验（TOST）" or (TESTS[v.test] or v.test or "") .. " "
    parts[#parts + 1] = which .. p_text(v.p)
  end
  if v.p_adjusted then parts[#parts + 1] = "族内 Holm 校正后 " .. p_text(v.p_adjusted) end
  if v.downgraded then parts[#parts + 1] = "校正前为" .. claims.words[v.downgraded](v, unit):gsub("%*", "") end
  if v.n then parts[#parts + 1] = ("%d 个种子%s"):format(v.n, v.paired and "配对" or "") end
  if #parts > 0 then text = text .. "（" .. table.concat(parts, "，") .. "）" end
  return text
end

-- The summary row of a variation (its text in the report's language).
local function row_of(runs, selector, metric)
  local v = runs:get(selector)
  for _, row in ipairs(runs:summary(metric or "test_acc")) do
    if row.variation == v then return row end
  end
end

-- Sum of the drops of validation accuracy from one epoch to the next
-- (percentage points): 0 for a curve that only rises; large for one that
-- oscillates. A diverged seed counts as the largest oscillation there is.
local DIVERGED_DROPS = 1e6
local function drops(history)
  local total = 0
  for i = 2, #history do
    local a, b = history[i - 1].valid_acc, history[i].valid_acc
    if a and b and b < a then total = total + (a - b) end
  end
  return total
end

-- drops() by seed of a variation: { [seed] = value }, and how many diverged.
local function seed_drops(runs, selector)
  local out, diverged = {}, 0
  for _, s in ipairs(runs:get(selector).seeds) do
    if s.diverged then diverged = diverged + 1 out[s.seed] = DIVERGED_DROPS else out[s.seed] = drops(s.history) end
  end
  return out, diverged
end

local function mean_text(values)
  local finite = {}
  for _, x in ipairs(values) do if x < DIVERGED_DROPS then finite[#finite + 1] = x end end
  local m, s = stats.mean(finite), stats.std(finite)
  if not m then return "–" end
  return s and ("%.2f ± %.2f"):format(m, s) or ("%.2f"):format(m)
end

-- Two by-seed tables paired on their common seeds.
local function paired_lists(a, b)
  local seeds = {}
  for seed in pairs(a) do if b[seed] ~= nil then seeds[#seeds + 1] = seed end end
  table.sort(seeds)
  local xs, ys = {}, {}
  for i, seed in ipairs(seeds) do xs[i], ys[i] = a[seed], b[seed] end
  return xs, ys
end

local function judge(xs, ys, expect, opts)
  opts = opts or {}
  if #xs < 2 or #ys < 2 then
    return { verdict = "not_tested", reason = "每边至少要两个种子才能估计噪声",
             delta = (stats.mean(xs) and stats.mean(ys)) and stats.mean(xs) - stats.mean(ys) or nil }
  end
  return stats.judge(xs, ys, expect, { margin = opts.margin, paired = true, skewed = opts.skewed })
end

-- A claim about oscillation: "a oscillates more / less than b" (rank test:
-- the drop sum is 0 in many seeds and large in some).
local function oscillation_claim(runs, c, a, b, expect, names)
  local xa, da = seed_drops(runs, a)
  local xb, db = seed_drops(runs, b)
  local xs, ys = paired_lists(xa, xb)
  c.result = judge(xs, ys, expect, { skewed = true })
  c.unit = "个百分点"
  c.evidence = function(v)
    local text = ("验证准确率逐轮下降的总和：%s %s 个百分点，%s %s 个百分点；%s"):format(names[1], mean_text(xs),
      names[2], mean_text(ys), delta_text(v, "个百分点"))
    if da + db > 0 then text = text .. ("；发散的种子（%s %d 个，%s %d 个）按最大的震荡计"):format(names[1], da, names[2], db) end
    return text
  end
  return c
end

-- A claim on a versus b (selectors as for runs:get) on the final test
-- accuracy, or opts.metric.
local function compare_claim(runs, c, a, b, expect, names, opts)
  opts = opts or {}
  local metric = opts.metric or "test_acc"
  local unit = (metric == "test_loss" or metric == "valid_loss") and "" or "个百分点"
  local v = runs:verdict(a, b, expect, { metric = metric, margin = opts.margin })
  local ra, rb = row_of(runs, a, metric), row_of(runs, b, metric)
  if v.verdict == "diverged" then v = { verdict = "not_tested", reason = "有种子发散，不作比较" } end
  if v.verdict == "not_tested" and REASONS[v.reason] then v.reason = REASONS[v.reason] end
  c.result, c.unit = v, unit
  c.evidence = function(r)
    local text = ("%s %s，%s %s；%s"):format(names[1], ra.text, names[2], rb.text, delta_text(r, unit))
    if r.margin then text = text .. ("；界限 ±%g %s"):format(r.margin, unit) end
    return text
  end
  return c
end

-- The best value of `key` among the variations matching `fixed`, picked on
-- the validation split, and its row (of `metric`, test accuracy by default).
local function best_of(runs, key, fixed, metric)
  local best, best_valid
  local valid = {}
  for _, row in ipairs(runs:summary("valid_acc")) do valid[row.variation] = row end
  for _, row in ipairs(runs:summary(metric or "test_acc")) do
    local p, match = row.variation.params, true
    for k, value in pairs(fixed or {}) do if p[k] ~= value then match = false end end
    local vrow = valid[row.variation]
    if match and row.diverged == 0 and vrow.mean and (not best_valid or vrow.mean > best_valid) then
      best, best_valid = row, vrow.mean
    end
  end
  return best and best.variation.params[key], best
end

-- The notes' claims: the margins, stated once.
claims.margins = {
  -- "有限" / "无显著提升": read as "less than 1 percentage point" — an
  -- assumption of this review, not a number of the notes.
  limited = 1,
}

--- §3.1 神经元数量.
function claims.hidden(r)
  local runs = r.hidden
  if not runs then return {} end
  local m = claims.margins.limited
  return {
    compare_claim(runs, { quote = "单纯增加神经元数量对性能提升有限。",
      tested = ("h = 256 与 h = 64 的测试准确率之差在 ±%g 个百分点内（等价检验；\"有限\"按小于 %g 个百分点计，这是本文的假设）"):format(m, m) },
      { hidden = 256 }, { hidden = 64 }, "similar", { "h = 256", "h = 64" }, { margin = m }),
    compare_claim(runs, { quote = "可能原因：激活函数（Sigmoid）梯度消失问题，或模型复杂度不足。",
      tested = ("只检验\"模型复杂度不足\"：若是如此，h = 256 应比 h = 64 高出 %g 个百分点以上（与上一行同一个界限：在 ±%g 内等价就说明多出来的容量没有带来超过界限的提升）"):format(m, m) },
      { hidden = 256 }, { hidden = 64 }, "higher", { "h = 256", "h = 64" }, { margin = m }),
    { quote = "可能原因：激活函数（Sigmoid）梯度消失问题，或模型复杂度不足。",
      tested = "\"Sigmoid 梯度消失\"这一半", unit = "",
      result = { verdict = "not_tested", reason = "一个隐藏层的网络里梯度只穿过一层激活；要检验梯度消失，需要测各层的梯度范数随层数的变化，本实验只测了准确率" },
      evidence = function() return "换成 ReLU 的准确率见激活函数实验；准确率更高不等于梯度消失被缓解" end },
  }
end

--- §3.2 隐藏层数量 and §四's row on it.
function claims.depth(r)
  local runs = r.depth
  if not runs then return {} end
  local m = claims.margins.limited
  return {
    compare_claim(runs, { quote = "实验结果：准确率无显著提升。",
      tested = ("文件 02 的结构（784→h→64→10，两层 Sigmoid）比一层 Sigmoid 的提升不超过 %g 个百分点（非劣效检验，界限是本文的假设）"):format(m) },
      { layers = 2, act = "sigmoid" }, { layers = 1, act = "sigmoid" }, "not_higher", { "两层 Sigmoid", "一层 Sigmoid" },
      { margin = m }),
    compare_claim(runs, { quote = "使用更深的网络（如3层以上）。",
      tested = "三层比一层准确率更高，配合笔记同一处建议的 ReLU（§四 也把 2-3 层和 ReLU 写在一起）" },
      { layers = 3, act = "relu" }, { layers = 1, act = "relu" }, "higher", { "三层 ReLU", "一层 ReLU" }),
    compare_claim(runs, { where = "§四 表格", quote = "2-3层（配合ReLU激活）",
      tested = "两层 ReLU 比一层 ReLU 准确率更高（三层见上一行）" },
      { layers = 2, act = "relu" }, { layers = 1, act = "relu" }, "higher", { "两层 ReLU", "一层 ReLU" }),
    compare_claim(runs, { where = "§四 表格", quote = "避免过深导致梯度消失",
      tested = "Sigmoid 网络加深到三层，准确率低于一层（只测了准确率，没有测梯度本身）" },
      { layers = 3, act = "sigmoid" }, { layers = 1, act = "sigmoid" }, "lower", { "三层 Sigmoid", "一层 Sigmoid" }),
    compare_claim(runs, { quote = "替换激活函数（如ReLU）缓解梯度消失。",
      tested = "文件 02 的两层结构里，ReLU 的准确率高于 Sigmoid（只测了准确率；\"缓解梯度消失\"是机制，没有测）" },
      { layers = 2, act = "relu" }, { layers = 2, act = "sigmoid" }, "higher", { "两层 ReLU", "两层 Sigmoid" }),
    compare_claim(runs, { derived = true, quote = "在笔记 §3.2 的 Sigmoid 网络上直接加深到三层，准确率更高",
      tested = "三层 Sigmoid 比一层 Sigmoid 更高" },
      { layers = 3, act = "sigmoid" }, { layers = 1, act = "sigmoid" }, "higher", { "三层 Sigmoid", "一层 Sigmoid" }),
  }
end

--- §3.3 学习率 and §四's row on the initial learning rate.
function claims.lr(r)
  local runs, osc = r.lr, r.oscillation
  if not runs then return {} end
  local out = {}
  if osc then
    for _, opt in ipairs { { "sgd", "SGD" }, { "adam", "Adam" } } do
      out[#out + 1] = oscillation_claim(osc, { quote = "学习率过高（如`0.1`）可能震荡，需调整优化器或加入学习率衰减。",
        tested = ("%s：lr 0.1 的验证准确率曲线比 lr 0.01 震荡更大（%d 个种子，秩检验；\"需调整优化器或加入学习率衰减\"未检验：没有跑调度器）"):format(
          opt[2], #osc.seeds) },
        { lr = 0.1, opt = opt[1], batch_size = 32 }, { lr = 0.01, opt = opt[1] }, "higher", { "lr 0.1", "lr 0.01" })
    end
  end
  -- §四: "初始值 1e-3，动态调整（如Adam）": with Adam, 1e-3 is no worse than the best other lr.
  local m = claims.margins.limited
  local best_lr = best_of(runs, "lr", { opt = "adam" })
  local other = best_lr
  if best_lr == 0.001 then -- the best of the others, on validation
    local best_valid
    for _, row in ipairs(runs:summary "valid_acc") do
      local p = row.variation.params
      if p.opt == "adam" and p.lr ~= 0.001 and row.diverged == 0 and row.mean and (not best_valid or row.mean > best_valid) then
        other, best_valid = p.lr, row.mean
      end
    end
  end
  out[#out + 1] = compare_claim(runs, { where = "§四 表格", quote = "初始值`1e-3`，动态调整（如Adam）",
    tested = ("Adam 用 lr 1e-3，测试准确率不比验证集上最好的其他学习率（lr %g）低 %g 个百分点以上（非劣效检验，界限是本文的假设）"):format(
      other, m) },
    { lr = 0.001, opt = "adam" }, { lr = other, opt = "adam" }, "not_lower",
    { "Adam lr 1e-3", ("Adam lr %g"):format(other) }, { margin = m })
  -- The report's own extension: the same 1e-3 with SGD (the notes tie it to Adam).
  local sgd_best = best_of(runs, "lr", { opt = "sgd" })
  out[#out + 1] = compare_claim(runs, { derived = true, quote = "（笔记把 1e-3 和 Adam 连在一起；这里看它对 SGD 是否也合适）SGD 用 lr 1e-3 不比最好的学习率差",
    tested = ("SGD lr 1e-3 与验证集上最好的 SGD 学习率（lr %g）比，差距不超过 %g 个百分点"):format(sgd_best, m) },
    { lr = 0.001, opt = "sgd" }, { lr = sgd_best, opt = "sgd" }, "not_lower", { "SGD lr 1e-3", ("SGD lr %g"):format(sgd_best) },
    { margin = m })
  return out
end

-- The batch runs read at equal epochs and at equal steps (setup.batch_epochs).
function claims.batch_views(runs, ctx)
  return setup.at_epochs(runs, function(p) return setup.batch_epochs(ctx, p.batch_size, "epochs") end),
         setup.at_epochs(runs, function(p) return setup.batch_epochs(ctx, p.batch_size, "steps") end)
end

local DESIGNS = { { "epochs", "同样的轮数" }, { "steps", "同样的更新次数" } }

--- §3.4 批次大小 (the batch × learning-rate grid), both designs. r.batch_views
--- = { epochs = runs, steps = runs } (claims.batch_views).
function claims.batch(r)
  local views = r.batch_views
  if not views then return {} end
  local out = {}
  for _, d in ipairs(DESIGNS) do
    local runs, design = views[d[1]], d[2]
    out[#out + 1] = compare_claim(runs, { quote = "`Batch=32 → 86.49%`、`Batch=64 → 86.9%`、`Batch=128 → 86.91%`",
      tested = ("（%s）笔记的数字说批次越大略好：batch 128 高于 batch 32（lr 0.01）"):format(design) },
      { batch_size = 128, lr = 0.01 }, { batch_size = 32, lr = 0.01 }, "higher", { "batch 128", "batch 32" })
  end
  local eq = views.epochs
  out[#out + 1] = oscillation_claim(r.oscillation_epochs or eq, { quote = "较大的批次（如128）可稳定梯度，但需降低学习率。",
    tested = ("\"可稳定梯度\"：lr 0.1 时 batch 128 的验证准确率曲线比 batch 32 震荡更小（同样的轮数，%d 个种子，秩检验）"):format(
      #(r.oscillation_epochs or eq).seeds) },
    { batch_size = 128, lr = 0.1 }, { batch_size = 32, lr = 0.1 }, "lower", { "batch 128", "batch 32" })
  for _, d in ipairs(DESIGNS) do
    local runs, design = views[d[1]], d[2]
    local best32 = best_of(runs, "lr", { batch_size = 32 })
    local best128 = best_of(runs, "lr", { batch_size = 128 })
    local lower
    for _, v in ipairs(runs.variations) do
      local lr = v.params.lr
      if lr < best32 and (not lower or lr > lower) then lower = lr end
    end
    local c = { quote = "较大的批次（如128）可稳定梯度，但需降低学习率。",
      tested = ("（%s）\"需降低学习率\"：batch 128 用比 batch 32 最好的学习率（lr %g，验证集上选）更低的 lr %s 更好"):format(
        design, best32, lower and ("%g"):format(lower) or "–") }
    if lower then
      compare_claim(runs, c, { batch_size = 128, lr = lower }, { batch_size = 128, lr = best32 }, "higher",
        { ("batch 128, lr %g"):format(lower), ("batch 128, lr %g"):format(best32) })
      local ev = c.evidence
      c.evidence = function(v)
        return ("验证集上最好的学习率：batch 32 是 %g，batch 128 是 %g。%s"):format(best32, best128, ev(v))
      end
    else
      c.unit, c.result = "", { verdict = "not_tested", reason = ("batch 32 最好的学习率 %g 已是网格里最低的"):format(best32) }
      c.evidence = function() return "" end
    end
    out[#out + 1] = c
  end
  for _, d in ipairs(DESIGNS) do
    out[#out + 1] = compare_claim(views[d[1]], { quote = "学习率过低（如`1e-3`）需配合更大的批次大小。",
      tested = ("（%s）lr 1e-3 时 batch 128 比 batch 32 准确率更高"):format(d[2]) },
      { batch_size = 128, lr = 0.001 }, { batch_size = 32, lr = 0.001 }, "higher", { "batch 128", "batch 32" })
  end
  for _, d in ipairs(DESIGNS) do
    out[#out + 1] = compare_claim(views[d[1]], { quote = "过大的批次可能导致内存不足或泛化能力下降。",
      tested = ("（%s）\"泛化能力下降\"：lr 0.1 时 batch 128 的训练–测试差距（训练准确率在评估模式下对整个训练集测）大于 batch 32；\"内存不足\"未检验：batch 128 的输入只有 %.1f MB"):format(
        d[2], 128 * 784 * 4 / 2 ^ 20) },
      { batch_size = 128, lr = 0.1 }, { batch_size = 32, lr = 0.1 }, "higher", { "batch 128", "batch 32" }, { metric = "gap_eval" })
  end
  -- The notes' learning-rate and batch tables carry the same three numbers.
  -- Here both are columns of one grid (equal epochs): lr 0.1/0.01/0.001 at
  -- batch 32, and batch 32/64/128 at lr 0.01. A derived claim: by
  -- construction, two different settings give different numbers.
  local runs = eq
  local parts, results = {}, {}
  local lr_values, batch_values = { 0.1, 0.01, 0.001 }, { 32, 64, 128 }
  for i = 1, 3 do
    local a = { batch_size = 32, lr = lr_values[i] }
    local b = { batch_size = batch_values[i], lr = 0.01 }
    local ra, rb = row_of(runs, a), row_of(runs, b)
    if ra.variation == rb.variation then
      parts[#parts + 1] = ("LR=%g → %s / Batch=%d → %s（同一组设置）"):format(lr_values[i], ra.text, batch_values[i], rb.text)
    else
      local v = runs:verdict(a, b, "similar", { margin = claims.margins.limited })
      results[#results + 1] = v
      parts[#parts + 1] = ("LR=%g → %s / Batch=%d → %s（%s）"):format(lr_values[i], ra.text, batch_values[i], rb.text,
        v.verdict == "equivalent" and "等价" or v.verdict == "contradicted" and "不同" or "无法判断")
    end
  end
  -- one verdict for the pair of tables: the least favourable pair decides
  local worst = results[1]
  for _, v in ipairs(results) do if v.verdict == "contradicted" then worst = v end end
  out[#out + 1] = { derived = true, unit = "个百分点", result = worst or { verdict = "not_tested", reason = "没有可比的两组" },
    quote = "笔记的学习率表与批次表数字完全相同（86.49 / 86.9 / 86.91），即两组实验结果相同",
    tested = ("两张表对应的两组设置在 ±%g 个百分点内等价（同样的轮数）。笔记没有写文件 03 的设置；若按笔记第二节的代码推测两表的基线都是 lr 0.01、batch 32，那么同一组设置一处写 86.9、一处写 86.49，至少有一张是抄的"):format(
      claims.margins.limited),
    evidence = function(v) return ("实测：%s。判定取最不利的一对：%s"):format(table.concat(parts, "；"), delta_text(v, "个百分点")) end }
  return out
end

--- §五 激活函数选择.
function claims.activation(r)
  local runs = r.activation
  if not runs then return {} end
  local tanh = runs:verdict({ act = "tanh" }, { act = "relu" }, "similar", { margin = claims.margins.limited })
  return {
    compare_claim(runs, { quote = "尝试ReLU或LeakyReLU替代Sigmoid，缓解梯度消失。", tested = "一个隐藏层的网络里，ReLU 的测试准确率高于 Sigmoid" },
      { act = "relu" }, { act = "sigmoid" }, "higher", { "ReLU", "Sigmoid" }),
    compare_claim(runs, { quote = "尝试ReLU或LeakyReLU替代Sigmoid，缓解梯度消失。", tested = "LeakyReLU 的测试准确率高于 Sigmoid" },
      { act = "leaky_relu" }, { act = "sigmoid" }, "higher", { "LeakyReLU", "Sigmoid" }),
    { quote = "尝试ReLU或LeakyReLU替代Sigmoid，缓解梯度消失。", tested = "\"缓解梯度消失\"这个原因", unit = "",
      result = { verdict = "not_tested", reason = "只有一个隐藏层，梯度只穿过一层激活，没有可以\"消失\"的深度；准确率高不说明原因。要检验，需在多层网络里测前几层的梯度范数" },
      evidence = function()
        return ("同样会饱和的 Tanh 与 ReLU 相比：%s（±%g 个百分点为界）——Sigmoid 吃亏可能在导数小（最大 0.25）和输出不以 0 为中心，不一定在饱和"):format(
          tanh.verdict == "equivalent" and "在界限内等价" or tanh.verdict == "contradicted" and "超出界限地不同"
            or tanh.verdict == "not_tested" and "未检验（每边至少要两个种子）"
            or tanh.verdict == "diverged" and "有种子发散，未检验" or "无法判断", claims.margins.limited)
      end },
  }
end

--- §五 优化器对比 (and §四's Adam).
function claims.optimizer(r)
  local runs, lr = r.optimizer, r.lr
  if not runs then return {} end
  local out = {
    compare_claim(runs, { quote = "测试Adam与SGD的性能差异。", tested = "Adam（lr 1e-3）高于笔记设置的 SGD（lr 0.01）" },
      "Adam", "SGD (lr 0.01)", "higher", { "Adam (lr 1e-3)", "SGD (lr 0.01)" }),
  }
  if lr then
    local sgd_best = best_of(lr, "lr", { opt = "sgd" })
    out[#out + 1] = compare_claim(lr, { quote = "测试Adam与SGD的性能差异。",
      tested = ("Adam（lr 1e-3）高于验证集上最好的 SGD（lr %g）"):format(sgd_best) },
      { opt = "adam", lr = 0.001 }, { opt = "sgd", lr = sgd_best }, "higher", { "Adam (lr 1e-3)", ("SGD (lr %g)"):format(sgd_best) })
  end
  out[#out + 1] = compare_claim(runs, { derived = true, quote = "（笔记未提）SGD 加动量 0.9 比不加好（都是 lr 0.01）",
    tested = "SGD + 动量 0.9 高于 SGD" }, "SGD + momentum 0.9", "SGD (lr 0.01)", "higher", { "SGD + 动量", "SGD" })
  out[#out + 1] = compare_claim(runs, { derived = true, quote = "动量 0.9、lr 0.01 的 SGD 相当于 lr 0.1 的 SGD（有效步长 lr / (1 − β) = 0.1）",
    tested = ("两者在 ±%g 个百分点内等价"):format(claims.margins.limited) },
    "SGD + momentum 0.9", "SGD (lr 0.1)", "similar", { "SGD + 动量（lr 0.01）", "SGD（lr 0.1）" }, { margin = claims.margins.limited })
  return out
end

-- Per seed, the least-squares slope of metric over the last half of the epochs.
local function slopes(runs, selector, metric)
  local out = {}
  for _, s in ipairs(runs:get(selector).seeds) do
    if not s.diverged then
      local h = s.history
      local first = math.max(1, #h // 2)
      local n, sx, sy, sxx, sxy = 0, 0, 0, 0, 0
      for i = first, #h do
        local y = h[i][metric]
        n, sx, sy, sxx, sxy = n + 1, sx + i, sy + y, sxx + i * i, sxy + i * y
      end
      if n >= 2 then out[#out + 1] = (n * sxy - sx * sy) / (n * sxx - sx * sx) end
    end
  end
  return out
end
claims.slopes = slopes

--- §五 正则化.
function claims.regularization(r)
  local runs = r.regularization
  if not runs then return {} end
  local out = {}
  -- The premise, on something sturdier than one noisy minimum: the slope of
  -- the validation loss over the last half of the epochs, per seed.
  local sl = slopes(runs, "无正则化", "valid_loss")
  local zeros = {}
  for i = 1, #sl do zeros[i] = 0 end
  local premise = judge(sl, zeros, "higher")
  out[#out + 1] = { derived = true, unit = "", result = premise,
    quote = "（前提）这个设置会过拟合：训练后半程验证损失在上升",
    tested = "每个种子后一半轮次的验证损失的最小二乘斜率大于 0",
    evidence = function(v) return ("斜率 %s 每轮；%s"):format(mean_text(sl):gsub("^", ""), delta_text(v, "")) end }
  for _, reg in ipairs { "Dropout 0.5", "L2 1e-3" } do
    out[#out + 1] = compare_claim(runs, { quote = "加入Dropout或L2正则化防止过拟合。",
      tested = ("%s：训练–测试差距（评估模式下的训练准确率 − 测试准确率）变小"):format(reg) },
      reg, "无正则化", "lower", { reg, "无正则化" }, { metric = "gap_eval" })
    out[#out + 1] = compare_claim(runs, { quote = "加入Dropout或L2正则化防止过拟合。",
      tested = ("%s：测试准确率提高"):format(reg) },
      reg, "无正则化", "higher", { reg, "无正则化" })
  end
  return out
end

--- The sections in the notes' order.
claims.order = { "hidden", "depth", "lr", "batch", "activation", "optimizer", "regularization" }

--- Every claim of the sections whose runs are given, in the notes' order.
function claims.all(r)
  local out = {}
  for _, name in ipairs(claims.order) do
    for _, c in ipairs(claims[name](r)) do out[#out + 1] = c end
  end
  return out
end

--- claims.finish(list) -> list: its verdicts corrected as one family (Holm,
--- runs.correct_family) and each claim's evidence written. Call once per
--- report, on every claim it shows, before claims.markdown.
function claims.finish(list)
  local results = {}
  for _, c in ipairs(list) do results[#results + 1] = c.result end
  stats.correct_family(results)
  -- the family Holm corrected: the verdicts with a p (untested ones are not in it)
  list.family = 0
  for _, r in ipairs(results) do if r.p_adjusted ~= nil then list.family = list.family + 1 end end
  for _, c in ipairs(list) do
    if type(c.evidence) == "function" then c.evidence = c.evidence(c.result) end
    c.verdict = c.result.verdict
  end
  return list
end

local function verdict_text(c)
  return claims.words[c.result.verdict](c.result, c.unit or "")
end

local function cell(text) return (tostring(text):gsub("|", "\\|"):gsub("\n", " ")) end

--- A Markdown table of the notes' claims: 笔记的说法 | 判定 | 依据.
function claims.markdown(list)
  local lines = { "| 笔记的说法 | 判定 | 依据（实测） |", "|---|---|---|" }
  for _, c in ipairs(list) do
    if not c.derived then
      lines[#lines + 1] = ("| %s\"%s\"<br>检验：%s | %s | %s |"):format(c.where and c.where .. "：" or "", cell(c.quote),
        cell(c.tested), verdict_text(c), cell(c.evidence))
    end
  end
  return table.concat(lines, "\n")
end

--- A Markdown table of the report's own claims (or nil when there are none).
function claims.markdown_derived(list)
  local lines = { "| 本文自己的推论（不是笔记的话） | 判定 | 依据（实测） |", "|---|---|---|" }
  for _, c in ipairs(list) do
    if c.derived then
      lines[#lines + 1] = ("| %s<br>检验：%s | %s | %s |"):format(cell(c.quote), cell(c.tested), verdict_text(c), cell(c.evidence))
    end
  end
  return #lines > 2 and table.concat(lines, "\n") or nil
end

--- claims.render(list): both tables of an already finished list (the notes'
--- claims; the report's own, when there are any) into the report.
function claims.render(list)
  lab.md(claims.markdown(list))
  local derived = claims.markdown_derived(list)
  if derived then
    lab.md "本文自己的推论（笔记里没有这些话，单列出来）："
    lab.md(derived)
  end
end

--- claims.family_size(list) -> how many verdicts of a finished list
--- (claims.finish) the Holm correction counted: the tested ones.
function claims.family_size(list)
  if not list.family then error("claims.family_size: the list is not finished (claims.finish)", 2) end
  return list.family
end

--- claims.note(list [, { valid = false }]): the footnote on how the verdicts
--- of a finished list were judged, with the size of the family Holm
--- corrected (the untested claims are not in it); valid = false: the report
--- has no validation split.
function claims.note(list, opts)
  local family, untested = claims.family_size(list), #list - claims.family_size(list)
  lab.md("_判定：每条说法都按种子配对检验（同一个种子在每组设置里初始权重和数据顺序相同）；本报告做了检验的 %d 条判定算作一个族%s，用 Holm 方法校正，"
    .. "校正后不再显著的记为无法判断。\"等价\"只来自等价检验（TOST）和写明的界限；没有检出差别时写无法判断，并给出这些种子能检出的最小差别（80 %% 把握）。"
    .. (opts and opts.valid == false and "这个实验没有验证集：表里的\"最佳\"是在测试集上挑的，与最佳的比较因此对所有配对做了 Holm 校正。_"
        or "最好的设置都在验证集上挑，测试集只用来报告。_"), family,
    untested > 0 and ("（另有 %d 条未检验，不计入）"):format(untested) or "")
end

--- claims.show(list): finish the list (one family: call it once per report,
--- on every claim the report judges) and write both tables into the report.
function claims.show(list)
  claims.finish(list)
  claims.render(list)
  claims.note(list)
end

--- claims.verdict_text(c) -> the claim's verdict in words (after finish).
function claims.verdict_text(c) return verdict_text(c) end

--- How many claims got each verdict.
function claims.count(list)
  local n = { supported = 0, contradicted = 0, equivalent = 0, cant_tell = 0, not_tested = 0 }
  for _, c in ipairs(list) do n[c.result.verdict] = (n[c.result.verdict] or 0) + 1 end
  return n
end

--- claims.edge(runs, opt) -> the best learning rate of optimizer opt (on
--- validation), its row, and a sentence when it sits at an edge of the
--- grid (setup.lrs[opt]): then "best" is only a bound.
function claims.edge(runs, opt)
  local grid = setup.lrs[opt]
  local lr, row = best_of(runs, "lr", { opt = opt })
  local hi, lo = math.max(table.unpack(grid)), math.min(table.unpack(grid))
  local note
  if lr == hi then
    note = ("最好的 lr %g 是网格里最大的值：更大的学习率没有试，所以它只是一个下界（最好的学习率 ≥ %g），不是找到的最优值"):format(lr, lr)
  elseif lr == lo then
    note = ("最好的 lr %g 是网格里最小的值：更小的学习率没有试，所以它只是一个上界（最好的学习率 ≤ %g），不是找到的最优值"):format(lr, lr)
  end
  return lr, row, note
end

claims.compare = compare_claim
claims.delta_text = delta_text
claims.best_of = best_of
claims.row_of = row_of
claims.drops = drops
claims.judge = judge

return claims
