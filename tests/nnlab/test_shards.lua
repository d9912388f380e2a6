-- Sweeps split over shards (README, "Sweeps beyond one machine"): `nnlab
-- plan`, `nnlab run --shard I/N [--plan HASH]`, `--no-train`, `--cache`, the
-- default cache folder and a cache path through a file. Shards meet only in
-- the cache folder; the assembled report equals, byte for byte, that of one
-- machine.
local T = require "testlib"

local dir = T.tmpdir("shards")
local data = require("fixtures.bad.inputs").write_dataset(dir .. "/data") -- 4x4 images: runs take milliseconds

-- Six runs in the plan (3 variations × 2 seeds) and one more chosen from
-- their results (the best width, doubled, + 1), which no plan can know.
local script = dir .. "/grid.lua"
T.write(script, ([[
local lab = require "nnlab"
local nn, optim = lab.nn, lab.optim
local epochs = lab.param("epochs", 3)
local top = lab.param("top", 12)
-- while the file `hold` exists, the runs of hidden=4 (trained last: longest
-- first) wait in their first batch, so that a case can stop a shard midway
-- (for 120 s at most: a worker the case failed to stop ends on its own)
local hold = lab.param("hold", "")
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local function sweep(name, widths, seeds)
  return lab.sweep { name = name, vary = { hidden = widths }, seeds = seeds, epochs = epochs, batch_size = 10,
    train = train, test = test,
    transform = function(p)
      if hold == "" or p.hidden ~= 4 then return nil end
      return { lab.data.Lambda(function()
        local since = os.time()
        while io.open(hold) and os.time() - since < 120 do os.execute("sleep 0.05") end
      end) }
    end,
    model = function(p) return nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) } end,
    optimizer = function(_, params) return optim.SGD(params, { lr = 0.1 }) end,
  }
end
local runs = sweep("width", { 4, 8, top }, 2)
lab.table(runs)
local best = runs:best "test_acc"
lab.table(sweep("wider", { best.params.hidden * 2 + 1 }, 1))
]]):format(data, data))

local function nnlab(args, env, before)
  return T.nnlab_run(args, env, before)
end
local function entries(cache)
  return tonumber(T.run("ls " .. T.quote(cache) .. " 2>/dev/null | grep -c '^[0-9a-f]*\\.lua$' || true"):match("%d+"))
end
local function leftovers(cache)
  -- entries and the files kept beside them (HASH.pred, HASH.model) are not left over
  return T.run("ls -A " .. T.quote(cache) .. " | grep -v '^[0-9a-f]*\\.[a-z]*$' || true")
end
local function one_line(text) return (text:gsub("\n+$", "")) end
-- What `nnlab args` prints on stdout alone (--count and --hash are read as
-- values; their notes go to stderr), and its exit status.
local function stdout_of(args)
  return T.run("(" .. T.nnlab_command(args) .. " 2>/dev/null)")
end

local hash
T.case("nnlab plan lists every run with its key; --count, --hash and --json", function()
  local cache = dir .. "/plan-cache"
  local out, status = nnlab({ "plan", script, "--cache", cache })
  T.eq(status, 0, out)
  T.contains(out, "6 runs, 0 cached, 6 to train", "the summary line\n" .. out)
  T.contains(out, "1 more run depends on the results of others", "the run chosen from results is counted\n" .. out)
  local rows = 0
  for line in out:gmatch("[^\n]+") do
    if line:match("^%s+%d+%s+width%s+hidden=%d+%s+[12]%s+%x+%s+no$") then rows = rows + 1 end
  end
  T.eq(rows, 6, "one row per run\n" .. out)
  local count = stdout_of({ "plan", script, "--cache", cache, "--count" })
  T.eq(count, "6\n", "--count")
  T.contains(nnlab({ "plan", script, "--cache", cache, "--count" }), "nnlab: note: 1 more run depends on the results of others",
             "and, on stderr, what the count leaves out: the run chosen from results")
  hash = stdout_of({ "plan", script, "--cache", cache, "--hash" })
  T.truthy(hash:match("^%x+\n$"), "--hash prints one hex line: " .. hash)
  hash = hash:gsub("\n", "")
  local json = nnlab({ "plan", script, "--cache", cache, "--json", "--shards", "3" })
  T.contains(json, ('"hash": "%s"'):format(hash), "--json holds the hash")
  T.contains(json, '"to_train": 6', "--json holds the count")
  local shards = {}
  for s in json:gmatch('"shard": (%d)') do shards[#shards + 1] = s end
  T.eq(#shards, 6, "--shards gives every run its shard")
  local other = stdout_of({ "plan", script, "--cache", cache, "--hash", "--set", "top=16" })
  T.truthy(other:gsub("\n", "") ~= hash, "another --set, another plan")
  T.eq(entries(cache) or 0, 0, "planning trains nothing")
end)

-- An experiment that prints (a `print`, io.write, a command it runs) had
-- its words on stdout before the count or hash: `hash=$(nnlab plan ...)`
-- read them, and every shard refused the "hash".
T.case("what the experiment prints while planned goes to stderr: stdout holds only the count, hash or JSON", function()
  local noisy = dir .. "/noisy.lua"
  T.write(noisy, 'print("loading my data...") io.write("io.write\\n") os.execute("echo from a command")\n'
          .. T.read(script) .. '\nio.write("done\\n")\n')
  local cache = dir .. "/plan-cache"
  T.eq(stdout_of({ "plan", noisy, "--cache", cache, "--count" }), "6\n", "--count")
  T.eq(stdout_of({ "plan", noisy, "--cache", cache, "--hash" }), hash .. "\n", "--hash: the plan's hash alone")
  local json = stdout_of({ "plan", noisy, "--cache", cache, "--json" })
  T.truthy(json:match("^{") and json:match("}\n$"), "--json: the JSON alone\n" .. json)
  local both = nnlab({ "plan", noisy, "--cache", cache, "--count" })
  T.contains(both, "loading my data...\n", "the file's words are on stderr")
  T.contains(both, "from a command\n", "and a command's")
  -- a file that sets its own default output (io.output) had taken the count into its log
  local logging = dir .. "/logging.lua"
  T.write(logging, ("io.output(%q)\n"):format(dir .. "/logging.log") .. T.read(script))
  T.eq(stdout_of({ "plan", logging, "--cache", cache, "--count" }), "6\n", "--count after io.output")
end)

-- The same sweep on one machine, for comparison.
local reference_csv
-- submit.sh sizes its job array from the plan's own list of the shards
-- with runs left to train: a run's parameters (printed in the same JSON)
-- may hold a "shard" or "cached" of their own.
T.case("plan --json --shards N lists the shards with runs left to train", function()
  local out, status = nnlab({ "plan", script, "--cache", dir .. "/list-cache", "--json", "--shards", "4" })
  T.eq(status, 0, out)
  T.contains(out, '"shards_to_train": [0,1,2,3]', "every shard holds a run of the six")
  out = nnlab({ "plan", script, "--cache", dir .. "/list-cache", "--json" })
  T.eq(out:find("shards_to_train", 1, true), nil, "only with --shards")
end)

T.case("set-up: the sweep on one machine", function()
  local out, status = nnlab({ "run", script, "--cache", dir .. "/one-cache", "--out", dir .. "/one", "--quiet" })
  T.eq(status, 0, out)
  T.contains(out, "7 runs, 7 trained", "all trained here\n" .. out)
  reference_csv = T.read(dir .. "/one/grid/results.csv")
  T.truthy(reference_csv, "results.csv written")
end)

local cache = dir .. "/shared-cache"
T.case("three shards train the plan between them; the assembling run trains only the run chosen from results", function()
  local trained = 0
  for i = 0, 2 do
    local out, status = nnlab({ "run", script, "--shard", i .. "/3", "--plan", hash, "--cache", cache, "-j", "1",
                                "--quiet" })
    T.eq(status, 0, out)
    local mine, done, cached = out:match(": (%d+) of the plan's 6 runs are this shard's: (%d+) trained, (%d+) already")
    T.truthy(mine, "a summary line\n" .. out)
    T.eq(tonumber(cached), 0, "nothing was cached yet\n" .. out)
    T.eq(tonumber(mine), 2, "the cost split gives each of 3 shards 2 of 6 equal-cost runs\n" .. out)
    trained = trained + tonumber(done)
    T.truthy(not T.read(dir .. "/reports/grid.md"), "a shard writes no report")
  end
  T.eq(trained, 6, "the shards trained the plan once")
  T.eq(entries(cache), 6, "six entries")
  T.eq(stdout_of({ "plan", script, "--cache", cache, "--count" }), "0\n", "nothing left in the plan")
  local out, status = nnlab({ "run", script, "--cache", cache, "--out", dir .. "/assembled", "--no-train", "--quiet" })
  T.eq(status, 1, "--no-train refuses the missing run\n" .. out)
  T.contains(out, "lab.sweep 'wider': 1 of 1 runs are not in the cache", "names the sweep and the count")
  T.contains(out, "--no-train forbids training them: hidden=", "lists what is missing")
  local wider_line = 0
  for line in T.read(script):gmatch("[^\n]*\n") do
    wider_line = wider_line + 1
    if line:find('sweep("wider"', 1, true) then break end
  end
  T.contains(out:match("^[^\n]*"), ("grid.lua:%d: lab.sweep 'wider'"):format(wider_line),
             "at the user's line, on the first line\n" .. out)
  out, status = nnlab({ "run", script, "--cache", cache, "--out", dir .. "/assembled", "--quiet" })
  T.eq(status, 0, out)
  T.contains(out, "7 runs, 1 trained, 6 from cache", "only the run chosen from results trains\n" .. out)
  T.eq(T.read(dir .. "/assembled/grid/results.csv"), reference_csv, "results.csv equals one machine's, byte for byte")
  out, status = nnlab({ "run", script, "--cache", cache, "--out", dir .. "/assembled", "--no-train", "--quiet" })
  T.eq(status, 0, "--no-train on a complete cache\n" .. out)
  T.contains(out, "7 runs, 0 trained, 7 from cache", "assembled from the cache alone")
end)

T.case("a shard whose plan differs from --plan (another --set) is refused and trains nothing", function()
  local before = entries(cache)
  local out, status = nnlab({ "run", script, "--shard", "0/3", "--plan", hash, "--set", "top=16", "--cache", cache,
                              "--quiet" })
  T.eq(status, 1, out)
  T.contains(out, ("not %s (--plan)"):format(hash), "names both plans")
  T.contains(out, "nothing was trained", "says nothing trained")
  T.eq(entries(cache), before, "no entry written")
end)

T.case("a --set key the file never declares fails the plan and the shard, as it fails the run", function()
  local before = entries(cache)
  for _, args in ipairs { { "plan", script, "--hash" }, { "plan", script }, { "run", script, "--shard", "0/3", "--quiet" } } do
    table.move({ "--set", "widht=3", "--cache", cache }, 1, 4, #args + 1, args)
    local out, status = nnlab(args)
    T.eq(status, 1, table.concat(args, " ") .. "\n" .. out)
    T.contains(out, "nnlab: --set widht=3: no lab.param or vary axis named 'widht' is declared in", "names the key")
    T.truthy(not out:find("planning stopped early", 1, true), "not a planning stop\n" .. out)
  end
  T.eq(entries(cache), before, "no entry written")
end)

T.case("a bad --shard or --plan is a one-line error", function()
  for _, bad in ipairs { "3/3", "-1/3", "1", "a/b", "0/0", "1/2/3", "", "0/100001" } do
    local out, status = nnlab({ "run", script, "--shard", bad, "--cache", cache })
    T.eq(status, 1, "--shard " .. bad .. "\n" .. out)
    T.truthy(out:match("^nnlab: [^\n]*%-%-shard[^\n]*\n$"), "one line naming --shard for '" .. bad .. "': " .. out)
  end
  local out, status = nnlab({ "run", script, "--plan", hash, "--cache", cache })
  T.eq(status, 1, out)
  T.contains(out, "--plan goes with --shard", "--plan alone")
  out, status = nnlab({ "run", script, "--shard", "0/2", "--plan", "not-a-hash", "--cache", cache })
  T.eq(status, 1, out)
  T.contains(one_line(out), "--plan needs the hash", "a malformed hash")
  out, status = nnlab({ "plan", script, "--shard", "0/2" })
  T.eq(status, 1, out)
  T.contains(out, "--shard is an option of nnlab run, not of nnlab plan", "plan refuses run's options")
end)

T.case("two shards racing on the same keys both succeed and leave whole entries", function()
  local race = dir .. "/race-cache"
  local env = {}
  local a = T.spawn("shard_race_a", { "run", script, "--shard", "0/1", "--cache", race, "-j", "1", "--quiet" }, env)
  local b = T.spawn("shard_race_b", { "run", script, "--shard", "0/1", "--cache", race, "-j", "1", "--quiet" }, env)
  local code_a, log_a = T.wait_exit(a, 120)
  local code_b, log_b = T.wait_exit(b, 120)
  T.eq(code_a, 0, log_a)
  T.eq(code_b, 0, log_b)
  T.eq(entries(race), 6, "six entries")
  T.eq(leftovers(race), "", "no temporary file left")
  local out, status = nnlab({ "run", script, "--cache", race, "--out", dir .. "/race", "--quiet" })
  T.eq(status, 0, out)
  T.truthy(not out:find("damaged", 1, true), "every entry reads back whole\n" .. out)
  T.eq(T.read(dir .. "/race/grid/results.csv"), reference_csv, "and gives one machine's results")
end)

-- Runs body(job) with `hold` in place for the shard spawned with args;
-- whatever happens in it, the hold is removed and the shard's process group
-- killed before the case goes on (or fails).
local function held_shard(name, hold, args, body)
  T.write(hold, "")
  local job = T.spawn(name, args, {})
  local ok, err = pcall(body, job)
  os.remove(hold)
  if not ok then
    T.run("kill -KILL -" .. job.pid .. " 2>/dev/null")
    error(err, 0)
  end
end

T.case("a killed shard keeps its finished runs; run again, it trains only the rest", function()
  local killed, hold = dir .. "/killed-cache", dir .. "/killed-hold"
  local args = { "run", script, "--shard", "0/1", "--cache", killed, "-j", "1", "--quiet", "--set", "hold=" .. hold }
  held_shard("shard_killed", hold, args, function(job)
    -- the 4 runs of hidden 12 and 8 finish; those of hidden 4 wait for `hold` to go
    T.wait_until("four runs are cached", function() return (entries(killed) or 0) >= 4 end, 120)
    T.run("kill -KILL -" .. job.pid)
    T.wait_exit(job, 30)
  end)
  local kept = entries(killed)
  T.eq(kept, 4, "killed midway: of 6, cached")
  local out, status = nnlab(args)
  T.eq(status, 0, out)
  T.contains(out, ("6 of the plan's 6 runs are this shard's: %d trained, %d already cached"):format(6 - kept, kept),
             "only the rest trains")
  T.truthy(not out:find("damaged", 1, true), "the runs finished before the kill read back whole\n" .. out)
  T.eq(entries(killed), 6, "all six cached")
end)

-- A shard writes no report: its interruption said "the previous report is
-- kept", which no shard has.
T.case("a SIGTERM stops a shard, saying its finished runs stay cached", function()
  local stopped, hold = dir .. "/stopped-cache", dir .. "/stopped-hold"
  local code, log
  held_shard("shard_stopped", hold, { "run", script, "--shard", "0/1", "--cache", stopped, "-j", "1", "--quiet",
                                      "--set", "hold=" .. hold }, function(job)
    T.wait_until("four runs are cached", function() return (entries(stopped) or 0) >= 4 end, 120)
    T.run("kill -TERM " .. job.pid)
    code, log = T.wait_exit(job, 30)
  end)
  T.eq(code, 143, "stopped by SIGTERM\n" .. log)
  T.contains(log, "nnlab: interrupted by SIGTERM: stopped; the shard's finished runs stay cached (run the shard again "
             .. "to resume)", "says what a shard keeps")
  T.eq(log:find("report", 1, true), nil, "no report to speak of\n" .. log)
end)

-- The shard's training pass must retrace pass 1: training wrote the real
-- results into its jobs, and a later sweep that both planning passes
-- planned (made-up accuracies are drawn from 10-100 %, never exactly 42)
-- but the real result skips was then never met: the shard failed, blaming
-- the file. And where the passes part (made-up accuracies are antithetic:
-- one pass reads above 55, the other below), a --set key declared in one
-- branch only failed the shard at its end, after it had trained.
T.case("a shard's training pass follows pass 1's made-up results, not the runs it trained", function()
  local function experiment(branch)
    return ([[
local lab = require "nnlab"
local data = lab.data
local ds = data.generate(40, function(i, rng) return { rng:random(), rng:random() }, (i - 1) %% 2 end,
                         { seed = 1, classes = 2 })
local train, test = ds:split(30, { seed = 1 })
local function score() return { { train_loss = 1, train_acc = 50, test_acc = 42 } } end
local a = lab.sweep { name = "a", vary = { hidden = { 4 } }, epochs = 1, seeds = 1, train = train, test = test,
                      run = score }
lab.table(a)
if a:best("test_acc").mean ~= 42 then
  lab.table(lab.sweep { name = "b", vary = { hidden = { 5, 6 } }, epochs = 1, seeds = 1, train = train, test = test,
                        run = score })
end
if a:best("test_acc").mean %s 55 then print("extra " .. lab.param("extra", 1)) end
]]):format(branch)
  end
  for i, branch in ipairs { ">", "<" } do
    local path = ("%s/follows%d.lua"):format(dir, i)
    T.write(path, experiment(branch))
    local out, status = nnlab({ "run", path, "--shard", "0/1", "--cache", ("%s/follows-cache-a%d"):format(dir, i),
                                "--quiet" })
    T.eq(status, 0, "every planned run trained\n" .. out)
    T.contains(out, "3 of the plan's 3 runs are this shard's: 3 trained", out)
    -- --set extra: declared in one planning pass's branch only (which one, the keys' hashes decide)
    out, status = nnlab({ "run", path, "--shard", "0/1", "--cache", ("%s/follows-cache-%d"):format(dir, i), "--quiet",
                          "--set", "extra=2" })
    T.eq(status, 0, "a --set key of a result-chosen branch does not fail the shard\n" .. out)
    T.contains(out, "3 trained", out)
  end
end)

-- A read-only cache (as root, permissions do not stop writes: the runs go as nobody)
local as_other = ""
if T.run("id -u"):match("^0") then as_other = "setpriv --reuid=65534 --regid=65534 --clear-groups" end
local ro_ok = T.run(as_other .. " " .. T.quote(T.nnlab) .. " version >/dev/null 2>&1 && test -r " .. T.quote(script)
                    .. " && echo yes"):match("yes")
if not ro_ok then
  T.skip("a read-only cache serves finished runs and refuses new ones before training",
         "cannot run nnlab as another user here (" .. (as_other ~= "" and as_other or "not root") .. ")")
else
  T.case("a read-only cache serves finished runs and refuses new ones before training", function()
    local out_dir = dir .. "/ro-out"
    os.execute(("mkdir -p %s && chmod 777 %s && chmod -R a-w %s"):format(T.quote(out_dir), T.quote(out_dir), T.quote(cache)))
    local before = as_other ~= "" and as_other .. " " or ""
    local out, status = T.run(before .. T.nnlab_command({ "run", script, "--cache", cache, "--out", out_dir, "--quiet" }))
    T.eq(status, 0, "everything cached: the read-only cache is enough\n" .. out)
    T.contains(out, "7 runs, 0 trained, 7 from cache", "all from the cache")
    out, status = T.run(before .. T.nnlab_command({ "run", script, "--cache", cache, "--out", out_dir, "--quiet",
                                                    "--set", "epochs=4" }))
    T.eq(status, 1, out)
    T.contains(out, "cannot write to the cache folder " .. cache, "names the folder")
    T.contains(out:match("^[^\n]*"), "nothing was trained", "before training, said on the first line\n" .. out)
    out, status = T.run(before .. T.nnlab_command({ "run", script, "--shard", "0/2", "--cache", cache, "--quiet",
                                                    "--set", "epochs=4" }))
    T.eq(status, 1, out)
    T.contains(out, "cannot write to the cache folder", "a shard too")
    os.execute("chmod -R u+w " .. T.quote(cache))
  end)
end

T.case("seeds on demand: the plan holds the first seeds and counts the rest; shards and assembly equal one machine",
       function()
  local od = dir .. "/on_demand.lua"
  T.write(od, T.read(script):gsub('local runs = sweep%("width", { 4, 8, top }, 2%)', 'local runs = sweep("width", { 4, 8, top }, { min = 2, max = 4 })')
                            :gsub('lab.table%(sweep%("wider".-\n', ""))
  local plan_out, status = nnlab({ "plan", od, "--cache", dir .. "/od-shards", "--json" })
  T.eq(status, 0, plan_out)
  T.eq(select(2, plan_out:gsub('"index":', "")), 6, "3 variations x the first 2 seeds")
  T.contains(plan_out, '"on_demand": 6', "and up to 2 more seeds each, which the results decide")
  local hash_text = one_line(stdout_of({ "plan", od, "--cache", dir .. "/od-shards", "--hash" }))
  T.contains(nnlab({ "plan", od, "--cache", dir .. "/od-shards", "--count" }),
             "nnlab: note: up to 6 more runs of seeds on demand", "--count says on stderr what it leaves out")
  for i = 0, 1 do
    local out
    out, status = nnlab({ "run", od, "--shard", i .. "/2", "--plan", hash_text, "--cache", dir .. "/od-shards", "--quiet" })
    T.eq(status, 0, out)
    T.contains(out, "3 of the plan's 6 runs", "each shard trains its share of the first seeds")
  end
  local out
  out, status = nnlab({ "run", od, "--cache", dir .. "/od-shards", "--out", dir .. "/od-a", "--quiet" })
  T.eq(status, 0, out)
  out, status = nnlab({ "run", od, "--cache", dir .. "/od-one", "--out", dir .. "/od-b", "--quiet" })
  T.eq(status, 0, out)
  T.eq(T.read(dir .. "/od-a/on_demand/results.csv"), T.read(dir .. "/od-b/on_demand/results.csv"),
       "the assembled report's results equal one machine's")
end)

-- A shard trained its runs after planning had run the whole file: a run
-- function read a learning rate the file reassigned after that sweep, a
-- model made without a seed took the seed counter where the file left it
-- (nn.manual_seed at its end), and the wrong results were cached under the
-- right keys. Each sweep's runs now train at that sweep's line.
T.case("a shard trains each sweep's runs with the file's variables as they are at that sweep", function()
  local mutable = dir .. "/mutable.lua"
  T.write(mutable, ([[
local lab = require "nnlab"
local nn, optim, data = lab.nn, lab.optim, lab.data
local train = lab.data.load(%q)
local test = lab.data.load(%q, { train = false })
local lr = 0.1
local function loop(p, ctx)
  local model = nn.Sequential { nn.Linear(16, p.hidden), nn.ReLU(), nn.Linear(p.hidden, 10) }
  return lab.fit { model = model, loss = nn.CrossEntropyLoss(), optimizer = optim.SGD(model:parameters(), { lr = lr }),
    epochs = 2, train = data.DataLoader(ctx.train, { batch_size = 10, shuffle = true, seed = ctx.seed }),
    test = data.DataLoader(ctx.test, { batch_size = 50 }) }
end
lab.table(lab.sweep { name = "slow", vary = { hidden = { 4, 8 } }, seeds = 1, train = train, test = test, run = loop })
lr = 0.5
lab.table(lab.sweep { name = "fast", vary = { hidden = { 4, 8 } }, seeds = 1, train = train, test = test, run = loop })
nn.manual_seed(42)
]]):format(data, data))
  for i = 0, 2 do
    local out, status = nnlab({ "run", mutable, "--shard", i .. "/3", "--cache", dir .. "/mut-shards", "--quiet" })
    T.eq(status, 0, out)
  end
  local out, status = nnlab({ "run", mutable, "--no-train", "--cache", dir .. "/mut-shards", "--out", dir .. "/mut-a",
                              "--quiet" })
  T.eq(status, 0, "the shards trained every run\n" .. out)
  out, status = nnlab({ "run", mutable, "--cache", dir .. "/mut-one", "--out", dir .. "/mut-b", "--quiet" })
  T.eq(status, 0, out)
  local sharded, one = T.read(dir .. "/mut-a/mutable/results.csv"), T.read(dir .. "/mut-b/mutable/results.csv")
  T.contains(one, ",0.5,", "the second sweep's learning rate")
  T.eq(sharded, one, "the sharded runs' results equal one machine's")
end)

-- Planning looks every planned run up in the cache: a damaged entry it
-- cannot delete (a folder in its place) failed `nnlab plan` and every shard
-- with "internal error" and nnlab's own traceback.
T.case("a damaged cache entry that cannot be deleted fails plan and shard in one line", function()
  local cache_dir = dir .. "/undeletable"
  local out, status = nnlab({ "run", script, "--cache", cache_dir, "--out", dir .. "/undeletable-out", "--quiet" })
  T.eq(status, 0, out)
  local entry = T.run("ls " .. T.quote(cache_dir) .. " | grep '^[0-9a-f]*\\.lua$' | head -1"):match("[^\n]+")
  local path = cache_dir .. "/" .. entry
  os.remove(path)
  os.execute(("mkdir %s && touch %s/x"):format(T.quote(path), T.quote(path)))
  for _, args in ipairs { { "plan", script, "--cache", cache_dir, "--count" },
                          { "run", script, "--shard", "1/2", "--cache", cache_dir, "--quiet" } } do
    out, status = nnlab(args)
    T.eq(status, 1, args[1] .. "\n" .. out)
    T.eq(out, "nnlab: cannot delete the damaged cache entry " .. path .. " (a directory, not a regular file): "
         .. "Directory not empty; delete it, then run again\n", args[1] .. ": one line")
  end
end)

T.case("a setting planned twice (two sweeps of the same runs) is one run, not a dependent one", function()
  local twice = dir .. "/twice.lua"
  T.write(twice, T.read(script):gsub('lab.table%(sweep%("wider".-\n', 'lab.table(sweep("again", { 4, 8, top }, 2))\n'))
  local out, status = nnlab({ "plan", twice, "--cache", dir .. "/twice-cache", "--json" })
  T.eq(status, 0, out)
  T.contains(out, '"dependent": 0', "no run depends on results")
  T.eq(select(2, out:gsub('"index":', "")), 6, "six runs, each once")
end)

T.case("a cache 'folder' that is a file is named as such before training, not as a damaged entry", function()
  local file = dir .. "/a-file"
  T.write(file, "not a folder\n")
  for _, cache_dir in ipairs({ file, file .. "/below" }) do
    local out, status = T.nnlab_run({ "run", script, "--cache", cache_dir, "--out", dir .. "/file-out", "--quiet" })
    T.eq(status, 1, out)
    local first = out:match("^[^\n]*")
    T.contains(first, "cannot create the cache folder " .. cache_dir .. ": " .. file .. ": Not a directory", "the cause")
    T.contains(first, "nothing was trained", "before training")
    T.truthy(not out:find("damaged", 1, true), "no entry called damaged\n" .. out)
  end
  T.eq(T.read(file), "not a folder\n", "the file left as it was")
end)

T.case("the default cache is .cache/nnlab in the experiment's project root, whatever the current folder", function()
  local project, elsewhere = dir .. "/project", dir .. "/elsewhere"
  -- its own .git: this test's folder lies inside the clone, whose own cache must not be found
  os.execute(("mkdir -p %s/.git %s/reports %s/experiments %s"):format(T.quote(project), T.quote(project),
                                                                      T.quote(project), T.quote(elsewhere)))
  T.write(project .. "/experiments/grid.lua", T.read(script))
  local env = { NNLAB_CACHE = "" }
  local cmd = T.nnlab_command({ "run", project .. "/experiments/grid.lua", "--quiet", "--set", "epochs=1" }, env)
  local out, status = T.run("cd " .. T.quote(elsewhere) .. " && " .. cmd)
  T.eq(status, 0, out)
  T.eq(entries(project .. "/.cache/nnlab"), 7, "the runs are cached in the project\n" .. out)
  T.eq(T.run("test -e " .. T.quote(elsewhere .. "/.cache") .. " && echo there || echo none"), "none\n",
       "no cache in the current folder")
  out, status = T.run("cd " .. T.quote(project) .. " && " .. T.nnlab_command({ "run", "experiments/grid.lua",
                                                                              "--quiet", "--set", "epochs=1" }, env))
  T.eq(status, 0, out)
  T.contains(out, "7 runs, 0 trained, 7 from cache", "found again from the project folder")
  -- a run from experiments/ writes experiments/reports; the cache stays the project's
  for round = 1, 2 do
    out, status = T.run("cd " .. T.quote(project .. "/experiments") .. " && " .. T.nnlab_command(
      { "run", "grid.lua", "--quiet", "--set", "epochs=1" }, env))
    T.eq(status, 0, out)
    T.contains(out, "7 runs, 0 trained, 7 from cache", "from experiments/, round " .. round)
  end
  T.truthy(T.run("test -d " .. T.quote(project .. "/experiments/reports") .. " && echo yes") == "yes\n",
           "the report went to experiments/reports")
  T.eq(T.run("test -e " .. T.quote(project .. "/experiments/.cache") .. " && echo there || echo none"), "none\n",
       "and no second cache beside it")
  local flag = dir .. "/flag-cache"
  out, status = T.run("cd " .. T.quote(project) .. " && " .. T.nnlab_command(
    { "run", "experiments/grid.lua", "--quiet", "--set", "epochs=1", "--cache", flag },
    { NNLAB_CACHE = dir .. "/env-cache" }))
  T.eq(status, 0, out)
  T.eq(entries(flag), 7, "--cache wins over NNLAB_CACHE")
  T.eq(entries(dir .. "/env-cache") or 0, 0, "NNLAB_CACHE unused")
end)

-- Outside git the first run's cache went to experiments/.cache (no reports
-- yet), and its report made the project folder the root of the next run,
-- which retrained everything into a second cache. (In a folder of its own
-- under /tmp: inside the clone, the clone's .git would be found.)
-- The project lies in a "home" folder that holds a cache of its own (as
-- ~/.cache/nnlab may): another project's, which this one must not use.
T.case("outside git, the second run finds the first run's cache, and never a cache above the project", function()
  local home = T.run("mktemp -d"):gsub("\n$", "")
  local base = home .. "/proj"
  os.execute(("mkdir -p %s/experiments %s/.cache/nnlab"):format(T.quote(base), T.quote(home)))
  T.write(base .. "/experiments/grid.lua", T.read(script))
  local env = { NNLAB_CACHE = "" }
  local outs = {}
  for round = 1, 2 do
    local out, status = T.run("cd " .. T.quote(base) .. " && " .. T.nnlab_command(
      { "run", "experiments/grid.lua", "--quiet", "--set", "epochs=1" }, env))
    T.eq(status, 0, out)
    outs[round] = out
  end
  local caches = T.run("cd " .. T.quote(home) .. " && find . -path '*/.cache/nnlab/*.lua' | sed 's|/[^/]*$||' | sort -u")
  os.execute("rm -rf " .. T.quote(home))
  T.contains(outs[2], "7 runs, 0 trained, 7 from cache", "the second run\n" .. outs[2])
  T.eq(caches, "./proj/experiments/.cache/nnlab\n", "one cache, the project's: none in the home folder's")
end)

-- Outside git, a project whose first run found its `reports` folder keeps
-- its cache there; a run from experiments/ writes experiments/reports, and
-- the next run from the project folder had taken experiments/ as its root
-- and retrained everything into a second cache.
T.case("outside git, a run from experiments/ does not move the project's cache", function()
  local base = T.run("mktemp -d"):gsub("\n$", "")
  os.execute(("mkdir -p %s/experiments %s/reports"):format(T.quote(base), T.quote(base)))
  T.write(base .. "/experiments/grid.lua", T.read(script))
  local env = { NNLAB_CACHE = "" }
  local function run_from(folder, file)
    local out, status = T.run("cd " .. T.quote(folder) .. " && " .. T.nnlab_command(
      { "run", file, "--quiet", "--set", "epochs=1" }, env))
    T.eq(status, 0, out)
    return out
  end
  local first = run_from(base, "experiments/grid.lua")
  local second = run_from(base .. "/experiments", "grid.lua")
  local third = run_from(base, "experiments/grid.lua")
  local caches = T.run("cd " .. T.quote(base) .. " && find . -path '*/.cache/nnlab/*.lua' | sed 's|/[^/]*$||' | sort -u")
  os.execute("rm -rf " .. T.quote(base))
  T.contains(first, "7 runs, 7 trained", "the first run")
  T.contains(second, "7 runs, 0 trained, 7 from cache", "the run from experiments/\n" .. second)
  T.contains(third, "7 runs, 0 trained, 7 from cache", "the run after it\n" .. third)
  T.eq(caches, "./.cache/nnlab\n", "one cache, the project's")
end)

T.done()
