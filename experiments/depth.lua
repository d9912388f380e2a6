-- experiments/depth.lua: review notes §3.2 (隐藏层数量). One, two (the notes'
-- 784→h→64→10) and three hidden layers, each with Sigmoid and with ReLU,
-- since the notes blame Sigmoid. The rest is the notes' baseline (h = 64,
-- SGD lr 0.01, batch 32; lib/setup.lua). Run: nnlab run experiments/depth.lua
local lab = require "nnlab"
local setup = lab.require "lib.setup"
local claims = lab.require "lib.claims"

lab.title "隐藏层数量：加深网络有用吗？Sigmoid 与 ReLU 并排"
local ctx = setup.begin()

lab.md [[
  复习笔记 §3.2：在 `784 → h → 10` 上加一个隐藏层，变成 `784 → h → 64 → 10`（两个 Sigmoid），"准确率无显著提升"。笔记给的改进方向有两个：用更深的网络（3 层以上），以及把 Sigmoid 换成 ReLU 来缓解梯度消失。笔记把问题归到 Sigmoid 上，所以这里把两种激活函数并排比较：一、二、三个隐藏层（`784→64→10`、`784→64→64→10`、`784→64→64→64→10`），各配 Sigmoid 或 ReLU，每种设置多个种子。其余与笔记相同：交叉熵，SGD（lr = 0.01），batch 32。
]]
setup.data_note(ctx)

local runs = setup.run(setup.sweeps.depth(ctx))

lab.md "## 结果"
lab.table(runs, { compare = "valid_acc", metrics = { "test_acc", "valid_acc" } })
lab.table(runs, { rows = "layers", columns = "act", compare = "valid_acc" })
lab.chart(runs, { x = "layers", title = "最终测试准确率与隐藏层数（Sigmoid / ReLU）" })
lab.chart(runs, { y = "test_acc", where = { act = "sigmoid" }, title = "Sigmoid：每轮的测试准确率" })
lab.chart(runs, { y = "test_acc", where = { act = "relu" }, title = "ReLU：每轮的测试准确率" })

lab.md "## 混淆矩阵：三层 Sigmoid 网络预测了什么"
local deep = lab.confusion(runs, { where = { layers = 3, act = "sigmoid" } })
local best_row, best_where = setup.best_where(runs)
local best_cf = best_row and lab.confusion(runs, { show = best_where })
if deep and best_cf then
  local top, C = deep.predicted[1], #deep.predicted
  local per_seed, fewest = {}, C
  for i, n in ipairs(deep.classes_predicted) do per_seed[i], fewest = tostring(n), math.min(fewest, n) end
  local used = fewest == C and ("%d 个种子都用上了全部 %d 个类别"):format(deep.seeds, C)
    or ("%d 个种子各自只用上了 %s 个类别（共 %d 个），别的类别的样本都被归进这几类"):format(deep.seeds,
         table.concat(per_seed, "、"), C)
  lab.md("三层 Sigmoid 网络的 %s；合起来 %.1f %% 的测试样本被预测成 %s。验证集上最好的设置（%s）预测最多的类别 %s 占 %.1f %%。"
    .. "第二张表按类别比较全部六种设置，每个类别最好的和第二好的按种子配对检验。",
    used, top.share, top.class, best_row.label, best_cf.predicted[1].class, best_cf.predicted[1].share)
end

-- The conclusion, computed from the numbers above.
local function row(layers, act) return claims.row_of(runs, { layers = layers, act = act }) end
local function first_epoch(layers, act)
  local curve = runs:curve(runs:get { layers = layers, act = act }, "test_acc")
  return curve[1] and curve[1].mean or 0 / 0
end
-- the claims, judged and Holm-corrected as one family before the prose uses them
local list = claims.finish(claims.depth { depth = runs })
local function find(text)
  for _, c in ipairs(list) do if c.tested:find(text, 1, true) then return c end end
end
local lines = { "## 结论", "" }
for _, act in ipairs { { "sigmoid", "Sigmoid" }, { "relu", "ReLU" } } do
  local one, three = row(1, act[1]), row(3, act[1])
  local best_layers = claims.best_of(runs, "layers", { act = act[1] })
  lines[#lines + 1] = ("- **%s**：一层 %s，两层 %s，三层 %s；验证集上最好的是 %s 层。从一层到三层，测试准确率变化 %+.2f 个百分点；"
    .. "第 1 轮之后：一层 %.1f %%，三层 %.1f %%。"):format(act[2], one.text, row(2, act[1]).text, three.text,
    tostring(best_layers), (three.mean or 0 / 0) - (one.mean or 0 / 0), first_epoch(1, act[1]), first_epoch(3, act[1]))
end
local sig, relu = find "Sigmoid 网络加深到三层，准确率低于一层", find "三层比一层准确率更高"
lines[#lines + 1] = ""
lines[#lines + 1] = ("判定（见下表）：Sigmoid 三层低于一层——%s；ReLU 三层高于一层——%s。"):format(
  claims.verdict_text(sig), claims.verdict_text(relu))
if sig.verdict == "supported" then
  lines[#lines + 1] = "Sigmoid 的导数最大只有 0.25，每多一层，传回前面几层的梯度就再乘一次这个小数；Sigmoid 加深后准确率下降与笔记说的梯度消失相符，"
    .. ("但这里只测了准确率，没有测各层的梯度，所以这只是相符，不是证明（lr = 0.01 的 SGD，%d 轮）。"):format(ctx.epochs)
end
lab.md(table.concat(lines, "\n"))

lab.md "## 笔记的说法与实测"
claims.render(list)
claims.note(list)
