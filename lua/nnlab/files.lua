-- nnlab.files: the file operations of caches and reports. Every file is
-- written whole to a temporary name beside it (unique to the writing process)
-- and renamed into place, so a reader, a run killed midway or a second run
-- writing the same file at the same time sees either the old file or a new
-- one, never half of one. A lock serialises writers of a group of files (a
-- report and its folder) that must come from the same run.

local files = {}

-- nnlab.core's proc, loaded on first use: files.shell_quote needs no C, so
-- pure-Lua modules (nnlab.datasets, tested under stock lua5.4) can require this one.
local function proc() return require("nnlab.core").proc end

-- errno of a file that does not exist (ENOENT), and of a path through a file
-- that is not a folder (ENOTDIR): the same on every Linux and BSD.
local ENOENT, ENOTDIR = 2, 20

--- Creates a folder and its missing parents; returns true or nil, message.
function files.mkdir_p(path)
  local prefix = path:sub(1, 1) == "/" and "/" or ""
  for part in path:gmatch("[^/]+") do
    prefix = prefix .. part
    local ok, err = proc().mkdir(prefix)
    if not ok then return nil, err end
    prefix = prefix .. "/"
  end
  return true
end

--- s as one word for the POSIX shell: 'it'\''s' (in single quotes, each ' closed,
--- escaped and reopened).
function files.shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- The folder part of a path ("." when it has none).
function files.dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

--- The file name without folder and extension: "experiments/neurons.lua" -> "neurons".
function files.basename(path)
  return (path:match("([^/]*)$"):gsub("%.[^.]*$", ""))
end

-- This machine's name as it may appear in a file name ("" when unknown).
local host
local function host_name()
  if not host then
    local f = io.open("/proc/sys/kernel/hostname", "r")
    host = f and (f:read("l") or ""):gsub("[^%w%-_]", "_"):sub(1, 64) or ""
    if f then f:close() end
  end
  return host
end

--- files.mtime(path) -> the modification time (seconds, with fractions) of
--- the file path names (a symbolic link followed), or nil when there is none.
function files.mtime(path)
  local st = proc().stat(proc().realpath(path) or path)
  return st and st.mtime or nil
end

--- The temporary name beside path that process pid (default: this one)
--- writes it through: dir/.name.tmpHOST.PID. The host keeps processes of
--- the same pid on machines that share the folder (NFS) apart. A name past
--- 120 bytes is cut to 100 and the FNV-1a hash of the whole (the cache's,
--- core.codec.fnv1a64): the suffix (up to 88 bytes) must not push a legal
--- name past NAME_MAX (255).
function files.temp_name(path, pid)
  local dir, name = path:match("^(.*/)([^/]*)$")
  name = name or path
  if #name > 120 then
    name = ("%s~%016x"):format(name:sub(1, 100), require("nnlab.core").codec.fnv1a64(name))
  end
  return ("%s.%s.tmp%s.%d"):format(dir or "", name, host_name(), pid or proc().getpid())
end

--- Removes the temporary files that the engine's model save (nn_net_save:
--- path.tmp.PID.N, N any) left beside path when process pid died mid-save.
function files.remove_save_temporaries(path, pid)
  local dir, name = files.dirname(path), path:match("([^/]*)$")
  local names = proc().list_dir(dir)
  if not names then return end
  local prefix = ("%s.tmp.%d."):format(name, pid)
  for _, entry in ipairs(names) do
    if entry:sub(1, #prefix) == prefix then os.remove(dir .. "/" .. entry) end
  end
end

--- The cause in an io message: "path: No space left on device" -> "No space left on device".
function files.cause(message, path)
  message = tostring(message)
  if message:sub(1, #path + 2) == path .. ": " then return message:sub(#path + 3) end
  return message
end

-- Fault injection, for tests of what a failure leaves behind (as SQLite's
-- tests do): NNLAB_FAULT_AT=k makes the k-th fault point of this process (a
-- file write, a rename, a gnuplot call) fail with "injected fault"; with
-- NNLAB_FAULT_KIND=signal it sends this process SIGTERM there and goes on,
-- with NNLAB_FAULT_KIND=kill it SIGKILLs this process there.
local fault_at = math.tointeger(tonumber(os.getenv("NNLAB_FAULT_AT") or ""))
local fault_kind = os.getenv("NNLAB_FAULT_KIND") or "fail"
local fault_count = 0
local SIGNALS = { signal = 15, kill = 9 }

--- files.fault_point(what) -> true, or nil and "injected fault (what #k)"
--- when NNLAB_FAULT_AT names this point (see above). Every file write and
--- rename of a report, and every gnuplot call, passes one.
function files.fault_point(what)
  if not fault_at then return true end
  fault_count = fault_count + 1
  if fault_count ~= fault_at then return true end
  if SIGNALS[fault_kind] then
    proc().kill(proc().getpid(), SIGNALS[fault_kind])
    return true
  end
  return nil, ("injected fault (%s #%d)"):format(what, fault_count)
end

--- files.rename(from, to) -> true, or nil and the cause: os.rename with a
--- fault point.
function files.rename(from, to)
  local ok, err = files.fault_point("rename")
  if not ok then return nil, err end
  ok, err = os.rename(from, to)
  if not ok then return nil, files.cause(err, from) end
  return true
end

-- nil and "cannot remove PATH: cause", remove_tree's failure.
local function cannot_remove(path, err)
  return nil, ("cannot remove %s: %s"):format(path, files.cause(err, path))
end

-- Removes path, whose lstat is info, and everything under it.
local function remove_entry(path, info)
  if info.type == "folder" then
    local names, err = proc().list_dir(path)
    if not names then return cannot_remove(path, err) end
    for _, name in ipairs(names) do
      local child = path .. "/" .. name
      local child_info, serr, code = proc().stat(child)
      if child_info then
        local ok, rerr = remove_entry(child, child_info)
        if not ok then return nil, rerr end
      elseif code ~= ENOENT then
        return cannot_remove(child, serr)
      end
    end
  end
  local ok, err, code = os.remove(path) -- unlink, or rmdir for a folder: a link itself, never its target
  if not ok and code ~= ENOENT then return cannot_remove(path, err) end
  return true
end

--- Removes path and, for a folder, everything in it (rm -rf); a missing
--- path is no error. Returns true or nil and "cannot remove PATH: cause"
--- (PATH the first entry that could not go). In this process, not by
--- running rm: system() would have this process ignore SIGINT meanwhile,
--- so a Ctrl-C landing there would be lost, and rm's messages would come
--- before nnlab's. A symbolic link is removed, never followed. A caught
--- signal interrupts it (nnlab.core's count hook) like any Lua code.
function files.remove_tree(path)
  if path == "" or path == "/" then return nil, "refusing to remove " .. path end
  local info, err, code = proc().stat(path)
  if not info then
    if code == ENOENT then return true end
    return cannot_remove(path, err)
  end
  return remove_entry(path, info)
end

--- Writes text to path atomically (temporary file + rename); true, or nil and
--- the cause ("No space left on device", "File too large", "Permission denied").
--- text may be a function(write) that calls write(piece) for each piece of
--- the text in order: a long file (results.json of 10^5 runs) is then never
--- one string; an error it raises removes the temporary file and is raised.
function files.write_atomic(path, text)
  local ok, ferr = files.fault_point("write")
  if not ok then return nil, ferr end
  local tmp = files.temp_name(path)
  local f, err = io.open(tmp, "wb")
  if not f then return nil, files.cause(err, tmp) end
  local written, werr
  if type(text) == "function" then
    written = true
    local produced, perr = pcall(text, function(piece)
      if written then written, werr = f:write(piece) end
    end)
    if not produced then
      f:close()
      os.remove(tmp)
      error(perr, 0)
    end
  else
    written, werr = f:write(text)
  end
  local closed, cerr = f:close()
  if not (written and closed) then
    os.remove(tmp)
    return nil, files.cause(werr or cerr, tmp)
  end
  local renamed, rerr = files.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    return nil, rerr
  end
  return true
end

--- files.load_lua(path) -> the chunk of the Lua source file at path, or nil
--- and Lua's message. A precompiled chunk (luac) is refused: Lua's loader
--- trusts its bytes, and a damaged one can crash the process.
function files.load_lua(path)
  local chunk, err = loadfile(path, "t")
  if chunk then return chunk end
  local f = io.open(path, "rb")
  local head = f and f:read(4)
  if f then f:close() end
  if head == "\27Lua" then
    return nil, ("%s is precompiled Lua (luac): nnlab runs Lua source files only"):format(path)
  end
  -- a syntax error names a path past 60 characters "...TAIL": name the whole path
  local short = type(err) == "string" and err:match("^(%.%.%.[^\n]-):%d+:")
  if short and path:sub(-(#short - 3)) == short:sub(4) then err = path .. err:sub(#short + 1) end
  return nil, err
end

--- The whole content of a regular file, or nil, message, missing (true when
--- the file does not exist, or could not: a folder on its path is a file),
--- errno (of the failed open or read; nil for a file too long). Anything else is refused unread, without
--- waiting on it: "a FIFO, not a regular file" (its open would wait for a
--- writer), likewise a device (/dev/zero never ends) or a folder. With
--- max_bytes, a longer file is refused unread.
function files.read(path, max_bytes)
  local f, size, code = proc().open_regular(path) -- on failure: nil, message, errno
  if not f then
    local message = size:gsub("^cannot open ", "", 1) -- "cannot open PATH: cause" or "PATH: a FIFO, ..."
    return nil, files.cause(message, path), code == ENOENT or code == ENOTDIR, code
  end
  if max_bytes and size > max_bytes then
    f:close()
    return nil, ("larger than %d bytes"):format(max_bytes), false
  end
  local text, rerr, rcode = f:read("a")
  f:close()
  if not text then return nil, files.cause(rerr, path), false, rcode end
  return text
end

--- Runs f(...) holding an exclusive lock on the file lock_path (created, with
--- its folder, when missing); returns what f returns. Another process that
--- asks for the same lock waits until f has returned or failed here. The
--- system releases the lock if this process dies.
function files.with_lock(lock_path, f, ...)
  local dir = files.dirname(lock_path)
  local ok, err = files.mkdir_p(dir)
  if not ok then error(("cannot create %s: %s"):format(dir, files.cause(err, dir)), 0) end
  local fd
  fd, err = proc().lock(lock_path)
  if not fd then error(("cannot write %s: %s"):format(lock_path, files.cause(err, lock_path)), 0) end
  local results = table.pack(pcall(f, ...))
  proc().close(fd)
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

return files
