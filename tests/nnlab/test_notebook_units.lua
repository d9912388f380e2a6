-- The notebook's building blocks that need the C module: model:checksum(),
-- which cache keys use, is FNV-1a 64 of the packed parameters. The pure-Lua
-- blocks are tested under the stock lua5.4 in tests/lua: test_serialize.lua,
-- test_hash.lua, test_stats.lua, test_json.lua and test_runs.lua.
local T = require "testlib"
local hash = require "nnlab.notebook.hash"
local nn = require("nnlab").nn

local function model(seed)
  return nn.Sequential({ nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3) }, { seed = seed })
end

T.case("model:checksum() is FNV-1a 64 of the parameters' bytes", function()
  local m1 = model(1)
  local values = m1:parameter_values()
  T.eq(m1:checksum(), hash.hex(hash.fnv1a64(string.pack("<" .. ("f"):rep(#values), table.unpack(values)))),
       "checksum = fnv1a64 of the parameters' bytes")
end)

T.case("the same seed gives the same checksum, another seed another", function()
  local m1 = model(1)
  T.eq(model(1):checksum(), m1:checksum(), "same seed, same checksum")
  T.truthy(model(2):checksum() ~= m1:checksum(), "another seed, another checksum")
end)

T.done()
