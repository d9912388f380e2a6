-- experiments/augmentation.lua: does data augmentation help the notes' MLP,
-- and does it shrink the train–test gap? Fashion-MNIST, 784 → 64 → ReLU →
-- 10 with Adam, on a training subset small enough to overfit, measured on the
-- training set in eval mode after each epoch (eval_train). Variations: no
-- augmentation, RandomShift(2), RandomCrop(28, padding 2), GaussianNoise(0.1),
-- shift + noise. Run: nnlab run experiments/augmentation.lua (--set epochs=3
-- --set train_size=2000 for a quick look).
local lab = require "nnlab"
local claims = lab.require "lib.claims"
local nn, optim, data, stats = lab.nn, lab.optim, lab.data, lab.stats

lab.title "数据增强：平移、裁剪和噪声能让 MLP 少过拟合吗？"

local epochs = lab.param("epochs", 20, "epochs per run")
local seeds = lab.param("seeds", 3, "seeds per variation")
local train_size = lab.param("train_size", 10000, "training samples (drawn at random, seed 0)")
local test_size = lab.param("test_size", 10000, "test samples (the first N)")

local full = lab.data.load("fashion-mnist", { train = true })
local train = train_size < #full and full:subset(train_size, { seed = 0 }) or full
local test = lab.data.load("fashion-mnist", { train = false })
if test_size < #test then test = test:head(test_size) end

local AUGMENTATIONS = {
  none = {},
  shift = { data.RandomShift(2) },
  crop = { data.RandomCrop(28, { padding = 2 }) },
  noise = { data.GaussianNoise(0.1) },
  shift_noise = { data.RandomShift(2), data.GaussianNoise(0.1) },
}

lab.md([[
  复习笔记 §5 用 Dropout 和 L2 正则化"防止过拟合"。另一条常用的路是数据增强：训练时每次给模型看的是原图的随机变形，模型就难以记住每一张训练图。这里用 Fashion-MNIST（28×28 灰度图、10 类）检验它对一个小 MLP 是否有用。

  为了让过拟合看得出来，训练集只取 %d 张（从 6 万张训练图中按种子 0 随机抽取），测试用前 %d 张测试图。模型是笔记的 `Linear(784, 64) → ReLU → Linear(64, 10)`（用 ReLU 和 Adam lr 1e-3，而不是笔记的 Sigmoid + SGD lr 0.01：后者在 %d 轮内连训练集都学不好，谈不上过拟合），batch 32，每个设置 %d 个种子，每次 %d 轮。每轮之后都在训练集上（评估模式、不做增强）再测一次准确率，训练–测试差距 = 训练集准确率 − 测试准确率。

  增强只在训练时做，每个样本、每轮各抽一次（由种子、轮次和样本序号决定）；评估时平移和噪声关闭，裁剪取中心（四周补 2 像素再取中间 28×28，即原图）：

  | 设置 | 训练时的变换 |
  |---|---|
  | 无增强 | – |
  | 平移 | `RandomShift(2)`：上下左右各随机平移至多 2 像素，空出的地方填 0 |
  | 裁剪 | `RandomCrop(28, { padding = 2 })`：四周补 2 像素的 0，再随机取 28×28 的窗口 |
  | 噪声 | `GaussianNoise(0.1)`：每个像素加 N(0, 0.1²) 的噪声（像素值在 0 到 1 之间） |
  | 平移 + 噪声 | 先平移，再加噪声 |
]], #train, #test, epochs, seeds, epochs)

local runs = lab.sweep {
  name = "数据增强", seeds = seeds, epochs = epochs, train = train, test = test,
  batch_size = 32, lr = 0.001, hidden = 64, eval_train = true,
  variations = {
    { aug = "none", label = "无增强" },
    { aug = "shift", label = "平移" },
    { aug = "crop", label = "裁剪" },
    { aug = "noise", label = "噪声" },
    { aug = "shift_noise", label = "平移 + 噪声" },
  },
  transform = function(p) return AUGMENTATIONS[p.aug] end,
  model = function(p) return nn.Sequential { nn.Linear(28 * 28, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(p, params) return optim.Adam(params, { lr = p.lr }) end,
}

lab.md "## 结果"
lab.table(runs, { metrics = { "test_acc", "train_eval_acc", "gap", "test_loss" }, compare = "test_acc" })
lab.table(runs, { metrics = { "gap", "test_acc" }, compare = "gap" })
lab.chart(runs, { y = "test_acc", title = ("测试准确率（每轮，%d 个种子的均值 ± 标准差）"):format(#runs.seeds) })
lab.chart(runs, { y = "gap", title = "训练–测试差距（百分点，每轮）" })
lab.chart(runs, { y = "test_loss", title = "测试损失（每轮）" })

---------------------------------------------------------------------------
-- The claims, judged (paired by seed, one Holm family), then the conclusion
-- computed from the finished verdicts.
local none_gap = claims.row_of(runs, "无增强", "gap")
local none_acc = claims.row_of(runs, "无增强", "test_acc")
local list = {
  -- the notes speak of Dropout and L2, not of augmentation: their sentence is
  -- listed, not tested here; augmentation's claims are this report's own
  { quote = "加入Dropout或L2正则化防止过拟合。", tested = "本实验不测 Dropout 和 L2", unit = "",
    result = { verdict = "not_tested", reason = "本实验测的是数据增强；Dropout 和 L2 见正则化实验" },
    evidence = function() return "–" end },
}
do -- the premise: without augmentation, the model overfits (the gap, per seed, against 0)
  local gaps, zeros = {}, {}
  for _, s in ipairs(runs:get("无增强").seeds) do
    if not s.diverged then
      local h = s.history[#s.history]
      local gap = h.train_eval_acc and h.test_acc and h.train_eval_acc - h.test_acc
      if gap then gaps[#gaps + 1], zeros[#zeros + 1] = gap, 0 end
    end
  end
  list[#list + 1] = { derived = true, unit = "个百分点", result = claims.judge(gaps, zeros, "higher"),
    quote = "（前提）无增强时这个设置过拟合：训练集准确率高于测试准确率",
    tested = "无增强时每个种子的训练–测试差距（评估模式）大于 0",
    evidence = function(v)
      return ("无增强：训练集 %s，测试 %s，差距 %s；%s"):format(claims.row_of(runs, "无增强", "train_eval_acc").text,
        none_acc.text, none_gap.text, claims.delta_text(v, "个百分点"))
    end }
end
local NAMES = { "平移", "裁剪", "噪声", "平移 + 噪声" }
local gap_claim, acc_claim = {}, {}
for _, name in ipairs(NAMES) do
  gap_claim[name] = claims.compare(runs, { derived = true, quote = ("数据增强（%s）缩小训练–测试差距"):format(name),
    tested = ("%s 的训练–测试差距小于无增强"):format(name) }, name, "无增强", "lower", { name, "无增强" }, { metric = "gap_eval" })
  acc_claim[name] = claims.compare(runs, { derived = true, quote = ("数据增强（%s）提高测试准确率"):format(name),
    tested = ("%s 的测试准确率高于无增强"):format(name) }, name, "无增强", "higher", { name, "无增强" })
  list[#list + 1] = gap_claim[name]
  list[#list + 1] = acc_claim[name]
end
claims.finish(list)

local helped, hurt, undecided, shrank = {}, {}, {}, {}
for _, name in ipairs(NAMES) do
  local a, g = acc_claim[name], gap_claim[name]
  local ra, rg = claims.row_of(runs, name, "test_acc"), claims.row_of(runs, name, "gap")
  local entry = ("%s（%s，%+.2f 个百分点）"):format(name, ra.text, ra.mean - none_acc.mean)
  if a.verdict == "supported" then helped[#helped + 1] = entry
  elseif a.verdict == "contradicted" then hurt[#hurt + 1] = entry
  else undecided[#undecided + 1] = entry end
  if g.verdict == "supported" then shrank[#shrank + 1] = { name = name, text = ("%s（%s）"):format(name, rg.text) } end
end

local lines = { "## 结论", "",
  ("%d 轮、%d 张训练图、%d 个种子之后，无增强的模型测试准确率 %s，训练–测试差距 %s。下面说的\"提高\"\"降低\"\"缩小\"都是经配对检验、全文做了检验的 %d 条判定一起 Holm 校正之后仍成立的。"):format(
    epochs, #train, #runs.seeds, none_acc.text, none_gap.text, claims.family_size(list)), "" }
lines[#lines + 1] = ("- **测试准确率**：%s%s%s"):format(
  #helped > 0 and ("提高了测试准确率的是 %s。"):format(table.concat(helped, "、")) or "没有哪种增强被确认提高了测试准确率。",
  #hurt > 0 and ("降低了测试准确率的是 %s。"):format(table.concat(hurt, "、")) or "",
  #undecided > 0 and ("与无增强的差别这些种子定不下来（无法判断，不等于相同）的是 %s。"):format(table.concat(undecided, "、")) or "")
local none_train = claims.row_of(runs, "无增强", "train_eval_acc")
local sources = {}
for _, entry in ipairs(shrank) do
  local name = entry.name
  local rt, ra = claims.row_of(runs, name, "train_eval_acc"), claims.row_of(runs, name, "test_acc")
  sources[#sources + 1] = ("%s：训练集准确率 %+.2f、测试准确率 %+.2f 个百分点"):format(name,
    rt.mean - none_train.mean, ra.mean - none_acc.mean)
end
local texts = {}
for k, entry in ipairs(shrank) do texts[k] = entry.text end
lines[#lines + 1] = ("- **训练–测试差距**：%s"):format(#shrank > 0
  and ("缩小了差距的是 %s（无增强 %s）。差距缩小可以来自测试准确率上升，也可以来自训练集准确率下降；与无增强相比，%s。"):format(
    table.concat(texts, "、"), none_gap.text, table.concat(sources, "；"))
  or "没有哪种增强被确认缩小了差距。")
-- Did the unaugmented model's test accuracy fall back from its best epoch?
local curve = runs:curve(runs:get "无增强", "test_acc")
local train_curve = runs:curve(runs:get "无增强", "train_eval_acc")
local peak, peak_epoch = -math.huge, nil
for e, pt in ipairs(curve) do if pt.mean > peak then peak, peak_epoch = pt.mean, e end end
if peak_epoch and peak_epoch < #curve then
  lines[#lines + 1] = ("- 无增强模型的测试准确率（种子均值）在第 %d 轮最高（%.2f %%），最后是 %.2f %%（低 %.2f 个百分点；最后一轮种子之间的标准差 %.2f）；同一段时间里训练集准确率从 %.2f %% 变到 %.2f %%。"):format(
    peak_epoch, peak, curve[#curve].mean, peak - curve[#curve].mean, curve[#curve].std or 0 / 0,
    train_curve[peak_epoch].mean, train_curve[#train_curve].mean)
elseif peak_epoch then
  lines[#lines + 1] = ("- 无增强模型的测试准确率（种子均值）到最后一轮仍在上升（%.2f %%），还没有因为过拟合而回落。"):format(peak)
end
if #shrank > 0 and #helped == 0 then
  lines[#lines + 1] = ""
  lines[#lines + 1] = "**可能原因**（推测，本实验没有检验）：全连接网络没有平移不变性，平移 2 个像素后同一件衣服落在另一组输入上；测试图都是居中的，训练时见到的却大多是移动过的图。只有 64 个隐藏神经元时，模型的容量要分给这些变形，训练集准确率因此下降，测试准确率却没有被确认上升：这里的增强更像是让任务变难，而不是提供了有用的新样本。对这个 MLP，缩小差距不等于泛化更好。（卷积网络和更宽的 MLP 都没有测。）"
end
lab.md(table.concat(lines, "\n"))

lab.md "## 说法与实测"
claims.render(list)
claims.note(list, { valid = false })
