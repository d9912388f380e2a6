-- nnlab.splitmix: SplitMix64 in Lua 5.4 integers (which wrap modulo 2^64, as
-- the algorithm needs): a small generator whose numbers are the same on every
-- machine. data.rng (data.generate) and the notebook's Monte Carlo tests use it.

--- splitmix(seed) -> a function that returns the next 64-bit integer.
return function(seed)
  local state = math.tointeger(seed) or 0
  return function()
    state = state + 0x9e3779b97f4a7c15
    local z = state
    z = (z ~ (z >> 30)) * 0xbf58476d1ce4e5b9
    z = (z ~ (z >> 27)) * 0x94d049bb133111eb
    return z ~ (z >> 31)
  end
end
