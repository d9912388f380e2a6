-- The command line: help, version, flags that reach Lua, clear errors.
local T = require "testlib"
local fixtures = T.source .. "/tests/nnlab/fixtures/"

T.case("--help and run --help print the usage", function()
  local out, status = T.nnlab_run { "--help" }
  T.eq(status, 0, "--help status")
  T.contains(out, "usage: nnlab", "--help text")
  out, status = T.nnlab_run { "run", "--help" }
  T.eq(status, 0, "run --help status")
  T.contains(out, "--set key=value", "run --help text")
end)

-- The checks before training run in the order they were given, whatever the
-- process's string hashes: `--help` (given first) always wins over a --set
-- key nothing declared (given after it), which a pairs() order made exit 0
-- or 1 at random.
T.case("the checks before training run in the order given", function()
  local train = require "nnlab.train"
  local seen, names = {}, {}
  for i = 1, 24 do names[i] = ("check %02d"):format(i) end
  for _, name in ipairs(names) do train.before_training(name, function() seen[#seen + 1] = "stale " .. name end) end
  for _, name in ipairs(names) do train.before_training(name, function() seen[#seen + 1] = name end) end
  train.starting()
  T.eq(table.concat(seen, ","), table.concat(names, ","), "in the order first given, each once, the later f")
  local folder = T.tmpdir("cli_help_order")
  local hand = folder .. "/hand.lua"
  T.write(hand, [[
local nnlab = require "nnlab"
local lab = nnlab
local width = lab.param("width", 4)
local model = nnlab.nn.Sequential { nnlab.nn.Linear(2, width) }
local opt = nnlab.optim.SGD(model:parameters(), { lr = 0.1 })
opt:step()
]])
  for _ = 1, 6 do
    local out, status = T.nnlab_run({ "run", hand, "--set", "foo=1", "--help" }, { NNLAB_CACHE = folder .. "/cache" })
    T.eq(status, 0, "--help stops first\n" .. out)
    T.contains(out, "width", "the parameters listed")
  end
end)

-- Lua's loader trusts a precompiled chunk's bytes (a damaged one crashed
-- nnlab): experiment files and lab.require'd modules are source text only.
T.case("a precompiled experiment file or module is refused in one line", function()
  local folder = T.tmpdir("cli_precompiled")
  T.write(folder .. "/compiled.lua", string.dump(load("print('ran')")))
  local out, status = T.nnlab_run { "run", folder .. "/compiled.lua" }
  T.eq(status, 1, "refused\n" .. out)
  T.eq(out, "nnlab: " .. folder .. "/compiled.lua is precompiled Lua (luac): nnlab runs Lua source files only\n",
       "one line")
  os.execute("mkdir -p " .. T.quote(folder .. "/lib"))
  T.write(folder .. "/lib/helper.lua", string.dump(load("return 1")))
  T.write(folder .. "/uses.lua", 'local lab = require "nnlab"\nlocal helper = lab.require("lib.helper")\n')
  out, status = T.nnlab_run { "run", folder .. "/uses.lua" }
  T.eq(status, 1, "refused\n" .. out)
  T.contains(out, "uses.lua:2: lab.require: " .. folder .. "/lib/helper.lua is precompiled Lua (luac)", "at the line")
end)

-- `nnlab watch` of a folder (or a link to one) failed to read it, then
-- waited forever for a save; run and plan refuse it at once, and so does watch.
T.case("nnlab watch of a folder is refused at once", function()
  local folder = T.tmpdir("cli_watch_folder")
  os.execute(("mkdir -p %s/adir && ln -sfn %s/adir %s/alink"):format(T.quote(folder), T.quote(folder), T.quote(folder)))
  for _, path in ipairs { folder .. "/adir", folder .. "/alink" } do
    local out, status = T.run("timeout 20 " .. T.nnlab_command { "watch", path })
    T.eq(status, 1, "refused, not waiting\n" .. out)
    T.eq(out, ("nnlab: cannot read %s: Is a directory\n"):format(path), "one line")
  end
end)

-- A boolean lab.param takes true/false, yes/no, on/off and 1/0; its error
-- said only "true or false".
T.case("a boolean --set that is none of its spellings names them all", function()
  local settings = require "nnlab.notebook.settings"
  for _, text in ipairs { "true", "Yes", "on", "1" } do T.eq(settings.parse(text, false), true, text) end
  for _, text in ipairs { "false", "NO", "off", "0" } do T.eq(settings.parse(text, true), false, text) end
  local value, expected = settings.parse("maybe", true)
  T.eq(value, nil, "refused")
  T.eq(expected, "true or false (or yes/no, on/off, 1/0)", "every spelling named")
end)

T.case("version names the engine, Lua and the SIMD path", function()
  local out, status = T.nnlab_run { "version" }
  T.eq(status, 0, "version status")
  T.contains(out, "engine ", "version: engine")
  T.contains(out, "Lua 5.4", "version: Lua")
  T.truthy(out:find("simd avx512") or out:find("simd avx2") or out:find("simd scalar"), "version: SIMD path")
end)

T.case("NNLAB_SIMD=scalar forces the reference kernels", function()
  local out = T.nnlab_run({ "version" }, { NNLAB_SIMD = "scalar" })
  T.contains(out, "simd scalar", "NNLAB_SIMD=scalar forces the reference kernels")
end)

T.case("flags and --set values reach Lua, in order", function()
  local out, status = T.nnlab_run { "run", fixtures .. "options.lua", "--set", "epochs=3", "--set=lr=0.5", "-j", "2",
                                    "--force", "--out", "/tmp/x", "--quiet" }
  T.eq(status, 0, "options run status")
  T.contains(out, "jobs=2 force=true out=/tmp/x quiet=true", "flags reach Lua")
  T.contains(out, "set epochs=3\nset lr=0.5", "--set values reach Lua in order")
end)

T.case("-jN (no space) sets the number of jobs", function()
  local out = T.nnlab_run { "run", fixtures .. "options.lua", "-j4" }
  T.contains(out, "jobs=4", "-jN form")
end)

-- { arguments, what the message says }
local bad = {
  { { "run", fixtures .. "options.lua", "--bogus" }, "unknown option '--bogus'" },
  { { "run", fixtures .. "options.lua", "--set", "novalue" }, "malformed --set 'novalue'" },
  { { "run", fixtures .. "options.lua", "--set", "=3" }, "malformed --set '=3'" },
  { { "run", fixtures .. "options.lua", "--set" }, "--set needs a value" },
  { { "run", fixtures .. "options.lua", "-j", "zero" }, "-j needs a whole number" },
  { { "run", fixtures .. "options.lua", "-j", "0" }, "-j needs a whole number" },
  { { "run", fixtures .. "options.lua", "-j", "0x2" }, "-j needs a whole number from 1 to 1024, got '0x2'" },
  { { "run", fixtures .. "options.lua", "--shard", "0/2", "--shard", "1/2" }, "--shard is given twice" },
  { { "run", fixtures .. "options.lua", "-j", "1e1" }, "-j needs a whole number from 1 to 1024, got '1e1'" },
  { { "run", fixtures .. "options.lua", "--jobs=2.0" }, "-j needs a whole number from 1 to 1024, got '2.0'" },
  { { "run" }, "run needs a Lua file" },
  { { "frobnicate" }, "unknown command 'frobnicate'" },
  { { "version", "--threads", "4" }, "version takes no arguments, got '--threads'" },
  { { "help", "run" }, "help takes no arguments, got 'run'" },
  { { "run", fixtures .. "options.lua", "--no-train", "--force" }, "--force trains every run again and --no-train forbids" },
  { { "plan", fixtures .. "options.lua", "--json", "--count" }, "--json and --count each choose what nnlab plan prints" },
  { { "plan", fixtures .. "options.lua", "--hash", "--shards", "3" }, "--shards lists each run's shard, which --hash" },
  { { "plan", fixtures .. "options.lua", "--shards", "1e1" }, "--shards needs a whole number from 1 to 100000, got '1e1'" },
  { { "plan", fixtures .. "options.lua", "--shards=0x10" }, "--shards needs a whole number from 1 to 100000, got '0x10'" },
  { { "run", fixtures .. "options.lua", "extra.lua" }, "unexpected argument 'extra.lua'" },
}
for _, case in ipairs(bad) do
  local command = table.concat(case[1], " ")
  local shown = {} -- the arguments with the fixtures folder left out, for the case name
  for i, arg in ipairs(case[1]) do
    shown[i] = arg:sub(1, #fixtures) == fixtures and arg:sub(#fixtures + 1) or arg
  end
  T.case(("`nnlab %s` exits 1 saying %s"):format(table.concat(shown, " "), case[2]), function()
    local out, status = T.nnlab_run(case[1])
    T.eq(status, 1, command .. " status")
    T.contains(out, case[2], command)
  end)
end

T.done()
