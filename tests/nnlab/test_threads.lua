-- Threads inside one run (README, "Threads"): --threads N, NNLAB_THREADS and
-- nnlab.set_num_threads(n) take effect, in that order of precedence over the
-- default (every CPU this process may use; CPUs / J in each of J sweep
-- workers); bad values (0, -1, abc, more than 256) are refused with one line
-- that names where they came from; training gives the same bits on 1, 2 and
-- 3 threads. And NNLAB_SIMD: a misspelt value, or a path this CPU lacks, is
-- refused the same way, whatever the command.
local T = require "testlib"

local proc = require("nnlab.core").proc
local dir = T.tmpdir("threads")
local cores = math.min(proc.cores(), 256)

local show = dir .. "/show.lua"
T.write(show, 'print(("threads=%d"):format(require("nnlab").get_num_threads()))\n')

-- The thread count `nnlab run show.lua` reports with args and env.
local function threads_of(args, env)
  local out, status = T.nnlab_run({ "run", show, table.unpack(args) }, env)
  T.eq(status, 0, "run status\n" .. out)
  return tonumber(out:match("threads=(%d+)")), out
end

-- A refused command: status 1, and its whole output is one line with `needle`.
local function refused(args, env, needle)
  local out, status = T.nnlab_run(args, env)
  T.eq(status, 1, table.concat(args, " ") .. " is refused\n" .. out)
  T.contains(out, needle, "the message")
  T.eq(select(2, out:gsub("\n", "")), 1, "one line:\n" .. out)
end

T.case("the default is every CPU; --threads, NNLAB_THREADS and the order between them", function()
  T.eq(threads_of {}, cores, "default")
  T.eq(threads_of { "--threads", "3" }, 3, "--threads 3")
  T.eq(threads_of { "--threads=2" }, 2, "--threads=2")
  T.eq(threads_of({}, { NNLAB_THREADS = "3" }), 3, "NNLAB_THREADS")
  T.eq(threads_of({ "--threads", "1" }, { NNLAB_THREADS = "3" }), 1, "--threads wins over NNLAB_THREADS")
  T.eq(threads_of({}, { NNLAB_THREADS = "" }), cores, "an empty NNLAB_THREADS is unset")
  T.contains(T.nnlab_run({ "version" }, { NNLAB_THREADS = "3" }), "threads 3 (NNLAB_THREADS)", "nnlab version")
end)

T.case("bad thread counts are refused with one line naming their source", function()
  for _, bad in ipairs { "0", "-1", "abc", "257", "2.5" } do
    refused({ "run", show, "--threads", bad }, nil,
            ("nnlab: --threads needs a whole number of threads from 1 to 256, got '%s'"):format(bad))
  end
  for _, bad in ipairs { "0", "abc", "1000" } do
    refused({ "run", show }, { NNLAB_THREADS = bad },
            ("nnlab: NNLAB_THREADS needs a whole number of threads from 1 to 256, got '%s'"):format(bad))
  end
  refused({ "version" }, { NNLAB_THREADS = "-1" }, "NNLAB_THREADS needs a whole number") -- whatever the command
  refused({ "plan", show, "--threads", "2" }, nil, "--threads is an option of nnlab run, not of nnlab plan")
end)

T.case("nnlab.set_num_threads takes effect; bad counts raise at the user's line", function()
  local script = T.marked_script(dir, "set", [[
local lab = require "nnlab"
lab.set_num_threads(3)
print(("threads=%d"):format(lab.get_num_threads()))
for _, bad in ipairs { 0, -1, "abc", 257, 2.5 } do
  local ok, err = pcall(lab.set_num_threads, bad)
  print(("refused=%s %s"):format(tostring(not ok), err))
end
print(("still=%d"):format(lab.get_num_threads()))
]])
  local out, status = T.nnlab_run { "run", script, "--threads", "1" }
  T.eq(status, 0, "status\n" .. out)
  T.contains(out, "threads=3", "set_num_threads(3) over --threads 1")
  T.eq(select(2, out:gsub("refused=true [^\n]*nnlab.set_num_threads needs a whole number of threads from 1 to 256",
                          "")), 5, "every bad count refused:\n" .. out)
  T.contains(out, "set.lua:5: nnlab.set_num_threads needs", "the message names the user's line")
  T.contains(out, "still=3", "a refused count changes nothing")
end)

-- A sweep of 2 runs whose run function records the thread count its worker has.
local sweep = dir .. "/sweep.lua"
local seen_file = dir .. "/seen.txt"
T.write(sweep, ([[
local lab = require "nnlab"
local want = lab.param("want", 0)
if want > 0 then lab.set_num_threads(want) end
local ds = lab.data.generate(40, function(i, rng) return { rng:random(), rng:random() }, (i - 1) %% 2 end,
                             { seed = 1, classes = 2 })
lab.sweep { name = "seen", vary = { k = { 1, 2 } }, seeds = 1, epochs = 1, train = ds, test = ds,
  run = function(p, ctx)
    local f = assert(io.open(%q, "a"))
    f:write(("threads=%%d\n"):format(lab.get_num_threads()))
    f:close()
    return { { epoch = 1, train_loss = 1, train_acc = 50, test_loss = 1, test_acc = 50 } }
  end }
]]):format(seen_file))

-- The thread counts the sweep's workers had, sorted, e.g. "1 1".
local function worker_threads(args, env)
  os.remove(seen_file)
  local all = { "run", sweep, "--force", "--quiet", "--out", dir .. "/reports" }
  table.move(args, 1, #args, #all + 1, all)
  local out, status = T.nnlab_run(all, env)
  T.eq(status, 0, "sweep status\n" .. out)
  local seen = {}
  for n in (T.read(seen_file) or ""):gmatch("threads=(%d+)") do seen[#seen + 1] = tonumber(n) end
  table.sort(seen)
  return table.concat(seen, " ")
end

T.case("sweep workers share the cores (CPUs / J each) unless a count was given", function()
  local env = { NNLAB_CACHE = dir .. "/cache" }
  local half = math.max(1, cores // 2)
  T.eq(worker_threads({ "-j", "2" }, env), ("%d %d"):format(half, half), "-j 2: CPUs / 2 each")
  T.eq(worker_threads({ "-j", "1" }, env), ("%d %d"):format(cores, cores), "-j 1: every CPU")
  T.eq(worker_threads({ "-j", "2", "--threads", "3" }, env), "3 3", "--threads kept in workers")
  T.eq(worker_threads({ "-j", "2" }, { NNLAB_CACHE = env.NNLAB_CACHE, NNLAB_THREADS = "2" }), "2 2",
       "NNLAB_THREADS kept in workers")
  T.eq(worker_threads({ "-j", "2", "--set", "want=3" }, env), "3 3", "set_num_threads kept in workers")
end)

T.case("training gives the same bits on 1, 2 and 3 threads", function()
  local script = dir .. "/train.lua"
  T.write(script, [[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local ds = data.generate(300, function(i, rng)
  local x = {}
  for j = 1, 97 do x[j] = rng:random() end
  return x, (i - 1) % 7
end, { seed = 3, classes = 7 })
local model = nn.Sequential({ nn.Linear(97, 300), nn.Tanh(), nn.Dropout(0.2), nn.Linear(300, 61), nn.ReLU(),
                              nn.Linear(61, 7) }, { seed = 5 })
local h = lab.fit { model = model, loss = nn.CrossEntropyLoss(), epochs = 2,
                    optimizer = optim.Adam(model:parameters(), { lr = 1e-3 }),
                    train = data.DataLoader(ds, { batch_size = 60, shuffle = true, seed = 1 }) }
local sum = 0
for _, p in ipairs(model:parameters()) do sum = sum + p:data():sum():item() end
print(("loss=%.17g sum=%.17g threads=%d"):format(h[#h].train_loss, sum, lab.get_num_threads()))
]])
  local first
  for threads = 1, 3 do
    local out, status = T.nnlab_run { "run", script, "--threads", tostring(threads) }
    T.eq(status, 0, "status\n" .. out)
    local result = out:match("loss=%S+ sum=%S+")
    T.truthy(result, "a result\n" .. out)
    T.contains(out, "threads=" .. threads, "the count in force")
    first = first or result
    T.eq(result, first, ("%d threads: the same bits as 1"):format(threads))
  end
end)

T.case("NNLAB_SIMD: a misspelt value or a path this CPU lacks is refused, whatever the command", function()
  refused({ "version" }, { NNLAB_SIMD = "avx3" },
          "nnlab: NNLAB_SIMD=avx3: unknown SIMD path (expected scalar, avx2 or avx512")
  refused({ "run", show }, { NNLAB_SIMD = "Scalar" }, "nnlab: NNLAB_SIMD=Scalar: unknown SIMD path")
  local cpuinfo = T.read("/proc/cpuinfo") or ""
  if not cpuinfo:find("%savx512f%s") then
    refused({ "run", show }, { NNLAB_SIMD = "avx512" }, "nnlab: NNLAB_SIMD=avx512: this CPU lacks AVX-512F")
  else -- the AVX-512 kernels run here (the OS state is checked in test_kernels_env.c)
    T.contains(T.nnlab_run({ "version" }, { NNLAB_SIMD = "avx512" }), "simd avx512", "avx512 is honoured")
  end
  T.contains(T.nnlab_run({ "version" }, { NNLAB_SIMD = "scalar" }), "simd scalar", "scalar is honoured")
end)

T.done()
