-- nnlab.options: the one check every function with an options table makes
-- (nn, optim, data, fit, lab.sweep, lab.table, lab.chart), so that a
-- misspelt or mistyped option is an error at the user's line, never ignored.
-- A spec maps each option to its default, whose type the value must have:
--   { lr = 1e-3, nesterov = false, init = "torch", seed = options.optional "integer" }
-- An integer default wants a whole number (5.0 is taken as 5); an option
-- made with options.optional(kind) has no default, and `false` for it means
-- "not given" (so `normalize = cond and { ... }` reads as Lua code does).
-- An option PyTorch has and nnlab does not implement (label_smoothing,
-- inplace) is options.unsupported(default, why): taken only at PyTorch's
-- default, which is what nnlab does, and refused, saying so, at any other.
local errors = require "nnlab.errors"

local options = {}

local Optional = {}
Optional.__index = Optional

--- options.optional(kind) -> a spec entry with no default: the option may be
--- left out; when given it must be of `kind` ("integer", "number", "string",
--- "boolean", "table", "function", or "any").
function options.optional(kind)
  return setmetatable({ kind = kind }, Optional)
end

local Unsupported = {}

--- options.unsupported(default, why) -> a spec entry for an option of
--- PyTorch's that nnlab does not implement: left out, or given as `default`
--- (PyTorch's, which is what nnlab does), it is taken; any other value is an
--- error "where: name = value is not supported: why". With a nil default
--- every value is refused but false ("not given", as for optional ones).
function options.unsupported(default, why)
  return setmetatable({ default = default, why = why }, Unsupported)
end

-- Levenshtein distance between two strings.
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a:sub(i, i) == b:sub(j, j) and 0 or 1))
    end
    prev = cur
  end
  return prev[#b]
end

--- options.closest(name, candidates) -> the closest candidate within two
--- edits (one for names of two letters or fewer; any that differs only in
--- case), or nil. candidates: a list of names, or a set (table with names
--- as keys).
function options.closest(name, candidates)
  if type(name) ~= "string" then return nil end
  local list = {}
  if #candidates > 0 then
    table.move(candidates, 1, #candidates, 1, list)
  else
    for k in pairs(candidates) do list[#list + 1] = k end
  end
  table.sort(list, function(a, b) return tostring(a) < tostring(b) end)
  local best, best_d
  for _, candidate in ipairs(list) do
    if type(candidate) == "string" and candidate ~= name then
      local d = candidate:lower() == name:lower() and 0 or distance(name, candidate)
      local reach = math.min(#name, #candidate) <= 2 and 1 or 2 -- "lr" is not a typo of "wd"
      if d <= reach and (not best_d or d < best_d) then best, best_d = candidate, d end
    end
  end
  return best
end

--- options.suggest(name, candidates) -> " (did you mean 'x'?)" for
--- options.closest's candidate, else "".
function options.suggest(name, candidates)
  local best = options.closest(name, candidates)
  return best and (" (did you mean '%s'?)"):format(best) or ""
end

local function kind_of(v)
  return math.type(v) or type(v)
end

-- The value as the spec entry wants it (a whole float as an integer), or
-- nil and the kind it wants ("an integer").
local function conform(entry, value)
  local want = getmetatable(entry) == Optional and entry.kind or kind_of(entry)
  if want == "any" then return value end
  if want == "float" or want == "number" then
    if type(value) == "number" then return value end
    return nil, "a number"
  end
  if want == "integer" then
    local n = math.type(value) == "float" and math.tointeger(value) or value
    if math.type(n) == "integer" then return n end
    return nil, "an integer"
  end
  if type(value) == want then return value end
  return nil, "a " .. want
end

--- options.unknown(where, key, known): raises "where: unknown option 'key'
--- (did you mean ...?)" at the user's line; known is a set of names.
function options.unknown(where, key, known)
  errors.raise("%s: unknown option '%s'%s", where, tostring(key), options.suggest(key, known))
end

--- options.not_blank(where, what, text, instead): an error at the user's
--- line when text, if given, holds nothing but spaces: "WHERE: WHAT is
--- blank (INSTEAD)". A blank title would make an empty heading or caption.
function options.not_blank(where, what, text, instead)
  if text ~= nil and not text:find("%S") then errors.raise("%s: %s is blank (%s)", where, what, instead) end
end

--- options.list(where, list [, named]) -> n, after checking that list's keys
--- are exactly 1..n: a nil item (a misspelt variable reads as nil, and
--- ipairs would stop there, dropping the rest) or a named key is an error at
--- the user's line, "WHERE: item K is nil (a misspelt name?)". `named`, when
--- given, is said of a named key instead of the plain "a list holds only
--- items". A nil at the end of a constructor ({ a, typo }) leaves no trace
--- in the table, so Lua cannot tell it from { a }.
function options.list(where, list, named)
  local n = 0
  for key in pairs(list) do
    if math.type(key) ~= "integer" or key < 1 then
      errors.raise("%s holds the key %s; %s", where,
                   type(key) == "string" and ("'%s'"):format(key) or tostring(key),
                   named or "a list holds only items, { a, b, c }")
    end
    if key > n then n = key end
  end
  for i = 1, n do
    if list[i] == nil then errors.raise("%s: item %d is nil (a misspelt name?)", where, i) end
  end
  return n
end

--- options.no_more(usage, ...): an error at the user's line when any of ...
--- (the arguments past those a function takes) is given: "USAGE takes no
--- more arguments, got N more". Trailing nils do not count (an optional
--- argument a wrapper passes on as nil). optim.SGD(params, { lr = 0.1 }, 5)
--- would otherwise read as optim.SGD(params, { lr = 0.1 }) without a word.
function options.no_more(usage, ...)
  for i = select("#", ...), 1, -1 do
    if select(i, ...) ~= nil then errors.raise("%s takes no more arguments, got %d more", usage, i) end
  end
end

--- options.check(where, opts, spec) -> a new table: spec's defaults with the
--- user's opts (nil means {}) over them, after checking that opts is a table
--- whose every key is in spec and whose every value has its default's type
--- (false for an optional non-boolean option counts as not given), and that
--- every unsupported option is left out or at its default.
function options.check(where, opts, spec)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then errors.raise("%s: options must be a table, got %s", where, errors.value(opts)) end
  local out = {}
  for k, entry in pairs(spec) do
    local mt = getmetatable(entry)
    if mt == Unsupported then out[k] = entry.default
    elseif mt ~= Optional then out[k] = entry end
  end
  for k, v in pairs(opts) do
    local entry = spec[k]
    if entry == nil and math.type(k) == "integer" then -- { 0.5, 0.25 } where { mean = 0.5, std = 0.25 } was meant
      local names = {}
      for name in pairs(spec) do names[#names + 1] = tostring(name) end
      table.sort(names)
      errors.raise("%s: takes named options, { %s = ... }, not a list (a value at position %d)", where,
                   table.concat(names, " = ..., "), k)
    end
    if entry == nil then options.unknown(where, k, spec) end
    if getmetatable(entry) == Unsupported then
      if not (v == entry.default or (entry.default == nil and v == false)) then
        errors.raise("%s: %s = %s is not supported: %s", where, k, errors.value(v), entry.why)
      end
    elseif not (v == false and getmetatable(entry) == Optional and entry.kind ~= "boolean") then
      local value, wanted = conform(entry, v)
      if value == nil then
        errors.raise("%s: option '%s' must be %s, got %s", where, k, wanted, errors.value(v))
      end
      out[k] = value
    end
  end
  return out
end

return options
