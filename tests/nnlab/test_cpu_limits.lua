-- The default -j is the CPUs this process may use, not the online count: its
-- affinity mask (taskset, Slurm's --cpus-per-task, a container's cpuset)
-- capped by its cgroup CPU quota (bridge/cpu_limits.c). Checked with taskset,
-- and, where this test may make cgroups (root), with a real quota.
local T = require "testlib"
local H = require "fixtures.notebook.helpers"

local proc = require("nnlab.core").proc
local dir = T.tmpdir("cpu_limits")

local have_taskset = select(2, T.run("command -v taskset")) == 0
local cpus_now = proc.cores()

-- The first CPU this test may run on ("pid N's current affinity list: 0-3,8").
local function first_cpu()
  local out = T.run("taskset -cp $$")
  return tonumber(out:match("list:%s*(%d+)"))
end

-- Runs `taskset -c LIST nnlab args...` with env; returns output and status.
local function pinned(list, args, env)
  return T.run("taskset -c " .. list .. " env " .. T.nnlab_command(args, env))
end

local script = dir .. "/cores.lua"
T.write(script, 'print(("cores=%d"):format(require("nnlab.core").proc.cores()))\n')

local why_skip = not have_taskset and "taskset is not installed (util-linux)"
  or cpus_now < 2 and "this process may use only 1 CPU: taskset cannot lower that"

local function case(name, fn)
  if why_skip then return T.skip(name, why_skip) end
  T.case(name, fn)
end

case("proc.cores() counts the CPUs of the affinity mask, not those online", function()
  local out, status = pinned(first_cpu(), { "run", script })
  T.eq(status, 0, "status\n" .. out)
  T.contains(out, "cores=1", "taskset -c N: one CPU")
  local nproc = tonumber((T.run("nproc")))
  local cores = tonumber((T.nnlab_run { "run", script }):match("cores=(%d+)"))
  T.truthy(cores and cores >= 1 and cores <= nproc, ("unpinned: %s cores, nproc %d"):format(cores, nproc))
end)

case("nnlab version says how many CPUs it will use, and why", function()
  local out, status = pinned(first_cpu(), { "version" })
  T.eq(status, 0, "version status\n" .. out)
  T.contains(out, "simd ", "the existing lines stay")
  T.truthy(out:find("\ncpus 1 %(affinity 1 of %d+ online; cgroup quota "), "version under taskset:\n" .. out)
end)

case("two CPUs of the mask give 2", function()
  local list = T.run("taskset -cp $$"):match("list:%s*(%S+)")
  -- the first two CPUs of this process's list ("0-3" or "0,2,5")
  local cpus = {}
  for a, b in list:gmatch("(%d+)%-?(%d*)") do
    for c = tonumber(a), tonumber(b ~= "" and b or a) do cpus[#cpus + 1] = c end
  end
  local out = pinned(cpus[1] .. "," .. cpus[2], { "run", script })
  T.contains(out, "cores=" .. math.min(2, cpus_now), "taskset -c A,B")
end)

case("nnlab run under taskset -c N trains 1 at a time, and the report says so", function()
  local argv = { "run", H.fixtures .. "tiny.lua", "--out", dir .. "/reports", "--set", "epochs=1",
                 "--set", "train_size=200" }
  local out, status = pinned(first_cpu(), argv, { NNLAB_CACHE = dir .. "/cache", NNLAB_OFFLINE = "1" })
  T.eq(status, 0, "status\n" .. out)
  T.contains(out, "to train (1 at a time)", "progress")
  local md = T.read(dir .. "/reports/tiny.md") or ""
  T.contains(md, "up to 1 at a time", "the report's Runs row")
end)

-- A real cgroup CPU quota: only where this test may make a cgroup and move a
-- process into it (root, with the cpu controller on v1 or enabled on v2).
local function quota_cgroup()
  local v1 = "/sys/fs/cgroup/cpu"
  if T.read(v1 .. "/cpu.cfs_quota_us") then
    return v1, function(path) T.write(path .. "/cpu.cfs_quota_us", "150000\n") end
  end
  local v2 = "/sys/fs/cgroup"
  if (T.read(v2 .. "/cgroup.subtree_control") or ""):find("%f[%w]cpu%f[%W]") then
    return v2, function(path) T.write(path .. "/cpu.max", "150000 100000\n") end
  end
end

local parent, set_quota = quota_cgroup()
local cgroup = parent and ("%s/nnlab-test-%d"):format(parent, proc.getpid())
if cgroup and not os.execute("mkdir " .. T.quote(cgroup) .. " 2>/dev/null") then cgroup = nil end
if not cgroup then
  T.skip("a cgroup quota of 1.5 CPUs caps the count at 2, through a parent cgroup",
         "cannot make a cgroup with a CPU quota here (not root, or no cpu controller)")
else
  T.case("a cgroup quota of 1.5 CPUs caps the count at 2, through a parent cgroup", function()
    local ok, err = pcall(function()
      set_quota(cgroup)
      T.truthy(os.execute("mkdir " .. T.quote(cgroup .. "/inner")), "mkdir inner")
      local out = T.run("sh -c " .. T.quote(("echo $$ >%s && exec %s"):format(
        T.quote(cgroup .. "/inner/cgroup.procs"), T.nnlab_command { "version" })))
      T.contains(out, "cgroup quota 2 from " .. cgroup .. "/", "version in the cgroup:\n" .. out)
      T.contains(out, "cpus " .. math.min(2, cpus_now) .. " (", "cpus capped by the quota:\n" .. out)
    end)
    os.execute("rmdir " .. T.quote(cgroup .. "/inner") .. " " .. T.quote(cgroup) .. " 2>/dev/null")
    if not ok then error(err, 0) end
  end)
end

T.done()
