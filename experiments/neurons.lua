-- experiments/neurons.lua: review notes §3.1 (神经元数量) re-run with real
-- numbers. 784 → h → 10 with Sigmoid, SGD lr 0.01, batch 32, h ∈ {64, 128,
-- 256}, three seeds each (the set-up and the sweep: lib/setup.lua; the
-- notes' claims: lib/claims.lua). Run: nnlab run experiments/neurons.lua
-- (--set epochs=2 --set train_size=6000 for a quick look).
local lab = require "nnlab"
local setup = lab.require "lib.setup"
local claims = lab.require "lib.claims"

lab.title "神经元数量：只增加隐藏层神经元，准确率会提高吗？"
local ctx = setup.begin()
local epochs = ctx.epochs

-- (Paragraphs stay on one line: Markdown turns a line break inside a paragraph
-- into a space, which shows between Chinese characters.)
lab.md [[
  复习笔记 §3.1 记下了文件 `02` 的结果：神经元数 `64 → 68.11%`、`128 → 68.36%`、`256 → 68.12%`，结论是"单纯增加神经元数量对性能提升有限"。笔记没有说那几个数字各跑了几次；它们最大只相差 0.25 个百分点，若每个只跑了一次，换一个随机种子，名次会不会就变了？这里把同一个实验重新做一遍，每个 h 用多个种子，报告均值 ± 标准差；同一个种子在每个 h 里初始权重的随机流和数据顺序相同，所以按种子配对检验。训练集的 60 000 张图里分出 5 000 张作验证集，挑最好的设置用验证集，测试集只用来报告。

  模型和笔记里一样：`Linear(784, h) → Sigmoid → Linear(h, 10)`，交叉熵损失，SGD（lr = 0.01），batch 32，训练集打乱。
]]
setup.data_note(ctx)

local runs = setup.run(setup.sweeps.hidden(ctx))

lab.md "## 结果"
lab.table(runs, { compare = "valid_acc", metrics = { "test_acc", "valid_acc" } })
lab.chart(runs, { y = "test_acc", title = ("测试准确率（每轮，%d 个种子的均值 ± 标准差）"):format(#runs.seeds) })
lab.chart(runs, { y = "train_loss", title = "训练损失（每轮）" })
lab.chart(runs, { x = "hidden", title = "最终测试准确率与隐藏层神经元数" })

setup.best_per_class(runs)

-- The conclusion, computed from the numbers above.
local summary = runs:summary "test_acc"
local margin = claims.margins.limited
local _, best = claims.best_of(runs, "hidden")
local lines = { "## 结论", "", ("%d 轮之后的测试准确率（%d 个种子）："):format(epochs, #runs.seeds) }
for _, row in ipairs(summary) do
  lines[#lines + 1] = ("- 神经元数 `%d → %s`"):format(row.params.hidden, row.text)
end
lines[#lines + 1] = ""
local largest_std, one_seed = 0, false -- one seed measures no spread
for _, row in ipairs(summary) do
  if row.std then largest_std = math.max(largest_std, row.std) else one_seed = true end
end
-- the verdict of the claim family below (Holm-corrected with the others)
local list = claims.finish(claims.hidden { hidden = runs })
local v = list[1].result
local could = claims.detectable_text(v, "个百分点")
local what = v.verdict == "equivalent"
    and ("h = 256 与 h = 64 相差 %+.2f 个百分点，等价检验表明差别在 ±%g 个百分点之内：按本文的界限（\"有限\" = 小于 %g 个百分点），笔记的结论得到支持。"):format(v.delta, margin, margin)
  or v.verdict == "contradicted"
    and ("h = 256 与 h = 64 相差 %+.2f 个百分点，超出 ±%g 个百分点的界限：\"提升有限\"在这里不成立。"):format(v.delta, margin)
  or ("h = 256 与 h = 64 相差 %s 个百分点，这些种子既不能说明差别在 ±%g 个百分点之内，也不能说明超出：无法判断%s。"):format(
      v.delta and ("%+.2f"):format(v.delta) or "？", margin,
      could and ("（%s）"):format(could) or "")
lines[#lines + 1] = what .. ("笔记里三个数字最多相差 0.25 个百分点，%s"):format(one_seed
  and "这里只有一个种子，量不出种子之间的标准差，也就无从比较。"
  or largest_std > 0.25
  and ("比这里种子之间的标准差（最大 %.2f 个百分点）还小：单次运行排不出名次。"):format(largest_std)
  or ("这里种子之间的标准差最大 %.2f 个百分点，比它还小。"):format(largest_std))

-- Is training still going on at the last epoch? Then speed, not capacity, limits accuracy.
local falling, curves = 0, 0 -- curves: the variations of two epochs or more, which can show it
for _, v in ipairs(runs.variations) do
  local curve = runs:curve(v, "train_loss")
  if #curve >= 2 then curves = curves + 1 end
  if #curve >= 2 and curve[#curve].mean < curve[#curve - 1].mean then falling = falling + 1 end
end
lines[#lines + 1] = ""
if curves < #runs.variations then
  lines[#lines + 1] = "**可能原因**：只训练了一轮，看不出训练损失是否还在下降，也就无从判断限制准确率的是优化速度还是模型容量。"
elseif falling == #runs.variations then
  local c = runs:curve(best.variation, "train_loss")
  lines[#lines + 1] = ("**可能原因**：所有设置的训练损失到最后一轮仍在下降（h = %d：%.4f → %.4f），"
    .. "模型还没有训练充分。Sigmoid 的梯度最大只有 0.25，配合 lr = 0.01 的 SGD，学习本来就慢；"
    .. "这时限制准确率的更可能是优化速度，而不是神经元数量（模型容量）——这是推测，没有检验。想看容量的作用，"
    .. "应先让训练收敛（更多轮、更大的学习率、ReLU 或 Adam），再比较不同的 h。")
    :format(best.params.hidden, c[#c - 1].mean, c[#c].mean)
else
  lines[#lines + 1] = ("**可能原因**：%d 个设置中有 %d 个的训练损失在最后一轮已不再下降，"
    .. "训练基本收敛；若加神经元的提升在界限之内（见上），"
    .. "多出来的容量没有被用上，这与\"模型复杂度不足\"的推测不符。"):format(#runs.variations,
                                                                   #runs.variations - falling)
end
lab.md(table.concat(lines, "\n"))

lab.md "## 笔记的说法与实测"
claims.render(list)
claims.note(list)
