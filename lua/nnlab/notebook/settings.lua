-- nnlab.notebook.settings: the text of `--set name=text` typed like the
-- default of the lab.param it sets. Pure: no state, never raises.
local settings = {}

local BOOLEANS = { ["true"] = true, yes = true, on = true, ["1"] = true,
                   ["false"] = false, no = false, off = false, ["0"] = false }

--- settings.parse(text, default) -> the value (integer, finite number,
--- boolean or string, like default), or nil and what was expected ("an
--- integer"). Never raises, whatever the text.
function settings.parse(text, default)
  local kind = math.type(default) or type(default)
  if kind == "integer" then
    return math.tointeger(tonumber(text)), "an integer"
  elseif kind == "float" then
    local n = tonumber(text)
    if not n then return nil, "a number" end
    if n - n ~= 0 then return nil, "a finite number" end -- inf, -inf or nan
    return n + 0.0, "a number"
  elseif kind == "boolean" then
    return BOOLEANS[text:lower()], "true or false (or yes/no, on/off, 1/0)"
  end
  return text, "a string"
end

return settings
