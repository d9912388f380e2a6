-- Fuzz target script (see fuzz_lua.h, fuzz_set_value.c): the command line of
-- `nnlab run` and `nnlab plan` (the input split at NUL bytes into
-- arguments) through nnlab.cli.parse_run and nnlab.cli.parse, and every --set value through nnlab.notebook.settings.parse
-- against a default of each type, as lab.param types it. Properties: nothing
-- raises; a refusal is one line; -j is a whole number in 1..1024; a typed
-- value has its default's type (numbers finite) or is refused with what was
-- expected; a string parameter takes the text as it is.
local cli = require "nnlab.cli"
local settings = require "nnlab.notebook.settings"

local DEFAULTS = { 10, 0.01, true, "text" }

local function split(bytes)
  local args = {}
  for arg in (bytes .. "\0"):gmatch("([^%z]*)%z") do args[#args + 1] = arg end
  return args
end

local function check_setting(text, default)
  local value, expected = settings.parse(text, default)
  assert(type(expected) == "string", "says what it expects")
  if value == nil then return end
  if math.type(default) == "float" then
    assert(math.type(value) == "float" and value - value == 0, "a finite float")
  elseif math.type(default) == "integer" then
    assert(math.type(value) == "integer", "an integer")
  elseif type(default) == "string" then
    assert(value == text, "a string setting is the text itself")
  else
    assert(type(value) == type(default), "a value of the default's type")
  end
end

return function(bytes)
  local args = split(bytes)
  for _, command in ipairs { "run", "plan" } do -- each command's own options (and refusals of the other's)
    local parsed, why = cli.parse(command, args)
    assert(parsed or (type(why) == "string" and not why:find("\n")), "a one-line refusal of " .. command)
  end
  local opts, err = cli.parse_run(args)
  if not opts then
    assert(type(err) == "string" and not err:find("\n"), "a one-line refusal")
    return
  end
  assert(opts.jobs == nil or (math.type(opts.jobs) == "integer" and opts.jobs >= 1 and opts.jobs <= 1024), "-j range")
  for _, key in ipairs(opts.set_order) do
    assert(type(key) == "string" and opts.set[key] ~= nil, "every key has its value")
    for _, default in ipairs(DEFAULTS) do check_setting(opts.set[key], default) end
  end
end
