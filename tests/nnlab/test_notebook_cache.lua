-- The cache as outside input: damaged entries are discarded with a warning
-- and retrained, entries are data that never run code; and a run killed
-- midway (SIGKILL to its process group) leaves the previous report intact and
-- its finished runs usable. The cases run in order over one cache, each
-- starting from the cache the one before left.
local T = require "testlib"
local H = require "fixtures.notebook.helpers"

local dir = T.tmpdir("notebook_cache")
local cache = dir .. "/cache"

-- The first run fills the cache: four entries, listed by name.
local first_out, first_status = H.run(dir, "tiny.lua")
local names = {}
for name in T.run("ls " .. T.quote(cache)):gmatch("%S+%.lua") do names[#names + 1] = name end
table.sort(names)

T.case("the first run writes one cache file per (variation, seed)", function()
  T.eq(first_status, 0, "first run\n" .. first_out)
  H.expect_counts(first_out, 4, 4, "first run")
  T.eq(H.count_files(cache), 4, "one cache file per (variation, seed)")
  T.eq(#names, 4, "cache file names")
end)

T.case("damaged entries (cut short, copied, code) are retrained with a warning and never run", function()
  -- damage three entries in three ways; the fourth stays good
  local pwned = dir .. "/pwned"
  T.write(cache .. "/" .. names[1], "return { format = 1, key = ")                         -- truncated
  T.write(cache .. "/" .. names[2], T.read(cache .. "/" .. names[4]))                      -- another run's entry
  T.write(cache .. "/" .. names[3], ("return os.execute(%q) or io.open(%q, 'w')"):format("touch " .. T.quote(pwned), pwned))
  local out, status = H.run(dir, "tiny.lua")
  T.eq(status, 0, "run over damaged entries\n" .. out)
  H.expect_counts(out, 4, 3, "damaged entries are retrained")
  for i = 1, 3 do T.contains(out, "damaged cache entry " .. cache .. "/" .. names[i], "warning names " .. names[i]) end
  T.contains(out, "its key does not match", "a copied entry is caught by its key")
  T.truthy(not io.open(pwned), "a cache file cannot run code")
end)

-- Needs the entries the case above repaired: unavoidable.
T.case("repaired entries serve the next run, without warnings", function()
  local out = H.run(dir, "tiny.lua")
  H.expect_counts(out, 4, 0, "repaired entries serve the next run")
  T.truthy(not out:find("damaged", 1, true), "no more warnings")
end)

-- A digit changed in an entry's result (a hand edit, a flipped bit) was read
-- as it stood: the report showed numbers no run had given. Each entry now
-- ends with its result's digest; an entry without one (as written before
-- the digest) is still read.
T.case("an entry whose result was changed after it was written is damaged; one without a digest is read", function()
  local path = cache .. "/" .. names[1]
  local text = T.read(path)
  T.truthy(text:find(',digest="%x+"}\n$'), "the entry ends with its digest\n" .. text:sub(-80))
  local changed, n = text:gsub("train_loss=(%d)", function(d) return "train_loss=" .. (d == "9" and "8" or "9") end, 1)
  T.eq(n, 1, "a training loss to change")
  T.write(path, changed)
  local out = H.run(dir, "tiny.lua")
  H.expect_counts(out, 4, 1, "the changed entry is trained again")
  T.contains(out, "damaged cache entry " .. path .. " (its result was changed after it was written", "the warning")
  -- the same change in an entry read whole (its head altered: a space after
  -- `return`), and a digest whose own text was changed (`digesT`)
  for _, alter in ipairs {
    function(t) return (t:gsub("^return ", "return  ", 1)) end,
    function(t) return (t:gsub(',digest="', ',digesT="', 1)) end,
  } do
    local good = T.read(path)
    T.write(path, alter((good:gsub("train_loss=(%d)", function(d) return "train_loss=" .. (d == "9" and "8" or "9") end, 1))))
    out = H.run(dir, "tiny.lua")
    H.expect_counts(out, 4, 1, "the changed entry is trained again")
    T.contains(out, "damaged cache entry " .. path, "the warning\n" .. out)
  end
  -- the entry as it was before digests: read, with no warning
  T.write(path, (T.read(path):gsub(',digest="%x+"}\n$', "}\n")))
  out = H.run(dir, "tiny.lua")
  H.expect_counts(out, 4, 0, "an entry without a digest is read")
  T.truthy(not out:find("damaged", 1, true), "no warning\n" .. out)
end)

T.case("code in a cache file (an endless loop) is refused, never run", function()
  T.write(cache .. "/" .. names[1], "while true do end")
  local out = H.run(dir, "tiny.lua")
  H.expect_counts(out, 4, 1, "endless loop entry")
  T.contains(out, names[1] .. ":1: 'return' expected at the start", "why the entry was refused")
end)

-- a run killed midway: -j 1 trains the slow hidden=128 runs first (longest
-- first), then the quick hidden=8 ones; SIGKILL goes to the whole process
-- group as soon as the first slow run is cached, while the second trains
local slow = { "--set", "epochs=4", "--set", "train_size=5000", "--set", "second=128", "-j", "1" }
local finished -- new entries the killed run had finished

T.case("a run killed midway (SIGKILL to its group) leaves the previous report intact", function()
  local good_report = T.read(dir .. "/reports/tiny.md")
  local argv = { "run", H.fixtures .. "tiny.lua", "--out", dir .. "/reports" }
  for _, a in ipairs(slow) do argv[#argv + 1] = a end
  local job = T.spawn("notebook_cache_killed", argv, { NNLAB_CACHE = cache, NNLAB_OFFLINE = "1" })
  local proc = require("nnlab.core").proc
  -- 200 s: sanitizer builds are slow
  local ok, err = pcall(T.wait_until, "the first slow run is cached", function() return H.count_files(cache) >= 5 end, 200)
  T.truthy(proc.kill(-job.pid, 9) or not T.group_alive(job.pid), "SIGKILL sent to the process group")
  if not ok then error(err) end
  T.wait_until("the process group is gone", function() return not T.group_alive(job.pid) end, 30)
  finished = H.count_files(cache) - 4
  T.truthy(not T.read(job.log):find("wrote", 1, true), "the run was killed before its end:\n" .. T.read(job.log))
  T.truthy(finished >= 1 and finished < 4, ("killed midway (%d of 4 new entries)"):format(finished))
  T.eq(T.read(dir .. "/reports/tiny.md"), good_report, "the previous report is intact")
end)

-- Resumes the killed run, so it needs the case above to have counted its
-- finished entries: unavoidable.
T.case("the run after the kill trains only what had not finished; finished entries are whole", function()
  T.truthy(finished, "the kill case counted the finished entries")
  local out, status = H.run(dir, "tiny.lua", slow)
  T.eq(status, 0, "resumed run\n" .. out)
  H.expect_counts(out, 4, 4 - finished, "resumed run")
  T.truthy(not out:find("damaged", 1, true), "entries finished before the kill are whole")
  T.contains(T.read(dir .. "/reports/tiny.md"), "`second` = 128 (--set; default 16)", "new report")
end)

-- Only content that fails validation is damage: a cache file that cannot be
-- read (here: a cache folder whose name is too long) stops the run with the
-- cause, and nothing is deleted. A cache write that fails (a full disk) leaves
-- no file beside an entry that was never written.
local small_data = require("fixtures.bad.inputs").write_dataset(dir .. "/tiny-data") -- 4x4 images
local small = dir .. "/small.lua"
T.write(small, ([[
local lab = require "nnlab"
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_size = 10, train = train, test = test,
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(16, p.hidden), lab.nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
lab.table(runs)
]]):format(small_data, small_data))

T.case("a cache file that cannot be read is an error naming it and the cause, not damage", function()
  local long = dir .. "/" .. ("b"):rep(300)
  local out, status = T.nnlab_run({ "run", small, "--out", dir .. "/small-reports", "-q" }, { NNLAB_CACHE = long })
  T.eq(status, 1, "exit status\n" .. out)
  local first = out:match("^[^\n]*")
  T.contains(first, "cannot read the cache entry " .. long .. "/", "names the file")
  T.contains(first, "File name too long", "and the cause")
  T.truthy(not out:find("damaged", 1, true), "no damaged entry\n" .. out)
end)

T.case("a cache entry that cannot be written leaves no file beside it", function()
  local full = dir .. "/full-cache"
  -- 1024 bytes (dash counts 512-byte blocks): the weights and predictions fit, the entry does not
  local out, status = T.nnlab_run({ "run", small, "--out", dir .. "/small-reports", "-q" }, { NNLAB_CACHE = full },
                                  "ulimit -f 2")
  T.eq(status, 1, "exit status\n" .. out)
  T.contains(out, "File too large", "the entry could not be written\n" .. out)
  local listing = T.run("ls -A " .. T.quote(full))
  T.eq(listing, "", "nothing left in the cache folder")
end)

-- Two variations with the same settings are one cache key: trained once, both
-- given its result (each trained it, and the second overwrote the first's entry).
T.case("two variations with the same settings train once in one run", function()
  local twins = dir .. "/twins.lua"
  T.write(twins, ([[
local lab = require "nnlab"
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { variations = { { label = "a", hidden = 4 }, { label = "b", hidden = 4 }, { label = "c", hidden = 8 } },
  seeds = 2, epochs = 1, batch_size = 10, train = train, test = test,
  model = function(p) return lab.nn.Sequential { lab.nn.Linear(16, p.hidden), lab.nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return lab.optim.SGD(params, { lr = 0.1 }) end }
lab.table(runs)
local a, b = runs:get("a").seeds[2].history, runs:get("b").seeds[2].history
lab.md("same: %%s", tostring(a[#a].test_loss ~= nil and a[#a].test_loss == b[#b].test_loss))
]]):format(small_data, small_data))
  local cache = dir .. "/twins-cache"
  local out, status = T.nnlab_run({ "run", twins, "--out", dir .. "/twins-reports", "-j", "2" }, { NNLAB_CACHE = cache })
  T.eq(status, 0, out)
  T.contains(out, "6 runs, 4 trained, 2 from cache", "a and b share their runs\n" .. out)
  T.contains(T.read(dir .. "/twins-reports/twins.md"), "same: true", "b has a's results")
  local entries = 0
  for name in T.run("ls " .. T.quote(cache)):gmatch("[^\n]+") do
    if name:match("%.lua$") then entries = entries + 1 end
  end
  T.eq(entries, 4, "one entry per key")
end)

T.done()
