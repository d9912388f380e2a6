-- `nnlab watch` (lua/nnlab/watch.lua) where the folders on the way to a
-- watched file change: a folder above a module's folder moved aside and
-- made anew, with the experiment spelt `./exp/x.lua`; an absolute data path
-- beside a relative experiment; a module folder that is a symbolic link
-- whose target's parent is moved aside; a link to a file whose folder does
-- not exist yet; and deleting the moved-aside copy, which must not render.
-- Each case runs its own watch in a folder of its own and waits for the
-- report to show each saved value.
local T = require "testlib"
local proc = require("nnlab.core").proc

local base = T.tmpdir("watch_paths")

-- Writes text at path, making its folder.
local function write(path, text)
  os.execute("mkdir -p " .. T.quote(path:match("^(.*)/")))
  T.write(path, text)
end
local function module(value) return ("return { v = %q }\n"):format(value) end

-- In dir, runs a shell command that changes the way to a module (a link
-- re-pointed, say) and waits for the report to show `first`; then saves
-- `path` with `value` and waits for `second`.
local function change_then_save(dir, shows, command, first, what, path, value, second)
  os.execute(("cd %s && %s"):format(T.quote(dir), command))
  shows(first, what)
  write(path, module(value))
  shows(second, "a save after that")
end

-- Runs `nnlab watch script` in dir while steps(shows, renders, job) runs:
-- shows(text, what) waits until the report shows text, renders() counts the
-- renders so far. The watch is stopped whatever steps does.
local function watching(dir, name, script, steps)
  local job = T.spawn(name, { "watch", script, "--out", "reports" }, { NNLAB_CACHE = dir .. "/cache" }, dir)
  local report = dir .. "/reports/x.md"
  local function shows(text, what)
    T.wait_until(what .. " (" .. text .. ")", function() return (T.read(report) or ""):find(text, 1, true) end, 30)
  end
  local function renders() -- the render lines printed so far ("nnlab watch: 12:00:00 exp/x.lua: ...")
    local _, n = (T.read(job.log) or ""):gsub("nnlab watch: %d%d:%d%d:%d%d [^\n]*\n", "")
    return n
  end
  local ok, err = pcall(steps, shows, renders, job)
  if T.group_alive(job.pid) then proc.kill(-job.pid, 9) end
  if not ok then error(err, 0) end
end

local EXPERIMENT = [[
local lab = require "nnlab"
lab.title "x"
lab.md("value " .. lab.require("%s").v)
]]

T.case("./exp/x.lua: the folder above the module's moved aside and made anew is watched anew; deleting the "
       .. "moved copy renders nothing", function()
  local dir = base .. "/dot"
  write(dir .. "/exp/x.lua", EXPERIMENT:format("a.b.m"))
  write(dir .. "/exp/a/b/m.lua", module("one"))
  watching(dir, "watch_dot", "./exp/x.lua", function(shows, renders, job)
    shows("value one", "the first render")
    os.execute(("cd %s && mv exp exp.old && mkdir -p exp/a/b && cp exp.old/x.lua exp/ && "
                .. "printf 'return { v = \"two\" }\\n' >exp/a/b/m.lua"):format(T.quote(dir)))
    shows("value two", "after the move")
    write(dir .. "/exp/a/b/m.lua", module("three"))
    shows("value three", "a save in the new folder")
    -- a render's line comes after its report: the count settles first
    local before
    repeat
      before = renders()
      os.execute("sleep 0.5")
    until renders() == before
    os.execute("rm -rf " .. T.quote(dir .. "/exp.old"))
    os.execute("sleep 0.6")
    T.eq(renders(), before, "renders after deleting the moved-aside copy\n" .. T.read(job.log))
  end)
end)

T.case("an absolute data path beside a relative experiment: its folder moved aside and made anew is watched anew",
       function()
  local dir = base .. "/abs"
  local csv = dir .. "/data/sub/d.csv"
  write(csv, "x,y\n1,0\n2,1\n")
  write(dir .. "/exp/x.lua", ([[
local lab = require "nnlab"
lab.title "x"
lab.md("rows %%d", #lab.data.csv(%q, { target = "y" }))
]]):format(csv))
  watching(dir, "watch_abs", "exp/x.lua", function(shows)
    shows("rows 2", "the first render")
    os.execute(("cd %s && mv data data.old && mkdir -p data/sub && printf 'x,y\\n1,0\\n2,1\\n3,0\\n' >data/sub/d.csv")
               :format(T.quote(dir)))
    shows("rows 3", "after the move")
    write(csv, "x,y\n1,0\n2,1\n3,0\n4,1\n")
    shows("rows 4", "a save in the new folder")
  end)
end)

T.case("a module folder that is a symbolic link: its target's parent moved aside and made anew is watched anew",
       function()
  local dir = base .. "/link"
  write(dir .. "/exp/x.lua", EXPERIMENT:format("lib.m"))
  write(dir .. "/sh/lib/m.lua", module("one"))
  os.execute(("ln -s ../sh/lib %s"):format(T.quote(dir .. "/exp/lib")))
  watching(dir, "watch_link", "exp/x.lua", function(shows)
    shows("value one", "the first render")
    os.execute(("cd %s && mv sh sh.old && mkdir -p sh/lib && printf 'return { v = \"two\" }\\n' >sh/lib/m.lua")
               :format(T.quote(dir)))
    shows("value two", "after the move")
    write(dir .. "/sh/lib/m.lua", module("three"))
    shows("value three", "a save in the new folder")
  end)
end)

-- A module that is a link (via `hops`, links of its own) to shared/m.lua,
-- whose folder does not exist yet: the first render fails, then the file
-- arrives and each save of it renders.
local function awaited_link(name, hops)
  local dir = base .. "/" .. name
  write(dir .. "/exp/x.lua", EXPERIMENT:format("lib.m"))
  os.execute("mkdir -p " .. T.quote(dir .. "/exp/lib") .. " " .. T.quote(dir .. "/hop"))
  local first = hops and "../../hop/m.lua" or "../../shared/m.lua"
  os.execute(("ln -s %s %s"):format(first, T.quote(dir .. "/exp/lib/m.lua")))
  if hops then os.execute(("ln -s ../shared/m.lua %s"):format(T.quote(dir .. "/hop/m.lua"))) end
  watching(dir, "watch_" .. name, "exp/x.lua", function(shows, _, job)
    T.wait_until("the first render fails", function() return (T.read(job.log) or ""):find(": failed", 1, true) end, 30)
    write(dir .. "/shared/m.lua", module("one"))
    shows("value one", "once the link's file exists")
    write(dir .. "/shared/m.lua", module("two"))
    shows("value two", "a save of it")
  end)
end

T.case("a module that is a link to a file whose folder does not exist yet is awaited", function()
  awaited_link("dangling", false)
end)

-- A module folder that is a link, re-pointed: deleting the link (or renaming
-- a new one over it) had gone unseen, and the old target's saves rendered.
T.case("a module folder's link re-pointed (deleted and made anew, or renamed over) is watched anew", function()
  local dir = base .. "/repointed"
  write(dir .. "/exp/x.lua", EXPERIMENT:format("lib.m"))
  write(dir .. "/v1/m.lua", module("one"))
  write(dir .. "/v2/m.lua", module("two"))
  write(dir .. "/v3/m.lua", module("four"))
  os.execute(("ln -s ../v1 %s"):format(T.quote(dir .. "/exp/lib")))
  watching(dir, "watch_repointed", "exp/x.lua", function(shows)
    shows("value one", "the first render")
    change_then_save(dir, shows, "rm exp/lib && ln -s ../v2 exp/lib", "value two", "the link deleted and made anew",
                     dir .. "/v2/m.lua", "three", "value three")
    change_then_save(dir, shows, "ln -s ../v3 exp/lib.new && mv -T exp/lib.new exp/lib", "value four",
                     "a new link renamed over it", dir .. "/v3/m.lua", "five", "value five")
  end)
end)

T.case("a module that is a link to a link whose file's folder does not exist yet is awaited", function()
  awaited_link("chain", true)
end)

-- From the fourth review: a link in the middle of a chain re-pointed; one
-- folder reached by two spellings, the second re-pointed; a folder link
-- replaced by a file, then restored. Each had left the report stale.
T.case("a middle link of a chain re-pointed, a second spelling re-pointed, a link restored are all seen", function()
  local dir = base .. "/middle"
  write(dir .. "/exp/x.lua", [[
local lab = require "nnlab"
lab.title "x"
lab.md("value " .. lab.require("real.a").v .. " " .. lab.require("lib.m").v .. " " .. lab.require("chain.m").v)
]])
  write(dir .. "/exp/real/a.lua", module("A"))
  write(dir .. "/v1/m.lua", module("one"))
  write(dir .. "/v2/m.lua", module("two"))
  write(dir .. "/s1/m.lua", module("s1"))
  write(dir .. "/s2/m.lua", module("s2"))
  os.execute(("cd %s && ln -s v1 hop && ln -s ../hop exp/lib && mkdir -p exp/chain hop2 && "
              .. "ln -s ../s1/m.lua hop2/m.lua && ln -s ../../hop2/m.lua exp/chain/m.lua"):format(T.quote(dir)))
  watching(dir, "watch_middle", "exp/x.lua", function(shows, _, job)
    shows("value A one s1", "the first render")
    change_then_save(dir, shows, "rm hop && ln -s v2 hop", "value A two s1", "a folder link's middle link re-pointed",
                     dir .. "/v2/m.lua", "three", "value A three s1")
    change_then_save(dir, shows, "ln -s ../s2/m.lua hop2/m.new && mv -T hop2/m.new hop2/m.lua", "value A three s2",
                     "a file link's middle link re-pointed", dir .. "/s2/m.lua", "s3", "value A three s3")
    os.execute(("cd %s && rm exp/lib && ln -s real exp/lib && printf 'return { v = \"R\" }\\n' >exp/real/m.lua"):format(
      T.quote(dir)))
    shows("value A R s3", "the folder link re-pointed at a folder already watched by another spelling")
    os.execute(("cd %s && rm exp/lib && printf 'return {}\\n' >exp/lib"):format(T.quote(dir)))
    T.wait_until("the render without the folder fails", function()
      return (T.read(job.log) or ""):find(": failed", 1, true)
    end, 30)
    os.execute(("cd %s && rm exp/lib && ln -s ../v2 exp/lib"):format(T.quote(dir)))
    write(dir .. "/v2/m.lua", module("back"))
    shows("value A back s3", "the link restored")
  end)
end)

T.done()
