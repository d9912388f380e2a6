-- experiments/lib/claims.lua: the review notes' claims, each judged from the
-- measurements. claims.NAME(runs_by_sweep) returns, for one section of the
-- notes, a list of { claim, verdict, evidence }: the claim in the notes'
-- words, the verdict ("supports", "contradicts", "noise" — cannot tell from
-- the seed-to-seed noise — or "untested") and the numbers it rests on, all
-- computed here from the runs (Welch's t-test at 95 % through
-- runs:verdict / nnlab.stats.verdict). A section file passes its own sweep;
-- the review passes all of them. claims.markdown renders a list as a table.
local lab = require "nnlab"
local stats = lab.stats

local claims = {}

--- The verdict in words.
claims.words = {
  supports = "**支持**",
  contradicts = "**不成立**（数据相反）",
  noise = "**无法判断**（差别在噪声内）",
  diverged = "**支持**（发散）",
  untested = "未检验",
}

-- "81.27 ± 0.14 %"
local function pct(row) return row.text end

-- "+0.09 个百分点（95% 区间 −0.21 … +0.39，p = 0.45）" for a verdict v (delta a − b).
local function delta_text(v, unit)
  unit = unit or "个百分点"
  if not v.delta then return "差值未知" end
  local text = ("%+.2f %s"):format(v.delta, unit)
  if v.ci then
    text = text .. ("（95%% 区间 %+.2f … %+.2f，%s）"):format(v.ci[1], v.ci[2],
      v.p < 0.001 and "p < 0.001" or ("p = %.2g"):format(v.p))
  elseif v.reason then
    text = text .. "（只有一个种子，噪声未知）"
  end
  return text
end

-- The summary row of a variation.
local function row_of(runs, selector, metric)
  local v = runs:get(selector)
  for _, row in ipairs(runs:summary(metric or "test_acc")) do
    if row.variation == v then return row end
  end
end

-- Sum of the drops of test accuracy from one epoch to the next (percentage
-- points): 0 for a curve that only rises; large for one that oscillates.
local function drops(history)
  local total = 0
  for i = 2, #history do
    local a, b = history[i - 1].test_acc, history[i].test_acc
    if a and b and b < a then total = total + (a - b) end
  end
  return total
end

-- drops() of every seed of a variation that did not diverge, and how many diverged.
local function seed_drops(runs, selector)
  local values, diverged = {}, 0
  for _, s in ipairs(runs:get(selector).seeds) do
    if s.diverged then diverged = diverged + 1 else values[#values + 1] = drops(s.history) end
  end
  return values, diverged
end

local function mean_text(values)
  local m, s = stats.mean(values), stats.std(values)
  if not m then return "–" end
  return s and ("%.2f ± %.2f"):format(m, s) or ("%.2f"):format(m)
end

-- A claim about oscillation: "a oscillates more than b" (a diverged: supported).
local function oscillation_claim(runs, claim, a, b, expect, names)
  local xs, xd = seed_drops(runs, a)
  local ys, yd = seed_drops(runs, b)
  if xd > 0 or yd > 0 then
    local which = xd > 0 and names[1] or names[2]
    local verdict = ((xd > 0) == (expect == "higher")) and "diverged" or "contradicts"
    return { claim = claim, verdict = verdict,
             evidence = ("%s 有 %d 个种子发散（损失变成 NaN/Inf 或超过 10 倍随机猜测）"):format(which, math.max(xd, yd)) }
  end
  local v = stats.verdict(xs, ys, expect)
  return { claim = claim, verdict = v.verdict,
           evidence = ("测试准确率逐 epoch 下降的总和：%s %s 个百分点，%s %s 个百分点；差 %s"):format(
             names[1], mean_text(xs), names[2], mean_text(ys), delta_text(v)) }
end

-- A claim "a is better/worse/no better ... than b" on the final test accuracy.
local function compare_claim(runs, claim, a, b, expect, names, options)
  local v = runs:verdict(a, b, expect, options)
  local metric = options and options.metric or "test_acc"
  local ra, rb = row_of(runs, a, metric), row_of(runs, b, metric)
  local evidence
  if v.verdict == "diverged" then
    evidence = ("%s：%s；%s：%s"):format(names[1], pct(ra), names[2], pct(rb))
    v.verdict = "noise"
    evidence = evidence .. "（有种子发散，不作比较）"
  else
    evidence = ("%s %s，%s %s；差 %s"):format(names[1], pct(ra), names[2], pct(rb),
      delta_text(v, metric == "test_loss" and "" or "个百分点"))
    if expect == "similar" then evidence = evidence .. ("；\"有限\"按 ±%g 个百分点计"):format(v.margin) end
    if v.differs and ((expect == "not_higher" and v.delta < 0) or (expect == "not_lower" and v.delta > 0)) then
      evidence = evidence .. ("——不只是没有%s，而是明显更%s"):format(expect == "not_higher" and "提升" or "变差",
                                                            expect == "not_higher" and "差" or "好")
    end
  end
  return { claim = claim, verdict = v.verdict, evidence = evidence, result = v }
end

-- The best value of `key` among the variations matching `fixed`, and its row.
local function best_of(runs, key, fixed)
  local best
  for _, row in ipairs(runs:summary("test_acc")) do
    local p, match = row.variation.params, true
    for k, value in pairs(fixed or {}) do if p[k] ~= value then match = false end end
    if match and row.diverged == 0 and row.mean and (not best or row.mean > best.mean) then best = row end
  end
  return best and best.variation.params[key], best
end

--- §3.1 神经元数量.
function claims.hidden(r)
  local runs = r.hidden
  if not runs then return {} end
  return {
    compare_claim(runs, "单纯增加神经元数量对性能提升有限（64 → 256）", { hidden = 256 }, { hidden = 64 }, "similar",
                  { "h = 256", "h = 64" }, { margin = 1 }),
    compare_claim(runs, "（可能原因之一）模型复杂度不足：更多神经元应当更好", { hidden = 256 }, { hidden = 64 }, "higher",
                  { "h = 256", "h = 64" }),
  }
end

--- §3.2 隐藏层数量.
function claims.depth(r)
  local runs = r.depth
  if not runs then return {} end
  local out = {
    compare_claim(runs, "（文件 02）加第二个隐藏层（784→h→64→10，Sigmoid）准确率无显著提升",
                  { layers = 2, act = "sigmoid" }, { layers = 1, act = "sigmoid" }, "not_higher",
                  { "两层 Sigmoid", "一层 Sigmoid" }),
    compare_claim(runs, "改进方向：更深的网络（3 层）——配合 Sigmoid", { layers = 3, act = "sigmoid" },
                  { layers = 1, act = "sigmoid" }, "higher", { "三层 Sigmoid", "一层 Sigmoid" }),
    compare_claim(runs, "改进方向：更深的网络（3 层）——配合 ReLU", { layers = 3, act = "relu" },
                  { layers = 1, act = "relu" }, "higher", { "三层 ReLU", "一层 ReLU" }),
    compare_claim(runs, "改进方向：两层网络把 Sigmoid 换成 ReLU，缓解梯度消失", { layers = 2, act = "relu" },
                  { layers = 2, act = "sigmoid" }, "higher", { "两层 ReLU", "两层 Sigmoid" }),
  }
  return out
end

--- §3.3 学习率 (and the §4 advice on the initial learning rate).
function claims.lr(r)
  local runs = r.lr
  if not runs then return {} end
  local out = {}
  for _, opt in ipairs { { "sgd", "SGD" }, { "adam", "Adam" } } do
    out[#out + 1] = oscillation_claim(runs, ("学习率过高（0.1）可能震荡——%s"):format(opt[2]),
      { lr = 0.1, opt = opt[1] }, { lr = 0.01, opt = opt[1] }, "higher", { "lr 0.1", "lr 0.01" })
  end
  -- §4: "初始值 1e-3": is 1e-3 at least as good as the best of the others?
  for _, opt in ipairs { { "adam", "Adam" }, { "sgd", "SGD" } } do
    local best_lr = best_of(runs, "lr", { opt = opt[1] })
    local claim = ("（§4）学习率初始值取 1e-3——%s"):format(opt[2])
    if best_lr == 0.001 then
      local second
      for _, lr in ipairs { 0.1, 0.01 } do
        local row = row_of(runs, { lr = lr, opt = opt[1] })
        if row.diverged == 0 and (not second or row.mean > second.mean) then second = row end
      end
      local c = compare_claim(runs, claim, { lr = 0.001, opt = opt[1] }, second, "not_lower",
                              { "lr 1e-3（最好）", ("lr %g"):format(second.variation.params.lr) })
      out[#out + 1] = c
    else
      out[#out + 1] = compare_claim(runs, claim, { lr = 0.001, opt = opt[1] }, { lr = best_lr, opt = opt[1] },
                                    "not_lower", { "lr 1e-3", ("lr %g（最好）"):format(best_lr) })
    end
  end
  return out
end

--- §3.4 批次大小 (the batch × learning-rate grid), with the notes' copied numbers.
function claims.batch(r)
  local runs = r.batch
  if not runs then return {} end
  local out = {}
  out[#out + 1] = compare_claim(runs, "（笔记的数字）批次越大略好：Batch 128 → 86.91% 高于 Batch 32 → 86.49%（lr 0.01）",
    { batch_size = 128, lr = 0.01 }, { batch_size = 32, lr = 0.01 }, "higher", { "batch 128", "batch 32" })
  out[#out + 1] = oscillation_claim(runs, "较大的批次（128）可稳定梯度：曲线震荡更小（lr 0.1）",
    { batch_size = 128, lr = 0.1 }, { batch_size = 32, lr = 0.1 }, "lower", { "batch 128", "batch 32" })
  -- "…但需降低学习率": at batch 128, does a lower lr than batch 32's best do better?
  local best32 = best_of(runs, "lr", { batch_size = 32 })
  local best128 = best_of(runs, "lr", { batch_size = 128 })
  local lower
  for _, v in ipairs(runs.variations) do
    local lr = v.params.lr
    if lr < best32 and (not lower or lr > lower) then lower = lr end
  end
  local claim = "较大的批次（128）需降低学习率"
  if lower then
    local c = compare_claim(runs, claim, { batch_size = 128, lr = lower }, { batch_size = 128, lr = best32 }, "higher",
                            { ("batch 128, lr %g"):format(lower), ("batch 128, lr %g"):format(best32) })
    c.evidence = ("最好的学习率：batch 32 是 %g，batch 128 是 %g。%s"):format(best32, best128, c.evidence)
    out[#out + 1] = c
  else
    out[#out + 1] = { claim = claim, verdict = "untested",
                      evidence = ("batch 32 最好的学习率 %g 已是网格里最低的，无法再降"):format(best32) }
  end
  out[#out + 1] = compare_claim(runs, "学习率过低（1e-3）需配合更大的批次大小",
    { batch_size = 128, lr = 0.001 }, { batch_size = 32, lr = 0.001 }, "higher", { "batch 128", "batch 32" })
  out[#out + 1] = compare_claim(runs, "过大的批次可能导致泛化能力下降：训练–测试差距更大（lr 0.1）",
    { batch_size = 128, lr = 0.1 }, { batch_size = 32, lr = 0.1 }, "higher", { "batch 128", "batch 32" },
    { metric = "gap" })
  -- The notes' learning-rate and batch tables carry the same three numbers.
  -- Here both are columns of one grid: lr 0.1/0.01/0.001 at batch 32, and
  -- batch 32/64/128 at lr 0.01. Identical tables would need every pair equal.
  local pairs_text, differing = {}, 0
  local lr_values, batch_values = { 0.1, 0.01, 0.001 }, { 32, 64, 128 }
  for i = 1, 3 do
    local a = row_of(runs, { batch_size = 32, lr = lr_values[i] })
    local b = row_of(runs, { batch_size = batch_values[i], lr = 0.01 })
    local same_run = a.variation == b.variation
    local w = not same_run and stats.welch(a.values, b.values) or nil
    if w and w.differs then differing = differing + 1 end
    pairs_text[#pairs_text + 1] = ("LR=%g → %s / Batch=%d → %s%s"):format(lr_values[i], a.text, batch_values[i], b.text,
      same_run and "（同一组设置）" or not w and "（噪声未知）" or w.differs and "（不同）" or "（噪声内）")
  end
  out[#out + 1] = { claim = "笔记里学习率表与批次表的数字完全相同（86.49 / 86.9 / 86.91）：两组实验结果相同",
                    verdict = differing > 0 and "contradicts" or "noise",
                    evidence = ("实测：%s。%d 对中有 %d 对超出噪声地不同，两张表本不该相同：笔记里有一张表是抄错的"):format(
                      table.concat(pairs_text, "；"), #lr_values, differing) }
  if differing == 0 then
    out[#out].evidence = ("实测：%s。三对都在噪声内，无法从数据断定是抄错"):format(table.concat(pairs_text, "；"))
  end
  return out
end

--- §5 激活函数.
function claims.activation(r)
  local runs = r.activation
  if not runs then return {} end
  return {
    compare_claim(runs, "用 ReLU 替代 Sigmoid，缓解梯度消失（更高的准确率）", { act = "relu" }, { act = "sigmoid" },
                  "higher", { "ReLU", "Sigmoid" }),
    compare_claim(runs, "用 LeakyReLU 替代 Sigmoid", { act = "leaky_relu" }, { act = "sigmoid" }, "higher",
                  { "LeakyReLU", "Sigmoid" }),
  }
end

--- §5 优化器.
function claims.optimizer(r)
  local runs = r.optimizer
  if not runs then return {} end
  return {
    compare_claim(runs, "Adam 比 SGD 好（§4 推荐 Adam）——SGD 用笔记的 lr 0.01", "Adam", "SGD (lr 0.01)", "higher",
                  { "Adam (lr 1e-3)", "SGD (lr 0.01)" }),
    compare_claim(runs, "Adam 比 SGD 好（§4 推荐 Adam）——SGD 用 lr 0.1", "Adam", "SGD (lr 0.1)", "higher",
                  { "Adam (lr 1e-3)", "SGD (lr 0.1)" }),
    compare_claim(runs, "（补充）SGD 加动量 0.9 更好", "SGD + momentum 0.9", "SGD (lr 0.01)", "higher",
                  { "SGD + 动量", "SGD" }),
  }
end

--- §5 正则化.
function claims.regularization(r)
  local runs = r.regularization
  if not runs then return {} end
  local out = {}
  -- One-sample t-test: is the unregularized gap above zero beyond noise?
  local gap = row_of(runs, "无正则化", "gap")
  local verdict, p = "noise", nil
  if gap.n >= 2 and gap.std > 0 then
    p = stats.t_two_sided_p(gap.mean / (gap.std / math.sqrt(gap.n)), gap.n - 1)
    verdict = p < 0.05 and (gap.mean > 0 and "supports" or "contradicts") or "noise"
  end
  out[#out + 1] = { claim = "（前提）这个设置确实过拟合：训练准确率明显高于测试准确率", verdict = verdict,
                    evidence = ("无正则化：训练–测试差距 %s%s"):format(gap.text,
                      p and (p < 0.001 and "（p < 0.001）" or ("（p = %.2g）"):format(p)) or "") }
  for _, reg in ipairs { "Dropout 0.5", "L2 1e-3" } do
    out[#out + 1] = compare_claim(runs, ("加入 %s 防止过拟合：训练–测试差距变小"):format(reg), reg, "无正则化", "lower",
                                  { reg, "无正则化" }, { metric = "gap" })
    out[#out + 1] = compare_claim(runs, ("加入 %s 防止过拟合：测试准确率提高"):format(reg), reg, "无正则化", "higher",
                                  { reg, "无正则化" })
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

--- A Markdown table of claims: 笔记的说法 | 判定 | 依据.
function claims.markdown(list)
  local lines = { "| 笔记的说法 | 判定 | 依据（实测） |", "|---|---|---|" }
  for _, c in ipairs(list) do
    lines[#lines + 1] = ("| %s | %s | %s |"):format(c.claim, claims.words[c.verdict] or c.verdict,
                                                   (c.evidence:gsub("|", "\\|")))
  end
  return table.concat(lines, "\n")
end

--- How many claims got each verdict: { supports = n, contradicts = n, ... }.
function claims.count(list)
  local n = { supports = 0, contradicts = 0, noise = 0, diverged = 0, untested = 0 }
  for _, c in ipairs(list) do n[c.verdict] = n[c.verdict] + 1 end
  return n
end

claims.best_of = best_of
claims.row_of = row_of
claims.drops = drops

return claims
