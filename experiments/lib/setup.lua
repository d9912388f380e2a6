-- experiments/lib/setup.lua: the set-up every experiment of the review notes
-- shares. The parameters each experiment declares (epochs, seeds, subset
-- sizes), the data (KMNIST, or Fashion-MNIST when KMNIST is absent), the
-- model family and the optimizers as functions of a variation's parameters,
-- the notes' baseline, and one sweep definition per section of the notes.
-- The section files and the review build their sweeps here, so the same
-- variation gets the same parameters, hence the same cache key, wherever it
-- appears: the review (and the sections after the first) reuse results
-- instead of training them again. Load it with `lab.require "lib.setup"`.
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim

local setup = {}

--- The notes' model and training (§二): 784 → 64 → Sigmoid → 10, cross
--- entropy, SGD with lr 0.01, batch 32. Every sweep starts from these values
--- and changes only what it varies. (Floats stay floats: 0.0 and 0 are
--- different cache keys.)
setup.baseline = {
  hidden = 64,          -- neurons of the first hidden layer
  layers = 1,           -- hidden layers
  width = 64,           -- neurons of the hidden layers after the first (the notes' 784→h→64→10)
  act = "sigmoid",      -- sigmoid | relu | leaky_relu | tanh
  dropout = 0.0,        -- Dropout after each hidden activation (0: none)
  opt = "sgd",          -- sgd | adam
  lr = 0.01,
  momentum = 0.0,       -- SGD only
  weight_decay = 0.0,   -- L2: added to the gradient, as PyTorch's weight_decay
  batch_size = 32,
}

local ACTIVATIONS = { sigmoid = nn.Sigmoid, relu = nn.ReLU, leaky_relu = nn.LeakyReLU, tanh = nn.Tanh }

--- The model of a variation: p.layers hidden layers (p.hidden neurons, then
--- p.width), each followed by p.act and, when p.dropout > 0, Dropout.
function setup.model(p)
  local layers, inputs = {}, 28 * 28
  for i = 1, p.layers do
    local outputs = i == 1 and p.hidden or p.width
    layers[#layers + 1] = nn.Linear(inputs, outputs)
    layers[#layers + 1] = ACTIVATIONS[p.act]()
    if p.dropout > 0 then layers[#layers + 1] = nn.Dropout(p.dropout) end
    inputs = outputs
  end
  layers[#layers + 1] = nn.Linear(inputs, 10)
  return nn.Sequential(layers)
end

--- The optimizer of a variation: SGD (lr, momentum, weight_decay) or Adam
--- (lr, weight_decay; β and ε at PyTorch's defaults).
function setup.optimizer(p, params)
  if p.opt == "adam" then return optim.Adam(params, { lr = p.lr, weight_decay = p.weight_decay }) end
  return optim.SGD(params, { lr = p.lr, momentum = p.momentum, weight_decay = p.weight_decay })
end

--- setup.begin([{ regularization = true }]) -> ctx. Declares the parameters
--- (epochs, seeds, train_size, test_size, valid_size; reg_train_size too
--- when the file runs the regularization sweep), loads the data and returns
--- { epochs, seeds, train, valid, test, reg_train, source }. The first
--- train_size training samples are split (seeded, stratified) into
--- valid_size validation samples and the rest for training: the best
--- variations are picked on the validation split and the test split is only
--- reported (a choice made on the test split would flatter the chosen one).
function setup.begin(options)
  options = options or {}
  local ctx = {
    epochs = lab.param("epochs", 10, "epochs per run"),
    seeds = lab.param("seeds", 3, "seeds per variation"),
  }
  local train_size = lab.param("train_size", 60000, "training samples (the first N, validation included)")
  local test_size = lab.param("test_size", 10000, "test samples (the first N)")
  local valid_size = lab.param("valid_size", 5000, "validation samples split off the training samples")
  local reg_train_size = options.regularization
    and lab.param("reg_train_size", 2000, "training samples of the regularization experiment") or nil
  -- The training set is read once; the subsets are views of it, as
  -- data.load's `subset` option makes them (the first N samples).
  local function first(ds, n) return n < #ds and ds:head(n) or ds end
  local train = first(lab.data.load("kmnist", { fallback = "fashion-mnist", train = true }), train_size)
  -- at most a twelfth of the training samples (5 000 of 60 000), so small --set runs keep most for
  -- training; setup.data_note says so when that is fewer than asked
  if valid_size < 1 then
    error(("valid_size must be at least 1 (the best variations are picked on the validation samples), got %d")
          :format(valid_size), 2)
  end
  ctx.valid_asked = valid_size
  ctx.valid_size = math.max(1, math.min(valid_size, #train // 12))
  ctx.train, ctx.valid = train:split(ctx.valid_size, { seed = 1, stratify = true })
  ctx.test = first(lab.data.load("kmnist", { fallback = "fashion-mnist", train = false }), test_size)
  if reg_train_size then ctx.reg_train = first(ctx.train, reg_train_size) end
  ctx.source = lab.data.source(ctx.train)
  return ctx
end

--- Writes, when fewer validation samples were held out than valid_size
--- asked for, how many; and when KMNIST was not available, what that means
--- for comparing with the notes' numbers (which dataset ran instead, and
--- why, the report's header already says).
function setup.data_note(ctx)
  if ctx.valid_size < ctx.valid_asked then
    lab.md("**验证集说明**：`valid_size` = %d 超过了 %d 个训练样本的十二分之一，实际留出 %d 个样本作验证集。",
      ctx.valid_asked, #ctx.train + #ctx.valid, ctx.valid_size)
  end
  local source = ctx.source
  if source.name == source.requested then return end
  lab.md("**数据说明**：笔记用的是 KMNIST，这次用的是 %s（见报告开头的数据说明）。数据集不同，准确率不能和笔记里的数字直接比较；能比较的是各个设置之间的差别和名次。",
    source.title)
end

-- The train-test gap is measured in eval mode on the whole training set
-- (eval_train = true): the running accuracy of an epoch's batches lags
-- behind a model that is still improving and so understates the gap. That
-- evaluation costs almost as much as an epoch of training, so only the
-- variations whose gap a claim judges measure it: plain SGD at lr 0.1 (the
-- batch-size claim) and the regularization sweep. The rule lives here, so a
-- variation has the same parameters, hence the same cache key, in every
-- sweep it appears in.
local function measures_gap(p)
  return p.opt == "sgd" and p.lr == 0.1 and p.momentum == 0.0 and p.hidden == 64 and p.layers == 1
    and p.act == "sigmoid" and p.dropout == 0.0 and p.weight_decay == 0.0 or nil
end

-- A sweep: the baseline, overridden by the section's fixed values, plus the
-- variations (a list; `grid` makes one from lists of values); every sweep has
-- every baseline key, so equal variations in different sweeps have equal
-- parameters.
local function sweep(ctx, fields)
  local spec = { seeds = ctx.seeds, epochs = ctx.epochs, train = ctx.train, valid = ctx.valid, test = ctx.test,
                 model = setup.model, optimizer = setup.optimizer }
  for k, v in pairs(setup.baseline) do spec[k] = v end
  for k, v in pairs(fields) do spec[k] = v end
  if spec.variations and spec.eval_train == nil then
    for _, v in ipairs(spec.variations) do
      local p = {}
      for k, value in pairs(spec) do p[k] = value end
      for k, value in pairs(v) do p[k] = value end
      v.eval_train = measures_gap(p)
    end
  end
  return spec
end

-- The variations of a grid: every combination of the values of `axes` (a
-- list of { key, values }), the first axis varying slowest; `extra(v)` may
-- add parameters (and a label) to each.
local function grid(axes, extra)
  local out = { {} }
  for _, axis in ipairs(axes) do
    local next_out = {}
    for _, partial in ipairs(out) do
      for _, value in ipairs(axis[2]) do
        local v = {}
        for k, x in pairs(partial) do v[k] = x end
        v[axis[1]] = value
        next_out[#next_out + 1] = v
      end
    end
    out = next_out
  end
  for _, v in ipairs(out) do
    if extra then extra(v) end
  end
  return out
end

--- The learning rates of each optimizer: wide enough that the best one sits
--- inside the grid, not at its edge (where "best" would only be a bound).
setup.lrs = { sgd = { 1.0, 0.3, 0.1, 0.01, 0.001 }, adam = { 0.1, 0.01, 0.001, 0.0001 } }
--- The batch sizes and the learning rates of the batch grid.
setup.batch_sizes, setup.batch_lrs = { 32, 64, 128 }, { 0.3, 0.1, 0.01, 0.001 }

--- The batch grid's two designs. Equal epochs: every batch size trains
--- ctx.epochs epochs, so batch 128 makes a quarter of batch 32's updates.
--- Equal steps: batch b is read after epochs × b / 64 epochs (batch 32 at
--- half its run, batch 64 at its end, batch 128 after twice as many epochs),
--- ≈ the same number of updates for all. Batch 128 therefore trains 2 ×
--- ctx.epochs epochs; its first ctx.epochs epochs are the equal-epochs run
--- (without a schedule, a longer run passes through the shorter one).
function setup.batch_epochs(ctx, batch_size, design)
  if design == "steps" then return math.max(1, ctx.epochs * batch_size // 64) end
  return ctx.epochs
end

--- One sweep per section of the notes: setup.sweeps.NAME(ctx) -> the table
--- for lab.sweep.
setup.sweeps = {
  -- §3.1: the number of hidden neurons.
  hidden = function(ctx)
    return sweep(ctx, { name = "神经元数量", variations = grid { { "hidden", { 64, 128, 256 } } } })
  end,
  -- §3.2: one, two (784→h→64→10) or three hidden layers, Sigmoid and ReLU.
  depth = function(ctx)
    return sweep(ctx, { name = "隐藏层数量 × 激活函数",
                        variations = grid { { "act", { "sigmoid", "relu" } }, { "layers", { 1, 2, 3 } } } })
  end,
  -- §3.3: the learning rates of each optimizer (setup.lrs).
  lr = function(ctx)
    local variations = {}
    for _, opt in ipairs { "sgd", "adam" } do
      for _, lr in ipairs(setup.lrs[opt]) do
        variations[#variations + 1] = { lr = lr, opt = opt, label = ("%s, lr %g"):format(opt == "sgd" and "SGD" or "Adam", lr) }
      end
    end
    return sweep(ctx, { name = "学习率 × 优化器", variations = variations })
  end,
  -- The oscillation claims: lr 0.1 against 0.01 (SGD, Adam) with twice the
  -- seeds. Oscillation is skewed (0 in many seeds), so it is judged by a
  -- rank test, and an exact rank test on 3 paired seeds cannot go below
  -- p = 0.25; with 6 it can reach 0.03. Seeds 1..n come from the other sweeps' cache.
  oscillation = function(ctx)
    local variations = {}
    for _, opt in ipairs { "sgd", "adam" } do
      for _, lr in ipairs { 0.1, 0.01 } do
        variations[#variations + 1] = { lr = lr, opt = opt, label = ("%s, lr %g"):format(opt == "sgd" and "SGD" or "Adam", lr) }
      end
    end
    for _, b in ipairs { 32, 128 } do
      variations[#variations + 1] = { batch_size = b, lr = 0.1, label = ("batch %d, lr 0.1"):format(b),
        epochs = math.max(setup.batch_epochs(ctx, b, "epochs"), setup.batch_epochs(ctx, b, "steps")) }
    end
    local seen, unique = {}, {}
    for _, v in ipairs(variations) do
      local key = ("%s/%s/%s/%s"):format(v.opt or "sgd", v.lr, v.batch_size or 32, v.epochs or ctx.epochs)
      if not seen[key] then seen[key] = true unique[#unique + 1] = v end
    end
    local spec = sweep(ctx, { name = "震荡（加倍种子）", variations = unique })
    spec.seeds = 2 * ctx.seeds
    return spec
  end,
  -- §3.4: the batch sizes, each with the batch learning rates (SGD); batch b
  -- trains for the longer of its two designs (setup.batch_epochs).
  batch = function(ctx)
    local variations = {}
    for _, b in ipairs(setup.batch_sizes) do
      for _, lr in ipairs(setup.batch_lrs) do
        variations[#variations + 1] = { batch_size = b, lr = lr, label = ("batch %d, lr %g"):format(b, lr),
          epochs = math.max(setup.batch_epochs(ctx, b, "epochs"), setup.batch_epochs(ctx, b, "steps")) }
      end
    end
    return sweep(ctx, { name = "批次大小 × 学习率", variations = variations })
  end,
  -- §5: activation functions.
  activation = function(ctx)
    return sweep(ctx, { name = "激活函数", variations = grid { { "act", { "sigmoid", "relu", "leaky_relu", "tanh" } } } })
  end,
  -- §5: optimizers, each at its usual learning rate (Adam's default is 1e-3),
  -- and SGD at lr 0.1, the step momentum 0.9 amounts to (lr / (1 − 0.9)).
  optimizer = function(ctx)
    return sweep(ctx, { name = "优化器", variations = {
      { opt = "sgd", label = "SGD (lr 0.01)" },
      { opt = "sgd", lr = 0.1, label = "SGD (lr 0.1)" },
      { opt = "sgd", momentum = 0.9, label = "SGD + momentum 0.9" },
      { opt = "adam", lr = 0.001, label = "Adam" },
    } })
  end,
  -- §5: regularization, where there is something to regularize: a wider,
  -- deeper ReLU network (784→256→256→10, Adam) on a small training subset,
  -- with the training set measured in eval mode for the train–test gap.
  regularization = function(ctx)
    return sweep(ctx, { name = "正则化", train = ctx.reg_train,
      hidden = 256, width = 256, layers = 2, act = "relu", opt = "adam", lr = 0.001, eval_train = true,
      variations = {
        { label = "无正则化" },
        { dropout = 0.5, label = "Dropout 0.5" },
        { weight_decay = 1e-3, label = "L2 1e-3" },
        { dropout = 0.5, weight_decay = 1e-3, label = "Dropout 0.5 + L2 1e-3" },
      } })
  end,
}

--- setup.run(spec) -> lab.sweep(spec), its keys without the bookkeeping
--- parameters the variations list carries (eval_train, epochs): the tables
--- show and pivot on what the experiment varies.
function setup.run(spec)
  local runs = lab.sweep(spec)
  local keys = {}
  for _, k in ipairs(runs.keys) do if k ~= "eval_train" and k ~= "epochs" then keys[#keys + 1] = k end end
  runs.keys = keys
  return runs
end

--- setup.at_epochs(runs, epochs_of) for a sweep's runs: a copy whose every seed's history
--- ends at epoch epochs_of(params) (the batch designs read one run at two
--- points). Tables, charts and verdicts on it see those epochs as final.
function setup.at_epochs(runs, epochs_of, name)
  local copy = {}
  for k, v in pairs(runs) do copy[k] = v end
  copy.variations, copy.epochs = {}, 0
  for _, v in ipairs(runs.variations) do
    local e = epochs_of(v.params)
    local nv = {}
    for k, x in pairs(v) do nv[k] = x end
    nv.seeds = {}
    for _, s in ipairs(v.seeds) do
      -- (a sweep's record reads diverged and cached through its metatable when they are
      -- false and true: the copy keeps it)
      local ns = setmetatable({}, getmetatable(s))
      for k, x in pairs(s) do ns[k] = x end
      ns.history = table.move(s.history, 1, math.min(e, #s.history), 1, {})
      -- the predictions and weights are the full run's, after its last epoch
      if #ns.history < #s.history then ns.pictures, ns.stored = nil, nil end
      -- a seed that diverged after epoch e was still fine at e
      if s.diverged and #s.history > e then ns.diverged = false end
      nv.seeds[#nv.seeds + 1] = ns
    end
    copy.variations[#copy.variations + 1] = nv
    copy.epochs = math.max(copy.epochs, e)
  end
  copy.name = name or runs.name
  return setmetatable(copy, getmetatable(runs))
end

--- setup.best_where(runs [, metric = "valid_acc"]) -> the best variation's
--- summary row and a `where` table of its varied values, for the pictures
--- of the best variation (lab.confusion, lab.weights); nil when every
--- variation diverged.
function setup.best_where(runs, metric)
  local best = runs:best(metric or "valid_acc")
  if not best then return nil end
  local where = {}
  for _, k in ipairs(runs.keys) do where[k] = best.variation.params[k] end
  return best, where
end

--- setup.best_per_class(runs): a section of the report for the variation
--- best on the validation set: its confusion matrix, per-class test
--- accuracy, and a sentence on its worst and best classes (lab.confusion).
function setup.best_per_class(runs)
  local best_row, best_where = setup.best_where(runs)
  if not best_row then return end
  lab.md "## 验证集上最好的设置：各类别的准确率"
  local summary = lab.confusion(runs, { where = best_where })
  if not summary then return end
  local list = summary.class_accuracy[summary.variation]
  local low, high = list[1], list[1]
  for _, c in ipairs(list) do
    if c.mean < low.mean then low = c end
    if c.mean > high.mean then high = c end
  end
  lab.md("%s 各类别的测试准确率从 %s 的 %.1f %% 到 %s 的 %.1f %%，相差 %.1f 个百分点，总的准确率把这个差别平均掉了。",
    best_row.label, low.class, low.mean, high.class, high.mean, high.mean - low.mean)
end

--- The source text of a function defined in a file (for showing the code
--- that ran), without its common indentation.
function setup.source(f)
  local info = debug.getinfo(f, "S")
  local path = info.source:match("^@(.*)$")
  local lines, n = {}, 0
  for line in io.lines(path) do
    n = n + 1
    if n >= info.linedefined and n <= info.lastlinedefined then lines[#lines + 1] = line end
  end
  local indent = lines[1]:match("^%s*")
  for i, line in ipairs(lines) do lines[i] = line:sub(1, #indent) == indent and line:sub(#indent + 1) or line end
  return table.concat(lines, "\n")
end

return setup
