-- experiments/regularization.lua: review notes §5 (正则化). None, Dropout 0.5,
-- L2 (weight decay 1e-3) and both, in a setting that overfits: a wider,
-- deeper ReLU network (784→256→256→10, Adam lr 1e-3) on a small training
-- subset, with the training set measured in eval mode for the train–test
-- gap (lib/setup.lua). Run: nnlab run experiments/regularization.lua
local lab = require "nnlab"
local setup = lab.require "lib.setup"
local claims = lab.require "lib.claims"

lab.title "正则化：Dropout 与 L2，在一个真的会过拟合的设置里"
local ctx = setup.begin { regularization = true }
local spec = setup.sweeps.regularization(ctx) -- its fixed values are the model's parameters

lab.md([[
  复习笔记 §5 建议"加入Dropout或L2正则化防止过拟合"。正则化要有过拟合才有东西可防；而笔记的 `784 → 64 → 10` Sigmoid 网络在 6 万张训练图上 10 轮还没有训练充分（见[神经元数量实验](neurons.md)的结论），在那里加正则化只会让它学得更慢。所以这里换一个会过拟合的设置：更大的网络 `784 → 256 → ReLU → 256 → ReLU → 10`（%d 个参数，是笔记模型的 %.1f 倍），Adam（lr 1e-3），只用训练集的前一小部分（参数 `reg_train_size`），测试集不变。

  四种设置：不加正则化；每个隐藏层的激活之后加 `Dropout(0.5)`；L2 正则化（`weight_decay = 1e-3`，和 PyTorch 的 `Adam(weight_decay=…)` 一样加在梯度上）；两者都加。每轮之后，除了测试集，还在评估模式下（Dropout 关闭）把训练集完整评估一遍：训练–测试差距 = 训练准确率 − 测试准确率，单位是百分点。
]], setup.model(spec):num_parameters(), setup.model(spec):num_parameters() / setup.model(setup.baseline):num_parameters())
setup.data_note(ctx)

local runs = lab.sweep(spec)

lab.md "## 结果"
lab.table(runs, { compare = "valid_acc", metrics = { "test_acc", "valid_acc", "train_eval_acc", "gap", "test_loss" } })
lab.chart(runs, { y = "gap", title = "训练–测试差距（每轮，百分点）" })
lab.chart(runs, { y = "test_acc", title = "每轮的测试准确率" })
lab.chart(runs, { y = "test_loss", title = "每轮的测试损失" })
lab.chart(runs, { y = { "train_eval_acc", "test_acc" }, where = { dropout = 0.0, weight_decay = 0.0 },
                  title = "无正则化：训练集（评估模式）与测试集的准确率" })

lab.md "## 第一层权重：有无 L2 和 Dropout"
local w_none = lab.weights(runs, { where = { dropout = 0.0, weight_decay = 0.0 }, n = 64 })
local w_l2 = lab.weights(runs, { where = { dropout = 0.0, weight_decay = 1e-3 }, n = 64 })
local w_drop = lab.weights(runs, { where = { dropout = 0.5, weight_decay = 0.0 }, n = 64 })
if w_none and w_l2 and w_drop then
  lab.md("每张图是第一层 %d 个单元中前 %d 个的权重（种子 %d），每个单元的 %d 个权重按像素排成一张图。它们的 L2 范数均值：无正则化 %.3f，"
    .. "L2 1e-3 %.3f（%+.0f%%），Dropout 0.5 %.3f（%+.0f%%）。只看了一个种子的 %d 个单元，这是描述，不是检验。",
    w_none.units, w_none.shown, w_none.seed, w_none.inputs, w_none.norm_mean, w_l2.norm_mean,
    100 * (w_l2.norm_mean / w_none.norm_mean - 1), w_drop.norm_mean, 100 * (w_drop.norm_mean / w_none.norm_mean - 1),
    w_none.shown)
end
setup.best_per_class(runs)
local _, best_where = setup.best_where(runs)
if best_where then
  lab.md "它错在哪些测试图像上：把三个种子放在一起看，先排每个种子都错的，再按错误预测的平均置信度排。"
  lab.mistakes(runs, { where = best_where, n = 24 })
end

-- The claims, judged and Holm-corrected as one family; the conclusion is
-- written from the finished verdicts.
local list = claims.regularization { regularization = runs }
local both = "Dropout 0.5 + L2 1e-3"
local both_gap = claims.compare(runs, { derived = true, quote = "（笔记未提）Dropout 和 L2 一起用，训练–测试差距变小",
  tested = "Dropout 0.5 + L2 1e-3：训练–测试差距小于无正则化" }, both, "无正则化", "lower", { both, "无正则化" }, { metric = "gap_eval" })
local both_acc = claims.compare(runs, { derived = true, quote = "（笔记未提）Dropout 和 L2 一起用，测试准确率提高",
  tested = "Dropout 0.5 + L2 1e-3：测试准确率高于无正则化" }, both, "无正则化", "higher", { both, "无正则化" })
list[#list + 1], list[#list + 2] = both_gap, both_acc
claims.finish(list)
local function find(text)
  for _, c in ipairs(list) do if c.tested:find(text, 1, true) then return c end end
end

local none = claims.row_of(runs, "无正则化")
local none_gap = claims.row_of(runs, "无正则化", "gap")
local lines = { "## 结论", "" }
-- The premise: the slope of the validation loss over the last half of the
-- epochs, per seed (claims.slopes), not the lowest point of a noisy curve.
local premise = find "验证损失的最小二乘斜率"
local sl = claims.slopes(runs, "无正则化", "valid_loss")
local rising = 0
for _, x in ipairs(sl) do if x > 0 then rising = rising + 1 end end
lines[#lines + 1] = ("不加正则化时，%d 张训练图在 %d 轮后的训练准确率（评估模式）是 %s，测试准确率 %s，差距 %s。"
  .. "后一半轮次里验证损失的斜率在 %d 个种子中有 %d 个为正（上升）；\"这个设置在过拟合\"这个前提的判定是%s。%s"):format(
  #ctx.reg_train, ctx.epochs, claims.row_of(runs, "无正则化", "train_eval_acc").text, none.text, none_gap.text,
  #sl, rising, claims.verdict_text(premise),
  premise.verdict == "supported" and "训练后半程验证损失在上升，是过拟合的信号，正则化在这里有东西可防。"
    or premise.verdict == "contradicted" and "验证损失在后半程还在下降：这些轮次里看不到过拟合，下面的判定只说明正则化对差距和准确率的作用，说明不了它\"防止过拟合\"。"
    or "前提定不下来，下面的判定只说明正则化对差距和准确率的作用，说明不了它\"防止过拟合\"。")
lines[#lines + 1] = ""
local function acc_text(c)
  if c.verdict == "supported" then return ("高 %.2f 个百分点"):format(c.result.delta) end
  if c.verdict == "contradicted" then return ("低 %.2f 个百分点"):format(-c.result.delta) end
  if c.verdict == "not_tested" then return claims.verdict_text(c) end
  return ("差 %+.2f 个百分点，%s"):format(c.result.delta or 0 / 0, claims.verdict_text(c))
end
local function gap_text(c)
  if c.verdict == "supported" then return ("比不加小 %.2f 个百分点"):format(-c.result.delta) end
  if c.verdict == "contradicted" then return ("比不加大 %.2f 个百分点"):format(c.result.delta) end
  if c.verdict == "not_tested" then return claims.verdict_text(c) end
  return ("差 %+.2f 个百分点，%s"):format(c.result.delta or 0 / 0, claims.verdict_text(c))
end
for _, reg in ipairs { "Dropout 0.5", "L2 1e-3", both } do
  local gap, acc = find(reg .. "：训练–测试差距"), find(reg .. "：测试准确率")
  lines[#lines + 1] = ("- **%s**：差距 %s（%s），测试准确率 %s（%s），测试损失 %s。"):format(reg,
    claims.row_of(runs, reg, "gap").text, gap_text(gap), claims.row_of(runs, reg).text, acc_text(acc),
    claims.row_of(runs, reg, "test_loss").text)
end
local l2 = find "L2 1e-3：训练–测试差距"
if l2.verdict ~= "supported" then
  lines[#lines + 1] = ""
  lines[#lines + 1] = "L2 在这里没有被确认缩小差距。一个可能的原因（本实验没有检验）：`Adam(weight_decay=…)` 把衰减项加在梯度上，随后和梯度一起被 Adam 按梯度的历史大小归一化，"
    .. "梯度大的参数几乎不受衰减。这正是 AdamW（把衰减和梯度分开，nnlab 里是 `optim.AdamW`）要解决的问题。"
end
lab.md(table.concat(lines, "\n"))

lab.md "## 笔记的说法与实测"
claims.render(list)
claims.note(list)
