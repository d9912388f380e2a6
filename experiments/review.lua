-- experiments/review.lua: the whole review notes (§一–§五, in the notes'
-- order and in Chinese, like the notes), rebuilt with nnlab: each concept
-- with the nnlab code that embodies it, the training loop (run here), every
-- section's table and chart, a verdict with numbers for every claim the
-- notes make, and the best-practice table (§四) rebuilt from the
-- measurements. The sweeps come from lib/setup.lua, the same definitions the
-- section files use, so their results come from the cache: run the section
-- files first (or let this file train what is missing).
-- Run: nnlab run experiments/review.lua
local lab = require "nnlab"
local setup = lab.require "lib.setup"
local claims = lab.require "lib.claims"
local nn, data = lab.nn, lab.data

lab.title "PyTorch 神经网络训练复习笔记：用 nnlab 重做，数字全部实测"
local ctx = setup.begin { regularization = true }
local demo_size = lab.param("demo_size", 2000, "training samples of the training-loop demonstration")

lab.md([[
  这是复习笔记的重写版：结构、顺序和笔记一样（一、核心概念；二、模型构建与训练流程；三、关键参数对模型的影响；四、最佳实践总结；五、扩展思考），但每个概念都配上 nnlab 里体现它的代码，每个实验都重新跑过：每种设置 %d 个随机种子、%d 个 epoch，报告均值 ± 标准差，用 Welch t 检验（95%%）判断差别是否超出种子之间的噪声。笔记里的每一条结论都给出判定——**支持**、**不成立**（数据相反）或**无法判断**（差别在噪声内）——并附上判定所依据的数字。判定和文中的数字都由 `experiments/review.lua` 从测量结果算出，不是手写的。

  每一节的实验也单独成文，有更多的图和讨论：[神经元数量](neurons.md)、[隐藏层数量](depth.md)、[学习率](learning_rate.md)、[批次大小](batch_size.md)、[激活函数](activation.md)、[优化器](optimizer.md)、[正则化](regularization.md)。这些实验和本文用的是同一份定义（`experiments/lib/setup.lua`），同一个设置的缓存键相同，所以本文直接复用它们的结果，不重新训练。
]], ctx.seeds, ctx.epochs)
setup.data_note(ctx)

-- Every section's runs (from the cache when the section files ran first).
local runs = {}
for _, name in ipairs(claims.order) do runs[name] = lab.sweep(setup.sweeps[name](ctx)) end
local verdicts = {}
local function verdict_table(name)
  local list = claims[name](runs)
  for _, c in ipairs(list) do verdicts[#verdicts + 1] = c end
  lab.md(claims.markdown(list))
end

---------------------------------------------------------------------------
lab.md "## 一、PyTorch 核心概念，在 nnlab 里"

local baseline = setup.model(setup.baseline)
lab.md([[
  ### 1. 神经网络模块（`nn.Module` → `nn.Sequential`）

  nnlab 的模型是一串层：`nn.Sequential { nn.Linear(784, 64), nn.Sigmoid(), nn.Linear(64, 10) }`。前向传播就是调用它，`model(x)`；`model:parameters()` 交给优化器，`tostring(model)` 像 PyTorch 的 `print(model)` 一样打印结构。层在 C 引擎里实现（前向、反向、SIMD 加速的矩阵乘法），Lua 这边只描述结构。本文所有实验的模型都由下面这一个函数按参数 `p` 搭出来（`experiments/lib/setup.lua`）：

  ```lua
  %s
  ```

  笔记的基线模型（`p.hidden = 64`，一层，Sigmoid）打印出来是：

  ```
  %s
  ```

  共 %d 个参数（`model:num_parameters()`）。
]], setup.source(setup.model), tostring(baseline), baseline:num_parameters())

local test_loader = data.DataLoader(ctx.test, { batch_size = 1000 })
local untrained = lab.evaluate(baseline, test_loader)
lab.md([[
  ### 2. 损失函数

  `nn.CrossEntropyLoss()`（多分类：对 logits 做 log-softmax，再取正确类别的负对数，batch 上求均值）和 `nn.MSELoss()`（回归）。一个没训练过的模型什么都不知道，10 个类别的概率差不多一样，交叉熵就接近 ln 10 ≈ 2.3026：上面的基线模型在测试集上的损失是 %.4f，准确率 %.2f%%（瞎猜是 10%%）。nnlab 也拿这个数做基准：训练损失超过它的 10 倍（或变成 NaN/Inf）就判定为发散，停止那一次训练。

  ### 3. 优化器

  `optim.SGD(params, { lr, momentum, weight_decay })` 和 `optim.Adam(params, { lr, betas, eps, weight_decay })`，更新规则和 PyTorch 完全一致。实验里的优化器由这个函数按参数选出：

  ```lua
  %s
  ```

  ### 4. 数据加载（`DataLoader`）

  `data.DataLoader(dataset, { batch_size = 32, shuffle = true, seed = s })`：按批次取数据，每个 epoch 用由 (seed, epoch) 决定的新排列打乱。图片在内存里保持 uint8，每个批次在 C 里转换成 float（÷255）放进一个复用的缓冲区，所以不需要 PyTorch 的 `num_workers` 多线程加载；nnlab 的并行在另一个层面：`nnlab run -j N` 同时训练 N 个设置（每个在单独的进程里），结果和 `-j 1` 逐位相同。
]], untrained.loss, untrained.accuracy, setup.source(setup.optimizer))

---------------------------------------------------------------------------
lab.md "## 二、模型构建与训练流程"

local counts = ctx.train:label_counts() -- index 1 = class 0
lab.md([[
  ### 1. 数据准备

  ```lua
  local train_dataset = data.load("kmnist", { train = true,  fallback = "fashion-mnist" })
  local test_dataset  = data.load("kmnist", { train = false, fallback = "fashion-mnist" })
  local train_loader  = data.DataLoader(train_dataset, { batch_size = 32, shuffle = true })
  local test_loader   = data.DataLoader(test_dataset,  { batch_size = 32, shuffle = false })
  ```

  `data.load` 会依次在 `$NNLAB_DATA`、`./data` 和系统目录里找 IDX 文件，找不到就下载（校验 MD5），都不行时用 `fallback` 指定的数据集，并在报告开头说明原因。这次用的是 %s：%d 张训练图、%d 张测试图，训练集每类的数量是 %s。

  ### 2. 模型定义

  ```lua
  local model = nn.Sequential {
    nn.Linear(28 * 28, 64),  -- 输入层 → 隐藏层
    nn.Sigmoid(),            -- 激活函数
    nn.Linear(64, 10),       -- 隐藏层 → 输出层
  }
  ```
]], ctx.source.title, #ctx.train, #ctx.test, table.concat(counts, " / "))

-- The notes' training loop, line for line (run below on a small subset).
local function train_loop(model, train_loader, epochs)
  local loss_fn = nn.CrossEntropyLoss()
  local optimizer = lab.optim.SGD(model:parameters(), { lr = 0.01 })
  for epoch = 1, epochs do
    for x, y in train_loader:batches() do
      -- 前向传播
      local y_pred = model(x)
      local loss = loss_fn(y_pred, y)
      -- 反向传播
      optimizer:zero_grad()
      loss:backward()
      optimizer:step()
    end
  end
end

local demo = ctx.train:head(math.min(demo_size, #ctx.train))
local function demo_model() return nn.Sequential({ nn.Linear(784, 64), nn.Sigmoid(), nn.Linear(64, 10) }, { seed = 1 }) end
local by_loop = demo_model()
local started = os.clock()
train_loop(by_loop, data.DataLoader(demo, { batch_size = 32, shuffle = true, seed = 1 }), 1)
local loop_seconds = os.clock() - started
local by_fit = demo_model()
local fit_optimizer = lab.optim.SGD(by_fit:parameters(), { lr = 0.01 })
lab.fit { model = by_fit, loss = nn.CrossEntropyLoss(), optimizer = fit_optimizer, epochs = 1,
          train = data.DataLoader(demo, { batch_size = 32, shuffle = true, seed = 1 }) }
local loop_acc = lab.evaluate(by_loop, test_loader).accuracy
local fit_acc = lab.evaluate(by_fit, test_loader).accuracy
local same = true
local a, b = by_loop:parameter_values(), by_fit:parameter_values()
for i = 1, #a do if a[i] ~= b[i] then same = false break end end

lab.md([[
  ### 3. 训练循环

  笔记里的 PyTorch 循环，在 nnlab 里逐行对应：

  ```lua
  %s
  ```

  这段代码刚刚真的跑过：在 %d 张训练图上训练 1 个 epoch（%d 步，%.2f 秒），测试准确率 %.2f%%（步数太少，只是演示）。实验里用的是同一件事的快速版本 `nnlab.fit`：整个 epoch 在 C 里跑完，每个 epoch 回调 Lua 一次。用同样的种子，`fit` 训练出的模型测试准确率 %.2f%%，参数与上面的循环%s。
]], setup.source(train_loop), #demo, math.ceil(#demo / 32), loop_seconds, loop_acc, fit_acc,
    same and "逐位相同" or "**不**相同（这不应该发生）")

---------------------------------------------------------------------------
lab.md "## 三、关键参数对模型的影响"

local function row(name, selector, metric) return claims.row_of(runs[name], selector, metric) end

lab.md([[
  ### 1. 神经元数量

  笔记（文件 `02`）：神经元数 `64 → 68.11%`、`128 → 68.36%`、`256 → 68.12%`；结论"单纯增加神经元数量对性能提升有限"，可能原因是"Sigmoid 梯度消失，或模型复杂度不足"。实测（一层 Sigmoid，SGD lr 0.01，batch 32）：
]])
lab.table(runs.hidden)
lab.chart(runs.hidden, { x = "hidden", title = "神经元数量：最终测试准确率" })
verdict_table "hidden"
do
  local h64, h256 = row("hidden", { hidden = 64 }), row("hidden", { hidden = 256 })
  local relu = row("activation", { act = "relu" })
  lab.md("两个可能原因里，哪个更像？把神经元从 64 加到 256（参数多 4 倍），准确率变化 %+.2f 个百分点；"
    .. "神经元数不变、只把 Sigmoid 换成 ReLU（见§五），准确率变化 %+.2f 个百分点。%s", h256.mean - h64.mean,
    relu.mean - h64.mean, (relu.mean - h64.mean) > math.abs(h256.mean - h64.mean)
      and "限制准确率的是激活函数和优化速度，而不是模型容量。"
      or "换激活函数并不比加神经元更有效，这里分不出两个原因。")
end

lab.md [[
  ### 2. 隐藏层数量

  笔记（文件 `02`）：在 `784 → h → 10` 上加一层成 `784 → h → 64 → 10`（Sigmoid），"准确率无显著提升"；改进方向是更深的网络（3 层以上）和 ReLU。实测（h = 64，之后的隐藏层 64 个神经元，SGD lr 0.01，batch 32），Sigmoid 与 ReLU 并排：
]]
lab.table(runs.depth, { rows = "layers", columns = "act" })
lab.chart(runs.depth, { x = "layers", title = "隐藏层数量：最终测试准确率（Sigmoid / ReLU）" })
verdict_table "depth"

lab.md [[
  ### 3. 学习率（LR）

  笔记（文件 `03`）：`LR=0.1 → 86.49%`、`LR=0.01 → 86.9%`、`LR=0.001 → 86.91%`；结论"学习率过低（如 1e-3）需配合更大的批次大小"，"学习率过高（如 0.1）可能震荡，需调整优化器或加入学习率衰减"。笔记没写优化器，实测两个都做（784→64→10 Sigmoid，batch 32）：
]]
lab.table(runs.lr, { rows = "lr", columns = "opt" })
lab.chart(runs.lr, { x = "lr", title = "学习率：最终测试准确率（SGD / Adam）" })
verdict_table "lr"

lab.md [[
  ### 4. 批次大小（Batch Size）

  笔记（文件 `03`）：`Batch=32 → 86.49%`、`Batch=64 → 86.9%`、`Batch=128 → 86.91%`——和学习率表的三个数字完全一样；结论"较大的批次（如 128）可稳定梯度，但需降低学习率"，"过大的批次可能导致内存不足或泛化能力下降"。实测是一个批次 × 学习率的网格（SGD，784→64→10 Sigmoid）：
]]
lab.table(runs.batch, { rows = "lr", columns = "batch_size" })
lab.chart(runs.batch, { x = "batch_size", title = "批次大小：最终测试准确率（每条线一个学习率）" })
verdict_table "batch"

---------------------------------------------------------------------------
-- §四: the notes' best-practice table, next to what was measured and the
-- advice the measurements give.
local function best_value(name, key, fixed) return claims.best_of(runs[name], key, fixed) end
-- The variations within noise of the best of a sweep (the best included), by a parameter of their row.
local function tied_with_best(r, field)
  local best, out = r:best "test_acc", {}
  for _, x in ipairs(r:summary "test_acc") do
    if x.variation == best.variation or (x.diverged == 0 and r:compare(x, best).differs == false) then
      out[#out + 1] = tostring(x.params[field] or x.label)
    end
  end
  return out, best
end
local sigmoid_row = row("activation", { act = "sigmoid" })
local relu_gain = row("activation", { act = "relu" }).mean - sigmoid_row.mean
local adam_gain = row("optimizer", "Adam").mean - row("optimizer", "SGD (lr 0.01)").mean

local practice = {}
do -- 神经元数量
  local tied, best = tied_with_best(runs.hidden, "hidden")
  local spread = 0
  for _, r in ipairs(runs.hidden:summary "test_acc") do spread = math.max(spread, best.mean - r.mean) end
  practice[#practice + 1] = { "**神经元数量**", "适中（如64-256）", "结合网络深度调整",
    ("最多差 %.2f 个百分点；与最好的（h = %d，%s）在噪声内的：h = %s"):format(spread, best.params.hidden, best.text,
      table.concat(tied, "、")),
    #tied == #runs.hidden.variations
      and ("64–256 之间没有可测的差别，取 64 就够；要提高准确率，换激活函数（ReLU %+.2f）或优化器（Adam %+.2f 个百分点）有效得多")
          :format(relu_gain, adam_gain)
      or ("h = %d 最好"):format(best.params.hidden) }
end
do -- 隐藏层数量
  local relu_layers, relu_best = best_value("depth", "layers", { act = "relu" })
  local sig_layers, sig_best = best_value("depth", "layers", { act = "sigmoid" })
  local relu_deeper = runs.depth:verdict({ layers = relu_layers, act = "relu" }, { layers = 1, act = "relu" }, "higher")
  local sig_deeper = runs.depth:verdict({ layers = 3, act = "sigmoid" }, { layers = 1, act = "sigmoid" }, "lower")
  local advice = {}
  if relu_layers == 1 then
    advice[#advice + 1] = "ReLU 时一层最好，加深没有好处"
  elseif relu_deeper.verdict ~= "supports" then
    advice[#advice + 1] = ("ReLU 时 1–3 层在噪声内（最好的 %d 层比 1 层 %+.2f 个百分点），加深没有可测的好处"):format(
      relu_layers, relu_deeper.delta or 0 / 0)
  else
    advice[#advice + 1] = ("ReLU 时取 %d 层（比 1 层高 %.2f 个百分点）"):format(relu_layers, relu_deeper.delta)
  end
  if sig_deeper.verdict == "supports" then
    advice[#advice + 1] = ("Sigmoid 越深越差（三层比一层低 %.1f 个百分点）：多层网络不要用 Sigmoid"):format(-sig_deeper.delta)
  end
  practice[#practice + 1] = { "**隐藏层数量**", "2-3层（配合ReLU激活）", "避免过深导致梯度消失",
    ("ReLU：%d 层最好（%s）；Sigmoid：%d 层最好（%s），三层 %s"):format(relu_layers, relu_best.text, sig_layers,
      sig_best.text, row("depth", { layers = 3, act = "sigmoid" }).text),
    table.concat(advice, "；") }
end
do -- 学习率
  local sgd_lr, sgd_best = best_value("lr", "lr", { opt = "sgd" })
  local adam_lr, adam_best = best_value("lr", "lr", { opt = "adam" })
  practice[#practice + 1] = { "**学习率**", "初始值`1e-3`，动态调整（如Adam）", "使用学习率调度器",
    ("SGD：lr %g 最好（%s），lr 1e-3 只有 %s；Adam：lr %g 最好（%s）"):format(sgd_lr, sgd_best.text,
      row("lr", { lr = 0.001, opt = "sgd" }).text, adam_lr, adam_best.text),
    (sgd_lr ~= adam_lr and "学习率要和优化器一起选：SGD 用 %g，Adam 用 %g（调度器未测）"
                        or "SGD 和 Adam 都是 %g 最好（%g；调度器未测）"):format(sgd_lr, adam_lr) }
end
do -- 批次大小
  local best = runs.batch:best "test_acc"
  local per, best_lrs, top_lr = {}, {}, 0
  for _, v in ipairs(runs.batch.variations) do top_lr = math.max(top_lr, v.params.lr) end
  for _, b in ipairs { 32, 64, 128 } do
    best_lrs[b] = best_value("batch", "lr", { batch_size = b })
    per[#per + 1] = ("%d → %g"):format(b, best_lrs[b])
  end
  local advice = { best.params.batch_size == 32 and "同样的 epoch 数，batch 32 最好（更新次数是 batch 128 的 4 倍）"
                   or ("batch %d 最好"):format(best.params.batch_size) }
  if best_lrs[128] < best_lrs[32] then advice[#advice + 1] = "大批次确实要配更低的学习率"
  elseif best_lrs[128] > best_lrs[32] then advice[#advice + 1] = "大批次要配**更高**的学习率，不是更低"
  elseif best_lrs[128] == top_lr then
    advice[#advice + 1] = ("每个批次都是网格里最大的学习率 %g 最好：没有任何迹象表明大批次需要更低的学习率"):format(top_lr)
  else advice[#advice + 1] = "各批次最好的学习率相同" end
  practice[#practice + 1] = { "**批次大小**", "32-128（根据硬件资源选择）", "大批次需配合低学习率",
    ("最好的组合：batch %d、lr %g（%s）；各批次最好的学习率：%s"):format(best.params.batch_size, best.params.lr, best.text,
      table.concat(per, "，")),
    table.concat(advice, "；") }
end
do -- 激活函数 (§五)
  local tied, best = tied_with_best(runs.activation, "act")
  practice[#practice + 1] = { "激活函数（§五）", "ReLU 或 LeakyReLU", "缓解梯度消失",
    ("%s 最好（%s），与它在噪声内的：%s；Sigmoid %s"):format(best.params.act, best.text, table.concat(tied, "、"),
      sigmoid_row.text),
    ((#tied > 1 and "%s 一样好，都" or "%s 最好，") .. "比 Sigmoid 高 %.1f 个百分点以上：隐藏层不要用 Sigmoid"):format(
      table.concat(tied, "、"),
      (function()
        local low = math.huge
        for _, act in ipairs(tied) do low = math.min(low, row("activation", { act = act }).mean - sigmoid_row.mean) end
        return math.floor(low * 10) / 10
      end)()) }
end
do -- 优化器 (§五)
  local best = runs.optimizer:best "test_acc"
  local ranked = runs.optimizer:summary "test_acc"
  table.sort(ranked, function(a, b) return a.mean > b.mean end)
  local order = {}
  for _, r in ipairs(ranked) do order[#order + 1] = ("%s %s"):format(r.label, r.text) end
  practice[#practice + 1] = { "优化器（§五）", "Adam", "与 SGD 对比", table.concat(order, " > "),
    ("%s 最好；动量让 SGD 提高 %.1f 个百分点"):format(best.label,
      row("optimizer", "SGD + momentum 0.9").mean - row("optimizer", "SGD (lr 0.01)").mean) }
end
do -- 正则化 (§五)
  local none = row("regularization", "无正则化", "gap")
  local parts, advice = {}, {}
  for _, reg in ipairs { "Dropout 0.5", "L2 1e-3" } do
    local gap = runs.regularization:verdict(reg, "无正则化", "lower", { metric = "gap" })
    local acc = runs.regularization:verdict(reg, "无正则化", "higher")
    parts[#parts + 1] = ("%s：差距 %s，测试准确率 %+.2f 个百分点"):format(reg, row("regularization", reg, "gap").text,
      acc.delta or 0 / 0)
    advice[#advice + 1] = ("%s %s，%s"):format(reg,
      gap.verdict == "supports" and "明显缩小差距" or "对差距的作用在噪声内",
      acc.verdict == "supports" and "测试准确率也提高了" or acc.verdict == "contradicts" and "测试准确率反而降低"
        or ("%d 个 epoch 内测试准确率没有可测的变化"):format(ctx.epochs))
  end
  practice[#practice + 1] = { "正则化（§五）", "Dropout 或 L2", "防止过拟合",
    ("过拟合的设置（差距 %s）里：%s"):format(none.text, table.concat(parts, "；")), table.concat(advice, "；") }
end

lab.md "## 四、最佳实践总结（按实测重建）"
lab.md("笔记的表格放在左边，右边两列是本机测得的结果（每种设置 %d 个种子、%d 个 epoch）和按这些结果修订的建议。", ctx.seeds, ctx.epochs)
do
  local lines = { "| 参数 | 笔记：推荐策略 | 笔记：注意事项 | 实测 | 按实测的建议 |", "|---|---|---|---|---|" }
  for _, r in ipairs(practice) do lines[#lines + 1] = "| " .. table.concat(r, " | ") .. " |" end
  lab.md(table.concat(lines, "\n"))
end

---------------------------------------------------------------------------
lab.md "## 五、扩展思考"

lab.md [[
  ### 激活函数选择

  笔记："尝试 ReLU 或 LeakyReLU 替代 Sigmoid，缓解梯度消失"。实测（784→64→激活→10，SGD lr 0.01，batch 32）：
]]
lab.table(runs.activation)
lab.chart(runs.activation, { y = "test_acc", title = "激活函数：每个 epoch 的测试准确率" })
verdict_table "activation"

lab.md [[
  ### 优化器对比

  笔记："测试 Adam 与 SGD 的性能差异"。实测（每个优化器用它常用的学习率）：
]]
lab.table(runs.optimizer)
lab.chart(runs.optimizer, { y = "test_acc", title = "优化器：每个 epoch 的测试准确率" })
verdict_table "optimizer"

local small_gap = row("hidden", { hidden = 64 }, "gap")
local small_loss = runs.hidden:curve(runs.hidden:get { hidden = 64 }, "train_loss")
lab.md([[
  ### 正则化

  笔记："加入 Dropout 或 L2 正则化防止过拟合"。笔记的小网络（h = 64）在全部训练数据上，训练准确率只比测试高 %s，训练损失到最后一个 epoch %s（%.4f → %.4f）：它还没有训练充分，没有过拟合可防。所以这里换成一个会过拟合的设置：`784 → 256 → 256 → 10` ReLU，Adam lr 1e-3，只用 %d 张训练图。训练–测试差距用 eval 模式（Dropout 关闭）下整个训练集的准确率减去测试准确率：
]], small_gap.text, (#small_loss >= 2 and small_loss[#small_loss].mean < small_loss[#small_loss - 1].mean) and "仍在下降"
    or "已不再下降", small_loss[math.max(1, #small_loss - 1)].mean, small_loss[#small_loss].mean, #ctx.reg_train)
lab.table(runs.regularization, { metrics = { "test_acc", "train_eval_acc", "gap" } })
lab.chart(runs.regularization, { y = "gap", title = "正则化：训练–测试差距（每个 epoch，百分点）" })
verdict_table "regularization"

---------------------------------------------------------------------------
lab.md "## 判定汇总"
do
  local n = claims.count(verdicts)
  lab.md("笔记里的 %d 条说法：%d 条得到数据支持，%d 条不成立（数据相反），%d 条在噪声内无法判断%s。",
    #verdicts, n.supports + n.diverged, n.contradicts, n.noise, n.untested > 0 and ("，%d 条未检验"):format(n.untested) or "")
  lab.md(claims.markdown(verdicts))
end
