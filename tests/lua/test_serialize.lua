-- nnlab.notebook.serialize under stock lua5.4: canonical serialisation (cache
-- keys and entries are built from it) and its safe reader, which treats text
-- as outside input.
local T = require "testlib"
local serialize = require "nnlab.notebook.serialize"

-- sorted keys, exact numbers, integer/float kept apart, strings with every byte
local value = { 3, 2.0, 0.1, 1 / 0, -1 / 0, -0.0, "a\n\"b\0", true,
                z = { ["end"] = 1, [5] = false, y = { 1e-300, 123456789012345678 } }, lr = 0.01, ["two words"] = 2 }

T.case("encode then decode gives the same text back", function()
  local text = serialize.encode(value)
  T.eq(text, serialize.encode(serialize.decode("return " .. text, "t")), "round trip")
end)

T.case("keys are sorted, keywords quoted; the order keys were set in does not matter", function()
  T.contains(serialize.encode(value), 'lr=0.01,["two words"]=2,z={[5]=false,["end"]=1,', "keys sorted, keywords quoted")
  T.eq(serialize.encode({ b = 1, a = 2 }), serialize.encode({ a = 2, b = 1 }), "key order does not matter")
end)

T.case("1 and 1.0 differ; numbers take their shortest exact form", function()
  T.truthy(serialize.encode({ x = 1 }) ~= serialize.encode({ x = 1.0 }), "1 and 1.0 differ")
  T.eq(serialize.number(0.1), "0.1", "shortest form")
  T.eq(serialize.number(1 / 3), "0.3333333333333333", "17 digits only when needed")
end)

T.case("NaN survives a round trip", function()
  local back = serialize.decode("return " .. serialize.encode({ 0 / 0 }), "nan")
  T.truthy(back[1] ~= back[1], "NaN survives")
end)

T.case("a function or a table that contains itself cannot be serialised", function()
  T.fails(function() serialize.encode({ f = print }) end, "cannot serialise a function")
  local cyclic = {}
  cyclic.self = cyclic
  T.fails(function() serialize.encode(cyclic) end, "contains itself")
end)

-- the reader parses data, it never runs code: { what, text, what it says }
local refused = {
  { "a call", "return os.exit(3)", "unexpected 'os'" },
  { "an endless loop", "while true do end", "'return' expected" },
  { "a method call", "return ('x'):rep(1e9)", "unexpected '('" },
  { "a memory bomb", 'local a = "xx" for i = 1, 40 do a = a .. a end return { a }', "'return' expected" },
  { "a value that is not a table", "return 42", "does not hold a table" },
  { "a table never closed", "return {", "unexpected end of text" },
  { "bytecode", "\27Lua", "'return' expected" },
  { "a duplicate key", "return {a = 1, a = 2}", "duplicate key a" },
  { "a float key", "return {[1.5] = 1}", "keys must be integers or strings" },
  { "a hexadecimal number", "return {0x10}", "',' or '}' expected" },
  { "a decimal escape above 255", 'return {"\\300"}', "decimal escape too large" },
  { "tables nested 100 deep", "return " .. ("{"):rep(100) .. ("}"):rep(100), "nested more than 64 deep" },
  { "a syntax error on line 3", "return {\n1,\n2 3}", "bad:3: ',' or '}' expected" },
}
for _, case in ipairs(refused) do
  T.case(("the reader refuses %s: %s"):format(case[1], case[3]), function()
    local got, err = serialize.decode(case[2], "bad")
    T.eq(got, nil, case[2])
    T.contains(err, case[3], case[2])
  end)
end

T.done()
