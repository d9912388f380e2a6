-- The pure-Lua code that nnlab.notebook.serialize and nnlab.notebook.hash
-- were before they moved to C (bridge/lua_codec.c, core.codec), kept verbatim
-- as the oracle of the differential test tests/nnlab/test_codec.lua: the C
-- encoder must write the same bytes for every value (cache files are named by
-- the hash of that text), and the C reader must accept and refuse exactly the
-- texts this one does, with the same values and the same messages. Not
-- shipped: tests only.
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

-- How deep tables may nest in data text (cache entries nest three or four deep).
local MAX_DEPTH = 64

-- What follows a backslash in a quoted string, as %q and Lua's lexer read it.
local ESCAPES = { ["\\"] = "\\", ['"'] = '"', ["'"] = "'", ["\n"] = "\n", n = "\n", r = "\r", t = "\t",
                  a = "\a", b = "\b", f = "\f", v = "\v" }
local SPECIAL_VALUES = { ["(0/0)"] = 0 / 0, ["(1/0)"] = 1 / 0, ["(-1/0)"] = -1 / 0 }
local NAMED_VALUES = { ["true"] = true, ["false"] = false }

-- A reader over one text. Errors are raised as { message } tables, so that
-- decode can tell a refused text (returned as nil, why) from a bug in here
-- (raised as it is).
local function reader(text, name)
  local pos = 1
  local r = {}

  function r.fail(what)
    local line = select(2, text:sub(1, pos - 1):gsub("\n", "")) + 1
    error({ ("%s:%d: %s"):format(name, line, what) }, 0)
  end

  -- The text at pos, as a short one-line excerpt for messages.
  function r.excerpt()
    return (text:sub(pos, pos + 9):gsub("%c", "?"))
  end

  function r.skip_space()
    pos = text:find("[^ \t\r\n]", pos) or #text + 1
  end

  function r.peek() return text:sub(pos, pos) end
  function r.at_end() return pos > #text end

  function r.expect(literal)
    r.skip_space()
    if text:sub(pos, pos + #literal - 1) ~= literal then
      r.fail(("'%s' expected near '%s'"):format(literal, r.excerpt()))
    end
    pos = pos + #literal
  end

  -- A name (identifier or keyword) at pos, without consuming it.
  function r.name() return text:match("^[%a_][%w_]*", pos) end
  function r.advance(n) pos = pos + n end

  function r.string()
    local parts, i = {}, pos + 1
    while true do
      local s = text:find('["\\\n\r]', i)
      if not s then r.fail("unfinished string") end
      parts[#parts + 1] = text:sub(i, s - 1)
      local c = text:sub(s, s)
      if c == '"' then
        pos = s + 1
        return table.concat(parts)
      elseif c ~= "\\" then
        pos = s
        r.fail("unfinished string")
      end
      local escape = text:sub(s + 1, s + 1)
      local digits = text:match("^%d%d?%d?", s + 1)
      if digits then
        local code = tonumber(digits)
        if code > 255 then pos = s r.fail("decimal escape too large") end
        parts[#parts + 1] = string.char(code)
        i = s + 1 + #digits
      elseif ESCAPES[escape] then
        parts[#parts + 1] = ESCAPES[escape]
        i = s + 2
      else
        pos = s
        r.fail("invalid escape sequence")
      end
    end
  end

  function r.number()
    local token = text:match("^%-?%d[%d%.eE%+%-]*", pos)
    local value = token and tonumber(token)
    if not value then r.fail(("malformed number near '%s'"):format(r.excerpt())) end
    pos = pos + #token
    return value
  end

  function r.special()
    for literal, value in pairs(SPECIAL_VALUES) do
      if text:sub(pos, pos + #literal - 1) == literal then
        pos = pos + #literal
        return value
      end
    end
    r.fail(("unexpected '%s'"):format(r.excerpt()))
  end

  return r
end

local read_value

-- One field of a table constructor: [key] = value, name = value or a value.
local function read_field(r, t, state, depth)
  local key, value
  local word = r.name()
  if r.peek() == "[" then
    r.advance(1)
    r.skip_space()
    key = read_value(r, depth)
    if math.type(key) ~= "integer" and type(key) ~= "string" then
      r.fail("table keys must be integers or strings")
    end
    r.expect("]")
    r.expect("=")
    value = read_value(r, depth)
  elseif word and NAMED_VALUES[word] == nil and word ~= "nil" then
    if keywords[word] then r.fail(("unexpected '%s'"):format(word)) end
    r.advance(#word)
    r.expect("=")
    key, value = word, read_value(r, depth)
  else
    state.items = state.items + 1
    key, value = state.items, read_value(r, depth)
  end
  if state.seen[key] then r.fail(("duplicate key %s"):format(tostring(key))) end
  state.seen[key] = true
  t[key] = value
end

local function read_table(r, depth)
  if depth > MAX_DEPTH then r.fail(("tables nested more than %d deep"):format(MAX_DEPTH)) end
  r.advance(1) -- "{"
  local t, state = {}, { items = 0, seen = {} }
  while true do
    r.skip_space()
    if r.peek() == "}" then break end
    read_field(r, t, state, depth)
    r.skip_space()
    local sep = r.peek()
    if sep == "," or sep == ";" then r.advance(1)
    elseif sep ~= "}" then r.fail("',' or '}' expected") end
  end
  r.advance(1) -- "}"
  return t
end

function read_value(r, depth)
  r.skip_space()
  local c = r.peek()
  if c == "{" then return read_table(r, depth + 1)
  elseif c == '"' then return r.string()
  elseif c == "(" then return r.special()
  elseif c == "-" or c:match("%d") then return r.number() end
  local word = r.name()
  if word == "nil" then r.advance(3) return nil end
  if word and NAMED_VALUES[word] ~= nil then
    r.advance(#word)
    return NAMED_VALUES[word]
  end
  if r.at_end() then r.fail("unexpected end of text") end
  r.fail(("unexpected '%s'"):format((word or r.excerpt()):sub(1, 10)))
end

--- Reads data text ("return <value>", as cache files hold it) back; returns
--- the table it holds, or nil and why not ("name:line: what"). The text is
--- outside input: it is parsed, never run, and only what encode writes is
--- accepted: nil, booleans, numbers (and (0/0), (1/0), (-1/0)), double-quoted
--- strings with Lua's escapes, and tables of positional items, name = value and
--- [integer or string] = value fields, nested at most 64 deep. Time and memory
--- are linear in the length of the text.
function serialize.decode(text, name)
  if type(text) ~= "string" then return nil, "not text" end
  local r = reader(text, name or "data")
  local ok, value = pcall(function()
    r.skip_space()
    if r.name() ~= "return" then r.fail("'return' expected at the start") end
    r.advance(#"return")
    local v = read_value(r, 0)
    r.skip_space()
    if not r.at_end() then r.fail("unexpected text after the value") end
    return v
  end)
  if not ok then
    if type(value) == "table" then return nil, value[1] end
    error(value, 0) -- a bug in the reader, not a refused text
  end
  if type(value) ~= "table" then return nil, (name or "data") .. ": does not hold a table" end
  return value
end

local OFFSET, PRIME = -3750763034362895579, 1099511628211 -- 0xcbf29ce484222325, 0x100000001b3

--- FNV-1a of the bytes of s, continuing from h (a previous result) if given.
function serialize.fnv1a64(s, h)
  h = h or OFFSET
  for i = 1, #s, 4096 do
    local bytes = { s:byte(i, i + 4095) }
    for j = 1, #bytes do h = (h ~ bytes[j]) * PRIME end
  end
  return h
end

return serialize
