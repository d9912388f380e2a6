-- nnlab.fit and nnlab.evaluate: whole epochs in C, a Lua callback per epoch.
local core = require "nnlab.core"
local data = require "nnlab.data"
local errors = require "nnlab.errors"
local options = require "nnlab.options"

local train = {}

local function need(where, v, mt, what)
  if getmetatable(v) ~= core.metatable(mt) then errors.raise("%s: %s is required", where, what) end
end

-- Checks to run once before the next training step (train.before_training),
-- by name; the notebook checks its --set keys there.
local pending = {}
local any_pending = false

local Optimizer = core.metatable("nnlab.Optimizer").__index
local c_step = Optimizer.step -- the engine's optimizer step

-- optimizer:step() while checks are pending: runs them, then puts the
-- engine's step back, so later steps cost nothing extra.
local function first_step(...)
  train.starting()
  return c_step(...)
end

--- train.before_training(name, f): runs f() once, before the next training
--- step of this process: nnlab.fit, or the first optimizer:step() of a
--- hand-written loop (core.train_epoch, below both, does not check). A
--- later call with the same name replaces f. An error raised by f is
--- raised at the user's line that started training.
function train.before_training(name, f)
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
  for _, f in pairs(checks) do f() end
end

--- nnlab.evaluate(model, loader [, { loss = loss_fn }]) ->
--- { accuracy (percent), loss, correct, count, seconds, diverged }. Runs in
--- eval mode over every sample; a sample whose output holds a NaN or an
--- infinity counts as wrong, and makes diverged true and the loss non-finite.
function train.evaluate(model, loader, opts)
  need("evaluate", model, "nnlab.Net", "a model")
  need("evaluate", loader, "nnlab.Loader", "a loader")
  local loss_fn = options.check("evaluate", opts, { loss = options.optional "userdata" }).loss
  return core.evaluate(model, loss_fn or core.loss_new("cross_entropy"), loader)
end

local FIT = { model = options.optional "userdata", loss = options.optional "userdata",
              optimizer = options.optional "userdata", train = options.optional "userdata",
              test = options.optional "userdata", train_eval = options.optional "userdata",
              valid = options.optional "userdata", epochs = 1,
              scheduler = options.optional "table", on_epoch = options.optional "function", diverge_factor = 10.0 }

-- The mean loss of an uninformed guess, the model's output all zeros: for
-- cross entropy (uniform probabilities) ln C over C classes; for MSE the
-- mean square of the targets: 1/C against class labels (one-hot), and
-- measured on the training set for regression targets (their variance would
-- be too low a bar where their mean is far from 0: a model starts near
-- zero). nil when there is none to compare with (targets all zero): then
-- only a NaN or infinite loss diverges.
local function chance_loss(loss_fn, model, loader)
  local _, classes = model:sizes()
  if core.loss_kind(loss_fn) ~= "mse" then return math.log(classes) end
  local mean_square, err = data.target_mean_square(loader)
  if err then errors.raise("fit: train: %s", err) end
  if mean_square == nil then return 1 / classes end
  return mean_square > 0 and mean_square or nil
end

-- A pass in C. Its errors (the data does not fit the loss, a data.Lambda that
-- failed) are the user's: blamed on their fit line. An interruption passes
-- through as it is (workers.check_interrupt knows it).
local function engine_pass(pass, ...)
  local ok, result = pcall(pass, ...)
  if ok then return result end
  local message = tostring(result)
  if message:find("interrupted by SIG", 1, true) then error(result, 0) end
  errors.raise("%s", (message:gsub("^[^\n]-nnlab/train%.lua:%d+: ", "")))
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
--- uninformed guess (chance_loss, above), or when the model gives a NaN or
--- infinite output on a test or train_eval sample (that evaluation still
--- counts every sample, a non-finite output as wrong); the fit then ends with
--- history.diverged = true.
function train.fit(args)
  if type(args) ~= "table" then errors.raise("fit: expected a table of arguments") end
  args = options.check("fit", args, FIT)
  need("fit", args.model, "nnlab.Net", "model")
  need("fit", args.loss, "nnlab.LossFunction", "loss")
  need("fit", args.optimizer, "nnlab.Optimizer", "optimizer")
  need("fit", args.train, "nnlab.Loader", "train (a loader)")
  if args.test ~= nil then need("fit", args.test, "nnlab.Loader", "test (a loader)") end
  if args.train_eval ~= nil then need("fit", args.train_eval, "nnlab.Loader", "train_eval (a loader)") end
  if args.valid ~= nil then need("fit", args.valid, "nnlab.Loader", "valid (a loader)") end
  local epochs = args.epochs
  if epochs < 1 then errors.raise("fit: epochs must be a positive integer, got %s", tostring(epochs)) end
  local factor = args.diverge_factor
  if not (factor > 1) then errors.raise("fit: diverge_factor must be a number > 1") end
  train.starting()
  local chance = chance_loss(args.loss, args.model, args.train)
  local diverge_above = chance and factor * chance or math.huge
  local history = {}
  for epoch = 1, epochs do
    local lr = args.optimizer:lr()
    local tr = engine_pass(core.train_epoch, args.model, args.loss, args.optimizer, args.train)
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
  return history
end

return train
