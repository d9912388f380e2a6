-- nnlab.notebook.hash: 64-bit FNV-1a in Lua 5.4 integer arithmetic (which wraps
-- modulo 2^64, exactly what FNV needs), for cache keys and fingerprints.
-- Not cryptographic: it tells versions apart, it does not resist forgery
-- (cache entries repeat their whole key and are checked against it).
local hash = {}

local OFFSET, PRIME = -3750763034362895579, 1099511628211 -- 0xcbf29ce484222325, 0x100000001b3

--- FNV-1a of the bytes of s, continuing from h (a previous result) if given.
function hash.fnv1a64(s, h)
  h = h or OFFSET
  for i = 1, #s, 4096 do
    local bytes = { s:byte(i, i + 4095) }
    for j = 1, #bytes do h = (h ~ bytes[j]) * PRIME end
  end
  return h
end

--- A hash as 16 lowercase hex digits.
function hash.hex(h)
  return ("%016x"):format(h)
end

return hash
