-- nnlab.watch: `nnlab watch FILE [run options]`, a live notebook. Runs the
-- experiment, then runs it again each time a file it read is saved: the
-- experiment, every file it lab.require'd (or tried to) and every data file
-- it loaded (nnlab.data.files_read). Linux inotify (core.watch) watches
-- their folders, so editors that save by renaming a new file over the old
-- one are seen too; nothing polls.
--
-- Each re-render is a fresh `nnlab run` in a forked child: no state of one
-- render (lab.param values, loaded modules, the notebook's blocks) leaks
-- into the next, and an error, a crash or an interruption ends only that
-- child. The cache decides what trains, so a prose edit trains nothing.
-- The child sends its totals and the files it read back through a pipe
-- (nnlab.notebook.serialize's data format); the watcher prints one line per
-- render. Changes are debounced (DEBOUNCE seconds of quiet after the last
-- one). A change while a render trains queues one new render, which starts
-- when that one has finished (what it trains is cached); a change while a
-- render does anything else (Lua, the report, an endless loop) cancels it.
-- The render tells which through "state" frames on the pipe. A data file counts as changed only when its bytes
-- did (SHA-256), so an experiment that writes the data it reads does not
-- re-render itself for ever. A failed render shows its error (at the user's
-- line, as `nnlab run` does; with --html also in the page, through
-- OUT/.NAME.watch.js) and leaves the last good report, which the
-- report's atomic staging guarantees; so does Ctrl-C, which stops the
-- render under way (its finished runs stay cached) and the watch, exit
-- status 130.
local cli = require "nnlab.cli"
local core = require "nnlab.core"
local files = require "nnlab.files"
local html = require "nnlab.notebook.html"
local provenance = require "nnlab.notebook.provenance"
local serialize = require "nnlab.notebook.serialize"
local proc = core.proc

local watch = {}

--- watch.DEBOUNCE: seconds without a further change before a render starts
--- (an editor's save is several events: write, rename, attributes).
watch.DEBOUNCE = 0.1

local USAGE = [==[
usage: nnlab watch FILE.lua [--set key=value]... [-j N] [--threads N] [--force] [--out DIR] [-q]
                   [--cache DIR] [--no-train] [--html[=MODE]]

Runs FILE.lua as `nnlab run` does, then again each time it, a file it
lab.require'd or a data file it loaded is saved, training only what the
cache does not hold. One line per render; an error is shown and the last
good report stays. With --html the page OUT/NAME.html reloads itself in the
browser after each render. Ctrl-C stops (the last good report stays).
The options are nnlab run's (nnlab run --help); --force applies to the
first render only.
]==]

local function say(text)
  io.stdout:write("nnlab watch: ", text, "\n")
  io.stdout:flush()
end

-- Frames on the pipe from a render to the watcher: "<kind> <length>\n"
-- and that many bytes. Kinds: "state" ("training" | "idle") and "result"
-- (nnlab.notebook.serialize's data text).
local function send_frame(fd, kind, payload)
  proc.write(fd, ("%s %d\n%s"):format(kind, #payload, payload))
end

-- The frames complete in child.text (a list of chunks read): state frames
-- set child.training, the result frame child.result_text.
local function read_frames(child)
  local text = table.concat(child.text)
  while true do
    local kind, length, start = text:match("^(%a+) (%d+)\n()")
    if not kind or #text < start + tonumber(length) - 1 then break end
    local payload = text:sub(start, start + tonumber(length) - 1)
    if kind == "state" then child.training = payload == "training" end
    if kind == "result" then child.result_text = payload end
    text = text:sub(start + tonumber(length))
  end
  child.text = { text }
end

-- The child: one `nnlab run` of opts, then its totals, its error and the
-- files it read through write_fd; ends with _exit whatever happens: nothing
-- of the watcher's runs twice, and no error climbs back into the watch loop.
local function render_child(opts, write_fd)
  local status = 1
  -- "training" while a sweep trains, "idle" after it: a save meanwhile
  -- queues the next render instead of cancelling this one
  local progress = require "nnlab.notebook.progress"
  local begin, close = progress.begin, progress.close
  function progress.begin(display, title, total, to_train, ...)
    if to_train > 0 then send_frame(write_fd, "state", "training") end
    return begin(display, title, total, to_train, ...)
  end
  function progress.close(display, ...)
    send_frame(write_fd, "state", "idle")
    return close(display, ...)
  end
  -- what the run writes to stderr is also kept: its last "nnlab: " message
  -- is the error the page shows (nnlab.cli writes it there)
  local stderr, said = io.stderr, {}
  io.stderr = setmetatable({}, { __index = function(_, key)
    return function(_, ...)
      if key == "write" then
        for i = 1, select("#", ...) do said[#said + 1] = tostring((select(i, ...))) end
      end
      return stderr[key](stderr, ...)
    end
  end })
  local ok, err = pcall(function()
    local totals
    status, totals = cli.run_file(opts)
    local notebook = package.loaded["nnlab.notebook"]
    local text, last, message = table.concat(said), 0, nil
    for at in text:gmatch("()nnlab: ") do last = at end
    if status ~= 0 and last > 0 then message = text:sub(last + #"nnlab: "):gsub("%s+$", "") end
    local mtimes = {}
    for path, t in pairs(notebook and notebook.loaded_mtimes() or {}) do mtimes[path] = t end
    for path, t in pairs(require("nnlab.data").read_mtimes()) do mtimes[path] = t end
    local datasets = package.loaded["nnlab.datasets"]
    send_frame(write_fd, "result", "return " .. serialize.encode {
      status = status, totals = totals, error = message,
      lua = notebook and notebook.loaded_files() or { opts.script }, data = require("nnlab.data").files_read(),
      mtimes = mtimes, failed_downloads = datasets and datasets.failed_downloads() or nil })
  end)
  io.stderr = stderr
  if not ok then
    io.stderr:write("nnlab: ", tostring(err), "\n")
    if status == 0 then status = 1 end
  end
  io.stdout:flush()
  io.stderr:flush()
  proc._exit(status)
end

-- Starts a render in a child; returns { pid, fd, text, started, cause }.
local function start_render(opts, cause, watcher)
  io.stdout:flush()
  io.stderr:flush()
  local read_fd, write_fd = proc.pipe()
  if not read_fd then error("cannot start a render: " .. tostring(write_fd), 0) end
  local pid, err = proc.fork()
  if not pid then
    proc.close(read_fd)
    proc.close(write_fd)
    error("cannot start a render: " .. tostring(err), 0)
  end
  if pid == 0 then
    proc.close(read_fd)
    watcher:close()
    render_child(opts, write_fd)
  end
  proc.close(write_fd)
  return { pid = pid, fd = read_fd, text = {}, started = proc.clock(), cause = cause }
end

-- The set of watched files: folder watches (wd) and, per wd, the names in it.
local Watched = {}
Watched.__index = Watched

local function new_watched(watcher)
  return setmetatable({ watcher = watcher, by_wd = {}, paths = {}, links = {}, lua = {}, data = {}, digests = {},
                        awaiting = {}, targets = {} }, Watched)
end

-- "a/b/c.lua" -> "a/b", "c.lua"; "c.lua" -> ".", "c.lua"; "/c.lua" -> "/", "c.lua"
local function split(path)
  local folder, name = path:match("^(.*)/([^/]*)$")
  if not folder then return ".", path end
  return folder == "" and "/" or folder, name
end

local ENOENT, ENOTDIR = 2, 20

-- What the symbolic link at path names, as a path (a relative target taken
-- from the link's folder), or nil when path is no link.
local function read_link(path)
  local target = proc.readlink(path)
  if not target or target:sub(1, 1) == "/" then return target end
  local folder = split(path)
  return (folder == "/" and "" or folder) .. "/" .. target
end

-- The links a symbolic link at path goes through, to the last one it
-- names (up to 16, as the kernel follows, past which a loop is assumed);
-- empty when path is no link.
local function link_hops(path)
  local hops = {}
  for _ = 1, 16 do
    path = read_link(path)
    if not path then break end
    hops[#hops + 1] = path
  end
  return hops
end

-- A folder's path made absolute without resolving its last name (a link to
-- a folder stays the link): where the experiment reaches it.
local function spelt_path(folder)
  local parent, name = split(folder)
  if name == "" or name == "." or name == ".." then return proc.realpath(folder) end
  local real_parent = proc.realpath(parent)
  return real_parent and (real_parent == "/" and "" or real_parent) .. "/" .. name
end

-- Every path a folder is reached by: as spelt, and each link on the way
-- from there to the real folder (exp/lib -> ../hop -> v1: .../exp/lib and
-- .../hop).
local function spellings(folder)
  local list, spelt = {}, spelt_path(folder)
  for _ = 1, 16 do
    if not spelt then break end
    list[#list + 1] = spelt
    local target = read_link(spelt)
    if not target then break end
    spelt = spelt_path(target)
  end
  return list
end

-- The watch entry of wd (made when first seen): names (file name -> the
-- watched path), real (the folder's real path when watched), leads (names
-- in it on the way down to watched folders).
function Watched:entry(wd, folder)
  local entry = self.by_wd[wd]
  if not entry then
    entry = { names = {}, real = proc.realpath(folder) }
    self.by_wd[wd] = entry
  end
  return entry
end

-- Watches path (its folder, and the folder of the file a symbolic link
-- names, where the writes to it happen), a file of `kind` ("lua" or
-- "data"); false and why when its folder cannot be watched. A folder that
-- does not exist (yet) is awaited (Watched:arrivals), and the third result
-- is then true; so is the file of a link whose file is missing. One that
-- appears while its watch from above is being set is taken at once
-- (retried: how often so far).
function Watched:add(path, kind, retried)
  retried = retried or 0
  local link_folder, link_name = split(path)
  local resolved, real_folder = proc.realpath(path), proc.realpath(link_folder)
  local real = resolved
  if not (real and real_folder and real ~= (real_folder:gsub("/$", "")) .. "/" .. link_name) then real = nil end
  if real then self.targets[path] = real end
  if self.paths[path] and self.links[path] == real then return true end
  self.awaiting[path] = nil
  -- a symbolic link whose file is missing (its folder deleted, or not made
  -- yet): awaited where the link points, and watched in its own folder (a
  -- new link)
  local hops = link_hops(path)
  local missing_target = not resolved and not self.paths[path] and (hops[#hops] or self.targets[path])
  -- the link, the links it goes through (one re-pointed is a save), and
  -- the file it names anew when the link now names another file
  local places = { path }
  for i = 1, #hops - 1 do places[#places + 1] = hops[i] end
  places[#places + 1] = real
  self.links[path] = real
  for _, place in ipairs(places) do
    local folder, name = split(place)
    local wd, err, errno = self.watcher:add(folder)
    -- (a name on the way that is now a file, not a folder: awaited too)
    if not wd and (errno == ENOENT or errno == ENOTDIR) and not self.paths[path] then
      self.awaiting[path] = kind
      self:watch_above(place)
      -- made meanwhile, before the watch above could see it: now, not never
      if proc.realpath(folder) and retried < 3 then return self:add(path, kind, retried + 1) end
      return false, err, true
    end
    if not wd then return false, err end
    local entry = self:entry(wd, folder)
    entry.names[name] = path
    -- the way down as the experiment spells it (each spelling, and each
    -- link on the way), and as it really goes: a link to a folder
    -- re-pointed, or the folder it names moved
    entry.spelts = entry.spelts or {}
    for _, spelt in ipairs(spellings(folder)) do
      if not entry.spelts[spelt] then
        entry.spelts[spelt] = true
        if spelt ~= entry.real then self:watch_leads(spelt) end
      end
    end
    if entry.real then self:watch_leads(entry.real) end
  end
  if missing_target then
    self.awaiting[path] = kind
    self:watch_above(missing_target)
    if proc.realpath(path) and retried < 3 then return self:add(path, kind, retried + 1) end
    return false, "the file its link names is missing", true
  end
  if self.paths[path] then return true end
  self.paths[path] = kind
  self[kind][#self[kind] + 1] = path
  if kind == "data" then self.digests[path] = provenance.sha256(path) or false end
  return true
end

-- A folder's watch has ended (deleted or moved, as `git checkout` or an
-- unpacked archive does): its files count as saved, and are forgotten, so
-- that the next render watches them anew in the folder now at that path;
-- until one does, they await the folder's return (Watched:arrivals).
-- Returns the paths it held.
function Watched:forget(wd)
  local entry, out = self.by_wd[wd], {}
  if not entry then return out end
  self.by_wd[wd] = nil
  for _, path in pairs(entry.names) do out[#out + 1] = path end
  table.sort(out)
  for _, path in ipairs(out) do
    local kind = self.paths[path]
    self.awaiting[path] = kind
    self.paths[path], self.links[path] = nil, nil
    for i = #(self[kind] or {}), 1, -1 do
      if self[kind][i] == path then table.remove(self[kind], i) end
    end
    for _, other in pairs(self.by_wd) do -- a link's other place
      for name, p in pairs(other.names) do if p == path then other.names[name] = nil end end
    end
  end
  return out
end

-- Watches path's folder, or when it does not exist the nearest folder above
-- it that does, where path (or its folder) will appear again (made anew, or
-- moved in).
function Watched:watch_above(path)
  local folder = split(path)
  while true do
    local wd = self.watcher:add(folder)
    if wd then
      local entry = self:entry(wd, folder)
      if entry.real then self:watch_leads(entry.real) end
      return
    end
    local parent = split(folder)
    if parent == folder then return end
    folder = parent
  end
end

-- Watches the folders above a watched folder, along one absolute path of
-- it (its real path, or one of its spellings: Watched:add walks each),
-- each for the name that leads down to it: a folder on the way moved aside
-- (`mv exp/a exp/a.old`) takes the watches below it along without a word
-- to them (Watched:leads_changed).
function Watched:watch_leads(path)
  local child = path
  while true do
    local parent, name = split(child)
    if parent == child or name == "" then return end
    local wd = self.watcher:add(parent)
    if not wd then return end
    local entry = self:entry(wd, parent)
    entry.leads = entry.leads or {}
    if entry.leads[name] then return end -- the way above is watched already
    entry.leads[name] = true
    child = parent
  end
end

-- A folder (or a link to one) on the way to watched files was moved out,
-- deleted, or replaced by one renamed over it (the event names it in its
-- parent): the watches below it followed it or ended, so they end, and
-- their files are forgotten (awaited at their paths, as Watched:forget
-- does). Returns those files.
function Watched:leads_changed(event)
  local entry = self.by_wd[event.wd]
  if event.kind ~= "moved_out" and event.kind ~= "deleted" and event.kind ~= "moved_in" then return {} end
  if not (entry and entry.leads and entry.leads[event.name] and entry.real) then return {} end
  entry.leads[event.name] = nil
  local prefix = (entry.real == "/" and "" or entry.real) .. "/" .. event.name
  local function under(path) return path and (path == prefix or path:sub(1, #prefix + 1) == prefix .. "/") end
  local function reached_under(below)
    if under(below.real) then return true end
    for spelt in pairs(below.spelts or {}) do if under(spelt) then return true end end
    return false
  end
  local out = {}
  for wd, below in pairs(self.by_wd) do
    if reached_under(below) then
      self.watcher:remove(wd)
      for _, path in ipairs(self:forget(wd)) do out[#out + 1] = path end
      self.by_wd[wd] = nil -- (a watch on the way down, without files of its own, too)
    end
  end
  return out
end

-- The forgotten paths whose folder is back (a folder deleted, or moved
-- aside, and made anew later, when a render without it has failed):
-- watched again and returned, to count as saved. Each one still missing is
-- awaited from the nearest folder above it that exists.
function Watched:arrivals()
  local back = {}
  for path, kind in pairs(self.awaiting) do
    if self:add(path, kind) then -- else it is still awaited
      back[#back + 1] = path
      self.digests[path] = false -- its bytes are new to every render
    end
  end
  table.sort(back)
  return back
end

-- Whether a save of path calls for a render: always for a Lua file (saving
-- one unchanged re-renders, as a user may expect); for a data file only when
-- its bytes changed since the last render that read it, so an experiment
-- that writes the data it then reads does not re-render itself for ever.
function Watched:changed(path)
  if self.paths[path] ~= "data" then return true end
  local digest = provenance.sha256(path) or false
  if digest == self.digests[path] and digest then return false end
  self.digests[path] = digest
  return true
end

-- "a.lua, lib/b.lua and 4 data files (in /usr/share/datasets/fashion-mnist)"
function Watched:text()
  local parts = { table.concat(self.lua, ", ") }
  if #self.data > 0 then
    local folders, seen = {}, {}
    for _, path in ipairs(self.data) do
      local folder = split(path)
      if not seen[folder] then seen[folder] = true folders[#folders + 1] = folder end
    end
    parts[2] = ("%d data file%s (in %s)"):format(#self.data, #self.data == 1 and "" or "s", table.concat(folders, ", "))
  end
  return table.concat(parts, " and ")
end

-- The watched path an event names, or nil; "*" when events were lost.
function Watched:path_of(event)
  if event.kind == "overflow" then return "*" end
  local entry = self.by_wd[event.wd]
  return entry and entry.names[event.name]
end

local function clock_text() return os.date("%H:%M:%S") end

-- What a render that wrote nothing leaves: the report of an earlier one,
-- or none yet (a first render that failed).
local function kept(opts)
  local report = ("%s/%s.md"):format(opts.out or "reports", files.basename(opts.script))
  return files.mtime(report) and "the last good report stays" or "there is no report yet"
end

-- The one line of a finished render.
local function render_line(child, result, how, code, opts)
  local cause = child.cause
  if child.cancelled then
    return ("%s %s: cancelled, saved again while it ran (not training); %s"):format(clock_text(), cause, kept(opts))
  end
  if how ~= "exited" then
    return ("%s %s: the render died (%s); %s"):format(clock_text(), cause, proc.signal_name(code), kept(opts))
  end
  if code ~= 0 or not result then
    return ("%s %s: failed (the error is above); %s"):format(clock_text(), cause, kept(opts))
  end
  local t = result.totals
  if not t then return ("%s %s: ran, %.2f s (no report: it uses no lab function)"):format(clock_text(), cause,
                                                                                        proc.clock() - child.started) end
  local wrote = t.path and (", " .. t.path .. (opts.html and (", " .. t.path:gsub("%.md$", ".html")) or "")) or ""
  return ("%s %s: %d runs, %d trained, %d from cache, %.2f s%s"):format(clock_text(), cause, t.runs, t.trained,
                                                                        t.cached, proc.clock() - child.started, wrote)
end

-- Writes OUT/.NAME.watch.js (with --html), the status a watched page shows (nnlab.notebook.html):
-- ok, or the failed render's error. A failure to write it is said once.
local status_refused = false
local function write_status(opts, ok, message)
  local out = opts.out or "reports"
  files.mkdir_p(out)
  local path = out .. "/" .. html.status_file(files.basename(opts.script))
  local written, err = files.write_atomic(path, html.status_script { ok = ok, at = clock_text(),
                                                                     message = not ok and message or nil })
  if not written and not status_refused then
    status_refused = true
    say(("cannot write %s: %s"):format(path, err))
  end
end

-- Ends a render whose pipe has closed: reaps it, prints its line, watches
-- the files it read. Returns the files it read that were saved while it ran
-- (their modification time is not the one they had when it read them): a
-- file is watched only once a render has read it, so the first render's
-- files, or a module a render requires for the first time, were saved
-- unseen, and the report stayed stale.
local function finish_render(child, watched, opts)
  proc.close(child.fd)
  local how, code
  if child.exit then how, code = child.exit[1], child.exit[2] else _, how, code = proc.wait(child.pid) end
  read_frames(child)
  local result = child.result_text and serialize.decode(child.result_text, "render")
  child.cancelled = child.cancelled and not (how == "exited" and code == 0) -- it may have finished first
  -- downloads that failed stay failed for the session: the next render, forked
  -- from here, does not run curl for them again
  if result and type(result.failed_downloads) == "table" then
    require("nnlab.datasets").remember_failed_downloads(result.failed_downloads)
  end
  -- the files it read are watched before its line is printed: a save made
  -- once the line is seen is never missed
  local before, refused, saved_meanwhile = #watched.lua + #watched.data, nil, {}
  for _, kind in ipairs { "lua", "data" } do
    for _, path in ipairs(result and result[kind] or {}) do
      local ok, err, awaited = watched:add(path, kind)
      if not ok and not awaited and not watched.refused then
        watched.refused = true
        refused = ("cannot watch %s: %s"):format(path, err)
      end
      local read = result.mtimes and result.mtimes[path]
      if ok and read ~= nil and (files.mtime(path) or false) ~= read then
        saved_meanwhile[#saved_meanwhile + 1] = path
        if kind == "data" then watched.digests[path] = false end -- what the render read is not known
      end
    end
  end
  -- the page's status before the line: whoever reads the line finds the status of that render
  if opts.html and not child.cancelled then
    write_status(opts, how == "exited" and code == 0 and result ~= nil,
                 result and result.error or how ~= "exited" and ("the render died (%s)"):format(proc.signal_name(code))
                 or "the render failed (see the terminal)")
  end
  say(render_line(child, result, how, code, opts))
  if refused then say(refused) end
  if #watched.lua + #watched.data ~= before or not watched.announced then
    watched.announced = true
    say(("watching %s; save one to run again, Ctrl-C to stop"):format(watched:text()))
  end
  return saved_meanwhile
end

local function contains(list, value)
  for _, v in ipairs(list) do if v == value then return true end end
  return false
end

-- Raises when a signal has been caught (SIGINT, SIGTERM, SIGHUP): the watch stops.
local function check_interrupt()
  if proc.caught_signal() then error("interrupted", 0) end
end

-- The watch loop; returns only by raising (an error, or "interrupted").
-- running.child is the render under way, for the caller to stop.
local function loop(opts, watcher, watched, running)
  local pending, last_change = opts.script, -math.huge -- the first render starts at once
  local saved = {} -- files saved since the last render started (Watched:changed decides)
  local saved_while_idle = false -- one of them was saved while the render was not training
  while true do
    local child = running.child
    local fds, timeout = { watcher:fd() }, -1
    if child then fds[2], timeout = child.fd, 1000 end
    if next(saved) or (pending and not child) then -- wake up when the debounce is over
      local wait = math.max(0, math.ceil((last_change + watch.DEBOUNCE - proc.clock()) * 1000))
      timeout = timeout < 0 and wait or math.min(timeout, wait)
    end
    local ready, err = proc.poll(fds, timeout)
    if not ready then error("poll: " .. tostring(err), 0) end
    check_interrupt()
    -- a save read in the same wake-up as a frame that changes whether the
    -- render trains was made while it trained if it trained before or after
    local trained_before = child and child.training
    if child and not contains(ready, child.fd) and not child.exit then
      -- a render that ended while its workers (which inherit the pipe) live
      -- on, as after a SIGKILL, is over all the same
      local pid, how, code = proc.wait(child.pid, true)
      if pid then
        child.exit = { how, code }
        ready = proc.poll({ child.fd }, 0) or {}
        if not contains(ready, child.fd) then ready = { child.fd } child.closed = true end
      end
    end
    if child and contains(ready, child.fd) then
      local chunk = child.closed and "" or proc.read(child.fd)
      if chunk and chunk ~= "" then
        child.text[#child.text + 1] = chunk
        read_frames(child)
      end
      -- over: end of file, or the child is gone and nothing more is waiting
      if chunk == nil or chunk == "" or (child.exit and not contains(proc.poll({ child.fd }, 0) or {}, child.fd)) then
        running.child = nil -- the child has ended: nothing to stop any more
        for _, path in ipairs(finish_render(child, watched, opts)) do
          saved[path], last_change, saved_while_idle = true, proc.clock(), true
        end
        opts.force = false -- --force retrains on the first render only
      end
    end
    -- the files' events after the render's frames of the same wake-up (both
    -- ready at once when the watcher ran late): a save made just after the
    -- render said it trains, or just before it said its training ended,
    -- counts as made while it trains
    child = running.child
    local function note_saved(path)
      if path == "*" then pending = "(events lost)" else saved[path] = true end
      last_change = proc.clock()
      -- when it was saved decides, not when the debounce ends: a save made
      -- while the render trains lets it finish
      if not (trained_before or (child and child.training)) then saved_while_idle = true end
    end
    local events = assert(watcher:read())
    for _, event in ipairs(events) do
      local path = watched:path_of(event)
      -- a folder moved away takes its watch along: its path is watched no more
      if event.kind == "moved" then watcher:remove(event.wd) end
      if event.kind == "gone" or event.kind == "moved" then -- its files are as good as saved: the next render reads them anew
        for _, gone in ipairs(watched:forget(event.wd)) do note_saved(gone) end
      end
      for _, gone in ipairs(watched:leads_changed(event)) do note_saved(gone) end
      if path then note_saved(path) end
    end
    if #events > 0 and next(watched.awaiting) then
      for _, back in ipairs(watched:arrivals()) do note_saved(back) end
    end
    local quiet = proc.clock() >= last_change + watch.DEBOUNCE
    if quiet and next(saved) then
      local changed = false
      for path in pairs(saved) do
        if watched:changed(path) then -- every data file's digest is brought up to date
          pending, changed = pending or path, true
        end
      end
      if changed and child and saved_while_idle then child.cancel = true end
      saved, saved_while_idle = {}, false
    end
    if child and child.cancel and not child.training and not child.cancelled then
      -- a render that is not training (its prose, its charts, or a loop that
      -- never ends) is cancelled for the newer save; one that trains goes on,
      -- and what it trains is cached for the next
      proc.kill(child.pid, 15)
      child.cancelled = true
    end
    if pending and not running.child and quiet then
      -- a signal caught meanwhile stops the watch after running.child is set,
      -- so the caller finds the render to stop
      proc.hold_interrupts(function() running.child = start_render(opts, pending, watcher) end)
      pending = nil
    end
  end
end

--- watch.main(args, argv) -> exit status: `nnlab watch` with args (after
--- "watch") and argv (the whole command line, for the report's header).
function watch.main(args, argv)
  local opts, err = cli.parse("run", args)
  if opts and opts.shard then err, opts = "watch renders reports: --shard (training a share, no report) is for nnlab run", nil end
  if not opts then io.stderr:write("nnlab: ", err, "\n") return 1 end
  if opts.help then io.write(USAGE) return 0 end
  if not opts.script then io.stderr:write("nnlab: watch needs a Lua file (see nnlab watch --help)\n") return 1 end
  local f = io.open(opts.script, "r")
  if not f then
    io.stderr:write(("nnlab: cannot open %s: no such file or not readable\n"):format(opts.script))
    return 1
  end
  local _, unreadable = f:read(0) -- a folder opens, then fails to read (a link to one too)
  f:close()
  if unreadable then
    io.stderr:write(("nnlab: cannot read %s: %s\n"):format(opts.script, unreadable))
    return 1
  end
  opts.argv, opts.watch = argv, true
  local watcher, werr = core.watch.open()
  if not watcher then io.stderr:write("nnlab: cannot watch files: ", werr, "\n") return 1 end
  local watched = new_watched(watcher)
  local ok, aerr = watched:add(opts.script, "lua")
  if not ok then io.stderr:write(("nnlab: cannot watch %s: %s\n"):format(opts.script, aerr)) return 1 end
  proc.catch_signals()
  local running = {}
  local _, why = pcall(loop, opts, watcher, watched, running)
  local number, name = proc.caught_signal()
  local child = running.child
  if child then
    -- stop the render under way: its staging is abandoned, its finished runs
    -- stay cached. SIGTERM, whatever stopped the watch: the terminal's SIGINT
    -- may have missed a render waiting in os.execute (system() ignores SIGINT)
    proc.kill(child.pid, 15)
    proc.close(child.fd)
    proc.wait(child.pid)
  end
  watcher:close()
  if number then
    say(("stopped by SIG%s; the last good report stays"):format(name))
    return 128 + number
  end
  io.stderr:write("nnlab: watch: ", tostring(why), "\n")
  return 1
end

return watch
