-- nnlab.notebook.provenance: where a report came from, for its header. The
-- machine (CPU model, the CPUs this process may use, the OS), how nnlab was
-- built (core.build_info), the git commit of the experiment's folder with a
-- "modified" mark, the SHA-256 of the experiment file and of every
-- lab.require'd file, and the command line. Nothing here has a clock in it:
-- the same machine, commit, files and command give the same rows. Nothing
-- here fails a run: what cannot be found is said (unknown, no git, not a
-- repository).
local core = require "nnlab.core"
local files = require "nnlab.files"

local provenance = {}

-- The output of a shell command (stderr dropped), or nil when it failed.
local function command_output(cmd)
  local pipe = io.popen(cmd .. " 2>/dev/null")
  if not pipe then return nil end
  local out = pipe:read("a")
  local ok = pipe:close()
  if not ok then return nil end
  return out
end

-- The text of a small system file (/proc/cpuinfo, /etc/os-release), or nil.
local function read(path) return (files.read(path)) end

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- A CPU model name that names a family but not a part ("AMD EPYC", as some
-- virtual machines report): family and model numbers are added.
local function generic(name)
  local words = 0
  for _ in name:gmatch("%S+") do words = words + 1 end
  return words <= 2 or not name:find("%d")
end

--- provenance.machine() -> { cpu = "AMD EPYC 7B13 64-Core Processor" or nil,
--- family, model (strings, only for a generic name), cores (the CPUs this
--- process may use), os = "Debian GNU/Linux 12 (bookworm)" or nil, kernel =
--- "Linux 6.1.0" or nil }.
function provenance.machine()
  local m = { cores = core.proc.cpu_limits().cpus }
  local info = read("/proc/cpuinfo") or ""
  local name = info:match("\nmodel name%s*:%s*([^\n]*)") or info:match("^model name%s*:%s*([^\n]*)")
  if name and trim(name) ~= "" then
    m.cpu = trim(name):gsub("%s+", " ")
    if generic(m.cpu) then
      m.family = info:match("\ncpu family%s*:%s*(%d+)")
      m.model = info:match("\nmodel%s*:%s*(%d+)")
    end
  end
  local os_release = read("/etc/os-release") or read("/usr/lib/os-release") or ""
  local pretty = os_release:match("PRETTY_NAME=\"([^\"\n]*)\"") or os_release:match("PRETTY_NAME=([^\n]*)")
  if pretty and trim(pretty) ~= "" then m.os = trim(pretty) end
  local uname = command_output("uname -sr")
  if uname and trim(uname) ~= "" then m.kernel = trim(uname) end
  return m
end

--- provenance.build() -> core.build_info(): { compiler, version, build_type }.
function provenance.build()
  return core.build_info()
end

--- provenance.git(dir [, out_dir]) -> { commit = "5c616db", modified =
--- true|false } for the repository holding dir, or { missing = "git" } (no
--- git command), { missing = "repository" } (dir is in no repository) or
--- { missing = "commit" } (a repository without a commit yet) or
--- { missing = "refused", reason = "..." } (git's first line, in English: a
--- repository of another owner, "detected dubious ownership"). Git runs
--- with LC_ALL=C: its messages decide, and a translated git words them
--- otherwise. modified: `git status --porcelain` lists anything
--- (changed, staged or untracked files anywhere in the repository) outside
--- out_dir, the reports folder: reports written by the same batch of runs
--- are not changes to what produced them.
function provenance.git(dir, out_dir)
  local q = files.shell_quote(dir)
  if not command_output("command -v git") then return { missing = "git" } end
  local git = "LC_ALL=C LANGUAGE= git -C " .. q
  local head = command_output(git .. " rev-parse --short HEAD")
  if not head or not head:match("^%x+%s*$") then
    local said = io.popen(git .. " rev-parse --git-dir 2>&1 >/dev/null")
    local text = said and said:read("a") or ""
    local is_repository = said and said:close()
    if is_repository then return { missing = "commit" } end -- a repository, and no HEAD to name
    local reason = trim(text:match("^[^\n]*")):gsub("^fatal: ", "")
    if reason == "" or text:find("not a git repository", 1, true) then return { missing = "repository" } end
    return { missing = "refused", reason = reason }
  end
  local status = command_output(git .. " status --porcelain")
  if status == nil then return { commit = trim(head), modified = true } end
  -- porcelain paths are relative to the repository's top; drop those in out_dir
  local top = trim(command_output(git .. " rev-parse --show-toplevel") or "")
  -- out_dir as git may list it: its real path (git's top is one; $PWD may be
  -- stale), and its own name in its real parent folder (a link named
  -- `reports`, listed as `?? reports`, whose target is elsewhere)
  local skips = {}
  if out_dir and top ~= "" then
    local trimmed = out_dir:gsub("/+$", "")
    local parent, base = trimmed:match("^(.*)/([^/]+)$")
    if not parent then parent, base = ".", trimmed end
    local real_parent = core.proc.realpath(parent == "" and "/" or parent)
    for _, abs in ipairs { core.proc.realpath(out_dir) or false, real_parent and (real_parent .. "/" .. base) or false } do
      if abs then
        abs = abs:gsub("/%./", "/"):gsub("/+$", "")
        if abs:sub(1, #top + 1) == top .. "/" then skips[#skips + 1] = abs:sub(#top + 2) end
      end
    end
  end
  local modified = false
  for line in status:gmatch("[^\n]+") do
    local path = line:sub(4):gsub('^"', "")
    local listed = false
    for _, skip in ipairs(skips) do
      listed = listed or path == skip or path:sub(1, #skip + 1) == skip .. "/"
    end
    if not listed then modified = true end
  end
  return { commit = trim(head), modified = modified }
end

--- provenance.sha256(path) -> the SHA-256 of the file at path (coreutils'
--- sha256sum), as 64 hex digits, or nil when the file cannot be read or
--- sha256sum is missing.
function provenance.sha256(path)
  local out = command_output("sha256sum -- " .. files.shell_quote(path))
  return out and out:match("^(%x+)") or nil
end

-- An argument as a POSIX shell reads it back: as it is when it holds only
-- safe characters, else in single quotes.
local function shell_word(a)
  if a ~= "" and not a:find("[^%w_%-%.,/=:+@%%]") then return a end
  return files.shell_quote(a)
end

--- provenance.command_line(args) -> "nnlab run FILE --set a=b -j 2": the
--- arguments as nnlab got them, quoted where a shell needs it.
function provenance.command_line(args)
  local parts = { "nnlab" }
  for _, a in ipairs(args) do parts[#parts + 1] = shell_word(a) end
  return table.concat(parts, " ")
end

return provenance
