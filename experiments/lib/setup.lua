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
--- (epochs, seeds, train_size, test_size; reg_train_size too when the file
--- runs the regularization sweep), loads the data and returns { epochs,
--- seeds, train, test, reg_train, source }.
function setup.begin(options)
  options = options or {}
  local ctx = {
    epochs = lab.param("epochs", 10, "epochs per run"),
    seeds = lab.param("seeds", 3, "seeds per variation"),
  }
  local train_size = lab.param("train_size", 60000, "training samples (the first N)")
  local test_size = lab.param("test_size", 10000, "test samples (the first N)")
  local reg_train_size = options.regularization
    and lab.param("reg_train_size", 2000, "training samples of the regularization experiment") or nil
  -- The training set is read once; the subsets are views of it, as
  -- data.load's `subset` option makes them (the first N samples).
  local function first(ds, n) return n < #ds and ds:head(n) or ds end
  local train = lab.data.load("kmnist", { fallback = "fashion-mnist", train = true })
  ctx.train = first(train, train_size)
  ctx.test = first(lab.data.load("kmnist", { fallback = "fashion-mnist", train = false }), test_size)
  if reg_train_size then ctx.reg_train = first(train, reg_train_size) end
  ctx.source = lab.data.source(ctx.train)
  return ctx
end

--- Writes, when KMNIST was not available, which dataset ran instead and what
--- that means for comparing with the notes' numbers.
function setup.data_note(ctx)
  local source = ctx.source
  if source.name == source.requested then return end
  lab.md("**数据说明**：笔记用的是 KMNIST，但这台机器上没有它（%s），所以这次用的是 %s（同样是 28×28 灰度图、"
    .. "10 类、6 万训练 / 1 万测试）。数据集不同，准确率不能和笔记里的数字直接比较；能比较的是各个设置之间的差别和名次。",
    source.fallback_reason, source.title)
end

-- A sweep: the baseline, overridden by the section's fixed values, plus the
-- variations; every sweep has every baseline key, so equal variations in
-- different sweeps have equal parameters.
local function sweep(ctx, fields)
  local spec = { seeds = ctx.seeds, epochs = ctx.epochs, train = ctx.train, test = ctx.test,
                 model = setup.model, optimizer = setup.optimizer }
  for k, v in pairs(setup.baseline) do spec[k] = v end
  for k, v in pairs(fields) do spec[k] = v end
  return spec
end

--- One sweep per section of the notes: setup.sweeps.NAME(ctx) -> the table
--- for lab.sweep.
setup.sweeps = {
  -- §3.1: the number of hidden neurons.
  hidden = function(ctx)
    return sweep(ctx, { name = "神经元数量", vary = { hidden = { 64, 128, 256 } } })
  end,
  -- §3.2: one, two (784→h→64→10) or three hidden layers, Sigmoid and ReLU.
  depth = function(ctx)
    return sweep(ctx, { name = "隐藏层数量 × 激活函数", vary = { layers = { 1, 2, 3 }, act = { "sigmoid", "relu" } } })
  end,
  -- §3.3: three learning rates, with SGD and with Adam.
  lr = function(ctx)
    return sweep(ctx, { name = "学习率 × 优化器", vary = { lr = { 0.1, 0.01, 0.001 }, opt = { "sgd", "adam" } } })
  end,
  -- §3.4: three batch sizes, each with three learning rates (SGD).
  batch = function(ctx)
    return sweep(ctx, { name = "批次大小 × 学习率", vary = { batch_size = { 32, 64, 128 }, lr = { 0.1, 0.01, 0.001 } } })
  end,
  -- §5: activation functions.
  activation = function(ctx)
    return sweep(ctx, { name = "激活函数", vary = { act = { "sigmoid", "relu", "leaky_relu", "tanh" } } })
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
