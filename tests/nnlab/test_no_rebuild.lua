-- Editing any Lua file takes effect on the next run, without rebuilding:
-- a copy of lua/ is edited and picked up through NNLAB_LUA_PATH.
local T = require "testlib"

local dir = T.tmpdir("no_rebuild")
assert(os.execute(("cp -r %s %s"):format(T.quote(T.source .. "/lua"), T.quote(dir .. "/lua"))))
local nn_path = dir .. "/lua/nnlab/nn.lua"
local src = T.read(nn_path)
local edited = src:gsub('return spec.kind .. "%(%)"', 'return spec.kind .. "(edited)"')
T.write(nn_path, edited)

local script = dir .. "/print_model.lua"
T.write(script, [[
local nn = require("nnlab").nn
print(nn.Sequential { nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1) })
]])

T.case("without NNLAB_LUA_PATH, the Lua files come from the source tree", function()
  local before = T.nnlab_run { "run", script }
  T.contains(before, "(1): ReLU()", "unedited Lua from the source tree")
end)

T.case("an edit in a copy of lua/ shows through NNLAB_LUA_PATH without a rebuild", function()
  T.truthy(edited ~= src, "found the line to edit")
  local after, status = T.nnlab_run({ "run", script }, { NNLAB_LUA_PATH = dir .. "/lua" })
  T.eq(status, 0, "run with edited Lua")
  T.contains(after, "(1): ReLU(edited)", "the edit shows without a rebuild")
end)

T.case("an experiment file edited between runs runs in its new version", function()
  T.write(script, 'print("second version")')
  T.contains(T.nnlab_run { "run", script }, "second version", "edited experiment file")
end)

T.case("a wrong NNLAB_LUA_PATH is a clear error", function()
  local out = T.nnlab_run({ "version" }, { NNLAB_LUA_PATH = dir .. "/nowhere" })
  T.contains(out, "cannot find its Lua files", "bad NNLAB_LUA_PATH")
end)

-- Lua's package.path reads '?' and ';' as its own: a clone at "why?/"
-- said "module 'nnlab.cli' not found" and listed paths with the '?' replaced.
T.case("a Lua folder whose path has '?' or ';' is a clear error", function()
  for _, odd in ipairs { "why?", "semi;colon" } do
    local copy = dir .. "/" .. odd .. "/lua"
    assert(os.execute(("mkdir -p %s && cp -r %s/. %s"):format(T.quote(copy), T.quote(dir .. "/lua"), T.quote(copy))))
    local out, status = T.nnlab_run({ "version" }, { NNLAB_LUA_PATH = copy })
    T.eq(status, 1, odd .. "\n" .. out)
    T.eq(out, ("nnlab: cannot load its Lua files from %s: Lua's module path cannot hold a folder whose path has '?' "
               .. "or ';' in it; move or link the clone to a path without them, or set NNLAB_LUA_PATH to one\n")
              :format(copy), odd)
  end
end)

T.done()
