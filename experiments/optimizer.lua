-- experiments/optimizer.lua: review notes §5 (优化器对比). SGD, SGD with
-- momentum 0.9 (both lr 0.01) and Adam (lr 1e-3, its default) on the notes'
-- baseline model (784→64→10, Sigmoid, batch 32; lib/setup.lua).
-- Run: nnlab run experiments/optimizer.lua
local lab = require "nnlab"
local setup = lab.require "lib.setup"
local claims = lab.require "lib.claims"

lab.title "优化器：SGD、SGD + 动量、Adam"
local ctx = setup.begin()

lab.md [[
  复习笔记 §5 提出"测试 Adam 与 SGD 的性能差异"，§4 推荐"学习率初始值 1e-3，动态调整（如 Adam）"。这里比较三个优化器，每个用它常用的学习率：SGD（lr 0.01，笔记的设置）、SGD 加动量 0.9（lr 0.01）、Adam（lr 1e-3，PyTorch 的默认值，β = 0.9/0.999）；再加上 lr 0.1 的 SGD：动量 0.9 在梯度方向稳定时累积出的步长，正是 lr 的 10 倍。模型是笔记的 `784 → 64 → Sigmoid → 10`，batch 32，每种设置多个种子。每个优化器在三个学习率上的表现见[学习率实验](learning_rate.md)。
]]
setup.data_note(ctx)

local runs = lab.sweep(setup.sweeps.optimizer(ctx))

lab.md "## 结果"
lab.table(runs)
lab.chart(runs, { y = "test_acc", title = "每个 epoch 的测试准确率" })
lab.chart(runs, { y = "train_loss", title = "每个 epoch 的训练损失" })

-- The conclusion, computed from the numbers above.
local function row(label) return claims.row_of(runs, label) end
local sgd, sgd_fast, momentum, adam = row "SGD (lr 0.01)", row "SGD (lr 0.1)", row "SGD + momentum 0.9", row "Adam"
local best = runs:best "test_acc"
local same_step = runs:compare("SGD + momentum 0.9", "SGD (lr 0.1)")
local lines = { "## 结论", "",
  ("- SGD（lr 0.01）：%s\n- SGD（lr 0.1）：%s\n- SGD + 动量 0.9（lr 0.01）：%s\n- Adam（lr 1e-3）：%s"):format(
    sgd.text, sgd_fast.text, momentum.text, adam.text), "",
  ("%s 最好。Adam 比笔记设置的 SGD 高 %.2f 个百分点，比 lr 0.1 的 SGD 高 %.2f 个百分点。动量让 SGD 提高 %.2f 个百分点。"):format(
    best.label, adam.mean - sgd.mean, adam.mean - sgd_fast.mean, momentum.mean - sgd.mean),
  "",
  ("动量 0.9 在梯度方向稳定时把步长累积到约 lr / (1 − 0.9) = 10 倍，也就是 lr 0.1 的步长。两者实测 %s 和 %s：%s。"):format(
    momentum.text, sgd_fast.text, same_step.differs == false and ("在噪声内（%s），动量在这里的作用基本就是更大的有效学习率"):format(same_step.text)
      or ("%s，动量不只是放大步长"):format(same_step.text)) }
lab.md(table.concat(lines, "\n"))

lab.md "## 笔记的说法与实测"
lab.md(claims.markdown(claims.optimizer { optimizer = runs }))
