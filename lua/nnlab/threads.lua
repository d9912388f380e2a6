-- nnlab.threads: how many threads one run's kernels use (the engine's pool,
-- engine/nn_threads.h), and where that number comes from. In order:
--   1. nnlab.set_num_threads(n) in the experiment, or --threads N on the
--      command line (nnlab run / watch): explicit, kept everywhere;
--   2. NNLAB_THREADS=N in the environment: explicit too;
--   3. the default: every CPU this process may use (core.proc.cores(): its
--      affinity mask capped by its cgroup quota) for training in the nnlab
--      process itself, and cores / J (rounded down, at least 1) in each of the
--      J workers a sweep runs at once, so the machine is never oversubscribed.
-- The count never changes a result: the engine splits work so that every
-- output is computed the same way whatever the count.
local core = require "nnlab.core"
local shown = require("nnlab.errors").shown

local threads = { MAX = 256 }

-- Where the count was set explicitly ("--threads", "NNLAB_THREADS",
-- "nnlab.set_num_threads"); nil while it is the default.
local explicit = nil
local configured = false

--- threads.parse(value, source) -> n, or nil and a message naming source
--- ("--threads", "NNLAB_THREADS") and the value: a whole number 1..256.
function threads.parse(value, source)
  local n = math.tointeger(tonumber(value))
  if type(value) == "string" and not value:match("^%s*%d+%s*$") then n = nil end
  if not n or n < 1 or n > threads.MAX then
    local shown_value = type(value) == "string" and ("'%s'"):format(shown(value)) or tostring(value)
    return nil, ("%s needs a whole number of threads from 1 to %d, got %s"):format(source, threads.MAX, shown_value)
  end
  return n
end

--- threads.set(n, source): sets the count (explicitly, from `source`).
--- Raises the parse message on a bad n.
function threads.set(n, source)
  local count, err = threads.parse(n, source)
  if not count then error(err, 0) end
  core.set_num_threads(count)
  explicit, configured = source, true
end

--- The count in force.
function threads.get() return core.get_num_threads() end

--- The source that set the count explicitly, or nil for the default.
function threads.source() return explicit end

--- threads.configure(flag) at start: flag (the --threads value, or nil),
--- else NNLAB_THREADS, else every core. Returns true, or nil and a message.
--- Once configured, later calls without a flag change nothing.
function threads.configure(flag)
  if flag == nil and configured then return true end
  local value, source = flag, "--threads"
  if value == nil then value, source = os.getenv("NNLAB_THREADS"), "NNLAB_THREADS" end
  if value ~= nil and value ~= "" then
    local n, err = threads.parse(value, source)
    if not n then return nil, err end
    core.set_num_threads(n)
    explicit = source
  else
    core.set_num_threads(math.min(core.proc.cores(), threads.MAX))
    explicit = nil
  end
  configured = true
  return true
end

--- In a sweep worker, one of `parallel` running at once: unless the count was
--- set explicitly, cores / parallel (at least 1).
function threads.for_worker(parallel)
  if explicit then return end
  core.set_num_threads(math.max(1, math.min(core.proc.cores() // math.max(parallel, 1), threads.MAX)))
end

return threads
