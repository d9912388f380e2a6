-- Small assertion and process helpers for Lua tests run through build/nnlab.
-- Every failure raises an error naming the test file's line, so nnlab exits 1.
local T = {}

T.nnlab = os.getenv("NNLAB_BIN") or "nnlab"
T.source = os.getenv("NNLAB_SOURCE_DIR") or "."
T.tmp = os.getenv("NNLAB_TEST_TMP") or "/tmp"

function T.eq(a, b, what)
  if a ~= b then error(("%s: expected %s, got %s"):format(what or "value", tostring(b), tostring(a)), 2) end
end

function T.truthy(v, what)
  if not v then error((what or "condition") .. " does not hold", 2) end
  return v
end

function T.close(a, b, tol, what)
  if not (math.abs(a - b) <= tol) then
    error(("%s: %.9g vs %.9g (tol %g)"):format(what or "value", a, b, tol), 2)
  end
end

function T.contains(haystack, needle, what)
  if not tostring(haystack):find(needle, 1, true) then
    error(("%s: %q does not contain %q"):format(what or "text", tostring(haystack), needle), 2)
  end
end

--- Calls f, which must fail; returns its message, which must contain `needle`.
function T.fails(f, needle)
  local ok, err = pcall(f)
  if ok then error("expected an error containing " .. needle, 2) end
  if not tostring(err):find(needle, 1, true) then
    error(("error %q lacks %q"):format(tostring(err), needle), 2)
  end
  return err
end

local function shell_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
T.quote = shell_quote

--- Runs a shell command; returns its combined stdout+stderr and exit status.
function T.run(cmd)
  local p = io.popen(cmd .. " 2>&1; echo \"__status=$?\"")
  local out = p:read("a")
  p:close()
  local status = tonumber(out:match("__status=(%d+)%s*$"))
  return out:gsub("__status=%d+%s*$", ""), status
end

--- Runs `nnlab args...` (strings, quoted for the shell).
function T.nnlab_run(args, env)
  local parts = {}
  for k, v in pairs(env or {}) do parts[#parts + 1] = k .. "=" .. shell_quote(v) end
  parts[#parts + 1] = shell_quote(T.nnlab)
  for _, a in ipairs(args) do parts[#parts + 1] = shell_quote(a) end
  return T.run(table.concat(parts, " "))
end

--- A fresh empty folder under the test scratch folder.
function T.tmpdir(name)
  local dir = T.tmp .. "/" .. name
  os.execute("rm -rf " .. shell_quote(dir) .. " && mkdir -p " .. shell_quote(dir))
  return dir
end

function T.write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

function T.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

return T
