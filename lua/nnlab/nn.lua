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
  if math.type(seed) ~= "integer" then errors.raise("manual_seed: seed must be an integer") end
  next_seed = seed
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

--- torch-style one-line description, e.g. "Linear(in_features=784, out_features=64, bias=True)".
function Layer.describe(spec)
  if spec.kind == "Linear" then
    return ("Linear(in_features=%d, out_features=%d, bias=True)"):format(spec.in_features, spec.out_features)
  elseif spec.kind == "LeakyReLU" then
    return ("LeakyReLU(negative_slope=%s)"):format(nn.float_text(spec.negative_slope or 0.01))
  elseif spec.kind == "Dropout" then
    return ("Dropout(p=%s, inplace=False)"):format(nn.float_text(spec.p or 0.5))
  end
  return spec.kind .. "()"
end
Layer.__tostring = Layer.describe

-- v as an integer (1e6 is one too), or an error naming the argument.
local function positive_integer(where, name, v)
  local n = math.type(v) == "float" and math.tointeger(v) or v
  if math.type(n) ~= "integer" or n < 1 then
    errors.raise("%s: %s must be a positive integer, got %s", where, name, tostring(v))
  end
  return n
end

local inits = { torch = true, xavier_uniform = true, xavier_normal = true,
                kaiming_uniform = true, kaiming_normal = true }

--- nn.Linear(in_features, out_features [, { init = "torch" | "xavier_uniform" |
--- "xavier_normal" | "kaiming_uniform" | "kaiming_normal" }])
function nn.Linear(in_features, out_features, opts)
  in_features = positive_integer("nn.Linear", "in_features", in_features)
  out_features = positive_integer("nn.Linear", "out_features", out_features)
  local init = options.check("nn.Linear", opts, { init = "torch" }).init
  if not inits[init] then errors.raise("nn.Linear: unknown init '%s'%s", init, options.suggest(init, inits)) end
  return setmetatable({ kind = "Linear", in_features = in_features, out_features = out_features,
                        init = init }, Layer)
end

function nn.Sigmoid() return setmetatable({ kind = "Sigmoid" }, Layer) end
function nn.ReLU() return setmetatable({ kind = "ReLU" }, Layer) end
function nn.Tanh() return setmetatable({ kind = "Tanh" }, Layer) end

--- nn.LeakyReLU([negative_slope = 0.01])
function nn.LeakyReLU(negative_slope)
  negative_slope = negative_slope or 0.01
  if type(negative_slope) ~= "number" or negative_slope ~= negative_slope then
    errors.raise("nn.LeakyReLU: negative_slope must be a number")
  end
  return setmetatable({ kind = "LeakyReLU", negative_slope = negative_slope }, Layer)
end

--- nn.Dropout([p = 0.5]): inverted dropout, active in training mode only.
function nn.Dropout(p)
  p = p or 0.5
  if type(p) ~= "number" then errors.raise("nn.Dropout: p must be in [0, 1), got %s", tostring(p)) end
  -- the value as given, every digit of it (Lua's 14 digits show 1 - 1e-15 as 1.0)
  local shown = tostring(p)
  if tonumber(shown) ~= p then shown = ("%.17g"):format(p) end
  if not (p >= 0 and p < 1) then errors.raise("nn.Dropout: p must be in [0, 1), got %s", shown) end
  if string.unpack("f", string.pack("f", p)) >= 1 then
    errors.raise("nn.Dropout: p must be in [0, 1), got %s (which rounds to 1 as a 32-bit float)", shown)
  end
  return setmetatable({ kind = "Dropout", p = p }, Layer)
end

--- nn.Sequential { layer, ... } [, { seed = n }] -> model.
--- The model is called like a function: model(x) -> output (a tensor).
function nn.Sequential(layers, opts)
  if type(layers) ~= "table" or #layers == 0 then
    errors.raise("nn.Sequential: expected a non-empty list of layers")
  end
  for i, layer in ipairs(layers) do
    if getmetatable(layer) ~= Layer then
      errors.raise("nn.Sequential: item %d is not a layer (did you write nn.ReLU instead of nn.ReLU()?)", i)
    end
  end
  local seed = options.check("nn.Sequential", opts, { seed = options.optional "integer" }).seed or take_seed()
  local model, err = core.net_new(layers, seed)
  if not model then errors.raise("nn.Sequential: %s", err) end
  return model
end

-- Methods every model has besides the C ones (forward, backward, train, eval,
-- training, num_parameters, sizes, layers, parameter_values, save).
local Net = core.metatable("nnlab.Net")
local Parameters = {}
Parameters.__index = Parameters
Parameters.__len = function(p) return p.model:num_parameters() end
Parameters.__tostring = function(p) return ("Parameters(%d)"):format(p.model:num_parameters()) end

--- model:parameters() -> the handle an optimizer takes; #params is the count.
function Net.__index.parameters(model)
  return setmetatable({ model = model }, Parameters)
end
nn.Parameters = Parameters

Net.__tostring = function(model)
  local lines = { "Sequential(" }
  for i, spec in ipairs(model:layers()) do
    lines[#lines + 1] = ("  (%d): %s"):format(i - 1, Layer.describe(spec))
  end
  lines[#lines + 1] = ")"
  return table.concat(lines, "\n")
end

--- nn.CrossEntropyLoss(): logits vs class labels (mean over the batch).
function nn.CrossEntropyLoss() return core.loss_new("cross_entropy") end
--- nn.MSELoss(): vs a float tensor of the same shape, or vs class labels (one-hot).
function nn.MSELoss() return core.loss_new("mse") end

return require("nnlab.strict").module(nn, "nn", "layer or loss")
