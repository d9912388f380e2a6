-- nnlab.hash: 64-bit FNV-1a in Lua 5.4 integer arithmetic (which wraps
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

--- A fingerprint of an array of numbers taken as 32-bit floats (a model's
--- parameters): FNV-1a's step over 8 bytes at a time, with a shift that
--- carries high bits down; fast enough for a million values.
function hash.floats(values)
  local h = OFFSET
  local n = #values
  for i = 1, n, 2048 do
    local last = math.min(i + 2047, n)
    local packed = string.pack(("<" .. ("f"):rep(last - i + 1)), table.unpack(values, i, last))
    if #packed % 8 ~= 0 then packed = packed .. "\0\0\0\0" end
    local words = { string.unpack(("<" .. ("i8"):rep(#packed // 8)), packed) }
    for j = 1, #words - 1 do
      h = (h ~ words[j]) * PRIME
      h = h ~ (h >> 32)
    end
  end
  return h
end

--- A hash as 16 lowercase hex digits.
function hash.hex(h)
  return ("%016x"):format(h)
end

return hash
