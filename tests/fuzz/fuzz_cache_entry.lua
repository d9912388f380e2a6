-- Fuzz target script (see fuzz_lua.h, fuzz_cache_entry.c): the bytes of a
-- cache entry file through the cache's reader (nnlab.cache.decode_entry, on
-- nnlab.serialize.decode) and the sweep's check of a result, as cache:get
-- runs them. Properties: reading never raises and never runs anything; a
-- refused entry comes with a one-line reason; an accepted entry encodes to
-- canonical text that reads back to the same text (the cache's key check
-- compares such texts).
local cache = require "nnlab.notebook.cache"
local serialize = require "nnlab.notebook.serialize"
local sweep = require "nnlab.notebook.sweep"

return function(bytes)
  local entry, why = cache.decode_entry(bytes, "entry.lua")
  if not entry then
    assert(type(why) == "string" and why ~= "", "a refused entry says why")
    assert(not why:find("\n"), "the reason is one line: " .. why)
    return
  end
  local ok, problem = sweep.check_result(entry.result)
  assert(ok == true or type(problem) == "string", "check_result answers true or a reason")
  local text = serialize.encode(entry)
  local again, err = serialize.decode("return " .. text, "re-encoded")
  assert(again, err)
  assert(serialize.encode(again) == text, "canonical text reads back to itself")
end
