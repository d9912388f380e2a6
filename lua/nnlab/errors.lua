-- nnlab.errors: one way to blame the user. nnlab promises that a mistake in
-- an experiment file is reported at the user's file and line, however deep
-- in nnlab the check that found it sits. errors.raise finds that line by
-- walking the stack to the first frame outside nnlab's own Lua files (this
-- folder and below), so no check counts stack levels. When a tail call has
-- erased the user's frame (`model = function(p) return nn.Sequential {...} end`),
-- the user function nnlab was calling (errors.call) stands in, at the line
-- where it is defined. errors.traceback shows the same user frames only.
local errors = {}

-- "@/path/to/lua/nnlab/" (or "@nnlab/" from a bare "?.lua" path): the
-- source prefix of every nnlab Lua file.
local LIBRARY = debug.getinfo(1, "S").source:match("^(@.-)errors%.lua$")

--- True when a frame's source (debug.getinfo's `source`) is nnlab's own
--- Lua code or C: frames a user's error position never names.
function errors.is_library(source)
  if source == "=[C]" then return true end
  return LIBRARY ~= nil and source:sub(1, #LIBRARY) == LIBRARY
end

-- A frame's file as messages name it: the whole path (Lua's short_src
-- shortens long ones to "...tail", which names no file one can open).
local function file_of(info)
  if info.source:sub(1, 1) == "@" then return info.source:sub(2) end
  return info.short_src
end

-- The user functions nnlab is calling right now, innermost last (errors.call).
local calling = {}

--- "file:line:" of the user's line that led to the running nnlab code, or
--- nil when no user frame is on the stack.
function errors.user_position()
  local level = 2
  while true do
    local info = debug.getinfo(level, "Slf")
    if not info then return nil end
    if info.func == errors.call then break end -- the user function it called was tail-called away
    if not errors.is_library(info.source) and info.currentline > 0 then
      return ("%s:%d:"):format(file_of(info), info.currentline)
    end
    level = level + 1
  end
  local where = debug.getinfo(calling[#calling], "S")
  if where.linedefined == 0 then return file_of(where) .. ":" end -- a whole file (a main chunk)
  return ("%s:%d:"):format(file_of(where), where.linedefined)
end

-- text with its control characters as \ddd (three digits: "\0011" is \001 then 1).
local function controls_escaped(text)
  return (tostring(text):gsub("%c", function(c) return ("\\%03d"):format(c:byte()) end))
end

--- errors.shown(text) -> text as a one-line message shows it: control
--- characters as \ddd, at most 60 characters (for command-line arguments
--- and other outside text quoted in messages).
function errors.shown(text)
  local out = controls_escaped(text)
  if #out > 60 then out = out:sub(1, 57) .. "..." end
  return out
end

-- nnlab's objects by the __name of their metatable (the bridge's types, and
-- optim's schedulers), as messages name them.
local OBJECTS = { ["nnlab.Net"] = "a model", ["nnlab.Loader"] = "a data loader", ["nnlab.Dataset"] = "a dataset",
                  ["nnlab.LossFunction"] = "a loss function", ["nnlab.Loss"] = "a loss",
                  ["nnlab.Optimizer"] = "an optimizer", ["nnlab.Scheduler"] = "a scheduler",
                  ["nnlab.Tensor"] = "a tensor", ["nnlab.Size"] = "a size" }

--- errors.path(p) -> a file's path as a message names it: quoted, whole
--- (errors.shown would cut it at 60 characters), control characters as
--- \ddd; a value that is no string, as errors.value names it.
function errors.path(p)
  if type(p) ~= "string" then return errors.value(p) end
  return "'" .. controls_escaped(p) .. "'"
end

--- errors.value(v) -> a value as a message names it: a string quoted
--- (errors.shown), a number, boolean or nil as itself, one of nnlab's
--- objects as what it is ("a data loader", "a model"), anything else by its
--- type ("a table", "a function"), never by its address.
function errors.value(v)
  local kind = type(v)
  if kind == "string" then return "'" .. errors.shown(v) .. "'" end
  if kind == "number" or kind == "boolean" or kind == "nil" then return tostring(v) end
  local mt = getmetatable(v)
  return type(mt) == "table" and OBJECTS[rawget(mt, "__name")] or "a " .. kind
end

--- errors.raise(fmt, ...): raises fmt:format(...) at the user's line.
function errors.raise(fmt, ...)
  local msg = select("#", ...) > 0 and fmt:format(...) or fmt
  local position = errors.user_position()
  error(position and (position .. " " .. msg) or msg, 0)
end

-- Closing it forgets the innermost function errors.call is calling.
local forget = setmetatable({}, { __close = function() calling[#calling] = nil end })

--- errors.call(f, ...) -> f(...): calls a function of the user's (an
--- experiment file, a lab.require'd module, a sweep's model, optimizer or
--- loss), remembering it as the place to blame when a tail call inside it
--- leaves no user line on the stack. Errors pass through untouched, so a
--- traceback still shows the user's frames inside f.
function errors.call(f, ...)
  calling[#calling + 1] = f
  local _ <close> = forget
  return f(...)
end

-- An error of the command (its --out), not of a line of the file.
local CommandError = { __tostring = function(e) return e.message end }

--- errors.command_error(msg): raises msg as the command's error, which
--- nnlab run shows as one line without a position or traceback (the file
--- is not at fault: a file where the report folder goes, say).
function errors.command_error(msg)
  error(setmetatable({ message = msg }, CommandError), 0)
end

--- True when e was raised by errors.command_error.
function errors.is_command_error(e) return getmetatable(e) == CommandError end

-- True when an error message's position names one of nnlab's Lua files:
-- the whole path, or Lua's short form of a long one, "...TAIL", whose tail
-- ends the library's path of that file.
local function library_position(file)
  if errors.is_library("@" .. file) then return true end
  if LIBRARY == nil or file:sub(1, 3) ~= "..." then return false end
  local tail = file:sub(4)
  local rel = tail:match(".*nnlab/(.+)$")
  return rel ~= nil and (LIBRARY:sub(2) .. rel):sub(-#tail) == tail
end

--- errors.whole_path(msg [, level]) -> msg, its position naming the whole
--- path when Lua shortened it ("...TAIL", for paths past LUA_IDSIZE) and a
--- frame on the stack from level up stands at that file and line; an error
--- object that is not a string as it is. A message handler of xpcall (it
--- runs before the stack unwinds).
function errors.whole_path(msg, level)
  if type(msg) ~= "string" then return msg end
  local file, line, rest = msg:match("^(%.%.%..-):(%d+): (.*)$")
  if not file or library_position(file) then return msg end
  level = level or 2
  while true do
    local info = debug.getinfo(level, "Sl")
    if not info then return msg end
    if info.short_src == file and info.currentline == tonumber(line) then
      return ("%s:%s: %s"):format(file_of(info), line, rest)
    end
    level = level + 1
  end
end

--- errors.traceback(msg [, level]) -> msg and a "stack traceback:" of the
--- user's own frames only (nnlab's Lua and C frames left out). A message
--- positioned inside nnlab's own files (a C function's "bad argument" or a
--- Lua error that no errors.raise caught: a closed model passed on, a method
--- called with '.') is moved to the user's line, which led there.
--- A position in a user's file that Lua shortened ("...TAIL") names the
--- whole path.
function errors.traceback(msg, level)
  level = level or 2
  msg = errors.whole_path(msg, level)
  local file, rest = msg:match("^(.-):%d+: (.*)$")
  if file and library_position(file) then
    local here = level
    while true do
      local info = debug.getinfo(here, "Sl")
      if not info then break end
      if not errors.is_library(info.source) and info.currentline > 0 then
        if rest:find("(local 'self')", 1, true) then -- obj.method() for obj:method()
          rest = rest .. "; call methods with ':' (obj:method()), not '.'"
        end
        msg = ("%s:%d: %s"):format(file_of(info), info.currentline, rest)
        break
      end
      here = here + 1
    end
  end
  local lines = { msg, "stack traceback:" }
  while true do
    local info = debug.getinfo(level, "Sln")
    if not info then break end
    if not errors.is_library(info.source) then
      local name = info.what == "main" and "in main chunk"
                   or info.name and ("in function '%s'"):format(info.name)
                   or ("in function <%s:%d>"):format(file_of(info), info.linedefined)
      lines[#lines + 1] = ("\t%s:%d: %s"):format(file_of(info), info.currentline, name)
    end
    level = level + 1
  end
  if #lines == 2 then lines[2] = nil end
  return table.concat(lines, "\n")
end

--- errors.dot_call(object): the error of a method called with a dot,
--- obj.method() (Lua passes no object), at the user's line; C's methods say
--- the same through lnn_check_self (bridge/lua_tensor.c).
function errors.dot_call(object)
  errors.raise("%s %s method called with '.' gets no %s; call methods with ':' (obj:method()), not '.'",
               object:find("^[aeiou]") and "an" or "a", object, object)
end

return errors
