-- nnlab.cache: finished training runs on disk, one file per run, named by a
-- hash of its key (everything that decides the result; nnlab.sweep builds
-- it). A file repeats its whole key, which is checked on every read: a file
-- that does not parse, or whose key differs, is damaged; it is deleted with a
-- warning and the run is trained again. Files are written atomically, so a run
-- killed midway leaves only whole entries.
local files = require "nnlab.files"
local hash = require "nnlab.hash"
local serialize = require "nnlab.serialize"

local cache = {}
cache.__index = cache

-- Bump when the layout of entries changes: older entries then never match.
local FORMAT = 1

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

--- The result stored under key, or nil when there is none (or it was damaged).
function cache:get(key)
  local key_text, path = self:locate(key)
  local text = files.read(path)
  if not text then return nil end
  local entry, err = serialize.decode(text, path)
  local why
  if not entry then why = err
  elseif entry.format ~= FORMAT then why = "written by another nnlab version"
  elseif type(entry.key) ~= "table" or serialize.encode(entry.key) ~= key_text then why = "its key does not match"
  elseif type(entry.result) ~= "table" then why = "no result in it"
  end
  if why then
    warn(path, why)
    os.remove(path)
    return nil
  end
  return entry.result
end

--- Stores result under key; true or nil, message.
function cache:put(key, result)
  local ok, err = files.mkdir_p(self.dir)
  if not ok then return nil, ("cannot create the cache folder %s: %s"):format(self.dir, err) end
  local _, path = self:locate(key)
  local text = "return " .. serialize.encode { format = FORMAT, key = key, result = result } .. "\n"
  ok, err = files.write_atomic(path, text)
  if not ok then return nil, ("cannot write %s: %s"):format(path, err) end
  return true
end

return cache
