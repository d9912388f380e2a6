-- nnlab.nn: layers, Sequential models and losses with torch.nn's names.
-- A layer is a plain table (its spec); nn.Sequential hands the list to the
-- engine, which checks the shapes and initialises the weights from a seed.
local core = require "nnlab.core"
local errors = require "nnlab.errors"
local options = require "nnlab.options"

local nn = {}

local next_seed = 0

--- Seeds the models made from now on without an explicit `seed` option.
function nn.manual_seed(seed)
  local n = math.type(seed) == "float" and math.tointeger(seed) or seed -- 5.0 is 5, as options take it
  if math.type(n) ~= "integer" then errors.raise("nnlab.manual_seed: seed must be an integer, got %s", errors.value(seed)) end
  next_seed = n
end

--- The seed the next model made without an explicit `seed` will take (what
--- nn.manual_seed restores).
function nn.next_seed()
  return next_seed
end

local function take_seed()
  local s = next_seed
  next_seed = next_seed + 1
  return s
end

local Layer = {}
Layer.__index = Layer

--- nn.float_text(x) -> a layer's number as short as it still reads back as
--- the same 32-bit float (the engine keeps layer values as floats): 0.1,
--- 0.01, and 0.9999999, not 1. How layers and reports print their settings.
function nn.float_text(x)
  local float = string.pack("f", x)
  for digits = 6, 8 do
    local text = ("%." .. digits .. "g"):format(x)
    local back = tonumber(text)
    if back and string.pack("f", back) == float then return text end
  end
  return ("%.9g"):format(x) -- nine digits tell every float apart
end

-- A number as Python's repr shows it: a whole float 1.0, an integer 1
-- (torch.nn.Dropout(0) prints p=0, Dropout(0.0) p=0.0).
local function python_float(x)
  local text = nn.float_text(x)
  return math.type(x) == "float" and text:match("^%-?%d+$") and text .. ".0" or text
end

--- torch-style one-line description, e.g. "Linear(in_features=784, out_features=64, bias=True)".
function Layer.describe(spec)
  if spec.kind == "Linear" then
    return ("Linear(in_features=%d, out_features=%d, bias=True)"):format(spec.in_features, spec.out_features)
  elseif spec.kind == "LeakyReLU" then
    return ("LeakyReLU(negative_slope=%s)"):format(python_float(spec.negative_slope or 0.01))
  elseif spec.kind == "Dropout" then
    return ("Dropout(p=%s, inplace=False)"):format(python_float(spec.p or 0.5))
  end
  return spec.kind .. "()"
end
Layer.__tostring = Layer.describe

-- v as an integer (1e6 is one too), or an error naming the argument.
local function positive_integer(where, name, v)
  local n = math.type(v) == "float" and math.tointeger(v) or v
  if math.type(n) ~= "integer" or n < 1 then
    errors.raise("%s: %s must be a positive integer, got %s", where, name, errors.value(v))
  end
  return n
end

local inits = { torch = true, xavier_uniform = true, xavier_normal = true,
                kaiming_uniform = true, kaiming_normal = true }

-- PyTorch's layer flags that nnlab does not implement: taken at PyTorch's
-- default only (options.unsupported).
local BIAS = options.unsupported(true, "every nn.Linear of nnlab has a bias")
local INPLACE = options.unsupported(false, "nnlab's layers always write their output apart from their input")

-- A layer's options table after options.check against spec; a boolean in
-- its place is PyTorch's positional flag (`flag`: bias for Linear, inplace
-- for the activations and Dropout), as nn.ReLU(True) is in PyTorch.
local function layer_options(where, opts, spec, flag)
  if type(opts) == "boolean" and flag then opts = { [flag] = opts } end
  return options.check(where, opts, spec)
end

--- nn.Linear(in_features, out_features [, { init = "torch" | "xavier_uniform" |
--- "xavier_normal" | "kaiming_uniform" | "kaiming_normal" }])
function nn.Linear(in_features, out_features, opts, ...)
  options.no_more("nn.Linear(in_features, out_features [, options])", ...)
  in_features = positive_integer("nn.Linear", "in_features", in_features)
  out_features = positive_integer("nn.Linear", "out_features", out_features)
  local init = layer_options("nn.Linear", opts, { init = "torch", bias = BIAS }, "bias").init
  if not inits[init] then errors.raise("nn.Linear: unknown init '%s'%s", init, options.suggest(init, inits)) end
  return setmetatable({ kind = "Linear", in_features = in_features, out_features = out_features,
                        init = init }, Layer)
end

--- nn.Sigmoid(), nn.Tanh(): no options (PyTorch's have none).
function nn.Sigmoid(opts, ...)
  options.no_more("nn.Sigmoid()", ...)
  layer_options("nn.Sigmoid", opts, {})
  return setmetatable({ kind = "Sigmoid" }, Layer)
end
function nn.Tanh(opts, ...)
  options.no_more("nn.Tanh()", ...)
  layer_options("nn.Tanh", opts, {})
  return setmetatable({ kind = "Tanh" }, Layer)
end
--- nn.ReLU([{ inplace = false }])
function nn.ReLU(opts, ...)
  options.no_more("nn.ReLU([options])", ...)
  layer_options("nn.ReLU", opts, { inplace = INPLACE }, "inplace")
  return setmetatable({ kind = "ReLU" }, Layer)
end

-- x as the user wrote it, every digit of it (Lua's 14 digits show 1 - 1e-15
-- as 1.0, and -0.1 as a float reads -0.100000001).
local function as_given(x)
  local shown = tostring(x)
  if tonumber(shown) ~= x then shown = ("%.17g"):format(x) end
  return shown
end

-- PyTorch's keyword form in Lua: nn.Dropout { p = 0.2 } for nn.Dropout(p=0.2).
-- A table first argument is the options, its `name` entry the value.
local function keyword_first(value, opts, name)
  if type(value) == "table" and opts == nil then
    local o = {}
    for k, v in pairs(value) do o[k] = v end
    value, o[name] = o[name], nil
    return value, o
  end
  return value, opts
end

--- nn.LeakyReLU([negative_slope = 0.01 [, { inplace = false }]]), or
--- nn.LeakyReLU { negative_slope = s }. The slope must be >= 0 (and a float):
--- the backward reads the sign of the output (PyTorch also takes negative
--- slopes).
function nn.LeakyReLU(negative_slope, opts, ...)
  options.no_more("nn.LeakyReLU([negative_slope [, options]])", ...)
  negative_slope, opts = keyword_first(negative_slope, opts, "negative_slope")
  if negative_slope == nil then negative_slope = 0.01 end -- false is refused below, not the default
  if type(negative_slope) ~= "number" or negative_slope ~= negative_slope then
    errors.raise("nn.LeakyReLU: negative_slope must be a number, got %s", errors.value(negative_slope))
  end
  if negative_slope < 0 then -- past the float range: nn.Sequential's engine check names it
    errors.raise("nn.LeakyReLU: negative_slope must be >= 0, got %s (nnlab's backward reads the "
                 .. "sign of the output, which a negative slope flips; PyTorch takes negative slopes)",
                 as_given(negative_slope))
  end
  layer_options("nn.LeakyReLU", opts, { inplace = INPLACE }, "inplace")
  return setmetatable({ kind = "LeakyReLU", negative_slope = negative_slope }, Layer)
end

--- nn.Dropout([p = 0.5 [, { inplace = false }]]), or nn.Dropout { p = p }:
--- inverted dropout, active in training mode only.
function nn.Dropout(p, opts, ...)
  options.no_more("nn.Dropout([p [, options]])", ...)
  p, opts = keyword_first(p, opts, "p")
  layer_options("nn.Dropout", opts, { inplace = INPLACE }, "inplace")
  if p == nil then p = 0.5 end -- PyTorch's Dropout(False) is p = 0: false is refused below, not the default
  if type(p) ~= "number" then errors.raise("nn.Dropout: p must be in [0, 1), got %s", errors.value(p)) end
  local shown = as_given(p)
  if not (p >= 0 and p < 1) then errors.raise("nn.Dropout: p must be in [0, 1), got %s", shown) end
  if string.unpack("f", string.pack("f", p)) >= 1 then
    errors.raise("nn.Dropout: p must be in [0, 1), got %s (which rounds to 1 as a 32-bit float)", shown)
  end
  return setmetatable({ kind = "Dropout", p = p }, Layer)
end

--- nn.Sequential { layer, ... } [, { seed = n }] -> model.
--- The model is called like a function: model(x) -> output (a tensor).
function nn.Sequential(layers, opts, ...)
  options.no_more("nn.Sequential(layers [, options])", ...)
  if type(layers) ~= "table" then errors.raise("nn.Sequential: expected a non-empty list of layers") end
  -- every key: a list has nothing but 1..n (a hole is a nil item, a name an
  -- option put in the wrong table); ipairs alone would stop at a hole
  local count = 0
  for key in pairs(layers) do
    if math.type(key) ~= "integer" or key < 1 then
      errors.raise("nn.Sequential: the list of layers holds the key %s; options go in a second table: "
                   .. "nn.Sequential({ layer, ... }, { seed = n })",
                   type(key) == "string" and ("'%s'"):format(key) or tostring(key))
    end
    if key > count then count = key end
  end
  if count == 0 then errors.raise("nn.Sequential: expected a non-empty list of layers") end
  local seen = {}
  for i = 1, count do
    local layer = layers[i]
    if layer == nil then
      errors.raise("nn.Sequential: item %d is nil (a misspelt name, or a layer that was never made?)", i)
    end
    if getmetatable(layer) == core.metatable("nnlab.Net") then
      errors.raise("nn.Sequential: item %d is a model; models do not nest here: list its layers in this "
                   .. "nn.Sequential instead", i)
    end
    if getmetatable(layer) ~= Layer then
      local what, hint = errors.value(layer), ""
      if type(layer) == "function" then
        what, hint = "a function", " (did you write nn.ReLU instead of nn.ReLU()?)"
      elseif type(layer) == "table" and type(layer.kind) == "string" then -- model:layers()'s description
        what, hint = "a layer's description (as model:layers() lists them)", ": make layers with nn.Linear(...), "
          .. "nn.ReLU(), ...; a model's weights cannot go into another model (save the model and load it instead)"
      elseif type(layer) == "table" then
        what = "a table"
        if type(layer[1]) == "table" then hint = " (a list: give the layers themselves, not a list of them)" end
      elseif type(layer) == "userdata" then
        what = "an nnlab object (a loss function, a tensor, an optimizer?)"
      end
      errors.raise("nn.Sequential: item %d is %s, not a layer%s", i, what, hint)
    end
    -- a layer is a description, and each item gets weights of its own: the
    -- same weighted layer twice would not share them, as PyTorch's would
    if seen[layer] and layer.kind == "Linear" then
      errors.raise("nn.Sequential: items %d and %d are the same nn.Linear; nnlab does not tie weights: "
                   .. "each item gets its own, so make a new nn.Linear for each place", seen[layer], i)
    end
    seen[layer] = seen[layer] or i
  end
  local seed = options.check("nn.Sequential", opts, { seed = options.optional "integer" }).seed or take_seed()
  local model, err = core.net_new(layers, seed)
  if not model then errors.raise("nn.Sequential: %s", err) end
  return model
end

-- Methods every model has besides the C ones (forward, backward, train, eval,
-- training, num_parameters, sizes, layers, parameter_values, save).
local Net = core.metatable("nnlab.Net")

-- One parameter tensor of a model (PyTorch's nn.Parameter, as a handle): a
-- Linear layer's weight (out, in) or bias (out). p:grad() and p:data() give
-- copies, taken when called: later backwards, steps or fit never change them,
-- and writing to them never changes the model.
local Parameter = {}
Parameter.__index = Parameter
nn.Parameter = Parameter

--- p:grad() -> a new tensor with this parameter's gradient, shaped like it
--- (zeros before any backward and after zero_grad).
-- f(...), with an error of nnlab's C functions raised again at the user's
-- line as "where: why" (it named lua/nnlab/nn.lua, and 'parameter_copy').
local function at_user_line(where, f, ...)
  local ok, result = pcall(f, ...)
  if ok then return result end
  result = tostring(result):gsub("^[^:\n]*:%d+: ", ""):gsub("^bad argument #%d+ to '[^']*' %((.*)%)$", "%1")
  errors.raise("%s: %s", where, result)
end

function Parameter:grad(...)
  if getmetatable(self) ~= Parameter then errors.dot_call("parameter") end
  options.no_more("p:grad()", ...)
  return at_user_line("p:grad", self.model.parameter_copy, self.model, self.index, "grad") end
--- p:data() -> a new tensor with this parameter's values, shaped like it.
function Parameter:data(...)
  if getmetatable(self) ~= Parameter then errors.dot_call("parameter") end
  options.no_more("p:data()", ...)
  return at_user_line("p:data", self.model.parameter_copy, self.model, self.index, "data") end
--- p:size(...) -> as p:data():size(...).
function Parameter:size(...)
  if getmetatable(self) ~= Parameter then errors.dot_call("parameter") end
  local data = self:data()
  return at_user_line("p:size", data.size, data, ...)
end
--- p:dim() -> 2 for a weight, 1 for a bias.
function Parameter:dim(...)
  if getmetatable(self) ~= Parameter then errors.dot_call("parameter") end
  options.no_more("p:dim()", ...)
  return #self.shape
end
--- p:numel() -> the number of values.
function Parameter:numel(...)
  if getmetatable(self) ~= Parameter then errors.dot_call("parameter") end
  options.no_more("p:numel()", ...)
  local n = 1
  for _, d in ipairs(self.shape) do n = n * d end
  return n
end
Parameter.__tostring = function(p) return "Parameter containing:\n" .. tostring(p:data()) end

local Parameters = {}
-- params[i]: the i-th parameter tensor (PyTorch's order: each Linear's weight,
-- then its bias); nil past the last, so ipairs(params) walks them all.
Parameters.__index = function(p, k)
  if Parameters[k] ~= nil then return Parameters[k] end
  if math.type(k) ~= "integer" then return nil end
  local list = rawget(p, "tensors")
  if not list then
    list = p.model:parameter_tensors()
    rawset(p, "tensors", list)
  end
  local info = list[k]
  if not info then return nil end
  return setmetatable({ model = p.model, index = k, name = ("%d.%s"):format(info.layer, info.name),
                        shape = info.size }, Parameter)
end
Parameters.__len = function(p) return p.model:num_parameters() end
Parameters.__tostring = function(p) return ("Parameters(%d)"):format(p.model:num_parameters()) end

-- model:save(path [, { deflate = true }]) -> true | nil, message: the C
-- method, with its arguments checked as nnlab.save checks them (a path
-- that is not a string, an unknown or misspelt option: an error at the
-- user's line); a file that cannot be written returns nil, message.
local c_save = Net.__index.save
function Net.__index.save(model, path, opts)
  if getmetatable(model) ~= Net then errors.raise("model:save: call it with a colon, model:save(path)") end
  if type(path) ~= "string" then
    errors.raise("model:save: argument 1 must be the file's path (a string), got %s", errors.value(path))
  end
  local checked = options.check("model:save", opts, { deflate = false })
  -- a symbolic link is saved through, to the file it names: the write's
  -- rename would otherwise replace the link by a file (a dangling one is
  -- replaced, as before)
  local info = core.proc.stat(path)
  if info and info.type == "link" then path = core.proc.realpath(path) or path end
  return c_save(model, path, checked)
end

--- model:parameters() -> the handle an optimizer takes; #params is the
--- number of values (model:num_parameters()); params[i] and ipairs(params)
--- give the parameter tensors (nn.Parameter handles).
function Net.__index.parameters(model)
  if getmetatable(model) ~= core.metatable("nnlab.Net") then errors.dot_call("model") end
  return setmetatable({ model = model }, Parameters)
end
nn.Parameters = Parameters

nn.utils = {}

--- nn.utils.clip_grad_norm_(params, max_norm [, norm_type = 2]) -> the total
--- norm of the gradients before clipping (a number). When it exceeds max_norm,
--- every gradient is scaled by max_norm / (total_norm + 1e-6), as in PyTorch.
--- params: model:parameters() (or the model, or the list of all its
--- parameter tensors); norm_type > 0, or math.huge / "inf" for the max norm.
function nn.utils.clip_grad_norm_(params, max_norm, norm_type, ...)
  options.no_more("nn.utils.clip_grad_norm_(params, max_norm [, norm_type])", ...)
  local where = "nn.utils.clip_grad_norm_"
  local model
  local mt = getmetatable(params)
  if mt == Parameters then model = params.model
  elseif mt == Net then model = params
  elseif type(params) == "table" and mt == nil and getmetatable(params[1]) == Parameter then
    model = params[1].model
    local all = model:parameter_tensors()
    local seen, count = {}, 0
    for i, p in ipairs(params) do
      if getmetatable(p) ~= Parameter or p.model ~= model then
        errors.raise("%s: item %d is not a parameter of the same model as item 1", where, i)
      end
      if not seen[p.index] then seen[p.index], count = true, count + 1 end
    end
    if count ~= #all then
      errors.raise("%s: nnlab clips all of a model's gradients at once: pass model:parameters()", where)
    end
  else
    errors.raise("%s: expected model:parameters(), got %s", where, type(params))
  end
  if type(max_norm) ~= "number" or max_norm ~= max_norm or max_norm < 0 then
    errors.raise("%s: max_norm must be a number >= 0, got %s", where, errors.value(max_norm))
  end
  if norm_type == nil then norm_type = 2 end
  if norm_type == "inf" then norm_type = math.huge end
  if type(norm_type) ~= "number" or not (norm_type > 0) then
    errors.raise("%s: norm_type must be a number > 0 or math.huge, got %s", where, errors.value(norm_type))
  end
  return model:clip_grad_norm(max_norm, norm_type)
end

Net.__tostring = function(model)
  -- a closed model prints as one: messages that show a bad value use tostring
  local ok, layers = pcall(model.layers, model)
  if not ok then return "Sequential(closed)" end
  local lines = { "Sequential(" }
  for i, spec in ipairs(layers) do
    lines[#lines + 1] = ("  (%d): %s"):format(i - 1, Layer.describe(spec))
  end
  lines[#lines + 1] = ")"
  return table.concat(lines, "\n")
end

-- PyTorch's loss options that nnlab does not implement: taken at PyTorch's
-- default only (options.unsupported).
local MEAN = options.unsupported("mean", "nnlab's losses are always the mean (reduction = 'mean')")

--- nn.CrossEntropyLoss([{ reduction = "mean" }]): logits vs class labels
--- (mean over the batch). PyTorch's weight, ignore_index and label_smoothing
--- are taken at their defaults only.
function nn.CrossEntropyLoss(opts, ...)
  options.no_more("nn.CrossEntropyLoss([options])", ...)
  options.check("nn.CrossEntropyLoss", opts, {
    reduction = MEAN,
    weight = options.unsupported(nil, "nnlab's cross entropy weighs every class the same"),
    ignore_index = options.unsupported(-100, "nnlab's cross entropy counts every label"),
    label_smoothing = options.unsupported(0, "nnlab's cross entropy has no label smoothing"),
  })
  return core.loss_new("cross_entropy")
end
--- nn.MSELoss([{ reduction = "mean" }]): vs a float tensor of the same
--- shape, or vs class labels (one-hot); the mean over every value.
function nn.MSELoss(opts, ...)
  options.no_more("nn.MSELoss([options])", ...)
  options.check("nn.MSELoss", opts, { reduction = MEAN })
  return core.loss_new("mse")
end

return require("nnlab.strict").module(nn, "nn", "layer or loss")
