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
-- declared before setup.begin loads the data, so that --help lists it
local demo_size = lab.param("demo_size", 2000, "training samples of the training-loop demonstration")
local ctx = setup.begin { regularization = true }

lab.md([[
  这是复习笔记的重写版：结构、顺序和笔记一样（一、核心概念；二、模型构建与训练流程；三、关键参数对模型的影响；四、最佳实践总结；五、扩展思考），但每个概念都配上 nnlab 里体现它的代码，每个实验都重新跑过：每种设置 %d 个随机种子（震荡的比较用加倍的种子）、%d 轮，报告均值 ± 标准差。训练集先分出一块验证集：哪个设置"最好"都在验证集上挑，测试集只用来报告。同一个种子在每组设置里初始权重和数据顺序相同，所以比较都按种子配对。笔记里的每一条结论都给出判定，并附上判定所依据的数字：**支持**、**不成立**（数据相反）、**在 ±m 内等价**（只来自等价检验，界限 m 写明，是本文的假设）、**无法判断**（这些种子没有检出差别，不等于没有差别；同时给出它们能检出的最小差别）、**未检验**（写明原因和要怎么检验）。全文的判定算作一个族，一起用 Holm 方法校正。笔记的原话和本文自己的推论分两张表。判定和文中的数字都由 `experiments/review.lua` 从测量结果算出，不是手写的。

  每一节的实验也单独成文，有更多的图和讨论：[神经元数量](neurons.md)、[隐藏层数量](depth.md)、[学习率](learning_rate.md)、[批次大小](batch_size.md)、[激活函数](activation.md)、[优化器](optimizer.md)、[正则化](regularization.md)。这些实验和本文用的是同一份定义（`experiments/lib/setup.lua`），同一个设置的缓存键相同，所以本文直接复用它们的结果，不重新训练。
]], ctx.seeds, ctx.epochs)
setup.data_note(ctx)
local info = ctx.train:info()
lab.md("先看数据：训练集里每个类别按文件顺序的前 8 张图（%d×%d 像素，共 %d 个类别）。", info.rows, info.cols, info.classes)
lab.samples(ctx.train, { per_class = 8 })

-- Every section's runs (from the cache when the section files ran first).
local runs = {}
for _, name in ipairs(claims.order) do runs[name] = setup.run(setup.sweeps[name](ctx)) end
runs.oscillation = setup.run(setup.sweeps.oscillation(ctx))
runs.batch_views = {}
runs.batch_views.epochs, runs.batch_views.steps = claims.batch_views(runs.batch, ctx)
runs.oscillation_epochs = setup.at_epochs(runs.oscillation, function() return ctx.epochs end)
-- Every claim of the review, judged now and Holm-corrected as ONE family;
-- each section shows its part of the finished list.
local verdicts, by_section = {}, {}
for _, name in ipairs(claims.order) do
  by_section[name] = claims[name](runs)
  for _, c in ipairs(by_section[name]) do verdicts[#verdicts + 1] = c end
end
claims.finish(verdicts)
local function verdict_table(name) claims.render(by_section[name]) end
-- A claim's verdict in words (bold), for the §四 table.
local function said(name, i) return claims.verdict_text(by_section[name][i]) end

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

  `data.DataLoader(dataset, { batch_size = 32, shuffle = true, seed = s })`：按批次取数据，每轮用由 `(seed, epoch)` 决定的新排列打乱。图片在内存里保持 `uint8`，每个批次在 C 里转换成 32 位浮点数（÷255）放进一个复用的缓冲区，所以不需要 PyTorch 的 `num_workers` 多线程加载；nnlab 的并行在另一个层面：`nnlab run -j N` 同时训练 N 个设置（每个在单独的进程里），结果和 `-j 1` 逐位相同。
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

  这段代码刚刚真的跑过：在 %d 张训练图上训练 1 轮（%d 步，%.2f 秒），测试准确率 %.2f%%（步数太少，只是演示）。实验里用的是同一件事的快速版本 `nnlab.fit`：整轮训练在 C 里跑完，每轮回调 Lua 一次。用同样的种子，`fit` 训练出的模型测试准确率 %.2f%%，参数与上面的循环%s。
]], setup.source(train_loop), #demo, math.ceil(#demo / 32), loop_seconds, loop_acc, fit_acc,
    same and "逐位相同" or "**不**相同（这不应该发生）")

---------------------------------------------------------------------------
lab.md "## 三、关键参数对模型的影响"

local function row(name, selector, metric) return claims.row_of(runs[name], selector, metric) end

lab.md([[
  ### 1. 神经元数量

  笔记（文件 `02`）：神经元数 `64 → 68.11%`、`128 → 68.36%`、`256 → 68.12%`；结论"单纯增加神经元数量对性能提升有限"，可能原因是"激活函数（Sigmoid）梯度消失问题，或模型复杂度不足"。实测（一层 Sigmoid，SGD lr 0.01，batch 32）：
]])
lab.table(runs.hidden, { compare = "valid_acc", metrics = { "test_acc", "valid_acc" } })
lab.chart(runs.hidden, { x = "hidden", title = "神经元数量：最终测试准确率" })
verdict_table "hidden"
do
  local h64, h256 = row("hidden", { hidden = 64 }), row("hidden", { hidden = 256 })
  local relu = row("activation", { act = "relu" })
  lab.md("两个可能原因里，哪个更像？把神经元从 64 加到 256（参数多 4 倍），准确率变化 %+.2f 个百分点；"
    .. "神经元数不变、只把 Sigmoid 换成 ReLU（见§五），准确率变化 %+.2f 个百分点（判定：%s）。%s", h256.mean - h64.mean,
    relu.mean - h64.mean, claims.verdict_text(by_section.activation[1]),
    (by_section.activation[1].result.verdict == "supported" and (relu.mean - h64.mean) > math.abs(h256.mean - h64.mean))
      and "在这个设置里，换激活函数带来的提升比加神经元大；这说明容量不是主要的限制，但不说明原因是梯度消失（没有测梯度）。"
      or "换激活函数的提升没有被确认比加神经元大，这里分不出两个原因。")
end

lab.md [[
  ### 2. 隐藏层数量

  笔记（文件 `02`）：在 `784 → h → 10` 上加一层成 `784 → h → 64 → 10`（Sigmoid），"准确率无显著提升"；改进方向是更深的网络（3 层以上）和 ReLU。实测（h = 64，之后的隐藏层 64 个神经元，SGD lr 0.01，batch 32），Sigmoid 与 ReLU 并排：
]]
lab.table(runs.depth, { rows = "layers", columns = "act", compare = "valid_acc" })
lab.chart(runs.depth, { x = "layers", title = "隐藏层数量：最终测试准确率（Sigmoid / ReLU）" })
verdict_table "depth"

lab.md [[
  ### 3. 学习率（LR）

  笔记（文件 `03`）：`LR=0.1 → 86.49%`、`LR=0.01 → 86.9%`、`LR=0.001 → 86.91%`；结论"学习率过低（如`1e-3`）需配合更大的批次大小"，"学习率过高（如`0.1`）可能震荡，需调整优化器或加入学习率衰减"。笔记没写优化器，实测两个都做（784→64→10 Sigmoid，batch 32）：
]]
lab.table(runs.lr, { rows = "lr", columns = "opt", compare = "valid_acc" })
lab.chart(runs.lr, { x = "lr", title = "学习率：最终测试准确率（SGD / Adam）" })
do
  local parts = {}
  for _, opt in ipairs { { "sgd", "SGD" }, { "adam", "Adam" } } do
    local lr, best, note = claims.edge(runs.lr, opt[1])
    parts[#parts + 1] = ("%s 在验证集上最好的是 lr %g（测试 %s）%s"):format(opt[2], lr, best.text, note and "。" .. note or "")
  end
  lab.md(table.concat(parts, "；") .. "。")
end
verdict_table "lr"

lab.md [[
  ### 4. 批次大小（Batch Size）

  笔记（文件 `03`）：`Batch=32 → 86.49%`、`Batch=64 → 86.9%`、`Batch=128 → 86.91%`——和学习率表的三个数字完全一样；结论"较大的批次（如128）可稳定梯度，但需降低学习率"，"过大的批次可能导致内存不足或泛化能力下降"。实测是一个批次 × 学习率的网格（SGD，784→64→10 Sigmoid）：
]]
do
  local function updates(b, design) return math.ceil(#ctx.train / b) * setup.batch_epochs(ctx, b, design) end
  lab.md("两种比法。**同样的轮数**（每个批次 %d 轮：batch 32 更新 %d 次，batch 128 只有 %d 次）：", ctx.epochs,
    updates(32, "epochs"), updates(128, "epochs"))
  lab.table(runs.batch_views.epochs, { rows = "lr", columns = "batch_size", compare = "valid_acc" })
  lab.md("**同样的更新次数**（batch 32 读第 %d 轮，batch 64 第 %d 个，batch 128 第 %d 个，约 %d 次更新；下表说明里的\"最后一轮\"是其中最长的，其余批次读的是各自的那一轮）：",
    setup.batch_epochs(ctx, 32, "steps"), setup.batch_epochs(ctx, 64, "steps"), setup.batch_epochs(ctx, 128, "steps"),
    updates(64, "steps"))
  lab.table(runs.batch_views.steps, { rows = "lr", columns = "batch_size", compare = "valid_acc" })
  lab.chart(runs.batch_views.steps, { x = "batch_size", title = "同样的更新次数：测试准确率与批次大小（每条线一个学习率）" })
end
verdict_table "batch"

---------------------------------------------------------------------------
-- §四: the notes' best-practice table, next to what was measured and the
-- advice the measurements give. Every "best" is picked on the validation
-- split; every judgement is a verdict of the family above (Holm-corrected).
local function best_value(name, key, fixed) return claims.best_of(runs[name], key, fixed) end
-- The first claim of a section whose `tested` text holds `text` (plain).
local function claim(name, text)
  for _, c in ipairs(by_section[name]) do
    if c.tested:find(text, 1, true) then return c end
  end
  error("review.lua: no claim of " .. name .. " tests " .. text)
end
local function verdict_of(c) return c.result.verdict end
local function word(c) return claims.verdict_text(c) end
-- What the seeds say of the other variations' validation accuracy against
-- the best one's (all pairs, Holm: runs:versus_best), and the best row:
-- "验证集上与它分不出差别的：h = 128", "验证集上其余的都与它有差别", and those left
-- untested (fewer than two seeds, or a seed diverged) named as such.
local function against_best(r, show)
  local cells, best = r:versus_best "valid_acc"
  local tied, untested = {}, {}
  for _, cell in ipairs(cells) do
    if cell.code == "cant_tell" then tied[#tied + 1] = show(cell.row)
    elseif cell.code == "untested" or cell.code == "diverged" then untested[#untested + 1] = show(cell.row) end
  end
  local parts = {}
  if #tied > 0 then parts[1] = "验证集上与它分不出差别的：" .. table.concat(tied, "、")
  elseif #untested == 0 then parts[1] = "验证集上其余的都与它有差别" end
  if #untested > 0 then
    parts[#parts + 1] = "验证集上与它的差别未检验的（不足两个种子，或有种子发散）：" .. table.concat(untested, "、")
  end
  return table.concat(parts, "；"), best
end
local sigmoid_row = row("activation", { act = "sigmoid" })

local practice = {}
do -- 神经元数量
  local others = against_best(runs.hidden, function(x) return ("h = %d"):format(x.params.hidden) end)
  local _, best = best_value("hidden", "hidden")
  local spread = 0
  for _, r in ipairs(runs.hidden:summary "test_acc") do spread = math.max(spread, math.abs(best.mean - r.mean)) end
  local same = claim("hidden", "h = 256 与 h = 64")
  local relu, adam = by_section.activation[1], by_section.optimizer[1]
  practice[#practice + 1] = { "**神经元数量**", '"适中（如64-256）"', '"结合网络深度调整"',
    ("验证集上最好的 h = %d（测试 %s），测试准确率最多差 %.2f 个百分点；%s；h = 256 对 h = 64：%s"):format(
      best.params.hidden, best.text, spread, others, word(same)),
    (verdict_of(same) == "equivalent" and ("64–256 在 ±%g 个百分点内等价，取 64 就够"):format(claims.margins.limited)
      or "64–256 之间的差别这些种子定不下来，无从据此推荐某个值")
      .. ("；换激活函数（ReLU 对 Sigmoid %+.2f 个百分点，%s）或优化器（Adam 对 SGD lr 0.01 %+.2f 个百分点，%s）的作用另见下面"):format(
        relu.result.delta or 0 / 0, word(relu), adam.result.delta or 0 / 0, word(adam)) }
end
do -- 隐藏层数量
  local relu_layers, relu_best = best_value("depth", "layers", { act = "relu" })
  local sig_layers, sig_best = best_value("depth", "layers", { act = "sigmoid" })
  local deeper_relu = claim("depth", "三层比一层准确率更高")
  local two_relu = claim("depth", "两层 ReLU 比一层 ReLU")
  local deeper_sig = claim("depth", "Sigmoid 网络加深到三层，准确率低于一层")
  local advice = {}
  local function relu_text(c, n)
    local v = verdict_of(c)
    if v == "supported" then return ("%d 层比 1 层高 %.2f 个百分点"):format(n, c.result.delta) end
    if v == "contradicted" then return ("%d 层反而比 1 层低 %.2f 个百分点"):format(n, -c.result.delta) end
    return ("%d 层比 1 层 %+.2f 个百分点，%s"):format(n, c.result.delta or 0 / 0, word(c))
  end
  advice[#advice + 1] = ("ReLU 时 %s，%s"):format(relu_text(two_relu, 2), relu_text(deeper_relu, 3))
  if verdict_of(deeper_sig) == "supported" then
    advice[#advice + 1] = ("Sigmoid 越深越差（三层比一层低 %.1f 个百分点）：多层网络不要用 Sigmoid（原因是否是梯度消失没有测）"):format(
      -deeper_sig.result.delta)
  else
    advice[#advice + 1] = ("Sigmoid 三层对一层：%s"):format(word(deeper_sig))
  end
  practice[#practice + 1] = { "**隐藏层数量**", '"2-3层（配合ReLU激活）"', '"避免过深导致梯度消失"',
    ("验证集上最好的：ReLU %d 层（测试 %s）；Sigmoid %d 层（测试 %s），三层 Sigmoid %s"):format(relu_layers, relu_best.text,
      sig_layers, sig_best.text, row("depth", { layers = 3, act = "sigmoid" }).text),
    table.concat(advice, "；") }
end
do -- 学习率
  local sgd_lr, sgd_best, sgd_edge = claims.edge(runs.lr, "sgd")
  local adam_lr, adam_best, adam_edge = claims.edge(runs.lr, "adam")
  local adam_default = claim("lr", "Adam 用 lr 1e-3")
  local edges = {}
  if sgd_edge then edges[#edges + 1] = "SGD 的最好值在网格边界上，只是界限" end
  if adam_edge then edges[#edges + 1] = "Adam 的最好值在网格边界上，只是界限" end
  practice[#practice + 1] = { "**学习率**", '"初始值`1e-3`，动态调整（如Adam）"', '"使用学习率调度器"',
    ("验证集上最好的：SGD lr %g（测试 %s），SGD lr 1e-3 只有 %s；Adam lr %g（测试 %s）"):format(sgd_lr, sgd_best.text,
      row("lr", { lr = 0.001, opt = "sgd" }).text, adam_lr, adam_best.text),
    ("学习率要和优化器一起选：SGD 用 %g，Adam 用 %g%s；Adam 用 1e-3 不比它最好的学习率差 %g 个百分点以上：%s；调度器未测"):format(
      sgd_lr, adam_lr, #edges > 0 and "（" .. table.concat(edges, "；") .. "）" or "", claims.margins.limited,
      word(adam_default)) }
end
do -- 批次大小
  local measured, advice = {}, {}
  for _, d in ipairs { { "epochs", "同样的轮数" }, { "steps", "同样的更新次数" } } do
    local view = runs.batch_views[d[1]]
    local per = {}
    for _, b in ipairs(setup.batch_sizes) do per[#per + 1] = ("%d → lr %g"):format(b, claims.best_of(view, "lr", { batch_size = b })) end
    local _, best = claims.best_of(view, "lr")
    measured[#measured + 1] = ("%s：验证集上最好的组合 batch %d、lr %g（测试 %s）；各批次最好的学习率 %s"):format(d[2],
      best.params.batch_size, best.params.lr, best.text, table.concat(per, "，"))
    local lower = claim("batch", ("（%s）\"需降低学习率\""):format(d[2]))
    local bigger = claim("batch", ("（%s）笔记的数字说批次越大略好"):format(d[2]))
    advice[#advice + 1] = ("%s：batch 128 对 32（lr 0.01）%s，大批次需降低学习率 %s"):format(d[2], word(bigger), word(lower))
  end
  practice[#practice + 1] = { "**批次大小**", '"32-128（根据硬件资源选择）"', '"大批次需配合低学习率"',
    table.concat(measured, "；"),
    table.concat(advice, "；") .. "。同样的轮数下大批次的更新次数少，两种比法要分开看" }
end
do -- 激活函数 (§五)
  local others, best = against_best(runs.activation, function(x) return x.params.act end)
  local relu, leaky = claim("activation", "ReLU 的测试准确率高于 Sigmoid"), claim("activation", "LeakyReLU 的测试准确率高于 Sigmoid")
  practice[#practice + 1] = { "激活函数（§五）", '§五："尝试ReLU或LeakyReLU替代Sigmoid，缓解梯度消失。"', "–",
    ("验证集上 %s 最好（测试 %s），%s；Sigmoid %s"):format(best.params.act,
      claims.row_of(runs.activation, best).text, others, sigmoid_row.text),
    ("ReLU 对 Sigmoid %+.2f 个百分点（%s），LeakyReLU 对 Sigmoid %+.2f 个百分点（%s）；\"缓解梯度消失\"这个原因未检验（只有一个隐藏层，没有测梯度）"):format(
      relu.result.delta or 0 / 0, word(relu), leaky.result.delta or 0 / 0, word(leaky)) }
end
do -- 优化器 (§五)
  local ranked = runs.optimizer:summary "test_acc"
  table.sort(ranked, function(a, b) return (a.mean or -math.huge) > (b.mean or -math.huge) end)
  local order = {}
  for _, r in ipairs(ranked) do order[#order + 1] = ("%s %s"):format(r.label, r.text) end
  local vs_sgd = claim("optimizer", "高于笔记设置的 SGD")
  local vs_best = claim("optimizer", "高于验证集上最好的 SGD")
  local momentum = claim("optimizer", "两者在 ±")
  practice[#practice + 1] = { "优化器（§五）", '§五："测试Adam与SGD的性能差异。"（没有说推荐哪一个）', "–", "测试准确率：" .. table.concat(order, "，"),
    ("Adam（lr 1e-3）对笔记的 SGD（lr 0.01）%+.2f 个百分点，%s；对验证集上最好的 SGD %+.2f 个百分点，%s。动量 0.9（lr 0.01）与 lr 0.1 的 SGD：%s——动量的好处里有多少只是更大的有效步长，要和 lr 0.1 比"):format(
      vs_sgd.result.delta or 0 / 0, word(vs_sgd), vs_best.result.delta or 0 / 0, word(vs_best), word(momentum)) }
end
do -- 正则化 (§五)
  local none = row("regularization", "无正则化", "gap")
  local premise = claim("regularization", "验证损失的最小二乘斜率")
  local parts, advice = {}, {}
  for _, reg in ipairs { "Dropout 0.5", "L2 1e-3" } do
    local gap, acc = claim("regularization", reg .. "：训练–测试差距"), claim("regularization", reg .. "：测试准确率")
    parts[#parts + 1] = ("%s：差距 %s，测试准确率 %+.2f 个百分点"):format(reg, row("regularization", reg, "gap").text,
      acc.result.delta or 0 / 0)
    advice[#advice + 1] = ("%s：缩小差距 %s，提高测试准确率 %s"):format(reg, word(gap), word(acc))
  end
  practice[#practice + 1] = { "正则化（§五）", '§五："加入Dropout或L2正则化防止过拟合。"', "–",
    ("一个小训练集上的大网络（差距 %s；后半程验证损失上升：%s）里：%s"):format(none.text, word(premise), table.concat(parts, "；")),
    table.concat(advice, "；") }
end

lab.md "## 四、最佳实践总结（按实测重建）"
lab.md("笔记的表格放在左边（引号里是笔记的原话；笔记的表格只有前四行，§五 的三行是笔记第五节的原话，那里没有注意事项），右边两列是本机测得的结果（每种设置 %d 个种子、%d 轮）和按这些结果修订的建议。", ctx.seeds, ctx.epochs)
do
  local lines = { "| 参数 | 笔记：推荐策略 | 笔记：注意事项 | 实测 | 按实测的建议 |", "|---|---|---|---|---|" }
  for _, r in ipairs(practice) do lines[#lines + 1] = "| " .. table.concat(r, " | ") .. " |" end
  lab.md(table.concat(lines, "\n"))
end

---------------------------------------------------------------------------
lab.md "## 五、扩展思考"

lab.md [[
  ### 激活函数选择

  笔记："尝试ReLU或LeakyReLU替代Sigmoid，缓解梯度消失"。实测（784→64→激活→10，SGD lr 0.01，batch 32）：
]]
lab.table(runs.activation, { compare = "valid_acc", metrics = { "test_acc", "valid_acc", "train_loss", "test_loss" } })
lab.chart(runs.activation, { y = "test_acc", title = "激活函数：每轮的测试准确率" })
verdict_table "activation"

lab.md [[
  ### 优化器对比

  笔记："测试Adam与SGD的性能差异"。实测（每个优化器用它常用的学习率）：
]]
lab.table(runs.optimizer, { compare = "valid_acc", metrics = { "test_acc", "valid_acc", "train_loss", "test_loss" } })
lab.chart(runs.optimizer, { y = "test_acc", title = "优化器：每轮的测试准确率" })
verdict_table "optimizer"

-- Is the notes' small network overfitting? The slope of its validation loss
-- (and training loss) over the last half of the epochs, per seed: no
-- eval-mode training accuracy was measured for it (too costly), so no gap.
local small = { hidden = 64 }
local function falling(metric)
  local sl, n = claims.slopes(runs.hidden, small, metric), 0
  for _, x in ipairs(sl) do if x < 0 then n = n + 1 end end
  local sum = 0
  for _, x in ipairs(sl) do sum = sum + x end
  return n, #sl, #sl > 0 and sum / #sl or 0 / 0
end
local vn, vall, vmean = falling "valid_loss"
local tn, tall, tmean = falling "train_loss"
lab.md([[
  ### 正则化

  笔记："加入Dropout或L2正则化防止过拟合"。笔记的小网络（h = 64）在全部训练数据上训练 %d 轮，后一半轮次里验证损失的斜率在 %d 个种子中有 %d 个为负（均值 %s 每轮），训练损失的斜率 %d 个中 %d 个为负（均值 %s）。%s所以这里换成一个更可能过拟合的设置：`784 → 256 → 256 → 10` ReLU，Adam lr 1e-3，只用 %d 张训练图（它是否真的过拟合，见下表第一行的前提）。训练–测试差距用评估模式（Dropout 关闭）下整个训练集的准确率减去测试准确率：
]], ctx.epochs, vall, vn, vall > 0 and ("%+.4f"):format(vmean) or "–", tall, tn, tall > 0 and ("%+.4f"):format(tmean) or "–",
  (vall > 0 and vn == vall) and "验证损失在每个种子里都还在下降，看不到过拟合的迹象，正则化在那里没有东西可防。"
    or "验证损失不是在每个种子里都还在下降，这里不下过拟合与否的结论。",
  #ctx.reg_train)
lab.table(runs.regularization, { compare = "valid_acc", metrics = { "test_acc", "valid_acc", "train_eval_acc", "gap" } })
lab.chart(runs.regularization, { y = "gap", title = "正则化：训练–测试差距（每轮，百分点）" })
verdict_table "regularization"

---------------------------------------------------------------------------
lab.md "## 判定汇总"
do
  local notes, own = {}, {}
  for _, c in ipairs(verdicts) do
    if c.derived then own[#own + 1] = c else notes[#notes + 1] = c end
  end
  local function counts(list)
    local n = claims.count(list)
    local parts = {}
    for _, k in ipairs { { "supported", "支持" }, { "contradicted", "不成立" }, { "equivalent", "在界限内等价" },
                         { "cant_tell", "无法判断" }, { "not_tested", "未检验" } } do
      if n[k[1]] > 0 then parts[#parts + 1] = ("%d 条%s"):format(n[k[1]], k[2]) end
    end
    return table.concat(parts, "，")
  end
  lab.md("笔记原话的 %d 项检验：%s。本文自己的 %d 条推论：%s。（一句笔记原话可能拆成几项检验，例如两种比法各判一次。）",
    #notes, counts(notes), #own, counts(own))
  claims.render(verdicts)
  claims.note(verdicts)
end
