-- nnlab.fit and nnlab.evaluate: whole epochs in C, a Lua callback per epoch.
local core = require "nnlab.core"
local data = require "nnlab.data"
local errors = require "nnlab.errors"
local optim = require "nnlab.optim"
local options = require "nnlab.options"

local train = {}

-- What each of nnlab's objects that fit and evaluate take is, as messages
-- ask for it.
local WANTED = {
  ["nnlab.Net"] = "a model (nn.Sequential)",
  ["nnlab.LossFunction"] = "a loss function (nn.CrossEntropyLoss() or nn.MSELoss())",
  ["nnlab.Optimizer"] = "an optimizer (optim.SGD, optim.Adam or optim.AdamW)",
  ["nnlab.Loader"] = "a data loader (data.DataLoader)",
}

--- train.need(where, name, v, kind): unless v is one of nnlab's objects of
--- `kind` ("nnlab.Net", "nnlab.LossFunction", "nnlab.Optimizer" or
--- "nnlab.Loader"), raises at the user's line "where: name is required: a
--- model (nn.Sequential)", or "where: name must be a model (nn.Sequential),
--- got a data loader".
function train.need(where, name, v, kind)
  if getmetatable(v) == core.metatable(kind) then return end
  if v == nil then errors.raise("%s: %s is required: %s", where, name, WANTED[kind]) end
  errors.raise("%s: %s must be %s, got %s", where, name, WANTED[kind], errors.value(v))
end
local need = train.need

-- Checks to run once before the next training step (train.before_training),
-- by name; the notebook checks its --set keys there.
local pending = {} -- name -> f, and [1..n] the names in the order first given
local any_pending = false

local Optimizer = core.metatable("nnlab.Optimizer").__index
local c_step = Optimizer.step -- the engine's optimizer step

-- optimizer:step() while checks are pending: runs them, then puts the
-- engine's step back, so later steps cost nothing extra.
local function first_step(self, ...)
  -- (opt.step(): C's check would name this file's line, not the user's)
  if self == nil then errors.dot_call("optimizer") end
  train.starting()
  return c_step(self, ...)
end

--- train.before_training(name, f): runs f() once, before the next training
--- step of this process: nnlab.fit, or the first optimizer:step() of a
--- hand-written loop (core.train_epoch, below both, does not check). A
--- later call with the same name replaces f, in its place. They run in the
--- order their names were first given. An error raised by f is raised at
--- the user's line that started training.
function train.before_training(name, f)
  if not pending[name] then pending[#pending + 1] = name end
  pending[name] = f
  any_pending = true
  if rawget(Optimizer, "step") == c_step then Optimizer.step = first_step end
end

--- Runs (and forgets) the checks given to train.before_training.
function train.starting()
  if not any_pending then return end
  if rawget(Optimizer, "step") == first_step then Optimizer.step = c_step end
  local checks = pending
  pending, any_pending = {}, false
  for _, name in ipairs(checks) do checks[name]() end
end

-- A pass in C. Its errors (the data does not fit the loss, a data.Lambda that
-- failed) are the user's: blamed on their fit or evaluate line. An
-- interruption passes through as it is (workers.check_interrupt knows it).
local function engine_pass(pass, ...)
  local ok, result = pcall(pass, ...)
  if ok then return result end
  local message = tostring(result)
  if message:find("interrupted by SIG", 1, true) then error(result, 0) end
  errors.raise("%s", (message:gsub("^[^\n]-nnlab/train%.lua:%d+: ", "")))
end

--- nnlab.evaluate(model, loader [, { loss = loss_fn }]) ->
--- { accuracy (percent), loss, correct, count, seconds, diverged }. Runs in
--- eval mode over every sample; a sample whose output holds a NaN or an
--- infinity counts as wrong, and makes diverged true and the loss non-finite.
function train.evaluate(model, loader, opts, ...)
  options.no_more("evaluate(model, loader [, options])", ...)
  need("evaluate", "argument 1", model, "nnlab.Net")
  need("evaluate", "argument 2", loader, "nnlab.Loader")
  local loss_fn = options.check("evaluate", opts, { loss = options.optional "any" }).loss
  if loss_fn == nil then loss_fn = core.loss_new("cross_entropy") end
  need("evaluate", "option 'loss'", loss_fn, "nnlab.LossFunction")
  -- through a call by name, so that an argument error names 'evaluate'
  return engine_pass(function() return core.evaluate(model, loss_fn, loader) end)
end

-- nnlab's objects are checked by need, which names what they must be.
local FIT = { model = options.optional "any", loss = options.optional "any",
              optimizer = options.optional "any", train = options.optional "any",
              test = options.optional "any", train_eval = options.optional "any",
              valid = options.optional "any", epochs = 1,
              scheduler = options.optional "any", on_epoch = options.optional "function", diverge_factor = 10.0 }

-- fit's scheduler, checked before the first epoch rather than found wanting
-- after it: one of optim.lr_scheduler's, made for fit's optimizer (else its
-- steps would schedule another optimizer, and fit's lr would never change),
-- or a table of the user's with a step method.
local function check_scheduler(scheduler, optimizer)
  if getmetatable(scheduler) == optim.lr_scheduler.Scheduler then
    if scheduler.optimizer ~= optimizer then
      errors.raise("fit: the scheduler was made for another optimizer than fit's, whose learning rate it would " ..
                   "never change: make it from fit's optimizer")
    end
  elseif type(scheduler) ~= "table" or type(scheduler.step) ~= "function" then
    errors.raise("fit: scheduler must be an optim.lr_scheduler (StepLR, ExponentialLR, CosineAnnealingLR) or a " ..
                 "table with a step method, got %s",
                 type(scheduler) == "table" and "a table without a step method" or errors.value(scheduler))
  end
end

-- The mean loss of an uninformed guess, the model's output all zeros: for
-- cross entropy (uniform probabilities) ln C over C classes; for MSE the
-- mean square of the targets: 1/C against class labels (one-hot), and
-- measured on the training set for regression targets (their variance would
-- be too low a bar where their mean is far from 0: a model starts near
-- zero). nil when there is none to compare with (targets all zero): then
-- only a NaN or infinite loss diverges. The second value is true for
-- regression targets, whose bar also counts where the model starts (fit).
local function chance_loss(loss_fn, model, loader)
  local _, classes = model:sizes()
  if core.loss_kind(loss_fn) ~= "mse" then return math.log(classes), false end
  local mean_square, err = data.target_mean_square(loader)
  if err then errors.raise("fit: train: %s", err) end
  if mean_square == nil then return 1 / classes, false end
  return mean_square > 0 and mean_square or nil, true
end

--- nnlab.fit { model, loss, optimizer, train = loader, test = loader, epochs = N,
---             scheduler = s, on_epoch = function(stats) ... end,
---             train_eval = loader }
--- -> history: one entry per epoch { epoch, train_loss, train_acc, test_loss,
--- test_acc, seconds, lr, diverged }. on_epoch may return false to stop early.
--- train_acc and train_loss are the running values of the epoch's batches (in
--- training mode, while the weights change); with train_eval (a loader over
--- the training set), each epoch also measures train_eval_loss and
--- train_eval_acc on it in eval mode, like the test set.
--- An epoch diverges when a batch loss is NaN or infinite, when its mean
--- training loss exceeds diverge_factor (default 10) times the loss of an
--- uninformed guess (chance_loss, above; against regression targets, of
--- that or the model's first batch before any step, whichever is larger),
--- or when the model gives a NaN or
--- infinite output on a test or train_eval sample (that evaluation still
--- counts every sample, a non-finite output as wrong); the fit then ends with
--- history.diverged = true.
function train.fit(args, ...)
  options.no_more("fit { ... }", ...)
  if type(args) ~= "table" then errors.raise("fit: expected a table of arguments") end
  args = options.check("fit", args, FIT)
  need("fit", "model", args.model, "nnlab.Net")
  need("fit", "loss", args.loss, "nnlab.LossFunction")
  need("fit", "optimizer", args.optimizer, "nnlab.Optimizer")
  need("fit", "train", args.train, "nnlab.Loader")
  for _, which in ipairs { "test", "train_eval", "valid" } do
    if args[which] ~= nil then need("fit", which, args[which], "nnlab.Loader") end
  end
  if args.scheduler ~= nil then check_scheduler(args.scheduler, args.optimizer) end
  -- a model with fewer outputs than the data has classes fails in the middle of an epoch, at a
  -- batch's row: refused here, naming both sizes, as lab.sweep does
  local _, outputs = args.model:sizes()
  local train_info = data.loader_info(args.train)
  for _, which in ipairs { "train", "test", "valid", "train_eval" } do
    local info = args[which] and data.loader_info(args[which])
    if info and info.targets == 0 and outputs < info.classes then
      errors.raise("fit: the model gives %d outputs, but the %s data has %d classes", outputs, which, info.classes)
    end
    -- two CSV files read apart name their string classes each in first-seen order: a
    -- test file that starts with another class is scored against swapped labels
    local k = info and train_info and data.first_class_mismatch(train_info, info)
    if k then
      errors.raise("fit: class %d is %s in the train data but %s in the %s data (CSV files name string classes "
                   .. "in first-seen order): give both the same classes = { ... } list", k,
                   errors.value(train_info.class_names[k + 1]), errors.value(info.class_names[k + 1]), which)
    end
  end
  local epochs = args.epochs
  if epochs < 1 then errors.raise("fit: epochs must be a positive integer, got %s", tostring(epochs)) end
  local factor = args.diverge_factor
  if not (factor > 1) then errors.raise("fit: diverge_factor must be a number > 1") end
  train.starting()
  local chance, regression = chance_loss(args.loss, args.model, args.train)
  -- a chance loss of 0 (one class) bounds nothing: factor × 0 would be 0, or NaN for an infinite factor
  local diverge_above = chance and chance > 0 and factor * chance or math.huge
  local history = {}
  for epoch = 1, epochs do
    local lr = args.optimizer:lr()
    local tr = engine_pass(core.train_epoch, args.model, args.loss, args.optimizer, args.train)
    -- regression targets on a small scale (mean square 4e-4) lie far below a
    -- new model's outputs (0.1-0.5): the bar is at least factor × the loss
    -- the model started from, its first batch's before any step
    if epoch == 1 and regression and chance and tr.first_loss > chance and tr.first_loss < math.huge then
      diverge_above = factor * tr.first_loss
    end
    local diverged = tr.diverged or not (tr.loss <= diverge_above)
    local stats = { epoch = epoch, train_loss = tr.loss, train_acc = tr.accuracy,
                    seconds = tr.seconds, lr = lr, diverged = diverged }
    local evaluate = not diverged -- weights that diverged in training are not worth measuring
    -- the test set, the training set in eval mode, a validation split: each
    -- measured alike, as <name>_loss and <name>_acc
    for _, which in ipairs { "test", "train_eval", "valid" } do
      if args[which] and evaluate then
        local e = engine_pass(core.evaluate, args.model, args.loss, args[which])
        stats[which .. "_loss"], stats[which .. "_acc"] = e.loss, e.accuracy
        stats.eval_seconds = (stats.eval_seconds or 0) + e.seconds
        diverged = diverged or e.diverged
      end
    end
    stats.diverged = diverged
    history[#history + 1] = stats
    if args.scheduler then args.scheduler:step() end
    local go_on = true
    if args.on_epoch then go_on = args.on_epoch(stats) ~= false end
    if diverged or not go_on then break end
  end
  history.diverged = history[#history].diverged
  -- fit to regression targets: its accuracies read 0 (lab.table(history) and lab.chart go by the loss)
  local train_info = data.loader_info(args.train)
  history.regression = train_info and train_info.targets > 0 or nil
  return history
end

return train
