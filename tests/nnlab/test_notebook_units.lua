-- The notebook's building blocks that need the C module: model:checksum(),
-- which cache keys use, restated here in Lua. The pure-Lua blocks are tested
-- under the stock lua5.4 in tests/lua: test_serialize.lua, test_hash.lua,
-- test_stats.lua, test_json.lua and test_runs.lua.
local T = require "testlib"
local hash = require "nnlab.notebook.hash"
local nn = require("nnlab").nn

local function model(seed)
  return nn.Sequential({ nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3) }, { seed = seed })
end

-- model:checksum() as bridge/lua_net.c defines it: the parameters' float32
-- bytes as 64-bit little-endian words (zero-padded), word i into lane i % 4,
-- each lane FNV-1a 64 over words with the high half folded down after each
-- multiply; then FNV-1a 64 over the lanes' bytes and the byte count. Lua's
-- integers wrap around as uint64_t does, and >> shifts in zeros.
local function checksum_of(values)
  local basis, prime = -3750763034362895579, 0x100000001b3 -- 0xcbf29ce484222325
  local bytes = string.pack("<" .. ("f"):rep(#values), table.unpack(values))
  if #bytes % 8 ~= 0 then bytes = bytes .. ("\0"):rep(8 - #bytes % 8) end
  local lane = { basis, basis, basis, basis }
  for i = 0, #bytes // 8 - 1 do
    local word = string.unpack("<i8", bytes, 8 * i + 1)
    local j = i % 4 + 1
    lane[j] = (lane[j] ~ word) * prime
    lane[j] = lane[j] ~ (lane[j] >> 32)
  end
  local tail = string.pack("<i8i8i8i8i8", lane[1], lane[2], lane[3], lane[4], #values * 4)
  return hash.hex(hash.fnv1a64(tail))
end

T.case("cache:put refuses a result too large to read back, and leaves no file beside it", function()
  local cache = require "nnlab.notebook.cache"
  local files = require "nnlab.files"
  local dir = T.tmpdir("units_cache")
  local c = cache.open(dir)
  local history = { { epoch = 1, train_loss = 1, train_acc = 50, note = ("x"):rep(16 * 1024 * 1024) } }
  local ok, err = c:put({ case = "too large" }, { history = history },
                        { pred = function(path) return files.write_atomic(path, "abc") end })
  T.eq(ok, nil, "refused")
  T.contains(tostring(err), "cannot keep the run: its result takes", "says why")
  T.contains(tostring(err), "over the 16777216 nnlab reads back (a history of 1 epochs", "and the limit")
  T.eq(T.run("ls -A " .. T.quote(dir)), "", "no entry and no file beside it")
end)

T.case("a built-in sweep's longest history, every field measured at full length, fits in one entry", function()
  local cache = require "nnlab.notebook.cache"
  local runs = require "nnlab.notebook.runs"
  local history = {}
  for epoch = 1, cache.MAX_EPOCHS do
    local record = {}
    for _, f in ipairs(runs.HISTORY_FIELDS) do record[f] = f ~= "diverged" and -1.2345678901234567e-300 or nil end
    record.epoch, record.diverged = epoch, true
    history[epoch] = record
  end
  local c = cache.open(T.tmpdir("units_cache_longest"))
  T.truthy(c:put({ case = "longest" }, { history = history }), "kept")
end)

T.case("model:checksum() is the lane-wise FNV-1a of the parameters' words", function()
  -- (58, 47, 6 and 901 parameters: whole groups of 8 floats, a tail, an odd count)
  for _, layers in ipairs { { 7, 5, 3 }, { 7, 4, 3 }, { 3, 1, 1 }, { 16, 33, 10 } } do
    local m = nn.Sequential({ nn.Linear(layers[1], layers[2]), nn.ReLU(), nn.Linear(layers[2], layers[3]) },
                            { seed = 1 })
    local values = m:parameter_values()
    T.eq(m:checksum(), checksum_of(values), ("checksum of %d parameters"):format(#values))
  end
end)

T.case("the same seed gives the same checksum, another seed another", function()
  local m1 = model(1)
  T.eq(model(1):checksum(), m1:checksum(), "same seed, same checksum")
  T.truthy(model(2):checksum() ~= m1:checksum(), "another seed, another checksum")
end)

T.case("two sign flips in one lane change the checksum (they cancelled before the fold)", function()
  -- floats 2 and 10 (1-based) are the high halves of words 0 and 4, both in
  -- lane 0. The case above holds model:checksum() to checksum_of.
  local values = model(1):parameter_values()
  local flipped = table.move(values, 1, #values, 1, {})
  flipped[2], flipped[10] = -flipped[2], -flipped[10]
  T.truthy(checksum_of(flipped) ~= checksum_of(values), "another checksum")
end)

T.done()
