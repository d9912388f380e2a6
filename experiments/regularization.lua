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
  复习笔记 §5 建议"加入 Dropout 或 L2 正则化防止过拟合"。正则化要有过拟合才有东西可防；而笔记的 `784 → 64 → 10` Sigmoid 网络在 6 万张训练图上 10 个 epoch 还没有训练充分（见[神经元数量实验](neurons.md)的结论），在那里加正则化只会让它学得更慢。所以这里换一个会过拟合的设置：更大的网络 `784 → 256 → ReLU → 256 → ReLU → 10`（%d 个参数，是笔记模型的 %.1f 倍），Adam（lr 1e-3），只用训练集的前一小部分（参数 `reg_train_size`），测试集不变。

  四种设置：不加正则化；每个隐藏层的激活之后加 `Dropout(0.5)`；L2 正则化（`weight_decay = 1e-3`，和 PyTorch 的 `Adam(weight_decay=…)` 一样加在梯度上）；两者都加。每个 epoch 之后，除了测试集，还在 eval 模式下（Dropout 关闭）把训练集完整评估一遍：训练–测试差距 = 训练准确率 − 测试准确率，单位是百分点。
]], setup.model(spec):num_parameters(), setup.model(spec):num_parameters() / setup.model(setup.baseline):num_parameters())
setup.data_note(ctx)

local runs = lab.sweep(spec)

lab.md "## 结果"
lab.table(runs, { metrics = { "test_acc", "train_eval_acc", "gap", "test_loss" } })
lab.chart(runs, { y = "gap", title = "训练–测试差距（每个 epoch，百分点）" })
lab.chart(runs, { y = "test_acc", title = "每个 epoch 的测试准确率" })
lab.chart(runs, { y = "test_loss", title = "每个 epoch 的测试损失" })

-- The conclusion, computed from the numbers above.
local none = claims.row_of(runs, "无正则化")
local none_gap = claims.row_of(runs, "无正则化", "gap")
local lines = { "## 结论", "" }
local loss_curve = runs:curve(runs:get "无正则化", "test_loss")
local lowest = 1
for i, pt in ipairs(loss_curve) do if pt.mean < loss_curve[lowest].mean then lowest = i end end
lines[#lines + 1] = ("不加正则化时，%d 张训练图在 %d 个 epoch 后的训练准确率是 %s，测试准确率 %s，差距 %s。"
  .. "测试损失在第 %d 个 epoch 最低（%.4f），最后是 %.4f%s。"):format(#ctx.reg_train, ctx.epochs,
  claims.row_of(runs, "无正则化", "train_eval_acc").text, none.text, none_gap.text, lowest, loss_curve[lowest].mean,
  loss_curve[#loss_curve].mean,
  -- rising again by more than the seeds' spread at the end: the classic sign of overfitting
  loss_curve[#loss_curve].mean - loss_curve[lowest].mean > loss_curve[#loss_curve].std
    and ("：已从最低点回升 %.4f，超过最后一个 epoch 种子之间的标准差（%.4f），这是过拟合的典型信号"):format(
      loss_curve[#loss_curve].mean - loss_curve[lowest].mean, loss_curve[#loss_curve].std)
    or lowest < #loss_curve and "，回升的幅度在种子之间的标准差之内" or "，还在下降")
lines[#lines + 1] = ""
for _, reg in ipairs { "Dropout 0.5", "L2 1e-3", "Dropout 0.5 + L2 1e-3" } do
  local gap = runs:verdict(reg, "无正则化", "lower", { metric = "gap" })
  local acc = runs:verdict(reg, "无正则化", "higher")
  local loss = runs:verdict(reg, "无正则化", "lower", { metric = "test_loss" })
  lines[#lines + 1] = ("- **%s**：差距 %s（%s），测试准确率 %s（%s），测试损失 %s（%s）。"):format(reg,
    claims.row_of(runs, reg, "gap").text,
    gap.verdict == "supports" and ("比不加小 %.2f，超出噪声"):format(-gap.delta) or gap.verdict == "noise" and "与不加在噪声内"
      or gap.verdict == "contradicts" and "反而更大" or "有种子发散",
    claims.row_of(runs, reg).text,
    acc.verdict == "supports" and ("高 %.2f 个百分点"):format(acc.delta) or acc.verdict == "noise" and "与不加在噪声内"
      or acc.verdict == "contradicts" and ("低 %.2f 个百分点"):format(-acc.delta) or "有种子发散",
    claims.row_of(runs, reg, "test_loss").text,
    loss.verdict == "supports" and "比不加低，超出噪声" or loss.verdict == "noise" and "与不加在噪声内"
      or loss.verdict == "contradicts" and "比不加高" or "有种子发散")
end
local l2 = runs:verdict("L2 1e-3", "无正则化", "lower", { metric = "gap" })
if l2.verdict ~= "supports" then
  lines[#lines + 1] = ""
  lines[#lines + 1] = "L2 在这里作用不明显，有一个已知的原因：`Adam(weight_decay=…)` 把衰减项加在梯度上，随后和梯度一起被 Adam 按梯度的历史大小归一化，"
    .. "梯度大的参数几乎不受衰减。这正是 AdamW（把衰减和梯度分开，nnlab 里是 `optim.AdamW`）要解决的问题。"
end
lab.md(table.concat(lines, "\n"))

lab.md "## 笔记的说法与实测"
lab.md(claims.markdown(claims.regularization { regularization = runs }))
