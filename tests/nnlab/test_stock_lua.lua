-- require "nnlab" works from a stock lua5.4 with the C module on LUA_CPATH.
local T = require "testlib"
local lua = os.getenv("LUA54") or "lua5.4"
local cpath = os.getenv("NNLAB_MODULE_DIR") .. "/?.so;;"
local path = T.source .. "/lua/?.lua;" .. T.source .. "/lua/?/init.lua;;"
local code = [[
local nnlab = require "nnlab"
local nn = nnlab.nn
local model = nn.Sequential { nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2) }
local opt = nnlab.optim.Adam(model:parameters(), { lr = 0.05 })
local loss_fn = nn.CrossEntropyLoss()
local x = nnlab.tensor { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } }
local y = nnlab.labels { 0, 1, 1, 0 }
local loss
for _ = 1, 300 do
  loss = loss_fn(model(x), y)
  opt:zero_grad()
  loss:backward()
  opt:step()
end
local pred = model(x):argmax(1):totable() -- each row's class, 0-based (dim 1 as PyTorch's)
print(("xor %d%d%d%d loss %.4f simd %s"):format(pred[1], pred[2], pred[3], pred[4], loss:item(), nnlab.simd()))
local loaded = {}
for name in pairs(package.loaded) do
  if name:find("^nnlab%.notebook") then loaded[#loaded + 1] = name end
end
print("notebook modules loaded: " .. (#loaded > 0 and table.concat(loaded, ",") or "none"))
print("stats on demand: " .. type(nnlab.stats.welch))
]]
local preload = os.getenv("NNLAB_PRELOAD") -- the ASan runtime, in a sanitizer build
local out, status = T.run(("%sLUA_PATH=%s LUA_CPATH=%s %s -e %s"):format(
  preload and ("LD_PRELOAD=" .. T.quote(preload) .. " ") or "", T.quote(path), T.quote(cpath), lua, T.quote(code)))
T.case("require \"nnlab\" and a training loop run under the stock lua5.4", function()
  T.eq(status, 0, "stock lua5.4 run: " .. out)
end)

T.case("the network trained under the stock lua5.4 learns XOR", function()
  T.contains(out, "xor 0110", "the network learned XOR")
end)

T.case("a program that only trains loads no notebook module; nnlab.stats loads on first use", function()
  T.contains(out, "notebook modules loaded: none", "no notebook module after training")
  T.contains(out, "stats on demand: function", "nnlab.stats loads when used")
end)

T.done()
