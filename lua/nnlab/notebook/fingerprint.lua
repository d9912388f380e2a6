-- nnlab.notebook.fingerprint: what a cache key holds of code, a sweep's run
-- function or a data.Lambda (sweep.code_fingerprint is this module's
-- `code`): its bytecode without line numbers and everything it reaches
-- through its upvalues, so that an edit or a value that changes a run
-- trains it again, and nothing else does:
--   - values: numbers exactly, strings, booleans; tables by their keys and
--     values (sorted by their texts: no address or order counts) and their
--     metatables; functions by their bytecode and upvalues, in turn;
--   - the globals a function reads by name (the _ENV fields its bytecode and
--     its nested functions' bytecode read), not every global (every one when
--     it reads load or dofile, which read globals by names in strings);
--   - Lua's library and nnlab's modules by name (math.floor), plus any field
--     added to or changed in them since nnlab started;
--   - nnlab's objects by what they are: a dataset by its checksums, a model
--     by its layers, weights, mode and dropout stream, a loss function by its
--     kind, a tensor by its shape and elements; a data loader or an
--     optimizer is refused.
-- The values reached form a graph, numbered in a canonical walk (see
-- fingerprint.code): cycles, shared values and functions that call each
-- other are keyed exactly, in time linear in what is reached.
local core = require "nnlab.core"
local errors = require "nnlab.errors"
local hash = require "nnlab.notebook.hash"

local fingerprint = {}

-- The tables of Lua's standard library, named wherever a function reaches them.
local LUA_LIBRARIES = { _G = true, string = true, table = true, math = true, io = true, os = true,
                        coroutine = true, utf8 = true, debug = true, package = true }

--- fingerprint.library_module(name) -> whether the module of that name
--- (package.loaded) is Lua's library or nnlab's: named in a key, never
--- walked, so a run function may also require it.
function fingerprint.library_module(name)
  return type(name) == "string" and (LUA_LIBRARIES[name] == true or name:match("^nnlab") ~= nil)
end

-- The tables of the modules fingerprint.library_module names, sorted by name.
local function library_modules()
  local names = {}
  for name, m in pairs(package.loaded) do
    if type(m) == "table" and fingerprint.library_module(name) then names[#names + 1] = name end
  end
  table.sort(names)
  return names
end

-- Lua's library and nnlab's modules and their tables one level down, as they
-- were when the notebook started (fingerprint.take_baseline): table -> its
-- fields. A field added or changed later is the user's, and keyed.
local BASELINE

--- fingerprint.take_baseline(): notes Lua's library and nnlab's modules as
--- they are now, once; the notebook calls it before the experiment file
--- runs (a program that never started it, stock Lua, takes it at its first
--- fingerprint).
function fingerprint.take_baseline()
  if BASELINE then return end
  BASELINE = {}
  local lab = require "nnlab" -- its table too: lab.x = ... is the user's
  local _ = lab.sweep, lab.stats -- the names it loads on first use, loaded now
  local function note(t) -- a table's fields, once
    if BASELINE[t] then return end
    local fields = {}
    for k, v in next, t do fields[k] = v end
    BASELINE[t] = fields
  end
  local modules = library_modules()
  for _, name in ipairs(modules) do note(package.loaded[name]) end
  for _, name in ipairs(modules) do -- and their tables one level down (optim.lr_scheduler), but _G's
    if name ~= "_G" then
      for k, v in next, package.loaded[name] do
        if type(v) == "table" and type(k) == "string" and not LUA_LIBRARIES[k] then note(v) end
      end
    end
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
    local base, fields = BASELINE[t], {}
    for field in pairs(t) do
      if type(field) == "string" then fields[#fields + 1] = field end
    end
    table.sort(fields) -- a function under two names takes the first in order, in every process
    for _, field in ipairs(fields) do
      local v = rawget(t, field)
      if not base or base[field] == v then
        if type(v) == "function" and debug.getinfo(v, "S").what == "C" and not out[v] then
          out[v] = prefix .. "." .. field
        elseif type(v) == "table" and depth > 0 and not out[v] and not LUA_LIBRARIES[field] then
          out[v] = prefix .. "." .. field
          name_fields(v, prefix .. "." .. field, depth - 1)
        end
      end
    end
  end
  local modules = library_modules() -- a function in two modules takes the first name in order
  for _, name in ipairs(modules) do out[package.loaded[name]] = name end
  for _, name in ipairs(modules) do
    if name ~= "_G" then name_fields(package.loaded[name], name, 1) end
  end
  name_fields(_G, "_G", 0) -- the base functions: print, pairs, ...
  out[_G] = nil
  return out
end

-- The fields of a named library table that differ from its baseline (added,
-- changed or removed), and those that hold a noted table with such fields
-- of its own (optim.lr_scheduler.x = ... changes optim); empty for an
-- untouched one. `seen`: the tables asked about above, for tables that
-- hold each other.
local function changed_fields(t, seen)
  local base, list = BASELINE[t], {}
  if not base then return list end
  seen = seen or {}
  seen[t] = true
  for k, v in next, t do
    if base[k] ~= v then
      list[#list + 1] = k
    elseif type(v) == "table" and BASELINE[v] and not seen[v] and #changed_fields(v, seen) > 0 then
      list[#list + 1] = k
    end
  end
  for k in next, base do
    if rawget(t, k) == nil then list[#list + 1] = k end
  end
  seen[t] = nil
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
local STATEFUL = { ["nnlab.Loader"] = "a data loader", ["nnlab.Optimizer"] = "an optimizer", thread = "a coroutine" }
local STATE_OF = { ["nnlab.Loader"] = "the pass it is in, the epochs it has shuffled",
                   ["nnlab.Optimizer"] = "the steps it has taken, the model it steps",
                   thread = "where it stopped, what it yields next" }

-- A function's view of its _ENV: the globals it reads by name (EnvView).
local EnvView = {}

-- Globals whose use reads other globals by names no bytecode shows: a
-- function that reads one of them is keyed by every global.
local OPAQUE_GLOBALS = { load = true, loadstring = true, dofile = true }

--- fingerprint.code(fn [, memo]) -> 16 hex digits: what identifies a
--- function for a cache key (see the top of this file). memo (optional)
--- keeps, for the jobs of one sweep, the library's names, parsed bytecode
--- and the digest of each tree of plain tables met (see encode).
--- How: values are the nodes of a graph, each with its own part (a table's
--- kind, a function's bytecode) and its references in an order of their
--- own (a function's upvalues in order; a table's pairs sorted by the key's
--- text, a value's for keys alike; then the metatable). A walk from the root
--- in that order numbers every node the first time it is reached (without
--- recursion: a list of 10^5 tables is a loop, not 10^5 calls), and the key
--- is the digest of every node's part with each reference written as a
--- leaf's text or a node's number. Two graphs get one key only when they
--- are the same up to renaming: a ring of 3 tables is not a ring of 2, and
--- one table held twice is not two equal tables (rawequal can tell). Table
--- keys that are themselves tables or functions are ordered by what they
--- hold three levels down (look), which tells apart all but keys alike
--- that deep.
function fingerprint.code(root, memo)
  fingerprint.take_baseline()
  memo = memo or {}
  memo.names = memo.names or library_names()
  memo.trees = memo.trees or {}
  memo.parsed = memo.parsed or {}
  local names, trees, parsed = memo.names, memo.trees, memo.parsed
  local function digest(parts) return hash.hex(hash.fnv1a64(table.concat(parts, "\0"))) end
  local leaf_text -- (v, where) -> the text of a value with no references, or nil for a node
  local reads_any_global = false -- load, loadstring or dofile reached as a value: they read globals by name

  local nodes = {} -- composite -> { kind, ordered = { ref... }, pairs = { { kref, vref }... }, tail = { ref... } }
  local function reference(v, where) return leaf_text(v, where) or v end
  local function describe(v)
    local node = { ordered = {}, pairs = {}, tail = {} }
    if getmetatable(v) == EnvView then
      node.kind = "env"
      for name in pairs(v.read) do
        local ok, value = pcall(function() return v.env[name] end) -- a strict table may raise
        node.pairs[#node.pairs + 1] = { leaf_text(name), ok and reference(value, ("global '%s'"):format(name))
                                                           or "unreadable" }
      end
    elseif type(v) == "function" then
      node.kind = "function"
      if not parsed[v] then
        local code, proto = fingerprint.parse(v)
        parsed[v] = { hash.hex(hash.fnv1a64(code)), proto }
      end
      local proto = parsed[v][2]
      node.ordered[1] = parsed[v][1]
      for i = 1, 255 do -- a Lua function has at most 255 upvalues
        local name, value = debug.getupvalue(v, i)
        if not name then break end
        local read = name == "_ENV" and type(value) == "table" and not names[value] and proto
                     and fingerprint.globals_read(proto, i - 1)
        if read then
          for opaque in pairs(OPAQUE_GLOBALS) do if read[opaque] then read = nil break end end
        end
        node.ordered[#node.ordered + 1] = read and setmetatable({ env = value, read = read }, EnvView)
                                          or reference(value, ("upvalue '%s'"):format(name))
      end
    elseif names[v] then -- a library table with fields added or changed since nnlab started
      node.kind = "lib " .. names[v]
      for _, k in ipairs(changed_fields(v)) do node.pairs[#node.pairs + 1] = { reference(k), reference(rawget(v, k)) } end
    else
      local meta = debug.getmetatable(v) -- __metatable hides nothing from the key
      local view = type(meta) == "table" and rawget(meta, "__fingerprint")
      node.kind = view and "view" or "table"
      for k, x in next, view and view(v) or v do node.pairs[#node.pairs + 1] = { reference(k), reference(x) } end
      if not view and meta ~= nil then node.tail[1] = "meta"; node.tail[2] = reference(meta) end
    end
    return node
  end
  -- A node's look to a depth: its kind and leaves, its references' looks a
  -- level less deep (their kinds at the bottom), to order look-alike keys:
  -- closures of one factory over { scale = 1 } and { scale = 2 } differ at
  -- depth 2. Keys that look alike to depth 3 may come in either order.
  local looks = {}
  local function look(v, depth)
    local node = nodes[v]
    if not node then node = describe(v) nodes[v] = node end
    looks[v] = looks[v] or {}
    if looks[v][depth] then return looks[v][depth] end
    local function t(r)
      if type(r) == "string" then return r end
      return depth > 0 and look(r, depth - 1) or (nodes[r] and nodes[r].kind or type(r))
    end
    looks[v][depth] = "" -- a key that reaches itself within the depth
    local parts = { node.kind, node.tree or "" }
    for _, r in ipairs(node.ordered) do parts[#parts + 1] = t(r) end
    local entries = {}
    for i, p in ipairs(node.pairs) do entries[i] = t(p[1]) .. "\1" .. t(p[2]) end
    table.sort(entries)
    for _, e in ipairs(entries) do parts[#parts + 1] = e end
    looks[v][depth] = "~" .. digest(parts)
    return looks[v][depth]
  end
  local function sort_text(r)
    if type(r) == "string" then return r end
    return look(r, 3)
  end
  -- The node's references in their order: ordered, pairs by key then value, tail.
  local function in_order(node)
    if node.sorted then return end
    local keyed = {}
    -- leaf keys are unique: their texts order the pairs; a table or function key needs its look
    local plain = true
    for _, p in ipairs(node.pairs) do if type(p[1]) ~= "string" then plain = false break end end
    for i, p in ipairs(node.pairs) do
      keyed[i] = { sort_text(p[1]), plain and "" or sort_text(p[2]), p }
    end
    table.sort(keyed, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
    for i, k in ipairs(keyed) do node.pairs[i] = k[3] end
    node.sorted = true
  end
  local function composite_refs(node)
    local refs = {}
    for _, r in ipairs(node.ordered) do if type(r) ~= "string" then refs[#refs + 1] = r end end
    for _, p in ipairs(node.pairs) do
      if type(p[1]) ~= "string" then refs[#refs + 1] = p[1] end
      if type(p[2]) ~= "string" then refs[#refs + 1] = p[2] end
    end
    for _, r in ipairs(node.tail) do if type(r) ~= "string" then refs[#refs + 1] = r end end
    return refs
  end

  -- Numbers every node reachable from start, first reached first (the walk
  -- of a depth-first search, with a list for a stack), and writes each. A
  -- tree of plain tables (no metatable, each table in it held once, from
  -- within it: data such as { { 1, 0.5 }, ... }) is written as one digest of
  -- its contents, and kept for the sweep's other keys, which then do not
  -- read it again.
  local function encode(start)
    local number, order, stack, held, parent = {}, {}, { start }, {}, {}
    while #stack > 0 do
      local v = table.remove(stack)
      if not number[v] then
        order[#order + 1] = v
        number[v] = #order
        local node = nodes[v] or trees[v] and getmetatable(v) == nil
                     and { kind = "table", ordered = {}, pairs = {}, tail = {}, tree = trees[v], sorted = true }
                     or describe(v)
        nodes[v] = node
        in_order(node)
        local children = composite_refs(node)
        for _, c in ipairs(children) do held[c], parent[c] = (held[c] or 0) + 1, v end
        for i = #children, 1, -1 do
          if not number[children[i]] then stack[#stack + 1] = children[i] end
        end
      end
    end
    -- trees, from the last numbered up: a child numbered before its parent is a way back
    local tree = {}
    for i = #order, 1, -1 do
      local v = order[i]
      local node = nodes[v]
      if node.tree then
        tree[v] = node.tree
      elseif node.kind == "table" and #node.ordered == 0 and #node.tail == 0 then
        local whole, parts = true, { "tree" }
        for _, p in ipairs(node.pairs) do
          for _, r in ipairs(p) do
            if type(r) == "string" then
              parts[#parts + 1] = r
            elseif number[r] > i and held[r] == 1 and tree[r] then
              parts[#parts + 1] = tree[r]
            else
              whole = false
            end
          end
          if not whole then break end
        end
        if whole then tree[v] = digest(parts) trees[v] = tree[v] end
      end
    end
    -- what is written: every node but those inside a tree, renumbered
    local shown, visible = {}, {}
    for _, v in ipairs(order) do
      if not (tree[v] and held[v] == 1 and parent[v] ~= nil and tree[parent[v]] and v ~= start) then
        visible[#visible + 1] = v
        shown[v] = #visible
      end
    end
    local function t(r) return type(r) == "string" and r or "#" .. shown[r] end
    local parts = {}
    for i, v in ipairs(visible) do
      local node = nodes[v]
      local line = { node.kind }
      if tree[v] then
        line[2] = tree[v]
      else
        for _, r in ipairs(node.ordered) do line[#line + 1] = t(r) end
        for _, p in ipairs(node.pairs) do line[#line + 1] = t(p[1]); line[#line + 1] = t(p[2]) end
        for _, r in ipairs(node.tail) do line[#line + 1] = t(r) end
      end
      parts[i] = table.concat(line, "\1")
    end
    return digest(parts)
  end
  local function resolve(v)
    return leaf_text(v) or ("graph " .. encode(v))
  end

  function leaf_text(v, where) -- where: how the function reaches v, for messages ("upvalue 'x'")
    local kind = type(v)
    if kind == "number" or kind == "string" or kind == "boolean" then return kind .. " " .. ("%q"):format(v) end
    if kind == "nil" then return "nil" end
    if names[v] then
      if kind == "table" and #changed_fields(v) > 0 then return nil end
      if OPAQUE_GLOBALS[names[v]:match("^_G%.(.*)$") or ""] then reads_any_global = true end
      return "lib " .. names[v]
    end
    if kind == "table" then return nil end
    if kind == "function" then
      local info = debug.getinfo(v, "S")
      if info.what == "C" then
        for i = 1, 255 do -- coroutine.wrap's function holds its coroutine
          local name, value = debug.getupvalue(v, i)
          if not name then break end
          if type(value) == "thread" then leaf_text(value, where) end
        end
        return "C function"
      end
      if errors.is_library(info.source) then
        local below = LIBRARY_SOURCE and info.source:sub(1, #LIBRARY_SOURCE) == LIBRARY_SOURCE
                      and info.source:sub(#LIBRARY_SOURCE + 1) or info.source
        return ("nnlab %s:%d"):format(below, info.linedefined)
      end
      return nil
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
      return ("model %s %s %s %d"):format(fingerprint.code(v:layers(), memo), v:checksum(), tostring(v:training()),
                                          core.net_dropout_draws(v))
    elseif name == "nnlab.Tensor" then
      local state = core.tensor_state(v)
      return state == "fresh" and "tensor " .. core.tensor_checksum(v) or "tensor " .. state
    elseif name == "nnlab.Size" then
      return "size " .. tostring(v)
    elseif name == "nnlab.Loss" then
      local ok, value = pcall(v.item, v)
      return ok and ("loss value %a"):format(value) or "loss"
    elseif STATEFUL[name] then
      errors.raise("lab.sweep: a run function or data.Lambda closes over %s%s, whose state (%s) no cache key "
                   .. "can hold: make it inside the function (from ctx.train, ctx.test or a model made there)",
                   STATEFUL[name], where and (" (%s)"):format(where) or "", STATE_OF[name])
    end
    return tostring(name)
  end

  local texts = { resolve(root) }
  -- string methods are reached through strings ("x"):m(), not through _ENV
  if #changed_fields(string) > 0 then texts[#texts + 1] = resolve(string) end
  -- load (or loadstring, dofile) held as a value (local ld = load): any global may be read
  if reads_any_global then texts[#texts + 1] = "globals " .. encode(_G) end
  return digest(texts)
end

return fingerprint
