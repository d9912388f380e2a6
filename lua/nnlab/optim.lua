-- nnlab.optim: SGD, Adam and AdamW with torch.optim's option names and
-- defaults, and torch's learning-rate schedulers (StepLR, ExponentialLR,
-- CosineAnnealingLR). The engine validates every value; errors name the option.
local core = require "nnlab.core"

local optim = { lr_scheduler = {} }

-- `level` arguments below count from the function that takes them: 2 is its
-- caller. Public functions pass the level at which the user's line stands.
local function model_of(params, where, level)
  local nn = require "nnlab.nn"
  if getmetatable(params) == nn.Parameters then return params.model end
  if getmetatable(params) == core.metatable("nnlab.Net") then return params end
  error(where .. ": expected model:parameters()", level + 1)
end

local function options(where, opts, defaults, level)
  level = level + 1
  opts = opts or {}
  if type(opts) ~= "table" then error(where .. ": options must be a table", level) end
  local out = {}
  for k, v in pairs(defaults) do out[k] = v end
  for k, v in pairs(opts) do
    if defaults[k] == nil then error(("%s: unknown option '%s'"):format(where, tostring(k)), level) end
    if type(v) ~= type(defaults[k]) then
      error(("%s: option '%s' must be a %s, got %s"):format(where, k, type(defaults[k]), type(v)), level)
    end
    out[k] = v
  end
  return out
end

local function make(where, params, config, level)
  local opt, err = core.optimizer_new(model_of(params, where, level + 1), config)
  if not opt then error(where .. ": " .. err, level + 1) end
  return opt
end

--- optim.SGD(params, { lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false })
function optim.SGD(params, opts)
  local o = options("optim.SGD", opts,
    { lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false }, 2)
  o.kind = "SGD"
  return (make("optim.SGD", params, o, 2))
end

local function adam(kind, params, opts, default_wd, level)
  local where = "optim." .. kind
  local o = options(where, opts, { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = default_wd },
                    level + 1)
  if #o.betas ~= 2 or type(o.betas[1]) ~= "number" or type(o.betas[2]) ~= "number" then
    error(where .. ": betas must be a pair of numbers { beta1, beta2 }", level + 1)
  end
  local opt = make(where, params, { kind = kind, lr = o.lr, weight_decay = o.weight_decay,
                               beta1 = o.betas[1], beta2 = o.betas[2], eps = o.eps }, level + 1)
  return opt
end

--- optim.Adam(params, { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0 })
function optim.Adam(params, opts) return (adam("Adam", params, opts, 0, 2)) end
--- optim.AdamW(params, { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 1e-2 })
function optim.AdamW(params, opts) return (adam("AdamW", params, opts, 1e-2, 2)) end

-- Schedulers: scheduler:step() once per epoch, as in PyTorch.
local Scheduler = {}
Scheduler.__index = Scheduler

function Scheduler:step()
  self.last_epoch = self.last_epoch + 1
  local lr = assert(core.schedule_lr(self.kind, self.base_lr, self.last_epoch,
                                     self.step_size, self.gamma, self.t_max, self.eta_min))
  assert(self.optimizer:set_lr(lr))
  return lr
end

function Scheduler:get_last_lr() return { self.optimizer:lr() } end

local function scheduler(where, kind, optimizer, opts, defaults, level)
  level = level + 1
  if getmetatable(optimizer) ~= core.metatable("nnlab.Optimizer") then
    error(where .. ": expected an optimizer", level)
  end
  local o = options(where, opts, defaults, level)
  local s = setmetatable({ kind = kind, optimizer = optimizer, base_lr = optimizer:lr(), last_epoch = 0,
                           step_size = o.step_size, gamma = o.gamma, t_max = o.T_max,
                           eta_min = o.eta_min }, Scheduler)
  local lr, err = core.schedule_lr(kind, s.base_lr, 0, s.step_size, s.gamma, s.t_max, s.eta_min)
  if not lr then error(where .. ": " .. err, level) end
  return s
end

--- StepLR(optimizer, { step_size = n, gamma = 0.1 })
function optim.lr_scheduler.StepLR(optimizer, opts)
  if not (opts and opts.step_size) then error("StepLR: step_size is required", 2) end
  return (scheduler("StepLR", "step", optimizer, opts, { step_size = 1, gamma = 0.1 }, 2))
end

--- ExponentialLR(optimizer, { gamma = g })
function optim.lr_scheduler.ExponentialLR(optimizer, opts)
  if not (opts and opts.gamma) then error("ExponentialLR: gamma is required", 2) end
  return (scheduler("ExponentialLR", "exponential", optimizer, opts, { gamma = 1.0 }, 2))
end

--- CosineAnnealingLR(optimizer, { T_max = n, eta_min = 0 })
function optim.lr_scheduler.CosineAnnealingLR(optimizer, opts)
  if not (opts and opts.T_max) then error("CosineAnnealingLR: T_max is required", 2) end
  return (scheduler("CosineAnnealingLR", "cosine", optimizer, opts, { T_max = 1, eta_min = 0.0 }, 2))
end

local strict = require "nnlab.strict"
strict.module(optim.lr_scheduler, "optim.lr_scheduler", "scheduler")
return strict.module(optim, "optim", "optimizer")
