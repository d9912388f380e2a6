-- nnlab.optim: SGD, Adam and AdamW with torch.optim's option names and
-- defaults, and torch's learning-rate schedulers (StepLR, ExponentialLR,
-- CosineAnnealingLR). The engine validates every value; errors name the option.
local core = require "nnlab.core"
local errors = require "nnlab.errors"
local options = require "nnlab.options"

local optim = { lr_scheduler = {} }

local function model_of(params, where)
  local nn = require "nnlab.nn"
  if getmetatable(params) == nn.Parameters then return params.model end
  if getmetatable(params) == core.metatable("nnlab.Net") then return params end
  errors.raise("%s: expected model:parameters(), got %s", where, errors.value(params))
end

local function make(where, params, config)
  local opt, err = core.optimizer_new(model_of(params, where), config)
  if not opt then errors.raise("%s: %s", where, err) end
  return opt
end

-- PyTorch's options that nnlab's optimizers do not implement: taken at their
-- default only (options.unsupported).
local MAXIMIZE = options.unsupported(false, "nnlab's optimizers always minimize the loss")
local AMSGRAD = options.unsupported(false, "nnlab's Adam keeps no maximum of the second moments")

--- optim.SGD(params, { lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false })
function optim.SGD(params, opts, ...)
  options.no_more("optim.SGD(params [, options])", ...)
  local o = options.check("optim.SGD", opts,
    { lr = 1e-3, momentum = 0.0, dampening = 0.0, weight_decay = 0.0, nesterov = false, maximize = MAXIMIZE })
  return make("optim.SGD", params, { kind = "SGD", lr = o.lr, momentum = o.momentum, dampening = o.dampening,
                                      weight_decay = o.weight_decay, nesterov = o.nesterov })
end

local function adam(kind, params, opts, default_wd)
  local where = "optim." .. kind
  local o = options.check(where, opts, { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = default_wd,
                                         amsgrad = AMSGRAD, maximize = MAXIMIZE })
  if #o.betas ~= 2 or type(o.betas[1]) ~= "number" or type(o.betas[2]) ~= "number" then
    errors.raise("%s: betas must be a pair of numbers { beta1, beta2 }", where)
  end
  return make(where, params, { kind = kind, lr = o.lr, weight_decay = o.weight_decay,
                               beta1 = o.betas[1], beta2 = o.betas[2], eps = o.eps })
end

--- optim.Adam(params, { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0 })
function optim.Adam(params, opts, ...)
  options.no_more("optim.Adam(params [, options])", ...)
  return adam("Adam", params, opts, 0.0)
end
--- optim.AdamW(params, { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 1e-2 })
function optim.AdamW(params, opts, ...)
  options.no_more("optim.AdamW(params [, options])", ...)
  return adam("AdamW", params, opts, 1e-2)
end

local Optimizer = core.metatable("nnlab.Optimizer").__index
local c_set_lr = Optimizer.set_lr

-- The largest 32-bit float: the engine steps with a float copy of the lr.
local FLOAT_MAX = 0x1.fffffep127

-- optimizer:set_lr(lr) -> true, or an error at the user's line naming the
-- cause (the engine's own set_lr returns nil and a message, which a loop
-- that does not look at it would ignore, going on at the old lr).
local function set_lr(optimizer, lr, where)
  if type(lr) ~= "number" then errors.raise("%s: the learning rate must be a number, got %s", where, errors.value(lr)) end
  local ok, err = c_set_lr(optimizer, lr)
  if ok then return true end
  if math.abs(lr) > FLOAT_MAX and math.abs(lr) < math.huge then
    err = ("%s is past the largest 32-bit float (%.4g), which the engine steps with"):format(lr, FLOAT_MAX)
  end
  errors.raise("%s: %s", where, err)
end

--- optimizer:set_lr(lr) -> true; an lr the optimizer cannot take (negative,
--- NaN, past the float range) is an error at the user's line.
function Optimizer.set_lr(optimizer, lr) return set_lr(optimizer, lr, "optimizer:set_lr") end

-- Schedulers: scheduler:step() once per epoch, as in PyTorch.
local Scheduler = { __name = "nnlab.Scheduler" }
Scheduler.__index = Scheduler
--- The metatable of every scheduler made here (a sweep keys these by their
--- settings, and refuses schedulers of other makes).
optim.lr_scheduler.Scheduler = Scheduler

local SCHEDULER_NAMES = { step = "StepLR", exponential = "ExponentialLR", cosine = "CosineAnnealingLR" }

-- The lr of the epoch after the scheduler's last, from the optimizer's
-- current lr as PyTorch's step() computes it in Python floats (its
-- chainable get_lr, not the closed form: the two differ in the last bits,
-- and only this one goes on from an lr set by hand between steps).
local function next_lr(s, epoch)
  local lr = s.optimizer:lr()
  if s.kind == "step" then
    return epoch % s.step_size == 0 and lr * s.gamma or lr
  elseif s.kind == "exponential" then
    return lr * s.gamma
  end
  local pi, t_max, eta_min = math.pi, s.t_max, s.eta_min -- cosine
  if (epoch - 1 - t_max) % (2 * t_max) == 0 then
    return lr + (s.base_lr - eta_min) * (1 - math.cos(pi / t_max)) / 2
  end
  return (1 + math.cos(pi * epoch / t_max)) / (1 + math.cos(pi * (epoch - 1) / t_max)) * (lr - eta_min) + eta_min
end

--- scheduler:step() -> the new lr, PyTorch's (next_lr). A schedule that
--- takes the lr out of what the optimizer can take (ExponentialLR with gamma
--- > 1, stepped long enough, passes the float range) is an error at the
--- user's line: the step call, or nnlab.fit's; the scheduler is left as it
--- was. PyTorch's deprecated step(epoch) is refused.
function Scheduler:step(...)
  if getmetatable(self) ~= Scheduler then errors.dot_call("scheduler") end
  if select("#", ...) > 0 then
    errors.raise("%s:step() takes no epoch (PyTorch's step(epoch) is deprecated): call it once per epoch",
                 SCHEDULER_NAMES[self.kind])
  end
  local epoch = self.last_epoch + 1
  local lr = next_lr(self, epoch)
  set_lr(self.optimizer, lr, ("%s: step %d gives a learning rate the optimizer cannot take")
                               :format(SCHEDULER_NAMES[self.kind], epoch))
  self.last_epoch, self.last_lr = epoch, lr
  return lr
end

--- scheduler:get_last_lr() -> { the lr its last step set } (the optimizer's
--- lr when it was made, before any step), as PyTorch's.
function Scheduler:get_last_lr(...)
  if getmetatable(self) ~= Scheduler then errors.dot_call("scheduler") end
  options.no_more("scheduler:get_last_lr()", ...)
  return { self.last_lr }
end

-- A scheduler of `kind` after checking its options against spec; `required`
-- names the option it cannot do without.
local function scheduler(where, kind, optimizer, opts, spec, required)
  if getmetatable(optimizer) ~= core.metatable("nnlab.Optimizer") then
    errors.raise("%s: expected an optimizer, got %s", where, errors.value(optimizer))
  end
  local o = options.check(where, opts, spec)
  if o[required] == nil then errors.raise("%s: %s is required", where, required) end
  local s = setmetatable({ kind = kind, optimizer = optimizer, base_lr = optimizer:lr(), last_lr = optimizer:lr(),
                           last_epoch = 0,
                           step_size = o.step_size, gamma = o.gamma, t_max = o.T_max,
                           eta_min = o.eta_min }, Scheduler)
  local ok, err = core.schedule_check(kind, s.step_size, s.gamma, s.t_max, s.eta_min)
  if not ok then errors.raise("%s: %s", where, err) end
  return s
end

--- StepLR(optimizer, { step_size = n, gamma = 0.1 })
function optim.lr_scheduler.StepLR(optimizer, opts, ...)
  options.no_more("optim.lr_scheduler.StepLR(optimizer, options)", ...)
  return scheduler("StepLR", "step", optimizer, opts, { step_size = options.optional "integer", gamma = 0.1 },
                   "step_size")
end

--- ExponentialLR(optimizer, { gamma = g })
function optim.lr_scheduler.ExponentialLR(optimizer, opts, ...)
  options.no_more("optim.lr_scheduler.ExponentialLR(optimizer, options)", ...)
  return scheduler("ExponentialLR", "exponential", optimizer, opts, { gamma = options.optional "number" }, "gamma")
end

--- CosineAnnealingLR(optimizer, { T_max = n, eta_min = 0 })
function optim.lr_scheduler.CosineAnnealingLR(optimizer, opts, ...)
  options.no_more("optim.lr_scheduler.CosineAnnealingLR(optimizer, options)", ...)
  return scheduler("CosineAnnealingLR", "cosine", optimizer, opts,
                   { T_max = options.optional "integer", eta_min = 0.0 }, "T_max")
end

local strict = require "nnlab.strict"
strict.module(optim.lr_scheduler, "optim.lr_scheduler", "scheduler")
return strict.module(optim, "optim", "optimizer")
