-- nnlab.files: the file operations of caches and reports. Every file is
-- written whole to a temporary name beside it and renamed into place, so a
-- reader (or a run killed midway) sees either the old file or the new one,
-- never half of one.
local proc = require("nnlab.core").proc

local files = {}

--- Creates a folder and its missing parents; returns true or nil, message.
function files.mkdir_p(path)
  local prefix = path:sub(1, 1) == "/" and "/" or ""
  for part in path:gmatch("[^/]+") do
    prefix = prefix .. part
    local ok, err = proc.mkdir(prefix)
    if not ok then return nil, err end
    prefix = prefix .. "/"
  end
  return true
end

--- The folder part of a path ("." when it has none).
function files.dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

--- The file name without folder and extension: "experiments/neurons.lua" -> "neurons".
function files.basename(path)
  return (path:match("([^/]*)$"):gsub("%.[^.]*$", ""))
end

--- A temporary name beside path, unique to this process.
function files.temp_name(path)
  local dir, name = path:match("^(.*/)([^/]*)$")
  return ("%s.%s.tmp%d"):format(dir or "", name or path, proc.getpid())
end

--- Writes text to path atomically (temporary file + rename); true or nil, message.
function files.write_atomic(path, text)
  local tmp = files.temp_name(path)
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(text)
  local closed, cerr = f:close()
  if not (ok and closed) then
    os.remove(tmp)
    return nil, ("%s: %s"):format(tmp, werr or cerr)
  end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    return nil, rerr
  end
  return true
end

--- The whole content of a file, or nil, message.
function files.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  return text
end

return files
