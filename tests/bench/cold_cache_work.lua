-- tests/bench/cold_cache_work.lua: the compute a set of cached runs cost when
-- they were trained, read from their cache entries (each epoch's `seconds` of
-- training and `eval_seconds` of measuring). Divided by the cores, it is the
-- shortest wall time any scheduling could have given those runs.
--   lua5.4 tests/bench/cold_cache_work.lua CACHE_DIR [CORES]
local dir, cores = arg[1], tonumber(arg[2] or "2")
if not dir then io.stderr:write("usage: lua5.4 cold_cache_work.lua CACHE_DIR [CORES]\n") os.exit(2) end
local train, eval, runs = 0, 0, 0
local list = assert(io.popen("ls " .. ("%q"):format(dir) .. " | grep '\\.lua$'"))
for name in list:lines() do
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local entry = assert(load(f:read("a"), name, "t", {}))() -- text only, no globals
  f:close()
  runs = runs + 1
  for _, epoch in ipairs(entry.result and entry.result.history or {}) do
    train = train + (epoch.seconds or 0)
    eval = eval + (epoch.eval_seconds or 0)
  end
end
list:close()
print(("%d runs: training %.1f s, measuring %.1f s, in all %.1f s of one core; over %d cores at least %.1f s wall")
  :format(runs, train, eval, train + eval, cores, (train + eval) / cores))
