-- nnlab.notebook.cache: finished training runs on disk, one file per run, named by a
-- hash of its key (everything that decides the result; nnlab.notebook.sweep builds
-- it). A file repeats its whole key, which is checked on every read: a file
-- that does not parse, whose key differs or whose result is malformed is
-- damaged, and so is anything in its place that is not a regular file (a
-- FIFO, a link to a device, a folder: never read, see files.read). A damaged
-- entry is deleted with a warning and the run is trained again; one that
-- cannot be deleted stops the run, named. A file that cannot be read (no
-- permission, an I/O error, a folder name too long) is no damage: the run
-- stops, named, and nothing is deleted. Entry files are outside input: they
-- are parsed as data (nnlab.notebook.serialize), never run. Files are written
-- atomically (temporary name + rename), so a run killed midway leaves only
-- whole entries, and two runs that store the same entry at once each leave a
-- whole, correct file.
--
-- An entry ends with the digest of its result's text (FNV-1a, 16 hex digits,
-- `,digest="…"}`): a result changed since it was written (a digit edited,
-- a flipped bit) is damaged, as a key that does not match is. Entries
-- written before the digest (the twenty-fifth session) have none and are
-- read as before.
--
-- An entry may keep files beside it, under the same name with another
-- extension (a run's final weights: HASH.model, the model file format).
-- The entry lists each one's size (result.beside = { model = bytes }); they
-- are written first, each through its own temporary name and a rename, so
-- an entry is never there without them; an entry whose file beside is
-- missing or of another size is damaged (and deleted with them).
local errors = require "nnlab.errors"
local files = require "nnlab.files"
local hash = require "nnlab.notebook.hash"
local serialize = require "nnlab.notebook.serialize"

local cache = {}
cache.__index = cache

-- Bump when the layout of entries changes: older entries then never match.
local FORMAT = 1
-- Larger entry files are damaged: a history of thousands of epochs takes a
-- few hundred KB (at most 440 bytes an epoch, every field measured and
-- 17 digits long: a built-in sweep takes up to cache.MAX_EPOCHS), and
-- nothing this big is read into memory; cache:put refuses a larger result.
local MAX_ENTRY_BYTES = 16 * 1024 * 1024
cache.MAX_EPOCHS = 30000

--- cache.project_root(script) -> the folder an experiment file belongs to:
--- the nearest one, going up from the file's own folder, that already holds
--- a cache (`.cache/nnlab`): up to the nearest `.git`, or, outside git, the
--- file's own folder or one that also holds a `reports` folder (a project
--- root by the next rule when its cache was made); else the nearest that
--- holds a `.git` or a `reports` folder; else the file's own folder.
--- Absolute. An existing cache comes first so that it never moves: a run
--- from `experiments/` writes `experiments/reports`, which made that folder
--- the root of the next run, and in a project without git the first run's
--- `reports` moved the second run's root up; each then started an empty
--- cache and retrained everything. The conditions keep other caches out
--- (`~/.cache/nnlab`, other programs' cache folder, above every project in
--- a home folder without git).
function cache.project_root(script)
  local realpath = require("nnlab.core").proc.realpath
  local own = realpath(files.dirname(script or "."))
  if not own then return files.dirname(script or ".") end
  local function nearest(holds, stop)
    local dir = own
    while true do
      if holds(dir) then return dir end
      if dir == "/" or dir == stop then return nil end
      dir = files.dirname(dir)
      if dir == "" then dir = "/" end
    end
  end
  local function has(dir, name) return realpath(dir .. "/" .. name) ~= nil end
  local git = nearest(function(dir) return has(dir, ".git") end)
  local cached = git and nearest(function(dir) return has(dir, ".cache/nnlab") end, git)
                 or not git and nearest(function(dir)
                   return has(dir, ".cache/nnlab") and (dir == own or has(dir, "reports"))
                 end)
  return cached or nearest(function(dir) return has(dir, ".git") or has(dir, "reports") end) or own
end

--- cache.default_dir([script [, flag]]) -> the cache folder: the --cache
--- flag when given, else $NNLAB_CACHE, else .cache/nnlab in the experiment's
--- project root (cache.project_root), whatever the current folder.
function cache.default_dir(script, flag)
  if flag and flag ~= "" then return flag end
  local env = os.getenv("NNLAB_CACHE")
  if env and env ~= "" then return env end
  if not script then return ".cache/nnlab" end
  local root = cache.project_root(script)
  return (root == "/" and "" or root) .. "/.cache/nnlab"
end

--- cache.open(dir) -> a cache over that folder (created on the first write).
function cache.open(dir, options)
  -- keep_damaged: a damaged entry reads as missing and stays where it is
  -- (`nnlab cache stats` and `gc --dry-run` remove nothing)
  return setmetatable({ dir = dir or cache.default_dir(), keep_damaged = options and options.keep_damaged }, cache)
end

--- cache.entry_name(key_text) -> the name of the entry of a key with this
--- canonical text (16 hex digits).
local function entry_name(key_text)
  return hash.hex(hash.fnv1a64(key_text))
end
cache.entry_name = entry_name

--- The canonical text of a key, the file that holds its entry, and that
--- file's name without ".lua" (16 hex digits).
function cache:locate(key)
  local text = serialize.encode(key)
  local name = entry_name(text)
  return text, ("%s/%s.lua"):format(self.dir, name), name
end

local function warn(path, why)
  io.stderr:write(("nnlab: warning: damaged cache entry %s (%s); deleted, the run needs training again\n")
                  :format(path, why))
end

--- The path of the file kept beside key's entry with extension ext.
function cache:beside(key, ext)
  local _, path = self:locate(key)
  return cache.beside_path(path, ext)
end

--- cache.beside_path(entry_path, ext) -> the file kept beside the entry at
--- entry_path (HASH.lua -> HASH.ext).
function cache.beside_path(entry_path, ext)
  return (entry_path:gsub("%.lua$", "." .. ext))
end

-- The size of the regular file at path, or nil, the cause and errno (also
-- for a FIFO or a device in its place, refused unopened: proc.open_regular).
local function file_size(path)
  local f, size, code = require("nnlab.core").proc.open_regular(path)
  if not f then return nil, files.cause((size:gsub("^cannot open ", "", 1)), path), code end
  f:close()
  return size
end

local ENOENT, ENOTDIR = 2, 20

--- cache.read_is_damage(path, code) -> whether a failed read of a cache
--- file (errno code; nil when it was refused for its size) makes its entry
--- damaged: it is missing, too large, or what is in its place is not a
--- regular file (a FIFO, a folder, a link). Anything else (the folder's name
--- too long, no permission, an I/O error) is an error to report, and
--- nothing is deleted: the entry may be good.
function cache.read_is_damage(path, code)
  if code == nil or code == ENOENT or code == ENOTDIR then return true end
  local info = require("nnlab.core").proc.stat(path)
  return info ~= nil and info.type ~= "file"
end

-- Extensions of files beside an entry: a short lowercase word, never "lua".
local function beside_ext(ext)
  return type(ext) == "string" and ext:match("^[a-z]+$") and #ext <= 8 and ext ~= "lua"
end

-- nil, or why the files beside result (result.beside) are not as listed.
local function check_beside(path, result)
  if result.beside == nil then return nil end
  if type(result.beside) ~= "table" then return "a malformed list of files beside it" end
  for ext, bytes in pairs(result.beside) do
    if not beside_ext(ext) or math.type(bytes) ~= "integer" or bytes < 0 then
      return "a malformed list of files beside it"
    end
    local file = cache.beside_path(path, ext)
    local size, err, code = file_size(file)
    if not size and not cache.read_is_damage(file, code) then
      errors.raise("cannot read %s: %s", file, err)
    end
    if size ~= bytes then
      return ("its .%s file beside it is missing or of another size"):format(ext)
    end
  end
  return nil
end

-- Deletes a damaged entry at path and the files beside it (`beside`, the
-- entry's list, when it could be read), with a warning.
local function discard(path, beside, why)
  for ext in pairs(type(beside) == "table" and beside or {}) do
    if beside_ext(ext) then os.remove(cache.beside_path(path, ext)) end
  end
  local removed, err = os.remove(path) -- a FIFO, link or empty folder goes too; a full folder stays
  if not removed and not err:find("No such file", 1, true) then
    errors.raise("cannot delete the damaged cache entry %s (%s): %s; delete it, then run again", path, why,
                 files.cause(err, path))
  end
  warn(path, why)
end

--- Decodes the text of an entry file (`name` names it in messages):
--- { format, key, result } or nil and why it cannot be used.
function cache.decode_entry(text, name)
  local entry, err = serialize.decode(text, name)
  if not entry then return nil, err end
  if entry.format ~= FORMAT then return nil, "written by another nnlab version" end
  if type(entry.key) ~= "table" then return nil, "no key in it" end
  if type(entry.result) ~= "table" then return nil, "no result in it" end
  return entry
end

--- The result stored under key, or nil when there is none (or it was
--- damaged). check(result), when given, returns true or nil and what is wrong
--- with a result's shape (the sweep knows what a result holds). key_text,
--- name: the key's canonical text and entry name when the caller has them
--- (cache:locate; key may then be nil; the name is made from the text when
--- only the text is given). A result comes with the path of its entry (for
--- the files kept beside it: cache.beside_path, cache.discard).
function cache:get(key, check, key_text, name)
  local path
  if key_text then path = ("%s/%s.lua"):format(self.dir, name or entry_name(key_text))
  else key_text, path = self:locate(key) end
  local text, err, missing, code = files.read(path, MAX_ENTRY_BYTES)
  if not text and missing then return nil end
  if not text and not cache.read_is_damage(path, code) then
    errors.raise("cannot read the cache entry %s: %s", path, err)
  end
  local entry, why
  local file_name = path:match("[^/]*$")
  local decoded -- the entry as read, before its checks: its files beside go with it when it is damaged
  -- An entry as cache:put writes it starts with its key's canonical text:
  -- comparing that text checks the key, and only the result is parsed.
  local head = text and ("return {format=%d,key=%s,result="):format(FORMAT, key_text)
  if text and text:sub(1, #head) == head then
    local result_text, digest = text:match('^(.*),digest="(%x+)"}\n$', #head + 1)
    local rest
    rest, why = serialize.decode("return {result=" .. (result_text and result_text .. "}\n"
                                                      or text:sub(#head + 1)), file_name)
    if rest and type(rest.result) ~= "table" then rest, why = nil, "no result in it" end
    entry = rest and { format = FORMAT, key = key, result = rest.result }
    decoded = entry
    if entry and digest and hash.hex(hash.fnv1a64(result_text)) ~= digest then
      entry, why = nil, "its result was changed after it was written (its digest does not match)"
    elseif entry and not digest and next(rest, next(rest)) ~= nil then -- a digest whose own text was changed
      entry, why = nil, "it holds more than a result and a digest"
    end
  elseif text then
    entry, why = cache.decode_entry(text, file_name)
    decoded = entry
    if entry and serialize.encode(entry.key) ~= key_text then
      entry, why = nil, "its key does not match"
    elseif entry and entry.digest ~= nil and entry.digest ~= hash.hex(hash.fnv1a64(serialize.encode(entry.result))) then
      entry, why = nil, "its result was changed after it was written (its digest does not match)"
    end
  else
    why = err
  end
  if entry and check then
    local ok, problem = check(entry.result)
    if not ok then entry, why = nil, problem end
  end
  local problem = entry and check_beside(path, entry.result)
  if problem then entry, why = nil, problem end
  if not entry then
    if not self.keep_damaged then discard(path, decoded and decoded.result.beside, why) end
    return nil
  end
  return entry.result, path
end

--- cache:check_writable() -> true, or nil and why no run could be stored
--- there (a read-only folder, or a full disk: the probe holds PROBE_BYTES,
--- a block, which a full file system refuses and one with room for an
--- entry takes): asked before anything trains, so that no run trains for
--- nothing. A disk that fills while the runs train stops the sweep
--- (nnlab.notebook.sweep). Reading needs no write access.
local PROBE_BYTES = 4096
function cache:check_writable()
  local ok, err = files.mkdir_p(self.dir)
  if not ok then return nil, ("cannot create the cache folder %s: %s"):format(self.dir, err) end
  local probe = files.temp_name(self.dir .. "/.writable")
  local f, ferr = io.open(probe, "wb")
  if not f then return nil, ("cannot write to the cache folder %s: %s"):format(self.dir, files.cause(ferr, probe)) end
  local wrote, werr = f:write(string.rep("\0", PROBE_BYTES))
  local closed, cerr = f:close()
  os.remove(probe)
  if not (wrote and closed) then
    return nil, ("cannot write to the cache folder %s: %s"):format(self.dir, files.cause(werr or cerr, probe))
  end
  return true
end

--- cache.discard(entry_path, why): deletes the entry at entry_path (the
--- second result of cache:get) and the files beside it,
--- with the warning of a damaged entry: for a reader that finds a file
--- beside an entry damaged (the run is trained again next time).
function cache.discard(path, why)
  local text = files.read(path, MAX_ENTRY_BYTES)
  local entry = text and cache.decode_entry(text, path:match("[^/]*$"))
  discard(path, entry and entry.result.beside, why)
end

--- Stores result under key; true or nil, message. beside (optional):
--- { ext = function(path) -> true or nil, message }, each writing a file to
--- keep beside the entry; each writes a temporary name that is renamed into
--- place before the entry is written, and result.beside lists their sizes.
function cache:put(key, result, beside)
  assert(type(key) == "table", "cache:put: a key is a table (a planned job holds its key as text: plan.key)")
  local ok, err = files.mkdir_p(self.dir)
  if not ok then return nil, ("cannot create the cache folder %s: %s"):format(self.dir, err) end
  local _, path = self:locate(key)
  -- the files beside already renamed into place: removed when the entry
  -- cannot be stored (unless another run has stored it meanwhile), as they
  -- would stay without it
  local placed = {}
  local function drop_placed()
    if files.read(path, MAX_ENTRY_BYTES) then return end
    for _, target in ipairs(placed) do os.remove(target) end
  end
  if beside and next(beside) then
    result.beside = {}
    for ext, write in pairs(beside) do
      assert(beside_ext(ext), "cache:put: a file beside an entry needs a short lowercase extension")
      local target = self:beside(key, ext)
      local tmp = files.temp_name(target)
      ok, err = write(tmp)
      local size = ok and file_size(tmp)
      if size then ok, err = files.rename(tmp, target) end
      if not (ok and size) then
        os.remove(tmp) -- (a failed nn_net_save has removed its own temporary file)
        drop_placed()
        -- the entry is what could not be stored: named with the cause alone
        -- ("No space left on device"), whichever of its files failed
        local cause = tostring(err or "no file written"):match(".*: (.-)$") or tostring(err)
        return nil, ("cannot write %s: %s"):format(path, cause)
      end
      placed[#placed + 1] = target
      result.beside[ext] = size
    end
  end
  -- the head cache:get compares, the result, and the digest of the result's text
  local result_text = serialize.encode(result)
  local text = ("return {format=%d,key=%s,result=%s,digest=\"%s\"}\n"):format(FORMAT, serialize.encode(key),
                                                                            result_text,
                                                                            hash.hex(hash.fnv1a64(result_text)))
  if #text > MAX_ENTRY_BYTES then -- it would read back as damaged: kept nowhere, said why
    drop_placed()
    return nil, ("cannot keep the run: its result takes %d bytes as a cache entry, over the %d nnlab reads back "
                 .. "(a history of %d epochs: about %d bytes an epoch)"):format(#text, MAX_ENTRY_BYTES,
                   #result.history, #text // math.max(1, #result.history))
  end
  ok, err = files.write_atomic(path, text)
  if not ok then
    drop_placed()
    return nil, ("cannot write %s: %s"):format(path, err)
  end
  return true
end

return cache
