-- nnlab.notebook.hash: 64-bit FNV-1a (0xcbf29ce484222325, 0x100000001b3), as
-- signed Lua integers that wrap modulo 2^64, for cache keys and fingerprints.
-- Not cryptographic: it tells versions apart, it does not resist forgery
-- (cache entries repeat their whole key and are checked against it).
local hash = {}

local codec = require("nnlab.core").codec

--- FNV-1a of the bytes of s, continuing from h (a previous result) if given.
--- (In C, for speed: core.codec.fnv1a64, bridge/lua_codec.c.)
hash.fnv1a64 = codec.fnv1a64

--- A hash as 16 lowercase hex digits.
function hash.hex(h)
  return ("%016x"):format(h)
end

return hash
