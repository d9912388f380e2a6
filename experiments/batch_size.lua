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
  复习笔记 §3.4 记下的结果是 `Batch=32 → 86.49%`、`Batch=64 → 86.9%`、`Batch=128 → 86.91%`——和 §3.3 学习率表的三个数字一模一样，多半是抄错了一张表。结论是"较大的批次（如128）可稳定梯度，但需降低学习率"，"过大的批次可能导致内存不足或泛化能力下降"；§3.3 还说"学习率过低（如`1e-3`）需配合更大的批次大小"。

  这些说法都关于批次和学习率的**组合**，所以这里做一个小网格：batch ∈ {32, 64, 128} × lr ∈ {0.3, 0.1, 0.01, 0.001}，并且用两种方式比较：同样的轮数，和同样的参数更新次数，SGD，模型是笔记的 `784 → 64 → Sigmoid → 10`，每格多个种子。网格里 batch 32 那一列就是学习率实验（SGD），lr 0.01 那一行就是笔记的批次实验，所以两张表是否本该相同，也由它来回答。
]]
setup.data_note(ctx)

local all = setup.run(setup.sweeps.batch(ctx))
local osc = setup.run(setup.sweeps.oscillation(ctx))
local by_epochs, by_steps = claims.batch_views(all, ctx)
local function updates(b, design) return math.ceil(#ctx.train / b) * setup.batch_epochs(ctx, b, design) end

lab.md("## 结果：同样的轮数（%d 轮）", ctx.epochs)
lab.md("每个批次都训练 %d 轮：batch 32 更新 %d 次，batch 64 %d 次，batch 128 只有 %d 次。", ctx.epochs,
  updates(32, "epochs"), updates(64, "epochs"), updates(128, "epochs"))
lab.table(by_epochs, { rows = "lr", columns = "batch_size", compare = "valid_acc" })
lab.table(by_epochs, { compare = "valid_acc", metrics = { "test_acc", "valid_acc", "gap", "gap_eval" } })
lab.md("## 结果：同样的更新次数")
lab.md("batch b 读第 %d × b / 64 轮之后的结果：batch 32 更新 %d 次（%d 轮），batch 64 %d 次（%d 轮），batch 128 %d 次（%d 轮）。没有学习率调度时，长的训练会经过短的训练的每一步，所以同一次训练可以在两个点上读。",
  ctx.epochs, updates(32, "steps"), setup.batch_epochs(ctx, 32, "steps"), updates(64, "steps"), setup.batch_epochs(ctx, 64, "steps"),
  updates(128, "steps"), setup.batch_epochs(ctx, 128, "steps"))
lab.table(by_steps, { rows = "lr", columns = "batch_size", compare = "valid_acc" })
lab.table(by_steps, { compare = "valid_acc", metrics = { "test_acc", "valid_acc", "gap", "gap_eval" } })
lab.chart(by_epochs, { x = "batch_size", title = "同样的轮数：最终测试准确率与批次大小（每条线一个学习率）" })
lab.chart(by_steps, { x = "batch_size", title = "同样的更新次数：测试准确率与批次大小（每条线一个学习率）" })
lab.chart(all, { y = "test_acc", where = { lr = 0.1 }, title = "lr 0.1：每轮的测试准确率" })

-- The conclusion, computed from the numbers above.
local lines = { "## 结论", "" }
for _, d in ipairs { { by_epochs, "同样的轮数" }, { by_steps, "同样的更新次数" } } do
  local parts = {}
  for _, b in ipairs(setup.batch_sizes) do
    local best_lr, best = claims.best_of(d[1], "lr", { batch_size = b })
    parts[#parts + 1] = ("batch %d 验证集上最好的学习率是 %g（测试 %s）"):format(b, best_lr, best.text)
  end
  lines[#lines + 1] = ("- %s：%s。"):format(d[2], table.concat(parts, "；"))
end
lines[#lines + 1] = ""
lines[#lines + 1] = "同样的轮数下，批次越大，参数更新的次数越少；按更新次数对齐之后，批次大小本身的作用才显出来。下面每条判定都写明是哪一种比较。"
lines[#lines + 1] = ""
lines[#lines + 1] = ("至于内存：一个 batch 128 的输入是 128 × 784 个 32 位浮点数，%.1f MB，在这个规模上谈不上内存不足；"
  .. "批次大小真正受内存限制的是大模型和大图片。"):format(128 * 784 * 4 / 2 ^ 20)
lab.md(table.concat(lines, "\n"))

lab.md "## 笔记的说法与实测"
claims.show(claims.batch { batch_views = { epochs = by_epochs, steps = by_steps },
                           oscillation_epochs = setup.at_epochs(osc, function() return ctx.epochs end) })
lab.md [[
  _震荡的量法：每个种子把验证准确率从一轮到下一轮的下降加起来（只升不降的曲线为 0），按种子配对用秩检验比较（加倍的种子）。判定里的训练–测试差距是评估模式的：每轮之后在评估模式下把整个训练集评估一遍得到的训练准确率，减去测试准确率（只在 lr 0.1 的设置上测，因为这一遍评估几乎和训练一轮一样贵；上面结果表的\"训练–测试差距（评估模式）\"一列）。结果表的\"训练–测试差距（滚动）\"一列每个设置都有，用的是训练中各批次的滚动准确率，与评估模式的数不能混比。_
]]
