-- nnlab.notebook.json: writes Lua values as JSON (results.json). Tables with keys
-- 1..n become arrays, others objects with their keys sorted, so the same
-- results give the same file. NaN and infinities, which JSON lacks, become null;
-- bytes that are not UTF-8, which JSON must be, U+FFFD.
-- A long array of tables can be written an item at a time (json.stream,
-- json.write): results.json of 10^5 runs is never held whole, as tables or
-- as text; its rows, all of one shape, go through a writer made once for
-- that shape (json.object_writer).
local escape = require "nnlab.notebook.escape"
local serialize = require "nnlab.notebook.serialize"

local json = {}

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
                  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

-- A JSON string: UTF-8 (bytes that are not as U+FFFD, escape.utf8), quotes,
-- backslashes and control characters escaped.
local function quote(s)
  s = escape.utf8(s)
  if not s:find('[%c"\\]') then return '"' .. s .. '"' end
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

-- The metatable of an array whose items come one at a time (json.stream).
local Stream = {}
-- The metatable of text already encoded (json.raw).
local Raw = {}

local function encode(v, out, indent)
  local tv = type(v)
  if tv == "table" and getmetatable(v) == Stream then -- written by json.write, in its place
    v.indent = indent
    out[#out + 1] = v
    return
  end
  if tv == "number" then
    if v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "null" return end
    local text = serialize.number(v)
    if text:sub(-2) == ".0" then text = text:sub(1, -3) end
    out[#out + 1] = text
  elseif tv == "string" then out[#out + 1] = quote(v)
  elseif tv == "boolean" then out[#out + 1] = tostring(v)
  elseif tv == "nil" then out[#out + 1] = "null"
  elseif tv == "table" and getmetatable(v) == Raw then out[#out + 1] = v.text
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

-- Writes the array of a json.stream value: the text encode gives an array
-- of tables at that indent, an item at a time.
local function write_stream(s, write)
  local inner, n = "\n" .. s.indent .. "  ", 0
  s.each(function(item)
    n = n + 1
    write((n == 1 and "[" or ",") .. inner .. (s.object or json.encode)(item, s.indent .. "  "))
  end)
  write(n == 0 and "[]" or "\n" .. s.indent .. "]")
end

--- json.write(v, write): calls write(piece) with the pieces of the JSON text
--- of v in order (their concatenation is json.encode(v)); a json.stream in
--- v is encoded an item at a time.
function json.write(v, write)
  local out = {}
  encode(v, out, "")
  for _, piece in ipairs(out) do
    if type(piece) == "string" then write(piece) else write_stream(piece, write) end
  end
end

--- The JSON text of v (one line per element of an array of tables). indent:
--- where v sits in a larger document, "" for a whole one.
function json.encode(v, indent)
  local out = {}
  encode(v, out, indent or "")
  for i, piece in ipairs(out) do
    if type(piece) ~= "string" then
      local pieces = {}
      write_stream(piece, function(text) pieces[#pieces + 1] = text end)
      out[i] = table.concat(pieces)
    end
  end
  return table.concat(out)
end

--- json.stream(each [, object]) -> a value that json.encode and json.write
--- write as an array of tables, the items that each(emit) passes to
--- emit(item) in order: the same text as the array of those tables would
--- give. Only json.write writes it without holding every item at once.
--- object: a json.object_writer that every item suits, to write them faster.
function json.stream(each, object)
  return setmetatable({ each = each, object = object }, Stream)
end

--- json.object_writer(names) -> function(t, indent) giving json.encode(t,
--- indent) for a table t whose keys are among names (strings) and not all
--- nil: the same text, with the names sorted and quoted once, not per table
--- (the rows of results.json: 10^5 and more of one shape).
function json.object_writer(names)
  local sorted = table.move(names, 1, #names, 1, {})
  table.sort(sorted)
  local quoted = {}
  for i, k in ipairs(sorted) do quoted[i] = quote(k) .. ": " end
  return function(t, indent)
    local out, first = { "{" }, true
    local inner = (indent or "") .. "  "
    for i, k in ipairs(sorted) do
      local v = t[k]
      if v ~= nil then
        out[#out + 1] = first and quoted[i] or ", " .. quoted[i]
        first = false
        encode(v, out, inner)
      end
    end
    out[#out + 1] = "}"
    return table.concat(out)
  end
end

--- json.raw(text) -> a value json.encode writes as text, unchanged: JSON
--- encoded once for many places (a variation's parameters in each of its rows).
function json.raw(text)
  return setmetatable({ text = text }, Raw)
end

return json
