-- nnlab.notebook.fingerprint: what a cache key holds of code, a sweep's run
-- function or a data.Lambda (sweep.code_fingerprint is this module's
-- `code`): its bytecode without line numbers and everything it reaches
-- through its upvalues, so that an edit or a value that changes a run
-- trains it again, and nothing else does:
--   - values: numbers exactly, strings, booleans; tables by their keys and
--     values (sorted by their texts: no address or order counts) and their
--     metatables; functions by their bytecode and upvalues, in turn;
--   - the globals a function reads by name (the _ENV fields its bytecode and
--     its nested functions' bytecode read), not every global;
--   - Lua's library and nnlab's modules by name (math.floor), plus any field
--     added to or changed in them since nnlab started;
--   - nnlab's objects by what they are: a dataset by its checksums, a model
--     by its layers, weights, mode and dropout stream, a loss function by its kind, a tensor
--     by its shape and elements; a data loader or an optimizer is refused.
-- Values that reach each other (a table that holds itself, functions that
-- call each other) are written as the distance up to the value they reach
-- back to, so a text depends on what is reached, never on the order of the
-- walk; only texts that reach nothing above them are kept for other roots.
local core = require "nnlab.core"
local errors = require "nnlab.errors"
local hash = require "nnlab.notebook.hash"

local fingerprint = {}

-- The tables of Lua's standard library, named wherever a function reaches them.
local LUA_LIBRARIES = { _G = true, string = true, table = true, math = true, io = true, os = true,
                        coroutine = true, utf8 = true, debug = true, package = true }

-- Lua's library and nnlab's modules as they were when this module loaded
-- (under `nnlab run`, before the experiment file runs): table -> its fields.
-- A field added or changed later is the user's, and keyed.
local BASELINE = {}
for name, m in pairs(package.loaded) do
  if type(m) == "table" and (LUA_LIBRARIES[name] or name:match("^nnlab")) then
    local fields = {}
    for k, v in next, m do fields[k] = v end
    BASELINE[m] = fields
  end
end

-- The tables of Lua's standard library and of nnlab's modules, and the C
-- functions in them (one level of subtables down: core.proc.fork), by name:
-- a function that reaches one is keyed by its name, not its contents
-- (nnlab's version is in every key; the interpreter's library is the
-- interpreter's), so math.floor and math.ceil are two keys. _G is not
-- named: the globals are the user's.
local function library_names()
  local out = {}
  local function name_fields(t, prefix, depth)
    local base = BASELINE[t]
    for field, v in pairs(t) do
      if type(field) == "string" and (not base or base[field] == v) then
        if type(v) == "function" and debug.getinfo(v, "S").what == "C" and not out[v] then
          out[v] = prefix .. "." .. field
        elseif type(v) == "table" and depth > 0 and not out[v] and not LUA_LIBRARIES[field] then
          out[v] = prefix .. "." .. field
          name_fields(v, prefix .. "." .. field, depth - 1)
        end
      end
    end
  end
  local modules = {}
  for name, m in pairs(package.loaded) do
    if type(m) == "table" and (LUA_LIBRARIES[name] or name:match("^nnlab")) then modules[#modules + 1] = name end
  end
  table.sort(modules) -- a function in two modules takes the first name in order
  for _, name in ipairs(modules) do out[package.loaded[name]] = name end
  for _, name in ipairs(modules) do
    if name ~= "_G" then name_fields(package.loaded[name], name, 1) end
  end
  name_fields(_G, "_G", 0) -- the base functions: print, pairs, ...
  out[_G] = nil
  return out
end

-- The fields of a named library table that differ from its baseline (added,
-- changed or removed), sorted by name's text; empty for an untouched one.
local function changed_fields(t)
  local base, list = BASELINE[t], {}
  if not base then return list end
  for k, v in next, t do
    if base[k] ~= v then list[#list + 1] = k end
  end
  for k in next, base do
    if rawget(t, k) == nil then list[#list + 1] = k end
  end
  return list
end

-- Lua 5.4's instructions that touch an upvalue (lopcodes.h): the operand
-- fields of an instruction are op (7 bits), A (8), k (1), B (8), C (8).
local OP_GETUPVAL, OP_SETUPVAL, OP_GETTABUP = 9, 10, 11

--- fingerprint.parse(f) -> the bytecode of f without line numbers, and its
--- functions' tree { code = { instruction... }, strings = { [index] = s },
--- upvalues = { { instack, idx }... }, nested = { ... } } (nil when the dump
--- is not Lua 5.4's format, whose whole bytes come first then).
--- The bytecode is string.dump without debug information, less the first
--- and last line numbers that Lua 5.4's format keeps for every function
--- even so: a line added above a function moves it without changing it. The
--- format (ldump.c): a 31-byte header and the upvalue count; per function
--- its source (empty), the two lines, 3 bytes, the code, the constants, the
--- upvalues, the nested functions and the (empty) debug lists; counts and
--- lengths as 7-bit groups, most significant first, the last marked 0x80.
function fingerprint.parse(f)
  local dump = string.dump(f, true)
  if dump:byte(5) ~= 0x54 or dump:byte(6) ~= 0 then return dump, nil end
  local pos, out = 33, { dump:sub(1, 32) }
  local function size()
    local x, b = 0, nil
    repeat
      b = dump:byte(pos)
      if not b then error("short", 0) end
      pos, x = pos + 1, (x << 7) | (b & 0x7f)
    until b >= 0x80
    return x
  end
  local function read_string()
    local n = size()
    if n == 0 then return nil end
    pos = pos + n - 1
    return dump:sub(pos - n + 1, pos - 1)
  end
  local function keep(from) out[#out + 1] = dump:sub(from, pos - 1) end
  local function func()
    local proto = { code = {}, strings = {}, upvalues = {}, nested = {} }
    local from = pos
    read_string() -- source
    keep(from)
    size(); size() -- linedefined, lastlinedefined: left out
    from = pos
    pos = pos + 3 -- numparams, is_vararg, maxstacksize
    for i = 1, size() do
      proto.code[i] = string.unpack("<I4", dump, pos)
      pos = pos + 4
    end
    for i = 0, size() - 1 do -- constants: a type tag, then an 8-byte number or a string
      local tag = dump:byte(pos)
      pos = pos + 1
      if tag == 0x03 or tag == 0x13 then pos = pos + 8
      elseif tag == 0x04 or tag == 0x14 then proto.strings[i] = read_string() end
    end
    for i = 1, size() do
      proto.upvalues[i] = { instack = dump:byte(pos), idx = dump:byte(pos + 1) }
      pos = pos + 3
    end
    local nested = size()
    keep(from)
    for i = 1, nested do proto.nested[i] = func() end
    from = pos
    local line_info = size()
    pos = pos + line_info
    for _ = 1, size() do size(); size() end -- absolute line info
    for _ = 1, size() do read_string(); size(); size() end -- local names
    for _ = 1, size() do read_string() end -- upvalue names
    keep(from)
    return proto
  end
  local ok, root = pcall(func)
  if not ok or pos ~= #dump + 1 then return dump, nil end
  return table.concat(out), root
end

--- fingerprint.globals_read(proto, env) -> the set of names the function
--- (and the functions nested in it) read from its upvalue number `env`
--- (0-based: its _ENV), or nil when it uses that table other than by
--- constant names (_ENV passed on, indexed by a variable, or assigned).
function fingerprint.globals_read(proto, env)
  local names = {}
  local function scan(p, envs)
    for _, ins in ipairs(p.code) do
      local op, b, c = ins & 0x7f, (ins >> 16) & 0xff, (ins >> 24) & 0xff
      if op == OP_GETTABUP and envs[b] then
        if not p.strings[c] then return false end
        names[p.strings[c]] = true
      elseif (op == OP_GETUPVAL or op == OP_SETUPVAL) and envs[b] then
        return false
      end
    end
    for _, child in ipairs(p.nested) do
      local inner = {}
      for j, u in ipairs(child.upvalues) do
        if u.instack == 0 and envs[u.idx] then inner[j - 1] = true end
      end
      if next(inner) and not scan(child, inner) then return false end
    end
    return true
  end
  if not scan(proto, { [env] = true }) then return nil end
  return names
end

-- The source of nnlab's own Lua files up to lua/nnlab/ ("@/usr/share/nnlab/lua/nnlab/"):
-- their functions are keyed by the path below it, the same wherever nnlab lies.
local LIBRARY_SOURCE = debug.getinfo(1, "S").source:match("^(@.-)notebook/fingerprint%.lua$")

-- Objects a key cannot hold, by what they depend on besides their settings:
-- a function that closes over one is refused.
local STATEFUL = { ["nnlab.Loader"] = "a data loader", ["nnlab.Optimizer"] = "an optimizer" }
local STATE_OF = { ["nnlab.Loader"] = "the pass it is in, the epochs it has shuffled",
                   ["nnlab.Optimizer"] = "the steps it has taken, the model it steps" }

-- How many values one fingerprint may walk (values inside a web of mutual
-- references are walked once per path to them): past it, an error.
local MAX_VISITS = 200000

--- fingerprint.code(fn [, memo]) -> 16 hex digits: what identifies a
--- function for a cache key (see the top of this file). memo (optional)
--- keeps, for the jobs of one sweep, the library's names and each table's
--- text that reaches nothing outside itself.
function fingerprint.code(root, memo)
  memo = memo or {}
  memo.names = memo.names or library_names()
  memo.tables = memo.tables or {}
  local names, shared = memo.names, memo.tables
  local done = {} -- value -> text, for values whose text reaches nothing above them (this root)
  local active, depth = {}, 0 -- value -> its depth while its text is being made
  local reached = math.huge -- the shallowest active value reached since the innermost enter
  local visits = 0
  local parsed = {} -- f -> { bytecode, functions' tree }: string.dump once a function
  local text_of
  local function digest(parts) return hash.hex(hash.fnv1a64(table.concat(parts, "\0"))) end
  -- Makes the text of v by make(v) with v active; returns it and whether it
  -- reached no value above v (so that it is the same from any path).
  local function walk(v, make)
    visits = visits + 1
    if visits > MAX_VISITS then
      errors.raise("lab.sweep: a run function or data.Lambda reaches more than %d values through a web of "
                   .. "references to each other; pass what it needs through p or ctx", MAX_VISITS)
    end
    local saved = reached
    depth, reached = depth + 1, math.huge
    active[v] = depth
    local text = make(v)
    local whole = reached >= active[v]
    active[v], depth = nil, depth - 1
    reached = math.min(saved, reached)
    return text, whole
  end
  local function sorted_pairs_text(label, entries)
    table.sort(entries, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
    local parts = { label }
    for _, e in ipairs(entries) do parts[#parts + 1] = e[1]; parts[#parts + 1] = e[2] end
    return parts
  end
  local function make_table(t)
    local meta = getmetatable(t)
    local view = type(meta) == "table" and rawget(meta, "__fingerprint")
    local source = view and view(t) or t
    local entries = {}
    for k, v in next, source do entries[#entries + 1] = { text_of(k), text_of(v) } end
    local parts = sorted_pairs_text(view and "view" or "table", entries)
    if not view and meta ~= nil then parts[#parts + 1] = "meta"; parts[#parts + 1] = text_of(meta) end
    return "table " .. digest(parts)
  end
  local function make_library(t)
    local entries = {}
    for _, k in ipairs(changed_fields(t)) do entries[#entries + 1] = { text_of(k), text_of(rawget(t, k)) } end
    if #entries == 0 then return "lib " .. names[t] end
    return "lib " .. names[t] .. " " .. digest(sorted_pairs_text("changed", entries))
  end
  -- The globals f's code reads by name from env (its _ENV), or the whole table.
  local function make_env(env, proto, index)
    local read = proto and fingerprint.globals_read(proto, index)
    if not read then return make_table(env) end
    local entries = {}
    for name in pairs(read) do
      local ok, value = pcall(function() return env[name] end) -- a strict table may raise
      entries[#entries + 1] = { text_of(name), ok and text_of(value, ("global '%s'"):format(name)) or "unreadable" }
    end
    return "env " .. digest(sorted_pairs_text("env", entries))
  end
  local function make_function(f)
    if not parsed[f] then
      local code, proto = fingerprint.parse(f)
      parsed[f] = { hash.hex(hash.fnv1a64(code)), proto }
    end
    local parts, proto = { parsed[f][1] }, parsed[f][2]
    for i = 1, 255 do -- a Lua function has at most 255 upvalues
      local name, value = debug.getupvalue(f, i)
      if not name then break end
      if name == "_ENV" and type(value) == "table" and not names[value] and not active[value] then
        parts[#parts + 1] = walk(value, function(env) return make_env(env, proto, i - 1) end)
      else
        parts[#parts + 1] = text_of(value, ("upvalue '%s'"):format(name))
      end
    end
    return "function " .. digest(parts)
  end
  -- The text of a table or a Lua function (make), by the memos when it has one.
  local function composite(v, make, share)
    if active[v] then
      reached = math.min(reached, active[v])
      return ("back %d"):format(depth + 1 - active[v])
    end
    local known = done[v] or (share and shared[v])
    if known then return known end
    local text, whole = walk(v, make)
    if whole then
      done[v] = text
      if share then shared[v] = text end
    end
    return text
  end
  function text_of(v, where) -- where: how the function reaches v, for messages ("upvalue 'x'")
    local kind = type(v)
    if kind == "number" or kind == "string" or kind == "boolean" then return kind .. " " .. ("%q"):format(v) end
    if kind == "nil" then return "nil" end
    if kind == "table" and names[v] then return composite(v, make_library, false) end
    if names[v] then return "lib " .. names[v] end
    if kind == "table" then return composite(v, make_table, true) end
    if kind == "function" then
      local info = debug.getinfo(v, "S")
      if info.what == "C" then return "C function" end
      if errors.is_library(info.source) then
        local below = LIBRARY_SOURCE and info.source:sub(1, #LIBRARY_SOURCE) == LIBRARY_SOURCE
                      and info.source:sub(#LIBRARY_SOURCE + 1) or info.source
        return ("nnlab %s:%d"):format(below, info.linedefined)
      end
      return composite(v, make_function, false)
    end
    local meta = getmetatable(v)
    local name = type(meta) == "table" and rawget(meta, "__name") or kind
    if name == "nnlab.Dataset" then
      local info = v:info()
      return ("dataset %s %s"):format(tostring(info.checksum), tostring(info.view_checksum))
    elseif name == "nnlab.LossFunction" then
      return "loss " .. core.loss_kind(v)
    elseif name == "nnlab.Net" then
      if select(2, pcall(v.training, v)) == nil then return "model closed" end
      return ("model %s %s %s %d"):format(text_of(v:layers()), v:checksum(), tostring(v:training()),
                                          core.net_dropout_draws(v))
    elseif name == "nnlab.Tensor" then
      local state = core.tensor_state(v)
      return state == "fresh" and "tensor " .. core.tensor_checksum(v) or "tensor " .. state
    elseif name == "nnlab.Size" then
      return "size " .. tostring(v)
    elseif STATEFUL[name] then
      errors.raise("lab.sweep: a run function or data.Lambda closes over %s%s, whose state (%s) no cache key "
                   .. "can hold: make it inside the function (from ctx.train, ctx.test or a model made there)",
                   STATEFUL[name], where and (" (%s)"):format(where) or "", STATE_OF[name])
    end
    return tostring(name)
  end
  return digest { text_of(root) }
end

return fingerprint
