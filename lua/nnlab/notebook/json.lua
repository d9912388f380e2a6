-- nnlab.notebook.json: writes Lua values as JSON (results.json). Tables with keys
-- 1..n become arrays, others objects with their keys sorted, so the same
-- results give the same file. NaN and infinities, which JSON lacks, become null.
local serialize = require "nnlab.notebook.serialize"

local json = {}

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
                  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local function is_array(t)
  local n = #t
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return n > 0 or next(t) == nil
end

local function encode(v, out, indent)
  local tv = type(v)
  if tv == "number" then
    out[#out + 1] = (v ~= v or v == math.huge or v == -math.huge) and "null"
                    or serialize.number(v):gsub("%.0$", "")
  elseif tv == "string" then out[#out + 1] = quote(v)
  elseif tv == "boolean" then out[#out + 1] = tostring(v)
  elseif tv == "nil" then out[#out + 1] = "null"
  elseif tv == "table" then
    local inner = indent .. "  "
    if is_array(v) then
      if #v == 0 then out[#out + 1] = "[]" return end
      -- arrays of scalars stay on one line; arrays of tables get a line each
      local flat = type(v[1]) ~= "table"
      out[#out + 1] = "["
      for i, item in ipairs(v) do
        if i > 1 then out[#out + 1] = "," end
        if not flat then out[#out + 1] = "\n" .. inner end
        encode(item, out, inner)
      end
      out[#out + 1] = flat and "]" or "\n" .. indent .. "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        out[#out + 1] = (i > 1 and ", " or "") .. quote(k) .. ": "
        local item = v[k]
        if item == nil then item = v[math.tointeger(tonumber(k))] end
        encode(item, out, inner)
      end
      out[#out + 1] = "}"
    end
  else
    error(("json: cannot encode a %s"):format(tv), 0)
  end
end

--- The JSON text of v (one line per element of an array of tables).
function json.encode(v)
  local out = {}
  encode(v, out, "")
  return table.concat(out)
end

return json
