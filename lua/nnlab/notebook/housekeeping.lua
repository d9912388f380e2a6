-- nnlab.notebook.housekeeping: `nnlab cache stats` and `nnlab cache gc` over a
-- cache folder (nnlab.notebook.cache). An entry is a file HASH.lua (16 hex
-- digits), with what its run keeps beside it as HASH.EXT (predictions,
-- weights); a temporary file of a write is .HASH.EXT.tmpHOST.PID; anything
-- else nnlab did not write and never touches. gc removes the entries that no
-- given experiment uses (the runs of its plan, of both made-up passes, and of
-- a pass on the cached results: nnlab.notebook.plan), optionally only those
-- older than some age, and temporary files older than an hour (and that age), naming every
-- file it removes; it never removes an entry a given experiment uses.
local proc = require("nnlab.core").proc

local housekeeping = {}

local HOUR, DAY = 3600, 86400
local UNITS = { s = 1, m = 60, h = HOUR, d = DAY, w = 7 * DAY }

--- housekeeping.parse_age("30d") -> seconds (s, m, h, d, w; a bare number is
--- days), or nil and why not.
function housekeeping.parse_age(text)
  local number, unit = tostring(text):match("^(%d+%.?%d*)([smhdw]?)$")
  local value = tonumber(number)
  if not value then
    return nil, ("--older-than needs an age like 30d, 12h, 90m or 2w (a bare number is days), got '%s'")
                :format(require("nnlab.errors").shown(text))
  end
  return value * UNITS[unit ~= "" and unit or "d"]
end

--- housekeeping.scan(dir) -> { entries, temporary, other (lists of { name,
--- size, mtime }), bytes (of the entries) }, or nil and why (no such folder).
function housekeeping.scan(dir)
  local names, err = proc.list_dir(dir)
  if not names then return nil, ("cannot read the cache folder %s: %s"):format(dir, err) end
  table.sort(names)
  local found = { entries = {}, temporary = {}, other = {}, orphans = {}, bytes = 0 }
  local by_hash, companions = {}, {}
  for _, name in ipairs(names) do
    local st = proc.stat(dir .. "/" .. name)
    if st then
      local file = { name = name, size = st.size, mtime = st.mtime }
      -- nnlab names entries in lower-case hex (hash.hex): ABCDEF0123456789.lua is not one of its files
      local key_hash, ext = name:match("^(" .. ("[0-9a-f]"):rep(16) .. ")%.(%w+)$")
      if st.type == "file" and ext == "lua" then
        file.companions = {}
        found.entries[#found.entries + 1] = file
        by_hash[key_hash] = file
        found.bytes = found.bytes + st.size
      elseif st.type == "file" and ext then -- what a run keeps beside its entry (predictions, weights)
        companions[#companions + 1] = { key_hash, file }
      elseif st.type == "file" and name:match("^%.%x+%.%w+%.tmp") then
        found.temporary[#found.temporary + 1] = file
      else
        found.other[#found.other + 1] = file
      end
    end
  end
  for _, c in ipairs(companions) do
    local entry = by_hash[c[1]]
    if entry then
      entry.companions[#entry.companions + 1] = c[2]
      found.bytes = found.bytes + c[2].size
    else
      found.orphans[#found.orphans + 1] = c[2]
    end
  end
  return found
end

--- housekeeping.size_text(bytes) -> "1.2 KB", "3.4 MB" (powers of 1000).
function housekeeping.size_text(bytes)
  if bytes < 1000 then return ("%d B"):format(bytes) end
  local units, i = { "KB", "MB", "GB", "TB" }, 0
  repeat bytes, i = bytes / 1000, i + 1 until bytes < 1000 or i == #units
  return ("%.1f %s"):format(bytes, units[i])
end

-- An age as people read it; a file written within the current second has an
-- mtime past os.time()'s whole second, and is 0 min old, not -1.
local function age_text(seconds)
  seconds = math.max(seconds, 0)
  if seconds < 2 * HOUR then return ("%d min"):format(seconds // 60) end
  if seconds < 2 * DAY then return ("%.1f h"):format(seconds / HOUR) end
  return ("%.1f days"):format(seconds / DAY)
end

--- housekeeping.stats(dir, found, usage, now) -> the text of `nnlab cache
--- stats`: counts, sizes and ages; with usage (experiment -> { used = set
--- of entry names, planned = n }) how many entries each experiment uses.
function housekeeping.stats(dir, found, usage, now)
  local out = { ("cache %s: %d entr%s, %s (with the files beside them)"):format(dir, #found.entries,
                   #found.entries == 1 and "y" or "ies", housekeeping.size_text(found.bytes)) }
  if #found.entries > 0 then
    local oldest, newest = math.huge, -math.huge
    for _, e in ipairs(found.entries) do
      oldest, newest = math.min(oldest, e.mtime), math.max(newest, e.mtime)
    end
    out[1] = out[1] .. ("; newest %s old, oldest %s old"):format(age_text(now - newest), age_text(now - oldest))
  end
  out[1] = out[1] .. ("; %d temporary file%s, %d other file%s"):format(
    #found.temporary, #found.temporary == 1 and "" or "s", #found.other, #found.other == 1 and "" or "s")
  if #found.orphans > 0 then out[1] = out[1] .. ("; %d beside no entry"):format(#found.orphans) end
  local present = {}
  for _, e in ipairs(found.entries) do present[e.name] = e end
  for _, u in ipairs(usage or {}) do
    local count, bytes = 0, 0
    for name in pairs(u.used) do
      local e = present[name]
      if e then
        count, bytes = count + 1, bytes + e.size
        for _, c in ipairs(e.companions) do bytes = bytes + c.size end
      end
    end
    out[#out + 1] = ("%s uses %d entr%s here (%s with the files beside them); its plan has %d runs, %d of them cached"):format(
      u.script, count, count == 1 and "y" or "ies", housekeeping.size_text(bytes), u.planned, u.planned_cached)
      .. (u.unknown and ("; %s, so it may use others"):format(u.unknown) or "")
  end
  return table.concat(out, "\n") .. "\n"
end

--- housekeeping.gc(dir, found, used, opts, now, write) removes (or with
--- opts.dry_run only names) every entry not in the set `used` and older
--- than opts.older_than seconds (any age when nil), and every temporary file
--- older than an hour (and than opts.older_than); writes a line per file through write, then a summary.
--- Returns the number of files it could not remove.
function housekeeping.gc(dir, found, used, opts, now, write)
  local verb = opts.dry_run and "would remove" or "removed"
  local removed, bytes, young, kept, failed = 0, 0, 0, 0, 0
  local function remove(file, what)
    local ok, err = true, nil
    if not opts.dry_run then ok, err = os.remove(dir .. "/" .. file.name) end
    if ok then
      write(("%s %s (%s, %s, %s old)\n"):format(verb, file.name, what, housekeeping.size_text(file.size),
                                                age_text(now - file.mtime)))
      removed, bytes = removed + 1, bytes + file.size
    else
      write(("cannot remove %s: %s\n"):format(file.name, err))
      failed = failed + 1
    end
  end
  for _, e in ipairs(found.entries) do
    if used[e.name] then
      kept = kept + 1
    elseif opts.older_than and now - e.mtime < opts.older_than then
      young = young + 1
    else
      -- what the run kept beside its entry goes first: never a companion without its entry's line
      for _, c in ipairs(e.companions) do remove(c, "kept beside " .. e.name) end
      remove(e, "used by none of the experiments")
    end
  end
  for _, o in ipairs(found.orphans) do
    if now - o.mtime >= math.max(HOUR, opts.older_than or 0) then remove(o, "beside no cache entry") end
  end
  for _, t in ipairs(found.temporary) do
    if now - t.mtime >= math.max(HOUR, opts.older_than or 0) then
      remove(t, "temporary file of a write that never finished")
    end
  end
  write(("nnlab: cache gc %s: %s %d file%s (%s); kept %d entr%s the experiments use%s\n"):format(
    dir, verb, removed, removed == 1 and "" or "s", housekeeping.size_text(bytes), kept, kept == 1 and "y" or "ies",
    young > 0 and (" and %d unused but younger than --older-than"):format(young) or ""))
  return failed
end

return housekeeping
