-- nnlab.notebook.staging: a report appears whole or not at all. Its files
-- (OUT/NAME.md, with --html OUT/NAME.html, and the folder OUT/NAME/: charts,
-- .gp, .dat, CSV, JSON) are
-- written into a staging folder OUT/.NAME.staging/ and then swapped in by
-- renames, under a journal, so that a failure, an interruption or a killed
-- process leaves either the previous report, byte for byte, or the new one,
-- complete:
--   1. render: every file into the staging folder. Any error or caught signal
--      here abandons the staging folder; the previous report is untouched.
--   2. commit: write the journal OUT/.NAME.commit; rename OUT/NAME to
--      OUT/.NAME.old; rename the staged folder into place; then the staged
--      .html (the previous one kept as OUT/.NAME.old.html until the end);
--      then the staged .md; remove the journal, the .old files and the
--      staging folder. A report without a page drops a page made with
--      --html=linked (kept as .old.html until the end, like a replaced one):
--      it links the pictures of the folder just replaced; an embedded page,
--      whole in itself, stays. Signals
--      are held off (proc.hold_interrupts: a signal caught meanwhile stops
--      the run after the commit); a rename that fails undoes the ones before
--      it.
--   3. recovery: a process killed during the commit leaves the journal; the
--      next report of that name (under the same lock) finishes the commit
--      first, from the complete staging folder it names.
-- The caller holds the report's lock (files.with_lock) throughout.
local files = require "nnlab.files"
local workers = require "nnlab.notebook.workers"
local proc = require("nnlab.core").proc

local staging = {}
local Stage = {}
Stage.__index = Stage

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function paths(out_dir, name)
  local root = ("%s/.%s.staging"):format(out_dir, name)
  return {
    root = root, folder = root .. "/" .. name, md = ("%s/%s.md"):format(root, name),
    live_folder = ("%s/%s"):format(out_dir, name), live_md = ("%s/%s.md"):format(out_dir, name),
    old = ("%s/.%s.old"):format(out_dir, name), journal = ("%s/.%s.commit"):format(out_dir, name),
    html = ("%s/%s.html"):format(root, name), live_html = ("%s/%s.html"):format(out_dir, name),
    old_html = ("%s/.%s.old.html"):format(out_dir, name),
  }
end

-- Whether the page at path shows its charts linked to the report folder
-- (html.lua's nnlab-images meta, or, in a page made before it, an image that
-- is not a data: URI).
local function linked_page(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local head = f:read(65536) or ""
  f:close()
  local shown = head:match('<meta name="nnlab%-images" content="(%a+)">')
  if shown then return shown == "linked" end
  return head:find('<img src="', 1, true) ~= nil and not head:find('<img src="data:', 1, true)
end

-- Renames a to b, through files.rename (a fault-injection point) unless
-- recovering; raises on failure.
local function move(a, b, recovering)
  local ok, err
  if recovering then ok, err = os.rename(a, b) else ok, err = files.rename(a, b) end
  if not ok then error(("cannot rename %s to %s: %s"):format(a, b, err), 0) end
end

-- The renames of a commit and the clean-up after them, from wherever a
-- previous attempt stopped (recovering: that of a killed process).
local function finish_commit(p, recovering)
  if exists(p.folder) then
    if exists(p.live_folder) and not exists(p.old) then move(p.live_folder, p.old, recovering) end
    move(p.folder, p.live_folder, recovering)
  end
  if p.drop_page and exists(p.live_html) and not exists(p.old_html) then move(p.live_html, p.old_html, recovering) end
  if exists(p.html) then
    if exists(p.live_html) and not exists(p.old_html) then move(p.live_html, p.old_html, recovering) end
    move(p.html, p.live_html, recovering)
  end
  if exists(p.md) then move(p.md, p.live_md, recovering) end
  os.remove(p.journal)
  os.remove(p.old_html)
  -- the commit is done: a previous report that cannot go now (a file in it
  -- not ours to remove) is said, and the next run refuses until it is gone
  local removed, why = files.remove_tree(p.old)
  if not removed and not recovering then
    io.stderr:write(("nnlab: warning: the report is written, but the previous one set aside could not be "
                     .. "removed: %s; the next run stops until it is\n"):format(why))
  end
  files.remove_tree(p.root)
end

-- The file every report folder holds (written with it, staging.begin): what
-- tells a folder nnlab may replace from one it never wrote.
local MARK = ".nnlab-report"

-- Whether the folder at path is one nnlab may replace: empty, or holding
-- its mark, or (a report written before the mark) results.json or the
-- charts' proofs. nil, why when it cannot be listed.
local function replaceable_folder(path)
  local entries, err = proc.list_dir(path)
  if not entries then return nil, err end
  if #entries == 0 then return true end
  for _, entry in ipairs(entries) do
    if entry == MARK or entry == "results.json" or entry == ".charts-drawn" then return true end
  end
  return false
end

--- staging.refusal(out_dir, name) -> nil when OUT/NAME can be a report
--- folder (absent, empty, or a report folder nnlab wrote), else why not, in
--- one line. A commit renames OUT/NAME aside and removes it: a file of that
--- name would be deleted, a symbolic link replaced by a real folder (its
--- target left as it was, stale), and a folder nnlab did not write (a data
--- folder, .git) deleted with all it holds, so all three are refused before
--- anything is removed.
function staging.refusal(out_dir, name)
  local path = ("%s/%s"):format(out_dir, name)
  local info = proc.stat(path)
  if not info then return nil end
  if info.type == "folder" then
    local replaceable, err = replaceable_folder(path)
    if replaceable then return nil end
    if replaceable == nil then return ("cannot read the report folder %s"):format(err) end
    return ("%s is a folder nnlab did not write (no %s, results.json or charts in it): a report would "
            .. "replace it and delete what it holds; move it away, or give --out another folder"):format(path, MARK)
  end
  if info.type == "link" then
    return ("%s is a symbolic link, not a report folder: a report would replace it by a folder of its own; "
            .. "remove the link, or give --out another folder"):format(path)
  end
  return ("%s exists and is not a report folder (%s): move it away, or give --out another folder")
           :format(path, info.type == "file" and "a file" or "not a folder")
end

-- The experiment file a report's results.json names (its first line's
-- "experiment" string, as json.lua wrote it), or nil.
local function report_owner(out_dir, name)
  local f = io.open(("%s/%s/results.json"):format(out_dir, name), "rb")
  if not f then return nil end
  local line = f:read("l")
  f:close()
  local at = line and select(2, line:find('^{"experiment": "'))
  if not at then return nil end
  local out, i = {}, at + 1
  local simple = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
  while i <= #line do
    local c = line:sub(i, i)
    if c == '"' then return table.concat(out) end
    if c == "\\" then
      local e = line:sub(i + 1, i + 1)
      if e == "u" then
        local code = tonumber(line:sub(i + 2, i + 5), 16)
        if not code then return nil end
        out[#out + 1], i = utf8.char(code), i + 6
      else
        out[#out + 1], i = simple[e] or e, i + 2
      end
    else
      out[#out + 1], i = c, i + 1
    end
  end
  return nil
end

--- staging.owner_refusal(out_dir, name, script) -> nil, or why OUT/NAME is
--- not this experiment's to replace, in one line: its results.json names
--- another experiment file that still exists (two files of one name in
--- different folders would overwrite each other's report). The file is
--- named as that run was given it, relative to the folder it started in,
--- which is not recorded: the same path from this run's folder is this
--- file; else it is looked for first from the folder that holds OUT (the
--- project's, where reports/ lies, from which experiments usually run),
--- then from this run's folder, and the first found decides. A report whose
--- file is found in neither (renamed, moved) is replaced as before.
function staging.owner_refusal(out_dir, name, script)
  local owner = report_owner(out_dir, name)
  if not owner or owner == script then return nil end
  local ours = proc.realpath(script)
  if not ours then return nil end
  -- OUT's folder as written (a reports/ that is a link counts where it stands, not where it points)
  local project = owner:sub(1, 1) ~= "/" and proc.realpath(files.dirname(out_dir))
  local found = project and proc.realpath(project .. "/" .. owner) or proc.realpath(owner)
  if not found or found == ours then return nil end
  return ("%s/%s is the report of %s, not of %s: two experiment files of one name would overwrite each "
          .. "other's report; give this one --out another folder, or remove %s/%s and %s/%s.md")
         :format(out_dir, name, owner, script, out_dir, name, out_dir, name)
end

-- Removes the journal's temporary files, which a process killed while
-- writing it leaves in out_dir.
local function remove_journal_temporaries(p, out_dir)
  local temporary = files.temp_name(p.journal, 0):gsub("^.*/", ""):gsub("0$", "")
  for _, entry in ipairs(proc.list_dir(out_dir) or {}) do
    if entry:sub(1, #temporary) == temporary then os.remove(out_dir .. "/" .. entry) end
  end
end

-- Finishes the commit a killed process left (its journal still there).
local function finish_left_commit(p)
  if exists(p.journal) then
    p.drop_page = (files.read(p.journal) or ""):find("\ndrop-page\n", 1, true) ~= nil
    proc.hold_interrupts(finish_commit, p, true)
  end
end

-- Finishes the commit a killed process left, then removes what it or an
-- abandoned render left beside the report: the staging folder, the previous
-- report set aside, the page set aside, the journal's temporary files.
-- Returns nil, or why a folder could not be removed (then it stops there).
local function tidy(p, out_dir)
  finish_left_commit(p)
  for _, leftover in ipairs { { p.root, "emptying the report's staging folder" },
                              { p.old, "removing the previous report a commit set aside: an earlier run was "
                                       .. "interrupted or could not remove it" } } do
    local removed, why = files.remove_tree(leftover[1])
    if not removed then return ("%s (%s)"):format(why, leftover[2]) end
  end
  os.remove(p.old_html)
  remove_journal_temporaries(p, out_dir)
  return nil
end

--- staging.recover(out_dir, name): finishes, under the report's lock, the
--- commit of OUT/NAME that a killed process left, when it left one, and
--- removes what it left beside the report (the staging folder, the previous
--- report set aside); raises when a rename fails. A run does it as it
--- begins, so that a run that then fails (an error in the file) does not
--- leave the report mixed: the new folder beside the old .md.
function staging.recover(out_dir, name)
  local p = paths(out_dir, name)
  if not (exists(p.journal) or exists(p.root) or exists(p.old) or exists(p.old_html)) then return end
  -- (what cannot be removed is left for staging.begin, which refuses to write over it)
  files.with_lock(("%s/.%s.lock"):format(out_dir, name), tidy, p, out_dir)
end

--- staging.begin(out_dir, name) -> a stage: refuses an OUT/NAME that is not
--- a folder (staging.refusal), finishes a commit that a killed process left,
--- removes what an abandoned render left (raising when it cannot: it would
--- be committed with the new report), and makes an empty staging folder. Fields: folder (write the report's files here), md (the
--- staged .md), live_folder (the report folder as it is now, for reuse).
function staging.begin(out_dir, name)
  local refused = staging.refusal(out_dir, name)
  if refused then error(refused, 0) end
  local p = paths(out_dir, name)
  -- a staging folder that cannot be emptied stops the run, as its leftovers
  -- would be committed with the new report
  local left = tidy(p, out_dir)
  if left then error(left, 0) end
  local ok, err = files.mkdir_p(p.folder)
  if not ok then error(("cannot create %s: %s"):format(p.folder, err), 0) end
  return setmetatable({ paths = p, folder = p.folder, md = p.md, live_folder = p.live_folder }, Stage)
end

--- Raises an error when nnlab has caught a signal (SIGINT, SIGTERM, SIGHUP):
--- the render stops, and the caller abandons the stage.
function Stage:check_interrupt()
  workers.check_interrupt()
end

--- Writes text as the staged file folder/relative (or the .md when relative
--- is nil); raises "cannot write PATH: cause" on failure, or when a signal
--- was caught (Stage:check_interrupt). text may be a function(write) that
--- writes it a piece at a time (files.write_atomic).
function Stage:write(relative, text)
  self:check_interrupt()
  local path = relative and (self.folder .. "/" .. relative) or self.md
  local ok, err = files.write_atomic(path, text)
  if not ok then error(("cannot write %s: %s"):format(path, err), 0) end
end

--- Writes the file that marks the staged folder as a report nnlab wrote
--- (staging.refusal replaces no other folder); raises as Stage:write.
function Stage:mark()
  self:write(MARK, "This folder is a report that nnlab writes and replaces whole at every run of its experiment "
                   .. "file: keep your own files elsewhere.\n")
end

--- Writes text as the staged OUT/NAME.html (the report as one web page),
--- committed with the rest; raises as Stage:write.
function Stage:write_page(text)
  self:check_interrupt()
  local ok, err = files.write_atomic(self.paths.html, text)
  if not ok then error(("cannot write %s: %s"):format(self.paths.html, err), 0) end
  self.page_staged = true
end

--- msg with every staged path shown as the path it will have in the report
--- (OUT/.NAME.staging/NAME/x.csv -> OUT/NAME/x.csv): what users see.
function Stage:public(msg)
  local root, out = self.paths.root .. "/", files.dirname(self.paths.root) .. "/"
  local parts, start = {}, 1
  while true do
    local i, j = msg:find(root, start, true)
    if not i then break end
    parts[#parts + 1] = msg:sub(start, i - 1) .. out
    start = j + 1
  end
  parts[#parts + 1] = msg:sub(start)
  return table.concat(parts)
end

--- Drops the staged files; the previous report stays as it was.
function Stage:abandon()
  files.remove_tree(self.paths.root)
end

--- Swaps the staged report in (see the header). On a failed rename the
--- renames already done are undone and the error is raised. Signals are held
--- off throughout: the commit, or its undoing, is never stopped halfway.
function Stage:commit()
  proc.hold_interrupts(function()
    local p = self.paths
    p.drop_page = not self.page_staged and linked_page(p.live_html)
    local ok, err = files.write_atomic(p.journal, ("staging %s\n%s"):format(p.root, p.drop_page and "drop-page\n" or ""))
    if not ok then
      self:abandon()
      error(("cannot write %s: %s"):format(p.journal, err), 0)
    end
    local done, why = pcall(finish_commit, p)
    if done then return end
    -- undo: the staged folder back to staging, the old folder back in place;
    -- likewise the page
    if not exists(p.folder) and exists(p.md) and exists(p.live_folder) then os.rename(p.live_folder, p.folder) end
    if exists(p.old) and not exists(p.live_folder) then os.rename(p.old, p.live_folder) end
    if self.page_staged and not exists(p.html) and exists(p.md) and exists(p.live_html) then
      os.rename(p.live_html, p.html)
    end
    if exists(p.old_html) and not exists(p.live_html) then os.rename(p.old_html, p.live_html) end
    os.remove(p.journal)
    self:abandon()
    error(why, 0)
  end)
end

return staging
