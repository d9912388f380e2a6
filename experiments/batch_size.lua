-- experiments/batch_size.lua: review notes §3.4 (批次大小). Batch 32 / 64 /
-- 128, each with lr 0.1 / 0.01 / 0.001 (SGD, the notes' baseline model;
-- lib/setup.lua): the batch sizes the notes list and the interaction they
-- claim (large batches want a lower learning rate). The grid also holds
-- both of the notes' tables, which carry the same three numbers.
-- Run: nnlab run experiments/batch_size.lua
local lab = require "nnlab"
local setup = lab.require "lib.setup"
local claims = lab.require "lib.claims"

lab.title "批次大小：32、64、128，以及批次与学习率的搭配"
local ctx = setup.begin()

lab.md [[
  复习笔记 §3.4 记下的结果是 `Batch=32 → 86.49%`、`Batch=64 → 86.9%`、`Batch=128 → 86.91%`——和 §3.3 学习率表的三个数字一模一样，多半是抄错了一张表。结论是"较大的批次（如 128）可稳定梯度，但需降低学习率"，"过大的批次可能导致内存不足或泛化能力下降"；§3.3 还说"学习率过低（如 1e-3）需配合更大的批次大小"。

  这些说法都关于批次和学习率的**组合**，所以这里做一个小网格：batch ∈ {32, 64, 128} × lr ∈ {0.1, 0.01, 0.001}，SGD，模型是笔记的 `784 → 64 → Sigmoid → 10`，每格多个种子。网格里 batch 32 那一列就是学习率实验（SGD），lr 0.01 那一行就是笔记的批次实验，所以两张表是否本该相同，也由它来回答。
]]
setup.data_note(ctx)

local runs = lab.sweep(setup.sweeps.batch(ctx))

lab.md "## 结果"
lab.table(runs, { rows = "lr", columns = "batch_size" })
lab.table(runs, { metrics = { "test_acc", "train_loss", "gap" } })
lab.chart(runs, { x = "batch_size", title = "最终测试准确率与批次大小（每条线一个学习率）" })
lab.chart(runs, { y = "test_acc", where = { lr = 0.01 }, title = "lr 0.01（笔记的设置）：每个 epoch 的测试准确率" })
lab.chart(runs, { y = "test_acc", where = { lr = 0.1 }, title = "lr 0.1：每个 epoch 的测试准确率" })

-- The conclusion, computed from the numbers above.
local lines = { "## 结论", "" }
for _, b in ipairs { 32, 64, 128 } do
  local best_lr, best = claims.best_of(runs, "lr", { batch_size = b })
  lines[#lines + 1] = ("- batch %d：每个 epoch %d 步，最好的学习率是 %g（%s）。"):format(b, math.ceil(#ctx.train / b),
                                                                                 best_lr, best.text)
end
-- At each learning rate: is batch 32 better than batch 128 beyond noise?
local worse, lrs = 0, { 0.1, 0.01, 0.001 }
for _, lr in ipairs(lrs) do
  if runs:verdict({ batch_size = 32, lr = lr }, { batch_size = 128, lr = lr }, "higher").verdict == "supports" then
    worse = worse + 1
  end
end
lines[#lines + 1] = ""
lines[#lines + 1] = ("同样的 epoch 数，批次越大，参数更新的次数越少：batch 128 的步数只有 batch 32 的四分之一。"
  .. "三个学习率里，有 %d 个是 batch 32 超出噪声地好于 batch 128%s"):format(worse, worse == #lrs
  and "：在这个规模上，决定结果的是更新次数，而不是\"大批次梯度更稳\"。" or "。")
lines[#lines + 1] = ""
lines[#lines + 1] = ("至于内存：一个 batch 128 的输入是 128 × 784 个 float，%.1f MB，在这个规模上谈不上内存不足；"
  .. "批次大小真正受内存限制的是大模型和大图片。"):format(128 * 784 * 4 / 2 ^ 20)
lab.md(table.concat(lines, "\n"))

lab.md "## 笔记的说法与实测"
lab.md(claims.markdown(claims.batch { batch = runs }))
lab.md [[
  _震荡的量法：每个种子把测试准确率从一个 epoch 到下一个 epoch 的下降加起来（只升不降的曲线为 0）。训练–测试差距：最后一个 epoch 各个 batch 上的训练准确率（边训练边统计）减去测试准确率。_
]]
