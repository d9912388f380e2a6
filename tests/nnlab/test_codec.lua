-- core.codec (bridge/lua_codec.c) against the pure-Lua code it replaced, kept
-- as the oracle in tests/nnlab/serialize_reference.lua: FNV-1a 64 on its
-- reference vectors and on random strings; the encoder and number formatter
-- byte for byte on random values and float bit patterns (cache files are named
-- by the hash of encoded keys), with the same errors; and the data-text reader
-- on generated, encoded and byte-wise mutated texts: both must accept and
-- refuse the same texts, give the same values (integer/float subtype and float
-- bits included) and the same "name:line: what" messages. Run through nnlab, so the
-- ASan build runs the C reader on every one of these texts too.
-- NNLAB_CODEC_SEED picks another random sequence; NNLAB_CODEC_TEXTS how many.
local T = require "testlib"
local codec = require("nnlab.core").codec
local reference = require "serialize_reference"
local serialize = require "nnlab.notebook.serialize"
local hash = require "nnlab.notebook.hash"

local seed = tonumber(os.getenv("NNLAB_CODEC_SEED") or "") or 20
local texts = tonumber(os.getenv("NNLAB_CODEC_TEXTS") or "") or 4000
math.randomseed(seed)
print(("seed %d, %d texts"):format(seed, texts))

T.case("fnv1a64 gives the reference vectors as signed Lua integers", function()
  T.eq(codec.fnv1a64(""), -3750763034362895579, "'' is 0xcbf29ce484222325")
  T.eq(codec.fnv1a64(""), 0xcbf29ce484222325, "'' as the hex literal")
  T.eq(codec.fnv1a64("a"), 0xaf63dc4c8601ec8c, "'a'")
  T.eq(codec.fnv1a64("foobar"), 0x85944171f73967e8, "'foobar'")
  T.eq(math.type(codec.fnv1a64("a")), "integer", "an integer")
  T.eq(hash.fnv1a64, codec.fnv1a64, "nnlab.notebook.hash.fnv1a64 is the C one")
  T.eq(serialize.decode, codec.decode, "serialize.decode is the C one")
  T.eq(serialize.encode, codec.encode, "serialize.encode is the C one")
  T.eq(serialize.number, codec.number, "serialize.number is the C one")
end)

local function random_bytes(n)
  local b = {}
  for i = 1, n do b[i] = math.random(0, 255) end
  return string.char(table.unpack(b))
end

T.case("fnv1a64 equals the Lua loop on random strings, continued or not", function()
  for i = 1, 300 do
    local s = random_bytes(i < 290 and math.random(0, 300) or math.random(4000, 9000))
    T.eq(codec.fnv1a64(s), reference.fnv1a64(s), "fresh, length " .. #s)
    local h = math.random(math.mininteger, math.maxinteger)
    T.eq(codec.fnv1a64(s, h), reference.fnv1a64(s, h), "from h, length " .. #s)
    local a, b = s:sub(1, #s // 3), s:sub(#s // 3 + 1)
    T.eq(codec.fnv1a64(b, codec.fnv1a64(a)), codec.fnv1a64(s), "continued, length " .. #s)
  end
end)

-- A table's keys (integers and strings, all these tables hold), integers
-- first, each kind in order: the order pairs() gives depends on the hash seed
-- Lua picks for each run, which would make the random texts built from it
-- differ from run to run under one seed.
local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if math.type(a) ~= math.type(b) then return type(a) == "number" end
    return a < b
  end)
  return keys
end

-- A value's exact description: type, integer or float, float bits, keys sorted.
local function describe(v, out)
  out = out or {}
  local t = math.type(v) or type(v)
  if t == "float" then out[#out + 1] = "f" .. string.pack("<d", v)
  elseif t == "integer" then out[#out + 1] = "i" .. string.pack("<j", v)
  elseif t == "string" then out[#out + 1] = ("s%d:%s"):format(#v, v)
  elseif t == "table" then
    local keys = sorted_keys(v)
    out[#out + 1] = "{"
    for _, k in ipairs(keys) do
      describe(k, out)
      out[#out + 1] = "="
      describe(v[k], out)
      out[#out + 1] = ","
    end
    out[#out + 1] = "}"
  else out[#out + 1] = tostring(v) end
  return out
end

local function same_answer(text, name)
  local want, want_err = reference.decode(text, name)
  local got, got_err = codec.decode(text, name)
  if want == nil or got == nil then
    return want == got and want_err == got_err, want_err, got_err
  end
  local a, b = table.concat(describe(want)), table.concat(describe(got))
  return a == b, a, b
end

-- Random values of the kinds cache entries hold (and a few they do not).
local SPECIAL_FLOATS = { 0.0, -0.0, 1 / 0, -1 / 0, 0 / 0, 0.1, 1e300, 5e-324, 2 ^ 53, 2 ^ 63, -2 ^ 63, 1e15 + 0.5 }
local SPECIAL_INTS = { 0, -1, math.maxinteger, math.mininteger, 123456789012345678 }
local function random_string()
  local n = math.random(0, 12)
  if math.random() < 0.3 then return random_bytes(n) end
  local s = {}
  for i = 1, n do s[i] = string.char(math.random(97, 122)) end
  return table.concat(s)
end
local KEYWORDS = { "end", "and", "nil", "true", "return", "_x", "a1", "two words", "" }
local function random_value(depth)
  local kind = math.random(depth > 3 and 6 or 8)
  if kind == 1 then return math.random() < 0.5 and math.random(-1000, 1000) or SPECIAL_INTS[math.random(#SPECIAL_INTS)]
  elseif kind == 2 then return math.random() < 0.5 and (math.random() - 0.5) * 10 ^ math.random(-30, 30)
    or SPECIAL_FLOATS[math.random(#SPECIAL_FLOATS)]
  elseif kind == 3 then return random_string()
  elseif kind == 4 then return math.random() < 0.5
  elseif kind == 5 then return math.random() < 0.5 and math.random(0, 9) or random_string()
  else
    local t = {}
    for i = 1, math.random(0, 5) do t[i] = random_value(depth + 1) end
    for _ = 1, math.random(0, 4) do
      local k = math.random(3)
      local key = k == 1 and math.random(-3, 12) or k == 2 and random_string() or KEYWORDS[math.random(#KEYWORDS)]
      t[key] = random_value(depth + 1)
    end
    return t
  end
end

T.case("number writes every float bit pattern and integer as the Lua code did", function()
  for i = 1, 20000 do
    local x = i <= #SPECIAL_FLOATS and SPECIAL_FLOATS[i] or string.unpack("<d", random_bytes(8))
    if i % 4 == 0 then x = (math.random() - 0.5) * 10 ^ math.random(-20, 20) end
    if i % 7 == 0 then x = math.random(math.mininteger, math.maxinteger) end
    if i % 11 == 0 then x = math.random(-2 ^ 20, 2 ^ 20) + 0.0 end
    if i % 13 == 0 then x = math.random(0, 2 ^ 53) * 2.0 ^ math.random(-60, 20) end
    T.eq(codec.number(x), reference.number(x), ("number(%s)"):format(string.pack("<d", x + 0.0):byte(1, -1)))
  end
end)

-- A value with the keys that test the sort: bytes >= 128, zero bytes,
-- prefixes, negative and sparse integers, more keys than fit unallocated.
local function wide_table(depth)
  local t = {}
  for _ = 1, math.random(0, 30) do
    local k = math.random(4)
    local key = k == 1 and math.random(-50, 50) or k == 2 and random_bytes(math.random(0, 3))
      or k == 3 and ("a"):rep(math.random(0, 3)) .. ("\0"):rep(math.random(0, 2)) or random_string()
    t[key] = depth < 2 and math.random() < 0.1 and wide_table(depth + 1) or random_value(3)
  end
  return t
end

local function same_encoding(v, what)
  local ok_c, c = pcall(codec.encode, v)
  local ok_l, l = pcall(reference.encode, v)
  if ok_c ~= ok_l or c ~= l then
    error(("%s: C and Lua encoders differ:\n  Lua: %s %s\n  C:   %s %s"):format(what, tostring(ok_l), l,
      tostring(ok_c), c), 2)
  end
  return ok_c, c
end

T.case("encode writes the same bytes as the Lua encoder for random values", function()
  for i = 1, texts // 2 do
    local v = i % 3 == 0 and wide_table(0) or random_value(0)
    if i % 5 == 0 then v = { v, v, shared = v } end -- the same table twice is no cycle
    same_encoding(v, "value " .. i)
  end
end)

T.case("encode refuses what the Lua encoder refused, with the same message", function()
  local cyclic = { a = { b = {} } }
  cyclic.a.b.c = cyclic
  local bad = { { f = print }, { [1.5] = 1 }, { [true] = 1 }, { [{}] = 1 }, print, coroutine.create(print),
    io.stdout, cyclic, { 1, 2, { 3, print } }, { x = 1, [2.5] = { print } } }
  for i, v in ipairs(bad) do
    local ok = same_encoding(v, "refused value " .. i)
    T.eq(ok, false, "refused value " .. i)
  end
  local ok, err = pcall(codec.encode, cyclic)
  T.eq(err, "serialize: cannot serialise a table that contains itself", "message without a position")
end)

T.case("encode reads tables as pairs and t[k] do: __pairs and __index proxies", function()
  local p = { h = 3, lr = 0.5, name = "x", [1] = 1 }
  local proxy = setmetatable({}, {
    __index = function(_, k) return p[k] end,
    __pairs = function() return function(_, k) return next(p, k) end, p, nil end,
  })
  local with_index = setmetatable({ a = 1 }, { __index = function() return 2 end })
  for _, v in ipairs { proxy, { p = proxy, q = { proxy } }, with_index } do same_encoding(v, "proxy") end
  T.eq(codec.encode(proxy), '{1,h=3,lr=0.5,name="x",}', "the proxy's contents")
  T.eq(codec.encode(), reference.encode(), "no value at all")
end)

T.case("encode nests 200 tables deep like the Lua encoder and refuses deeper ones", function()
  local v = {}
  for _ = 1, 199 do v = { v } end
  same_encoding(v, "200 deep")
  v = { v }
  local ok, err = pcall(codec.encode, v)
  T.eq(ok, false, "201 deep")
  T.eq(err, "serialize: tables nested more than 200 deep", "201 deep")
end)

-- Tokens worth splicing into a text: every corner of the reader's language.
local TOKENS = { "nil", "true", "false", "return", "end", "function", "x", "(0/0)", "(1/0)", "(-1/0)", "(2/0)",
  "(0/0", "1e400", "-1e400", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
  "-9223372036854775809", "0x10", "1.", ".5", "1e", "1e+", "1e-5", "1-2", "--", "-", "1..2", "00", "-0",
  "\\300", "\\255", "\\0", "\\00", "\\z", "\\x41", "\\\n", "\\\r", "\\'", '\\"', "\\\\", "\\a\\b\\f\\v",
  "[1]=", '["a"]=', "[1.5]=", "[-0]=", "[(0/0)]=", "[{}]=", "[nil]=", "[true]=", "a=", "end=", "nil=",
  "{", "}", "{}", "{{}}", ",", ";", ",,", " ", "\n", "\r\n", "\t", "\f", '"', "'", "[", "]", "=", "==",
  "\0", "\127", "\200", "é", ("9"):rep(70), "1" .. ("0"):rep(80) .. ".5", ("x"):rep(20),
  ("{"):rep(63), ("{"):rep(65), ("}"):rep(64) }

local function mutate(text)
  for _ = 1, math.random() < 0.7 and 1 or math.random(2, 3) do
    local n, op = #text, math.random(6)
    local i = math.random(1, n + 1)
    if op == 1 and n > 0 then -- replace a byte
      local i1 = math.min(i, n)
      local c = math.random() < 0.5 and string.char(math.random(0, 255))
        or ("{}[]=,;\"\\\n\r\t -+.eE0123456789()/ntrfxa_"):sub(math.random(40), math.random(40))
      text = text:sub(1, i1 - 1) .. c .. text:sub(i1 + 1)
    elseif op == 2 or op == 3 then -- insert a token
      text = text:sub(1, i - 1) .. TOKENS[math.random(#TOKENS)] .. text:sub(i)
    elseif op == 4 then -- delete a range
      text = text:sub(1, i - 1) .. text:sub(i + math.random(1, 8))
    elseif op == 5 then -- truncate
      text = text:sub(1, i - 1)
    elseif i <= n then -- duplicate a range (duplicate keys, doubled separators)
      local j = math.random(i, math.min(n, i + 20))
      text = text:sub(1, j) .. text:sub(i, j) .. text:sub(j + 1)
    end
  end
  return text
end

-- The same value written by hand, not canonically: spaces, ';', [k]= for
-- positional keys, other escapes, nil values, lines.
local LETTER_ESCAPES = { ["\a"] = "a", ["\b"] = "b", ["\f"] = "f", ["\v"] = "v", ["\t"] = "t", ["'"] = "'" }
local function loose_text(v, depth)
  local ws = ({ "", " ", "\n", "\t", " \r\n " })[math.random(5)]
  local tv = type(v)
  if tv == "string" then
    local out = { '"' }
    for c in v:gmatch(".") do
      local b = c:byte()
      if c == '"' or c == "\\" then out[#out + 1] = "\\" .. c
      elseif c == "\n" then out[#out + 1] = math.random() < 0.5 and "\\n" or "\\\n"
      elseif c == "\r" then out[#out + 1] = "\\r"
      elseif LETTER_ESCAPES[c] and math.random() < 0.5 then out[#out + 1] = "\\" .. LETTER_ESCAPES[c]
      elseif b < 32 or b > 126 or math.random() < 0.05 then
        out[#out + 1] = math.random() < 0.5 and ("\\%03d"):format(b) or ("\\%d"):format(b)
        if #out[#out] < 4 then out[#out] = ("\\%03d"):format(b) end -- a digit may follow
      else out[#out + 1] = c end
    end
    out[#out + 1] = '"'
    return table.concat(out)
  elseif tv ~= "table" then return serialize.encode(v) end
  local out, i = { "{", ws }, 0
  for _, k in ipairs(sorted_keys(v)) do
    local x = v[k]
    i = i + 1
    if math.type(k) == "integer" and math.random() < 0.5 then out[#out + 1] = ("[%s%d%s]%s=%s"):format(ws, k, ws, ws, ws)
    elseif math.type(k) == "integer" then out[#out + 1] = ("[%d]="):format(k)
    elseif k:match("^[%a_][%w_]*$") and math.random() < 0.7 then out[#out + 1] = k .. ws .. "=" .. ws
    else out[#out + 1] = "[" .. loose_text(k, depth + 1) .. "]=" end
    out[#out + 1] = loose_text(x, depth + 1)
    out[#out + 1] = ({ ",", ";", ws .. "," .. ws })[math.random(3)]
    if math.random() < 0.1 then out[#out + 1] = "nil," end
  end
  out[#out + 1] = "}"
  return table.concat(out)
end

local function check(text, name, what)
  local same, want, got = same_answer(text, name)
  if not same then
    error(("%s: C and Lua readers differ on %q:\n  Lua: %s\n  C:   %s"):format(what, text, tostring(want), tostring(got)), 2)
  end
end

T.case("the C reader reads every encoded value back exactly as the Lua reader", function()
  for _ = 1, texts // 4 do
    local v = { random_value(0) }
    local text = "return " .. serialize.encode(v)
    check(text, "enc", "encoded")
    local back = codec.decode(text, "enc")
    T.eq(serialize.encode(back), serialize.encode(v), "round trip of " .. text)
  end
end)

-- A refusal's kind: its message without the position and the quoted excerpts
-- of the text, which may hold quotes themselves ("unexpected 'a'b'" is one
-- kind with "unexpected 'x'"), and without the key a duplicate names.
local function message_kind(err)
  local m = err:gsub("^m:%d+: ", "")
  m = m:gsub(" near '.*'$", " near ''"):gsub("^unexpected '.*'$", "unexpected ''")
  return (m:gsub("'[^']*'", "''"):gsub("key .*", "key"))
end

T.case("the C reader answers mutated texts exactly as the Lua reader: value or message", function()
  local accepted, refused, messages = 0, 0, {}
  for n = 1, texts do
    local v = math.random() < 0.9 and { random_value(0) } or random_value(0)
    local base = math.random() < 0.5 and "return " .. serialize.encode(v) or "return" .. loose_text(v, 0)
    check(base, "loose", "unmutated")
    local text = mutate(base)
    check(text, n % 2 == 0 and "m" or "entry.lua", "mutated")
    local got, err = codec.decode(text, "m")
    if got then accepted = accepted + 1 else
      refused = refused + 1
      messages[message_kind(err)] = true
    end
  end
  local kinds = {}
  for m in pairs(messages) do kinds[#kinds + 1] = m end
  table.sort(kinds)
  print(("%d accepted, %d refused, %d kinds of message:\n  %s"):format(accepted, refused, #kinds,
    table.concat(kinds, "\n  ")))
  T.truthy(accepted > texts // 20 and refused > texts // 20, "both accepted and refused texts")
  T.truthy(#kinds >= 14, "all 14 of the reader's messages came up")
end)

-- Corners written out, each checked against the oracle (and a few pinned).
local corners = {
  "", "   ", "return", "return ", "returnx {}", "\n\n return {}", "return {} x", "return 1", "return nil",
  "return {nil}", "return {nil, [1] = 2}", "return {[1] = nil, [1] = 2}", "return {a = nil; a = 1}",
  "return {1, [1] = 1}", "return {[2] = 1, 1, 2}", "return {a = 1, ['a'] = 2}", 'return {a = 1, ["a"] = 2}',
  "return {[1.0] = 1}", "return {[ 1 ] = 1}", "return {[-0] = 1, [0] = 2}", "return {[{}] = 1}",
  "return {end = 1}", "return {true = 1}", "return {x}", "return {x =}", "return {,}", "return {1,,2}",
  "return {1 2}", "return {;}", "return {1;}", "return {(0/0), (1/0), (-1/0), (1/1)}",
  "return {-(1/0)}", "return {- 1}", "return {1e308, 1e309, -1e309, 1e-400, 0e0, 1E+2, 1.5e-3}",
  "return {9223372036854775807, 9223372036854775808, -9223372036854775808, -9223372036854775809}",
  "return {007, -0, 0.0, -0.0, 1., 0001.5}", "return {1e, 1e+, 1-1}", "return {0x10}",
  'return {"\\0\\00\\000\\0000"}', 'return {"\\255\\256"}', 'return {"\\999"}', 'return {"\\x41"}',
  'return {"a\\\nb"}', 'return {"a\\\rb"}', 'return {"a\nb"}', 'return {"a\rb"}', 'return {"abc',
  'return {"abc\\', 'return {"\\\'\\"\\\\\\a\\b\\f\\v\\n\\r\\t"}', "return {'a'}", "return {[[a]]}",
  "return {\"\0\1\2\127\200\255\"}", "return {\f}", "return {\v}", "return --\n{}",
  "return {" .. ("9"):rep(400) .. "}", "return {" .. ("1"):rep(100) .. "." .. ("1"):rep(100) .. "}",
  "return {" .. ("1"):rep(100) .. "x}", "return {-" .. ("9"):rep(18) .. ", " .. ("9"):rep(19) .. "}",
  "return " .. ("{"):rep(64) .. ("}"):rep(64), "return " .. ("{"):rep(65) .. ("}"):rep(65),
  "return {[" .. ("{"):rep(64) .. ("}"):rep(64) .. "] = 1}",
  "return {\n\n1,\n2 3}", "return {\n\"a\nb\"}", "return {a\n=\n1,\na = 2}", "return {\n" .. ("x"):rep(30) .. "}",
  "return {[\"\0\"] = 1, [\"\0\"] = 2}", "return {[\"a\\0b\"] = 1, [\"a\\0b\"] = 2}",
  "return {a = {b = {c = {1, 2, 3}}}, ['end'] = true, [3] = false}",
}

T.case("the C reader answers hand-written corners exactly as the Lua reader", function()
  for _, text in ipairs(corners) do check(text, "c", "corner") end
  T.eq(select(2, codec.decode("return {\n1,\n2 3}", "bad")), "bad:3: ',' or '}' expected", "message")
  T.eq(select(2, codec.decode(42)), "not text", "not text")
  T.eq(select(2, codec.decode("return 1")), "data: does not hold a table", "default name")
  T.eq(math.type(codec.decode("return {9223372036854775808}")[1]), "float", "an overflowing integer is a float")
  T.eq(math.type(codec.decode("return {-9223372036854775808}")[1]), "integer", "mininteger stays an integer")
  local t = codec.decode("return {(0/0)}")
  T.truthy(t[1] ~= t[1], "NaN")
end)

T.case("a long text reads in linear time: 20 000 fields, 200 000 nested opens refused at once", function()
  local parts = {}
  for i = 1, 20000 do parts[i] = ("k%d = {%d, %.17g, \"s\\n%d\"}"):format(i, i, i / 7, i) end
  local text = "return {" .. table.concat(parts, ",\n") .. "}"
  local t = assert(codec.decode(text, "long"))
  T.eq(t.k20000[1], 20000, "last field")
  check(text, "long", "long text")
  local deep = "return " .. ("{"):rep(200000)
  T.eq(select(2, codec.decode(deep, "deep")), "deep:1: tables nested more than 64 deep", "deep refused")
  check("return {" .. ("["):rep(100) .. "}", "brackets", "nested brackets")
end)

T.done()
