-- Ctrl-C while nnlab removes files or waits for a program (docs/reliability.md,
-- "Interrupting a run"): the leftovers of an earlier run in a report's staging
-- folder are removed in nnlab's own process (files.remove_tree), so a SIGINT
-- that lands meanwhile, to nnlab alone or to its process group, stops the run
-- with 130 and keeps the previous report, and nothing the run did not write
-- reaches the new one; a staging folder that cannot be emptied fails the run
-- with nnlab's one line. A Ctrl-C that ends a download (curl) ends the run
-- with 130 too, not with "download failed".
local T = require "testlib"
local proc = require("nnlab.core").proc

local dir = T.tmpdir("interrupt_io")
local cache = dir .. "/cache"
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data") -- 4x4 images: runs take milliseconds
local env = { NNLAB_CACHE = cache }
local SIGINT = 2

local script = dir .. "/small.lua"
T.write(script, ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local tag = lab.param("tag", "old")
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = 1, batch_size = 10,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end,
}
lab.md("tag %%s", tag)
lab.table(runs)
]]):format(data, data))

-- Subfolders left in the staging folder: a folder's link count falls as they
-- go, which tells that the removal has started.
local JUNK = 4000

-- A fresh reports folder holding the "old" report, and a staging folder with
-- leftovers: JUNK empty folders, a stale chart and a link to a folder outside
-- (removed, never followed).
local function prepare(out)
  os.execute("rm -rf " .. T.quote(out))
  local text, status = T.nnlab_run({ "run", script, "--out", out, "-q" }, env)
  T.eq(status, 0, "the old report\n" .. text)
  local staged = out .. "/.small.staging/small"
  os.execute(("mkdir -p %s/junk && cd %s/junk && seq %d | xargs mkdir"):format(T.quote(staged), T.quote(staged), JUNK))
  T.write(staged .. "/fig9-stale.png", "STALE")
  os.execute(("mkdir -p %s/outside && echo keep >%s/outside/file && ln -s %s/outside %s/link"):format(
    T.quote(dir), T.quote(dir), T.quote(dir), T.quote(staged)))
  return T.read(out .. "/small.md"), staged .. "/junk"
end

local function links(path)
  return tonumber(T.run("stat -c %h " .. T.quote(path) .. " 2>/dev/null"):match("%d+") or "0")
end

for _, case in ipairs { { "nnlab alone", false }, { "its process group", true } } do
  T.case(("SIGINT to %s while the staging folder is emptied: 130, the previous report kept"):format(case[1]), function()
    local out = dir .. "/out-" .. (case[2] and "group" or "alone")
    local old, junk = prepare(out)
    local job = T.spawn("interrupt_io_" .. (case[2] and "group" or "alone"),
                        { "run", script, "--out", out, "--set", "tag=new" }, env)
    T.wait_until("the removal has started", function() return links(junk) < JUNK + 2 end, 60)
    proc.kill(case[2] and -job.pid or job.pid, SIGINT)
    local code, log = T.wait_exit(job, 60)
    T.eq(code, 128 + SIGINT, "exit status\n" .. log)
    T.contains(log, "nnlab: interrupted by SIGINT", "message")
    T.eq(T.read(out .. "/small.md"), old, "the previous report is kept")
    T.eq(T.read(out .. "/small/fig9-stale.png"), nil, "no stale file in the report folder")
    T.eq(T.read(dir .. "/outside/file"), "keep\n", "the linked folder is untouched")
  end)
end

T.case("leftovers in the staging folder never reach the report; a link in it is removed, not followed", function()
  local out = dir .. "/out-plain"
  prepare(out)
  local text, status = T.nnlab_run({ "run", script, "--out", out, "-q", "--set", "tag=new" }, env)
  T.eq(status, 0, "run\n" .. text)
  T.contains(T.read(out .. "/small.md"), "tag new", "the new report")
  T.eq(T.run("ls -A " .. T.quote(out .. "/small") .. " | grep -c -e junk -e stale -e link"):match("%d+"), "0",
       "only what the run wrote")
  T.eq(T.read(dir .. "/outside/file"), "keep\n", "the linked folder is untouched")
  T.eq(T.run("ls -A " .. T.quote(out)):gsub("%s+", " "), ".small.lock small small.md ", "no staging folder left")
end)

-- A staging folder that cannot be emptied: for an ordinary user a
-- read-only folder in it; for root (who writes anyway) a folder in it that
-- is a mount point, in a private mount namespace. (A name whose
-- .NAME.staging was too long served here once; such names are refused now
-- before anything is written, test_report_edges.)
local root = T.run("id -u"):match("%d+") == "0"
local namespaces = select(2, T.run("unshare -m true")) == 0
local staging_case = "a staging folder that cannot be emptied fails the run with nnlab's one line"
if not root or namespaces then
  T.case(staging_case, function()
    local out = dir .. "/out-stuck"
    local stuck = out .. "/.small.staging/stuck"
    os.execute(("mkdir -p %s && touch %s/file"):format(T.quote(stuck), T.quote(stuck)))
    local args = { "run", script, "--out", out, "-q" }
    local text, status, failing, why
    if root then
      text, status = T.run("unshare -m sh -c " .. T.quote("mount -t tmpfs tmpfs " .. T.quote(stuck) .. ' && exec "$@"')
                           .. " sh env " .. T.nnlab_command(args, env))
      failing, why = stuck, "Device or resource busy"
    else
      text, status = T.nnlab_run(args, env, "chmod a-w " .. T.quote(stuck))
      failing, why = stuck .. "/file", "Permission denied"
    end
    os.execute("chmod -R u+w " .. T.quote(out))
    T.eq(status, 1, "exit status\n" .. text)
    local first = text:match("^[^\n]*")
    T.contains(first, ("nnlab: cannot remove %s: %s"):format(failing, why),
               "nnlab's line comes first and names the folder and the cause")
    T.eq(select(2, text:gsub("\n", "")), 1, "one line\n" .. text)
  end)
else
  T.skip(staging_case, "root without mount namespaces")
end

-- A fake curl that waits: the download is under way until the signal.
T.case("SIGINT to the process group during a download: 130, not a failed download", function()
  local bin, work = dir .. "/bin", dir .. "/work"
  os.execute(("mkdir -p %s %s"):format(T.quote(bin), T.quote(work)))
  local started = dir .. "/curl.started"
  T.write(bin .. "/curl", ("#!/bin/sh\ntouch %s\nexec sleep 30\n"):format(T.quote(started)))
  os.execute("chmod +x " .. T.quote(bin .. "/curl"))
  local loads = dir .. "/download.lua"
  T.write(loads, 'local lab = require "nnlab"\nlab.data.load("kmnist")\n')
  -- run from `work` (downloads go to ./data), with the fake curl first on PATH
  local saved = T.nnlab
  T.nnlab = "sh"
  local ok, job = pcall(T.spawn, "interrupt_io_download",
                        { "-c", 'cd "$1" && shift && exec "$@"', "sh", work, saved, "run", loads },
                        { NNLAB_CACHE = cache, NNLAB_OFFLINE = "0", NNLAB_DATA = "", PATH = bin .. ":" .. os.getenv("PATH") })
  T.nnlab = saved
  if not ok then error(job, 0) end
  T.wait_until("curl has started", function() return T.read(started) ~= nil end, 60)
  proc.kill(-job.pid, SIGINT)
  local code, log = T.wait_exit(job, 60)
  T.eq(code, 128 + SIGINT, "exit status\n" .. log)
  T.contains(log:match("^[^\n]*"), "nnlab: interrupted by SIGINT", "message")
  T.truthy(not log:find("failed", 1, true), "no failed download reported\n" .. log)
  T.eq(T.run("find " .. T.quote(work) .. " -name '*.part'"), "", "no partial file left")
end)

T.done()
