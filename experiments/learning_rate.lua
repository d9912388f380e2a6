-- experiments/learning_rate.lua: review notes §3.3 (学习率). lr ∈ {0.1, 0.01,
-- 0.001}, with SGD and with Adam, on the notes' baseline model (784→64→10,
-- Sigmoid, batch 32; lib/setup.lua). Run: nnlab run experiments/learning_rate.lua
local lab = require "nnlab"
local setup = lab.require "lib.setup"
local claims = lab.require "lib.claims"

lab.title "学习率：0.1、0.01、0.001，SGD 与 Adam"
local ctx = setup.begin()

lab.md [[
  复习笔记 §3.3 记下了文件 `03` 的结果：`LR=0.1 → 86.49%`、`LR=0.01 → 86.9%`、`LR=0.001 → 86.91%`，结论是"学习率过高（如`0.1`）可能震荡，需调整优化器或加入学习率衰减"，"学习率过低（如`1e-3`）需配合更大的批次大小"；§4 又推荐"初始值 1e-3，动态调整（如 Adam）"。笔记没写用的是哪个优化器，而学习率的好坏离不开优化器：同一个 0.001，对 SGD 和对 Adam 是两回事。所以这里两个都做：SGD 用 lr 1、0.3、0.1、0.01、0.001，Adam 用 0.1、0.01、0.001、0.0001（网格要把最好的学习率包在中间，否则\"最好\"只是网格的边界），最好的学习率在验证集上挑，模型是笔记的 `784 → 64 → Sigmoid → 10`，batch 32，每种设置多个种子。
]]
setup.data_note(ctx)

local runs = setup.run(setup.sweeps.lr(ctx))
local osc = setup.run(setup.sweeps.oscillation(ctx))

lab.md "## 结果"
lab.table(runs, { rows = "lr", columns = "opt", compare = "valid_acc" })
lab.table(runs, { compare = "valid_acc", metrics = { "test_acc", "valid_acc" } })
lab.chart(runs, { x = "lr", title = "最终测试准确率与学习率（SGD / Adam）" })
lab.chart(runs, { y = "test_acc", where = { opt = "sgd" }, title = "SGD：每轮的测试准确率" })
lab.chart(runs, { y = "test_acc", where = { opt = "adam" }, title = "Adam：每轮的测试准确率" })

setup.best_per_class(runs)

-- The conclusion, computed from the numbers above.
local lines = { "## 结论", "" }
for _, opt in ipairs { { "sgd", "SGD" }, { "adam", "Adam" } } do
  local best_lr, best = claims.best_of(runs, "lr", { opt = opt[1] })
  local parts = {}
  for _, lr in ipairs(setup.lrs[opt[1]]) do
    parts[#parts + 1] = ("lr %g → %s"):format(lr, claims.row_of(runs, { lr = lr, opt = opt[1] }).text)
  end
  local worst
  for _, lr in ipairs(setup.lrs[opt[1]]) do
    local r = claims.row_of(runs, { lr = lr, opt = opt[1] })
    if r.mean and (not worst or r.mean < worst.mean) then worst = r end
  end
  local _, _, edge = claims.edge(runs, opt[1])
  lines[#lines + 1] = ("- **%s**：%s。验证集上最好的是 lr = %g，测试准确率比最差的高 %.2f 个百分点。%s"):format(opt[2], table.concat(parts, "，"),
    best_lr, best.mean - worst.mean, edge and edge .. "。" or "")
end
local sgd_best = claims.best_of(runs, "lr", { opt = "sgd" })
local adam_best = claims.best_of(runs, "lr", { opt = "adam" })
-- The worst learning rate of an optimizer.
local function worst_lr(opt)
  local worst
  for _, lr in ipairs(setup.lrs[opt]) do
    local r = claims.row_of(runs, { lr = lr, opt = opt })
    if not worst or r.diverged > 0 or (worst.diverged == 0 and r.mean < worst.mean) then worst = r end
  end
  return worst.variation.params.lr
end
local spread = 0
for _, row in ipairs(runs:summary "test_acc") do
  for _, other in ipairs(runs:summary "test_acc") do
    if row.params.opt == other.params.opt and row.mean and other.mean then
      spread = math.max(spread, row.mean - other.mean)
    end
  end
end
lines[#lines + 1] = ""
lines[#lines + 1] = ("笔记里三个学习率只差 0.42 个百分点，像是\"学习率无所谓\"；实测同一个优化器内最大相差 %.2f 个百分点，"
  .. "而且最好的学习率取决于优化器：SGD 是 %g，Adam 是 %g。"):format(spread, sgd_best, adam_best)
if sgd_best ~= adam_best then
  local why = {}
  if worst_lr "sgd" == 0.001 then
    why[#why + 1] = "一个可能的解释（没有单独检验）：SGD 每一步只走 lr × 梯度，Sigmoid 的梯度又小，lr = 0.001 在这些轮次里走得太慢"
  end
  if worst_lr "adam" == 0.1 then
    why[#why + 1] = "Adam 按梯度的历史大小归一化步长，每个参数每步大约走 lr 那么远，同样的 0.1 对它来说大得多"
  end
  lines[#lines] = lines[#lines] .. (#why > 0 and table.concat(why, "；") .. "。" or "")
                 .. "在这个实验里，学习率要和优化器一起选。"
end
lines[#lines + 1] = ""
lines[#lines + 1] = "\"学习率过低需配合更大的批次\"这一条要看学习率和批次的组合，见[批次大小实验](batch_size.md)。"
lab.md(table.concat(lines, "\n"))

lab.md "## 笔记的说法与实测"
claims.show(claims.lr { lr = runs, oscillation = osc })
lab.md [[
  _震荡的量法：每个种子把验证准确率从一轮到下一轮的下降加起来（只升不降的曲线为 0），再按种子配对用秩检验比较（这个量在很多种子里是 0，偶尔很大，均值和 t 检验会被一个种子带着走）；为此这两组设置各跑了加倍的种子。_
]]
