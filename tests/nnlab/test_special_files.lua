-- Names that stand for something other than a regular file (issue 13,
-- finding 7): a cache entry that is a link to /dev/zero (its size check said
-- 0, then reading never ended), a FIFO (its open waited for a writer
-- forever, and Ctrl-C then deleted it as damaged) or a folder ("too large;
-- deleted", and it was not); an IDX file that is a FIFO (data.load hung).
-- Each is refused unread and named with what it is; runs go under `timeout`,
-- so a hang fails the case instead of the whole test.
local T = require "testlib"
local H = require "fixtures.notebook.helpers"

local dir = T.tmpdir("special_files")
local cache = dir .. "/cache"

-- Runs fixtures/notebook/tiny.lua over this test's cache: output, status.
local function run_tiny()
  local argv = { "run", H.fixtures .. "tiny.lua", "--out", dir .. "/reports" }
  return T.run("timeout 120 env " .. T.nnlab_command(argv, { NNLAB_CACHE = cache, NNLAB_OFFLINE = "1" }))
end

-- The first run fills the cache: four entries, listed by name.
local first_out, first_status = run_tiny()
local names = {}
for name in T.run("ls " .. T.quote(cache)):gmatch("%S+%.lua") do names[#names + 1] = name end
table.sort(names)

T.case("the first run caches four entries", function()
  T.eq(first_status, 0, "first run\n" .. first_out)
  T.eq(#names, 4, "cache entries")
end)

T.case("a link to /dev/zero, a FIFO and an empty folder in the cache are deleted, said so, and retrained", function()
  local function entry(i) return cache .. "/" .. names[i] end
  os.remove(entry(1))
  os.remove(entry(2))
  os.remove(entry(3))
  T.run("ln -s /dev/zero " .. T.quote(entry(1)) .. " && mkfifo " .. T.quote(entry(2)) .. " && mkdir "
        .. T.quote(entry(3)))
  local out, status = run_tiny()
  T.eq(status, 0, "run over special entries\n" .. out)
  H.expect_counts(out, 4, 3, "special entries are retrained")
  for i, kind in ipairs { "a character device", "a FIFO", "a directory" } do
    T.contains(out, ("nnlab: warning: damaged cache entry %s (%s, not a regular file); deleted, the run needs training again")
               :format(entry(i), kind), "the warning says what entry " .. i .. " was")
  end
  T.eq(T.run("find " .. T.quote(cache) .. " -type f -name '*.lua' | wc -l"):match("%d+"), "4",
       "four regular entries again")
end)

T.case("a folder that cannot be deleted in place of an entry stops the run, naming it", function()
  local blocked = cache .. "/" .. names[4]
  os.remove(blocked)
  T.run("mkdir -p " .. T.quote(blocked .. "/inside"))
  local out, status = run_tiny()
  T.eq(status, 1, "a folder in the way\n" .. out)
  T.contains(out:match("^[^\n]*"), ("tiny.lua:20: cannot delete the damaged cache entry %s (a directory, not a regular "
             .. "file): Directory not empty; delete it, then run again"):format(blocked), "the message")
  T.truthy(not out:find("trained", 1, true), "nothing trained first:\n" .. out)
  T.run("rm -rf " .. T.quote(blocked))
end)

T.case("an IDX file that is a FIFO is refused at data.load, not waited on", function()
  local inputs = require "fixtures.bad.inputs"
  local folder = inputs.write_dataset(dir .. "/data")
  local images = folder .. "/train-images-idx3-ubyte"
  os.remove(images)
  T.run("mkfifo " .. T.quote(images))
  local script = dir .. "/load.lua"
  T.write(script, ("local lab = require 'nnlab'\nlab.data.load(%q)\n"):format(folder))
  local out, status = T.run("timeout 60 " .. T.nnlab_command { "run", script })
  T.eq(status, 1, "exit status\n" .. out)
  T.contains(out:match("^[^\n]*"), ("load.lua:2: data.load: %s: a FIFO, not a regular file"):format(images), "the message")
end)

T.done()
