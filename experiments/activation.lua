-- experiments/activation.lua: review notes §5 (激活函数选择). Sigmoid, ReLU,
-- LeakyReLU and Tanh on the notes' baseline (784→64→10, SGD lr 0.01, batch
-- 32; lib/setup.lua). Run: nnlab run experiments/activation.lua
local lab = require "nnlab"
local setup = lab.require "lib.setup"
local claims = lab.require "lib.claims"

lab.title "激活函数：Sigmoid、ReLU、LeakyReLU、Tanh"
local ctx = setup.begin()

lab.md [[
  复习笔记 §5 建议"尝试ReLU或LeakyReLU替代Sigmoid，缓解梯度消失"。这里只换激活函数，其余都是笔记的设置：`784 → 64 → 激活 → 10`，交叉熵，SGD（lr = 0.01），batch 32，每种激活函数多个种子。Tanh 一并放进来：它和 Sigmoid 形状相同（`tanh(x) = 2·sigmoid(2x) − 1`），但输出以 0 为中心、导数最大为 1 而不是 0.25。LeakyReLU 的负半轴斜率是 PyTorch 的默认值 0.01。
]]
setup.data_note(ctx)

local runs = setup.run(setup.sweeps.activation(ctx))

lab.md "## 结果"
lab.table(runs, { compare = "valid_acc", metrics = { "test_acc", "valid_acc" } })
lab.chart(runs, { y = "test_acc", title = "每轮的测试准确率" })
lab.chart(runs, { y = "train_loss", title = "每轮的训练损失" })

lab.md "## 混淆矩阵：Sigmoid 与验证集上最好的激活函数"
local best_row, best_where = setup.best_where(runs)
local sig_cf = lab.confusion(runs, { where = { act = "sigmoid" } })
local best_cf = best_row and lab.confusion(runs, { show = best_where })
if sig_cf and best_cf and sig_cf.pairs[1] and best_cf.pairs[1] then
  local function lowest(summary)
    local list = summary.class_accuracy[summary.variation]
    local low = list[1]
    for _, c in ipairs(list) do if c.mean < low.mean then low = c end end
    return low
  end
  local sl, bl = lowest(sig_cf), lowest(best_cf)
  local s1, b1 = sig_cf.pairs[1], best_cf.pairs[1]
  lab.md("两者最常犯的错：Sigmoid 把 %s 认成 %s（%d 次），%s 把 %s 认成 %s（%d 次）。最差的类别：Sigmoid 是 %s（%.1f %%），%s 是 %s（%.1f %%）。"
    .. "第二张表按类别比较全部四种激活函数，每个类别最好的和第二好的按种子配对检验。",
    s1.true_class, s1.predicted, s1.count, best_row.label, b1.true_class, b1.predicted, b1.count,
    sl.class, sl.mean, best_row.label, bl.class, bl.mean)
end

-- The conclusion, computed from the numbers above.
local names = { sigmoid = "Sigmoid", relu = "ReLU", leaky_relu = "LeakyReLU", tanh = "Tanh" }
local ranked = runs:summary "test_acc"
table.sort(ranked, function(a, b) return (a.mean or -1) > (b.mean or -1) end)
local order = {}
for _, row in ipairs(ranked) do order[#order + 1] = ("%s %s"):format(names[row.params.act], row.text) end
local best = ranked[1]
local lines = { "## 结论", "", ("按最终测试准确率排序：%s。"):format(table.concat(order, " > ")), "" }
local cells, best_row = runs:versus_best "valid_acc"
best = best_row or best
local ties, untested, tested, few_seeds = {}, {}, false, false
for _, cell in ipairs(cells) do
  if cell.code == "cant_tell" then
    local could = claims.detectable_text(cell, "个百分点")
    ties[#ties + 1] = ("%s（差 %s 个百分点%s）"):format(names[cell.row.params.act],
                                                    cell.delta and ("%+.2f"):format(cell.delta) or "？",
                                                    could and "，" .. could or "")
  elseif cell.code == "untested" or cell.code == "diverged" then -- too few seeds, or a seed diverged
    untested[#untested + 1] = names[cell.row.params.act] .. (cell.code == "diverged" and "（有种子发散）" or "")
    few_seeds = few_seeds or cell.code == "untested"
  end
  tested = tested or cell.code == "cant_tell" or cell.code == "differs"
end
local sentence
if #ties > 0 then
  sentence = ("验证集上 %s 的均值最高；验证准确率与它的差别无法判断的有：%s"):format(names[best.params.act], table.concat(ties, "、"))
elseif #untested == 0 then
  sentence = ("验证集上 %s 最好，与其余三个的差别都检出了"):format(names[best.params.act])
else
  sentence = ("验证集上 %s 的均值最高"):format(names[best.params.act])
end
if #untested > 0 then
  sentence = sentence .. ("；与它的差别未检验的有：%s%s"):format(table.concat(untested, "、"), few_seeds and "（不足两个种子）" or "")
end
lines[#lines + 1] = sentence .. (tested and "（所有两两比较一起做 Holm 校正）。" or "。")
local sigmoid = claims.row_of(runs, { act = "sigmoid" })
local first = runs:curve(runs:get { act = "sigmoid" }, "test_acc")[1]
local relu_first = runs:curve(runs:get { act = "relu" }, "test_acc")[1]
lines[#lines + 1] = ""
-- test accuracy against test accuracy: the best is picked on validation, compared on test
local best_test = claims.row_of(runs, best)
lines[#lines + 1] = ("Sigmoid 的测试准确率比验证集上最好的 %s 低 %.2f 个百分点；第 1 轮之后：Sigmoid %.1f %%，ReLU %.1f %%。"
  .. "只有一个隐藏层时谈不上\"梯度消失\"（梯度只穿过一层激活）。一个可能的解释（没有检验）："
  .. "Sigmoid 的导数最大只有 0.25、输出不以 0 为中心，每一步的有效步长都小；层数一多，这个因子逐层相乘，才是梯度消失（见[隐藏层实验](depth.md)）。")
  :format(names[best.params.act], best_test.mean - sigmoid.mean, first.mean, relu_first.mean)
local tanh_vs_relu = runs:verdict({ act = "tanh" }, { act = "relu" }, "similar", { margin = claims.margins.limited })
if tanh_vs_relu.verdict == "equivalent" then
  lines[#lines + 1] = ""
  lines[#lines + 1] = ("Tanh 和 Sigmoid 一样会饱和，却和 ReLU 在 ±%g 个百分点内等价（差 %+.2f 个百分点）：在一个隐藏层的网络里，Sigmoid 吃亏可能不在饱和本身，"
    .. "而在导数小（最大 0.25，Tanh 是 1）和输出不以 0 为中心（这一项比较不在下表的判定族里，没有做 Holm 校正）。"):format(claims.margins.limited, tanh_vs_relu.delta)
end
lab.md(table.concat(lines, "\n"))

lab.md "## 笔记的说法与实测"
claims.show(claims.activation { activation = runs })
