-- nnlab.notebook.serialize: Lua values as canonical Lua text and back. The same value
-- always gives the same text (keys sorted, numbers in their shortest exact
-- form, integers and floats kept apart), so the text can be hashed into a
-- cache key. Reading text back treats it as outside input: a strict parser of
-- exactly what encode writes reads it as data; nothing in it is ever run.
local codec = require("nnlab.core").codec

local serialize = {}

--- The shortest decimal text that reads back as exactly x; floats that look
--- like integers keep a ".0" so they read back as floats. NaN and infinities
--- are written as the expressions (0/0), (1/0) and (-1/0).
function serialize.number(x)
  if math.type(x) == "integer" then return ("%d"):format(x) end
  if x ~= x then return "(0/0)" end
  if x == math.huge then return "(1/0)" end
  if x == -math.huge then return "(-1/0)" end
  local text = ("%.15g"):format(x)
  if tonumber(text) ~= x then
    text = ("%.16g"):format(x)
    if tonumber(text) ~= x then text = ("%.17g"):format(x) end
  end
  if not text:find("[%.eEn]") then text = text .. ".0" end
  return text
end

local keywords = {}
for word in ([[and break do else elseif end false for function goto if in local nil not or
               repeat return then true until while]]):gmatch("%a+") do keywords[word] = true end

local function is_identifier(s)
  return s:match("^[%a_][%w_]*$") ~= nil and not keywords[s]
end

local function sorted_keys(t, where)
  local ints, strs = {}, {}
  for k in pairs(t) do
    if math.type(k) == "integer" then ints[#ints + 1] = k
    elseif type(k) == "string" then strs[#strs + 1] = k
    else error(("%s: cannot serialise a %s key"):format(where, type(k)), 0) end
  end
  table.sort(ints)
  table.sort(strs)
  return ints, strs
end

local function encode(v, out, seen, where)
  local tv = type(v)
  if tv == "number" then out[#out + 1] = serialize.number(v)
  elseif tv == "string" then out[#out + 1] = ("%q"):format(v)
  elseif tv == "boolean" or tv == "nil" then out[#out + 1] = tostring(v)
  elseif tv == "table" then
    if seen[v] then error(where .. ": cannot serialise a table that contains itself", 0) end
    seen[v] = true
    local ints, strs = sorted_keys(v, where)
    out[#out + 1] = "{"
    local n = 0 -- the array part 1..n is written without keys
    while ints[n + 1] == n + 1 do n = n + 1 end
    for i = 1, n do
      encode(v[i], out, seen, where)
      out[#out + 1] = ","
    end
    for i = n + 1, #ints do
      out[#out + 1] = ("[%d]="):format(ints[i])
      encode(v[ints[i]], out, seen, where)
      out[#out + 1] = ","
    end
    for _, k in ipairs(strs) do
      out[#out + 1] = is_identifier(k) and k .. "=" or ("[%q]="):format(k)
      encode(v[k], out, seen, where)
      out[#out + 1] = ","
    end
    out[#out + 1] = "}"
    seen[v] = nil
  else
    error(("%s: cannot serialise a %s"):format(where, tv), 0)
  end
end

--- The canonical text of v (nil, booleans, numbers, strings and tables of
--- them with string or integer keys), without a leading "return".
function serialize.encode(v)
  local out = {}
  encode(v, out, {}, "serialize")
  return table.concat(out)
end

--- Reads data text ("return <value>", as cache files hold it) back; returns
--- the table it holds, or nil and why not ("name:line: what"). The text is
--- outside input: it is parsed, never run, and only what encode writes is
--- accepted: nil, booleans, numbers (and (0/0), (1/0), (-1/0)), double-quoted
--- strings with Lua's escapes, and tables of positional items, name = value and
--- [integer or string] = value fields, nested at most 64 deep. Time and memory
--- are linear in the length of the text. (In C, for speed: core.codec.decode,
--- bridge/lua_codec.c; tests/nnlab/serialize_reference.lua is the Lua reader
--- it must agree with.)
serialize.decode = codec.decode

return serialize
