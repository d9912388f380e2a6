-- The notebook's building blocks on their own: canonical serialisation and
-- its safe reader, FNV-1a, Welch's t-test, JSON, and what a Runs object says.
local T = require "testlib"
local serialize = require "nnlab.notebook.serialize"
local hash = require "nnlab.notebook.hash"
local stats = require "nnlab.notebook.stats"
local json = require "nnlab.notebook.json"
local runs = require "nnlab.notebook.runs"

-- serialize: canonical (sorted keys, exact numbers, integer/float kept apart) and reversible
local value = { 3, 2.0, 0.1, 1 / 0, -1 / 0, -0.0, "a\n\"b\0", true,
                z = { ["end"] = 1, [5] = false, y = { 1e-300, 123456789012345678 } }, lr = 0.01, ["two words"] = 2 }
local text = serialize.encode(value)
T.eq(text, serialize.encode(serialize.decode("return " .. text, "t")), "round trip")
T.contains(text, 'lr=0.01,["two words"]=2,z={[5]=false,["end"]=1,', "keys sorted, keywords quoted")
T.eq(serialize.encode({ b = 1, a = 2 }), serialize.encode({ a = 2, b = 1 }), "key order does not matter")
T.truthy(serialize.encode({ x = 1 }) ~= serialize.encode({ x = 1.0 }), "1 and 1.0 differ")
T.eq(serialize.number(0.1), "0.1", "shortest form")
T.eq(serialize.number(1 / 3), "0.3333333333333333", "17 digits only when needed")
local back = serialize.decode("return " .. serialize.encode({ 0 / 0 }), "nan")
T.truthy(back[1] ~= back[1], "NaN survives")
T.fails(function() serialize.encode({ f = print }) end, "cannot serialise a function")
local cyclic = {}
cyclic.self = cyclic
T.fails(function() serialize.encode(cyclic) end, "contains itself")
-- the reader treats text as outside input: it parses data, it never runs code
local refused = {
  { "return os.exit(3)", "unexpected 'os'" },
  { "while true do end", "'return' expected" },
  { "return ('x'):rep(1e9)", "unexpected '('" },
  { 'local a = "xx" for i = 1, 40 do a = a .. a end return { a }', "'return' expected" }, -- a memory bomb
  { "return 42", "does not hold a table" },
  { "return {", "unexpected end of text" },
  { "\27Lua", "'return' expected" },
  { "return {a = 1, a = 2}", "duplicate key a" },
  { "return {[1.5] = 1}", "keys must be integers or strings" },
  { "return {0x10}", "',' or '}' expected" },
  { 'return {"\\300"}', "decimal escape too large" },
  { "return " .. ("{"):rep(100) .. ("}"):rep(100), "nested more than 64 deep" },
  { "return {\n1,\n2 3}", "bad:3: ',' or '}' expected" },
}
for _, case in ipairs(refused) do
  local got, err = serialize.decode(case[1], "bad")
  T.eq(got, nil, case[1])
  T.contains(err, case[2], case[1])
end

-- FNV-1a 64 (reference vectors) and the parameter fingerprint
T.eq(hash.hex(hash.fnv1a64("")), "cbf29ce484222325", "fnv1a64 of ''")
T.eq(hash.hex(hash.fnv1a64("a")), "af63dc4c8601ec8c", "fnv1a64 of 'a'")
T.eq(hash.hex(hash.fnv1a64("foobar")), "85944171f73967e8", "fnv1a64 of 'foobar'")
-- model:checksum() (C) is FNV-1a 64 of the packed parameters
local nn = require("nnlab").nn
local m1 = nn.Sequential({ nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3) }, { seed = 1 })
local values = m1:parameter_values()
T.eq(m1:checksum(), hash.hex(hash.fnv1a64(string.pack("<" .. ("f"):rep(#values), table.unpack(values)))),
     "checksum = fnv1a64 of the parameters' bytes")
T.eq(nn.Sequential({ nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3) }, { seed = 1 }):checksum(), m1:checksum(),
     "same seed, same checksum")
T.truthy(nn.Sequential({ nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3) }, { seed = 2 }):checksum() ~= m1:checksum(),
         "another seed, another checksum")

-- Welch's t-test
T.close(stats.t_two_sided_p(2.776445, 4), 0.05, 1e-6, "t(0.975, 4)")
T.close(stats.t_two_sided_p(12.7062, 1), 0.05, 1e-5, "t(0.975, 1)")
T.close(stats.std({ 2, 4, 4, 4, 5, 5, 7, 9 }), 2.138089935, 1e-9, "sample std")
local close_ones = stats.welch({ 68.1, 68.3, 67.9 }, { 68.4, 68.2, 68.6 })
T.eq(close_ones.differs, false, "overlapping seeds are within noise")
T.close(close_ones.t, -1.837117, 1e-6, "Welch t")
T.close(close_ones.df, 4, 1e-9, "Welch df")
T.close(close_ones.p, 0.14007, 1e-4, "Welch p (scipy: 0.14007)")
local far = stats.welch({ 1, 2, 3 }, { 11, 12, 13.5 })
T.eq(far.differs, true, "separated seeds differ")
T.eq(select(1, stats.welch({ 1 }, { 2, 3 })), nil, "one seed: noise unknown")

-- JSON
T.eq(json.encode({ a = { 1, 2.5, "x\"\n" }, b = 0 / 0, c = true }), '{"a": [1,2.5,"x\\"\\n"], "b": null, "c": true}',
     "JSON text")

-- a Runs object: summary, best, compare, diverged variations
local function seed(s, acc, diverged)
  return { seed = s, diverged = diverged, seconds = 1,
           history = { { epoch = 1, test_acc = acc, train_loss = 1, test_loss = 1, seconds = 1 } } }
end
local r = runs.new { name = "hidden", keys = { "hidden" }, seeds = { 1, 2, 3 }, epochs = 1, variations = {
  { label = "hidden=64", values = { hidden = 64 }, params = { hidden = 64 },
    seeds = { seed(1, 68.1), seed(2, 68.3), seed(3, 67.9) } },
  { label = "hidden=128", values = { hidden = 128 }, params = { hidden = 128 },
    seeds = { seed(1, 68.4), seed(2, 68.2), seed(3, 68.6) } },
  { label = "hidden=256", values = { hidden = 256 }, params = { hidden = 256 },
    seeds = { seed(1, 90), seed(2, 10, true), seed(3, 91) } },
} }
local summary = r:summary("test_acc")
T.eq(summary[1].text, "68.10 ± 0.20 %", "mean ± std text")
T.eq(summary[3].text, "diverged (1/3 seeds)", "partly diverged")
T.eq(summary[3].n, 2, "diverged seeds left out")
local best = r:best()
T.eq(best.label, "hidden=128", "best skips diverged variations")
T.eq(best.hidden, 128, "best carries its parameters")
T.close(best.test_acc, 68.4, 1e-12, "best carries its mean")
local cmp = r:compare({ hidden = 64 }, best)
T.eq(cmp.differs, false, "compare: within noise")
T.contains(cmp.text, "within noise (p = 0.14)", "compare text")
T.contains(r:compare("hidden=256", "hidden=64").text, "not comparable", "diverged variations are not compared")
T.fails(function() r:summary("accuracy") end, "unknown metric 'accuracy'")
T.eq(runs.format("train_loss", 0.43121, 0.0101), "0.4312 ± 0.0101", "loss format")
