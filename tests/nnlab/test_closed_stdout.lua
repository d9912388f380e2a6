-- A closed stdout never stops the work (issue 13, finding 8): `nnlab run
-- many.lua | head -1` died of SIGPIPE (status 141, no message, no report,
-- 2 of 8 runs cached). Progress lines, the summary, and an experiment's own
-- prints, in the main process and in the workers, go to a pipe that `head`
-- has closed: every run is trained and cached, the report is written, and
-- nnlab exits 0 with nothing on stderr.
local T = require "testlib"

local dir = T.tmpdir("closed_stdout")
local cache, reports = dir .. "/cache", dir .. "/reports"
local script = dir .. "/many.lua"
T.write(script, [[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local train = lab.data.load("fashion-mnist", { subset = 500 })
local test = lab.data.load("fashion-mnist", { train = false, subset = 100 })
local runs = lab.sweep { vary = { hidden = { 4, 8, 16, 32 } }, seeds = 2, epochs = 2, batch_size = 50,
  train = train, test = test,
  model = function(p)
    print("building a model of", p.hidden, "hidden units") -- in the main process and in each worker
    return nn.Sequential { nn.Linear(784, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) }
  end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end }
lab.table(runs)
print("done")
]])

T.case("`nnlab run many.lua | head -1`: every run cached, the report written, status 0", function()
  local status_file, stderr_file = dir .. "/status", dir .. "/stderr"
  local command = T.nnlab_command({ "run", script, "--out", reports, "-j", "2" },
                                  { NNLAB_CACHE = cache, NNLAB_OFFLINE = "1" })
  local out = T.run(("{ %s 2>%s; echo $? >%s; } | head -n 1"):format(command, T.quote(stderr_file),
                                                                        T.quote(status_file)))
  T.eq(select(2, out:gsub("\n", "")), 1, "head saw one line:\n" .. out)
  local stderr = T.read(stderr_file) or ""
  T.eq((T.read(status_file) or ""):match("%d+"), "0", "exit status\n" .. stderr)
  T.eq(stderr, "", "nothing on stderr")
  T.eq(T.run("ls " .. T.quote(cache) .. " | grep -c '\\.lua$'"):match("%d+"), "8", "all 8 runs cached")
  T.truthy(T.read(reports .. "/many.md"), "the report is written")
end)

T.done()
