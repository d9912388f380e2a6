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
  复习笔记 §5 提出"测试Adam与SGD的性能差异"，§4 推荐"学习率初始值 1e-3，动态调整（如 Adam）"。这里比较三个优化器，每个用它常用的学习率：SGD（lr 0.01，笔记的设置）、SGD 加动量 0.9（lr 0.01）、Adam（lr 1e-3，PyTorch 的默认值，β = 0.9/0.999）；再加上 lr 0.1 的 SGD：动量 0.9 在梯度方向稳定时累积出的步长，正是 lr 的 10 倍。模型是笔记的 `784 → 64 → Sigmoid → 10`，batch 32，每种设置多个种子。每个优化器在三个学习率上的表现见[学习率实验](learning_rate.md)。
]]
setup.data_note(ctx)

local runs = setup.run(setup.sweeps.optimizer(ctx))
local lr_runs = setup.run(setup.sweeps.lr(ctx)) -- every learning rate of each optimizer (learning_rate.lua)

lab.md "## 结果"
lab.table(runs, { compare = "valid_acc", metrics = { "test_acc", "valid_acc" } })
lab.chart(runs, { y = "test_acc", title = "每轮的测试准确率" })
lab.chart(runs, { y = "train_loss", title = "每轮的训练损失" })

setup.best_per_class(runs)

-- The claims, judged and Holm-corrected as one family; the conclusion is
-- written from the finished verdicts.
local list = claims.finish(claims.optimizer { optimizer = runs, lr = lr_runs })
local function find(text)
  for _, c in ipairs(list) do if c.tested:find(text, 1, true) then return c end end
end
local function row(label) return claims.row_of(runs, label) end
local sgd, sgd_fast, momentum, adam = row "SGD (lr 0.01)", row "SGD (lr 0.1)", row "SGD + momentum 0.9", row "Adam"
local _, best = runs:versus_best "valid_acc"
best = best or runs:best "test_acc"
local vs_sgd, vs_best = find "高于笔记设置的 SGD", find "高于验证集上最好的 SGD"
local more, same_step = find "SGD + 动量 0.9 高于 SGD", find "两者在 ±"
local sgd_lr, _, edge = claims.edge(lr_runs, "sgd")
local function said(c) return ("%+.2f 个百分点，%s"):format(c.result.delta or 0 / 0, claims.verdict_text(c)) end
local lines = { "## 结论", "",
  ("- SGD（lr 0.01）：%s\n- SGD（lr 0.1）：%s\n- SGD + 动量 0.9（lr 0.01）：%s\n- Adam（lr 1e-3）：%s"):format(
    sgd.text, sgd_fast.text, momentum.text, adam.text), "",
  ("%s 在验证集上的均值最高（这张表的验证准确率）。Adam 对笔记设置的 SGD：%s；对验证集上最好的 SGD（lr %g，见学习率实验）：%s%s。动量 0.9 对不加动量（都是 lr 0.01）：%s。"):format(
    best.label, said(vs_sgd), sgd_lr, vs_best and said(vs_best) or "–", edge and ("（" .. edge .. "）") or "", said(more)),
  "",
  ("动量 0.9 在梯度方向稳定时把步长累积到约 lr / (1 − 0.9) = 10 倍，也就是 lr 0.1 的步长。两者实测 %s 和 %s：%s。"):format(
    momentum.text, sgd_fast.text, same_step.verdict == "equivalent" and ("在 ±%g 个百分点内等价（差 %+.2f），动量在这里的作用和更大的有效学习率分不开"):format(claims.margins.limited, same_step.result.delta)
      or same_step.verdict == "contradicted" and ("相差 %+.2f，超出 ±%g 的界限，动量不只是放大步长"):format(same_step.result.delta, claims.margins.limited)
      or ("相差 %+.2f，%s：两者是否相当，这些种子定不下来"):format(same_step.result.delta or 0 / 0, claims.verdict_text(same_step))) }
lab.md(table.concat(lines, "\n"))

lab.md "## 笔记的说法与实测"
claims.render(list)
claims.note(list)
lab.md "_动量的注意事项：动量 0.9 在梯度方向稳定时把步长累积到约 lr / (1 − 0.9) = 10 倍，所以 lr 0.01 加动量 0.9 大致相当于 lr 0.1 的 SGD；\"动量更好\"里有多少是更大的有效学习率，要和 lr 0.1 的 SGD 比（本文自己的推论表的最后一行）。_"
