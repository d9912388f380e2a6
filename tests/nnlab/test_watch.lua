-- `nnlab watch` (lua/nnlab/watch.lua, bridge/lua_watch.c): one watcher on a
-- tiny experiment (4x4-pixel images: a render takes a fraction of a second)
-- goes through an editing session, step by step: the first render trains;
-- a prose edit re-renders with 0 trained; a hyperparameter edit trains; an
-- error is shown at the user's line and the report on disk stays the last
-- good one, byte for byte; the fix re-renders; an edit of a lab.require'd
-- file and of a data file re-render too (a data file rewritten with the
-- same bytes does not); two saves during a render's training leave the
-- training alone and queue one more render; a save during a render stuck in
-- an endless loop cancels it; a module's folder deleted and made anew (at
-- once, or after a render failed without it), or moved aside and made anew,
-- a folder above it moved aside, and a module that is a symbolic link (its
-- file's folder deleted and made anew too), are watched where the writes happen;
-- Ctrl-C during a render stops with status 130 and
-- leaves the last good report (and no staging folder). After each step it
-- checks the render line, the report and the page's reload version.
local T = require "testlib"
local proc = require("nnlab.core").proc

local dir = T.tmpdir("watch")
local out = dir .. "/reports"
local inputs = require "fixtures.bad.inputs"
local data = inputs.write_dataset(dir .. "/data")
os.execute("mkdir -p " .. T.quote(dir .. "/exp/lib"))
local script = dir .. "/exp/watched.lua"
local module = dir .. "/exp/lib/words.lua"

-- The experiment; v: prose, lr, epochs, transform (Lua: a list of
-- transforms), extra (Lua lines at the end), pause (seconds to sleep before
-- the sweep).
local function experiment(v)
  return ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local words = lab.require "lib.words"
lab.title "监视测试"
io.stdout:write("render started: %s\n") io.stdout:flush()
if %s > 0 then os.execute("sleep %s") end
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local runs = lab.sweep { vary = { hidden = { 4, 8 } }, seeds = 1, epochs = %d, batch_size = 10,
  train = train, test = test,
  model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
  optimizer = function(_, params) return optim.SGD(params, { lr = %s }) end,
  transform = function() return %s end,
}
lab.md("%s; " .. words.suffix)
lab.table(runs)
lab.chart(runs, { title = "准确率" })
%s
]]):format(v.prose, v.pause or 0, v.pause or 0, data, data, v.epochs or 2, v.lr or "0.1", v.transform or "{}",
                 v.prose, v.extra or "")
end

-- Saves text at path as editors do: in place, or a new file renamed over it.
local function save(path, text, by_rename)
  if not by_rename then return T.write(path, text) end
  T.write(path .. ".new~", text)
  assert(os.rename(path .. ".new~", path))
end

local md, page, version_file = out .. "/watched.md", out .. "/watched.html", out .. "/watched/watch.js"
T.write(module, 'return { suffix = "first words" }\n')
save(script, experiment { prose = "prose A" })

local job = T.spawn("watch", { "watch", script, "--out", out, "--html", "-j", "2" }, { NNLAB_CACHE = dir .. "/cache" })

-- The render lines printed so far: { text, trained, cached }, or { text,
-- failed = true } or { text, cancelled = true }.
local function renders()
  local list = {}
  for line in (T.read(job.log) or ""):gmatch("[^\n]+") do
    local trained, cached = line:match("^nnlab watch: %S+ .-: %d+ runs, (%d+) trained, (%d+) from cache")
    if trained then list[#list + 1] = { text = line, trained = tonumber(trained), cached = tonumber(cached) }
    elseif line:match("^nnlab watch: %S+ .-: failed") then list[#list + 1] = { text = line, failed = true }
    elseif line:match("^nnlab watch: %S+ .-: cancelled") then list[#list + 1] = { text = line, cancelled = true } end
  end
  return list
end

-- Waits for render number n; returns it.
local function render(n, what)
  T.wait_until(what .. " (render " .. n .. ")", function() return #renders() >= n end, 60)
  local r = renders()
  if #r > n then error(("%s: expected render %d to be the last, got:\n%s"):format(what, n, T.read(job.log)), 2) end
  return r[n]
end

-- The page polls watched/watch.js: after each good render, the version it
-- carries is the page's own.
local function check_page(prose)
  local html = T.read(page)
  T.contains(html, prose, "the page")
  T.contains(html, '<img src="data:image/png;base64,', "the chart embedded (also when re-used from the last report)")
  local version = html:match('var version = "([^"]+)"')
  T.truthy(version, "the page has a reload version")
  T.eq(T.read(version_file), ('nnlabReportVersion("%s");\n'):format(version), "watch.js")
end

local ok, err = pcall(function()
  T.case("the first render trains everything and writes the report and its page", function()
    local r = render(1, "first render")
    T.eq(r.trained, 2, "trained")
    T.contains(r.text, "watched.lua", "render line names the file")
    T.contains(r.text, md, "render line names the report")
    T.contains(T.read(md), "prose A; first words", "report")
    check_page("prose A; first words")
    T.wait_until("the files watched are listed", function() return T.read(job.log):find("watching ", 1, true) end, 10)
    local listed = T.read(job.log):match("watching ([^\n]*)")
    T.contains(listed, "watched.lua, ", "the experiment")
    T.contains(listed, "lib/words.lua and 4 data files", "the lab.require'd file and the data files")
  end)

  T.case("a prose edit re-renders with nothing trained", function()
    save(script, experiment { prose = "prose B" }, true)
    local r = render(2, "prose edit")
    T.eq(r.trained, 0, "trained")
    T.eq(r.cached, 2, "from cache")
    T.contains(T.read(md), "prose B; first words", "report")
    check_page("prose B")
  end)

  T.case("a hyperparameter edit trains what it changed", function()
    save(script, experiment { prose = "prose B", lr = "0.05" })
    local r = render(3, "lr edit")
    T.eq(r.trained, 2, "trained")
    T.contains(T.read(md), "lr=0.05", "report")
  end)

  local good_md, good_page = T.read(md), T.read(page)
  T.case("an error is shown at the user's line and the last good report stays", function()
    local _, line = T.marked_script(dir .. "/exp", "watched",
                                    experiment { prose = "prose C", lr = "0.05", extra = "local broken = nil + 1 --<" })
    local r = render(4, "error")
    T.truthy(r.failed, "the render failed: " .. r.text)
    T.contains(r.text, "failed (the error is above); the last good report stays", "the render line")
    T.contains(T.read(job.log), ("watched.lua:%d: attempt to perform arithmetic on a nil value"):format(line),
               "the error at the user's line")
    local status = T.read(out .. "/.watched.watch.js")
    T.contains(status, '"ok": false', "the page's status file: failed")
    T.contains(status, ("watched.lua:%d: attempt to perform arithmetic on a nil value"):format(line),
               "the page's status file: the error")
    T.eq(T.read(md), good_md, "the report on disk is the last good one")
    T.eq(T.read(page), good_page, "the page on disk is the last good one")
    T.truthy(T.group_alive(job.pid), "watch is still running")
  end)

  T.case("the fix re-renders from the cache", function()
    save(script, experiment { prose = "prose C", lr = "0.05" })
    local r = render(5, "fix")
    T.eq(r.trained, 0, "trained")
    T.contains(T.read(md), "prose C; first words", "report")
    check_page("prose C")
    T.contains(T.read(out .. "/.watched.watch.js"), '"ok": true', "the page's status file: ok again")
  end)

  T.case("an edit of a lab.require'd file re-renders", function()
    save(module, 'return { suffix = "second words" }\n', true)
    local r = render(6, "module edit")
    T.eq(r.trained, 0, "trained")
    T.contains(r.text, "words.lua", "render line names the file")
    T.contains(T.read(md), "prose C; second words", "report")
  end)

  T.case("an edit of a data file retrains on the new data", function()
    local images = data .. "/train-images-idx3-ubyte"
    local bytes = T.read(images)
    save(images, bytes:sub(1, -2) .. string.char((bytes:byte(-1) + 1) % 256), true)
    local r = render(7, "data edit")
    T.eq(r.trained, 2, "trained")
    T.contains(r.text, "train-images-idx3-ubyte", "render line names the file")
  end)

  T.case("a data file written again with the same bytes does not re-render", function()
    local images = data .. "/train-images-idx3-ubyte"
    save(images, T.read(images))
    os.execute("sleep 0.5")
    T.eq(#renders(), 7, "renders")
  end)

  T.case("saves during a render that trains queue one more render, of the newest text", function()
    -- its training waits (in a data.Lambda, in the workers) until the file `go` exists
    local go = dir .. "/go"
    save(script, experiment { prose = "prose D", lr = "0.05", epochs = 3, transform = ([[
      { lab.data.Lambda(function() while not io.open(%q) do os.execute("sleep 0.05") end end) }]]):format(go) })
    T.wait_until("the render trains", function() return T.read(job.log):find("training 3 epochs", 1, true) end, 30)
    save(script, experiment { prose = "prose E", lr = "0.05" })
    os.execute("sleep 0.1")
    save(script, experiment { prose = "prose F", lr = "0.05" }, true)
    os.execute("sleep 0.6")
    T.eq(#renders(), 7, "no render ended or was cancelled while it trained")
    T.write(go, "")
    -- its training ends, and so does its report: the saves came while it trained
    local r = render(8, "the training render")
    T.eq(r.trained, 2, "it trained and wrote its report, not cancelled: " .. r.text)
    local _, finished = T.read(job.log):gsub("after 3 epochs", "")
    T.eq(finished, 2, "runs that finished training")
    r = render(9, "queued render")
    T.eq(r.trained, 0, "trained")
    T.contains(T.read(md), "prose F", "report")
    os.execute("sleep 0.5")
    T.eq(#renders(), 9, "renders after the queue")
  end)

  T.case("a save during a render that does not train (a loop that never ends) cancels it", function()
    save(script, experiment { prose = "prose L", lr = "0.05",
                              extra = 'io.stdout:write("looping\\n") io.stdout:flush() while true do end' })
    T.wait_until("the render loops", function() return T.read(job.log):find("looping", 1, true) end, 30)
    save(script, experiment { prose = "prose M", lr = "0.05" })
    local r = render(10, "the looping render")
    T.truthy(r.cancelled, "cancelled: " .. r.text)
    -- the cancelled render does not tell the user to run again: watch runs the next itself
    local log = T.read(job.log)
    T.contains(log, "nnlab: interrupted by SIGTERM: stopped; finished runs stay cached and the previous report is "
               .. "kept\n", "the render's line")
    T.eq(log:find("run again to resume", 1, true), nil, "no advice to run again\n" .. log)
    r = render(11, "the render after the fix")
    T.eq(r.trained, 0, "trained")
    T.contains(T.read(md), "prose M", "report")
  end)

  -- Runs a shell command that changes the module, then saves `path` with
  -- new words: each must render (renders n and n + 1) with its words.
  local function then_save(n, command, first, path, second)
    os.execute(command)
    render(n, first)
    T.contains(T.read(md), first, "report")
    save(path, ('return { suffix = "%s" }\n'):format(second))
    render(n + 1, second)
    T.contains(T.read(md), second, "report")
  end

  T.case("a lab.require'd file's folder deleted and made anew (a checkout) is watched anew", function()
    local folder = dir .. "/exp/lib"
    then_save(12, ("rm -rf %s && mkdir %s && printf 'return { suffix = \"third words\" }\n' >%s"):format(
      T.quote(folder), T.quote(folder), T.quote(module)), "third words", module, "fourth words")
  end)

  T.case("a lab.require'd file's folder deleted, and made anew only after a render failed without it, "
         .. "is watched anew", function()
    local folder = dir .. "/exp/lib"
    os.execute("rm -rf " .. T.quote(folder))
    local r = render(14, "the render without the folder")
    T.truthy(r.failed, "the render failed: " .. r.text)
    T.eq(T.read(job.log):find("cannot watch", 1, true), nil, "the missing folder is awaited, not refused")
    then_save(15, ("mkdir %s && printf 'return { suffix = \"seventh words\" }\n' >%s"):format(
      T.quote(folder), T.quote(module)), "seventh words", module, "eighth words")
  end)

  T.case("a lab.require'd file's folder moved aside and made anew is watched anew", function()
    local folder = dir .. "/exp/lib"
    then_save(17, ("mv %s %s.old && mkdir %s && printf 'return { suffix = \"ninth words\" }\n' >%s"):format(
      T.quote(folder), T.quote(folder), T.quote(folder), T.quote(module)), "ninth words", module, "tenth words")
    -- the folder moved aside is no longer the experiment's
    save(folder .. ".old/words.lua", 'return { suffix = "old words" }\n')
    os.execute("sleep 0.5")
    T.eq(#renders(), 18, "renders after a save in the folder moved aside")
  end)

  T.case("a lab.require'd file that is a symbolic link: a save of the file it names re-renders", function()
    local shared = dir .. "/shared/words.lua"
    os.execute("mkdir -p " .. T.quote(dir .. "/shared"))
    T.write(shared, 'return { suffix = "fifth words" }\n')
    then_save(19, ("ln -sf %s %s.link && mv %s.link %s"):format(T.quote(shared), T.quote(module), T.quote(module),
                                                                T.quote(module)), "fifth words", shared, "sixth words")
  end)

  -- The link stays; the folder of the file it names is deleted, and made
  -- anew only after a render failed without it: the link, now dangling,
  -- had been taken for a plain file in its own folder.
  T.case("a link whose file's folder is deleted, and made anew after a render failed without it, is watched anew",
         function()
    local shared = dir .. "/shared"
    os.execute("rm -rf " .. T.quote(shared))
    local r = render(21, "the render without the link's file")
    T.truthy(r.failed, "the render failed: " .. r.text)
    then_save(22, ("mkdir %s && printf 'return { suffix = \"eleventh words\" }\n' >%s"):format(
      T.quote(shared), T.quote(shared .. "/words.lua")), "eleventh words", shared .. "/words.lua", "twelfth words")
  end)

  -- A folder above a module's folder moved aside: the module folder's watch
  -- follows it without a word (only the moved folder hears of its move).
  T.case("a folder above a module's folder moved aside and made anew is watched anew", function()
    local deep = dir .. "/exp/lib/deep/more.lua"
    os.execute("mkdir -p " .. T.quote(dir .. "/exp/lib/deep"))
    T.write(deep, 'return { suffix = "deep one" }\n')
    save(script, experiment { prose = "prose H", lr = "0.05", extra = 'lab.md(lab.require("lib.deep.more").suffix)' })
    render(24, "a deeper module")
    T.contains(T.read(md), "deep one", "report")
    local lib = dir .. "/exp/lib"
    then_save(25, ("mv %s %s.moved && mkdir -p %s/deep && printf 'return { suffix = \"words\" }\n' >%s && "
                   .. "printf 'return { suffix = \"deep two\" }\n' >%s"):format(T.quote(lib), T.quote(lib), T.quote(lib),
                   T.quote(module), T.quote(deep)), "deep two", deep, "deep three")
  end)

  T.case("Ctrl-C during a render stops, status 130, and the last good report stays", function()
    local before_md, before_page = T.read(md), T.read(page)
    save(script, experiment { prose = "prose G", lr = "0.05", pause = 3 })
    T.wait_until("the slow render started", function() return T.read(job.log):find("render started: prose G", 1, true) end, 30)
    proc.kill(-job.pid, 2) -- the terminal sends SIGINT to the whole process group
    local code, log = T.wait_exit(job, 30)
    T.eq(code, 130, "exit status")
    T.contains(log, "stopped by SIGINT; the last good report stays", "log")
    T.eq(T.read(md), before_md, "report")
    T.eq(T.read(page), before_page, "page")
    T.eq(T.read(out .. "/.watched.staging/watched.md"), nil, "staging folder left behind")
    T.truthy(not T.group_alive(job.pid), "no process of the watch is left")
  end)
end)
if T.group_alive(job.pid) then proc.kill(-job.pid, 9) end
if not ok then error(err, 0) end

-- Runs body() while the watch `w` (a T.spawn job) runs, then stops it with
-- SIGINT (SIGKILL if it lingers), and raises body's error if it failed.
local function while_watching(w, body)
  local done, failure = pcall(body)
  proc.kill(-w.pid, 2)
  T.wait_exit(w, 30)
  if T.group_alive(w.pid) then proc.kill(-w.pid, 9) end
  if not done then error(failure, 0) end
end

-- A file is watched once a render has read it: a data file or a module
-- saved while the first render ran (or the render that first requires it)
-- was never picked up, and the report stayed stale. The render here reads
-- both, says so, and waits for `go`; they are saved meanwhile.
T.case("a data file and a module saved while the render that first read them ran re-render", function()
  local at = dir .. "/first"
  os.execute("mkdir -p " .. T.quote(at .. "/lib"))
  local go, csv = at .. "/go", at .. "/points.csv"
  T.write(csv, "a,label\n1,0\n2,1\n3,0\n")
  T.write(at .. "/lib/note.lua", 'return "note one"\n')
  T.write(at .. "/first.lua", ([[
local lab = require "nnlab"
local note = lab.require "lib.note"
local ds = lab.data.csv(%q, { target = "label" })
lab.md("rows %%d, %%s", #ds, note)
io.stdout:write("read: ", #ds, " ", note, "\n") io.stdout:flush()
while not io.open(%q) do os.execute("sleep 0.05") end
]]):format(csv, go))
  local first = T.spawn("watch_first", { "watch", at .. "/first.lua", "--out", at .. "/reports" },
                        { NNLAB_CACHE = dir .. "/first-cache" })
  while_watching(first, function()
    T.wait_until("the first render read its files", function()
      return (T.read(first.log) or ""):find("read: 3 note one", 1, true) end, 60)
    T.write(csv, "a,label\n1,0\n2,1\n3,0\n4,1\n")
    T.write(at .. "/lib/note.lua", 'return "note two"\n')
    T.write(go, "")
    T.wait_until("a second render", function()
      local _, lines = (T.read(first.log) or ""):gsub("nnlab watch: %S+ [^\n]*: 0 runs", "")
      return lines >= 2
    end, 60)
    T.contains(T.read(at .. "/reports/first.md") or "", "rows 4, note two", "the report reads the saved files")
  end)
end)

-- Each render is a forked child, so each began without network afresh: a
-- curl (up to its connect timeout a mirror) on every save of a file that
-- loads a dataset to download. A failed download now stays failed for the
-- watch session. A fake curl on PATH counts its calls and fails.
T.case("a download that failed is not tried again by the next renders of the watch session", function()
  local at, bin = dir .. "/offline", dir .. "/offline-bin"
  os.execute(("mkdir -p %s %s"):format(T.quote(at), T.quote(bin)))
  local calls = at .. "/curl.calls"
  T.write(bin .. "/curl", ("#!/bin/sh\necho call >> %s\necho 'curl: (6) Could not resolve host' >&2\nexit 6\n")
                            :format(T.quote(calls)))
  os.execute("chmod +x " .. T.quote(bin .. "/curl"))
  local file = at .. "/offline.lua"
  local function write_file(words)
    T.write(file, ('local lab = require "nnlab"\nlocal ds = lab.data.load("kmnist", { fallback = "fashion-mnist", '
                   .. 'head = 10 })\nlab.md("%s %%d", #ds)\n'):format(words))
  end
  write_file("first")
  -- from `at` (downloads go to ./data), with the fake curl first on PATH
  local saved = T.nnlab
  T.nnlab = "sh"
  local ok, offline = pcall(T.spawn, "watch_offline", { "-c", 'cd "$1" && shift && exec "$@"', "sh", at, saved,
                                                        "watch", file, "--out", at .. "/reports" },
                            { NNLAB_CACHE = dir .. "/offline-cache", NNLAB_OFFLINE = "0", NNLAB_DATA = "",
                              PATH = bin .. ":" .. os.getenv("PATH") })
  T.nnlab = saved
  if not ok then error(offline, 0) end
  while_watching(offline, function()
    local function lines() local _, n = (T.read(offline.log) or ""):gsub("nnlab watch: %S+ [^\n]*: 0 runs", "") return n end
    T.wait_until("the first render", function() return lines() >= 1 end, 60)
    local first = #((T.read(calls) or ""):gsub("[^\n]", ""))
    T.truthy(first >= 1, "the first render ran curl\n" .. T.read(offline.log))
    for n, words in ipairs { "second", "third" } do
      os.execute("sleep 0.3")
      write_file(words)
      T.wait_until("render " .. n + 1, function() return lines() >= n + 1 end, 60)
    end
    T.contains(T.read(at .. "/reports/offline.md") or "", "third 10", "the last render's report")
    T.eq(#((T.read(calls) or ""):gsub("[^\n]", "")), first, "no curl after the first render\n" .. T.read(offline.log))
  end)
end)

-- A first render that failed said "the last good report stays" of a report
-- that did not exist.
T.case("a failed first render says there is no report yet", function()
  local at = dir .. "/broken"
  os.execute("mkdir -p " .. T.quote(at))
  T.write(at .. "/broken.lua", 'local lab = require "nnlab"\nlab.md("x")\nlocal broken = nil + 1\n')
  local job_broken = T.spawn("watch_broken", { "watch", at .. "/broken.lua", "--out", at .. "/reports" },
                             { NNLAB_CACHE = dir .. "/broken-cache" })
  while_watching(job_broken, function()
    T.wait_until("the first render's line", function()
      return (T.read(job_broken.log) or ""):find(": failed (the error is above)", 1, true) end, 60)
    T.contains(T.read(job_broken.log), "failed (the error is above); there is no report yet", "the render line")
  end)
end)

T.done()
