-- nnlab.notebook.cache: finished training runs on disk, one file per run, named by a
-- hash of its key (everything that decides the result; nnlab.notebook.sweep builds
-- it). A file repeats its whole key, which is checked on every read: a file
-- that does not parse, whose key differs or whose result is malformed is
-- damaged, and so is anything in its place that is not a regular file (a
-- FIFO, a link to a device, a folder: never read, see files.read). A damaged
-- entry is deleted with a warning and the run is trained again; one that
-- cannot be deleted stops the run, named. Entry files are outside input: they
-- are parsed as data (nnlab.notebook.serialize), never run. Files are written
-- atomically (temporary name + rename), so a run killed midway leaves only
-- whole entries, and two runs that store the same entry at once each leave a
-- whole, correct file.
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
-- few hundred KB, and nothing this big is read into memory.
local MAX_ENTRY_BYTES = 16 * 1024 * 1024

--- The cache folder: $NNLAB_CACHE, or .cache/nnlab under the current folder.
function cache.default_dir()
  local env = os.getenv("NNLAB_CACHE")
  if env and env ~= "" then return env end
  return ".cache/nnlab"
end

--- cache.open(dir) -> a cache over that folder (created on the first write).
function cache.open(dir)
  return setmetatable({ dir = dir or cache.default_dir() }, cache)
end

--- The canonical text of a key and the file that holds its entry.
function cache:locate(key)
  local text = serialize.encode(key)
  return text, ("%s/%s.lua"):format(self.dir, hash.hex(hash.fnv1a64(text)))
end

local function warn(path, why)
  io.stderr:write(("nnlab: warning: damaged cache entry %s (%s); deleted, the run is trained again\n")
                  :format(path, why))
end

--- The path of the file kept beside key's entry with extension ext.
function cache:beside(key, ext)
  local _, path = self:locate(key)
  return (path:gsub("%.lua$", "." .. ext))
end

-- The size of the regular file at path, or nil (also for a FIFO or a
-- device in its place, refused unopened: proc.open_regular).
local function file_size(path)
  local f, size = require("nnlab.core").proc.open_regular(path)
  if not f then return nil end
  f:close()
  return size
end

-- Extensions of files beside an entry: a short lowercase word, never "lua".
local function beside_ext(ext)
  return type(ext) == "string" and ext:match("^[a-z]+$") and #ext <= 8 and ext ~= "lua"
end

-- nil, or why the files beside result (result.beside) are not as listed.
local function check_beside(self, key, result)
  if result.beside == nil then return nil end
  if type(result.beside) ~= "table" then return "a malformed list of files beside it" end
  for ext, bytes in pairs(result.beside) do
    if not beside_ext(ext) or math.type(bytes) ~= "integer" or bytes < 0 then
      return "a malformed list of files beside it"
    end
    if file_size(self:beside(key, ext)) ~= bytes then
      return ("its .%s file beside it is missing or of another size"):format(ext)
    end
  end
  return nil
end

-- Deletes a damaged entry at path and the files beside it (`beside`, the
-- entry's list, when it could be read), with a warning.
local function discard(self, key, path, beside, why)
  for ext in pairs(type(beside) == "table" and beside or {}) do
    if beside_ext(ext) then os.remove(self:beside(key, ext)) end
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
--- with a result's shape (the sweep knows what a result holds).
function cache:get(key, check)
  local key_text, path = self:locate(key)
  local text, err, missing = files.read(path, MAX_ENTRY_BYTES)
  if not text and missing then return nil end
  local entry, why
  if text then entry, why = cache.decode_entry(text, path:match("[^/]*$")) else why = err end
  local decoded = entry -- its files beside go with it when it is damaged
  if entry and serialize.encode(entry.key) ~= key_text then
    entry, why = nil, "its key does not match"
  end
  if entry and check then
    local ok, problem = check(entry.result)
    if not ok then entry, why = nil, problem end
  end
  local problem = entry and check_beside(self, key, entry.result)
  if problem then entry, why = nil, problem end
  if not entry then
    discard(self, key, path, decoded and decoded.result.beside, why)
    return nil
  end
  return entry.result
end

--- cache:discard(key, why): deletes key's entry and the files beside it,
--- with the warning of a damaged entry: for a reader that finds a file
--- beside an entry damaged (the run is trained again next time).
function cache:discard(key, why)
  local _, path = self:locate(key)
  local text = files.read(path, MAX_ENTRY_BYTES)
  local entry = text and cache.decode_entry(text, path:match("[^/]*$"))
  discard(self, key, path, entry and entry.result.beside, why)
end

--- Stores result under key; true or nil, message. beside (optional):
--- { ext = function(path) -> true or nil, message }, each writing a file to
--- keep beside the entry; each writes a temporary name that is renamed into
--- place before the entry is written, and result.beside lists their sizes.
function cache:put(key, result, beside)
  local ok, err = files.mkdir_p(self.dir)
  if not ok then return nil, ("cannot create the cache folder %s: %s"):format(self.dir, err) end
  local _, path = self:locate(key)
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
        os.remove(tmp)
        os.remove(tmp .. ".tmp") -- a model file's own temporary name (nn_net_save)
        -- the entry is what could not be stored: named with the cause alone
        -- ("No space left on device"), whichever of its files failed
        local cause = tostring(err or "no file written"):match(".*: (.-)$") or tostring(err)
        return nil, ("cannot write %s: %s"):format(path, cause)
      end
      result.beside[ext] = size
    end
  end
  local text = "return " .. serialize.encode { format = FORMAT, key = key, result = result } .. "\n"
  ok, err = files.write_atomic(path, text)
  if not ok then return nil, ("cannot write %s: %s"):format(path, err) end
  return true
end

return cache
